"""Tests for landsat_ops.scene: IDs, band file discovery and MTL parsing on real Landsat data.

The real files live in ../shared/data/landsat (see its README.md); tests that need them use
the ``landsat_data`` fixture, which skips them when the folder is absent.
"""

import datetime
import json
import re
import shutil
from pathlib import Path

import pytest

from landsat_ops.errors import MetadataError, SceneError
from landsat_ops.scene import (
    BANDS_NEEDED,
    SceneId,
    find_scene_files,
    find_scene_id,
    parse_mtl,
    parse_mtl_json,
    parse_mtl_text,
    parse_mtl_xml,
    parse_scene_id,
    read_mtl,
)

D = datetime.date
UTC = datetime.UTC
CROP = "rasters/LC80200392015216LGN00_crop30m"
CROP_MTL = f"{CROP}/LC80200392015216LGN00_MTL.txt"
C2_SET = "rasters/LC08_L2SP_008059_20191201_20200825_02_T1_512px"
C2_STEM = f"{C2_SET}/LC08_L2SP_008059_20191201_20200825_02_T1_MTL"

# --------------------------------------------------------------------------------------------
# Scene and product IDs
# --------------------------------------------------------------------------------------------


# (text, SceneId fields after the text: sensor, satellite, path, row, acquired, processing_level,
# processed, collection, category, station, version)
ID_CASES = [
    # pre-collection scene IDs: LC8 PPP RRR YYYY DDD GGG VV
    pytest.param("LC80200392015216LGN00",
                 ("LC", 8, 20, 39, D(2015, 8, 4), None, None, None, None, "LGN", "00"),
                 id="pre-collection-crop"),
    pytest.param("LC82260102014232LGN00",
                 ("LC", 8, 226, 10, D(2014, 8, 20), None, None, None, None, "LGN", "00"),
                 id="pre-collection-brief-example"),
    pytest.param("LC80050092015191LGN01",
                 ("LC", 8, 5, 9, D(2015, 7, 10), None, None, None, None, "LGN", "01"),
                 id="pre-collection-version-01"),
    pytest.param("LC81060712016134LGN00",
                 ("LC", 8, 106, 71, D(2016, 5, 13), None, None, None, None, "LGN", "00"),
                 id="pre-collection-leap-year"),
    # Collection 1 and 2 product IDs: LC08_LLLL_PPPRRR_YYYYMMDD_YYYYMMDD_CC_TX
    pytest.param("LC08_L1TP_016037_20170813_20170814_01_RT",
                 ("LC", 8, 16, 37, D(2017, 8, 13), "L1TP", D(2017, 8, 14), 1, "RT"),
                 id="c1-l1tp-rt"),
    pytest.param("LC08_L1TP_183023_20160625_20170323_01_T1",
                 ("LC", 8, 183, 23, D(2016, 6, 25), "L1TP", D(2017, 3, 23), 1, "T1"),
                 id="c1-l1tp-t1"),
    pytest.param("LC08_L1TP_188018_20200927_20201005_02_T1",
                 ("LC", 8, 188, 18, D(2020, 9, 27), "L1TP", D(2020, 10, 5), 2, "T1"),
                 id="c2-l1tp"),
    pytest.param("LC08_L1GT_001062_20201031_20201106_02_T2",
                 ("LC", 8, 1, 62, D(2020, 10, 31), "L1GT", D(2020, 11, 6), 2, "T2"),
                 id="c2-l1gt"),
    pytest.param("LC08_L2SP_008059_20191201_20200825_02_T1",
                 ("LC", 8, 8, 59, D(2019, 12, 1), "L2SP", D(2020, 8, 25), 2, "T1"),
                 id="c2-l2sp"),
    pytest.param("LC08_L2SR_099120_20191129_20201016_02_T2",
                 ("LC", 8, 99, 120, D(2019, 11, 29), "L2SR", D(2020, 10, 16), 2, "T2"),
                 id="c2-l2sr"),
    pytest.param("LC09_L2SP_010065_20220129_20220131_02_T1",
                 ("LC", 9, 10, 65, D(2022, 1, 29), "L2SP", D(2022, 1, 31), 2, "T1"),
                 id="landsat-9"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "fields"), ID_CASES)
