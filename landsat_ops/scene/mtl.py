"""MTL metadata of any generation: :class:`Metadata`, :func:`read_mtl`, the ``parse_mtl*`` parsers.

An MTL file of any generation (pre-collection, Collection 1, Collection 2 Level-1 and Level-2)
in its ODL text, JSON or XML form is parsed into :class:`Metadata`. Pure Python (standard
library only).

What parses is also sane (:mod:`landsat_ops.scene.limits`): an MTL larger than
:data:`~landsat_ops.scene.limits.MTL_MAX_BYTES` is refused unread, every number in it must be
finite, and the values rendering and extraction rely on must lie within physical bounds
(:data:`_BOUNDS`: ``REFLECTANCE_MULT_BAND_n`` in (0, 1e-3], ``SUN_ELEVATION`` in [-90, 90],
image sizes at most :data:`~landsat_ops.scene.limits.MAX_SIDE`, ...). Every real MTL of every
generation passes; ``REFLECTANCE_MULT_BAND_4 = 1e308`` is one :class:`MetadataError` line.
"""

from __future__ import annotations

import datetime
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from landsat_ops.errors import MetadataError, SceneError
from landsat_ops.scene.ids import SceneId, parse_scene_id
from landsat_ops.scene.limits import MAX_SIDE, MTL_MAX_BYTES

__all__ = [
    "Metadata",
    "check_mtl_belongs",
    "parse_mtl",
    "parse_mtl_json",
    "parse_mtl_text",
    "parse_mtl_xml",
    "read_mtl",
]


_TOP_GROUPS = ("L1_METADATA_FILE", "LANDSAT_METADATA_FILE")
_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_TIME_RE = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z?")
_BAND_KEY_RE = re.compile(r"REFLECTANCE_(MULT|ADD)_BAND_(\d+)")

# Where each field lives, by generation: (group, key), first found wins.
_ID_KEYS = (
    ("PRODUCT_CONTENTS", "LANDSAT_PRODUCT_ID"),  # Collection 2
    ("METADATA_FILE_INFO", "LANDSAT_PRODUCT_ID"),  # Collection 1
    ("METADATA_FILE_INFO", "LANDSAT_SCENE_ID"),  # pre-collection
)
_ATTRIBUTE_GROUPS = ("IMAGE_ATTRIBUTES", "PRODUCT_METADATA")
_PROJECTION_GROUPS = (
    "PROJECTION_ATTRIBUTES",
    "PROJECTION_PARAMETERS",
    "LEVEL1_PROJECTION_PARAMETERS",
)
_TOA_GROUPS = ("LEVEL1_RADIOMETRIC_RESCALING", "RADIOMETRIC_RESCALING")
_SR_GROUP = "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS"


