"""Find the Landsat scenes of a WRS-2 path/row in a STAC API or a local static STAC catalog.

One function, :func:`discover`, for both kinds of catalog:

* an ``http(s)://`` URL is a **STAC API** root. It is searched with pystac-client (item search,
  all pages, following ``next`` links, POST bodies and tokens included). Requests that fail
  with a connection error or a 429/5xx status are retried ``max_retries`` times with
  exponential backoff (:data:`RETRY_BACKOFF`); a ``Retry-After`` on 429/503 is honoured up to
  :data:`RETRY_AFTER_MAX` seconds, so the time spent stays bounded. The search sends
  ``intersects`` when given (the path/row's centre point is enough) and asks for ``limit``
  items per page. When the API advertises the STAC ``query`` extension, the path/row and
  the cloud limit are also sent to the server; if it rejects them (HTTP 4xx), the search is
  repeated without them.
* anything else (a path, a folder holding ``catalog.json``, or a ``file://`` URL) is a
  **static catalog**, walked with pystac.

Whatever the server did, every item is filtered again here, because APIs differ in what they
understand:

* path/row from ``landsat:wrs_path``/``landsat:wrs_row`` (strings or integers, zero-padded
  or not), the older ``landsat:path``/``landsat:row`` or ``eo:column``/``eo:row``, else from
  the scene ID;
* platform from ``platform`` or ``eo:platform``, compared case- and separator-insensitively
  (``"LANDSAT_8"`` is ``"landsat-8"``), else from the scene ID prefix (``LC08``, ``LC8``);
* collection, when one is asked for and the item names its own;
* acquisition time in ``[start, end)``;
* cloud cover from ``eo:cloud_cover``, at most ``max_cloud`` percent. An unknown cover
  (missing, or -1 as in old sat-api items) **passes** the cloud limit: the scene is kept and
  its :attr:`DiscoveredScene.cloud_cover` is None, so callers can decide. (An API applying
  the ``query`` extension keeps -1 too, but drops items that lack ``eo:cloud_cover``.)

**Scene identity.** :attr:`DiscoveredScene.scene_id` is the canonical product ID, with its
processing date (``LC08_L2SP_008059_20191201_20200825_02_T1``), read from the asset file names
(:func:`canonical_scene_id`), whatever the item id looks like: Earth Search and Planetary
Computer drop the processing date, LandsatLook adds ``_SR``/``_ST``. The item id is kept as
:attr:`DiscoveredScene.item_id`.

Asset keys of the different providers are normalised to ``B1``..``B7``, ``QA`` and ``MTL``
(see :data:`ASSET_ALIASES`) and hrefs are made absolute: relative ones against the URL (or
file) the item was READ from, never against a ``self`` link the item declares (a remote item
could otherwise rebase them onto ``file://``). :func:`asset_sources` keeps, per asset, every
href it can be read from (its own and its ``alternate`` hrefs; ``s3://`` ones first, as
LandsatLook's https hrefs need a USGS login), ``storage:requester_pays``, ``file:checksum``
and ``file:size``. Which of them may be READ is the source policy's business, at landing
(:class:`landsat_pipeline.sources.options.SourcePolicy`).
pystac-client is imported only when an API is searched: the render container has pystac but
not pystac-client.

**What cannot be read is skipped.** A malformed item (not a JSON object, no id, no
datetime, ``properties`` or ``assets`` not objects...) is logged in one line naming it and
skipped; the other items of the page are still used. An item whose id (or product ID) could
not name a key safely (``..``, ``/``, ...) is refused in one line and skipped (a retry would
change nothing). A STAC API is only ever asked at its own host: a ``next`` link or a redirect
elsewhere (e.g. the instance metadata address) is refused before connecting, a
:class:`~landsat_pipeline.errors.DiscoveryError`.

When a day has several scenes, :func:`pick_scene` chooses one; :func:`scene_to_xcom` is what
the ``discover`` task passes on (:class:`~landsat_pipeline.xcom.Scene`).
"""

from __future__ import annotations

import datetime
import logging
import os
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse
from urllib.request import url2pathname

