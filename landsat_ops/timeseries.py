"""The per-area NDVI time-series table: merge scene samples idempotently, read/write, plot.

A table is a list of rows, each a dict with exactly the keys :data:`COLUMNS`:

=====================  ==========  ==================================================
column                 type        meaning
=====================  ==========  ==================================================
``scene_id``           str         the scene (product) ID
``acquired``           str         scene centre time, UTC, ``YYYY-MM-DDTHH:MM:SSZ``
``path``, ``row``      int         WRS-2 path and row
``point_id``           str         the point of interest
``ndvi``               float/None  mean NDVI of the window's valid pixels (see
                                   :mod:`landsat_ops.sampling`); None when not sampled
``valid_px``           int         valid pixels the mean is based on
``cloudy_px``          int/None    of those, pixels the QA band flags as cloud
``scene_cloud_cover``  float/None  the MTL's ``CLOUD_COVER``, percent
=====================  ==========  ==================================================

:func:`merge_rows` replaces every row of the scenes it is given, so re-running a scene
replaces its rows and never duplicates them; tables are sorted by ``acquired``, then
``point_id``. Tables are stored as CSV (empty cell = None) or Parquet (pyarrow, imported only
then), chosen by the suffix, locally or on S3, always atomically.

The plots (matplotlib's Agg canvas, no pyplot state) show cloudy samples (:func:`is_cloudy`)
with hollow markers instead of dropping them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from landsat_ops.errors import OptionError, StorageError
from landsat_ops.sampling import ACQUIRED_FORMAT, OUTSIDE, SampleRow, _cell, store_and_name

__all__ = [
    "COLUMNS",
    "DEFAULT_CLOUD_THRESHOLD",
    "Table",
    "is_cloudy",
    "merge_rows",
    "plot_ndvi_vs_cloud",
    "plot_timeseries",
    "point_series",
    "read_table",
    "table_from_csv",
    "table_from_parquet",
    "table_rows",
    "table_to_csv",
    "table_to_parquet",
    "write_table",
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
_FORMATS = (".csv", ".parquet")


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


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


def _row(values: Mapping[str, Any], where: str) -> dict[str, Any]:
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
            rows.append(_row(values, f"row {i + 1}"))
        except ValueError as exc:
            raise OptionError(f"samples: {exc}") from None
    return rows


def _sort_key(row: Mapping[str, Any]) -> tuple:
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
            _row(r, f"existing row {i + 1}")
            for i, r in enumerate(existing)
            if str(r.get("scene_id", "")).strip() not in scenes
        ]
    except ValueError as exc:
        raise OptionError(f"table: {exc}") from None
    return sorted([*kept, *fresh.values()], key=_sort_key)


def point_series(table: Iterable[Mapping[str, Any]], point_id: str) -> Table:
    """The rows of one point, in time order."""
    return sorted((dict(r) for r in table if r["point_id"] == point_id), key=_sort_key)


def is_cloudy(row: Mapping[str, Any], cloud_threshold: float = DEFAULT_CLOUD_THRESHOLD) -> bool:
    """True when QA flags cloud in the window or the scene is cloudier than the threshold."""
    cloudy_px = row.get("cloudy_px")
    cover = row.get("scene_cloud_cover")
    return bool(cloudy_px) or (cover is not None and cover > cloud_threshold)


# --------------------------------------------------------------------------------------------
# CSV and Parquet
# --------------------------------------------------------------------------------------------


def table_to_csv(table: Iterable[Mapping[str, Any]]) -> bytes:
    """The table as UTF-8 CSV with a :data:`COLUMNS` header; floats round-trip exactly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in table:
        writer.writerow([_cell(row[c]) for c in COLUMNS])
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
            rows.append(_row(record, f"line {reader.line_num}"))
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
        return [_row(r, f"row {i + 1}") for i, r in enumerate(records)]
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
    uri = str(uri)
    suffix = _format(uri)
    store, name = store_and_name(uri, s3_client)
    if not store.exists(name):
        if missing_ok:
            return []
        raise StorageError(f"{store.uri(name)}: no such table (expected a {suffix} file)")
    data = store.read_bytes(name)
    if suffix == ".csv":
        return table_from_csv(data, store.uri(name))
    return table_from_parquet(data, store.uri(name))


