"""The landsat_composites DAG's ``ecs`` backend with `dag.test()` against moto (S3, ECS, Logs).

The three published scenes of the test catalog (as in tests/dags/test_composites_dag.py) are
composited for `2024-summer` in 2 x 2 tiles, each tile an ECS Fargate task. The AWS side is
the moto server, reached by the tasks only through the Airflow connection ``aws_default``.
What moto cannot do is stood in for, and only that (as in tests/dags/test_remote_backends.py):

* the container: when ``RunTask`` reaches moto, the test runs the exact command the task
  carries (the project's console script, the image's ENTRYPOINT, plus the override command:
  ``composite-tile JOB --tile N --out TILE``) as a subprocess against moto S3, and writes its
  output to the task's CloudWatch log stream in moto;
* how the task stopped: moto's containers stay PENDING without exit codes, so
  ``describe_tasks`` answers ``STOPPED`` with the container's real exit code.
"""

from __future__ import annotations

import datetime
import json
import os

import pytest

from tests.support.composite_scenes import COMPOSITES
from tests.support.dagenv import (
    BUCKET,
    PATH,
    ROW,
    drop_env_credentials,
    load_dag,
    publish_catalog_scenes,
    task_instances,
    task_states,
    xcom,
)
from tests.support.fargate import (
    CLUSTER,
    CONTAINER,
    FAMILY,
    LOG_GROUP,
    REGION,
    FakeFargate,
    ecs_stack,
)

DAG_ID = "landsat_composites"
COMPOSITE = f"p{PATH:03d}r{ROW:03d}_2024-summer"
ITEM = f"published/composites/{PATH:03d}/{ROW:03d}/2024-summer/{COMPOSITE}.json"
NO_MOSAIC = {k: v for k, v in COMPOSITES.items() if k != "crs"}


@pytest.fixture
def aws(s3_client, aws_connection):
    """The stack's ECS side in moto: VPC, subnet, security group, cluster, task definition
    and log group; the clients the test verifies with (made before the credentials go)."""
    stack = ecs_stack(aws_connection)
    return {
        "endpoint": aws_connection,
        "s3": s3_client,
        "ecs": stack["ecs"],
        "logs": stack["logs"],
        "remote": {
            "region": REGION,
            "log_group": LOG_GROUP,
            "ecs": {
                "cluster": CLUSTER,
                "task_definition": FAMILY,
                "container_name": CONTAINER,
                "subnets": [stack["subnet"]],
                "security_groups": [stack["security_group"]],
                "deferrable": False,
                "poll_seconds": 1,
                "log_lines": 5,
            },
        },
    }


@pytest.fixture
def fargate(aws, monkeypatch):
    from landsat_pipeline.operators.ecs import RenderEcsTaskOperator

    fake = FakeFargate(aws)

    def client(self):
        conn = self.hook.conn
        fake.attach(conn)
        return conn

    monkeypatch.setattr(RenderEcsTaskOperator, "client", property(client))
    return fake


@pytest.fixture
def published(aws, catalog, airflow_db, monkeypatch):
    """The catalog's scenes landed and published into the moto bucket; AWS_* unset."""
    scenes = publish_catalog_scenes(aws["s3"], catalog)
    drop_env_credentials(monkeypatch)
    return scenes


def run(dag, **conf):
    logical = datetime.datetime(2024, 10, 1, tzinfo=datetime.UTC)
    return dag.test(logical_date=logical, run_conf={"period": "2024-summer", **conf})


