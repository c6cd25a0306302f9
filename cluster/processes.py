"""Background processes of the cluster: start with a pid file, stop by process group, wait.

Every process is started in its own session (so its process group is its pid) with its output
in ``<state>/logs/<name>.log`` and its pid in ``<state>/pids/<name>.pid``; stopping sends
SIGTERM to the whole group, then SIGKILL after a grace period. Nothing is matched by name.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


class ClusterError(RuntimeError):
    """A server could not be started or did not become healthy (the message says which)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def pid_file(state: Path, name: str) -> Path:
    return state / "pids" / f"{name}.pid"


def log_file(state: Path, name: str) -> Path:
    return state / "logs" / f"{name}.log"


def read_pid(state: Path, name: str) -> int | None:
    """The pid of a started process if it is still alive, else None."""
    try:
        pid = int(pid_file(state, name).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    # A zombie (exited, not reaped) counts as gone.
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return pid
    return None if status == "Z" else pid


def start(
    state: Path,
    name: str,
    command: Sequence[str],
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    user: str | None = None,
) -> subprocess.Popen:
    """Start ``command`` in the background as process ``name`` of the cluster."""
    if read_pid(state, name):
        raise ClusterError(f"{name}: already running (pid file {pid_file(state, name)})")
    for folder in ("pids", "logs"):
        (state / folder).mkdir(parents=True, exist_ok=True)
    log = open(log_file(state, name), "ab")  # noqa: SIM115 - handed to the child
    try:
        proc = subprocess.Popen(
            list(command),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=user,
        )
    finally:
        log.close()
    pid_file(state, name).write_text(f"{proc.pid}\n")
    return proc


def stop(state: Path, name: str, *, grace: float = 30.0) -> bool:
    """Stop process ``name`` and its group: SIGTERM, then SIGKILL after ``grace`` seconds.

    Returns whether it was running.
    """
    pid = read_pid(state, name)
    pid_file(state, name).unlink(missing_ok=True)
    if pid is None:
        return False
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _group_alive(pid):
        _reap(pid)
        time.sleep(0.2)
    if _group_alive(pid):
        _signal_group(pid, signal.SIGKILL)
        time.sleep(0.2)
    _reap(pid)
    return True


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> bool:
    """Whether any process of group ``pgid`` is alive (zombies excluded)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def wait_until(
    what: str,
    ready: Callable[[], bool],
    *,
    timeout: float,
    state: Path | None = None,
    name: str | None = None,
) -> None:
    """Poll ``ready`` until it is true; fail naming ``what`` (and the log) after ``timeout``.

    With ``state`` and ``name`` it also fails at once when that process has exited.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if state is not None and name is not None and read_pid(state, name) is None:
            raise ClusterError(f"{what}: the process exited; see {log_file(state, name)}")
        time.sleep(0.5)
    where = f"; see {log_file(state, name)}" if state is not None and name else ""
    raise ClusterError(f"{what}: not ready after {timeout:.0f} s{where}")


def http_ok(url: str) -> bool:
    """Whether ``url`` answers HTTP 200."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False
