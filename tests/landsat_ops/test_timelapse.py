"""Time-lapses from published items: periods, the frame plan, the encoded frames read back.

The bucket (tests/support/timelapse.py) holds six summers of 226/010 with every case: two
scenes in 2014 (the clearer one must be chosen), none in 2015 (a gap), one too cloudy in 2016
(a gap that says so), one on a shifted grid in 2017, one in another UTM zone in 2018, and in
2019 a composite next to a clearer scene (the composite wins). Every source shows the same
world with a marker at one place: on the common grid it must sit on the same pixel in every
frame, whatever the source's own grid.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pytest

from landsat_ops.composite.grid import Grid
from landsat_ops.render.versions import set_problems
from landsat_ops.storage import open_store
from landsat_ops.timelapse import (
    GAP_COLOUR,
    Overlay,
    TimelapseError,
    annotate,
    frame_detail,
    gap_frame,
    ground_metres_per_pixel,
    label_box,
    make_timelapse,
    nice_length,
    north_angle,
    parse_period_spec,
    periods_between,
    plan_frames,
    read_items,
    warp_sources,
)
from tests.support.cli_helpers import assert_one_line_error, run
from tests.support.timelapse import (
    ORIGIN,
    decode_mp4,
    decode_webp,
    mark_centroid,
    publish_composite,
    publish_scene,
)

SUMMER = parse_period_spec("summer=06-01..09-30")
NAME = "p226r010_summer"
OUT = "published/timelapse/226/010"
SIZE = 256


def _utm26_origin() -> tuple[float, float]:
    from rasterio.warp import transform

    xs, ys = transform("EPSG:32627", "EPSG:32626", [ORIGIN[0]], [ORIGIN[1]])
    return xs[0], ys[0]


def make_bucket(root: Path) -> Path:
    publish_scene(root, "2014-07-10", clear_fraction=0.9)
    publish_scene(root, "2014-08-20", clear_fraction=0.5)
    publish_scene(root, "2016-07-15", clear_fraction=0.1)
    publish_scene(
        root, "2017-08-01", clear_fraction=0.7, origin=(ORIGIN[0] + 37 * 30, ORIGIN[1] - 23 * 30)
    )
    publish_scene(root, "2018-07-20", clear_fraction=0.85, crs="EPSG:32626", origin=_utm26_origin())
    publish_scene(root, "2019-07-05", clear_fraction=0.95)
    publish_composite(root, "2019-summer", "2019-06-10", "2019-09-12", median=5, scenes=7)
    return root


def _make(root: Path):
    return make_timelapse(
        open_store(root),
        name=NAME,
        spec=SUMMER,
        out_prefix=OUT,
        scene_prefixes=["published/226/010"],
        composite_prefixes=["published/composites/226/010"],
        size=SIZE,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The bucket and its time-lapse, made once: (root, result, item)."""
    root = make_bucket(tmp_path_factory.mktemp("timelapse") / "bucket")
    result = _make(root)
    item = json.loads(Path(result.item_uri).read_text())
    return root, result, item


def _plans(root: Path):
    store = open_store(root)
    scenes = read_items(store, ["published/226/010"], "scene")
    composites = read_items(store, ["published/composites/226/010"], "composite")
    return plan_frames(periods_between(SUMMER, 2014, 2019), scenes, composites)


# -- periods ---------------------------------------------------------------------------------
def test_periods_of_a_season_of_months_and_across_new_year():
    assert [(p.label, p.title, p.start, p.end) for p in periods_between(SUMMER, 2023, 2024)] == [
        ("2023-summer", "2023 summer", dt.date(2023, 6, 1), dt.date(2023, 9, 30)),
        ("2024-summer", "2024 summer", dt.date(2024, 6, 1), dt.date(2024, 9, 30)),
    ]
    winter = periods_between(parse_period_spec("winter=12-01..02-29"), 2023, 2023)
    assert (winter[0].start, winter[0].end) == (dt.date(2023, 12, 1), dt.date(2024, 2, 29))
    months = periods_between(parse_period_spec("monthly=months"), 2024, 2024)
    assert len(months) == 12 and months[1].label == "2024-02" and months[1].end.day == 29


