"""Publication in immutable versions (landsat_ops/render/destination.py, render/garbage.py).

Unit tests of :func:`publish_version`, :func:`switch_item`, :func:`set_problems`,
:func:`item_folder` and :func:`collect_garbage`, each on a local folder and on moto S3 (a
prefix of a bucket, as the pipeline's ``published/PPP/RRR/DATE/``). The product files are a
few bytes each, with a STAC item listing their checksums as a render makes it; the real render
writes through the same functions (tests/landsat_ops/test_render.py, the container contract).
A concurrent writer is made deterministic by running it inside the switch of the other.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from landsat_ops.errors import ConflictError, StorageError
from landsat_ops.render import destination
from landsat_ops.render.destination import (
    VERSION_PROPERTY,
    current_folder,
    item_folder,
    publish_version,
    set_problems,
    switch_item,
    version_of,
)
from landsat_ops.render.garbage import collect_garbage
from landsat_ops.storage import LocalStore, S3Store, open_store, sha256_multihash

SID = "LC08_L1TP_226010_20240628_20240708_02_T1"
ITEM = f"{SID}.json"
NAMES = (f"{SID}_truecolor.tif", f"{SID}_truecolor.png", f"{SID}_ndvi.tif", f"{SID}_ndvi.png")
DAY = 24 * 3600.0


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    """The destination: a local folder, or a prefix of a moto S3 bucket."""
    if request.param == "local":
        return open_store(tmp_path / "dest")
    bucket = request.getfixturevalue("s3_bucket")
    return open_store(f"s3://{bucket}/published/226/010/2024-06-28")


class Renders:
    """Finished renders in a scratch folder: product files and their version item."""

    def __init__(self, root: Path):
        self.root = root
        self.count = 0

    def __call__(self, payload: str = "v1", names=NAMES) -> tuple[list[Path], dict]:
        self.count += 1
        folder = self.root / f"render-{self.count}"
        folder.mkdir(parents=True)
        files, assets = [], {}
        for name in names:
            data = f"{payload} {name}".encode()
            (folder / name).write_bytes(data)
            files.append(folder / name)
            assets[name.removeprefix(f"{SID}_").replace(".", "_")] = {
                "href": f"./{name}",
                "type": "image/tiff" if name.endswith(".tif") else "image/png",
                "file:checksum": sha256_multihash(hashlib.sha256(data).hexdigest()),
                "file:size": len(data),
            }
        item = {
            "type": "Feature",
            "stac_version": "1.1.0",
            "id": SID,
            "properties": {"datetime": "2024-06-28T13:21:19Z", "landsat_ops:payload": payload},
            "assets": assets,
            "links": [],
        }
        return files, item


@pytest.fixture
def render(tmp_path):
    return Renders(tmp_path / "work")


def objects(store) -> dict[str, tuple]:
    """Every object of the destination (hidden ones included) and what tells a rewrite."""
    if isinstance(store, S3Store):
        return {store._rel(o["Key"]): (o["ETag"], o["LastModified"]) for o in store.iter_objects()}
    root = Path(store.root)
    return {
        p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
        for p in root.rglob("*")
        if p.is_file()
    }


def read_item(store, key: str = ITEM) -> dict:
    return json.loads(store.read_bytes(key))


def in_folder(keys, folder: str) -> dict:
    return {k: v for k, v in keys.items() if k.startswith(f"{folder}/")}


def run_inside_the_switch(monkeypatch, other):
    """Run ``other()`` once, just before the next switch of the scene's item: another writer
    publishing after this run read the item and wrote its version, before it switches."""
    real = destination.switch_item
    fired = []

    def switch(*args, **kwargs):
        if not fired:
            fired.append(True)
            other()
        return real(*args, **kwargs)

    monkeypatch.setattr(destination, "switch_item", switch)
    return fired


# -- item_folder, version_of -------------------------------------------------------------------
def _item(*hrefs: str) -> dict:
    return {"assets": {f"a{i}": {"href": href} for i, href in enumerate(hrefs)}}


def test_item_folder():
    version = "0123456789abcdef"
    assert item_folder(_item(f"./{SID}/{version}/a.tif", f"./{SID}/{version}/b.png")) == (
        f"{SID}/{version}"
    )
    assert item_folder(_item(f"./{SID}/{version}-2/a.tif"), SID) == f"{SID}/{version}-2"
    for item in (
        _item(f"./{SID}/{version}/a.tif", f"./{SID}/fedcba9876543210/b.png"),  # two versions
        _item(f"./{SID}/{version}/a.tif", "./b.png"),  # one asset outside
        _item("./a.tif"),  # the flat layout before versions
        _item(f"./{SID}/0123456789ABCDEF/a.tif"),  # not a version name
        _item(f"./{SID}/{version}-0/a.tif"),
        _item(f"./{SID}/{version}/sub/a.tif"),
        _item(f"s3://bucket/{SID}/{version}/a.tif"),  # absolute
        _item(f"{SID}/{version}/a.tif"),
        _item(f"./../{version}/a.tif"),
        _item(),  # no assets
        {"assets": {"a": "not an asset"}},
        [],
    ):
        assert item_folder(item) is None, item
    assert item_folder(_item(f"./OTHER/{version}/a.tif"), SID) is None  # another scene's


def test_version_of_is_the_content_of_the_version_item(render):
    _, item = render("v1")
    _, same = render("v1")
    _, other = render("v2")
    reordered = json.loads(json.dumps(item, sort_keys=True))
    assert version_of(item) == version_of(same) == version_of(reordered)
    assert len(version_of(item)) == 16 and int(version_of(item), 16) >= 0
    assert version_of(other) != version_of(item)
    changed = json.loads(json.dumps(item))
    changed["properties"]["landsat_ops:stretch"] = {"method": "percentile"}  # other options
    assert version_of(changed) != version_of(item)


# -- publish_version -----------------------------------------------------------------------------
def test_a_publication_writes_its_version_then_switches_the_item(store, render):
    files, item = render("v1")
    publication, uris = publish_version(store, files, item, scene_id=SID)
    folder = publication.folder
    assert folder == f"{SID}/{version_of(item)}"
    assert sorted(store.list()) == sorted(
        [ITEM, f"{folder}/{ITEM}"] + [f"{folder}/{name}" for name in NAMES]
    )
    assert set(publication.written) == set(store.list()) and publication.unchanged == ()
    scene_item = read_item(store)
    assert {a["href"] for a in scene_item["assets"].values()} == {
        f"./{folder}/{name}" for name in NAMES
    }
    assert scene_item["properties"][VERSION_PROPERTY] == folder.split("/")[1]
    assert item_folder(scene_item, SID) == folder
    # The version's own item is the render's, hrefs relative to its folder.
    assert read_item(store, f"{folder}/{ITEM}") == item
    for key, asset in item["assets"].items():
        assert scene_item["assets"][key]["file:checksum"] == asset["file:checksum"]
        name = asset["href"].removeprefix("./")
        assert store.read_bytes(f"{folder}/{name}") == (files[0].parent / name).read_bytes()
    assert set_problems(store, ITEM) == []
    assert uris == {
        **{name: store.uri(f"{folder}/{name}") for name in NAMES},
        ITEM: store.uri(ITEM),
    }
    if isinstance(store, LocalStore):
        assert current_folder(store.root) == Path(store.root) / folder
        assert current_folder(store.root, SID) == Path(store.root) / folder
        assert all(path.is_file() for path in files)  # copied, not moved


def test_the_same_render_twice_writes_nothing(store, render):
    files, item = render("v1")
    first, _ = publish_version(store, files, item, scene_id=SID)
    before = objects(store)
    again_files, again_item = render("v1")  # rendered again: the same bytes
    token = store.version(ITEM)
    second, uris = publish_version(store, again_files, again_item, scene_id=SID, expected=token)
    assert second.folder == first.folder
    assert second.written == () and set(second.unchanged) == {
        *(f"{first.folder}/{name}" for name in NAMES),
        ITEM,
    }
    assert uris[NAMES[0]] == store.uri(f"{first.folder}/{NAMES[0]}")
    third, _ = publish_version(store, again_files, again_item, scene_id=SID)
    assert third.written == ()
    assert objects(store) == before  # not one object written, not even rewritten


def test_a_different_render_is_a_new_version_and_leaves_the_old_one_intact(store, render):
    files, item = render("v1")
    first, _ = publish_version(store, files, item, scene_id=SID)
    read_before = read_item(store)  # a reader read the item before the new render switched it
    old_objects = in_folder(objects(store), first.folder)
    files2, item2 = render("v2")
    second, _ = publish_version(store, files2, item2, scene_id=SID, expected=store.version(ITEM))
    assert second.folder != first.folder and second.folder == f"{SID}/{version_of(item2)}"
    assert item_folder(read_item(store), SID) == second.folder
    assert set_problems(store, ITEM) == []
    assert store.read_bytes(f"{second.folder}/{NAMES[0]}").startswith(b"v2 ")
    # Nothing of the old version was touched: that reader still gets its complete set.
    assert in_folder(objects(store), first.folder) == old_objects
    assert set_problems(store, ITEM, read_before) == []
    assert store.read_bytes(f"{first.folder}/{NAMES[0]}").startswith(b"v1 ")
    if isinstance(store, LocalStore):
        assert current_folder(store.root, SID) == Path(store.root) / second.folder

    # Back to the first render's output: the same digest, under the next free name (the old
    # folder, unreferenced, may be under cleanup: it is never revived nor written into).
    files3, item3 = render("v1")
    third, _ = publish_version(store, files3, item3, scene_id=SID)
    assert version_of(item3) == version_of(item) and third.folder == f"{first.folder}-1"
    assert in_folder(objects(store), first.folder) == old_objects
    assert set_problems(store, ITEM) == []


def test_a_stale_token_is_a_conflict_before_anything_is_written(store, render):
    publish_version(store, *render("v1"), scene_id=SID)
    token = store.version(ITEM)  # read by a render when it began
    publish_version(store, *render("v2"), scene_id=SID)  # another writer, meanwhile
    before = objects(store)
    files, item = render("v3")
    with pytest.raises(ConflictError, match="changed by another writer"):
        publish_version(store, files, item, scene_id=SID, expected=token)
    assert objects(store) == before
    with pytest.raises(ConflictError):  # expected absent, but there is an item
        publish_version(store, files, item, scene_id=SID, expected=None)
    assert objects(store) == before


def test_a_conflicting_writer_raises_and_leaves_only_an_unreferenced_version(
    store, render, monkeypatch
):
    first, _ = publish_version(store, *render("v1"), scene_id=SID)
    token = store.version(ITEM)
    other_files, other_item = render("other")
    winner = {}

    def other_writer():
        winner["publication"], _ = publish_version(store, other_files, other_item, scene_id=SID)

    fired = run_inside_the_switch(monkeypatch, other_writer)
    files, item = render("mine")
    with pytest.raises(ConflictError, match="left unreferenced for cleanup") as raised:
        publish_version(store, files, item, scene_id=SID, expected=token)
    assert fired
    mine = f"{SID}/{version_of(item)}"
    assert mine in str(raised.value)
    theirs = winner["publication"].folder
    # The other writer's switch stands, with its complete set; this run's version is there,
    # complete, but nothing refers to it; the first version is untouched.
    assert item_folder(read_item(store), SID) == theirs
    assert set_problems(store, ITEM) == []
    assert read_item(store, f"{mine}/{ITEM}") == item
    assert {k.rsplit("/", 1)[1] for k in store.list(f"{mine}/")} == {*NAMES, ITEM}
    assert {k.rsplit("/", 1)[0] for k in store.list() if k != ITEM} == {
        first.folder,
        mine,
        theirs,
    }
    # After the retention, cleanup deletes what is not referenced, and only that.
    report = collect_garbage(store, now=time.time() + 2 * DAY)
    assert sorted(report.versions_removed) == sorted([first.folder, mine])
    assert sorted(store.list()) == sorted(
        [ITEM, f"{theirs}/{ITEM}"] + [f"{theirs}/{name}" for name in NAMES]
    )
    assert set_problems(store, ITEM) == []


def test_an_identical_concurrent_render_is_not_a_conflict(store, render, monkeypatch):
    files, item = render("v1")
    twin = {}

    def identical_render():
        twin["publication"], _ = publish_version(store, *render("v1"), scene_id=SID)

    run_inside_the_switch(monkeypatch, identical_render)
    publication, uris = publish_version(store, files, item, scene_id=SID, expected=None)
    named = item_folder(read_item(store), SID)
    assert named == twin["publication"].folder
    assert named.split("/")[1].startswith(version_of(item))  # the same version's digest
    assert set_problems(store, ITEM) == []
    # What this run reports is the set the item names, not a version left for cleanup.
    assert publication.folder == named
    assert uris[NAMES[0]] == store.uri(f"{named}/{NAMES[0]}")


def test_a_version_folder_left_by_a_killed_run_is_never_written_into(store, render):
    files, item = render("v1")
    digest = version_of(item)
    # A killed run wrote part of this very version, and nothing refers to it.
    store.write_bytes(f"{SID}/{digest}/{NAMES[0]}", files[0].read_bytes())
    left = objects(store)
    publication, _ = publish_version(store, files, item, scene_id=SID)
    assert publication.folder == f"{SID}/{digest}-1"
    assert in_folder(objects(store), f"{SID}/{digest}") == left
    assert set_problems(store, ITEM) == []
    # The next identical render recognises its version under that name: nothing written.
    before = objects(store)
    assert publish_version(store, *render("v1"), scene_id=SID)[0].written == ()
    assert objects(store) == before


def test_a_referenced_version_missing_an_object_is_repaired(store, render):
    files, item = render("v1")
    first, _ = publish_version(store, files, item, scene_id=SID)
    store.delete(f"{first.folder}/{NAMES[1]}")
    assert set_problems(store, ITEM) == [f"{NAMES[1]} is missing"]
    again, _ = publish_version(store, *render("v1"), scene_id=SID)
    assert again.folder == first.folder
    assert f"{first.folder}/{NAMES[1]}" in again.written
    assert set_problems(store, ITEM) == []


def test_moved_files_are_dated_by_their_publication(tmp_path, render):
    """A local render moves its files in: they get the publication's time (so cleanup never
    takes a version in progress for an old one)."""
    store = open_store(tmp_path / "dest")
    files, item = render("v1")
    old = time.time() - 3 * DAY
    for path in files:
        os.utime(path, (old, old))
    publication, _ = publish_version(store, files, item, scene_id=SID, move=True)
    assert not any(path.exists() for path in files)
    for name in NAMES:
        path = Path(store.root) / publication.folder / name
        assert path.stat().st_mtime > time.time() - 600
    assert set_problems(store, ITEM) == []
    assert not [p for p in Path(store.root).rglob("*.partial")]


# -- switch_item ---------------------------------------------------------------------------------
def test_switch_item_is_one_conditional_write(store, render):
    first, _ = publish_version(store, *render("v1"), scene_id=SID)
    token = store.version(ITEM)
    document = read_item(store)
    before = objects(store)
    assert switch_item(store, ITEM, document, token) is False  # the same bytes: not written
    assert objects(store) == before
    linked = {**document, "links": [{"rel": "collection", "href": "../collection.json"}]}
    assert switch_item(store, ITEM, linked, token) is True
    assert read_item(store) == linked
    assert switch_item(store, "NEW.json", document, None) is True  # absent, as expected

    # Another writer switched to another version since the token was read: a conflict.
    stale = store.version(ITEM)
    second, _ = publish_version(store, *render("v2"), scene_id=SID)
    switched = read_item(store)
    with pytest.raises(ConflictError, match=f"version {first.folder} is left unreferenced"):
        switch_item(store, ITEM, linked, stale)
    assert read_item(store) == switched
    with pytest.raises(ConflictError):  # expected absent, but it exists
        switch_item(store, ITEM, linked, None)
    assert read_item(store) == switched
    # ... to the same version (an identical render, or its links added): not a conflict,
    # nothing written, the item as the other writer left it.
    same = {**switched, "links": [{"rel": "self", "href": "x"}]}
    assert switch_item(store, ITEM, same, stale) is False
    assert read_item(store) == switched and item_folder(switched, SID) == second.folder


def test_switch_item_whose_answer_is_lost_reads_it_back(store, render, monkeypatch):
    publish_version(store, *render("v1"), scene_id=SID)
    token = store.version(ITEM)
    document = {**read_item(store), "collection": "c"}
    real = type(store).write_if

    def written_then_lost(self, *args, **kwargs):
        real(self, *args, **kwargs)
        raise StorageError("connection reset after the write")

    monkeypatch.setattr(type(store), "write_if", written_then_lost)
    assert switch_item(store, ITEM, document, token) is True
    assert read_item(store) == document

    def failed(self, *args, **kwargs):
        raise StorageError("the write failed")

    monkeypatch.setattr(type(store), "write_if", failed)
    with pytest.raises(StorageError, match="the write failed"):
        switch_item(store, ITEM, {**document, "collection": "d"}, store.version(ITEM))
    assert read_item(store) == document


# -- set_problems --------------------------------------------------------------------------------
def _rewrite(store, change) -> None:
    item = read_item(store)
    change(item)
    store.write_bytes(ITEM, json.dumps(item).encode())


def test_set_problems_names_what_is_wrong(store, render):
    publication, _ = publish_version(store, *render("v1"), scene_id=SID)
    folder = publication.folder
    assert set_problems(store, ITEM) == []
    store.write_bytes(f"{folder}/{NAMES[0]}", b"other bytes")
    store.delete(f"{folder}/{NAMES[2]}")
    assert set(set_problems(store, ITEM)) == {
        f"{NAMES[0]} does not match its checksum",
        f"{NAMES[2]} is missing",
    }
    _rewrite(store, lambda item: item["assets"]["truecolor_png"].pop("file:checksum"))
    assert "asset truecolor_png has no file:checksum" in set_problems(store, ITEM)
    _rewrite(store, lambda item: item["assets"]["ndvi_png"].update(href=f"./{NAMES[3]}"))
    assert set_problems(store, ITEM) == [
        f"{store.uri(ITEM)}: its assets are not in one version folder"
    ]
    for elsewhere in (f"./OTHER/{folder.split('/')[1]}/x.tif", f"./../{folder}/{NAMES[3]}"):
        # In a version folder, but not of this item's scene (or outside it): not its set.
        _rewrite(
            store, lambda item, h=elsewhere: [a.update(href=h) for a in item["assets"].values()]
        )
        assert set_problems(store, ITEM) == [
            f"{store.uri(ITEM)}: its assets are not in one version folder"
        ]
    store.write_bytes(ITEM, b"{not json")
    assert "is not valid JSON" in set_problems(store, ITEM)[0]
    for content in (b"[]", b'{"assets": {}}'):
        store.write_bytes(ITEM, content)
        assert set_problems(store, ITEM) == [f"{store.uri(ITEM)} lists no assets"]


def test_set_problems_of_an_object_without_a_recorded_checksum_uses_its_size(s3_bucket, render):
    """An object copied by another tool (no sha256 metadata nor S3 checksum): its size."""
    import boto3

    store = open_store(f"s3://{s3_bucket}/published/226/010/2024-06-28")
    publication, _ = publish_version(store, *render("v1"), scene_id=SID)
    key = f"published/226/010/2024-06-28/{publication.folder}/{NAMES[0]}"
    client = boto3.client("s3")
    client.put_object(Bucket=s3_bucket, Key=key, Body=f"v1 {NAMES[0]}".encode())
    assert store.info(f"{publication.folder}/{NAMES[0]}").sha256 is None
    assert set_problems(store, ITEM) == []
    client.put_object(Bucket=s3_bucket, Key=key, Body=b"short")
    assert set_problems(store, ITEM) == [f"{NAMES[0]} does not match its file:size"]


# -- collect_garbage -----------------------------------------------------------------------------
def test_gc_keeps_the_referenced_version_and_all_while_the_item_is_young(store, render):
    first, _ = publish_version(store, *render("v1"), scene_id=SID)
    second, _ = publish_version(store, *render("v2"), scene_id=SID)
    before = objects(store)
    now = time.time()

    report = collect_garbage(store, now=now + DAY / 2)  # switched half a day ago
    assert report.removed == [] and report.versions_removed == [] and report.count == 0
    assert report.versions_kept == [f"{first.folder}: the item was switched within the retention"]
    assert objects(store) == before

    report = collect_garbage(store, now=now + 2 * DAY)
    assert report.versions_removed == [first.folder]
    assert sorted(report.removed) == sorted(f"{first.folder}/{name}" for name in (*NAMES, ITEM))
    after = objects(store)
    assert after == {k: v for k, v in before.items() if not k.startswith(f"{first.folder}/")}
    assert item_folder(read_item(store), SID) == second.folder
    assert set_problems(store, ITEM) == []
    if isinstance(store, LocalStore):
        assert not (Path(store.root) / first.folder).exists()
        assert current_folder(store.root) == Path(store.root) / second.folder

    report = collect_garbage(store, now=now + 3 * DAY)  # again: nothing more to do
    assert report.count == 0 and objects(store) == after


def test_gc_retention_from_the_environment_and_the_argument(store, render, monkeypatch):
    first, _ = publish_version(store, *render("v1"), scene_id=SID)
    publish_version(store, *render("v2"), scene_id=SID)
    now = time.time() + 3600
    monkeypatch.setenv("LANDSAT_OPS_RETENTION_SECONDS", str(2 * 3600))
    assert collect_garbage(store, now=now).versions_removed == []
    monkeypatch.setenv("LANDSAT_OPS_RETENTION_SECONDS", "nope")
    with pytest.raises(StorageError, match="LANDSAT_OPS_RETENTION_SECONDS"):
        collect_garbage(store, now=now)
    assert collect_garbage(store, retention=1800, now=now).versions_removed == [first.folder]


def test_gc_keeps_a_version_with_a_recent_object(store, render):
    """A publication in progress (its version written into now) is never touched, however old
    the item's last switch."""
    first, _ = publish_version(store, *render("v1"), scene_id=SID)
    files3, item3 = render("v3")
    digest = version_of(item3)
    time.sleep(4)  # older than the retention (S3 dates objects to the second)
    store.write_bytes(f"{SID}/{digest}/{NAMES[0]}", files3[0].read_bytes())
    before = objects(store)
    report = collect_garbage(store, retention=3, now=time.time())
    assert report.versions_kept == [f"{SID}/{digest}: written within the retention"]
    assert report.count == 0 and objects(store) == before
    report = collect_garbage(store, retention=3, now=time.time() + 10)
    assert report.versions_removed == [f"{SID}/{digest}"]
    assert item_folder(read_item(store), SID) == first.folder
    assert set_problems(store, ITEM) == []


