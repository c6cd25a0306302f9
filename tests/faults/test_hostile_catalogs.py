"""The hostile-catalog suite: a STAC API on 127.0.0.1 whose items try to make a worker read
what it must not, searched with pystac-client (``discover``) and landed with the options the
scenes DAG builds from the config (``config.catalog.source_options()``).

* asset hrefs ``file:///etc/passwd``, ``file://`` to a local TIFF, bare paths of both, the
  instance metadata address, a bucket outside the policy: refused, one line naming the asset,
  nothing opened, nothing landed, nothing of the content logged;
* an item's ``self`` link pointing at ``file://``: relative hrefs still resolve against the
  URL the item was read from;
* redirects off the policy (to ``169.254.169.254``, to another port of 127.0.0.1 serving the
  real file, to 127.0.0.2): refused before connecting;
* a ``next`` link or a search redirect to the metadata address: refused before connecting;
* malformed items and unsafe ids on a page: skipped in one line each, the valid item beside
  them still found, the search not repeated;
* a silent source (accepts, never answers), with the default options: one line in bounded time.

Every server runs on 127.0.0.1, and the ``loopback_only`` fixture makes a connection to any
other address fail (and records it): nothing is sent anywhere else, and the tests check that
nothing even tried. Each hostile input is counted with ``faultlib.hostile`` (``make faults``:
"hostile inputs: N refused of N tried").
"""

from __future__ import annotations

import copy
import datetime
import json
import logging
import socket
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from landsat_pipeline.config import parse_config
from landsat_pipeline.discovery import discover, scene_to_xcom
from landsat_pipeline.errors import DiscoveryError, LandingError
from landsat_pipeline.landing import land_scene
from landsat_pipeline.sources.errors import SourceRefused
from tests.support import guards
from tests.support.archive_servers import LocalServer, reply
from tests.support.faultlib import fault, hostile
from tests.support.stac_replay import StacReplayServer

METADATA = "169.254.169.254"
ACQUIRED = datetime.datetime(2021, 5, 16, 13, 40)
WINDOW = {
    "path": 226,
    "row": 10,
    "start": datetime.datetime(2021, 5, 16, tzinfo=datetime.UTC),
    "end": datetime.datetime(2021, 5, 17, tzinfo=datetime.UTC),
}
PASSWD = Path("/etc/passwd")


# --------------------------------------------------------------------------------------------
# Fixtures: a real scene served over http, guards on sockets and files
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scene_folder(tmp_path_factory) -> Path:
    """A small synthetic Collection 2 scene (its files are what the data server serves)."""
    from landsat_demo.synthetic import make_scene

    return make_scene(tmp_path_factory.mktemp("hostile"), acquired=ACQUIRED, width=64, height=64)


@pytest.fixture
def loopback_only(monkeypatch):
    """A connection to anything but 127.0.0.0/8 fails and is recorded: nothing leaves.

    The source's S3 client gets dummy credentials and no instance metadata lookup (botocore's
    credential chain would otherwise ask 169.254.169.254 for a role, as on EC2)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "hostile-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hostile-test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return guards.loopback_only(monkeypatch)


@pytest.fixture
def opened(monkeypatch):
    """Every path opened or copied from while the test runs."""
    return guards.track_opened(monkeypatch)


class DataServer:
    """The scene's files at ``/<name>`` on 127.0.0.1; ``redirects`` maps a path to a Location."""

    def __init__(self, folder: Path):
        self.files = {f"/{p.name}": p for p in folder.iterdir() if p.is_file()}
        self.redirects: dict[str, str] = {}
        self.server = LocalServer(self._handle)
        self.url = self.server.url
        self.netloc = urlsplit(self.url).netloc

    def _handle(self, h):
        path = urlsplit(h.path).path
        if path in self.redirects:
            return reply(h, 302, headers=[("Location", self.redirects[path])])
        if path not in self.files:
            return reply(h, 404, b"not found", "text/plain")
        reply(h, 200, self.files[path].read_bytes(), "application/octet-stream")

    def gets(self) -> int:
        return self.server.gets()

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def data(scene_folder):
    server = DataServer(scene_folder)
    yield server
    server.stop()


