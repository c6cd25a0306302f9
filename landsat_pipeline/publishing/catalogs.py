"""The STAC documents of the bucket: a path/row's collection, the root catalog, item links.

:func:`update_catalogs` adds a published item to its path/row's ``collection.json`` (replacing
its earlier entry, never duplicating it), the collection to the root ``catalog.json``, and
writes the gallery pages (:mod:`.gallery`) that changed.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Mapping
from typing import Any

from landsat_ops.products import (
    ASSET_TITLES,
    COG_MEDIA_TYPE,
    PNG_MEDIA_TYPE,
    PRODUCTS,
    RENDERS,
    STAC_EXTENSIONS,
    asset_key,
    asset_roles,
    expected_asset_keys,
    extent_classes,
    product_bands,
    product_files,
)
from landsat_pipeline.keys import CATALOG_KEY, GALLERY_KEY, collection_key, path_row_prefix
from landsat_pipeline.publishing.documents import (
    GAPS_LINK,
    has_gaps,
    join_href,
    json_update,
    links_of,
    read_json,
    write_if_changed,
)
from landsat_pipeline.publishing.gallery import gallery_html, path_row_pages
from landsat_pipeline.xcom import CatalogUris

log = logging.getLogger(__name__)

STAC_VERSION = "1.1.0"
PROVIDERS = [
    {
        "name": "USGS",
        "description": "Landsat 8 and 9 Collection 2 data (public domain)",
        "roles": ["producer", "licensor"],
        "url": "https://www.usgs.gov/landsat-missions",
    },
    {
        "name": "landsat-ops",
        "description": "True colour, false colour and NDVI rendering",
        "roles": ["processor"],
    },
]
LICENSE_LINK = {
    "rel": "license",
    "href": "https://www.usgs.gov/information-policies-and-instructions/copyrights-and-credits",
    "type": "text/html",
    "title": "USGS-authored or produced data and information are in the public domain",
}


def _item_assets() -> dict:
    """Every asset key a full render writes (thumbnail included), in the items' order."""
    keys = expected_asset_keys(PRODUCTS)
    out = {}
    for name in product_files("X"):
        key = asset_key(name, "X")
        if key not in keys:
            continue  # the item itself
        cog = name.endswith(".tif")
        out[key] = {
            "title": ASSET_TITLES.get(key),
            "type": COG_MEDIA_TYPE if cog else PNG_MEDIA_TYPE,
            "roles": asset_roles(key),
            **({"bands": product_bands(key.rsplit("_", 1)[0])} if cog else {}),
            **({"classification:classes": extent_classes()} if key == "extent_tif" else {}),
        }
    return out


ITEM_ASSETS = _item_assets()
"""What every item of a collection holds (STAC 1.1 ``item_assets``), from landsat_ops.products."""
_ITEM_KEY = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})/(?P<id>[^/]+)\.json$")


def collection_id(path: int, row: int) -> str:
    return f"landsat-p{path:03d}-r{row:03d}"


def published_item(item: dict, collection_id: str) -> dict:
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


def _union_bbox(boxes: list[list[float]]) -> list[float]:
    if not boxes:
        return [-180.0, -90.0, 180.0, 90.0]
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def item_link(item: Mapping[str, Any], date: str) -> dict:
    """The collection's link to one published item, with what the gallery and extent need."""
    properties = item.get("properties") or {}
    assets = item.get("assets") or {}
    previews = {
        product: f"./{date}/{assets[f'{product}_png']['href'].removeprefix('./')}"
        for product in PRODUCTS
        if f"{product}_png" in assets
    }
    link = {
        "rel": "item",
        "href": f"./{date}/{item['id']}.json",
        "type": "application/geo+json",
        "title": item["id"],
        "datetime": properties.get("datetime"),
        "landsat_ops:previews": previews,
        "landsat_ops:cogs": {
            key.removesuffix("_tif"): f"./{date}/{asset['href'].removeprefix('./')}"
            for key, asset in assets.items()
            if key.endswith("_tif")
        },
    }
    thumbnail = next((a for a in assets.values() if "thumbnail" in (a.get("roles") or [])), None)
    if thumbnail is not None:
        link["landsat_ops:thumbnail"] = f"./{date}/{thumbnail['href'].removeprefix('./')}"
    if properties.get("platform"):
        link["platform"] = properties["platform"]
    if properties.get("eo:cloud_cover") is not None:
        link["eo:cloud_cover"] = properties["eo:cloud_cover"]
    if item.get("bbox"):
        link["bbox"] = list(item["bbox"][:4])
    return link


