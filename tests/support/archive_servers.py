"""The real archive's catalogs, offline: recorded items pointed at a real raster set, and the
local servers (127.0.0.1 only) that stand in for where the bytes live.

The recorded search responses of ``../shared/data/landsat/stac/`` (Earth Search, Planetary
Computer, LandsatLook) are rewritten by :func:`retarget` to describe the real 512 px Level-2
set ``LC08_L2SP_005009_20150710_20200908_02_T2`` (path 005, row 009, 2015-07-10), each keeping
its catalog's own id convention and href form (:func:`earth_search_item`,
:func:`planetary_item`, :func:`landsatlook_item`); :func:`search_page` puts one in its
recording's page, for :class:`tests.stac_replay.StacReplayServer`.

Servers (each a :class:`LocalServer` counting its requests):

* :func:`requester_pays_proxy`: a moto S3 server behind a proxy that enforces requester-pays
  like AWS: GET/HEAD of the bucket without ``x-amz-request-payer: requester`` is a 403
  AccessDenied; so is any request signed with an access key in ``denied_keys`` (credentials
  without the permission to read the bucket);
* :func:`blob_and_signing_server`: Azure-style blob paths that answer 404 without a SAS
  signature, and a Planetary Computer style token endpoint handing it out;
* :func:`login_redirect_server`: LandsatLook paths redirecting to an HTML login page;
* :func:`file_server`: plain https-like file paths (a mirror anyone can read).

Tests import it as ``from tests.support.archive_servers import ...``.
"""

from __future__ import annotations

import copy
import hashlib
import http.client
import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from landsat_ops.storage.multihash import MULTIHASH_ALGORITHMS
from tests.support.stac_replay import load_json

__all__ = [
    "BLOB_HOST",
    "DAY",
    "EARTH_SEARCH",
    "EARTH_SEARCH_ID",
    "LANDSATLOOK",
    "LANDSATLOOK_ID",
    "LANDSATLOOK_ROOT",
    "NEW_DIR",
    "PATH_ROW",
    "PID",
    "PLANETARY",
    "PLANETARY_ID",
    "SAS_SIGNATURE",
    "SAS_TOKEN",
    "SET",
    "SOURCE_BUCKET",
    "LocalServer",
    "blob_and_signing_server",
    "earth_search_item",
    "file_server",
    "landsatlook_item",
    "login_redirect_server",
    "planetary_item",
    "raster_files",
    "reply",
    "requester_pays_proxy",
    "retarget",
    "search_page",
    "source_key",
    "upload_to_archive",
]

SET = "LC08_L2SP_005009_20150710_20200908_02_T2_512px"
"""The raster set of ../shared/data/landsat/rasters the items are pointed at."""
PID = "LC08_L2SP_005009_20150710_20200908_02_T2"
"""Its product ID (what the MTL names)."""
PATH_ROW = (5, 9)
DAY = "2015-07-10"
ACQUIRED = "2015-07-10T14:34:35.978399Z"  # the MTL's DATE_ACQUIRED + SCENE_CENTER_TIME
NEW_DIR = "2015/005/009"
SOURCE_BUCKET = "usgs-landsat"
SAS_SIGNATURE = "SeCrEtSiGnAtUrE"
SAS_TOKEN = f"st=2015-01-01&se=2099-01-01&sp=rl&sig={SAS_SIGNATURE}"
BLOB_HOST = "https://landsateuwest.blob.core.windows.net/"

# The recordings (../shared/data/landsat/stac/) and each catalog's id of the retargeted item.
EARTH_SEARCH = "earth-search-v1_search_landsat-c2-l2+sentinel-2-l2a_point_2023-10-08_page1.json"
PLANETARY = "planetary-computer_search_landsat-8-c2-l2_netherlands-aoi_250items.json.gz"
LANDSATLOOK = "usgs-landsatlook_search_ids_LC08_L2SP_047027_20201204_20210313_02_T1_SR.json"
LANDSATLOOK_ROOT = "usgs-landsatlook_root-catalog.json"
EARTH_SEARCH_ID = PLANETARY_ID = "LC08_L2SP_005009_20150710_02_T2"  # no processing date
LANDSATLOOK_ID = f"{PID}_SR"  # the product ID and the L2 product suffix

# The scene's footprint, from the MTL's CORNER_*_PRODUCT (lon, lat): UL, UR, LR, LL.
_FOOTPRINT = [
    [-43.20149, 73.34602],
    [-34.95131, 73.34905],
    [-35.44027, 70.98208],
    [-42.69418, 70.97945],
]


