"""Reading one STAC item: a :class:`DiscoveredScene`, or None with one log line saying why."""

from __future__ import annotations

import datetime
import logging
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

from landsat_ops.errors import SceneError
from landsat_pipeline.discovery.assets import asset_sources, normalize_assets
from landsat_pipeline.sources.errors import printable
from landsat_pipeline.xcom import AssetSource

__all__ = [
    "DiscoveredScene",
    "as_utc",
    "canonical_scene_id",
    "normalize_platform",
    "read_item",
]

log = logging.getLogger(__name__)

_PATH_KEYS = ("landsat:wrs_path", "landsat:path", "eo:column", "wrs:path")
_ROW_KEYS = ("landsat:wrs_row", "landsat:row", "eo:row", "wrs:row")
_PLATFORM_KEYS = ("platform", "eo:platform")
_COLLECTION_KEYS = ("collection", "c:id")
_ID_PLATFORM = re.compile(r"L[COTE]0?(\d)")
_LEVEL2_SUFFIX = re.compile(r"_(SR|ST)$")


@dataclass(frozen=True)
class DiscoveredScene:
    """One scene found by :func:`discover`.

    Attributes
    ----------
    scene_id : str
        The canonical product ID, with the processing date (from the asset file names, see
        :func:`canonical_scene_id`); it keys landing and everything after.
    acquired : datetime.datetime
        Acquisition time (the item ``datetime``), timezone-aware UTC.
    path, row : int
        WRS-2 path and row.
    cloud_cover : float or None
        ``eo:cloud_cover`` in percent; None when unknown.
    platform : str
        Normalised platform, e.g. ``"landsat-8"``.
    assets : dict[str, str]
        ``"B1"``..``"B7"``, ``"QA"``, ``"MTL"`` -> absolute href (URL or local path); only
        the keys the item has.
    item : dict
        The raw item JSON.
    item_id : str
        The catalog's own item id (e.g. ``LC08_L2SP_008059_20191201_02_T1`` on Earth Search).
    sources : dict[str, AssetSource]
        Per normalised asset key: every href, requester-pays flags, checksum and size.
    """

    scene_id: str
    acquired: datetime.datetime
    path: int
    row: int
    cloud_cover: float | None
    platform: str
    assets: dict[str, str] = field(default_factory=dict, hash=False)
    item: dict = field(default_factory=dict, repr=False, compare=False, hash=False)
    item_id: str = ""
    sources: dict[str, AssetSource] = field(default_factory=dict, compare=False, hash=False)


def normalize_platform(value: str) -> str:
    return re.sub(r"[\s_]+", "-", value.strip().lower())


def as_utc(value: datetime.datetime | datetime.date, name: str) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC)
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, datetime.time(), datetime.UTC)
    raise TypeError(f"{name} must be a datetime, got {value!r}")


def _parse_datetime(text: Any) -> datetime.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return as_utc(value, "datetime")


def _int_property(properties: Mapping[str, Any], keys: Iterable[str]) -> int | None:
    for key in keys:
        value = properties.get(key)
        if value is None or isinstance(value, bool):
            continue
        try:
            return int(str(value).strip())
        except ValueError:
            continue
    return None


def _cloud_cover(properties: Mapping[str, Any]) -> float | None:
    value = properties.get("eo:cloud_cover")
    if value is None or isinstance(value, bool):
        return None
    try:
        cover = float(value)
    except (TypeError, ValueError):
        return None
    return cover if cover >= 0 else None


def canonical_scene_id(item_id: str, hrefs: Iterable[str]) -> str:
    """The full product ID of a scene: the item id if it is one, else from its file names.

    Earth Search's ``LC08_L2SP_008059_20191201_02_T1`` with files
    ``LC08_L2SP_008059_20191201_20200825_02_T1_SR_B4.TIF`` gives
    ``LC08_L2SP_008059_20191201_20200825_02_T1``; LandsatLook's ``..._02_T1_SR`` drops the
    suffix. Pre-collection IDs (``LC80200392015216LGN00``) are kept. When no file name holds a
    product ID of the same acquisition and path/row, the item id is returned unchanged.
    """
    from landsat_ops.scene.ids import find_scene_id

    stripped = _LEVEL2_SUFFIX.sub("", item_id)
    if _parse_id(stripped) is not None and "_" in stripped:
        return stripped
    parts = stripped.split("_")
    for href in hrefs:
        name = posixpath.basename(unquote(urlparse(href).path)) if "://" in href else href
        try:
            found = str(find_scene_id(posixpath.basename(name)))
        except SceneError:
            continue
        fields = found.split("_")
        if len(fields) == 7 and len(parts) == 6 and fields[:4] + fields[5:] == parts:
            return found
    if _parse_id(stripped) is not None:
        return stripped
    return item_id


