"""``landsat-ops cleanup``: remove what killed runs left in a destination and a work folder.

A render or publish that was killed with SIGKILL (out of memory, a node lost) cannot clean up
after itself. What it leaves is named after its run, so it can be recognised later:

* ``DEST/.<name>.<pid>-<host>-<random>.partial``: files staged for a publication;
* ``DEST/.<name>.<run>.backup`` and ``DEST/.landsat-ops.<run>.journal``: a publication killed
  while switching sets; the previous set is put back when its item was not switched yet;
* incomplete multipart uploads under an ``s3://`` DEST;
* ``WORKDIR/landsat-ops-<pid>-*``: scratch folders.

Only leftovers of runs that are over are touched: the pid no longer runs on this machine, or
(files of another machine) they are older than ``LANDSAT_OPS_STALE_SECONDS`` (6 hours). Every
render does the same before it publishes, so this command is for destinations no render
writes again.
"""

from __future__ import annotations

import json

import click

__all__ = ["cleanup"]


@click.command()
@click.argument("dest")
@click.option(
    "--workdir",
    default=None,
    type=click.Path(file_okay=False),
    help="Also remove dead runs' scratch folders here (default: the system temp folder).",
)
def cleanup(dest, workdir):
    """Remove leftovers of killed runs from DEST (a folder or s3://bucket/prefix/).

    Prints what was removed or restored as JSON.

    \b
    Example:
        landsat-ops cleanup s3://bucket/staging/ --workdir /scratch
    """
    from landsat_ops.render.destination import clean_destination
    from landsat_ops.render.scratch import clean_scratch, scratch_root
    from landsat_ops.storage import open_store

    report = clean_destination(open_store(dest))
    scratch = clean_scratch(scratch_root(workdir))
    click.echo(
        json.dumps(
            {
                "removed": report.removed,
                "restored": report.restored,
                "aborted_uploads": report.aborted_uploads,
                "scratch_folders": [str(path) for path in scratch],
            },
            indent=2,
        )
    )
