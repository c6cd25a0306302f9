"""Faults in the middle of transfers: SIGTERM and SIGKILL while an upload (a single PUT or a
real multipart upload) is held at the proxy, a scene download cut or stalled mid-body, SIGTERM
and SIGKILL right after each step of a local publication (killat.py), and the item's write
taking effect with its answer lost.

Every test checks the destination against a snapshot of its objects read back byte for byte
(nothing of the published set lost or changed; a reader's check of the item and its assets),
then that ``cleanup`` leaves exactly the item and the version it names, and that the run after
the fault publishes exactly what a clean run publishes.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from landsat_ops.storage import open_store
from tests.support import forkserver
from tests.support.faultlib import (
    FAULT_PRODUCTS,
    assert_one_line,
    changes,
    collect,
    fault,
    leftovers,
    lost,
    run,
    set_problems,
    snapshot,
    start,
    wait_for,
)

STAGED = r"/faults/p/LC08[^/]*/[0-9a-f]{{16}}[^/]*/LC08[^/]*_{}$"
"""The path of a product uploaded into a new version folder; ``{}`` is its suffix."""
THRESHOLD = "200000"
"""A multipart threshold below the false colour PNG (216 KB, changed by other percentiles)
and the NDVI COG (357 KB, the same), above every other product (< 190 KB)."""


def _render(*args, out: str, percentiles: str = "1,99", **kwargs) -> forkserver.ForkedProcess:
    return start("-q", "render", *args, "--out", out, "--percentiles", percentiles, **kwargs)


def _clean_run(scene, bucket: str, tmp_path: Path) -> dict[str, bytes]:
    """The set a clean run publishes (1-99 %), to a prefix of its own."""
    dest = f"s3://{bucket}/clean/"
    process = _render(scene, out=dest)
    assert process.wait(timeout=120) == 0, process.communicate()[1]
    return snapshot(open_store(dest))


def _exactly_one_line(err: str, *fragments: str) -> None:
    assert len(err.strip().splitlines()) == 1, err
    assert_one_line(err, *fragments)


def _published_on_s3(scene, bucket, tmp_path, monkeypatch):
    """``s3://bucket/p/`` holding the 2-98 % set; uploads above THRESHOLD go in parts."""
    monkeypatch.setenv("LANDSAT_OPS_S3_MULTIPART_THRESHOLD", THRESHOLD)
    dest, work = f"s3://{bucket}/p/", tmp_path / "work"
    work.mkdir()
    assert _render(scene, out=dest, percentiles="2,98").wait(timeout=120) == 0
    store = open_store(dest)
    return dest, work, store, snapshot(store)


@pytest.mark.parametrize("transfer", ["put", "multipart"])
def test_sigterm_during_an_upload_rolls_back_at_once(
    scene, bucket, proxy, tmp_path, monkeypatch, transfer
):
    """SIGTERM while a product's upload is held by the endpoint: one line, exit 143, the
    previous set byte for byte, no scratch folder; what the run uploaded is an unreferenced
    version, which cleanup removes; the re-run equals a clean run.
    """
    dest, work, store, before = _published_on_s3(scene, bucket, tmp_path, monkeypatch)
    assert set_problems(store) == []
    if transfer == "put":  # a single PUT of the true colour COG
        rule = proxy.add("PUT", STAGED.format("truecolor.tif"), "stall", seconds=60)
    else:  # the first part of the false colour PNG's multipart upload
        rule = proxy.add("PUT", STAGED.format("falsecolor.png"), "stall", "partNumber=", seconds=60)
    process = _render(scene, "--workdir", work, out=dest)
    wait_for(lambda: rule.hits > 0, process=process)
    if transfer == "multipart":
        assert [k for k, _, _ in store.incomplete_uploads() if k.endswith("_falsecolor.png")]
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    fault()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, err
    _exactly_one_line(err, "interrupted by SIGTERM")
    # The request in flight ends with its read timeout (2 s here); nothing else is waited for.
    assert time.monotonic() - sent < 15
    proxy.clear()
    assert lost(store, before) == []
    assert set_problems(store) == []
    assert not list(work.glob("landsat-ops-*"))
    collect(store)
    assert changes(store, before, work) == []
    # The re-run publishes what a clean run publishes, byte for byte.
    assert _render(scene, "--workdir", work, out=dest).wait(timeout=120) == 0
    assert set_problems(store) == []
    collect(store)
    assert leftovers(store, work) == []
    assert snapshot(store) == _clean_run(scene, bucket, tmp_path)


