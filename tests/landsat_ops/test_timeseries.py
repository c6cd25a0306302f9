"""Tests for landsat_ops.timeseries: idempotent merges, CSV/Parquet round trips, plots."""

from __future__ import annotations

import pytest
from PIL import Image

from landsat_ops.errors import OptionError, StorageError
from landsat_ops.points import Point
from landsat_ops.sampling import SampleRow, sample_scene
from landsat_ops.timeseries import (
    COLUMNS,
    is_cloudy,
    merge_rows,
    plot_ndvi_vs_cloud,
    plot_timeseries,
    point_series,
    read_table,
    table_from_csv,
    table_rows,
    table_to_csv,
    write_table,
)

A = "LC08_L1TP_016037_20170813_20170814_01_RT"
B = "LC08_L2SP_016037_20170829_20200903_02_T1"
C = "LC08_L2SP_016037_20170914_20200903_02_T1"


def sample(scene: str, acquired: str, point: str, ndvi: float | None, **changes) -> SampleRow:
    values = {
        "scene_id": scene,
        "acquired": acquired,
        "path": 16,
        "row": 37,
        "point_id": point,
        "lon": -79.5,
        "lat": 33.0,
        "ndvi": ndvi,
        "valid_px": 9 if ndvi is not None else 0,
        "cloudy_px": 0,
        "scene_cloud_cover": 26.7,
        "reason": "" if ndvi is not None else "fill",
    }
    return SampleRow(**{**values, **changes})


SCENE_A = [
    sample(A, "2017-08-13T15:54:15Z", "p2", 0.41),
    sample(A, "2017-08-13T15:54:15Z", "p1", 0.62, cloudy_px=3),
    sample(A, "2017-08-13T15:54:15Z", "far", None, reason="outside scene", cloudy_px=None),
]
SCENE_B = [
    sample(B, "2017-08-29T15:54:20Z", "p1", 0.58, scene_cloud_cover=80.0),
    sample(B, "2017-08-29T15:54:20Z", "p2", None),
]
SCENE_C = [
    sample(C, "2017-09-14T15:54:25Z", "p1", 0.55, scene_cloud_cover=None, cloudy_px=None),
    sample(C, "2017-09-14T15:54:25Z", "p2", -0.05),
]


def test_table_rows_have_the_columns_and_leave_out_points_outside_the_scene():
    rows = table_rows(SCENE_A)
    assert [list(r) for r in rows] == [COLUMNS, COLUMNS]
    assert [r["point_id"] for r in rows] == ["p2", "p1"]
    assert rows[1] == {
        "scene_id": A,
        "acquired": "2017-08-13T15:54:15Z",
        "path": 16,
        "row": 37,
        "point_id": "p1",
        "ndvi": 0.62,
        "valid_px": 9,
        "cloudy_px": 3,
        "scene_cloud_cover": 26.7,
    }


def test_merge_is_sorted_and_idempotent():
    table = merge_rows([], [*SCENE_B, *SCENE_A])
    assert [(r["acquired"][:10], r["point_id"]) for r in table] == [
        ("2017-08-13", "p1"),
        ("2017-08-13", "p2"),
        ("2017-08-29", "p1"),
        ("2017-08-29", "p2"),
    ]
    again = merge_rows(table, SCENE_A)
    assert again == table
    assert merge_rows(merge_rows(again, SCENE_B), SCENE_A) == table
    assert len(merge_rows(table, [*SCENE_A, *SCENE_A])) == len(table)


def test_rerunning_a_scene_replaces_its_rows_and_keeps_the_others():
    table = merge_rows(merge_rows([], SCENE_A), SCENE_B)
    rerun = [sample(A, "2017-08-13T15:54:15Z", "p1", 0.7)]  # p2 no longer sampled
    merged = merge_rows(table, rerun)
    assert [(r["scene_id"], r["point_id"], r["ndvi"]) for r in merged] == [
        (A, "p1", 0.7),
        (B, "p1", 0.58),
        (B, "p2", None),
    ]
    # A scene whose every point was outside still replaces (removes) its old rows.
    outside = [sample(B, "2017-08-29T15:54:20Z", "p1", None, reason="outside scene")]
    assert [r["scene_id"] for r in merge_rows(merged, outside)] == [A]


def test_merge_accepts_dict_rows_and_rejects_bad_ones():
    rows = [s.to_dict() for s in SCENE_C]
    assert merge_rows([], rows) == merge_rows([], SCENE_C)
    with pytest.raises(OptionError, match="column valid_px is 'many'"):
        merge_rows([], [{**rows[0], "valid_px": "many"}])
    with pytest.raises(OptionError, match="no column ndvi"):
        merge_rows([], [{k: v for k, v in rows[0].items() if k != "ndvi"}])


def test_point_series_and_cloudy_rule():
    table = merge_rows([], [*SCENE_A, *SCENE_B, *SCENE_C])
    series = point_series(table, "p1")
    assert [r["scene_id"] for r in series] == [A, B, C]
    assert [is_cloudy(r) for r in series] == [True, True, False]  # QA cloud, scene 80 %, clear
    assert is_cloudy(series[1], cloud_threshold=90.0) is False
    assert point_series(table, "nope") == []


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_local(tmp_path, suffix):
    table = merge_rows([], [*SCENE_A, *SCENE_B, *SCENE_C])
    target = tmp_path / "area" / f"ndvi{suffix}"
    assert write_table(table, target) == str(target)
    assert read_table(target) == table
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # no partial left


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_s3_and_merge_on_s3(s3_bucket, suffix):
    uri = f"s3://{s3_bucket}/products/area/ndvi{suffix}"
    assert read_table(uri, missing_ok=True) == []
    for scene in (SCENE_A, SCENE_B, SCENE_A):  # the rerun of A changes nothing
        write_table(merge_rows(read_table(uri, missing_ok=True), scene), uri)
    assert read_table(uri) == merge_rows([], [*SCENE_A, *SCENE_B])


