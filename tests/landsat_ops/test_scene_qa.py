"""Tests for landsat_ops.scene.qa: fill and cloud masks of the three QA generations.

Tiny arrays of real QA codes (listed in ../shared/data/landsat/README.md) check the bit
layouts code by code; the real QA rasters check the masks against the README's fill share
and the MTL's own CLOUD_COVER.
"""

import numpy as np
import pytest
import rasterio

from landsat_ops.errors import SceneError
from landsat_ops.scene import QA_KINDS, find_scene_files, parse_scene_id, qa_kind_for, read_mtl
from landsat_ops.scene.qa import cloud_mask, fill_mask

# (QA value, is fill, is cloud, what the bits say)
C2_CODES = [
    (1, True, False, "fill"),
    (21824, False, False, "clear land, low confidences"),
    (21952, False, False, "clear water"),
    (22080, False, False, "clear, medium cloud confidence"),
    (55052, False, True, "cloud, high confidence, high cirrus confidence"),
    (22280, False, True, "cloud, high confidence"),
    (21762, False, True, "dilated cloud only"),
    (22018, False, True, "dilated cloud, medium confidence"),
    (23826, False, True, "dilated cloud + cloud shadow"),
    (23888, False, False, "cloud shadow, clear"),
    (30048, False, False, "snow, clear"),
    (29986, False, True, "dilated cloud over snow"),
    (56660, False, False, "cirrus + shadow, clear: cirrus is not cloud"),
    (56598, False, True, "dilated cloud + cirrus"),
]
C1_CODES = [
    (1, True, False, "designated fill"),
    (2720, False, False, "clear, low confidences"),
    (2752, False, False, "medium cloud confidence, no cloud bit"),
    (2800, False, True, "cloud, high confidence"),
    (2804, False, True, "cloud + radiometric saturation"),
    (2976, False, False, "high cloud shadow confidence"),
    (6816, False, False, "high cirrus confidence"),
    (6896, False, True, "cloud + high cirrus confidence"),
]
PRE_COLLECTION_CODES = [
    (1, True, False, "designated fill"),
    (0xC001, True, False, "fill with cloud bits set: fill is never cloud"),
    (20480, False, False, "cloud 'no', cirrus 'no'"),
    (20512, False, False, "water 'maybe'"),
    (23552, False, False, "snow/ice 'yes'"),
    (28672, False, False, "cirrus 'yes'"),
    (36864, False, False, "cloud 'maybe'"),
    (45056, False, False, "cloud 'maybe', cirrus 'yes'"),
    (53248, False, True, "cloud 'yes'"),
    (53280, False, True, "cloud 'yes', water 'maybe'"),
    (61440, False, True, "cloud 'yes', cirrus 'yes'"),
    (61472, False, True, "cloud 'yes', cirrus 'yes', water 'maybe'"),
]


@pytest.mark.parametrize(
    ("kind", "codes"),
    [
        pytest.param("c2", C2_CODES, id="c2"),
        pytest.param("c1", C1_CODES, id="c1"),
        pytest.param("pre-collection", PRE_COLLECTION_CODES, id="pre-collection"),
    ],
)
def test_masks_code_by_code(kind, codes):
    qa = np.array([[value for value, *_ in codes]], dtype=np.uint16)
    fill = fill_mask(qa, kind)
    cloud = cloud_mask(qa, kind)
    assert fill.dtype == cloud.dtype == np.bool_
    assert fill.shape == cloud.shape == qa.shape
    for i, (value, is_fill, is_cloud, meaning) in enumerate(codes):
        assert (fill[0, i], cloud[0, i]) == (is_fill, is_cloud), f"{value}: {meaning}"


def test_masks_accept_other_integer_dtypes():
    qa = np.array([1, 55052, 21824], dtype=np.uint16)
    for dtype in (np.int32, np.int64, np.uint32):
        assert cloud_mask(qa.astype(dtype), "c2").tolist() == [False, True, False]
    # An int16 read of uint16 data wraps 55052 to -10484; the bits are unchanged.
    assert cloud_mask(qa.view(np.int16), "c2").tolist() == [False, True, False]
    pre = np.array([53248, 36864, 61440, 20480], dtype=np.uint16).view(np.int16)
    assert cloud_mask(pre, "pre-collection").tolist() == [True, False, True, False]


def test_masks_reject_bad_input():
    with pytest.raises(ValueError, match="unknown QA kind 'c3' \\(expected one of"):
        fill_mask(np.zeros(3, np.uint16), "c3")
    with pytest.raises(ValueError, match="dtype float32 \\(expected an integer QA band\\)"):
        cloud_mask(np.zeros(3, np.float32), "c2")


@pytest.mark.parametrize(
    ("scene_id", "filename", "kind"),
    [
        pytest.param(
            "LC80200392015216LGN00",
            "LC80200392015216LGN00_BQA.TIF",
            "pre-collection",
            id="pre-collection",
        ),
        pytest.param(
            "LC08_L1TP_016037_20170813_20170814_01_RT",
            "LC08_L1TP_016037_20170813_20170814_01_RT_BQA.TIF",
            "c1",
            id="c1",
        ),
        pytest.param(
            "LC08_L2SP_008059_20191201_20200825_02_T1",
            "s3://b/LC08_L2SP_008059_20191201_20200825_02_T1_QA_PIXEL.TIF",
            "c2",
            id="c2-l2",
        ),
        pytest.param(
            "LC08_L1TP_188018_20200927_20201005_02_T1",
            "LC08_L1TP_188018_20200927_20201005_02_T1_qa_pixel.tif",
            "c2",
            id="c2-l1",
        ),
    ],
)
def test_qa_kind_for(scene_id, filename, kind):
    assert qa_kind_for(parse_scene_id(scene_id), filename) == kind
    assert kind in QA_KINDS


