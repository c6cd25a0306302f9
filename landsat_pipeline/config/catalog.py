"""The ``catalog`` section: where scenes are discovered and which hrefs may be read."""

from __future__ import annotations

import re
from typing import Any

from landsat_pipeline.config.checker import Checker
from landsat_pipeline.config.model import CatalogSettings

__all__ = ["parse_catalog"]

_CATALOG_DEFAULTS: dict[str, Any] = {
    "collection": None,
    "page_limit": 100,
    "source_conn_id": None,  # the Airflow connection reading s3:// sources; None: AWS chain
    "requester_pays": None,  # None: each asset's storage:requester_pays; true/false: forced
    "signing_url": None,  # Planetary Computer's SAS token endpoint; None: the package's
    "blob_endpoint": None,  # read Azure blob hrefs from a mirror (Azurite-style); None: as is
    "max_retries": 3,
    "timeout_seconds": 30.0,
    # The source policy (landsat_pipeline.sources.options.SourcePolicy); each None: derived.
    "source_schemes": None,  # s3, https + the catalog's own (http for http://, file for local)
    "source_hosts": None,  # the catalog URL's host + the archives' (LandsatLook, PC blobs)
    "source_buckets": None,  # usgs-landsat
}
_SOURCE_SCHEMES = ("s3", "https", "http", "file")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


def parse_catalog(check: Checker, raw: Any) -> CatalogSettings:
    body = {**_CATALOG_DEFAULTS}
    body.update(check.mapping(raw, "catalog", required={"url"}, allowed={"url", *body}))
    collection = body["collection"]
    if collection is not None:
        collection = check.text(collection, "catalog.collection")
    url = check.local_or_url(body["url"], "catalog.url")
    return CatalogSettings(
        url=url,
        collection=collection,
        max_retries=check.integer(body["max_retries"], "catalog.max_retries", 0, 20),
        timeout_seconds=check.number(body["timeout_seconds"], "catalog.timeout_seconds", 1, 600),
        page_limit=check.integer(body["page_limit"], "catalog.page_limit", 1, 10000),
        source_conn_id=_optional_text(check, body["source_conn_id"], "catalog.source_conn_id"),
        requester_pays=(
            None
            if body["requester_pays"] is None
            else check.boolean(body["requester_pays"], "catalog.requester_pays")
        ),
        signing_url=(
            None
            if body["signing_url"] is None
            else _http_url(check, body["signing_url"], "catalog.signing_url")
        ),
        blob_endpoint=(
            None
            if body["blob_endpoint"] is None
            else _http_url(check, body["blob_endpoint"], "catalog.blob_endpoint")
        ),
        **_source_policy(check, body, local="://" not in url),
    )


def _source_policy(check: Checker, body: dict, *, local: bool) -> dict[str, Any]:
    """``source_schemes``, ``source_hosts``, ``source_buckets``: lists, each None when absent."""
    out: dict[str, Any] = {}
    for name in ("source_schemes", "source_hosts", "source_buckets"):
        value, key = body[name], f"catalog.{name}"
        if value is None:
            out[name] = None
            continue
        if not isinstance(value, list) or not value:
            raise check.error(key, f"is {value!r}", "a non-empty list")
        out[name] = tuple(dict.fromkeys(check.text(v, f"{key}[{i}]") for i, v in enumerate(value)))
    for index, scheme in enumerate(out["source_schemes"] or ()):
        if scheme not in _SOURCE_SCHEMES:
            raise check.error(
                f"catalog.source_schemes[{index}]", f"is {scheme!r}", f"one of {_SOURCE_SCHEMES}"
            )
        if scheme == "file" and not local:
            raise check.error(
                f"catalog.source_schemes[{index}]",
                "is 'file' for a STAC API",
                "file only for a local static catalog (read under its own folder)",
            )
    if out["source_hosts"]:
        from landsat_pipeline.sources.options import host_entry

        for index, entry in enumerate(out["source_hosts"]):
            try:
                host_entry(entry)
            except ValueError:
                raise check.error(
                    f"catalog.source_hosts[{index}]",
                    f"is {entry!r}",
                    "a host name or address, host:port, or *.domain",
                ) from None
    for index, bucket in enumerate(out["source_buckets"] or ()):
        if not _BUCKET.match(bucket):
            raise check.error(f"catalog.source_buckets[{index}]", f"is {bucket!r}", "a bucket name")
    return out


def _http_url(check: Checker, value: Any, key: str) -> str:
    text = check.text(value, key)
    if not text.startswith(("http://", "https://")):
        raise check.error(key, f"is {text!r}", "an http:// or https:// URL")
    return text


def _optional_text(check: Checker, value: Any, key: str) -> str | None:
    return None if value is None else check.text(value, key)
