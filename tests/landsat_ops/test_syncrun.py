"""landsat-ops sync-run: inputs in, the command run in the work folder, results out on success.

The command object lives in landsat_ops.cli.syncrun; ``main([...])`` runs it exactly as
``landsat-ops sync-run`` would.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import boto3
import pytest

from landsat_ops.cli import cli, main
from landsat_ops.cli.syncrun import sync_run_command
from landsat_ops.errors import StorageError
from landsat_ops.storage import LocalStore, open_store
from landsat_ops.syncrun import SyncRunResult, _output_files, _upload, sync_run

if "sync-run" not in cli.commands:
    cli.add_command(sync_run_command)

# A small "tool": lists in/, writes results (one in a sub-folder) to out/, talks on both
# streams, and exits with the code given as its first argument.
TOOL = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    in_dir = Path(os.environ["LANDSAT_OPS_INPUT_DIR"])
    out_dir = Path(os.environ["LANDSAT_OPS_OUTPUT_DIR"])
    names = sorted(p.relative_to(in_dir).as_posix() for p in in_dir.rglob("*") if p.is_file())
    (out_dir / "sub").mkdir()
    (out_dir / "sub" / "total.txt").write_text(
        str(sum(len(p.read_bytes()) for p in in_dir.rglob("*") if p.is_file()))
    )
    (out_dir / "manifest.json").write_text(json.dumps({"inputs": names, "cwd": os.getcwd()}))
    print("tool: stdout line", flush=True)
    print("tool: stderr line", file=sys.stderr, flush=True)
    sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    """
)


def tool(code: int = 0) -> list[str]:
    return [sys.executable, "-c", TOOL, str(code)]


