"""Fill and cloud masks from the Landsat 8/9 QA band of each generation (pure numpy).

Three QA bit layouts exist and they are not interchangeable:

``"c2"``: Collection 2 ``QA_PIXEL``
    bit 0 fill, 1 dilated cloud, 2 cirrus, 3 cloud, 4 cloud shadow, 5 snow, 6 clear, 7 water,
    bits 8-9 cloud confidence, 10-11 cloud shadow confidence, 12-13 snow/ice confidence,
    14-15 cirrus confidence. Fill is the value 1; 55052 is high-confidence cloud, 21824 clear
    land, 21952 clear water.
``"c1"``: Collection 1 ``BQA``
    bit 0 designated fill, 1 terrain occlusion, bits 2-3 radiometric saturation, bit 4 cloud,
    bits 5-6 cloud confidence, 7-8 cloud shadow confidence, 9-10 snow/ice confidence,
    11-12 cirrus confidence. Fill is the value 1; 2720 is clear.
``"pre-collection"``: pre-collection ``BQA``
    bit 0 designated fill, 1 dropped frame, 2 terrain occlusion, bits 4-5 water confidence,
    10-11 snow/ice confidence, 12-13 cirrus confidence, 14-15 cloud confidence
    (0 not determined, 1 no, 2 maybe, 3 yes).

:func:`qa_kind_for` (defined in :mod:`landsat_ops.scene.files`, which must stay free of numpy)
says which layout a QA file uses.
"""

from __future__ import annotations

import numpy as np

from landsat_ops.scene.files import QA_KINDS

__all__ = ["clear_lut", "clear_mask", "cloud_mask", "fill_mask"]

FILL_BIT = 0  # the same bit in every generation
C2_DILATED_CLOUD_BIT = 1
C2_CLOUD_BIT = 3
C2_CLOUD_SHADOW_BIT = 4
C1_CLOUD_BIT = 4
C1_CLOUD_CONFIDENCE_SHIFT = 5  # bits 5-6
C1_SHADOW_CONFIDENCE_SHIFT = 7  # bits 7-8
CONFIDENCE_MEDIUM = 2
PRE_COLLECTION_CLOUD_SHIFT = 14  # bits 14-15: cloud confidence
CONFIDENCE_HIGH = 3


def _checked(qa: np.ndarray, kind: str) -> np.ndarray:
    """Return ``qa`` as an integer array; ValueError for a bad kind or dtype."""
    if kind not in QA_KINDS:
        raise ValueError(f"unknown QA kind {kind!r} (expected one of {', '.join(QA_KINDS)})")
    qa = np.asarray(qa)
    if not np.issubdtype(qa.dtype, np.integer):
        raise ValueError(f"QA array has dtype {qa.dtype} (expected an integer QA band)")
    return qa


def _bit(qa: np.ndarray, bit: int) -> np.ndarray:
    return ((qa >> bit) & 1) == 1


def fill_mask(qa: np.ndarray, kind: str) -> np.ndarray:
    """Mark designated fill pixels (outside the scene footprint).

    Parameters
    ----------
    qa : numpy.ndarray
        QA band values (integer dtype, any shape).
    kind : str
        QA layout, one of :data:`QA_KINDS`.

    Returns
    -------
    numpy.ndarray
        Boolean array of ``qa``'s shape, True where the pixel is fill.

    Raises
    ------
    ValueError
        If ``kind`` is unknown or ``qa`` is not an integer array.
    """
    return _bit(_checked(qa, kind), FILL_BIT)


def cloud_mask(qa: np.ndarray, kind: str) -> np.ndarray:
    """Mark cloud pixels; fill pixels are never cloud.

    ``"c2"``: the cloud bit (3) or the dilated cloud bit (1). ``"c1"``: the cloud bit (4).
    ``"pre-collection"``: cloud confidence (bits 14-15) high, i.e. 3.

    Parameters
    ----------
    qa : numpy.ndarray
        QA band values (integer dtype, any shape).
    kind : str
        QA layout, one of :data:`QA_KINDS`.

    Returns
    -------
    numpy.ndarray
        Boolean array of ``qa``'s shape, True where the pixel is cloud.

    Raises
    ------
    ValueError
        If ``kind`` is unknown or ``qa`` is not an integer array.
    """
    qa = _checked(qa, kind)
    if kind == "c2":
        cloud = _bit(qa, C2_CLOUD_BIT) | _bit(qa, C2_DILATED_CLOUD_BIT)
    elif kind == "c1":
        cloud = _bit(qa, C1_CLOUD_BIT)
    else:
        cloud = ((qa >> PRE_COLLECTION_CLOUD_SHIFT) & 3) == CONFIDENCE_HIGH
    return cloud & ~_bit(qa, FILL_BIT)


def clear_mask(qa: np.ndarray, kind: str) -> np.ndarray:
    """Mark the pixels a natural-colour stretch takes its cut-offs from: clear land or water.

    A pixel is clear when it is neither fill, nor cloud, nor cloud shadow:

    ``"c2"``: none of fill (0), dilated cloud (1), cloud (3), cloud shadow (4).
    ``"c1"``: not fill, cloud bit (4) unset, cloud confidence (bits 5-6) below medium and cloud
    shadow confidence (bits 7-8) not high.
    ``"pre-collection"``: not fill and cloud confidence (bits 14-15) not high (this layout
    has no shadow flag).

    Snow, ice and cirrus count as clear: they are the surface (Greenland) or a thin haze over
    it, and a stretch without them would saturate the ice.

    Raises
    ------
    ValueError
        If ``kind`` is unknown or ``qa`` is not an integer array.
    """
    qa = _checked(qa, kind)
    not_clear = _bit(qa, FILL_BIT) | cloud_mask(qa, kind)
    if kind == "c2":
        not_clear |= _bit(qa, C2_CLOUD_SHADOW_BIT)
    elif kind == "c1":
        not_clear |= ((qa >> C1_CLOUD_CONFIDENCE_SHIFT) & 3) >= CONFIDENCE_MEDIUM
        not_clear |= ((qa >> C1_SHADOW_CONFIDENCE_SHIFT) & 3) == CONFIDENCE_HIGH
    return ~not_clear


def clear_lut(kind: str) -> np.ndarray:
    """:func:`clear_mask` of every uint16 QA value: ``clear_lut(kind)[qa]`` is the mask.

    A 65536-entry uint8 table (1 = clear): the renderer's compiled histogram kernel looks each
    QA pixel up in it instead of decoding bits.
    """
    return clear_mask(np.arange(65536, dtype=np.uint16), kind).astype(np.uint8)
