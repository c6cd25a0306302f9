"""Tests for landsat_ops.sampling: NDVI and QA cloud counts at points, POINTS parsing, S3 reads.

Correctness is checked on the real scenes in ../shared/data/landsat against arithmetic done
here from scratch: the test projects lon/lat itself (rasterio.warp), reads the whole bands,
applies the rescaling from the data README (2e-05/-0.1 for Level-1 TOA, 2.75e-05/-0.2 for
Level-2 SR) and the QA bit layouts written out below (not landsat_ops.scene.qa), then takes the
window mean. The points were picked from the rasters: clear, partly cloudy and cloudy windows,
windows on the footprint edge, fill and outside the grid.
"""

from __future__ import annotations

import http.client
import http.server
import math
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.warp import transform as warp_transform

from landsat_ops.errors import OptionError, SceneError, StorageError
from landsat_ops.sampling import (
    SAMPLE_COLUMNS,
    Point,
    SampleRow,
    gdal_s3_options,
    parse_points,
    read_points,
    sample_scene,
    samples_csv,
    write_samples,
)

PRE = "LC80200392015216LGN00_crop30m"
C1 = "LC08_L1TP_016037_20170813_20170814_01_RT_900m"
TROPICS = "LC08_L2SP_008059_20191201_20200825_02_T1_512px"
GREENLAND = "LC08_L2SP_005009_20150710_20200908_02_T2_512px"
AMAZON = "LC08_L2SP_001062_20201031_20201106_02_T2_5pct"  # 99.94 % cloud

TOA = (2.0e-05, -0.1)
SR = (2.75e-05, -0.2)


def _cloud_pre(qa):  # pre-collection BQA: cloud confidence bits 14-15 == 3 (yes)
    return ((qa >> 14) & 3) == 3


def _cloud_c1(qa):  # Collection 1 BQA: cloud bit 4
    return ((qa >> 4) & 1) == 1


def _cloud_c2(qa):  # Collection 2 QA_PIXEL: cloud bit 3 or dilated cloud bit 1
    return (((qa >> 3) & 1) | ((qa >> 1) & 1)) == 1


SCENES = {
    PRE: (TOA, _cloud_pre, 11.08),
    C1: (TOA, _cloud_c1, 26.70),
    TROPICS: (SR, _cloud_c2, 81.02),
    GREENLAND: (SR, _cloud_c2, 54.65),
    AMAZON: (SR, _cloud_c2, 99.94),
}


def _band(folder: Path, *suffixes: str) -> Path:
    for suffix in suffixes:
        found = sorted(folder.glob(f"*_{suffix}.TIF"))
        if found:
            return found[0]
    raise AssertionError(f"no {suffixes} in {folder}")


def independent_sample(folder: Path, lon: float, lat: float, radius: int = 1) -> dict:
    """The expected sample, computed without landsat_ops."""
    (mult, add), is_cloud, _ = SCENES[folder.name]
    with (
        rasterio.open(_band(folder, "SR_B4", "B4")) as red_ds,
        rasterio.open(_band(folder, "SR_B5", "B5")) as nir_ds,
        rasterio.open(_band(folder, "QA_PIXEL", "BQA")) as qa_ds,
    ):
        (x,), (y,) = warp_transform("EPSG:4326", red_ds.crs, [lon], [lat])
        row, col = red_ds.index(x, y, op=math.floor)
        assert 0 <= row < red_ds.height and 0 <= col < red_ds.width, "pick a point in the grid"
        rows = slice(max(row - radius, 0), min(row + radius + 1, red_ds.height))
        cols = slice(max(col - radius, 0), min(col + radius + 1, red_ds.width))
        red_dn = red_ds.read(1)[rows, cols]
        nir_dn = nir_ds.read(1)[rows, cols]
        qa = qa_ds.read(1)[rows, cols]
    red = red_dn.astype(np.float64) * mult + add
    nir = nir_dn.astype(np.float64) * mult + add
    data = (red_dn != 0) & (nir_dn != 0) & ((qa & 1) == 0)
    defined = data & (red > 0) & (nir > 0)  # issue 13: both reflectances positive (was: sum)
    with np.errstate(invalid="ignore", divide="ignore"):
        ndvi = (nir - red) / (nir + red)
    centre = (row - rows.start, col - cols.start)
    return {
        "ndvi": float(ndvi[defined].mean()) if defined.any() else None,
        "valid_px": int(defined.sum()),
        "cloudy_px": int((is_cloud(qa) & defined).sum()),
        "centre_fill": not data[centre],
    }


