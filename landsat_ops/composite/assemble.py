"""The full composite from its tiles: reflectance and count COGs, products, previews, the item.

:func:`assemble` streams the tile files in full-width strips (never the whole grid):

1. *Strips*: the reflectance (7 bands) and the count go to raw rasters with their average
   overviews (:class:`landsat_ops.render.cog.RawRaster`). The reflectance is stored as a
   Collection 2 Level-2 product is: uint16 ``DN = (rho + 0.2) / 2.75e-05`` rounded (1..65535,
   0 = no clear observation), with that scale and offset in the COG (rasterio's ``scales`` /
   ``offsets``) and the item (``raster:scale`` / ``raster:offset``). For Level-2 scenes this
   is the input's own quantisation (an even number of observations' median, halfway between
   two DN, is rounded to even: within 1.4e-05); for Level-1 TOA within 1.4e-05 too, far below
   the sensor's noise. Half the bytes of float32 and an integer predictor: the COG is 2.6x
   smaller and encoded in about half the time. NDVI is computed from the float reflectance;
   the DN of the colour composites' bands are counted in histograms and spooled, exactly as a
   scene's DN are in the renderer's scan.
2. *Stretches*: the true colour takes the scene renderer's ``natural`` tone curve
   (:func:`landsat_ops.raster.tone.plan_natural`, white point and exposure from the
   composite's own histograms; a Level-1 composite keeps the Rayleigh haze offset, for the
   median sun elevation of its scenes); the false colour (B7/B5/B1, ice and snow cyan) the
   linear 2-98 % cut-offs of every pixel, as for a scene.
3. *Products*: the spooled strips through the compiled kernels of
   :mod:`landsat_ops.raster.kernels` into 8-bit composites; every raster encoded as a COG
   (:func:`landsat_ops.raster.cog.to_cog`); PNG previews from the COGs' overviews; the STAC
   item (:func:`landsat_ops.composite.item.build_composite_item`).
"""

from __future__ import annotations

import json
import logging
import math
import os
import statistics
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from landsat_ops.composite.errors import CompositeError
from landsat_ops.composite.grid import Grid, Tile
from landsat_ops.composite.inputs import BANDS, CompositeInput
from landsat_ops.composite.tile import TILE_BANDS, TILE_BLOCK, TILE_TAG, TileSummary, validate_stat
from landsat_ops.extent.classify import EXTENT_BANDS
from landsat_ops.extent.measure import ExtentCounter, count_reflectance_strip
from landsat_ops.products import (
    COMPOSITE_PRODUCTS,
    COMPOSITES,
    DEFAULT_PERCENTILES,
    DEFAULT_PREVIEW_SIZE,
    DN_LEVELS,
    NDVI_COLORMAP,
    NDVI_RANGE,
    THUMBNAIL_FILE,
    THUMBNAIL_SIZE,
    product_bands,
)
from landsat_ops.scene.rescaling import SR_ADD, SR_MULT

__all__ = ["COMPOSITE_PRODUCTS", "STRIP_BYTES", "assemble", "validate_products"]

logger = logging.getLogger(__name__)

STRIP_BYTES = 64 * 1024 * 1024
"""Bound of one strip of the 8 tile bands (float32) while assembling."""
WORKERS = min(
    4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)
"""Threads sharing the strips of the assembly (as the renderer's)."""
COUNT_NODATA_FOR_OVERVIEWS = 65535  # never a count: every pixel enters the count's overviews


def validate_products(products: Iterable[str] | str) -> tuple[str, ...]:
    """A subset of :data:`COMPOSITE_PRODUCTS` (comma-separated string or names), in order."""
    names = products.split(",") if isinstance(products, str) else list(products)
    names = [str(n).strip() for n in names if str(n).strip()]
    unknown = sorted(set(names) - set(COMPOSITE_PRODUCTS))
    if unknown or not names:
        raise CompositeError(
            f"products: unknown {', '.join(unknown) or '(none given)'} "
            f"(expected a comma-separated subset of {','.join(COMPOSITE_PRODUCTS)})"
        )
    return tuple(p for p in COMPOSITE_PRODUCTS if p in names)


