"""Tests for landsat_pipeline.discovery: the local static catalog and recorded STAC API answers.

The API tests replay the recorded responses in ../shared/data/landsat/stac through
``tests/support/stac_replay.py`` on 127.0.0.1; nothing leaves the machine.
"""

from __future__ import annotations

import datetime
import json
import logging
import shutil
import socket
import time
from pathlib import Path

import pytest

from landsat_demo.synthetic import make_catalog
from landsat_ops.errors import LandsatOpsError
from landsat_ops.overpass import overpass_datetimes
from landsat_ops.scene import read_mtl
from landsat_pipeline.discovery import api as discovery_api
from landsat_pipeline.discovery import discover, normalize_assets
from landsat_pipeline.errors import DiscoveryError
from tests.support.stac_replay import ITEM_SEARCH, QUERY, Reply, StacReplayServer, load_json

UTC = datetime.UTC
ALL_KEYS = ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "QA", "MTL"]

EARTH_SEARCH_1 = "earth-search-v1_search_landsat-c2-l2+sentinel-2-l2a_point_2023-10-08_page1.json"
EARTH_SEARCH_2 = (
    "earth-search-v1_search_landsat-c2-l2+sentinel-2-l2a_point_2023-10-08_page2-empty.json"
)
PC_NETHERLANDS = "planetary-computer_search_landsat-8-c2-l2_netherlands-aoi_250items.json.gz"
PC_CHATHAM = "planetary-computer_search_landsat-8-c2-l2_chatham-islands-aoi_250items.json.gz"
PC_LANDSAT9 = "planetary-computer_items_landsat-c2-l2_page1_10items.json"
LANDSATLOOK_ROOT = "usgs-landsatlook_root-catalog.json"
LANDSATLOOK_SEARCH = "usgs-landsatlook_search_ids_LC08_L2SP_047027_20201204_20210313_02_T1_SR.json"
USGS_BETA_ITEM = "usgs-stac-beta_item_landsat-c2l2-sr_LC08_L2SR_081119_20200101_20200823_02_T2.json"
SAT_API_SEARCH = "sat-api-legacy_search_landsat-8-l1_1item.json"
SAT_API_NIGHT_ITEM = "sat-api-legacy_item_landsat-8-l1_LC81692212019263.json"


def _utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    """Keep the retry backoff short so failing-server tests stay quick."""
    monkeypatch.setattr(discovery_api, "RETRY_BACKOFF", 0.05)


@pytest.fixture(scope="session")
def stac_dir(landsat_data) -> Path:
    folder = landsat_data / "stac"
    if not folder.is_dir():
        pytest.skip(f"recorded STAC responses not found at {folder}")
    return folder


@pytest.fixture
def serve():
    """Start a replay server for the given routes; stop it after the test."""
    servers = []

    def start(routes, **kwargs) -> StacReplayServer:
        server = StacReplayServer(routes, **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _features(body) -> list[dict]:
    return body["features"] if body.get("type") == "FeatureCollection" else [body]


# --------------------------------------------------------------------------------------------
# Local static catalog
# --------------------------------------------------------------------------------------------

START, END = datetime.date(2021, 5, 1), datetime.date(2021, 9, 30)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    return make_catalog(
        tmp_path_factory.mktemp("catalog"), start=START, end=END, width=80, height=80
    )


def _window() -> dict:
    return {"path": 226, "row": 10, "start": _utc(2021, 5, 1), "end": _utc(2021, 10, 1)}


def test_local_catalog_gives_every_overpass(catalog):
    scenes = discover(str(catalog), **_window())
    expected = overpass_datetimes(226, 10, START, END)
    assert [s.acquired.date() for s in scenes] == [at.date() for at in expected]
    for scene in scenes:
        assert (scene.path, scene.row, scene.platform) == (226, 10, "landsat-8")
        assert list(scene.assets) == ALL_KEYS
        assert scene.assets["B4"].endswith(f"{scene.scene_id}_B4.TIF")
        assert scene.assets["MTL"].endswith(f"{scene.scene_id}_MTL.txt")
        assert all(
            Path(href).is_absolute() and Path(href).is_file() for href in scene.assets.values()
        )
        assert scene.item["properties"]["proj:epsg"] == 32627  # the raw item, as stored
        assert scene.acquired.tzinfo is not None


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(lambda p: str(p), id="catalog.json"),
        pytest.param(lambda p: str(p.parent), id="folder"),
        pytest.param(lambda p: p.as_uri(), id="file-url"),
    ],
)
def test_local_catalog_location_forms(catalog, form):
    assert len(discover(form(catalog), **_window())) == 10


