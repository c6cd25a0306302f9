"""The composite engine on synthetic Level-2 stacks with known clear pixels (issue 19)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from landsat_ops.composite import (
    CompositeError,
    Grid,
    Tile,
    assemble,
    compose,
    kernels,
    open_inputs,
    plan_tiles,
    read_tile_summary,
    target_grid,
    write_composite_tile,
)
from landsat_ops.render.destination import current_folder
from tests.stac_schemas.validate import validate
from tests.support.composites import (
    QA_CIRRUS,
    QA_CLEAR,
    expected_median,
    level2_dn,
    random_stack,
    read_cog,
    read_reflectance,
    reflectance,
    write_scene,
)

DAYS = [dt.date(2024, 7, 1) + dt.timedelta(days=16 * i) for i in range(6)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Five scenes of 150 x 130 px on one grid, half their pixels clear."""
    root = tmp_path_factory.mktemp("stack")
    dn, qa = random_stack(5, 130, 150, seed=1)
    folders = [write_scene(root, day, dn[i], qa[i]) for i, day in enumerate(DAYS[:5])]
    return folders, dn, qa


def _published(dest) -> dict:
    """File name -> path of the one composite published under ``dest``."""
    folder = current_folder(dest)
    return {p.name.split("_", 3)[-1]: p for p in folder.iterdir()}


def test_kernels_match_their_numpy_references():
    rng = np.random.default_rng(3)
    values = rng.random((7, 40, 50)).astype(np.float32)
    values[rng.random(values.shape) < 0.4] = np.nan
    out = np.empty((40, 50), np.float32)
    kernels.masked_median(values, 7, out)
    np.testing.assert_array_equal(out, kernels.median_reference(values))
    obs = rng.random((6, 6, 20, 30)).astype(np.float32)
    obs[rng.random(obs.shape) < 0.05] = np.nan
    chosen = np.empty((20, 30), np.int16)
    kernels.medoid(obs, 6, np.empty((6, 20, 30), np.float32), chosen)
    np.testing.assert_array_equal(chosen, kernels.medoid_reference(obs))


def test_median_count_and_nodata_equal_numpy(stack, tmp_path):
    folders, dn, qa = stack
    uri = compose([str(f) for f in folders], tmp_path / "out", tile_size=64, workdir=tmp_path)
    files = _published(tmp_path / "out")
    median, count = expected_median(dn, qa)
    stored, got = read_reflectance(files["reflectance.tif"])
    # The median on the Level-2 scale, bit for bit (0 where nothing is clear), so within half
    # a step of numpy's float median.
    np.testing.assert_array_equal(stored, level2_dn(median))
    np.testing.assert_allclose(got, median, rtol=0, atol=1.4e-5)
    np.testing.assert_array_equal(read_cog(files["count.tif"])[0], count)
    assert np.isnan(got[:, :3, :4]).all() and (count[:3, :4] == 0).all()  # fill stays no data
    assert np.isnan(got[:, 65, 75]).all() and count[65, 75] == 0  # clear in no scene
    assert count.max() == 5 and 0 < np.isnan(got[0]).mean() < 0.1
    item = json.loads(open(uri).read())
    validate(item)
    props = item["properties"]
    assert props["start_datetime"].startswith("2024-07-01")
    assert props["end_datetime"].startswith(DAYS[4].isoformat())
    links = [link for link in item["links"] if link["rel"] == "derived_from"]
    assert sorted(link["href"] for link in links) == sorted(str(f) for f in folders)
    assert props["landsat_ops:clear_count"]["max"] == 5
    assert props["landsat_ops:clear_count"]["pixels_without_data"] == int((count == 0).sum())
    assert props["proj:code"] == "EPSG:32627" and props["proj:shape"] == [130, 150]
    assert {"reflectance_tif", "count_tif", "truecolor_png", "falsecolor_tif", "ndvi_tif"} <= set(
        item["assets"]
    )


