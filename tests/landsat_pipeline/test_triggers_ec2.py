"""The EC2 job trigger (landsat_pipeline/triggers/ec2.py): its serialized form, and its run()
polling the moto server (bucket, EC2, CloudWatch Logs) through an Airflow connection.

``dag.test()`` runs triggers in line, but the DAG tests wait for EC2 jobs without deferring
(``remote.ec2.deferrable`` is false by default); this is the trigger's own test.
"""

from __future__ import annotations

from tests.support.airflow_home import use_private_home  # noqa: E402

use_private_home()  # before the first Airflow import

import asyncio  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import pytest  # noqa: E402

from landsat_pipeline.keys import area_keys, ec2_report_status_key  # noqa: E402
from landsat_pipeline.triggers.ec2 import Ec2JobTrigger  # noqa: E402

REGION = "us-east-1"
STATUS_KEY = ec2_report_status_key("run")


def _trigger(bucket_uri: str, instance_id: str, poll_seconds: float = 60.0) -> Ec2JobTrigger:
    return Ec2JobTrigger(
        instance_ids=[instance_id],
        status_key=STATUS_KEY,
        expected={"kind": "report", "areas": ["scoresby_sund"]},
        bucket_uri=bucket_uri,
        bucket_conn_id="aws_default",
        aws_conn_id="aws_default",
        region_name=REGION,
        log_group="/landsat-ops/render",
        log_stream_prefix="report",
        log_lines=2,
        poll_seconds=poll_seconds,
    )


def test_serialize_names_the_class_and_every_argument():
    assert _trigger("s3://bucket/prefix", "i-1").serialize() == (
        "landsat_pipeline.triggers.ec2.Ec2JobTrigger",
        {
            "instance_ids": ["i-1"],
            "status_key": STATUS_KEY,
            "expected": {"kind": "report", "areas": ["scoresby_sund"]},
            "bucket_uri": "s3://bucket/prefix",
            "bucket_conn_id": "aws_default",
            "aws_conn_id": "aws_default",
            "region_name": REGION,
            "log_group": "/landsat-ops/render",
            "log_stream_prefix": "report",
            "log_lines": 2,
            "poll_seconds": 60.0,
            "verify": None,
            "botocore_config": None,
        },
    )
    classpath, kwargs = _trigger("s3://b", "i-2", 5).serialize()
    assert Ec2JobTrigger(**kwargs).serialize() == (classpath, kwargs)  # what the triggerer does


@pytest.fixture
def moto(aws_env, s3_bucket, monkeypatch):
    """The moto server behind the Airflow connection aws_default, an instance, its log stream."""
    import boto3

    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        json.dumps({"conn_type": "aws", "extra": {"endpoint_url": aws_env, "region_name": REGION}}),
    )
    ec2 = boto3.client("ec2", region_name=REGION)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    (instance,) = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"]
    logs = boto3.client("logs", region_name=REGION)
    stream = f"report/{instance['InstanceId']}"
    now = int(time.time() * 1000)
    logs.create_log_group(logGroupName="/landsat-ops/render")
    logs.create_log_stream(logGroupName="/landsat-ops/render", logStreamName=stream)
    logs.put_log_events(
        logGroupName="/landsat-ops/render",
        logStreamName=stream,
        logEvents=[{"timestamp": now + i, "message": f"line {i}"} for i in range(4)],
    )
    monkeypatch.delenv("AWS_ENDPOINT_URL")  # the trigger must use the connection's endpoint
    s3 = boto3.client("s3", endpoint_url=aws_env, region_name=REGION)
    return {"s3": s3, "ec2": boto3.client("ec2", endpoint_url=aws_env, region_name=REGION)} | {
        "bucket": s3_bucket,
        "instance_id": instance["InstanceId"],
    }


async def _first_event(trigger: Ec2JobTrigger, while_running=None):
    """Run the trigger until its event; ``while_running`` is called once it has polled twice."""
    events = trigger.run()
    waiting = asyncio.ensure_future(anext(events))
    await asyncio.sleep(trigger.poll_seconds * 2 + 0.5)
    assert not waiting.done(), "the trigger fired while the job was still running"
    if while_running is not None:
        await asyncio.to_thread(while_running)
    event = await asyncio.wait_for(waiting, timeout=30)
    await events.aclose()
    return event


