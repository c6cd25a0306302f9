"""What the remote render backends run: container commands, ECS overrides, EC2 user data.

Pure helpers for the orchestration side (the Airflow DAG's ``ecs`` and ``ec2`` backends); this
module imports neither Airflow nor boto3 and makes no AWS call of its own.

The container contract
----------------------
The render image's ``ENTRYPOINT`` is ``["landsat-ops"]``. A job is described by one full command
line, the one a person would type and the one the contract test runs outside a container::

    landsat-ops render s3://BUCKET/landing/ID/ --out s3://BUCKET/published/PPP/RRR/DATE/ [options]

(:func:`render_command`). Inside the container the leading ``landsat-ops`` is the entrypoint,
so the container's *arguments* are the rest (:func:`container_args`): ECS container overrides
cannot replace an entrypoint, and ``docker run IMAGE ARGS`` appends to it. Other tools in the
image run through ``landsat-ops sync-run ... -- TOOL ARGS`` (see :mod:`landsat_ops.syncrun`).

Configuration reaches the container only as arguments or ``LANDSAT_OPS_*`` environment
variables; credentials never do (:data:`CREDENTIAL_VARIABLES` are refused): the ECS task role or
the EC2 instance profile supplies them.

Example::

    command = render_command("s3://b/landing/ID/", "s3://b/published/226/010/2024-07-14/",
                             percentiles=(1, 99))
    overrides = ecs_overrides(command)                 # EcsRunTaskOperator(overrides=...)
    user_data = ec2_user_data(IMAGE, command, region="eu-west-1", timeout_minutes=60,
                              log_group="/landsat-ops/render")
    config = ec2_instance_config(instance_profile="landsat-ops-render-instance",
                                 subnet_id="subnet-1", security_group_ids=["sg-1"],
                                 user_data=user_data)  # EC2CreateInstanceOperator(config=...)
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "CONTAINER_NAME",
    "CREDENTIAL_VARIABLES",
    "ENTRYPOINT",
    "SETUP_MINUTES",
    "WORKER_TAG",
    "container_args",
    "ec2_instance_config",
    "ec2_user_data",
    "ecr_registry",
    "ecs_overrides",
    "render_command",
]

ENTRYPOINT = "landsat-ops"
"""The image's ENTRYPOINT and the project's console script."""
CONTAINER_NAME = "landsat-ops"
"""The container's name in the ECS task definition (deploy/cloudformation.yaml)."""
CREDENTIAL_VARIABLES = frozenset(
    {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}
)
"""Environment variables that would carry credentials into a container: always refused."""
SETUP_MINUTES = 15
"""Minutes the EC2 safety net allows on top of the job timeout (boot, docker install, pull)."""
WORKER_TAG = ("landsat-ops:role", "render-worker")
"""The tag every render instance carries; deploy/iam/airflow-policy.json keys on it."""
MAX_USER_DATA = 16 * 1024  # EC2's limit for user data before base64 encoding

