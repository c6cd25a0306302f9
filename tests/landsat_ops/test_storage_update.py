"""Store.update: read-modify-write that concurrent writers cannot make lose a change.

Many threads each add their own entry to one JSON document at once, on a local folder (file
lock) and on a real S3 API (the moto server: conditional PUTs with If-Match/If-None-Match);
every entry must be there at the end. Without the atomic update (a plain read then write)
the same race loses entries, which the last test shows.
"""

from __future__ import annotations

import json
import threading

import pytest

from landsat_ops.storage import open_store

WRITERS = 12


def add(name: str):
    def change(current: bytes | None) -> bytes:
        names = json.loads(current) if current else []
        return json.dumps(sorted({*names, name})).encode()

    return change


def race(store, key: str, update) -> list[str]:
    barrier = threading.Barrier(WRITERS)
    errors = []

    def writer(index: int) -> None:
        barrier.wait()
        try:
            update(store, key, f"w{index:02d}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return json.loads(store.read_bytes(key))


def atomic(store, key, name):
    store.update(key, add(name), "application/json")


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return open_store(tmp_path / "bucket")
    import boto3

    bucket = request.getfixturevalue("s3_bucket")
    return open_store(f"s3://{bucket}/prefix", boto3.client("s3"))


def test_concurrent_updates_keep_every_change(store):
    names = race(store, "index/catalog.json", atomic)
    assert names == [f"w{i:02d}" for i in range(WRITERS)]
    assert store.list("index/") == ["index/catalog.json"]  # no lock or partial file listed


def test_an_unchanged_document_is_not_written(store):
    assert store.update("k.json", lambda current: b"[1]") is True
    before = store.info("k.json")
    assert store.update("k.json", lambda current: current) is False
    assert store.update("k.json", lambda current: None) is False
    assert store.info("k.json") == before


def test_a_plain_read_then_write_loses_changes(tmp_path):
    """The race the update exists for (local folder, deterministic interleaving)."""
    store = open_store(tmp_path / "bucket")
    store.write_bytes("k.json", b"[]")
    first = store.read_bytes("k.json")
    second = store.read_bytes("k.json")
    store.write_bytes("k.json", add("a")(first))
    store.write_bytes("k.json", add("b")(second))
    assert json.loads(store.read_bytes("k.json")) == ["b"]  # "a" was lost
    store.update("k.json", add("a"))
    assert json.loads(store.read_bytes("k.json")) == ["a", "b"]
