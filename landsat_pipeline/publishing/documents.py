"""The bucket's JSON documents and pages: read, written only when changed, their links."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping

from landsat_pipeline.errors import PublishError


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_json(store, key: str) -> dict | None:
    """The JSON document at ``key``; None when there is none; PublishError when it is damaged."""
    if not store.exists(key):
        return None
    try:
        return json.loads(store.read_bytes(key))
    except ValueError as exc:
        raise PublishError(f"{store.uri(key)}: not valid JSON ({exc})") from None


def dumps(document: Mapping) -> bytes:
    """A document as the bucket holds it: indented JSON and a final newline."""
    return (json.dumps(document, indent=2, sort_keys=False) + "\n").encode()


def write_if_changed(store, key: str, data: bytes, content_type: str) -> bool:
    """Write ``data`` to ``key`` unless the object already holds exactly these bytes."""
    current = store.info(key)
    if current is not None and current.sha256 == _sha256(data):
        return False
    store.write_bytes(key, data, content_type=content_type)
    return True


def json_update(build: Callable[[dict | None], dict]) -> Callable[[bytes | None], bytes]:
    """A :meth:`Store.update` change that rebuilds a JSON document from its current version."""

    def change(current: bytes | None) -> bytes:
        try:
            document = json.loads(current) if current else None
        except ValueError:
            document = None  # a damaged document is rebuilt, not kept
        return dumps(build(document))

    return change


def links_of(document: Mapping | None, rel: str) -> list[dict]:
    """Copies of a STAC document's links of relation ``rel``."""
    return [dict(link) for link in (document or {}).get("links", []) if link.get("rel") == rel]


GAPS_LINK = {
    "rel": "related",
    "href": "./gaps.html",
    "type": "text/html",
    "title": "Gap report: every overpass and what became of it",
}


def has_gaps(collection: Mapping | None) -> bool:
    """Whether a path/row's collection links its gap report."""
    return any(link.get("href") == GAPS_LINK["href"] for link in links_of(collection, "related"))


def join_href(base: str, href: str) -> str:
    """A relative ``./href`` under the folder ``base``."""
    return f"{base}/{href.removeprefix('./')}"
