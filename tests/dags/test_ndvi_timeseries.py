"""The landsat_ndvi_timeseries DAG with `dag.test()` against a moto S3 (and EC2) server.

The three scenes of the test catalog (226/010, 300 x 300 px) are published into the moto
bucket the way the scenes DAG leaves them: bands under ``landing/<ID>/`` (the plugin's
``land_scene``), an item per scene and the path/row's ``collection.json`` (the plugin's
``update_catalogs``). The bucket is reached only through the Airflow connection
``aws_default``, which also carries the credentials: ``AWS_ENDPOINT_URL`` and the
``AWS_*`` credential variables are unset while the DAG runs, so GDAL's ``/vsis3/`` reads work
with the connection's credentials alone.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from tests.support.dagenv import (
    BUCKET,
    PATH,
    REPO,
    ROW,
    import_dag_file,
    load_dag,
    publish_catalog_scenes,
    task_states,
)

DAG_ID = "landsat_ndvi_timeseries"
AREA = "scoresby_sund"
PREFIX = f"published/analytics/{AREA}"
OUTSIDE = {"id": "far_east", "lon": -21.5, "lat": 70.5}  # not in any test scene
WRITES = {"PutObject", "CopyObject", "UploadPart", "CreateMultipartUpload", "DeleteObject"}


def repo_points() -> list[dict]:
    """The points of interest of the repository's config (inside the test scenes)."""
    import yaml

    config = yaml.safe_load((REPO / "dags" / "config" / "areas.yaml").read_text())
    return config["areas"][AREA]["points"]


@pytest.fixture
def s3(s3_client, s3_calls):
    """A verification client (the tasks get endpoint and credentials from the connection only)
    and the list of S3 calls the tasks' clients made."""
    return s3_client, s3_calls


@pytest.fixture
def published(s3, catalog, pipeline_config):
    """The three catalog scenes published in the moto bucket; the config has the points."""
    return publish_catalog(s3, catalog, pipeline_config, count=3)


@pytest.fixture
def published_one(s3, catalog, pipeline_config):
    """The first catalog scene only (for the report backend tests)."""
    return publish_catalog(s3, catalog, pipeline_config, count=1)


def publish_catalog(s3, catalog, pipeline_config, *, count: int) -> list[dict]:
    client, calls = s3
    pipeline_config(area={"points": [*repo_points(), OUTSIDE]})
    scenes = publish_catalog_scenes(client, catalog, count=count)
    calls.clear()
    return scenes


@pytest.fixture
def dag(airflow_db, pipeline_config):
    return load_dag(DAG_ID)


def read(client, key: str) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def etags(client, prefix: str) -> dict[str, str]:
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {obj["Key"]: obj["ETag"] for obj in listing}


def expected_rows(catalog, scenes) -> dict[tuple[str, str], dict]:
    """(scene, point) -> the sample landsat_ops.sampling takes from the catalog's own files."""
    from landsat_ops.points import Point
    from landsat_ops.sampling import sample_scene

    points = [Point(p["id"], p["lon"], p["lat"]) for p in [*repo_points(), OUTSIDE]]
    out = {}
    for scene in scenes:
        folder = Path(catalog).parent / "scenes" / scene["scene_id"]
        for row in sample_scene(folder, points):
            out[row.scene_id, row.point_id] = row.to_dict()
    return out


