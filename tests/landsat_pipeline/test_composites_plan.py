"""The composites' orchestration without Airflow, on a local-folder bucket: which periods a run
chooses, the jobs and tiles of a period, the region mosaic of two overlapping path/rows in two
UTM zones, current composites left alone, no clear pixel refused with nothing published, and
the STAC collections, catalog and gallery."""

from __future__ import annotations

import datetime
import json

import pytest

from tests.stac_schemas.validate import validate
from tests.support.composite_scenes import (
    COMPOSITES,
    catalog_scenes,
    overlapping_catalog,
    publish_scenes,
)

START, END = datetime.date(2024, 6, 1), datetime.date(2024, 7, 20)
AREA = "scoresby_sund"


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory):
    from landsat_demo.synthetic import make_catalog

    root = tmp_path_factory.mktemp("catalogs")
    first = make_catalog(
        root / "226", path=226, row=10, start=START, end=END, width=300, height=300
    )
    return first, overlapping_catalog(root / "227", START, END)


@pytest.fixture
def bucket(tmp_path, catalogs):
    """Three scenes of 226/010 and three of 227/010 published in a local bucket; the config."""
    from landsat_ops.storage import open_store
    from landsat_pipeline.config import parse_config

    store = open_store(str(tmp_path / "bucket"))
    scenes = catalog_scenes(catalogs[0], 226, 10, START, END)
    scenes += catalog_scenes(catalogs[1], 227, 10, START, END)
    publish_scenes(store, scenes)
    raw = {
        "catalog": {"url": str(catalogs[0])},
        "storage": {"root": str(tmp_path / "bucket")},
        "areas": {
            AREA: {"path_rows": [[226, 10], [227, 10]], "composites": COMPOSITES},
            "elsewhere": {"path_rows": [[100, 20]]},
        },
    }
    return parse_config(raw, tmp_path / "areas.yaml"), store, scenes


def labels(pairs) -> list[tuple[str, str]]:
    return [(area.name, period.label) for area, period in pairs]


def test_which_periods_a_run_chooses(bucket):
    from landsat_pipeline.composites.plan import choose_periods
    from landsat_pipeline.errors import AnalyticsError, ConfigError

    config, _, _ = bucket
    assert labels(choose_periods(config, period="2024-summer")) == [(AREA, "2024-summer")]
    events = [
        {"scene_id": "A", "date": "2024-07-14", "path": 226, "row": 10},
        {"scene_id": "B", "date": "2023-06-02", "asset_uri": "landsat://published/p227_r010"},
        {"scene_id": "C", "date": "2024-07-14", "path": 100, "row": 20},  # no composites
        {"asset_uri": "landsat://published/p226_r010"},  # no scene: nothing to do
    ]
    assert labels(choose_periods(config, events=events)) == [
        (AREA, "2023-summer"),
        (AREA, "2024-summer"),
    ]
    september = (datetime.date(2024, 9, 1), datetime.date(2024, 9, 30))
    assert labels(choose_periods(config, ending_within=september)) == [(AREA, "2024-summer")]
    august = (datetime.date(2024, 8, 1), datetime.date(2024, 8, 31))
    assert choose_periods(config, ending_within=august) == []
    assert labels(choose_periods(config, containing="2024-06-15")) == [(AREA, "2024-summer")]
    with pytest.raises(AnalyticsError, match="2024-07.*expected <year>-summer"):
        choose_periods(config, period="2024-07")
    with pytest.raises(ConfigError, match=r"areas\.elsewhere\.composites is missing"):
        choose_periods(config, area="elsewhere", period="2024-summer")


