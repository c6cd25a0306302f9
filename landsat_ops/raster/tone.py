"""The ``natural`` true colour: reflectance through one tone curve, then a hue-keeping saturation.

Pure numpy, histograms in, lookup tables out (the renderer streams the pixels through them with
:func:`landsat_ops.raster.kernels.natural_rgb`). Each step and why (docs/products.md):

1. **Reflectance.** Level-2: surface reflectance, ``DN * 2.75e-05 - 0.2`` (the MTL's scaling).
   Level-1: top-of-atmosphere reflectance with the sun-elevation correction,
   ``(DN * REFLECTANCE_MULT + REFLECTANCE_ADD) / sin(SUN_ELEVATION)``, minus the blue haze of
   the air: the single-scattering Rayleigh path reflectance of each band for that sun
   (:func:`rayleigh`), divided by the two-way transmittance. The haze offset is capped at
   ``haze_cap`` x the band's ``haze_percentile`` (0.5) of valid reflectance, so at most the
   darkest half percent of a band goes black and an atmosphere-free input (synthetic scenes) is
   not pushed below zero; a capped haze means a thinner atmosphere, so the transmittance is
   raised to the power ``haze / path`` (the optical depth scaled alike).
2. **White point.** ``white``: the mean over the three channels of their ``white_percentile``
   (99.5) of valid corrected reflectance, computed exactly from the scan's histograms (DN ->
   reflectance is affine). Only about the brightest half percent of the pixels reach white.
3. **One curve for the three channels.** ``x = reflectance / white`` (clipped to 0..1) and
   ``y = log(1 + k x) / log(1 + k)``: steep in the shadows (it lifts them), a logarithmic
   shoulder that compresses the highlights but never flattens them (the slope at white is
   ``k / ((1 + k) log(1 + k))``). ``k`` is the exposure: the one value (within ``k_min..k_max``)
   for which the median clear pixel (mean of the three channels' clear medians) lands on
   ``anchor``; on ``anchor_all_valid`` of every valid pixel when too few are clear. A bright
   scene (ice) gets a small ``k``, nearly linear, so the ice keeps its texture; a dark forest
   under clouds a large one. The same ``y`` for each channel keeps the channels' order (hue).
4. **Saturation.** ``c' = m + s (c - m)`` about the pixel's grey ``m = (r + g + b) / 3`` with
   ``s = 6/5``, in integers (:func:`saturate`; the kernel looks it up in a
   :func:`saturation_table`): it undoes the greying of the shoulder and keeps
   the hue (each pixel moves along the line to its grey).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from landsat_ops.products import DN_LEVELS, MIN_CLEAR_FRACTION, NATURAL_CURVE

__all__ = [
    "RAYLEIGH_OPTICAL_DEPTH",
    "Channel",
    "NaturalPlan",
    "histogram_percentile",
    "log_curve",
    "natural_lut",
    "natural_pixels",
    "plan_natural",
    "rayleigh",
    "saturate",
    "saturation_table",
    "solve_exposure",
]

RAYLEIGH_OPTICAL_DEPTH = {1: 0.2364, 2: 0.1666, 3: 0.0896, 4: 0.0479}
"""Rayleigh optical depth of the OLI bands at sea level, ``0.008569 l^-4 (1 + 0.0113 l^-2 +
0.00013 l^-4)`` at the band centres (0.443, 0.482, 0.561, 0.655 um; Hansen and Travis 1974)."""


def rayleigh(band: int, sun_elevation: float) -> tuple[float, float]:
    """``(path reflectance, two-way transmittance)`` of the air for a band, nadir view.

    Single scattering: ``tau P(theta) / (4 mu_s)`` with ``mu_s = sin(sun elevation)`` and the
    Rayleigh phase function ``P = 3/4 (1 + cos^2 theta)`` at the scattering angle of a nadir
    view, ``theta = 180 deg - sun zenith`` (so ``cos^2 theta = mu_s^2``); transmittance
    ``exp(-tau / 2 (1 / mu_s + 1))`` (half the scattered light still reaches the ground).
    """
    tau = RAYLEIGH_OPTICAL_DEPTH[band]
    mu = math.sin(math.radians(max(float(sun_elevation), 1.0)))
    phase = 0.75 * (1.0 + mu * mu)
    return tau * phase / (4.0 * mu), math.exp(-0.5 * tau * (1.0 / mu + 1.0))


@dataclass(frozen=True)
class Channel:
    """One channel of the natural true colour: ``(DN * mult + add - haze) / transmittance``."""

    band: int
    mult: float
    add: float
    haze: float = 0.0
    transmittance: float = 1.0

    def corrected(self, dn):
        """Corrected reflectance of DN values (float64)."""
        return (np.asarray(dn, np.float64) * self.mult + self.add - self.haze) / self.transmittance

    def dn_of(self, value: float) -> float:
        """The DN whose corrected reflectance is ``value``."""
        return (value * self.transmittance + self.haze - self.add) / self.mult

    def to_dict(self) -> dict:
        return {
            "band": f"B{self.band}",
            "mult": self.mult,
            "add": self.add,
            "haze": self.haze,
            "transmittance": self.transmittance,
        }


def log_curve(x, k: float) -> np.ndarray:
    """``log(1 + k x) / log(1 + k)`` of ``x`` within 0..1 (0 -> 0, 1 -> 1); k 0 is linear."""
    x = np.clip(np.asarray(x, np.float64), 0.0, 1.0)
    if k <= 0:
        return x
    return np.log1p(k * x) / math.log1p(k)


def solve_exposure(x: float, target: float, k_min: float, k_max: float) -> float:
    """The ``k`` within ``k_min..k_max`` for which :func:`log_curve` maps ``x`` to ``target``."""
    if not x > 0:
        return float(k_max)
    if x >= 1.0 or float(log_curve(x, k_min)) >= target:
        return float(k_min)
    if float(log_curve(x, k_max)) <= target:
        return float(k_max)
    lo, hi = float(k_min), float(k_max)
    for _ in range(100):  # the curve rises with k at every 0 < x < 1
        mid = 0.5 * (lo + hi)
        if float(log_curve(x, mid)) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def natural_lut(channel: Channel, white: float, k: float) -> np.ndarray:
    """8-bit lookup table of one channel: DN -> ``1 + 254 * log_curve(corrected / white, k)``.

    Rounded to nearest and within 1..255; DN 0 (fill) stays 0, the products' no-data value.
    """
    y = log_curve(channel.corrected(np.arange(DN_LEVELS)) / white, k)
    lut = np.clip(np.rint(1.0 + 254.0 * y), 1, 255).astype(np.uint8)
    lut[0] = 0
    return lut


def saturate(rgb: np.ndarray, num: int, den: int) -> np.ndarray:
    """Saturation ``s = num / den`` about each pixel's grey, in integers (the kernel's rule).

    ``c' = (den * sum + num * (3 c - sum)) / (3 den)`` with ``sum = r + g + b``, i.e.
    ``m + s (c - m)``, rounded half up and clipped to 1..255; a pixel that is 0 (no data) in
    channel 0 stays 0 in all three. ``rgb`` is ``(3, ...)`` uint8.
    """
    c = rgb.astype(np.int64)
    total = c.sum(axis=0)
    value = den * total + num * (3 * c - total)
    out = np.clip((2 * value + 3 * den) // (6 * den), 1, 255).astype(np.uint8)
    out[:, rgb[0] == 0] = 0
    return out


def saturation_table(num: int, den: int) -> np.ndarray:
    """:func:`saturate` as a table ``[r + g + b, c]`` (766 x 256 uint8) for the kernel."""
    total = np.arange(3 * 255 + 1, dtype=np.int64)[:, np.newaxis]
    c = np.arange(256, dtype=np.int64)[np.newaxis, :]
    value = den * total + num * (3 * c - total)
    return np.ascontiguousarray(np.clip((2 * value + 3 * den) // (6 * den), 1, 255), np.uint8)


def natural_pixels(dn: Sequence[np.ndarray], luts: Sequence[np.ndarray], num: int, den: int):
    """The numpy reference of :func:`landsat_ops.raster.kernels.natural_rgb`: three uint16
    channels through their tables, 0 where any channel is fill, then :func:`saturate`."""
    fill = (dn[0] == 0) | (dn[1] == 0) | (dn[2] == 0)
    rgb = np.stack([lut[band] for lut, band in zip(luts, dn, strict=True)])
    rgb[:, fill] = 0
    return saturate(rgb, num, den)


def histogram_percentile(hist: np.ndarray, q: float) -> float:
    """``np.percentile(values, q)`` (linear) of the values a histogram counts (none: NaN)."""
    cumulative = np.cumsum(hist)
    n = int(cumulative[-1])
    if n == 0:
        return float("nan")
    rank = q / 100.0 * (n - 1)
    below, frac = int(np.floor(rank)), rank - np.floor(rank)
    v0 = int(np.searchsorted(cumulative, below, side="right"))
    v1 = int(np.searchsorted(cumulative, min(below + 1, n - 1), side="right"))
    return v0 + (v1 - v0) * frac


@dataclass
class NaturalPlan:
    """What :func:`plan_natural` decided for a scene: channels, white point, exposure."""

    channels: list[Channel]
    white: float
    k: float
    anchor: float  # the median pixel's x = corrected reflectance / white
    pixels: str  # "clear" or "valid": what the exposure was anchored on
    reflectance: str  # "surface", "toa" or "toa (no sun elevation)"
    saturation: tuple[int, int] = tuple(NATURAL_CURVE["saturation"])

    def luts(self) -> list[np.ndarray]:
        return [natural_lut(c, self.white, self.k) for c in self.channels]

    def saturation_table(self) -> np.ndarray:
        return saturation_table(*self.saturation)

    def cutoffs(self) -> list[tuple[float, float]]:
        """Per channel, the DN of ``x = 0`` (black) and ``x = 1`` (white)."""
        return [(c.dn_of(0.0), c.dn_of(self.white)) for c in self.channels]

    def curve(self) -> dict:
        """The ``curve`` record of the item's ``landsat_ops:stretch``."""
        return {
            "type": NATURAL_CURVE["type"],
            "formula": "y = log(1 + k x) / log(1 + k), x = (rho - haze) / transmittance / white",
            "reflectance": self.reflectance,
            "white": self.white,
            "white_percentile": NATURAL_CURVE["white_percentile"],
            "k": self.k,
            "anchor": {
                "pixels": self.pixels,
                "x": self.anchor,
                "y": NATURAL_CURVE["anchor" if self.pixels == "clear" else "anchor_all_valid"],
            },
            "saturation": round(self.saturation[0] / self.saturation[1], 4),
            "channels": [c.to_dict() for c in self.channels],
        }


