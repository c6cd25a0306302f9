"""The natural tone curve's pieces (landsat_ops.raster.tone), each against its definition."""

import math

import numpy as np
import pytest

from landsat_ops.raster import ops, tone


def test_histogram_percentile_is_numpys():
    rng = np.random.default_rng(5)
    values = rng.integers(1, 4000, 5001)
    hist = np.bincount(values, minlength=ops.DN_LEVELS)
    for q in (0, 0.5, 2, 50, 98, 99.5, 100):
        assert tone.histogram_percentile(hist, q) == pytest.approx(np.percentile(values, q))
    assert math.isnan(tone.histogram_percentile(np.zeros(10, np.int64), 50))


def test_log_curve_ends_and_shape():
    x = np.linspace(0, 1, 101)
    for k in (1.0, 10.0, 300.0):
        y = tone.log_curve(x, k)
        assert y[0] == 0 and y[-1] == pytest.approx(1)
        assert (np.diff(y) > 0).all()  # never flat: highlights keep their texture
        slope_at_white = k / ((1 + k) * math.log1p(k))
        assert (y[-1] - y[-2]) / 0.01 == pytest.approx(slope_at_white, rel=0.02)
        assert (y >= x - 1e-12).all()  # lifts the shadows, never darkens
    np.testing.assert_allclose(tone.log_curve(x, 0), x)


def test_solve_exposure_puts_the_anchor_on_target_within_bounds():
    k = tone.solve_exposure(0.05, 0.33, 1.0, 300.0)
    assert 1 < k < 300
    assert float(tone.log_curve(0.05, k)) == pytest.approx(0.33, abs=1e-9)
    assert tone.solve_exposure(0.9, 0.33, 1.0, 300.0) == 1.0  # bright scene: nearly linear
    assert tone.solve_exposure(1e-5, 0.33, 1.0, 300.0) == 300.0  # black scene: at most k_max
    assert tone.solve_exposure(0.0, 0.33, 1.0, 300.0) == 300.0


def test_rayleigh_is_single_scattering_for_a_nadir_view():
    path, transmittance = tone.rayleigh(2, 90.0)  # sun at zenith: backscatter, P = 3/2
    assert path == pytest.approx(0.1666 * 1.5 / 4)
    assert transmittance == pytest.approx(math.exp(-0.1666))
    low, _ = tone.rayleigh(2, 30.0)
    assert low > path  # a longer path through the air at a low sun
    assert tone.rayleigh(4, 60.0)[0] < tone.rayleigh(3, 60.0)[0] < tone.rayleigh(2, 60.0)[0]


def test_saturate_keeps_grey_and_hue_and_scales_chroma():
    rgb = np.array([[[100, 128, 40]], [[60, 128, 90]], [[200, 128, 30]]], np.uint8)
    out = tone.saturate(rgb, 6, 5).astype(float)
    c = rgb.astype(float)
    m = c.mean(axis=0)
    expected = np.clip(np.floor(m + 1.2 * (c - m) + 0.5), 1, 255)
    np.testing.assert_array_equal(out, expected)
    assert (out[:, 0, 1] == 128).all()  # grey stays grey
    # Hue kept: the chroma vector keeps its direction (within rounding).
    d_in, d_out = c[:, 0, 0] - m[0, 0], out[:, 0, 0] - out[:, 0, 0].mean()
    assert np.dot(d_in, d_out) / (np.linalg.norm(d_in) * np.linalg.norm(d_out)) > 0.9999
    fill = np.zeros((3, 1, 1), np.uint8)
    assert (tone.saturate(fill, 6, 5) == 0).all()


def test_natural_lut_is_the_curve_of_corrected_reflectance():
    channel = tone.Channel(3, 2.0e-5 / 0.5, -0.1 / 0.5, 0.03, 0.9)
    lut = tone.natural_lut(channel, 0.8, 20.0)
    dn = np.array([0, 1, 5000, 8000, 12000, 25000, 65535])
    rho = ((dn * 2.0e-5 - 0.1) / 0.5 - 0.03) / 0.9
    y = np.log1p(20 * np.clip(rho / 0.8, 0, 1)) / np.log1p(20)
    expected = np.clip(np.rint(1 + 254 * y), 1, 255)
    expected[0] = 0
    np.testing.assert_array_equal(lut[dn], expected)
    assert channel.dn_of(0.8) == pytest.approx(((0.8 * 0.9 + 0.03) * 0.5 + 0.1) / 2.0e-5)


def test_plan_natural_from_histograms():
    """White point, haze cap and exposure as the docstring says, from made-up histograms."""
    rng = np.random.default_rng(2)
    dn = {b: rng.integers(6000 + 500 * b, 30000, 20000) for b in (4, 3, 2)}
    hists = {b: np.bincount(v, minlength=ops.DN_LEVELS) for b, v in dn.items()}
    clear = {b: np.bincount(v[:5000] // 2 + 3000, minlength=ops.DN_LEVELS) for b, v in dn.items()}
    coefficients = {b: (2.0e-5, -0.1) for b in dn}
    plan = tone.plan_natural(
        (4, 3, 2), coefficients, hists, clear, surface_reflectance=False, sun_elevation=40.0
    )
    mu = math.sin(math.radians(40))
    corrected = {}
    for c in plan.channels:
        rho = (dn[c.band] * 2.0e-5 - 0.1) / mu
        path, t = tone.rayleigh(c.band, 40.0)
        haze = min(path, np.percentile(rho, 0.5))
        assert c.haze == pytest.approx(haze)
        assert c.transmittance == pytest.approx(t ** (haze / path))
        corrected[c.band] = (rho - haze) / c.transmittance
    white = np.mean([np.percentile(v, 99.5) for v in corrected.values()])
    assert plan.white == pytest.approx(white)
    assert plan.pixels == "clear"
    clear_rho = {
        c.band: c.corrected(np.repeat(np.arange(ops.DN_LEVELS), clear[c.band]))
        for c in plan.channels
    }
    anchor = np.mean([np.median(v) for v in clear_rho.values()]) / white
    assert plan.anchor == pytest.approx(anchor)
    assert float(tone.log_curve(anchor, plan.k)) == pytest.approx(0.33, abs=1e-6)
    # Too few clear pixels: anchored on every valid one.
    few = {b: np.where(np.arange(ops.DN_LEVELS) == 9000, 1, 0) for b in dn}
    plan = tone.plan_natural(
        (4, 3, 2), coefficients, hists, few, surface_reflectance=True, sun_elevation=40.0
    )
    assert plan.pixels == "valid" and plan.reflectance == "surface"
    assert all(c.haze == 0 and c.transmittance == 1 for c in plan.channels)
