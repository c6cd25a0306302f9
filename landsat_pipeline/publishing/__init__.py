"""Publish a rendered scene: the switched item, STAC collection and catalog, gallery.

A render (local, ECS or EC2: ``landsat-ops render landing/<ID>/ --out published/PPP/RRR/DATE/``)
writes its products once, under a version folder of their own, and switches the scene's item
``published/<PPP>/<RRR>/<YYYY-MM-DD>/<ID>.json`` to it with one conditional write (see
:mod:`landsat_ops.render.destination`): nothing is copied afterwards. Publishing then

1. checks the set the item names (every asset in its one version folder, each matching its
   ``file:checksum``: :func:`landsat_ops.render.destination.set_problems`, the one product-set
   check of the project);
2. switches the item once more, conditionally, to the same version with its links to its
   collection and the root catalog (written only when they are missing: a re-run writes
   nothing);
3. adds the item to the path/row's ``collection.json`` (replacing its earlier entry, never
   duplicating it), the collection to the root ``catalog.json``, and refreshes the gallery:
   ``index.html`` at the bucket root (one card per path/row), the path/row's ``index.html``
   (its newest scenes) and its page of the scene's year. Each is written only when its
   content changed: a re-run changes no object.

A reader sees, at every instant, an item and the complete set of one version. The cost of
step 3 does not grow with the archive: nothing is listed, and only those few documents are
read and written. The collection and the catalog are updated with
:meth:`~landsat_ops.storage.Store.update` (a file lock on a folder, conditional writes on S3),
so publishers of different scenes, DAGs or deployments never drop each other's entries.

Modules: :mod:`.scene` (:func:`publish_scene`, the set check), :mod:`.catalogs` (the STAC
collection and catalog, :func:`update_catalogs`), :mod:`.gallery` (the HTML pages) and
:mod:`.documents` (the bucket's JSON documents, written only when changed).
"""

from landsat_pipeline.publishing.catalogs import (
    ITEM_ASSETS,
    STAC_VERSION,
    collection_id,
    scene_date,
    update_catalogs,
)
from landsat_pipeline.publishing.documents import write_if_changed
from landsat_pipeline.publishing.gallery import gallery_html, path_row_pages
from landsat_pipeline.publishing.scene import product_set_problem, publish_scene, published_status

__all__ = [
    "ITEM_ASSETS",
    "STAC_VERSION",
    "collection_id",
    "gallery_html",
    "path_row_pages",
    "product_set_problem",
    "publish_scene",
    "published_status",
    "scene_date",
    "update_catalogs",
    "write_if_changed",
]
