"""The cluster: its settings, the environment of every component, start, health and stop.

``up`` (``make cluster``) starts PostgreSQL (metadata database and Celery result backend),
Redis (Celery broker), a moto S3 server (the bucket every worker shares; in memory, emptied by
``down``), the gallery (the bucket's published part, read-only over HTTP), migrates the
database, imports the pools, then starts the api-server, scheduler, dag-processor, triggerer,
the Celery workers and their log servers, and returns once the api-server reports every
component healthy and every worker is ready. ``down`` stops them in reverse order.
``standalone`` (``make airflow``) runs the same Airflow components on LocalExecutor, on the same
PostgreSQL, in the foreground until Ctrl-C or SIGTERM.

Both refuse to start, in one line and before touching anything, when an instance already runs
on this home (a process of its pid files, its PostgreSQL, or another start holding its lock)
or when one of their ports is taken; and they only ever stop what they started themselves.
Every listener is on 127.0.0.1: Airflow's own log servers listen on every interface, so the
components run with ``--skip-serve-logs`` beside cluster/log_server.py.
"""

from __future__ import annotations

import configparser
import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cluster import home, processes, redis_server
from cluster.postgres import PostgresServer
from cluster.processes import ClusterError, wait_until

REPO = Path(__file__).resolve().parent.parent
BUCKET = "landsat-cluster"
RENDER_QUEUE = "render"
"""The Celery queue of the render tasks (``defaults.render_queue`` of dags/config/areas.yaml)."""
QUEUES = ("default", RENDER_QUEUE)
STANDALONE = "standalone"
"""The pid file name of a running ``make airflow`` (its supervising process)."""


class AlreadyRunning(ClusterError):
    """An instance runs on this home, or a port of this one is taken: nothing was started."""


def _port(variable: str, default: int) -> int:
    value = os.environ.get(variable, str(default))
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ClusterError(f"{variable}: is {value!r}, expected a TCP port number (1-65535)")
    return int(value)


