"""The distributed engine of `make cluster`, for real: PostgreSQL, Redis, Celery, REST backfill.

A backfill created through the REST API (what the UI's Backfill dialog calls) over every 2024
overpass of 226/010, against a catalog with three scenes, drains: every run succeeds, the three
scenes are published (their renders on the ``render`` queue), every other run is skipped at
``discover``, and the tasks ran on both Celery workers.

The operator's day (issue 21): a clone in a folder only its owner can enter, a second ``make
airflow``/``make cluster`` refused while the first keeps running, loopback listeners only, S3
credentials that are not words, the gallery at a URL; ``python -m cluster`` is run as the
Makefile runs it (``AIRFLOW_HOME`` and the ports in the environment) against the session's
cluster. Every test of the session's cluster is in this file: under xdist's ``--dist
loadfile`` each file that uses it would start a cluster of its own. ``make airflow`` for real:
test_make_airflow.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cluster.api import wait
from tests.cluster.clusterlib import (
    assert_refused,
    cluster_command,
    group_pids,
    healthy,
    listeners_of,
    snapshot,
)

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]
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


def test_a_season_composites_with_its_tiles_on_both_workers_and_a_rerun_writes_nothing(
    cluster, api
):
    """Issue 19: a backfill of landsat_composites over September 2024 (the month 2024-summer
    ends in) on the published scenes (the backfill's three; one of its own otherwise): 3 x 3
    tiles mapped on the render queue of both workers, one composite published; the period
    run again (the period Param) writes nothing."""
    from cluster import components

    _publish_one(cluster, api)
    dag_id = "landsat_composites"
    client = components.s3_client(cluster)
    item = "published/composites/226/010/2024-summer/p226r010_2024-summer.json"
    runs_path = f"/api/v2/dags/{dag_id}/dagRuns"

    def objects() -> dict[str, tuple]:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=components.BUCKET)
        return {
            o["Key"]: (o["ETag"], o["LastModified"])
            for page in pages
            for o in page.get("Contents", [])
        }

    api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
    try:
        body = {
            "dag_id": dag_id,
            "from_date": "2024-09-01T00:00:00Z",
            "to_date": "2024-09-01T00:00:00Z",
            "max_active_runs": 1,
            "reprocess_behavior": "none",
            "run_backwards": False,
            "dag_run_conf": {},
        }
        assert api.call("POST", "/api/v2/backfills/dry_run", body)["total_entries"] == 1
        backfill = api.call("POST", "/api/v2/backfills", body)
        wait(
            "the composites backfill",
            lambda: api.call("GET", f"/api/v2/backfills/{backfill['id']}")["completed_at"],
            timeout=400,
        )
        runs = [r for r in api.pages(runs_path, "dag_runs") if r["run_type"] == "backfill"]
        assert [r["state"] for r in runs] == ["success"], runs
        # The run that made the composite: the backfill's, or an asset-triggered one before it.
        tis = api.pages(f"{runs_path}/~/taskInstances", "task_instances")
        made = {
            ti["dag_run_id"]
            for ti in tis
            if ti["task_id"] == "assemble_composite" and ti["state"] == "success"
        }
        assert len(made) == 1, made
        tiles = [ti for ti in tis if ti["dag_run_id"] in made and ti["task_id"] == "composite_tile"]
        assert len(tiles) == 9 and {ti["state"] for ti in tiles} == {"success"}
        assert {ti["queue"] for ti in tiles} == {"render"}
        assert {ti["hostname"].split("@")[0] for ti in tiles} == {"worker1", "worker2"}
        assert client.head_object(Bucket=components.BUCKET, Key=item)
        staged = client.list_objects_v2(Bucket=components.BUCKET, Prefix="staging/composites/")
        assert staged["KeyCount"] == 0

        before = objects()
        run = api.call("POST", runs_path, {"logical_date": None, "conf": {"period": "2024-summer"}})
        path = f"{runs_path}/{run['dag_run_id']}"
        state = wait(
            "the period run again",
            lambda: (
                api.call("GET", path)["state"] in ("success", "failed")
                and api.call("GET", path)["state"]
            ),
            timeout=300,
        )
        assert state == "success"
        assert api.call("GET", f"{path}/taskInstances/plan")["state"] == "skipped"
        assert objects() == before
    finally:
        api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": True})


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


def test_postgres_of_a_home_nobody_can_enter_runs_from_its_private_folder(cluster):
    """The session's home is under a mode-700 folder (like a clone under `mktemp -d`)."""
    from cluster import postgres

    root = cluster.airflow_home.parent
    assert root.stat().st_mode & 0o777 == 0o700
    server = cluster.postgres
    assert server.running()
    if os.geteuid() != 0:
        pytest.skip("the server runs as this user: no private folder needed")
    assert not postgres.reachable(server.data, "nobody")
    assert server.data.is_symlink()
    assert server.located.parent == server.private
    assert postgres.reachable(server.located / "PG_VERSION", "nobody")
    owner = server.located.stat().st_uid
    assert owner == __import__("pwd").getpwnam("nobody").pw_uid
    private = server.private.parent
    info = os.lstat(private)
    assert info.st_uid == 0 and not info.st_mode & 0o022


def test_a_second_make_cluster_or_make_airflow_is_refused_and_the_first_stays_healthy(cluster):
    from cluster import components

    assert healthy(cluster)
    before = snapshot(cluster)
    assert {"api-server", "scheduler", "worker1", "worker2", "gallery"} <= set(before)

    for command in ("up", "standalone", "check"):
        done = cluster_command(cluster, command)
        assert_refused(done, says="already runs on this home")

    # Another checkout (another home) on the same ports: refused naming the port, nothing made.
    with tempfile.TemporaryDirectory() as other:
        other_settings = components.Settings.from_environment(Path(other) / "home")
        env_settings = dataclasses.replace(cluster, airflow_home=other_settings.airflow_home)
        for command in ("up", "standalone"):
            done = cluster_command(env_settings, command)
            assert_refused(done, says=f"port 127.0.0.1:{cluster.postgres_port} (PostgreSQL)")
        assert not (other_settings.state / "postgres").exists()

    # The first one: same processes, PostgreSQL up, every component healthy for a while.
    assert cluster.postgres.running()
    assert snapshot(cluster) == before
    for _ in range(3):
        time.sleep(5)
        assert healthy(cluster), components.health(cluster)


def test_every_listener_of_the_cluster_is_on_loopback(cluster):
    pids = group_pids(set(snapshot(cluster).values()))
    listening = listeners_of(pids)
    expected = {
        cluster.api_port,
        cluster.redis_port,
        cluster.s3_port,
        cluster.gallery_port,
        cluster.trigger_log_port,
        *(w.log_port for w in cluster.workers),
    }
    assert expected <= set(listening), (expected, listening)
    wrong = {port: ips for port, ips in listening.items() if ips != {"127.0.0.1"}}
    assert not wrong, f"listeners not on 127.0.0.1 only: {wrong}"
    # PostgreSQL runs as another user: its port, from the kernel's table.
    server_pid = int(cluster.postgres.located.joinpath("postmaster.pid").read_text().split()[0])
    assert listeners_of({server_pid}) == {cluster.postgres_port: {"127.0.0.1"}}


def _publish_one(cluster, api) -> None:
    """A published scene (a manual run of a catalog scene) unless the bucket has one."""
    from cluster import components

    client = components.s3_client(cluster)
    if client.list_objects_v2(Bucket=components.BUCKET, Prefix="index.html").get("KeyCount"):
        return
    api.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
    run = api.call(
        "POST",
        f"/api/v2/dags/{DAG_ID}/dagRuns",
        {"logical_date": "2024-06-28T00:00:00Z", "conf": {}},
    )
    path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}"
    state = wait(
        "the manual run",
        lambda: api.call("GET", path)["state"] in ("success", "failed") and api.call("GET", path),
        timeout=300,
    )["state"]
    assert state == "success"


