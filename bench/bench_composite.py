"""Benchmark of issue 19: a composite of N full-size scenes against decoding them.

``make bench`` runs this. It generates (once, under ``.bench/composite/``) N = 10 full-size
synthetic scenes of 226/010 (7791 x 7921 px, :func:`landsat_demo.synthetic.make_scene`), one
per 16-day overpass of a summer: one land (``terrain_seed``) under each date's own weather
(``seed``) and cloud cover (10-60 %), so each has its own cloud masks. Scenes 11-20 (for the
memory case at N = 20) are the same files under other product IDs and dates (symbolic links
and a rewritten MTL): the same work per scene, without 4 GB more of generated scenes. Each
case runs as its own process; wall time and peak RSS come from ``wait4``:

(a) decode the bands a composite reads (B1-B7 and QA_PIXEL) of the N = 10 scenes once with
    rasterio, single-threaded;
(b) ``landsat-ops composite`` of the 10 scenes (median, every product, 1024 px tiles);
    target (b) <= 1.5 x (a);
(c) the same at N = 20: peak RSS <= 1 GB and independent of N (compare (b));
(d) the per-tile overhead of a distributed run: one tile computed by a fresh process (what a
    mapped task does: start Python, import, find the 10 scenes, open their datasets, read and
    compute one 1024 px tile, write it) against the average in-process time of a tile in (b).

Results go to stdout and ``.bench/composite.json``.
Usage: ``python bench/bench_composite.py [--size W H] [--scenes N] [--skip-20]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/support/peak_rss.py: the command's own peak RSS
from tests.support import peak_rss  # noqa: E402

BENCH = Path(os.environ.get("LANDSAT_BENCH_DIR", ROOT / ".bench"))
PY = sys.executable
CLI = str(Path(PY).with_name("landsat-ops"))
FIRST_DAY = dt.date(2024, 6, 4)
TERRAIN_SEED = 226010


def measure(cmd: list[str]) -> tuple[float, float, str, str]:
    """Run ``cmd``: (wall seconds, peak RSS MB of the process and its children, stderr,
    stdout)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as errors:
        run = peak_rss.run(cmd, stdout=out, stderr=errors)
        out.seek(0)
        errors.seek(0)
        output, err = out.read(), errors.read()
    if run.returncode != 0:
        raise SystemExit(f"bench: command failed: {' '.join(cmd)}\n{err}")
    return run.wall, run.rss_mb, err, output


def ensure_scenes(root: Path, n: int, width: int, height: int) -> list[Path]:
    """``n`` distinct generated scenes (cached), 16 days apart."""
    from landsat_demo.synthetic import make_scene

    scenes = []
    for i in range(n):
        day = FIRST_DAY + dt.timedelta(days=16 * i)
        found = sorted(root.glob(f"LC08_L1TP_226010_{day:%Y%m%d}_*"))
        if found:
            scenes.append(found[0])
            continue
        print(f"generating scene {i + 1}/{n} ({width}x{height}) ...", flush=True)
        started = time.perf_counter()
        scenes.append(
            make_scene(
                root,
                path=226,
                row=10,
                width=width,
                height=height,
                acquired=day,
                seed=100 + i,  # the weather: clouds, sea ice, noise
                terrain_seed=TERRAIN_SEED,  # one land on every date
                cloud_cover=10.0 + 50.0 * i / max(1, n - 1),
            )
        )
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    return scenes


def alias(scene: Path, root: Path, days: int) -> Path:
    """The scene's files under the product ID of a date ``days`` later (links + MTL)."""
    old = scene.name
    parts = old.split("_")
    acquired = dt.datetime.strptime(parts[3], "%Y%m%d").date() + dt.timedelta(days=days)
    processed = acquired + dt.timedelta(days=10)
    new = "_".join([*parts[:3], f"{acquired:%Y%m%d}", f"{processed:%Y%m%d}", *parts[5:]])
    folder = root / new
    if folder.is_dir():
        return folder
    tmp = root / f".{new}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for path in scene.iterdir():
        target = tmp / path.name.replace(old, new)
        if path.name.endswith("_MTL.txt"):
            text = path.read_text().replace(old, new)
            text = re.sub(r"DATE_ACQUIRED = \S+", f"DATE_ACQUIRED = {acquired:%Y-%m-%d}", text)
            target.write_text(text)
        else:
            target.symlink_to(path.resolve())
    tmp.rename(folder)
    return folder


DECODE = """
import sys, pathlib, rasterio
with rasterio.Env(GDAL_NUM_THREADS=1, GDAL_CACHEMAX=64):
    for folder in sys.argv[1:]:
        for suffix in ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "QA_PIXEL"):
            path = next(pathlib.Path(folder).glob(f"*_{suffix}.TIF"))
            with rasterio.open(path) as src:
                src.read(1)
"""

