"""The product set of a render: names, files, STAC asset keys, media types, defaults, option rules.

The one place that says what ``landsat-ops render`` makes. The renderer, the CLI, the
pipeline's config, its publishing and its remote-render contract all import from here.

For scene ``<ID>`` and product ``<p>`` the files are ``<ID>_<p>.tif`` (a COG) and/or
``<ID>_<p>.png`` (a preview or figure); the STAC item ``<ID>.json`` lists them as assets keyed
``<p>_tif`` / ``<p>_png``. The true colour product also makes the item's small thumbnail,
``<ID>_thumbnail.png`` (asset ``thumbnail``, role ``thumbnail``), and the NDVI product an 8-bit
paletted COG that opens coloured without parameters, ``<ID>_ndvi_visual.tif`` (asset
``ndvi_visual_tif``, role ``visual``; :data:`PRODUCT_FILES`). The ``extent`` product's
``<ID>_extent.tif`` is a paletted COG of snow/ice and water classes (role ``data``,
:data:`EXTENT_CLASSES`; it reads B6 too, :data:`EXTENT_BANDS`). The stretch modes of the
colour composites (``natural``, ``linear``, manual ranges) are named and parametrised here
too. This module is pure Python (no numpy, no GDAL), so the DAG files may import it at parse
time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from landsat_ops.errors import OptionError
from landsat_ops.extent.legend import EXTENT_CLASSES, extent_classes
from landsat_ops.extent.polygons import as_polygons, polygons_geojson
from landsat_ops.option_checks import (
    DN_LEVELS,
    MIN_PREVIEW_SIZE,
    STRETCH_MODES,
    manual_ranges,
    parse_ranges,
    validate_percentiles,
    validate_preview_size,
    validate_range,
    validate_stretch,
)

__all__ = [
    "COMPOSITE_PRODUCTS",
    "COMPOSITE_STATS",
    "COMPRESSIONS",
    "DEFAULT_COMPRESSION",
    "RenderOptions",
    "NDVI_BANDS",
    "EXTENT_BANDS",
    "EXTENT_CLASSES",
    "extent_classes",
    "needed_bands",
    "ASSET_TITLES",
    "COG_MEDIA_TYPE",
    "COMPOSITES",
    "DEFAULT_PERCENTILES",
    "DEFAULT_PREVIEW_SIZE",
    "DEFAULT_PRODUCTS",
    "DEFAULT_STRETCH",
    "MIN_CLEAR_FRACTION",
    "NATURAL_CURVE",
    "NATURAL_PRODUCTS",
    "STRETCHES",
    "THUMBNAIL_FILE",
    "THUMBNAIL_KEY",
    "DN_LEVELS",
    "MIN_PREVIEW_SIZE",
    "NDVI_BINS",
    "NDVI_COLORMAP",
    "NDVI_RANGE",
    "OLI_BANDS",
    "ASSET_ROLES",
    "GRAPHIC_KEYS",
    "RENDERS",
    "STAC_EXTENSIONS",
    "THUMBNAIL_SIZE",
    "asset_roles",
    "product_bands",
    "PNG_MEDIA_TYPE",
    "PRODUCTS",
    "PRODUCT_FILES",
    "NDVI_VISUAL",
    "NDVI_VISUAL_FILE",
    "ndvi_level",
    "asset_key",
    "expected_asset_keys",
    "file_product",
    "item_name",
    "parse_products",
    "parse_ranges",
    "product_files",
    "validate_percentiles",
    "validate_preview_size",
    "validate_range",
    "validate_stretch",
]

PRODUCTS = ("truecolor", "falsecolor", "ndvi", "extent", "histograms")
"""Every product, in the order they are rendered and listed."""
DEFAULT_PRODUCTS = PRODUCTS
DEFAULT_PERCENTILES = (2.0, 98.0)
"""Each channel's stretch maps these percentiles of its valid pixels to 1..255."""
STRETCHES = STRETCH_MODES
"""Stretch modes of the colour composites (``--stretch``); ``--ranges`` replaces either.

``natural``: reflectance (top of atmosphere with the sun-elevation correction and a Rayleigh
haze offset for Level-1, surface reflectance for Level-2) through ONE tone curve for the three
channels (:data:`NATURAL_CURVE`, :mod:`landsat_ops.raster.tone`): a logarithmic shoulder
anchored on the scene's white point, so clouds, snow and ice keep their texture, then a mild
saturation that keeps each pixel's hue. ``linear``: the percentiles of every valid pixel map
linearly to 1..255 per channel (the renderer's only mode before issue 13)."""
DEFAULT_STRETCH = "natural"
NATURAL_PRODUCTS = ("truecolor",)
"""The composites the ``natural`` mode applies to; false colour (ice cyan, vegetation green)
keeps the linear stretch over all valid pixels."""
NATURAL_CURVE = {
    "type": "log",
    "white_percentile": 99.5,
    "anchor": 0.33,
    "anchor_all_valid": 0.45,
    "k_min": 1.0,
    "k_max": 300.0,
    "haze_cap": 1.0,
    "haze_percentile": 0.5,
    "saturation": [6, 5],
}
"""The fixed parameters of the ``natural`` tone curve (see :mod:`landsat_ops.raster.tone` and
docs/products.md): ``x = (reflectance - haze) / transmittance / white`` with ``white`` the mean of
the three channels' ``white_percentile`` of valid reflectance; ``y = log(1 + k x) / log(1 + k)``
with ``k`` (within ``k_min..k_max``) chosen so the median clear pixel lands on ``anchor`` (on
``anchor_all_valid`` when fewer than :data:`MIN_CLEAR_FRACTION` are clear); Level-1 haze: the
Rayleigh path reflectance, at most ``haze_cap`` x the channel's ``haze_percentile`` of valid
reflectance; then ``saturation`` (a fraction: 6/5) about each pixel's grey."""
MIN_CLEAR_FRACTION = 0.01
"""Below this share of clear pixels among the valid ones (an overcast scene, or no QA band)
the ``natural`` exposure is anchored on every valid pixel."""
COMPRESSIONS = ("zstd", "deflate")
"""COG compressions: ``zstd`` (default: 2-4x less CPU than DEFLATE at a similar size; GDAL
>= 2.3, QGIS, rio-tiler and geotiff.js read it) or ``deflate`` (the most widely readable)."""
DEFAULT_COMPRESSION = "zstd"
DEFAULT_PREVIEW_SIZE = 2048
"""Longest side of a PNG preview, in pixels (never upsampled)."""