def test_a_season_of_two_overlapping_path_rows_and_its_region_mosaic(bucket, tmp_path):
    import numpy as np
    import rasterio
    from rasterio.warp import Resampling, reproject

    from landsat_pipeline.composites.plan import choose_periods, plan_jobs
    from landsat_pipeline.composites.tasks import assemble_job, run_tile
    from landsat_pipeline.publishing.composites import update_composite_catalogs

    config, store, scenes = bucket
    pairs = choose_periods(config, period="2024-summer")
    plan = plan_jobs(config, store, pairs, workdir=tmp_path / "plan")
    assert [(j["id"], j["kind"], j["tiles"], len(j["scenes"])) for j in plan["jobs"]] == [
        ("p226r010_2024-summer", "path_row", 4, 3),
        ("p227r010_2024-summer", "path_row", 4, 3),
        (f"{AREA}_2024-summer", "mosaic", 4, 6),
    ]
    assert plan["empty"] == [] and plan["current"] == []
    assert len(plan["tiles"]) == 12
    assert all(set(t) == {"job", "spec", "index", "tile", "key"} for t in plan["tiles"])  # small
    for job in plan["jobs"]:  # index: the tile's place in its job.json (composite-tile --tile)
        assert [t["index"] for t in plan["tiles"] if t["job"] == job["id"]] == list(
            range(job["tiles"])
        )
    spec = json.loads(store.read_bytes(plan["jobs"][2]["spec"]))
    assert spec["grid"]["crs"] == "EPSG:3413" and len(spec["inputs"]) == 6

    staged = [run_tile(config, tile) for tile in plan["tiles"]]
    published = [assemble_job(config, job, staged) for job in plan["jobs"]]
    assert [p["id"] for p in published] == [j["id"] for j in plan["jobs"]]
    assert store.list("staging/") == []

    def counts(composite_id: str):
        key = next(
            k
            for k in store.list("published/composites/")
            if k.endswith(f"/{composite_id}_count.tif")
        )
        return rasterio.open(store.uri(key))

    def count(ds):
        return ds.read(1)  # uint16 clear observations

    # The mosaic's count pools both path/rows' clear observations where they overlap: the sum
    # of each path/row composite's count warped to the mosaic's grid (nearest neighbour).
    with counts(f"{AREA}_2024-summer") as mosaic:
        pooled = count(mosaic)
        warped = {}
        for composite_id in ("p226r010_2024-summer", "p227r010_2024-summer"):
            with counts(composite_id) as src:
                warped[composite_id] = np.zeros(pooled.shape, np.float64)
                reproject(
                    count(src).astype(np.float64),
                    warped[composite_id],
                    src_transform=src.transform,
                    src_crs=src.crs,
                    dst_transform=mosaic.transform,
                    dst_crs=mosaic.crs,
                    resampling=Resampling.nearest,
                )
    first, second = warped.values()
    overlap = (first > 0) & (second > 0)
    assert overlap.sum() > 1000, "the two path/rows do not overlap"
    agree = np.mean(pooled[overlap] == (first + second)[overlap])
    assert agree > 0.97, agree  # nearest-neighbour warps of two grids differ at edges only
    alone = (first > 0) & (second == 0)
    assert np.mean(pooled[alone] == first[alone]) > 0.97

    result = update_composite_catalogs(store, config, [AREA])
    assert result["composites"] == 3 and result["written"]
    catalog = json.loads(store.read_bytes("published/composites/catalog.json"))
    assert sorted(link["href"] for link in catalog["links"] if link["rel"] == "child") == [
        "./226/010/collection.json",
        "./227/010/collection.json",
        f"./{AREA}/collection.json",
    ]
    mosaics = json.loads(store.read_bytes(f"published/composites/{AREA}/collection.json"))
    for document in (catalog, mosaics, json.loads(store.read_bytes("catalog.json"))):
        validate(document)  # the official STAC 1.1 schemas
    items = [
        key
        for key in store.list("published/composites/")
        if key.endswith("_2024-summer.json") and key.count("/") in (4, 5)
    ]
    assert len(items) == 3
    for key in items:
        validate(json.loads(store.read_bytes(key)))  # the switched items
    (item_link,) = [link for link in mosaics["links"] if link["rel"] == "item"]
    assert item_link["href"] == f"./2024-summer/{AREA}_2024-summer.json"
    assert item_link["landsat_ops:scenes"] == 6
    assert store.exists(
        f"published/composites/{AREA}/" + item_link["landsat_ops:previews"]["truecolor"][2:]
    )
    root = json.loads(store.read_bytes("catalog.json"))
    assert any(link["href"] == "./published/composites/catalog.json" for link in root["links"])
    assert "Composites and region mosaics" in store.read_bytes("index.html").decode()

    # Planned again: every composite is current; nothing is written, not even staging.
    keys = {k: store.info(k).sha256 for k in store.list("")}
    again = plan_jobs(config, store, pairs, workdir=tmp_path / "again")
    assert again["jobs"] == [] and len(again["current"]) == 3
    assert not (tmp_path / "again").exists()  # no scene was opened
    assert not update_composite_catalogs(store, config, [AREA])["written"]
    assert {k: store.info(k).sha256 for k in store.list("")} == keys


