"""NDVI, valid and cloudy pixel counts at points of interest of one scene, reading only windows.

For each point (``id, lon, lat`` in WGS84) :func:`sample_scene` projects the point into the
scene's CRS, takes the ``(2 * radius + 1)`` square window around the pixel containing it and
reads only that window of B4, B5 and the QA band (rasterio windowed reads: for a tiled or COG
file GDAL decodes just the tiles the window touches; for ``s3://`` scenes it fetches just
their byte ranges through ``/vsis3/``, never the whole band).

Semantics of a sample (one :class:`SampleRow` per point)
--------------------------------------------------------
* ``ndvi``: the mean NDVI of the *valid* pixels of the window, NDVI computed exactly as the
  ``ndvi`` product computes it (:mod:`landsat_ops.scene.rescaling`: top-of-atmosphere reflectance
  for Level-1 DN, surface reflectance for Level-2 ``SR_`` bands). A pixel is valid when it is
  not fill in B4, B5 (DN 0) or the QA band (fill bit) and its NDVI is defined (red and NIR
  reflectance both positive: :func:`landsat_ops.raster.ops.ndvi`, so values lie in [-1, 1]).
* Cloudy pixels are **not** excluded from the mean. ``cloudy_px`` counts the valid pixels the
  QA band flags as cloud (:func:`landsat_ops.scene.qa.cloud_mask`: C2 cloud or dilated cloud, C1
  cloud bit, pre-collection high cloud confidence), so ``0 <= cloudy_px <= valid_px`` and
  users filter (or draw cloudy samples differently) instead of losing them silently.
  ``cloudy_px`` is empty when the scene has no QA band.
* ``scene_cloud_cover``: the MTL's ``CLOUD_COVER`` (percent; empty when unknown).
* ``reason`` is empty for a good sample, else one of :data:`REASONS`, and ``ndvi`` is empty:
  ``"outside scene"`` (the point is not on the scene's raster grid), ``"fill"`` (the point's
  own pixel is fill: outside the imaged footprint, even when neighbours in the window hold
  data) or ``"no valid pixels"`` (no pixel of the window is valid).

POINTS files are CSV with a header naming at least ``id``, ``lon`` and ``lat`` (any order,
extra columns ignored); :func:`read_points` rejects a malformed file with an
:class:`~landsat_ops.errors.OptionError` naming the file and the line.

Modules: :mod:`.sample` (:func:`sample_scene`), :mod:`.points` (POINTS files), :mod:`.location`
(a scene's bands, local or ``s3://``) and :mod:`.rows` (:class:`SampleRow`, the CSV output).
"""

from landsat_ops.points import Point
from landsat_ops.sampling.location import gdal_s3_options
from landsat_ops.sampling.points import POINT_COLUMNS, parse_points, read_points
from landsat_ops.sampling.rows import (
    ACQUIRED_FORMAT,
    FILL,
    NO_VALID,
    OUTSIDE,
    REASONS,
    SAMPLE_COLUMNS,
    SampleRow,
    samples_csv,
    store_and_name,
    write_samples,
)
from landsat_ops.sampling.sample import MAX_RADIUS, sample_scene

__all__ = [
    "ACQUIRED_FORMAT",
    "FILL",
    "MAX_RADIUS",
    "NO_VALID",
    "OUTSIDE",
    "POINT_COLUMNS",
    "REASONS",
    "SAMPLE_COLUMNS",
    "Point",
    "SampleRow",
    "gdal_s3_options",
    "parse_points",
    "read_points",
    "sample_scene",
    "samples_csv",
    "store_and_name",
    "write_samples",
]
