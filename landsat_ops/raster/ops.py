"""Pure numpy operations: histograms, percentile cut-offs, stretch tables, NDVI, colour maps.

Two per-channel 8-bit stretch tables live here: :func:`stretch_lut` (``linear``) and
:func:`tutorial_lut` (manual ``--ranges``: the tutorial's arithmetic); the ``natural`` mode's
tables and its saturation are in :mod:`landsat_ops.raster.tone`. All keep DN 0 (fill) at 0 and
every valid DN within 1..255, so the streaming kernels apply any of them the same way.

Array in, array out, no I/O. The renderer streams a scene window by window through these
functions, so each works on a window and the scene-wide state (the histograms) is small:
a uint16 band's exact distribution is 65536 counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from landsat_ops.errors import NoValidPixelsError, OptionError
from landsat_ops.products import DN_LEVELS, validate_percentiles, validate_range


def dn_histogram(band: np.ndarray, scratch: np.ndarray | None = None) -> np.ndarray:
    """Counts of every uint16 value in ``band``, with the fill value 0 not counted.

    Parameters
    ----------
    band : ndarray of uint16
        One window of a band; 0 is fill (Landsat Level-1 and Level-2 convention).
    scratch : ndarray of intp, optional
        A reusable 1-D buffer of at least ``band.size`` elements. ``np.bincount`` needs
        intp input; converting into a kept buffer avoids a large allocation per window.

    Returns
    -------
    ndarray of int64, shape (65536,)
        ``hist[v]`` is the number of pixels equal to ``v``; ``hist[0]`` is always 0.
    """
    if band.dtype != np.uint16:
        raise OptionError(f"dn_histogram expects uint16 data, got {band.dtype}")
    values = band.ravel()
    if scratch is not None:
        values = scratch[: band.size]
        np.copyto(values, band.ravel(), casting="safe")
    hist = np.bincount(values, minlength=DN_LEVELS).astype(np.int64, copy=False)
    hist[0] = 0
    return hist


def clear_dn_histogram(band: np.ndarray, qa: np.ndarray, clear: np.ndarray) -> np.ndarray:
    """:func:`dn_histogram` of the pixels whose QA value is clear (``clear[qa]`` non-zero).

    ``clear`` is a 65536-entry table from :func:`landsat_ops.scene.qa.clear_lut`; fill (DN 0)
    is never counted. The reference of :func:`landsat_ops.raster.kernels.histogram_clear_u16`.
    """
    return dn_histogram(np.ascontiguousarray(band[clear[qa] != 0]))


def percentile_cutoffs(hist: np.ndarray, percentiles: Sequence[float]) -> tuple[float, float]:
    """Percentiles of the values a histogram counts, exactly as ``np.percentile`` computes them.

    ``np.percentile`` (method ``"linear"``) sorts the n values and interpolates between the
    order statistics at rank ``q / 100 * (n - 1)``. The same ranks are found here in the
    cumulative histogram, so the result equals ``np.percentile(values, q)`` without ever
    holding the values.

    Raises
    ------
    NoValidPixelsError
        When the histogram counts nothing.
    """
    low, high = validate_percentiles(percentiles)
    cumulative = np.cumsum(hist)
    n = int(cumulative[-1])
    if n == 0:
        raise NoValidPixelsError("no valid (non-fill) pixels to compute a stretch from")
    out = []
    for q in (low, high):
        rank = q / 100.0 * (n - 1)
        below, frac = int(np.floor(rank)), rank - np.floor(rank)
        v0 = int(np.searchsorted(cumulative, below, side="right"))
        v1 = int(np.searchsorted(cumulative, min(below + 1, n - 1), side="right"))
        out.append(v0 + (v1 - v0) * frac)
    return out[0], out[1]


def stretch_lut(low: float, high: float) -> np.ndarray:
    """Lookup table mapping every uint16 DN to 8 bits, keeping 0 for fill.

    DN 0 (fill) maps to 0, the no-data value of the 8-bit products. Every other DN maps
    linearly from ``low`` -> 1 to ``high`` -> 255, rounded to nearest and clipped to 1..255,
    so a valid pixel never looks like fill. Applying it (``lut[band]``) is the stretch.
    """
    validate_range(low, high)
    dn = np.arange(DN_LEVELS, dtype=np.float64)
    scaled = 1.0 + (dn - low) * (254.0 / (high - low))
    lut = np.clip(np.rint(scaled), 1, 255).astype(np.uint8)
    lut[0] = 0
    return lut


def tutorial_lut(low: float, high: float) -> np.ndarray:
    """Lookup table of manual DN ranges: the "matplotlib in the cloud" tutorial's arithmetic.

    The tutorial rescales ``(dn - low) / (high - low)`` in float64, clips to 0..1 and lets
    matplotlib turn it into 8 bits (``(x * 255).astype(uint8)``, i.e. truncation). This table
    gives exactly those values, except that DN 0 (fill) is 0, the no-data value, and a valid
    pixel the tutorial would make 0 (DN at or below ``low``) is 1.
    """
    validate_range(low, high)
    dn = np.arange(DN_LEVELS, dtype=np.float64)
    x = np.clip((dn - low) / (high - low), 0, 1)
    lut = np.maximum((x * 255).astype(np.uint8), 1)
    lut[0] = 0
    return lut


def apply_lut(band: np.ndarray, lut: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Look every pixel of ``band`` up in ``lut`` (``lut[band]`` without a temporary)."""
    return np.take(lut, band, out=out)


