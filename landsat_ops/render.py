"""Render one Landsat 8 scene: true colour, false colour, NDVI, histograms, COGs, PNGs, STAC item.

The pipeline streams the scene in full-width strips of 512 rows and never holds a whole band:

1. *Scan*: every band a product needs is decoded once. Each strip adds to the band's exact
   uint16 histogram (fill excluded), NDVI is computed and written, and the raw strip is
   spooled to a scratch file (a plain copy: re-reading it costs no decoding).
2. *Stretch*: cut-offs come from the whole-scene histograms (or from manual ranges), the
   spooled strips go through 8-bit lookup tables into scratch GeoTIFFs.
3. *Products*: each scratch GeoTIFF gets overviews and becomes a COG; PNG previews are read
   from those overviews; the histogram figure is drawn from the histograms.
4. *Publish*: everything is complete in a private work folder before anything is copied to
   the destination; the STAC item, which lists the products with their checksums, goes last.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio

from landsat_ops import io, ops
from landsat_ops.errors import (
    LandsatOpsError,
    NoValidPixelsError,
    OptionError,
    StorageError,
)
from landsat_ops.locate import locate_scene
from landsat_ops.rescaling import NDVI_BANDS, ndvi_coefficients
from landsat_ops.scene import Metadata, SceneFiles, find_scene_files, read_mtl
from landsat_ops.storage import LocalStore, Store, is_s3, open_store, sha256_file

PRODUCTS = ("truecolor", "falsecolor", "ndvi", "histograms")
DEFAULT_PRODUCTS = PRODUCTS
DEFAULT_PERCENTILES = (2.0, 98.0)
DEFAULT_PREVIEW_SIZE = 2048

# Channels (R, G, B) of the two colour composites, as band numbers.
COMPOSITES = {
    "truecolor": (4, 3, 2),  # red, green, blue
    "falsecolor": (7, 5, 1),  # SWIR2, NIR, coastal: ice and snow show cyan
}
NDVI_RANGE = (-1.0, 1.0)
NDVI_COLORMAP = "RdYlGn"
NDVI_BINS = 200

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


def parse_products(products: Iterable[str] | str) -> tuple[str, ...]:
    """Validate a product list (a comma-separated string or names); order follows PRODUCTS."""
    names = (
        [p.strip() for p in products.split(",")] if isinstance(products, str) else list(products)
    )
    names = [n for n in names if n]
    unknown = sorted(set(names) - set(PRODUCTS))
    if unknown or not names:
        raise OptionError(
            f"products: unknown {', '.join(unknown) or '(none given)'} "
            f"(expected a comma-separated subset of {','.join(PRODUCTS)})"
        )
    return tuple(p for p in PRODUCTS if p in names)


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
    percentiles = ops.validate_percentiles(percentiles)
    if isinstance(ranges, str):
        ranges = parse_ranges(ranges)
    elif ranges is not None:
        if len(ranges) != 3:
            raise OptionError("ranges: expected three (low, high) DN ranges for R, G, B")
        ranges = [
            ops.validate_range(lo, hi, f"ranges: {c} range")
            for c, (lo, hi) in zip("RGB", ranges, strict=True)
        ]
    if not isinstance(preview_size, int) or preview_size < 16:
        raise OptionError(f"preview-size must be an integer >= 16, got {preview_size!r}")
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
    """The scan -> stretch -> products passes over one scene (see the module docstring)."""

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
        self.compression = compression

    # -- pass 1 ---------------------------------------------------------------------
    def run(self) -> list[Path]:
        """Run all passes; GDAL work (decoding, COG encoding) overlaps the numpy work."""
        needed = _needed_bands(self.products)
        with (
            io.gdal_env(),
            io.open_bands({b: self.files.bands[b] for b in needed}) as bands,
            ThreadPoolExecutor(max_workers=2, thread_name_prefix="landsat-ops") as pool,
        ):
            ref = bands[min(bands)]
            self.grid = {
                "width": ref.width,
                "height": ref.height,
                "crs": ref.crs,
                "transform": ref.transform,
                "bounds": ref.bounds,
            }
            windows = io.strips(ref.width, ref.height)
            ndvi_scratch = self._scan(bands, ref, windows, pool)
            finishing = []
            if ndvi_scratch is not None:
                finishing.append(pool.submit(self._finish_ndvi, ndvi_scratch))
            self._make_stretches()
            for name in self.composites:
                scratch = self._stretch_pass(name, ref, windows)
                finishing.append(pool.submit(self._finish_composite, name, scratch))
            written = []
            if ndvi_scratch is not None:  # the histogram sheet needs the NDVI distribution
                written += finishing.pop(0).result()
            if "histograms" in self.products:  # drawn while the COGs are still encoding
                from landsat_ops.plots import histogram_figure

                written.append(
                    histogram_figure(
                        self.scene_id,
                        self.histograms,
                        self.stretches,
                        self.ndvi_hist,
                        self.out / f"{self.scene_id}_histograms.png",
                    )
                )
            for i, future in enumerate(finishing):
                self.progress("write", i, len(finishing))
                written += future.result()
            self.progress("write", len(finishing), len(finishing))
        order = {name: i for i, name in enumerate(PRODUCTS)}
        return sorted(written, key=lambda p: (order[_product_of(p, self.scene_id)], p.suffix))

    def _scan(self, bands, ref, windows, pool) -> Path | None:
        """Decode every needed band once: histograms, NDVI, and the spooled raw strips.

        Strips are decoded into two alternating sets of buffers: a worker thread decodes
        strip i + 1 (GDAL releases the GIL) while this thread processes strip i. All
        per-strip arrays are allocated once and reused.
        """
        for b in self.hist_bands:
            self.histograms[b] = np.zeros(ops.DN_LEVELS, dtype=np.int64)
        rows, width = io.BLOCK, ref.width
        buffers = [{b: np.empty((rows, width), np.uint16) for b in bands} for _ in range(2)]
        intp_scratch = np.empty(rows * width, np.intp)
        spools = {b: open(self.work / f"B{b}.u16", "wb") for b in self.spool_bands}
        ndvi_path = ndvi_ds = None
        if "ndvi" in self.products:
            coefficients = ndvi_coefficients(self.files, self.meta)
            ndvi_buffers = [np.empty((rows, width), np.float32) for _ in range(3)]
            ndvi_path = self.work / "ndvi.tif"
            ndvi_ds = rasterio.open(
                ndvi_path, "w", **io.working_profile(ref, 1, "float32", nodata=float("nan"))
            )
        ndvi_valid = 0

        def read(i):
            window, target = windows[i], buffers[i % 2]
            with io.gdal_env():
                return {
                    b: io.read_window(ds, window, out=target[b][: window.height])
                    for b, ds in bands.items()
                }

        try:
            pending = pool.submit(read, 0)
            for i, window in enumerate(windows):
                self.progress("scan", i, len(windows))
                data = pending.result()
                if i + 1 < len(windows):  # decode the next strip while this one is processed
                    pending = pool.submit(read, i + 1)
                for b in self.hist_bands:
                    self.histograms[b] += ops.dn_histogram(data[b], scratch=intp_scratch)
                for b in self.spool_bands:
                    spools[b].write(memoryview(data[b]).cast("B"))
                if ndvi_ds is not None:
                    h = window.height
                    out, red, diff = (buf[:h] for buf in ndvi_buffers)
                    values = ops.ndvi_from_dn(
                        data[NDVI_BANDS[0]],
                        data[NDVI_BANDS[1]],
                        *coefficients,
                        out=out,
                        work=(red, diff),
                    )
                    ndvi_valid += int(np.count_nonzero(values == values))  # not NaN
                    ndvi_ds.write(values, 1, window=window)
            self.progress("scan", len(windows), len(windows))
        finally:
            for fh in spools.values():
                fh.close()
            if ndvi_ds is not None:
                ndvi_ds.close()
        if ndvi_ds is not None and ndvi_valid == 0:
            raise NoValidPixelsError(
                f"{self.files.bands[4]}: no valid pixels for NDVI (red and NIR are all fill)"
            )
        for b, hist in self.histograms.items():
            if hist.sum() == 0:
                raise NoValidPixelsError(
                    f"{self.files.bands[b]}: band B{b} has no valid (non-zero) pixels"
                )
        return ndvi_path

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

    def _stretch_pass(self, name: str, ref, windows) -> Path:
        """Spooled DN strips -> 8-bit lookup -> a scratch RGB GeoTIFF (0 = no data)."""
        stretch = self.stretches[name]
        luts = [ops.stretch_lut(lo, hi) for lo, hi in stretch.cutoffs]
        path = self.work / f"{name}.tif"
        rows, width = io.BLOCK, ref.width
        dn = np.empty((rows, width), np.uint16)
        rgb_buffer = np.empty((3, rows, width), np.uint8)
        common_buffer = np.empty((rows, width), np.uint8)
        spools = {b: open(self.work / f"B{b}.u16", "rb") for b in stretch.bands}
        profile = io.working_profile(ref, 3, "uint8", nodata=0, photometric="RGB")
        try:
            with rasterio.open(path, "w", **profile) as dst:
                for i, window in enumerate(windows):
                    self.progress(name, i, len(windows))
                    h = window.height
                    rgb, common = rgb_buffer[:, :h], common_buffer[:h]
                    for c, (band, lut) in enumerate(zip(stretch.bands, luts, strict=True)):
                        spools[band].readinto(memoryview(dn[:h]).cast("B"))
                        ops.apply_lut(dn[:h], lut, out=rgb[c])
                    # A pixel is no data in all channels when any channel is fill (0).
                    np.minimum.reduce(rgb, axis=0, out=common)
                    np.minimum(common, 1, out=common)
                    rgb *= common
                    dst.write(rgb, window=window)
                self.progress(name, len(windows), len(windows))
        finally:
            for fh in spools.values():
                fh.close()
        return path

    # -- products (run in worker threads) ---------------------------------------------
    def _finish_composite(self, name: str, scratch: Path) -> list[Path]:
        with io.gdal_env():
            io.add_overviews(scratch)
            cog = io.to_cog(
                scratch, self.out / f"{self.scene_id}_{name}.tif", compression=self.compression
            )
            data = io.read_preview(scratch, self.preview_size)
        alpha = np.where(data[0] != 0, np.uint8(255), np.uint8(0))
        self.valid_preview = alpha != 0
        png = io.write_png(np.dstack([*data, alpha]), self.out / f"{self.scene_id}_{name}.png")
        scratch.unlink()
        return [cog, png]

    def _finish_ndvi(self, scratch: Path) -> list[Path]:
        with io.gdal_env():
            io.add_overviews(scratch)
            cog = io.to_cog(
                scratch, self.out / f"{self.scene_id}_ndvi.tif", compression=self.compression
            )
            data = io.read_preview(scratch, self.preview_size)
        # The NDVI distribution for the histogram sheet, from the preview's sample of pixels.
        counts = ops.value_histogram(data[0], *NDVI_RANGE, NDVI_BINS)
        self.ndvi_hist = (counts, np.linspace(*NDVI_RANGE, NDVI_BINS + 1))
        rgba = ops.colorize(data[0], *NDVI_RANGE, ops.colormap_lut(NDVI_COLORMAP))
        if self.valid_preview is None:
            self.valid_preview = np.isfinite(data[0])
        png = io.write_png(rgba, self.out / f"{self.scene_id}_ndvi.png")
        scratch.unlink()
        return [cog, png]


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
        key = path.name[len(sid.scene_id) + 1 :].replace(".", "_")
        is_cog = path.suffix == ".tif"
        roles = ["data"] if is_cog else (["overview"] if "histograms" in key else ["visual"])
        item.add_asset(
            key,
            pystac.Asset(
                href=f"./{path.name}",
                media_type=io.COG_MEDIA_TYPE if is_cog else io.PNG_MEDIA_TYPE,
                roles=roles,
                title=_TITLES.get(key, key),
                extra_fields={
                    "file:checksum": "1220" + sha256_file(path),
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


_TITLES = {
    "truecolor_tif": "True colour (B4/B3/B2), 8-bit stretched COG",
    "truecolor_png": "True colour preview",
    "falsecolor_tif": "False colour (B7/B5/B1: SWIR2/NIR/coastal), 8-bit stretched COG",
    "falsecolor_png": "False colour preview",
    "ndvi_tif": "NDVI (float32 COG, NaN = no data)",
    "ndvi_png": "NDVI preview (RdYlGn, -1..1)",
    "histograms_png": "Per-channel histograms with stretch cut-offs",
}


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
    return {".tif": io.COG_MEDIA_TYPE, ".png": io.PNG_MEDIA_TYPE}.get(
        path.suffix, "application/json"
    )


__all__ = ["render_scene", "RenderResult", "PRODUCTS", "parse_products", "parse_ranges", "publish"]
