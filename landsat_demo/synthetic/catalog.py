"""A local static STAC catalog of synthetic scenes, one per real overpass of a path/row."""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path

import numpy as np
import rasterio

from landsat_demo.synthetic.geometry import PIXEL_SIZE, footprint_corners
from landsat_demo.synthetic.mtl import BANDS, product_id_for
from landsat_demo.synthetic.scene import make_scene
from landsat_ops.errors import OptionError, StorageError

__all__ = ["ASSET_KEYS", "CATALOG_COLLECTION", "make_catalog", "scene_item"]

ASSET_KEYS = {
    "coastal": "B1",
    "blue": "B2",
    "green": "B3",
    "red": "B4",
    "nir08": "B5",
    "swir16": "B6",
    "swir22": "B7",
    "qa_pixel": "QA_PIXEL",
    "mtl.txt": "MTL",
}
"""Earth Search asset key -> file suffix of the scene (``<product ID>_<suffix>.TIF``)."""
CATALOG_COLLECTION = "landsat-c2-l1"
"""Collection ID of the catalog made by :func:`make_catalog`."""

# --------------------------------------------------------------------------------------------
# make_catalog: a static STAC catalog of synthetic scenes
# --------------------------------------------------------------------------------------------


def _scene_complete(folder: Path) -> bool:
    pid = folder.name
    needed = [f"{pid}_B{b}.TIF" for b in BANDS] + [f"{pid}_QA_PIXEL.TIF", f"{pid}_MTL.txt"]
    return all((folder / name).is_file() for name in needed)


def _catalog_seed(path: int, row: int, at: datetime.datetime) -> int:
    return int(f"{at:%Y%m%d}") * 1_000_000 + path * 1000 + row


def _terrain_seed(path: int, row: int) -> int:
    """One land per path/row: every date of a catalog shows the same place."""
    return path * 1000 + row


def _catalog_cloud_cover(seed: int) -> float:
    return round(float(np.random.default_rng([seed, 54321]).uniform(0.0, 80.0)), 1)


def scene_item(folder: Path):
    """A pystac Item for a synthetic scene folder (absolute asset hrefs)."""
    import pystac
    from rasterio.warp import transform_geom

    from landsat_ops.scene import read_mtl

    pid = folder.name
    metadata = read_mtl(folder / f"{pid}_MTL.txt")
    with rasterio.open(folder / f"{pid}_B1.TIF") as src:
        crs, transform, width, height = src.crs, src.transform, src.width, src.height
    ring = [transform @ corner for corner in footprint_corners(width, height)]
    ring.append(ring[0])
    geometry = transform_geom(crs, "EPSG:4326", {"type": "Polygon", "coordinates": [ring]})
    geometry = {"type": "Polygon", "coordinates": [[list(p) for p in geometry["coordinates"][0]]]}
    lons = [p[0] for p in geometry["coordinates"][0]]
    lats = [p[1] for p in geometry["coordinates"][0]]
    sid = metadata.scene_id
    epsg = crs.to_epsg()
    item = pystac.Item(
        id=pid,
        geometry=geometry,
        bbox=[min(lons), min(lats), max(lons), max(lats)],
        datetime=metadata.acquired,
        properties={
            "platform": "landsat-8",
            "instruments": ["oli", "tirs"],
            "constellation": "landsat",
            "gsd": PIXEL_SIZE,
            "eo:cloud_cover": metadata.cloud_cover,
            "view:sun_azimuth": metadata.sun_azimuth,
            "view:sun_elevation": metadata.sun_elevation,
            "proj:epsg": epsg,
            "proj:shape": [height, width],
            "proj:transform": list(transform)[:6],
            "landsat:cloud_cover_land": metadata.cloud_cover_land,
            "landsat:wrs_type": "2",
            "landsat:wrs_path": f"{sid.path:03d}",
            "landsat:wrs_row": f"{sid.row:03d}",
            "landsat:collection_category": sid.category,
            "landsat:collection_number": f"{sid.collection:02d}",
            "landsat:correction": sid.processing_level,
            "landsat:product_generated": f"{sid.processed:%Y-%m-%d}T12:00:00Z",
        },
        stac_extensions=[
            "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
            "https://stac-extensions.github.io/view/v1.0.0/schema.json",
            "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
            "https://stac-extensions.github.io/landsat/v2.0.0/schema.json",
        ],
        collection=CATALOG_COLLECTION,
    )
    for key, suffix in ASSET_KEYS.items():
        if suffix == "MTL":
            name, media, roles = f"{pid}_MTL.txt", "text/plain", ["metadata"]
        else:
            name, media = f"{pid}_{suffix}.TIF", "image/tiff; application=geotiff"
            roles = ["data"] if suffix.startswith("B") else ["cloud", "snow-ice", "water"]
        item.add_asset(
            key,
            pystac.Asset(href=str((folder / name).resolve()), media_type=media, roles=roles),
        )
    return item


