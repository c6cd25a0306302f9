"""Immutable versions behind one switch, tried as an unlucky operator would (issue 17).

Real ``landsat-ops`` processes publish to moto S3 through the fault proxy; the checks read the
bucket directly (not through the proxy) as a reader would: the item at the destination's top,
then every asset it names, against the item's checksums (``set_problems``, which counts a
mixed or missing set visible to a reader). After the faults, ``cleanup`` (no retention) must
leave exactly the items and the versions they name.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time

import pytest

from landsat_ops.storage import S3Store
from tests.support.faultlib import (
    COUNTS,
    LANDSAT_OPS,
    assert_one_line,
    collect,
    fault,
    leftovers,
    run,
    set_problems,
    start,
)

ITEM_PUT = r"/faults/[^/]+/LC08[^/]*\.json$"


@pytest.fixture
def direct(aws_env):
    """A boto3 client straight to moto, for the test's own reads (not counted by the proxy)."""
    import boto3

    return boto3.client("s3", endpoint_url=aws_env)


def _store(bucket: str, prefix: str, client) -> S3Store:
    return S3Store(f"s3://{bucket}/{prefix}/", client)


def _copy_prefix(client, bucket: str, src: str, dst: str) -> None:
    for obj in client.list_objects_v2(Bucket=bucket, Prefix=f"{src}/").get("Contents", []):
        key = obj["Key"]
        client.copy_object(
            Bucket=bucket,
            Key=f"{dst}/{key[len(src) + 1 :]}",
            CopySource={"Bucket": bucket, "Key": key},
        )


def _item(store) -> dict:
    (key,) = [k for k in store.list() if k.endswith(".json") and "/" not in k]
    return json.loads(store.read_bytes(key))


def _version(store) -> str:
    return _item(store)["properties"]["landsat_ops:product_version"]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_signal_at_every_request_of_a_republication(small, bucket, proxy, direct, sig):
    """(a) The 2-98 % set is published; a 1-99 % render is signalled right after its n-th S3
    request took effect, for every n until a run gets through. After each kill a reader sees
    the old set or the new one, whole; after cleanup, only the item and its version remain."""
    assert run("render", small, "--out", f"s3://{bucket}/base/", "--percentiles", "2,98")[0] == 0
    old_version = _version(_store(bucket, "base", direct))
    index, outcomes = 0, {"old": 0, "new": 0}
    while True:
        index += 1
        assert index < 200, "the publication never got through"
        prefix = f"k{index}"
        _copy_prefix(direct, bucket, "base", prefix)
        store = _store(bucket, prefix, direct)
        sent = threading.Event()
        holder: dict = {}

        def hook(n, method, path, holder=holder, sent=sent, at=index):
            if n == at and "pid" in holder:
                os.kill(holder["pid"], sig)
                sent.set()
                if sig == signal.SIGKILL:
                    time.sleep(0.2)  # dead before its answer arrives

        proxy.answered = 0
        proxy.on_answered = hook
        process = start(
            "render", small, "--out", f"s3://{bucket}/{prefix}/", "--percentiles", "1,99"
        )
        holder["pid"] = process.pid
        _, err = process.communicate(timeout=120)
        proxy.on_answered = None
        if not sent.is_set():
            assert process.returncode == 0, err
            assert set_problems(store) == []
            assert _version(store) != old_version
            break
        fault()
        if sig == signal.SIGKILL:
            assert process.returncode == -signal.SIGKILL, err
        else:
            assert process.returncode == 128 + signal.SIGTERM, err
            assert_one_line(err, "SIGTERM")
        assert set_problems(store) == [], f"after a {sig.name} at request {index}"
        outcomes["old" if _version(store) == old_version else "new"] += 1
        collect(store)
        assert set_problems(store) == [], f"after cleanup, {sig.name} at request {index}"
        assert leftovers(store) == []
    # Killed before the switch the old set stays; after it, the new one.
    assert index > 10 and outcomes["old"] > 5, (index, outcomes)


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_random_s3_errors_never_show_a_mixed_set(small, bucket, proxy, direct, rate):
    """(b) 500/503 on a random share of every request, 10 re-publications with alternating
    percentiles: runs may fail (one line, exit 2), readers never see a mixed set."""
    dest = f"s3://{bucket}/p/"
    assert run("render", small, "--out", dest)[0] == 0
    store = _store(bucket, "p", direct)
    proxy.add(None, r".*", "status", status=500, probability=rate / 2, seed=1)
    proxy.add(None, r".*", "status", status=503, probability=rate / 2, seed=2)
    codes = []
    for n in range(10):
        percentiles = ("1,99", "2,98", "3,97")[n % 3]
        code, _, err = run("render", small, "--out", dest, "--percentiles", percentiles)
        codes.append(code)
        if code != 0:
            assert code == 2, err
            assert_one_line(err)
        assert set_problems(store) == [], f"run {n} at {rate:.0%} errors"
    proxy.clear()
    collect(store)
    assert set_problems(store) == []
    assert leftovers(store) == []
    if rate == 0.1:
        assert codes.count(0) >= 5, codes


