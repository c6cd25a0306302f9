"""Product archives as EarthExplorer delivers them: one ``.tar`` (``.tar.gz``/``.tgz``) per product.

The one place that knows what an archive is (:data:`ARCHIVE_SUFFIXES`, :func:`is_archive`),
which of its members a consumer keeps (:func:`member_wanted`: the bands asked for, the QA band,
the MTL) and how they are taken out (:func:`extract_scene`). ``landsat-ops render``,
``info`` and ``sample`` use it, and so does the static-catalog builder of
``landsat_pipeline.downloads``.

An archive is a local file or an ``s3://bucket/key.tar`` object. It is read in ONE pass, in
archive order: a local ``.tar`` skips the members nobody wants (seeks), a ``.tar.gz`` is
decompressed once, and an S3 object is streamed (one GetObject, resumed with a ranged GET if
the connection drops) rather than downloaded first: the wanted members go straight into the
target folder and the ~1 GB archive is never copied to disk. Members are extracted under their
bare file name (archive folders are flattened) with tarfile's ``"data"`` filter, so nothing
lands outside the target folder; a link or device where a band, QA or MTL file is expected is
refused. The MTL is held in memory until the archive has been checked, then written.

Nothing is taken on trust (:mod:`landsat_ops.scene.limits`): the MTL (at most 1 MiB) is parsed
as soon as it is met, so absurd values are refused before any band is written, and each band
or QA member is capped by the size the MTL declares for it (pixels x 2 bytes, plus a margin);
a member met before the MTL is held to the largest size a Landsat band may have. All one
extraction writes is held to the scratch budget (``LANDSAT_OPS_SCRATCH_BUDGET``, default
2 GiB). Both caps are checked against the member's tar header before a byte is written, and
again while it is written, so a decompression bomb stops at its cap. Every extracted TIFF is
checked from its header as soon as it is written (whole structure inside the file, no more
pixels than the MTL declares), and again against the chosen MTL at the end, before anything
decodes it. On any error the members this extraction wrote are
removed again.

An archive that is not a readable product is a :class:`~landsat_ops.errors.SceneError`
naming it: not a tar, truncated (it must reach its end-of-archive marker), no MTL, files of
two products, the same file twice, a required band missing, or a member over its cap; an
MTL out of bounds is a :class:`~landsat_ops.errors.MetadataError`, a band whose TIFF header
does not fit the MTL a :class:`~landsat_ops.errors.RasterError`.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from landsat_ops.errors import LandsatOpsError, SceneError, StorageError
from landsat_ops.scene.files import SceneFiles, find_scene_files
from landsat_ops.scene.ids import find_scene_id
from landsat_ops.scene.limits import (
    MTL_MAX_BYTES,
    band_grid,
    check_tiff_dimensions,
    declared_size,
    member_cap,
    scratch_budget,
)
from landsat_ops.scene.mtl import Metadata, parse_mtl
from landsat_ops.storage import is_s3, split_s3

__all__ = [
    "ARCHIVE_SUFFIXES",
    "ArchiveContents",
    "extract_scene",
    "is_archive",
    "member_wanted",
    "read_archive",
]

ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz")
"""Name endings (any case) of a product archive: EarthExplorer's ``.tar``, older ``.tar.gz``."""

ALL_BANDS = tuple(range(1, 12))
"""Every band number a Landsat 8/9 product may hold (OLI B1-B9, TIRS B10-B11)."""

S3_RESUMES = 3
"""Times a streamed S3 archive is re-opened (a ranged GET from where it broke) before the
read fails; each GET itself has the bounded timeouts and retries of the S3 client."""

_STREAM_CHUNK = 1024 * 1024
_MIB = 1024 * 1024

ProgressFn = Callable[[str, int, int], None]


def is_archive(scene: str | os.PathLike) -> bool:
    """True when ``scene`` names a product archive: an ``s3://`` key or a path (not a folder)
    ending in ``.tar``, ``.tar.gz`` or ``.tgz``."""
    text = str(scene)
    if not text.lower().endswith(ARCHIVE_SUFFIXES):
        return False
    return is_s3(text) or not Path(text).is_dir()


