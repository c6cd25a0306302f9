"""Faults against real ``landsat-ops`` processes: S3 errors, kills, races, full disks, bad input.

After each fault the destination's previous set must be intact and consistent with its item
(checked against the bytes), and the next run must leave nothing behind.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time

import pytest

from landsat_ops.storage import open_store
from tests.support.faultlib import (
    assert_one_line,
    collect,
    fault,
    leftovers,
    run,
    set_problems,
    start,
    wait_for,
)


def _item(store) -> dict:
    (key,) = [k for k in store.list() if k.endswith(".json") and "/" not in k]
    return json.loads(store.read_bytes(key))


def _snapshot(store) -> dict[str, bytes]:
    return {key: store.read_bytes(key) for key in store.list()}


ITEM_PUT = r"/faults/p/LC08[^/]*\.json$"
PRODUCT_PUT = r"/faults/p/LC08[^/]*/[0-9a-f]{16}[^/]*/LC08[^/]*_truecolor\.tif$"
VERSION_ITEM_PUT = r"/faults/p/LC08[^/]*/[0-9a-f]{16}[^/]*/LC08[^/]*\.json$"


@pytest.mark.parametrize(
    ("method", "path", "action"),
    [
        pytest.param("PUT", ITEM_PUT, "status", id="item-put-500"),
        pytest.param("PUT", ITEM_PUT, "drop", id="item-put-dropped"),
        pytest.param("PUT", ITEM_PUT, "stall", id="item-put-stalled"),
        pytest.param("PUT", PRODUCT_PUT, "status", id="product-upload-500"),
        pytest.param("PUT", VERSION_ITEM_PUT, "status", id="version-item-500"),
    ],
)
def test_failed_republish_keeps_the_previous_set(scene, bucket, proxy, method, path, action):
    """Issue 12 case 1: the re-render fails while publishing; the old set stays whole."""
    dest = f"s3://{bucket}/p/"
    code, _, err = run("render", scene, "--out", dest, "--percentiles", "2,98")
    assert code == 0, err
    store = open_store(dest)
    before = _snapshot(store)
    proxy.add(method, path, action, seconds=3)
    code, _, err = run("render", scene, "--out", dest, "--percentiles", "1,99")
    assert code == 2, err
    assert_one_line(err)
    proxy.clear()
    assert set_problems(store) == []
    # The old set, byte for byte; what the run wrote is an unreferenced version, for cleanup.
    assert {k: v for k, v in _snapshot(store).items() if k in before} == before
    collect(store)
    assert _snapshot(store) == before
    assert leftovers(store) == []
    # The next run publishes the new set, identical to a clean run's.
    code, _, err = run("render", scene, "--out", dest, "--percentiles", "1,99")
    assert code == 0, err
    assert set_problems(store) == []
    collect(store)
    assert leftovers(store) == []
    if action != "status" or path != ITEM_PUT:
        return
    clean = f"s3://{bucket}/clean/"
    assert run("render", scene, "--out", clean, "--percentiles", "1,99")[0] == 0
    clean_store = open_store(clean)
    assert _snapshot(store) == _snapshot(clean_store)
    assert set_problems(store) == []
    assert leftovers(store) == []


def _killed_while_held(scene, bucket, proxy, put_pattern):
    """Publish the 2-98 % set to ``s3://bucket/p/``, then SIGKILL a 1-99 % render while a PUT
    matching ``put_pattern`` is held; returns the destination, its store and the old set."""
    dest = f"s3://{bucket}/p/"
    assert run("render", scene, "--out", dest, "--percentiles", "2,98")[0] == 0
    store = open_store(dest)
    before = _snapshot(store)
    rule = proxy.add("PUT", put_pattern, "stall", seconds=30)
    process = start("render", scene, "--out", dest, "--percentiles", "1,99")
    wait_for(lambda: rule.hits > 0, process=process)
    process.kill()
    process.wait()
    fault()
    proxy.clear()
    return dest, store, before


def test_sigkill_while_switching_leaves_one_whole_set(scene, bucket, proxy):
    """Killed while the item's write is held: a reader sees the old set, whole (there is no
    window of new products under the old item); cleanup removes the dead run's version."""
    dest, store, before = _killed_while_held(scene, bucket, proxy, ITEM_PUT)
    assert {k: v for k, v in _snapshot(store).items() if k in before} == before
    assert set_problems(store) == []
    code, out, err = run("cleanup", dest, "--retention", "0")
    assert code == 0, err
    assert json.loads(out)["versions_removed"]
    assert _snapshot(store) == before
    assert set_problems(store) == []
    assert leftovers(store) == []


