"""SIGTERM and SIGINT as :class:`~landsat_ops.errors.Interrupted`, never lost.

``docker stop``, ECS StopTask and Airflow send SIGTERM; Ctrl-C sends SIGINT. The handler
records the signal and raises :class:`~landsat_ops.errors.Interrupted` in the main thread, so
the run unwinds like any failure (its scratch folder removed) and the CLI exits with
``128 + N`` and one line.

A raise inside a socket call of botocore is caught by botocore, wrapped as an HTTP client
error and retried: the signal would disappear. So the signal is also *recorded*, and
:func:`raise_if_pending` raises it again at the next checkpoint: before every request and
every retry of an S3 client made by :func:`landsat_ops.storage.s3_client` (botocore's
``before-send`` and ``needs-retry`` events), and wherever a store turns an error into a
:class:`~landsat_ops.errors.StorageError`. Nothing a publication does can be half-done by a
signal: products are immutable and the switch is one request (see
:mod:`landsat_ops.render.destination`).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

from landsat_ops.errors import Interrupted

__all__ = [
    "pending",
    "raise_if_pending",
    "register_checkpoints",
    "signals_as_errors",
    "suspended",
]

_PENDING: list[int] = []
_SUSPENDED: list[bool] = []


def pending() -> int | None:
    """The first SIGTERM/SIGINT received, if any."""
    return _PENDING[0] if _PENDING else None


def raise_if_pending(**_: object) -> None:
    """Raise :class:`Interrupted` when a signal was received (a botocore event handler too)."""
    if _PENDING and not _SUSPENDED:
        raise Interrupted(_PENDING[0])


def register_checkpoints(client) -> None:
    """Make a boto3 client raise a received signal before each request and each retry."""
    events = client.meta.events
    events.register("before-send", raise_if_pending, unique_id="landsat-ops-interrupts-send")
    events.register("needs-retry", raise_if_pending, unique_id="landsat-ops-interrupts-retry")


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """No checkpoint raises inside (to find out what a signal left, e.g. whether a switch
    took effect); SIGTERM and SIGINT are blocked meanwhile and delivered afterwards."""
    blocked = {signal.SIGTERM, signal.SIGINT}
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    except (ValueError, OSError):
        old = None
    _SUSPENDED.append(True)
    try:
        yield
    finally:
        _SUSPENDED.pop()
        if old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def signals_as_errors() -> Iterator[None]:
    """SIGTERM and SIGINT raise :class:`Interrupted` in the main thread while inside."""

    def handler(signum, frame):
        if not _PENDING:
            _PENDING.append(signum)
        raise Interrupted(_PENDING[0])

    previous = {}
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, handler)
    except ValueError:  # not the main thread
        pass
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
