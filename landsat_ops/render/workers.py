"""The worker threads of a render: how many, and running one function on each of them."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

__all__ = ["WORKERS", "gather"]

WORKERS = min(
    4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)
"""Worker threads sharing a scene's strips: one per core this process may use, at most 4."""


def gather(pool: ThreadPoolExecutor, worker, stop: threading.Event) -> list:
    """Run ``worker(k)`` for every k < WORKERS on ``pool``; on an error stop the others."""
    futures = [pool.submit(worker, k) for k in range(WORKERS)]
    results = []
    try:
        for future in futures:
            results.append(future.result())
    except BaseException:
        stop.set()
        for future in futures:
            future.cancel()
        wait(futures)
        raise
    return results