def test_parse_scene_id(text, fields):
    scene_id = parse_scene_id(text)
    assert scene_id == SceneId(text, *fields)
    assert str(scene_id) == text


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("LC80200392015216LGN00", 1),
        ("LC08_L1TP_016037_20170813_20170814_01_RT", 1),
        ("LC08_L1GT_001062_20201031_20201106_02_T2", 1),
        ("LC08_L2SP_008059_20191201_20200825_02_T1", 2),
        ("LC08_L2SR_099120_20191129_20201016_02_T2", 2),
    ],
)
def test_scene_id_level(text, level):
    assert parse_scene_id(text).level == level


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("LC08_L1TP_016037_20170813_20170814_01", id="no-category"),
        pytest.param("LC08_L1TP_016037_20170813_20170814_03_T1", id="collection-03"),
        pytest.param("LC08_L1XX_016037_20170813_20170814_01_RT", id="unknown-level"),
        pytest.param("LE07_L1TP_016037_20170813_20170814_01_RT", id="landsat-7"),
        pytest.param("LC08_L1TP_016037_20171313_20170814_01_RT", id="month-13"),
        pytest.param("LC08_L1TP_016037_20170230_20170814_01_RT", id="february-30"),
        pytest.param("LC80200392015000LGN00", id="day-of-year-0"),
        pytest.param("LC80200392015366LGN00", id="day-366-non-leap"),
        pytest.param("LC80200390000216LGN00", id="year-0"),
        pytest.param("lc80200392015216lgn00", id="lower-case"),
        pytest.param(" LC80200392015216LGN00", id="leading-space"),
        pytest.param("LC80200392015216LGN00_B1.TIF", id="file-name"),
        pytest.param("LC81692212019263", id="sat-api-short-id"),
    ],
)
def test_parse_scene_id_rejects(text):
    with pytest.raises(SceneError) as info:
        parse_scene_id(text)
    message = str(info.value)
    assert repr(text) in message
    assert "product ID like LC08_L1TP_" in message
    assert "scene ID like LC8" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "LC08_L2SP_008059_20191201_20200825_02_T1_SR_B4.TIF",
            "LC08_L2SP_008059_20191201_20200825_02_T1",
            id="sr-band-file",
        ),
        pytest.param(
            "LC08_L1TP_016037_20170813_20170814_01_RT_BQA.TIF",
            "LC08_L1TP_016037_20170813_20170814_01_RT",
            id="c1-qa-file",
        ),
        pytest.param("LC80200392015216LGN00_crop30m", "LC80200392015216LGN00", id="crop-folder"),
        pytest.param(
            "LC08_L2SP_001062_20201031_20201106_02_T2_5pct",
            "LC08_L2SP_001062_20201031_20201106_02_T2",
            id="c2-folder",
        ),
        pytest.param(
            "LC08_L2SP_047027_20201204_20210313_02_T1_SR",
            "LC08_L2SP_047027_20201204_20210313_02_T1",
            id="stac-item-id",
        ),
        pytest.param(
            "s3://usgs-landsat/collection02/level-2/standard/oli-tirs/2020/001/062/"
            "LC08_L2SP_001062_20201031_20201106_02_T2/"
            "LC08_L2SP_001062_20201031_20201106_02_T2_MTL.json",
            "LC08_L2SP_001062_20201031_20201106_02_T2",
            id="s3-key",
        ),
        pytest.param("c1/L8/LC80160372017225LGN00/", "LC80160372017225LGN00", id="path"),
    ],
)
def test_find_scene_id(name, expected):
    assert find_scene_id(name) == parse_scene_id(expected)


@pytest.mark.parametrize(
    "name",
    ["l8_B1.tif", "LC81692212019263", "notes.txt", "XLC80200392015216LGN00", ""],
)
def test_find_scene_id_rejects(name):
    with pytest.raises(SceneError, match="no Landsat 8/9 scene ID in the name"):
        find_scene_id(name)


# --------------------------------------------------------------------------------------------
# Band files
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("folder", "scene_id", "surface_reflectance", "qa_suffix", "qa_kind"),
    [
        pytest.param(
            CROP, "LC80200392015216LGN00", False, "_BQA.TIF", "pre-collection", id="pre-collection"
        ),
        pytest.param(
            "rasters/LC08_L1TP_016037_20170813_20170814_01_RT_900m",
            "LC08_L1TP_016037_20170813_20170814_01_RT",
            False,
            "_BQA.TIF",
            "c1",
            id="c1",
        ),
        pytest.param(
            C2_SET,
            "LC08_L2SP_008059_20191201_20200825_02_T1",
            True,
            "_QA_PIXEL.TIF",
            "c2",
            id="c2-tropics",
        ),
        pytest.param(
            "rasters/LC08_L2SP_005009_20150710_20200908_02_T2_512px",
            "LC08_L2SP_005009_20150710_20200908_02_T2",
            True,
            "_QA_PIXEL.TIF",
            "c2",
            id="c2-greenland",
        ),
        pytest.param(
            "rasters/LC08_L2SP_001062_20201031_20201106_02_T2_5pct",
            "LC08_L2SP_001062_20201031_20201106_02_T2",
            True,
            "_QA_PIXEL.TIF",
            "c2",
            id="c2-amazon",
        ),
    ],
)
def test_find_scene_files_real_folders(
    landsat_data, folder, scene_id, surface_reflectance, qa_suffix, qa_kind
):
    files = find_scene_files(landsat_data / folder)
    band_prefix = f"{scene_id}_SR_B" if surface_reflectance else f"{scene_id}_B"
    assert files.scene_id == parse_scene_id(scene_id)
    assert files.folder == landsat_data / folder
    assert sorted(files.bands) == [1, 2, 3, 4, 5, 6, 7]
    assert {b: p.name for b, p in files.bands.items()} == {
        b: f"{band_prefix}{b}.TIF" for b in range(1, 8)
    }
    assert all(p.is_file() for p in files.bands.values())
    assert files.surface_reflectance is surface_reflectance
    assert files.qa == landsat_data / folder / f"{scene_id}{qa_suffix}"
    assert files.qa_kind == qa_kind
    assert files.mtl == landsat_data / folder / f"{scene_id}_MTL.txt"  # .txt wins over .json/.xml
    files.require(BANDS_NEEDED)


