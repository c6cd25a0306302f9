"""The landsat_composites DAG with `dag.test()` against a moto S3 bucket.

The three scenes of the test catalog (226/010, 2024-06-12, 06-28, 07-14; 300 x 300 px) are
landed and published into the bucket as the scenes DAG leaves them. A run for the period
`2024-summer` makes the path/row's composite from 2 x 2 tiles mapped over the scenes,
publishes it with its STAC collection, catalog and gallery; the same run again writes
nothing. (The region mosaic of two overlapping path/rows: tests/landsat_pipeline/
test_composites_plan.py, without Airflow: each task instance of `dag.test()` costs seconds.)
"""

from __future__ import annotations

import datetime
import json

import pytest

from tests.support.composite_scenes import COMPOSITES
from tests.support.dagenv import (
    BUCKET,
    PATH,
    ROW,
    drop_env_credentials,
    import_dag_file,
    load_dag,
    publish_catalog_scenes,
    task_instances,
    task_states,
    xcom,
)

DAG_ID = "landsat_composites"
AREA = "scoresby_sund"
COMPOSITE = f"p{PATH:03d}r{ROW:03d}_2024-summer"
ITEM = f"published/composites/{PATH:03d}/{ROW:03d}/2024-summer/{COMPOSITE}.json"
NO_MOSAIC = {k: v for k, v in COMPOSITES.items() if k != "crs"}


def objects(client) -> dict[str, tuple[str, object]]:
    """Key -> (ETag, LastModified) of every object of the bucket (one listing)."""
    listing = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {obj["Key"]: (obj["ETag"], obj["LastModified"]) for obj in listing}


@pytest.fixture
def published(s3_client, catalog, pipeline_config, monkeypatch):
    """The catalog's scenes landed and published; the config has the area's composites."""
    pipeline_config(area={"composites": NO_MOSAIC})
    scenes = publish_catalog_scenes(s3_client, catalog)
    # The tasks reach the bucket through the connection alone (boto3 and GDAL's /vsis3/).
    drop_env_credentials(monkeypatch)
    return s3_client, scenes


@pytest.fixture
def dag(airflow_db, published):
    return load_dag(DAG_ID)


def run(dag, day: datetime.date, **conf):
    logical = datetime.datetime.combine(day, datetime.time(), datetime.UTC)
    return dag.test(logical_date=logical, run_conf=conf)


def test_a_season_is_composited_from_mapped_tiles_and_a_rerun_writes_nothing(dag, published):
    import numpy as np
    import rasterio

    client, scenes = published
    before = set(objects(client))
    dag_run = run(dag, datetime.date(2024, 10, 1), period="2024-summer")
    assert dag_run.state == "success", task_instances(dag_run)
    got = task_states(dag_run)
    assert got["composite_tile"] == ["success"] * 4  # 2 x 2 tiles
    assert got["assemble_composite"] == ["success"]
    assert got["publish_catalog"] == ["success"]

    after = objects(client)
    assert not any(key.startswith("staging/") for key in after), "staged tiles left behind"
    scene_ids = sorted(s["scene_id"] for s in scenes)
    item = json.loads(client.get_object(Bucket=BUCKET, Key=ITEM)["Body"].read())
    derived = sorted(
        (link["title"], link["href"]) for link in item["links"] if link["rel"] == "derived_from"
    )
    assert derived == [  # the scenes' published STAC items
        (s["scene_id"], f"s3://{BUCKET}/published/226/010/{s['date']}/{s['scene_id']}.json")
        for s in sorted(scenes, key=lambda s: s["scene_id"])
    ]
    assert item["properties"]["landsat_ops:period"] == "2024-summer"
    assert (
        item["properties"]["landsat_ops:inputs_digest"]
        == xcom(dag_run, "plan")["jobs"][0]["digest"]
    )
    catalog = json.loads(client.get_object(Bucket=BUCKET, Key="catalog.json")["Body"].read())
    child = [link for link in catalog["links"] if "composites" in link["href"]]
    assert child == [
        {
            "rel": "child",
            "href": "./published/composites/catalog.json",
            "type": "application/json",
            "title": "Composites and region mosaics",
            "landsat_ops:composites": 1,
        }
    ]
    gallery = client.get_object(Bucket=BUCKET, Key="published/composites/index.html")
    page = gallery["Body"].read().decode()
    assert COMPOSITE in page
    assert f"published/composites/{PATH:03d}/{ROW:03d}/collection.json" in set(after) - before

    # The distributed composite equals the engine's own single-process composite.
    plan = xcom(dag_run, "plan")
    job = next(j for j in plan["jobs"] if j["id"] == COMPOSITE)
    assert job["scenes"] == scene_ids and job["tiles"] == 4
    reflectance = next(
        k for k in after if k.endswith(f"{COMPOSITE}_reflectance.tif") and COMPOSITE in k
    )
    with rasterio.MemoryFile(client.get_object(Bucket=BUCKET, Key=reflectance)["Body"].read()) as f:
        with f.open() as src:
            distributed = src.read()
    single = single_process_composite(scenes)
    np.testing.assert_array_equal(distributed, single)

    # The same run again: the plan finds both composites current; nothing is written.
    again = run(dag, datetime.date(2024, 10, 1), period="2024-summer")
    assert again.state == "success"
    got = task_states(again)
    assert got["plan"] == ["skipped"]
    assert got["publish_catalog"] == ["skipped"]
    assert objects(client) == after


