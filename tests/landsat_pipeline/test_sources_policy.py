"""The source policy of a catalog (landsat_pipeline.sources.options.SourcePolicy), its config
keys, and how fetching obeys it: refused hrefs are never opened, redirects are checked before
connecting, a silent endpoint fails in bounded time.

Every server runs on 127.0.0.1; the ``loopback_only`` fixture makes any connection to another
address fail and records it, so a test also proves nothing was sent elsewhere.
"""

from __future__ import annotations

import datetime
import logging
import socket
import time
from pathlib import Path

import pytest

from landsat_pipeline.config import parse_config
from landsat_pipeline.errors import ConfigError
from landsat_pipeline.sources import SourceOptions, fetch_asset
from landsat_pipeline.sources.errors import SourceError, SourceRefused
from landsat_pipeline.sources.options import (
    ARCHIVE_HOSTS,
    SourcePolicy,
    host_entry,
    redirect_refusal,
)
from tests.support import guards
from tests.support.archive_servers import LocalServer, reply

METADATA = "169.254.169.254"


@pytest.fixture(scope="module")
def real_mtl(tmp_path_factory) -> tuple[str, bytes]:
    """(product ID, MTL bytes) of a small synthetic scene."""
    from landsat_demo.synthetic import make_scene

    folder = make_scene(
        tmp_path_factory.mktemp("scene"),
        acquired=datetime.datetime(2021, 5, 16, 13, 40),
        width=64,
        height=64,
    )
    (mtl,) = folder.glob("*_MTL.txt")
    return folder.name, mtl.read_bytes()


SID = "LC08_L1TP_226010_20210516_20210526_02_T1"  # where no file is read


@pytest.fixture
def loopback_only(monkeypatch):
    """Connections to anything but 127.0.0.0/8 fail (and are recorded): nothing leaves."""
    return guards.loopback_only(monkeypatch)


# --------------------------------------------------------------------------------------------
# The policy itself
# --------------------------------------------------------------------------------------------


def test_defaults_of_a_stac_api_over_https():
    policy = SourcePolicy.for_catalog("https://earth-search.aws.element84.com/v1")
    assert policy.schemes == ("s3", "https")
    assert policy.hosts == ("earth-search.aws.element84.com", *ARCHIVE_HOSTS)
    assert policy.buckets == ("usgs-landsat",) and policy.file_root is None
    assert policy.refusal("s3://usgs-landsat/collection02/x_SR_B4.TIF") is None
    assert policy.refusal("https://landsatlook.usgs.gov/data/x_SR_B4.TIF") is None
    assert policy.refusal("https://landsateuwest.blob.core.windows.net/c/x_SR_B4.TIF") is None
    assert policy.refusal("https://earth-search.aws.element84.com:8443/x.TIF") is None
    refused = {
        "http://landsatlook.usgs.gov/data/x.TIF": "scheme http is not allowed",
        "s3://somebody-elses-bucket/x.TIF": "bucket somebody-elses-bucket is not an allowed",
        "https://landsatlook.usgs.gov.evil.example/x.TIF": "host landsatlook.usgs.gov.evil",
        f"https://{METADATA}/latest/meta-data/": f"host {METADATA}:443 is not an allowed",
        "file:///etc/passwd": "local files are not allowed",
        "/etc/passwd": "local files are not allowed",
        "x_SR_B4.TIF": "local files are not allowed",
        "ftp://landsatlook.usgs.gov/x.TIF": "scheme ftp is not allowed",
        "gs://usgs-landsat/x.TIF": "scheme gs is not allowed",
        "https://landsatlook.usgs.gov/x\n.TIF": "control characters",
    }
    for href, reason in refused.items():
        assert reason in (policy.refusal(href) or ""), href


def test_an_http_api_allows_http_on_its_own_host_and_any_port():
    policy = SourcePolicy.for_catalog("http://127.0.0.1:8080")
    assert policy.schemes == ("s3", "https", "http")
    assert policy.refusal("http://127.0.0.1:9999/mirror/x.TIF") is None
    assert policy.refusal("http://127.0.0.2:8080/x.TIF") is not None
    assert policy.refusal(f"http://{METADATA}/latest/") is not None
    # What requests connects to is what is checked: the backslash trick stays on 127.0.0.1.
    assert policy.refusal(f"http://127.0.0.1\\@{METADATA}/") is None
    assert policy.refusal(f"http://127.0.0.1@{METADATA}/") is not None


