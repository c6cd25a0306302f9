"""``landsat-ops sync-run``: the click command (the work: :func:`landsat_ops.syncrun.sync_run`)."""

from __future__ import annotations

import click

from landsat_ops.cli.options import envvar
from landsat_ops.syncrun import sync_run

__all__ = ["sync_run_command"]


@click.command(
    "sync-run",
    context_settings={"allow_interspersed_args": False, "help_option_names": ["-h", "--help"]},
)
@click.option(
    "--input",
    "inputs",
    multiple=True,
    required=True,
    metavar="URI",
    envvar=envvar("input"),
    help="s3:// prefix, folder or single file to download into in/ (repeatable; the "
    "variable takes several separated by spaces).",
)
@click.option(
    "--output",
    required=True,
    metavar="URI",
    envvar=envvar("output"),
    help="s3:// prefix or folder receiving out/ when COMMAND succeeds.",
)
@click.option(
    "--workdir",
    default=None,
    envvar=envvar("sync_workdir"),
    type=click.Path(file_okay=False),
    help="Work folder to use and keep (default: a temporary folder, removed afterwards).",
)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def sync_run_command(inputs, output, workdir, command):
    """Download --input into WORK/in, run COMMAND in WORK, upload WORK/out to --output.

    COMMAND runs in the work folder with LANDSAT_OPS_INPUT_DIR and LANDSAT_OPS_OUTPUT_DIR set
    to in/ and out/. Its results are uploaded only if it exits with 0 (a failed run publishes
    nothing), and sync-run exits with COMMAND's exit code.

    \b
    Example:
        landsat-ops sync-run --input s3://bucket/landing/ID/ --output s3://bucket/staging/ID/ \\
            -- landsat-ops render in --out out
    """
    result = sync_run(command, inputs, output, workdir=workdir)
    if result.exit_code != 0:
        # SystemExit, not click's Exit: the CLI's main() runs click with standalone_mode=False,
        # which turns click's Exit into a return value; SystemExit reaches the process exit.
        raise SystemExit(result.exit_code)