def test_find_scene_files_from_names_ignores_other_files():
    pid = "LC08_L2SP_008059_20191201_20200825_02_T1"
    names = [f"prefix/{pid}/{pid}_SR_B{b}.TIF" for b in (1, 2, 3, 5, 6, 7)] + [
        f"{pid}_SR_B4.tif",  # lower-case extension
        f"{pid}_ST_B10.TIF",
        f"{pid}_SR_B4.TIF.aux.xml",
        f"{pid}_SR_QA_AEROSOL.TIF",
        f"{pid}_QA_RADSAT.TIF",
        f"{pid}_QA_PIXEL.TIF",
        f"{pid}_ANG.txt",
        f"{pid}_MTL.xml",
        f"{pid}_MTL.json",
        f"{pid}_thumb_small.jpeg",
        "README.md",
    ]
    files = find_scene_files("bucket/prefix", names)
    assert files.scene_id.scene_id == pid
    assert files.bands == {
        b: Path("bucket/prefix") / f"{pid}_SR_B{b}.{'tif' if b == 4 else 'TIF'}"
        for b in range(1, 8)
    }
    assert files.qa == Path("bucket/prefix") / f"{pid}_QA_PIXEL.TIF"
    assert files.qa_kind == "c2"
    assert files.mtl == Path("bucket/prefix") / f"{pid}_MTL.json"  # .json wins over .xml
    assert files.surface_reflectance


def test_find_scene_files_without_qa_or_mtl():
    files = find_scene_files("x", ["LC80200392015216LGN00_B4.TIF"])
    assert files.bands == {4: Path("x/LC80200392015216LGN00_B4.TIF")}
    assert (files.qa, files.qa_kind, files.mtl) == (None, None, None)


def test_require_names_the_missing_band(tmp_path):
    for band in (1, 2, 3, 4, 6, 7):
        (tmp_path / f"LC80200392015216LGN00_B{band}.TIF").write_bytes(b"")
    files = find_scene_files(tmp_path)
    files.require([4, 3, 2])
    with pytest.raises(SceneError) as info:
        files.require(BANDS_NEEDED)
    assert str(info.value) == (
        f"scene folder {tmp_path} has no band B5 (expected a file ending in _B5.TIF or _SR_B5.TIF)"
    )


def test_missing_folder_is_named(tmp_path):
    missing = tmp_path / "LC80200392015216LGN00"
    with pytest.raises(SceneError, match=re.escape(f"scene folder {missing} does not exist")):
        find_scene_files(missing)


def test_folder_without_band_files(tmp_path, landsat_data):
    shutil.copy(landsat_data / CROP_MTL, tmp_path)
    (tmp_path / "l8_B1.tif").write_bytes(b"")
    expected = f"scene folder {tmp_path} has no Landsat band files"
    with pytest.raises(SceneError, match=re.escape(expected)):
        find_scene_files(tmp_path)


@pytest.mark.parametrize(
    "names",
    [
        pytest.param(
            ["LC80200392015216LGN00_B4.TIF", "LC80460282016177LGN00_B4.TIF"], id="two-scenes"
        ),
        pytest.param(
            [
                "LC08_L1TP_008059_20191201_20200825_02_T1_B4.TIF",
                "LC08_L2SP_008059_20191201_20200825_02_T1_SR_B4.TIF",
            ],
            id="l1-and-l2-products",
        ),
    ],
)
def test_folder_with_several_scenes(names):
    with pytest.raises(SceneError, match="scene folder f holds band files of several scenes"):
        find_scene_files("f", names)


# --------------------------------------------------------------------------------------------
# MTL files: every one in the data, with real values
# --------------------------------------------------------------------------------------------


def _mtl(path, acquired, cloud, cloud_land, sun_elevation, utm_zone, **extra):
    """One row of the MTL table: the values as written in the file (and in the README).

    The expected scene ID is the file name before ``_MTL``; Level-2 files (``_L2S*``) must have
    the surface reflectance scaling.
    """
    name = Path(path).name
    scene_id = name.split("_MTL.")[0]
    expected = {
        "scene_id": scene_id,
        "spacecraft": "LANDSAT_9" if scene_id.startswith("LC09") else "LANDSAT_8",
        "acquired": datetime.datetime.fromisoformat(f"{acquired}+00:00"),
        "cloud_cover": cloud,
        "cloud_cover_land": cloud_land,
        "sun_elevation": sun_elevation,
        "utm_zone": utm_zone,
        "map_projection": "UTM" if utm_zone else "PS",
        "sr": "_L2S" in scene_id,
        **extra,
    }
    return pytest.param(path, expected, id=name.replace("_MTL", ""))


PRE = "mtl/pre-collection"
C2L2 = "mtl/collection2-l2"
C1_MTL = (
    "rasters/LC08_L1TP_016037_20170813_20170814_01_RT_900m/"
    "LC08_L1TP_016037_20170813_20170814_01_RT_MTL.txt"
)
GREENLAND_MTL = (
    "rasters/LC08_L2SP_005009_20150710_20200908_02_T2_512px/"
    "LC08_L2SP_005009_20150710_20200908_02_T2_MTL"
)
AMAZON_MTL = (
    "rasters/LC08_L2SP_001062_20201031_20201106_02_T2_5pct/"
    "LC08_L2SP_001062_20201031_20201106_02_T2_MTL"
)

