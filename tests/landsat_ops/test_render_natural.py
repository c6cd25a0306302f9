"""The natural true colour (issue 18) on real Landsat 8 scenes and synthetic ones.

Every number is measured against the input bands (reflectance computed here from the MTL, QA
masks, NDVI/NDSI classes), never against the renderer's own intermediate values:

- pure white (255, 255, 255) at most 5 % of the valid pixels;
- the brightest fifth of the scene (by reflectance luminance) spans at least 12 output levels
  between its p10 and p90 (clouds, snow and ice keep texture);
- vegetation (NDVI > 0.5, clear) median with G > R and G > B; water median R < G <= B;
- clear land (water, snow and ice left out) median luminance within 55..200;
- clouds neutral: median |R - B| <= 20.

Real scenes: ``C1`` Collection 1 L1 900 m (South Carolina, 27 % cloud, sea), ``TROPICS`` C2 L2
(Colombia, 81 % cloud), ``ICE`` C2 L2 (central Greenland), ``OVERCAST`` C2 L2 (Amazon, 99.9 %
cloud), ``CROP`` pre-collection 30 m (Alabama/Florida, cumulus over forest).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image

from landsat_ops.products import NATURAL_CURVE, THUMBNAIL_SIZE
from landsat_ops.render import render_scene
from landsat_ops.scene import find_scene_files, read_mtl
from landsat_ops.scene.qa import clear_mask, cloud_mask

C1 = "rasters/LC08_L1TP_016037_20170813_20170814_01_RT_900m"
TROPICS = "rasters/LC08_L2SP_008059_20191201_20200825_02_T1_512px"
ICE = "rasters/LC08_L2SP_005009_20150710_20200908_02_T2_512px"
OVERCAST = "rasters/LC08_L2SP_001062_20201031_20201106_02_T2_5pct"
CROP = "rasters/LC80200392015216LGN00_crop30m"
REAL = {"c1": C1, "tropics": TROPICS, "ice": ICE, "overcast": OVERCAST, "crop": CROP}
MIN_CLASS = 500  # pixels a class needs before its median is asserted


def read(path) -> np.ndarray:
    with rasterio.open(path) as ds:
        return ds.read()


class Scene:
    """The input bands of a scene as reflectance, and its classes (from the inputs only)."""

    def __init__(self, folder: Path):
        self.files = files = find_scene_files(folder)
        self.meta = meta = read_mtl(files.mtl)
        self.dn = {b: read(files.bands[b])[0] for b in (2, 3, 4, 5, 6)}
        self.rho = {}
        for b, dn in self.dn.items():
            if files.surface_reflectance:
                rho = dn * meta.sr_mult[b] + meta.sr_add[b]
            else:
                rho = (dn * meta.reflectance_mult[b] + meta.reflectance_add[b]) / math.sin(
                    math.radians(meta.sun_elevation)
                )
            self.rho[b] = rho.astype(np.float64)
        qa = read(files.qa)[0]
        self.valid = (self.dn[4] > 0) & (self.dn[3] > 0) & (self.dn[2] > 0)
        self.clear = clear_mask(qa, files.qa_kind) & self.valid
        self.cloud = cloud_mask(qa, files.qa_kind) & self.valid
        r = self.rho
        with np.errstate(invalid="ignore", divide="ignore"):
            ndvi = (r[5] - r[4]) / (r[5] + r[4])
            ndsi = (r[3] - r[6]) / (r[3] + r[6])
        self.luminance = (r[4] + r[3] + r[2]) / 3
        snow = (ndsi > 0.4) & (r[5] > 0.11)  # the standard Landsat snow test
        self.vegetation = self.clear & (ndvi > 0.5)
        self.water = self.clear & (ndvi < 0) & (r[5] < 0.08) & ~snow
        self.land = self.clear & ~self.water & ~snow & ~(ndvi < 0)

    def render(self, out: Path, **kwargs) -> tuple[np.ndarray, dict]:
        result = render_scene(self.files.folder, out, products="truecolor", **kwargs)
        rgb = read(result.outputs[f"{result.scene_id}_truecolor.tif"])
        return rgb, result.stretch["truecolor"]


def metrics(scene: Scene, rgb: np.ndarray) -> dict:
    """The issue's measures of a rendered true colour against its input scene."""
    valid = scene.valid
    grey = rgb.astype(np.float64).mean(axis=0)
    out = {"white": float(((rgb == 255).all(axis=0) & valid).sum() / valid.sum())}
    top = valid & (scene.luminance >= np.percentile(scene.luminance[valid], 80))
    out["top_spread"] = float(np.percentile(grey[top], 90) - np.percentile(grey[top], 10))
    for name in ("vegetation", "water"):
        mask = getattr(scene, name)
        if mask.sum() >= MIN_CLASS:
            out[name] = [float(np.median(rgb[c][mask])) for c in range(3)]
    if scene.land.sum() >= MIN_CLASS:
        out["land_grey"] = float(np.median(grey[scene.land]))
    if scene.cloud.sum() >= MIN_CLASS:
        diff = np.abs(rgb[0][scene.cloud].astype(int) - rgb[2][scene.cloud])
        out["cloud_rb"] = float(np.median(diff))
    out["near_black"] = float(((grey < 10) & valid).sum() / valid.sum())
    return out


