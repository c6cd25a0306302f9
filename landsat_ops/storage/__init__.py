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

Modules: :mod:`.store` (the interface), :mod:`.local`, :mod:`.s3`, :mod:`.uris` and
:mod:`.multihash` (file digests and STAC ``file:checksum``, for the whole project).
"""

from __future__ import annotations

import os
from typing import Any

from landsat_ops.storage.local import LocalStore
from landsat_ops.storage.multihash import (
    MULTIHASH_ALGORITHMS,
    SHA256_MULTIHASH_PREFIX,
    file_digest,
    parse_multihash,
    sha256_file,
    sha256_from_multihash,
    sha256_multihash,
)
from landsat_ops.storage.s3 import (
    DOWNLOAD_ATTEMPTS,
    MIN_PART_SIZE,
    MULTIPART_THRESHOLD,
    S3_CONNECT_TIMEOUT,
    S3_MAX_ATTEMPTS,
    S3_READ_TIMEOUT,
    S3Store,
    s3_client,
)
from landsat_ops.storage.store import ObjectInfo, Store
from landsat_ops.storage.uris import is_s3, join, split_s3

__all__ = [
    "DOWNLOAD_ATTEMPTS",
    "MIN_PART_SIZE",
    "MULTIHASH_ALGORITHMS",
    "MULTIPART_THRESHOLD",
    "S3_CONNECT_TIMEOUT",
    "S3_MAX_ATTEMPTS",
    "S3_READ_TIMEOUT",
    "SHA256_MULTIHASH_PREFIX",
    "LocalStore",
    "ObjectInfo",
    "S3Store",
    "Store",
    "file_digest",
    "is_s3",
    "join",
    "open_store",
    "parse_multihash",
    "s3_client",
    "sha256_file",
    "sha256_from_multihash",
    "sha256_multihash",
    "split_s3",
]


def open_store(uri: str | os.PathLike, client: Any | None = None) -> Store:
    """Return the store for a local folder or an ``s3://bucket/prefix`` URI."""
    if is_s3(uri):
        return S3Store(str(uri), client)
    return LocalStore(uri)
