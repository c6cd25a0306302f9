"""Bucket keys derive from the scene, and an ID that could escape its prefix is refused."""

from __future__ import annotations

import pytest

from landsat_pipeline.keys import (
    ec2_render_status_key,
    gaps_keys,
    landing_prefix,
    path_row_of_asset,
    published_asset_uri,
)

SCENE = "LC08_L1TP_226010_20240628_20240708_02_T1"


def test_scene_keys():
    assert landing_prefix(SCENE) == f"landing/{SCENE}"
    assert ec2_render_status_key(SCENE) == f"staging/_ec2-status/{SCENE}.json"
    assert landing_prefix("LC82260102014232LGN00") == "landing/LC82260102014232LGN00"
    assert gaps_keys(226, 10) == {
        "json": "published/226/010/gaps.json",
        "html": "published/226/010/gaps.html",
    }


def test_asset_uri_round_trip():
    assert path_row_of_asset(published_asset_uri(16, 37)) == (16, 37)
    assert path_row_of_asset("landsat://published/other") is None


@pytest.mark.parametrize(
    "bad", ["../../escape", "a/b", "", ".hidden", "x..y", "id with space", "é", None, "a" * 200]
)
def test_an_unsafe_id_never_becomes_a_key(bad):
    for make in (landing_prefix, ec2_render_status_key):
        with pytest.raises(ValueError, match="cannot name a key"):
            make(bad)
