"""Snow/ice and water classes of a scene's clear pixels, from reflectance (one compiled kernel).

The tests (docs/extent.md explains the choice and gives the references):

* **snow/ice**: ``NDSI = (green - SWIR1) / (green + SWIR1) > 0.4`` (Dozier 1989; Hall, Riggs
  and Salomonson 1995), ``NIR > 0.11`` (SNOMAP's guard: water has a high NDSI too, but a dark
  NIR) and ``green > 0.10`` (Dozier's guard against dark targets);
* **water**: ``MNDWI = (green - SWIR1) / (green + SWIR1) > 0`` (Xu 2006; for OLI the same ratio
  as the NDSI) with ``NIR <= 0.11``: what SNOMAP's NIR guard turns away from snow;
* a pixel is **clear** when :func:`landsat_ops.scene.qa.clear_mask` says so (not fill, cloud,
  dilated cloud nor cloud shadow); only clear pixels are classed.

Reflectance is ``(DN * mult + add) / sin(sun elevation)`` for Level-1 (top of atmosphere with
the sun-elevation correction, the MTL's ``REFLECTANCE_MULT/ADD_BAND_n``) and ``DN * mult +
add`` for Level-2 (surface reflectance; the MTL's Level-2 scaling, else the Collection 2
constants), as the renderer's ``natural`` stretch computes it. The ratio is undefined (the
pixel is neither class) where ``green + SWIR1 <= 0``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from landsat_ops.errors import SceneError
from landsat_ops.raster.jit import compiled
from landsat_ops.scene import Metadata, SceneFiles
from landsat_ops.scene.rescaling import SR_ADD, SR_MULT

__all__ = [
    "CLASSES",
    "EXTENT_BANDS",
    "GREEN_MIN",
    "NDSI_MIN",
    "NIR_MIN",
    "THRESHOLDS",
    "WATER_MNDWI_MIN",
    "classify_strip",
    "extent_coefficients",
]

EXTENT_BANDS = (3, 5, 6)
"""Green, NIR and SWIR1: the OLI bands the extent reads (with the QA band and the MTL)."""
NDSI_MIN = 0.4
NIR_MIN = 0.11
GREEN_MIN = 0.10
WATER_MNDWI_MIN = 0.0
THRESHOLDS = {
    "ndsi_min": NDSI_MIN,
    "nir_min": NIR_MIN,
    "green_min": GREEN_MIN,
    "water_mndwi_min": WATER_MNDWI_MIN,
}
"""The tests' thresholds, as the ``landsat_ops:extent`` STAC fields record them."""

CLASSES = ("fill", "clear_other", "snow_ice", "water", "not_clear")
"""The code of each pixel in :func:`classify_strip`'s output is its index here; the render's
``<ID>_extent.tif`` holds these codes (0 = no data)."""
FILL, OTHER, SNOW_ICE, WATER, NOT_CLEAR = range(len(CLASSES))


def extent_coefficients(
    files: SceneFiles, meta: Metadata | None, *, where: str | None = None
) -> dict[int, tuple[float, float, float]]:
    """``{band: (mult, add, mu)}`` for green, NIR and SWIR1: ``reflectance = (dn*mult+add)/mu``.

    ``mu`` is the sine of the sun elevation for Level-1 (1 for Level-2).

    Raises
    ------
    SceneError
        A Level-1 scene without an MTL, or whose MTL lacks a band's reflectance rescaling or
        the sun elevation.
    """
    name = where or str(files.folder)
    if files.surface_reflectance:
        mult = meta.sr_mult if meta is not None else {}
        add = meta.sr_add if meta is not None else {}
        return {b: (mult.get(b, SR_MULT), add.get(b, SR_ADD), 1.0) for b in EXTENT_BANDS}
    if meta is None:
        raise SceneError(
            f"{name}: no MTL file; the extent of a Level-1 scene needs its "
            "REFLECTANCE_MULT/ADD_BAND_3/5/6 and SUN_ELEVATION (expected <ID>_MTL.txt, .json "
            "or .xml next to the bands)"
        )
    missing = [
        f"REFLECTANCE_MULT/ADD_BAND_{b}"
        for b in EXTENT_BANDS
        if b not in meta.reflectance_mult or b not in meta.reflectance_add
    ]
    if meta.sun_elevation is None:
        missing.append("SUN_ELEVATION")
    if missing:
        raise SceneError(
            f"{name}: the MTL has no {', '.join(missing)} (needed for the top-of-atmosphere "
            "reflectance of the snow/ice and water extent)"
        )
    mu = math.sin(math.radians(max(float(meta.sun_elevation), 1.0)))
    return {b: (meta.reflectance_mult[b], meta.reflectance_add[b], mu) for b in EXTENT_BANDS}