def collection_document(
    path: int, row: int, title: str, items: list[dict], *, gaps: bool = False
) -> dict:
    """The path/row's STAC collection from its item links (newest first)."""
    items = sorted(items, key=lambda link: (link.get("datetime") or "", link["title"]))[::-1]
    times = [link["datetime"] for link in items if link.get("datetime")]
    clouds = [link["eo:cloud_cover"] for link in items if link.get("eo:cloud_cover") is not None]
    platforms = sorted({link["platform"] for link in items if link.get("platform")})
    summaries: dict[str, Any] = {  # only fields the items carry
        "platform": platforms or ["landsat-8", "landsat-9"],
        "instruments": ["oli", "tirs"],
    }
    if clouds:
        summaries["eo:cloud_cover"] = {"minimum": min(clouds), "maximum": max(clouds)}
    return {
        "type": "Collection",
        "stac_version": STAC_VERSION,
        # eo: the cloud cover summary and the bands' common names; render: ``renders``;
        # classification: the extent's classes.
        "stac_extensions": [
            STAC_EXTENSIONS["eo"],
            STAC_EXTENSIONS["render"],
            STAC_EXTENSIONS["classification"],
        ],
        "id": collection_id(path, row),
        "title": f"{title}: Landsat WRS-2 path {path:03d} row {row:03d}",
        "description": (
            f"True colour, false colour (B7/B5/B1) and NDVI products of every Landsat 8/9 "
            f"acquisition of WRS-2 path {path} row {row}, rendered by landsat-ops from USGS "
            "Collection 2 data."
        ),
        "license": "other",
        "providers": PROVIDERS,
        "extent": {
            "spatial": {"bbox": [_union_bbox([link["bbox"] for link in items if "bbox" in link])]},
            "temporal": {"interval": [[min(times, default=None), max(times, default=None)]]},
        },
        "summaries": summaries,
        "item_assets": ITEM_ASSETS,
        "renders": RENDERS,
        "links": [
            {"rel": "root", "href": "../../../catalog.json", "type": "application/json"},
            {"rel": "parent", "href": "../../../catalog.json", "type": "application/json"},
            LICENSE_LINK,
            {
                "rel": "alternate",
                "href": "./index.html",
                "type": "text/html",
                "title": "Gallery of this path/row",
            },
            *([GAPS_LINK] if gaps else []),
            *items,
        ],
    }


def catalog_document(children: list[dict], related: list[dict] = ()) -> dict:
    """The root catalog: its path/row collections (and the composites' catalog) as ``child``
    links, the pages published beside them (time-lapses, extent) as ``related`` links."""
    return {
        "type": "Catalog",
        "stac_version": STAC_VERSION,
        "id": "landsat-ops",
        "title": "Landsat scenes rendered by landsat-ops",
        "description": "One collection per WRS-2 path/row; one item per published scene.",
        "links": [
            {"rel": "root", "href": "./catalog.json", "type": "application/json"},
            {"rel": "alternate", "href": "./index.html", "type": "text/html", "title": "Gallery"},
            *sorted(children, key=lambda link: link["href"]),
            *sorted(related, key=lambda link: link["href"]),
        ],
    }


