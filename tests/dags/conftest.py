"""The DAG tests' fixtures; the private Airflow they run on is set up in tests/support/dagenv.py.

Test modules import its names from there (``from tests.support.dagenv import BUCKET``), not
from this conftest: every folder's conftest.py is imported as the module ``conftest``.
"""

from tests.support.dagenv import (  # noqa: F401
    airflow_db,
    aws_connection,
    catalog,
    no_env_credentials,
    pipeline_config,
    s3_calls,
    s3_client,
)
