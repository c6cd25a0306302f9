"""The one way this package compiles a kernel with numba.

:func:`compiled` is ``njit`` for one signature, with the GIL released (the renderer, the
composites and the extent run their kernels in several threads) and the machine code cached on
disk, so only the first import on a machine pays for compilation.
"""

from __future__ import annotations

import warnings

from numba import njit

__all__ = ["compiled"]


def compiled(signature: str):
    """``njit`` for one signature, GIL released, cached on disk when a cache folder is writable.

    Without one (a read-only install, no writable home, ``NUMBA_CACHE_DIR`` unset) numba
    refuses ``cache=True``; the kernel is then compiled for this process only, with a warning.
    """

    def decorate(function):
        try:
            return njit(signature, nogil=True, cache=True)(function)
        except RuntimeError as exc:  # "cannot cache function ...: no locator available"
            warnings.warn(
                f"{function.__module__}: {exc}; compiling without a cache (set "
                "NUMBA_CACHE_DIR to a writable folder to keep compiled kernels between runs)",
                RuntimeWarning,
                stacklevel=2,
            )
            return njit(signature, nogil=True)(function)

    return decorate
