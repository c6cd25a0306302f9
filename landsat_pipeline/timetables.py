"""An Airflow timetable with one DAG run per Landsat 8 (and 9) overpass of a WRS-2 path/row.

Landsat 8 and Landsat 9 each image a path/row every 16 days, 8 days apart, at a time of day
fixed per path/row (:mod:`landsat_ops.overpass` predicts it): with both satellites a path/row
is seen every 8 days. A DAG scheduled with this timetable gets one run per acquisition of
the chosen satellites (Landsat 9 from its first archived acquisition, 2021-10-31), as
:func:`landsat_ops.overpass.next_acquisition` and :func:`~landsat_ops.overpass.last_acquisition`
compute them (the same schedule ``landsat-ops overpasses`` prints and the gap report uses):

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

from landsat_ops.overpass import (
    REPEAT_DAYS,
    SATELLITE_START,
    last_acquisition,
    next_acquisition,
    overpass_datetime,
    validate_path_row,
)

__all__ = ["WRS2OverpassTimetable"]

_DAY = datetime.timedelta(days=1)


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
    """Schedule one DAG run per Landsat acquisition of a WRS-2 path/row.

    :param path: WRS-2 path, 1-233.
    :param row: WRS-2 row, 1-248.
    :param availability_delay: how long after the end of the acquisition's UTC day a run
        may start (default: at the end of that day).
    :param satellites: the satellites whose acquisitions get runs: ``(8,)`` (default, every 16
        days), ``(9,)``, or ``(8, 9)`` (every 8 days since Landsat 9's first acquisitions).

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
        satellites: tuple[int, ...] = (8,),
    ) -> None:
        validate_path_row(path, row)
        chosen = tuple(sorted({int(s) for s in satellites})) if satellites else ()
        if not chosen or any(s not in SATELLITE_START for s in chosen):
            raise ValueError(
                f"satellites must be a non-empty subset of {sorted(SATELLITE_START)}, "
                f"got {satellites!r}"
            )
        self.satellites = chosen
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
        names = " and ".join(f"Landsat {s}" for s in self.satellites)
        self.description = (
            f"{names} acquisitions of WRS-2 path {self.path} row {self.row}: every "
            f"{self.cadence_days} days at about {at:%H:%M} UTC; one run per acquisition's UTC day"
        )

    @property
    def cadence_days(self) -> int:
        """Days between two acquisitions (once every chosen satellite is flying)."""
        return REPEAT_DAYS // len(self.satellites)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.path}, {self.row}, "
            f"availability_delay={self.availability_delay!r}, satellites={self.satellites!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WRS2OverpassTimetable):
            return NotImplemented
        return self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash((self.path, self.row, self.availability_delay, self.satellites))

    @property
    def summary(self) -> str:
        text = f"WRS-2 {self.path:03d}/{self.row:03d} every {self.cadence_days} days"
        if self.satellites != (8,):
            text += " (" + "+".join(f"L{s}" for s in self.satellites) + ")"
        return text

    def serialize(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "row": self.row,
            "availability_delay": self.availability_delay.total_seconds(),
            "satellites": list(self.satellites),
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> WRS2OverpassTimetable:
        return cls(
            data["path"],
            data["row"],
            availability_delay=datetime.timedelta(seconds=data["availability_delay"]),
            # DAGs serialized before Landsat 9 was supported have no "satellites".
            satellites=tuple(data.get("satellites", (8,))),
        )

    def _first_overpass_day(self, on_or_after: datetime.date) -> datetime.date:
        """The first acquisition's UTC date on or after a date (of any chosen satellite)."""
        return next_acquisition(self.path, self.row, on_or_after, satellites=self.satellites).date

    def _last_overpass_day(self, on_or_before: datetime.date) -> datetime.date:
        """The last acquisition's UTC date on or before a date (of any chosen satellite).

        Before every chosen satellite flew: the first acquisition of all.
        """
        last = last_acquisition(self.path, self.row, on_or_before, satellites=self.satellites)
        return last.date if last is not None else self._first_overpass_day(on_or_before)

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
        day = pendulum.instance(run_after).in_timezone("UTC").date()
        return self._run_info(self._last_overpass_day(day)).data_interval