# (scene, lon, lat, valid_px, cloudy_px, what the window holds)
KNOWN_POINTS = [
    pytest.param(PRE, -87.365048, 30.667858, 9, 0, id="pre-collection-clear"),
    pytest.param(PRE, -87.311348, 30.719161, 9, 1, id="pre-collection-cumulus-edge"),
    pytest.param(PRE, -87.42266, 30.737525, 9, 9, id="pre-collection-cumulus"),
    pytest.param(PRE, -87.465316, 30.809927, 6, 0, id="pre-collection-top-row-clipped"),
    pytest.param(C1, -79.3738, 32.403858, 9, 0, id="c1-clear"),
    pytest.param(C1, -79.95865, 33.132558, 9, 6, id="c1-partly-cloudy"),
    pytest.param(C1, -79.202783, 33.765124, 9, 9, id="c1-cloudy"),
    pytest.param(C1, -79.054506, 33.876492, 6, 5, id="c1-footprint-edge"),
    pytest.param(TROPICS, -75.164536, 1.503444, 9, 0, id="c2-tropics-clear"),
    pytest.param(TROPICS, -75.036582, 1.470621, 9, 7, id="c2-tropics-partly-cloudy"),
    pytest.param(TROPICS, -75.024585, 1.294167, 9, 9, id="c2-tropics-cloudy"),
    pytest.param(TROPICS, -75.772573, 2.16393, 5, 5, id="c2-tropics-footprint-edge"),
    pytest.param(GREENLAND, -41.48195, 71.651048, 9, 0, id="c2-greenland-clear"),
    pytest.param(GREENLAND, -39.858901, 71.757883, 9, 7, id="c2-greenland-partly-cloudy"),
    pytest.param(GREENLAND, -36.632826, 72.788532, 7, 7, id="c2-greenland-footprint-edge"),
    pytest.param(AMAZON, -64.312892, -2.306961, 9, 8, id="c2-amazon-partly-cloudy"),
    pytest.param(AMAZON, -64.454165, -3.132828, 9, 9, id="c2-amazon-cloudy"),
    pytest.param(AMAZON, -64.340535, -2.931905, 5, 5, id="c2-amazon-footprint-edge"),
]


@pytest.mark.parametrize(("scene", "lon", "lat", "valid_px", "cloudy_px"), KNOWN_POINTS)
def test_known_points_match_independent_arithmetic(
    landsat_data, scene, lon, lat, valid_px, cloudy_px
):
    folder = landsat_data / "rasters" / scene
    expected = independent_sample(folder, lon, lat)
    [row] = sample_scene(folder, [Point("p", lon, lat)])
    assert row.reason == ""
    assert row.ndvi == pytest.approx(expected["ndvi"], abs=2e-6)
    assert -1.0 <= row.ndvi <= 1.0
    assert (row.valid_px, row.cloudy_px) == (expected["valid_px"], expected["cloudy_px"])
    assert (row.valid_px, row.cloudy_px) == (valid_px, cloudy_px)
    assert row.scene_cloud_cover == SCENES[scene][2]


@pytest.mark.parametrize("radius", [0, 2, 4])
def test_radius_sets_the_window(landsat_data, radius):
    folder = landsat_data / "rasters" / PRE
    lon, lat = -87.311348, 30.719161
    expected = independent_sample(folder, lon, lat, radius)
    [row] = sample_scene(folder, [Point("p", lon, lat)], radius=radius)
    assert row.valid_px == (2 * radius + 1) ** 2 == expected["valid_px"]
    assert row.cloudy_px == expected["cloudy_px"]
    assert row.ndvi == pytest.approx(expected["ndvi"], abs=2e-6)


