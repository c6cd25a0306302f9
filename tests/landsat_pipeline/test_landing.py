"""Landing (landsat_pipeline/landing.py) on a local bucket: local and http sources, checks,
fallback to alternate hrefs, and re-runs that fetch nothing already landed intact.

Sources are a small synthetic scene (:func:`landsat_demo.synthetic.make_scene`, real GeoTIFFs
and a real MTL), served from a folder or a local HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from landsat_ops.storage import open_store
from landsat_pipeline.errors import LandingError
from landsat_pipeline.keys import landing_record_key
from landsat_pipeline.landing import land_scene, landed_name


@pytest.fixture
def store(tmp_path):
    return open_store(tmp_path / "bucket")


@functools.cache
def _synthetic_scene(root: str) -> Path:
    from landsat_demo.synthetic import make_scene

    return make_scene(root, acquired=datetime.date(2024, 6, 28), width=64, height=64)


# --------------------------------------------------------------------------------------------
# Landing
# --------------------------------------------------------------------------------------------

SID = "LC08_L1TP_226010_20240628_20240708_02_T1"
ASSETS = ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "QA", "MTL"]


def source_files(folder: Path) -> dict[str, str]:
    """The scene's files (real TIFFs and MTL, as landing checks them) copied to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    made = _synthetic_scene(str(folder.parent / ".made"))
    assert made.name == SID
    assets = {}
    for key in ASSETS:
        name = f"{SID}_{'QA_PIXEL' if key == 'QA' else key}.{'txt' if key == 'MTL' else 'TIF'}"
        shutil.copyfile(made / name, folder / name)
        assets[key] = str(folder / name)
    return assets


def test_land_local_files_then_again_skips_all(store, tmp_path):
    assets = source_files(tmp_path / "source")
    result = land_scene({"scene_id": SID, "assets": assets}, store)
    assert len(result["uploaded"]) == 9 and result["skipped"] == []
    assert result["landing_uri"] == store.uri(f"landing/{SID}")
    landed = store.list(f"landing/{SID}/")
    # B1-B7 (B6, SWIR1, for the extent product), the QA band and the MTL; no thermal band
    assert len(landed) == 9 and f"landing/{SID}/{SID}_B6.TIF" in landed
    assert not any("_B10." in key or "_B11." in key for key in landed)
    assert f"landing/{SID}/{SID}_QA_PIXEL.TIF" in landed
    again = land_scene({"scene_id": SID, "assets": assets}, store)
    assert again["uploaded"] == [] and len(again["skipped"]) == 9


@pytest.fixture
def http_root(tmp_path):
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_land_from_http_and_a_clear_error_on_404(store, http_root):
    root, url = http_root
    local = source_files(root / "scene")
    assets = {key: f"{url}/scene/{Path(path).name}?token=secret" for key, path in local.items()}
    result = land_scene({"scene_id": SID, "assets": assets}, store)
    assert len(result["uploaded"]) == 9
    data = store.read_bytes(f"landing/{SID}/{SID}_B4.TIF")
    assert data == Path(local["B4"]).read_bytes()

    assets["B4"] = f"{url}/scene/missing.TIF?token=secret"
    with pytest.raises(LandingError) as error:
        land_scene({"scene_id": SID, "assets": assets}, store)
    assert f"{url}/scene/missing.TIF: download failed (HTTP 404 File not found)" in str(error.value)
    assert "secret" not in str(error.value)


def test_missing_assets_are_named(store):
    with pytest.raises(LandingError, match=r"has no B7, QA asset"):
        land_scene(
            {"scene_id": SID, "assets": {k: "/x" for k in ASSETS if k not in ("B7", "QA")}}, store
        )


@pytest.mark.parametrize(
    ("key", "href", "expected"),
    [
        ("B4", f"/data/{SID}_B4.TIF", f"{SID}_B4.TIF"),
        ("B4", f"https://host/x/{SID}_SR_B4.TIF?sig=1", f"{SID}_SR_B4.TIF"),
        ("QA", "https://host/x/qa_pixel.tif", f"{SID}_QA_PIXEL.tif"),
        ("MTL", "s3://bucket/x/metadata", f"{SID}_MTL.txt"),
    ],
)
def test_landed_names(key, href, expected):
    assert landed_name(SID, key, href) == expected


# --------------------------------------------------------------------------------------------
# Checks before landing, alternates, re-runs
# --------------------------------------------------------------------------------------------


def _sources(assets: dict[str, str], **extra) -> dict:
    return {key: {"hrefs": [href], **extra.get(key, {})} for key, href in assets.items()}


def test_login_page_is_a_clear_error_and_nothing_is_landed(store, http_root):
    root, url = http_root
    local = source_files(root / "scene")
    assets = {key: f"{url}/scene/{Path(path).name}" for key, path in local.items()}
    Path(local["B5"]).write_text("<!DOCTYPE html><html><body>USGS login</body></html>")
    with pytest.raises(LandingError) as error:
        land_scene({"scene_id": SID, "assets": assets}, store)
    message = str(error.value)
    assert message.startswith(f"asset B5: {url}/scene/{SID}_B5.TIF: got an HTML page")
    assert "expected a GeoTIFF" in message and "\n" not in message
    assert store.list("landing/") == []