def check_looks_like_the_earth(m: dict, top_spread: float = 12) -> None:
    assert m["white"] <= 0.05, m
    assert m["top_spread"] >= top_spread, m
    if "vegetation" in m:
        r, g, b = m["vegetation"]
        assert g > r and g > b, m
    if "water" in m:
        r, g, b = m["water"]
        assert r < g <= b, m
    if "land_grey" in m:
        assert 55 <= m["land_grey"] <= 200, m
    if "cloud_rb" in m:
        assert m["cloud_rb"] <= 20, m
    assert m["near_black"] <= 0.02, m


@pytest.fixture(scope="module")
def real(landsat_data, tmp_path_factory):
    """Each real scene's inputs and its natural (default) and linear true colours."""
    out = {}
    for name, rel in REAL.items():
        scene = Scene(landsat_data / rel)
        natural = scene.render(tmp_path_factory.mktemp(f"{name}-natural"))
        linear = scene.render(tmp_path_factory.mktemp(f"{name}-linear"), stretch="linear")
        out[name] = scene, natural, linear
    return out


@pytest.mark.parametrize("name", list(REAL))
def test_real_scene_looks_like_the_earth(real, name):
    scene, (rgb, stretch), _ = real[name]
    assert stretch["mode"] == "natural"
    m = metrics(scene, rgb)
    check_looks_like_the_earth(m)
    expected = {  # which classes each scene has enough of: the checks above did run
        "c1": {"vegetation", "water", "land_grey", "cloud_rb"},
        "tropics": {"vegetation", "land_grey", "cloud_rb"},
        "ice": {"cloud_rb"},
        "overcast": {"cloud_rb"},
        "crop": {"vegetation", "land_grey", "cloud_rb"},
    }[name]
    assert expected <= set(m), m


def test_cloudy_scenes_before_and_after(real):
    """What the issue measured: clouds blown to white, a violet sea, grey forest."""
    c1, (natural, _), (linear, _) = real["c1"]
    before, after = metrics(c1, linear), metrics(c1, natural)
    assert before["near_black"] > 0.3 and before["land_grey"] < 15  # land black under clouds
    assert after["land_grey"] > 5 * before["land_grey"]
    tropics, (natural, _), _ = real["tropics"]
    m = metrics(tropics, natural)
    # Clouds: 72 % of the valid pixels were pure white with the issue-13 curve.
    assert m["white"] < 0.01 and m["top_spread"] >= 15
    clouds = natural[:, tropics.cloud]
    assert (clouds == 255).all(axis=0).mean() < 0.02


def test_ice_is_white_with_texture(real):
    ice, (rgb, stretch), _ = real["ice"]
    bright = ice.valid & (ice.luminance > np.percentile(ice.luminance[ice.valid], 25))
    grey = rgb.astype(float).mean(axis=0)[bright]
    assert np.median(grey) > 200  # white, not mid-grey
    assert np.percentile(grey, 90) - np.percentile(grey, 10) >= 12  # yet not flat
    assert stretch["curve"]["k"] == NATURAL_CURVE["k_min"]  # a bright scene: the mildest curve


def test_overcast_scene_anchors_on_every_valid_pixel(real):
    _, (_, stretch), _ = real["overcast"]
    assert stretch["pixels"] == "valid" and stretch["clear_fraction"] < 0.01
    assert stretch["curve"]["anchor"]["pixels"] == "valid"


