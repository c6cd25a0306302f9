"""What each frame shows: the period's composite where one is published, else its clearest scene.

Sources are published STAC items, read from folders of a store (local or ``s3://``):

* composite items (``published/composites/<PPP>/<RRR>/<label>/<id>.json``, a region's mosaics
  ``published/composites/<area>/<label>/...``): the period's clear-sky composite. Matched to a
  period by its ``landsat_ops:period`` label, else the label at the end of its ID
  (``p226r010_2024-summer``), else by its ``start_datetime``..``end_datetime`` lying in the
  period. Its clear observations are the median of ``landsat_ops:clear_count`` (else the mean
  or max), its scenes those listed in ``landsat_ops:composite.scenes`` (else its
  ``derived_from`` links);
* scene items (``published/<PPP>/<RRR>/<date>/<ID>.json``): matched by their ``datetime``. The
  clearest scene of a period is the one with the highest clear fraction: the render's own
  measure over the scene's valid pixels (``landsat_ops:stretch.truecolor.clear_fraction``, from
  the QA band), else ``1 - eo:cloud_cover / 100``. With several path/rows (an area), the
  clearest scene of each path/row is used, mosaicked clearest first.

Either kind must have a ``truecolor_tif`` asset (and ``falsecolor_tif`` for false colour): an
8-bit RGB COG with 0 as no data, which the frames are warped from. Only items directly in a
prefix or in its sub-folders are read (a version folder's own items, one level deeper, are
not: the switched item names the current version).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from landsat_ops.storage import Store, is_s3
from landsat_ops.timelapse.errors import TimelapseError
from landsat_ops.timelapse.periods import Period

__all__ = [
    "DEFAULT_MIN_CLEAR",
    "VARIANTS",
    "FramePlan",
    "SourceItem",
    "plan_frames",
    "read_items",
]

log = logging.getLogger(__name__)

VARIANTS = {"truecolor": "truecolor_tif", "falsecolor": "falsecolor_tif"}
"""Each time-lapse variant and the item asset its frames are warped from."""
DEFAULT_MIN_CLEAR = 0.2
"""Scenes with a smaller clear fraction are not a frame: the period gets a gap frame."""
_NOT_ITEMS = {"collection.json", "catalog.json", "gaps.json"}
_CLEAR_STATS = ("median", "mean", "max")


@dataclass(frozen=True)
class SourceItem:
    """One published item a frame can be made of."""

    kind: str
    """``composite`` or ``scene``."""
    item_id: str
    item_uri: str
    start: dt.date
    end: dt.date
    """Acquisition day (a scene) or the composited days (a composite)."""
    assets: Mapping[str, str]
    """Variant (:data:`VARIANTS`) -> the COG's URI (local path or ``s3://``)."""
    clear_fraction: float | None = None
    """A scene: its clear fraction, 0..1 (see the module's doc); None when the item has none."""
    clear_observations: float | None = None
    """A composite: clear observations per pixel (its ``landsat_ops:clear_count`` statistic)."""
    clear_statistic: str | None = None
    """Which statistic of the counts ``clear_observations`` is (``median``...)."""
    scenes: int | None = None
    """A composite: how many scenes it was made from (its ``derived_from`` links)."""
    path_row: str | None = None
    """``PPP/RRR`` of a scene (from ``landsat:wrs_path``/``landsat:wrs_row``), else None."""
    period: str | None = None
    """A composite's period label (``landsat_ops:period``), when it names one."""

    def to_dict(self) -> dict:
        """A JSON-able summary (the time-lapse item lists its frames' sources)."""
        out = {"kind": self.kind, "id": self.item_id, "href": self.item_uri}
        out["start"], out["end"] = self.start.isoformat(), self.end.isoformat()
        for name in ("clear_fraction", "clear_observations", "clear_statistic", "scenes"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out


@dataclass(frozen=True)
class FramePlan:
    """What one frame shows: a composite, one scene per path/row, or nothing (a gap)."""

    period: Period
    kind: str
    """``composite``, ``scene`` or ``gap``."""
    sources: tuple[SourceItem, ...] = ()
    """Clearest first (the mosaic fills empty pixels in this order)."""
    note: str = ""
    """Why a gap is a gap (``no scene``, ``no clear scene (best 12% clear)``)."""


def _item_keys(store: Store, prefix: str) -> list[str]:
    prefix = prefix.strip("/")
    base = f"{prefix}/" if prefix else ""
    keys = []
    for key in store.list(base):
        rest = key[len(base) :].split("/")
        if len(rest) <= 2 and rest[-1].endswith(".json") and rest[-1] not in _NOT_ITEMS:
            keys.append(key)
    return keys


def _date(value, what: str) -> dt.date:
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        raise TimelapseError(f"{what}: {value!r} is not an ISO date-time") from None


def _asset_uri(store: Store, item_key: str, href: str) -> str:
    if "://" in href or href.startswith("/"):
        return href
    folder = item_key.rpartition("/")[0]
    parts = [p for p in f"{folder}/{href}".split("/") if p not in ("", ".")]
    out: list[str] = []
    for part in parts:
        if part == "..":
            if not out:
                raise TimelapseError(f"{store.uri(item_key)}: asset {href!r} leaves the store")
            out.pop()
        else:
            out.append(part)
    uri = store.uri("/".join(out))
    return uri if is_s3(uri) else str(uri)


def _clear_fraction(properties: Mapping) -> float | None:
    stretch = properties.get("landsat_ops:stretch")
    if isinstance(stretch, Mapping):
        for variant in ("truecolor", "falsecolor"):
            value = (stretch.get(variant) or {}).get("clear_fraction")
            if isinstance(value, int | float) and 0 <= value <= 1:
                return float(value)
    for key in ("eo:cloud_cover", "landsat:cloud_cover_land"):
        value = properties.get(key)
        if isinstance(value, int | float) and 0 <= value <= 100:
            return round(1 - value / 100, 4)
    return None


def _clear_count(properties: Mapping) -> tuple[float | None, str | None]:
    value = properties.get("landsat_ops:clear_count")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value), "median"
    if isinstance(value, Mapping):
        for stat in _CLEAR_STATS:
            number = value.get(stat)
            if isinstance(number, int | float) and not isinstance(number, bool):
                return float(number), stat
    return None, None


