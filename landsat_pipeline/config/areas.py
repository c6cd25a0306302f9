"""The ``defaults`` and ``areas`` sections: the watched path/rows, one :class:`Watch` each."""

from __future__ import annotations

import datetime
from typing import Any

from landsat_ops.errors import OptionError
from landsat_ops.extent.polygons import NamedPolygon, PolygonError, parse_polygons
from landsat_ops.overpass import LANDSAT8_START, SATELLITE_START, validate_path_row
from landsat_ops.points import Point
from landsat_ops.products import (
    DEFAULT_PERCENTILES,
    DEFAULT_PREVIEW_SIZE,
    PRODUCTS,
    validate_percentiles,
)
from landsat_pipeline.config.checker import Checker
from landsat_pipeline.config.composites import parse_composites
from landsat_pipeline.config.model import RENDER_BACKENDS, Area, Watch

__all__ = ["AVAILABILITY_HOURS", "default_wait_hours", "parse_areas"]

_DEFAULTS: dict[str, Any] = {
    "start_date": LANDSAT8_START,
    "catchup": False,
    "products": list(PRODUCTS),
    "max_cloud_cover": 100.0,
    "percentiles": list(DEFAULT_PERCENTILES),
    "preview_size": DEFAULT_PREVIEW_SIZE,
    "render_backend": "local",
    "availability_delay_hours": 24.0,
    "wait_for_scene_hours": None,  # by the catalog collection's level: AVAILABILITY_HOURS
    "poke_interval_minutes": 60.0,
    "deferrable_waits": True,
    "reconcile_days": 60,
    "satellites": [8, 9],
    "retries": 3,
    "retry_delay_minutes": 5.0,
    "max_active_runs": 2,
    "render_queue": "render",
}
_AREA_KEYS = {"title", "path_rows", "points", "composites", "polygons"} | set(_DEFAULTS)
AVAILABILITY_HOURS = {"L1": 72.0, "L2": 24 * 24.0}
"""Default ``wait_for_scene_hours`` by processing level, from the measured latency: Level-1
scenes appear within hours (RT) to days; Level-2 4 to 21+ days after acquisition (median 9,
p90 13 in the recorded items), so its window is 24 days."""


def default_wait_hours(collection: str | None) -> float:
    """The availability window of a catalog collection (``landsat-c2-l2``: Level-2)."""
    level = "L2" if collection and "l2" in collection.lower().replace("-", "") else "L1"
    return AVAILABILITY_HOURS[level]


def parse_areas(
    check: Checker, raw_areas: Any, raw_defaults: Any, collection: str | None
) -> tuple[list[Watch], list[Area]]:
    """The watches (one per path/row) and the areas, each area's settings over ``defaults``."""
    defaults = dict(_DEFAULTS)
    if raw_defaults is not None:
        defaults.update(check.mapping(raw_defaults, "defaults", allowed=set(_DEFAULTS)))
    areas = check.mapping(raw_areas, "areas")
    if not areas:
        raise check.error("areas", "is empty", "at least one named area with path_rows")
    watches: list[Watch] = []
    area_list: list[Area] = []
    seen: dict[tuple[int, int], str] = {}
    for name, body in areas.items():
        key = f"areas.{name}"
        if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
            raise check.error(key, "is not a valid area name", "letters, digits, _ or -")
        area = check.mapping(body, key, required={"path_rows"}, allowed=_AREA_KEYS)
        settings = {**defaults, **{k: v for k, v in area.items() if k in _DEFAULTS}}
        if settings["wait_for_scene_hours"] is None:
            settings["wait_for_scene_hours"] = default_wait_hours(collection)
        title = area.get("title", name)
        if not isinstance(title, str):
            raise check.error(f"{key}.title", f"is {title!r}", "a string")
        path_rows = _path_rows(check, area["path_rows"], key)
        points = _points(check, area.get("points", []), key)
        composites = area.get("composites")
        if composites is not None:
            composites = parse_composites(check, composites, f"{key}.composites")
        polygons = _polygons(check, area.get("polygons"), key)
        area_list.append(Area(name, title, tuple(path_rows), points, composites, polygons))
        for index, (path, row) in enumerate(path_rows):
            if (path, row) in seen:
                raise check.error(
                    f"{key}.path_rows[{index}]",
                    f"repeats {path:03d}/{row:03d}, already in area {seen[path, row]!r}",
                    "each path/row in one area only (one DAG per path/row)",
                )
            seen[path, row] = name
            watches.append(_watch(check, settings, key, name, title, path, row))
    return watches, area_list


def _satellites(check: Checker, raw: Any, key: str) -> tuple[int, ...]:
    known = sorted(SATELLITE_START)
    if (
        not isinstance(raw, list)
        or not raw
        or any(isinstance(v, bool) or v not in SATELLITE_START for v in raw)
    ):
        raise check.error(key, f"is {raw!r}", f"a non-empty list from {known}")
    return tuple(sorted(set(raw)))


def _path_rows(check: Checker, raw: Any, key: str) -> list[tuple[int, int]]:
    if not isinstance(raw, list) or not raw:
        raise check.error(f"{key}.path_rows", f"is {raw!r}", "a list of [path, row] pairs")
    out = []
    for index, pair in enumerate(raw):
        where = f"{key}.path_rows[{index}]"
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
        ):
            raise check.error(where, f"is {pair!r}", "a [path, row] pair of integers")
        try:
            validate_path_row(pair[0], pair[1])
        except OptionError as exc:
            raise check.error(where, f"is {list(pair)!r}: {exc}", "a WRS-2 path/row") from None
        out.append((pair[0], pair[1]))
    return out


