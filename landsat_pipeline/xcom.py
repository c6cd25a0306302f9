"""The shapes of the XCom values the pipeline's tasks pass on (IDs, URIs, small rows; no data).

Each is a ``TypedDict``: at run time a plain dict (what XCom stores and the tests read), typed
for the functions that produce and consume it.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "AreaReport",
    "AreaTable",
    "AreaTablePlots",
    "AssetSource",
    "CatalogUris",
    "Ec2JobExpected",
    "Ec2LaunchArguments",
    "Ec2ReportJob",
    "Ec2ReportResult",
    "EcsTaskArguments",
    "LandedBands",
    "LocalReportJob",
    "PublishedAssetExtra",
    "PublishedScene",
    "RenderedSet",
    "RunOutcome",
    "Scene",
    "SceneRunRequest",
    "SceneToSample",
    "ScenesToSample",
]


# -- landsat_pPPP_rRRR ------------------------------------------------------------------------
class AssetSource(TypedDict):
    """Where one asset of a scene can be read, as the catalog describes it (no credentials).

    ``hrefs`` are the candidates, best first: the asset's own href, then its ``alternate``
    hrefs (for LandsatLook, whose https hrefs need a USGS login, the ``s3`` alternate comes
    first). Signed URLs are never stored: Planetary Computer hrefs are signed at download time.
    """

    hrefs: list[str]
    requester_pays: NotRequired[list[bool]]
    """Per href: the asset's (or alternate's) ``storage:requester_pays``."""
    checksum: NotRequired[str]
    """The catalog's ``file:checksum`` (a sha2-256 or sha2-512 multihash, hex)."""
    size: NotRequired[int]
    """The catalog's ``file:size`` in bytes."""


class Scene(TypedDict):
    """The ``discover`` task's scene: IDs, dates and asset URIs (never data)."""

    scene_id: str
    """The canonical product ID (``LC08_L2SP_..._<processed>_02_T1``), from the asset file
    names, whatever the catalog's item id looks like: it keys landing and everything after."""
    item_id: NotRequired[str]
    """The catalog's own item id (Earth Search: no processing date; LandsatLook: ``_SR``)."""
    acquired: str
    """Acquisition time, ISO 8601 in UTC."""
    date: str
    """Acquisition day (UTC), ``YYYY-MM-DD``."""
    path: int
    row: int
    cloud_cover: float | None
    platform: str | None
    assets: dict[str, str]
    """Asset key -> href."""
    sources: NotRequired[dict[str, AssetSource]]
    """Asset key -> every href it can be read from, requester-pays flags and checksums."""


class RunOutcome(TypedDict):
    """What ``discover`` concluded (XCom key ``run_outcome``): the run note is made from it.

    ``landsat_pipeline.run_notes`` turns it, with the run's task states, into the run's note
    (shown in the UI's run list): published / no scene / cloudy / skipped / failed.
    """

    outcome: Literal["found", "no scene", "cloudy", "skipped", "failed"]
    scene_id: str | None
    reason: str
    """One line: why the run skipped or failed (empty when a scene was found)."""
    warnings: list[str]
    """Things a person should know about a found scene (e.g. above the cloud limit)."""


class LandedBands(TypedDict):
    """``upload_bands``: where the bands landed, and which were uploaded or already there."""

    landing_uri: str
    uploaded: list[str]
    skipped: list[str]
    downloaded: NotRequired[list[str]]
    """The files fetched from the source this time (the rest were already landed intact)."""


class RenderedSet(TypedDict):
    """``render_<backend>``: the scene's item, switched to the render's new version."""

    backend: Literal["local", "ecs", "ec2"]
    scene_id: str
    item_uri: str
    outputs: NotRequired[dict[str, Any]]
    """The local render's output files."""
    instance_ids: NotRequired[list[str]]
    """The ec2 backend's instance(s)."""


class CatalogUris(TypedDict):
    """The path/row's STAC collection, the root catalog and the gallery."""

    collection_uri: str
    catalog_uri: str
    gallery_uri: str


class PublishedScene(CatalogUris):
    """``publish``: the switched item, the version it names, the catalogs; what was written."""

    item_uri: str
    version: str
    """``<ID>/<version>``: the immutable folder of the published products."""
    copied: list[str]
    unchanged: list[str]


class PublishedAssetExtra(TypedDict):
    """The ``extra`` of the ``landsat://published/pPPP_rRRR`` asset event of one scene."""

    scene_id: str
    date: str
    path: int
    row: int
    item_uri: str
    catalog_uri: str