def test_date_range_is_half_open(catalog):
    times = overpass_datetimes(226, 10, START, END)
    window = {**_window(), "start": times[2], "end": times[5]}
    scenes = discover(str(catalog), **window)
    assert [s.acquired for s in scenes] == [
        read_mtl(Path(s.assets["MTL"])).acquired for s in scenes
    ]
    assert [s.acquired.date() for s in scenes] == [t.date() for t in times[2:5]]


def test_naive_datetimes_are_utc(catalog):
    times = overpass_datetimes(226, 10, START, END)
    naive = {
        **_window(),
        "start": times[1].replace(tzinfo=None),
        "end": datetime.datetime(2021, 7, 1),
    }
    aware = {**_window(), "start": times[1], "end": _utc(2021, 7, 1)}
    assert discover(str(catalog), **naive) == discover(str(catalog), **aware)


def test_cloud_filter_uses_the_mtl_cloud_cover(catalog):
    every = discover(str(catalog), **_window())
    covers = {s.scene_id: read_mtl(Path(s.assets["MTL"])).cloud_cover for s in every}
    assert {s.scene_id: s.cloud_cover for s in every} == covers
    limit = sorted(covers.values())[4]
    kept = discover(str(catalog), **_window(), max_cloud=limit)
    assert {s.scene_id for s in kept} == {k for k, v in covers.items() if v <= limit}
    assert len(kept) == 5


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"path": 225}, id="other-path"),
        pytest.param({"row": 11}, id="other-row"),
        pytest.param({"platform": "landsat-9"}, id="landsat-9"),
        pytest.param({"collection": "landsat-c2-l2"}, id="other-collection"),
        pytest.param({"start": _utc(2022, 1, 1), "end": _utc(2023, 1, 1)}, id="other-year"),
    ],
)
def test_local_catalog_filters(catalog, change):
    assert discover(str(catalog), **{**_window(), **change}) == []


def test_matching_collection_and_platform_spelling(catalog):
    scenes = discover(str(catalog), **_window(), collection="landsat-c2-l1", platform="LANDSAT_8")
    assert len(scenes) == 10


def test_moved_catalog_still_resolves(catalog, tmp_path):
    moved = tmp_path / "moved"
    shutil.copytree(catalog.parent, moved)
    scenes = discover(str(moved / "catalog.json"), **_window())
    assert len(scenes) == 10
    assert all(href.startswith(str(moved)) for href in scenes[0].assets.values())


def test_missing_catalog_is_a_discovery_error(tmp_path):
    with pytest.raises(DiscoveryError, match="does not exist"):
        discover(str(tmp_path / "nowhere" / "catalog.json"), **_window())


