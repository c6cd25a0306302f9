"""Scratch space of a render: its private folder, and positional I/O on its files.

:func:`scratch_folder` makes ``landsat-ops-<pid>-*`` under the work folder; the pid lets
:func:`clean_scratch` (every render, and ``landsat-ops cleanup``) recognise and remove the
folders of processes that were killed. :func:`pwrite` and :func:`pread` move contiguous
arrays with the GIL released.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from landsat_ops.errors import StorageError

__all__ = ["clean_scratch", "pread", "pwrite", "scratch_folder", "scratch_root"]


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


SCRATCH_PREFIX = "landsat-ops-"
_SCRATCH_RE = re.compile(r"^landsat-ops-(?P<pid>\d+)-")


def scratch_root(workdir: str | os.PathLike | None) -> Path:
    """The folder scratch folders go in: ``--workdir`` (which must exist and be writable)
    or the system's temporary folder."""
    root = Path(workdir).expanduser().absolute() if workdir else Path(tempfile.gettempdir())
    if not root.is_dir():
        raise StorageError(f"{root}: --workdir: no such folder (expected an existing folder)")
    if not os.access(root, os.W_OK | os.X_OK):
        raise StorageError(f"{root}: --workdir: not writable (expected a writable folder)")
    return root


@contextlib.contextmanager
def scratch_folder(root: Path) -> Iterator[Path]:
    """A private folder ``landsat-ops-<pid>-*`` under ``root``, removed afterwards whatever
    happens (an error, SIGTERM, SIGINT); after SIGKILL :func:`clean_scratch` removes it."""
    try:
        tmp = tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=root)
    except OSError as exc:
        raise StorageError(f"{root}: cannot create a scratch folder ({exc.strerror})") from exc
    with tmp as path:
        yield Path(path)


def clean_scratch(root: Path) -> list[Path]:
    """Remove the scratch folders of dead processes under ``root``; returns them.

    A folder counts as dead when its pid no longer runs on this machine (scratch folders are
    local).
    """
    removed = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for path in entries:
        match = _SCRATCH_RE.match(path.name)
        if match is None or int(match["pid"]) == os.getpid() or not path.is_dir():
            continue
        try:
            os.kill(int(match["pid"]), 0)
            continue
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(path)
    return removed
