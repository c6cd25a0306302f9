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

Modules: :mod:`.table` (the rows, :func:`merge_rows`), :mod:`.files` (CSV and Parquet, local or
``s3://``) and :mod:`.plots`.
"""

from landsat_ops.timeseries.files import (
    read_table,
    table_from_csv,
    table_from_parquet,
    table_to_csv,
    table_to_parquet,
    write_table,
)
from landsat_ops.timeseries.plots import plot_ndvi_vs_cloud, plot_timeseries
from landsat_ops.timeseries.table import (
    COLUMNS,
    DEFAULT_CLOUD_THRESHOLD,
    Table,
    is_cloudy,
    merge_rows,
    point_series,
    table_rows,
)

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
