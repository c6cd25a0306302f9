"""Every bucket key and Asset URI of the pipeline, derived from the scene, path/row or area.

Nothing here reads the clock: a re-run of a logical date addresses the same objects.

::

    landing/<scene ID>/<ID>_B1.TIF ... _B7.TIF, _QA_PIXEL.TIF, _MTL.txt   bands as delivered
    landing/_records/<scene ID>.json                                      what was landed, whence
    staging/_ec2-status/<scene ID>.json                                   an EC2 render's exit code
    published/<PPP>/<RRR>/<YYYY-MM-DD>/<ID>.json                       the scene item (switched)
    published/<PPP>/<RRR>/<YYYY-MM-DD>/<ID>/<version>/<ID>_<product>.tif|.png, <ID>.json
                                                       a product set, immutable (its own item)
    published/<PPP>/<RRR>/collection.json                                  STAC, one per path/row
    published/<PPP>/<RRR>/gaps.json, gaps.html                             its gap report
    catalog.json                                                           STAC root catalog
    index.html                                                             gallery of thumbnails
    published/analytics/<area>/ndvi_timeseries.csv|.parquet                an area's NDVI table
    published/analytics/<area>/ndvi_timeseries.png, ndvi_vs_cloud.png      its plots
    published/analytics/<area>/report.ipynb|.html                          its executed report
    staging/analytics/area_report.ipynb                                    the report template
    staging/analytics/_ec2-status/<run>.json                               an EC2 report's exit code
    published/composites/<PPP>/<RRR>/<label>/p<PPP>r<RRR>_<label>.json     a path/row's composite
    published/composites/<area>/<label>/<area>_<label>.json                an area's region mosaic
        (each a switched item; its products in <id>/<version>/ beside it)
    published/composites/<PPP>/<RRR>/collection.json, <area>/collection.json   their STAC
    published/composites/catalog.json, index.html              the composites' catalog, gallery
    staging/composites/<id>/<inputs digest>/<tile>.tif         tiles until their composite is out
    published/timelapse/<PPP>/<RRR>/, published/timelapse/<area>/      time-lapse folders: each
        <name>.json (switched), <name>/<version>/<name>_truecolor.mp4|.webp ..., index.html

A render writes a new ``<version>`` folder and switches the scene's item to it with one
conditional write; nothing under a version is ever overwritten, and versions no item names are
deleted after a retention (:mod:`landsat_ops.render.destination`, docs/architecture.md).

Assets: ``landsat://published/pPPP_rRRR`` (name ``landsat_pPPP_rRRR``) is updated each time a
scene of that path/row is published; ``landsat://composites/<area>`` each time a composite of
the area is.

Composite periods are labelled ``2024-summer`` (a season) or ``2024-07`` (a month):
:mod:`landsat_ops.periods`.
"""

from __future__ import annotations

import re

__all__ = [
    "ANALYTICS_PREFIX",
    "CATALOG_KEY",
    "EC2_RENDER_STATUS_PREFIX",
    "EC2_REPORT_STATUS_PREFIX",
    "GALLERY_KEY",
    "PUBLISHED_PREFIX",
    "REPORT_TEMPLATE_KEY",
    "area_keys",
    "area_timelapse_prefix",
    "checked_id",
    "collection_key",
    "composite_keys",
    "composites_asset_uri",
    "ec2_render_status_key",
    "ec2_report_status_key",
    "executed_report_key",
    "gaps_keys",
    "landing_prefix",
    "landing_record_key",
    "mosaic_keys",
    "path_row_of_asset",
    "path_row_prefix",
    "published_asset_name",
    "published_asset_uri",
    "published_prefix",
    "timelapse_prefix",
]