def run(capfd, *args) -> tuple[int, str, str]:
    """``landsat-ops ARGS`` in-process; SystemExit (the command's exit code) becomes the code."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    out, err = capfd.readouterr()
    return code, out, err


def keys(bucket: str, prefix: str = "") -> dict[str, bytes]:
    s3 = boto3.client("s3")
    found = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in found}


@pytest.fixture
def landed(s3_bucket):
    """Two inputs on S3: a scene-like prefix and a single object elsewhere."""
    s3 = boto3.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="landing/ID/ID_B4.TIF", Body=b"red band")
    s3.put_object(Bucket=s3_bucket, Key="landing/ID/ID_MTL.txt", Body=b"GROUP = X")
    s3.put_object(Bucket=s3_bucket, Key="landing/ID/extra/notes.txt", Body=b"n")
    s3.put_object(Bucket=s3_bucket, Key="landing/ID-other/ignored.txt", Body=b"not mine")
    s3.put_object(Bucket=s3_bucket, Key="config/areas.yaml", Body=b"areas: []")
    return s3_bucket


def test_round_trip_against_s3(capfd, landed):
    bucket = landed
    code, out, err = run(
        capfd,
        "sync-run",
        "--input",
        f"s3://{bucket}/landing/ID",
        "--input",
        f"s3://{bucket}/config/areas.yaml",
        "--output",
        f"s3://{bucket}/staging/ID/",
        "--",
        *tool(),
    )
    assert code == 0, err
    assert "tool: stdout line" in out  # streamed, not swallowed
    assert "tool: stderr line" in err
    assert "2 file(s) uploaded" in err
    result = keys(bucket, "staging/")
    assert sorted(result) == ["staging/ID/manifest.json", "staging/ID/sub/total.txt"]
    manifest = json.loads(result["staging/ID/manifest.json"])
    # Prefix contents keep their relative keys; a single object lands under its name.
    assert manifest["inputs"] == ["ID_B4.TIF", "ID_MTL.txt", "areas.yaml", "extra/notes.txt"]
    assert result["staging/ID/sub/total.txt"] == b"27"

    # A rerun skips objects that already hold the same bytes (the manifest differs: it names
    # the temporary work folder).
    code, _, err = run(
        capfd,
        "sync-run",
        "--input",
        f"s3://{bucket}/landing/ID",
        "--input",
        f"s3://{bucket}/config/areas.yaml",
        "--output",
        f"s3://{bucket}/staging/ID/",
        *tool(),  # no "--": the command starts at the first positional argument
    )
    assert code == 0
    assert "1 file(s) uploaded" in err and "(1 unchanged)" in err


def test_command_runs_in_the_work_folder(tmp_path, landed):
    workdir = tmp_path / "work"
    result = sync_run(
        tool(),
        [f"s3://{landed}/landing/ID/"],
        tmp_path / "results",
        workdir=workdir,
        log=lambda message: None,
    )
    assert isinstance(result, SyncRunResult)
    assert result.exit_code == 0
    assert result.downloaded == ["ID_B4.TIF", "ID_MTL.txt", "extra/notes.txt"]
    assert result.uploaded == ["sub/total.txt", "manifest.json"]  # JSON last
    manifest = json.loads((tmp_path / "results" / "manifest.json").read_text())
    assert Path(manifest["cwd"]) == workdir
    # A given work folder is kept; its in/ and out/ are there to inspect.
    assert (workdir / "in" / "ID_B4.TIF").read_bytes() == b"red band"
    assert (workdir / "out" / "sub" / "total.txt").exists()


def test_failing_command_uploads_nothing_and_exits_with_its_code(capfd, landed):
    code, _, err = run(
        capfd,
        "sync-run",
        "--input",
        f"s3://{landed}/landing/ID/",
        "--output",
        f"s3://{landed}/staging/ID/",
        "--",
        *tool(3),
    )
    assert code == 3
    assert "exited with 3; nothing uploaded" in err
    assert keys(landed, "staging/") == {}


def test_failing_command_leaves_earlier_results_untouched(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("a")
    out = tmp_path / "published"
    out.mkdir()
    (out / "manifest.json").write_text("the good one")
    result = sync_run(tool(7), [tmp_path / "in"], out, log=lambda m: None)
    assert result.exit_code == 7
    assert result.uploaded == [] and result.unchanged == []
    assert (out / "manifest.json").read_text() == "the good one"
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]


def test_local_paths_for_input_and_output(capfd, tmp_path):
    inputs = tmp_path / "inputs"
    (inputs / "deep").mkdir(parents=True)
    (inputs / "deep" / "b.bin").write_bytes(b"12345")
    single = tmp_path / "single.txt"
    single.write_text("xy")
    out = tmp_path / "out"
    code, _, err = run(
        capfd, "sync-run", "--input", inputs, "--input", single, "--output", out, "--", *tool()
    )
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"] == ["deep/b.bin", "single.txt"]
    assert (out / "sub" / "total.txt").read_text() == "7"


def test_options_from_the_environment(capfd, tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("x")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "y.txt").write_text("yy")
    monkeypatch.setenv("LANDSAT_OPS_INPUT", f"{tmp_path / 'a'} {tmp_path / 'b'}")
    monkeypatch.setenv("LANDSAT_OPS_OUTPUT", str(tmp_path / "out"))
    code, _, err = run(capfd, "sync-run", "--", *tool())
    assert code == 0, err
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["inputs"] == [
        "x.txt",
        "y.txt",
    ]


def assert_one_line_error(err: str, *fragments: str) -> None:
    lines = [line for line in err.strip().splitlines() if line.startswith("landsat-ops: error")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_command_not_found_exits_2(capfd, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a").write_text("a")
    code, _, err = run(
        capfd,
        "sync-run",
        "--input",
        tmp_path / "in",
        "--output",
        tmp_path / "out",
        "--",
        "no-such-tool-landsat-ops",
        "--flag",
    )
    assert code == 2
    assert_one_line_error(err, "no-such-tool-landsat-ops: command not found")
    assert not (tmp_path / "out").exists()


def test_command_not_executable_exits_2(capfd, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a").write_text("a")
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    code, _, err = run(
        capfd, "sync-run", "--input", tmp_path / "in", "--output", tmp_path / "o", str(script)
    )
    assert code == 2
    assert_one_line_error(err, "permission denied")


@pytest.mark.parametrize(
    "args, fragment",
    [
        pytest.param(["--input", "IN", "--output", "OUT"], "Missing argument", id="no-command"),
        pytest.param(["--input", "IN", "--output", "OUT", "--"], "Missing argument", id="bare"),
        pytest.param(["--output", "OUT", "--", "true"], "--input", id="no-input"),
        pytest.param(["--input", "IN", "--", "true"], "--output", id="no-output"),
    ],
)
def test_usage_errors_exit_2(capfd, tmp_path, monkeypatch, args, fragment):
    monkeypatch.delenv("LANDSAT_OPS_INPUT", raising=False)
    monkeypatch.delenv("LANDSAT_OPS_OUTPUT", raising=False)
    (tmp_path / "in").mkdir()
    args = [a.replace("IN", str(tmp_path / "in")).replace("OUT", str(tmp_path / "o")) for a in args]
    code, _, err = run(capfd, "sync-run", *args)
    assert code == 2
    assert_one_line_error(err, fragment)


def test_input_errors_exit_2(capfd, s3_bucket, tmp_path):
    (tmp_path / "empty").mkdir()
    cases = [
        (f"s3://{s3_bucket}/landing/nothing/", "no objects under this prefix"),
        (tmp_path / "missing", "no such file or folder"),
        (tmp_path / "empty", "empty folder"),
        ("s3://", "no bucket name"),
    ]
    for uri, fragment in cases:
        code, _, err = run(
            capfd, "sync-run", "--input", uri, "--output", tmp_path / "o", "--", "true"
        )
        assert code == 2, uri
        assert_one_line_error(err, fragment)


def test_inputs_with_the_same_file_are_refused(capfd, tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "same.txt").write_text(name)
    code, _, err = run(
        capfd,
        "sync-run",
        "--input",
        tmp_path / "a",
        "--input",
        tmp_path / "b",
        "--output",
        tmp_path / "o",
        "--",
        "true",
    )
    assert code == 2
    assert_one_line_error(err, "same.txt: held by both")


def test_a_used_workdir_is_refused(capfd, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a").write_text("a")
    stale = tmp_path / "work" / "out" / "old-result.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("stale")
    code, _, err = run(
        capfd,
        "sync-run",
        "--input",
        tmp_path / "in",
        "--output",
        tmp_path / "o",
        "--workdir",
        tmp_path / "work",
        "--",
        "true",
    )
    assert code == 2
    assert_one_line_error(err, "already holds files")
    assert not (tmp_path / "o").exists()


def test_an_empty_result_uploads_nothing(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a").write_text("a")
    messages = []
    result = sync_run(["true"], [tmp_path / "in"], tmp_path / "o", log=messages.append)
    assert result.exit_code == 0 and result.uploaded == []
    assert any("wrote nothing" in m for m in messages)


class _FailingStore(LocalStore):
    """Fails on the second upload."""

    def __init__(self, root):
        super().__init__(root)
        self.calls = 0

    def put_file(self, path, key, **kwargs):
        self.calls += 1
        if self.calls == 2:
            raise StorageError(f"{self.uri(key)}: cannot upload (simulated)")
        return super().put_file(path, key, **kwargs)


def test_a_failed_upload_leaves_the_published_item_as_it_was(tmp_path):
    """A render's output: a new version folder and the scene item, uploaded last. A failure
    part-way leaves the old item (and what it names) untouched; the new version's files are
    unreferenced, for cleanup."""
    out_dir = tmp_path / "out"
    (out_dir / "ID" / "v2").mkdir(parents=True)
    for name in ("a.tif", "b.tif"):
        (out_dir / "ID" / "v2" / name).write_text(name)
    (out_dir / "ID.json").write_text("new item")
    dest = tmp_path / "dest"
    (dest / "ID" / "v1").mkdir(parents=True)
    (dest / "ID" / "v1" / "a.tif").write_text("old a")
    (dest / "ID.json").write_text("old item")
    keys = _output_files(out_dir)
    assert keys[-1] == "ID.json"  # the switch goes last
    with pytest.raises(StorageError, match="simulated"):
        _upload(_FailingStore(dest), out_dir, keys)
    assert (dest / "ID.json").read_text() == "old item"
    assert (dest / "ID" / "v1" / "a.tif").read_text() == "old a"


def test_sigterm_is_passed_to_the_command(tmp_path):
    """``docker stop`` / ECS StopTask: the command gets SIGTERM, sync-run exits 143, no upload."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a").write_text("a")
    ready = tmp_path / "ready"
    child = (
        "import os, pathlib, time; "
        f"(pathlib.Path(os.environ['LANDSAT_OPS_OUTPUT_DIR']) / 'partial').write_text('x'); "
        f"pathlib.Path({str(ready)!r}).write_text('1'); time.sleep(60)"
    )
    runner = (
        "import sys; from landsat_ops.cli import cli, main; "
        "from landsat_ops.cli.syncrun import sync_run_command; "
        "cli.add_command(sync_run_command); sys.exit(main())"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            runner,
            "sync-run",
            "--input",
            str(tmp_path / "in"),
            "--output",
            str(tmp_path / "o"),
            "--",
            sys.executable,
            "-c",
            child,
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "the command did not start"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert code == 128 + signal.SIGTERM
    assert "nothing uploaded" in process.stderr.read()
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_environment_of_the_command(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a").write_text("a")
    script = (
        "import json, os; "
        "open(os.path.join(os.environ['LANDSAT_OPS_OUTPUT_DIR'], 'env.json'), 'w').write("
        "json.dumps({k: os.environ.get(k) for k in "
        "('LANDSAT_OPS_INPUT_DIR', 'LANDSAT_OPS_OUTPUT_DIR', 'KEEP_ME')} | {'cwd': os.getcwd()}))"
    )
    os.environ["KEEP_ME"] = "yes"
    try:
        sync_run(
            [sys.executable, "-c", script],
            [tmp_path / "in"],
            tmp_path / "o",
            workdir=tmp_path / "w",
            log=lambda m: None,
        )
    finally:
        del os.environ["KEEP_ME"]
    env = json.loads((tmp_path / "o" / "env.json").read_text())
    assert env == {
        "LANDSAT_OPS_INPUT_DIR": str(tmp_path / "w" / "in"),
        "LANDSAT_OPS_OUTPUT_DIR": str(tmp_path / "w" / "out"),
        "KEEP_ME": "yes",
        "cwd": str(tmp_path / "w"),
    }


def test_store_is_used_for_s3_output_checksums(landed):
    """Uploaded objects carry their sha256, so later runs and products_complete can trust them."""
    sync_run(
        tool(),
        [f"s3://{landed}/landing/ID/"],
        f"s3://{landed}/staging/ID",
        log=lambda m: None,
    )
    info = open_store(f"s3://{landed}/staging/ID").info("sub/total.txt")
    assert info.sha256 == hashlib.sha256(b"18").hexdigest()


def test_a_render_through_sync_run_is_published_as_a_version(tmp_path):
    """``sync-run -- landsat-ops render in --out out``: the output is published as the render
    publishes it (a version folder, the item switched to it); the same render again writes
    nothing, another one makes a new version beside the old one."""
    import datetime
    import shutil

    from landsat_demo.synthetic import make_scene
    from landsat_ops.render.destination import current_folder

    scene = make_scene(
        tmp_path / "scene", acquired=datetime.datetime(2024, 7, 14, 13, 40), width=96, height=80
    )
    cli = shutil.which("landsat-ops") or str(Path(sys.executable).with_name("landsat-ops"))
    dest = tmp_path / "dest"

    def render(percentiles: str) -> SyncRunResult:
        command = [cli, "render", "in", "--out", "out", "--percentiles", percentiles]
        return sync_run(command, [scene], dest, log=lambda m: None)

    assert render("2,98").exit_code == 0
    first = current_folder(dest, scene.name)
    before = {p: p.read_bytes() for p in first.iterdir()}
    again = render("2,98")
    assert again.exit_code == 0 and not again.uploaded
    assert current_folder(dest, scene.name) == first
    assert render("1,99").exit_code == 0
    second = current_folder(dest, scene.name)
    assert second != first and second.parent == first.parent
    assert {p: p.read_bytes() for p in first.iterdir()} == before  # the old version untouched
