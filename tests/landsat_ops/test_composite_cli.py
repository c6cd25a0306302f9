"""``landsat-ops composite``: a run, and every bad input as one line, exit 2, nothing published."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from landsat_demo.synthetic import make_scene
from tests.support.cli_helpers import assert_one_line_error, run
from tests.support.composites import QA_CLOUD, random_stack, write_scene

DAYS = [dt.date(2024, 7, 1), dt.date(2024, 7, 17), dt.date(2024, 8, 2)]


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    dn, qa = random_stack(3, 40, 40, seed=5)
    folders = [write_scene(root / "ok", day, dn[i], qa[i]) for i, day in enumerate(DAYS)]
    other = write_scene(root / "other", DAYS[0], dn[0], qa[0], path=227)
    cloudy = write_scene(root / "cloudy", DAYS[1], dn[1], np.full_like(qa[1], QA_CLOUD))
    level1 = make_scene(root / "l1", acquired=dt.datetime(2024, 7, 9, 13, 40), width=64, height=64)
    return {"ok": folders, "other": other, "cloudy": cloudy, "l1": level1, "root": root}


def test_composite_command_publishes_an_item(scenes, tmp_path, capsys):
    dest = tmp_path / "out"
    code, out, err = run(
        capsys,
        "composite",
        *scenes["ok"],
        "--out",
        dest,
        "--id",
        "demo",
        "--period",
        "2024-07",
        "--products",
        "truecolor,ndvi",
        "--tile-size",
        "64",
        "--workdir",
        tmp_path,
    )
    assert code == 0, err
    item = json.loads((dest / "demo.json").read_text())
    assert json.loads(out)["item"] == str(dest / "demo.json")
    assert item["properties"]["landsat_ops:period"] == "2024-07"
    assert "falsecolor_tif" not in item["assets"] and "ndvi_png" in item["assets"]


@pytest.mark.parametrize(
    ("case", "extra", "fragments"),
    [
        pytest.param("other", [], ["226/010, 227/010", "--crs"], id="another-path-row"),
        pytest.param(
            "cloudy", [], ["no clear pixel", "fill, cloud or shadow"], id="no-clear-pixel"
        ),
        pytest.param("l1", [], ["mixed collections", "Level-1"], id="mixed-collections"),
        pytest.param("missing", [], ["does not exist", "missing-scene"], id="missing-scene"),
        pytest.param(None, ["--stat", "mean"], ["stat: expected one of median, medoid"], id="stat"),
        pytest.param(
            None, ["--products", "truecolor,rgb"], ["products: unknown rgb"], id="products"
        ),
        pytest.param(None, ["--tile-size", "10"], ["tile size"], id="tile-size"),
        pytest.param(None, ["--resolution", "60"], ["--resolution needs --crs"], id="resolution"),
        pytest.param(None, ["--crs", "EPSG:99999"], ["crs:"], id="crs"),
    ],
)
def test_bad_input_is_one_line_and_publishes_nothing(
    scenes, tmp_path, capsys, case, extra, fragments
):
    refs = [scenes["ok"][0]] if case != "cloudy" else []
    if case == "missing":
        refs.append(scenes["root"] / "missing-scene")
    elif case is not None:
        refs.append(scenes[case])
    dest = tmp_path / "dest"
    code, _, err = run(
        capsys, "-q", "composite", *refs, "--out", dest, "--workdir", tmp_path, *extra
    )
    assert code == 2
    assert_one_line_error(err, *fragments)
    assert not dest.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("landsat-ops-")]  # scratch gone