@pytest.mark.parametrize(
    ("scene", "lon", "lat"),
    [
        pytest.param(PRE, -87.365048, 30.667858, id="level1-toa"),
        pytest.param(TROPICS, -75.164536, 1.503444, id="level2-sr"),
    ],
)
def test_same_ndvi_as_the_rendered_ndvi_product(landsat_data, tmp_path, scene, lon, lat):
    from landsat_ops.render import render_scene

    folder = landsat_data / "rasters" / scene
    result = render_scene(folder, tmp_path, products=["ndvi"], workdir=tmp_path)
    cog = next(uri for name, uri in result.outputs.items() if name.endswith("_ndvi.tif"))
    with rasterio.open(cog) as ds:
        (x,), (y,) = warp_transform("EPSG:4326", ds.crs, [lon], [lat])
        row, col = ds.index(x, y, op=math.floor)
        window = ds.read(1)[row - 1 : row + 2, col - 1 : col + 2]
    [sample] = sample_scene(folder, [Point("p", lon, lat)])
    assert sample.ndvi == pytest.approx(float(np.nanmean(window.astype(np.float64))), abs=1e-6)


def test_scene_fields_come_from_the_id_and_mtl(landsat_data):
    [row] = sample_scene(landsat_data / "rasters" / C1, [Point("a", -79.3738, 32.403858)])
    assert row.scene_id == "LC08_L1TP_016037_20170813_20170814_01_RT"
    assert row.acquired == "2017-08-13T15:54:15Z"
    assert (row.path, row.row, row.point_id, row.lon, row.lat) == (16, 37, "a", -79.3738, 32.403858)
    assert list(row.to_dict()) == list(SAMPLE_COLUMNS)


def test_level2_uses_surface_reflectance_scaling(landsat_data):
    """SR NDVI differs from an NDVI of raw DN or of L1 TOA coefficients: the scaling matters."""
    folder = landsat_data / "rasters" / TROPICS
    lon, lat = -75.164536, 1.503444
    [row] = sample_scene(folder, [Point("p", lon, lat)])
    with (
        rasterio.open(_band(folder, "SR_B4")) as red_ds,
        rasterio.open(_band(folder, "SR_B5")) as nir_ds,
    ):
        (x,), (y,) = warp_transform("EPSG:4326", red_ds.crs, [lon], [lat])
        r, c = red_ds.index(x, y, op=math.floor)
        red = red_ds.read(1)[r - 1 : r + 2, c - 1 : c + 2].astype(np.float64)
        nir = nir_ds.read(1)[r - 1 : r + 2, c - 1 : c + 2].astype(np.float64)
    for mult, add in ((1.0, 0.0), TOA):
        other = np.mean(
            ((nir * mult + add) - (red * mult + add)) / (nir * mult + red * mult + 2 * add)
        )
        assert abs(row.ndvi - other) > 0.01
    sr = np.mean(((nir - red) * SR[0]) / ((nir + red) * SR[0] + 2 * SR[1]))
    assert row.ndvi == pytest.approx(sr, abs=2e-6)


def test_points_on_fill_and_outside_get_a_reason_not_an_error(landsat_data):
    folder = landsat_data / "rasters" / C1
    points = [
        Point("corner-fill", -81.302495, 33.907716),
        Point("fill-next-to-data", -79.051136, 33.162247),
        Point("beyond-the-grid", -82.5, 33.5),
        Point("other-side-of-the-globe", 100.0, -30.0),
        Point("pole", 0.0, 90.0),
        Point("inside", -79.3738, 32.403858),
    ]
    rows = {r.point_id: r for r in sample_scene(folder, points)}
    assert [r.point_id for r in sample_scene(folder, points)] == [p.id for p in points]
    corner = rows["corner-fill"]
    assert (corner.ndvi, corner.valid_px, corner.cloudy_px, corner.reason) == (None, 0, 0, "fill")
    # The point's own pixel is fill: no NDVI even though two neighbours hold data.
    edge = rows["fill-next-to-data"]
    expected = independent_sample(folder, -79.051136, 33.162247)
    assert expected["centre_fill"] and expected["valid_px"] == 2
    assert (edge.ndvi, edge.valid_px, edge.reason) == (None, 2, "fill")
    for name in ("beyond-the-grid", "other-side-of-the-globe", "pole"):
        row = rows[name]
        assert (row.ndvi, row.valid_px, row.cloudy_px, row.reason) == (
            None,
            0,
            None,
            "outside scene",
        )
        assert row.scene_cloud_cover == 26.70
    assert rows["inside"].reason == "" and rows["inside"].ndvi is not None


