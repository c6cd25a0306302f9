"""Tests for the ``sample`` and ``timeseries`` commands, run through ``landsat_ops.cli.main``.

The commands run through the real entry point, so exit codes and the one-line error format are
those of ``landsat-ops``.
"""

from __future__ import annotations

import csv
import io

import pytest
from PIL import Image

from landsat_ops.points import Point
from landsat_ops.sampling import SAMPLE_COLUMNS, sample_scene, samples_csv
from landsat_ops.timeseries import merge_rows, write_table
from tests.support.cli_helpers import run

C1 = "LC08_L1TP_016037_20170813_20170814_01_RT_900m"
POINTS = (
    "id,lon,lat\nclear,-79.3738,32.403858\nedge,-79.054506,33.876492\nfill,-81.302495,33.907716\n"
)


@pytest.fixture
def scene(landsat_data):
    return landsat_data / "rasters" / C1


@pytest.fixture
def points(tmp_path):
    path = tmp_path / "poi.csv"
    path.write_text(POINTS)
    return path


def test_sample_prints_csv_to_stdout(capsys, scene, points):
    code, out, err = run(capsys, "sample", scene, "--points", points)
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(SAMPLE_COLUMNS)
    assert [(r["point_id"], r["valid_px"], r["cloudy_px"], r["reason"]) for r in rows] == [
        ("clear", "9", "0", ""),
        ("edge", "6", "5", ""),
        ("fill", "0", "0", "fill"),
    ]
    assert out == samples_csv(sample_scene(scene, points))


def test_sample_writes_out_atomically(capsys, tmp_path, scene, points):
    target = tmp_path / "out" / "samples.csv"
    code, out, err = run(
        capsys, "sample", scene, "--points", points, "--out", target, "--radius", 0
    )
    assert (code, out) == (0, "")
    assert err == f"wrote 3 samples (1 without NDVI) to {target}\n"
    assert target.read_text() == samples_csv(sample_scene(scene, points, radius=0))
    assert [p.name for p in target.parent.iterdir()] == ["samples.csv"]


BAD = [
    pytest.param("id,lon\na,1\n", "line 1: header lacks column lat", id="missing-column"),
    pytest.param("id,lon,lat\na,1,2\nb,x,3\n", "line 3: lon 'x' is not a number", id="non-numeric"),
    pytest.param("id,lon,lat\na,1,2\n\nb,1,-91\n", "line 4: lat -91 is outside -90..90", id="lat"),
    pytest.param("id,lon,lat\na,181,2\n", "line 2: lon 181 is outside -180..180", id="lon"),
    pytest.param("id,lon,lat\na,1,2\na,1,2\n", "line 3: duplicate id 'a'", id="duplicate-id"),
    pytest.param("", "line 1: empty file", id="empty"),
]


@pytest.mark.parametrize(("content", "message"), BAD)
def test_bad_points_exit_2_with_one_line_and_write_nothing(
    capsys, tmp_path, scene, content, message
):
    bad = tmp_path / "poi.csv"
    bad.write_text(content)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = run(capsys, "sample", scene, "--points", bad, "--out", out_dir / "t.csv")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"landsat-ops: error: {bad}: {message}")
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("with_points", "args", "message"),
    [
        pytest.param(True, ["--radius", "51"], "'--radius'", id="radius-too-big"),
        pytest.param(True, ["--radius", "x"], "'--radius'", id="radius-not-int"),
        pytest.param(False, [], "Missing option '--points'", id="no-points"),
    ],
)
def test_bad_options_exit_2(capsys, scene, points, with_points, args, message):
    extra = ["--points", points] if with_points else []
    code, out, err = run(capsys, "sample", scene, *extra, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_missing_scene_exit_2(capsys, tmp_path, points):
    code, _, err = run(capsys, "sample", tmp_path / "nowhere", "--points", points)
    assert code == 2
    assert err.count("\n") == 1 and "does not exist" in err


def test_sample_from_s3(capsys, landsat_data, s3_bucket, scene, points):
    import boto3

    client = boto3.client("s3")
    for path in scene.iterdir():
        client.upload_file(str(path), s3_bucket, f"landing/{C1}/{path.name}")
    code, out, _ = run(capsys, "sample", f"s3://{s3_bucket}/landing/{C1}/", "--points", points)
    assert code == 0
    assert out == samples_csv(sample_scene(scene, points))


@pytest.fixture
def table(scene):
    pts = [Point("clear", -79.3738, 32.403858), Point("fill", -81.302495, 33.907716)]
    return merge_rows([], sample_scene(scene, pts))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_timeseries_prints_the_series(capsys, tmp_path, table, suffix):
    path = tmp_path / f"area{suffix}"
    write_table(table, path)
    code, out, err = run(capsys, "timeseries", path, "--point", "clear")
    assert (code, err) == (0, "")
    ndvi = table[0]["ndvi"]
    assert out.splitlines() == [
        "date           ndvi  valid  cloudy  cloud%  scene_id",
        f"2017-08-13  {ndvi:7.4f}      9       0   26.70  LC08_L1TP_016037_20170813_20170814_01_RT",
    ]
    code, out, _ = run(capsys, "timeseries", path, "--point", "fill")
    assert out.splitlines()[1].startswith("2017-08-13        -      0       0   26.70")


def test_timeseries_plot(capsys, tmp_path, table):
    path = tmp_path / "area.csv"
    write_table(table, path)
    png = tmp_path / "clear.png"
    code, _, err = run(capsys, "timeseries", path, "--point", "clear", "--plot", png)
    assert code == 0 and err == f"plot written to {png}\n"
    with Image.open(png) as image:
        assert image.format == "PNG"


def test_timeseries_errors_exit_2(capsys, tmp_path, table):
    path = tmp_path / "area.csv"
    write_table(table, path)
    code, _, err = run(capsys, "timeseries", path, "--point", "nope", "--plot", tmp_path / "x.png")
    assert code == 2
    assert err == (
        f"landsat-ops: error: {path}: no samples of point 'nope' "
        "(points in the table: clear, fill)\n"
    )
    assert not (tmp_path / "x.png").exists()
    code, _, err = run(capsys, "timeseries", tmp_path / "missing.parquet", "--point", "a")
    assert code == 2 and "no such table" in err and err.count("\n") == 1


def test_help_lists_examples(capsys):
    code, out, _ = run(capsys, "sample", "--help")
    assert code == 0 and "Example:" in out and "--radius" in out
    code, out, _ = run(capsys, "timeseries", "--help")
    assert code == 0 and "--plot" in out
