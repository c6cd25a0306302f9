"""Where a synthetic scene lies: its UTM grid, rotated footprint and the sun over it."""

from __future__ import annotations

import datetime
import math

import numpy as np
from rasterio.crs import CRS
from rasterio.transform import Affine

from landsat_ops.errors import OptionError
from landsat_ops.overpass import wrs2_centre

__all__ = [
    "FOOTPRINT_ANGLE",
    "FULL_HEIGHT",
    "FULL_WIDTH",
    "MIN_SUN_ELEVATION",
    "PIXEL_SIZE",
    "check_path_row",
    "earth_sun_distance",
    "footprint_corners",
    "inside_footprint",
    "scene_grid",
    "sun_position",
    "utm_epsg_for",
]

FULL_WIDTH = 7791
"""Samples of a full-size scene (like ``REFLECTIVE_SAMPLES`` of a real path/row)."""
FULL_HEIGHT = 7921
"""Lines of a full-size scene."""
PIXEL_SIZE = 30.0
"""Metres per pixel (the OLI reflective bands)."""
FOOTPRINT_ANGLE = 12.5
"""Clockwise rotation of the imaged swath from north, degrees (less for grids much taller
than wide, or the reverse, so the footprint still fits)."""
MIN_SUN_ELEVATION = 10.0
"""Lowest sun elevation (degrees) a synthetic scene is lit with."""

# --------------------------------------------------------------------------------------------
# Geometry: WRS-2 scene centre, UTM grid, footprint
# --------------------------------------------------------------------------------------------


def check_path_row(path: int, row: int) -> None:
    if not (isinstance(path, int) and 1 <= path <= 233):
        raise OptionError(f"WRS-2 path must be an integer 1-233, got {path!r}")
    if not (isinstance(row, int) and 1 <= row <= 248):
        raise OptionError(f"WRS-2 row must be an integer 1-248, got {row!r}")


def utm_epsg_for(path: int, row: int) -> int:
    """Return the EPSG code of the UTM zone of a path/row, northern-hemisphere form (326xx).

    Like USGS, southern scenes also use the north zone, with negative northings.
    """
    _, lon = wrs2_centre(path, row)
    zone = min(60, max(1, int((lon + 180.0) // 6) + 1))
    return 32600 + zone


def _footprint_angle(width: int, height: int) -> float:
    """Rotation (radians): :data:`FOOTPRINT_ANGLE`, less for very elongated grids."""
    limit = math.atan(0.5 * min(width / height, height / width))
    return min(math.radians(FOOTPRINT_ANGLE), limit)


def _footprint_size(width: int, height: int) -> tuple[float, float]:
    """Cross-track and along-track size (pixels) of the rotated rectangle inside the grid."""
    theta = _footprint_angle(width, height)
    cos, sin = math.cos(theta), math.sin(theta)
    det = cos * cos - sin * sin
    across = (width * cos - height * sin) / det
    along = (height * cos - width * sin) / det
    return across * 0.985, along * 0.985  # a thin border, as in real scenes


def footprint_corners(width: int, height: int) -> list[tuple[float, float]]:
    """Return the image corners of a synthetic scene's footprint as (column, row) pairs.

    The corners are in pixel coordinates (0, 0 = top-left corner of the grid), clockwise
    from the top-most one; map them with the scene's affine transform.
    """
    theta = _footprint_angle(width, height)
    across, along = _footprint_size(width, height)
    corners = []
    for u, v in ((-0.5, 0.5), (0.5, 0.5), (0.5, -0.5), (-0.5, -0.5)):
        u, v = u * across, v * along  # v points north
        east = u * math.cos(theta) + v * math.sin(theta)
        north = -u * math.sin(theta) + v * math.cos(theta)
        corners.append((width / 2 + east, height / 2 - north))
    return corners


def inside_footprint(rows: np.ndarray, width: int, height: int) -> np.ndarray:
    """Boolean (len(rows), width) mask of the pixels whose centre lies in the footprint."""
    theta = _footprint_angle(width, height)
    cos, sin = np.float32(math.cos(theta)), np.float32(math.sin(theta))
    across, along = _footprint_size(width, height)
    east = (np.arange(width, dtype=np.float32) + 0.5 - width / 2)[None, :]
    north = (height / 2 - (rows.astype(np.float32) + 0.5))[:, None]
    u = east * cos - north * sin
    inside = np.abs(u) <= across / 2
    del u
    v = east * sin + north * cos
    inside &= np.abs(v) <= along / 2
    return inside


def scene_grid(path: int, row: int, width: int, height: int) -> tuple[CRS, Affine, float, float]:
    """CRS, transform and centre (lat, lon) of a scene's 30 m UTM grid."""
    from rasterio.warp import transform as warp_transform

    lat, lon = wrs2_centre(path, row)
    crs = CRS.from_epsg(utm_epsg_for(path, row))
    xs, ys = warp_transform(CRS.from_epsg(4326), crs, [lon], [lat])
    # Landsat grid corners are pixel edges at odd multiples of 15 m (e.g. 452475.0).
    x0 = round((xs[0] - width * PIXEL_SIZE / 2 - 15.0) / PIXEL_SIZE) * PIXEL_SIZE + 15.0
    y0 = round((ys[0] + height * PIXEL_SIZE / 2 - 15.0) / PIXEL_SIZE) * PIXEL_SIZE + 15.0
    return crs, Affine(PIXEL_SIZE, 0.0, x0, 0.0, -PIXEL_SIZE, y0), lat, lon


# --------------------------------------------------------------------------------------------
# Sun position
# --------------------------------------------------------------------------------------------


def sun_position(lat: float, lon: float, at: datetime.datetime) -> tuple[float, float]:
    """Solar (azimuth, elevation) in degrees (NOAA general solar position formulae)."""
    doy = at.timetuple().tm_yday
    hours = at.hour + at.minute / 60 + at.second / 3600
    gamma = 2 * math.pi / 365 * (doy - 1 + (hours - 12) / 24)
    eqtime = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    decl = (
        0.006918
        - 0.399912 * math.cos(gamma)
        + 0.070257 * math.sin(gamma)
        - 0.006758 * math.cos(2 * gamma)
        + 0.000907 * math.sin(2 * gamma)
        - 0.002697 * math.cos(3 * gamma)
        + 0.00148 * math.sin(3 * gamma)
    )
    true_solar_minutes = hours * 60 + eqtime + 4 * lon
    hour_angle = math.radians(true_solar_minutes / 4 - 180)
    phi = math.radians(lat)
    sin_elev = math.sin(phi) * math.sin(decl) + math.cos(phi) * math.cos(decl) * math.cos(
        hour_angle
    )
    elevation = math.degrees(math.asin(max(-1.0, min(1.0, sin_elev))))
    from_south = math.atan2(
        math.sin(hour_angle),
        math.cos(hour_angle) * math.sin(phi) - math.tan(decl) * math.cos(phi),
    )
    azimuth = (math.degrees(from_south) + 180.0) % 360.0
    return azimuth, elevation


def earth_sun_distance(day: datetime.date) -> float:
    doy = day.timetuple().tm_yday
    return 1.0 - 0.01672 * math.cos(math.radians(0.9856 * (doy - 4)))
