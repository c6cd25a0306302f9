"""The ``ecs`` render backend's operator: :class:`RenderEcsTaskOperator`.

It runs the render image's contract command (:func:`landsat_pipeline.remote.render_command`)
as one ECS Fargate task on the scene landed in ``landing/<ID>/``, which publishes a version of
the scene's products and switches its item; its arguments come from
:func:`landsat_pipeline.render_jobs.ecs_task_arguments` (the DAG's ``prepare_ecs`` task).
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.operators.ecs import EcsRunTaskOperator
from airflow.sdk.exceptions import AirflowException, AirflowSkipException

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["RenderEcsTaskOperator"]


class RenderEcsTaskOperator(EcsRunTaskOperator):
    """The provider's ``EcsRunTaskOperator`` with a pre-launch check and log lines in failures.

    It extends the provider's operator through its public methods only (``execute`` and
    ``execute_complete`` wrap the provider's), so a provider upgrade keeps it working:

    * ``pre_launch(context)`` runs in ``execute`` before a task is reattached to or launched;
      raising ``AirflowSkipException`` there skips the launch. Unlike ``pre_execute`` it does
      not run again when the task resumes from deferral.
    * A container that stopped with a non-zero exit code (not in ``skip_on_exit_code``) fails
      the task with the exit code, the stop reason and the container's last
      ``number_logs_exception`` CloudWatch log lines, whether the operator waited in the worker
      or deferred (the provider quotes the lines only when it waited in the worker). After a
      deferral the task is described before the provider's own checks; in the worker, once
      they failed.
    * ``aws_conn_id``, ``region_name``, ``waiter_delay`` and ``waiter_max_attempts`` are
      templated too, so that every argument can come from an upstream task's XCom.
    * ``deferrable=True`` without aiobotocore (which the provider's trigger needs) waits in the
      worker instead, with a warning, rather than failing in the triggerer.

    :param pre_launch: called with the context before launching; may raise AirflowSkipException.
    """

    template_fields: Sequence[str] = (
        *EcsRunTaskOperator.template_fields,
        "aws_conn_id",
        "region_name",
        "waiter_delay",
        "waiter_max_attempts",
    )

    def __init__(self, *, pre_launch: Callable[[Context], None] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.pre_launch = pre_launch

    def execute(self, context: Context):
        if self.pre_launch is not None:
            self.pre_launch(context)
        if self.deferrable and importlib.util.find_spec("aiobotocore") is None:
            self.log.warning(
                "deferrable is set but aiobotocore is not installed (the provider's ECS trigger "
                "needs apache-airflow-providers-amazon[aiobotocore]): waiting for the ECS task "
                "in this worker instead"
            )
            self.deferrable = False
        with self._explain_failed_container():
            return super().execute(context)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None):
        if event and event.get("status") == "success" and event.get("task_arn"):
            # The provider fetched no logs while the trigger waited: say why the task stopped.
            self.arn, self.cluster = event["task_arn"], event.get("cluster", self.cluster)
            self._raise_if_a_container_failed()
        return super().execute_complete(context, event)

    @contextlib.contextmanager
    def _explain_failed_container(self) -> Iterator[None]:
        """Replace the provider's failure by ours when a container exited non-zero."""
        try:
            yield
        except AirflowSkipException:
            raise
        except AirflowException as exc:
            if self.arn:
                self._raise_if_a_container_failed(cause=exc)
            raise

    def _raise_if_a_container_failed(self, cause: BaseException | None = None) -> None:
        """Fail with :meth:`_stopped_message` if the task's container stopped with exit code
        other than 0 and ``skip_on_exit_code``; a task that failed to start is left to the
        provider's own message."""
        response = self.client.describe_tasks(cluster=self.cluster, tasks=[self.arn])
        for ecs_task in response.get("tasks", []):
            if ecs_task.get("stopCode") == "TaskFailedToStart":
                continue
            for container in ecs_task.get("containers", []):
                if self.container_name and container.get("name") != self.container_name:
                    continue
                exit_code = container.get("exitCode")
                if (
                    container.get("lastStatus") == "STOPPED"
                    and exit_code != 0
                    and exit_code not in self.skip_on_exit_code
                ):
                    raise AirflowException(self._stopped_message(ecs_task, container)) from cause

    def _stopped_message(self, ecs_task: Mapping, container: Mapping) -> str:
        task_id = str(self.arn).rsplit("/", 1)[-1]
        exit_code = container.get("exitCode")
        how = f"exit code {exit_code}" if exit_code is not None else "no exit code"
        reasons = "; ".join(
            text for text in (ecs_task.get("stoppedReason"), container.get("reason")) if text
        )
        message = (
            f"ECS task {task_id} in cluster {self.cluster}: container "
            f"{container.get('name')} stopped with {how}"
            + (f" ({reasons})" if reasons else "")
            + "."
        )
        if self.awslogs_group and self.awslogs_stream_prefix:
            from landsat_pipeline.hooks.logs import ContainerLogsHook

            logs = ContainerLogsHook(
                aws_conn_id=self.aws_conn_id,
                region_name=self.resolve_awslogs_region(),
                verify=self.verify,
                config=self.botocore_config,
            )
            stream = _awslogs_stream(
                self.awslogs_stream_prefix, container.get("name") or self.container_name, task_id
            )
            lines = logs.last_lines(
                log_group=self.awslogs_group, log_stream=stream, limit=self.number_logs_exception
            )
            message += "\n" + lines
        return message


def _awslogs_stream(prefix: str, container_name: str | None, task_id: str) -> str:
    """The awslogs driver's stream of an ECS container: ``<prefix>/<container>/<task ID>``
    (a prefix that already ends with the container's name is not repeated)."""
    if container_name and not prefix.endswith(f"/{container_name}"):
        prefix = f"{prefix}/{container_name}"
    return f"{prefix}/{task_id}"
