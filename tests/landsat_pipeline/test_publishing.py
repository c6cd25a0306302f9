"""Publishing (landsat_pipeline/publishing/) on a local bucket (landing: test_landing.py).

Product sets are made by hand (a few bytes per "product" and a STAC item listing their
checksums) and published as landsat_ops.render publishes them: a version folder
``published/PPP/RRR/DATE/<ID>/<version>/`` and the scene's item ``<ID>.json`` switched to it
(landsat_demo.product_sets), so no rendering is needed here; the DAG tests in tests/dags run
the real render against S3, tests/landsat_ops/test_destination.py the versions themselves.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from landsat_demo.product_sets import publish_product_set
from landsat_ops.products import PRODUCTS as PRODUCT_SET
from landsat_ops.products import product_files
from landsat_ops.render.destination import current_folder
from landsat_ops.storage import open_store
from landsat_pipeline.errors import PublishError
from landsat_pipeline.publishing import product_set_problem, publish_scene, published_status
from tests.support.scenes import scene

PRODUCTS = PRODUCT_SET  # every product: what a render writes by default


PREFIX = "published/226/010/2024-06-28"


def render(store, scene: dict, *, payload: str = "v1", **options) -> dict:
    """Publish a product set in a new version and switch the scene's item, as a render does."""
    return publish_product_set(store, scene["scene_id"], scene["date"], payload=payload, **options)


