"""Helpers of the fault-injection suite: real ``landsat-ops`` processes, checks, and counts.

Every test reports what it did to :data:`COUNTS`: faults it injected (proxy faults, signals,
a full disk, a wrong MTL, a missing bucket, ...), runs whose destination it checked, the checks
that found data lost or sets mixed (must stay 0), and leftovers found after the next run (must
stay 0); conftest.py prints them. A module of its own, not conftest.py, so the tests can import
it unambiguously (every folder's conftest.py is imported as the module ``conftest``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

LANDSAT_OPS = str(Path(sys.executable).with_name("landsat-ops"))
COUNTS = {"faults_injected": 0, "runs_checked": 0, "lost_or_mixed": 0, "leftovers": 0}
SIDE_MARKS = (".partial", ".backup", ".journal", ".landsat-ops.lock", ".probe.")


def start(*args: str, env: dict | None = None) -> subprocess.Popen:
    """A real ``landsat-ops`` process."""
    return subprocess.Popen(
        [LANDSAT_OPS, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def run(*args: str, timeout: float = 120) -> tuple[int, str, str]:
    process = start(*args)
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def assert_one_line(err: str, *fragments: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("landsat-ops: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], err


def wait_for(condition, timeout: float = 60, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process ended first: {process.communicate()[1]}")
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def set_problems(store) -> list[str]:
    """What is wrong with the published set: an asset of the item missing, or its bytes not
    the item's checksum (read back, not the declared metadata). Counts the check."""
    COUNTS["runs_checked"] += 1
    items = [k for k in store.list() if k.endswith(".json") and "/" not in k]
    problems = []
    if len(items) != 1:
        problems.append(f"expected one item, found {items}")
    for key in items:
        item = json.loads(store.read_bytes(key))
        for name, asset in item["assets"].items():
            target = asset["href"].rsplit("/", 1)[-1]
            if not store.exists(target):
                problems.append(f"{name}: {target} missing")
                continue
            digest = hashlib.sha256(store.read_bytes(target)).hexdigest()
            if "1220" + digest != asset.get("file:checksum"):
                problems.append(f"{name}: {target} does not match the item's checksum")
    if problems:
        COUNTS["lost_or_mixed"] += 1
    return problems


def leftovers(store, workdir: Path | None = None) -> list[str]:
    """Staged files, backups, journals, locks, probes, multipart uploads and scratch folders."""
    found = [k for k in store.list_all() if any(mark in k for mark in SIDE_MARKS)]
    found += [f"upload {key}" for key, _, _ in store.incomplete_uploads()]
    if workdir is not None:
        found += [p.name for p in workdir.iterdir() if p.name.startswith("landsat-ops-")]
    if found:
        COUNTS["leftovers"] += 1
    return found


def fault(n: int = 1) -> None:
    """Count faults injected by other means than the proxy (signals, disks, files)."""
    COUNTS["faults_injected"] += n
