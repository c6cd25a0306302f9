"""Synthetic Landsat 8 Collection 2 Level-1 scenes, and a local static STAC catalog of them.

:func:`make_scene` writes one scene folder the way USGS delivers it: ``<product ID>_B1.TIF``
... ``_B7.TIF`` and ``_QA_PIXEL.TIF`` (uint16, one band each, tiled 512 x 512, DEFLATE, no
nodata tag: 0 is fill, as in real Level-1 files) and a Collection 2 ``_MTL.txt`` in ODL syntax.
The scene is georeferenced on the real UTM zone of its WRS-2 path/row with 30 m pixels, and
looks like a real one:

* a **rotated footprint** (12.5 degrees, like a descending daytime pass) surrounded by
  about 30 % fill, shared by all bands and flagged 1 in ``QA_PIXEL``;
* **land cover** from smooth random fields: sea (dark, NIR very low), sea ice and glacier
  snow (bright in the visible and NIR, dark in SWIR, so the B7/B5/B1 false colour shows them
  cyan; only at high latitudes, more in winter), bare rock (SWIR brighter than visible) and
  vegetation (NDVI 0.3-0.6);
* **clouds** (bright in every band, SWIR included) with their shadows;
* a ``QA_PIXEL`` band using the Collection 2 bit layout (:data:`QA_CLEAR_LAND` and friends)
  and an MTL whose ``CLOUD_COVER`` is the cloudy share of the valid pixels actually written.

The digital numbers follow the Level-1 rescaling of the MTL (``REFLECTANCE_MULT_BAND_n =
2.0E-05``, ``REFLECTANCE_ADD_BAND_n = -0.1``): DN = (rho * sin(sun elevation) + 0.1) / 2e-5
for a top-of-atmosphere reflectance rho. The sun position is computed for the scene centre
and time; it is floored at :data:`MIN_SUN_ELEVATION` (polar night would give black scenes),
and the MTL reports the value used.

Everything is deterministic for a given ``seed``. A full-size scene (7791 x 7921) is made in
strips of 512 rows, so memory stays at a few hundred MB; the random fields are defined on the
whole scene (a coarse grid plus a periodic detail tile), so strips join seamlessly. The scene
is written into a hidden temporary folder and renamed into place at the end: an error never
leaves a partial scene behind.

:func:`make_catalog` makes small scenes for every real overpass of a path/row in a date range
and a self-contained static STAC catalog of them (collection ``landsat-c2-l1``, Earth Search
style properties and asset keys): the embedded default catalog for
:func:`landsat_pipeline.discovery.discover`.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import re
import shutil
import uuid
from pathlib import Path

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.transform import Affine
from rasterio.windows import Window

from landsat_ops.errors import OptionError, StorageError
from landsat_ops.overpass import wrs2_centre

__all__ = [
    "ASSET_KEYS",
    "CATALOG_COLLECTION",
    "FOOTPRINT_ANGLE",
    "FULL_HEIGHT",
    "FULL_WIDTH",
    "MIN_SUN_ELEVATION",
    "QA_CLEAR_LAND",
    "QA_CLEAR_WATER",
    "QA_CLOUD",
    "QA_CLOUD_SHADOW",
    "QA_DILATED_CLOUD",
    "QA_FILL",
    "QA_SNOW_ICE",
    "footprint_corners",
    "make_catalog",
    "make_scene",
    "product_id_for",
    "utm_epsg_for",
]

FULL_WIDTH = 7791
"""Samples of a full-size scene (like ``REFLECTIVE_SAMPLES`` of a real path/row)."""
FULL_HEIGHT = 7921
"""Lines of a full-size scene."""
PIXEL_SIZE = 30.0
"""Metres per pixel (the OLI reflective bands)."""
STRIP_ROWS = 512
"""Rows generated and written at once: one row of 512 x 512 tiles."""
_BLOCK_ROWS = 128  # rows computed at once inside a strip (float temporaries ~ 4 MB each)
FOOTPRINT_ANGLE = 12.5
"""Clockwise rotation of the imaged swath from north, degrees (less for grids much taller
than wide, or the reverse, so the footprint still fits)."""
MIN_SUN_ELEVATION = 10.0
"""Lowest sun elevation (degrees) a synthetic scene is lit with."""

# Collection 2 QA_PIXEL values (bit 0 fill, 1 dilated cloud, 3 cloud, 4 cloud shadow,
# 5 snow, 6 clear, 7 water; bit pairs 8-9 cloud, 10-11 shadow, 12-13 snow/ice and 14-15 cirrus
# confidence). Each is a value found in real C2 QA_PIXEL bands.
QA_FILL = 1
QA_CLEAR_LAND = 21824  # clear; all confidences low
QA_CLEAR_WATER = 21952  # clear + water
QA_SNOW_ICE = 30048  # clear + snow, snow/ice confidence high
QA_CLOUD = 22280  # cloud, cloud confidence high
QA_DILATED_CLOUD = 21762  # dilated cloud (cloud edge), not clear
QA_CLOUD_SHADOW = 23888  # clear + cloud shadow, shadow confidence high

BANDS = (1, 2, 3, 4, 5, 6, 7)
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

_PROCESSING_DELAY = datetime.timedelta(days=10)
_DN_OFFSET = 5000.0  # DN of reflectance 0: -REFLECTANCE_ADD / REFLECTANCE_MULT
_DN_PER_REFLECTANCE = 50000.0  # 1 / REFLECTANCE_MULT

# Top-of-atmosphere reflectance per land cover class and band B1..B7.
_CLASSES = ("water", "sea_ice", "snow_ice", "rock", "vegetation")
_SPECTRA = np.array(
    [
        [0.115, 0.090, 0.065, 0.040, 0.020, 0.010, 0.007],  # sea: dark, NIR very low
        [0.780, 0.780, 0.760, 0.720, 0.580, 0.060, 0.050],  # sea ice
        [0.880, 0.880, 0.860, 0.820, 0.680, 0.080, 0.060],  # glacier snow and ice
        [0.130, 0.120, 0.140, 0.170, 0.220, 0.280, 0.230],  # bare rock: SWIR brighter
        [0.085, 0.065, 0.080, 0.055, 0.300, 0.190, 0.100],  # tundra vegetation
    ],
    dtype=np.float32,
)
_CLOUD_SPECTRUM = np.array([0.80, 0.79, 0.78, 0.78, 0.80, 0.55, 0.38], dtype=np.float32)
_SHADOW_DARKENING = 0.55

# Typical Collection 2 radiance rescaling (LEVEL1_RADIOMETRIC_RESCALING of a real MTL).
_RADIANCE_MULT = (
    1.2501e-02, 1.2801e-02, 1.1796e-02, 9.9470e-03, 6.0871e-03, 1.5138e-03, 5.1023e-04,
    1.1257e-02, 2.3790e-03, 3.3420e-04, 3.3420e-04,
)  # fmt: skip
_RADIANCE_ADD = (
    -62.50392, -64.00478, -58.97986, -49.73514, -30.43542, -7.56901, -2.55116,
    -56.28649, -11.89485, 0.10000, 0.10000,
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Geometry: WRS-2 scene centre, UTM grid, footprint
# --------------------------------------------------------------------------------------------


def _check_path_row(path: int, row: int) -> None:
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


def _inside_footprint(rows: np.ndarray, width: int, height: int) -> np.ndarray:
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


def _grid(path: int, row: int, width: int, height: int) -> tuple[CRS, Affine, float, float]:
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


def _sun_position(lat: float, lon: float, at: datetime.datetime) -> tuple[float, float]:
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


def _earth_sun_distance(day: datetime.date) -> float:
    doy = day.timetuple().tm_yday
    return 1.0 - 0.01672 * math.cos(math.radians(0.9856 * (doy - 4)))


# --------------------------------------------------------------------------------------------
# Smooth random fields
# --------------------------------------------------------------------------------------------


def _smooth(t: np.ndarray) -> np.ndarray:
    return t * t * (3 - 2 * t)


def _value_noise(
    rng: np.random.Generator, cell: float, ys: np.ndarray, xs: np.ndarray
) -> np.ndarray:
    """Smooth value noise (-1..1) with lattice spacing ``cell`` pixels at ys x xs."""
    fy, fx = ys / cell, xs / cell
    lattice = rng.uniform(-1, 1, (int(fy.max()) + 2, int(fx.max()) + 2)).astype(np.float32)
    i0 = np.floor(fy).astype(np.intp)
    ty = _smooth(fy - i0).astype(np.float32)[:, None]
    j0 = np.floor(fx).astype(np.intp)
    tx = _smooth(fx - j0).astype(np.float32)[None, :]
    rows = lattice[i0] * (1 - ty) + lattice[i0 + 1] * ty
    return rows[:, j0] * (1 - tx) + rows[:, j0 + 1] * tx


def _fbm(
    seed: int,
    field: int,
    octaves: tuple[tuple[float, float], ...],
    size: float,
    ys: np.ndarray,
    xs: np.ndarray,
    finest: float,
) -> np.ndarray:
    """Sum of value-noise octaves (cells across the scene, amplitude) at ys x xs.

    Octaves with cells smaller than ``finest`` pixels are left out: the coarse grid cannot
    hold them (the detail tile adds that texture).
    """
    out = np.zeros((ys.size, xs.size), dtype=np.float32)
    for index, (cells, amplitude) in enumerate(octaves):
        cell = size / cells
        if cell < finest:
            continue
        rng = np.random.default_rng([seed, field, index])
        out += amplitude * _value_noise(rng, cell, ys, xs)
    return out


def _detail_tile(seed: int, size: int = 512) -> np.ndarray:
    """A periodic (size x size) tile of fine value noise, about -1..1, wrapping seamlessly."""
    out = np.zeros((size, size), dtype=np.float32)
    coords = np.arange(size, dtype=np.float64)
    for index, (cell, amplitude) in enumerate(((16, 0.6), (8, 0.5), (4, 0.35), (2, 0.2))):
        n = size // cell
        lattice = np.random.default_rng([seed, 99, index]).uniform(-1, 1, (n, n))
        lattice = lattice.astype(np.float32)
        f = coords / cell
        i0 = np.floor(f).astype(np.intp)
        t = _smooth(f - i0).astype(np.float32)
        i1 = (i0 + 1) % n
        rows = lattice[i0] * (1 - t)[:, None] + lattice[i1] * t[:, None]
        out += amplitude * (rows[:, i0] * (1 - t)[None, :] + rows[:, i1] * t[None, :])
    return out


# Octaves as (cells across the scene, amplitude).
_ELEVATION = ((2.5, 1.0), (6, 0.55), (14, 0.32), (33, 0.18), (80, 0.1), (190, 0.055))
_MOISTURE = ((4, 1.0), (11, 0.5), (29, 0.25), (70, 0.12))
_SEA_ICE = ((5, 1.0), (13, 0.6), (34, 0.35), (90, 0.2), (230, 0.1))
_CLOUD = ((3, 1.0), (8, 0.7), (21, 0.45), (55, 0.3), (140, 0.18), (350, 0.1))
_SHADING = ((40, 1.0), (100, 0.7), (250, 0.5))


def _level(values: np.ndarray, share: float) -> float:
    """The threshold above which ``share`` (0-1) of ``values`` lie; inf for none."""
    if share <= 0:
        return math.inf
    return float(np.quantile(values, 1.0 - min(share, 1.0)))


class _SceneModel:
    """The land cover, cloud and QA of one synthetic scene, evaluated strip by strip."""

    def __init__(
        self,
        width: int,
        height: int,
        seed: int,
        cloud_fraction: float,
        polar: float,
        winter: float,
        sun_azimuth: float,
        sun_elevation: float,
    ) -> None:
        self.width, self.height, self.seed = width, height, seed
        # (band, class) DN per unit weight: five land covers, then cloud.
        scale = _DN_PER_REFLECTANCE * math.sin(math.radians(sun_elevation))
        self.spectra = (np.vstack([_SPECTRA, _CLOUD_SPECTRUM]).T * scale).astype(np.float32)
        size = float(max(width, height))
        # Coarse grid: every `step` pixels, plus a margin so that lookups never run off.
        self.step = max(1, math.ceil(size / 1024))
        ys = np.arange(0, height + 2 * self.step, self.step, dtype=np.float64)
        xs = np.arange(0, width + 2 * self.step, self.step, dtype=np.float64)
        finest = 2.0 * self.step
        rng = np.random.default_rng([seed, 0])

        elevation = _fbm(seed, 1, _ELEVATION, size, ys, xs, finest)
        slope_angle = rng.uniform(0, 2 * math.pi)
        ramp = (np.cos(slope_angle) * (xs / width - 0.5))[None, :] + (
            np.sin(slope_angle) * (ys / height - 0.5)
        )[:, None]
        elevation += (1.1 * ramp).astype(np.float32)  # land on one side, open sea on the other
        self.elevation = elevation
        self.moisture = _fbm(seed, 2, _MOISTURE, size, ys, xs, finest)
        self.sea_ice = _fbm(seed, 3, _SEA_ICE, size, ys, xs, finest)
        self.cloud = _fbm(seed, 4, _CLOUD, size, ys, xs, finest)
        self.shading = _fbm(seed, 5, _SHADING, size, ys, xs, finest)
        self.detail = _detail_tile(seed)
        self.detail_offsets = rng.integers(0, 512, (4, 2))

        # Thresholds from the field values inside the footprint, so the class shares are
        # right whatever the seed: 30 % sea; at high latitudes snow and ice on the highest
        # 15-45 % of the land and sea ice on 20-65 % of the sea (more in winter); in the
        # tropics neither, and vegetation up to higher ground.
        inside = _inside_footprint(np.minimum(ys, height - 1), width, height)[
            :, np.minimum(xs, width - 1).astype(np.intp)
        ]
        if not inside.any():
            inside[:] = True
        self.sea_level = float(np.quantile(elevation[inside], 0.30))
        land = elevation[inside][elevation[inside] > self.sea_level]
        self.snow_level = _level(land, (0.15 + 0.30 * winter) * polar)
        self.tree_line = float(np.quantile(land, 0.55 + 0.35 * (1 - polar)))
        self.moist_level = float(np.quantile(self.moisture[inside], 0.35))
        self.sea_ice_level = _level(self.sea_ice[inside], (0.20 + 0.45 * winter) * polar)
        self.cloud_level = _level(self.cloud[inside], cloud_fraction)
        self.cloud_ramp = 0.2 * float(np.std(self.cloud[inside]) or 1.0)

        # Shadows: the cloud seen from a pixel, looking toward the sun, at a few km height.
        length = 0.012 * size / math.tan(math.radians(max(sun_elevation, 15.0)))
        azimuth = math.radians(sun_azimuth)
        self.shadow_shift = (-length * math.cos(azimuth), length * math.sin(azimuth))

        self.columns = np.arange(width, dtype=np.float64)
        self.col_index, self.col_weight = self._axis(self.columns, self.elevation.shape[1])

    def _axis(self, coords: np.ndarray, nodes: int) -> tuple[np.ndarray, np.ndarray]:
        f = np.clip(coords / self.step, 0, nodes - 1.0001)
        index = np.floor(f).astype(np.intp)
        return index, (f - index).astype(np.float32)

    def _upsample(
        self,
        grid: np.ndarray,
        rows: np.ndarray,
        cols: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Bilinear values of a coarse grid at pixel rows x (all or shifted) columns."""
        i0, ty = self._axis(rows, grid.shape[0])
        j0, tx = cols if cols is not None else (self.col_index, self.col_weight)
        ty = ty[:, None]
        lines = grid[i0] * (1 - ty) + grid[i0 + 1] * ty
        return lines[:, j0] * (1 - tx) + lines[:, j0 + 1] * tx

    def _detail(self, rows: np.ndarray, which: int) -> np.ndarray:
        oy, ox = self.detail_offsets[which]
        r = (rows.astype(np.intp) + oy) % 512
        c = (np.arange(self.width) + ox) % 512
        return self.detail[np.ix_(r, c)]

    def strip(self, row0: int, nrows: int) -> tuple[np.ndarray, dict[str, int]]:
        """Bands B1..B7 and QA_PIXEL of rows row0..row0+nrows, and the strip's pixel counts.

        Returns a (8, nrows, width) uint16 array (B1..B7, QA_PIXEL) and a dict with the
        numbers of ``valid``, ``cloud``, ``land`` and ``cloud_land`` pixels. Works in blocks
        of :data:`_BLOCK_ROWS` rows to keep the float temporaries small.
        """
        out = np.empty((len(BANDS) + 1, nrows, self.width), dtype=np.uint16)
        totals = dict.fromkeys(("valid", "cloud", "land", "cloud_land"), 0)
        for start in range(0, nrows, _BLOCK_ROWS):
            stop = min(nrows, start + _BLOCK_ROWS)
            counts = self._block(row0 + start, stop - start, out[:, start:stop])
            for key, value in counts.items():
                totals[key] += value
        return out, totals

    def _block(self, row0: int, nrows: int, out: np.ndarray) -> dict[str, int]:
        """Fill ``out`` (8, nrows, width) for rows row0..row0+nrows; return pixel counts."""
        rows = np.arange(row0, row0 + nrows, dtype=np.float64)
        shape = (nrows, self.width)
        fill = ~_inside_footprint(rows, self.width, self.height)

        # Land cover weights (they sum to 1).
        elevation = self._upsample(self.elevation, rows)
        elevation += 0.03 * self._detail(rows, 0)
        land = np.clip((elevation - self.sea_level) / 0.01 + 0.5, 0, 1)
        snow = np.clip((elevation - self.snow_level) / 0.04 + 0.5, 0, 1)
        lowland = np.clip((self.tree_line - elevation) / 0.08 + 0.5, 0, 1)
        moisture = self._upsample(self.moisture, rows)
        vegetation = 0.9 * np.clip((moisture - self.moist_level) / 0.35, 0, 1) * lowland
        sea_ice = self._upsample(self.sea_ice, rows)
        sea_ice += 0.08 * self._detail(rows, 1)
        ice_cover = np.clip((sea_ice - self.sea_ice_level) / 0.06 + 0.5, 0, 1)
        weights = np.empty((len(_CLASSES) + 1, *shape), dtype=np.float32)
        weights[0] = (1 - land) * (1 - ice_cover)
        weights[1] = (1 - land) * ice_cover
        weights[2] = land * snow
        weights[3] = land * (1 - snow) * (1 - vegetation)
        weights[4] = land * (1 - snow) * vegetation

        # Brightness: terrain shading on land, cloud shadows everywhere.
        shading = self._upsample(self.shading, rows)
        shading += 0.6 * self._detail(rows, 2)
        gain = 1 + shading * (0.14 * (weights[3] + weights[4]) + 0.04 * weights[2])
        shift_r, shift_c = self.shadow_shift
        shifted_cols = self._axis(self.columns + shift_c, self.cloud.shape[1])
        shadow_cloud = self._upsample(self.cloud, rows + shift_r, shifted_cols)
        shadow = np.clip((shadow_cloud - self.cloud_level) / self.cloud_ramp + 0.5, 0, 1)
        gain *= 1 - _SHADOW_DARKENING * shadow

        cloud = self._upsample(self.cloud, rows)
        cloud += 0.05 * self._detail(rows, 3)
        cloudy = cloud > self.cloud_level
        alpha = (cloud - self.cloud_level + self.cloud_ramp) / (2.5 * self.cloud_ramp)
        np.clip(alpha, 0, 1, out=alpha)
        gain *= 1 - alpha
        weights[:5] *= gain
        weights[5] = alpha * (0.9 + 0.1 * self._detail(rows, 2))  # cloud, with some texture

        # QA_PIXEL, lowest priority first.
        qa = out[len(BANDS)]
        qa[...] = QA_CLEAR_LAND
        qa[weights[0] > 0.5 * gain] = QA_CLEAR_WATER
        qa[(weights[1] + weights[2]) > 0.5 * gain] = QA_SNOW_ICE
        qa[(shadow > 0.5) & (alpha == 0)] = QA_CLOUD_SHADOW
        qa[(alpha > 0) & ~cloudy] = QA_DILATED_CLOUD
        qa[cloudy] = QA_CLOUD
        qa[fill] = QA_FILL

        valid = ~fill
        is_land = (land > 0.5) & valid
        counts = {
            "valid": int(np.count_nonzero(valid)),
            "cloud": int(np.count_nonzero(cloudy & valid)),
            "land": int(np.count_nonzero(is_land)),
            "cloud_land": int(np.count_nonzero(cloudy & is_land)),
        }

        # All seven bands at once: DN = offset + scale * (spectra @ weights) + sensor noise.
        dn = (self.spectra @ weights.reshape(len(_CLASSES) + 1, -1)).reshape(len(BANDS), *shape)
        dn += _DN_OFFSET + 0.5
        rng = np.random.default_rng([self.seed, 7, row0])
        noise = rng.integers(-40, 41, (nrows, self.width + 13 * len(BANDS)), dtype=np.int16)
        for index in range(len(BANDS)):
            dn[index] += noise[:, 13 * index : 13 * index + self.width]
        np.clip(dn, 1, 65535, out=dn)
        out[: len(BANDS)] = dn
        np.copyto(out[: len(BANDS)], 0, where=fill[None])
        return counts


