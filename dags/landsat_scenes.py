"""Landsat 8/9 scenes of one WRS-2 path/row: discover -> upload bands -> render -> publish.

One DAG per path/row listed in `dags/config/areas.yaml`, named `landsat_pPPP_rRRR`. It runs
once per real Landsat 8 (and 9) overpass of that path/row (`WRS2OverpassTimetable`: 16 days
apart per satellite, 8 with both, on the acquisition's UTC day); each run's data interval is
the acquisition's UTC day. Each run ends with a note saying what it did (published / no scene /
cloudy / skipped / failed, with the scene ID: `landsat_pipeline.run_notes`).

Tasks (XCom holds IDs and URIs, never data nor credentials):

1. `discover`: searches the STAC catalog for the interval's scene. Found: on to the upload
   (a scene above the cloud limit skips the run). Missing and past its availability window
   (`wait_for_scene_hours` after the acquisition day): the run is skipped at once. Missing
   and inside the window: the wait is deferred to the triggerer (no worker slot) until the
   scene appears or the window ends. A run conf key that is not a Param (a typo) fails it at
   once; a scene asked for by `scene_id` is processed even above the cloud limit, with a
   warning in the log and the run note.
   XCom: scene ID, acquisition date, path/row, cloud cover, asset hrefs; `run_outcome`.
2. `upload_bands`: lands B1-B5, B7, QA_PIXEL and the MTL under `landing/<ID>/`; files already
   there with the same checksum are skipped. XCom: landing URI, uploaded and skipped names.
3. `choose_render`: branches on the `render_backend` Param to the first task of that backend;
   goes straight to `publish` when the scene is already published complete by this landsat_ops
   version with these settings (unless the `force_render` Param is set).
4. One render backend renders true colour, false colour (B7/B5/B1), NDVI and histograms of
   `landing/<ID>/` into a new immutable version, `published/<PPP>/<RRR>/<DATE>/<ID>/<version>/`,
   and switches the scene's item `published/<PPP>/<RRR>/<DATE>/<ID>.json` to it (one
   conditional write; the same render twice writes nothing; docs/architecture.md):
   - `local`: `render_local` renders in the worker (pool `landsat_render`).
   - `ecs`: `prepare_ecs` builds the container command and the `run_task` arguments from the
     config's `remote` section; `render_ecs` runs one ECS Fargate task (the provider's
     `EcsRunTaskOperator`: deferrable, reattaching, its CloudWatch logs in the task log) and
     fails with the container's last log lines if it exits non-zero.
   - `ec2`: `prepare_ec2` builds the instance's config and user data; `launch_ec2` starts one
     instance that runs the render image once and terminates itself when done or after a hard
     timeout; `render_ec2` waits for the switched item (failing fast on a non-zero exit code);
     the teardown `terminate_ec2` terminates the instance whatever happened.
   A remote launch is skipped when the item already names the complete set of this config (a
   retry after a render that succeeded). XCom of `render_<backend>`: the item's URI.
5. `publish` (joins the branch: runs unless something failed): checks the set the item names,
   links the item to its collection, rebuilds the path/row's STAC collection, the root
   `catalog.json` and the `index.html` gallery (pool `landsat_publish`, one at a time) and
   emits the Asset. XCom: item, version, collection, catalog and gallery URIs.

Asset: `landsat://published/pPPP_rRRR` (name `landsat_pPPP_rRRR`), one event per published
scene with extra `scene_id`, `date`, `path`, `row`, `item_uri`, `catalog_uri`. Schedule a
downstream DAG on it with `schedule=[Asset("landsat://published/p226_r010")]`.

Every key derives from the scene: re-running a logical date changes no object. Backfill:
`airflow backfill create --dag-id landsat_p226_r010 --from-date 2013-04-11 --to-date
2024-12-31 --max-active-runs 2` or the UI's "Backfill" button (see docs/airflow.md).
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pendulum
from airflow.providers.amazon.aws.operators.ec2 import (
    EC2CreateInstanceOperator,
    EC2TerminateInstanceOperator,
)
from airflow.sdk import Asset, Param, TriggerRule, dag, task

from landsat_pipeline.config import (
    RENDER_BACKENDS,
    CatalogSettings,
    PipelineConfig,
    Watch,
    config_path,
    load_config,
)
from landsat_pipeline.errors import fail_on_config_error
from landsat_pipeline.keys import published_asset_name, published_asset_uri
from landsat_pipeline.operators.ecs import RenderEcsTaskOperator
from landsat_pipeline.sensors.ec2 import Ec2JobSensor
from landsat_pipeline.sensors.scene import LandsatSceneSensor
from landsat_pipeline.timetables import WRS2OverpassTimetable
from landsat_pipeline.xcom import (
    Ec2LaunchArguments,
    EcsTaskArguments,
    LandedBands,
    PublishedScene,
    RenderedSet,
    Scene,
)

if TYPE_CHECKING:
    from landsat_ops.storage import Store

CONFIG_PATH = str(config_path(Path(__file__).parent / "config" / "areas.yaml"))
RENDER_POOL = "landsat_render"
PUBLISH_POOL = "landsat_publish"
RENDER_TASKS = {backend: f"render_{backend}" for backend in RENDER_BACKENDS}
"""Render backend -> the task whose success means the set is staged (``publish`` joins them)."""
FIRST_TASKS = {"local": "render_local", "ecs": "prepare_ecs", "ec2": "prepare_ec2"}
"""Render backend -> the first task of its chain; ``choose_render`` follows one of them."""

log = logging.getLogger(__name__)


def published_asset(path: int, row: int) -> Asset:
    """The Asset updated each time a scene of this path/row is published."""
    return Asset(
        uri=published_asset_uri(path, row),
        name=published_asset_name(path, row),
        extra={"path": path, "row": row},
    )


def _bucket() -> tuple[PipelineConfig, Store, object | None]:
    """The config (read at run time) and its bucket; a config error fails the task at once."""
    from landsat_pipeline.hooks.bucket import open_bucket

    with fail_on_config_error():
        config = load_config(CONFIG_PATH)
    store, client = open_bucket(config.storage.root, config.storage.aws_conn_id)
    return config, store, client


def _skip_if_published(context) -> None:
    """Before a remote launch: skip it when the scene's item already names the complete set
    this config renders (a previous try published it), unless the run forces a render."""
    from airflow.sdk.exceptions import AirflowSkipException

    from landsat_pipeline.render_jobs import published_set_reason

    if (context.get("params") or {}).get("force_render"):
        return
    scene: Scene = context["ti"].xcom_pull(task_ids="discover")
    config, store, _ = _bucket()
    with fail_on_config_error():
        watch_now = config.watch(scene["path"], scene["row"])
    reason = published_set_reason(store, scene, watch_now.products, watch_now.percentiles)
    if reason:
        log.info("Skipping: %s", reason)
        raise AirflowSkipException(reason)


def _catalog() -> CatalogSettings:
    """Template macro ``landsat_catalog()``: the config's catalog section, read at run time."""
    with fail_on_config_error():
        return load_config(CONFIG_PATH).catalog


