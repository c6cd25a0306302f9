"""NDVI at the points of interest of every published Landsat scene: one table per area.

Runs when any watched path/row publishes a scene (its Asset `landsat://published/pPPP_rRRR`,
emitted by the `landsat_pPPP_rRRR` DAG), and on demand for a date range.

Tasks (XCom holds scene IDs, URIs and the small sample rows, never rasters nor credentials):

1. `list_scenes`: the scenes to sample.
   * Asset-triggered run: the scenes named by the triggering asset events (an event without a
     `scene_id` stands for every published scene of its path/row). Only the new scenes are
     sampled; re-sampling the whole archive on every new scene would cost one mapped task per
     archived scene (about 23 a year per path/row) for nothing, as the table keeps the rest.
   * Manual run: every published scene of the `area` Param's path/rows (default: all areas)
     acquired from `start` to `end` (default: the whole archive), from the path/row's STAC
     collection `published/<PPP>/<RRR>/collection.json`. Use it after changing an area's points.
   Bands are read from `landing/<ID>/`; published scenes whose bands are gone are logged and
   left out. `list_areas`: the areas of those scenes.
2. `sample_scene`: one mapped task per scene (pool `landsat_sampling`, retried): every point of
   the scene's area, NDVI and QA cloud counts from a 3x3 window
   (`landsat_ops.sampling.sample_scene`: only those windows of B4, B5 and QA are read, also on
   S3). XCom: one row per point.
3. `merge_table`: one mapped task per area (only one task writes an area's table, and
   `max_active_runs=1` keeps two runs from merging at once): merges the rows into
   `published/analytics/<area>/ndvi_timeseries.csv` and `.parquet`. A re-sampled scene replaces
   its rows, never duplicates them; rows of points no longer configured are dropped.
4. `plot_table`: `ndvi_timeseries.png` (NDVI over time per point, cloudy samples hollow) and
   `ndvi_vs_cloud.png`, next to the table.
5. The snow/ice and water extent (docs/extent.md), beside 1-4 on the same published scenes:
   `list_extent_scenes` (every chosen area, with or without points; scenes whose green, NIR,
   SWIR1 and QA bands are not all under `landing/<ID>/` are logged and left out) ->
   `measure_extent`, one mapped task per scene (pool `landsat_sampling`: the path/row and the
   area's `polygons`, `landsat_ops.extent.measure_scene`, strips read in place) ->
   `merge_extent`, one per area (`published/analytics/<area>/extent.csv` and `.parquet`) ->
   `plot_extent` (`extent.png`, area over time per region, and the gallery page `extent.html`).
6. `choose_report` (after the NDVI plots and the extent pages, whichever ran) branches on the
   `report_backend` Param:
   * `local`, three mapped tasks per area (`landsat_pipeline.report_jobs`):
     `prepare_report` (the area's keys and notebook parameters, from the config) ->
     `report_local` (papermill on `reports/area_report.ipynb` in the worker, on a copy of the
     table; the executed notebook left under `staging/analytics/_executed/<run>/<area>/`) ->
     `publish_report` (`report.ipynb`, outputs kept, and `report.html` next to the table). Only
     `prepare_report` reads the config; the others take explicit, templated arguments.
     papermill (and its numpy/pyarrow/cloud handlers) is imported when the task runs, not on
     parse.
   * `ec2`: `prepare_report_ec2` -> `create_report_instance` -> `wait_report_instance`, with the
     teardown `terminate_report_instance` (runs whatever happened): one throwaway instance that
     runs papermill in the report image through `landsat-ops sync-run`, terminates itself
     when done or after a hard timeout (`landsat_pipeline.remote`). Instance settings come from the
     config's `remote`/`remote.ec2` (those of the ec2 render backend) at run time, the image
     from `remote.report_image` or `$LANDSAT_PIPELINE_REPORT_IMAGE` (docs/analytics.md). These
     tasks are in the DAG only when the config has `remote.ec2`: a pending teardown makes
     Airflow leave a run marked failed to the scheduler, which would end it success
     (docs/airflow.md, "Stopping a run").

Tables, plots and the template are rewritten only when their bytes change. Points of interest
are `areas.<name>.points` in `dags/config/areas.yaml`, extent polygons `areas.<name>.polygons`.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

import pendulum
from airflow.providers.amazon.aws.operators.ec2 import (
    EC2CreateInstanceOperator,
    EC2TerminateInstanceOperator,
)
from airflow.sdk import AssetAny, Param, dag, task

from landsat_pipeline.analytics import SAMPLE_RADIUS
from landsat_pipeline.area_dags import (
    area_default_args,
    area_param,
    published_assets,
)
from landsat_pipeline.config import PipelineConfig, config_path, load_config
from landsat_pipeline.errors import AnalyticsError, fail_on_config_error
from landsat_pipeline.report_jobs import REPORT_BACKENDS
from landsat_pipeline.sensors.ec2 import Ec2JobSensor
from landsat_pipeline.xcom import (
    AreaReport,
    AreaTable,
    AreaTablePlots,
    Ec2ReportJob,
    LocalReportJob,
    SceneToSample,
)

CONFIG_PATH = str(config_path(Path(__file__).parent / "config" / "areas.yaml"))
REPORT_NOTEBOOK = str(Path(__file__).resolve().parent.parent / "reports" / "area_report.ipynb")
SAMPLING_POOL = "landsat_sampling"

log = logging.getLogger(__name__)


def _config() -> PipelineConfig:
    """The config, read at run time; a config error fails the task at once."""
    with fail_on_config_error():
        return load_config(CONFIG_PATH)


def _events(triggering_asset_events) -> list[dict]:
    """The ``extra`` of a run's triggering asset events, each with its ``asset_uri``."""
    return [
        {**(event.extra or {}), "asset_uri": event.asset.uri}
        for asset_events in (triggering_asset_events or {}).values()
        for event in asset_events
    ]


