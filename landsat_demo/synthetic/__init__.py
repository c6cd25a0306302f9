"""Synthetic Landsat 8 Collection 2 Level-1 scenes, and a local static STAC catalog of them.

:func:`make_scene` writes one scene folder the way USGS delivers it: ``<product ID>_B1.TIF``
... ``_B7.TIF`` and ``_QA_PIXEL.TIF`` (uint16, one band each, tiled 512 x 512, DEFLATE, no
nodata tag: 0 is fill, as in real Level-1 files) and a Collection 2 ``_MTL.txt`` in ODL syntax.
The scene is georeferenced on the real UTM zone of its WRS-2 path/row with 30 m pixels, and
looks like a real one:

* a **rotated footprint** (12.5 degrees, like a descending daytime pass) surrounded by
  about 30 % fill, shared by all bands and flagged 1 in ``QA_PIXEL``;
* **land cover** from smooth random fields: sea (dark, NIR very low), sea ice and glacier
  snow (bright in the visible and NIR, dark in SWIR, so the B7/B5/B1 false colour shows them
  cyan; only at high latitudes, more in winter), bare rock (SWIR brighter than visible) and
  vegetation (NDVI 0.3-0.6);
* **clouds** (bright in every band, SWIR included) with their shadows;
* a ``QA_PIXEL`` band using the Collection 2 bit layout (:data:`QA_CLEAR_LAND` and friends)
  and an MTL whose ``CLOUD_COVER`` is the cloudy share of the valid pixels actually written.

The digital numbers follow the Level-1 rescaling of the MTL (``REFLECTANCE_MULT_BAND_n =
2.0E-05``, ``REFLECTANCE_ADD_BAND_n = -0.1``): DN = (rho * sin(sun elevation) + 0.1) / 2e-5
for a top-of-atmosphere reflectance rho. The sun position is computed for the scene centre
and time; it is floored at :data:`MIN_SUN_ELEVATION` (polar night would give black scenes),
and the MTL reports the value used.

Everything is deterministic for a given ``seed``. A full-size scene (7791 x 7921) is made in
strips of 512 rows, so memory stays at a few hundred MB; the random fields are defined on the
whole scene (a coarse grid plus a periodic detail tile), so strips join seamlessly. The scene
is written into a hidden temporary folder and renamed into place at the end: an error never
leaves a partial scene behind.

:func:`make_catalog` makes small scenes for every real overpass of a path/row in a date range
and a self-contained static STAC catalog of them (collection ``landsat-c2-l1``, Earth Search
style properties and asset keys): the embedded default catalog for
:func:`landsat_pipeline.discovery.discover`.

Modules: :mod:`.scene` (:func:`make_scene`), :mod:`.catalog` (:func:`make_catalog`),
:mod:`.landscape` (what the pixels show, QA_PIXEL values), :mod:`.mtl` (product ID and MTL),
:mod:`.geometry` (grid, footprint, sun).
"""

from landsat_demo.synthetic.catalog import ASSET_KEYS, CATALOG_COLLECTION, make_catalog
from landsat_demo.synthetic.geometry import (
    FOOTPRINT_ANGLE,
    FULL_HEIGHT,
    FULL_WIDTH,
    MIN_SUN_ELEVATION,
    footprint_corners,
    utm_epsg_for,
)
from landsat_demo.synthetic.landscape import (
    QA_CLEAR_LAND,
    QA_CLEAR_WATER,
    QA_CLOUD,
    QA_CLOUD_SHADOW,
    QA_DILATED_CLOUD,
    QA_FILL,
    QA_SNOW_ICE,
)
from landsat_demo.synthetic.mtl import product_id_for
from landsat_demo.synthetic.scene import make_scene

__all__ = [
    "ASSET_KEYS",
    "CATALOG_COLLECTION",
    "FOOTPRINT_ANGLE",
    "FULL_HEIGHT",
    "FULL_WIDTH",
    "MIN_SUN_ELEVATION",
    "QA_CLEAR_LAND",
    "QA_CLEAR_WATER",
    "QA_CLOUD",
    "QA_CLOUD_SHADOW",
    "QA_DILATED_CLOUD",
    "QA_FILL",
    "QA_SNOW_ICE",
    "footprint_corners",
    "make_catalog",
    "make_scene",
    "product_id_for",
    "utm_epsg_for",
]