def test_every_point_of_a_cloudy_scene_is_sampled_and_counted_cloudy(landsat_data):
    """The 99.9 % cloud scene: NDVI is still reported, and the QA says it is cloud."""
    folder = landsat_data / "rasters" / AMAZON
    with rasterio.open(_band(folder, "SR_B4")) as ds:
        cols = np.linspace(60, ds.width - 60, 5)
        rows = np.linspace(60, ds.height - 60, 5)
        xs, ys = zip(*(ds.transform @ (c, r) for r in rows for c in cols), strict=True)
        lons, lats = warp_transform(ds.crs, "EPSG:4326", list(xs), list(ys))
    points = [Point(f"p{i}", lon, lat) for i, (lon, lat) in enumerate(zip(lons, lats, strict=True))]
    samples = [r for r in sample_scene(folder, points) if r.reason == ""]
    assert len(samples) >= 10
    assert sum(r.cloudy_px for r in samples) / sum(r.valid_px for r in samples) > 0.9


# --------------------------------------------------------------------------------------------
# Small made-up scenes for the corner cases the real data lacks
# --------------------------------------------------------------------------------------------

L2_ID = "LC08_L2SP_001002_20200101_20200102_02_T1"
L1_ID = "LC08_L1TP_001002_20200101_20200102_02_T1"


def _tiff(path: Path, data: np.ndarray, **extra) -> None:
    profile = {
        "driver": "GTiff",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": data.dtype.name,
        "crs": "EPSG:32633",
        "transform": from_origin(500000.0, 5000000.0, 30.0, 30.0),
        **extra,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)


def _lonlat(col: float, row: float) -> tuple[float, float]:
    x, y = from_origin(500000.0, 5000000.0, 30.0, 30.0) @ (col, row)
    (lon,), (lat,) = warp_transform("EPSG:32633", "EPSG:4326", [x], [y])
    return lon, lat


def test_negative_surface_reflectance_gives_no_valid_pixels(tmp_path):
    """Dark water in SR: red + NIR reflectance <= 0, NDVI undefined, no QA band at all."""
    folder = tmp_path / L2_ID
    folder.mkdir()
    dark = np.full((8, 8), 6000, dtype=np.uint16)  # 6000 * 2.75e-05 - 0.2 = -0.035
    _tiff(folder / f"{L2_ID}_SR_B4.TIF", dark, nodata=0)
    _tiff(folder / f"{L2_ID}_SR_B5.TIF", dark, nodata=0)
    [row] = sample_scene(folder, [Point("lake", *_lonlat(4.5, 4.5))])
    assert (row.ndvi, row.valid_px, row.cloudy_px, row.reason) == (None, 0, None, "no valid pixels")
    assert row.scene_cloud_cover is None
    assert row.acquired == "2020-01-01T00:00:00Z"  # no MTL: the ID's date


def test_negative_red_with_positive_sum_is_not_in_the_mean(tmp_path):
    """The NDVI rule of the product: red -0.012, NIR 0.016 gives 6.457 and is no data."""
    folder = tmp_path / L2_ID
    folder.mkdir()
    red = np.full((3, 3), 12000, dtype=np.uint16)  # 0.13
    nir = np.full((3, 3), 20000, dtype=np.uint16)  # 0.35
    red[0, 0], nir[0, 0] = 6836, 7855  # -0.012, 0.016: (nir - red) / (nir + red) = 6.457
    _tiff(folder / f"{L2_ID}_SR_B4.TIF", red, nodata=0)
    _tiff(folder / f"{L2_ID}_SR_B5.TIF", nir, nodata=0)
    [row] = sample_scene(folder, [Point("shore", *_lonlat(1.5, 1.5))])
    assert row.valid_px == 8
    r, n = 12000 * 2.75e-05 - 0.2, 20000 * 2.75e-05 - 0.2
    assert row.ndvi == pytest.approx((n - r) / (n + r), rel=1e-5)


