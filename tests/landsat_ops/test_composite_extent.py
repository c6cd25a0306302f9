"""The snow/ice and water extent of a composite: its median reflectance classified (issue 20)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
import rasterio

from landsat_ops.composite import compose
from landsat_ops.extent.classify import THRESHOLDS
from tests.support.composites import (
    BANDS,
    QA_CLEAR,
    QA_CLOUD,
    expected_median,
    random_stack,
    write_scene,
)

DAYS = [dt.date(2024, 7, 1) + dt.timedelta(days=16 * i) for i in range(3)]
PIXEL_KM2 = 30.0 * 30.0 / 1e6


def _dn(rho: float) -> int:
    return round((rho + 0.2) / 2.75e-05)


def _surface(green: float, nir: float, swir1: float) -> np.ndarray:
    """DN of B1-B7 (0.1 in the bands the extent does not read)."""
    values = {b: 0.1 for b in BANDS} | {3: green, 5: nir, 6: swir1}
    return np.array([_dn(values[b]) for b in BANDS], np.uint16)


SNOW = _surface(0.8, 0.7, 0.05)
WATER = _surface(0.08, 0.02, 0.01)
OTHER = _surface(0.08, 0.35, 0.2)


def _item(dest) -> dict:
    from landsat_ops.render.destination import current_folder

    return json.loads(next(current_folder(dest).glob("*.json")).read_text())


def test_the_median_of_clear_observations_is_classified(tmp_path):
    # Columns 0-3 snow in every scene, 4-7 water, 8-11 snow once and bare twice (the median is
    # bare: one snowy date does not make the period snowy); row 0 cloudy in every scene.
    dn = np.empty((3, len(BANDS), 8, 12), np.uint16)
    dn[:, :, :, :4] = SNOW[None, :, None, None]
    dn[:, :, :, 4:8] = WATER[None, :, None, None]
    dn[:, :, :, 8:] = OTHER[None, :, None, None]
    dn[0, :, :, 8:] = SNOW[:, None, None]
    qa = np.full((3, 8, 12), QA_CLEAR, np.uint16)
    qa[:, 0] = QA_CLOUD
    folders = [write_scene(tmp_path / "s", day, dn[i], qa[i]) for i, day in enumerate(DAYS)]
    compose(folders, tmp_path / "out", products="ndvi", workdir=tmp_path, period="2024-summer")
    extent = _item(tmp_path / "out")["properties"]["landsat_ops:extent"]
    assert extent["snow_ice_km2"] == pytest.approx(7 * 4 * PIXEL_KM2)
    assert extent["water_km2"] == pytest.approx(7 * 4 * PIXEL_KM2)
    assert extent["clear_km2"] == extent["region_km2"] == pytest.approx(7 * 12 * PIXEL_KM2)
    assert extent["clear_fraction"] == 1.0
    assert extent["reflectance"] == "surface" and extent["thresholds"] == THRESHOLDS
    assert extent["polygons"] == {}


def _classify(green, nir, swir1):
    """An independent numpy classification: 2 snow/ice, 3 water, 1 other, 0 no data."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (green - swir1) / (green + swir1)
    finite = np.isfinite(green) & np.isfinite(nir) & np.isfinite(swir1)
    snow = (ratio > 0.4) & (nir > 0.11) & (green > 0.10)
    water = ~snow & (ratio > 0.0) & (nir <= 0.11)
    return np.where(~finite, 0, np.where(snow, 2, np.where(water, 3, 1)))


def test_the_extent_equals_a_numpy_classification_of_the_median(tmp_path):
    dn, qa = random_stack(4, 70, 140, seed=5)
    # Spread green, NIR and SWIR1 so that all three classes occur.
    rng = np.random.default_rng(9)
    dn[:, BANDS.index(6)] = rng.integers(7300, 20000, size=dn[:, 0].shape)
    dn[:, BANDS.index(5)] = rng.integers(7300, 14000, size=dn[:, 0].shape)
    dn[:, :, :3, :4] = 0
    days = [dt.date(2024, 7, 1) + dt.timedelta(days=16 * i) for i in range(4)]
    folders = [write_scene(tmp_path / "s", day, dn[i], qa[i]) for i, day in enumerate(days)]
    compose(folders, tmp_path / "out", products="ndvi", workdir=tmp_path, tile_size=64)
    extent = _item(tmp_path / "out")["properties"]["landsat_ops:extent"]
    median, count = expected_median(dn, qa)
    # The composite classifies its float32 median on the Level-2 DN scale (within 1.4e-5).
    on_scale = [
        (np.rint((median[BANDS.index(b)].astype(np.float64) + 0.2) / 2.75e-05)) * 2.75e-05 - 0.2
        for b in (3, 5, 6)
    ]
    classes = _classify(*on_scale)
    assert ((classes > 0) == (count > 0)).all()
    assert {2, 3, 1} <= set(np.unique(classes))
    assert extent["snow_ice_km2"] == pytest.approx((classes == 2).sum() * PIXEL_KM2)
    assert extent["water_km2"] == pytest.approx((classes == 3).sum() * PIXEL_KM2)
    assert extent["clear_km2"] == pytest.approx((count > 0).sum() * PIXEL_KM2)
    # The paletted class COG holds the same codes, its overviews nearest samples of them.
    from landsat_ops.render.destination import current_folder

    folder = current_folder(tmp_path / "out")
    with rasterio.open(next(folder.glob("*_extent.tif"))) as ds:
        np.testing.assert_array_equal(ds.read(1), classes)
        assert ds.colorinterp[0].name == "palette" and ds.nodata == 0
        assert ds.colormap(1)[2] == (170, 230, 255, 255)
    item = _item(tmp_path / "out")
    asset = item["assets"]["extent_tif"]
    assert [c["name"] for c in asset["classification:classes"]][2] == "snow_ice"
    assert "extent_png" in item["assets"]


