"""Archive analytics: NDVI at the points of interest of every published scene, per area.

The ``landsat_ndvi_timeseries`` DAG is wiring only; the work is here:

* :func:`scenes_to_sample`: which published scenes a run samples. The published STAC
  collection of each path/row (``published/<PPP>/<RRR>/collection.json``, one item link per
  published scene) is the list of what exists; the bands are read from ``landing/<ID>/``. An
  Asset-triggered run samples the scenes named by its asset events; a manual run samples
  every published scene of the chosen areas in a date range.
* :func:`sample_landed_scene`: one scene, every point of its area
  (:func:`landsat_ops.sampling.sample_scene`: only the windows around the points are read,
  also on S3 through GDAL's ``/vsis3/``, with the credentials of the Airflow connection).
* :func:`merge_area_table`: the area's table ``published/analytics/<area>/ndvi_timeseries.csv``
  and ``.parquet``, merged with :func:`landsat_ops.timeseries.merge_rows` (a re-sampled
  scene replaces its rows, never duplicates them).
* :func:`plot_area_table`: ``ndvi_timeseries.png`` and ``ndvi_vs_cloud.png`` next to it.

The report notebook reading these tables is run by :mod:`landsat_pipeline.report_jobs`.

No Airflow operator is defined here, and nothing heavy is imported at module level.

Bucket layout (keys derive from the area, never from the clock)::

    published/analytics/<area>/ndvi_timeseries.csv|.parquet   the table
    published/analytics/<area>/ndvi_timeseries.png            NDVI over time per point
    published/analytics/<area>/ndvi_vs_cloud.png              NDVI against scene cloud cover

Tables and plots are only written when their bytes change: re-running a scene, or a whole
range, rewrites nothing that did not change.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from landsat_pipeline.config import Area, PipelineConfig
from landsat_pipeline.errors import AnalyticsError
from landsat_pipeline.hooks.bucket import open_bucket
from landsat_pipeline.keys import (
    ANALYTICS_FILES,
    LANDING_PREFIX,
    area_keys,
    collection_key,
    landing_prefix,
    path_row_of_asset,
)

if TYPE_CHECKING:
    from landsat_ops.storage import Store
    from landsat_pipeline.xcom import (
        AreaTable,
        AreaTablePlots,
        ScenesToSample,
        SceneToSample,
    )

__all__ = [
    "SAMPLE_RADIUS",
    "gdal_session",
    "landed_scene_ids",
    "merge_area_table",
    "plot_area_table",
    "published_scenes",
    "sample_landed_scene",
    "scenes_to_sample",
]

log = logging.getLogger(__name__)

SAMPLE_RADIUS = 1
"""Window half-width in pixels (3 x 3): fixed, so every row of a table means the same thing."""

_ITEM_HREF = re.compile(r"^\./(?P<date>\d{4}-\d{2}-\d{2})/(?P<id>[^/]+)\.json$")


# --------------------------------------------------------------------------------------------
# Which scenes
# --------------------------------------------------------------------------------------------


def _date(value: Any, name: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise AnalyticsError(f"{name} is {value!r} (expected a date YYYY-MM-DD)") from None


def published_scenes(store: Store, path: int, row: int) -> list[dict[str, Any]]:
    """The published scenes of a path/row, oldest first, from its STAC collection.

    Returns ``[{"scene_id", "date", "path", "row"}]``; empty when nothing is published.
    """
    key = collection_key(path, row)
    if not store.exists(key):
        return []
    try:
        collection = json.loads(store.read_bytes(key))
    except ValueError as exc:
        raise AnalyticsError(f"{store.uri(key)}: not valid JSON ({exc})") from None
    scenes = []
    for link in collection.get("links") or []:
        match = _ITEM_HREF.match(str(link.get("href", ""))) if link.get("rel") == "item" else None
        if match:
            scenes.append(
                {"scene_id": match["id"], "date": match["date"], "path": path, "row": row}
            )
    return sorted(scenes, key=lambda s: (s["date"], s["scene_id"]))


def landed_scene_ids(store: Store, bands: Sequence[str] = ("B4", "B5")) -> set[str]:
    """IDs of the scenes whose ``bands`` are all under ``landing/<ID>/`` (one listing).

    Bands are ``B<n>`` (``_B<n>.TIF`` or ``_SR_B<n>.TIF``) or ``QA`` (``_QA_PIXEL.TIF`` or
    ``_BQA.TIF``); default: red and NIR, what the NDVI samples read.
    """
    suffixes = {
        band: ("_QA_PIXEL.TIF", "_BQA.TIF") if band == "QA" else (f"_{band}.TIF",) for band in bands
    }
    found: dict[str, set[str]] = {}
    for key in store.list(LANDING_PREFIX + "/"):
        parts = key.split("/")
        if len(parts) != 3:
            continue
        name = parts[2].upper()
        for band, ends in suffixes.items():
            if name.endswith(ends):
                found.setdefault(parts[1], set()).add(band)
    return {scene_id for scene_id, seen in found.items() if seen == set(bands)}


def scenes_to_sample(
    config: PipelineConfig,
    store: Store,
    *,
    area: str | None = None,
    start: Any = None,
    end: Any = None,
    events: Sequence[Mapping[str, Any]] = (),
    require_points: bool = True,
    bands: Sequence[str] = ("B4", "B5"),
) -> ScenesToSample:
    """The scenes a run samples, and the areas whose tables it updates.

    Parameters
    ----------
    config, store
        The pipeline config and the bucket.
    area
        Only this area (default: every area with points).
    start, end
        First and last acquisition date (``YYYY-MM-DD``, inclusive; default: unbounded).
    events
        The ``extra`` of the run's triggering asset events, each with ``asset_uri`` added.
        When given, only the scenes they name are sampled (``start``/``end`` still apply);
        an event without a ``scene_id`` stands for every published scene of its path/row.
    require_points
        Leave out the areas without points (the NDVI samples); False: every area (the extent).
    bands
        The landed bands a scene needs (:func:`landed_scene_ids`); others are ``not_landed``.

    Returns
    -------
    dict
        ``scenes``: ``[{"scene_id", "date", "path", "row", "area", "landing_uri"}]`` oldest
        first; ``areas``: names of the areas that have scenes to sample; ``not_landed``:
        published scenes left out because their bands are not under ``landing/``;
        ``areas_without_points``: areas left out because they have no points.
    """
    first, last = _date(start, "start"), _date(end, "end")
    if first and last and first > last:
        raise AnalyticsError(f"start {first} is after end {last} (expected start <= end)")
    chosen = [config.area(area)] if area else list(config.areas)
    without_points = sorted(a.name for a in chosen if not a.points) if require_points else []
    for name in without_points:
        log.warning("area %s has no points of interest in %s: not sampled", name, config.source)
    by_path_row = {
        pr: a.name for a in chosen if a.points or not require_points for pr in a.path_rows
    }

    wanted: dict[str, dict[str, Any]] = {}

    def add(scene: Mapping[str, Any]) -> None:
        key = (int(scene["path"]), int(scene["row"]))
        if key not in by_path_row:
            log.info("%s: path/row %03d/%03d is in no chosen area", scene["scene_id"], *key)
            return
        day = _date(scene["date"], f"{scene['scene_id']} date")
        if (first and day < first) or (last and day > last):
            return
        wanted[scene["scene_id"]] = {
            "scene_id": scene["scene_id"],
            "date": day.isoformat(),
            "path": key[0],
            "row": key[1],
            "area": by_path_row[key],
        }

    if events:
        for extra in events:
            path_row = path_row_of_asset(extra.get("asset_uri", ""))
            if extra.get("scene_id") and extra.get("date"):
                path, row = path_row or (None, None)
                add({**extra, "path": extra.get("path", path), "row": extra.get("row", row)})
            elif path_row is not None:
                for scene in published_scenes(store, *path_row):
                    add(scene)
            else:
                log.warning("ignoring an asset event without scene nor path/row: %s", extra)
    else:
        for path, row in sorted(by_path_row):
            for scene in published_scenes(store, path, row):
                add(scene)

    landed = landed_scene_ids(store, bands) if wanted else set()
    not_landed = sorted(s for s in wanted if s not in landed)
    for scene_id in not_landed:
        log.warning(
            "%s is published but its bands %s are not all under %s: left out",
            scene_id,
            ", ".join(bands),
            store.uri(landing_prefix(scene_id)),
        )
    scenes = [
        {**scene, "landing_uri": store.uri(landing_prefix(scene_id)) + "/"}
        for scene_id, scene in sorted(wanted.items(), key=lambda kv: (kv[1]["date"], kv[0]))
        if scene_id in landed
    ]
    return {
        "scenes": scenes,
        "areas": sorted({s["area"] for s in scenes}),
        "not_landed": not_landed,
        "areas_without_points": without_points,
    }


# --------------------------------------------------------------------------------------------
# Sampling one scene
# --------------------------------------------------------------------------------------------


def gdal_session(aws_conn_id: str):
    """A rasterio ``AWSSession`` with the credentials and region of an Airflow AWS connection.

    ``/vsis3/`` reads are made by GDAL, not boto3: it gets the connection's credentials
    (which live in the connection, not necessarily in the environment) through this session,
    for the duration of the read; they are never logged nor passed through XCom.
    """
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    from rasterio.session import AWSSession

    hook = S3Hook(aws_conn_id=aws_conn_id)
    return AWSSession(session=hook.get_session(), region_name=hook.conn_region_name)


def _points(area: Area):
    return list(area.points)


def sample_landed_scene(
    scene: SceneToSample, config: PipelineConfig, *, radius: int = SAMPLE_RADIUS
) -> list[dict[str, Any]]:
    """Sample the points of the scene's area in its landed bands; one row dict per point.

    The rows are :class:`landsat_ops.sampling.SampleRow` as dicts (small: they go to XCom).
    """
    import rasterio

    from landsat_ops.sampling import sample_scene

    area = config.area(scene["area"])
    store, client = open_bucket(config.storage.root, config.storage.aws_conn_id)
    session = gdal_session(config.storage.aws_conn_id) if config.storage.is_s3 else None
    uri = scene.get("landing_uri") or store.uri(landing_prefix(scene["scene_id"])) + "/"
    with rasterio.Env(session=session):
        rows = sample_scene(uri, _points(area), radius=radius, s3_client=client)
    found = {row.scene_id for row in rows}
    if found and found != {scene["scene_id"]}:
        raise AnalyticsError(f"{uri}: holds scene {sorted(found)}, expected {scene['scene_id']}")
    log.info(
        "%s: %d points, %d with NDVI; %s",
        scene["scene_id"],
        len(rows),
        sum(1 for r in rows if r.ndvi is not None),
        "; ".join(f"{r.point_id}={r.ndvi if r.ndvi is not None else r.reason}" for r in rows),
    )
    return [row.to_dict() for row in rows]


# --------------------------------------------------------------------------------------------
# The table and its plots
# --------------------------------------------------------------------------------------------


def _write_if_changed(store, key: str, data: bytes, content_type: str) -> bool:
    from landsat_pipeline.publishing import write_if_changed

    return write_if_changed(store, key, data, content_type)


def merge_area_table(
    config: PipelineConfig, area_name: str, samples: Iterable[Iterable[Mapping[str, Any]]]
) -> AreaTable:
    """Merge the samples of one area into its published table (CSV and Parquet).

    ``samples`` holds one list of rows per sampled scene (all areas); the rows of this area's
    path/rows are merged into the existing table (:func:`~landsat_ops.timeseries.merge_rows`).
    Rows of points no longer in the config are dropped, so the table follows the reviewed
    points. Parquet is written before CSV: the CSV is what the next merge reads, so a failure
    between the two is repaired by a rerun.

    Returns
    -------
    dict
        ``area``, ``table_csv``, ``table_parquet`` (URIs), ``rows``, ``scenes``, ``points``,
        ``merged_scenes`` (the scenes of this run) and ``changed``.
    """
    from landsat_ops.timeseries import merge_rows, read_table, table_to_csv, table_to_parquet

    area = config.area(area_name)
    store, client = open_bucket(config.storage.root, config.storage.aws_conn_id)
    keys = area_keys(area.name)
    path_rows = set(area.path_rows)
    new_rows = [
        row
        for scene_rows in samples
        for row in scene_rows or []
        if (int(row["path"]), int(row["row"])) in path_rows
    ]
    existing = read_table(store.uri(keys["table_csv"]), s3_client=client, missing_ok=True)
    table = merge_rows(existing, new_rows)
    point_ids = {p.id for p in area.points}
    dropped = sorted({r["point_id"] for r in table if r["point_id"] not in point_ids})
    if dropped:
        log.warning("dropping the rows of points no longer in the config: %s", dropped)
        table = [r for r in table if r["point_id"] in point_ids]
    changed = _write_if_changed(
        store, keys["table_parquet"], table_to_parquet(table), "application/vnd.apache.parquet"
    )
    changed |= _write_if_changed(store, keys["table_csv"], table_to_csv(table), "text/csv")
    merged_scenes = sorted({r["scene_id"] for r in new_rows})
    log.info(
        "%s: merged %d samples of %d scenes; the table has %d rows of %d scenes (%s)",
        store.uri(keys["table_csv"]),
        len(new_rows),
        len(merged_scenes),
        len(table),
        len({r["scene_id"] for r in table}),
        "written" if changed else "unchanged",
    )
    return {
        "area": area.name,
        "table_csv": store.uri(keys["table_csv"]),
        "table_parquet": store.uri(keys["table_parquet"]),
        "rows": len(table),
        "scenes": len({r["scene_id"] for r in table}),
        "points": sorted({r["point_id"] for r in table}),
        "merged_scenes": merged_scenes,
        "changed": changed,
    }


def plot_area_table(config: PipelineConfig, area_name: str) -> AreaTablePlots:
    """Draw the area's table: NDVI over time per point, and NDVI against cloud cover."""
    from landsat_ops.timeseries import plot_ndvi_vs_cloud, plot_timeseries, read_table

    area = config.area(area_name)
    store, client = open_bucket(config.storage.root, config.storage.aws_conn_id)
    keys = area_keys(area.name)
    table = read_table(store.uri(keys["table_csv"]), s3_client=client)
    out: dict[str, Any] = {"area": area.name}  # AreaTablePlots, filled below
    with tempfile.TemporaryDirectory(prefix="landsat-plots-") as work:
        for name, draw in (
            ("plot_timeseries", lambda p: plot_timeseries(table, p, title=f"NDVI: {area.title}")),
            (
                "plot_ndvi_vs_cloud",
                lambda p: plot_ndvi_vs_cloud(table, p, title=f"NDVI vs cloud: {area.title}"),
            ),
        ):
            local = Path(work) / ANALYTICS_FILES[name]
            draw(local)
            _write_if_changed(store, keys[name], local.read_bytes(), "image/png")
            out[name] = store.uri(keys[name])
    return out
