"""The whole DAG with `dag.test()` against a moto S3 server on 127.0.0.1.

The bucket is reached only through the Airflow connection ``aws_default`` (endpoint_url in its
extra): ``AWS_ENDPOINT_URL`` is unset while the DAG runs. Every S3 call the tasks make is
recorded through a botocore event hook on the connection's client, so "uploads nothing" is
checked on the calls themselves, not only on the objects.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.support.dagenv import (
    BUCKET,
    DAG_ID,
    LANDED,
    REPO,
    SCENE_DAY,
    SCENE_ID,
    expected_keys,
    logical_date,
    objects,
    run_states,
    xcom,
)

EMPTY_DAY = datetime.date(2024, 7, 30)  # an overpass after the catalog ends
WRITES = {"PutObject", "CopyObject", "UploadPart", "CreateMultipartUpload", "DeleteObject"}
# The ecs render backend (tests/dags/test_remote_backends.py): skipped by the branch here. The
# ec2 chain exists only with the config's remote.ec2 section, which the default test config has not.
REMOTE_SKIPPED = dict.fromkeys(("prepare_ecs", "render_ecs"), "skipped")


@pytest.fixture
def s3(aws_connection, s3_bucket, monkeypatch):
    """A verification client, and the list of S3 calls made by the DAG's tasks."""
    import boto3

    import landsat_pipeline.hooks.bucket as bucket_module

    client = boto3.client("s3", endpoint_url=aws_connection, region_name="us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL")  # the tasks must use the connection's endpoint
    calls: list[str] = []
    faults: list = []
    real = bucket_module.s3_client

    def recording_client(aws_conn_id):
        task_client = real(aws_conn_id)
        assert task_client.meta.endpoint_url == aws_connection

        def before_send(request, **kwargs):
            name = kwargs["event_name"].rsplit(".", 1)[-1]
            for fault in faults:
                fault(name, request)
            calls.append(name)

        task_client.meta.events.register("before-send.s3", before_send)
        return task_client

    monkeypatch.setattr(bucket_module, "s3_client", recording_client)
    return client, calls, faults


@pytest.fixture
def dag(airflow_db, catalog, pipeline_config):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    return bag.get_dag(DAG_ID)


