"""Compiled per-strip kernels of the renderer (numba): histograms, stretch, NDVI.

Each kernel fuses what would be several numpy passes with temporaries (``np.bincount``
converts every pixel to an 8-byte index first; a stretch with numpy is three lookups, a
minimum over channels and a multiply) into one loop over the strip, and releases the GIL
(``nogil=True``), so the renderer's worker threads run them on every core at once.

Their results are bit-identical to the numpy reference functions in :mod:`landsat_ops.raster.ops`
(``dn_histogram``, ``clear_dn_histogram``, ``stretch_lut`` / ``tutorial_lut`` + ``apply_lut``,
``ndvi_from_dn``, ``ndvi_levels``) and :func:`landsat_ops.raster.tone.natural_pixels`; the
tests check that.
Each kernel is compiled for one signature (C-contiguous arrays) when this module is imported,
and cached on disk (numba's ``cache=True``: ``__pycache__`` next to this file, or
``NUMBA_CACHE_DIR``; the container image ships a warm cache), so only the first import on a
machine pays for compilation (a few seconds); later imports load it in a fraction of one.
"""

from __future__ import annotations

import numpy as np

from landsat_ops.raster.jit import compiled


@compiled("void(uint16[:, ::1], int64[::1])")
def histogram_u16(band, hist):  # pragma: no cover - compiled (checked against numpy in tests)
    """Add the counts of every value of a 2-D uint16 ``band`` to ``hist`` (int64[65536]).

    Fill (0) is counted too; the caller zeroes ``hist[0]``.
    """
    rows, cols = band.shape
    for y in range(rows):
        for x in range(cols):
            hist[band[y, x]] += 1


@compiled("void(uint16[:, ::1], uint16[:, ::1], uint8[::1], int64[::1])")
def histogram_clear_u16(band, qa, clear, hist):  # pragma: no cover - compiled
    """Add the counts of the values of ``band`` whose QA pixel is clear (``clear[qa] != 0``).

    ``clear`` is the 65536-entry table of :func:`landsat_ops.scene.qa.clear_lut`. Fill (0) is
    counted too when its QA value is clear; the caller zeroes ``hist[0]``.
    """
    rows, cols = band.shape
    for y in range(rows):
        for x in range(cols):
            if clear[qa[y, x]] != 0:
                hist[band[y, x]] += 1


@compiled(
    "void(uint16[:, ::1], uint16[:, ::1], uint16[:, ::1], uint8[::1], uint8[::1], uint8[::1], "
    "uint8[:, :, ::1])"
)
def stretch_rgb(red, green, blue, lut_r, lut_g, lut_b, out):  # pragma: no cover - compiled
    """Three uint16 channels through their 8-bit lookup tables into ``out`` (3, rows, cols).

    A pixel where any channel is fill (DN 0) is 0 in all three channels, so the composite's
    no-data value 0 marks exactly the pixels that lack one of its bands.
    """
    rows, cols = red.shape
    for y in range(rows):
        for x in range(cols):
            r = red[y, x]
            g = green[y, x]
            b = blue[y, x]
            if r == 0 or g == 0 or b == 0:
                out[0, y, x] = 0
                out[1, y, x] = 0
                out[2, y, x] = 0
            else:
                out[0, y, x] = lut_r[r]
                out[1, y, x] = lut_g[g]
                out[2, y, x] = lut_b[b]


@compiled(
    "void(uint16[:, ::1], uint16[:, ::1], uint16[:, ::1], uint8[::1], uint8[::1], uint8[::1], "
    "uint8[:, ::1], uint8[:, :, ::1])"
)
def natural_rgb(red, green, blue, lut_r, lut_g, lut_b, table, out):  # pragma: no cover
    """The ``natural`` true colour of a strip: each channel through its tone-curve table, then
    the saturation about the pixel's grey looked up in ``table[r + g + b, c]``
    (:func:`landsat_ops.raster.tone.saturation_table`: no division per pixel);
    :func:`landsat_ops.raster.tone.natural_pixels` is the reference. A pixel where any
    channel is fill (DN 0) is 0 in all three channels."""
    rows, cols = red.shape
    for y in range(rows):
        for x in range(cols):
            dr = red[y, x]
            dg = green[y, x]
            db = blue[y, x]
            if dr == 0 or dg == 0 or db == 0:
                out[0, y, x] = 0
                out[1, y, x] = 0
                out[2, y, x] = 0
                continue
            r = lut_r[dr]
            g = lut_g[dg]
            b = lut_b[db]
            row = table[np.int64(r) + np.int64(g) + np.int64(b)]
            out[0, y, x] = row[r]
            out[1, y, x] = row[g]
            out[2, y, x] = row[b]


