"""The pipeline's configuration: what to watch (``dags/config/areas.yaml``), where, and how.

One reviewed YAML file says which WRS-2 path/rows are watched (grouped in named areas), which
STAC catalog is searched, where the bucket is and how each scene is rendered. Every DAG is
generated from it: one DAG per path/row, ``landsat_p{path:03d}_r{row:03d}``.

Layout (every key of ``defaults`` may be overridden per area)::

    catalog:  {url, collection, max_retries, timeout_seconds, page_limit, source_conn_id,
               requester_pays, signing_url, blob_endpoint,
               source_schemes, source_hosts, source_buckets}    (docs/sources.md)
    storage:  {root, aws_conn_id}
    defaults: {start_date, catchup, satellites, products, max_cloud_cover, percentiles,
               preview_size, render_backend, availability_delay_hours, wait_for_scene_hours,
               poke_interval_minutes, deferrable_waits, reconcile_days, retries,
               retry_delay_minutes, max_active_runs, render_queue}
    areas:
      <name>: {title, path_rows: [[path, row], ...], points: [{id, lon, lat}, ...],
               <any defaults key>}
    remote:   {region, aws_conn_id, log_group, image,         (optional: the ecs/ec2 backends)
               ecs: {cluster, task_definition, container_name, subnets, security_groups,
                     assign_public_ip, log_stream_prefix, deferrable, poll_seconds,
                     timeout_minutes, log_lines},
               ec2: {ami, instance_type, instance_profile, subnet_id, security_group_ids,
                     volume_size_gib, timeout_minutes, poll_seconds, log_stream_prefix,
                     log_lines, tags, deferrable}}

``points`` are the area's points of interest (WGS84 degrees) whose NDVI the
``landsat_ndvi_timeseries`` DAG follows across every published scene of the area.

``remote`` holds what the ``ecs`` and ``ec2`` render backends need, filled from the outputs of
``deploy/cloudformation.yaml`` (docs/remote-backends.md maps each key to its output). Without it
the DAGs still load and the ``local`` backend works; a run asking for ``ecs``/``ec2`` then fails
naming the missing key (:meth:`PipelineConfig.remote_settings`).

Relative local paths (``catalog.url``, ``storage.root``) are relative to the folder of the
YAML file. ``LANDSAT_PIPELINE_CONFIG`` names another file (tests and deployments use it).

Only the standard library, PyYAML and :mod:`landsat_ops.overpass` are imported: DAG files
load this at parse time.
"""

from __future__ import annotations

import datetime
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from landsat_ops.errors import OptionError
from landsat_ops.points import Point
from landsat_ops.products import (
    DEFAULT_PERCENTILES,
    DEFAULT_PREVIEW_SIZE,
    PRODUCTS,
    validate_percentiles,
)
from landsat_pipeline.errors import ConfigError

__all__ = [
    "CONFIG_ENV",
    "PRODUCTS",
    "RENDER_BACKENDS",
    "Area",
    "CatalogSettings",
    "Ec2Settings",
    "EcsSettings",
    "PipelineConfig",
    "RemoteSettings",
    "StorageSettings",
    "Watch",
    "config_path",
    "load_config",
]

CONFIG_ENV = "LANDSAT_PIPELINE_CONFIG"
"""Environment variable naming the config file to use instead of the DAGs' default."""

RENDER_BACKENDS = ("local", "ecs", "ec2")
"""Where the render step may run. ``local``: in the Airflow worker; ``ecs``: one ECS Fargate task
per scene; ``ec2``: one throwaway EC2 instance per scene. The last two need ``remote``."""
REMOTE_BACKENDS = ("ecs", "ec2")

LANDSAT8_START = datetime.date(2013, 4, 11)

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
AVAILABILITY_HOURS = {"L1": 72.0, "L2": 24 * 24.0}
"""Default ``wait_for_scene_hours`` by processing level, from the measured latency: Level-1
scenes appear within hours (RT) to days; Level-2 4 to 21+ days after acquisition (median 9,
p90 13 in the recorded items), so its window is 24 days."""


