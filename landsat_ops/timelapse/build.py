"""One time-lapse from published items to a published version: :func:`make_timelapse`.

1. read the scene and composite items of the given folders (:mod:`.sources`) and plan one
   frame per period: its composite, else its clearest scene(s), else a gap;
2. one grid for every frame (:mod:`.grid`): the area's CRS, else the first source's;
3. per variant (true colour, false colour): warp each frame's sources onto the grid from their
   overviews (:mod:`.frames`), draw the label, scale bar and north arrow (:mod:`.annotate`),
   encode the MP4 and the WebP (:mod:`.encode`), in a scratch folder;
4. publish ``<name>_truecolor.mp4|.webp``, ``_falsecolor.mp4|.webp``, ``_thumbnail.png`` and
   the version's STAC item as one immutable version behind the switched item
   ``<out>/<name>.json`` (:func:`landsat_ops.render.destination.publish_version`); then write
   the folder's ``index.html`` (:mod:`.page`) when its bytes change.

A failure before the switch leaves what readers see as it was (at most an unreferenced version
folder, which ``landsat-ops cleanup`` collects); the same inputs twice publish nothing new.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from landsat_ops import __version__
from landsat_ops.composite.grid import Grid
from landsat_ops.storage import Store, is_s3, open_store, sha256_file, sha256_multihash
from landsat_ops.timelapse.annotate import Overlay, annotate
from landsat_ops.timelapse.errors import TimelapseError
from landsat_ops.timelapse.frames import footprint, gap_frame, warp_sources
from landsat_ops.timelapse.grid import (
    bounds_lonlat,
    frame_grid,
    ground_metres_per_pixel,
    north_angle,
)
from landsat_ops.timelapse.page import PAGE_NAME, timelapse_page
from landsat_ops.timelapse.periods import PeriodSpec, periods_between
from landsat_ops.timelapse.sources import (
    DEFAULT_MIN_CLEAR,
    VARIANTS,
    FramePlan,
    SourceItem,
    plan_frames,
    read_items,
)

__all__ = ["TimelapseResult", "frame_detail", "make_timelapse", "render_frames", "write_page"]

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_MEDIA = {".mp4": "video/mp4", ".webp": "image/webp", ".png": "image/png"}
_EXTENSIONS = ["https://stac-extensions.github.io/projection/v2.0.0/schema.json"]
THUMBNAIL_WIDTH = 320


@dataclass(frozen=True)
class TimelapseResult:
    """What :func:`make_timelapse` published (URIs) and how long it took."""

    item_uri: str
    page_uri: str
    files: dict[str, str]
    frames: int
    gaps: int
    grid: Grid
    seconds: float


def frame_detail(plan: FramePlan) -> str:
    """The label's second line: what the frame shows, or why it is empty."""
    if plan.kind == "gap":
        return plan.note
    if plan.kind == "composite":
        (source,) = plan.sources
        text = "composite"
        if source.scenes:
            text += f" of {source.scenes} scene{'s' if source.scenes != 1 else ''}"
        if source.clear_observations is not None:
            text += f", {source.clear_statistic} {source.clear_observations:g} clear obs."
        return text
    if len(plan.sources) == 1:
        (source,) = plan.sources
        clear = "" if source.clear_fraction is None else f", {source.clear_fraction:.0%} clear"
        return f"scene {source.start.isoformat()}{clear}"
    days = sorted(s.start for s in plan.sources)
    known = [s.clear_fraction for s in plan.sources if s.clear_fraction is not None]
    clear = f", {sum(known) / len(known):.0%} clear" if known else ""
    return f"{len(plan.sources)} scenes {days[0].isoformat()}..{days[-1]:%m-%d}{clear}"


def render_frames(plans: Sequence[FramePlan], grid: Grid, variant: str) -> list:  # list[np.ndarray]
    """The annotated frames of one variant, one per plan (height x width x 3 uint8)."""
    metres, north = ground_metres_per_pixel(grid), north_angle(grid)
    frames = []
    for plan in plans:
        if plan.kind == "gap":
            pixels = gap_frame(grid)
        else:
            pixels = warp_sources([s.assets[variant] for s in plan.sources], grid)
        overlay = Overlay(plan.period.title, frame_detail(plan), metres, north, plan.kind == "gap")
        frames.append(annotate(pixels, overlay))
    return frames