@compiled(
    "void(uint16[:, ::1], uint16[:, ::1], uint16[:, ::1], uint16[:, ::1], uint8[::1], "
    "float64[::1], uint8[:, ::1], int64[::1])"
)
def _classify(green, nir, swir, qa, clear, k, out, counts):  # pragma: no cover - compiled
    """Class code of every pixel into ``out``, their counts added to ``counts`` (see module).

    ``k`` holds (mult, add, mu) of green, NIR, SWIR1 then NDSI_MIN, NIR_MIN, GREEN_MIN,
    WATER_MNDWI_MIN.
    """
    rows, cols = green.shape
    for y in range(rows):
        for x in range(cols):
            dg = green[y, x]
            dn = nir[y, x]
            ds = swir[y, x]
            q = qa[y, x]
            if dg == 0 or dn == 0 or ds == 0 or (q & 1) == 1:
                code = 0  # FILL
            elif clear[q] == 0:
                code = 4  # NOT_CLEAR
            else:
                g = (dg * k[0] + k[1]) / k[2]
                n = (dn * k[3] + k[4]) / k[5]
                s = (ds * k[6] + k[7]) / k[8]
                code = 1  # OTHER
                total = g + s
                if total > 0:
                    ratio = (g - s) / total
                    if ratio > k[9] and n > k[10] and g > k[11]:
                        code = 2  # SNOW_ICE
                    elif ratio > k[12] and n <= k[10]:
                        code = 3  # WATER
            out[y, x] = code
            counts[code] += 1


def classify_strip(
    green: np.ndarray,
    nir: np.ndarray,
    swir1: np.ndarray,
    qa: np.ndarray,
    clear_table: np.ndarray,
    coefficients: Mapping[int, tuple[float, float, float]],
    out: np.ndarray | None = None,
    counts: np.ndarray | None = None,
) -> np.ndarray:
    """Class codes (uint8, :data:`CLASSES`) of a strip of green, NIR, SWIR1 DN and its QA.

    ``clear_table`` is :func:`landsat_ops.scene.qa.clear_lut` of the scene's QA layout;
    ``coefficients`` :func:`extent_coefficients`. A pixel is fill when any band's DN is 0
    or the QA's fill bit is set. When ``counts`` (int64, one per class) is given, the strip's
    class counts are added to it.
    """
    arrays = [np.ascontiguousarray(a, dtype=np.uint16) for a in (green, nir, swir1, qa)]
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays) or len(shape) != 2:
        raise ValueError(f"strips of different shapes: {[a.shape for a in arrays]}")
    k = np.array(
        [
            *(value for b in EXTENT_BANDS for value in coefficients[b]),
            NDSI_MIN,
            NIR_MIN,
            GREEN_MIN,
            WATER_MNDWI_MIN,
        ],
        np.float64,
    )
    if out is None:
        out = np.empty(shape, np.uint8)
    if counts is None:
        counts = np.zeros(len(CLASSES), np.int64)
    _classify(*arrays, np.ascontiguousarray(clear_table, np.uint8), k, out, counts)
    return out