@dataclass(frozen=True)
class Metadata:
    """The fields of an MTL file that rendering needs, plus the whole parsed file.

    Attributes
    ----------
    scene_id : SceneId
        From ``LANDSAT_PRODUCT_ID`` (Collection 1/2) or ``LANDSAT_SCENE_ID`` (pre-collection).
    spacecraft : str
        ``SPACECRAFT_ID``, e.g. ``"LANDSAT_8"``.
    acquired : datetime.datetime
        ``DATE_ACQUIRED`` + ``SCENE_CENTER_TIME`` (midnight if absent), timezone-aware UTC.
    cloud_cover, cloud_cover_land : float or None
        Percentages; None when absent or -1 (unknown).
    sun_azimuth, sun_elevation : float or None
        Degrees.
    reflectance_mult, reflectance_add : dict[int, float]
        Level-1 top-of-atmosphere rescaling per band (``REFLECTANCE_MULT_BAND_n``).
    sr_mult, sr_add : dict[int, float]
        Level-2 surface reflectance scaling per band (2.75e-05 and -0.2); empty for Level-1.
    utm_zone : int or None
        None for polar stereographic scenes.
    map_projection : str or None
        ``"UTM"`` or ``"PS"``.
    raw : dict
        The whole file: ``{"GROUP": {"KEY": value, "SUBGROUP": {...}}}``. Numbers are int or
        float; everything else (including dates) is str.
    """

    scene_id: SceneId
    spacecraft: str
    acquired: datetime.datetime
    cloud_cover: float | None = None
    cloud_cover_land: float | None = None
    sun_azimuth: float | None = None
    sun_elevation: float | None = None
    reflectance_mult: dict[int, float] = field(default_factory=dict)
    reflectance_add: dict[int, float] = field(default_factory=dict)
    sr_mult: dict[int, float] = field(default_factory=dict)
    sr_add: dict[int, float] = field(default_factory=dict)
    utm_zone: int | None = None
    map_projection: str | None = None
    raw: dict = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-serialisable dict (dates as ISO strings, no ``raw``).

        Band-keyed dicts get string keys (``"4"``), as JSON would give them.
        """
        sid = self.scene_id
        return {
            "scene_id": sid.scene_id,
            "scene": {
                "sensor": sid.sensor,
                "satellite": sid.satellite,
                "path": sid.path,
                "row": sid.row,
                "acquired": sid.acquired.isoformat(),
                "processing_level": sid.processing_level,
                "level": sid.level,
                "processed": sid.processed.isoformat() if sid.processed else None,
                "collection": sid.collection,
                "category": sid.category,
                "station": sid.station,
                "version": sid.version,
            },
            "spacecraft": self.spacecraft,
            "acquired": self.acquired.isoformat(),
            "cloud_cover": self.cloud_cover,
            "cloud_cover_land": self.cloud_cover_land,
            "sun_azimuth": self.sun_azimuth,
            "sun_elevation": self.sun_elevation,
            "reflectance_mult": {str(b): v for b, v in self.reflectance_mult.items()},
            "reflectance_add": {str(b): v for b, v in self.reflectance_add.items()},
            "sr_mult": {str(b): v for b, v in self.sr_mult.items()},
            "sr_add": {str(b): v for b, v in self.sr_add.items()},
            "utm_zone": self.utm_zone,
            "map_projection": self.map_projection,
        }


def _scalar(text: str) -> int | float | str:
    """Turn an unquoted value into int or float when it is a number, else keep the str.

    An integer of more than 30 digits becomes a float (Python refuses to parse integers of
    over 4300 digits; the bounds check then refuses an infinite or absurd value)."""
    if _INT_RE.fullmatch(text):
        return int(text) if len(text) <= 30 else float(text)
    if _FLOAT_RE.fullmatch(text):
        return float(text)
    return text


def _decode(data: str | bytes, source: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MetadataError(
            f"{source}: not UTF-8 text at byte {exc.start} (expected an MTL text file)"
        ) from None


def _parse_odl(text: str, source: str) -> dict[str, Any]:
    """Parse ODL ``GROUP = X / KEY = VALUE / END_GROUP = X [/ END]`` into nested dicts."""
    root: dict[str, Any] = {}
    stack: list[tuple[str, dict[str, Any]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped == "END":
            break
        key, sep, value = (part.strip() for part in stripped.partition("="))
        if not sep or not key:
            raise MetadataError(
                f"{source}: line {number} {stripped[:60]!r} is not KEY = VALUE "
                "(expected an ODL MTL text file)"
            )
        if key == "GROUP":
            group: dict[str, Any] = {}
            (stack[-1][1] if stack else root)[value] = group
            stack.append((value, group))
        elif key == "END_GROUP":
            if not stack or stack[-1][0] != value:
                open_group = stack[-1][0] if stack else "no open group"
                raise MetadataError(
                    f"{source}: line {number} closes group {value} "
                    f"(expected END_GROUP = {open_group})"
                )
            stack.pop()
        elif not stack:
            raise MetadataError(
                f"{source}: line {number} {key} is outside any GROUP "
                "(expected GROUP = L1_METADATA_FILE or LANDSAT_METADATA_FILE first)"
            )
        elif value.startswith('"'):
            if len(value) < 2 or not value.endswith('"'):
                raise MetadataError(
                    f"{source}: line {number} {key} has an unterminated string "
                    '(expected KEY = "text")'
                )
            stack[-1][1][key] = value[1:-1]
        else:
            stack[-1][1][key] = _scalar(value)
    if stack:
        raise MetadataError(
            f"{source}: truncated, group {stack[-1][0]} is not closed "
            f"(expected END_GROUP = {stack[-1][0]})"
        )
    return root


def _coerce_tree(node: Any, source: str) -> Any:
    """Convert the leaves of a JSON/XML tree: numeric strings to numbers, nulls to ''."""
    if isinstance(node, dict):
        return {key: _coerce_tree(value, source) for key, value in node.items()}
    if isinstance(node, str):
        return _scalar(node.strip())
    if node is None:
        return ""
    if isinstance(node, bool) or not isinstance(node, int | float):
        raise MetadataError(
            f"{source}: unexpected value {node!r} (expected numbers, strings and groups)"
        )
    return node


def _xml_tree(element: ET.Element) -> Any:
    """An XML element as a dict of its children, or the text of a leaf."""
    children = list(element)
    if not children:
        return (element.text or "").strip()
    return {child.tag: _xml_tree(child) for child in children}


def _group(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name)
    return value if isinstance(value, Mapping) else {}


def _lookup(body: Mapping[str, Any], groups: Iterable[str], key: str) -> Any:
    """The first value of ``key`` found in ``groups`` of the top group ``body``, or None."""
    for name in groups:
        group = _group(body, name)
        if key in group:
            return group[key]
    return None


def _number(value: Any, key: str, source: str) -> float | None:
    """A float, or None when absent; MetadataError when not a number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MetadataError(f"{source}: {key} is {value!r} (expected a number)")
    return float(value)


