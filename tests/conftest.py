"""Shared pytest fixtures (the real Landsat test data, a moto server) and the test markers.

Markers are given here from what a test uses, so they cannot drift from the tests:

* ``integration``: a test under ``tests/dags/`` (Airflow DAG runs), the container contract,
  or any test that starts a server (the moto server, a STAC replay server). ``make test-fast``
  (``pytest -m "not integration"``) is the unit set for the edit-test loop.
* ``data``: a test of the real Landsat data in ``../shared/data/landsat``; it skips with the
  reason where the data is absent.
"""

from pathlib import Path

import pytest

# ../shared/data/landsat relative to the repository root (see its README.md).
LANDSAT_DATA = (Path(__file__).parent.parent / "../shared/data/landsat").resolve()
TESTS = Path(__file__).parent
_INTEGRATION_FOLDERS = (TESTS / "dags", TESTS / "cluster", TESTS / "faults")
_INTEGRATION_FILES = (TESTS / "test_container_contract.py",)
_SERVER_FIXTURES = {"moto_server", "serve", "airflow_db"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(item.path)
        fixtures = set(getattr(item, "fixturenames", ()))
        if (
            path in _INTEGRATION_FILES
            or any(folder in path.parents for folder in _INTEGRATION_FOLDERS)
            or fixtures & _SERVER_FIXTURES
        ):
            item.add_marker(pytest.mark.integration)
        if "landsat_data" in fixtures:
            item.add_marker(pytest.mark.data)


@pytest.fixture(scope="session")
def landsat_data() -> Path:
    """The real Landsat 8/9 test data folder; skips the test when it is absent."""
    if not LANDSAT_DATA.is_dir():
        pytest.skip(f"real Landsat test data not found at {LANDSAT_DATA} (../shared/data/landsat)")
    return LANDSAT_DATA


@pytest.fixture(scope="session")
def moto_server():
    """A moto server on 127.0.0.1 (a random free port) acting as the AWS API for the session.

    Yields its endpoint URL. Tests that use it get the standard AWS environment variables
    pointing at it through :func:`aws_env`.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(moto_server, monkeypatch):
    """Point boto3 (AWS_ENDPOINT_URL) and dummy credentials at the moto server.

    Returns the endpoint URL. Each test gets a clean moto state (all buckets, clusters and
    instances are reset before the test).
    """
    import urllib.request

    urllib.request.urlopen(
        urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"), timeout=10
    ).read()
    for name, value in {
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_server


@pytest.fixture
def s3_bucket(aws_env):
    """A fresh, empty bucket on the moto server; returns its name."""
    import boto3

    name = "landsat-ops-test"
    boto3.client("s3").create_bucket(Bucket=name)
    return name
