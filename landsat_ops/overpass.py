"""When Landsat 8 and 9 image a WRS-2 path/row: acquisition times and UTC dates.

Landsat 8 flies a sun-synchronous orbit that repeats exactly every 16 days: 233 orbits, one
per WRS-2 path, each orbit cut into 248 rows. Its orbit is maintained to within a few
minutes, so one fixed schedule predicts every acquisition:

* **Orbits.** The orbit period is ``16 days / 233`` (98.88 min). The orbit flown right
  after path ``p`` is path ``p + 16`` (mod 233), so path ``p + 1`` is flown 102 orbits,
  i.e. 7 days and 6.2 minutes, after path ``p``: that is why adjacent paths are imaged
  7 (or 9) days apart, never on consecutive days.
* **Rows.** Row 60 is the descending equator crossing (daytime, ~10:10 local solar time;
  rows 1-122 are descending). Each row is 1/248 of an orbit later (23.92 s), so the
  ascending, night-time rows (123-246) are flown ~49 min (~12 h local time) after row 60
  of the same orbit.
* **Phase.** Path 1 crosses row 60 at :data:`REFERENCE_CROSSING`, fitted to the recorded
  acquisitions in ``shared/data/landsat`` (STAC items and MTL files, 2013-2023, paths 1-229,
  rows 9-221): every recorded scene centre time lies within 2 minutes of the prediction.

The UTC date of an acquisition is the date of the predicted instant, so near the antimeridian
(and for night rows) the UTC date differs from the local date. The prediction is good to
:data:`TIMING_TOLERANCE`; a path/row whose predicted time lies that close to 00:00 UTC may
have its UTC date off by one. That concerns 240 of the 57,784 path/rows: a strip of about 15
rows on each of paths 81-97, where the daytime track is near 150 E and ~10:10 local solar time
is 00:00 UTC (e.g. 093/055-069, 096/008-022).

Landsat 9 flies the same grid 8 days out of phase; pass ``satellite=9`` for its dates. The
schedule of several satellites together (:func:`acquisitions`, :func:`next_acquisition`,
:func:`last_acquisition`) starts each satellite at its first archived acquisition
(:data:`SATELLITE_START`): that is what the Airflow timetable, the gap report, the discover
sensor and ``landsat-ops overpasses`` all use.

Pure Python and stdlib only: this module runs in the render container and in Airflow
timetables alike.
"""

from __future__ import annotations

import datetime
import math
import operator
from collections.abc import Iterable
from typing import NamedTuple

from landsat_ops.errors import OptionError

__all__ = [
    "Acquisition",
    "LANDSAT8_START",
    "LANDSAT9_START",
    "SATELLITE_START",
    "REFERENCE_CROSSING",
    "REPEAT_DAYS",
    "TIMING_TOLERANCE",
    "acquisitions",
    "last_acquisition",
    "next_acquisition",
    "overpass_dates",
    "overpass_datetime",
    "overpass_datetimes",
    "wrs2_centre",
    "validate_path_row",
]

UTC = datetime.UTC

LANDSAT8_START = datetime.date(2013, 4, 11)
"""Landsat 8 reached its operating orbit (on the WRS-2 grid) on this date."""

LANDSAT9_START = datetime.date(2021, 10, 31)
"""The first Landsat 9 acquisitions in the USGS archive (on the WRS-2 grid, 8 days from L8)."""

SATELLITE_START = {8: LANDSAT8_START, 9: LANDSAT9_START}
"""The first acquisition date of each satellite the overpass model knows."""

REPEAT_DAYS = 16
"""Days between two acquisitions of the same path/row."""

PATHS = 233
"""WRS-2 paths, numbered 1-233 westwards; one orbit each per repeat cycle."""

ROWS = 248
"""WRS-2 rows per orbit, numbered 1-248 from the northernmost point of the orbit."""

EQUATOR_ROW = 60
"""The row at the descending (daytime) equator crossing."""

PATH_STEP_ORBITS = 102
"""Orbits from path ``p`` to path ``p + 1``: 16 * 102 = 7 * 233 + 1 (102 is 1/16 modulo 233)."""

REFERENCE_CROSSING = datetime.datetime(2013, 4, 19, 14, 30, 42, tzinfo=UTC)
"""When Landsat 8 crossed row 60 of path 1 (fitted; any multiple of 16 days later also holds)."""

TIMING_TOLERANCE = datetime.timedelta(minutes=3)
"""How far a recorded scene centre time may lie from the predicted one."""

SATELLITE_PHASE_DAYS = {8: 0, 9: 8}
"""Days by which each satellite's schedule lags Landsat 8's (Landsat 9: 8 days)."""

_CYCLE = datetime.timedelta(days=REPEAT_DAYS)
_CYCLE_MICROSECONDS = REPEAT_DAYS * 86_400 * 1_000_000


