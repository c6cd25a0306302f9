"""Scratch files of a render: positional reads and writes of contiguous arrays (GIL released)."""

from __future__ import annotations

import os

import numpy as np

__all__ = ["pread", "pwrite"]


def pwrite(fd: int, array: np.ndarray, offset: int) -> None:
    """Write a contiguous array at ``offset`` of a file (all of it; the GIL is released)."""
    view = memoryview(array).cast("B")
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n


def pread(fd: int, array: np.ndarray, offset: int) -> None:
    """Fill a contiguous array from ``offset`` of a file."""
    view = memoryview(array).cast("B")
    while view:
        n = os.preadv(fd, [view], offset)
        if n == 0:
            raise OSError(f"scratch file ended at byte {offset}")
        view, offset = view[n:], offset + n