def child_link(key: str, collection: Mapping) -> dict:
    """The root catalog's link to a path/row collection, with the gallery's summary of it."""
    items = links_of(collection, "item")
    latest = items[0] if items else {}
    previews = latest.get("landsat_ops:previews") or {}
    link = {
        "rel": "child",
        "href": f"./{key}",
        "type": "application/json",
        "title": collection.get("title", key),
        "landsat_ops:scenes": len(items),
        "landsat_ops:latest": latest.get("datetime"),
    }
    thumbnail = latest.get("landsat_ops:thumbnail") or previews.get("truecolor")
    if thumbnail:
        link["landsat_ops:thumbnail"] = join_href(key.rsplit("/", 1)[0], thumbnail)
    if has_gaps(collection):
        link["landsat_ops:gaps"] = join_href(key.rsplit("/", 1)[0], GAPS_LINK["href"])
    return link


def update_catalogs(
    store,
    path: int,
    row: int,
    *,
    title: str,
    item: Mapping[str, Any] | None = None,
    date: str | None = None,
    gap_report: bool = False,
) -> CatalogUris:
    """Add one published item to its collection, the root catalog and the gallery pages.

    With ``item`` (and its acquisition ``date``) the cost does not grow with the archive:
    the path/row's collection, the root catalog and a few small pages are read and written
    (each with :meth:`~landsat_ops.storage.Store.update`, so concurrent publishers of other
    scenes or path/rows never drop each other's entries), nothing is listed. Without
    ``item`` the path/row's collection is rebuilt from every published item (a repair, or
    after items were written by hand: O(scenes) reads). ``gap_report``: the path/row's gap
    report was written (:mod:`landsat_pipeline.gaps`): link it from the collection and the
    gallery pages.
    """
    key = collection_key(path, row)
    if gap_report:

        def build(current: dict | None) -> dict:
            return collection_document(path, row, title, links_of(current, "item"), gaps=True)

    elif item is not None:
        new_link = item_link(item, date or scene_date(item["properties"]["datetime"]))

        def with_item(current: dict | None) -> dict:
            items = [link for link in links_of(current, "item") if link["href"] != new_link["href"]]
            return collection_document(path, row, title, [*items, new_link], gaps=has_gaps(current))

        build = with_item
    else:
        items = published_item_links(store, path, row)

        def build(current: dict | None) -> dict:
            return collection_document(path, row, title, items, gaps=has_gaps(current))

    holder: dict[str, dict] = {}

    def keep(document_builder):
        def wrapped(current):
            holder["collection"] = document_builder(current)
            return holder["collection"]

        return wrapped

    written = store.update(key, json_update(keep(build)), "application/json")
    collection = holder["collection"]
    child = child_link(key, collection)

    def with_child(current: dict | None) -> dict:
        children = [link for link in links_of(current, "child") if link["href"] != child["href"]]
        holder["catalog"] = catalog_document([*children, child], links_of(current, "related"))
        return holder["catalog"]

    written |= store.update(CATALOG_KEY, json_update(with_child), "application/json")
    pages = {
        GALLERY_KEY: gallery_html(holder["catalog"]),
        # Publishing one scene changes its year's page only; a rebuild writes every year.
        **path_row_pages(
            key, collection, years=None if item is None else {new_link["datetime"][:4]}
        ),
    }
    for page_key, page in pages.items():
        written |= write_if_changed(store, page_key, page.encode(), "text/html; charset=utf-8")
    log.info(
        "%s the STAC collection, root catalog and gallery",
        "updated" if written else "no change to",
    )
    return {
        "collection_uri": store.uri(key),
        "catalog_uri": store.uri(CATALOG_KEY),
        "gallery_uri": store.uri(GALLERY_KEY),
    }


def published_item_links(store, path: int, row: int) -> list[dict]:
    """Item links of every item published under the path/row (lists and reads them all)."""
    base = path_row_prefix(path, row)
    links = []
    for key in store.list(base + "/"):
        match = _ITEM_KEY.match(key[len(base) + 1 :])
        if not match:
            continue
        item = read_json(store, key)
        if item and item.get("type") == "Feature":
            links.append(item_link(item, match.group("date")))
    return links


def scene_date(acquired: str) -> str:
    """``YYYY-MM-DD`` (UTC) of an ISO acquisition time."""
    when = datetime.datetime.fromisoformat(acquired)
    if when.tzinfo is not None:
        when = when.astimezone(datetime.UTC)
    return when.date().isoformat()
