"""The root catalog's links to what is published beside the scenes, and the root gallery.

The scenes' path/row collections are the root catalog's ``child`` links
(:func:`landsat_pipeline.publishing.catalogs.update_catalogs`). The other products link
themselves from it with :func:`link_from_root`: the composites' catalog (a ``child``), the
time-lapse pages and the extent pages (``related`` links to their HTML, which the root gallery
lists under the path/row cards).
"""

from __future__ import annotations

from collections.abc import Mapping

from landsat_pipeline.keys import CATALOG_KEY, GALLERY_KEY
from landsat_pipeline.publishing.catalogs import catalog_document
from landsat_pipeline.publishing.documents import (
    json_update,
    links_of,
    read_json,
    write_if_changed,
)

__all__ = ["link_from_root", "page_link"]


def page_link(key: str, title: str) -> dict:
    """A ``related`` link of the root catalog to the HTML page at bucket key ``key``."""
    return {"rel": "related", "href": f"./{key}", "type": "text/html", "title": title}


def link_from_root(store, link: Mapping) -> bool:
    """Make ``link`` one of the root catalog's links (one per rel and href: a link of the same
    href is replaced), then rebuild the root gallery from it. Returns whether anything was
    written: nothing when the catalog already holds this very link."""
    from landsat_pipeline.publishing.gallery import gallery_html

    link = dict(link)
    rel, href = link["rel"], link["href"]
    if any(existing == link for existing in links_of(read_json(store, CATALOG_KEY), rel)):
        return False
    holder: dict[str, dict] = {}

    def with_link(document: dict | None) -> dict:
        children = links_of(document, "child")
        related = links_of(document, "related")
        if rel == "child":
            children = [c for c in children if c["href"] != href] + [link]
        else:
            related = [r for r in related if r["href"] != href] + [link]
        holder["catalog"] = catalog_document(children, related=related)
        return holder["catalog"]

    written = store.update(CATALOG_KEY, json_update(with_link), "application/json")
    page_html = gallery_html(holder["catalog"]).encode()
    return written | write_if_changed(store, GALLERY_KEY, page_html, "text/html; charset=utf-8")
