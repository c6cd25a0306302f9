"""Walking a static STAC catalog: every item file under the catalog's own folder."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from landsat_pipeline.discovery.assets import is_url
from landsat_pipeline.errors import DiscoveryError
from landsat_pipeline.sources.errors import first_line, printable

__all__ = ["static_items"]

log = logging.getLogger(__name__)


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


def static_items(catalog: str) -> Iterator[tuple[dict, str]]:
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
            real = os.path.realpath(path) if not is_url(path) else None
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
            f"static STAC catalog {location} cannot be read: {first_line(exc)}"
        ) from exc
