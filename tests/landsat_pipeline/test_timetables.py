"""Tests for the WRS-2 overpass timetable (landsat_pipeline/timetables.py) and its plugin.

No database is needed: the timetable is exercised directly, through Airflow's DAG
serialization, and through the function ``airflow backfill create`` uses to list its runs.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.airflow_home import use_private_home  # noqa: E402

use_private_home()  # before the first Airflow import

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"

import datetime  # noqa: E402
import shutil  # noqa: E402

import pendulum  # noqa: E402
import pytest  # noqa: E402
from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction  # noqa: E402

from landsat_ops.errors import OptionError  # noqa: E402
from landsat_ops.overpass import LANDSAT8_START, overpass_dates  # noqa: E402
from landsat_pipeline import timetables as wrs2  # noqa: E402
from landsat_pipeline.timetables import WRS2OverpassTimetable  # noqa: E402

DAY = datetime.timedelta(days=1)


def utc(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="UTC")


def day_run(year: int, month: int, day: int, delay=datetime.timedelta(0)) -> DagRunInfo:
    start = utc(year, month, day)
    return DagRunInfo(run_after=start + DAY + delay, data_interval=DataInterval(start, start + DAY))


def logical_days(infos) -> list[datetime.date]:
    return [info.logical_date.date() for info in infos]


@pytest.fixture
def frozen_now(monkeypatch):
    """Stop the timetable's clock at a given UTC instant."""

    def freeze(now: pendulum.DateTime) -> None:
        monkeypatch.setattr(wrs2, "_utcnow", lambda: now)

    return freeze


# 226/010 (Scoresby Sund) is imaged at ~13:21 UTC on ... 2014-08-04, 2014-08-20, 2014-09-05 ...
SCORESBY = WRS2OverpassTimetable(226, 10)


def test_first_run_is_the_first_overpass_on_or_after_start_date():
    info = SCORESBY.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=utc(2014, 8, 1), latest=None, catchup=True),
    )
    assert info == day_run(2014, 8, 4)
    assert info.logical_date == utc(2014, 8, 4)


def test_start_date_on_an_overpass_day_includes_that_day():
    info = SCORESBY.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=utc(2014, 8, 20), latest=None, catchup=True),
    )
    assert info == day_run(2014, 8, 20)


def test_start_date_after_midnight_starts_with_the_next_whole_day():
    """logical_date (the UTC midnight) must not precede start_date, as for cron timetables."""
    info = SCORESBY.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=utc(2014, 8, 20, 12), latest=None, catchup=True),
    )
    assert info == day_run(2014, 9, 5)


def test_subsequent_runs_follow_every_16_days():
    restriction = TimeRestriction(earliest=utc(2014, 8, 1), latest=None, catchup=True)
    info = SCORESBY.next_dagrun_info(
        last_automated_data_interval=day_run(2014, 8, 4).data_interval, restriction=restriction
    )
    assert info == day_run(2014, 8, 20)
    info = SCORESBY.next_dagrun_info(
        last_automated_data_interval=info.data_interval, restriction=restriction
    )
    assert info == day_run(2014, 9, 5)


def test_availability_delay_postpones_run_after_only():
    timetable = WRS2OverpassTimetable(226, 10, availability_delay=datetime.timedelta(hours=30))
    info = timetable.next_dagrun_info(
        last_automated_data_interval=day_run(2014, 8, 4).data_interval,
        restriction=TimeRestriction(earliest=utc(2014, 8, 1), latest=None, catchup=True),
    )
    assert info == day_run(2014, 8, 20, delay=datetime.timedelta(hours=30))
    assert info.run_after == utc(2014, 8, 22, 6)


