"""A private, throwaway Airflow home for test modules that import Airflow in-process.

Airflow reads ``AIRFLOW_HOME`` (and writes ``airflow.cfg`` there) when it is first imported, so
a test module calls :func:`use_private_home` before its first Airflow import. If Airflow was
imported already (another module of the same process came first), the call changes nothing
and that module's settings hold. The folder is deleted when the process exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile


def use_private_home() -> None:
    """Point Airflow at a new temporary home (removed at exit) unless it is imported already."""
    if "airflow" in sys.modules:
        return
    home = tempfile.mkdtemp(prefix="airflow-home-")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    os.environ["AIRFLOW_HOME"] = home
    os.environ["AIRFLOW_CONFIG"] = os.path.join(home, "airflow.cfg")
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
