"""A local folder standing in for a bucket: atomic renames, a file lock for updates."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

from landsat_ops.errors import ConflictError, StorageError
from landsat_ops.storage.multihash import sha256_file
from landsat_ops.storage.store import ObjectInfo, Store

__all__ = ["LocalStore"]


class LocalStore(Store):
    """A local folder standing in for a bucket.

    A file is hashed about once per process: a digest is remembered under the file's identity
    (device, inode, size, modification time), which every write here changes (writes are
    atomic renames of new files), as does an edit in place by anything else. File times tick
    coarsely (a few ms), so, as git does with "racily clean" files, a digest recorded within
    :data:`_RACY_NS` of the file's modification time is not trusted: such a file is hashed again.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = str(Path(root).expanduser().absolute())
        self._root = Path(self.root)

    def _path(self, key: str) -> Path:
        path = (self._root / key).resolve() if key else self._root
        if self._root.resolve() not in (path, *path.parents):
            raise StorageError(f"{key}: key escapes the store root {self.root}")
        return path

    def list(self, prefix: str = "", *, hidden: bool = False) -> list[str]:
        base = self._path(prefix) if prefix and self._path(prefix).is_dir() else self._root
        if not base.exists():
            return []
        keys = []
        for path in base.rglob("*"):
            if path.is_file() and (hidden or not _hidden(path.name)):
                key = path.relative_to(self._root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def info(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        if not path.is_file():
            return None
        identity = _identity(stat)
        digest, recorded = _DIGESTS.get(identity, (None, 0))
        if digest is None or recorded - stat.st_mtime_ns < _RACY_NS:
            digest = _remember(identity, sha256_file(path))
        return ObjectInfo(key=key, size=stat.st_size, sha256=digest)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def read_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except OSError as exc:
            raise StorageError(f"{self.uri(key)}: cannot read ({exc.strerror or exc})") from exc

    def _atomic(self, key: str, writer) -> Path:
        target = self._path(key)
        tmp = target.with_name(f".{target.name}.partial")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            writer(tmp)
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"{self.uri(key)}: cannot write ({exc.strerror or exc})") from exc
        return target

    def write_bytes(self, key: str, data: bytes, content_type: str | None = None) -> ObjectInfo:
        path = self._atomic(key, lambda tmp: tmp.write_bytes(data))
        stat = path.stat()
        digest = _remember(_identity(stat), hashlib.sha256(data).hexdigest())
        return ObjectInfo(key, stat.st_size, digest)

    def put_file(self, path, key, *, sha256=None, content_type=None, new=False):
        sha256 = sha256 or sha256_file(path)
        current = None if new else self.info(key)
        if current is not None and current.sha256 == sha256:
            return current, False
        target = self._atomic(key, lambda tmp: shutil.copyfile(path, tmp))
        stat = target.stat()
        return ObjectInfo(key, stat.st_size, _remember(_identity(stat), sha256)), True

    def get_file(self, key: str, path) -> Path:
        src = self._path(key)
        if not src.is_file():
            raise StorageError(f"{self.uri(key)}: no such file")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, path)
        return path

    def copy(self, src_key: str, dst_key: str) -> ObjectInfo:
        src = self._path(src_key)
        if not src.is_file():
            raise StorageError(f"{self.uri(src_key)}: no such file")
        info, _ = self.put_file(src, dst_key)
        return info

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"{self.uri(key)}: cannot delete ({exc.strerror or exc})") from exc

    def list_all(self, prefix: str = "") -> list[str]:
        return self.list(prefix, hidden=True)

    def write_if(self, key, data, expected, content_type=None) -> ObjectInfo:
        # The caller holds the destination's lock (render.destination): check, then rename.
        if self.version(key) != expected:
            raise ConflictError(f"{self.uri(key)}: changed by another writer meanwhile")
        return self.write_bytes(key, data, content_type)

    def snapshot(self, src_key: str, dst_key: str) -> None:
        src, dst = self._path(src_key), self._path(dst_key)
        try:
            dst.unlink(missing_ok=True)
            try:
                os.link(src, dst)
            except OSError:  # no hard links here: a copy
                shutil.copyfile(src, dst)
        except OSError as exc:
            raise StorageError(f"{self.uri(src_key)}: cannot keep a copy ({exc.strerror})") from exc

    def rename(self, src_key: str, dst_key: str) -> None:
        src, dst = self._path(src_key), self._path(dst_key)
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            if dst.exists() and os.path.samefile(src, dst):
                # Hard links of one file (a backup of an untouched target): rename(2) would
                # do nothing and leave the source behind.
                src.unlink()
                return
            os.replace(src, dst)
        except OSError as exc:
            what = exc.strerror or exc
            raise StorageError(f"{self.uri(dst_key)}: cannot write ({what})") from exc

    def update(self, key, change, content_type=None) -> bool:
        import fcntl

        target = self._path(key)
        lock_path = target.with_name(f".{target.name}.lock")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(lock_path, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                current = target.read_bytes() if target.is_file() else None
                new = change(current)
                if new is None or new == current:
                    return False
                self.write_bytes(key, new, content_type)
                return True
        except OSError as exc:
            raise StorageError(f"{self.uri(key)}: cannot update ({exc.strerror or exc})") from exc


_DIGESTS: dict[tuple[int, int, int, int], tuple[str, int]] = {}
"""File identity -> (SHA-256, when it was recorded, ns)."""
_MAX_DIGESTS = 65536
_RACY_NS = 50_000_000
"""A digest recorded less than this after the file's modification time is computed again."""


def _identity(stat: os.stat_result) -> tuple[int, int, int, int]:
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


def _remember(identity: tuple[int, int, int, int], digest: str) -> str:
    if len(_DIGESTS) >= _MAX_DIGESTS:
        _DIGESTS.clear()
    _DIGESTS[identity] = (digest, time.time_ns())
    return digest


def _hidden(name: str) -> bool:
    """A local store's own files: a write in progress, or the lock of :meth:`Store.update`."""
    return name.endswith(".partial") or (name.startswith(".") and name.endswith(".lock"))
