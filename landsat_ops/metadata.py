"""What ``landsat-ops info`` prints: a scene's ID fields, files and parsed MTL as one dict."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from landsat_ops.errors import SceneError
from landsat_ops.scene import find_scene_files, parse_mtl, read_mtl
from landsat_ops.storage import is_s3, open_store


def scene_info(scene: str | os.PathLike, s3_client=None) -> dict:
    """Describe a scene folder, an ``s3://`` scene prefix, or a single MTL file."""
    if not is_s3(scene) and Path(scene).is_file():
        meta = read_mtl(scene)
        return {"scene_id": meta.scene_id.scene_id, "metadata": meta.to_dict()}
    if is_s3(scene):
        store = open_store(str(scene), s3_client)
        names = [k for k in store.list() if "/" not in k]
        if not names:
            raise SceneError(f"{scene}: no objects under this prefix (expected a scene's files)")
        files = find_scene_files(store.root, names=names)
        meta = (
            parse_mtl(store.read_bytes(files.mtl.name), store.uri(files.mtl.name))
            if files.mtl
            else None
        )
        location = store.root
        file_uri = store.uri
    else:
        files = find_scene_files(scene)
        meta = read_mtl(files.mtl) if files.mtl else None
        location = str(Path(scene).absolute())
        file_uri = lambda name: str(Path(location) / name)  # noqa: E731
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