def _percent(value: Any, key: str, source: str) -> float | None:
    """A cloud percentage; None when absent or negative (-1 means unknown)."""
    number = _number(value, key, source)
    return None if number is None or number < 0 else number


def _band_coefficients(group: Mapping[str, Any], source: str) -> tuple[dict, dict]:
    """``REFLECTANCE_MULT_BAND_n`` and ``REFLECTANCE_ADD_BAND_n`` of one group, by band."""
    mult: dict[int, float] = {}
    add: dict[int, float] = {}
    for key, value in group.items():
        match = _BAND_KEY_RE.fullmatch(key)
        if match:
            target = mult if match.group(1) == "MULT" else add
            target[int(match.group(2))] = _number(value, key, source)
    return dict(sorted(mult.items())), dict(sorted(add.items()))


def _acquired(date: Any, time: Any, source: str) -> datetime.datetime:
    """Combine ``DATE_ACQUIRED`` and ``SCENE_CENTER_TIME`` into a UTC datetime."""
    try:
        day = datetime.date.fromisoformat(str(date))
    except ValueError:
        raise MetadataError(
            f"{source}: DATE_ACQUIRED is {date!r} (expected a date like 2015-08-04)"
        ) from None
    if time is None or time == "":
        return datetime.datetime.combine(day, datetime.time(), datetime.UTC)
    match = _TIME_RE.fullmatch(str(time))
    if not match:
        raise MetadataError(
            f"{source}: SCENE_CENTER_TIME is {time!r} (expected a time like 16:19:21.7917421Z)"
        )
    hour, minute, second, fraction = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        clock = datetime.time(int(hour), int(minute), int(second), micro, datetime.UTC)
    except ValueError:
        raise MetadataError(
            f"{source}: SCENE_CENTER_TIME is {time!r} (expected a valid time of day)"
        ) from None
    return datetime.datetime.combine(day, clock)


def _side(grid: str) -> tuple[float, float, bool]:
    return (1, MAX_SIDE[grid], True)


