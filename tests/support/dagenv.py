"""A private Airflow for the DAG tests: its own home, SQLite database and pipeline config.

The environment is set when this file is imported, i.e. before any test module imports
Airflow (Airflow reads AIRFLOW_HOME and AIRFLOW_CONFIG once, on import): the tests never touch
the developer's .airflow/ or the repository's airflow.cfg, and need no `make airflow-init`.

The pipeline config the DAGs read (``LANDSAT_PIPELINE_CONFIG``) is written here too. It points
at a small synthetic catalog (session fixture :func:`catalog`) and at the moto bucket
``s3://landsat-ops-test`` (tests/conftest.py's ``s3_bucket``), with waits and retry delays of
seconds instead of hours.
"""

from __future__ import annotations

import atexit
import datetime
import hashlib
import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HOME = Path(tempfile.mkdtemp(prefix="landsat-airflow-tests-"))
atexit.register(shutil.rmtree, HOME, ignore_errors=True)
CATALOG_DIR = HOME / "catalog"
CONFIG_FILE = HOME / "areas.yaml"
BUCKET = "landsat-ops-test"
PATH, ROW = 226, 10
# Three overpasses of 226/010 in the test catalog (06-12, 06-28, 07-14); none after it ends.
CATALOG_START, CATALOG_END = datetime.date(2024, 6, 1), datetime.date(2024, 7, 20)
SCENE_SIZE = 300


def _fernet_key() -> str:
    import base64

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


os.environ.update(
    {
        "AIRFLOW_HOME": str(HOME),
        "AIRFLOW_CONFIG": str(HOME / "airflow.cfg"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__FERNET_KEY": _fernet_key(),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{HOME}/airflow.db",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(48),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(HOME / "logs"),
        "LANDSAT_PIPELINE_CONFIG": str(CONFIG_FILE),
    }
)
if "airflow" in sys.modules:  # pragma: no cover - a guard for unusual test selections
    import warnings

    warnings.warn(
        "airflow was imported before tests/support/dagenv.py set AIRFLOW_HOME; "
        "the DAG tests may use another Airflow home",
        stacklevel=1,
    )
logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log


def write_config(**overrides) -> Path:
    """Write the pipeline config the DAGs read; ``overrides`` replace area settings."""
    area = {
        "title": "Scoresby Sund (test)",
        "path_rows": [[PATH, ROW]],
        "max_cloud_cover": 100,
        "preview_size": 128,
        "wait_for_scene_hours": 3 / 3600,  # 3 s
        "poke_interval_minutes": 1 / 60,  # 1 s
        "retry_delay_minutes": 1 / 60,  # 1 s, doubled per retry
        "retries": 2,
    }
    area.update(overrides.pop("area", {}))
    document = {
        "catalog": {"url": str(CATALOG_DIR / "catalog.json"), "collection": "landsat-c2-l1"},
        "storage": {"root": f"s3://{BUCKET}", "aws_conn_id": "aws_default"},
        "areas": {"scoresby_sund": area},
        **overrides,
    }
    CONFIG_FILE.write_text(json.dumps(document, indent=2))  # JSON is YAML
    return CONFIG_FILE


write_config()


@pytest.fixture(scope="session")
def airflow_db():
    """The test Airflow's metadata database, created once per session."""
    from airflow.utils import db

    db.resetdb()
    return HOME / "airflow.db"


@pytest.fixture(scope="session")
def catalog() -> Path:
    """A small static STAC catalog of synthetic 226/010 scenes (3 overpasses, 300 x 300)."""
    from landsat_demo.synthetic import make_catalog

    return make_catalog(
        CATALOG_DIR,
        path=PATH,
        row=ROW,
        start=CATALOG_START,
        end=CATALOG_END,
        width=SCENE_SIZE,
        height=SCENE_SIZE,
    )


@pytest.fixture
def pipeline_config():
    """Write the default test config; the test may call the returned function to change it."""
    write_config()
    yield write_config
    write_config()


@pytest.fixture
def aws_connection(aws_env, monkeypatch):
    """Airflow connection aws_default pointing at the moto server (endpoint_url in its extra)."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        json.dumps(
            {
                "conn_type": "aws",
                "extra": {
                    "endpoint_url": aws_env,
                    "region_name": "us-east-1",
                    "config_kwargs": {"retries": {"mode": "standard", "max_attempts": 2}},
                },
            }
        ),
    )
    return aws_env


@pytest.fixture
def s3_client(aws_connection, s3_bucket, monkeypatch):
    """A client of the moto bucket for the test's own reads and set-up; the connection
    aws_default alone carries the endpoint and the credentials (login and password), so the
    tasks need no AWS_* variable (:func:`no_env_credentials`)."""
    import boto3

    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        json.dumps(
            {
                "conn_type": "aws",
                "login": "testing",
                "password": "testing",
                "extra": {"endpoint_url": aws_connection, "region_name": "us-east-1"},
            }
        ),
    )
    return boto3.client("s3", endpoint_url=aws_connection, region_name="us-east-1")


@pytest.fixture
def s3_calls(monkeypatch) -> list[tuple[str, str]]:
    """``(operation, URL)`` of every S3 request the tasks' clients send (the clients of
    ``landsat_pipeline.hooks.bucket.s3_client``), in order; the test may clear it."""
    import landsat_pipeline.hooks.bucket as bucket_module

    calls: list[tuple[str, str]] = []
    real = bucket_module.s3_client

    def recording_client(aws_conn_id):
        task_client = real(aws_conn_id)

        def before_send(request, **kwargs):
            calls.append((kwargs["event_name"].rsplit(".", 1)[-1], request.url))

        task_client.meta.events.register("before-send.s3", before_send)
        return task_client

    monkeypatch.setattr(bucket_module, "s3_client", recording_client)
    return calls


def drop_env_credentials(monkeypatch) -> None:
    """Unset the environment's AWS endpoint and credentials: the tasks (boto3 and GDAL's
    ``/vsis3/``) then reach the bucket through the connection alone. Clients made before keep
    theirs."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