@pytest.mark.parametrize("content", [b"{not json", b"[]", b'{"assets": {}}'])
def test_gc_keeps_all_versions_when_the_item_is_unreadable(store, render, content):
    first, _ = publish_version(store, *render("v1"), scene_id=SID)
    second, _ = publish_version(store, *render("v2"), scene_id=SID)
    store.write_bytes(ITEM, content)
    before = objects(store)
    report = collect_garbage(store, now=time.time() + 30 * DAY)
    assert report.count == 0 and report.versions_removed == []
    assert sorted(report.versions_kept)[0].startswith(f"{SID}/")
    assert len(report.versions_kept) == 2
    why = "item unreadable" if content == b"{not json" else "the item names no version"
    assert all(line.endswith(why) for line in report.versions_kept), report.versions_kept
    assert objects(store) == before


def test_gc_of_versions_of_several_scenes_and_date_folders(tmp_path, render):
    """A bucket-wide cleanup: each scene's versions judged against its own item."""
    bucket = open_store(tmp_path / "bucket")
    days = ["published/226/010/2024-06-28", "published/226/010/2024-07-14"]
    folders = {}
    for day in days:
        dest = open_store(Path(bucket.root) / day)
        old, _ = publish_version(dest, *render("v1"), scene_id=SID)
        new, _ = publish_version(dest, *render(f"v2 {day}"), scene_id=SID)
        folders[day] = (old.folder, new.folder)
    report = collect_garbage(bucket, now=time.time() + 2 * DAY)
    assert sorted(report.versions_removed) == sorted(f"{day}/{folders[day][0]}" for day in days)
    for day in days:
        dest = open_store(Path(bucket.root) / day)
        assert item_folder(read_item(dest), SID) == folders[day][1]
        assert set_problems(dest, ITEM) == []


