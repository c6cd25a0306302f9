"""One tile of a staged composite job: the body of the composites DAG's tile step.

The ``landsat_composites`` DAG's plan task writes each job's inputs, grid and tiles to a
``job.json`` (``staging/composites/<id>/<digest>/job.json``); every tile is then computed
independently, in an Airflow worker (``landsat_pipeline.composites.tasks.run_tile``) or in an
ECS task of the render image (``landsat-ops composite-tile``). Both run :func:`stage_tile`,
so a tile is the same file whichever backend made it.

A job document holds ``stat``, ``grid`` (:meth:`Grid.to_dict`), ``inputs``
(:meth:`CompositeInput.to_dict`, band paths readable by any worker: ``/vsis3/`` for S3) and
``tiles`` (:meth:`Tile.to_dict`), besides the job's identity and products.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from landsat_ops.composite.errors import CompositeError
from landsat_ops.composite.grid import Grid, Tile
from landsat_ops.composite.inputs import CompositeInput
from landsat_ops.composite.tile import TileSummary, write_composite_tile
from landsat_ops.storage import is_s3, open_store

__all__ = ["JOB_KEYS", "job_tile", "read_job", "stage_tile"]

JOB_KEYS = ("stat", "grid", "inputs", "tiles")
"""The keys of a job document that a tile needs."""


def _split(uri: str | os.PathLike) -> tuple[str, str]:
    """A file's folder (or ``s3://`` prefix) and name."""
    text = str(uri)
    if is_s3(text):
        folder, _, name = text.rpartition("/")
        return folder, name
    path = Path(text).absolute()
    return str(path.parent), path.name


def read_job(uri: str | os.PathLike, *, s3_client: Any | None = None) -> dict:
    """The job document at ``uri`` (a local path or ``s3://`` key), checked for the keys a
    tile needs.

    :raises CompositeError: it does not exist, is not JSON, or lacks one of :data:`JOB_KEYS`.
    """
    folder, name = _split(uri)
    if not name:
        raise CompositeError(f"{uri}: expected the URI of a composite job's job.json")
    store = open_store(folder, s3_client)
    if store.info(name) is None:
        raise CompositeError(
            f"{uri}: no such composite job (expected the job.json the plan task staged)"
        )
    try:
        spec = json.loads(store.read_bytes(name))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CompositeError(f"{uri}: not a composite job ({exc})") from exc
    missing = [key for key in JOB_KEYS if not isinstance(spec, dict) or key not in spec]
    if missing:
        raise CompositeError(f"{uri}: not a composite job (no {missing[0]!r})")
    return spec


def job_tile(spec: Mapping, index: int) -> Tile:
    """Tile number ``index`` (0-based, in the job's order) of a job document.

    :raises CompositeError: ``index`` is out of range.
    """
    tiles = spec["tiles"]
    if not 0 <= index < len(tiles):
        raise CompositeError(
            f"tile {index}: out of range (the job has {len(tiles)} tiles, 0..{len(tiles) - 1})"
        )
    return Tile.from_dict(tiles[index])


def stage_tile(
    spec: Mapping,
    tile: Tile,
    dest: str | os.PathLike,
    *,
    s3_client: Any | None = None,
    reads: AbstractContextManager | None = None,
) -> TileSummary:
    """Compute ``tile`` of the job ``spec`` and upload the tile file to ``dest``.

    ``dest``: the tile file's URI (local path or ``s3://`` key); an upload of the same bytes
    is skipped, so running a tile twice changes nothing. ``reads``: the environment in which
    the inputs' bands are read (e.g. a ``rasterio.Env`` with the bucket's ``/vsis3/``
    settings); entered around the computation only. The tile is written to a temporary
    folder first: nothing is uploaded unless it is complete.
    """
    from landsat_ops.raster.bands import gdal_env

    grid = Grid.from_dict(spec["grid"])
    inputs = [CompositeInput.from_dict(record) for record in spec["inputs"]]
    folder, name = _split(dest)
    if not name.endswith((".tif", ".tiff")):
        raise CompositeError(f"{dest}: expected a .tif file name for the tile")
    store = open_store(folder, s3_client)
    with tempfile.TemporaryDirectory(prefix="landsat-tile-") as work:
        out = Path(work) / name
        with reads or nullcontext(), gdal_env():
            summary = write_composite_tile(inputs, grid, tile, out, stat=spec["stat"])
        store.put_file(out, name, content_type="image/tiff")
    return summary
