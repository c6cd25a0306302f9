"""Static checks of deploy/: the render backends' AWS infrastructure.

The IAM policy documents are least-privilege, and the CloudFormation template parses, passes
cfn-lint, and embeds exactly those documents.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from landsat_pipeline import remote

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
IAM = DEPLOY / "iam"
TEMPLATE = DEPLOY / "cloudformation.yaml"


# -- deploy/: IAM policy documents --------------------------------------------------------------
POLICIES = sorted(IAM.glob("*-policy.json"))
PERMISSION_POLICIES = [p for p in POLICIES if "trust" not in p.name]
# Actions AWS does not scope to a resource: the only ones allowed on "*".
UNSCOPED_ACTIONS = {
    "ecr:GetAuthorizationToken",
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceStatus",
    "ecs:DescribeTaskDefinition",
    "ecs:ListTasks",
}
BUCKET = "arn:${AWS::Partition}:s3:::${BucketName}"
USGS_ARCHIVE = "arn:${AWS::Partition}:s3:::usgs-landsat/collection02/*"
LOG_GROUP = (
    "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${LogGroupName}:*"
)


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def statements(path: Path) -> list[dict]:
    return load(path)["Statement"]


def test_policy_files():
    assert {p.name for p in POLICIES} == {
        "task-role-policy.json",
        "task-execution-role-policy.json",
        "instance-profile-policy.json",
        "airflow-policy.json",
        "ecs-tasks-trust-policy.json",
        "ec2-trust-policy.json",
    }


@pytest.mark.parametrize("path", PERMISSION_POLICIES, ids=lambda p: p.stem)
def test_policies_are_least_privilege(path):
    document = load(path)
    assert document["Version"] == "2012-10-17"
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert not {"NotAction", "NotResource", "NotPrincipal", "Principal"} & set(statement)
        actions = as_list(statement["Action"])
        for action in actions:
            assert "*" not in action, f"{path.name}: wildcard action {action}"
            assert re.fullmatch(r"[a-z0-9]+:[A-Za-z]+", action), action
        resources = as_list(statement["Resource"])
        if "*" in resources:
            assert set(actions) <= UNSCOPED_ACTIONS, f"{path.name}: {actions} on '*'"
        for resource in resources:
            if resource.startswith("arn:${AWS::Partition}:s3:::"):
                # The project's bucket, and the USGS archive's Collection 2 read-only (issue 10:
                # requester-pays landing; test_airflow_reads_only_collection_2_...).
                assert resource.startswith(BUCKET) or (
                    resource == USGS_ARCHIVE and actions == ["s3:GetObject"]
                ), f"{path.name}: another bucket {resource}"


@pytest.mark.parametrize(
    "name", ["task-role-policy.json", "instance-profile-policy.json"], ids=lambda n: n[:-12]
)
def test_render_roles_read_landing_and_write_staging_and_published_only(name):
    readable, writable = set(), set()
    for statement in statements(IAM / name):
        actions = set(as_list(statement["Action"]))
        s3_resources = [r for r in as_list(statement["Resource"]) if ":s3:::" in r]
        for resource in s3_resources:
            if resource == BUCKET:
                # Listing, and finding a killed render's incomplete uploads of its version.
                assert actions == {"s3:ListBucket", "s3:ListBucketMultipartUploads"}
                assert statement["Condition"]["StringLikeIfExists"]["s3:prefix"] == [
                    "landing/*",
                    "staging/*",
                    "published/*",
                ]
                continue
            prefix = resource.removeprefix(BUCKET + "/")
            assert prefix in ("landing/*", "staging/*", "published/*"), resource
            if "s3:GetObject" in actions:
                readable.add(prefix)
            if actions & {"s3:PutObject", "s3:DeleteObject"}:
                writable.add(prefix)
        for action in actions:
            if action.startswith("logs:"):
                assert as_list(statement["Resource"]) == [LOG_GROUP]
    assert readable == {"landing/*", "staging/*", "published/*"}
    assert writable == {"staging/*", "published/*"}  # never landing/


def test_execution_role_pulls_the_image_and_writes_logs_only():
    actions = {
        a for s in statements(IAM / "task-execution-role-policy.json") for a in as_list(s["Action"])
    }
    assert actions == {
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }


def test_task_role_needs_no_logs_or_ecr():
    """The awslogs driver and the image pull run as the execution role, not the task role."""
    actions = {a for s in statements(IAM / "task-role-policy.json") for a in as_list(s["Action"])}
    assert {a.split(":")[0] for a in actions} == {"s3"}


def test_airflow_policy_only_touches_render_instances_and_passes_only_render_roles():
    by_sid = {s["Sid"]: s for s in statements(IAM / "airflow-policy.json")}
    key, value = remote.WORKER_TAG
    launch = by_sid["LaunchOnlyTaggedRenderInstances"]["Condition"]["StringEquals"]
    assert launch == {f"aws:RequestTag/{key}": value}
    terminate = by_sid["TerminateOnlyRenderInstances"]["Condition"]["StringEquals"]
    assert terminate == {f"aws:ResourceTag/{key}": value}
    passed = [
        r for s in by_sid.values() if s["Action"] == "iam:PassRole" for r in as_list(s["Resource"])
    ]
    assert sorted(r.rsplit("/", 1)[1] for r in passed) == [
        "${Name}-render-execution",
        "${Name}-render-instance",
        "${Name}-render-task",
    ]


# -- deploy/: CloudFormation --------------------------------------------------------------------
class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms: ``!Sub x`` -> ``{"Fn::Sub": x}``, ``!Ref x``..."""