def default_wait_hours(collection: str | None) -> float:
    """The availability window of a catalog collection (``landsat-c2-l2``: Level-2)."""
    level = "L2" if collection and "l2" in collection.lower().replace("-", "") else "L1"
    return AVAILABILITY_HOURS[level]


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
_STORAGE_DEFAULTS: dict[str, Any] = {"aws_conn_id": "aws_default"}
_TOP_KEYS = {"catalog", "storage", "defaults", "areas", "remote"}
_REMOTE_DEFAULTS: dict[str, Any] = {
    "aws_conn_id": "aws_default",
    "image": None,
    "report_image": None,
}
_ECS_DEFAULTS: dict[str, Any] = {
    "container_name": "landsat-ops",
    "assign_public_ip": False,
    "log_stream_prefix": "render",
    "deferrable": True,
    "poll_seconds": 30,
    "timeout_minutes": 240,
    "log_lines": 20,
}
_EC2_DEFAULTS: dict[str, Any] = {
    "instance_type": "m6i.xlarge",
    "volume_size_gib": 50,
    "timeout_minutes": 120,
    "poll_seconds": 60,
    "log_stream_prefix": "ec2",
    "log_lines": 20,
    "tags": {},
    "deferrable": True,
}
_WORKER_TAG_KEY = "landsat-ops:role"  # landsat_pipeline.remote.WORKER_TAG, set on every instance
_REMOTE_DOC = "docs/remote-backends.md"
_AWS_ID = {
    "subnet": re.compile(r"^subnet-[0-9a-f]{8,17}$"),
    "sg": re.compile(r"^sg-[0-9a-f]{8,17}$"),
    "ami": re.compile(r"^ami-[0-9a-f]{8,17}$"),
}
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_LOG_NAME = re.compile(r"^[A-Za-z0-9_.\-/#]+$")
_STREAM_PREFIX = re.compile(r"^[A-Za-z0-9_.\-/]+$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_AREA_KEYS = {"title", "path_rows", "points"} | set(_DEFAULTS)


@dataclass(frozen=True)
class CatalogSettings:
    """Where scenes are discovered (a STAC API root URL or a static ``catalog.json``) and how
    their assets are read (docs/sources.md)."""

    url: str
    collection: str | None
    max_retries: int
    timeout_seconds: float
    page_limit: int = 100
    source_conn_id: str | None = None
    requester_pays: bool | None = None
    signing_url: str | None = None
    blob_endpoint: str | None = None
    source_schemes: tuple[str, ...] | None = None
    source_hosts: tuple[str, ...] | None = None
    source_buckets: tuple[str, ...] | None = None

    def source_policy(self):
        """Which hrefs of this catalog may be read
        (:class:`~landsat_pipeline.sources.options.SourcePolicy`): the configured lists, each
        absent one derived from the catalog URL and the archives."""
        from landsat_pipeline.sources.options import SourcePolicy

        return SourcePolicy.for_catalog(
            self.url,
            schemes=self.source_schemes,
            hosts=self.source_hosts,
            buckets=self.source_buckets,
        )

    def source_options(self):
        """How landing reads the assets (:class:`~landsat_pipeline.sources.SourceOptions`).

        Builds the source's own S3 client (its connection, or the standard AWS chain), so
        call it inside a task, never at parse time.
        """
        from landsat_pipeline.sources.options import SourceOptions
        from landsat_pipeline.sources.s3 import source_client

        return SourceOptions(
            s3_client=source_client(self.source_conn_id),
            requester_pays=self.requester_pays,
            signing_url=self.signing_url,
            blob_endpoint=self.blob_endpoint,
            policy=self.source_policy(),
        )


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
    satellites: tuple[int, ...]
    """Landsat 8 and/or 9: one run per acquisition of each (both: every 8 days)."""
    products: tuple[str, ...]
    max_cloud_cover: float
    percentiles: tuple[float, float]
    preview_size: int
    render_backend: str
    availability_delay: datetime.timedelta
    wait_for_scene: datetime.timedelta
    """How long after the acquisition (the end of its UTC day) the scene may still appear."""
    poke_interval: datetime.timedelta
    deferrable_waits: bool
    """Wait for a scene in the triggerer (no worker slot) rather than rescheduling."""
    reconcile_look_back: datetime.timedelta
    """How far back the reconcile DAG requests runs for scenes that are still unpublished."""
    retries: int
    retry_delay: datetime.timedelta
    max_active_runs: int
    render_queue: str
    """The executor queue of the render task (Celery: workers started with ``-q render``)."""

    @property
    def dag_id(self) -> str:
        return f"landsat_p{self.path:03d}_r{self.row:03d}"

    @property
    def path_row(self) -> str:
        return f"{self.path:03d}/{self.row:03d}"


@dataclass(frozen=True)
class Area:
    """A named group of path/rows and its points of interest."""

    name: str
    title: str
    path_rows: tuple[tuple[int, int], ...]
    points: tuple[Point, ...]


@dataclass(frozen=True)
class EcsSettings:
    """How the ``ecs`` backend runs a scene: one Fargate task (``remote.ecs``).

    ``poll_seconds`` is how often the task's state is checked (and its logs fetched);
    ``timeout_minutes`` bounds the wait, after which the task is stopped and the Airflow task
    fails; ``log_lines`` is how many of the container's last log lines a failure quotes.
    """

    cluster: str
    task_definition: str
    container_name: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    assign_public_ip: bool
    log_stream_prefix: str
    deferrable: bool
    poll_seconds: int
    timeout_minutes: int
    log_lines: int


@dataclass(frozen=True)
class Ec2Settings:
    """How the ``ec2`` backend runs a scene: one throwaway instance (``remote.ec2``).

    ``timeout_minutes`` is the job's hard limit inside the instance (it powers itself off, and
    so terminates, at the latest ``landsat_pipeline.remote.SETUP_MINUTES`` after it);
    ``poll_seconds``
    is how often the staged products and the instance are checked.
    """

    ami: str
    instance_type: str
    instance_profile: str
    subnet_id: str
    security_group_ids: tuple[str, ...]
    volume_size_gib: int
    timeout_minutes: int
    poll_seconds: int
    log_stream_prefix: str
    log_lines: int
    tags: tuple[tuple[str, str], ...]
    deferrable: bool = False
    """Wait for the job in the triggerer (``Ec2JobTrigger``) instead of rescheduled pokes."""


@dataclass(frozen=True)
class RemoteSettings:
    """Where the remote render backends run (``remote``): region, connection, log group, image.

    ``image`` is the render image the ``ec2`` backend pulls (the ECS task definition names its
    own). ``ecs`` / ``ec2`` are None when their section is absent.
    """

    region: str
    aws_conn_id: str
    log_group: str
    image: str | None
    ecs: EcsSettings | None
    ec2: Ec2Settings | None
    report_image: str | None = None
    """The image the ``ec2`` report backend runs (the render image plus papermill)."""


@dataclass(frozen=True)
class PipelineConfig:
    """The whole configuration file, validated."""

    source: Path
    catalog: CatalogSettings
    storage: StorageSettings
    watches: tuple[Watch, ...]
    areas: tuple[Area, ...] = ()
    remote: RemoteSettings | None = None

    def remote_settings(self, backend: str) -> RemoteSettings:
        """The ``remote`` section, checked to hold ``backend``'s (``ecs`` or ``ec2``) settings.

        Raises
        ------
        ConfigError
            Naming the missing key (``remote``, ``remote.ecs`` or ``remote.ec2``).
        """
        if backend not in REMOTE_BACKENDS:
            raise ValueError(f"{backend!r} is not a remote backend (expected {REMOTE_BACKENDS})")
        missing = _missing_remote(self.remote, backend)
        if missing:
            raise ConfigError(
                f"{self.source}: {missing} is missing (expected the {backend} render backend's "
                f"settings, filled from the CloudFormation stack outputs; see {_REMOTE_DOC})"
            )
        return self.remote

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
    _check_bucket_reaches_every_worker(check, storage)
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
        if settings["wait_for_scene_hours"] is None:
            settings["wait_for_scene_hours"] = default_wait_hours(catalog.collection)
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
    remote = _remote(check, top["remote"]) if top.get("remote") is not None else None
    for watch in watches:
        missing = _missing_remote(remote, watch.render_backend)
        if missing:
            raise check.error(
                f"areas.{watch.area}.render_backend",
                f"is {watch.render_backend!r} but {missing} is missing",
                f"a {missing} section (see {_REMOTE_DOC}) or render_backend: local",
            )
    return PipelineConfig(
        source=source,
        catalog=catalog,
        storage=storage,
        watches=tuple(watches),
        areas=tuple(area_list),
        remote=remote,
    )


def _missing_remote(remote: RemoteSettings | None, backend: str) -> str | None:
    """The config key a remote ``backend`` lacks (``remote``, ``remote.ecs``...), or None."""
    if backend not in REMOTE_BACKENDS:
        return None
    if remote is None:
        return "remote"
    if getattr(remote, backend) is None:
        return f"remote.{backend}"
    return None


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

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, f"is {value!r}", "true or false")
        return value

    def matching(self, value: Any, key: str, pattern: re.Pattern, expected: str) -> str:
        if not isinstance(value, str) or not pattern.match(value.strip()):
            raise self.error(key, f"is {value!r}", expected)
        return value.strip()

    def id_list(self, value: Any, key: str, kind: str, expected: str) -> tuple[str, ...]:
        """A non-empty list of AWS IDs; a comma-separated string (a stack output) works too."""
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if not isinstance(value, list) or not value:
            raise self.error(key, f"is {value!r}", f"a list of {expected}")
        ids = [
            self.matching(item, f"{key}[{index}]", _AWS_ID[kind], expected)
            for index, item in enumerate(value)
        ]
        return tuple(dict.fromkeys(ids))

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


