"""The extent time-series table: one row per scene and region, CSV or Parquet, merged idempotently.

=====================  ==========  ==========================================================
column                 type        meaning
=====================  ==========  ==========================================================
``scene_id``           str         the scene (product) ID
``acquired``           str         scene centre time, UTC, ``YYYY-MM-DDTHH:MM:SSZ``
``path``, ``row``      int         WRS-2 path and row
``region``             str         ``path_row`` (the whole scene) or a polygon's name
``region_km2``         float       the region's area (path/row: its footprint)
``observed_km2``       float       of it, not fill
``clear_km2``          float       of it, clear (QA)
``clear_fraction``     float       ``clear_km2 / region_km2``
``snow_ice_km2``       float       clear snow/ice
``water_km2``          float       clear water
``scene_cloud_cover``  float/None  the MTL's ``CLOUD_COVER``, percent
=====================  ==========  ==========================================================

:func:`merge_extent_rows` replaces every row of the scenes it is given (a re-measured scene
never duplicates); rows are sorted by ``acquired``, then ``scene_id`` and ``region``.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping
from typing import Any

from landsat_ops.errors import OptionError, StorageError

__all__ = [
    "COLUMNS",
    "DEFAULT_CLEAR_THRESHOLD",
    "extent_from_csv",
    "extent_from_parquet",
    "extent_to_csv",
    "extent_to_parquet",
    "merge_extent_rows",
    "read_extent_table",
    "write_extent_table",
]

COLUMNS = (
    "scene_id",
    "acquired",
    "path",
    "row",
    "region",
    "region_km2",
    "observed_km2",
    "clear_km2",
    "clear_fraction",
    "snow_ice_km2",
    "water_km2",
    "scene_cloud_cover",
)
_TEXT = ("scene_id", "acquired", "region")
_INT = ("path", "row")
_OPTIONAL = ("scene_cloud_cover",)
DEFAULT_CLEAR_THRESHOLD = 0.8
"""Below this clear fraction a point is drawn hollow and left out of the trend."""


def _checked(values: Mapping[str, Any], where: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in COLUMNS:
        if column not in values:
            raise ValueError(f"{where}: no column {column}")
        value = values[column]
        if column in _TEXT:
            if not isinstance(value, str) or not value:
                raise ValueError(f"{where}: {column} is {value!r} (expected text)")
            row[column] = value
        elif value in (None, "") and column in _OPTIONAL:
            row[column] = None
        else:
            try:
                row[column] = int(value) if column in _INT else float(value)
            except (TypeError, ValueError):
                kind = "a whole number" if column in _INT else "a number"
                raise ValueError(f"{where}: {column} is {value!r} (expected {kind})") from None
    return row


def _order(row: Mapping[str, Any]) -> tuple:
    return (row["acquired"], row["scene_id"], row["region"] != "path_row", row["region"])


def merge_extent_rows(
    existing: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The table with every row of the scenes in ``new`` replaced by ``new``'s rows."""
    new_rows = [_checked(r, f"new row {i + 1}") for i, r in enumerate(new)]
    replaced = {r["scene_id"] for r in new_rows}
    kept = [
        _checked(r, f"row {i + 1}") for i, r in enumerate(existing) if r["scene_id"] not in replaced
    ]
    return sorted(kept + new_rows, key=_order)


def extent_to_csv(table: Iterable[Mapping[str, Any]]) -> bytes:
    """The table as UTF-8 CSV with a :data:`COLUMNS` header (empty cell = None)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in table:
        writer.writerow(
            [
                "" if row[c] is None else repr(row[c]) if isinstance(row[c], float) else row[c]
                for c in COLUMNS
            ]
        )
    return buffer.getvalue().encode()


def extent_from_csv(data: bytes | str, source: str = "<table>") -> list[dict[str, Any]]:
    """Parse an extent CSV table; StorageError naming ``source`` and the line when malformed."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise StorageError(f"{source}: not UTF-8 text (expected an extent CSV table)") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise StorageError(f"{source}: line 1: no column {', '.join(missing)}")
    try:
        return [_checked(record, f"line {reader.line_num}") for record in reader]
    except (ValueError, csv.Error) as exc:
        raise StorageError(f"{source}: {exc}") from None


def _schema():
    import pyarrow as pa

    types = {c: pa.string() for c in _TEXT} | {c: pa.int32() for c in _INT}
    return pa.schema([(c, types.get(c, pa.float64())) for c in COLUMNS])


def extent_to_parquet(table: Iterable[Mapping[str, Any]]) -> bytes:
    """The table as Parquet (pyarrow; typed columns, None as null)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(table)
    arrow = pa.table({c: [r[c] for r in rows] for c in COLUMNS}, schema=_schema())
    buffer = io.BytesIO()
    pq.write_table(arrow, buffer)
    return buffer.getvalue()


def extent_from_parquet(data: bytes, source: str = "<table>") -> list[dict[str, Any]]:
    """Parse an extent Parquet table; StorageError naming ``source`` when malformed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        arrow = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError) as exc:
        raise StorageError(f"{source}: not a Parquet table ({exc})") from None
    missing = [c for c in COLUMNS if c not in arrow.column_names]
    if missing:
        raise StorageError(f"{source}: no column {', '.join(missing)}")
    try:
        return [_checked(r, f"row {i + 1}") for i, r in enumerate(arrow.to_pylist())]
    except ValueError as exc:
        raise StorageError(f"{source}: {exc}") from None


def _suffix(uri: str) -> str:
    suffix = os.path.splitext(uri)[1].lower()
    if suffix not in (".csv", ".parquet"):
        raise OptionError(f"{uri}: unknown table format {suffix or '(none)'} (.csv or .parquet)")
    return suffix


def read_extent_table(
    uri: str | os.PathLike, *, s3_client=None, missing_ok: bool = False
) -> list[dict[str, Any]]:
    """Read an extent table (``.csv`` or ``.parquet``, local or ``s3://``)."""
    from landsat_ops.sampling.rows import store_and_name

    uri = str(uri)
    suffix = _suffix(uri)
    store, name = store_and_name(uri, s3_client)
    if not store.exists(name):
        if missing_ok:
            return []
        raise StorageError(f"{store.uri(name)}: no such table (expected a {suffix} file)")
    data = store.read_bytes(name)
    reader = extent_from_csv if suffix == ".csv" else extent_from_parquet
    return reader(data, store.uri(name))


def write_extent_table(
    table: Iterable[Mapping[str, Any]], uri: str | os.PathLike, *, s3_client=None
) -> str:
    """Write the table as CSV or Parquet (by suffix), atomically; return the URI written."""
    from landsat_ops.sampling.rows import store_and_name

    uri = str(uri)
    suffix = _suffix(uri)
    rows = merge_extent_rows([], table)
    store, name = store_and_name(uri, s3_client)
    if suffix == ".csv":
        store.write_bytes(name, extent_to_csv(rows), content_type="text/csv")
    else:
        data = extent_to_parquet(rows)
        store.write_bytes(name, data, content_type="application/vnd.apache.parquet")
    return store.uri(name)