@pytest.mark.parametrize(
    ("scene_id", "filename"),
    [
        pytest.param("LC08_L1TP_016037_20170813_20170814_01_RT", "x_QA_PIXEL.TIF", id="c1-pixel"),
        pytest.param("LC08_L2SP_008059_20191201_20200825_02_T1", "x_BQA.TIF", id="c2-bqa"),
        pytest.param("LC80200392015216LGN00", "x_B4.TIF", id="not-qa"),
    ],
)
def test_qa_kind_for_rejects(scene_id, filename):
    with pytest.raises(SceneError, match=f"^{filename}: not a QA band of {scene_id}"):
        qa_kind_for(parse_scene_id(scene_id), filename)


# Real rasters: fill share of the band files (README "zero px") and the MTL CLOUD_COVER.
@pytest.mark.parametrize(
    ("folder", "kind", "zero_percent", "cloud_codes"),
    [
        pytest.param(
            "rasters/LC80200392015216LGN00_crop30m",
            "pre-collection",
            0.0,
            {53248, 53280, 61440, 61472},
            id="pre-collection-crop",
        ),
        pytest.param(
            "rasters/LC08_L1TP_016037_20170813_20170814_01_RT_900m",
            "c1",
            30.2,
            {2800, 2804, 6896},
            id="c1-south-carolina",
        ),
        pytest.param(
            "rasters/LC08_L2SP_008059_20191201_20200825_02_T1_512px",
            "c2",
            30.7,
            {21762, 22018, 22280, 23826, 24082, 55052, 56598, 56854},
            id="c2-tropics",
        ),
        pytest.param(
            "rasters/LC08_L2SP_005009_20150710_20200908_02_T2_512px",
            "c2",
            47.2,
            {22280, 23826, 24082, 29986, 30242, 55052},
            id="c2-greenland",
        ),
        pytest.param(
            "rasters/LC08_L2SP_001062_20201031_20201106_02_T2_5pct",
            "c2",
            30.5,
            {22280, 55052},
            id="c2-amazon",
        ),
    ],
)
def test_masks_on_real_qa_rasters(landsat_data, folder, kind, zero_percent, cloud_codes):
    files = find_scene_files(landsat_data / folder)
    assert files.qa_kind == kind
    with rasterio.open(files.qa) as src:
        qa = src.read(1)
    with rasterio.open(files.bands[1]) as src:
        band_zero = src.read(1) == 0

    fill = fill_mask(qa, kind)
    cloud = cloud_mask(qa, kind)

    # README: fill is the QA value 1 (sets 2-5), the crop has none; every 0 DN pixel in the
    # bands is QA fill, and QA fill is a little wider than the zeros of one band.
    assert np.array_equal(fill, qa == 1)
    assert not (band_zero & ~fill).any()
    assert 100 * fill.mean() == pytest.approx(zero_percent, abs=1.6)
    assert not (fill & cloud).any()
    assert set(np.unique(qa[cloud]).tolist()) == cloud_codes


@pytest.mark.parametrize(
    ("folder", "strip_dilated"),
    [
        pytest.param("rasters/LC08_L1TP_016037_20170813_20170814_01_RT_900m", False, id="c1"),
        pytest.param("rasters/LC08_L2SP_008059_20191201_20200825_02_T1_512px", True, id="tropics"),
        pytest.param(
            "rasters/LC08_L2SP_005009_20150710_20200908_02_T2_512px", True, id="greenland"
        ),
        pytest.param("rasters/LC08_L2SP_001062_20201031_20201106_02_T2_5pct", True, id="amazon"),
    ],
)
def test_cloud_share_matches_mtl_cloud_cover(landsat_data, folder, strip_dilated):
    """The cloud bit's share of the valid pixels is the MTL CLOUD_COVER (which leaves out
    Collection 2's dilated cloud, so that bit is cleared here; the mask itself includes it)."""
    files = find_scene_files(landsat_data / folder)
    with rasterio.open(files.qa) as src:
        qa = src.read(1)
    valid = ~fill_mask(qa, files.qa_kind)
    cloud = cloud_mask(qa, files.qa_kind)
    cloud_bit_only = cloud_mask(qa & ~np.uint16(0b10), files.qa_kind) if strip_dilated else cloud
    cloud_cover = read_mtl(files.mtl).cloud_cover
    assert 100 * cloud_bit_only[valid].mean() == pytest.approx(cloud_cover, abs=0.1)
    assert cloud[valid].mean() >= cloud_bit_only[valid].mean()


@pytest.mark.parametrize(
    "kind, clear, not_clear",
    [
        pytest.param("c2", [21824, 21952, 30048], [1, 55052, 22280, 23888], id="c2"),
        # C1: 2720 clear, 6816 cirrus (still clear); 2752 medium cloud, 2800 cloud, 2976 shadow.
        pytest.param("c1", [2720, 6816], [1, 2752, 2800, 2976, 3008, 6848], id="c1"),
        pytest.param("pre-collection", [20480, 36864], [1, 53248, 61440, 61472], id="pre"),
    ],
)
def test_clear_mask_code_by_code(kind, clear, not_clear):
    from landsat_ops.scene.qa import clear_lut, clear_mask

    codes = np.array(clear + not_clear, dtype=np.uint16)
    expected = [True] * len(clear) + [False] * len(not_clear)
    assert clear_mask(codes, kind).tolist() == expected
    assert clear_lut(kind)[codes].tolist() == [int(e) for e in expected]