def run_note(dag_run) -> str | None:
    """The run's note as the UI shows it (written by the plugin's listener when the run ended)."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run = session.scalars(
            select(DagRun).where(DagRun.dag_id == dag_run.dag_id, DagRun.run_id == dag_run.run_id)
        ).one()
        return run.note


def test_whole_dag_on_s3_then_a_rerun_changes_nothing(dag, s3, catalog):
    client, calls, _ = s3
    dag_run = dag.test(logical_date=logical_date(SCENE_DAY))

    assert dag_run.state == "success"
    cloud = xcom(dag_run, "discover")["cloud_cover"]
    assert run_note(dag_run) == f"published {SCENE_ID} ({cloud:.1f} % cloud)"
    states = run_states(dag_run)
    assert {task: state for task, (state, _) in states.items()} == {
        "discover": "success",
        "upload_bands": "success",
        "choose_render": "success",
        "render_local": "success",
        "publish": "success",
        **REMOTE_SKIPPED,
    }
    first = objects(client)
    version = xcom(dag_run, "publish")["version"]
    assert set(first) == expected_keys(version=version)
    for key, obj in first.items():  # every object carries the checksum of its bytes
        assert obj["sha256"] == obj["actual"], key
    scene_dir = Path(catalog).parent / "scenes" / SCENE_ID
    for suffix in LANDED:  # the landed bands are the catalog's files, byte for byte
        source = hashlib.sha256((scene_dir / f"{SCENE_ID}_{suffix}").read_bytes()).hexdigest()
        assert first[f"landing/{SCENE_ID}/{SCENE_ID}_{suffix}"]["actual"] == source
    prefix = f"published/226/010/{SCENE_DAY}/"
    item = json.loads(
        client.get_object(Bucket=BUCKET, Key=f"{prefix}{SCENE_ID}.json")["Body"].read()
    )
    for asset in item["assets"].values():  # published products match the item's checksums
        name = asset["href"].removeprefix("./")
        assert asset["file:checksum"] == "1220" + first[prefix + name]["actual"]
    assert item["collection"] == "landsat-p226-r010"
    assert f"landing/{SCENE_ID}/{SCENE_ID}_B6.TIF" in first  # the extent product's SWIR1
    assert not any("_B10." in key or "_B11." in key for key in first)  # no thermal band

    collection = json.loads(
        client.get_object(Bucket=BUCKET, Key="published/226/010/collection.json")["Body"].read()
    )
    items = [link for link in collection["links"] if link["rel"] == "item"]
    assert [link["href"] for link in items] == [f"./{SCENE_DAY}/{SCENE_ID}.json"]
    gallery = client.get_object(Bucket=BUCKET, Key="index.html")["Body"].read().decode()
    # The root card shows the path/row's latest scene (its thumbnail, or the true colour).
    assert f'src="published/226/010/{SCENE_DAY}/{version}/{SCENE_ID}_' in gallery
    page = client.get_object(Bucket=BUCKET, Key="published/226/010/index.html")["Body"].read()
    assert f'href="{SCENE_DAY}/{version}/{SCENE_ID}_truecolor.png"'.encode() in page
    assert first["index.html"]["type"].startswith("text/html")

    landed = xcom(dag_run, "upload_bands")
    assert sorted(landed["uploaded"]) == sorted(f"{SCENE_ID}_{s}" for s in LANDED)
    assert landed["skipped"] == []
    scene = xcom(dag_run, "discover")
    assert scene["scene_id"] == SCENE_ID and scene["date"] == str(SCENE_DAY)
    published = xcom(dag_run, "publish")
    assert published["item_uri"] == f"s3://{BUCKET}/{prefix}{SCENE_ID}.json"
    assert published["gallery_uri"] == f"s3://{BUCKET}/index.html"
    for value in (scene, landed, published):
        assert "testing" not in json.dumps(value)  # no credentials in XCom

    # The same logical date again: same keys, same ETags, and not one write request.
    calls.clear()
    again = dag.test(logical_date=logical_date(SCENE_DAY))
    assert again.state == "success"
    assert run_states(again)["render_local"][0] == "skipped"  # already published, complete
    assert objects(client) == first
    assert WRITES.isdisjoint(calls), calls
    assert xcom(again, "upload_bands")["uploaded"] == []
    assert xcom(again, "publish")["copied"] == []


def test_asset_event_is_emitted_with_the_scene(dag, s3):
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import select

    dag_run = dag.test(logical_date=logical_date(SCENE_DAY))
    assert dag_run.state == "success"
    with create_session() as session:
        events = session.scalars(
            select(AssetEvent).where(AssetEvent.source_run_id == dag_run.run_id)
        ).all()
        assert [e.asset.uri for e in events] == ["landsat://published/p226_r010"]
        extra = events[0].extra
    assert extra["scene_id"] == SCENE_ID
    assert extra["item_uri"] == f"s3://{BUCKET}/published/226/010/{SCENE_DAY}/{SCENE_ID}.json"


def test_no_scene_in_the_catalog_skips_the_run(dag, s3, capfd):
    client, calls, _ = s3
    dag_run = dag.test(logical_date=logical_date(EMPTY_DAY))

    states = run_states(dag_run)
    assert {task: state for task, (state, _) in states.items()} == {
        "discover": "skipped",
        "upload_bands": "skipped",
        "choose_render": "skipped",
        "render_local": "skipped",
        "publish": "skipped",
        **REMOTE_SKIPPED,
    }
    assert objects(client) == {}
    assert calls == []
    log = capfd.readouterr().out
    assert f"Skipping: no Landsat scene of path/row 226/010 acquired in [{EMPTY_DAY}T00:00" in log
    assert "appeared in the catalog within 0:00:03" in log
    assert dag_run.state == "success"
    assert run_note(dag_run).startswith(
        f"no scene: no scene of 226/010 acquired on {EMPTY_DAY} within 0:00:03 (window ended "
    )


def test_cloudy_scene_is_skipped(dag, s3, pipeline_config, capfd):
    client, _, _ = s3
    pipeline_config(area={"max_cloud_cover": 0})
    dag_run = dag.test(logical_date=logical_date(SCENE_DAY))
    assert run_states(dag_run)["discover"][0] == "skipped"
    assert run_states(dag_run)["publish"][0] == "skipped"
    assert objects(client) == {}
    assert "cloud cover, above the limit of 0 %" in capfd.readouterr().out
    assert re.fullmatch(
        rf"cloudy: {SCENE_ID}, \d+\.\d % cloud cover, above the limit of 0 %", run_note(dag_run)
    )


def test_endpoint_lost_mid_upload_fails_the_try_and_the_retry_completes(dag, s3, capfd):
    """The S3 endpoint goes away after 3 of the 9 band uploads of the first try."""
    from airflow.sdk import get_current_context
    from botocore.exceptions import EndpointConnectionError

    client, calls, faults = s3
    seen = {"puts": 0, "down_at": None}

    def endpoint_down_in_first_upload_try(name, request):
        ti = get_current_context()["ti"]
        if ti.task_id != "upload_bands" or ti.try_number != 1:
            return
        if name == "PutObject":
            seen["puts"] += 1
        if seen["puts"] > 3:
            if seen["down_at"] is None:
                seen["down_at"] = sorted(objects(client))  # what exists when it goes away
            raise EndpointConnectionError(endpoint_url=request.url.split("/" + BUCKET)[0])

    faults.append(endpoint_down_in_first_upload_try)
    dag_run = dag.test(logical_date=logical_date(SCENE_DAY))

    assert dag_run.state == "success"
    states = run_states(dag_run)
    assert states["upload_bands"] == ("success", 2)  # failed once, retried
    assert states["publish"][0] == "success"
    # The failed try left the 3 completed uploads only: nothing partial, nothing published.
    assert len(seen["down_at"]) == 3
    assert all(key.startswith(f"landing/{SCENE_ID}/") for key in seen["down_at"])
    log = capfd.readouterr().out
    assert f"s3://{BUCKET}/landing/{SCENE_ID}/{SCENE_ID}_B4.TIF: cannot upload" in log
    assert "Could not connect to the endpoint URL" in log
    # The retry uploaded the other 6 and skipped the 3 already there with the same checksum.
    landed = xcom(dag_run, "upload_bands")
    assert len(landed["uploaded"]) == 6 and len(landed["skipped"]) == 3
    final = objects(client)
    assert set(final) == expected_keys(version=xcom(dag_run, "publish")["version"])
    assert all(obj["sha256"] == obj["actual"] for obj in final.values())
    assert client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_one_scene_by_id_without_a_logical_date(dag, s3):
    """Re-rendering one scene from the UI: Trigger without a logical date, with scene_id."""
    client, _, _ = s3
    first = dag.test(logical_date=logical_date(SCENE_DAY))
    assert run_states(first)["publish"][0] == "success"
    before = objects(client)

    rerun = dag.test(logical_date=None, run_conf={"scene_id": SCENE_ID, "force_render": True})
    states = run_states(rerun)
    assert rerun.logical_date is None
    assert states["discover"][0] == "success" and states["render_local"][0] == "success"
    assert states["publish"][0] == "success"
    assert xcom(rerun, "discover")["scene_id"] == SCENE_ID
    after = objects(client)
    version = xcom(first, "publish")["version"]
    assert xcom(rerun, "publish")["version"] == version  # the same render: the same version
    assert set(after) == set(before) == expected_keys(version=version)
    # The same render of the same bands: the published objects are not rewritten.
    published = [k for k in after if k.startswith("published/")]
    assert all(after[k]["etag"] == before[k]["etag"] for k in published)


@pytest.mark.parametrize(
    ("scene_id", "why"),
    [
        pytest.param("LC08_L1TP_226010_20240629_20240708_02_T1", "is not in", id="absent"),
        pytest.param("LC08_L1TP_016037_20240628_20240708_02_T1", "this DAG processes", id="other"),
        pytest.param("not-a-scene", "scene_id 'not-a-scene'", id="malformed"),
    ],
)
def test_a_scene_id_that_cannot_be_processed_fails_the_run_at_once(dag, s3, capfd, scene_id, why):
    client, _, _ = s3
    run = dag.test(logical_date=None, run_conf={"scene_id": scene_id})
    states = run_states(run)
    assert states["discover"] == ("failed", 1)  # no retries: asking again cannot help
    assert objects(client) == {}
    assert why in capfd.readouterr().out
    assert run.state == "failed"
    note = run_note(run)
    assert note.startswith("failed: scene_id ") and why in note


def test_an_unknown_conf_key_fails_the_run_at_once_naming_it(dag, s3, capfd):
    """A typo in the trigger conf (force_rendr) fails the first task, not silently ignored."""
    client, calls, _ = s3
    run = dag.test(logical_date=logical_date(SCENE_DAY), run_conf={"force_rendr": True})
    states = run_states(run)
    assert run.state == "failed"
    assert states["discover"] == ("failed", 1)
    assert {state for task, (state, _) in states.items() if task != "discover"} == {
        "upstream_failed"
    }
    assert objects(client) == {} and calls == []
    expected = (
        "unknown key in the run conf: 'force_rendr'; accepted: force_render, render_backend, "
        "scene_id"
    )
    assert expected in capfd.readouterr().out
    assert run_note(run) == f"failed: {expected}"


def test_a_requested_scene_above_the_cloud_limit_is_published_with_a_warning(
    dag, s3, pipeline_config, capfd
):
    """scene_id names the scene: its cloud cover does not skip it, but the run says so."""
    pipeline_config(area={"max_cloud_cover": 0})
    run = dag.test(logical_date=None, run_conf={"scene_id": SCENE_ID})
    assert run.state == "success"
    assert run_states(run)["publish"][0] == "success"
    cloud = xcom(run, "discover")["cloud_cover"]
    warning = (
        f"{cloud:.1f} % cloud cover, above the limit of 0 % for area 'scoresby_sund': "
        "processed because the run asked for it by scene_id"
    )
    assert f"Scene {SCENE_ID} has {warning}" in capfd.readouterr().out
    assert run_note(run) == f"published {SCENE_ID} ({cloud:.1f} % cloud) · warning: {warning}"


def test_a_run_marked_by_hand_says_so(dag, s3, pipeline_config):
    """The API server's "Mark Dag Run as failed" (PATCH .../dagRuns/{run}) rewrites the note."""
    from airflow.api_fastapi.core_api.datamodels.dag_run import DagRunMutableStates
    from airflow.api_fastapi.core_api.services.public.dag_run import patch_dag_run_state
    from airflow.models.dagrun import DagRun
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    pipeline_config(area={"max_cloud_cover": 0})
    run = dag.test(logical_date=logical_date(SCENE_DAY))
    assert run_note(run).startswith(f"cloudy: {SCENE_ID}, ")
    with create_session() as session:  # as the API server's request does, then commits
        patch_dag_run_state(
            dag=SerializedDagModel.get_dag(DAG_ID, session=session),
            dag_run=session.scalars(select(DagRun).where(DagRun.run_id == run.run_id)).one(),
            state=DagRunMutableStates.FAILED,
            session=session,
        )
    assert run_note(run) == f"marked failed by hand ({SCENE_ID})"
