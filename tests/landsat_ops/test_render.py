"""The renderer against independent arithmetic on real Landsat 8 bands.

Scenes (../shared/data/landsat, see its README):
- CROP: native 30 m pre-collection L1T crop, no fill.
- EDGE: a whole Collection 1 L1 scene at 900 m with real 0-fill edges.
- L2: a Collection 2 Level-2 surface reflectance scene (tropics, vegetation + cloud).
- ICE: a Collection 2 Level-2 scene over Greenland (snow and ice).

The tests of pixels written by a percentile stretch render with ``stretch="linear"`` (every
valid pixel, linear: the default before issue 13); the natural-colour default is tested in
test_render_natural.py.
"""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image

from landsat_ops.render import render_scene
from landsat_ops.render.destination import current_folder

CROP = "rasters/LC80200392015216LGN00_crop30m"
EDGE = "rasters/LC08_L1TP_016037_20170813_20170814_01_RT_900m"
L2 = "rasters/LC08_L2SP_008059_20191201_20200825_02_T1_512px"
ICE = "rasters/LC08_L2SP_005009_20150710_20200908_02_T2_512px"
CLOUDY_L2 = "rasters/LC08_L2SP_001062_20201031_20201106_02_T2_5pct"


def band(folder: Path, n: int) -> np.ndarray:
    (path,) = [p for p in folder.iterdir() if p.name.upper().endswith(f"_B{n}.TIF")]
    with rasterio.open(path) as ds:
        return ds.read(1)


def expected_stretch(dn: np.ndarray, low: float, high: float) -> np.ndarray:
    """8-bit stretch written out directly: fill -> 0, low..high -> 1..255, clipped."""
    scaled = np.clip(np.rint(1 + (dn.astype(np.float64) - low) * 254 / (high - low)), 1, 255)
    return np.where(dn == 0, 0, scaled).astype(np.uint8)


def read_tif(path: Path) -> np.ndarray:
    with rasterio.open(path) as ds:
        return ds.read()


def assert_valid_cog(path: Path, count: int, dtype: str, compression: str = "ZSTD") -> None:
    with rasterio.open(path) as ds:
        structure = ds.tags(ns="IMAGE_STRUCTURE")
        assert structure.get("LAYOUT") == "COG", f"{path.name} has no COG layout"
        assert structure.get("COMPRESSION") == compression
        assert ds.count == count and ds.dtypes[0] == dtype
        assert ds.profile["tiled"] and ds.block_shapes[0] == (512, 512)
        full_offset = int(ds.get_tag_item("BLOCK_OFFSET_0_0", "TIFF", bidx=1))
        overviews = ds.overviews(1)
        if max(ds.width, ds.height) > 512:
            assert overviews, f"{path.name} has no overviews"
    for level in range(len(overviews)):
        with rasterio.open(path, overview_level=level) as ovr:
            # COG: overview data lies before the full-resolution data.
            assert int(ovr.get_tag_item("BLOCK_OFFSET_0_0", "TIFF", bidx=1)) < full_offset


