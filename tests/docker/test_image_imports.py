"""The render image holds landsat_ops and requirements/render.lock only: nothing else is imported.

Every import statement in landsat_ops/ (top level or inside a function) must name the
standard library, landsat_ops itself, or a distribution pinned in requirements/render.lock.
An import of the orchestration side (airflow, landsat_pipeline, pystac-client, yaml, ...) or
of the demo data would only fail inside the container, at run time.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "landsat_ops"
RENDER_LOCK = ROOT / "requirements" / "render.lock"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def locked_distributions() -> frozenset[str]:
    names = set()
    for line in RENDER_LOCK.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", line.strip())
        if match:
            names.add(_canonical(match[1]))
    return frozenset(names)


@functools.cache
def providers() -> dict[str, list[str]]:
    """Top-level module -> the installed distributions providing it (read once: it scans every
    installed distribution's file list)."""
    return importlib.metadata.packages_distributions()


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every absolute import in a file (``import a.b`` -> ``a``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_the_package_has_sources():
    assert len(SOURCES) > 5


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_import_is_in_the_render_image(path):
    locked = locked_distributions()
    stray = {}
    for module in imported_modules(path):
        if module == "landsat_ops" or module in sys.stdlib_module_names or module == "__future__":
            continue
        distributions = {_canonical(d) for d in providers().get(module, [])}
        if not distributions & locked:
            stray[module] = sorted(distributions) or ["(no installed distribution)"]
    assert stray == {}, f"{path.name} imports what requirements/render.lock does not hold"


def test_a_stray_import_is_caught(tmp_path):
    """The check itself: an airflow import is not in the render lock."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def f():\n    from airflow.sdk import dag\n    import landsat_pipeline.keys\n"
    )
    assert imported_modules(probe) == {"airflow", "landsat_pipeline"}
    assert not {_canonical(d) for d in providers().get("airflow", [])} & locked_distributions()
