"""The composites' rows of an area's extent table (issue 20: per composite period too): the
``landsat_ops:extent`` of the published path/row composites, merged next to the scene rows."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from tests.support.airflow_home import use_private_home  # noqa: E402

use_private_home()  # before the first Airflow import


from landsat_demo.synthetic import make_scene  # noqa: E402
from landsat_ops.composite import compose  # noqa: E402
from landsat_ops.extent.table import read_extent_table  # noqa: E402
from landsat_ops.storage import open_store  # noqa: E402
from landsat_pipeline.analytics_extent import (  # noqa: E402
    composite_extent_rows,
    extent_keys,
    merge_extent_table,
    publish_extent_page,
)
from landsat_pipeline.config import load_config  # noqa: E402
from landsat_pipeline.keys import composite_keys  # noqa: E402

DAYS = (datetime.date(2024, 6, 12), datetime.date(2024, 6, 28))


def _config(folder: Path) -> Path:
    document = {
        "catalog": {"url": str(folder / "catalog.json")},
        "storage": {"root": str(folder / "bucket")},
        "areas": {"scoresby_sund": {"path_rows": [[226, 10]]}},
    }
    path = folder / "areas.yaml"
    path.write_text(json.dumps(document))
    return path


def test_published_composites_add_one_row_per_period(tmp_path):
    scenes = [
        make_scene(tmp_path / "s", acquired=day, width=96, height=96, seed=i, cloud_cover=30)
        for i, day in enumerate(DAYS)
    ]
    store = open_store(tmp_path / "bucket")
    items = {}
    for label, refs in (("2024-06a", scenes[:1]), ("2024-06", scenes)):
        keys = composite_keys(226, 10, label)
        compose(
            refs,
            store.uri(keys["dest"]),
            products="ndvi",
            workdir=tmp_path,
            composite_id=keys["id"],
            period=label,
        )
        items[keys["id"]] = json.loads(store.read_bytes(keys["item"]))
    rows = composite_extent_rows(store, [(226, 10)])
    assert sorted(r["scene_id"] for r in rows) == sorted(items)
    for row in rows:
        fields = items[row["scene_id"]]["properties"]["landsat_ops:extent"]
        assert row["kind"] == "composite" and row["region"] == "path_row"
        assert row["snow_ice_km2"] == fields["snow_ice_km2"] > 0
        assert row["water_km2"] == fields["water_km2"]
        assert row["period"] == items[row["scene_id"]]["properties"]["landsat_ops:period"]
    assert composite_extent_rows(store, [(227, 10)]) == []

    config = load_config(_config(tmp_path))
    merged = merge_extent_table(config, "scoresby_sund", [])
    assert merged["rows"] == 2 and merged["changed"]
    table = read_extent_table(store.uri(extent_keys("scoresby_sund")["extent_csv"]))
    assert sorted(r["period"] for r in table) == ["2024-06", "2024-06a"]
    assert merge_extent_table(config, "scoresby_sund", [])["changed"] is False
    page = publish_extent_page(config, "scoresby_sund")
    assert Path(page["extent_png"]).stat().st_size > 10_000
