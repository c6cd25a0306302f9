"""The composites' STAC collections, their catalog and gallery, linked from the root ones.

Beside the scenes' documents (:mod:`.catalogs`, :mod:`.gallery`)::

    published/composites/<PPP>/<RRR>/collection.json   a path/row's composites, one per period
    published/composites/<area>/collection.json        an area's region mosaics
    published/composites/catalog.json                  the catalog of those collections
    published/composites/index.html                    their gallery: one card per composite

The root ``catalog.json`` gets one child link to the composites' catalog, the root
``index.html`` a line linking their gallery (:func:`~.gallery.gallery_html`).

:func:`update_composite_catalogs` rebuilds the collections of the given areas from the items
under their prefixes (a few per year and path/row: one per period), so a composite published
by a run that failed before this step is linked by the next one. Every document is written
only when its content changes: a re-run writes nothing.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from landsat_pipeline.keys import (
    CATALOG_KEY,
    COMPOSITES_CATALOG_KEY,
    COMPOSITES_GALLERY_KEY,
    COMPOSITES_PREFIX,
    composite_keys,
    mosaic_keys,
)
from landsat_pipeline.publishing.catalogs import (
    LICENSE_LINK,
    PROVIDERS,
    STAC_VERSION,
    item_link,
)
from landsat_pipeline.publishing.documents import (
    dumps,
    links_of,
    read_json,
    write_if_changed,
)
from landsat_pipeline.publishing.gallery import page

__all__ = [
    "COMPOSITES_CHILD",
    "collect_composite_garbage",
    "composite_collection",
    "update_composite_catalogs",
]

log = logging.getLogger(__name__)

COMPOSITES_CHILD = "landsat_ops:composites"
"""Property of the root catalog's link to the composites' catalog: how many composites."""
_ITEM = re.compile(r"^(?P<label>[0-9]{4}-[a-z0-9_]+)/(?P<id>[^/]+)\.json$")


def _items(store, base: str) -> list[dict]:
    """Item links of every composite item under ``base`` (``<label>/<id>.json``)."""
    links = []
    for key in store.list(base + "/"):
        match = _ITEM.match(key[len(base) + 1 :])
        if not match:
            continue
        item = read_json(store, key)
        if not item or item.get("type") != "Feature" or item.get("id") != match["id"]:
            continue
        link = item_link(item, match["label"])
        properties = item.get("properties") or {}
        link["datetime"] = properties.get("end_datetime")
        link["start_datetime"] = properties.get("start_datetime")
        link["end_datetime"] = properties.get("end_datetime")
        link["landsat_ops:period"] = properties.get("landsat_ops:period") or match["label"]
        scenes = (properties.get("landsat_ops:composite") or {}).get("scenes") or []
        link["landsat_ops:scenes"] = len(scenes)
        links.append(link)
    return sorted(links, key=lambda link: link["landsat_ops:period"], reverse=True)


def composite_collection(
    key: str, collection_id: str, title: str, description: str, items: list
) -> dict:
    """The STAC collection at ``key`` of composites (one item per period, newest first)."""
    starts = [link["start_datetime"] for link in items if link.get("start_datetime")]
    ends = [link["end_datetime"] for link in items if link.get("end_datetime")]
    boxes = [link["bbox"] for link in items if link.get("bbox")]
    bbox = (
        [
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        ]
        if boxes
        else [-180.0, -90.0, 180.0, 90.0]
    )
    depth = key.count("/")  # folders between the bucket root and the collection
    catalog_depth = depth - COMPOSITES_CATALOG_KEY.count("/")
    return {
        "type": "Collection",
        "stac_version": STAC_VERSION,
        "id": collection_id,
        "title": title,
        "description": description,
        "license": "other",
        "providers": PROVIDERS,
        "extent": {
            "spatial": {"bbox": [bbox]},
            "temporal": {"interval": [[min(starts, default=None), max(ends, default=None)]]},
        },
        "links": [
            {"rel": "root", "href": "../" * depth + CATALOG_KEY, "type": "application/json"},
            {
                "rel": "parent",
                "href": "../" * catalog_depth + "catalog.json",
                "type": "application/json",
            },
            LICENSE_LINK,
            {
                "rel": "alternate",
                "href": "../" * catalog_depth + "index.html",
                "type": "text/html",
                "title": "Gallery of the composites",
            },
            *items,
        ],
    }


def _collections(config, areas: Iterable[str]) -> list[tuple[str, str, str, str]]:
    """``(key, id, title, description)`` of the composites' collections of ``areas``."""
    out = []
    for name in areas:
        area = config.area(name)
        for path, row in area.path_rows:
            key = composite_keys(path, row, "x")["collection"]
            out.append(
                (
                    key,
                    f"landsat-composites-p{path:03d}-r{row:03d}",
                    f"{area.title}: composites of WRS-2 path {path:03d} row {row:03d}",
                    f"Clear-sky composites ({area.composites.stat} of the clear observations) "
                    f"of every published Landsat scene of path {path} row {row}, per period.",
                )
            )
        if area.composites.crs:
            out.append(
                (
                    mosaic_keys(area.name, "x")["collection"],
                    f"landsat-mosaics-{area.name}",
                    f"{area.title}: region mosaics",
                    f"Every path/row of {area.title} on one {area.composites.crs} grid, clear "
                    "observations of overlapping path/rows pooled, per period.",
                )
            )
    return out


