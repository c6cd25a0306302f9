"""A frame's pixels: each source COG warped onto the time-lapse's grid, from an overview.

A source is an 8-bit RGB COG with 0 as no data (a scene's or a composite's ``truecolor_tif``
or ``falsecolor_tif``). Only the overview level nearest the frame's resolution (finer or equal)
is read, so a full-size 7,800 x 7,900 px scene costs a read of about 1,000 x 1,000 px per
frame; the warp averages it onto the grid. Several sources (one scene per path/row of an area)
are mosaicked: each fills the pixels the ones before it left empty.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from landsat_ops.composite.grid import Grid
from landsat_ops.timelapse.errors import TimelapseError

__all__ = ["GAP_COLOUR", "footprint", "gap_frame", "warp_sources"]

log = logging.getLogger(__name__)

GAP_COLOUR = (48, 48, 52)
"""The background of a gap frame (no data is black, a gap is this dark grey)."""


def _open(uri: str, overview_level: int | None = None):
    import rasterio
    from rasterio.errors import RasterioError

    try:
        if overview_level is None:
            return rasterio.open(uri)
        return rasterio.open(uri, overview_level=overview_level)
    except RasterioError as exc:
        raise TimelapseError(f"{uri}: cannot read ({exc})") from None


def footprint(uri: str) -> tuple[str, tuple[float, float, float, float], float]:
    """The source's CRS (WKT), its bounds in it and its pixel size, from its header."""
    with _open(uri) as ds:
        if ds.crs is None:
            raise TimelapseError(f"{uri}: has no CRS (expected a georeferenced COG)")
        return ds.crs.to_wkt(), tuple(ds.bounds), abs(ds.transform.a)


def _overview_level(uri: str, target_resolution: float) -> tuple[int | None, float]:
    """The coarsest overview level still at least as fine as the target (None: full res)."""
    with _open(uri) as ds:
        if ds.count < 3 or ds.dtypes[0] != "uint8":
            raise TimelapseError(
                f"{uri}: {ds.count} band(s) of {ds.dtypes[0]}; expected an 8-bit RGB COG"
            )
        native = abs(ds.transform.a)
        factors = ds.overviews(1)
    level, resolution = None, native
    for index, factor in enumerate(factors):
        if native * factor <= target_resolution * 1.01:
            level, resolution = index, native * factor
    return level, resolution


def _warp_one(uri: str, grid: Grid) -> np.ndarray:
    from rasterio.enums import Resampling
    from rasterio.errors import RasterioError
    from rasterio.warp import reproject

    level, resolution = _overview_level(uri, abs(grid.transform[0]))
    out = np.zeros((3, grid.height, grid.width), np.uint8)
    try:
        with _open(uri, level) as ds:
            data = ds.read((1, 2, 3))
            reproject(
                data,
                out,
                src_transform=ds.transform,
                src_crs=ds.crs,
                src_nodata=0,
                dst_transform=grid.affine,
                dst_crs=grid.crs,
                dst_nodata=0,
                # Averaging several source pixels per frame pixel, else interpolating.
                resampling=(
                    Resampling.average
                    if resolution < abs(grid.transform[0]) * 0.75
                    else Resampling.bilinear
                ),
            )
    except RasterioError as exc:
        raise TimelapseError(f"{uri}: cannot warp onto the frame grid ({exc})") from None
    log.debug(
        "%s: overview level %s (%.0f m) onto the %.0f m grid",
        uri,
        level,
        resolution,
        abs(grid.transform[0]),
    )
    return out


def warp_sources(uris: Sequence[str], grid: Grid) -> np.ndarray:
    """The sources mosaicked onto ``grid`` (first first): an RGB array, height x width x 3."""
    frame = np.zeros((3, grid.height, grid.width), np.uint8)
    empty = np.ones((grid.height, grid.width), bool)
    for uri in uris:
        warped = _warp_one(uri, grid)
        fill = empty & warped.any(axis=0)
        frame[:, fill] = warped[:, fill]
        empty &= ~fill
        if not empty.any():
            break
    return np.ascontiguousarray(frame.transpose(1, 2, 0))


def gap_frame(grid: Grid) -> np.ndarray:
    """A frame with no data: :data:`GAP_COLOUR` all over (the overlays say why)."""
    frame = np.empty((grid.height, grid.width, 3), np.uint8)
    frame[...] = GAP_COLOUR
    return frame