from landsat_ops.errors import SceneError
from landsat_pipeline.errors import DiscoveryError
from landsat_pipeline.sources.errors import printable, redact
from landsat_pipeline.xcom import AssetSource, Scene

__all__ = [
    "path_row_point",
    "ASSET_ALIASES",
    "DEFAULT_PAGE_LIMIT",
    "RETRY_AFTER_MAX",
    "RETRY_BACKOFF",
    "RETRY_STATUSES",
    "DiscoveredScene",
    "asset_sources",
    "canonical_scene_id",
    "discover",
    "normalize_assets",
    "pick_scene",
    "scene_to_xcom",
]

log = logging.getLogger(__name__)

RETRY_BACKOFF = 0.5
"""urllib3 backoff factor, seconds: the retries wait 0, 2 x, 4 x, ... this (at most 10 s)."""
RETRY_STATUSES = (429, 500, 502, 503, 504)
"""HTTP statuses that are retried."""
RETRY_AFTER_MAX = 60.0
"""Longest ``Retry-After`` (429/503) wait honoured, seconds; longer ones wait this long."""
DEFAULT_PAGE_LIMIT = 100
"""Items asked for per search page."""

ASSET_ALIASES: dict[str, tuple[str, ...]] = {
    "B1": ("coastal", "sr_b1", "b1", "b01"),
    "B2": ("blue", "sr_b2", "b2", "b02"),
    "B3": ("green", "sr_b3", "b3", "b03"),
    "B4": ("red", "sr_b4", "b4", "b04"),
    "B5": ("nir08", "nir", "sr_b5", "b5", "b05"),
    "B6": ("swir16", "swir1", "sr_b6", "b6", "b06"),
    "B7": ("swir22", "swir2", "sr_b7", "b7", "b07"),
    "QA": ("qa_pixel", "bqa"),
    "MTL": ("mtl.txt", "mtl", "mtl.json", "mtl.xml"),
}
"""Normalised key -> provider asset keys, best first, compared in lower case and without a
``.TIF`` suffix: Earth Search and LandsatLook (``coastal``, ``nir08``, ``qa_pixel``,
``mtl.txt``), Planetary Computer (``SR_B1``, ``QA_PIXEL``, ``MTL.txt``), USGS beta
(``SR_B4.TIF``) and sat-api (``B4``, ``BQA``, ``MTL``). Note Earth Search's ``qa`` is the
surface temperature QA, not QA_PIXEL, so it is not an alias."""

_COMMON_NAMES = {
    "coastal": "B1",
    "blue": "B2",
    "green": "B3",
    "red": "B4",
    "nir08": "B5",
    "nir": "B5",
    "swir16": "B6",
    "swir22": "B7",
}
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


# --------------------------------------------------------------------------------------------
# Reading one item
# --------------------------------------------------------------------------------------------


def _normalize_platform(value: str) -> str:
    return re.sub(r"[\s_]+", "-", value.strip().lower())


def _as_utc(value: datetime.datetime | datetime.date, name: str) -> datetime.datetime:
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
    return _as_utc(value, "datetime")


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


def _is_url(href: str) -> bool:
    return len(urlparse(href).scheme) > 1  # not a Windows drive letter


def _absolute(href: str, base: str | None) -> str:
    """``href`` made absolute against ``base`` (a URL or a local file path)."""
    if _is_url(href) or not base:
        return href
    if _is_url(base):
        return urljoin(base, href)
    return str((Path(base).parent / href).resolve())


def _asset_keys(assets: Mapping[str, Any]) -> dict[str, str]:
    """Normalised key (``B1``..``B7``, ``QA``, ``MTL``) -> the item's own asset key."""
    by_key: dict[str, str] = {}
    for key, asset in assets.items():
        if not isinstance(asset, Mapping) or not isinstance(asset.get("href"), str):
            continue
        by_key.setdefault(re.sub(r"\.tiff?$", "", key.lower()), key)
    found: dict[str, str] = {}
    for target, aliases in ASSET_ALIASES.items():
        own = next((by_key[a] for a in aliases if a in by_key), None)
        if own is not None:
            found[target] = own
    for key, asset in assets.items():  # unknown keys described by eo:bands common names
        if not isinstance(asset, Mapping) or not isinstance(asset.get("href"), str):
            continue
        bands = asset.get("eo:bands") or asset.get("bands") or []
        if isinstance(bands, list) and len(bands) == 1 and isinstance(bands[0], Mapping):
            target = _COMMON_NAMES.get(str(bands[0].get("common_name", "")).lower())
            if target and target not in found:
                found[target] = key
    return {key: found[key] for key in ASSET_ALIASES if key in found}


