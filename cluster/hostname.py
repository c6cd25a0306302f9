"""The host name Airflow records for a task: which Celery worker of this machine ran it.

Airflow's ``[core] hostname_callable``. The cluster's workers run on one machine, so the
default (the machine's FQDN) cannot tell them apart; each worker gets
``LANDSAT_CLUSTER_WORKER=<name>`` and reports ``<name>@<fqdn>``, its Celery node name. Log
fetching still works: an HTTP client reads ``name@`` as user info and connects to the host.
"""

from __future__ import annotations

import os
import socket


def worker_hostname() -> str:
    """``<worker>@<fqdn>`` in a cluster worker, else the FQDN (Airflow's default)."""
    fqdn = socket.getfqdn()
    worker = os.environ.get("LANDSAT_CLUSTER_WORKER")
    return f"{worker}@{fqdn}" if worker else fqdn
