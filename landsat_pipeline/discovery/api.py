"""Searching a STAC API: every item of a search, with bounded retries, asked only at its host.

pystac-client is imported only when an API is searched: the render container has pystac but
not pystac-client.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from landsat_pipeline.errors import DiscoveryError
from landsat_pipeline.sources.errors import first_line, printable, redact

__all__ = ["DEFAULT_PAGE_LIMIT", "RETRY_AFTER_MAX", "RETRY_BACKOFF", "RETRY_STATUSES", "api_items"]

log = logging.getLogger(__name__)

RETRY_BACKOFF = 0.5
"""urllib3 backoff factor, seconds: the retries wait 0, 2 x, 4 x, ... this (at most 10 s)."""
RETRY_STATUSES = (429, 500, 502, 503, 504)
"""HTTP statuses that are retried."""
RETRY_AFTER_MAX = 60.0
"""Longest ``Retry-After`` (429/503) wait honoured, seconds; longer ones wait this long."""
DEFAULT_PAGE_LIMIT = 100
"""Items asked for per search page."""


def api_items(
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
        raise DiscoveryError(f"STAC API {url} cannot be opened: {first_line(exc)}") from exc
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
        raise DiscoveryError(f"STAC API {url} search failed: {first_line(exc)}") from exc


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
