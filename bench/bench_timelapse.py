"""Benchmark: a 10-year time-lapse of one path/row from published composites (target < 60 s).

Publishes ten composite items (summers 2015-2024) of one path/row into a scratch bucket, each
with true- and false-colour 8-bit RGB COGs of ``--side`` x ``--side`` px at 30 m (default
7,800: a path/row's full size) with overviews, as the composite engine writes them; then runs
``landsat-ops timelapse`` on them in its own process and reports its wall time and peak RSS
(``wait4``). Writing the inputs is not measured.

Every composite shows the same synthetic fjord (smooth noise of land, sea and an ice field whose
edge moves a little each year), so each frame is a real warp of a distinct file.
Usage: ``python bench/bench_timelapse.py [--side N] [--size PX] [--workdir DIR]``; the result
goes to stdout and ``.bench/timelapse_results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/support/peak_rss.py: the command's own peak RSS
from tests.support import peak_rss  # noqa: E402

BENCH = ROOT / ".bench"
CLI = str(Path(sys.executable).with_name("landsat-ops"))
YEARS = range(2015, 2025)
PATH, ROW = 226, 10
ORIGIN = (422115.0, 7868235.0)


def _field(side: int, seed: int) -> np.ndarray:
    """Smooth noise in 0..1 (a coarse random grid, upsampled bilinearly)."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((side // 256 + 2, side // 256 + 2)).astype(np.float32)
    idx = np.linspace(0, coarse.shape[0] - 1.001, side, dtype=np.float32)
    i0 = idx.astype(int)
    frac = idx - i0
    rows = coarse[i0] * (1 - frac)[:, None] + coarse[i0 + 1] * frac[:, None]
    return rows[:, i0] * (1 - frac)[None, :] + rows[:, i0 + 1] * frac[None, :]


def write_composite(root: Path, year: int, side: int, land: np.ndarray) -> None:
    """One composite item and its two COGs (``landsat_ops:period`` ``<year>-summer``)."""
    import rasterio
    from rasterio.transform import from_origin

    label = f"{year}-summer"
    cid = f"p{PATH:03d}r{ROW:03d}_{label}"
    folder = root / f"published/composites/{PATH:03d}/{ROW:03d}/{label}"
    version = folder / cid / "0123456789abcdef"
    version.mkdir(parents=True, exist_ok=True)
    cols = np.arange(side, dtype=np.float32)[None, :] / side
    ice = (land > 0.45) & (cols < 0.3 + 0.01 * (year - 2015))
    sea = land <= 0.45
    colours = {
        "truecolor": ((120, 95, 70), (25, 45, 90), (235, 240, 245)),
        "falsecolor": ((170, 85, 45), (10, 12, 30), (40, 220, 235)),
    }
    assets = {}
    for variant, (land_rgb, sea_rgb, ice_rgb) in colours.items():
        rgb = np.empty((3, side, side), np.uint8)
        for band in range(3):
            layer = np.full((side, side), land_rgb[band], np.uint8)
            layer[sea] = sea_rgb[band]
            layer[ice] = ice_rgb[band]
            rgb[band] = layer
        path = version / f"{cid}_{variant}.tif"
        with rasterio.open(
            path,
            "w",
            driver="COG",
            width=side,
            height=side,
            count=3,
            dtype="uint8",
            crs="EPSG:32627",
            transform=from_origin(*ORIGIN, 30, 30),
            nodata=0,
            compress="deflate",
            level=1,
            overview_resampling="average",
        ) as ds:
            ds.write(rgb)
        assets[f"{variant}_tif"] = {"href": f"./{cid}/0123456789abcdef/{path.name}"}
    item = {
        "type": "Feature",
        "stac_version": "1.1.0",
        "id": cid,
        "properties": {
            "datetime": None,
            "start_datetime": f"{year}-06-03T13:20:00Z",
            "end_datetime": f"{year}-09-21T13:20:00Z",
            "landsat_ops:period": label,
            "landsat_ops:clear_count": {"min": 1, "max": 9, "mean": 4.6, "median": 5},
            "landsat_ops:composite": {
                "stat": "median",
                "scenes": [{"id": str(i)} for i in range(9)],
            },
        },
        "links": [],
        "assets": assets,
    }
    (folder / f"{cid}.json").write_text(json.dumps(item))


def measure(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; (wall seconds, peak RSS in MB of it and its children, ffmpeg included)."""
    with tempfile.TemporaryFile("w+") as errors:
        run = peak_rss.run(cmd, stdout=subprocess.DEVNULL, stderr=errors)
        errors.seek(0)
        stderr = errors.read()
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{stderr}")
    return run.wall, run.rss_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=7800, help="composite side in pixels")
    parser.add_argument("--size", type=int, default=1024, help="frame side in pixels")
    parser.add_argument("--workdir", default=None, help="scratch folder (default: temp)")
    parser.add_argument("--write-inputs", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_inputs:  # in a process of its own: its memory is not the measured one's
        land = _field(args.side, 7)
        for year in YEARS:
            write_composite(Path(args.write_inputs), year, args.side, land)
        return
    with tempfile.TemporaryDirectory(prefix="bench-timelapse-", dir=args.workdir) as tmp:
        root = Path(tmp) / "bucket"
        started = time.perf_counter()
        # A forked child starts with its parent's peak RSS (Linux keeps it across exec): the
        # bench process itself stays small, the inputs are written by another one.
        subprocess.run(
            [sys.executable, __file__, "--side", str(args.side), "--write-inputs", str(root)],
            check=True,
        )
        setup = time.perf_counter() - started
        cmd = [
            CLI,
            "timelapse",
            str(root),
            "--composites",
            f"published/composites/{PATH:03d}/{ROW:03d}",
            "--years",
            f"{YEARS[0]}-{YEARS[-1]}",
            "--out",
            f"published/timelapse/{PATH:03d}/{ROW:03d}",
            "--name",
            "bench_summer",
            "--size",
            str(args.size),
        ]
        wall, rss = measure(cmd)
        sizes = {
            p.name: p.stat().st_size
            for p in (root / "published/timelapse").rglob("*")
            if p.suffix in (".mp4", ".webp")
        }
    result = {
        "frames": len(YEARS),
        "composite_side_px": args.side,
        "frame_side_px": args.size,
        "inputs_written_s": round(setup, 1),
        "timelapse_wall_s": round(wall, 2),
        "timelapse_peak_rss_mb": round(rss),
        "outputs_bytes": sizes,
        "cpus": os.cpu_count(),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }
    BENCH.mkdir(exist_ok=True)
    (BENCH / "timelapse_results.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    target = "OK" if wall < 60 else "OVER"
    print(f"10-year time-lapse from composites: {wall:.1f} s (target < 60 s: {target})")


if __name__ == "__main__":
    main()
