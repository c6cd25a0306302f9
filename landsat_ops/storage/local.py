"""A local folder standing in for a bucket: atomic renames, a file lock for updates."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from landsat_ops.errors import ConflictError, StorageError
from landsat_ops.storage.multihash import sha256_file
from landsat_ops.storage.store import ObjectInfo, Store

__all__ = ["LocalStore"]


class LocalStore(Store):
    """A local folder standing in for a bucket."""

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
        if not path.is_file():
            return None
        return ObjectInfo(key=key, size=path.stat().st_size, sha256=sha256_file(path))

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
        return ObjectInfo(key, path.stat().st_size, hashlib.sha256(data).hexdigest())

    def put_file(self, path, key, *, sha256=None, content_type=None, new=False):
        sha256 = sha256 or sha256_file(path)
        current = None if new else self.info(key)
        if current is not None and current.sha256 == sha256:
            return current, False
        target = self._atomic(key, lambda tmp: shutil.copyfile(path, tmp))
        return ObjectInfo(key, target.stat().st_size, sha256), True

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


def _hidden(name: str) -> bool:
    """A local store's own files: a write in progress, or the lock of :meth:`Store.update`."""
    return name.endswith(".partial") or (name.startswith(".") and name.endswith(".lock"))