def test_an_ipv6_catalog_host():
    policy = SourcePolicy.for_catalog("http://[::1]:8080/stac")
    assert policy.hosts[0] == "[::1]" and policy.refusal("http://[::1]:9000/x.TIF") is None
    assert "host [::2]:80 is not an allowed" in policy.refusal("http://[::2]/x.TIF")


def test_explicit_lists_replace_the_defaults_and_ports_bind():
    policy = SourcePolicy.for_catalog(
        "http://127.0.0.1:8080",
        schemes=["http"],
        hosts=["127.0.0.1:8080", "*.mirror.example"],
        buckets=["my-mirror"],
    )
    assert policy.refusal("http://127.0.0.1:8080/x") is None
    assert "127.0.0.1:8081 is not an allowed" in policy.refusal("http://127.0.0.1:8081/x")
    assert policy.refusal("http://eu.mirror.example/x") is None
    assert policy.refusal("http://mirror.example.evil/x") is not None
    assert "scheme https" in policy.refusal("https://landsatlook.usgs.gov/x")
    assert "scheme s3" in policy.refusal("s3://usgs-landsat/x")
    listed = SourcePolicy.for_catalog("https://a.example", hosts=[METADATA])
    assert listed.refusal(f"https://{METADATA}/x") is None  # only when listed as it is
    wildcard = SourcePolicy.for_catalog("https://a.example", hosts=["*.254.169.254"])
    assert wildcard.refusal(f"https://{METADATA}/x") is not None


@pytest.mark.parametrize(
    ("schemes", "message"),
    [(["file"], "file is allowed only for a local static catalog"), (["gopher"], "gopher")],
)
def test_impossible_schemes_are_errors(schemes, message):
    with pytest.raises(ValueError, match=message):
        SourcePolicy.for_catalog("https://a.example/stac", schemes=schemes)


@pytest.mark.parametrize("entry", ["", "a.example/x", "user@a.example", "a.example:99999", "*.*"])
def test_bad_host_entries(entry):
    with pytest.raises(ValueError):
        host_entry(entry)


def test_a_static_catalog_reads_files_only_under_its_own_folder(tmp_path):
    root = tmp_path / "catalog"
    (root / "scenes").mkdir(parents=True)
    (root / "catalog.json").write_text("{}")
    band = root / "scenes" / "b4.TIF"
    band.write_bytes(b"II*\x00")
    outside = tmp_path / "secret.TIF"
    outside.write_bytes(b"II*\x00")
    (root / "scenes" / "link.TIF").symlink_to(outside)
    policy = SourcePolicy.for_catalog(str(root / "catalog.json"))
    assert policy.schemes == ("s3", "https", "file")
    assert policy.file_root == str(root.resolve())
    assert policy.refusal(str(band)) is None
    assert policy.refusal(band.as_uri()) is None
    assert policy.refusal(f"file://localhost{band}") is None
    for href, reason in {
        str(outside): "outside the catalog's folder",
        f"{root}/scenes/../../secret.TIF": "outside the catalog's folder",
        str(root / "scenes" / "link.TIF"): "outside the catalog's folder",  # symlink resolved
        "/etc/passwd": "outside the catalog's folder",
        "scenes/b4.TIF": "a relative local path",
        f"file://otherhost{band}": "a file URL of another host",
    }.items():
        assert reason in (policy.refusal(href) or ""), href
    no_files = SourcePolicy.for_catalog(str(root), schemes=["s3", "https"])
    assert "local files are not allowed" in no_files.refusal(str(band))


def test_redirects_stay_on_their_origin_or_within_the_policy():
    policy = SourcePolicy.for_catalog("https://stac.example", hosts=["cdn.example"])
    origin = "https://stac.example/a.TIF"
    assert redirect_refusal(None, origin, "https://stac.example/b.TIF") is None
    assert "off the origin" in redirect_refusal(None, origin, "https://cdn.example/b.TIF")
    assert redirect_refusal(policy, origin, "https://cdn.example/b.TIF") is None
    assert "not an allowed" in redirect_refusal(policy, origin, f"https://{METADATA}/x")
    assert "scheme http" in redirect_refusal(policy, origin, "http://cdn.example/b.TIF")


