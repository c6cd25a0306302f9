"""Composites and region mosaics of the published scenes, per period (issue 19).

The orchestration of the ``landsat_composites`` DAG around the engine
:mod:`landsat_ops.composite`:

* the configured periods (a season of every year, or every month), their labels and which
  concrete periods a day, a month or a label names: :mod:`landsat_ops.periods`, shared with
  the time-lapses (re-exported here);
* :mod:`.plan`: which published scenes belong to each period and path/row, and the jobs of a
  run (one composite per path/row, one region mosaic per area), each cut into tiles;
* :mod:`.tasks`: the bodies of the tile task and of the assemble-and-publish task.

Nothing heavy is imported here: the DAG file imports this package at parse time.
"""

from landsat_ops.periods import (
    MONTHS,
    Period,
    PeriodSpec,
    parse_period,
    period_of_label,
    periods_containing,
    periods_ending_within,
)

__all__ = [
    "MONTHS",
    "Period",
    "PeriodSpec",
    "parse_period",
    "period_of_label",
    "periods_containing",
    "periods_ending_within",
]
