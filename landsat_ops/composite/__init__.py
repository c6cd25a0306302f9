"""Clear-sky composites of Landsat scenes, tiled so that each tile can run on another worker.

Per pixel, from the clear observations only (each collection's QA: fill, cloud, dilated cloud,
cirrus, cloud shadow out), the per-band median of surface (Level-2) or top-of-atmosphere
(Level-1, sun-elevation corrected) reflectance, or the medoid observation; a ``count`` band of
clear observations; the products of a scene (natural true colour, false colour, NDVI) as COGs
with PNG previews; a STAC item with ``derived_from`` links, published as an immutable version
behind one switched item. See docs/composites.md.

The steps, for a distributed run (Airflow maps the tiles over its workers):

>>> inputs = open_inputs(refs, workdir)                     # doctest: +SKIP
>>> grid = target_grid(inputs, crs=None)                    # doctest: +SKIP
>>> for tile in plan_tiles(grid, 1024):                     # doctest: +SKIP
...     write_composite_tile(inputs, grid, tile, f"tiles/{tile.name}.tif")
>>> assemble(tile_paths, grid, out_dir, composite_id=cid, products=products, inputs=inputs)
>>> publish_composite(out_dir, dest, cid)                   # doctest: +SKIP

or all of it in one process: :func:`compose` (``landsat-ops composite``).
"""

from landsat_ops.composite.assemble import COMPOSITE_PRODUCTS, assemble, validate_products
from landsat_ops.composite.errors import CompositeError
from landsat_ops.composite.grid import DEFAULT_TILE_SIZE, Grid, Tile, plan_tiles
from landsat_ops.composite.inputs import BANDS, CompositeInput, open_inputs, target_grid
from landsat_ops.composite.run import (
    compose,
    compute_tiles,
    default_composite_id,
    publish_composite,
)
from landsat_ops.composite.tile import (
    STATS,
    TileSummary,
    read_tile_summary,
    validate_stat,
    write_composite_tile,
)

__all__ = [
    "BANDS",
    "COMPOSITE_PRODUCTS",
    "DEFAULT_TILE_SIZE",
    "STATS",
    "CompositeError",
    "CompositeInput",
    "Grid",
    "Tile",
    "TileSummary",
    "assemble",
    "compose",
    "compute_tiles",
    "default_composite_id",
    "open_inputs",
    "plan_tiles",
    "publish_composite",
    "read_tile_summary",
    "target_grid",
    "validate_products",
    "validate_stat",
    "write_composite_tile",
]
