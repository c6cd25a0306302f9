"""The composites DAG's ``ecs`` backend: each tile as an ECS Fargate task of the render image.

The container runs ``landsat-ops composite-tile JOB --tile N --out TILE``
(:mod:`landsat_ops.cli.composite_tile`): the same work as the local tile task
(:func:`landsat_ops.composite.staged.stage_tile`), reading the job the plan task staged and
writing the tile where the assemble task looks for it. The DAG maps
:class:`~landsat_pipeline.operators.ecs.RenderEcsTaskOperator` over
:func:`ecs_tile_arguments`'s ``overrides`` (``.partial(...).expand(overrides=...)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from landsat_ops.storage import Store
    from landsat_pipeline.composites.jobs import TileTask
    from landsat_pipeline.config import PipelineConfig

__all__ = ["OPERATOR_ARGUMENTS", "ecs_tile_arguments", "tile_command"]


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
    operator is expanded over), ``tags`` and the arguments every ECS task shares
    (:func:`landsat_pipeline.render_jobs.ecs_operator_arguments`).

    :raises ConfigError: no ``remote.ecs`` settings, or the bucket is a local folder (which a
        container cannot reach).
    """
    from landsat_pipeline import remote
    from landsat_pipeline.render_jobs import ecs_operator_arguments

    shared = ecs_operator_arguments(config)
    commands = [tile_command(store, tile) for tile in tiles]
    return {
        "commands": commands,
        "overrides": [remote.ecs_overrides(c, shared["container_name"]) for c in commands],
        **shared,
        "tags": {"landsat-ops:dag": "landsat_composites"},
    }


OPERATOR_ARGUMENTS = (
    "cluster",
    "task_definition",
    "network_configuration",
    "tags",
    "container_name",
    "awslogs_group",
    "awslogs_stream_prefix",
    "number_logs_exception",
    "aws_conn_id",
    "region_name",
    "deferrable",
    "waiter_delay",
    "waiter_max_attempts",
)
"""The keys of :func:`ecs_tile_arguments` that are ``RenderEcsTaskOperator`` arguments of the
same name (its ``awslogs_region`` is ``region_name``)."""