def _item(folder: Path, base_url: str) -> dict:
    """The scene's STAC item (as the demo catalog writes it), its hrefs on ``base_url``."""
    from landsat_demo.synthetic.catalog import scene_item as _scene_item

    item = _scene_item(folder).to_dict(include_self_link=False)
    for asset in item["assets"].values():
        asset["href"] = f"{base_url}/{Path(asset['href']).name}"
    return item


def _page(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features), "links": []}


def _config(tmp_path: Path, replay: StacReplayServer, *servers: str):
    """The pipeline config of a run against ``replay``: http allowed on the replay's and the
    ``servers``' own ports only (URLs), no file, no other bucket than the archive's."""
    raw = {
        "catalog": {
            "url": replay.url,
            "source_schemes": ["http", "s3"],
            "source_hosts": [urlsplit(url).netloc for url in (replay.url, *servers)],
        },
        "storage": {"root": str(tmp_path / "bucket")},
        "areas": {"hostile": {"path_rows": [[226, 10]]}},
    }
    return parse_config(raw, tmp_path / "areas.yaml")


def _land(scene, config):
    from landsat_ops.storage import open_store

    store = open_store(config.storage.root)
    return store, land_scene(scene_to_xcom(scene), store, sources=config.catalog.source_options())


def _secret_lines() -> list[str]:
    return [line for line in PASSWD.read_text().splitlines() if line.strip()][:3]


def _leaks(text: str) -> list[str]:
    """Lines of /etc/passwd found in ``text`` (must be none)."""
    return [line for line in _secret_lines() if line in text]


# --------------------------------------------------------------------------------------------
# Asset hrefs that must not be read
# --------------------------------------------------------------------------------------------


def _hostile_hrefs(folder: Path, data: DataServer, other: LocalServer) -> dict:
    """name -> (asset key, its hostile href, the local file it would read or None)."""
    b4 = next(folder.glob("*_B4.TIF"))
    data.redirects["/to-metadata"] = f"http://{METADATA}/latest/meta-data/iam/security-credentials/"
    data.redirects["/to-other-port"] = f"{other.url}/{b4.name}"
    data.redirects["/to-127-0-0-2"] = f"http://127.0.0.2:{urlsplit(data.url).port}/{b4.name}"
    return {
        "file-etc-passwd": ("MTL", "file:///etc/passwd", PASSWD),
        "bare-etc-passwd": ("MTL", "/etc/passwd", PASSWD),
        "file-local-tiff": ("B4", b4.as_uri(), b4),
        "bare-local-tiff": ("B4", str(b4), b4),
        "dotdot-local-tiff": ("B4", f"{folder}/../{folder.name}/{b4.name}", b4),
        "metadata-address": ("B4", f"http://{METADATA}/latest/meta-data/", None),
        "redirect-to-metadata": ("B4", f"{data.url}/to-metadata", None),
        "redirect-to-other-port": ("B4", f"{data.url}/to-other-port", None),
        "redirect-to-127-0-0-2": ("B4", f"{data.url}/to-127-0-0-2", None),
        "bucket-off-policy": ("B4", "s3://attacker-bucket/x_B4.TIF", None),
    }


HOSTILE_HREFS = [
    "file-etc-passwd",
    "bare-etc-passwd",
    "file-local-tiff",
    "bare-local-tiff",
    "dotdot-local-tiff",
    "metadata-address",
    "redirect-to-metadata",
    "redirect-to-other-port",
    "redirect-to-127-0-0-2",
    "bucket-off-policy",
]