def _parse_item(store: Store, key: str, kind: str) -> SourceItem | None:
    uri = store.uri(key)
    try:
        item = json.loads(store.read_bytes(key))
    except ValueError as exc:
        raise TimelapseError(f"{uri}: not a JSON STAC item ({exc})") from None
    if not isinstance(item, dict) or item.get("type") != "Feature":
        return None  # another JSON document (a report, a table's metadata): not an item
    props = item.get("properties") or {}
    assets = item.get("assets") or {}
    found = {
        variant: _asset_uri(store, key, str(assets[asset]["href"]))
        for variant, asset in VARIANTS.items()
        if isinstance(assets.get(asset), Mapping) and assets[asset].get("href")
    }
    if "truecolor" not in found:
        log.info("%s: no truecolor_tif asset; not a frame source", uri)
        return None
    if kind == "composite":
        start = _date(props.get("start_datetime") or props.get("datetime"), f"{uri} start")
        end = _date(props.get("end_datetime") or props.get("datetime"), f"{uri} end")
        count, stat = _clear_count(props)
        used = (props.get("landsat_ops:composite") or {}).get("scenes")
        if not isinstance(used, list):
            used = [link for link in item.get("links") or [] if link.get("rel") == "derived_from"]
        period = props.get("landsat_ops:period")
        return SourceItem(
            kind,
            str(item.get("id")),
            uri,
            start,
            end,
            found,
            clear_observations=count,
            clear_statistic=stat,
            scenes=len(used) or None,
            period=period if isinstance(period, str) else None,
        )
    day = _date(props.get("datetime") or props.get("start_datetime"), f"{uri} datetime")
    path, row = props.get("landsat:wrs_path"), props.get("landsat:wrs_row")
    path_row = f"{int(path):03d}/{int(row):03d}" if path and row else None
    return SourceItem(
        kind,
        str(item.get("id")),
        uri,
        day,
        day,
        found,
        clear_fraction=_clear_fraction(props),
        path_row=path_row,
    )


def read_items(store: Store, prefixes: Iterable[str], kind: str) -> list[SourceItem]:
    """The frame sources among the STAC items in ``prefixes`` (``kind``: composite or scene)."""
    if kind not in ("composite", "scene"):
        raise ValueError(f"kind {kind!r}: expected 'composite' or 'scene'")
    items = []
    for prefix in prefixes:
        for key in _item_keys(store, prefix):
            parsed = _parse_item(store, key, kind)
            if parsed is not None:
                items.append(parsed)
    return sorted(items, key=lambda s: (s.start, s.item_id))


def _composite_for(period: Period, composites: Sequence[SourceItem]) -> SourceItem | None:
    labelled = [
        c
        for c in composites
        if c.period == period.label or (c.period is None and c.item_id.endswith(f"_{period.label}"))
    ]
    if labelled:
        return labelled[-1]
    inside = [c for c in composites if period.holds(c.start) and period.holds(c.end)]
    return inside[-1] if inside else None


def _clearest(scenes: Sequence[SourceItem]) -> SourceItem:
    # Highest clear fraction; unknown counts as 0; ties: the earlier scene.
    return max(scenes, key=lambda s: (s.clear_fraction or 0.0, -s.start.toordinal()))


def plan_frames(
    periods: Sequence[Period],
    scenes: Sequence[SourceItem],
    composites: Sequence[SourceItem] = (),
    *,
    min_clear: float = DEFAULT_MIN_CLEAR,
) -> list[FramePlan]:
    """One :class:`FramePlan` per period: its composite, else its clearest scene(s), else a gap.

    A scene below ``min_clear`` (0..1) is not used; a period without any usable scene is a gap
    frame. Raises :class:`TimelapseError` when no period has any item at all (the periods or
    the folders are wrong: a time-lapse of gaps says nothing).
    """
    if not 0 <= min_clear <= 1:
        raise TimelapseError(f"min clear fraction {min_clear}: expected 0..1")
    plans = []
    for period in periods:
        composite = _composite_for(period, composites)
        if composite is not None:
            plans.append(FramePlan(period, "composite", (composite,)))
            continue
        mine = [s for s in scenes if period.holds(s.start)]
        by_path_row: dict[str | None, list[SourceItem]] = {}
        for scene in mine:
            by_path_row.setdefault(scene.path_row, []).append(scene)
        best = sorted(
            (_clearest(group) for group in by_path_row.values()),
            key=lambda s: -(s.clear_fraction or 0.0),
        )
        usable = tuple(s for s in best if (s.clear_fraction or 0.0) >= min_clear)
        if usable:
            plans.append(FramePlan(period, "scene", usable))
        elif best:
            top = best[0].clear_fraction
            note = "no clear scene" + (f" (best {top:.0%} clear)" if top is not None else "")
            plans.append(FramePlan(period, "gap", (), note))
        else:
            plans.append(FramePlan(period, "gap", (), "no scene"))
    if all(plan.kind == "gap" and plan.note == "no scene" for plan in plans):
        first, last = periods[0].start, periods[-1].end
        raise TimelapseError(
            f"no published scene or composite in any period from {first} to {last} "
            f"({len(scenes)} scenes and {len(composites)} composites found outside them)"
        )
    return plans
