"""A composite in one process: :func:`compose` (what ``landsat-ops composite`` runs) and
:func:`publish_composite`.

:func:`compose` validates the options, makes a private scratch folder (those of dead runs
removed, as a render does), finds the scenes (:func:`~landsat_ops.composite.inputs.open_inputs`),
chooses the grid, computes the tiles in :data:`WORKERS` threads (each with its own open
datasets), assembles the products and publishes them like a scene's: an immutable version
folder and one switched item ``DEST/<composite_id>.json``
(:func:`landsat_ops.render.destination.publish_version`). The same inputs and options give
the same bytes, so a second run writes nothing. Nothing reaches the destination before
everything is complete.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from landsat_ops.composite.assemble import COMPOSITE_PRODUCTS, assemble, validate_products
from landsat_ops.composite.errors import CompositeError
from landsat_ops.composite.grid import DEFAULT_TILE_SIZE, Grid, Tile, plan_tiles
from landsat_ops.composite.inputs import CompositeInput, open_inputs, target_grid
from landsat_ops.composite.reading import SceneReaders, place
from landsat_ops.composite.tile import TileSummary, validate_stat, write_composite_tile
from landsat_ops.errors import StorageError
from landsat_ops.products import DEFAULT_PREVIEW_SIZE

__all__ = [
    "WORKERS",
    "compose",
    "compute_tiles",
    "default_composite_id",
    "publish_composite",
    "validate_composite_id",
]

logger = logging.getLogger(__name__)

WORKERS = min(
    4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)
"""Threads computing tiles at once: one per core this process may use, at most 4."""
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def validate_composite_id(composite_id: str) -> str:
    """A composite ID names files and keys: letters, digits, ``_.-``, no slash."""
    if not isinstance(composite_id, str) or not _ID.match(composite_id):
        raise CompositeError(
            f"composite id {composite_id!r}: expected letters, digits, '_', '.', '-' "
            "(at most 128, no '/')"
        )
    return composite_id


def default_composite_id(inputs: Sequence[CompositeInput], stat: str = "median") -> str:
    """``p<PPP>r<RRR>_<first>_<last>`` (dates ``YYYYMMDD`` of the scenes given) for one
    path/row, ``composite_<first>_<last>`` otherwise; ``_medoid`` appended for that stat."""
    first = min(inp.acquired for inp in inputs).strftime("%Y%m%d")
    last = max(inp.acquired for inp in inputs).strftime("%Y%m%d")
    path_rows = {(inp.path, inp.row) for inp in inputs}
    if len(path_rows) == 1:
        ((path, row),) = path_rows
        name = f"p{path:03d}r{row:03d}_{first}_{last}"
    else:
        name = f"composite_{first}_{last}"
    return name if stat == "median" else f"{name}_{stat}"


def compute_tiles(
    inputs: Sequence[CompositeInput],
    grid: Grid,
    tiles: Sequence[Tile],
    folder: Path,
    stat: str = "median",
    workers: int = WORKERS,
    compress: str | None = None,
) -> list[TileSummary]:
    """Every tile of ``tiles`` into ``folder/<tile name>.tif``, ``workers`` at a time (each
    thread keeps its own open datasets); the summaries in the order of ``tiles``. The tile
    files are not compressed by default: they are read back on this machine."""
    from landsat_ops.raster.bands import gdal_env

    inputs = list(inputs)
    placements = [place(inp, grid) for inp in inputs]
    local = threading.local()
    opened: list[SceneReaders] = []
    lock = threading.Lock()
    stop = threading.Event()

    def run(tile: Tile) -> TileSummary | None:
        if stop.is_set():
            return None
        readers = getattr(local, "readers", None)
        if readers is None:
            readers = local.readers = SceneReaders(inputs, grid, placements)
            with lock:
                opened.append(readers)
        try:
            with gdal_env():
                return write_composite_tile(
                    inputs,
                    grid,
                    tile,
                    folder / f"{tile.name}.tif",
                    stat,
                    readers=readers,
                    compress=compress,
                )
        except BaseException:
            stop.set()
            raise

    folder.mkdir(parents=True, exist_ok=True)
    try:
        with ThreadPoolExecutor(max(1, workers), thread_name_prefix="composite") as pool:
            return list(pool.map(run, tiles))
    finally:
        for readers in opened:
            readers.close()


def publish_composite(
    out_dir: str | os.PathLike,
    dest,
    composite_id: str,
    *,
    s3_client=None,
    expected: str | None | bool = False,
) -> str:
    """Publish an assembled composite (``out_dir/<composite_id>_*`` and its item) to ``dest``
    (a path, an ``s3://`` URI or a :class:`~landsat_ops.storage.Store`): a version folder
    ``<composite_id>/<version>/`` and the switched item ``<composite_id>.json``, whose URI is
    returned. Publishing the same set again writes nothing."""
    from landsat_ops.render.destination import publish_version
    from landsat_ops.storage import Store, open_store, sha256_from_multihash

    composite_id = validate_composite_id(composite_id)
    out_dir = Path(out_dir)
    store = dest if isinstance(dest, Store) else open_store(str(dest), s3_client)
    item_path = out_dir / f"{composite_id}.json"
    try:
        item = json.loads(item_path.read_text())
    except (OSError, ValueError) as exc:
        raise CompositeError(f"{item_path}: no composite item to publish ({exc})") from None
    files = sorted(path for path in out_dir.glob(f"{composite_id}_*") if path.is_file())
    names = {str(a["href"]).removeprefix("./") for a in item.get("assets", {}).values()}
    if names != {path.name for path in files}:
        raise CompositeError(
            f"{out_dir}: the files do not match the assets of {item_path.name} "
            f"({sorted(names ^ {path.name for path in files})})"
        )
    digests = {
        str(asset["href"]).removeprefix("./"): sha256_from_multihash(asset.get("file:checksum"))
        for asset in item["assets"].values()
    }
    publication, outputs = publish_version(
        store,
        files,
        item,
        scene_id=composite_id,
        expected=expected,
        move=True,
        digests={name: sha for name, sha in digests.items() if sha},
    )
    logger.info(
        "%s: %s (%d objects written)",
        composite_id,
        "already published" if not publication.written else f"published {publication.folder}",
        len(publication.written),
    )
    return outputs[f"{composite_id}.json"]


def compose(
    refs: Sequence[str | os.PathLike],
    dest: str | os.PathLike,
    *,
    stat: str = "median",
    products: Iterable[str] | str = COMPOSITE_PRODUCTS,
    crs: str | None = None,
    resolution: float | None = None,
    tile_size: int = DEFAULT_TILE_SIZE,
    workdir: str | os.PathLike | None = None,
    composite_id: str | None = None,
    period: str | None = None,
    compression: str = "zstd",
    preview_size: int = DEFAULT_PREVIEW_SIZE,
    s3_client=None,
) -> str:
    """Composite ``refs`` and publish it to ``dest``; returns the item's URI.

    Parameters
    ----------
    refs
        Scene folders, ``s3://`` prefixes or product archives (as ``landsat-ops render``).
    dest
        Destination folder or ``s3://`` prefix.
    stat
        ``median`` (per band) or ``medoid`` (one observation's bands together).
    products
        Any of ``truecolor, falsecolor, ndvi`` (the reflectance and count COGs always).
    crs, resolution
        The target grid when the scenes are of several path/rows or CRSs (or to warp).
    tile_size
        Side of the tiles computed independently, in pixels.
    composite_id
        Name of the item and files (default :func:`default_composite_id`).
    period
        A label recorded in the item (``landsat_ops:period``), e.g. ``2024-summer``.
    """
    from landsat_ops.raster.cog import COMPRESSIONS
    from landsat_ops.render.destination import prepare_run
    from landsat_ops.render.scratch import scratch_folder

    stat = validate_stat(stat)
    products = validate_products(products)
    plan_tiles(Grid("EPSG:4326", (1, 0, 0, 0, -1, 0), 1, 1), tile_size)  # checks the size
    if composite_id is not None:
        validate_composite_id(composite_id)
    if compression not in COMPRESSIONS:
        raise CompositeError(f"compression: expected one of {', '.join(COMPRESSIONS)}")
    if crs is None and resolution is not None:
        raise CompositeError("--resolution needs --crs (the target grid's CRS)")
    out_store, root = prepare_run(dest, s3_client, workdir)
    started = time.perf_counter()
    with scratch_folder(root) as work:
        try:
            inputs = open_inputs(refs, work / "inputs", s3_client=s3_client)
            grid = target_grid(inputs, crs, resolution)
            cid = composite_id or default_composite_id(inputs, stat)
            item_before = out_store.version(f"{cid}.json")
            tiles = plan_tiles(grid, tile_size)
            logger.info(
                "%s: %d scene(s) on a %dx%d grid (%s), %d tile(s) of %d px",
                cid,
                len(inputs),
                grid.width,
                grid.height,
                grid.crs,
                len(tiles),
                tile_size,
            )
            tiled = time.perf_counter()
            summaries = compute_tiles(inputs, grid, tiles, work / "tiles", stat)
            logger.info(
                "%s: computed %d tiles in %.2f s", cid, len(tiles), time.perf_counter() - tiled
            )
            products_dir = work / "products"
            assemble(
                [s.path for s in summaries],
                grid,
                products_dir,
                composite_id=cid,
                products=products,
                inputs=inputs,
                period=period,
                compression=compression,
                preview_size=preview_size,
            )
            uri = publish_composite(products_dir, out_store, cid, expected=item_before)
        except OSError as exc:  # scratch space full, a folder gone: one line, not a traceback
            raise StorageError(f"{exc.filename or work}: {exc.strerror or exc}") from exc
    logger.info("%s: composite published at %s in %.2f s", cid, uri, time.perf_counter() - started)
    return uri
