"""The validated configuration: one frozen dataclass per section of the file.

:class:`PipelineConfig` is what :func:`~landsat_pipeline.config.load_config` returns; its
sections are :class:`CatalogSettings`, :class:`StorageSettings`, one :class:`Watch` per
path/row, the :class:`Area` groups and the optional :class:`RemoteSettings`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from landsat_ops.extent.polygons import NamedPolygon
from landsat_ops.points import Point
from landsat_pipeline.config.composites import CompositeSettings
from landsat_pipeline.errors import ConfigError

__all__ = [
    "CONFIG_ENV",
    "REMOTE_BACKENDS",
    "REMOTE_DOC",
    "RENDER_BACKENDS",
    "Area",
    "CatalogSettings",
    "Ec2Settings",
    "EcsSettings",
    "PipelineConfig",
    "RemoteSettings",
    "StorageSettings",
    "Watch",
    "missing_remote",
]

CONFIG_ENV = "LANDSAT_PIPELINE_CONFIG"
"""Environment variable naming the config file to use instead of the DAGs' default."""

RENDER_BACKENDS = ("local", "ecs", "ec2")
"""Where the render step may run. ``local``: in the Airflow worker; ``ecs``: one ECS Fargate task
per scene; ``ec2``: one throwaway EC2 instance per scene. The last two need ``remote``."""
REMOTE_BACKENDS = ("ecs", "ec2")
REMOTE_DOC = "docs/remote-backends.md"
"""Where each ``remote`` key is mapped to the CloudFormation stack output that fills it."""


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
    composites: CompositeSettings | None = None
    """Its composites and region mosaic (``composites``); None: the area has none."""
    polygons: tuple[NamedPolygon, ...] = ()
    """Its named polygons of interest for the snow/ice and water extent (``polygons``: a
    GeoJSON file, :mod:`landsat_ops.extent.polygons`); empty: the whole path/rows only."""


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
        missing = missing_remote(self.remote, backend)
        if missing:
            raise ConfigError(
                f"{self.source}: {missing} is missing (expected the {backend} render backend's "
                f"settings, filled from the CloudFormation stack outputs; see {REMOTE_DOC})"
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


def missing_remote(remote: RemoteSettings | None, backend: str) -> str | None:
    """The config key a remote ``backend`` lacks (``remote``, ``remote.ecs``...), or None."""
    if backend not in REMOTE_BACKENDS:
        return None
    if remote is None:
        return "remote"
    if getattr(remote, backend) is None:
        return f"remote.{backend}"
    return None
