"""The landsat_timelapses DAG with `dag.test()` on the demo region's published scenes (moto S3).

The three scenes of the test catalog (226/010, 300 x 300 px, June-July 2024) are rendered by
`landsat_ops.render.render_scene` into the moto bucket's `published/226/010/<date>/`, as the
scenes DAG publishes them: a version folder and the switched item. The DAG reaches the bucket
only through the Airflow connection `aws_default` (no AWS_* credentials in the environment
while it runs), so GDAL's `/vsis3/` reads of the COGs use the connection's credentials.
"""

from __future__ import annotations

import json

import pytest

from tests.support.dagenv import BUCKET, PATH, REPO, ROW, load_dag, task_instances
from tests.support.timelapse import decode_mp4, decode_webp

DAG_ID = "landsat_timelapses"
OUT = f"published/timelapse/{PATH:03d}/{ROW:03d}"
NAME = f"p{PATH:03d}r{ROW:03d}_summer"


@pytest.fixture
def published(s3_client, catalog, pipeline_config) -> list[dict]:
    """The catalog's scenes rendered (true and false colour) into published/226/010/<date>/."""
    from landsat_ops.render.run import render_scene

    items = []
    for folder in sorted((catalog.parent / "scenes").iterdir()):
        date = f"{folder.name[17:21]}-{folder.name[21:23]}-{folder.name[23:25]}"
        dest = f"s3://{BUCKET}/published/{PATH:03d}/{ROW:03d}/{date}/"
        render_scene(
            folder,
            dest,
            products=("truecolor", "falsecolor"),
            preview_size=64,
            s3_client=s3_client,
        )
        key = f"published/{PATH:03d}/{ROW:03d}/{date}/{folder.name}.json"
        items.append(json.loads(_read(s3_client, key)))
    assert len(items) == 3
    return items


@pytest.fixture
def dag(airflow_db, pipeline_config):
    return load_dag(DAG_ID)


def test_the_jobs_of_the_repository_config_and_of_asset_events():
    from landsat_pipeline.config import load_config
    from landsat_pipeline.timelapses import timelapse_jobs

    config = load_config(REPO / "dags" / "config" / "areas.yaml")
    area = config.area("scoresby_sund")
    rules = {f"{s.name}={s.describe()}" for s in area.composites.periods}
    jobs = timelapse_jobs(config)
    assert {job["period"] for job in jobs} == rules
    by_name = {job["name"]: job for job in jobs}
    summer = by_name["p226r010_summer"]
    assert summer["scene_prefixes"] == ["published/226/010"]
    assert summer["composite_prefixes"] == ["published/composites/226/010"]
    assert summer["out_prefix"] == "published/timelapse/226/010" and summer["crs"] is None
    mosaic = by_name["scoresby_sund_summer"]  # the area has a CRS of its own: its mosaics
    assert mosaic["composite_prefixes"] == ["published/composites/scoresby_sund"]
    assert mosaic["crs"] == area.composites.crs
    assert mosaic["out_prefix"] == "published/timelapse/scoresby_sund"
    # An event of the path/row or of the area's composites selects the area.
    for uri in ("landsat://published/p226_r010", "landsat://composites/scoresby_sund"):
        assert timelapse_jobs(config, events=[{"asset_uri": uri}]) == jobs


def _read(client, key: str) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_the_dag_builds_the_timelapse_of_the_published_scenes(
    dag, published, s3_client, no_env_credentials, tmp_path
):
    dag_run = dag.test()
    states = {(task, state) for task, state, _, _ in task_instances(dag_run)}
    assert states == {("list_timelapses", "success"), ("make_timelapse", "success")}, states

    item = json.loads(_read(s3_client, f"{OUT}/{NAME}.json"))
    (frame,) = item["properties"]["landsat_ops:timelapse"]["frames"]  # one summer: 2024
    assert frame["label"] == "2024-summer" and frame["kind"] == "scene"
    # The clearest of the three scenes, by the render's own clear fraction.
    clearest = max(
        published,
        key=lambda i: i["properties"]["landsat_ops:stretch"]["truecolor"]["clear_fraction"],
    )
    assert [s["id"] for s in frame["sources"]] == [clearest["id"]]
    fraction = clearest["properties"]["landsat_ops:stretch"]["truecolor"]["clear_fraction"]
    assert (
        frame["detail"] == f"scene {clearest['properties']['datetime'][:10]}, {fraction:.0%} clear"
    )

    for variant in ("truecolor", "falsecolor"):
        for ext, decode in (("mp4", decode_mp4), ("webp", decode_webp)):
            href = item["assets"][f"{variant}_{ext}"]["href"]
            path = tmp_path / f"{variant}.{ext}"
            path.write_bytes(_read(s3_client, f"{OUT}/{href.removeprefix('./')}"))
            frames = decode(path)[1]
            assert len(frames) == 1 and frames[0].shape == (300, 300, 3)  # the scene's 30 m
    page = _read(s3_client, f"{OUT}/index.html").decode()
    assert item["assets"]["truecolor_mp4"]["href"] in page and "<video controls" in page

    # Nothing new: a second run publishes the same version, the item is not rewritten.
    before = s3_client.head_object(Bucket=BUCKET, Key=f"{OUT}/{NAME}.json")["ETag"]
    again = dag.test()
    assert {s for _, s, _, _ in task_instances(again)} == {"success"}
    assert s3_client.head_object(Bucket=BUCKET, Key=f"{OUT}/{NAME}.json")["ETag"] == before
