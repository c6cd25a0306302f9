"""Benchmark: a region of WRS-2 path/rows backfilled on the real `make cluster` engine.

``make bench-scale`` (issues 11 and 21). It starts the same cluster as ``make cluster``
(cluster/components.py: PostgreSQL, Redis, a moto S3 bucket, api-server, scheduler,
dag-processor, triggerer, 2 Celery workers) on free ports of 127.0.0.1 with its home in a
temporary folder, so it never touches ``.airflow/`` or a cluster already running. Its pipeline
config is one area of the region's path/rows (default paths 226-229 x rows 10-14: 20 DAGs,
Landsat 8 and 9 as the DAGs' default) over a synthetic static STAC catalog with the real
archive's density: a scene at **every daylight overpass** (the sun at least
``DAYLIGHT_MIN_SUN_ELEVATION`` degrees above the horizon at the scene centre at overpass time;
the Arctic rows have none in the polar night) and a realistic, U-shaped cloud cover
distribution (Beta(0.6, 0.7) x 100 %: mean 46 %, a fifth nearly clear, a seventh overcast)
against a cloud limit of 40 %, so about half of the scenes are skipped as cloudy. Scenes are
tiny (``--size`` px): the orchestration is measured; the render of a real scene is added from
``make bench``'s measurement in the projection. Then, through the REST API as the UI does
(cluster/api.py), it unpauses every DAG and creates one backfill per DAG over
``--start``..``--end`` with ``--max-active-runs`` runs at a time, waits until every backfill
has drained, and reads the runs and task instances from the metadata database. The cluster is
stopped at the end, also on failure or Ctrl-C.

Reported (stdout and ``.bench/scale.json``):

* runs per minute: sustained (10 % -> 90 % of the finished runs) and overall (backfill
  creation -> last run finished), and the time to drain;
* **rendered and skipped runs per minute apart**: the drain time is shared between the
  published runs and the skipped ones in proportion to the worker time each kind used, which
  gives the seconds of this cluster one run of each kind costs and so each kind's rate;
* scheduler overhead per run: run wall time minus the time its tasks ran, and the
  queued -> running latency of the runs; the executor latency of the tasks;
* the state of every run, each checked against the catalog: ``published`` (a scene under the
  cloud limit), ``cloudy`` and ``missing`` (skipped at discover: no daylight scene), anything
  else is an error;
* publish cost: the ``publish`` task durations early vs late in the backfill on the cluster's
  bucket, and bench/bench_publish.py's direct measurement at 300 vs 6,000 published scenes
  (``--publish-bench run`` runs it, ``reuse`` reads ``.bench/publish_cost.json``);
* **the projection for the full region** (2013-04-11 -> ``--full-end``, the runs the
  timetable makes, counted by dry runs; published/cloudy/missing by the same model as the
  catalog) with the ``local`` backend (the measured cost per run kind, plus the CPU time of
  rendering a real scene, ``--render-cpu-seconds``, spread over this machine's cores) and the
  ``ecs`` backend (renders on Fargate, deferrable: the cluster's cost per run without the
  render, and each published run lasting ``--ecs-overhead`` seconds longer, the Fargate task's
  provisioning, image pull and start: **stated, not measured**, as moto's ECS never runs a
  container; runs overlap up to DAGs x ``--max-active-runs``).

The synthetic generator (landsat_demo.synthetic) makes Landsat 8 scenes only: a subset that
reaches Landsat 9's overpasses (from 2021-10-31) has no scene on those, and they count as
missing there (the projection's model counts them as the real archive has them).

Usage: ``python bench/bench_scale.py [--paths 226 229] [--rows 10 14] [--start 2013-04-11]
[--end YYYY-MM-DD] [--max-active-runs 4] [--size 64] [--ecs-overhead 60]``.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".bench"
if str(ROOT) not in sys.path:  # the cluster package at the repository root
    sys.path.insert(0, str(ROOT))

FULL_START = dt.date(2013, 4, 11)
MAX_CLOUD = 40.0
AREA = "bench_region"
DEFAULT_END = dt.date(2014, 4, 10)
"""The default subset: the first year of the archive (2013-04-11 -> 2014-04-10)."""


def dag_id(path: int, row: int) -> str:
    return f"landsat_p{path:03d}_r{row:03d}"


# --------------------------------------------------------------------------------------------
# The catalog and the pipeline config
# --------------------------------------------------------------------------------------------


DAYLIGHT_MIN_SUN_ELEVATION = 5.0
"""Degrees: the lowest sun at the scene centre at which the archive is taken to hold a scene
(Landsat acquires day scenes down to a low sun; below it, as in the polar night, none)."""
CLOUD_BETA = (0.6, 0.7)
"""Scene cloud cover ~ Beta(a, b) x 100 %: U-shaped like the archive's (many clear, many
overcast scenes), mean 46 %; 47 % of the scenes are under the 40 % limit."""
SATELLITES = (8, 9)
"""The DAGs' default (dags/config/areas.yaml ``defaults.satellites``)."""
RENDER_CPU_SECONDS = 10.8
"""CPU seconds of one real scene's render (7791 x 7921 px, the default products): ``make bench``
(d) natural stretch, 10.84 CPU-s, measured 2026-11-30 on this machine (README)."""
ECS_OVERHEAD_SECONDS = 60.0
"""A Fargate task's provisioning, image pull (~1 GB render image) and start before the render:
stated (AWS's typical figure is 30-90 s), not measured here (moto runs no container)."""


