"""The ``remote`` section: the AWS settings of the ``ecs`` and ``ec2`` render backends."""

from __future__ import annotations

import re
from typing import Any

from landsat_pipeline.config.checker import Checker
from landsat_pipeline.config.model import Ec2Settings, EcsSettings, RemoteSettings
from landsat_pipeline.remote import CONTAINER_NAME, WORKER_TAG

__all__ = ["parse_remote"]

_REMOTE_DEFAULTS: dict[str, Any] = {
    "aws_conn_id": "aws_default",
    "image": None,
    "report_image": None,
}
_ECS_DEFAULTS: dict[str, Any] = {
    "container_name": CONTAINER_NAME,
    "assign_public_ip": False,
    "log_stream_prefix": "render",
    "deferrable": True,
    "poll_seconds": 30,
    "timeout_minutes": 240,
    "log_lines": 20,
}
_EC2_DEFAULTS: dict[str, Any] = {
    "instance_type": "m6i.xlarge",
    "volume_size_gib": 50,
    "timeout_minutes": 120,
    "poll_seconds": 60,
    "log_stream_prefix": "ec2",
    "log_lines": 20,
    "tags": {},
    "deferrable": True,
}
_AWS_ID = {
    "subnet": re.compile(r"^subnet-[0-9a-f]{8,17}$"),
    "sg": re.compile(r"^sg-[0-9a-f]{8,17}$"),
    "ami": re.compile(r"^ami-[0-9a-f]{8,17}$"),
}
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_LOG_NAME = re.compile(r"^[A-Za-z0-9_.\-/#]+$")
_STREAM_PREFIX = re.compile(r"^[A-Za-z0-9_.\-/]+$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")


def _image(check: Checker, value: Any, key: str) -> str | None:
    if value is None:
        return None
    image = check.text(value, key)
    if any(c.isspace() for c in image):
        raise check.error(key, f"is {image!r}", "an image URI without spaces")
    return image


def parse_remote(check: Checker, raw: Any) -> RemoteSettings:
    body = {**_REMOTE_DEFAULTS, "ecs": None, "ec2": None}
    body.update(
        check.mapping(
            raw, "remote", required={"region", "log_group"}, allowed={"region", "log_group", *body}
        )
    )
    image = _image(check, body["image"], "remote.image")
    report_image = _image(check, body["report_image"], "remote.report_image")
    remote = RemoteSettings(
        region=check.matching(
            body["region"], "remote.region", _REGION, "an AWS region (eu-west-1)"
        ),
        aws_conn_id=check.text(body["aws_conn_id"], "remote.aws_conn_id"),
        log_group=check.matching(
            body["log_group"], "remote.log_group", _LOG_NAME, "a CloudWatch Logs group name"
        ),
        image=image,
        report_image=report_image,
        ecs=_ecs(check, body["ecs"]) if body["ecs"] is not None else None,
        ec2=_ec2(check, body["ec2"]) if body["ec2"] is not None else None,
    )
    if remote.ec2 is not None and remote.image is None:
        raise check.error(
            "remote.image",
            "is missing",
            "the render image URI (stack output ImageUri) for remote.ec2",
        )
    return remote


def _ecs(check: Checker, raw: Any) -> EcsSettings:
    required = {"cluster", "task_definition", "subnets", "security_groups"}
    body = {**_ECS_DEFAULTS}
    body.update(check.mapping(raw, "remote.ecs", required=required, allowed=required | set(body)))
    return EcsSettings(
        cluster=check.text(body["cluster"], "remote.ecs.cluster"),
        task_definition=check.text(body["task_definition"], "remote.ecs.task_definition"),
        container_name=check.text(body["container_name"], "remote.ecs.container_name"),
        subnets=check.id_list(
            body["subnets"], "remote.ecs.subnets", _AWS_ID["subnet"], "subnet IDs (subnet-...)"
        ),
        security_groups=check.id_list(
            body["security_groups"],
            "remote.ecs.security_groups",
            _AWS_ID["sg"],
            "security group IDs (sg-...)",
        ),
        assign_public_ip=check.boolean(body["assign_public_ip"], "remote.ecs.assign_public_ip"),
        log_stream_prefix=check.matching(
            body["log_stream_prefix"],
            "remote.ecs.log_stream_prefix",
            _STREAM_PREFIX,
            "a log stream prefix",
        ),
        deferrable=check.boolean(body["deferrable"], "remote.ecs.deferrable"),
        poll_seconds=check.integer(body["poll_seconds"], "remote.ecs.poll_seconds", 1, 3600),
        timeout_minutes=check.integer(
            body["timeout_minutes"], "remote.ecs.timeout_minutes", 1, 2880
        ),
        log_lines=check.integer(body["log_lines"], "remote.ecs.log_lines", 1, 500),
    )


def _ec2(check: Checker, raw: Any) -> Ec2Settings:
    required = {"ami", "instance_profile", "subnet_id", "security_group_ids"}
    body = {**_EC2_DEFAULTS}
    body.update(check.mapping(raw, "remote.ec2", required=required, allowed=required | set(body)))
    tags = check.mapping(body["tags"], "remote.ec2.tags")
    for name, value in tags.items():
        where = f"remote.ec2.tags.{name}"
        if not isinstance(name, str) or not name or name.lower().startswith("aws:"):
            raise check.error(where, "is not a valid tag key", "a key not starting with aws:")
        if name == WORKER_TAG[0]:
            raise check.error(where, "is reserved", "another key (every render instance has it)")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise check.error(where, f"is {value!r}", "a string")
    profile = check.text(body["instance_profile"], "remote.ec2.instance_profile")
    if any(c.isspace() for c in profile):
        raise check.error("remote.ec2.instance_profile", f"is {profile!r}", "a name or ARN")
    return Ec2Settings(
        ami=check.matching(body["ami"], "remote.ec2.ami", _AWS_ID["ami"], "an AMI ID (ami-...)"),
        instance_type=check.matching(
            body["instance_type"],
            "remote.ec2.instance_type",
            _INSTANCE_TYPE,
            "an instance type (m6i.xlarge)",
        ),
        instance_profile=profile,
        subnet_id=check.matching(
            body["subnet_id"], "remote.ec2.subnet_id", _AWS_ID["subnet"], "a subnet ID (subnet-...)"
        ),
        security_group_ids=check.id_list(
            body["security_group_ids"],
            "remote.ec2.security_group_ids",
            _AWS_ID["sg"],
            "security group IDs (sg-...)",
        ),
        volume_size_gib=check.integer(
            body["volume_size_gib"], "remote.ec2.volume_size_gib", 8, 16384
        ),
        timeout_minutes=check.integer(
            body["timeout_minutes"], "remote.ec2.timeout_minutes", 1, 2880
        ),
        poll_seconds=check.integer(body["poll_seconds"], "remote.ec2.poll_seconds", 1, 3600),
        log_stream_prefix=check.matching(
            body["log_stream_prefix"],
            "remote.ec2.log_stream_prefix",
            _STREAM_PREFIX,
            "a log stream prefix",
        ),
        log_lines=check.integer(body["log_lines"], "remote.ec2.log_lines", 1, 500),
        tags=tuple(sorted((str(k), str(v)) for k, v in tags.items())),
        deferrable=check.boolean(body["deferrable"], "remote.ec2.deferrable"),
    )