@compiled(
    "int64(uint16[:, ::1], uint16[:, ::1], float32, float32, float32, float32, float32[:, ::1], "
    "int64[::1], float64, float64)"
)
def ndvi_u16(
    red_dn, nir_dn, red_mult, red_add, nir_mult, nir_add, out, hist, low, high
):  # pragma: no cover - compiled
    """NDVI of reflectance from uint16 DN into float32 ``out`` (NaN where not valid).

    Reflectance is ``dn * mult + add`` in float32 (the four coefficients must be float32
    scalars); a pixel is valid when neither band is fill and both reflectances are positive
    (the rule of :func:`landsat_ops.raster.ops.ndvi`: values within [-1, 1]). Each valid
    value is also counted in ``hist`` (equal bins over [low, high],
    values outside clipped to the first or last bin). Returns the number of valid pixels.
    """
    rows, cols = red_dn.shape
    nan = np.float32(np.nan)
    bins = hist.shape[0]
    scale = bins / (high - low)
    valid = 0
    for y in range(rows):
        for x in range(cols):
            dr = red_dn[y, x]
            dn = nir_dn[y, x]
            if dr == 0 or dn == 0:
                out[y, x] = nan
                continue
            red = np.float32(dr) * red_mult + red_add
            nir = np.float32(dn) * nir_mult + nir_add
            if red > 0 and nir > 0:
                total = nir + red
                value = (nir - red) / total
                out[y, x] = value
                index = int((value - low) * scale)
                if index < 0:
                    index = 0
                elif index >= bins:
                    index = bins - 1
                hist[index] += 1
                valid += 1
            else:
                out[y, x] = nan
    return valid


@compiled("void(float32[:, ::1], uint8[:, ::1])")
def ndvi_levels(values, out):  # pragma: no cover - compiled
    """NDVI (float32, NaN = no data) -> the palette levels of ``<ID>_ndvi_visual.tif`` in
    ``out``: ``128 + round(127 ndvi)`` (half up) within 1..255, 0 where not finite;
    :func:`landsat_ops.raster.ops.ndvi_levels` is the reference."""
    rows, cols = values.shape
    for y in range(rows):
        for x in range(cols):
            value = values[y, x]
            if np.isfinite(value):
                level = np.floor(128.5 + 127.0 * np.float64(value))
                out[y, x] = np.uint8(min(255.0, max(1.0, level)))
            else:
                out[y, x] = 0


@compiled("void(float32[:, :, ::1], int64, float64[:, :, ::1], int32[:, :, ::1])")
def cell_sums_f32(data, step, sums, counts):  # pragma: no cover - compiled
    """Add each ``step x step`` cell's valid pixels of float32 ``data`` (no data: NaN, any
    non-finite) to ``sums``/``counts``, ``(count, ceil(rows/step), ceil(cols/step))`` and
    zeroed by the caller; :func:`landsat_ops.raster.ops.cell_sums` is the reference."""
    bands, rows, cols = data.shape
    for k in range(bands):
        for y in range(rows):
            cy = y // step
            for x in range(cols):
                value = data[k, y, x]
                if np.isfinite(value):
                    cx = x // step
                    sums[k, cy, cx] += value
                    counts[k, cy, cx] += 1


@compiled("void(float64[:, :, ::1], int32[:, :, ::1], int64, float64[:, :, ::1], int32[:, :, ::1])")
def block_sums_f64(sums, counts, step, out_sums, out_counts):  # pragma: no cover - compiled
    """Sums and counts over ``step x step`` cells of float64 cell sums and int32 counts
    (adding into the out arrays, ``(count, ceil(rows/step), ceil(cols/step))``, zeroed by
    the caller): the next level of an NDVI pyramid. Each cell adds its values row by row,
    left to right, the order of :func:`cell_sums_f32` and of the numpy reference
    (:func:`landsat_ops.raster.ops.pyramid_from_sums`), so the float sums are the same."""
    bands, rows, cols = sums.shape
    cell_cols = out_sums.shape[2]
    for k in range(bands):
        for y in range(rows):
            cy = y // step
            for cx in range(cell_cols):
                total = out_sums[k, cy, cx]
                count = out_counts[k, cy, cx]
                for x in range(cx * step, min(cx * step + step, cols)):
                    total += sums[k, y, x]
                    count += counts[k, y, x]
                out_sums[k, cy, cx] = total
                out_counts[k, cy, cx] = count


# -- average overviews of the 8-bit composites in integers ----------------------------------
# The sums of 8-bit values are integers, so they are kept as int32 (exact in any order, like
# the float64 sums of the reference) and a strip's overviews need no float64 temporaries.