_BOUNDS: tuple[tuple[re.Pattern[str], tuple[float, float, bool]], ...] = tuple(
    (re.compile(pattern), bounds)
    for pattern, bounds in (
        # (low, high, low included): physical bounds, wide around every real product's values
        (r"REFLECTANCE_MULT_BAND_\d+", (0.0, 1e-3, False)),  # real: 2e-05, L2 2.75e-05
        (r"REFLECTANCE_ADD_BAND_\d+", (-1.0, 1.0, True)),  # real: -0.1, L2 -0.2
        (r"RADIANCE_MULT_BAND_\d+", (0.0, 1.0, True)),  # real: 3e-4 .. 1.3e-2; 0 for TIRS, 2015
        (r"RADIANCE_ADD_BAND_\d+", (-1000.0, 1000.0, True)),  # real: -65 .. 0.1
        (r"TEMPERATURE_MULT_BAND_ST_B\d+", (0.0, 1.0, False)),  # real: 0.00341802
        (r"TEMPERATURE_ADD_BAND_ST_B\d+", (0.0, 1000.0, True)),  # real: 149.0 (kelvin)
        (r"TEMPERATURE_(MAXIMUM|MINIMUM)_BAND_ST_B\d+", (0.0, 1000.0, True)),
        (r"K[12]_CONSTANT_BAND_\d+", (0.0, 100_000.0, True)),  # real: 480 .. 1321
        (r"REFLECTANCE_(MAXIMUM|MINIMUM)_BAND_\d+", (-10.0, 10.0, True)),
        (r"RADIANCE_(MAXIMUM|MINIMUM)_BAND_\d+", (-1000.0, 10_000.0, True)),
        (r"QUANTIZE_CAL_(MAX|MIN)(IMUM)?_BAND_\w+", (0.0, 65535.0, True)),
        (r"SUN_ELEVATION", (-90.0, 90.0, True)),
        (r"SUN_AZIMUTH", (-360.0, 360.0, True)),
        (r"EARTH_SUN_DISTANCE", (0.9, 1.1, True)),  # astronomical units: 0.983 .. 1.017
        (r"CLOUD_COVER(_LAND)?", (-1.0, 100.0, True)),  # -1: unknown
        (r"GRID_CELL_SIZE_\w+", (0.0, 1000.0, False)),  # metres: 15, 30 (100 for old TIRS)
        (r"UTM_ZONE", (-60.0, 60.0, True)),
        (r"REFLECTIVE_(LINES|SAMPLES)", _side("REFLECTIVE")),
        (r"THERMAL_(LINES|SAMPLES)", _side("THERMAL")),
        (r"PANCHROMATIC_(LINES|SAMPLES)", _side("PANCHROMATIC")),
    )
)
"""Keys of an MTL whose values rendering and extraction rely on, and their bounds."""


def _bounds_of(key: str) -> tuple[float, float, bool] | None:
    for pattern, bounds in _BOUNDS:
        if pattern.fullmatch(key):
            return bounds
    return None


def _check_values(node: Mapping[str, Any], source: str) -> None:
    """Refuse a non-finite number anywhere, and a bounded key (:data:`_BOUNDS`) that is not a
    number within its bounds: one :class:`MetadataError` line naming the key and the value."""
    for key, value in node.items():
        if isinstance(value, Mapping):
            _check_values(value, source)
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and not math.isfinite(value):
            raise MetadataError(f"{source}: {key} = {value!r} is not a finite number")
        bounds = _bounds_of(key)
        if bounds is None or value == "":
            continue
        low, high, low_included = bounds
        if not number:
            raise MetadataError(f"{source}: {key} is {str(value)[:40]!r} (expected a number)")
        if value > high or value < low or (value == low and not low_included):
            opening = "<=" if low_included else "<"
            raise MetadataError(
                f"{source}: {key} = {value:g} is outside its physical bounds "
                f"(expected {low:g} {opening} {key} <= {high:g})"
            )