def api_port(config: Path = REPO / "airflow.cfg") -> int:
    """The api-server's port: ``AIRFLOW__API__PORT``, else ``[api] port`` of airflow.cfg."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(config)
    return _port("AIRFLOW__API__PORT", parser.getint("api", "port", fallback=8080))


@dataclass(frozen=True)
class Worker:
    """One Celery worker: its node name and the port of its log server."""

    name: str
    log_port: int


@dataclass(frozen=True)
class Settings:
    """Where the cluster keeps its state and which ports it uses (all on 127.0.0.1)."""

    airflow_home: Path
    state: Path
    api_port: int
    postgres_port: int
    redis_port: int
    s3_port: int
    trigger_log_port: int
    workers: tuple[Worker, ...]
    gallery_port: int = 59001
    pipeline_config: Path = REPO / "dags" / "config" / "areas.yaml"
    """The pipeline config to run; the cluster writes a copy whose bucket is its S3 bucket."""
    worker_concurrency: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls, airflow_home: Path) -> Settings:
        """The defaults of ``make cluster``; ports from ``LANDSAT_CLUSTER_*_PORT``."""
        return cls(
            airflow_home=airflow_home,
            state=airflow_home / "cluster",
            api_port=api_port(),
            postgres_port=_port("LANDSAT_CLUSTER_POSTGRES_PORT", 54329),
            redis_port=_port("LANDSAT_CLUSTER_REDIS_PORT", 63799),
            s3_port=_port("LANDSAT_CLUSTER_S3_PORT", 59000),
            gallery_port=_port("LANDSAT_CLUSTER_GALLERY_PORT", 59001),
            trigger_log_port=_port("LANDSAT_CLUSTER_TRIGGER_LOG_PORT", 8794),
            workers=(
                Worker("worker1", _port("LANDSAT_CLUSTER_WORKER1_LOG_PORT", 8793)),
                Worker("worker2", _port("LANDSAT_CLUSTER_WORKER2_LOG_PORT", 8795)),
            ),
        )

    @classmethod
    def on_free_ports(cls, root: Path, pipeline_config: Path, **options) -> Settings:
        """A throwaway cluster under ``root`` (its home ``root/home``, state in the home's
        ``cluster/`` as ``make cluster``'s) on free ports: tests, bench."""
        free = processes.free_port
        return cls(
            airflow_home=root / "home",
            state=root / "home" / "cluster",
            api_port=free(),
            postgres_port=free(),
            redis_port=free(),
            s3_port=free(),
            gallery_port=free(),
            trigger_log_port=free(),
            workers=(Worker("worker1", free()), Worker("worker2", free())),
            pipeline_config=pipeline_config,
            extra_env={"AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(root / "home" / "logs")},
            **options,
        )

    def port_environment(self) -> dict[str, str]:
        """The variables that make ``python -m cluster`` use these ports (tests, bench)."""
        return {
            "AIRFLOW__API__PORT": str(self.api_port),
            "LANDSAT_CLUSTER_POSTGRES_PORT": str(self.postgres_port),
            "LANDSAT_CLUSTER_REDIS_PORT": str(self.redis_port),
            "LANDSAT_CLUSTER_S3_PORT": str(self.s3_port),
            "LANDSAT_CLUSTER_GALLERY_PORT": str(self.gallery_port),
            "LANDSAT_CLUSTER_TRIGGER_LOG_PORT": str(self.trigger_log_port),
            "LANDSAT_CLUSTER_WORKER1_LOG_PORT": str(self.workers[0].log_port),
            "LANDSAT_CLUSTER_WORKER2_LOG_PORT": str(self.workers[1].log_port),
        }

    @property
    def postgres(self) -> PostgresServer:
        return PostgresServer(self.state / "postgres", self.postgres_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def s3_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def gallery_url(self) -> str:
        return f"http://127.0.0.1:{self.gallery_port}/"


def airflow_env(settings: Settings, *, executor: str = "CeleryExecutor") -> dict[str, str]:
    """The environment every Airflow component of the cluster gets."""
    postgres = settings.postgres
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(settings.airflow_home),
            "AIRFLOW_CONFIG": str(REPO / "airflow.cfg"),
            "LANDSAT_OPS_ROOT": str(REPO),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres.url(),
            "AIRFLOW__CORE__EXECUTOR": executor,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(settings.api_port),
            "AIRFLOW__API__BASE_URL": settings.url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{settings.url}/execution/",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(settings.trigger_log_port),
            # Where the api-server fetches the logs of running tasks (any log server of this
            # machine serves them all: one base_log_folder).
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(settings.workers[0].log_port),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
    )
    if executor == "CeleryExecutor":
        key, secret = home.s3_credentials(settings.airflow_home)
        env.update(
            {
                "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{settings.redis_port}/0",
                "AIRFLOW__CELERY__RESULT_BACKEND": postgres.url("db+postgresql+psycopg2"),
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(settings.worker_concurrency),
                "LANDSAT_PIPELINE_CONFIG": str(settings.state / "areas.yaml"),
                "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(
                    {
                        "conn_type": "aws",
                        "login": key,
                        "password": secret,
                        "extra": {"endpoint_url": settings.s3_endpoint, "region_name": "us-east-1"},
                    }
                ),
            }
        )
    env.update(settings.extra_env)
    return env


def _worker_env(settings: Settings, worker: Worker) -> dict[str, str]:
    env = airflow_env(settings)
    env.update(
        {
            "LANDSAT_CLUSTER_WORKER": worker.name,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "cluster.hostname.worker_hostname",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(worker.log_port),
        }
    )
    return env


def _airflow(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "airflow"), *args]


def _log_server(port: int) -> list[str]:
    return [sys.executable, "-m", "cluster.log_server", str(port)]


Component = tuple[str, list[str], dict[str, str], int | None]
"""A process of the cluster: name, command, environment, the port it listens on (or None)."""


def _components(settings: Settings, *, executor: str = "CeleryExecutor") -> list[Component]:
    """The Airflow processes, in start order (stopped in reverse)."""
    env = airflow_env(settings, executor=executor)
    out: list[Component] = [
        ("api-server", _airflow("api-server"), env, settings.api_port),
        ("scheduler", _airflow("scheduler", "--skip-serve-logs"), env, None),
        ("dag-processor", _airflow("dag-processor"), env, None),
        ("triggerer", _airflow("triggerer", "--skip-serve-logs"), env, None),
        ("logs-triggerer", _log_server(settings.trigger_log_port), env, settings.trigger_log_port),
    ]
    if executor != "CeleryExecutor":  # LocalExecutor: the tasks run under the scheduler
        port = settings.workers[0].log_port
        out.append(("logs-scheduler", _log_server(port), env, port))
        return out
    for worker in settings.workers:
        command = _airflow(
            "celery",
            "worker",
            "--skip-serve-logs",
            "--celery-hostname",
            f"{worker.name}@%h",
            "--queues",
            ",".join(QUEUES),
            "--concurrency",
            str(settings.worker_concurrency),
        )
        worker_env = _worker_env(settings, worker)
        out.append((worker.name, command, worker_env, None))
        out.append((f"logs-{worker.name}", _log_server(worker.log_port), env, worker.log_port))
    return out


