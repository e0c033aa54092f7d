"""Start-up: the command line and `import bmdcheck` load no heavy dependency until a command needs it.

Checked on the import graph (sys.modules in a fresh interpreter), not on a clock: CI never fails
on speed. `python -X importtime -m bmdcheck.cli --help` shows the times.
"""

import subprocess
import sys

HEAVY = ("numpy", "scipy", "numba", "dask", "distributed", "duckdb", "pyproj", "pyarrow", "pandas", "pydantic")


def _loaded(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True).stdout.split()
    return sorted({m.split(".")[0] for m in out} & set(HEAVY))


def test_cli_import_loads_no_heavy_dependency():
    assert _loaded("import bmdcheck.cli.main") == []


def test_package_import_is_lazy_and_the_api_resolves():
    assert _loaded("import bmdcheck") == []
    code = "import bmdcheck as bc\nassert callable(bc.fly) and callable(bc.aim_steering)\nassert 'fly' in dir(bc)"
    assert "numpy" in _loaded(code)


def test_help_runs():
    r = subprocess.run([sys.executable, "-m", "bmdcheck.cli", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "bench" in r.stdout and "fly" in r.stdout