@pytest.fixture
def no_env_credentials(monkeypatch):
    """:func:`drop_env_credentials` for the test (request it after :func:`s3_client`)."""
    drop_env_credentials(monkeypatch)


def publish_catalog_scenes(client, catalog: Path, *, count: int = 3) -> list[dict]:
    """Land and publish the first ``count`` scenes of the test catalog into the moto bucket as
    the scenes DAG leaves them (:func:`tests.support.composite_scenes.publish_scenes`); their
    discover-task XComs, oldest first."""
    from landsat_ops.storage import open_store
    from tests.support.composite_scenes import catalog_scenes, publish_scenes

    scenes = catalog_scenes(catalog, PATH, ROW, CATALOG_START, CATALOG_END)[:count]
    assert len(scenes) == count
    publish_scenes(open_store(f"s3://{BUCKET}", client), scenes)
    return scenes


def load_dag(dag_id: str):
    """The DAG ``dag_id`` parsed from its own file ``dags/<dag_id>.py`` with the current
    pipeline config; any import error fails the test."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / f"{dag_id}.py"))
    assert bag.import_errors == {}
    return bag.get_dag(dag_id)


def task_states(dag_run) -> dict[str, list[str]]:
    """Task ID -> the states of its task instances in ``dag_run`` (one per map index)."""
    out: dict[str, list[str]] = {}
    for task, state, _, _ in task_instances(dag_run):
        out.setdefault(task, []).append(state)
    return out


def import_dag_file(module: str, heavy: list[str]) -> tuple[list[str], float]:
    """Import a DAG file in a fresh interpreter: the ``heavy`` modules it loaded, and the time.

    The interpreter inherits this session's environment (conftest.py): its own AIRFLOW_HOME
    and pipeline config. ``airflow.sdk`` is imported before the clock starts, as in the DAG
    processor.
    """
    code = (
        "import sys, time\n"
        f"sys.path[:0] = [{str(REPO / 'plugins')!r}, {str(REPO / 'dags')!r}]\n"
        "import airflow.sdk\n"
        "start = time.perf_counter()\n"
        f"import {module}\n"
        "elapsed = time.perf_counter() - start\n"
        f"heavy = {heavy!r}\n"
        "print(repr(([m for m in heavy if m in sys.modules], elapsed)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return eval(out.stdout.strip().splitlines()[-1])


def task_instances(dag_run) -> list[tuple[str, str, int, int]]:
    """``(task_id, state, try_number, map_index)`` of every task instance of ``dag_run``, in
    map index order."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        tis = session.scalars(
            select(TaskInstance)
            .where(TaskInstance.dag_id == dag_run.dag_id, TaskInstance.run_id == dag_run.run_id)
            .order_by(TaskInstance.map_index)
        )
        return [(ti.task_id, str(ti.state), ti.try_number, ti.map_index) for ti in tis]


