"""A point of interest: where NDVI is followed over time.

Pure Python, so the pipeline's config (parsed when the DAG files are) can use it without
importing the sampling code.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Point"]


@dataclass(frozen=True)
class Point:
    """A point of interest: an ID and WGS84 longitude/latitude in degrees."""

    id: str
    lon: float
    lat: float