def _kind(name: str) -> tuple[str, int | None] | None:
    """``("band", n)``, ``("qa", None)``, ``("mtl", None)`` for a product file name, else None.

    A pre-filter on the name's ending only; which files belong to the product is decided by
    :func:`~landsat_ops.scene.files.find_scene_files` over the whole listing.
    """
    upper = name.upper()
    if upper.endswith(("_BQA.TIF", "_QA_PIXEL.TIF")):
        return "qa", None
    if upper.endswith(("_MTL.TXT", "_MTL.JSON", "_MTL.XML")):
        return "mtl", None
    stem, sep, band = upper.removesuffix(".TIF").rpartition("_B")
    if upper.endswith(".TIF") and sep and stem and band.isdigit() and len(band) <= 2:
        return "band", int(band)
    return None


def member_wanted(name: str, bands: Iterable[int], *, qa: bool = True, mtl: bool = True) -> bool:
    """Whether a file (or archive member) is one a consumer of ``bands`` keeps.

    Parameters
    ----------
    name : str
        A file name or member path (only the part after the last ``/`` counts).
    bands : iterable of int
        The band numbers wanted: Level-1 ``<ID>_B<n>.TIF`` or Level-2 ``<ID>_SR_B<n>.TIF``.
    qa, mtl : bool
        Whether the QA band (``_BQA.TIF``, ``_QA_PIXEL.TIF``) and the MTL
        (``_MTL.txt/.json/.xml``) are wanted too.
    """
    kind = _kind(PurePosixPath(name).name)
    if kind is None:
        return False
    what, band = kind
    if what == "band":
        return band in set(bands)
    return qa if what == "qa" else mtl


@dataclass(frozen=True)
class ArchiveContents:
    """What one pass over an archive found (see :func:`read_archive`).

    Attributes
    ----------
    archive : str
        The archive's path or ``s3://`` URI, as given.
    files : SceneFiles
        The product's files; their ``.name`` is the member's bare file name.
    members : dict[str, str]
        Bare file name -> the member's path inside the archive.
    meta : Metadata
        The parsed MTL.
    """

    archive: str
    files: SceneFiles
    members: dict[str, str] = field(default_factory=dict)
    meta: Metadata | None = None

    def gdal_path(self, name: str) -> str:
        """The GDAL (and rasterio) path of a member: ``/vsitar/...`` over the local file or
        ``/vsis3/``, e.g. ``rasterio.open(contents.gdal_path(contents.files.bands[4].name))``."""
        member = self.members[name]
        if is_s3(self.archive):
            bucket, key = split_s3(self.archive)
            return f"/vsitar//vsis3/{bucket}/{key}/{member}"
        return f"/vsitar/{Path(self.archive).absolute()}/{member}"


def read_archive(archive: str | os.PathLike, s3_client=None) -> ArchiveContents:
    """List an archive's product files and parse its MTL, extracting nothing.

    A local ``.tar`` is read by seeking from header to header; a ``.tar.gz`` and an ``s3://``
    archive are read through once (the whole archive must be read to know it is complete).

    Raises
    ------
    SceneError
        The archive is missing or not a readable product archive (see the module doc).
    StorageError
        The ``s3://`` object cannot be read.
    """
    archive = str(archive)
    scan = _Scan()
    _scan(archive, s3_client, scan, extract=lambda name: False, into=None, progress=None)
    files, mtl_name = _check(archive, scan, required=())
    meta = parse_mtl(scan.mtls[mtl_name], f"{archive}/{scan.members[mtl_name]}")
    return ArchiveContents(archive=archive, files=files, members=scan.members, meta=meta)


