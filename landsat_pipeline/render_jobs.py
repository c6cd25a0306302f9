"""The remote render of one scene: the ECS task's and the EC2 instance's arguments.

Both run the render image's contract command (:func:`landsat_pipeline.remote.render_command`)
on the scene landed in ``landing/<ID>/``, writing a new version of its products under
``published/<PPP>/<RRR>/<DATE>/<ID>/`` and switching the scene's item to it (the render does
that itself: :mod:`landsat_ops.render.destination`); ``publish`` then proceeds as after a local
render. The DAG's ``prepare_<backend>`` tasks return these arguments, read
from the config's ``remote`` section at run time; the operators take them from XCom:

* :func:`ecs_task_arguments`: :class:`~landsat_pipeline.operators.ecs.RenderEcsTaskOperator`'s
  (:func:`ecs_operator_arguments`: those every ECS task shares, also the composites DAG's).
* :func:`ec2_launch_arguments`: ``EC2CreateInstanceOperator``'s, and
  :class:`~landsat_pipeline.sensors.ec2.Ec2JobSensor`'s. The instance reports
  ``{"exit_code": N, "instance_id": ..., "image": ...}`` to
  :func:`~landsat_pipeline.keys.ec2_render_status_key` (see
  :func:`landsat_pipeline.remote.ec2_user_data`).
* :func:`published_set_reason`: why not to launch (the scene's item already names the complete
  set this config renders, e.g. published by a previous try); the DAG skips the launch on it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from landsat_pipeline.errors import ConfigError
from landsat_pipeline.keys import ec2_render_status_key, published_prefix

if TYPE_CHECKING:
    from landsat_ops.storage import Store
    from landsat_pipeline.config import PipelineConfig, RemoteSettings
    from landsat_pipeline.xcom import Ec2LaunchArguments, EcsTaskArguments, Scene

__all__ = [
    "ec2_launch_arguments",
    "ecs_operator_arguments",
    "ecs_task_arguments",
    "published_set_reason",
    "render_polygons",
]


def render_polygons(config: PipelineConfig, path: int, row: int) -> dict:
    """The render's ``polygons`` and ``skip_outside`` for a path/row: its area's polygons
    (``areas.<name>.polygons``), whose extent the ``extent`` product reports. In an area of
    several path/rows a polygon off this one is left out; in an area of one it is an error
    (the config is wrong), as in the analytics DAG. Nothing when the path/row's products
    leave ``extent`` out."""
    watch = config.watch(path, row)
    area = config.area(watch.area)
    if not area.polygons or "extent" not in watch.products:
        return {}
    return {"polygons": area.polygons, "skip_outside": len(area.path_rows) > 1}


def _remote(config: PipelineConfig, backend: str) -> RemoteSettings:
    """``config.remote_settings(backend)``, on an S3 bucket; else :class:`ConfigError`."""
    remote = config.remote_settings(backend)
    if not config.storage.is_s3:
        raise ConfigError(
            f"{config.source}: storage.root is the local folder {config.storage.root!r}, which "
            f"the {backend} render backend cannot reach (expected s3://bucket/prefix)"
        )
    return remote


def _command(config: PipelineConfig, store: Store, scene: Scene, landing_uri: str) -> list[str]:
    from landsat_pipeline import remote

    watch = config.watch(scene["path"], scene["row"])
    return remote.render_command(
        landing_uri.rstrip("/") + "/",
        store.uri(published_prefix(scene["path"], scene["row"], scene["date"])) + "/",
        products=watch.products,
        percentiles=watch.percentiles,
        preview_size=watch.preview_size,
        **render_polygons(config, scene["path"], scene["row"]),
    )


def ecs_operator_arguments(config: PipelineConfig) -> dict:
    """The ``RenderEcsTaskOperator`` arguments every ECS task of this config shares
    (``remote.ecs``): ``cluster``, ``task_definition``, ``network_configuration``,
    ``container_name``, ``awslogs_group``, ``awslogs_stream_prefix``, ``region_name``,
    ``aws_conn_id``, ``deferrable``, ``waiter_delay``, ``waiter_max_attempts`` and
    ``number_logs_exception``.

    :raises ConfigError: no ``remote.ecs`` settings, or the bucket is a local folder.
    """
    settings = _remote(config, "ecs")
    ecs = settings.ecs
    return {
        "cluster": ecs.cluster,
        "task_definition": ecs.task_definition,
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
    }


def ecs_task_arguments(
    config: PipelineConfig, store: Store, scene: Scene, landing_uri: str
) -> EcsTaskArguments:
    """The arguments of ``RenderEcsTaskOperator`` that render ``scene`` (``remote.ecs``).

    Returns ``command`` (the full contract command line, for the record), ``overrides``,
    ``tags`` and the shared arguments of :func:`ecs_operator_arguments`.

    :raises ConfigError: no ``remote.ecs`` settings, or the bucket is a local folder.
    """
    from landsat_pipeline import remote

    shared = ecs_operator_arguments(config)
    command = _command(config, store, scene, landing_uri)
    return {
        "command": command,
        **shared,
        "overrides": remote.ecs_overrides(command, shared["container_name"]),
        "tags": {"landsat-ops:scene": scene["scene_id"]},
    }


def ec2_launch_arguments(
    config: PipelineConfig, store: Store, scene: Scene, landing_uri: str
) -> Ec2LaunchArguments:
    """The arguments of the EC2 launch, wait and teardown tasks for ``scene`` (``remote.ec2``).

    Returns ``command`` (for the record), ``image_id`` and ``config`` (for
    ``EC2CreateInstanceOperator``: :func:`landsat_pipeline.remote.ec2_instance_config` with the
    user data of :func:`landsat_pipeline.remote.ec2_user_data`), ``region_name``,
    ``aws_conn_id``, ``status_uri``, and ``Ec2JobSensor``'s ``bucket_uri``,
    ``bucket_conn_id``, ``status_key``, ``expected``, ``log_group``, ``log_stream_prefix``,
    ``log_lines``, ``poll_seconds``, ``timeout_minutes`` and ``deferrable``.

    :raises ConfigError: no ``remote.ec2`` settings, or the bucket is a local folder.
    """
    from landsat_pipeline import remote

    settings = _remote(config, "ec2")
    ec2 = settings.ec2
    scene_id = scene["scene_id"]
    command = _command(config, store, scene, landing_uri)
    status_key = ec2_render_status_key(scene_id)
    status_uri = store.uri(status_key)
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
    products = config.watch(scene["path"], scene["row"]).products
    item_key = published_item_key(scene)
    return {
        "command": command,
        "image_id": ec2.ami,
        "config": instance,
        "region_name": settings.region,
        "aws_conn_id": settings.aws_conn_id,
        "status_uri": status_uri,
        "bucket_uri": config.storage.root,
        "bucket_conn_id": config.storage.aws_conn_id,
        "status_key": status_key,
        "expected": {
            "kind": "render",
            "scene_id": scene_id,
            "products": list(products),
            "item_key": item_key,
            "item_before": store.version(item_key),
        },
        "log_group": settings.log_group,
        "log_stream_prefix": ec2.log_stream_prefix,
        "log_lines": ec2.log_lines,
        "poll_seconds": ec2.poll_seconds,
        "timeout_minutes": ec2.timeout_minutes,
        "deferrable": ec2.deferrable,
    }


def published_item_key(scene: Mapping) -> str:
    """The key of the scene's published (switched) STAC item."""
    from landsat_ops.products import item_name

    prefix = published_prefix(scene["path"], scene["row"], scene["date"])
    return f"{prefix}/{item_name(scene['scene_id'])}"


def published_set_reason(
    store: Store, scene: Mapping, products: Sequence[str], percentiles: Sequence[float]
) -> str | None:
    """Why a remote render need not be launched: the scene's item already names the complete
    set this config renders (a previous try published it); else None."""
    from landsat_pipeline.publishing import published_status

    done, why = published_status(store, scene, products=products, percentiles=tuple(percentiles))
    if done:
        return f"{why} (published by a previous try): not launching a render again"
    return None
