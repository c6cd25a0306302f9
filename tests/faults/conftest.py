"""Fixtures of the fault-injection suite: a small scene, a fault proxy in front of the moto
server, a bucket behind it, and the counts ``make faults`` prints (helpers:
tests/support/faultlib.py).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from tests.support.faultlib import COUNTS
from tests.support.proxy import FaultProxy


def pytest_terminal_summary(terminalreporter):
    if COUNTS["runs_checked"] or COUNTS["faults_injected"] or COUNTS["hostile_tried"]:
        terminalreporter.write_line(
            "faults: {faults_injected} injected, {runs_checked} destination checks, "
            "{lost_or_mixed} runs that lost or mixed data, {mixed_visible} mixed sets visible "
            "to a reader, {leftovers} leftovers after the next run; hostile inputs: "
            "{hostile_refused} refused of {hostile_tried} tried".format(**COUNTS)
        )


def _scene(folder: Path, width: int, height: int, seed: int) -> Path:
    from landsat_demo.synthetic import make_scene

    acquired = datetime.datetime(2024, 7, 14, 13, 40)
    return make_scene(folder, acquired=acquired, width=width, height=height, seed=seed)


@pytest.fixture(scope="session")
def scene(tmp_path_factory) -> Path:
    """A small synthetic Collection 2 scene (400 x 360 px)."""
    return _scene(tmp_path_factory.mktemp("scene"), 400, 360, 3)


@pytest.fixture(scope="session")
def small(tmp_path_factory) -> Path:
    """A smaller one (160 x 144 px), for the tests that render it many times."""
    return _scene(tmp_path_factory.mktemp("small"), 160, 144, 5)


@pytest.fixture
def proxy(aws_env, monkeypatch):
    """A :class:`FaultProxy` in front of the moto server; boto3 clients go through it, with
    short timeouts and two attempts, so that faults fail fast."""
    fault_proxy = FaultProxy(aws_env)
    monkeypatch.setenv("AWS_ENDPOINT_URL", fault_proxy.url)
    monkeypatch.setenv("LANDSAT_OPS_S3_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("LANDSAT_OPS_S3_READ_TIMEOUT", "2")
    monkeypatch.setenv("LANDSAT_OPS_S3_CONNECT_TIMEOUT", "2")
    yield fault_proxy
    COUNTS["faults_injected"] += fault_proxy.injected
    fault_proxy.close()


@pytest.fixture
def bucket(proxy):
    import boto3

    boto3.client("s3").create_bucket(Bucket="faults")
    return "faults"