COMPOSITES = {
    "truecolor": (4, 3, 2),  # red, green, blue
    "falsecolor": (7, 5, 1),  # SWIR2, NIR, coastal: ice and snow show cyan
}
"""Channels (R, G, B) of the two colour composites, as Landsat 8/9 OLI band numbers."""
NDVI_BANDS = (4, 5)
"""Red and NIR, the bands of the NDVI."""
EXTENT_BANDS = (3, 5, 6)
"""Green, NIR and SWIR1: the bands of the snow/ice and water classes (with the QA band; the
same tuple as :data:`landsat_ops.extent.classify.EXTENT_BANDS`)."""


def needed_bands(products: Iterable[str]) -> set[int]:
    """The OLI bands a render of ``products`` reads (the histogram sheet shows every composite
    channel; the extent's SWIR1 is B6). The pipeline lands these bands, plus the QA band and
    the MTL."""
    bands: set[int] = set()
    for product in products:
        if product in COMPOSITES:
            bands.update(COMPOSITES[product])
        elif product == "ndvi":
            bands.update(NDVI_BANDS)
        elif product == "extent":
            bands.update(EXTENT_BANDS)
        elif product == "histograms":
            for composite in COMPOSITES.values():
                bands.update(composite)
    return bands


NDVI_RANGE = (-1.0, 1.0)
NDVI_COLORMAP = "RdYlGn"
NDVI_BINS = 200

COMPOSITE_PRODUCTS = ("truecolor", "falsecolor", "ndvi")
"""What ``landsat-ops composite --products`` (and an area's ``composites.products``) may name;
a composite's reflectance and count COGs are always made (:mod:`landsat_ops.composite`)."""
COMPOSITE_STATS = ("median", "medoid")
"""Per-pixel statistics of a composite's clear observations (``--stat``)."""

NDVI_VISUAL = "ndvi_visual"
NDVI_VISUAL_FILE = f"{NDVI_VISUAL}.tif"
"""``<ID>_ndvi_visual.tif``: the NDVI as an 8-bit paletted COG (level 0 = no data, levels
1..255 = NDVI -1..1 by :func:`ndvi_level`, the :data:`NDVI_COLORMAP` table as its palette, entry 0
transparent). A float32 TIFF cannot carry a colour table, so the ``data`` COG opens grey (QGIS)
or transparent (titiler ``/cog`` without parameters); this one opens coloured in both."""
THUMBNAIL_FILE = "thumbnail.png"
THUMBNAIL_KEY = "thumbnail"
"""``<ID>_thumbnail.png``, the STAC asset ``thumbnail``: made with the ``truecolor`` product."""

