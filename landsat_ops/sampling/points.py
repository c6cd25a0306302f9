"""POINTS files: CSV with a header naming at least ``id``, ``lon`` and ``lat`` (any order).

:func:`read_points` rejects a malformed file with an :class:`~landsat_ops.errors.OptionError`
naming the file and the line.
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

from landsat_ops.errors import OptionError, StorageError
from landsat_ops.points import Point
from landsat_ops.sampling.rows import (
    store_and_name,
)
from landsat_ops.storage import is_s3

__all__ = ["POINT_COLUMNS", "parse_points", "read_points"]

POINT_COLUMNS = ("id", "lon", "lat")


def _points_error(source: str, line: int, what: str, expected: str) -> OptionError:
    return OptionError(f"{source}: line {line}: {what} (expected {expected})")


def _coordinate(text: str, name: str, limit: float, source: str, line: int) -> float:
    """Parse a longitude (limit 180) or latitude (limit 90) in degrees."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise _points_error(
            source, line, f"{name} {text!r} is not a number", f"{name} in decimal degrees"
        )
    if not -limit <= value <= limit:
        raise _points_error(
            source,
            line,
            f"{name} {value:g} is outside -{limit:g}..{limit:g}",
            f"WGS84 {name} in -{limit:g}..{limit:g} degrees",
        )
    return value


def parse_points(data: str | bytes, source: str = "<points>") -> list[Point]:
    """Parse POINTS CSV content: a header with ``id,lon,lat`` (any order), one point a line.

    Blank lines are skipped; extra columns are ignored.

    Parameters
    ----------
    data : str or bytes
        The file content (UTF-8, a byte-order mark is allowed).
    source : str
        The file name, used in error messages.

    Returns
    -------
    list of Point
        In file order, at least one.

    Raises
    ------
    OptionError
        Naming ``source`` and the line: an empty file, a missing or repeated column, a row
        with the wrong number of fields, an empty or duplicate ID, a coordinate that is not
        a number, a longitude outside -180..180 or a latitude outside -90..90.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise _points_error(source, line, "is not UTF-8 text", "a UTF-8 CSV file") from None
    data = data.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(data, newline=""))
    header: list[str] | None = None
    points: list[Point] = []
    first_line: dict[str, int] = {}
    expected_row = "id,lon,lat values matching the header"
    try:
        for record in reader:
            line = reader.line_num
            if not any(field.strip() for field in record):
                continue
            if header is None:
                header = [name.strip().lower() for name in record]
                repeated = sorted({n for n in header if header.count(n) > 1 and n})
                if repeated:
                    raise _points_error(
                        source,
                        line,
                        f"header repeats column {', '.join(repeated)}",
                        "each of id,lon,lat once",
                    )
                missing = [c for c in POINT_COLUMNS if c not in header]
                if missing:
                    raise _points_error(
                        source,
                        line,
                        f"header lacks column {', '.join(missing)}",
                        "a header line id,lon,lat",
                    )
                index = {name: header.index(name) for name in POINT_COLUMNS}
                continue
            if len(record) != len(header):
                raise _points_error(
                    source,
                    line,
                    f"{len(record)} fields where the header has {len(header)}",
                    expected_row,
                )
            point_id = record[index["id"]].strip()
            if not point_id:
                raise _points_error(source, line, "empty id", "a non-empty point ID")
            if point_id in first_line:
                raise _points_error(
                    source,
                    line,
                    f"duplicate id {point_id!r} (first on line {first_line[point_id]})",
                    "unique point IDs",
                )
            lon = _coordinate(record[index["lon"]].strip(), "lon", 180.0, source, line)
            lat = _coordinate(record[index["lat"]].strip(), "lat", 90.0, source, line)
            first_line[point_id] = line
            points.append(Point(point_id, lon, lat))
    except csv.Error as exc:
        raise _points_error(source, reader.line_num, f"malformed CSV: {exc}", "CSV") from None
    if header is None:
        raise _points_error(source, 1, "empty file", "a header line id,lon,lat, then points")
    if not points:
        raise _points_error(
            source, reader.line_num + 1, "no points after the header", "at least one point"
        )
    return points


def read_points(source: str | os.PathLike, *, s3_client=None) -> list[Point]:
    """Read and validate a POINTS CSV file (local path or ``s3://`` URI); see :func:`parse_points`.

    Raises
    ------
    OptionError
        The content is malformed (the message names the file and the line).
    StorageError
        The file cannot be read.
    """
    name = str(source)
    if is_s3(name):
        store, key = store_and_name(name, s3_client)
        data = store.read_bytes(key)
    else:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            raise StorageError(
                f"{name}: cannot read the points file ({exc.strerror or exc}) "
                "(expected a readable CSV file id,lon,lat)"
            ) from None
    return parse_points(data, name)