def test_without_start_date_and_with_catchup_nothing_is_scheduled():
    restriction = TimeRestriction(earliest=None, latest=None, catchup=True)
    assert (
        SCORESBY.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
        is None
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(utc(2014, 8, 21), (2014, 8, 20), id="just-after-the-overpass-day"),
        pytest.param(utc(2014, 9, 4, 23), (2014, 8, 20), id="a-day-before-the-next"),
        pytest.param(utc(2014, 8, 20, 23, 59), (2014, 8, 4), id="overpass-day-not-over"),
    ],
)
def test_no_catchup_starts_from_the_latest_complete_overpass(frozen_now, now, expected):
    frozen_now(now)
    restriction = TimeRestriction(earliest=utc(2013, 4, 11), latest=None, catchup=False)
    first = SCORESBY.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert first == day_run(*expected)
    # An old last run does not drag the schedule back either.
    after_old = SCORESBY.next_dagrun_info(
        last_automated_data_interval=day_run(2013, 4, 11).data_interval, restriction=restriction
    )
    assert after_old == day_run(*expected)


def test_no_catchup_still_honours_a_later_start_date(frozen_now):
    frozen_now(utc(2014, 8, 21))
    restriction = TimeRestriction(earliest=utc(2014, 9, 1), latest=None, catchup=False)
    info = SCORESBY.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert info == day_run(2014, 9, 5)


def test_no_catchup_continues_normally_after_a_recent_run(frozen_now):
    frozen_now(utc(2014, 8, 25))
    restriction = TimeRestriction(earliest=utc(2013, 4, 11), latest=None, catchup=False)
    info = SCORESBY.next_dagrun_info(
        last_automated_data_interval=day_run(2014, 8, 20).data_interval, restriction=restriction
    )
    assert info == day_run(2014, 9, 5)


@pytest.mark.parametrize(
    ("latest", "expected"),
    [
        pytest.param(utc(2014, 8, 20), day_run(2014, 8, 20), id="latest-is-the-logical-date"),
        pytest.param(utc(2014, 8, 30), day_run(2014, 8, 20), id="latest-after-it"),
        pytest.param(utc(2014, 8, 19, 23, 59), None, id="latest-before-it"),
    ],
)
def test_latest_restriction_is_inclusive_on_the_logical_date(latest, expected):
    info = SCORESBY.next_dagrun_info(
        last_automated_data_interval=day_run(2014, 8, 4).data_interval,
        restriction=TimeRestriction(earliest=utc(2014, 8, 1), latest=latest, catchup=True),
    )
    assert info == expected


@pytest.mark.parametrize(
    ("run_after", "expected"),
    [
        pytest.param(utc(2014, 8, 20, 14), (2014, 8, 20), id="after-the-overpass-that-day"),
        pytest.param(utc(2014, 8, 20, 10), (2014, 8, 20), id="before-the-overpass-that-day"),
        pytest.param(utc(2014, 8, 20), (2014, 8, 20), id="midnight-of-an-overpass-day"),
        pytest.param(utc(2014, 8, 19, 23, 59), (2014, 8, 4), id="the-day-before"),
        pytest.param(utc(2014, 9, 1), (2014, 8, 20), id="between-overpasses"),
        pytest.param(utc(2014, 9, 5, 23, 59), (2014, 9, 5), id="late-on-an-overpass-day"),
    ],
)
def test_manual_run_gets_the_overpass_day_of_its_date(run_after, expected):
    interval = SCORESBY.infer_manual_data_interval(run_after=run_after)
    assert interval == day_run(*expected).data_interval


def test_runs_agree_with_overpass_dates_over_the_mission():
    restriction = TimeRestriction(earliest=utc(2013, 4, 11), latest=utc(2026, 12, 31), catchup=True)
    infos, last = [], None
    while info := SCORESBY.next_dagrun_info(
        last_automated_data_interval=last, restriction=restriction
    ):
        infos.append(info)
        last = info.data_interval
    expected = overpass_dates(226, 10, LANDSAT8_START, datetime.date(2026, 12, 31))
    assert logical_days(infos) == expected
    assert len(infos) == 314
    assert all(i.data_interval.end - i.data_interval.start == DAY for i in infos)


def test_serialize_is_plain_json():
    timetable = WRS2OverpassTimetable(226, 10, availability_delay=datetime.timedelta(hours=6))
    # "satellites" since Landsat 9 (issue 10); a dict without it deserializes as Landsat 8.
    assert timetable.serialize() == {
        "path": 226,
        "row": 10,
        "availability_delay": 21600.0,
        "satellites": [8],
    }


