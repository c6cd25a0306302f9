"""NDVI, valid and cloudy pixel counts at points of one scene (:func:`sample_scene`), reading
only the windows around the points."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

from landsat_ops.errors import OptionError, RasterError
from landsat_ops.points import Point
from landsat_ops.sampling.location import (
    locate_sampled,
    sampled_acquired,
)
from landsat_ops.sampling.points import read_points
from landsat_ops.sampling.rows import (
    FILL,
    NO_VALID,
    OUTSIDE,
    SampleRow,
)
from landsat_ops.scene.rescaling import NDVI_BANDS, ndvi_coefficients

__all__ = ["MAX_RADIUS", "sample_scene"]

MAX_RADIUS = 50  # a 101 x 101 window: beyond that it is no longer a point sample


def _check_radius(radius: int) -> int:
    if isinstance(radius, bool) or not isinstance(radius, int) or not 0 <= radius <= MAX_RADIUS:
        raise OptionError(
            f"radius must be a whole number of pixels 0..{MAX_RADIUS}, got {radius!r} "
            "(1 means a 3x3 window)"
        )
    return radius


def _open_qa(path: str, ref) -> Any:
    """Open the QA band and check it is one integer band on the grid of ``ref``."""
    import rasterio
    from rasterio.errors import RasterioError

    try:
        ds = rasterio.open(path)
    except RasterioError as exc:
        raise RasterError(f"{path}: cannot open the QA band ({str(exc).strip()})") from exc
    same = (
        (ds.width, ds.height) == (ref.width, ref.height)
        and ds.crs == ref.crs
        and ds.transform.almost_equals(ref.transform, precision=1e-6)
    )
    if ds.count != 1 or not ds.dtypes[0].startswith("uint") or not same:
        ds.close()
        raise RasterError(
            f"{path}: the QA band is not one unsigned-integer band on the grid of B4 "
            f"({ds.count} band(s) of {ds.dtypes[0]}, {ds.width}x{ds.height} {ds.crs} vs "
            f"{ref.width}x{ref.height} {ref.crs})"
        )
    return ds


def _project(points: Sequence[Point], crs) -> tuple[Any, Any]:
    """WGS84 points in ``crs`` as x and y arrays; NaN where PROJ cannot project a point.

    One call for all points; PROJ refuses the whole batch when a point is outside the
    projection's domain (e.g. the far side of the globe from a UTM zone), then each point is
    projected alone.
    """
    import numpy as np
    from rasterio.warp import transform as warp_transform

    lons = [p.lon for p in points]
    lats = [p.lat for p in points]
    # PROJ failures surface as rasterio._err.CPLE_* errors, which rasterio does not export.
    try:
        xs, ys = warp_transform("EPSG:4326", crs, lons, lats)
    except Exception:
        xs, ys = [], []
        for lon, lat in zip(lons, lats, strict=True):
            try:
                (x,), (y,) = warp_transform("EPSG:4326", crs, [lon], [lat])
            except Exception:
                x = y = math.nan
            xs.append(x)
            ys.append(y)
    return np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)


def sample_scene(
    scene: str | os.PathLike,
    points: Sequence[Point] | str | os.PathLike,
    *,
    radius: int = 1,
    s3_client=None,
) -> list[SampleRow]:
    """Sample NDVI, valid and cloudy pixel counts at points of one scene (see the module doc).

    Parameters
    ----------
    scene : str or PathLike
        The scene folder, or an ``s3://bucket/prefix/`` holding ``<ID>_B4.TIF`` and
        ``<ID>_B5.TIF`` (or ``_SR_B4/5``), optionally the QA band, and the MTL (required for
        Level-1). S3 bands are read in place through ``/vsis3/`` (see
        :func:`gdal_s3_options`); only the MTL is downloaded.
    points : sequence of Point, or a path
        The points, or a POINTS CSV file (local or ``s3://``) read by :func:`read_points`.
    radius : int
        Half-width of the window in pixels: 0 is the pixel alone, 1 (default) a 3x3 window.
    s3_client : optional
        A boto3 S3 client for listing the scene and reading the MTL (default: from the
        environment).

    Returns
    -------
    list of SampleRow
        One row per point, in the order of ``points``.

    Raises
    ------
    OptionError
        A bad radius or POINTS file.
    SceneError, RasterError, StorageError
        The scene cannot be found or read. A point outside the scene or on fill is not an
        error: its row has an empty NDVI and a reason.
    """
    import numpy as np

    from landsat_ops.raster.bands import gdal_env, open_bands

    radius = _check_radius(radius)
    if isinstance(points, str | os.PathLike):
        points = read_points(points, s3_client=s3_client)
    points = list(points)
    located = locate_sampled(scene, s3_client)
    coefficients = ndvi_coefficients(located.files, located.meta, where=located.location)
    sid = located.files.scene_id
    common = {
        "scene_id": sid.scene_id,
        "acquired": sampled_acquired(located),
        "path": sid.path,
        "row": sid.row,
        "scene_cloud_cover": located.meta.cloud_cover if located.meta else None,
    }
    if not points:
        return []
    red_band, nir_band = NDVI_BANDS
    with (
        gdal_env(**located.gdal_options),
        open_bands({red_band: located.red, nir_band: located.nir}) as bands,
    ):
        datasets = [bands[red_band], bands[nir_band]]
        if located.qa:
            datasets.append(_open_qa(located.qa, datasets[0]))
        try:
            xs, ys = _project(points, datasets[0].crs)
            with np.errstate(invalid="ignore"):
                cols, rows = ~datasets[0].transform @ (xs, ys)
            windows = [
                _window(col, row, radius, datasets[0].width, datasets[0].height)
                for col, row in zip(cols, rows, strict=True)
            ]
            reads = _read_windows(datasets, [w for w in windows if w], located.gdal_options)
        finally:
            for ds in datasets[2:]:
                ds.close()
    out = []
    for point, window in zip(points, windows, strict=True):
        base = {**common, "point_id": point.id, "lon": point.lon, "lat": point.lat}
        if window is None:
            out.append(SampleRow(**base, ndvi=None, valid_px=0, cloudy_px=None, reason=OUTSIDE))
            continue
        arrays = [next(band) for band in reads]
        out.append(
            SampleRow(**base, **_summarise(arrays, window[1], coefficients, located.files.qa_kind))
        )
    return out


def _window(col: float, row: float, radius: int, width: int, height: int):
    """The window around the pixel holding (col, row), clipped to the grid, and that pixel's
    position inside it; None when the point is not on the grid."""
    from rasterio.windows import Window

    if not (math.isfinite(col) and math.isfinite(row) and 0 <= col < width and 0 <= row < height):
        return None
    col, row = math.floor(col), math.floor(row)
    col0, row0 = max(col - radius, 0), max(row - radius, 0)
    col1, row1 = min(col + radius + 1, width), min(row + radius + 1, height)
    return Window(col0, row0, col1 - col0, row1 - row0), (row - row0, col - col0)


def _read_windows(datasets, windows, gdal_options) -> list:
    """Read every window of every dataset, one thread per dataset (each has its own handle):
    on S3 the range requests of the bands overlap instead of queueing.

    Returns one iterator of arrays per dataset, in window order.
    """
    from concurrent.futures import ThreadPoolExecutor

    from landsat_ops.raster.bands import gdal_env, read_window

    def read_all(ds):
        with gdal_env(**gdal_options):
            return [read_window(ds, window) for window, _ in windows]

    with ThreadPoolExecutor(len(datasets), thread_name_prefix="landsat-ops-sample") as pool:
        return [iter(arrays) for arrays in pool.map(read_all, datasets)]


def _summarise(arrays, centre, coefficients, qa_kind) -> dict[str, Any]:
    """``ndvi``, ``valid_px``, ``cloudy_px`` and ``reason`` of one window (module docstring)."""
    import numpy as np

    from landsat_ops.raster import ops
    from landsat_ops.scene.qa import cloud_mask, fill_mask

    red, nir, *qa = arrays
    values = ops.ndvi_from_dn(red, nir, *coefficients)
    valid = np.isfinite(values)
    on_fill = bool(red[centre] == 0 or nir[centre] == 0)
    cloudy_px = None
    if qa:
        fill = fill_mask(qa[0], qa_kind)
        valid &= ~fill
        on_fill = on_fill or bool(fill[centre])
        cloudy_px = int(np.count_nonzero(cloud_mask(qa[0], qa_kind) & valid))
    valid_px = int(np.count_nonzero(valid))
    reason = FILL if on_fill else NO_VALID if valid_px == 0 else ""
    ndvi = None if reason else float(values[valid].astype(np.float64).mean())
    return {"ndvi": ndvi, "valid_px": valid_px, "cloudy_px": cloudy_px, "reason": reason}
