"""Published scene and composite items with small synthetic COGs, for the time-lapse tests.

Every source depicts the same synthetic world, computed from coordinates in EPSG:32627 (the
demo path/row's UTM zone) whatever the source's own grid: sea in the south, land in the north,
an ice field in the west whose edge moves east by :data:`ICE_STEP` metres a year, and a magenta
marker square centred on :data:`MARK` (x, y in EPSG:32627). A source may have its own origin,
pixel size or CRS: on a common frame grid the marker must land on the same pixel in every frame.

True colour: sea dark blue, land brown, ice white; false colour (SWIR2/NIR/coastal): sea dark,
land red-brown, ice cyan. 0 is no data (outside the source's own extent there is none).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

ORIGIN = (422115.0, 7868235.0)
"""Upper-left corner (EPSG:32627) of the reference 512 x 512 px, 30 m source."""
MARK = (ORIGIN[0] + 300 * 30.0, ORIGIN[1] - 200 * 30.0)
MARK_HALF = 300.0  # metres: a 600 m square, 20 px at 30 m
ICE_STEP = 600.0
PATH, ROW = 226, 10
VERSION = "0123456789abcdef"

_COLOURS = {
    "truecolor": {"sea": (20, 40, 90), "land": (120, 90, 60), "ice": (235, 240, 245)},
    "falsecolor": {"sea": (10, 12, 30), "land": (170, 80, 40), "ice": (40, 220, 235)},
}
_MARK_RGB = (230, 20, 230)


def world(xs: np.ndarray, ys: np.ndarray, year: int, variant: str) -> np.ndarray:
    """RGB (3, ...) of the synthetic world at EPSG:32627 coordinates ``xs``, ``ys``."""
    colours = _COLOURS[variant]
    out = np.empty((3, *xs.shape), np.uint8)
    sea = ys < ORIGIN[1] - 380 * 30.0
    ice = ~sea & (xs < ORIGIN[0] + 120 * 30.0 + (year - 2014) * ICE_STEP)
    for band in range(3):
        layer = np.full(xs.shape, colours["land"][band], np.uint8)
        layer[sea] = colours["sea"][band]
        layer[ice] = colours["ice"][band]
        out[band] = layer
    mark = (np.abs(xs - MARK[0]) <= MARK_HALF) & (np.abs(ys - MARK[1]) <= MARK_HALF)
    for band in range(3):
        out[band][mark] = _MARK_RGB[band]
    return out


def write_source_cog(
    path: Path,
    year: int,
    variant: str,
    *,
    crs: str = "EPSG:32627",
    origin: tuple[float, float] = ORIGIN,
    resolution: float = 30.0,
    size: int = 512,
    colour: tuple[int, int, int] | None = None,
) -> Path:
    """A tiled 8-bit RGB GeoTIFF with overviews (2, 4, 8), nodata 0, of the world in ``year``
    (or all ``colour``) on its own grid."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.transform import from_origin
    from rasterio.warp import transform as warp

    transform = from_origin(origin[0], origin[1], resolution, resolution)
    cols, rows = np.meshgrid(np.arange(size) + 0.5, np.arange(size) + 0.5)
    xs, ys = transform @ (cols, rows)
    if crs != "EPSG:32627":
        flat_x, flat_y = warp(crs, "EPSG:32627", xs.ravel().tolist(), ys.ravel().tolist())
        xs, ys = np.reshape(flat_x, xs.shape), np.reshape(flat_y, ys.shape)
    if colour is None:
        rgb = world(np.asarray(xs), np.asarray(ys), year, variant)
    else:
        rgb = np.empty((3, size, size), np.uint8)
        rgb[:] = np.asarray(colour, np.uint8)[:, None, None]
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 3,
        "dtype": "uint8",
        "crs": crs,
        "transform": transform,
        "nodata": 0,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(rgb)
        ds.build_overviews([2, 4, 8], Resampling.average)
    return path


def _write_assets(folder: Path, item_id: str, year: int, variants, **grid) -> dict:
    """Each variant's COG in ``<item_id>/<VERSION>/`` under ``folder``; the item's assets."""
    assets = {}
    for variant in variants:
        name = f"{item_id}/{VERSION}/{item_id}_{variant}.tif"
        write_source_cog(folder / name, year, variant, **grid)
        assets[f"{variant}_tif"] = {
            "href": f"./{name}",
            "type": "image/tiff; application=geotiff; profile=cloud-optimized",
        }
    return assets


