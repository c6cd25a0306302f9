"""The :class:`Metadata` of an MTL: the fields rendering needs, picked out of its parsed tree.

The tree of any generation (pre-collection, Collection 1, Collection 2 Level-1 and Level-2)
and form (ODL text, JSON, XML; :mod:`.formats`) is ``{"GROUP": {"KEY": value, ...}}``; each
field is looked up where its generation keeps it. Every value is checked first
(:func:`~landsat_ops.scene.mtl.bounds.check_mtl_values`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from landsat_ops.errors import MetadataError, SceneError
from landsat_ops.scene.ids import SceneId, parse_scene_id
from landsat_ops.scene.mtl.bounds import check_mtl_values

__all__ = ["Metadata", "metadata_from_tree"]

_TOP_GROUPS = ("L1_METADATA_FILE", "LANDSAT_METADATA_FILE")
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


def metadata_from_tree(raw: dict[str, Any], source: str) -> Metadata:
    """Pick the :class:`Metadata` fields out of a parsed MTL tree."""
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in _TOP_GROUPS:
        found = ", ".join(map(str, raw)) if isinstance(raw, dict) and raw else "nothing"
        raise MetadataError(
            f"{source}: top-level group is {found} "
            "(expected one group L1_METADATA_FILE or LANDSAT_METADATA_FILE)"
        )
    body = _group(raw, next(iter(raw)))
    check_mtl_values(body, source)
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
