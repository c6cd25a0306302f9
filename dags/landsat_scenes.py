"""Landsat 8 scenes of one WRS-2 path/row: discover -> upload bands -> render -> publish.

One DAG per path/row listed in `dags/config/areas.yaml`, named `landsat_pPPP_rRRR`. It runs
once per real Landsat 8 overpass of that path/row (`WRS2OverpassTimetable`: 16 days apart,
on the acquisition's UTC day); each run's data interval is the acquisition's UTC day.

Tasks (XCom holds IDs and URIs, never data nor credentials):

1. `discover`: searches the STAC catalog for the interval's scene, rescheduling itself until
   it appears; skips the run after `wait_for_scene_hours`, or when the scene is too cloudy.
   XCom: scene ID, acquisition date, path/row, cloud cover, asset hrefs.
2. `upload_bands`: lands B1-B5, B7, QA_PIXEL and the MTL under `landing/<ID>/`; files already
   there with the same checksum are skipped. XCom: landing URI, uploaded and skipped names.
3. `choose_render`: branches on the `render_backend` Param to `render_<backend>`; goes straight
   to `publish` when the scene is already published complete by this landsat_ops version with
   these settings (unless the `force_render` Param is set).
4. `render_local`: renders true colour, false colour (B7/B5/B1), NDVI and histograms in the
   worker into `staging/<ID>/` (pool `landsat_render`). XCom: the staged item and products.
5. `publish` (joins the branch: runs unless something failed): moves the set to
   `published/<PPP>/<RRR>/<YYYY-MM-DD>/`, rebuilds the path/row's STAC collection, the root
   `catalog.json` and the `index.html` gallery (pool `landsat_publish`, one at a time) and
   emits the Asset. XCom: item, collection, catalog and gallery URIs.

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

import pendulum
from airflow.sdk import Asset, Param, TriggerRule, dag, task
from landsat_pipeline.config import RENDER_BACKENDS, Watch, config_path, load_config
from landsat_pipeline.sensors import LandsatSceneSensor
from timetables.wrs2 import WRS2OverpassTimetable

CONFIG_PATH = str(config_path(Path(__file__).parent / "config" / "areas.yaml"))
RENDER_POOL = "landsat_render"
PUBLISH_POOL = "landsat_publish"
RENDER_TASKS = {backend: f"render_{backend}" for backend in RENDER_BACKENDS}
"""Render backend -> the task that runs it; ``choose_render`` follows one of them."""

log = logging.getLogger(__name__)


def published_asset(path: int, row: int) -> Asset:
    """The Asset updated each time a scene of this path/row is published."""
    return Asset(
        uri=f"landsat://published/p{path:03d}_r{row:03d}",
        name=f"landsat_p{path:03d}_r{row:03d}",
        extra={"path": path, "row": row},
    )


def _bucket():
    from landsat_pipeline.bucket import open_bucket

    config = load_config(CONFIG_PATH)
    store, client = open_bucket(config.storage)
    return config, store, client


def build_dag(watch: Watch):
    """The DAG of one watched path/row."""
    asset = published_asset(watch.path, watch.row)

    @dag(
        dag_id=watch.dag_id,
        description=f"Landsat 8 scenes of {watch.title} (WRS-2 {watch.path_row})",
        doc_md=__doc__,
        schedule=WRS2OverpassTimetable(
            watch.path, watch.row, availability_delay=watch.availability_delay
        ),
        start_date=pendulum.datetime(
            watch.start_date.year, watch.start_date.month, watch.start_date.day, tz="UTC"
        ),
        catchup=watch.catchup,
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
                description="Where the render step runs (local: in the Airflow worker).",
            ),
            "force_render": Param(
                False,
                type="boolean",
                description="Render again even when the scene is already published complete.",
            ),
        },
    )
    def landsat_scenes():
        discover = LandsatSceneSensor(
            task_id="discover",
            config_path=CONFIG_PATH,
            path=watch.path,
            row=watch.row,
            mode="reschedule",
            poke_interval=watch.poke_interval.total_seconds(),
            timeout=watch.wait_for_scene.total_seconds(),
            doc_md="Wait for the interval's scene in the STAC catalog; skip after the timeout.",
        )
        scene = discover.output

        @task(execution_timeout=datetime.timedelta(hours=2))
        def upload_bands(scene: dict) -> dict:
            """Land B1-B5, B7, QA and MTL under landing/<ID>/ (same checksum: skipped)."""
            from landsat_pipeline.landing import land_scene

            _, store, client = _bucket()
            return land_scene(scene, store, client)

        @task.branch
        def choose_render(scene: dict, params: dict | None = None) -> str:
            """Follow the render task of the render_backend Param, or skip to publish."""
            from landsat_pipeline.publishing import published_status

            backend = params["render_backend"]
            if backend not in RENDER_TASKS:
                raise ValueError(f"render_backend {backend!r}: expected one of {RENDER_BACKENDS}")
            if not params["force_render"]:
                config, store, _ = _bucket()
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
            return RENDER_TASKS[backend]

        @task(
            task_id=RENDER_TASKS["local"],
            pool=RENDER_POOL,
            execution_timeout=datetime.timedelta(hours=3),
        )
        def render_local(scene: dict, landed: dict) -> dict:
            """Render in this worker: landing/<ID>/ -> staging/<ID>/ with landsat_ops."""
            from landsat_pipeline.bucket import staging_prefix

            from landsat_ops.render import render_scene

            config, store, client = _bucket()
            watch_now = config.watch(scene["path"], scene["row"])
            result = render_scene(
                landed["landing_uri"],
                store.uri(staging_prefix(scene["scene_id"])),
                products=watch_now.products,
                percentiles=watch_now.percentiles,
                preview_size=watch_now.preview_size,
                s3_client=client,
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
        def publish(scene: dict, **context) -> dict:
            """Move the staged set to published/, refresh catalog and gallery, emit the Asset."""
            from landsat_pipeline.publishing import publish_scene

            config, store, _ = _bucket()
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

        landed = upload_bands(scene)
        route = choose_render(scene)
        rendered = render_local(scene, landed)
        published = publish(scene)
        landed >> route >> [rendered, published]
        rendered >> published

    return landsat_scenes()


for _watch in load_config(CONFIG_PATH).watches:
    globals()[_watch.dag_id] = build_dag(_watch)


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
