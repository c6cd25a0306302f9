"""Scenes of two path/rows in two UTM zones, warped onto one target grid (issue 19)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from affine import Affine
from rasterio.enums import Resampling
from rasterio.warp import reproject, transform

from landsat_ops.composite import (
    CompositeError,
    Tile,
    open_inputs,
    plan_tiles,
    target_grid,
    write_composite_tile,
)
from tests.support.composites import expected_median, random_stack, read_cog, write_scene

TARGET = "EPSG:3413"  # NSIDC polar stereographic north, the Greenland mosaics' CRS


@pytest.fixture(scope="module")
def two_zones(tmp_path_factory):
    """Two scenes of 226/010 (UTM 27N) and one of 227/010 (UTM 26N) overlapping it."""
    root = tmp_path_factory.mktemp("zones")
    dn, qa = random_stack(3, 40, 50, seed=7, clear_share=0.6)
    a = Affine(30.0, 0.0, 500000.0, 0.0, -30.0, 7800000.0)
    xs, ys = transform("EPSG:32627", "EPSG:32626", [500000.0 + 600], [7800000.0 - 300])
    b = Affine(30.0, 0.0, round(xs[0] / 30) * 30, 0.0, -30.0, round(ys[0] / 30) * 30)
    scenes = [
        write_scene(root, dt.date(2024, 7, 1), dn[0], qa[0], transform=a),
        write_scene(root, dt.date(2024, 7, 17), dn[1], qa[1], transform=a),
        write_scene(
            root, dt.date(2024, 7, 8), dn[2], qa[2], path=227, crs="EPSG:32626", transform=b
        ),
    ]
    sources = [(dn[0], qa[0], "EPSG:32627", a), (dn[1], qa[1], "EPSG:32627", a)]
    sources.append((dn[2], qa[2], "EPSG:32626", b))
    return scenes, sources


def _warp(array, crs, src_transform, grid, nodata):
    out = np.full((grid.height, grid.width), nodata, array.dtype)
    reproject(
        array,
        out,
        src_transform=src_transform,
        src_crs=crs,
        src_nodata=None if nodata else 0,
        dst_transform=grid.affine,
        dst_crs=grid.crs,
        dst_nodata=nodata,
        resampling=Resampling.nearest,
    )
    return out


def test_several_path_rows_need_a_target_crs(two_zones, tmp_path):
    scenes, _ = two_zones
    inputs = open_inputs(scenes, tmp_path)
    with pytest.raises(CompositeError, match=r"path/rows 226/010, 227/010 .* --crs"):
        target_grid(inputs)


def test_warped_composite_equals_a_reproject_of_each_source(two_zones, tmp_path):
    scenes, sources = two_zones
    inputs = open_inputs(scenes, tmp_path / "w")
    grid = target_grid(inputs, TARGET, 45.0)
    assert grid.crs == TARGET and grid.resolution == (45.0, 45.0)
    assert grid.transform[2] % 45 == 0 and grid.transform[5] % 45 == 0  # snapped
    dn = np.stack([np.stack([_warp(b, c, t, grid, 0) for b in d]) for d, _, c, t in sources])
    qa = np.stack([_warp(q, c, t, grid, 1) for _, q, c, t in sources])
    assert (qa != 1).sum(axis=(1, 2)).min() > 500  # every source lands on the grid
    median, count = expected_median(dn, qa)
    whole = np.full((8, grid.height, grid.width), -1.0, np.float32)
    for tile in plan_tiles(grid, 64):
        path = tmp_path / f"{tile.name}.tif"
        write_composite_tile(inputs, grid, tile, path)
        rows = slice(tile.row_off, tile.row_off + tile.height)
        whole[:, rows, tile.col_off : tile.col_off + tile.width] = read_cog(path)
    np.testing.assert_array_equal(whole[:7], median)
    np.testing.assert_array_equal(whole[7], count)
    assert count.max() == 3  # the zones' scenes overlap: observations pooled, not painted over


def test_one_zone_with_its_own_crs_keeps_the_native_grid(two_zones, tmp_path):
    scenes, sources = two_zones
    inputs = open_inputs(scenes[:2], tmp_path)
    native = target_grid(inputs)
    assert target_grid(inputs, "EPSG:32627") == native
    assert native.transform == tuple(sources[0][3])[:6] and (native.width, native.height) == (
        50,
        40,
    )
    summary = write_composite_tile(inputs, native, Tile(0, 0, 50, 40), tmp_path / "t.tif")
    median, count = expected_median(
        np.stack([s[0] for s in sources[:2]]), np.stack([s[1] for s in sources[:2]])
    )
    np.testing.assert_array_equal(read_cog(summary.path)[:7], median)