def sun_elevation(lat: float, lon: float, at: dt.datetime) -> float:
    """The sun's elevation in degrees at (lat, lon) at UTC ``at`` (within ~0.1 degree:
    the Astronomical Almanac's low-precision formulas)."""
    import math

    days = (at - dt.datetime(2000, 1, 1, 12, tzinfo=dt.UTC)).total_seconds() / 86400
    anomaly = math.radians((357.529 + 0.98560028 * days) % 360)
    mean_longitude = (280.459 + 0.98564736 * days) % 360
    ecliptic = math.radians(
        mean_longitude + 1.915 * math.sin(anomaly) + 0.020 * math.sin(2 * anomaly)
    )
    obliquity = math.radians(23.439 - 0.00000036 * days)
    right_ascension = math.atan2(math.cos(obliquity) * math.sin(ecliptic), math.cos(ecliptic))
    declination = math.asin(math.sin(obliquity) * math.sin(ecliptic))
    sidereal_hours = (18.697374558 + 24.06570982441908 * days) % 24
    hour_angle = math.radians(sidereal_hours * 15 + lon) - right_ascension
    phi = math.radians(lat)
    return math.degrees(
        math.asin(
            math.sin(phi) * math.sin(declination)
            + math.cos(phi) * math.cos(declination) * math.cos(hour_angle)
        )
    )


def overpasses(
    path: int, row: int, start: dt.date, end: dt.date, satellites=SATELLITES
) -> list[tuple[dt.datetime, int]]:
    """(scene centre time, satellite) of every overpass in [start, end], each satellite from
    its first archived acquisition, oldest first: the runs the DAG's timetable makes."""
    from landsat_ops.overpass import SATELLITE_START, overpass_datetimes

    found = []
    for satellite in satellites:
        first = max(start, SATELLITE_START[satellite])
        if first <= end:
            found += [
                (at, satellite)
                for at in overpass_datetimes(path, row, first, end, satellite=satellite)
            ]
    return sorted(found)


def archive_scene(path: int, row: int, at: dt.datetime) -> float | None:
    """The modelled archive at one overpass: None in the dark, else the scene's cloud cover
    (deterministic: the same overpass always gets the same cover)."""
    import numpy as np

    from landsat_ops.overpass import wrs2_centre

    lat, lon = wrs2_centre(path, row)
    if sun_elevation(lat, lon, at) < DAYLIGHT_MIN_SUN_ELEVATION:
        return None
    rng = np.random.default_rng([path, row, at.toordinal(), 21])
    return round(float(rng.beta(*CLOUD_BETA)) * 100, 1)


def expected_outcomes(region, start: dt.date, end: dt.date) -> dict[str, int]:
    """Runs by outcome over [start, end] as the real archive would give them (the model)."""
    counts = collections.Counter()
    for path, row in region:
        for at, _satellite in overpasses(path, row, start, end):
            cloud = archive_scene(path, row, at)
            if cloud is None:
                counts["missing"] += 1
            else:
                counts["cloudy" if cloud > MAX_CLOUD else "published"] += 1
    return dict(counts)


