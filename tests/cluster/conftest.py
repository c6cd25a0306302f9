"""A real cluster for the tests: PostgreSQL, Redis, S3, Airflow's components, 2 Celery workers.

Started once per session by the same code as ``make cluster`` (cluster/components.py), on free
ports of 127.0.0.1, with its Airflow home, state and catalog in a temporary folder of mode 700
(as a clone under ``mktemp -d``); stopped (every process, PostgreSQL last) and removed at the
end, with its PostgreSQL data. The pipeline config points at a small
synthetic catalog of 226/010 with three scenes (2024-06-12, 06-28, 07-14): every other
overpass of 2024 is missing. A second area (226/011, no scene in the catalog) waits 40 days
for its scenes: its runs stay deferred at ``discover``, for the mark-failed test.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # the launcher package at the repository root
    sys.path.insert(0, str(REPO))

DAG_ID = "landsat_p226_r010"


def _catalog_and_config(root: Path) -> Path:
    import datetime

    from landsat_demo.synthetic import make_catalog

    catalog = make_catalog(
        root / "catalog",
        path=226,
        row=10,
        start=datetime.date(2024, 6, 1),
        end=datetime.date(2024, 7, 20),
        width=300,
        height=300,
    )
    config = root / "areas.yaml"
    area = {
        "title": "Scoresby Sund (cluster test)",
        "path_rows": [[226, 10]],
        "max_cloud_cover": 100,
        "preview_size": 128,
        "wait_for_scene_hours": 2 / 3600,
        "poke_interval_minutes": 1 / 60,
        "retry_delay_minutes": 1 / 60,
        "max_active_runs": 4,
        # test_cluster.py: a season composited from 3 x 3 tiles mapped over both workers.
        "composites": {"periods": {"summer": "06-01..09-30"}, "tile_size": 128},
    }
    document = {
        "catalog": {"url": str(catalog), "collection": "landsat-c2-l1"},
        "storage": {"root": "s3://landsat-cluster", "aws_conn_id": "aws_default"},
        "areas": {
            "scoresby_sund": area,
            "waiting": {
                "title": "A path/row whose scenes are late (cluster test)",
                "path_rows": [[226, 11]],
                "start_date": "2024-01-01",
                "catchup": False,
                "wait_for_scene_hours": 40 * 24,
                "poke_interval_minutes": 1 / 60,
            },
        },
    }
    config.write_text(json.dumps(document, indent=2))  # JSON is YAML
    return config


@pytest.fixture(scope="session")
def cluster():
    """The running cluster's Settings; skips when neither PostgreSQL nor Redis can be found."""
    from cluster import components, postgres, redis_server
    from cluster.processes import ClusterError

    try:
        postgres.binaries()
        redis_server.binary()
    except ClusterError as exc:
        pytest.skip(f"cannot start the cluster's servers here: {exc}")
    # A folder only its owner can enter (mode 700), as a clone under `mktemp -d` or /root:
    # as root, PostgreSQL (run as nobody) keeps its files in a private folder of its own.
    root = Path(tempfile.mkdtemp(prefix="landsat-cluster-tests-"))
    settings = components.Settings.on_free_ports(root, _catalog_and_config(root))
    try:
        components.up_isolated(settings, timeout=300)
    except BaseException:
        _print_logs(settings)
        remove(settings, root)
        raise
    yield settings
    remove(settings, root)


def remove(settings, root: Path) -> None:
    """Stop everything of a throwaway cluster and delete its folders (its PostgreSQL data
    too, wherever it is kept)."""
    from cluster import components

    try:
        components.purge(settings)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _print_logs(settings) -> None:
    for log in sorted((settings.state / "logs").glob("*.log")):
        print(f"==> {log} <==\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))


@pytest.fixture(scope="session")
def api(cluster):
    """The REST API as the UI calls it (cluster.api.Api: a JWT, then /api/v2/...)."""
    from cluster.api import Api

    return Api(cluster)
