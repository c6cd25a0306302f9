"""Named polygons of interest (a GeoJSON FeatureCollection in WGS84) and their pixels on a grid.

:func:`parse_polygons` checks the document and returns :class:`NamedPolygon` s;
:func:`polygon_masks` projects each onto a scene's grid (``rasterio.warp.transform_geom`` to
the grid's CRS, then ``rasterio.features.rasterize`` of the pixels whose centre is inside,
within the polygon's bounding window only) and gives its planar area in that CRS, so a
polygon partly outside the grid still reports how much of it was seen. A polygon with no
pixel on the grid is an error (:class:`PolygonError`), or skipped when asked.

Parsing needs only the standard library: the pipeline's config checks an area's polygons file
when it is loaded (at DAG parse time).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from landsat_ops.errors import OptionError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "as_polygons",
    "polygons_digest",
    "polygons_geojson",
    "NamedPolygon",
    "PolygonError",
    "PolygonMask",
    "parse_polygons",
    "polygon_masks",
    "read_polygons",
]


class PolygonError(OptionError):
    """An invalid polygons file, or a polygon that lies outside a scene."""


@dataclass(frozen=True)
class NamedPolygon:
    """One feature of the polygons file: its ``name`` property and WGS84 geometry.

    The geometry is kept as canonical GeoJSON text (hashable, so a frozen config holding
    polygons stays hashable); :attr:`geometry` parses it.
    """

    name: str
    geometry_json: str

    @property
    def geometry(self) -> dict[str, Any]:
        return json.loads(self.geometry_json)


@dataclass(frozen=True)
class PolygonMask:
    """A polygon's pixels on a grid: ``mask`` covers rows ``row_off..`` and cols ``col_off..``.

    ``area_m2`` is the polygon's planar area in the grid's CRS (also the part off the grid).
    """

    name: str
    row_off: int
    col_off: int
    mask: np.ndarray
    area_m2: float

    @property
    def pixels(self) -> int:
        return int(self.mask.sum())


def _fail(source: str, where: str, what: str) -> PolygonError:
    return PolygonError(f"{source}: {where}: {what}")


def _check_ring(ring: Any, source: str, where: str) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise _fail(source, where, "a ring needs at least 4 positions (closed: last = first)")
    for position in ring:
        if (
            not isinstance(position, list)
            or len(position) < 2
            or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in position[:2]
            )
        ):
            raise _fail(source, where, f"position {position!r} is not [lon, lat] numbers")
        lon, lat = position[:2]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise _fail(
                source,
                where,
                f"position {position!r} is not WGS84 degrees (lon -180..180, lat -90..90; "
                "GeoJSON is lon, lat in EPSG:4326)",
            )
    if ring[0][:2] != ring[-1][:2]:
        raise _fail(source, where, "a ring is not closed (its last position must be its first)")


def _check_geometry(geometry: Any, source: str, where: str) -> dict[str, Any]:
    if not isinstance(geometry, Mapping) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geometry.get("type") if isinstance(geometry, Mapping) else type(geometry).__name__
        raise _fail(source, where, f"geometry is {kind!r} (expected a Polygon or MultiPolygon)")
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        raise _fail(source, where, "no coordinates")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise _fail(source, where, "a polygon without rings")
        for ring in polygon:
            _check_ring(ring, source, where)
    return {"type": geometry["type"], "coordinates": coordinates}


def parse_polygons(data: bytes | str, source: str = "<polygons>") -> list[NamedPolygon]:
    """Parse and check a GeoJSON FeatureCollection of named (Multi)Polygons in WGS84.

    Every feature needs a unique, non-empty ``name`` property (letters, digits, ``_``, ``-``,
    spaces and dots, so it can name a table row and a plot panel).

    Raises
    ------
    PolygonError
        One line naming ``source``, the feature and what is wrong.
    """
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PolygonError(f"{source}: not valid JSON ({exc})") from None
    if not isinstance(document, Mapping) or document.get("type") != "FeatureCollection":
        kind = document.get("type") if isinstance(document, Mapping) else type(document).__name__
        raise PolygonError(f"{source}: a GeoJSON {kind!r}, expected a FeatureCollection")
    crs = document.get("crs")
    if crs is not None and "CRS84" not in json.dumps(crs) and "4326" not in json.dumps(crs):
        raise PolygonError(f"{source}: crs {json.dumps(crs)} (expected WGS84 lon/lat, RFC 7946)")
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise PolygonError(f"{source}: no features (expected at least one named polygon)")
    out: list[NamedPolygon] = []
    seen: set[str] = set()
    for index, feature in enumerate(features, 1):
        where = f"feature {index}"
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            raise _fail(source, where, "not a GeoJSON Feature")
        name = (feature.get("properties") or {}).get("name")
        if not isinstance(name, str) or not name.strip():
            raise _fail(source, where, 'no "name" property (expected a non-empty string)')
        name = name.strip()
        if not all(c.isalnum() or c in "_-. " for c in name):
            raise _fail(source, where, f"name {name!r} (use letters, digits, _ - . and spaces)")
        where = f"feature {index} ({name})"
        if name in seen:
            raise _fail(source, where, "the name is used twice (names must be unique)")
        seen.add(name)
        geometry = _check_geometry(feature.get("geometry"), source, where)
        out.append(NamedPolygon(name, json.dumps(geometry, separators=(",", ":"))))
    return out


def as_polygons(value) -> tuple[NamedPolygon, ...]:
    """Named polygons from GeoJSON text (checked by :func:`parse_polygons`) or from
    :class:`NamedPolygon` s (their names unique); a tuple."""
    if isinstance(value, str | bytes):
        return tuple(parse_polygons(value, "polygons"))
    out = tuple(value or ())
    if not all(isinstance(p, NamedPolygon) for p in out):
        raise PolygonError(
            "polygons: expected a GeoJSON FeatureCollection or named polygons, got "
            f"{[type(p).__name__ for p in out]}"
        )
    names = [p.name for p in out]
    if len(set(names)) != len(names):
        raise PolygonError(f"polygons: names used twice in {names}")
    return out


def polygons_geojson(polygons: Sequence[NamedPolygon]) -> str:
    """The compact GeoJSON FeatureCollection of named polygons (:func:`parse_polygons` reads
    it back into equal polygons)."""
    features = [
        {"type": "Feature", "properties": {"name": p.name}, "geometry": p.geometry}
        for p in polygons
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))


def polygons_digest(polygons: Sequence[NamedPolygon]) -> str:
    """SHA-256 (hex) of the polygons' canonical GeoJSON: names, order and every vertex."""
    import hashlib

    return hashlib.sha256(polygons_geojson(polygons).encode()).hexdigest()