def _source_policy(check: _Checker, body: dict, *, local: bool) -> dict[str, Any]:
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


def _http_url(check: _Checker, value: Any, key: str) -> str:
    text = check.text(value, key)
    if not text.startswith(("http://", "https://")):
        raise check.error(key, f"is {text!r}", "an http:// or https:// URL")
    return text


def _optional_text(check: _Checker, value: Any, key: str) -> str | None:
    return None if value is None else check.text(value, key)


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


LOCAL_EXECUTORS = frozenset({"LocalExecutor", "SequentialExecutor", "DebugExecutor"})
"""Executors whose tasks all run on the scheduler's machine; any other may run a DAG's tasks
on several machines (Celery, Kubernetes, ECS, Edge ...)."""


def _configured_executors() -> list[str]:
    """Airflow's ``[core] executor`` (a comma-separated list; aliases like ``name:Class``)."""
    value = os.environ.get("AIRFLOW__CORE__EXECUTOR")
    # Inside an Airflow component its configuration is loaded already; elsewhere (the CLI,
    # tests) it is not imported here: that would create an Airflow home as a side effect.
    airflow_conf = getattr(sys.modules.get("airflow.configuration"), "conf", None)
    if value is None and airflow_conf is not None:
        value = airflow_conf.get("core", "executor", fallback="LocalExecutor")
    if value is None:
        return []
    names = [part.strip().rsplit(":", 1)[-1].rsplit(".", 1)[-1] for part in value.split(",")]
    return [name for name in names if name]


