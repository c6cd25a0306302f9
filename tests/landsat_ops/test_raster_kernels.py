"""The compiled kernels give exactly what the numpy reference functions give."""

import numpy as np
import pytest

from landsat_ops.raster import kernels, ops, tone


@pytest.fixture(scope="module")
def strips():
    rng = np.random.default_rng(7)
    shape = (37, 53)  # odd sizes: no vectorisation remainder is left untested
    bands = [rng.integers(0, 65536, shape, dtype=np.uint16) for _ in range(3)]
    for i, band in enumerate(bands):  # fill in different places in each channel
        band[i::5, :] = 0
        band[:, -1 - i] = 0
    bands[0][0, :4] = [1, 65535, 6000, 30000]  # both ends of the range and the cut-offs
    return bands


def test_histogram_matches_bincount(strips):
    hist = np.zeros(ops.DN_LEVELS, np.int64)
    for band in strips:
        kernels.histogram_u16(band, hist)
    hist[0] = 0
    expected = sum(ops.dn_histogram(band) for band in strips)
    np.testing.assert_array_equal(hist, expected)


def test_stretch_matches_lookup_and_fill_rule(strips):
    luts = [ops.stretch_lut(6000, 30000), ops.stretch_lut(1, 2), ops.stretch_lut(100, 65535)]
    out = np.empty((3, *strips[0].shape), np.uint8)
    kernels.stretch_rgb(*strips, *luts, out)
    looked_up = np.stack([ops.apply_lut(b, lut) for b, lut in zip(strips, luts, strict=True)])
    any_fill = np.any(np.stack(strips) == 0, axis=0)
    expected = np.where(any_fill, 0, looked_up)
    np.testing.assert_array_equal(out, expected)
    assert (out[:, ~any_fill] > 0).all()  # a valid pixel never looks like fill


def test_ndvi_is_bit_identical_and_counts(strips):
    red, nir = strips[0], strips[1]
    coefficients = (2.0e-5, -0.1, 2.0e-5, -0.1)
    out = np.empty(red.shape, np.float32)
    hist = np.zeros(200, np.int64)
    valid = kernels.ndvi_u16(red, nir, *(np.float32(c) for c in coefficients), out, hist, -1.0, 1.0)
    expected = ops.ndvi_from_dn(red, nir, *coefficients)
    np.testing.assert_array_equal(out, expected)  # NaN where the reference has NaN
    assert valid == np.isfinite(expected).sum() == hist.sum()
    np.testing.assert_array_equal(hist, ops.value_histogram(expected, -1.0, 1.0, 200))


def test_ndvi_levels_match_the_reference():
    rng = np.random.default_rng(3)
    values = rng.uniform(-1.0, 1.0, (37, 53)).astype(np.float32)
    values[0, :7] = [-1.0, 1.0, 0.0, np.nan, np.inf, -0.5 / 127, 0.5 / 127]  # ends, ties
    values[5::7, 3::11] = np.nan
    out = np.full(values.shape, 99, np.uint8)
    kernels.ndvi_levels(values, out)
    np.testing.assert_array_equal(out, ops.ndvi_levels(values))
    assert list(out[0, :5]) == [1, 255, 128, 0, 0]
    assert out[np.isnan(values)].max() == 0 and out[np.isfinite(values)].min() >= 1


