"""Compiled kernels of the composite (numba): masked reflectance, per-band median, medoid.

Each loops over a tile's chunk once with the GIL released (the tiles of a composite run in
several threads), cached on disk (:func:`landsat_ops.raster.jit.compiled`, as every kernel of
the package).
``np.nanmedian`` over a ``(N, rows, cols)`` stack sorts with temporaries the size of the stack
and is several times slower; the numpy references the tests hold them to are
:func:`median_reference` and :func:`medoid_reference`.
"""

from __future__ import annotations

import numpy as np

from landsat_ops.raster.jit import compiled

__all__ = [
    "clear_reflectance",
    "masked_median",
    "medoid",
    "medoid_reference",
    "median_reference",
]


@compiled("void(uint16[:, ::1], uint8[:, ::1], float64, float64, float32[:, ::1])")
def clear_reflectance(dn, clear, mult, add, out):  # pragma: no cover - compiled
    """``out = float32(DN * mult + add)`` (in float64, then rounded to float32) where ``clear``
    is non-zero and the DN is not fill (0); NaN elsewhere."""
    rows, cols = dn.shape
    nan = np.float32(np.nan)
    for y in range(rows):
        for x in range(cols):
            value = dn[y, x]
            if clear[y, x] != 0 and value != 0:
                out[y, x] = np.float32(np.float64(value) * mult + add)
            else:
                out[y, x] = nan


@compiled("void(float32[:, :, ::1], int64, float32[:, ::1])")
def masked_median(stack, n, out):  # pragma: no cover - compiled
    """Per pixel, the median of the finite values among ``stack[:n, y, x]`` into ``out`` (NaN
    when there is none): the middle value, or the mean of the two middle values (in float32,
    as ``np.nanmedian`` of float32). Insertion sort of at most ``n`` values per pixel."""
    _, rows, cols = stack.shape
    buffer = np.empty(max(n, 1), np.float32)
    nan = np.float32(np.nan)
    for y in range(rows):
        for x in range(cols):
            k = 0
            for i in range(n):
                value = stack[i, y, x]
                if value == value:  # not NaN
                    j = k
                    while j > 0 and buffer[j - 1] > value:
                        buffer[j] = buffer[j - 1]
                        j -= 1
                    buffer[j] = value
                    k += 1
            if k == 0:
                out[y, x] = nan
            elif k % 2 == 1:
                out[y, x] = buffer[k // 2]
            else:
                out[y, x] = (buffer[k // 2 - 1] + buffer[k // 2]) / np.float32(2.0)


@compiled("void(float32[:, :, :, ::1], int64, float32[:, :, ::1], int16[:, ::1])")
def medoid(stack, n, out, chosen):  # pragma: no cover - compiled
    """Per pixel, the observation among ``stack[:n, :, y, x]`` (``(N, bands, rows, cols)``)
    whose bands are all finite and whose summed Euclidean distance to the other such
    observations is smallest (the first on a tie); its bands go to ``out`` (bands, rows, cols)
    and its index to ``chosen`` (-1 and NaN when no observation is complete)."""
    _, bands, rows, cols = stack.shape
    index = np.empty(max(n, 1), np.int64)
    nan = np.float32(np.nan)
    for y in range(rows):
        for x in range(cols):
            k = 0
            for i in range(n):
                complete = True
                for b in range(bands):
                    value = stack[i, b, y, x]
                    if value != value:
                        complete = False
                        break
                if complete:
                    index[k] = i
                    k += 1
            best = -1
            best_total = np.inf
            for p in range(k):
                total = 0.0
                for q in range(k):
                    if p != q:
                        squares = 0.0
                        for b in range(bands):
                            d = np.float64(stack[index[p], b, y, x]) - stack[index[q], b, y, x]
                            squares += d * d
                        total += np.sqrt(squares)
                if total < best_total:
                    best_total = total
                    best = index[p]
            chosen[y, x] = best
            for b in range(bands):
                out[b, y, x] = nan if best < 0 else stack[best, b, y, x]


def median_reference(stack: np.ndarray) -> np.ndarray:
    """``np.nanmedian`` over the first axis (NaN where all are NaN), without the warning."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(stack, axis=0).astype(np.float32)


def medoid_reference(stack: np.ndarray) -> np.ndarray:
    """The numpy reference of :func:`medoid` for ``(N, bands, rows, cols)``: index per pixel."""
    n, _, rows, cols = stack.shape
    chosen = np.full((rows, cols), -1, np.int16)
    for y in range(rows):
        for x in range(cols):
            obs = stack[:, :, y, x].astype(np.float64)
            ok = np.flatnonzero(np.isfinite(obs).all(axis=1))
            if ok.size:
                pts = obs[ok]
                totals = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1)).sum(1)
                chosen[y, x] = ok[int(np.argmin(totals))]
    return chosen