def plan_natural(
    bands: Sequence[int],
    coefficients: Mapping[int, tuple[float, float]],
    histograms: Mapping[int, np.ndarray],
    clear_histograms: Mapping[int, np.ndarray] | None,
    *,
    surface_reflectance: bool,
    sun_elevation: float | None,
    params: Mapping = NATURAL_CURVE,
) -> NaturalPlan:
    """The natural curve of a scene from its DN histograms (see the module docstring).

    ``coefficients`` maps a band to its ``(mult, add)`` reflectance rescaling as in the MTL
    (Level-1: not yet divided by the sine of the sun elevation). ``histograms`` counts every
    valid pixel, ``clear_histograms`` the clear ones (None without a QA band).
    """
    if surface_reflectance:
        kind = "surface"
    else:
        kind = "toa" if sun_elevation else "toa (no sun elevation)"
    channels = []
    for band in bands:
        mult, add = coefficients[band]
        if not surface_reflectance and sun_elevation:
            mu = math.sin(math.radians(max(float(sun_elevation), 1.0)))
            mult, add = mult / mu, add / mu
        haze, transmittance = 0.0, 1.0
        if not surface_reflectance and sun_elevation and band in RAYLEIGH_OPTICAL_DEPTH:
            path, transmittance = rayleigh(band, sun_elevation)
            dark = histogram_percentile(histograms[band], params["haze_percentile"])
            haze = max(0.0, min(path, params["haze_cap"] * (dark * mult + add)))
            # A capped haze means a thinner atmosphere: its transmittance too.
            transmittance = transmittance ** (haze / path)
        channels.append(Channel(band, mult, add, haze, transmittance))
    q = params["white_percentile"]
    white = float(
        np.mean([c.corrected(histogram_percentile(histograms[c.band], q)) for c in channels])
    )
    white = max(white, 1e-3)  # a black scene: no division by zero
    pixels = "valid"
    source = histograms
    if clear_histograms:
        clear = min(int(clear_histograms[b].sum()) for b in bands)
        valid = min(int(histograms[b].sum()) for b in bands)
        if clear >= MIN_CLEAR_FRACTION * max(valid, 1):
            pixels, source = "clear", clear_histograms
    median = float(
        np.mean([c.corrected(histogram_percentile(source[c.band], 50)) for c in channels])
    )
    anchor = median / white
    target = params["anchor" if pixels == "clear" else "anchor_all_valid"]
    k = solve_exposure(anchor, target, params["k_min"], params["k_max"])
    return NaturalPlan(channels, white, k, anchor, pixels, kind)
