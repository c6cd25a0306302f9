"""Publish a rendered scene: the switched item, STAC collection and catalog, gallery.

A render (local, ECS or EC2: ``landsat-ops render landing/<ID>/ --out published/PPP/RRR/DATE/``)
writes its products once, under a version folder of their own, and switches the scene's item
``published/<PPP>/<RRR>/<YYYY-MM-DD>/<ID>.json`` to it with one conditional write (see
:mod:`landsat_ops.render.destination`): nothing is copied afterwards. Publishing then

1. checks the set the item names (every asset in its one version folder, each matching its
   ``file:checksum``: :func:`landsat_ops.render.destination.set_problems`, the one product-set
   check of the project);
2. switches the item once more, conditionally, to the same version with its links to its
   collection and the root catalog (written only when they are missing: a re-run writes
   nothing);
3. adds the item to the path/row's ``collection.json`` (replacing its earlier entry, never
   duplicating it), the collection to the root ``catalog.json``, and refreshes the gallery:
   ``index.html`` at the bucket root (one card per path/row), the path/row's ``index.html``
   (its newest scenes) and its page of the scene's year. Each is written only when its
   content changed: a re-run changes no object.

A reader sees, at every instant, an item and the complete set of one version. The cost of
step 3 does not grow with the archive: nothing is listed, and only those few documents are
read and written. The collection and the catalog are updated with
:meth:`~landsat_ops.storage.Store.update` (a file lock on a folder, conditional writes on S3),
so publishers of different scenes, DAGs or deployments never drop each other's entries.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
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
    item_name,
    product_bands,
    product_files,
)
from landsat_ops.render.destination import asset_hrefs, item_folder, set_problems, switch_item
from landsat_pipeline.errors import PublishError
from landsat_pipeline.keys import (
    CATALOG_KEY,
    GALLERY_KEY,
    collection_key,
    path_row_prefix,
    published_prefix,
)
from landsat_pipeline.xcom import CatalogUris, PublishedScene, Scene

__all__ = [
    "product_set_problem",
    "publish_scene",
    "published_status",
    "update_catalogs",
]

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
        }
    return out


ITEM_ASSETS = _item_assets()
"""What every item of a collection holds (STAC 1.1 ``item_assets``), from landsat_ops.products."""
_ITEM_KEY = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})/(?P<id>[^/]+)\.json$")


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
    try:
        item = _read_json(store, item_key)
    except PublishError as exc:
        return False, str(exc)
    problem = product_set_problem(store, item_key, products, item)
    if problem:
        return False, problem
    properties = item.get("properties") or {}
    version = properties.get("landsat_ops:version")
    if version != landsat_ops.__version__:
        return False, f"published by landsat_ops {version}, this is {landsat_ops.__version__}"
    for name, stretch in (properties.get("landsat_ops:stretch") or {}).items():
        if stretch.get("method") == "percentile" and stretch.get("percentiles") != list(
            percentiles
        ):
            return False, f"{name} was stretched to percentiles {stretch.get('percentiles')}"
    count = len(item.get("assets") or {})
    return True, f"{store.uri(item_key)} and its {count} products are complete"


def product_set_problem(
    store, item_key: str, products: Iterable[str] | None = None, item: dict | None = None
) -> str | None:
    """What is wrong with the set the item ``item_key`` names; None when it is complete.

    Complete: the item exists, lists exactly the assets of ``products`` (default: any), all
    in its one version folder and each matching its ``file:checksum``. The one product-set
    check of the pipeline: the scenes DAG, the publish task and the EC2 render wait use it.
    ``item`` is the item's content when the caller has read it already.
    """
    if item is None:
        try:
            item = _read_json(store, item_key)
        except PublishError as exc:  # a damaged item is a problem of the set, not an error
            return str(exc)
    if item is None:
        return f"{store.uri(item_key)} does not exist"
    if not isinstance(item, Mapping):
        return f"{store.uri(item_key)} is not a STAC item"
    if products is not None:
        have = set((item.get("assets") or {}).keys())
        want = expected_asset_keys(products)
        if have != want:
            return f"published products {sorted(have)} differ from {sorted(want)}"
    problems = set_problems(store, item_key, item)
    if problems:
        return f"{store.uri(item_key)}: {'; '.join(problems)}"
    return None


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
    """Check the scene's switched item and its set, link it, refresh the catalog and gallery.

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
        URIs of the item, collection, catalog and gallery; the version folder the item names;
        ``copied`` (the item, when it was switched to add its links) and ``unchanged``.
    """
    scene_id, path, row = scene["scene_id"], scene["path"], scene["row"]
    prefix = published_prefix(path, row, scene["date"])
    item_key = f"{prefix}/{item_name(scene_id)}"
    token = store.version(item_key)
    item = _read_json(store, item_key)
    if item is None:
        raise PublishError(f"{store.uri(item_key)} does not exist: the render published nothing")
    problem = product_set_problem(store, item_key, item=item)
    if problem:
        raise PublishError(f"the product set is incomplete: {problem} (run with force_render)")
    folder = item_folder(item, scene_id) or ""
    document = _published_item(item, collection_id(path, row))
    switched = switch_item(store, item_key, document, token)
    names = [href.rpartition("/")[2] for href, _, _ in asset_hrefs(item).values()]
    log.info(
        "%s: %s names version %s, complete (%d products)%s",
        scene_id,
        store.uri(item_key),
        folder,
        len(names),
        "; linked to its collection" if switched else "",
    )
    uris = update_catalogs(store, path, row, title=title, item=document, date=scene["date"])
    return {
        "item_uri": store.uri(item_key),
        **uris,
        "version": folder,
        "copied": [item_name(scene_id)] if switched else [],
        "unchanged": names if switched else [*names, item_name(scene_id)],
    }


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


def _item_link(item: Mapping[str, Any], date: str) -> dict:
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


def _links_of(document: Mapping | None, rel: str) -> list[dict]:
    return [dict(link) for link in (document or {}).get("links", []) if link.get("rel") == rel]


GAPS_LINK = {
    "rel": "related",
    "href": "./gaps.html",
    "type": "text/html",
    "title": "Gap report: every overpass and what became of it",
}


def _collection_document(
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
        # eo: the cloud cover summary and the bands' common names; render: ``renders``.
        "stac_extensions": [STAC_EXTENSIONS["eo"], STAC_EXTENSIONS["render"]],
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


def _catalog_document(children: list[dict]) -> dict:
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
        ],
    }


def _child_link(key: str, collection: Mapping) -> dict:
    """The root catalog's link to a path/row collection, with the gallery's summary of it."""
    items = _links_of(collection, "item")
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
        link["landsat_ops:thumbnail"] = _join(key.rsplit("/", 1)[0], thumbnail)
    if _has_gaps(collection):
        link["landsat_ops:gaps"] = _join(key.rsplit("/", 1)[0], GAPS_LINK["href"])
    return link


def _has_gaps(collection: Mapping | None) -> bool:
    return any(link.get("href") == GAPS_LINK["href"] for link in _links_of(collection, "related"))


def _json_update(build: Callable[[dict | None], dict]) -> Callable[[bytes | None], bytes]:
    """A :meth:`Store.update` change that rebuilds a JSON document from its current version."""

    def change(current: bytes | None) -> bytes:
        try:
            document = json.loads(current) if current else None
        except ValueError:
            document = None  # a damaged document is rebuilt, not kept
        return _dumps(build(document))

    return change


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
            return _collection_document(path, row, title, _links_of(current, "item"), gaps=True)

    elif item is not None:
        new_link = _item_link(item, date or scene_date(item["properties"]["datetime"]))

        def with_item(current: dict | None) -> dict:
            items = [
                link for link in _links_of(current, "item") if link["href"] != new_link["href"]
            ]
            return _collection_document(
                path, row, title, [*items, new_link], gaps=_has_gaps(current)
            )

        build = with_item
    else:
        items = _published_item_links(store, path, row)

        def build(current: dict | None) -> dict:
            return _collection_document(path, row, title, items, gaps=_has_gaps(current))

    holder: dict[str, dict] = {}

    def keep(document_builder):
        def wrapped(current):
            holder["collection"] = document_builder(current)
            return holder["collection"]

        return wrapped

    written = store.update(key, _json_update(keep(build)), "application/json")
    collection = holder["collection"]
    child = _child_link(key, collection)

    def with_child(current: dict | None) -> dict:
        children = [link for link in _links_of(current, "child") if link["href"] != child["href"]]
        holder["catalog"] = _catalog_document([*children, child])
        return holder["catalog"]

    written |= store.update(CATALOG_KEY, _json_update(with_child), "application/json")
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


def _published_item_links(store, path: int, row: int) -> list[dict]:
    """Item links of every item published under the path/row (lists and reads them all)."""
    base = path_row_prefix(path, row)
    links = []
    for key in store.list(base + "/"):
        match = _ITEM_KEY.match(key[len(base) + 1 :])
        if not match:
            continue
        item = _read_json(store, key)
        if item and item.get("type") == "Feature":
            links.append(_item_link(item, match.group("date")))
    return links


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; background: #111; color: #eee; }
a { color: #9cf; }
.grid { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; width: 260px; background: #222; padding: .5rem; border-radius: 4px; }
figure img { width: 100%; height: 240px; object-fit: contain; background: #000; }
figcaption { font-size: .8rem; line-height: 1.5; }
figcaption .id { font-family: monospace; font-size: .7rem; word-break: break-all; color: #aaa; }
"""
_RECENT = 24
"""Scenes on a path/row's front page; older ones are on its pages per year."""


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n{body}\n</body>\n</html>\n"
    )


