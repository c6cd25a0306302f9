"""An Airflow timetable with one DAG run per Landsat 8 overpass of a WRS-2 path/row.

Landsat 8 images each path/row every 16 days, at a time of day fixed per path/row
(:mod:`landsat_ops.overpass` predicts it). A DAG scheduled with this timetable gets one run
per acquisition:

* ``data_interval`` is the UTC day of the acquisition, ``[date 00:00, date + 1 00:00)``, so
  ``logical_date`` is that day's midnight (UTC);
* ``run_after`` is the end of that day plus ``availability_delay`` (USGS publishes Collection
  2 Level-2 scenes hours to days after acquisition).

Usage in a DAG file (the plugins folder is on ``sys.path``, and
``plugins/landsat_plugin.py`` registers the class so the scheduler can
deserialize it)::

    from landsat_pipeline.timetables import WRS2OverpassTimetable

    @dag(schedule=WRS2OverpassTimetable(226, 10, availability_delay=timedelta(days=1)),
         start_date=pendulum.datetime(2013, 4, 11, tz="UTC"), catchup=True)
    def scoresby_sund(): ...

Import it exactly as ``landsat_pipeline.timetables``: Airflow finds a custom timetable by the import
path of its class, and that is the path the plugin registers.
"""

from __future__ import annotations

import datetime
from typing import Any

import pendulum
from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable
from pendulum import DateTime

from landsat_ops.overpass import REPEAT_DAYS, overpass_datetime, validate_path_row

__all__ = ["WRS2OverpassTimetable"]

_DAY = datetime.timedelta(days=1)
_CYCLE = datetime.timedelta(days=REPEAT_DAYS)


def _utcnow() -> DateTime:
    """Return the current time (a function, so tests can stop the clock)."""
    return pendulum.now("UTC")


def _midnight(day: datetime.date) -> DateTime:
    return pendulum.datetime(day.year, day.month, day.day, tz="UTC")


def _first_whole_day(instant: datetime.datetime) -> datetime.date:
    """The first UTC date whose midnight is at or after ``instant``."""
    instant = pendulum.instance(instant).in_timezone("UTC")
    day = instant.date()
    return day if _midnight(day) == instant else day + _DAY


class WRS2OverpassTimetable(Timetable):
    """Schedule one DAG run per Landsat 8 acquisition of a WRS-2 path/row.

    :param path: WRS-2 path, 1-233.
    :param row: WRS-2 row, 1-248.
    :param availability_delay: how long after the end of the acquisition's UTC day a run
        may start (default: at the end of that day).

    With ``catchup=True`` the first run is the first acquisition whose UTC day starts at or
    after the DAG's ``start_date``; with ``catchup=False`` scheduling starts from the latest
    acquisition whose UTC day is over. A backfill from A to B gets exactly the acquisition
    days whose midnight lies in ``[A, B]``.
    """

    def __init__(
        self,
        path: int,
        row: int,
        *,
        availability_delay: datetime.timedelta = datetime.timedelta(0),
    ) -> None:
        validate_path_row(path, row)
        if not isinstance(availability_delay, datetime.timedelta) or availability_delay < (
            datetime.timedelta(0)
        ):
            raise ValueError(
                f"availability_delay must be a non-negative timedelta, got {availability_delay!r}"
            )
        self.path = int(path)
        self.row = int(row)
        self.availability_delay = availability_delay
        at = overpass_datetime(
            self.path, self.row, datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
        )
        self.description = (
            f"Landsat 8 acquisitions of WRS-2 path {self.path} row {self.row}: every "
            f"{REPEAT_DAYS} days at about {at:%H:%M} UTC; one run per acquisition's UTC day"
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.path}, {self.row}, "
            f"availability_delay={self.availability_delay!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WRS2OverpassTimetable):
            return NotImplemented
        return self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash((self.path, self.row, self.availability_delay))

    @property
    def summary(self) -> str:
        return f"WRS-2 {self.path:03d}/{self.row:03d} every {REPEAT_DAYS} days"

    def serialize(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "row": self.row,
            "availability_delay": self.availability_delay.total_seconds(),
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> WRS2OverpassTimetable:
        return cls(
            data["path"],
            data["row"],
            availability_delay=datetime.timedelta(seconds=data["availability_delay"]),
        )

    def _first_overpass_day(self, on_or_after: datetime.date) -> datetime.date:
        """The first acquisition's UTC date on or after a date."""
        at = datetime.datetime.combine(on_or_after, datetime.time(), datetime.UTC)
        return overpass_datetime(self.path, self.row, at).date()

    def _last_overpass_day(self, on_or_before: datetime.date) -> datetime.date:
        """The last acquisition's UTC date on or before a date (acquisitions are 16 days apart)."""
        return self._first_overpass_day(on_or_before - (_CYCLE - _DAY))

    def _run_info(self, day: datetime.date) -> DagRunInfo:
        start = _midnight(day)
        end = start + _DAY
        return DagRunInfo(
            run_after=end + self.availability_delay, data_interval=DataInterval(start, end)
        )

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        earliest_day = None
        if restriction.earliest is not None:
            earliest_day = _first_whole_day(restriction.earliest)
        if not restriction.catchup:
            # The latest acquisition whose UTC day is over, i.e. whose data interval ended.
            latest_complete = self._last_overpass_day(_utcnow().date() - _DAY)
            earliest_day = max(earliest_day or latest_complete, latest_complete)

        if last_automated_data_interval is not None:
            last_day = (
                pendulum.instance(last_automated_data_interval.start).in_timezone("UTC").date()
            )
            day = self._first_overpass_day(last_day + _DAY)
            if earliest_day is not None:
                day = max(day, self._first_overpass_day(earliest_day))
        elif earliest_day is not None:
            day = self._first_overpass_day(earliest_day)
        else:
            return None  # catchup without a start_date: nothing to anchor on

        info = self._run_info(day)
        if restriction.latest is not None and info.data_interval.start > restriction.latest:
            return None
        return info

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        """Return the overpass UTC day containing ``run_after``, else the latest one before it.

        So a manual run (or ``airflow dags test``) with the logical date of an overpass day
        gets exactly the interval of the scheduled run of that day; if the scene is not in the
        catalog yet, the discover sensor waits for it.
        """
        day_start = run_after.replace(hour=0, minute=0, second=0, microsecond=0)
        at = overpass_datetime(self.path, self.row, day_start + datetime.timedelta(days=1) - _CYCLE)
        return self._run_info(at.date()).data_interval
