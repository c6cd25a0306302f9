"""The fault tests' process launcher (tests/support/forkserver.py): a forked ``landsat-ops``
behaves as an exec'd one where the tests look (exit code, stdout, stderr, signals, pid,
environment, working folder, import path), and the server it is forked from holds no
thread."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.support import forkserver

SCRIPT = """
import os, sys, time
print(os.getpid(), sys.path[0], os.getcwd(), os.environ.get("FORKSERVER_PROBE"), sys.argv[1:],
      flush=True)
print("to stderr", file=sys.stderr)
if sys.argv[1:] == ["sleep"]:
    time.sleep(60)
sys.exit(int(sys.argv[1]) if sys.argv[1:] and sys.argv[1].isdigit() else 0)
"""


def _exec(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [forkserver.LANDSAT_OPS, *args], capture_output=True, text=True, timeout=60
    )


def _forked(*args: str) -> tuple[int, str, str]:
    process = forkserver.popen([forkserver.LANDSAT_OPS, *args], text=True)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


@pytest.mark.parametrize(
    "args",
    [["--version"], ["render", "/no/such/scene", "--out", "/tmp/x"], ["render"]],
    ids=["version", "bad-scene", "usage"],
)
def test_a_forked_command_answers_as_the_console_script(args):
    real = _exec(*args)
    assert _forked(*args) == (real.returncode, real.stdout, real.stderr)


def test_pid_environment_folder_arguments_and_exit_code(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "FORKSERVER_PROBE": "seen"}
    work = tmp_path / "work"
    work.mkdir()
    process = forkserver.popen([sys.executable, str(script), "7"], env=env, cwd=work)
    out, err = process.communicate(timeout=60)
    pid, path, cwd, probe, argv = out.decode().split(" ", 4)
    assert process.returncode == 7 and err == b"to stderr\n"
    assert int(pid) == process.pid != os.getpid()
    assert (cwd, probe, argv.strip()) == (str(work), "seen", "['7']")
    assert path == str(tmp_path)  # the script's folder, as Python puts it first


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_signals_and_timeouts(tmp_path, sig):
    script = tmp_path / "probe.py"
    script.write_text(SCRIPT)
    process = forkserver.popen([sys.executable, str(script), "sleep"])
    assert process.stdout.readline().split()[0] == str(process.pid).encode()
    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(timeout=0.2)
    assert process.poll() is None
    assert os.path.exists(f"/proc/{process.pid}")  # a process of its own, running
    process.send_signal(sig)
    assert process.wait(timeout=30) == -sig
    process.send_signal(signal.SIGKILL)  # after the exit: nothing (as Popen)


def test_the_server_holds_no_thread_and_children_are_reaped():
    forkserver.popen([forkserver.LANDSAT_OPS, "--version"]).communicate(timeout=60)
    server = forkserver._the_server().process.pid
    assert os.listdir(f"/proc/{server}/task") == [str(server)]
    deadline = time.monotonic() + 10
    while True:  # the child's status was read, so the server reaps it
        children = open(f"/proc/{server}/task/{server}/children").read().split()
        if not children or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert children == []


def test_disabled_it_execs(monkeypatch):
    monkeypatch.setenv("LANDSAT_TESTS_FORKSERVER", "0")
    process = forkserver.popen([forkserver.LANDSAT_OPS, "--version"], text=True)
    assert isinstance(process, subprocess.Popen)
    assert process.communicate(timeout=60)[0].startswith("landsat-ops, version")


def test_only_commands_it_can_run():
    with pytest.raises(ValueError, match="expected"):
        forkserver.popen([sys.executable, "-c", "pass"])
