"""The ECS side of the render stack in moto, with the render container played for real.

moto records ``RunTask`` but runs no container. :class:`FakeFargate` hooks an operator's ECS
client: it records the calls, runs the task's container command with the real ``landsat-ops``
console script (the image's ENTRYPOINT) in the task role's environment, writes its output to
the task's CloudWatch Logs stream in moto as the awslogs driver does, stops the task in moto and
answers ``describe_tasks`` with how it stopped. Used by the scene renders
(tests/dags/test_remote_backends.py) and the composite tiles (tests/dags/test_composites_ecs.py).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from tests.support import forkserver

__all__ = [
    "CLUSTER",
    "CONTAINER",
    "FAMILY",
    "LANDSAT_OPS",
    "LOG_GROUP",
    "REGION",
    "FakeFargate",
    "container_env",
    "ecs_stack",
    "put_log_lines",
    "run_container",
]

REGION = "us-east-1"
CLUSTER = "landsat-ops"
FAMILY = "landsat-ops-render"
CONTAINER = "landsat-ops"
LOG_GROUP = "/landsat-ops/render"
LANDSAT_OPS = Path(sys.executable).parent / "landsat-ops"  # the console script, the ENTRYPOINT


def container_env(endpoint: str) -> dict[str, str]:
    """A task's environment: PATH and the AWS endpoint and dummy keys (the task role)."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "TMPDIR", "LANG") if k in os.environ}
    env["PATH"] = os.pathsep.join([str(LANDSAT_OPS.parent), env.get("PATH", "")])
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
    )
    return env


def run_container(aws, args: list[str]) -> tuple[int, list[str]]:
    """Run the image's ENTRYPOINT with ``args`` as the container would (a process of its own
    with the task's environment, forked warm by tests/support/forkserver.py); exit code,
    output lines."""
    process = forkserver.popen(
        [str(LANDSAT_OPS), *args], env=container_env(aws["endpoint"]), text=True
    )
    out, err = process.communicate(timeout=300)
    return process.returncode, (out + err).splitlines()


def put_log_lines(aws, stream: str, lines: list[str]) -> None:
    """Write ``lines`` to a CloudWatch Logs stream of the log group in moto, as awslogs does."""
    aws["logs"].create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": now + i, "message": line} for i, line in enumerate(lines or ["-"])]
    aws["logs"].put_log_events(logGroupName=LOG_GROUP, logStreamName=stream, logEvents=events)


class FakeFargate:
    """Records an operator's ECS calls, plays each task's container, says how it stopped.

    ``aws`` holds the moto ``endpoint`` and the ``ecs`` and ``logs`` clients. With
    ``exit_code`` 0 (the default) a task runs its real command; any other value is a scripted
    failure: the container "exits" with it after printing ``failed_lines``.
    """

    def __init__(self, aws, failed_lines: list[str] | None = None):
        self.aws = aws
        self.exit_code = 0
        self.failed_lines = failed_lines or ["landsat-ops: failed"]
        self.calls: list[str] = []  # every ECS operation, by name, in order
        self.run_task: list[dict] = []  # the parameters of each RunTask
        self.outputs: list[list[str]] = []  # each container's output lines
        self.stopped: dict[str, tuple[str, int]] = {}  # task ARN -> (cluster ARN, exit code)

    def attach(self, client) -> None:
        """Hook the operator's ECS client (once): record calls, answer describe_tasks."""
        if getattr(client, "_fake_fargate", False):
            return
        client._fake_fargate = True
        client.describe_tasks = self.describe_tasks
        client.meta.events.register("before-parameter-build.ecs", self._record)
        client.meta.events.register("after-call.ecs.RunTask", self._started)

    def _record(self, params, model, **kwargs):
        self.calls.append(model.name)
        if model.name == "RunTask":
            self.run_task.append(json.loads(json.dumps(params)))

    def _started(self, parsed, **kwargs):
        """moto started the task: run its container, log its output, stop the task."""
        task = parsed["tasks"][0]
        arn = task["taskArn"]
        (override,) = self.run_task[-1]["overrides"]["containerOverrides"]
        if self.exit_code == 0:
            exit_code, lines = run_container(self.aws, override["command"])
        else:
            exit_code, lines = self.exit_code, list(self.failed_lines)
        self.outputs.append(lines)
        self.stopped[arn] = (task["clusterArn"], exit_code)
        put_log_lines(self.aws, f"render/{CONTAINER}/{arn.rsplit('/', 1)[-1]}", lines)
        # The container has exited: no longer a RUNNING task to reattach to.
        self.aws["ecs"].stop_task(cluster=CLUSTER, task=arn, reason="Essential container exited")

    def describe_tasks(self, *, cluster, tasks, **kwargs):
        described = []
        for arn in tasks:
            cluster_arn, exit_code = self.stopped[arn]
            described.append(
                {
                    "taskArn": arn,
                    "clusterArn": cluster_arn,
                    "lastStatus": "STOPPED",
                    "desiredStatus": "STOPPED",
                    "stopCode": "EssentialContainerExited",
                    "stoppedReason": "Essential container in task exited",
                    "containers": [
                        {
                            "taskArn": arn,
                            "name": CONTAINER,
                            "lastStatus": "STOPPED",
                            "exitCode": exit_code,
                        }
                    ],
                }
            )
        return {"tasks": described, "failures": []}


def ecs_stack(endpoint: str, image: str = "landsat-ops-render:test") -> dict:
    """The stack's ECS side in moto (deploy/cloudformation.yaml): a VPC with a subnet and a
    security group without inbound rules, the cluster, the Fargate task definition with its
    awslogs configuration, and the log group. Returns the ``ec2``, ``ecs`` and ``logs`` clients
    (for the test's own checks) and the ``subnet`` and ``security_group`` IDs."""
    import boto3

    ec2, ecs, logs = (
        boto3.client(service, endpoint_url=endpoint, region_name=REGION)
        for service in ("ec2", "ecs", "logs")
    )
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # moto's awsvpc
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(
        GroupName="landsat-ops-render", Description="render: no inbound", VpcId=vpc
    )["GroupId"]
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.register_task_definition(
        family=FAMILY,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="1024",
        memory="2048",
        containerDefinitions=[
            {
                "name": CONTAINER,
                "image": image,
                "essential": True,
                "cpu": 1024,
                "memory": 2048,  # moto needs container-level sizes
                "command": ["--help"],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": LOG_GROUP,
                        "awslogs-region": REGION,
                        "awslogs-stream-prefix": "render",
                    },
                },
            }
        ],
    )
    logs.create_log_group(logGroupName=LOG_GROUP)
    return {"ec2": ec2, "ecs": ecs, "logs": logs, "subnet": subnet, "security_group": group}
