"""``landsat-ops composite-tile``: one tile of a staged job (what an ECS task of the composites
DAG runs), equal to the engine's tile; twice uploads nothing; bad input is one line, exit 2."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from tests.support.cli_helpers import assert_one_line_error, run
from tests.support.composites import expected_median, random_stack, write_scene

DAYS = [dt.date(2024, 7, 1), dt.date(2024, 7, 17), dt.date(2024, 8, 2)]


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """A job.json as the DAG's plan task stages it: 3 scenes of 100 x 100 px, 2 x 2 tiles."""
    from landsat_ops.composite import open_inputs, plan_tiles, target_grid

    root = tmp_path_factory.mktemp("tilejob")
    dn, qa = random_stack(3, 100, 100, seed=11)
    folders = [write_scene(root / "scenes", day, dn[i], qa[i]) for i, day in enumerate(DAYS)]
    inputs = open_inputs(folders, root / "work")
    grid = target_grid(inputs, crs=None)
    tiles = plan_tiles(grid, 64)
    spec = {
        "id": "demo",
        "stat": "median",
        "grid": grid.to_dict(),
        "inputs": [inp.to_dict() for inp in inputs],
        "tiles": [t.to_dict() for t in tiles],
    }
    path = root / "staging" / "job.json"
    path.parent.mkdir()
    path.write_text(json.dumps(spec))
    return {"path": path, "spec": spec, "dn": dn, "qa": qa, "tiles": tiles}


def test_a_tile_equals_the_engines_tile_and_twice_changes_nothing(job, tmp_path, capsys):
    import rasterio

    from landsat_ops.composite import CompositeInput, Grid, write_composite_tile

    tile = job["tiles"][3]
    out = tmp_path / "tiles" / f"{tile.name}.tif"
    code, stdout, err = run(capsys, "composite-tile", job["path"], "--tile", 3, "--out", out)
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["name"] == tile.name and summary["path"] == str(out)
    assert summary["tile"] == tile.to_dict()

    inputs = [CompositeInput.from_dict(r) for r in job["spec"]["inputs"]]
    engine = tmp_path / "engine.tif"
    write_composite_tile(inputs, Grid.from_dict(job["spec"]["grid"]), tile, engine)
    with rasterio.open(out) as got, rasterio.open(engine) as want:
        pixels = got.read()
        np.testing.assert_array_equal(pixels, want.read())
        assert got.transform == want.transform and got.crs == want.crs
    # An independent median of the clear values of the tile's window.
    median, count = expected_median(job["dn"], job["qa"])
    rows = slice(tile.row_off, tile.row_off + tile.height)
    window = rows, slice(tile.col_off, tile.col_off + tile.width)
    np.testing.assert_array_equal(pixels[7], count[window].astype(np.float32))
    np.testing.assert_allclose(pixels[:7], median[(slice(None), *window)], rtol=1e-6)
    assert summary["clear_pixels"] == int((count[window] > 0).sum())

    before = out.stat().st_mtime_ns, out.read_bytes()
    code, _, err = run(capsys, "composite-tile", job["path"], "--tile", 3, "--out", out)
    assert code == 0, err
    assert (out.stat().st_mtime_ns, out.read_bytes()) == before  # the same bytes: no upload


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        pytest.param(["missing.json", "--tile", "0"], ["missing.json", "no such"], id="no-job"),
        pytest.param(["JOB", "--tile", "4"], ["tile 4: out of range", "4 tiles"], id="tile-4"),
        pytest.param(["JOB", "--tile", "-1"], ["--tile", "-1"], id="negative-tile"),
        pytest.param(["JOB", "--tile", "x"], ["--tile", "'x'"], id="not-a-number"),
        pytest.param(["NOTJOB", "--tile", "0"], ["not a composite job", "'stat'"], id="not-job"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(job, tmp_path, capsys, args, fragments):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"id": "x"}))
    names = {"JOB": str(job["path"]), "NOTJOB": str(other), "missing.json": str(tmp_path / "m")}
    args = [names.get(a, a) for a in args]
    fragments = [tmp_path.joinpath("m").as_posix() if f == "missing.json" else f for f in fragments]
    out = tmp_path / "tiles" / "t.tif"
    code, _, err = run(capsys, "composite-tile", *args, "--out", out)
    assert code == 2
    assert_one_line_error(err, *fragments)
    assert not out.parent.exists()
