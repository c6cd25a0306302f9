"""The landsat-ops CLI: output of render/info, and one-line errors with exit code 2 on bad input."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from landsat_ops.render.destination import current_folder
from tests.support.cli_helpers import assert_one_line_error, run

CROP = "rasters/LC80200392015216LGN00_crop30m"
SID = "LC80200392015216LGN00"


@pytest.fixture
def scene(landsat_data, tmp_path) -> Path:
    """A writable copy of the real 30 m crop (bands 1-7, the QA band and the MTL)."""
    folder = tmp_path / SID
    folder.mkdir()
    for src in (landsat_data / CROP).iterdir():
        if any(src.name.endswith(f"_B{n}.TIF") for n in range(1, 8)) or src.name.endswith(
            ("_BQA.TIF", "_MTL.txt")
        ):
            shutil.copy(src, folder / src.name)
    return folder


def test_render_prints_summary(capsys, scene, tmp_path):
    out = tmp_path / "out"
    code, stdout, _ = run(capsys, "render", scene, "--out", out, "--products", "truecolor")
    assert code == 0
    summary = json.loads(stdout)
    assert summary["scene_id"] == SID
    assert Path(summary["item"]) == out / f"{SID}.json"
    assert sorted(p.name for p in out.iterdir()) == sorted([SID, f"{SID}.json"])
    version = current_folder(out, SID)
    products = {name: path for name, path in summary["outputs"].items() if name != f"{SID}.json"}
    assert {Path(path) for path in products.values()} == {
        p for p in version.iterdir() if p.name != f"{SID}.json"
    }


def test_options_from_environment(capsys, scene, tmp_path, monkeypatch):
    monkeypatch.setenv("LANDSAT_OPS_PERCENTILES", "1,99")
    monkeypatch.setenv("LANDSAT_OPS_PRODUCTS", "falsecolor")
    monkeypatch.setenv("LANDSAT_OPS_OUT", str(tmp_path / "env-out"))
    code, stdout, _ = run(capsys, "render", scene)
    assert code == 0
    assert json.loads(stdout)["stretch"]["falsecolor"]["percentiles"] == [1.0, 99.0]


@pytest.mark.parametrize("how", ["option", "environment"])
def test_stretch_option(capsys, scene, tmp_path, monkeypatch, how):
    args = ["render", scene, "--out", str(tmp_path / "out"), "--products", "truecolor"]
    if how == "option":
        args += ["--stretch", "linear"]
    else:
        monkeypatch.setenv("LANDSAT_OPS_STRETCH", "linear")
    code, stdout, _ = run(capsys, *args)
    assert code == 0
    assert json.loads(stdout)["stretch"]["truecolor"]["mode"] == "linear"
    code, stdout, _ = run(capsys, "render", scene, "--out", str(tmp_path / "x"), "--stretch", "x")
    assert code == 2


def test_info(capsys, scene):
    code, stdout, _ = run(capsys, "info", scene)
    assert code == 0
    info = json.loads(stdout)
    assert info["id"]["path"] == 20 and info["id"]["row"] == 39
    assert info["metadata"]["cloud_cover"] == pytest.approx(11.08)
    assert set(info["bands"]) == {"B1", "B2", "B3", "B4", "B5", "B6", "B7"}


def test_console_script_runs():
    exe = Path(sys.executable).with_name("landsat-ops")
    proc = subprocess.run(
        [exe, "render", "/nonexistent/scene", "--out", "/tmp/x"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr, "/nonexistent/scene")


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def regrid(path: Path) -> None:
    with rasterio.open(path) as ds:
        data, profile = ds.read(), ds.profile
    profile["transform"] = from_origin(0, 0, 60, 60)
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)


def zero_out(folder: Path) -> None:
    for path in folder.glob("*.TIF"):
        with rasterio.open(path, "r+") as ds:
            ds.write(np.zeros((1, ds.height, ds.width), np.uint16))


@pytest.mark.parametrize(
    "damage, fragments",
    [
        pytest.param(
            lambda f: (f / f"{SID}_B5.TIF").unlink(), ["no band B5", "_B5.TIF"], id="missing-band"
        ),
        pytest.param(lambda f: truncate(f / f"{SID}_B3.TIF"), [f"{SID}_B3.TIF"], id="truncated"),
        pytest.param(
            lambda f: (f / f"{SID}_B2.TIF").write_bytes(b"not a tiff"),
            [f"{SID}_B2.TIF"],
            id="unreadable",
        ),
        pytest.param(lambda f: regrid(f / f"{SID}_B7.TIF"), ["B7", "grid"], id="other-grid"),
        pytest.param(zero_out, ["no valid"], id="no-valid-pixels"),
        pytest.param(lambda f: (f / f"{SID}_MTL.txt").unlink(), ["no MTL"], id="no-mtl-for-ndvi"),
        pytest.param(
            lambda f: (f / f"{SID}_MTL.txt").write_text("GROUP = L1_METADATA_FILE\n"),
            [f"{SID}_MTL.txt"],
            id="bad-mtl",
        ),
    ],
)
def test_bad_scene(capsys, scene, tmp_path, damage, fragments):
    damage(scene)
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "render", scene, "--out", out)
    assert code == 2
    assert_one_line_error(err, *fragments)
    assert not out.exists(), "nothing may be left in the destination"
    assert stdout == ""


def test_missing_folder(capsys, tmp_path):
    code, _, err = run(capsys, "render", tmp_path / "nope", "--out", tmp_path / "out")
    assert code == 2
    assert_one_line_error(err, str(tmp_path / "nope"))


@pytest.mark.parametrize(
    "option, fragments",
    [
        pytest.param(["--percentiles", "98,2"], ["--percentiles", "LOW < HIGH"], id="pct-order"),
        pytest.param(["--percentiles", "a,b"], ["--percentiles"], id="pct-text"),
        pytest.param(["--ranges", "1:2,3:4"], ["--ranges", "three"], id="ranges-count"),
        pytest.param(["--ranges", "9:1,3:4,5:6"], ["--ranges", "R range"], id="ranges-order"),
        pytest.param(["--products", "truecolor,sepia"], ["--products", "sepia"], id="product"),
        pytest.param(["--preview-size", "0"], ["--preview-size"], id="preview-size"),
        pytest.param(["--compression", "lzma"], ["--compression", "lzma"], id="compression"),
    ],
)
def test_bad_options(capsys, scene, tmp_path, option, fragments):
    out = tmp_path / "out"
    code, _, err = run(capsys, "render", scene, "--out", out, *option)
    assert code == 2
    assert_one_line_error(err, *fragments)
    assert not out.exists()


def test_unwritable_destination(capsys, scene, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, _, err = run(capsys, "render", scene, "--out", blocker / "out")
    assert code == 2
    assert_one_line_error(err, "not a writable folder")


# -- logging: -v / -q, and the JSON summary on stdout whatever the level -------------------
STAGES = ("scanned bands", "truecolor stretch", "wrote", "published", "STAC item at")


def test_verbose_logs_the_render_stages_on_stderr(capsys, scene, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "-v", "render", scene, "--out", out, "--products", "truecolor")
    assert code == 0
    for stage in STAGES:
        assert stage in err, f"{stage!r} not logged: {err!r}"
    assert "B4 " in err and "B3 " in err and "B2 " in err  # the cut-offs of each channel
    assert f"{SID}_truecolor.tif (" in err and "bytes in total" in err
    assert all(" INFO landsat_ops.render" in line for line in err.strip().splitlines())
    summary = json.loads(stdout)  # stdout holds the JSON summary only
    assert sorted(summary) == ["item", "outputs", "scene_id", "stretch"]
    assert Path(summary["item"]) == out / f"{SID}.json"


def test_quiet_silences_the_stages(capsys, scene, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "-q", "render", scene, "--out", out, "--products", "truecolor")
    assert code == 0
    assert err == ""
    assert json.loads(stdout)["scene_id"] == SID


def test_default_level_is_info_when_stderr_is_not_a_terminal(capsys, scene, tmp_path):
    code, stdout, err = run(
        capsys, "render", scene, "--out", tmp_path / "out", "--products", "ndvi"
    )
    assert code == 0
    assert "scanned bands B4,B5" in err and f"{SID}_ndvi.png" in err
    assert json.loads(stdout)["scene_id"] == SID


def test_the_cli_leaves_no_logging_set_up_behind(capsys, scene, tmp_path):
    import logging

    logger, root = logging.getLogger("landsat_ops"), logging.getLogger()
    before = (list(logger.handlers), logger.level, list(root.handlers), root.level)
    run(capsys, "-vv", "render", scene, "--out", tmp_path / "out", "--products", "truecolor")
    assert (list(logger.handlers), logger.level, list(root.handlers), root.level) == before


def test_verbosity_levels():
    import io
    import logging

    from landsat_ops.cli.options import log_level

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert log_level(0, False, Terminal()) == logging.WARNING
    assert log_level(0, False, io.StringIO()) == logging.INFO
    assert log_level(1, False, Terminal()) == logging.INFO
    assert log_level(2, False, io.StringIO()) == logging.DEBUG
    assert log_level(2, True, io.StringIO()) == logging.ERROR
