"""The pipeline config (landsat_pipeline/config/): defaults, overrides, clear errors."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from landsat_pipeline.config import config_path, load_config, parse_config
from landsat_pipeline.errors import ConfigError

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
    assert watch.products == ("truecolor", "falsecolor", "ndvi", "extent", "histograms")
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
            lambda r: r["areas"]["fjord"].update(render_backend="gpu"),
            "areas.fjord.render_backend is 'gpu' (expected one of ('local', 'ecs', 'ec2'))",
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
    from landsat_ops.points import Point
    from landsat_pipeline.config import parse_config
    from landsat_pipeline.errors import ConfigError

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
        Point("a", -22.5, 70.8),
        Point("7", 0.0, 0.0),
    )
    raw["areas"]["fjord"]["points"][1] = {"id": "b", "lon": 0, "lat": 91}
    with pytest.raises(ConfigError, match=r"areas\.fjord\.points\[1\]\.lat"):
        parse_config(raw, tmp_path / "areas.yaml")
    raw["areas"]["fjord"]["points"][1] = {"id": "a", "lon": 0, "lat": 0}
    with pytest.raises(ConfigError, match="repeats"):
        parse_config(raw, tmp_path / "areas.yaml")


# -- the remote section (ecs and ec2 render backends) -------------------------------------------
def remote(**changes) -> dict:
    """A remote section as filled from the CloudFormation outputs; ``changes`` patch it."""
    section = {
        "region": "eu-west-1",
        "log_group": "/landsat-ops/render",
        "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/landsat-ops-render:0.1.0",
        "ecs": {
            "cluster": "landsat-ops",
            "task_definition": "landsat-ops-render",
            "subnets": "subnet-0a1b2c3d4e5f60718,subnet-0f1e2d3c4b5a69788",
            "security_groups": ["sg-0123456789abcdef0"],
        },
        "ec2": {
            "ami": "ami-0abcdef1234567890",
            "instance_profile": "landsat-ops-render-instance",
            "subnet_id": "subnet-0a1b2c3d4e5f60718",
            "security_group_ids": ["sg-0123456789abcdef0"],
        },
    }
    for key, value in changes.items():
        target, _, name = key.rpartition("__")
        if target:
            section[target][name] = value
        else:
            section[name] = value
    return section


def test_remote_section_defaults_and_comma_separated_outputs():
    from landsat_pipeline.config import Ec2Settings, EcsSettings

    raw = minimal()
    raw["remote"] = remote()
    config = parse_config(raw, SOURCE)
    settings = config.remote_settings("ecs")
    assert settings is config.remote is config.remote_settings("ec2")
    assert (settings.region, settings.aws_conn_id) == ("eu-west-1", "aws_default")
    assert settings.log_group == "/landsat-ops/render"
    assert settings.ecs == EcsSettings(
        cluster="landsat-ops",
        task_definition="landsat-ops-render",
        container_name="landsat-ops",
        subnets=("subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"),  # from "a,b"
        security_groups=("sg-0123456789abcdef0",),
        assign_public_ip=False,
        log_stream_prefix="render",
        deferrable=True,
        poll_seconds=30,
        timeout_minutes=240,
        log_lines=20,
    )
    assert settings.ec2 == Ec2Settings(
        ami="ami-0abcdef1234567890",
        instance_type="m6i.xlarge",
        instance_profile="landsat-ops-render-instance",
        subnet_id="subnet-0a1b2c3d4e5f60718",
        security_group_ids=("sg-0123456789abcdef0",),
        volume_size_gib=50,
        timeout_minutes=120,
        poll_seconds=60,
        log_stream_prefix="ec2",
        log_lines=20,
        tags=(),
        deferrable=True,  # EC2 waits in the triggerer by default (issue 9)
    )


def test_without_remote_the_local_backend_works_and_remote_ones_name_the_missing_key():
    config = parse_config(minimal(), SOURCE)
    assert config.remote is None
    assert config.watches[0].render_backend == "local"
    with pytest.raises(ConfigError) as error:
        config.remote_settings("ecs")
    assert str(error.value) == (
        f"{SOURCE}: remote is missing (expected the ecs render backend's settings, filled from "
        "the CloudFormation stack outputs; see docs/remote-backends.md)"
    )
    raw = minimal()
    raw["remote"] = remote()
    del raw["remote"]["ec2"]
    config = parse_config(raw, SOURCE)
    assert config.remote_settings("ecs").ec2 is None
    with pytest.raises(ConfigError, match=r": remote\.ec2 is missing \(expected the ec2 render"):
        config.remote_settings("ec2")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        pytest.param(
            None,
            "areas.fjord.render_backend is 'ecs' but remote is missing (expected a remote section",
            id="no-remote",
        ),
        pytest.param(
            remote(ecs=None),
            "areas.fjord.render_backend is 'ecs' but remote.ecs is missing",
            id="no-ecs",
        ),
    ],
)
def test_a_remote_default_backend_needs_its_section(section, message):
    raw = minimal(render_backend="ecs")
    if section is not None:
        raw["remote"] = section
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_config(raw, SOURCE)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        pytest.param(
            remote(region="Ireland"),
            "remote.region is 'Ireland' (expected an AWS region (eu-west-1))",
            id="region",
        ),
        pytest.param(
            {k: v for k, v in remote().items() if k != "log_group"},
            "remote.log_group is missing (expected a value)",
            id="no-log-group",
        ),
        pytest.param(
            remote(image=None),
            "remote.image is missing (expected the render image URI (stack output ImageUri)",
            id="ec2-needs-image",
        ),
        pytest.param(
            remote(cpu=2), "remote.cpu is not a known key (expected one of", id="unknown-key"
        ),
        pytest.param(
            remote(ecs={"cluster": "landsat-ops"}),
            "remote.ecs.security_groups is missing (expected a value)",
            id="ecs-missing-key",
        ),
        pytest.param(
            remote(ecs__subnets="subnet-1,subnet-2"),
            "remote.ecs.subnets[0] is 'subnet-1' (expected subnet IDs (subnet-...))",
            id="subnet-id",
        ),
        pytest.param(
            remote(ecs__subnets=[]),
            "remote.ecs.subnets is [] (expected a list of subnet IDs",
            id="no-subnets",
        ),
        pytest.param(
            remote(ecs__security_groups=["default"]),
            "remote.ecs.security_groups[0] is 'default' (expected security group IDs (sg-...))",
            id="security-group-name",
        ),
        pytest.param(
            remote(ecs__deferrable="yes"),
            "remote.ecs.deferrable is 'yes' (expected true or false)",
            id="deferrable",
        ),
        pytest.param(
            remote(ecs__poll_seconds=0),
            "remote.ecs.poll_seconds is 0 (expected an integer between 1 and 3600)",
            id="poll",
        ),
        pytest.param(
            remote(ecs__log_stream_prefix="render:*"),
            "remote.ecs.log_stream_prefix is 'render:*' (expected a log stream prefix)",
            id="stream-prefix",
        ),
        pytest.param(
            remote(ec2__ami="amazon-linux"),
            "remote.ec2.ami is 'amazon-linux' (expected an AMI ID (ami-...))",
            id="ami",
        ),
        pytest.param(
            remote(ec2__timeout_minutes=3000),
            "remote.ec2.timeout_minutes is 3000 (expected an integer between 1 and 2880)",
            id="ec2-timeout",
        ),
        pytest.param(
            remote(ec2__tags={"landsat-ops:role": "x"}),
            "remote.ec2.tags.landsat-ops:role is reserved",
            id="reserved-tag",
        ),
        pytest.param(
            remote(ec2__tags={"aws:owner": "x"}),
            "remote.ec2.tags.aws:owner is not a valid tag key",
            id="aws-tag",
        ),
        pytest.param(
            remote(ec2__instance_type="large"),
            "remote.ec2.instance_type is 'large' (expected an instance type (m6i.xlarge))",
            id="instance-type",
        ),
    ],
)
def test_invalid_remote_values_name_the_file_and_key(section, message):
    raw = minimal()
    raw["remote"] = section
    with pytest.raises(ConfigError) as error:
        parse_config(raw, SOURCE)
    assert str(error.value).startswith(f"{SOURCE}: ")
    assert message in str(error.value)


def test_the_shipped_config_has_the_remote_section_commented_out():
    """areas.yaml documents the remote section; uncommented, it is a valid config."""
    import yaml

    shipped = Path(__file__).resolve().parents[2] / "dags" / "config" / "areas.yaml"
    assert load_config(shipped).remote is None
    lines = shipped.read_text().splitlines()
    start = lines.index("# remote:")
    block = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        block.append(line[2:] if line.startswith("# ") else line[1:])
    raw = yaml.safe_load("\n".join(block))
    config = parse_config({**minimal(), **raw}, shipped)
    assert config.remote.ecs is not None and config.remote.ec2 is not None


def test_remote_report_image(tmp_path):
    from landsat_pipeline.config import parse_config
    from landsat_pipeline.errors import ConfigError

    raw = {
        "catalog": {"url": "https://example.test/stac"},
        "storage": {"root": "s3://bucket/x"},
        "remote": {
            "region": "eu-west-1",
            "log_group": "/landsat-ops/render",
            "report_image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/report:1",
        },
        "areas": {"fjord": {"path_rows": [[226, 10]]}},
    }
    config = parse_config(raw, tmp_path / "areas.yaml")
    assert config.remote.report_image.endswith("/report:1")
    raw["remote"]["report_image"] = "has space"
    with pytest.raises(ConfigError, match=r"remote\.report_image"):
        parse_config(raw, tmp_path / "areas.yaml")


# -- waits, reconcile and satellites (issues 10 and 11) ------------------------------------------
def test_satellites_waits_and_reconcile_defaults():
    (watch,) = parse_config(minimal(), SOURCE).watches
    assert watch.satellites == (8, 9)
    assert watch.deferrable_waits is True
    assert watch.reconcile_look_back == datetime.timedelta(days=60)
    (only_8,) = parse_config(minimal(satellites=[8]), SOURCE).watches
    assert only_8.satellites == (8,)


@pytest.mark.parametrize("value", [[], [7], [8, "9"], "8", [True]])
def test_bad_satellites(value):
    expected = "areas.fjord.satellites is .* (expected a non-empty list from [8, 9])"
    with pytest.raises(ConfigError, match=re.escape(expected).replace(r"\.\*", ".*")):
        parse_config(minimal(satellites=value), SOURCE)


def test_catalog_platform_is_gone():
    raw = minimal()
    raw["catalog"]["platform"] = "landsat-8"
    with pytest.raises(ConfigError, match="catalog.platform is not a known key"):
        parse_config(raw, SOURCE)


@pytest.mark.parametrize(
    ("collection", "hours"),
    [
        pytest.param(None, 72, id="any"),
        pytest.param("landsat-c2-l1", 72, id="earth-search-l1"),
        pytest.param("landsat-c2-l2", 576, id="earth-search-pc-l2"),
        pytest.param("landsat-c2l2-sr", 576, id="landsatlook-l2"),
    ],
)
def test_the_availability_window_follows_the_collection_level(collection, hours):
    raw = minimal()
    raw["catalog"]["collection"] = collection
    (watch,) = parse_config(raw, SOURCE).watches
    assert watch.wait_for_scene == datetime.timedelta(hours=hours)
    raw["areas"]["fjord"]["wait_for_scene_hours"] = 5
    (watch,) = parse_config(raw, SOURCE).watches
    assert watch.wait_for_scene == datetime.timedelta(hours=5)


def test_source_settings():
    raw = minimal()
    raw["catalog"].update(
        source_conn_id="usgs_landsat",
        requester_pays=True,
        signing_url="http://127.0.0.1:9/api/sas/v1/token",
        page_limit=50,
    )
    catalog = parse_config(raw, SOURCE).catalog
    assert (catalog.source_conn_id, catalog.requester_pays, catalog.page_limit) == (
        "usgs_landsat",
        True,
        50,
    )
    assert catalog.signing_url == "http://127.0.0.1:9/api/sas/v1/token"
    defaults = parse_config(minimal(), SOURCE).catalog
    assert (defaults.source_conn_id, defaults.requester_pays, defaults.blob_endpoint) == (
        None,
        None,
        None,
    )
    raw["catalog"]["signing_url"] = "token-endpoint"
    with pytest.raises(ConfigError, match="catalog.signing_url is 'token-endpoint'"):
        parse_config(raw, SOURCE)