def extract_scene(
    archive: str | os.PathLike,
    into: str | os.PathLike,
    bands: Iterable[int],
    *,
    required: Iterable[int] | None = None,
    qa: bool = True,
    s3_client=None,
    progress: ProgressFn | None = None,
) -> SceneFiles:
    """Extract one product's ``bands``, QA band and MTL from an archive into a folder.

    Parameters
    ----------
    archive : str or PathLike
        A local ``.tar``/``.tar.gz``/``.tgz`` or an ``s3://bucket/key.tar(.gz)`` object.
    into : str or PathLike
        The target folder (created if missing). Only bare file names are written; on an
        error, the members this call wrote are removed again.
    bands : iterable of int
        The bands to extract (those the archive holds).
    required : iterable of int, optional
        The bands that must be present (default: all of ``bands``).
    qa : bool
        Also extract the QA band when the archive holds one.
    s3_client : optional
        A boto3 S3 client (default: :func:`landsat_ops.storage.s3_client`, bounded timeouts).
    progress : callable, optional
        ``progress(step, done, total)`` in MiB of the archive read; ``step`` is ``"extract"``
        (local) or ``"download"`` (S3).

    Returns
    -------
    SceneFiles
        The extracted files (exactly the chosen bands, the QA band and the MTL).

    Raises
    ------
    SceneError
        The archive is missing or not a readable product archive, or a member is over its cap
        or the scratch budget (see the module doc); :class:`~landsat_ops.errors.MetadataError`
        for an MTL out of bounds.
    RasterError
        An extracted band's TIFF is not whole, or has more pixels than the MTL declares.
    OptionError
        ``LANDSAT_OPS_SCRATCH_BUDGET`` is not a size.
    StorageError
        The ``s3://`` object cannot be read.
    """
    archive = str(archive)
    bands = sorted(set(bands))
    into = Path(into)
    into.mkdir(parents=True, exist_ok=True)
    scan = _Scan(budget=scratch_budget())
    try:
        _scan(
            archive,
            s3_client,
            scan,
            extract=lambda name: member_wanted(name, bands, qa=qa, mtl=False),
            into=into,
            progress=progress,
        )
        files, mtl_name = _check(archive, scan, required=bands if required is None else required)
        keep = {files.bands[b].name for b in bands if b in files.bands}
        if qa and files.qa is not None:
            keep.add(files.qa.name)
        for name in list(scan.extracted):  # files of the name pre-filter, not the product's
            if name not in keep:
                (into / name).unlink()
                scan.extracted.remove(name)
        meta = parse_mtl(scan.mtls[mtl_name], f"{archive}/{scan.members[mtl_name]}")
        for name in scan.extracted:  # before anything decodes them: their headers only
            check_tiff_dimensions(into / name, meta, scan.bands[name])
        (into / mtl_name).write_bytes(scan.mtls[mtl_name])
    except BaseException:
        for name in scan.extracted:  # nothing partial stays behind
            (into / name).unlink(missing_ok=True)
        raise
    return find_scene_files(into)


@dataclass
class _Scan:
    members: dict[str, str] = field(default_factory=dict)  # bare name -> member path
    mtls: dict[str, bytes] = field(default_factory=dict)  # bare name -> content
    extracted: list[str] = field(default_factory=list)
    bands: dict[str, int | None] = field(default_factory=dict)  # extracted name -> band
    meta: Metadata | None = None  # the first MTL met, parsed: it sets the members' caps
    budget: int = 0  # bytes all extracted members may take together
    written: int = 0  # bytes extracted so far


