"""How sources are read: :class:`SourceOptions` (set from configuration, never from the item)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_TIMEOUT", "SourceOptions"]

DEFAULT_TIMEOUT = (10.0, 120.0)
"""(connect, read) seconds for every source request."""


@dataclass
class SourceOptions:
    """How to read a scene's assets.

    Attributes
    ----------
    s3_client
        The boto3 S3 client for ``s3://`` sources, with the source's OWN credentials, region
        and endpoint (:func:`landsat_pipeline.sources.s3.source_client`); never the
        destination bucket's client. None: one from the standard AWS chain, made when needed.
    requester_pays
        Force ``RequestPayer=requester`` on (True) or off (False) for every S3 source; None
        (default) follows each asset's ``storage:requester_pays``.
    signing_url
        The Planetary Computer SAS token endpoint (default: the package's,
        ``https://planetarycomputer.microsoft.com/api/sas/v1/token``).
    blob_endpoint
        Read Azure blob hrefs (``https://<account>.blob.core.windows.net/<container>/<path>``)
        from ``<blob_endpoint>/<account>/<container>/<path>`` instead (an Azurite-style
        endpoint, e.g. a mirror or a local test server). None: the hrefs as they are.
    timeout
        (connect, read) seconds for every HTTP and S3 request.
    attempts
        Tries per href on connection errors and 5xx answers.
    """

    s3_client: Any | None = None
    requester_pays: bool | None = None
    signing_url: str | None = None
    blob_endpoint: str | None = None
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    attempts: int = 3
