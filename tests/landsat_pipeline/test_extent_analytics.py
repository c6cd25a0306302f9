"""The extent side of the archive analytics (landsat_pipeline/analytics_extent.py) and the
config's ``polygons`` key, on a local bucket with one synthetic 226/010 scene (300 x 300)."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

from tests.support.airflow_home import use_private_home  # noqa: E402

use_private_home()  # before the first Airflow import

import pytest  # noqa: E402

from landsat_demo.synthetic import make_scene  # noqa: E402
from landsat_ops.extent import PolygonError, measure_scene, read_polygons  # noqa: E402
from landsat_ops.extent.table import merge_extent_rows, read_extent_table  # noqa: E402
from landsat_ops.storage import open_store  # noqa: E402
from landsat_pipeline.analytics_extent import (  # noqa: E402
    extent_keys,
    measure_landed_scene,
    merge_extent_table,
    publish_extent_page,
    scenes_to_measure,
)
from landsat_pipeline.config import load_config  # noqa: E402
from landsat_pipeline.errors import ConfigError  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
POLYGONS = REPO / "dags" / "config" / "polygons" / "scoresby_sund.geojson"
DAY = datetime.date(2024, 6, 28)
FAR = {
    "type": "Feature",
    "properties": {"name": "kap_brewster"},  # 70.15 N, 22.0 W: off the test scene
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[-22.1, 70.1], [-21.9, 70.1], [-21.9, 70.2], [-22.1, 70.1]]],
    },
}


def write_config(folder: Path, polygons: str | None, *, path_rows=((226, 10),)) -> Path:
    area = {"path_rows": [list(pr) for pr in path_rows]}  # no points: the extent still runs
    if polygons is not None:
        area["polygons"] = polygons
    document = {
        "catalog": {"url": str(folder / "catalog.json")},
        "storage": {"root": str(folder / "bucket")},
        "areas": {"scoresby_sund": area},
    }
    path = folder / "areas.yaml"
    path.write_text(json.dumps(document))
    return path


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scene")
    return make_scene(folder, acquired=DAY, width=300, height=300, seed=7)


@pytest.fixture
def bucket(tmp_path, scene):
    """The scene landed (with B6) and published in a local bucket."""
    from landsat_pipeline.publishing import update_catalogs

    store = open_store(tmp_path / "bucket")
    shutil.copytree(scene, tmp_path / "bucket" / "landing" / scene.name)
    item = {"type": "Feature", "id": scene.name, "properties": {"datetime": f"{DAY}T13:00:00Z"}}
    store.write_bytes(f"published/226/010/{DAY}/{scene.name}.json", json.dumps(item).encode())
    update_catalogs(store, 226, 10, title="test")
    return store


def test_config_polygons_relative_checked_on_load(tmp_path):
    shutil.copy(POLYGONS, tmp_path / "p.geojson")
    config = load_config(write_config(tmp_path, "p.geojson"))
    assert [p.name for p in config.area("scoresby_sund").polygons] == [
        "hurry_inlet",
        "jameson_land_snowfield",
        "jameson_land_se",
    ]
    assert load_config(write_config(tmp_path, None)).area("scoresby_sund").polygons == ()
    (tmp_path / "bad.geojson").write_text('{"type": "FeatureCollection", "features": [1]}')
    with pytest.raises(ConfigError, match=r"areas.scoresby_sund.polygons .*feature 1: not a"):
        load_config(write_config(tmp_path, "bad.geojson"))
    with pytest.raises(ConfigError, match=r"areas.scoresby_sund.polygons .*missing.geojson"):
        load_config(write_config(tmp_path, "missing.geojson"))


def test_scenes_measure_merge_and_page(tmp_path, bucket, scene):
    config = load_config(write_config(tmp_path, str(POLYGONS)))
    chosen = scenes_to_measure(config, bucket)
    assert [s["scene_id"] for s in chosen["scenes"]] == [scene.name]  # an area without points
    rows = measure_landed_scene(chosen["scenes"][0], config)
    assert rows == measure_scene(scene, read_polygons(POLYGONS)).rows()
    for row in rows[1:]:  # the demo polygons lie wholly inside the scene's footprint
        assert row["observed_km2"] == pytest.approx(row["region_km2"], rel=2e-3), row["region"]

    keys = extent_keys("scoresby_sund")
    merged = merge_extent_table(config, "scoresby_sund", [rows])
    assert merged["changed"] and merged["rows"] == 4 and merged["scenes"] == 1
    assert read_extent_table(bucket.uri(keys["extent_parquet"])) == merge_extent_rows([], rows)
    assert merge_extent_table(config, "scoresby_sund", [rows])["changed"] is False
    page = publish_extent_page(config, "scoresby_sund")
    assert Path(page["extent_png"]).stat().st_size > 20_000
    assert "jameson_land_snowfield" in Path(page["extent_html"]).read_text()

    # A polygon dropped from the config drops its rows at the next merge.
    kept = json.loads(POLYGONS.read_text())
    kept["features"] = kept["features"][:1]
    (tmp_path / "one.geojson").write_text(json.dumps(kept))
    fewer = load_config(write_config(tmp_path, "one.geojson"))
    again = merge_extent_table(fewer, "scoresby_sund", [])
    assert again["regions"] == ["hurry_inlet", "path_row"]


def test_without_swir1_the_scene_is_not_landed(tmp_path, bucket, scene):
    config = load_config(write_config(tmp_path, None))
    (tmp_path / "bucket" / "landing" / scene.name / f"{scene.name}_B6.TIF").unlink()
    chosen = scenes_to_measure(config, bucket)
    assert chosen["scenes"] == [] and chosen["not_landed"] == [scene.name]


def test_a_polygon_off_the_path_row(tmp_path, bucket, scene):
    document = json.loads(POLYGONS.read_text())
    document["features"].append(FAR)
    (tmp_path / "far.geojson").write_text(json.dumps(document))
    config = load_config(write_config(tmp_path, "far.geojson"))
    (chosen,) = scenes_to_measure(config, bucket)["scenes"]
    with pytest.raises(PolygonError, match=r"polygon 'kap_brewster' lies outside scene LC08_"):
        measure_landed_scene(chosen, config)
    # In an area of two path/rows, it belongs to the other one: left out here.
    two = load_config(write_config(tmp_path, "far.geojson", path_rows=((226, 10), (225, 11))))
    (chosen,) = scenes_to_measure(two, bucket)["scenes"]
    assert [r["region"] for r in measure_landed_scene(chosen, two)][-1] == "jameson_land_se"


def test_the_items_extent_is_taken_when_of_the_same_polygons(tmp_path, bucket, scene, caplog):
    """A scene rendered with the extent product and the area's polygons: its rows come from
    the item (equal to measuring the bands). Other polygons in the config since: measured."""
    import logging

    from landsat_ops.render import render_scene

    config = load_config(write_config(tmp_path, str(POLYGONS)))
    prefix = bucket.uri(f"published/226/010/{DAY}")
    render_scene(scene, prefix, products="extent", polygons=POLYGONS.read_text(), preview_size=64)
    (chosen,) = scenes_to_measure(config, bucket)["scenes"]
    expected = measure_scene(scene, read_polygons(POLYGONS)).rows()
    # The landed bands are gone: only the item can give the rows now.
    landed = tmp_path / "bucket" / "landing" / scene.name
    saved = tmp_path / "saved"
    shutil.move(landed, saved)
    with caplog.at_level(logging.INFO, logger="landsat_pipeline.analytics_extent"):
        assert measure_landed_scene(chosen, config) == expected
    assert f"{scene.name} (from its published item)" in caplog.text
    shutil.move(saved, landed)
    # One polygon less in the config: the item's figures are of other polygons, measured again.
    kept = json.loads(POLYGONS.read_text())
    kept["features"] = kept["features"][:1]
    (tmp_path / "one.geojson").write_text(json.dumps(kept))
    fewer = load_config(write_config(tmp_path, "one.geojson"))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="landsat_pipeline.analytics_extent"):
        rows = measure_landed_scene(chosen, fewer)
    assert [r["region"] for r in rows] == ["path_row", "hurry_inlet"]
    assert rows == expected[:2]
    assert "of other polygons: measured again" in caplog.text


def test_the_render_gets_the_areas_polygons(tmp_path):
    from landsat_pipeline.render_jobs import render_polygons

    polygons = tuple(read_polygons(POLYGONS))
    one = load_config(write_config(tmp_path, str(POLYGONS)))
    assert render_polygons(one, 226, 10) == {"polygons": polygons, "skip_outside": False}
    two = load_config(write_config(tmp_path, str(POLYGONS), path_rows=((226, 10), (225, 11))))
    assert render_polygons(two, 225, 11) == {"polygons": polygons, "skip_outside": True}
    assert render_polygons(load_config(write_config(tmp_path, None)), 226, 10) == {}
    document = json.loads(write_config(tmp_path, str(POLYGONS)).read_text())
    document["defaults"] = {"products": ["truecolor"]}  # no extent product: no polygons
    (tmp_path / "areas.yaml").write_text(json.dumps(document))
    assert render_polygons(load_config(tmp_path / "areas.yaml"), 226, 10) == {}
