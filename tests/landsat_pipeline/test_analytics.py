"""Archive analytics (landsat_pipeline/analytics.py) and the report jobs
(landsat_pipeline/report_jobs.py) on a local bucket.

Scenes are tiny synthetic ones (landsat_demo.synthetic) landed by hand; published scenes are
an item per scene plus the collection the publishing module builds from them. The DAG tests in
tests/dags run the same code end to end against S3.
"""

from __future__ import annotations

import datetime
import json
import shutil
import sys
from pathlib import Path

from tests.support.airflow_home import use_private_home  # noqa: E402

use_private_home()  # before the first Airflow import


import pytest  # noqa: E402

from landsat_demo.synthetic import make_scene  # noqa: E402
from landsat_ops.points import Point  # noqa: E402
from landsat_ops.sampling import sample_scene  # noqa: E402
from landsat_ops.storage import open_store  # noqa: E402
from landsat_ops.timeseries import read_table  # noqa: E402
from landsat_pipeline import report_jobs  # noqa: E402
from landsat_pipeline.analytics import (  # noqa: E402
    landed_scene_ids,
    merge_area_table,
    plot_area_table,
    published_scenes,
    sample_landed_scene,
    scenes_to_sample,
)
from landsat_pipeline.config import load_config  # noqa: E402
from landsat_pipeline.errors import AnalyticsError, ConfigError  # noqa: E402
from landsat_pipeline.keys import (  # noqa: E402
    area_keys,
    published_asset_name,
    published_asset_uri,
)
from landsat_pipeline.keys import ec2_report_status_key as ec2_status_key  # noqa: E402
from landsat_pipeline.report_jobs import (  # noqa: E402
    ec2_report_command,
    prepare_ec2_report,
    report_image,
)

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "reports" / "area_report.ipynb"
CENTRE = {"id": "centre", "lon": -22.7956, "lat": 70.8014}  # the 226/010 scene centre
FAR = {"id": "far", "lon": -21.0, "lat": 70.0}  # outside every test scene
DAYS = [datetime.date(2024, 6, 12), datetime.date(2024, 6, 28), datetime.date(2024, 7, 14)]


def write_config(folder: Path, *, points=(CENTRE, FAR), remote=None, storage=None) -> Path:
    document = {
        "catalog": {"url": str(folder / "catalog.json")},
        "storage": {"root": storage or str(folder / "bucket")},
        "areas": {
            "scoresby_sund": {"title": "Scoresby Sund", "path_rows": [[226, 10]], "points": []},
            "elsewhere": {"path_rows": [[16, 37]], "points": [{"id": "p", "lon": -80, "lat": 33}]},
        },
    }
    document["areas"]["scoresby_sund"]["points"] = list(points)
    if remote is not None:
        document["remote"] = remote
    path = folder / "areas.yaml"
    path.write_text(json.dumps(document))
    return path


def publish_item(store, path: int, row: int, day: datetime.date, scene_id: str) -> None:
    item = {"type": "Feature", "id": scene_id, "properties": {"datetime": f"{day}T13:00:00Z"}}
    store.write_bytes(
        f"published/{path:03d}/{row:03d}/{day}/{scene_id}.json", json.dumps(item).encode()
    )


@pytest.fixture(scope="module")
def scenes(tmp_path_factory) -> dict[datetime.date, Path]:
    """Three tiny synthetic 226/010 scenes (128 x 128 px)."""
    folder = tmp_path_factory.mktemp("scenes")
    return {
        day: make_scene(folder, acquired=day, width=128, height=128, seed=i)
        for i, day in enumerate(DAYS)
    }


@pytest.fixture
def bucket(tmp_path, scenes):
    """A local bucket: the three scenes landed and published, the config pointing at it."""
    from landsat_pipeline.publishing import update_catalogs

    config_file = write_config(tmp_path)
    store = open_store(tmp_path / "bucket")
    for day, folder in scenes.items():
        shutil.copytree(folder, tmp_path / "bucket" / "landing" / folder.name)
        publish_item(store, 226, 10, day, folder.name)
    update_catalogs(store, 226, 10, title="test")
    return load_config(config_file), store


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