def test_sigkill_during_upload_leaves_the_old_set_and_the_next_run_goes_ahead(scene, bucket, proxy):
    dest, store, before = _killed_while_held(scene, bucket, proxy, PRODUCT_PUT)
    assert {k: v for k, v in _snapshot(store).items() if k in before} == before
    assert set_problems(store) == []  # readers still see the old, consistent set
    # Nothing of the dead run is in the next run's way.
    code, _, err = run("render", scene, "--out", dest, "--percentiles", "1,99")
    assert code == 0, err
    assert _item(store)["properties"]["landsat_ops:stretch"]
    assert set_problems(store) == []
    collect(store)
    assert leftovers(store) == []


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_concurrent_renders_never_mix_sets(scene, tmp_path, kind, request):
    """Issue 12 case 2: two renders of one scene into one destination, other percentiles."""
    if kind == "s3":
        dest = f"s3://{request.getfixturevalue('bucket')}/p/"
    else:
        dest = str(tmp_path / "out")
    results = []
    for _ in range(2):
        a = start("render", scene, "--out", dest, "--percentiles", "2,98")
        b = start("render", scene, "--out", dest, "--percentiles", "1,99")
        fault()
        for percentiles, process in (("2,98", a), ("1,99", b)):
            out, err = process.communicate(timeout=120)
            results.append((percentiles, process.returncode, err))
            if process.returncode != 0:
                assert process.returncode == 2, err
                assert_one_line(err, "another writer")
        store = open_store(dest)
        assert set_problems(store) == []
    collect(store)
    assert leftovers(store, None) == []
    assert any(code == 0 for _, code, _ in results)


def _wait_for_scratch(workdir, process):
    wait_for(lambda: any(workdir.glob("landsat-ops-*/products")), process=process)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_clean_up_like_a_failure(scene, tmp_path, sig):
    dest, work = tmp_path / "out", tmp_path / "work"
    work.mkdir()
    assert run("render", scene, "--out", dest, "--workdir", work)[0] == 0
    store = open_store(dest)
    before = _snapshot(store)
    process = start("render", scene, "--out", dest, "--workdir", work, "--percentiles", "1,99")
    _wait_for_scratch(work, process)
    process.send_signal(sig)
    fault()
    _, err = process.communicate(timeout=60)
    if process.returncode == 0:  # the signal came after the publication: a complete new set
        assert set_problems(store) == []
        return
    assert process.returncode == 128 + sig, err
    assert_one_line(err, signal.Signals(sig).name)
    assert _snapshot(store) == before
    assert set_problems(store) == []
    assert leftovers(store, work) == []


def test_sigkill_leftovers_are_removed_by_the_next_run(scene, tmp_path):
    dest, work = tmp_path / "out", tmp_path / "work"
    work.mkdir()
    assert run("render", scene, "--out", dest, "--workdir", work)[0] == 0
    store = open_store(dest)
    before = _snapshot(store)
    process = start("render", scene, "--out", dest, "--workdir", work, "--percentiles", "1,99")
    _wait_for_scratch(work, process)
    process.kill()
    process.wait()
    fault()
    assert _snapshot(store) == before
    assert set_problems(store) == []
    assert list(work.glob("landsat-ops-*"))  # the dead run's scratch folder
    assert run("render", scene, "--out", dest, "--workdir", work)[0] == 0
    assert set_problems(store) == []
    assert leftovers(store, work) == []


