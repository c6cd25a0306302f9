"""Publish a rendered scene: product set, STAC collection and catalog, gallery.

A render writes ``staging/<ID>/``: the products and the STAC item ``<ID>.json`` listing each
product with its SHA-256 (``file:checksum``). Publishing

1. checks every staged product against the item's checksums,
2. copies the products to ``published/<PPP>/<RRR>/<YYYY-MM-DD>/`` (objects already there with
   the same checksum are left alone), then writes the item, with links to its collection and
   the root catalog, last: a scene is published once its item is, and the item is the
   manifest of a complete set;
3. removes the staged copies (the set was moved);
4. rebuilds the path/row's ``collection.json`` from the items present, the root
   ``catalog.json`` from the collections present and the ``index.html`` gallery at the bucket
   root. They derive from what is in the bucket, so re-publishing a scene replaces its entry,
   never duplicates it. Each is only written when its content changed: a re-run changes no
   object.

The DAG runs publish steps in a one-slot pool, so the root files are rewritten by one task at
a time.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import json
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from landsat_ops.products import PRODUCTS, expected_asset_keys, item_name
from landsat_ops.storage import sha256_from_multihash
from landsat_pipeline.errors import PublishError
from landsat_pipeline.keys import (
    CATALOG_KEY,
    GALLERY_KEY,
    collection_key,
    path_row_prefix,
    published_prefix,
    staging_prefix,
)
from landsat_pipeline.xcom import CatalogUris, PublishedScene, Scene

__all__ = [
    "publish_scene",
    "published_status",
    "update_catalogs",
]

log = logging.getLogger(__name__)

STAC_VERSION = "1.1.0"
_ITEM_KEY = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})/(?P<id>[^/]+)\.json$")
_COLLECTION_KEY = re.compile(r"^published/(?P<path>\d{3})/(?P<row>\d{3})/collection\.json$")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_json(store, key: str) -> dict | None:
    if not store.exists(key):
        return None
    try:
        return json.loads(store.read_bytes(key))
    except ValueError as exc:
        raise PublishError(f"{store.uri(key)}: not valid JSON ({exc})") from None


def _dumps(document: Mapping) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=False) + "\n").encode()


def write_if_changed(store, key: str, data: bytes, content_type: str) -> bool:
    """Write ``data`` to ``key`` unless the object already holds exactly these bytes."""
    current = store.info(key)
    if current is not None and current.sha256 == _sha256(data):
        return False
    store.write_bytes(key, data, content_type=content_type)
    return True


def _asset_files(item: Mapping) -> dict[str, tuple[str, str | None]]:
    """Asset key -> (file name, expected sha256) of an item whose hrefs are ``./<name>``."""
    out = {}
    for key, asset in (item.get("assets") or {}).items():
        name = str(asset.get("href", "")).removeprefix("./")
        checksum = asset.get("file:checksum")
        sha = sha256_from_multihash(checksum)
        out[key] = (name, sha)
    return out


def _check_set(store, prefix: str, item: Mapping) -> list[str]:
    """Problems with the product files of ``item`` under ``prefix`` (empty: all good)."""
    problems = []
    for key, (name, sha) in _asset_files(item).items():
        if "/" in name or not name:
            problems.append(f"asset {key} has href {name!r} (expected ./<file name>)")
            continue
        info = store.info(f"{prefix}/{name}")
        if info is None:
            problems.append(f"{name} is missing")
        elif sha is None:
            problems.append(f"asset {key} has no file:checksum")
        elif info.sha256 != sha:
            problems.append(f"{name} does not match the item's checksum")
    return problems


def published_status(
    store,
    scene: Mapping[str, Any],
    *,
    products: Iterable[str],
    percentiles: tuple[float, float],
) -> tuple[bool, str]:
    """Whether the scene's published set is complete and what this config would render.

    Returns ``(True, why)`` when the published item exists, lists exactly the products asked
    for, was made by this landsat_ops version with these percentiles, and every product
    matches its checksum; else ``(False, why)``.
    """
    import landsat_ops

    prefix = published_prefix(scene["path"], scene["row"], scene["date"])
    item_key = f"{prefix}/{item_name(scene['scene_id'])}"
    item = _read_json(store, item_key)
    if item is None:
        return False, f"{store.uri(item_key)} does not exist"
    have = set((item.get("assets") or {}).keys())
    want = expected_asset_keys(products)
    if have != want:
        return False, f"published products {sorted(have)} differ from {sorted(want)}"
    properties = item.get("properties") or {}
    version = properties.get("landsat_ops:version")
    if version != landsat_ops.__version__:
        return False, f"published by landsat_ops {version}, this is {landsat_ops.__version__}"
    for name, stretch in (properties.get("landsat_ops:stretch") or {}).items():
        if stretch.get("method") == "percentile" and stretch.get("percentiles") != list(
            percentiles
        ):
            return False, f"{name} was stretched to percentiles {stretch.get('percentiles')}"
    problems = _check_set(store, prefix, item)
    if problems:
        return False, f"{store.uri(prefix)}: {'; '.join(problems)}"
    return True, f"{store.uri(item_key)} and its {len(have)} products are complete"


def _published_item(item: dict, collection_id: str) -> dict:
    """The staged item with links to its collection and the root catalog."""
    out = dict(item)
    out["collection"] = collection_id
    links = [
        link
        for link in out.get("links") or []
        if link.get("rel") not in ("root", "parent", "collection", "self")
    ]
    out["links"] = [
        {"rel": "root", "href": "../../../../catalog.json", "type": "application/json"},
        {"rel": "parent", "href": "../collection.json", "type": "application/json"},
        {"rel": "collection", "href": "../collection.json", "type": "application/json"},
        *links,
    ]
    return out


def collection_id(path: int, row: int) -> str:
    return f"landsat-p{path:03d}-r{row:03d}"


def publish_scene(store, scene: Scene | Mapping[str, Any], *, title: str) -> PublishedScene:
    """Move a staged product set to its published prefix and refresh the catalog and gallery.

    When ``staging/<ID>/`` holds no item (the render was skipped because the set was already
    published), the published set is checked instead, and the catalogs refreshed.

    Parameters
    ----------
    store
        The bucket.
    scene
        The discover task's XCom (``scene_id``, ``path``, ``row``, ``date``).
    title
        The area's title, for the collection and the gallery.

    Returns
    -------
    dict
        URIs of the item, collection, catalog and gallery, and the ``copied`` and
        ``unchanged`` product file names.
    """
    scene_id, path, row = scene["scene_id"], scene["path"], scene["row"]
    prefix = published_prefix(path, row, scene["date"])
    item_key = f"{prefix}/{item_name(scene_id)}"
    copied: list[str] = []
    unchanged: list[str] = []
    staged = staging_prefix(scene_id)
    item = _read_json(store, f"{staged}/{item_name(scene_id)}")
    if item is not None:
        problems = _check_set(store, staged, item)
        if problems:
            raise PublishError(f"{store.uri(staged)}: incomplete render: {'; '.join(problems)}")
        for name, sha in _asset_files(item).values():
            current = store.info(f"{prefix}/{name}")
            if current is not None and current.sha256 == sha:
                unchanged.append(name)
                continue
            copy = store.copy(f"{staged}/{name}", f"{prefix}/{name}")
            if copy.sha256 is not None and copy.sha256 != sha:
                raise PublishError(f"{store.uri(prefix)}/{name}: copy does not match its checksum")
            copied.append(name)
        document = _published_item(item, collection_id(path, row))
        if write_if_changed(store, item_key, _dumps(document), "application/geo+json"):
            copied.append(item_name(scene_id))
        else:
            unchanged.append(item_name(scene_id))
        listed = {name for name, _ in _asset_files(item).values()} | {item_name(scene_id)}
        for key in store.list(prefix + "/"):  # products an earlier config made, now dropped
            if key.rsplit("/", 1)[-1] not in listed:
                store.delete(key)
                log.info("removed %s (no longer in the product set)", store.uri(key))
        _remove_prefix(store, staged)
        log.info(
            "published %s to %s: %d objects written, %d already there unchanged",
            scene_id,
            store.uri(prefix),
            len(copied),
            len(unchanged),
        )
    else:
        item = _read_json(store, item_key)
        problems = ["the item is missing"] if item is None else _check_set(store, prefix, item)
        if problems:
            raise PublishError(
                f"{store.uri(prefix)}: nothing is staged in {store.uri(staged)} and the "
                f"published set is incomplete: {'; '.join(problems)} (run with force_render)"
            )
        unchanged = [name for name, _ in _asset_files(item).values()] + [item_name(scene_id)]
        log.info("%s is already published at %s; nothing to move", scene_id, store.uri(prefix))
    uris = update_catalogs(store, path, row, title=title)
    return {"item_uri": store.uri(item_key), **uris, "copied": copied, "unchanged": unchanged}


def _remove_prefix(store, prefix: str) -> None:
    for key in store.list(prefix + "/"):
        store.delete(key)
    if not store.root.startswith("s3://"):  # a local store: drop the emptied folders too
        folder = Path(store.root) / prefix
        for empty in (folder, folder.parent):
            try:
                empty.rmdir()
            except OSError:
                break


# --------------------------------------------------------------------------------------------
# Collection, catalog, gallery
# --------------------------------------------------------------------------------------------


def _union_bbox(boxes: list[list[float]]) -> list[float]:
    if not boxes:
        return [-180.0, -90.0, 180.0, 90.0]
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def _collection(store, path: int, row: int, title: str) -> dict:
    """The path/row's collection, rebuilt from the published items (newest first)."""
    base = path_row_prefix(path, row)
    links = []
    boxes = []
    times = []
    for key in store.list(base + "/"):
        match = _ITEM_KEY.match(key[len(base) + 1 :])
        if not match:
            continue
        item = _read_json(store, key)
        if not item or item.get("type") != "Feature":
            continue
        date, item_id = match.group("date"), match.group("id")
        properties = item.get("properties") or {}
        when = properties.get("datetime")
        if item.get("bbox"):
            boxes.append(item["bbox"][:4])
        if when:
            times.append(when)
        previews = {
            product: f"./{date}/{item['assets'][f'{product}_png']['href'].removeprefix('./')}"
            for product in PRODUCTS
            if f"{product}_png" in (item.get("assets") or {})
        }
        link = {
            "rel": "item",
            "href": f"./{date}/{item_id}.json",
            "type": "application/geo+json",
            "title": item_id,
            "datetime": when,
            "landsat_ops:previews": previews,
        }
        if properties.get("eo:cloud_cover") is not None:
            link["eo:cloud_cover"] = properties["eo:cloud_cover"]
        links.append(link)
    links.sort(key=lambda link: (link["datetime"] or "", link["title"]), reverse=True)
    return {
        "type": "Collection",
        "stac_version": STAC_VERSION,
        "id": collection_id(path, row),
        "title": f"{title}: Landsat 8 WRS-2 path {path:03d} row {row:03d}",
        "description": (
            f"True colour, false colour (B7/B5/B1) and NDVI products of every Landsat 8 "
            f"acquisition of WRS-2 path {path} row {row}, rendered by landsat-ops."
        ),
        "license": "other",
        "extent": {
            "spatial": {"bbox": [_union_bbox(boxes)]},
            "temporal": {"interval": [[min(times) if times else None, max(times, default=None)]]},
        },
        "links": [
            {"rel": "root", "href": "../../../catalog.json", "type": "application/json"},
            {"rel": "parent", "href": "../../../catalog.json", "type": "application/json"},
            *links,
        ],
    }