def test_a_refused_switch_leaves_the_old_set_and_no_rollback_to_fail(scene, bucket, proxy, direct):
    """(c) The failure that used to need a rollback (the item's write refused, the copies of
    the backups refused): there is no rollback any more, so nothing can fail there. The old
    item and its set stay; the new version is unreferenced until cleanup."""
    dest = f"s3://{bucket}/p/"
    assert run("render", scene, "--out", dest, "--percentiles", "2,98")[0] == 0
    store = _store(bucket, "p", direct)
    before = store.read_bytes(_item_key(store))
    proxy.add("PUT", ITEM_PUT, "status")
    proxy.add("PUT", r"\.backup$", "status")
    code, _, err = run("render", scene, "--out", dest, "--percentiles", "1,99")
    assert code == 2, err
    assert_one_line(err)
    proxy.clear()
    assert store.read_bytes(_item_key(store)) == before
    assert set_problems(store) == []
    # The run's unreferenced version, for cleanup (looked at without counting it a leftover).
    assert [k for k in store.list() if "/" in k and k.split("/")[1] != _version(store)]
    collect(store)
    assert store.read_bytes(_item_key(store)) == before
    assert set_problems(store) == []
    assert leftovers(store) == []


def _item_key(store) -> str:
    (key,) = [k for k in store.list() if k.endswith(".json") and "/" not in k]
    return key


