"""The ``landsat-ops`` command line: the container's entry point.

Examples::

    landsat-ops render data/LC08_L1TP_226010_20140820_20200911_02_T1 --out out/
    landsat-ops render s3://bucket/landing/ID/ --out s3://bucket/staging/ID/ --percentiles 1,99
    landsat-ops -v render scene/ --out out/          # log the render's stages on stderr
    landsat-ops info data/LC08_L1TP_226010_20140820_20200911_02_T1
    landsat-ops overpasses --path 226 --row 10 --start 2024-01-01 --end 2024-03-01

Every option can also come from a ``LANDSAT_OPS_<OPTION>`` environment variable (for
example ``LANDSAT_OPS_PERCENTILES=1,99``), which is how container tasks are configured.
Errors caused by the input print one line, ``landsat-ops: error: ...``, and exit with code 2;
SIGTERM and SIGINT clean up like an error and exit with 128 + the signal's number.

One module per command group: :mod:`~landsat_ops.cli.render` (render, info),
:mod:`~landsat_ops.cli.analytics` (sample, timeseries), :mod:`~landsat_ops.cli.overpass`
(overpasses), :mod:`~landsat_ops.cli.syncrun` (sync-run), :mod:`~landsat_ops.cli.cleanup`
(cleanup: leftovers of killed runs); the shared options and the logging
set-up are in :mod:`~landsat_ops.cli.options`.
"""

from __future__ import annotations

import sys

import click

from landsat_ops import __version__
from landsat_ops.cli import (
    analytics,
    cleanup,
    composite,
    composite_tile,
    extent,
    overpass,
    render,
    syncrun,
    timelapse,
)
from landsat_ops.cli.options import configure_logging, log_level, verbosity_options
from landsat_ops.errors import Interrupted, LandsatOpsError
from landsat_ops.interrupts import pending, signals_as_errors

__all__ = ["EXIT_USAGE", "cli", "main"]

EXIT_USAGE = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="landsat-ops")
@verbosity_options
def cli(verbose: int, quiet: bool) -> None:
    """Render Landsat 8 scenes: true colour, false colour, NDVI, histograms, COGs and STAC."""
    restore = configure_logging(log_level(verbose, quiet, sys.stderr), sys.stderr)
    click.get_current_context().call_on_close(restore)


for _command in (
    render.render,
    render.info,
    overpass.overpasses,
    analytics.sample,
    analytics.timeseries,
    extent.extent,
    timelapse.timelapse,
    syncrun.sync_run_command,
    cleanup.cleanup,
    composite.composite,
    composite_tile.composite_tile,
):
    cli.add_command(_command)


def _one_line(message: str) -> None:
    click.echo(f"landsat-ops: error: {' '.join(message.split())}", err=True)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; input errors become one line on stderr and exit code 2.

    SIGTERM and SIGINT clean up like an error, print one line and exit with 128 + N.
    """
    try:
        with signals_as_errors():
            code = _main(argv)
            signum = pending()
            if signum is not None and code == 0:  # swallowed somewhere, yet the run finished
                raise Interrupted(signum, "the run had finished first")
            return code
    except Interrupted as exc:  # arrived outside the command (while cleaning up)
        _one_line(str(exc))
        return 128 + exc.signum


def _main(argv: list[str] | None) -> int:
    try:
        result = cli.main(args=argv, prog_name="landsat-ops", standalone_mode=False)
    except Interrupted as exc:
        _one_line(str(exc))
        return 128 + exc.signum
    except click.UsageError as exc:
        message = exc.format_message()
        if exc.ctx is not None:
            message = f"{exc.ctx.command_path}: {message}"
        click.echo(f"landsat-ops: error: {' '.join(message.split())}", err=True)
        return EXIT_USAGE
    except LandsatOpsError as exc:
        _one_line(str(exc))
        return EXIT_USAGE
    except OSError as exc:  # the environment (a full disk, a vanished folder), not a bug
        if isinstance(exc, BrokenPipeError):
            return 0
        where = f"{exc.filename}: " if exc.filename else ""
        _one_line(f"{where}{exc.strerror or exc}")
        return EXIT_USAGE
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("landsat-ops: aborted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
