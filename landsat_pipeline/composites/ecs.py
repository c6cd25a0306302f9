"""The composites DAG's ``ecs`` backend: each tile as an ECS Fargate task of the render image.

The container runs ``landsat-ops composite-tile JOB --tile N --out TILE``
(:mod:`landsat_ops.cli.composite_tile`): the same work as the local tile task
(:func:`landsat_ops.composite.staged.stage_tile`), reading the job the plan task staged and
writing the tile where the assemble task looks for it. The DAG maps
:class:`~landsat_pipeline.operators.ecs.RenderEcsTaskOperator` over
:func:`ecs_tile_arguments`'s ``overrides`` (``.partial(...).expand(overrides=...)``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from landsat_pipeline.errors import ConfigError

if TYPE_CHECKING:
    from landsat_ops.storage import Store
    from landsat_pipeline.composites.jobs import TileTask
    from landsat_pipeline.config import PipelineConfig

__all__ = ["ecs_tile_arguments", "tile_command"]


def tile_command(store: Store, tile: TileTask) -> list[str]:
    """The command line of one tile's container (with the ENTRYPOINT ``landsat-ops`` first):
    its job's ``job.json`` and its staged tile as bucket URIs."""
    return [
        "landsat-ops",
        "composite-tile",
        store.uri(tile["spec"]),
        "--tile",
        str(tile["index"]),
        "--out",
        store.uri(tile["key"]),
    ]


def ecs_tile_arguments(
    config: PipelineConfig, store: Store, tiles: Sequence[TileTask]
) -> dict[str, Any]:
    """The arguments of the mapped ``RenderEcsTaskOperator`` of a run's tiles (``remote.ecs``).

    Returns ``commands`` and ``overrides`` (one per tile, in the plan's order: what the
    operator is expanded over) and the operator's common ``cluster``, ``task_definition``,
    ``network_configuration``, ``container_name``, ``awslogs_group``,
    ``awslogs_stream_prefix``, ``region_name``, ``aws_conn_id``, ``deferrable``,
    ``waiter_delay``, ``waiter_max_attempts``, ``number_logs_exception`` and ``tags``.

    :raises ConfigError: no ``remote.ecs`` settings, or the bucket is a local folder (which a
        container cannot reach).
    """
    from landsat_pipeline import remote

    settings = config.remote_settings("ecs")
    if not config.storage.is_s3:
        raise ConfigError(
            f"{config.source}: storage.root is the local folder {config.storage.root!r}, which "
            "the ecs render backend cannot reach (expected s3://bucket/prefix)"
        )
    ecs = settings.ecs
    commands = [tile_command(store, tile) for tile in tiles]
    return {
        "commands": commands,
        "overrides": [remote.ecs_overrides(c, ecs.container_name) for c in commands],
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
        "tags": {"landsat-ops:dag": "landsat_composites"},
    }
