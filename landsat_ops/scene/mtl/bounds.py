"""The physical bounds of an MTL's values: :data:`MTL_BOUNDS` and :func:`check_mtl_values`.

Every number of an MTL must be finite, and the values rendering and extraction rely on must
lie within physical bounds, wide around every real product's values (``REFLECTANCE_MULT_BAND_n``
in (0, 1e-3], ``SUN_ELEVATION`` in [-90, 90], image sizes at most
:data:`~landsat_ops.scene.limits.MAX_SIDE`, ...). Every real MTL of every generation passes;
``REFLECTANCE_MULT_BAND_4 = 1e308`` is one :class:`~landsat_ops.errors.MetadataError` line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from landsat_ops.errors import MetadataError
from landsat_ops.scene.limits import MAX_SIDE

__all__ = ["MTL_BOUNDS", "bounds_of", "check_mtl_values"]


def _side(grid: str) -> tuple[float, float, bool]:
    return (1, MAX_SIDE[grid], True)


MTL_BOUNDS: tuple[tuple[re.Pattern[str], tuple[float, float, bool]], ...] = tuple(
    (re.compile(pattern), bounds)
    for pattern, bounds in (
        # (low, high, low included): physical bounds, wide around every real product's values
        (r"REFLECTANCE_MULT_BAND_\d+", (0.0, 1e-3, False)),  # real: 2e-05, L2 2.75e-05
        (r"REFLECTANCE_ADD_BAND_\d+", (-1.0, 1.0, True)),  # real: -0.1, L2 -0.2
        (r"RADIANCE_MULT_BAND_\d+", (0.0, 1.0, True)),  # real: 3e-4 .. 1.3e-2; 0 for TIRS, 2015
        (r"RADIANCE_ADD_BAND_\d+", (-1000.0, 1000.0, True)),  # real: -65 .. 0.1
        (r"TEMPERATURE_MULT_BAND_ST_B\d+", (0.0, 1.0, False)),  # real: 0.00341802
        (r"TEMPERATURE_ADD_BAND_ST_B\d+", (0.0, 1000.0, True)),  # real: 149.0 (kelvin)
        (r"TEMPERATURE_(MAXIMUM|MINIMUM)_BAND_ST_B\d+", (0.0, 1000.0, True)),
        (r"K[12]_CONSTANT_BAND_\d+", (0.0, 100_000.0, True)),  # real: 480 .. 1321
        (r"REFLECTANCE_(MAXIMUM|MINIMUM)_BAND_\d+", (-10.0, 10.0, True)),
        (r"RADIANCE_(MAXIMUM|MINIMUM)_BAND_\d+", (-1000.0, 10_000.0, True)),
        (r"QUANTIZE_CAL_(MAX|MIN)(IMUM)?_BAND_\w+", (0.0, 65535.0, True)),
        (r"SUN_ELEVATION", (-90.0, 90.0, True)),
        (r"SUN_AZIMUTH", (-360.0, 360.0, True)),
        (r"EARTH_SUN_DISTANCE", (0.9, 1.1, True)),  # astronomical units: 0.983 .. 1.017
        (r"CLOUD_COVER(_LAND)?", (-1.0, 100.0, True)),  # -1: unknown
        (r"GRID_CELL_SIZE_\w+", (0.0, 1000.0, False)),  # metres: 15, 30 (100 for old TIRS)
        (r"UTM_ZONE", (-60.0, 60.0, True)),
        (r"REFLECTIVE_(LINES|SAMPLES)", _side("REFLECTIVE")),
        (r"THERMAL_(LINES|SAMPLES)", _side("THERMAL")),
        (r"PANCHROMATIC_(LINES|SAMPLES)", _side("PANCHROMATIC")),
    )
)
"""Keys of an MTL whose values rendering and extraction rely on, and their bounds."""


def bounds_of(key: str) -> tuple[float, float, bool] | None:
    """The bounds of ``key`` (low, high, low included); None for a key without bounds."""
    for pattern, bounds in MTL_BOUNDS:
        if pattern.fullmatch(key):
            return bounds
    return None


def check_mtl_values(node: Mapping[str, Any], source: str) -> None:
    """Refuse a non-finite number anywhere, and a bounded key (:data:`MTL_BOUNDS`) that is not a
    number within its bounds: one :class:`MetadataError` line naming the key and the value."""
    for key, value in node.items():
        if isinstance(value, Mapping):
            check_mtl_values(value, source)
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and not math.isfinite(value):
            raise MetadataError(f"{source}: {key} = {value!r} is not a finite number")
        bounds = bounds_of(key)
        if bounds is None or value == "":
            continue
        low, high, low_included = bounds
        if not number:
            raise MetadataError(f"{source}: {key} is {str(value)[:40]!r} (expected a number)")
        if value > high or value < low or (value == low and not low_included):
            opening = "<=" if low_included else "<"
            raise MetadataError(
                f"{source}: {key} = {value:g} is outside its physical bounds "
                f"(expected {low:g} {opening} {key} <= {high:g})"
            )