@pytest.mark.parametrize("name", ["c1", "tropics", "crop"])
def test_every_pixel_is_the_documented_curve(real, name):
    """The curve written out here from the MTL and the input bands, pixel for pixel."""
    scene, (rgb, stretch), _ = real[name]
    curve = stretch["curve"]
    valid = scene.valid
    corrected = []
    for band in (4, 3, 2):
        rho = scene.rho[band]
        if scene.files.surface_reflectance:
            haze, transmittance = 0.0, 1.0
        else:
            mu = math.sin(math.radians(scene.meta.sun_elevation))
            tau = {2: 0.1666, 3: 0.0896, 4: 0.0479}[band]
            path = tau * 0.75 * (1 + mu * mu) / (4 * mu)
            haze = min(path, np.percentile(rho[scene.dn[band] > 0], 0.5))
            transmittance = math.exp(-0.5 * tau * (1 / mu + 1)) ** (haze / path)
        corrected.append((rho - haze) / transmittance)
    white = np.mean(
        [np.percentile(c[scene.dn[b] > 0], 99.5) for c, b in zip(corrected, (4, 3, 2), strict=True)]
    )
    assert curve["white"] == pytest.approx(white, rel=1e-4)
    anchor_pixels = scene.clear if stretch["pixels"] == "clear" else valid
    anchor = np.mean(
        [
            np.median(c[anchor_pixels & (scene.dn[b] > 0)])
            for c, b in zip(corrected, (4, 3, 2), strict=True)
        ]
    )
    assert curve["anchor"]["x"] == pytest.approx(anchor / white, rel=1e-4)
    k = curve["k"]
    assert np.log1p(k * anchor / white) / np.log1p(k) == pytest.approx(0.33, abs=1e-3)
    levels = [
        np.clip(
            np.rint(1 + 254 * np.log1p(k * np.clip(c / curve["white"], 0, 1)) / np.log1p(k)), 1, 255
        )
        for c in corrected
    ]
    total = sum(levels)
    # Saturation 6/5 about the grey: (5 sum + 6 (3 v - sum)) / 15, rounded half up.
    expected = np.clip(np.floor((18 * np.stack(levels) - total) / 15 + 0.5), 1, 255)
    expected[:, ~valid] = 0
    # The same arithmetic in another order: a level on a rounding edge (x.5) may differ by one
    # before the saturation (x 1.2), so by up to two after it, in a handful of pixels.
    diff = np.abs(rgb.astype(int) - expected.astype(int))
    assert diff.max() <= 2 and (diff > 0).mean() < 1e-4


def test_linear_and_manual_stretches_unchanged(landsat_data, tmp_path):
    """--stretch linear: each channel's 2-98 % of valid pixels, linear; --ranges: the tutorial."""
    scene = Scene(landsat_data / C1)
    rgb, stretch = scene.render(tmp_path / "linear", stretch="linear")
    assert stretch["mode"] == "linear" and stretch["pixels"] == "valid"
    for c, band in enumerate((4, 3, 2)):
        dn = scene.dn[band]
        lo, hi = np.percentile(dn[dn > 0], [2, 98])
        assert stretch["cutoffs"][c] == pytest.approx([lo, hi], abs=1e-3)
        expected = np.clip(np.rint(1 + (dn.astype(float) - lo) * 254 / (hi - lo)), 1, 255)
        np.testing.assert_array_equal(rgb[c][scene.valid], expected[scene.valid])
    rgb, stretch = scene.render(tmp_path / "manual", ranges="5900:11000,6200:11000,7600:11000")
    assert stretch["mode"] == "manual"
    dn = scene.dn[4].astype(float)
    expected = np.maximum((np.clip((dn - 5900) / 5100, 0, 1) * 255).astype(np.uint8), 1)
    np.testing.assert_array_equal(rgb[0][scene.valid], expected[scene.valid])


def test_false_colour_stays_linear(landsat_data, tmp_path):
    result = render_scene(landsat_data / TROPICS, tmp_path, products="truecolor,falsecolor")
    assert result.stretch["falsecolor"]["mode"] == "linear"
    assert "curve" not in result.stretch["falsecolor"]


# -- synthetic scenes (no data needed) ---------------------------------------------------------
SYNTHETIC = {
    "greenland-summer": dict(path=226, row=10, acquired=dt.datetime(2024, 7, 30, 13, 30)),
    "greenland-spring": dict(path=226, row=10, acquired=dt.datetime(2024, 4, 2, 13, 30)),
    "tropics": dict(path=8, row=59, acquired=dt.datetime(2024, 1, 15, 15, 20)),
}


@pytest.mark.parametrize("name", list(SYNTHETIC))
def test_synthetic_scene_looks_like_the_earth(tmp_path, name):
    from landsat_demo.synthetic import make_scene

    kwargs = SYNTHETIC[name]
    kwargs = {**kwargs, "acquired": kwargs["acquired"].replace(tzinfo=dt.UTC)}
    folder = make_scene(tmp_path / "scene", width=480, height=480, seed=3, cloud_cover=40, **kwargs)
    scene = Scene(folder)
    rgb, stretch = scene.render(tmp_path / "out")
    m = metrics(scene, rgb)
    # Synthetic clouds are nearly uniform: the brightest fifth must keep a third of the spread
    # a linear stretch to the same white point would give it (at least 3 levels).
    lum = scene.luminance
    top = scene.valid & (lum >= np.percentile(lum[scene.valid], 80))
    spread_in = (np.percentile(lum[top], 90) - np.percentile(lum[top], 10)) / stretch["curve"][
        "white"
    ]
    check_looks_like_the_earth(m, top_spread=max(3.0, min(12.0, spread_in * 254 / 3)))
    assert {"vegetation", "water", "land_grey", "cloud_rb"} <= set(m), m


