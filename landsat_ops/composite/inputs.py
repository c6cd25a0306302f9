"""The scenes of a composite: :class:`CompositeInput`, :func:`open_inputs`, :func:`target_grid`.

Each input is what ``landsat-ops render`` accepts (a scene folder, an ``s3://`` prefix, a
product archive): :func:`landsat_ops.render.fetch.fetch_scene` finds its files, downloading
(``s3://``) or extracting (archives) only bands B1-B7, the QA band and the MTL. An input
carries what a tile needs to read it: its band files, its QA layout, its grid, and the
rescaling of each band's DN to reflectance:

* Level-2: surface reflectance, the MTL's ``REFLECTANCE_MULT/ADD`` of the Level-2 group
  (Collection 2 constants ``2.75e-05``, ``-0.2`` without it);
* Level-1: top-of-atmosphere reflectance with the sun-elevation correction,
  ``(DN * REFLECTANCE_MULT + REFLECTANCE_ADD) / sin(SUN_ELEVATION)`` (as the renderer's
  natural true colour, :mod:`landsat_ops.raster.tone`, before its haze offset).

Level-1 and Level-2 inputs are never mixed (their reflectances differ by the atmosphere).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from landsat_ops.composite.errors import CompositeError
from landsat_ops.composite.grid import Grid, canonical_crs
from landsat_ops.errors import LandsatOpsError
from landsat_ops.scene.files import BANDS_NEEDED
from landsat_ops.scene.rescaling import SR_ADD, SR_MULT

__all__ = ["BANDS", "CompositeInput", "open_inputs", "reflectance_coefficients", "target_grid"]

BANDS = tuple(sorted({*BANDS_NEEDED, 6}))
"""The OLI bands a composite holds: B1 (coastal), B2, B3, B4, B5 (NIR), B6 (SWIR1), B7 (SWIR2):
those of the true colour, the false colour, the NDVI and the snow/ice and water extent."""
_FETCHED_PRODUCTS = ("truecolor", "falsecolor", "ndvi", "extent")  # B1-B7 and the QA band


@dataclass(frozen=True)
class CompositeInput:
    """One scene of a composite, its files found (local paths) and its rescaling known."""

    ref: str
    """What the user gave (a folder, an ``s3://`` prefix, an archive): the STAC link's href."""
    scene_id: str
    acquired: dt.datetime
    level: str  # "L1" or "L2"
    path: int
    row: int
    grid: Grid
    bands: dict[int, str]
    qa: str
    qa_kind: str
    coefficients: dict[int, tuple[float, float]]
    """Band -> ``(mult, add)``: ``reflectance = DN * mult + add`` (Level-1: divided by the sine
    of the sun elevation already)."""
    sun_elevation: float | None = None
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict:
        """A JSON-able record (for XCom): :meth:`from_dict` reads it back."""
        return {
            "ref": self.ref,
            "scene_id": self.scene_id,
            "acquired": self.acquired.isoformat(),
            "level": self.level,
            "path": self.path,
            "row": self.row,
            "grid": self.grid.to_dict(),
            "bands": {str(b): p for b, p in self.bands.items()},
            "qa": self.qa,
            "qa_kind": self.qa_kind,
            "coefficients": {str(b): list(c) for b, c in self.coefficients.items()},
            "sun_elevation": self.sun_elevation,
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> CompositeInput:
        try:
            return cls(
                ref=str(d["ref"]),
                scene_id=str(d["scene_id"]),
                acquired=dt.datetime.fromisoformat(d["acquired"]),
                level=str(d["level"]),
                path=int(d["path"]),
                row=int(d["row"]),
                grid=Grid.from_dict(d["grid"]),
                bands={int(b): str(p) for b, p in d["bands"].items()},
                qa=str(d["qa"]),
                qa_kind=str(d["qa_kind"]),
                coefficients={
                    int(b): (float(m), float(a)) for b, (m, a) in d["coefficients"].items()
                },
                sun_elevation=None if d.get("sun_elevation") is None else float(d["sun_elevation"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CompositeError(f"composite input: not an input record ({exc})") from None

    @property
    def path_row(self) -> str:
        return f"{self.path:03d}/{self.row:03d}"


def reflectance_coefficients(files, meta) -> tuple[dict[int, tuple[float, float]], float | None]:
    """``({band: (mult, add)}, sun elevation)`` of a scene's B1-B7 (see the module doc).

    Raises
    ------
    CompositeError
        A Level-1 scene without an MTL, or whose MTL lacks the sun elevation or a band's
        ``REFLECTANCE_MULT/ADD_BAND_n``.
    """
    if files.surface_reflectance:
        mult = meta.sr_mult if meta is not None else {}
        add = meta.sr_add if meta is not None else {}
        return {b: (mult.get(b, SR_MULT), add.get(b, SR_ADD)) for b in BANDS}, (
            meta.sun_elevation if meta is not None else None
        )
    where = files.mtl or files.folder
    if meta is None:
        raise CompositeError(
            f"{files.folder}: no MTL file; a Level-1 composite needs its REFLECTANCE_MULT/ADD "
            "and SUN_ELEVATION (expected <ID>_MTL.txt, .json or .xml next to the bands)"
        )
    if not meta.sun_elevation or meta.sun_elevation <= 0:
        raise CompositeError(
            f"{where}: no positive SUN_ELEVATION (top-of-atmosphere reflectance needs it)"
        )
    mu = math.sin(math.radians(meta.sun_elevation))
    out = {}
    for b in BANDS:
        if b not in meta.reflectance_mult or b not in meta.reflectance_add:
            raise CompositeError(f"{where}: no REFLECTANCE_MULT/ADD_BAND_{b}")
        out[b] = (meta.reflectance_mult[b] / mu, meta.reflectance_add[b] / mu)
    return out, meta.sun_elevation


def open_inputs(
    refs: Sequence[str | os.PathLike], workdir: Path, *, s3_client=None
) -> list[CompositeInput]:
    """Find each scene's files (fetched into ``workdir/<n>/`` when remote or archived).

    Returns the inputs sorted by acquisition time, then scene ID: the composite does not
    depend on the order of ``refs``.

    Raises
    ------
    CompositeError
        No scene, a scene missing or unreadable (named), a scene given twice, a scene without
        a QA band, or Level-1 and Level-2 scenes mixed.
    """
    from landsat_ops.render.fetch import fetch_scene
    from landsat_ops.scene import read_mtl
    from landsat_ops.scene.mtl import check_mtl_belongs

    if not refs:
        raise CompositeError("no scenes given (expected one or more scene folders or archives)")
    inputs: list[CompositeInput] = []
    seen: dict[str, str] = {}
    for i, ref in enumerate(refs):
        ref = str(ref)
        shown = ref if "://" in ref else str(Path(ref).absolute())
        local = Path(workdir) / f"input-{i:04d}"
        local.mkdir(parents=True, exist_ok=True)
        try:
            files = fetch_scene(
                ref, local, _FETCHED_PRODUCTS, s3_client, lambda step, done, total: None
            )
            meta = read_mtl(files.mtl) if files.mtl else None
            if meta is not None:
                check_mtl_belongs(meta, files)
            grid = Grid.of_raster(files.bands[BANDS[0]])
        except CompositeError:
            raise
        except LandsatOpsError as exc:
            raise CompositeError(f"scene {i + 1} of {len(refs)} ({shown}): {exc}") from None
        except OSError as exc:  # rasterio: a band that is not a raster
            raise CompositeError(f"scene {i + 1} of {len(refs)} ({shown}): {exc}") from None
        sid = files.scene_id
        if sid.scene_id in seen:
            raise CompositeError(
                f"{shown}: scene {sid.scene_id} given twice (also as {seen[sid.scene_id]})"
            )
        seen[sid.scene_id] = shown
        if files.qa is None:
            raise CompositeError(
                f"{shown}: no QA band (expected <ID>_QA_PIXEL.TIF or _BQA.TIF): a composite "
                "takes clear observations only"
            )
        coefficients, sun = reflectance_coefficients(files, meta)
        acquired = (
            meta.acquired
            if meta is not None
            else dt.datetime.combine(sid.acquired, dt.time(), tzinfo=dt.UTC)
        )
        inputs.append(
            CompositeInput(
                ref=shown,
                scene_id=sid.scene_id,
                acquired=acquired,
                level="L2" if files.surface_reflectance else "L1",
                path=sid.path,
                row=sid.row,
                grid=grid,
                bands={b: str(files.bands[b]) for b in BANDS},
                qa=str(files.qa),
                qa_kind=str(files.qa_kind),
                coefficients=coefficients,
                sun_elevation=sun,
            )
        )
    levels = {inp.level for inp in inputs}
    if len(levels) > 1:
        l1 = next(inp.scene_id for inp in inputs if inp.level == "L1")
        l2 = next(inp.scene_id for inp in inputs if inp.level == "L2")
        raise CompositeError(
            f"mixed collections: {l1} is Level-1 (top-of-atmosphere) and {l2} Level-2 "
            "(surface reflectance); composite scenes of one level"
        )
    return sorted(inputs, key=lambda inp: (inp.acquired, inp.scene_id))


def _aligned(a: Grid, b: Grid) -> bool:
    """Same CRS and pixel size, origins a whole number of pixels apart."""
    if a.crs != b.crs or a.transform[1] or a.transform[3] or b.transform[1] or b.transform[3]:
        return False
    if a.transform[0] != b.transform[0] or a.transform[4] != b.transform[4]:
        return False
    dx = (b.transform[2] - a.transform[2]) / a.transform[0]
    dy = (b.transform[5] - a.transform[5]) / a.transform[4]
    return abs(dx - round(dx)) < 1e-6 and abs(dy - round(dy)) < 1e-6


def target_grid(
    inputs: Sequence[CompositeInput], crs: str | None = None, resolution: float | None = None
) -> Grid:
    """The grid a composite of ``inputs`` is computed on.

    Without ``crs``: the scenes must share a path/row and a CRS, and the grid is the union of
    their grids (``resolution``, when given and not theirs, resamples it). With ``crs``: the
    union of the scenes' bounds in that CRS at ``resolution`` (default: the scenes' pixel size
    for a projected CRS; required for a geographic one), edges snapped to the resolution; when
    that is exactly the scenes' own CRS and pixel size, their union as without ``crs``.

    Raises
    ------
    CompositeError
        Several path/rows or CRSs without ``crs``; a geographic ``crs`` without a resolution.
    """
    if not inputs:
        raise CompositeError("no scenes given")
    grids = [inp.grid for inp in inputs]
    first = grids[0]
    if crs is None:
        path_rows = sorted({inp.path_row for inp in inputs})
        crss = sorted({g.crs for g in grids})
        if len(path_rows) > 1 or len(crss) > 1:
            what = f"path/rows {', '.join(path_rows)}" if len(path_rows) > 1 else "CRSs"
            raise CompositeError(
                f"scenes of several {what} ({', '.join(crss)}): give --crs EPSG:n and "
                "--resolution m to warp them onto one grid"
            )
        target_crs = first.crs
    else:
        target_crs = canonical_crs(crs)
    if resolution is not None and (not float(resolution) > 0 or not math.isfinite(resolution)):
        raise CompositeError(f"resolution: expected a positive number of metres, got {resolution}")
    native = all(_aligned(first, g) for g in grids) and target_crs == first.crs
    if native and (resolution is None or resolution == first.resolution[0] == first.resolution[1]):
        return _union(grids)  # the scenes' own pixels (even when not square)
    if resolution is None:
        from rasterio.crs import CRS

        if CRS.from_user_input(target_crs).is_geographic:
            raise CompositeError(
                f"--crs {crs}: a geographic CRS; give --resolution in its units (degrees)"
            )
        resolution = first.resolution[0]
    from rasterio.warp import transform_bounds

    boxes = [transform_bounds(g.crs, target_crs, *g.bounds, densify_pts=21) for g in grids]
    union = (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    return Grid.for_bounds(target_crs, union, float(resolution))


def _union(grids: Sequence[Grid]) -> Grid:
    """The union of aligned north-up grids."""
    res_x, res_y = grids[0].transform[0], grids[0].transform[4]
    lefts = [g.transform[2] for g in grids]
    tops = [g.transform[5] for g in grids]
    rights = [g.transform[2] + res_x * g.width for g in grids]
    bottoms = [g.transform[5] + res_y * g.height for g in grids]
    left, top = min(lefts), max(tops)
    width = round((max(rights) - left) / res_x)
    height = round((min(bottoms) - top) / res_y)
    return Grid(grids[0].crs, (res_x, 0.0, left, 0.0, res_y, top), width, height)
