"""Local and S3 stores (S3 = a moto server on 127.0.0.1), and rendering s3:// -> s3://."""

import hashlib
import json

import boto3
import pytest

from landsat_ops.errors import StorageError
from landsat_ops.render import render_scene
from landsat_ops.storage import LocalStore, S3Store, open_store, split_s3

CROP = "rasters/LC80200392015216LGN00_crop30m"
SID = "LC80200392015216LGN00"


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return open_store(tmp_path / "bucket")
    bucket = request.getfixturevalue("s3_bucket")
    return open_store(f"s3://{bucket}/root")


def test_put_skips_identical_and_replaces_changed(store, tmp_path):
    src = tmp_path / "a.bin"
    src.write_bytes(b"hello")
    info, uploaded = store.put_file(src, "x/a.bin")
    assert uploaded and info.sha256 == hashlib.sha256(b"hello").hexdigest()
    _, uploaded = store.put_file(src, "x/a.bin")
    assert not uploaded
    src.write_bytes(b"changed")
    _, uploaded = store.put_file(src, "x/a.bin")
    assert uploaded
    assert store.read_bytes("x/a.bin") == b"changed"
    assert store.list() == ["x/a.bin"]
    assert store.list("x/") == ["x/a.bin"]


def test_copy_get_delete(store, tmp_path):
    store.write_bytes("a/one.txt", b"1")
    info = store.copy("a/one.txt", "b/two.txt")
    assert info.sha256 == hashlib.sha256(b"1").hexdigest()
    assert store.info("b/two.txt").sha256 == info.sha256
    path = store.get_file("b/two.txt", tmp_path / "dl" / "two.txt")
    assert path.read_bytes() == b"1"
    store.delete("a/one.txt")
    assert not store.exists("a/one.txt")
    assert store.list() == ["b/two.txt"]


def test_missing_objects(store, tmp_path):
    assert store.info("nope") is None
    with pytest.raises(StorageError, match="nope"):
        store.get_file("nope", tmp_path / "x")


def test_local_store_rejects_escaping_keys(tmp_path):
    with pytest.raises(StorageError, match="escapes"):
        LocalStore(tmp_path).write_bytes("../outside", b"x")


def test_split_s3():
    assert split_s3("s3://b/k/x") == ("b", "k/x")
    assert split_s3("s3://b") == ("b", "")
    with pytest.raises(StorageError):
        split_s3("s3:///key")


def test_unreachable_endpoint_is_a_storage_error(tmp_path):
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    store = S3Store("s3://bucket/p", client)
    with pytest.raises(StorageError, match="s3://bucket/p/k"):
        store.write_bytes("k", b"x")


def test_render_s3_to_s3(landsat_data, s3_bucket):
    s3 = boto3.client("s3")
    for path in (landsat_data / CROP).iterdir():
        s3.upload_file(str(path), s3_bucket, f"landing/{SID}/{path.name}")
    result = render_scene(
        f"s3://{s3_bucket}/landing/{SID}/",
        f"s3://{s3_bucket}/published/{SID}/",
        products="truecolor,ndvi",
    )
    assert result.item_uri == f"s3://{s3_bucket}/published/{SID}/{SID}.json"
    item = json.loads(
        s3.get_object(Bucket=s3_bucket, Key=f"published/{SID}/{SID}.json")["Body"].read()
    )
    version = item["properties"]["landsat_ops:product_version"]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="published/")["Contents"]}
    folder = f"published/{SID}/{SID}/{version}"
    assert keys == {f"published/{SID}/{SID}.json", f"{folder}/{SID}.json"} | {
        f"{folder}/{SID}{suffix}"
        for suffix in (
            "_truecolor.tif",
            "_truecolor.png",
            "_thumbnail.png",
            "_ndvi.tif",
            "_ndvi_visual.tif",
            "_ndvi.png",
        )
    }
    for asset in item["assets"].values():
        assert asset["href"].startswith(f"./{SID}/{version}/")
        key = f"published/{SID}/{asset['href'][2:]}"
        body = s3.get_object(Bucket=s3_bucket, Key=key)["Body"]
        assert asset["file:checksum"] == "1220" + hashlib.sha256(body.read()).hexdigest()


def test_render_from_empty_prefix(s3_bucket, tmp_path):
    from landsat_ops.errors import SceneError

    with pytest.raises(SceneError, match="no objects"):
        render_scene(f"s3://{s3_bucket}/landing/nothing/", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_s3_copy_keeps_content_type(s3_bucket, tmp_path):
    store = open_store(f"s3://{s3_bucket}/p")
    src = tmp_path / "a.png"
    src.write_bytes(b"png")
    store.put_file(src, "a.png", content_type="image/png")
    store.copy("a.png", "b/a.png")
    info = store.info("b/a.png")
    assert info.content_type == "image/png" and info.sha256 == store.info("a.png").sha256


def test_sha256_multihash_round_trip():
    from landsat_ops.storage import (
        SHA256_MULTIHASH_PREFIX,
        sha256_from_multihash,
        sha256_multihash,
    )

    digest = hashlib.sha256(b"landsat").hexdigest()
    assert sha256_multihash(digest) == "1220" + digest
    assert sha256_from_multihash(sha256_multihash(digest)) == digest
    assert SHA256_MULTIHASH_PREFIX == "1220"
    assert sha256_from_multihash("1114" + digest) is None  # sha1 or anything else
    assert sha256_from_multihash(None) is None


def test_local_info_hashes_a_settled_file_once_and_sees_every_change(tmp_path, monkeypatch):
    """LocalStore.info remembers a digest under the file's identity: an unchanged file is not
    hashed again, a fresh one ("racily clean") is, and any change (same size, in place, right
    after the write; a new file by rename) gives the new digest."""
    import os

    from landsat_ops.storage import local

    store = LocalStore(tmp_path)
    store.write_bytes("a.bin", b"x" * 1000)
    path = tmp_path / "a.bin"
    # An edit in place, same size, within the file system's time tick of the write.
    with open(path, "r+b") as handle:
        handle.write(b"y")
    assert store.info("a.bin").sha256 == hashlib.sha256(b"y" + b"x" * 999).hexdigest()

    old = path.stat().st_mtime_ns - 5_000_000_000
    os.utime(path, ns=(old, old))  # settled: modified seconds before it is hashed
    calls = []
    real = local.sha256_file
    monkeypatch.setattr(local, "sha256_file", lambda p: calls.append(p) or real(p))
    first = store.info("a.bin")
    assert store.info("a.bin") == first and store.exists("a.bin")
    assert len(calls) == 1  # hashed once, then remembered

    with open(path, "r+b") as handle:  # same size, new time: hashed again
        handle.write(b"z")
    assert store.info("a.bin").sha256 == hashlib.sha256(b"z" + b"x" * 999).hexdigest()
    replacement = tmp_path / "b.bin"
    replacement.write_bytes(b"w" * 1000)
    os.utime(replacement, ns=(old, old))  # same size and time, another inode
    os.replace(replacement, path)
    assert store.info("a.bin").sha256 == hashlib.sha256(b"w" * 1000).hexdigest()
    assert not store.exists("b.bin") and store.info("b.bin") is None
