"""Named polygons of the extent: inside, partly outside and outside a scene; invalid GeoJSON;
and ``landsat-ops extent`` on the real Greenland Level-2 set."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import rasterio
from rasterio.warp import transform

from landsat_ops.cli import main
from landsat_ops.extent import PolygonError, measure_scene, parse_polygons
from landsat_ops.extent.polygons import planar_area

GREENLAND = "rasters/LC08_L2SP_005009_20150710_20200908_02_T2_512px"


def _scene_grid(folder):
    (b3,) = [p for p in folder.iterdir() if p.name.endswith("_SR_B3.TIF")]
    with rasterio.open(b3) as ds:
        return ds.transform, ds.crs, ds.width, ds.height


def _rectangle(t, crs, rows, cols, steps=8):
    """A WGS84 polygon whose edges, projected back, run along the pixel boundaries of
    ``rows`` x ``cols`` (each edge densified so its projection stays straight)."""
    (r0, r1), (c0, c1) = rows, cols
    edge = np.linspace(0, 1, steps, endpoint=False)
    cs = np.concatenate(
        [c0 + (c1 - c0) * edge, np.full(steps, c1), c1 - (c1 - c0) * edge, np.full(steps, c0)]
    )
    rs = np.concatenate(
        [np.full(steps, r0), r0 + (r1 - r0) * edge, np.full(steps, r1), r1 - (r1 - r0) * edge]
    )
    xs, ys = t @ (cs, rs)
    lon, lat = transform(crs, "EPSG:4326", list(xs), list(ys))
    ring = [[round(x, 10), round(y, 10)] for x, y in zip(lon, lat, strict=True)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _collection(**geometries):
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"name": name}, "geometry": geometry}
                for name, geometry in geometries.items()
            ],
        }
    )


def _qa_counts(folder, rows, cols):
    (qa_path,) = [p for p in folder.iterdir() if p.name.endswith("QA_PIXEL.TIF")]
    with rasterio.open(qa_path) as ds:
        qa = ds.read(1).astype(np.int64)[slice(*rows), slice(*cols)]
    fill = (qa & 1) == 1
    clear = ~fill & (((qa >> 1) & 1 | (qa >> 3) & 1 | (qa >> 4) & 1) == 0)
    return int((~fill).sum()), int(clear.sum())


def test_polygon_inside_and_partly_outside(landsat_data):
    folder = landsat_data / GREENLAND
    t, crs, width, height = _scene_grid(folder)
    inside = _rectangle(t, crs, (300, 380), (200, 290))
    partly = _rectangle(t, crs, (-40, 60), (width - 50, width + 50))  # corner off the grid
    polygons = parse_polygons(_collection(ice_sheet_block=inside, corner=partly))
    result = measure_scene(folder, polygons)
    km2 = abs(t.a * t.e) / 1e6

    block = result.regions["ice_sheet_block"]
    assert sum(block["pixels"].values()) == 80 * 90  # exactly the pixels of the block
    observed, clear = _qa_counts(folder, (300, 380), (200, 290))
    assert block["observed_km2"] == pytest.approx(observed * km2, abs=1e-6)
    assert block["clear_km2"] == pytest.approx(clear * km2, abs=1e-6)
    assert block["region_km2"] == pytest.approx(80 * 90 * km2, rel=1e-6)
    assert block["clear_fraction"] == pytest.approx(clear / (80 * 90), abs=1e-5)

    corner = result.regions["corner"]
    assert sum(corner["pixels"].values()) == 60 * 50  # the part on the grid
    assert corner["region_km2"] == pytest.approx(100 * 100 * km2, rel=1e-6)
    observed, clear = _qa_counts(folder, (0, 60), (width - 50, width))
    assert corner["clear_fraction"] == pytest.approx(clear * km2 / corner["region_km2"], abs=1e-5)
    assert corner["clear_fraction"] <= 0.3  # at most 30 % of it was on the grid at all


def test_polygon_outside_is_one_clear_error(landsat_data):
    folder = landsat_data / GREENLAND
    t, crs, width, height = _scene_grid(folder)
    far = _rectangle(t, crs, (height + 100, height + 150), (10, 60))
    polygons = parse_polygons(_collection(elsewhere=far))
    with pytest.raises(PolygonError, match=r"polygon 'elsewhere' lies outside scene LC08_L2SP_"):
        measure_scene(folder, polygons)
    skipped = measure_scene(folder, polygons, outside="skip")
    assert list(skipped.regions) == ["path_row"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"type": "Feature"}', "expected a FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "no features"),
        (
            _collection(a={"type": "Point", "coordinates": [0, 0]}),
            r"feature 1 \(a\): geometry is 'Point'",
        ),
        (
            _collection(a={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
            "not closed",
        ),
        (
            _collection(a={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}),
            "at least 4 positions",
        ),
        (
            _collection(
                a={
                    "type": "Polygon",
                    "coordinates": [[[500000, 7e6], [500100, 7e6], [500100, 7.1e6], [500000, 7e6]]],
                }
            ),
            "not WGS84 degrees",
        ),
        (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [{"type": "Feature", "properties": {}, "geometry": None}],
                }
            ),
            'feature 1: no "name" property',
        ),
    ],
)
def test_invalid_geojson_is_one_line(document, message):
    with pytest.raises(PolygonError, match=message) as caught:
        parse_polygons(document, "polygons.geojson")
    assert "\n" not in str(caught.value) and str(caught.value).startswith("polygons.geojson: ")


def test_duplicate_names_and_planar_area():
    square = {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 3], [0, 3], [0, 0]]]}
    doc = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {"name": "x"}, "geometry": square}] * 2,
        }
    )
    with pytest.raises(PolygonError, match="used twice"):
        parse_polygons(doc)
    holed = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]], [[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]],
            square["coordinates"],
        ],
    }
    assert planar_area(holed) == pytest.approx(16 - 1 + 6)


def test_cli_table_stac_and_errors(landsat_data, tmp_path, capsys):
    folder = landsat_data / GREENLAND
    t, crs, _, _ = _scene_grid(folder)
    polygons = tmp_path / "p.geojson"
    polygons.write_text(_collection(block=_rectangle(t, crs, (300, 380), (200, 290))))
    assert main(["extent", str(folder), "--polygons", str(polygons)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["region"] for r in rows] == ["path_row", "block"]
    assert float(rows[0]["snow_ice_km2"]) > 10_000

    assert main(["extent", str(folder), "--polygons", str(polygons), "--stac"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["id"] == "LC08_L2SP_005009_20150710_20200908_02_T2"
    assert set(line["landsat_ops:extent"]["polygons"]) == {"block"}

    out = tmp_path / "extent.parquet"
    assert main(["extent", str(folder), "--out", str(out), "--plot", str(tmp_path / "e.png")]) == 0
    assert main(["extent", str(folder), "--out", str(out), "--merge"]) == 0  # replaces its rows
    from landsat_ops.extent.table import read_extent_table

    assert len(read_extent_table(out)) == 1 and (tmp_path / "e.png").stat().st_size > 10_000

    polygons.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature"}]}')
    capsys.readouterr()
    assert main(["extent", str(folder), "--polygons", str(polygons)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("landsat-ops: error: ") and 'no "name" property' in err
    assert err.count("\n") == 1
