"""``landsat-ops cleanup``: delete unreferenced product versions and what killed runs left.

Products are immutable (:mod:`landsat_ops.render.destination`): a render writes a new version
folder ``<ID>/<version>/`` and then switches the scene's item ``<ID>.json`` to it. What is left
behind is never in a reader's way, only in the bill:

* versions no item refers to any more (superseded sets, or those of runs that failed or were
  killed before their switch);
* incomplete multipart uploads of killed runs (S3);
* temporary ``.partial`` files, and the journals, backups and lock of the publication scheme
  before versions;
* ``WORKDIR/landsat-ops-<pid>-*``: scratch folders of dead runs (this machine's pids).

Each is deleted only once older than the retention (``--retention``, default
``LANDSAT_OPS_RETENTION_SECONDS`` or 24 hours), and a version only when its scene's item was
last switched more than the retention ago: a reader who read an item within the retention always
finds its assets. Running it beside live renders is safe.
"""

from __future__ import annotations

import json

import click

__all__ = ["cleanup"]


@click.command()
@click.argument("dest")
@click.option(
    "--retention",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds an unreferenced version is kept (default: LANDSAT_OPS_RETENTION_SECONDS "
    "or 86400).",
)
@click.option(
    "--workdir",
    default=None,
    type=click.Path(file_okay=False),
    help="Also remove dead runs' scratch folders here (default: the system temp folder).",
)
def cleanup(dest, retention, workdir):
    """Delete unreferenced versions and leftovers of killed runs from DEST.

    DEST is a folder or s3://bucket/prefix/ holding scene items and their versions (any depth).
    Prints what was removed and kept as JSON.

    \b
    Example:
        landsat-ops cleanup s3://bucket/published/ --retention 86400 --workdir /scratch
    """
    from landsat_ops.render.garbage import collect_garbage
    from landsat_ops.render.scratch import clean_scratch, scratch_root
    from landsat_ops.storage import open_store

    report = collect_garbage(open_store(dest), retention=retention)
    scratch = clean_scratch(scratch_root(workdir))
    click.echo(
        json.dumps(
            {
                "versions_removed": report.versions_removed,
                "removed": report.removed,
                "versions_kept": report.versions_kept,
                "aborted_uploads": report.aborted_uploads,
                "scratch_folders": [str(path) for path in scratch],
            },
            indent=2,
        )
    )