MTL_FILES = [
    # pre-collection (L1_METADATA_FILE): txt, and the JSON rendering landsat-pds served
    _mtl(CROP_MTL, "2015-08-04 16:19:21.791742", 11.08, 3.0, 64.74360932, 16, azimuth=115.8721),
    _mtl(f"{PRE}/LC80100202015018LGN00_MTL.txt", "2015-01-18 15:10:22.414257", 19.74, None,
         11.10898916, 20),
    _mtl(f"{PRE}/LC80100202015018LGN00_MTL.json", "2015-01-18 15:10:22.414257", 19.74, None,
         11.10898916, 20),
    _mtl(f"{PRE}/LC81060712016134LGN00_MTL.txt", "2016-05-13 01:23:31.451611", 0.02, 0.02,
         45.66897551, 52),
    _mtl(f"{PRE}/LC81060712016134LGN00_MTL.json", "2016-05-13 01:23:31.451611", 0.02, 0.02,
         45.66897551, 52),
    _mtl(f"{PRE}/LC80430302016140LGN00_MTL.json", "2016-05-19 18:37:53.652608", 14.87, 14.87,
         62.13510937, 11),
    _mtl(f"{PRE}/LC80460282016177LGN00_MTL.json", "2016-06-25 18:55:50.785822", 11.3, 11.3,
         62.58246948, 10),
    _mtl(f"{PRE}/LC81390452014295LGN00_MTL.json", "2014-10-22 04:37:48.705294", 0.38, None,
         52.12893938, 45),
    _mtl(f"{PRE}/LC82290902015304LGN00_MTL.json", "2015-10-31 14:11:51.665551", 0.09, 0.09,
         50.9018374, 19),
    # Collection 1 (L1_METADATA_FILE with LANDSAT_PRODUCT_ID)
    _mtl(C1_MTL, "2017-08-13 15:54:15.788464", 26.7, 31.89, 62.17310472, 17),
    # Collection 2 Level-1 (LANDSAT_METADATA_FILE, LEVEL1_RADIOMETRIC_RESCALING)
    _mtl("mtl/collection2-l1/LC08_L1TP_188018_20200927_20201005_02_T1_MTL.txt",
         "2020-09-27 09:29:57.870766", 0.04, 0.04, 27.52435766, 35),
    # Collection 2 Level-2 (LEVEL2_SURFACE_REFLECTANCE_PARAMETERS and the Level-1 groups)
    *(
        _mtl(f"{C2_STEM}.{suffix}", "2019-12-01 15:13:51.861099", 81.02, 81.02, 57.08727307, 18,
             azimuth=136.31696044)
        for suffix in ("txt", "xml", "json")
    ),
    *(
        _mtl(f"{AMAZON_MTL}.{suffix}", "2020-10-31 14:31:47.808399", 99.94, 99.94, 64.45083205, 20)
        for suffix in ("txt", "xml", "json")
    ),
    _mtl(f"{GREENLAND_MTL}.txt", "2015-07-10 14:34:35.978399", 54.65, 54.67, 40.0015903, 24),
    _mtl(f"{C2L2}/LC08_L2SP_017036_20130419_20200913_02_T2_MTL.txt", "2013-04-19 16:01:51.829419",
         100.0, 100.0, 59.24977384, 17),
    *(  # the .txt has no final END line
        _mtl(f"{C2L2}/LC08_L2SP_047027_20201204_20210313_02_T1_MTL.{suffix}",
             "2020-12-04 19:02:11.194486", 1.55, 1.9, 18.80722985, 10)
        for suffix in ("txt", "xml")
    ),
    *(  # CLOUD_COVER_LAND = -1, UTM zone 1; the .txt has no final END line
        _mtl(f"{C2L2}/LC08_L2SR_084024_20160111_20201016_02_T1_MTL.{suffix}",
             "2016-01-11 22:49:22.930935", 30.41, None, 14.78250544, 1)
        for suffix in ("txt", "xml")
    ),
    # Antarctica: polar stereographic, no UTM_ZONE
    _mtl(f"{C2L2}/LC08_L2SR_099120_20191129_20201016_02_T2_MTL.txt", "2019-11-29 01:00:37.576470",
         100.0, 100.0, 20.49329425, None),
    # Landsat 9; no final END line
    _mtl(f"{C2L2}/LC09_L2SP_010065_20220129_20220131_02_T1_MTL.txt", "2022-01-29 15:28:34.396428",
         21.12, 23.54, 57.84396063, 17),
]  # fmt: skip


def test_mtl_table_covers_every_mtl_file(landsat_data):
    on_disk = {str(p.relative_to(landsat_data)) for p in landsat_data.glob("**/*_MTL.*")}
    assert on_disk == {param.values[0] for param in MTL_FILES}


@pytest.mark.parametrize(("path", "expected"), MTL_FILES)
def test_read_mtl_real_files(landsat_data, path, expected):
    meta = read_mtl(landsat_data / path)
    assert meta.scene_id == parse_scene_id(expected["scene_id"])
    assert meta.spacecraft == expected["spacecraft"]
    assert meta.acquired == expected["acquired"]
    assert meta.acquired.utcoffset() == datetime.timedelta(0)
    assert meta.cloud_cover == pytest.approx(expected["cloud_cover"])
    assert meta.cloud_cover_land == pytest.approx(expected["cloud_cover_land"])
    assert meta.sun_elevation == pytest.approx(expected["sun_elevation"])
    if "azimuth" in expected:
        assert meta.sun_azimuth == pytest.approx(expected["azimuth"])
    assert 0 <= meta.sun_azimuth <= 360
    assert meta.utm_zone == expected["utm_zone"]
    assert meta.map_projection == expected["map_projection"]
    # Level-1 TOA rescaling is in every generation (Level-2 files carry it too).
    assert meta.reflectance_mult == {b: pytest.approx(2.0e-05) for b in range(1, 10)}
    assert meta.reflectance_add == {b: pytest.approx(-0.1) for b in range(1, 10)}
    if expected["sr"]:
        assert meta.sr_mult == {b: pytest.approx(2.75e-05) for b in range(1, 8)}
        assert meta.sr_add == {b: pytest.approx(-0.2) for b in range(1, 8)}
    else:
        assert meta.sr_mult == meta.sr_add == {}
    collection_2 = meta.scene_id.collection == 2
    assert list(meta.raw) == ["LANDSAT_METADATA_FILE" if collection_2 else "L1_METADATA_FILE"]