# --------------------------------------------------------------------------------------------
# MTL
# --------------------------------------------------------------------------------------------


def product_id_for(path: int, row: int, acquired: datetime.date) -> str:
    """Return the Collection 2 Level-1 product ID :func:`make_scene` gives a scene.

    Processed 10 days after acquisition, tier 1:
    ``LC08_L1TP_226010_20140820_20140830_02_T1``.
    """
    _check_path_row(path, row)
    day = acquired.date() if isinstance(acquired, datetime.datetime) else acquired
    processed = day + _PROCESSING_DELAY
    return f"LC08_L1TP_{path:03d}{row:03d}_{day:%Y%m%d}_{processed:%Y%m%d}_02_T1"


def _mtl_text(
    *,
    product_id: str,
    path: int,
    row: int,
    acquired: datetime.datetime,
    crs: CRS,
    transform: Affine,
    width: int,
    height: int,
    cloud_cover: float,
    cloud_cover_land: float,
    sun_azimuth: float,
    sun_elevation: float,
) -> str:
    """A Collection 2 Level-1 MTL file in ODL syntax for the files :func:`make_scene` writes."""
    from rasterio.warp import transform as warp_transform

    x0, y0 = transform.c, transform.f
    x1, y1 = x0 + width * PIXEL_SIZE, y0 - height * PIXEL_SIZE
    corners = {"UL": (x0, y0), "UR": (x1, y0), "LL": (x0, y1), "LR": (x1, y1)}
    lons, lats = warp_transform(
        crs, CRS.from_epsg(4326), [c[0] for c in corners.values()], [c[1] for c in corners.values()]
    )
    day = acquired.date()
    processed = day + _PROCESSING_DELAY
    scene_id = f"LC8{path:03d}{row:03d}{day:%Y}{day.timetuple().tm_yday:03d}LGN00"
    seconds = acquired.second + acquired.microsecond / 1e6
    centre_time = f"{acquired:%H:%M}:{seconds:010.7f}Z"
    files = [(f"FILE_NAME_BAND_{b}", f"{product_id}_B{b}.TIF") for b in BANDS]
    files.append(("FILE_NAME_QUALITY_L1_PIXEL", f"{product_id}_QA_PIXEL.TIF"))
    files.append(("FILE_NAME_METADATA_ODL", f"{product_id}_MTL.txt"))
    origin = '"Image courtesy of the U.S. Geological Survey"'
    doi = '"https://doi.org/10.5066/P975CC9B"'

    groups: list[tuple[str, list[tuple[str, str]]]] = [
        (
            "PRODUCT_CONTENTS",
            [
                ("ORIGIN", origin),
                ("DIGITAL_OBJECT_IDENTIFIER", doi),
                ("LANDSAT_PRODUCT_ID", f'"{product_id}"'),
                ("PROCESSING_LEVEL", '"L1TP"'),
                ("COLLECTION_NUMBER", "02"),
                ("COLLECTION_CATEGORY", '"T1"'),
                ("OUTPUT_FORMAT", '"GEOTIFF"'),
                *((key, f'"{name}"') for key, name in files),
                *((f"DATA_TYPE_BAND_{b}", '"UINT16"') for b in BANDS),
                ("DATA_TYPE_QUALITY_L1_PIXEL", '"UINT16"'),
            ],
        ),
        (
            "IMAGE_ATTRIBUTES",
            [
                ("SPACECRAFT_ID", '"LANDSAT_8"'),
                ("SENSOR_ID", '"OLI_TIRS"'),
                ("WRS_TYPE", "2"),
                ("WRS_PATH", str(path)),
                ("WRS_ROW", str(row)),
                ("NADIR_OFFNADIR", '"NADIR"'),
                ("TARGET_WRS_PATH", str(path)),
                ("TARGET_WRS_ROW", str(row)),
                ("DATE_ACQUIRED", f"{day:%Y-%m-%d}"),
                ("SCENE_CENTER_TIME", f'"{centre_time}"'),
                ("STATION_ID", '"LGN"'),
                ("CLOUD_COVER", f"{cloud_cover:.2f}"),
                ("CLOUD_COVER_LAND", f"{cloud_cover_land:.2f}"),
                ("IMAGE_QUALITY_OLI", "9"),
                ("IMAGE_QUALITY_TIRS", "9"),
                *((f"SATURATION_BAND_{b}", '"N"') for b in range(1, 10)),
                ("ROLL_ANGLE", "-0.001"),
                ("SUN_AZIMUTH", f"{sun_azimuth:.8f}"),
                ("SUN_ELEVATION", f"{sun_elevation:.8f}"),
                ("EARTH_SUN_DISTANCE", f"{_earth_sun_distance(day):.7f}"),
                ("TRUNCATION_OLI", '"UPPER"'),
            ],
        ),
        (
            "PROJECTION_ATTRIBUTES",
            [
                ("MAP_PROJECTION", '"UTM"'),
                ("DATUM", '"WGS84"'),
                ("ELLIPSOID", '"WGS84"'),
                ("UTM_ZONE", str(crs.to_epsg() - 32600)),
                ("GRID_CELL_SIZE_PANCHROMATIC", "15.00"),
                ("GRID_CELL_SIZE_REFLECTIVE", "30.00"),
                ("GRID_CELL_SIZE_THERMAL", "30.00"),
                ("PANCHROMATIC_LINES", str(2 * height - 1)),
                ("PANCHROMATIC_SAMPLES", str(2 * width - 1)),
                ("REFLECTIVE_LINES", str(height)),
                ("REFLECTIVE_SAMPLES", str(width)),
                ("THERMAL_LINES", str(height)),
                ("THERMAL_SAMPLES", str(width)),
                ("ORIENTATION", '"NORTH_UP"'),
                *(
                    item
                    for name, lat, lon in zip(corners, lats, lons, strict=True)
                    for item in (
                        (f"CORNER_{name}_LAT_PRODUCT", f"{lat:.5f}"),
                        (f"CORNER_{name}_LON_PRODUCT", f"{lon:.5f}"),
                    )
                ),
                *(
                    item
                    for name, (x, y) in corners.items()
                    for item in (
                        (f"CORNER_{name}_PROJECTION_X_PRODUCT", f"{x:.3f}"),
                        (f"CORNER_{name}_PROJECTION_Y_PRODUCT", f"{y:.3f}"),
                    )
                ),
            ],
        ),
        (
            "LEVEL1_PROCESSING_RECORD",
            [
                ("ORIGIN", origin),
                ("DIGITAL_OBJECT_IDENTIFIER", doi),
                ("LANDSAT_SCENE_ID", f'"{scene_id}"'),
                ("LANDSAT_PRODUCT_ID", f'"{product_id}"'),
                ("PROCESSING_LEVEL", '"L1TP"'),
                ("COLLECTION_CATEGORY", '"T1"'),
                ("OUTPUT_FORMAT", '"GEOTIFF"'),
                ("DATE_PRODUCT_GENERATED", f"{processed:%Y-%m-%d}T12:00:00Z"),
                ("PROCESSING_SOFTWARE_VERSION", '"SYNTHETIC landsat_ops"'),
                *((key, f'"{name}"') for key, name in files),
                ("DATA_SOURCE_ELEVATION", '"GLS2000"'),
            ],
        ),
        (
            "LEVEL1_MIN_MAX_REFLECTANCE",
            [
                item
                for b in range(1, 10)
                for item in (
                    (f"REFLECTANCE_MAXIMUM_BAND_{b}", "1.210700"),
                    (f"REFLECTANCE_MINIMUM_BAND_{b}", "-0.099980"),
                )
            ],
        ),
        (
            "LEVEL1_MIN_MAX_PIXEL_VALUE",
            [
                item
                for b in range(1, 12)
                for item in (
                    (f"QUANTIZE_CAL_MAX_BAND_{b}", "65535"),
                    (f"QUANTIZE_CAL_MIN_BAND_{b}", "1"),
                )
            ],
        ),
        (
            "LEVEL1_RADIOMETRIC_RESCALING",
            [
                *((f"RADIANCE_MULT_BAND_{b}", f"{m:.4E}") for b, m in enumerate(_RADIANCE_MULT, 1)),
                *((f"RADIANCE_ADD_BAND_{b}", f"{a:.5f}") for b, a in enumerate(_RADIANCE_ADD, 1)),
                *((f"REFLECTANCE_MULT_BAND_{b}", "2.0000E-05") for b in range(1, 10)),
                *((f"REFLECTANCE_ADD_BAND_{b}", "-0.100000") for b in range(1, 10)),
            ],
        ),
        (
            "LEVEL1_PROJECTION_PARAMETERS",
            [
                ("MAP_PROJECTION", '"UTM"'),
                ("DATUM", '"WGS84"'),
                ("ELLIPSOID", '"WGS84"'),
                ("UTM_ZONE", str(crs.to_epsg() - 32600)),
                ("GRID_CELL_SIZE_REFLECTIVE", "30.00"),
                ("ORIENTATION", '"NORTH_UP"'),
                ("RESAMPLING_OPTION", '"CUBIC_CONVOLUTION"'),
            ],
        ),
    ]
    lines = ["GROUP = LANDSAT_METADATA_FILE"]
    for group, items in groups:
        lines.append(f"  GROUP = {group}")
        lines.extend(f"    {key} = {value}" for key, value in items)
        lines.append(f"  END_GROUP = {group}")
    lines += ["END_GROUP = LANDSAT_METADATA_FILE", "END", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# make_scene
# --------------------------------------------------------------------------------------------


def _as_utc(acquired: datetime.datetime | datetime.date, path: int, row: int) -> datetime.datetime:
    if isinstance(acquired, datetime.datetime):
        if acquired.tzinfo is None or acquired.utcoffset() is None:
            return acquired.replace(tzinfo=datetime.UTC)
        return acquired.astimezone(datetime.UTC)
    if isinstance(acquired, datetime.date):
        from landsat_ops.overpass import overpass_datetime

        midnight = datetime.datetime.combine(acquired, datetime.time(), datetime.UTC)
        at = overpass_datetime(path, row, midnight)
        if at.date() == acquired:
            return at
        return midnight + datetime.timedelta(hours=12)  # not an overpass day: noon UTC
    raise OptionError(f"acquired must be a datetime, got {acquired!r}")


def _climate(lat: float, day: datetime.date) -> tuple[float, float]:
    """How polar the latitude is (0 below 35 degrees, 1 above 60) and how wintry the day.

    Winter is 0 in high summer and up to 1 in midwinter, weighted by the latitude.
    """
    polar = min(1.0, max(0.0, (abs(lat) - 35.0) / 25.0))
    doy = day.timetuple().tm_yday
    if lat < 0:
        doy += 182
    season = 0.5 * (1 + math.cos(2 * math.pi * (doy - 15) / 365.25))
    return polar, season * min(1.0, max(0.0, (abs(lat) - 35.0) / 30.0))


def _default_cloud_cover(seed: int) -> float:
    return float(np.random.default_rng([seed, 12345]).uniform(5.0, 30.0))


def make_scene(
    out_dir: str | Path,
    *,
    path: int = 226,
    row: int = 10,
    acquired: datetime.datetime,
    width: int = FULL_WIDTH,
    height: int = FULL_HEIGHT,
    seed: int = 0,
    cloud_cover: float | None = None,
) -> Path:
    """Write a synthetic Landsat 8 Collection 2 Level-1 scene folder and return its path.

    Parameters
    ----------
    out_dir : str or Path
        Parent folder (created if missing). The scene goes to ``out_dir/<product ID>/``
        (see :func:`product_id_for`); an existing scene folder of that ID is replaced.
    path, row : int
        WRS-2 path and row (default 226/010, Scoresby Sund, East Greenland). They set the
        UTM zone, the sun position and the season.
    acquired : datetime.datetime
        Scene centre time (naive means UTC). A ``datetime.date`` gets the predicted
        overpass time of that day (:mod:`landsat_ops.overpass`).
    width, height : int
        Grid size in 30 m pixels, at least 64 each (default: full size, 7791 x 7921).
        Smaller scenes are miniatures of the same landscape.
    seed : int
        Random seed: the same arguments give the same files, pixel for pixel.
    cloud_cover : float, optional
        Target cloud cover, percent of the valid pixels (0-100). Default: 5-30 %, from the
        seed. The MTL ``CLOUD_COVER`` is the share actually written, within a few percent.

    Returns
    -------
    Path
        The scene folder.

    Raises
    ------
    OptionError
        If an argument is out of range.
    StorageError
        If the folder cannot be written; nothing is left behind.

    Examples
    --------
    >>> make_scene("/tmp/scenes", acquired=datetime.datetime(2014, 8, 20, 13, 22),
    ...            width=600, height=600)  # doctest: +SKIP
    PosixPath('/tmp/scenes/LC08_L1TP_226010_20140820_20140830_02_T1')
    """
    _check_path_row(path, row)
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, int) or value < 64:
            raise OptionError(f"{name} must be an integer of at least 64 pixels, got {value!r}")
    if cloud_cover is None:
        cloud_cover = _default_cloud_cover(seed)
    if not 0.0 <= float(cloud_cover) <= 100.0:
        raise OptionError(f"cloud_cover must be a percentage 0-100, got {cloud_cover!r}")
    at = _as_utc(acquired, path, row)
    product_id = product_id_for(path, row, at)
    crs, transform, lat, lon = _grid(path, row, width, height)
    sun_azimuth, sun_elevation = _sun_position(lat, lon, at)
    sun_elevation = max(sun_elevation, MIN_SUN_ELEVATION)

    out_dir = Path(out_dir)
    final = out_dir / product_id
    partial = out_dir / f".{product_id}.partial-{uuid.uuid4().hex[:8]}"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        partial.mkdir()
    except OSError as exc:
        raise StorageError(
            f"cannot create scene folder in {out_dir}: {exc.strerror or exc} "
            "(expected a writable folder)"
        ) from None
    try:
        model = _SceneModel(
            width,
            height,
            seed,
            float(cloud_cover) / 100.0,
            *_climate(lat, at.date()),
            sun_azimuth,
            sun_elevation,
        )
        counts = _write_rasters(partial, product_id, model, crs, transform)
        cover = 100.0 * counts["cloud"] / max(counts["valid"], 1)
        cover_land = 100.0 * counts["cloud_land"] / max(counts["land"], 1)
        mtl = _mtl_text(
            product_id=product_id,
            path=path,
            row=row,
            acquired=at,
            crs=crs,
            transform=transform,
            width=width,
            height=height,
            cloud_cover=cover,
            cloud_cover_land=cover_land,
            sun_azimuth=sun_azimuth,
            sun_elevation=sun_elevation,
        )
        (partial / f"{product_id}_MTL.txt").write_text(mtl, encoding="ascii")
        _replace_folder(partial, final)
    except BaseException as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, OSError | RasterioError):
            raise StorageError(
                f"cannot write scene {final}: {exc} (expected a writable folder with free space)"
            ) from exc
        raise
    return final