def validate_path_row(path: int, row: int) -> None:
    """Check that ``path`` and ``row`` name a WRS-2 tile.

    Parameters
    ----------
    path, row
        WRS-2 path (1-233) and row (1-248), as integers.

    Raises
    ------
    OptionError
        If either is not an integer or is out of range; the message names the bad value.
    """
    for name, value, top in (("path", path, PATHS), ("row", row, ROWS)):
        if isinstance(value, bool):
            raise OptionError(f"WRS-2 {name} must be an integer from 1 to {top}, got {value!r}")
        try:
            number = operator.index(value)
        except TypeError:
            raise OptionError(
                f"WRS-2 {name} must be an integer from 1 to {top}, got {value!r}"
            ) from None
        if not 1 <= number <= top:
            raise OptionError(f"WRS-2 {name} must be from 1 to {top}, got {number}")


def _validate_satellite(satellite: int) -> int:
    try:
        return SATELLITE_PHASE_DAYS[satellite]
    except (KeyError, TypeError):
        raise OptionError(f"satellite must be 8 or 9 (Landsat 8 or 9), got {satellite!r}") from None


def _first_acquisition(path: int, row: int, satellite: int) -> datetime.datetime:
    """One acquisition of ``path``/``row``; all others are a whole number of cycles away."""
    validate_path_row(path, row)
    phase_days = _validate_satellite(satellite)
    orbit = (PATH_STEP_ORBITS * (operator.index(path) - 1)) % PATHS
    rows_after_reference = orbit * ROWS + (operator.index(row) - EQUATOR_ROW)
    offset = datetime.timedelta(
        microseconds=round(rows_after_reference * _CYCLE_MICROSECONDS / (PATHS * ROWS))
    )
    return REFERENCE_CROSSING + offset + datetime.timedelta(days=phase_days)


