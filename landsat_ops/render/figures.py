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


def histogram_figure(scene_id, histograms, stretches, ndvi_hist, target: Path) -> Path:
    """One row per composite: each channel's DN histogram with its stretch cut-offs.

    Parameters
    ----------
    histograms : dict[int, ndarray]
        Band number -> exact uint16 histogram of the band's valid pixels.
    stretches : dict[str, Stretch]
        Composite name -> the stretch used (bands and cut-offs).
    ndvi_hist : (counts, edges) or None
        NDVI distribution, drawn as an extra row when given, next to the colour bar of the
        NDVI preview (its legend: colours against values).
    """
    from matplotlib.ticker import EngFormatter, MaxNLocator

    rows = list(stretches.items())
    nrows = len(rows) + (ndvi_hist is not None)
    fig, axes = _figure(nrows, 3, (12, 3.2 * nrows))
    for r, (name, stretch) in enumerate(rows):
        for c, (band, (low, high)) in enumerate(zip(stretch.bands, stretch.cutoffs, strict=True)):
            ax = axes[r][c]
            hist = histograms[band]
            nonzero = np.flatnonzero(hist)
            lo_dn, hi_dn = int(nonzero[0]), int(nonzero[-1]) + 1
            start = lo_dn - lo_dn % BIN_WIDTH
            counts = np.add.reduceat(hist[start:hi_dn], np.arange(0, hi_dn - start, BIN_WIDTH))
            edges = start + np.arange(len(counts) + 1) * BIN_WIDTH
            _filled_steps(ax, counts, edges, color=CHANNEL_COLOURS[c], alpha=0.6)
            for x in (low, high):
                ax.axvline(x, color="black", linestyle="--", linewidth=1)
            label = f"{stretch.method} {low:.0f}-{high:.0f}"
            if stretch.percentiles:
                label = (
                    f"p{stretch.percentiles[0]:g}-p{stretch.percentiles[1]:g}: {low:.0f}-{high:.0f}"
                )
            ax.set_title(f"{name} {'RGB'[c]} = B{band}  ({label})", fontsize=9)
            ax.set_xlabel(f"B{band} DN (digital number)")
            ax.set_ylabel("pixels")
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.yaxis.set_major_formatter(EngFormatter(sep=""))  # 40k, 1.2M: no offset text
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
    fig.suptitle(f"{scene_id}: per-channel histograms and stretch cut-offs", fontsize=11)
    return save_figure(fig, target)
