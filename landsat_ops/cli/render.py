"""``landsat-ops render`` and ``landsat-ops info``: render a scene, describe a scene.

Heavy libraries (numpy, rasterio, matplotlib) load when a command runs.
"""

from __future__ import annotations

import json
import sys

import click

from landsat_ops.cli.options import (
    envvar,
    percentiles_option,
    preview_size_option,
    products_option,
    ranges_option,
    stretch_option,
)
from landsat_ops.cli.progress import Progress

__all__ = ["info", "render"]


@click.command()
@click.argument("scene", envvar=envvar("scene"))
@click.option(
    "--out",
    "out",
    required=True,
    envvar=envvar("out"),
    help="Destination folder or s3://bucket/prefix/.",
)
@products_option()
@stretch_option()
@percentiles_option()
@ranges_option()
@preview_size_option()
@click.option(
    "--compression",
    type=click.Choice(["zstd", "deflate"]),
    default="zstd",
    show_default=True,
    envvar=envvar("compression"),
    help="COG compression: zstd (fastest) or deflate (most widely readable).",
)
@click.option(
    "--workdir",
    default=None,
    envvar=envvar("workdir"),
    type=click.Path(file_okay=False),
    help="Folder for scratch files, also for an archive's extracted bands (default: the "
    "system temp folder).",
)
@click.option(
    "--polygons",
    default=None,
    envvar=envvar("polygons"),
    help="Named polygons (GeoJSON FeatureCollection, WGS84: a file, local or s3://, or the "
    "GeoJSON text itself) whose snow/ice and water the extent product also reports.",
)
@click.option(
    "--skip-outside",
    is_flag=True,
    envvar=envvar("skip_outside"),
    help="Leave out a polygon with no pixel on the scene (default: an error).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show progress on stderr (default: when stderr is a terminal).",
)
def render(
    scene,
    out,
    products,
    stretch,
    percentiles,
    ranges,
    preview_size,
    compression,
    workdir,
    polygons,
    skip_outside,
    progress,
):
    """Render SCENE (a folder or s3:// prefix with <ID>_B<n>.TIF and the MTL, or a product
    archive .tar/.tar.gz/.tgz, local or s3://) into --out.

    Writes <ID>_truecolor.tif/.png, <ID>_thumbnail.png, <ID>_falsecolor.tif/.png,
    <ID>_ndvi.tif/.png, <ID>_ndvi_visual.tif (the NDVI as a paletted COG that opens coloured),
    <ID>_extent.tif/.png (snow/ice, water, other clear and not clear: a paletted COG of
    classes; the areas in km2, also over --polygons, go into the item's landsat_ops:extent),
    <ID>_histograms.png and <ID>.json (a STAC item with checksums), then
    prints a JSON summary. Nothing appears in --out until every product is complete. From an
    archive (as EarthExplorer delivers it) only the bands the products need, the QA band and
    the MTL are extracted, into the scratch folder; an s3:// archive is streamed, not copied.

    \b
    Example:
        landsat-ops render ./LC08_L1TP_226010_20140820_20200911_02_T1 --out ./products
        landsat-ops render scene/ --out out/ --stretch linear
        landsat-ops render scene/ --out out/ --polygons scoresby_sund.geojson
        landsat-ops render scene/ --out out/ --ranges 5900:11000,6200:11000,7600:11000
        landsat-ops render ~/Downloads/LC08_L2SP_008059_20191201_20200825_02_T1.tar --out out/
        landsat-ops render s3://bucket/downloads/LC08_..._02_T1.tar --out s3://bucket/products/
    """
    import gc

    from landsat_ops.extent.polygons import read_polygons
    from landsat_ops.products import RenderOptions
    from landsat_ops.render import render_scene

    named = ()
    if polygons is not None:  # a file, or the GeoJSON itself (the remote render's form)
        text = polygons.lstrip()
        named = polygons if text.startswith("{") else tuple(read_polygons(polygons))
    options = RenderOptions(
        polygons=named,
        skip_outside=skip_outside,
        products=products,
        stretch=stretch,
        percentiles=percentiles,
        ranges=ranges,
        preview_size=preview_size,
        compression=compression,
    )

    # The objects of the imports live as long as the process: keep them out of the
    # garbage collector's scans (several tenths of a second over a render).
    gc.freeze()
    show = progress if progress is not None else sys.stderr.isatty()
    bar = Progress(show)
    try:
        result = render_scene(scene, out, options, progress=bar, workdir=workdir)
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


@click.command()
@click.argument("scene")
def info(scene):
    """Print the parsed metadata of SCENE (folder, s3:// prefix, .tar/.tar.gz product archive
    or MTL file) as JSON. An archive's files are given as /vsitar/ paths (GDAL, rasterio).

    \b
    Example:
        landsat-ops info ./LC08_L1TP_226010_20140820_20200911_02_T1
        landsat-ops info ./LC08_L2SP_008059_20191201_20200825_02_T1.tar
    """
    from landsat_ops.scene.locate import scene_info

    click.echo(json.dumps(scene_info(scene), indent=2, default=str))