@pytest.fixture(scope="module")
def crop_render(landsat_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("crop")
    result = render_scene(landsat_data / CROP, out, stretch="linear")
    return landsat_data / CROP, out, result


def test_all_products_written(crop_render):
    _, out, result = crop_render
    sid = "LC80200392015216LGN00"
    expected = {
        f"{sid}_truecolor.tif",
        f"{sid}_truecolor.png",
        f"{sid}_thumbnail.png",
        f"{sid}_falsecolor.tif",
        f"{sid}_falsecolor.png",
        f"{sid}_ndvi.tif",
        f"{sid}_ndvi_visual.tif",
        f"{sid}_ndvi.png",
        f"{sid}_extent.tif",
        f"{sid}_extent.png",
        f"{sid}_histograms.png",
        f"{sid}.json",
    }
    # The scene's item at the top, the products in the one version folder it names, with
    # the version's own item (hrefs relative to that folder).
    assert {p.name for p in out.iterdir()} == {f"{sid}.json", sid}
    version = current_folder(out)
    assert version.parent == out / sid and len(version.name) == 16
    assert {p.name for p in version.iterdir()} == expected
    assert result.scene_id == sid
    assert result.item_uri == str(out / f"{sid}.json")
    item = json.loads((out / f"{sid}.json").read_text())
    assert item["properties"]["landsat_ops:product_version"] == version.name
    assert {a["href"] for a in item["assets"].values()} == {
        f"./{sid}/{version.name}/{name}" for name in expected - {f"{sid}.json"}
    }


@pytest.mark.parametrize("product, bands", [("truecolor", (4, 3, 2)), ("falsecolor", (7, 5, 1))])
def test_percentile_stretch_matches_numpy(crop_render, product, bands):
    folder, out, result = crop_render
    cutoffs = result.stretch[product]["cutoffs"]
    rgb = read_tif(current_folder(out) / f"LC80200392015216LGN00_{product}.tif")
    for channel, (n, (low, high)) in enumerate(zip(bands, cutoffs, strict=True)):
        dn = band(folder, n)
        p2, p98 = np.percentile(dn[dn > 0], [2, 98])
        assert (low, high) == pytest.approx((p2, p98), abs=1e-3), f"B{n} cut-offs"
        np.testing.assert_array_equal(rgb[channel], expected_stretch(dn, p2, p98))


def test_readme_cutoffs(crop_render):
    """The README of the data lists p2/p98 of the crop's bands."""
    _, _, result = crop_render
    assert result.stretch["truecolor"]["cutoffs"] == [[6382, 12609], [7120, 12846], [7958, 13383]]


def test_ndvi_is_toa_reflectance_ratio(crop_render):
    folder, out, _ = crop_render
    red = band(folder, 4) * 2.0e-05 - 0.1  # REFLECTANCE_MULT/ADD_BAND_4 of the MTL
    nir = band(folder, 5) * 2.0e-05 - 0.1
    expected = (nir - red) / (nir + red)
    with rasterio.open(current_folder(out) / "LC80200392015216LGN00_ndvi.tif") as ds:
        assert ds.dtypes[0] == "float32" and np.isnan(ds.nodata)
        ndvi = ds.read(1)
    np.testing.assert_allclose(ndvi, expected, rtol=1e-5, atol=1e-6)
    assert 0.3 < float(np.median(ndvi)) < 0.7  # forest and farmland


@pytest.mark.parametrize(
    "name, count, dtype",
    [
        ("truecolor", 3, "uint8"),
        ("falsecolor", 3, "uint8"),
        ("ndvi", 1, "float32"),
        ("ndvi_visual", 1, "uint8"),
    ],
)
def test_cogs_are_valid(crop_render, name, count, dtype):
    folder, out, _ = crop_render
    path = current_folder(out) / f"LC80200392015216LGN00_{name}.tif"
    assert_valid_cog(path, count, dtype)
    with rasterio.open(path) as ds, rasterio.open(next(folder.glob("*_B4.TIF"))) as src:
        assert ds.crs == src.crs and ds.transform == src.transform
        assert (ds.width, ds.height) == (src.width, src.height)  # full resolution


def test_previews_never_upsampled(crop_render):
    _, out, _ = crop_render
    for name in ("truecolor", "falsecolor", "ndvi"):
        with Image.open(current_folder(out) / f"LC80200392015216LGN00_{name}.png") as im:
            assert im.mode == "RGBA" and im.size == (627, 603)


def test_stac_item_lists_products_with_checksums(crop_render):
    _, out, result = crop_render
    item = json.loads((out / "LC80200392015216LGN00.json").read_text())
    assert item["type"] == "Feature" and item["id"] == "LC80200392015216LGN00"
    assert item["properties"]["datetime"].startswith("2015-08-04T16:")
    assert item["properties"]["eo:cloud_cover"] == pytest.approx(11.08)
    # Issue 13: pre-collection items carry grid:code, not the undeclared landsat:wrs_path.
    assert item["properties"]["grid:code"] == "WRS2-020039"
    assert not [k for k in item["properties"] if k.startswith("landsat:")]
    assert item["properties"]["landsat_ops:stretch"] == result.stretch
    assert len(item["assets"]) == 11  # 10 products and the thumbnail
    for asset in item["assets"].values():
        path = out / asset["href"]
        assert asset["file:checksum"] == "1220" + hashlib.sha256(path.read_bytes()).hexdigest()
        assert asset["file:size"] == path.stat().st_size
    west, south, east, north = item["bbox"]
    assert -87.6 < west < east < -87.2 and 30.6 < south < north < 30.9


def test_histogram_figure(crop_render):
    _, out, _ = crop_render
    with Image.open(current_folder(out) / "LC80200392015216LGN00_histograms.png") as im:
        assert im.format == "PNG" and im.size[0] >= 800


def test_fill_edges_are_nodata(landsat_data, tmp_path):
    folder = landsat_data / EDGE
    result = render_scene(folder, tmp_path, products="truecolor", stretch="linear")
    sid = result.scene_id
    b4, b3, b2 = (band(folder, n) for n in (4, 3, 2))
    fill = (b4 == 0) | (b3 == 0) | (b2 == 0)
    assert 0.2 < fill.mean() < 0.5  # a whole scene's rotated footprint
    for n, (low, high) in zip((4, 3, 2), result.stretch["truecolor"]["cutoffs"], strict=True):
        dn = band(folder, n)
        assert (low, high) == pytest.approx(tuple(np.percentile(dn[dn > 0], [2, 98])), abs=1e-3)
    with rasterio.open(current_folder(tmp_path) / f"{sid}_truecolor.tif") as ds:
        assert ds.nodata == 0
        rgb = ds.read()
    assert (rgb[:, fill] == 0).all()
    assert (rgb[:, ~fill] > 0).all()
    alpha = np.asarray(Image.open(current_folder(tmp_path) / f"{sid}_truecolor.png"))[..., 3]
    np.testing.assert_array_equal(alpha == 0, fill)


def test_level2_ndvi_uses_surface_reflectance(landsat_data, tmp_path):
    folder = landsat_data / L2
    result = render_scene(folder, tmp_path, products="ndvi")
    red_dn, nir_dn = band(folder, 4), band(folder, 5)
    red = red_dn * 2.75e-05 - 0.2
    nir = nir_dn * 2.75e-05 - 0.2
    # Issue 13: negative reflectance is no data (was: only red + NIR <= 0), so NDVI is in [-1, 1].
    ok = (red_dn > 0) & (nir_dn > 0) & (red > 0) & (nir > 0)
    expected = np.where(ok, (nir - red) / np.where(ok, nir + red, 1), np.nan)
    with rasterio.open(current_folder(tmp_path) / f"{result.scene_id}_ndvi.tif") as ds:
        ndvi = ds.read(1)
    np.testing.assert_allclose(ndvi, expected, rtol=1e-4, atol=1e-5)
    assert np.isnan(ndvi[red_dn == 0]).all()
    assert ((red < 0) & (red + nir > 0)).any(), "the scene has the pixels that gave NDVI 6.457"


@pytest.mark.parametrize("scene", [CROP, EDGE, L2, ICE, CLOUDY_L2])
def test_ndvi_within_minus_one_one_everywhere(landsat_data, tmp_path, scene):
    result = render_scene(landsat_data / scene, tmp_path, products="ndvi", preview_size=64)
    with rasterio.open(current_folder(tmp_path) / f"{result.scene_id}_ndvi.tif") as ds:
        levels = [ds.read(1)] + [
            rasterio.open(ds.name, overview_level=i).read(1) for i in range(len(ds.overviews(1)))
        ]
    for values in levels:
        finite = values[np.isfinite(values)]
        assert finite.size and finite.min() >= -1.0 and finite.max() <= 1.0


def test_manual_ranges_are_the_tutorials_arithmetic(landsat_data, tmp_path):
    """Issue 13: ``--ranges`` gives the tutorial's 8-bit values exactly (was: 1..255 rounded).

    The tutorial rescales in float64, clips to 0..1 and matplotlib turns the float RGB image
    into bytes; the only difference kept is that a valid pixel is never 0 (the no-data value).
    """
    from matplotlib.cm import ScalarMappable

    folder = landsat_data / CROP
    ranges = [(5900, 11000), (6200, 11000), (7600, 11000)]
    result = render_scene(folder, tmp_path, products=["truecolor"], ranges=ranges)
    assert result.stretch["truecolor"]["method"] == result.stretch["truecolor"]["mode"] == "manual"
    rgb = read_tif(current_folder(tmp_path) / f"{result.scene_id}_truecolor.tif")
    dn = [band(folder, n) for n in (4, 3, 2)]
    tutorial = np.dstack(
        [
            np.clip((d.astype(float) - lo) / (hi - lo), 0, 1)
            for d, (lo, hi) in zip(dn, ranges, strict=True)
        ]
    )
    matplotlib_bytes = ScalarMappable().to_rgba(tutorial, bytes=True)[..., :3]
    for channel in range(3):
        expected = np.where(dn[channel] == 0, 0, np.maximum(matplotlib_bytes[..., channel], 1))
        np.testing.assert_array_equal(rgb[channel], expected)
    assert (rgb == matplotlib_bytes.transpose(2, 0, 1)).mean() > 0.999


def test_ice_shows_cyan_in_false_colour(landsat_data, tmp_path):
    folder = landsat_data / ICE
    result = render_scene(folder, tmp_path, products="falsecolor", preview_size=256)
    rgb = read_tif(current_folder(tmp_path) / f"{result.scene_id}_falsecolor.tif").astype(int)
    green = band(folder, 3)
    bright = green > np.percentile(green[green > 0], 90)  # snow and ice
    r, g, b = (rgb[c][bright].mean() for c in range(3))
    assert g > r + 40 and b > r + 40, (r, g, b)
    with Image.open(current_folder(tmp_path) / f"{result.scene_id}_falsecolor.png") as im:
        assert max(im.size) == 256


def test_custom_percentiles(landsat_data, tmp_path):
    folder = landsat_data / CROP
    result = render_scene(
        folder, tmp_path, products="truecolor", percentiles=(1, 99), stretch="linear"
    )
    dn = band(folder, 4)
    assert result.stretch["truecolor"]["cutoffs"][0] == pytest.approx(
        list(np.percentile(dn[dn > 0], [1, 99])), abs=1e-3
    )


def _inside(lon: float, lat: float, ring: list) -> bool:
    """Ray casting point-in-polygon."""
    inside = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
        if (y0 > lat) != (y1 > lat) and lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def test_item_geometry_is_the_data_footprint(landsat_data, tmp_path):
    from rasterio.warp import transform

    folder = landsat_data / EDGE
    result = render_scene(folder, tmp_path, products="truecolor", preview_size=256)
    item = json.loads((tmp_path / f"{result.scene_id}.json").read_text())
    ring = item["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) >= 5
    signed_area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False))
    assert signed_area > 0, "exterior ring must be counter-clockwise"
    with rasterio.open(next(folder.glob("*_B4.TIF"))) as ds:
        dn = ds.read(1)
        rows, cols = np.nonzero(dn)
        xs, ys = ds.xy(rows[:: len(rows) // 50], cols[:: len(cols) // 50])
        corner = ds.xy(0, 0)
        crs = ds.crs
    lons, lats = transform(crs, "EPSG:4326", list(xs), list(ys))
    assert all(_inside(lon, lat, ring) for lon, lat in zip(lons, lats, strict=True))
    (lon,), (lat,) = transform(crs, "EPSG:4326", [corner[0]], [corner[1]])
    assert dn[0, 0] == 0 and not _inside(lon, lat, ring)  # a fill corner is outside


def test_deflate_compression(landsat_data, tmp_path):
    folder = landsat_data / CROP
    result = render_scene(
        folder, tmp_path, products="truecolor,ndvi", compression="deflate", stretch="linear"
    )
    assert_valid_cog(
        current_folder(tmp_path) / f"{result.scene_id}_truecolor.tif", 3, "uint8", "DEFLATE"
    )
    assert_valid_cog(
        current_folder(tmp_path) / f"{result.scene_id}_ndvi.tif", 1, "float32", "DEFLATE"
    )
    rgb = read_tif(current_folder(tmp_path) / f"{result.scene_id}_truecolor.tif")
    low, high = result.stretch["truecolor"]["cutoffs"][0]
    np.testing.assert_array_equal(rgb[0], expected_stretch(band(folder, 4), low, high))


@pytest.fixture(scope="module")
def multi_strip_render(tmp_path_factory):
    """A synthetic scene of several 512-row strips (split between threads) and overviews."""
    import datetime as dt

    from landsat_demo.synthetic import make_scene

    folder = make_scene(
        tmp_path_factory.mktemp("scene"),
        width=1300,
        height=1100,
        acquired=dt.datetime(2024, 7, 30, 13, 42, tzinfo=dt.UTC),
    )
    out = tmp_path_factory.mktemp("out")
    return folder, out, render_scene(folder, out, preview_size=300, stretch="linear")


def test_multi_strip_products_match_whole_band_arithmetic(multi_strip_render):
    folder, out, result = multi_strip_render
    sid = result.scene_id
    dn = {n: band(folder, n) for n in (1, 2, 3, 4, 5, 7)}
    for product, bands in (("truecolor", (4, 3, 2)), ("falsecolor", (7, 5, 1))):
        rgb = read_tif(current_folder(out) / f"{sid}_{product}.tif")
        any_fill = np.any([dn[n] == 0 for n in bands], axis=0)
        for channel, n in enumerate(bands):
            low, high = np.percentile(dn[n][dn[n] > 0], [2, 98])
            expected = np.where(any_fill, 0, expected_stretch(dn[n], low, high))
            np.testing.assert_array_equal(rgb[channel], expected, err_msg=f"{product} B{n}")
    with rasterio.open(current_folder(out) / f"{sid}_ndvi.tif") as ds:
        ndvi = ds.read(1)
    assert np.isnan(ndvi[(dn[4] == 0) | (dn[5] == 0)]).all()
    assert np.isfinite(ndvi[(dn[4] > 0) & (dn[5] > 0)]).all()


@pytest.mark.parametrize("name", ["truecolor", "ndvi"])
def test_overviews_are_nodata_aware_averages_of_full_resolution(multi_strip_render, name):
    """Issue 13: average overviews (were nearest samples), fill/NaN left out of each mean."""
    _, out, result = multi_strip_render
    path = current_folder(out) / f"{result.scene_id}_{name}.tif"
    assert_valid_cog(
        path, 3 if name == "truecolor" else 1, "uint8" if name != "ndvi" else "float32"
    )
    with rasterio.open(path) as ds:
        full = ds.read().astype(np.float64)
        factors = ds.overviews(1)
        assert factors == [2, 4]
        if name == "truecolor":
            assert [c.name for c in ds.colorinterp] == ["red", "green", "blue"]
    valid = np.isfinite(full) if name == "ndvi" else full != 0
    for level, factor in enumerate(factors):
        with rasterio.open(path, overview_level=level) as ovr:
            data = ovr.read().astype(np.float64)
        for r in range(0, data.shape[1], 97):  # every 97th cell row and column
            for c in range(0, data.shape[2], 97):
                cell = np.s_[:, r * factor : (r + 1) * factor, c * factor : (c + 1) * factor]
                ok = valid[cell]
                for band in range(full.shape[0]):
                    values = full[cell][band][ok[band]]
                    if not values.size:
                        assert data[band, r, c] == 0 or np.isnan(data[band, r, c])
                    elif name == "ndvi":
                        assert data[band, r, c] == pytest.approx(values.mean(), rel=1e-5)
                    else:
                        assert data[band, r, c] == np.rint(values.mean())


def test_paletted_ndvi_is_the_ndvi_quantised_at_every_level(multi_strip_render):
    """<ID>_ndvi_visual.tif: each level (full resolution and every overview) is the NDVI
    COG's same level mapped to 128 + round(127 NDVI), 0 where NDVI is NaN; its palette is
    the RdYlGn of the NDVI preview, entry 0 transparent."""
    from landsat_ops.products import ndvi_level
    from landsat_ops.raster.ops import colorize, colormap_lut

    _, out, result = multi_strip_render
    folder = current_folder(out)
    visual = folder / f"{result.scene_id}_ndvi_visual.tif"
    assert_valid_cog(visual, 1, "uint8")
    with rasterio.open(folder / f"{result.scene_id}_ndvi.tif") as ds:
        levels = [None, *range(len(ds.overviews(1)))]
    for level in levels:
        extra = {} if level is None else {"overview_level": level}
        with rasterio.open(folder / f"{result.scene_id}_ndvi.tif", **extra) as ds:
            ndvi = ds.read(1).astype(np.float64)
        with rasterio.open(visual, **extra) as ds:
            palette_levels = ds.read(1)
        finite = np.isfinite(ndvi)
        assert finite.any() and (~finite).any(), "the scene has data and fill"
        assert (palette_levels[~finite] == 0).all()
        expected = np.clip(np.floor(128.5 + 127 * ndvi[finite]), 1, 255)
        np.testing.assert_array_equal(palette_levels[finite], expected, err_msg=f"level {level}")
        for i in np.flatnonzero(finite)[:: max(1, finite.sum() // 50)]:  # the scalar rule
            assert ndvi_level(ndvi.flat[i]) == palette_levels.flat[i]
    with rasterio.open(visual) as ds:
        assert ds.nodata == 0 and [c.name for c in ds.colorinterp] == ["palette"]
        palette = ds.colormap(1)
        assert ds.descriptions[0].startswith("NDVI as palette levels")
    assert palette[0][3] == 0 and all(palette[i][3] == 255 for i in range(1, 256))
    lut = colormap_lut("RdYlGn")
    for level in (1, 64, 128, 200, 255):
        expected_colour = colorize(np.array([(level - 128) / 127]), -1, 1, lut)[0]
        assert palette[level] == tuple(int(v) for v in expected_colour)


def test_cog_band_descriptions_and_statistics(multi_strip_render):
    _, out, result = multi_strip_render
    with rasterio.open(current_folder(out) / f"{result.scene_id}_truecolor.tif") as ds:
        assert [d.split()[2] for d in ds.descriptions] == ["4", "3", "2"]
        tags = ds.tags(1)
        assert 1 <= float(tags["STATISTICS_MINIMUM"]) <= float(tags["STATISTICS_MEAN"]) <= 255
    with rasterio.open(current_folder(out) / f"{result.scene_id}_ndvi.tif") as ds:
        assert np.isnan(ds.nodata) and ds.descriptions[0].startswith("NDVI")
        tags = ds.tags(1)
        assert -1 <= float(tags["STATISTICS_MINIMUM"]) <= float(tags["STATISTICS_MAXIMUM"]) <= 1


def test_mean_pyramid_edges_and_nodata():
    from landsat_ops.raster.ops import mean_pyramid

    data = np.array([[[0, 10, 20], [0, 30, 0], [5, 0, 0]]], dtype=np.uint8)
    half, quarter = mean_pyramid(data, [2, 4], 0)
    assert half.tolist() == [[[20, 20], [5, 0]]]
    assert quarter.tolist() == [[[16]]]  # (10 + 20 + 30 + 5) / 4 = 16.25, not a mean of means
    nan = np.float32(np.nan)
    (level,) = mean_pyramid(np.array([[[nan, 0.5], [nan, nan]]], np.float32), [2], np.nan)
    assert level.tolist() == [[[0.5]]]


@pytest.mark.parametrize(
    "products", ["histograms", "ndvi,histograms", "falsecolor,histograms", "truecolor,ndvi"]
)
def test_product_subsets(multi_strip_render, tmp_path, products):
    folder, _, full = multi_strip_render
    out, work = tmp_path / "out", tmp_path / "work"
    work.mkdir()
    result = render_scene(
        folder, out, products=products, preview_size=300, workdir=work, stretch="linear"
    )
    sid = result.scene_id
    expected = {f"{sid}.json"}
    for name in products.split(","):
        suffixes = (".png",) if name == "histograms" else (".tif", ".png")
        expected |= {f"{sid}_{name}{suffix}" for suffix in suffixes}
        expected |= {f"{sid}_thumbnail.png"} if name == "truecolor" else set()
        expected |= {f"{sid}_ndvi_visual.tif"} if name == "ndvi" else set()
    assert {p.name for p in current_folder(out).iterdir()} == expected
    assert not list(work.iterdir()), "scratch files left behind"
    # The same stretch as the full render: the cut-offs do not depend on what is written.
    for name, stretch in result.stretch.items():
        assert stretch == full.stretch[name]


def test_a_band_failing_mid_scene_leaves_nothing(multi_strip_render, tmp_path):
    """A truncated band fails in a worker thread, after other strips were done."""
    import shutil

    from landsat_ops.errors import RasterError

    source, _, _ = multi_strip_render
    folder = tmp_path / source.name
    shutil.copytree(source, folder)
    (b5,) = folder.glob("*_B5.TIF")
    b5.write_bytes(b5.read_bytes()[: b5.stat().st_size * 2 // 3])
    out, work = tmp_path / "out", tmp_path / "work"
    work.mkdir()
    with pytest.raises(RasterError, match=r"_B5\.TIF"):
        render_scene(folder, out, workdir=work)
    assert not out.exists() or not list(out.iterdir())
    assert not list(work.iterdir())
