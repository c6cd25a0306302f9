"""The cluster's REST API as the UI calls it: a JWT from ``/auth/token``, then ``/api/v2/...``.

Used by ``bench/bench_scale.py`` (and usable by tests/cluster): unpause a DAG, create a
backfill (the UI's Backfill dialog posts the same body), wait for it to drain, read its runs.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from cluster.processes import ClusterError


class ApiError(ClusterError):
    """An HTTP error answer of the api-server (the status is in ``status``)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class Api:
    """A logged-in client of the cluster's api-server (``settings``: components.Settings)."""

    def __init__(self, settings, *, timeout: float = 60.0):
        from cluster import home

        self.base = settings.url
        self.timeout = timeout
        body = {"username": home.USER, "password": home.password(settings.airflow_home)}
        self.token = self.call("POST", "/auth/token", body, auth=False)["access_token"]

    def call(self, method: str, path: str, body: dict | None = None, *, auth: bool = True) -> Any:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500]
            raise ApiError(f"{method} {path}: HTTP {exc.code}: {detail!r}", exc.code) from None

    def pages(self, path: str, key: str, *, limit: int = 100) -> list[dict]:
        """Every entry of a paginated list endpoint (``path`` may carry a query already)."""
        entries: list[dict] = []
        joiner = "&" if "?" in path else "?"
        while True:
            page = self.call("GET", f"{path}{joiner}limit={limit}&offset={len(entries)}")
            entries += page[key]
            if not page[key] or len(entries) >= page["total_entries"]:
                return entries


def wait(what: str, done: Callable[[], Any], *, timeout: float, every: float = 3.0) -> Any:
    """Call ``done`` every ``every`` seconds until it returns a true value; ClusterError after."""
    deadline = time.monotonic() + timeout
    while True:
        value = done()
        if value:
            return value
        if time.monotonic() > deadline:
            raise ClusterError(f"{what}: not done after {timeout:.0f} s")
        time.sleep(every)


def wait_for_dag(api: Api, dag_id: str, *, timeout: float = 300) -> dict:
    """The DAG as the api-server knows it, once the dag-processor has stored it."""

    def stored():
        try:
            return api.call("GET", f"/api/v2/dags/{dag_id}")
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    return wait(f"DAG {dag_id} parsed and stored", stored, timeout=timeout, every=2.0)


def unpause(api: Api, dag_id: str) -> dict:
    return api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})


def backfill_body(
    dag_id: str,
    from_date: str,
    to_date: str,
    *,
    max_active_runs: int,
    reprocess_behavior: str = "none",
) -> dict:
    """The body the UI's Backfill dialog posts (dates as ISO 8601 UTC)."""
    return {
        "dag_id": dag_id,
        "from_date": from_date,
        "to_date": to_date,
        "max_active_runs": max_active_runs,
        "reprocess_behavior": reprocess_behavior,
        "run_backwards": False,
        "dag_run_conf": {},
    }


def planned_runs(api: Api, body: dict) -> int:
    """How many runs the backfill of ``body`` would create (the dialog's dry run)."""
    return api.call("POST", "/api/v2/backfills/dry_run", body)["total_entries"]


def create_backfill(api: Api, body: dict) -> dict:
    """Create the backfill; returns it (``id``, ``created_at``, ...)."""
    return api.call("POST", "/api/v2/backfills", body)


def backfill(api: Api, backfill_id: int) -> dict:
    """The backfill now; ``completed_at`` is set once every run of it has finished."""
    return api.call("GET", f"/api/v2/backfills/{backfill_id}")


def dag_runs(api: Api, dag_id: str, *, run_type: str | None = None) -> list[dict]:
    """Every run of a DAG (``dag_id`` ``~`` for all DAGs), optionally of one run type."""
    runs = api.pages(f"/api/v2/dags/{dag_id}/dagRuns", "dag_runs")
    return [run for run in runs if run_type is None or run["run_type"] == run_type]


def task_instances(api: Api, dag_id: str) -> list[dict]:
    """Every task instance of every run of a DAG (``~`` for all DAGs)."""
    return api.pages(f"/api/v2/dags/{dag_id}/dagRuns/~/taskInstances", "task_instances")


def run_states(api: Api, dag_id: str = "~") -> dict[str, int]:
    """How many runs are in each state (one cheap call per state: the totals only)."""
    out = {}
    for state in ("queued", "running", "success", "failed"):
        page = api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=1&state={state}")
        out[state] = page["total_entries"]
    return out
