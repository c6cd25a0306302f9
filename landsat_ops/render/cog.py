"""The raw raster + VRT -> COG writer of a render.

A :class:`RawRaster` receives a product's pixels strip by strip (from any worker thread) as raw
band-sequential files, with its nearest-neighbour overviews; GDAL then encodes the COG from
them (:func:`landsat_ops.raster.cog.to_cog`) without decoding anything or building overviews.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from affine import Affine

from landsat_ops.raster.cog import overview_factors, raw_vrt, to_cog
from landsat_ops.render.scratch import pwrite

__all__ = ["RawRaster", "as_slice"]


class RawRaster:
    """A raster written strip by strip as raw band-sequential files, with its overviews.

    The full-resolution file and one file per overview level (nearest neighbour, the
    factors of :func:`landsat_ops.raster.cog.overview_factors`) are filled by :meth:`write_strip`
    from any thread (``pwrite`` at computed offsets, no lock). :meth:`vrt` then describes
    them to GDAL, which encodes the COG from them without decoding anything or building
    overviews itself.
    """

    def __init__(self, base: Path, count: int, dtype: str, width: int, height: int):
        self.base = base
        self.count, self.dtype = count, np.dtype(dtype)
        self.width, self.height = width, height
        self.levels = []  # (factor, width, height, row index, column index, fd)
        for factor in [1, *overview_factors(width, height)]:
            w, h = -(-width // factor), -(-height // factor)
            # Nearest: the source pixel at the centre of each factor x factor cell.
            rows = np.minimum(np.arange(h) * factor + factor // 2, height - 1)
            cols = np.minimum(np.arange(w) * factor + factor // 2, width - 1)
            fd = os.open(self._raw(factor), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            self.levels.append((factor, w, h, rows, as_slice(cols), fd))

    def _raw(self, factor: int) -> Path:
        return self.base.with_name(f"{self.base.name}_{factor}.raw")

    def write_strip(self, data: np.ndarray, row_off: int) -> None:
        """Write ``data`` (count, rows, width) whose first row is ``row_off`` of the raster."""
        rows_in_strip = data.shape[1]
        for factor, w, h, rows, cols, fd in self.levels:
            if factor == 1:
                block, first = data, row_off
            else:
                picked = np.flatnonzero((rows >= row_off) & (rows < row_off + rows_in_strip))
                if not picked.size:
                    continue
                block = data[:, as_slice(rows[picked] - row_off)][:, :, cols]
                first = int(picked[0])
            for c in range(self.count):
                offset = (c * h + first) * w * self.dtype.itemsize
                pwrite(fd, np.ascontiguousarray(block[c]), offset)

    def vrt(self, crs, transform, nodata, colorinterp=None) -> Path:
        """VRTs of every level; returns the full-resolution one (with the others as overviews)."""
        overviews = []
        for factor, w, h, _, _, _ in reversed(self.levels):
            path = self.base.with_name(f"{self.base.name}_{factor}.vrt")
            raw_vrt(
                path,
                self._raw(factor),
                width=w,
                height=h,
                count=self.count,
                dtype=self.dtype.name,
                crs=crs,
                transform=transform @ Affine.scale(self.width / w, self.height / h),
                nodata=nodata,
                colorinterp=colorinterp,
                overviews=[] if factor > 1 else overviews[::-1],
            )
            overviews.append(path)
        return overviews[-1]

    def write_cog(
        self,
        target: Path,
        crs,
        transform,
        *,
        nodata: float,
        colorinterp: list[str] | None,
        compression: str,
    ) -> Path:
        """Encode the raster and its overviews (described by VRTs) as the COG ``target``."""
        vrt = self.vrt(crs, transform, nodata=nodata, colorinterp=colorinterp)
        return to_cog(vrt, target, compression=compression)

    def close(self) -> None:
        """Close and delete the files."""
        for factor, *_, fd in self.levels:
            os.close(fd)
            self._raw(factor).unlink(missing_ok=True)
        self.levels = []


def as_slice(index: np.ndarray) -> slice | np.ndarray:
    """``index`` as a slice when it is an arithmetic progression (a view, no copy)."""
    if len(index) > 1:
        step = int(index[1] - index[0])
        if step > 0 and np.array_equal(index, np.arange(index[0], index[-1] + 1, step)):
            return slice(int(index[0]), int(index[-1]) + 1, step)
    elif len(index) == 1:
        return slice(int(index[0]), int(index[0]) + 1)
    return index
