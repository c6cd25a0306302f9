"""The shapes of what the composites DAG's tasks pass on through XCom (keys, tile dicts).

Mapped tasks get small values only: a tile task its :class:`TileTask` (the job's key, the tile
window, where to stage it), an assemble task its :class:`CompositeJob`; the inputs, grid and
tile list of a job are in its ``job.json`` in the bucket's staging folder.
"""

from __future__ import annotations

from typing import Literal, TypedDict

__all__ = [
    "DIGEST_PROPERTY",
    "CompositeJob",
    "CompositePlan",
    "PublishedComposite",
    "StagedTile",
    "TileTask",
]

DIGEST_PROPERTY = "landsat_ops:inputs_digest"
"""The item property recording the digest of a composite's scenes, grid and settings
(:func:`landsat_pipeline.composites.plan.inputs_digest`): the same digest again means the
published composite is current."""


class CompositeJob(TypedDict):
    """One composite of a run: a path/row's (``kind`` ``path_row``) or an area's region mosaic
    (``mosaic``, ``path`` and ``row`` None) for one period."""

    id: str
    """``p226r010_2024-summer`` or ``scoresby_sund_2024-summer``."""
    kind: Literal["path_row", "mosaic"]
    area: str
    period: str
    path: int | None
    row: int | None
    scenes: list[str]
    spec: str
    """Bucket key of its ``job.json``: inputs (landing URIs), grid, tiles, settings."""
    tiles: int
    digest: str


class TileTask(TypedDict):
    """One mapped tile task: which job, which window, where its tile is staged."""

    job: str
    spec: str
    index: int
    """The tile's number in its job's ``tiles`` (``landsat-ops composite-tile --tile``)."""
    tile: dict
    """``{col_off, row_off, width, height}`` (:class:`landsat_ops.composite.Tile`)."""
    key: str
    """Bucket key of the staged tile: ``staging/composites/<id>/<digest>/<tile>.tif``."""


class StagedTile(TypedDict):
    """What a tile task staged: its key and the engine's summary (clear pixels, observations
    per scene)."""

    job: str
    key: str
    summary: dict
    worker: str


class CompositePlan(TypedDict):
    """The plan of a run: its jobs and their tiles, the periods without scenes (``empty``)
    and the composites already current (``current``)."""

    jobs: list[CompositeJob]
    tiles: list[TileTask]
    empty: list[str]
    current: list[str]


class PublishedComposite(TypedDict):
    """An assembled and published composite: its switched item and what it is made of."""

    id: str
    kind: str
    area: str
    period: str
    item_uri: str
    scenes: int
    clear_pixels: int