_ECR = re.compile(
    r"^(?P<registry>\d{12}\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)"
    r"\.amazonaws\.com(?:\.cn)?)/"
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# -- the command ----------------------------------------------------------------------------
def render_command(
    scene_uri: str,
    out_uri: str,
    *,
    products: Iterable[str] | str | None = None,
    percentiles: Sequence[float] | None = None,
    ranges: Sequence[Sequence[float]] | str | None = None,
    preview_size: int | None = None,
    polygons: Sequence | str | None = None,
    skip_outside: bool | None = None,
) -> list[str]:
    """The full command line that renders one scene: ``["landsat-ops", "render", ...]``.

    Options left as ``None`` are omitted, so the container's defaults (or its ``LANDSAT_OPS_*``
    environment) apply. Values are validated here, before anything is launched, with the same
    rules as the CLI.

    Parameters
    ----------
    scene_uri, out_uri
        The scene prefix (``s3://BUCKET/landing/ID/``) and the destination prefix
        (``s3://BUCKET/published/PPP/RRR/DATE/``); local folders work too.
    products
        Product names (or one comma-separated string), a subset of truecolor, falsecolor,
        ndvi, histograms.
    percentiles
        ``(low, high)`` with ``0 <= low < high <= 100``.
    ranges
        Three ``(low, high)`` DN ranges for R, G, B, or the string ``R0:R1,G0:G1,B0:B1``.
    preview_size
        Longest side of the PNG previews, at least 16.
    polygons, skip_outside
        The area's named polygons whose extent the ``extent`` product reports (GeoJSON text
        or :class:`~landsat_ops.extent.polygons.NamedPolygon` s; passed inline as
        ``--polygons '<GeoJSON>'``, so the container needs no file), and whether a polygon off
        the scene is left out (an area of several path/rows) rather than an error.

    Returns
    -------
    list of str
        For example ``["landsat-ops", "render", "s3://b/landing/ID/", "--out",
        "s3://b/published/226/010/2024-07-14/", "--percentiles", "1,99"]``.
    """
    from landsat_ops.errors import OptionError
    from landsat_ops.products import RenderOptions

    for name, uri in (("scene", scene_uri), ("out", out_uri)):
        if not isinstance(uri, str) or not uri.strip():
            raise OptionError(f"{name}: expected a folder or s3:// URI, got {uri!r}")
    given = {
        name: value
        for name, value in (
            ("products", products),
            ("percentiles", percentiles),
            ("ranges", ranges),
            ("preview_size", preview_size),
            ("polygons", polygons or None),
            ("skip_outside", skip_outside),
        )
        if value is not None
    }
    options = RenderOptions(**given)  # validated once, by the render's own rules
    return [ENTRYPOINT, "render", scene_uri, "--out", out_uri, *options.cli_args(given)]


def container_args(command: Sequence[str]) -> list[str]:
    """The container's arguments for a full command line: ``command`` less the entrypoint.

    Raises ValueError when ``command`` does not start with ``landsat-ops`` (wrap other tools
    in ``landsat-ops sync-run ... -- TOOL ARGS``) or has nothing after it.
    """
    command = [str(part) for part in command]
    if not command or command[0] != ENTRYPOINT:
        raise ValueError(
            f"expected a command starting with {ENTRYPOINT!r} (the image's ENTRYPOINT), got "
            f"{command[:1]}; run other tools as [{ENTRYPOINT!r}, 'sync-run', ..., '--', TOOL]"
        )
    if len(command) == 1:
        raise ValueError(f"expected a {ENTRYPOINT} subcommand after {ENTRYPOINT!r}")
    return command[1:]


def _check_env(env: Mapping[str, str] | None) -> dict[str, str]:
    out = {}
    for name, value in (env or {}).items():
        if not _ENV_NAME.match(name):
            raise ValueError(f"{name!r}: not a valid environment variable name")
        if name.upper() in CREDENTIAL_VARIABLES:
            raise ValueError(
                f"{name}: credentials never go into the container environment (the ECS task "
                "role or the EC2 instance profile provides them)"
            )
        out[name] = str(value)
    return out


# -- ECS ------------------------------------------------------------------------------------
def ecs_overrides(
    command: Sequence[str],
    container_name: str = CONTAINER_NAME,
    *,
    env: Mapping[str, str] | None = None,
) -> dict:
    """The ``overrides`` of an ECS ``run_task`` call (``EcsRunTaskOperator(overrides=...)``).

    Parameters
    ----------
    command
        The full command line, e.g. from :func:`render_command`; the container receives it
        without the leading ``landsat-ops`` (its ENTRYPOINT).
    container_name
        The container's name in the task definition.
    env
        Extra environment variables (``LANDSAT_OPS_*`` settings); credentials are refused.

    Returns
    -------
    dict
        ``{"containerOverrides": [{"name": ..., "command": [...], "environment": [...]}]}``;
        ``environment`` only when ``env`` is given.
    """
    override: dict = {"name": container_name, "command": container_args(command)}
    variables = _check_env(env)
    if variables:
        override["environment"] = [{"name": k, "value": v} for k, v in sorted(variables.items())]
    return {"containerOverrides": [override]}


# -- EC2 ------------------------------------------------------------------------------------
def ecr_registry(image: str) -> tuple[str, str] | None:
    """``(registry host, region)`` of an Amazon ECR image URI, or None for any other image."""
    match = _ECR.match(image)
    return (match["registry"], match["region"]) if match else None


_USER_DATA = r"""#!/bin/bash
# landsat-ops render worker, generated by landsat_pipeline.remote.ec2_user_data.
# Pulls the image, runs one job in it, records its exit code, and ALWAYS powers the instance
# off: at the end of the job, on any error, and at the latest after the hard timeout. The
# instance is launched with InstanceInitiatedShutdownBehavior=terminate, so power-off
# terminates it. Credentials come from the instance profile; none are passed to the container.
# Output goes to /var/log/cloud-init-output.log (and, with a log group, to CloudWatch Logs).
set -uo pipefail

IMAGE=@IMAGE@
REGION=@REGION@
TIMEOUT_MINUTES=@TIMEOUT_MINUTES@
SETUP_MINUTES=@SETUP_MINUTES@
STATUS_URI=@STATUS_URI@
LOG_GROUP=@LOG_GROUP@
LOG_STREAM_PREFIX=@LOG_STREAM_PREFIX@
ECR_REGISTRY=@ECR_REGISTRY@
ECR_REGION=@ECR_REGION@
JOB_NAME=landsat-ops-job
EXIT_CODE=1  # reported when the script stops before the job ran
INSTANCE_ID=unknown

# 1. The safety net, armed before anything else can fail or hang.
shutdown -h "+$((TIMEOUT_MINUTES + SETUP_MINUTES))" "landsat-ops: hard timeout"

finish() {
    trap - EXIT
    docker rm -f "$JOB_NAME" >/dev/null 2>&1 || true
    if [ -n "$STATUS_URI" ]; then
        printf '{"exit_code": %d, "instance_id": "%s", "image": "%s"}\n' \
            "$EXIT_CODE" "$INSTANCE_ID" "$IMAGE" \
            | aws s3 cp --region "$REGION" --content-type application/json - "$STATUS_URI" \
            || echo "landsat-ops: could not write $STATUS_URI" >&2
    fi
    echo "landsat-ops: job exit code $EXIT_CODE; shutting down"
    shutdown -h now
}
trap finish EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "landsat-ops: $*" >&2
    exit 1
}

# 2. Who we are (IMDSv2), for the log stream and the status record.
if TOKEN=$(curl -sf -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' \
        http://169.254.169.254/latest/api/token); then
    INSTANCE_ID=$(curl -sf -m 5 -H "X-aws-ec2-metadata-token: $TOKEN" \
        http://169.254.169.254/latest/meta-data/instance-id) || INSTANCE_ID=unknown
fi
echo "landsat-ops: instance $INSTANCE_ID, image $IMAGE, timeout ${TIMEOUT_MINUTES}m"

# 3. A docker daemon (preinstalled on ECS-optimized AMIs; installed on Amazon Linux 2023), and
#    the AWS CLI when the image is in ECR or a status is to be written.
install_docker() {
    if command -v dnf >/dev/null 2>&1; then
        dnf install -y docker
    elif command -v yum >/dev/null 2>&1; then
        yum install -y docker
    elif command -v apt-get >/dev/null 2>&1; then
        apt-get update && apt-get install -y docker.io
    else
        return 1
    fi && systemctl start docker
}
install_aws_cli() {
    if command -v dnf >/dev/null 2>&1; then
        dnf install -y awscli-2
    elif command -v yum >/dev/null 2>&1; then
        yum install -y awscli
    elif command -v apt-get >/dev/null 2>&1; then
        apt-get update && apt-get install -y awscli
    else
        return 1
    fi
}
command -v docker >/dev/null 2>&1 || install_docker || fail "cannot install docker"
if [ -n "$ECR_REGISTRY$STATUS_URI" ] && ! command -v aws >/dev/null 2>&1; then
    install_aws_cli || fail "cannot install the AWS CLI"
fi
for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 2
done
docker info >/dev/null 2>&1 || fail "the docker daemon did not start"

# 4. The image (an ECR login first when it lives in ECR).
if [ -n "$ECR_REGISTRY" ]; then
    aws ecr get-login-password --region "$ECR_REGION" \
        | docker login --username AWS --password-stdin "$ECR_REGISTRY" \
        || fail "cannot log in to $ECR_REGISTRY"
fi
docker pull "$IMAGE" || fail "cannot pull $IMAGE"

# 5. The job, bounded by the timeout (exit code 124 when it ran out of time).
LOG_OPTS=()
if [ -n "$LOG_GROUP" ]; then
    LOG_OPTS=(--log-driver awslogs --log-opt "awslogs-region=$REGION"
        --log-opt "awslogs-group=$LOG_GROUP"
        --log-opt "awslogs-stream=$LOG_STREAM_PREFIX/$INSTANCE_ID")
fi
timeout --kill-after=60 "${TIMEOUT_MINUTES}m" \
    docker run --rm --init --name "$JOB_NAME" ${LOG_OPTS[@]+"${LOG_OPTS[@]}"} \
    @DOCKER_RUN_ARGS@
EXIT_CODE=$?
exit "$EXIT_CODE"
"""


def ec2_user_data(
    image: str,
    command: Sequence[str],
    *,
    region: str,
    timeout_minutes: int,
    log_group: str | None = None,
    log_stream_prefix: str = "ec2",
    status_uri: str | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """A bash user-data script that runs ``command`` in ``image`` once, then powers off.

    The script arms ``shutdown -h +N`` first (N = ``timeout_minutes`` + :data:`SETUP_MINUTES`),
    installs and starts docker when missing, logs in to ECR when ``image`` is an ECR image
    (``aws ecr get-login-password`` with the instance profile), pulls, runs
    ``docker run --rm --init IMAGE ARGS`` under ``timeout`` (exit code 124 on a timeout), writes
    ``{"exit_code": N, "instance_id": ..., "image": ...}`` to ``status_uri``, and on every exit
    path (trap EXIT) calls ``shutdown -h now``. Launch the instance with
    ``InstanceInitiatedShutdownBehavior="terminate"`` (see :func:`ec2_instance_config`) so that
    power-off terminates it. Needs bash and curl on the AMI; docker and the AWS CLI are
    installed with dnf, yum or apt-get when missing (Amazon Linux 2023 is the tested target).

    Parameters
    ----------
    image
        The image URI (``ACCOUNT.dkr.ecr.REGION.amazonaws.com/landsat-ops-render:TAG``).
    command
        The full command line (``["landsat-ops", "render", ...]``); the container gets it
        without the entrypoint.
    region
        The instance's region (CloudWatch Logs, the status upload).
    timeout_minutes
        The job's hard limit, 1 to 2880 minutes.
    log_group
        A CloudWatch Logs group: the container's output goes to the stream
        ``<log_stream_prefix>/<instance id>`` through docker's awslogs driver.
    status_uri
        ``s3://...`` object receiving the exit code record; it must be writable by the
        instance profile and is best kept out of the product folder (for example
        ``s3://BUCKET/staging/_ec2-status/<ID>.json``).
    env
        Extra environment variables for the container; credentials are refused.

    Returns
    -------
    str
        The script, at most 16 KiB (EC2's limit); pass it as ``UserData`` unencoded (boto3
        base64-encodes it).
    """
    args = container_args(command)
    variables = _check_env(env)
    if not isinstance(timeout_minutes, int) or isinstance(timeout_minutes, bool):
        raise ValueError(f"timeout_minutes: expected an integer, got {timeout_minutes!r}")
    if not 1 <= timeout_minutes <= 2880:
        raise ValueError(f"timeout_minutes: expected 1 to 2880, got {timeout_minutes}")
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region or ""):
        raise ValueError(f"region: expected an AWS region such as eu-west-1, got {region!r}")
    if not image or any(c.isspace() for c in image):
        raise ValueError(f"image: expected an image URI, got {image!r}")
    if status_uri is not None and not status_uri.startswith("s3://"):
        raise ValueError(f"status_uri: expected an s3:// URI, got {status_uri!r}")
    if not re.fullmatch(r"[A-Za-z0-9_.\-/]+", log_stream_prefix):
        raise ValueError(f"log_stream_prefix: unexpected characters in {log_stream_prefix!r}")
    registry, registry_region = ecr_registry(image) or ("", "")

    env_args = [f"-e {shlex.quote(f'{k}={v}')}" for k, v in sorted(variables.items())]
    run_args = " ".join([*env_args, '"$IMAGE"', *(shlex.quote(a) for a in args)])
    values = {
        "@IMAGE@": shlex.quote(image),
        "@REGION@": shlex.quote(region),
        "@TIMEOUT_MINUTES@": str(timeout_minutes),
        "@SETUP_MINUTES@": str(SETUP_MINUTES),
        "@STATUS_URI@": shlex.quote(status_uri or ""),
        "@LOG_GROUP@": shlex.quote(log_group or ""),
        "@LOG_STREAM_PREFIX@": shlex.quote(log_stream_prefix),
        "@ECR_REGISTRY@": shlex.quote(registry),
        "@ECR_REGION@": shlex.quote(registry_region),
        "@DOCKER_RUN_ARGS@": run_args,
    }
    script = re.sub("|".join(re.escape(k) for k in values), lambda m: values[m[0]], _USER_DATA)
    if len(script.encode()) > MAX_USER_DATA:
        raise ValueError(
            f"user data is {len(script.encode())} bytes, over EC2's {MAX_USER_DATA} "
            "(shorten the command or move settings into the image)"
        )
    return script


def ec2_instance_config(
    *,
    instance_profile: str,
    subnet_id: str,
    security_group_ids: Sequence[str],
    user_data: str,
    instance_type: str = "m6i.xlarge",
    volume_size_gib: int = 50,
    root_device_name: str = "/dev/xvda",
    tags: Mapping[str, str] | None = None,
) -> dict:
    """``run_instances`` arguments (less ImageId/MinCount/MaxCount) for one render instance.

    For ``EC2CreateInstanceOperator(image_id=AMI, config=...)``. Sets what makes the instance
    ephemeral and safe: ``InstanceInitiatedShutdownBehavior="terminate"``, IMDSv2 required, an
    encrypted gp3 root volume deleted with the instance, and the :data:`WORKER_TAG` (plus
    ``tags``) on the instance and its volume.

    Parameters
    ----------
    instance_profile
        Name (or ARN) of the render instance profile (deploy/cloudformation.yaml).
    subnet_id, security_group_ids
        Where the instance runs; the subnet needs a route to S3, ECR and CloudWatch Logs.
    user_data
        The script from :func:`ec2_user_data`.
    volume_size_gib, root_device_name
        Size of the root volume (scratch space for the job) and the AMI's root device name
        (``/dev/xvda`` on Amazon Linux).
    tags
        More tags for the instance and its volume.
    """
    profile = (
        {"Arn": instance_profile}
        if instance_profile.startswith("arn:")
        else {"Name": instance_profile}
    )
    tag_list = [{"Key": WORKER_TAG[0], "Value": WORKER_TAG[1]}]
    tag_list += [{"Key": k, "Value": str(v)} for k, v in sorted((tags or {}).items())]
    return {
        "InstanceType": instance_type,
        "IamInstanceProfile": profile,
        "SubnetId": subnet_id,
        "SecurityGroupIds": list(security_group_ids),
        "UserData": user_data,
        "InstanceInitiatedShutdownBehavior": "terminate",
        "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
        "BlockDeviceMappings": [
            {
                "DeviceName": root_device_name,
                "Ebs": {
                    "VolumeSize": volume_size_gib,
                    "VolumeType": "gp3",
                    "Encrypted": True,
                    "DeleteOnTermination": True,
                },
            }
        ],
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": tag_list},
            {"ResourceType": "volume", "Tags": tag_list},
        ],
    }