def test_read_mtl_crop_values(landsat_data):
    meta = read_mtl(landsat_data / CROP_MTL)
    assert meta.reflectance_mult[4] == 2.0e-05
    assert meta.reflectance_add[4] == -0.1
    assert meta.sun_elevation == pytest.approx(64.7436, abs=1e-4)
    assert meta.cloud_cover == 11.08
    group = meta.raw["L1_METADATA_FILE"]
    assert group["PRODUCT_METADATA"]["WRS_PATH"] == 20  # unquoted number -> int
    assert group["PRODUCT_METADATA"]["DATA_TYPE"] == "L1T"  # quoted -> str
    assert group["PRODUCT_METADATA"]["DATE_ACQUIRED"] == "2015-08-04"  # date kept as text
    assert group["METADATA_FILE_INFO"]["PROCESSING_SOFTWARE_VERSION"] == "LPGS_2.5.1"
    assert group["PROJECTION_PARAMETERS"]["UTM_ZONE"] == 16


def test_read_mtl_c2_level2_groups(landsat_data):
    meta = read_mtl(f"{landsat_data / C2_STEM}.txt")  # str path works too
    body = meta.raw["LANDSAT_METADATA_FILE"]
    assert body["PRODUCT_CONTENTS"]["COLLECTION_NUMBER"] == 2
    assert body["LEVEL2_SURFACE_REFLECTANCE_PARAMETERS"]["REFLECTANCE_MULT_BAND_4"] == 2.75e-05
    assert body["LEVEL2_SURFACE_REFLECTANCE_PARAMETERS"]["REFLECTANCE_ADD_BAND_4"] == -0.2
    assert body["LEVEL1_RADIOMETRIC_RESCALING"]["REFLECTANCE_MULT_BAND_4"] == 2.0e-05
    # The ID is the L2 product's, not the L1 one under LEVEL1_PROCESSING_RECORD.
    assert body["LEVEL1_PROCESSING_RECORD"]["LANDSAT_PRODUCT_ID"].startswith("LC08_L1TP_")
    assert meta.scene_id.scene_id == "LC08_L2SP_008059_20191201_20200825_02_T1"
    assert meta.scene_id.level == 2


@pytest.mark.parametrize(
    "paths",
    [
        pytest.param([f"{C2_STEM}.txt", f"{C2_STEM}.xml", f"{C2_STEM}.json"], id="c2-l2sp"),
        pytest.param(
            [
                "rasters/LC08_L2SP_001062_20201031_20201106_02_T2_5pct/"
                f"LC08_L2SP_001062_20201031_20201106_02_T2_MTL.{suffix}"
                for suffix in ("txt", "xml", "json")
            ],
            id="c2-amazon",
        ),
        pytest.param(
            [
                f"mtl/collection2-l2/LC08_L2SP_047027_20201204_20210313_02_T1_MTL.{suffix}"
                for suffix in ("txt", "xml")
            ],
            id="c2-no-end",
        ),
        pytest.param(
            [
                f"mtl/collection2-l2/LC08_L2SR_084024_20160111_20201016_02_T1_MTL.{suffix}"
                for suffix in ("txt", "xml")
            ],
            id="c2-l2sr",
        ),
        pytest.param(
            [f"mtl/pre-collection/LC80100202015018LGN00_MTL.{s}" for s in ("txt", "json")],
            id="pre-collection-a",
        ),
        pytest.param(
            [f"mtl/pre-collection/LC81060712016134LGN00_MTL.{s}" for s in ("txt", "json")],
            id="pre-collection-b",
        ),
    ],
)
def test_formats_of_one_scene_agree(landsat_data, paths):
    first, *others = [read_mtl(landsat_data / p) for p in paths]
    for other in others:
        assert other.to_dict() == first.to_dict()
        assert other.raw == first.raw  # every value, with the same types
        assert other == first


@pytest.mark.parametrize(
    "name",
    [
        "mtl/collection2-l2/LC08_L2SP_047027_20201204_20210313_02_T1_MTL.txt",
        "mtl/collection2-l2/LC08_L2SR_084024_20160111_20201016_02_T1_MTL.txt",
        "mtl/collection2-l2/LC09_L2SP_010065_20220129_20220131_02_T1_MTL.txt",
    ],
)
def test_files_without_final_end_parse(landsat_data, name):
    text = (landsat_data / name).read_text()
    assert text.rstrip().splitlines()[-1] == "END_GROUP = LANDSAT_METADATA_FILE"
    with_end = parse_mtl_text(text + "END\n", name)
    assert parse_mtl_text(text, name) == with_end


def test_parse_from_bytes_and_to_dict(landsat_data):
    data = (landsat_data / f"{C2_STEM}.json").read_bytes()
    meta = parse_mtl(data, "s3://bucket/key/LC08_MTL.JSON")
    assert meta == parse_mtl_json(data) == read_mtl(landsat_data / f"{C2_STEM}.json")
    assert parse_mtl_xml((landsat_data / f"{C2_STEM}.xml").read_bytes()) == meta
    info = meta.to_dict()
    assert json.loads(json.dumps(info)) == info
    assert info["scene_id"] == "LC08_L2SP_008059_20191201_20200825_02_T1"
    assert info["scene"]["path"] == 8
    assert info["scene"]["processed"] == "2020-08-25"
    assert info["acquired"] == "2019-12-01T15:13:51.861099+00:00"
    assert info["sr_mult"]["4"] == 2.75e-05
    assert info["cloud_cover"] == 81.02
    assert "raw" not in info


