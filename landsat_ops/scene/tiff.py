"""A TIFF's structure read from its header, in pure Python: nothing is decoded or allocated.

:func:`tiff_structure` walks every IFD of a classic TIFF or a BigTIFF (the image, its
overviews and masks) and checks that the file holds what the header says: every tag's data,
every strip or tile (offset + byte count) lies inside the file, there are as many blocks as
the image's size and block size call for, and an uncompressed block is as long as its pixels.
A file cut short (a truncated download or archive member) always fails it: its last bytes
belonged to some block or tag. It reads a few KB, whatever the size the header claims, so a
header claiming 100000 x 100000 pixels is refused before any pixel buffer exists.

Errors are :class:`~landsat_ops.errors.RasterError` naming the file and what is wrong, on one
line. Standard library only.
"""

from __future__ import annotations

import array
import dataclasses
import os
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from landsat_ops.errors import RasterError

__all__ = ["MAX_BLOCKS", "MAX_IFDS", "TiffImage", "tiff_structure"]

MAX_IFDS = 64
"""IFDs followed at most (a Landsat band has one; with overviews and masks, a handful)."""

MAX_BLOCKS = 1_000_000
"""Strips or tiles of one IFD at most (a full Landsat band in 256 px tiles has ~1000)."""

_TYPE_SIZES = {
    1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4,
    16: 8, 17: 8, 18: 8,
}  # fmt: skip
_UNSIGNED = {1: "B", 3: "H", 4: "I", 13: "I", 16: "Q", 18: "Q"}
_WIDTH, _LENGTH, _BITS, _COMPRESSION = 256, 257, 258, 259
_STRIP_OFFSETS, _SAMPLES, _ROWS_PER_STRIP, _STRIP_COUNTS, _PLANAR = 273, 277, 278, 279, 284
_TILE_WIDTH, _TILE_LENGTH, _TILE_OFFSETS, _TILE_COUNTS = 322, 323, 324, 325
_WANTED = {
    _WIDTH, _LENGTH, _BITS, _COMPRESSION, _STRIP_OFFSETS, _SAMPLES, _ROWS_PER_STRIP,
    _STRIP_COUNTS, _PLANAR, _TILE_WIDTH, _TILE_LENGTH, _TILE_OFFSETS, _TILE_COUNTS,
}  # fmt: skip


