"""The archive-analytics commands of ``landsat-ops``: ``sample`` and ``timeseries``.

Only click and light modules are imported here; numpy, rasterio, pyarrow and matplotlib load
when a command runs. Input errors raise :class:`~landsat_ops.errors.LandsatOpsError`, which
``landsat_ops.cli.main`` prints as one line with exit code 2.
"""

from __future__ import annotations

import click

from landsat_ops.cli.options import envvar
from landsat_ops.sampling import MAX_RADIUS
from landsat_ops.timeseries import DEFAULT_CLOUD_THRESHOLD

__all__ = ["sample", "timeseries"]


@click.command()
@click.argument("scene", envvar=envvar("scene"))
@click.option(
    "--points",
    "points",
    required=True,
    envvar=envvar("points"),
    help="CSV file (local or s3://) with a header id,lon,lat (WGS84 degrees).",
)
@click.option(
    "--out",
    "out",
    default=None,
    envvar=envvar("out"),
    help="Write the table to this CSV file or s3:// URI (atomically); default: stdout.",
)
@click.option(
    "--radius",
    default=1,
    show_default=True,
    envvar=envvar("radius"),
    type=click.IntRange(0, MAX_RADIUS),
    help="Half-width of the window in pixels: 1 is 3x3, 0 the point's pixel alone.",
)
def sample(scene, points, out, radius):
    """Sample NDVI and QA cloud counts at the points of POINTS in SCENE (folder, s3:// prefix
    or .tar/.tar.gz product archive, local or s3://).

    For each point: the mean NDVI (same reflectance rules as the ndvi product) of the valid
    pixels in a window around it, the number of valid and of cloudy pixels (QA band; cloudy
    pixels are counted, not excluded) and the scene's cloud cover. Only those windows of B4,
    B5 and the QA band are read, also on S3. Points outside the scene or on fill get an empty
    NDVI and a reason. From an archive, B4, B5, the QA band and the MTL are extracted into a
    scratch folder first (removed afterwards).

    \b
    Columns: scene_id, acquired, path, row, point_id, lon, lat, ndvi, valid_px, cloudy_px,
             scene_cloud_cover, reason
    \b
    Example:
        landsat-ops sample ./LC08_L1TP_016037_20170813_20170814_01_RT --points poi.csv
        landsat-ops sample s3://bucket/landing/LC08_.../ --points poi.csv --out samples.csv
        landsat-ops sample LC08_L2SP_008059_20191201_20200825_02_T1.tar --points poi.csv
    """
    from landsat_ops.sampling import read_points, sample_scene, samples_csv, write_samples
    from landsat_ops.scene.archive import is_archive

    parsed = read_points(points)  # a bad POINTS file fails before anything is read or written
    if is_archive(scene):
        rows = _sample_archive(scene, parsed, radius)
    else:
        rows = sample_scene(scene, parsed, radius=radius)
    if out is None:
        click.echo(samples_csv(rows), nl=False)
        return
    uri = write_samples(rows, out)
    skipped = sum(1 for r in rows if r.reason)
    click.echo(f"wrote {len(rows)} samples ({skipped} without NDVI) to {uri}", err=True)


def _sample_archive(archive: str, points, radius: int):
    """Sample a product archive: its NDVI bands, QA band and MTL, extracted to scratch."""
    from landsat_ops.render.scratch import scratch_folder, scratch_root
    from landsat_ops.sampling import sample_scene
    from landsat_ops.scene.archive import extract_scene
    from landsat_ops.scene.rescaling import NDVI_BANDS

    with scratch_folder(scratch_root(None)) as work:
        folder = work / "input"
        extract_scene(archive, folder, NDVI_BANDS, qa=True)
        return sample_scene(folder, points, radius=radius)


def _number(value, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


@click.command()
@click.argument("table", envvar=envvar("table"))
@click.option(
    "--point",
    "point_id",
    required=True,
    envvar=envvar("point"),
    help="The point ID whose series to print.",
)
@click.option(
    "--plot",
    "plot",
    default=None,
    envvar=envvar("plot"),
    help="Also draw the series into this PNG (local or s3://).",
)
@click.option(
    "--cloud-threshold",
    default=DEFAULT_CLOUD_THRESHOLD,
    show_default=True,
    type=click.FloatRange(0, 100),
    help="Scene cloud cover (%) above which the plot shows a sample as cloudy.",
)
def timeseries(table, point_id, plot, cloud_threshold):
    """Print the NDVI series of one point from TABLE (.csv or .parquet, local or s3://).

    One line per scene: date, NDVI, valid and cloudy pixels, scene cloud cover (%) and the
    scene ID; "-" marks an empty value. --plot draws the series, cloudy samples hollow.

    \b
    Example:
        landsat-ops timeseries ndvi_timeseries.parquet --point glacier-front
        landsat-ops timeseries s3://bucket/products/area/ndvi.csv --point p1 --plot p1.png
    """
    from landsat_ops.errors import OptionError
    from landsat_ops.timeseries import plot_timeseries, point_series, read_table

    rows = read_table(table)
    series = point_series(rows, point_id)
    if not series:
        points = sorted({r["point_id"] for r in rows})
        raise OptionError(
            f"{table}: no samples of point {point_id!r} "
            f"(points in the table: {', '.join(points) or 'none'})"
        )
    click.echo(f"{'date':<10}  {'ndvi':>7}  {'valid':>5}  {'cloudy':>6}  {'cloud%':>6}  scene_id")
    for row in series:
        click.echo(
            f"{row['acquired'][:10]:<10}  {_number(row['ndvi'], 4):>7}  {row['valid_px']:>5}  "
            f"{'-' if row['cloudy_px'] is None else row['cloudy_px']:>6}  "
            f"{_number(row['scene_cloud_cover'], 2):>6}  {row['scene_id']}"
        )
    if plot is not None:
        uri = plot_timeseries(
            series, plot, [point_id], cloud_threshold=cloud_threshold, title=f"NDVI at {point_id}"
        )
        click.echo(f"plot written to {uri}", err=True)
