"""The ``landsat-ops`` command line: the container's entry point.

Examples::

    landsat-ops render data/LC08_L1TP_226010_20140820_20200911_02_T1 --out out/
    landsat-ops render s3://bucket/landing/ID/ --out s3://bucket/staging/ID/ --percentiles 1,99
    landsat-ops info data/LC08_L1TP_226010_20140820_20200911_02_T1
    landsat-ops overpasses --path 226 --row 10 --start 2024-01-01 --end 2024-03-01

Every option can also come from a ``LANDSAT_OPS_<OPTION>`` environment variable (for
example ``LANDSAT_OPS_PERCENTILES=1,99``), which is how container tasks are configured.
Errors caused by the input print one line, ``landsat-ops: error: ...``, and exit with code 2.
"""

from __future__ import annotations

import json
import sys
import time

import click

from landsat_ops import __version__
from landsat_ops.errors import LandsatOpsError

EXIT_USAGE = 2


def _float_pair(ctx, param, value):
    if value is None:
        return None
    try:
        parts = [float(v) for v in value.split(",")]
    except ValueError:
        raise click.BadParameter(f"expected two numbers LOW,HIGH, got {value!r}") from None
    from landsat_ops.products import validate_percentiles

    try:
        return validate_percentiles(parts)
    except LandsatOpsError:
        raise click.BadParameter(
            f"expected LOW,HIGH with 0 <= LOW < HIGH <= 100, got {value!r}"
        ) from None


def _ranges(ctx, param, value):
    if value is None:
        return None
    from landsat_ops.render import parse_ranges

    try:
        return parse_ranges(value)
    except LandsatOpsError as exc:
        raise click.BadParameter(str(exc).removeprefix("ranges: ")) from None


def _products(ctx, param, value):
    from landsat_ops.products import parse_products

    try:
        return parse_products(value)
    except LandsatOpsError as exc:
        raise click.BadParameter(str(exc).removeprefix("products: ")) from None


