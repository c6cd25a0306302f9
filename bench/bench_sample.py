"""Benchmark: sampling 10 points costs the same on a full-size scene as on a small one.

``bench/bench_render.py`` runs this after the render cases with its full-size synthetic scene:
``python bench/bench_sample.py SCENE_DIR``. Each case is its own process, measured for wall
time and peak RSS (``wait4``), best of ``--repeat`` runs:

(d) ``landsat-ops sample`` of 10 points on SCENE_DIR (full size)
(e) the same on a 600 x 600 scene of the same path/row and date (made once under
    ``.bench/``, needs :mod:`landsat_demo.synthetic`)
(f) decoding B4 and B5 of SCENE_DIR completely, single thread (what one full read per point,
    as the workshop did it, costs at least)
(s) starting Python and importing click, numpy and rasterio: the floor under every case;
    the "net" ratio subtracts it

Targets: (d)/(e) <= 1.5 (the cost does not grow with the scene) and (d) a small fraction of
(f). Results go to stdout and ``.bench/sample_results.json``.
Usage: ``python bench/bench_sample.py SCENE_DIR [--repeat N] [--points N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/support/peak_rss.py: the command's own peak RSS
from tests.support import peak_rss  # noqa: E402

BENCH = ROOT / ".bench"
PY = sys.executable
CLI = str(Path(PY).with_name("landsat-ops"))
SMALL = 600
# Until landsat_ops.cli registers the command, run it through a group that does.
_REGISTERING = (
    "import sys; from landsat_ops.cli import cli, main; "
    "from landsat_ops.cli.analytics import sample; cli.add_command(sample); sys.exit(main())"
)


def measure(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, peak RSS in MB) of the process and its children.

    Its stdout is discarded; its stderr is shown only when it fails.
    """
    with tempfile.TemporaryFile() as stderr:
        run = peak_rss.run(cmd, stdout=subprocess.DEVNULL, stderr=stderr)
        if run.returncode != 0:
            stderr.seek(0)
            sys.stderr.write(stderr.read().decode(errors="replace"))
            raise SystemExit(f"bench_sample: command failed: {' '.join(cmd)}")
    return run.wall, run.rss_mb


def best_of(n: int, cmd: list[str]) -> tuple[float, float]:
    runs = [measure(cmd) for _ in range(n)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def sample_command() -> list[str]:
    """``landsat-ops sample`` when the CLI has it, else the command run via a registering group."""
    cli = CLI if os.path.exists(CLI) else None
    if cli is not None:
        probe = subprocess.run([cli, "sample", "--help"], capture_output=True)
        if probe.returncode == 0:
            return [cli, "sample"]
    print("  (landsat-ops has no 'sample' command yet: registering it for the bench)")
    return [PY, "-c", _REGISTERING, "sample"]


def ensure_small_scene(full: Path) -> Path:
    """A 600 x 600 synthetic scene of the full scene's path/row and acquisition time."""
    from landsat_demo.synthetic import make_scene
    from landsat_ops.scene import find_scene_files, read_mtl

    files = find_scene_files(full)
    sid = files.scene_id
    root = BENCH / f"scene_{SMALL}x{SMALL}"
    existing = sorted(root.glob("LC0*_*")) if root.exists() else []
    if existing:
        return existing[0]
    acquired = (
        read_mtl(files.mtl).acquired
        if files.mtl
        else dt.datetime.combine(sid.acquired, dt.time(), dt.UTC)
    )
    print(f"generating a {SMALL}x{SMALL} synthetic scene in {root} ...", flush=True)
    return make_scene(
        root, path=sid.path, row=sid.row, width=SMALL, height=SMALL, acquired=acquired
    )


def write_points(scene: Path, count: int, target: Path) -> Path:
    """``count`` points spread over the middle of the scene (inside the footprint) as CSV."""
    import rasterio
    from rasterio.warp import transform

    band = next(scene.glob("*_B4.TIF"))
    with rasterio.open(band) as ds:
        cols, rows = [], []
        for i in range(count):
            # A 4 x 3 grid over the central 40 % of the scene, well inside the rotated footprint.
            cols.append(ds.width * (0.3 + 0.4 * (i % 4) / 3))
            rows.append(ds.height * (0.3 + 0.4 * (i // 4) / 2))
        xs, ys = zip(*(ds.transform @ (c, r) for c, r in zip(cols, rows, strict=True)), strict=True)
        lons, lats = transform(ds.crs, "EPSG:4326", list(xs), list(ys))
    lines = ["id,lon,lat"] + [
        f"p{i + 1:02d},{lon:.6f},{lat:.6f}"
        for i, (lon, lat) in enumerate(zip(lons, lats, strict=True))
    ]
    target.write_text("\n".join(lines) + "\n")
    return target


def decode_ndvi_bands(scene: str) -> None:
    """Case (f): decode B4 and B5 completely, single-threaded (like bench/decode_bands.py)."""
    import rasterio

    with rasterio.Env(GDAL_NUM_THREADS=1, GDAL_CACHEMAX=64):
        for n in (4, 5):
            with rasterio.open(next(Path(scene).glob(f"*_B{n}.TIF"))) as src:
                src.read(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scene", help="the full-size scene folder")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best counts")
    parser.add_argument("--points", type=int, default=10, help="points to sample")
    parser.add_argument("--decode", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.decode:
        decode_ndvi_bands(args.scene)
        return

    full = Path(args.scene).resolve()
    small = ensure_small_scene(full)
    BENCH.mkdir(exist_ok=True)
    sample = sample_command()
    cases = {}
    for label, scene in (("full", full), ("small", small)):
        points = write_points(scene, args.points, BENCH / f"sample_points_{label}.csv")
        out = BENCH / f"samples_{label}.csv"
        cases[label] = best_of(
            args.repeat, [*sample, str(scene), "--points", str(points), "--out", str(out)]
        )
    decode = best_of(args.repeat, [PY, __file__, "--decode", str(full)])
    startup = best_of(args.repeat, [PY, "-c", "import click, numpy, rasterio, rasterio.warp"])

    d, e = cases["full"], cases["small"]
    n = args.points
    print(f"(d) sample {n} points, full scene : {d[0]:6.2f} s  peak RSS {d[1]:6.0f} MB")
    print(f"(e) sample {n} points, {SMALL}x{SMALL}  : {e[0]:6.2f} s  peak RSS {e[1]:6.0f} MB")
    print(f"(f) decode B4+B5, single thread : {decode[0]:6.2f} s  peak RSS {decode[1]:6.0f} MB")
    print(f"(s) python + imports only       : {startup[0]:6.2f} s  peak RSS {startup[1]:6.0f} MB")
    net = (d[0] - startup[0]) / max(decode[0] - startup[0], 1e-9)
    print(
        f"(d)/(e) = {d[0] / e[0]:.2f}  (target <= 1.5)   (d)/(f) = {d[0] / decode[0]:.2f}  "
        f"net of (s): {net:.2f}  (a small fraction)"
    )
    results = {
        "scene": full.name,
        "small_scene": small.name,
        "points": n,
        "date": dt.date.today().isoformat(),
        "d_sample_full": {"seconds": d[0], "peak_rss_mb": d[1]},
        "e_sample_small": {"seconds": e[0], "peak_rss_mb": e[1]},
        "f_decode_b4_b5": {"seconds": decode[0], "peak_rss_mb": decode[1]},
        "s_startup": {"seconds": startup[0], "peak_rss_mb": startup[1]},
        "d_over_e": d[0] / e[0],
        "d_over_f": d[0] / decode[0],
        "d_over_f_net": net,
    }
    (BENCH / "sample_results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