@dataclass(frozen=True)
class TiffImage:
    """The first image (IFD) of a TIFF, as its header describes it.

    Attributes
    ----------
    width, height : int
        Pixels.
    samples : int
        Samples per pixel (bands).
    bits : int
        Bits per sample (of the first sample).
    compression : int
        The TIFF compression code (1: none, 8: deflate, 50000: zstd, ...).
    tiled : bool
        Tiles (True) or strips.
    ifds : int
        IFDs in the file (the image, overviews, masks).
    size : int
        The file's size in bytes.
    """

    width: int
    height: int
    samples: int
    bits: int
    compression: int
    tiled: bool
    ifds: int
    size: int

    @property
    def sample_bytes(self) -> int:
        """Bytes of one sample (2 for uint16)."""
        return max(1, (self.bits + 7) // 8)


class _Reader:
    def __init__(self, fh, path: str, size: int):
        self.fh, self.path, self.size = fh, path, size
        head = self._read(0, 16, "the header")
        order = head[:2]
        if order not in (b"II", b"MM"):
            self.fail(f"starts with {head[:4]!r}, not a TIFF (expected II*/MM* magic)")
        self.endian = "<" if order == b"II" else ">"
        magic = struct.unpack(self.endian + "H", head[2:4])[0]
        if magic == 42:
            self.big = False
            self.first = struct.unpack(self.endian + "I", head[4:8])[0]
        elif magic == 43:
            self.big = True
            bytesize, zero = struct.unpack(self.endian + "HH", head[4:8])
            if len(head) < 16 or bytesize != 8 or zero != 0:
                self.fail("damaged BigTIFF header")
            self.first = struct.unpack(self.endian + "Q", head[8:16])[0]
        else:
            self.fail(f"TIFF magic number {magic} (expected 42, or 43 for BigTIFF)")
        self.count_fmt, self.entry_size, self.offset_fmt = (
            ("Q", 20, "Q") if self.big else ("H", 12, "I")
        )
        self.inline = 8 if self.big else 4

    def fail(self, why: str):
        raise RasterError(f"{self.path}: {why}")

    def _read(self, offset: int, length: int, what: str) -> bytes:
        if offset < 0 or length < 0 or offset + length > self.size:
            self.fail(
                f"truncated or damaged: {what} at bytes {offset:,}-{offset + length:,} lies "
                f"beyond the end of the file ({self.size:,} bytes)"
            )
        self.fh.seek(offset)
        data = self.fh.read(length)
        if len(data) != length:
            self.fail(f"truncated: {what} ends at byte {offset + len(data):,} of {self.size:,}")
        return data

    def ifd(self, offset: int, number: int) -> tuple[dict[int, tuple], int]:
        """``{tag: (type, count, inline bytes, or None and the data's offset)}`` and the next
        IFD's offset."""
        where = f"IFD {number}"
        if offset < 8:
            self.fail(f"{where} at byte {offset} lies inside the header")
        counter = struct.calcsize(self.count_fmt)
        entries = struct.unpack(self.endian + self.count_fmt, self._read(offset, counter, where))[0]
        if entries == 0:
            self.fail(f"{where} holds no tags")
        body = self._read(
            offset + counter, entries * self.entry_size + struct.calcsize(self.offset_fmt), where
        )
        tags: dict[int, tuple] = {}
        entry_fmt = self.endian + ("HHQ8s" if self.big else "HHI4s")
        for i in range(entries):
            tag, kind, count, value = struct.unpack_from(entry_fmt, body, i * self.entry_size)
            length = count * _TYPE_SIZES.get(kind, 1)
            data_offset = 0
            if length > self.inline:  # the data lies elsewhere in the file: it must be there
                data_offset = struct.unpack(self.endian + self.offset_fmt, value)[0]
                if data_offset + length > self.size:
                    self.fail(
                        f"truncated or damaged: the data of tag {tag} in {where} (bytes "
                        f"{data_offset:,}-{data_offset + length:,}) lies beyond the end of the "
                        f"file ({self.size:,} bytes)"
                    )
            if tag in _WANTED:
                inline = value[:length] if length <= self.inline else None
                tags[tag] = (kind, count, inline, data_offset)
        next_offset = struct.unpack_from(
            self.endian + self.offset_fmt, body, entries * self.entry_size
        )[0]
        return tags, next_offset

    def values(self, tags, tag: int, what: str, limit: int = MAX_BLOCKS) -> array.array:
        kind, count, value, data_offset = tags[tag]
        code = _UNSIGNED.get(kind)
        if code is None:
            self.fail(f"{what} has TIFF type {kind} (expected an unsigned integer)")
        if count > limit:
            self.fail(f"{what} lists {count:,} values (at most {limit:,} expected)")
        if value is None:
            value = self._read(data_offset, count * _TYPE_SIZES[kind], what)
        values = array.array(code)
        values.frombytes(value)
        if (self.endian == "<") != (sys.byteorder == "little"):
            values.byteswap()
        return values

    def number(self, tags, tag: int, what: str, default: int | None = None) -> int:
        if tag not in tags:
            if default is None:
                self.fail(f"no {what} tag (a TIFF image needs one)")
            return default
        values = self.values(tags, tag, what, limit=64)
        if not values:
            self.fail(f"{what} tag holds no value")
        return int(values[0])


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _check_ifd(reader: _Reader, tags, number: int) -> TiffImage:
    where = f"IFD {number}"
    width = reader.number(tags, _WIDTH, f"ImageWidth ({where})")
    height = reader.number(tags, _LENGTH, f"ImageLength ({where})")
    if width < 1 or height < 1:
        reader.fail(f"{where} is {width}x{height} pixels (expected at least 1x1)")
    samples = reader.number(tags, _SAMPLES, "SamplesPerPixel", default=1)
    bits = reader.number(tags, _BITS, "BitsPerSample", default=1)
    compression = reader.number(tags, _COMPRESSION, "Compression", default=1)
    planar = reader.number(tags, _PLANAR, "PlanarConfiguration", default=1)
    if samples < 1 or not 1 <= bits <= 64:
        reader.fail(f"{where} has {samples} samples of {bits} bits (expected 1+ of 1-64 bits)")
    planes = samples if planar == 2 else 1
    pixel_bits = bits * (1 if planar == 2 else samples)
    tiled = _TILE_OFFSETS in tags or _TILE_WIDTH in tags
    if tiled:
        block_w = reader.number(tags, _TILE_WIDTH, "TileWidth")
        block_h = reader.number(tags, _TILE_LENGTH, "TileLength")
        if block_w < 1 or block_h < 1:
            reader.fail(f"{where} has {block_w}x{block_h} tiles (expected at least 1x1)")
        blocks = _ceil_div(width, block_w) * _ceil_div(height, block_h) * planes
        offsets_tag, counts_tag, kind = _TILE_OFFSETS, _TILE_COUNTS, "tile"
    else:
        rows = reader.number(tags, _ROWS_PER_STRIP, "RowsPerStrip", default=height)
        block_w, block_h = width, max(1, min(rows, height))
        blocks = _ceil_div(height, block_h) * planes
        offsets_tag, counts_tag, kind = _STRIP_OFFSETS, _STRIP_COUNTS, "strip"
    if blocks > MAX_BLOCKS:
        reader.fail(
            f"{where} claims {width:,}x{height:,} pixels in {blocks:,} {kind}s "
            f"(at most {MAX_BLOCKS:,} expected)"
        )
    for tag, what in ((offsets_tag, f"{kind} offsets"), (counts_tag, f"{kind} byte counts")):
        if tag not in tags:
            reader.fail(f"{where} has no {what}")
    offsets = reader.values(tags, offsets_tag, f"{kind} offsets ({where})")
    counts = reader.values(tags, counts_tag, f"{kind} byte counts ({where})")
    if len(offsets) != blocks or len(counts) != blocks:
        reader.fail(
            f"{where} lists {len(offsets):,} {kind} offsets and {len(counts):,} byte counts "
            f"(expected {blocks:,} for {width}x{height} pixels in {block_w}x{block_h} {kind}s)"
        )
    row_bytes = _ceil_div(block_w * pixel_bits, 8)
    per_plane = blocks // planes
    per_row = _ceil_div(width, block_w) if tiled else 1
    for index, (offset, count) in enumerate(zip(offsets, counts, strict=True)):
        if count == 0:
            continue  # an empty (sparse) block, as GDAL's SPARSE_OK writes: read as nodata
        if offset < 8 or offset + count > reader.size:
            reader.fail(
                f"truncated or damaged: {kind} {index} of {where} (bytes {offset:,}-"
                f"{offset + count:,}) lies beyond the end of the file ({reader.size:,} bytes)"
            )
        if compression == 1:  # uncompressed: the block holds all its pixels
            block_row = (index % per_plane) // per_row
            rows_here = block_h if tiled else min(block_h, height - block_row * block_h)
            needed = row_bytes * rows_here
            if count < needed:
                reader.fail(
                    f"{kind} {index} of {where} is {count:,} bytes, an uncompressed "
                    f"{block_w}x{rows_here} block needs {needed:,}"
                )
    return TiffImage(
        width=width,
        height=height,
        samples=samples,
        bits=bits,
        compression=compression,
        tiled=tiled,
        ifds=1,
        size=reader.size,
    )


def tiff_structure(path: str | os.PathLike) -> TiffImage:
    """Check a TIFF's whole structure (see the module doc) and describe its first image.

    Raises
    ------
    RasterError
        The file is missing, not a TIFF, or its header, tags or blocks are not all inside it
        (one line naming the file and the first problem found).
    """
    path = str(path)
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise RasterError(f"{path}: cannot read ({exc.strerror})") from None
    with fh:
        reader = _Reader(fh, path, os.fstat(fh.fileno()).st_size)
        offset, number, seen, first = reader.first, 0, set(), None
        while offset:
            if offset in seen:
                reader.fail(f"IFD {number} points back to an earlier IFD (a loop)")
            if number >= MAX_IFDS:
                reader.fail(f"more than {MAX_IFDS} IFDs")
            seen.add(offset)
            tags, offset = reader.ifd(offset, number)
            image = _check_ifd(reader, tags, number)
            first = first or image
            number += 1
        if first is None:
            reader.fail("holds no image (the first IFD offset is 0)")
    return dataclasses.replace(first, ifds=number)


def _main(argv: list[str]) -> int:  # python -m landsat_ops.scene.tiff FILE...: a quick check
    status = 0
    for name in argv:
        try:
            print(name, tiff_structure(Path(name)))
        except RasterError as exc:
            print(exc, file=sys.stderr)
            status = 2
    return status


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
