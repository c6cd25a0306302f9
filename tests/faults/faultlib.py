"""``from faultlib import ...`` in tests/faults/ keeps working: this module is
tests/support/faultlib.py itself (one COUNTS). New code imports ``tests.support.faultlib``."""

import sys

from tests.support import faultlib

sys.modules[__name__] = faultlib