def reflectance(dn: np.ndarray, mult: float, add: float) -> np.ndarray:
    """Reflectance from DN with a linear rescaling ``dn * mult + add`` (float32).

    Level-1: the MTL's REFLECTANCE_MULT/ADD give top-of-atmosphere reflectance (not
    corrected for the sun angle; NDVI, a ratio of two bands of one scene, does not need it).
    Level-2: 2.75e-05 and -0.2 give surface reflectance.
    """
    out = dn.astype(np.float32)
    out *= np.float32(mult)
    out += np.float32(add)
    return out


def ndvi(
    red: np.ndarray,
    nir: np.ndarray,
    valid: np.ndarray,
    nodata: float = np.nan,
) -> np.ndarray:
    """Normalized difference vegetation index ``(nir - red) / (nir + red)`` (float32).

    The NDVI rule of the project (the ``ndvi`` product, its compiled twin
    :func:`landsat_ops.raster.kernels.ndvi_u16` and ``landsat-ops sample`` all follow it):
    a pixel has an NDVI only when it is ``valid`` and **both** reflectances are positive.
    Negative reflectance (Level-2 surface reflectance over dark water, shadow or
    atmospheric over-correction; ``DN x 2.75e-5 - 0.2 < 0`` below DN 7273) is an artefact
    that makes the ratio meaningless (e.g. 6.457 where red is -0.012 and NIR 0.016), so
    such pixels become ``nodata``. With both terms positive, ``|nir - red| < nir + red``
    and every value lies within [-1, 1].
    """
    total = nir + red
    ok = valid & (red > 0) & (nir > 0)
    out = np.full(red.shape, nodata, dtype=np.float32)
    np.divide(nir - red, total, out=out, where=ok)
    return out