@pytest.mark.parametrize(
    "text, fragment",
    [
        pytest.param("summer", "expected NAME=", id="no-rule"),
        pytest.param("summer=06-01-09-30", "not MM-DD..MM-DD nor months", id="bad-rule"),
        pytest.param("summer=06-31..09-30", "06-31 is not a day", id="bad-day"),
        pytest.param("Summer=06-01..09-30", "is not lowercase letters", id="bad-name"),
        pytest.param("x=06-01..06-01", "a single day", id="one-day"),
    ],
)
def test_bad_period_specs_are_one_line(text, fragment):
    with pytest.raises(TimelapseError, match=fragment):
        parse_period_spec(text)


# -- the plan --------------------------------------------------------------------------------
def test_plan_composite_first_then_clearest_scene_then_gaps(tmp_path):
    plans = _plans(make_bucket(tmp_path))
    assert [p.kind for p in plans] == ["scene", "gap", "gap", "scene", "scene", "composite"]
    assert plans[0].sources[0].start == dt.date(2014, 7, 10)  # 90 % clear beats 50 %
    assert plans[1].note == "no scene"
    assert plans[2].note == "no clear scene (best 10% clear)"
    assert frame_detail(plans[0]) == "scene 2014-07-10, 90% clear"
    assert frame_detail(plans[5]) == "composite of 7 scenes, median 5 clear obs."
    assert frame_detail(plans[2]) == "no clear scene (best 10% clear)"


def test_without_the_projects_clear_fraction_the_cloud_cover_decides(tmp_path):
    publish_scene(tmp_path, "2020-07-01", clear_fraction=None, cloud_cover=70)
    publish_scene(tmp_path, "2020-08-01", clear_fraction=None, cloud_cover=15)
    scenes = read_items(open_store(tmp_path), ["published/226/010"], "scene")
    (plan,) = plan_frames(periods_between(SUMMER, 2020, 2020), scenes)
    assert frame_detail(plan) == "scene 2020-08-01, 85% clear"


def test_periods_without_any_item_are_bad_input(tmp_path):
    publish_scene(tmp_path, "2020-07-01")
    scenes = read_items(open_store(tmp_path), ["published/226/010"], "scene")
    winter = parse_period_spec("winter=12-01..02-28")
    with pytest.raises(TimelapseError, match="no published scene or composite in any period"):
        plan_frames(periods_between(winter, 2019, 2020), scenes)


# -- the grid, the scale and north ----------------------------------------------------------
def test_north_arrow_points_to_the_pole_in_polar_stereographic():
    # EPSG:3413 (central meridian -45): true north at any point is the direction of the pole,
    # the origin of the projection; Scoresby Sund lies east of -45, so north leans left.
    x, y = 793_000.0, -1_943_000.0
    grid = Grid("EPSG:3413", (60.0, 0, x - 60 * 256, 0, -60.0, y + 60 * 256), 512, 512)
    to_pole = math.degrees(math.atan2(-x, -y))  # clockwise from up (+y) to (0 - x, 0 - y)
    assert north_angle(grid) == pytest.approx(to_pole, abs=0.05)
    assert north_angle(grid) == pytest.approx(-22.2, abs=0.3)
    # On a UTM zone's central meridian, grid north is true north.
    utm = Grid("EPSG:32627", (30.0, 0, 500_000 - 30 * 50, 0, -30.0, 7_860_000), 100, 100)
    assert north_angle(utm) == pytest.approx(0.0, abs=0.01)
    # A pixel's ground size: UTM's scale factor at the central meridian is 0.9996.
    assert ground_metres_per_pixel(utm) == pytest.approx(30 / 0.9996, rel=2e-4)


def test_scale_bar_lengths_are_round():
    assert [nice_length(m) for m in (4800, 999, 1000, 23_000, 0.7)] == [
        2000,
        500,
        1000,
        20_000,
        0.5,
    ]


# -- the time-lapse --------------------------------------------------------------------------
def test_one_frame_per_period_in_the_mp4_and_the_webp(built):
    root, result, item = built
    files = {Path(uri).name: Path(uri) for uri in result.files.values()}
    assert set(files) == {
        f"{NAME}_{v}.{e}" for v in ("truecolor", "falsecolor") for e in ("mp4", "webp")
    } | {f"{NAME}_thumbnail.png"}
    assert result.frames == 6 and result.gaps == 2
    grid = result.grid
    assert max(grid.width, grid.height) == SIZE and grid.width % 2 == 0 and grid.height % 2 == 0
    for variant in ("truecolor", "falsecolor"):
        meta, frames = decode_mp4(files[f"{NAME}_{variant}.mp4"])
        assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p")
        assert meta["fps"] == 1.0 and meta["size"] == (grid.width, grid.height)
        assert len(frames) == 6
        durations, webp = decode_webp(files[f"{NAME}_{variant}.webp"])
        assert len(webp) == 6 and set(durations) == {1000}
        assert {f.shape for f in webp} == {(grid.height, grid.width, 3)}
    kinds = [f["kind"] for f in item["properties"]["landsat_ops:timelapse"]["frames"]]
    assert kinds == ["scene", "gap", "gap", "scene", "scene", "composite"]
    assert not set_problems(open_store(Path(result.item_uri).parent), f"{NAME}.json")


