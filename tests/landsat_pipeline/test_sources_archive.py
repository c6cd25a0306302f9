"""The real archive's catalogs end to end, offline: discover -> land_scene -> render_scene.

For Earth Search, Planetary Computer and LandsatLook, a recorded search response is replayed
by a local STAC API (tests/support/stac_replay.py) with its Landsat item rewritten to point at a
real raster set of ../shared/data/landsat (each catalog keeps its own id convention and href
form).
The bytes sit behind local servers on 127.0.0.1 (tests/support/archive_servers.py):

* ``usgs-landsat`` on the moto server behind a proxy that enforces requester-pays like AWS
  (403 AccessDenied without ``x-amz-request-payer: requester``);
* Azure-style blob paths that answer 404 without a SAS signature, and a signing endpoint that
  hands out the token (Planetary Computer);
* LandsatLook https paths that redirect to an HTML login page.

Each landed set renders with :func:`landsat_ops.render.render_scene`; a re-run downloads
nothing.
"""

from __future__ import annotations

import copy
import datetime
import json
import logging

import pytest

from landsat_pipeline.discovery import discover, scene_to_xcom
from landsat_pipeline.errors import LandingError
from landsat_pipeline.keys import landing_record_key
from landsat_pipeline.landing import land_scene
from landsat_pipeline.sources import SourceOptions
from tests.support.archive_servers import (
    EARTH_SEARCH,
    EARTH_SEARCH_ID,
    LANDSATLOOK,
    LANDSATLOOK_ID,
    PID,
    PLANETARY,
    PLANETARY_ID,
    SOURCE_BUCKET,
    blob_and_signing_server,
    earth_search_item,
    landsatlook_item,
    login_redirect_server,
    planetary_item,
    raster_files,
    requester_pays_proxy,
    search_page,
    upload_to_archive,
)
from tests.support.stac_replay import StacReplayServer

WINDOW = {"path": 5, "row": 9}


@pytest.fixture
def raster_set(landsat_data):
    """Suffix (``SR_B4.TIF``, ``MTL.txt``, ...) -> file of the real 512 px L2 set."""
    return raster_files(landsat_data)