@pytest.mark.parametrize("case", HOSTILE_HREFS)
def test_hostile_asset_hrefs_are_refused(
    case, scene_folder, data, tmp_path, loopback_only, opened, caplog
):
    # A second server with the real file, on a port the policy does not list.
    other = LocalServer(
        lambda h: reply(h, 200, (scene_folder / urlsplit(h.path).path[1:]).read_bytes())
    )
    try:
        key, href, local = _hostile_hrefs(scene_folder, data, other)[case]
        item = _item(scene_folder, data.url)
        asset = next(k for k in item["assets"] if _normalised(k) == key)
        item["assets"][asset]["href"] = href
        with StacReplayServer({"/search": [_page(item)]}) as replay:
            config = _config(tmp_path, replay, data.url)
            replay_url = replay.url
            with caplog.at_level(logging.DEBUG):
                (scene,) = discover(replay.url, **WINDOW)
                opened.clear()
                with pytest.raises(LandingError) as raised:
                    _land(scene, config)
        message = str(raised.value)
        store_root = Path(config.storage.root)
        problems = []
        read_as = scene.sources[key]["hrefs"]
        if href.startswith("/"):
            # A bare path in a remote item is a reference on the API's own host (RFC 3986),
            # never a path of the worker: it was asked of the replay (404), not opened.
            if read_as != [urljoin(f"{replay_url}/search", href)]:
                problems.append(f"a bare path became {read_as}")
        elif not isinstance(raised.value, SourceRefused):
            problems.append(f"not refused by the policy: {message}")
        if not message.startswith(f"asset {key}: ") or len(message.splitlines()) != 1:
            problems.append(f"not one line naming the asset: {message!r}")
        if local is not None and any(Path(p) == local for p in opened):
            problems.append(f"{local} was opened")
        if loopback_only:
            problems.append(f"connections tried to {loopback_only}")
        if other.gets():
            problems.append(f"the server off the policy got {other.gets()} requests")
        landed = [p for p in store_root.rglob("*") if p.is_file()] if store_root.exists() else []
        if landed:
            problems.append(f"landed {landed}")
        leaks = _leaks(caplog.text + message)
        if leaks:
            problems.append(f"/etc/passwd content logged: {leaks}")
        hostile(refused=not problems)
        assert not problems, problems
    finally:
        other.stop()


def _normalised(key: str) -> str:
    return {"red": "B4", "mtl.txt": "MTL"}.get(key, key)


def test_a_valid_item_lands_under_the_same_policy(scene_folder, data, tmp_path, loopback_only):
    """The control: the same item with its own hrefs lands, so the refusals above are the
    policy's, not a broken setup."""
    with StacReplayServer({"/search": [_page(_item(scene_folder, data.url))]}) as replay:
        config = _config(tmp_path, replay, data.url)
        (scene,) = discover(replay.url, **WINDOW)
        store, landed = _land(scene, config)
    assert len(landed["downloaded"]) == 9 and data.gets() == 9  # B1-B7, QA, MTL
    assert loopback_only == []


def test_a_self_link_cannot_rebase_hrefs_onto_the_workers_files(
    scene_folder, data, tmp_path, loopback_only, opened, caplog
):
    item = _item(scene_folder, data.url)
    for asset in item["assets"].values():
        asset["href"] = Path(asset["href"]).name  # relative
    item["links"] = [{"rel": "self", "href": (scene_folder / "item.json").as_uri()}]
    with StacReplayServer({"/search": [_page(item)]}) as replay:
        config = _config(tmp_path, replay, data.url)
        replay_url = replay.url
        (scene,) = discover(replay.url, **WINDOW)
        hrefs = [h for source in scene.sources.values() for h in source["hrefs"]]
        opened.clear()
        with caplog.at_level(logging.DEBUG), pytest.raises(LandingError) as raised:
            _land(scene, config)
    problems = []
    # Against the page the item was read from (the replay's /search), not its self link.
    if not all(h.startswith(f"{replay_url}/") for h in hrefs):
        problems.append(f"hrefs rebased elsewhere: {hrefs}")
    if any(Path(p).parent == scene_folder for p in opened):
        problems.append("a local file of the scene was opened")
    if "404" not in str(raised.value) or loopback_only:
        problems.append(f"unexpected failure: {raised.value}, {loopback_only}")
    hostile(refused=not problems)
    assert not problems, problems


