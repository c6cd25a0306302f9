"""The ``ecs`` and ``ec2`` render backends of the scenes DAG, with `dag.test()` against moto.

The AWS side is the moto server: cluster, task definition, VPC, subnet, security group, log
group and instance profile are created there first, and the DAG's tasks reach it only through
the Airflow connection ``aws_default`` (``AWS_ENDPOINT_URL`` is unset while the DAG runs).

What moto cannot do is stood in for, and only that:

* The render container. When ``run_task`` (or ``run_instances``) reaches moto, the test runs the
  exact command the task carries (the project's console script, as the image's ENTRYPOINT,
  plus the override command) as a subprocess against moto S3, like
  ``tests/test_container_contract.py``, and writes its output to the task's CloudWatch log
  stream in moto. A failing container is scripted: it writes a few log lines and "exits" 1.
* How an ECS task stopped. moto's containers stay PENDING without exit codes, so
  ``describe_tasks`` answers from botocore's ``Stubber`` with the exit code the test chose
  (queued when moto started the task, so the task ARN is moto's).
* How an EC2 job ended: the simulated instance writes the exit code record that the real user
  data writes (``{"exit_code": N, "instance_id": ...}``).
"""

from __future__ import annotations

import base64
import datetime
import importlib.util
import json
from pathlib import Path

import pytest

from tests.support.dagenv import (
    BUCKET,
    DAG_ID,
    REPO,
    SCENE_DAY,
    SCENE_ID,
    expected_keys,
    logical_date,
    objects,
    run_states,
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
    put_log_lines,
    run_container,
)

AMI = "ami-0123456789abcdef0"
PROFILE = "landsat-ops-render-instance"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/landsat-ops-render:0.1.0"
LANDING_URI = f"s3://{BUCKET}/landing/{SCENE_ID}/"
OUT_URI = f"s3://{BUCKET}/published/226/010/{SCENE_DAY}/"  # the render switches the item there
ITEM_KEY = f"published/226/010/{SCENE_DAY}/{SCENE_ID}.json"
STATUS_KEY = f"staging/_ec2-status/{SCENE_ID}.json"
# The command every remote backend runs for the test scene with the test config's settings.
COMMAND = [
    "landsat-ops",
    "render",
    LANDING_URI,
    "--out",
    OUT_URI,
    "--products",
    "truecolor,falsecolor,ndvi,extent,histograms",
    "--percentiles",
    "2,98",
    "--preview-size",
    "128",
]
FAILED_LOG = ["landsat-ops: reading bands", "Traceback (most recent call last):", "MemoryError"]


def _client(service: str, endpoint: str):
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)


@pytest.fixture
def aws(aws_connection, s3_bucket, monkeypatch):
    """The moto resources of the stack (deploy/cloudformation.yaml) and verification clients.

    ``AWS_ENDPOINT_URL`` is unset afterwards: the tasks must use the connection's endpoint.
    """
    endpoint = aws_connection
    stack = ecs_stack(endpoint, IMAGE)
    iam = _client("iam", endpoint)
    iam.create_role(RoleName=PROFILE, AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName=PROFILE)
    iam.add_role_to_instance_profile(InstanceProfileName=PROFILE, RoleName=PROFILE)
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    return {
        "endpoint": endpoint,
        "subnet": stack["subnet"],
        "security_group": stack["security_group"],
        "s3": _client("s3", endpoint),
        "ec2": stack["ec2"],
        "ecs": stack["ecs"],
        "logs": stack["logs"],
    }


def remote_section(aws, **changes) -> dict:
    """The config's remote section for the moto resources; ``changes`` update ecs/ec2."""
    section = {
        "region": REGION,
        "aws_conn_id": "aws_default",
        "log_group": LOG_GROUP,
        "image": IMAGE,
        "ecs": {
            "cluster": CLUSTER,
            "task_definition": FAMILY,
            "container_name": CONTAINER,
            "subnets": aws["subnet"],  # as the SubnetIds output gives them: comma-separated
            "security_groups": [aws["security_group"]],
            "assign_public_ip": False,
            "log_stream_prefix": "render",
            "deferrable": False,
            "poll_seconds": 1,
            "log_lines": 5,
        },
        "ec2": {
            "ami": AMI,
            "instance_type": "t3.large",
            "instance_profile": PROFILE,
            "subnet_id": aws["subnet"],
            "security_group_ids": [aws["security_group"]],
            "timeout_minutes": 30,
            "poll_seconds": 1,
            "log_lines": 5,
            "tags": {"project": "landsat-ops-tests"},
        },
    }
    for backend, values in changes.items():
        section[backend].update(values)
    return section


