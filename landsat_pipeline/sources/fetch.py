"""Fetch one asset: try its hrefs in order, check each download, return the first good one.

Every href is checked against the catalog's source policy (:class:`SourceOptions.policy`)
before anything is read from it: a refused href is one line naming the asset and why, and
the next href is tried.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from landsat_pipeline.sources import http, planetary, s3
from landsat_pipeline.sources.checks import check_download
from landsat_pipeline.sources.errors import SourceError, SourceRefused, redact
from landsat_pipeline.sources.options import SourceOptions
from landsat_pipeline.xcom import AssetSource

__all__ = ["FetchedAsset", "fetch_asset"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchedAsset:
    """A checked download: the local file and the href it came from (never a signed one)."""

    path: Path
    href: str


def fetch_asset(
    key: str,
    source: AssetSource,
    target: Path,
    *,
    scene_id: str,
    options: SourceOptions,
) -> FetchedAsset:
    """Download asset ``key`` to ``target`` from the first of its hrefs that gives a good file.

    Every candidate is first checked against ``options.policy`` (a refused one is never
    opened), then downloaded and checked (:func:`~.checks.check_download`); an href that is
    refused, cannot be read or gives the wrong content is logged and the next is tried. When none
    works, the :class:`SourceError` of the first href is raised (one line naming the asset,
    the href and what was expected), with the other hrefs' problems appended.
    """
    errors: list[SourceError] = []
    flags = source.get("requester_pays") or []
    for index, href in enumerate(source["hrefs"]):
        requester_pays = options.requester_pays
        if requester_pays is None:
            requester_pays = bool(flags[index]) if index < len(flags) else False
        try:
            if options.policy is not None:
                reason = options.policy.refusal(href)
                if reason is not None:
                    raise SourceRefused.because(key, href, reason)
            length = _download(key, href, target, requester_pays, options)
            check_download(
                target,
                asset=key,
                href=href,
                scene_id=scene_id,
                content_length=length,
                size=source.get("size"),
                checksum=source.get("checksum"),
            )
        except SourceError as exc:
            target.unlink(missing_ok=True)
            errors.append(exc)
            if index + 1 < len(source["hrefs"]):
                log.warning("%s; trying the next href", exc)
            continue
        return FetchedAsset(target, redact(href))
    if not errors:
        raise SourceError(key, "(none)", "the catalog gives no href", "an href to read")
    first, rest = errors[0], errors[1:]
    if rest:
        also = "; ".join(f"{e.href}: {e.problem}" for e in rest)
        kind = SourceRefused if all(isinstance(e, SourceRefused) for e in errors) else SourceError
        raise kind(first.asset, first.href, first.problem, f"{first.expected}; also {also}")
    raise first


def _download(
    key: str, href: str, target: Path, requester_pays: bool, options: SourceOptions
) -> int | None:
    scheme = urlparse(href).scheme.lower() if "://" in href else ""
    if scheme in ("", "file"):
        if options.policy is not None:  # the real path checked (symlinks resolved)
            path = Path(options.policy.local_path(href))
        else:
            path = Path(unquote(urlparse(href).path) if scheme == "file" else href)
        if not path.is_file():
            raise SourceError(key, href, "no such file", "a scene asset file")
        shutil.copyfile(path, target)
        return path.stat().st_size
    if scheme == "s3":
        client = options.s3_client
        if client is None:
            client = options.s3_client = s3.source_client(timeout=options.timeout)
        return s3.download_s3(href, target, asset=key, client=client, requester_pays=requester_pays)
    if scheme in ("http", "https"):
        url = href
        if planetary.is_blob(href):
            url = planetary.sign(
                href, asset=key, signing_url=options.signing_url, timeout=options.timeout
            )
            if options.blob_endpoint:
                url = planetary.local_blob_url(url, options.blob_endpoint)
        return http.download_http(
            url,
            target,
            asset=key,
            shown=href,
            timeout=options.timeout,
            attempts=options.attempts,
            policy=options.policy,
            silent_deadline=options.silent_deadline,
        )
    raise SourceError(key, href, f"unsupported scheme {scheme!r}", "a path, http(s) or s3 href")
