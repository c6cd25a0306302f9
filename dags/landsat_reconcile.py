"""Reconcile: a gap report for every watched path/row, and runs for scenes published late.

Runs daily at 06:00 UTC (and on demand). For each path/row of `dags/config/areas.yaml`:

1. `gap_report` (mapped, one per path/row): searches the catalog once for everything since
   the area's start date, reads the path/row's published collection, classifies every
   overpass (published, cloudy, missing, pending, unpublished: `landsat_pipeline.gaps`) and
   writes `published/<PPP>/<RRR>/gaps.json`, `gaps.html` (counts per year and status) and one
   page per year, `gaps-YYYY.html` (with a status filter), each when it changed. It returns
   the runs to request: one per scene that is in the catalog, under the cloud limit, not
   published, and acquired within `reconcile_days` (older gaps are for a backfill).
2. `request_runs` (mapped): `TriggerDagRunOperator` starts `landsat_pPPP_rRRR` without a
   logical date and with `{"scene_id": ...}`; the run ID `reconcile__<scene ID>` makes each
   request once (an existing run is left alone: clear it in the UI to try again).

3. `collect_garbage` (mapped, one per path/row): deletes product versions no scene item names
   any more (a re-render's superseded set, what a failed or killed render left) once older
   than the retention (`LANDSAT_OPS_RETENTION_SECONDS`, 24 h) and never while an item was
   switched within it (`landsat_ops.render.garbage`, the same as `landsat-ops cleanup`).

So a scene that appears after its run gave up is still published, with nobody acting.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

import pendulum
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import dag, task

from landsat_pipeline.config import config_path, load_config
from landsat_pipeline.errors import fail_on_config_error
from landsat_pipeline.xcom import SceneRunRequest

CONFIG_PATH = str(config_path(Path(__file__).parent / "config" / "areas.yaml"))

log = logging.getLogger(__name__)


@dag(
    dag_id="landsat_reconcile",
    description="Gap report of every watched path/row; runs for scenes that arrived late",
    doc_md=__doc__,
    schedule="0 6 * * *",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["landsat", "reconcile"],
    default_args={
        "owner": "landsat-ops",
        "retries": 3,
        "retry_delay": datetime.timedelta(minutes=5),
        "retry_exponential_backoff": True,
    },
)
def landsat_reconcile():
    @task
    def path_rows() -> list[list[int]]:
        """The watched path/rows, from the config as it is now."""
        with fail_on_config_error():
            return [[w.path, w.row] for w in load_config(CONFIG_PATH).watches]

    @task(map_index_template="{{ path_row }}")
    def gap_report(path_row: list[int]) -> list[SceneRunRequest]:
        """Write the path/row's gap report; the runs its late scenes need."""
        from airflow.sdk import get_current_context

        from landsat_pipeline.gaps import reconcile_path_row
        from landsat_pipeline.hooks.bucket import open_bucket

        path, row = path_row
        get_current_context()["path_row"] = f"{path:03d}/{row:03d}"
        with fail_on_config_error():
            config = load_config(CONFIG_PATH)
            watch = config.watch(path, row)
        store, _ = open_bucket(config.storage.root, config.storage.aws_conn_id)
        return reconcile_path_row(config, watch, store, now=datetime.datetime.now(datetime.UTC))

    @task
    def runs_to_request(per_path_row: list[list[SceneRunRequest]]) -> list[SceneRunRequest]:
        """All path/rows' requests in one list (one mapped trigger each)."""
        requests = [request for requests in per_path_row for request in requests]
        log.info("%d scene runs to request", len(requests))
        return requests

    @task(map_index_template="{{ path_row }}")
    def collect_garbage(path_row: list[int]) -> dict[str, int]:
        """Delete the path/row's unreferenced product versions older than the retention."""
        from airflow.sdk import get_current_context

        from landsat_ops.render.garbage import collect_garbage as collect
        from landsat_ops.storage import open_store
        from landsat_pipeline.hooks.bucket import open_bucket
        from landsat_pipeline.keys import path_row_prefix

        path, row = path_row
        get_current_context()["path_row"] = f"{path:03d}/{row:03d}"
        with fail_on_config_error():
            config = load_config(CONFIG_PATH)
        store, client = open_bucket(config.storage.root, config.storage.aws_conn_id)
        report = collect(open_store(store.uri(path_row_prefix(path, row)), client))
        for version in report.versions_removed:
            log.info("removed the unreferenced version %s", version)
        log.info(
            "%d versions removed (%d objects), %d unreferenced kept, %d uploads aborted",
            len(report.versions_removed),
            len(report.removed),
            len(report.versions_kept),
            len(report.aborted_uploads),
        )
        return {"versions_removed": len(report.versions_removed), "objects": len(report.removed)}

    watched = path_rows()
    collect_garbage.expand(path_row=watched)
    requests = runs_to_request(gap_report.expand(path_row=watched))
    TriggerDagRunOperator.partial(
        task_id="request_runs",
        logical_date=None,
        skip_when_already_exists=True,
        wait_for_completion=False,
        map_index_template="{{ task.trigger_run_id }}",
    ).expand_kwargs(requests)


landsat_reconcile()