def keys(client) -> set[str]:
    return {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def published_assets(client) -> dict[str, tuple[str, bytes]]:
    """Asset key -> (file:checksum, bytes) of the composite's published item."""
    item = json.loads(client.get_object(Bucket=BUCKET, Key=ITEM)["Body"].read())
    base = ITEM.rsplit("/", 1)[0]
    out = {}
    for name, asset in item["assets"].items():
        href = asset["href"]
        key = href.removeprefix(f"s3://{BUCKET}/") if href.startswith("s3://") else None
        if key is None:  # relative to the item
            key = os.path.normpath(f"{base}/{href}")
        out[name] = (
            asset["file:checksum"],
            client.get_object(Bucket=BUCKET, Key=key)["Body"].read(),
        )
    return out


def test_ecs_tiles_run_the_composite_tile_command_and_equal_the_local_backend(
    aws, fargate, published, pipeline_config
):
    pipeline_config(area={"composites": NO_MOSAIC}, remote=aws["remote"])
    dag = load_dag(DAG_ID)
    client = aws["s3"]

    dag_run = run(dag, render_backend="ecs")
    assert dag_run.state == "success", task_instances(dag_run)
    got = task_states(dag_run)
    assert got["choose_tiles"] == got["prepare_ecs_tiles"] == ["success"]
    assert got["composite_tile_ecs"] == ["success"] * 4  # 2 x 2 tiles, one task each
    assert got["composite_tile"] == ["skipped"]
    assert got["assemble_composite"] == got["publish_catalog"] == ["success"]

    plan = xcom(dag_run, "plan")
    (job,) = plan["jobs"]
    spec = f"s3://{BUCKET}/{job['spec']}"
    expected = [
        ["composite-tile", spec, "--tile", str(i), "--out", f"s3://{BUCKET}/{tile['key']}"]
        for i, tile in enumerate(plan["tiles"])
    ]
    sent = [call["overrides"]["containerOverrides"] for call in fargate.run_task]
    assert sorted(json.dumps(o) for o in sent) == sorted(
        json.dumps([{"name": CONTAINER, "command": c}]) for c in expected
    )
    assert xcom(dag_run, "prepare_ecs_tiles")["commands"] == [["landsat-ops", *c] for c in expected]
    for call in fargate.run_task:
        assert call["launchType"] == "FARGATE"
        assert (call["cluster"], call["taskDefinition"]) == (CLUSTER, FAMILY)
        assert call["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
    assert {code for _, code in fargate.stopped.values()} == {0}
    assert all('"clear_pixels"' in "\n".join(lines) for lines in fargate.outputs)
    after_ecs = keys(client)
    assert not any(key.startswith("staging/") for key in after_ecs), "staged tiles left behind"
    ecs_assets = published_assets(client)

    # The local backend makes the same composite, bit for bit (a new version, switched).
    local = run(dag, render_backend="local", force=True)
    assert local.state == "success", task_instances(local)
    got = task_states(local)
    assert got["composite_tile"] == ["success"] * 4
    assert got["composite_tile_ecs"] == ["skipped"] and got["prepare_ecs_tiles"] == ["skipped"]
    assert len(fargate.run_task) == 4  # no ECS task for the local run
    local_assets = published_assets(client)
    assert set(local_assets) == set(ecs_assets)
    assert {"reflectance_tif", "count_tif", "truecolor_tif"} <= set(ecs_assets)
    for name, (checksum, data) in ecs_assets.items():
        assert local_assets[name] == (checksum, data), name


def test_ecs_without_remote_ecs_fails_at_once_naming_the_key(
    aws, fargate, published, pipeline_config, capfd
):
    pipeline_config(area={"composites": NO_MOSAIC})  # no remote section: local still works
    dag = load_dag(DAG_ID)
    before = keys(aws["s3"])

    dag_run = run(dag, render_backend="ecs")
    assert dag_run.state == "failed"
    states = {t: (s, tries) for t, s, tries, _ in task_instances(dag_run)}
    assert states["prepare_ecs_tiles"] == ("failed", 1)  # a config error is not retried
    assert states["composite_tile_ecs"][0] == "upstream_failed"
    assert states["composite_tile"][0] == "skipped"
    assert states["assemble_composite"][0] == "upstream_failed"
    assert fargate.run_task == []
    assert "remote is missing (expected the ecs render backend's settings" in capfd.readouterr().out
    # Only the plan's job.json was staged; nothing published.
    new = keys(aws["s3"]) - before
    assert new and all(k.startswith("staging/composites/") for k in new), new
