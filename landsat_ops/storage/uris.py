"""Store URIs: local paths and ``s3://bucket/prefix``, split and joined."""

from __future__ import annotations

import os

from landsat_ops.errors import StorageError

__all__ = ["is_s3", "join", "split_s3"]


def is_s3(uri: str | os.PathLike) -> bool:
    """Return True for ``s3://`` URIs."""
    return str(uri).startswith("s3://")


def split_s3(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into ``(bucket, key)``; the key may be empty."""
    if not is_s3(uri):
        raise StorageError(f"{uri}: not an s3:// URI")
    rest = uri[len("s3://") :]
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise StorageError(f"{uri}: no bucket name (expected s3://bucket/prefix)")
    return bucket, key


def join(uri: str, *parts: str) -> str:
    """Join URI parts with single slashes (works for local paths and s3:// URIs)."""
    out = str(uri).rstrip("/")
    for part in parts:
        part = part.strip("/")
        if part:
            out = f"{out}/{part}"
    return out