@pytest.mark.parametrize("case", ["relative-escape", "absolute", "file-url", "symlink-inside"])
def test_a_static_catalog_reads_files_only_under_its_own_folder(
    case, tmp_path, loopback_only, opened, caplog
):
    """A local static catalog (the default policy: file allowed, under its folder only)."""
    from landsat_demo.synthetic import make_catalog

    root = tmp_path / "catalog"
    catalog = make_catalog(
        root,
        start=datetime.date(2021, 5, 1),
        end=datetime.date(2021, 5, 31),
        width=64,
        height=64,
        max_scenes=1,
    )
    (item_file,) = root.glob("landsat-c2-l1/*/*.json")
    item = json.loads(item_file.read_text())
    depth = len(item_file.relative_to("/").parts) + 2
    (root / "scenes" / "innocent_MTL.txt").symlink_to(PASSWD)
    item["assets"]["mtl.txt"]["href"] = {
        "relative-escape": "../" * depth + "etc/passwd",
        "absolute": str(PASSWD),
        "file-url": PASSWD.as_uri(),
        "symlink-inside": "../../scenes/innocent_MTL.txt",
    }[case]
    item_file.write_text(json.dumps(item))
    raw = {
        "catalog": {"url": str(catalog)},
        "storage": {"root": str(tmp_path / "bucket")},
        "areas": {"hostile": {"path_rows": [[226, 10]]}},
    }
    config = parse_config(raw, tmp_path / "areas.yaml")
    day = datetime.datetime.fromisoformat(item["properties"]["datetime"]).replace(hour=0)
    window = dict(WINDOW, start=day, end=day + datetime.timedelta(days=1))
    with caplog.at_level(logging.DEBUG):
        (scene,) = discover(str(catalog), **window)
        opened.clear()
        with pytest.raises(LandingError) as raised:
            _land(scene, config)
    message = str(raised.value)
    problems = []
    if not isinstance(raised.value, SourceRefused) or not message.startswith("asset MTL: "):
        problems.append(f"not refused by the policy: {message}")
    if "a local file outside the catalog's folder" not in message:
        problems.append(f"another reason: {message}")
    if any(Path(p).resolve() == PASSWD.resolve() for p in opened):
        problems.append("/etc/passwd was opened")
    if (tmp_path / "bucket").exists() and any((tmp_path / "bucket").rglob("*.TIF")):
        problems.append("bands were landed")
    if _leaks(caplog.text + message) or loopback_only:
        problems.append("content logged or a connection tried")
    hostile(refused=not problems)
    assert not problems, problems


# --------------------------------------------------------------------------------------------
# The STAC API itself: next links and redirects
# --------------------------------------------------------------------------------------------


def _api(search_handler) -> LocalServer:
    """A STAC API on 127.0.0.1: its landing page, and ``search_handler`` for /search."""
    landing = {
        "type": "Catalog",
        "id": "hostile",
        "stac_version": "1.0.0",
        "description": "hostile",
        "conformsTo": [
            "https://api.stacspec.org/v1.0.0/core",
            "https://api.stacspec.org/v1.0.0/item-search",
        ],
        "links": [
            {"rel": "search", "href": "/search", "type": "application/geo+json", "method": "POST"}
        ],
    }

    def handle(h):
        if urlsplit(h.path).path == "/search":
            return search_handler(h)
        body = dict(landing, links=[{**landing["links"][0], "href": f"{server.url}/search"}])
        reply(h, 200, json.dumps(body).encode(), "application/json")

    server = LocalServer(handle)
    return server


@pytest.mark.parametrize(
    "case", ["next-to-metadata", "next-to-file", "search-redirect-to-metadata"]
)
def test_the_api_is_only_read_at_its_own_host(case, scene_folder, loopback_only, opened, caplog):
    item = _item(scene_folder, "http://127.0.0.1:9")
    next_href = {
        "next-to-metadata": f"http://{METADATA}/latest/meta-data/",
        "next-to-file": "file:///etc/passwd",
    }.get(case)

    def search(h):
        h.rfile.read(int(h.headers.get("Content-Length") or 0))
        if case == "search-redirect-to-metadata":
            return reply(h, 307, headers=[("Location", f"http://{METADATA}/search")])
        page = _page(item)
        page["links"] = [{"rel": "next", "href": next_href, "method": "GET"}]
        reply(h, 200, json.dumps(page).encode(), "application/geo+json")

    api = _api(search)
    try:
        opened.clear()
        with caplog.at_level(logging.DEBUG), pytest.raises(DiscoveryError) as raised:
            discover(api.url, **WINDOW, max_retries=0)
        searches = api.requests[("POST", "/search")]
    finally:
        api.stop()
    message = str(raised.value)
    problems = []
    if "is not the catalog's host" not in message and "not an http(s) URL" not in message:
        problems.append(f"not refused as off-host: {message}")
    if len(message.splitlines()) != 1:
        problems.append(f"not one line: {message!r}")
    if loopback_only or str(PASSWD) in opened or _leaks(caplog.text + message):
        problems.append(f"reached: {loopback_only}, opened {PASSWD in map(Path, opened)}")
    if searches != 1:
        problems.append(f"searched {searches} times")
    hostile(refused=not problems)
    assert not problems, problems


