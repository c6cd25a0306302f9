"""Which Airflow executors are configured, without importing Airflow outside its components."""

from __future__ import annotations

import os
import sys

__all__ = ["LOCAL_EXECUTORS", "configured_executors"]

LOCAL_EXECUTORS = frozenset({"LocalExecutor", "SequentialExecutor", "DebugExecutor"})
"""Executors whose tasks all run on the scheduler's machine; any other may run a DAG's tasks
on several machines (Celery, Kubernetes, ECS, Edge ...)."""


def configured_executors() -> list[str]:
    """Airflow's ``[core] executor`` (a comma-separated list; aliases like ``name:Class``)."""
    value = os.environ.get("AIRFLOW__CORE__EXECUTOR")
    # Inside an Airflow component its configuration is loaded already; elsewhere (the CLI,
    # tests) it is not imported here: that would create an Airflow home as a side effect.
    airflow_conf = getattr(sys.modules.get("airflow.configuration"), "conf", None)
    if value is None and airflow_conf is not None:
        value = airflow_conf.get("core", "executor", fallback="LocalExecutor")
    if value is None:
        return []
    names = [part.strip().rsplit(":", 1)[-1].rsplit(".", 1)[-1] for part in value.split(",")]
    return [name for name in names if name]
