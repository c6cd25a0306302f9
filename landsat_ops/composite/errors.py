"""The error of the composite engine: every bad input, in one line."""

from __future__ import annotations

from landsat_ops.errors import LandsatOpsError

__all__ = ["CompositeError"]


class CompositeError(LandsatOpsError):
    """A composite's inputs or options are wrong (the CLI prints one line and exits 2)."""
