"""The one grid every frame of a time-lapse is warped onto, and its geometry for the overlays.

The grid (a :class:`landsat_ops.composite.Grid`, the composites' own) covers the union of
every source's footprint, in the CRS asked for (the area's, e.g. EPSG:3413) or else the first
source's (a path/row's UTM zone), with square pixels sized so the longer side has ``size``
pixels; both sides are even (H.264 in yuv420p needs it).

For the overlays: :func:`ground_metres_per_pixel` measures the ground (the WGS84 ellipsoid,
pyproj's geodesic) a pixel spans at the frame centre, and :func:`north_angle` the direction of
true north there, as a clockwise angle from the frame's up: a grid's north (its +y) is true
north only on a UTM zone's central meridian; in polar stereographic it points to the pole.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from landsat_ops.composite.grid import Grid, canonical_crs
from landsat_ops.timelapse.errors import TimelapseError

__all__ = ["bounds_lonlat", "frame_grid", "ground_metres_per_pixel", "north_angle", "parse_crs"]


def bounds_lonlat(grid: Grid) -> tuple[float, float, float, float]:
    """West, south, east, north of ``grid`` in WGS84 degrees (densified edges)."""
    from rasterio.warp import transform_bounds

    return transform_bounds(grid.crs, "EPSG:4326", *grid.bounds, densify_pts=21)


def parse_crs(text: str):
    """A rasterio CRS from ``EPSG:3413``, WKT or PROJ text; one line when it is not one."""
    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    try:
        crs = CRS.from_user_input(text)
    except (CRSError, ValueError, TypeError):
        raise TimelapseError(
            f"CRS {text!r}: not a coordinate reference system (expected e.g. EPSG:3413)"
        ) from None
    if not crs.is_projected:
        raise TimelapseError(
            f"CRS {text!r}: not projected (expected one in metres, e.g. EPSG:3413 or a UTM zone)"
        )
    return crs


def _even(n: float) -> int:
    return max(2, 2 * math.ceil(n / 2))


def frame_grid(
    footprints: Sequence[tuple[str, tuple[float, float, float, float], float]],
    *,
    crs: str | None = None,
    size: int = 1024,
) -> Grid:
    """The grid covering every ``(crs, bounds, resolution)`` footprint, longer side ``size``
    pixels, but never finer than the finest source (a small footprint is not upsampled).

    ``crs``: the target CRS; default: the first footprint's.
    """
    from rasterio.warp import transform_bounds

    if size < 16 or size > 8192:
        raise TimelapseError(f"frame size {size}: expected 16..8192 pixels")
    if not footprints:
        raise TimelapseError("no source to make a frame grid from")
    target = parse_crs(crs if crs is not None else footprints[0][0])
    boxes = []
    for src_crs, bounds, _ in footprints:
        try:
            boxes.append(transform_bounds(src_crs, target, *bounds, densify_pts=21))
        except Exception as exc:  # rasterio's CRSError or PROJ's failure on this pair
            raise TimelapseError(
                f"cannot transform the footprint {bounds} to {target.to_string()}: {exc}"
            ) from None
    left = min(b[0] for b in boxes)
    bottom = min(b[1] for b in boxes)
    right = max(b[2] for b in boxes)
    top = max(b[3] for b in boxes)
    if not all(map(math.isfinite, (left, bottom, right, top))) or right <= left or top <= bottom:
        raise TimelapseError(f"the sources' footprint has no area in {target.to_string()}")
    finest = min(resolution for _, _, resolution in footprints)
    resolution = max(max(right - left, top - bottom) / size, finest)
    width, height = _even((right - left) / resolution), _even((top - bottom) / resolution)
    # Centre the (slightly larger, even-sided) grid on the footprint.
    left -= (width * resolution - (right - left)) / 2
    top += (height * resolution - (top - bottom)) / 2
    return Grid(
        canonical_crs(target), (resolution, 0.0, left, 0.0, -resolution, top), width, height
    )


def _to_lonlat(grid: Grid, xs, ys):
    from rasterio.warp import transform

    return transform(grid.crs, "EPSG:4326", list(xs), list(ys))


def ground_metres_per_pixel(grid: Grid) -> float:
    """Metres on the ground per pixel along the frame's x axis, at its centre."""
    from pyproj import Geod

    a = grid.affine
    cx, cy = grid.width / 2, grid.height / 2
    step = max(1.0, grid.width / 10)
    (x0, y0), (x1, y1) = a @ (cx - step / 2, cy), a @ (cx + step / 2, cy)
    lons, lats = _to_lonlat(grid, (x0, x1), (y0, y1))
    _, _, metres = Geod(ellps="WGS84").inv(lons[0], lats[0], lons[1], lats[1])
    return metres / step


def north_angle(grid: Grid) -> float:
    """True north at the frame centre: degrees clockwise from the frame's up (-180..180)."""
    from rasterio.warp import transform

    x, y = grid.affine @ (grid.width / 2, grid.height / 2)
    (lon,), (lat,) = _to_lonlat(grid, (x,), (y,))
    step = 0.01 if lat < 89.9 else -0.01  # within 0.1 deg of the pole: look back from it
    xs, ys = transform("EPSG:4326", grid.crs, [lon], [lat + step])
    inverse = ~grid.affine
    col0, row0 = inverse @ (x, y)
    col1, row1 = inverse @ (xs[0], ys[0])
    dx, dy = (col1 - col0), (row1 - row0)  # pixels: +x right, +y down
    if step < 0:
        dx, dy = -dx, -dy
    return math.degrees(math.atan2(dx, -dy))
