"""Which members of an archive a consumer keeps, and the caps each is held to while written.

:func:`member_wanted` keeps the bands asked for, the QA band and the MTL (a pre-filter on the
name's ending). A band or QA member may hold at most the bytes the MTL declares for it
(:func:`landsat_ops.scene.limits.member_cap`; the largest Landsat band before the MTL is met),
and all one extraction writes is held to the scratch budget: checked against the member's tar
header, and again while it is written (:func:`extract_capped`).
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from landsat_ops.errors import SceneError
from landsat_ops.scene.archive.tar import STREAM_CHUNK
from landsat_ops.scene.limits import band_grid, check_tiff_dimensions, declared_size, member_cap
from landsat_ops.scene.mtl import Metadata
from landsat_ops.storage import is_s3

__all__ = [
    "ALL_BANDS",
    "ARCHIVE_SUFFIXES",
    "Scan",
    "cap_of",
    "extract_capped",
    "is_archive",
    "member_kind",
    "member_wanted",
    "recheck_caps",
]

ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz")
"""Name endings (any case) of a product archive: EarthExplorer's ``.tar``, older ``.tar.gz``."""

ALL_BANDS = tuple(range(1, 12))
"""Every band number a Landsat 8/9 product may hold (OLI B1-B9, TIRS B10-B11)."""


def is_archive(scene: str | os.PathLike) -> bool:
    """True when ``scene`` names a product archive: an ``s3://`` key or a path (not a folder)
    ending in ``.tar``, ``.tar.gz`` or ``.tgz``."""
    text = str(scene)
    if not text.lower().endswith(ARCHIVE_SUFFIXES):
        return False
    return is_s3(text) or not Path(text).is_dir()


def member_kind(name: str) -> tuple[str, int | None] | None:
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
    kind = member_kind(PurePosixPath(name).name)
    if kind is None:
        return False
    what, band = kind
    if what == "band":
        return band in set(bands)
    return qa if what == "qa" else mtl


@dataclass
class Scan:
    """What one pass over an archive met so far, and what its extraction wrote."""

    members: dict[str, str] = field(default_factory=dict)  # bare name -> member path
    mtls: dict[str, bytes] = field(default_factory=dict)  # bare name -> content
    extracted: list[str] = field(default_factory=list)
    bands: dict[str, int | None] = field(default_factory=dict)  # extracted name -> band
    meta: Metadata | None = None  # the first MTL met, parsed: it sets the members' caps
    budget: int = 0  # bytes all extracted members may take together
    written: int = 0  # bytes extracted so far


def cap_of(scan: Scan, band: int | None) -> tuple[int, str]:
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


def extract_capped(
    archive: str,
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    name: str,
    band: int | None,
    into: Path,
    scan: Scan,
) -> None:
    """Write one member as ``into/name``, held to its cap and to the scratch budget: checked
    against its tar header first, then while writing (never more than the cap is written).

    ``name`` is the member's bare file name (no ``/``; ``member_kind`` accepted it) and the member
    a regular file, so nothing lands outside ``into``; an existing link there is not followed.
    """
    cap, why = cap_of(scan, band)
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
            while chunk := source.read(STREAM_CHUNK):
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


def recheck_caps(archive: str, scan: Scan, into: Path | None) -> None:
    """Hold the members extracted before the MTL was met to the caps it declares."""
    for name in scan.extracted:
        cap, why = cap_of(scan, scan.bands[name])
        size = (into / name).stat().st_size
        if size > cap:
            raise _too_large(archive, scan.members[name], f"{size:,}", cap, why)
