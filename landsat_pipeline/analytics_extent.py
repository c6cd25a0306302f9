"""Archive analytics: the snow/ice and water extent of every published scene, per area.

The ``landsat_ndvi_timeseries`` DAG runs these beside the NDVI samples
(:mod:`landsat_pipeline.analytics`), on the same published scenes:

* :func:`scenes_to_measure`: the published scenes of every chosen area (with or without points)
  whose green, NIR, SWIR1 and QA bands are under ``landing/<ID>/``
  (:data:`EXTENT_LANDED`); the others are logged and left out.
* :func:`measure_landed_scene`: one scene, over its path/row and the area's polygons: the
  figures its render recorded in the published item (``landsat_ops:extent``, the ``extent``
  product) when they cover the area's polygons as configured now (same
  ``polygons_sha256``), one small read; else measured from the landed bands
  (:func:`landsat_ops.extent.measure_scene`, strips read in place, also on S3: scenes
  rendered without the extent product, or before the polygons changed). XCom: one small row
  per region.
* :func:`merge_extent_table`: ``published/analytics/<area>/extent.csv`` and ``.parquet``
  (a re-measured scene replaces its rows; rows of polygons no longer configured are dropped),
  with the rows of the area's path/row composites (kind ``composite``, one per period: the
  ``landsat_ops:extent`` of their published items, :func:`composite_extent_rows`; no band
  read).
* :func:`publish_extent_page`: ``extent.png`` (area over time per region) and ``extent.html``
  (the gallery's page: the plot, the latest clear values, the table's files).

Bucket layout (keys derive from the area)::

    published/analytics/<area>/extent.csv|.parquet   the table
    published/analytics/<area>/extent.png            snow/ice and water over time per region
    published/analytics/<area>/extent.html           the page

Everything is written only when its bytes change. No Airflow import at module level.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from landsat_pipeline.analytics import gdal_session, scenes_to_sample
from landsat_pipeline.config import PipelineConfig
from landsat_pipeline.errors import AnalyticsError
from landsat_pipeline.hooks.bucket import open_bucket
from landsat_pipeline.keys import (
    ANALYTICS_PREFIX,
    COMPOSITES_PREFIX,
    landing_prefix,
    published_prefix,
)

__all__ = [
    "EXTENT_FILES",
    "EXTENT_LANDED",
    "composite_extent_rows",
    "extent_keys",
    "item_extent",
    "measure_landed_scene",
    "merge_extent_table",
    "publish_extent_page",
    "scenes_to_measure",
]

log = logging.getLogger(__name__)

EXTENT_LANDED = ("B3", "B5", "B6", "QA")
"""The landed files the extent reads: green, NIR, SWIR1 and the QA band (and the MTL)."""
EXTENT_FILES = {
    "extent_csv": "extent.csv",
    "extent_parquet": "extent.parquet",
    "extent_png": "extent.png",
    "extent_html": "extent.html",
}
"""File names of an area's extent outputs, by role (next to its NDVI table)."""


def extent_keys(area: str) -> dict[str, str]:
    """Bucket keys of an area's extent table, plot and page, by role (:data:`EXTENT_FILES`)."""
    return {name: f"{ANALYTICS_PREFIX}/{area}/{file}" for name, file in EXTENT_FILES.items()}


def _write_if_changed(store, key: str, data: bytes, content_type: str) -> bool:
    from landsat_pipeline.publishing import write_if_changed

    return write_if_changed(store, key, data, content_type)