ONE_TILE = """
import sys, time, json, pathlib, tempfile
t0 = time.perf_counter()
from landsat_ops.composite import open_inputs, target_grid, plan_tiles, write_composite_tile
t1 = time.perf_counter()
with tempfile.TemporaryDirectory(dir=sys.argv[1]) as work:
    inputs = open_inputs(sys.argv[2:], pathlib.Path(work))
    grid = target_grid(inputs)
    tiles = plan_tiles(grid, 1024)
    # The tile at the grid's centre: every scene has data there.
    tile = next(
        t for t in tiles
        if t.col_off <= grid.width // 2 < t.col_off + t.width
        and t.row_off <= grid.height // 2 < t.row_off + t.height
    )
    t2 = time.perf_counter()
    write_composite_tile(inputs, grid, tile, pathlib.Path(work) / "tile.tif")
    t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "inputs": t2 - t1, "tile": t3 - t2, "tiles": len(tiles)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", nargs=2, type=int, default=(7791, 7921), metavar=("W", "H"))
    parser.add_argument("--scenes", type=int, default=10)
    parser.add_argument("--skip-20", action="store_true", help="skip the N = 20 memory case")
    args = parser.parse_args()
    width, height = args.size
    root = BENCH / "composite" / f"scenes_{width}x{height}_terrain{TERRAIN_SEED}"
    root.mkdir(parents=True, exist_ok=True)
    scenes = ensure_scenes(root, args.scenes, width, height)
    twenty = scenes + [alias(s, root, 16 * args.scenes) for s in scenes]
    work = BENCH / "composite" / "work"
    work.mkdir(parents=True, exist_ok=True)
    out = BENCH / "composite" / "out"
    results: dict = {"scenes": args.scenes, "size": [width, height], "cpus": os.cpu_count()}

    a = measure([PY, "-c", DECODE, *map(str, scenes)])
    results["a_decode"] = {"seconds": a[0], "peak_rss_mb": a[1]}
    print(f"(a) decode B1-7+QA of {args.scenes} scenes, 1 thread: {a[0]:7.2f} s", flush=True)

    def composite(refs: list[Path]) -> tuple[float, float, str, str]:
        shutil.rmtree(out, ignore_errors=True)
        cmd = [CLI, "-v", "composite", *map(str, refs), "--out", str(out), "--workdir", str(work)]
        return measure(cmd)

    b = composite(scenes)
    tiled = re.search(r"computed (\d+) tiles in ([\d.]+) s", b[2])
    results["b_composite"] = {
        "seconds": b[0],
        "peak_rss_mb": b[1],
        "tiles": int(tiled[1]),
        "tiles_seconds": float(tiled[2]),
    }
    results["b_over_a"] = b[0] / a[0]
    print(
        f"(b) landsat-ops composite, N = {args.scenes}: {b[0]:7.2f} s, peak RSS {b[1]:.0f} MB "
        f"(tiles {float(tiled[2]):.1f} s); (b)/(a) = {b[0] / a[0]:.2f} (target <= 1.5)",
        flush=True,
    )
    if not args.skip_20:
        c = composite(twenty)
        results["c_composite_20"] = {"seconds": c[0], "peak_rss_mb": c[1]}
        print(
            f"(c) landsat-ops composite, N = {len(twenty)}: {c[0]:7.2f} s, peak RSS "
            f"{c[1]:.0f} MB (target <= 1024, independent of N)",
            flush=True,
        )
    d_wall, d_rss, _, output = measure([PY, "-c", ONE_TILE, str(work), *map(str, scenes)])
    one = json.loads(output)
    workers = min(4, len(os.sched_getaffinity(0)))  # landsat_ops.composite.run.WORKERS
    tiles = results["b_composite"]["tiles"]
    in_process = results["b_composite"]["tiles_seconds"] * workers / tiles
    results["d_one_tile"] = {
        "process_seconds": d_wall,
        "peak_rss_mb": d_rss,
        **one,
        "in_process_tile_seconds": in_process,
    }
    print(
        f"(d) one tile in a fresh process: {d_wall:.2f} s (import {one['import']:.2f}, find "
        f"scenes {one['inputs']:.2f}, tile {one['tile']:.2f}), peak RSS {d_rss:.0f} MB; "
        f"in process a tile takes {in_process:.2f} s of a worker thread "
        f"(overhead {d_wall - in_process:.2f} s per tile)",
        flush=True,
    )
    shutil.rmtree(out, ignore_errors=True)
    (BENCH / "composite.json").write_text(json.dumps(results, indent=2))
    print(f"results written to {BENCH / 'composite.json'}")


if __name__ == "__main__":
    main()