def read_polygons(path: str | os.PathLike, *, s3_client=None) -> list[NamedPolygon]:
    """Read and check a polygons file (local or ``s3://``); see :func:`parse_polygons`."""
    from landsat_ops.sampling.rows import store_and_name

    store, name = store_and_name(path, s3_client)
    if not store.exists(name):
        raise PolygonError(f"{store.uri(name)}: no such polygons file (expected GeoJSON)")
    return parse_polygons(store.read_bytes(name), store.uri(name))


def _ring_area(ring: Sequence[Sequence[float]]) -> float:
    import numpy as np

    x = np.array([p[0] for p in ring], np.float64)
    y = np.array([p[1] for p in ring], np.float64)
    return abs(float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))) / 2


def planar_area(geometry: Mapping[str, Any]) -> float:
    """Area of a projected (Multi)Polygon (outer rings minus holes), in CRS units squared."""
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    return sum(
        _ring_area(rings[0]) - sum(_ring_area(hole) for hole in rings[1:]) for rings in polygons
    )


def polygon_masks(
    polygons: Sequence[NamedPolygon],
    crs,
    transform,
    width: int,
    height: int,
    *,
    where: str = "scene",
    outside: str = "error",
) -> list[PolygonMask]:
    """Each polygon's pixels on the grid (``crs``, affine ``transform``, ``width`` x ``height``).

    ``outside="error"`` (default): a polygon with no pixel centre on the grid raises
    :class:`PolygonError` naming it, ``where`` and the grid's bounds; ``"skip"`` leaves it out.
    """
    import numpy as np
    from affine import Affine
    from rasterio.features import rasterize
    from rasterio.warp import transform_geom

    if outside not in ("error", "skip"):
        raise ValueError(f"outside={outside!r} (expected 'error' or 'skip')")
    transform = Affine(*tuple(transform)[:6])
    out = []
    for polygon in polygons:
        projected = transform_geom("EPSG:4326", crs, polygon.geometry)
        rings = (
            [projected["coordinates"]]
            if projected["type"] == "Polygon"
            else projected["coordinates"]
        )
        xy = np.array([p[:2] for rings_ in rings for ring in rings_ for p in ring], np.float64)
        cols, rows = ~transform @ (xy[:, 0], xy[:, 1])
        col0 = max(0, int(math.floor(np.min(cols))))
        row0 = max(0, int(math.floor(np.min(rows))))
        col1 = min(width, int(math.ceil(np.max(cols))))
        row1 = min(height, int(math.ceil(np.max(rows))))
        mask = np.zeros((0, 0), bool)
        if col1 > col0 and row1 > row0:
            window_transform = transform @ Affine.translation(col0, row0)
            mask = rasterize(
                [projected],
                out_shape=(row1 - row0, col1 - col0),
                transform=window_transform,
                fill=0,
                default_value=1,
                dtype="uint8",
            ).astype(bool)
        if not mask.any():
            if outside == "skip":
                continue
            left, top = transform @ (0, 0)
            right, bottom = transform @ (width, height)
            raise PolygonError(
                f"polygon {polygon.name!r} lies outside {where} (no pixel of the "
                f"{width}x{height} grid, {crs}, x {min(left, right):.0f}..{max(left, right):.0f}, "
                f"y {min(top, bottom):.0f}..{max(top, bottom):.0f}, is inside it)"
            )
        out.append(PolygonMask(polygon.name, row0, col0, mask, planar_area(projected)))
    return out