_ITEM_DIR = re.compile(r"LC08_L1TP_\d{6}_\d{8}_\d{8}_02_T1")


def make_catalog(
    root: str | Path,
    *,
    path: int = 226,
    row: int = 10,
    start: datetime.date,
    end: datetime.date,
    width: int = 600,
    height: int = 600,
    max_scenes: int | None = None,
) -> Path:
    """Make small synthetic scenes of every overpass in [start, end] and a STAC catalog.

    Scenes go to ``root/scenes/<product ID>/``: one land per path/row, the weather seeded by the
    date (cloud cover 0-80 % varying
    from date to date); the catalog is ``root/catalog.json`` with one collection
    ``landsat-c2-l1`` and one item per scene: Earth Search style properties (``platform``
    ``"landsat-8"``, ``eo:cloud_cover``, ``landsat:wrs_path`` ``"226"``, ``landsat:wrs_row``
    ``"010"``, ``proj:epsg`` ...), asset keys ``coastal``, ``blue``, ``green``, ``red``,
    ``nir08``, ``swir16``, ``swir22``, ``qa_pixel``, ``mtl.txt`` and relative hrefs
    (self-contained: the folder can be moved).

    Idempotent: scenes already present are reused, and the catalog is rewritten with the
    same content.

    Parameters
    ----------
    root : str or Path
        Catalog folder (created if missing).
    path, row : int
        WRS-2 path/row (default 226/010).
    start, end : datetime.date
        First and last UTC acquisition date, inclusive.
    width, height : int
        Scene size in pixels (default 600 x 600).
    max_scenes : int, optional
        Keep only the first (oldest) ``max_scenes`` overpasses.

    Returns
    -------
    Path
        ``root/catalog.json``.
    """
    import pystac

    from landsat_ops.overpass import overpass_datetimes

    if max_scenes is not None and (not isinstance(max_scenes, int) or max_scenes < 0):
        raise OptionError(f"max_scenes must be a non-negative integer, got {max_scenes!r}")
    root = Path(root)
    scenes_dir = root / "scenes"
    times = overpass_datetimes(path, row, start, end)
    if max_scenes is not None:
        times = times[:max_scenes]

    items = []
    for at in times:
        folder = scenes_dir / product_id_for(path, row, at)
        if not _scene_complete(folder):
            seed = _catalog_seed(path, row, at)
            make_scene(
                scenes_dir,
                path=path,
                row=row,
                acquired=at,
                width=width,
                height=height,
                seed=seed,
                cloud_cover=_catalog_cloud_cover(seed),
                terrain_seed=_terrain_seed(path, row),
            )
        items.append(scene_item(folder))

    first = times[0] if times else datetime.datetime.combine(start, datetime.time(), datetime.UTC)
    last = times[-1] if times else datetime.datetime.combine(end, datetime.time(), datetime.UTC)
    bboxes = [item.bbox for item in items] or [[-180.0, -90.0, 180.0, 90.0]]
    collection = pystac.Collection(
        id=CATALOG_COLLECTION,
        title="Synthetic Landsat 8 Collection 2 Level-1",
        description=(
            f"Synthetic Landsat 8 OLI/TIRS Collection 2 Level-1 scenes of WRS-2 path {path} "
            f"row {row}, made by landsat_demo.synthetic for demos and tests."
        ),
        extent=pystac.Extent(
            pystac.SpatialExtent(
                [
                    [
                        min(b[0] for b in bboxes),
                        min(b[1] for b in bboxes),
                        max(b[2] for b in bboxes),
                        max(b[3] for b in bboxes),
                    ]
                ]
            ),
            pystac.TemporalExtent([[first, last]]),
        ),
        license="other",
    )
    collection.add_items(items)
    catalog = pystac.Catalog(
        id="landsat-ops-synthetic",
        description="Local static STAC catalog of synthetic Landsat 8 scenes (landsat_ops).",
    )
    catalog.add_child(collection)
    try:
        root.mkdir(parents=True, exist_ok=True)
        stale = root / CATALOG_COLLECTION
        if stale.is_dir():  # items of an earlier run that this one may not have
            for child in stale.iterdir():
                if child.is_dir() and _ITEM_DIR.fullmatch(child.name):
                    shutil.rmtree(child)
        catalog.normalize_hrefs(str(root.resolve()))
        catalog.make_all_asset_hrefs_relative()
        catalog.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    except OSError as exc:
        raise StorageError(
            f"cannot write STAC catalog in {root}: {exc.strerror or exc} "
            "(expected a writable folder)"
        ) from None
    return root / "catalog.json"
