"""A silent S3 endpoint (accepts connections, never answers) fails in bounded time, in one line.

The endpoint is a socket on 127.0.0.1 that accepts and then says nothing. boto3's defaults
would wait for minutes per request; the store's client gives up after its connect/read
timeouts and retries (set small here through the LANDSAT_OPS_S3_* variables).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from landsat_ops.errors import StorageError
from landsat_ops.storage import open_store


@pytest.fixture
def silent_endpoint():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])  # keep it open, never answer
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def bounded(monkeypatch, silent_endpoint):
    for name, value in {
        "AWS_ENDPOINT_URL": silent_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LANDSAT_OPS_S3_CONNECT_TIMEOUT": "1",
        "LANDSAT_OPS_S3_READ_TIMEOUT": "1",
        "LANDSAT_OPS_S3_MAX_ATTEMPTS": "2",
    }.items():
        monkeypatch.setenv(name, value)
    return silent_endpoint


@pytest.mark.faults  # waits out the timeouts: not in `make test-fast`
def test_a_stalled_request_fails_within_the_bounds(bounded):
    store = open_store("s3://silent-bucket/prefix")
    started = time.monotonic()
    with pytest.raises(StorageError, match="s3://silent-bucket/prefix/x: cannot read"):
        store.read_bytes("x")
    assert time.monotonic() - started < 15  # 2 attempts x 1 s, plus backoff


@pytest.mark.faults  # waits out the timeouts: not in `make test-fast`
def test_the_cli_says_it_in_one_line(bounded, tmp_path):
    cli = Path(sys.executable).with_name("landsat-ops")
    started = time.monotonic()
    result = subprocess.run(
        [str(cli), "render", "s3://silent-bucket/landing/X/", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LANDSAT_OPS_PROGRESS": "0"},
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and errors[0].startswith("landsat-ops: error: s3://silent-bucket")
    assert time.monotonic() - started < 60
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_bad_bound_is_named(monkeypatch):
    monkeypatch.setenv("LANDSAT_OPS_S3_READ_TIMEOUT", "soon")
    with pytest.raises(StorageError, match="LANDSAT_OPS_S3_READ_TIMEOUT: expected a number"):
        open_store("s3://bucket/prefix")