def _metadata(raw: dict[str, Any], source: str) -> Metadata:
    """Pick the :class:`Metadata` fields out of a parsed MTL tree."""
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in _TOP_GROUPS:
        found = ", ".join(map(str, raw)) if isinstance(raw, dict) and raw else "nothing"
        raise MetadataError(
            f"{source}: top-level group is {found} "
            "(expected one group L1_METADATA_FILE or LANDSAT_METADATA_FILE)"
        )
    body = _group(raw, next(iter(raw)))
    _check_values(body, source)
    id_text = next((body[g][k] for g, k in _ID_KEYS if k in _group(body, g)), None)
    if not isinstance(id_text, str) or not id_text:
        raise MetadataError(
            f"{source}: no LANDSAT_PRODUCT_ID or LANDSAT_SCENE_ID "
            "(expected one in PRODUCT_CONTENTS or METADATA_FILE_INFO)"
        )
    try:
        scene_id = parse_scene_id(id_text)
    except SceneError as exc:
        raise MetadataError(f"{source}: {exc}") from None
    spacecraft = _lookup(body, _ATTRIBUTE_GROUPS, "SPACECRAFT_ID")
    if not isinstance(spacecraft, str) or not spacecraft:
        raise MetadataError(
            f"{source}: no SPACECRAFT_ID (expected one in IMAGE_ATTRIBUTES or PRODUCT_METADATA)"
        )
    date = _lookup(body, _ATTRIBUTE_GROUPS, "DATE_ACQUIRED")
    if date is None:
        raise MetadataError(
            f"{source}: no DATE_ACQUIRED (expected one in IMAGE_ATTRIBUTES or PRODUCT_METADATA)"
        )
    toa = next((_group(body, g) for g in _TOA_GROUPS if g in body), {})
    reflectance_mult, reflectance_add = _band_coefficients(toa, source)
    sr_mult, sr_add = _band_coefficients(_group(body, _SR_GROUP), source)
    image = _group(body, "IMAGE_ATTRIBUTES")
    utm_zone = _number(_lookup(body, _PROJECTION_GROUPS, "UTM_ZONE"), "UTM_ZONE", source)
    projection = _lookup(body, _PROJECTION_GROUPS, "MAP_PROJECTION")
    return Metadata(
        scene_id=scene_id,
        spacecraft=spacecraft,
        acquired=_acquired(date, _lookup(body, _ATTRIBUTE_GROUPS, "SCENE_CENTER_TIME"), source),
        cloud_cover=_percent(image.get("CLOUD_COVER"), "CLOUD_COVER", source),
        cloud_cover_land=_percent(image.get("CLOUD_COVER_LAND"), "CLOUD_COVER_LAND", source),
        sun_azimuth=_number(image.get("SUN_AZIMUTH"), "SUN_AZIMUTH", source),
        sun_elevation=_number(image.get("SUN_ELEVATION"), "SUN_ELEVATION", source),
        reflectance_mult=reflectance_mult,
        reflectance_add=reflectance_add,
        sr_mult=sr_mult,
        sr_add=sr_add,
        utm_zone=None if utm_zone is None else int(utm_zone),
        map_projection=str(projection) if projection not in (None, "") else None,
        raw=raw,
    )


def parse_mtl_text(text: str | bytes, source: str = "<MTL>") -> Metadata:
    """Parse an ODL MTL text file (``_MTL.txt``), with or without the final ``END`` line.

    Parameters
    ----------
    text : str or bytes
        The file content.
    source : str
        Name used in error messages (the file name or URI).

    Returns
    -------
    Metadata

    Raises
    ------
    MetadataError
        If the text is malformed or truncated, or lacks a required field.
    """
    return _metadata(_parse_odl(_decode(text, source), source), source)


def parse_mtl_json(text: str | bytes, source: str = "<MTL>") -> Metadata:
    """Parse an MTL JSON file.

    Both forms are accepted: the pre-collection ``{"L1_METADATA_FILE": ...}`` (served by the
    AWS landsat-pds bucket, with real JSON numbers) and the Collection 2
    ``{"LANDSAT_METADATA_FILE": ...}`` (every value a string; numeric strings become numbers).

    Parameters
    ----------
    text : str or bytes
        The file content.
    source : str
        Name used in error messages.

    Returns
    -------
    Metadata

    Raises
    ------
    MetadataError
        If the JSON is malformed or lacks a required field.
    """
    try:
        tree = json.loads(_decode(text, source))
    except json.JSONDecodeError as exc:
        raise MetadataError(
            f"{source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg} "
            "(expected an MTL JSON file)"
        ) from None
    return _metadata(_coerce_tree(tree, source), source)


def parse_mtl_xml(text: str | bytes, source: str = "<MTL>") -> Metadata:
    """Parse a Collection 2 MTL XML file (``<LANDSAT_METADATA_FILE>``).

    Parameters
    ----------
    text : str or bytes
        The file content.
    source : str
        Name used in error messages.

    Returns
    -------
    Metadata

    Raises
    ------
    MetadataError
        If the XML is malformed or lacks a required field.
    """
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, column = exc.position
        raise MetadataError(
            f"{source}: invalid XML at line {line} column {column} (expected an MTL XML file)"
        ) from None
    tree = {root.tag: _xml_tree(root)}
    if not isinstance(tree[root.tag], dict):
        tree[root.tag] = {}
    return _metadata(_coerce_tree(tree, source), source)


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
