"""The raw raster + VRT -> COG writer of a render.

A :class:`RawRaster` receives a product's pixels strip by strip (from any worker thread) as raw
band-sequential files, with its average overviews (no-data aware,
:func:`landsat_ops.raster.ops.mean_pyramid`: smooth cloud edges and no speckle at low zoom, NaN
ignored in NDVI); GDAL then encodes the COG from
them (:func:`landsat_ops.raster.cog.to_cog`) without decoding anything or building overviews.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from affine import Affine

from landsat_ops.raster import kernels
from landsat_ops.raster.cog import overview_factors, raw_vrt, to_cog
from landsat_ops.raster.ops import mean_pyramid
from landsat_ops.render.scratch import pwrite

__all__ = ["RawRaster", "ndvi_palette_levels"]


class RawRaster:
    """A raster written strip by strip as raw band-sequential files, with its overviews.

    The full-resolution file and one file per overview level (the mean of the valid pixels of
    each cell, at the factors of :func:`landsat_ops.raster.cog.overview_factors`) are filled by
    :meth:`write_strip` from any thread (``pwrite`` at computed offsets, no lock).
    :meth:`vrt` then describes them to GDAL, which encodes the COG from them without
    decoding anything or building overviews itself.
    """

    def __init__(
        self, base: Path, count: int, dtype: str, width: int, height: int, nodata: float = 0
    ):
        self.base = base
        self.nodata = nodata
        self.count, self.dtype = count, np.dtype(dtype)
        self.width, self.height = width, height
        self.levels = []  # (factor, width, height, fd)
        for factor in [1, *overview_factors(width, height)]:
            w, h = -(-width // factor), -(-height // factor)
            fd = os.open(self._raw(factor), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            self.levels.append((factor, w, h, fd))

    def _raw(self, factor: int) -> Path:
        return self.base.with_name(f"{self.base.name}_{factor}.raw")

    def write_strip(self, data: np.ndarray, row_off: int) -> list[np.ndarray]:
        """Write ``data`` (count, rows, width) whose first row is ``row_off`` of the raster.

        ``row_off`` must be a multiple of the largest overview factor (the strips of the
        renderer start on multiples of 512). Returns the strip at every level: ``data``, then
        its average overviews.
        """
        factors = [factor for factor, *_ in self.levels[1:]]
        if factors and row_off % factors[-1]:
            raise ValueError(f"strip at row {row_off} is not aligned on {factors[-1]} rows")
        blocks = [data, *average_overviews(data, factors, self.nodata)]
        self.write_levels(blocks, row_off)
        return blocks

    def write_levels(self, blocks: list[np.ndarray], row_off: int) -> None:
        """Write a strip given at every level (full resolution first, then each overview).

        For a raster derived pixel by pixel from another one (the paletted NDVI from the
        NDVI): its levels are the other's levels (:meth:`write_strip` returns them) mapped.
        """
        for (factor, w, h, fd), block in zip(self.levels, blocks, strict=True):
            if block.dtype != self.dtype:
                raise ValueError(f"{self.base.name}: {block.dtype} data for a {self.dtype} raster")
            first = row_off // factor
            for c in range(self.count):
                offset = (c * h + first) * w * self.dtype.itemsize
                pwrite(fd, np.ascontiguousarray(block[c]), offset)

    def statistics(self) -> list[dict[str, float]]:
        """Per band min, max, mean, stddev and valid percent of the coarsest level (approximate).

        GDAL's ``STATISTICS_*`` band tags, as ``gdalinfo -approx_stats`` computes them from an
        overview; clients (QGIS, rio-tiler's ``info``) read them instead of scanning.
        """
        factor, w, h, fd = self.levels[-1]
        size = self.count * w * h * self.dtype.itemsize
        data = np.frombuffer(os.pread(fd, size, 0), self.dtype).reshape(self.count, h, w)
        out = []
        for band in data:
            valid = np.isfinite(band) if np.isnan(self.nodata) else band != self.nodata
            values = band[valid].astype(np.float64)
            if not values.size:
                out.append({})
                continue
            out.append(
                {
                    "STATISTICS_MINIMUM": float(values.min()),
                    "STATISTICS_MAXIMUM": float(values.max()),
                    "STATISTICS_MEAN": float(values.mean()),
                    "STATISTICS_STDDEV": float(values.std()),
                    "STATISTICS_VALID_PERCENT": round(100.0 * values.size / band.size, 3),
                    "STATISTICS_APPROXIMATE": "YES" if factor > 1 else "NO",
                }
            )
        return out

    def vrt(
        self,
        crs,
        transform,
        nodata,
        colorinterp=None,
        descriptions=None,
        colortable=None,
        scale_offset=None,
    ) -> Path:
        """VRTs of every level; returns the full-resolution one (with the others as overviews)."""
        overviews = []
        statistics = self.statistics()
        for factor, w, h, _ in reversed(self.levels):
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
                descriptions=descriptions if factor == 1 else None,
                metadata=statistics if factor == 1 else None,
                colortable=colortable if factor == 1 else None,
                scale_offset=scale_offset,
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
        descriptions: list[str] | None = None,
        colortable: np.ndarray | None = None,
        scale_offset: tuple[float, float] | None = None,
    ) -> Path:
        """Encode the raster and its overviews (described by VRTs) as the COG ``target``.

        Each band gets its description, statistics tags (:meth:`statistics`, of the stored
        values) and, when given, the colour table ``colortable`` (``(256, 4)`` RGBA; 8-bit
        rasters) and the ``(scale, offset)`` of its values (:func:`landsat_ops.raster.cog.raw_vrt`).
        """
        vrt = self.vrt(
            crs,
            transform,
            nodata=nodata,
            colorinterp=colorinterp,
            descriptions=descriptions,
            colortable=colortable,
            scale_offset=scale_offset,
        )
        return to_cog(vrt, target, compression=compression)

    def close(self) -> None:
        """Close and delete the files."""
        for factor, *_, fd in self.levels:
            os.close(fd)
            self._raw(factor).unlink(missing_ok=True)
        self.levels = []


def ndvi_palette_levels(levels: list[np.ndarray]) -> list[np.ndarray]:
    """The paletted NDVI's levels of a strip: each level of the NDVI strip (``(1, rows,
    cols)`` float32, as :meth:`RawRaster.write_strip` returns them) quantised by
    :func:`landsat_ops.raster.kernels.ndvi_levels`."""
    out = []
    for level in levels:
        quantised = np.empty(level.shape, np.uint8)
        kernels.ndvi_levels(level[0], quantised[0])
        out.append(quantised)
    return out


def average_overviews(data: np.ndarray, factors: list[int], nodata: float) -> list[np.ndarray]:
    """:func:`~landsat_ops.raster.ops.mean_pyramid` of a strip, computed by compiled kernels.

    The result is the reference's, bit for bit, with a fraction of its memory: the reference
    holds several float64 temporaries of the first level (~100 MB for a 3-band strip of a
    full scene, in each worker at once), while here

    * 8-bit data (no data 0) is summed one band at a time in int32 (exact, like the
      reference's float64 sums of integers), the levels cascade from the sums in int32 and
      each level's means are rounded by a kernel: a few MB per strip;
    * float32 data (no data NaN) is summed by a kernel in float64 and the smaller levels
      cascade from the sums by kernels, in the reference's order of summation (float sums
      depend on it); a kernel takes each level's means.
    """
    if not factors:
        return []
    step = factors[0]
    bands, rows, cols = data.shape
    shape = (bands, -(-rows // step), -(-cols // step))
    if data.dtype == np.uint8 and nodata == 0 and 255 * factors[-1] ** 2 < 2**31:
        return _average_overviews_u8(np.ascontiguousarray(data), factors)
    if data.dtype == np.float32 and isinstance(nodata, float) and np.isnan(nodata):
        sums, counts = np.zeros(shape, np.float64), np.zeros(shape, np.int32)
        kernels.cell_sums_f32(np.ascontiguousarray(data), step, sums, counts)
        levels = [np.empty(shape, np.float32)]
        kernels.cell_means_f32(sums, counts, levels[0])
        for factor in factors[1:]:  # in cascade from the sums and counts, by kernels
            cell = factor // step
            step = factor
            shape = (bands, -(-sums.shape[1] // cell), -(-sums.shape[2] // cell))
            level_sums, level_counts = np.zeros(shape, np.float64), np.zeros(shape, np.int32)
            kernels.block_sums_f64(sums, counts, cell, level_sums, level_counts)
            sums, counts = level_sums, level_counts
            levels.append(np.empty(shape, np.float32))
            kernels.cell_means_f32(sums, counts, levels[-1])
        return levels
    return mean_pyramid(data, factors, nodata)


def _average_overviews_u8(data: np.ndarray, factors: list[int]) -> list[np.ndarray]:
    """The 8-bit case of :func:`average_overviews`: integer sums, one band at a time."""
    bands, rows, cols = data.shape
    shapes, done = [], 1
    for factor in factors:
        shapes.append((-(-rows // factor), -(-cols // factor), factor // done))
        done = factor
    out = [np.empty((bands, h, w), np.uint8) for h, w, _ in shapes]
    # Sums and counts of each level, reused for every band.
    work = [(np.empty((1, h, w), np.int32), np.empty((1, h, w), np.int32)) for h, w, _ in shapes]
    for band in range(bands):
        previous = None
        for (_, _, step), (sums, counts), level in zip(shapes, work, out, strict=True):
            if previous is None:
                kernels.cell_sums_u8(data[band : band + 1], step, sums, counts)
            else:
                kernels.block_sums_int(*previous, step, sums, counts)
            kernels.cell_means_u8(sums, counts, level[band : band + 1])
            previous = sums, counts
    return out
