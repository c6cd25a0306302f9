"""The errors of an unreadable, unexpected or refused source file."""

from __future__ import annotations

from urllib.parse import urlparse

from landsat_pipeline.errors import LandingError

__all__ = ["SourceError", "SourceRefused", "first_line", "printable", "redact"]

_SHOWN_MAX = 300


class SourceError(LandingError):
    """An asset cannot be read from an href, or is not what was expected.

    The message is one line: ``asset <key>: <href>: <what happened> (expected <what>)``; the
    href never carries its query string (signed URLs hold tokens there), and control
    characters of the catalog's text are escaped.
    """

    def __init__(self, asset: str, href: str, problem: str, expected: str):
        self.asset, self.href = printable(asset, 80), printable(redact(href))
        self.problem, self.expected = printable(problem), printable(expected)
        line = f"asset {self.asset}: {self.href}: {self.problem} (expected {self.expected})"
        super().__init__(line)


class SourceRefused(SourceError):
    """The catalog's source policy refuses an href (or a redirect): nothing was read from it.

    A retry cannot change that: fix the catalog, or the policy in the config.
    """

    @classmethod
    def because(cls, asset: str, href: str, reason: str) -> SourceRefused:
        """The refusal of ``href`` for ``reason``."""
        return cls(
            asset,
            href,
            f"refused by the source policy: {reason}",
            "an href the catalog's source policy allows (docs/sources.md)",
        )


def redact(href: str) -> str:
    """The href without query string and fragment."""
    if not isinstance(href, str):
        return repr(href)
    if "://" not in href:
        return href
    try:
        return urlparse(href)._replace(query="", fragment="").geturl()
    except ValueError:
        return href.split("?", 1)[0].split("#", 1)[0]


def printable(text: object, limit: int = _SHOWN_MAX) -> str:
    """``text`` on one line: control characters escaped, at most ``limit`` characters."""
    text = str(text)
    if any(ord(c) < 32 or 127 <= ord(c) < 160 or c in "\u2028\u2029" for c in text):
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def first_line(exc: BaseException) -> str:
    """The first line of an exception message (its type when empty), at most 200 characters."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
