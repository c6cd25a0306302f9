"""Periods: a season of every year (``summer: "06-01..09-30"``) or every month.

The one definition the composites (their labels and keys), the time-lapses (one frame per
period) and the pipeline's config share. An area's ``composites.periods``
(dags/config/areas.yaml) maps a period name to its days:

* ``"MM-DD..MM-DD"``: the same days of every year, both ends included. A range whose end comes
  before its start crosses the new year (``winter: "12-01..02-28"``) and belongs to the year
  it starts in. ``02-29`` as an end means the last day of February.
* ``months``: every calendar month.

One concrete period has a **label**, which keys its composites (:mod:`landsat_pipeline.keys`)
and names a time-lapse's frame: ``<year>-<name>`` for a season (``2024-summer``),
``<year>-<MM>`` for a month (``2024-07``).

Only the standard library is used: the config parser imports this module at parse time.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "MONTHS",
    "Period",
    "PeriodSpec",
    "check_specs",
    "parse_period",
    "parse_period_text",
    "period_of_label",
    "periods_between",
    "periods_containing",
    "periods_ending_within",
]

MONTHS = "months"
"""The period value that means "every calendar month"."""

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_RANGE = re.compile(r"^\s*(\d{2})-(\d{2})\s*\.\.\s*(\d{2})-(\d{2})\s*$")
_LABEL = re.compile(r"^(?P<year>\d{4})-(?P<rest>[a-z0-9_]+)$")
_LEAP = 2000  # a leap year: every MM-DD of a calendar is a date in it


@dataclass(frozen=True)
class PeriodSpec:
    """One configured period: ``name`` and its days of the year, or every month.

    ``start`` and ``end`` are ``(month, day)``, both included; None for :data:`MONTHS`.
    """

    name: str
    start: tuple[int, int] | None = None
    end: tuple[int, int] | None = None

    @property
    def monthly(self) -> bool:
        return self.start is None

    def describe(self) -> str:
        """The spec as written in the config (``06-01..09-30`` or ``months``)."""
        if self.monthly:
            return MONTHS
        return "{:02d}-{:02d}..{:02d}-{:02d}".format(*self.start, *self.end)

    def __str__(self) -> str:
        return f"{self.name}={self.describe()}"

    def periods(self, year: int) -> list[Period]:
        """The periods that start in ``year``: its season, or its twelve months."""
        if self.monthly:
            return [_month(year, month, self.name) for month in range(1, 13)]
        return [self.of_year(year)]

    def of_year(self, year: int) -> Period:
        """The season of ``year`` (not for monthly specs)."""
        if self.monthly:
            raise ValueError(f"period {self.name!r} is monthly: it has no single period a year")
        first = _day(year, *self.start)
        end_year = year if self.end >= self.start else year + 1
        return Period(f"{year}-{self.name}", self.name, first, _day(end_year, *self.end))


@dataclass(frozen=True)
class Period:
    """A concrete period: its ``label``, the ``spec`` name it comes from, and its first and
    last day (both included)."""

    label: str
    spec: str
    start: datetime.date
    end: datetime.date

    def __contains__(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    def holds(self, day: datetime.date) -> bool:
        """Whether ``day`` falls in the period (both ends included)."""
        return day in self

    @property
    def title(self) -> str:
        """What a time-lapse frame of it shows: ``2024 summer``, or ``2024-07`` for a month."""
        year, _, rest = self.label.partition("-")
        return self.label if rest.isdigit() else f"{year} {rest}"

    def describe(self) -> str:
        return f"{self.label} ({self.start}..{self.end})"


def _day(year: int, month: int, day: int) -> datetime.date:
    """``MM-DD`` of ``year``; 02-29 of a common year is 02-28."""
    if (month, day) == (2, 29) and not calendar.isleap(year):
        return datetime.date(year, 2, 28)
    return datetime.date(year, month, day)


def _month(year: int, month: int, name: str) -> Period:
    first = datetime.date(year, month, 1)
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return Period(f"{year}-{month:02d}", name, first, following - datetime.timedelta(days=1))


def parse_period(name: object, value: object) -> PeriodSpec:
    """A :class:`PeriodSpec` from a config entry; ValueError saying what is wrong.

    ``name``: lowercase letters, digits and ``_``, starting with a letter (a label
    ``2024-07`` is a month, never a season). ``value``: ``"MM-DD..MM-DD"`` or ``months``.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"the name {name!r} is not lowercase letters, digits or _ starting with a letter"
        )
    if value == MONTHS:
        return PeriodSpec(name)
    match = _RANGE.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"not MM-DD..MM-DD nor {MONTHS}")
    start = (int(match[1]), int(match[2]))
    end = (int(match[3]), int(match[4]))
    for month, day in (start, end):
        try:
            datetime.date(_LEAP, month, day)
        except ValueError:
            raise ValueError(f"{month:02d}-{day:02d} is not a day of the year") from None
    if start == end:
        raise ValueError("a single day, not a range of days")
    return PeriodSpec(name, start, end)


