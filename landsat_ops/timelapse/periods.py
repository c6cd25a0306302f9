"""The periods of a time-lapse: one frame each, e.g. every summer of a decade or every month.

A period spec is a name and a rule, as in the config's ``composites.periods``
(``{summer: "06-01..09-30"}``) and the CLI's ``--period summer=06-01..09-30``:

* ``MM-DD..MM-DD``: one season a year, labelled ``<year>-<name>`` (``2024-summer``); a season
  whose end comes before its start runs into the next year (``winter=12-01..02-28``: the
  label's year is the one it starts in);
* ``months``: every calendar month, labelled ``<year>-<MM>`` (``2024-07``).

The labels are the composites' ``period_label`` (docs/timelapse.md), so a frame's composite is
found by its label.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from landsat_ops.timelapse.errors import TimelapseError

__all__ = ["MONTHS", "Period", "PeriodSpec", "parse_period_spec", "periods_between"]

MONTHS = "months"
"""The rule of monthly periods."""
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_SEASON = re.compile(r"^(?P<m1>\d{2})-(?P<d1>\d{2})\.\.(?P<m2>\d{2})-(?P<d2>\d{2})$")


@dataclass(frozen=True)
class Period:
    """One frame's time span (both days included) and its label."""

    label: str
    """``2024-summer`` or ``2024-07``: also the label of the period's composites."""
    title: str
    """What the frame shows: ``2024 summer`` or ``2024-07``."""
    start: dt.date
    end: dt.date

    def holds(self, day: dt.date) -> bool:
        """Whether ``day`` falls in the period."""
        return self.start <= day <= self.end


@dataclass(frozen=True)
class PeriodSpec:
    """A named rule: a season (month-day to month-day) or ``months``."""

    name: str
    rule: str
    season: tuple[tuple[int, int], tuple[int, int]] | None
    """((month, day), (month, day)) of a season; None for ``months``."""

    def __str__(self) -> str:
        return f"{self.name}={self.rule}"

    def periods(self, year: int) -> list[Period]:
        """The periods that start in ``year``."""
        if self.season is None:
            out = []
            for month in range(1, 13):
                start = dt.date(year, month, 1)
                nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
                label = f"{year}-{month:02d}"
                out.append(Period(label, label, start, nxt - dt.timedelta(days=1)))
            return out
        (m1, d1), (m2, d2) = self.season
        start = _day(year, m1, d1)
        end = _day(year if (m2, d2) >= (m1, d1) else year + 1, m2, d2)
        return [Period(f"{year}-{self.name}", f"{year} {self.name}", start, end)]


def _day(year: int, month: int, day: int) -> dt.date:
    """The day; 02-29 in a common year is 02-28 (a season spec holds for every year)."""
    if (month, day) == (2, 29):
        try:
            return dt.date(year, 2, 29)
        except ValueError:
            return dt.date(year, 2, 28)
    return dt.date(year, month, day)


def parse_period_spec(text: str) -> PeriodSpec:
    """``summer=06-01..09-30`` or ``monthly=months`` (also ``name: rule``); one line on error."""
    name, sep, rule = str(text).replace(":", "=", 1).partition("=")
    name, rule = name.strip(), rule.strip().strip("\"'")
    if not sep or not _NAME.match(name):
        raise TimelapseError(
            f"period {text!r}: expected NAME=MM-DD..MM-DD or NAME=months "
            "(NAME: lower-case letters, digits, _), e.g. summer=06-01..09-30"
        )
    if rule == MONTHS:
        return PeriodSpec(name, rule, None)
    match = _SEASON.match(rule)
    if not match:
        raise TimelapseError(
            f"period {text!r}: {rule!r} is not MM-DD..MM-DD (e.g. 06-01..09-30) nor 'months'"
        )
    ends = ((int(match["m1"]), int(match["d1"])), (int(match["m2"]), int(match["d2"])))
    for month, day in ends:
        try:
            dt.date(2000, month, day)  # a leap year: 02-29 is a valid season bound
        except ValueError:
            raise TimelapseError(
                f"period {text!r}: {month:02d}-{day:02d} is not a day of the year"
            ) from None
    if ends[0] == ends[1]:
        raise TimelapseError(f"period {text!r}: a season of one day; give a range of days")
    return PeriodSpec(name, rule, ends)


def periods_between(spec: PeriodSpec, first_year: int, last_year: int) -> list[Period]:
    """Every period of ``spec`` starting in ``first_year`` .. ``last_year``, oldest first."""
    if first_year > last_year:
        raise TimelapseError(f"years {first_year}-{last_year}: the first is after the last")
    return [p for year in range(first_year, last_year + 1) for p in spec.periods(year)]
