"""The store interface: objects under a root URI, addressed by keys relative to it."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from landsat_ops.storage.uris import join

__all__ = ["ObjectInfo", "Store"]


@dataclass(frozen=True)
class ObjectInfo:
    """What a store knows about one object."""

    key: str
    size: int
    sha256: str | None
    etag: str | None = None
    content_type: str | None = None


class Store:
    """A place holding objects under a root URI. Use :func:`open_store` to get one."""

    root: str

    def uri(self, key: str) -> str:
        return join(self.root, key)

    # The interface; implemented by LocalStore and S3Store.
    def list(self, prefix: str = "") -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def info(self, key: str) -> ObjectInfo | None:  # pragma: no cover - interface
        raise NotImplementedError

    def read_bytes(self, key: str) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def write_bytes(
        self, key: str, data: bytes, content_type: str | None = None
    ) -> ObjectInfo:  # pragma: no cover - interface
        raise NotImplementedError

    def put_file(
        self,
        path: str | os.PathLike,
        key: str,
        *,
        sha256: str | None = None,
        content_type: str | None = None,
        new: bool = False,
    ) -> tuple[ObjectInfo, bool]:  # pragma: no cover - interface
        """Upload a file to ``key`` unless it already holds these bytes; ``new``: the caller
        knows ``key`` is new (a fresh version folder), so nothing is looked up first."""
        raise NotImplementedError

    def get_file(self, key: str, path: str | os.PathLike) -> Path:  # pragma: no cover
        raise NotImplementedError

    def copy(self, src_key: str, dst_key: str) -> ObjectInfo:  # pragma: no cover
        raise NotImplementedError

    def delete(self, key: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        return self.info(key) is not None

    def list_all(self, prefix: str = "") -> list[str]:
        """Like :meth:`list`, including the store's hidden files (``.partial``, locks)."""
        return self.list(prefix)

    def version(self, key: str) -> str | None:
        """A token that changes whenever ``key`` changes (S3: its ETag; local: its SHA-256)."""
        info = self.info(key)
        return None if info is None else (info.etag or info.sha256)

    def write_if(
        self, key: str, data: bytes, expected: str | None, content_type: str | None = None
    ) -> ObjectInfo:  # pragma: no cover - interface
        """Write ``key`` only when its :meth:`version` is still ``expected`` (None: absent).

        Raises :class:`~landsat_ops.errors.ConflictError` when another writer changed it.
        """
        raise NotImplementedError

    def snapshot(self, src_key: str, dst_key: str) -> None:  # pragma: no cover - interface
        """Keep the current bytes of ``src_key`` under ``dst_key`` (local: a hard link)."""
        raise NotImplementedError

    def rename(self, src_key: str, dst_key: str) -> None:  # pragma: no cover - interface
        """Move ``src_key`` to ``dst_key`` (local: an atomic rename; S3: copy, then delete)."""
        raise NotImplementedError

    def incomplete_uploads(self) -> list[tuple[str, str, float]]:
        """Incomplete multipart uploads under the root: ``(key, upload id, started)``."""
        return []

    def abort_upload(self, key: str, upload_id: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def update(
        self,
        key: str,
        change: Callable[[bytes | None], bytes | None],
        content_type: str | None = None,
    ) -> bool:  # pragma: no cover - interface
        """Read-modify-write ``key`` atomically against other writers of the same store.

        ``change(current)`` gets the object's bytes (None when absent) and returns the new
        bytes, or None (or the same bytes) to leave it alone; it may be called more than once
        when another writer got there first. Returns whether the object was written. Two
        updates of one key never lose each other's change (a lock on a local folder; S3's
        conditional writes, ``If-Match``/``If-None-Match``, on a bucket).
        """
        raise NotImplementedError
