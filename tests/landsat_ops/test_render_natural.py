"""The natural-colour true colour (issue 13) and the thumbnail, on real Landsat 8 scenes.

- EDGE: the cloudy Collection 1 L1 scene at 900 m (BQA): land was black under the clouds'
  share of the histogram (median 13/255 with the linear stretch).
- L2: a Collection 2 Level-2 scene (QA_PIXEL), tropics, mostly cloud.
- ICE: Greenland, snow and ice (QA_PIXEL).
- OVERCAST: 99.9 % cloud: too few clear pixels, the cut-offs fall back to every valid pixel.
"""

import json

import numpy as np
import pytest
import rasterio
from PIL import Image

from landsat_ops.products import NATURAL_CURVE, THUMBNAIL_SIZE
from landsat_ops.render import render_scene
from landsat_ops.scene import find_scene_files
from landsat_ops.scene.qa import clear_mask, cloud_mask

EDGE = "rasters/LC08_L1TP_016037_20170813_20170814_01_RT_900m"
L2 = "rasters/LC08_L2SP_008059_20191201_20200825_02_T1_512px"
ICE = "rasters/LC08_L2SP_005009_20150710_20200908_02_T2_512px"
OVERCAST = "rasters/LC08_L2SP_001062_20201031_20201106_02_T2_5pct"


def read(path) -> np.ndarray:
    with rasterio.open(path) as ds:
        return ds.read()


def scene_arrays(folder):
    files = find_scene_files(folder)
    dn = np.stack([read(files.bands[n])[0] for n in (4, 3, 2)])
    return dn, read(files.qa)[0], files.qa_kind


def natural_pixels(dn: np.ndarray, low: float, high: float) -> np.ndarray:
    """The natural stretch written out: linear to 0..1, rio-color's sigmoidal, 1..255."""
    contrast, bias = NATURAL_CURVE["contrast"], NATURAL_CURVE["bias"]
    x = np.clip((dn.astype(np.float64) - low) / (high - low), 0, 1)
    s0 = 1 / (1 + np.exp(contrast * bias))
    s1 = 1 / (1 + np.exp(contrast * (bias - 1)))
    y = (1 / (1 + np.exp(contrast * (bias - x))) - s0) / (s1 - s0)
    return np.where(dn == 0, 0, np.clip(np.rint(1 + 254 * y), 1, 255)).astype(np.uint8)


@pytest.fixture(scope="module")
def cloudy(landsat_data, tmp_path_factory):
    """The cloudy C1 scene's true colour, natural (default) and linear."""
    folder = landsat_data / EDGE
    out = {}
    for stretch in ("natural", "linear"):
        target = tmp_path_factory.mktemp(stretch)
        result = render_scene(folder, target, products="truecolor", stretch=stretch)
        out[stretch] = read(target / f"{result.scene_id}_truecolor.tif"), result
    return folder, out


def test_cloudy_scene_land_is_bright_and_clouds_saturate(cloudy):
    folder, out = cloudy
    dn, qa, kind = scene_arrays(folder)
    valid = (dn != 0).all(axis=0)
    clear = clear_mask(qa, kind) & valid
    cloud = cloud_mask(qa, kind) & valid
    natural, result = out["natural"]
    linear, _ = out["linear"]
    assert result.stretch["truecolor"]["mode"] == "natural"
    assert result.stretch["truecolor"]["pixels"] == "clear"
    assert np.median(linear[:, valid]) == 13  # the number: land black under clouds
    land = float(np.median(natural[:, clear]))
    assert land >= 80, land  # well above 13/255
    assert np.median(linear[:, clear]) <= 13
    for channel in range(3):
        assert np.median(natural[channel, cloud]) == 255  # clouds at the top of the range
    assert np.median(natural[:, valid]) > 3 * 13


@pytest.mark.parametrize("scene", [EDGE, L2, ICE])
def test_natural_cutoffs_are_clear_pixel_percentiles_and_pixels_follow_the_curve(
    landsat_data, tmp_path, scene
):
    folder = landsat_data / scene
    result = render_scene(folder, tmp_path, products="truecolor,histograms")
    stretch = result.stretch["truecolor"]
    assert stretch["curve"] == NATURAL_CURVE and stretch["pixels"] == "clear"
    dn, qa, kind = scene_arrays(folder)
    clear = clear_mask(qa, kind)
    rgb = read(tmp_path / f"{result.scene_id}_truecolor.tif")
    any_fill = (dn == 0).any(axis=0)
    for channel, (low, high) in enumerate(stretch["cutoffs"]):
        values = dn[channel][clear & (dn[channel] > 0)]
        assert (low, high) == pytest.approx(tuple(np.percentile(values, [2, 98])), abs=1e-3)
        expected = np.where(any_fill, 0, natural_pixels(dn[channel], low, high))
        np.testing.assert_array_equal(rgb[channel], expected)
    assert stretch["clear_fraction"] == pytest.approx(
        (clear & ~any_fill).sum() / (~any_fill).sum(), abs=1e-3
    )
    item = json.loads((tmp_path / f"{result.scene_id}.json").read_text())
    assert item["properties"]["landsat_ops:stretch"]["truecolor"] == stretch


def test_greenland_ice_is_white_not_grey(landsat_data, tmp_path):
    folder = landsat_data / ICE
    result = render_scene(folder, tmp_path, products="truecolor")
    rgb = read(tmp_path / f"{result.scene_id}_truecolor.tif")
    dn, qa, kind = scene_arrays(folder)
    bright = dn[1] > np.percentile(dn[1][dn[1] > 0], 75)  # snow and ice
    assert rgb[:, bright].mean() > 200


def test_overcast_scene_falls_back_to_every_valid_pixel(landsat_data, tmp_path):
    result = render_scene(landsat_data / OVERCAST, tmp_path, products="truecolor")
    stretch = result.stretch["truecolor"]
    assert stretch["mode"] == "natural" and stretch["pixels"] == "valid"
    assert stretch["clear_fraction"] < 0.01


def test_false_colour_stays_linear(landsat_data, tmp_path):
    result = render_scene(landsat_data / L2, tmp_path, products="truecolor,falsecolor")
    assert result.stretch["falsecolor"]["mode"] == "linear"
    assert "curve" not in result.stretch["falsecolor"]


def test_thumbnail_is_small_and_in_the_item(landsat_data, tmp_path):
    import datetime as dt

    from landsat_demo.synthetic import make_scene

    folder = make_scene(
        tmp_path / "scene", width=900, height=700, acquired=dt.datetime(2024, 7, 30, tzinfo=dt.UTC)
    )
    result = render_scene(folder, tmp_path / "out", products="truecolor", preview_size=600)
    sid = result.scene_id
    with Image.open(tmp_path / "out" / f"{sid}_thumbnail.png") as im:
        assert im.mode == "RGBA" and max(im.size) == THUMBNAIL_SIZE
        assert im.size[1] in (198, 199)  # 256 x 700 / 900, from the 600 px preview
    item = json.loads((tmp_path / "out" / f"{sid}.json").read_text())
    thumb = item["assets"]["thumbnail"]
    assert thumb["roles"] == ["thumbnail"] and thumb["type"] == "image/png"
    assert thumb["href"] == f"./{sid}_thumbnail.png"
    assert thumb["file:size"] < 200_000
