"""The render container's contract, run outside a container against moto S3.

What the ECS task (and the EC2 instance) executes is the image's ENTRYPOINT ``landsat-ops``
followed by the container command of :func:`landsat_pipeline.remote.ecs_overrides`. Here
exactly that argv runs as a subprocess of the project's console script, with only the
environment a task gets (the AWS endpoint variables stand in for the task role), on a real
scene uploaded to ``landing/``; the complete product set must land in a version folder
``published/PPP/RRR/DATE/<ID>/<version>/`` with the checksums its STAC item records, and the
scene's item ``published/PPP/RRR/DATE/<ID>.json`` must name it. ``sync-run`` is held to the same
contract.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import boto3
import pytest
from PIL import Image

from landsat_ops.products import product_files
from landsat_ops.render.destination import item_folder
from landsat_ops.storage import open_store
from landsat_pipeline import remote
from landsat_pipeline.publishing import product_set_problem

BIN = Path(sys.executable).parent
LANDSAT_OPS = BIN / "landsat-ops"  # the console script, as in the image (/opt/venv/bin)
CROP = "rasters/LC80200392015216LGN00_crop30m"
# What the pipeline lands for a scene: B1-B7, the QA band and the MTL.
LANDED = ("_B1.TIF", "_B2.TIF", "_B3.TIF", "_B4.TIF", "_B5.TIF", "_B6.TIF", "_B7.TIF", "_BQA.TIF")
LANDED += ("_MTL.txt",)


@pytest.fixture
def real_scene(landsat_data) -> Path:
    return landsat_data / CROP


@pytest.fixture
def synthetic_scene(tmp_path) -> Path:
    synthetic = pytest.importorskip("landsat_demo.synthetic")
    return synthetic.make_scene(
        tmp_path / "scenes",
        path=226,
        row=10,
        acquired=datetime.datetime(2021, 8, 10, 13, 21, 19),
        width=300,
        height=260,
        seed=4,
    )


def _land(bucket: str, folder: Path) -> str:
    """Upload a scene folder's landed files to landing/<folder name>/; returns the scene URI."""
    s3 = boto3.client("s3")
    uploaded = 0
    for path in sorted(folder.iterdir()):
        if path.name.endswith(LANDED) or path.name.endswith("_QA_PIXEL.TIF"):
            s3.upload_file(str(path), bucket, f"landing/{folder.name}/{path.name}")
            uploaded += 1
    assert uploaded >= 7
    return f"s3://{bucket}/landing/{folder.name}/"


def _task_env(**extra: str) -> dict[str, str]:
    """The environment of a task: PATH, the AWS endpoint (the role), and the overrides."""
    keep = ("PATH", "HOME", "TMPDIR", "LANG", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION")
    keep += ("AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    return {**env, **extra}


def _container_argv(overrides: dict) -> tuple[list[str], dict[str, str]]:
    """ENTRYPOINT + the overridden command, and the overridden environment, of one container."""
    (container,) = overrides["containerOverrides"]
    assert container["name"] == remote.CONTAINER_NAME
    env = {e["name"]: e["value"] for e in container.get("environment", [])}
    return [str(LANDSAT_OPS), *container["command"]], env


def _check_product_set(bucket: str, prefix: str, scene_id: str, products=None) -> dict:
    """Under prefix: the scene's item and one version folder holding every expected object,
    nothing else; checksums equal to the item's. Returns the scene's item."""
    s3 = boto3.client("s3")
    item = json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}/{scene_id}.json")["Body"].read())
    assert item["id"] == scene_id
    folder = item_folder(item, scene_id)
    assert folder is not None, item["assets"]
    assert item["properties"]["landsat_ops:product_version"] == folder.split("/")[1]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/").get("Contents", [])
    names = sorted(o["Key"][len(prefix) + 1 :] for o in listed)
    assert names == sorted(
        [f"{scene_id}.json"] + [f"{folder}/{name}" for name in product_files(scene_id, products)]
    )
    hrefs = {a["href"].removeprefix("./"): a for a in item["assets"].values()}
    assert sorted(hrefs) == sorted(
        f"{folder}/{name}" for name in product_files(scene_id, products)[:-1]
    )
    for key, asset in hrefs.items():
        body = s3.get_object(Bucket=bucket, Key=f"{prefix}/{key}")
        data = body["Body"].read()
        digest = hashlib.sha256(data).hexdigest()
        assert asset["file:checksum"] == "1220" + digest, key
        assert asset["file:size"] == len(data), key
        assert body["Metadata"]["sha256"] == digest, key
    # The version's own item: the same assets, hrefs relative to its folder.
    own = s3.get_object(Bucket=bucket, Key=f"{prefix}/{folder}/{scene_id}.json")
    own_item = json.loads(own["Body"].read())
    assert {k: a["href"] for k, a in own_item["assets"].items()} == {
        k: "./" + a["href"].rsplit("/", 1)[1] for k, a in item["assets"].items()
    }
    store = open_store(f"s3://{bucket}")
    assert product_set_problem(store, f"{prefix}/{scene_id}.json", products) is None
    return item


def _objects(bucket: str) -> dict[str, tuple[str, object]]:
    """Key -> (ETag, LastModified) of every object of the bucket."""
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: (o["ETag"], o["LastModified"]) for o in listed}


