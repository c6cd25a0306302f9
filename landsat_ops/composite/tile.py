"""One tile of a composite: :func:`write_composite_tile` and its :class:`TileSummary`.

A tile is computed from windowed reads of every scene that touches it
(:class:`~landsat_ops.composite.reading.SceneReaders`), in chunks of rows chosen so that the
stack of N observations of a chunk stays within :data:`CHUNK_BYTES` whatever N is:

1. the QA band of each scene -> its clear mask
   (:func:`landsat_ops.composite.clear.composite_clear_lut`: not fill, cloud, dilated cloud,
   cirrus or cloud shadow); a scene with no clear pixel in the chunk is not read further;
2. ``median``: one band at a time, each clear scene's DN -> reflectance (NaN where not clear)
   into an ``(n, rows, cols)`` stack, whose per-pixel median a compiled kernel takes
   (:func:`landsat_ops.composite.kernels.masked_median`); ``medoid``: the seven bands of every
   clear scene at once (``(n, 7, rows, cols)``), and per pixel the observation with the
   smallest summed distance to the others (:func:`~landsat_ops.composite.kernels.medoid`);
3. ``count``: the number of clear observations of each pixel.

The tile file is a GeoTIFF of 8 float32 bands, B1, B2, B3, B4, B5, B6, B7 (reflectance, NaN =
no clear observation) and ``count`` (a whole number stored as float32), ZSTD-compressed
(or not, for a tile read back on the same machine); its
tag ``LANDSAT_OPS_TILE`` holds the :class:`TileSummary` (what
:func:`~landsat_ops.composite.assemble.assemble` reports per scene).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from landsat_ops.composite.errors import CompositeError
from landsat_ops.composite.grid import Grid, Tile
from landsat_ops.composite.inputs import BANDS, CompositeInput
from landsat_ops.composite.reading import SceneReaders, place
from landsat_ops.products import COMPOSITE_STATS

__all__ = [
    "CHUNK_BYTES",
    "STATS",
    "TILE_BANDS",
    "TILE_BLOCK",
    "TILE_TAG",
    "TileSummary",
    "chunk_rows",
    "validate_stat",
    "write_composite_tile",
]

STATS = COMPOSITE_STATS
"""``median``: each band's median of the clear observations (bands may come from different
dates); ``medoid``: the one clear observation closest to all others (its bands together)."""
TILE_BANDS = (*(f"B{b}" for b in BANDS), "count")
TILE_TAG = "LANDSAT_OPS_TILE"
TILE_BLOCK = 256
"""Block side of the tile files."""
CHUNK_BYTES = 64 * 1024 * 1024
"""Bound of a chunk's stack of observations and masks, whatever the number of scenes."""


def validate_stat(stat: object) -> str:
    """Check a statistic: one of :data:`STATS`."""
    if stat not in STATS:
        raise CompositeError(f"stat: expected one of {', '.join(STATS)}, got {stat!r}")
    return str(stat)


