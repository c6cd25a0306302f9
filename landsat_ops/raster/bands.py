"""Reading a scene's bands with rasterio: the GDAL settings, one grid, strip windows.

All GDAL errors a user can cause (missing, unreadable or truncated files, mismatched grids)
become :class:`~landsat_ops.errors.RasterError` with the file's name in the message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import RasterioError
from rasterio.windows import Window

from landsat_ops.errors import RasterError
from landsat_ops.scene.limits import MAX_SIDE, band_grid, check_tiff_dimensions

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
    files: dict[int | str, Path], threads: int | str = "ALL_CPUS"
) -> Iterator[dict[int | str, rasterio.DatasetReader]]:
    """Open band files and check they share one grid (size, transform, CRS) and are uint16.

    A local file is first checked from its header alone
    (:func:`landsat_ops.scene.limits.check_tiff_dimensions`: its whole TIFF structure inside
    the file, one 16-bit sample); a file larger than any Landsat band
    (:data:`landsat_ops.scene.limits.MAX_SIDE`) is refused before anything is read: the
    renderer's buffers follow the grid's size. (With
    an MTL, :func:`landsat_ops.scene.mtl.check_mtl_belongs` has already held each file to the
    size the MTL declares.)

    Keys are OLI band numbers, or a name for another file of the scene (``"QA"``).
    ``threads`` is GDAL's ``NUM_THREADS`` for decoding each dataset's blocks: 1 when the
    caller decodes in several threads of its own.
    """
    opened: dict[int | str, rasterio.DatasetReader] = {}
    try:
        # Numbered bands first (the lowest is the reference grid), then named ones ("QA").
        for band, path in sorted(files.items(), key=lambda kv: (isinstance(kv[0], str), kv[0])):
            if Path(path).is_file():  # a local file: its whole structure, from its header
                check_tiff_dimensions(path, None, band)
            try:
                ds = rasterio.open(path, num_threads=str(threads))
            except RasterioError as exc:
                raise RasterError(f"{path}: cannot open as a raster ({_first_line(exc)})") from exc
            opened[band] = ds
            most = MAX_SIDE[band_grid(band)]
            if ds.width > most or ds.height > most:  # before any buffer of its size exists
                raise RasterError(
                    f"{path}: {ds.width:,}x{ds.height:,} pixels, larger than any Landsat band "
                    f"({most:,} a side at most)"
                )
            if ds.count != 1 or ds.dtypes[0] != "uint16":
                raise RasterError(
                    f"{path}: expected one uint16 band, found {ds.count} band(s) of {ds.dtypes[0]}"
                )
        reference_band, ref = next(iter(opened.items()))
        for band, ds in opened.items():
            if (ds.width, ds.height) != (ref.width, ref.height) or not _same_grid(ds, ref):
                raise RasterError(
                    f"{ds.name}: band {_label(band)} is not on the grid of "
                    f"{_label(reference_band)} "
                    f"({ds.width}x{ds.height} {ds.crs} {tuple(ds.transform)[:6]} vs "
                    f"{ref.width}x{ref.height} {ref.crs} {tuple(ref.transform)[:6]})"
                )
        yield opened
    finally:
        for ds in opened.values():
            ds.close()


def _label(band: int | str) -> str:
    return f"B{band}" if isinstance(band, int) else str(band)


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
