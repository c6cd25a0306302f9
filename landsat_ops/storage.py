"""Local folders and ``s3://bucket/prefix`` behind one small interface.

A :class:`Store` is rooted at a URI and addresses objects by keys relative to that root
(``"landing/LC08_.../LC08_..._B4.TIF"``). Both implementations write atomically:

* :class:`LocalStore` writes ``.<name>.partial`` next to the target and renames it into place.
* :class:`S3Store` uploads with boto3's managed transfer (multipart and concurrent from
  :data:`MULTIPART_THRESHOLD` up, ``LANDSAT_OPS_S3_MULTIPART_THRESHOLD``); an S3 object only
  appears once its upload completed.

Every object written through a store carries its SHA-256: S3 objects in the ``sha256`` user
metadata, local files are hashed on demand. :meth:`Store.put_file` skips the upload when the
target already holds the same bytes, which makes re-runs upload nothing.

S3-compatible endpoints (MinIO, moto) work through boto3's standard ``AWS_ENDPOINT_URL``
setting, or by passing a configured client.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from landsat_ops.errors import ConflictError, Interrupted, StorageError
from landsat_ops.interrupts import raise_if_pending, register_checkpoints

CHUNK = 8 * 1024 * 1024
MULTIPART_THRESHOLD = 64 * 1024 * 1024
"""Objects from this size (bytes) up are uploaded, copied and downloaded in parts, several at
once (``LANDSAT_OPS_S3_MULTIPART_THRESHOLD``); parts are a quarter of it, at least 5 MiB."""
MIN_PART_SIZE = 5 * 1024 * 1024
"""S3's smallest part of a multipart upload (but the last)."""
DOWNLOAD_ATTEMPTS = 2
"""Attempts at a download whose body breaks off, each with the client's own retries."""
SHA256_MULTIHASH_PREFIX = "1220"
"""Multihash prefix of a SHA-256 digest (code 0x12, length 0x20), as STAC ``file:checksum``."""


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


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a local file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_multihash(hex_digest: str) -> str:
    """A hex SHA-256 as a multihash (STAC ``file:checksum``): ``"1220" + hex_digest``."""
    return SHA256_MULTIHASH_PREFIX + hex_digest


def sha256_from_multihash(value: object) -> str | None:
    """The hex SHA-256 inside a multihash, or None when ``value`` is not a SHA-256 multihash."""
    if isinstance(value, str) and value.startswith(SHA256_MULTIHASH_PREFIX):
        return value[len(SHA256_MULTIHASH_PREFIX) :]
    return None


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

    # The interface; implemented below.
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