def test_every_frame_on_one_grid(built):
    """The marker lies at one place on the ground: one pixel in every frame with data, though
    the sources have three grids (a shifted origin, another UTM zone)."""
    _, result, _ = built
    for suffix, decode in (("truecolor.mp4", decode_mp4), ("truecolor.webp", decode_webp)):
        path = next(Path(u) for u in result.files.values() if u.endswith(suffix))
        frames = decode(path)[1]
        centres = [mark_centroid(frames[i]) for i in (0, 3, 4, 5)]
        assert None not in centres, suffix
        cols, rows = zip(*centres, strict=True)
        assert max(cols) - min(cols) < 1.0 and max(rows) - min(rows) < 1.0, centres
        # And where the grid says it is.
        from tests.support.timelapse import MARK

        col, row = ~result.grid.affine @ MARK
        assert abs(cols[0] - col) < 1.0 and abs(rows[0] - row) < 1.0


def test_gap_frames_and_false_colour_ice(built):
    _, result, _ = built
    _, frames = decode_mp4(
        next(Path(u) for u in result.files.values() if u.endswith("or.mp4") and "falsecolor" in u)
    )
    for gap in (frames[1], frames[2]):  # 2015, 2016: the frame's middle is the gap colour
        h, w = gap.shape[:2]
        middle = gap[h // 4 : h // 3, w // 4 : 3 * w // 4].astype(int)
        assert np.abs(middle - np.array(GAP_COLOUR)).max() <= 6
    r, g, b = (frames[0][..., i].astype(int) for i in range(3))
    cyan = (r < 90) & (g > 180) & (b > 180)
    assert cyan.mean() > 0.05  # the ice field, cyan in false colour


def _box(frame: np.ndarray) -> np.ndarray:
    left, top, right, bottom = label_box(frame.shape[1], frame.shape[0])
    return frame[top:bottom, left:right].astype(float)


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(_box(a) - _box(b)).mean())


def test_the_frames_carry_their_labels(built):
    """Each decoded frame's label box matches the same pixels drawn with its own label, and not
    with another label, nor without one (so a missing or wrong label fails)."""
    root, result, _ = built
    grid, plans = result.grid, _plans(root)
    metres, north = ground_metres_per_pixel(grid), north_angle(grid)
    for suffix, decode in (("truecolor.mp4", decode_mp4), ("truecolor.webp", decode_webp)):
        path = next(Path(u) for u in result.files.values() if u.endswith(suffix))
        frames = decode(path)[1]
        for frame, plan in zip(frames, plans, strict=True):
            if plan.kind == "gap":
                raw = gap_frame(grid)
            else:
                raw = warp_sources([s.assets["truecolor"] for s in plan.sources], grid)
            gap = plan.kind == "gap"
            own = annotate(raw, Overlay(plan.period.title, frame_detail(plan), metres, north, gap))
            other = annotate(
                raw, Overlay("2031 winter", "scene 2031-01-01, 1% clear", metres, north, gap)
            )
            same, wrong, bare = _diff(frame, own), _diff(frame, other), _diff(frame, raw)
            assert same < 4.0, (suffix, plan.period.label, same)
            assert wrong > 2 * same + 1.5, (suffix, plan.period.label, same, wrong)
            assert bare > 3 * same + 5, (suffix, plan.period.label, same, bare)


def test_the_same_inputs_publish_nothing_new(built, tmp_path):
    root, result, _ = built
    before = sorted(p.relative_to(root) for p in (root / OUT).rglob("*") if p.is_file())
    again = _make(root)
    after = sorted(p.relative_to(root) for p in (root / OUT).rglob("*") if p.is_file())
    assert after == before and again.files == result.files


