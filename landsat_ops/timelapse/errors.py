"""The time-lapse's one error: bad input, said in one line (the CLI exits with code 2)."""

from __future__ import annotations

from landsat_ops.errors import LandsatOpsError

__all__ = ["TimelapseError"]


class TimelapseError(LandsatOpsError):
    """A bad period, no items, a source that cannot be read, a CRS that is not one."""
