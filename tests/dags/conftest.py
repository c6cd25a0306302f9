"""The DAG tests' fixtures; the private Airflow they run on is set up in dagenv.py.

dagenv.py is a module of its own (not this conftest) so that test modules can import its
names (``from dagenv import BUCKET``) unambiguously: every folder's conftest.py is imported
as the module ``conftest``, and another folder's would shadow this one.
"""

from dagenv import airflow_db, aws_connection, catalog, pipeline_config  # noqa: F401