def test_cirrus_shadow_and_dilated_cloud_are_left_out(tmp_path):
    dn = np.full((2, 7, 8, 8), 20000, np.uint16)
    dn[1] = 30000
    qa = np.full((2, 8, 8), QA_CLEAR, np.uint16)
    qa[1, :, :4] = QA_CIRRUS
    folders = [write_scene(tmp_path / "s", DAYS[i], dn[i], qa[i]) for i in range(2)]
    inputs = open_inputs(folders, tmp_path / "w")
    grid = target_grid(inputs)
    summary = write_composite_tile(inputs, grid, Tile(0, 0, 8, 8), tmp_path / "t.tif")
    data = read_cog(tmp_path / "t.tif")
    one, both = reflectance(np.array([20000]))[0], (reflectance(np.array([20000, 30000]))).mean()
    assert (data[:7, :, :4] == one).all() and np.allclose(data[:7, :, 4:], both)
    assert (data[7, :, :4] == 1).all() and (data[7, :, 4:] == 2).all()
    assert summary.clear_pixels == 64 and sorted(summary.observations.values()) == [32, 64]
    assert read_tile_summary(tmp_path / "t.tif").observations == summary.observations


def test_tiles_give_the_same_composite_as_one_tile(stack, tmp_path):
    folders, _, _ = stack
    inputs = open_inputs(folders, tmp_path / "w")
    grid = target_grid(inputs)
    one = write_composite_tile(
        inputs, grid, Tile(0, 0, grid.width, grid.height), tmp_path / "a.tif"
    )
    tiles = plan_tiles(grid, 64)
    assert len(tiles) == 9 and sum(t.width * t.height for t in tiles) == 150 * 130
    whole = np.full((8, grid.height, grid.width), -1.0, np.float32)
    for tile in tiles:
        path = tmp_path / f"{tile.name}.tif"
        write_composite_tile(inputs, grid, tile, path)
        whole[
            :, tile.row_off : tile.row_off + tile.height, tile.col_off : tile.col_off + tile.width
        ] = read_cog(path)
    np.testing.assert_array_equal(whole, read_cog(one.path))
    # Tiles travel as JSON (XCom) and come back equal.
    assert [Tile.from_dict(json.loads(json.dumps(t.to_dict()))) for t in tiles] == tiles
    assert Grid.from_dict(json.loads(json.dumps(grid.to_dict()))) == grid


def test_memory_chunks_give_the_same_tile(stack, tmp_path, monkeypatch):
    from landsat_ops.composite import tile as tile_module

    folders, dn, qa = stack
    inputs = open_inputs(folders, tmp_path / "w")
    grid = target_grid(inputs)
    monkeypatch.setattr(tile_module, "CHUNK_BYTES", 5 * 150 * 5 * 7)  # 7 rows a chunk
    assert tile_module.chunk_rows(5, 150, 130) == 7
    summary = write_composite_tile(inputs, grid, Tile(0, 0, 150, 130), tmp_path / "t.tif")
    median, count = expected_median(dn, qa)
    data = read_cog(summary.path)
    np.testing.assert_array_equal(data[:7], median)
    np.testing.assert_array_equal(data[7], count)


def test_medoid_keeps_one_observations_bands(stack, tmp_path):
    folders, dn, qa = stack
    inputs = open_inputs(folders, tmp_path / "w")
    grid = target_grid(inputs)
    summary = write_composite_tile(
        inputs, grid, Tile(0, 0, grid.width, grid.height), tmp_path / "m.tif", stat="medoid"
    )
    data = read_cog(summary.path)
    _, count = expected_median(dn, qa)
    obs = np.where((np.isin(qa, (21824, 21952, 13600)))[:, None], reflectance(dn), np.nan)
    chosen = kernels.medoid_reference(obs)
    rows, cols = np.nonzero(chosen >= 0)
    np.testing.assert_array_equal(data[:7, rows, cols], obs[chosen[rows, cols], :, rows, cols].T)
    assert np.isnan(data[:7][:, chosen < 0]).all()
    np.testing.assert_array_equal(data[7], count)
    # Each output pixel is one scene's seven bands, not a mix of dates.
    assert (chosen[count > 2] >= 0).all()