def test_composite_rows_join_the_scene_rows_of_the_table(tmp_path):
    from landsat_ops.extent.table import (
        COLUMNS,
        composite_rows,
        extent_from_csv,
        extent_from_parquet,
        extent_to_csv,
        extent_to_parquet,
        merge_extent_rows,
    )

    dn = np.stack([np.broadcast_to(SNOW[:, None, None], (len(BANDS), 6, 8))] * 2)
    qa = np.full((2, 6, 8), QA_CLEAR, np.uint16)
    folders = [write_scene(tmp_path / "s", day, dn[i], qa[i]) for i, day in enumerate(DAYS[:2])]
    compose(folders, tmp_path / "out", products="ndvi", workdir=tmp_path, period="2024-07")
    item = _item(tmp_path / "out")
    (row,) = composite_rows(item)
    assert row["kind"] == "composite" and row["period"] == "2024-07"
    assert (row["start"], row["end"]) == ("2024-07-01T00:00:00Z", "2024-07-17T00:00:00Z")
    assert row["acquired"] == "2024-07-09T00:00:00Z" and (row["path"], row["row"]) == (226, 10)
    assert row["snow_ice_km2"] == pytest.approx(48 * PIXEL_KM2) and row["water_km2"] == 0
    scene = {c: row[c] for c in COLUMNS[:12]} | {"scene_id": "LC08_X", "scene_cloud_cover": 3.0}
    table = merge_extent_rows([scene], [row])
    assert [r["kind"] for r in table] == ["scene", "composite"]
    assert table[0]["period"] is None
    assert extent_from_csv(extent_to_csv(table)) == table
    assert extent_from_parquet(extent_to_parquet(table)) == table
    # A table written before composites had rows reads as scene rows.
    old = "\n".join([",".join(COLUMNS[:12]), ",".join(str(scene[c]) for c in COLUMNS[:12])])
    assert extent_from_csv(old) == [table[0]]
    assert composite_rows({"properties": {}}) == []


def _row(sid, when, snow, **extra):
    return {
        "scene_id": sid,
        "acquired": when,
        "path": 226,
        "row": 10,
        "region": "path_row",
        "region_km2": 100.0,
        "observed_km2": 100.0,
        "clear_km2": 100.0,
        "clear_fraction": 1.0,
        "snow_ice_km2": snow,
        "water_km2": 5.0,
        "scene_cloud_cover": None,
        **extra,
    }


def test_the_plot_draws_composites_apart_and_the_page_lists_scenes(tmp_path):
    from PIL import Image

    from landsat_ops.extent.page import extent_page
    from landsat_ops.extent.plots import plot_extent

    scenes = [_row(f"S{i}", f"2024-07-{1 + 8 * i:02d}T12:00:00Z", 50.0 - i) for i in range(4)]
    period = {"kind": "composite", "period": "2024-07"}
    period |= {"start": "2024-07-20T12:00:00Z", "end": "2024-08-05T12:00:00Z"}
    composite = _row("p226r010_2024-07", "2024-07-28T12:00:00Z", 20.0, **period)
    plot_extent(scenes, tmp_path / "a.png")
    plot_extent([*scenes, composite], tmp_path / "b.png")
    a, b = (np.asarray(Image.open(tmp_path / n).convert("RGB")) for n in ("a.png", "b.png"))
    assert a.shape == b.shape and (a != b).any(axis=2).sum() > 200  # the diamonds, the bars
    page = extent_page([*scenes, composite], title="t").decode()
    assert "2024-07-25" in page and "2024-07-28" not in page  # the latest clear *scene*
