"""The bodies of the composites DAG's tile and assemble tasks (no Airflow operator here).

* :func:`run_tile`: one tile of one job (:func:`landsat_ops.composite.write_composite_tile`),
  from the windows it needs of the scenes' landed bands in the bucket (``landing/<ID>/``,
  ``/vsis3/`` for S3: a tile task may run on any worker and downloads no whole band), staged at
  ``staging/composites/<id>/<digest>/<tile>.tif``.
* :func:`assemble_job`: a job's staged tiles into its COGs, previews and STAC item
  (:func:`landsat_ops.composite.assemble`), published as a new immutable version behind the
  switched item (:func:`landsat_ops.composite.publish_composite`); then its staged tiles are
  deleted. Nothing is published unless every tile is there and some pixel is clear.
"""

from __future__ import annotations

import json
import logging
import socket
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from landsat_pipeline.composites.jobs import DIGEST_PROPERTY
from landsat_pipeline.errors import PublishError
from landsat_pipeline.hooks.bucket import open_bucket
from landsat_pipeline.publishing.documents import read_json

if TYPE_CHECKING:
    from landsat_pipeline.composites.jobs import (
        CompositeJob,
        PublishedComposite,
        StagedTile,
        TileTask,
    )
    from landsat_pipeline.config import PipelineConfig

__all__ = ["assemble_job", "bucket_reads", "job_spec", "read_inputs", "run_tile"]

log = logging.getLogger(__name__)


def job_spec(store, key: str) -> dict:
    """A job's ``job.json``; PublishError when it is gone (a plan of another run cleaned up)."""
    spec = read_json(store, key)
    if spec is None:
        raise PublishError(
            f"{store.uri(key)} is missing (expected the job written by this run's plan task; "
            "clear the plan task to plan again)"
        )
    return spec


def read_inputs(spec: Mapping) -> list:
    """The job's inputs as the plan recorded them (:func:`~.plan.readable_record`)."""
    from landsat_ops.composite import CompositeInput

    return [CompositeInput.from_dict(record) for record in spec["inputs"]]


def bucket_reads(config: PipelineConfig, client):
    """A rasterio environment in which the bucket's landed bands can be read in place: for
    S3, ``/vsis3/`` with the Airflow connection's credentials and endpoint (never logged)."""
    import rasterio

    if not config.storage.is_s3:
        return rasterio.Env()
    from landsat_ops.sampling.location import gdal_s3_options
    from landsat_pipeline.analytics import gdal_session

    return rasterio.Env(
        session=gdal_session(config.storage.aws_conn_id),
        **gdal_s3_options(s3_client=client),
        GDAL_HTTP_MAX_RETRY="3",
        GDAL_HTTP_RETRY_DELAY="1",
        # Within one open only: a scene landed again under the same keys is read anew.
        CPL_VSIL_CURL_NON_CACHED="/vsis3/" + config.storage.root.removeprefix("s3://") + "/",
    )


def run_tile(config: PipelineConfig, task: TileTask) -> StagedTile:
    """Compute one tile from the windows of the landed bands; stage it in the bucket
    (:func:`landsat_ops.composite.staged.stage_tile`, what ``landsat-ops composite-tile``
    runs in the ``ecs`` backend's containers)."""
    from landsat_ops.composite import Tile
    from landsat_ops.composite.staged import stage_tile

    store, client = open_bucket(config.storage.root, config.storage.aws_conn_id)
    spec = job_spec(store, task["spec"])
    tile = Tile.from_dict(task["tile"])
    summary = stage_tile(
        spec, tile, store.uri(task["key"]), s3_client=client, reads=bucket_reads(config, client)
    )
    record = summary.to_dict()
    record["path"] = store.uri(task["key"])
    log.info(
        "%s tile %s: %d clear pixels from %d of %d scenes, staged at %s",
        task["job"],
        tile.name,
        summary.clear_pixels,
        len(summary.observations),
        len(spec["inputs"]),
        record["path"],
    )
    return {
        "job": task["job"],
        "key": task["key"],
        "summary": record,
        "worker": socket.gethostname(),
    }


