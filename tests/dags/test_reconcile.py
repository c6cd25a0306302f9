"""The landsat_reconcile DAG with dag.test(): gap reports on moto S3, runs for late scenes.

The test catalog has three overpasses of 226/010 (2024-06-12, 06-28, 07-14). One is
published through the scenes DAG first; the reconcile then reports the other two as
``unpublished`` (and every other overpass since 2013-04-11 as ``missing``) and requests one
scenes-DAG run per late scene, once. Its ``collect_garbage`` task deletes a product version
no item names once past the retention, never the one the item names.
"""

from __future__ import annotations

import datetime
import json

import pytest

from tests.support.dagenv import BUCKET, PATH, REPO, ROW, xcom

SCENES_DAG = f"landsat_p{PATH:03d}_r{ROW:03d}"
PUBLISHED_DAY = datetime.date(2024, 6, 28)
LATE = {
    "LC08_L1TP_226010_20240612_20240622_02_T1",
    "LC08_L1TP_226010_20240714_20240724_02_T1",
}


@pytest.fixture
def dags(airflow_db, catalog, pipeline_config, aws_connection, s3_bucket):
    from airflow.dag_processing.dagbag import DagBag

    # Look back far enough to reach the 2024 test scenes.
    pipeline_config(area={"reconcile_days": 3650})
    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    return bag


def requested_runs() -> dict[str, dict]:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        runs = session.scalars(
            select(DagRun).where(DagRun.dag_id == SCENES_DAG, DagRun.run_id.like("reconcile__%"))
        )
        return {run.run_id: {"conf": run.conf, "logical_date": run.logical_date} for run in runs}


def gaps(client) -> dict:
    body = client.get_object(Bucket=BUCKET, Key=f"published/{PATH:03d}/{ROW:03d}/gaps.json")
    return json.loads(body["Body"].read())


def test_gap_report_and_one_run_per_late_scene(dags, aws_connection, monkeypatch):
    import boto3

    from landsat_ops.storage import open_store
    from landsat_pipeline.publishing import product_set_problem

    client = boto3.client("s3", endpoint_url=aws_connection, region_name="us-east-1")
    scenes = dags.get_dag(SCENES_DAG)
    start = datetime.datetime.combine(PUBLISHED_DAY, datetime.time(), datetime.UTC)
    scenes_run = scenes.test(logical_date=start)
    assert scenes_run.state == "success"
    # What a killed render left beside the published version: a version no item names.
    day = f"published/{PATH:03d}/{ROW:03d}/{PUBLISHED_DAY}"
    version = xcom(scenes_run, "publish")["version"]
    scene_id = version.split("/")[0]
    left = f"{day}/{scene_id}/0123456789abcdef/{scene_id}_ndvi.tif"
    client.put_object(Bucket=BUCKET, Key=left, Body=b"half a product")

    reconcile = dags.get_dag("landsat_reconcile")
    first = reconcile.test()
    assert first.state == "success"
    assert xcom(first, "collect_garbage") == {"versions_removed": 0, "objects": 0}
    assert client.head_object(Bucket=BUCKET, Key=left)  # within the retention: kept

    report = gaps(client)
    by_date = {entry["date"]: entry for entry in report["entries"]}
    assert by_date["2024-06-28"]["status"] == "published"
    assert {by_date[d]["status"] for d in ("2024-06-12", "2024-07-14")} == {"unpublished"}
    assert {by_date[d]["scene_id"] for d in ("2024-06-12", "2024-07-14")} == LATE
    assert by_date["2024-07-30"]["status"] == "missing"  # after the catalog ends
    assert report["counts"]["published"] == 1 and report["counts"]["unpublished"] == 2
    assert report["counts"]["missing"] == report["counts"]["entries"] - 3
    assert all(entry["overpass"] for entry in report["entries"])
    html = client.get_object(Bucket=BUCKET, Key=f"published/{PATH:03d}/{ROW:03d}/gaps.html")
    index = html["Body"].read().decode()
    assert "2 unpublished" in index
    # One page per year since the start date, each linked from the index (the gallery's link).
    folder = f"published/{PATH:03d}/{ROW:03d}"
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=f"{folder}/gaps-")["Contents"]
    years = sorted({entry["date"][:4] for entry in report["entries"]})
    assert sorted(o["Key"] for o in listed) == [f"{folder}/gaps-{y}.html" for y in years]
    assert years[0] == "2013" and all(f'href="gaps-{y}.html"' in index for y in years)
    page = client.get_object(Bucket=BUCKET, Key=f"{folder}/gaps-2024.html")["Body"].read()
    assert page.count(b"<tr data-status='unpublished'>") == 2
    assert page.count(b"<tr data-status='published'>") == 1

    runs = requested_runs()
    assert set(runs) == {f"reconcile__{scene_id}" for scene_id in LATE}
    assert {run["conf"]["scene_id"] for run in runs.values()} == LATE
    assert all(run["logical_date"] is None for run in runs.values())

    # Again: the same report (not rewritten) and no second request of the same scenes.
    modified = client.head_object(Bucket=BUCKET, Key=f"published/{PATH:03d}/{ROW:03d}/gaps.json")[
        "LastModified"
    ]
    monkeypatch.setenv("LANDSAT_OPS_RETENTION_SECONDS", "0")  # past the retention now
    second = reconcile.test()
    assert second.state == "success"
    assert requested_runs().keys() == runs.keys()
    again = client.head_object(Bucket=BUCKET, Key=f"published/{PATH:03d}/{ROW:03d}/gaps.json")
    assert again["LastModified"] == modified
    # The leftover version is gone; the version the item names is complete and untouched.
    assert xcom(second, "collect_garbage") == {"versions_removed": 1, "objects": 1}
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=f"{day}/")["Contents"]
    assert {o["Key"].rsplit("/", 1)[0] for o in listed} == {day, f"{day}/{version}"}
    item_key = f"{day}/{scene_id}.json"
    assert product_set_problem(open_store(f"s3://{BUCKET}"), item_key) is None
