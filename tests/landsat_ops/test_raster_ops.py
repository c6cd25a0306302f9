"""Unit tests for the pure numpy operations in landsat_ops.raster.ops."""

import numpy as np
import pytest

from landsat_ops import products
from landsat_ops.errors import NoValidPixelsError, OptionError
from landsat_ops.raster import ops


@pytest.mark.parametrize(
    "percentiles",
    [
        pytest.param((2, 98), id="2-98"),
        pytest.param((0, 100), id="min-max"),
        pytest.param((0.5, 99.5), id="fractional"),
        pytest.param((25, 75), id="quartiles"),
    ],
)
@pytest.mark.parametrize("n", [1, 2, 7, 1000, 12345])
def test_percentile_cutoffs_equal_numpy(percentiles, n):
    rng = np.random.default_rng(n)
    values = rng.integers(1, 40000, size=n, dtype=np.uint16)
    data = np.concatenate([values, np.zeros(50, np.uint16)])  # fill must be ignored
    hist = ops.dn_histogram(data)
    expected = np.percentile(values.astype(np.float64), percentiles)
    assert ops.percentile_cutoffs(hist, percentiles) == pytest.approx(tuple(expected), abs=1e-9)


def test_histogram_sums_windows():
    rng = np.random.default_rng(1)
    band = rng.integers(0, 65535, size=(64, 50), dtype=np.uint16)
    whole = ops.dn_histogram(band)
    parts = ops.dn_histogram(band[:30]) + ops.dn_histogram(band[30:])
    assert np.array_equal(whole, parts)
    assert whole[0] == 0
    assert whole.sum() == np.count_nonzero(band)


def test_empty_histogram_raises():
    with pytest.raises(NoValidPixelsError):
        ops.percentile_cutoffs(ops.dn_histogram(np.zeros(10, np.uint16)), (2, 98))


@pytest.mark.parametrize("bad", [(98, 2), (5, 5), (-1, 50), (50, 101), (1, 2, 3)])
def test_bad_percentiles(bad):
    with pytest.raises(OptionError, match="percentiles"):
        products.validate_percentiles(bad)


def test_stretch_lut_maps_range_and_keeps_fill():
    lut = ops.stretch_lut(1000, 2000)
    assert lut.dtype == np.uint8 and lut.shape == (65536,)
    assert lut[0] == 0  # fill stays no data
    assert lut[1] == 1 and lut[999] == 1 and lut[1000] == 1
    assert lut[2000] == 255 and lut[65535] == 255
    assert lut[1500] == 128  # 1 + 500 * 254 / 1000 = 128
    assert np.all(np.diff(lut[1:].astype(int)) >= 0)  # monotonic


@pytest.mark.parametrize("bad", [(2000, 1000), (5, 5), (-1, 10), (0, 70000)])
def test_bad_ranges(bad):
    with pytest.raises(OptionError):
        ops.stretch_lut(*bad)


def test_ndvi_from_dn():
    red = np.array([[0, 10000, 20000, 30000]], dtype=np.uint16)
    nir = np.array([[5000, 30000, 20000, 0]], dtype=np.uint16)
    out = ops.ndvi_from_dn(red, nir, 2e-5, -0.1, 2e-5, -0.1)
    r = red * 2e-5 - 0.1
    n = nir * 2e-5 - 0.1
    assert np.isnan(out[0, 0]) and np.isnan(out[0, 3])  # fill in either band
    assert out[0, 1] == pytest.approx((n[0, 1] - r[0, 1]) / (n[0, 1] + r[0, 1]), rel=1e-6)
    assert out[0, 2] == pytest.approx(0.0, abs=1e-7)


def test_ndvi_non_positive_sum_is_nodata():
    red = np.array([100.0, -0.1], dtype=np.float32)
    nir = np.array([-100.0, 0.05], dtype=np.float32)
    out = ops.ndvi(red, nir, np.array([True, True]))
    assert np.isnan(out).all()


def test_value_histogram_clips_and_skips_nan():
    values = np.array([-2.0, -1.0, 0.0, 0.999, 1.0, 5.0, np.nan], dtype=np.float32)
    counts = ops.value_histogram(values, -1.0, 1.0, 4)
    assert counts.tolist() == [2, 0, 1, 3]


def test_colorize_transparent_nodata():
    lut = ops.colormap_lut("RdYlGn", 256)
    rgba = ops.colorize(np.array([[-1.0, 1.0, np.nan]], dtype=np.float32), -1, 1, lut)
    assert rgba.shape == (1, 3, 4)
    assert rgba[0, 2].tolist() == [0, 0, 0, 0]
    assert rgba[0, 0, 3] == 255 and rgba[0, 1, 3] == 255
    assert rgba[0, 0, 0] > rgba[0, 0, 1]  # low NDVI is red
    assert rgba[0, 1, 1] > rgba[0, 1, 0]  # high NDVI is green


def test_tutorial_lut_is_matplotlibs_truncation():
    from landsat_ops.raster.ops import tutorial_lut

    lut = tutorial_lut(5900, 11000)
    dn = np.array([0, 1, 5900, 5920, 5921, 8450, 10999, 11000, 65535])
    x = np.clip((dn.astype(float) - 5900) / (11000 - 5900), 0, 1)
    expected = np.maximum((x * 255).astype(np.uint8), 1)
    expected[0] = 0
    np.testing.assert_array_equal(lut[dn], expected)


def test_colorize_by_rows_equals_the_whole_array_at_once():
    """colorize works ``rows`` rows at a time (bounded temporaries): the same bytes."""
    rng = np.random.default_rng(3)
    values = rng.uniform(-1.5, 1.5, (50, 33)).astype(np.float32)
    values[rng.random(values.shape) < 0.2] = np.nan
    values[0, :3] = [np.inf, -np.inf, 0.0]
    lut = ops.colormap_lut("RdYlGn", 256)
    whole = ops._colorize(values, -1.0, 1.0, lut)
    for rows in (1, 7, 50, 128):
        got = ops.colorize(values, -1.0, 1.0, lut, rows=rows)
        assert got.dtype == whole.dtype and got.shape == whole.shape
        np.testing.assert_array_equal(got, whole)
