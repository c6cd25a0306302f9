"""What the DAGs that work per area share (`landsat_ndvi_timeseries`, `landsat_timelapses`,
`landsat_composites`): the Assets they follow, their retry policy and their ``area`` Param.

Imported by DAG files at parse time: only the config and Airflow's task SDK.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from airflow.sdk import Asset, Param

from landsat_pipeline.config import Area, PipelineConfig
from landsat_pipeline.keys import (
    composites_asset_uri,
    published_asset_name,
    published_asset_uri,
)

__all__ = ["area_default_args", "area_param", "composites_assets", "published_assets"]


def _watches(config: PipelineConfig, areas: Sequence[Area] | None) -> list:
    names = None if areas is None else {a.name for a in areas}
    return [w for w in config.watches if names is None or w.area in names]


def published_assets(config: PipelineConfig, areas: Sequence[Area] | None = None) -> list[Asset]:
    """The Asset each watched path/row's scenes DAG updates when it publishes a scene (of
    ``areas`` only, when given)."""
    path_rows = dict.fromkeys((w.path, w.row) for w in _watches(config, areas))  # each once
    return [
        Asset(
            uri=published_asset_uri(path, row),
            name=published_asset_name(path, row),
            extra={"path": path, "row": row},
        )
        for path, row in path_rows
    ]


def composites_assets(areas: Sequence[Area]) -> list[Asset]:
    """The Asset of each area's composites (``landsat_composites`` updates it)."""
    return [
        Asset(uri=composites_asset_uri(a.name), name=f"landsat_composites_{a.name}") for a in areas
    ]


def area_default_args(config: PipelineConfig, areas: Sequence[Area] | None = None) -> dict:
    """Retries as the most patient of the watched path/rows (of ``areas``) asks: most retries,
    shortest first delay (3 and 5 minutes without any), backing off up to an hour."""
    watches = _watches(config, areas)
    return {
        "owner": "landsat-ops",
        "retries": max((w.retries for w in watches), default=3),
        "retry_delay": min((w.retry_delay for w in watches), default=datetime.timedelta(minutes=5)),
        "retry_exponential_backoff": True,
        "max_retry_delay": datetime.timedelta(hours=1),
    }


def area_param(areas: Sequence[Area], description: str) -> Param:
    """The ``area`` Param: one of ``areas``, or none (every area)."""
    return Param(
        None,
        type=["null", "string"],
        enum=[None, *(a.name for a in areas)],
        description=description,
    )
