"""Test-wide settings: under CI, hypothesis runs derandomised so a landing never hinges on luck.

Locally the default (randomised) profile keeps exploring new examples; every failure it finds
becomes an explicit @example in the test (see tests/scenario, tests/guarantee).
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
