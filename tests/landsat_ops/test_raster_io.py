"""The raster I/O helpers: the PNG encoder and raw-file VRTs, checked by reading them back."""

import numpy as np
import pytest
import rasterio
from PIL import Image
from rasterio.crs import CRS
from rasterio.transform import from_origin

from landsat_ops.raster.cog import raw_vrt
from landsat_ops.raster.png import write_png


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (64, 33), (257, 300)])
def test_png_round_trip(tmp_path, shape):
    rgba = np.random.default_rng(sum(shape)).integers(0, 256, (*shape, 4), dtype=np.uint8)
    rgba[0, 0] = (0, 0, 0, 0)  # a transparent pixel stays transparent
    path = write_png(rgba, tmp_path / "x.png")
    with Image.open(path) as im:
        im.load()  # decoding checks the zlib stream and every CRC
        assert im.mode == "RGBA" and im.size == (shape[1], shape[0])
        np.testing.assert_array_equal(np.asarray(im), rgba)
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]  # no partial file left


def test_png_rejects_other_arrays(tmp_path):
    with pytest.raises(ValueError, match=r"\(H, W, 4\) uint8"):
        write_png(np.zeros((4, 4, 3), np.uint8), tmp_path / "x.png")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("dtype, nodata", [("uint8", 0), ("float32", float("nan"))])
def test_raw_vrt_reads_band_sequential_files(tmp_path, dtype, nodata):
    data = np.arange(2 * 5 * 7, dtype=dtype).reshape(2, 5, 7)
    (tmp_path / "x.raw").write_bytes(data.tobytes())
    transform = from_origin(500000, 8000000, 30, 30)
    crs = CRS.from_epsg(32624)
    vrt = raw_vrt(
        tmp_path / "x.vrt",
        tmp_path / "x.raw",
        width=7,
        height=5,
        count=2,
        dtype=dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
    )
    with rasterio.open(vrt) as ds:
        assert (ds.count, ds.height, ds.width, ds.dtypes[0]) == (2, 5, 7, dtype)
        assert ds.crs == crs and ds.transform == transform
        assert ds.nodata == nodata or (np.isnan(ds.nodata) and np.isnan(nodata))
        np.testing.assert_array_equal(ds.read(), data)