def version_of(store, scene: dict) -> str:
    """``<ID>/<version>``: the folder the scene's item names, relative to its date folder."""
    prefix = f"published/{scene['path']:03d}/{scene['row']:03d}/{scene['date']}"
    folder = current_folder(Path(store.root) / prefix, scene["scene_id"])
    return folder.relative_to(Path(store.root) / prefix).as_posix()


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    return {
        p.relative_to(root).as_posix(): (
            p.stat().st_mtime_ns,
            hashlib.sha256(p.read_bytes()).hexdigest(),
        )
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.fixture
def store(tmp_path):
    return open_store(tmp_path / "bucket")


def test_publish_links_the_item_and_builds_catalog_and_gallery(store):
    first = scene()
    render(store, first)
    version = version_of(store, first)
    sid = first["scene_id"]
    assert version.startswith(f"{sid}/") and len(version.split("/")[1]) == 16
    rendered = json.loads(store.read_bytes(f"{PREFIX}/{sid}.json"))
    result = publish_scene(store, first, title="Scoresby Sund")

    # The products stay where the render wrote them: one version folder beside the item.
    assert sorted(store.list(PREFIX)) == sorted(
        [f"{PREFIX}/{sid}.json"]
        + [f"{PREFIX}/{version}/{name}" for name in product_files(sid, PRODUCTS)]
    )
    assert store.list("staging/") == []
    assert result["item_uri"] == store.uri(f"{PREFIX}/{sid}.json")
    assert result["version"] == version
    assert result["copied"] == [f"{sid}.json"]  # the item, switched to add its links
    assert sorted(result["unchanged"]) == sorted(product_files(sid, PRODUCTS)[:-1])

    item = json.loads(store.read_bytes(f"{PREFIX}/{sid}.json"))
    assert item["collection"] == "landsat-p226-r010"
    assert {link["rel"]: link["href"] for link in item["links"]} == {
        "root": "../../../../catalog.json",
        "parent": "../collection.json",
        "collection": "../collection.json",
    }
    assert item["assets"] == rendered["assets"]  # the same version: only the links changed
    assert item["properties"]["landsat_ops:product_version"] == version.split("/")[1]
    assert {a["href"] for a in item["assets"].values()} == {
        f"./{version}/{name}" for name in product_files(sid, PRODUCTS)[:-1]
    }
    assert product_set_problem(store, f"{PREFIX}/{sid}.json", PRODUCTS) is None
    # The version's own item is immutable: hrefs relative to its folder, no collection links.
    own = json.loads(store.read_bytes(f"{PREFIX}/{version}/{sid}.json"))
    assert {a["href"] for a in own["assets"].values()} == {
        f"./{name}" for name in product_files(sid, PRODUCTS)[:-1]
    }
    assert "collection" not in own and own["links"] == []

    collection = json.loads(store.read_bytes("published/226/010/collection.json"))
    assert collection["title"].startswith("Scoresby Sund")
    items = [link for link in collection["links"] if link["rel"] == "item"]
    assert [link["href"] for link in items] == [f"./2024-06-28/{sid}.json"]
    assert (
        items[0]["landsat_ops:previews"]["truecolor"]
        == f"./2024-06-28/{version}/{sid}_truecolor.png"
    )
    assert items[0]["landsat_ops:cogs"]["ndvi"] == f"./2024-06-28/{version}/{sid}_ndvi.tif"
    assert collection["extent"]["spatial"]["bbox"] == [[-25.0, 70.0, -21.0, 72.0]]
    catalog = json.loads(store.read_bytes("catalog.json"))
    assert [link["href"] for link in catalog["links"] if link["rel"] == "child"] == [
        "./published/226/010/collection.json"
    ]
    # The root gallery: a card per path/row (issue 11: its cost does not grow with the scenes).
    gallery = store.read_bytes("index.html").decode()
    thumbnail = items[0].get("landsat_ops:thumbnail", f"./2024-06-28/{version}/{sid}_truecolor.png")
    assert f"/{version}/" in thumbnail
    assert f'<img src="published/226/010/{thumbnail.removeprefix("./")}"' in gallery
    assert "1 scene in 1 path/rows" in gallery and 'href="catalog.json"' in gallery
    assert 'href="published/226/010/index.html"' in gallery
    # The path/row's page: a card per scene, with its previews, COGs and item.
    page = store.read_bytes("published/226/010/index.html").decode()
    assert "cloud 12 %" in page or "cloud 13 %" in page
    assert f'href="2024-06-28/{version}/{sid}_truecolor.tif"' in page
    assert f'href="2024-06-28/{sid}.json"' in page
    assert 'href="2024.html"' in page and store.exists("published/226/010/2024.html")
    # Every link of the pages points at an object that exists.
    for href in re.findall(r'(?:href|src)="([^"]+)"', page):
        if not href.startswith(("http", "../")):
            assert store.exists(f"published/226/010/{href}"), href


def test_republishing_replaces_never_duplicates_and_changes_nothing(store, tmp_path):
    first, second = scene(), scene("2024-07-14", "20240724")
    render(store, first)
    publish_scene(store, first, title="t")
    render(store, second)
    publish_scene(store, second, title="t")
    collection = json.loads(store.read_bytes("published/226/010/collection.json"))
    hrefs = [link["href"] for link in collection["links"] if link["rel"] == "item"]
    assert hrefs == [
        f"./2024-07-14/{second['scene_id']}.json",  # newest first
        f"./2024-06-28/{first['scene_id']}.json",
    ]
    before = snapshot(Path(store.root))

    render(store, first)  # rendered again, same bytes: the same version, nothing written
    assert snapshot(Path(store.root)) == before
    result = publish_scene(store, first, title="t")
    assert result["copied"] == [] and f"{first['scene_id']}.json" in result["unchanged"]
    assert snapshot(Path(store.root)) == before  # same files, not even rewritten

    result = publish_scene(store, first, title="t")  # render skipped: the item as it was
    assert result["copied"] == []
    assert snapshot(Path(store.root)) == before


def test_a_changed_render_publishes_a_new_version_and_keeps_the_old_one(store):
    first = scene()
    sid = first["scene_id"]
    render(store, first, payload="v1")
    publish_scene(store, first, title="t")
    old = version_of(store, first)
    old_objects = {key: store.read_bytes(key) for key in store.list(f"{PREFIX}/{old}/")}
    render(store, first, payload="v2")
    new = version_of(store, first)
    assert new != old
    result = publish_scene(store, first, title="t")
    assert result["version"] == new and result["copied"] == [f"{sid}.json"]
    assert store.read_bytes(f"{PREFIX}/{new}/{sid}_ndvi.tif").startswith(b"v2 ")
    # The old version is left as it was (readers of the previous item), until cleanup.
    assert {key: store.read_bytes(key) for key in store.list(f"{PREFIX}/{old}/")} == old_objects
    assert store.read_bytes(f"{PREFIX}/{old}/{sid}_ndvi.tif").startswith(b"v1 ")
    item = json.loads(store.read_bytes(f"{PREFIX}/{sid}.json"))
    assert {href.rsplit("/", 1)[0] for href in (a["href"] for a in item["assets"].values())} == {
        f"./{new}"
    }
    assert item["collection"] == "landsat-p226-r010"  # linked again after the render's switch
    collection = json.loads(store.read_bytes("published/226/010/collection.json"))
    links = [link for link in collection["links"] if link["rel"] == "item"]
    assert len(links) == 1
    assert links[0]["landsat_ops:cogs"]["ndvi"] == f"./2024-06-28/{new}/{sid}_ndvi.tif"


def test_products_dropped_from_the_config_are_unpublished(store):
    first = scene()
    render(store, first)
    publish_scene(store, first, title="t")
    render(store, first, products=("truecolor", "falsecolor", "histograms"))
    publish_scene(store, first, title="t")
    sid = first["scene_id"]
    item = json.loads(store.read_bytes(f"{PREFIX}/{sid}.json"))
    assert not any(key.startswith("ndvi") for key in item["assets"])
    names = [key.rsplit("/", 1)[-1] for key in store.list(f"{PREFIX}/{version_of(store, first)}")]
    assert f"{sid}_ndvi.tif" not in names and f"{sid}_truecolor.tif" in names
    assert len(names) == len(product_files(sid, ("truecolor", "falsecolor", "histograms")))
    collection = json.loads(store.read_bytes("published/226/010/collection.json"))
    (link,) = [link for link in collection["links"] if link["rel"] == "item"]
    assert "ndvi" not in link["landsat_ops:cogs"] and "ndvi" not in link["landsat_ops:previews"]
    problem = product_set_problem(store, f"{PREFIX}/{sid}.json", PRODUCTS)
    assert problem and "differ" in problem


@pytest.mark.parametrize("damage", ["changed", "missing"])
def test_an_incomplete_set_publishes_nothing(store, damage):
    first = scene()
    render(store, first)
    sid = first["scene_id"]
    version = version_of(store, first)
    item_before = store.read_bytes(f"{PREFIX}/{sid}.json")
    if damage == "changed":
        store.write_bytes(f"{PREFIX}/{version}/{sid}_ndvi.tif", b"truncated")
        match = r"incomplete: .*_ndvi.tif does not match its checksum"
    else:
        store.delete(f"{PREFIX}/{version}/{sid}_ndvi.tif")
        match = r"incomplete: .*_ndvi.tif is missing"
    with pytest.raises(PublishError, match=match):
        publish_scene(store, first, title="t")
    assert store.read_bytes(f"{PREFIX}/{sid}.json") == item_before  # not linked
    assert not store.exists("published/226/010/collection.json")
    assert not store.exists("catalog.json") and not store.exists("index.html")


def test_an_item_of_the_flat_layout_is_not_published(store):
    """An item whose assets are not in one version folder (the layout before versions)."""
    first = scene()
    render(store, first)
    sid = first["scene_id"]
    item = json.loads(store.read_bytes(f"{PREFIX}/{sid}.json"))
    for asset in item["assets"].values():
        name = asset["href"].rsplit("/", 1)[1]
        store.write_bytes(
            f"{PREFIX}/{name}", store.read_bytes(f"{PREFIX}/{version_of(store, first)}/{name}")
        )
        asset["href"] = f"./{name}"
    store.write_bytes(f"{PREFIX}/{sid}.json", json.dumps(item).encode())
    with pytest.raises(PublishError, match="not in one version folder"):
        publish_scene(store, first, title="t")
    assert not store.exists("catalog.json")


def test_nothing_rendered_and_nothing_published_is_an_error(store):
    with pytest.raises(PublishError, match="does not exist: the render published nothing"):
        publish_scene(store, scene(), title="t")
    assert store.list() == []


def test_published_status(store):
    first = scene()
    done, why = published_status(store, first, products=PRODUCTS, percentiles=(2.0, 98.0))
    assert not done and "does not exist" in why
    render(store, first)
    publish_scene(store, first, title="t")
    done, why = published_status(store, first, products=PRODUCTS, percentiles=(2.0, 98.0))
    assert done, why
    done, why = published_status(store, first, products=("ndvi",), percentiles=(2.0, 98.0))
    assert not done and "differ" in why
    done, why = published_status(store, first, products=PRODUCTS, percentiles=(1.0, 99.0))
    assert not done and "percentiles" in why
    sid = first["scene_id"]
    version = version_of(store, first)
    store.write_bytes(f"{PREFIX}/{version}/{sid}_truecolor.png", b"changed")
    done, why = published_status(store, first, products=PRODUCTS, percentiles=(2.0, 98.0))
    assert not done and "_truecolor.png does not match its checksum" in why


@pytest.mark.parametrize("content", [b"{not json", b"[]", b'{"assets": {}}'])
def test_a_damaged_item_is_a_problem_not_an_error(store, content):
    """The set check answers for any item (the launch skip and the EC2 wait rely on it)."""
    first = scene()
    sid = first["scene_id"]
    store.write_bytes(f"{PREFIX}/{sid}.json", content)
    for products in (PRODUCTS, None):
        assert product_set_problem(store, f"{PREFIX}/{sid}.json", products)
    done, why = published_status(store, first, products=PRODUCTS, percentiles=(2.0, 98.0))
    assert not done and why