def test_keys_and_names():
    assert area_keys("a") == {
        "table_csv": "published/analytics/a/ndvi_timeseries.csv",
        "table_parquet": "published/analytics/a/ndvi_timeseries.parquet",
        "plot_timeseries": "published/analytics/a/ndvi_timeseries.png",
        "plot_ndvi_vs_cloud": "published/analytics/a/ndvi_vs_cloud.png",
        "report_ipynb": "published/analytics/a/report.ipynb",
        "report_html": "published/analytics/a/report.html",
    }
    assert published_asset_uri(226, 10) == "landsat://published/p226_r010"
    assert published_asset_name(16, 37) == "landsat_p016_r037"
    assert (
        ec2_status_key("manual__2024-06-01T00:00:00+00:00")
        == "staging/analytics/_ec2-status/manual__2024-06-01T00_00_00_00_00.json"
    )


# --------------------------------------------------------------------------------------------
# Which scenes
# --------------------------------------------------------------------------------------------


def test_published_scenes_come_from_the_collection(bucket, scenes):
    _, store = bucket
    found = published_scenes(store, 226, 10)
    assert found == [
        {"scene_id": folder.name, "date": str(day), "path": 226, "row": 10}
        for day, folder in sorted(scenes.items())
    ]
    assert published_scenes(store, 16, 37) == []


def test_landed_scene_ids_need_red_and_nir(bucket, scenes):
    _, store = bucket
    first = scenes[DAYS[0]].name
    assert landed_scene_ids(store) == {folder.name for folder in scenes.values()}
    store.delete(f"landing/{first}/{first}_B5.TIF")
    assert first not in landed_scene_ids(store)


def test_a_date_range_of_every_area_with_points(bucket, scenes):
    config, store = bucket
    chosen = scenes_to_sample(config, store, start=DAYS[1], end=str(DAYS[2]))
    assert [s["scene_id"] for s in chosen["scenes"]] == [scenes[d].name for d in DAYS[1:]]
    assert chosen["scenes"][0] == {
        "scene_id": scenes[DAYS[1]].name,
        "date": str(DAYS[1]),
        "path": 226,
        "row": 10,
        "area": "scoresby_sund",
        "landing_uri": store.uri(f"landing/{scenes[DAYS[1]].name}") + "/",
    }
    assert chosen["areas"] == ["scoresby_sund"]
    assert chosen["not_landed"] == [] and chosen["areas_without_points"] == []
    everything = scenes_to_sample(config, store)
    assert len(everything["scenes"]) == 3
    assert scenes_to_sample(config, store, area="elsewhere")["scenes"] == []


def test_published_but_not_landed_scenes_are_left_out(bucket, scenes):
    config, store = bucket
    gone = scenes[DAYS[0]].name
    for key in store.list(f"landing/{gone}/"):
        store.delete(key)
    chosen = scenes_to_sample(config, store)
    assert chosen["not_landed"] == [gone]
    assert gone not in [s["scene_id"] for s in chosen["scenes"]]


def test_areas_without_points_are_left_out(tmp_path, bucket):
    _, store = bucket
    config = load_config(write_config(tmp_path, points=()))
    chosen = scenes_to_sample(config, store)
    assert chosen["areas_without_points"] == ["scoresby_sund"]
    assert chosen["scenes"] == [] and chosen["areas"] == []


def test_asset_events_name_the_scenes(bucket, scenes):
    config, store = bucket
    uri = "landsat://published/p226_r010"
    one = scenes[DAYS[1]].name
    event = {"scene_id": one, "date": str(DAYS[1]), "path": 226, "row": 10, "asset_uri": uri}
    chosen = scenes_to_sample(config, store, events=[event, dict(event)])
    assert [s["scene_id"] for s in chosen["scenes"]] == [one]
    # Without path/row in the extra, they come from the asset URI.
    bare = {"scene_id": one, "date": str(DAYS[1]), "asset_uri": uri}
    assert [s["scene_id"] for s in scenes_to_sample(config, store, events=[bare])["scenes"]] == [
        one
    ]
    # An event without a scene stands for every published scene of its path/row.
    whole = scenes_to_sample(config, store, events=[{"asset_uri": uri}])
    assert len(whole["scenes"]) == 3
    # Scenes of path/rows in no chosen area are ignored.
    other = {"scene_id": "LC08_L1TP_016037_20240610_20240620_02_T1", "date": "2024-06-10"}
    other.update(path=16, row=37, asset_uri="landsat://published/p016_r037")
    assert scenes_to_sample(config, store, area="scoresby_sund", events=[other])["scenes"] == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"start": "2024-07-01", "end": "2024-06-01"}, "is after end", id="reversed"),
        pytest.param({"start": "June"}, r"start is 'June' \(expected a date", id="bad-date"),
    ],
)
def test_bad_ranges_are_refused(bucket, kwargs, message):
    config, store = bucket
    with pytest.raises(AnalyticsError, match=message):
        scenes_to_sample(config, store, **kwargs)