def parse_period_text(text: str) -> PeriodSpec:
    """A spec written on one line, ``summer=06-01..09-30`` or ``monthly=months`` (also
    ``name: rule``); ValueError saying what is wrong."""
    name, sep, rule = str(text).replace(":", "=", 1).partition("=")
    if not sep:
        raise ValueError("expected NAME=MM-DD..MM-DD or NAME=months, e.g. summer=06-01..09-30")
    return parse_period(name.strip(), rule.strip().strip("\"'"))


def periods_between(spec: PeriodSpec, first_year: int, last_year: int) -> list[Period]:
    """Every period of ``spec`` starting in ``first_year`` .. ``last_year``, oldest first."""
    if first_year > last_year:
        raise ValueError(f"years {first_year}-{last_year}: the first is after the last")
    return [p for year in range(first_year, last_year + 1) for p in spec.periods(year)]


def check_specs(specs: Sequence[PeriodSpec]) -> None:
    """ValueError when two specs would give the same labels (a second ``months``)."""
    monthly = [spec.name for spec in specs if spec.monthly]
    if len(monthly) > 1:
        raise ValueError(f"{monthly} are all {MONTHS} (expected at most one monthly period)")


def periods_containing(specs: Iterable[PeriodSpec], day: datetime.date) -> list[Period]:
    """Every concrete period of ``specs`` that contains ``day`` (a season that crosses the new
    year may start the year before)."""
    out = []
    for spec in specs:
        if spec.monthly:
            out.append(_month(day.year, day.month, spec.name))
            continue
        for year in (day.year - 1, day.year):
            period = spec.of_year(year)
            if day in period:
                out.append(period)
    return out


def periods_ending_within(
    specs: Iterable[PeriodSpec], first: datetime.date, last: datetime.date
) -> list[Period]:
    """Every concrete period of ``specs`` whose last day is in ``[first, last]``, in order."""
    out = []
    for spec in specs:
        for year in range(first.year - 1, last.year + 1):
            candidates = (
                [_month(year, month, spec.name) for month in range(1, 13)]
                if spec.monthly
                else [spec.of_year(year)]
            )
            out.extend(p for p in candidates if first <= p.end <= last)
    return sorted(out, key=lambda p: (p.end, p.start, p.label))


def period_of_label(specs: Iterable[PeriodSpec], label: str) -> Period:
    """The concrete period a label names (``2024-summer``, ``2024-07``); ValueError if none of
    ``specs`` gives it."""
    specs = list(specs)
    match = _LABEL.match(label.strip()) if isinstance(label, str) else None
    known = (
        ", ".join(f"<year>-{'MM' if spec.monthly else spec.name}" for spec in specs)
        or "none configured"
    )
    if not match:
        raise ValueError(f"period {label!r} is not a period label (expected {known})")
    year, rest = int(match["year"]), match["rest"]
    for spec in specs:
        if spec.monthly and rest.isdigit() and len(rest) == 2 and 1 <= int(rest) <= 12:
            return _month(year, int(rest), spec.name)
        if not spec.monthly and rest == spec.name:
            return spec.of_year(year)
    raise ValueError(f"period {label!r} is not one of this area's periods (expected {known})")
