"""Raster I/O with rasterio: opening a scene's bands on one grid, strip windows, COG and PNG writes.

All GDAL errors a user can cause (missing, unreadable or truncated files, mismatched grids)
become :class:`~landsat_ops.errors.RasterError` with the file's name in the message.
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.shutil import copy as rio_copy
from rasterio.windows import Window

from landsat_ops.errors import RasterError

BLOCK = 512

# GDAL settings for a render: a bounded block cache (the default is 5 % of RAM, which would
# show up as resident memory) and both cores for (de)compression.
GDAL_ENV = {
    "GDAL_CACHEMAX": 32 * 1024 * 1024,  # bytes (rasterio passes ints to GDALSetCacheMax64)
    "GDAL_NUM_THREADS": "ALL_CPUS",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
}


def gdal_env(**overrides) -> rasterio.Env:
    """A rasterio environment with the project's GDAL settings."""
    return rasterio.Env(**{**GDAL_ENV, **overrides})


@contextlib.contextmanager
def open_bands(
    files: dict[int, Path], threads: int | str = "ALL_CPUS"
) -> Iterator[dict[int, rasterio.DatasetReader]]:
    """Open band files and check they share one grid (size, transform, CRS) and are uint16.

    ``threads`` is GDAL's ``NUM_THREADS`` for decoding each dataset's blocks: 1 when the
    caller decodes in several threads of its own.
    """
    opened: dict[int, rasterio.DatasetReader] = {}
    try:
        for band, path in sorted(files.items()):
            try:
                ds = rasterio.open(path, num_threads=str(threads))
            except RasterioError as exc:
                raise RasterError(f"{path}: cannot open as a raster ({_first_line(exc)})") from exc
            opened[band] = ds
            if ds.count != 1 or ds.dtypes[0] != "uint16":
                raise RasterError(
                    f"{path}: expected one uint16 band, found {ds.count} band(s) of {ds.dtypes[0]}"
                )
        reference_band, ref = next(iter(opened.items()))
        for band, ds in opened.items():
            if (ds.width, ds.height) != (ref.width, ref.height) or not _same_grid(ds, ref):
                raise RasterError(
                    f"{ds.name}: band B{band} is not on the grid of B{reference_band} "
                    f"({ds.width}x{ds.height} {ds.crs} {tuple(ds.transform)[:6]} vs "
                    f"{ref.width}x{ref.height} {ref.crs} {tuple(ref.transform)[:6]})"
                )
        yield opened
    finally:
        for ds in opened.values():
            ds.close()


def _same_grid(a, b) -> bool:
    return a.crs == b.crs and a.transform.almost_equals(b.transform, precision=1e-6)


def strips(width: int, height: int, rows: int = BLOCK) -> list[Window]:
    """Full-width windows of ``rows`` rows covering the raster top to bottom."""
    return [Window(0, y, width, min(rows, height - y)) for y in range(0, height, rows)]


def read_window(
    ds: rasterio.DatasetReader, window: Window, out: np.ndarray | None = None
) -> np.ndarray:
    """Read band 1 of ``ds`` in ``window`` (into ``out`` when given); errors name the file."""
    try:
        return ds.read(1, window=window, out=out)
    except RasterioError as exc:
        raise RasterError(
            f"{ds.name}: cannot read rows {window.row_off}-{window.row_off + window.height} "
            f"(truncated or corrupt file? {_first_line(exc)})"
        ) from exc


def _first_line(exc: BaseException) -> str:
    """The most specific one-line text of an exception (GDAL's own message when chained)."""
    while exc.__cause__ is not None and "previous exception" in str(exc):
        exc = exc.__cause__
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def overview_factors(width: int, height: int, smallest: int = BLOCK) -> list[int]:
    """Powers of two until the overview's longer side fits in one block."""
    factors = []
    factor = 2
    while max(width, height) / (factor // 2) > smallest:
        factors.append(factor)
        factor *= 2
    return factors


_VRT_TYPES = {"uint8": "Byte", "uint16": "UInt16", "float32": "Float32"}


def raw_vrt(
    target: Path,
    raw: Path,
    *,
    width: int,
    height: int,
    count: int,
    dtype: str,
    crs,
    transform,
    nodata: float | None = None,
    colorinterp: Sequence[str] | None = None,
    overviews: Sequence[Path] = (),
) -> Path:
    """Write a VRT that presents a raw band-sequential file as a georeferenced raster.

    ``raw`` holds ``count`` bands of ``height`` x ``width`` pixels of ``dtype``, one band
    after the other, rows top to bottom, little-endian (a plain copy of numpy arrays). GDAL
    reads it without decoding, so a COG can be encoded from data written strip by strip
    without holding the scene in memory or writing an intermediate GeoTIFF. ``overviews``
    are VRTs of the same kind, largest first, that GDAL uses as this raster's overviews.
    """
    size = np.dtype(dtype).itemsize
    gdal_type = _VRT_TYPES[dtype]
    bands = []
    for i in range(count):
        extra = ""
        if nodata is not None:
            extra += f"<NoDataValue>{'nan' if math.isnan(nodata) else repr(nodata)}</NoDataValue>"
        if colorinterp:
            extra += f"<ColorInterp>{colorinterp[i]}</ColorInterp>"
        for overview in overviews:
            extra += (
                f'<Overview><SourceFilename relativeToVRT="1">{escape(overview.name)}'
                f"</SourceFilename><SourceBand>{i + 1}</SourceBand></Overview>"
            )
        bands.append(
            f'<VRTRasterBand dataType="{gdal_type}" band="{i + 1}" subClass="VRTRawRasterBand">'
            f"{extra}"
            f'<SourceFilename relativeToVRT="1">{escape(raw.name)}</SourceFilename>'
            f"<ImageOffset>{i * width * height * size}</ImageOffset>"
            f"<PixelOffset>{size}</PixelOffset><LineOffset>{width * size}</LineOffset>"
            "<ByteOrder>LSB</ByteOrder></VRTRasterBand>"
        )
    geotransform = ", ".join(repr(float(v)) for v in transform.to_gdal())
    target.write_text(
        f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}">'
        f'<SRS dataAxisToSRSAxisMapping="1,2">{escape(crs.to_wkt())}</SRS>'
        f"<GeoTransform>{geotransform}</GeoTransform>{''.join(bands)}</VRTDataset>"
    )
    return target


