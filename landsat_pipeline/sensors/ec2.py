"""The ONE wait for an EC2 job, a scene's render or the area reports: :class:`Ec2JobSensor`.

The job runs once on a throwaway instance (:mod:`landsat_pipeline.remote`), records its exit
code in the bucket and powers off; each check is
:meth:`Ec2JobTrigger.check <landsat_pipeline.triggers.ec2.Ec2JobTrigger.check>`
(:func:`landsat_pipeline.ec2_job.check_ec2_job` with an
:class:`~landsat_pipeline.hooks.ec2.Ec2JobHook`). Deferrable in the amazon provider's pattern
(``AwsBaseSensor``, ``deferrable`` defaulting to ``[operators] default_deferrable``): ``execute``
checks once, then defers to :class:`~landsat_pipeline.triggers.ec2.Ec2JobTrigger`;
``execute_complete`` returns the trigger's result or raises its failure. With
``deferrable=False`` it pokes in the worker (use ``mode="reschedule"``).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.sensors.base_aws import AwsBaseSensor
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk import PokeReturnValue, conf
from airflow.sdk.exceptions import AirflowFailException

from landsat_pipeline.ec2_job import Ec2JobOutcome
from landsat_pipeline.hooks.ec2 import Ec2JobHook

if TYPE_CHECKING:
    from airflow.sdk import Context

    from landsat_pipeline.triggers.ec2 import Ec2JobTrigger
    from landsat_pipeline.xcom import Ec2JobExpected

__all__ = ["Ec2JobSensor"]


class Ec2JobSensor(AwsBaseSensor[Ec2JobHook]):
    """Wait until an EC2 job has left what it must, failing fast on its exit code.

    Each check, in this order: the job's outputs (a render's complete published set is
    success); its exit code record (only when written by one of ``instance_ids``): a non-zero
    code, or zero without the outputs, fails at once with the container's last log lines; the
    instance itself: gone (shutting down, terminated, stopped) without a record fails at once
    too (its hard timeout fired, or it could not write the record). Failures are not retried:
    the instance that could have done the job is gone.

    ``poll_seconds`` and ``timeout_minutes`` set ``poke_interval`` and ``timeout`` at run time:
    the job's limit plus the instance's set-up time
    (:data:`landsat_pipeline.remote.SETUP_MINUTES`) and 5 minutes. All arguments are templated,
    so that they can come from the ``prepare`` task's XCom.

    :param instance_ids: the instance(s) launched (``EC2CreateInstanceOperator``'s XCom).
    :param status_key: the job's exit code record in the bucket.
    :param expected: what the job must leave (:class:`~landsat_pipeline.xcom.Ec2JobExpected`:
        ``{"kind": "render", "scene_id", "products", "item_key", "item_before"}`` or
        ``{"kind": "report", "areas"}``).
    :param bucket_uri: the bucket's root (``s3://bucket/prefix`` or a folder).
    :param bucket_conn_id: the Airflow connection of the bucket.
    :param log_group: CloudWatch Logs group of the instances' containers.
    :param log_stream_prefix: their streams are ``<prefix>/<instance id>``.
    :param log_lines: how many of the last log lines a failure quotes.
    :param poll_seconds: seconds between checks.
    :param timeout_minutes: the job's hard limit on the instance.
    :param deferrable: wait in the triggerer (:class:`~landsat_pipeline.triggers.ec2.Ec2JobTrigger`)
        rather than in rescheduled pokes; default: ``[operators] default_deferrable`` (false).
    :param aws_conn_id: connection for EC2 and CloudWatch Logs (``AwsBaseSensor``'s, like
        ``region_name``, ``verify`` and ``botocore_config``).

    The XCom value is the job's result: for a render ``{"backend": "ec2", "scene_id",
    "item_uri", "instance_ids"}``, for the reports ``{"backend": "ec2", "instance_ids",
    "reports": {area: report.html URI}}``.
    """

    aws_hook_class = Ec2JobHook
    template_fields: Sequence[str] = aws_template_fields(
        "instance_ids",
        "status_key",
        "expected",
        "bucket_uri",
        "bucket_conn_id",
        "log_group",
        "log_stream_prefix",
        "log_lines",
        "poll_seconds",
        "timeout_minutes",
        "deferrable",
    )
    ui_color = "#f0ede4"

    def __init__(
        self,
        *,
        instance_ids: Any,
        status_key: Any,
        expected: Ec2JobExpected | Any,
        bucket_uri: Any,
        bucket_conn_id: Any = "aws_default",
        log_group: Any,
        log_stream_prefix: Any,
        log_lines: Any = 20,
        poll_seconds: Any = 60,
        timeout_minutes: Any = 120,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.instance_ids = instance_ids
        self.status_key = status_key
        self.expected = expected
        self.bucket_uri = bucket_uri
        self.bucket_conn_id = bucket_conn_id
        self.log_group = log_group
        self.log_stream_prefix = log_stream_prefix
        self.log_lines = log_lines
        self.poll_seconds = poll_seconds
        self.timeout_minutes = timeout_minutes
        self.deferrable = deferrable

    def execute(self, context: Context) -> Any:
        from landsat_pipeline.remote import SETUP_MINUTES

        self.poke_interval = float(self.poll_seconds)
        self.timeout = float((int(self.timeout_minutes) + SETUP_MINUTES + 5) * 60)
        if not self.deferrable:
            return super().execute(context)
        trigger = self._trigger()
        outcome = trigger.check(self.hook, self.log)
        if outcome["status"] == "running":
            self.defer(
                trigger=trigger,
                method_name="execute_complete",
                timeout=datetime.timedelta(seconds=self.timeout),
            )
        return self._finish(outcome)

    def execute_complete(self, context: Context, event: Ec2JobOutcome | None = None) -> Any:
        """After the deferral: the trigger's result, or its failure."""
        if not event:
            raise AirflowFailException(f"{self.task_id}: the trigger sent no event")
        return self._finish(event)

    def poke(self, context: Context) -> bool | PokeReturnValue:
        outcome = self._trigger().check(self.hook, self.log)
        if outcome["status"] == "running":
            return False
        return PokeReturnValue(is_done=True, xcom_value=self._finish(outcome))

    def _trigger(self) -> Ec2JobTrigger:
        """The job's trigger: what the triggerer polls, and the check each poke runs."""
        from landsat_pipeline.triggers.ec2 import Ec2JobTrigger

        return Ec2JobTrigger(
            instance_ids=self.instance_ids,
            status_key=self.status_key,
            expected=dict(self.expected),
            bucket_uri=self.bucket_uri,
            bucket_conn_id=self.bucket_conn_id,
            aws_conn_id=self.aws_conn_id,
            region_name=self.region_name,
            log_group=self.log_group,
            log_stream_prefix=self.log_stream_prefix,
            log_lines=int(self.log_lines),
            poll_seconds=float(self.poll_seconds),
            verify=self.verify,
            botocore_config=self.botocore_config,
        )

    def _finish(self, outcome: Ec2JobOutcome) -> Any:
        if outcome["status"] != "success":
            raise AirflowFailException(outcome["message"])
        return outcome["xcom"]