def normalize_assets(assets: Mapping[str, Any], base: str | None = None) -> dict[str, str]:
    """Map a STAC item's assets to ``B1``..``B7``, ``QA`` and ``MTL`` -> absolute href.

    Parameters
    ----------
    assets : mapping
        The item's ``assets`` (key -> asset dict with ``href``).
    base : str, optional
        The item's own href (URL or file path), for relative asset hrefs.

    Returns
    -------
    dict[str, str]
        Only the keys found. An asset under an unknown key still counts when its ``eo:bands``
        (or ``bands``) names one band with a known ``common_name``.
    """
    return {
        target: _absolute(assets[own]["href"], base) for target, own in _asset_keys(assets).items()
    }


def _requester_pays(asset: Mapping[str, Any], item_flag: bool) -> bool:
    value = asset.get("storage:requester_pays")
    return bool(value) if isinstance(value, bool) else item_flag


def asset_sources(item: Mapping[str, Any], base: str | None = None) -> dict[str, AssetSource]:
    """Per normalised asset key: where it can be read from, as the item says.

    ``hrefs`` are the asset's ``s3://`` hrefs first (its own or its ``s3`` alternate: bulk
    access; LandsatLook's https hrefs need a USGS login), then the others, each group in
    the item's order (own href, then ``alternate``), all absolute; ``requester_pays`` per
    href from ``storage:requester_pays`` (the asset's or
    alternate's, else the item's); ``checksum`` and ``size`` from ``file:checksum`` and
    ``file:size``.
    """
    assets = item.get("assets") or {}
    properties = item.get("properties") or {}
    item_flag = properties.get("storage:requester_pays") is True
    out: dict[str, AssetSource] = {}
    for target, own in _asset_keys(assets).items():
        asset = assets[own]
        main_flag = _requester_pays(asset, item_flag)
        candidates = [(_absolute(asset["href"], base), main_flag)]
        alternates = asset.get("alternate")
        if isinstance(alternates, Mapping):
            for alternate in alternates.values():
                if isinstance(alternate, Mapping) and isinstance(alternate.get("href"), str):
                    flag = _requester_pays(alternate, main_flag)
                    candidates.append((_absolute(alternate["href"], base), flag))
        candidates.sort(key=lambda c: not c[0].startswith("s3://"))
        source: AssetSource = {
            "hrefs": [href for href, _ in candidates],
            "requester_pays": [flag for _, flag in candidates],
        }
        if isinstance(asset.get("file:checksum"), str):
            source["checksum"] = asset["file:checksum"]
        if isinstance(asset.get("file:size"), int) and not isinstance(asset["file:size"], bool):
            source["size"] = asset["file:size"]
        out[target] = source
    return out


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
        platform=_normalize_platform(platform),
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


# --------------------------------------------------------------------------------------------
# Sources: STAC API and static catalog
# --------------------------------------------------------------------------------------------