def test_tiled_scene_and_window_on_the_grid_edge(tmp_path):
    folder = tmp_path / L2_ID
    folder.mkdir()
    red = np.full((64, 64), 10000, dtype=np.uint16)
    nir = np.full((64, 64), 30000, dtype=np.uint16)
    tiled = {"tiled": True, "blockxsize": 16, "blockysize": 16, "compress": "deflate"}
    _tiff(folder / f"{L2_ID}_SR_B4.TIF", red, **tiled)
    _tiff(folder / f"{L2_ID}_SR_B5.TIF", nir, **tiled)
    qa = np.full((64, 64), 21824, dtype=np.uint16)
    qa[0, 0] = 22280  # cloud in the corner
    _tiff(folder / f"{L2_ID}_QA_PIXEL.TIF", qa, **tiled)
    [row] = sample_scene(folder, [Point("corner", *_lonlat(0.5, 0.5))])
    r, n = 10000 * SR[0] + SR[1], 30000 * SR[0] + SR[1]
    assert row.ndvi == pytest.approx((n - r) / (n + r), abs=1e-6)
    assert (row.valid_px, row.cloudy_px, row.reason) == (4, 1, "")


def test_level1_without_mtl_is_a_scene_error(tmp_path):
    folder = tmp_path / L1_ID
    folder.mkdir()
    band = np.full((8, 8), 9000, dtype=np.uint16)
    _tiff(folder / f"{L1_ID}_B4.TIF", band)
    _tiff(folder / f"{L1_ID}_B5.TIF", band)
    with pytest.raises(SceneError, match="no MTL file"):
        sample_scene(folder, [Point("p", *_lonlat(4, 4))])


def test_missing_band_and_missing_folder(tmp_path, landsat_data):
    folder = tmp_path / L1_ID
    folder.mkdir()
    _tiff(folder / f"{L1_ID}_B4.TIF", np.ones((8, 8), dtype=np.uint16))
    with pytest.raises(SceneError, match="no band B5"):
        sample_scene(folder, [Point("p", 0.0, 0.0)])
    with pytest.raises(SceneError, match="does not exist"):
        sample_scene(tmp_path / "nowhere", [Point("p", 0.0, 0.0)])


@pytest.mark.parametrize("radius", [-1, 51, 1.5, True, "1"])
def test_bad_radius(landsat_data, radius):
    with pytest.raises(OptionError, match="radius"):
        sample_scene(landsat_data / "rasters" / PRE, [Point("p", 0, 0)], radius=radius)


# --------------------------------------------------------------------------------------------
# POINTS files
# --------------------------------------------------------------------------------------------


def test_parse_points_accepts_any_column_order_extra_columns_and_blank_lines():
    text = "\ufeffname, LAT ,id,lon\nGlacier,72.5,g1,-24.0\n\nLake,-3.25,l1,179.5\n"
    assert parse_points(text, "poi.csv") == [Point("g1", -24.0, 72.5), Point("l1", 179.5, -3.25)]


BAD_POINTS = [
    pytest.param("", 1, "empty file", id="empty"),
    pytest.param("\n\n", 1, "empty file", id="blank-lines-only"),
    pytest.param("id,lon\na,1\n", 1, "lacks column lat", id="missing-column"),
    pytest.param("id,lon,lat,lat\na,1,2,3\n", 1, "repeats column lat", id="repeated-column"),
    pytest.param("id,lon,lat\n", 2, "no points", id="header-only"),
    pytest.param("id,lon,lat\na,1,2\nb,east,3\n", 3, "lon 'east' is not a number", id="lon-text"),
    pytest.param("id,lon,lat\na,1,\n", 2, "lat '' is not a number", id="lat-empty"),
    pytest.param("id,lon,lat\na,1,nan\n", 2, "lat 'nan' is not a number", id="lat-nan"),
    pytest.param("id,lon,lat\na,1,2\nb,3,90.5\n", 3, "lat 90.5 is outside -90..90", id="lat-range"),
    pytest.param(
        "id,lon,lat\na,-180.01,0\n", 2, "lon -180.01 is outside -180..180", id="lon-range"
    ),
    pytest.param("id,lon,lat\na,1,2\n\na,3,4\n", 4, "duplicate id 'a' (first on line 2)", id="dup"),
    pytest.param("id,lon,lat\n,1,2\n", 2, "empty id", id="empty-id"),
    pytest.param("id,lon,lat\na,1\n", 2, "2 fields where the header has 3", id="short-row"),
    pytest.param("id,lon,lat\na,1,2,\n", 2, "4 fields where the header has 3", id="long-row"),
    pytest.param(b"id,lon,lat\na,1,2\nb\xff,1,2\n", 3, "not UTF-8", id="not-utf8"),
]


