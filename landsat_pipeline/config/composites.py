"""An area's ``composites`` section: its periods, the region mosaic's grid, the statistic.

::

    composites:
      crs: EPSG:3413                   # the region mosaic's grid (UTM where it fits)
      resolution: 30                   # metres per pixel of that grid
      periods: {summer: "06-01..09-30", monthly: months}
      stat: median                     # per-band median of the clear observations
      tile_size: 1024                  # pixels per side of a tile task
      products: [truecolor, falsecolor, ndvi]

Only ``periods`` is required. Without ``crs`` the area has its path/row composites but no
region mosaic. An area without the section has no composites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from landsat_ops.periods import PeriodSpec, check_specs, parse_period
from landsat_ops.products import COMPOSITE_PRODUCTS, COMPOSITE_STATS
from landsat_pipeline.config.checker import Checker

__all__ = [
    "COMPOSITE_PRODUCTS",
    "COMPOSITE_STATS",
    "CompositeSettings",
    "parse_composites",
]

_DEFAULTS: dict[str, Any] = {
    "crs": None,
    "resolution": 30,
    "stat": "median",
    "tile_size": 1024,
    "products": list(COMPOSITE_PRODUCTS),
}
_KEYS = {"periods", *_DEFAULTS}
_CRS = re.compile(r"^EPSG:\d{4,6}$")


@dataclass(frozen=True)
class CompositeSettings:
    """How an area's composites are made (``areas.<name>.composites``)."""

    periods: tuple[PeriodSpec, ...]
    crs: str | None
    """The region mosaic's CRS (``EPSG:n``); None: no region mosaic, only path/row composites."""
    resolution: float
    stat: str
    tile_size: int
    products: tuple[str, ...]

    def spec(self, name: str) -> PeriodSpec:
        for spec in self.periods:
            if spec.name == name:
                return spec
        raise KeyError(name)


def parse_composites(check: Checker, raw: Any, key: str) -> CompositeSettings:
    """Validate ``areas.<name>.composites`` (``key``); ConfigError naming the key otherwise."""
    body = {**_DEFAULTS, **check.mapping(raw, key, required={"periods"}, allowed=_KEYS)}
    raw_periods = check.mapping(body["periods"], f"{key}.periods")
    if not raw_periods:
        raise check.error(f"{key}.periods", "is empty", 'at least one, e.g. summer: "06-01..09-30"')
    specs = []
    for name, value in raw_periods.items():
        try:
            specs.append(parse_period(name, value))
        except ValueError as exc:
            raise check.error(
                f"{key}.periods.{name}", f"is {value!r}: {exc}", '"MM-DD..MM-DD" or months'
            ) from None
    try:
        check_specs(specs)
    except ValueError as exc:
        raise check.error(f"{key}.periods", str(exc), "one months period") from None
    crs = body["crs"]
    if crs is not None:
        crs = check.matching(crs, f"{key}.crs", _CRS, "EPSG:<code>, e.g. EPSG:3413")
    stat = body["stat"]
    if stat not in COMPOSITE_STATS:
        raise check.error(f"{key}.stat", f"is {stat!r}", f"one of {list(COMPOSITE_STATS)}")
    products = body["products"]
    if (
        not isinstance(products, list)
        or not products
        or any(p not in COMPOSITE_PRODUCTS for p in products)
    ):
        raise check.error(
            f"{key}.products", f"is {products!r}", f"a list from {list(COMPOSITE_PRODUCTS)}"
        )
    return CompositeSettings(
        periods=tuple(specs),
        crs=crs,
        resolution=check.number(body["resolution"], f"{key}.resolution", 1, 10000),
        stat=stat,
        tile_size=check.integer(body["tile_size"], f"{key}.tile_size", 64, 8192),
        products=tuple(p for p in COMPOSITE_PRODUCTS if p in products),
    )