def test_deserialize_round_trip():
    timetable = WRS2OverpassTimetable(66, 91, availability_delay=datetime.timedelta(days=2))
    again = WRS2OverpassTimetable.deserialize(timetable.serialize())
    assert again == timetable
    assert again.availability_delay == datetime.timedelta(days=2)
    assert again != WRS2OverpassTimetable(66, 91)


def test_summary_and_description():
    assert SCORESBY.summary == "WRS-2 226/010 every 16 days"
    assert "path 226 row 10" in SCORESBY.description
    assert "13:21 UTC" in SCORESBY.description
    assert SCORESBY.periodic and SCORESBY.can_be_scheduled


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        pytest.param((234, 10), {}, OptionError, "path .*234", id="path"),
        pytest.param((226, 0), {}, OptionError, "row .*0", id="row"),
        pytest.param(
            (226, 10),
            {"availability_delay": datetime.timedelta(hours=-1)},
            ValueError,
            "availability_delay",
            id="negative-delay",
        ),
        pytest.param((226, 10), {"availability_delay": 3600}, ValueError, "timedelta", id="int"),
    ],
)
def test_invalid_arguments_fail_when_the_dag_is_parsed(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        WRS2OverpassTimetable(*args, **kwargs)


# --- Through Airflow: plugin registration, DAG serialization, backfill ------------------------


@pytest.fixture
def registered_timetables(tmp_path, monkeypatch):
    """Load the plugin file the way Airflow loads the plugins folder; register its timetables."""
    from airflow import plugins_manager
    from airflow._shared.module_loading import qualname
    from airflow._shared.plugins_manager.plugins_manager import (
        _load_plugins_from_plugin_directory,
    )

    # Only this plugin file: the rest of plugins/ belongs to other tests.
    shutil.copy(PLUGINS / "landsat_plugin.py", tmp_path)
    plugins, errors = _load_plugins_from_plugin_directory(plugins_folder=str(tmp_path))
    assert errors == {}
    registered = {qualname(cls): cls for plugin in plugins for cls in plugin.timetables}
    monkeypatch.setattr(plugins_manager, "get_timetables_plugins", lambda: registered)
    return registered


def serialized_dag(timetable, **dag_kwargs):
    """Build a DAG, serialize it as the dag processor does, and load it as the scheduler does."""
    from airflow.sdk import DAG
    from airflow.serialization.serialized_objects import DagSerialization

    with DAG("wrs2_test", schedule=timetable, **dag_kwargs) as dag:
        pass
    return DagSerialization.from_dict(DagSerialization.to_dict(dag))


def test_plugin_registers_the_timetable_under_its_import_path(registered_timetables):
    assert registered_timetables == {
        "landsat_pipeline.timetables.WRS2OverpassTimetable": WRS2OverpassTimetable
    }


def test_dag_serialization_round_trip(registered_timetables):
    timetable = WRS2OverpassTimetable(197, 23, availability_delay=datetime.timedelta(days=1))
    dag = serialized_dag(timetable, start_date=utc(2019, 3, 1), catchup=True)
    assert dag.timetable == timetable
    assert dag.timetable is not timetable
    assert dag.timetable.summary == "WRS-2 197/023 every 16 days"


@pytest.mark.parametrize(
    ("path", "row", "from_date", "to_date"),
    [
        pytest.param(
            226, 10, utc(2014, 8, 4), utc(2014, 12, 31), id="226-010-bounds-on-overpasses"
        ),
        pytest.param(197, 23, utc(2019, 3, 1), utc(2019, 6, 30), id="197-023-netherlands"),
        pytest.param(66, 91, utc(2018, 5, 1), utc(2018, 7, 1), id="066-091-chatham-islands"),
        pytest.param(169, 221, utc(2019, 9, 1), utc(2019, 9, 30), id="169-221-night-row"),
        pytest.param(90, 108, utc(2020, 1, 1), utc(2020, 3, 1), id="090-108-near-midnight-utc"),
    ],
)
def test_backfill_creates_exactly_the_overpass_days(
    registered_timetables, path, row, from_date, to_date
):
    from airflow.models.backfill import _get_info_list

    dag = serialized_dag(WRS2OverpassTimetable(path, row), start_date=utc(2013, 4, 11))
    infos = _get_info_list(from_date=from_date, to_date=to_date, reverse=False, dag=dag)
    assert logical_days(infos) == overpass_dates(path, row, from_date.date(), to_date.date())
    assert infos


def test_backfill_includes_the_to_date_overpass(registered_timetables):
    from airflow.models.backfill import _get_info_list

    dag = serialized_dag(SCORESBY, start_date=utc(2013, 4, 11))
    infos = _get_info_list(
        from_date=utc(2014, 8, 5), to_date=utc(2014, 8, 20), reverse=False, dag=dag
    )
    assert logical_days(infos) == [datetime.date(2014, 8, 20)]


# --- Landsat 9 (issue 10) ------------------------------------------------------------------


def test_a_dag_serialized_before_landsat_9_still_loads():
    old = {"path": 226, "row": 10, "availability_delay": 0.0}
    assert WRS2OverpassTimetable.deserialize(old) == WRS2OverpassTimetable(226, 10)


def test_both_satellites_give_runs_8_days_apart():
    timetable = WRS2OverpassTimetable(84, 82, satellites=(8, 9))
    assert timetable.summary == "WRS-2 084/082 every 8 days (L8+L9)"
    assert "Landsat 8 and Landsat 9" in timetable.description
    restriction = TimeRestriction(earliest=utc(2025, 7, 1), latest=utc(2025, 8, 31), catchup=True)
    days, last = [], None
    while (
        info := timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction
        )
    ) is not None:
        days.append(info.data_interval.start.date())
        last = info.data_interval
    # The recorded acquisitions of 084/082: LC09 on 2025-07-22, LC08 on 07-14 and 07-30.
    assert {datetime.date(2025, 7, 14), datetime.date(2025, 7, 22), datetime.date(2025, 7, 30)} <= (
        set(days)
    )
    assert {(b - a).days for a, b in zip(days, days[1:], strict=False)} == {8}


