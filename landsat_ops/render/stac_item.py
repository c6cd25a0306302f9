"""The STAC item of a rendered scene: its assets with checksums, and its data footprint.

The footprint is the convex hull of the valid preview pixels, in WGS84 (RFC 7946 winding).
What clients infer from the item follows the STAC best practices: asset roles
(:func:`landsat_ops.products.asset_roles`), STAC 1.1 ``bands`` with eo common names, the render
extension (``renders``: how a tiler displays each product with no other parameter), the grid
extension (``grid:code`` ``WRS2-PPPRRR``) and, for Collection 1/2 products whose MTL gives
every required field, the landsat extension with its enumerated values (pre-collection scenes
have no collection category or number, so their items do not declare it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import landsat_ops
from landsat_ops.products import (
    ASSET_TITLES,
    COG_MEDIA_TYPE,
    GRAPHIC_KEYS,
    PNG_MEDIA_TYPE,
    RENDERS,
    STAC_EXTENSIONS,
    asset_key,
    asset_roles,
    extent_classes,
    product_bands,
)
from landsat_ops.render.stretch import Stretch
from landsat_ops.scene import Metadata, SceneFiles
from landsat_ops.storage import sha256_file, sha256_multihash

__all__ = [
    "RenderOutcome",
    "STAC_EXTENSIONS",
    "asset_projection",
    "build_item",
    "convex_hull",
    "footprint",
    "landsat_fields",
]


@dataclass(frozen=True)
class RenderOutcome:
    """What a render's passes found, as its STAC item needs it (:func:`build_item`).

    ``grid``: the scene's ``width``, ``height``, ``crs``, ``transform`` and ``bounds``;
    ``footprint``: where a preview has data (True), at preview size, or None when no preview
    was made; ``stretches``: each composite's :class:`~landsat_ops.render.stretch.Stretch`;
    ``checksums``: the SHA-256 (hex) of product files, by name, computed as they were
    written (a file without one is read again); ``properties``: more item properties (the
    ``extent`` product's ``landsat_ops:extent``).
    """

    grid: dict
    footprint: np.ndarray | None
    stretches: dict[str, Stretch]
    checksums: dict[str, str]
    properties: dict = field(default_factory=dict)


def build_item(
    files: SceneFiles, meta: Metadata | None, outcome: RenderOutcome, written: list[Path]
) -> dict:
    """The scene's STAC item (a dict) listing every product with its checksum."""
    import pystac
    from rasterio.warp import transform_geom

    sid = files.scene_id
    grid = outcome.grid
    geometry = transform_geom(
        grid["crs"], "EPSG:4326", footprint(grid, outcome.footprint), precision=6
    )
    xs = [x for x, _ in geometry["coordinates"][0]]
    ys = [y for _, y in geometry["coordinates"][0]]
    acquired = (
        meta.acquired if meta else dt.datetime.combine(sid.acquired, dt.time(), tzinfo=dt.UTC)
    )
    properties = {
        "platform": f"landsat-{sid.satellite}",
        "instruments": ["oli", "tirs"],
        "grid:code": f"WRS2-{sid.path:03d}{sid.row:03d}",
        **landsat_fields(sid, meta),
        "proj:code": grid["crs"].to_string(),
        "landsat_ops:stretch": {k: v.to_dict() for k, v in outcome.stretches.items()},
        "landsat_ops:version": landsat_ops.__version__,
        **outcome.properties,
    }
    if meta is not None:
        if meta.cloud_cover is not None:
            properties["eo:cloud_cover"] = meta.cloud_cover
        if meta.sun_elevation is not None:
            properties["view:sun_elevation"] = meta.sun_elevation
        if meta.sun_azimuth is not None:
            properties["view:sun_azimuth"] = meta.sun_azimuth
    item = pystac.Item(
        id=sid.scene_id,
        geometry=geometry,
        bbox=[min(xs), min(ys), max(xs), max(ys)],
        datetime=acquired,
        properties=properties,
    )
    keys = {asset_key(path.name, sid.scene_id) for path in written}
    renders = {
        name: render
        for name, render in RENDERS.items()
        if all(asset in keys for asset in render["assets"])
    }
    if renders:
        properties["renders"] = renders
    used = ["file", "projection", "eo", "grid"]
    used += ["view"] if "view:sun_elevation" in properties else []
    used += ["render"] if renders else []
    used += ["landsat"] if "landsat:correction" in properties else []
    used += ["classification"] if "extent_tif" in keys else []
    item.stac_extensions = [STAC_EXTENSIONS[name] for name in used]
    for path in written:
        key = asset_key(path.name, sid.scene_id)
        is_cog = path.suffix == ".tif"
        extra = {"bands": product_bands(path.stem[len(sid.scene_id) + 1 :])} if is_cog else {}
        extra.update(asset_projection(path, grid, key))
        if key == "extent_tif":
            extra["classification:classes"] = extent_classes()
        item.add_asset(
            key,
            pystac.Asset(
                href=f"./{path.name}",
                media_type=COG_MEDIA_TYPE if is_cog else PNG_MEDIA_TYPE,
                roles=asset_roles(key),
                title=ASSET_TITLES.get(key, key),
                extra_fields={
                    **extra,
                    "file:checksum": sha256_multihash(
                        outcome.checksums.get(path.name) or sha256_file(path)
                    ),
                    "file:size": path.stat().st_size,
                },
            ),
        )
    return item.to_dict(include_self_link=False)


def asset_projection(path: Path, grid: dict, key: str) -> dict:
    """``proj:shape`` and ``proj:transform`` of an asset's own pixel grid.

    A COG has the scene's grid; a PNG preview or the thumbnail covers the same bounds with
    fewer, larger pixels (its transform is the grid's scaled to its size); the histogram
    sheet is a chart and has none. The item's ``proj:code`` applies to all of them.
    """
    if path.suffix == ".tif":
        rows, cols, transform = grid["height"], grid["width"], grid["transform"]
    elif key in GRAPHIC_KEYS:
        return {}
    else:
        from PIL import Image
        from rasterio.transform import Affine

        with Image.open(path) as image:  # reads the header only
            cols, rows = image.size
        transform = grid["transform"] * Affine.scale(grid["width"] / cols, grid["height"] / rows)
    return {"proj:shape": [rows, cols], "proj:transform": list(transform)[:6]}


def landsat_fields(sid, meta: Metadata | None) -> dict:
    """The landsat extension's fields (v2.0.0), or nothing when a required one is unknown.

    Collection 1/2 product IDs give the correction level, category and number; the MTL gives
    the scene ID (``LANDSAT_SCENE_ID``, the ``LC8PPPRRRYYYYDDDGGGVV`` form the extension
    requires) and the land cloud cover. Pre-collection scenes (``L1T`` in their MTL, a level
    the extension does not list) and scenes without an MTL get none.
    """
    if sid.collection is None or meta is None or sid.processing_level is None:
        return {}
    scene_id = _find(meta.raw, "LANDSAT_SCENE_ID")
    if not scene_id:
        return {}
    land = meta.cloud_cover_land
    return {
        "landsat:scene_id": scene_id,
        "landsat:collection_category": sid.category,
        "landsat:collection_number": f"{sid.collection:02d}",
        "landsat:wrs_type": "2",
        "landsat:wrs_path": f"{sid.path:03d}",
        "landsat:wrs_row": f"{sid.row:03d}",
        "landsat:cloud_cover_land": -1.0 if land is None else land,
        "landsat:correction": sid.processing_level,
    }


def _find(tree: dict, key: str):
    """The first value of ``key`` anywhere in a nested MTL dict."""
    for name, value in tree.items():
        if name == key:
            return value
        if isinstance(value, dict) and (found := _find(value, key)) is not None:
            return found
    return None


def footprint(grid: dict, valid: np.ndarray | None) -> dict:
    """The scene's data footprint in its CRS: the convex hull of the valid preview pixels.

    Falls back to the raster's bounds when no preview was made or nothing is valid.
    """
    left, bottom, right, top = grid["bounds"]
    ring = [[left, top], [right, top], [right, bottom], [left, bottom]]
    if valid is not None and valid.any():
        rows = np.flatnonzero(valid.any(axis=1))
        first = valid[rows].argmax(axis=1)
        last = valid.shape[1] - 1 - valid[rows, ::-1].argmax(axis=1)
        # Pixel corners of each row's first and last valid pixel, in preview pixel units.
        points = [(c, r) for r, c in zip(rows, first, strict=True)]
        points += [(c, r + 1) for r, c in zip(rows, first, strict=True)]
        points += [(c + 1, r) for r, c in zip(rows, last, strict=True)]
        points += [(c + 1, r + 1) for r, c in zip(rows, last, strict=True)]
        sx = (right - left) / valid.shape[1]
        sy = (top - bottom) / valid.shape[0]
        # Rows grow downwards: reversing keeps the exterior ring counter-clockwise (RFC 7946).
        ring = [[left + c * sx, top - r * sy] for c, r in reversed(convex_hull(points))]
    return {"type": "Polygon", "coordinates": [ring + ring[:1]]}


def convex_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Convex hull (Andrew's monotone chain), counter-clockwise, without repeated points."""
    pts = sorted(set((float(x), float(y)) for x, y in points))
    if len(pts) <= 2:
        return pts

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list = []
    upper: list = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]
