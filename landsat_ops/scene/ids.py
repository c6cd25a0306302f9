"""Landsat 8/9 scene and product IDs: :class:`SceneId`, :func:`parse_scene_id`, find_scene_id.

Both ID forms are read: the Collection product ID (``LC08_L1TP_226010_20140820_20200911_02_T1``)
and the pre-collection scene ID (``LC82260102014232LGN00``). Pure Python (standard library only).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from landsat_ops.errors import SceneError

__all__ = ["SceneId", "find_scene_id", "parse_scene_id"]


_PRODUCT_ID = (
    r"(?P<sensor>L[COT])(?P<satellite>0[89])_(?P<level>L1TP|L1GT|L1GS|L2SP|L2SR)_"
    r"(?P<path>\d{3})(?P<row>\d{3})_(?P<acquired>\d{8})_(?P<processed>\d{8})_"
    r"(?P<collection>0[12])_(?P<category>T1|T2|RT)"
)
_SCENE_ID = (
    r"(?P<sensor>L[COT])(?P<satellite>[89])(?P<path>\d{3})(?P<row>\d{3})"
    r"(?P<year>\d{4})(?P<doy>\d{3})(?P<station>[A-Z]{3})(?P<version>\d{2})"
)
_PRODUCT_ID_RE = re.compile(_PRODUCT_ID)
_SCENE_ID_RE = re.compile(_SCENE_ID)
# Inside a longer name: not glued to other letters or digits on either side.
_PRODUCT_ID_IN_NAME = re.compile(rf"(?<![A-Za-z0-9]){_PRODUCT_ID}(?![A-Za-z0-9])")
_SCENE_ID_IN_NAME = re.compile(rf"(?<![A-Za-z0-9]){_SCENE_ID}(?![0-9])")

_ID_FORMS = (
    "a product ID like LC08_L1TP_PPPRRR_YYYYMMDD_YYYYMMDD_CC_TX "
    "or a pre-collection scene ID like LC8PPPRRRYYYYDDDGGGVV"
)


@dataclass(frozen=True)
class SceneId:
    """A parsed Landsat 8/9 scene ID (pre-collection) or product ID (Collection 1/2).

    Attributes
    ----------
    scene_id : str
        The ID text as given.
    sensor : str
        ``"LC"`` (OLI/TIRS), ``"LO"`` (OLI only) or ``"LT"`` (TIRS only).
    satellite : int
        8 or 9.
    path, row : int
        WRS-2 path and row.
    acquired : datetime.date
        Acquisition date.
    processing_level : str or None
        ``"L1TP"``, ``"L1GT"``, ``"L1GS"``, ``"L2SP"`` or ``"L2SR"``; None for pre-collection.
    processed : datetime.date or None
        Processing date; None for pre-collection.
    collection : int or None
        1 or 2; None for pre-collection.
    category : str or None
        Collection tier ``"T1"``, ``"T2"`` or ``"RT"``; None for pre-collection.
    station : str or None
        Pre-collection ground station, e.g. ``"LGN"``.
    version : str or None
        Pre-collection archive version, e.g. ``"00"``.
    """

    scene_id: str
    sensor: str
    satellite: int
    path: int
    row: int
    acquired: datetime.date
    processing_level: str | None = None
    processed: datetime.date | None = None
    collection: int | None = None
    category: str | None = None
    station: str | None = None
    version: str | None = None

    @property
    def level(self) -> int:
        """Processing level as a number: 2 for ``L2SP``/``L2SR``, else 1."""
        return 2 if self.processing_level in ("L2SP", "L2SR") else 1

    def __str__(self) -> str:
        return self.scene_id


def _yyyymmdd(text: str, whole: str) -> datetime.date:
    """Parse ``YYYYMMDD`` inside the ID ``whole``; SceneError if it is not a real date."""
    try:
        return datetime.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise SceneError(
            f"not a Landsat 8/9 scene ID: {whole!r} has the impossible date {text} "
            f"(expected {_ID_FORMS}, with real dates)"
        ) from None


def _year_doy(year: str, doy: str, whole: str) -> datetime.date:
    """Parse a year and day of year inside the ID ``whole``."""
    try:
        day = datetime.date(int(year), 1, 1) + datetime.timedelta(days=int(doy) - 1)
    except (ValueError, OverflowError):
        day = None
    if int(doy) < 1 or day is None or day.year != int(year):
        raise SceneError(
            f"not a Landsat 8/9 scene ID: {whole!r} has the impossible day of year {doy} "
            f"(expected {_ID_FORMS}, with real dates)"
        )
    return day


def _scene_id_from_match(match: re.Match[str]) -> SceneId:
    """Build a :class:`SceneId` from a match of either ID pattern."""
    text = match.group(0)
    groups = match.groupdict()
    common = {
        "scene_id": text,
        "sensor": groups["sensor"],
        "satellite": int(groups["satellite"]),
        "path": int(groups["path"]),
        "row": int(groups["row"]),
    }
    if "level" in groups:
        return SceneId(
            **common,
            acquired=_yyyymmdd(groups["acquired"], text),
            processing_level=groups["level"],
            processed=_yyyymmdd(groups["processed"], text),
            collection=int(groups["collection"]),
            category=groups["category"],
        )
    return SceneId(
        **common,
        acquired=_year_doy(groups["year"], groups["doy"], text),
        station=groups["station"],
        version=groups["version"],
    )


def parse_scene_id(text: str) -> SceneId:
    """Parse a Landsat 8/9 product ID or pre-collection scene ID.

    Parameters
    ----------
    text : str
        The whole ID, e.g. ``"LC08_L1TP_226010_20140820_20200911_02_T1"`` or
        ``"LC82260102014232LGN00"``. Nothing may precede or follow it.

    Returns
    -------
    SceneId

    Raises
    ------
    SceneError
        If the text is neither form, or holds an impossible date.
    """
    for pattern in (_PRODUCT_ID_RE, _SCENE_ID_RE):
        match = pattern.fullmatch(text)
        if match:
            return _scene_id_from_match(match)
    raise SceneError(f"not a Landsat 8/9 scene ID: {text!r} (expected {_ID_FORMS})")


def find_scene_id(name: str) -> SceneId:
    """Find a product ID or scene ID inside a file name, folder name or path.

    Product IDs win over pre-collection scene IDs; if several are present the last one
    (nearest the file name) is used.

    Parameters
    ----------
    name : str
        E.g. ``"LC08_L2SP_008059_20191201_20200825_02_T1_SR_B4.TIF"`` or
        ``"LC80200392015216LGN00_crop30m"``.

    Returns
    -------
    SceneId

    Raises
    ------
    SceneError
        If the name holds no ID.
    """
    for pattern in (_PRODUCT_ID_IN_NAME, _SCENE_ID_IN_NAME):
        matches = list(pattern.finditer(name))
        if matches:
            return _scene_id_from_match(matches[-1])
    raise SceneError(f"no Landsat 8/9 scene ID in the name {name!r} (expected {_ID_FORMS})")
