"""The pipeline's configuration: what to watch (``dags/config/areas.yaml``), where, and how.

One reviewed YAML file says which WRS-2 path/rows are watched (grouped in named areas), which
STAC catalog is searched, where the bucket is and how each scene is rendered. Every DAG is
generated from it: one DAG per path/row, ``landsat_p{path:03d}_r{row:03d}``.

Layout (every key of ``defaults`` may be overridden per area)::

    catalog:  {url, collection, platform, max_retries, timeout_seconds}
    storage:  {root, aws_conn_id}
    defaults: {start_date, catchup, products, max_cloud_cover, percentiles, preview_size,
               render_backend, availability_delay_hours, wait_for_scene_hours,
               poke_interval_minutes, retries, retry_delay_minutes, max_active_runs}
    areas:
      <name>: {title, path_rows: [[path, row], ...], points: [{id, lon, lat}, ...],
               <any defaults key>}

``points`` are the area's points of interest (WGS84 degrees) whose NDVI the
``landsat_ndvi_timeseries`` DAG follows across every published scene of the area.

Relative local paths (``catalog.url``, ``storage.root``) are relative to the folder of the
YAML file. ``LANDSAT_PIPELINE_CONFIG`` names another file (tests and deployments use it).

Only the standard library, PyYAML and :mod:`landsat_ops.overpass` are imported: DAG files
load this at parse time.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CONFIG_ENV",
    "PRODUCTS",
    "RENDER_BACKENDS",
    "Area",
    "CatalogSettings",
    "ConfigError",
    "PipelineConfig",
    "PointOfInterest",
    "StorageSettings",
    "Watch",
    "config_path",
    "load_config",
]

CONFIG_ENV = "LANDSAT_PIPELINE_CONFIG"
"""Environment variable naming the config file to use instead of the DAGs' default."""

PRODUCTS = ("truecolor", "falsecolor", "ndvi", "histograms")
"""Products landsat_ops renders (landsat_ops.render.PRODUCTS, repeated to keep parsing cheap)."""

RENDER_BACKENDS = ("local",)
"""Where the render step may run. ``local``: in the Airflow worker. (``ecs`` and ``ec2`` are
added by the remote-render issue: a branch per backend in the DAG.)"""

LANDSAT8_START = datetime.date(2013, 4, 11)

_DEFAULTS: dict[str, Any] = {
    "start_date": LANDSAT8_START,
    "catchup": False,
    "products": list(PRODUCTS),
    "max_cloud_cover": 100.0,
    "percentiles": [2.0, 98.0],
    "preview_size": 1024,
    "render_backend": "local",
    "availability_delay_hours": 24.0,
    "wait_for_scene_hours": 72.0,
    "poke_interval_minutes": 60.0,
    "retries": 3,
    "retry_delay_minutes": 5.0,
    "max_active_runs": 2,
}
_CATALOG_DEFAULTS: dict[str, Any] = {
    "collection": None,
    "platform": "landsat-8",
    "max_retries": 3,
    "timeout_seconds": 30.0,
}
_STORAGE_DEFAULTS: dict[str, Any] = {"aws_conn_id": "aws_default"}
_TOP_KEYS = {"catalog", "storage", "defaults", "areas"}
_AREA_KEYS = {"title", "path_rows", "points"} | set(_DEFAULTS)


class ConfigError(ValueError):
    """The pipeline configuration file is missing or invalid; the message names file and key."""


@dataclass(frozen=True)
class CatalogSettings:
    """Where scenes are discovered: a STAC API root URL or a static ``catalog.json``."""

    url: str
    collection: str | None
    platform: str
    max_retries: int
    timeout_seconds: float


@dataclass(frozen=True)
class StorageSettings:
    """The bucket: a local folder standing in for it, or ``s3://bucket/prefix``."""

    root: str
    aws_conn_id: str

    @property
    def is_s3(self) -> bool:
        return self.root.startswith("s3://")


@dataclass(frozen=True)
class Watch:
    """One watched WRS-2 path/row: everything its DAG needs."""

    area: str
    title: str
    path: int
    row: int
    start_date: datetime.date
    catchup: bool
    products: tuple[str, ...]
    max_cloud_cover: float
    percentiles: tuple[float, float]
    preview_size: int
    render_backend: str
    availability_delay: datetime.timedelta
    wait_for_scene: datetime.timedelta
    poke_interval: datetime.timedelta
    retries: int
    retry_delay: datetime.timedelta
    max_active_runs: int

    @property
    def dag_id(self) -> str:
        return f"landsat_p{self.path:03d}_r{self.row:03d}"

    @property
    def path_row(self) -> str:
        return f"{self.path:03d}/{self.row:03d}"


