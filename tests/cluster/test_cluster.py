"""The distributed engine of `make cluster`, for real: PostgreSQL, Redis, Celery, REST backfill.

A backfill created through the REST API (what the UI's Backfill dialog calls) over every 2024
overpass of 226/010, against a catalog with three scenes, drains: every run succeeds, the three
scenes are published (their renders on the ``render`` queue), every other run is skipped at
``discover``, and the tasks ran on both Celery workers.
"""

from __future__ import annotations

import pytest

from cluster.api import wait

pytestmark = pytest.mark.integration

DAG_ID = "landsat_p226_r010"
CATALOG_SCENES = 3  # tests/cluster/conftest.py: 2024-06-12, 06-28, 07-14


def test_every_component_is_healthy_and_bound_to_loopback(cluster):
    from cluster import components, processes

    assert set(components.health(cluster).values()) == {"healthy"}
    for worker in cluster.workers:
        assert processes.read_pid(cluster.state, worker.name)
    listening = _listening_addresses()
    for port in (cluster.api_port, cluster.postgres_port, cluster.redis_port, cluster.s3_port):
        assert listening.get(port) == {"127.0.0.1"}, f"port {port}: {listening.get(port)}"


def test_a_year_of_backfill_through_the_rest_api_drains_on_both_workers(cluster, api):
    api.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
    body = {
        "dag_id": DAG_ID,
        "from_date": "2024-01-01T00:00:00Z",
        "to_date": "2024-12-31T00:00:00Z",
        "max_active_runs": 4,
        "reprocess_behavior": "none",
        "run_backwards": False,
        "dag_run_conf": {},
    }
    planned = api.call("POST", "/api/v2/backfills/dry_run", body)["total_entries"]
    assert planned >= 22  # one run per 16-day overpass of 2024
    backfill = api.call("POST", "/api/v2/backfills", body)
    wait(
        "the backfill",
        lambda: api.call("GET", f"/api/v2/backfills/{backfill['id']}")["completed_at"],
        timeout=480,
    )
    runs = [
        run
        for run in api.pages(f"/api/v2/dags/{DAG_ID}/dagRuns", "dag_runs")
        if run["run_type"] == "backfill"
    ]
    assert len(runs) == planned
    assert {run["state"] for run in runs} == {"success"}, [
        (r["dag_run_id"], r["state"]) for r in runs
    ]

    tis = api.pages(f"/api/v2/dags/{DAG_ID}/dagRuns/~/taskInstances", "task_instances")
    by_run: dict[str, dict[str, dict]] = {}
    for ti in tis:
        by_run.setdefault(ti["dag_run_id"], {})[ti["task_id"]] = ti
    published = set()
    for run in runs:
        tasks = by_run[run["dag_run_id"]]
        if tasks["publish"]["state"] == "success":
            assert tasks["render_local"]["state"] == "success"
            assert tasks["render_local"]["queue"] == "render"
            published.add(run["dag_run_id"])
        else:
            assert tasks["discover"]["state"] == "skipped", (run["dag_run_id"], tasks["discover"])
            assert tasks["publish"]["state"] == "skipped"
    assert len(published) == CATALOG_SCENES
    hosts = {ti["hostname"].split("@")[0] for ti in tis if ti["hostname"]}
    assert {"worker1", "worker2"} <= hosts


def _listening_addresses() -> dict[int, set[str]]:
    """Listening TCP sockets of this machine: port -> local addresses (from /proc/net/tcp)."""
    out: dict[int, set[str]] = {}
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        fields = line.split()
        if fields[3] != "0A":  # LISTEN
            continue
        address, port = fields[1].split(":")
        ip = ".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0))
        out.setdefault(int(port, 16), set()).add(ip)
    return out


def test_a_waiting_run_blocks_nothing_and_mark_failed_ends_it_failed(cluster, api):
    """A run waiting for a recent scene is deferred (no worker slot) and does not block a
    manual run of another date of its DAG; the UI's "Mark Dag Run as failed" then ends it
    failed.

    (Issue 11: with a teardown task in the DAG, Airflow leaves a run marked failed to the
    scheduler, which judged it by its last tasks, skipped by the mark: the run ended success.)
    """
    import time

    dag_id = "landsat_p226_r011"  # tests/cluster/conftest.py: no scene, a 40-day wait
    api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
    try:

        def waiting_run():
            for ti in api.pages(f"/api/v2/dags/{dag_id}/dagRuns/~/taskInstances", "task_instances"):
                if ti["task_id"] == "discover" and ti["state"] == "deferred":
                    return ti["dag_run_id"]
            return None

        run_id = wait("a run deferred at discover", waiting_run, timeout=240)
        run_path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}"

        # A manual run of a historic overpass (no scene: past its window) ends meanwhile.
        manual = api.call(
            "POST",
            f"/api/v2/dags/{dag_id}/dagRuns",
            {"logical_date": "2024-06-12T00:00:00Z", "conf": {}},
        )
        manual_path = f"/api/v2/dags/{dag_id}/dagRuns/{manual['dag_run_id']}"
        state = wait(
            "the manual run",
            lambda: (
                api.call("GET", manual_path)["state"] in ("success", "failed")
                and api.call("GET", manual_path)["state"]
            ),
            timeout=180,
        )
        assert state == "success"
        discover = api.call("GET", f"{manual_path}/taskInstances/discover")
        assert discover["state"] == "skipped"
        assert api.call("GET", f"{run_path}/taskInstances/discover")["state"] == "deferred"

        assert api.call("PATCH", run_path, {"state": "failed"})["state"] == "failed"
        deadline = time.monotonic() + 45  # several scheduler loops
        while time.monotonic() < deadline:
            assert api.call("GET", run_path)["state"] == "failed"
            time.sleep(3)
        states = {
            ti["task_id"]: ti["state"]
            for ti in api.pages(f"{run_path}/taskInstances", "task_instances")
        }
        assert states.pop("discover") == "failed"
        assert set(states.values()) == {"skipped"}, states
    finally:
        api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": True})
