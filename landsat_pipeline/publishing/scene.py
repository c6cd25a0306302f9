"""Publish one rendered scene: check the set its item names, link the item, update catalogs."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from landsat_ops.products import expected_asset_keys, item_name
from landsat_ops.render.destination import (
    asset_hrefs,
    item_folder,
    read_item,
    set_problems,
    switch_item,
)
from landsat_pipeline.errors import PublishError
from landsat_pipeline.keys import published_prefix
from landsat_pipeline.publishing.catalogs import collection_id, published_item, update_catalogs
from landsat_pipeline.publishing.documents import read_json
from landsat_pipeline.xcom import PublishedScene, Scene

log = logging.getLogger(__name__)


def published_status(
    store,
    scene: Mapping[str, Any],
    *,
    products: Iterable[str],
    percentiles: tuple[float, float],
) -> tuple[bool, str]:
    """Whether the scene's published set is complete and what this config would render.

    Returns ``(True, why)`` when the published item exists, lists exactly the products asked
    for, was made by this landsat_ops version with these percentiles, and every product
    matches its checksum; else ``(False, why)``.
    """
    import landsat_ops

    prefix = published_prefix(scene["path"], scene["row"], scene["date"])
    item_key = f"{prefix}/{item_name(scene['scene_id'])}"
    try:
        item = read_json(store, item_key)
    except PublishError as exc:
        return False, str(exc)
    problem = product_set_problem(store, item_key, products, item)
    if problem:
        return False, problem
    properties = item.get("properties") or {}
    version = properties.get("landsat_ops:version")
    if version != landsat_ops.__version__:
        return False, f"published by landsat_ops {version}, this is {landsat_ops.__version__}"
    for name, stretch in (properties.get("landsat_ops:stretch") or {}).items():
        if stretch.get("method") == "percentile" and stretch.get("percentiles") != list(
            percentiles
        ):
            return False, f"{name} was stretched to percentiles {stretch.get('percentiles')}"
    count = len(item.get("assets") or {})
    return True, f"{store.uri(item_key)} and its {count} products are complete"


def product_set_problem(
    store, item_key: str, products: Iterable[str] | None = None, item: dict | None = None
) -> str | None:
    """What is wrong with the set the item ``item_key`` names; None when it is complete.

    Complete: the item exists, lists exactly the assets of ``products`` (default: any), all
    in its one version folder and each matching its ``file:checksum``. The one product-set
    check of the pipeline: the scenes DAG, the publish task and the EC2 render wait use it.
    ``item`` is the item's content when the caller has read it already.
    """
    if item is None:
        try:
            item = read_json(store, item_key)
        except PublishError as exc:  # a damaged item is a problem of the set, not an error
            return str(exc)
    if item is None:
        return f"{store.uri(item_key)} does not exist"
    if not isinstance(item, Mapping):
        return f"{store.uri(item_key)} is not a STAC item"
    if products is not None:
        have = set((item.get("assets") or {}).keys())
        want = expected_asset_keys(products)
        if have != want:
            return f"published products {sorted(have)} differ from {sorted(want)}"
    problems = set_problems(store, item_key, item)
    if problems:
        return f"{store.uri(item_key)}: {'; '.join(problems)}"
    return None


def publish_scene(store, scene: Scene | Mapping[str, Any], *, title: str) -> PublishedScene:
    """Check the scene's switched item and its set, link it, refresh the catalog and gallery.

    Parameters
    ----------
    store
        The bucket.
    scene
        The discover task's XCom (``scene_id``, ``path``, ``row``, ``date``).
    title
        The area's title, for the collection and the gallery.

    Returns
    -------
    dict
        URIs of the item, collection, catalog and gallery; the version folder the item names;
        ``copied`` (the item, when it was switched to add its links) and ``unchanged``.
    """
    scene_id, path, row = scene["scene_id"], scene["path"], scene["row"]
    prefix = published_prefix(path, row, scene["date"])
    item_key = f"{prefix}/{item_name(scene_id)}"
    item, token, current_sha = read_item(store, item_key)  # one read: content and token agree
    if item is None:
        raise PublishError(f"{store.uri(item_key)} does not exist: the render published nothing")
    problem = product_set_problem(store, item_key, item=item)
    if problem:
        raise PublishError(f"the product set is incomplete: {problem} (run with force_render)")
    folder = item_folder(item, scene_id) or ""
    document = published_item(item, collection_id(path, row))
    switched = switch_item(store, item_key, document, token, current_sha=current_sha)
    names = [href.rpartition("/")[2] for href, _, _ in asset_hrefs(item).values()]
    log.info(
        "%s: %s names version %s, complete (%d products)%s",
        scene_id,
        store.uri(item_key),
        folder,
        len(names),
        "; linked to its collection" if switched else "",
    )
    uris = update_catalogs(store, path, row, title=title, item=document, date=scene["date"])
    return {
        "item_uri": store.uri(item_key),
        **uris,
        "version": folder,
        "copied": [item_name(scene_id)] if switched else [],
        "unchanged": names if switched else [*names, item_name(scene_id)],
    }
