"""``landsat-ops timelapse``: a path/row or an area through the years, as MP4 and WebP.

Only click is imported here; numpy, rasterio, Pillow and imageio-ffmpeg load when the command
runs. Input errors raise :class:`~landsat_ops.timelapse.TimelapseError`, which
``landsat_ops.cli.main`` prints as one line with exit code 2.
"""

from __future__ import annotations

import re

import click

from landsat_ops.cli.options import envvar

__all__ = ["timelapse"]

_YEARS = re.compile(r"^(?P<first>\d{4})(?:-(?P<last>\d{4}))?$")


def _years(ctx, param, value):
    if value is None:
        return None
    match = _YEARS.match(value.strip())
    if not match:
        raise click.BadParameter(f"expected YEAR or FIRST-LAST (e.g. 2014-2024), got {value!r}")
    first = int(match["first"])
    last = int(match["last"] or first)
    if not 1972 <= first <= last <= 2200:
        raise click.BadParameter(f"expected FIRST <= LAST, both from 1972, got {value!r}")
    return first, last


def _period(ctx, param, value):
    from landsat_ops.timelapse.errors import TimelapseError
    from landsat_ops.timelapse.periods import parse_period_spec

    try:
        return parse_period_spec(value)
    except TimelapseError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.argument("root", envvar=envvar("root"))
@click.option(
    "--scenes",
    "scenes",
    multiple=True,
    envvar=envvar("scenes"),
    help="Folder of scene items under ROOT, e.g. published/226/010 (repeat for each path/row).",
)
@click.option(
    "--composites",
    "composites",
    multiple=True,
    envvar=envvar("composites"),
    help="Folder of composite items under ROOT, e.g. published/composites/226/010 (repeatable).",
)
@click.option(
    "--period",
    "spec",
    default="summer=06-01..09-30",
    show_default=True,
    callback=_period,
    envvar=envvar("period"),
    help="One frame per NAME=MM-DD..MM-DD season a year, or NAME=months (every month).",
)
@click.option(
    "--out",
    "out",
    required=True,
    envvar=envvar("out"),
    help="The time-lapse folder under ROOT, e.g. published/timelapse/226/010.",
)
@click.option(
    "--name",
    "name",
    required=True,
    envvar=envvar("name"),
    help="The time-lapse's name: files <NAME>_truecolor.mp4 ..., item <NAME>.json.",
)
@click.option(
    "--years",
    default=None,
    callback=_years,
    envvar=envvar("years"),
    help="FIRST-LAST year of the periods (default: those of the items found).",
)
@click.option(
    "--crs",
    default=None,
    envvar=envvar("crs"),
    help="The frames' CRS, e.g. EPSG:3413 (default: the first source's).",
)
@click.option(
    "--size",
    default=1024,
    show_default=True,
    type=click.IntRange(16, 8192),
    envvar=envvar("size"),
    help="Pixels on the frames' longer side.",
)
@click.option(
    "--seconds",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.1, 60),
    envvar=envvar("seconds"),
    help="How long each frame is shown.",
)
@click.option(
    "--min-clear",
    default=20.0,
    show_default=True,
    type=click.FloatRange(0, 100),
    envvar=envvar("min_clear"),
    help="Percent clear a scene needs to be a frame; else the period is a gap.",
)
@click.option("--title", default=None, envvar=envvar("title"), help="The page's heading.")
@click.option(
    "--workdir",
    default=None,
    type=click.Path(file_okay=False),
    help="Scratch folder (default: the system temp folder).",
)
def timelapse(
    root, scenes, composites, spec, out, name, years, crs, size, seconds, min_clear, title, workdir
):
    """Make a time-lapse of the published items under ROOT (a folder or s3://bucket).

    One frame per period: its composite where one is published, else its clearest scene (one
    per path/row, mosaicked), else a labelled gap frame; every frame on one grid, with its
    label, a scale bar and a north arrow. Publishes NAME_truecolor.mp4|.webp,
    NAME_falsecolor.mp4|.webp and a thumbnail as one version behind OUT/NAME.json, and
    OUT/index.html, the page that plays them. Prints the item's URI.

    \b
    Example:
        landsat-ops timelapse s3://bucket --scenes published/226/010 \\
            --composites published/composites/226/010 --period summer=06-01..09-30 \\
            --years 2014-2024 --out published/timelapse/226/010 --name p226r010_summer
    """
    from landsat_ops.storage import open_store
    from landsat_ops.timelapse import make_timelapse

    result = make_timelapse(
        open_store(root),
        name=name,
        spec=spec,
        out_prefix=out,
        scene_prefixes=scenes,
        composite_prefixes=composites,
        years=years,
        title=title,
        crs=crs,
        size=size,
        seconds=seconds,
        min_clear=min_clear / 100,
        workdir=workdir,
    )
    click.echo(
        f"{result.frames} frames ({result.gaps} gaps), {result.grid.width}x{result.grid.height} "
        f"px, in {result.seconds:.1f} s; page {result.page_uri}",
        err=True,
    )
    click.echo(result.item_uri)
