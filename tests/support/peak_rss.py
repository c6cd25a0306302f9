"""Run a command and measure its own peak resident memory, CPU and wall time.

``os.wait4`` on a child started from a large process over-reports: Linux carries the parent's
high-water RSS into the child at ``fork`` (its page tables are copied) and keeps it across
``exec`` (``signal->maxrss``), with ``vfork``/``posix_spawn`` as well. A pytest worker that has
grown to 1 GB made every child render "peak at 1,012 MB" in CI while the render itself used
~300 MB. So the command is started by a small launcher: this file run by a fresh interpreter
(``python -I -S``, stdlib only, ~10 MB) forks and execs the command, ``wait4``s for it and
reports the child's rusage on a pipe. What is measured is then the command and the children it
waited for, plus at most the launcher's few MB.

Used by the fault tests (a refused render's memory) and by the benchmarks (``bench/``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

__all__ = ["Measured", "run"]


@dataclass(frozen=True)
class Measured:
    returncode: int
    wall: float
    """Seconds from start to exit, the launcher's start-up (~20 ms) included."""
    rss_mb: float
    """Peak resident set of the command (and the children it waited for), in MiB."""
    cpu: float
    """User + system CPU seconds of the command and the children it waited for."""


def run(
    cmd: list[str],
    *,
    env: dict | None = None,
    stdout=None,
    stderr=None,
    fsize: int | None = None,
    timeout: float | None = None,
) -> Measured:
    """Run ``cmd`` to its end; ``stdout``/``stderr`` as for :class:`subprocess.Popen`.

    ``fsize`` caps the size of any file the command writes (``RLIMIT_FSIZE``); past
    ``timeout`` seconds the command is killed (its exit code is then -9).
    """
    read, write = os.pipe()
    launcher = [sys.executable, "-I", "-S", __file__, str(write), str(fsize or 0), "--", *cmd]
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            launcher,
            env=env,
            stdout=stdout,
            stderr=stderr,
            pass_fds=(write,),
            start_new_session=True,
        )
    finally:
        os.close(write)
    with os.fdopen(read, "rb") as pipe:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        report = pipe.read().decode()
    wall = time.monotonic() - started
    if not report:  # the launcher itself failed or was killed
        code = proc.returncode if proc.returncode else -signal.SIGKILL
        return Measured(code, wall, float("nan"), float("nan"))
    status, maxrss_kb, cpu = report.split()
    return Measured(os.waitstatus_to_exitcode(int(status)), wall, int(maxrss_kb) / 1024, float(cpu))


def _launch(argv: list[str]) -> int:
    """The launcher: ``peak_rss.py FD FSIZE -- CMD...``."""
    import resource

    fd, fsize = int(argv[0]), int(argv[1])
    cmd = argv[3:]
    pid = os.fork()
    if pid == 0:
        try:
            os.close(fd)
            if fsize:
                resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    os.write(fd, f"{status} {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}".encode())
    os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(_launch(sys.argv[1:]))
