"""The classes of the ``extent`` product's ``<ID>_extent.tif``: values, names, colours.

Pure Python (the product registry, :mod:`landsat_ops.products`, imports it at DAG parse time).
The values are :data:`landsat_ops.extent.classify.CLASSES`' codes, which the compiled kernel
writes.
"""

from __future__ import annotations

__all__ = ["EXTENT_CLASSES", "extent_classes", "extent_palette"]

EXTENT_CLASSES = (
    (0, "no_data", "no data (fill: outside the footprint or a band's DN 0)", (0, 0, 0, 0)),
    (
        1,
        "clear_other",
        "clear, neither snow/ice nor water (rock, vegetation, soil)",
        (176, 152, 112, 255),
    ),
    (2, "snow_ice", "snow and ice (NDSI > 0.4, NIR > 0.11, green > 0.10)", (170, 230, 255, 255)),
    (3, "water", "open water (MNDWI > 0, NIR <= 0.11)", (20, 70, 170, 255)),
    (
        4,
        "not_clear",
        "not clear: cloud, dilated cloud or cloud shadow (QA band)",
        (96, 96, 96, 255),
    ),
)
"""``(value, name, description, RGBA)`` of each class of ``<ID>_extent.tif``, an 8-bit
paletted COG of :func:`landsat_ops.extent.classify.classify_strip`'s codes (0 = no data,
transparent). Cirrus counts as clear (docs/extent.md)."""


def extent_classes() -> list[dict]:
    """The classification extension's ``classification:classes`` of ``<ID>_extent.tif``:
    value, name, description, colour (``RRGGBB``); no data is marked ``nodata``."""
    out = []
    for value, name, description, rgba in EXTENT_CLASSES:
        entry = {
            "value": value,
            "name": name,
            "description": description,
            "color_hint": "".join(f"{c:02X}" for c in rgba[:3]),
        }
        if value == 0:
            entry["nodata"] = True
        out.append(entry)
    return out


def extent_palette() -> list[tuple[int, int, int, int]]:
    """The 256 RGBA entries of the paletted COG's colour table (unused levels transparent)."""
    table = [(0, 0, 0, 0)] * 256
    for value, _, _, rgba in EXTENT_CLASSES:
        table[value] = rgba
    return table
