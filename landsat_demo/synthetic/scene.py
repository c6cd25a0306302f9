"""Writing one synthetic scene folder: bands, QA_PIXEL and MTL, replaced in place at the end."""

from __future__ import annotations

import contextlib
import datetime
import math
import shutil
import uuid
from pathlib import Path

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.transform import Affine
from rasterio.windows import Window

from landsat_demo.synthetic.geometry import (
    FULL_HEIGHT,
    FULL_WIDTH,
    MIN_SUN_ELEVATION,
    check_path_row,
    scene_grid,
    sun_position,
)
from landsat_demo.synthetic.landscape import SceneModel
from landsat_demo.synthetic.mtl import BANDS, mtl_text, product_id_for
from landsat_ops.errors import OptionError, StorageError

__all__ = ["STRIP_ROWS", "make_scene"]

STRIP_ROWS = 512
"""Rows generated and written at once: one row of 512 x 512 tiles."""


def _as_utc(acquired: datetime.datetime | datetime.date, path: int, row: int) -> datetime.datetime:
    if isinstance(acquired, datetime.datetime):
        if acquired.tzinfo is None or acquired.utcoffset() is None:
            return acquired.replace(tzinfo=datetime.UTC)
        return acquired.astimezone(datetime.UTC)
    if isinstance(acquired, datetime.date):
        from landsat_ops.overpass import overpass_datetime

        midnight = datetime.datetime.combine(acquired, datetime.time(), datetime.UTC)
        at = overpass_datetime(path, row, midnight)
        if at.date() == acquired:
            return at
        return midnight + datetime.timedelta(hours=12)  # not an overpass day: noon UTC
    raise OptionError(f"acquired must be a datetime, got {acquired!r}")


def _climate(lat: float, day: datetime.date) -> tuple[float, float]:
    """How polar the latitude is (0 below 35 degrees, 1 above 60) and how wintry the day.

    Winter is 0 in high summer and up to 1 in midwinter, weighted by the latitude.
    """
    polar = min(1.0, max(0.0, (abs(lat) - 35.0) / 25.0))
    doy = day.timetuple().tm_yday
    if lat < 0:
        doy += 182
    season = 0.5 * (1 + math.cos(2 * math.pi * (doy - 15) / 365.25))
    return polar, season * min(1.0, max(0.0, (abs(lat) - 35.0) / 30.0))


def _default_cloud_cover(seed: int) -> float:
    return float(np.random.default_rng([seed, 12345]).uniform(5.0, 30.0))


