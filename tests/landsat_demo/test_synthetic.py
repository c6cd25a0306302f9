"""Tests for landsat_demo.synthetic: synthetic Level-1 scenes and the local STAC catalog."""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

import numpy as np
import pystac
import pytest
import rasterio

from landsat_demo import synthetic
from landsat_demo.synthetic import (
    QA_CLEAR_LAND,
    QA_CLEAR_WATER,
    QA_CLOUD,
    QA_FILL,
    QA_SNOW_ICE,
    make_catalog,
    make_scene,
    product_id_for,
    utm_epsg_for,
)
from landsat_demo.synthetic import scene as synthetic_scene_module
from landsat_demo.synthetic.landscape import SceneModel
from landsat_ops.errors import OptionError, StorageError
from landsat_ops.overpass import overpass_datetime, overpass_datetimes, wrs2_centre
from landsat_ops.scene import find_scene_files, read_mtl

UTC = datetime.UTC
ACQUIRED = datetime.datetime(2021, 8, 10, 13, 21, 19, tzinfo=UTC)
SIZE = 600


def _read(folder: Path, suffix: str) -> np.ndarray:
    with rasterio.open(folder / f"{folder.name}_{suffix}.TIF") as src:
        return src.read(1)


def _bands(folder: Path) -> dict[str, np.ndarray]:
    data = {f"B{b}": _read(folder, f"B{b}") for b in range(1, 8)}
    data["QA"] = _read(folder, "QA_PIXEL")
    return data


def _reflectance(dn: np.ndarray) -> np.ndarray:
    return dn.astype(np.float64) * 2e-5 - 0.1


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scene")
    return make_scene(out, acquired=ACQUIRED, width=SIZE, height=SIZE, seed=3, cloud_cover=20.0)


@pytest.fixture(scope="module")
def pixels(scene) -> dict[str, np.ndarray]:
    return _bands(scene)


# --------------------------------------------------------------------------------------------
# Files and grid
# --------------------------------------------------------------------------------------------


def test_scene_folder_is_named_after_the_product_id(scene):
    assert scene.name == "LC08_L1TP_226010_20210810_20210820_02_T1"
    assert scene.name == product_id_for(226, 10, ACQUIRED)
    names = sorted(p.name for p in scene.iterdir())
    expected = [f"{scene.name}_B{b}.TIF" for b in range(1, 8)]
    expected += [f"{scene.name}_MTL.txt", f"{scene.name}_QA_PIXEL.TIF"]
    assert names == sorted(expected)
    assert [p.name for p in scene.parent.iterdir()] == [scene.name]  # no temp folder left


def test_all_files_share_one_tiled_utm_grid(scene):
    profiles = []
    for path in sorted(scene.glob("*.TIF")):
        with rasterio.open(path) as src:
            assert src.count == 1
            assert src.dtypes == ("uint16",)
            assert src.nodata is None  # like real Level-1: 0 is fill, untagged
            assert src.block_shapes == [(512, 512)]
            assert src.profile["tiled"]
            assert src.compression.name.lower() == "deflate"
            assert src.crs.to_epsg() == 32627  # 226/010, East Greenland: UTM 27N
            assert src.res == (30.0, 30.0)
            profiles.append((src.width, src.height, tuple(src.transform)))
    assert len(profiles) == 8
    assert len(set(profiles)) == 1
    width, height, transform = profiles[0]
    assert (width, height) == (SIZE, SIZE)
    assert transform[2] % 30 == 15 and transform[5] % 30 == 15  # Landsat grid alignment


