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

from landsat_ops.extent.classify import CLASSES, EXTENT_BANDS, classify_strip, extent_coefficients
from landsat_ops.extent.measure import PATH_ROW, ExtentCounter, SceneExtent, measure_scene
from landsat_ops.extent.polygons import (
    NamedPolygon,
    PolygonError,
    PolygonMask,
    parse_polygons,
    polygon_masks,
    read_polygons,
)

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
