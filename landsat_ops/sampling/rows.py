"""A sample's row (:class:`SampleRow`, :data:`SAMPLE_COLUMNS`) and the samples as a CSV file."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from landsat_ops.errors import OptionError, StorageError
from landsat_ops.storage import Store, is_s3, open_store

__all__ = [
    "ACQUIRED_FORMAT",
    "FILL",
    "NO_VALID",
    "OUTSIDE",
    "REASONS",
    "SAMPLE_COLUMNS",
    "SampleRow",
    "csv_cell",
    "samples_csv",
    "store_and_name",
    "write_samples",
]

SAMPLE_COLUMNS = (
    "scene_id",
    "acquired",
    "path",
    "row",
    "point_id",
    "lon",
    "lat",
    "ndvi",
    "valid_px",
    "cloudy_px",
    "scene_cloud_cover",
    "reason",
)
OUTSIDE, FILL, NO_VALID = "outside scene", "fill", "no valid pixels"
REASONS = (OUTSIDE, FILL, NO_VALID)
ACQUIRED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class SampleRow:
    """One point sampled in one scene; the fields are :data:`SAMPLE_COLUMNS`, in order.

    ``acquired`` is the scene centre time, UTC, as ``YYYY-MM-DDTHH:MM:SSZ``. ``ndvi``,
    ``cloudy_px`` and ``scene_cloud_cover`` are None when empty (see the module docstring).
    """

    scene_id: str
    acquired: str
    path: int
    row: int
    point_id: str
    lon: float
    lat: float
    ndvi: float | None
    valid_px: int
    cloudy_px: int | None
    scene_cloud_cover: float | None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The row as ``{column: value}`` in :data:`SAMPLE_COLUMNS` order."""
        return dict(zip(SAMPLE_COLUMNS, astuple(self), strict=True))


def csv_cell(value: Any) -> str:
    """One CSV cell: empty for None, shortest round-trip text for floats."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def samples_csv(rows: Iterable[SampleRow]) -> str:
    """The rows as CSV text with a :data:`SAMPLE_COLUMNS` header (empty cells for None)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SAMPLE_COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(v) for v in astuple(row)])
    return buffer.getvalue()


def read_table_bytes(
    uri: str | os.PathLike, suffix: str, *, s3_client=None, missing_ok: bool = False
) -> tuple[bytes | None, str]:
    """The bytes of a table file (local or ``s3://``) and its full URI; ``(None, uri)`` when
    it does not exist and ``missing_ok`` (a first merge), else a one-line StorageError naming
    the ``suffix`` expected."""
    store, name = store_and_name(uri, s3_client)
    if not store.exists(name):
        if missing_ok:
            return None, store.uri(name)
        raise StorageError(f"{store.uri(name)}: no such table (expected a {suffix} file)")
    return store.read_bytes(name), store.uri(name)


def store_and_name(uri: str | os.PathLike, s3_client=None) -> tuple[Store, str]:
    """The store holding a file's folder (local or ``s3://``) and the file's name in it."""
    target = str(uri)
    if is_s3(target):
        parent, _, name = target.rpartition("/")
    else:
        path = Path(target).expanduser().absolute()
        parent, name = str(path.parent), path.name
    if not name:
        raise OptionError(f"{target}: not a file name (expected e.g. samples.csv)")
    return open_store(parent, s3_client), name


def write_samples(rows: Iterable[SampleRow], out: str | os.PathLike, *, s3_client=None) -> str:
    """Write the rows as CSV to a local file or ``s3://`` URI, atomically; return its URI.

    Locally the file is written under a hidden temporary name and renamed into place, so a
    reader never sees half a table; an S3 object appears only once its upload completed.
    """
    store, name = store_and_name(out, s3_client)
    store.write_bytes(name, samples_csv(rows).encode(), content_type="text/csv")
    return store.uri(name)