def read_tiles(tile_paths: Sequence[str | os.PathLike], grid: Grid) -> tuple[list, str]:
    """Each tile file's :class:`TileSummary` (its tile found from its transform), checked to
    cover ``grid`` exactly once; and the statistic they were computed with."""
    import rasterio

    found, stats = [], set()
    covered = 0
    for path in tile_paths:
        with rasterio.open(path) as ds:
            text = ds.tags().get(TILE_TAG)
            if text is None or ds.count != len(TILE_BANDS):
                raise CompositeError(f"{path}: not a composite tile (no {TILE_TAG} tag)")
            record = json.loads(text)
            col = (ds.transform.c - grid.transform[2]) / grid.transform[0]
            row = (ds.transform.f - grid.transform[5]) / grid.transform[4]
            tile = Tile(round(col), round(row), ds.width, ds.height)
            if (
                abs(col - round(col)) > 1e-6
                or abs(row - round(row)) > 1e-6
                or Tile.from_dict(record["tile"]) != tile
                or tile.col_off + tile.width > grid.width
                or tile.row_off + tile.height > grid.height
            ):
                raise CompositeError(f"{path}: a tile of another grid")
        stats.add(record.get("stat"))
        found.append(TileSummary(tile, str(path), record["clear_pixels"], record["observations"]))
        covered += tile.width * tile.height
    if covered != grid.width * grid.height or len({s.tile for s in found}) != len(found):
        raise CompositeError(
            f"tiles cover {covered:,} pixels of a {grid.width}x{grid.height} grid "
            "(a tile is missing or given twice)"
        )
    if len(stats) != 1:
        raise CompositeError(f"tiles of different statistics: {sorted(map(str, stats))}")
    return found, validate_stat(stats.pop())