def _catalog(collections: list[tuple[str, dict]]) -> dict:
    return {
        "type": "Catalog",
        "stac_version": STAC_VERSION,
        "id": "landsat-ops",
        "title": "Landsat scenes rendered by landsat-ops",
        "description": "One collection per WRS-2 path/row; one item per published scene.",
        "links": [
            {"rel": "root", "href": "./catalog.json", "type": "application/json"},
            *(
                {
                    "rel": "child",
                    "href": f"./{key}",
                    "type": "application/json",
                    "title": document.get("title", key),
                }
                for key, document in collections
            ),
        ],
    }


def update_catalogs(store, path: int, row: int, *, title: str) -> CatalogUris:
    """Rebuild this path/row's collection, then the root catalog and the gallery."""
    key = collection_key(path, row)
    written = write_if_changed(
        store, key, _dumps(_collection(store, path, row, title)), "application/json"
    )
    collections = []
    for found in store.list("published/"):
        if _COLLECTION_KEY.match(found):
            document = _read_json(store, found)
            if document:
                collections.append((found, document))
    written |= write_if_changed(
        store, CATALOG_KEY, _dumps(_catalog(collections)), "application/json"
    )
    page = gallery_html(collections).encode()
    written |= write_if_changed(store, GALLERY_KEY, page, "text/html; charset=utf-8")
    log.info(
        "%s the STAC collection, root catalog and gallery",
        "updated" if written else "no change to",
    )
    return {
        "collection_uri": store.uri(key),
        "catalog_uri": store.uri(CATALOG_KEY),
        "gallery_uri": store.uri(GALLERY_KEY),
    }


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Landsat scenes</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; background: #111; color: #eee; }}
a {{ color: #9cf; }}
.grid {{ display: flex; flex-wrap: wrap; gap: 1rem; }}
figure {{ margin: 0; width: 260px; background: #222; padding: .5rem; border-radius: 4px; }}
figure img {{ width: 100%; height: 240px; object-fit: contain; background: #000; }}
figcaption {{ font-size: .8rem; line-height: 1.4; word-break: break-all; }}
</style>
</head>
<body>
<h1>Landsat scenes</h1>
<p>STAC: <a href="catalog.json">catalog.json</a>. Newest first.</p>
{sections}
</body>
</html>
"""


def gallery_html(collections: list[tuple[str, dict]]) -> str:
    """The gallery page: per path/row, a card per scene with its true colour preview."""
    sections = []
    for key, document in collections:
        base = key.rsplit("/", 1)[0]
        cards = []
        for link in document.get("links") or []:
            if link.get("rel") != "item":
                continue
            previews = link.get("landsat_ops:previews") or {}
            if not previews:
                continue
            thumb = previews.get("truecolor") or next(iter(previews.values()))
            when = str(link.get("datetime") or "")[:10]
            cloud = link.get("eo:cloud_cover")
            cloud_text = f", cloud {cloud:.0f} %" if isinstance(cloud, int | float) else ""
            extra = " ".join(
                f'<a href="{html.escape(_join(base, href))}">{name}</a>'
                for name, href in previews.items()
            )
            cards.append(
                f'<figure><a href="{html.escape(_join(base, thumb))}">'
                f'<img src="{html.escape(_join(base, thumb))}" loading="lazy" '
                f'alt="{html.escape(link.get("title", ""))}"></a>'
                f"<figcaption><b>{html.escape(when)}</b>{cloud_text}<br>"
                f"{html.escape(link.get('title', ''))}<br>{extra} "
                f'<a href="{html.escape(_join(base, link["href"]))}">STAC item</a>'
                "</figcaption></figure>"
            )
        sections.append(
            f"<h2>{html.escape(document.get('title', key))}</h2>\n"
            f'<p><a href="{html.escape(key)}">collection.json</a>, {len(cards)} scenes</p>\n'
            f'<div class="grid">\n' + "\n".join(cards) + "\n</div>"
        )
    return _PAGE.format(sections="\n".join(sections) or "<p>No scenes published yet.</p>")


def _join(base: str, href: str) -> str:
    return f"{base}/{href.removeprefix('./')}"


def scene_date(acquired: str) -> str:
    """``YYYY-MM-DD`` (UTC) of an ISO acquisition time."""
    when = datetime.datetime.fromisoformat(acquired)
    if when.tzinfo is not None:
        when = when.astimezone(datetime.UTC)
    return when.date().isoformat()
