"""Land a discovered scene's bands in the bucket: B1-B7, the QA band and the MTL.

Each file is landed under ``landing/<product ID>/<USGS file name>`` (``..._SR_B4.TIF`` stays
``..._SR_B4.TIF``), keyed by the canonical product ID whatever the catalog's item id was.

1. **Already landed intact?** A file whose landed object has the catalog's sha256
   ``file:checksum``, or matches the previous landing's record (same hrefs, same catalog
   checksum, same landed sha256, and verified by the current checks: the record's
   ``verified`` is :data:`~landsat_pipeline.sources.checks.VERIFIED`), is not fetched again:
   a re-run or retry downloads nothing. A file recorded by an earlier, weaker check (one that
   opened the TIFF's header only and so let a truncated band through) is fetched and checked
   again: a scene is never stuck on a broken file the record calls intact.
2. **Fetch and check** the others (:mod:`landsat_pipeline.sources`): each asset's hrefs in
   order (its own, then its ``alternate`` hrefs), S3 with the source's own client and
   requester-pays, Planetary Computer signed at download time; every download is checked
   (the whole TIFF structure, every strip or tile inside the file, so a truncated band is
   refused even when the catalog has no ``file:size``; the MTL and its bounds;
   ``Content-Length``, ``file:size``, ``file:checksum``). If any asset fails, the task
   fails with one line naming the asset, the href and what was expected, and **nothing** of
   the scene is landed.
3. **Upload** (:meth:`landsat_ops.storage.Store.put_file`: skipped when the same sha256 is
   already there; multipart and concurrent on S3), then write the record
   (:func:`landsat_pipeline.keys.landing_record_key`).
"""

from __future__ import annotations

import json
import logging
import posixpath
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from landsat_ops.products import PRODUCTS, needed_bands
from landsat_ops.storage import parse_multihash
from landsat_pipeline.errors import LandingError
from landsat_pipeline.keys import landing_prefix, landing_record_key
from landsat_pipeline.sources import SourceOptions, fetch_asset
from landsat_pipeline.sources.checks import VERIFIED
from landsat_pipeline.sources.errors import redact
from landsat_pipeline.xcom import AssetSource, LandedBands, Scene

__all__ = ["LANDED_ASSETS", "land_scene", "landed_name"]

log = logging.getLogger(__name__)

LANDED_ASSETS = (*(f"B{band}" for band in sorted(needed_bands(PRODUCTS))), "QA", "MTL")
"""What is landed: the bands every product needs (``landsat_ops.products.needed_bands``: B1-B7,
B6 being the extent product's SWIR1), the QA band and the MTL. What the render needs and no more:
the thermal bands, the angle bands and everything else stay at the source."""


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


def _sources(scene: Mapping[str, Any]) -> dict[str, AssetSource]:
    """Each needed asset's sources: the scene's ``sources``, else its plain ``assets`` hrefs."""
    described = scene.get("sources") or {}
    return {
        key: described.get(key) or {"hrefs": [scene["assets"][key]]}
        for key in LANDED_ASSETS
        if key in described or key in scene["assets"]
    }


def _record_entry(source: AssetSource) -> dict[str, Any]:
    return {"hrefs": [redact(h) for h in source["hrefs"]], "checksum": source.get("checksum")}


def _intact(store, key: str, source: AssetSource, previous: Mapping[str, Any] | None) -> bool:
    """Whether the landed object ``key`` is already this asset, checked without downloading."""
    info = store.info(key)
    if info is None or not info.sha256:
        return False
    parsed = parse_multihash(source.get("checksum"))
    if parsed is not None and parsed[0] == "sha256":
        return parsed[1] == info.sha256
    if not previous:
        return False
    return (
        previous.get("verified") == VERIFIED  # checked whole when it was landed
        and previous.get("sha256") == info.sha256
        and previous.get("size") == info.size
        and {k: previous.get(k) for k in ("hrefs", "checksum")} == _record_entry(source)
    )


def _read_record(store, scene_id: str) -> dict[str, Any]:
    key = landing_record_key(scene_id)
    if not store.exists(key):
        return {}
    try:
        record = json.loads(store.read_bytes(key))
    except ValueError:
        log.warning("%s is not JSON; every file is checked again", store.uri(key))
        return {}
    return record.get("files", {}) if isinstance(record, dict) else {}


