"""Time-series tables as files: CSV (empty cell = None) or Parquet (pyarrow, imported only
then), chosen by the suffix, locally or on S3, always written atomically."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Iterable, Mapping
from typing import Any

from landsat_ops.errors import OptionError, StorageError
from landsat_ops.sampling.rows import ACQUIRED_FORMAT, csv_cell, read_table_bytes, store_and_name
from landsat_ops.timeseries.table import COLUMNS, Table, checked_row, row_order

__all__ = [
    "read_table",
    "table_from_csv",
    "table_from_parquet",
    "table_to_csv",
    "table_to_parquet",
    "write_table",
]

_FORMATS = (".csv", ".parquet")


def table_to_csv(table: Iterable[Mapping[str, Any]]) -> bytes:
    """The table as UTF-8 CSV with a :data:`COLUMNS` header; floats round-trip exactly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in table:
        writer.writerow([csv_cell(row[c]) for c in COLUMNS])
    return buffer.getvalue().encode()


def table_from_csv(data: bytes | str, source: str = "<table>") -> Table:
    """Parse a CSV table; StorageError naming ``source`` and the line when malformed."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise StorageError(f"{source}: not UTF-8 text (expected a CSV time-series table)") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise StorageError(
            f"{source}: line 1: no column {', '.join(missing)} "
            f"(expected a header {','.join(COLUMNS)})"
        )
    rows = []
    try:
        for record in reader:
            rows.append(checked_row(record, f"line {reader.line_num}"))
    except (ValueError, csv.Error) as exc:
        raise StorageError(f"{source}: {exc}") from None
    return rows


def _schema():
    import pyarrow as pa

    return pa.schema(
        [
            ("scene_id", pa.string()),
            ("acquired", pa.timestamp("ms", tz="UTC")),  # Parquet has no seconds unit
            ("path", pa.int16()),
            ("row", pa.int16()),
            ("point_id", pa.string()),
            ("ndvi", pa.float64()),
            ("valid_px", pa.int32()),
            ("cloudy_px", pa.int32()),
            ("scene_cloud_cover", pa.float64()),
        ]
    )


def table_to_parquet(table: Iterable[Mapping[str, Any]]) -> bytes:
    """The table as Parquet bytes (``acquired`` as a UTC timestamp, nullable numbers)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(table)
    columns = {c: [r[c] for r in rows] for c in COLUMNS}
    columns["acquired"] = [
        dt.datetime.strptime(v, ACQUIRED_FORMAT).replace(tzinfo=dt.UTC) for v in columns["acquired"]
    ]
    arrow = pa.Table.from_pydict(columns, schema=_schema())
    sink = io.BytesIO()
    pq.write_table(arrow, sink, compression="zstd")
    return sink.getvalue()


def table_from_parquet(data: bytes, source: str = "<table>") -> Table:
    """Parse a Parquet table; StorageError naming ``source`` when it is not one."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        arrow = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError) as exc:
        raise StorageError(f"{source}: not a Parquet file ({exc}) (expected a table)") from None
    missing = [c for c in COLUMNS if c not in arrow.column_names]
    if missing:
        raise StorageError(
            f"{source}: no column {', '.join(missing)} (expected columns {','.join(COLUMNS)})"
        )
    records = arrow.select(COLUMNS).to_pylist()
    try:
        return [checked_row(r, f"row {i + 1}") for i, r in enumerate(records)]
    except ValueError as exc:
        raise StorageError(f"{source}: {exc}") from None


def _format(uri: str) -> str:
    suffix = os.path.splitext(uri)[1].lower()
    if suffix not in _FORMATS:
        raise OptionError(
            f"{uri}: unknown table format {suffix or '(no suffix)'} (expected .csv or .parquet)"
        )
    return suffix


def read_table(uri: str | os.PathLike, *, s3_client=None, missing_ok: bool = False) -> Table:
    """Read a CSV or Parquet table (by suffix) from a local path or ``s3://`` URI.

    Parameters
    ----------
    uri : str or PathLike
        ``*.csv`` or ``*.parquet``.
    missing_ok : bool
        Return an empty table when the file does not exist (for a first merge).

    Raises
    ------
    OptionError
        Unknown suffix.
    StorageError
        Missing (unless ``missing_ok``), unreadable or malformed file.
    """
    suffix = _format(str(uri))
    data, where = read_table_bytes(uri, suffix, s3_client=s3_client, missing_ok=missing_ok)
    if data is None:
        return []
    return (table_from_csv if suffix == ".csv" else table_from_parquet)(data, where)


def write_table(
    table: Iterable[Mapping[str, Any]], uri: str | os.PathLike, *, s3_client=None
) -> str:
    """Write the table as CSV or Parquet (by suffix), atomically; return the URI written.

    The rows are checked and sorted first (see :func:`merge_rows`).
    """
    uri = str(uri)
    suffix = _format(uri)
    try:
        rows = sorted((checked_row(r, f"row {i + 1}") for i, r in enumerate(table)), key=row_order)
    except ValueError as exc:
        raise OptionError(f"table: {exc}") from None
    store, name = store_and_name(uri, s3_client)
    if suffix == ".csv":
        store.write_bytes(name, table_to_csv(rows), content_type="text/csv")
    else:
        store.write_bytes(
            name, table_to_parquet(rows), content_type="application/vnd.apache.parquet"
        )
    return store.uri(name)