def encode_dn(reflectance: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Reflectance -> uint16 on the Level-2 scale (1..65535; 0 where not finite)."""
    with np.errstate(invalid="ignore"):
        scaled = np.rint((reflectance.astype(np.float64) - SR_ADD) / SR_MULT)
        np.clip(scaled, 1, DN_LEVELS - 1, out=scaled)
    out[...] = np.where(np.isfinite(reflectance), scaled, 0)
    return out


def assemble(
    tile_paths: Sequence[str | os.PathLike],
    grid: Grid,
    out_dir: str | os.PathLike,
    *,
    composite_id: str,
    products: Iterable[str] | str,
    inputs: Sequence[CompositeInput],
    period: str | None = None,
    compression: str = "zstd",
    preview_size: int = DEFAULT_PREVIEW_SIZE,
) -> Path:
    """Write the composite's COGs, previews and STAC item into ``out_dir``; return the item.

    Files: ``<id>_reflectance.tif`` (B1, B2, B3, B4, B5, B6, B7 reflectance as uint16 on the
    Level-2 scale, 0 = no clear observation), ``<id>_count.tif`` (uint16 clear observations),
    for each product ``<id>_<product>.tif`` and ``.png``, ``<id>_thumbnail.png`` with the true
    colour, and ``<id>.json``.

    Raises
    ------
    CompositeError
        Tiles missing or of another grid, or no clear pixel anywhere.
    """
    from landsat_ops.composite.item import build_composite_item

    products = validate_products(products)
    summaries, stat = read_tiles(tile_paths, grid)
    observations: dict[str, int] = {}
    for summary in summaries:
        for sid, n in summary.observations.items():
            observations[sid] = observations.get(sid, 0) + n
    if not sum(s.clear_pixels for s in summaries):
        raise CompositeError(
            f"no clear pixel in any of the {len(inputs)} scene(s) "
            f"({', '.join(inp.scene_id for inp in inputs)}): every pixel is fill, cloud or shadow"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=".assemble-", dir=out_dir) as work:
        maker = _Products(Path(work), out_dir, grid, composite_id, products, compression)
        try:
            maker.strips(summaries)
            used = [inp for inp in inputs if observations.get(inp.scene_id)]
            suns = [inp.sun_elevation for inp in used if inp.sun_elevation]
            level = inputs[0].level
            written = maker.finish(level, statistics.median(suns) if suns else None, preview_size)
        finally:
            maker.close()
    item = build_composite_item(
        composite_id,
        grid,
        written,
        inputs=inputs,
        observations=observations,
        stat=stat,
        count_histogram=maker.count_histogram,
        stretches=maker.stretches,
        valid_preview=maker.valid_preview,
        period=period,
        extent=maker.extent.regions(),
    )
    item_path = out_dir / f"{composite_id}.json"
    item_path.write_text(json.dumps(item, indent=2) + "\n")
    logger.info(
        "%s: assembled %d files in %.2f s",
        composite_id,
        len(written),
        time.perf_counter() - started,
    )
    return item_path


class _Products:
    """The strip pass and the products of :func:`assemble` (work files in ``work``)."""

    def __init__(self, work, out_dir, grid, composite_id, products, compression):
        from landsat_ops.render.cog import RawRaster

        self.work, self.out, self.grid = work, out_dir, grid
        self.id, self.products, self.compression = composite_id, products, compression
        self.composites = [p for p in COMPOSITES if p in products]
        self.dn_bands = sorted({b for p in self.composites for b in COMPOSITES[p]})
        w, h = grid.width, grid.height
        self.rasters = {
            # On the Level-2 scale (uint16, 0 = none; see the module docstring).
            "reflectance": RawRaster(work / "reflectance", len(BANDS), "uint16", w, h, 0),
            "count": RawRaster(work / "count", 1, "uint16", w, h, COUNT_NODATA_FOR_OVERVIEWS),
        }
        self.rasters["extent"] = RawRaster(work / "extent", 1, "uint8", w, h)
        self.extent_factors = [f for f, *_ in self.rasters["extent"].levels[1:]]
        self.reflectance_factors = [f for f, *_ in self.rasters["reflectance"].levels[1:]]
        if "ndvi" in products:
            self.rasters["ndvi"] = RawRaster(work / "ndvi", 1, "float32", w, h, np.nan)
        self.spools = {
            b: os.open(work / f"B{b}.raw", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            for b in self.dn_bands
        }
        self.histograms = {b: np.zeros(DN_LEVELS, np.int64) for b in self.dn_bands}
        a, b, _, d, e, _ = grid.transform
        self.extent = ExtentCounter((h, w), abs(a * e - b * d))
        self.count_histogram = np.zeros(1, np.int64)
        self.stretches: dict = {}
        self.valid_preview = None

    def close(self) -> None:
        for fd in self.spools.values():
            os.close(fd)
        self.spools = {}
        for raster in self.rasters.values():
            raster.close()
        self.rasters = {}

    def strip_rows(self) -> int:
        from landsat_ops.raster.cog import overview_factors

        factors = overview_factors(self.grid.width, self.grid.height)
        step = factors[-1] if factors else 1
        rows = STRIP_BYTES // (self.grid.width * 4 * len(TILE_BANDS))
        if rows >= TILE_BLOCK and TILE_BLOCK % step == 0:
            step = TILE_BLOCK  # whole blocks of the tile files: each decoded once
        return max(step, rows // step * step)

    def strips(self, summaries: list[TileSummary]) -> None:
        """Pass 1: tiles -> reflectance, count, NDVI rasters; histograms and DN spools.

        The strips are shared by :data:`WORKERS` threads (the raw rasters are written with
        ``pwrite`` at computed offsets; each thread counts into its own histograms)."""
        from concurrent.futures import ThreadPoolExecutor

        starts = list(range(0, self.grid.height, self.strip_rows()))
        workers = min(WORKERS, len(starts))
        with ThreadPoolExecutor(workers, thread_name_prefix="assemble") as pool:
            futures = [
                pool.submit(self._strip_worker, summaries, starts[k::workers])
                for k in range(workers)
            ]
            results = [future.result() for future in futures]
        for b in self.dn_bands:
            self.histograms[b] = sum(hists[b] for hists, _, _ in results)
            self.histograms[b][0] = 0
        counts = sum(count for _, count, _ in results)
        for _, _, extent in results:
            self.extent.merge(extent)
        self.count_histogram = counts[: int(np.flatnonzero(counts).max()) + 1]

    def _strip_worker(self, summaries, starts) -> tuple[dict, np.ndarray, ExtentCounter]:
        """The strips starting at ``starts``: their histograms, count histogram and extent
        counts (the median reflectance's classes, :mod:`landsat_ops.extent`)."""
        import rasterio
        from rasterio.windows import Window

        from landsat_ops.raster import kernels
        from landsat_ops.raster.bands import gdal_env
        from landsat_ops.render.cog import average_overviews
        from landsat_ops.render.scratch import pwrite

        width = self.grid.width
        rows = self.strip_rows()
        dn = np.empty((len(BANDS), rows, width), np.uint16)
        histograms = {b: np.zeros(DN_LEVELS, np.int64) for b in self.dn_bands}
        count_histogram = np.zeros(DN_LEVELS, np.int64)
        extent = self.extent.partial()
        codes = np.empty((rows, width), np.uint8)
        for r0 in starts:
            h = min(rows, self.grid.height - r0)
            data = np.full((len(TILE_BANDS), h, width), np.nan, np.float32)
            for s in summaries:
                t = s.tile
                top, bottom = max(r0, t.row_off), min(r0 + h, t.row_off + t.height)
                if top >= bottom:
                    continue
                with gdal_env(GDAL_NUM_THREADS=1), rasterio.open(s.path) as ds:
                    window = Window(0, top - t.row_off, t.width, bottom - top)
                    data[:, top - r0 : bottom - r0, t.col_off : t.col_off + t.width] = ds.read(
                        window=window
                    )
            # The reflectance and its average overviews (of the reflectance, NaN ignored),
            # each encoded on the Level-2 scale one band at a time (small temporaries).
            levels = [data[: len(BANDS)]]
            levels += average_overviews(levels[0], self.reflectance_factors, np.nan)
            encoded = [dn[:, :h]] + [np.empty(level.shape, np.uint16) for level in levels[1:]]
            for level, out in zip(levels, encoded, strict=True):
                for c in range(len(BANDS)):
                    encode_dn(level[c], out[c])
            self.rasters["reflectance"].write_levels(encoded, r0)
            count = np.nan_to_num(data[len(BANDS)]).astype(np.uint16)
            self.rasters["count"].write_strip(count[np.newaxis], r0)
            kernels.histogram_u16(count, count_histogram)
            green, nir, swir1 = (data[BANDS.index(b)] for b in EXTENT_BANDS)
            classes = count_reflectance_strip(green, nir, swir1, extent, r0, codes[:h])
            levels = [classes[np.newaxis]]  # overviews: nearest (class codes)
            levels += [classes[np.newaxis, ::f, ::f] for f in self.extent_factors]
            self.rasters["extent"].write_levels(levels, r0)
            if "ndvi" in self.rasters:
                red, nir = data[BANDS.index(4)], data[BANDS.index(5)]
                with np.errstate(invalid="ignore", divide="ignore"):
                    ndvi = np.where((red > 0) & (nir > 0), (nir - red) / (nir + red), np.nan)
                self.rasters["ndvi"].write_strip(ndvi.astype(np.float32)[np.newaxis], r0)
            for b in self.dn_bands:
                band = np.ascontiguousarray(dn[BANDS.index(b), :h])
                kernels.histogram_u16(band, histograms[b])
                pwrite(self.spools[b], band, r0 * width * 2)
        return histograms, count_histogram, extent

    def plan(self, level: str, sun_elevation: float | None) -> None:
        """The stretch of each colour composite (see the module docstring)."""
        from landsat_ops.raster.tone import plan_natural
        from landsat_ops.render.stretch import Stretch, linear_cutoffs

        for name in self.composites:
            bands = COMPOSITES[name]
            if name == "truecolor":
                surface = level == "L2" or not sun_elevation
                mu = 1.0 if surface else math.sin(math.radians(max(sun_elevation, 1.0)))
                plan = plan_natural(
                    bands,
                    {b: (SR_MULT * mu, SR_ADD * mu) for b in bands},
                    self.histograms,
                    self.histograms,
                    surface_reflectance=surface,
                    sun_elevation=None if surface else sun_elevation,
                )
                if level == "L1":
                    plan.reflectance = "toa" if sun_elevation else "toa (no sun elevation)"
                self.stretches[name] = Stretch(
                    "white point",
                    bands,
                    plan.cutoffs(),
                    mode="natural",
                    pixels=plan.pixels,
                    clear_fraction=1.0,
                    curve=plan.curve(),
                    plan=plan,
                )
            else:
                cutoffs = linear_cutoffs(self.histograms, bands, DEFAULT_PERCENTILES)
                self.stretches[name] = Stretch(
                    "percentile", bands, cutoffs, DEFAULT_PERCENTILES, pixels="valid"
                )

    def finish(self, level: str, sun_elevation: float | None, preview_size: int) -> list[Path]:
        """Stretch the composites, encode every COG, write the previews; the files written."""
        from concurrent.futures import ThreadPoolExecutor

        self.plan(level, sun_elevation)
        # The 7-band reflectance is the largest COG by far (~0.5 GB for a full scene) and
        # its encoding keeps GDAL's threads only ~60 % busy: it runs on a thread of its
        # own while the other products are made (their work releases the GIL too). Leaving
        # the pool waits for it, an error or not: its raw file is deleted only afterwards.
        with ThreadPoolExecutor(1, thread_name_prefix="assemble-cog") as pool:
            reflectance = pool.submit(
                self._cog,
                "reflectance",
                nodata=0,
                descriptions=[f"B{b}" for b in BANDS],
                scale_offset=(SR_MULT, SR_ADD),
            )
            others = self._products(preview_size)
        return [reflectance.result(), *others]

    def _products(self, preview_size: int) -> list[Path]:
        """Every file of :meth:`finish` but the reflectance COG."""
        from landsat_ops.raster import kernels, ops
        from landsat_ops.raster.png import preview_shape, read_preview, write_png
        from landsat_ops.render.cog import RawRaster
        from landsat_ops.render.extent_pass import EXTENT_PALETTE, ExtentPass
        from landsat_ops.render.scratch import pread

        grid, width = self.grid, self.grid.width
        written = []
        count = self._cog("count", nodata=None, descriptions=["count"])
        written.append(count)
        extent = self._cog("extent", nodata=0, colorinterp=["Palette"], colortable=EXTENT_PALETTE)
        codes = read_preview(extent, preview_size)[0]
        written += [extent, ExtentPass.write_preview(codes, self.out / f"{self.id}_extent.png")]
        # The footprint from the count (one uint16 band): a decimated read of the 7-band
        # pixel-interleaved reflectance would decode each of its 7 MB blocks once per row of
        # the preview whenever a row of blocks outgrows GDAL's 32 MB block cache.
        self.valid_preview = read_preview(count, preview_size)[0] > 0
        rows = self.strip_rows()
        dn = np.empty((3, rows, width), np.uint16)
        for name in self.composites:
            stretch = self.stretches[name]
            luts = stretch.luts()
            raster = self.rasters[name] = RawRaster(
                self.work / name, 3, "uint8", width, grid.height
            )
            for r0 in range(0, grid.height, rows):
                h = min(rows, grid.height - r0)
                channels = [np.ascontiguousarray(dn[c, :h]) for c in range(3)]
                for c, b in enumerate(stretch.bands):
                    pread(self.spools[b], channels[c], r0 * width * 2)
                rgb = np.empty((3, h, width), np.uint8)
                if stretch.plan is not None:
                    table = stretch.plan.saturation_table()
                    kernels.natural_rgb(*channels, *luts, table, rgb)
                else:
                    kernels.stretch_rgb(*channels, *luts, rgb)
                raster.write_strip(rgb, r0)
            cog = self._cog(name, nodata=0, colorinterp=["Red", "Green", "Blue"])
            data = read_preview(cog, preview_size)
            written += [cog, write_png(_rgba(data), self.out / f"{self.id}_{name}.png")]
            if name == "truecolor":
                rows_t, cols_t = preview_shape(data.shape[2], data.shape[1], THUMBNAIL_SIZE)
                y = (np.arange(rows_t) * data.shape[1]) // rows_t
                x = (np.arange(cols_t) * data.shape[2]) // cols_t
                thumb = self.out / f"{self.id}_{THUMBNAIL_FILE}"
                written.append(write_png(_rgba(data[:, y][:, :, x]), thumb, level=9))
        if "ndvi" in self.products:
            cog = self._cog("ndvi", nodata=float("nan"), colorinterp=["Gray"])
            values = read_preview(cog, preview_size)[0]
            rgba = ops.colorize(values, *NDVI_RANGE, ops.colormap_lut(NDVI_COLORMAP))
            written += [cog, write_png(rgba, self.out / f"{self.id}_ndvi.png")]
        return written

    def _cog(
        self,
        name,
        *,
        nodata,
        colorinterp=None,
        descriptions=None,
        colortable=None,
        scale_offset=None,
    ) -> Path:
        raster = self.rasters.pop(name)
        started = time.perf_counter()
        if descriptions is None:
            descriptions = [band["description"] for band in product_bands(name)]
        try:
            path = raster.write_cog(
                self.out / f"{self.id}_{name}.tif",
                self.grid.rasterio_crs(),
                self.grid.affine,
                nodata=nodata,
                colorinterp=colorinterp,
                compression=self.compression,
                descriptions=descriptions,
                colortable=colortable,
                scale_offset=scale_offset,
            )
        finally:
            raster.close()
        logger.info("%s: wrote %s in %.2f s", self.id, path.name, time.perf_counter() - started)
        return path


def _rgba(data: np.ndarray) -> np.ndarray:
    """A (3, rows, cols) 8-bit composite as (rows, cols, 4), no data (0) transparent."""
    alpha = np.where(data[0] != 0, 255, 0).astype(np.uint8)
    return np.ascontiguousarray(np.dstack([data[0], data[1], data[2], alpha]))
