"""The extent table (merge, CSV, Parquet), its plot, trend and page, on a synthetic season."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from PIL import Image

from landsat_ops.errors import OptionError, StorageError
from landsat_ops.extent.page import extent_page
from landsat_ops.extent.plots import plot_extent, trend_per_year
from landsat_ops.extent.table import (
    COLUMNS,
    extent_from_csv,
    extent_from_parquet,
    extent_to_csv,
    extent_to_parquet,
    merge_extent_rows,
    read_extent_table,
    write_extent_table,
)


def season(scenes: int = 8, shrink_per_year: float = 12.0) -> list[dict]:
    """Rows of a glacier polygon shrinking linearly, every 16 days; every third scene cloudy."""
    rows = []
    start = dt.datetime(2021, 6, 1, 13, 20, tzinfo=dt.UTC)
    for i in range(scenes):
        when = start + dt.timedelta(days=16 * i)
        years = (when - start).total_seconds() / (365.2425 * 86400)
        clear = 0.3 if i % 3 == 2 else 0.95
        for region, ice, water in (("path_row", 900.0, 400.0), ("glacier", 120.0, 3.0)):
            area = ice - shrink_per_year * years if region == "glacier" else ice
            rows.append(
                {
                    "scene_id": f"LC08_L1TP_226010_{when:%Y%m%d}_20240101_02_T1",
                    "acquired": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "path": 226,
                    "row": 10,
                    "region": region,
                    "region_km2": 2000.0 if region == "path_row" else 150.0,
                    "observed_km2": 2000.0 if region == "path_row" else 150.0,
                    "clear_km2": clear * (2000.0 if region == "path_row" else 150.0),
                    "clear_fraction": clear,
                    "snow_ice_km2": area * clear,
                    "water_km2": water * clear,
                    "scene_cloud_cover": None if i == 0 else round(100 * (1 - clear), 1),
                }
            )
    return rows


def test_merge_replaces_the_rows_of_a_scene_and_files_round_trip(tmp_path):
    rows = season()
    table = merge_extent_rows([], rows)
    assert merge_extent_rows(table, table) == table  # idempotent
    again = [{**r, "water_km2": 1.5} for r in rows if r["scene_id"] == rows[4]["scene_id"]]
    merged = merge_extent_rows(table, again)
    assert len(merged) == len(table)
    assert {r["water_km2"] for r in merged if r["scene_id"] == rows[4]["scene_id"]} == {1.5}
    assert extent_from_csv(extent_to_csv(table)) == table
    assert extent_from_parquet(extent_to_parquet(table)) == table
    assert table[0]["scene_cloud_cover"] is None and list(table[0]) == list(COLUMNS)
    for suffix in (".csv", ".parquet"):
        uri = write_extent_table(rows, tmp_path / f"t{suffix}")
        assert read_extent_table(uri) == table
    with pytest.raises(OptionError, match=r"unknown table format \.txt"):
        write_extent_table(rows, tmp_path / "t.txt")
    with pytest.raises(StorageError, match=r"x.csv: line 2: row is 'lots0' \(expected a whole"):
        extent_from_csv(extent_to_csv(table).replace(b",1", b",lots", 1), "x.csv")
    assert read_extent_table(tmp_path / "missing.csv", missing_ok=True) == []


def test_trend_over_the_clear_points():
    rows = [r for r in season(12) if r["region"] == "glacier" and r["clear_fraction"] > 0.8]
    times = [dt.datetime.strptime(r["acquired"], "%Y-%m-%dT%H:%M:%SZ") for r in rows]
    slope = trend_per_year(times, [r["snow_ice_km2"] / 0.95 for r in rows])
    assert slope == pytest.approx(-12.0, rel=1e-6)
    assert trend_per_year(times[:2], [1.0, 2.0]) is None
    assert trend_per_year([times[0]] * 3, [1.0, 2.0, 3.0]) is None


def test_plot_one_panel_per_region_hollow_cloudy_points(tmp_path):
    out = plot_extent(season(), tmp_path / "extent.png", title="test", clear_threshold=0.8)
    with Image.open(out) as image:
        assert image.size == (1100, 220 + 260 * 2)
        pixels = np.asarray(image.convert("RGB"))
    # The snow/ice colour (#1b9fd8) is drawn: lines and filled markers of the clear points.
    ice = np.all(np.abs(pixels.astype(int) - (0x1B, 0x9F, 0xD8)) < 8, axis=-1)
    assert ice.sum() > 500
    with pytest.raises(OptionError, match="no rows"):
        plot_extent([], tmp_path / "none.png")
    with pytest.raises(OptionError, match="clear threshold 2"):
        plot_extent(season(), tmp_path / "x.png", clear_threshold=2)


def test_page_lists_the_latest_clear_values():
    rows = season()
    page = extent_page(rows, title="Extent <test>", files={"table (CSV)": "extent.csv"}).decode()
    assert page.startswith("<!doctype html>") and "Extent &lt;test&gt;" in page
    last_clear = [r for r in rows if r["region"] == "glacier" and r["clear_fraction"] >= 0.8][-1]
    assert f"<td>{last_clear['acquired'][:10]}</td>" in page
    assert f"<td>{last_clear['snow_ice_km2']:,.1f}</td>" in page
    assert '<a href="extent.csv">table (CSV)</a>' in page
    assert 'src="extent.png"' in page  # the plot it sits next to