REAL_PREFIX = "published/020/039/2015-08-04"  # LC80200392015216LGN00: path 20, row 39, day 216


def test_the_ecs_command_renders_a_real_scene(s3_bucket, real_scene):
    scene_uri = _land(s3_bucket, real_scene)
    scene_id = real_scene.name.split("_")[0]
    out_uri = f"s3://{s3_bucket}/{REAL_PREFIX}/"
    command = remote.render_command(scene_uri, out_uri, percentiles=(2, 98))
    assert command[:5] == ["landsat-ops", "render", scene_uri, "--out", out_uri]
    assert "does not exist" in product_set_problem(
        open_store(f"s3://{s3_bucket}"), f"{REAL_PREFIX}/{scene_id}.json"
    )

    # Configuration through a LANDSAT_OPS_* variable, as a task override sets it.
    overrides = remote.ecs_overrides(command, env={"LANDSAT_OPS_PREVIEW_SIZE": "128"})
    argv, override_env = _container_argv(overrides)
    result = subprocess.run(
        argv, env=_task_env(**override_env), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["scene_id"] == scene_id
    assert summary["item"] == f"{out_uri}{scene_id}.json"

    item = _check_product_set(s3_bucket, REAL_PREFIX, scene_id)
    png = boto3.client("s3").get_object(
        Bucket=s3_bucket, Key=f"{REAL_PREFIX}/{item['assets']['truecolor_png']['href'][2:]}"
    )
    assert max(Image.open(BytesIO(png["Body"].read())).size) <= 128
    # Nothing was written outside landing/ and the scene's published date folder.
    objects = _objects(s3_bucket)
    assert {key.split("/")[0] for key in objects} == {"landing", "published"}
    assert all(k.startswith(("landing/", f"{REAL_PREFIX}/")) for k in objects)

    # The same render again is the same version: it writes nothing.
    again = subprocess.run(
        argv, env=_task_env(**override_env), capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["item"] == summary["item"]
    assert _objects(s3_bucket) == objects


def test_the_ecs_command_renders_a_synthetic_collection2_scene(s3_bucket, synthetic_scene):
    scene_uri = _land(s3_bucket, synthetic_scene)
    scene_id = synthetic_scene.name
    products = ["truecolor", "ndvi"]
    prefix = "published/226/010/2021-08-10"
    command = remote.render_command(scene_uri, f"s3://{s3_bucket}/{prefix}", products=products)
    argv, env = _container_argv(remote.ecs_overrides(command))
    result = subprocess.run(argv, env=_task_env(**env), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    first = _check_product_set(s3_bucket, prefix, summary["scene_id"], products)

    # Other options are another version; the first one is left as it was (until cleanup).
    before = _objects(s3_bucket)
    command = remote.render_command(
        scene_uri, f"s3://{s3_bucket}/{prefix}", products=products, preview_size=64
    )
    argv, env = _container_argv(remote.ecs_overrides(command))
    result = subprocess.run(argv, env=_task_env(**env), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    s3 = boto3.client("s3")
    item_key = f"{prefix}/{scene_id}.json"
    second = json.loads(s3.get_object(Bucket=s3_bucket, Key=item_key)["Body"].read())
    old, new = item_folder(first, scene_id), item_folder(second, scene_id)
    assert new is not None and new != old
    after = _objects(s3_bucket)
    assert {
        k: v for k, v in after.items() if k != item_key and not k.startswith(f"{prefix}/{new}/")
    } == {k: v for k, v in before.items() if k != item_key}
    assert product_set_problem(open_store(f"s3://{s3_bucket}"), item_key, products) is None


def test_a_bad_scene_fails_with_one_line_and_writes_nothing(s3_bucket):
    command = remote.render_command(
        f"s3://{s3_bucket}/landing/LC80200392015216LGN00/",
        f"s3://{s3_bucket}/{REAL_PREFIX}/",
    )
    argv, env = _container_argv(remote.ecs_overrides(command))
    result = subprocess.run(argv, env=_task_env(**env), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("landsat-ops: error: "), result.stderr
    assert "no objects under this prefix" in lines[0]
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=s3_bucket)


@functools.cache
def _console_script_has_sync_run() -> bool:
    """Whether the installed ``landsat-ops`` knows ``sync-run`` (asked in a fresh process:
    other test modules register the command in this one)."""
    result = subprocess.run(
        [str(LANDSAT_OPS), "sync-run", "--help"], capture_output=True, text=True, timeout=60
    )
    return result.returncode == 0


def _sync_run_argv(args: list[str]) -> list[str]:
    """``landsat-ops sync-run ARGS`` as the container runs it.

    Through the console script once the CLI group registers the command; until then through a
    launcher that registers it first (the same ``main()``, the same exit codes).
    """
    if _console_script_has_sync_run():
        return [str(LANDSAT_OPS), "sync-run", *args]
    launcher = (
        "import sys; from landsat_ops.cli import cli, main; "
        "from landsat_ops.cli.syncrun import sync_run_command; "
        "cli.add_command(sync_run_command); sys.exit(main())"
    )
    return [sys.executable, "-c", launcher, "sync-run", *args]


def test_sync_run_renders_a_real_scene_through_a_work_folder(s3_bucket, real_scene):
    scene_uri = _land(s3_bucket, real_scene)
    scene_id = real_scene.name.split("_")[0]
    argv = _sync_run_argv(
        [
            "--input",
            scene_uri,
            "--output",
            f"s3://{s3_bucket}/{REAL_PREFIX}/",
            "--",
            "landsat-ops",
            "render",
            "in",
            "--out",
            "out",
            "--preview-size",
            "64",
        ]
    )
    result = subprocess.run(argv, env=_task_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["scene_id"] == scene_id  # the command's stdout, streamed
    _check_product_set(s3_bucket, REAL_PREFIX, scene_id)


def test_sync_run_with_a_failing_command_publishes_nothing(s3_bucket, real_scene):
    scene_uri = _land(s3_bucket, real_scene)
    # The renderer succeeds, then the step fails: its products must not be uploaded.
    script = "landsat-ops render in --out out --products histograms && exit 3"
    argv = _sync_run_argv(
        ["--input", scene_uri, "--output", f"s3://{s3_bucket}/{REAL_PREFIX}/", "--"]
        + [shutil.which("sh") or "/bin/sh", "-c", script]
    )
    result = subprocess.run(argv, env=_task_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 3, result.stderr
    assert "nothing uploaded" in result.stderr
    listed = boto3.client("s3").list_objects_v2(Bucket=s3_bucket, Prefix="published/")
    assert "Contents" not in listed