def collect_composite_garbage(store, client, config, areas: Iterable[str]) -> list[str]:
    """Delete the composite versions of ``areas`` no item names any more (a composite made
    again from a new scene supersedes its version), once older than the retention
    (:func:`landsat_ops.render.garbage.collect_garbage`, as the scenes' in landsat_reconcile).
    Returns the versions removed."""
    from landsat_ops.render.garbage import collect_garbage
    from landsat_ops.storage import open_store

    removed = []
    for key, *_ in _collections(config, areas):
        folder = key.rsplit("/", 1)[0]
        report = collect_garbage(open_store(store.uri(folder), client))
        removed += [f"{folder}/{version}" for version in report.versions_removed]
    return removed


def update_composite_catalogs(store, config, areas: Iterable[str]) -> dict[str, Any]:
    """Rebuild the composites' collections of ``areas``, their catalog and gallery, and link
    them from the root catalog. Returns the URIs and whether anything was written."""
    written = False
    existing = read_json(store, COMPOSITES_CATALOG_KEY)
    children = {link["href"]: link for link in links_of(existing, "child")}
    collections = {}
    for key, collection_id, title, description in _collections(config, areas):
        items = _items(store, key.rsplit("/", 1)[0])
        href = "./" + key[len(COMPOSITES_PREFIX) + 1 :]
        if not items:
            children.pop(href, None)
            continue
        document = composite_collection(key, collection_id, title, description, items)
        written |= write_if_changed(store, key, dumps(document), "application/json")
        collections[href] = document
        children[href] = {
            "rel": "child",
            "href": href,
            "type": "application/json",
            "title": title,
            COMPOSITES_CHILD: len(items),
        }
    if existing is None and not children:
        log.info("no composite published yet: no catalog written")
        return {"catalog_uri": None, "gallery_uri": None, "composites": 0, "written": False}
    catalog = {
        "type": "Catalog",
        "stac_version": STAC_VERSION,
        "id": "landsat-ops-composites",
        "title": "Landsat composites and region mosaics",
        "description": "One collection per path/row (its composites) and per area (its mosaics).",
        "links": [
            {"rel": "root", "href": "../../catalog.json", "type": "application/json"},
            {"rel": "parent", "href": "../../catalog.json", "type": "application/json"},
            {"rel": "alternate", "href": "./index.html", "type": "text/html", "title": "Gallery"},
            *sorted(children.values(), key=lambda link: link["href"]),
        ],
    }
    written |= write_if_changed(store, COMPOSITES_CATALOG_KEY, dumps(catalog), "application/json")
    for href in children:
        if href not in collections:
            collections[href] = read_json(store, f"{COMPOSITES_PREFIX}/{href[2:]}") or {}
    page_html = gallery_page(collections)
    written |= write_if_changed(
        store, COMPOSITES_GALLERY_KEY, page_html.encode(), "text/html; charset=utf-8"
    )
    total = sum(link[COMPOSITES_CHILD] for link in children.values())
    written |= _link_from_root(store, total)
    return {
        "catalog_uri": store.uri(COMPOSITES_CATALOG_KEY),
        "gallery_uri": store.uri(COMPOSITES_GALLERY_KEY),
        "composites": total,
        "written": written,
    }


def _link_from_root(store, total: int) -> bool:
    """The root catalog's child link to the composites' catalog (root gallery rebuilt with it)."""
    from landsat_pipeline.publishing.root import link_from_root

    child = {
        "rel": "child",
        "href": f"./{COMPOSITES_CATALOG_KEY}",
        "type": "application/json",
        "title": "Composites and region mosaics",
        COMPOSITES_CHILD: total,
    }
    return link_from_root(store, child)


def _card(link: Mapping, base: str) -> str:
    previews = link.get("landsat_ops:previews") or {}
    cogs = link.get("landsat_ops:cogs") or {}
    thumb = link.get("landsat_ops:thumbnail") or previews.get("truecolor")

    def href(path: str) -> str:
        return html.escape(f"{base}/{path.removeprefix('./')}")

    image = (
        f'<a href="{href(previews.get("truecolor") or thumb)}"><img src="{href(thumb)}" '
        f'loading="lazy" alt="{html.escape(link.get("title", ""))}"></a>'
        if thumb
        else ""
    )
    first, last = (str(link.get(k) or "")[:10] for k in ("start_datetime", "end_datetime"))
    span = f"{first} to {last}"
    return (
        f"<figure>{image}<figcaption><b>{html.escape(str(link.get('landsat_ops:period')))}</b> "
        f"{link.get('landsat_ops:scenes', 0)} scenes, {html.escape(span)}<br>"
        f'<span class="id">{html.escape(link.get("title", ""))}</span><br>'
        "previews: "
        + " ".join(f'<a href="{href(p)}">{html.escape(n)}</a>' for n, p in previews.items())
        + "<br>COGs: "
        + " ".join(f'<a href="{href(p)}">{html.escape(n)}</a>' for n, p in cogs.items())
        + f'<br><a href="{href(link["href"])}">STAC item</a></figcaption></figure>'
    )


def gallery_page(collections: Mapping[str, Mapping]) -> str:
    """``published/composites/index.html``: a section per collection, a card per composite."""
    sections = []
    for href, collection in sorted(collections.items()):
        base = href.removeprefix("./").rsplit("/", 1)[0]
        items = links_of(collection, "item")
        sections.append(
            f"<h2>{html.escape(collection.get('title', href))}</h2>\n"
            f'<p><a href="{html.escape(href[2:])}">collection.json</a></p>\n<div class="grid">\n'
            + "\n".join(_card(link, base) for link in items)
            + "\n</div>"
        )
    body = (
        '<p><a href="../../index.html">scenes</a> · <a href="catalog.json">catalog.json</a></p>\n'
    )
    return page(
        "Landsat composites and region mosaics",
        body + ("\n".join(sections) if sections else "<p>No composites published yet.</p>"),
    )