class S3Store(Store):
    """A bucket prefix on S3 or an S3-compatible endpoint."""

    def __init__(self, root: str, client: Any | None = None, *, max_concurrency: int = 8):
        self.bucket, prefix = split_s3(root)
        self.prefix = prefix.strip("/")
        self.root = join(f"s3://{self.bucket}", self.prefix)
        self.max_concurrency = max_concurrency
        self.multipart_threshold = int(
            _env_number("LANDSAT_OPS_S3_MULTIPART_THRESHOLD", MULTIPART_THRESHOLD, "bytes")
        )
        self.client = client if client is not None else s3_client()

    def _key(self, key: str) -> str:
        return join(self.prefix, key) if self.prefix else key.strip("/")

    def _rel(self, full_key: str) -> str:
        return full_key[len(self.prefix) + 1 :] if self.prefix else full_key

    def _fail(self, what: str, key: str, exc: Exception) -> StorageError:
        if isinstance(exc, Interrupted):  # SIGTERM/SIGINT, not an S3 failure: exit 128 + N
            raise exc
        raise_if_pending()  # a signal botocore swallowed and turned into this error
        return StorageError(f"{self.uri(key)}: cannot {what} ({_short(exc)})")

    def _transfer_config(self):
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(
            multipart_threshold=self.multipart_threshold,
            multipart_chunksize=max(self.multipart_threshold // 4, MIN_PART_SIZE),
            max_concurrency=self.max_concurrency,
            use_threads=True,
            # A download whose body breaks off (cut, stalled) is tried once more. boto3's 5
            # attempts here would multiply the client's own retries of a stalled request.
            num_download_attempts=DOWNLOAD_ATTEMPTS,
        )

    def iter_objects(self, prefix: str = "") -> Iterator[dict]:
        paginator = self.client.get_paginator("list_objects_v2")
        full = self._key(prefix) if prefix else (self.prefix + "/" if self.prefix else "")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
                yield from page.get("Contents", [])
        except Exception as exc:
            raise self._fail("list", prefix, exc) from exc

    def list(self, prefix: str = "") -> list[str]:
        return sorted(self._rel(obj["Key"]) for obj in self.iter_objects(prefix))

    def info(self, key: str) -> ObjectInfo | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(
                Bucket=self.bucket, Key=self._key(key), ChecksumMode="ENABLED"
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._fail("stat", key, exc) from exc
        except Exception as exc:
            raise self._fail("stat", key, exc) from exc
        declared = head.get("Metadata", {}).get("sha256")
        computed = _sha256_of_checksum(head.get("ChecksumSHA256"))
        if head.get("ChecksumType") == "COMPOSITE" or _MULTIPART_ETAG.search(head.get("ETag", "")):
            # A multipart object's SHA-256 is one of its parts' checksums, not of its bytes
            # (some endpoints, moto among them, give it without the "-<parts>" suffix).
            computed = None
        # S3's own checksum of the bytes wins over what a writer declared in the metadata.
        return ObjectInfo(
            key=key,
            size=head["ContentLength"],
            sha256=computed or declared,
            etag=head.get("ETag"),
            content_type=head.get("ContentType"),
        )

    def read_bytes(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except Exception as exc:
            raise self._fail("read", key, exc) from exc

    def write_bytes(self, key: str, data: bytes, content_type: str | None = None) -> ObjectInfo:
        sha = hashlib.sha256(data).hexdigest()
        extra = {"ContentType": content_type} if content_type else {}
        try:
            resp = self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                Metadata={"sha256": sha},
                ChecksumAlgorithm="SHA256",
                **extra,
            )
        except Exception as exc:
            raise self._fail("write", key, exc) from exc
        return ObjectInfo(key, len(data), sha, resp.get("ETag"))

    def write_if(self, key, data, expected, content_type=None) -> ObjectInfo:
        from botocore.exceptions import ClientError

        sha = hashlib.sha256(data).hexdigest()
        extra: dict[str, Any] = {"ContentType": content_type} if content_type else {}
        extra.update({"IfMatch": expected} if expected else {"IfNoneMatch": "*"})
        try:
            resp = self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                Metadata={"sha256": sha},
                ChecksumAlgorithm="SHA256",
                **extra,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _CONFLICT_CODES:
                message = f"{self.uri(key)}: changed by another writer meanwhile"
                raise ConflictError(message) from exc
            raise self._fail("write", key, exc) from exc
        except Exception as exc:
            raise self._fail("write", key, exc) from exc
        return ObjectInfo(key, len(data), sha, resp.get("ETag"))

    def snapshot(self, src_key: str, dst_key: str) -> None:
        self._server_copy(src_key, dst_key)

    def rename(self, src_key: str, dst_key: str) -> None:
        self._server_copy(src_key, dst_key)
        self.delete(src_key)

    def _server_copy(self, src_key: str, dst_key: str) -> None:
        """A server-side copy keeping metadata and content type (checksummed by S3)."""
        try:
            self.client.copy(
                {"Bucket": self.bucket, "Key": self._key(src_key)},
                self.bucket,
                self._key(dst_key),
                ExtraArgs={"ChecksumAlgorithm": "SHA256"},
                Config=self._transfer_config(),
            )
        except Exception as exc:
            raise self._fail("copy to " + dst_key, src_key, exc) from exc

    def incomplete_uploads(self) -> list[tuple[str, str, float]]:
        prefix = self.prefix + "/" if self.prefix else ""
        out = []
        try:
            paginator = self.client.get_paginator("list_multipart_uploads")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for upload in page.get("Uploads", []):
                    out.append(
                        (
                            self._rel(upload["Key"]),
                            upload["UploadId"],
                            upload["Initiated"].timestamp(),
                        )
                    )
        except Exception as exc:
            raise self._fail("list the uploads of", "", exc) from exc
        return out

    def abort_upload(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self._key(key), UploadId=upload_id
            )
        except Exception as exc:
            raise self._fail("abort the upload of", key, exc) from exc

    def put_file(self, path, key, *, sha256=None, content_type=None, new=False):
        sha256 = sha256 or sha256_file(path)
        current = None if new else self.info(key)
        if current is not None and current.sha256 == sha256:
            return current, False
        extra: dict[str, Any] = {"Metadata": {"sha256": sha256}, "ChecksumAlgorithm": "SHA256"}
        if content_type:
            extra["ContentType"] = content_type
        try:
            self.client.upload_file(
                str(path),
                self.bucket,
                self._key(key),
                ExtraArgs=extra,
                Config=self._transfer_config(),
            )
        except Exception as exc:
            raise self._fail("upload", key, exc) from exc
        return ObjectInfo(key, os.path.getsize(path), sha256), True

    def get_file(self, key: str, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.partial")
        try:
            self.client.download_file(
                self.bucket, self._key(key), str(tmp), Config=self._transfer_config()
            )
            os.replace(tmp, path)
        except Exception as exc:
            tmp.unlink(missing_ok=True)
            raise self._fail("download", key, exc) from exc
        return path

    def copy(self, src_key: str, dst_key: str) -> ObjectInfo:
        src = self.info(src_key)
        if src is None:
            raise StorageError(f"{self.uri(src_key)}: no such object")
        current = self.info(dst_key)
        if current is not None and src.sha256 and current.sha256 == src.sha256:
            return current
        try:
            extra: dict[str, Any] = {"ChecksumAlgorithm": "SHA256"}
            if src.sha256:  # REPLACE drops what is not given again: keep the content type
                extra |= {"Metadata": {"sha256": src.sha256}, "MetadataDirective": "REPLACE"}
                if src.content_type:
                    extra["ContentType"] = src.content_type
            self.client.copy(
                {"Bucket": self.bucket, "Key": self._key(src_key)},
                self.bucket,
                self._key(dst_key),
                ExtraArgs=extra,
                Config=self._transfer_config(),
            )
        except Exception as exc:
            raise self._fail("copy to " + dst_key, src_key, exc) from exc
        return self.info(dst_key) or src

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            raise self._fail("delete", key, exc) from exc

    def update(self, key, change, content_type=None, *, attempts: int = 20) -> bool:
        from botocore.exceptions import ClientError

        for attempt in range(attempts):
            try:
                got = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
                current, condition = got["Body"].read(), {"IfMatch": got["ETag"]}
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
                    raise self._fail("read", key, exc) from exc
                current, condition = None, {"IfNoneMatch": "*"}
            except Exception as exc:
                raise self._fail("read", key, exc) from exc
            new = change(current)
            if new is None or new == current:
                return False
            extra = {"ContentType": content_type} if content_type else {}
            try:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=self._key(key),
                    Body=new,
                    Metadata={"sha256": hashlib.sha256(new).hexdigest()},
                    **condition,
                    **extra,
                )
                return True
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code not in _CONFLICT_CODES:
                    raise self._fail("write", key, exc) from exc
            except Exception as exc:
                raise self._fail("write", key, exc) from exc
            time.sleep(min(0.05 * 2**attempt, 1.0) * (0.5 + random.random()))
        raise StorageError(
            f"{self.uri(key)}: cannot update: {attempts} concurrent writers in a row changed it"
        )


S3_CONNECT_TIMEOUT = 10.0
"""Seconds to open a connection to the S3 endpoint (``LANDSAT_OPS_S3_CONNECT_TIMEOUT``)."""
S3_READ_TIMEOUT = 20.0
"""Seconds a response may stall before the request is retried (``LANDSAT_OPS_S3_READ_TIMEOUT``)."""
S3_MAX_ATTEMPTS = 4
"""Attempts per request, with botocore's standard retry mode (``LANDSAT_OPS_S3_MAX_ATTEMPTS``)."""


def s3_client():
    """A boto3 S3 client with bounded timeouts and retries.

    boto3's defaults let a silent endpoint (accepting connections, never answering) hang a
    render for a quarter of an hour; here a stalled request fails after at most
    ``attempts x (connect + read timeout)``, with one clear error (a download, whose body may
    break off after the answer began, gets :data:`DOWNLOAD_ATTEMPTS` of those). Credentials,
    region and endpoint come from the standard AWS chain (``AWS_ENDPOINT_URL`` for
    S3-compatible stores). The environment variables above override the bounds.
    """
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=_env_number("LANDSAT_OPS_S3_CONNECT_TIMEOUT", S3_CONNECT_TIMEOUT),
        read_timeout=_env_number("LANDSAT_OPS_S3_READ_TIMEOUT", S3_READ_TIMEOUT),
        retries={
            "mode": "standard",
            "max_attempts": int(_env_number("LANDSAT_OPS_S3_MAX_ATTEMPTS", S3_MAX_ATTEMPTS)),
        },
    )
    client = boto3.client("s3", config=config)
    register_checkpoints(client)
    return client


def _env_number(name: str, default: float, unit: str = "seconds") -> float:
    value = os.environ.get(name)
    try:
        number = float(value) if value else default
    except ValueError:
        number = -1.0
    if number < 0:
        raise StorageError(f"{name}: expected a number of {unit}, got {value!r}")
    return number


_MULTIPART_ETAG = re.compile(r'-\d+"?$')
"""The ETag of an object uploaded in parts: ``"<md5 of the parts' md5s>-<parts>"``."""
_CONFLICT_CODES = ("PreconditionFailed", "ConditionalRequestConflict", "412", "409")


def _sha256_of_checksum(value: str | None) -> str | None:
    """The hex SHA-256 of S3's ``ChecksumSHA256`` (base64; None for a multipart composite)."""
    if not value or "-" in value:
        return None
    import base64
    import binascii

    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 32 else None


def _hidden(name: str) -> bool:
    """A local store's own files: a write in progress, or the lock of :meth:`Store.update`."""
    return name.endswith(".partial") or (name.startswith(".") and name.endswith(".lock"))


def _short(exc: Exception) -> str:
    """One line of an exception's text (s3transfer's "Max Retries Exceeded": its cause's)."""
    last = getattr(exc, "last_exception", None)
    if isinstance(last, Exception):
        return f"{_short(last)}; gave up after retrying"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def open_store(uri: str | os.PathLike, client: Any | None = None) -> Store:
    """Return the store for a local folder or an ``s3://bucket/prefix`` URI."""
    if is_s3(uri):
        return S3Store(str(uri), client)
    return LocalStore(uri)
