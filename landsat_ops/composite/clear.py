"""Which QA values a composite takes an observation from: clear, and not cirrus.

:func:`landsat_ops.scene.qa.clear_mask` (not fill, cloud, dilated cloud or cloud shadow) is
the renderer's rule for the pixels a stretch is anchored on; it keeps cirrus, a thin haze over
a surface the stretch must not saturate. A composite wants the surface itself, so it also
leaves out cirrus (issue 19): Collection 2 ``QA_PIXEL`` bit 2 (high-confidence cirrus),
Collection 1 ``BQA`` cirrus confidence (bits 11-12) high, pre-collection ``BQA`` cirrus
confidence (bits 12-13) high. Snow and ice stay clear: they are the surface.
"""

from __future__ import annotations

import functools

import numpy as np

from landsat_ops.scene.qa import clear_mask

__all__ = ["CIRRUS", "composite_clear_lut", "composite_clear_mask"]

CIRRUS = {"c2": (2, 1, 1), "c1": (11, 3, 3), "pre-collection": (12, 3, 3)}
"""QA layout -> (shift, mask, value) of its cirrus flag: ``(qa >> shift) & mask == value``."""


def composite_clear_mask(qa: np.ndarray, kind: str) -> np.ndarray:
    """True where a pixel is an observation a composite takes (see the module docstring)."""
    shift, mask, value = CIRRUS[kind]
    qa = np.asarray(qa)
    return clear_mask(qa, kind) & (((qa >> shift) & mask) != value)


@functools.cache
def composite_clear_lut(kind: str) -> np.ndarray:
    """:func:`composite_clear_mask` of every uint16 value as a uint8 table (1 = clear)."""
    table = composite_clear_mask(np.arange(65536, dtype=np.uint16), kind).astype(np.uint8)
    table.flags.writeable = False
    return table