def test_scene_centre_is_near_the_path_row_centre(scene):
    from rasterio.warp import transform as warp_transform

    with rasterio.open(scene / f"{scene.name}_B1.TIF") as src:
        x, y = src.xy(src.height // 2, src.width // 2)
        lons, lats = warp_transform(src.crs, "EPSG:4326", [x], [y])
    assert lats[0] == pytest.approx(70.8, abs=0.2)
    assert lons[0] == pytest.approx(-22.8, abs=0.3)


def test_scene_files_are_found_by_the_scene_module(scene):
    files = find_scene_files(scene)
    assert sorted(files.bands) == [1, 2, 3, 4, 5, 6, 7]
    assert files.qa_kind == "c2"
    assert files.mtl.name.endswith("_MTL.txt")
    assert not files.surface_reflectance


# --------------------------------------------------------------------------------------------
# Footprint and QA
# --------------------------------------------------------------------------------------------


def test_fill_is_a_rotated_footprint_shared_by_all_bands(pixels):
    fill = pixels["B1"] == 0
    assert 0.20 <= fill.mean() <= 0.40
    for band in range(2, 8):
        assert np.array_equal(pixels[f"B{band}"] == 0, fill), f"B{band}"
    assert np.array_equal(pixels["QA"] == QA_FILL, fill)
    assert pixels["QA"][~fill].min() > QA_FILL
    # Rotated, not an inset rectangle: all four grid corners are fill, the centre is not,
    # and the top-most valid pixel is left of the centre (descending pass, 12.5 degrees).
    assert fill[0, 0] and fill[0, -1] and fill[-1, 0] and fill[-1, -1]
    assert not fill[SIZE // 2, SIZE // 2]
    top = np.argwhere(~fill)[0]
    assert top[0] < 10 and top[1] < SIZE / 2 - 50
    rows_with_data = np.flatnonzero((~fill).any(axis=1))
    assert rows_with_data[0] < 10 and rows_with_data[-1] > SIZE - 10


def test_qa_uses_collection2_values(pixels):
    values = set(np.unique(pixels["QA"]).tolist())
    assert {QA_FILL, QA_CLEAR_LAND, QA_CLEAR_WATER, QA_SNOW_ICE, QA_CLOUD} <= values
    assert values <= {1, 21762, 21824, 21952, 22280, 23888, 30048}
    qa = pixels["QA"].astype(np.int64)
    cloud = (qa & (1 << 3)) != 0
    assert np.all(((qa[cloud] >> 8) & 3) == 3)  # high confidence cloud
    assert not np.any(cloud & ((qa & (1 << 6)) != 0))  # never cloud and clear


# --------------------------------------------------------------------------------------------
# Land cover
# --------------------------------------------------------------------------------------------


def test_dn_values_are_realistic(pixels):
    valid = pixels["B1"] > 0
    for band in range(1, 8):
        values = pixels[f"B{band}"][valid]
        assert values.min() >= 4500, f"B{band}"
        assert values.max() <= 42000, f"B{band}"


def test_ice_and_snow_are_cyan_in_the_swir_nir_coastal_false_colour(pixels):
    ice = pixels["QA"] == QA_SNOW_ICE
    assert ice.mean() > 0.02
    b1, b5, b7 = (_reflectance(pixels[b][ice]) for b in ("B1", "B5", "B7"))
    assert np.all(pixels["B7"][ice] < pixels["B5"][ice])
    assert np.median(b7) < 0.1 < 0.3 < np.median(b5) < np.median(b1)
    assert np.median(_reflectance(pixels["B3"][ice])) > 0.35  # very bright visible


def test_water_is_dark_with_very_low_nir(pixels):
    water = pixels["QA"] == QA_CLEAR_WATER
    assert water.mean() > 0.05
    assert np.median(_reflectance(pixels["B5"][water])) < 0.03
    assert np.median(pixels["B5"][water]) < np.median(pixels["B2"][water])
    ndvi = _ndvi(pixels, water)
    assert np.median(ndvi) < 0


def _ndvi(pixels: dict[str, np.ndarray], where: np.ndarray) -> np.ndarray:
    red, nir = _reflectance(pixels["B4"][where]), _reflectance(pixels["B5"][where])
    return (nir - red) / (nir + red)


def test_vegetation_has_ndvi_above_0_3(pixels):
    land = pixels["QA"] == QA_CLEAR_LAND
    ndvi = _ndvi(pixels, land)
    vegetated = ndvi > 0.3
    assert vegetated.mean() > 0.15  # tundra on a good share of the clear land
    assert np.quantile(ndvi[vegetated], 0.9) < 0.8
    # bare rock is there too: SWIR brighter than red
    rock = (_reflectance(pixels["B6"][land]) > _reflectance(pixels["B4"][land])) & ~vegetated
    assert rock.mean() > 0.1


def test_clouds_are_bright_in_every_band_including_swir(pixels):
    cloud = pixels["QA"] == QA_CLOUD
    ice = pixels["QA"] == QA_SNOW_ICE
    for band in ("B1", "B4", "B5"):
        assert np.median(_reflectance(pixels[band][cloud])) > 0.25
    assert np.median(pixels["B6"][cloud]) > 2 * np.median(pixels["B6"][ice])


def _ice_share(folder: Path) -> float:
    qa = _read(folder, "QA_PIXEL")
    return float(np.mean(qa[qa != QA_FILL] == QA_SNOW_ICE))


def test_ice_depends_on_latitude_and_season(tmp_path):
    def scene(path, row, when):
        out = tmp_path / f"{path}-{row}-{when:%m}"
        return make_scene(out, path=path, row=row, acquired=when, width=200, height=200, seed=8)

    summer = _ice_share(scene(226, 10, datetime.datetime(2021, 8, 10, 13, 21)))
    spring = _ice_share(scene(226, 10, datetime.datetime(2021, 4, 6, 13, 21)))
    tropics = _ice_share(scene(1, 62, datetime.datetime(2020, 10, 31, 14, 31)))
    assert tropics == 0.0
    assert 0.05 < summer < spring


# --------------------------------------------------------------------------------------------
# MTL
# --------------------------------------------------------------------------------------------


def test_mtl_is_a_collection2_level1_file(scene, pixels):
    text = (scene / f"{scene.name}_MTL.txt").read_text()
    lines = text.splitlines()
    assert lines[0] == "GROUP = LANDSAT_METADATA_FILE"
    assert lines[-2:] == ["END_GROUP = LANDSAT_METADATA_FILE", "END"]
    for group in (
        "PRODUCT_CONTENTS",
        "IMAGE_ATTRIBUTES",
        "PROJECTION_ATTRIBUTES",
        "LEVEL1_RADIOMETRIC_RESCALING",
    ):
        assert f"  GROUP = {group}" in lines and f"  END_GROUP = {group}" in lines
    for band in range(1, 8):
        assert f'    FILE_NAME_BAND_{band} = "{scene.name}_B{band}.TIF"' in lines
    assert '    PROCESSING_LEVEL = "L1TP"' in lines
    assert "    COLLECTION_NUMBER = 02" in lines

    mtl = read_mtl(scene / f"{scene.name}_MTL.txt")
    assert mtl.scene_id.scene_id == scene.name
    assert (mtl.scene_id.path, mtl.scene_id.row) == (226, 10)
    assert mtl.spacecraft == "LANDSAT_8"
    assert mtl.acquired == ACQUIRED
    assert mtl.utm_zone == 27 and mtl.map_projection == "UTM"
    assert mtl.reflectance_mult == {b: 2e-05 for b in range(1, 10)}
    assert mtl.reflectance_add == {b: -0.1 for b in range(1, 10)}
    assert 25 < mtl.sun_elevation < 45 and 150 < mtl.sun_azimuth < 210  # August, 71 N
    raw = mtl.raw["LANDSAT_METADATA_FILE"]["PROJECTION_ATTRIBUTES"]
    with rasterio.open(scene / f"{scene.name}_B4.TIF") as src:
        assert raw["CORNER_UL_PROJECTION_X_PRODUCT"] == src.bounds.left
        assert raw["CORNER_LR_PROJECTION_Y_PRODUCT"] == src.bounds.bottom
    assert raw["REFLECTIVE_SAMPLES"] == SIZE


def test_mtl_cloud_cover_is_the_qa_cloud_share(scene, pixels):
    mtl = read_mtl(scene / f"{scene.name}_MTL.txt")
    qa = pixels["QA"]
    valid = qa != QA_FILL
    cloudy = (qa.astype(np.int64) & (1 << 3)) != 0
    assert mtl.cloud_cover == pytest.approx(100 * cloudy[valid].mean(), abs=0.006)
    assert mtl.cloud_cover == pytest.approx(20.0, abs=6)  # the requested 20 %
    assert 0 <= mtl.cloud_cover_land <= 100


@pytest.mark.parametrize("target", [0.0, 45.0])
def test_cloud_cover_follows_the_request(tmp_path, target):
    folder = make_scene(tmp_path, acquired=ACQUIRED, width=256, height=256, cloud_cover=target)
    cover = read_mtl(folder / f"{folder.name}_MTL.txt").cloud_cover
    assert cover == pytest.approx(target, abs=8)
    if target == 0:
        assert QA_CLOUD not in np.unique(_read(folder, "QA_PIXEL"))


def test_sun_position_matches_a_real_mtl(tmp_path, landsat_data):
    real = read_mtl(
        landsat_data / "mtl/collection2-l1/LC08_L1TP_188018_20200927_20201005_02_T1_MTL.txt"
    )
    folder = make_scene(tmp_path, path=188, row=18, acquired=real.acquired, width=64, height=64)
    mtl = read_mtl(folder / f"{folder.name}_MTL.txt")
    assert mtl.utm_zone == real.utm_zone == 35
    assert mtl.sun_elevation == pytest.approx(real.sun_elevation, abs=0.5)
    assert mtl.sun_azimuth == pytest.approx(real.sun_azimuth, abs=1.0)


def test_a_date_gets_the_predicted_overpass_time(tmp_path):
    day = datetime.date(2014, 8, 20)
    folder = make_scene(tmp_path, acquired=day, width=64, height=64)
    mtl = read_mtl(folder / f"{folder.name}_MTL.txt")
    expected = overpass_datetime(226, 10, datetime.datetime(2014, 8, 20, tzinfo=UTC))
    assert abs(mtl.acquired - expected) < datetime.timedelta(microseconds=1)


def test_polar_night_is_lit_at_the_minimum_sun_elevation(tmp_path):
    folder = make_scene(
        tmp_path, acquired=datetime.datetime(2021, 12, 21, 13, 21), width=64, height=64
    )
    mtl = read_mtl(folder / f"{folder.name}_MTL.txt")
    assert mtl.sun_elevation == synthetic.MIN_SUN_ELEVATION


# --------------------------------------------------------------------------------------------
# Geometry helpers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "row", "epsg"),
    [
        pytest.param(226, 10, 32627, id="226-010-greenland"),
        pytest.param(188, 18, 32635, id="188-018-finland-real-mtl"),
        pytest.param(16, 37, 32617, id="016-037-carolina-real-raster"),
        pytest.param(8, 59, 32618, id="008-059-colombia-real-raster"),
        pytest.param(5, 9, 32624, id="005-009-greenland-real-raster"),
        pytest.param(1, 62, 32620, id="001-062-amazon-south-negative-northing"),
        pytest.param(33, 32, 32613, id="033-032-colorado-earth-search"),
        pytest.param(47, 27, 32610, id="047-027-washington-landsatlook"),
    ],
)
def test_utm_zone_matches_real_scenes(path, row, epsg):
    assert utm_epsg_for(path, row) == epsg


@pytest.mark.parametrize(
    ("path", "row", "lat", "lon"),
    [
        pytest.param(188, 18, 60.07, 25.13, id="188-018-mtl-corners"),
        pytest.param(16, 37, 33.17, -80.06, id="016-037-raster-bounds"),
        pytest.param(33, 32, 40.32, -104.23, id="033-032-proj-centroid"),
        pytest.param(1, 62, -2.90, -65.18, id="001-062-raster-bounds"),
    ],
)
def test_wrs2_centre_is_close_to_real_scene_centres(path, row, lat, lon):
    got_lat, got_lon = wrs2_centre(path, row)
    assert got_lat == pytest.approx(lat, abs=0.3)
    assert got_lon == pytest.approx(lon, abs=0.3)


def test_footprint_corners_match_the_written_fill(pixels):
    corners = synthetic.footprint_corners(SIZE, SIZE)
    top = min(corners, key=lambda c: c[1])
    assert corners[0] == top
    valid = np.argwhere(pixels["B1"] > 0)
    first_row = valid[valid[:, 0] == valid[:, 0].min()]
    assert first_row[:, 1].mean() == pytest.approx(top[0], abs=6)


# --------------------------------------------------------------------------------------------
# Determinism, options and failures
# --------------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_scene(tmp_path, scene, pixels):
    again = make_scene(
        tmp_path, acquired=ACQUIRED, width=SIZE, height=SIZE, seed=3, cloud_cover=20.0
    )
    for key, data in _bands(again).items():
        assert np.array_equal(data, pixels[key]), key
    assert (again / f"{again.name}_MTL.txt").read_text() == (
        scene / f"{scene.name}_MTL.txt"
    ).read_text()
    other = make_scene(
        tmp_path / "other", acquired=ACQUIRED, width=SIZE, height=SIZE, seed=4, cloud_cover=20.0
    )
    assert not np.array_equal(_read(other, "B4"), pixels["B4"])


def test_strips_join_seamlessly(tmp_path):
    """A scene taller than one 512-row strip has no seam at the strip boundary."""
    folder = make_scene(tmp_path, acquired=ACQUIRED, width=128, height=1100, cloud_cover=0.0)
    b5 = _read(folder, "B5").astype(np.float64)
    valid = (b5[:-1] > 0) & (b5[1:] > 0)
    steps = np.abs(np.diff(b5, axis=0))
    per_row = (steps * valid).sum(axis=1) / np.maximum(valid.sum(axis=1), 1)
    assert valid[511].sum() > 60  # the boundary row (511 -> 512) is inside the footprint
    assert per_row[511] < 3 * np.median(per_row[valid.sum(axis=1) > 60])


def test_an_existing_scene_is_replaced(tmp_path):
    first = make_scene(tmp_path, acquired=ACQUIRED, width=64, height=64, seed=1)
    second = make_scene(tmp_path, acquired=ACQUIRED, width=64, height=64, seed=2)
    assert first == second
    assert [p.name for p in tmp_path.iterdir()] == [first.name]


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"width": 10}, id="too-narrow"),
        pytest.param({"height": 0}, id="too-short"),
        pytest.param({"path": 0}, id="path-0"),
        pytest.param({"row": 249}, id="row-249"),
        pytest.param({"cloud_cover": 120.0}, id="cloud-over-100"),
        pytest.param({"acquired": "2021-08-10"}, id="acquired-string"),
    ],
)
def test_bad_options_raise_option_error(tmp_path, kwargs):
    args = {"acquired": ACQUIRED, "width": 64, "height": 64, **kwargs}
    with pytest.raises(OptionError):
        make_scene(tmp_path, **args)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_target_raises_storage_error_and_leaves_nothing(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="a-file"):
        make_scene(blocker / "scenes", acquired=ACQUIRED, width=64, height=64)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_failure_while_writing_leaves_no_partial_scene(tmp_path, monkeypatch):
    calls = []
    original = SceneModel.strip

    def failing_strip(self, row0, nrows):
        calls.append(row0)
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        return original(self, row0, nrows)

    monkeypatch.setattr(SceneModel, "strip", failing_strip)
    with pytest.raises(StorageError, match="No space left"):
        make_scene(tmp_path, acquired=ACQUIRED, width=64, height=1100)
    assert len(calls) == 2
    assert list(tmp_path.iterdir()) == []


