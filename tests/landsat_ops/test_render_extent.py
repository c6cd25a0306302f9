"""The render's ``extent`` product: the item's figures are ``landsat-ops extent``'s, the class
COG holds the classes the tests define, its palette and preview show them, bad input is one line.

Scenes: a synthetic 226/010 scene (landsat_demo.synthetic: sea, sea ice, glaciers, rock,
tundra, clouds) with the demo's polygons, and the real sets of ../shared/data/landsat.
"""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image

from landsat_ops.extent import measure_scene, read_polygons
from landsat_ops.extent.classify import extent_coefficients
from landsat_ops.render import render_scene
from landsat_ops.render.destination import current_folder
from landsat_ops.scene import find_scene_files, read_mtl
from landsat_ops.scene.qa import clear_mask
from tests.stac_schemas.validate import validate
from tests.support.cli_helpers import assert_one_line_error, run

REPO = Path(__file__).resolve().parents[2]
POLYGONS = REPO / "dags" / "config" / "polygons" / "scoresby_sund.geojson"
REAL = {
    "greenland_l2": "rasters/LC08_L2SP_005009_20150710_20200908_02_T2_512px",
    "c1_l1": "rasters/LC08_L1TP_016037_20170813_20170814_01_RT_900m",
    "pre_collection": "rasters/LC80200392015216LGN00_crop30m",
}
PALETTE = {1: (176, 152, 112), 2: (170, 230, 255), 3: (20, 70, 170), 4: (96, 96, 96)}


def _band(folder: Path, n: int) -> np.ndarray:
    (path,) = [p for p in folder.iterdir() if p.name.upper().endswith(f"_B{n}.TIF")]
    with rasterio.open(path) as ds:
        return ds.read(1)


def expected_classes(folder: Path) -> np.ndarray:
    """The classes of docs/extent.md written out with numpy, for a whole scene."""
    files = find_scene_files(folder)
    meta = read_mtl(files.mtl) if files.mtl else None
    k = extent_coefficients(files, meta)
    dn = {b: _band(folder, b) for b in (3, 5, 6)}
    with rasterio.open(files.qa) as ds:
        qa = ds.read(1)
    g, n, s = ((dn[b] * k[b][0] + k[b][1]) / k[b][2] for b in (3, 5, 6))
    fill = (dn[3] == 0) | (dn[5] == 0) | (dn[6] == 0) | ((qa & 1) == 1)
    clear = clear_mask(qa, files.qa_kind)
    total = g + s
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(total > 0, (g - s) / np.where(total > 0, total, 1), np.nan)
    snow = (ratio > 0.4) & (n > 0.11) & (g > 0.10)
    water = ~snow & (ratio > 0.0) & (n <= 0.11)
    out = np.ones(qa.shape, np.uint8)
    out[snow] = 2
    out[water] = 3
    out[~clear] = 4
    out[fill] = 0
    return out


def _item(out: Path, scene_id: str) -> dict:
    return json.loads((out / f"{scene_id}.json").read_text())


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    synthetic = pytest.importorskip("landsat_demo.synthetic")
    return synthetic.make_scene(
        tmp_path_factory.mktemp("scene"),
        acquired=datetime.datetime(2024, 7, 14, 13, 40),
        width=600,
        height=600,
        seed=7,
        cloud_cover=30.0,
    )