_parsed = load_config(CONFIG_PATH)
_assets = published_assets(_parsed)
_ec2_reports = _parsed.remote is not None and _parsed.remote.ec2 is not None


@dag(
    dag_id="landsat_ndvi_timeseries",
    description="NDVI at points of interest across all published Landsat scenes, per area",
    doc_md=__doc__,
    # Any of the path/rows (AssetAny): a plain list of assets would wait for all of them.
    schedule=AssetAny(*_assets),
    start_date=pendulum.datetime(2013, 4, 11, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # one merge of an area's table at a time
    tags=["landsat", "analytics", *sorted(f"area:{a.name}" for a in _parsed.areas)],
    default_args=area_default_args(_parsed),
    params={
        "area": area_param(_parsed.areas, "Only this area (default: every area with points)."),
        "start": Param(
            None,
            type=["null", "string"],
            format="date",
            description="First acquisition date YYYY-MM-DD (manual runs; default: unbounded).",
        ),
        "end": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Last acquisition date YYYY-MM-DD (manual runs; default: unbounded).",
        ),
        "report_backend": Param(
            "local",
            type="string",
            enum=list(REPORT_BACKENDS),
            description="Where the report notebook runs (local: in the Airflow worker).",
        ),
    },
)
def landsat_ndvi_timeseries():
    @task
    def list_scenes(
        params: dict | None = None, triggering_asset_events=None
    ) -> list[SceneToSample]:
        """The scenes to sample: the triggering events' scenes, or a date range (Params)."""
        from landsat_pipeline.analytics import scenes_to_sample
        from landsat_pipeline.hooks.bucket import open_bucket

        events = _events(triggering_asset_events)
        config = _config()
        store, _ = open_bucket(config.storage.root, config.storage.aws_conn_id)
        with fail_on_config_error(AnalyticsError):  # bad Params: a retry cannot help
            chosen = scenes_to_sample(
                config,
                store,
                area=params.get("area"),
                start=params.get("start"),
                end=params.get("end"),
                events=events,
            )
        log.info(
            "%d scenes to sample (%s) in areas %s; published but not landed: %s",
            len(chosen["scenes"]),
            f"{len(events)} asset events" if events else "date range",
            chosen["areas"],
            chosen["not_landed"] or "none",
        )
        return chosen["scenes"]

    @task
    def list_areas(scenes: list[SceneToSample]) -> list[str]:
        """The areas whose tables this run updates (one merge task each)."""
        return sorted({scene["area"] for scene in scenes})

    @task(
        pool=SAMPLING_POOL,
        execution_timeout=datetime.timedelta(minutes=30),
        map_index_template="{{ task.op_kwargs['scene']['scene_id'] }}",
    )
    def sample_scene(scene: SceneToSample) -> list[dict]:
        """NDVI and QA cloud counts at the area's points in one scene (windows only)."""
        from landsat_pipeline.analytics import sample_landed_scene

        config = _config()
        with fail_on_config_error():
            return sample_landed_scene(scene, config, radius=SAMPLE_RADIUS)

    @task(map_index_template="{{ task.op_kwargs['area'] }}")
    def merge_table(area: str, samples) -> AreaTable:
        """Merge the samples into the area's table (CSV + Parquet); one task per area."""
        from landsat_pipeline.analytics import merge_area_table

        config = _config()
        with fail_on_config_error():
            return merge_area_table(config, area, samples)

    @task(map_index_template="{{ task.op_kwargs['table']['area'] }}")
    def plot_table(table: AreaTable) -> AreaTablePlots:
        """NDVI over time per point and NDVI against cloud cover, next to the table."""
        from landsat_pipeline.analytics import plot_area_table

        config = _config()
        with fail_on_config_error():
            return plot_area_table(config, table["area"])

    @task
    def list_extent_scenes(
        params: dict | None = None, triggering_asset_events=None
    ) -> list[SceneToSample]:
        """The scenes whose snow/ice and water extent to measure (every area)."""
        from landsat_pipeline.analytics_extent import EXTENT_LANDED, scenes_to_measure
        from landsat_pipeline.hooks.bucket import open_bucket

        events = _events(triggering_asset_events)
        config = _config()
        store, _ = open_bucket(config.storage.root, config.storage.aws_conn_id)
        with fail_on_config_error(AnalyticsError):
            chosen = scenes_to_measure(
                config,
                store,
                area=params.get("area"),
                start=params.get("start"),
                end=params.get("end"),
                events=events,
            )
        log.info(
            "%d scenes to measure in areas %s; published without %s landed: %s",
            len(chosen["scenes"]),
            chosen["areas"],
            "/".join(EXTENT_LANDED),
            chosen["not_landed"] or "none",
        )
        return chosen["scenes"]

    @task
    def list_extent_areas(scenes: list[SceneToSample]) -> list[str]:
        """The areas whose extent tables this run updates."""
        return sorted({scene["area"] for scene in scenes})

    @task(
        pool=SAMPLING_POOL,
        execution_timeout=datetime.timedelta(minutes=30),
        map_index_template="{{ task.op_kwargs['scene']['scene_id'] }}",
    )
    def measure_extent(scene: SceneToSample) -> list[dict]:
        """Snow/ice and water areas of one scene over its path/row and the area's polygons."""
        from landsat_ops.extent import PolygonError
        from landsat_pipeline.analytics_extent import measure_landed_scene

        config = _config()
        with fail_on_config_error(PolygonError):  # a polygon off the path/row: fix the config
            return measure_landed_scene(scene, config)

    @task(map_index_template="{{ task.op_kwargs['area'] }}")
    def merge_extent(area: str, measured) -> dict:
        """Merge the measured rows into the area's extent table (CSV + Parquet)."""
        from landsat_pipeline.analytics_extent import merge_extent_table

        config = _config()
        with fail_on_config_error():
            return merge_extent_table(config, area, measured)

    @task(map_index_template="{{ task.op_kwargs['table']['area'] }}")
    def plot_extent(table: dict) -> dict:
        """The area's extent over time (extent.png) and its gallery page (extent.html)."""
        from landsat_pipeline.analytics_extent import publish_extent_page

        config = _config()
        with fail_on_config_error():
            return publish_extent_page(config, table["area"])

    # After the NDVI plots and the extent pages, whichever ran (an area may have only one).
    @task.branch(trigger_rule="none_failed_min_one_success")
    def choose_report(params: dict | None = None) -> str:
        """Follow the report task of the report_backend Param."""
        backend = params["report_backend"]
        if backend == "local":
            return "prepare_report"
        if backend == "ec2":
            if not _ec2_reports:
                from airflow.sdk.exceptions import AirflowFailException

                raise AirflowFailException(
                    "report_backend 'ec2' needs the config's remote.ec2 section; this DAG was "
                    "loaded without it (the ec2 tasks appear once it is set)"
                )
            return "prepare_report_ec2"
        raise ValueError(f"report_backend {backend!r}: expected one of {REPORT_BACKENDS}")

    @task(map_index_template="{{ task.op_kwargs['area'] }}")
    def prepare_report(area: str, run_id: str | None = None) -> LocalReportJob:
        """The area's table, report keys and notebook parameters (the config's, at run time)."""
        from landsat_pipeline.report_jobs import local_report_job

        config = _config()
        with fail_on_config_error():
            return local_report_job(config, area, run_id=run_id)

    @task(
        execution_timeout=datetime.timedelta(minutes=30),
        map_index_template="{{ task.op_kwargs['job']['area'] }}",
    )
    def report_local(
        job: LocalReportJob,
        notebook: str = REPORT_NOTEBOOK,
        parameters: dict | None = None,
        kernel_name: str = "python3",
    ) -> LocalReportJob:
        """Execute the report notebook with papermill in the worker; leave it for publishing."""
        from landsat_pipeline.report_jobs import run_report_notebook

        return run_report_notebook(job, notebook, parameters=parameters, kernel_name=kernel_name)

    @task(map_index_template="{{ task.op_kwargs['job']['area'] }}")
    def publish_report(job: LocalReportJob) -> AreaReport:
        """Publish the executed notebook and its HTML next to the area's table."""
        from landsat_pipeline.report_jobs import publish_local_report

        return publish_local_report(job)

    @task(multiple_outputs=True)
    def prepare_report_ec2(areas: list, run_id: str | None = None) -> Ec2ReportJob:
        """Read the ec2 settings, upload the template; the instance's image, config, status."""
        from landsat_pipeline.report_jobs import prepare_ec2_report

        config = _config()
        with fail_on_config_error():
            return prepare_ec2_report(config, list(areas), run_id=run_id, notebook=REPORT_NOTEBOOK)

    scenes = list_scenes()
    areas = list_areas(scenes)
    sampled = sample_scene.expand(scene=scenes)
    merged = merge_table.partial(samples=sampled).expand(area=areas)
    plotted = plot_table.expand(table=merged)
    extent_scenes = list_extent_scenes()
    measured = measure_extent.expand(scene=extent_scenes)
    merged_extent = merge_extent.partial(measured=measured).expand(
        area=list_extent_areas(extent_scenes)
    )
    pages = plot_extent.expand(table=merged_extent)
    route = choose_report()
    [plotted, pages] >> route

    local_jobs = prepare_report.expand(area=areas)
    route >> local_jobs
    publish_report.expand(job=report_local.expand(job=local_jobs))
    if _ec2_reports:
        job = prepare_report_ec2(areas)
        create = EC2CreateInstanceOperator(
            task_id="create_report_instance",
            aws_conn_id=job["aws_conn_id"],
            image_id=job["image_id"],
            region_name=job["region_name"],
            config=job["config"],
            retries=0,  # a retry must not start a second instance; rerun the whole report instead
        )
        waited = Ec2JobSensor(
            task_id="wait_report_instance",
            instance_ids=create.output,
            status_key=job["status_key"],
            expected=job["expected"],
            bucket_uri=job["bucket_uri"],
            bucket_conn_id=job["bucket_conn_id"],
            aws_conn_id=job["aws_conn_id"],
            region_name=job["region_name"],
            log_group=job["log_group"],
            log_stream_prefix=job["log_stream_prefix"],
            log_lines=job["log_lines"],
            poll_seconds=job["poll_seconds"],
            timeout_minutes=job["timeout_minutes"],
            deferrable=job["deferrable"],
            mode="reschedule",
            retries=0,  # the instance that could have reported is gone
        )
        terminate = EC2TerminateInstanceOperator(
            task_id="terminate_report_instance",
            aws_conn_id=job["aws_conn_id"],
            instance_ids=create.output,
            region_name=job["region_name"],
        )
        # No on_failure_fail_dagrun: it would make the teardown the run's leaf, and a failed wait
        # would end the run "success". Should termination fail, the instance still powers itself
        # off at its hard timeout.
        create >> waited >> terminate.as_teardown(setups=create)
        route >> job


ndvi_timeseries_dag = landsat_ndvi_timeseries()


if __name__ == "__main__":
    # python dags/landsat_ndvi_timeseries.py: one manual run over the whole archive, in-process.
    ndvi_timeseries_dag.test()