def make_scene(
    out_dir: str | Path,
    *,
    path: int = 226,
    row: int = 10,
    acquired: datetime.datetime,
    width: int = FULL_WIDTH,
    height: int = FULL_HEIGHT,
    seed: int = 0,
    cloud_cover: float | None = None,
    terrain_seed: int | None = None,
) -> Path:
    """Write a synthetic Landsat 8 Collection 2 Level-1 scene folder and return its path.

    Parameters
    ----------
    out_dir : str or Path
        Parent folder (created if missing). The scene goes to ``out_dir/<product ID>/``
        (see :func:`product_id_for`); an existing scene folder of that ID is replaced.
    path, row : int
        WRS-2 path and row (default 226/010, Scoresby Sund, East Greenland). They set the
        UTM zone, the sun position and the season.
    acquired : datetime.datetime
        Scene centre time (naive means UTC). A ``datetime.date`` gets the predicted
        overpass time of that day (:mod:`landsat_ops.overpass`).
    width, height : int
        Grid size in 30 m pixels, at least 64 each (default: full size, 7791 x 7921).
        Smaller scenes are miniatures of the same landscape.
    seed : int
        Random seed: the same arguments give the same files, pixel for pixel.
    cloud_cover : float, optional
        Target cloud cover, percent of the valid pixels (0-100). Default: 5-30 %, from the
        seed. The MTL ``CLOUD_COVER`` is the share actually written, within a few percent.
    terrain_seed : int, optional
        Seed of the land (elevation, moisture, shading, texture); default ``seed``. Scenes of
        one place on several dates share it, so that they show the same land under other
        clouds, sea ice and snow (what composites and time-lapses need); ``seed`` then sets
        only the weather and the sensor noise.

    Returns
    -------
    Path
        The scene folder.

    Raises
    ------
    OptionError
        If an argument is out of range.
    StorageError
        If the folder cannot be written; nothing is left behind.

    Examples
    --------
    >>> make_scene("/tmp/scenes", acquired=datetime.datetime(2014, 8, 20, 13, 22),
    ...            width=600, height=600)  # doctest: +SKIP
    PosixPath('/tmp/scenes/LC08_L1TP_226010_20140820_20140830_02_T1')
    """
    check_path_row(path, row)
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, int) or value < 64:
            raise OptionError(f"{name} must be an integer of at least 64 pixels, got {value!r}")
    if cloud_cover is None:
        cloud_cover = _default_cloud_cover(seed)
    if not 0.0 <= float(cloud_cover) <= 100.0:
        raise OptionError(f"cloud_cover must be a percentage 0-100, got {cloud_cover!r}")
    at = _as_utc(acquired, path, row)
    product_id = product_id_for(path, row, at)
    crs, transform, lat, lon = scene_grid(path, row, width, height)
    sun_azimuth, sun_elevation = sun_position(lat, lon, at)
    sun_elevation = max(sun_elevation, MIN_SUN_ELEVATION)

    out_dir = Path(out_dir)
    final = out_dir / product_id
    partial = out_dir / f".{product_id}.partial-{uuid.uuid4().hex[:8]}"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        partial.mkdir()
    except OSError as exc:
        raise StorageError(
            f"cannot create scene folder in {out_dir}: {exc.strerror or exc} "
            "(expected a writable folder)"
        ) from None
    try:
        model = SceneModel(
            width,
            height,
            seed,
            float(cloud_cover) / 100.0,
            *_climate(lat, at.date()),
            sun_azimuth,
            sun_elevation,
            terrain_seed=terrain_seed,
        )
        counts = _write_rasters(partial, product_id, model, crs, transform)
        cover = 100.0 * counts["cloud"] / max(counts["valid"], 1)
        cover_land = 100.0 * counts["cloud_land"] / max(counts["land"], 1)
        mtl = mtl_text(
            product_id=product_id,
            path=path,
            row=row,
            acquired=at,
            crs=crs,
            transform=transform,
            width=width,
            height=height,
            cloud_cover=cover,
            cloud_cover_land=cover_land,
            sun_azimuth=sun_azimuth,
            sun_elevation=sun_elevation,
        )
        (partial / f"{product_id}_MTL.txt").write_text(mtl, encoding="ascii")
        _replace_folder(partial, final)
    except BaseException as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, OSError | RasterioError):
            raise StorageError(
                f"cannot write scene {final}: {exc} (expected a writable folder with free space)"
            ) from exc
        raise
    return final


def _write_rasters(
    folder: Path, product_id: str, model: SceneModel, crs: CRS, transform: Affine
) -> dict[str, int]:
    """Write the 7 bands and QA_PIXEL strip by strip; return the summed pixel counts."""
    profile = {
        "driver": "GTiff",
        "dtype": "uint16",
        "count": 1,
        "width": model.width,
        "height": model.height,
        "crs": crs,
        "transform": transform,
        "nodata": None,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "predictor": 2,
        "zlevel": 1,
        "num_threads": "all_cpus",
    }
    names = [f"{product_id}_B{b}.TIF" for b in BANDS] + [f"{product_id}_QA_PIXEL.TIF"]
    totals = {"valid": 0, "cloud": 0, "land": 0, "cloud_land": 0}
    with rasterio.Env(GDAL_CACHEMAX=64 * 1024 * 1024), contextlib.ExitStack() as stack:
        outputs = [stack.enter_context(rasterio.open(folder / n, "w", **profile)) for n in names]
        for row0 in range(0, model.height, STRIP_ROWS):
            nrows = min(STRIP_ROWS, model.height - row0)
            data, counts = model.strip(row0, nrows)
            window = Window(0, row0, model.width, nrows)
            for index, dst in enumerate(outputs):
                dst.write(data[index], 1, window=window)
            for key, value in counts.items():
                totals[key] += value
    return totals


def _replace_folder(partial: Path, final: Path) -> None:
    """Move the finished scene into place, replacing an older copy."""
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        final.rename(old)
        partial.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        partial.rename(final)
