"""What a downloaded file must be before it is landed: content, size and checksum.

* a band or QA file is a whole TIFF: its magic (``II*``/``MM*``, or BigTIFF), then its whole
  structure (:func:`landsat_ops.scene.tiff.tiff_structure`: every IFD, tag and strip or tile,
  offset + byte count, inside the file; a truncated file always fails it, whatever its
  ``Content-Length`` said), no larger than any Landsat band, and a header GDAL can read; an
  HTML page (a login page served where a TIFF was expected) is named as such;
* the MTL parses (:func:`landsat_ops.scene.mtl.parse_mtl`: at most 1 MiB, every value within
  physical bounds) and names the expected product;
* the size equals the source's ``Content-Length`` (a truncated transfer) and the catalog's
  ``file:size`` when it has one;
* the digest equals the catalog's ``file:checksum`` when it has one: a multihash, sha2-256
  (``1220`` + 64 hex, Earth Search style) or sha2-512 (``1340`` + 128 hex, LandsatLook), read
  by :mod:`landsat_ops.storage.multihash`.
"""

from __future__ import annotations

from pathlib import Path

from landsat_ops.storage.multihash import file_digest, parse_multihash
from landsat_pipeline.sources.errors import SourceError

__all__ = ["VERIFIED", "check_download"]

VERIFIED = "tiff-structure+mtl-bounds/1"
"""What :func:`check_download` verifies, as the landing record notes it for each file: a file
recorded without it (landed by an earlier, weaker check) is not trusted as intact."""

_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip()[:15].lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def check_download(
    path: Path,
    *,
    asset: str,
    href: str,
    scene_id: str,
    content_length: int | None,
    size: int | None = None,
    checksum: str | None = None,
) -> None:
    """Raise :class:`SourceError` unless ``path`` is the asset the catalog describes.

    Parameters
    ----------
    path
        The downloaded file.
    asset
        The normalised asset key (``B1``..``B7``, ``QA``, ``MTL``).
    href
        Where it came from (for the message; its query string is never shown).
    scene_id
        The canonical product ID the MTL must name.
    content_length
        The source's ``Content-Length`` (or S3 ``ContentLength``), when it sent one.
    size, checksum
        The catalog's ``file:size`` and ``file:checksum``, when it has them.
    """
    actual = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(512)
    if _looks_like_html(head):
        raise SourceError(
            asset, href, "got an HTML page (a login page?)", _kind(asset) + ", not HTML"
        )
    if content_length is not None and actual != content_length:
        raise SourceError(
            asset, href, f"truncated: {actual} bytes", f"Content-Length {content_length} bytes"
        )
    if size is not None and actual != size:
        raise SourceError(asset, href, f"{actual} bytes", f"the catalog's file:size {size}")
    if checksum is not None:
        parsed = parse_multihash(checksum)
        if parsed is None:
            raise SourceError(
                asset,
                href,
                f"the catalog's file:checksum {checksum[:12]}... is unsupported",
                "a sha2-256 or sha2-512 multihash",
            )
        algorithm, digest = parsed
        got = file_digest(path, algorithm)
        if got != digest:
            raise SourceError(
                asset,
                href,
                f"{algorithm} {got[:16]}... does not match",
                f"the catalog's file:checksum {algorithm} {digest[:16]}...",
            )
    if asset == "MTL":
        _check_mtl(path, asset, href, scene_id)
    else:
        _check_tiff(path, head, asset, href)


def _kind(asset: str) -> str:
    return "an MTL file" if asset == "MTL" else "a GeoTIFF"


def _check_tiff(path: Path, head: bytes, asset: str, href: str) -> None:
    if not head.startswith(_TIFF_MAGIC):
        raise SourceError(asset, href, f"starts with {head[:8]!r}", "a TIFF (II*/MM* magic)")
    import rasterio
    from rasterio.errors import RasterioError

    from landsat_ops.errors import LandsatOpsError
    from landsat_ops.scene.limits import check_tiff_dimensions

    try:  # the whole structure, from the header alone: nothing decoded
        check_tiff_dimensions(path, None, asset)
    except LandsatOpsError as exc:
        problem = str(exc).removeprefix(f"{path}: ")[:200]
        raise SourceError(asset, href, problem, "a whole GeoTIFF") from None
    try:
        with rasterio.open(path) as dataset:
            if dataset.count < 1 or dataset.width < 1 or dataset.height < 1:
                raise SourceError(asset, href, "holds no raster band", "a GeoTIFF band")
    except RasterioError as exc:
        problem = str(exc).splitlines()[0][:160] if str(exc) else "unreadable header"
        raise SourceError(asset, href, f"unreadable TIFF ({problem})", "a GeoTIFF") from None


def _check_mtl(path: Path, asset: str, href: str, scene_id: str) -> None:
    from landsat_ops.errors import LandsatOpsError
    from landsat_ops.scene.mtl import parse_mtl

    try:
        metadata = parse_mtl(path.read_bytes(), path.name)
    except LandsatOpsError as exc:
        problem = str(exc).splitlines()[0][:160]
        raise SourceError(asset, href, f"does not parse ({problem})", "an MTL file") from None
    if str(metadata.scene_id) != scene_id:
        raise SourceError(
            asset, href, f"is the MTL of {metadata.scene_id}", f"the MTL of {scene_id}"
        )