def test_an_unknown_area_is_a_config_error(bucket):
    config, store = bucket
    with pytest.raises(ConfigError, match="no area 'nowhere'"):
        scenes_to_sample(config, store, area="nowhere")


# --------------------------------------------------------------------------------------------
# Sampling, merging, plotting
# --------------------------------------------------------------------------------------------


def sampled(config, store) -> list[list[dict]]:
    return [sample_landed_scene(s, config) for s in scenes_to_sample(config, store)["scenes"]]


def test_sampling_a_landed_scene_is_sample_scene_on_it(bucket, scenes):
    config, store = bucket
    scene = scenes_to_sample(config, store)["scenes"][0]
    rows = sample_landed_scene(scene, config)
    points = [Point(**CENTRE), Point(**FAR)]
    assert rows == [r.to_dict() for r in sample_scene(scenes[DAYS[0]], points)]
    assert rows[0]["ndvi"] is not None and rows[0]["valid_px"] == 9
    assert rows[1]["reason"] == "outside scene"


def test_merge_is_idempotent_and_follows_the_configured_points(bucket, tmp_path):
    config, store = bucket
    samples = sampled(config, store)
    result = merge_area_table(config, "scoresby_sund", samples)
    keys = area_keys("scoresby_sund")
    table = read_table(store.uri(keys["table_csv"]))
    assert result["rows"] == len(table) == 3  # the point outside the scenes has no rows
    assert result["scenes"] == 3 and result["points"] == ["centre"] and result["changed"]
    assert read_table(store.uri(keys["table_parquet"])) == table
    assert {r["point_id"] for r in table} == {"centre"}

    # Again, with rows of another path/row mixed in: nothing changes, nothing is rewritten.
    other = [{**samples[0][0], "path": 16, "row": 37, "scene_id": "LC08_L1TP_016037_x"}]
    again = merge_area_table(config, "scoresby_sund", [*samples, other])
    assert again["changed"] is False
    assert read_table(store.uri(keys["table_csv"])) == table

    # A point dropped from the config loses its rows.
    smaller = load_config(write_config(tmp_path, points=[{**CENTRE, "id": "moved"}]))
    merge_area_table(smaller, "scoresby_sund", [])
    assert read_table(store.uri(keys["table_csv"])) == []


def test_a_resampled_scene_replaces_its_rows(bucket):
    config, store = bucket
    samples = sampled(config, store)
    merge_area_table(config, "scoresby_sund", samples)
    keys = area_keys("scoresby_sund")
    before = read_table(store.uri(keys["table_csv"]))
    changed = [[{**row, "ndvi": 0.5} for row in samples[1]]]
    merge_area_table(config, "scoresby_sund", changed)
    after = read_table(store.uri(keys["table_csv"]))
    assert len(after) == len(before)
    for old, new in zip(before, after, strict=True):
        moved = old["scene_id"] == samples[1][0]["scene_id"]
        assert new == ({**old, "ndvi": 0.5} if moved else old)


def test_plots_are_pngs_rewritten_only_when_they_change(bucket):
    config, store = bucket
    merge_area_table(config, "scoresby_sund", sampled(config, store))
    result = plot_area_table(config, "scoresby_sund")
    keys = area_keys("scoresby_sund")
    for name in ("plot_timeseries", "plot_ndvi_vs_cloud"):
        assert result[name] == store.uri(keys[name])
        assert store.read_bytes(keys[name])[:8] == b"\x89PNG\r\n\x1a\n"
    path = Path(store.root) / keys["plot_timeseries"]
    stamp = path.stat().st_mtime_ns
    plot_area_table(config, "scoresby_sund")
    assert path.stat().st_mtime_ns == stamp