# --------------------------------------------------------------------------------------------
# Malformed MTL files
# --------------------------------------------------------------------------------------------


def _crop_text(landsat_data: Path) -> str:
    return (landsat_data / CROP_MTL).read_text()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(
            lambda t: t[: len(t) // 2].rsplit("\n", 1)[0], "is not closed", id="truncated"
        ),
        pytest.param(
            lambda t: t[: t.index("Image courtesy") + 5], "unterminated string", id="cut-in-string"
        ),
        pytest.param(lambda t: "", "top-level group is nothing", id="empty"),
        pytest.param(
            lambda t: t.replace("Z\n", "Z\ngarbage\n", 1), "is not KEY = VALUE", id="garbage-line"
        ),
        pytest.param(
            lambda t: t.replace("END_GROUP = IMAGE_ATTRIBUTES", "END_GROUP = IMAGE_ATTRIBUTE"),
            "closes group IMAGE_ATTRIBUTE (expected END_GROUP = IMAGE_ATTRIBUTES)",
            id="mismatched-end-group",
        ),
        pytest.param(lambda t: 'ORIGIN = "x"\n' + t, "outside any GROUP", id="key-outside"),
        pytest.param(
            lambda t: t.replace("GROUP = L1_METADATA_FILE", "GROUP = SOMETHING_ELSE").replace(
                "END_GROUP = L1_METADATA_FILE", "END_GROUP = SOMETHING_ELSE"
            ),
            "top-level group is SOMETHING_ELSE",
            id="unknown-top-group",
        ),
        pytest.param(
            lambda t: t.replace('    LANDSAT_SCENE_ID = "LC80200392015216LGN00"\n', ""),
            "no LANDSAT_PRODUCT_ID or LANDSAT_SCENE_ID",
            id="no-scene-id",
        ),
        pytest.param(
            lambda t: t.replace('"LC80200392015216LGN00"', '"LC8020039"'),
            "not a Landsat 8/9 scene ID: 'LC8020039'",
            id="bad-scene-id",
        ),
        pytest.param(
            lambda t: t.replace('    SPACECRAFT_ID = "LANDSAT_8"\n', ""),
            "no SPACECRAFT_ID",
            id="no-spacecraft",
        ),
        pytest.param(
            lambda t: t.replace("    DATE_ACQUIRED = 2015-08-04\n", ""),
            "no DATE_ACQUIRED",
            id="no-date",
        ),
        pytest.param(
            lambda t: t.replace("DATE_ACQUIRED = 2015-08-04", "DATE_ACQUIRED = 2015-13-04"),
            "DATE_ACQUIRED is '2015-13-04' (expected a date",
            id="bad-date",
        ),
        pytest.param(
            lambda t: t.replace('"16:19:21.7917421Z"', '"noon"'),
            "SCENE_CENTER_TIME is 'noon'",
            id="bad-time",
        ),
        pytest.param(
            lambda t: t.replace("CLOUD_COVER = 11.08", 'CLOUD_COVER = "cloudy"'),
            "CLOUD_COVER is 'cloudy' (expected a number)",
            id="bad-cloud-cover",
        ),
    ],
)
def test_malformed_mtl_text(landsat_data, edit, message):
    with pytest.raises(MetadataError) as info:
        parse_mtl_text(edit(_crop_text(landsat_data)), "scene_MTL.txt")
    text = str(info.value)
    assert text.startswith("scene_MTL.txt: ")
    assert message in text
    assert "(expected" in text
    assert "\n" not in text


def test_truncated_json_and_xml(landsat_data):
    for suffix, parse, message in (
        ("json", parse_mtl_json, "invalid JSON"),
        ("xml", parse_mtl_xml, "invalid XML"),
    ):
        data = (landsat_data / f"{C2_STEM}.{suffix}").read_bytes()
        with pytest.raises(MetadataError, match=f"^cut_MTL.{suffix}: {message}"):
            parse(data[: len(data) // 2], f"cut_MTL.{suffix}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param('{"SOMETHING": {}}', "top-level group is SOMETHING", id="wrong-top"),
        pytest.param("[1, 2]", "unexpected value", id="list"),
        pytest.param('{"LANDSAT_METADATA_FILE": {}}', "no LANDSAT_PRODUCT_ID", id="empty-group"),
        pytest.param(
            '{"L1_METADATA_FILE": {"METADATA_FILE_INFO": '
            '{"LANDSAT_SCENE_ID": "LC80200392015216LGN00"}, '
            '"PRODUCT_METADATA": {"SPACECRAFT_ID": "LANDSAT_8"}}}',
            "no DATE_ACQUIRED",
            id="no-date",
        ),
    ],
)
def test_malformed_mtl_json(text, message):
    with pytest.raises(MetadataError, match=f"^x_MTL.json: .*{message}"):
        parse_mtl_json(text, "x_MTL.json")


