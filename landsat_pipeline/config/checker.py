"""Type checks of the config file's values that raise ConfigError naming the file and the key."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from landsat_pipeline.errors import ConfigError

__all__ = ["Checker"]


class Checker:
    """Type checks that raise ConfigError naming the file and the key."""

    def __init__(self, source: Path):
        self.source = source

    def error(self, key: str, problem: str, expected: str) -> ConfigError:
        where = f"{self.source}: {key}" if key else str(self.source)
        return ConfigError(f"{where} {problem} (expected {expected})")

    def mapping(
        self,
        value: Any,
        key: str,
        *,
        required: set[str] = frozenset(),
        allowed: set[str] | None = None,
    ) -> dict:
        if not isinstance(value, Mapping):
            raise self.error(key or "the file", f"is {type(value).__name__}", "a mapping")
        prefix = f"{key}." if key else ""
        if allowed is not None:
            unknown = sorted(str(k) for k in value if k not in allowed)
            if unknown:
                raise self.error(
                    f"{prefix}{unknown[0]}", "is not a known key", f"one of {sorted(allowed)}"
                )
        for name in sorted(required):
            if name not in value:
                raise self.error(f"{prefix}{name}", "is missing", "a value")
        return dict(value)

    def number(self, value: Any, key: str, low: float, high: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"is {value!r}", "a number")
        if value < low or (high is not None and value > high):
            span = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise self.error(key, f"is {value!r}", f"a number {span}")
        return float(value)

    def integer(self, value: Any, key: str, low: int, high: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"is {value!r}", "an integer")
        if value < low or (high is not None and value > high):
            span = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise self.error(key, f"is {value!r}", f"an integer {span}")
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"is {value!r}", "a non-empty string")
        return value.strip()

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, f"is {value!r}", "true or false")
        return value

    def matching(self, value: Any, key: str, pattern: re.Pattern, expected: str) -> str:
        if not isinstance(value, str) or not pattern.match(value.strip()):
            raise self.error(key, f"is {value!r}", expected)
        return value.strip()

    def id_list(self, value: Any, key: str, pattern: re.Pattern, expected: str) -> tuple[str, ...]:
        """A non-empty list of IDs matching ``pattern``; a comma-separated string (a stack
        output) works too."""
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if not isinstance(value, list) or not value:
            raise self.error(key, f"is {value!r}", f"a list of {expected}")
        ids = [
            self.matching(item, f"{key}[{index}]", pattern, expected)
            for index, item in enumerate(value)
        ]
        return tuple(dict.fromkeys(ids))

    def local_or_url(self, value: Any, key: str) -> str:
        """A URL or s3:// URI as given; a local path made absolute against the file's folder."""
        text = self.text(value, key)
        if "://" in text and not text.startswith("file://"):
            return text
        if text.startswith("file://"):
            text = text[len("file://") :]
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = self.source.parent / path
        return os.path.normpath(path)
