"""What the DAGs that work per area share (`landsat_ndvi_timeseries`, `landsat_timelapses`,
`landsat_composites`): the Assets they follow, their retry policy and their ``area`` Param.

Imported by DAG files at parse time: only the config and Airflow's task SDK.
"""

from __future__ import annotations

import datetime

from airflow.sdk import Asset, Param

from landsat_pipeline.config import PipelineConfig
from landsat_pipeline.keys import (
    composites_asset_uri,
    published_asset_name,
    published_asset_uri,
)

__all__ = ["area_default_args", "area_param", "composites_assets", "published_assets"]


def published_assets(config: PipelineConfig) -> list[Asset]:
    """The Asset each watched path/row's scenes DAG updates when it publishes a scene."""
    return [
        Asset(
            uri=published_asset_uri(w.path, w.row),
            name=published_asset_name(w.path, w.row),
            extra={"path": w.path, "row": w.row},
        )
        for w in config.watches
    ]


def composites_assets(config: PipelineConfig) -> list[Asset]:
    """The Asset of each area's composites (``landsat_composites`` updates it)."""
    return [
        Asset(uri=composites_asset_uri(a.name), name=f"landsat_composites_{a.name}")
        for a in config.areas
    ]


def area_default_args(config: PipelineConfig) -> dict:
    """Retries as the most patient of the watched path/rows asks (most retries, shortest
    first delay), backing off exponentially up to an hour."""
    return {
        "owner": "landsat-ops",
        "retries": max(w.retries for w in config.watches),
        "retry_delay": min(w.retry_delay for w in config.watches),
        "retry_exponential_backoff": True,
        "max_retry_delay": datetime.timedelta(hours=1),
    }


def area_param(config: PipelineConfig, description: str) -> Param:
    """The ``area`` Param: one of the config's areas, or none (every area)."""
    return Param(
        None,
        type=["null", "string"],
        enum=[None, *(a.name for a in config.areas)],
        description=description,
    )