def xcom(dag_run, task_id: str):
    """The return value ``task_id`` pushed in ``dag_run`` (None when it pushed none)."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        query = XComModel.get_many(
            run_id=dag_run.run_id, key="return_value", dag_ids=dag_run.dag_id, task_ids=task_id
        )
        row = session.scalars(query).first()
        return None if row is None else XComModel.deserialize_value(row)


# --- the scenes DAG of the test area: its scene, its run's date, what it leaves in the bucket ---
DAG_ID = f"landsat_p{PATH:03d}_r{ROW:03d}"
SCENE_DAY = datetime.date(2024, 6, 28)  # an overpass of 226/010 in the test catalog
SCENE_ID = "LC08_L1TP_226010_20240628_20240708_02_T1"
LANDED = ["B1.TIF", "B2.TIF", "B3.TIF", "B4.TIF", "B5.TIF", "B6.TIF", "B7.TIF", "MTL.txt"]
LANDED += ["QA_PIXEL.TIF"]  # B6: the extent product's SWIR1


def logical_date(day: datetime.date) -> datetime.datetime:
    """The logical date of the run of overpass day ``day``: that day at 00:00 UTC, as scheduled.

    WRS2OverpassTimetable gives a manual run the overpass day containing its logical date.
    """
    return datetime.datetime.combine(day, datetime.time(0, 0), datetime.UTC)


def objects(client) -> dict[str, dict]:
    """Key -> {etag, modified, sha256 (metadata), actual (sha256 of the body)}."""
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in page.get("Contents", []):
            head = client.head_object(Bucket=BUCKET, Key=obj["Key"])
            body = client.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read()
            out[obj["Key"]] = {
                "etag": obj["ETag"],
                "modified": obj["LastModified"],
                "sha256": head.get("Metadata", {}).get("sha256"),
                "actual": hashlib.sha256(body).hexdigest(),
                "type": head.get("ContentType"),
            }
    return out


def run_states(dag_run) -> dict[str, tuple[str, int]]:
    return {task: (state, tries) for task, state, tries, _ in task_instances(dag_run)}


def expected_keys(
    date: datetime.date = SCENE_DAY, scene_id: str = SCENE_ID, *, version: str
) -> set[str]:
    """Every object after the scene is published; ``version``: the ``<ID>/<version>`` folder
    its item names (publish's XCom), the only one of the scene."""
    from landsat_ops.products import product_files
    from landsat_pipeline.keys import landing_record_key

    published = f"published/{PATH:03d}/{ROW:03d}/{date}"
    path_row = f"published/{PATH:03d}/{ROW:03d}"
    assert version.startswith(f"{scene_id}/")
    return (
        {f"landing/{scene_id}/{scene_id}_{suffix}" for suffix in LANDED}
        | {landing_record_key(scene_id)}
        | {f"{published}/{scene_id}.json"}
        | {f"{published}/{version}/{name}" for name in product_files(scene_id)}
        | {f"{path_row}/collection.json", "catalog.json", "index.html"}
        # The path/row's gallery pages: its newest scenes, and one page per year.
        | {f"{path_row}/index.html", f"{path_row}/{date.year}.html"}
    )
