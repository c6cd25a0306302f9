"""Snow/ice and water extent of Landsat 8/9 scenes, over their path/row and named polygons.

* :mod:`.classify`: the per-pixel tests (NDSI with NIR and green guards for snow/ice, MNDWI
  with a dark NIR for water, clear pixels from the QA band) in one compiled kernel;
* :mod:`.polygons`: the named polygons of interest (GeoJSON, WGS84) and their pixels on a grid;
* :mod:`.measure`: one scene streamed in strips (:func:`measure_scene`), its areas in km2 and
  clear fractions, its ``landsat_ops:extent`` STAC fields;
* :mod:`.table`: the time-series table of areas (CSV / Parquet), merged idempotently;
* :mod:`.plots` and :mod:`.page`: the area-over-time figure and its HTML page.

docs/extent.md documents the tests, their references, the fields and the table.
"""

from __future__ import annotations

import importlib
from typing import Any

# Loaded on first use: the pipeline's config imports .polygons at DAG parse time, which must
# not load numpy and numba.
_EXPORTS = {
    "CLASSES": "classify",
    "EXTENT_BANDS": "classify",
    "classify_strip": "classify",
    "extent_coefficients": "classify",
    "PATH_ROW": "measure",
    "ExtentCounter": "measure",
    "SceneExtent": "measure",
    "measure_scene": "measure",
    "NamedPolygon": "polygons",
    "PolygonError": "polygons",
    "PolygonMask": "polygons",
    "parse_polygons": "polygons",
    "polygon_masks": "polygons",
    "read_polygons": "polygons",
}

__all__ = [
    "CLASSES",
    "EXTENT_BANDS",
    "PATH_ROW",
    "ExtentCounter",
    "NamedPolygon",
    "PolygonError",
    "PolygonMask",
    "SceneExtent",
    "classify_strip",
    "extent_coefficients",
    "measure_scene",
    "parse_polygons",
    "polygon_masks",
    "read_polygons",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