def test_demo_points_are_inside_the_demo_and_test_scenes(tmp_path):
    """The repository's points sample real values in `make demo` (800 px) and the tests (300)."""
    config = load_config(REPO / "dags" / "config" / "areas.yaml")
    points = [Point(p.id, p.lon, p.lat) for p in config.area("scoresby_sund").points]
    assert 3 <= len(points) <= 4
    for size in (300, 800):
        scene = make_scene(tmp_path, acquired=DAYS[0], width=size, height=size)
        rows = sample_scene(scene, points)
        assert [r.reason for r in rows] == [""] * len(points), size
        assert all(r.valid_px == 9 for r in rows)


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def test_the_notebook_is_parametrised():
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = {line.split("=")[0].strip() for line in tagged[0].source.splitlines() if "=" in line}
    assert names >= {
        "area",
        "title",
        "table_uri",
        "source",
        "start",
        "end",
        "out_dir",
        "cloud_threshold",
    }
    assert notebook.metadata.kernelspec.name == "python3"
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")


def test_the_python3_kernel_is_this_python():
    """kernel_name="python3" runs the notebook with the Python (venv) running Airflow."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    manager = KernelManager(kernel_name="python3")
    command = manager.format_kernel_cmd()
    assert spec.language == "python"
    assert command[0] == sys.executable


def test_ec2_report_command_runs_papermill_per_area_through_sync_run():
    command = ec2_report_command("s3://bucket/pre", ["a", "b-2"])
    assert command[:10] == [
        "landsat-ops",
        "sync-run",
        "--input",
        "s3://bucket/pre/published/analytics/",
        "--input",
        "s3://bucket/pre/staging/analytics/area_report.ipynb",
        "--output",
        "s3://bucket/pre/published/analytics/",
        "--",
        "sh",
    ]
    script = command[-1].splitlines()
    assert command[-2] == "-c" and script[0] == "set -eu"
    assert script[2] == (
        "papermill in/area_report.ipynb out/a/report.ipynb --kernel python3 --report-mode "
        "-r area a -r table_uri in/a/ndvi_timeseries.csv "
        "-r source s3://bucket/pre/published/analytics/a/ndvi_timeseries.csv -r out_dir work/a"
    )
    assert script[3] == "jupyter nbconvert --to html --no-input out/a/report.ipynb"
    assert "out/b-2/report.ipynb" in script[5]
    with pytest.raises(AnalyticsError, match="unexpected characters"):
        ec2_report_command("s3://bucket", ["a; rm -rf /"])


REMOTE = {
    "region": "eu-west-1",
    "log_group": "/landsat-ops/render",
    "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/landsat-ops-render:1",
    "ec2": {
        "ami": "ami-0123456789abcdef0",
        "instance_profile": "landsat-ops-render-instance",
        "subnet_id": "subnet-0123456789abcdef0",
        "security_group_ids": ["sg-0123456789abcdef0"],
    },
}


def test_ec2_report_needs_remote_settings_an_image_and_s3(tmp_path, monkeypatch):
    monkeypatch.delenv(report_jobs.REPORT_IMAGE_ENV, raising=False)
    bare = load_config(write_config(tmp_path))
    with pytest.raises(ConfigError, match="remote is missing"):
        prepare_ec2_report(bare, ["scoresby_sund"], run_id="r", notebook=NOTEBOOK)
    local = load_config(write_config(tmp_path, remote=REMOTE))
    with pytest.raises(ConfigError, match="needs storage.root on s3://"):
        prepare_ec2_report(local, ["scoresby_sund"], run_id="r", notebook=NOTEBOOK)
    with pytest.raises(ConfigError, match="needs the report image"):
        report_image(local)
    monkeypatch.setenv(report_jobs.REPORT_IMAGE_ENV, "example.org/report:2")
    assert report_image(local) == "example.org/report:2"