@dataclass(frozen=True)
class PointOfInterest:
    """A place whose NDVI is followed over time (WGS84 degrees)."""

    id: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Area:
    """A named group of path/rows and its points of interest."""

    name: str
    title: str
    path_rows: tuple[tuple[int, int], ...]
    points: tuple[PointOfInterest, ...]


@dataclass(frozen=True)
class PipelineConfig:
    """The whole configuration file, validated."""

    source: Path
    catalog: CatalogSettings
    storage: StorageSettings
    watches: tuple[Watch, ...]
    areas: tuple[Area, ...] = ()

    def area(self, name: str) -> Area:
        """The area called ``name``; ConfigError when the file has none."""
        for area in self.areas:
            if area.name == name:
                return area
        raise ConfigError(
            f"{self.source}: no area {name!r} (expected one of {[a.name for a in self.areas]})"
        )

    def watch(self, path: int, row: int) -> Watch:
        """The watch of a path/row; ConfigError when the file does not list it."""
        for watch in self.watches:
            if (watch.path, watch.row) == (path, row):
                return watch
        raise ConfigError(
            f"{self.source}: path/row {path:03d}/{row:03d} is not in any area "
            "(expected it under areas.<name>.path_rows)"
        )


def config_path(default: str | os.PathLike) -> Path:
    """The config file to use: ``$LANDSAT_PIPELINE_CONFIG`` if set, else ``default``."""
    return Path(os.environ.get(CONFIG_ENV) or default).expanduser().absolute()


def load_config(path: str | os.PathLike) -> PipelineConfig:
    """Read and validate a pipeline config file.

    Raises
    ------
    ConfigError
        If the file is missing, is not YAML, or a value is invalid; the message names the
        file, the key and what was expected.
    """
    import yaml

    source = Path(path).expanduser().absolute()
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read the pipeline config ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML ({exc})") from None
    return parse_config(raw, source)


def parse_config(raw: Any, source: Path) -> PipelineConfig:
    """Validate an already parsed config mapping (see :func:`load_config`)."""
    check = _Checker(source)
    top = check.mapping(raw, "", required={"catalog", "storage", "areas"}, allowed=_TOP_KEYS)
    catalog = _catalog(check, top["catalog"])
    storage = _storage(check, top["storage"])
    defaults = dict(_DEFAULTS)
    if top.get("defaults") is not None:
        defaults.update(check.mapping(top["defaults"], "defaults", allowed=set(_DEFAULTS)))
    areas = check.mapping(top["areas"], "areas")
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
        title = area.get("title", name)
        if not isinstance(title, str):
            raise check.error(f"{key}.title", f"is {title!r}", "a string")
        path_rows = _path_rows(check, area["path_rows"], key)
        points = _points(check, area.get("points", []), key)
        area_list.append(Area(name, title, tuple(path_rows), points))
        for index, (path, row) in enumerate(path_rows):
            if (path, row) in seen:
                raise check.error(
                    f"{key}.path_rows[{index}]",
                    f"repeats {path:03d}/{row:03d}, already in area {seen[path, row]!r}",
                    "each path/row in one area only (one DAG per path/row)",
                )
            seen[path, row] = name
            watches.append(_watch(check, settings, key, name, title, path, row))
    return PipelineConfig(
        source=source,
        catalog=catalog,
        storage=storage,
        watches=tuple(watches),
        areas=tuple(area_list),
    )