def _item_id(item: Mapping[str, Any], properties: Mapping[str, Any]) -> str | None:
    text = item.get("id") or properties.get("id")
    return text if isinstance(text, str) and text else None


def _parse_id(text: str):
    from landsat_ops.scene import parse_scene_id

    try:
        return parse_scene_id(text)
    except SceneError:
        return None


def _scene_from_item(item: Mapping[str, Any], base: str | None) -> DiscoveredScene | None:
    """A DiscoveredScene, or None when the item lacks an ID, a time or a path/row."""
    properties = item.get("properties")
    if not isinstance(properties, Mapping):
        return None
    item_id = _item_id(item, properties)
    acquired = _parse_datetime(properties.get("datetime")) or _parse_datetime(
        properties.get("start_datetime")
    )
    if item_id is None or acquired is None:
        return None
    # Relative hrefs: against where the item was read from, never its own "self" link.
    sources = asset_sources(item, base)
    scene_id = canonical_scene_id(item_id, (h for s in sources.values() for h in s["hrefs"]))
    path = _int_property(properties, _PATH_KEYS)
    row = _int_property(properties, _ROW_KEYS)
    if path is None or row is None:
        parsed = _parse_id(scene_id)
        if parsed is None:
            return None
        path, row = parsed.path, parsed.row
    platform = next(
        (properties[k] for k in _PLATFORM_KEYS if isinstance(properties.get(k), str)), None
    )
    if platform is None:
        match = _ID_PLATFORM.match(scene_id)
        platform = f"landsat-{match.group(1)}" if match else ""
    return DiscoveredScene(
        scene_id=scene_id,
        acquired=acquired,
        path=path,
        row=row,
        cloud_cover=_cloud_cover(properties),
        platform=normalize_platform(platform),
        assets=normalize_assets(item.get("assets") or {}, base),
        item=dict(item),
        item_id=item_id,
        sources=sources,
    )


def _item_collection(item: Mapping[str, Any]) -> str | None:
    properties = item.get("properties") or {}
    for source in (item, properties):
        for key in _COLLECTION_KEYS:
            if isinstance(source.get(key), str):
                return source[key]
    return None


class _Malformed(Exception):
    """An item that is not readable STAC: the message says what is wrong with it."""


def _name(item: Any, index: int) -> str:
    """How a log line names an item: its id when it has a usable one, else its position."""
    text = item.get("id") if isinstance(item, Mapping) else None
    if isinstance(text, str) and text:
        return f"item {printable(repr(text), 100)}"
    return f"feature #{index}"


def _check_shape(item: Any) -> None:
    """Raise :class:`_Malformed` when ``item`` is not shaped like a STAC item."""
    if not isinstance(item, Mapping):
        raise _Malformed(f"it is {type(item).__name__}, not a JSON object")
    properties = item.get("properties")
    if not isinstance(properties, Mapping):
        raise _Malformed(f"its properties are {type(properties).__name__}, not an object")
    if _item_id(item, properties) is None:
        raise _Malformed("it has no id")
    assets = item.get("assets")
    if assets is not None and not isinstance(assets, Mapping):
        raise _Malformed(f"its assets are {type(assets).__name__}, not an object")
    links = item.get("links")
    if links is not None and not isinstance(links, list | Mapping):
        raise _Malformed(f"its links are {type(links).__name__}, not a list")
    if _parse_datetime(properties.get("datetime")) is None and (
        _parse_datetime(properties.get("start_datetime")) is None
    ):
        raise _Malformed("it has no valid datetime")


def read_item(
    item: Any, base: str | None, index: int, collection: str | None
) -> DiscoveredScene | None:
    """The scene of one item of a page, or None (logged in one line when it is malformed or
    refused; silently when it is merely another collection or not a Landsat scene)."""
    from landsat_pipeline.keys import checked_id

    name = _name(item, index)
    try:
        _check_shape(item)
        if collection and _item_collection(item) not in (None, collection):
            return None
        scene = _scene_from_item(item, base)
    except _Malformed as exc:
        log.warning("skipping %s: %s", name, exc)
        return None
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        log.warning("skipping %s: it cannot be read as a STAC item (%s)", name, type(exc).__name__)
        return None
    if scene is None:
        log.debug("skipping %s: no path/row or product ID", name)
        return None
    for what, text in (("id", scene.item_id), ("product ID", scene.scene_id)):
        try:
            checked_id(text)
        except ValueError:
            log.warning(
                "refusing %s: its %s %s cannot name a key (expected letters, digits, "
                "'_', '.', '-' and no '..'); skipped, not retried",
                name,
                what,
                printable(repr(text), 100),
            )
            return None
    return scene