def test_parquet_types(tmp_path):
    import pyarrow.parquet as pq

    target = tmp_path / "t.parquet"
    write_table(merge_rows([], SCENE_C), target)
    schema = pq.read_schema(target)
    assert schema.names == COLUMNS
    assert str(schema.field("acquired").type) == "timestamp[ms, tz=UTC]"
    assert str(schema.field("ndvi").type) == "double"
    assert pq.read_table(target).column("cloudy_px").to_pylist() == [None, 0]


def test_csv_text_is_plain():
    text = table_to_csv(merge_rows([], SCENE_C)).decode()
    assert text.splitlines() == [
        ",".join(COLUMNS),
        f"{C},2017-09-14T15:54:25Z,16,37,p1,0.55,9,,",
        f"{C},2017-09-14T15:54:25Z,16,37,p2,-0.05,9,0,26.7",
    ]


def test_read_errors(tmp_path):
    with pytest.raises(StorageError, match="no such table"):
        read_table(tmp_path / "missing.csv")
    with pytest.raises(OptionError, match=r"unknown table format \.xlsx"):
        read_table(tmp_path / "t.xlsx")
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(COLUMNS) + "\n" + f"{A},2017-08-13T15:54:15Z,16,37,p1,high,9,0,1\n")
    with pytest.raises(StorageError, match=r"bad.csv: line 2: column ndvi is 'high'"):
        read_table(bad)
    with pytest.raises(StorageError, match="line 1: no column scene_id"):
        table_from_csv(b"a,b\n1,2\n", "x.csv")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(StorageError, match="not a Parquet file"):
        read_table(tmp_path / "bad.parquet")


def _png(path) -> tuple[int, int]:
    with Image.open(path) as image:
        assert image.format == "PNG"
        image.verify()
        return image.size


def test_plots_are_valid_pngs(tmp_path):
    table = merge_rows([], [*SCENE_A, *SCENE_B, *SCENE_C])
    width, height = _png(plot_timeseries(table, tmp_path / "ts.png"))
    assert (width, height) == (1000, 500)
    assert _png(plot_timeseries(table, tmp_path / "p1.png", ["p1"])) == (1000, 500)
    assert _png(plot_ndvi_vs_cloud(table, tmp_path / "cloud.png")) == (800, 500)
    assert _png(plot_timeseries([], tmp_path / "empty.png")) == (1000, 500)
    assert _png(plot_ndvi_vs_cloud([], tmp_path / "empty-cloud.png")) == (800, 500)
    with pytest.raises(OptionError, match="no samples of point nope"):
        plot_timeseries(table, tmp_path / "x.png", ["nope"])
    assert not (tmp_path / "x.png").exists()


def test_cloudy_samples_are_drawn_not_dropped(tmp_path):
    """Marking every sample cloudy changes the picture but keeps its points (hollow markers)."""
    clear = [sample(A, f"2017-0{m}-13T15:54:15Z", "p1", 0.5 + m / 100) for m in range(1, 8)]
    cloudy = [
        sample(A, r.acquired, "p1", r.ndvi, scene_id=f"{A[:-2]}T{i}", cloudy_px=9)
        for i, r in enumerate(clear)
    ]
    with Image.open(plot_timeseries(table_rows(clear), tmp_path / "a.png")) as a:
        pixels_clear = a.convert("RGB").tobytes()
    with Image.open(plot_timeseries(table_rows(cloudy), tmp_path / "b.png")) as b:
        pixels_cloudy = b.convert("RGB").tobytes()
    assert pixels_clear != pixels_cloudy


def test_plots_to_s3(s3_bucket):
    import io

    import boto3

    table = merge_rows([], [*SCENE_A, *SCENE_B])
    uri = plot_timeseries(table, f"s3://{s3_bucket}/products/area/ndvi_timeseries.png")
    head = boto3.client("s3").get_object(Bucket=s3_bucket, Key="products/area/ndvi_timeseries.png")
    assert uri == f"s3://{s3_bucket}/products/area/ndvi_timeseries.png"
    assert head["ContentType"] == "image/png"
    assert _png(io.BytesIO(head["Body"].read())) == (1000, 500)


def test_real_scenes_end_to_end(landsat_data, tmp_path):
    """Sample two real scenes, merge, rerun one, write both formats, plot."""
    rasters = landsat_data / "rasters"
    points = [
        Point("tropics-clear", -75.164536, 1.503444),
        Point("tropics-cloud", -75.024585, 1.294167),
        Point("carolina", -79.3738, 32.403858),
    ]
    table: list = []
    for scene in (
        "LC08_L2SP_008059_20191201_20200825_02_T1_512px",
        "LC08_L1TP_016037_20170813_20170814_01_RT_900m",
        "LC08_L2SP_008059_20191201_20200825_02_T1_512px",
    ):
        table = merge_rows(table, sample_scene(rasters / scene, points))
    assert [(r["acquired"][:10], r["point_id"], r["cloudy_px"]) for r in table] == [
        ("2017-08-13", "carolina", 0),
        ("2019-12-01", "tropics-clear", 0),
        ("2019-12-01", "tropics-cloud", 9),
    ]
    for suffix in (".csv", ".parquet"):
        write_table(table, tmp_path / f"area{suffix}")
        assert read_table(tmp_path / f"area{suffix}") == table
    _png(plot_timeseries(table, tmp_path / "ts.png"))
    _png(plot_ndvi_vs_cloud(table, tmp_path / "cloud.png"))
