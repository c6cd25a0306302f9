"""The real archive's catalogs end to end, offline: discover -> land_scene -> render_scene.

For Earth Search, Planetary Computer and LandsatLook, a recorded search response is replayed
by a local STAC API (tests/stac_replay.py) with its Landsat item rewritten to point at a real
raster set of ../shared/data/landsat (each catalog keeps its own id convention and href form).
The bytes sit behind local servers on 127.0.0.1, started here:

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
import hashlib
import http.client
import json
import logging
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from landsat_pipeline.discovery import discover, scene_to_xcom
from landsat_pipeline.errors import LandingError
from landsat_pipeline.keys import landing_record_key
from landsat_pipeline.landing import land_scene
from landsat_pipeline.sources import SourceOptions
from tests.stac_replay import StacReplayServer, load_json

SET = "LC08_L2SP_005009_20150710_20200908_02_T2_512px"
PID = "LC08_L2SP_005009_20150710_20200908_02_T2"
NEW_DIR = "2015/005/009"
SAS_TOKEN = "st=2015-01-01&se=2099-01-01&sp=rl&sig=SeCrEtSiGnAtUrE"
WINDOW = {"path": 5, "row": 9}


# --------------------------------------------------------------------------------------------
# Local servers
# --------------------------------------------------------------------------------------------


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 running ``handle(handler)`` for every request."""

    def __init__(self, handle):
        outer = self
        self.requests: Counter = Counter()

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                outer.requests[(self.command, urlsplit(self.path).path)] += 1
                handle(self)

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _any

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def gets(self) -> int:
        return sum(n for (method, _), n in self.requests.items() if method == "GET")

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _reply(handler, status, body=b"", content_type="application/xml", headers=()):
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers:
        handler.send_header(name, value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def requester_pays_proxy(moto_url: str, bucket: str) -> _Server:
    """Forward to moto; GET/HEAD of ``bucket`` without ``x-amz-request-payer`` is a 403."""
    target = urlsplit(moto_url)

    def handle(h):
        parts = urlsplit(h.path)
        if (
            h.command in ("GET", "HEAD")
            and parts.path.startswith(f"/{bucket}/")
            and h.headers.get("x-amz-request-payer", "").lower() != "requester"
        ):
            body = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
            return _reply(h, 403, body)
        length = int(h.headers.get("Content-Length") or 0)
        data = h.rfile.read(length) if length else None
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        headers = {k: v for k, v in h.headers.items() if k.lower() != "host"}
        headers["Host"] = target.netloc
        conn.request(h.command, h.path, body=data, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        h.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                h.send_header(name, value)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(payload)
        conn.close()

    return _Server(handle)


def blob_and_signing_server(files: dict[str, Path]) -> _Server:
    """``/token/<account>/<container>`` -> a SAS token; ``/<account>/<path>`` needs ``sig``."""

    def handle(h):
        parts = urlsplit(h.path)
        if parts.path.startswith("/token/"):
            body = json.dumps({"msft:expiry": "2099-01-01T00:00:00Z", "token": SAS_TOKEN})
            return _reply(h, 200, body.encode(), "application/json")
        query = parse_qs(parts.query)
        if query.get("sig") != ["SeCrEtSiGnAtUrE"] or parts.path not in files:
            return _reply(h, 404, b"<Error><Code>ResourceNotFound</Code></Error>")
        _reply(h, 200, files[parts.path].read_bytes(), "image/tiff")

    return _Server(handle)


def login_redirect_server() -> _Server:
    """Every file path redirects to ``/login``, an HTML page (LandsatLook without a session)."""

    def handle(h):
        if urlsplit(h.path).path == "/login":
            page = b"<!DOCTYPE html><html><body><form>USGS ERS login</form></body></html>"
            return _reply(h, 200, page, "text/html")
        _reply(h, 302, headers=[("Location", "/login?redirect=1")])

    return _Server(handle)


# --------------------------------------------------------------------------------------------
# Fixtures: the raster set in a requester-pays bucket, the recorded items rewritten
# --------------------------------------------------------------------------------------------


@pytest.fixture
def raster_set(landsat_data) -> dict[str, Path]:
    """Suffix (``SR_B4.TIF``, ``MTL.txt``, ...) -> file of the real 512 px L2 set."""
    folder = landsat_data / "rasters" / SET
    return {p.name[len(PID) + 1 :]: p for p in folder.iterdir() if p.name.startswith(PID)}


@pytest.fixture
def archive(aws_env, raster_set):
    """The set under ``s3://usgs-landsat/collection02/...`` on moto, behind the proxy."""
    import boto3
    from botocore.config import Config

    moto = boto3.client("s3")
    moto.create_bucket(Bucket="usgs-landsat")
    moto.create_bucket(Bucket="landsat-ops-test")
    prefix = f"collection02/level-2/standard/oli-tirs/{NEW_DIR}/{PID}"
    for suffix, path in raster_set.items():
        moto.upload_file(str(path), "usgs-landsat", f"{prefix}/{PID}_{suffix}")
    proxy = requester_pays_proxy(aws_env, "usgs-landsat")
    source = boto3.client(
        "s3",
        endpoint_url=proxy.url,
        region_name="us-west-2",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    yield proxy, source, moto
    proxy.stop()


def retarget(item: dict, *, new_id: str, href_map) -> dict:
    """The recorded item pointed at the raster set: id, path/row, datetime, hrefs, checksums."""
    item = copy.deepcopy(item)
    old_pid = next(
        Path(urlsplit(a["href"]).path).parent.name
        for k, a in item["assets"].items()
        if k.lower() in ("red", "sr_b4")
    )
    item["id"] = new_id
    props = item["properties"]
    props["datetime"] = "2015-07-10T15:06:31Z"
    for key in ("landsat:wrs_path", "landsat:wrs_row"):
        if key in props:
            props[key] = {"landsat:wrs_path": "005", "landsat:wrs_row": "009"}[key]
    props.pop("eo:cloud_cover", None)
    for asset in item["assets"].values():
        for holder in [asset, *(asset.get("alternate") or {}).values()]:
            href = holder["href"]
            suffix = Path(urlsplit(href).path).name[len(old_pid) + 1 :]
            holder["href"] = href_map(href, suffix, old_pid)
            if "file:checksum" in holder:
                holder["file:checksum"] = "1340" + "00" * 64  # set below, for files we have
    return item


def _old_dir(href: str, old_pid: str) -> str:
    parts = urlsplit(href).path.split("/")
    i = parts.index(old_pid)
    return "/".join(parts[i - 3 : i])


def _page(recording: Path, predicate, item: dict) -> dict:
    page = load_json(recording)
    page["features"] = [item]
    page["links"] = [link for link in page.get("links", []) if link.get("rel") != "next"]
    return page


def _discover_one(server: StacReplayServer) -> dict:
    import datetime

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
    assert sorted(first["downloaded"]) == sorted(first["uploaded"]) and len(first["uploaded"]) == 8
    landed = [key.rsplit("/", 1)[1] for key in store.list(f"landing/{PID}/")]
    assert f"{PID}_SR_B4.TIF" in landed and f"{PID}_QA_PIXEL.TIF" in landed
    assert f"{PID}_MTL.txt" in landed and len(landed) == 8
    gets = proxy_or_server.gets()
    again = land_scene(scene, store, sources=options)
    assert again["downloaded"] == [] and again["uploaded"] == [] and len(again["skipped"]) == 8
    assert proxy_or_server.gets() == gets  # a re-run fetches nothing
    local = tmp_path / "landed"
    for key in store.list(f"landing/{PID}/"):
        store.get_file(key, local / key.rsplit("/", 1)[1])
    result = render_scene(local, tmp_path / "out", products=("truecolor", "ndvi"))
    assert result.scene_id == PID
    assert (tmp_path / "out" / f"{PID}_truecolor.tif").stat().st_size > 0


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
    rec = stac / "earth-search-v1_search_landsat-c2-l2+sentinel-2-l2a_point_2023-10-08_page1.json"
    recorded = next(f for f in load_json(rec)["features"] if f["id"].startswith("LC08"))

    def href_map(href, suffix, old_pid):
        return href.replace(old_pid, PID).replace(_old_dir(href, old_pid), NEW_DIR)

    item = retarget(recorded, new_id="LC08_L2SP_005009_20150710_02_T2", href_map=href_map)
    with StacReplayServer({"/search": [_page(rec, None, item)]}) as server:
        scene = _discover_one(server)
        body = server.requests[-1].body
    assert body["intersects"]["type"] == "Point" and body["limit"] == 50
    assert scene["scene_id"] == PID and scene["item_id"] == "LC08_L2SP_005009_20150710_02_T2"
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

    rec = (
        landsat_data
        / "stac"
        / "planetary-computer_search_landsat-8-c2-l2_netherlands-aoi_250items.json.gz"
    )
    recorded = load_json(rec)["features"][0]
    files = {}

    def href_map(href, suffix, old_pid):
        new = href.replace(old_pid, PID).replace(_old_dir(href, old_pid), NEW_DIR)
        if suffix in raster_set:
            account = urlsplit(new).netloc.split(".")[0]
            files[f"/{account}{urlsplit(new).path}"] = raster_set[suffix]
        return new

    item = retarget(recorded, new_id="LC08_L2SP_005009_20150710_02_T2", href_map=href_map)
    blob = blob_and_signing_server(files)
    try:
        with StacReplayServer({"/search": [_page(rec, None, item)]}) as server:
            scene = _discover_one(server)
        assert scene["scene_id"] == PID
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
    rec = (
        landsat_data
        / "stac"
        / "usgs-landsatlook_search_ids_LC08_L2SP_047027_20201204_20210313_02_T1_SR.json"
    )
    recorded = load_json(rec)["features"][0]
    login = login_redirect_server()

    def href_map(href, suffix, old_pid):
        new = href.replace(old_pid, PID).replace(_old_dir(href, old_pid), NEW_DIR)
        if new.startswith("https://landsatlook.usgs.gov"):
            return login.url + urlsplit(new).path  # the same path, served on 127.0.0.1
        return new

    item = retarget(recorded, new_id=f"{PID}_SR", href_map=href_map)
    for asset in item["assets"].values():  # the real sha512 of the files we serve
        suffix = Path(urlsplit(asset["href"]).path).name[len(PID) + 1 :]
        if "file:checksum" in asset and suffix in raster_set:
            digest = hashlib.sha512(raster_set[suffix].read_bytes()).hexdigest()
            asset["file:checksum"] = "1340" + digest
    try:
        with StacReplayServer({"/search": [_page(rec, None, item)]}) as server:
            scene = _discover_one(server)
        assert scene["scene_id"] == PID and scene["item_id"] == f"{PID}_SR"
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
        assert login.gets() == 1 + 1  # only the https-only attempt: the redirect and the page
    finally:
        login.stop()
