"""The error of an unreadable or unexpected source file."""

from __future__ import annotations

from urllib.parse import urlparse

from landsat_pipeline.errors import LandingError

__all__ = ["SourceError", "redact"]


class SourceError(LandingError):
    """An asset cannot be read from an href, or is not what was expected.

    The message is one line: ``asset <key>: <href>: <what happened> (expected <what>)``; the
    href never carries its query string (signed URLs hold tokens there).
    """

    def __init__(self, asset: str, href: str, problem: str, expected: str):
        self.asset, self.href, self.problem, self.expected = asset, redact(href), problem, expected
        super().__init__(f"asset {asset}: {self.href}: {problem} (expected {expected})")


def redact(href: str) -> str:
    """The href without query string and fragment."""
    if "://" not in href:
        return href
    return urlparse(href)._replace(query="", fragment="").geturl()
