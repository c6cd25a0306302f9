"""The real archive's catalogs through the scenes DAG (`dag.test()`), offline.

For each recorded STAC API of ../shared/data/landsat/stac/ (Earth Search, Planetary Computer,
LandsatLook) a local replay server (tests/support/stac_replay.py) answers the DAG's search with the
recorded page, its Landsat item rewritten to describe the real 512 px Level-2 set
``LC08_L2SP_005009_20150710_20200908_02_T2`` in the catalog's own id convention and href form
(tests/support/archive_servers.py). The bytes sit behind local servers on 127.0.0.1:

* Earth Search and LandsatLook (its ``alternate.s3``): ``s3://usgs-landsat`` on moto behind a
  proxy that enforces requester-pays like AWS, read through the source's own Airflow
  connection (``catalog.source_conn_id``, endpoint_url in its extra);
* Planetary Computer: Azure-style blob paths needing a SAS token from a local signing endpoint
  (``catalog.signing_url``, ``catalog.blob_endpoint``);
* LandsatLook's https hrefs: a redirect to a login page (never needed: the s3 alternate is
  read first).

The DAG of path/row 005/009 runs its 2015-07-10 overpass (Landsat 8, from
:func:`landsat_ops.overpass.overpass_dates`): discover -> upload_bands -> render_local ->
publish. A re-run of the same logical date and a run by the ``scene_id`` Param (the catalog's
own item id, with ``force_render``) download nothing from the sources: their GETs are counted.

Earth Search with credentials that may not read ``usgs-landsat`` (403 even with
requester-pays): the item's ``alternate`` hrefs are read instead. The recorded Earth Search
Landsat assets carry no ``alternate`` (only LandsatLook's do); the test gives each asset an
https one, served by a plain file server, as a mirror would.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from landsat_ops.overpass import overpass_dates
from tests.support.archive_servers import (
    EARTH_SEARCH,
    EARTH_SEARCH_ID,
    LANDSATLOOK,
    LANDSATLOOK_ID,
    LANDSATLOOK_ROOT,
    PID,
    PLANETARY,
    PLANETARY_ID,
    SAS_SIGNATURE,
    SOURCE_BUCKET,
    LocalServer,
    blob_and_signing_server,
    earth_search_item,
    file_server,
    landsatlook_item,
    login_redirect_server,
    planetary_item,
    raster_files,
    requester_pays_proxy,
    search_page,
    source_key,
    upload_to_archive,
)
from tests.support.dagenv import BUCKET, REPO, task_instances, write_config, xcom
from tests.support.stac_replay import ITEM_SEARCH, QUERY, StacReplayServer, load_json

PATH, ROW = 5, 9
DAG_ID = f"landsat_p{PATH:03d}_r{ROW:03d}"
# The overpass of the set's acquisition: the run of that UTC day (logical date: its midnight).
(DAY,) = overpass_dates(PATH, ROW, datetime.date(2015, 7, 3), datetime.date(2015, 7, 18))
LOGICAL_DATE = datetime.datetime.combine(DAY, datetime.time(), datetime.UTC)
SOURCE_CONN = "landsat_source"
SOURCE_SECRET = "source-secret-key"
NO_PERMISSION_KEY = "AKIANOREQUESTERPAYS"
LANDED = ("SR_B1.TIF", "SR_B2.TIF", "SR_B3.TIF", "SR_B4.TIF", "SR_B5.TIF", "SR_B6.TIF")
LANDED += ("SR_B7.TIF",)
LANDED += ("QA_PIXEL.TIF", "MTL.txt")
RENDERED = {
    "discover": "success",
    "upload_bands": "success",
    "choose_render": "success",
    "render_local": "success",
    "publish": "success",
}


# --------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------


@dataclass
class Sources:
    """The source servers of one test, and what was put behind them."""

    files: dict
    s3: LocalServer  # the requester-pays proxy in front of moto's usgs-landsat
    servers: dict[str, LocalServer] = field(default_factory=dict)

    def gets(self) -> int:
        """GETs of source bytes (and tokens) on every source server so far."""
        return self.s3.gets(f"/{SOURCE_BUCKET}/") + sum(s.gets() for s in self.servers.values())


@pytest.fixture
def sources(landsat_data, aws_connection, s3_bucket, pipeline_config, monkeypatch):
    """usgs-landsat on moto behind the requester-pays proxy; the DAG reaches S3 through
    connections only (the bucket: aws_default; the source: ``landsat_source``)."""
    import boto3

    files = raster_files(landsat_data)
    moto = boto3.client("s3", endpoint_url=aws_connection, region_name="us-east-1")
    upload_to_archive(moto, files)
    proxy = requester_pays_proxy(aws_connection, SOURCE_BUCKET, denied_keys=[NO_PERMISSION_KEY])
    source_connection(monkeypatch, proxy.url)
    monkeypatch.delenv("AWS_ENDPOINT_URL")  # no task may fall back to the environment
    found = Sources(files, proxy)
    yield found
    for server in [proxy, *found.servers.values()]:
        server.stop()


def source_connection(monkeypatch, endpoint: str, access_key: str = "AKIASOURCEREADER"):
    """The Airflow connection ``landsat_source``: the source's own credentials and endpoint."""
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{SOURCE_CONN.upper()}",
        json.dumps(
            {
                "conn_type": "aws",
                "login": access_key,
                "password": SOURCE_SECRET,
                "extra": {
                    "endpoint_url": endpoint,
                    "region_name": "us-west-2",
                    "config_kwargs": {"retries": {"mode": "standard", "max_attempts": 2}},
                },
            }
        ),
    )