def make_region_catalog(
    root: Path, region: list[tuple[int, int]], start: dt.date, end: dt.date, size: int
) -> tuple[Path, dict[tuple[int, int, dt.date], float], dict[str, int]]:
    """One static catalog over the region: a child catalog per synthetic scene, one scene at
    every daylight Landsat 8 overpass with the modelled cloud cover (pixels, MTL and item
    agree: the scene is made first, then catalogued).

    Returns the root ``catalog.json``, the cloud cover of every scene by (path, row, day)
    as its item states it, and the overpasses without a scene by reason.
    """
    from landsat_demo.synthetic import make_catalog, make_scene

    links = [{"rel": "root", "href": "./catalog.json", "type": "application/json"}]
    cover: dict[tuple[int, int, dt.date], float] = {}
    without: collections.Counter = collections.Counter()
    for path, row in region:
        for at, satellite in overpasses(path, row, start, end):
            cloud = archive_scene(path, row, at)
            if cloud is None:
                without["dark"] += 1
                continue
            if satellite != 8:
                without["landsat 9 (not synthesised)"] += 1
                continue
            day = at.date()
            folder = root / f"p{path:03d}_r{row:03d}" / day.isoformat()
            make_scene(
                folder / "scenes",
                path=path,
                row=row,
                acquired=at,
                width=size,
                height=size,
                seed=path * 1_000_000 + row * 10_000 + day.toordinal() % 10_000,
                cloud_cover=cloud,
            )
            child = make_catalog(
                folder, path=path, row=row, start=day, end=day, width=size, height=size
            )
            links.append(
                {
                    "rel": "child",
                    "href": "./" + str(child.relative_to(root)),
                    "type": "application/json",
                }
            )
            for item in child.parent.glob("*/*/*.json"):
                body = json.loads(item.read_text())
                if body.get("type") == "Feature":
                    cover[(path, row, day)] = float(body["properties"]["eo:cloud_cover"])
    catalog = root / "catalog.json"
    document = {
        "type": "Catalog",
        "stac_version": "1.0.0",
        "id": "bench-scale",
        "description": "Synthetic scenes of the bench-scale region (bench/bench_scale.py).",
        "links": links,
    }
    catalog.write_text(json.dumps(document, indent=1))
    return catalog, cover, dict(without)


def write_config(root: Path, catalog: Path, region: list[tuple[int, int]], active: int) -> Path:
    area = {
        "title": "bench-scale region",
        "path_rows": [list(pr) for pr in region],
        "max_cloud_cover": MAX_CLOUD,
        "preview_size": 64,
        # Every backfilled overpass is years old: past any window. The short window also makes
        # the run that unpausing creates (the latest overpass) skip instead of waiting.
        "wait_for_scene_hours": 2 / 3600,
        "poke_interval_minutes": 1 / 60,
        "retry_delay_minutes": 1 / 60,
        "max_active_runs": active,
    }
    document = {
        "catalog": {"url": str(catalog), "collection": "landsat-c2-l1"},
        "storage": {"root": "s3://landsat-cluster", "aws_conn_id": "aws_default"},
        "areas": {AREA: area},
    }
    config = root / "areas.yaml"
    config.write_text(json.dumps(document, indent=2))  # JSON is YAML
    return config


# --------------------------------------------------------------------------------------------
# Reading the results
# --------------------------------------------------------------------------------------------

RUNS_SQL = """
select dag_id, run_id, state, queued_at, start_date, end_date, data_interval_start
from dag_run where run_type = 'backfill'
"""
TIS_SQL = """
select ti.dag_id, ti.run_id, ti.task_id, ti.state, ti.start_date, ti.end_date, ti.duration,
       ti.queued_dttm, ti.hostname
from task_instance ti join dag_run r on r.dag_id = ti.dag_id and r.run_id = ti.run_id
where r.run_type = 'backfill'
"""