def test_a_run_killed_on_another_host_blocks_nothing(scene, bucket, proxy, direct, tmp_path):
    """(d) A render under another host name (its own UTS namespace) is killed mid-publication;
    a render and cleanup from this host go ahead at once."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run(["unshare", "--uts", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a UTS namespace here: {probe.stderr.decode().strip()}")
    dest = f"s3://{bucket}/p/"
    assert run("render", scene, "--out", dest, "--percentiles", "2,98")[0] == 0
    store = _store(bucket, "p", direct)
    sent = threading.Event()
    holder: dict = {}

    def hook(n, method, path):
        if method == "PUT" and "/LC08" in path and not sent.is_set() and "pid" in holder:
            os.killpg(holder["pid"], signal.SIGKILL)
            sent.set()
            time.sleep(0.2)

    proxy.on_answered = hook
    script = 'hostname landsat-other-host && exec "$0" "$@"'
    other = subprocess.Popen(
        [
            "unshare",
            "--uts",
            "sh",
            "-c",
            script,
            LANDSAT_OPS,
            "render",
            str(scene),
            "--out",
            dest,
            "--percentiles",
            "1,99",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    holder["pid"] = other.pid
    other.communicate(timeout=120)
    proxy.on_answered = None
    assert sent.is_set(), "the other host's run was never killed"
    fault()
    assert set_problems(store) == []
    started = time.monotonic()
    code, _, err = run("render", scene, "--out", dest, "--percentiles", "3,97")
    assert code == 0, err
    assert time.monotonic() - started < 60  # no lock of the dead run to wait for
    assert set_problems(store) == []
    code, out, err = run("cleanup", dest, "--retention", "0")
    assert code == 0, err
    assert json.loads(out)["versions_removed"]
    assert set_problems(store) == []
    assert leftovers(store) == []


def test_cleanup_racing_live_publishers(small, bucket, aws_env, direct):
    """(e) Cleanup (2 s retention) runs in a loop while renders publish new versions one after
    another and a reader reads the item and its assets without pause: the reader never sees a
    mixed or missing set, and cleanup does delete superseded versions meanwhile."""
    from landsat_ops.render.garbage import collect_garbage

    dest = f"s3://{bucket}/p/"
    assert run("render", small, "--out", dest)[0] == 0
    store = _store(bucket, "p", direct)
    stop = threading.Event()
    seen = {"reads": 0, "mixed": 0, "removed": 0, "errors": []}

    def reader():
        import boto3

        mine = _store(bucket, "p", boto3.client("s3", endpoint_url=aws_env))
        while not stop.is_set():
            problems = _reader_check(mine)
            seen["reads"] += 1
            if problems:
                seen["mixed"] += 1
                seen["errors"].append(problems)

    def cleaner():
        import boto3

        mine = _store(bucket, "p", boto3.client("s3", endpoint_url=aws_env))
        while not stop.is_set():
            seen["removed"] += len(collect_garbage(mine, retention=2).versions_removed)
            time.sleep(0.2)

    threads = [threading.Thread(target=reader), threading.Thread(target=cleaner)]
    for thread in threads:
        thread.start()
    try:
        for n in range(6):
            percentiles = ("1,99", "2,98", "3,97", "4,96", "5,95", "1,98")[n]
            code, _, err = run("render", small, "--out", dest, "--percentiles", percentiles)
            assert code == 0, err
            time.sleep(2.5)  # the item ages past the retention: cleanup may delete
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    fault(6)
    COUNTS["runs_checked"] += seen["reads"]
    COUNTS["mixed_visible"] += seen["mixed"]
    assert seen["mixed"] == 0, seen["errors"][:3]
    assert seen["reads"] > 50 and seen["removed"] >= 3, seen
    assert set_problems(store) == []


def _reader_check(store) -> list[str]:
    """One reader: the item, then each asset it names, against the item's checksums."""
    import hashlib

    try:
        item = json.loads(store.read_bytes(_item_key(store)))
    except Exception as exc:
        return [f"item unreadable: {exc}"]
    problems = []
    for name, asset in item["assets"].items():
        try:
            data = store.read_bytes(asset["href"].removeprefix("./"))
        except Exception as exc:
            problems.append(f"{name}: {exc}")
            continue
        if "1220" + hashlib.sha256(data).hexdigest() != asset["file:checksum"]:
            problems.append(f"{name}: checksum")
    return problems


def test_a_silent_endpoint_fails_the_run_within_two_minutes(small, bucket, proxy, monkeypatch):
    """An S3 endpoint that accepts connections and never answers, with the default timeouts
    and attempts: one line, exit 2, well within 2 minutes; nothing left that blocks the next
    run."""
    for name in ("LANDSAT_OPS_S3_MAX_ATTEMPTS", "LANDSAT_OPS_S3_READ_TIMEOUT"):
        monkeypatch.delenv(name)
    dest = f"s3://{bucket}/p/"
    proxy.add(None, r".*", "stall", seconds=600)
    started = time.monotonic()
    code, _, err = run("render", small, "--out", dest, timeout=180)
    elapsed = time.monotonic() - started
    fault()
    assert code == 2, err
    assert_one_line(err)
    assert elapsed < 120, elapsed
    proxy.clear()
    assert run("render", small, "--out", dest)[0] == 0
