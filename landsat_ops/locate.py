"""Find a scene's files where they are: a local folder or an ``s3://`` prefix.

The render, ``sample`` and ``info`` commands all accept either. For a prefix the objects
directly under it are listed (nothing is downloaded) and matched like a folder's files; the
returned :class:`~landsat_ops.scene.SceneFiles` then holds bare file names, to be joined
with ``store.uri(name)``.
"""

from __future__ import annotations

import os

from landsat_ops.errors import SceneError
from landsat_ops.scene import Metadata, SceneFiles, find_scene_files, parse_mtl, read_mtl
from landsat_ops.storage import Store, is_s3, open_store


def locate_scene(scene: str | os.PathLike, s3_client=None) -> tuple[Store | None, SceneFiles]:
    """The scene's files, and the store holding them (None for a local folder).

    Raises
    ------
    SceneError
        The folder or prefix holds no recognisable scene files.
    """
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