# --------------------------------------------------------------------------------------------
# The config keys
# --------------------------------------------------------------------------------------------


def _config(tmp_path: Path, **catalog) -> dict:
    return {
        "catalog": {"url": "https://stac.example/v1", **catalog},
        "storage": {"root": str(tmp_path / "bucket")},
        "areas": {"a": {"path_rows": [[226, 10]]}},
    }


def test_config_keys_default_to_the_derived_policy(tmp_path):
    config = parse_config(_config(tmp_path), tmp_path / "areas.yaml")
    assert (config.catalog.source_schemes, config.catalog.source_hosts) == (None, None)
    assert config.catalog.source_buckets is None
    policy = config.catalog.source_options().policy
    assert policy == SourcePolicy.for_catalog("https://stac.example/v1")
    assert policy.hosts[0] == "stac.example"


def test_config_keys_set_the_policy(tmp_path):
    raw = _config(
        tmp_path,
        url="http://127.0.0.1:8080",
        source_schemes=["http", "s3"],
        source_hosts=["127.0.0.1:8080", "127.0.0.1:8081"],
        source_buckets=["usgs-landsat", "my-mirror"],
    )
    catalog = parse_config(raw, tmp_path / "areas.yaml").catalog
    assert catalog.source_policy() == SourcePolicy(
        schemes=("http", "s3"),
        hosts=("127.0.0.1:8080", "127.0.0.1:8081"),
        buckets=("usgs-landsat", "my-mirror"),
    )


def test_a_local_catalog_may_name_file(tmp_path):
    (tmp_path / "cat").mkdir()
    raw = _config(tmp_path, url="cat/catalog.json", source_schemes=["file"])
    catalog = parse_config(raw, tmp_path / "areas.yaml").catalog
    policy = catalog.source_policy()
    assert policy.schemes == ("file",) and policy.file_root == str((tmp_path / "cat").resolve())


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("source_schemes", ["file"], r"source_schemes\[0\] is 'file' for a STAC API"),
        ("source_schemes", ["ftp"], r"source_schemes\[0\] is 'ftp'"),
        ("source_schemes", "https", r"source_schemes is 'https' \(expected a non-empty list"),
        ("source_schemes", [], r"source_schemes is \[\] \(expected a non-empty list"),
        ("source_hosts", ["a.example/x"], r"source_hosts\[0\] is 'a.example/x'"),
        ("source_hosts", ["ok.example", "a:b"], r"source_hosts\[1\]"),
        ("source_buckets", ["Not_A_Bucket"], r"source_buckets\[0\] is 'Not_A_Bucket'"),
        ("source_buckets", [7], r"source_buckets\[0\] is 7"),
    ],
)
def test_config_key_errors_name_the_key(tmp_path, key, value, message):
    with pytest.raises(ConfigError, match=f"catalog.{message}"):
        parse_config(_config(tmp_path, **{key: value}), tmp_path / "areas.yaml")


# --------------------------------------------------------------------------------------------
# Fetching under the policy
# --------------------------------------------------------------------------------------------


@pytest.fixture
def opened(monkeypatch):
    """Paths opened or copied from while fetching (nothing refused may be among them)."""
    return guards.track_opened(monkeypatch)


def test_a_refused_local_file_is_never_opened(tmp_path, opened, caplog):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"root:x:0:0:TOPSECRET\n")
    policy = SourcePolicy.for_catalog("https://stac.example/v1")
    options = SourceOptions(policy=policy)
    with caplog.at_level(logging.DEBUG), pytest.raises(SourceRefused) as raised:
        fetch_asset(
            "MTL",
            {"hrefs": [secret.as_uri(), str(secret)]},
            tmp_path / "mtl.txt",
            scene_id=SID,
            options=options,
        )
    message = str(raised.value)
    assert message.startswith(f"asset MTL: {secret.as_uri()}: refused by the source policy: ")
    assert "local files are not allowed for this catalog" in message
    assert len(message.splitlines()) == 1
    assert str(secret) not in opened and not (tmp_path / "mtl.txt").exists()
    assert "TOPSECRET" not in caplog.text + message