class EcsTaskArguments(TypedDict):
    """``prepare_ecs``: the contract command and ``RenderEcsTaskOperator``'s arguments."""

    command: list[str]
    cluster: str
    task_definition: str
    overrides: dict[str, Any]
    network_configuration: dict[str, Any]
    container_name: str
    awslogs_group: str
    awslogs_stream_prefix: str
    region_name: str
    aws_conn_id: str
    deferrable: bool
    waiter_delay: int
    waiter_max_attempts: int
    number_logs_exception: int
    tags: dict[str, str]


class Ec2JobExpected(TypedDict):
    """What an EC2 job must leave in the bucket (``Ec2JobSensor``'s ``expected``).

    ``render``: the complete product set of ``scene_id`` (``products``) under
    its published item; ``report``: every area's ``report.html``.
    """

    kind: Literal["render", "report"]
    scene_id: NotRequired[str]
    products: NotRequired[list[str]]
    item_key: NotRequired[str]
    """``render``: the scene's published item."""
    item_before: NotRequired[str | None]
    """``render``: the item's version token when the job was launched (None: absent)."""
    areas: NotRequired[list[str]]


class _Ec2Job(TypedDict):
    """What the EC2 create, wait and terminate tasks of one job share."""

    command: list[str]
    image_id: str
    config: dict[str, Any]
    """``EC2CreateInstanceOperator``'s ``config`` (user data included)."""
    region_name: str
    aws_conn_id: str
    bucket_uri: str
    bucket_conn_id: str
    status_key: str
    expected: Ec2JobExpected
    log_group: str
    log_stream_prefix: str
    log_lines: int
    poll_seconds: int
    timeout_minutes: int
    deferrable: bool


class Ec2LaunchArguments(_Ec2Job):
    """``prepare_ec2``: one scene's render instance, and what waiting for it needs."""

    status_uri: str


class Ec2ReportJob(_Ec2Job):
    """``prepare_report_ec2``: the report instance, and what waiting for it needs."""

    areas: list[str]


class Ec2ReportResult(TypedDict):
    """``wait_report_instance``: the instance(s) and the published ``report.html`` per area."""

    backend: Literal["ec2"]
    instance_ids: list[str]
    reports: dict[str, str]


# -- landsat_ndvi_timeseries ------------------------------------------------------------------
class SceneToSample(TypedDict):
    """One published scene a run samples (``list_scenes``, mapped over by ``sample_scene``)."""

    scene_id: str
    date: str
    path: int
    row: int
    area: str
    landing_uri: str


class ScenesToSample(TypedDict):
    """:func:`landsat_pipeline.analytics.scenes_to_sample`: the scenes and what was left out."""

    scenes: list[SceneToSample]
    areas: list[str]
    not_landed: list[str]
    areas_without_points: list[str]


class AreaTable(TypedDict):
    """``merge_table``: the area's table after the merge."""

    area: str
    table_csv: str
    table_parquet: str
    rows: int
    scenes: int
    points: list[str]
    merged_scenes: list[str]
    changed: bool


class AreaTablePlots(TypedDict):
    """``plot_table``: the area's plots."""

    area: str
    plot_timeseries: str
    plot_ndvi_vs_cloud: str


class LocalReportJob(TypedDict):
    """``prepare_report``: what the local report of one area reads and writes (then
    ``report_local`` adds ``executed_uri``, the executed notebook left for ``publish_report``)."""

    area: str
    bucket_uri: str
    bucket_conn_id: str
    table_key: str
    executed_key: str
    report_ipynb_key: str
    report_html_key: str
    parameters: dict[str, Any]
    """The notebook's parameters but the work folder's (``table_uri``, ``out_dir``)."""
    executed_uri: NotRequired[str]


class AreaReport(TypedDict):
    """``publish_report``: the executed notebook and its HTML, for one area."""

    area: str
    backend: Literal["local"]
    report_ipynb: str
    report_html: str


# -- landsat_reconcile ------------------------------------------------------------------------
class SceneRunRequest(TypedDict):
    """A run of a scenes DAG the reconcile asks for (``TriggerDagRunOperator``'s arguments)."""

    trigger_dag_id: str
    trigger_run_id: str
    conf: dict[str, str]
    """``{"scene_id": ...}``: the scenes DAG's ``scene_id`` Param."""
