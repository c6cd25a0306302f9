"""Airflow's task log server, bound to 127.0.0.1.

Airflow 3.3's own (``airflow.utils.serve_logs.serve_logs``, which the scheduler, triggerer and
Celery workers fork unless given ``--skip-serve-logs``) always listens on every interface
(``0.0.0.0`` / ``::``) and has no host setting. The cluster starts its components with
``--skip-serve-logs`` and runs this instead: the same application
(``airflow.utils.serve_logs.log_server``: the JWT-checked ``/log/...`` files of the
``[logging] base_log_folder``) on 127.0.0.1:PORT. ``python -m cluster.log_server PORT``.
"""

from __future__ import annotations

import sys


def serve(port: int) -> None:
    import uvicorn

    uvicorn.run(
        "airflow.utils.serve_logs.log_server:get_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: python -m cluster.log_server PORT")
    serve(int(sys.argv[1]))
