"""A STAC item's assets: normalised keys (``B1``..``B7``, ``QA``, ``MTL``) and absolute hrefs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

from landsat_pipeline.xcom import AssetSource

__all__ = ["ASSET_ALIASES", "absolute_href", "asset_sources", "is_url", "normalize_assets"]

ASSET_ALIASES: dict[str, tuple[str, ...]] = {
    "B1": ("coastal", "sr_b1", "b1", "b01"),
    "B2": ("blue", "sr_b2", "b2", "b02"),
    "B3": ("green", "sr_b3", "b3", "b03"),
    "B4": ("red", "sr_b4", "b4", "b04"),
    "B5": ("nir08", "nir", "sr_b5", "b5", "b05"),
    "B6": ("swir16", "swir1", "sr_b6", "b6", "b06"),
    "B7": ("swir22", "swir2", "sr_b7", "b7", "b07"),
    "QA": ("qa_pixel", "bqa"),
    "MTL": ("mtl.txt", "mtl", "mtl.json", "mtl.xml"),
}
"""Normalised key -> provider asset keys, best first, compared in lower case and without a
``.TIF`` suffix: Earth Search and LandsatLook (``coastal``, ``nir08``, ``qa_pixel``,
``mtl.txt``), Planetary Computer (``SR_B1``, ``QA_PIXEL``, ``MTL.txt``), USGS beta
(``SR_B4.TIF``) and sat-api (``B4``, ``BQA``, ``MTL``). Note Earth Search's ``qa`` is the
surface temperature QA, not QA_PIXEL, so it is not an alias."""

_COMMON_NAMES = {
    "coastal": "B1",
    "blue": "B2",
    "green": "B3",
    "red": "B4",
    "nir08": "B5",
    "nir": "B5",
    "swir16": "B6",
    "swir22": "B7",
}


def is_url(href: str) -> bool:
    return len(urlparse(href).scheme) > 1  # not a Windows drive letter


def absolute_href(href: str, base: str | None) -> str:
    """``href`` made absolute against ``base`` (a URL or a local file path)."""
    if is_url(href) or not base:
        return href
    if is_url(base):
        return urljoin(base, href)
    return str((Path(base).parent / href).resolve())


def _asset_keys(assets: Mapping[str, Any]) -> dict[str, str]:
    """Normalised key (``B1``..``B7``, ``QA``, ``MTL``) -> the item's own asset key."""
    by_key: dict[str, str] = {}
    for key, asset in assets.items():
        if not isinstance(asset, Mapping) or not isinstance(asset.get("href"), str):
            continue
        by_key.setdefault(re.sub(r"\.tiff?$", "", key.lower()), key)
    found: dict[str, str] = {}
    for target, aliases in ASSET_ALIASES.items():
        own = next((by_key[a] for a in aliases if a in by_key), None)
        if own is not None:
            found[target] = own
    for key, asset in assets.items():  # unknown keys described by eo:bands common names
        if not isinstance(asset, Mapping) or not isinstance(asset.get("href"), str):
            continue
        bands = asset.get("eo:bands") or asset.get("bands") or []
        if isinstance(bands, list) and len(bands) == 1 and isinstance(bands[0], Mapping):
            target = _COMMON_NAMES.get(str(bands[0].get("common_name", "")).lower())
            if target and target not in found:
                found[target] = key
    return {key: found[key] for key in ASSET_ALIASES if key in found}


def normalize_assets(assets: Mapping[str, Any], base: str | None = None) -> dict[str, str]:
    """Map a STAC item's assets to ``B1``..``B7``, ``QA`` and ``MTL`` -> absolute href.

    Parameters
    ----------
    assets : mapping
        The item's ``assets`` (key -> asset dict with ``href``).
    base : str, optional
        The item's own href (URL or file path), for relative asset hrefs.

    Returns
    -------
    dict[str, str]
        Only the keys found. An asset under an unknown key still counts when its ``eo:bands``
        (or ``bands``) names one band with a known ``common_name``.
    """
    return {
        target: absolute_href(assets[own]["href"], base)
        for target, own in _asset_keys(assets).items()
    }


def _requester_pays(asset: Mapping[str, Any], item_flag: bool) -> bool:
    value = asset.get("storage:requester_pays")
    return bool(value) if isinstance(value, bool) else item_flag


def asset_sources(item: Mapping[str, Any], base: str | None = None) -> dict[str, AssetSource]:
    """Per normalised asset key: where it can be read from, as the item says.

    ``hrefs`` are the asset's ``s3://`` hrefs first (its own or its ``s3`` alternate: bulk
    access; LandsatLook's https hrefs need a USGS login), then the others, each group in
    the item's order (own href, then ``alternate``), all absolute; ``requester_pays`` per
    href from ``storage:requester_pays`` (the asset's or
    alternate's, else the item's); ``checksum`` and ``size`` from ``file:checksum`` and
    ``file:size``.
    """
    assets = item.get("assets") or {}
    properties = item.get("properties") or {}
    item_flag = properties.get("storage:requester_pays") is True
    out: dict[str, AssetSource] = {}
    for target, own in _asset_keys(assets).items():
        asset = assets[own]
        main_flag = _requester_pays(asset, item_flag)
        candidates = [(absolute_href(asset["href"], base), main_flag)]
        alternates = asset.get("alternate")
        if isinstance(alternates, Mapping):
            for alternate in alternates.values():
                if isinstance(alternate, Mapping) and isinstance(alternate.get("href"), str):
                    flag = _requester_pays(alternate, main_flag)
                    candidates.append((absolute_href(alternate["href"], base), flag))
        candidates.sort(key=lambda c: not c[0].startswith("s3://"))
        source: AssetSource = {
            "hrefs": [href for href, _ in candidates],
            "requester_pays": [flag for _, flag in candidates],
        }
        if isinstance(asset.get("file:checksum"), str):
            source["checksum"] = asset["file:checksum"]
        if isinstance(asset.get("file:size"), int) and not isinstance(asset["file:size"], bool):
            source["size"] = asset["file:size"]
        out[target] = source
    return out
