"""Matplotlib figures: the per-channel histogram sheet of a rendered scene.

Figures are drawn with the non-interactive Agg canvas (no display, thread-safe) and saved
atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

CHANNEL_COLOURS = ("#d62728", "#2ca02c", "#1f77b4")
BIN_WIDTH = 64  # DN per histogram bar: 1024 bars over the uint16 range


def _figure(nrows: int, ncols: int, size: tuple[float, float]):
    from matplotlib.figure import Figure

    # Fixed margins: a layout engine costs more than drawing the whole sheet.
    fig = Figure(figsize=size)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.07, top=0.9, wspace=0.25, hspace=0.5)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def _filled_steps(ax, counts, edges, **style) -> None:
    """A filled step histogram (what ``ax.stairs(fill=True)`` draws).

    As a collection: ``stairs`` makes a patch, whose data limits matplotlib computes by
    walking every path segment in Python (~50 ms per 1000 bins), a collection's in numpy.
    """
    ax.fill_between(edges, np.append(counts, counts[-1]), step="post", linewidth=0, **style)


def save_figure(fig, target: Path, dpi: int = 100) -> Path:
    """Save a figure as PNG under a temporary name, then rename it into place."""
    tmp = target.with_name(f".{target.name}.partial")
    try:
        fig.savefig(tmp, format="png", dpi=dpi)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _ndvi_colour_bar(fig, ax) -> None:
    """The legend of the NDVI preview: its colour map over NDVI_RANGE, with values."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    from landsat_ops.products import NDVI_COLORMAP, NDVI_RANGE

    mappable = ScalarMappable(Normalize(*NDVI_RANGE), colormaps[NDVI_COLORMAP])
    bar = fig.colorbar(mappable, cax=ax, orientation="horizontal")
    bar.set_ticks([-1, -0.5, 0, 0.5, 1])
    bar.set_label("NDVI colours of the ndvi preview (transparent = no data)")
    ax.set_box_aspect(0.08)
    ax.set_title("water, snow, cloud < 0 < bare soil < vegetation", fontsize=9)


def _channel_axis(ax, hist, clear_hist, stretch, luts, c, name):
    """One channel: its histogram (every valid pixel; the clear ones outlined), the 8-bit curve
    actually applied (right axis), and the cut-offs labelled with what they came from."""
    from matplotlib.ticker import EngFormatter, MaxNLocator

    band = stretch.bands[c]
    low, high = stretch.cutoffs[c]
    nonzero = np.flatnonzero(hist)
    lo_dn = int(min(nonzero[0], max(1, np.floor(low))))
    hi_dn = int(max(nonzero[-1] + 1, min(65535, np.ceil(high) + 1)))
    start = lo_dn - lo_dn % BIN_WIDTH
    counts = np.add.reduceat(hist[start:hi_dn], np.arange(0, hi_dn - start, BIN_WIDTH))
    edges_dn = start + np.arange(len(counts) + 1) * BIN_WIDTH
    plan = stretch.plan
    channel = plan.channels[c] if plan is not None else None
    # The x axis: corrected reflectance for the natural curve, DN otherwise.
    x_of = channel.corrected if channel is not None else (lambda dn: np.asarray(dn, float))
    _filled_steps(ax, counts, x_of(edges_dn), color=CHANNEL_COLOURS[c], alpha=0.55)
    if clear_hist is not None and stretch.pixels == "clear":
        clear_counts = np.add.reduceat(
            clear_hist[start:hi_dn], np.arange(0, hi_dn - start, BIN_WIDTH)
        )
        ax.stairs(clear_counts, x_of(edges_dn), color="black", linewidth=0.7, label="clear (QA)")
    # The table at every DN a bar starts on (and the last): as many points as bars.
    dn = np.unique(np.clip(edges_dn, 1, 65535))
    curve_ax = ax.twinx()
    curve_ax.plot(x_of(dn), luts[c][dn], color="black", linewidth=1.2)
    curve_ax.set_ylim(0, 260)
    curve_ax.set_yticks([0, 64, 128, 192, 255])
    curve_ax.tick_params(labelsize=7)
    if plan is not None:
        white = plan.white
        ax.axvline(x_of(low), color="0.3", linestyle=":", linewidth=1)
        ax.axvline(white, color="black", linestyle="--", linewidth=1)
        anchor = plan.anchor * white
        target = plan.curve()["anchor"]["y"]
        curve_ax.plot([anchor], [1 + 254 * target], "o", color="black", markersize=4)
        title = (
            f"{name} {'RGB'[c]} = B{band}: white {white:.3f} = mean p"
            f"{plan.curve()['white_percentile']:g} of valid, k {plan.k:.3g}"
        )
        ax.set_xlabel(
            f"B{band} {plan.reflectance} reflectance"
            + (f" - haze {channel.haze:.3f}" if channel.haze else "")
            + f"; o: median {plan.pixels} pixel -> {target:g}"
        )
        if c == 2:
            curve_ax.set_ylabel(
                f"output level (x {plan.saturation[0] / plan.saturation[1]:g} sat.)"
            )
    else:
        for x in (low, high):
            ax.axvline(x, color="black", linestyle="--", linewidth=1)
        if stretch.percentiles:
            p_low, p_high = stretch.percentiles
            source = f"of {stretch.pixels} pixels" if stretch.pixels else ""
            label = f"p{p_low:g} {low:.0f}, p{p_high:g} {high:.0f} {source}"
        else:
            label = f"manual range {low:.0f}-{high:.0f}"
        title = f"{name} {'RGB'[c]} = B{band}: {stretch.mode}, {label}"
        ax.set_xlabel(f"B{band} DN (digital number)")
        if c == 2:
            curve_ax.set_ylabel("output level")
    ax.set_title(title, fontsize=8)
    ax.set_ylabel("pixels")
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.yaxis.set_major_formatter(EngFormatter(sep=""))  # 40k, 1.2M: no offset text
    ax.xaxis.label.set_fontsize(8)