def single_process_composite(scenes):
    """The reflectance of ``landsat-ops composite`` (one process) over the catalog's scenes."""
    import tempfile
    from pathlib import Path

    import rasterio

    from landsat_ops.composite import compose
    from tests.support.dagenv import CATALOG_DIR

    with tempfile.TemporaryDirectory() as out:
        refs = [CATALOG_DIR / "scenes" / s["scene_id"] for s in scenes]
        compose(refs, out, composite_id="single", tile_size=256)
        cog = next(Path(out).rglob("single_reflectance.tif"))
        with rasterio.open(cog) as src:
            return src.read()


def test_a_period_without_scenes_is_skipped_and_writes_nothing(dag, published):
    client, _ = published
    before = objects(client)
    dag_run = run(dag, datetime.date(2023, 10, 1), period="2023-summer")
    assert dag_run.state == "success"
    got = task_states(dag_run)
    assert got["plan"] == ["skipped"]
    assert set(got) == {"plan", "list_tiles", "list_jobs", "composite_tile"} | {
        "choose_tiles",
        "prepare_ecs_tiles",
        "list_ecs_overrides",
        "composite_tile_ecs",
        "assemble_composite",
        "publish_catalog",
    }
    assert {state for states in got.values() for state in states} == {"skipped"}
    assert objects(client) == before


def test_an_unknown_run_conf_key_or_period_fails_the_plan_at_once(dag, published):
    client, _ = published
    before = objects(client)
    bad = run(dag, datetime.date(2024, 10, 1), period="2024-autumn")
    assert bad.state == "failed"
    assert [(t, s, tries) for t, s, tries, _ in task_instances(bad) if t == "plan"] == [
        ("plan", "failed", 1)
    ]
    assert objects(client) == before


# -- the DAG's shape (loaded with the default config of the repository) -----------------------
def test_the_dag_is_scheduled_on_the_areas_assets_or_monthly_and_maps_tiles_on_the_render_queue(
    dag,
):
    from airflow.sdk import AssetOrTimeSchedule, TriggerRule
    from airflow.serialization.serialized_objects import DagSerialization

    assert isinstance(dag.timetable, AssetOrTimeSchedule)
    assert "landsat://published/p226_r010" in str(dag.timetable.asset_condition)
    assert dag.catchup is False and dag.max_active_runs == 1
    assert {"landsat", "composites", "area:scoresby_sund"} <= set(dag.tags)
    assert dag.params.dump() == {
        "period": None,
        "area": None,
        "force": False,
        "render_backend": "local",
    }
    for task in dag.tasks:
        assert task.retries >= 2, task.task_id
    order = [t.task_id for t in dag.topological_sort()]
    assert order[0] == "plan" and order[-1] == "publish_catalog"
    for task_id in ("composite_tile", "assemble_composite"):
        task = dag.get_task(task_id)
        assert task.queue == "render" and task.pool == "landsat_render", task_id
    catalog = dag.get_task("publish_catalog")
    assert catalog.trigger_rule == TriggerRule.NONE_FAILED
    assert catalog.pool == "landsat_publish"
    assert [a.uri for a in catalog.outlets] == ["landsat://composites/scoresby_sund"]
    restored = DagSerialization.from_dict(DagSerialization.to_dict(dag))
    assert restored.timetable.periodic  # what `airflow backfill create` requires


def test_parsing_the_dag_file_imports_no_heavy_module():
    heavy = ["numpy", "rasterio", "landsat_ops.composite", "pystac", "numba"]
    loaded, elapsed = import_dag_file("landsat_composites", heavy)
    assert loaded == []
    assert elapsed < 5, f"the DAG file took {elapsed:.1f} s to import"