def test_local_leftovers_of_dead_runs_are_removed_by_cleanup(scene, tmp_path):
    """Temporary files of a killed local publication, and the staged files, backups, journal
    and lock of the publication scheme before versions: removed once older than the
    retention; the published set untouched."""
    dest = tmp_path / "out"
    assert run("render", scene, "--out", dest)[0] == 0
    names = [
        ".x_truecolor.tif.4242.partial",
        ".x_ndvi.tif.4242-a1b2c3-d4e5f6.partial",
        ".x_ndvi.tif.4242-a1b2c3-d4e5f6.backup",
        ".landsat-ops.4242-a1b2c3-d4e5f6.journal",
        ".landsat-ops.lock",
    ]
    for name in names:
        (dest / name).write_bytes(b"x" * 100)
    fault()
    code, out, err = run("cleanup", dest)  # the default retention: too young to go
    assert code == 0, err
    assert all((dest / name).exists() for name in names)
    code, out, err = run("cleanup", dest, "--retention", "0")
    assert code == 0, err
    assert sorted(json.loads(out)["removed"]) == sorted(names)
    assert set_problems(open_store(dest)) == []
    assert leftovers(open_store(dest)) == []


def test_full_scratch_disk_is_one_line(scene, tmp_path):
    """Issue 12 case 3: ENOSPC while writing scratch files (a 1 MB tmpfs)."""
    work = tmp_path / "tiny"
    work.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(work)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        fault()
        code, _, err = run("render", scene, "--out", tmp_path / "out", "--workdir", work)
        assert code == 2, err
        assert_one_line(err, "No space left on device")
        assert not (tmp_path / "out").exists()
        assert list(work.iterdir()) == []
    finally:
        subprocess.run(["umount", str(work)], check=False)


@pytest.mark.parametrize("what", ["missing", "a-file"])
def test_bad_workdir_is_one_line(scene, tmp_path, what):
    workdir = tmp_path / "nowhere"
    if what == "a-file":
        workdir.write_text("x")
    fault()
    code, _, err = run("render", scene, "--out", tmp_path / "out", "--workdir", workdir)
    assert code == 2, err
    assert_one_line(err, "--workdir")


def test_mtl_of_another_scene_is_refused(scene, tmp_path):
    """Issue 12 case 6: the MTL must belong to the band files."""
    import datetime

    from landsat_demo.synthetic import make_scene

    other = make_scene(
        tmp_path / "other", acquired=datetime.datetime(2024, 8, 15, 13, 40), width=64, height=64
    )
    folder = tmp_path / scene.name
    shutil.copytree(scene, folder)
    (mtl,) = folder.glob("*_MTL.txt")
    (other_mtl,) = other.glob("*_MTL.txt")
    shutil.copyfile(other_mtl, mtl)
    fault()
    code, _, err = run("render", folder, "--out", tmp_path / "out")
    assert code == 2, err
    assert_one_line(err, other.name, scene.name)
    assert not (tmp_path / "out").exists()


def test_missing_bucket_fails_before_any_pixel_work(scene, proxy, tmp_path):
    fault()
    started = time.monotonic()
    code, _, err = run("render", scene, "--out", "s3://no-such-bucket/p/")
    assert code == 2, err
    assert_one_line(err, "no-such-bucket")
    assert time.monotonic() - started < 15


def test_tampered_object_is_found_by_its_bytes(bucket, proxy, tmp_path):
    """Issue 12 case 8: the declared x-amz-meta-sha256 is not trusted over S3's checksum."""
    import hashlib

    import boto3

    store = open_store(f"s3://{bucket}/p/")
    store.write_bytes("a.bin", b"good")
    boto3.client("s3").put_object(
        Bucket=bucket,
        Key="p/a.bin",
        Body=b"evil",
        Metadata={"sha256": hashlib.sha256(b"good").hexdigest()},
        ChecksumAlgorithm="SHA256",
    )
    fault()
    assert store.info("a.bin").sha256 == hashlib.sha256(b"evil").hexdigest()
    source = tmp_path / "a.bin"
    source.write_bytes(b"good")
    _, uploaded = store.put_file(source, "a.bin")  # heals it: the bytes differ
    assert uploaded and store.read_bytes("a.bin") == b"good"
