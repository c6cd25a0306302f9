"""Render one Landsat 8 scene: true colour, false colour, NDVI, histograms, COGs, PNGs, STAC item.

The pipeline streams the scene in full-width strips of 512 rows and never holds a whole band.
Strips are shared between worker threads (one per core, each with its own GDAL handles) that
run compiled kernels (:mod:`landsat_ops.kernels`, GIL released):

1. *Scan*: every band a product needs is decoded once. Each strip adds to the band's exact
   uint16 histogram (fill excluded), NDVI is computed (with its histogram) and written with
   its overviews as raw float32, and the raw strip is spooled to a scratch file (a plain
   copy: re-reading it costs no decoding).
2. *Stretch*: cut-offs come from the whole-scene histograms (or from manual ranges); the
   spooled strips go through 8-bit lookup tables into the composite's raw pixels and
   nearest-neighbour overviews, written strip by strip.
3. *Products*: GDAL encodes each product's raw pixels and overviews (described by a VRT) as a
   COG in its own threads, while the workers stretch the next composite; PNG previews are
   read from the COGs' overviews; the histogram figure is drawn meanwhile.
4. *Publish*: everything is complete in a private work folder before anything is copied to
   the destination; the STAC item, which lists the products with their checksums, goes last.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from affine import Affine

from landsat_ops import io, ops
from landsat_ops.errors import (
    LandsatOpsError,
    NoValidPixelsError,
    OptionError,
    StorageError,
)
from landsat_ops.locate import locate_scene
from landsat_ops.products import (
    ASSET_TITLES,
    COG_MEDIA_TYPE,
    COMPOSITES,
    DEFAULT_PERCENTILES,
    DEFAULT_PREVIEW_SIZE,
    DEFAULT_PRODUCTS,
    NDVI_BINS,
    NDVI_COLORMAP,
    NDVI_RANGE,
    PNG_MEDIA_TYPE,
    PRODUCTS,
    asset_key,
    parse_products,
    validate_percentiles,
    validate_preview_size,
)
from landsat_ops.rescaling import NDVI_BANDS, ndvi_coefficients
from landsat_ops.scene import Metadata, SceneFiles, find_scene_files, read_mtl
from landsat_ops.storage import LocalStore, Store, is_s3, open_store, sha256_file

WORKERS = min(
    4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)
"""Worker threads sharing a scene's strips: one per core this process may use, at most 4."""

ProgressFn = Callable[[str, int, int], None]


@dataclass
class Stretch:
    """How the three channels of a composite were mapped to 8 bits."""

    method: str  # "percentile" or "manual"
    bands: tuple[int, int, int]
    cutoffs: list[tuple[float, float]]
    percentiles: tuple[float, float] | None = None

    def to_dict(self) -> dict:
        out = {
            "method": self.method,
            "bands": [f"B{b}" for b in self.bands],
            "cutoffs": [[round(lo, 3), round(hi, 3)] for lo, hi in self.cutoffs],
        }
        if self.percentiles is not None:
            out["percentiles"] = list(self.percentiles)
        return out


@dataclass
class RenderResult:
    """Where the products of one scene went."""

    scene_id: str
    item_uri: str
    outputs: dict[str, str] = field(default_factory=dict)  # file name -> URI
    stretch: dict[str, dict] = field(default_factory=dict)


def parse_ranges(text: str) -> list[tuple[float, float]]:
    """Parse ``R0:R1,G0:G1,B0:B1`` into three validated DN ranges."""
    parts = [p for p in text.split(",") if p.strip()]
    if len(parts) != 3:
        raise OptionError(f"ranges: expected R0:R1,G0:G1,B0:B1 (three ranges), got {text!r}")
    out = []
    for channel, part in zip("RGB", parts, strict=True):
        try:
            low, high = (float(v) for v in part.split(":"))
        except ValueError:
            raise OptionError(
                f"ranges: {channel} range {part!r} is not LOW:HIGH in DN (e.g. 5900:11000)"
            ) from None
        out.append(ops.validate_range(low, high, name=f"ranges: {channel} range"))
    return out


