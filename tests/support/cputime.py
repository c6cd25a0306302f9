"""CPU seconds per test, for finding where the suite's time goes (``make test-cpu``).

With ``LANDSAT_TESTS_CPU=<file>`` set, every test (setup, call and teardown) appends one JSON
line to ``<file>``: its node ID, kind, wall seconds, CPU seconds of the test process and of the
child processes it waited for (subprocess runs: ``airflow dags test``, the CLI, servers it
stopped). Servers shared by several tests (the session's moto server, the cluster) are not
counted per test. ``python -m tests.support.cputime <file>`` sums it up per file and kind.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import defaultdict

import pytest

ENV = "LANDSAT_TESTS_CPU"


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start_wall, (start_own, start_children) = time.monotonic(), _cpu()
    try:
        return (yield)
    finally:
        own, children = _cpu()
        kind = next((m.name for m in item.iter_markers() if m.name in _KINDS), "?")
        line = {
            "test": item.nodeid,
            "kind": kind,
            "wall": round(time.monotonic() - start_wall, 3),
            "cpu": round(own - start_own, 3),
            "children": round(children - start_children, 3),
        }
        with open(os.environ[ENV], "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")


_KINDS = ("cluster", "dag", "faults", "browser", "unit")


def summary(path: str, top: int = 25) -> str:
    """CPU and wall seconds per kind and the most expensive files."""
    kinds, files = defaultdict(lambda: [0.0, 0.0, 0]), defaultdict(lambda: [0.0, 0.0, 0])
    for raw in open(path, encoding="utf-8"):
        line = json.loads(raw)
        cpu = line["cpu"] + line["children"]
        for table, key in ((kinds, line["kind"]), (files, line["test"].split("::")[0])):
            table[key][0] += cpu
            table[key][1] += line["wall"]
            table[key][2] += 1
    rows = ["kind/file  CPU-s  wall-s  tests"]
    for table, limit in ((kinds, None), (files, top)):
        ranked = sorted(table.items(), key=lambda kv: -kv[1][0])[:limit]
        rows += [f"{key}  {cpu:.1f}  {wall:.1f}  {n}" for key, (cpu, wall, n) in ranked]
        rows.append("")
    return "\n".join(rows)


if __name__ == "__main__":
    print(summary(sys.argv[1]))