def test_a_bug_keeps_its_traceback_and_leaves_no_partial_scene(tmp_path, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("bug in the MTL writer")

    monkeypatch.setattr(synthetic_scene_module, "mtl_text", broken)
    with pytest.raises(RuntimeError, match="bug in the MTL writer"):
        make_scene(tmp_path, acquired=ACQUIRED, width=64, height=64)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------
# make_catalog
# --------------------------------------------------------------------------------------------

START, END = datetime.date(2021, 5, 1), datetime.date(2021, 9, 30)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("catalog")
    return make_catalog(root, start=START, end=END, width=96, height=96)


def _items(catalog_path: Path) -> list[pystac.Item]:
    root = pystac.Catalog.from_file(str(catalog_path))
    return sorted(root.get_items(recursive=True), key=lambda item: item.datetime)


def test_catalog_has_one_item_per_real_overpass(catalog):
    assert catalog.name == "catalog.json"
    items = _items(catalog)
    expected = overpass_datetimes(226, 10, START, END)
    assert len(items) == len(expected) == 10
    for item, at in zip(items, expected, strict=True):
        assert item.datetime.date() == at.date()
        assert abs(item.datetime - at) < datetime.timedelta(milliseconds=1)
        assert item.id == product_id_for(226, 10, at)
        assert item.collection_id == "landsat-c2-l1"


def test_catalog_items_look_like_earth_search_items(catalog):
    for item in _items(catalog):
        props = item.properties
        assert props["platform"] == "landsat-8"
        assert props["landsat:wrs_path"] == "226"
        assert props["landsat:wrs_row"] == "010"
        assert props["landsat:collection_number"] == "02"
        stored = json.loads(Path(item.get_self_href()).read_text())["properties"]
        assert stored["proj:epsg"] == 32627  # as Earth Search (pystac reads it as proj:code)
        assert set(item.assets) == {
            "coastal", "blue", "green", "red", "nir08", "swir16", "swir22", "qa_pixel", "mtl.txt",
        }  # fmt: skip
        folder = Path(item.assets["red"].get_absolute_href()).parent
        assert item.assets["red"].get_absolute_href().endswith(f"{item.id}_B4.TIF")
        assert item.assets["mtl.txt"].get_absolute_href().endswith(f"{item.id}_MTL.txt")
        for asset in item.assets.values():
            assert Path(asset.get_absolute_href()).is_file()
        mtl = read_mtl(folder / f"{item.id}_MTL.txt")
        assert props["eo:cloud_cover"] == mtl.cloud_cover
        lon_min, lat_min, lon_max, lat_max = item.bbox
        assert lat_min < 70.8 < lat_max and lon_min < -22.8 < lon_max
        ring = item.geometry["coordinates"][0]
        assert len(ring) == 5 and ring[0] == ring[-1]


def test_catalog_is_self_contained(catalog):
    for path in catalog.parent.rglob("*.json"):
        text = path.read_text()
        assert str(catalog.parent) not in text, path
        for link in json.loads(text).get("links", []):
            assert not link["href"].startswith("/"), path
    item_file = next(catalog.parent.glob("landsat-c2-l1/*/*.json"))
    assets = json.loads(item_file.read_text())["assets"]
    assert all(a["href"].startswith("../../scenes/") for a in assets.values())


def test_catalog_cloud_cover_varies_by_date(catalog):
    covers = [item.properties["eo:cloud_cover"] for item in _items(catalog)]
    assert len(set(covers)) == len(covers)
    assert 0 <= min(covers) and max(covers) <= 88
    assert max(covers) - min(covers) > 20


def test_catalog_is_idempotent(catalog):
    tif = next(catalog.parent.glob("scenes/*/*_B4.TIF"))
    before = (catalog.read_text(), tif.stat().st_mtime_ns)
    items_before = {p.name: p.read_text() for p in catalog.parent.rglob("*.json")}
    again = make_catalog(catalog.parent, start=START, end=END, width=96, height=96)
    assert again == catalog
    assert (catalog.read_text(), tif.stat().st_mtime_ns) == before
    assert {p.name: p.read_text() for p in catalog.parent.rglob("*.json")} == items_before


def test_catalog_max_scenes_and_narrower_rerun(tmp_path):
    path = make_catalog(tmp_path, start=START, end=END, width=64, height=64, max_scenes=2)
    assert len(_items(path)) == 2
    later = make_catalog(
        tmp_path, start=datetime.date(2021, 5, 10), end=END, width=64, height=64, max_scenes=1
    )
    items = _items(later)
    assert len(items) == 1
    assert items[0].datetime == overpass_datetimes(226, 10, datetime.date(2021, 5, 10), END)[0]
    item_dirs = [p for p in (tmp_path / "landsat-c2-l1").iterdir() if p.is_dir()]
    assert [p.name for p in item_dirs] == [items[0].id]  # stale items removed
    first_two = [product_id_for(226, 10, at) for at in overpass_datetimes(226, 10, START, END)[:2]]
    assert sorted(os.listdir(tmp_path / "scenes")) == first_two  # the 05-19 scene was reused


def test_one_terrain_seed_is_one_place_under_other_weather(tmp_path):
    """Scenes of one place (terrain_seed) on two dates show the same land under other clouds:
    their SWIR1 (land against sea, untouched by the sea ice, which is weather) agrees where
    both are clear; another terrain seed is another landscape."""
    from landsat_ops.scene.qa import clear_mask

    def scene(seed: int, terrain: int, day: int):
        folder = make_scene(
            tmp_path / f"{seed}-{terrain}",
            acquired=datetime.datetime(2024, 7, day, 13, 20),
            width=200,
            height=200,
            seed=seed,
            cloud_cover=30.0,
            terrain_seed=terrain,
        )
        files = find_scene_files(folder)
        with rasterio.open(files.bands[6]) as swir1, rasterio.open(files.qa) as qa:
            return swir1.read(1).astype(float), clear_mask(qa.read(1), files.qa_kind)

    swir_a, clear_a = scene(1, 7, 14)
    swir_b, clear_b = scene(2, 7, 30)
    swir_c, clear_c = scene(2, 8, 30)
    both = clear_a & clear_b
    assert both.sum() > 5000
    assert not np.array_equal(clear_a, clear_b)  # other clouds
    assert np.corrcoef(swir_a[both], swir_b[both])[0, 1] > 0.9  # the same land
    other = clear_a & clear_c
    assert np.corrcoef(swir_a[other], swir_c[other])[0, 1] < 0.6  # another place