def test_invalid_catalog_json_is_a_discovery_error(tmp_path):
    broken = tmp_path / "catalog.json"
    broken.write_text("{not json")
    with pytest.raises(DiscoveryError, match=str(broken)) as info:
        discover(str(broken), **_window())
    assert isinstance(info.value, LandsatOpsError)
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------------------------
# Asset key normalisation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assets", "base", "expected"),
    [
        pytest.param(
            {
                "red": {"href": "s3://b/x_SR_B4.TIF"},
                "qa": {"href": "s3://b/x_ST_QA.TIF"},
                "qa_pixel": {"href": "s3://b/x_QA_PIXEL.TIF"},
                "mtl.json": {"href": "s3://b/x_MTL.json"},
                "mtl.txt": {"href": "s3://b/x_MTL.txt"},
            },
            None,
            {"B4": "s3://b/x_SR_B4.TIF", "QA": "s3://b/x_QA_PIXEL.TIF", "MTL": "s3://b/x_MTL.txt"},
            id="earth-search-qa-is-not-qa-pixel",
        ),
        pytest.param(
            {"SR_B5": {"href": "https://a/x_SR_B5.TIF"}, "MTL.txt": {"href": "https://a/m.txt"}},
            None,
            {"B5": "https://a/x_SR_B5.TIF", "MTL": "https://a/m.txt"},
            id="planetary-computer",
        ),
        pytest.param(
            {"SR_B7.TIF": {"href": "b7.tif"}, "QA_PIXEL.TIF": {"href": "qa.tif"}},
            "https://host/items/x.json",
            {"B7": "https://host/items/b7.tif", "QA": "https://host/items/qa.tif"},
            id="usgs-beta-relative-to-url",
        ),
        pytest.param(
            {"B6": {"href": "../s/b6.TIF"}, "BQA": {"href": "../s/bqa.TIF"}, "MTL": {"href": "m"}},
            "/data/cat/items/x.json",
            {"B6": "/data/cat/s/b6.TIF", "QA": "/data/cat/s/bqa.TIF", "MTL": "/data/cat/items/m"},
            id="sat-api-relative-to-file",
        ),
        pytest.param(
            {"band-5": {"href": "https://a/5.tif", "eo:bands": [{"common_name": "nir08"}]}},
            None,
            {"B5": "https://a/5.tif"},
            id="unknown-key-with-eo-bands",
        ),
    ],
)
def test_normalize_assets(assets, base, expected):
    assert normalize_assets(assets, base) == expected


# --------------------------------------------------------------------------------------------
# Recorded STAC API answers
# --------------------------------------------------------------------------------------------


def test_earth_search_pages_through_next_token(stac_dir, serve):
    page1, page2 = load_json(stac_dir / EARTH_SEARCH_1), load_json(stac_dir / EARTH_SEARCH_2)
    server = serve({"/search": [page1, page2]})
    scenes = discover(
        server.url,
        path=33,
        row=32,
        start=_utc(2023, 10, 8),
        end=_utc(2023, 10, 9),
        collection="landsat-c2-l2",
    )
    # Issue 10: the scene is keyed by its full product ID (from the file names); the item id,
    # which lacks the processing date, is kept as item_id.
    assert [s.scene_id for s in scenes] == ["LC08_L2SP_033032_20231008_20231017_02_T1"]
    assert [s.item_id for s in scenes] == ["LC08_L2SP_033032_20231008_02_T1"]
    scene = scenes[0]
    assert scene.cloud_cover == 0.06 and scene.platform == "landsat-8"
    assert scene.acquired == _utc(2023, 10, 8, 17, 37, 26, 656958)
    assert list(scene.assets) == ALL_KEYS
    assert scene.assets["B1"].endswith("_SR_B1.TIF") and scene.assets["B1"].startswith("s3://")
    assert scene.assets["QA"].endswith("_QA_PIXEL.TIF")
    assert scene.assets["MTL"].endswith("_MTL.txt")
    searches = [r for r in server.requests if r.path == "/search"]
    assert [r.method for r in searches] == ["POST", "POST"]
    assert searches[0].body["collections"] == ["landsat-c2-l2"]
    assert searches[1].body["next"] == page1["links"][0]["body"]["next"]


def test_sentinel_items_are_dropped_by_the_platform_filter(stac_dir, serve):
    page1, page2 = load_json(stac_dir / EARTH_SEARCH_1), load_json(stac_dir / EARTH_SEARCH_2)
    server = serve({"/search": [page1, page2]})
    window = {"start": _utc(2023, 10, 8), "end": _utc(2023, 10, 9)}
    assert len(discover(server.url, path=33, row=32, **window)) == 1
    assert discover(server.url, path=13, row=32, **window, platform="sentinel-2a") == []