def overpass_datetime(
    path: int, row: int, on_or_after: datetime.datetime, *, satellite: int = 8
) -> datetime.datetime:
    """Return the first acquisition of a path/row at or after an instant.

    Parameters
    ----------
    path, row
        WRS-2 path (1-233) and row (1-248).
    on_or_after
        A timezone-aware instant.
    satellite
        8 (default) or 9.

    Returns
    -------
    datetime.datetime
        The predicted scene centre time, timezone-aware UTC, accurate to
        :data:`TIMING_TOLERANCE`. It is not clipped to :data:`LANDSAT8_START`.

    Raises
    ------
    OptionError
        If the path, row or satellite is out of range, or ``on_or_after`` is naive.
    """
    if on_or_after.tzinfo is None or on_or_after.utcoffset() is None:
        raise OptionError(
            f"on_or_after must be timezone-aware, got naive {on_or_after.isoformat()}"
        )
    # A plain datetime: subclasses (pendulum's, in Airflow) change what subtraction returns.
    u = on_or_after.astimezone(UTC)
    instant = datetime.datetime(
        u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond, tzinfo=UTC
    )
    first = _first_acquisition(path, row, satellite)
    cycles = -((first - instant) // _CYCLE)  # ceiling division: the first one not before
    return first + cycles * _CYCLE


def overpass_datetimes(
    path: int,
    row: int,
    start: datetime.date,
    end: datetime.date,
    *,
    satellite: int = 8,
) -> list[datetime.datetime]:
    """Return the acquisitions of a path/row whose UTC date lies in ``[start, end]``.

    Parameters
    ----------
    path, row
        WRS-2 path (1-233) and row (1-248).
    start, end
        First and last UTC date, inclusive. ``start`` after ``end`` gives an empty list.
    satellite
        8 (default) or 9.

    Returns
    -------
    list of datetime.datetime
        Predicted scene centre times (timezone-aware UTC), 16 days apart, oldest first.
    """
    start_day = _as_date(start, "start")
    end_day = _as_date(end, "end")
    at = overpass_datetime(
        path, row, datetime.datetime.combine(start_day, datetime.time(), UTC), satellite=satellite
    )
    found = []
    while at.date() <= end_day:
        found.append(at)
        at += _CYCLE
    return found


def overpass_dates(
    path: int,
    row: int,
    start: datetime.date,
    end: datetime.date,
    *,
    satellite: int = 8,
) -> list[datetime.date]:
    """Return the UTC dates in ``[start, end]`` on which a path/row is imaged.

    See :func:`overpass_datetimes`; this keeps the dates only.

    Examples
    --------
    >>> overpass_dates(226, 10, datetime.date(2014, 8, 10), datetime.date(2014, 9, 10))
    [datetime.date(2014, 8, 20), datetime.date(2014, 9, 5)]
    """
    return [at.date() for at in overpass_datetimes(path, row, start, end, satellite=satellite)]


class Acquisition(NamedTuple):
    """One predicted acquisition: when (UTC, scene centre) and by which satellite (8 or 9)."""

    at: datetime.datetime
    satellite: int

    @property
    def date(self) -> datetime.date:
        """The acquisition's UTC date."""
        return self.at.date()

    @property
    def platform(self) -> str:
        """The STAC platform name (``landsat-8``, ``landsat-9``)."""
        return f"landsat-{self.satellite}"


def _satellites(satellites: Iterable[int]) -> tuple[int, ...]:
    chosen = tuple(sorted(set(satellites)))
    if not chosen:
        raise OptionError("satellites: give at least one of 8, 9")
    for satellite in chosen:
        _validate_satellite(satellite)
    return chosen


def _first_in_service(
    path: int, row: int, on_or_after: datetime.date, satellite: int
) -> datetime.datetime:
    """The first acquisition of ``satellite`` whose UTC date is on or after the later of
    ``on_or_after`` and the satellite's first archived acquisition."""
    day = max(on_or_after, SATELLITE_START[satellite])
    at = datetime.datetime.combine(day, datetime.time(), UTC)
    return overpass_datetime(path, row, at, satellite=satellite)


def next_acquisition(
    path: int, row: int, on_or_after: datetime.date, *, satellites: Iterable[int] = (8, 9)
) -> Acquisition:
    """Return the first acquisition by any of ``satellites`` on or after a UTC date.

    Each satellite counts from its first archived acquisition (:data:`SATELLITE_START`).
    """
    chosen = _satellites(satellites)
    day = _as_date(on_or_after, "on_or_after")
    return min(Acquisition(_first_in_service(path, row, day, s), s) for s in chosen)


def last_acquisition(
    path: int, row: int, on_or_before: datetime.date, *, satellites: Iterable[int] = (8, 9)
) -> Acquisition | None:
    """Return the last acquisition by any of ``satellites`` on or before a UTC date.

    None when none of them had started by then (each satellite's acquisitions are
    :data:`REPEAT_DAYS` apart and start at :data:`SATELLITE_START`).
    """
    chosen = _satellites(satellites)
    day = _as_date(on_or_before, "on_or_before")
    found = [
        Acquisition(
            _first_in_service(path, row, day - datetime.timedelta(days=REPEAT_DAYS - 1), s), s
        )
        for s in chosen
        if SATELLITE_START[s] <= day
    ]
    found = [a for a in found if a.date <= day]
    return max(found) if found else None


def acquisitions(
    path: int,
    row: int,
    start: datetime.date,
    end: datetime.date,
    *,
    satellites: Iterable[int] = (8, 9),
) -> list[Acquisition]:
    """Return the acquisitions by ``satellites`` whose UTC date lies in ``[start, end]``.

    Oldest first; each satellite from its first archived acquisition (:data:`SATELLITE_START`,
    Landsat 9: 2021-10-31), so with both satellites a path/row is seen every 8 days from then.
    """
    chosen = _satellites(satellites)
    first = _as_date(start, "start")
    last = _as_date(end, "end")
    found = []
    for satellite in chosen:
        at = _first_in_service(path, row, first, satellite)
        while at.date() <= last:
            found.append(Acquisition(at, satellite))
            at += _CYCLE
    return sorted(found)


def _as_date(value: datetime.date, name: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            return value.astimezone(UTC).date()
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raise OptionError(f"{name} must be a date, got {value!r}")


# WRS-2 orbit geometry (for the approximate scene centre of a path/row).
_INCLINATION = math.radians(98.2)
_ORBIT_MINUTES = 16 * 1440 / 233
_SIDEREAL_DAY_MINUTES = 1436.07
_PATH1_NODE_LON = -64.6  # longitude where path 1 crosses the equator (row 60), degrees


def wrs2_centre(path: int, row: int) -> tuple[float, float]:
    """Return the approximate (latitude, longitude) of a WRS-2 scene centre, in degrees.

    A circular orbit model: row 60 is the descending equator crossing, each row 1/248 of an
    orbit, path 1 crosses the equator at 64.6 W and each further path 360/233 degrees west,
    with the Earth's rotation during the pass. Good to about half a degree (e.g. 226/010 ->
    70.8 N, 22.8 W; 016/037 -> 33.0 N, 80.1 W), which is plenty for picking a UTM zone.
    """
    validate_path_row(path, row)
    step = 2 * math.pi / 248
    u = math.pi - (60 - row) * step  # argument of latitude; the descending node is at pi
    lat = math.asin(math.sin(_INCLINATION) * math.sin(u))
    inertial = math.atan2(math.cos(_INCLINATION) * math.sin(u), math.cos(u))
    offset = (math.degrees(inertial) - 180.0 + 180.0) % 360.0 - 180.0  # from the node
    minutes_before_node = (math.pi - u) / (2 * math.pi) * _ORBIT_MINUTES
    offset += minutes_before_node * 360.0 / _SIDEREAL_DAY_MINUTES
    node_lon = _PATH1_NODE_LON - (path - 1) * 360.0 / 233
    lon = (node_lon + offset + 180.0) % 360.0 - 180.0
    return math.degrees(lat), lon