@pytest.mark.parametrize("then", ["cleanup", "next-run"])
def test_sigkill_during_a_multipart_upload(scene, bucket, proxy, tmp_path, monkeypatch, then):
    """SIGKILL while a part of a real multipart upload (the render's own, into its new version)
    is held: the previous set stays readable and whole; the next run publishes at once (in a
    version folder of its own), and ``landsat-ops cleanup`` aborts the dead run's upload and
    removes its version."""
    dest, work, store, before = _published_on_s3(scene, bucket, tmp_path, monkeypatch)
    rule = proxy.add("PUT", STAGED.format("falsecolor.png"), "stall", "partNumber=", seconds=60)
    process = _render(scene, "--workdir", work, out=dest)
    wait_for(lambda: rule.hits > 0, process=process)
    (upload,) = [key for key, _, _ in store.incomplete_uploads()]
    assert upload.endswith("_falsecolor.png")
    process.kill()
    process.wait()
    fault()
    proxy.clear()
    assert lost(store, before) == []
    assert set_problems(store) == []  # readers still see the old, consistent set
    assert store.incomplete_uploads()  # what the dead run left
    if then == "next-run":
        assert _render(scene, "--workdir", work, out=dest).wait(timeout=120) == 0
        assert set_problems(store) == []
    code, out, err = run("cleanup", dest, "--workdir", work, "--retention", "0")
    assert code == 0, err
    assert json.loads(out)["aborted_uploads"] == [upload]
    assert set_problems(store) == []
    if then == "cleanup":
        assert changes(store, before, work) == []
        assert _render(scene, "--workdir", work, out=dest).wait(timeout=120) == 0
        collect(store)
    assert leftovers(store, work) == []
    clean = _clean_run(scene, bucket, tmp_path)
    if then == "cleanup":
        assert snapshot(store) == clean
    else:  # the dead run's folder was taken: the same products in a version folder of its own
        assert _products_by_name(snapshot(store)) == _products_by_name(clean)


def _products_by_name(objects: dict[str, bytes]) -> dict[str, bytes]:
    """The objects of the version folders by file name (the items' hrefs left out)."""
    return {key.rsplit("/", 1)[-1]: data for key, data in objects.items() if key.count("/") == 2}


def _s3_scene(scene: Path, bucket: str) -> str:
    """The scene's files under ``s3://bucket/landing/<ID>/``."""
    store = open_store(f"s3://{bucket}/landing/{scene.name}/")
    for path in sorted(scene.iterdir()):
        store.put_file(path, path.name)
    return store.root + "/"


BAND_GET = r"/faults/landing/[^/]+/[^/]+_B4\.TIF$"


@pytest.mark.parametrize(
    ("action", "times", "succeeds"),
    [
        pytest.param("cut", 1, True, id="cut-once"),
        pytest.param("stall", 1, True, id="stall-once"),
        pytest.param("cut", None, False, id="cut-always"),
        pytest.param("stall-body", None, False, id="stall-mid-body-always"),
        pytest.param("stall", None, False, id="stall-always"),
    ],
)
def test_a_broken_scene_download(scene, bucket, proxy, tmp_path, action, times, succeeds):
    """A band's GET cut or stalled (before or in the middle of its body): a truncated
    download is never taken for the band; a one-off fault is retried and the render equals a
    clean one byte for byte; a lasting one fails in bounded time with one line naming the
    object and exit 2, with nothing in the destination and no scratch folder."""
    source = _s3_scene(scene, bucket)
    dest, work = f"s3://{bucket}/p/", tmp_path / "work"
    work.mkdir()
    store = open_store(dest)
    rule = proxy.add("GET", BAND_GET, action, times=times, seconds=60)
    started = time.monotonic()
    process = _render(source, "--workdir", work, out=dest)
    _, err = process.communicate(timeout=120)
    elapsed = time.monotonic() - started
    assert rule.hits >= 1
    proxy.clear()
    if succeeds:
        assert process.returncode == 0, err
        assert set_problems(store) == []
        assert leftovers(store, work) == []
        assert snapshot(store) == _clean_run(source, bucket, tmp_path)
        return
    assert process.returncode == 2, err
    _exactly_one_line(err, f"{source}{scene.name}_B4.TIF: cannot download")
    # 2 download attempts x 2 client attempts x 2 s read timeout, plus back-off.
    assert elapsed < 30, elapsed
    assert changes(store, {}, work) == []


