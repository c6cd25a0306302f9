"""The overlays of a frame: its label, a scale bar and a north arrow (Pillow, no display).

Sizes follow the frame's height, so a 512 px and a 2048 px time-lapse look alike:

* the label, top left on a dark box: the period (``2019 summer``) over what the frame shows
  (``composite of 7 scenes, median 5 clear obs.`` or ``scene 2019-08-11, 84% clear``); a gap
  frame says ``2019 summer: no clear scene`` in its middle as well;
* the scale bar, bottom left: a round length (1, 2 or 5 x 10^n m) near a fifth of the frame's
  width, measured on the ground at the frame's centre (:func:`~.grid.ground_metres_per_pixel`);
* the north arrow, top right: pointing to true north at the frame's centre
  (:func:`~.grid.north_angle`), which in a polar stereographic grid is turned from the frame's
  up by the longitude's distance from the projection's central meridian.

The text is Pillow's bundled scalable font (the same on every host), so a label renders to the
same pixels wherever it is drawn: the tests compare a frame's label box with a reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["Overlay", "annotate", "label_box", "nice_length"]

_BOX = (0, 0, 0, 170)
_TEXT = (255, 255, 255, 255)
_DIM = (215, 215, 215, 255)


@dataclass(frozen=True)
class Overlay:
    """What is drawn over a frame (the grid's geometry is measured once per time-lapse)."""

    title: str
    """The period: ``2019 summer``."""
    detail: str
    """What the frame shows, or why it is empty."""
    metres_per_pixel: float
    north_degrees: float
    gap: bool = False


@lru_cache(maxsize=16)
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _unit(height: int) -> int:
    return max(10, round(height * 0.026))


def label_box(width: int, height: int) -> tuple[int, int, int, int]:
    """The frame region (left, top, right, bottom) the label is drawn in (both lines)."""
    unit = _unit(height)
    return (unit // 2, unit // 2, min(width - 1, unit // 2 + 34 * unit), unit // 2 + 3 * unit)


def nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 x 10^n not above ``metres`` (the scale bar's length)."""
    if metres <= 0 or not math.isfinite(metres):
        raise ValueError(f"length {metres}: expected a positive number of metres")
    power = 10 ** math.floor(math.log10(metres))
    for step in (5, 2, 1):
        if step * power <= metres:
            return step * power
    return power  # pragma: no cover - the loop always returns


def _format_length(metres: float) -> str:
    if metres >= 1000:
        km = metres / 1000
        return f"{km:.0f} km" if km == int(km) else f"{km:g} km"
    return f"{metres:.0f} m"


def _draw_label(draw, overlay: Overlay, width: int, height: int) -> None:
    unit = _unit(height)
    left, top, right, bottom = label_box(width, height)
    big, small = _font(round(unit * 1.15)), _font(round(unit * 0.8))
    pad = unit // 2
    text_width = max(
        draw.textlength(overlay.title, font=big), draw.textlength(overlay.detail, font=small)
    )
    draw.rectangle((left, top, min(right, left + 2 * pad + round(text_width)), bottom), fill=_BOX)
    draw.text((left + pad, top + pad // 2), overlay.title, font=big, fill=_TEXT)
    draw.text(
        (left + pad, top + pad // 2 + round(unit * 1.45)), overlay.detail, font=small, fill=_DIM
    )


def _draw_scale_bar(draw, overlay: Overlay, width: int, height: int) -> None:
    unit = _unit(height)
    length = nice_length(overlay.metres_per_pixel * width / 5)
    pixels = round(length / overlay.metres_per_pixel)
    x0, y1 = unit, height - unit
    y0 = y1 - max(4, unit // 2)
    text = _format_length(length)
    font = _font(round(unit * 0.8))
    text_w = draw.textlength(text, font=font)
    draw.rectangle(
        (
            x0 - unit // 3,
            y0 - round(unit * 1.3),
            x0 + max(pixels, text_w) + unit // 3,
            y1 + unit // 3,
        ),
        fill=_BOX,
    )
    half = pixels // 2
    draw.rectangle((x0, y0, x0 + half, y1), fill=(255, 255, 255, 255))
    draw.rectangle((x0 + half, y0, x0 + pixels, y1), fill=(20, 20, 20, 255))
    draw.rectangle((x0, y0, x0 + pixels, y1), outline=(255, 255, 255, 255))
    draw.text((x0, y0 - round(unit * 1.15)), text, font=font, fill=_TEXT)


def _draw_north_arrow(draw, overlay: Overlay, width: int, height: int) -> None:
    unit = _unit(height)
    radius = round(unit * 1.7)
    cx, cy = width - unit - radius, unit + radius
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=_BOX)
    angle = math.radians(overlay.north_degrees)
    ux, uy = math.sin(angle), -math.cos(angle)  # towards north, image coordinates (y down)
    px, py = -uy, ux  # across
    # The needle: its white half points north, the grey half south; "N" beyond the white tip.
    mx, my = cx - ux * radius * 0.2, cy - uy * radius * 0.2
    tip = (mx + ux * radius * 0.5, my + uy * radius * 0.5)
    tail = (mx - ux * radius * 0.55, my - uy * radius * 0.55)
    wing = radius * 0.22
    left, right = (mx + px * wing, my + py * wing), (mx - px * wing, my - py * wing)
    draw.polygon([tip, left, right], fill=(255, 255, 255, 255))
    draw.polygon([tail, left, right], fill=(130, 130, 130, 255))
    font = _font(round(unit * 0.75))
    draw.text(
        (cx + ux * radius * 0.62, cy + uy * radius * 0.62), "N", font=font, fill=_TEXT, anchor="mm"
    )


def annotate(frame: np.ndarray, overlay: Overlay) -> np.ndarray:
    """``frame`` (height x width x 3, uint8) with the label, scale bar and north arrow."""
    from PIL import Image, ImageDraw

    height, width = frame.shape[:2]
    base = Image.fromarray(frame, "RGB").convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    if overlay.gap:
        font = _font(round(_unit(height) * 1.3))
        draw.text(
            (width / 2, height / 2),
            f"{overlay.title}: {overlay.detail}",
            font=font,
            fill=_TEXT,
            anchor="mm",
        )
    _draw_label(draw, overlay, width, height)
    _draw_scale_bar(draw, overlay, width, height)
    _draw_north_arrow(draw, overlay, width, height)
    return np.asarray(Image.alpha_composite(base, layer).convert("RGB"))