def _write_rasters(
    folder: Path, product_id: str, model: _SceneModel, crs: CRS, transform: Affine
) -> dict[str, int]:
    """Write the 7 bands and QA_PIXEL strip by strip; return the summed pixel counts."""
    profile = {
        "driver": "GTiff",
        "dtype": "uint16",
        "count": 1,
        "width": model.width,
        "height": model.height,
        "crs": crs,
        "transform": transform,
        "nodata": None,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "predictor": 2,
        "zlevel": 1,
        "num_threads": "all_cpus",
    }
    names = [f"{product_id}_B{b}.TIF" for b in BANDS] + [f"{product_id}_QA_PIXEL.TIF"]
    totals = {"valid": 0, "cloud": 0, "land": 0, "cloud_land": 0}
    with rasterio.Env(GDAL_CACHEMAX=64 * 1024 * 1024), contextlib.ExitStack() as stack:
        outputs = [stack.enter_context(rasterio.open(folder / n, "w", **profile)) for n in names]
        for row0 in range(0, model.height, STRIP_ROWS):
            nrows = min(STRIP_ROWS, model.height - row0)
            data, counts = model.strip(row0, nrows)
            window = Window(0, row0, model.width, nrows)
            for index, dst in enumerate(outputs):
                dst.write(data[index], 1, window=window)
            for key, value in counts.items():
                totals[key] += value
    return totals


def _replace_folder(partial: Path, final: Path) -> None:
    """Move the finished scene into place, replacing an older copy."""
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        final.rename(old)
        partial.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        partial.rename(final)


# --------------------------------------------------------------------------------------------
# make_catalog: a static STAC catalog of synthetic scenes
# --------------------------------------------------------------------------------------------


def _scene_complete(folder: Path) -> bool:
    pid = folder.name
    needed = [f"{pid}_B{b}.TIF" for b in BANDS] + [f"{pid}_QA_PIXEL.TIF", f"{pid}_MTL.txt"]
    return all((folder / name).is_file() for name in needed)


def _catalog_seed(path: int, row: int, at: datetime.datetime) -> int:
    return int(f"{at:%Y%m%d}") * 1_000_000 + path * 1000 + row


def _catalog_cloud_cover(seed: int) -> float:
    return round(float(np.random.default_rng([seed, 54321]).uniform(0.0, 80.0)), 1)


def _scene_item(folder: Path):
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

    Scenes go to ``root/scenes/<product ID>/`` (seeded by the date, cloud cover 0-80 % varying
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
            )
        items.append(_scene_item(folder))

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
