"""One pass over an archive: list its product files (:func:`read_archive`) or take out the
wanted members (:func:`extract_scene`), then check it holds exactly one product."""

from __future__ import annotations

import gzip
import os
import tarfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from landsat_ops.errors import SceneError
from landsat_ops.scene.archive.members import (
    Scan,
    extract_capped,
    member_kind,
    member_wanted,
    recheck_caps,
)
from landsat_ops.scene.archive.tar import (
    check_complete,
    open_tar,
    read_small,
    unreadable,
    why_unreadable,
)
from landsat_ops.scene.files import SceneFiles, find_scene_files
from landsat_ops.scene.ids import find_scene_id
from landsat_ops.scene.limits import check_tiff_dimensions, scratch_budget
from landsat_ops.scene.mtl import Metadata, parse_mtl
from landsat_ops.storage import is_s3, split_s3

__all__ = ["ArchiveContents", "ProgressFn", "extract_scene", "read_archive"]

_MIB = 1024 * 1024

ProgressFn = Callable[[str, int, int], None]


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
    scan = Scan()
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
    scan = Scan(budget=scratch_budget())
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


def _scan(
    archive: str,
    s3_client,
    scan: Scan,
    *,
    extract: Callable[[str], bool],
    into: Path | None,
    progress: ProgressFn | None,
) -> Scan:
    """One pass over the archive: list its regular files, read MTLs, extract what is asked."""
    step = "download" if is_s3(archive) else "extract"
    with open_tar(archive, s3_client) as (tar, position, total):
        try:
            for member in tar:
                if progress is not None:
                    progress(step, position() // _MIB, total // _MIB)
                name = PurePosixPath(member.name).name
                kind = member_kind(name)
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
                    scan.mtls[name] = read_small(tar, member, archive)
                    if scan.meta is None:  # absurd values refused before any band is written
                        scan.meta = parse_mtl(scan.mtls[name], f"{archive}/{member.name}")
                        recheck_caps(archive, scan, into)
                elif into is not None and extract(name):
                    extract_capped(archive, tar, member, name, kind[1], into, scan)
            check_complete(tar, seekable=not is_s3(archive))
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise unreadable(archive, why_unreadable(exc)) from None
    if progress is not None:
        progress(step, total // _MIB, total // _MIB)
    return scan


def _check(archive: str, scan: Scan, required: Iterable[int]) -> tuple[SceneFiles, str]:
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