def test_checksum_mismatch_and_wrong_mtl_are_refused(store, tmp_path):
    assets = source_files(tmp_path / "source")
    wrong = "1220" + hashlib.sha256(b"something else").hexdigest()
    scene = {"scene_id": SID, "assets": assets, "sources": _sources(assets, B4={"checksum": wrong})}
    with pytest.raises(LandingError, match=r"^asset B4: .*_B4\.TIF: sha256 .* does not match"):
        land_scene(scene, store)
    assert store.list("landing/") == []

    other = tmp_path / "other_MTL.txt"
    other.write_text(Path(assets["MTL"]).read_text().replace(SID, SID.replace("0708", "0709")))
    with pytest.raises(
        LandingError, match=r"asset MTL: .*: is the MTL of .*20240709.*expected the"
    ):
        land_scene({"scene_id": SID, "assets": {**assets, "MTL": str(other)}}, store)
    assert store.list("landing/") == []


def test_sha512_checksum_and_alternate_href_when_the_first_fails(store, http_root):
    root, url = http_root
    local = source_files(root / "scene")
    assets = {key: f"{url}/scene/{Path(path).name}" for key, path in local.items()}
    sources = _sources(assets)
    b4 = Path(local["B4"]).read_bytes()
    sources["B4"] = {
        "hrefs": [f"{url}/gone/{SID}_B4.TIF", assets["B4"]],
        "checksum": "1340" + hashlib.sha512(b4).hexdigest(),
        "size": len(b4),
    }
    result = land_scene({"scene_id": SID, "assets": assets, "sources": sources}, store)
    assert len(result["uploaded"]) == 9
    assert store.read_bytes(f"landing/{SID}/{SID}_B4.TIF") == b4


def test_a_rerun_downloads_nothing_and_a_changed_landed_file_is_fetched_again(store, http_root):
    root, url = http_root
    local = source_files(root / "scene")
    assets = {key: f"{url}/scene/{Path(path).name}" for key, path in local.items()}
    first = land_scene({"scene_id": SID, "assets": assets}, store)
    assert len(first["downloaded"]) == 9 and store.exists(landing_record_key(SID))
    for path in local.values():  # the source is gone: a re-run must not need it
        Path(path).unlink()
    again = land_scene({"scene_id": SID, "assets": assets}, store)
    assert again["downloaded"] == [] and again["uploaded"] == [] and len(again["skipped"]) == 9

    store.write_bytes(f"landing/{SID}/{SID}_B4.TIF", b"damaged")
    with pytest.raises(LandingError, match=rf"asset B4: {url}/scene/{SID}_B4.TIF: download failed"):
        land_scene({"scene_id": SID, "assets": assets}, store)


# --------------------------------------------------------------------------------------------
# The whole file is verified: a truncated band is never landed, nor trusted from a record
# --------------------------------------------------------------------------------------------


def test_a_truncated_band_without_file_size_is_refused_then_landed_once_fixed(store, http_root):
    """The catalog has no ``file:size`` (as Earth Search items) and the server's
    Content-Length matches the cut file: the TIFF's own structure gives it away."""
    root, url = http_root
    local = source_files(root / "scene")
    assets = {key: f"{url}/scene/{Path(path).name}" for key, path in local.items()}
    b3 = Path(local["B3"])
    whole = b3.read_bytes()
    b3.write_bytes(whole[: len(whole) - 700])
    with pytest.raises(LandingError) as error:
        land_scene({"scene_id": SID, "assets": assets}, store)
    message = str(error.value)
    assert message.startswith(f"asset B3: {url}/scene/{SID}_B3.TIF: truncated or damaged: ")
    assert "beyond the end of the file" in message and "(expected a whole GeoTIFF)" in message
    assert store.list("landing/") == [] and not store.exists(landing_record_key(SID))

    b3.write_bytes(whole)  # the source is fixed: the next run downloads and lands it
    result = land_scene({"scene_id": SID, "assets": assets}, store)
    assert len(result["downloaded"]) == 9
    assert store.read_bytes(f"landing/{SID}/{SID}_B3.TIF") == whole


def test_a_record_of_an_earlier_weaker_check_is_not_trusted(store, http_root):
    """A record without ``verified`` (landed when only the header was opened) says nothing
    about the landed file: it is fetched and checked again, then trusted."""
    import json

    root, url = http_root
    local = source_files(root / "scene")
    assets = {key: f"{url}/scene/{Path(path).name}" for key, path in local.items()}
    land_scene({"scene_id": SID, "assets": assets}, store)
    key = landing_record_key(SID)
    record = json.loads(store.read_bytes(key))
    assert {e["verified"] for e in record["files"].values()} == {"tiff-structure+mtl-bounds/1"}
    for entry in record["files"].values():
        del entry["verified"]
    store.write_bytes(key, json.dumps(record).encode())
    again = land_scene({"scene_id": SID, "assets": assets}, store)
    assert len(again["downloaded"]) == 9 and again["uploaded"] == []  # same bytes: no upload
    third = land_scene({"scene_id": SID, "assets": assets}, store)
    assert third["downloaded"] == [] and len(third["skipped"]) == 9
