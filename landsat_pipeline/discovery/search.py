"""Searching a path/row's scenes: :func:`discover`, for a STAC API and a static catalog alike."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from landsat_pipeline.discovery.api import DEFAULT_PAGE_LIMIT, api_items
from landsat_pipeline.discovery.assets import is_url
from landsat_pipeline.discovery.items import (
    DiscoveredScene,
    as_utc,
    normalize_platform,
    read_item,
)
from landsat_pipeline.discovery.static import static_items

__all__ = ["discover", "path_row_point"]


def path_row_point(path: int, row: int) -> dict[str, Any]:
    """The GeoJSON point at a path/row's (approximate) scene centre, for ``intersects``.

    A STAC API then returns the scenes over that point (a few per day) instead of every
    scene of the day: the path/row filter stays, applied to what comes back.
    """
    from landsat_ops.overpass import wrs2_centre

    lat, lon = wrs2_centre(path, row)
    return {"type": "Point", "coordinates": [round(lon, 4), round(lat, 4)]}


def discover(
    catalog: str,
    *,
    path: int,
    row: int,
    start: datetime.datetime,
    end: datetime.datetime,
    collection: str | None = None,
    max_cloud: float | None = None,
    platform: str = "landsat-8",
    max_retries: int = 3,
    timeout: float = 30.0,
    intersects: Mapping[str, Any] | None = None,
    limit: int | None = DEFAULT_PAGE_LIMIT,
) -> list[DiscoveredScene]:
    """Find the scenes of a WRS-2 path/row acquired in ``[start, end)``.

    Parameters
    ----------
    catalog : str
        A STAC API root URL (``https://earth-search.aws.element84.com/v1``), or a static
        catalog: a ``catalog.json`` path, a folder holding one, or a ``file://`` URL.
    path, row : int
        WRS-2 path and row.
    start, end : datetime.datetime
        Half-open time range; naive datetimes (and dates) are UTC.
    collection : str, optional
        Collection ID to search (``"landsat-c2-l2"`` on Earth Search and Planetary Computer,
        ``"landsat-c2-l1"`` in the catalog of :func:`landsat_demo.synthetic.make_catalog`).
        Default: all collections.
    max_cloud : float, optional
        Keep scenes with ``eo:cloud_cover`` at most this (percent). Scenes of unknown cover
        are kept.
    platform : str
        ``"landsat-8"`` (default) or e.g. ``"landsat-9"``; any case, ``_`` or ``-``.
    max_retries : int
        Retries per HTTP request on connection errors and 429/5xx answers.
    timeout : float
        Seconds to wait for each HTTP connection and response.
    intersects : dict, optional
        A GeoJSON geometry sent to a STAC API as ``intersects`` (the path/row's centre point,
        ``{"type": "Point", "coordinates": [lon, lat]}``, is enough); items are still
        filtered by path/row here.
    limit : int, optional
        Items per page asked of a STAC API (default :data:`DEFAULT_PAGE_LIMIT`).

    Returns
    -------
    list of DiscoveredScene
        Oldest first, one per scene ID.

    Raises
    ------
    DiscoveryError
        If the catalog cannot be reached (after the retries), is missing, or does not answer
        valid STAC JSON; the message names the URL or file.

    Examples
    --------
    >>> discover("https://earth-search.aws.element84.com/v1", path=226, row=10,
    ...          start=datetime.datetime(2023, 7, 1), end=datetime.datetime(2023, 9, 1),
    ...          collection="landsat-c2-l2", max_cloud=30)  # doctest: +SKIP
    """
    start_utc = as_utc(start, "start")
    end_utc = as_utc(end, "end")
    wanted_platform = normalize_platform(platform)
    if is_url(catalog) and urlparse(catalog).scheme in ("http", "https"):
        source = api_items(
            catalog,
            collection=collection,
            path=path,
            row=row,
            start=start_utc,
            end=end_utc,
            max_cloud=max_cloud,
            max_retries=max_retries,
            timeout=timeout,
            intersects=intersects,
            limit=limit,
        )
    else:
        source = static_items(catalog)

    found: dict[str, DiscoveredScene] = {}
    for index, (item, base) in enumerate(source, 1):
        scene = read_item(item, base, index, collection)
        if scene is None:
            continue
        if (scene.path, scene.row) != (path, row) or scene.platform != wanted_platform:
            continue
        if not start_utc <= scene.acquired < end_utc:
            continue
        if max_cloud is not None and scene.cloud_cover is not None:
            if scene.cloud_cover > max_cloud:
                continue
        found.setdefault(scene.scene_id, scene)
    return sorted(found.values(), key=lambda s: (s.acquired, s.scene_id))
