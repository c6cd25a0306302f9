"""A composite of ONE real scene is that scene's reflectance where clear (issue 19)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio

from landsat_ops.composite import compose
from landsat_ops.render.destination import current_folder
from landsat_ops.scene import read_mtl
from tests.stac_schemas.validate import validate
from tests.support.composites import read_reflectance

pytestmark = pytest.mark.data

SCENES = {
    "greenland": "LC08_L2SP_005009_20150710_20200908_02_T2",  # snow and ice, very bright
    "tropics": "LC08_L2SP_008059_20191201_20200825_02_T1",  # vegetation and cloud
}
BANDS = (1, 2, 3, 4, 5, 6, 7)


@pytest.mark.parametrize("name", SCENES)
def test_one_scene_composite_is_its_clear_reflectance(landsat_data, tmp_path, name):
    sid = SCENES[name]
    folder = landsat_data / "rasters" / f"{sid}_512px"
    uri = compose([folder], tmp_path / "out", tile_size=256, workdir=tmp_path)
    products = current_folder(tmp_path / "out")
    cid = json.loads(open(uri).read())["id"]
    with rasterio.open(folder / f"{sid}_QA_PIXEL.TIF") as ds:
        qa = ds.read(1)
    # Collection 2 QA_PIXEL bits 0-4: fill, dilated cloud, cirrus, cloud, cloud shadow.
    clear = (qa & 0b11111) == 0
    meta = read_mtl(folder / f"{sid}_MTL.txt")
    stored, got = read_reflectance(products / f"{cid}_reflectance.tif")
    with rasterio.open(products / f"{cid}_reflectance.tif") as ds:
        assert ds.crs.to_epsg() == rasterio.open(folder / f"{sid}_SR_B4.TIF").crs.to_epsg()
    for i, b in enumerate(BANDS):
        with rasterio.open(folder / f"{sid}_SR_B{b}.TIF") as ds:
            dn = ds.read(1)
        expected = (dn * meta.sr_mult[b] + meta.sr_add[b]).astype(np.float32)
        keep = clear & (dn != 0)
        # One scene: the composite stores the scene's own DN where clear, 0 elsewhere.
        np.testing.assert_array_equal(stored[i][keep], dn[keep])
        np.testing.assert_allclose(got[i][keep], expected[keep], rtol=0, atol=1e-6)
        assert (stored[i][~keep] == 0).all() and np.isnan(got[i][~keep]).all()
    with rasterio.open(products / f"{cid}_count.tif") as ds:
        np.testing.assert_array_equal(ds.read(1), clear.astype(np.uint16))
    item = json.loads((products / f"{cid}.json").read_text())
    validate(item)
    assert [link["title"] for link in item["links"] if link["rel"] == "derived_from"] == [sid]
    assert item["properties"]["start_datetime"] == item["properties"]["end_datetime"]