PRODUCT_FILES = {
    "truecolor": ("truecolor.tif", "truecolor.png", THUMBNAIL_FILE),
    "falsecolor": ("falsecolor.tif", "falsecolor.png"),
    "ndvi": ("ndvi.tif", NDVI_VISUAL_FILE, "ndvi.png"),
    "extent": ("extent.tif", "extent.png"),
    "histograms": ("histograms.png",),
}
"""The files written per product, as ``<ID>_<tail>``, in the order they are listed."""


def ndvi_level(ndvi: float) -> int:
    """The palette level of an NDVI value in ``<ID>_ndvi_visual.tif``: ``128 + round(127 ndvi)``.

    -1 -> 1, 0 -> 128, 1 -> 255 (0 is no data); a level ``L`` stands for ``(L - 128) / 127``,
    within half a step (0.004) of the value. Rounding is half up, as in the kernel
    :func:`landsat_ops.raster.kernels.ndvi_levels`.
    """
    return min(255, max(1, math.floor(128.5 + 127.0 * ndvi)))


OLI_BANDS = {
    1: ("coastal", 0.44, 0.02),
    2: ("blue", 0.48, 0.06),
    3: ("green", 0.56, 0.06),
    4: ("red", 0.65, 0.04),
    5: ("nir08", 0.86, 0.03),
    6: ("swir16", 1.61, 0.09),
    7: ("swir22", 2.2, 0.19),
}
"""OLI band -> (STAC eo common name, centre wavelength and full width at half maximum in um)."""
THUMBNAIL_SIZE = 256
"""Longest side of the STAC ``thumbnail`` asset (a small PNG of the true colour preview)."""
ASSET_ROLES = {
    "tif": ["visual"],
    "ndvi_tif": ["data"],
    "ndvi_visual_tif": ["visual"],
    "extent_tif": ["data"],
    "png": ["overview"],
    "histograms_png": ["graphic"],
}
"""STAC best-practices roles: the 8-bit COGs are the display products (``visual``: the colour
composites and the paletted NDVI), the float32 NDVI COG and the extent's classes hold values
(``data``; the classes' palette also shows them coloured), previews are
``overview``, the histogram sheet is a chart (``graphic``: not the scene's picture); the small
PNG is ``thumbnail``."""
GRAPHIC_KEYS = ("histograms_png",)
"""Assets that are charts, not pictures of the scene: no projection fields."""

STAC_EXTENSIONS = {
    "file": "https://stac-extensions.github.io/file/v2.1.0/schema.json",
    "projection": "https://stac-extensions.github.io/projection/v2.0.0/schema.json",
    "eo": "https://stac-extensions.github.io/eo/v2.0.0/schema.json",
    "view": "https://stac-extensions.github.io/view/v1.0.0/schema.json",
    "render": "https://stac-extensions.github.io/render/v2.0.0/schema.json",
    "grid": "https://stac-extensions.github.io/grid/v1.1.0/schema.json",
    "landsat": "https://stac-extensions.github.io/landsat/v2.0.0/schema.json",
    "classification": "https://stac-extensions.github.io/classification/v1.1.0/schema.json",
    "raster": "https://stac-extensions.github.io/raster/v2.0.0/schema.json",
}
"""Every extension an item or a collection may declare (tests/stac_schemas holds each schema)."""

RENDERS = {
    "truecolor": {"title": "True colour (B4/B3/B2)", "assets": ["truecolor_tif"], "nodata": 0},
    "falsecolor": {
        "title": "False colour (B7/B5/B1: SWIR2/NIR/coastal)",
        "assets": ["falsecolor_tif"],
        "nodata": 0,
    },
    "ndvi": {
        "title": "NDVI (-1..1, RdYlGn)",
        "assets": ["ndvi_tif"],
        "nodata": "nan",
        "rescale": [[-1.0, 1.0]],
        "colormap_name": "rdylgn",
        "resampling": "average",
    },
}
"""The STAC render extension entry of each product: what a tiler (titiler ``/stac/renders``,
rio-tiler) needs to display the COG with no other parameter. ``colormap_name`` is rio-tiler's
name of matplotlib's ``RdYlGn`` (:data:`NDVI_COLORMAP`) and ``rescale`` is :data:`NDVI_RANGE`."""

COG_MEDIA_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
PNG_MEDIA_TYPE = "image/png"

