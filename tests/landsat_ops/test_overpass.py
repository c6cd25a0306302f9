"""Tests for landsat_ops.overpass against every recorded real Landsat acquisition.

The ground truth is the shared test data (``shared/data/landsat``, README section 7): the
STAC items' ``datetime`` (UTC) with their WRS path/row, and the MTL files' DATE_ACQUIRED +
SCENE_CENTER_TIME with WRS_PATH/WRS_ROW.
"""

from __future__ import annotations

import datetime
import gzip
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from landsat_ops.errors import OptionError
from landsat_ops.overpass import (
    LANDSAT8_START,
    REPEAT_DAYS,
    TIMING_TOLERANCE,
    overpass_dates,
    overpass_datetime,
    overpass_datetimes,
    validate_path_row,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "landsat"
UTC = datetime.UTC
DAY = datetime.timedelta(days=1)


def _load_json(path: Path) -> dict:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as stream:
        return json.load(stream)


def _stac_records() -> list[tuple[str, int, int, int, datetime.datetime, bool]]:
    """(id, satellite, path, row, UTC datetime, has a real time) for every Landsat STAC item."""
    records = []
    for path in sorted((DATA / "stac").glob("*.json*")):
        body = _load_json(path)
        features = body.get("features", [body] if "properties" in body else [])
        for feature in features:
            props = feature["properties"]
            platform = str(props.get("platform") or props.get("eo:platform") or props.get("c:id"))
            match = re.search(r"landsat[-_ ]?([89])", platform, re.IGNORECASE)
            wrs_path = props.get(
                "landsat:wrs_path", props.get("landsat:path", props.get("eo:column"))
            )
            wrs_row = props.get("landsat:wrs_row", props.get("landsat:row", props.get("eo:row")))
            if match is None or wrs_path is None or wrs_row is None:
                continue  # Sentinel-2, or a catalogue without items
            when = datetime.datetime.fromisoformat(props["datetime"].replace("Z", "+00:00"))
            # One early USGS item carries the acquisition date only (midnight, no time).
            has_time = when.timetz() != datetime.time(tzinfo=when.tzinfo)
            item_id = feature.get("id") or props["id"]
            records.append(
                (
                    item_id,
                    int(match[1]),
                    int(wrs_path),
                    int(wrs_row),
                    when.astimezone(UTC),
                    has_time,
                )
            )
    return records


def _mtl_fields(path: Path) -> dict[str, str]:
    if path.suffix == ".txt":
        text = path.read_text(encoding="utf-8")
        return dict(re.findall(r'^\s*(\w+) = "?([^"\n]*?)"?\s*$', text, re.MULTILINE))
    fields: dict[str, str] = {}
    if path.suffix == ".json":
        stack = [_load_json(path)]
        while stack:
            for key, value in stack.pop().items():
                if isinstance(value, dict):
                    stack.append(value)
                else:
                    fields.setdefault(key, str(value))
    else:
        for element in ET.parse(path).iter():
            if element.text and element.text.strip():
                fields.setdefault(element.tag, element.text.strip())
    return fields


def _mtl_records() -> list[tuple[str, int, int, int, datetime.datetime, bool]]:
    records = []
    mtl_files = sorted(DATA.glob("mtl/*/*_MTL.*")) + sorted(DATA.glob("rasters/*/*_MTL.*"))
    for path in mtl_files:
        fields = _mtl_fields(path)
        satellite = int(fields["SPACECRAFT_ID"].removeprefix("LANDSAT_"))
        clock = fields["SCENE_CENTER_TIME"].rstrip("Z")[:15]  # microseconds at most
        when = datetime.datetime.fromisoformat(f"{fields['DATE_ACQUIRED']}T{clock}+00:00")
        records.append(
            (path.name, satellite, int(fields["WRS_PATH"]), int(fields["WRS_ROW"]), when, True)
        )
    return records


RECORDS = _stac_records() + _mtl_records()


def _params(satellite: int) -> list:
    return [
        pytest.param(path, row, when, has_time, id=record_id)
        for record_id, sat, path, row, when, has_time in RECORDS
        if sat == satellite
    ]


def test_ground_truth_is_all_there():
    """Guard the parametrisation below: the recorded data must not silently shrink."""
    if not DATA.is_dir():
        pytest.skip(f"real Landsat test data not found at {DATA} (../shared/data/landsat)")
    landsat8 = [r for r in RECORDS if r[1] == 8]
    assert len(landsat8) == 530
    assert {(r[2], r[3]) for r in landsat8} >= {
        (196, 23), (197, 22), (197, 23), (198, 22), (198, 23), (66, 91), (67, 91),
        (33, 32), (47, 27), (169, 221), (169, 110), (183, 23),
    }  # fmt: skip
    assert len([r for r in RECORDS if r[1] == 9]) == 11


@pytest.mark.parametrize(("path", "row", "when", "has_time"), _params(8))
def test_every_recorded_landsat8_acquisition_is_predicted(path, row, when, has_time):
    day = when.date()
    predicted = overpass_datetimes(path, row, day - 20 * DAY, day + 20 * DAY)
    assert day in [at.date() for at in predicted]
    assert [d for d in overpass_dates(path, row, day - 8 * DAY, day + 8 * DAY)] == [day]
    if has_time:
        (nearest,) = [at for at in predicted if at.date() == day]
        assert abs(nearest - when) <= TIMING_TOLERANCE


@pytest.mark.parametrize(("path", "row", "when", "has_time"), _params(9))
def test_every_recorded_landsat9_acquisition_is_predicted(path, row, when, has_time):
    day = when.date()
    assert overpass_dates(path, row, day - 8 * DAY, day + 8 * DAY, satellite=9) == [day]
    at = overpass_datetime(path, row, when - TIMING_TOLERANCE, satellite=9)
    assert abs(at - when) <= TIMING_TOLERANCE


def test_scoresby_sund_scene_226_010():
    """LC82260102014232LGN00: path 226 row 10, 2014 day 232 = 2014-08-20."""
    assert datetime.date(2014, 1, 1) + 231 * DAY == datetime.date(2014, 8, 20)
    assert overpass_dates(226, 10, datetime.date(2014, 8, 1), datetime.date(2014, 9, 30)) == [
        datetime.date(2014, 8, 4),
        datetime.date(2014, 8, 20),
        datetime.date(2014, 9, 5),
        datetime.date(2014, 9, 21),
    ]


def test_pensacola_scene_020_039():
    """LC80200392015216LGN00: path 20 row 39, 2015 day 216 = 2015-08-04."""
    assert overpass_dates(20, 39, datetime.date(2015, 7, 27), datetime.date(2015, 8, 11)) == [
        datetime.date(2015, 8, 4)
    ]


def test_night_row_is_the_same_orbit_later_than_its_day_row():
    """LC81691102019263 (row 110) and LC81692212019263 (row 221) came 44 minutes apart."""
    start = datetime.datetime(2019, 9, 20, tzinfo=UTC)
    descending = overpass_datetime(169, 110, start)
    ascending = overpass_datetime(169, 221, start)
    assert descending.date() == ascending.date() == datetime.date(2019, 9, 20)
    assert (ascending - descending).total_seconds() == pytest.approx(111 * 23.9236, abs=1)


def test_acquisitions_are_utc_and_one_cycle_apart():
    found = overpass_datetimes(226, 10, LANDSAT8_START, datetime.date(2026, 12, 31))
    assert (found[0].date(), found[-1].date()) == (LANDSAT8_START, datetime.date(2026, 12, 27))
    assert all(at.tzinfo is not None and at.utcoffset() == datetime.timedelta(0) for at in found)
    assert {b - a for a, b in zip(found, found[1:], strict=False)} == {REPEAT_DAYS * DAY}
    assert len(found) == 314


def test_adjacent_paths_are_seven_days_and_six_minutes_apart():
    """Path p + 1 is flown 102 orbits (7 days + 1/233 day) after path p."""
    east = overpass_datetime(100, 60, datetime.datetime(2020, 1, 1, tzinfo=UTC))
    west = overpass_datetime(101, 60, east)
    assert abs((west - east) - (7 * DAY + DAY / 233)) < datetime.timedelta(milliseconds=1)


def test_overpass_datetime_is_inclusive_of_the_instant():
    at = overpass_datetime(47, 27, datetime.datetime(2020, 12, 1, tzinfo=UTC))
    assert overpass_datetime(47, 27, at) == at
    assert overpass_datetime(47, 27, at + datetime.timedelta(microseconds=1)) == at + 16 * DAY
    assert overpass_datetime(47, 27, at - 16 * DAY + datetime.timedelta(seconds=1)) == at


def test_overpass_datetime_accepts_any_timezone():
    utc = overpass_datetime(47, 27, datetime.datetime(2020, 12, 1, tzinfo=UTC))
    eastern = datetime.timezone(datetime.timedelta(hours=-5))
    assert overpass_datetime(47, 27, datetime.datetime(2020, 11, 30, 19, tzinfo=eastern)) == utc


def test_overpass_datetime_accepts_pendulum_datetimes():
    """Airflow hands timetables pendulum DateTimes, whose subtraction returns an Interval."""
    pendulum = pytest.importorskip("pendulum")
    plain = overpass_datetime(47, 27, datetime.datetime(2020, 12, 1, tzinfo=UTC))
    at = overpass_datetime(47, 27, pendulum.datetime(2020, 12, 1, tz="UTC"))
    assert at == plain
    assert type(at) is datetime.datetime


def test_date_range_is_inclusive_at_both_ends():
    day = datetime.date(2014, 8, 20)
    assert overpass_dates(226, 10, day, day) == [day]
    assert overpass_dates(226, 10, day + DAY, day + 15 * DAY) == []
    assert overpass_dates(226, 10, day + DAY, day - DAY) == []


def test_dates_before_launch_are_given_when_asked():
    """The functions take any start; only the CLI's default start is LANDSAT8_START."""
    assert overpass_dates(226, 10, datetime.date(2013, 1, 1), datetime.date(2013, 1, 31)) == [
        datetime.date(2013, 1, 5),
        datetime.date(2013, 1, 21),
    ]


def test_utc_date_differs_from_local_date_near_the_antimeridian():
    """Chatham Islands (176.5 W) at ~10:10 local time is 21:2x UTC on the previous day."""
    at = overpass_datetime(66, 91, datetime.datetime(2022, 3, 18, tzinfo=UTC))
    assert at.date() == datetime.date(2022, 3, 18)
    assert datetime.time(21, 20) < at.time() < datetime.time(21, 30)


@pytest.mark.parametrize(
    ("path", "row", "named"),
    [
        pytest.param(0, 10, "path", id="path-0"),
        pytest.param(234, 10, "path", id="path-234"),
        pytest.param(-1, 10, "path", id="path-negative"),
        pytest.param("226", 10, "path", id="path-str"),
        pytest.param(2.5, 10, "path", id="path-float"),
        pytest.param(True, 10, "path", id="path-bool"),
        pytest.param(226, 0, "row", id="row-0"),
        pytest.param(226, 249, "row", id="row-249"),
        pytest.param(226, None, "row", id="row-none"),
    ],
)
def test_invalid_path_or_row_is_an_option_error(path, row, named):
    bad = path if named == "path" else row
    with pytest.raises(OptionError, match=rf"WRS-2 {named} .*{re.escape(repr(bad))}"):
        validate_path_row(path, row)
    with pytest.raises(OptionError, match=f"WRS-2 {named}"):
        overpass_dates(path, row, LANDSAT8_START, LANDSAT8_START + 40 * DAY)


def test_valid_extremes_pass():
    validate_path_row(1, 1)
    validate_path_row(233, 248)


def test_naive_instant_is_an_option_error():
    with pytest.raises(OptionError, match="timezone-aware"):
        overpass_datetime(226, 10, datetime.datetime(2014, 8, 20))


def test_unknown_satellite_is_an_option_error():
    with pytest.raises(OptionError, match="satellite must be 8 or 9.*7"):
        overpass_dates(226, 10, LANDSAT8_START, LANDSAT8_START, satellite=7)


def test_landsat9_flies_eight_days_after_landsat8():
    start = datetime.datetime(2022, 6, 1, tzinfo=UTC)
    l8 = overpass_datetime(84, 82, start)
    l9 = overpass_datetime(84, 82, start, satellite=9)
    assert abs(l9 - l8) == 8 * DAY


# -- Landsat 8 and 9 together: the DAGs' schedule, and `landsat-ops overpasses` -----------------
def test_acquisitions_of_both_satellites_alternate_eight_days_apart():
    from landsat_ops.overpass import acquisitions

    found = acquisitions(84, 82, datetime.date(2025, 7, 1), datetime.date(2025, 8, 31))
    # Recorded: LC09 084/082 on 2025-07-22; LC08 on 07-14 and 07-30 (docs, STACK-NOTES).
    by_day = {a.date: a.platform for a in found}
    assert by_day[datetime.date(2025, 7, 22)] == "landsat-9"
    assert by_day[datetime.date(2025, 7, 14)] == by_day[datetime.date(2025, 7, 30)] == "landsat-8"
    assert {(b.at - a.at).days for a, b in zip(found, found[1:], strict=False)} == {8}
    assert [a.satellite for a in found[:4]] in ([8, 9, 8, 9], [9, 8, 9, 8])
    assert acquisitions(
        84, 82, datetime.date(2025, 7, 1), datetime.date(2025, 8, 31), satellites=[8]
    ) == [a for a in found if a.satellite == 8]


def test_landsat9_counts_from_its_first_archived_acquisition():
    from landsat_ops.overpass import LANDSAT9_START, acquisitions

    found = acquisitions(226, 10, datetime.date(2021, 6, 1), datetime.date(2022, 1, 31))
    l9 = [a.date for a in found if a.satellite == 9]
    assert l9 and min(l9) >= LANDSAT9_START and min(l9) - LANDSAT9_START < 16 * DAY
    assert [a.date for a in found if a.satellite == 8] == overpass_dates(
        226, 10, datetime.date(2021, 6, 1), datetime.date(2022, 1, 31)
    )
    assert (
        acquisitions(
            226, 10, datetime.date(2020, 1, 1), datetime.date(2020, 12, 31), satellites=[9]
        )
        == []
    )


def test_next_and_last_acquisition_agree_with_the_list():
    from landsat_ops.overpass import acquisitions, last_acquisition, next_acquisition

    start, end = datetime.date(2021, 10, 1), datetime.date(2022, 3, 1)
    found = acquisitions(84, 82, start, end)
    day = start
    while day <= end - 16 * DAY:
        assert next_acquisition(84, 82, day) == next(a for a in found if a.date >= day)
        before = [a for a in found if a.date <= day]
        if before:
            assert last_acquisition(84, 82, day) == before[-1]
        day += DAY
    assert last_acquisition(84, 82, datetime.date(2013, 4, 1)) is None  # before Landsat 8
    with pytest.raises(OptionError, match="satellite must be 8 or 9"):
        next_acquisition(84, 82, start, satellites=[7])
    with pytest.raises(OptionError, match="at least one"):
        acquisitions(84, 82, start, end, satellites=[])


def overpasses_cli(capsys, start: str, end: str, *more) -> tuple[int, list[str]]:
    """``landsat-ops overpasses`` of 226/010 in this process: exit code and stdout lines."""
    from tests.support.cli_helpers import run

    args = ("overpasses", "--path", 226, "--row", 10, "--start", start, "--end", end, *more)
    code, stdout, _ = run(capsys, *args)
    return code, stdout.splitlines()


def test_cli_lists_both_satellites_by_default_each_line_naming_it(capsys):
    from landsat_ops.overpass import acquisitions

    code, lines = overpasses_cli(capsys, "2024-06-01", "2024-07-31")
    assert code == 0
    assert lines == [
        "2024-06-04 landsat-9",
        "2024-06-12 landsat-8",
        "2024-06-20 landsat-9",
        "2024-06-28 landsat-8",
        "2024-07-06 landsat-9",
        "2024-07-14 landsat-8",
        "2024-07-22 landsat-9",
        "2024-07-30 landsat-8",
    ]
    assert overpasses_cli(capsys, "2024-06-01", "2024-07-31", "--satellites", "8,9")[1] == lines
    expected = acquisitions(226, 10, datetime.date(2024, 6, 1), datetime.date(2024, 7, 31))
    assert lines == [f"{a.date} {a.platform}" for a in expected]
    code, only_9 = overpasses_cli(capsys, "2024-06-01", "2024-07-31", "--satellites", "9")
    assert code == 0 and only_9 == [line for line in lines if "-9" in line]


def test_cli_before_landsat9_lists_landsat8_only(capsys):
    code, lines = overpasses_cli(capsys, "2014-08-01", "2014-09-30")
    assert code == 0
    assert lines == [
        "2014-08-04 landsat-8",
        "2014-08-20 landsat-8",
        "2014-09-05 landsat-8",
        "2014-09-21 landsat-8",
    ]


def test_cli_refuses_a_path_out_of_range_in_one_line(capsys):
    from tests.support.cli_helpers import assert_one_line_error, run

    code, _, err = run(capsys, "overpasses", "--path", 300, "--row", 10)
    assert code == 2
    assert_one_line_error(err, "--path", "300")


@pytest.mark.parametrize("value", ["7", "8,x", "", "8,10"])
def test_cli_refuses_other_satellites_in_one_line(capsys, value):
    from tests.support.cli_helpers import assert_one_line_error, run

    code, stdout, err = run(capsys, "overpasses", "--path", 226, "--row", 10, "--satellites", value)
    assert code == 2 and stdout == ""
    assert_one_line_error(err, "--satellites", "8, 9")
