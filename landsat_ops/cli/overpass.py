"""``landsat-ops overpasses``: the UTC dates Landsat 8 and 9 image a WRS-2 path/row."""

from __future__ import annotations

import click

from landsat_ops.cli.options import envvar

__all__ = ["overpasses"]


def _satellites(ctx, param, value):
    """``8,9`` -> (8, 9): each 8 or 9, at least one."""
    from landsat_ops.overpass import SATELLITE_START

    parts = [part.strip() for part in str(value).split(",") if part.strip()]
    try:
        chosen = tuple(sorted({int(part) for part in parts}))
    except ValueError:
        chosen = ()
    if not chosen or any(s not in SATELLITE_START for s in chosen):
        raise click.BadParameter(
            f"expected a comma-separated list of {', '.join(map(str, SATELLITE_START))}, "
            f"got {value!r}"
        )
    return chosen


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
@click.option(
    "--satellites",
    default="8,9",
    show_default=True,
    callback=_satellites,
    envvar=envvar("satellites"),
    help="Landsat satellites, comma-separated: 8, 9 or 8,9 (what the DAGs' `satellites` lists).",
)
def overpasses(wrs_path, wrs_row, start, end, satellites):
    """Print the UTC dates on which Landsat 8 and 9 image WRS-2 path/row: YYYY-MM-DD landsat-N.

    One acquisition a line, oldest first, naming its satellite (the STAC platform). Each
    satellite images a path/row every 16 days, Landsat 9 eight days apart from Landsat 8 and
    from its first archived acquisition (2021-10-31) on: the schedule the Airflow DAGs run on.
    Dates are predicted from the 16-day repeat cycle (233 paths, 248 rows per orbit), fitted
    to recorded acquisitions to within 2 minutes; the UTC date of a scene near the antimeridian
    or on a night row can differ from its local date.

    \b
    Example:
        landsat-ops overpasses --path 226 --row 10 --start 2024-08-01 --end 2024-09-30
        landsat-ops overpasses --path 226 --row 10 --satellites 8 | cut -d' ' -f1
    """
    import datetime

    from landsat_ops.overpass import acquisitions

    first = start.date()
    last = end.date() if end is not None else datetime.datetime.now(datetime.UTC).date()
    if first > last:
        raise click.BadParameter(f"{first} is after --end {last}", param_hint="'--start'")
    for acquisition in acquisitions(wrs_path, wrs_row, first, last, satellites=satellites):
        click.echo(f"{acquisition.date.isoformat()} {acquisition.platform}")