def read_database(settings) -> tuple[list[dict], list[dict]]:
    """The backfill runs and their task instances (read-only SQL on the metadata database)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(settings.postgres.url())
    try:
        with engine.connect() as connection:
            runs = [dict(r._mapping) for r in connection.execute(sqlalchemy.text(RUNS_SQL))]
            tis = [dict(r._mapping) for r in connection.execute(sqlalchemy.text(TIS_SQL))]
    finally:
        engine.dispose()
    return runs, tis


def bucket_counts(settings) -> dict[str, int]:
    from cluster import components

    client = components.s3_client(settings)
    counts: collections.Counter = collections.Counter()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=components.BUCKET):
        for obj in page.get("Contents", []):
            counts[obj["Key"].split("/", 1)[0] if "/" in obj["Key"] else "(root)"] += 1
    return dict(counts)


def _q(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 2)


def _stats(values: list[float]) -> dict:
    return {
        "median": _q(values, 0.5),
        "p90": _q(values, 0.9),
        "mean": round(statistics.fmean(values), 2) if values else None,
        "n": len(values),
    }


def analyse(runs, tis, cover, started_at: dt.datetime) -> dict:
    by_run: dict[tuple[str, str], dict[str, dict]] = collections.defaultdict(dict)
    for ti in tis:
        by_run[(ti["dag_id"], ti["run_id"])][ti["task_id"]] = ti

    outcomes: collections.Counter = collections.Counter()
    problems = []
    overhead, latency, walls, task_time = [], [], [], []
    worker_time: collections.Counter = collections.Counter()
    kinds: collections.Counter = collections.Counter()
    by_kind_task_time: dict[str, list[float]] = {"published": [], "skipped": []}
    renders: list[float] = []
    for run in runs:
        key = (run["dag_id"], run["run_id"])
        tasks = by_run.get(key, {})
        path, row = int(run["dag_id"][9:12]), int(run["dag_id"][14:17])
        day = run["data_interval_start"].date()
        cloud = cover.get((path, row, day))
        expected = "missing" if cloud is None else ("cloudy" if cloud > MAX_CLOUD else "published")
        publish = tasks.get("publish", {}).get("state")
        discover = tasks.get("discover", {}).get("state")
        if run["state"] == "success" and publish == "success":
            outcome = "published"
        elif run["state"] == "success" and discover == "skipped" and publish == "skipped":
            outcome = expected if expected != "published" else "skipped-unexpectedly"
        else:
            outcome = f"run {run['state']}"
        outcomes[outcome] += 1
        if outcome != expected:
            problems.append(
                {
                    "run": f"{key[0]} {key[1]}",
                    "state": run["state"],
                    "expected": expected,
                    "tasks": {t: v["state"] for t, v in tasks.items()},
                }
            )
        kind = "published" if outcome == "published" else "skipped"
        ran = sum(t["duration"] or 0.0 for t in tasks.values() if t["hostname"])
        worker_time[kind] += ran
        kinds[kind] += 1
        if kind == "published":
            render = tasks.get("render_local", {}).get("duration")
            if render:
                renders.append(render)
        if run["start_date"] and run["end_date"]:
            wall = (run["end_date"] - run["start_date"]).total_seconds()
            walls.append(wall)
            task_time.append(ran)
            by_kind_task_time[kind].append(ran)
            overhead.append(wall - ran)
        if run["queued_at"] and run["start_date"]:
            latency.append((run["start_date"] - run["queued_at"]).total_seconds())

    executed = [t for t in tis if t["hostname"]]  # run by a worker (not skipped by the scheduler)
    ti_latency = [
        (t["start_date"] - t["queued_dttm"]).total_seconds() for t in executed if t["queued_dttm"]
    ]
    ends = sorted(r["end_date"] for r in runs if r["end_date"])
    firsts = sorted(r["start_date"] for r in runs if r["start_date"])
    n = len(ends)
    result: dict = {"runs": len(runs), "outcomes": dict(outcomes), "problems": problems[:50]}
    result["problem_count"] = len(problems)
    if n >= 10:
        lo, hi = ends[int(0.1 * n)], ends[int(0.9 * n) - 1]
        span = (hi - lo).total_seconds()
        result["sustained_runs_per_minute"] = round((int(0.9 * n) - int(0.1 * n)) / span * 60, 1)
    if ends:
        drain = (ends[-1] - started_at).total_seconds()
        result["drain_seconds"] = round(drain, 1)
        result["overall_runs_per_minute"] = round(n / drain * 60, 1)
        result["first_run_started_after_seconds"] = round(
            (firsts[0] - started_at).total_seconds(), 1
        )
    # Each kind's cost: the drain time shared in proportion to the worker time used.
    total_work = sum(worker_time.values())
    drain = result.get("drain_seconds")
    per_kind = {}
    for kind in ("published", "skipped"):
        entry = {"runs": kinds[kind], "task_seconds": _stats(by_kind_task_time[kind])}
        if drain and total_work and kinds[kind]:
            seconds = drain * worker_time[kind] / total_work / kinds[kind]
            entry["cluster_seconds_per_run"] = round(seconds, 3)
            entry["runs_per_minute"] = round(60 / seconds, 1)
        per_kind[kind] = entry
    per_kind["published"]["render_task_seconds"] = _stats(renders)
    result["by_kind"] = per_kind
    result["run_wall_seconds"] = _stats(walls)
    result["run_task_seconds"] = _stats(task_time)
    result["scheduler_overhead_seconds_per_run"] = _stats(overhead)
    result["run_queued_to_running_seconds"] = _stats(latency)
    result["task_queued_to_running_seconds"] = _stats(ti_latency)
    result["tasks_executed"] = len(executed)
    result["tasks_executed_per_run"] = round(len(executed) / len(runs), 2) if runs else None
    result["task_seconds_by_task"] = {
        task: _stats([t["duration"] for t in executed if t["task_id"] == task and t["duration"]])
        for task in sorted({t["task_id"] for t in executed})
    }
    result["hosts"] = dict(
        collections.Counter((t["hostname"] or "?").split("@")[0] for t in executed)
    )
    published = sorted(
        (t for t in executed if t["task_id"] == "publish" and t["state"] == "success"),
        key=lambda t: t["end_date"],
    )
    third = max(1, len(published) // 3)
    if published:
        result["publish_task_seconds"] = {
            "first_third": _stats([t["duration"] for t in published[:third]]),
            "last_third": _stats([t["duration"] for t in published[-third:]]),
        }
    return result


def projection(result: dict, expected: dict[str, int], args) -> dict:
    """The full region's time with the ``local`` and the ``ecs`` render backends.

    ``local``: each run kind at its measured cost on this cluster, plus a real scene's render
    CPU time spread over this machine's cores for each published run (the measured runs
    rendered tiny scenes). ``ecs``: the renders leave the machine (deferrable ECS tasks, no
    worker slot while they run), so the cluster's part is its measured cost per run kind (the
    tiny local render stands in for submitting and resuming the ECS task); and runs overlap
    at most DAGs x max_active_runs, each published run lasting its task time plus the Fargate
    task's overhead (stated, not measured) and the render. The longer of the two bounds.
    """
    kinds = result.get("by_kind", {})
    pub = kinds.get("published", {}).get("cluster_seconds_per_run")
    skip = kinds.get("skipped", {}).get("cluster_seconds_per_run")
    if pub is None or skip is None:
        return {"note": "needs published and skipped runs in the measured subset"}
    n_pub = expected.get("published", 0)
    n_skip = expected.get("cloudy", 0) + expected.get("missing", 0)
    cores = os.cpu_count() or 1
    local = n_pub * (pub + args.render_cpu_seconds / cores) + n_skip * skip
    cluster_part = n_pub * pub + n_skip * skip
    concurrency = len(result["dags"]) * args.max_active_runs
    task_pub = kinds["published"]["task_seconds"]["median"] or 0.0
    task_skip = kinds["skipped"]["task_seconds"]["median"] or 0.0
    fargate_render = args.render_cpu_seconds / 2  # a 2-vCPU task, as docker/'s definition
    latency_pub = task_pub + args.ecs_overhead + fargate_render
    overlap = (n_pub * latency_pub + n_skip * task_skip) / concurrency
    ecs = max(cluster_part, overlap)
    return {
        "runs": {"published": n_pub, "skipped": n_skip, **expected},
        "local_minutes": round(local / 60, 1),
        "local_render_seconds_per_scene_on_this_machine": round(args.render_cpu_seconds / cores, 2),
        "ecs_minutes": round(ecs / 60, 1),
        "ecs_bound": "the cluster" if cluster_part >= overlap else "runs in flight",
        "ecs_cluster_minutes": round(cluster_part / 60, 1),
        "ecs_overlap_minutes": round(overlap / 60, 1),
        "ecs_overhead_seconds": args.ecs_overhead,
        "ecs_overhead_measured": False,
        "render_cpu_seconds": args.render_cpu_seconds,
        "runs_in_flight": concurrency,
    }


def publish_bench(mode: str) -> list[dict] | None:
    """bench/bench_publish.py's results: run it (``run``) or read its last results (``reuse``)."""
    results = BENCH / "publish_cost.json"
    if mode == "run" or (mode == "reuse" and not results.is_file()):
        print("publish cost: running bench/bench_publish.py --scenes 300 6000 ...", flush=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "bench_publish.py")], check=True)
    if mode == "skip" or not results.is_file():
        return None
    return json.loads(results.read_text())


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def start_cluster(root: Path, config: Path, worker_concurrency: int):
    from cluster import components

    settings = components.Settings.on_free_ports(
        root, config, worker_concurrency=worker_concurrency
    )
    components.up_isolated(settings, timeout=300)
    return settings