@contextlib.contextmanager
def _gdal_env(store: Store) -> Iterator[None]:
    from landsat_ops.raster.bands import gdal_env

    options = {}
    if is_s3(store.root):
        from landsat_ops.sampling.location import gdal_s3_options

        options = gdal_s3_options(s3_client=getattr(store, "client", None))
    with gdal_env(**options, CPL_VSIL_CURL_ALLOWED_EXTENSIONS=".tif,.TIF,.tiff"):
        yield


def _years(items: Sequence[SourceItem]) -> tuple[int, int]:
    return min(i.start.year for i in items), max(i.end.year for i in items)


def _thumbnail(frame, path: Path) -> Path:
    from PIL import Image

    image = Image.fromarray(frame, "RGB")
    height = max(2, round(image.height * THUMBNAIL_WIDTH / image.width))
    image.resize((THUMBNAIL_WIDTH, height), Image.Resampling.LANCZOS).save(path, optimize=True)
    return path


def _asset_title(key: str) -> str:
    if key == "thumbnail":
        return "The first frame with data, small"
    variant, _, kind = key.partition("_")
    what = {"mp4": "MP4 (H.264)", "webp": "animated WebP"}[kind]
    return f"{variant.replace('color', ' colour').capitalize()} time-lapse, {what}"


def _version_item(name, title, spec, seconds, plans, grid, files, variants) -> dict:
    west, south, east, north = bounds_lonlat(grid)
    frames = []
    for plan in plans:
        frames.append(
            {
                "label": plan.period.label,
                "title": plan.period.title,
                "start": plan.period.start.isoformat(),
                "end": plan.period.end.isoformat(),
                "kind": plan.kind,
                "detail": frame_detail(plan),
                "sources": [s.to_dict() for s in plan.sources],
            }
        )
    assets = {}
    for path in files:
        key = path.name.removeprefix(f"{name}_").replace(".", "_")
        key = "thumbnail" if key == "thumbnail_png" else key
        assets[key] = {
            "href": f"./{path.name}",
            "type": _MEDIA[path.suffix],
            "title": _asset_title(key),
            "roles": ["thumbnail"] if key == "thumbnail" else ["visual"],
            "file:checksum": sha256_multihash(sha256_file(path)),
            "file:size": path.stat().st_size,
        }
    sources = {s.item_uri for plan in plans for s in plan.sources}
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": _EXTENSIONS,
        "id": name,
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [[west, south], [east, south], [east, north], [west, north], [west, south]]
            ],
        },
        "bbox": [west, south, east, north],
        "properties": {
            "title": title,
            "datetime": None,
            "start_datetime": f"{plans[0].period.start.isoformat()}T00:00:00Z",
            "end_datetime": f"{plans[-1].period.end.isoformat()}T23:59:59Z",
            **(
                {"proj:code": grid.crs}
                if grid.crs.startswith("EPSG:")
                else {"proj:code": None, "proj:wkt2": grid.crs}
            ),
            "proj:shape": [grid.height, grid.width],
            "proj:transform": list(grid.transform),
            "landsat_ops:version": __version__,
            "landsat_ops:timelapse": {
                "period": str(spec),
                "seconds_per_frame": seconds,
                "variants": list(variants),
                "grid": grid.to_dict(),
                "frames": frames,
            },
        },
        "links": [
            {"rel": "derived_from", "href": uri, "type": "application/geo+json"}
            for uri in sorted(sources)
        ],
        "assets": assets,
    }


def _render_files(plans, grid, name, variants, seconds, work: Path) -> list[Path]:
    from landsat_ops.timelapse.encode import write_mp4, write_webp

    files: list[Path] = []
    for variant in variants:
        started = time.monotonic()
        frames = render_frames(plans, grid, variant)
        if variant == "truecolor":
            first = next(
                (f for f, p in zip(frames, plans, strict=True) if p.kind != "gap"), frames[0]
            )
            thumbnail = _thumbnail(first, work / f"{name}_thumbnail.png")
        files.append(write_mp4(frames, work / f"{name}_{variant}.mp4", seconds=seconds))
        files.append(write_webp(frames, work / f"{name}_{variant}.webp", seconds=seconds))
        log.info(
            "%s %s: %d frames in %.1f s", name, variant, len(frames), time.monotonic() - started
        )
    return [*files, thumbnail]