class _Checker:
    """Type checks that raise ConfigError naming the file and the key."""

    def __init__(self, source: Path):
        self.source = source

    def error(self, key: str, problem: str, expected: str) -> ConfigError:
        where = f"{self.source}: {key}" if key else str(self.source)
        return ConfigError(f"{where} {problem} (expected {expected})")

    def mapping(
        self,
        value: Any,
        key: str,
        *,
        required: set[str] = frozenset(),
        allowed: set[str] | None = None,
    ) -> dict:
        if not isinstance(value, Mapping):
            raise self.error(key or "the file", f"is {type(value).__name__}", "a mapping")
        prefix = f"{key}." if key else ""
        if allowed is not None:
            unknown = sorted(str(k) for k in value if k not in allowed)
            if unknown:
                raise self.error(
                    f"{prefix}{unknown[0]}", "is not a known key", f"one of {sorted(allowed)}"
                )
        for name in sorted(required):
            if name not in value:
                raise self.error(f"{prefix}{name}", "is missing", "a value")
        return dict(value)

    def number(self, value: Any, key: str, low: float, high: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"is {value!r}", "a number")
        if value < low or (high is not None and value > high):
            span = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise self.error(key, f"is {value!r}", f"a number {span}")
        return float(value)

    def integer(self, value: Any, key: str, low: int, high: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"is {value!r}", "an integer")
        if value < low or (high is not None and value > high):
            span = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise self.error(key, f"is {value!r}", f"an integer {span}")
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"is {value!r}", "a non-empty string")
        return value.strip()

    def local_or_url(self, value: Any, key: str) -> str:
        """A URL or s3:// URI as given; a local path made absolute against the file's folder."""
        text = self.text(value, key)
        if "://" in text and not text.startswith("file://"):
            return text
        if text.startswith("file://"):
            text = text[len("file://") :]
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = self.source.parent / path
        return os.path.normpath(path)


def _catalog(check: _Checker, raw: Any) -> CatalogSettings:
    body = {**_CATALOG_DEFAULTS}
    body.update(check.mapping(raw, "catalog", required={"url"}, allowed={"url", *body}))
    collection = body["collection"]
    if collection is not None:
        collection = check.text(collection, "catalog.collection")
    return CatalogSettings(
        url=check.local_or_url(body["url"], "catalog.url"),
        collection=collection,
        platform=check.text(body["platform"], "catalog.platform"),
        max_retries=check.integer(body["max_retries"], "catalog.max_retries", 0, 20),
        timeout_seconds=check.number(body["timeout_seconds"], "catalog.timeout_seconds", 1, 600),
    )


def _storage(check: _Checker, raw: Any) -> StorageSettings:
    body = {**_STORAGE_DEFAULTS}
    body.update(check.mapping(raw, "storage", required={"root"}, allowed={"root", *body}))
    root = check.local_or_url(body["root"], "storage.root")
    if "://" in root and not root.startswith("s3://"):
        raise check.error("storage.root", f"is {root!r}", "a local folder or s3://bucket/prefix")
    if root.startswith("s3://") and not root[len("s3://") :].split("/", 1)[0]:
        raise check.error("storage.root", f"is {root!r}", "s3://bucket/prefix with a bucket")
    return StorageSettings(
        root=root.rstrip("/") if root != "/" else root,
        aws_conn_id=check.text(body["aws_conn_id"], "storage.aws_conn_id"),
    )


def _path_rows(check: _Checker, raw: Any, key: str) -> list[tuple[int, int]]:
    from landsat_ops.errors import OptionError
    from landsat_ops.overpass import validate_path_row

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


def _points(check: _Checker, raw: Any, key: str) -> tuple[PointOfInterest, ...]:
    if not isinstance(raw, list):
        raise check.error(f"{key}.points", f"is {raw!r}", "a list of {id, lon, lat}")
    out: list[PointOfInterest] = []
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
            PointOfInterest(
                id=str(point_id),
                lon=check.number(body["lon"], f"{where}.lon", -180, 180),
                lat=check.number(body["lat"], f"{where}.lat", -90, 90),
            )
        )
    return tuple(out)


def _watch(check: _Checker, s: dict, key: str, area: str, title: str, path: int, row: int) -> Watch:
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
    if not isinstance(percentiles, list) or len(percentiles) != 2:
        raise check.error(f"{key}.percentiles", f"is {percentiles!r}", "[low, high]")
    low = check.number(percentiles[0], f"{key}.percentiles[0]", 0, 100)
    high = check.number(percentiles[1], f"{key}.percentiles[1]", 0, 100)
    if not low < high:
        raise check.error(f"{key}.percentiles", f"is {percentiles!r}", "low < high")
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
        retries=check.integer(s["retries"], f"{key}.retries", 2, 20),
        retry_delay=minutes
        * check.number(s["retry_delay_minutes"], f"{key}.retry_delay_minutes", 0),
        max_active_runs=check.integer(s["max_active_runs"], f"{key}.max_active_runs", 1, 16),
    )