ASSET_TITLES = {
    "truecolor_tif": "True colour (B4/B3/B2), 8-bit stretched COG",
    "truecolor_png": "True colour preview",
    "falsecolor_tif": "False colour (B7/B5/B1: SWIR2/NIR/coastal), 8-bit stretched COG",
    "falsecolor_png": "False colour preview",
    "ndvi_tif": "NDVI (float32 COG, -1..1, NaN = no data)",
    "ndvi_visual_tif": "NDVI (8-bit paletted COG, RdYlGn: opens coloured, 0 = no data)",
    "ndvi_png": "NDVI preview (RdYlGn, -1..1)",
    "extent_tif": "Snow/ice, water, other clear and not clear (8-bit paletted COG of classes)",
    "extent_png": "Snow/ice and water classes preview",
    "histograms_png": "Per-channel histograms with the stretch curve applied and its cut-offs",
    "thumbnail": "True colour thumbnail",
}
"""Human titles of the STAC assets, by asset key."""


def asset_roles(key: str) -> list[str]:
    """STAC roles of an asset key (``truecolor_tif`` -> ``["visual"]``); see :data:`ASSET_ROLES`."""
    if key == THUMBNAIL_KEY:
        return ["thumbnail"]
    return list(ASSET_ROLES.get(key) or ASSET_ROLES[key.rsplit("_", 1)[-1]])


def product_bands(product: str) -> list[dict]:
    """STAC 1.1 ``bands`` of a COG (``<ID>_<product>.tif``): name, description, eo common name,
    data type; ``product`` is ``truecolor``, ``falsecolor``, ``ndvi``, ``ndvi_visual`` or
    ``extent`` (its classes are the asset's ``classification:classes``,
    :func:`extent_classes`)."""
    if product == "extent":
        return [
            {
                "name": "extent",
                "description": "snow/ice and water classes of the clear pixels (palette): "
                + ", ".join(f"{value} = {name}" for value, name, *_ in EXTENT_CLASSES),
                "data_type": "uint8",
                "nodata": 0,
            }
        ]
    if product == NDVI_VISUAL:
        return [
            {
                "name": "ndvi",
                "description": "NDVI as palette levels (RdYlGn colour table): level L stands "
                "for NDVI (L - 128) / 127, 1..255 = -1..1, 0 = no data",
                "data_type": "uint8",
                "nodata": 0,
            }
        ]
    if product == "ndvi":
        return [
            {
                "name": "ndvi",
                "description": "NDVI (B5 - B4) / (B5 + B4) of reflectance, -1..1",
                "data_type": "float32",
                "nodata": "nan",
            }
        ]
    out = []
    for band in COMPOSITES[product]:
        common, centre, width = OLI_BANDS[band]
        out.append(
            {
                "name": f"B{band}",
                "description": f"OLI band {band} ({common}), stretched to 1..255 (0 = no data)",
                "eo:common_name": common,
                "eo:center_wavelength": centre,
                "eo:full_width_half_max": width,
                "data_type": "uint8",
                "nodata": 0,
            }
        )
    return out


def parse_products(products: Iterable[str] | str) -> tuple[str, ...]:
    """Validate a product list (a comma-separated string or names); order follows PRODUCTS."""
    names = (
        [p.strip() for p in products.split(",")] if isinstance(products, str) else list(products)
    )
    names = [n for n in names if n]
    unknown = sorted(set(names) - set(PRODUCTS))
    if unknown or not names:
        raise OptionError(
            f"products: unknown {', '.join(unknown) or '(none given)'} "
            f"(expected a comma-separated subset of {','.join(PRODUCTS)})"
        )
    return tuple(p for p in PRODUCTS if p in names)


def item_name(scene_id: str) -> str:
    """File name of a scene's STAC item (the manifest of its product set)."""
    return f"{scene_id}.json"


def _file_tails(product: str) -> tuple[str, ...]:
    """What follows ``<ID>_`` in the names of a product's files, in the order they are listed."""
    return PRODUCT_FILES[product]


def product_files(scene_id: str, products: Iterable[str] | str | None = None) -> list[str]:
    """File names a render of ``products`` writes (default: all); the STAC item comes last."""
    chosen = parse_products(products) if products is not None else PRODUCTS
    names = [f"{scene_id}_{tail}" for p in chosen for tail in _file_tails(p)]
    return [*names, item_name(scene_id)]


def file_product(file_name: str, scene_id: str) -> str:
    """The product a file belongs to: ``<ID>_thumbnail.png`` -> ``truecolor``."""
    tail = file_name[len(scene_id) + 1 :]
    for product in PRODUCTS:
        if tail in _file_tails(product):
            return product
    raise ValueError(f"{file_name}: not a product file of {scene_id}")