def test_minimal_mtl_optional_fields_absent():
    meta = parse_mtl_json(
        '{"L1_METADATA_FILE": {"METADATA_FILE_INFO": '
        '{"LANDSAT_SCENE_ID": "LC80200392015216LGN00"}, "PRODUCT_METADATA": '
        '{"SPACECRAFT_ID": "LANDSAT_8", "DATE_ACQUIRED": "2015-08-04"}}}'
    )
    assert meta.acquired == datetime.datetime(2015, 8, 4, tzinfo=UTC)
    optional = [meta.cloud_cover, meta.sun_azimuth, meta.utm_zone, meta.map_projection]
    assert optional == [None] * 4
    assert meta.reflectance_mult == meta.sr_mult == {}


def test_read_mtl_bad_paths(tmp_path):
    with pytest.raises(MetadataError, match="unknown MTL format .csv"):
        read_mtl(tmp_path / "scene_MTL.csv")
    missing = tmp_path / "scene_MTL.txt"
    with pytest.raises(MetadataError, match=f"^{re.escape(str(missing))}: cannot read the MTL"):
        read_mtl(missing)


# --------------------------------------------------------------------------------------------
# Input sanity: MTL values within physical bounds, MTL size, TIFF structure and dimensions
# --------------------------------------------------------------------------------------------


def test_every_real_mtl_is_within_bounds(landsat_data):
    """Every MTL of every generation and form in the real data passes the bounds check."""
    paths = sorted(
        p for p in landsat_data.rglob("*_MTL.*") if p.suffix in (".txt", ".json", ".xml")
    )
    assert len(paths) >= 20
    for path in paths:
        meta = read_mtl(path)
        assert meta.scene_id.satellite in (8, 9), path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param(
            "REFLECTANCE_MULT_BAND_4 = 2.0000E-05",
            "REFLECTANCE_MULT_BAND_4 = 1e308",
            "REFLECTANCE_MULT_BAND_4 = 1e+308 is outside its physical bounds "
            "(expected 0 < REFLECTANCE_MULT_BAND_4 <= 0.001)",
            id="reflectance-mult-1e308",
        ),
        pytest.param(
            "REFLECTANCE_MULT_BAND_5 = 2.0000E-05",
            "REFLECTANCE_MULT_BAND_5 = 0.0",
            "REFLECTANCE_MULT_BAND_5 = 0 is outside",
            id="reflectance-mult-zero",
        ),
        pytest.param(
            "REFLECTANCE_ADD_BAND_4 = -0.100000",
            "REFLECTANCE_ADD_BAND_4 = -1e300",
            "REFLECTANCE_ADD_BAND_4 = -1e+300 is outside",
            id="reflectance-add",
        ),
        pytest.param(
            "REFLECTANCE_ADD_BAND_4 = -0.100000",
            "REFLECTANCE_ADD_BAND_4 = 1e999",
            "REFLECTANCE_ADD_BAND_4 = inf is not a finite number",
            id="infinite",
        ),
        pytest.param(
            "RADIANCE_MULT_BAND_4 = 9.7576E-03",
            "RADIANCE_MULT_BAND_4 = -3",
            "RADIANCE_MULT_BAND_4 = -3 is outside",
            id="radiance-mult",
        ),
        pytest.param(
            "SUN_ELEVATION = 64.69",
            "SUN_ELEVATION = 91.0",
            "SUN_ELEVATION = 91 is outside its physical bounds (expected -90 <= SUN_ELEVATION",
            id="sun-elevation",
        ),
        pytest.param(
            "REFLECTIVE_LINES = 7831",
            "REFLECTIVE_LINES = 100000",
            "REFLECTIVE_LINES = 100000 is outside",
            id="lines",
        ),
        pytest.param(
            "REFLECTIVE_SAMPLES = 7691",
            "REFLECTIVE_SAMPLES = " + "9" * 5000,
            "REFLECTIVE_SAMPLES = inf is not a finite number",
            id="5000-digits",
        ),
        pytest.param(
            "SUN_ELEVATION = 64.69",
            'SUN_ELEVATION = "high"',
            "SUN_ELEVATION is 'high' (expected a number)",
            id="not-a-number",
        ),
    ],
)
def test_absurd_mtl_values_are_one_line(landsat_data, old, new, message):
    text = _crop_text(landsat_data)
    old_key = old.split(" = ")[0]
    line = next(line for line in text.splitlines() if line.strip().startswith(old_key + " ="))
    edited = text.replace(line, "    " + new)
    assert edited != text
    with pytest.raises(MetadataError) as info:
        parse_mtl_text(edited, "scene_MTL.txt")
    assert str(info.value).startswith("scene_MTL.txt: "), info.value
    assert message in str(info.value) and "\n" not in str(info.value)


def test_non_finite_json_numbers_are_refused(landsat_data):
    data = json.loads((landsat_data / f"{C2_STEM}.json").read_text())
    data["LANDSAT_METADATA_FILE"]["IMAGE_ATTRIBUTES"]["SUN_AZIMUTH"] = float("nan")
    with pytest.raises(MetadataError, match=r"^x_MTL.json: SUN_AZIMUTH = nan is not a finite"):
        parse_mtl_json(json.dumps(data), "x_MTL.json")


def test_an_mtl_over_1_mib_is_refused_unread(tmp_path, landsat_data):
    big = tmp_path / "LC80200392015216LGN00_MTL.txt"
    big.write_text(_crop_text(landsat_data) + "\n" * (1024 * 1024))
    with pytest.raises(MetadataError, match=r"too large for an MTL file \(at most 1,048,576"):
        read_mtl(big)
    with pytest.raises(MetadataError, match=r"too large for an MTL file"):
        parse_mtl(big.read_bytes(), big.name)


