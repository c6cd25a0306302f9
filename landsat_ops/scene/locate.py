"""Find a scene's files where they are (a local folder or an ``s3://`` prefix) and describe it.

The render, ``sample`` and ``info`` commands all accept either. For a prefix the objects
directly under it are listed (nothing is downloaded) and matched like a folder's files; the
returned :class:`~landsat_ops.scene.SceneFiles` then holds bare file names, to be joined
with ``store.uri(name)``. :func:`scene_info` is what ``landsat-ops info`` prints; it also
describes a product archive (``.tar``/``.tar.gz``, local or ``s3://``), whose files are given
as GDAL ``/vsitar/`` paths. Archives are otherwise read by :mod:`landsat_ops.scene.archive`
(the render and ``sample`` extract what they need from them first).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

from landsat_ops.errors import SceneError
from landsat_ops.scene.archive import is_archive, read_archive
from landsat_ops.scene.files import SceneFiles, find_scene_files
from landsat_ops.scene.mtl import Metadata, parse_mtl, read_mtl
from landsat_ops.storage import Store, is_s3, open_store


def locate_scene(scene: str | os.PathLike, s3_client=None) -> tuple[Store | None, SceneFiles]:
    """The scene's files, and the store holding them (None for a local folder).

    Raises
    ------
    SceneError
        The folder or prefix holds no recognisable scene files, or ``scene`` is an archive.
    """
    if is_archive(scene):
        raise SceneError(
            f"{scene}: a product archive, not a folder or prefix (extract its files with "
            "landsat_ops.scene.archive.extract_scene, or render it with landsat-ops render)"
        )
    if not is_s3(scene):
        return None, find_scene_files(scene)
    store = open_store(str(scene), s3_client)
    names = [key for key in store.list() if "/" not in key]
    if not names:
        raise SceneError(f"{scene}: no objects under this prefix (expected a scene's band files)")
    return store, find_scene_files(store.root, names=names)


def read_scene_metadata(store: Store | None, files: SceneFiles) -> Metadata | None:
    """The parsed MTL of a located scene, or None when it has none."""
    if files.mtl is None:
        return None
    if store is None:
        return read_mtl(files.mtl)
    return parse_mtl(store.read_bytes(files.mtl.name), store.uri(files.mtl.name))


def scene_info(scene: str | os.PathLike, s3_client=None) -> dict:
    """Describe a scene folder, an ``s3://`` scene prefix, a product archive (local or
    ``s3://``; its files as ``/vsitar/`` paths GDAL and rasterio open) or a single MTL file."""
    if is_archive(scene):
        contents = read_archive(scene, s3_client)
        location = contents.archive if is_s3(scene) else str(Path(scene).absolute())
        return _describe(contents.files, contents.meta, location, contents.gdal_path)
    if not is_s3(scene) and Path(scene).is_file():
        meta = read_mtl(scene)
        return {"scene_id": meta.scene_id.scene_id, "metadata": meta.to_dict()}
    store, files = locate_scene(scene, s3_client)
    meta = read_scene_metadata(store, files)
    if store is not None:
        return _describe(files, meta, store.root, store.uri)
    location = str(Path(scene).absolute())
    return _describe(files, meta, location, lambda name: str(Path(location) / name))


def _describe(
    files: SceneFiles, meta: Metadata | None, location: str, file_uri: Callable[[str], str]
) -> dict:
    sid = files.scene_id
    return {
        "scene_id": sid.scene_id,
        "id": {k: v for k, v in dataclasses.asdict(sid).items()},
        "location": location,
        "level": sid.level,
        "surface_reflectance": files.surface_reflectance,
        "bands": {f"B{b}": file_uri(p.name) for b, p in sorted(files.bands.items())},
        "qa": file_uri(files.qa.name) if files.qa else None,
        "qa_kind": files.qa_kind,
        "mtl": file_uri(files.mtl.name) if files.mtl else None,
        "metadata": meta.to_dict() if meta else None,
    }
