"""``landsat-ops composite-tile``: one tile of a composite job staged by the composites DAG.

What the ``landsat_composites`` DAG's ``ecs`` backend runs in the render image, one ECS task
per tile (docs/composites.md); the same work as the DAG's local tile task
(:func:`landsat_ops.composite.staged.stage_tile`). Heavy libraries load when it runs.
"""

from __future__ import annotations

import json

import click

__all__ = ["composite_tile"]


@click.command("composite-tile")
@click.argument("job")
@click.option(
    "--tile",
    "index",
    type=click.IntRange(min=0),
    required=True,
    help="The tile's number in the job's tiles (0-based).",
)
@click.option("--out", "out", required=True, help="The tile file to write: a path or s3:// key.")
def composite_tile(job, index, out):
    """Compute tile --tile of the composite job JOB (the job.json a plan staged, a path or an
    s3:// key) from the windows it needs of the scenes' bands, and upload it to --out.

    The bands are read in place (/vsis3/ with the environment's AWS settings, as boto3 has
    them); the same tile twice uploads nothing new. Prints the tile's summary as JSON.

    \b
    Example:
        landsat-ops composite-tile s3://bucket/staging/composites/ID/DIGEST/job.json \\
            --tile 3 --out s3://bucket/staging/composites/ID/DIGEST/r00001_c00000.tif
    """
    import rasterio

    from landsat_ops.composite.staged import job_tile, read_job, stage_tile
    from landsat_ops.sampling.location import gdal_s3_options
    from landsat_ops.storage import is_s3, s3_client

    client = s3_client() if is_s3(job) or is_s3(out) else None
    spec = read_job(job, s3_client=client)
    tile = job_tile(spec, index)
    reads = rasterio.Env(**gdal_s3_options(s3_client=client))
    summary = stage_tile(spec, tile, out, s3_client=client, reads=reads)
    click.echo(json.dumps({**summary.to_dict(), "name": tile.name, "path": out}, indent=2))
