"""An MTL by its file name: the parser of its suffix, its size cap, and whether it belongs.

:func:`parse_mtl` (content, e.g. an S3 object body) and :func:`read_mtl` (a local file) refuse
an MTL larger than :data:`~landsat_ops.scene.limits.MTL_MAX_BYTES` unread;
:func:`check_mtl_belongs` holds it to the band files of its folder.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from landsat_ops.errors import MetadataError
from landsat_ops.scene.limits import MTL_MAX_BYTES
from landsat_ops.scene.mtl.formats import parse_mtl_json, parse_mtl_text, parse_mtl_xml
from landsat_ops.scene.mtl.metadata import Metadata

__all__ = ["check_mtl_belongs", "parse_mtl", "read_mtl"]

_PARSERS = {".txt": parse_mtl_text, ".json": parse_mtl_json, ".xml": parse_mtl_xml}


def _parser_for(name: str) -> Any:
    """The parser for the suffix of ``name``; MetadataError for an unknown suffix."""
    suffix = Path(name).suffix.lower()
    if suffix not in _PARSERS:
        raise MetadataError(
            f"{name}: unknown MTL format {suffix or '(no suffix)'} "
            "(expected a .txt, .json or .xml file)"
        )
    return _PARSERS[suffix]


def parse_mtl(data: str | bytes, name: str) -> Metadata:
    """Parse MTL content, choosing the format from the suffix of ``name``.

    Parameters
    ----------
    data : str or bytes
        The file content, e.g. an S3 object body.
    name : str
        The file name, path or URI (``.txt``, ``.json`` or ``.xml``, any case); also used in
        error messages.

    Returns
    -------
    Metadata

    Raises
    ------
    MetadataError
        If the suffix is unknown or the content does not parse.
    """
    parser = _parser_for(name)
    if len(data) > MTL_MAX_BYTES:
        raise MetadataError(_too_large(name, len(data)))
    return parser(data, name)


def _too_large(name: str, size: int) -> str:
    return (
        f"{name}: {size:,} bytes, too large for an MTL file (at most {MTL_MAX_BYTES:,}; "
        "real ones are 7-25 KB)"
    )


def read_mtl(path: str | Path) -> Metadata:
    """Read and parse an MTL file (``.txt``, ``.json`` or ``.xml``).

    Parameters
    ----------
    path : str or Path
        The local MTL file.

    Returns
    -------
    Metadata

    Raises
    ------
    MetadataError
        If the file cannot be read, has an unknown suffix, or does not parse.
    """
    path = Path(path)
    parser = _parser_for(str(path))
    try:
        with open(path, "rb") as fh:
            data = fh.read(MTL_MAX_BYTES + 1)
    except OSError as exc:
        raise MetadataError(
            f"{path}: cannot read the MTL file: {exc.strerror} (expected a readable file)"
        ) from None
    if len(data) > MTL_MAX_BYTES:
        raise MetadataError(_too_large(str(path), path.stat().st_size))
    return parser(data, str(path))


def _ids_in(raw: Mapping[str, Any]) -> Iterable[str]:
    """Every ``LANDSAT_PRODUCT_ID`` / ``LANDSAT_SCENE_ID`` value in a parsed MTL."""
    for key, value in raw.items():
        if isinstance(value, Mapping):
            yield from _ids_in(value)
        elif key in ("LANDSAT_PRODUCT_ID", "LANDSAT_SCENE_ID") and isinstance(value, str):
            yield value.strip().strip('"')


def check_mtl_belongs(meta: Metadata, files: Any) -> None:
    """Refuse an MTL that does not describe these band files, before any band is decoded.

    Its product or scene ID must be the band files' ID (else
    :class:`~landsat_ops.errors.MetadataError` naming both IDs), and every local band and QA
    file must be a whole TIFF no larger than the MTL declares
    (:func:`landsat_ops.scene.limits.check_band_dimensions`: a
    :class:`~landsat_ops.errors.RasterError` naming the file, from its header alone).
    ``files`` is the :class:`~landsat_ops.scene.files.SceneFiles` of the folder.
    """
    band_id = files.scene_id.scene_id
    ids = {meta.scene_id.scene_id, *_ids_in(meta.raw)}
    if band_id not in ids:
        mtl = getattr(files, "mtl", None)
        raise MetadataError(
            f"{mtl.name if mtl else 'MTL'}: LANDSAT_PRODUCT_ID {meta.scene_id.scene_id} is not "
            f"the band files' ID {band_id} (expected the MTL of the same scene)"
        )
    from landsat_ops.scene.limits import check_band_dimensions

    check_band_dimensions(meta, files)