def _scan(
    archive: str,
    s3_client,
    scan: _Scan,
    *,
    extract: Callable[[str], bool],
    into: Path | None,
    progress: ProgressFn | None,
) -> _Scan:
    """One pass over the archive: list its regular files, read MTLs, extract what is asked."""
    step = "download" if is_s3(archive) else "extract"
    with _open_tar(archive, s3_client) as (tar, position, total):
        try:
            for member in tar:
                if progress is not None:
                    progress(step, position() // _MIB, total // _MIB)
                name = PurePosixPath(member.name).name
                kind = _kind(name)
                if kind is None:
                    continue
                if not member.isfile():
                    what = "link" if member.issym() or member.islnk() else "special file"
                    raise SceneError(
                        f"{archive}: member {member.name} is a {what}, not a regular file "
                        "(refusing links and devices)"
                    )
                if name in scan.members:
                    raise SceneError(
                        f"{archive}: holds {name} twice ({scan.members[name]} and "
                        f"{member.name}); expected one product per archive"
                    )
                scan.members[name] = str(PurePosixPath(member.name)).lstrip("/")  # no ./ or /
                if kind[0] == "mtl":
                    scan.mtls[name] = _read_small(tar, member, archive)
                    if scan.meta is None:  # absurd values refused before any band is written
                        scan.meta = parse_mtl(scan.mtls[name], f"{archive}/{member.name}")
                        _recheck(archive, scan, into)
                elif into is not None and extract(name):
                    _extract_capped(archive, tar, member, name, kind[1], into, scan)
            _check_complete(tar, seekable=not is_s3(archive))
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise _unreadable(archive, _why(exc)) from None
    if progress is not None:
        progress(step, total // _MIB, total // _MIB)
    return scan


def _read_small(tar: tarfile.TarFile, member: tarfile.TarInfo, archive: str) -> bytes:
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


def _cap(scan: _Scan, band: int | None) -> tuple[int, str]:
    """The most bytes a member of ``band`` (None: the QA band) may hold, and why."""
    grid = band_grid(band)
    size = declared_size(scan.meta, grid) if scan.meta is not None else None
    if size is None:
        return member_cap(None, grid), "the largest Landsat band: no MTL read yet"
    return member_cap(size, grid), f"{size[0]:,}x{size[1]:,} uint16 pixels as the MTL declares"


def _too_large(archive: str, member: str, size: str, cap: int, why: str) -> SceneError:
    return SceneError(
        f"{archive}: member {member} is {size} bytes, over its cap of {cap:,} ({why}, plus a "
        "margin): a damaged archive or a decompression bomb"
    )


def _over_budget(archive: str, member: str, total: int, budget: int) -> SceneError:
    return SceneError(
        f"{archive}: extracting {member} takes the extracted files to {total:,} bytes, over "
        f"the scratch budget of {budget:,} (LANDSAT_OPS_SCRATCH_BUDGET)"
    )


def _extract_capped(
    archive: str,
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    name: str,
    band: int | None,
    into: Path,
    scan: _Scan,
) -> None:
    """Write one member as ``into/name``, held to its cap and to the scratch budget: checked
    against its tar header first, then while writing (never more than the cap is written).

    ``name`` is the member's bare file name (no ``/``; ``_kind`` accepted it) and the member
    a regular file, so nothing lands outside ``into``; an existing link there is not followed.
    """
    cap, why = _cap(scan, band)
    if member.size > cap:
        raise _too_large(archive, member.name, f"{member.size:,}", cap, why)
    if scan.written + member.size > scan.budget:
        raise _over_budget(archive, member.name, scan.written + member.size, scan.budget)
    target = into / name
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    scan.extracted.append(name)  # from here on removed on any error
    scan.bands[name] = band
    written = 0
    with os.fdopen(os.open(target, flags, 0o644), "wb") as out:
        with tar.extractfile(member) as source:
            while chunk := source.read(_STREAM_CHUNK):
                written += len(chunk)
                if written > cap:
                    raise _too_large(archive, member.name, f"more than {cap:,}", cap, why)
                if scan.written + written > scan.budget:
                    raise _over_budget(archive, member.name, scan.written + written, scan.budget)
                out.write(chunk)
    if written != member.size:  # the archive ends inside the member
        raise tarfile.ReadError("unexpected end of data")
    scan.written += written
    os.utime(target, (member.mtime, member.mtime))
    # Its header now, not after the rest of a 1 GB stream (again against the chosen MTL later).
    check_tiff_dimensions(target, scan.meta, band)


def _recheck(archive: str, scan: _Scan, into: Path | None) -> None:
    """Hold the members extracted before the MTL was met to the caps it declares."""
    for name in scan.extracted:
        cap, why = _cap(scan, scan.bands[name])
        size = (into / name).stat().st_size
        if size > cap:
            raise _too_large(archive, scan.members[name], f"{size:,}", cap, why)


def _check_complete(tar: tarfile.TarFile, *, seekable: bool) -> None:
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


def _why(exc: BaseException) -> str:
    """What a tarfile, gzip or zlib error says, on one line; cut-off data says "truncated"."""
    text = str(exc).strip()
    why = text.splitlines()[-1].strip(" -") if text else ""
    if isinstance(exc, EOFError) or why in _CUT_OFF:
        return f"truncated: {why or 'the compressed data ends early'}"
    return why or type(exc).__name__


def _unreadable(archive: str, why: str) -> SceneError:
    return SceneError(
        f"{archive}: not a readable product archive ({why}; "
        "expected a complete .tar or .tar.gz as EarthExplorer delivers it)"
    )


@contextmanager
def _open_tar(archive: str, s3_client) -> Iterator[tuple[tarfile.TarFile, Callable, int]]:
    """The archive as a TarFile, a function giving the bytes read so far, and its size."""
    if is_s3(archive):
        raw = _S3Stream(archive, s3_client)
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
            tar = tarfile.open(fileobj=raw, mode=mode, bufsize=_STREAM_CHUNK)
        except TypeError:  # tarfile's gzip stream reader on an archive cut in its gzip header
            raise _unreadable(archive, _why(EOFError())) from None
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise _unreadable(archive, _why(exc)) from None
        except tarfile.TarError:
            raise _unreadable(archive, _why_not_open(raw)) from None
        with tar:
            yield tar, raw.tell, size
    finally:
        raw.close()


def _why_not_open(raw) -> str:
    """Why tarfile could not open an archive, from its first bytes: cut off, or not a tar."""
    if isinstance(raw, _S3Stream):
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


class _S3Stream(io.RawIOBase):
    """An S3 object as a forward-only file, resumed with a ranged GET if its connection breaks.

    The client is :func:`landsat_ops.storage.s3_client` (bounded connect and read timeouts)
    unless one is given; a resumed GET requires the same ETag, so a replaced object fails
    instead of mixing two versions.
    """

    def __init__(self, uri: str, client=None):
        from landsat_ops.storage import s3_client

        self.uri = uri
        self.bucket, self.key = split_s3(uri)
        if not self.key:
            raise SceneError(f"{uri}: no object key (expected s3://bucket/key.tar)")
        self.client = client if client is not None else s3_client()
        self.pos = 0
        self.resumes = 0
        self.etag: str | None = None
        self.size = 0
        self.head = b""  # the first bytes, to say why an archive could not be opened
        self._body = None
        self._body = self._get()

    def _get(self):
        from botocore.exceptions import ClientError

        args = {"Bucket": self.bucket, "Key": self.key}
        if self.pos:
            args.update(Range=f"bytes={self.pos}-", IfMatch=self.etag)
        try:
            response = self.client.get_object(**args)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("404", "NoSuchKey", "NotFound") and not self.pos:
                raise SceneError(
                    f"{self.uri}: no such archive (expected a .tar, .tar.gz or .tgz object)"
                ) from None
            raise StorageError(f"{self.uri}: cannot read ({_short(exc)})") from exc
        except LandsatOpsError:
            raise
        except Exception as exc:
            raise StorageError(f"{self.uri}: cannot read ({_short(exc)})") from exc
        if not self.pos:
            self.etag = response.get("ETag")
            self.size = response.get("ContentLength", 0)
        return response["Body"]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.size and self.pos >= self.size:
            return 0
        while True:
            try:
                data = self._body.read(len(buffer))
                break
            except LandsatOpsError:  # Interrupted (SIGTERM) arrives here: not a network error
                raise
            except Exception as exc:  # a dropped connection, a stalled read, a short body
                if self.resumes >= S3_RESUMES:
                    raise StorageError(
                        f"{self.uri}: cannot read at byte {self.pos:,} ({_short(exc)}; "
                        f"gave up after {self.resumes} resumed GETs)"
                    ) from exc
                self.resumes += 1
                self._close_body()
                self._body = self._get()
        buffer[: len(data)] = data
        if self.pos < tarfile.BLOCKSIZE:
            self.head += data[: tarfile.BLOCKSIZE - self.pos]
        self.pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self.pos

    def _close_body(self) -> None:
        body, self._body = self._body, None
        try:
            if body is not None:
                body.close()
        except Exception:  # closing a broken connection
            pass

    def close(self) -> None:
        if not self.closed:
            self._close_body()
        super().close()


def _short(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _check(archive: str, scan: _Scan, required: Iterable[int]) -> tuple[SceneFiles, str]:
    """The product's files in a scanned archive, and its MTL's name; SceneError if it is not
    exactly one product with an MTL and the ``required`` bands."""
    products = set()
    for name in scan.members:
        try:
            products.add(find_scene_id(name).scene_id)
        except SceneError:
            continue
    if len(products) > 1:
        raise SceneError(
            f"{archive}: holds files of several products: {', '.join(sorted(products))} "
            "(expected one product per archive)"
        )
    folder = Path(archive)
    try:
        files = find_scene_files(folder, names=list(scan.members))
    except SceneError as exc:
        message = str(exc)
        for prefix in (f"scene folder {folder} ", f"{folder}: "):
            message = message.removeprefix(prefix)
        raise SceneError(f"{archive}: {message.replace('per folder', 'per archive')}") from None
    if files.mtl is None:
        raise SceneError(
            f"{archive}: no MTL file in the archive (expected {files.scene_id.scene_id}"
            "_MTL.txt, .json or .xml)"
        )
    for band in required:
        if band not in files.bands:
            raise SceneError(
                f"{archive}: no band B{band} in the archive (expected a member ending in "
                f"_B{band}.TIF or _SR_B{band}.TIF)"
            )
    return files, files.mtl.name