def render_scene(
    scene: str | os.PathLike,
    out: str | os.PathLike,
    *,
    products: Iterable[str] | str = DEFAULT_PRODUCTS,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
    ranges: Sequence[tuple[float, float]] | str | None = None,
    preview_size: int = DEFAULT_PREVIEW_SIZE,
    compression: str = "zstd",
    progress: ProgressFn | None = None,
    s3_client=None,
    workdir: str | os.PathLike | None = None,
) -> RenderResult:
    """Render a scene folder (local or ``s3://``) into ``out`` (local or ``s3://``).

    Parameters
    ----------
    scene, out
        The scene folder holding ``<ID>_B<n>.TIF`` (or ``_SR_B<n>.TIF``) files and the MTL,
        and the destination folder. Either may be an ``s3://bucket/prefix/`` URI.
    products
        Any of ``truecolor, falsecolor, ndvi, histograms``.
    percentiles
        ``(low, high)`` percentiles of each band's valid pixels over the whole scene that
        map to 0 and 255 in the colour composites.
    ranges
        Manual ``[(r0, r1), (g0, g1), (b0, b1)]`` DN ranges; they replace the percentile
        stretch for every composite.
    preview_size
        Longest side of the PNG previews in pixels; smaller scenes are not upsampled.
    compression
        COG compression, ``zstd`` (default, fastest) or ``deflate`` (most widely readable).

    Returns
    -------
    RenderResult
        The scene ID, the STAC item's URI and every output's URI.
    """
    products = parse_products(products)
    percentiles = validate_percentiles(percentiles)
    if isinstance(ranges, str):
        ranges = parse_ranges(ranges)
    elif ranges is not None:
        if len(ranges) != 3:
            raise OptionError("ranges: expected three (low, high) DN ranges for R, G, B")
        ranges = [
            ops.validate_range(lo, hi, f"ranges: {c} range")
            for c, (lo, hi) in zip("RGB", ranges, strict=True)
        ]
    preview_size = validate_preview_size(preview_size)
    if compression not in io.COMPRESSIONS:
        raise OptionError(
            f"compression must be one of {', '.join(io.COMPRESSIONS)}, got {compression!r}"
        )
    progress = progress or (lambda step, done, total: None)
    out_store = open_store(out, s3_client)
    _check_destination(out_store)

    with tempfile.TemporaryDirectory(prefix="landsat-ops-", dir=workdir) as tmp:
        work = Path(tmp)
        files = _fetch_scene(scene, work / "input", products, s3_client, progress)
        meta = read_mtl(files.mtl) if files.mtl else None
        products_dir = work / "products"
        products_dir.mkdir()
        scene_id = files.scene_id.scene_id
        renderer = _SceneRenderer(
            files,
            meta,
            products,
            percentiles,
            ranges,
            preview_size,
            work,
            products_dir,
            progress,
            compression,
        )
        written = renderer.run()
        item = build_item(files, meta, renderer, written)
        item_path = products_dir / f"{scene_id}.json"
        item_path.write_text(json.dumps(item, indent=2))
        progress("publish", 0, 1)
        outputs = publish(out_store, [*written, item_path])
        progress("publish", 1, 1)
    return RenderResult(
        scene_id=scene_id,
        item_uri=outputs[item_path.name],
        outputs=outputs,
        stretch={k: v.to_dict() for k, v in renderer.stretches.items()},
    )


def _check_destination(store: Store) -> None:
    """Fail before any work when a local destination cannot be created or written."""
    if is_s3(store.root):
        return
    path = Path(store.root)
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise StorageError(f"{path}: destination is not a writable folder")


def _needed_bands(products: Sequence[str]) -> set[int]:
    bands: set[int] = set()
    for product in products:
        if product in COMPOSITES:
            bands.update(COMPOSITES[product])
        elif product == "ndvi":
            bands.update(NDVI_BANDS)
        elif product == "histograms":
            for composite in COMPOSITES.values():
                bands.update(composite)
    return bands


def _fetch_scene(
    scene: str | os.PathLike,
    local_dir: Path,
    products: Sequence[str],
    s3_client,
    progress: ProgressFn,
) -> SceneFiles:
    """Find the scene's files; for ``s3://`` scenes download only the needed bands and MTL."""
    needed = _needed_bands(products)
    store, remote = locate_scene(scene, s3_client)
    remote.require(needed)
    if store is None:
        return remote
    wanted = [remote.bands[b].name for b in sorted(needed)]
    if remote.mtl is not None:
        wanted.append(remote.mtl.name)
    for i, name in enumerate(wanted):
        progress("download", i, len(wanted))
        store.get_file(name, local_dir / name)
    progress("download", len(wanted), len(wanted))
    return find_scene_files(local_dir)


