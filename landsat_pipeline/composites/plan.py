"""Which composites a run makes: its periods, their published scenes, the jobs and their tiles.

A run of ``landsat_composites`` chooses ``(area, period)`` pairs (:func:`choose_periods`):

* a ``period`` Param (``2024-summer``, ``2024-07``): that period of every area that has it
  (of the ``area`` Param's area only, when given);
* Asset events (scenes published by the scenes DAGs): the periods containing each new scene's
  acquisition day, in the area of its path/row;
* a scheduled or backfill run (monthly data intervals): the periods whose last day falls in the
  interval, so each period is composited once it has ended;
* a manual run without ``period``: the periods containing its logical date.

For each pair, the path/rows' published scenes acquired in the period (from their STAC
collections, :func:`landsat_pipeline.analytics.published_scenes`) whose bands are still landed
make the jobs (:func:`plan_jobs`): one composite per path/row with scenes, and the area's
region mosaic of all of them on the area's grid (``composites.crs``). A job whose published
item already comes from the same scenes and settings (:func:`inputs_digest`) is current and
left out, before any scene is opened: a re-run plans nothing, reads no band and writes
nothing. Each remaining job is cut into tiles; its description
(inputs, grid, tiles) is written to ``staging/composites/<id>/<digest>/job.json``, and only
keys and tile dicts travel through XCom. The plan opens the period's scenes once (for an
``s3://`` bucket :func:`landsat_ops.composite.open_inputs` downloads their bands); the inputs
it records point at the landed files in the bucket (:func:`readable_record`), so a tile task
on any worker reads only its windows of them and the assemble task reads none.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from landsat_ops.periods import (
    Period,
    period_of_label,
    periods_containing,
    periods_ending_within,
)
from landsat_pipeline.errors import AnalyticsError, ConfigError, PublishError
from landsat_pipeline.keys import (
    composite_keys,
    landing_prefix,
    landing_record_key,
    mosaic_keys,
    path_row_of_asset,
)

if TYPE_CHECKING:
    from landsat_ops.storage import Store
    from landsat_pipeline.composites.jobs import CompositeJob, CompositePlan
    from landsat_pipeline.config import Area, PipelineConfig

__all__ = [
    "JOB_FILE",
    "choose_periods",
    "composite_areas",
    "inputs_digest",
    "plan_jobs",
    "readable_record",
]

log = logging.getLogger(__name__)

JOB_FILE = "job.json"
"""A job's description in its staging folder: what every tile task of it reads."""


def composite_areas(config: PipelineConfig, area: str | None = None) -> list[Area]:
    """The areas with a ``composites`` section (only ``area`` when given; ConfigError when it
    has none)."""
    if area:
        chosen = config.area(area)
        if chosen.composites is None:
            raise ConfigError(
                f"{config.source}: areas.{area}.composites is missing (expected the area's "
                "composite periods, see docs/composites.md)"
            )
        return [chosen]
    return [a for a in config.areas if a.composites is not None]


def _day(value: Any, what: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).date() if value.tzinfo else value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise AnalyticsError(f"{what} is {value!r} (expected a date YYYY-MM-DD)") from None


def choose_periods(
    config: PipelineConfig,
    *,
    area: str | None = None,
    period: str | None = None,
    events: Sequence[Mapping[str, Any]] = (),
    ending_within: tuple[Any, Any] | None = None,
    containing: Any = None,
) -> list[tuple[Area, Period]]:
    """The ``(area, period)`` pairs of a run, in period order (see the module doc).

    ``ending_within``: the first and last day of a scheduled run's interval;
    ``containing``: a manual run's logical date. Bad Params raise :class:`AnalyticsError`.
    """
    areas = composite_areas(config, area)
    pairs: dict[tuple[str, str], tuple[Area, Period]] = {}
    if period:
        refused = []
        for candidate in areas:
            try:
                chosen = period_of_label(candidate.composites.periods, period)
            except ValueError as exc:
                refused.append(f"{candidate.name}: {exc}")
                continue
            pairs[candidate.name, chosen.label] = (candidate, chosen)
        if not pairs or (area and refused):
            raise AnalyticsError("; ".join(refused) or "no area has composites configured")
    elif events:
        by_path_row = {pr: a for a in areas for pr in a.path_rows}
        for extra in events:
            path_row = path_row_of_asset(extra.get("asset_uri", ""))
            if extra.get("path") is not None and extra.get("row") is not None:
                path_row = (int(extra["path"]), int(extra["row"]))
            owner = by_path_row.get(path_row) if path_row else None
            if owner is None or not extra.get("date"):
                log.info("asset event without a scene of an area with composites: %s", extra)
                continue
            day = _day(extra["date"], f"{extra.get('scene_id')} date")
            for chosen in periods_containing(owner.composites.periods, day):
                pairs[owner.name, chosen.label] = (owner, chosen)
    elif ending_within is not None:
        first = _day(ending_within[0], "the interval's start")
        last = _day(ending_within[1], "the interval's end")
        for candidate in areas:
            for chosen in periods_ending_within(candidate.composites.periods, first, last):
                pairs[candidate.name, chosen.label] = (candidate, chosen)
    elif containing is not None:
        day = _day(containing, "the logical date")
        for candidate in areas:
            for chosen in periods_containing(candidate.composites.periods, day):
                pairs[candidate.name, chosen.label] = (candidate, chosen)
    return sorted(pairs.values(), key=lambda pair: (pair[1].end, pair[1].label, pair[0].name))


