"""The render's ``extent`` product: snow/ice and water classes from the strips the scan decodes.

The scan of :class:`~landsat_ops.render.renderer.SceneRenderer` decodes green (B3), NIR (B5)
and the QA band for its other products already; with ``extent`` it also decodes SWIR1 (B6),
in the same strips and worker threads. Each strip goes through the same step as
``landsat-ops extent`` (:func:`landsat_ops.extent.measure.count_strip`: the compiled
classification, then the counts over the grid and each polygon), so the item's figures are
that command's, exactly. Per strip the class codes (:data:`landsat_ops.extent.classify.CLASSES`:
0 no data, 1 clear other, 2 snow/ice, 3 water, 4 not clear) are written with their overviews
(nearest: every overview pixel is one of the full-resolution pixels, so a class never blends
into another) into the raw raster that becomes ``<ID>_extent.tif``, an 8-bit paletted COG
(:data:`landsat_ops.products.EXTENT_CLASSES`). The areas become the item's
``landsat_ops:extent`` fields (:meth:`landsat_ops.extent.measure.SceneExtent.stac_properties`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from landsat_ops.errors import SceneError
from landsat_ops.extent.classify import EXTENT_BANDS, extent_coefficients
from landsat_ops.extent.legend import extent_palette
from landsat_ops.extent.measure import ExtentCounter, count_strip, grid_counter, scene_extent
from landsat_ops.extent.polygons import NamedPolygon
from landsat_ops.raster.bands import BLOCK
from landsat_ops.raster.png import write_png
from landsat_ops.render.cog import RawRaster
from landsat_ops.scene import Metadata, SceneFiles
from landsat_ops.scene.qa import clear_lut

__all__ = ["EXTENT_PALETTE", "ExtentPass", "check_extent_inputs", "class_rgba"]

logger = logging.getLogger(__name__)

EXTENT_PALETTE = np.array(extent_palette(), np.uint8)
"""``(256, 4)`` RGBA colour table of ``<ID>_extent.tif`` (entry 0, no data, transparent)."""


def check_extent_inputs(files: SceneFiles) -> None:
    """Raise :class:`SceneError` (one line) unless the scene has B3, B5, B6 and a QA band."""
    missing = [f"B{b}" for b in EXTENT_BANDS if b not in files.bands]
    if files.qa is None:
        missing.append("QA band (_QA_PIXEL.TIF or _BQA.TIF)")
    if missing:
        raise SceneError(
            f"scene folder {files.folder} has no {', '.join(missing)}: the extent product "
            "reads green B3, NIR B5, SWIR1 B6 and the QA band (leave it out with --products, "
            "e.g. truecolor,falsecolor,ndvi,histograms)"
        )


def class_rgba(codes: np.ndarray) -> np.ndarray:
    """``(H, W, 4)`` RGBA of a 2-D array of class codes, through :data:`EXTENT_PALETTE`."""
    return EXTENT_PALETTE[codes]


class ExtentPass:
    """The extent's share of a render: set up on the scene's grid, fed strip by strip.

    Each worker thread takes its own :meth:`worker_state` (a counter of its strips and a
    buffer of codes) and calls :meth:`strip` with the strip's decoded bands; :meth:`merge`
    adds the workers' counters once the scan is over. The raw raster of the class codes is
    :attr:`raster` (the renderer encodes it as the COG).
    """

    def __init__(
        self,
        files: SceneFiles,
        meta: Metadata | None,
        grid: Mapping,
        polygons: Sequence[NamedPolygon],
        *,
        skip_outside: bool,
        work: Path,
    ):
        check_extent_inputs(files)
        self.files, self.meta, self.polygons = files, meta, tuple(polygons)
        where = str(files.folder)
        self.coefficients = extent_coefficients(files, meta, where=where)
        self.clear = clear_lut(files.qa_kind)
        self.width = grid["width"]
        self.counter: ExtentCounter = grid_counter(
            files,
            grid["crs"],
            grid["transform"],
            grid["width"],
            grid["height"],
            polygons,
            where=f"scene {files.scene_id.scene_id} ({where})",
            outside="skip" if skip_outside else "error",
        )
        self.raster = RawRaster(work / "extent", 1, "uint8", grid["width"], grid["height"])
        self.factors = [factor for factor, *_ in self.raster.levels[1:]]

    def worker_state(self) -> tuple[ExtentCounter, np.ndarray]:
        """A worker thread's own counter and buffer of codes."""
        return self.counter.partial(), np.empty((BLOCK, self.width), np.uint8)

    def strip(self, data: Mapping, row_off: int, state: tuple[ExtentCounter, np.ndarray]) -> None:
        """Classify and count one strip (``data``: decoded strips by band number and
        ``"QA"``) and write its codes at every level of the raster."""
        counter, buffer = state
        green, nir, swir1 = (data[b] for b in EXTENT_BANDS)
        codes = count_strip(
            green,
            nir,
            swir1,
            data["QA"],
            self.clear,
            self.coefficients,
            counter,
            row_off,
            buffer[: green.shape[0]],
        )
        levels = [codes[np.newaxis]]
        levels += [codes[np.newaxis, ::factor, ::factor] for factor in self.factors]
        self.raster.write_levels(levels, row_off)

    def merge(self, states: Sequence[tuple[ExtentCounter, np.ndarray]]) -> None:
        """Add every worker's counts to the scene's."""
        for counter, _ in states:
            self.counter.merge(counter)

    def properties(self) -> dict:
        """The item's ``landsat_ops:extent`` fields (the same as ``landsat-ops extent --stac``)."""
        extent = scene_extent(self.files, self.meta, self.counter, self.polygons)
        whole = extent.regions["path_row"]
        logger.info(
            "%s: extent: %.1f%% clear, snow/ice %.2f km2, water %.2f km2 (%d polygons)",
            extent.scene_id,
            100 * whole["clear_fraction"],
            whole["snow_ice_km2"],
            whole["water_km2"],
            len(extent.regions) - 1,
        )
        return extent.stac_properties()

    @staticmethod
    def write_preview(codes: np.ndarray, target: Path) -> Path:
        """The PNG preview of the classes (nearest samples of the COG's overviews)."""
        return write_png(class_rgba(codes), target)