def land_scene(
    scene: Scene | Mapping[str, Any],
    store,
    *,
    sources: SourceOptions | None = None,
) -> LandedBands:
    """Copy a scene's needed assets to ``landing/<scene ID>/``, checked, at most once.

    Parameters
    ----------
    scene
        The discover task's XCom: ``scene_id`` (the canonical product ID), ``assets`` (key ->
        href) and, from discovery, ``sources`` (every href, requester-pays, checksums).
    store
        The bucket (:class:`landsat_ops.storage.Store`).
    sources
        How sources are read (:class:`landsat_pipeline.sources.SourceOptions`): the source's
        own S3 client, requester-pays, the signing endpoint. Default: the standard AWS chain,
        requester-pays as each asset says, the package's signing endpoint.

    Returns
    -------
    dict
        ``landing_uri``; the ``uploaded`` and ``skipped`` (already landed intact) file
        names; the ``downloaded`` ones.

    Raises
    ------
    LandingError
        A needed asset is missing from the item, or cannot be read or checked (one line
        naming the asset, the href and what was expected); nothing is landed then.
    """
    options = sources or SourceOptions()
    scene_id = scene["scene_id"]
    by_key = _sources(scene)
    missing = [key for key in LANDED_ASSETS if key not in by_key]
    if missing:
        raise LandingError(
            f"scene {scene_id}: the catalog item has no {', '.join(missing)} asset "
            f"(expected {', '.join(LANDED_ASSETS)}; found {', '.join(sorted(scene['assets']))})"
        )
    prefix = landing_prefix(scene_id)
    previous = _read_record(store, scene_id)
    uploaded: list[str] = []
    skipped: list[str] = []
    downloaded: list[str] = []
    record: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="landsat-landing-") as tmp:
        fetched: dict[str, tuple[str, Path]] = {}
        for key in LANDED_ASSETS:
            source = by_key[key]
            name = landed_name(scene_id, key, source["hrefs"][0])
            if _intact(store, f"{prefix}/{name}", source, previous.get(name)):
                skipped.append(name)
                record[name] = previous.get(name) or _entry(store, f"{prefix}/{name}", source)
                log.info("%s already landed intact, not fetched", name)
                continue
            got = fetch_asset(key, source, Path(tmp) / name, scene_id=scene_id, options=options)
            log.info("fetched %s from %s", name, got.href)
            fetched[name] = (key, got.path)
            downloaded.append(name)
        for name, (key, path) in fetched.items():  # every asset checked: now land them
            info, did_upload = store.put_file(
                path, f"{prefix}/{name}", content_type=_content_type(name)
            )
            (uploaded if did_upload else skipped).append(name)
            record[name] = {
                **_record_entry(by_key[key]),
                "size": info.size,
                "sha256": info.sha256,
                "verified": VERIFIED,  # the whole file passed check_download
            }
    _write_record(store, scene_id, record)
    log.info(
        "landed %s in %s: %d downloaded, %d uploaded, %d already there intact",
        scene_id,
        store.uri(prefix),
        len(downloaded),
        len(uploaded),
        len(skipped),
    )
    return {
        "landing_uri": store.uri(prefix),
        "uploaded": uploaded,
        "skipped": skipped,
        "downloaded": downloaded,
    }


def _write_record(store, scene_id: str, record: dict[str, Any]) -> None:
    """Write the landing record, only when it changed (a re-run leaves the bucket as it was)."""
    key = landing_record_key(scene_id)
    data = json.dumps({"scene_id": scene_id, "files": record}, indent=1, sort_keys=True).encode()
    if store.exists(key) and store.read_bytes(key) == data:
        return
    store.write_bytes(key, data, content_type="application/json")


def _entry(store, key: str, source: AssetSource) -> dict[str, Any]:
    info = store.info(key)
    return {**_record_entry(source), "size": info.size, "sha256": info.sha256}


def _content_type(name: str) -> str:
    return "text/plain" if name.lower().endswith(".txt") else "image/tiff; application=geotiff"