def test_run_polls_until_the_job_recorded_exit_code_0_and_published(moto):
    bucket, instance_id = moto["bucket"], moto["instance_id"]
    trigger = _trigger(f"s3://{bucket}", instance_id, poll_seconds=0.2)
    report = area_keys("scoresby_sund")["report_html"]

    def job_finishes():
        moto["s3"].put_object(Bucket=bucket, Key=report, Body=b"<html></html>")
        record = {"exit_code": 0, "instance_id": instance_id, "image": "x"}
        moto["s3"].put_object(Bucket=bucket, Key=STATUS_KEY, Body=json.dumps(record).encode())

    event = asyncio.run(_first_event(trigger, job_finishes))
    assert event.payload == {
        "status": "success",
        "message": "",
        "xcom": {
            "backend": "ec2",
            "instance_ids": [instance_id],
            "reports": {"scoresby_sund": f"s3://{bucket}/{report}"},
        },
    }


def test_run_fails_when_the_instance_is_gone_without_a_record(moto):
    bucket, instance_id = moto["bucket"], moto["instance_id"]
    trigger = _trigger(f"s3://{bucket}", instance_id, poll_seconds=0.2)

    event = asyncio.run(
        _first_event(trigger, lambda: moto["ec2"].terminate_instances(InstanceIds=[instance_id]))
    )
    assert event.payload["status"] == "failed"
    message = event.payload["message"]
    assert message.startswith(
        f"report instance {instance_id} is shutting-down without having recorded an exit code "
        f"in s3://{bucket}/{STATUS_KEY}: its hard timeout fired"
    ) or message.startswith(
        f"report instance {instance_id} is terminated without having recorded an exit code "
        f"in s3://{bucket}/{STATUS_KEY}: its hard timeout fired"
    )
    assert message.endswith(
        f"Last 2 log lines of CloudWatch Logs /landsat-ops/render report/{instance_id}:\n"
        "line 2\nline 3"
    )


def test_run_polls_until_the_render_switched_the_item_to_a_complete_set(moto):
    """A render needs no record: the event fires once the item changed from its token at
    launch and names a complete set; an earlier run's complete set does not count."""
    from landsat_demo.product_sets import publish_product_set
    from landsat_ops.storage import open_store
    from landsat_pipeline.keys import ec2_render_status_key

    bucket, instance_id = moto["bucket"], moto["instance_id"]
    scene_id = "LC08_L1TP_226010_20240628_20240708_02_T1"
    item_key = f"published/226/010/2024-06-28/{scene_id}.json"
    store = open_store(f"s3://{bucket}", moto["s3"])
    publish_product_set(store, scene_id, "2024-06-28", payload="earlier", products=["ndvi"])
    trigger = Ec2JobTrigger(
        instance_ids=[instance_id],
        status_key=ec2_render_status_key(scene_id),
        expected={
            "kind": "render",
            "scene_id": scene_id,
            "products": ["ndvi"],
            "item_key": item_key,
            "item_before": store.version(item_key),
        },
        bucket_uri=f"s3://{bucket}",
        bucket_conn_id="aws_default",
        aws_conn_id="aws_default",
        region_name=REGION,
        log_group="/landsat-ops/render",
        log_stream_prefix="ec2",
        log_lines=2,
        poll_seconds=0.2,
    )
    assert Ec2JobTrigger(**trigger.serialize()[1]).serialize() == trigger.serialize()

    def render_publishes():  # the instance's render: a new version, the item switched
        publish_product_set(store, scene_id, "2024-06-28", payload="this run", products=["ndvi"])

    event = asyncio.run(_first_event(trigger, render_publishes))
    assert event.payload == {
        "status": "success",
        "message": "",
        "xcom": {
            "backend": "ec2",
            "scene_id": scene_id,
            "item_uri": f"s3://{bucket}/{item_key}",
            "instance_ids": [instance_id],
        },
    }
