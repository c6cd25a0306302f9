"""How a composite's three channels are mapped to 8 bits: the :class:`Stretch` and its planning.

The stretch of each composite is planned once from the whole-scene histograms of the scan:
``manual`` (given DN ranges), ``linear`` (percentile cut-offs of every valid pixel) or, for the
``natural`` true colour, reflectance through one tone curve anchored on the scene's white
point (:mod:`landsat_ops.raster.tone`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from landsat_ops.products import COMPOSITES
from landsat_ops.raster import ops
from landsat_ops.raster.tone import NaturalPlan, plan_natural
from landsat_ops.scene import Metadata, SceneFiles
from landsat_ops.scene.rescaling import SR_ADD, SR_MULT

__all__ = ["Stretch", "linear_cutoffs", "natural_stretch", "plan_stretches"]

logger = logging.getLogger(__name__)


@dataclass
class Stretch:
    """How the three channels of a composite were mapped to 8 bits (``landsat_ops:stretch``).

    ``mode`` is ``natural`` (reflectance through one tone curve, :attr:`plan`; see
    :mod:`landsat_ops.raster.tone`), ``linear`` (percentiles of every valid pixel, linear) or
    ``manual`` (given DN ranges, the tutorial's arithmetic); ``method`` says where the cut-offs
    came from (``percentile``, ``white point`` or ``manual``). For ``natural`` the cut-offs are
    each channel's DN of black (x = 0) and of the white point (x = 1), and ``pixels`` says what
    the exposure was anchored on (``clear`` or ``valid``); for ``linear`` which pixels the
    percentiles counted. ``clear_fraction`` is the share of clear pixels among the valid ones
    (None without a QA band).
    """

    method: str  # "percentile" or "manual"
    bands: tuple[int, int, int]
    cutoffs: list[tuple[float, float]]
    percentiles: tuple[float, float] | None = None
    mode: str = "linear"
    pixels: str | None = None
    clear_fraction: float | None = None
    curve: dict | None = None
    plan: NaturalPlan | None = field(default=None, repr=False)

    def luts(self) -> list[np.ndarray]:
        """The 8-bit lookup table of each channel (for ``natural``: before the saturation)."""
        if self.mode == "manual":
            return [ops.tutorial_lut(lo, hi) for lo, hi in self.cutoffs]
        if self.plan is not None:
            return self.plan.luts()
        return [ops.stretch_lut(lo, hi) for lo, hi in self.cutoffs]

    def to_dict(self) -> dict:
        out = {
            "method": self.method,
            "mode": self.mode,
            "bands": [f"B{b}" for b in self.bands],
            "cutoffs": [[round(lo, 3), round(hi, 3)] for lo, hi in self.cutoffs],
        }
        if self.percentiles is not None:
            out["percentiles"] = list(self.percentiles)
        if self.pixels is not None:
            out["pixels"] = self.pixels
        if self.clear_fraction is not None:
            out["clear_fraction"] = round(self.clear_fraction, 4)
        if self.curve is not None:
            out["curve"] = dict(self.curve)
        return out


def plan_stretches(
    names: Iterable[str],
    *,
    scene_id: str,
    files: SceneFiles,
    meta: Metadata | None,
    histograms: dict[int, np.ndarray],
    clear_histograms: dict[int, np.ndarray],
    percentiles: tuple[float, float],
    ranges: Sequence[tuple[float, float]] | None,
    natural: Iterable[str],
) -> dict[str, Stretch]:
    """The stretch of each composite of ``names`` (in :data:`COMPOSITES` order), logged.

    ``ranges`` (manual) replace every stretch; the composites of ``natural`` get the natural
    tone curve, the others the linear percentile cut-offs of every valid pixel.
    """
    names, natural = set(names), set(natural)
    stretches: dict[str, Stretch] = {}
    for name, bands in COMPOSITES.items():
        if name not in names:
            continue
        if ranges is not None:
            stretch = Stretch("manual", bands, list(ranges), mode="manual")
        elif name in natural:
            stretch = natural_stretch(bands, scene_id, files, meta, histograms, clear_histograms)
        else:
            stretch = Stretch(
                "percentile",
                bands,
                linear_cutoffs(histograms, bands, percentiles),
                percentiles,
                pixels="valid",
            )
        stretches[name] = stretch
        channels = zip(stretch.bands, stretch.cutoffs, strict=True)
        logger.info(
            "%s: %s stretch (%s%s%s): %s",
            scene_id,
            name,
            stretch.mode,
            "" if stretch.percentiles is None else " {:g}-{:g} %".format(*percentiles),
            "" if stretch.pixels is None else f" of {stretch.pixels} pixels",
            ", ".join(f"B{b} {lo:g}-{hi:g}" for b, (lo, hi) in channels),
        )
    return stretches


def linear_cutoffs(
    histograms: dict[int, np.ndarray], bands, percentiles: tuple[float, float]
) -> list[tuple[float, float]]:
    """Each band's percentile cut-offs of its histogram (valid pixels)."""
    cutoffs = [ops.percentile_cutoffs(histograms[b], percentiles) for b in bands]
    # A band with a single value has no spread: widen by one DN to keep it valid.
    return [(lo, hi if hi > lo else lo + 1) for lo, hi in cutoffs]


def natural_stretch(
    bands,
    scene_id: str,
    files: SceneFiles,
    meta: Metadata | None,
    histograms: dict[int, np.ndarray],
    clear_histograms: dict[int, np.ndarray],
) -> Stretch:
    """Reflectance, a white point and one tone curve (:func:`plan_natural`)."""
    coefficients = {}
    for b in bands:
        if files.surface_reflectance:
            mult = meta.sr_mult.get(b, SR_MULT) if meta else SR_MULT
            add = meta.sr_add.get(b, SR_ADD) if meta else SR_ADD
        elif meta is not None and b in meta.reflectance_mult and b in meta.reflectance_add:
            mult, add = meta.reflectance_mult[b], meta.reflectance_add[b]
        else:  # every OLI Level-1 product has these (no MTL: no sun elevation either)
            mult, add = 2.0e-5, -0.1
        coefficients[b] = (mult, add)
    plan = plan_natural(
        bands,
        coefficients,
        histograms,
        clear_histograms or None,
        surface_reflectance=files.surface_reflectance,
        sun_elevation=meta.sun_elevation if meta is not None else None,
    )
    fraction = None
    if clear_histograms:
        clear = min(int(clear_histograms[b].sum()) for b in bands)
        fraction = clear / max(1, min(int(histograms[b].sum()) for b in bands))
    if plan.pixels == "valid":
        logger.info(  # recorded in the item too: pixels "valid"
            "%s: natural exposure anchored on every valid pixel: %s",
            scene_id,
            "no QA band"
            if fraction is None
            else f"only {fraction:.2%} of the pixels are clear (QA)",
        )
    return Stretch(
        "white point",
        bands,
        plan.cutoffs(),
        mode="natural",
        pixels=plan.pixels,
        clear_fraction=fraction,
        curve=plan.curve(),
        plan=plan,
    )
