"""``http(s)://`` sources: bounded timeouts, retries on 429/5xx, login pages recognised.

A USGS LandsatLook href without a session answers with a redirect to a login page (an HTML
page where a TIFF or an MTL is expected): that is a :class:`SourceError` naming the asset and
the login URL, never a landed file. Hrefs are shown without their query strings (signed URLs
carry their tokens there).
"""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

from landsat_pipeline.sources.errors import SourceError, redact
from landsat_pipeline.sources.options import DEFAULT_TIMEOUT

__all__ = ["RETRY_AFTER_MAX", "download_http"]

RETRY_AFTER_MAX = 60.0
"""Longest ``Retry-After`` wait honoured, seconds."""
_RETRY = (429, 500, 502, 503, 504)
_CHUNK = 8 * 1024 * 1024
_LOGIN_WORDS = ("login", "signin", "sign-in", "ers.cr.usgs.gov", "auth")


class _RedactSignatures(logging.Filter):
    """Hide SAS signatures and tokens in urllib3's debug lines (they quote the request URL)."""

    _SECRET = re.compile(r"((?:sig|token|X-Amz-Signature|X-Amz-Security-Token)=)[^&\s\"]+", re.I)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._SECRET.sub(r"\1REDACTED", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactSignatures())


def _wait(response, attempt: int) -> float:
    header = response.headers.get("Retry-After") if response is not None else None
    if header and header.strip().isdigit():
        return min(float(header), RETRY_AFTER_MAX)
    return min(2.0**attempt, RETRY_AFTER_MAX)


def download_http(
    url: str,
    target: Path,
    *,
    asset: str,
    shown: str | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    attempts: int = 3,
) -> int | None:
    """Download ``url`` to ``target``; returns the ``Content-Length`` (None when not sent).

    ``shown`` is the href to name in errors (the unsigned one); default ``url`` redacted.
    """
    import requests

    shown = redact(shown or url)
    partial = target.with_name(f".{target.name}.partial")
    for attempt in range(1, attempts + 1):
        response = None
        try:
            with requests.get(url, stream=True, timeout=timeout) as response:
                final = response.url or url
                if response.history and any(w in final.lower() for w in _LOGIN_WORDS):
                    raise SourceError(
                        asset,
                        shown,
                        f"redirected to a login page ({redact(final)})",
                        "the file without a login: use the asset's s3 alternate",
                    )
                if response.status_code in _RETRY and attempt < attempts:
                    time.sleep(_wait(response, attempt))
                    continue
                if response.status_code != 200:
                    status = f"HTTP {response.status_code} {response.reason or ''}".strip()
                    raise SourceError(asset, shown, f"download failed ({status})", "HTTP 200")
                length = response.headers.get("Content-Length")
                with open(partial, "wb") as fh:
                    for block in response.iter_content(_CHUNK):
                        fh.write(block)
            os.replace(partial, target)
            return int(length) if length and length.isdigit() else None
        except requests.RequestException as exc:
            partial.unlink(missing_ok=True)
            if attempt == attempts:
                detail = type(exc).__name__
                raise SourceError(asset, shown, f"download failed ({detail})", "HTTP 200") from None
            time.sleep(_wait(None, attempt))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    raise AssertionError("unreachable")
