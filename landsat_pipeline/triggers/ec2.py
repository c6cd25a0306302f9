"""The trigger an EC2 job's wait defers to: polls the job's record, instance and outputs.

:class:`Ec2JobTrigger` runs :meth:`Ec2JobTrigger.check` (the job's ONE check:
:func:`landsat_pipeline.ec2_job.check_ec2_job` with an
:class:`~landsat_pipeline.hooks.ec2.Ec2JobHook`) every ``poll_seconds`` in the triggerer (its
blocking S3, EC2 and CloudWatch Logs calls in a thread) until the job succeeded or failed, then
yields one ``TriggerEvent`` whose payload is the :class:`~landsat_pipeline.ec2_job.Ec2JobOutcome`;
``Ec2JobSensor.execute_complete`` turns it into the XCom value or the failure. The sensor's
pokes in the worker run the same :meth:`~Ec2JobTrigger.check`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from landsat_pipeline.ec2_job import Ec2JobOutcome, check_ec2_job, instance_id_list

if TYPE_CHECKING:
    from landsat_pipeline.hooks.ec2 import Ec2JobHook

__all__ = ["Ec2JobTrigger"]


class Ec2JobTrigger(BaseTrigger):
    """Wait in the triggerer for an EC2 job to succeed or fail.

    :param instance_ids: the instance(s) launched for the job.
    :param status_key: the job's exit code record in the bucket.
    :param expected: what the job must leave (:class:`~landsat_pipeline.xcom.Ec2JobExpected`).
    :param bucket_uri: the bucket's root (``s3://bucket/prefix`` or a folder).
    :param bucket_conn_id: the Airflow connection of the bucket.
    :param aws_conn_id: connection for EC2 and CloudWatch Logs.
    :param region_name: their region.
    :param log_group: CloudWatch Logs group of the instances' containers.
    :param log_stream_prefix: their streams are ``<prefix>/<instance id>``.
    :param log_lines: how many of the last log lines a failure quotes.
    :param poll_seconds: seconds between checks.
    :param verify: whether to verify SSL certificates (the hook's ``verify``).
    :param botocore_config: botocore client settings (the hook's ``config``).
    """

    def __init__(
        self,
        *,
        instance_ids: Sequence[str],
        status_key: str,
        expected: dict[str, Any],
        bucket_uri: str,
        bucket_conn_id: str,
        aws_conn_id: str | None,
        region_name: str | None,
        log_group: str,
        log_stream_prefix: str,
        log_lines: int = 20,
        poll_seconds: float = 60,
        verify: bool | str | None = None,
        botocore_config: dict | None = None,
    ) -> None:
        super().__init__()
        self.instance_ids = instance_id_list(instance_ids)
        self.status_key = status_key
        self.expected = dict(expected)
        self.bucket_uri = bucket_uri
        self.bucket_conn_id = bucket_conn_id
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.log_group = log_group
        self.log_stream_prefix = log_stream_prefix
        self.log_lines = int(log_lines)
        self.poll_seconds = float(poll_seconds)
        self.verify = verify
        self.botocore_config = botocore_config

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "instance_ids": list(self.instance_ids),
                "status_key": self.status_key,
                "expected": dict(self.expected),
                "bucket_uri": self.bucket_uri,
                "bucket_conn_id": self.bucket_conn_id,
                "aws_conn_id": self.aws_conn_id,
                "region_name": self.region_name,
                "log_group": self.log_group,
                "log_stream_prefix": self.log_stream_prefix,
                "log_lines": self.log_lines,
                "poll_seconds": self.poll_seconds,
                "verify": self.verify,
                "botocore_config": self.botocore_config,
            },
        )

    def hook(self) -> Ec2JobHook:
        """The EC2 (and CloudWatch Logs) hook of the trigger's connection."""
        from landsat_pipeline.hooks.ec2 import Ec2JobHook

        return Ec2JobHook(
            aws_conn_id=self.aws_conn_id,
            region_name=self.region_name,
            verify=self.verify,
            config=self.botocore_config,
        )

    def check(self, hook: Ec2JobHook | None = None, log: Any = None) -> Ec2JobOutcome:
        """One check of the job (blocking: the AWS clients are boto3's).

        :param hook: the EC2 hook to ask (the sensor's own when it pokes); default: the
            trigger's (:meth:`hook`).
        :param log: where the check says what it saw (the sensor's task log); default: the
            trigger's.
        """
        from landsat_pipeline.hooks.bucket import open_bucket

        hook = hook or self.hook()
        store, _ = open_bucket(self.bucket_uri, self.bucket_conn_id)
        return check_ec2_job(
            store,
            status_key=self.status_key,
            instance_ids=self.instance_ids,
            expected=self.expected,
            instance_states=hook.instance_states,
            logs=lambda ids: hook.container_log_lines(
                ids,
                log_group=self.log_group,
                log_stream_prefix=self.log_stream_prefix,
                limit=self.log_lines,
            ),
            log=log or self.log,
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook = self.hook()
        while True:
            outcome = await asyncio.to_thread(self.check, hook)
            if outcome["status"] != "running":
                yield TriggerEvent(dict(outcome))
                return
            await asyncio.sleep(self.poll_seconds)
