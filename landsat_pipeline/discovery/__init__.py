"""Find the Landsat scenes of a WRS-2 path/row in a STAC API or a local static STAC catalog.

One function, :func:`discover`, for both kinds of catalog:

* an ``http(s)://`` URL is a **STAC API** root. It is searched with pystac-client (item search,
  all pages, following ``next`` links, POST bodies and tokens included). Requests that fail
  with a connection error or a 429/5xx status are retried ``max_retries`` times with
  exponential backoff (:data:`RETRY_BACKOFF`); a ``Retry-After`` on 429/503 is honoured up to
  :data:`RETRY_AFTER_MAX` seconds, so the time spent stays bounded. The search sends
  ``intersects`` when given (the path/row's centre point is enough) and asks for ``limit``
  items per page. When the API advertises the STAC ``query`` extension, the path/row and
  the cloud limit are also sent to the server; if it rejects them (HTTP 4xx), the search is
  repeated without them.
* anything else (a path, a folder holding ``catalog.json``, or a ``file://`` URL) is a
  **static catalog**, walked with pystac.

Whatever the server did, every item is filtered again here, because APIs differ in what they
understand:

* path/row from ``landsat:wrs_path``/``landsat:wrs_row`` (strings or integers, zero-padded
  or not), the older ``landsat:path``/``landsat:row`` or ``eo:column``/``eo:row``, else from
  the scene ID;
* platform from ``platform`` or ``eo:platform``, compared case- and separator-insensitively
  (``"LANDSAT_8"`` is ``"landsat-8"``), else from the scene ID prefix (``LC08``, ``LC8``);
* collection, when one is asked for and the item names its own;
* acquisition time in ``[start, end)``;
* cloud cover from ``eo:cloud_cover``, at most ``max_cloud`` percent. An unknown cover
  (missing, or -1 as in old sat-api items) **passes** the cloud limit: the scene is kept and
  its :attr:`DiscoveredScene.cloud_cover` is None, so callers can decide. (An API applying
  the ``query`` extension keeps -1 too, but drops items that lack ``eo:cloud_cover``.)

**Scene identity.** :attr:`DiscoveredScene.scene_id` is the canonical product ID, with its
processing date (``LC08_L2SP_008059_20191201_20200825_02_T1``), read from the asset file names
(:func:`canonical_scene_id`), whatever the item id looks like: Earth Search and Planetary
Computer drop the processing date, LandsatLook adds ``_SR``/``_ST``. The item id is kept as
:attr:`DiscoveredScene.item_id`.

Asset keys of the different providers are normalised to ``B1``..``B7``, ``QA`` and ``MTL``
(see :data:`ASSET_ALIASES`) and hrefs are made absolute: relative ones against the URL (or
file) the item was READ from, never against a ``self`` link the item declares (a remote item
could otherwise rebase them onto ``file://``). :func:`asset_sources` keeps, per asset, every
href it can be read from (its own and its ``alternate`` hrefs; ``s3://`` ones first, as
LandsatLook's https hrefs need a USGS login), ``storage:requester_pays``, ``file:checksum``
and ``file:size``. Which of them may be READ is the source policy's business, at landing
(:class:`landsat_pipeline.sources.options.SourcePolicy`).
pystac-client is imported only when an API is searched: the render container has pystac but
not pystac-client.

**What cannot be read is skipped.** A malformed item (not a JSON object, no id, no
datetime, ``properties`` or ``assets`` not objects...) is logged in one line naming it and
skipped; the other items of the page are still used. An item whose id (or product ID) could
not name a key safely (``..``, ``/``, ...) is refused in one line and skipped (a retry would
change nothing). A STAC API is only ever asked at its own host: a ``next`` link or a redirect
elsewhere (e.g. the instance metadata address) is refused before connecting, a
:class:`~landsat_pipeline.errors.DiscoveryError`.

When a day has several scenes, :func:`pick_scene` chooses one; :func:`scene_to_xcom` is what
the ``discover`` task passes on (:class:`~landsat_pipeline.xcom.Scene`).

Modules: :mod:`.search` (:func:`discover`), :mod:`.api` (a STAC API search), :mod:`.static`
(a static catalog), :mod:`.items` (one item read), :mod:`.assets` (asset keys and hrefs),
:mod:`.selection` (the scene of a day, its XCom value).
"""

from landsat_pipeline.discovery.api import (
    DEFAULT_PAGE_LIMIT,
    RETRY_AFTER_MAX,
    RETRY_BACKOFF,
    RETRY_STATUSES,
)
from landsat_pipeline.discovery.assets import ASSET_ALIASES, asset_sources, normalize_assets
from landsat_pipeline.discovery.items import DiscoveredScene, canonical_scene_id
from landsat_pipeline.discovery.search import discover, path_row_point
from landsat_pipeline.discovery.selection import pick_scene, scene_to_xcom

__all__ = [
    "path_row_point",
    "ASSET_ALIASES",
    "DEFAULT_PAGE_LIMIT",
    "RETRY_AFTER_MAX",
    "RETRY_BACKOFF",
    "RETRY_STATUSES",
    "DiscoveredScene",
    "asset_sources",
    "canonical_scene_id",
    "discover",
    "normalize_assets",
    "pick_scene",
    "scene_to_xcom",
]
