"""Stand-in product sets for publishing tests and benchmarks: the files a render stages.

:func:`stage_product_set` writes ``staging/<ID>/`` as :func:`landsat_ops.render.render_scene`
leaves it (every product file of :func:`landsat_ops.products.product_files` and the STAC item
listing them with their sha256 multihash), with a few bytes per file instead of pixels, so
publishing, catalogs and galleries can be exercised at archive scale without rendering.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import landsat_ops
from landsat_ops.products import PRODUCTS, asset_key, item_name, product_files
from landsat_ops.storage import sha256_multihash

__all__ = ["stage_product_set"]


def stage_product_set(
    store,
    scene_id: str,
    date: str,
    *,
    payload: str = "v1",
    cloud_cover: float = 12.5,
    bbox: tuple[float, float, float, float] = (-25.0, 70.0, -21.0, 72.0),
    files: Mapping[str, bytes] | None = None,
) -> dict[str, Any]:
    """Stage a product set of ``scene_id`` acquired on ``date``; return its item.

    ``payload`` goes into every file's bytes (so two stagings differ); ``files`` replaces the
    bytes of chosen files (by file name), e.g. real PNGs where a page shows images.
    """
    assets = {}
    for name in product_files(scene_id, PRODUCTS)[:-1]:  # the item comes last
        data = (files or {}).get(name, f"{payload} {name}".encode())
        store.write_bytes(f"staging/{scene_id}/{name}", data)
        assets[asset_key(name, scene_id)] = {
            "href": f"./{name}",
            "file:checksum": sha256_multihash(hashlib.sha256(data).hexdigest()),
        }
    item = {
        "type": "Feature",
        "stac_version": "1.1.0",
        "id": scene_id,
        "bbox": list(bbox),
        "geometry": None,
        "properties": {
            "datetime": f"{date}T13:21:19Z",
            "eo:cloud_cover": cloud_cover,
            "landsat_ops:version": landsat_ops.__version__,
            "landsat_ops:stretch": {"truecolor": {"method": "percentile", "percentiles": [2, 98]}},
        },
        "assets": assets,
        "links": [],
    }
    store.write_bytes(f"staging/{scene_id}/{item_name(scene_id)}", json.dumps(item).encode())
    return item