def _points(check: Checker, raw: Any, key: str) -> tuple[Point, ...]:
    if not isinstance(raw, list):
        raise check.error(f"{key}.points", f"is {raw!r}", "a list of {id, lon, lat}")
    out: list[Point] = []
    for index, item in enumerate(raw):
        where = f"{key}.points[{index}]"
        body = check.mapping(
            item, where, required={"id", "lon", "lat"}, allowed={"id", "lon", "lat"}
        )
        point_id = body["id"]
        if not isinstance(point_id, str | int) or isinstance(point_id, bool) or not str(point_id):
            raise check.error(f"{where}.id", f"is {point_id!r}", "a non-empty name")
        if any(p.id == str(point_id) for p in out):
            raise check.error(f"{where}.id", f"repeats {point_id!r}", "unique point ids per area")
        out.append(
            Point(
                id=str(point_id),
                lon=check.number(body["lon"], f"{where}.lon", -180, 180),
                lat=check.number(body["lat"], f"{where}.lat", -90, 90),
            )
        )
    return tuple(out)


def _polygons(check: Checker, raw: Any, key: str) -> tuple[NamedPolygon, ...]:
    """The area's extent polygons: a local GeoJSON file (relative to the config), checked now."""
    if raw is None:
        return ()
    path = check.local_or_url(raw, f"{key}.polygons")
    if "://" in path:
        raise check.error(f"{key}.polygons", f"is {raw!r}", "a local GeoJSON file")
    try:
        with open(path, "rb") as stream:
            return tuple(parse_polygons(stream.read(), path))
    except OSError as exc:
        raise check.error(f"{key}.polygons", f"{path}: {exc.strerror}", "a GeoJSON file") from None
    except PolygonError as exc:
        raise check.error(
            f"{key}.polygons", str(exc), "a FeatureCollection of named (Multi)Polygons"
        ) from None


def _watch(check: Checker, s: dict, key: str, area: str, title: str, path: int, row: int) -> Watch:
    start = s["start_date"]
    if isinstance(start, str):
        try:
            start = datetime.date.fromisoformat(start)
        except ValueError:
            raise check.error(f"{key}.start_date", f"is {start!r}", "YYYY-MM-DD") from None
    if isinstance(start, datetime.datetime):
        start = start.date()
    if not isinstance(start, datetime.date) or start < LANDSAT8_START:
        raise check.error(
            f"{key}.start_date",
            f"is {start!r}",
            f"a date (YYYY-MM-DD) on or after {LANDSAT8_START} (Landsat 8 in its orbit)",
        )
    if not isinstance(s["catchup"], bool):
        raise check.error(f"{key}.catchup", f"is {s['catchup']!r}", "true or false")
    products = s["products"]
    if not isinstance(products, list) or not products or any(p not in PRODUCTS for p in products):
        raise check.error(f"{key}.products", f"is {products!r}", f"a list from {list(PRODUCTS)}")
    percentiles = s["percentiles"]
    try:
        if not isinstance(percentiles, list) or any(isinstance(p, bool) for p in percentiles):
            raise OptionError("not a list of numbers")
        low, high = validate_percentiles(percentiles)
    except OptionError:
        raise check.error(
            f"{key}.percentiles", f"is {percentiles!r}", "[low, high] with 0 <= low < high <= 100"
        ) from None
    backend = s["render_backend"]
    if backend not in RENDER_BACKENDS:
        raise check.error(f"{key}.render_backend", f"is {backend!r}", f"one of {RENDER_BACKENDS}")
    hours = datetime.timedelta(hours=1)
    minutes = datetime.timedelta(minutes=1)
    return Watch(
        area=area,
        title=title,
        path=path,
        row=row,
        start_date=start,
        catchup=s["catchup"],
        satellites=_satellites(check, s["satellites"], f"{key}.satellites"),
        products=tuple(p for p in PRODUCTS if p in products),
        max_cloud_cover=check.number(s["max_cloud_cover"], f"{key}.max_cloud_cover", 0, 100),
        percentiles=(low, high),
        preview_size=check.integer(s["preview_size"], f"{key}.preview_size", 16, 16384),
        render_backend=backend,
        availability_delay=hours
        * check.number(s["availability_delay_hours"], f"{key}.availability_delay_hours", 0),
        wait_for_scene=hours
        * check.number(s["wait_for_scene_hours"], f"{key}.wait_for_scene_hours", 0),
        poke_interval=minutes
        * check.number(s["poke_interval_minutes"], f"{key}.poke_interval_minutes", 0.01),
        deferrable_waits=check.boolean(s["deferrable_waits"], f"{key}.deferrable_waits"),
        reconcile_look_back=datetime.timedelta(
            days=check.integer(s["reconcile_days"], f"{key}.reconcile_days", 0, 3650)
        ),
        retries=check.integer(s["retries"], f"{key}.retries", 2, 20),
        retry_delay=minutes
        * check.number(s["retry_delay_minutes"], f"{key}.retry_delay_minutes", 0),
        max_active_runs=check.integer(s["max_active_runs"], f"{key}.max_active_runs", 1, 16),
        render_queue=check.text(s["render_queue"], f"{key}.render_queue"),
    )