@pytest.fixture
def dag(airflow_db, catalog, aws, pipeline_config):
    from airflow.dag_processing.dagbag import DagBag

    pipeline_config(remote=remote_section(aws))
    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    return bag.get_dag(DAG_ID)


def test_task_graph_of_the_remote_backends(airflow_db, aws, pipeline_config):
    """Each backend is one branch of choose_render; publish waits on render_<backend> only."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import TriggerRule

    pipeline_config(remote=remote_section(aws))
    dag = DagBag(dag_folder=str(REPO / "dags")).get_dag(DAG_ID)
    downstream = {task.task_id: task.downstream_task_ids for task in dag.tasks}
    assert downstream["choose_render"] == {"render_local", "prepare_ecs", "prepare_ec2", "publish"}
    assert downstream["prepare_ecs"] == {"render_ecs"}
    assert downstream["render_ecs"] == {"publish"}
    assert downstream["launch_ec2"] == {"render_ec2", "terminate_ec2"}
    assert downstream["render_ec2"] == {"publish", "terminate_ec2"}
    assert downstream["terminate_ec2"] == set()
    assert dag.get_task("publish").upstream_task_ids == {
        "choose_render",
        "render_local",
        "render_ecs",
        "render_ec2",
        "discover",
    }

    render_ecs = dag.get_task("render_ecs")
    assert (render_ecs.launch_type, render_ecs.reattach) == ("FARGATE", True)
    assert render_ecs.pool == "default_pool"  # the worker only waits
    launch, wait, terminate = (
        dag.get_task(t) for t in ("launch_ec2", "render_ec2", "terminate_ec2")
    )
    assert launch.is_setup and terminate.is_teardown
    assert terminate.trigger_rule == TriggerRule.ALL_DONE_SETUP_SUCCESS
    assert terminate.on_failure_fail_dagrun  # an instance that may outlive its run fails it
    assert wait.mode == "reschedule"


def test_without_remote_ec2_the_dag_has_no_ec2_chain(airflow_db, pipeline_config):
    """No remote.ec2: no ec2 tasks, so no teardown, and "Mark Dag Run as failed" fails the run.

    (With the teardown terminate_ec2 pending, Airflow leaves a marked run to the scheduler,
    which ended it success: tests/cluster/test_cluster.py, docs/airflow.md.)
    """
    from airflow.dag_processing.dagbag import DagBag

    pipeline_config()  # no remote section
    dag = DagBag(dag_folder=str(REPO / "dags")).get_dag(DAG_ID)
    assert not {"prepare_ec2", "launch_ec2", "render_ec2", "terminate_ec2"} & set(dag.task_ids)
    assert not [task for task in dag.tasks if task.is_teardown]
    assert dag.get_task("choose_render").downstream_task_ids == {
        "render_local",
        "prepare_ecs",
        "publish",
    }
    # The Param still offers ec2; a run asking for it fails at the branch, naming the key.
    run = dag.test(
        logical_date=datetime.datetime(2024, 6, 28, tzinfo=datetime.UTC),
        run_conf={"render_backend": "ec2", "force_render": True},
    )
    assert run.state == "failed"


# -- ecs ---------------------------------------------------------------------------------------
@pytest.fixture
def fargate(aws, monkeypatch):
    from landsat_pipeline.operators.ecs import RenderEcsTaskOperator

    fake = FakeFargate(aws, failed_lines=FAILED_LOG)

    def client(self):
        conn = self.hook.conn
        fake.attach(conn)
        return conn

    monkeypatch.setattr(RenderEcsTaskOperator, "client", property(client))
    return fake


def test_ecs_renders_in_a_fargate_task_then_publishes(dag, aws, fargate, capfd):
    dag_run = dag.test(logical_date=logical_date(SCENE_DAY), run_conf={"render_backend": "ecs"})

    assert dag_run.state == "success"
    states = {task: state for task, (state, _) in run_states(dag_run).items()}
    assert states["prepare_ecs"] == states["render_ecs"] == states["publish"] == "success"
    assert {states[t] for t in ("render_local", "prepare_ec2", "launch_ec2")} == {"skipped"}
    assert {states[t] for t in ("render_ec2", "terminate_ec2")} == {"skipped"}

    (call,) = fargate.run_task
    assert call["launchType"] == "FARGATE"
    assert call["cluster"] == CLUSTER and call["taskDefinition"] == FAMILY
    assert call["overrides"] == {
        "containerOverrides": [{"name": CONTAINER, "command": COMMAND[1:]}]
    }
    assert call["networkConfiguration"] == {
        "awsvpcConfiguration": {
            "subnets": [aws["subnet"]],
            "securityGroups": [aws["security_group"]],
            "assignPublicIp": "DISABLED",
        }
    }
    assert call["tags"] == [{"key": "landsat-ops:scene", "value": SCENE_ID}]
    assert len(call["startedBy"]) == 36  # reattach: a UUID derived from the task instance
    assert fargate.calls[:2] == ["ListTasks", "RunTask"]  # looked for a task to reattach first
    (task_arn,) = aws["ecs"].list_tasks(cluster=CLUSTER)["taskArns"]
    assert (
        aws["ecs"].describe_tasks(cluster=CLUSTER, tasks=[task_arn])["tasks"][0]["overrides"][
            "containerOverrides"
        ][0]["command"]
        == COMMAND[1:]
    )

    prepared = xcom(dag_run, "prepare_ecs")
    assert prepared["command"] == COMMAND
    # The container published a version and switched the item; publish linked it: no copy.
    version = xcom(dag_run, "publish")["version"]
    assert set(objects(aws["s3"])) == expected_keys(version=version)
    assert not any(key.startswith("staging/") for key in objects(aws["s3"]))
    log = capfd.readouterr().out
    assert "landsat-ops" in log and task_arn.rsplit("/", 1)[-1] in log
    if importlib.util.find_spec("aiobotocore") is None:
        assert "waiting for the ECS task in this worker instead" not in log  # deferrable: false


def test_ecs_deferrable(aws, fargate, pipeline_config, airflow_db, catalog, capfd, caplog):
    """deferrable: true defers to the provider's trigger (dag.test runs it in-process); without
    aiobotocore, which that trigger needs, the operator waits in the worker instead."""
    from airflow.dag_processing.dagbag import DagBag

    pipeline_config(remote=remote_section(aws, ecs={"deferrable": True}))
    dag = DagBag(dag_folder=str(REPO / "dags")).get_dag(DAG_ID)
    dag_run = dag.test(logical_date=logical_date(SCENE_DAY), run_conf={"render_backend": "ecs"})

    assert dag_run.state == "success"
    assert run_states(dag_run)["render_ecs"] == ("success", 1)
    assert len(fargate.run_task) == 1
    log = capfd.readouterr().out + caplog.text
    fallback = "waiting for the ECS task in this worker instead" in log
    assert fallback == (importlib.util.find_spec("aiobotocore") is None)
    assert ("[DAG TEST] running trigger in line" in log) == (not fallback)


def test_ecs_container_exit_code_1_fails_with_its_last_log_lines(dag, aws, fargate, capfd):
    fargate.exit_code = 1
    dag_run = dag.test(logical_date=logical_date(SCENE_DAY), run_conf={"render_backend": "ecs"})

    assert dag_run.state == "failed"
    states = run_states(dag_run)
    assert states["render_ecs"] == ("failed", 3)  # the project's retries: 3 tries, 3 tasks
    assert states["publish"][0] == "upstream_failed"
    assert len(fargate.run_task) == 3
    log = capfd.readouterr().out
    assert f"in cluster {CLUSTER}: container {CONTAINER} stopped with exit code 1" in log
    assert "(Essential container in task exited)" in log
    assert f"Last 3 log lines of CloudWatch Logs {LOG_GROUP} render/{CONTAINER}/" in log
    assert "Traceback (most recent call last):\nMemoryError" in log
    assert not any(key.startswith("published/") for key in objects(aws["s3"]))


def test_ecs_skips_the_launch_when_a_previous_try_published_the_set(
    dag, aws, fargate, catalog, capfd, monkeypatch
):
    """A retry after a render that succeeded launches nothing: the item names the complete set
    of this config by the time render_ecs would launch (choose_render saw none)."""
    import landsat_pipeline.render_jobs as render_jobs
    from landsat_ops.render import render_scene

    scene_dir = Path(catalog).parent / "scenes" / SCENE_ID
    arguments = render_jobs.ecs_task_arguments

    def published_meanwhile(*args, **kwargs):  # the earlier try's container, done
        render_scene(scene_dir, OUT_URI, preview_size=128, s3_client=aws["s3"])
        return arguments(*args, **kwargs)

    monkeypatch.setattr(render_jobs, "ecs_task_arguments", published_meanwhile)
    dag_run = dag.test(logical_date=logical_date(SCENE_DAY), run_conf={"render_backend": "ecs"})

    assert dag_run.state == "success"
    states = run_states(dag_run)
    assert states["prepare_ecs"][0] == "success"
    assert states["render_ecs"][0] == "skipped"
    assert states["publish"][0] == "success"
    assert fargate.run_task == [] and fargate.calls == []
    assert aws["ecs"].list_tasks(cluster=CLUSTER)["taskArns"] == []
    assert set(objects(aws["s3"])) == expected_keys(version=xcom(dag_run, "publish")["version"])
    log = capfd.readouterr().out
    assert f"s3://{BUCKET}/{ITEM_KEY} and its 11 products are complete" in log
    assert "(published by a previous try): not launching a render again" in log


def test_a_deferred_ecs_task_that_exits_1_fails_with_its_log_lines(aws, fargate):
    """After a deferral the provider has no log fetcher: the lines come from CloudWatch."""
    from airflow.sdk.exceptions import AirflowException

    from landsat_pipeline.operators.ecs import RenderEcsTaskOperator

    arn = f"arn:aws:ecs:{REGION}:123456789012:task/{CLUSTER}/0123456789abcdef"
    put_log_lines(aws, f"render/{CONTAINER}/0123456789abcdef", [f"line {i}" for i in range(9)])
    fargate.exit_code = 1
    fargate.run_task.append({"overrides": {"containerOverrides": [{"command": []}]}})
    operator = RenderEcsTaskOperator(
        task_id="render_ecs",
        cluster=CLUSTER,
        task_definition=FAMILY,
        overrides={},
        container_name=CONTAINER,
        awslogs_group=LOG_GROUP,
        awslogs_stream_prefix="render",
        number_logs_exception=4,
        region_name=REGION,
        deferrable=True,
    )
    # The task stopped with exit code 1 (as describe_tasks will say).
    fargate.stopped[arn] = (f"arn:aws:ecs:{REGION}:123456789012:cluster/{CLUSTER}", 1)
    event = {"status": "success", "task_arn": arn, "cluster": CLUSTER}
    with pytest.raises(AirflowException) as failure:
        operator.execute_complete(context={}, event=event)
    message = str(failure.value)
    assert message.startswith(
        f"ECS task 0123456789abcdef in cluster {CLUSTER}: container {CONTAINER} stopped with "
        "exit code 1 (Essential container in task exited)."
    )
    assert message.endswith("line 5\nline 6\nline 7\nline 8")
    assert "line 4" not in message


def test_the_ecs_operator_overrides_no_private_method_of_the_provider():
    """It extends EcsRunTaskOperator through execute/execute_complete only: a provider upgrade
    that renames a private method cannot silently bypass it."""
    from airflow.providers.amazon.aws.operators.ecs import EcsRunTaskOperator

    from landsat_pipeline.operators.ecs import RenderEcsTaskOperator

    provider = {name for cls in EcsRunTaskOperator.__mro__ for name in vars(cls)}
    own = {name for name in vars(RenderEcsTaskOperator) if not name.startswith("__")}
    own -= {"_abc_impl"}  # abc bookkeeping, not a method
    # BaseOperator.get_serialized_fields() caches its answer on the class it is called on
    # (once a DAG was serialized in this process): Airflow's bookkeeping, not an override.
    own -= {"_BaseOperator__serialized_fields"}
    overridden = own & provider
    assert overridden == {"execute", "execute_complete", "template_fields"}
    assert not [name for name in overridden if name.startswith("_")]


def test_ecs_without_the_remote_section_fails_naming_the_missing_key(
    aws, fargate, pipeline_config, airflow_db, catalog, capfd
):
    from airflow.dag_processing.dagbag import DagBag

    pipeline_config()  # no remote section: the DAG loads, local keeps working
    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    dag_run = bag.get_dag(DAG_ID).test(
        logical_date=logical_date(SCENE_DAY), run_conf={"render_backend": "ecs"}
    )
    assert dag_run.state == "failed"
    states = run_states(dag_run)
    assert states["prepare_ecs"] == ("failed", 1)  # a config error is not retried
    assert states["render_ecs"][0] == "upstream_failed"
    assert fargate.calls == []
    assert "remote is missing (expected the ecs render backend's settings" in (
        capfd.readouterr().out
    )


# -- ec2 ---------------------------------------------------------------------------------------
class FakeInstance:
    """Plays the render instance after EC2CreateInstanceOperator launched it in moto."""

    def __init__(self, aws):
        self.aws = aws
        self.exit_code = 0  # 0: run the real command; else: a scripted failure
        self.launched: list[str] = []

    def boot(self, instance_id: str, command: list[str]) -> None:
        self.launched.append(instance_id)
        if self.exit_code == 0:
            exit_code, lines = run_container(self.aws, command[1:])
            assert exit_code == 0, lines
        else:
            exit_code, lines = self.exit_code, FAILED_LOG
        put_log_lines(self.aws, f"ec2/{instance_id}", lines)
        record = {"exit_code": exit_code, "instance_id": instance_id, "image": IMAGE}
        self.aws["s3"].put_object(Bucket=BUCKET, Key=STATUS_KEY, Body=json.dumps(record).encode())


@pytest.fixture
def instance(aws, monkeypatch):
    from airflow.providers.amazon.aws.operators.ec2 import EC2CreateInstanceOperator

    fake = FakeInstance(aws)
    launch = EC2CreateInstanceOperator.execute

    def execute(self, context):
        instance_ids = launch(self, context)
        command = context["ti"].xcom_pull(task_ids="prepare_ec2", key="command")
        fake.boot(instance_ids[0], command)
        return instance_ids

    monkeypatch.setattr(EC2CreateInstanceOperator, "execute", execute)
    return fake


def _instance(aws, instance_id: str) -> dict:
    (reservation,) = aws["ec2"].describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservation["Instances"][0]


def _user_data(aws, instance_id: str) -> str:
    attribute = aws["ec2"].describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
    return base64.b64decode(attribute["UserData"]["Value"]).decode()


def test_ec2_renders_on_a_throwaway_instance_then_publishes(dag, aws, instance):
    dag_run = dag.test(logical_date=logical_date(SCENE_DAY), run_conf={"render_backend": "ec2"})

    assert dag_run.state == "success"
    states = {task: state for task, (state, _) in run_states(dag_run).items()}
    for task_id in ("prepare_ec2", "launch_ec2", "render_ec2", "terminate_ec2", "publish"):
        assert states[task_id] == "success", task_id
    assert {states[t] for t in ("render_local", "prepare_ecs", "render_ecs")} == {"skipped"}
    (instance_id,) = instance.launched
    assert xcom(dag_run, "launch_ec2") == [instance_id]
    assert xcom(dag_run, "render_ec2") == {
        "backend": "ec2",
        "scene_id": SCENE_ID,
        "item_uri": f"{OUT_URI}{SCENE_ID}.json",
        "instance_ids": [instance_id],
    }
    assert xcom(dag_run, "prepare_ec2")["expected"] == {
        "kind": "render",
        "scene_id": SCENE_ID,
        "products": ["truecolor", "falsecolor", "ndvi", "extent", "histograms"],
        "item_key": ITEM_KEY,
        "item_before": None,  # nothing published at launch
    }
    assert _instance(aws, instance_id)["State"]["Name"] == "terminated"
    version = xcom(dag_run, "publish")["version"]
    assert set(objects(aws["s3"])) == expected_keys(version=version) | {STATUS_KEY}


def test_ec2_failure_still_terminates_the_instance(dag, aws, instance, capfd):
    instance.exit_code = 1
    dag_run = dag.test(logical_date=logical_date(SCENE_DAY), run_conf={"render_backend": "ec2"})

    assert dag_run.state == "failed"
    states = run_states(dag_run)
    assert states["render_ec2"] == ("failed", 1)  # the instance is gone: not retried
    assert states["terminate_ec2"][0] == "success"  # the teardown ran anyway
    assert states["publish"][0] == "upstream_failed"
    (instance_id,) = instance.launched
    described = _instance(aws, instance_id)
    assert described["State"]["Name"] == "terminated"
    assert described["ImageId"] == AMI and described["InstanceType"] == "t3.large"
    assert described["SubnetId"] == aws["subnet"]
    assert described["MetadataOptions"]["HttpTokens"] == "required"  # IMDSv2
    launched = xcom(dag_run, "prepare_ec2")["config"]  # moto forgets the profile on termination
    assert launched["IamInstanceProfile"] == {"Name": PROFILE}
    tags = {tag["Key"]: tag["Value"] for tag in described["Tags"]}
    assert tags["landsat-ops:role"] == "render-worker"
    assert tags["landsat-ops:scene"] == SCENE_ID and tags["project"] == "landsat-ops-tests"
    behaviour = aws["ec2"].describe_instance_attribute(
        InstanceId=instance_id, Attribute="instanceInitiatedShutdownBehavior"
    )
    assert behaviour["InstanceInitiatedShutdownBehavior"]["Value"] == "terminate"

    user_data = _user_data(aws, instance_id)
    assert user_data.startswith("#!/bin/bash\n")
    assert 'shutdown -h "+$((TIMEOUT_MINUTES + SETUP_MINUTES))"' in user_data  # the safety net
    assert "shutdown -h now" in user_data and "trap finish EXIT" in user_data
    assert "TIMEOUT_MINUTES=30\n" in user_data
    assert f"STATUS_URI=s3://{BUCKET}/{STATUS_KEY}\n" in user_data
    assert f"IMAGE={IMAGE}\n" in user_data
    assert '"$IMAGE" ' + " ".join(COMMAND[1:]) in user_data  # docker run IMAGE ARGS

    log = capfd.readouterr().out
    assert f"EC2 render instance {instance_id} ran the render of {SCENE_ID} with exit code 1" in log
    assert f"Last 3 log lines of CloudWatch Logs {LOG_GROUP} ec2/{instance_id}:" in log
    assert not any(key.startswith("published/") for key in objects(aws["s3"]))


def test_ec2_ignores_the_exit_code_record_of_an_earlier_instance(
    aws, instance, dag, monkeypatch, capfd, pipeline_config
):
    """A record left by another run's instance must not fail this run's wait."""
    from landsat_pipeline.hooks.ec2 import Ec2JobHook

    stale = {"exit_code": 1, "instance_id": "i-0123456789abcdef0", "image": IMAGE}
    aws["s3"].put_object(Bucket=BUCKET, Key=STATUS_KEY, Body=json.dumps(stale).encode())
    instance.boot = lambda instance_id, command: instance.launched.append(instance_id)
    states = Ec2JobHook.instance_states

    def instance_works_between_pokes(self, instance_ids):
        running = states(self, instance_ids)
        if ITEM_KEY not in objects(aws["s3"]):
            assert run_container(aws, COMMAND[1:])[0] == 0  # the job runs between two pokes
        return running

    monkeypatch.setattr(Ec2JobHook, "instance_states", instance_works_between_pokes)
    # The job runs "between two pokes": the worker-side wait, not the trigger's.
    pipeline_config(remote=remote_section(aws, ec2={"deferrable": False}))
    dag_run = dag.test(logical_date=logical_date(SCENE_DAY), run_conf={"render_backend": "ec2"})

    assert dag_run.state == "success"
    assert run_states(dag_run)["render_ec2"][0] == "success"
    assert run_states(dag_run)["terminate_ec2"][0] == "success"
    log = capfd.readouterr().out
    assert f"s3://{BUCKET}/{STATUS_KEY} was written by another instance; ignoring it" in log
