"""Shared pytest fixtures (the real Landsat test data, a moto server), the test kinds and their
time limits, and the faults counts of xdist workers.

Every test has exactly one kind, a marker given here from where the test lives and what it uses,
so the kinds cannot drift from the tests (pyproject.toml lists them; ``--strict-markers``):

* ``cluster``: under ``tests/cluster/`` (the real Celery cluster; started once per session);
* ``dag``: under ``tests/dags/`` (Airflow DAG runs in a private Airflow), any other test on the
  Airflow metadata database (``airflow_db``), and the render container's contract
  (``tests/test_container_contract.py``: the ECS/EC2 render task's exact argv as subprocesses);
* ``faults``: under ``tests/faults/`` (``make faults``);
* ``browser``: headless Chromium (marked ``@pytest.mark.browser`` on the test itself);
* ``unit``: everything else, in-process (local servers on 127.0.0.1 included: the moto server,
  the STAC replay server): ``make test-fast``.

A kind marker written on a test (or its module) wins over these rules; two kinds on one test are
a collection error. ``data`` marks the tests of the real Landsat data in ``../shared/data/landsat``;
they skip with the reason where it is absent.

Time limits: ``timeout`` in pyproject.toml for every test, :data:`TIMEOUTS` per kind above it,
``@pytest.mark.timeout(s)`` on a test above both. pytest-timeout enforces them (SIGALRM), except
for the DAG tests (Airflow cancels that alarm), which a timer thread here fails with SIGUSR2.
"""

import faulthandler
import importlib.util
import os
import signal
import sys
import threading
from pathlib import Path

import pytest

# ../shared/data/landsat relative to the repository root (see its README.md).
LANDSAT_DATA = (Path(__file__).parent.parent / "../shared/data/landsat").resolve()
TESTS = Path(__file__).parent
# In the order their files start under xdist: the longest first, the unit set last.
KINDS = ("cluster", "dag", "faults", "browser", "unit")
TIMEOUTS = {"cluster": 900}  # seconds; the others have the default of pyproject.toml
# Airflow's own SIGALRM timers (DagBag imports, execution_timeout) cancel pytest-timeout's alarm
# and leave their handler in place, so the DAG tests are timed by pytest_runtest_protocol below.
SIGUSR2_KINDS = {"dag"}
HARD_STOP_AFTER = 60  # seconds past the limit: then the worker is ended (tests stuck in a retry)
_FOLDER_KINDS = {TESTS / "dags": "dag", TESTS / "cluster": "cluster", TESTS / "faults": "faults"}
_FILE_KINDS = {TESTS / "test_container_contract.py": "dag"}
_FIXTURE_KINDS = {"airflow_db": "dag"}


def _kind(item) -> str:
    written = {mark.name for mark in item.iter_markers() if mark.name in KINDS}
    if len(written) > 1:
        raise pytest.UsageError(f"{item.nodeid}: more than one kind: {sorted(written)}")
    if written:
        return written.pop()
    path = Path(item.path)
    for folder, kind in _FOLDER_KINDS.items():
        if folder in path.parents:
            return kind
    if path in _FILE_KINDS:
        return _FILE_KINDS[path]
    for fixture in getattr(item, "fixturenames", ()):
        if fixture in _FIXTURE_KINDS:
            return _FIXTURE_KINDS[fixture]
    return "unit"


def _limit(item, kind: str) -> float:
    """The test's time limit: its timeout marker, else its kind's, else pyproject.toml's."""
    written = item.get_closest_marker("timeout")
    if written is not None and (written.args or "timeout" in written.kwargs):
        return float(written.args[0] if written.args else written.kwargs["timeout"])
    return float(TIMEOUTS.get(kind) or item.config.getini("timeout") or 0)


