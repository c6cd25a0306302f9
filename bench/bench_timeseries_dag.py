"""Benchmark: 300 scene-samplings of one path/row end to end through the mapped DAG.

The embedded default: a local folder standing in for the bucket, Airflow on SQLite, the DAG
run once in-process with ``dag.test()`` (tasks one after another, as ``airflow dags test``
runs them). Steps:

1. Generates N tiny synthetic scenes of WRS-2 226/010 (128 x 128 px, on N consecutive real
   overpass dates from 2013) under ``.bench/timeseries_dag/scenes/`` (kept for the next run).
2. Lands and publishes them into a fresh bucket the way the scenes DAG leaves them:
   ``landing/<ID>/`` with the bands, ``published/226/010/<date>/<ID>.json`` and the path/row's
   ``collection.json`` (the plugin's ``update_catalogs``).
3. Runs ``landsat_ndvi_timeseries`` once over the whole range (4 points of interest) in a child
   process (its log: ``.bench/timeseries_dag/dag-test.log``): list -> N mapped ``sample_scene``
   -> merge -> plots -> the papermill report.
4. Reads the task instances back: mapped tasks per minute (from the first mapped task's start
   to the last one's end), their mean duration, the run's total time; checks the table has
   N x 4 rows.

Results go to stdout and ``.bench/timeseries_dag.json``. Usage:
``python bench/bench_timeseries_dag.py [--scenes N] [--size PX]``. About 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".bench"
WORK = BENCH / "timeseries_dag"
RESULTS = BENCH / "timeseries_dag.json"
DAG_ID = "landsat_ndvi_timeseries"
PATH, ROW = 226, 10
AREA = "scoresby_sund"
# Inside the footprint of a 128 x 128 px synthetic 226/010 scene (around its centre).
POINTS = [
    {"id": "centre", "lon": -22.7956, "lat": 70.8014},
    {"id": "north_west", "lon": -22.81, "lat": 70.807},
    {"id": "south_east", "lon": -22.78, "lat": 70.796},
    {"id": "north", "lon": -22.79, "lat": 70.81},
]


def environment(work: Path) -> dict[str, str]:
    """A private Airflow (home, SQLite, no examples) and the pipeline config of the bench."""
    home = work / "airflow"
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW_CONFIG": str(home / "airflow.cfg"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(48),
        "LANDSAT_PIPELINE_CONFIG": str(work / "areas.yaml"),
    }


def write_config(work: Path) -> None:
    document = {
        "catalog": {"url": str(work / "catalog.json")},  # not used: scenes are published here
        "storage": {"root": str(work / "bucket")},
        "areas": {AREA: {"title": "Scoresby Sund (bench)", "path_rows": [[PATH, ROW]]}},
    }
    document["areas"][AREA]["points"] = POINTS
    (work / "areas.yaml").write_text(json.dumps(document, indent=2))  # JSON is YAML


def make_scenes(count: int, size: int) -> list[Path]:
    """``count`` synthetic scenes on consecutive overpass dates (made once, then reused)."""
    from landsat_demo.synthetic import make_scene, product_id_for
    from landsat_ops.overpass import overpass_datetimes

    folder = WORK / f"scenes_{size}"
    times = overpass_datetimes(PATH, ROW, dt.date(2013, 4, 11), dt.date(2030, 12, 31))[:count]
    if len(times) < count:
        raise SystemExit(f"only {len(times)} overpasses in the date range")
    made = 0
    start = time.perf_counter()
    scenes = []
    for index, at in enumerate(times):
        scene = folder / product_id_for(PATH, ROW, at)
        if not (scene / f"{scene.name}_MTL.txt").exists():
            make_scene(folder, path=PATH, row=ROW, acquired=at, width=size, height=size, seed=index)
            made += 1
        scenes.append(scene)
    if made:
        print(f"generated {made} scenes of {size}x{size} px in {time.perf_counter() - start:.1f} s")
    return scenes


def publish(scenes: list[Path], bucket: Path) -> None:
    """Land the bands and publish an item per scene plus the path/row's collection."""
    from landsat_ops.scene import read_mtl
    from landsat_ops.storage import open_store
    from landsat_pipeline.keys import landing_prefix, published_prefix
    from landsat_pipeline.publishing import update_catalogs

    store = open_store(bucket)
    for scene in scenes:
        shutil.copytree(scene, bucket / landing_prefix(scene.name))
        meta = read_mtl(scene / f"{scene.name}_MTL.txt")
        acquired = meta.acquired.astimezone(dt.UTC)
        item = {
            "type": "Feature",
            "stac_version": "1.1.0",
            "id": scene.name,
            "properties": {"datetime": acquired.isoformat(), "eo:cloud_cover": meta.cloud_cover},
            "assets": {},
            "links": [],
        }
        key = f"{published_prefix(PATH, ROW, acquired.date().isoformat())}/{scene.name}.json"
        store.write_bytes(key, json.dumps(item).encode(), "application/geo+json")
    update_catalogs(store, PATH, ROW, title="bench")