def ndvi_from_dn(
    red_dn: np.ndarray,
    nir_dn: np.ndarray,
    red_mult: float,
    red_add: float,
    nir_mult: float,
    nir_add: float,
    out: np.ndarray | None = None,
    work: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """NDVI of reflectance computed from uint16 DN (0 = fill -> NaN); see :func:`reflectance`.

    A pixel is NaN unless neither band is fill and both reflectances are positive (the rule
    of :func:`ndvi`), so every value is within [-1, 1].

    Gives the same values as ``ndvi(reflectance(red), reflectance(nir), valid_mask(...))``.
    ``out`` and the two ``work`` arrays (float32, the shape of the bands) are optional
    buffers reused across windows.
    """
    shape = red_dn.shape
    out = np.empty(shape, np.float32) if out is None else out
    if work is None:
        work = (np.empty(shape, np.float32), np.empty(shape, np.float32))
    red, diff = work
    np.multiply(red_dn, np.float32(red_mult), out=red, dtype=np.float32)
    red += np.float32(red_add)
    np.multiply(nir_dn, np.float32(nir_mult), out=out, dtype=np.float32)
    out += np.float32(nir_add)  # out = NIR reflectance
    np.subtract(out, red, out=diff)
    valid = (red_dn != 0) & (nir_dn != 0) & (red > 0) & (out > 0)  # the rule of :func:`ndvi`
    out += red  # out = NIR + red
    np.divide(diff, out, out=out, where=valid)
    np.copyto(out, np.float32(np.nan), where=~valid)
    return out


def value_histogram(values: np.ndarray, low: float, high: float, bins: int) -> np.ndarray:
    """Counts of the finite ``values`` in ``bins`` equal bins over [low, high] (clipped)."""
    finite = values[np.isfinite(values)]
    index = ((finite - low) * (bins / (high - low))).astype(np.int64)
    np.clip(index, 0, bins - 1, out=index)
    return np.bincount(index, minlength=bins)


def valid_mask(*bands: np.ndarray) -> np.ndarray:
    """True where every band holds data (non-zero DN)."""
    mask = bands[0] != 0
    for band in bands[1:]:
        mask &= band != 0
    return mask


def colormap_lut(name: str = "RdYlGn", n: int = 256) -> np.ndarray:
    """An ``(n, 4)`` uint8 RGBA table from a matplotlib colour map."""
    from matplotlib import colormaps

    cmap = colormaps[name].resampled(n)
    return (cmap(np.arange(n)) * 255).round().astype(np.uint8)


def colorize(
    values: np.ndarray, vmin: float, vmax: float, lut: np.ndarray, rows: int = 128
) -> np.ndarray:
    """Map float values (NaN = nodata) to RGBA via ``lut``; nodata becomes transparent.

    Computed ``rows`` rows at a time (the mapping is per pixel): the temporaries (an index
    and float scalings per pixel) stay small whatever the size of ``values``.
    """
    if values.ndim < 2:
        return _colorize(values, vmin, vmax, lut)
    out = np.empty((*values.shape, *lut.shape[1:]), lut.dtype)
    for start in range(0, values.shape[0], rows):
        out[start : start + rows] = _colorize(values[start : start + rows], vmin, vmax, lut)
    return out


def _colorize(values: np.ndarray, vmin: float, vmax: float, lut: np.ndarray) -> np.ndarray:
    n = len(lut)
    finite = np.isfinite(values)
    idx = np.zeros(values.shape, dtype=np.intp)
    scaled = (np.where(finite, values, vmin) - vmin) / (vmax - vmin) * (n - 1)
    np.clip(np.rint(scaled), 0, n - 1, out=scaled)
    idx[...] = scaled
    rgba = lut[idx]
    rgba[~finite] = 0
    return rgba


def ndvi_levels(values: np.ndarray) -> np.ndarray:
    """NDVI (NaN = no data) -> uint8 palette levels: ``128 + round(127 ndvi)``, rounded half
    up and kept within 1..255 (:func:`landsat_ops.products.ndvi_level`), 0 where not finite.

    The numpy reference of :func:`landsat_ops.raster.kernels.ndvi_levels`.
    """
    finite = np.isfinite(values)
    levels = np.floor(128.5 + 127.0 * np.where(finite, values, 0).astype(np.float64))
    np.clip(levels, 1, 255, out=levels)
    return np.where(finite, levels, 0).astype(np.uint8)


def ndvi_palette(name: str = "RdYlGn") -> np.ndarray:
    """The ``(256, 4)`` RGBA colour table of the paletted NDVI: entry 0 (no data) transparent,
    level ``L`` the colour :func:`colorize` gives NDVI ``(L - 128) / 127`` over -1..1 (so the
    paletted COG and the NDVI PNG preview agree)."""
    table = np.zeros((256, 4), np.uint8)
    table[1:] = _colorize((np.arange(1, 256) - 128) / 127.0, -1.0, 1.0, colormap_lut(name))
    return table


def cell_sums(data: np.ndarray, step: int, nodata: float) -> tuple[np.ndarray, np.ndarray]:
    """Sums (float64) and counts (int32) of the valid pixels of every ``step x step`` cell.

    ``data`` is ``(count, rows, cols)``; cells at the right and bottom edges are partial.
    No data is ``nodata`` (NaN: every non-finite value). The first level of
    :func:`mean_pyramid`; :func:`landsat_ops.raster.kernels.cell_sums_u8` and ``_f32`` are
    its compiled twins.
    """
    is_nan = isinstance(nodata, float) and np.isnan(nodata)
    valid = np.isfinite(data) if is_nan else data != nodata
    sums = np.where(valid, data, 0).astype(np.float64)
    return _block_sum(sums, step), _block_sum(valid.astype(np.int32), step)


def pyramid_from_sums(
    sums: np.ndarray,
    counts: np.ndarray,
    done: int,
    factors: Sequence[int],
    nodata: float,
    dtype: np.dtype,
) -> list[np.ndarray]:
    """The overviews for ``factors`` from the cell sums and counts of factor ``done``.

    Levels are computed in cascade from sums and counts, so every level is the exact mean of
    its full-resolution cell, not a mean of means.
    """
    is_nan = isinstance(nodata, float) and np.isnan(nodata)
    out = []
    for factor in factors:
        step = factor // done
        if step > 1:
            sums, counts = _block_sum(sums, step), _block_sum(counts, step)
        done = factor
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = sums / counts
        if is_nan:
            out.append(np.where(counts > 0, mean, np.nan).astype(dtype))
        else:
            out.append(np.where(counts > 0, np.rint(mean), nodata).astype(dtype))
    return out


def mean_pyramid(data: np.ndarray, factors: Sequence[int], nodata: float) -> list[np.ndarray]:
    """Average overviews of a ``(count, rows, cols)`` block, no-data aware, one per factor.

    Each output pixel is the mean of the valid pixels of its ``factor x factor`` cell (cells
    at the right and bottom edges are partial), no data when the cell has none: ``nodata`` 0
    for the 8-bit composites (rounded to nearest, so a valid mean stays within 1..255), NaN
    for NDVI. ``factors`` are increasing powers of two; the block's first row must lie on a
    multiple of the largest factor.
    """
    if not factors:
        return []
    sums, counts = cell_sums(data, factors[0], nodata)
    return pyramid_from_sums(sums, counts, factors[0], factors, nodata, data.dtype)


def _block_sum(values: np.ndarray, step: int) -> np.ndarray:
    """Sums over ``step x step`` cells of the last two axes (edges zero-padded)."""
    count, rows, cols = values.shape
    pad_r, pad_c = -rows % step, -cols % step
    if pad_r or pad_c:
        values = np.pad(values, ((0, 0), (0, pad_r), (0, pad_c)))
    r, c = values.shape[1] // step, values.shape[2] // step
    return values.reshape(count, r, step, c, step).sum(axis=(2, 4))