def test_assemble_refuses_missing_tiles_and_no_clear_pixel(stack, tmp_path):
    folders, _, _ = stack
    inputs = open_inputs(folders, tmp_path / "w")
    grid = target_grid(inputs)
    tiles = plan_tiles(grid, 64)
    paths = [write_composite_tile(inputs, grid, t, tmp_path / f"{t.name}.tif").path for t in tiles]
    with pytest.raises(CompositeError, match="tile is missing"):
        assemble(paths[:-1], grid, tmp_path / "o", composite_id="x", products="ndvi", inputs=inputs)
    cloudy = np.full((1, 20, 20), 55052, np.uint16)
    scene = write_scene(tmp_path / "c", DAYS[5], np.full((7, 20, 20), 9000, np.uint16), cloudy[0])
    one = open_inputs([scene], tmp_path / "w2")
    g = target_grid(one)
    t = write_composite_tile(one, g, Tile(0, 0, 20, 20), tmp_path / "c.tif")
    assert t.clear_pixels == 0
    with pytest.raises(CompositeError, match="no clear pixel"):
        assemble([t.path], g, tmp_path / "o2", composite_id="x", products="ndvi", inputs=one)


def test_publishing_twice_writes_nothing(stack, tmp_path):
    folders, _, _ = stack
    dest = tmp_path / "out"
    compose(folders[:3], dest, products="truecolor", workdir=tmp_path)
    before = {p: p.stat().st_mtime_ns for p in dest.rglob("*")}
    compose(list(reversed(folders[:3])), dest, products="truecolor", workdir=tmp_path)
    assert {p: p.stat().st_mtime_ns for p in dest.rglob("*")} == before


def test_archives_are_inputs_like_folders(tmp_path):
    import tarfile

    from landsat_demo.synthetic import make_scene

    folders = [
        make_scene(tmp_path / "l1", acquired=day, width=64, height=64, seed=i, cloud_cover=40)
        for i, day in enumerate([dt.date(2024, 7, 14), dt.date(2024, 7, 30)])
    ]
    archive = tmp_path / f"{folders[0].name}.tar"
    with tarfile.open(archive, "w") as tar:
        for path in sorted(folders[0].iterdir()):
            tar.add(path, arcname=path.name)
    compose([archive, folders[1]], tmp_path / "a", products="ndvi", workdir=tmp_path)
    compose(folders, tmp_path / "f", products="ndvi", workdir=tmp_path)
    _, got = read_reflectance(_published(tmp_path / "a")["reflectance.tif"])
    np.testing.assert_array_equal(
        got, read_reflectance(_published(tmp_path / "f")["reflectance.tif"])[1]
    )
    assert np.isfinite(got).mean() > 0.3


def test_level1_reflectance_is_sun_corrected_toa(tmp_path):
    import math

    from landsat_demo.synthetic import make_scene
    from landsat_ops.scene import read_mtl

    folder = make_scene(tmp_path, acquired=dt.date(2024, 7, 14), width=64, height=64, seed=3)
    inputs = open_inputs([folder], tmp_path / "w")
    grid = target_grid(inputs)
    data = read_cog(write_composite_tile(inputs, grid, Tile(0, 0, 64, 64), tmp_path / "t.tif").path)
    meta = read_mtl(next(folder.glob("*_MTL.txt")))
    qa = read_cog(next(folder.glob("*_QA_PIXEL.TIF")))[0]
    clear = (qa & 0b11111) == 0
    mu = math.sin(math.radians(meta.sun_elevation))
    for i, b in enumerate((1, 2, 3, 4, 5, 6, 7)):
        dn = read_cog(next(folder.glob(f"*_B{b}.TIF")))[0].astype(np.float64)
        toa = (dn * meta.reflectance_mult[b] / mu + meta.reflectance_add[b] / mu).astype(np.float32)
        np.testing.assert_array_equal(data[i][clear], toa[clear])
        assert np.isnan(data[i][~clear]).all()
    assert inputs[0].level == "L1" and clear.any() and not clear.all()


@pytest.mark.parametrize(
    ("kind", "clear", "cirrus"),
    [
        pytest.param("c2", 21824, 21824 | 1 << 2, id="c2-bit-2"),
        pytest.param("c1", 2720, 2720 | 3 << 11, id="c1-bits-11-12"),
        pytest.param("pre-collection", 20480, 20480 | 3 << 12, id="pre-collection-bits-12-13"),
    ],
)
def test_cirrus_is_not_clear_for_a_composite_in_every_qa_layout(kind, clear, cirrus):
    from landsat_ops.composite.clear import composite_clear_lut
    from landsat_ops.scene.qa import clear_mask

    qa = np.array([clear, cirrus], np.uint16)
    assert clear_mask(qa, kind).tolist() == [True, True]  # the renderer's rule keeps cirrus
    assert composite_clear_lut(kind)[qa].tolist() == [1, 0]