@dataclass(frozen=True)
class TileSummary:
    """What one tile found: its clear pixels and the observations taken from each scene."""

    tile: Tile
    path: str
    clear_pixels: int
    observations: dict[str, int] = field(default_factory=dict)
    """Scene ID -> the tile pixels where that scene was clear."""

    def to_dict(self) -> dict:
        return {
            "tile": self.tile.to_dict(),
            "path": self.path,
            "clear_pixels": self.clear_pixels,
            "observations": dict(self.observations),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> TileSummary:
        try:
            return cls(
                Tile.from_dict(d["tile"]),
                str(d["path"]),
                int(d["clear_pixels"]),
                {str(k): int(v) for k, v in d["observations"].items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CompositeError(f"tile summary: not a summary record ({exc})") from None


def chunk_rows(scenes: int, width: int, height: int, stat: str = "median") -> int:
    """Rows per chunk: the stack (float32 per band kept at once) and the masks of ``scenes``
    observations of ``width`` pixels fit in :data:`CHUNK_BYTES`; a multiple of 512 when
    that many fit (the bands' blocks are then decoded once)."""
    bands = len(BANDS) if stat == "medoid" else 1
    per_row = max(1, scenes) * width * (4 * bands + 1)
    rows = max(1, CHUNK_BYTES // per_row)
    if rows >= 512:
        rows = rows // 512 * 512
    return int(min(rows, height))


def write_composite_tile(
    inputs: Sequence[CompositeInput],
    grid: Grid,
    tile: Tile,
    out_path: str | os.PathLike,
    stat: str = "median",
    *,
    readers: SceneReaders | None = None,
    compress: str | None = "zstd",
) -> TileSummary:
    """Compute one tile of the composite and write it to ``out_path`` (see the module doc).

    ``readers``: open datasets to reuse (one per thread); by default opened and closed here.
    ``compress``: the tile file's compression, ZSTD level 1 (a tile that travels to another
    worker) or None (a tile read back on the same machine: cheaper to write and read).
    Memory: the tile's output (8 float32 bands) plus at most :data:`CHUNK_BYTES`, whatever
    the number of scenes.
    """
    from landsat_ops.composite import kernels
    from landsat_ops.composite.clear import composite_clear_lut

    stat = validate_stat(stat)
    if compress not in ("zstd", None):
        raise CompositeError(f"tile compression: expected 'zstd' or None, got {compress!r}")
    inputs = list(inputs)
    if tile.col_off + tile.width > grid.width or tile.row_off + tile.height > grid.height:
        raise CompositeError(
            f"tile {tile.to_dict()} lies outside the grid {grid.width}x{grid.height}"
        )
    own = readers is None
    if own:
        readers = SceneReaders(inputs, grid, [place(inp, grid) for inp in inputs])
    try:
        touching = [
            k
            for k, p in enumerate(readers.placements)
            if p.touches(tile.col_off, tile.row_off, tile.width, tile.height)
        ]
        out = np.full((len(TILE_BANDS), tile.height, tile.width), np.nan, np.float32)
        count = np.zeros((tile.height, tile.width), np.uint16)
        observations = {inputs[k].scene_id: 0 for k in touching}
        luts = {kind: composite_clear_lut(kind) for kind in {inputs[k].qa_kind for k in touching}}
        rows = chunk_rows(len(touching), tile.width, tile.height, stat)
        qa = np.empty((rows, tile.width), np.uint16)
        dn = np.empty((rows, tile.width), np.uint16)
        masks = np.empty((len(touching), rows, tile.width), np.uint8)
        depth = len(BANDS) if stat == "medoid" else 1
        stack = np.empty(len(touching) * depth * rows * tile.width, np.float32)
        for r0 in range(0, tile.height, rows):
            h = min(rows, tile.height - r0)
            col, row = tile.col_off, tile.row_off + r0
            clear = []  # (scene index, mask row in ``masks``)
            for k in touching:
                readers.read(k, "QA", col, row, qa[:h])
                mask = masks[len(clear), :h]
                np.take(luts[inputs[k].qa_kind], qa[:h], out=mask)
                pixels = int(np.count_nonzero(mask))
                if pixels:
                    observations[inputs[k].scene_id] += pixels
                    count[r0 : r0 + h] += mask
                    clear.append(k)
            if not clear:
                continue
            n = len(clear)
            chunk = stack[: n * depth * h * tile.width].reshape(n, depth, h, tile.width)
            for i, b in enumerate(BANDS):
                layer = i if stat == "medoid" else 0
                for j, k in enumerate(clear):
                    readers.read(k, b, col, row, dn[:h])
                    mult, add = inputs[k].coefficients[b]
                    kernels.clear_reflectance(dn[:h], masks[j, :h], mult, add, chunk[j, layer])
                if stat == "median":
                    target = out[i, r0 : r0 + h]
                    result = np.empty((h, tile.width), np.float32)
                    kernels.masked_median(chunk[:, 0], n, result)
                    target[...] = result
            if stat == "medoid":
                result = np.empty((len(BANDS), h, tile.width), np.float32)
                chosen = np.empty((h, tile.width), np.int16)
                kernels.medoid(chunk, n, result, chosen)
                out[: len(BANDS), r0 : r0 + h] = result
        out[len(BANDS)] = count
    finally:
        if own:
            readers.close()
    summary = TileSummary(
        tile,
        str(out_path),
        int(np.count_nonzero(count)),
        {sid: n for sid, n in observations.items() if n},
    )
    _write_tile(Path(out_path), out, grid, tile, summary, stat, compress)
    return summary


def _write_tile(
    path: Path,
    data: np.ndarray,
    grid: Grid,
    tile: Tile,
    summary: TileSummary,
    stat: str,
    compress: str | None,
) -> None:
    """The tile GeoTIFF, written under a temporary name and renamed into place."""
    import rasterio

    from landsat_ops.raster.bands import gdal_env

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    profile = {
        "driver": "GTiff",
        "width": tile.width,
        "height": tile.height,
        "count": data.shape[0],
        "dtype": "float32",
        "crs": grid.rasterio_crs(),
        "transform": grid.window_transform(tile.col_off, tile.row_off),
        "nodata": float("nan"),
        **({"compress": "zstd", "zstd_level": 1} if compress == "zstd" else {}),
        "tiled": True,
        "blockxsize": TILE_BLOCK,
        "blockysize": TILE_BLOCK,
        "interleave": "band",
    }
    record = summary.to_dict()
    record.pop("path")
    record["stat"] = stat
    try:
        with gdal_env(), rasterio.open(tmp, "w", **profile) as ds:
            ds.write(data)
            ds.descriptions = TILE_BANDS
            ds.update_tags(**{TILE_TAG: json.dumps(record, sort_keys=True)})
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_tile_summary(path: str | os.PathLike) -> TileSummary:
    """The :class:`TileSummary` stored in a tile file's tag."""
    import rasterio

    with rasterio.open(path) as ds:
        text = ds.tags().get(TILE_TAG)
    if text is None:
        raise CompositeError(f"{path}: not a composite tile (no {TILE_TAG} tag)")
    return TileSummary.from_dict({**json.loads(text), "path": str(path)})