def pytest_collection_modifyitems(config, items):
    kinds = {}
    for item in items:
        kind = kinds[item] = _kind(item)
        if not item.get_closest_marker(kind):
            item.add_marker(getattr(pytest.mark, kind))
        if kind in SIGUSR2_KINDS:
            item.stash[_SIGUSR2_LIMIT] = _limit(item, kind)
            item.add_marker(pytest.mark.timeout(0), append=False)  # pytest-timeout stands aside
        elif kind in TIMEOUTS and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TIMEOUTS[kind]))
        if "landsat_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.data)
    # Files of the slow kinds first, each file's tests together and in their order: xdist
    # (--dist loadfile) hands out files in this order, so the cluster and the DAG runs start at
    # once instead of being the tail of the run.
    rank = {}
    for index, item in enumerate(items):
        file_rank = (KINDS.index(kinds[item]), index)
        rank[item.path] = min(rank.get(item.path, file_rank), file_rank)
    items[:] = [
        item for _, item in sorted(enumerate(items), key=lambda pair: (rank[pair[1].path], pair[0]))
    ]


_SIGUSR2_LIMIT = pytest.StashKey[float]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """pytest-timeout's signal method with a timer thread and SIGUSR2 instead of SIGALRM: at the
    limit the test fails where it is (its traceback shows where it hung) and its teardown runs."""
    limit = item.stash.get(_SIGUSR2_LIMIT, 0)
    if not limit:
        return (yield)

    def expire(signum, frame):
        pytest.fail(f"Timeout (>{limit:g}s; tests/conftest.py, SIGUSR2)")

    def hard_stop():
        # The failure raised at the limit was caught inside the code under test (a task
        # runner that retries on any exception): dump every thread's stack and end this
        # process, as pytest-timeout's thread method does (xdist reports the test, and
        # replaces the worker).
        late = f"{item.nodeid}: still running {HARD_STOP_AFTER} s after its time limit"
        sys.stderr.write(f"\n{late}\n")
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        sys.stderr.flush()
        os._exit(1)

    previous = signal.signal(signal.SIGUSR2, expire)
    timer = threading.Timer(limit, os.kill, (os.getpid(), signal.SIGUSR2))
    last_resort = threading.Timer(limit + HARD_STOP_AFTER, hard_stop)
    for each in (timer, last_resort):
        each.daemon = True
        each.start()
    try:
        return (yield)
    finally:
        timer.cancel()
        last_resort.cancel()
        signal.signal(signal.SIGUSR2, previous)


# Folders whose tests xdist hands out one by one instead of a file at a time (--dist loadfile):
# their module fixtures are cheap and their files are long strings of waits (stalled endpoints,
# signals, retries), which one worker would otherwise wait through alone.
PER_TEST_FOLDERS = ("tests/faults/",)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(PER_TEST_FOLDERS):
                return nodeid
            return super()._split_scope(nodeid)

    return Scheduling(config, log)


# The faults counts (tests/support/faultlib.py COUNTS) of each xdist worker are added up in the
# controller, which prints them through tests/faults/conftest.py's pytest_terminal_summary.
# The controller collects nothing, so that conftest is registered here when the command line
# did not name tests/faults itself (`make test`).
@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    if not config.pluginmanager.has_plugin("dsession"):  # not an xdist controller
        return
    faults_conftest = TESTS / "faults" / "conftest.py"
    plugins = config.pluginmanager.get_plugins()
    if faults_conftest.is_file() and not any(
        getattr(plugin, "__file__", None) == str(faults_conftest) for plugin in plugins
    ):
        spec = importlib.util.spec_from_file_location("faults_conftest", faults_conftest)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        config.pluginmanager.register(module, str(faults_conftest))


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        from tests.support.faultlib import COUNTS

        workeroutput["faults_counts"] = dict(COUNTS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    from tests.support.faultlib import COUNTS

    for name, count in getattr(node, "workeroutput", {}).get("faults_counts", {}).items():
        COUNTS[name] = COUNTS.get(name, 0) + count


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


if os.environ.get("LANDSAT_TESTS_CPU"):  # CPU seconds per test (tests/support/cputime.py)
    pytest_plugins = ["tests.support.cputime"]