def test_no_clear_pixel_anywhere_fails_and_publishes_nothing(bucket, tmp_path):
    import numpy as np
    import rasterio

    from landsat_demo.synthetic import QA_CLOUD, QA_FILL
    from landsat_ops.composite import CompositeError
    from landsat_pipeline.composites.plan import choose_periods, plan_jobs
    from landsat_pipeline.composites.tasks import assemble_job, run_tile
    from landsat_pipeline.keys import landing_prefix

    config, store, scenes = bucket
    for scene in scenes:  # every valid pixel cloudy
        key = f"{landing_prefix(scene['scene_id'])}/{scene['scene_id']}_QA_PIXEL.TIF"
        with rasterio.open(store.uri(key), "r+") as ds:
            qa = ds.read(1)
            ds.write(np.where(qa == QA_FILL, QA_FILL, QA_CLOUD).astype(qa.dtype), 1)
    pairs = choose_periods(config, period="2024-summer")
    plan = plan_jobs(config, store, pairs, workdir=tmp_path / "plan")
    staged = [
        run_tile(config, tile) for tile in plan["tiles"] if tile["job"] == plan["jobs"][0]["id"]
    ]
    assert all(s["summary"]["clear_pixels"] == 0 for s in staged)
    with pytest.raises(CompositeError, match="no clear pixel in any of the 3 scene"):
        assemble_job(config, plan["jobs"][0], staged)
    assert store.list("published/composites/") == []


def test_a_period_without_scenes_is_empty_and_writes_nothing(bucket, tmp_path):
    from landsat_pipeline.composites.plan import choose_periods, plan_jobs

    config, store, _ = bucket
    keys = set(store.list(""))
    plan = plan_jobs(config, store, choose_periods(config, period="2023-summer"), workdir=tmp_path)
    assert plan["jobs"] == [] and plan["tiles"] == []
    assert plan["empty"] == [
        f"{AREA} 2023-summer (2023-06-01..2023-09-30): no published scene of 226/010, 227/010"
    ]
    assert set(store.list("")) == keys


def test_a_composite_made_again_supersedes_its_version_which_is_collected(
    bucket, tmp_path, monkeypatch
):
    import dataclasses

    from landsat_pipeline.composites.plan import choose_periods, plan_jobs
    from landsat_pipeline.composites.tasks import assemble_job, run_tile
    from landsat_pipeline.publishing.composites import collect_composite_garbage

    config, store, _ = bucket
    only_226 = dataclasses.replace(
        config.areas[0],
        path_rows=((226, 10),),
        composites=dataclasses.replace(config.areas[0].composites, crs=None),
    )
    config = dataclasses.replace(config, areas=(only_226,))
    item_key = "published/composites/226/010/2024-summer/p226r010_2024-summer.json"

    def make(stat: str) -> str:
        settings = dataclasses.replace(only_226.composites, stat=stat)
        area = dataclasses.replace(only_226, composites=settings)
        made = dataclasses.replace(config, areas=(area,))
        plan = plan_jobs(made, store, choose_periods(made, period="2024-summer"), workdir=tmp_path)
        (job,) = plan["jobs"]
        assemble_job(made, job, [run_tile(made, tile) for tile in plan["tiles"]])
        return json.loads(store.read_bytes(item_key))["assets"]["reflectance_tif"]["href"]

    first, second = make("median"), make("medoid")  # another setting: another digest, version
    assert first != second
    folder = "published/composites/226/010/2024-summer/p226r010_2024-summer/"

    def versions() -> set[str]:
        return {key.split("/")[6] for key in store.list(folder)}

    assert len(versions()) == 2
    assert collect_composite_garbage(store, None, config, [AREA]) == []  # within the retention
    monkeypatch.setenv("LANDSAT_OPS_RETENTION_SECONDS", "0")
    removed = collect_composite_garbage(store, None, config, [AREA])
    assert removed == [
        f"published/composites/226/010/2024-summer/p226r010_2024-summer/{first.split('/')[2]}"
    ]
    assert versions() == {second.split("/")[2]}
    assert store.exists(f"published/composites/226/010/2024-summer/{second.removeprefix('./')}")
