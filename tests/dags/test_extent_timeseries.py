"""The extent half of the landsat_ndvi_timeseries DAG, with `dag.test()` against moto S3.

A season of the demo region (226/010, June to August 2024, one every 16 days, 300 x 300 synthetic
scenes) is landed (B1-B7, the QA band and the MTL: landsat_pipeline.landing.LANDED_ASSETS) and
published into the moto bucket the way the scenes DAG leaves it, with the repository's
polygons (dags/config/polygons/scoresby_sund.geojson): half the season by the render's
``extent`` product with the area's polygons (their items carry ``landsat_ops:extent``, which
the DAG takes as it is), half with items without it (rendered before the product existed:
the DAG measures their landed bands). Scenes landed before B6 was (no SWIR1) are left out
and the rest of the run goes on.
"""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest

from tests.support.dagenv import (
    BUCKET,
    PATH,
    REPO,
    ROW,
    drop_env_credentials,
    load_dag,
    task_states,
)

DAG_ID = "landsat_ndvi_timeseries"
AREA = "scoresby_sund"
PREFIX = f"published/analytics/{AREA}"
POLYGONS = REPO / "dags" / "config" / "polygons" / "scoresby_sund.geojson"
SEASON = (datetime.date(2024, 6, 1), datetime.date(2024, 8, 31))
WRITES = {"PutObject", "CopyObject", "UploadPart", "CreateMultipartUpload", "DeleteObject"}


@pytest.fixture(scope="module")
def season(tmp_path_factory) -> Path:
    """A static catalog of a summer of synthetic 226/010 scenes (300 x 300)."""
    from landsat_demo.synthetic import make_catalog

    root = tmp_path_factory.mktemp("season")
    return make_catalog(
        root, path=PATH, row=ROW, start=SEASON[0], end=SEASON[1], width=300, height=300
    )


@pytest.fixture
def s3(s3_client, s3_calls):
    """A verification client (the tasks get endpoint and credentials from the connection only)
    and the list of S3 calls the tasks' clients made."""
    return s3_client, s3_calls


def publish_season(client, catalog: Path, *, with_swir1: bool, rendered: int = 0) -> list[dict]:
    """Land and publish every scene of ``catalog``; their XComs. The first ``rendered`` are
    published by the render's extent product (with the area's polygons), the others with a
    bare item; without SWIR1 the landed B6 is removed again (a scene landed before it was)."""
    import landsat_pipeline.landing as landing
    from landsat_ops.extent import read_polygons
    from landsat_ops.render import render_scene
    from landsat_ops.storage import open_store
    from landsat_pipeline.discovery import discover, scene_to_xcom
    from landsat_pipeline.keys import published_prefix
    from landsat_pipeline.publishing import update_catalogs

    assert "B6" in landing.LANDED_ASSETS  # the extent product's SWIR1 is landed
    store = open_store(f"s3://{BUCKET}", client)
    end = SEASON[1] + datetime.timedelta(days=1)
    scenes = [
        scene_to_xcom(s)
        for s in discover(str(catalog), path=PATH, row=ROW, start=SEASON[0], end=end)
    ]
    for i, scene in enumerate(scenes):
        landing.land_scene(scene, store)
        if not with_swir1:
            store.delete(f"landing/{scene['scene_id']}/{scene['scene_id']}_B6.TIF")
        prefix = published_prefix(PATH, ROW, scene["date"])
        if i < rendered:
            render_scene(
                catalog.parent / "scenes" / scene["scene_id"],
                store.uri(prefix),
                products="extent",
                polygons=tuple(read_polygons(POLYGONS)),
                preview_size=64,
                s3_client=client,
            )
            continue
        item = {
            "type": "Feature",
            "stac_version": "1.1.0",
            "id": scene["scene_id"],
            "properties": {"datetime": scene["acquired"]},
            "assets": {},
            "links": [],
        }
        key = f"{prefix}/{scene['scene_id']}.json"
        store.write_bytes(key, json.dumps(item).encode(), "application/geo+json")
    update_catalogs(store, PATH, ROW, title="test")
    return scenes


@pytest.fixture
def dag(airflow_db, pipeline_config):
    points = [{"id": "hurry_inlet_w", "lon": -22.74, "lat": 70.80}]
    pipeline_config(area={"points": points, "polygons": str(POLYGONS)})
    return load_dag(DAG_ID)


def read(client, key: str) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