def publish_scene(
    root: Path,
    day: str,
    *,
    clear_fraction: float | None = 0.8,
    cloud_cover: float = 10.0,
    path: int = PATH,
    row: int = ROW,
    variants: tuple[str, ...] = ("truecolor", "falsecolor"),
    **grid,
) -> str:
    """A scene item ``published/<PPP>/<RRR>/<day>/<ID>.json`` with its COGs; its key."""
    date = dt.date.fromisoformat(day)
    scene_id = f"LC08_L1TP_{path:03d}{row:03d}_{date:%Y%m%d}_{date:%Y%m%d}_02_T1"
    folder = f"published/{path:03d}/{row:03d}/{day}"
    stretch = {} if clear_fraction is None else {"truecolor": {"clear_fraction": clear_fraction}}
    assets = _write_assets(root / folder, scene_id, date.year, variants, **grid)
    item = {
        "type": "Feature",
        "stac_version": "1.1.0",
        "id": scene_id,
        "properties": {
            "datetime": f"{day}T13:21:19Z",
            "eo:cloud_cover": cloud_cover,
            "landsat:wrs_path": f"{path:03d}",
            "landsat:wrs_row": f"{row:03d}",
            "landsat_ops:stretch": stretch,
        },
        "links": [],
        "assets": assets,
    }
    key = f"{folder}/{scene_id}.json"
    (root / key).write_text(json.dumps(item))
    return key


def publish_composite(
    root: Path,
    label: str,
    start: str,
    end: str,
    *,
    median: int = 5,
    scenes: int = 7,
    colour: tuple[int, int, int] | None = None,
    path: int = PATH,
    row: int = ROW,
) -> str:
    """A composite item like the engine's (``landsat_ops:period``, ``landsat_ops:clear_count``,
    ``landsat_ops:composite.scenes``, ``derived_from`` links) under
    ``published/composites/<PPP>/<RRR>/<label>/``; its key."""
    composite_id = f"p{path:03d}r{row:03d}_{label}"
    folder = f"published/composites/{path:03d}/{row:03d}/{label}"
    year = int(label[:4])
    assets = _write_assets(
        root / folder, composite_id, year, ("truecolor", "falsecolor"), colour=colour
    )
    item = {
        "type": "Feature",
        "stac_version": "1.1.0",
        "id": composite_id,
        "properties": {
            "datetime": None,
            "start_datetime": f"{start}T13:00:00Z",
            "end_datetime": f"{end}T13:00:00Z",
            "landsat_ops:period": label,
            "landsat_ops:clear_count": {
                "min": 1,
                "max": scenes,
                "mean": median + 0.3,
                "median": median,
            },
            "landsat_ops:composite": {
                "stat": "median",
                "scenes": [{"id": f"scene{i}"} for i in range(scenes)],
            },
        },
        "links": [{"rel": "derived_from", "href": f"s{i}"} for i in range(scenes)],
        "assets": assets,
    }
    key = f"{folder}/{composite_id}.json"
    (root / key).parent.mkdir(parents=True, exist_ok=True)
    (root / key).write_text(json.dumps(item))
    return key


def decode_mp4(path: Path) -> tuple[dict, list[np.ndarray]]:
    """The MP4's metadata and its frames (height x width x 3 uint8), through imageio-ffmpeg."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    frames = [np.frombuffer(f, np.uint8).reshape(height, width, 3).copy() for f in reader]
    return meta, frames


def decode_webp(path: Path) -> tuple[list[int], list[np.ndarray]]:
    """The animated WebP's frame durations (ms) and frames, through Pillow."""
    from PIL import Image, ImageSequence

    with Image.open(path) as image:
        durations, frames = [], []
        for frame in ImageSequence.Iterator(image):
            frame.load()  # WebP sets the frame's duration when it decodes it
            durations.append(frame.info.get("duration"))
            frames.append(np.asarray(frame.convert("RGB")).copy())
    return durations, frames


def mark_centroid(frame: np.ndarray) -> tuple[float, float] | None:
    """(column, row) of the magenta marker's centre in a frame; None when it is not there."""
    r, g, b = (frame[..., i].astype(int) for i in range(3))
    mask = (r > 170) & (b > 170) & (g < 90)
    if mask.sum() < 4:
        return None
    rows, cols = np.nonzero(mask)
    return float(cols.mean()), float(rows.mean())
