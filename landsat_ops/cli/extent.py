"""``landsat-ops extent``: snow/ice and water extent of scenes, as a table, STAC fields, a plot.

Only click is imported at module level; numpy, rasterio, numba, pyarrow and matplotlib load
when the command runs. Input errors raise :class:`~landsat_ops.errors.LandsatOpsError`, which
``landsat_ops.cli.main`` prints as one line with exit code 2.
"""

from __future__ import annotations

import json

import click

from landsat_ops.cli.options import envvar

__all__ = ["extent"]


@click.command()
@click.argument("scenes", nargs=-1, required=True)
@click.option(
    "--polygons",
    default=None,
    envvar=envvar("polygons"),
    help="GeoJSON FeatureCollection (WGS84, local or s3://) of named polygons (property name).",
)
@click.option(
    "--out",
    default=None,
    envvar=envvar("out"),
    help="Write the table to this .csv or .parquet file (local or s3://); default: CSV on stdout.",
)
@click.option(
    "--merge",
    is_flag=True,
    help="Merge into the --out table if it exists (a scene measured again replaces its rows).",
)
@click.option("--plot", default=None, help="Also draw the table's series into this PNG.")
@click.option(
    "--stac",
    "stac",
    is_flag=True,
    help="Print each scene's landsat_ops:extent STAC fields (one JSON line per scene) instead "
    "of the CSV.",
)
@click.option(
    "--clear-threshold",
    default=0.8,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Clear fraction below which the plot draws a point hollow and leaves it out of the trend.",
)
@click.option(
    "--skip-outside",
    is_flag=True,
    help="Leave out a polygon that has no pixel on a scene (an area of several path/rows) "
    "instead of failing.",
)
def extent(scenes, polygons, out, merge, plot, stac, clear_threshold, skip_outside):
    """Measure clear-sky snow/ice and water areas (km2) of SCENES (folders or s3:// prefixes
    holding B3, B5, B6, the QA band and the MTL), over each path/row and each polygon.

    Snow/ice: NDSI > 0.4 with NIR > 0.11 and green > 0.10; water: MNDWI > 0 with NIR <= 0.11;
    on the pixels the QA band calls clear, from TOA (Level-1, sun-elevation corrected) or
    surface reflectance (Level-2). Each region's clear fraction tells how much of it was seen
    (docs/extent.md).

    \b
    Columns: scene_id, acquired, path, row, region, region_km2, observed_km2, clear_km2,
             clear_fraction, snow_ice_km2, water_km2, scene_cloud_cover
    \b
    Examples:
        landsat-ops extent landing/LC08_L1TP_226010_20240715_* --polygons polygons.geojson
        landsat-ops extent s3://bucket/landing/LC08_.../ --stac
        landsat-ops extent scenes/* --polygons p.geojson --out extent.parquet --plot extent.png
    """
    from landsat_ops.errors import OptionError
    from landsat_ops.extent import measure_scene, read_polygons
    from landsat_ops.extent.plots import plot_extent
    from landsat_ops.extent.table import (
        extent_to_csv,
        merge_extent_rows,
        read_extent_table,
        write_extent_table,
    )

    if merge and out is None:
        raise OptionError("--merge needs --out (the table to merge into)")
    if stac and (out or plot):
        raise OptionError("--stac prints the STAC fields; it does not go with --out or --plot")
    named = read_polygons(polygons) if polygons else []  # a bad file fails before any read
    outside = "skip" if skip_outside else "error"
    rows = []
    for scene in scenes:
        result = measure_scene(scene, named, outside=outside)
        if stac:
            click.echo(json.dumps({"id": result.scene_id, **result.stac_properties()}))
        rows += result.rows()
    if stac:
        return
    table = merge_extent_rows(read_extent_table(out, missing_ok=True) if merge else [], rows)
    if out is None:
        click.echo(extent_to_csv(table), nl=False)
    else:
        uri = write_extent_table(table, out)
        click.echo(
            f"wrote {len(table)} rows of {len({r['scene_id'] for r in table})} scenes to {uri}",
            err=True,
        )
    if plot:
        uri = plot_extent(table, plot, clear_threshold=clear_threshold)
        click.echo(f"drew {uri}", err=True)
