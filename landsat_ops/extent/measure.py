"""The snow/ice and water extent of one scene, over its path/row and over named polygons.

:class:`ExtentCounter` adds up the class codes of strips (:func:`~.classify.classify_strip`)
over the whole grid and over each polygon's pixels; :func:`measure_scene` streams a scene's
green, NIR, SWIR1 and QA bands in full-width strips through it (a local folder or an
``s3://`` prefix, read in place through ``/vsis3/``; never a whole band in memory).

Areas are pixel counts times the pixel area of the grid (``|a*e - b*d|`` of its affine
transform), in km2. Each region reports:

``region_km2``
    the path/row: its footprint (the pixels that are not fill); a polygon: its planar area in
    the scene's CRS (also the part off the grid or in fill).
``observed_km2``, ``clear_km2``
    not fill; clear (:func:`landsat_ops.scene.qa.clear_mask`).
``clear_fraction``
    ``clear_km2 / region_km2``: how much of the region was seen through clear sky, so a
    cloudy scene does not read as "no ice".
``snow_ice_km2``, ``water_km2``
    the clear pixels of each class.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from landsat_ops.errors import SceneError
from landsat_ops.extent.classify import (
    CLASSES,
    EXTENT_BANDS,
    FILL,
    NOT_CLEAR,
    SNOW_ICE,
    THRESHOLDS,
    WATER,
    classify_strip,
    extent_coefficients,
)
from landsat_ops.extent.polygons import (
    NamedPolygon,
    PolygonMask,
    polygon_masks,
    polygons_digest,
)

__all__ = [
    "PATH_ROW",
    "ExtentCounter",
    "SceneExtent",
    "count_reflectance_strip",
    "count_strip",
    "grid_counter",
    "measure_scene",
    "scene_extent",
]

PATH_ROW = "path_row"
"""The region name of the whole grid (the scene's path/row) in results and tables."""
ACQUIRED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _km2(pixels: int, pixel_m2: float) -> float:
    return round(pixels * pixel_m2 / 1e6, 6)


@dataclass
class ExtentCounter:
    """Class counts of a grid's strips, over the whole grid and over each polygon mask."""

    shape: tuple[int, int]
    pixel_m2: float
    polygons: Sequence[PolygonMask] = ()
    grid_counts: np.ndarray = field(default_factory=lambda: np.zeros(len(CLASSES), np.int64))
    polygon_counts: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for polygon in self.polygons:
            self.polygon_counts[polygon.name] = np.zeros(len(CLASSES), np.int64)

    def add(self, codes: np.ndarray, row_off: int, counted: bool = False) -> None:
        """Add a strip of class codes starting at grid row ``row_off``.

        ``counted``: the strip's whole-grid counts were already added (by the kernel).
        """
        if not counted:
            self.grid_counts += np.bincount(codes.ravel(), minlength=len(CLASSES))
        rows = codes.shape[0]
        for polygon in self.polygons:
            top = max(row_off, polygon.row_off)
            bottom = min(row_off + rows, polygon.row_off + polygon.mask.shape[0])
            if top >= bottom:
                continue
            mask = polygon.mask[top - polygon.row_off : bottom - polygon.row_off]
            cols = slice(polygon.col_off, polygon.col_off + mask.shape[1])
            inside = codes[top - row_off : bottom - row_off, cols][mask]
            self.polygon_counts[polygon.name] += np.bincount(inside, minlength=len(CLASSES))

    def partial(self) -> ExtentCounter:
        """An empty counter of the same grid and polygons (one per worker thread; see
        :meth:`merge`)."""
        return ExtentCounter(self.shape, self.pixel_m2, self.polygons)

    def merge(self, other: ExtentCounter) -> None:
        """Add the counts of another counter of the same grid and polygons."""
        self.grid_counts += other.grid_counts
        for name, counts in other.polygon_counts.items():
            self.polygon_counts[name] += counts

    def _region(self, counts: np.ndarray, region_m2: float | None) -> dict[str, Any]:
        observed = int(counts.sum() - counts[FILL])
        clear = int(observed - counts[NOT_CLEAR])
        region_km2 = _km2(observed, self.pixel_m2) if region_m2 is None else region_m2 / 1e6
        clear_km2 = _km2(clear, self.pixel_m2)
        return {
            "region_km2": round(region_km2, 6),
            "observed_km2": _km2(observed, self.pixel_m2),
            "clear_km2": clear_km2,
            "clear_fraction": round(min(1.0, clear_km2 / region_km2), 6) if region_km2 else 0.0,
            "snow_ice_km2": _km2(int(counts[SNOW_ICE]), self.pixel_m2),
            "water_km2": _km2(int(counts[WATER]), self.pixel_m2),
            "pixels": {name: int(n) for name, n in zip(CLASSES, counts, strict=True)},
        }

    def regions(self) -> dict[str, dict[str, Any]]:
        """``{region: {region_km2, observed_km2, clear_km2, clear_fraction, snow_ice_km2,
        water_km2, pixels}}``: the path/row first, then the polygons in their order."""
        out = {PATH_ROW: self._region(self.grid_counts, None)}
        for polygon in self.polygons:
            out[polygon.name] = self._region(self.polygon_counts[polygon.name], polygon.area_m2)
        return out


@dataclass(frozen=True)
class SceneExtent:
    """The extent of one scene: identity, grid, and its regions (see the module docstring)."""

    scene_id: str
    acquired: str
    path: int
    row: int
    scene_cloud_cover: float | None
    reflectance: str
    pixel_m2: float
    regions: dict[str, dict[str, Any]]
    polygons_sha256: str | None = None
    """:func:`~landsat_ops.extent.polygons.polygons_digest` of the polygons asked for (also
    those left out as off the scene); None without polygons."""

    def stac_properties(self) -> dict[str, Any]:
        """The ``landsat_ops:extent`` field set of the scene's STAC item (docs/extent.md)."""
        whole = self.regions[PATH_ROW]
        fields = {k: v for k, v in whole.items() if k != "pixels"}
        fields["reflectance"] = self.reflectance
        fields["thresholds"] = dict(THRESHOLDS)
        fields["polygons"] = {
            name: {k: v for k, v in region.items() if k != "pixels"}
            for name, region in self.regions.items()
            if name != PATH_ROW
        }
        if self.polygons_sha256 is not None:
            fields["polygons_sha256"] = self.polygons_sha256
        return {"landsat_ops:extent": fields}

    @classmethod
    def from_stac(cls, item: dict[str, Any], path: int, row: int) -> SceneExtent:
        """The extent a render recorded in a scene's STAC item (its ``landsat_ops:extent``,
        ``datetime`` and ``eo:cloud_cover``): :meth:`rows` are the measured ones."""
        fields = item["properties"]["landsat_ops:extent"]
        when = dt.datetime.fromisoformat(item["properties"]["datetime"])
        region_keys = ("region_km2", "observed_km2", "clear_km2", "clear_fraction")
        region_keys += ("snow_ice_km2", "water_km2")
        regions = {PATH_ROW: {k: fields[k] for k in region_keys}}
        regions.update(fields.get("polygons") or {})
        return cls(
            scene_id=item["id"],
            acquired=when.astimezone(dt.UTC).strftime(ACQUIRED_FORMAT),
            path=path,
            row=row,
            scene_cloud_cover=item["properties"].get("eo:cloud_cover"),
            reflectance=fields["reflectance"],
            pixel_m2=0.0,
            regions=regions,
            polygons_sha256=fields.get("polygons_sha256"),
        )

    def rows(self) -> list[dict[str, Any]]:
        """One table row per region (:data:`landsat_ops.extent.table.COLUMNS`)."""
        return [
            {
                "scene_id": self.scene_id,
                "acquired": self.acquired,
                "path": self.path,
                "row": self.row,
                "region": name,
                **{k: v for k, v in region.items() if k != "pixels"},
                "scene_cloud_cover": self.scene_cloud_cover,
                "kind": "scene",
                "period": None,
                "start": None,
                "end": None,
            }
            for name, region in self.regions.items()
        ]


def _band_paths(scene, s3_client):
    """The located scene, its metadata, band paths (``/vsis3/`` on S3) and GDAL options."""
    from landsat_ops.sampling.location import gdal_s3_options
    from landsat_ops.scene.locate import locate_scene, read_scene_metadata

    store, files = locate_scene(scene, s3_client)
    where = store.root if store is not None else str(files.folder)
    missing = [f"B{b}" for b in EXTENT_BANDS if b not in files.bands]
    if missing:
        raise SceneError(
            f"{where}: no band {', '.join(missing)} (the extent reads green B3, NIR B5 and "
            "SWIR1 B6: files ending in _B3/_B5/_B6.TIF or _SR_B3/5/6.TIF)"
        )
    if files.qa is None:
        raise SceneError(
            f"{where}: no QA band (the extent needs it to tell cloud from snow and ice: "
            "expected _QA_PIXEL.TIF or _BQA.TIF)"
        )
    meta = read_scene_metadata(store, files)
    paths: dict[int | str, Any] = {b: files.bands[b] for b in EXTENT_BANDS}
    paths["QA"] = files.qa
    options: dict[str, str] = {}
    if store is not None:
        paths = {k: "/vsis3/" + store.uri(p.name).removeprefix("s3://") for k, p in paths.items()}
        options = {
            **gdal_s3_options(s3_client=s3_client),
            "GDAL_HTTP_MAX_RETRY": "3",
            "GDAL_HTTP_RETRY_DELAY": "1",
            "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".TIF,.tif,.TIFF,.tiff",
            "CPL_VSIL_CURL_NON_CACHED": "/vsis3/" + store.root.removeprefix("s3://") + "/",
        }
    return files, meta, where, paths, options


def measure_scene(
    scene: str | os.PathLike,
    polygons: Sequence[NamedPolygon] = (),
    *,
    outside: str = "error",
    s3_client=None,
) -> SceneExtent:
    """Measure the snow/ice and water extent of one scene (folder or ``s3://`` prefix).

    Parameters
    ----------
    scene
        Holds ``<ID>_B3/B5/B6.TIF`` (or ``_SR_B3/5/6``), the QA band and the MTL (required for
        Level-1: the reflectance rescaling and sun elevation).
    polygons
        Named polygons (:func:`~landsat_ops.extent.polygons.read_polygons`).
    outside
        ``"error"``: a polygon with no pixel on the scene's grid is an error; ``"skip"``: it
        is left out (an area of several path/rows).

    Raises
    ------
    SceneError, RasterError, PolygonError, StorageError
        One line naming the scene or polygon and what is wrong.
    """
    from landsat_ops.raster.bands import BLOCK, gdal_env, open_bands, read_window, strips
    from landsat_ops.scene.qa import clear_lut

    files, meta, where, paths, options = _band_paths(scene, s3_client)
    coefficients = extent_coefficients(files, meta, where=where)
    table = clear_lut(files.qa_kind)
    with gdal_env(**options), open_bands(paths) as bands:
        ref = bands[EXTENT_BANDS[0]]
        qa = bands["QA"]
        if not qa.dtypes[0].startswith("uint"):
            raise SceneError(f"{qa.name}: the QA band is {qa.dtypes[0]} (expected unsigned)")
        counter = grid_counter(
            files,
            ref.crs,
            ref.transform,
            ref.width,
            ref.height,
            polygons,
            where=f"scene {files.scene_id.scene_id} ({where})",
            outside=outside,
        )
        codes = np.empty((BLOCK, ref.width), np.uint8)
        for window in strips(ref.width, ref.height):
            data = [read_window(bands[b], window) for b in (*EXTENT_BANDS, "QA")]
            count_strip(*data, table, coefficients, counter, window.row_off, codes[: window.height])
    return scene_extent(files, meta, counter, polygons)


def grid_counter(
    files,
    crs,
    transform,
    width: int,
    height: int,
    polygons: Sequence[NamedPolygon] = (),
    *,
    where: str,
    outside: str = "error",
) -> ExtentCounter:
    """An empty :class:`ExtentCounter` of a scene's grid and its polygons' masks.

    Raises :class:`~landsat_ops.extent.polygons.PolygonError` for a polygon with no pixel on
    the grid (``outside="error"``; ``"skip"`` leaves it out); ``where`` names the scene.
    """
    pixel_m2 = abs(transform.a * transform.e - transform.b * transform.d)
    masks = polygon_masks(polygons, crs, transform, width, height, where=where, outside=outside)
    return ExtentCounter((height, width), pixel_m2, masks)


def count_strip(green, nir, swir1, qa, clear_table, coefficients, counter, row_off, out):
    """Classify one strip (:func:`~.classify.classify_strip`) into ``out`` (uint8, the strip's
    shape) and add its codes to ``counter``, over the grid and the polygons; returns ``out``.

    The one step of both :func:`measure_scene` and the render's extent product
    (:mod:`landsat_ops.render.extent_pass`), so the two count alike.
    """
    classify_strip(
        green, nir, swir1, qa, clear_table, coefficients, out=out, counts=counter.grid_counts
    )
    counter.add(out, row_off, counted=True)
    return out


def count_reflectance_strip(green, nir, swir1, counter, row_off, out):
    """:func:`count_strip` of a strip of green, NIR and SWIR1 *reflectance* (float; NaN = no
    data, e.g. a composite's median where no observation was clear); returns ``out``.

    The reflectance is put on the Collection 2 Level-2 scale (``DN = (rho + 0.2) / 2.75e-05``,
    rounded, 1..65535; within 1.4e-05 of the reflectance) and classified by the one kernel
    with Level-2 coefficients, so the thresholds and tests are exactly a scene's. A pixel
    whose three bands are finite is clear; any NaN makes it fill.
    """
    from landsat_ops.scene.rescaling import SR_ADD, SR_MULT

    bands = [np.asarray(a, np.float64) for a in (green, nir, swir1)]
    finite = np.isfinite(bands[0]) & np.isfinite(bands[1]) & np.isfinite(bands[2])
    dns = []
    for band in bands:
        with np.errstate(invalid="ignore"):
            scaled = np.clip(np.rint((band - SR_ADD) / SR_MULT), 1, 65535)
        dns.append(np.where(finite, scaled, 0).astype(np.uint16))
    qa = (~finite).astype(np.uint16)  # bit 0: fill
    coefficients = {b: (SR_MULT, SR_ADD, 1.0) for b in EXTENT_BANDS}
    return count_strip(*dns, qa, _ALL_CLEAR, coefficients, counter, row_off, out)


_ALL_CLEAR = np.ones(1 << 16, np.uint8)
"""The clear table of :func:`count_reflectance_strip`: every QA value but fill is clear."""


def scene_extent(
    files, meta, counter: ExtentCounter, polygons: Sequence[NamedPolygon] = ()
) -> SceneExtent:
    """The :class:`SceneExtent` of a scene (its files and MTL, or None) from its counts over
    ``polygons`` (those asked for)."""
    sid = files.scene_id
    if meta is not None:
        acquired = meta.acquired.astimezone(dt.UTC).strftime(ACQUIRED_FORMAT)
    else:
        acquired = dt.datetime.combine(sid.acquired, dt.time(), dt.UTC).strftime(ACQUIRED_FORMAT)
    return SceneExtent(
        scene_id=sid.scene_id,
        acquired=acquired,
        path=sid.path,
        row=sid.row,
        scene_cloud_cover=meta.cloud_cover if meta is not None else None,
        reflectance="surface" if files.surface_reflectance else "toa",
        pixel_m2=counter.pixel_m2,
        regions=counter.regions(),
        polygons_sha256=polygons_digest(polygons) if polygons else None,
    )