@pytest.mark.timeout(420)
def test_a_season_gives_the_extent_table_plot_page_and_report(dag, s3, season, monkeypatch, caplog):
    from PIL import Image

    from landsat_ops.extent import measure_scene, read_polygons
    from landsat_ops.extent.table import extent_from_csv, extent_from_parquet

    client, calls = s3
    scenes = publish_season(client, season, with_swir1=True, rendered=3)
    assert len(scenes) == 6  # June to August: the catalog has an overpass every 16 days
    drop_env_credentials(monkeypatch)  # the tasks get them from the connection only

    dag_run = dag.test()
    assert dag_run.state == "success"
    ran = task_states(dag_run)
    assert ran["measure_extent"] == ["success"] * len(scenes)
    assert ran["merge_extent"] == ran["plot_extent"] == ["success"]
    assert ran["publish_report"] == ["success"]
    # The rendered half from their items (no band read), the others from their bands.
    for i, scene in enumerate(scenes):
        source = "its published item" if i < 3 else "the bands under"
        assert f"{scene['scene_id']} (from {source}" in caplog.text

    # The table: what landsat_ops.extent measures in the catalog's own scene folders.
    polygons = read_polygons(POLYGONS)
    table = extent_from_csv(read(client, f"{PREFIX}/extent.csv"))
    regions = ["path_row", *(p.name for p in polygons)]
    assert len(table) == len(scenes) * len(regions)
    expected = {}
    for scene in scenes:
        folder = season.parent / "scenes" / scene["scene_id"]
        for row in measure_scene(folder, polygons).rows():
            expected[row["scene_id"], row["region"]] = row
    for row in table:
        assert row == expected[row["scene_id"], row["region"]]
    assert extent_from_parquet(read(client, f"{PREFIX}/extent.parquet")) == table
    # A season of the demo: ice and water in every scene, regions seen clear and cloudy ones.
    whole = [r for r in table if r["region"] == "path_row"]
    assert all(r["snow_ice_km2"] > 0 and r["water_km2"] > 0 for r in whole)
    assert min(r["clear_fraction"] for r in table) < 0.8 < max(r["clear_fraction"] for r in table)

    # The plot: one panel per region; the page links it and the table files.
    png = read(client, f"{PREFIX}/extent.png")
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
        assert image.size == (1100, 220 + 260 * len(regions))
    page = read(client, f"{PREFIX}/extent.html").decode()
    assert page.startswith("<!doctype html>") and 'src="extent.png"' in page
    assert 'href="extent.csv"' in page and 'href="extent.parquet"' in page
    for polygon in polygons:
        assert f"<td>{polygon.name}</td>" in page

    # The report shows the extent section with its figure and per-region summary.
    html = read(client, f"{PREFIX}/report.html").decode()
    assert "Snow/ice and water extent" in html
    assert f"{len(scenes)} scenes measured" in html
    assert html.count("data:image/png;base64,") >= 3
    for polygon in polygons:
        assert polygon.name in html

    # The same rows merged again, the page drawn again (as a rerun does): nothing is written.
    from landsat_pipeline.analytics_extent import merge_extent_table, publish_extent_page
    from landsat_pipeline.config import load_config
    from tests.support.dagenv import CONFIG_FILE

    config = load_config(CONFIG_FILE)
    calls.clear()
    merged = merge_extent_table(config, AREA, [table[: len(regions)], table[len(regions) :]])
    assert merged["changed"] is False and merged["rows"] == len(table)
    publish_extent_page(config, AREA)
    writes = [url for name, url in calls if name in WRITES and f"{PREFIX}/extent." in url]
    assert writes == []


def test_without_swir1_landed_the_extent_leaves_the_scenes_out(
    dag, s3, season, monkeypatch, caplog
):
    client, _ = s3
    publish_season(client, season, with_swir1=False)
    dag_run = dag.test(run_conf={"start": "2024-06-01", "end": "2024-06-20"})
    assert dag_run.state == "success"
    ran = task_states(dag_run)
    assert ran["list_extent_scenes"] == ["success"]
    assert ran["measure_extent"] == ran["merge_extent"] == ["skipped"]
    assert ran["publish_report"] == ["success"]  # the NDVI report goes on
    assert "published without B3/B5/B6/QA landed: ['LC0" in caplog.text
    html = read(client, f"{PREFIX}/report.html").decode()
    assert "No extent table yet" in html