LANDING_PREFIX = "landing"
STAGING_PREFIX = "staging"
PUBLISHED_PREFIX = "published"
CATALOG_KEY = "catalog.json"
GALLERY_KEY = "index.html"
EC2_RENDER_STATUS_PREFIX = f"{STAGING_PREFIX}/_ec2-status"
"""Where EC2 render instances record their exit code (outside every product folder)."""
ANALYTICS_PREFIX = f"{PUBLISHED_PREFIX}/analytics"
REPORT_TEMPLATE_KEY = f"{STAGING_PREFIX}/analytics/area_report.ipynb"
EC2_REPORT_STATUS_PREFIX = f"{STAGING_PREFIX}/analytics/_ec2-status"
EXECUTED_REPORTS_PREFIX = f"{STAGING_PREFIX}/analytics/_executed"

ANALYTICS_FILES = {
    "table_csv": "ndvi_timeseries.csv",
    "table_parquet": "ndvi_timeseries.parquet",
    "plot_timeseries": "ndvi_timeseries.png",
    "plot_ndvi_vs_cloud": "ndvi_vs_cloud.png",
    "report_ipynb": "report.ipynb",
    "report_html": "report.html",
}
"""File names of an area's analytics outputs, by role."""

_ASSET_URI = re.compile(r"^landsat://published/p(?P<path>\d{3})_r(?P<row>\d{3})$")
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def checked_id(scene_id: str) -> str:
    """``scene_id`` when it is safe in a key: letters, digits, ``_ . -``; else ValueError.

    IDs come from catalogs and Params: one like ``../../escape`` must never become a path or
    an S3 key outside its prefix.
    """
    if not isinstance(scene_id, str) or not _SAFE_ID.match(scene_id) or ".." in scene_id:
        raise ValueError(
            f"scene ID {scene_id!r} cannot name a key (expected letters, digits, '_', '.', '-')"
        )
    return scene_id


# -- scenes -----------------------------------------------------------------------------------
def landing_prefix(scene_id: str) -> str:
    """Where a scene's bands are landed."""
    return f"{LANDING_PREFIX}/{checked_id(scene_id)}"


def landing_record_key(scene_id: str) -> str:
    """The landing record of a scene: ``landing/_records/<ID>.json``, outside its folder
    (S3 prefixes are strings: ``landing/<ID>`` would also list ``landing/<ID>.json``).

    It lists each landed file's hrefs, catalog checksum, size and sha256, so a re-run knows
    what is already landed intact without downloading it again.
    """
    return f"{LANDING_PREFIX}/_records/{checked_id(scene_id)}.json"


def path_row_prefix(path: int, row: int) -> str:
    """The published products of one path/row."""
    return f"{PUBLISHED_PREFIX}/{path:03d}/{row:03d}"


def published_prefix(path: int, row: int, date: str) -> str:
    """Where a scene's product set is published (``date``: the UTC acquisition date)."""
    return f"{path_row_prefix(path, row)}/{date}"


def collection_key(path: int, row: int) -> str:
    """The STAC collection of one path/row."""
    return f"{path_row_prefix(path, row)}/collection.json"


def gaps_keys(path: int, row: int) -> dict[str, str]:
    """The gap report of one path/row (:mod:`landsat_pipeline.gaps`): ``json`` and ``html``."""
    base = path_row_prefix(path, row)
    return {"json": f"{base}/gaps.json", "html": f"{base}/gaps.html"}


def ec2_render_status_key(scene_id: str) -> str:
    """The key an EC2 render instance writes its exit code record to."""
    return f"{EC2_RENDER_STATUS_PREFIX}/{checked_id(scene_id)}.json"


# -- assets -----------------------------------------------------------------------------------
def published_asset_uri(path: int, row: int) -> str:
    """URI of the Asset the scenes DAG of a path/row updates on each published scene."""
    return f"landsat://published/p{path:03d}_r{row:03d}"


def published_asset_name(path: int, row: int) -> str:
    """Name of that Asset (what the UI shows)."""
    return f"landsat_p{path:03d}_r{row:03d}"


