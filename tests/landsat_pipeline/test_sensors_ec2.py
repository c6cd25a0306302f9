"""The one EC2 job sensor (landsat_pipeline/sensors/ec2.py) on a local bucket.

Instance states and log lines are faked; the DAG tests (tests/dags) run it against moto, and
tests/landsat_pipeline/test_triggers_ec2.py its trigger.
"""

from __future__ import annotations

import os
import sys

from tests.support.airflow_home import use_private_home  # noqa: E402

use_private_home()  # before the first Airflow import

import json  # noqa: E402

import pytest  # noqa: E402

from landsat_ops.storage import open_store  # noqa: E402
from landsat_pipeline.hooks.ec2 import Ec2JobHook  # noqa: E402
from landsat_pipeline.keys import area_keys  # noqa: E402
from landsat_pipeline.keys import ec2_report_status_key as ec2_status_key  # noqa: E402
from landsat_pipeline.sensors.ec2 import Ec2JobSensor  # noqa: E402


@pytest.fixture
def sensor(tmp_path, monkeypatch):
    """An Ec2JobSensor of the report job on a local bucket, instance states and logs faked."""
    store = open_store(tmp_path / "bucket")
    job = {
        "status_key": ec2_status_key("run"),
        "areas": ["scoresby_sund"],
        "aws_conn_id": "aws_default",
        "region_name": "eu-west-1",
        "log_group": "g",
        "log_stream_prefix": "report",
        "log_lines": 5,
        "poll_seconds": 1,
        "timeout_minutes": 1,
    }
    task = Ec2JobSensor(
        task_id="wait",
        instance_ids=["i-1"],
        status_key=job["status_key"],
        expected={"kind": "report", "areas": job["areas"]},
        bucket_uri=str(tmp_path / "bucket"),
        aws_conn_id=job["aws_conn_id"],
        region_name=job["region_name"],
        log_group=job["log_group"],
        log_stream_prefix=job["log_stream_prefix"],
        log_lines=job["log_lines"],
        poll_seconds=job["poll_seconds"],
        timeout_minutes=job["timeout_minutes"],
    )
    states = {"i-1": "running"}
    monkeypatch.setattr(Ec2JobHook, "instance_states", lambda self, ids: dict(states))
    monkeypatch.setattr(Ec2JobHook, "container_log_lines", lambda self, ids, **_: "LOG LINES")

    def status(code, instance_id="i-1"):
        body = {"exit_code": code, "instance_id": instance_id, "image": "x"}
        store.write_bytes(job["status_key"], json.dumps(body).encode())

    return task, store, states, status


def test_ec2_wait_outcomes(sensor):
    from airflow.sdk.exceptions import AirflowFailException

    task, store, states, status = sensor
    assert task.poke({}) is False  # running, no record yet
    status(0, instance_id="i-other")  # an earlier instance's record is ignored
    assert task.poke({}) is False
    status(124)
    with pytest.raises(AirflowFailException, match=r"exit code 124 \(the job hit its timeout\)"):
        task.poke({})
    status(0)
    with pytest.raises(AirflowFailException, match="reported exit code 0, but"):
        task.poke({})
    store.write_bytes(area_keys("scoresby_sund")["report_html"], b"<html></html>")
    done = task.poke({})
    assert done.is_done and done.xcom_value == {
        "backend": "ec2",
        "instance_ids": ["i-1"],
        "reports": {"scoresby_sund": store.uri(area_keys("scoresby_sund")["report_html"])},
    }
    store.delete(task.status_key)
    states["i-1"] = "terminated"
    with pytest.raises(AirflowFailException, match="without having recorded an exit code"):
        task.poke({})


RENDER_SCENE = {
    "scene_id": "LC08_L1TP_226010_20240628_20240708_02_T1",
    "date": "2024-06-28",
    "path": 226,
    "row": 10,
}
RENDER_ITEM = f"published/226/010/2024-06-28/{RENDER_SCENE['scene_id']}.json"


def _render_expected(store, products=("ndvi",)) -> dict:
    """What ec2_launch_arguments records at launch: the item and its version token."""
    return {
        "kind": "render",
        "scene_id": RENDER_SCENE["scene_id"],
        "products": list(products),
        "item_key": RENDER_ITEM,
        "item_before": store.version(RENDER_ITEM),
    }


def _render(store, payload: str = "v1") -> None:
    """What the instance's render does: a new version, and the scene's item switched to it."""
    from landsat_demo.product_sets import publish_product_set

    publish_product_set(
        store, RENDER_SCENE["scene_id"], RENDER_SCENE["date"], payload=payload, products=["ndvi"]
    )