def backfill_region(settings, region, args) -> dict:
    from cluster import api as rest

    client = rest.Api(settings)
    ids = [dag_id(p, r) for p, r in region]
    t0 = time.monotonic()
    for dag in ids:
        rest.wait_for_dag(client, dag)
        rest.unpause(client, dag)
    print(f"{len(ids)} DAGs parsed and unpaused in {time.monotonic() - t0:.0f} s", flush=True)

    since = f"{args.start.isoformat()}T00:00:00Z"
    until = f"{args.end.isoformat()}T00:00:00Z"
    full_since = f"{FULL_START.isoformat()}T00:00:00Z"
    full_until = f"{args.full_end.isoformat()}T00:00:00Z"
    planned, full = {}, {}
    for dag in ids:
        planned[dag] = rest.planned_runs(
            client, rest.backfill_body(dag, since, until, max_active_runs=args.max_active_runs)
        )
        full[dag] = rest.planned_runs(
            client,
            rest.backfill_body(dag, full_since, full_until, max_active_runs=args.max_active_runs),
        )
    total = sum(planned.values())
    started_at = dt.datetime.now(dt.UTC)
    t_create = time.monotonic()
    backfills = {}
    for dag in ids:
        body = rest.backfill_body(dag, since, until, max_active_runs=args.max_active_runs)
        backfills[dag] = rest.create_backfill(client, body)["id"]
    created = time.monotonic() - t_create
    print(
        f"{len(ids)} backfills created through the REST API in {created:.1f} s: {total} runs "
        f"({args.start} -> {args.end}, max_active_runs {args.max_active_runs} per backfill)",
        flush=True,
    )

    pending = dict(backfills)
    deadline = time.monotonic() + args.timeout * 60
    last_print = 0.0
    samples = []
    while pending and time.monotonic() < deadline:
        time.sleep(args.poll)
        for dag, backfill_id in list(pending.items()):
            if rest.backfill(client, backfill_id)["completed_at"]:
                del pending[dag]
        elapsed = time.monotonic() - t_create
        if elapsed - last_print >= 30 or not pending:
            states = rest.run_states(client)
            done = states["success"] + states["failed"]
            samples.append({"seconds": round(elapsed, 1), **states})
            print(
                f"  {elapsed:6.0f} s: {done}/{total} runs finished "
                f"({done / elapsed * 60:.1f}/min), {states['running']} running, "
                f"{states['queued']} queued, {states['failed']} failed; "
                f"{len(backfills) - len(pending)}/{len(backfills)} backfills drained",
                flush=True,
            )
            last_print = elapsed
    return {
        "dags": ids,
        "planned_runs": total,
        "planned_by_dag": planned,
        "full_range_runs": sum(full.values()),
        "backfill_create_seconds": round(created, 2),
        "started_at": started_at,
        "drained": not pending,
        "not_drained": sorted(pending),
        "samples": samples,
    }


