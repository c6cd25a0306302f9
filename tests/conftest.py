"""Shared pytest fixtures: the real Landsat test data next to the repository."""

from pathlib import Path

import pytest

# ../shared/data/landsat relative to the repository root (see its README.md).
LANDSAT_DATA = (Path(__file__).parent.parent / "../shared/data/landsat").resolve()


@pytest.fixture(scope="session")
def landsat_data() -> Path:
    """The real Landsat 8/9 test data folder; skips the test when it is absent."""
    if not LANDSAT_DATA.is_dir():
        pytest.skip(f"real Landsat test data not found at {LANDSAT_DATA} (../shared/data/landsat)")
    return LANDSAT_DATA
