"""Reading an archive in one pass: a local file or a streamed S3 object opened as a TarFile.

The errors of a damaged archive (not a tar, cut off, no end-of-archive marker) become one
:class:`~landsat_ops.errors.SceneError` line (:func:`unreadable`).
"""

from __future__ import annotations

import gzip
import os
import tarfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from landsat_ops.errors import SceneError
from landsat_ops.scene.archive.s3_stream import S3Stream
from landsat_ops.scene.limits import MTL_MAX_BYTES
from landsat_ops.storage import is_s3

__all__ = [
    "STREAM_CHUNK",
    "check_complete",
    "open_tar",
    "read_small",
    "unreadable",
    "why_unreadable",
]

STREAM_CHUNK = 1024 * 1024
"""Bytes read at a time from an archive and from a member written out."""


def read_small(tar: tarfile.TarFile, member: tarfile.TarInfo, archive: str) -> bytes:
    """An MTL member's content (at most :data:`MTL_MAX_BYTES`; whole, else truncated)."""
    if member.size > MTL_MAX_BYTES:
        raise SceneError(
            f"{archive}: {member.name} is {member.size:,} bytes, too large for an MTL file "
            f"(at most {MTL_MAX_BYTES:,}; real ones are 7-25 KB)"
        )
    with tar.extractfile(member) as handle:
        data = handle.read(MTL_MAX_BYTES + 1)
    if len(data) != member.size:  # the archive ends inside the member
        raise tarfile.ReadError("unexpected end of data")
    return data


def check_complete(tar: tarfile.TarFile, *, seekable: bool) -> None:
    """Refuse an archive that ended before its end-of-archive marker (a cut-off download).

    tarfile stops quietly at a short or missing header; a complete archive has a zero block
    right where iteration stopped.
    """
    fileobj = tar.fileobj
    if fileobj.tell() != tar.offset + tarfile.BLOCKSIZE:
        raise tarfile.ReadError("truncated: it ends before the end-of-archive marker")
    if seekable:  # a stream cannot go back: there the position check must do
        fileobj.seek(tar.offset)
        if fileobj.read(tarfile.BLOCKSIZE) != tarfile.NUL * tarfile.BLOCKSIZE:
            raise tarfile.ReadError("damaged: no end-of-archive marker after the last member")


_CUT_OFF = ("unexpected end of data", "empty header", "truncated header")
"""What tarfile says when the data ends inside a member or an extended header."""


def why_unreadable(exc: BaseException) -> str:
    """What a tarfile, gzip or zlib error says, on one line; cut-off data says "truncated"."""
    text = str(exc).strip()
    why = text.splitlines()[-1].strip(" -") if text else ""
    if isinstance(exc, EOFError) or why in _CUT_OFF:
        return f"truncated: {why or 'the compressed data ends early'}"
    return why or type(exc).__name__


def unreadable(archive: str, why: str) -> SceneError:
    return SceneError(
        f"{archive}: not a readable product archive ({why}; "
        "expected a complete .tar or .tar.gz as EarthExplorer delivers it)"
    )


@contextmanager
def open_tar(archive: str, s3_client) -> Iterator[tuple[tarfile.TarFile, Callable, int]]:
    """The archive as a TarFile, a function giving the bytes read so far, and its size."""
    if is_s3(archive):
        raw = S3Stream(archive, s3_client)
        mode, size = "r|*", raw.size
    else:
        try:
            raw = open(archive, "rb")  # closed below
        except FileNotFoundError:
            raise SceneError(
                f"{archive}: no such archive (expected a .tar, .tar.gz or .tgz file)"
            ) from None
        except OSError as exc:
            raise SceneError(f"{archive}: cannot read the archive ({exc.strerror})") from None
        mode, size = "r:*", os.fstat(raw.fileno()).st_size
    try:
        try:
            tar = tarfile.open(fileobj=raw, mode=mode, bufsize=STREAM_CHUNK)
        except TypeError:  # tarfile's gzip stream reader on an archive cut in its gzip header
            raise unreadable(archive, why_unreadable(EOFError())) from None
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise unreadable(archive, why_unreadable(exc)) from None
        except tarfile.TarError:
            raise unreadable(archive, _why_not_open(raw)) from None
        with tar:
            yield tar, raw.tell, size
    finally:
        raw.close()


def _why_not_open(raw) -> str:
    """Why tarfile could not open an archive, from its first bytes: cut off, or not a tar."""
    if isinstance(raw, S3Stream):
        head = raw.head
    else:
        raw.seek(0)
        head = raw.read(tarfile.BLOCKSIZE)
    if not head:
        return "an empty file"
    if head.startswith(b"\x1f\x8b"):
        return "truncated or damaged gzip data"
    if len(head) >= tarfile.BLOCKSIZE and head[257:262] == b"ustar":
        return "truncated: it ends in its first member"
    return "not a tar or tar.gz file"