def test_a_refused_href_is_one_line_and_the_next_is_read(tmp_path, caplog, real_mtl):
    scene_id, mtl = real_mtl
    root = tmp_path / "cat"
    root.mkdir()
    (root / "catalog.json").write_text("{}")
    good = root / f"{scene_id}_MTL.txt"
    good.write_bytes(mtl)
    options = SourceOptions(policy=SourcePolicy.for_catalog(str(root / "catalog.json")))
    with caplog.at_level(logging.WARNING):
        got = fetch_asset(
            "MTL",
            {"hrefs": ["/etc/passwd", str(good)]},
            tmp_path / "mtl.txt",
            scene_id=scene_id,
            options=options,
        )
    assert got.href == str(good) and got.path.read_bytes() == mtl
    (line,) = [r.getMessage() for r in caplog.records if "/etc/passwd" in r.getMessage()]
    assert line == (
        "asset MTL: /etc/passwd: refused by the source policy: a local file outside the "
        "catalog's folder (expected an href the catalog's source policy allows "
        "(docs/sources.md)); trying the next href"
    )
    assert "root:" not in caplog.text


@pytest.mark.parametrize("href", ["https://evil.example/x\nINFO forged", "/x\r\nINFO forged"])
def test_an_href_with_a_newline_stays_one_line(tmp_path, href):
    options = SourceOptions(policy=SourcePolicy.for_catalog("https://stac.example"))
    with pytest.raises(SourceRefused) as raised:
        fetch_asset("B4", {"hrefs": [href]}, tmp_path / "b4.TIF", scene_id=SID, options=options)
    assert len(str(raised.value).splitlines()) == 1 and "INFO forged" in str(raised.value)


def _redirecting(location: str) -> LocalServer:
    return LocalServer(lambda h: reply(h, 302, headers=[("Location", location)]))


def test_a_redirect_to_the_metadata_address_is_refused_before_connecting(
    tmp_path, loopback_only, caplog
):
    with _redirecting(f"http://{METADATA}/latest/meta-data/iam/security-credentials/") as server:
        policy = SourcePolicy.for_catalog(server.url)  # http on 127.0.0.1, any port
        options = SourceOptions(policy=policy)
        href = f"{server.url}/data/{SID}_MTL.txt"
        with caplog.at_level(logging.DEBUG), pytest.raises(SourceRefused) as raised:
            fetch_asset("MTL", {"hrefs": [href]}, tmp_path / "m.txt", scene_id=SID, options=options)
        assert server.gets() == 1  # one request, no retry
    assert str(raised.value) == (
        f"asset MTL: {href}: refused by the source policy: redirected off the policy: host "
        f"{METADATA}:80 is not an allowed source host (expected an href the catalog's source "
        "policy allows (docs/sources.md))"
    )
    assert loopback_only == []  # nothing even tried to connect there
    # Without any policy (a caller's own hrefs): still refused, the redirect leaves its origin.
    with _redirecting(f"http://{METADATA}/latest/") as server:
        with pytest.raises(SourceRefused, match="off the origin"):
            fetch_asset(
                "MTL",
                {"hrefs": [f"{server.url}/x_MTL.txt"]},
                tmp_path / "m.txt",
                scene_id=SID,
                options=SourceOptions(),
            )
    assert loopback_only == []


def test_redirects_within_the_policy_are_followed(tmp_path, loopback_only, real_mtl):
    scene_id, mtl = real_mtl
    with LocalServer(lambda h: reply(h, 200, mtl, "text/plain")) as data:
        with _redirecting(f"{data.url}/real_MTL.txt") as server:
            policy = SourcePolicy.for_catalog(
                server.url,
                schemes=["http"],
                hosts=[server.url.split("//")[1], data.url.split("//")[1]],
            )
            got = fetch_asset(
                "MTL",
                {"hrefs": [f"{server.url}/{scene_id}_MTL.txt"]},
                tmp_path / "m.txt",
                scene_id=scene_id,
                options=SourceOptions(policy=policy),
            )
            assert got.path.read_bytes() == mtl and data.gets() == 1
            # The same redirect, with the data server's port not in the policy: refused.
            narrow = SourcePolicy.for_catalog(
                server.url, schemes=["http"], hosts=[server.url.split("//")[1]]
            )
            with pytest.raises(SourceRefused, match=r"host 127\.0\.0\.1:\d+ is not an allowed"):
                fetch_asset(
                    "MTL",
                    {"hrefs": [f"{server.url}/{scene_id}_MTL.txt"]},
                    tmp_path / "m2.txt",
                    scene_id=scene_id,
                    options=SourceOptions(policy=narrow),
                )
            assert data.gets() == 1  # the refused redirect never reached it
    assert loopback_only == []