@compiled("void(int32[::1], int32[::1], int64, int32[:, ::1], int32[:, ::1], int64)")
def _cells_of_rows(row_sums, row_counts, step, sums, counts, cy):  # pragma: no cover
    """Add each ``step``-wide run of the row accumulators into cell row ``cy`` (overwriting
    it); the accumulators are ``step`` longer than the data, zero there."""
    cell_cols = sums.shape[1]
    if step == 2:  # the first overview level: a loop the compiler vectorises
        for cx in range(cell_cols):
            sums[cy, cx] = row_sums[2 * cx] + row_sums[2 * cx + 1]
            counts[cy, cx] = row_counts[2 * cx] + row_counts[2 * cx + 1]
        return
    for cx in range(cell_cols):
        x0 = cx * step
        total = np.int32(0)
        count = np.int32(0)
        for x in range(x0, x0 + step):
            total += row_sums[x]
            count += row_counts[x]
        sums[cy, cx] = total
        counts[cy, cx] = count


@compiled("void(uint8[:, :, ::1], int64, int32[:, :, ::1], int32[:, :, ::1])")
def cell_sums_u8(data, step, sums, counts):  # pragma: no cover - compiled
    """Sums and counts of each ``step x step`` cell's valid (non-0) pixels of 8-bit ``data``
    into int32 ``sums``/``counts``, ``(count, ceil(rows/step), ceil(cols/step))``, which are
    overwritten; :func:`landsat_ops.raster.ops.cell_sums` with nodata 0 is the reference.

    Exact while a cell's sum fits in int32 (``255 * step**2 < 2**31``). The rows of a cell
    are first added column by column into two row accumulators (no branch, no division: a
    loop the compiler vectorises; a 0 adds nothing to a sum), then each cell's columns.
    """
    bands, rows, cols = data.shape
    row_sums = np.empty(cols + step, np.int32)
    row_counts = np.empty(cols + step, np.int32)
    for k in range(bands):
        for cy in range(sums.shape[1]):
            row_sums[:] = 0
            row_counts[:] = 0
            for y in range(cy * step, min(cy * step + step, rows)):
                row = data[k, y]
                for x in range(cols):
                    value = np.int32(row[x])
                    row_sums[x] += value
                    row_counts[x] += np.int32(value != 0)
            _cells_of_rows(row_sums, row_counts, step, sums[k], counts[k], cy)


@compiled("void(int32[:, :, ::1], int32[:, :, ::1], int64, int32[:, :, ::1], int32[:, :, ::1])")
def block_sums_int(sums, counts, step, out_sums, out_counts):  # pragma: no cover - compiled
    """Sums and counts over ``step x step`` cells of cell sums and counts (overwriting the out
    arrays, ``(count, ceil(rows/step), ceil(cols/step))``): the next level of a pyramid.
    Row accumulators, as in :func:`cell_sums_u8`."""
    bands, rows, cols = sums.shape
    row_sums = np.empty(cols + step, np.int32)
    row_counts = np.empty(cols + step, np.int32)
    for k in range(bands):
        for cy in range(out_sums.shape[1]):
            row_sums[:] = 0
            row_counts[:] = 0
            for y in range(cy * step, min(cy * step + step, rows)):
                level_sums = sums[k, y]
                level_counts = counts[k, y]
                for x in range(cols):
                    row_sums[x] += level_sums[x]
                    row_counts[x] += level_counts[x]
            _cells_of_rows(row_sums, row_counts, step, out_sums[k], out_counts[k], cy)


@compiled("void(int32[:, :, ::1], int32[:, :, ::1], uint8[:, :, ::1])")
def cell_means_u8(sums, counts, out):  # pragma: no cover - compiled
    """Each cell's mean rounded to nearest (half to even, as ``np.rint``), 0 where it has no
    valid pixel: :func:`landsat_ops.raster.ops.pyramid_from_sums` for 8-bit data."""
    bands, rows, cols = sums.shape
    for k in range(bands):
        for y in range(rows):
            for x in range(cols):
                n = counts[k, y, x]
                if n == 0:
                    out[k, y, x] = 0
                else:
                    out[k, y, x] = np.uint8(np.rint(np.float64(sums[k, y, x]) / np.float64(n)))


@compiled("void(float64[:, :, ::1], int32[:, :, ::1], float32[:, :, ::1])")
def cell_means_f32(sums, counts, out):  # pragma: no cover - compiled
    """Each cell's mean as float32, NaN where it has no valid pixel (the float32 case of
    :func:`landsat_ops.raster.ops.pyramid_from_sums`)."""
    bands, rows, cols = sums.shape
    nan = np.float32(np.nan)
    for k in range(bands):
        for y in range(rows):
            for x in range(cols):
                n = counts[k, y, x]
                if n == 0:
                    out[k, y, x] = nan
                else:
                    out[k, y, x] = np.float32(sums[k, y, x] / np.float64(n))