def run_days(timetable, start, end) -> list[datetime.date]:
    restriction = TimeRestriction(earliest=start, latest=end, catchup=True)
    days, last = [], None
    while True:
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction
        )
        if info is None:
            return days
        days.append(info.data_interval.start.date())
        last = info.data_interval


def test_landsat_9_runs_start_with_its_first_acquisitions():
    both = run_days(
        WRS2OverpassTimetable(84, 82, satellites=(8, 9)), utc(2021, 9, 1), utc(2022, 1, 31)
    )
    only_8 = run_days(WRS2OverpassTimetable(84, 82), utc(2021, 9, 1), utc(2022, 1, 31))
    first_l9 = datetime.date(2021, 10, 31)
    assert [d for d in both if d < first_l9] == [d for d in only_8 if d < first_l9]
    later = [d for d in both if d >= first_l9]
    assert {(b - a).days for a, b in zip(later, later[1:], strict=False)} == {8}


def test_landsat_9_only_and_bad_satellites():
    assert (
        WRS2OverpassTimetable(84, 82, satellites=(9,)).summary == "WRS-2 084/082 every 16 days (L9)"
    )
    with pytest.raises(ValueError, match="satellites must be a non-empty subset"):
        WRS2OverpassTimetable(84, 82, satellites=(7,))
    with pytest.raises(ValueError, match="satellites must be a non-empty subset"):
        WRS2OverpassTimetable(84, 82, satellites=())


@pytest.mark.parametrize("satellites", [(8,), (9,), (8, 9)], ids=["L8", "L9", "L8+L9"])
def test_runs_are_the_acquisitions_landsat_ops_overpasses_lists(satellites):
    """One schedule: the DAGs' runs, the gap report and the CLI (landsat_ops.overpass)."""
    from landsat_ops.overpass import acquisitions

    timetable = WRS2OverpassTimetable(226, 10, satellites=satellites)
    days = run_days(timetable, utc(2013, 4, 11), utc(2026, 12, 31))
    listed = acquisitions(
        226, 10, datetime.date(2013, 4, 11), datetime.date(2026, 12, 31), satellites=satellites
    )
    assert days == [a.date for a in listed]
    assert len(days) == {(8,): 314, (9,): 118, (8, 9): 432}[satellites]
