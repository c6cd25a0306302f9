"""The time-lapses of the configured areas: which to make, and making one in the worker.

For every area, one time-lapse per path/row (``published/timelapse/<PPP>/<RRR>/``) and per
period rule, and, when the area spans several path/rows or has a CRS of its own, one of the
area (``published/timelapse/<area>/``), built by :func:`landsat_ops.timelapse.make_timelapse`
from the published scene items (``published/<PPP>/<RRR>/``) and the composites
(``published/composites/<PPP>/<RRR>/``, the area's mosaics ``published/composites/<area>/``).

The period rules and the CRS are the area's ``composites`` settings (``periods``, ``crs``), so
a frame and its composite cover the same days; an area without them gets one frame per summer
(:data:`DEFAULT_PERIODS`) on the first source's grid. The years are those of the
published items. A job is a small JSON-able :class:`TimelapseJob` (XCom); credentials never
travel in it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

from landsat_pipeline.config import Area, PipelineConfig
from landsat_pipeline.keys import (
    area_timelapse_prefix,
    composite_keys,
    mosaic_keys,
    path_row_of_asset,
    path_row_prefix,
    timelapse_prefix,
)

__all__ = [
    "DEFAULT_PERIODS",
    "TimelapseJob",
    "TimelapseMade",
    "area_settings",
    "build_timelapse",
    "timelapse_jobs",
]

log = logging.getLogger(__name__)

DEFAULT_PERIODS = {"summer": "06-01..09-30"}
"""The period rule of an area without ``composites.periods``: one frame per summer."""
_COMPOSITES_ASSET = "landsat://composites/"


class TimelapseJob(TypedDict):
    """One time-lapse to make (keys relative to the bucket root)."""

    name: str
    title: str
    period: str
    """``NAME=RULE``, e.g. ``summer=06-01..09-30``."""
    scene_prefixes: list[str]
    composite_prefixes: list[str]
    out_prefix: str
    crs: str | None


class TimelapseMade(TypedDict):
    """What one job published."""

    name: str
    item_uri: str
    page_uri: str
    frames: int
    gaps: int
    seconds: float


def area_settings(area: Area) -> tuple[dict[str, str], str | None]:
    """The area's period rules (name -> rule) and CRS: those of its ``composites`` section
    (:class:`~landsat_pipeline.config.composites.CompositeSettings`), else
    :data:`DEFAULT_PERIODS` and no CRS of its own."""
    if area.composites is None:
        return dict(DEFAULT_PERIODS), None
    return {spec.name: spec.describe() for spec in area.composites.periods}, area.composites.crs


def _folder(key: str) -> str:
    return key.rpartition("/")[0]


def _area_jobs(area: Area) -> list[TimelapseJob]:
    periods, crs = area_settings(area)
    jobs: list[TimelapseJob] = []
    for name, rule in periods.items():
        period = f"{name}={rule}"
        for path, row in area.path_rows:
            jobs.append(
                TimelapseJob(
                    name=f"p{path:03d}r{row:03d}_{name}",
                    title=f"{area.title}: path {path:03d} row {row:03d}, {name}",
                    period=period,
                    scene_prefixes=[path_row_prefix(path, row)],
                    # The folder of the path/row's composites (their collection is in it).
                    composite_prefixes=[_folder(composite_keys(path, row, "x")["collection"])],
                    out_prefix=timelapse_prefix(path, row),
                    crs=None,
                )
            )
        if len(area.path_rows) > 1 or crs:
            jobs.append(
                TimelapseJob(
                    name=f"{area.name}_{name}",
                    title=f"{area.title}, {name}",
                    period=period,
                    scene_prefixes=[path_row_prefix(p, r) for p, r in area.path_rows],
                    composite_prefixes=[_folder(mosaic_keys(area.name, "x")["collection"])],
                    out_prefix=area_timelapse_prefix(area.name),
                    crs=crs,
                )
            )
    return jobs


def timelapse_jobs(
    config: PipelineConfig,
    *,
    area: str | None = None,
    events: Iterable[Mapping[str, Any]] = (),
) -> list[TimelapseJob]:
    """The time-lapses to (re)make: the areas of the asset events' path/rows or composites,
    else ``area``, else every area."""
    names: set[str] = set()
    for event in events:
        uri = str(event.get("asset_uri") or "")
        path_row = path_row_of_asset(uri)
        if path_row is not None:
            names.add(config.watch(*path_row).area)
        elif uri.startswith(_COMPOSITES_ASSET):
            names.add(uri.removeprefix(_COMPOSITES_ASSET))
    if area is not None:
        names = {config.area(area).name}
    elif not names:
        names = {a.name for a in config.areas}
    jobs = [job for a in config.areas if a.name in names for job in _area_jobs(a)]
    log.info("%d time-lapses of %s", len(jobs), sorted(names))
    return jobs


def build_timelapse(config: PipelineConfig, job: TimelapseJob) -> TimelapseMade:
    """Make and publish one time-lapse (in the worker).

    Bad input raises :class:`landsat_ops.timelapse.TimelapseError` (one line). On S3, GDAL
    reads the COGs with the credentials of the config's Airflow connection.
    """
    import rasterio

    from landsat_ops.timelapse import make_timelapse, parse_period_spec
    from landsat_pipeline.analytics import gdal_session
    from landsat_pipeline.hooks.bucket import open_bucket

    store, _ = open_bucket(config.storage.root, config.storage.aws_conn_id)
    session = gdal_session(config.storage.aws_conn_id) if config.storage.is_s3 else None
    with rasterio.Env(session=session):
        result = make_timelapse(
            store,
            name=job["name"],
            spec=parse_period_spec(job["period"]),
            out_prefix=job["out_prefix"],
            scene_prefixes=job["scene_prefixes"],
            composite_prefixes=job["composite_prefixes"],
            title=job["title"],
            crs=job["crs"],
        )
    from landsat_pipeline.publishing.root import link_from_root, page_link

    page_key = f"{job['out_prefix']}/index.html"
    link_from_root(store, page_link(page_key, f"Time-lapse: {job['title']}"))
    return TimelapseMade(
        name=job["name"],
        item_uri=result.item_uri,
        page_uri=result.page_uri,
        frames=result.frames,
        gaps=result.gaps,
        seconds=round(result.seconds, 2),
    )
