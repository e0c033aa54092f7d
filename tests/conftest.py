"""Test-wide settings: under CI, hypothesis runs derandomised so a landing never hinges on luck.

Locally the default (randomised) profile keeps exploring new examples; every failure it finds
becomes an explicit @example in the test (see tests/scenario, tests/guarantee).
"""

import atexit
import os
import shutil
import tempfile

import pytest
from hypothesis import settings

# fly-out tables and other disk-cached builds go to a fresh folder per test process, removed at exit
# (bmdcheck.diskcache): no test reads a table another run left behind
_CACHE = tempfile.mkdtemp(prefix="bmdcheck-test-cache-")
os.environ["BMDCHECK_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)

# no per-example deadline anywhere (CI never fails on speed; a loaded machine overran one)
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def cli(capsys):
    """Run the real entry point in-process: returns (exit code, stdout, stderr)."""
    from bmdcheck.cli.main import main

    def run(*args):
        with pytest.raises(SystemExit) as ex:
            main([str(a) for a in args])
        cap = capsys.readouterr()
        return ex.value.code, cap.out, cap.err
    return run
