"""A Landsat 8/9 scene: its IDs, its files, its MTL metadata, QA masks and reflectance rescaling.

* :mod:`~landsat_ops.scene.ids`: scene and product IDs (:func:`parse_scene_id`).
* :mod:`~landsat_ops.scene.files`: band, QA and MTL files of one scene (:func:`find_scene_files`).
* :mod:`~landsat_ops.scene.mtl`: MTL parsing of every generation and form (:func:`read_mtl`).
* :mod:`~landsat_ops.scene.archive`: product archives as EarthExplorer delivers them
  (``.tar``/``.tar.gz``, local or ``s3://``): which members to keep, one-pass safe extraction
  (:func:`extract_scene`).
* :mod:`~landsat_ops.scene.locate`: a scene in a folder or under an ``s3://`` prefix, and the
  description ``landsat-ops info`` prints.
* :mod:`~landsat_ops.scene.rescaling`: the DN -> reflectance rule of every NDVI.
* :mod:`~landsat_ops.scene.qa`: fill and cloud masks (numpy; import it explicitly).

This package exports the pure-Python names only (no numpy, no rasterio), so DAGs and plugins
can import it cheaply.
"""

from landsat_ops.scene.archive import (
    ARCHIVE_SUFFIXES,
    ArchiveContents,
    extract_scene,
    is_archive,
    member_wanted,
    read_archive,
)
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
    "ARCHIVE_SUFFIXES",
    "BANDS_NEEDED",
    "QA_KINDS",
    "ArchiveContents",
    "Metadata",
    "SceneFiles",
    "SceneId",
    "extract_scene",
    "find_scene_files",
    "find_scene_id",
    "is_archive",
    "member_wanted",
    "parse_mtl",
    "parse_mtl_json",
    "parse_mtl_text",
    "parse_mtl_xml",
    "parse_scene_id",
    "qa_kind_for",
    "read_archive",
    "read_mtl",
]
