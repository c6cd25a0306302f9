"""``landsat-ops composite``: a clear-sky composite of several scenes (docs/composites.md).

Heavy libraries (numpy, rasterio, numba) load when the command runs.
"""

from __future__ import annotations

import json

import click

from landsat_ops.cli.options import envvar

__all__ = ["composite"]


@click.command()
@click.argument("scenes", nargs=-1, required=True)
@click.option(
    "--out", "out", required=True, envvar=envvar("out"), help="Destination folder or s3://."
)
@click.option(
    "--stat",
    default="median",
    show_default=True,
    envvar=envvar("stat"),
    help="median (per band, of the clear observations) or medoid (one observation's bands).",
)
@click.option(
    "--products",
    default="truecolor,falsecolor,ndvi",
    show_default=True,
    envvar=envvar("products"),
    help="Comma-separated subset of truecolor,falsecolor,ndvi (reflectance and count always).",
)
@click.option(
    "--crs",
    default=None,
    envvar=envvar("crs"),
    help="Target CRS (EPSG:n): warp scenes of several path/rows or zones onto one grid.",
)
@click.option(
    "--resolution",
    type=float,
    default=None,
    envvar=envvar("resolution"),
    help="Pixel size of the --crs grid in its units (default: the scenes' 30 m).",
)
@click.option(
    "--tile-size",
    type=int,
    default=1024,
    show_default=True,
    envvar=envvar("tile_size"),
    help="Side of the tiles computed independently, in pixels.",
)
@click.option(
    "--id",
    "composite_id",
    default=None,
    help="Name of the item and files (default p<PPP>r<RRR>_<first date>_<last date>).",
)
@click.option("--period", default=None, help="A period label recorded in the item.")
@click.option(
    "--workdir",
    default=None,
    envvar=envvar("workdir"),
    type=click.Path(file_okay=False),
    help="Folder for scratch files (default: the system temp folder).",
)
def composite(
    scenes, out, stat, products, crs, resolution, tile_size, composite_id, period, workdir
):
    """Composite SCENES (folders, s3:// prefixes or product archives, as for render) into
    --out: per pixel the median reflectance of the clear observations (QA: no fill, cloud,
    dilated cloud, cirrus or shadow), a count of them, and the products of a scene.

    Writes <id>_reflectance.tif, <id>_count.tif, <id>_truecolor.tif/.png,
    <id>_thumbnail.png, <id>_falsecolor.tif/.png, <id>_ndvi.tif/.png and the STAC item
    <id>.json (derived_from links to every scene used), as an immutable version behind one
    switched item; prints a JSON summary. The same inputs twice write nothing new.

    \b
    Example:
        landsat-ops composite s1/ s2/ s3/ --out composites/
        landsat-ops composite a.tar b.tar --out out/ --stat medoid --products truecolor
        landsat-ops composite p226r010/ p227r010/ --out out/ --crs EPSG:3413 --resolution 30
    """
    import gc

    from landsat_ops.composite import compose

    gc.freeze()
    uri = compose(
        scenes,
        out,
        stat=stat,
        products=products,
        crs=crs,
        resolution=resolution,
        tile_size=tile_size,
        workdir=workdir,
        composite_id=composite_id,
        period=period,
    )
    click.echo(json.dumps({"item": uri}, indent=2))
