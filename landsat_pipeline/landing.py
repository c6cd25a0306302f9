"""Land a discovered scene's bands in the bucket: B1-B5, B7, the QA band and the MTL.

Sources may be local paths, ``http(s)://`` URLs or ``s3://`` URIs (read with the bucket's
client). Each file is landed under ``landing/<scene ID>/<file name>``; a file already there
with the same SHA-256 is not uploaded again (:meth:`landsat_ops.storage.Store.put_file`), and
large files go up in concurrent multipart uploads. An interrupted upload leaves no object: S3
shows an object only once its upload completed, a local store renames files into place.
"""

from __future__ import annotations

import logging
import os
import posixpath
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from landsat_pipeline.errors import LandingError
from landsat_pipeline.keys import landing_prefix
from landsat_pipeline.xcom import LandedBands, Scene

__all__ = ["LANDED_ASSETS", "land_scene", "landed_name"]

log = logging.getLogger(__name__)

LANDED_ASSETS = ("B1", "B2", "B3", "B4", "B5", "B7", "QA", "MTL")
"""What the render needs (B6, the thermal bands and everything else stay at the source)."""

_DOWNLOAD_ATTEMPTS = 3
_CHUNK = 8 * 1024 * 1024


def landed_name(scene_id: str, key: str, href: str) -> str:
    """The file name of an asset in the landing prefix.

    The source's own name when it is a file of this scene (``<ID>_B4.TIF``,
    ``<ID>_SR_B4.TIF``, ``<ID>_MTL.txt``); else ``<ID>_<key>`` with the source's extension,
    so the render still finds it.
    """
    name = posixpath.basename(unquote(urlparse(href).path)) if "://" in href else Path(href).name
    if name.startswith(scene_id) and name != scene_id:
        return name
    ext = posixpath.splitext(name)[1] or (".txt" if key == "MTL" else ".TIF")
    return f"{scene_id}_{'QA_PIXEL' if key == 'QA' else key}{ext}"


def land_scene(scene: Scene | Mapping[str, Any], store, client=None) -> LandedBands:
    """Copy a scene's needed assets to ``landing/<scene ID>/``.

    Parameters
    ----------
    scene
        The discover task's XCom: ``scene_id`` and ``assets`` (key -> href).
    store
        The bucket (:class:`landsat_ops.storage.Store`).
    client
        The bucket's boto3 client, for ``s3://`` sources.

    Returns
    -------
    dict
        ``landing_uri`` and the ``uploaded`` and ``skipped`` (same checksum) file names.
    """
    scene_id = scene["scene_id"]
    assets = scene["assets"]
    missing = [key for key in LANDED_ASSETS if key not in assets]
    if missing:
        raise LandingError(
            f"scene {scene_id}: the catalog item has no {', '.join(missing)} asset "
            f"(expected {', '.join(LANDED_ASSETS)}; found {', '.join(sorted(assets))})"
        )
    prefix = landing_prefix(scene_id)
    uploaded: list[str] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="landsat-landing-") as tmp:
        for key in LANDED_ASSETS:
            href = assets[key]
            name = landed_name(scene_id, key, href)
            source = _local_copy(href, Path(tmp) / name, client)
            info, did_upload = store.put_file(
                source, f"{prefix}/{name}", content_type=_content_type(name)
            )
            (uploaded if did_upload else skipped).append(name)
            log.info(
                "%s %s (%d bytes)",
                "uploaded" if did_upload else "unchanged, skipped",
                name,
                info.size,
            )
            if source.parent == Path(tmp):
                source.unlink()
    log.info(
        "landed %s in %s: %d uploaded, %d already there with the same checksum",
        scene_id,
        store.uri(prefix),
        len(uploaded),
        len(skipped),
    )
    return {"landing_uri": store.uri(prefix), "uploaded": uploaded, "skipped": skipped}


def _content_type(name: str) -> str:
    return "text/plain" if name.lower().endswith(".txt") else "image/tiff; application=geotiff"


def _local_copy(href: str, target: Path, client) -> Path:
    """A local file holding the asset: the path itself, or a download into ``target``."""
    scheme = urlparse(href).scheme.lower() if "://" in href else ""
    if scheme in ("", "file"):
        path = Path(unquote(urlparse(href).path) if scheme == "file" else href)
        if not path.is_file():
            raise LandingError(f"{path}: source file does not exist (expected a scene asset)")
        return path
    if scheme in ("http", "https"):
        return _download_http(href, target)
    if scheme == "s3":
        return _download_s3(href, target, client)
    raise LandingError(f"{_redact(href)}: unsupported source (expected a path, http(s) or s3)")


def _redact(href: str) -> str:
    """The href without query string (signed URLs carry tokens there)."""
    parsed = urlparse(href)
    return parsed._replace(query="", fragment="").geturl()


def _download_http(url: str, target: Path) -> Path:
    import requests

    for attempt in range(1, _DOWNLOAD_ATTEMPTS + 1):
        partial = target.with_name(f".{target.name}.partial")
        try:
            with requests.get(url, stream=True, timeout=(10, 120)) as response:
                if response.status_code in (429, 500, 502, 503, 504):
                    raise requests.ConnectionError(f"HTTP {response.status_code}")
                response.raise_for_status()
                with open(partial, "wb") as fh:
                    for block in response.iter_content(_CHUNK):
                        fh.write(block)
            os.replace(partial, target)
            return target
        except requests.RequestException as exc:
            partial.unlink(missing_ok=True)
            response = getattr(exc, "response", None)
            status = getattr(response, "status_code", None)
            if status is not None:
                detail = f"HTTP {status} {response.reason or ''}".strip()
            else:  # the message may quote the URL: never its query string (signed URLs)
                detail = str(exc).replace(url, _redact(url)).replace(urlparse(url).query, "…")
            if attempt == _DOWNLOAD_ATTEMPTS or (status is not None and status < 500):
                raise LandingError(f"{_redact(url)}: download failed ({detail})") from None
            log.warning("%s: download failed (%s), retrying", _redact(url), detail)
            time.sleep(2**attempt)
    raise AssertionError("unreachable")


def _download_s3(uri: str, target: Path, client) -> Path:
    from landsat_ops.storage import split_s3

    if client is None:
        import boto3

        client = boto3.client("s3")
    bucket, key = split_s3(uri)
    partial = target.with_name(f".{target.name}.partial")
    try:
        client.download_file(bucket, key, str(partial))
        os.replace(partial, target)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        raise LandingError(f"{uri}: download failed ({exc})") from exc
    return target
