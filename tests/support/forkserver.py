"""Real ``landsat-ops`` processes without paying their start-up each time: a fork server.

A fresh ``landsat-ops`` process costs about 1.1 CPU-seconds before it reads a pixel (Python,
numpy, rasterio and GDAL, boto3, numba and its cached kernels), about four times what a small
render then costs; the fault suite starts a few hundred of them. This server imports all that
once, in a process of its own started from the test worker, and forks one child per command:
each child is a separate process with its own pid, file descriptors, working folder and
environment, which runs ``landsat-ops`` (or a test script such as tests/faults/killat.py) from
its ``main`` exactly as the console script would, installs its own signal handlers, and exits
through the interpreter's normal shutdown. Signals, exit codes, stdout and stderr are those of
the command: :func:`popen` returns a :class:`ForkedProcess` with the parts of
:class:`subprocess.Popen` the tests use (``pid``, ``poll``, ``wait``, ``communicate``,
``send_signal``, ``terminate``, ``kill``, ``returncode``).

The server is forked from before any thread or GDAL dataset exists, and it never runs a kernel,
so a child starts with no threads and no open datasets. It observes a child's exit without
reaping it (``waitid`` with ``WNOWAIT``) and reaps it once the client has the status, so a pid a
test still holds never names another process. ``LANDSAT_TESTS_FORKSERVER=0`` starts every
command with exec instead (the behaviour to compare against when in doubt).

Protocol, one Unix-socket connection per command: the client sends a JSON request
(``argv``, ``env``, ``cwd``) with the child's stdin, stdout and stderr as ``SCM_RIGHTS``; the
server answers ``pid <n>\\n`` and, when the child has exited, ``exit <returncode>\\n``
(negative: killed by that signal, as in :mod:`subprocess`).
"""

from __future__ import annotations

import atexit
import functools
import json
import locale
import os
import runpy
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

__all__ = ["ForkedProcess", "enabled", "popen"]

_PRELOAD = (
    "numpy",
    "rasterio",
    "boto3",
    "botocore.session",
    "pystac",
    "landsat_ops.cli",
    "landsat_ops.raster.kernels",
    "landsat_ops.render.run",
    "landsat_ops.render.garbage",
    "landsat_ops.storage",
)
"""What the server imports once: everything a render, a cleanup or an info needs before its
first pixel (matplotlib only loads for the histogram sheet, which fault renders skip)."""

LANDSAT_OPS = str(Path(sys.executable).with_name("landsat-ops"))


def enabled() -> bool:
    return os.environ.get("LANDSAT_TESTS_FORKSERVER", "1") != "0"


# -- the server -----------------------------------------------------------------------------


class _ChildExit(Exception):
    """Raised in a forked child to leave the server's loop; the top level exits with it."""

    def __init__(self, run):
        self.run = run


def serve(path: str) -> None:
    """Accept requests on the Unix socket ``path`` until the parent process goes away."""
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    children: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, connection)
    exited: dict[socket.socket, int] = {}  # connection -> pid, status sent, not reaped
    while os.getppid() == parent:
        # A running child's connection is not watched: if its client goes away, the child is
        # still reaped when it exits.
        readable, _, _ = select.select([listener, *exited, *children], [], [], 1.0)
        for ready in readable:
            if ready is listener:
                conn, _ = listener.accept()
                request, fds = _receive(conn)
                pid = os.fork()
                if pid == 0:
                    held = [listener, conn, *exited, *(c for _, c in children.values())]
                    for fd in children:
                        os.close(fd)
                    raise _ChildExit(functools.partial(_child, request, fds, held))
                for fd in fds:
                    os.close(fd)
                conn.sendall(f"pid {pid}\n".encode())
                children[os.pidfd_open(pid)] = (pid, conn)
            elif isinstance(ready, int):  # a child's pidfd: it has exited
                pid, conn = children.pop(ready)
                os.close(ready)
                info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
                code = -info.si_status if info.si_code != os.CLD_EXITED else info.si_status
                try:
                    conn.sendall(f"exit {code}\n".encode())
                except OSError:
                    pass
                exited[conn] = pid
            else:  # the client has the status (or is gone): reap
                pid = exited.pop(ready)
                os.waitpid(pid, 0)
                ready.close()


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds = b"", []
    while not data.endswith(b"\n"):
        chunk, new_fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        if not chunk:
            raise EOFError("request cut short")
        data += chunk
        fds += new_fds
    return json.loads(data), fds


def _child(request: dict, fds: list[int], held: list[socket.socket]) -> object:
    """In the forked child: become the command, run it, return its exit status."""
    for conn in held:
        conn.close()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    argv = request["argv"]
    script = argv[0] if Path(argv[0]).name == "landsat-ops" else argv[1]
    # As Python sets it for a script: its folder first on the path (not the server's folder).
    sys.path[0] = str(Path(script).resolve().parent)
    if script == argv[0]:
        from landsat_ops.cli import main

        sys.argv = argv
        return main()
    # [python, script.py, args...]: the script as __main__
    sys.argv = argv[1:]
    runpy.run_path(script, run_name="__main__")
    return 0