def _expected(features, *, path, row, platform="landsat-8", max_cloud=None, start, end):
    wanted = set()
    for f in features:
        p = f["properties"]
        when = datetime.datetime.fromisoformat(p["datetime"])
        if (
            int(p["landsat:wrs_path"]) == path
            and int(p["landsat:wrs_row"]) == row
            and p["platform"] == platform
            and start <= when < end
            and (max_cloud is None or p["eo:cloud_cover"] <= max_cloud)
        ):
            wanted.add(f["id"])
    return wanted


@pytest.mark.parametrize(
    ("recording", "path", "row"),
    [
        pytest.param(PC_NETHERLANDS, 197, 23, id="netherlands-197-023"),
        pytest.param(PC_NETHERLANDS, 198, 22, id="netherlands-198-022"),
        pytest.param(PC_CHATHAM, 66, 91, id="chatham-066-091"),
    ],
)
@pytest.mark.parametrize("max_cloud", [None, 20.0])
def test_planetary_computer_pages_are_filtered_by_path_row_and_cloud(
    stac_dir, serve, recording, path, row, max_cloud
):
    page = load_json(stac_dir / recording)
    server = serve({"/search": [page]})
    window = {"start": _utc(2019, 1, 1), "end": _utc(2022, 1, 1)}
    scenes = discover(
        server.url,
        path=path,
        row=row,
        **window,
        collection="landsat-8-c2-l2",
        max_cloud=max_cloud,
    )
    expected = _expected(page["features"], path=path, row=row, max_cloud=max_cloud, **window)
    assert 5 < len(expected) < 250
    assert {s.item_id for s in scenes} == expected  # issue 10: scene_id is the product ID
    for scene in scenes:
        assert scene.assets["B4"].endswith(f"/{scene.scene_id}/{scene.scene_id}_SR_B4.TIF")
        assert scene.scene_id.split("_")[:4] == scene.item_id.split("_")[:4]
    assert [s.acquired for s in scenes] == sorted(s.acquired for s in scenes)
    assert all(s.assets["B4"].endswith("_SR_B4.TIF") for s in scenes)
    assert all(s.assets["QA"].endswith("_QA_PIXEL.TIF") for s in scenes)
    assert all(s.assets["MTL"].endswith("_MTL.txt") for s in scenes)
    assert server.count("/search") == 1  # the recorded next link leads nowhere: dropped


def test_query_extension_is_sent_when_advertised(stac_dir, serve):
    page = load_json(stac_dir / PC_NETHERLANDS)
    server = serve({"/search": [page]}, conforms_to=(*ITEM_SEARCH, QUERY))
    scenes = discover(
        server.url, path=197, row=23, start=_utc(2019, 1, 1), end=_utc(2023, 1, 1), max_cloud=20
    )
    assert scenes
    query = server.requests[-1].body["query"]
    assert query == {
        "landsat:wrs_path": {"in": ["197"]},
        "landsat:wrs_row": {"in": ["023", "23"]},
        "eo:cloud_cover": {"lte": 20},
    }


def test_query_rejected_by_the_server_is_dropped(stac_dir, serve):
    page = load_json(stac_dir / PC_NETHERLANDS)
    rejected = Reply(400, {"code": "BadRequest", "description": "unknown query property"})
    server = serve({"/search": [rejected, page]}, conforms_to=(*ITEM_SEARCH, QUERY))
    scenes = discover(server.url, path=197, row=23, start=_utc(2019, 1, 1), end=_utc(2023, 1, 1))
    assert scenes
    first, second = (r.body for r in server.requests if r.path == "/search")
    assert "query" in first and "query" not in second


