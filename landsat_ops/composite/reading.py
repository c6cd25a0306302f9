"""Windowed reads of a composite's scenes on the target grid (:class:`SceneReaders`).

A scene on the target grid's pixels (the same CRS and pixel size, an origin a whole number of
pixels away: the scenes of one path/row) is read directly, the part of the window it covers.
Any other scene is read through a :class:`rasterio.vrt.WarpedVRT` onto the target grid, which
warps only the window asked for. Both the QA band and the reflectance bands are resampled
with **nearest neighbour**: each target pixel then takes its QA value and its DN from the
same source pixel, so a clear mask never admits a value that a cloud was blended into
(bilinear resampling would mix a cloudy neighbour into a clear pixel, and a QA bit field
cannot be interpolated at all), and every composite value remains a real observation (the
medoid depends on it). The warp is GDAL's (its approximate transformer, within 0.125 px);
the tests check that the tiles' window reads give the pixels of
:func:`rasterio.warp.reproject` of the whole scene. Outside a scene the QA reads as fill (1)
and the bands as 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from landsat_ops.composite.grid import Grid
from landsat_ops.composite.inputs import CompositeInput
from landsat_ops.errors import RasterError

__all__ = ["QA_OUTSIDE", "Placement", "SceneReaders", "place"]

QA_OUTSIDE = 1
"""What the QA band reads as outside a scene: designated fill (bit 0) in every QA layout."""


@dataclass(frozen=True)
class Placement:
    """Where a scene lies on the target grid: ``aligned`` with its pixel offset, and the
    (conservative) pixel rectangle ``col0, row0, col1, row1`` it may cover."""

    aligned: bool
    col_off: int
    row_off: int
    cols: tuple[int, int]
    rows: tuple[int, int]

    def touches(self, col: int, row: int, width: int, height: int) -> bool:
        return (
            col < self.cols[1]
            and col + width > self.cols[0]
            and row < self.rows[1]
            and row + height > self.rows[0]
        )


def place(inp: CompositeInput, grid: Grid) -> Placement:
    """The :class:`Placement` of a scene on ``grid``."""
    g = inp.grid
    a, b, c, d, e, f = grid.transform
    aligned = (
        g.crs == grid.crs
        and not (b or d or g.transform[1] or g.transform[3])
        and g.transform[0] == a
        and g.transform[4] == e
    )
    if aligned:
        dx = (g.transform[2] - c) / a
        dy = (g.transform[5] - f) / e
        aligned = abs(dx - round(dx)) < 1e-6 and abs(dy - round(dy)) < 1e-6
    if aligned:
        col, row = round(dx), round(dy)
        return Placement(True, col, row, (col, col + g.width), (row, row + g.height))
    from rasterio.warp import transform_bounds

    left, bottom, right, top = transform_bounds(g.crs, grid.crs, *g.bounds, densify_pts=21)
    inverse = ~grid.affine
    xs, ys = zip(
        *(
            inverse @ (x, y)
            for x, y in ((left, top), (right, top), (left, bottom), (right, bottom))
        ),
        strict=True,
    )
    return Placement(
        False,
        0,
        0,
        (math.floor(min(xs)) - 1, math.ceil(max(xs)) + 1),
        (math.floor(min(ys)) - 1, math.ceil(max(ys)) + 1),
    )


class SceneReaders:
    """Open datasets of a composite's scenes for one thread (a dataset is not thread-safe).

    :meth:`read` fills a window of the target grid with one band (``"QA"`` or an OLI band
    number) of one scene. Datasets are opened on first use and kept until :meth:`close`, so
    the tiles a thread computes one after the other do not reopen them.
    """

    def __init__(self, inputs: list[CompositeInput], grid: Grid, placements=None):
        self.inputs = inputs
        self.grid = grid
        self.placements = placements or [place(inp, grid) for inp in inputs]
        self._open: dict[tuple[int, object], object] = {}

    def __enter__(self) -> SceneReaders:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for handle in self._open.values():
            for part in handle if isinstance(handle, tuple) else (handle,):
                part.close()
        self._open.clear()

    def _dataset(self, k: int, band):
        key = (k, band)
        if key not in self._open:
            import rasterio
            from rasterio.errors import RasterioError

            inp = self.inputs[k]
            path = inp.qa if band == "QA" else inp.bands[band]
            try:
                ds = rasterio.open(path, num_threads="1")
            except RasterioError as exc:
                raise RasterError(f"{path}: cannot open as a raster ({exc})") from exc
            if ds.count != 1 or ds.dtypes[0] != "uint16":
                ds.close()
                raise RasterError(f"{path}: expected one uint16 band, found {ds.dtypes}")
            if (ds.width, ds.height) != (inp.grid.width, inp.grid.height) or tuple(ds.transform)[
                :6
            ] != inp.grid.transform:
                ds.close()
                raise RasterError(f"{path}: not on the grid of {inp.bands[1]}")
            if self.placements[k].aligned:
                self._open[key] = ds
            else:
                from rasterio.enums import Resampling
                from rasterio.vrt import WarpedVRT

                fill = QA_OUTSIDE if band == "QA" else 0
                vrt = WarpedVRT(
                    ds,
                    crs=self.grid.rasterio_crs(),
                    transform=self.grid.affine,
                    width=self.grid.width,
                    height=self.grid.height,
                    resampling=Resampling.nearest,
                    src_nodata=None if band == "QA" else 0,
                    nodata=fill,
                )
                self._open[key] = (vrt, ds)
        return self._open[key]

    def read(self, k: int, band, col: int, row: int, out: np.ndarray) -> np.ndarray:
        """Fill ``out`` (rows, cols uint16) with ``band`` of scene ``k`` at grid pixel
        ``(col, row)``; QA_OUTSIDE / 0 where the scene has no pixel."""
        from rasterio.errors import RasterioError
        from rasterio.windows import Window

        height, width = out.shape
        placement = self.placements[k]
        handle = self._dataset(k, band)
        try:
            if not placement.aligned:
                vrt = handle[0]
                vrt.read(1, window=Window(col, row, width, height), out=out)
                return out
            out.fill(QA_OUTSIDE if band == "QA" else 0)
            ds = handle
            c0 = max(col - placement.col_off, 0)
            r0 = max(row - placement.row_off, 0)
            c1 = min(col + width - placement.col_off, ds.width)
            r1 = min(row + height - placement.row_off, ds.height)
            if c1 <= c0 or r1 <= r0:
                return out
            window = Window(c0, r0, c1 - c0, r1 - r0)
            if (c1 - c0, r1 - r0) == (width, height) and out.flags.c_contiguous:
                ds.read(1, window=window, out=out)  # inside the scene: no copy
                return out
            data = ds.read(1, window=window)
            y0 = r0 + placement.row_off - row
            x0 = c0 + placement.col_off - col
            out[y0 : y0 + data.shape[0], x0 : x0 + data.shape[1]] = data
            return out
        except RasterioError as exc:
            name = handle[1].name if isinstance(handle, tuple) else handle.name
            raise RasterError(f"{name}: cannot read (truncated or corrupt file? {exc})") from exc