def period_scenes(store: Store, area: Area, period: Period) -> dict[tuple[int, int], list[dict]]:
    """Path/row -> the published scenes of ``area`` acquired in ``period`` whose bands are
    landed (``landing/_records/<ID>.json``), oldest first. Published scenes whose bands are
    gone are logged and left out."""
    from landsat_pipeline.analytics import published_scenes

    out: dict[tuple[int, int], list[dict]] = {}
    for path, row in area.path_rows:
        for scene in published_scenes(store, path, row):
            if datetime.date.fromisoformat(scene["date"]) not in period:
                continue
            if not store.exists(landing_record_key(scene["scene_id"])):
                log.warning(
                    "%s is published but its bands are not under %s: left out of %s",
                    scene["scene_id"],
                    store.uri(landing_prefix(scene["scene_id"])),
                    period.label,
                )
                continue
            out.setdefault((path, row), []).append(scene)
    return out


def readable_record(store: Store, inp, scene: Mapping[str, Any]) -> dict:
    """An input's record (:meth:`~landsat_ops.composite.CompositeInput.to_dict`) that any
    worker can read: its band and QA paths are the landed files in the bucket (``/vsis3/``
    for S3: a tile reads only its windows), its ``ref`` the scene's published STAC item
    (what the composite's ``derived_from`` links name)."""
    from landsat_pipeline.keys import published_prefix

    record = inp.to_dict()
    item = f"{published_prefix(scene['path'], scene['row'], scene['date'])}/{inp.scene_id}.json"
    record["ref"] = store.uri(item)
    if store.root.startswith("s3://"):
        base = landing_prefix(inp.scene_id)

        def landed(path: str) -> str:
            return "/vsis3/" + store.uri(f"{base}/{Path(path).name}").removeprefix("s3://")

        record["bands"] = {band: landed(path) for band, path in record["bands"].items()}
        record["qa"] = landed(record["qa"])
    return record