def test_landsat9_page_gives_nothing_for_landsat8(stac_dir, serve):
    page = load_json(stac_dir / PC_LANDSAT9)
    server = serve({"/search": [page]})
    window = {"path": 84, "row": 82, "start": _utc(2025, 7, 1), "end": _utc(2025, 8, 1)}
    assert discover(server.url, **window) == []
    scenes = discover(server.url, **window, platform="landsat-9")
    assert [s.item_id for s in scenes] == ["LC09_L2SR_084082_20250722_02_T1"]
    assert [s.scene_id for s in scenes] == ["LC09_L2SR_084082_20250722_20250725_02_T1"]
    assert list(scenes[0].assets) == ALL_KEYS


def test_landsatlook_upper_case_platform_and_level2_suffix(stac_dir, serve):
    server = serve(
        {
            "/": [load_json(stac_dir / LANDSATLOOK_ROOT)],
            "/search": [load_json(stac_dir / LANDSATLOOK_SEARCH)],
        }
    )
    scenes = discover(
        server.url,
        path=47,
        row=27,
        start=_utc(2020, 12, 1),
        end=_utc(2021, 1, 1),
        collection="landsat-c2l2-sr",
        max_cloud=5,
    )
    assert len(scenes) == 1
    scene = scenes[0]
    assert scene.scene_id == "LC08_L2SP_047027_20201204_20210313_02_T1"
    assert scene.item["id"] == "LC08_L2SP_047027_20201204_20210313_02_T1_SR"
    assert scene.platform == "landsat-8" and scene.cloud_cover == 1.55
    assert list(scene.assets) == ALL_KEYS
    assert scene.assets["MTL"].endswith("_MTL.txt")
    # LandsatLook's search link has no method, i.e. GET; it advertises the query extension.
    search = server.requests[-1]
    assert search.method == "GET" and "query=" in search.query


@pytest.mark.parametrize(
    ("recording", "window", "scene_id", "cloud"),
    [
        pytest.param(
            SAT_API_SEARCH,
            {"path": 183, "row": 23, "start": _utc(2016, 6, 1), "end": _utc(2016, 7, 1)},
            "LC08_L1TP_183023_20160625_20170323_01_T1",
            0.0,
            id="sat-api-2018-integer-path-row",
        ),
        pytest.param(
            SAT_API_NIGHT_ITEM,
            {"path": 169, "row": 221, "start": _utc(2019, 9, 20), "end": _utc(2019, 9, 21)},
            "LC81692212019263",
            None,
            id="sat-api-2019-unknown-cloud",
        ),
        pytest.param(
            USGS_BETA_ITEM,
            {"path": 81, "row": 119, "start": _utc(2020, 1, 1), "end": _utc(2020, 1, 2)},
            "LC08_L2SR_081119_20200101_20200823_02_T2",
            0.0,
            id="usgs-beta-unpadded-path",
        ),
    ],
)
def test_legacy_items(stac_dir, serve, recording, window, scene_id, cloud):
    body = load_json(stac_dir / recording)
    page = {"type": "FeatureCollection", "features": _features(body)}
    server = serve({"/search": [page]})
    scenes = discover(server.url, **window, max_cloud=10)
    assert [s.scene_id for s in scenes] == [scene_id]
    scene = scenes[0]
    assert scene.cloud_cover == cloud  # -1 is unknown: None, and kept despite max_cloud
    assert scene.platform == "landsat-8"
    assert list(scene.assets) == ALL_KEYS
    assert all(href.startswith(("http://", "https://")) for href in scene.assets.values())


def test_usgs_beta_relative_href_is_made_absolute(stac_dir, serve):
    page = {"type": "FeatureCollection", "features": [load_json(stac_dir / USGS_BETA_ITEM)]}
    server = serve({"/search": [page]})
    (scene,) = discover(server.url, path=81, row=119, start=_utc(2020, 1, 1), end=_utc(2020, 2, 1))
    assert scene.assets["B2"] == (
        f"{server.url}/tests/data-files/landsat/LC08_L2SR_081119_20200101_20200823_02_T2_SR_B2_small.TIF"
    )


