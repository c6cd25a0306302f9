"""The published catalog and gallery as their users meet them.

* The collection and the root catalog validate against the official STAC 1.1 schemas stored
  in tests/stac_schemas (no network).
* Headless Chromium (Debian's ``chromium``) opens the gallery from a local HTTP server on
  127.0.0.1: every thumbnail the pages show is fetched with HTTP 200, every link on them
  resolves, and a screenshot of each page is taken in the test's temp folder. Skipped with the
  reason where Chromium is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import html.parser
import http.server
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from landsat_demo.product_sets import publish_product_set
from landsat_ops.products import product_files
from landsat_ops.raster.png import write_png
from landsat_ops.storage import open_store
from landsat_pipeline.publishing import publish_scene
from tests.stac_schemas.validate import validate
from tests.support.browser import chromium_command, needs_chromium, serving
from tests.support.scenes import scene


@pytest.fixture
def bucket(tmp_path) -> Path:
    """Three scenes over two years of one path/row and one of another, published."""
    store = open_store(tmp_path / "bucket")
    scenes = [
        scene("2023-08-11", "20230821"),
        scene("2024-06-28", "20240708"),
        scene("2024-07-14", "20240724"),
        {**scene("2024-07-14", "20240724"), "path": 16, "row": 37,
         "scene_id": "LC08_L1TP_016037_20240714_20240724_02_T1"},
    ]  # fmt: skip
    rgba = np.zeros((32, 48, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 255
    png = write_png(rgba, tmp_path / "red.png").read_bytes()
    for one in scenes:
        sid = one["scene_id"]
        # Real PNGs where the pages show images.
        pngs = {name: png for name in product_files(sid) if name.endswith(".png")}
        publish_product_set(store, sid, one["date"], files=pngs)
        publish_scene(store, one, title="Fjord" if one["path"] == 226 else "Carolinas")
    return Path(store.root)


def test_collection_and_catalog_are_valid_stac(bucket):
    collection = json.loads((bucket / "published/226/010/collection.json").read_text())
    validate(collection)
    validate(json.loads((bucket / "catalog.json").read_text()))
    assert {link["rel"] for link in collection["links"]} >= {"license", "root", "item"}
    assert [p["name"] for p in collection["providers"]] == ["USGS", "landsat-ops"]
    assert collection["summaries"]["eo:cloud_cover"] == {"minimum": 12.5, "maximum": 12.5}
    assert set(collection["item_assets"]) >= {"truecolor_tif", "ndvi_tif", "histograms_png"}
    assert collection["extent"]["temporal"]["interval"] == [
        ["2023-08-11T13:21:19Z", "2024-07-14T13:21:19Z"]
    ]


def test_gallery_pages_read_well(bucket):
    root = (bucket / "index.html").read_text()
    assert "4 scenes in 2 path/rows" in root
    assert "3 scenes, latest 2024-07-14" in root and "1 scene, latest 2024-07-14" in root
    page = (bucket / "published/226/010/index.html").read_text()
    assert 'href="2023.html">2023</a> (1)' in page and 'href="2024.html">2024</a> (2)' in page
    assert (bucket / "published/226/010/2023.html").read_text().count("<figure>") == 1


def test_pages_beside_the_scenes_are_linked_from_the_root_and_stay(bucket):
    """A time-lapse or extent page links itself from the root catalog (a ``related`` link) and
    the root gallery lists it; the next scene published keeps the link; linking again writes
    nothing."""
    from landsat_pipeline.publishing.root import link_from_root, page_link

    store = open_store(bucket)
    link = page_link("published/timelapse/226/010/index.html", "Time-lapse: Fjord, summer")
    assert link_from_root(store, link) is True
    assert link_from_root(store, link) is False
    publish_product_set(store, scene("2024-07-30", "20240809")["scene_id"], "2024-07-30")
    publish_scene(store, scene("2024-07-30", "20240809"), title="Fjord")
    catalog = json.loads((bucket / "catalog.json").read_text())
    validate(catalog)
    assert [l for l in catalog["links"] if l["rel"] == "related"] == [link]  # noqa: E741
    assert "5 scenes in 2 path/rows" in (bucket / "index.html").read_text()
    assert (
        '<a href="published/timelapse/226/010/index.html">Time-lapse: Fjord, summer</a>'
        in (bucket / "index.html").read_text()
    )
    renamed = {**link, "title": "Time-lapse: Fjord, every summer"}
    assert link_from_root(store, renamed) is True
    catalog = json.loads((bucket / "catalog.json").read_text())
    assert [l for l in catalog["links"] if l["rel"] == "related"] == [renamed]  # noqa: E741


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.links = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        elif tag == "a":
            self.links.append(attrs["href"])


class _Recorder(http.server.SimpleHTTPRequestHandler):
    served: list[tuple[str, int]]

    def log_request(self, code="-", size="-"):
        self.served.append((self.path, int(code)))


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("page", ["index.html", "published/226/010/index.html"])
def test_the_gallery_in_a_browser(bucket, tmp_path, page):
    served: list[tuple[str, int]] = []
    handler = type("Handler", (_Recorder,), {"served": served})
    shot = tmp_path / "gallery.png"
    with serving(bucket, handler) as base:
        result = subprocess.run(
            chromium_command(
                tmp_path / "profile",
                "--window-size=1280,900",
                "--virtual-time-budget=5000",
                f"--screenshot={shot}",
                base + page,
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert shot.is_file() and shot.stat().st_size > 5000, result.stderr[-2000:]

    parsed = _Links()
    parsed.feed((bucket / page).read_text())
    folder = page.rsplit("/", 1)[0] + "/" if "/" in page else ""
    fetched = {path for path, code in served if code == 200}
    assert parsed.images, "the page shows no thumbnails"
    for src in parsed.images:  # Chromium fetched every thumbnail (lazy ones are in view)
        assert f"/{folder}{src}" in fetched, src
    for href in parsed.links:  # every link resolves to a file of the bucket
        assert (bucket / folder / href).resolve().is_file(), href
