"""Input sanity before any heavy work: what an MTL may declare, and what its bands may be.

A product is refused before anything is decoded when its inputs are not what a Landsat
product can be (each refusal one line naming the file, exit 2 in the CLI, nothing published):

* **The MTL itself** (:mod:`landsat_ops.scene.mtl`): at most :data:`MTL_MAX_BYTES`; every
  number finite; calibration and geometry within physical bounds (``REFLECTANCE_MULT`` in
  (0, 1e-3], sun elevation in [-90, 90], ...; see ``mtl.bounds.MTL_BOUNDS``); image sizes at most
  :data:`MAX_SIDE` pixels a side.
* **Archive members** (:mod:`landsat_ops.scene.archive`): a band or QA member may hold at most
  :func:`member_cap` bytes, from the size the MTL declares for it (``REFLECTIVE_SAMPLES x
  REFLECTIVE_LINES`` x 2 bytes, plus half of that and 1 MiB for the TIFF's header, tags and
  internal overviews: compressed bands are smaller, uncompressed ones just over the pixels);
  a member met before the MTL is held to the largest size any Landsat band may have. All that
  one extraction writes together is held to the scratch budget (:func:`scratch_budget`,
  ``LANDSAT_OPS_SCRATCH_BUDGET``, default :data:`DEFAULT_SCRATCH_BUDGET`). Both are enforced
  while the member is written: a decompression bomb stops at its cap, not at the disk's end.
* **Band files** (:func:`check_band_dimensions`): a TIFF's whole structure must be inside the
  file (:func:`landsat_ops.scene.tiff.tiff_structure`) and its size no larger than the MTL
  declares (equal for a product as USGS delivers it; a crop or a reduced copy, as in the test
  data sets, is smaller): a header claiming 100000 x 100000 pixels fails in one line, read
  from the header alone, without a pixel buffer.

Standard library only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from landsat_ops.errors import OptionError, RasterError

__all__ = [
    "DEFAULT_SCRATCH_BUDGET",
    "MAX_SIDE",
    "MTL_MAX_BYTES",
    "SAMPLE_BYTES",
    "band_grid",
    "check_band_dimensions",
    "check_tiff_dimensions",
    "declared_size",
    "member_cap",
    "scratch_budget",
]

_MIB = 1024 * 1024

MTL_MAX_BYTES = _MIB
"""An MTL larger than this is refused (real ones, txt, json or xml, are 7-25 KB)."""

MAX_SIDE = {"REFLECTIVE": 16_000, "THERMAL": 16_000, "PANCHROMATIC": 32_000}
"""The most lines or samples an MTL may declare per grid (real products: ~7000-9100 for the
30 m grids, twice that for the 15 m panchromatic band)."""

SAMPLE_BYTES = 2
"""Bytes per sample of every Landsat 8/9 band and QA band (uint16)."""

DEFAULT_SCRATCH_BUDGET = 2 * 1024 * _MIB
"""Bytes one archive extraction may write in all (``LANDSAT_OPS_SCRATCH_BUDGET``): the
B1-B7 and QA bands of the largest real product, uncompressed, take ~1.3 GB."""

_GROUPS = (  # where the sizes live: Collection 2, then pre-collection and Collection 1
    "PROJECTION_ATTRIBUTES",
    "PRODUCT_METADATA",
    "LEVEL1_PROJECTION_PARAMETERS",
)
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


def band_grid(band: int | str | None) -> str:
    """The MTL grid of a band: ``PANCHROMATIC`` (B8), ``THERMAL`` (B10, B11) or
    ``REFLECTIVE`` (the others and the QA band, ``None`` or ``"QA"``)."""
    if band == 8:
        return "PANCHROMATIC"
    if band in (10, 11):
        return "THERMAL"
    return "REFLECTIVE"


def declared_size(meta: Any, grid: str) -> tuple[int, int] | None:
    """``(samples, lines)`` the MTL declares for ``grid``, or None when it declares none.

    ``meta`` is a :class:`~landsat_ops.scene.mtl.Metadata` or its ``raw`` tree.
    """
    raw = getattr(meta, "raw", meta)
    if not isinstance(raw, Mapping) or not raw:
        return None
    body = next(iter(raw.values()))
    if not isinstance(body, Mapping):
        return None
    for name in _GROUPS:
        group = body.get(name)
        if not isinstance(group, Mapping):
            continue
        samples, lines = group.get(f"{grid}_SAMPLES"), group.get(f"{grid}_LINES")
        if isinstance(samples, int) and isinstance(lines, int):
            return samples, lines
    return None


def member_cap(size: tuple[int, int] | None, grid: str = "REFLECTIVE") -> int:
    """The most bytes a band file of ``size`` (samples, lines) may hold: its pixels as
    uint16, plus half of that and 1 MiB (header, tags, internal overviews). Without a
    declared size, the cap of the largest size a Landsat band may have (:data:`MAX_SIDE`)."""
    samples, lines = size if size is not None else (MAX_SIDE[grid], MAX_SIDE[grid])
    pixels = samples * lines * SAMPLE_BYTES
    return pixels + pixels // 2 + _MIB


def scratch_budget() -> int:
    """Bytes one extraction may write in all: ``LANDSAT_OPS_SCRATCH_BUDGET`` (bytes, or with
    a K/M/G/T suffix in powers of 1024: ``2G``, ``512MiB``), default 2 GiB.

    Raises
    ------
    OptionError
        The variable is set to something else than a positive size.
    """
    value = os.environ.get("LANDSAT_OPS_SCRATCH_BUDGET", "").strip()
    if not value:
        return DEFAULT_SCRATCH_BUDGET
    match = _SIZE_RE.match(value)
    budget = 0
    if match:
        power = " KMGT".index(match.group(2).upper() or " ")
        budget = int(float(match.group(1)) * 1024**power)
    if budget < 1:
        raise OptionError(
            f"LANDSAT_OPS_SCRATCH_BUDGET: expected a size in bytes like 2G, 512M or "
            f"2147483648, got {value!r}"
        )
    return budget


def check_tiff_dimensions(path: str | os.PathLike, meta: Any, band: int | str | None) -> None:
    """Check one band or QA file: its whole TIFF structure, one 16-bit sample per pixel, and
    no more pixels than the MTL (``meta``, may be None) declares for its grid.

    Raises
    ------
    RasterError
        One line naming the file and what is wrong; only the header was read.
    """
    from landsat_ops.scene.tiff import tiff_structure

    image = tiff_structure(path)
    if image.samples != 1 or image.bits != 8 * SAMPLE_BYTES:
        raise RasterError(
            f"{path}: {image.samples} sample(s) of {image.bits} bits per pixel "
            "(expected one 16-bit sample, as every Landsat band)"
        )
    grid = band_grid(band)
    size = declared_size(meta, grid) if meta is not None else None
    if size is None:
        most = MAX_SIDE[grid]
        if image.width > most or image.height > most:
            raise RasterError(
                f"{path}: {image.width:,}x{image.height:,} pixels, larger than any Landsat "
                f"band ({most:,} a side at most)"
            )
        return
    samples, lines = size
    if image.width > samples or image.height > lines:
        raise RasterError(
            f"{path}: {image.width:,}x{image.height:,} pixels, more than the MTL declares "
            f"({samples:,}x{lines:,}, {grid}_SAMPLES x {grid}_LINES)"
        )


def check_band_dimensions(meta: Any, files: Any) -> None:
    """:func:`check_tiff_dimensions` for every band and the QA file of a local
    :class:`~landsat_ops.scene.files.SceneFiles` (files not on this machine are skipped:
    they are checked where they are downloaded)."""
    entries: list[tuple[int | str, Path]] = list(getattr(files, "bands", {}).items())
    if getattr(files, "qa", None) is not None:
        entries.append(("QA", files.qa))
    for band, path in entries:
        if Path(path).is_file():
            check_tiff_dimensions(path, meta, band)
