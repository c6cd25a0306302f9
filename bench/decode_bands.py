"""Case (a) of the benchmark: decode once, single-threaded, every band the default products
read (``landsat_ops.products.needed_bands``: B1-B7 since the extent product reads SWIR1).

Usage: python bench/decode_bands.py SCENE_DIR
"""

import sys
from pathlib import Path

import rasterio

from landsat_ops.products import DEFAULT_PRODUCTS, needed_bands

BANDS = tuple(sorted(needed_bands(DEFAULT_PRODUCTS)))
LABEL = "B" + ",".join(str(n) for n in BANDS)


def main(folder: str) -> None:
    with rasterio.Env(GDAL_NUM_THREADS=1, GDAL_CACHEMAX=64):
        for n in BANDS:
            path = next(Path(folder).glob(f"*_B{n}.TIF"))
            with rasterio.open(path) as src:
                src.read(1)


if __name__ == "__main__":
    main(sys.argv[1])
