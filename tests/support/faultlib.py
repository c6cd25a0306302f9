"""Helpers of the fault-injection suite: real ``landsat-ops`` processes, checks, and counts.

Every test reports what it did to :data:`COUNTS`: faults it injected (proxy faults, signals,
a full disk, a wrong MTL, a missing bucket, ...), runs whose destination it checked, the checks
that found data lost or sets mixed (must stay 0), and leftovers found after the next run (must
stay 0); tests/faults/conftest.py prints them. A module of its own, not conftest.py, so the
tests can import it unambiguously (every folder's conftest.py is imported as the module
``conftest``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

from tests.support import forkserver

LANDSAT_OPS = str(Path(sys.executable).with_name("landsat-ops"))
COUNTS = {
    "faults_injected": 0,
    "runs_checked": 0,
    "lost_or_mixed": 0,
    "leftovers": 0,
    # Reader checks after each kill/fault: sets a reader could see mixed or missing (must be 0).
    "mixed_visible": 0,
    # The hostile-input suites: inputs tried, and those refused as they must be (must be equal).
    "hostile_tried": 0,
    "hostile_refused": 0,
}


def hostile(refused: bool) -> None:
    """Count one hostile input tried, and whether it was refused as it must be."""
    COUNTS["hostile_tried"] += 1
    COUNTS["hostile_refused"] += int(bool(refused))


FAULT_PRODUCTS = "truecolor,falsecolor,ndvi"
"""What a fault test's render makes unless it names ``--products``: a set of 8 files (COGs,
PNGs, item), which is what the publication's guarantees are about. The extent and the
histogram sheet (matplotlib) would add ~0.7 CPU-s to each of the suite's ~400 renders
without adding a case: the product tests render them."""


def start(*args: str, env: dict | None = None) -> forkserver.ForkedProcess:
    """A real ``landsat-ops`` process (a ``render`` makes :data:`FAULT_PRODUCTS` by default),
    forked from tests/support/forkserver.py's warm server: its own pid, signals, exit code,
    stdout and stderr, without ~1.1 CPU-s of start-up each time."""
    args = [str(arg) for arg in args]
    if "render" in args and "--products" not in args:
        args += ["--products", FAULT_PRODUCTS]
    return forkserver.popen([LANDSAT_OPS, *args], env={**os.environ, **(env or {})}, text=True)


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


def wait_for(condition, timeout: float = 60, process=None) -> None:
    """Wait until ``condition()``; fail at once if ``process`` (a :func:`start`) ended first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process ended first: {process.communicate()[1]}")
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def set_problems(store) -> list[str]:
    """What a reader would find wrong: it reads each scene item at the destination's top,
    then every asset the item names, and checks the bytes against the item's checksum.
    Counts the check, and a mixed or missing set visible to a reader when there are any."""
    COUNTS["runs_checked"] += 1
    items = [k for k in store.list() if k.endswith(".json") and "/" not in k]
    problems = []
    if len(items) != 1:
        problems.append(f"expected one item, found {items}")
    for key in items:
        item = json.loads(store.read_bytes(key))
        for name, asset in item["assets"].items():
            target = asset["href"].removeprefix("./")
            if not store.exists(target):
                problems.append(f"{name}: {target} missing")
                continue
            digest = hashlib.sha256(store.read_bytes(target)).hexdigest()
            if "1220" + digest != asset.get("file:checksum"):
                problems.append(f"{name}: {target} does not match the item's checksum")
    if problems:
        COUNTS["lost_or_mixed"] += 1
        COUNTS["mixed_visible"] += 1
    return problems


def referenced(store) -> set[str]:
    """The items at the destination's top and the objects their assets name."""
    keys = set()
    for key in store.list():
        if key.endswith(".json") and "/" not in key:
            keys.add(key)
            item = json.loads(store.read_bytes(key))
            folder = {
                a["href"].removeprefix("./").rpartition("/")[0] for a in item["assets"].values()
            }
            for f in folder:
                keys |= {k for k in store.list_all(f + "/")}
    return keys


def collect(store) -> None:
    """``landsat-ops cleanup`` with no retention, in this process (no live run may be writing)."""
    from landsat_ops.render.garbage import collect_garbage

    collect_garbage(store, retention=0)


def leftovers(store, workdir: Path | None = None) -> list[str]:
    """What is neither an item nor in the version it names: unreferenced versions, temporary
    files, probes, incomplete multipart uploads, and scratch folders."""
    keep = referenced(store)
    found = [k for k in store.list_all() if k not in keep]
    found += [f"upload {key}" for key, _, _ in store.incomplete_uploads()]
    if workdir is not None:
        found += [p.name for p in workdir.iterdir() if p.name.startswith("landsat-ops-")]
    if found:
        COUNTS["leftovers"] += 1
    return found


def snapshot(store) -> dict[str, bytes]:
    """Every object of the destination (hidden ones too), by its bytes."""
    return {key: store.read_bytes(key) for key in store.list_all()}


def lost(store, before: dict[str, bytes]) -> list[str]:
    """Objects of ``before`` (a :func:`snapshot`) that are gone or whose bytes changed.
    Counts the check, and a run that lost data when there are any."""
    COUNTS["runs_checked"] += 1
    now = snapshot(store)
    found = [f"{key} lost" for key in before if key not in now]
    found += [f"{key} changed" for key in before if key in now and now[key] != before[key]]
    if found:
        COUNTS["lost_or_mixed"] += 1
    return found


def changes(store, before: dict[str, bytes], workdir: Path | None = None) -> list[str]:
    """How the destination differs from ``before``: :func:`lost` objects, then whatever is
    new (objects, incomplete multipart uploads, scratch folders in ``workdir``), counted as
    leftovers. For a run that must leave the destination as it found it."""
    found = lost(store, before)
    new = [f"{key} new" for key in store.list_all() if key not in before]
    new += [f"upload {key}" for key, _, _ in store.incomplete_uploads()]
    if workdir is not None:
        new += [p.name for p in workdir.iterdir() if p.name.startswith("landsat-ops-")]
    if new:
        COUNTS["leftovers"] += 1
    return found + new


def fault(n: int = 1) -> None:
    """Count faults injected by other means than the proxy (signals, disks, files)."""
    COUNTS["faults_injected"] += n