def _short(exc: BaseException) -> str:
    """The first line of an exception message, at most 200 characters."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _api_items(
    url: str,
    *,
    collection: str | None,
    path: int,
    row: int,
    start: datetime.datetime,
    end: datetime.datetime,
    max_cloud: float | None,
    max_retries: int,
    timeout: float,
    intersects: Mapping[str, Any] | None = None,
    limit: int | None = DEFAULT_PAGE_LIMIT,
) -> Iterator[tuple[dict, str]]:
    """Yield (item dict, base href) for every item of a STAC API search."""
    import pystac
    from pystac_client import Client
    from pystac_client.conformance import ConformanceClasses
    from pystac_client.exceptions import APIError
    from pystac_client.stac_api_io import StacApiIO
    from pystac_client.warnings import PystacClientWarning
    from urllib3 import Retry

    class BoundedRetry(Retry):
        """urllib3's Retry, with a ``Retry-After`` wait cut at :data:`RETRY_AFTER_MAX`."""

        def get_retry_after(self, response):
            seconds = super().get_retry_after(response)
            return None if seconds is None else min(seconds, RETRY_AFTER_MAX)

    retry = BoundedRetry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        other=0,
        backoff_factor=RETRY_BACKOFF,
        backoff_max=10.0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # searches are safe to repeat, POST included
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    failures = (
        APIError,
        PystacClientWarning,
        pystac.STACError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
    )
    read_from = {"url": url}  # the URL of the page being read: the base of relative hrefs

    class GuardedStacApiIO(StacApiIO):
        """Asks only the catalog's own host; remembers the URL of the page it read."""

        def request(self, href, method=None, headers=None, parameters=None):
            reason = _api_refusal(url, href)
            if reason is not None:
                raise APIError(f"{printable(redact(href))}: {reason}")
            read_from["url"] = href
            return super().request(href, method=method, headers=headers, parameters=parameters)

    try:
        stac_io = GuardedStacApiIO(max_retries=retry, timeout=timeout)
        stac_io.session = _guarded_api_session(url, retry)
        client = Client.open(url, stac_io=stac_io, timeout=timeout)
    except failures as exc:
        raise DiscoveryError(f"STAC API {url} cannot be opened: {_short(exc)}") from exc
    if not client.conforms_to(ConformanceClasses.ITEM_SEARCH):
        raise DiscoveryError(
            f"STAC API {url} does not advertise item search (expected a STAC API root URL)"
        )
    methods = {
        str(link.extra_fields.get("method") or "GET").upper() for link in client.get_links("search")
    }
    method = "POST" if "POST" in methods or not methods else "GET"
    query = None
    if client.conforms_to(ConformanceClasses.QUERY):
        # The landsat extension says zero-padded strings; some catalogs do not pad.
        query = {
            "landsat:wrs_path": {"in": list(dict.fromkeys([f"{path:03d}", str(path)]))},
            "landsat:wrs_row": {"in": list(dict.fromkeys([f"{row:03d}", str(row)]))},
        }
        if max_cloud is not None:
            query["eo:cloud_cover"] = {"lte": max_cloud}

    def pages(query: dict | None) -> Iterator[dict]:
        search = client.search(
            method=method,
            collections=[collection] if collection else None,
            datetime=[start, end],
            query=query,
            intersects=dict(intersects) if intersects else None,
            limit=limit,
        )
        yield from search.pages_as_dicts()

    def items(page: Any) -> Iterator[tuple[Any, str]]:
        features = page.get("features") if isinstance(page, Mapping) else None
        if not isinstance(features, list):
            log.warning(
                "skipping a page of %s: its features are %s, not a list",
                printable(redact(read_from["url"])),
                type(features).__name__,
            )
            return
        for item in features:
            yield item, read_from["url"]

    try:
        try:
            for page in pages(query):
                yield from items(page)
        except APIError as exc:
            status = getattr(exc, "status_code", None)
            if query is None or status is None or not 400 <= status < 500:
                raise
            log.info("%s rejected the query extension (%s); searching without it", url, status)
            for page in pages(None):
                yield from items(page)
    except failures as exc:
        raise DiscoveryError(f"STAC API {url} search failed: {_short(exc)}") from exc


def _api_refusal(catalog: str, href: str) -> str | None:
    """Why a STAC API at ``catalog`` may not be asked ``href`` (a page, a next link, a
    redirect); None when it may: the catalog's own host and port, or https on that host."""
    from landsat_pipeline.sources.options import url_origin

    own, asked = url_origin(catalog), url_origin(href)
    if asked is None or asked[0] not in ("http", "https"):
        return "not an http(s) URL of the catalog"
    if own is not None and asked[1] == own[1] and (asked == own or asked[0] == "https"):
        return None
    where = f"{asked[1]}:{asked[2]}" if asked[2] else asked[1]
    return f"{where} is not the catalog's host (a STAC API is only read at its own host)"