def _tiles_of(
    store, job: CompositeJob, spec: Mapping, staged: Iterable[StagedTile | None] | None
) -> list[str]:
    """The staged tile keys of ``job``, checked to be every tile of its plan: those the local
    tile tasks reported (``staged``), or, without reports (``staged`` None: the ``ecs``
    backend's containers staged them), those in the bucket."""
    from landsat_ops.composite import Tile

    base = spec_prefix(job["spec"])
    expected = sorted(f"{base}/{Tile.from_dict(t).name}.tif" for t in spec["tiles"])
    if staged is None:
        keys = {key for key in expected if store.exists(key)}
    else:
        keys = {t["key"] for t in staged if t and t.get("job") == job["id"]}
    missing = sorted(set(expected) - keys)
    if missing:
        raise PublishError(
            f"{job['id']}: {len(missing)} of {len(expected)} tiles were not staged "
            f"(first: {missing[0]}); nothing published"
        )
    return expected


def spec_prefix(spec_key: str) -> str:
    """The staging folder of a job (where its ``job.json`` and tiles are)."""
    return spec_key.rsplit("/", 1)[0]


def assemble_job(
    config: PipelineConfig, job: CompositeJob, staged: Iterable[StagedTile | None] | None = None
) -> PublishedComposite:
    """Assemble a job's tiles, publish the composite, delete its staged tiles.

    ``staged``: what the local tile tasks returned; None: the tiles are looked for in the
    bucket (the ``ecs`` backend's containers report nothing else)."""
    from landsat_ops.composite import Grid, assemble, publish_composite

    store, client = open_bucket(config.storage.root, config.storage.aws_conn_id)
    spec = job_spec(store, job["spec"])
    tile_keys = _tiles_of(store, job, spec, staged)
    grid = Grid.from_dict(spec["grid"])
    with tempfile.TemporaryDirectory(prefix="landsat-assemble-") as work:
        root = Path(work)
        paths = []
        for key in tile_keys:
            paths.append(store.get_file(key, root / "tiles" / Path(key).name))
        inputs = read_inputs(spec)  # their metadata only: nothing is read from the bands
        out_dir = root / "out"
        item_path = assemble(
            paths,
            grid,
            out_dir,
            composite_id=job["id"],
            products=spec["products"],
            inputs=inputs,
            period=job["period"],
        )
        item = json.loads(item_path.read_text())
        # What the next plan compares: the same scenes, grid and settings give the same digest.
        item["properties"][DIGEST_PROPERTY] = spec["digest"]
        item_path.write_text(json.dumps(item, indent=2) + "\n")
        dest = store.uri(spec_dest(job))
        item_uri = publish_composite(out_dir, dest, job["id"], s3_client=client)
    clear = item["properties"].get("landsat_ops:clear_count") or {}
    staging = spec_prefix(job["spec"]).rsplit("/", 1)[0]
    removed = 0
    for key in store.list(staging + "/"):
        store.delete(key)
        removed += 1
    log.info(
        "%s published at %s from %d scenes; %d staged files deleted",
        job["id"],
        item_uri,
        len(job["scenes"]),
        removed,
    )
    return {
        "id": job["id"],
        "kind": job["kind"],
        "area": job["area"],
        "period": job["period"],
        "item_uri": item_uri,
        "scenes": len(job["scenes"]),
        "clear_pixels": int(clear.get("pixels_with_data") or 0),
    }


def spec_dest(job: CompositeJob) -> str:
    """The folder the job's item is switched in (``published/composites/...``)."""
    from landsat_pipeline.keys import composite_keys, mosaic_keys

    if job["kind"] == "mosaic":
        return mosaic_keys(job["area"], job["period"])["dest"]
    return composite_keys(job["path"], job["row"], job["period"])["dest"]