def _tiff(path: Path, width=300, height=200, **options) -> Path:
    import numpy as np
    import rasterio

    profile = {"driver": "GTiff", "width": width, "height": height, "count": 1}
    data = np.random.default_rng(0).integers(0, 60000, (1, height, width), dtype="uint16")
    with rasterio.open(path, "w", **profile, dtype="uint16", **options) as dataset:
        dataset.write(data)
    return path


LAYOUTS = {
    "strips": {},
    "strips-deflate": {"compress": "deflate"},
    "tiles-zstd": {"tiled": True, "blockxsize": 128, "blockysize": 128, "compress": "zstd"},
    "bigtiff": {"BIGTIFF": "YES", "tiled": True, "blockxsize": 64, "blockysize": 64},
    "one-row-strips": {"blockysize": 1},
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_tiff_structure_refuses_every_truncation(tmp_path, layout):
    from landsat_ops.errors import RasterError
    from landsat_ops.scene.tiff import tiff_structure

    whole = _tiff(tmp_path / "whole.tif", **LAYOUTS[layout])
    image = tiff_structure(whole)
    assert (image.width, image.height, image.samples, image.bits) == (300, 200, 1, 16)
    data = whole.read_bytes()
    cut = tmp_path / "cut.tif"
    step = max(1, len(data) // 300)
    for size in [*range(0, len(data), step), len(data) - 1]:
        cut.write_bytes(data[:size])
        with pytest.raises(RasterError) as info:
            tiff_structure(cut)
        assert str(info.value).startswith(f"{cut}: ") and "\n" not in str(info.value)


def test_tiff_structure_of_a_cog_with_overviews(tmp_path):
    from rasterio.shutil import copy

    from landsat_ops.scene.tiff import tiff_structure

    source = _tiff(tmp_path / "src.tif", 700, 650)
    copy(source, tmp_path / "cog.tif", driver="COG", blocksize=256, overview_resampling="nearest")
    image = tiff_structure(tmp_path / "cog.tif")
    assert image.tiled and image.ifds >= 2 and (image.width, image.height) == (700, 650)


def _header_claiming(path: Path, width: int, height: int, *, compression: int = 1) -> Path:
    """A tiny classic TIFF whose one strip's header claims ``width`` x ``height`` uint16."""
    import struct

    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1, 16),
        (259, 3, 1, compression),
        (262, 3, 1, 1),
        (273, 4, 1, 8 + 2 + 10 * 12 + 4),
        (277, 3, 1, 1),
        (278, 4, 1, height),
        (279, 4, 1, 64),
        (284, 3, 1, 1),
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        packed = struct.pack("<H", value) + b"\0\0" if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, count) + packed
    path.write_bytes(b"II*\0" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + bytes(64))
    return path


def test_a_header_claiming_100000_square_fails_from_the_header(tmp_path):
    from landsat_ops.errors import RasterError
    from landsat_ops.scene.limits import check_tiff_dimensions
    from landsat_ops.scene.tiff import tiff_structure

    raw = _header_claiming(tmp_path / "raw.TIF", 100_000, 100_000)
    with pytest.raises(RasterError, match=r"strip 0 of IFD 0 is 64 bytes, an uncompressed"):
        tiff_structure(raw)
    packed = _header_claiming(tmp_path / "deflate.TIF", 100_000, 100_000, compression=8)
    assert tiff_structure(packed).width == 100_000  # a valid header, as far as TIFF goes
    with pytest.raises(RasterError, match=r"100,000x100,000 pixels, larger than any Landsat"):
        check_tiff_dimensions(packed, None, 4)  # no MTL: held to the largest Landsat band


def test_band_dimensions_must_fit_the_mtl(tmp_path, landsat_data):
    from landsat_ops.errors import RasterError
    from landsat_ops.scene.limits import check_band_dimensions, check_tiff_dimensions
    from landsat_ops.scene.mtl import check_mtl_belongs

    meta = read_mtl(landsat_data / CROP_MTL)  # declares 7661 x 7821 (the crop is 627 x 603)
    files = find_scene_files(landsat_data / CROP)
    check_band_dimensions(meta, files)  # a crop is smaller than the scene: fine
    packed = _header_claiming(tmp_path / "big.TIF", 100_000, 100_000, compression=8)
    with pytest.raises(RasterError) as info:
        check_tiff_dimensions(packed, meta, 4)
    assert str(info.value) == (
        f"{packed}: 100,000x100,000 pixels, more than the MTL declares "
        "(7,661x7,821, REFLECTIVE_SAMPLES x REFLECTIVE_LINES)"
    )
    wide = _header_claiming(tmp_path / "wide.TIF", 7662, 10, compression=8)
    with pytest.raises(RasterError, match="7,662x10 pixels, more than the MTL declares"):
        check_tiff_dimensions(wide, meta, 4)
    check_tiff_dimensions(_header_claiming(tmp_path / "ok.TIF", 7661, 7821, compression=8), meta, 4)

    # The render's check of its folder: the MTL's ID, then every band's header.
    folder = tmp_path / "scene"
    shutil.copytree(landsat_data / CROP, folder)
    shutil.copyfile(packed, folder / "LC80200392015216LGN00_B5.TIF")
    with pytest.raises(RasterError, match=r"_B5.TIF: 100,000x100,000 pixels, more than the MTL"):
        check_mtl_belongs(meta, find_scene_files(folder))