def _short_form(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _short_form)


@pytest.fixture(scope="module")
def template() -> dict:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader


def unsub(value):
    """A template value with every ``{"Fn::Sub": s}`` replaced by ``s``."""
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            return value["Fn::Sub"]
        return {k: unsub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unsub(v) for v in value]
    return value


def resources(template, kind: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_cfn_lint():
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    if not cfn_lint.exists():
        cfn_lint = shutil.which("cfn-lint")
        if cfn_lint is None:
            pytest.skip("cfn-lint is not installed (it comes with moto[server])")
    result = subprocess.run(
        [str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_template_embeds_the_policy_documents(template):
    roles = resources(template, "AWS::IAM::Role")
    embedded = {
        "TaskRole": "task-role-policy.json",
        "TaskExecutionRole": "task-execution-role-policy.json",
        "InstanceRole": "instance-profile-policy.json",
    }
    trust = {
        "TaskRole": "ecs-tasks-trust-policy.json",
        "TaskExecutionRole": "ecs-tasks-trust-policy.json",
        "InstanceRole": "ec2-trust-policy.json",
    }
    assert set(roles) == set(embedded)
    for name, role in roles.items():
        properties = role["Properties"]
        (policy,) = properties["Policies"]
        assert unsub(policy["PolicyDocument"]) == load(IAM / embedded[name]), name
        assert unsub(properties["AssumeRolePolicyDocument"]) == load(IAM / trust[name]), name
    (airflow,) = resources(template, "AWS::IAM::ManagedPolicy").values()
    assert unsub(airflow["Properties"]["PolicyDocument"]) == load(IAM / "airflow-policy.json")


def test_template_names_match_the_policies(template):
    """The role names the Airflow policy may pass are the ones the template creates."""
    names = {
        k: unsub(v["Properties"]["RoleName"])
        for k, v in resources(template, "AWS::IAM::Role").items()
    }
    assert names == {
        "TaskRole": "${Name}-render-task",
        "TaskExecutionRole": "${Name}-render-execution",
        "InstanceRole": "${Name}-render-instance",
    }
    (cluster,) = resources(template, "AWS::ECS::Cluster").values()
    assert cluster["Properties"]["ClusterName"] == {"Ref": "Name"}
    (task,) = resources(template, "AWS::ECS::TaskDefinition").values()
    assert unsub(task["Properties"]["Family"]) == "${Name}-render"
    (log_group,) = resources(template, "AWS::Logs::LogGroup").values()
    assert log_group["Properties"]["LogGroupName"] == {"Ref": "LogGroupName"}
    (repository,) = resources(template, "AWS::ECR::Repository").values()
    assert repository["Properties"]["RepositoryName"] == {"Ref": "EcrRepositoryName"}
    placeholders = set(re.findall(r"\$\{([^}]+)\}", " ".join(p.read_text() for p in POLICIES)))
    for placeholder in placeholders:
        assert placeholder.startswith("AWS::") or placeholder in template["Parameters"], placeholder


def test_the_bucket_is_private_and_encrypted(template):
    (bucket,) = resources(template, "AWS::S3::Bucket").values()
    properties = bucket["Properties"]
    assert properties["BucketName"] == {"Ref": "BucketName"}
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert bucket["DeletionPolicy"] == "Retain"
    (policy,) = resources(template, "AWS::S3::BucketPolicy").values()
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }


def test_the_fargate_task_definition(template):
    (task,) = resources(template, "AWS::ECS::TaskDefinition").values()
    properties = task["Properties"]
    assert properties["RequiresCompatibilities"] == ["FARGATE"]
    assert properties["NetworkMode"] == "awsvpc"
    assert properties["TaskRoleArn"] == {"Fn::GetAtt": ["TaskRole", "Arn"]}
    assert properties["ExecutionRoleArn"] == {"Fn::GetAtt": ["TaskExecutionRole", "Arn"]}
    (container,) = properties["ContainerDefinitions"]
    assert container["Name"] == remote.CONTAINER_NAME
    assert container["Image"] == {"Ref": "ImageUri"}
    assert "Environment" not in container and "Secrets" not in container
    logs = container["LogConfiguration"]
    assert logs["LogDriver"] == "awslogs"
    assert logs["Options"]["awslogs-group"] == {"Ref": "LogGroup"}
    assert (
        logs["Options"]["awslogs-stream-prefix"] == template["Outputs"]["LogStreamPrefix"]["Value"]
    )
    assert container["LinuxParameters"]["InitProcessEnabled"] is True


def test_the_security_group_has_no_ingress(template):
    (group,) = resources(template, "AWS::EC2::SecurityGroup").values()
    assert "SecurityGroupIngress" not in group["Properties"]
    (egress,) = group["Properties"]["SecurityGroupEgress"]
    assert (egress["FromPort"], egress["ToPort"]) == (443, 443)
    assert not resources(template, "AWS::EC2::SecurityGroupIngress")


def test_parameters_and_outputs_for_the_dag(template):
    for name in ("ImageUri", "VpcId", "SubnetIds", "BucketName"):
        assert name in template["Parameters"], name
    assert template["Parameters"]["SubnetIds"]["Type"] == "List<AWS::EC2::Subnet::Id>"
    for name in (
        "Region",
        "BucketName",
        "ClusterName",
        "TaskDefinitionFamily",
        "ContainerName",
        "LogGroupName",
        "LogStreamPrefix",
        "SubnetIds",
        "SecurityGroupId",
        "InstanceProfileName",
        "RepositoryUri",
        "ImageUri",
        "AirflowPolicyArn",
    ):
        assert name in template["Outputs"], name
    assert template["Outputs"]["ContainerName"]["Value"] == remote.CONTAINER_NAME


def test_airflow_reads_only_collection_2_of_the_usgs_archive():
    """Landing reads usgs-landsat (requester pays) with GetObject only, Collection 2 only."""
    by_sid = {s["Sid"]: s for s in statements(IAM / "airflow-policy.json")}
    archive = [
        (s["Sid"], s["Action"], r)
        for s in by_sid.values()
        for r in as_list(s["Resource"])
        if "usgs-landsat" in r
    ]
    assert archive == [
        (
            "ReadLandsatCollection2FromTheRequesterPaysArchive",
            "s3:GetObject",
            "arn:${AWS::Partition}:s3:::usgs-landsat/collection02/*",
        )
    ]
