"""``python -m cluster up|down|status|standalone|secrets|check|check-airflow|purge``: the
Makefile's entry points.

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

COMMANDS = ("up", "down", "status", "standalone", "secrets", "check", "check-airflow", "purge")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cluster", description=__doc__)
    parser.add_argument(
        "command",
        choices=COMMANDS,
        help="up: start the Celery cluster; down: stop what runs on this home; status: what "
        "runs; standalone: Airflow on PostgreSQL in the foreground (make airflow); secrets: "
        "make the home's secrets; check / check-airflow: refuse (exit 1) when an instance runs "
        "on this home or a port of make cluster / make airflow is taken; purge: down, then "
        "delete this home's PostgreSQL data",
    )
    args = parser.parse_args(argv)
    airflow_home = os.environ.get("AIRFLOW_HOME")
    if not airflow_home:
        print("python -m cluster: error: AIRFLOW_HOME is not set (run it through make)")
        return 2
    try:
        settings = components.Settings.from_environment(Path(airflow_home).absolute())
        if args.command == "secrets":
            home.ensure_secrets(settings.airflow_home)
        elif args.command in ("check", "check-airflow"):
            executor = "CeleryExecutor" if args.command == "check" else "LocalExecutor"
            components.refuse_if_running(settings, executor=executor)
        elif args.command == "up":
            components.up(settings)
            print(
                f"Airflow cluster (CeleryExecutor, {len(settings.workers)} workers) is up.\n"
                f"  UI:       {settings.url}  login: {home.USER}  password: "
                f"{home.password(settings.airflow_home)}\n"
                f"  gallery:  {settings.gallery_url}  (the bucket's published products, "
                "read-only)\n"
                f"  database: PostgreSQL 127.0.0.1:{settings.postgres_port}   broker: Redis "
                f"127.0.0.1:{settings.redis_port}   bucket: s3://{components.BUCKET} at "
                f"{settings.s3_endpoint} (credentials in "
                f"{settings.airflow_home / home.S3_CREDENTIALS_FILE})\n"
                f"  logs:     {settings.state / 'logs'}\n"
                "  DAGs start paused; stop everything with: make cluster-stop"
            )
        elif args.command in ("down", "purge"):
            stop = components.down if args.command == "down" else components.purge
            stopped = stop(settings)
            print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
        elif args.command == "status":
            status(settings)
        elif args.command == "standalone":
            return components.standalone(settings)
    except KeyboardInterrupt:
        print(f"python -m cluster {args.command}: interrupted", file=sys.stderr)
        return 130
    except ClusterError as exc:
        print(f"python -m cluster {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0


def status(settings: components.Settings) -> None:
    """What runs on this home (``make cluster-status``)."""
    live = set(components.running(settings))
    mode = "make airflow" if components.STANDALONE in live else "make cluster"
    print(f"home {settings.airflow_home}: " + (mode if live else "nothing runs"))
    names = ["postgres", *components.process_names(settings)]
    for name in names:
        pid = processes.read_pid(settings.state, name)
        detail = f" (pid {pid})" if pid else ""
        if name == "postgres":
            detail = f" (127.0.0.1:{settings.postgres_port}, data {settings.postgres.located})"
        elif name == "gallery" and name in live:
            detail += f"  {settings.gallery_url}"
        if name in live or not live:
            print(f"{name:16} {'running' if name in live else 'stopped'}{detail}")
    for name, value in components.health(settings).items():
        print(f"health {name:16} {value}")
    if "gallery" in live:
        print(f"gallery: {settings.gallery_url}")


if __name__ == "__main__":
    sys.exit(main())
