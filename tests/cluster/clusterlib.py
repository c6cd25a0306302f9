"""What the cluster tests share: ``python -m cluster`` run as the Makefile runs it, what runs
of a home, its health, and the listening sockets of its processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def command_env(settings) -> dict[str, str]:
    """The environment ``make`` gives ``python -m cluster``, for the home of ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "AWS_", "LANDSAT_"))}
    env.update(settings.port_environment())
    env.update(
        {
            "AIRFLOW_HOME": str(settings.airflow_home),
            "AIRFLOW_CONFIG": str(REPO / "airflow.cfg"),
            "LANDSAT_OPS_ROOT": str(REPO),
            "PYTHONPATH": str(REPO),
        }
    )
    return env


def cluster_command(settings, command: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cluster", command],
        env=command_env(settings),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def snapshot(settings) -> dict:
    from cluster import components, processes

    return {
        name: processes.read_pid(settings.state, name)
        for name in components.process_names(settings)
        if processes.read_pid(settings.state, name)
    }


def assert_refused(done: subprocess.CompletedProcess, *, says: str) -> None:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert "refused" in lines[0] and says in lines[0], lines[0]


def healthy(settings) -> bool:
    from cluster import components

    values = components.health(settings)
    return bool(values) and set(values.values()) == {"healthy"}


def listeners_of(pids: set[int]) -> dict[int, set[str]]:
    """Listening TCP sockets (IPv4 and IPv6) owned by ``pids``: port -> local addresses."""
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    out: dict[int, set[str]] = {}
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:
                continue
            address, port = fields[1].split(":")
            if width == 8:
                ip = ".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0))
            else:
                ip = "::1" if address == "00000000000000000000000001000000" else address
            out.setdefault(int(port, 16), set()).add(ip)
    return out


def group_pids(pgids: set[int]) -> set[int]:
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) in pgids:
                pids.add(int(entry.name))
    return pids