def run_dag() -> None:
    """The child process: parse the DAG file and run it once (the environment is set)."""
    sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "dags")]
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db

    db.resetdb()
    bag = DagBag(dag_folder=str(ROOT / "dags" / f"{DAG_ID}.py"))
    if bag.import_errors:
        raise SystemExit(f"import errors: {bag.import_errors}")
    dag_run = bag.get_dag(DAG_ID).test()
    print(f"BENCH-RUN {dag_run.run_id} {dag_run.state}", flush=True)


def task_times(run_id: str) -> dict[str, list[tuple[str, float, float]]]:
    """task_id -> [(state, start, end)] of the run's task instances (epoch seconds)."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    out: dict[str, list[tuple[str, float, float]]] = {}
    with create_session() as session:
        for ti in session.scalars(select(TaskInstance).where(TaskInstance.run_id == run_id)):
            start = ti.start_date.timestamp() if ti.start_date else float("nan")
            end = ti.end_date.timestamp() if ti.end_date else float("nan")
            out.setdefault(ti.task_id, []).append((str(ti.state), start, end))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=300, help="scenes to sample (300)")
    parser.add_argument("--size", type=int, default=128, help="scene size in pixels (128)")
    parser.add_argument("--run-dag", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_dag:
        run_dag()
        return 0

    started = time.perf_counter()
    WORK.mkdir(parents=True, exist_ok=True)
    for stale in ("bucket", "airflow"):
        shutil.rmtree(WORK / stale, ignore_errors=True)
    env = environment(WORK)
    os.environ.update(env)
    write_config(WORK)
    scenes = make_scenes(args.scenes, args.size)
    publish(scenes, WORK / "bucket")
    print(f"published {len(scenes)} scenes of {PATH:03d}/{ROW:03d} into {WORK / 'bucket'}")

    log_file = WORK / "dag-test.log"
    print(f"running {DAG_ID} once with dag.test() (log: {log_file.relative_to(ROOT)}) ...")
    wall_start = time.perf_counter()
    with open(log_file, "w") as log:
        code = subprocess.run(
            [sys.executable, __file__, "--run-dag"],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        ).returncode
    wall = time.perf_counter() - wall_start
    marker = [line for line in log_file.read_text().splitlines() if line.startswith("BENCH-RUN ")]
    if code != 0 or not marker:
        print(f"the DAG run failed (exit code {code}); see {log_file}")
        return 1
    _, run_id, state = marker[-1].split()

    from landsat_ops.timeseries import read_table

    times = task_times(run_id)
    mapped = times.get("sample_scene", [])
    ok = [t for t in mapped if t[0] == "success"]
    first = min(t[1] for t in mapped)
    last = max(t[2] for t in mapped)
    span = last - first
    run_first = min(t[1] for tis in times.values() for t in tis if t[1] == t[1])
    run_last = max(t[2] for tis in times.values() for t in tis if t[2] == t[2])
    table = read_table(WORK / "bucket" / "published" / "analytics" / AREA / "ndvi_timeseries.csv")
    report = WORK / "bucket" / "published" / "analytics" / AREA / "report.html"
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "scenes": len(scenes),
        "scene_size_px": args.size,
        "points": len(POINTS),
        "run_state": state,
        "mapped_tasks": len(mapped),
        "mapped_tasks_succeeded": len(ok),
        "mapped_phase_seconds": round(span, 2),
        "mapped_tasks_per_minute": round(60.0 * len(mapped) / span, 1) if span > 0 else None,
        "mean_mapped_task_seconds": round(sum(t[2] - t[1] for t in ok) / max(len(ok), 1), 3),
        "run_seconds_first_to_last_task": round(run_last - run_first, 1),
        "dag_test_wall_seconds": round(wall, 1),
        "table_rows": len(table),
        "table_rows_expected": len(scenes) * len(POINTS),
        "report_published": report.is_file(),
        "bench_total_seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"run {state}: {len(ok)}/{len(mapped)} mapped sample_scene tasks succeeded")
    print(
        f"mapped tasks: {len(mapped)} in {span:.1f} s = "
        f"{result['mapped_tasks_per_minute']} per minute "
        f"(mean {result['mean_mapped_task_seconds']} s each, dag.test runs them one at a time)"
    )
    print(
        f"whole run (list -> sample x{len(mapped)} -> merge -> plots -> report): "
        f"{result['run_seconds_first_to_last_task']} s; dag.test wall time {wall:.1f} s"
    )
    print(
        f"table: {len(table)} rows (expected {result['table_rows_expected']}); "
        f"report published: {result['report_published']}"
    )
    print(f"results: {RESULTS.relative_to(ROOT)}")
    good = (
        state == "success"
        and len(ok) == len(scenes)
        and len(table) == result["table_rows_expected"]
        and result["report_published"]
    )
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
