"""The Airflow side of the remote render backends: one ECS Fargate task or one EC2 instance.

Both run the render image's contract command (:func:`landsat_pipeline.remote.render_command`) on the
scene landed in ``landing/<ID>/``, writing ``staging/<ID>/``; ``publish`` then proceeds as after
a local render. What is here:

* :func:`ecs_task_arguments` / :func:`ec2_launch_arguments`: the provider operators' arguments
  for one scene, from the config's ``remote`` section (the DAG's ``prepare_<backend>`` tasks
  return them; the operators take them from XCom).
* :func:`staged_set_reason`: why not to launch (the complete product set is already staged,
  e.g. by a previous try); the DAG skips the launch on it.
* :class:`RenderEcsTaskOperator`: the provider's ``EcsRunTaskOperator``, plus that pre-launch
  check and failures that quote the container's last CloudWatch log lines.
* :class:`Ec2RenderSensor`: waits for the product set an EC2 instance renders, failing fast
  when the instance reports a non-zero exit code or goes away without a result.

The EC2 instance reports ``{"exit_code": N, "instance_id": ..., "image": ...}`` to
:func:`~landsat_pipeline.keys.ec2_render_status_key` (see
:func:`landsat_pipeline.remote.ec2_user_data`); a status written by
another instance (an earlier run) is ignored.
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.operators.ecs import EcsRunTaskOperator
from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from landsat_pipeline.config import ConfigError, PipelineConfig, RemoteSettings, load_config
from landsat_pipeline.keys import ec2_render_status_key, staging_item_key, staging_prefix

if TYPE_CHECKING:
    from airflow.sdk import Context

    from landsat_ops.storage import Store

__all__ = [
    "Ec2RenderSensor",
    "RenderEcsTaskOperator",
    "ec2_launch_arguments",
    "ecs_task_arguments",
    "last_log_lines",
    "staged_set_reason",
]


_GONE = {"shutting-down", "terminated", "stopping", "stopped", "gone"}


# -- the arguments of one scene ---------------------------------------------------------------
def _remote(config: PipelineConfig, backend: str) -> RemoteSettings:
    """``config.remote_settings(backend)``; a config error fails the task without retries."""
    try:
        remote = config.remote_settings(backend)
    except ConfigError as exc:
        raise AirflowFailException(str(exc)) from None
    if not config.storage.is_s3:
        raise AirflowFailException(
            f"{config.source}: storage.root is the local folder {config.storage.root!r}, which "
            f"the {backend} render backend cannot reach (expected s3://bucket/prefix)"
        )
    return remote


def _command(config: PipelineConfig, store: Store, scene: Mapping, landing_uri: str) -> list[str]:
    from landsat_pipeline import remote

    watch = config.watch(scene["path"], scene["row"])
    return remote.render_command(
        landing_uri.rstrip("/") + "/",
        store.uri(staging_prefix(scene["scene_id"])) + "/",
        products=watch.products,
        percentiles=watch.percentiles,
        preview_size=watch.preview_size,
    )


def ecs_task_arguments(
    config: PipelineConfig, store: Store, scene: Mapping, landing_uri: str
) -> dict[str, Any]:
    """The arguments of :class:`RenderEcsTaskOperator` that render ``scene`` (``remote.ecs``).

    Returns
    -------
    dict
        ``command`` (the full contract command line, for the record) and the operator's
        ``cluster``, ``task_definition``, ``overrides``, ``network_configuration``,
        ``container_name``, ``awslogs_group``, ``awslogs_stream_prefix``, ``region_name``,
        ``aws_conn_id``, ``deferrable``, ``waiter_delay``, ``waiter_max_attempts``,
        ``number_logs_exception`` and ``tags``.
    """
    from landsat_pipeline import remote

    settings = _remote(config, "ecs")
    ecs = settings.ecs
    command = _command(config, store, scene, landing_uri)
    return {
        "command": command,
        "cluster": ecs.cluster,
        "task_definition": ecs.task_definition,
        "overrides": remote.ecs_overrides(command, ecs.container_name),
        "network_configuration": {
            "awsvpcConfiguration": {
                "subnets": list(ecs.subnets),
                "securityGroups": list(ecs.security_groups),
                "assignPublicIp": "ENABLED" if ecs.assign_public_ip else "DISABLED",
            }
        },
        "container_name": ecs.container_name,
        "awslogs_group": settings.log_group,
        "awslogs_stream_prefix": ecs.log_stream_prefix,
        "region_name": settings.region,
        "aws_conn_id": settings.aws_conn_id,
        "deferrable": ecs.deferrable,
        "waiter_delay": ecs.poll_seconds,
        "waiter_max_attempts": math.ceil(ecs.timeout_minutes * 60 / ecs.poll_seconds),
        "number_logs_exception": ecs.log_lines,
        "tags": {"landsat-ops:scene": scene["scene_id"]},
    }


def ec2_launch_arguments(
    config: PipelineConfig, store: Store, scene: Mapping, landing_uri: str
) -> dict[str, Any]:
    """The arguments of the EC2 launch, wait and teardown tasks for ``scene`` (``remote.ec2``).

    Returns
    -------
    dict
        ``command`` (for the record), ``image_id`` and ``config`` (for
        ``EC2CreateInstanceOperator``: :func:`landsat_pipeline.remote.ec2_instance_config` with the
        user data of :func:`landsat_pipeline.remote.ec2_user_data`), ``region_name``,
        ``aws_conn_id``, ``status_uri``, and :class:`Ec2RenderSensor`'s ``log_group``,
        ``log_stream_prefix``, ``log_lines``, ``poll_seconds`` and ``timeout_minutes``.
    """
    from landsat_pipeline import remote

    settings = _remote(config, "ec2")
    ec2 = settings.ec2
    scene_id = scene["scene_id"]
    command = _command(config, store, scene, landing_uri)
    status_uri = store.uri(ec2_render_status_key(scene_id))
    user_data = remote.ec2_user_data(
        settings.image,
        command,
        region=settings.region,
        timeout_minutes=ec2.timeout_minutes,
        log_group=settings.log_group,
        log_stream_prefix=ec2.log_stream_prefix,
        status_uri=status_uri,
    )
    tags = {**dict(ec2.tags), "Name": f"landsat-ops-render {scene_id}"}
    tags["landsat-ops:scene"] = scene_id
    instance = remote.ec2_instance_config(
        instance_profile=ec2.instance_profile,
        subnet_id=ec2.subnet_id,
        security_group_ids=ec2.security_group_ids,
        user_data=user_data,
        instance_type=ec2.instance_type,
        volume_size_gib=ec2.volume_size_gib,
        tags=tags,
    )
    return {
        "command": command,
        "image_id": ec2.ami,
        "config": instance,
        "region_name": settings.region,
        "aws_conn_id": settings.aws_conn_id,
        "status_uri": status_uri,
        "log_group": settings.log_group,
        "log_stream_prefix": ec2.log_stream_prefix,
        "log_lines": ec2.log_lines,
        "poll_seconds": ec2.poll_seconds,
        "timeout_minutes": ec2.timeout_minutes,
    }


def staged_set_reason(store: Store, scene: Mapping, products: Sequence[str]) -> str | None:
    """Why a remote render need not be launched: the staged product set is complete; else None."""
    from landsat_pipeline.remote import products_complete

    prefix = staging_prefix(scene["scene_id"])
    if products_complete(store, prefix, scene["scene_id"], products):
        return (
            f"{store.uri(prefix)} already holds the complete product set of "
            f"{scene['scene_id']} (rendered by a previous try): not launching a render again"
        )
    return None


# -- logs -------------------------------------------------------------------------------------
def instance_states(
    aws_conn_id: str, region_name: str, instance_ids: Sequence[str]
) -> dict[str, str]:
    """EC2 state name of each instance (``running``, ``terminated``...), ``gone`` if unknown."""
    from airflow.providers.amazon.aws.hooks.ec2 import EC2Hook
    from botocore.exceptions import ClientError

    client = EC2Hook(aws_conn_id=aws_conn_id, region_name=region_name, api_type="client_type").conn
    states = {instance_id: "gone" for instance_id in instance_ids}
    try:
        response = client.describe_instances(InstanceIds=list(instance_ids))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "InvalidInstanceID.NotFound":
            return states
        raise
    for reservation in response.get("Reservations", []):
        for instance in reservation.get("Instances", []):
            states[instance["InstanceId"]] = instance["State"]["Name"]
    return states


def last_log_lines(
    *, aws_conn_id: str | None, region_name: str | None, log_group: str, log_stream: str, limit: int
) -> str:
    """The last ``limit`` lines of a CloudWatch Logs stream, with a heading, for a failure message.

    Never raises: a missing stream or an API error becomes a line saying so, so the failure
    being reported is not replaced by a logging problem.
    """
    from airflow.providers.amazon.aws.hooks.logs import AwsLogsHook
    from botocore.exceptions import BotoCoreError, ClientError

    where = f"CloudWatch Logs {log_group} {log_stream}"
    try:
        client = AwsLogsHook(aws_conn_id=aws_conn_id, region_name=region_name).conn
        events = client.get_log_events(
            logGroupName=log_group, logStreamName=log_stream, startFromHead=False, limit=limit
        )["events"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return f"No log events: {where} does not exist."
        return f"Cannot read {where}: {exc}"
    except BotoCoreError as exc:
        return f"Cannot read {where}: {exc}"
    if not events:
        return f"No log events in {where}."
    lines = "\n".join(event["message"].rstrip("\n") for event in events)
    return f"Last {len(events)} log lines of {where}:\n{lines}"


# -- ECS --------------------------------------------------------------------------------------
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
            logs = last_log_lines(
                aws_conn_id=self.aws_conn_id,
                region_name=self.resolve_awslogs_region(),
                log_group=self.awslogs_group,
                log_stream=self._get_logs_stream_name(),
                limit=self.number_logs_exception,
            )
            message += "\n" + logs
        return message


# -- EC2 --------------------------------------------------------------------------------------
class Ec2RenderSensor(BaseSensorOperator):
    """Wait until an EC2 render instance has staged the scene's complete product set.

    Each poke, in this order: the complete set under ``staging/<ID>/`` (success); the instance's
    exit code record (:func:`~landsat_pipeline.keys.ec2_render_status_key`, only when written
    by one of ``instance_ids``): a
    non-zero code, or zero without a complete set, fails at once with the container's last log
    lines; the instance itself: gone (shutting down, terminated, stopped) without a record
    fails at once too (its hard timeout fired, or it could not write the record). Failures are
    not retried: the instance that could have produced the set is gone.

    Use ``mode="reschedule"``. ``poll_seconds`` and ``timeout_minutes`` (templated, from the
    config) set ``poke_interval`` and ``timeout`` at run time; the timeout allows the job's
    ``timeout_minutes`` plus the instance's set-up time
    (:data:`landsat_pipeline.remote.SETUP_MINUTES`).

    :param config_path: the pipeline config file (bucket, products of the path/row).
    :param scene: the discover task's XCom (``scene_id``, ``path``, ``row``).
    :param instance_ids: the instances launched for it (``EC2CreateInstanceOperator``'s XCom).
    :param aws_conn_id: connection for EC2 and CloudWatch Logs.
    :param region_name: their region.
    :param log_group: CloudWatch Logs group of the instances' containers.
    :param log_stream_prefix: their streams are ``<prefix>/<instance id>``.
    :param log_lines: how many of the last log lines a failure quotes.
    :param poll_seconds: seconds between pokes.
    :param timeout_minutes: the job's hard limit on the instance.

    The XCom value is ``{"backend": "ec2", "scene_id", "item_uri", "instance_ids"}``.
    """

    template_fields: Sequence[str] = (
        "scene",
        "instance_ids",
        "aws_conn_id",
        "region_name",
        "log_group",
        "log_stream_prefix",
        "log_lines",
        "poll_seconds",
        "timeout_minutes",
    )
    ui_color = "#f0ede4"

    def __init__(
        self,
        *,
        config_path: str,
        scene: Any,
        instance_ids: Any,
        aws_conn_id: Any,
        region_name: Any,
        log_group: Any,
        log_stream_prefix: Any,
        log_lines: Any = 20,
        poll_seconds: Any = 60,
        timeout_minutes: Any = 120,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.config_path = config_path
        self.scene = scene
        self.instance_ids = instance_ids
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.log_group = log_group
        self.log_stream_prefix = log_stream_prefix
        self.log_lines = log_lines
        self.poll_seconds = poll_seconds
        self.timeout_minutes = timeout_minutes

    def execute(self, context: Context) -> Any:
        from landsat_pipeline.remote import SETUP_MINUTES

        self.poke_interval = float(self.poll_seconds)
        self.timeout = float((int(self.timeout_minutes) + SETUP_MINUTES + 5) * 60)
        return super().execute(context)

    def poke(self, context: Context) -> bool | PokeReturnValue:
        from landsat_pipeline.bucket import open_bucket

        config = load_config(self.config_path)
        store, _ = open_bucket(config.storage)
        scene_id = self.scene["scene_id"]
        products = config.watch(self.scene["path"], self.scene["row"]).products
        instance_ids = (
            [self.instance_ids] if isinstance(self.instance_ids, str) else self.instance_ids
        )

        if staged_set_reason(store, self.scene, products):
            return self._done(store, scene_id, instance_ids)
        status = self._status(store, scene_id, instance_ids)
        if status is None:
            states = self._instance_states(instance_ids)
            if not any(state in _GONE for state in states.values()):
                self.log.info(
                    "Waiting for %s: instance %s",
                    store.uri(staging_prefix(scene_id)),
                    ", ".join(f"{i} {s}" for i, s in states.items()),
                )
                return False
            # The instance records its exit code before powering off: look once more.
            if staged_set_reason(store, self.scene, products):
                return self._done(store, scene_id, instance_ids)
            status = self._status(store, scene_id, instance_ids)
            if status is None:
                raise AirflowFailException(
                    f"EC2 render instance {', '.join(f'{i} is {s}' for i, s in states.items())} "
                    "without having recorded an exit code in "
                    f"{store.uri(ec2_render_status_key(scene_id))}"
                    " and without a complete product set: its hard timeout fired (boot, image "
                    "pull or job took too long) or it could not write the record.\n"
                    + self._logs(instance_ids)
                )
        exit_code = status.get("exit_code")
        instance_id = status.get("instance_id")
        if exit_code == 0:
            raise AirflowFailException(
                f"EC2 render instance {instance_id} reported exit code 0, but "
                f"{store.uri(staging_prefix(scene_id))} does not hold the complete product set"
            )
        timed_out = " (the job hit its timeout)" if exit_code == 124 else ""
        raise AirflowFailException(
            f"EC2 render instance {instance_id} ran the render of {scene_id} with exit code "
            f"{exit_code}{timed_out}; nothing complete was staged.\n" + self._logs([instance_id])
        )

    def _done(self, store: Store, scene_id: str, instance_ids: list[str]) -> PokeReturnValue:
        item_uri = store.uri(staging_item_key(scene_id))
        self.log.info("The complete product set of %s is staged: %s", scene_id, item_uri)
        return PokeReturnValue(
            is_done=True,
            xcom_value={
                "backend": "ec2",
                "scene_id": scene_id,
                "item_uri": item_uri,
                "instance_ids": list(instance_ids),
            },
        )

    def _status(self, store: Store, scene_id: str, instance_ids: list[str]) -> dict | None:
        """The exit code record of one of ``instance_ids``, or None (absent, or another's)."""
        key = ec2_render_status_key(scene_id)
        if store.info(key) is None:
            return None
        try:
            status = json.loads(store.read_bytes(key))
        except ValueError:
            self.log.warning("%s is not JSON; ignoring it", store.uri(key))
            return None
        if not isinstance(status, dict) or status.get("instance_id") not in instance_ids:
            self.log.info("%s was written by another instance; ignoring it", store.uri(key))
            return None
        return status

    def _instance_states(self, instance_ids: list[str]) -> dict[str, str]:
        return instance_states(self.aws_conn_id, self.region_name, instance_ids)

    def _logs(self, instance_ids: Sequence[str]) -> str:
        return "\n".join(
            last_log_lines(
                aws_conn_id=self.aws_conn_id,
                region_name=self.region_name,
                log_group=self.log_group,
                log_stream=f"{self.log_stream_prefix}/{instance_id}",
                limit=int(self.log_lines),
            )
            for instance_id in instance_ids
        )
