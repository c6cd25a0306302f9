"""Plots of a time-series table (matplotlib's Agg canvas, no pyplot state): NDVI over time per
point, NDVI against scene cloud cover. Cloudy samples (:func:`is_cloudy`) are hollow markers,
never dropped."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from landsat_ops.errors import OptionError
from landsat_ops.sampling.rows import ACQUIRED_FORMAT, store_and_name
from landsat_ops.timeseries.table import (
    DEFAULT_CLOUD_THRESHOLD,
    is_cloudy,
    point_series,
)

__all__ = ["plot_ndvi_vs_cloud", "plot_timeseries"]


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
