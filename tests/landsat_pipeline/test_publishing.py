"""Publishing (landsat_pipeline/publishing.py) on a local bucket (landing: test_landing.py).

Product sets are made by hand (a few bytes per "product" and a STAC item listing their
checksums, as landsat_ops.render writes them), so no rendering is needed here; the DAG tests
in tests/dags run the real render against S3.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from landsat_demo.product_sets import stage_product_set
from landsat_ops.products import product_files
from landsat_ops.storage import open_store
from landsat_pipeline.errors import PublishError
from landsat_pipeline.publishing import publish_scene, published_status

PRODUCTS = ("truecolor", "falsecolor", "ndvi", "histograms")


def scene(day: str = "2024-06-28", processed: str = "20240708") -> dict:
    compact = day.replace("-", "")
    return {
        "scene_id": f"LC08_L1TP_226010_{compact}_{processed}_02_T1",
        "date": day,
        "path": 226,
        "row": 10,
    }


def stage(store, scene: dict, *, payload: str = "v1") -> dict:
    """Write a staged product set and its item, like a render does."""
    return stage_product_set(store, scene["scene_id"], scene["date"], payload=payload)


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


def test_publish_moves_the_set_and_builds_catalog_and_gallery(store):
    first = scene()
    stage(store, first)
    result = publish_scene(store, first, title="Scoresby Sund")

    sid = first["scene_id"]
    prefix = "published/226/010/2024-06-28"
    assert sorted(store.list(prefix)) == sorted(
        f"{prefix}/{name}" for name in product_files(sid, PRODUCTS)
    )
    assert store.list("staging/") == []
    assert not (Path(store.root) / "staging" / sid).exists()
    assert result["item_uri"] == store.uri(f"{prefix}/{sid}.json")
    assert len(result["copied"]) == len(product_files(sid)) and result["unchanged"] == []

    item = json.loads(store.read_bytes(f"{prefix}/{sid}.json"))
    assert item["collection"] == "landsat-p226-r010"
    assert {link["rel"]: link["href"] for link in item["links"]} == {
        "root": "../../../../catalog.json",
        "parent": "../collection.json",
        "collection": "../collection.json",
    }
    collection = json.loads(store.read_bytes("published/226/010/collection.json"))
    assert collection["title"].startswith("Scoresby Sund")
    items = [link for link in collection["links"] if link["rel"] == "item"]
    assert [link["href"] for link in items] == [f"./2024-06-28/{sid}.json"]
    assert items[0]["landsat_ops:previews"]["truecolor"] == f"./2024-06-28/{sid}_truecolor.png"
    assert collection["extent"]["spatial"]["bbox"] == [[-25.0, 70.0, -21.0, 72.0]]
    catalog = json.loads(store.read_bytes("catalog.json"))
    assert [link["href"] for link in catalog["links"] if link["rel"] == "child"] == [
        "./published/226/010/collection.json"
    ]
    # The root gallery: a card per path/row (issue 11: its cost does not grow with the scenes).
    gallery = store.read_bytes("index.html").decode()
    thumbnail = items[0].get("landsat_ops:thumbnail", f"./2024-06-28/{sid}_truecolor.png")
    assert f'<img src="published/226/010/{thumbnail.removeprefix("./")}"' in gallery
    assert "1 scene in 1 path/rows" in gallery and 'href="catalog.json"' in gallery
    assert 'href="published/226/010/index.html"' in gallery
    # The path/row's page: a card per scene, with its previews, COGs and item.
    page = store.read_bytes("published/226/010/index.html").decode()
    assert "cloud 12 %" in page or "cloud 13 %" in page
    assert f'href="2024-06-28/{sid}_truecolor.tif"' in page
    assert f'href="2024-06-28/{sid}.json"' in page
    assert 'href="2024.html"' in page and store.exists("published/226/010/2024.html")


def test_republishing_replaces_never_duplicates_and_changes_nothing(store, tmp_path):
    first, second = scene(), scene("2024-07-14", "20240724")
    stage(store, first)
    publish_scene(store, first, title="t")
    stage(store, second)
    publish_scene(store, second, title="t")
    collection = json.loads(store.read_bytes("published/226/010/collection.json"))
    hrefs = [link["href"] for link in collection["links"] if link["rel"] == "item"]
    assert hrefs == [
        f"./2024-07-14/{second['scene_id']}.json",  # newest first
        f"./2024-06-28/{first['scene_id']}.json",
    ]
    before = snapshot(Path(store.root))

    stage(store, first)  # rendered again, same bytes
    result = publish_scene(store, first, title="t")
    assert result["copied"] == []
    assert snapshot(Path(store.root)) == before  # same files, not even rewritten

    result = publish_scene(store, first, title="t")  # render skipped: nothing staged
    assert result["copied"] == []
    assert snapshot(Path(store.root)) == before


def test_a_changed_render_replaces_the_published_products(store):
    first = scene()
    stage(store, first, payload="v1")
    publish_scene(store, first, title="t")
    stage(store, first, payload="v2")
    result = publish_scene(store, first, title="t")
    sid = first["scene_id"]
    assert len(result["copied"]) == len(product_files(sid))
    data = store.read_bytes(f"published/226/010/2024-06-28/{sid}_ndvi.tif")
    assert data.startswith(b"v2 ")
    collection = json.loads(store.read_bytes("published/226/010/collection.json"))
    assert len([link for link in collection["links"] if link["rel"] == "item"]) == 1


def test_products_dropped_from_the_config_are_unpublished(store):
    first = scene()
    stage(store, first)
    publish_scene(store, first, title="t")
    item = stage(store, first)
    sid = first["scene_id"]
    store.delete(f"staging/{sid}/{sid}_ndvi.tif")
    del item["assets"]["ndvi_tif"]
    store.write_bytes(f"staging/{sid}/{sid}.json", json.dumps(item).encode())
    publish_scene(store, first, title="t")
    names = [key.rsplit("/", 1)[-1] for key in store.list("published/226/010/2024-06-28/")]
    assert f"{sid}_ndvi.tif" not in names and f"{sid}_ndvi.png" in names
    assert len(names) == len(product_files(sid)) - 1


def test_an_incomplete_staged_set_publishes_nothing(store):
    first = scene()
    stage(store, first)
    sid = first["scene_id"]
    store.write_bytes(f"staging/{sid}/{sid}_ndvi.tif", b"truncated")
    with pytest.raises(PublishError, match=r"incomplete render: .*_ndvi.tif does not match"):
        publish_scene(store, first, title="t")
    assert store.list("published/") == []
    assert not store.exists("catalog.json")


def test_nothing_rendered_and_nothing_published_is_an_error(store):
    with pytest.raises(
        PublishError, match="nothing is staged in .* and the published set is incomplete"
    ):
        publish_scene(store, scene(), title="t")


def test_published_status(store):
    first = scene()
    done, why = published_status(store, first, products=PRODUCTS, percentiles=(2.0, 98.0))
    assert not done and "does not exist" in why
    stage(store, first)
    publish_scene(store, first, title="t")
    done, why = published_status(store, first, products=PRODUCTS, percentiles=(2.0, 98.0))
    assert done, why
    done, why = published_status(store, first, products=("ndvi",), percentiles=(2.0, 98.0))
    assert not done and "differ" in why
    done, why = published_status(store, first, products=PRODUCTS, percentiles=(1.0, 99.0))
    assert not done and "percentiles" in why
    sid = first["scene_id"]
    store.write_bytes(f"published/226/010/2024-06-28/{sid}_truecolor.png", b"changed")
    done, why = published_status(store, first, products=PRODUCTS, percentiles=(2.0, 98.0))
    assert not done and "does not match the item's checksum" in why
