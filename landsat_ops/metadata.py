"""What ``landsat-ops info`` prints: a scene's ID fields, files and parsed MTL as one dict."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from landsat_ops.locate import locate_scene, read_scene_metadata
from landsat_ops.scene import read_mtl
from landsat_ops.storage import is_s3


def scene_info(scene: str | os.PathLike, s3_client=None) -> dict:
    """Describe a scene folder, an ``s3://`` scene prefix, or a single MTL file."""
    if not is_s3(scene) and Path(scene).is_file():
        meta = read_mtl(scene)
        return {"scene_id": meta.scene_id.scene_id, "metadata": meta.to_dict()}
    store, files = locate_scene(scene, s3_client)
    meta = read_scene_metadata(store, files)
    if store is not None:
        location, file_uri = store.root, store.uri
    else:
        location = str(Path(scene).absolute())

        def file_uri(name: str) -> str:
            return str(Path(location) / name)

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
