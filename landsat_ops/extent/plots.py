"""The extent over time (matplotlib's Agg canvas, no pyplot state): one panel per region, one
line per class, points below the clear-fraction threshold hollow and left out of the line and
of the trend, the clear fraction as grey bars, a least-squares trend over the clear points.
The composites' rows (kind ``composite``: a period's median reflectance classified) are
diamonds at the middle of their period, with a bar over its first to last acquisition; they are
neither joined to the scenes' line nor in the trend."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from landsat_ops.errors import OptionError
from landsat_ops.extent.table import DEFAULT_CLEAR_THRESHOLD

__all__ = ["CLASS_STYLES", "plot_extent", "trend_per_year"]

CLASS_STYLES = {
    "snow_ice_km2": ("snow/ice", "#1b9fd8", "o"),
    "water_km2": ("water", "#0b2e6f", "s"),
}
"""Column -> (label, colour, marker) of each class line."""
_SECONDS_PER_YEAR = 365.2425 * 86400


def _time(row: Mapping[str, Any], column: str = "acquired") -> dt.datetime:
    return dt.datetime.strptime(row[column], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def _composites(axes, series: Sequence[Mapping[str, Any]], column: str, colour: str) -> None:
    """A class's composite points: a diamond per period, a bar over its dates."""
    for r in series:
        middle = _time(r)
        start, end = (_time(r, c) if r.get(c) else middle for c in ("start", "end"))
        axes.errorbar(
            [middle],
            [r[column]],
            xerr=[[middle - start], [end - middle]],
            fmt="D",
            ms=7,
            color=colour,
            mec="black",
            mew=0.8,
            elinewidth=1.0,
            capsize=3,
            zorder=3,
        )


def trend_per_year(times: Sequence[dt.datetime], values: Sequence[float]) -> float | None:
    """Least-squares slope of ``values`` over ``times``, per year; None below 3 points or on
    one day."""
    import numpy as np

    if len(times) < 3:
        return None
    x = np.array([t.timestamp() for t in times]) / _SECONDS_PER_YEAR
    if np.ptp(x) <= 0:
        return None
    slope, _ = np.polyfit(x - x.mean(), np.asarray(values, float), 1)
    return float(slope)


def plot_extent(
    table: Iterable[Mapping[str, Any]],
    out_png: str | os.PathLike,
    *,
    regions: Sequence[str] | None = None,
    clear_threshold: float = DEFAULT_CLEAR_THRESHOLD,
    title: str | None = None,
    s3_client=None,
) -> str:
    """Draw snow/ice and water area over time per region as a PNG (local or ``s3://``).

    Parameters
    ----------
    table
        Rows of :data:`landsat_ops.extent.table.COLUMNS`.
    regions
        The panels, in order (default: ``path_row`` then the polygons in the table's order).
    clear_threshold
        Points whose region was less clear than this are hollow, unconnected and not in the
        trend (their area is a lower bound).

    Returns
    -------
    str
        The URI written.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from landsat_ops.sampling.rows import store_and_name

    if not 0 <= clear_threshold <= 1:
        raise OptionError(f"clear threshold {clear_threshold} (expected 0..1)")
    rows = sorted(table, key=lambda r: r["acquired"])
    present = list(dict.fromkeys(r["region"] for r in rows))
    if regions is None:
        regions = sorted(present, key=lambda r: (r != "path_row", present.index(r)))
    if not rows or not regions:
        raise OptionError("the extent table has no rows to plot")
    figure = Figure(figsize=(11, 2.2 + 2.6 * len(regions)), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes_list = figure.subplots(len(regions), 1, sharex=True, squeeze=False)[:, 0]
    for axes, region in zip(axes_list, regions, strict=True):
        series = [r for r in rows if r["region"] == region]
        periods = [r for r in series if r.get("kind") == "composite"]
        series = [r for r in series if r.get("kind") != "composite"]
        times = [_time(r) for r in series]
        clear = [r["clear_fraction"] >= clear_threshold for r in series]
        cover = axes.twinx()
        cover.bar(times, [r["clear_fraction"] for r in series], width=6, color="0.85", zorder=0)
        cover.set_ylim(0, 4)  # the bars fill the bottom quarter
        cover.set_yticks([0, 1], ["0", "1"], fontsize="x-small", color="0.45")
        cover.set_ylabel("clear", fontsize="x-small", color="0.45", loc="bottom")
        axes.set_zorder(cover.get_zorder() + 1)
        axes.patch.set_visible(False)
        handles = []
        for column, (label, colour, marker) in CLASS_STYLES.items():
            _composites(axes, periods, column, colour)
            values = [r[column] for r in series]
            good = [(t, v) for t, v, c in zip(times, values, clear, strict=True) if c]
            poor = [(t, v) for t, v, c in zip(times, values, clear, strict=True) if not c]
            if good:
                axes.plot(*zip(*good, strict=True), color=colour, marker=marker, ms=5, lw=1.4)
            if poor:
                axes.plot(
                    *zip(*poor, strict=True),
                    ls="",
                    marker=marker,
                    ms=6,
                    mfc="white",
                    mec=colour,
                    mew=1.2,
                    alpha=0.8,
                )
            slope = trend_per_year([t for t, _ in good], [v for _, v in good])
            text = ""
            if slope is not None:
                x = np.array([t.timestamp() for t, _ in good])
                fit = np.polyfit(x - x.mean(), [v for _, v in good], 1)
                ends = np.array([x.min(), x.max()])
                axes.plot(
                    [dt.datetime.fromtimestamp(e, dt.UTC) for e in ends],
                    np.polyval(fit, ends - x.mean()),
                    color=colour,
                    ls="--",
                    lw=1.1,
                )
                span_days = (ends[1] - ends[0]) / 86400
                if span_days >= 365:
                    text = f", trend {slope:+,.2f} km²/yr"
                else:  # within a season: per 30 days, not extrapolated to a year
                    text = f", trend {slope * 30 / 365.2425:+,.2f} km²/30 d"
            handles.append(Line2D([], [], color=colour, marker=marker, label=f"{label}{text}"))
        handles += [
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                mfc="white",
                mec="0.3",
                label=f"clear < {clear_threshold:.0%} (lower bound)",
            ),
        ]
        if periods:
            handles.append(
                Line2D(
                    [], [], marker="D", color="0.3", mec="black", label="composite (period median)"
                )
            )
        if any("trend" in h.get_label() for h in handles):
            handles.append(Line2D([], [], ls="--", color="0.3", label="trend (clear points)"))
        region_km2 = (series or periods)[-1]["region_km2"] if series or periods else 0
        name = "whole path/row (footprint)" if region == "path_row" else region.replace("_", " ")
        axes.set_title(f"{name}: {region_km2:,.0f} km²", loc="left", fontsize="medium")
        axes.set_ylabel("area (km²)")
        axes.set_ylim(bottom=0)
        axes.grid(True, alpha=0.3)
        axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.07, 1.0), fontsize="small")
    locator = AutoDateLocator()
    axes_list[-1].xaxis.set_major_locator(locator)
    axes_list[-1].xaxis.set_major_formatter(ConciseDateFormatter(locator))
    if title:
        figure.suptitle(title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    store, name = store_and_name(out_png, s3_client)
    store.write_bytes(name, buffer.getvalue(), content_type="image/png")
    return store.uri(name)
