"""The DAG tests' fixtures; the private Airflow they run on is set up in tests/support/dagenv.py.

Test modules import its names from there (``from tests.support.dagenv import BUCKET``), not
from this conftest: every folder's conftest.py is imported as the module ``conftest``.
"""

from tests.support.dagenv import airflow_db, aws_connection, catalog, pipeline_config  # noqa: F401