@pytest.mark.parametrize(("content", "line", "message"), BAD_POINTS)
def test_bad_points_name_the_file_and_line(tmp_path, content, line, message):
    path = tmp_path / "poi.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(OptionError) as info:
        read_points(path)
    text = str(info.value)
    assert text.startswith(f"{path}: line {line}: ")
    assert message in text
    assert "\n" not in text


def test_unreadable_points_file(tmp_path):
    with pytest.raises(StorageError, match="cannot read the points file"):
        read_points(tmp_path / "missing.csv")


def test_sample_scene_reads_a_points_file(tmp_path, landsat_data):
    path = tmp_path / "poi.csv"
    path.write_text("id,lon,lat\nclear,-87.365048,30.667858\n")
    [row] = sample_scene(landsat_data / "rasters" / PRE, path)
    assert (row.point_id, row.valid_px, row.reason) == ("clear", 9, "")


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _row(**changes) -> SampleRow:
    values = {
        "scene_id": L1_ID,
        "acquired": "2020-01-01T10:00:00Z",
        "path": 1,
        "row": 2,
        "point_id": "p",
        "lon": 1.5,
        "lat": -2.25,
        "ndvi": 0.1 + 0.2,
        "valid_px": 9,
        "cloudy_px": 0,
        "scene_cloud_cover": 12.5,
        "reason": "",
    }
    return SampleRow(**{**values, **changes})


def test_samples_csv_has_the_columns_and_empty_cells_for_none():
    text = samples_csv([_row(), _row(point_id="q", ndvi=None, cloudy_px=None, reason="fill")])
    lines = text.splitlines()
    assert lines[0] == ",".join(SAMPLE_COLUMNS)
    assert lines[1] == f"{L1_ID},2020-01-01T10:00:00Z,1,2,p,1.5,-2.25,0.30000000000000004,9,0,12.5,"
    assert lines[2] == f"{L1_ID},2020-01-01T10:00:00Z,1,2,q,1.5,-2.25,,9,,12.5,fill"


def test_write_samples_is_atomic_and_leaves_no_partial(tmp_path):
    target = tmp_path / "out" / "samples.csv"
    uri = write_samples([_row()], target)
    assert uri == str(target)
    assert target.read_text() == samples_csv([_row()])
    assert sorted(p.name for p in target.parent.iterdir()) == ["samples.csv"]


# --------------------------------------------------------------------------------------------
# S3
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({}, {}, id="aws"),
        pytest.param(
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_DEFAULT_REGION": "eu-west-1"},
            {
                "AWS_S3_ENDPOINT": "127.0.0.1:5000",
                "AWS_HTTPS": "NO",
                "AWS_VIRTUAL_HOSTING": "FALSE",
                "AWS_REGION": "eu-west-1",
            },
            id="moto",
        ),
        pytest.param(
            {
                "AWS_ENDPOINT_URL": "http://other:1",
                "AWS_ENDPOINT_URL_S3": "https://minio.example:9000/",
                "AWS_REGION": "us-west-2",
                "AWS_DEFAULT_REGION": "eu-west-1",
            },
            {
                "AWS_S3_ENDPOINT": "minio.example:9000",
                "AWS_HTTPS": "YES",
                "AWS_VIRTUAL_HOSTING": "FALSE",
                "AWS_REGION": "us-west-2",
            },
            id="s3-specific-endpoint-wins",
        ),
    ],
)
def test_gdal_s3_options(environ, expected):
    assert gdal_s3_options(environ) == expected


def _upload(client, bucket: str, folder: Path, prefix: str) -> dict[str, int]:
    sizes = {}
    for path in sorted(folder.iterdir()):
        client.upload_file(str(path), bucket, f"{prefix}/{path.name}")
        sizes[path.name] = path.stat().st_size
    return sizes


