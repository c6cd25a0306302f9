"""``render_scene``: one scene from its folder to a published version of its products.

The options are validated, a private scratch folder is made (those of dead runs removed), the
bands the products need are fetched, :class:`~landsat_ops.render.renderer.SceneRenderer` runs
its passes, and the STAC item is built. Everything is complete in the scratch folder before
anything reaches the destination: :func:`~landsat_ops.render.destination.publish_version`
writes the products under a version folder of their own and switches the item last.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from landsat_ops.errors import OptionError, StorageError
from landsat_ops.products import (
    DEFAULT_PERCENTILES,
    DEFAULT_PREVIEW_SIZE,
    DEFAULT_PRODUCTS,
    DEFAULT_STRETCH,
    parse_products,
    parse_ranges,
    validate_percentiles,
    validate_preview_size,
    validate_range,
    validate_stretch,
)
from landsat_ops.raster.cog import COMPRESSIONS
from landsat_ops.render.destination import check_destination, publish_version
from landsat_ops.render.fetch import ProgressFn, fetch_scene
from landsat_ops.render.renderer import SceneRenderer
from landsat_ops.render.scratch import clean_scratch, scratch_folder, scratch_root
from landsat_ops.render.stac_item import build_item
from landsat_ops.scene import read_mtl
from landsat_ops.scene.mtl import check_mtl_belongs
from landsat_ops.storage import open_store, sha256_from_multihash

__all__ = ["RenderResult", "render_scene"]

logger = logging.getLogger(__name__)


@dataclass
class RenderResult:
    """Where the products of one scene went."""

    scene_id: str
    item_uri: str
    outputs: dict[str, str] = field(default_factory=dict)  # file name -> URI
    stretch: dict[str, dict] = field(default_factory=dict)


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
    stretch: str = DEFAULT_STRETCH,
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
        ``(low, high)`` percentiles of every valid pixel of the whole scene that map to 1 and
        255 in the linearly stretched composites (false colour, ``--stretch linear``); the
        ``natural`` true colour has its own white point
        (:data:`landsat_ops.products.NATURAL_CURVE`).
    ranges
        Manual ``[(r0, r1), (g0, g1), (b0, b1)]`` DN ranges; they replace the percentile
        stretch for every composite (the tutorial's arithmetic, see
        :func:`landsat_ops.raster.ops.tutorial_lut`).
    stretch
        ``natural`` (default: the true colour from reflectance through one tone curve anchored
        on the scene's white point, see :mod:`landsat_ops.raster.tone`) or ``linear`` (every
        valid pixel, linear: the stretch before issue 13); see
        :data:`landsat_ops.products.STRETCHES`. False colour is always linear.
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
    stretch = validate_stretch(stretch)
    if isinstance(ranges, str):
        ranges = parse_ranges(ranges)
    elif ranges is not None:
        if len(ranges) != 3:
            raise OptionError("ranges: expected three (low, high) DN ranges for R, G, B")
        ranges = [
            validate_range(lo, hi, f"ranges: {c} range")
            for c, (lo, hi) in zip("RGB", ranges, strict=True)
        ]
    preview_size = validate_preview_size(preview_size)
    if compression not in COMPRESSIONS:
        raise OptionError(
            f"compression must be one of {', '.join(COMPRESSIONS)}, got {compression!r}"
        )
    progress = progress or (lambda step, done, total: None)
    out_store = open_store(out, s3_client)
    check_destination(out_store)
    root = scratch_root(workdir)
    for path in clean_scratch(root):
        logger.info("removed the scratch folder of a dead run: %s", path)
    started = time.perf_counter()

    with scratch_folder(root) as work:
        try:
            return _render_in(
                work,
                scene,
                out_store,
                products=products,
                percentiles=percentiles,
                ranges=ranges,
                preview_size=preview_size,
                compression=compression,
                progress=progress,
                s3_client=s3_client,
                stretch=stretch,
                started=started,
            )
        except OSError as exc:  # scratch space full, a folder gone: one line, not a traceback
            where = exc.filename or work
            raise StorageError(f"{where}: {exc.strerror or exc} (scratch folder {work})") from exc


def _render_in(
    work: Path,
    scene,
    out_store,
    *,
    products,
    percentiles,
    ranges,
    preview_size,
    compression,
    progress,
    s3_client,
    stretch,
    started: float,
) -> RenderResult:
    """The body of :func:`render_scene`, in the scratch folder ``work``."""
    files = fetch_scene(scene, work / "input", products, s3_client, progress)
    meta = read_mtl(files.mtl) if files.mtl else None
    if meta is not None:
        check_mtl_belongs(meta, files)
    products_dir = work / "products"
    products_dir.mkdir()
    scene_id = files.scene_id.scene_id
    # What a concurrent writer must not have changed when this render publishes.
    item_before = out_store.version(f"{scene_id}.json")
    renderer = SceneRenderer(
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
        stretch,
    )
    written = renderer.run()
    item = build_item(files, meta, renderer, written)
    sizes = {path.name: path.stat().st_size for path in written}
    digests = {
        str(asset["href"]).removeprefix("./"): sha256_from_multihash(asset.get("file:checksum"))
        for asset in item["assets"].values()
    }
    progress("publish", 0, 1)
    publish_started = time.perf_counter()
    publication, outputs = publish_version(
        out_store,
        written,
        item,
        scene_id=scene_id,
        expected=item_before,
        move=True,
        digests={name: sha for name, sha in digests.items() if sha},
    )
    publish_seconds = time.perf_counter() - publish_started
    progress("publish", 1, 1)
    logger.info(
        "%s: published %d files (%s bytes in total) to %s in %.2f s (version %s)",
        scene_id,
        len(publication.written),
        f"{sum(sizes.values()):,}",
        out_store.root,
        publish_seconds,
        publication.folder,
    )
    item_uri = outputs[f"{scene_id}.json"]
    logger.info("%s: STAC item at %s", scene_id, item_uri)
    logger.info("%s: rendered in %.2f s", scene_id, time.perf_counter() - started)
    return RenderResult(
        scene_id=scene_id,
        item_uri=item_uri,
        outputs=outputs,
        stretch={k: v.to_dict() for k, v in renderer.stretches.items()},
    )