def histogram_figure(
    scene_id, histograms, stretches, ndvi_hist, target: Path, clear_histograms=None
) -> Path:
    """One row per composite: each channel's histogram, the curve applied and its cut-offs.

    Parameters
    ----------
    histograms : dict[int, ndarray]
        Band number -> exact uint16 histogram of the band's valid pixels (filled), drawn
        against corrected reflectance for the ``natural`` true colour, DN otherwise.
    stretches : dict[str, Stretch]
        Composite name -> the stretch used; its 8-bit lookup table is drawn on the right axis
        (for ``natural`` before the saturation), its cut-offs as dashed lines labelled with
        what they were computed from (white point, percentiles of which pixels, manual).
    ndvi_hist : (counts, edges) or None
        NDVI distribution, drawn as an extra row when given, next to the colour bar of the
        NDVI preview (its legend: colours against values).
    clear_histograms : dict[int, ndarray], optional
        The clear pixels' histograms (QA), outlined where they anchored a natural curve.
    """
    from matplotlib.ticker import EngFormatter

    rows = list(stretches.items())
    nrows = len(rows) + (ndvi_hist is not None)
    fig, axes = _figure(nrows, 3, (12, 3.2 * nrows))
    fig.subplots_adjust(left=0.05, right=0.95, wspace=0.38, bottom=0.09)
    for r, (name, stretch) in enumerate(rows):
        luts = stretch.luts()
        for c, band in enumerate(stretch.bands):
            clear = (clear_histograms or {}).get(band)
            _channel_axis(axes[r][c], histograms[band], clear, stretch, luts, c, name)
    if ndvi_hist is not None:
        counts, edges = ndvi_hist
        ax = axes[nrows - 1][0]
        _filled_steps(ax, counts, edges, color="#4d9221", alpha=0.7)
        ax.set_title("NDVI (all valid pixels of the scene)", fontsize=9)
        ax.set_xlabel("NDVI")
        ax.set_ylabel("pixels")
        ax.yaxis.set_major_formatter(EngFormatter(sep=""))
        _ndvi_colour_bar(fig, axes[nrows - 1][1])
        axes[nrows - 1][2].set_visible(False)
    fig.suptitle(
        f"{scene_id}: per-channel histograms of valid pixels, the curve applied (black, right "
        "axis: output level) and its cut-offs",
        fontsize=10,
    )
    return save_figure(fig, target)
