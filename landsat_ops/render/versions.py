"""The version layout of a destination: version names, the hrefs of a scene item, the set it names.

A scene's item ``DEST/<ID>.json`` names one version folder ``DEST/<ID>/<version>/`` through its
asset hrefs ``./<ID>/<version>/<file>`` (:func:`item_folder`; :func:`current_folder` for a
local destination); ``<version>`` is 16 hex digits of the SHA-256 of the version's own item
(:func:`version_of`), ``-<n>`` appended when that folder was taken. :func:`set_problems` is the
one check that the set an item names is complete and intact. Publishing and the switch are
:mod:`landsat_ops.render.destination`'s.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from landsat_ops.errors import StorageError
from landsat_ops.storage import Store, sha256_from_multihash

__all__ = [
    "VERSION_NAME",
    "VERSION_PROPERTY",
    "asset_hrefs",
    "current_folder",
    "item_folder",
    "join_key",
    "scene_item",
    "set_problems",
    "version_digest",
    "version_of",
]

VERSION_PROPERTY = "landsat_ops:product_version"
"""The item property naming the version folder its assets are in."""
VERSION_NAME = re.compile(r"^(?P<digest>[0-9a-f]{16})(?:-(?P<n>[1-9]\d{0,3}))?$")
_VERSION_HREF = re.compile(
    r"^\./(?P<id>(?!\.\.?/)[^/]+)/(?P<version>[^/]+)/(?P<name>(?!\.\.?$)[^/]+)$"
)


def _canonical(document: Mapping) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def version_of(version_item: Mapping) -> str:
    """16 hex digits of the SHA-256 of a version item (its assets carry their checksums)."""
    return hashlib.sha256(_canonical(version_item)).hexdigest()[:16]


def item_folder(item: Mapping, scene_id: str | None = None) -> str | None:
    """``<ID>/<version>`` when every asset of a scene item is in that one version folder."""
    folders = set()
    for asset in (item.get("assets") or {}).values() if isinstance(item, Mapping) else ():
        href = asset.get("href") if isinstance(asset, Mapping) else None
        match = _VERSION_HREF.match(str(href or ""))
        if not match or not VERSION_NAME.match(match["version"]):
            return None
        folders.add(f"{match['id']}/{match['version']}")
    if len(folders) != 1:
        return None
    (folder,) = folders
    if scene_id is not None and not folder.startswith(f"{scene_id}/"):
        return None
    return folder


def scene_item(version_item: Mapping, folder: str) -> dict:
    """The scene's item: the version item with its hrefs ``./<folder>/<file>``."""
    item = json.loads(json.dumps(version_item))
    for asset in (item.get("assets") or {}).values():
        name = str(asset["href"]).removeprefix("./")
        asset["href"] = f"./{folder}/{name}"
    item.setdefault("properties", {})[VERSION_PROPERTY] = folder.rpartition("/")[2]
    return item


def asset_hrefs(item: Mapping) -> dict[str, tuple[str, str | None, int | None]]:
    """Asset key -> (href, sha256 or None, file:size or None)."""
    out = {}
    for key, asset in (item.get("assets") or {}).items():
        out[key] = (
            str(asset.get("href", "")),
            sha256_from_multihash(asset.get("file:checksum")),
            asset.get("file:size"),
        )
    return out


def join_key(prefix: str, key: str) -> str:
    return f"{prefix}/{key}" if prefix else key


def set_problems(store: Store, item_key: str, item: Mapping | None = None) -> list[str]:
    """What is wrong with the product set a scene item names (empty: complete and intact).

    Every asset must be in the item's one version folder, exist, and match its
    ``file:checksum`` (the store's recorded SHA-256) or, where the store records none, its
    ``file:size``. ``item`` is the item's parsed content when the caller has read it already.
    """
    if item is None:
        try:
            item = json.loads(store.read_bytes(item_key))
        except ValueError as exc:
            return [f"{store.uri(item_key)} is not valid JSON ({exc})"]
    if not isinstance(item, Mapping) or not item.get("assets"):
        return [f"{store.uri(item_key)} lists no assets"]
    base, _, name = item_key.rpartition("/")
    if item_folder(item, name.removesuffix(".json")) is None:  # <ID>.json: in <ID>/<version>/
        return [f"{store.uri(item_key)}: its assets are not in one version folder"]
    problems = []
    for key, (href, sha, size) in asset_hrefs(item).items():
        object_key = join_key(base, href.removeprefix("./"))
        info = store.info(object_key)
        if info is None:
            problems.append(f"{object_key.rpartition('/')[2]} is missing")
        elif sha is None:
            problems.append(f"asset {key} has no file:checksum")
        elif info.sha256 is not None and info.sha256 != sha:
            problems.append(f"{object_key.rpartition('/')[2]} does not match its checksum")
        elif info.sha256 is None and size is not None and info.size != size:
            problems.append(f"{object_key.rpartition('/')[2]} does not match its file:size")
    return problems


def version_digest(folder: str) -> str | None:
    """The digest part of a version folder's name (``<ID>/<digest>[-<n>]``); None if not one."""
    match = VERSION_NAME.match(folder.rpartition("/")[2])
    return match["digest"] if match else None


def current_folder(dest: str | os.PathLike, scene_id: str | None = None) -> Path:
    """The local folder of the version a scene's item names (``DEST/<ID>/<version>``).

    ``scene_id`` may be left out when ``DEST`` holds one scene item. The folder holds the
    products and the version's own item, with hrefs relative to it.
    """
    dest = Path(dest)
    if scene_id is None:
        items = sorted(p for p in dest.glob("*.json") if (dest / p.stem).is_dir())
        if len(items) != 1:
            raise StorageError(f"{dest}: expected one scene item, found {len(items)}")
        scene_id = items[0].stem
    item_path = dest / f"{scene_id}.json"
    try:
        item = json.loads(item_path.read_text())
    except (OSError, ValueError) as exc:
        raise StorageError(f"{item_path}: cannot read the scene item ({exc})") from None
    folder = item_folder(item, scene_id)
    if folder is None:
        raise StorageError(f"{item_path}: its assets are not in one version folder")
    return dest / folder
