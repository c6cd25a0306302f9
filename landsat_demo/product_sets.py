"""Stand-in product sets for publishing tests and benchmarks: what a render publishes.

:func:`publish_product_set` publishes a product set the way :func:`landsat_ops.render.render_scene`
does with ``--out published/<PPP>/<RRR>/<DATE>/``: every product file of
:func:`landsat_ops.products.product_files` and the version's item listing them with their
sha256 multihash, written once under ``published/<PPP>/<RRR>/<DATE>/<ID>/<version>/``, then the
scene's item ``published/<PPP>/<RRR>/<DATE>/<ID>.json`` switched to that version
(:func:`landsat_ops.render.destination.publish_version`). Each file holds a few bytes instead of
pixels, so publishing, catalogs and galleries can be exercised at archive scale without
rendering.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import landsat_ops
from landsat_ops.products import PRODUCTS, asset_key, product_files
from landsat_ops.render.destination import publish_version
from landsat_ops.scene.ids import parse_scene_id
from landsat_ops.storage import open_store, sha256_multihash
from landsat_pipeline.keys import published_prefix

__all__ = ["publish_product_set", "stage_product_set"]


def publish_product_set(
    store,
    scene_id: str,
    date: str,
    *,
    payload: str = "v1",
    cloud_cover: float = 12.5,
    bbox: tuple[float, float, float, float] = (-25.0, 70.0, -21.0, 72.0),
    files: Mapping[str, bytes] | None = None,
    products: Iterable[str] = PRODUCTS,
    percentiles: tuple[float, float] = (2, 98),
) -> dict[str, Any]:
    """Publish a product set of ``scene_id`` acquired on ``date`` as a render does.

    ``payload`` goes into every file's bytes (so two renders differ: two versions); ``files``
    replaces the bytes of chosen files (by file name), e.g. real PNGs where a page shows
    images. Returns the version's item (hrefs ``./<file>``); the scene's item names the version
    (:func:`landsat_ops.render.destination.current_folder` for a local bucket). The same call
    twice writes nothing, as the same render twice does.
    """
    parsed = parse_scene_id(scene_id)
    prefix = published_prefix(parsed.path, parsed.row, date)
    dest = open_store(store.uri(prefix), getattr(store, "client", None))
    assets = {}
    with tempfile.TemporaryDirectory(prefix="product-set-") as tmp:
        paths = []
        for name in product_files(scene_id, products)[:-1]:  # the item comes last
            data = (files or {}).get(name, f"{payload} {name}".encode())
            path = Path(tmp) / name
            path.write_bytes(data)
            paths.append(path)
            assets[asset_key(name, scene_id)] = {
                "href": f"./{name}",
                "file:checksum": sha256_multihash(hashlib.sha256(data).hexdigest()),
                "file:size": len(data),
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
                "landsat_ops:stretch": {
                    "truecolor": {"method": "percentile", "percentiles": list(percentiles)}
                },
            },
            "assets": assets,
            "links": [],
        }
        publish_version(dest, paths, json.loads(json.dumps(item)), scene_id=scene_id)
    return item


stage_product_set = publish_product_set
"""The name of :func:`publish_product_set` before products were published in versions."""
