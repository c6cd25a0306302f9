"""Case (a) of the benchmark: decode bands 1,2,3,4,5,7 of a scene once, single-threaded.

Usage: python bench/decode_bands.py SCENE_DIR
"""

import sys
from pathlib import Path

import rasterio


def main(folder: str) -> None:
    with rasterio.Env(GDAL_NUM_THREADS=1, GDAL_CACHEMAX=64):
        for n in (1, 2, 3, 4, 5, 7):
            path = next(Path(folder).glob(f"*_B{n}.TIF"))
            with rasterio.open(path) as src:
                src.read(1)


if __name__ == "__main__":
    main(sys.argv[1])