def process_names(settings: Settings) -> list[str]:
    """Every background process either mode may have started, in start order."""
    names = ["redis", "s3", "gallery"]
    for executor in ("CeleryExecutor", "LocalExecutor"):
        names += [n for n, *_ in _components(settings, executor=executor) if n not in names]
    return names


def _ports(settings: Settings, *, executor: str) -> list[tuple[int, str, str]]:
    """(port, what, the variable that moves it) of every listener of a mode."""
    ports = [
        (settings.postgres_port, "PostgreSQL", "LANDSAT_CLUSTER_POSTGRES_PORT"),
        (settings.api_port, "api-server", "AIRFLOW__API__PORT"),
        (settings.trigger_log_port, "triggerer log server", "LANDSAT_CLUSTER_TRIGGER_LOG_PORT"),
        (settings.workers[0].log_port, "task log server", "LANDSAT_CLUSTER_WORKER1_LOG_PORT"),
    ]
    if executor == "CeleryExecutor":
        ports += [
            (settings.workers[1].log_port, "log server", "LANDSAT_CLUSTER_WORKER2_LOG_PORT"),
            (settings.redis_port, "Redis", "LANDSAT_CLUSTER_REDIS_PORT"),
            (settings.s3_port, "S3 server", "LANDSAT_CLUSTER_S3_PORT"),
            (settings.gallery_port, "gallery", "LANDSAT_CLUSTER_GALLERY_PORT"),
        ]
    return ports


def running(settings: Settings) -> list[str]:
    """What of this home runs now: process names with a live pid file, and ``postgres``."""
    names = [STANDALONE, *process_names(settings)]
    out = [name for name in names if processes.read_pid(settings.state, name)]
    if settings.postgres.running():
        out.append("postgres")
    return out


def refuse_if_running(settings: Settings, *, executor: str) -> None:
    """AlreadyRunning (one line) when this home runs anything or a port is taken."""
    live = running(settings)
    if live:
        who = "make airflow" if STANDALONE in live else "make cluster"
        if live == ["postgres"]:
            who = "a PostgreSQL left running"
        raise AlreadyRunning(
            f"refused: Airflow already runs on this home ({settings.airflow_home}; {who}: "
            f"{', '.join(live)}); see `make cluster-status`, stop it with `make cluster-stop`"
        )
    for port, what, variable in _ports(settings, executor=executor):
        if processes.port_in_use(port):
            raise AlreadyRunning(
                f"refused: port 127.0.0.1:{port} ({what}) is taken by another program (another "
                f"checkout's make airflow/make cluster?); set {variable} to use another port"
            )


@contextlib.contextmanager
def instance_lock(settings: Settings) -> Iterator[None]:
    """Hold this home's start lock (one start at a time; ``make airflow`` holds it while it
    runs); AlreadyRunning at once when another start holds it."""
    settings.state.mkdir(parents=True, exist_ok=True)
    with open(settings.state / "instance.lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(
                f"refused: another make airflow or make cluster is starting or running on this "
                f"home ({settings.airflow_home}); see `make cluster-status`"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_pipeline_config(settings: Settings) -> Path:
    """The pipeline config of the cluster: the given one with the cluster's S3 bucket.

    A local-folder bucket is refused under a distributed executor (landsat_pipeline.config):
    the cluster's workers share the moto S3 bucket instead. Relative local catalog paths are
    made absolute (the copy lives elsewhere).
    """
    import yaml

    source = settings.pipeline_config
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    catalog = document.get("catalog") or {}
    url = str(catalog.get("url", ""))
    if url and "://" not in url and not Path(url).is_absolute():
        catalog["url"] = str((source.parent / url).resolve())
    storage = document.setdefault("storage", {})
    if not str(storage.get("root", "")).startswith("s3://"):
        storage["root"] = f"s3://{BUCKET}"
    target = settings.state / "areas.yaml"
    target.write_text(
        f"# Written by `make cluster` from {source}: the bucket is the cluster's S3 server.\n"
        + yaml.safe_dump(document, sort_keys=False),
        encoding="utf-8",
    )
    return target


def _run_airflow(settings: Settings, env: dict[str, str], *args: str) -> None:
    log = processes.log_file(settings.state, "airflow-" + args[0])
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        done = subprocess.run(_airflow(*args), env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        raise ClusterError(f"airflow {' '.join(args)} failed (see {log}): " + " | ".join(tail))


def prepare_database(settings: Settings, env: dict[str, str], started: list[str]) -> None:
    """Start PostgreSQL (``postgres`` is added to ``started``), migrate Airflow's schema and
    import the pools."""
    settings.state.mkdir(parents=True, exist_ok=True)
    settings.state.chmod(0o755)  # PostgreSQL's own user must reach its data folder (if it can)
    home.ensure_secrets(settings.airflow_home)
    settings.postgres.start()
    started.append("postgres")
    _run_airflow(settings, env, "db", "migrate")
    _run_airflow(settings, env, "pools", "import", str(REPO / "dags" / "config" / "pools.json"))


def s3_client(settings: Settings):
    """A boto3 client of the cluster's S3 server, with this home's credentials."""
    import boto3

    key, secret = home.s3_credentials(settings.airflow_home)
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )


def _start(settings: Settings, started: list[str], name: str, command, env, **options) -> None:
    processes.start(settings.state, name, command, env, **options)
    started.append(name)


def _start_bucket(settings: Settings, started: list[str]) -> None:
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(settings.s3_port)]
    _start(settings, started, "s3", command, os.environ)
    wait_until(
        "S3 server",
        lambda: processes.http_ok(f"{settings.s3_endpoint}/moto-api/"),
        timeout=60,
        state=settings.state,
        name="s3",
    )
    client = s3_client(settings)
    if BUCKET not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
        client.create_bucket(Bucket=BUCKET)
    key, secret = home.s3_credentials(settings.airflow_home)
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "cluster.gallery", str(settings.gallery_port)]
    _start(settings, started, "gallery", [*command, settings.s3_endpoint, BUCKET], env)
    wait_until(
        "gallery",
        lambda: processes.port_in_use(settings.gallery_port),
        timeout=30,
        state=settings.state,
        name="gallery",
    )