def _guarded_api_session(catalog: str, retry: Any) -> Any:
    """A requests session checking every URL (redirects included) before connecting."""
    from requests.adapters import HTTPAdapter

    from landsat_pipeline.sources.http import guarded_session

    session = guarded_session(lambda href, origin: _api_refusal(catalog, href))
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def _catalog_file(catalog: str) -> Path:
    if catalog.startswith("file:"):
        catalog = url2pathname(urlparse(catalog).path)
    location = Path(catalog).expanduser()
    return location / "catalog.json" if location.is_dir() else location


def _item_hrefs(catalog: Any) -> Iterator[str]:
    """Absolute hrefs of the items of a pystac catalog and its children, recursively."""
    for link in catalog.get_item_links():
        yield link.get_absolute_href()
    for child in catalog.get_children():
        yield from _item_hrefs(child)


def _static_items(catalog: str) -> Iterator[tuple[dict, str]]:
    """Yield (item dict, item file) for every item of a static catalog.

    pystac walks the catalogs and collections; the items are read as plain JSON, so they
    come back exactly as stored (pystac would migrate e.g. ``proj:epsg`` to ``proj:code``).
    Only item files under the catalog's own folder are read (symlinks resolved): an item
    link elsewhere (``/etc/passwd``, ``http://...``) is refused in one line and skipped.
    """
    import pystac

    location = _catalog_file(catalog)
    if not location.is_file():
        raise DiscoveryError(
            f"static STAC catalog {location} does not exist "
            "(expected a catalog.json file or a folder holding one)"
        )
    try:
        root = pystac.Catalog.from_file(str(location))
        stac_io = pystac.StacIO.default()
        folder = os.path.realpath(location.parent)
        for href in _item_hrefs(root):
            path = url2pathname(urlparse(href).path) if href.startswith("file:") else href
            real = os.path.realpath(path) if not _is_url(path) else None
            if real is None or os.path.commonpath([real, folder]) != folder:
                log.warning(
                    "refusing the item link %s: not a file under the catalog's folder %s",
                    printable(href),
                    folder,
                )
                continue
            try:
                item = stac_io.read_json(href)
            except (OSError, ValueError) as exc:  # one unreadable item: skipped
                log.warning(
                    "skipping the item %s: it cannot be read (%s)",
                    printable(href),
                    type(exc).__name__,
                )
                continue
            yield item, href
    except (pystac.STACError, OSError, ValueError, KeyError, TypeError) as exc:
        raise DiscoveryError(
            f"static STAC catalog {location} cannot be read: {_short(exc)}"
        ) from exc


# --------------------------------------------------------------------------------------------
# discover
# --------------------------------------------------------------------------------------------


def path_row_point(path: int, row: int) -> dict[str, Any]:
    """The GeoJSON point at a path/row's (approximate) scene centre, for ``intersects``.

    A STAC API then returns the scenes over that point (a few per day) instead of every
    scene of the day: the path/row filter stays, applied to what comes back.
    """
    from landsat_ops.overpass import wrs2_centre

    lat, lon = wrs2_centre(path, row)
    return {"type": "Point", "coordinates": [round(lon, 4), round(lat, 4)]}


