"""landsat_pipeline.remote: container commands, ECS overrides, EC2 user data, product-set checks."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from landsat_ops.cli.render import render as render_command_cli
from landsat_ops.errors import OptionError
from landsat_ops.products import PRODUCTS, RenderOptions, product_files
from landsat_ops.storage import open_store
from landsat_pipeline import remote
from landsat_pipeline.publishing import product_set_problem

REPO = Path(__file__).resolve().parents[2]
SCENE = "s3://bucket/landing/LC80200392015216LGN00/"
OUT = "s3://bucket/published/020/039/2015-08-04/"
STATUS_URI = "s3://bucket/staging/_ec2-status/LC80200392015216LGN00.json"
ECR_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/landsat-ops-render:0.1.0"
SID = "LC80200392015216LGN00"


# -- render_command ---------------------------------------------------------------------------
def test_render_command_defaults_leave_options_to_the_container():
    assert remote.render_command(SCENE, OUT) == ["landsat-ops", "render", SCENE, "--out", OUT]


def test_render_command_with_every_option():
    command = remote.render_command(
        SCENE,
        OUT,
        products=["ndvi", "truecolor"],
        percentiles=(1, 99.5),
        ranges=[(5900, 11000), (6200, 11000), (7600, 11000)],
        preview_size=512,
    )
    assert command == [
        "landsat-ops",
        "render",
        SCENE,
        "--out",
        OUT,
        "--products",
        "truecolor,ndvi",
        "--percentiles",
        "1,99.5",
        "--ranges",
        "5900:11000,6200:11000,7600:11000",
        "--preview-size",
        "512",
    ]


def test_render_command_is_parsed_by_the_cli_as_intended():
    command = remote.render_command(
        SCENE, OUT, products="histograms,falsecolor", percentiles=(2, 98), ranges="1:2,3:4,5:6"
    )
    ctx = render_command_cli.make_context("render", command[2:])
    assert ctx.params["scene"] == SCENE
    assert ctx.params["out"] == OUT
    assert ctx.params["products"] == ("falsecolor", "histograms")
    assert ctx.params["percentiles"] == (2.0, 98.0)
    assert ctx.params["ranges"] == [(1.0, 2.0), (3.0, 4.0), (5.0, 6.0)]


def test_render_command_carries_the_areas_polygons_inline():
    from landsat_ops.extent.polygons import read_polygons

    polygons = read_polygons(REPO / "dags" / "config" / "polygons" / "scoresby_sund.geojson")
    command = remote.render_command(SCENE, OUT, polygons=polygons, skip_outside=True)
    assert command[5] == "--polygons" and command[7:] == ["--skip-outside"]
    ctx = render_command_cli.make_context("render", command[2:])
    assert ctx.params["polygons"] == command[6] and ctx.params["skip_outside"] is True
    assert RenderOptions(polygons=ctx.params["polygons"]).polygons == tuple(polygons)
    assert remote.render_command(SCENE, OUT, polygons=()) == remote.render_command(SCENE, OUT)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        pytest.param({"products": "truecolour"}, "truecolour", id="unknown-product"),
        pytest.param({"products": []}, "none given", id="no-products"),
        pytest.param({"percentiles": (98, 2)}, "percentiles", id="percentiles-reversed"),
        pytest.param({"percentiles": (0, 101)}, "percentiles", id="percentiles-over-100"),
        pytest.param({"ranges": [(1, 2), (3, 4)]}, "three ranges", id="two-ranges"),
        pytest.param({"ranges": "9:1,1:2,1:2"}, "R range", id="range-reversed"),
        pytest.param({"preview_size": 8}, "at least 16", id="preview-too-small"),
        pytest.param({"preview_size": 256.0}, "integer", id="preview-float"),
    ],
)
def test_render_command_rejects_bad_options(kwargs, fragment):
    with pytest.raises(OptionError, match=fragment):
        remote.render_command(SCENE, OUT, **kwargs)


@pytest.mark.parametrize("scene, out", [("", OUT), (SCENE, None)])
def test_render_command_needs_both_uris(scene, out):
    with pytest.raises(OptionError):
        remote.render_command(scene, out)


# -- container_args / ecs_overrides ---------------------------------------------------------
def test_container_args_drop_the_entrypoint():
    assert remote.container_args(["landsat-ops", "render", "a", "--out", "b"]) == [
        "render",
        "a",
        "--out",
        "b",
    ]


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["render", "a", "--out", "b"], id="no-entrypoint"),
        pytest.param(["gdalinfo", "x.tif"], id="other-tool"),
        pytest.param(["landsat-ops"], id="entrypoint-alone"),
        pytest.param([], id="empty"),
    ],
)
def test_container_args_reject_commands_the_image_cannot_run(command):
    with pytest.raises(ValueError):
        remote.container_args(command)


def test_ecs_overrides_carry_the_command_without_the_entrypoint():
    command = remote.render_command(SCENE, OUT, percentiles=(1, 99))
    assert remote.ecs_overrides(command) == {
        "containerOverrides": [
            {
                "name": "landsat-ops",
                "command": ["render", SCENE, "--out", OUT, "--percentiles", "1,99"],
            }
        ]
    }


def test_ecs_overrides_with_environment_and_container_name():
    command = remote.render_command(SCENE, OUT)
    overrides = remote.ecs_overrides(
        command, "renderer", env={"LANDSAT_OPS_PREVIEW_SIZE": 1024, "LANDSAT_OPS_A": "x"}
    )
    assert overrides["containerOverrides"][0]["name"] == "renderer"
    assert overrides["containerOverrides"][0]["environment"] == [
        {"name": "LANDSAT_OPS_A", "value": "x"},
        {"name": "LANDSAT_OPS_PREVIEW_SIZE", "value": "1024"},
    ]


@pytest.mark.parametrize(
    "name", ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "aws_session_token"]
)
def test_credentials_never_go_into_the_container(name):
    command = remote.render_command(SCENE, OUT)
    with pytest.raises(ValueError, match="credentials"):
        remote.ecs_overrides(command, env={name: "x"})
    with pytest.raises(ValueError, match="credentials"):
        remote.ec2_user_data(
            ECR_IMAGE, command, region="eu-west-1", timeout_minutes=5, env={name: "x"}
        )


def test_bad_environment_names_are_refused():
    with pytest.raises(ValueError, match="not a valid"):
        remote.ecs_overrides(["landsat-ops", "--help"], env={"A B": "x"})


# -- ECR --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "image, expected",
    [
        pytest.param(
            ECR_IMAGE,
            ("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "eu-west-1"),
            id="ecr",
        ),
        pytest.param(
            "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/team/render@sha256:" + "a" * 64,
            ("123456789012.dkr.ecr.us-gov-west-1.amazonaws.com", "us-gov-west-1"),
            id="ecr-namespaced-digest",
        ),
        pytest.param(
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/render:1",
            ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "cn-north-1"),
            id="ecr-china",
        ),
        pytest.param("ghcr.io/org/landsat-ops-render:0.1.0", None, id="ghcr"),
        pytest.param("landsat-ops-render:0.1.0", None, id="docker-hub"),
        pytest.param("public.ecr.aws/org/render:1", None, id="ecr-public"),
    ],
)
def test_ecr_registry(image, expected):
    assert remote.ecr_registry(image) == expected


# -- EC2 user data: static ------------------------------------------------------------------
def _user_data(**kwargs) -> str:
    defaults = {"region": "eu-west-1", "timeout_minutes": 60}
    command = kwargs.pop("command", remote.render_command(SCENE, OUT))
    image = kwargs.pop("image", ECR_IMAGE)
    return remote.ec2_user_data(image, command, **{**defaults, **kwargs})


def test_user_data_is_valid_bash_and_small():
    script = _user_data(log_group="/landsat-ops/render", status_uri=STATUS_URI)
    assert script.startswith("#!/bin/bash\n")
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)
    assert len(script.encode()) < 16 * 1024
    assert "@" + "IMAGE@" not in script and "@DOCKER_RUN_ARGS@" not in script


def test_user_data_always_shuts_down_and_has_a_hard_timeout():
    script = _user_data(timeout_minutes=45)
    lines = script.splitlines()
    safety = next(i for i, line in enumerate(lines) if line.startswith("shutdown -h"))
    first_action = next(
        i for i, line in enumerate(lines) if line.startswith(("curl", "docker", "if", "command"))
    )
    assert safety < first_action, "the shutdown safety net must be armed before anything runs"
    assert "TIMEOUT_MINUTES=45" in script
    assert "trap finish EXIT" in script
    assert "shutdown -h now" in script
    assert 'timeout --kill-after=60 "${TIMEOUT_MINUTES}m"' in script
    assert "/sbin/" not in script  # everything through PATH


def test_user_data_logs_in_to_ecr_only_for_ecr_images():
    assert "ECR_REGISTRY=123456789012.dkr.ecr.eu-west-1.amazonaws.com" in _user_data()
    other = _user_data(image="ghcr.io/org/landsat-ops-render:0.1.0")
    assert "ECR_REGISTRY=''" in other


def test_user_data_passes_no_credentials():
    script = _user_data(env={"LANDSAT_OPS_PERCENTILES": "1,99"}).upper()
    for word in ("AWS_ACCESS_KEY", "AWS_SECRET", "AWS_SESSION_TOKEN", "AKIA"):
        assert word not in script


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        pytest.param({"timeout_minutes": 0}, "timeout_minutes", id="timeout-zero"),
        pytest.param({"timeout_minutes": 3000}, "timeout_minutes", id="timeout-too-long"),
        pytest.param({"timeout_minutes": 1.5}, "integer", id="timeout-float"),
        pytest.param({"region": "Europe"}, "region", id="bad-region"),
        pytest.param({"image": "a b"}, "image", id="bad-image"),
        pytest.param({"status_uri": "/tmp/x"}, "status_uri", id="status-not-s3"),
        pytest.param({"log_stream_prefix": "a b"}, "log_stream_prefix", id="bad-prefix"),
        pytest.param({"command": ["render", "x"]}, "ENTRYPOINT", id="no-entrypoint"),
        pytest.param({"command": ["landsat-ops", "x" * 20000]}, "16384", id="too-big"),
    ],
)
def test_user_data_rejects_bad_arguments(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        _user_data(**kwargs)


# -- EC2 user data: behaviour, with every outside command stubbed ----------------------------
# One write per call (a whole line to an O_APPEND file): the two ends of a pipe, e.g.
# `aws ecr get-login-password | docker login`, run at once and must not interleave.
STUB = """#!/bin/bash
line="$(basename "$0")$(printf ' %q' "$@")"
printf '%s\\n' "$line" >> "$STUB_LOG"
"""
STUBS = {
    # IMDSv2: a token, then the instance ID.
    "curl": 'case "$*" in *api/token*) echo token;; *instance-id*) echo i-0123456789;; esac',
    "docker": (
        'case "$1" in\n  run) exit ${DOCKER_RUN_EXIT:-0};;\n  login) cat > /dev/null;;\nesac'
    ),
    "aws": 'case "$1 $2" in "s3 cp") cat > "$STATUS_FILE";; "ecr get-login-password") '
    "echo token;; esac",
    "shutdown": "",
    "systemctl": "",
    "dnf": "",
    "yum": "",
    "apt-get": "",
    # timeout: record, then run the command (the real limit is covered by the static test).
    "timeout": 'while [ "$1" != docker ]; do shift; done; "$@"',
    "sleep": "",
}


@pytest.fixture
def stubbed(tmp_path):
    """Run a user-data script with every outside command replaced by a recording stub."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in STUBS.items():
        path = bin_dir / name
        path.write_text(STUB + body + "\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    log, status = tmp_path / "calls.log", tmp_path / "status.json"

    def run(script: str, **env) -> tuple[int, list[str], str]:
        # The stub folder comes first on PATH, so the real shutdown can never be reached.
        path = os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
        assert shutil.which("shutdown", path=path) == str(bin_dir / "shutdown")
        result = subprocess.run(
            ["bash", "-c", script],
            env={
                "PATH": path,
                "STUB_LOG": str(log),
                "STATUS_FILE": str(status),
                **{k: str(v) for k, v in env.items()},
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        calls = log.read_text().splitlines() if log.exists() else []
        log.unlink(missing_ok=True)
        text = status.read_text() if status.exists() else ""
        status.unlink(missing_ok=True)
        return result.returncode, calls, text

    return run


def test_user_data_runs_the_job_records_success_and_shuts_down(stubbed):
    command = remote.render_command(SCENE, OUT, percentiles=(1, 99))
    script = _user_data(
        command=command,
        timeout_minutes=30,
        log_group="/landsat-ops/render",
        status_uri=STATUS_URI,
        env={"LANDSAT_OPS_PREVIEW_SIZE": "256"},
    )
    code, calls, status = stubbed(script)
    assert code == 0
    assert shlex.split(calls[0]) == ["shutdown", "-h", "+45", "landsat-ops: hard timeout"]
    assert calls[-1] == "shutdown -h now"
    assert (
        "aws ecr get-login-password --region eu-west-1" in calls
        and "docker login --username AWS --password-stdin "
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
        in calls
    )
    assert f"docker pull {ECR_IMAGE}" in calls
    run = next(c for c in calls if c.startswith("docker run"))
    assert shlex.split(run) == [
        "docker",
        "run",
        "--rm",
        "--init",
        "--name",
        "landsat-ops-job",
        "--log-driver",
        "awslogs",
        "--log-opt",
        "awslogs-region=eu-west-1",
        "--log-opt",
        "awslogs-group=/landsat-ops/render",
        "--log-opt",
        "awslogs-stream=ec2/i-0123456789",
        "-e",
        "LANDSAT_OPS_PREVIEW_SIZE=256",
        ECR_IMAGE,
        *remote.container_args(command),
    ]
    assert json.loads(status) == {
        "exit_code": 0,
        "instance_id": "i-0123456789",
        "image": ECR_IMAGE,
    }


def test_user_data_records_a_failed_job_and_still_shuts_down(stubbed):
    script = _user_data(status_uri=STATUS_URI, image="ghcr.io/org/render:1")
    code, calls, status = stubbed(script, DOCKER_RUN_EXIT=3)
    assert code == 3
    assert json.loads(status)["exit_code"] == 3
    assert not any(c.startswith(("aws ecr", "docker login")) for c in calls)
    run = next(c for c in calls if c.startswith("docker run"))
    assert "--log-driver" not in run  # no log group given
    assert calls[-1] == "shutdown -h now"


def test_user_data_shuts_down_when_the_image_cannot_be_pulled(stubbed, tmp_path):
    (tmp_path / "bin" / "docker").write_text(
        STUB + 'case "$1" in pull) exit 1;; login) cat > /dev/null;; esac\n'
    )
    code, calls, status = stubbed(_user_data(status_uri=STATUS_URI))
    assert code == 1
    assert json.loads(status)["exit_code"] == 1
    assert not any(c.startswith("docker run") for c in calls)
    assert calls[-1] == "shutdown -h now"


def test_user_data_installs_docker_when_missing(stubbed, tmp_path):
    bin_dir = tmp_path / "bin"
    (bin_dir / "docker").rename(bin_dir / "docker.real")
    # dnf "installs" docker by putting the stub back.
    (bin_dir / "dnf").write_text(STUB + f'mv "{bin_dir}/docker.real" "{bin_dir}/docker"\n')
    code, calls, _ = stubbed(_user_data())
    assert code == 0
    assert "dnf install -y docker" in calls
    assert "systemctl start docker" in calls
    assert calls[-1] == "shutdown -h now"


def test_user_data_installs_the_aws_cli_when_missing(stubbed, tmp_path):
    bin_dir = tmp_path / "bin"
    (bin_dir / "aws").rename(bin_dir / "aws.real")
    (bin_dir / "dnf").write_text(STUB + f'mv "{bin_dir}/aws.real" "{bin_dir}/aws"\n')
    code, calls, status = stubbed(_user_data(status_uri=STATUS_URI))
    assert code == 0
    assert "dnf install -y awscli-2" in calls
    assert json.loads(status)["exit_code"] == 0


def test_user_data_needs_no_aws_cli_for_a_public_image_without_status(stubbed, tmp_path):
    (tmp_path / "bin" / "aws").unlink()
    code, calls, _ = stubbed(_user_data(image="ghcr.io/org/render:1"))
    assert code == 0
    assert not any(c.startswith(("dnf", "aws")) for c in calls)
    assert calls[-1] == "shutdown -h now"


def test_ec2_instance_config_makes_an_ephemeral_tagged_instance():
    config = remote.ec2_instance_config(
        instance_profile="landsat-ops-render-instance",
        subnet_id="subnet-1",
        security_group_ids=("sg-1",),
        user_data="#!/bin/bash\n",
        tags={"landsat-ops:scene": SID},
    )
    assert config["InstanceInitiatedShutdownBehavior"] == "terminate"
    assert config["IamInstanceProfile"] == {"Name": "landsat-ops-render-instance"}
    assert config["MetadataOptions"]["HttpTokens"] == "required"
    assert config["SecurityGroupIds"] == ["sg-1"]
    assert config["BlockDeviceMappings"][0]["Ebs"]["DeleteOnTermination"] is True
    for spec in config["TagSpecifications"]:
        assert {"Key": "landsat-ops:role", "Value": "render-worker"} in spec["Tags"]
        assert {"Key": "landsat-ops:scene", "Value": SID} in spec["Tags"]
    arn = remote.ec2_instance_config(
        instance_profile="arn:aws:iam::123456789012:instance-profile/x",
        subnet_id="s",
        security_group_ids=[],
        user_data="",
    )
    assert arn["IamInstanceProfile"] == {"Arn": "arn:aws:iam::123456789012:instance-profile/x"}


def test_ec2_config_runs_against_moto(aws_env):
    """run_instances accepts the config and the user data as they are (moto as the EC2 API)."""
    import base64

    import boto3

    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="render", Description="r", VpcId=vpc)["GroupId"]
    iam = boto3.client("iam")
    iam.create_instance_profile(InstanceProfileName="landsat-ops-render-instance")
    script = _user_data(status_uri=STATUS_URI)
    config = remote.ec2_instance_config(
        instance_profile="landsat-ops-render-instance",
        subnet_id=subnet,
        security_group_ids=[group],
        user_data=script,
    )
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, **config)[
        "Instances"
    ][0]
    iid = instance["InstanceId"]
    attribute = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")
    assert base64.b64decode(attribute["UserData"]["Value"]).decode() == script
    behaviour = ec2.describe_instance_attribute(
        InstanceId=iid, Attribute="instanceInitiatedShutdownBehavior"
    )
    assert behaviour["InstanceInitiatedShutdownBehavior"]["Value"] == "terminate"


# -- the product set a render leaves (publishing.product_set_problem) ---------------------------
# The remote launch is skipped, and an EC2 render is judged done, on this one check of the item
# the render switched (remote.products_complete of the staged layout is gone).
ITEM = f"{SID}.json"


def _published_set(store, tmp: Path, scene_id: str = SID, products=None) -> str:
    """Product files with made-up bytes, published as a render does: a version folder
    ``<ID>/<version>/`` and the scene's item ``<ID>.json`` switched to it. Returns the folder."""
    from landsat_ops.products import asset_key
    from landsat_ops.render.destination import publish_version

    tmp.mkdir(parents=True, exist_ok=True)
    assets, files = {}, []
    for name in product_files(scene_id, products)[:-1]:
        data = f"bytes of {name}".encode()
        (tmp / name).write_bytes(data)
        files.append(tmp / name)
        assets[asset_key(name, scene_id)] = {
            "href": f"./{name}",
            "file:checksum": "1220" + hashlib.sha256(data).hexdigest(),
            "file:size": len(data),
        }
    item = {"type": "Feature", "id": scene_id, "assets": assets}
    publication, _ = publish_version(store, files, item, scene_id=scene_id)
    return publication.folder


def _item(store) -> dict:
    return json.loads(store.read_bytes(ITEM))


def test_product_files():
    assert product_files("X", ["histograms", "ndvi"]) == [
        "X_ndvi.tif",
        "X_ndvi_visual.tif",
        "X_ndvi.png",
        "X_histograms.png",
        "X.json",
    ]
    # with the thumbnail, the paletted NDVI (issue 18) and the extent's classes and preview
    assert len(product_files("X")) == 12


def test_product_set_problem_on_a_local_store(tmp_path):
    store = open_store(tmp_path / "bucket" / "published/020/039/2015-08-04")
    folder = _published_set(store, tmp_path / "work")
    assert product_set_problem(store, ITEM) is None
    assert product_set_problem(store, ITEM, products=None) is None
    assert product_set_problem(store, ITEM, list(PRODUCTS)) is None  # every product
    bucket = open_store(tmp_path / "bucket")
    assert product_set_problem(bucket, f"published/020/039/2015-08-04/{ITEM}") is None
    assert "does not exist" in product_set_problem(bucket, f"published/020/039/2015-08-05/{ITEM}")
    # The item names the version folder; nothing outside it is looked at.
    assert {a["href"].rsplit("/", 1)[0] for a in _item(store)["assets"].values()} == {f"./{folder}"}


def remote_products() -> list[str]:
    return list(PRODUCTS)  # the set _published_set publishes by default


def _rewrite_item(change):
    def damage(store, folder):
        item = _item(store)
        change(item, folder)
        store.write_bytes(ITEM, json.dumps(item).encode())

    return damage


@pytest.mark.parametrize(
    "damage, problem",
    [
        pytest.param(lambda s, f: s.delete(ITEM), "does not exist", id="no-item"),
        pytest.param(
            lambda s, f: s.write_bytes(ITEM, b"{not json"), "not valid JSON", id="corrupt-item"
        ),
        pytest.param(
            lambda s, f: s.write_bytes(ITEM, b"[]"), "is not a STAC item", id="item-not-an-object"
        ),
        pytest.param(
            lambda s, f: s.delete(f"{f}/{SID}_ndvi.tif"),
            f"{SID}_ndvi.tif is missing",
            id="missing-product",
        ),
        pytest.param(
            lambda s, f: s.write_bytes(f"{f}/{SID}_ndvi.png", b"other"),
            f"{SID}_ndvi.png does not match its checksum",
            id="changed-bytes",
        ),
        pytest.param(
            _rewrite_item(
                lambda item, f: item.update(assets={"ndvi_tif": item["assets"]["ndvi_tif"]})
            ),
            "differ from",
            id="item-lists-too-little",
        ),
        pytest.param(
            _rewrite_item(lambda item, f: item["assets"]["ndvi_tif"].pop("file:checksum")),
            "asset ndvi_tif has no file:checksum",
            id="no-checksum",
        ),
        pytest.param(
            _rewrite_item(
                lambda item, f: item["assets"]["ndvi_tif"].update(href=f"./{SID}_ndvi.tif")
            ),
            "not in one version folder",
            id="asset-outside-the-version",
        ),
        pytest.param(
            _rewrite_item(
                lambda item, f: item["assets"]["ndvi_tif"].update(
                    href=f"./{SID}/{'0' * 16}/{SID}_ndvi.tif"
                )
            ),
            "not in one version folder",
            id="assets-in-two-versions",
        ),
    ],
)
def test_product_set_problem_names_what_is_wrong(tmp_path, damage, problem):
    store = open_store(tmp_path / "bucket")
    folder = _published_set(store, tmp_path / "work")
    assert product_set_problem(store, ITEM, remote_products()) is None
    damage(store, folder)
    found = product_set_problem(store, ITEM, remote_products())
    assert found is not None and problem in found, found


def test_product_set_problem_for_a_subset(tmp_path):
    store = open_store(tmp_path / "bucket")
    folder = _published_set(store, tmp_path / "work", products=["truecolor"])
    assert product_set_problem(store, ITEM, ["truecolor"]) is None
    assert "differ from" in product_set_problem(store, ITEM, remote_products())  # all asked
    assert product_set_problem(store, ITEM, None) is None  # any set the item names
    store.write_bytes(f"{folder}/{SID}_truecolor.png", b"changed")
    assert "does not match its checksum" in product_set_problem(store, ITEM, ["truecolor"])


def test_product_set_problem_on_s3(s3_bucket, tmp_path):
    import boto3

    store = open_store(f"s3://{s3_bucket}/published/020/039/2015-08-04")
    folder = _published_set(store, tmp_path / "work")
    assert product_set_problem(store, ITEM, remote_products()) is None
    bucket = open_store(f"s3://{s3_bucket}")
    assert product_set_problem(bucket, f"published/020/039/2015-08-04/{ITEM}") is None
    # An object without a recorded sha256 (copied by another tool) is judged by its size.
    client = boto3.client("s3")
    name = f"{SID}_ndvi.png"
    key = f"published/020/039/2015-08-04/{folder}/{name}"
    client.put_object(Bucket=s3_bucket, Key=key, Body=f"bytes of {name}".encode())
    assert store.info(f"{folder}/{name}").sha256 is None
    assert product_set_problem(store, ITEM, remote_products()) is None
    client.put_object(Bucket=s3_bucket, Key=key, Body=b"short")
    assert f"{name} does not match its file:size" in product_set_problem(store, ITEM)
    client.delete_object(Bucket=s3_bucket, Key=f"published/020/039/2015-08-04/{ITEM}")
    assert "does not exist" in product_set_problem(store, ITEM)


def test_remote_imports_neither_airflow_nor_boto3():
    source = Path(remote.__file__).read_text()
    assert "import airflow" not in source and "from airflow" not in source
    assert "import boto3" not in source
