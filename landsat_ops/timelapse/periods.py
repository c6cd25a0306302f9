"""The periods of a time-lapse: one frame each, e.g. every summer of a decade or every month.

The periods are the composites' own (:mod:`landsat_ops.periods`): a spec is a name and a rule,
as in the config's ``composites.periods`` (``{summer: "06-01..09-30"}``) and the CLI's
``--period summer=06-01..09-30``, and a period's label (``2024-summer``, ``2024-07``) is the
label of its composites, so a frame's composite is found by its label. This module turns their
errors into the time-lapse's one-line :class:`TimelapseError`.
"""

from __future__ import annotations

from landsat_ops import periods as _periods
from landsat_ops.periods import MONTHS, Period, PeriodSpec
from landsat_ops.timelapse.errors import TimelapseError

__all__ = ["MONTHS", "Period", "PeriodSpec", "parse_period_spec", "periods_between"]


def parse_period_spec(text: str) -> PeriodSpec:
    """``summer=06-01..09-30`` or ``monthly=months`` (also ``name: rule``); one line on error."""
    try:
        return _periods.parse_period_text(text)
    except ValueError as exc:
        raise TimelapseError(f"period {text!r}: {exc}") from None


def periods_between(spec: PeriodSpec, first_year: int, last_year: int) -> list[Period]:
    """Every period of ``spec`` starting in ``first_year`` .. ``last_year``, oldest first."""
    try:
        return _periods.periods_between(spec, first_year, last_year)
    except ValueError as exc:
        raise TimelapseError(str(exc)) from None
