"""``render_scene``: one scene from its folder to a published version of its products.

The options are validated once (:class:`~landsat_ops.products.RenderOptions`), a private
scratch folder is made (those of dead runs removed), the bands the products need are fetched,
:class:`~landsat_ops.render.renderer.SceneRenderer` runs its passes, and the STAC item is built
from what they found (:class:`~landsat_ops.render.stac_item.RenderOutcome`). Everything is
complete in the scratch folder before anything reaches the destination:
:func:`~landsat_ops.render.destination.publish_version` writes the products under a version
folder of their own and switches the item last.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from landsat_ops.errors import StorageError
from landsat_ops.products import RenderOptions
from landsat_ops.render.destination import prepare_run, publish_version
from landsat_ops.render.fetch import ProgressFn, fetch_scene
from landsat_ops.render.renderer import SceneRenderer
from landsat_ops.render.scratch import scratch_folder
from landsat_ops.render.stac_item import build_item
from landsat_ops.scene import read_mtl
from landsat_ops.scene.mtl import check_mtl_belongs
from landsat_ops.storage import sha256_from_multihash

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
    options: RenderOptions | None = None,
    *,
    progress: ProgressFn | None = None,
    s3_client=None,
    workdir: str | os.PathLike | None = None,
    **choices,
) -> RenderResult:
    """Render a scene folder (local or ``s3://``) into ``out`` (local or ``s3://``).

    Parameters
    ----------
    scene, out
        The scene folder holding ``<ID>_B<n>.TIF`` (or ``_SR_B<n>.TIF``) files and the MTL,
        and the destination folder. Either may be an ``s3://bucket/prefix/`` URI.
    options
        What to make and how (:class:`landsat_ops.products.RenderOptions`: products, stretch,
        percentiles, manual ranges, preview size, compression), already validated.
    **choices
        Instead of ``options``: its fields as keywords (``products="truecolor,ndvi"``,
        ``stretch="linear"``, ``percentiles=(1, 99)``, ``ranges="5900:11000,..."``,
        ``preview_size=512``, ``compression="deflate"``), validated into one
        :class:`~landsat_ops.products.RenderOptions` here; the rest keep their defaults.
        ``percentiles`` are those of every valid pixel that map to 1 and 255 in the
        linearly stretched composites (false colour, ``stretch="linear"``); the ``natural``
        true colour has its own white point (:data:`landsat_ops.products.NATURAL_CURVE`).
    progress
        ``progress(step, done, total)``, called as the render advances.
    workdir
        The folder of the scratch folder (default: the system's temporary folder).

    Returns
    -------
    RenderResult
        The scene ID, the STAC item's URI and every output's URI.
    """
    if options is None:
        options = RenderOptions(**choices)
    elif choices:
        raise TypeError(f"render_scene: give options or {', '.join(choices)}, not both")
    progress = progress or (lambda step, done, total: None)
    out_store, root = prepare_run(out, s3_client, workdir)
    started = time.perf_counter()

    with scratch_folder(root) as work:
        try:
            return _render_in(
                work,
                scene,
                out_store,
                options=options,
                progress=progress,
                s3_client=s3_client,
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
    options: RenderOptions,
    progress,
    s3_client,
    started: float,
) -> RenderResult:
    """The body of :func:`render_scene`, in the scratch folder ``work``."""
    files = fetch_scene(scene, work / "input", options.products, s3_client, progress)
    meta = read_mtl(files.mtl) if files.mtl else None
    if meta is not None:
        check_mtl_belongs(meta, files)
    products_dir = work / "products"
    products_dir.mkdir()
    scene_id = files.scene_id.scene_id
    # What a concurrent writer must not have changed when this render publishes.
    item_before = out_store.version(f"{scene_id}.json")
    renderer = SceneRenderer(files, meta, options, work, products_dir, progress)
    written, outcome = renderer.run()
    item = build_item(files, meta, outcome, written)
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
        stretch={k: v.to_dict() for k, v in outcome.stretches.items()},
    )
