"""The files of one scene in a folder: :class:`SceneFiles`, :func:`find_scene_files`, QA kinds.

:func:`find_scene_files` finds the band, QA and MTL files of one scene in a folder (or in a list
of file names, for remote folders), accepting Level-1 (``_B4.TIF``, ``_BQA.TIF``) and Level-2
(``_SR_B4.TIF``, ``_QA_PIXEL.TIF``) naming. :func:`qa_kind_for` says which QA bit layout a QA
file uses (the layouts themselves live in :mod:`landsat_ops.scene.qa`, which needs numpy).
Pure Python (standard library only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from landsat_ops.errors import SceneError
from landsat_ops.scene.ids import SceneId, parse_scene_id

__all__ = ["BANDS_NEEDED", "QA_KINDS", "SceneFiles", "find_scene_files", "qa_kind_for"]


QA_KINDS = ("pre-collection", "c1", "c2")


def qa_kind_for(scene_id: SceneId, qa_filename: str) -> str:
    """Say which QA bit layout a QA file uses.

    Parameters
    ----------
    scene_id : SceneId
        The scene the QA file belongs to.
    qa_filename : str
        The QA file name (or path): ``..._QA_PIXEL.TIF`` or ``..._BQA.TIF``.

    Returns
    -------
    str
        ``"c2"`` for a Collection 2 ``QA_PIXEL``, ``"c1"`` for a Collection 1 ``BQA``,
        ``"pre-collection"`` for a pre-collection ``BQA`` (one of :data:`QA_KINDS`).

    Raises
    ------
    SceneError
        If the file name is not a QA file, or does not fit the scene's collection.
    """
    upper = qa_filename.upper()
    if upper.endswith("_QA_PIXEL.TIF") and scene_id.collection == 2:
        return "c2"
    if upper.endswith("_BQA.TIF") and scene_id.collection is None:
        return "pre-collection"
    if upper.endswith("_BQA.TIF") and scene_id.collection == 1:
        return "c1"
    raise SceneError(
        f"{qa_filename}: not a QA band of {scene_id.scene_id} (expected _BQA.TIF for "
        "pre-collection and Collection 1 scenes, _QA_PIXEL.TIF for Collection 2)"
    )


BANDS_NEEDED = (1, 2, 3, 4, 5, 7)

# <ID>_B4.TIF, <ID>_SR_B4.TIF, <ID>_BQA.TIF, <ID>_QA_PIXEL.TIF, <ID>_MTL.txt|json|xml.
_SCENE_FILE_RE = re.compile(
    r"(?P<id>.+?)_(?:(?P<sr>SR_)?B(?P<band>\d{1,2})\.TIF|(?P<qa>BQA|QA_PIXEL)\.TIF"
    r"|MTL\.(?P<mtl>TXT|JSON|XML))",
    re.IGNORECASE,
)
_MTL_PREFERENCE = ("txt", "json", "xml")


@dataclass(frozen=True)
class SceneFiles:
    """The files of one scene found in a folder.

    Attributes
    ----------
    scene_id : SceneId
        The scene (product) the band files belong to.
    folder : Path
        The folder searched.
    bands : dict[int, Path]
        Band number -> file, for the bands B1..B11 found (Level-2: the ``SR_B*`` files).
    qa : Path or None
        The ``_BQA.TIF`` or ``_QA_PIXEL.TIF`` file.
    qa_kind : str or None
        The QA bit layout (see :func:`qa_kind_for`); None when there is no QA file.
    mtl : Path or None
        The MTL file, preferring ``.txt``, then ``.json``, then ``.xml``.
    surface_reflectance : bool
        True when the bands are Level-2 surface reflectance (``SR_B*``).
    """

    scene_id: SceneId
    folder: Path
    bands: dict[int, Path] = field(default_factory=dict)
    qa: Path | None = None
    qa_kind: str | None = None
    mtl: Path | None = None
    surface_reflectance: bool = False

    def require(self, bands: Iterable[int]) -> None:
        """Check that every band in ``bands`` was found.

        Raises
        ------
        SceneError
            Naming the folder and the first missing band.
        """
        for band in bands:
            if band not in self.bands:
                raise SceneError(
                    f"scene folder {self.folder} has no band B{band} "
                    f"(expected a file ending in _B{band}.TIF or _SR_B{band}.TIF)"
                )


def _list_folder(folder: Path) -> list[str]:
    """Names of the files in ``folder``; SceneError if it is not a readable folder."""
    if not folder.is_dir():
        raise SceneError(
            f"scene folder {folder} does not exist or is not a folder "
            "(expected a folder holding the scene's band files)"
        )
    try:
        return sorted(entry.name for entry in folder.iterdir() if entry.is_file())
    except OSError as exc:
        raise SceneError(
            f"scene folder {folder} cannot be listed: {exc.strerror} (expected a readable folder)"
        ) from None


def _classify(name: str) -> tuple[SceneId, re.Match[str]] | None:
    """Parse ``name`` as one of a scene's files, or None if it is some other file."""
    match = _SCENE_FILE_RE.fullmatch(name)
    if not match:
        return None
    try:
        scene_id = parse_scene_id(match.group("id"))
    except SceneError:
        return None  # e.g. <ID>_ST_B10.TIF: the prefix is not a bare ID
    if match.group("band") and not 1 <= int(match.group("band")) <= 11:
        return None
    return scene_id, match