def _check_bucket_reaches_every_worker(check: _Checker, storage: StorageSettings) -> None:
    """Refuse a local-folder bucket under a distributed executor.

    The tasks of one run may each land on another worker: a local folder written by
    ``upload_bands`` on one machine is not there for ``render_local`` on the next.
    """
    if storage.is_s3:
        return
    distributed = [name for name in _configured_executors() if name not in LOCAL_EXECUTORS]
    if distributed:
        raise check.error(
            "storage.root",
            f"is the local folder {storage.root!r} but Airflow's executor is {distributed[0]} "
            "(tasks of one run may run on different workers, which do not share a local folder)",
            "s3://bucket/prefix (a bucket every worker reaches) with a distributed executor",
        )


def _image(check: _Checker, value: Any, key: str) -> str | None:
    if value is None:
        return None
    image = check.text(value, key)
    if any(c.isspace() for c in image):
        raise check.error(key, f"is {image!r}", "an image URI without spaces")
    return image


def _remote(check: _Checker, raw: Any) -> RemoteSettings:
    body = {**_REMOTE_DEFAULTS, "ecs": None, "ec2": None}
    body.update(
        check.mapping(
            raw, "remote", required={"region", "log_group"}, allowed={"region", "log_group", *body}
        )
    )
    image = _image(check, body["image"], "remote.image")
    report_image = _image(check, body["report_image"], "remote.report_image")
    remote = RemoteSettings(
        region=check.matching(
            body["region"], "remote.region", _REGION, "an AWS region (eu-west-1)"
        ),
        aws_conn_id=check.text(body["aws_conn_id"], "remote.aws_conn_id"),
        log_group=check.matching(
            body["log_group"], "remote.log_group", _LOG_NAME, "a CloudWatch Logs group name"
        ),
        image=image,
        report_image=report_image,
        ecs=_ecs(check, body["ecs"]) if body["ecs"] is not None else None,
        ec2=_ec2(check, body["ec2"]) if body["ec2"] is not None else None,
    )
    if remote.ec2 is not None and remote.image is None:
        raise check.error(
            "remote.image",
            "is missing",
            "the render image URI (stack output ImageUri) for remote.ec2",
        )
    return remote