def _scenes(count: int) -> str:
    return f"{count} scene" if count == 1 else f"{count} scenes"


def gallery_html(catalog: Mapping) -> str:
    """The root gallery page: one card per path/row (its latest scene), from catalog.json."""
    cards = []
    for child in _links_of(catalog, "child"):
        base = child["href"].removeprefix("./").rsplit("/", 1)[0]
        count = child.get("landsat_ops:scenes", 0)
        latest = str(child.get("landsat_ops:latest") or "")[:10]
        thumb = child.get("landsat_ops:thumbnail")
        image = (
            f'<a href="{html.escape(base)}/index.html"><img src="{html.escape(thumb)}" '
            f'loading="lazy" alt="latest scene of {html.escape(child["title"])}"></a>'
            if thumb
            else ""
        )
        cards.append(
            f"<figure>{image}<figcaption><b>{html.escape(child['title'])}</b><br>"
            f"{_scenes(count)}" + (f", latest {html.escape(latest)}" if latest else "") + "<br>"
            f'<a href="{html.escape(base)}/index.html">scenes</a> '
            f'<a href="{html.escape(child["href"].removeprefix("./"))}">collection.json</a>'
            + (
                f' <a href="{html.escape(child["landsat_ops:gaps"])}">gap report</a>'
                if child.get("landsat_ops:gaps")
                else ""
            )
            + "</figcaption></figure>"
        )
    total = sum(child.get("landsat_ops:scenes", 0) for child in _links_of(catalog, "child"))
    body = (
        f'<p>{_scenes(total)} in {len(cards)} path/rows. STAC: <a href="catalog.json">'
        "catalog.json</a>.</p>\n"
        + ('<div class="grid">\n' + "\n".join(cards) + "\n</div>" if cards else "")
    )
    return _page("Landsat scenes", body if cards else "<p>No scenes published yet.</p>")


