"""Planetary Computer sources: Azure blob hrefs signed with a SAS token at download time.

The token comes from the signing endpoint (the ``planetary-computer`` package's default, or
:attr:`SourceOptions.signing_url`), requested with a bounded timeout and cached by the package
until shortly before it expires. A signed URL lives only inside the download: it is never
returned, logged, put in XCom or written to the item.
"""

from __future__ import annotations

from urllib.parse import urlparse

from landsat_pipeline.sources.errors import SourceError

__all__ = ["BLOB_STORAGE_DOMAIN", "is_blob", "local_blob_url", "sign"]

BLOB_STORAGE_DOMAIN = ".blob.core.windows.net"
"""Hosts of Azure blob storage (``planetary_computer.sas.BLOB_STORAGE_DOMAIN``)."""


def is_blob(href: str) -> bool:
    """True for an Azure blob storage URL (what Planetary Computer assets are)."""
    return urlparse(href).netloc.lower().endswith(BLOB_STORAGE_DOMAIN)


def sign(href: str, *, asset: str, signing_url: str | None, timeout: tuple[float, float]) -> str:
    """``href`` with a SAS token appended (the token from ``signing_url``)."""
    import requests
    from planetary_computer.sas import TOKEN_CACHE, SASToken, parse_blob_url
    from planetary_computer.settings import Settings

    settings = Settings.get()
    endpoint = (signing_url or settings.sas_url).rstrip("/")
    account, container = parse_blob_url(urlparse(href))
    request_url = f"{endpoint}/{account}/{container}"
    token = TOKEN_CACHE.get(request_url)
    if token is None or token.ttl() < 60:
        headers = {}
        if settings.subscription_key:
            headers["Ocp-Apim-Subscription-Key"] = settings.subscription_key
        try:
            response = requests.get(request_url, headers=headers, timeout=timeout)
            response.raise_for_status()
            token = SASToken(**response.json())
        except (requests.RequestException, ValueError, TypeError) as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            detail = f"HTTP {status}" if status else type(exc).__name__
            raise SourceError(
                asset,
                href,
                f"no SAS token from {request_url} ({detail})",
                "a Planetary Computer signing endpoint answering a token",
            ) from None
        TOKEN_CACHE[request_url] = token
    return token.sign(href).href


def local_blob_url(href: str, blob_endpoint: str) -> str:
    """``https://<account>.blob.core.windows.net/<container>/<path>?q`` read from
    ``<blob_endpoint>/<account>/<container>/<path>?q`` (Azurite-style path addressing)."""
    parsed = urlparse(href)
    account = parsed.netloc.split(".", 1)[0]
    query = f"?{parsed.query}" if parsed.query else ""
    return f"{blob_endpoint.rstrip('/')}/{account}{parsed.path}{query}"
