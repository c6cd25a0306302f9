"""The input of a render: the bands its products need, from a folder or an ``s3://`` prefix."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from landsat_ops.products import COMPOSITES
from landsat_ops.scene import SceneFiles, find_scene_files
from landsat_ops.scene.locate import locate_scene
from landsat_ops.scene.rescaling import NDVI_BANDS

__all__ = ["ProgressFn", "fetch_scene", "needed_bands"]

logger = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
"""``progress(step, done, total)``: called as a render advances (the CLI draws a bar)."""


def needed_bands(products: Sequence[str]) -> set[int]:
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


def fetch_scene(
    scene: str | os.PathLike,
    local_dir: Path,
    products: Sequence[str],
    s3_client,
    progress: ProgressFn,
) -> SceneFiles:
    """Find the scene's files; for ``s3://`` scenes download only the needed bands and MTL
    (and the QA band, whose clear pixels set the natural true colour's cut-offs)."""
    needed = needed_bands(products)
    store, remote = locate_scene(scene, s3_client)
    remote.require(needed)
    if store is None:
        return remote
    wanted = [remote.bands[b].name for b in sorted(needed)]
    if remote.qa is not None and needed & set(COMPOSITES["truecolor"]):
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
