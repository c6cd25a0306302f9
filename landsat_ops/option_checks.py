"""The checks of a render's option values (percentiles, DN ranges, stretch, preview size).

Pure Python, one rule per option, shared by the CLI, the render API, the remote command and
the pipeline's config through :class:`landsat_ops.products.RenderOptions` (which re-exports
them); each caller names where a value came from.
"""

from __future__ import annotations

from collections.abc import Sequence

from landsat_ops.errors import OptionError

__all__ = [
    "DN_LEVELS",
    "MIN_PREVIEW_SIZE",
    "STRETCH_MODES",
    "manual_ranges",
    "parse_ranges",
    "validate_percentiles",
    "validate_preview_size",
    "validate_range",
    "validate_stretch",
]

MIN_PREVIEW_SIZE = 16
DN_LEVELS = 65536
"""Values of a uint16 band's DN (0 is fill); a manual range lies within 0..DN_LEVELS - 1."""
STRETCH_MODES = ("natural", "linear")
""":data:`landsat_ops.products.STRETCHES`."""


def validate_percentiles(percentiles: Sequence[float]) -> tuple[float, float]:
    """Check a ``(low, high)`` percentile pair: 0 <= low < high <= 100.

    The one rule for the CLI option, the render API, the remote command and the pipeline's
    config; each caller names where the value came from.
    """
    if isinstance(percentiles, str | bytes) or len(percentiles) != 2:
        raise OptionError(f"percentiles must be two numbers LOW,HIGH, got {percentiles!r}")
    try:
        low, high = (float(p) for p in percentiles)
    except (TypeError, ValueError):
        raise OptionError(
            f"percentiles must be two numbers LOW,HIGH, got {list(percentiles)}"
        ) from None
    if not (0.0 <= low < high <= 100.0):
        raise OptionError(f"percentiles must satisfy 0 <= LOW < HIGH <= 100, got {low:g},{high:g}")
    return low, high


def validate_range(low: float, high: float, name: str = "range") -> tuple[float, float]:
    """Check a manual DN range: 0 <= low < high <= 65535."""
    if not (0 <= low < high <= DN_LEVELS - 1):
        raise OptionError(f"{name} must satisfy 0 <= LOW < HIGH <= 65535, got {low:g}:{high:g}")
    return float(low), float(high)


def parse_ranges(text: str) -> list[tuple[float, float]]:
    """Parse ``R0:R1,G0:G1,B0:B1`` into three validated DN ranges."""
    parts = [p for p in text.split(",") if p.strip()]
    if len(parts) != 3:
        raise OptionError(f"ranges: expected R0:R1,G0:G1,B0:B1 (three ranges), got {text!r}")
    out = []
    for channel, part in zip("RGB", parts, strict=True):
        try:
            low, high = (float(v) for v in part.split(":"))
        except ValueError:
            raise OptionError(
                f"ranges: {channel} range {part!r} is not LOW:HIGH in DN (e.g. 5900:11000)"
            ) from None
        out.append(validate_range(low, high, name=f"ranges: {channel} range"))
    return out


def validate_stretch(stretch: object) -> str:
    """Check a stretch mode: one of :data:`STRETCHES`."""
    if stretch not in STRETCH_MODES:
        raise OptionError(f"stretch: expected one of {', '.join(STRETCH_MODES)}, got {stretch!r}")
    return str(stretch)


def validate_preview_size(size: object) -> int:
    """Check a preview size: an integer of at least :data:`MIN_PREVIEW_SIZE` pixels."""
    if isinstance(size, bool) or not isinstance(size, int):
        raise OptionError(f"preview-size: expected an integer, got {size!r}")
    if size < MIN_PREVIEW_SIZE:
        raise OptionError(f"preview-size: expected at least {MIN_PREVIEW_SIZE} pixels, got {size}")
    return size


def manual_ranges(ranges) -> list[tuple[float, float]]:
    """Three validated DN ranges from ``R0:R1,G0:G1,B0:B1`` or three ``(low, high)`` pairs."""
    if isinstance(ranges, str):
        return parse_ranges(ranges)
    if len(ranges) != 3:
        raise OptionError(
            f"ranges: expected three ranges (R, G, B) of (low, high) DN, got {len(ranges)}"
        )
    return [
        validate_range(low, high, f"ranges: {channel} range")
        for channel, (low, high) in zip("RGB", ranges, strict=True)
    ]
