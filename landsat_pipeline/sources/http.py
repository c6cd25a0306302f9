"""``http(s)://`` sources: bounded timeouts, retries on 429/5xx, redirects checked before
they are followed, login pages recognised.

Redirects are followed one by one, each target checked BEFORE connecting to it
(:func:`guarded_session`): the same origin is always allowed, anything else only when the
catalog's :class:`~landsat_pipeline.sources.options.SourcePolicy` allows it (the instance
metadata address ``169.254.169.254`` never, unless listed as it is). A USGS LandsatLook href
without a session answers with a redirect to a login page: that is a :class:`SourceError`
naming the asset and the login URL, and the page is not fetched. A silent endpoint (accepts,
never answers) fails an href within :data:`~landsat_pipeline.sources.options.SILENT_DEADLINE`
seconds. Hrefs are shown without their query strings (signed URLs carry their tokens there).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from landsat_pipeline.sources.errors import SourceError, SourceRefused, redact
from landsat_pipeline.sources.options import (
    DEFAULT_TIMEOUT,
    SILENT_DEADLINE,
    SourcePolicy,
    redirect_refusal,
)

__all__ = ["MAX_REDIRECTS", "RETRY_AFTER_MAX", "RefusedURL", "guarded_session", "download_http"]

RETRY_AFTER_MAX = 60.0
"""Longest ``Retry-After`` wait honoured, seconds."""
MAX_REDIRECTS = 5
"""Redirects followed per request."""
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


def _requests():
    import requests

    return requests


class RefusedURL(Exception):
    """A URL a :func:`guarded_session` would not connect to: ``url`` and ``reason``."""

    def __init__(self, url: str, reason: str, *, login: bool = False):
        self.url, self.reason, self.login = url, reason, login
        super().__init__(f"{redact(url)}: {reason}")


def guarded_session(check: Callable[[str, str | None], str | None]):
    """A ``requests.Session`` that asks ``check(url, origin)`` before EVERY connection.

    ``origin`` is None for a request as asked and the URL first asked for each redirect hop
    of it; a non-None answer is the reason to refuse: :class:`RefusedURL` is raised before
    anything is sent to that URL. The URL checked is the prepared one, exactly what
    urllib3 connects to. At most :data:`MAX_REDIRECTS` hops.
    """
    requests = _requests()

    class _Guarded(requests.Session):
        def __init__(self):
            super().__init__()
            self.max_redirects = MAX_REDIRECTS
            self._origin: str | None = None

        def send(self, request, **kwargs):
            hop = kwargs.get("allow_redirects", True) is False and self._origin is not None
            origin = self._origin if hop else None
            reason = check(request.url, origin)
            if reason is not None:
                raise RefusedURL(request.url, reason)
            if not hop:
                self._origin = request.url
            return super().send(request, **kwargs)

    return _Guarded()


def _download_check(policy: SourcePolicy | None) -> Callable[[str, str | None], str | None]:
    def check(url: str, origin: str | None) -> str | None:
        if origin is None:
            return None  # the href itself: checked by the caller against the policy
        if any(word in url.lower() for word in _LOGIN_WORDS):
            raise RefusedURL(url, "redirected to a login page", login=True)
        return redirect_refusal(policy, origin, url)

    return check


def _timed_out(exc: BaseException) -> bool:
    """A connect/read timeout, also one that stalled a body mid-way (requests wraps that
    one in a ConnectionError)."""
    from urllib3.exceptions import TimeoutError as Urllib3Timeout

    requests = _requests()
    return isinstance(exc, requests.Timeout) or any(
        isinstance(arg, Urllib3Timeout) for arg in getattr(exc, "args", ())
    )


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
    policy: SourcePolicy | None = None,
    silent_deadline: float = SILENT_DEADLINE,
) -> int | None:
    """Download ``url`` to ``target``; returns the ``Content-Length`` (None when not sent).

    ``shown`` is the href to name in errors (the unsigned one); default ``url`` redacted.
    ``url`` itself must already be allowed (:meth:`SourcePolicy.refusal`); every redirect is
    checked against ``policy`` before it is followed (:func:`redirect_refusal`). Timeouts
    are retried only while the href has been silent less than ``silent_deadline`` seconds.
    """
    requests = _requests()
    shown = redact(shown or url)
    partial = target.with_name(f".{target.name}.partial")
    started = time.monotonic()
    for attempt in range(1, attempts + 1):
        response = None
        try:
            with guarded_session(_download_check(policy)) as session:
                with session.get(url, stream=True, timeout=timeout) as response:
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
        except RefusedURL as exc:
            partial.unlink(missing_ok=True)
            if exc.login:
                raise SourceError(
                    asset,
                    shown,
                    f"redirected to a login page ({redact(exc.url)})",
                    "the file without a login: use the asset's s3 alternate",
                ) from None
            raise SourceRefused.because(asset, shown, exc.reason) from None
        except requests.TooManyRedirects:
            partial.unlink(missing_ok=True)
            raise SourceError(
                asset, shown, f"more than {MAX_REDIRECTS} redirects", "HTTP 200"
            ) from None
        except requests.RequestException as exc:
            partial.unlink(missing_ok=True)
            silent = _timed_out(exc)
            waited = time.monotonic() - started
            next_try = waited + _wait(None, attempt) + (timeout[1] if silent else 0.0)
            if attempt == attempts or (silent and next_try > silent_deadline):
                detail = type(exc).__name__
                if silent:
                    detail = (
                        f"{detail}: nothing received for {timeout[1]:g} s; "
                        f"{attempt} tries in {waited:.0f} s"
                    )
                raise SourceError(asset, shown, f"download failed ({detail})", "HTTP 200") from None
            time.sleep(_wait(None, attempt))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    raise AssertionError("unreachable")