def test_table_plots_and_report_then_a_rerun_changes_nothing(
    dag, published, s3, catalog, no_env_credentials
):
    import nbformat
    from PIL import Image

    from landsat_ops.timeseries import COLUMNS, table_from_csv, table_from_parquet

    client, calls = s3
    dag_run = dag.test()
    assert dag_run.state == "success"
    states = task_states(dag_run)
    assert states == {
        "list_scenes": ["success"],
        "list_areas": ["success"],
        "sample_scene": ["success"] * 3,
        "merge_table": ["success"],
        "plot_table": ["success"],
        # The extent of the same scenes (checked in tests/dags/test_extent_timeseries.py).
        "list_extent_scenes": ["success"],
        "list_extent_areas": ["success"],
        "measure_extent": ["success"] * 3,
        "merge_extent": ["success"],
        "plot_extent": ["success"],
        "choose_report": ["success"],
        "prepare_report": ["success"],
        "report_local": ["success"],
        "publish_report": ["success"],
    }  # the ec2 report chain exists only with remote.ec2 (test_ec2_report_chain_...)

    # The table: one row per scene x point inside the scene, NDVI as sampling computes it.
    table = table_from_csv(read(client, f"{PREFIX}/ndvi_timeseries.csv"))
    expected = expected_rows(catalog, published)
    inside = {key: row for key, row in expected.items() if row["reason"] != "outside scene"}
    assert len(table) == 3 * len(repo_points()) == len(inside)
    assert {(r["scene_id"], r["point_id"]) for r in table} == set(inside)
    for row in table:
        want = inside[row["scene_id"], row["point_id"]]
        assert row == {c: want[c] for c in COLUMNS}
    assert all(r["ndvi"] is not None and r["valid_px"] == 9 for r in table)
    assert [r["acquired"] for r in table] == sorted(r["acquired"] for r in table)
    assert table_from_parquet(read(client, f"{PREFIX}/ndvi_timeseries.parquet")) == table

    # The plots: valid PNGs of the size the plot functions draw.
    for name, size in (("ndvi_timeseries.png", (1000, 500)), ("ndvi_vs_cloud.png", (800, 500))):
        data = read(client, f"{PREFIX}/{name}")
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
        with Image.open(__import__("io").BytesIO(data)) as image:
            image.verify()
            assert image.size == size, name

    # The report: executed notebook with outputs, and its HTML with the outputs inline.
    notebook = nbformat.reads(read(client, f"{PREFIX}/report.ipynb").decode(), as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.get("execution_count") for cell in code)
    outputs = [out for cell in code for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    assert sum("image/png" in out.get("data", {}) for out in outputs) >= 3
    injected = [c for c in code if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and f'area = "{AREA}"' in injected[0].source
    html = read(client, f"{PREFIX}/report.html").decode()
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert html.count("data:image/png;base64,") >= 3
    for scene in published:
        assert scene["scene_id"] in html
    for point in repo_points():
        assert point["id"] in html
    assert "3 scenes" in html
    assert f"s3://{BUCKET}/{PREFIX}/ndvi_timeseries.csv" in html  # the source, not a temp path
    assert "read_table(" not in html  # a report: outputs, no code

    # The same run again: same table, not one write to the table or the plots.
    before = etags(client, PREFIX)
    calls.clear()
    again = dag.test()
    assert again.state == "success"
    assert table_from_csv(read(client, f"{PREFIX}/ndvi_timeseries.csv")) == table
    after = etags(client, PREFIX)
    for name in ("ndvi_timeseries.csv", "ndvi_timeseries.parquet", "ndvi_timeseries.png"):
        assert after[f"{PREFIX}/{name}"] == before[f"{PREFIX}/{name}"], name
    table_writes = [
        url for name, url in calls if name in WRITES and "/report." not in url and PREFIX in url
    ]
    assert table_writes == []


def test_a_range_run_replaces_the_rows_of_its_scenes_only(
    dag, published, s3, catalog, no_env_credentials
):
    from landsat_ops.timeseries import merge_rows, table_from_csv, table_to_csv

    client, _ = s3
    table = merge_rows([], expected_rows(catalog, published).values())  # what a full run makes
    middle = published[1]
    # Spoil the middle scene's rows, and add a row of a point that is no longer configured.
    spoiled = [
        {**row, "ndvi": 0.999} if row["scene_id"] == middle["scene_id"] else row for row in table
    ]
    spoiled.append({**table[0], "point_id": "retired_point"})
    client.put_object(
        Bucket=BUCKET, Key=f"{PREFIX}/ndvi_timeseries.csv", Body=table_to_csv(spoiled)
    )

    dag_run = dag.test(
        run_conf={"start": middle["date"], "end": middle["date"], "area": AREA},
    )
    assert dag_run.state == "success"
    assert task_states(dag_run)["sample_scene"] == ["success"]  # only the scene of the range
    assert table_from_csv(read(client, f"{PREFIX}/ndvi_timeseries.csv")) == table


def test_no_published_scene_in_the_range_skips_the_rest(dag, published, s3, no_env_credentials):
    client, _ = s3
    dag_run = dag.test(run_conf={"start": "2020-01-01", "end": "2020-12-31"})
    assert dag_run.state == "success"
    states = task_states(dag_run)
    assert states["list_scenes"] == ["success"]
    assert states["merge_table"] == ["skipped"] and states["report_local"] == ["skipped"]
    assert states["publish_report"] == ["skipped"]
    assert etags(client, PREFIX) == {}


def test_a_reversed_range_fails_at_once(dag, published, capfd):
    dag_run = dag.test(run_conf={"start": "2024-07-01", "end": "2024-06-01"})
    assert dag_run.state == "failed"
    assert task_states(dag_run)["list_scenes"] == ["failed"]  # not retried: a bad Param
    assert "start 2024-07-01 is after end 2024-06-01" in capfd.readouterr().out


def test_asset_events_sample_the_triggering_scene(dag, published, aws_connection):
    """list_scenes of an Asset-triggered run: the event's scene only; no scene_id: all."""
    from airflow.sdk.execution_time.comms import AssetEventDagRunReferenceResult
    from airflow.sdk.execution_time.context import TriggeringAssetEventsAccessor

    def event(extra):
        return AssetEventDagRunReferenceResult(
            asset={
                "name": "landsat_p226_r010",
                "uri": "landsat://published/p226_r010",
                "extra": {},
            },
            extra=extra,
            source_task_id="publish",
            source_dag_id="landsat_p226_r010",
            source_run_id="scheduled__x",
            source_map_index=-1,
            source_aliases=[],
            timestamp=datetime.datetime.now(datetime.UTC),
        )

    scene = published[2]
    extra = {k: scene[k] for k in ("scene_id", "date", "path", "row")}
    list_scenes = dag.get_task("list_scenes").python_callable
    params = {"area": None, "start": None, "end": None}

    chosen = list_scenes(
        params=params, triggering_asset_events=TriggeringAssetEventsAccessor.build([event(extra)])
    )
    assert [s["scene_id"] for s in chosen] == [scene["scene_id"]]
    assert chosen[0]["landing_uri"] == f"s3://{BUCKET}/landing/{scene['scene_id']}/"
    assert chosen[0]["area"] == AREA

    everything = list_scenes(
        params=params, triggering_asset_events=TriggeringAssetEventsAccessor.build([event({})])
    )
    assert [s["scene_id"] for s in everything] == [s["scene_id"] for s in published]


# --------------------------------------------------------------------------------------------
# The ec2 report backend against moto EC2
# --------------------------------------------------------------------------------------------


@pytest.fixture
def ec2_config(published_one, pipeline_config, aws_connection, monkeypatch):
    """A config whose remote: section names moto's AMI, subnet and security group."""
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=aws_connection, region_name="us-east-1")
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    group = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    iam = boto3.client("iam", endpoint_url=aws_connection, region_name="us-east-1")
    iam.create_instance_profile(InstanceProfileName="landsat-ops-render-instance")
    pipeline_config(
        area={"points": repo_points()},
        remote={
            "region": "us-east-1",
            "log_group": "/landsat-ops/render",
            "image": "example.org/landsat-ops-render:1",
            "ec2": {
                "ami": ami,
                "instance_profile": "landsat-ops-render-instance",
                "subnet_id": subnet,
                "security_group_ids": [group],
                "timeout_minutes": 30,
                "poll_seconds": 1,
            },
        },
    )
    monkeypatch.setenv("LANDSAT_PIPELINE_REPORT_IMAGE", "example.org/landsat-ops-report:1")
    return ec2


@pytest.fixture
def ec2_dag(airflow_db, ec2_config):
    """The DAG parsed with the remote.ec2 section: it has the ec2 report chain."""
    return load_dag(DAG_ID)


def test_ec2_report_chain_only_with_remote_ec2(dag, ec2_dag):
    """remote.ec2 adds the ec2 chain and its teardown; without it there is no teardown, so
    "Mark Dag Run as failed" fails a run (docs/airflow.md, "Stopping a run")."""
    from airflow.sdk import TriggerRule

    assert dag.get_task("choose_report").downstream_task_ids == {"prepare_report"}
    assert not [task for task in dag.tasks if task.is_teardown]
    assert ec2_dag.get_task("choose_report").downstream_task_ids == {
        "prepare_report",
        "prepare_report_ec2",
    }
    terminate = ec2_dag.get_task("terminate_report_instance")
    assert terminate.is_teardown
    assert terminate.trigger_rule == TriggerRule.ALL_DONE_SETUP_SUCCESS
    assert ec2_dag.get_task("create_report_instance").is_setup


def test_ec2_report_without_the_remote_section_fails_at_the_branch(
    published_one, pipeline_config, airflow_db, capfd
):
    from airflow.dag_processing.dagbag import DagBag

    pipeline_config(area={"points": repo_points()})  # no remote section
    dag = DagBag(dag_folder=str(REPO / "dags" / "landsat_ndvi_timeseries.py")).get_dag(DAG_ID)
    dag_run = dag.test(run_conf={"report_backend": "ec2"})
    assert dag_run.state == "failed"
    assert task_states(dag_run)["choose_report"] == ["failed"]
    assert "report_backend 'ec2' needs the config's remote.ec2 section" in capfd.readouterr().out


@pytest.mark.parametrize("exit_code", [pytest.param(3, id="job-fails"), pytest.param(0, id="ok")])
def test_ec2_report_instance_is_terminated_by_the_teardown(
    ec2_dag, ec2_config, s3, monkeypatch, exit_code, no_env_credentials
):
    from airflow.providers.amazon.aws.operators.ec2 import EC2CreateInstanceOperator

    client, _ = s3
    ec2 = ec2_config
    real_execute = EC2CreateInstanceOperator.execute

    def create_and_finish_the_job(self, context):
        """moto runs no user data: record the job's outcome as the instance would."""
        instance_ids = real_execute(self, context)
        run_id = context["dag_run"].run_id
        from landsat_pipeline.keys import ec2_report_status_key as ec2_status_key

        if exit_code == 0:
            for name in ("report.ipynb", "report.html"):
                client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{name}", Body=b"<html></html>")
        status = {"exit_code": exit_code, "instance_id": instance_ids[0], "image": "x"}
        client.put_object(
            Bucket=BUCKET, Key=ec2_status_key(run_id), Body=json.dumps(status).encode()
        )
        return instance_ids

    monkeypatch.setattr(EC2CreateInstanceOperator, "execute", create_and_finish_the_job)
    dag_run = ec2_dag.test(run_conf={"report_backend": "ec2"})

    states = task_states(dag_run)
    assert states["report_local"] == ["skipped"]
    assert states["prepare_report_ec2"] == ["success"]
    assert states["create_report_instance"] == ["success"]
    assert states["wait_report_instance"] == ["success" if exit_code == 0 else "failed"]
    assert states["terminate_report_instance"] == ["success"]
    assert dag_run.state == ("success" if exit_code == 0 else "failed")

    (reservation,) = ec2.describe_instances()["Reservations"]
    (instance,) = reservation["Instances"]
    assert instance["State"]["Name"] == "terminated"
    assert {"Key": "landsat-ops:role", "Value": "render-worker"} in instance["Tags"]
    behaviour = ec2.describe_instance_attribute(
        InstanceId=instance["InstanceId"], Attribute="instanceInitiatedShutdownBehavior"
    )
    assert behaviour["InstanceInitiatedShutdownBehavior"]["Value"] == "terminate"
    user_data = ec2.describe_instance_attribute(
        InstanceId=instance["InstanceId"], Attribute="userData"
    )["UserData"]["Value"]
    script = __import__("base64").b64decode(user_data).decode()
    assert "IMAGE=example.org/landsat-ops-report:1" in script
    assert "shutdown -h now" in script and "TIMEOUT_MINUTES=30" in script
    assert "LOG_GROUP=/landsat-ops/render" in script and "LOG_STREAM_PREFIX=report" in script
    assert f"s3://{BUCKET}/published/analytics/" in script
    assert "papermill in/area_report.ipynb out/scoresby_sund/report.ipynb" in script
    assert "jupyter nbconvert --to html --no-input out/scoresby_sund/report.ipynb" in script
    # The template the instance runs is in the bucket.
    template = read(client, "staging/analytics/area_report.ipynb")
    assert template == (REPO / "reports" / "area_report.ipynb").read_bytes()


def test_ec2_report_without_report_image_fails_clearly(ec2_dag, ec2_config, s3, monkeypatch, capfd):
    monkeypatch.delenv("LANDSAT_PIPELINE_REPORT_IMAGE")
    dag_run = ec2_dag.test(run_conf={"report_backend": "ec2"})
    assert dag_run.state == "failed"
    states = task_states(dag_run)
    assert states["prepare_report_ec2"] == ["failed"]  # once: a config error is not retried
    assert states["create_report_instance"] == ["upstream_failed"]
    assert ec2_config.describe_instances()["Reservations"] == []
    assert "report_backend ec2 needs the report image" in capfd.readouterr().out


# --------------------------------------------------------------------------------------------
# Structure
# --------------------------------------------------------------------------------------------


def test_schedule_params_pools_and_structure(dag):
    from airflow.sdk import AssetAny
    from landsat_scenes import published_asset

    condition = dag.timetable.asset_condition
    assert isinstance(condition, AssetAny)
    scenes_asset = published_asset(PATH, ROW)
    assert [(a.uri, a.name) for a in condition.objects] == [(scenes_asset.uri, scenes_asset.name)]
    assert dag.max_active_runs == 1
    assert dag.params.dump() == {
        "area": None,
        "start": None,
        "end": None,
        "report_backend": "local",
    }
    assert dag.params.get_param("report_backend").schema["enum"] == ["local", "ec2"]
    assert {"landsat", "analytics", f"area:{AREA}"} <= set(dag.tags)
    for task in dag.tasks:
        if task.task_id not in ("wait_report_instance", "create_report_instance"):
            assert task.retries >= 2, task.task_id
            assert task.retry_exponential_backoff, task.task_id
    sample = dag.get_task("sample_scene")
    assert sample.pool == "landsat_sampling"
    pools = json.loads((REPO / "dags" / "config" / "pools.json").read_text())
    assert {t.pool for t in dag.tasks} - {"default_pool"} <= set(pools)
    assert dag.get_task("merge_table").upstream_task_ids == {"list_areas", "sample_scene"}
    # The local report: explicit tasks, only the first reading the config.
    assert dag.get_task("choose_report").downstream_task_ids == {"prepare_report"}
    assert dag.get_task("prepare_report").downstream_task_ids == {"report_local"}
    assert dag.get_task("report_local").downstream_task_ids == {"publish_report"}
    assert dag.get_task("publish_report").downstream_task_ids == set()


def test_the_local_report_tasks_run_papermill_then_publish(
    dag, s3, pipeline_config, monkeypatch, capfd
):
    """prepare_report -> report_local -> publish_report, called as the DAG calls them.

    papermill's ``execute_notebook`` is replaced by a stub (the real notebook runs in
    test_table_plots_and_report_then_a_rerun_changes_nothing): the arguments it gets, the
    executed notebook left in staging/ and then published with its HTML, staging emptied.
    """
    import nbformat
    import papermill

    notebook = str(REPO / "reports" / "area_report.ipynb")
    client, _ = s3
    csv = b"scene_id,point_id,ndvi\nLC08_X,p1,0.5\n"
    client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/ndvi_timeseries.csv", Body=csv)
    notebooks = []

    def fake_execute_notebook(input_path, output_path, **kwargs):
        notebooks.append((input_path, output_path, kwargs))
        assert Path(kwargs["parameters"]["table_uri"]).read_bytes() == csv
        stub = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# stub")])
        Path(output_path).write_text(nbformat.writes(stub))

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute_notebook)
    task = {name: dag.get_task(name).python_callable for name in dag.task_ids}
    job = task["prepare_report"](AREA, run_id="manual__2024-07-01")
    staged = f"staging/analytics/_executed/manual__2024-07-01/{AREA}/report.ipynb"
    assert job == {
        "area": AREA,
        "bucket_uri": f"s3://{BUCKET}",
        "bucket_conn_id": "aws_default",
        "table_key": f"{PREFIX}/ndvi_timeseries.csv",
        "executed_key": staged,
        "report_ipynb_key": f"{PREFIX}/report.ipynb",
        "report_html_key": f"{PREFIX}/report.html",
        "parameters": {
            "area": AREA,
            "title": "Scoresby Sund (test)",
            "source": f"s3://{BUCKET}/{PREFIX}/ndvi_timeseries.csv",
        },
    }

    executed = task["report_local"](job, notebook, parameters={"cloud_threshold": 30})
    assert executed == {**job, "executed_uri": f"s3://{BUCKET}/{staged}"}
    ((input_path, output_path, kwargs),) = notebooks
    assert input_path == notebook
    assert kwargs["kernel_name"] == "python3" and kwargs["log_output"] is True
    assert kwargs["report_mode"] is True
    assert kwargs["parameters"] == {
        "cloud_threshold": 30,
        "area": AREA,
        "title": "Scoresby Sund (test)",
        "table_uri": kwargs["parameters"]["table_uri"],
        "source": f"s3://{BUCKET}/{PREFIX}/ndvi_timeseries.csv",
        "out_dir": kwargs["parameters"]["out_dir"],
    }
    assert not Path(output_path).exists()  # the work folder is gone
    assert nbformat.reads(read(client, staged).decode(), as_version=4).cells

    assert task["publish_report"](executed) == {
        "area": AREA,
        "backend": "local",
        "report_ipynb": f"s3://{BUCKET}/{PREFIX}/report.ipynb",
        "report_html": f"s3://{BUCKET}/{PREFIX}/report.html",
    }
    assert nbformat.reads(read(client, f"{PREFIX}/report.ipynb").decode(), as_version=4).cells
    assert "<h1" in read(client, f"{PREFIX}/report.html").decode()
    assert etags(client, "staging/analytics/_executed/") == {}


def test_dag_serializes(dag):
    from airflow.serialization.serialized_objects import DagSerialization

    restored = DagSerialization.from_dict(DagSerialization.to_dict(dag))
    assert set(restored.task_ids) == set(dag.task_ids)


def test_parse_does_no_pixel_work_imports():
    """The DAG file pulls in no rasterio/matplotlib nor landsat_ops' sampling.

    (Nor papermill nor the data stack: tests/dags/test_dag_integrity.py.)
    """
    heavy = ["rasterio", "matplotlib", "landsat_ops.sampling", "landsat_ops.timeseries"]
    heavy += ["nbconvert", "landsat_ops.render"]
    loaded, elapsed = import_dag_file("landsat_ndvi_timeseries", heavy)
    assert loaded == []
    assert elapsed < 15, f"the DAG file took {elapsed:.1f} s to import"