class _SceneRenderer:
    """The scan -> stretch -> products passes over one scene (see the module docstring).

    Work is split by strips between :data:`WORKERS` threads. Each thread has its own GDAL
    handles (a dataset is not safe to share between threads) and runs the compiled kernels
    of :mod:`landsat_ops.kernels`, which release the GIL, so decoding, histograms, the
    stretch and NDVI use every core. COG encoding runs in GDAL's own threads.
    """

    def __init__(
        self,
        files,
        meta,
        products,
        percentiles,
        ranges,
        preview_size,
        work,
        products_dir,
        progress,
        compression,
    ):
        self.files: SceneFiles = files
        self.meta: Metadata | None = meta
        self.products = products
        self.percentiles = percentiles
        self.ranges = ranges
        self.preview_size = preview_size
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
        self.histograms: dict[int, np.ndarray] = {}
        self.stretches: dict[str, Stretch] = {}
        self.ndvi_hist: tuple[np.ndarray, np.ndarray] | None = None
        self.grid: dict = {}
        self.valid_preview: np.ndarray | None = None  # where a preview has data (footprint)
        self.checksums: dict[str, str] = {}  # product file name -> sha256, computed as written
        self.compression = compression
        self._lock = threading.Lock()  # the progress counts of the worker threads
        self._stop = threading.Event()  # set when a worker failed: the others stop early
        self._done: dict[str, int] = {}
        self._fds: dict[str, int] = {}  # spool name -> file descriptor
        self._rasters: dict[str, _RawRaster] = {}  # product -> its raw pixels and overviews

    def run(self) -> list[Path]:
        """Run all passes and return the product files (in ``self.out``)."""
        needed = _needed_bands(self.products)
        band_files = {b: self.files.bands[b] for b in needed}
        with io.gdal_env(), io.open_bands(band_files) as bands:  # checks the grid once
            ref = bands[min(bands)]
            self.grid = {
                "width": ref.width,
                "height": ref.height,
                "crs": ref.crs,
                "transform": ref.transform,
                "bounds": ref.bounds,
            }
        windows = io.strips(self.grid["width"], self.grid["height"])
        written: list[Path] = []
        with (
            io.gdal_env(),
            ThreadPoolExecutor(WORKERS, thread_name_prefix="landsat-ops") as pool,
            # COG encoding (GDAL's threads compress), previews and checksums, one product
            # after the other, while the workers stretch the next composite.
            ThreadPoolExecutor(1, thread_name_prefix="landsat-ops-encode") as encoder,
            ThreadPoolExecutor(1, thread_name_prefix="landsat-ops-figure") as figure,
        ):
            try:
                self._figure = figure
                self._scan(band_files, windows, pool)
                self._make_stretches()
                sheet = None
                if "histograms" in self.products:  # drawn while the rasters are encoded
                    sheet = figure.submit(self._draw_histograms)
                finishing, finishing_pngs = [], []
                if "ndvi" in self.products:  # the scan spooled NDVI already
                    finishing.append(encoder.submit(self._finish, "ndvi", self._ndvi_png))
                for name in self.composites:
                    self._composite_stretch(name, windows, pool)
                    finishing.append(encoder.submit(self._finish, name, self._composite_png))
                for future in finishing:
                    cog, png = future.result()
                    written.append(cog)
                    finishing_pngs.append(png)
                written += [png.result() for png in finishing_pngs]
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
        return sorted(written, key=lambda p: (order[_product_of(p, self.scene_id)], p.suffix))

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
        ndvi = None
        if "ndvi" in self.products:
            red_mult, red_add, nir_mult, nir_add = ndvi_coefficients(self.files, self.meta)
            ndvi = (
                np.float32(red_mult),
                np.float32(red_add),
                np.float32(nir_mult),
                np.float32(nir_add),
            )
            self._rasters["ndvi"] = ndvi_raster = _RawRaster(
                self.work / "ndvi", 1, "float32", width, self.grid["height"]
            )

        def worker(k: int):
            hists = {b: np.zeros(ops.DN_LEVELS, np.int64) for b in self.hist_bands}
            ndvi_counts = np.zeros(NDVI_BINS, np.int64)
            valid = 0
            with io.gdal_env(), io.open_bands(band_files, threads=1) as bands:
                buffers = {b: np.empty((io.BLOCK, width), np.uint16) for b in bands}
                ndvi_out = np.empty((io.BLOCK, width), np.float32)
                for i in range(k, len(windows), WORKERS):
                    if self._stop.is_set():
                        break
                    window = windows[i]
                    h = window.height
                    data = {
                        b: io.read_window(ds, window, out=buffers[b][:h]) for b, ds in bands.items()
                    }
                    # Imported here: loading the compiled kernels overlaps the first decode.
                    from landsat_ops import kernels

                    for b in self.hist_bands:
                        kernels.histogram_u16(data[b], hists[b])
                    pixel_offset = window.row_off * width
                    for b in self.spool_bands:
                        _pwrite(spools[b], data[b], pixel_offset * 2)
                    if ndvi is not None:
                        out = ndvi_out[:h]
                        red, nir = (data[b] for b in NDVI_BANDS)
                        valid += kernels.ndvi_u16(red, nir, *ndvi, out, ndvi_counts, *NDVI_RANGE)
                        ndvi_raster.write_strip(out[np.newaxis], window.row_off)
                    self._tick("scan", len(windows))
            return hists, valid, ndvi_counts

        results = _gather(pool, worker, self._stop)
        for b in self.hist_bands:
            self.histograms[b] = sum(hists[b] for hists, _, _ in results)
            self.histograms[b][0] = 0  # fill is not a value
        if ndvi is not None:
            if sum(valid for _, valid, _ in results) == 0:
                raise NoValidPixelsError(
                    f"{self.files.bands[4]}: no valid pixels for NDVI (red and NIR are all fill)"
                )
            counts = sum(c for _, _, c in results)
            self.ndvi_hist = (counts, np.linspace(*NDVI_RANGE, NDVI_BINS + 1))
        for b, hist in self.histograms.items():
            if hist.sum() == 0:
                raise NoValidPixelsError(
                    f"{self.files.bands[b]}: band B{b} has no valid (non-zero) pixels"
                )

    # -- pass 2 ---------------------------------------------------------------------
    def _make_stretches(self) -> None:
        for name, bands in COMPOSITES.items():
            if name not in self.composites and "histograms" not in self.products:
                continue
            if self.ranges is not None:
                self.stretches[name] = Stretch("manual", bands, list(self.ranges))
            else:
                cutoffs = [
                    ops.percentile_cutoffs(self.histograms[b], self.percentiles) for b in bands
                ]
                # A band with a single value has no spread: widen by one DN to keep it valid.
                cutoffs = [(lo, hi if hi > lo else lo + 1) for lo, hi in cutoffs]
                self.stretches[name] = Stretch("percentile", bands, cutoffs, self.percentiles)

    def _composite_stretch(self, name: str, windows, pool) -> None:
        """Spooled DN strips -> 8-bit lookup (0 = no data) -> the composite's raw pixels."""
        from landsat_ops import kernels

        stretch = self.stretches[name]
        luts = [ops.stretch_lut(lo, hi) for lo, hi in stretch.cutoffs]
        sources = [self._fds[f"B{b}"] for b in stretch.bands]
        width, height = self.grid["width"], self.grid["height"]
        self._rasters[name] = raster = _RawRaster(self.work / name, 3, "uint8", width, height)

        def worker(k: int):
            dn = np.empty((3, io.BLOCK, width), np.uint16)
            rgb_buffer = np.empty(3 * io.BLOCK * width, np.uint8)
            for i in range(k, len(windows), WORKERS):
                if self._stop.is_set():
                    break
                window = windows[i]
                h = window.height
                for c, fd in enumerate(sources):
                    _pread(fd, dn[c, :h], window.row_off * width * 2)
                rgb = rgb_buffer[: 3 * h * width].reshape(3, h, width)  # contiguous
                kernels.stretch_rgb(dn[0, :h], dn[1, :h], dn[2, :h], *luts, rgb)
                raster.write_strip(rgb, window.row_off)
                self._tick(name, len(windows))

        _gather(pool, worker, self._stop)

    def _finish(self, name: str, make_png) -> tuple[Path, Future]:
        """COG of a product's raw pixels and overviews, its checksum, and its PNG preview."""
        raster = self._rasters.pop(name)
        is_ndvi = name == "ndvi"
        try:
            vrt = raster.vrt(
                self.grid["crs"],
                self.grid["transform"],
                nodata=float("nan") if is_ndvi else 0,
                colorinterp=None if is_ndvi else ["Red", "Green", "Blue"],
            )
            target = self.out / f"{self.scene_id}_{name}.tif"
            cog = io.to_cog(vrt, target, compression=self.compression)
            self._tick("write", len(self.composites) + ("ndvi" in self.products))
        finally:
            raster.close()
        preview = io.read_preview(cog, self.preview_size)
        # The PNG and the checksum are made in the figure thread: the next COG starts now.
        png = self._figure.submit(make_png, name, preview)
        self._figure.submit(self._checksum, cog)
        return cog, png

    # -- previews and figures (run in the finishing thread) -----------------------------
    def _composite_png(self, name: str, data: np.ndarray) -> Path:
        rgba = np.empty((*data.shape[1:], 4), np.uint8)
        for c in range(3):
            rgba[..., c] = data[c]
        self.valid_preview = data[0] != 0  # no data is 0 in every channel
        rgba[..., 3] = self.valid_preview
        rgba[..., 3] *= 255
        png = io.write_png(rgba, self.out / f"{self.scene_id}_{name}.png")
        self._checksum(png)
        return png

    def _ndvi_png(self, name: str, data: np.ndarray) -> Path:
        rgba = ops.colorize(data[0], *NDVI_RANGE, ops.colormap_lut(NDVI_COLORMAP))
        if self.valid_preview is None:
            self.valid_preview = np.isfinite(data[0])
        png = io.write_png(rgba, self.out / f"{self.scene_id}_ndvi.png")
        self._checksum(png)
        return png

    def _draw_histograms(self) -> Path:
        from landsat_ops.plots import histogram_figure

        return histogram_figure(
            self.scene_id,
            self.histograms,
            self.stretches,
            self.ndvi_hist,
            self.out / f"{self.scene_id}_histograms.png",
        )

    def _checksum(self, path: Path) -> None:
        self.checksums[path.name] = sha256_file(path)


