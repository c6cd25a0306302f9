"""``landsat-ops overpasses``: the UTC dates Landsat 8 images a WRS-2 path/row."""

from __future__ import annotations

import click

from landsat_ops.cli.options import envvar

__all__ = ["overpasses"]


@click.command()
@click.option(
    "--path",
    "wrs_path",
    required=True,
    type=click.IntRange(1, 233),
    envvar=envvar("path"),
    help="WRS-2 path (1-233).",
)
@click.option(
    "--row",
    "wrs_row",
    required=True,
    type=click.IntRange(1, 248),
    envvar=envvar("row"),
    help="WRS-2 row (1-248).",
)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2013-04-11",
    show_default=True,
    envvar=envvar("start"),
    help="First UTC date (default: Landsat 8 reached its operating orbit).",
)
@click.option(
    "--end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    envvar=envvar("end"),
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
