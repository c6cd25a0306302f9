"""The composites DAG's ECS tile arguments (landsat_pipeline.composites.ecs), without Airflow."""

from __future__ import annotations

from pathlib import Path

import pytest

from landsat_ops.storage import open_store
from landsat_pipeline.config import parse_config
from landsat_pipeline.errors import ConfigError

SOURCE = Path("/etc/landsat/areas.yaml")
REMOTE = {
    "region": "eu-west-1",
    "log_group": "/landsat-ops/render",
    "ecs": {
        "cluster": "landsat-ops",
        "task_definition": "landsat-ops-render",
        "subnets": "subnet-0a1b2c3d4e5f60718",
        "security_groups": ["sg-0123456789abcdef0"],
        "poll_seconds": 45,
        "timeout_minutes": 60,
    },
}
TILES = [
    {
        "job": "p226r010_2024-summer",
        "spec": "staging/composites/p226r010_2024-summer/0123abcd/job.json",
        "index": i,
        "tile": {"col_off": 1024 * i, "row_off": 0, "width": 1024, "height": 1024},
        "key": f"staging/composites/p226r010_2024-summer/0123abcd/r000000_c{1024 * i:06d}.tif",
    }
    for i in range(2)
]


def config(root: str = "s3://bucket/landsat", remote: dict | None = REMOTE):
    raw = {
        "catalog": {"url": "https://earth-search.aws.element84.com/v1"},
        "storage": {"root": root},
        "areas": {"fjord": {"path_rows": [[226, 10]]}},
    }
    if remote is not None:
        raw["remote"] = remote
    return parse_config(raw, SOURCE)


def test_one_composite_tile_command_per_tile_and_the_shared_operator_arguments():
    from landsat_pipeline.composites.ecs import OPERATOR_ARGUMENTS, ecs_tile_arguments

    store = open_store("s3://bucket/landsat")
    arguments = ecs_tile_arguments(config(), store, TILES)
    base = "s3://bucket/landsat/staging/composites/p226r010_2024-summer/0123abcd"
    assert arguments["commands"] == [
        [
            "landsat-ops",
            "composite-tile",
            f"{base}/job.json",
            "--tile",
            str(i),
            "--out",
            f"{base}/r000000_c{1024 * i:06d}.tif",
        ]
        for i in range(2)
    ]
    assert arguments["overrides"] == [
        {"containerOverrides": [{"name": "landsat-ops", "command": command[1:]}]}
        for command in arguments["commands"]
    ]
    assert set(OPERATOR_ARGUMENTS) <= set(arguments)
    assert arguments["waiter_delay"] == 45 and arguments["waiter_max_attempts"] == 80
    assert arguments["network_configuration"]["awsvpcConfiguration"]["subnets"] == [
        "subnet-0a1b2c3d4e5f60718"
    ]


@pytest.mark.parametrize(
    ("root", "remote", "message"),
    [
        pytest.param("s3://bucket/landsat", None, "remote is missing", id="no-remote"),
        pytest.param(
            "s3://bucket/landsat",
            {k: v for k, v in REMOTE.items() if k != "ecs"},
            "remote.ecs is missing",
            id="no-remote-ecs",
        ),
        pytest.param("/srv/landsat", REMOTE, "storage.root is the local folder", id="local"),
    ],
)
def test_without_remote_ecs_or_with_a_local_bucket_a_config_error_names_it(root, remote, message):
    from landsat_pipeline.composites.ecs import ecs_tile_arguments

    with pytest.raises(ConfigError) as failure:
        ecs_tile_arguments(config(root, remote), open_store(root), TILES)
    assert str(failure.value).startswith(f"{SOURCE}: {message}")