def discover(
    catalog: str,
    *,
    path: int,
    row: int,
    start: datetime.datetime,
    end: datetime.datetime,
    collection: str | None = None,
    max_cloud: float | None = None,
    platform: str = "landsat-8",
    max_retries: int = 3,
    timeout: float = 30.0,
    intersects: Mapping[str, Any] | None = None,
    limit: int | None = DEFAULT_PAGE_LIMIT,
) -> list[DiscoveredScene]:
    """Find the scenes of a WRS-2 path/row acquired in ``[start, end)``.

    Parameters
    ----------
    catalog : str
        A STAC API root URL (``https://earth-search.aws.element84.com/v1``), or a static
        catalog: a ``catalog.json`` path, a folder holding one, or a ``file://`` URL.
    path, row : int
        WRS-2 path and row.
    start, end : datetime.datetime
        Half-open time range; naive datetimes (and dates) are UTC.
    collection : str, optional
        Collection ID to search (``"landsat-c2-l2"`` on Earth Search and Planetary Computer,
        ``"landsat-c2-l1"`` in the catalog of :func:`landsat_demo.synthetic.make_catalog`).
        Default: all collections.
    max_cloud : float, optional
        Keep scenes with ``eo:cloud_cover`` at most this (percent). Scenes of unknown cover
        are kept.
    platform : str
        ``"landsat-8"`` (default) or e.g. ``"landsat-9"``; any case, ``_`` or ``-``.
    max_retries : int
        Retries per HTTP request on connection errors and 429/5xx answers.
    timeout : float
        Seconds to wait for each HTTP connection and response.
    intersects : dict, optional
        A GeoJSON geometry sent to a STAC API as ``intersects`` (the path/row's centre point,
        ``{"type": "Point", "coordinates": [lon, lat]}``, is enough); items are still
        filtered by path/row here.
    limit : int, optional
        Items per page asked of a STAC API (default :data:`DEFAULT_PAGE_LIMIT`).

    Returns
    -------
    list of DiscoveredScene
        Oldest first, one per scene ID.

    Raises
    ------
    DiscoveryError
        If the catalog cannot be reached (after the retries), is missing, or does not answer
        valid STAC JSON; the message names the URL or file.

    Examples
    --------
    >>> discover("https://earth-search.aws.element84.com/v1", path=226, row=10,
    ...          start=datetime.datetime(2023, 7, 1), end=datetime.datetime(2023, 9, 1),
    ...          collection="landsat-c2-l2", max_cloud=30)  # doctest: +SKIP
    """
    start_utc = _as_utc(start, "start")
    end_utc = _as_utc(end, "end")
    wanted_platform = _normalize_platform(platform)
    if _is_url(catalog) and urlparse(catalog).scheme in ("http", "https"):
        source = _api_items(
            catalog,
            collection=collection,
            path=path,
            row=row,
            start=start_utc,
            end=end_utc,
            max_cloud=max_cloud,
            max_retries=max_retries,
            timeout=timeout,
            intersects=intersects,
            limit=limit,
        )
    else:
        source = _static_items(catalog)

    found: dict[str, DiscoveredScene] = {}
    for index, (item, base) in enumerate(source, 1):
        scene = _read_item(item, base, index, collection)
        if scene is None:
            continue
        if (scene.path, scene.row) != (path, row) or scene.platform != wanted_platform:
            continue
        if not start_utc <= scene.acquired < end_utc:
            continue
        if max_cloud is not None and scene.cloud_cover is not None:
            if scene.cloud_cover > max_cloud:
                continue
        found.setdefault(scene.scene_id, scene)
    return sorted(found.values(), key=lambda s: (s.acquired, s.scene_id))


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


def _read_item(
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


_CATEGORY_RANK = {"T1": 0, "T2": 1, "RT": 2}


def pick_scene(scenes: Sequence[DiscoveredScene]) -> DiscoveredScene:
    """The scene to process when a day has several: Tier 1 first, then the latest processing."""

    def rank(scene):
        parts = scene.scene_id.split("_")
        category = parts[-1] if len(parts) == 7 else ""
        processed = parts[4] if len(parts) == 7 else ""
        return (_CATEGORY_RANK.get(category, 3), _negate(processed), scene.scene_id)

    return sorted(scenes, key=rank)[0]


def _negate(digits: str) -> str:
    return "".join(str(9 - int(c)) for c in digits if c.isdigit())


def scene_to_xcom(scene: DiscoveredScene) -> Scene:
    """What the discover task passes on: IDs, dates and asset URIs (never data)."""
    acquired = scene.acquired.astimezone(datetime.UTC)
    return {
        "scene_id": scene.scene_id,
        "item_id": scene.item_id or scene.scene_id,
        "acquired": acquired.isoformat(),
        "date": acquired.date().isoformat(),
        "path": scene.path,
        "row": scene.row,
        "cloud_cover": scene.cloud_cover,
        "platform": scene.platform,
        "assets": dict(scene.assets),
        "sources": {key: dict(source) for key, source in scene.sources.items()},
    }