def _start_redis(settings: Settings, started: list[str]) -> None:
    folder = settings.state / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    command = redis_server.command(settings.redis_port, folder)
    _start(settings, started, "redis", command, os.environ)
    wait_until(
        "Redis",
        lambda: redis_server.ping(settings.redis_port),
        timeout=30,
        state=settings.state,
        name="redis",
    )


def health(settings: Settings) -> dict[str, str]:
    """Each component's status as the api-server reports it (empty when it does not answer)."""
    import urllib.request

    try:
        url = f"{settings.url}/api/v2/monitor/health"
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
    except (OSError, ValueError):
        return {}
    return {name: str((value or {}).get("status")) for name, value in body.items()}


def _worker_ready(settings: Settings, worker: Worker) -> bool:
    log = processes.log_file(settings.state, worker.name)
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return False
    return f"{worker.name}@" in text and " ready." in text


def _start_airflow(
    settings: Settings, started: list[str], *, executor: str, timeout: float
) -> None:
    """Database, then the Airflow components of ``executor``; waits until they are healthy."""
    env = airflow_env(settings, executor=executor)
    prepare_database(settings, env, started)
    deadline = time.monotonic() + timeout
    components = _components(settings, executor=executor)
    for name, command, component_env, _ in components:
        _start(settings, started, name, command, component_env, cwd=settings.state)
    wanted = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    wait_until(
        "api-server health (metadatabase, scheduler, triggerer, dag_processor)",
        lambda: all(health(settings).get(name) == "healthy" for name in wanted),
        timeout=timeout,
        state=settings.state,
        name="api-server",
    )
    for name, _command, _env, port in components:
        if port is not None:
            wait_until(
                name,
                lambda port=port: processes.port_in_use(port),
                timeout=max(10.0, deadline - time.monotonic()),
                state=settings.state,
                name=name,
            )
    for worker in settings.workers if executor == "CeleryExecutor" else ():
        wait_until(
            f"Celery {worker.name}",
            lambda worker=worker: _worker_ready(settings, worker),
            timeout=max(10.0, deadline - time.monotonic()),
            state=settings.state,
            name=worker.name,
        )


def up(settings: Settings, *, timeout: float = 240) -> list[str]:
    """Start every server and component of the Celery cluster and wait for health.

    Refused (AlreadyRunning) when anything of this home runs or a port is taken. On failure
    (or Ctrl-C) what this call started is stopped again. Returns what it started.
    """
    started: list[str] = []
    refuse_if_running(settings, executor="CeleryExecutor")  # what runs, named
    with instance_lock(settings):
        refuse_if_running(settings, executor="CeleryExecutor")  # started meanwhile?
        try:
            home.ensure_secrets(settings.airflow_home)
            _start_redis(settings, started)
            _start_bucket(settings, started)
            write_pipeline_config(settings)
            _start_airflow(settings, started, executor="CeleryExecutor", timeout=timeout)
        except BaseException:
            stop_started(settings, started)
            raise
    return started