def asset_key(file_name: str, scene_id: str) -> str:
    """STAC asset key of a product file: ``<ID>_truecolor.tif`` -> ``truecolor_tif``,
    ``<ID>_thumbnail.png`` -> ``thumbnail``."""
    tail = file_name[len(scene_id) + 1 :]
    return THUMBNAIL_KEY if tail == THUMBNAIL_FILE else tail.replace(".", "_")


def expected_asset_keys(products: Iterable[str]) -> set[str]:
    """STAC asset keys a render of ``products`` writes (``truecolor_tif``, ..., ``thumbnail``)."""
    return {asset_key(f"X_{tail}", "X") for product in products for tail in _file_tails(product)}


@dataclass(frozen=True)
class RenderOptions:
    """The choices of one render, validated once (``landsat-ops render``'s options).

    Built from user input (the CLI's options, the render API's keywords); the values are
    checked and normalised here: ``products`` a tuple in :data:`PRODUCTS` order (a
    comma-separated string is accepted), ``percentiles`` two floats
    (:func:`validate_percentiles`), ``ranges`` ``None`` or three ``(low, high)`` DN ranges
    for R, G, B (``R0:R1,G0:G1,B0:B1`` accepted; they replace every stretch), ``stretch``
    one of :data:`STRETCHES`, ``preview_size`` at least :data:`MIN_PREVIEW_SIZE`,
    ``compression`` one of :data:`COMPRESSIONS`. ``polygons``: the named polygons whose
    snow/ice and water extent the ``extent`` product also reports (a GeoJSON
    FeatureCollection's text, or :class:`~landsat_ops.extent.polygons.NamedPolygon` s; a
    tuple of them), ``skip_outside``: a polygon with no pixel on the scene is left out
    instead of failing the render (an area of several path/rows). A bad value raises
    :class:`OptionError` naming it. The renderer and its item take the options as they are.
    """

    products: tuple[str, ...] = DEFAULT_PRODUCTS
    stretch: str = DEFAULT_STRETCH
    percentiles: tuple[float, float] = DEFAULT_PERCENTILES
    ranges: tuple[tuple[float, float], ...] | None = None
    preview_size: int = DEFAULT_PREVIEW_SIZE
    compression: str = DEFAULT_COMPRESSION
    polygons: tuple = ()
    skip_outside: bool = False

    def __post_init__(self) -> None:
        def normalise(name: str, value) -> None:
            object.__setattr__(self, name, value)  # frozen: set once, here

        normalise("products", parse_products(self.products))
        normalise("stretch", validate_stretch(self.stretch))
        normalise("percentiles", validate_percentiles(self.percentiles))
        if self.ranges is not None:
            normalise("ranges", tuple(manual_ranges(self.ranges)))
        normalise("preview_size", validate_preview_size(self.preview_size))
        if self.compression not in COMPRESSIONS:
            raise OptionError(
                f"compression must be one of {', '.join(COMPRESSIONS)}, got {self.compression!r}"
            )
        normalise("polygons", as_polygons(self.polygons))
        if self.polygons and "extent" not in self.products:
            raise OptionError(
                "polygons: only the extent product measures polygons (add extent to products)"
            )
        if not isinstance(self.skip_outside, bool):
            raise OptionError(f"skip_outside: expected true or false, got {self.skip_outside!r}")

    def cli_args(self, fields: Iterable[str] | None = None) -> list[str]:
        """The ``landsat-ops render`` options that make these choices: of ``fields`` (names
        of this class's fields; default: all), in the order of the fields, ``--ranges`` only
        when ranges are set. The CLI parses them back into equal options."""
        chosen = set(fields) if fields is not None else set(self.__dataclass_fields__)
        if unknown := chosen - set(self.__dataclass_fields__):
            raise ValueError(f"RenderOptions has no field {', '.join(sorted(unknown))}")
        values = {
            "products": ",".join(self.products),
            "stretch": self.stretch,
            "percentiles": "{:g},{:g}".format(*self.percentiles),
            "ranges": None
            if self.ranges is None
            else ",".join(f"{low:g}:{high:g}" for low, high in self.ranges),
            "preview_size": str(self.preview_size),
            "compression": self.compression,
            "polygons": polygons_geojson(self.polygons) if self.polygons else None,
        }
        args = [
            part
            for name, value in values.items()
            if name in chosen and value is not None
            for part in (f"--{name.replace('_', '-')}", value)
        ]
        return args + (["--skip-outside"] if "skip_outside" in chosen and self.skip_outside else [])