def write_table(
    table: Iterable[Mapping[str, Any]], uri: str | os.PathLike, *, s3_client=None
) -> str:
    """Write the table as CSV or Parquet (by suffix), atomically; return the URI written.

    The rows are checked and sorted first (see :func:`merge_rows`).
    """
    uri = str(uri)
    suffix = _format(uri)
    try:
        rows = sorted((_row(r, f"row {i + 1}") for i, r in enumerate(table)), key=_sort_key)
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


# --------------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------------


def _figure(width: float = 10.0, height: float = 5.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save_png(figure, out_png: str | os.PathLike, s3_client) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    store, name = store_and_name(out_png, s3_client)
    store.write_bytes(name, buffer.getvalue(), content_type="image/png")
    return store.uri(name)


def _colours(point_ids: Sequence[str]) -> dict[str, Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if len(point_ids) <= 10 else "tab20"]
    return {pid: cmap(i % cmap.N) for i, pid in enumerate(point_ids)}


def _time(row: Mapping[str, Any]) -> dt.datetime:
    return dt.datetime.strptime(row["acquired"], ACQUIRED_FORMAT).replace(tzinfo=dt.UTC)


def _style_legend(axes, cloudy_label: str, missing: bool = False) -> None:
    from matplotlib.lines import Line2D

    handles, _ = axes.get_legend_handles_labels()
    grey = "0.35"
    handles += [
        Line2D([], [], ls="", marker="o", color=grey, label="clear"),
        Line2D([], [], ls="", marker="o", mfc="none", color=grey, label=cloudy_label),
    ]
    if missing:
        handles.append(
            Line2D([], [], ls="", marker="x", color="0.5", label="no NDVI (fill, no valid px)")
        )
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")


def plot_timeseries(
    table: Iterable[Mapping[str, Any]],
    out_png: str | os.PathLike,
    point_ids: Sequence[str] | None = None,
    *,
    cloud_threshold: float = DEFAULT_CLOUD_THRESHOLD,
    title: str | None = None,
    s3_client=None,
) -> str:
    """Draw NDVI over time per point as a PNG (local path or ``s3://``); return its URI.

    Clear samples are filled markers, cloudy ones (:func:`is_cloudy`) hollow markers on the
    same line; samples without an NDVI (fill, no valid pixels) are grey crosses along the
    bottom edge, so no acquisition disappears silently.

    Parameters
    ----------
    table : iterable of mappings
        Table rows (:data:`COLUMNS`).
    out_png : str or PathLike
        Where to write the PNG (atomically).
    point_ids : sequence of str, optional
        The points to draw, in legend order (default: every point in the table).
    cloud_threshold : float
        Scene cloud cover (percent) above which a sample is drawn as cloudy.

    Raises
    ------
    OptionError
        A requested point has no rows in the table.
    """
    from matplotlib import dates as mdates

    rows = list(table)
    available = sorted({r["point_id"] for r in rows})
    wanted = list(point_ids) if point_ids is not None else available
    unknown = [p for p in wanted if p not in available]
    if unknown:
        raise OptionError(
            f"no samples of point {', '.join(unknown)} in the table "
            f"(points in it: {', '.join(available) or 'none'})"
        )
    figure = _figure()
    axes = figure.add_subplot()
    colours = _colours(wanted)
    drawn = 0
    any_missing = False
    for pid in wanted:
        series = point_series(rows, pid)
        sampled = [r for r in series if r["ndvi"] is not None]
        colour = colours[pid]
        if sampled:
            axes.plot(
                [_time(r) for r in sampled],
                [r["ndvi"] for r in sampled],
                color=colour,
                lw=1,
                alpha=0.6,
                label=pid,
            )
        for cloudy in (False, True):
            chosen = [r for r in sampled if is_cloudy(r, cloud_threshold) == cloudy]
            if chosen:
                axes.plot(
                    [_time(r) for r in chosen],
                    [r["ndvi"] for r in chosen],
                    ls="",
                    marker="o",
                    ms=6,
                    color=colour,
                    mfc="none" if cloudy else colour,
                    mew=1.5,
                )
        drawn += len(sampled)
        missing = [r for r in series if r["ndvi"] is None]
        any_missing = any_missing or bool(missing)
        if missing:
            axes.plot(
                [_time(r) for r in missing],
                [0.0] * len(missing),
                ls="",
                marker="x",
                color="0.5",
                transform=axes.get_xaxis_transform(),
                clip_on=False,
            )
    if drawn == 0:
        axes.text(0.5, 0.5, "no NDVI samples", ha="center", va="center", transform=axes.transAxes)
    times = sorted({_time(r) for r in rows if r["point_id"] in wanted})
    if times and times[0] == times[-1]:  # one acquisition: show a month, not years, around it
        axes.set_xlim(times[0] - dt.timedelta(days=16), times[0] + dt.timedelta(days=16))
    locator = mdates.AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if drawn == 0:
        axes.set_ylim(-1.0, 1.0)
    else:
        axes.margins(y=0.1)
    axes.axhline(0.0, color="0.8", lw=0.8, zorder=0)
    axes.set_ylabel("NDVI (mean of valid pixels)")
    axes.set_xlabel("acquired (UTC)")
    axes.set_title(title or "NDVI at points of interest")
    axes.grid(True, alpha=0.3)
    _style_legend(
        axes, f"cloudy (QA cloud in window or scene > {cloud_threshold:g} %)", any_missing
    )
    return _save_png(figure, out_png, s3_client)


def plot_ndvi_vs_cloud(
    table: Iterable[Mapping[str, Any]],
    out_png: str | os.PathLike,
    *,
    title: str | None = None,
    s3_client=None,
) -> str:
    """Scatter NDVI against the scene's cloud cover, one colour per point; return the URI.

    Samples whose window holds QA cloud are hollow. Samples without an NDVI or without a
    scene cloud cover cannot be placed; their number is noted in the plot.
    """
    rows = list(table)
    point_ids = sorted({r["point_id"] for r in rows})
    colours = _colours(point_ids)
    figure = _figure(8.0, 5.0)
    axes = figure.add_subplot()
    placed = 0
    for pid in point_ids:
        chosen = [
            r
            for r in rows
            if r["point_id"] == pid and r["ndvi"] is not None and r["scene_cloud_cover"] is not None
        ]
        label = pid
        for cloudy in (False, True):
            part = [r for r in chosen if bool(r["cloudy_px"]) == cloudy]
            if part:
                axes.scatter(
                    [r["scene_cloud_cover"] for r in part],
                    [r["ndvi"] for r in part],
                    s=36,
                    facecolors="none" if cloudy else [colours[pid]],
                    edgecolors=[colours[pid]],
                    linewidths=1.5,
                    label=label,
                )
                label = None  # one legend entry per point
        placed += len(chosen)
    unplaced = len(rows) - placed
    if placed == 0:
        axes.text(0.5, 0.5, "no NDVI samples", ha="center", va="center", transform=axes.transAxes)
        axes.set_ylim(-1.0, 1.0)
    if unplaced:
        axes.text(
            0.99,
            0.01,
            f"{unplaced} sample(s) without NDVI or scene cloud cover not shown",
            ha="right",
            va="bottom",
            fontsize="small",
            color="0.4",
            transform=axes.transAxes,
        )
    axes.set_xlim(-2.0, 102.0)
    axes.set_xlabel("scene cloud cover (%, MTL CLOUD_COVER)")
    axes.set_ylabel("NDVI (mean of valid pixels)")
    axes.set_title(title or "NDVI against scene cloud cover")
    axes.grid(True, alpha=0.3)
    _style_legend(axes, "QA cloud in window")
    return _save_png(figure, out_png, s3_client)