def up_isolated(settings: Settings, *, timeout: float = 300) -> list[str]:
    """:func:`up` for a throwaway cluster (tests, ``make bench-scale``): its processes inherit
    this environment without the caller's Airflow, AWS and landsat settings (the Makefile's,
    tests/support/dagenv.py's), which would point them at another home or endpoint."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("AIRFLOW", "AWS_", "LANDSAT_")):
            del os.environ[name]
    try:
        return up(settings, timeout=timeout)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def stop_started(settings: Settings, started: list[str]) -> list[str]:
    """Stop the processes of ``started`` (names as :func:`up` returns them) in reverse
    order: workers get 60 s to finish their tasks, PostgreSQL is stopped last."""
    stopped = []
    for name in reversed(started):
        if name == "postgres":
            continue
        if processes.stop(settings.state, name, grace=60 if name.startswith("worker") else 30):
            stopped.append(name)
    if "postgres" in started and settings.postgres.stop():
        stopped.append("postgres")
    return stopped


def down(settings: Settings) -> list[str]:
    """``make cluster-stop``: stop whatever runs on this home; returns what ran.

    A running ``make airflow`` is asked to stop (SIGTERM to its process, which stops what it
    started) and waited for; then every process of the pid files, PostgreSQL last.
    """
    stopped = []
    pid = processes.read_pid(settings.state, STANDALONE)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 180
        while processes.read_pid(settings.state, STANDALONE) and time.monotonic() < deadline:
            time.sleep(0.5)
        stopped.append("make airflow")
    stopped += stop_started(settings, ["postgres", *process_names(settings)])
    return stopped


def purge(settings: Settings) -> list[str]:
    """Stop everything and delete this home's PostgreSQL data (wherever it is kept)."""
    stopped = down(settings)
    settings.postgres.remove()
    return stopped


def standalone(settings: Settings, *, timeout: float = 240) -> int:
    """``make airflow``: the Airflow components on LocalExecutor on PostgreSQL, in the
    foreground until Ctrl-C or SIGTERM (or until one of them exits), then stopped.

    Refused (one line, exit 1) when anything of this home runs or a port is taken; it holds
    the home's start lock while it runs and stops exactly what it started, PostgreSQL last.
    Component logs: ``<state>/logs/<name>.log``.
    """
    started: list[str] = []
    stopping = {"signal": None, "starting": True}

    def on_signal(signum, _frame):
        stopping["signal"] = signum
        if stopping["starting"]:
            raise KeyboardInterrupt

    refuse_if_running(settings, executor="LocalExecutor")  # what runs, named
    with instance_lock(settings):
        refuse_if_running(settings, executor="LocalExecutor")  # started meanwhile?
        pid_file = processes.pid_file(settings.state, STANDALONE)
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        pid_file.write_text(f"{os.getpid()}\n")
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        code = 0
        try:
            print(
                f"Starting Airflow (LocalExecutor) on PostgreSQL 127.0.0.1:{settings.postgres_port}"
                f"; logs in {settings.state / 'logs'} ...",
                flush=True,
            )
            _start_airflow(settings, started, executor="LocalExecutor", timeout=timeout)
            stopping["starting"] = False
            _print_standalone_banner(settings)
            while stopping["signal"] is None:
                time.sleep(1)
                dead = [n for n in started if n != "postgres" and not _alive(settings, n)]
                if dead:
                    log = processes.log_file(settings.state, dead[0])
                    print(f"make airflow: {dead[0]} exited (see {log}); stopping", flush=True)
                    code = 1
                    break
        except KeyboardInterrupt:
            pass
        finally:
            for sig in previous:
                signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the stop
            if started:
                print("make airflow: stopping " + ", ".join(reversed(started)) + " ...", flush=True)
            stop_started(settings, started)
            pid_file.unlink(missing_ok=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return code


def _alive(settings: Settings, name: str) -> bool:
    return processes.read_pid(settings.state, name) is not None


def _print_standalone_banner(settings: Settings) -> None:
    print(
        f"Airflow UI: {settings.url}  login: {home.USER}  password: "
        f"{home.password(settings.airflow_home)} "
        f"(in {settings.airflow_home / home.PASSWORD_FILE})\n"
        f"Metadata database: PostgreSQL on 127.0.0.1:{settings.postgres_port} "
        f"({settings.postgres.located}). DAGs start paused: unpause landsat_p226_r010 in the "
        "UI (or: .venv/bin/airflow dags unpause landsat_p226_r010).\n"
        "Ready. Stop with Ctrl-C (or SIGTERM, or `make cluster-stop`).",
        flush=True,
    )