@pytest.fixture(scope="module")
def synthetic_render(synthetic, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = render_scene(synthetic, out, preview_size=256, polygons=tuple(read_polygons(POLYGONS)))
    return out, result, _item(out, result.scene_id)


def test_item_figures_are_the_extent_commands(synthetic, synthetic_render):
    _, _, item = synthetic_render
    fields = item["properties"]["landsat_ops:extent"]
    measured = measure_scene(synthetic, read_polygons(POLYGONS)).stac_properties()
    assert fields == measured["landsat_ops:extent"]
    assert set(fields["polygons"]) == {
        "hurry_inlet",
        "jameson_land_snowfield",
        "jameson_land_se",
    }
    assert fields["snow_ice_km2"] > 0 and fields["water_km2"] > 0  # glaciers and sea
    assert 0.3 < fields["clear_fraction"] < 0.95
    assert fields["thresholds"]["ndsi_min"] == 0.4 and fields["reflectance"] == "toa"


def test_class_cog_holds_the_classes_and_their_areas(synthetic, synthetic_render):
    out, result, item = synthetic_render
    path = current_folder(out) / f"{result.scene_id}_extent.tif"
    with rasterio.open(path) as ds:
        assert ds.count == 1 and ds.dtypes[0] == "uint8" and ds.nodata == 0
        assert ds.colorinterp[0] == rasterio.enums.ColorInterp.palette
        assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        colours = ds.colormap(1)
        classes = ds.read(1)
        assert ds.overviews(1) == [2]
        overview = ds.read(1, out_shape=(300, 300))  # the overview: nearest samples
        pixel_km2 = abs(ds.transform.a * ds.transform.e) / 1e6
    np.testing.assert_array_equal(classes, expected_classes(synthetic))
    np.testing.assert_array_equal(overview, classes[::2, ::2])
    assert colours[0][3] == 0
    for value, rgb in PALETTE.items():
        assert colours[value] == (*rgb, 255)
    fields = item["properties"]["landsat_ops:extent"]
    counts = np.bincount(classes.ravel(), minlength=5)
    assert fields["snow_ice_km2"] == pytest.approx(counts[2] * pixel_km2, abs=1e-5)
    assert fields["water_km2"] == pytest.approx(counts[3] * pixel_km2, abs=1e-5)
    assert fields["clear_km2"] == pytest.approx(counts[1:4].sum() * pixel_km2, abs=1e-5)
    assert fields["observed_km2"] == pytest.approx(counts[1:].sum() * pixel_km2, abs=1e-5)


def test_preview_shows_the_palette(synthetic_render):
    out, result, item = synthetic_render
    folder = current_folder(out)
    with rasterio.open(folder / f"{result.scene_id}_extent.tif") as ds:
        classes = ds.read(1, out_shape=(256, 256), resampling=rasterio.enums.Resampling.nearest)
    rgba = np.asarray(Image.open(folder / f"{result.scene_id}_extent.png"))
    assert rgba.shape == (256, 256, 4)
    assert (rgba[..., 3][classes == 0] == 0).all()
    for value, rgb in PALETTE.items():
        if (classes == value).any():
            assert (rgba[classes == value][:, :3] == rgb).all(), f"class {value}"
    assert item["assets"]["extent_png"]["roles"] == ["overview"]


def test_item_validates_and_declares_the_classes(synthetic_render):
    _, _, item = synthetic_render
    validate(item)
    asset = item["assets"]["extent_tif"]
    assert asset["roles"] == ["data"]
    assert [c["name"] for c in asset["classification:classes"]] == [
        "no_data",
        "clear_other",
        "snow_ice",
        "water",
        "not_clear",
    ]
    assert any("classification" in url for url in item["stac_extensions"])


def test_products_without_extent_carry_no_extent(synthetic, tmp_path):
    result = render_scene(synthetic, tmp_path, products="truecolor,ndvi", preview_size=64)
    item = _item(tmp_path, result.scene_id)
    assert "landsat_ops:extent" not in item["properties"]
    assert not [key for key in item["assets"] if key.startswith("extent")]
    assert not any("classification" in url for url in item["stac_extensions"])


@pytest.fixture
def without_b6(synthetic, tmp_path) -> Path:
    folder = tmp_path / synthetic.name
    shutil.copytree(synthetic, folder)
    (folder / f"{synthetic.name}_B6.TIF").unlink()
    return folder


def test_a_scene_without_b6_renders_the_other_products(capsys, without_b6, tmp_path):
    out = tmp_path / "out"
    products = "truecolor,falsecolor,ndvi,histograms"
    args = ("render", without_b6, "--out", out, "--products", products, "--preview-size", "64")
    code, _, _ = run(capsys, *args)
    assert code == 0
    code, _, err = run(capsys, "render", without_b6, "--out", tmp_path / "default")
    assert code == 2
    assert_one_line_error(err, "no B6", "extent", "--products")
    assert not (tmp_path / "default").exists()


def test_polygon_outside_the_scene_is_one_line(capsys, synthetic, tmp_path):
    far = tmp_path / "far.geojson"
    ring = [[10.0, 45.0], [10.1, 45.0], [10.1, 45.1], [10.0, 45.1], [10.0, 45.0]]
    feature = {
        "type": "Feature",
        "properties": {"name": "alps"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    far.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "render", synthetic, "--out", out, "--polygons", far)
    assert code == 2 and stdout == ""
    assert_one_line_error(err, "polygon 'alps' lies outside scene", synthetic.name)
    assert not out.exists()
    # an area of several path/rows leaves it out instead
    args = ("--polygons", far, "--skip-outside", "--products", "extent")
    code, _, _ = run(capsys, "render", synthetic, "--out", out, *args)
    assert code == 0
    assert _item(out, synthetic.name)["properties"]["landsat_ops:extent"]["polygons"] == {}


def test_bad_polygons_file_is_one_line(capsys, synthetic, tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": []}')
    code, _, err = run(capsys, "render", synthetic, "--out", tmp_path / "o", "--polygons", bad)
    assert code == 2
    assert_one_line_error(err, "bad.geojson", "no features")


@pytest.mark.data
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_scene_item_equals_the_extent_command(landsat_data, tmp_path, name):
    folder = landsat_data / REAL[name]
    result = render_scene(folder, tmp_path, products="extent", preview_size=64)
    item = _item(tmp_path, result.scene_id)
    validate(item)
    assert (
        item["properties"]["landsat_ops:extent"]
        == (measure_scene(folder).stac_properties()["landsat_ops:extent"])
    )
    with rasterio.open(current_folder(tmp_path) / f"{result.scene_id}_extent.tif") as ds:
        np.testing.assert_array_equal(ds.read(1), expected_classes(folder))


@pytest.mark.data
def test_real_scene_polygons_match_the_extent_command(landsat_data, tmp_path):
    """A polygon over the Greenland set's ice sheet edge, by render and by command."""
    from rasterio.warp import transform_geom

    folder = landsat_data / REAL["greenland_l2"]
    with rasterio.open(next(folder.glob("*_SR_B3.TIF"))) as ds:
        left, bottom, right, top = ds.bounds
        crs = ds.crs
    x0, x1 = left + 0.2 * (right - left), left + 0.5 * (right - left)
    y0, y1 = bottom + 0.3 * (top - bottom), bottom + 0.6 * (top - bottom)
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    geometry = transform_geom(crs, "EPSG:4326", {"type": "Polygon", "coordinates": [ring]})
    path = tmp_path / "edge.geojson"
    feature = {"type": "Feature", "properties": {"name": "edge"}, "geometry": geometry}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    polygons = read_polygons(path)
    result = render_scene(folder, tmp_path / "out", products="extent", polygons=tuple(polygons))
    fields = _item(tmp_path / "out", result.scene_id)["properties"]["landsat_ops:extent"]
    assert fields == measure_scene(folder, polygons).stac_properties()["landsat_ops:extent"]
    edge = fields["polygons"]["edge"]
    assert edge["snow_ice_km2"] > 0 and 0 < edge["clear_fraction"] < 1