# --------------------------------------------------------------------------------------------
# Malformed items and unsafe ids on a page
# --------------------------------------------------------------------------------------------


def _malformed(valid: dict) -> dict[str, object]:
    """name -> a malformed feature (none of them may stop the valid item beside it)."""

    def changed(**fields):
        item = copy.deepcopy(valid)
        item.update(fields)
        return item

    no_id = copy.deepcopy(valid)
    del no_id["id"]
    no_time = copy.deepcopy(valid)
    no_time["id"] = "no-datetime"
    no_time["properties"]["datetime"] = "yesterday"
    return {
        "assets-a-string": changed(assets="nope", id="assets-nope"),
        "a-bare-number": 7,
        "a-string": "LC08_L1TP_226010_20210516_20210526_02_T1",
        "null": None,
        "a-list": [valid],
        "no-id": no_id,
        "properties-a-list": changed(properties=[], id="properties-list"),
        "no-datetime": no_time,
        "links-a-number": changed(links=3, id="links-number"),
        "id-an-object": changed(id={"$ne": None}),
    }


def _unsafe(valid: dict) -> dict[str, dict]:
    out = {}
    for name, item_id in {
        "dotdot-path": "../../../../tmp/landsat-escape",
        "dotdot-inside": "LC08_L1TP_226010_20210516_20210526_02_T1/../../escape",
        "slash": "LC08/L1TP",
        "dotdot-only": "..",
        "newline": "LC08\n..\nINFO forged",
        "backslash": "..\\..\\windows",
    }.items():
        item = copy.deepcopy(valid)
        item["id"] = item_id
        out[name] = item
    return out


def test_malformed_items_and_unsafe_ids_are_skipped_and_the_valid_item_is_found(
    scene_folder, data, caplog
):
    valid = _item(scene_folder, data.url)
    malformed, unsafe = _malformed(valid), _unsafe(valid)
    features = [*malformed.values(), valid, *unsafe.values()]
    with StacReplayServer({"/search": [_page(*features)]}) as replay:
        with caplog.at_level(logging.DEBUG):
            scenes = discover(replay.url, **WINDOW)
        searches = replay.count("/search")
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert [s.scene_id for s in scenes] == [valid["id"]]  # the valid item is still used
    assert searches == 1  # nothing retried
    assert all(len(line.splitlines()) == 1 for line in warnings)
    position = {name: index for index, name in enumerate(malformed, 1)}
    for name, feature in malformed.items():
        named = (
            f"item {feature['id']!r}"
            if isinstance(feature, dict) and isinstance(feature.get("id"), str)
            else f"feature #{position[name]}"
        )
        lines = [w for w in warnings if w.startswith(f"skipping {named}")]
        hostile(refused=len(lines) == 1)
        assert len(lines) == 1, (name, named, warnings)
    for name, item in unsafe.items():
        mine = [
            w
            for w in warnings
            if w.startswith(f"refusing item {item['id']!r}: its id") and "cannot name a key" in w
        ]
        hostile(refused=len(mine) == 1)
        assert len(mine) == 1, (name, warnings)
    assert len(warnings) == len(malformed) + len(unsafe), warnings


# --------------------------------------------------------------------------------------------
# A silent source
# --------------------------------------------------------------------------------------------


def test_a_silent_source_fails_the_landing_in_bounded_time_with_the_default_options(
    scene_folder, data, tmp_path, loopback_only
):
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel accepts; nothing ever answers
    silent_url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    item = _item(scene_folder, data.url)
    b1 = next(k for k in item["assets"] if k == "coastal")
    item["assets"][b1]["href"] = f"{silent_url}/{Path(item['assets'][b1]['href']).name}"
    try:
        with StacReplayServer({"/search": [_page(item)]}) as replay:
            config = _config(tmp_path, replay, data.url, silent_url)
            (scene,) = discover(replay.url, **WINDOW)
            started = time.monotonic()
            with pytest.raises(LandingError) as raised:
                _land(scene, config)
            elapsed = time.monotonic() - started
    finally:
        silent.close()
    fault()
    message = str(raised.value)
    assert elapsed < 90, elapsed  # well under 2 minutes (about 62 s: two 30 s reads)
    assert message.startswith(f"asset B1: {silent_url}/") and len(message.splitlines()) == 1
    assert "nothing received for 30 s; 2 tries in 6" in message  # two reads, a 2 s wait