# --------------------------------------------------------------------------------------------
# Local servers
# --------------------------------------------------------------------------------------------


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 running ``handle(handler)`` for every request.

    :attr:`requests` counts ``(method, path)``; :attr:`url` is ``http://127.0.0.1:<port>``.
    """

    def __init__(self, handle: Callable[[BaseHTTPRequestHandler], None]):
        outer = self
        self.requests: Counter = Counter()
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                with outer._lock:
                    outer.requests[(self.command, urlsplit(self.path).path)] += 1
                handle(self)

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _any

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def gets(self, prefix: str = "/") -> int:
        """GET requests received for paths starting with ``prefix``."""
        with self._lock:
            return sum(
                n
                for (method, path), n in self.requests.items()
                if method == "GET" and path.startswith(prefix)
            )

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def reply(handler, status, body=b"", content_type="application/xml", headers=()) -> None:
    """Send one complete response (no body for HEAD)."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers:
        handler.send_header(name, value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


_ACCESS_DENIED = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def requester_pays_proxy(
    moto_url: str, bucket: str = SOURCE_BUCKET, *, denied_keys: Iterable[str] = ()
) -> LocalServer:
    """Forward to moto; a 403 AccessDenied, as AWS answers, for GET/HEAD of ``bucket``:

    * without ``x-amz-request-payer: requester`` (a requester-pays bucket);
    * signed with an access key in ``denied_keys`` (credentials that may not read it).
    """
    target = urlsplit(moto_url)
    denied = set(denied_keys)

    def handle(h):
        parts = urlsplit(h.path)
        if h.command in ("GET", "HEAD") and parts.path.startswith(f"/{bucket}/"):
            match = _CREDENTIAL.search(h.headers.get("Authorization", ""))
            payer = h.headers.get("x-amz-request-payer", "").lower()
            if payer != "requester" or (match and match.group(1) in denied):
                return reply(h, 403, _ACCESS_DENIED)
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

    return LocalServer(handle)


def blob_and_signing_server(files: dict[str, Path]) -> LocalServer:
    """``/token/<account>/<container>`` -> a SAS token; ``/<account>/<path>`` needs ``sig``.

    ``files`` maps ``/<account>/<container>/<path>`` to the file served there.
    """

    def handle(h):
        parts = urlsplit(h.path)
        if parts.path.startswith("/token/"):
            body = json.dumps({"msft:expiry": "2099-01-01T00:00:00Z", "token": SAS_TOKEN})
            return reply(h, 200, body.encode(), "application/json")
        query = parse_qs(parts.query)
        if query.get("sig") != [SAS_SIGNATURE] or parts.path not in files:
            return reply(h, 404, b"<Error><Code>ResourceNotFound</Code></Error>")
        reply(h, 200, files[parts.path].read_bytes(), "image/tiff")

    return LocalServer(handle)


def login_redirect_server() -> LocalServer:
    """Every file path redirects to ``/login``, an HTML page (LandsatLook without a session)."""

    def handle(h):
        if urlsplit(h.path).path == "/login":
            page = b"<!DOCTYPE html><html><body><form>USGS ERS login</form></body></html>"
            return reply(h, 200, page, "text/html")
        reply(h, 302, headers=[("Location", "/login?redirect=1")])

    return LocalServer(handle)


def file_server(files: dict[str, Path]) -> LocalServer:
    """``files`` (URL path -> file) served to anyone; 404 for any other path."""

    def handle(h):
        path = urlsplit(h.path).path
        if path not in files:
            return reply(h, 404, b"not found", "text/plain")
        reply(h, 200, files[path].read_bytes(), "application/octet-stream")

    return LocalServer(handle)


# --------------------------------------------------------------------------------------------
# The raster set in the archive's layout
# --------------------------------------------------------------------------------------------


def raster_files(landsat_data: Path) -> dict[str, Path]:
    """Suffix (``SR_B4.TIF``, ``MTL.txt``, ...) -> file of the real 512 px L2 set."""
    folder = landsat_data / "rasters" / SET
    return {p.name[len(PID) + 1 :]: p for p in folder.iterdir() if p.name.startswith(PID)}


def source_key(suffix: str) -> str:
    """The key of a file of the set in ``usgs-landsat`` (``collection02/level-2/...``)."""
    return f"collection02/level-2/standard/oli-tirs/{NEW_DIR}/{PID}/{PID}_{suffix}"


def upload_to_archive(client, files: dict[str, Path], bucket: str = SOURCE_BUCKET) -> None:
    """Create ``bucket`` and put every file of the set under its archive key."""
    client.create_bucket(Bucket=bucket)
    for suffix, path in files.items():
        client.upload_file(str(path), bucket, source_key(suffix))


# --------------------------------------------------------------------------------------------
# Recorded items pointed at the set
# --------------------------------------------------------------------------------------------


def _multihash(path: Path, recorded: str) -> str:
    """The multihash of ``path`` with the hash function of the ``recorded`` multihash."""
    code = recorded[:2].lower()
    digest = hashlib.new(MULTIHASH_ALGORITHMS[code], path.read_bytes())
    return f"{code}{digest.digest_size:02x}{digest.hexdigest()}"


def _old_pid(item: dict) -> str:
    return next(
        Path(urlsplit(a["href"]).path).parent.name
        for k, a in item["assets"].items()
        if k.lower() in ("red", "sr_b4", "sr_b4.tif")
    )


def _old_dir(href: str, old_pid: str) -> str:
    parts = urlsplit(href).path.split("/")
    i = parts.index(old_pid)
    return "/".join(parts[i - 3 : i])


def retarget(
    item: dict,
    *,
    new_id: str,
    href_map: Callable[[str, str, str], str] | None = None,
    files: dict[str, Path] | None = None,
) -> dict:
    """The recorded ``item`` describing the set: id, path/row, time, footprint, hrefs, checksums.

    ``href_map(href, suffix, old_pid)`` gives each new href (the asset's own and its
    ``alternate`` ones); default: the recorded href with the old product ID and its
    ``YYYY/PPP/RRR`` folder replaced, i.e. the same href form. A ``file:checksum`` of a file of
    ``files`` becomes that file's real multihash (same hash function as recorded).
    """
    item = copy.deepcopy(item)
    old_pid = _old_pid(item)

    def same_form(href, suffix, old):
        return href.replace(old, PID).replace(_old_dir(href, old), NEW_DIR)

    href_map = href_map or same_form
    item["id"] = new_id
    props = item["properties"]
    if "id" in props:
        props["id"] = new_id
    props["datetime"] = ACQUIRED
    for key, value in {
        "landsat:wrs_path": f"{PATH_ROW[0]:03d}",
        "landsat:wrs_row": f"{PATH_ROW[1]:03d}",
        "landsat:scene_id": "LC80050092015191LGN00",
        "landsat:collection_category": "T2",
    }.items():
        if key in props:
            props[key] = value
    props.pop("eo:cloud_cover", None)  # unknown: passes any cloud limit
    ring = [*_FOOTPRINT, _FOOTPRINT[0]]
    item["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    item["bbox"] = [min(lons), min(lats), max(lons), max(lats)]
    for asset in item["assets"].values():
        for holder in [asset, *(asset.get("alternate") or {}).values()]:
            href = holder["href"]
            suffix = Path(urlsplit(href).path).name[len(old_pid) + 1 :]
            holder["href"] = href_map(href, suffix, old_pid)
            if "file:checksum" in holder and files and suffix in files:
                holder["file:checksum"] = _multihash(files[suffix], holder["file:checksum"])
    return item


def search_page(recording: Path, item: dict) -> dict:
    """The recording's search page holding only ``item`` (and no ``next`` link)."""
    page = load_json(recording)
    page["features"] = [item]
    page["links"] = [link for link in page.get("links", []) if link.get("rel") != "next"]
    for key in ("numberMatched", "numberReturned"):
        if key in page:
            page[key] = 1
    if isinstance(page.get("context"), dict):
        page["context"].update(returned=1, matched=1)
    return page


def earth_search_item(stac: Path, files: dict[str, Path] | None = None) -> dict:
    """Earth Search's Landsat item: ``s3://usgs-landsat/...`` hrefs, requester-pays, id without
    the processing date. The recording's Landsat assets carry no ``alternate``."""
    recorded = next(
        f for f in load_json(stac / EARTH_SEARCH)["features"] if f["id"].startswith("LC08")
    )
    return retarget(recorded, new_id=EARTH_SEARCH_ID, files=files)


def planetary_item(stac: Path, files: dict[str, Path], blob_files: dict[str, Path]) -> dict:
    """Planetary Computer's item: unsigned Azure blob hrefs; ``blob_files`` gets the
    ``/<account>/<container>/<path>`` -> file map for :func:`blob_and_signing_server`."""
    recorded = load_json(stac / PLANETARY)["features"][0]

    def href_map(href, suffix, old_pid):
        new = href.replace(old_pid, PID).replace(_old_dir(href, old_pid), NEW_DIR)
        if suffix in files:
            parts = urlsplit(new)
            blob_files[f"/{parts.netloc.split('.')[0]}{parts.path}"] = files[suffix]
        return new

    return retarget(recorded, new_id=PLANETARY_ID, href_map=href_map, files=files)


def landsatlook_item(stac: Path, files: dict[str, Path], login_url: str) -> dict:
    """LandsatLook's item: https hrefs needing a USGS login (served by ``login_url``, same
    paths) with ``alternate.s3`` requester-pays hrefs; sha2-512 checksums; id ``<PID>_SR``."""
    recorded = load_json(stac / LANDSATLOOK)["features"][0]

    def href_map(href, suffix, old_pid):
        new = href.replace(old_pid, PID).replace(_old_dir(href, old_pid), NEW_DIR)
        if new.startswith("https://landsatlook.usgs.gov"):
            return login_url + urlsplit(new).path  # the same path, served on 127.0.0.1
        return new

    return retarget(recorded, new_id=LANDSATLOOK_ID, href_map=href_map, files=files)