def scenes_dag(catalog: dict):
    """The DAG of 005/009, with the config pointing at ``catalog``."""
    from airflow.dag_processing.dagbag import DagBag

    write_config(
        catalog=catalog,
        area={"path_rows": [[PATH, ROW]], "start_date": "2015-01-01", "satellites": [8]},
    )
    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    return bag.get_dag(DAG_ID)


def run_states(dag_run) -> dict[str, str]:
    return {task: state for task, state, _, _ in task_instances(dag_run)}


def bucket_objects(aws_endpoint: str) -> dict[str, tuple[str, str]]:
    """Key -> (ETag, sha256 of the body) of every object of the pipeline's bucket."""
    import boto3

    client = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in page.get("Contents", []):
            body = client.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read()
            out[obj["Key"]] = (obj["ETag"], hashlib.sha256(body).hexdigest())
    return out


def expected_keys(version: str) -> set[str]:
    """Every object of the bucket after the scene is published in ``version`` (``<ID>/<v>``)."""
    from landsat_ops.products import product_files
    from landsat_pipeline.keys import landing_record_key

    path_row = f"published/{PATH:03d}/{ROW:03d}"
    return (
        {f"landing/{PID}/{PID}_{suffix}" for suffix in LANDED}
        | {landing_record_key(PID)}
        | {f"{path_row}/{DAY}/{PID}.json"}
        | {f"{path_row}/{DAY}/{version}/{name}" for name in product_files(PID)}
        | {f"{path_row}/collection.json", "catalog.json", "index.html"}
        | {f"{path_row}/index.html", f"{path_row}/{DAY.year}.html"}
    )


def all_xcoms(dag_run) -> str:
    return json.dumps([xcom(dag_run, t) for t in ("discover", "upload_bands", "publish")])


# --------------------------------------------------------------------------------------------
# The catalogs: replay server, config, where the bytes come from
# --------------------------------------------------------------------------------------------


@dataclass
class Catalog:
    settings: dict  # the config's catalog section
    item_id: str  # the catalog's own id of the scene
    replay: StacReplayServer
    source: str  # the sources server whose GETs the first run makes


def earth_search(stac, sources: Sources, stack) -> Catalog:
    page = search_page(stac / EARTH_SEARCH, earth_search_item(stac))
    replay = stack.enter_context(
        StacReplayServer({"/search": [page]}, conforms_to=(*ITEM_SEARCH, QUERY))
    )
    settings = {"url": replay.url, "collection": "landsat-c2-l2", "source_conn_id": SOURCE_CONN}
    return Catalog(settings, EARTH_SEARCH_ID, replay, "s3")


def planetary_computer(stac, sources: Sources, stack) -> Catalog:
    blob_files: dict = {}
    page = search_page(stac / PLANETARY, planetary_item(stac, sources.files, blob_files))
    blob = sources.servers["blob"] = blob_and_signing_server(blob_files)
    replay = stack.enter_context(
        StacReplayServer({"/search": [page]}, conforms_to=(*ITEM_SEARCH, QUERY))
    )
    settings = {
        "url": replay.url,
        "collection": "landsat-8-c2-l2",  # the recording's (Planetary Computer's older id)
        "signing_url": f"{blob.url}/token",
        "blob_endpoint": blob.url,
    }
    return Catalog(settings, PLANETARY_ID, replay, "blob")


