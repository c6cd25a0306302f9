"""``python -m cluster up|down|status|standalone|secrets``: the Makefile's entry points.

Reads ``AIRFLOW_HOME`` (the Makefile exports ``<repo>/.airflow``); the cluster's state
(PostgreSQL data, logs, pid files) lives in ``$AIRFLOW_HOME/cluster/``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cluster import components, home, processes
from cluster.processes import ClusterError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cluster", description=__doc__)
    parser.add_argument(
        "command",
        choices=("up", "down", "status", "standalone", "secrets"),
        help="up: start the Celery cluster; down: stop it; status: what runs; standalone: "
        "airflow standalone on PostgreSQL (make airflow); secrets: make the home's secrets",
    )
    args = parser.parse_args(argv)
    airflow_home = os.environ.get("AIRFLOW_HOME")
    if not airflow_home:
        print("python -m cluster: error: AIRFLOW_HOME is not set (run it through make)")
        return 2
    settings = components.Settings.from_environment(Path(airflow_home).absolute())
    try:
        if args.command == "secrets":
            home.ensure_secrets(settings.airflow_home)
        elif args.command == "up":
            components.up(settings)
            print(
                f"Airflow cluster (CeleryExecutor, {len(settings.workers)} workers) is up.\n"
                f"  UI:       {settings.url}  login: {home.USER}  password: "
                f"{home.password(settings.airflow_home)}\n"
                f"  database: PostgreSQL 127.0.0.1:{settings.postgres_port}   broker: Redis "
                f"127.0.0.1:{settings.redis_port}   bucket: s3://{components.BUCKET} at "
                f"{settings.s3_endpoint}\n"
                f"  logs:     {settings.state / 'logs'}\n"
                "  DAGs start paused; stop everything with: make cluster-stop"
            )
        elif args.command == "down":
            stopped = components.down(settings)
            print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
        elif args.command == "status":
            names = ["postgres", "redis", "s3", "api-server", "scheduler", "dag-processor"]
            names += ["triggerer", *(w.name for w in settings.workers)]
            for name in names:
                if name == "postgres":
                    running = settings.postgres.data.is_dir() and settings.postgres.running()
                else:
                    running = processes.read_pid(settings.state, name) is not None
                print(f"{name:14} {'running' if running else 'stopped'}")
            for name, status in components.health(settings).items():
                print(f"health {name:14} {status}")
        elif args.command == "standalone":
            return components.standalone(settings)
    except ClusterError as exc:
        print(f"python -m cluster {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
