"""The cluster: its settings, the environment of every component, start, health and stop.

``up`` starts PostgreSQL (metadata database and Celery result backend), Redis (Celery broker),
a moto S3 server (the bucket every worker shares; in memory, emptied by ``down``), migrates the
database, imports the pools, then starts the api-server, scheduler, dag-processor, triggerer
and the Celery workers, and returns once the api-server reports every component healthy and
every worker is ready. ``down`` stops them in reverse order. ``standalone`` is ``make
airflow``: ``airflow standalone`` (LocalExecutor) on the same PostgreSQL, in the foreground.
"""

from __future__ import annotations

import configparser
import json
import os
import signal
import subprocess
import sys
import time
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
            trigger_log_port=_port("LANDSAT_CLUSTER_TRIGGER_LOG_PORT", 8794),
            workers=(
                Worker("worker1", _port("LANDSAT_CLUSTER_WORKER1_LOG_PORT", 8793)),
                Worker("worker2", _port("LANDSAT_CLUSTER_WORKER2_LOG_PORT", 8795)),
            ),
        )

    @classmethod
    def on_free_ports(cls, root: Path, pipeline_config: Path, **options) -> Settings:
        """A throwaway cluster under ``root`` (home, state, logs) on free ports: tests, bench."""
        free = processes.free_port
        return cls(
            airflow_home=root / "home",
            state=root / "state",
            api_port=free(),
            postgres_port=free(),
            redis_port=free(),
            s3_port=free(),
            trigger_log_port=free(),
            workers=(Worker("worker1", free()), Worker("worker2", free())),
            pipeline_config=pipeline_config,
            extra_env={"AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(root / "home" / "logs")},
            **options,
        )

    @property
    def postgres(self) -> PostgresServer:
        return PostgresServer(self.state / "postgres", self.postgres_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def s3_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"


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
            "AIRFLOW__API__PORT": str(settings.api_port),
            "AIRFLOW__API__BASE_URL": settings.url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{settings.url}/execution/",
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(settings.trigger_log_port),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    if executor == "CeleryExecutor":
        env.update(
            {
                "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{settings.redis_port}/0",
                "AIRFLOW__CELERY__RESULT_BACKEND": postgres.url("db+postgresql+psycopg2"),
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(settings.worker_concurrency),
                "LANDSAT_PIPELINE_CONFIG": str(settings.state / "areas.yaml"),
                "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(
                    {
                        "conn_type": "aws",
                        "login": "cluster",
                        "password": "cluster",
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
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        }
    )
    return env


def _airflow(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "airflow"), *args]


def _components(settings: Settings) -> list[tuple[str, list[str], dict[str, str]]]:
    env = airflow_env(settings)
    out = [
        ("api-server", _airflow("api-server"), env),
        ("scheduler", _airflow("scheduler"), env),
        ("dag-processor", _airflow("dag-processor"), env),
        ("triggerer", _airflow("triggerer"), env),
    ]
    for worker in settings.workers:
        command = _airflow(
            "celery",
            "worker",
            "--celery-hostname",
            f"{worker.name}@%h",
            "--queues",
            ",".join(QUEUES),
            "--concurrency",
            str(settings.worker_concurrency),
        )
        out.append((worker.name, command, _worker_env(settings, worker)))
    return out


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


def prepare_database(settings: Settings, env: dict[str, str]) -> None:
    """Start PostgreSQL, migrate Airflow's schema and import the pools."""
    settings.state.mkdir(parents=True, exist_ok=True)
    settings.state.chmod(0o755)  # PostgreSQL's own user must reach its data folder
    home.ensure_secrets(settings.airflow_home)
    settings.postgres.start()
    _run_airflow(settings, env, "db", "migrate")
    _run_airflow(settings, env, "pools", "import", str(REPO / "dags" / "config" / "pools.json"))


def s3_client(settings: Settings):
    """A boto3 client of the cluster's S3 server (moto; any credentials do)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="cluster",
        aws_secret_access_key="cluster",
    )


def _start_bucket(settings: Settings) -> None:
    name = "s3"
    if not processes.read_pid(settings.state, name):
        if processes.port_in_use(settings.s3_port):
            raise ClusterError(f"S3 server: port 127.0.0.1:{settings.s3_port} is taken")
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1"]
        processes.start(settings.state, name, [*command, "-p", str(settings.s3_port)], os.environ)
    wait_until(
        "S3 server",
        lambda: processes.http_ok(f"{settings.s3_endpoint}/moto-api/"),
        timeout=60,
        state=settings.state,
        name=name,
    )
    client = s3_client(settings)
    if BUCKET not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
        client.create_bucket(Bucket=BUCKET)


def _start_redis(settings: Settings) -> None:
    name = "redis"
    if not processes.read_pid(settings.state, name):
        if processes.port_in_use(settings.redis_port):
            raise ClusterError(f"Redis: port 127.0.0.1:{settings.redis_port} is taken")
        folder = settings.state / "redis"
        folder.mkdir(parents=True, exist_ok=True)
        command = redis_server.command(settings.redis_port, folder)
        processes.start(settings.state, name, command, os.environ)
    wait_until(
        "Redis",
        lambda: redis_server.ping(settings.redis_port),
        timeout=30,
        state=settings.state,
        name=name,
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
        return f"{worker.name}@" in log.read_text(errors="replace") and " ready." in (
            log.read_text(errors="replace")
        )
    except OSError:
        return False


def up(settings: Settings, *, timeout: float = 240) -> None:
    """Start every server and component (those already running are kept) and wait for health."""
    for port, what in ((settings.api_port, "api-server"),):
        if processes.port_in_use(port) and not processes.read_pid(settings.state, what):
            raise ClusterError(
                f"{what}: port 127.0.0.1:{port} is taken by another program (make airflow? "
                "set AIRFLOW__API__PORT to another port)"
            )
    settings.state.mkdir(parents=True, exist_ok=True)
    _start_redis(settings)
    _start_bucket(settings)
    write_pipeline_config(settings)
    env = airflow_env(settings)
    prepare_database(settings, env)
    for name, command, component_env in _components(settings):
        if not processes.read_pid(settings.state, name):
            processes.start(settings.state, name, command, component_env, cwd=settings.state)
    deadline = time.monotonic() + timeout
    wanted = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    wait_until(
        "api-server health (metadatabase, scheduler, triggerer, dag_processor)",
        lambda: all(health(settings).get(name) == "healthy" for name in wanted),
        timeout=timeout,
        state=settings.state,
        name="api-server",
    )
    for worker in settings.workers:
        wait_until(
            f"Celery {worker.name}",
            lambda worker=worker: _worker_ready(settings, worker),
            timeout=max(10.0, deadline - time.monotonic()),
            state=settings.state,
            name=worker.name,
        )


def up_isolated(settings: Settings, *, timeout: float = 300) -> None:
    """:func:`up` for a throwaway cluster (tests, ``make bench-scale``): its processes inherit
    this environment without the caller's Airflow, AWS and landsat settings (the Makefile's,
    tests/dags/dagenv.py's), which would point them at another home or endpoint."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("AIRFLOW", "AWS_", "LANDSAT_")):
            del os.environ[name]
    try:
        up(settings, timeout=timeout)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def down(settings: Settings) -> list[str]:
    """Stop everything ``up`` started, workers first and PostgreSQL last; returns what ran."""
    stopped = []
    names = [w.name for w in settings.workers]
    names += ["scheduler", "triggerer", "dag-processor", "api-server", "s3", "redis"]
    for name in names:
        if processes.stop(settings.state, name, grace=60 if name.startswith("worker") else 30):
            stopped.append(name)
    if settings.postgres.stop():
        stopped.append("postgres")
    return stopped


def standalone(settings: Settings) -> int:
    """``make airflow``: ``airflow standalone`` on PostgreSQL in the foreground.

    Ctrl-C (SIGINT) and SIGTERM are passed on as one SIGINT to ``airflow standalone`` alone,
    which stops its components in order (a SIGINT sent to all of them at once, as a terminal
    does, leaves Airflow 3.3's executor workers hanging; SIGTERM orphans them); PostgreSQL is
    stopped after it.
    """
    env = airflow_env(settings, executor="LocalExecutor")
    prepare_database(settings, env)
    print(
        f"Airflow UI: {settings.url}  login: {home.USER}  password: "
        f"{home.password(settings.airflow_home)} "
        f"(in {settings.airflow_home / home.PASSWORD_FILE})",
        flush=True,
    )
    print(
        "Metadata database: PostgreSQL on 127.0.0.1:"
        f"{settings.postgres_port} ({settings.postgres.data}). DAGs start paused: unpause "
        "landsat_p226_r010 in the UI (or: .venv/bin/airflow dags unpause landsat_p226_r010).",
        flush=True,
    )
    # SIGINT back to its default in the child: a background job of a non-interactive shell
    # inherits it ignored, and `airflow standalone` stops on SIGINT only.
    child = subprocess.Popen(
        _airflow("standalone"),
        env=env,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )

    def forward(*_):
        try:
            child.send_signal(signal.SIGINT)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, forward)
    try:
        code = child.wait()
    finally:
        settings.postgres.stop()
    return 0 if code in (0, -signal.SIGINT) else code