def build_dag(watch: Watch, *, ec2_backend: bool = False):
    """The DAG of one watched path/row; with its ec2 tasks when ``ec2_backend`` (remote.ec2 set).

    The ec2 chain ends in a teardown (``terminate_ec2``). Airflow leaves a run that is marked
    failed with a teardown still pending to the scheduler, which then judges the run by its last
    tasks, which the mark set to skipped: "Mark Dag Run as failed" on a waiting run would end
    with the run marked success (issue 11; docs/airflow.md). Deployments without remote.ec2
    cannot run that chain anyway, so their DAGs do not have it and a mark fails the run.
    """
    asset = published_asset(watch.path, watch.row)

    def watch_settings() -> Watch:
        """Template macro ``landsat_watch()``: this path/row's settings, read at run time."""
        with fail_on_config_error():
            return load_config(CONFIG_PATH).watch(watch.path, watch.row)

    @dag(
        dag_id=watch.dag_id,
        description=(
            f"Landsat {'/'.join(map(str, watch.satellites))} scenes of {watch.title} "
            f"(WRS-2 {watch.path_row})"
        ),
        doc_md=__doc__,
        schedule=WRS2OverpassTimetable(
            watch.path,
            watch.row,
            availability_delay=watch.availability_delay,
            satellites=watch.satellites,
        ),
        start_date=pendulum.datetime(
            watch.start_date.year, watch.start_date.month, watch.start_date.day, tz="UTC"
        ),
        catchup=watch.catchup,
        user_defined_macros={"landsat_catalog": _catalog, "landsat_watch": watch_settings},
        max_active_runs=watch.max_active_runs,
        tags=["landsat", f"area:{watch.area}", f"wrs2:{watch.path:03d}/{watch.row:03d}"],
        default_args={
            "owner": "landsat-ops",
            "retries": watch.retries,
            "retry_delay": watch.retry_delay,
            "retry_exponential_backoff": True,
            "max_retry_delay": datetime.timedelta(hours=1),
        },
        params={
            "render_backend": Param(
                watch.render_backend,
                type="string",
                enum=list(RENDER_BACKENDS),
                description=(
                    "Where the render step runs: local (in the Airflow worker), ecs (an ECS "
                    "Fargate task) or ec2 (a throwaway EC2 instance); ecs and ec2 need the "
                    "config's remote section."
                ),
            ),
            "force_render": Param(
                False,
                type="boolean",
                description="Render again even when the scene is already published complete.",
            ),
            "scene_id": Param(
                None,
                type=["null", "string"],
                description=(
                    "Process this scene (a product ID of this path/row, e.g. "
                    "LC08_L1TP_226010_20240628_20240708_02_T1) instead of the run's overpass. "
                    "To re-render one scene from the UI: Trigger, leave the logical date empty, "
                    "set scene_id and force_render. A scene named here is processed even above "
                    "the cloud limit, with a warning in the log and the run note."
                ),
            ),
        },
    )
    def landsat_scenes():
        # The search settings are read from the config when the task runs (templates of the
        # macros below), so that an edited catalog or cloud limit applies to the next poke.
        discover = LandsatSceneSensor(
            task_id="discover",
            catalog_url="{{ landsat_catalog().url }}",
            collection="{{ landsat_catalog().collection or '' }}",
            satellites=watch.satellites,
            path=watch.path,
            row=watch.row,
            max_cloud_cover="{{ landsat_watch().max_cloud_cover }}",
            area=watch.area,
            max_retries="{{ landsat_catalog().max_retries }}",
            timeout_seconds="{{ landsat_catalog().timeout_seconds }}",
            page_limit="{{ landsat_catalog().page_limit }}",
            available_within="{{ landsat_watch().wait_for_scene.total_seconds() }}",
            scene_id="{{ params.scene_id or '' }}",
            deferrable=watch.deferrable_waits,
            mode="reschedule",
            poke_interval=watch.poke_interval.total_seconds(),
            doc_md=(
                "Find the interval's scene in the STAC catalog; wait (in the triggerer) while "
                "its availability window is open; skip once it has ended."
            ),
        )
        scene = discover.output

        @task(execution_timeout=datetime.timedelta(hours=2))
        def upload_bands(scene: Scene) -> LandedBands:
            """Land B1-B5, B7, QA and MTL under landing/<ID>/, checked; intact ones: skipped."""
            from landsat_pipeline.landing import land_scene
            from landsat_pipeline.sources.errors import SourceRefused

            config, store, _ = _bucket()
            with fail_on_config_error(SourceRefused):  # the policy refuses it on every try
                return land_scene(scene, store, sources=config.catalog.source_options())

        @task.branch
        def choose_render(scene: Scene, params: dict | None = None) -> str:
            """Follow the render task of the render_backend Param, or skip to publish."""
            from landsat_pipeline.publishing import published_status

            backend = params["render_backend"]
            if backend not in RENDER_TASKS:
                raise ValueError(f"render_backend {backend!r}: expected one of {RENDER_BACKENDS}")
            if not params["force_render"]:
                config, store, _ = _bucket()
                with fail_on_config_error():
                    watch_now = config.watch(scene["path"], scene["row"])
                done, why = published_status(
                    store,
                    scene,
                    products=watch_now.products,
                    percentiles=watch_now.percentiles,
                )
                if done:
                    log.info("Not rendering %s again: %s", scene["scene_id"], why)
                    return "publish"
                log.info("Rendering %s with backend %r: %s", scene["scene_id"], backend, why)
            else:
                log.info("Rendering %s with backend %r: force_render", scene["scene_id"], backend)
            if backend == "ec2" and not ec2_backend:
                from airflow.sdk.exceptions import AirflowFailException

                raise AirflowFailException(
                    "render_backend 'ec2' needs the config's remote.ec2 section; this DAG was "
                    "loaded without it (the ec2 tasks appear once it is set, see "
                    "docs/remote-backends.md)"
                )
            return FIRST_TASKS[backend]

        @task(
            task_id=RENDER_TASKS["local"],
            pool=RENDER_POOL,
            queue=watch.render_queue,
            execution_timeout=datetime.timedelta(hours=3),
        )
        def render_local(scene: Scene, landed: LandedBands) -> RenderedSet:
            """Render in this worker: landing/<ID>/ -> a new version of the scene's products
            under published/, and the scene's item switched to it (landsat_ops)."""
            from landsat_ops.render import render_scene
            from landsat_pipeline.keys import published_prefix
            from landsat_pipeline.render_jobs import render_polygons

            config, store, client = _bucket()
            with fail_on_config_error():
                watch_now = config.watch(scene["path"], scene["row"])
            result = render_scene(
                landed["landing_uri"],
                store.uri(published_prefix(scene["path"], scene["row"], scene["date"])),
                products=watch_now.products,
                percentiles=watch_now.percentiles,
                preview_size=watch_now.preview_size,
                s3_client=client,
                **render_polygons(config, scene["path"], scene["row"]),  # the extent's
            )
            return {
                "backend": "local",
                "scene_id": result.scene_id,
                "item_uri": result.item_uri,
                "outputs": result.outputs,
            }

        @task(
            pool=PUBLISH_POOL,
            outlets=[asset],
            trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS,
        )
        def publish(scene: Scene, **context) -> PublishedScene:
            """Check the switched item and its set, link it, refresh catalogs, emit the Asset."""
            from landsat_pipeline.publishing import publish_scene

            config, store, _ = _bucket()
            with fail_on_config_error():
                watch_now = config.watch(scene["path"], scene["row"])
            result = publish_scene(store, scene, title=watch_now.title)
            context["outlet_events"][asset].extra = {
                "scene_id": scene["scene_id"],
                "date": scene["date"],
                "path": scene["path"],
                "row": scene["row"],
                "item_uri": result["item_uri"],
                "catalog_uri": result["catalog_uri"],
            }
            return result

        # -- ecs: one Fargate task per scene --------------------------------------------------
        @task(multiple_outputs=True)
        def prepare_ecs(scene: Scene, landed: LandedBands) -> EcsTaskArguments:
            """The container command and run_task arguments of this scene (config remote.ecs)."""
            from landsat_pipeline.render_jobs import ecs_task_arguments

            config, store, _ = _bucket()
            with fail_on_config_error():
                return ecs_task_arguments(config, store, scene, landed["landing_uri"])

        # -- ec2: one throwaway instance per scene ---------------------------------------------
        @task(multiple_outputs=True)
        def prepare_ec2(scene: Scene, landed: LandedBands) -> Ec2LaunchArguments:
            """The instance config (user data: the command) of this scene (config remote.ec2)."""
            from landsat_pipeline.render_jobs import ec2_launch_arguments

            config, store, _ = _bucket()
            with fail_on_config_error():
                return ec2_launch_arguments(config, store, scene, landed["landing_uri"])

        landed = upload_bands(scene)
        route = choose_render(scene)
        rendered = render_local(scene, landed)
        published = publish(scene)

        # The remote operators take their arguments from prepare_<backend>'s XCom: the config's
        # remote section is read at run time, so the DAG loads (and local works) without it.
        ecs = prepare_ecs(scene, landed)
        render_ecs = RenderEcsTaskOperator(
            task_id=RENDER_TASKS["ecs"],
            pre_launch=_skip_if_published,
            launch_type="FARGATE",
            reattach=True,
            cluster=ecs["cluster"],
            task_definition=ecs["task_definition"],
            overrides=ecs["overrides"],
            network_configuration=ecs["network_configuration"],
            tags=ecs["tags"],
            container_name=ecs["container_name"],
            awslogs_group=ecs["awslogs_group"],
            awslogs_region=ecs["region_name"],
            awslogs_stream_prefix=ecs["awslogs_stream_prefix"],
            number_logs_exception=ecs["number_logs_exception"],
            aws_conn_id=ecs["aws_conn_id"],
            region_name=ecs["region_name"],
            deferrable=ecs["deferrable"],
            waiter_delay=ecs["waiter_delay"],
            waiter_max_attempts=ecs["waiter_max_attempts"],
            doc_md="Run the render image as one ECS Fargate task: landing/<ID>/ -> staging/<ID>/.",
        )

        landed >> route >> [rendered, ecs, published]
        [rendered, render_ecs] >> published
        if ec2_backend:
            ec2 = prepare_ec2(scene, landed)
            launch_ec2 = EC2CreateInstanceOperator(
                task_id="launch_ec2",
                pre_execute=_skip_if_published,
                image_id=ec2["image_id"],
                config=ec2["config"],
                aws_conn_id=ec2["aws_conn_id"],
                region_name=ec2["region_name"],
                doc_md="Start the instance that renders the scene once, then terminates itself.",
            )
            render_ec2 = Ec2JobSensor(
                task_id=RENDER_TASKS["ec2"],
                instance_ids=launch_ec2.output,
                status_key=ec2["status_key"],
                expected=ec2["expected"],
                bucket_uri=ec2["bucket_uri"],
                bucket_conn_id=ec2["bucket_conn_id"],
                aws_conn_id=ec2["aws_conn_id"],
                region_name=ec2["region_name"],
                log_group=ec2["log_group"],
                log_stream_prefix=ec2["log_stream_prefix"],
                log_lines=ec2["log_lines"],
                poll_seconds=ec2["poll_seconds"],
                timeout_minutes=ec2["timeout_minutes"],
                deferrable=ec2["deferrable"],
                mode="reschedule",
                doc_md=(
                    "Wait for the instance's product set in staging/<ID>/; fail on its exit code."
                ),
            )
            terminate_ec2 = EC2TerminateInstanceOperator(
                task_id="terminate_ec2",
                instance_ids=launch_ec2.output,
                aws_conn_id=ec2["aws_conn_id"],
                region_name=ec2["region_name"],
                doc_md="Teardown: terminate the render instance, whatever happened to the render.",
            )
            (
                launch_ec2
                >> render_ec2
                >> terminate_ec2.as_teardown(setups=launch_ec2, on_failure_fail_dagrun=True)
            )

            scene >> render_ec2  # waits for this scene's set (named in prepare_ec2's XCom)
            landed >> route >> ec2
            render_ec2 >> published

    return landsat_scenes()


_config = load_config(CONFIG_PATH)
for _watch in _config.watches:
    globals()[_watch.dag_id] = build_dag(
        _watch, ec2_backend=_config.remote is not None and _config.remote.ec2 is not None
    )


if __name__ == "__main__":
    # python dags/landsat_scenes.py [YYYY-MM-DD]: one run of the first watched path/row for the
    # overpass of that UTC day (default: the latest overpass), in-process.
    import sys

    _dag = globals()[load_config(CONFIG_PATH).watches[0].dag_id]
    if len(sys.argv) > 1:
        _day = datetime.date.fromisoformat(sys.argv[1])
        _dag.test(logical_date=datetime.datetime.combine(_day, datetime.time.max, datetime.UTC))
    else:
        _dag.test()
