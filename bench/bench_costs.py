"""Issue 13's costs: the natural stretch and the average overviews, in CPU time and bytes.

(d) ``landsat-ops render`` (default products) with ``--stretch natural`` (the default: the QA
    band is decoded too and the clear pixels counted) against ``--stretch linear`` (the
    previous default): wall time, CPU time (user + system of the process, ``wait4``) and the
    size of the true colour COG; the best of ``--repeat`` alternating runs counts.
(e) The true colour composite's overviews: the average of each cell's valid pixels (what the
    renderer writes, :func:`landsat_ops.raster.ops.mean_pyramid`) against nearest samples
    (the previous overviews): CPU time of making the pyramid strip by strip and of encoding
    the COG (this process, ``time.process_time``; GDAL's threads included), and COG bytes.

Usage: ``python bench/bench_costs.py SCENE_DIR [--repeat N]``; bench_render.py runs it.
Results are printed and written to ``.bench/costs.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from landsat_ops.render.destination import current_folder

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".bench"
CLI = str(Path(sys.executable).with_name("landsat-ops"))


def run(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, CPU seconds of the process and its children)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench: command failed: {' '.join(cmd)}")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def stretch_costs(scene: Path, repeat: int) -> dict:
    out = BENCH / "costs-out"
    best: dict = {}
    for _ in range(repeat):
        for stretch in ("linear", "natural"):
            shutil.rmtree(out, ignore_errors=True)
            wall, cpu = run(
                [
                    CLI,
                    "render",
                    str(scene),
                    "--out",
                    str(out),
                    "--no-progress",
                    "--stretch",
                    stretch,
                ]
            )
            (cog,) = current_folder(out).glob("*_truecolor.tif")
            size = cog.stat().st_size
            if stretch not in best or wall < best[stretch]["seconds"]:
                best[stretch] = {"seconds": wall, "cpu_seconds": cpu, "truecolor_bytes": size}
    shutil.rmtree(out, ignore_errors=True)
    return best


def nearest_pyramid(data, factors, nodata):
    """The previous overviews: one sample per cell (its top-left pixel)."""
    return [np.ascontiguousarray(data[:, ::f, ::f]) for f in factors]


def overview_costs(scene: Path) -> dict:
    """Stretch the true colour once, then write its COG with each kind of overview."""
    import rasterio

    import landsat_ops.render.cog as cog_module
    from landsat_ops.raster.bands import BLOCK, strips
    from landsat_ops.raster.ops import mean_pyramid
    from landsat_ops.render.cog import average_overviews

    tmp = Path(tempfile.mkdtemp(dir=BENCH))
    try:
        command = [CLI, "render", str(scene), "--out", str(tmp / "out"), "--no-progress"]
        command += ["--products", "truecolor"]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        (source,) = current_folder(tmp / "out").glob("*_truecolor.tif")
        with rasterio.open(source) as ds:
            rgb = ds.read()
            crs, transform = ds.crs, ds.transform
        height, width = rgb.shape[1:]
        results = {}
        cases = (
            ("nearest", nearest_pyramid),
            ("average-numpy", mean_pyramid),
            ("average", average_overviews),
        )
        for name, pyramid in cases:
            cog_module.average_overviews = pyramid  # the only difference between the runs
            raster = cog_module.RawRaster(tmp / name, 3, "uint8", width, height)
            started = time.process_time()
            for window in strips(width, height, BLOCK):
                rows = slice(window.row_off, window.row_off + window.height)
                raster.write_strip(np.ascontiguousarray(rgb[:, rows]), window.row_off)
            pyramid_cpu = time.process_time() - started
            target = raster.write_cog(
                tmp / f"{name}.tif",
                crs,
                transform,
                nodata=0,
                colorinterp=["Red", "Green", "Blue"],
                compression="zstd",
            )
            raster.close()
            results[name] = {
                "pyramid_cpu_seconds": pyramid_cpu,
                "total_cpu_seconds": time.process_time() - started,
                "cog_bytes": target.stat().st_size,
            }
        cog_module.average_overviews = average_overviews
        return results
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scene", type=Path)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    BENCH.mkdir(exist_ok=True)
    results = {"stretch": stretch_costs(args.scene, args.repeat)}
    for name, r in results["stretch"].items():
        print(
            f"(d) render --stretch {name:7s}: {r['seconds']:6.2f} s wall, {r['cpu_seconds']:6.2f} "
            f"CPU-s, truecolor.tif {r['truecolor_bytes'] / 1e6:6.1f} MB"
        )
    results["overviews"] = overview_costs(args.scene)
    for name, r in results["overviews"].items():
        print(
            f"(e) true colour overviews {name:7s}: pyramid {r['pyramid_cpu_seconds']:5.2f} CPU-s, "
            f"pyramid + COG {r['total_cpu_seconds']:5.2f} CPU-s, COG {r['cog_bytes'] / 1e6:6.1f} MB"
        )
    (BENCH / "costs.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
