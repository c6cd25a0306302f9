"""The passes of a render over one scene: scan, stretch, products (:class:`SceneRenderer`).

The passes stream the scene in full-width strips of 512 rows and never hold a whole band.
Strips are shared between worker threads (one per core, each with its own GDAL handles) that
run compiled kernels (:mod:`landsat_ops.raster.kernels`, GIL released):

1. *Scan*: every band a product needs is decoded once. Each strip adds to the band's exact
   uint16 histogram (fill excluded) and, for the ``natural`` true colour, to the histogram
   of its clear pixels (the QA band's strip looked up in a clear/not-clear table); NDVI is
   computed (with its histogram) and written with its overviews as raw float32, each level
   also as the palette levels of the paletted NDVI, and the raw strip is spooled to a
   scratch file (a plain copy: re-reading it costs no decoding). With ``extent`` the strips of
   B3, B5, B6 and the QA band are classed and counted too (:mod:`.extent_pass`).
2. *Stretch*: the ``natural`` tone curve (white point and exposure) and the ``linear``
   cut-offs come from the whole-scene histograms (:mod:`landsat_ops.render.stretch`,
   :mod:`landsat_ops.raster.tone`), or manual ranges are given; the spooled strips go through
   8-bit lookup tables (for ``natural`` then a saturation about each pixel's grey) into the
   composite's raw pixels and average overviews (no-data aware; NaN-aware for NDVI), written
   strip by strip.
3. *Products*: GDAL encodes each product's raw pixels and overviews (described by a VRT) as a
   COG in its own threads, while the workers stretch the next composite; PNG previews are
   read from the COGs' overviews (the true colour's also gives the small STAC thumbnail); the
   histogram figure is drawn meanwhile.

Publishing is :func:`landsat_ops.render.run.render_scene`'s (complete first, the item last).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from landsat_ops.errors import NoValidPixelsError
from landsat_ops.products import (
    COMPOSITES,
    NATURAL_PRODUCTS,
    NDVI_BINS,
    NDVI_COLORMAP,
    NDVI_RANGE,
    NDVI_VISUAL,
    PRODUCTS,
    THUMBNAIL_FILE,
    THUMBNAIL_SIZE,
    RenderOptions,
    file_product,
    product_bands,
)
from landsat_ops.raster import ops
from landsat_ops.raster.bands import BLOCK, gdal_env, open_bands, read_window, strips
from landsat_ops.raster.png import composite_rgba, preview_shape, read_preview, write_png
from landsat_ops.render.cog import RawRaster, ndvi_palette_levels
from landsat_ops.render.extent_pass import EXTENT_PALETTE, ExtentPass
from landsat_ops.render.fetch import ProgressFn, needed_bands
from landsat_ops.render.scratch import pread, pwrite
from landsat_ops.render.stac_item import RenderOutcome
from landsat_ops.render.stretch import Stretch, plan_stretches
from landsat_ops.render.workers import WORKERS, gather
from landsat_ops.scene import Metadata, SceneFiles
from landsat_ops.scene.qa import clear_lut
from landsat_ops.scene.rescaling import NDVI_BANDS, ndvi_coefficients
from landsat_ops.storage import sha256_file

__all__ = ["WORKERS", "SceneRenderer", "Stretch"]

logger = logging.getLogger(__name__)

_COLOR_INTERP = {"ndvi": ["Gray"], NDVI_VISUAL: ["Palette"], "extent": ["Palette"]}
"""GDAL colour interpretation of the single-band COGs (the composites: red, green, blue)."""

_PALETTES = {"extent": EXTENT_PALETTE}  # the NDVI's: its colour map's


class SceneRenderer:
    """The scan -> stretch -> products passes over one scene (see the module docstring).

    Work is split by strips between :data:`WORKERS` threads. Each thread has its own GDAL
    handles (a dataset is not safe to share between threads) and runs the compiled kernels
    of :mod:`landsat_ops.raster.kernels`, which release the GIL, so decoding, histograms, the
    stretch and NDVI use every core. COG encoding runs in GDAL's own threads.
    """

    def __init__(
        self,
        files: SceneFiles,
        meta: Metadata | None,
        options: RenderOptions,
        work: Path,
        products_dir: Path,
        progress: ProgressFn,
    ):
        self.files = files
        self.meta = meta
        self.products = products = options.products
        self.percentiles = options.percentiles
        self.ranges = ranges = options.ranges
        self.preview_size = options.preview_size
        self.work: Path = work
        self.out: Path = products_dir
        self.progress = progress
        self.scene_id = files.scene_id.scene_id
        self.composites = [p for p in COMPOSITES if p in products]
        self.hist_bands = sorted(
            {
                b
                for p in COMPOSITES
                if p in products or "histograms" in products
                for b in COMPOSITES[p]
            }
        )
        self.spool_bands = sorted({b for p in self.composites for b in COMPOSITES[p]})
        # The natural stretch counts the clear pixels of its bands too (when a QA band exists).
        self.natural = [
            p
            for p in NATURAL_PRODUCTS
            if options.stretch == "natural"
            and ranges is None
            and (p in products or "histograms" in products)
        ]
        self.clear_bands = sorted({b for p in self.natural for b in COMPOSITES[p]})
        self.clear_histograms: dict[int, np.ndarray] = {}
        self.histograms: dict[int, np.ndarray] = {}
        self.stretches: dict[str, Stretch] = {}
        self.ndvi_hist: tuple[np.ndarray, np.ndarray] | None = None
        self.grid: dict = {}
        self.valid_preview: np.ndarray | None = None  # where a preview has data (footprint)
        self.checksums: dict[str, str] = {}  # product file name -> sha256, computed as written
        self.compression = options.compression
        self.options = options
        self.extent: ExtentPass | None = None
        self.properties: dict = {}  # more item properties (the extent's)
        self._lock = threading.Lock()  # the progress counts of the worker threads
        self._stop = threading.Event()  # set when a worker failed: the others stop early
        self._done: dict[str, int] = {}
        self._fds: dict[str, int] = {}  # spool name -> file descriptor
        self._rasters: dict[str, RawRaster] = {}  # product -> its raw pixels and overviews

    def run(self) -> tuple[list[Path], RenderOutcome]:
        """Run all passes; return the product files (in ``self.out``) and what the passes
        found (:class:`RenderOutcome`: the grid, the footprint, the stretches, checksums)."""
        needed = needed_bands(self.products)
        band_files: dict[int | str, Path] = {b: self.files.bands[b] for b in needed}
        if (self.clear_bands or "extent" in self.products) and self.files.qa is not None:
            band_files["QA"] = self.files.qa
        with gdal_env(), open_bands(band_files) as bands:  # checks the grid once
            ref = bands[min(needed)]
            self.grid = {
                "width": ref.width,
                "height": ref.height,
                "crs": ref.crs,
                "transform": ref.transform,
                "bounds": ref.bounds,
            }
        windows = strips(self.grid["width"], self.grid["height"])
        written: list[Path] = []
        with (
            gdal_env(),
            ThreadPoolExecutor(WORKERS, thread_name_prefix="landsat-ops") as pool,
            # COG encoding (GDAL's threads compress), previews and checksums, one product
            # after the other, while the workers stretch the next composite.
            ThreadPoolExecutor(1, thread_name_prefix="landsat-ops-encode") as encoder,
            ThreadPoolExecutor(1, thread_name_prefix="landsat-ops-figure") as figure,
        ):
            try:
                self._figure = figure
                if "extent" in self.products:
                    self.extent = ExtentPass(
                        self.files,
                        self.meta,
                        self.grid,
                        self.options.polygons,
                        skip_outside=self.options.skip_outside,
                        work=self.work,
                    )
                    self._rasters["extent"] = self.extent.raster
                started = time.perf_counter()
                self._scan(band_files, windows, pool)
                logger.info(
                    "%s: scanned bands %s of %s (%dx%d px, %s) in %.2f s",
                    self.scene_id,
                    ",".join(f"B{b}" for b in sorted(needed))
                    + (",QA" if "QA" in band_files else ""),
                    self.files.folder,
                    self.grid["width"],
                    self.grid["height"],
                    self.grid["crs"],
                    time.perf_counter() - started,
                )
                self._make_stretches()
                sheet = None
                if "histograms" in self.products:  # drawn while the rasters are encoded
                    sheet = figure.submit(self._draw_histograms)
                finishing, finishing_pngs = [], []
                if "ndvi" in self.products:  # the scan spooled NDVI already
                    finishing.append(encoder.submit(self._finish, "ndvi", self._ndvi_png))
                    finishing.append(encoder.submit(self._finish, NDVI_VISUAL, None))
                if self.extent is not None:  # so did the extent
                    finishing.append(encoder.submit(self._finish, "extent", self._extent_png))
                for name in self.composites:
                    started = time.perf_counter()
                    self._composite_stretch(name, windows, pool)
                    logger.info(
                        "%s: stretched %s in %.2f s",
                        self.scene_id,
                        name,
                        time.perf_counter() - started,
                    )
                    finishing.append(encoder.submit(self._finish, name, self._composite_png))
                for future in finishing:
                    cog, png = future.result()
                    written.append(cog)
                    if png is not None:
                        finishing_pngs.append(png)
                for png in finishing_pngs:
                    written += png.result()
                if sheet is not None:
                    written.append(sheet.result())
            finally:
                self._stop.set()
                for fd in self._fds.values():
                    os.close(fd)
                self._fds.clear()
                for raster in self._rasters.values():
                    raster.close()
        for path in written:
            if path.name not in self.checksums:
                self.checksums[path.name] = sha256_file(path)
        order = {name: i for i, name in enumerate(PRODUCTS)}
        written.sort(key=lambda p: (order[file_product(p.name, self.scene_id)], p.suffix, p.name))
        outcome = RenderOutcome(
            grid=dict(self.grid),
            footprint=self.valid_preview,
            stretches=dict(self.stretches),
            checksums={path.name: self.checksums[path.name] for path in written},
            properties=dict(self.properties),
        )
        return written, outcome

    def _wrote(self, path: Path, started: float) -> None:
        """Log one product file: its size and how long it took."""
        logger.info(
            "%s: wrote %s (%s bytes) in %.2f s",
            self.scene_id,
            path.name,
            f"{path.stat().st_size:,}",
            time.perf_counter() - started,
        )

    # -- helpers ----------------------------------------------------------------------
    def _tick(self, step: str, total: int) -> None:
        with self._lock:
            done = self._done[step] = self._done.get(step, 0) + 1
            self.progress(step, done, total)

    def _spool(self, name: str) -> int:
        """The file descriptor of a scratch spool file in the work folder (created once)."""
        if name not in self._fds:
            self._fds[name] = os.open(
                self.work / f"{name}.raw", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600
            )
        return self._fds[name]

    # -- pass 1 ---------------------------------------------------------------------
    def _scan(self, band_files, windows, pool) -> None:
        """Decode every needed band once: histograms, NDVI, and the spooled raw strips."""
        width = self.grid["width"]
        spools = {b: self._spool(f"B{b}") for b in self.spool_bands}
        clear = clear_lut(self.files.qa_kind) if "QA" in band_files else None
        ndvi = None
        if "ndvi" in self.products:
            red_mult, red_add, nir_mult, nir_add = ndvi_coefficients(self.files, self.meta)
            ndvi = (
                np.float32(red_mult),
                np.float32(red_add),
                np.float32(nir_mult),
                np.float32(nir_add),
            )
            self._rasters["ndvi"] = ndvi_raster = RawRaster(
                self.work / "ndvi", 1, "float32", width, self.grid["height"], nodata=np.nan
            )
            self._rasters[NDVI_VISUAL] = visual_raster = RawRaster(
                self.work / NDVI_VISUAL, 1, "uint8", width, self.grid["height"]
            )

        def worker(k: int):
            extent = self.extent.worker_state() if self.extent is not None else None
            hists = {b: np.zeros(ops.DN_LEVELS, np.int64) for b in self.hist_bands}
            clear_hists = {b: np.zeros(ops.DN_LEVELS, np.int64) for b in self.clear_bands}
            ndvi_counts = np.zeros(NDVI_BINS, np.int64)
            valid = 0
            with gdal_env(), open_bands(band_files, threads=1) as bands:
                buffers = {b: np.empty((BLOCK, width), np.uint16) for b in bands}
                ndvi_out = np.empty((BLOCK, width), np.float32)
                for i in range(k, len(windows), WORKERS):
                    if self._stop.is_set():
                        break
                    window = windows[i]
                    h = window.height
                    data = {
                        b: read_window(ds, window, out=buffers[b][:h]) for b, ds in bands.items()
                    }
                    # Imported here: loading the compiled kernels overlaps the first decode.
                    from landsat_ops.raster import kernels

                    for b in self.hist_bands:
                        kernels.histogram_u16(data[b], hists[b])
                    if clear is not None:
                        for b in self.clear_bands:
                            kernels.histogram_clear_u16(data[b], data["QA"], clear, clear_hists[b])
                    pixel_offset = window.row_off * width
                    for b in self.spool_bands:
                        pwrite(spools[b], data[b], pixel_offset * 2)
                    if ndvi is not None:
                        out = ndvi_out[:h]
                        red, nir = (data[b] for b in NDVI_BANDS)
                        valid += kernels.ndvi_u16(red, nir, *ndvi, out, ndvi_counts, *NDVI_RANGE)
                        levels = ndvi_raster.write_strip(out[np.newaxis], window.row_off)
                        # The paletted NDVI's levels: each level of the NDVI, quantised.
                        visual_raster.write_levels(ndvi_palette_levels(levels), window.row_off)
                    if extent is not None:
                        self.extent.strip(data, window.row_off, extent)
                    self._tick("scan", len(windows))
            return hists, valid, ndvi_counts, clear_hists, extent

        results = gather(pool, worker, self._stop)
        for b in self.hist_bands:
            self.histograms[b] = sum(hists[b] for hists, *_ in results)
            self.histograms[b][0] = 0  # fill is not a value
        if clear is not None:
            for b in self.clear_bands:
                self.clear_histograms[b] = sum(c[b] for _, _, _, c, _ in results)
                self.clear_histograms[b][0] = 0
        if ndvi is not None:
            if sum(valid for _, valid, *_ in results) == 0:
                raise NoValidPixelsError(
                    f"{self.files.bands[4]}: no valid pixels for NDVI (red and NIR are all fill)"
                )
            counts = sum(c for _, _, c, *_ in results)
            self.ndvi_hist = (counts, np.linspace(*NDVI_RANGE, NDVI_BINS + 1))
        for b, hist in self.histograms.items():
            if hist.sum() == 0:
                raise NoValidPixelsError(
                    f"{self.files.bands[b]}: band B{b} has no valid (non-zero) pixels"
                )
        if self.extent is not None:
            self.extent.merge([r[4] for r in results])
            self.properties.update(self.extent.properties())

    # -- pass 2 ---------------------------------------------------------------------
    def _make_stretches(self) -> None:
        """Every stretch the composites and the histogram figure need (:mod:`.stretch`)."""
        self.stretches.update(
            plan_stretches(
                [n for n in COMPOSITES if n in self.composites or "histograms" in self.products],
                scene_id=self.scene_id,
                files=self.files,
                meta=self.meta,
                histograms=self.histograms,
                clear_histograms=self.clear_histograms,
                percentiles=self.percentiles,
                ranges=self.ranges,
                natural=self.natural,
            )
        )

    def _composite_stretch(self, name: str, windows, pool) -> None:
        """Spooled DN strips -> 8-bit lookup (0 = no data) -> the composite's raw pixels."""
        from landsat_ops.raster import kernels

        stretch = self.stretches[name]
        luts = stretch.luts()
        table = stretch.plan.saturation_table() if stretch.plan is not None else None
        sources = [self._fds[f"B{b}"] for b in stretch.bands]
        width, height = self.grid["width"], self.grid["height"]
        self._rasters[name] = raster = RawRaster(self.work / name, 3, "uint8", width, height)

        def worker(k: int):
            dn = np.empty((3, BLOCK, width), np.uint16)
            rgb_buffer = np.empty(3 * BLOCK * width, np.uint8)
            for i in range(k, len(windows), WORKERS):
                if self._stop.is_set():
                    break
                window = windows[i]
                h = window.height
                for c, fd in enumerate(sources):
                    pread(fd, dn[c, :h], window.row_off * width * 2)
                rgb = rgb_buffer[: 3 * h * width].reshape(3, h, width)  # contiguous
                if stretch.plan is not None:
                    kernels.natural_rgb(dn[0, :h], dn[1, :h], dn[2, :h], *luts, table, rgb)
                else:
                    kernels.stretch_rgb(dn[0, :h], dn[1, :h], dn[2, :h], *luts, rgb)
                raster.write_strip(rgb, window.row_off)
                self._tick(name, len(windows))

        gather(pool, worker, self._stop)
        # Spooled bands no later composite reads are deleted now: less scratch space, and
        # the next raw files reuse their pages.
        later = self.composites[self.composites.index(name) + 1 :]
        for band in set(stretch.bands) - {b for n in later for b in COMPOSITES[n]}:
            os.close(self._fds.pop(f"B{band}"))
            (self.work / f"B{band}.raw").unlink()

    def _finish(self, name: str, make_png) -> tuple[Path, Future | None]:
        """COG of a product's raw pixels and overviews, its checksum, and its PNG preview
        (none when ``make_png`` is None: the paletted NDVI)."""
        raster = self._rasters.pop(name)
        is_ndvi = name == "ndvi"
        started = time.perf_counter()
        try:
            cog = raster.write_cog(
                self.out / f"{self.scene_id}_{name}.tif",
                self.grid["crs"],
                self.grid["transform"],
                nodata=float("nan") if is_ndvi else 0,
                colorinterp=_COLOR_INTERP.get(name, ["Red", "Green", "Blue"]),
                compression=self.compression,
                descriptions=[band["description"] for band in product_bands(name)],
                colortable=ops.ndvi_palette(NDVI_COLORMAP)
                if name == NDVI_VISUAL
                else _PALETTES.get(name),
            )
            total = len(self.composites) + 2 * ("ndvi" in self.products)
            self._tick("write", total + ("extent" in self.products))
        finally:
            raster.close()
        self._wrote(cog, started)
        if make_png is None:
            self._figure.submit(self._checksum, cog)
            return cog, None
        started = time.perf_counter()
        preview = read_preview(cog, self.preview_size)
        read_seconds = time.perf_counter() - started
        # The PNG and the checksum are made in the figure thread: the next COG starts now.
        png = self._figure.submit(make_png, name, preview, read_seconds)
        self._figure.submit(self._checksum, cog)
        return cog, png

    # -- previews and figures (run in the finishing thread) -----------------------------
    def _composite_png(self, name: str, data: np.ndarray, read_seconds: float) -> list[Path]:
        """The composite's PNG preview; for true colour also the small STAC thumbnail."""
        started = time.perf_counter() - read_seconds  # the preview's read and its encoding
        self.valid_preview = data[0] != 0  # no data is 0 in every channel
        png = write_png(composite_rgba(data), self.out / f"{self.scene_id}_{name}.png")
        self._wrote(png, started)
        self._checksum(png)
        if name != "truecolor":
            return [png]
        started = time.perf_counter()
        rows, cols = preview_shape(data.shape[2], data.shape[1], THUMBNAIL_SIZE)
        # Nearest samples of the preview, itself read from the COG's average overviews.
        y = (np.arange(rows) * data.shape[1]) // rows
        x = (np.arange(cols) * data.shape[2]) // cols
        thumb = write_png(
            composite_rgba(data[:, y][:, :, x]),
            self.out / f"{self.scene_id}_{THUMBNAIL_FILE}",
            level=9,
        )
        self._wrote(thumb, started)
        self._checksum(thumb)
        return [png, thumb]

    def _ndvi_png(self, name: str, data: np.ndarray, read_seconds: float) -> list[Path]:
        started = time.perf_counter() - read_seconds
        rgba = ops.colorize(data[0], *NDVI_RANGE, ops.colormap_lut(NDVI_COLORMAP))
        if self.valid_preview is None:
            self.valid_preview = np.isfinite(data[0])
        png = write_png(rgba, self.out / f"{self.scene_id}_ndvi.png")
        self._wrote(png, started)
        self._checksum(png)
        return [png]

    def _extent_png(self, name: str, data: np.ndarray, read_seconds: float) -> list[Path]:
        started = time.perf_counter() - read_seconds
        png = ExtentPass.write_preview(data[0], self.out / f"{self.scene_id}_extent.png")
        self._wrote(png, started)
        self._checksum(png)
        return [png]

    def _draw_histograms(self) -> Path:
        from landsat_ops.render.figures import histogram_figure

        started = time.perf_counter()
        sheet = histogram_figure(
            self.scene_id,
            self.histograms,
            self.stretches,
            self.ndvi_hist,
            self.out / f"{self.scene_id}_histograms.png",
            clear_histograms=self.clear_histograms,
        )
        self._wrote(sheet, started)
        return sheet

    def _checksum(self, path: Path) -> None:
        self.checksums[path.name] = sha256_file(path)
