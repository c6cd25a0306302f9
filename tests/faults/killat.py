"""``python killat.py SIGNAL POINT N -- ARGS...``: ``landsat-ops ARGS...`` that sends itself
SIGNAL (``SIGKILL``, ``SIGTERM``) at a chosen point of its publication to a local folder (a
test hook; the product code has none).

The points, each after its ``N``-th occurrence (counted from 1):

* ``staged``: a product was staged as ``.<name>.<run>.partial`` (nothing visible changed);
* ``backup``: the journal is written and a replaced product kept as its backup;
* ``switch``: a staged product was moved into place (the old item still the manifest);
* ``item``: the new item was written (backups and journal not yet removed).
"""

from __future__ import annotations

import os
import signal
import sys

from landsat_ops.cli import main
from landsat_ops.render import destination
from landsat_ops.storage import LocalStore

POINTS = ("staged", "backup", "switch", "item")


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
    if point == "staged":
        _after(destination, "_stage", n, sig)
        return
    method = {"backup": "snapshot", "switch": "rename", "item": "write_if"}[point]
    _after(LocalStore, method, n, sig)


if __name__ == "__main__":
    sig, point, n, dashes, *args = sys.argv[1:]
    if point not in POINTS or dashes != "--":
        sys.exit(f"usage: killat.py SIGNAL {{{','.join(POINTS)}}} N -- ARGS...")
    arm(signal.Signals[sig], point, int(n))
    sys.exit(main(args))