def test_kernels_compile_without_a_writable_cache():
    """Where numba finds no cache folder it can write, the kernels still load (uncached)."""
    import subprocess
    import sys

    code = (
        "import numba.core.caching as c\n"
        "c.CacheImpl._locator_classes = []  # as on a read-only install without a home\n"
        "import warnings, numpy as np\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.simplefilter('always')\n"
        "    from landsat_ops.raster import kernels\n"
        "h = np.zeros(65536, np.int64)\n"
        "kernels.histogram_u16(np.array([[1, 1, 7]], np.uint16), h)\n"
        "assert h[1] == 2 and h[7] == 1\n"
        "assert any('NUMBA_CACHE_DIR' in str(w.message) for w in seen), seen\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_clear_histogram_matches_numpy(strips):
    from landsat_ops.scene.qa import clear_lut

    qa = strips[2].copy()
    qa[::3, ::2] = 21824  # clear land (Collection 2 QA_PIXEL)
    qa[1::4] = 55052  # high-confidence cloud
    clear = clear_lut("c2")
    hist = np.zeros(ops.DN_LEVELS, np.int64)
    for band in strips[:2]:
        kernels.histogram_clear_u16(band, qa, clear, hist)
    hist[0] = 0
    expected = sum(ops.clear_dn_histogram(band, qa, clear) for band in strips[:2])
    np.testing.assert_array_equal(hist, expected)
    assert 0 < hist.sum() < 2 * qa.size


def test_stretch_with_the_manual_table_keeps_the_fill_rule(strips):
    make = ops.tutorial_lut
    luts = [make(6000, 30000), make(1, 2), make(100, 65535)]
    for lut in luts:
        assert lut[0] == 0 and lut[1:].min() >= 1 and lut[-1] == 255
        assert (np.diff(lut[1:].astype(int)) >= 0).all()  # monotonic
    out = np.empty((3, *strips[0].shape), np.uint8)
    kernels.stretch_rgb(*strips, *luts, out)
    looked_up = np.stack([ops.apply_lut(b, lut) for b, lut in zip(strips, luts, strict=True)])
    any_fill = np.any(np.stack(strips) == 0, axis=0)
    np.testing.assert_array_equal(out, np.where(any_fill, 0, looked_up))


# -- average overviews (issue 13): the first level compiled ----------------------------------
@pytest.mark.parametrize("shape", [(3, 512, 700), (3, 37, 65), (1, 1, 1)])
def test_average_overviews_equal_the_numpy_reference_u8(shape):
    from landsat_ops.raster.ops import cell_sums, mean_pyramid
    from landsat_ops.render.cog import average_overviews

    rng = np.random.default_rng(sum(shape))
    data = rng.integers(0, 256, shape, dtype=np.uint8)
    data[:, : shape[1] // 3, : shape[2] // 4] = 0  # a no-data corner
    for step in (2, 3, 4):  # partial cells at the right and bottom edges too
        sums = np.full((shape[0], -(-shape[1] // step), -(-shape[2] // step)), 7, np.int32)
        counts = np.full(sums.shape, 7, np.int32)  # overwritten, not added to
        kernels.cell_sums_u8(data, step, sums, counts)
        ref_sums, ref_counts = cell_sums(data, step, 0)
        np.testing.assert_array_equal(sums, ref_sums)
        np.testing.assert_array_equal(counts, ref_counts)
    factors = [2, 4, 8, 16]
    for got, want in zip(
        average_overviews(data, factors, 0), mean_pyramid(data, factors, 0), strict=True
    ):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, want)


def test_average_overviews_equal_the_numpy_reference_f32():
    from landsat_ops.raster.ops import mean_pyramid
    from landsat_ops.render.cog import average_overviews

    rng = np.random.default_rng(7)
    # NDVI-like values on a 2^-16 grid, so sums of a cell are exact in any order.
    data = (np.round(rng.uniform(-1, 1, (1, 300, 257)) * 2**16) / 2**16).astype(np.float32)
    data[0, 100:140, 30:200] = np.nan
    data[0, 0, 0] = np.inf  # any non-finite value is no data
    factors = [2, 4, 8]
    for got, want in zip(
        average_overviews(data, factors, np.nan), mean_pyramid(data, factors, np.nan), strict=True
    ):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want)  # NaN == NaN for assert_array_equal


def test_average_overviews_u8_deep_pyramid_and_rounding():
    """Integer sums through six levels; means half-way between two values round to even."""
    from landsat_ops.raster.ops import mean_pyramid
    from landsat_ops.render.cog import average_overviews

    rng = np.random.default_rng(11)
    data = rng.integers(0, 256, (2, 128, 201), dtype=np.uint8)
    data[0, 64:, :100] = 0
    data[1, :, 150:] = 0  # cells (and whole coarse cells) without any valid pixel
    data[:, :2, :4] = [[1, 2, 3, 4], [0, 0, 0, 0]]  # means 1.5 -> 2 and 3.5 -> 4
    factors = [2, 4, 8, 16, 32, 64]
    got = average_overviews(data, factors, 0)
    for level, want in zip(got, mean_pyramid(data, factors, 0), strict=True):
        assert level.dtype == np.uint8 and level.flags.c_contiguous
        np.testing.assert_array_equal(level, want)
    assert got[0][:, 0, :2].tolist() == [[2, 4], [2, 4]]


def test_average_overviews_f32_bit_identical_for_any_values():
    """Float sums depend on their order: the first level and the cascade keep the reference's."""
    from landsat_ops.raster.ops import mean_pyramid
    from landsat_ops.render.cog import average_overviews

    rng = np.random.default_rng(5)
    data = rng.uniform(-1, 1, (1, 512, 301)) * 10.0 ** rng.integers(-8, 1, (1, 512, 301))
    data = data.astype(np.float32)
    data[rng.random(data.shape) < 0.3] = np.nan
    factors = [2, 4, 8, 16]
    for got, want in zip(
        average_overviews(data, factors, np.nan), mean_pyramid(data, factors, np.nan), strict=True
    ):
        assert got.dtype == np.float32
        assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("saturation", [(6, 5), (1, 1), (3, 1)])
def test_natural_rgb_matches_the_reference(strips, saturation):
    """Tone-curve tables and the integer saturation: the kernel equals tone.natural_pixels."""
    channels = [
        tone.Channel(4, 2.0e-5 / 0.8, -0.1 / 0.8, 0.02, 0.95),
        tone.Channel(3, 2.0e-5 / 0.8, -0.1 / 0.8, 0.035, 0.91),
        tone.Channel(2, 2.0e-5 / 0.8, -0.1 / 0.8, 0.06, 0.84),
    ]
    luts = [tone.natural_lut(c, 0.9, 40.0) for c in channels]
    out = np.empty((3, *strips[0].shape), np.uint8)
    kernels.natural_rgb(*strips, *luts, tone.saturation_table(*saturation), out)
    expected = tone.natural_pixels(strips, luts, *saturation)
    np.testing.assert_array_equal(out, expected)
    any_fill = np.any(np.stack(strips) == 0, axis=0)
    assert (out[:, any_fill] == 0).all() and (out[:, ~any_fill] >= 1).all()
    assert (out == 255).any() and (out[:, ~any_fill] == 1).any()  # both clips are reached