def _main() -> None:
    for name in _PRELOAD:
        __import__(name)
    try:
        serve(sys.argv[1])
        return
    except _ChildExit as child:
        run = child.run
    sys.exit(run())  # outside the except: the command's own errors chain to nothing


# -- the client -----------------------------------------------------------------------------


class _Server:
    def __init__(self) -> None:
        # A Unix socket's path holds at most 107 bytes: a long TMPDIR falls back to /tmp.
        root = tempfile.gettempdir()
        self.folder = tempfile.mkdtemp(prefix="forkserver-", dir=root if len(root) < 64 else "/tmp")
        self.path = os.path.join(self.folder, "socket")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.forkserver", self.path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            cwd=Path(__file__).resolve().parents[2],
        )
        atexit.register(self.close)

    def connect(self) -> socket.socket:
        deadline = time.monotonic() + 60
        while True:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                conn.connect(self.path)
                return conn
            except (FileNotFoundError, ConnectionRefusedError):
                conn.close()
                code = self.process.poll()
                if code is not None:
                    raise RuntimeError(f"the fork server exited ({code})") from None
                if time.monotonic() > deadline:
                    raise TimeoutError("the fork server did not start within 60 s") from None
                time.sleep(0.02)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        Path(self.path).unlink(missing_ok=True)
        os.rmdir(self.folder)


_server: _Server | None = None
_lock = threading.Lock()


def _the_server() -> _Server:
    global _server
    with _lock:
        if _server is None or _server.process.poll() is not None:
            _server = _Server()
        return _server


class ForkedProcess:
    """A command forked by the server: the parts of :class:`subprocess.Popen` tests use."""

    def __init__(self, args: list[str], conn: socket.socket, stdout, stderr):
        self.args = args
        self.stdout, self.stderr = stdout, stderr
        self.returncode: int | None = None
        self._conn = conn
        self._buffer = b""
        kind, value = self._line(None).split()
        assert kind == "pid", kind
        self.pid = int(value)

    def _line(self, timeout: float | None) -> str | None:
        """The server's next line, or None if none came within ``timeout``."""
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([self._conn], [], [], timeout)
            if not ready:
                return None
            chunk = self._conn.recv(256)
            if not chunk:
                raise RuntimeError(f"the fork server went away ({self.args})")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode("ascii")

    def _status(self, timeout: float | None) -> int | None:
        if self.returncode is None:
            line = self._line(timeout)
            if line is None:
                return None
            kind, value = line.split()
            assert kind == "exit", line
            self.returncode = int(value)
            self._conn.close()  # the server reaps the child now
        return self.returncode

    def poll(self) -> int | None:
        return self._status(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._status(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return code

    def communicate(self, input=None, timeout: float | None = None) -> tuple:
        """The whole stdout and stderr, once the process has exited (``input`` unsupported)."""
        if input is not None:
            raise ValueError("a forked process has no stdin to write to")
        results: dict = {}
        readers = []
        for name in ("stdout", "stderr"):
            stream = getattr(self, name)
            if stream is None:
                results[name] = None
                continue
            reader = threading.Thread(
                target=lambda s=stream, n=name: results.__setitem__(n, s.read()), daemon=True
            )
            reader.start()
            readers.append(reader)
        self.wait(timeout)
        for reader in readers:
            reader.join(timeout)  # the pipes close when the child exits
            if reader.is_alive():
                raise subprocess.TimeoutExpired(self.args, timeout)
        for name in ("stdout", "stderr"):
            if getattr(self, name) is not None:
                getattr(self, name).close()
        return results["stdout"], results["stderr"]

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def popen(
    args: list[str],
    *,
    env: dict | None = None,
    cwd: str | os.PathLike | None = None,
    text: bool = False,
):
    """Start ``args`` (``[landsat-ops, ...]`` or ``[python, script.py, ...]``) with stdout and
    stderr piped, stdin from /dev/null: forked by the server, or exec'd (a real
    :class:`subprocess.Popen`) when the server is disabled."""
    args = [os.fspath(arg) for arg in args]
    if Path(args[0]).name != "landsat-ops" and not (
        len(args) > 1 and args[0] == sys.executable and args[1].endswith(".py")
    ):
        raise ValueError(f"expected [landsat-ops, ...] or [python, script.py, ...], got {args}")
    env = dict(os.environ if env is None else env)
    cwd = os.fspath(cwd) if cwd is not None else os.getcwd()
    if not enabled():
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=text,
            env=env,
            cwd=cwd,
        )
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    stdin = os.open(os.devnull, os.O_RDONLY)
    conn = _the_server().connect()
    try:
        request = json.dumps({"argv": args, "env": env, "cwd": cwd}).encode() + b"\n"
        socket.send_fds(conn, [request], [stdin, out_w, err_w])
    finally:
        for fd in (stdin, out_w, err_w):
            os.close(fd)
    encoding = locale.getpreferredencoding(False)
    mode = {"mode": "r", "encoding": encoding} if text else {"mode": "rb"}
    return ForkedProcess(args, conn, open(out_r, **mode), open(err_r, **mode))


if __name__ == "__main__":
    _main()
