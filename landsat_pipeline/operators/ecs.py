"""The ``ecs`` render backend's operator: :class:`RenderEcsTaskOperator`.

It runs the render image's contract command (:func:`landsat_pipeline.remote.render_command`)
as one ECS Fargate task on the scene landed in ``landing/<ID>/``, writing ``staging/<ID>/``;
its arguments come from :func:`landsat_pipeline.render_jobs.ecs_task_arguments` (the DAG's
``prepare_ecs`` task).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from airflow.providers.amazon.aws.operators.ecs import EcsRunTaskOperator
from airflow.sdk.exceptions import AirflowException

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["RenderEcsTaskOperator"]


class RenderEcsTaskOperator(EcsRunTaskOperator):
    """The provider's ``EcsRunTaskOperator`` with a pre-launch check and log lines in failures.

    Differences from the provider's operator, all small:

    * ``pre_launch(context)`` runs in ``execute`` before a task is reattached to or launched;
      raising ``AirflowSkipException`` there skips the launch. Unlike ``pre_execute`` it does
      not run again when the task resumes from deferral.
    * A container that stops with a non-zero exit code fails the task with the exit code, the
      stop reason and the container's last ``number_logs_exception`` CloudWatch log lines (the
      provider quotes them only when it waited in the worker, never after a deferral).
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
        return super().execute(context)

    def _check_success_task(self) -> None:
        if self.client and self.arn:
            response = self.client.describe_tasks(cluster=self.cluster, tasks=[self.arn])
            for ecs_task in response.get("tasks", []):
                if ecs_task.get("stopCode") == "TaskFailedToStart":
                    continue  # the provider's own message says why
                for container in ecs_task.get("containers", []):
                    if self.container_name and container.get("name") != self.container_name:
                        continue
                    exit_code = container.get("exitCode")
                    if (
                        container.get("lastStatus") == "STOPPED"
                        and exit_code != 0
                        and exit_code not in self.skip_on_exit_code
                    ):
                        raise AirflowException(self._stopped_message(ecs_task, container))
        super()._check_success_task()

    def _stopped_message(self, ecs_task: Mapping, container: Mapping) -> str:
        task_id = self._get_ecs_task_id(self.arn)
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
        if self._aws_logs_enabled():
            from landsat_pipeline.hooks.logs import last_log_lines

            logs = last_log_lines(
                aws_conn_id=self.aws_conn_id,
                region_name=self.resolve_awslogs_region(),
                log_group=self.awslogs_group,
                log_stream=self._get_logs_stream_name(),
                limit=self.number_logs_exception,
            )
            message += "\n" + logs
        return message