def _card(link: Mapping, prefix: str = "") -> str:
    previews = link.get("landsat_ops:previews") or {}
    cogs = link.get("landsat_ops:cogs") or {}
    thumb = link.get("landsat_ops:thumbnail") or previews.get("truecolor")
    when = str(link.get("datetime") or "")[:10]
    cloud = link.get("eo:cloud_cover")
    details = [html.escape(str(link.get("platform") or "").replace("landsat-", "Landsat "))]
    if isinstance(cloud, int | float):
        details.append(f"cloud {cloud:.0f} %")
    full = previews.get("truecolor") or thumb

    def href(path: str) -> str:
        return html.escape(prefix + path.removeprefix("./"))

    image = (
        f'<a href="{href(full)}"><img src="{href(thumb)}" loading="lazy" '
        f'alt="{html.escape(link.get("title", ""))}"></a>'
        if thumb
        else ""
    )
    previews_html = " ".join(f'<a href="{href(p)}">{name}</a>' for name, p in previews.items())
    cogs_html = " ".join(f'<a href="{href(p)}">{name}</a>' for name, p in cogs.items())
    return (
        f"<figure>{image}<figcaption><b>{html.escape(when)}</b> "
        f"{', '.join(d for d in details if d)}<br>"
        f'<span class="id">{html.escape(link.get("title", ""))}</span><br>'
        f"previews: {previews_html}<br>COGs: {cogs_html}<br>"
        f'<a href="{href(link["href"])}">STAC item</a></figcaption></figure>'
    )


def path_row_pages(
    key: str, collection: Mapping, *, years: set[str] | None = None
) -> dict[str, str]:
    """A path/row's gallery: ``index.html`` (the newest scenes) and one page per year.

    ``years`` limits the year pages made (publishing a scene rewrites its year's page and the
    front page only); they derive from the collection already in hand.
    """
    base = key.rsplit("/", 1)[0]
    items = _links_of(collection, "item")
    by_year: dict[str, list[dict]] = {}
    for link in items:
        by_year.setdefault(str(link.get("datetime") or "")[:4] or "undated", []).append(link)
    title = collection.get("title", key)
    nav = " ".join(
        f'<a href="{year}.html">{year}</a> ({len(links)})'
        for year, links in sorted(by_year.items())
    )
    front = (
        f'<p><a href="../../../index.html">all path/rows</a> · {_scenes(len(items))} · '
        '<a href="collection.json">collection.json</a>'
        + (' · <a href="gaps.html">gap report</a>' if _has_gaps(collection) else "")
        + f"</p>\n<p>By year: {nav}</p>\n<h2>Newest</h2>\n"
        '<div class="grid">\n' + "\n".join(_card(link) for link in items[:_RECENT]) + "\n</div>"
    )
    pages = {f"{base}/index.html": _page(title, front)}
    for year, links in by_year.items():
        if years is not None and year not in years:
            continue
        body = (
            f'<p><a href="index.html">newest</a> · {year}: {_scenes(len(links))}</p>\n'
            '<div class="grid">\n' + "\n".join(_card(link) for link in links) + "\n</div>"
        )
        pages[f"{base}/{year}.html"] = _page(f"{title}, {year}", body)
    return pages


def _join(base: str, href: str) -> str:
    return f"{base}/{href.removeprefix('./')}"


def scene_date(acquired: str) -> str:
    """``YYYY-MM-DD`` (UTC) of an ISO acquisition time."""
    when = datetime.datetime.fromisoformat(acquired)
    if when.tzinfo is not None:
        when = when.astimezone(datetime.UTC)
    return when.date().isoformat()
