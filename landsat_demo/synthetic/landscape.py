"""What a synthetic scene shows: land cover, clouds, shadows and QA_PIXEL, strip by strip.

Smooth random fields (value noise on a coarse grid plus a periodic detail tile) decide sea,
sea ice, snow and ice, bare rock and vegetation, and the clouds with their shadows;
:class:`SceneModel` turns them into digital numbers of B1..B7 and a Collection 2 QA_PIXEL.
"""

from __future__ import annotations

import math

import numpy as np

from landsat_demo.synthetic.geometry import inside_footprint
from landsat_demo.synthetic.mtl import BANDS

__all__ = [
    "QA_CLEAR_LAND",
    "QA_CLEAR_WATER",
    "QA_CLOUD",
    "QA_CLOUD_SHADOW",
    "QA_DILATED_CLOUD",
    "QA_FILL",
    "QA_SNOW_ICE",
    "SceneModel",
]

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
_BLOCK_ROWS = 128  # rows computed at once inside a strip (float temporaries ~ 4 MB each)
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


class SceneModel:
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
        terrain_seed: int | None = None,
    ) -> None:
        # The terrain (elevation, moisture, shading, texture) comes from `terrain_seed`, the
        # weather (cloud, sea ice, sensor noise) from `seed`: scenes of one place on other
        # dates share their land and differ in cloud, sea ice and the season's snow.
        self.width, self.height, self.seed = width, height, seed
        terrain = seed if terrain_seed is None else terrain_seed
        # (band, class) DN per unit weight: five land covers, then cloud.
        scale = _DN_PER_REFLECTANCE * math.sin(math.radians(sun_elevation))
        self.spectra = (np.vstack([_SPECTRA, _CLOUD_SPECTRUM]).T * scale).astype(np.float32)
        size = float(max(width, height))
        # Coarse grid: every `step` pixels, plus a margin so that lookups never run off.
        self.step = max(1, math.ceil(size / 1024))
        ys = np.arange(0, height + 2 * self.step, self.step, dtype=np.float64)
        xs = np.arange(0, width + 2 * self.step, self.step, dtype=np.float64)
        finest = 2.0 * self.step
        rng = np.random.default_rng([terrain, 0])

        elevation = _fbm(terrain, 1, _ELEVATION, size, ys, xs, finest)
        slope_angle = rng.uniform(0, 2 * math.pi)
        ramp = (np.cos(slope_angle) * (xs / width - 0.5))[None, :] + (
            np.sin(slope_angle) * (ys / height - 0.5)
        )[:, None]
        elevation += (1.1 * ramp).astype(np.float32)  # land on one side, open sea on the other
        self.elevation = elevation
        self.moisture = _fbm(terrain, 2, _MOISTURE, size, ys, xs, finest)
        self.sea_ice = _fbm(seed, 3, _SEA_ICE, size, ys, xs, finest)
        self.cloud = _fbm(seed, 4, _CLOUD, size, ys, xs, finest)
        self.shading = _fbm(terrain, 5, _SHADING, size, ys, xs, finest)
        self.detail = _detail_tile(terrain)
        self.detail_offsets = rng.integers(0, 512, (4, 2))

        # Thresholds from the field values inside the footprint, so the class shares are
        # right whatever the seed: 30 % sea; at high latitudes snow and ice on the highest
        # 15-45 % of the land and sea ice on 20-65 % of the sea (more in winter); in the
        # tropics neither, and vegetation up to higher ground.
        inside = inside_footprint(np.minimum(ys, height - 1), width, height)[
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
        fill = ~inside_footprint(rows, self.width, self.height)

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