def find_scene_files(folder: str | Path, names: Iterable[str] | None = None) -> SceneFiles:
    """Find the band, QA and MTL files of the one scene in a folder.

    Parameters
    ----------
    folder : str or Path
        The scene folder. It is listed unless ``names`` is given.
    names : iterable of str, optional
        File names (or keys; only the part after the last ``/`` is used) to search instead of
        listing ``folder``, e.g. from an S3 listing. The returned paths are ``folder / name``.
        Note that ``Path`` collapses ``s3://`` to ``s3:/``: remote callers should join their own
        prefix with each path's ``.name``.

    Returns
    -------
    SceneFiles

    Raises
    ------
    SceneError
        If the folder is missing, holds no recognisable band file, or holds files of several
        scenes or of both Level-1 and Level-2 naming.
    """
    folder = Path(folder)
    listing = _list_folder(folder) if names is None else [n.rsplit("/", 1)[-1] for n in names]
    found = [hit for hit in map(_classify, listing) if hit is not None]
    band_hits = [(sid, m) for sid, m in found if m.group("band")]
    if not band_hits:
        raise SceneError(
            f"scene folder {folder} has no Landsat band files "
            "(expected files named <scene ID>_B<n>.TIF or <scene ID>_SR_B<n>.TIF)"
        )
    scene_ids = sorted({sid.scene_id for sid, _ in band_hits})
    if len(scene_ids) > 1:
        raise SceneError(
            f"scene folder {folder} holds band files of several scenes: "
            f"{', '.join(scene_ids)} (expected one scene per folder)"
        )
    scene_id = band_hits[0][0]
    kinds = {bool(m.group("sr")) for _, m in band_hits}
    if len(kinds) > 1:
        raise SceneError(
            f"scene folder {folder} mixes _B<n>.TIF and _SR_B<n>.TIF band files "
            "(expected one naming)"
        )
    own = [m for sid, m in found if sid.scene_id == scene_id.scene_id]
    bands = {int(m.group("band")): folder / m.group(0) for m in own if m.group("band")}
    qa_names = [m.group(0) for m in own if m.group("qa")]
    mtl_names = sorted(
        (m.group(0) for m in own if m.group("mtl")),
        key=lambda n: _MTL_PREFERENCE.index(n.rsplit(".", 1)[-1].lower()),
    )
    qa = folder / qa_names[0] if qa_names else None
    return SceneFiles(
        scene_id=scene_id,
        folder=folder,
        bands=dict(sorted(bands.items())),
        qa=qa,
        qa_kind=qa_kind_for(scene_id, qa.name) if qa else None,
        mtl=folder / mtl_names[0] if mtl_names else None,
        surface_reflectance=kinds == {True},
    )
