"""The per-area time-series table's rows: checked cells, idempotent merges, series, cloudiness."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from landsat_ops.errors import OptionError
from landsat_ops.sampling.rows import ACQUIRED_FORMAT, OUTSIDE, SampleRow

__all__ = [
    "COLUMNS",
    "DEFAULT_CLOUD_THRESHOLD",
    "Table",
    "checked_row",
    "is_cloudy",
    "merge_rows",
    "point_series",
    "row_order",
    "table_rows",
]

COLUMNS = [
    "scene_id",
    "acquired",
    "path",
    "row",
    "point_id",
    "ndvi",
    "valid_px",
    "cloudy_px",
    "scene_cloud_cover",
]
DEFAULT_CLOUD_THRESHOLD = 50.0
"""Scene cloud cover (percent) above which a sample counts as cloudy even if its window
is clear in the QA band (thin cloud and haze the QA misses)."""

Table = list[dict[str, Any]]

_INT_COLUMNS = {"path", "row", "valid_px", "cloudy_px"}
_FLOAT_COLUMNS = {"ndvi", "scene_cloud_cover"}
_OPTIONAL = {"ndvi", "cloudy_px", "scene_cloud_cover"}


def _convert(column: str, value: Any, where: str) -> Any:
    """One cell as its column's type; ValueError(message) when it does not fit."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if column in _OPTIONAL:
            return None
        raise ValueError(f"{where}: column {column} is empty (expected a value)")
    if isinstance(value, float) and math.isnan(value) and column in _OPTIONAL:
        return None
    try:
        if column in _INT_COLUMNS:
            number = float(value) if isinstance(value, str) else value
            if isinstance(number, bool) or number != int(number):
                raise ValueError
            return int(number)
        if column in _FLOAT_COLUMNS:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if not math.isfinite(number):
                raise ValueError
            return number
    except (TypeError, ValueError, OverflowError):
        kind = "a whole number" if column in _INT_COLUMNS else "a number"
        raise ValueError(
            f"{where}: column {column} is {value!r} (expected {kind}"
            f"{' or empty' if column in _OPTIONAL else ''})"
        ) from None
    if column == "acquired":
        return _acquired_text(value, where)
    text = str(value).strip()
    if not text:
        raise ValueError(f"{where}: column {column} is empty (expected a value)")
    return text


def _acquired_text(value: Any, where: str) -> str:
    """A UTC ``YYYY-MM-DDTHH:MM:SSZ`` string from a string or datetime."""
    if isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    else:
        try:
            stamp = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(
                f"{where}: column acquired is {value!r} (expected a UTC time like "
                "2015-08-04T16:19:21Z)"
            ) from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC).strftime(ACQUIRED_FORMAT)


def checked_row(values: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A row with exactly :data:`COLUMNS`, converted to their types."""
    missing = [c for c in COLUMNS if c not in values]
    if missing:
        raise ValueError(f"{where}: no column {', '.join(missing)}")
    return {c: _convert(c, values[c], where) for c in COLUMNS}


def table_rows(samples: Iterable[SampleRow | Mapping[str, Any]]) -> Table:
    """Table rows from :class:`SampleRow` objects or mappings holding at least :data:`COLUMNS`.

    Samples whose reason is ``"outside scene"`` are left out: the point is not in that
    scene at all. Samples on fill or without valid pixels stay, with an empty NDVI.

    Raises
    ------
    OptionError
        A row lacks a column or holds a value of the wrong type.
    """
    rows = []
    for i, sample in enumerate(samples):
        values = sample.to_dict() if isinstance(sample, SampleRow) else dict(sample)
        if values.get("reason") == OUTSIDE:
            continue
        try:
            rows.append(checked_row(values, f"row {i + 1}"))
        except ValueError as exc:
            raise OptionError(f"samples: {exc}") from None
    return rows


def row_order(row: Mapping[str, Any]) -> tuple:
    return (row["acquired"], row["point_id"], row["scene_id"])


def merge_rows(
    existing: Iterable[Mapping[str, Any]], new_rows: Iterable[SampleRow | Mapping[str, Any]]
) -> Table:
    """Replace every row of the scenes in ``new_rows`` by ``new_rows``; keep the other rows.

    Idempotent: merging the same scene again gives the same table, never duplicates. A scene
    counts as given even when all its samples were outside it (its old rows go). Within
    ``new_rows`` a repeated (scene, point) keeps its last sample.

    Parameters
    ----------
    existing : iterable of mappings
        The current table (e.g. from :func:`read_table`; empty for a new table).
    new_rows : iterable of SampleRow or mappings
        Samples of one or more scenes (see :func:`table_rows`).

    Returns
    -------
    Table
        Sorted by ``acquired``, then ``point_id`` (then ``scene_id``).
    """
    new_rows = list(new_rows)
    scenes = {
        row.scene_id if isinstance(row, SampleRow) else str(row.get("scene_id", "")).strip()
        for row in new_rows
    }
    fresh = {(r["scene_id"], r["point_id"]): r for r in table_rows(new_rows)}
    try:
        kept = [
            checked_row(r, f"existing row {i + 1}")
            for i, r in enumerate(existing)
            if str(r.get("scene_id", "")).strip() not in scenes
        ]
    except ValueError as exc:
        raise OptionError(f"table: {exc}") from None
    return sorted([*kept, *fresh.values()], key=row_order)


def point_series(table: Iterable[Mapping[str, Any]], point_id: str) -> Table:
    """The rows of one point, in time order."""
    return sorted((dict(r) for r in table if r["point_id"] == point_id), key=row_order)


def is_cloudy(row: Mapping[str, Any], cloud_threshold: float = DEFAULT_CLOUD_THRESHOLD) -> bool:
    """True when QA flags cloud in the window or the scene is cloudier than the threshold."""
    cloudy_px = row.get("cloudy_px")
    cover = row.get("scene_cloud_cover")
    return bool(cloudy_px) or (cover is not None and cover > cloud_threshold)
