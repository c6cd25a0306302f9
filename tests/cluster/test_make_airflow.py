"""``make airflow`` for real (``python -m cluster standalone`` in a home of its own, on free
ports, under a folder of mode 700), and PostgreSQL's binaries out of ``nobody``'s reach.

Issue 21: a second ``make airflow`` printed the banner, started a second scheduler on the same
database and on Ctrl-C shut down the PostgreSQL the first one used. These tests do not use the
session's cluster (tests/cluster/conftest.py), so under xdist's ``--dist loadfile`` they run
beside it without starting another.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.cluster.clusterlib import (
    REPO,
    assert_refused,
    cluster_command,
    command_env,
    group_pids,
    healthy,
    listeners_of,
    snapshot,
)

pytestmark = pytest.mark.cluster


def test_make_airflow_twice_the_second_is_refused_and_ctrl_c_stops_only_its_own():
    """The second is refused in one line and changes nothing; Ctrl-C of the first stops what
    it started, PostgreSQL last, and frees its ports; every listener on 127.0.0.1."""
    from cluster import components, processes

    root = Path(tempfile.mkdtemp(prefix="landsat-make-airflow-"))  # mode 700
    settings = components.Settings.on_free_ports(root, REPO / "dags" / "config" / "areas.yaml")
    first = subprocess.Popen(
        [sys.executable, "-m", "cluster", "standalone"],
        env=command_env(settings),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 300
        for line in first.stdout:
            output.append(line)
            if line.startswith("Ready.") or time.monotonic() > deadline:
                break
        assert output and output[-1].startswith("Ready."), "".join(output)
        assert healthy(settings), components.health(settings)
        assert f"{settings.url}  login: admin" in "".join(output)
        before = snapshot(settings)
        listening = listeners_of(group_pids(set(before.values())))
        ports = {settings.api_port, settings.trigger_log_port, settings.workers[0].log_port}
        assert ports <= set(listening), listening
        assert {ip for ips in listening.values() for ip in ips} == {"127.0.0.1"}, listening

        second = cluster_command(settings, "standalone")
        assert_refused(second, says="already runs on this home (")
        assert "make airflow" in second.stderr
        assert cluster_command(settings, "up").returncode == 1

        time.sleep(5)
        assert first.poll() is None
        assert snapshot(settings) == before
        assert settings.postgres.running()
        assert healthy(settings), components.health(settings)

        # Ctrl-C: the first stops what it started, PostgreSQL last, and frees its ports.
        first.send_signal(signal.SIGINT)
        rest, _ = first.communicate(timeout=240)
        assert first.returncode == 0, "".join(output) + rest
        assert not settings.postgres.running()
        assert components.running(settings) == []
        for port in (settings.api_port, settings.postgres_port, settings.trigger_log_port):
            assert not processes.port_in_use(port)
    finally:
        if first.poll() is None:
            first.send_signal(signal.SIGTERM)
            first.wait(timeout=240)
        components.purge(settings)
        shutil.rmtree(root, ignore_errors=True)


def test_pgserver_binaries_out_of_nobodys_reach_are_copied_and_run(tmp_path, monkeypatch):
    """A virtual environment under a folder only its owner can enter (a clone under `mktemp
    -d`, /root): as root the server's binaries are copied to the private root, with the
    shared libraries their relative RPATH points at, and run there as nobody."""
    from cluster import postgres
    from cluster.processes import free_port

    if os.geteuid() != 0:
        pytest.skip("the server runs as this user: nothing to copy")
    installed = postgres._pgserver_binaries()
    if installed is None:
        pytest.skip("no pgserver wheel here")
    # The wheel's layout, in a folder of mode 700: <site-packages>/pgserver{,.libs}.
    site = tmp_path / "venv-site-packages"
    site.mkdir()
    tmp_path.chmod(0o700)
    shutil.copytree(installed.parent.parent, site / "pgserver", symlinks=True)
    if (installed.parent.parent.parent / "pgserver.libs").is_dir():
        shutil.copytree(installed.parent.parent.parent / "pgserver.libs", site / "pgserver.libs")
    out_of_reach = site / "pgserver" / "pginstall"
    assert not postgres.reachable(out_of_reach / "bin" / "pg_ctl", "nobody")

    root = Path(tempfile.mkdtemp(prefix="landsat-pg-root-"))
    root.chmod(0o711)
    monkeypatch.setenv("LANDSAT_CLUSTER_POSTGRES_ROOT", str(root / "private"))
    try:
        copied = postgres._private_copy(out_of_reach)
        assert copied.is_relative_to(root / "private")
        assert postgres.reachable(copied / "bin" / "pg_ctl", "nobody")
        assert postgres._private_copy(out_of_reach) == copied  # made once
        data = root / "private" / "data"
        data.mkdir(mode=0o700)
        os.chown(data, *(lambda e: (e.pw_uid, e.pw_gid))(__import__("pwd").getpwnam("nobody")))

        def run(*command):
            return subprocess.run(
                command, user="nobody", cwd="/", capture_output=True, text=True, timeout=120
            )

        done = run(str(copied / "bin" / "initdb"), "-D", str(data), "--auth=trust", "-U", "pg")
        assert done.returncode == 0, done.stderr
        port = free_port()
        options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories=''"
        pg_ctl = str(copied / "bin" / "pg_ctl")
        done = run(pg_ctl, "-D", str(data), "-w", "-l", str(data / "log"), "-o", options, "start")
        assert done.returncode == 0, done.stdout + done.stderr
        try:
            import psycopg2

            connection = psycopg2.connect(host="127.0.0.1", port=port, user="pg", dbname="postgres")
            with connection, connection.cursor() as cursor:
                cursor.execute("select 1")
                assert cursor.fetchone() == (1,)
            connection.close()
        finally:
            run(pg_ctl, "-D", str(data), "-w", "-m", "fast", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