def _variants(plans: Sequence[FramePlan]) -> list[str]:
    """The variants every frame's sources have (true colour always: sources need it)."""
    used = [s for plan in plans for s in plan.sources]
    out = [v for v in VARIANTS if all(v in s.assets for s in used)]
    missing = [v for v in VARIANTS if v not in out]
    if missing:
        lacking = next(s for s in used if any(v not in s.assets for v in missing))
        log.warning("no %s time-lapse: %s has no %s_tif", missing, lacking.item_uri, missing[0])
    return out


def write_page(out: Store, title: str) -> bool:
    """(Re)write the folder's ``index.html`` from its time-lapse items; False: unchanged."""
    items = []
    for key in out.list(""):
        if "/" in key or not key.endswith(".json"):
            continue
        with contextlib.suppress(ValueError):
            item = json.loads(out.read_bytes(key))
            if isinstance(item, dict) and "landsat_ops:timelapse" in (item.get("properties") or {}):
                items.append(item)
    data = timelapse_page(title, items).encode()
    current = out.info(PAGE_NAME)
    if current is not None and current.sha256 == hashlib.sha256(data).hexdigest():
        return False
    out.write_bytes(PAGE_NAME, data, "text/html; charset=utf-8")
    return True


def make_timelapse(
    store: Store,
    *,
    name: str,
    spec: PeriodSpec,
    out_prefix: str,
    scene_prefixes: Sequence[str] = (),
    composite_prefixes: Sequence[str] = (),
    years: tuple[int, int] | None = None,
    title: str | None = None,
    crs: str | None = None,
    size: int = 1024,
    seconds: float = 1.0,
    min_clear: float = DEFAULT_MIN_CLEAR,
    workdir: str | Path | None = None,
) -> TimelapseResult:
    """Make and publish the time-lapse ``name`` of the items under the prefixes of ``store``.

    ``out_prefix`` is the time-lapse folder (``published/timelapse/226/010``); ``years`` the
    first and last year of the periods (default: those of the items found).
    """
    started = time.monotonic()
    if not _NAME.match(name) or ".." in name:
        raise TimelapseError(f"name {name!r}: expected letters, digits, '_', '.', '-'")
    if not 0.1 <= seconds <= 60:
        raise TimelapseError(f"seconds per frame {seconds}: expected 0.1..60")
    if not scene_prefixes and not composite_prefixes:
        raise TimelapseError("no folder of scene or composite items given")
    scenes = read_items(store, scene_prefixes, "scene")
    composites = read_items(store, composite_prefixes, "composite")
    if not scenes and not composites:
        where = ", ".join(store.uri(p) for p in (*scene_prefixes, *composite_prefixes))
        raise TimelapseError(f"no STAC item with a truecolor_tif asset under {where}")
    first, last = years or _years([*scenes, *composites])
    plans = plan_frames(periods_between(spec, first, last), scenes, composites, min_clear=min_clear)
    title = title or f"{name}: {spec.name}, {first}-{last}"
    out = open_store(store.uri(out_prefix.strip("/")), getattr(store, "client", None))
    with _gdal_env(store):
        uris = {s.assets["truecolor"] for plan in plans for s in plan.sources}
        grid = frame_grid([footprint(uri) for uri in sorted(uris)], crs=crs, size=size)
        variants = _variants(plans)
        with tempfile.TemporaryDirectory(prefix="timelapse-", dir=workdir) as tmp:
            files = _render_files(plans, grid, name, variants, seconds, Path(tmp))
            item = _version_item(name, title, spec, seconds, plans, grid, files, variants)
            from landsat_ops.render.destination import publish_version

            publication, published = publish_version(out, files, item, scene_id=name, move=True)
    write_page(out, f"Time-lapses: {out_prefix.strip('/')}")
    gaps = sum(1 for p in plans if p.kind == "gap")
    result = TimelapseResult(
        item_uri=out.uri(publication.item_key),
        page_uri=out.uri(PAGE_NAME),
        files={k: v for k, v in published.items() if not k.endswith(".json")},
        frames=len(plans),
        gaps=gaps,
        grid=grid,
        seconds=time.monotonic() - started,
    )
    log.info(
        "%s: %d frames (%d gaps) on a %dx%d grid in %.1f s: %s",
        name,
        len(plans),
        gaps,
        grid.width,
        grid.height,
        result.seconds,
        result.item_uri,
    )
    return result
