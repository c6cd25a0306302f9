"""The STAC item of a composite: its assets, the scenes it was derived from, its period.

Like a scene's item (:mod:`landsat_ops.render.stac_item`): assets with checksums, roles, STAC
1.1 ``bands``, ``proj:shape``/``proj:transform`` of each asset, the render extension for the
display products, a footprint of the pixels with data (WGS84). Besides:

* ``start_datetime`` / ``end_datetime``: the first and last acquisition among the scenes that
  gave at least one clear observation (``datetime`` is null, as STAC wants for a range);
* a ``derived_from`` link per scene used (href: the folder, prefix or archive given; title:
  the scene ID);
* ``landsat_ops:composite``: the statistic, the level and reflectance, every scene with its
  acquisition time and clear observations (pixels), the scenes that gave none;
* ``landsat_ops:clear_count``: the count band's statistics (min, max, mean and median over
  the pixels with at least one clear observation, pixels with none, a histogram);
* ``proj:code`` (or ``proj:wkt2``), ``proj:shape``, ``proj:transform``, ``proj:bbox``;
  ``grid:code`` ``WRS2-PPPRRR`` when all scenes share a path/row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

import landsat_ops
from landsat_ops.composite.grid import Grid
from landsat_ops.composite.inputs import BANDS, CompositeInput
from landsat_ops.products import (
    ASSET_TITLES,
    COG_MEDIA_TYPE,
    OLI_BANDS,
    PNG_MEDIA_TYPE,
    RENDERS,
    STAC_EXTENSIONS,
    asset_key,
    asset_roles,
    product_bands,
)
from landsat_ops.scene.rescaling import SR_ADD, SR_MULT
from landsat_ops.storage import sha256_file, sha256_multihash

__all__ = ["COMPOSITE_ASSETS", "build_composite_item", "count_statistics"]

COMPOSITE_ASSETS = {
    "reflectance_tif": (
        "Reflectance B1, B2, B3, B4, B5, B6, B7 of the composite (uint16 COG on the Collection 2 "
        "Level-2 scale: reflectance = DN x 2.75e-05 - 0.2; 0 = no clear observation)",
        ["data", "reflectance"],
    ),
    "count_tif": ("Clear observations per pixel (uint16 COG)", ["data"]),
}
"""Title and roles of the composite's own assets (the others are a scene's)."""


def count_statistics(histogram: np.ndarray) -> dict:
    """``landsat_ops:clear_count`` from the histogram of the count band (index = count)."""
    histogram = np.asarray(histogram, np.int64)
    values = np.arange(histogram.size)
    with_data = histogram[1:].sum()
    out = {"pixels_with_data": int(with_data), "pixels_without_data": int(histogram[0])}
    if with_data:
        counts = histogram[1:]
        cumulative = np.cumsum(counts)
        out.update(
            {
                "min": int(values[1:][counts > 0][0]),
                "max": int(values[1:][counts > 0][-1]),
                "mean": round(float((values[1:] * counts).sum() / with_data), 4),
                "median": int(values[1:][np.searchsorted(cumulative, (with_data + 1) // 2)]),
            }
        )
    out["histogram"] = {str(v): int(n) for v, n in enumerate(histogram) if n}
    return out


def build_composite_item(
    composite_id: str,
    grid: Grid,
    written: Sequence[Path],
    *,
    inputs: Sequence[CompositeInput],
    observations: Mapping[str, int],
    stat: str,
    count_histogram: np.ndarray,
    stretches: Mapping,
    valid_preview: np.ndarray | None,
    period: str | None = None,
    extent: Mapping[str, Mapping] | None = None,
) -> dict:
    """The composite's STAC item (a dict, hrefs ``./<file>``).

    ``extent``: :meth:`landsat_ops.extent.ExtentCounter.regions` of the composite's median
    reflectance, recorded as ``landsat_ops:extent`` (a scene's field set)."""
    import pystac
    from rasterio.warp import transform_geom

    from landsat_ops.render.stac_item import asset_projection, footprint

    used = [inp for inp in inputs if observations.get(inp.scene_id)]
    unused = [inp.scene_id for inp in inputs if not observations.get(inp.scene_id)]
    grid_record = {
        "crs": grid.rasterio_crs(),
        "transform": grid.affine,
        "width": grid.width,
        "height": grid.height,
        "bounds": grid.bounds,
    }
    geometry = transform_geom(
        grid.crs, "EPSG:4326", footprint(grid_record, valid_preview), precision=6
    )
    xs = [x for x, _ in geometry["coordinates"][0]]
    ys = [y for _, y in geometry["coordinates"][0]]
    level = inputs[0].level
    properties = {
        "start_datetime": min(inp.acquired for inp in used).isoformat(),
        "end_datetime": max(inp.acquired for inp in used).isoformat(),
        "constellation": "landsat",
        "platform": ",".join(sorted({f"landsat-{_satellite(inp.scene_id)}" for inp in used})),
        "instruments": ["oli"],
        "proj:shape": [grid.height, grid.width],
        "proj:transform": list(grid.transform),
        "proj:bbox": list(grid.bounds),
        "landsat_ops:composite": {
            "stat": stat,
            "level": level,
            "reflectance": "surface" if level == "L2" else "toa (sun elevation corrected)",
            "scenes": [
                {
                    "id": inp.scene_id,
                    "datetime": inp.acquired.isoformat(),
                    "clear_observations": int(observations[inp.scene_id]),
                }
                for inp in used
            ],
            "scenes_without_clear_pixels": unused,
        },
        "landsat_ops:clear_count": count_statistics(count_histogram),
        "landsat_ops:stretch": {k: v.to_dict() for k, v in stretches.items()},
        "landsat_ops:version": landsat_ops.__version__,
    }
    if grid.crs.startswith("EPSG:"):
        properties["proj:code"] = grid.crs
    else:
        properties["proj:wkt2"] = grid.crs
    path_rows = {(inp.path, inp.row) for inp in inputs}
    if len(path_rows) == 1:
        ((path, row),) = path_rows
        properties["grid:code"] = f"WRS2-{path:03d}{row:03d}"
    if period:
        properties["landsat_ops:period"] = period
    if extent is not None:
        properties.update(_extent_fields(extent, level))
    item = pystac.Item(
        id=composite_id,
        geometry=geometry,
        bbox=[min(xs), min(ys), max(xs), max(ys)],
        datetime=None,
        properties=properties,
    )
    for inp in used:
        item.add_link(pystac.Link("derived_from", inp.ref, title=inp.scene_id))
    names = {path.name for path in written}
    made = {name[len(composite_id) + 1 :] for name in names}
    renders = {name: RENDERS[name] for name in RENDERS if f"{name}.tif" in made}
    if renders:  # every product's render names its one COG
        properties["renders"] = renders
    extensions = ["file", "projection", "eo"]
    extensions += ["grid"] if "grid:code" in properties else []
    extensions += ["render"] if renders else []
    extensions += ["classification"] if f"{composite_id}_extent.tif" in names else []
    extensions += ["raster"] if f"{composite_id}_reflectance.tif" in names else []
    item.stac_extensions = [STAC_EXTENSIONS[name] for name in extensions]
    for path in written:
        key = asset_key(path.name, composite_id)
        product = path.stem[len(composite_id) + 1 :]
        is_cog = path.suffix == ".tif"
        extra: dict = {}
        if is_cog:
            extra["bands"] = _bands(product)
        if product == "extent" and is_cog:
            from landsat_ops.extent.legend import extent_classes

            extra["classification:classes"] = extent_classes()
        extra.update(asset_projection(path, grid_record, key))
        title, roles = COMPOSITE_ASSETS.get(key, (ASSET_TITLES.get(key, key), asset_roles(key)))
        item.add_asset(
            key,
            pystac.Asset(
                href=f"./{path.name}",
                media_type=COG_MEDIA_TYPE if is_cog else PNG_MEDIA_TYPE,
                roles=roles,
                title=title,
                extra_fields={
                    **extra,
                    "file:checksum": sha256_multihash(sha256_file(path)),
                    "file:size": path.stat().st_size,
                },
            ),
        )
    return item.to_dict(include_self_link=False)


def _bands(product: str) -> list[dict]:
    """STAC 1.1 ``bands`` of a composite COG."""
    if product == "count":
        return [
            {
                "name": "count",
                "description": "Clear observations (QA: not fill, cloud, dilated cloud, "
                "cirrus or cloud shadow) the composite took per pixel",
                "data_type": "uint16",
            }
        ]
    if product == "reflectance":
        out = []
        for band in BANDS:
            common, centre, width = OLI_BANDS[band]
            out.append(
                {
                    "name": f"B{band}",
                    "description": f"OLI band {band} ({common}) reflectance of the composite",
                    "eo:common_name": common,
                    "eo:center_wavelength": centre,
                    "eo:full_width_half_max": width,
                    "data_type": "uint16",
                    "nodata": 0,
                    "raster:scale": SR_MULT,
                    "raster:offset": SR_ADD,
                }
            )
        return out
    return product_bands(product)


def _extent_fields(regions: Mapping[str, Mapping], level: str) -> dict:
    """``landsat_ops:extent`` of the composite: a scene's fields
    (:meth:`landsat_ops.extent.SceneExtent.stac_properties`), of its median reflectance."""
    from landsat_ops.extent.measure import SceneExtent

    extent = SceneExtent(
        scene_id="",
        acquired="",
        path=0,
        row=0,
        scene_cloud_cover=None,
        reflectance="surface" if level == "L2" else "toa",
        pixel_m2=0.0,
        regions=dict(regions),
    )
    return extent.stac_properties()


def _satellite(scene_id: str) -> int:
    from landsat_ops.scene.ids import parse_scene_id

    return parse_scene_id(scene_id).satellite