def path_row_of_asset(uri: str) -> tuple[int, int] | None:
    """``(path, row)`` of a :func:`published_asset_uri`; None for any other URI."""
    match = _ASSET_URI.match(uri or "")
    return (int(match["path"]), int(match["row"])) if match else None


# -- analytics --------------------------------------------------------------------------------
def area_keys(area: str) -> dict[str, str]:
    """Bucket keys of an area's table, plots and report, by role (:data:`ANALYTICS_FILES`)."""
    return {name: f"{ANALYTICS_PREFIX}/{area}/{file}" for name, file in ANALYTICS_FILES.items()}


def _safe_run_id(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id).strip("_") or "run"


def ec2_report_status_key(run_id: str) -> str:
    """Where the ec2 report job of a DAG run records its exit code (derived from the run)."""
    return f"{EC2_REPORT_STATUS_PREFIX}/{_safe_run_id(run_id)}.json"


def executed_report_key(run_id: str, area: str) -> str:
    """Where the local report of a DAG run leaves an area's executed notebook for publishing."""
    return (
        f"{EXECUTED_REPORTS_PREFIX}/{_safe_run_id(run_id)}/{area}/{ANALYTICS_FILES['report_ipynb']}"
    )


# -- composites -------------------------------------------------------------------------------
COMPOSITES_PREFIX = f"{PUBLISHED_PREFIX}/composites"
COMPOSITES_CATALOG_KEY = f"{COMPOSITES_PREFIX}/catalog.json"
COMPOSITES_GALLERY_KEY = f"{COMPOSITES_PREFIX}/index.html"
COMPOSITES_STAGING_PREFIX = f"{STAGING_PREFIX}/composites"


def _composite(base: str, composite_id: str, label: str, digest: str | None) -> dict[str, str]:
    out = {
        "id": composite_id,
        "dest": f"{base}/{label}",
        "item": f"{base}/{label}/{composite_id}.json",
        "collection": f"{base}/collection.json",
        "staging": f"{COMPOSITES_STAGING_PREFIX}/{composite_id}",
    }
    if digest is not None:
        out["tiles"] = f"{out['staging']}/{checked_id(digest)}"
    return out


def composite_keys(path: int, row: int, label: str, digest: str | None = None) -> dict[str, str]:
    """A path/row's composite of the period ``label``: its ``id`` (``p226r010_2024-summer``),
    ``dest`` (the folder its item is switched in), ``item``, ``collection``, ``staging`` (its
    tiles' folder) and, with the digest of its inputs, ``tiles`` (this set of inputs' tiles)."""
    composite_id = checked_id(f"p{path:03d}r{row:03d}_{label}")
    return _composite(f"{COMPOSITES_PREFIX}/{path:03d}/{row:03d}", composite_id, label, digest)


def mosaic_keys(area: str, label: str, digest: str | None = None) -> dict[str, str]:
    """An area's region mosaic of the period ``label`` (``scoresby_sund_2024-summer``): the
    same roles as :func:`composite_keys`."""
    composite_id = checked_id(f"{area}_{label}")
    return _composite(f"{COMPOSITES_PREFIX}/{checked_id(area)}", composite_id, label, digest)


def composites_asset_uri(area: str) -> str:
    """URI of the Asset updated each time a composite or mosaic of ``area`` is published."""
    return f"landsat://composites/{area}"


# -- time-lapses ------------------------------------------------------------------------------
TIMELAPSE_PREFIX = f"{PUBLISHED_PREFIX}/timelapse"


def timelapse_prefix(path: int, row: int) -> str:
    """The time-lapse folder of a path/row (its items, versions and ``index.html``)."""
    return f"{TIMELAPSE_PREFIX}/{path:03d}/{row:03d}"


def area_timelapse_prefix(area: str) -> str:
    """The time-lapse folder of an area."""
    return f"{TIMELAPSE_PREFIX}/{checked_id(area)}"