class Silent:
    """A socket on 127.0.0.1 that accepts connections (the kernel does) and never answers."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def connections(self) -> int:
        """How many connections were made to it so far (each then closed)."""
        self.sock.setblocking(False)
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1


@pytest.fixture
def silent_server():
    server = Silent()
    yield server
    server.sock.close()


@pytest.mark.faults  # waits out the timeouts: not in `make test-fast`
def test_a_silent_http_endpoint_fails_in_bounded_time(tmp_path, silent_server):
    options = SourceOptions(
        timeout=(1.0, 1.0),
        attempts=5,
        silent_deadline=4.5,
        policy=SourcePolicy.for_catalog(silent_server.url),
    )
    started = time.monotonic()
    with pytest.raises(SourceError) as raised:
        fetch_asset(
            "B4",
            {"hrefs": [f"{silent_server.url}/x_SR_B4.TIF"]},
            tmp_path / "b4.TIF",
            scene_id=SID,
            options=options,
        )
    elapsed = time.monotonic() - started
    # Two reads of 1 s and one 2 s wait (a third would end after the 4.5 s deadline); never
    # the five attempts the options would allow.
    assert 4.0 <= elapsed < 7.0, elapsed
    assert silent_server.connections() == 2
    message = str(raised.value)
    assert len(message.splitlines()) == 1
    assert "download failed (ReadTimeout: nothing received for 1 s; 2 tries in 4 s)" in message


@pytest.mark.faults  # waits out the timeouts: not in `make test-fast`
def test_a_body_stalled_mid_way_fails_in_bounded_time(tmp_path):
    def stall(h):
        h.send_response(200)
        h.send_header("Content-Length", "100000")
        h.end_headers()
        h.wfile.write(b"II*\x00" + bytes(1000))
        h.wfile.flush()
        time.sleep(5)  # then nothing more (the connection closes when the server stops)

    with LocalServer(stall) as server:
        options = SourceOptions(
            timeout=(1.0, 1.0),
            attempts=5,
            silent_deadline=4.5,
            policy=SourcePolicy.for_catalog(server.url),
        )
        started = time.monotonic()
        with pytest.raises(SourceError, match="nothing received for 1 s; 2 tries"):
            fetch_asset(
                "B4",
                {"hrefs": [f"{server.url}/x_SR_B4.TIF"]},
                tmp_path / "b4.TIF",
                scene_id="LC08_L1TP_226010_20210516_20210526_02_T1",
                options=options,
            )
        assert time.monotonic() - started < 7.0 and server.gets() == 2
        assert not list(tmp_path.iterdir())  # no partial file left


@pytest.mark.faults  # waits out the timeouts: not in `make test-fast`
def test_a_silent_s3_source_fails_after_two_attempts(tmp_path, silent_server):
    client = _client_at(silent_server.url)
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"^asset B4: s3://usgs-landsat/x_SR_B4\.TIF: download"):
        fetch_asset(
            "B4",
            {"hrefs": ["s3://usgs-landsat/x_SR_B4.TIF"]},
            tmp_path / "b4.TIF",
            scene_id=SID,
            options=SourceOptions(s3_client=client, policy=SourcePolicy()),
        )
    assert time.monotonic() - started < 6.0
    assert silent_server.connections() == 2  # the source client's two attempts, no more


def _client_at(endpoint: str):
    """A source client (the pipeline's bounded config) whose endpoint is ``endpoint``."""
    import boto3

    from landsat_pipeline.sources.s3 import _config

    return boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-west-2"
    ).client("s3", endpoint_url=endpoint, config=_config((1.0, 1.0)))