class _Progress:
    """A one-line progress display on a terminal (stderr); silent otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.start = time.monotonic()
        self.last = ""

    def __call__(self, step: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * done / total) if total else width
        line = (
            f"\r{step:<11} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
            f"{time.monotonic() - self.start:6.1f}s"
        )
        if line != self.last:
            click.echo(line, nl=False, err=True)
            self.last = line

    def close(self) -> None:
        if self.enabled and self.last:
            click.echo("", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="landsat-ops")
def cli() -> None:
    """Render Landsat 8 scenes: true colour, false colour, NDVI, histograms, COGs and STAC."""


@cli.command()
@click.argument("scene", envvar="LANDSAT_OPS_SCENE")
@click.option(
    "--out",
    "out",
    required=True,
    envvar="LANDSAT_OPS_OUT",
    help="Destination folder or s3://bucket/prefix/.",
)
@click.option(
    "--products",
    default="truecolor,falsecolor,ndvi,histograms",
    show_default=True,
    envvar="LANDSAT_OPS_PRODUCTS",
    callback=_products,
    help="Comma-separated products to render.",
)
@click.option(
    "--percentiles",
    default="2,98",
    show_default=True,
    envvar="LANDSAT_OPS_PERCENTILES",
    callback=_float_pair,
    help="LOW,HIGH percentiles of each band's valid pixels (whole scene) for the stretch.",
)
@click.option(
    "--ranges",
    default=None,
    envvar="LANDSAT_OPS_RANGES",
    callback=_ranges,
    help="Manual DN ranges R0:R1,G0:G1,B0:B1 instead of percentiles.",
)
@click.option(
    "--preview-size",
    default=2048,
    show_default=True,
    envvar="LANDSAT_OPS_PREVIEW_SIZE",
    type=click.IntRange(min=16),
    help="Longest side of PNG previews (never upsampled).",
)
@click.option(
    "--compression",
    type=click.Choice(["zstd", "deflate"]),
    default="zstd",
    show_default=True,
    envvar="LANDSAT_OPS_COMPRESSION",
    help="COG compression: zstd (fastest) or deflate (most widely readable).",
)
@click.option(
    "--workdir",
    default=None,
    envvar="LANDSAT_OPS_WORKDIR",
    type=click.Path(file_okay=False),
    help="Folder for scratch files (default: the system temp folder).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show progress on stderr (default: when stderr is a terminal).",
)
def render(scene, out, products, percentiles, ranges, preview_size, compression, workdir, progress):
    """Render SCENE (a folder or s3:// prefix with <ID>_B<n>.TIF and the MTL) into --out.

    Writes <ID>_truecolor.tif/.png, <ID>_falsecolor.tif/.png, <ID>_ndvi.tif/.png,
    <ID>_histograms.png and <ID>.json (a STAC item with checksums), then prints a JSON
    summary. Nothing appears in --out until every product is complete.

    \b
    Example:
        landsat-ops render ./LC08_L1TP_226010_20140820_20200911_02_T1 --out ./products
        landsat-ops render scene/ --out out/ --ranges 5900:11000,6200:11000,7600:11000
    """
    import gc

    from landsat_ops.render import render_scene

    # The objects of the imports live as long as the process: keep them out of the
    # garbage collector's scans (several tenths of a second over a render).
    gc.freeze()
    show = progress if progress is not None else sys.stderr.isatty()
    bar = _Progress(show)
    try:
        result = render_scene(
            scene,
            out,
            products=products,
            percentiles=percentiles,
            ranges=ranges,
            preview_size=preview_size,
            compression=compression,
            progress=bar,
            workdir=workdir,
        )
    finally:
        bar.close()
    click.echo(
        json.dumps(
            {
                "scene_id": result.scene_id,
                "item": result.item_uri,
                "outputs": result.outputs,
                "stretch": result.stretch,
            },
            indent=2,
        )
    )


@cli.command()
@click.argument("scene")
def info(scene):
    """Print the parsed metadata of SCENE (folder, s3:// prefix or MTL file) as JSON.

    \b
    Example:
        landsat-ops info ./LC08_L1TP_226010_20140820_20200911_02_T1
    """
    from landsat_ops.metadata import scene_info

    click.echo(json.dumps(scene_info(scene), indent=2, default=str))


@cli.command()
@click.option(
    "--path",
    "wrs_path",
    required=True,
    type=click.IntRange(1, 233),
    envvar="LANDSAT_OPS_PATH",
    help="WRS-2 path (1-233).",
)
@click.option(
    "--row",
    "wrs_row",
    required=True,
    type=click.IntRange(1, 248),
    envvar="LANDSAT_OPS_ROW",
    help="WRS-2 row (1-248).",
)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2013-04-11",
    show_default=True,
    envvar="LANDSAT_OPS_START",
    help="First UTC date (default: Landsat 8 reached its operating orbit).",
)
@click.option(
    "--end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    envvar="LANDSAT_OPS_END",
    help="Last UTC date, inclusive (default: today, UTC).",
)
def overpasses(wrs_path, wrs_row, start, end):
    """Print the UTC dates on which Landsat 8 images WRS-2 path/row, one YYYY-MM-DD a line.

    Dates are predicted from the 16-day repeat cycle (233 paths, 248 rows per orbit), fitted
    to recorded acquisitions to within 2 minutes; the UTC date of a scene near the antimeridian
    or on a night row can differ from its local date.

    \b
    Example:
        landsat-ops overpasses --path 226 --row 10 --start 2014-08-01 --end 2014-09-30
    """
    import datetime

    from landsat_ops.overpass import overpass_dates

    first = start.date()
    last = end.date() if end is not None else datetime.datetime.now(datetime.UTC).date()
    if first > last:
        raise click.BadParameter(f"{first} is after --end {last}", param_hint="'--start'")
    for day in overpass_dates(wrs_path, wrs_row, first, last):
        click.echo(day.isoformat())


def _register_commands() -> None:
    """Commands that live in their own modules (each imports its heavy libraries lazily)."""
    from landsat_ops.analytics_cli import sample, timeseries
    from landsat_ops.syncrun import sync_run_command

    cli.add_command(sample)
    cli.add_command(timeseries)
    cli.add_command(sync_run_command)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; input errors become one line on stderr and exit code 2."""
    try:
        result = cli.main(args=argv, prog_name="landsat-ops", standalone_mode=False)
    except click.UsageError as exc:
        message = exc.format_message()
        if exc.ctx is not None:
            message = f"{exc.ctx.command_path}: {message}"
        click.echo(f"landsat-ops: error: {' '.join(message.split())}", err=True)
        return EXIT_USAGE
    except LandsatOpsError as exc:
        click.echo(f"landsat-ops: error: {' '.join(str(exc).split())}", err=True)
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