def test_the_render_job_is_done_once_the_item_names_a_new_complete_set_with_or_without_a_record(
    sensor,
):
    """A render needs no record: the item switched to a complete set is success (checked
    first)."""
    from airflow.sdk.exceptions import AirflowFailException

    task, store, states, status = sensor
    task.expected = _render_expected(store)
    assert task.expected["item_before"] is None
    assert task.poke({}) is False
    states["i-1"] = "terminated"
    with pytest.raises(AirflowFailException) as failure:
        task.poke({})
    message = str(failure.value)
    assert "EC2 render instance i-1 is terminated without having recorded an exit code" in message
    assert "and without switching the scene's item" in message
    assert message.endswith("LOG LINES")
    status(2)
    with pytest.raises(
        AirflowFailException,
        match=f"ran the render of {RENDER_SCENE['scene_id']} with exit code 2; nothing new",
    ):
        task.poke({})
    store.delete(task.status_key)
    _render(store)  # the render switched the item: done, without a record
    done = task.poke({})
    assert done.xcom_value == {
        "backend": "ec2",
        "scene_id": RENDER_SCENE["scene_id"],
        "item_uri": store.uri(RENDER_ITEM),
        "instance_ids": ["i-1"],
    }


def test_an_unchanged_item_is_not_the_render_s_until_its_exit_code_0(sensor):
    """The item already named a complete set at launch: only the record tells that this render
    ended (an identical render writes nothing); a changed but incomplete set is not done."""
    from airflow.sdk.exceptions import AirflowFailException

    task, store, states, status = sensor
    _render(store, "v1")  # published by an earlier run
    task.expected = _render_expected(store)
    assert task.expected["item_before"] == store.version(RENDER_ITEM)
    assert task.poke({}) is False  # complete, but not switched by this job: still running
    status(0)  # the same render: nothing written, exit code 0
    assert task.poke({}).xcom_value["item_uri"] == store.uri(RENDER_ITEM)

    store.delete(task.status_key)
    task.expected = _render_expected(store)
    _render(store, "v2")  # switched to a new version ...
    item = json.loads(store.read_bytes(RENDER_ITEM))
    first = next(iter(item["assets"].values()))["href"].removeprefix("./")
    store.write_bytes(f"published/226/010/2024-06-28/{first}", b"damaged")  # ... not intact
    assert task.poke({}) is False
    status(0)
    with pytest.raises(
        AirflowFailException, match="reported exit code 0, but .* does not match its checksum"
    ):
        task.poke({})
    task.expected = {**task.expected, "products": ["ndvi", "truecolor"]}
    store.write_bytes(
        f"published/226/010/2024-06-28/{first}", f"v2 {first.rsplit('/', 1)[1]}".encode()
    )
    with pytest.raises(AirflowFailException, match="reported exit code 0, but published products"):
        task.poke({})


def test_deferrable_checks_once_then_defers_to_the_trigger(sensor):
    from airflow.sdk.exceptions import AirflowFailException, TaskDeferred

    from landsat_pipeline.triggers.ec2 import Ec2JobTrigger

    task, store, states, status = sensor
    task.deferrable = True
    with pytest.raises(TaskDeferred) as deferred:
        task.execute({})
    trigger = deferred.value.trigger
    assert isinstance(trigger, Ec2JobTrigger)
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.timeout.total_seconds() == task.timeout
    assert trigger.serialize()[1]["expected"] == {"kind": "report", "areas": ["scoresby_sund"]}

    result = {"backend": "ec2", "instance_ids": ["i-1"], "reports": {}}
    event = {"status": "success", "message": "", "xcom": result}
    assert task.execute_complete({}, event) == result
    with pytest.raises(AirflowFailException, match="^report instance i-1 ran"):
        task.execute_complete({}, {"status": "failed", "message": "report instance i-1 ran"})

    status(3)  # a job already over when the task starts: no deferral
    with pytest.raises(AirflowFailException, match="exit code 3"):
        task.execute({})


def test_an_aws_base_sensor_with_the_provider_s_template_fields_and_default(sensor):
    """``AwsBaseSensor[Ec2JobHook]``: the provider's AWS fields templated, the hook built from
    them; ``deferrable`` defaults to ``[operators] default_deferrable``, as the provider's
    sensors (and LandsatSceneSensor) do."""
    import subprocess

    from airflow.providers.amazon.aws.sensors.base_aws import AwsBaseSensor

    task = sensor[0]
    assert isinstance(task, AwsBaseSensor)
    aws_fields = {"aws_conn_id", "region_name", "verify"}
    assert aws_fields | {"instance_ids", "expected", "deferrable"} <= set(task.template_fields)
    assert task.deferrable is False  # the setting is unset here
    assert isinstance(task.hook, Ec2JobHook) and task.hook.client_type == "ec2"
    assert task.hook.aws_conn_id == "aws_default" and task.hook.region_name == "eu-west-1"

    code = (
        "import inspect\n"
        "from landsat_pipeline.sensors.ec2 import Ec2JobSensor\n"
        "from landsat_pipeline.sensors.scene import LandsatSceneSensor\n"
        "print([inspect.signature(c.__init__).parameters['deferrable'].default\n"
        "       for c in (Ec2JobSensor, LandsatSceneSensor)])\n"
    )
    env = {**os.environ, "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "True"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "[True, True]", out.stderr[-2000:]
