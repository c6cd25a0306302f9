"""The STAC item of a rendered scene: its assets with checksums, and its data footprint.

The footprint is the convex hull of the valid preview pixels, in WGS84 (RFC 7946 winding).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import landsat_ops
from landsat_ops.products import ASSET_TITLES, COG_MEDIA_TYPE, PNG_MEDIA_TYPE, asset_key
from landsat_ops.scene import Metadata, SceneFiles
from landsat_ops.storage import sha256_file, sha256_multihash

if TYPE_CHECKING:
    from landsat_ops.render.renderer import SceneRenderer

__all__ = ["build_item", "convex_hull", "footprint"]


def build_item(
    files: SceneFiles, meta: Metadata | None, renderer: SceneRenderer, written: list[Path]
) -> dict:
    """The scene's STAC item (a dict) listing every product with its checksum."""
    import pystac
    from rasterio.warp import transform_geom

    sid = files.scene_id
    grid = renderer.grid
    geometry = transform_geom(
        grid["crs"], "EPSG:4326", footprint(grid, renderer.valid_preview), precision=6
    )
    xs = [x for x, _ in geometry["coordinates"][0]]
    ys = [y for _, y in geometry["coordinates"][0]]
    acquired = (
        meta.acquired if meta else dt.datetime.combine(sid.acquired, dt.time(), tzinfo=dt.UTC)
    )
    properties = {
        "platform": f"landsat-{sid.satellite}",
        "instruments": ["oli", "tirs"],
        "landsat:scene_id": sid.scene_id,
        "landsat:wrs_path": f"{sid.path:03d}",
        "landsat:wrs_row": f"{sid.row:03d}",
        "landsat:correction": sid.processing_level or "L1T",
        "proj:code": grid["crs"].to_string(),
        "proj:shape": [grid["height"], grid["width"]],
        "proj:transform": list(grid["transform"])[:6],
        "landsat_ops:stretch": {k: v.to_dict() for k, v in renderer.stretches.items()},
        "landsat_ops:version": landsat_ops.__version__,
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
        stac_extensions=[
            "https://stac-extensions.github.io/file/v2.1.0/schema.json",
            "https://stac-extensions.github.io/projection/v2.0.0/schema.json",
            "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
            "https://stac-extensions.github.io/view/v1.0.0/schema.json",
        ],
    )
    for path in written:
        key = asset_key(path.name, sid.scene_id)
        is_cog = path.suffix == ".tif"
        roles = ["data"] if is_cog else (["overview"] if "histograms" in key else ["visual"])
        item.add_asset(
            key,
            pystac.Asset(
                href=f"./{path.name}",
                media_type=COG_MEDIA_TYPE if is_cog else PNG_MEDIA_TYPE,
                roles=roles,
                title=ASSET_TITLES.get(key, key),
                extra_fields={
                    "file:checksum": sha256_multihash(
                        renderer.checksums.get(path.name) or sha256_file(path)
                    ),
                    "file:size": path.stat().st_size,
                },
            ),
        )
    return item.to_dict(include_self_link=False)


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