def landsatlook(stac, sources: Sources, stack) -> Catalog:
    login = sources.servers["login"] = login_redirect_server()
    page = search_page(stac / LANDSATLOOK, landsatlook_item(stac, sources.files, login.url))
    root = load_json(stac / LANDSATLOOK_ROOT)  # the recorded landing page: GET search, beta
    replay = stack.enter_context(StacReplayServer({"/": [root], "/search": [page]}))
    settings = {"url": replay.url, "collection": "landsat-c2l2-sr", "source_conn_id": SOURCE_CONN}
    return Catalog(settings, LANDSATLOOK_ID, replay, "s3")


CATALOGS = {
    "earth-search": earth_search,
    "planetary-computer": planetary_computer,
    "landsatlook": landsatlook,
}


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def test_the_overpass_day_is_the_sets_acquisition(landsat_data):
    mtl = (raster_files(landsat_data)["MTL.txt"]).read_text()
    assert f"DATE_ACQUIRED = {DAY}" in mtl and DAY == datetime.date(2015, 7, 10)


@pytest.mark.parametrize("name", list(CATALOGS))
def test_each_catalog_is_published_by_the_dag_and_a_rerun_downloads_nothing(
    name, landsat_data, airflow_db, sources, aws_connection
):
    with contextlib.ExitStack() as stack:
        catalog = CATALOGS[name](landsat_data / "stac", sources, stack)
        dag = scenes_dag(catalog.settings)
        first = dag.test(logical_date=LOGICAL_DATE)

        assert first.state == "success"
        assert {t: s for t, s in run_states(first).items() if t in RENDERED} == RENDERED
        scene = xcom(first, "discover")
        assert scene["scene_id"] == PID and scene["item_id"] == catalog.item_id
        assert scene["date"] == str(DAY) and (scene["path"], scene["row"]) == (PATH, ROW)
        search = [r for r in catalog.replay.requests if r.path == "/search"][-1]
        if name == "landsatlook":  # its landing page advertises a GET search
            assert search.method == "GET" and "intersects=" in search.query
        else:
            assert search.method == "POST" and search.body["intersects"]["type"] == "Point"
            assert search.body["collections"] == [catalog.settings["collection"]]
            assert search.body["query"]["landsat:wrs_path"] == {"in": ["005", "5"]}

        # Published: the products of the real set, landed byte for byte from the source.
        objects = bucket_objects(aws_connection)
        version = xcom(first, "publish")["version"]
        assert version.startswith(f"{PID}/")
        assert set(objects) == expected_keys(version)
        published = f"published/{PATH:03d}/{ROW:03d}/{DAY}"
        item = json.loads(read_object(aws_connection, f"{published}/{PID}.json"))
        assert item["assets"]["truecolor_tif"]["href"] == f"./{version}/{PID}_truecolor.tif"
        assert f"{published}/{version}/{PID}_truecolor.tif" in objects
        for suffix in LANDED:
            source = hashlib.sha256(sources.files[suffix].read_bytes()).hexdigest()
            assert objects[f"landing/{PID}/{PID}_{suffix}"][1] == source, suffix
        landed = xcom(first, "upload_bands")
        assert sorted(landed["downloaded"]) == sorted(f"{PID}_{s}" for s in LANDED)
        server = sources.s3 if catalog.source == "s3" else sources.servers[catalog.source]
        data_gets = server.gets(f"/{SOURCE_BUCKET}/" if catalog.source == "s3" else "/landsat")
        assert data_gets == len(LANDED)  # one GET per landed file, nothing else
        if name == "landsatlook":
            assert sources.servers["login"].gets() == 0  # the s3 alternate was read first
        assert SOURCE_SECRET not in all_xcoms(first)
        assert SAS_SIGNATURE not in all_xcoms(first)
        gets = sources.gets()

        # The same logical date again: nothing downloaded, rendered or rewritten.
        again = dag.test(logical_date=LOGICAL_DATE)
        assert again.state == "success"
        assert run_states(again)["render_local"] == "skipped"  # already published complete
        assert xcom(again, "upload_bands")["downloaded"] == []
        assert sources.gets() == gets
        assert bucket_objects(aws_connection) == objects

        # By the scene_id Param, with the catalog's own item id, rendered again: no download.
        forced = dag.test(
            logical_date=None, run_conf={"scene_id": catalog.item_id, "force_render": True}
        )
        assert forced.state == "success"
        assert run_states(forced)["render_local"] == "success"
        assert xcom(forced, "discover")["scene_id"] == PID
        assert xcom(forced, "upload_bands")["downloaded"] == []
        assert sources.gets() == gets
        # The same render: the same version, the item already names it; nothing written.
        assert xcom(forced, "publish")["version"] == version
        assert bucket_objects(aws_connection) == objects


