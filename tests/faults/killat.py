"""``python killat.py SIGNAL POINT N -- ARGS...``: ``landsat-ops ARGS...`` that sends itself
SIGNAL (``SIGKILL``, ``SIGTERM``) at a chosen point of its publication to a local folder (a
test hook; the product code has none).

The points, each after its ``N``-th occurrence (counted from 1):

* ``product``: a product was written into the new version folder (the item still the old);
* ``version-item``: the version's own item was written (the version complete, not switched);
* ``switch``: the scene's item was switched to the new version.
"""

from __future__ import annotations

import os
import signal
import sys

from landsat_ops.cli import main
from landsat_ops.render import destination
from landsat_ops.storage import LocalStore

POINTS = ("product", "version-item", "switch")


def _after(owner, name: str, n: int, sig: signal.Signals) -> None:
    """Replace ``owner.name`` by a wrapper that signals the process after its n-th call."""
    original = getattr(owner, name)
    calls = [0]

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        calls[0] += 1
        if calls[0] == n:
            sys.stderr.flush()
            os.kill(os.getpid(), sig)
        return result

    setattr(owner, name, wrapper)


def arm(sig: signal.Signals, point: str, n: int) -> None:
    if point == "product":
        _after(destination, "_put", n, sig)
    elif point == "version-item":
        _after(LocalStore, "write_bytes", n, sig)
    else:
        _after(LocalStore, "write_if", n, sig)


if __name__ == "__main__":
    sig, point, n, dashes, *args = sys.argv[1:]
    if point not in POINTS or dashes != "--":
        sys.exit(f"usage: killat.py SIGNAL {{{','.join(POINTS)}}} N -- ARGS...")
    arm(signal.Signals[sig], point, int(n))
    sys.exit(main(args))
