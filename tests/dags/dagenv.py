"""``from dagenv import ...`` in tests/dags/ keeps working: this module is
tests/support/dagenv.py itself. New code imports ``tests.support.dagenv``."""

import sys

from tests.support import dagenv

sys.modules[__name__] = dagenv
