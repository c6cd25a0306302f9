"""The pipeline config (plugins/landsat_pipeline/config.py): defaults, overrides, clear errors."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
if str(PLUGINS) not in sys.path:
    sys.path.append(str(PLUGINS))  # as Airflow does at runtime

from landsat_pipeline.config import (  # noqa: E402
    ConfigError,
    config_path,
    load_config,
    parse_config,
)

SOURCE = Path("/etc/landsat/areas.yaml")


def minimal(**area) -> dict:
    return {
        "catalog": {"url": "https://earth-search.aws.element84.com/v1"},
        "storage": {"root": "s3://bucket/landsat"},
        "areas": {"fjord": {"path_rows": [[226, 10]], **area}},
    }


def test_defaults_and_derived_names():
    config = parse_config(minimal(), SOURCE)
    (watch,) = config.watches
    assert watch.dag_id == "landsat_p226_r010"
    assert watch.path_row == "226/010"
    assert watch.title == "fjord"
    assert watch.start_date == datetime.date(2013, 4, 11)
    assert watch.catchup is False
    assert watch.products == ("truecolor", "falsecolor", "ndvi", "histograms")
    assert watch.retries >= 2
    assert watch.wait_for_scene == datetime.timedelta(hours=72)
    assert config.catalog.url == "https://earth-search.aws.element84.com/v1"
    assert config.catalog.collection is None
    assert config.storage.is_s3 and config.storage.aws_conn_id == "aws_default"
    assert config.watch(226, 10) is watch


def test_defaults_section_and_area_overrides():
    raw = minimal(products=["ndvi", "truecolor"], max_cloud_cover=30)
    raw["defaults"] = {"max_cloud_cover": 50, "preview_size": 512, "start_date": "2020-01-01"}
    raw["areas"]["other"] = {"path_rows": [[16, 37], [17, 37]], "title": "Carolinas"}
    config = parse_config(raw, SOURCE)
    fjord, *others = config.watches
    assert fjord.products == ("truecolor", "ndvi")  # in render order
    assert fjord.max_cloud_cover == 30 and fjord.preview_size == 512
    assert [w.dag_id for w in others] == ["landsat_p016_r037", "landsat_p017_r037"]
    assert others[0].max_cloud_cover == 50
    assert others[0].start_date == datetime.date(2020, 1, 1)


def test_relative_paths_are_relative_to_the_file():
    raw = minimal()
    raw["catalog"]["url"] = "../demo/catalog.json"
    raw["storage"]["root"] = "bucket"
    config = parse_config(raw, SOURCE)
    assert config.catalog.url == "/etc/demo/catalog.json"
    assert config.storage.root == "/etc/landsat/bucket"
    assert not config.storage.is_s3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            lambda r: r.pop("storage"), "storage is missing (expected a value)", id="missing"
        ),
        pytest.param(
            lambda r: r["areas"]["fjord"].update(path_rows=[[234, 10]]),
            "areas.fjord.path_rows[0] is [234, 10]: WRS-2 path must be from 1 to 233",
            id="path-out-of-range",
        ),
        pytest.param(
            lambda r: r["areas"]["fjord"].update(path_rows=[226, 10]),
            "areas.fjord.path_rows[0] is 226 (expected a [path, row] pair of integers)",
            id="not-pairs",
        ),
        pytest.param(
            lambda r: r["areas"]["fjord"].update(products=["truecolour"]),
            "areas.fjord.products is ['truecolour'] (expected a list from",
            id="unknown-product",
        ),
        pytest.param(
            lambda r: r["areas"]["fjord"].update(max_cloud_cover=120),
            "areas.fjord.max_cloud_cover is 120 (expected a number between 0 and 100)",
            id="cloud-range",
        ),
        pytest.param(
            lambda r: r["areas"]["fjord"].update(retries=1),
            "areas.fjord.retries is 1 (expected an integer between 2 and 20)",
            id="too-few-retries",
        ),
        pytest.param(
            lambda r: r["areas"]["fjord"].update(render_backend="ecs"),
            "areas.fjord.render_backend is 'ecs' (expected one of ('local',))",
            id="backend",
        ),
        pytest.param(
            lambda r: r["areas"]["fjord"].update(start_date="2012-01-01"),
            "on or after 2013-04-11",
            id="before-landsat-8",
        ),
        pytest.param(
            lambda r: r["areas"]["fjord"].update(colour="red"),
            "areas.fjord.colour is not a known key",
            id="unknown-key",
        ),
        pytest.param(
            lambda r: r["areas"].update(again={"path_rows": [[226, 10]]}),
            "areas.again.path_rows[0] repeats 226/010, already in area 'fjord'",
            id="duplicate-path-row",
        ),
        pytest.param(
            lambda r: r["storage"].update(root="gs://bucket"),
            "storage.root is 'gs://bucket' (expected a local folder or s3://bucket/prefix)",
            id="not-s3",
        ),
        pytest.param(lambda r: r.update(areas={}), "areas is empty", id="no-areas"),
    ],
)
def test_invalid_values_name_the_file_and_key(change, message):
    raw = minimal()
    change(raw)
    with pytest.raises(ConfigError) as error:
        parse_config(raw, SOURCE)
    assert str(error.value).startswith(f"{SOURCE}: ")
    assert message in str(error.value)


def test_unknown_path_row_and_unreadable_files(tmp_path):
    config = parse_config(minimal(), SOURCE)
    with pytest.raises(ConfigError, match="path/row 016/037 is not in any area"):
        config.watch(16, 37)
    with pytest.raises(ConfigError, match="cannot read the pipeline config"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("areas: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_the_environment_variable_selects_another_file(monkeypatch, tmp_path):
    monkeypatch.delenv("LANDSAT_PIPELINE_CONFIG", raising=False)
    assert config_path(tmp_path / "default.yaml") == tmp_path / "default.yaml"
    monkeypatch.setenv("LANDSAT_PIPELINE_CONFIG", str(tmp_path / "other.yaml"))
    assert config_path(tmp_path / "default.yaml") == tmp_path / "other.yaml"


def test_points_of_interest(tmp_path):
    from landsat_pipeline.config import ConfigError, PointOfInterest, parse_config

    raw = {
        "catalog": {"url": "https://example.test/stac"},
        "storage": {"root": "s3://bucket/x"},
        "areas": {
            "fjord": {
                "path_rows": [[226, 10]],
                "points": [{"id": "a", "lon": -22.5, "lat": 70.8}, {"id": 7, "lon": 0, "lat": 0}],
            }
        },
    }
    config = parse_config(raw, tmp_path / "areas.yaml")
    assert config.area("fjord").points == (
        PointOfInterest("a", -22.5, 70.8),
        PointOfInterest("7", 0.0, 0.0),
    )
    raw["areas"]["fjord"]["points"][1] = {"id": "b", "lon": 0, "lat": 91}
    with pytest.raises(ConfigError, match=r"areas\.fjord\.points\[1\]\.lat"):
        parse_config(raw, tmp_path / "areas.yaml")
    raw["areas"]["fjord"]["points"][1] = {"id": "a", "lon": 0, "lat": 0}
    with pytest.raises(ConfigError, match="repeats"):
        parse_config(raw, tmp_path / "areas.yaml")