def test_the_page_plays_what_the_item_names(built):
    root, result, item = built
    page = Path(result.page_uri).read_text()
    folder = Path(result.page_uri).parent
    for key in ("truecolor_mp4", "falsecolor_mp4", "truecolor_webp", "falsecolor_webp"):
        href = item["assets"][key]["href"]
        assert f'"{href}"' in page and (folder / href).is_file()
    assert page.count("<video controls") == 2 and 'type="video/mp4"' in page
    assert "2015 summer" in page and "no clear scene (best 10% clear)" in page


# -- the command -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "extra, fragment",
    [
        pytest.param(["--crs", "EPSG:999999"], "not a coordinate reference system", id="bad-crs"),
        pytest.param(["--crs", "EPSG:4326"], "not projected", id="geographic-crs"),
        pytest.param(
            ["--period", "winter=12-01..02-28"],
            "no published scene or composite",
            id="period-without-scenes",
        ),
        pytest.param(["--period", "winter"], "expected NAME=", id="bad-period"),
        pytest.param(["--scenes", "published/999/999"], "no STAC item", id="no-items"),
        pytest.param(["--years", "2020-2019"], "FIRST <= LAST", id="bad-years"),
    ],
)
def test_bad_input_is_one_line_and_publishes_nothing(tmp_path, capsys, extra, fragment):
    publish_scene(tmp_path, "2020-07-01")
    scenes = [] if "--scenes" in extra else ["--scenes", "published/226/010"]
    code, out, err = run(
        capsys, "timelapse", tmp_path, *scenes, *extra, "--out", OUT, "--name", NAME, "--size", 64
    )
    assert code == 2, err
    assert_one_line_error(err, fragment)
    assert not (tmp_path / OUT).exists()


def test_the_command_prints_the_item(tmp_path, capsys):
    publish_scene(tmp_path, "2020-07-01")
    code, out, err = run(
        capsys,
        "timelapse",
        tmp_path,
        "--scenes",
        "published/226/010",
        "--out",
        OUT,
        "--name",
        NAME,
        "--size",
        64,
        "--years",
        "2019-2020",
    )
    assert code == 0, err
    assert out.strip() == str(tmp_path / OUT / f"{NAME}.json")
    assert "2 frames (1 gaps)" in err


def test_an_area_mosaics_the_clearest_scene_of_each_path_row_in_its_crs(tmp_path):
    """Two path/rows side by side, each with its clearest scene of the summer, one frame in
    EPSG:3413: both scenes' ground is in it, the label names both."""
    publish_scene(tmp_path, "2020-07-01", clear_fraction=0.9)
    publish_scene(tmp_path, "2020-07-20", clear_fraction=0.4)
    publish_scene(
        tmp_path,
        "2020-07-09",
        clear_fraction=0.7,
        path=227,
        origin=(ORIGIN[0] + 400 * 30, ORIGIN[1]),
    )
    result = make_timelapse(
        open_store(tmp_path),
        name="area_summer",
        spec=SUMMER,
        out_prefix="published/timelapse/area",
        scene_prefixes=["published/226/010", "published/227/010"],
        crs="EPSG:3413",
        size=SIZE,
    )
    item = json.loads(Path(result.item_uri).read_text())
    (frame,) = item["properties"]["landsat_ops:timelapse"]["frames"]
    assert frame["detail"] == "2 scenes 2020-07-01..07-09, 80% clear"
    assert [s["start"] for s in frame["sources"]] == ["2020-07-01", "2020-07-09"]
    assert result.grid.crs == "EPSG:3413"
    _, (pixels,) = decode_mp4(
        next(Path(u) for u in result.files.values() if u.endswith("or.mp4") and "truecolor" in u)
    )
    # Ground of the first path/row only, of the second only, and of neither.
    from rasterio.warp import transform

    xs = [ORIGIN[0] + 100 * 30, ORIGIN[0] + 800 * 30, ORIGIN[0] + 800 * 30]
    ys = [ORIGIN[1] - 250 * 30, ORIGIN[1] - 250 * 30, ORIGIN[1] + 100 * 30]
    px, py = transform("EPSG:32627", "EPSG:3413", xs, ys)
    seen = []
    for x, y in zip(px, py, strict=True):
        col, row = ~result.grid.affine @ (x, y)
        seen.append(int(pixels[int(row), int(col)].max()))
    assert seen[0] > 30 and seen[1] > 30 and seen[2] < 15, seen
    assert mark_centroid(pixels) is not None