def main() -> int:
    today = dt.date.today()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, nargs=2, default=[226, 229], metavar=("FIRST", "LAST"))
    parser.add_argument("--rows", type=int, nargs=2, default=[10, 14], metavar=("FIRST", "LAST"))
    recent = today - dt.timedelta(days=30)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=FULL_START)
    parser.add_argument(
        "--end",
        type=dt.date.fromisoformat,
        default=DEFAULT_END,
        help=f"last day of the backfill (default {DEFAULT_END}: one year, the subset that fits)",
    )
    parser.add_argument(
        "--full-end",
        type=dt.date.fromisoformat,
        default=recent,
        help="last day of the full range the projection counts (default: 30 days ago)",
    )
    parser.add_argument("--max-active-runs", type=int, default=4, help="per backfill (DAG)")
    parser.add_argument(
        "--render-cpu-seconds",
        type=float,
        default=RENDER_CPU_SECONDS,
        help=f"CPU seconds of a real scene's render (default {RENDER_CPU_SECONDS}: make bench)",
    )
    parser.add_argument(
        "--ecs-overhead",
        type=float,
        default=ECS_OVERHEAD_SECONDS,
        help=f"seconds a Fargate task takes before its render (default {ECS_OVERHEAD_SECONDS:g}: "
        "stated, not measured)",
    )
    parser.add_argument("--size", type=int, default=64, help="scene width and height, px")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="per Celery worker")
    parser.add_argument("--timeout", type=float, default=45, help="minutes to wait for draining")
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between checks")
    parser.add_argument("--publish-bench", choices=("run", "reuse", "skip"), default="reuse")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    region = [
        (p, r)
        for p in range(args.paths[0], args.paths[1] + 1)
        for r in range(args.rows[0], args.rows[1] + 1)
    ]
    from cluster import components

    root = Path(tempfile.mkdtemp(prefix="landsat-bench-scale-"))
    settings = None
    wall = time.monotonic()
    try:
        t = time.monotonic()
        catalog, cover, without = make_region_catalog(
            root / "catalog", region, args.start, args.end, args.size
        )
        config = write_config(root, catalog, region, args.max_active_runs)
        print(
            f"catalog: {len(cover)} synthetic {args.size} px scenes over {len(region)} path/rows "
            f"({sum(c <= MAX_CLOUD for c in cover.values())} under the {MAX_CLOUD:.0f} % cloud "
            f"limit), one at every daylight overpass; overpasses without a scene: {without}; "
            f"in {time.monotonic() - t:.0f} s",
            flush=True,
        )
        t = time.monotonic()
        settings = start_cluster(root, config, args.worker_concurrency)
        print(f"cluster up in {time.monotonic() - t:.0f} s ({settings.url})", flush=True)
        backfill = backfill_region(settings, region, args)
        runs, tis = read_database(settings)
        result = analyse(runs, tis, cover, backfill.pop("started_at"))
        result["bucket_objects"] = bucket_counts(settings)
    finally:
        if settings is not None:
            stopped = components.purge(settings)
            print("cluster stopped: " + ", ".join(stopped), flush=True)
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    result = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "date": today.isoformat(),
        "region": {"paths": args.paths, "rows": args.rows, "path_rows": len(region)},
        "range": [args.start.isoformat(), args.end.isoformat()],
        "full_end": args.full_end.isoformat(),
        "max_active_runs_per_backfill": args.max_active_runs,
        "celery": {"workers": 2, "concurrency": args.worker_concurrency},
        "catalog": {
            "scenes": len(cover),
            "under_cloud_limit": sum(c <= MAX_CLOUD for c in cover.values()),
            "overpasses_without_scene": without,
            "size_px": args.size,
            "max_cloud_cover": MAX_CLOUD,
            "daylight_min_sun_elevation": DAYLIGHT_MIN_SUN_ELEVATION,
            "cloud_cover_beta": CLOUD_BETA,
        },
        **backfill,
        **result,
    }
    rate = result.get("sustained_runs_per_minute")
    if rate:
        result["full_region_projected_minutes"] = round(backfill["full_range_runs"] / rate, 1)
    expected = expected_outcomes(region, FULL_START, args.full_end)
    result["full_region"] = projection(result, expected, args)
    result["publish_bench"] = publish_bench(args.publish_bench)
    result["bench_wall_seconds"] = round(time.monotonic() - wall, 1)
    report(result)
    BENCH.mkdir(exist_ok=True)
    (BENCH / "scale.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    ok = result["drained"] and result["problem_count"] == 0
    return 0 if ok else 1


def report(r: dict) -> None:
    def s(stats):
        return f"median {stats['median']} s, p90 {stats['p90']} s (n={stats['n']})"

    print()
    print(
        f"bench-scale: {r['region']['path_rows']} path/rows, {r['range'][0]} -> {r['range'][1]}, "
        f"{r['runs']} backfill runs (planned {r['planned_runs']}), max_active_runs "
        f"{r['max_active_runs_per_backfill']} per backfill, 2 Celery workers x "
        f"{r['celery']['concurrency']}"
    )
    print(f"  drained: {r['drained']}  time to drain: {r.get('drain_seconds')} s")
    print(
        f"  runs per minute: sustained {r.get('sustained_runs_per_minute')} (target >= 35), "
        f"overall {r.get('overall_runs_per_minute')}"
    )
    print(
        "  scheduler overhead per run (wall - task time): "
        + s(r["scheduler_overhead_seconds_per_run"])
    )
    print(f"  run wall time: {s(r['run_wall_seconds'])}; task time: {s(r['run_task_seconds'])}")
    print(f"  run queued -> running: {s(r['run_queued_to_running_seconds'])}")
    print(f"  task queued -> running: {s(r['task_queued_to_running_seconds'])}")
    print(
        f"  tasks executed by workers: {r['tasks_executed']} ({r['tasks_executed_per_run']} per "
        f"run) on {r['hosts']}"
    )
    print(f"  outcomes: {r['outcomes']}; unexplained: {r['problem_count']}")
    for kind, k in r.get("by_kind", {}).items():
        print(
            f"  {kind} runs: {k['runs']}, {k.get('runs_per_minute')} per minute as the only "
            f"kind ({k.get('cluster_seconds_per_run')} s of this cluster each; task time "
            f"{s(k['task_seconds'])})"
        )
    if "publish_task_seconds" in r:
        p = r["publish_task_seconds"]
        print(
            f"  publish task on the cluster: first third {s(p['first_third'])}, "
            f"last third {s(p['last_third'])}"
        )
    print(f"  bucket objects at the end: {r['bucket_objects']}")
    for entry in r.get("publish_bench") or []:
        print(
            f"  publish cost at {entry['scenes']} published scenes ({entry['store']}): "
            f"{entry['publish_seconds_median']} s, {entry['operations']} store operations"
        )
    if r.get("full_region_projected_minutes"):
        print(
            f"  full region 2013-04-11 -> {r['full_end']}: {r['full_range_runs']} runs, "
            f"{r['full_region_projected_minutes']} min at this subset's sustained rate"
        )
    f = r.get("full_region") or {}
    if "local_minutes" in f:
        runs = f["runs"]
        print(
            f"  full region as the archive has it: {runs['published']} rendered, "
            f"{runs.get('cloudy', 0)} cloudy and {runs.get('missing', 0)} dark overpasses skipped"
        )
        print(
            f"    local backend: {f['local_minutes']} min (each rendered run + "
            f"{f['local_render_seconds_per_scene_on_this_machine']} s: "
            f"{f['render_cpu_seconds']} CPU-s of a real render over {r['machine']['cpus']} cores)"
        )
        print(
            f"    ecs backend:   {f['ecs_minutes']} min (bound by {f['ecs_bound']}: cluster "
            f"{f['ecs_cluster_minutes']} min, {f['runs_in_flight']} runs in flight "
            f"{f['ecs_overlap_minutes']} min; Fargate overhead {f['ecs_overhead_seconds']:g} s "
            "per task STATED, not measured: moto runs no container)"
        )
    elif f:
        print(f"  full region projection: {f.get('note')}")


if __name__ == "__main__":
    raise SystemExit(main())
