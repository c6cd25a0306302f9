"""A bucket prefix on S3 or an S3-compatible endpoint, and the bounded boto3 client it uses.

Uploads use boto3's managed transfer (multipart and concurrent from
:data:`MULTIPART_THRESHOLD` up, ``LANDSAT_OPS_S3_MULTIPART_THRESHOLD``); an S3 object only
appears once its upload completed. Each object carries its SHA-256 in the ``sha256`` user
metadata.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from landsat_ops.errors import ConflictError, Interrupted, StorageError
from landsat_ops.interrupts import raise_if_pending, register_checkpoints
from landsat_ops.storage.multihash import sha256_file
from landsat_ops.storage.store import ObjectInfo, Store
from landsat_ops.storage.uris import join, split_s3

__all__ = [
    "env_number",
    "DOWNLOAD_ATTEMPTS",
    "MIN_PART_SIZE",
    "MULTIPART_THRESHOLD",
    "S3_CONNECT_TIMEOUT",
    "S3_MAX_ATTEMPTS",
    "S3_READ_TIMEOUT",
    "S3Store",
    "s3_client",
]

MULTIPART_THRESHOLD = 64 * 1024 * 1024
"""Objects from this size (bytes) up are uploaded, copied and downloaded in parts, several at
once (``LANDSAT_OPS_S3_MULTIPART_THRESHOLD``); parts are a quarter of it, at least 5 MiB."""
MIN_PART_SIZE = 5 * 1024 * 1024
"""S3's smallest part of a multipart upload (but the last)."""
DOWNLOAD_ATTEMPTS = 2
"""Attempts at a download whose body breaks off, each with the client's own retries."""


class S3Store(Store):
    """A bucket prefix on S3 or an S3-compatible endpoint."""

    def __init__(self, root: str, client: Any | None = None, *, max_concurrency: int = 8):
        self.bucket, prefix = split_s3(root)
        self.prefix = prefix.strip("/")
        self.root = join(f"s3://{self.bucket}", self.prefix)
        self.max_concurrency = max_concurrency
        self.multipart_threshold = int(
            env_number("LANDSAT_OPS_S3_MULTIPART_THRESHOLD", MULTIPART_THRESHOLD, "bytes")
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
        return self._put_bytes(key, data, content_type)

    def write_if(self, key, data, expected, content_type=None) -> ObjectInfo:
        condition = {"IfMatch": expected} if expected else {"IfNoneMatch": "*"}
        return self._put_bytes(key, data, content_type, **condition)

    def _put_bytes(self, key: str, data: bytes, content_type: str | None, **condition):
        """One PUT with the bytes' SHA-256 (metadata and S3 checksum); a refused condition is
        a :class:`~landsat_ops.errors.ConflictError`."""
        from botocore.exceptions import ClientError

        sha = hashlib.sha256(data).hexdigest()
        extra: dict[str, Any] = {"ContentType": content_type} if content_type else {}
        try:
            resp = self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                Metadata={"sha256": sha},
                ChecksumAlgorithm="SHA256",
                **extra,
                **condition,
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if condition and code in _CONFLICT_CODES:
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
        connect_timeout=env_number("LANDSAT_OPS_S3_CONNECT_TIMEOUT", S3_CONNECT_TIMEOUT),
        read_timeout=env_number("LANDSAT_OPS_S3_READ_TIMEOUT", S3_READ_TIMEOUT),
        retries={
            "mode": "standard",
            "max_attempts": int(env_number("LANDSAT_OPS_S3_MAX_ATTEMPTS", S3_MAX_ATTEMPTS)),
        },
    )
    client = boto3.client("s3", config=config)
    register_checkpoints(client)
    return client


def env_number(name: str, default: float, unit: str = "seconds") -> float:
    """A non-negative number from the environment variable ``name`` (else ``default``); a bad
    value is one :class:`~landsat_ops.errors.StorageError` naming the variable."""
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


def _short(exc: Exception) -> str:
    """One line of an exception's text (s3transfer's "Max Retries Exceeded": its cause's)."""
    last = getattr(exc, "last_exception", None)
    if isinstance(last, Exception):
        return f"{_short(last)}; gave up after retrying"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
