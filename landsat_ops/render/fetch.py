"""The input of a render: the bands its products need, from a folder, an ``s3://`` prefix or a
product archive (a local or ``s3://`` ``.tar``/``.tar.gz``, see :mod:`landsat_ops.scene.archive`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from landsat_ops.products import COMPOSITES, needed_bands
from landsat_ops.scene import SceneFiles, find_scene_files
from landsat_ops.scene.archive import extract_scene, is_archive
from landsat_ops.scene.locate import locate_scene

__all__ = ["ProgressFn", "fetch_scene", "needed_bands", "needs_qa"]

logger = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
"""``progress(step, done, total)``: called as a render advances (the CLI draws a bar)."""


def needs_qa(bands: set[int], products: Sequence[str] = ()) -> bool:
    """Whether a render of ``bands`` (of ``products``) takes the QA band: the natural true
    colour's cut-offs come from its clear pixels, the extent's classes from clear pixels only."""
    return bool(bands & set(COMPOSITES["truecolor"])) or "extent" in products


def fetch_scene(
    scene: str | os.PathLike,
    local_dir: Path,
    products: Sequence[str],
    s3_client,
    progress: ProgressFn,
) -> SceneFiles:
    """Find the scene's files; for ``s3://`` scenes download only the needed bands and MTL
    (and the QA band, whose clear pixels set the natural true colour's cut-offs and the
    extent's classes); from an
    archive extract only those into ``local_dir``, in one pass (S3 archives are streamed)."""
    needed = needed_bands(products)
    if is_archive(scene):
        started = time.perf_counter()
        files = extract_scene(
            scene,
            local_dir,
            needed,
            qa=needs_qa(needed, products),
            s3_client=s3_client,
            progress=progress,
        )
        paths = [*files.bands.values(), *([files.qa] if files.qa else []), files.mtl]
        logger.info(
            "%s: extracted %d files (%s bytes) from %s in %.2f s",
            files.scene_id,
            len(paths),
            f"{sum(path.stat().st_size for path in paths):,}",
            scene,
            time.perf_counter() - started,
        )
        return files
    store, remote = locate_scene(scene, s3_client)
    remote.require(sorted(needed - {6}))
    if "extent" in products:  # B6 and the QA band, with what to do without them
        from landsat_ops.render.extent_pass import check_extent_inputs

        check_extent_inputs(remote)
    if store is None:
        return remote
    wanted = [remote.bands[b].name for b in sorted(needed)]
    if remote.qa is not None and needs_qa(needed, products):
        wanted.append(remote.qa.name)  # the natural true colour's clear pixels
    if remote.mtl is not None:
        wanted.append(remote.mtl.name)
    started = time.perf_counter()
    for i, name in enumerate(wanted):
        progress("download", i, len(wanted))
        store.get_file(name, local_dir / name)
    progress("download", len(wanted), len(wanted))
    logger.info(
        "%s: downloaded %d files (%s bytes) from %s in %.2f s",
        remote.scene_id,
        len(wanted),
        f"{sum((local_dir / name).stat().st_size for name in wanted):,}",
        store.root,
        time.perf_counter() - started,
    )
    return find_scene_files(local_dir)