def scenes_to_measure(
    config: PipelineConfig,
    store,
    *,
    area: str | None = None,
    start: Any = None,
    end: Any = None,
    events: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The scenes a run measures (every chosen area) and those whose bands are not landed.

    Same selection as :func:`landsat_pipeline.analytics.scenes_to_sample` (asset events or a
    date range), for every area, needing :data:`EXTENT_LANDED` under ``landing/<ID>/``.
    """
    return scenes_to_sample(
        config,
        store,
        area=area,
        start=start,
        end=end,
        events=events,
        require_points=False,
        bands=EXTENT_LANDED,
    )


def item_extent(store, scene: Mapping[str, Any], polygons: Sequence) -> Any:
    """The :class:`~landsat_ops.extent.SceneExtent` the scene's render recorded in its
    published item, or None: no item, no ``landsat_ops:extent`` (rendered without the
    ``extent`` product), or recorded for other polygons than ``polygons``."""
    import json

    from landsat_ops.extent.measure import SceneExtent
    from landsat_ops.extent.polygons import polygons_digest

    key = f"{published_prefix(scene['path'], scene['row'], scene['date'])}/{scene['scene_id']}.json"
    if not store.exists(key):
        return None
    item = json.loads(store.read_bytes(key))
    fields = (item.get("properties") or {}).get("landsat_ops:extent")
    if not fields or item.get("id") != scene["scene_id"]:
        return None
    wanted = polygons_digest(polygons) if polygons else None
    if fields.get("polygons_sha256") != wanted:
        log.info("%s: its item's extent is of other polygons: measured again", scene["scene_id"])
        return None
    return SceneExtent.from_stac(item, int(scene["path"]), int(scene["row"]))


def measure_landed_scene(scene: Mapping[str, Any], config: PipelineConfig) -> list[dict[str, Any]]:
    """The extent of one scene over its path/row and its area's polygons; its table rows.

    From the published item when its render recorded them for these polygons
    (:func:`item_extent`), else measured from the landed bands. A polygon with no pixel on
    the scene fails the task (a config error) when the area has one path/row; an area of
    several path/rows skips it on the path/rows it does not touch (the render does the same
    with the polygons the pipeline gives it).
    """
    area = config.area(scene["area"])
    store, client = open_bucket(config.storage.root, config.storage.aws_conn_id)
    result = item_extent(store, scene, area.polygons)
    source = "its published item"
    if result is None:
        import rasterio

        from landsat_ops.extent import measure_scene

        session = gdal_session(config.storage.aws_conn_id) if config.storage.is_s3 else None
        uri = scene.get("landing_uri") or store.uri(landing_prefix(scene["scene_id"])) + "/"
        outside = "skip" if len(area.path_rows) > 1 else "error"
        with rasterio.Env(session=session):
            result = measure_scene(uri, area.polygons, outside=outside, s3_client=client)
        source = f"the bands under {uri}"
    if result.scene_id != scene["scene_id"]:
        raise AnalyticsError(
            f"{source}: holds scene {result.scene_id}, expected {scene['scene_id']}"
        )
    rows = result.rows()
    log.info(
        "%s (from %s): %s",
        scene["scene_id"],
        source,
        "; ".join(
            f"{r['region']}: snow/ice {r['snow_ice_km2']:.1f} km2, water {r['water_km2']:.1f} "
            f"km2, clear {r['clear_fraction']:.0%}"
            for r in rows
        ),
    )
    return rows


def composite_extent_rows(store, path_rows: Iterable[tuple[int, int]]) -> list[dict[str, Any]]:
    """The table rows of the published composites of ``path_rows`` (every period): the
    ``landsat_ops:extent`` their items record (:func:`landsat_ops.extent.table.composite_rows`);
    a composite published before composites carried their extent gives none."""
    import json

    from landsat_ops.extent.table import composite_rows

    rows: list[dict[str, Any]] = []
    for path, row in sorted(set(path_rows)):
        prefix = f"{COMPOSITES_PREFIX}/{path:03d}/{row:03d}/"
        for key in store.list(prefix):
            parts = key[len(prefix) :].split("/")
            if len(parts) != 2 or parts[1] != f"p{path:03d}r{row:03d}_{parts[0]}.json":
                continue  # the collection, version folders: only the switched items
            rows += composite_rows(json.loads(store.read_bytes(key)))
    return rows


def merge_extent_table(
    config: PipelineConfig, area_name: str, measured: Iterable[Iterable[Mapping[str, Any]]]
) -> dict[str, Any]:
    """Merge the measured rows of one area into its published extent table (CSV and Parquet).

    Parquet is written before CSV: the CSV is what the next merge reads.

    Returns
    -------
    dict
        ``area``, ``table_csv``, ``table_parquet`` (URIs), ``rows``, ``scenes``, ``regions``,
        ``merged_scenes`` and ``changed``.
    """
    from landsat_ops.extent.table import (
        extent_to_csv,
        extent_to_parquet,
        merge_extent_rows,
        read_extent_table,
    )

    area = config.area(area_name)
    store, client = open_bucket(config.storage.root, config.storage.aws_conn_id)
    keys = extent_keys(area.name)
    path_rows = set(area.path_rows)
    new_rows = [
        row
        for scene_rows in measured
        for row in scene_rows or []
        if (int(row["path"]), int(row["row"])) in path_rows
    ]
    new_rows += composite_extent_rows(store, path_rows)
    existing = read_extent_table(store.uri(keys["extent_csv"]), s3_client=client, missing_ok=True)
    table = merge_extent_rows(existing, new_rows)
    regions = {"path_row", *(p.name for p in area.polygons)}
    dropped = sorted({r["region"] for r in table if r["region"] not in regions})
    if dropped:
        log.warning("dropping the rows of polygons no longer in the config: %s", dropped)
        table = [r for r in table if r["region"] in regions]
    changed = _write_if_changed(
        store, keys["extent_parquet"], extent_to_parquet(table), "application/vnd.apache.parquet"
    )
    changed |= _write_if_changed(store, keys["extent_csv"], extent_to_csv(table), "text/csv")
    merged = sorted({r["scene_id"] for r in new_rows})
    log.info(
        "%s: merged %d rows of %d scenes; the table has %d rows of %d scenes (%s)",
        store.uri(keys["extent_csv"]),
        len(new_rows),
        len(merged),
        len(table),
        len({r["scene_id"] for r in table}),
        "written" if changed else "unchanged",
    )
    return {
        "area": area.name,
        "table_csv": store.uri(keys["extent_csv"]),
        "table_parquet": store.uri(keys["extent_parquet"]),
        "rows": len(table),
        "scenes": len({r["scene_id"] for r in table}),
        "regions": sorted({r["region"] for r in table}),
        "merged_scenes": merged,
        "changed": changed,
    }


def publish_extent_page(config: PipelineConfig, area_name: str) -> dict[str, str]:
    """Draw the area's extent table (``extent.png``) and write its page (``extent.html``)."""
    from landsat_ops.extent.page import extent_page
    from landsat_ops.extent.plots import plot_extent
    from landsat_ops.extent.table import read_extent_table

    area = config.area(area_name)
    store, client = open_bucket(config.storage.root, config.storage.aws_conn_id)
    keys = extent_keys(area.name)
    table = read_extent_table(store.uri(keys["extent_csv"]), s3_client=client)
    present = {r["region"] for r in table}
    regions = [r for r in ("path_row", *(p.name for p in area.polygons)) if r in present]
    title = f"Snow/ice and water extent: {area.title}"
    with tempfile.TemporaryDirectory(prefix="landsat-extent-") as work:
        local = Path(work) / EXTENT_FILES["extent_png"]
        plot_extent(table, local, regions=regions, title=title)
        _write_if_changed(store, keys["extent_png"], local.read_bytes(), "image/png")
    page = extent_page(
        table,
        title=title,
        plot=EXTENT_FILES["extent_png"],
        files={
            "table (CSV)": EXTENT_FILES["extent_csv"],
            "table (Parquet)": EXTENT_FILES["extent_parquet"],
        },
    )
    _write_if_changed(store, keys["extent_html"], page, "text/html; charset=utf-8")
    from landsat_pipeline.publishing.root import link_from_root, page_link

    link_from_root(store, page_link(keys["extent_html"], title))
    return {
        "area": area.name,
        "extent_png": store.uri(keys["extent_png"]),
        "extent_html": store.uri(keys["extent_html"]),
    }
