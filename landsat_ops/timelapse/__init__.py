"""Time-lapses: a path/row or an area through the years, one frame per period.

Each frame is the period's published composite where there is one, else its clearest
published scene (one per path/row of an area), else a labelled gap frame; every frame on one
grid, labelled with its period and its clear observations, with a scale bar and a north arrow.
True colour and false colour (ice cyan), as MP4 (H.264) and animated WebP, published as one
immutable version behind a switched STAC item, with the folder's ``index.html`` that plays them
(docs/timelapse.md).

Modules: :mod:`.periods` (the periods and their labels), :mod:`.sources` (the items and the
plan of each frame), :mod:`.grid` (the common grid, a :class:`landsat_ops.composite.Grid`;
ground scale and true north), :mod:`.frames` (warping the COGs), :mod:`.annotate` (the
overlays), :mod:`.encode` (MP4, WebP), :mod:`.page` (the gallery page), :mod:`.build` (all
of it: :func:`make_timelapse`).
"""

from landsat_ops.timelapse.annotate import Overlay, annotate, label_box, nice_length
from landsat_ops.timelapse.build import (
    TimelapseResult,
    frame_detail,
    make_timelapse,
    render_frames,
    write_page,
)
from landsat_ops.timelapse.encode import write_mp4, write_webp
from landsat_ops.timelapse.errors import TimelapseError
from landsat_ops.timelapse.frames import GAP_COLOUR, footprint, gap_frame, warp_sources
from landsat_ops.timelapse.grid import (
    bounds_lonlat,
    frame_grid,
    ground_metres_per_pixel,
    north_angle,
    parse_crs,
)
from landsat_ops.timelapse.page import PAGE_NAME, timelapse_page
from landsat_ops.timelapse.periods import (
    MONTHS,
    Period,
    PeriodSpec,
    parse_period_spec,
    periods_between,
)
from landsat_ops.timelapse.sources import (
    DEFAULT_MIN_CLEAR,
    VARIANTS,
    FramePlan,
    SourceItem,
    plan_frames,
    read_items,
)

__all__ = [
    "DEFAULT_MIN_CLEAR",
    "GAP_COLOUR",
    "MONTHS",
    "PAGE_NAME",
    "VARIANTS",
    "FramePlan",
    "Overlay",
    "Period",
    "PeriodSpec",
    "SourceItem",
    "TimelapseError",
    "TimelapseResult",
    "annotate",
    "bounds_lonlat",
    "footprint",
    "frame_detail",
    "frame_grid",
    "gap_frame",
    "ground_metres_per_pixel",
    "label_box",
    "make_timelapse",
    "nice_length",
    "north_angle",
    "parse_crs",
    "parse_period_spec",
    "periods_between",
    "plan_frames",
    "read_items",
    "render_frames",
    "timelapse_page",
    "warp_sources",
    "write_mp4",
    "write_page",
    "write_webp",
]