def test_earth_search_alternate_when_the_s3_href_is_not_readable_with_the_users_credentials(
    landsat_data, airflow_db, sources, aws_connection, monkeypatch, caplog
):
    # Credentials without permission on usgs-landsat: 403 even with requester-pays.
    source_connection(monkeypatch, sources.s3.url, access_key=NO_PERMISSION_KEY)
    stac = landsat_data / "stac"
    item = earth_search_item(stac)
    mirror_files = {}
    for asset in item["assets"].values():  # an https alternate of each asset, on a mirror
        path = "/mirror" + urlsplit(asset["href"]).path
        name = path.rsplit("/", 1)[1]
        if name.startswith(PID) and name[len(PID) + 1 :] in sources.files:
            mirror_files[path] = sources.files[name[len(PID) + 1 :]]
        asset["alternate"] = {"https": {"href": f"https://mirror.invalid{path}"}}
    mirror = sources.servers["mirror"] = file_server(mirror_files)
    for asset in item["assets"].values():
        alternate = asset["alternate"]["https"]
        alternate["href"] = alternate["href"].replace("https://mirror.invalid", mirror.url)
    page = search_page(stac / EARTH_SEARCH, item)
    with StacReplayServer({"/search": [page]}) as replay:
        dag = scenes_dag(
            {"url": replay.url, "collection": "landsat-c2-l2", "source_conn_id": SOURCE_CONN}
        )
        run = dag.test(logical_date=LOGICAL_DATE)

    assert run.state == "success"
    assert {t: s for t, s in run_states(run).items() if t in RENDERED} == RENDERED
    scene = xcom(run, "discover")
    assert scene["sources"]["B4"]["hrefs"][0].startswith(f"s3://{SOURCE_BUCKET}/")
    assert scene["sources"]["B4"]["hrefs"][1].startswith(f"{mirror.url}/mirror/")
    # Every landed file: the s3 href was tried (403), then the alternate was read.
    assert sources.s3.requests[("GET", f"/{SOURCE_BUCKET}/{source_key('SR_B4.TIF')}")] == 1
    assert sources.s3.gets(f"/{SOURCE_BUCKET}/") == len(LANDED)
    assert mirror.gets() == len(LANDED)
    objects = bucket_objects(aws_connection)
    assert set(objects) == expected_keys(xcom(run, "publish")["version"])
    for suffix in LANDED:
        source = hashlib.sha256(sources.files[suffix].read_bytes()).hexdigest()
        assert objects[f"landing/{PID}/{PID}_{suffix}"][1] == source, suffix
    assert "_SR_B4.TIF: download failed (HTTP 403 AccessDenied)" in caplog.text
    assert "trying the next href" in caplog.text
    record = json.loads(_landing_record(aws_connection))
    assert record["files"][f"{PID}_SR_B4.TIF"]["hrefs"][1].startswith(mirror.url)

    # A re-run: the landed files match the record; neither source is asked again.
    gets = sources.gets()
    with StacReplayServer({"/search": [page]}) as replay:
        dag = scenes_dag(
            {"url": replay.url, "collection": "landsat-c2-l2", "source_conn_id": SOURCE_CONN}
        )
        again = dag.test(logical_date=LOGICAL_DATE)
    assert again.state == "success" and xcom(again, "upload_bands")["downloaded"] == []
    assert sources.gets() == gets


def _landing_record(aws_endpoint: str) -> bytes:
    from landsat_pipeline.keys import landing_record_key

    return read_object(aws_endpoint, landing_record_key(PID))


def read_object(aws_endpoint: str, key: str) -> bytes:
    import boto3

    client = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_the_source_connections_botocore_config_is_kept(monkeypatch):
    """``config_kwargs`` of the source's connection hold, merged over the bounded timeouts."""
    from botocore import UNSIGNED

    from landsat_pipeline.sources.s3 import source_client

    extra = {"signature_version": "unsigned", "retries": {"mode": "standard", "max_attempts": 7}}
    monkeypatch.setenv(
        "AIRFLOW_CONN_PUBLIC_SOURCE",
        json.dumps(
            {"conn_type": "aws", "extra": {"region_name": "us-west-2", "config_kwargs": extra}}
        ),
    )
    config = source_client("public_source", timeout=(3.0, 40.0)).meta.config
    assert config.signature_version is UNSIGNED  # anonymous reads of a public bucket
    assert config.retries["total_max_attempts"] == 8  # botocore: 1 + max_attempts
    assert (config.connect_timeout, config.read_timeout) == (3.0, 40.0)