class _RawRaster:
    """A raster written strip by strip as raw band-sequential files, with its overviews.

    The full-resolution file and one file per overview level (nearest neighbour, the
    factors of :func:`landsat_ops.io.overview_factors`) are filled by :meth:`write_strip`
    from any thread (``pwrite`` at computed offsets, no lock). :meth:`vrt` then describes
    them to GDAL, which encodes the COG from them without decoding anything or building
    overviews itself.
    """

    def __init__(self, base: Path, count: int, dtype: str, width: int, height: int):
        self.base = base
        self.count, self.dtype = count, np.dtype(dtype)
        self.width, self.height = width, height
        self.levels = []  # (factor, width, height, row index, column index, fd)
        for factor in [1, *io.overview_factors(width, height)]:
            w, h = -(-width // factor), -(-height // factor)
            # Nearest: the source pixel at the centre of each factor x factor cell.
            rows = np.minimum(np.arange(h) * factor + factor // 2, height - 1)
            cols = np.minimum(np.arange(w) * factor + factor // 2, width - 1)
            fd = os.open(self._raw(factor), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            self.levels.append((factor, w, h, rows, _as_slice(cols), fd))

    def _raw(self, factor: int) -> Path:
        return self.base.with_name(f"{self.base.name}_{factor}.raw")

    def write_strip(self, data: np.ndarray, row_off: int) -> None:
        """Write ``data`` (count, rows, width) whose first row is ``row_off`` of the raster."""
        rows_in_strip = data.shape[1]
        for factor, w, h, rows, cols, fd in self.levels:
            if factor == 1:
                block, first = data, row_off
            else:
                picked = np.flatnonzero((rows >= row_off) & (rows < row_off + rows_in_strip))
                if not picked.size:
                    continue
                block = data[:, _as_slice(rows[picked] - row_off)][:, :, cols]
                first = int(picked[0])
            for c in range(self.count):
                offset = (c * h + first) * w * self.dtype.itemsize
                _pwrite(fd, np.ascontiguousarray(block[c]), offset)

    def vrt(self, crs, transform, nodata, colorinterp=None) -> Path:
        """VRTs of every level; returns the full-resolution one (with the others as overviews)."""
        overviews = []
        for factor, w, h, _, _, _ in reversed(self.levels):
            path = self.base.with_name(f"{self.base.name}_{factor}.vrt")
            io.raw_vrt(
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
            )
            overviews.append(path)
        return overviews[-1]

    def close(self) -> None:
        """Close and delete the files."""
        for factor, *_, fd in self.levels:
            os.close(fd)
            self._raw(factor).unlink(missing_ok=True)
        self.levels = []


def _as_slice(index: np.ndarray) -> slice | np.ndarray:
    """``index`` as a slice when it is an arithmetic progression (a view, no copy)."""
    if len(index) > 1:
        step = int(index[1] - index[0])
        if step > 0 and np.array_equal(index, np.arange(index[0], index[-1] + 1, step)):
            return slice(int(index[0]), int(index[-1]) + 1, step)
    elif len(index) == 1:
        return slice(int(index[0]), int(index[0]) + 1)
    return index


def _gather(pool: ThreadPoolExecutor, worker, stop: threading.Event) -> list:
    """Run ``worker(k)`` for every k < WORKERS on ``pool``; on an error stop the others."""
    futures = [pool.submit(worker, k) for k in range(WORKERS)]
    results = []
    try:
        for future in futures:
            results.append(future.result())
    except BaseException:
        stop.set()
        for future in futures:
            future.cancel()
        wait(futures)
        raise
    return results


def _pwrite(fd: int, array: np.ndarray, offset: int) -> None:
    """Write a contiguous array at ``offset`` of a file (all of it; the GIL is released)."""
    view = memoryview(array).cast("B")
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n


def _pread(fd: int, array: np.ndarray, offset: int) -> None:
    """Fill a contiguous array from ``offset`` of a file."""
    view = memoryview(array).cast("B")
    while view:
        n = os.preadv(fd, [view], offset)
        if n == 0:
            raise OSError(f"scratch file ended at byte {offset}")
        view, offset = view[n:], offset + n


def _product_of(path: Path, scene_id: str) -> str:
    return path.stem[len(scene_id) + 1 :]


def build_item(
    files: SceneFiles, meta: Metadata | None, renderer: _SceneRenderer, written: list[Path]
) -> dict:
    """The scene's STAC item (a dict) listing every product with its checksum."""
    import pystac
    from rasterio.warp import transform_geom

    sid = files.scene_id
    grid = renderer.grid
    geometry = transform_geom(
        grid["crs"], "EPSG:4326", _footprint(grid, renderer.valid_preview), precision=6
    )
    xs = [x for x, _ in geometry["coordinates"][0]]
    ys = [y for _, y in geometry["coordinates"][0]]
    acquired = (
        meta.acquired if meta else dt.datetime.combine(sid.acquired, dt.time(), tzinfo=dt.UTC)
    )
    properties = {
        "platform": f"landsat-{sid.satellite}",
        "instruments": ["oli", "tirs"],
        "landsat:scene_id": sid.scene_id,
        "landsat:wrs_path": f"{sid.path:03d}",
        "landsat:wrs_row": f"{sid.row:03d}",
        "landsat:correction": sid.processing_level or "L1T",
        "proj:code": grid["crs"].to_string(),
        "proj:shape": [grid["height"], grid["width"]],
        "proj:transform": list(grid["transform"])[:6],
        "landsat_ops:stretch": {k: v.to_dict() for k, v in renderer.stretches.items()},
        "landsat_ops:version": __import__("landsat_ops").__version__,
    }
    if meta is not None:
        if meta.cloud_cover is not None:
            properties["eo:cloud_cover"] = meta.cloud_cover
        if meta.sun_elevation is not None:
            properties["view:sun_elevation"] = meta.sun_elevation
        if meta.sun_azimuth is not None:
            properties["view:sun_azimuth"] = meta.sun_azimuth
    item = pystac.Item(
        id=sid.scene_id,
        geometry=geometry,
        bbox=[min(xs), min(ys), max(xs), max(ys)],
        datetime=acquired,
        properties=properties,
        stac_extensions=[
            "https://stac-extensions.github.io/file/v2.1.0/schema.json",
            "https://stac-extensions.github.io/projection/v2.0.0/schema.json",
            "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
            "https://stac-extensions.github.io/view/v1.0.0/schema.json",
        ],
    )
    for path in written:
        key = asset_key(path.name, sid.scene_id)
        is_cog = path.suffix == ".tif"
        roles = ["data"] if is_cog else (["overview"] if "histograms" in key else ["visual"])
        item.add_asset(
            key,
            pystac.Asset(
                href=f"./{path.name}",
                media_type=COG_MEDIA_TYPE if is_cog else PNG_MEDIA_TYPE,
                roles=roles,
                title=ASSET_TITLES.get(key, key),
                extra_fields={
                    "file:checksum": "1220"
                    + (renderer.checksums.get(path.name) or sha256_file(path)),
                    "file:size": path.stat().st_size,
                },
            ),
        )
    return item.to_dict(include_self_link=False)


def _footprint(grid: dict, valid: np.ndarray | None) -> dict:
    """The scene's data footprint in its CRS: the convex hull of the valid preview pixels.

    Falls back to the raster's bounds when no preview was made or nothing is valid.
    """
    left, bottom, right, top = grid["bounds"]
    ring = [[left, top], [right, top], [right, bottom], [left, bottom]]
    if valid is not None and valid.any():
        rows = np.flatnonzero(valid.any(axis=1))
        first = valid[rows].argmax(axis=1)
        last = valid.shape[1] - 1 - valid[rows, ::-1].argmax(axis=1)
        # Pixel corners of each row's first and last valid pixel, in preview pixel units.
        points = [(c, r) for r, c in zip(rows, first, strict=True)]
        points += [(c, r + 1) for r, c in zip(rows, first, strict=True)]
        points += [(c + 1, r) for r, c in zip(rows, last, strict=True)]
        points += [(c + 1, r + 1) for r, c in zip(rows, last, strict=True)]
        sx = (right - left) / valid.shape[1]
        sy = (top - bottom) / valid.shape[0]
        # Rows grow downwards: reversing keeps the exterior ring counter-clockwise (RFC 7946).
        ring = [[left + c * sx, top - r * sy] for c, r in reversed(_convex_hull(points))]
    return {"type": "Polygon", "coordinates": [ring + ring[:1]]}


def _convex_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Convex hull (Andrew's monotone chain), counter-clockwise, without repeated points."""
    pts = sorted(set((float(x), float(y)) for x, y in points))
    if len(pts) <= 2:
        return pts

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list = []
    upper: list = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def publish(store: Store, paths: list[Path]) -> dict[str, str]:
    """Copy finished files into ``store`` so that a failure leaves nothing new behind.

    Local: every file is first copied under a hidden ``.partial`` name, then all are renamed
    into place, the STAC item last. S3 has no rename: objects are uploaded in order with the
    STAC item (the manifest of the set) last, and on failure the objects this call created
    are deleted again.
    """
    if isinstance(store, LocalStore):
        _publish_local(Path(store.root), paths)
        return {path.name: store.uri(path.name) for path in paths}
    created: list[str] = []
    try:
        for path in paths:
            _, uploaded = store.put_file(path, path.name, content_type=_content_type(path))
            if uploaded:
                created.append(path.name)
    except LandsatOpsError:
        for key in created:
            try:
                store.delete(key)
            except LandsatOpsError:
                pass
        raise
    return {path.name: store.uri(path.name) for path in paths}


def _publish_local(dest: Path, paths: list[Path]) -> None:
    """Stage every file as ``.<name>.partial`` in ``dest``, then rename them all into place.

    The work files are moved (a rename when the work folder is on the same file system,
    else a copy), so publishing a full scene does not write its products twice.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for path in paths:
            partial = dest / f".{path.name}.partial"
            shutil.move(path, partial)
            staged.append((partial, dest / path.name))
        for partial, target in staged:
            os.replace(partial, target)
    except OSError as exc:
        for partial, _ in staged:
            partial.unlink(missing_ok=True)
        raise StorageError(f"{dest}: cannot write products ({exc.strerror or exc})") from exc


def _content_type(path: Path) -> str:
    return {".tif": COG_MEDIA_TYPE, ".png": PNG_MEDIA_TYPE}.get(path.suffix, "application/json")


__all__ = ["render_scene", "RenderResult", "PRODUCTS", "parse_products", "parse_ranges", "publish"]
