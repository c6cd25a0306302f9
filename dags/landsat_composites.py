"""Clear-sky composites and region mosaics of the published Landsat scenes, per period.

For every area with a `composites` section in `dags/config/areas.yaml` (docs/composites.md):
per period (a season of every year such as `summer: "06-01..09-30"`, or every month), one
composite per path/row and the area's region mosaic of all its path/rows on the area's grid
(`composites.crs`; clear observations of overlapping path/rows pooled), from the CLEAR
observations of every published scene acquired in the period.

Schedule (data-aware, and backfillable):

* on the Assets `landsat://published/pPPP_rRRR` of the areas' path/rows (any of them): an
  event's scene updates the composites of the periods that contain its acquisition day;
* monthly (data intervals of one calendar month, UTC): a scheduled or backfill run makes
  the composites of the periods whose last day falls in its month. A backfill from the UI
  (or `airflow backfill create --dag-id landsat_composites --from-date 2013-06-01 --to-date
  2024-12-31`) makes every period of those years, one month per run;
* manual runs: the `period` Param (`2024-summer`, `2024-07`) and `area` Param; without
  `period`, the periods containing the run's logical date.

Tasks (XCom holds keys and tile dicts, never rasters):

1. `plan`: the run's periods, their published scenes (whose bands are landed), the jobs and
   their tiles; each job's inputs and grid go to
   `staging/composites/<id>/<digest>/job.json`. A composite whose published item records the
   same inputs digest (scenes, grid, settings, landsat_ops version) is current and not made
   again: a re-run writes nothing (the `force` Param makes it anyway). No published scene in
   the chosen periods: the run is skipped, saying so. Unreadable scenes or Level-1 and
   Level-2 scenes in one period: the task fails at once, naming them; nothing is published.
   `list_tiles` and `list_jobs` hand its tiles and jobs to the mapped tasks.
2. `choose_tiles` branches on the `render_backend` Param (`local` default, `ecs`):
   - `local`: `composite_tile`, mapped over every tile of every job (dynamic task mapping),
     on the render queue (`render_queue`) and in the `landsat_render` pool: reads the landed
     bands from `landing/<ID>/` in the bucket (so any worker can run it) and stages its tile.
   - `ecs`: `prepare_ecs_tiles` builds each tile's container command
     (`landsat-ops composite-tile JOB --tile N --out TILE`, the same work) and the `run_task`
     arguments from the config's `remote` section (without `remote.ecs` the run fails there at
     once, naming the key); `composite_tile_ecs`, the project's ECS operator mapped over the
     tiles' overrides, runs one ECS Fargate task of the render image per tile.
3. `assemble_composite` (after either backend): mapped over the jobs: checks that every
   tile of its plan is staged in the bucket, then its tiles into the COGs, previews and STAC
   item, published as a new immutable version behind one switched item
   (`published/composites/<PPP>/<RRR>/<label>/p<PPP>r<RRR>_<label>.json`,
   `published/composites/<area>/<label>/<area>_<label>.json`); then its staged tiles are
   deleted. No clear pixel anywhere: fails, nothing published.
4. `publish_catalog`: the composites' STAC collections, their catalog and gallery
   (`published/composites/catalog.json`, `index.html`), linked from the root catalog and
   gallery; emits `landsat://composites/<area>`. Skipped when nothing changed. Composite
   versions no item names any more are deleted once older than the retention (24 h).
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

import pendulum
from airflow.sdk import (
    AssetAny,
    AssetOrTimeSchedule,
    CronDataIntervalTimetable,
    Param,
    TriggerRule,
    dag,
    task,
)

from landsat_pipeline.area_dags import (
    area_default_args,
    area_param,
    composites_assets,
    published_assets,
)
from landsat_pipeline.composites.ecs import OPERATOR_ARGUMENTS
from landsat_pipeline.composites.jobs import (
    CompositeJob,
    CompositePlan,
    PublishedComposite,
    StagedTile,
    TileTask,
)
from landsat_pipeline.config import PipelineConfig, config_path, load_config
from landsat_pipeline.errors import fail_on_config_error
from landsat_pipeline.operators.ecs import RenderEcsTaskOperator

CONFIG_PATH = str(config_path(Path(__file__).parent / "config" / "areas.yaml"))
RENDER_POOL = "landsat_render"
PUBLISH_POOL = "landsat_publish"
RENDER_BACKENDS = ("local", "ecs")
"""Where the tiles are computed: Airflow workers, or ECS Fargate tasks of the render image."""
TILE_TASKS = {"local": "composite_tile", "ecs": "prepare_ecs_tiles"}
"""Render backend -> the first task of its tile step; ``choose_tiles`` follows one of them."""
MONTHLY = "0 0 1 * *"
"""The time schedule: one run per calendar month (UTC), for the periods ending in it."""

log = logging.getLogger(__name__)


def _config() -> PipelineConfig:
    """The config, read at run time; a config error fails the task at once."""
    with fail_on_config_error():
        return load_config(CONFIG_PATH)


_parsed = load_config(CONFIG_PATH)
_areas = [a for a in _parsed.areas if a.composites is not None]
_watched = [w for w in _parsed.watches if any(w.area == a.name for a in _areas)]
_published = published_assets(_parsed, _areas)
_outlets = composites_assets(_areas)
_monthly = CronDataIntervalTimetable(MONTHLY, timezone="UTC")
_queue = min((w.render_queue for w in _watched), default="render")


@dag(
    dag_id="landsat_composites",
    description="Clear-sky composites per period and path/row, and region mosaics per area",
    doc_md=__doc__,
    # Any of the path/rows (AssetAny), or the monthly time schedule (backfills).
    schedule=AssetOrTimeSchedule(timetable=_monthly, assets=AssetAny(*_published))
    if _published
    else _monthly,
    start_date=pendulum.datetime(2013, 4, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # one writer of the staging folders and the composites' catalog
    tags=["landsat", "composites", *sorted(f"area:{a.name}" for a in _areas)],
    default_args=area_default_args(_parsed, _areas),
    params={
        "period": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-[a-z0-9_]+$",
            description=(
                "The period to composite, e.g. 2024-summer or 2024-07 (default: the periods "
                "of the run's logical date, or of its asset events)."
            ),
        ),
        "area": area_param(_areas, "Only this area (default: every area with composites)."),
        "force": Param(
            False,
            type="boolean",
            description="Make the composites again even when they are current.",
        ),
        "render_backend": Param(
            "local",
            type="string",
            enum=list(RENDER_BACKENDS),
            description=(
                "Where the tiles are computed: local (mapped Airflow tasks on the render "
                "queue) or ecs (one ECS Fargate task of the render image per tile; needs the "
                "config's remote.ecs section)."
            ),
        ),
    },
)
def landsat_composites():
    @task(multiple_outputs=False)  # one value (its keys are read by list_tiles, list_jobs)
    def plan(params: dict | None = None, triggering_asset_events=None, **context) -> CompositePlan:
        """The run's periods, their scenes, the jobs and tiles (written to staging)."""
        import tempfile

        from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

        from landsat_ops.composite import CompositeError
        from landsat_pipeline.composites.plan import choose_periods, plan_jobs
        from landsat_pipeline.errors import AnalyticsError
        from landsat_pipeline.hooks.bucket import open_bucket

        params = params or {}
        dag_run = context["dag_run"]
        unknown = sorted(set(dag_run.conf or {}) - set(params))
        if unknown:
            raise AirflowFailException(
                f"unknown key in the run conf: {unknown[0]!r}; accepted: {', '.join(params)}"
            )
        events = [
            {**(event.extra or {}), "asset_uri": event.asset.uri}
            for asset_events in (triggering_asset_events or {}).values()
            for event in asset_events
        ]
        run_type = str(getattr(dag_run.run_type, "value", dag_run.run_type))
        interval = None
        if run_type in ("scheduled", "backfill") and context.get("data_interval_end"):
            last = context["data_interval_end"] - datetime.timedelta(days=1)
            interval = (context["data_interval_start"], last)
        config = _config()
        with fail_on_config_error(AnalyticsError):  # bad Params: a retry cannot help
            pairs = choose_periods(
                config,
                area=params.get("area"),
                period=params.get("period"),
                events=events if not params.get("period") else (),
                ending_within=interval,
                containing=context.get("logical_date") if interval is None else None,
            )
        if not pairs:
            why = (
                f"no period ends in {interval[0]:%Y-%m}"
                if interval
                else "the asset events name no scene of an area with composites"
                if events
                else "no period chosen (set the period Param)"
            )
            raise AirflowSkipException(why)
        log.info("periods: %s", ", ".join(f"{a.name} {p.describe()}" for a, p in pairs))
        store, client = open_bucket(config.storage.root, config.storage.aws_conn_id)
        with tempfile.TemporaryDirectory(prefix="landsat-plan-") as work:
            with fail_on_config_error(CompositeError):  # bad inputs: a retry cannot help
                planned = plan_jobs(
                    config,
                    store,
                    pairs,
                    workdir=Path(work),
                    s3_client=client,
                    force=bool(params.get("force")),
                )
        for why in planned["empty"]:
            log.warning("Nothing to composite: %s", why)
        if not planned["jobs"]:
            reasons = planned["empty"] + [f"{c} is current" for c in planned["current"]]
            raise AirflowSkipException("; ".join(reasons))
        log.info(
            "%d composites to make (%d tiles); current: %s",
            len(planned["jobs"]),
            len(planned["tiles"]),
            ", ".join(planned["current"]) or "none",
        )
        return planned

    @task(
        multiple_outputs=False,
        queue=_queue,
        pool=RENDER_POOL,
        execution_timeout=datetime.timedelta(hours=1),
        map_index_template="{{ task.op_kwargs['tile']['key'].split('/')[-1] }}"
        " {{ task.op_kwargs['tile']['job'] }}",
    )
    def composite_tile(tile: TileTask) -> StagedTile:
        """One tile of one composite, from the landed bands; staged in the bucket."""
        from landsat_ops.composite import CompositeError
        from landsat_pipeline.composites.tasks import run_tile

        config = _config()
        with fail_on_config_error(CompositeError):
            return run_tile(config, tile)

    @task.branch
    def choose_tiles(params: dict | None = None) -> str:
        """Follow the tile step of the render_backend Param."""
        backend = (params or {}).get("render_backend", "local")
        if backend not in TILE_TASKS:
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(
                f"render_backend {backend!r}: expected one of {', '.join(RENDER_BACKENDS)}"
            )
        log.info("tiles computed by the %s backend", backend)
        return TILE_TASKS[backend]

    @task(multiple_outputs=True)
    def prepare_ecs_tiles(tiles: list[TileTask]) -> dict:
        """Each tile's container command and the run_task arguments (config remote.ecs)."""
        from landsat_pipeline.composites.ecs import ecs_tile_arguments
        from landsat_pipeline.hooks.bucket import open_bucket

        config = _config()
        with fail_on_config_error():
            arguments = ecs_tile_arguments(
                config, open_bucket(config.storage.root, config.storage.aws_conn_id)[0], tiles
            )
        for command in arguments["commands"]:
            log.info("tile command: %s", " ".join(command))
        return arguments

    @task(
        multiple_outputs=False,
        queue=_queue,
        pool=RENDER_POOL,
        execution_timeout=datetime.timedelta(hours=2),
        map_index_template="{{ task.op_kwargs['job']['id'] }}",
        trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS,  # after either tile step
    )
    def assemble_composite(job: CompositeJob) -> PublishedComposite:
        """A composite's tiles into its COGs, previews and item; published, tiles deleted."""
        from landsat_ops.composite import CompositeError
        from landsat_pipeline.composites.tasks import assemble_job
        from landsat_pipeline.errors import PublishError

        config = _config()
        with fail_on_config_error(CompositeError, PublishError):
            return assemble_job(config, job)  # every tile of the plan staged in the bucket

    @task(
        multiple_outputs=False,
        pool=PUBLISH_POOL,
        outlets=_outlets,
        trigger_rule=TriggerRule.NONE_FAILED,
    )
    def publish_catalog(params: dict | None = None, **context) -> dict:
        """The composites' collections, catalog and gallery; the composites Asset events."""
        from airflow.sdk.exceptions import AirflowSkipException

        from landsat_pipeline.composites.plan import composite_areas
        from landsat_pipeline.hooks.bucket import open_bucket
        from landsat_pipeline.publishing.composites import (
            collect_composite_garbage,
            update_composite_catalogs,
        )

        config = _config()
        with fail_on_config_error():
            areas = [a.name for a in composite_areas(config, (params or {}).get("area"))]
        pulled = context["ti"].xcom_pull(task_ids="assemble_composite", default=None) or []
        # One mapped instance gives its value, several a list of them.
        published = [p for p in ([pulled] if isinstance(pulled, dict) else pulled) if p]
        store, client = open_bucket(config.storage.root, config.storage.aws_conn_id)
        result = update_composite_catalogs(store, config, areas)
        for version in collect_composite_garbage(store, client, config, areas):
            log.info("removed the superseded composite version %s", version)
        if not published and not result["written"]:
            raise AirflowSkipException("no composite published and every document current")
        for outlet in _outlets:
            area = outlet.uri.rsplit("/", 1)[-1]
            context["outlet_events"][outlet].extra = {
                "area": area,
                "composites": [
                    {"id": p["id"], "period": p["period"], "item_uri": p["item_uri"]}
                    for p in published
                    if p["area"] == area
                ],
            }
        return {**result, "published": [p["id"] for p in published]}

    @task
    def list_tiles(planned: CompositePlan) -> list[TileTask]:
        """The tiles of every job (what composite_tile is mapped over)."""
        return planned["tiles"]

    @task
    def list_ecs_overrides(overrides: list[dict]) -> list[dict]:
        """The tiles' ECS overrides (what composite_tile_ecs is mapped over)."""
        return overrides

    @task
    def list_jobs(planned: CompositePlan) -> list[CompositeJob]:
        """The jobs (what assemble_composite is mapped over)."""
        return planned["jobs"]

    planned = plan()
    tiles = list_tiles(planned)
    route = choose_tiles()
    staged = composite_tile.expand(tile=tiles)
    # The ECS arguments come from prepare_ecs_tiles' XCom: the config's remote section is read
    # at run time, so the DAG loads (and local works) without it.
    ecs = prepare_ecs_tiles(tiles)
    staged_ecs = RenderEcsTaskOperator.partial(
        task_id="composite_tile_ecs",
        launch_type="FARGATE",
        reattach=True,  # a retry finds the task a lost worker left running
        awslogs_region=ecs["region_name"],
        **{name: ecs[name] for name in OPERATOR_ARGUMENTS},
        map_index_template="{{ task.overrides['containerOverrides'][0]['command'][-1]"
        ".split('/')[-1] }}",
        doc_md="One tile per ECS Fargate task of the render image: landsat-ops composite-tile.",
    ).expand(overrides=list_ecs_overrides(ecs["overrides"]))
    tiles >> route >> [staged, ecs]
    assembled = assemble_composite.expand(job=list_jobs(planned))
    [staged, staged_ecs] >> assembled
    assembled >> publish_catalog()


composites_dag = landsat_composites()


if __name__ == "__main__":
    # python dags/landsat_composites.py: one manual run (set the period in the run conf).
    composites_dag.test()
