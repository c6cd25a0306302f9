"""File digests and multihashes (STAC ``file:checksum``): the project's one place for both.

A multihash is ``<function code><digest length><digest>`` in hex: ``1220`` + 64 hex digits for
sha2-256 (Earth Search, and every object this project writes), ``1340`` + 128 for sha2-512
(LandsatLook).
"""

from __future__ import annotations

import hashlib
import os

__all__ = [
    "CHUNK",
    "MULTIHASH_ALGORITHMS",
    "SHA256_MULTIHASH_PREFIX",
    "file_digest",
    "parse_multihash",
    "sha256_file",
    "sha256_from_multihash",
    "sha256_multihash",
]

CHUNK = 8 * 1024 * 1024
"""Bytes read at once when a file is hashed."""
SHA256_MULTIHASH_PREFIX = "1220"
"""Multihash prefix of a SHA-256 digest (code 0x12, length 0x20), as STAC ``file:checksum``."""
MULTIHASH_ALGORITHMS = {"12": "sha256", "13": "sha512"}
"""Multihash function code (hex) -> hashlib name."""


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """The hex digest of a local file with ``algorithm`` (``"sha256"``, ``"sha512"``), read
    in chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a local file, read in chunks."""
    return file_digest(path, "sha256")


def sha256_multihash(hex_digest: str) -> str:
    """A hex SHA-256 as a multihash (STAC ``file:checksum``): ``"1220" + hex_digest``."""
    return SHA256_MULTIHASH_PREFIX + hex_digest


def sha256_from_multihash(value: object) -> str | None:
    """The hex SHA-256 inside a multihash, or None when ``value`` is not a SHA-256 multihash."""
    if isinstance(value, str) and value.startswith(SHA256_MULTIHASH_PREFIX):
        return value[len(SHA256_MULTIHASH_PREFIX) :]
    return None


def parse_multihash(value: object) -> tuple[str, str] | None:
    """``(hashlib name, hex digest)`` of a sha2-256/512 multihash; None for anything else."""
    if not isinstance(value, str) or len(value) < 4:
        return None
    value = value.lower()
    algorithm = MULTIHASH_ALGORITHMS.get(value[:2])
    if algorithm is None:
        return None
    length = int(value[2:4], 16)
    digest = value[4:]
    if len(digest) != 2 * length or length != hashlib.new(algorithm).digest_size:
        return None
    return algorithm, digest
