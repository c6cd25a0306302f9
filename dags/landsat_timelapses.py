"""Time-lapses of every area through the years: MP4 and animated WebP, in the gallery.

Runs when any watched path/row publishes a scene (its Asset `landsat://published/pPPP_rRRR`,
emitted by the `landsat_pPPP_rRRR` DAG) or an area publishes a composite
(`landsat://composites/<area>`), and on demand.

Tasks (XCom holds keys and small summaries, never frames nor credentials):

1. `list_timelapses`: the time-lapses of the areas the triggering events name (a manual run:
   the `area` Param, default every area), `landsat_pipeline.timelapses.timelapse_jobs`: one
   per path/row and period rule, and one per area when it spans several path/rows or has a CRS
   of its own. The period rules and CRS are the area's `composites` settings, else one frame per
   summer (06-01..09-30).
2. `make_timelapse`: one mapped task per time-lapse (`landsat_ops.timelapse.make_timelapse`):
   each period's composite where one is published, else its clearest published scene, else a
   labelled gap frame, warped onto one grid from the COGs' overviews; true and false colour as
   MP4 (H.264) and animated WebP, published as one version behind the switched item
   `published/timelapse/<PPP>/<RRR>/<name>.json` (or `.../<area>/`), then the folder's
   `index.html` that plays them. Bad input (no items, a period rule that matches nothing, a bad
   CRS) fails the task at once, without retries.

A re-run with nothing new publishes nothing (the same frames make the same version).
`max_active_runs=1` keeps two runs from switching the same item at once.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

import pendulum
from airflow.sdk import AssetAny, dag, task

from landsat_pipeline.area_dags import (
    area_default_args,
    area_param,
    composites_assets,
    published_assets,
)
from landsat_pipeline.config import PipelineConfig, config_path, load_config
from landsat_pipeline.errors import fail_on_config_error

CONFIG_PATH = str(config_path(Path(__file__).parent / "config" / "areas.yaml"))

log = logging.getLogger(__name__)


def _config() -> PipelineConfig:
    """The config, read at run time; a config error fails the task at once."""
    with fail_on_config_error():
        return load_config(CONFIG_PATH)


_parsed = load_config(CONFIG_PATH)
_assets = published_assets(_parsed) + composites_assets(_parsed.areas)


@dag(
    dag_id="landsat_timelapses",
    description="Time-lapses of each path/row and area through the years (MP4, WebP)",
    doc_md=__doc__,
    # Any of the path/rows or areas (AssetAny): a plain list would wait for all of them.
    schedule=AssetAny(*_assets),
    start_date=pendulum.datetime(2013, 4, 11, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # one switch of a time-lapse's item at a time
    tags=["landsat", "timelapse", *sorted(f"area:{a.name}" for a in _parsed.areas)],
    default_args=area_default_args(_parsed),
    params={
        "area": area_param(_parsed.areas, "Only this area (manual runs; default: every area)."),
    },
)
def landsat_timelapses():
    @task
    def list_timelapses(params: dict | None = None, triggering_asset_events=None) -> list[dict]:
        """The time-lapses of the triggering events' areas, or of the `area` Param."""
        from landsat_pipeline.timelapses import timelapse_jobs

        events = [
            {**(event.extra or {}), "asset_uri": event.asset.uri}
            for asset_events in (triggering_asset_events or {}).values()
            for event in asset_events
        ]
        config = _config()
        with fail_on_config_error():
            jobs = timelapse_jobs(config, area=(params or {}).get("area"), events=events)
        log.info("time-lapses: %s", [job["name"] for job in jobs])
        return list(jobs)

    @task(
        execution_timeout=datetime.timedelta(minutes=30),
        map_index_template="{{ task.op_kwargs['job']['name'] }}",
    )
    def make_timelapse(job: dict) -> dict:
        """Frames, MP4 and WebP of one time-lapse, published behind its item; its page."""
        from landsat_ops.timelapse import TimelapseError
        from landsat_pipeline.timelapses import build_timelapse

        config = _config()
        with fail_on_config_error(TimelapseError):  # bad input: a retry cannot help
            made = build_timelapse(config, job)
        log.info(
            "%s: %d frames (%d gaps) in %.1f s: %s; page %s",
            made["name"],
            made["frames"],
            made["gaps"],
            made["seconds"],
            made["item_uri"],
            made["page_uri"],
        )
        return dict(made)

    make_timelapse.expand(job=list_timelapses())


timelapses_dag = landsat_timelapses()


if __name__ == "__main__":
    # python dags/landsat_timelapses.py: every area's time-lapses, in-process.
    timelapses_dag.test()