def test_the_gallery_is_served_read_only_at_its_url(cluster, api):
    _publish_one(cluster, api)
    with urllib.request.urlopen(cluster.gallery_url, timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/html")
        page = response.read().decode()
    assert "<html" in page.lower()
    links = re.findall(r'(?:src|href)="(published/[^"]+\.png)"', page)
    assert links, page[:2000]
    with urllib.request.urlopen(cluster.gallery_url + links[0], timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/png"
        assert response.read(8) == b"\x89PNG\r\n\x1a\n"

    def status(path: str, method: str = "GET") -> int:
        request = urllib.request.Request(cluster.gallery_url + path, method=method, data=None)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert status("catalog.json") == 200
    assert status("index.html", "PUT") == 405
    assert status("index.html", "DELETE") == 405
    assert status("landing/") == 404  # the raw bands are not part of the gallery
    assert status("staging/x") == 404
    assert status("published/%2e%2e/landing/x") == 404

    # The bucket itself answers only signed requests: that is why the gallery exists.
    with pytest.raises(urllib.error.HTTPError) as unsigned:
        urllib.request.urlopen(f"{cluster.s3_endpoint}/landsat-cluster/index.html", timeout=30)
    assert unsigned.value.code == 403
    # make cluster-status prints the URL.
    done = cluster_command(cluster, "status")
    assert done.returncode == 0, done.stderr
    assert f"gallery: {cluster.gallery_url}" in done.stdout


def test_s3_credentials_are_random_and_nothing_else_is_masked(cluster, api):
    from cluster import home

    key, secret = home.s3_credentials(cluster.airflow_home)
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key), key
    assert re.fullmatch(r"[0-9a-f]{40}", secret), secret
    stored = json.loads((cluster.airflow_home / home.S3_CREDENTIALS_FILE).read_text())
    assert stored == {"aws_access_key_id": key, "aws_secret_access_key": secret}
    assert (cluster.airflow_home / home.S3_CREDENTIALS_FILE).stat().st_mode & 0o077 == 0

    _publish_one(cluster, api)
    logs = [p.read_text(errors="replace") for p in (cluster.airflow_home / "logs").rglob("*.log")]
    text = "\n".join(logs)
    assert "landsat-cluster" in text  # the bucket's name, once masked as "landsat-***"
    assert "landsat-***" not in text
    assert secret not in text
