"""A Landsat 8/9 scene: its IDs, its files, its MTL metadata, QA masks and reflectance rescaling.

* :mod:`~landsat_ops.scene.ids`: scene and product IDs (:func:`parse_scene_id`).
* :mod:`~landsat_ops.scene.files`: band, QA and MTL files of one scene (:func:`find_scene_files`).
* :mod:`~landsat_ops.scene.mtl`: MTL parsing of every generation and form (:func:`read_mtl`).
* :mod:`~landsat_ops.scene.locate`: a scene in a folder or under an ``s3://`` prefix, and the
  description ``landsat-ops info`` prints.
* :mod:`~landsat_ops.scene.rescaling`: the DN -> reflectance rule of every NDVI.
* :mod:`~landsat_ops.scene.qa`: fill and cloud masks (numpy; import it explicitly).

This package exports the pure-Python names only (no numpy, no rasterio), so DAGs and plugins
can import it cheaply.
"""

from landsat_ops.scene.files import (
    BANDS_NEEDED,
    QA_KINDS,
    SceneFiles,
    find_scene_files,
    qa_kind_for,
)
from landsat_ops.scene.ids import SceneId, find_scene_id, parse_scene_id
from landsat_ops.scene.mtl import (
    Metadata,
    parse_mtl,
    parse_mtl_json,
    parse_mtl_text,
    parse_mtl_xml,
    read_mtl,
)

__all__ = [
    "BANDS_NEEDED",
    "QA_KINDS",
    "Metadata",
    "SceneFiles",
    "SceneId",
    "find_scene_files",
    "find_scene_id",
    "parse_mtl",
    "parse_mtl_json",
    "parse_mtl_text",
    "parse_mtl_xml",
    "parse_scene_id",
    "qa_kind_for",
    "read_mtl",
]