def inputs_digest(scene_ids: Iterable[str], settings: Mapping) -> str:
    """A short digest of what a composite is made of: its scenes (product IDs: a scene
    processed again has another ID), its settings (the grid's CRS and resolution among them)
    and the landsat_ops version, whose engine makes it. The grid itself follows from these."""
    from landsat_ops import __version__

    document = {
        "scenes": sorted(scene_ids),
        "settings": dict(settings),
        "landsat_ops": __version__,
    }
    encoded = json.dumps(document, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


def _current_digest(store: Store, item_key: str) -> str | None:
    """The inputs digest the published item of a composite records, if any."""
    from landsat_pipeline.composites.jobs import DIGEST_PROPERTY
    from landsat_pipeline.publishing.documents import read_json

    try:
        item = read_json(store, item_key)
    except PublishError as exc:  # a damaged item is replaced, not trusted
        log.warning("%s: %s; the composite is made again", store.uri(item_key), exc)
        return None
    return ((item or {}).get("properties") or {}).get(DIGEST_PROPERTY)


def plan_jobs(
    config: PipelineConfig,
    store: Store,
    pairs: Sequence[tuple[Area, Period]],
    *,
    workdir: Path,
    s3_client=None,
    force: bool = False,
) -> CompositePlan:
    """The jobs and tiles of a run's ``(area, period)`` pairs (see the module doc).

    Raises
    ------
    landsat_ops.composite.CompositeError
        Bad inputs: a scene that cannot be read, Level-1 and Level-2 scenes in one period.
    """
    from landsat_ops.composite import Grid, open_inputs, plan_tiles, target_grid
    from landsat_pipeline.publishing.documents import dumps

    jobs: list[CompositeJob] = []
    tiles: list[dict] = []
    empty: list[str] = []
    current: list[str] = []
    for area, period in pairs:
        settings = area.composites
        by_path_row = period_scenes(store, area, period)
        if not by_path_row:
            names = ", ".join(f"{p:03d}/{r:03d}" for p, r in area.path_rows)
            empty.append(f"{area.name} {period.describe()}: no published scene of {names}")
            continue
        scene_of = {s["scene_id"]: s for scenes in by_path_row.values() for s in scenes}
        common = {
            "stat": settings.stat,
            "products": list(settings.products),
            "period": {"label": period.label, "start": str(period.start), "end": str(period.end)},
        }
        wanted = []  # (kind, path/row, scene IDs, grid settings, digest, keys): not current
        candidates = [
            ("path_row", pr, [s["scene_id"] for s in scenes], None)
            for pr, scenes in sorted(by_path_row.items())
        ]
        if settings.crs:
            candidates.append(("mosaic", None, sorted(scene_of), settings.crs))
        for kind, path_row, scene_ids, crs in candidates:
            grid_settings = {"crs": crs, "resolution": settings.resolution if crs else None}
            digest = inputs_digest(scene_ids, {**common, **grid_settings, "kind": kind})
            keys = (
                composite_keys(*path_row, period.label, digest)
                if path_row
                else mosaic_keys(area.name, period.label, digest)
            )
            if not force and _current_digest(store, keys["item"]) == digest:
                current.append(keys["id"])
                log.info(
                    "%s is current (published from the same %d scenes)", keys["id"], len(scene_ids)
                )
                continue
            wanted.append((kind, path_row, scene_ids, grid_settings, digest, keys))
        if not wanted:
            continue  # every composite of the period is current: its scenes are not opened
        refs = [store.uri(landing_prefix(sid)) + "/" for sid in sorted(scene_of)]
        # One open of the period's scenes: mixed collections are refused across the area.
        opened = open_inputs(refs, workdir / area.name / period.label, s3_client=s3_client)
        by_id = {inp.scene_id: inp for inp in opened}
        records = {sid: readable_record(store, inp, scene_of[sid]) for sid, inp in by_id.items()}
        for kind, path_row, scene_ids, grid_settings, digest, keys in wanted:
            inputs = [by_id[sid] for sid in scene_ids]
            grid = target_grid(inputs, **grid_settings).to_dict()
            job_tiles = plan_tiles(Grid.from_dict(grid), settings.tile_size)
            spec_key = f"{keys['tiles']}/{JOB_FILE}"
            spec = {
                "id": keys["id"],
                "kind": kind,
                "area": area.name,
                **common,
                "digest": digest,
                "inputs": [records[sid] for sid in sorted(scene_ids)],
                "grid": grid,
                "tiles": [t.to_dict() for t in job_tiles],
            }
            store.write_bytes(spec_key, dumps(spec), content_type="application/json")
            job: CompositeJob = {
                "id": keys["id"],
                "kind": kind,
                "area": area.name,
                "period": period.label,
                "path": path_row[0] if path_row else None,
                "row": path_row[1] if path_row else None,
                "scenes": sorted(scene_ids),
                "spec": spec_key,
                "tiles": len(job_tiles),
                "digest": digest,
            }
            jobs.append(job)
            tiles.extend(
                {
                    "job": keys["id"],
                    "spec": spec_key,
                    "index": i,
                    "tile": t.to_dict(),
                    "key": f"{keys['tiles']}/{t.name}.tif",
                }
                for i, t in enumerate(job_tiles)
            )
            log.info(
                "%s: %d scenes, grid %s %dx%d, %d tiles",
                keys["id"],
                len(scene_ids),
                grid["crs"],
                grid["width"],
                grid["height"],
                len(job_tiles),
            )
    return {"jobs": jobs, "tiles": tiles, "empty": empty, "current": current}
