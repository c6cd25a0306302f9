"""The pixel grid of a composite and its tiles: :class:`Grid`, :class:`Tile`, :func:`plan_tiles`.

A composite is computed on ONE grid. Scenes of one path/row share a grid (the same UTM zone
and 30 m pixels, origins on whole pixels), so their composite's grid is the union of their
grids; scenes of several path/rows or zones are warped onto a grid given as a CRS and a
resolution (:meth:`Grid.for_bounds`). The grid is cut into tiles that are computed
independently (:func:`landsat_ops.composite.tile.write_composite_tile`), possibly by
different workers: :class:`Grid` and :class:`Tile` are frozen and JSON-able (XCom).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from landsat_ops.composite.errors import CompositeError

__all__ = ["DEFAULT_TILE_SIZE", "Grid", "Tile", "plan_tiles"]

DEFAULT_TILE_SIZE = 1024
"""Side of a tile in pixels: a multiple of the COGs' 512 px blocks."""
MIN_TILE_SIZE = 64


@dataclass(frozen=True)
class Grid:
    """A north-up pixel grid: CRS (``EPSG:n`` or WKT), affine ``transform`` (a, b, c, d, e, f),
    ``width`` x ``height`` pixels."""

    crs: str
    transform: tuple[float, ...]
    width: int
    height: int

    def __post_init__(self):
        if len(self.transform) != 6:
            raise CompositeError(f"grid transform: expected 6 coefficients, got {self.transform}")
        if self.width < 1 or self.height < 1:
            raise CompositeError(f"grid: {self.width}x{self.height} pixels (expected >= 1 each)")

    @property
    def affine(self):
        """The transform as an :class:`affine.Affine`."""
        from affine import Affine

        return Affine(*self.transform)

    @property
    def resolution(self) -> tuple[float, float]:
        """Pixel width and height (positive) in CRS units."""
        return abs(self.transform[0]), abs(self.transform[4])

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` in the grid's CRS."""
        a, _, c, _, e, f = self.transform
        xs = (c, c + a * self.width)
        ys = (f, f + e * self.height)
        return min(xs), min(ys), max(xs), max(ys)

    def rasterio_crs(self):
        """The CRS as a :class:`rasterio.crs.CRS`."""
        from rasterio.crs import CRS

        return CRS.from_user_input(self.crs)

    def window_transform(self, col_off: int, row_off: int):
        """The affine transform of the pixel at ``(col_off, row_off)`` as a window's origin."""
        return self.affine @ _translation(col_off, row_off)

    def to_dict(self) -> dict:
        return {
            "crs": self.crs,
            "transform": list(self.transform),
            "width": self.width,
            "height": self.height,
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> Grid:
        try:
            return cls(
                str(d["crs"]),
                tuple(float(v) for v in d["transform"]),
                int(d["width"]),
                int(d["height"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CompositeError(f"grid: not a grid record ({exc}): {dict(d)!r}") from None

    @classmethod
    def for_bounds(cls, crs: str, bounds, resolution: float) -> Grid:
        """The grid of ``resolution`` pixels covering ``bounds`` (in ``crs``), its edges snapped
        outwards to whole multiples of the resolution (so grids of one CRS align)."""
        resolution = float(resolution)
        if not resolution > 0 or not math.isfinite(resolution):
            raise CompositeError(f"resolution: expected a positive number, got {resolution!r}")
        left, bottom, right, top = (float(v) for v in bounds)
        left = math.floor(left / resolution) * resolution
        top = math.ceil(top / resolution) * resolution
        width = max(1, math.ceil((right - left) / resolution - 1e-9))
        height = max(1, math.ceil((top - bottom) / resolution - 1e-9))
        return cls(
            canonical_crs(crs), (resolution, 0.0, left, 0.0, -resolution, top), width, height
        )

    @classmethod
    def of_raster(cls, source) -> Grid:
        """The grid of a raster (a path or an open rasterio dataset)."""
        if isinstance(source, str | os.PathLike):
            import rasterio

            with rasterio.open(source) as ds:
                return cls.of_raster(ds)
        return cls(
            canonical_crs(source.crs), tuple(source.transform)[:6], source.width, source.height
        )


def canonical_crs(crs) -> str:
    """``EPSG:n`` when the CRS has an EPSG code, else its WKT; CompositeError if not a CRS."""
    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    try:
        parsed = crs if isinstance(crs, CRS) else CRS.from_user_input(crs)
    except (CRSError, ValueError, TypeError) as exc:
        raise CompositeError(f"crs: {crs!r} is not a coordinate reference system ({exc})") from None
    epsg = parsed.to_epsg()
    return f"EPSG:{epsg}" if epsg else parsed.to_wkt()


def _translation(col_off: int, row_off: int):
    from affine import Affine

    return Affine.translation(col_off, row_off)


@dataclass(frozen=True)
class Tile:
    """A window of a :class:`Grid`, in pixels."""

    col_off: int
    row_off: int
    width: int
    height: int

    @property
    def name(self) -> str:
        """``r<row_off>_c<col_off>``: a tile file's name stem."""
        return f"r{self.row_off:06d}_c{self.col_off:06d}"

    def window(self):
        """The tile as a :class:`rasterio.windows.Window`."""
        from rasterio.windows import Window

        return Window(self.col_off, self.row_off, self.width, self.height)

    def to_dict(self) -> dict:
        return {
            "col_off": self.col_off,
            "row_off": self.row_off,
            "width": self.width,
            "height": self.height,
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> Tile:
        try:
            return cls(int(d["col_off"]), int(d["row_off"]), int(d["width"]), int(d["height"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise CompositeError(f"tile: not a tile record ({exc}): {dict(d)!r}") from None


def plan_tiles(grid: Grid, size: int = DEFAULT_TILE_SIZE) -> list[Tile]:
    """Cut ``grid`` into tiles of ``size`` x ``size`` pixels (smaller along the right and bottom
    edges), row by row."""
    if isinstance(size, bool) or not isinstance(size, int) or size < MIN_TILE_SIZE:
        raise CompositeError(f"tile size: expected an integer >= {MIN_TILE_SIZE}, got {size!r}")
    return [
        Tile(col, row, min(size, grid.width - col), min(size, grid.height - row))
        for row in range(0, grid.height, size)
        for col in range(0, grid.width, size)
    ]