def _ecs(check: _Checker, raw: Any) -> EcsSettings:
    required = {"cluster", "task_definition", "subnets", "security_groups"}
    body = {**_ECS_DEFAULTS}
    body.update(check.mapping(raw, "remote.ecs", required=required, allowed=required | set(body)))
    return EcsSettings(
        cluster=check.text(body["cluster"], "remote.ecs.cluster"),
        task_definition=check.text(body["task_definition"], "remote.ecs.task_definition"),
        container_name=check.text(body["container_name"], "remote.ecs.container_name"),
        subnets=check.id_list(
            body["subnets"], "remote.ecs.subnets", "subnet", "subnet IDs (subnet-...)"
        ),
        security_groups=check.id_list(
            body["security_groups"],
            "remote.ecs.security_groups",
            "sg",
            "security group IDs (sg-...)",
        ),
        assign_public_ip=check.boolean(body["assign_public_ip"], "remote.ecs.assign_public_ip"),
        log_stream_prefix=check.matching(
            body["log_stream_prefix"],
            "remote.ecs.log_stream_prefix",
            _STREAM_PREFIX,
            "a log stream prefix",
        ),
        deferrable=check.boolean(body["deferrable"], "remote.ecs.deferrable"),
        poll_seconds=check.integer(body["poll_seconds"], "remote.ecs.poll_seconds", 1, 3600),
        timeout_minutes=check.integer(
            body["timeout_minutes"], "remote.ecs.timeout_minutes", 1, 2880
        ),
        log_lines=check.integer(body["log_lines"], "remote.ecs.log_lines", 1, 500),
    )


def _ec2(check: _Checker, raw: Any) -> Ec2Settings:
    required = {"ami", "instance_profile", "subnet_id", "security_group_ids"}
    body = {**_EC2_DEFAULTS}
    body.update(check.mapping(raw, "remote.ec2", required=required, allowed=required | set(body)))
    tags = check.mapping(body["tags"], "remote.ec2.tags")
    for name, value in tags.items():
        where = f"remote.ec2.tags.{name}"
        if not isinstance(name, str) or not name or name.lower().startswith("aws:"):
            raise check.error(where, "is not a valid tag key", "a key not starting with aws:")
        if name == _WORKER_TAG_KEY:
            raise check.error(where, "is reserved", "another key (every render instance has it)")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise check.error(where, f"is {value!r}", "a string")
    profile = check.text(body["instance_profile"], "remote.ec2.instance_profile")
    if any(c.isspace() for c in profile):
        raise check.error("remote.ec2.instance_profile", f"is {profile!r}", "a name or ARN")
    return Ec2Settings(
        ami=check.matching(body["ami"], "remote.ec2.ami", _AWS_ID["ami"], "an AMI ID (ami-...)"),
        instance_type=check.matching(
            body["instance_type"],
            "remote.ec2.instance_type",
            _INSTANCE_TYPE,
            "an instance type (m6i.xlarge)",
        ),
        instance_profile=profile,
        subnet_id=check.matching(
            body["subnet_id"], "remote.ec2.subnet_id", _AWS_ID["subnet"], "a subnet ID (subnet-...)"
        ),
        security_group_ids=check.id_list(
            body["security_group_ids"],
            "remote.ec2.security_group_ids",
            "sg",
            "security group IDs (sg-...)",
        ),
        volume_size_gib=check.integer(
            body["volume_size_gib"], "remote.ec2.volume_size_gib", 8, 16384
        ),
        timeout_minutes=check.integer(
            body["timeout_minutes"], "remote.ec2.timeout_minutes", 1, 2880
        ),
        poll_seconds=check.integer(body["poll_seconds"], "remote.ec2.poll_seconds", 1, 3600),
        log_stream_prefix=check.matching(
            body["log_stream_prefix"],
            "remote.ec2.log_stream_prefix",
            _STREAM_PREFIX,
            "a log stream prefix",
        ),
        log_lines=check.integer(body["log_lines"], "remote.ec2.log_lines", 1, 500),
        tags=tuple(sorted((str(k), str(v)) for k, v in tags.items())),
        deferrable=check.boolean(body["deferrable"], "remote.ec2.deferrable"),
    )


def _satellites(check: _Checker, raw: Any, key: str) -> tuple[int, ...]:
    from landsat_ops.overpass import SATELLITE_START

    known = sorted(SATELLITE_START)
    if (
        not isinstance(raw, list)
        or not raw
        or any(isinstance(v, bool) or v not in SATELLITE_START for v in raw)
    ):
        raise check.error(key, f"is {raw!r}", f"a non-empty list from {known}")
    return tuple(sorted(set(raw)))


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


def _points(check: _Checker, raw: Any, key: str) -> tuple[Point, ...]:
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