POINTS = [
    pytest.param("product", 2, id="while-writing-the-version"),
    pytest.param("version-item", 1, id="after-the-version-item"),
    pytest.param("switch", 1, id="after-the-switch"),
]


def _signal_at(sig: str, point: str, n: int, scene, dest, work) -> subprocess.CompletedProcess:
    """A render of 1-99 % to ``dest`` that sends itself ``sig`` at ``point`` (killat.py)."""
    fault()
    args = [sys.executable, str(Path(__file__).with_name("killat.py")), sig, point, str(n), "--"]
    args += ["-q", "render", str(scene), "--out", str(dest), "--percentiles", "1,99"]
    args += ["--workdir", str(work), "--products", FAULT_PRODUCTS]
    process = forkserver.popen(args, text=True)  # a real process, forked warm
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def _published_and_clean(scene, tmp_path):
    """A local DEST holding the 2-98 % set, and the snapshot of a clean 1-99 % render."""
    dest, work, clean = tmp_path / "out", tmp_path / "work", tmp_path / "clean"
    work.mkdir()
    assert run("render", scene, "--out", dest, "--percentiles", "2,98")[0] == 0
    assert run("render", scene, "--out", clean, "--percentiles", "1,99")[0] == 0
    store = open_store(dest)
    return dest, work, store, snapshot(store), snapshot(open_store(clean))


@pytest.mark.parametrize(("point", "n"), POINTS)
def test_sigterm_during_a_local_publication(scene, tmp_path, point, n):
    """SIGTERM at each step of a publication to a local folder: one line, exit 143. Before
    the switch the old set stays, byte for byte; after it, the new one, and the line says so.
    Either way nothing but an unreferenced version remains for cleanup."""
    dest, work, store, before, clean_set = _published_and_clean(scene, tmp_path)
    process = _signal_at("SIGTERM", point, n, scene, dest, work)
    assert process.returncode == 128 + signal.SIGTERM, process.stderr
    _exactly_one_line(process.stderr, "interrupted by SIGTERM")
    assert set_problems(store) == []
    assert not list(work.glob("landsat-ops-*"))
    collect(store)
    if point == "switch":
        assert "switched" in process.stderr
        assert changes(store, clean_set, work) == []
    else:
        assert changes(store, before, work) == []


@pytest.mark.parametrize(("point", "n"), POINTS)
def test_sigkill_during_a_local_publication(scene, tmp_path, point, n):
    """SIGKILL at each step of a publication to a local folder: a reader sees the old set
    whole before the switch and the new one after it, never a mix; ``landsat-ops cleanup``
    then leaves exactly that set; the next run equals a clean run."""
    dest, work, store, before, clean_set = _published_and_clean(scene, tmp_path)
    killer = _signal_at("SIGKILL", point, n, scene, dest, work)
    assert killer.returncode == -signal.SIGKILL, killer.stderr
    assert set_problems(store) == []
    assert list(work.glob("landsat-ops-*"))  # the dead run's scratch folder
    expected = clean_set if point == "switch" else before
    assert lost(store, expected) == []
    code, out, err = run("cleanup", dest, "--workdir", work, "--retention", "0")
    assert code == 0, err
    assert changes(store, expected, work) == []
    assert set_problems(store) == []
    # The next run publishes exactly what a clean run does.
    assert run("render", scene, "--out", dest, "--percentiles", "1,99", "--workdir", work)[0] == 0
    assert set_problems(store) == []
    collect(store)
    assert leftovers(store, work) == []
    assert snapshot(store) == clean_set


ITEM_PUT = r"/faults/p/LC08[^/]*\.json$"


@pytest.mark.parametrize("times", [1, None], ids=["once", "always"])
def test_an_item_write_whose_answer_is_lost(scene, bucket, proxy, tmp_path, times):
    """The item's PUT reaches S3, but its answer is lost (the retry, conditional on the old
    item, is then refused): the item is read back, the new set is published, and the run ends
    as a success; cleanup leaves exactly what a clean run publishes."""
    dest = f"s3://{bucket}/p/"
    assert _render(scene, out=dest, percentiles="2,98").wait(timeout=120) == 0
    store = open_store(dest)
    rule = proxy.add("PUT", ITEM_PUT, "lose", times=times)
    process = _render(scene, out=dest)
    _, err = process.communicate(timeout=120)
    assert rule.hits >= 1
    proxy.clear()
    assert set_problems(store) == []
    assert process.returncode == 0, err
    collect(store)
    assert changes(store, _clean_run(scene, bucket, tmp_path)) == []