def test_gc_of_a_scene_never_switched_and_old_leftovers(tmp_path, render):
    """Versions of a scene whose item was never written (every run killed before its switch)
    and the temporary files of killed writes go once older than the retention."""
    store = open_store(tmp_path / "dest")
    files, item = render("v1")
    digest = version_of(item)
    store.write_bytes(f"{SID}/{digest}/{NAMES[0]}", b"part")
    partial = Path(store.root) / SID / f".{NAMES[1]}.1234.partial"
    partial.write_bytes(b"half")
    assert collect_garbage(store, now=time.time()).count == 0
    report = collect_garbage(store, now=time.time() + 2 * DAY)
    assert report.versions_removed == [f"{SID}/{digest}"]
    assert f"{SID}/.{NAMES[1]}.1234.partial" in report.removed
    assert not partial.exists() and store.list() == []


def test_gc_keeps_a_version_with_an_upload_in_progress(s3_bucket, render, monkeypatch):
    """An incomplete multipart upload into a version: a publication in progress, kept until
    the upload is older than the retention, then aborted."""
    import boto3

    store = open_store(f"s3://{s3_bucket}/published/226/010/2024-06-28")
    listed = store.incomplete_uploads
    started = {}

    def uploads():  # moto dates every upload 2010-11-10: the time it was started here instead
        return [(key, upload, started.get(upload, when)) for key, upload, when in listed()]

    monkeypatch.setattr(store, "incomplete_uploads", uploads)
    first, _ = publish_version(store, *render("v1"), scene_id=SID)
    second, _ = publish_version(store, *render("v2"), scene_id=SID)
    # A third render in progress: a small product written, a large one being uploaded.
    _, item3 = render("v3")
    third = f"{SID}/{version_of(item3)}"
    store.write_bytes(f"{third}/{NAMES[1]}", b"small product")
    time.sleep(4)  # older than the retention (S3 dates objects to the second)
    upload = boto3.client("s3").create_multipart_upload(
        Bucket=s3_bucket, Key=f"{store.prefix}/{third}/{NAMES[0]}"
    )
    started[upload["UploadId"]] = time.time()
    report = collect_garbage(store, retention=3, now=time.time())
    assert report.versions_removed == [first.folder] and report.aborted_uploads == []
    assert report.versions_kept == [f"{third}: written within the retention"]
    assert store.exists(f"{third}/{NAMES[1]}")
    report = collect_garbage(store, retention=3, now=time.time() + 10)
    assert report.aborted_uploads == [f"{third}/{NAMES[0]}"]
    assert report.versions_removed == [third]
    assert store.incomplete_uploads() == []
    assert item_folder(read_item(store), SID) == second.folder
    assert set_problems(store, ITEM) == []


def test_objects_are_stored_with_their_media_type(s3_bucket, render):
    """A browser gets what S3 stores: videos, WebP and the items keep their own Content-Type."""
    import boto3

    store = open_store(f"s3://{s3_bucket}/published/timelapse/226/010")
    names = (f"{SID}_truecolor.mp4", f"{SID}_truecolor.webp", f"{SID}_truecolor.png")
    files, item = render("v1", names=names)
    publication, _ = publish_version(store, files, item, scene_id=SID)
    s3 = boto3.client("s3")
    folder = publication.folder
    types = {
        key: s3.head_object(Bucket=s3_bucket, Key=f"{store.prefix}/{key}")["ContentType"]
        for key in publication.written
    }
    assert types == {
        f"{folder}/{SID}_truecolor.mp4": "video/mp4",
        f"{folder}/{SID}_truecolor.webp": "image/webp",
        f"{folder}/{SID}_truecolor.png": "image/png",
        f"{folder}/{SID}.json": "application/geo+json",  # the version's item
        f"{SID}.json": "application/geo+json",  # the switched item
    }