# --------------------------------------------------------------------------------------------
# Retries and failures
# --------------------------------------------------------------------------------------------

WINDOW = {"path": 33, "row": 32, "start": _utc(2023, 10, 8), "end": _utc(2023, 10, 9)}


def test_503_is_retried(stac_dir, serve):
    page1 = load_json(stac_dir / EARTH_SEARCH_1)
    server = serve({"/search": [Reply(503), page1, load_json(stac_dir / EARTH_SEARCH_2)]})
    scenes = discover(server.url, **WINDOW, max_retries=3)
    assert len(scenes) == 1
    assert server.count("/search") == 3  # 503, page 1, page 2


def test_permanent_503_is_a_discovery_error_in_bounded_time(serve):
    server = serve({"/search": [Reply(503)]})
    started = time.monotonic()
    with pytest.raises(DiscoveryError, match=server.url) as info:
        discover(server.url, **WINDOW, max_retries=2, timeout=5)
    assert time.monotonic() - started < 10
    assert server.count("/search") == 3  # first try + 2 retries
    assert "\n" not in str(info.value)


def test_failing_landing_page_is_a_discovery_error(serve):
    server = serve({"/": [Reply(500)]})
    with pytest.raises(DiscoveryError, match="cannot be opened"):
        discover(server.url, **WINDOW, max_retries=1)
    assert server.count("/") == 2


def test_unreachable_server_is_a_discovery_error():
    with socket.socket() as sock:  # a free port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with pytest.raises(DiscoveryError, match=url):
        discover(url, **WINDOW, max_retries=2, timeout=2)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("route", "reply"),
    [
        pytest.param("/search", Reply(200, b"<html>maintenance</html>", "text/html"), id="html"),
        pytest.param("/search", Reply(200, b'{"type": "FeatureColl'), id="truncated"),
        pytest.param("/", Reply(200, b"not json at all", "text/plain"), id="landing"),
    ],
)
def test_invalid_json_is_a_discovery_error(serve, route, reply):
    server = serve({route: [reply]})
    with pytest.raises(DiscoveryError, match=server.url):
        discover(server.url, **WINDOW)


def test_api_without_item_search_is_a_discovery_error(serve):
    server = serve({}, conforms_to=("https://api.stacspec.org/v1.0.0/core",))
    with pytest.raises(DiscoveryError, match="item search"):
        discover(server.url, **WINDOW)


def test_replay_server_is_generic(stac_dir, serve):
    """The helper itself: ordered replies, last one repeats, links point at the server."""
    page1 = load_json(stac_dir / EARTH_SEARCH_1)
    server = serve({"/search": [Reply(503), page1]})
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{server.url}/search")
    for _ in range(2):
        with urllib.request.urlopen(f"{server.url}/search") as answer:
            body = json.load(answer)
        assert [link["rel"] for link in body["links"]] == ["root"]  # last reply: no next
        assert body["links"][0]["href"] == f"{server.url}/"
    with urllib.request.urlopen(f"{server.url}/") as answer:
        landing = json.load(answer)
    assert {link["href"] for link in landing["links"] if link["rel"] == "search"} == {
        f"{server.url}/search"
    }


# --------------------------------------------------------------------------------------------
# What discovery cannot read (issue 17): skipped in one line, the valid items still used
# --------------------------------------------------------------------------------------------


def _landsat_feature(stac_dir) -> dict:
    page = load_json(stac_dir / EARTH_SEARCH_1)
    return next(f for f in page["features"] if f["id"].startswith("LC08"))