@pytest.mark.parametrize("scene", [C1, TROPICS])
def test_s3_sampling_equals_local(landsat_data, s3_bucket, scene):
    import boto3

    folder = landsat_data / "rasters" / scene
    _upload(boto3.client("s3"), s3_bucket, folder, f"landing/{scene}")
    points = [
        Point("a", -79.3738, 32.403858),
        Point("b", -79.054506, 33.876492),
        Point("c", -81.302495, 33.907716),
        Point("d", -75.164536, 1.503444),
        Point("e", -75.772573, 2.16393),
        Point("f", 10.0, 10.0),
    ]
    remote = sample_scene(f"s3://{s3_bucket}/landing/{scene}/", points)
    assert remote == sample_scene(folder, points)
    assert sum(r.ndvi is not None for r in remote) >= 2


class _CountingProxy(http.server.ThreadingHTTPServer):
    """An HTTP proxy in front of the moto server that counts the body bytes of each GET."""

    daemon_threads = True

    def __init__(self, upstream: str):
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.got: Counter[str] = Counter()
        self.full_gets: list[str] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection(*self.server.upstream, timeout=30)
        conn.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
        response = conn.getresponse()
        data = response.read()
        conn.close()
        key = self.path.split("?")[0].rsplit("/", 1)[-1]
        if self.command == "GET":
            self.server.got[key] += len(data)
            if "Range" not in self.headers and key.endswith(".TIF"):
                self.server.full_gets.append(key)
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        size = response.getheader("Content-Length") if self.command == "HEAD" else len(data)
        self.send_header("Content-Length", str(size or 0))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _forward

    def log_message(self, *args):
        pass


def test_s3_sampling_reads_only_byte_ranges(landsat_data, s3_bucket, monkeypatch, aws_env):
    """Through /vsis3/ the bands are read in ranges: far less than the files, no whole GET."""
    import boto3

    folder = landsat_data / "rasters" / TROPICS
    sizes = _upload(boto3.client("s3"), s3_bucket, folder, "scene")
    proxy = _CountingProxy(aws_env)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{proxy.server_address[1]}")
        points = [Point("a", -75.164536, 1.503444), Point("b", -75.036582, 1.470621)]
        rows = sample_scene(f"s3://{s3_bucket}/scene", points)
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert rows == sample_scene(folder, points)
    tif_reads = {k: v for k, v in proxy.got.items() if k.endswith(".TIF")}
    assert set(tif_reads) == {
        f"{TROPICS.removesuffix('_512px')}_{s}.TIF" for s in ("SR_B4", "SR_B5", "QA_PIXEL")
    }
    for name, got in tif_reads.items():
        assert got < sizes[name] / 4, f"{name}: read {got} of {sizes[name]} bytes"
    assert proxy.full_gets == []
    assert proxy.got[f"{TROPICS.removesuffix('_512px')}_MTL.txt"] > 0  # via the Store


def test_s3_scene_republished_under_the_same_keys_is_read_again(landsat_data, s3_bucket):
    """GDAL's process-wide /vsicurl/ cache must not serve the old bytes to a long-lived worker."""
    import boto3

    client = boto3.client("s3")
    folder = landsat_data / "rasters" / TROPICS
    _upload(client, s3_bucket, folder, "republished")
    uri = f"s3://{s3_bucket}/republished"
    point = [Point("a", -75.164536, 1.503444)]
    assert sample_scene(uri, point)[0].ndvi == pytest.approx(0.78, abs=0.01)
    red_key = f"republished/{_band(folder, 'SR_B4').name}"
    client.upload_file(str(_band(folder, "SR_B5")), s3_bucket, red_key)  # red := NIR
    assert sample_scene(uri, point)[0].ndvi == 0.0


def test_s3_scene_prefix_without_objects(s3_bucket):
    with pytest.raises(SceneError, match="no objects under this prefix"):
        sample_scene(f"s3://{s3_bucket}/nothing/", [Point("p", 0, 0)])


def test_points_and_output_on_s3(landsat_data, s3_bucket):
    import boto3

    client = boto3.client("s3")
    client.put_object(
        Bucket=s3_bucket, Key="config/poi.csv", Body=b"id,lon,lat\nclear,-87.365048,30.667858\n"
    )
    rows = sample_scene(landsat_data / "rasters" / PRE, f"s3://{s3_bucket}/config/poi.csv")
    uri = write_samples(rows, f"s3://{s3_bucket}/out/samples.csv")
    assert uri == f"s3://{s3_bucket}/out/samples.csv"
    body = client.get_object(Bucket=s3_bucket, Key="out/samples.csv")["Body"].read().decode()
    assert body == samples_csv(rows)