COMPRESSIONS = ("zstd", "deflate")
"""COG compressions: ``zstd`` (default: 2-4x less CPU than DEFLATE at a similar size; GDAL
>= 2.3, QGIS, rio-tiler and geotiff.js read it) or ``deflate`` (the most widely readable)."""

_COG_OPTIONS = {
    # (compression, float data?) -> GDAL COG creation options
    ("zstd", False): {"COMPRESS": "ZSTD", "LEVEL": 1, "PREDICTOR": "YES"},
    ("zstd", True): {"COMPRESS": "ZSTD", "LEVEL": 1},
    ("deflate", False): {"COMPRESS": "DEFLATE", "LEVEL": 6, "PREDICTOR": "YES"},
    ("deflate", True): {"COMPRESS": "DEFLATE", "LEVEL": 6, "PREDICTOR": "FLOATING_POINT"},
}


def to_cog(source, target: Path, *, compression: str = "zstd") -> Path:
    """Copy a raster with overviews as a COG.

    ``source`` is a path (e.g. a VRT of :func:`raw_vrt` with overviews) or an open dataset.
    The COG has 512 px tiles compressed with ``compression`` (see :data:`COMPRESSIONS`) on
    every core, and keeps the source's overviews (or builds them, nearest neighbour, when it
    has none), colour interpretation and no-data value. ``target`` is written under a
    temporary name and renamed into place.
    """
    if isinstance(source, (str, os.PathLike)):
        with rasterio.open(source) as ds:
            is_float = ds.dtypes[0].startswith("float")
        source = str(source)
    else:
        is_float = source.dtypes[0].startswith("float")
    options = {
        **_COG_OPTIONS[compression, is_float],
        "BLOCKSIZE": BLOCK,
        # The source's overviews when it has some, else built here (nearest, as rio-cogeo).
        "OVERVIEWS": "AUTO",
        "OVERVIEW_RESAMPLING": "NEAREST",
        "NUM_THREADS": "ALL_CPUS",
        "BIGTIFF": "IF_SAFER",
    }
    tmp = target.with_name(f".{target.name}.partial")
    try:
        with gdal_env():
            rio_copy(source, str(tmp), driver="COG", **options)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def preview_shape(width: int, height: int, max_size: int) -> tuple[int, int]:
    """(height, width) of a preview whose longer side is at most ``max_size``, never upsampled."""
    scale = min(1.0, max_size / max(width, height))
    return max(1, math.floor(height * scale)), max(1, math.floor(width * scale))


def read_preview(path: Path, max_size: int) -> np.ndarray:
    """Decimated read of a raster (from its overviews when present), no-data kept as is."""
    with rasterio.open(path) as ds:
        shape = preview_shape(ds.width, ds.height, max_size)
        return ds.read(out_shape=(ds.count, *shape), resampling=Resampling.nearest)


def write_png(rgba: np.ndarray, target: Path) -> Path:
    """Write an (H, W, 4) uint8 array as an RGBA PNG, atomically.

    A plain PNG encoder (IHDR, one IDAT, IEND): every row uses the "Sub" filter, computed
    with numpy, and zlib level 1 compresses the rows (the GIL is released meanwhile). It
    gives files of the size of Pillow's ``compress_level=1`` in about 60 % of the time,
    because Pillow tries every filter on every row.
    """
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(
            f"write_png expects an (H, W, 4) uint8 array, got {rgba.shape} {rgba.dtype}"
        )
    height, width = rgba.shape[:2]
    rows = np.empty((height, 1 + width * 4), np.uint8)
    rows[:, 0] = 1  # filter type Sub: each byte minus the same channel of the pixel before
    pixels = np.ascontiguousarray(rgba).reshape(height, width * 4)
    rows[:, 1:5] = pixels[:, :4]
    np.subtract(pixels[:, 4:], pixels[:, :-4], out=rows[:, 5:])
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    tmp = target.with_name(f".{target.name}.partial")
    try:
        with open(tmp, "wb") as fh:
            fh.write(b"\x89PNG\r\n\x1a\n")
            for kind, body in (
                (b"IHDR", header),
                (b"IDAT", zlib.compress(rows.data, 1)),
                (b"IEND", b""),
            ):
                fh.write(struct.pack(">I", len(body)) + kind + body)
                fh.write(struct.pack(">I", zlib.crc32(body, zlib.crc32(kind))))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