def test_thumbnail_is_small_and_in_the_item(tmp_path):
    from landsat_demo.synthetic import make_scene

    folder = make_scene(
        tmp_path / "scene", width=900, height=700, acquired=dt.datetime(2024, 7, 30, tzinfo=dt.UTC)
    )
    result = render_scene(folder, tmp_path / "out", products="truecolor", preview_size=600)
    sid = result.scene_id
    with Image.open(result.outputs[f"{sid}_thumbnail.png"]) as im:
        assert im.mode == "RGBA" and max(im.size) == THUMBNAIL_SIZE
        assert im.size[1] in (198, 199)  # 256 x 700 / 900, from the 600 px preview
    item = json.loads(Path(result.item_uri).read_text())
    thumb = item["assets"]["thumbnail"]
    assert thumb["roles"] == ["thumbnail"] and thumb["type"] == "image/png"
    assert thumb["href"].endswith(f"{sid}_thumbnail.png")
    assert thumb["file:size"] < 200_000


def test_histogram_sheet_draws_the_curve_applied_and_labels_its_cutoffs(
    real, monkeypatch, tmp_path
):
    """Each channel: the curve drawn is the table that made the pixels; the labels say what the
    cut-offs came from (white point of valid pixels, percentiles of valid pixels)."""
    from landsat_ops.render import figures, renderer

    scene, _, _ = real["c1"]
    drawn = {}
    save = figures.save_figure

    def keep(fig, target):
        drawn["fig"] = fig
        return save(fig, target)

    monkeypatch.setattr(figures, "save_figure", keep)
    captured = {}
    original = renderer.SceneRenderer._draw_histograms

    def spy(self):
        captured["stretches"] = self.stretches
        return original(self)

    monkeypatch.setattr(renderer.SceneRenderer, "_draw_histograms", spy)
    render_scene(scene.files.folder, tmp_path, products="truecolor,falsecolor,histograms")
    fig = drawn["fig"]
    natural = captured["stretches"]["truecolor"]
    luts = natural.luts()
    axes = fig.axes
    titles = [ax.get_title() for ax in axes]
    assert sum("white" in t and "p99.5 of valid" in t for t in titles) == 3
    assert sum("linear, p2" in t and "of valid pixels" in t for t in titles) == 3
    curves = [ax for ax in axes if ax.get_ylim() == (0, 260)]  # the right axes: output level
    for c, ax in enumerate(curves[:3]):
        x, y = ax.lines[0].get_data()
        channel = natural.plan.channels[c]
        dn = np.rint((x * channel.transmittance + channel.haze - channel.add) / channel.mult)
        np.testing.assert_array_equal(y, luts[c][dn.astype(int)])


def test_level1_scene_without_mtl_still_renders_natural(tmp_path):
    """No MTL: no sun elevation, so no haze correction; the white point and the exposure are
    scene-relative, so the picture is the same but for the haze (recorded as such)."""
    from landsat_demo.synthetic import make_scene

    folder = make_scene(
        tmp_path / "scene", width=300, height=300, acquired=dt.datetime(2024, 7, 30, tzinfo=dt.UTC)
    )
    with_mtl = Scene(folder)
    rgb_mtl, stretch_mtl = with_mtl.render(tmp_path / "with")
    for mtl in folder.glob("*_MTL*"):
        mtl.unlink()
    result = render_scene(folder, tmp_path / "without", products="truecolor")
    stretch = result.stretch["truecolor"]
    assert stretch["curve"]["reflectance"] == "toa (no sun elevation)"
    assert all(c["haze"] == 0 for c in stretch["curve"]["channels"])
    assert stretch_mtl["curve"]["reflectance"] == "toa"
    rgb = read(result.outputs[f"{result.scene_id}_truecolor.tif"])
    valid = with_mtl.valid
    assert (rgb[:, ~valid] == 0).all() and (rgb[:, valid] > 0).all()
    # Scale-free: only the haze differs, so the pictures are close.
    assert np.abs(rgb.astype(int) - rgb_mtl).mean() < 25