@pytest.fixture
def archive(aws_env, raster_set):
    """The set under ``s3://usgs-landsat/collection02/...`` on moto, behind the proxy."""
    import boto3
    from botocore.config import Config

    moto = boto3.client("s3")
    moto.create_bucket(Bucket="landsat-ops-test")
    upload_to_archive(moto, raster_set)
    proxy = requester_pays_proxy(aws_env, SOURCE_BUCKET)
    source = boto3.client(
        "s3",
        endpoint_url=proxy.url,
        region_name="us-west-2",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    yield proxy, source, moto
    proxy.stop()


def _discover_one(server: StacReplayServer) -> dict:
    scenes = discover(
        server.url,
        **WINDOW,
        start=datetime.datetime(2015, 7, 10, tzinfo=datetime.UTC),
        end=datetime.datetime(2015, 7, 11, tzinfo=datetime.UTC),
        intersects={"type": "Point", "coordinates": [-51.0, 70.0]},
        limit=50,
    )
    assert len(scenes) == 1
    return scene_to_xcom(scenes[0])


def _render_and_rerun(scene, store, options, proxy_or_server, tmp_path):
    from landsat_ops.render import render_scene

    first = land_scene(scene, store, sources=options)
    assert first["landing_uri"] == store.uri(f"landing/{PID}")
    assert sorted(first["downloaded"]) == sorted(first["uploaded"]) and len(first["uploaded"]) == 9
    landed = [key.rsplit("/", 1)[1] for key in store.list(f"landing/{PID}/")]
    assert f"{PID}_SR_B4.TIF" in landed and f"{PID}_QA_PIXEL.TIF" in landed
    assert f"{PID}_MTL.txt" in landed and len(landed) == 9
    gets = proxy_or_server.gets()
    again = land_scene(scene, store, sources=options)
    assert again["downloaded"] == [] and again["uploaded"] == [] and len(again["skipped"]) == 9
    assert proxy_or_server.gets() == gets  # a re-run fetches nothing
    local = tmp_path / "landed"
    for key in store.list(f"landing/{PID}/"):
        store.get_file(key, local / key.rsplit("/", 1)[1])
    result = render_scene(local, tmp_path / "out", products=("truecolor", "ndvi"))
    assert result.scene_id == PID
    (truecolor,) = (tmp_path / "out").rglob(f"{PID}_truecolor.tif")  # wherever its version is
    assert truecolor.stat().st_size > 0


@pytest.fixture
def bucket(archive):
    from landsat_ops.storage import open_store

    _, _, moto = archive
    return open_store("s3://landsat-ops-test", client=moto)


# --------------------------------------------------------------------------------------------
# The three catalogs
# --------------------------------------------------------------------------------------------


def test_earth_search_requester_pays_s3(landsat_data, archive, bucket, tmp_path):
    proxy, source_client, moto = archive
    stac = landsat_data / "stac"
    item = earth_search_item(stac)
    with StacReplayServer({"/search": [search_page(stac / EARTH_SEARCH, item)]}) as server:
        scene = _discover_one(server)
        body = server.requests[-1].body
    assert body["intersects"]["type"] == "Point" and body["limit"] == 50
    assert scene["scene_id"] == PID and scene["item_id"] == EARTH_SEARCH_ID
    assert scene["sources"]["B4"]["requester_pays"] == [True]

    # Without requester-pays the bucket answers 403: a clear error, nothing landed.
    with pytest.raises(LandingError, match=r"^asset B1: s3://usgs-landsat/.*_SR_B1\.TIF: .*403"):
        land_scene(
            scene, bucket, sources=SourceOptions(s3_client=source_client, requester_pays=False)
        )
    assert bucket.list("landing/") == []
    _render_and_rerun(scene, bucket, SourceOptions(s3_client=source_client), proxy, tmp_path)


def test_planetary_computer_signed_at_download_time(landsat_data, raster_set, tmp_path, caplog):
    from landsat_ops.storage import open_store

    stac = landsat_data / "stac"
    files = {}
    item = planetary_item(stac, raster_set, files)
    blob = blob_and_signing_server(files)
    try:
        with StacReplayServer({"/search": [search_page(stac / PLANETARY, item)]}) as server:
            scene = _discover_one(server)
        assert scene["scene_id"] == PID and scene["item_id"] == PLANETARY_ID
        assert scene["assets"]["B4"].startswith("https://landsateuwest.blob.core.windows.net/")
        store = open_store(tmp_path / "bucket")
        unsigned = SourceOptions(signing_url=f"{blob.url}/nowhere", blob_endpoint=blob.url)
        with pytest.raises(LandingError, match=r"^asset B1: https://landsateuwest.*no SAS token"):
            land_scene(scene, store, sources=unsigned)
        options = SourceOptions(signing_url=f"{blob.url}/token", blob_endpoint=blob.url)
        with caplog.at_level(logging.DEBUG):
            _render_and_rerun(scene, store, options, blob, tmp_path)
        record = store.read_bytes(landing_record_key(PID)).decode()
        assert "SeCrEt" not in json.dumps(scene) + record + caplog.text
    finally:
        blob.stop()


def test_landsatlook_s3_alternate_and_login_page(
    landsat_data, archive, bucket, raster_set, tmp_path
):
    proxy, source_client, _ = archive
    stac = landsat_data / "stac"
    login = login_redirect_server()
    item = landsatlook_item(stac, raster_set, login.url)  # the real sha512 of the files
    assert item["assets"]["red"]["file:checksum"].startswith("1340")
    try:
        with StacReplayServer({"/search": [search_page(stac / LANDSATLOOK, item)]}) as server:
            scene = _discover_one(server)
        assert scene["scene_id"] == PID and scene["item_id"] == LANDSATLOOK_ID
        assert scene["sources"]["B4"]["hrefs"][0].startswith("s3://usgs-landsat/")

        # The https href alone: the login page is a clear error naming the asset.
        https_only = copy.deepcopy(scene)
        for source in https_only["sources"].values():
            source["hrefs"], source["requester_pays"] = source["hrefs"][1:], [False]
        with pytest.raises(
            LandingError, match=r"^asset B1: http://127.0.0.1:\d+/data/.*login page"
        ):
            land_scene(https_only, bucket, sources=SourceOptions(s3_client=source_client))
        assert bucket.list("landing/") == []

        _render_and_rerun(scene, bucket, SourceOptions(s3_client=source_client), proxy, tmp_path)
        # Only the https-only attempt, and only its redirect: the login page is not fetched.
        assert login.gets() == 1
    finally:
        login.stop()
