"""The baseline: the "matplotlib in the cloud" tutorial's way of making a true-colour image.

Whole bands are read into memory, stacked as floats, rescaled per channel with hand-picked
DN ranges (the tutorial's ``update_image((5900, 11000), (6200, 11000), (7600, 11000))``) and
saved as a matplotlib figure at full resolution. Used by bench_render.py as case (c).

Usage: python bench/tutorial_truecolor.py SCENE_DIR OUT.png
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import rasterio  # noqa: E402


def band(folder: Path, n: int) -> np.ndarray:
    path = next(folder.glob(f"*_B{n}.TIF"))
    with rasterio.open(path) as src:
        return src.read(1)


def rescale(channel: np.ndarray, low: float, high: float) -> np.ndarray:
    out = (channel.astype(float) - low) / (high - low)
    return np.clip(out, 0, 1)


def main(folder: str, out: str) -> None:
    folder = Path(folder)
    red, green, blue = (band(folder, n) for n in (4, 3, 2))
    rgb = np.dstack(
        [rescale(red, 5900, 11000), rescale(green, 6200, 11000), rescale(blue, 7600, 11000)]
    )
    height, width = red.shape
    fig = plt.figure(figsize=(width / 100, height / 100), dpi=100)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.imshow(rgb)
    ax.axis("off")
    fig.savefig(out, dpi=100)


if __name__ == "__main__":
    main(*sys.argv[1:3])
