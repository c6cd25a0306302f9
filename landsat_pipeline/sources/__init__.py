"""Read a scene's assets from where the catalog says they are, and check them before landing.

* :mod:`.options`: :class:`SourceOptions`, how sources are read (the source's own S3 client,
  requester-pays, the Planetary Computer signing endpoint), and :class:`SourcePolicy`, which
  hrefs of a catalog may be read at all (schemes, hosts, buckets, the static catalog's own
  folder); both set by configuration only.
* :mod:`.fetch`: :func:`fetch_asset` tries an asset's hrefs in order (its own, then its
  ``alternate`` hrefs), each checked against the policy before anything is read, and returns
  the first download that passes the checks.
* :mod:`.s3`, :mod:`.http`, :mod:`.planetary`: one module per kind of href (http redirects
  checked before they are followed).
* :mod:`.checks`: what a downloaded file must be (TIFF or MTL content, size, checksum).
* :mod:`.errors`: :class:`SourceError`, one line naming the asset, the href and what was
  expected; :class:`SourceRefused`, an href (or redirect) the policy refuses.
"""

from landsat_pipeline.sources.errors import SourceError, SourceRefused
from landsat_pipeline.sources.fetch import FetchedAsset, fetch_asset
from landsat_pipeline.sources.options import SourceOptions, SourcePolicy

__all__ = [
    "FetchedAsset",
    "SourceError",
    "SourceOptions",
    "SourcePolicy",
    "SourceRefused",
    "fetch_asset",
]
