"""The before/after pictures of docs/products.md: real scenes, linear vs natural true colour.

For each real scene of ``../shared/data/landsat`` listed below, renders the true colour twice
(``--stretch linear``, the tutorial's 2-98 % per channel, and the ``natural`` default: one tone
curve on reflectance, issue 18) with 256 px previews, and writes one side-by-side PNG (linear
left, natural right) to ``docs/images/``, with the share of pure-white pixels and the median of
the valid pixels of each in the log.

Usage: ``.venv/bin/python bench/docs_images.py [--data ../shared/data/landsat]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from landsat_ops.render import render_scene

ROOT = Path(__file__).resolve().parent.parent
SCENES = {
    "cloudy_c1_016037": "rasters/LC08_L1TP_016037_20170813_20170814_01_RT_900m",
    "greenland_005009": "rasters/LC08_L2SP_005009_20150710_20200908_02_T2_512px",
    "tropics_008059": "rasters/LC08_L2SP_008059_20191201_20200825_02_T1_512px",
    "crop30m_020039": "rasters/LC80200392015216LGN00_crop30m",
    "overcast_001062": "rasters/LC08_L2SP_001062_20201031_20201106_02_T2_5pct",
}
GAP = 8


def side_by_side(before: Path, after: Path, target: Path) -> None:
    left, right = Image.open(before), Image.open(after)
    width = left.width + GAP + right.width
    canvas = Image.new("RGBA", (width, max(left.height, right.height)), (255, 255, 255, 0))
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width + GAP, 0))
    # A 256-colour palette keeps the pictures small enough for the repository.
    canvas.quantize(256, method=Image.Quantize.FASTOCTREE).save(target, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "landsat")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, scene in SCENES.items():
            pngs = {}
            for stretch in ("linear", "natural"):
                out = Path(tmp) / name / stretch
                result = render_scene(
                    args.data / scene, out, products="truecolor", stretch=stretch, preview_size=256
                )
                pngs[stretch] = out / f"{result.scene_id}_truecolor.png"
                pngs[stretch] = Path(result.outputs[pngs[stretch].name])
                rgba = np.asarray(Image.open(pngs[stretch]))
                valid = rgba[..., 3] > 0
                median = np.median(rgba[..., :3][valid])
                white = (rgba[..., :3] == 255).all(axis=-1)[valid].mean()
                print(
                    f"{name} {stretch:8s} preview: median {median:.0f}/255, "
                    f"pure white {white:.1%} of valid pixels"
                )
            target = args.out / f"truecolor_{name}.png"
            side_by_side(pngs["linear"], pngs["natural"], target)
            print(f"  -> {target.relative_to(ROOT)} ({target.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