def test_malformed_items_are_skipped_and_the_valid_one_on_the_page_is_used(stac_dir, serve, caplog):
    valid = _landsat_feature(stac_dir)
    nope = dict(valid, id="assets-nope", assets="nope")
    no_id = {k: v for k, v in valid.items() if k != "id"}
    bad_props = dict(valid, id="props-list", properties=[])
    page = {"type": "FeatureCollection", "features": [nope, 7, no_id, bad_props, valid]}
    server = serve({"/search": [page]})
    with caplog.at_level(logging.WARNING, logger="landsat_pipeline.discovery"):
        scenes = discover(server.url, **WINDOW)
    assert [s.item_id for s in scenes] == [valid["id"]]
    assert server.count("/search") == 1
    assert [r.getMessage() for r in caplog.records] == [
        "skipping item 'assets-nope': its assets are str, not an object",
        "skipping feature #2: it is int, not a JSON object",
        "skipping feature #3: it has no id",
        "skipping item 'props-list': its properties are list, not an object",
    ]


@pytest.mark.parametrize("item_id", ["../../escape", "LC08/../x", "..", "a\nb"])
def test_an_unsafe_id_is_refused_in_one_line_and_not_retried(stac_dir, serve, caplog, item_id):
    valid = _landsat_feature(stac_dir)
    page = {"type": "FeatureCollection", "features": [dict(valid, id=item_id), valid]}
    server = serve({"/search": [page]})
    with caplog.at_level(logging.WARNING, logger="landsat_pipeline.discovery"):
        scenes = discover(server.url, **WINDOW)
    assert [s.item_id for s in scenes] == [valid["id"]] and server.count("/search") == 1
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith(f"refusing item {item_id!r}: its id {item_id!r} cannot name a key")
    assert line.endswith("skipped, not retried") and "\n" not in line


def test_relative_hrefs_resolve_against_the_page_never_the_self_link(stac_dir, serve):
    item = _landsat_feature(stac_dir)
    for asset in item["assets"].values():
        asset["href"] = asset["href"].rsplit("/", 1)[1]
        asset.pop("alternate", None)
    item["links"] = [{"rel": "self", "href": "file:///etc/items/item.json"}]
    server = serve({"/search": [{"type": "FeatureCollection", "features": [item]}]})
    (scene,) = discover(server.url, **WINDOW)
    hrefs = [h for s in scene.sources.values() for h in s["hrefs"]] + list(scene.assets.values())
    assert hrefs and all(h.startswith(f"{server.url}/") for h in hrefs), hrefs


def test_a_next_link_off_the_catalogs_host_is_refused_before_connecting(stac_dir, serve):
    page = {
        "type": "FeatureCollection",
        "features": [_landsat_feature(stac_dir)],
        "links": [{"rel": "next", "href": "http://169.254.169.254/latest/meta-data/"}],
    }
    server = serve({"/search": [Reply(body=json.dumps(page).encode())]})  # links as they are
    with pytest.raises(DiscoveryError) as info:
        discover(server.url, **WINDOW, max_retries=0, timeout=2)
    message = str(info.value)
    assert "169.254.169.254:80 is not the catalog's host" in message
    assert len(message.splitlines()) == 1 and server.count("/search") == 1


def test_a_static_catalog_reads_only_item_files_under_its_own_folder(tmp_path, caplog):
    root = tmp_path / "catalog"
    catalog = make_catalog(root, start=START, end=END, width=64, height=64, max_scenes=1)
    (item_file,) = root.glob("landsat-c2-l1/*/*.json")
    outside = tmp_path / "outside.json"
    shutil.copy(item_file, outside)
    collection_file = root / "landsat-c2-l1" / "collection.json"
    collection = json.loads(collection_file.read_text())
    collection["links"] += [
        {"rel": "item", "href": "/etc/passwd", "type": "application/json"},
        {"rel": "item", "href": "../../outside.json", "type": "application/json"},
    ]
    collection_file.write_text(json.dumps(collection))
    with caplog.at_level(logging.WARNING, logger="landsat_pipeline.discovery"):
        scenes = discover(str(catalog), **_window())
    assert [s.scene_id for s in scenes] == [item_file.stem]
    refused = [r.getMessage() for r in caplog.records]
    assert len(refused) == 2 and all(m.startswith("refusing the item link ") for m in refused)
    assert "/etc/passwd" in refused[0] and "outside.json" in refused[1]
