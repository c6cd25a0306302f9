"""Helpers shared by the tests, imported as ``tests.support.<module>`` (the repository root is on
the tests' ``sys.path`` through ``pythonpath`` in pyproject.toml):

* ``dagenv``: the private Airflow of the DAG tests (home, SQLite database, pipeline config);
* ``faultlib`` and ``proxy``: real ``landsat-ops`` processes, checks, counts and the fault proxy
  of the fault-injection suite;
* ``cli_helpers``: the in-process CLI runner and its one-line error check;
* ``stac_replay`` and ``archive_servers``: local STAC API, requester-pays S3, SAS signing and
  login servers.
"""
