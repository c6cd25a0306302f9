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
``kind``               str         ``scene``, or ``composite`` (a period's composite: its ID
                                   in ``scene_id``, its median reflectance classified; path
                                   and row 0 when it spans several path/rows; ``acquired``
                                   the middle of ``start`` and ``end``)
``period``             str/None    a composite's period label
``start``, ``end``     str/None    a composite's first and last acquisition (as ``acquired``)
=====================  ==========  ==========================================================

A table written before the last four columns existed reads as scene rows.

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
    "KINDS",
    "composite_rows",
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
    "kind",
    "period",
    "start",
    "end",
)
KINDS = ("scene", "composite")
_TEXT = ("scene_id", "acquired", "region", "kind")
_INT = ("path", "row")
_OPTIONAL = ("scene_cloud_cover", "period", "start", "end")
_OPTIONAL_TEXT = ("period", "start", "end")
_ADDED = {"kind": "scene", "period": None, "start": None, "end": None}
"""Columns added later, and their value in an older table."""
DEFAULT_CLEAR_THRESHOLD = 0.8
"""Below this clear fraction a point is drawn hollow and left out of the trend."""


def _checked(values: Mapping[str, Any], where: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in COLUMNS:
        if column not in values and column not in _ADDED:
            raise ValueError(f"{where}: no column {column}")
        value = values.get(column, _ADDED.get(column))
        if column in _TEXT:
            if not isinstance(value, str) or not value:
                raise ValueError(f"{where}: {column} is {value!r} (expected text)")
            if column == "kind" and value not in KINDS:
                raise ValueError(f"{where}: kind is {value!r} (expected {' or '.join(KINDS)})")
            row[column] = value
        elif value in (None, "") and column in _OPTIONAL:
            row[column] = None
        elif column in _OPTIONAL_TEXT:
            row[column] = str(value)
        else:
            try:
                row[column] = int(value) if column in _INT else float(value)
            except (TypeError, ValueError):
                kind = "a whole number" if column in _INT else "a number"
                raise ValueError(f"{where}: {column} is {value!r} (expected {kind})") from None
    return row


def _order(row: Mapping[str, Any]) -> tuple:
    return (row["acquired"], row["scene_id"], row["region"] != "path_row", row["region"])


def composite_rows(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows (kind ``composite``) of a composite's STAC item: its ``landsat_ops:extent``,
    ``landsat_ops:period``, ``start_datetime``/``end_datetime`` and ``grid:code``; none for a
    composite made before composites carried their extent."""
    import datetime as dt

    props = item["properties"]
    fields = props.get("landsat_ops:extent")
    if not fields:
        return []
    when = [dt.datetime.fromisoformat(props[k]).astimezone(dt.UTC) for k in _RANGE]
    start, end = (t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in when)
    middle = (when[0] + (when[1] - when[0]) / 2).strftime("%Y-%m-%dT%H:%M:%SZ")
    code = props.get("grid:code", "")
    path, row = (int(code[5:8]), int(code[8:11])) if code.startswith("WRS2-") else (0, 0)
    keys = ("region_km2", "observed_km2", "clear_km2", "clear_fraction", "snow_ice_km2")
    regions = {"path_row": {k: fields[k] for k in (*keys, "water_km2")}}
    regions.update(fields.get("polygons") or {})
    return [
        {
            "scene_id": item["id"],
            "acquired": middle,
            "path": path,
            "row": row,
            "region": name,
            **{k: region[k] for k in (*keys, "water_km2")},
            "scene_cloud_cover": None,
            "kind": "composite",
            "period": props.get("landsat_ops:period"),
            "start": start,
            "end": end,
        }
        for name, region in regions.items()
    ]


_RANGE = ("start_datetime", "end_datetime")


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
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or []) and c not in _ADDED]
    if missing:
        raise StorageError(f"{source}: line 1: no column {', '.join(missing)}")
    try:
        return [_checked(record, f"line {reader.line_num}") for record in reader]
    except (ValueError, csv.Error) as exc:
        raise StorageError(f"{source}: {exc}") from None


def _schema():
    import pyarrow as pa

    types = {c: pa.string() for c in (*_TEXT, *_OPTIONAL_TEXT)} | {c: pa.int32() for c in _INT}
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
    missing = [c for c in COLUMNS if c not in arrow.column_names and c not in _ADDED]
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
    from landsat_ops.sampling.rows import read_table_bytes

    suffix = _suffix(str(uri))
    data, where = read_table_bytes(uri, suffix, s3_client=s3_client, missing_ok=missing_ok)
    if data is None:
        return []
    return (extent_from_csv if suffix == ".csv" else extent_from_parquet)(data, where)


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
