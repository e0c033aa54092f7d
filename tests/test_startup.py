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
    assert _loaded("import bmdcheck.cli.app") == []


def test_help_of_every_command_loads_no_heavy_dependency():
    """`bmdcheck --help` and a command's --help import none of SciPy, Numba, Dask, DuckDB (issue 10:
    start-up under 0.5 s; they load only when a command runs)."""
    for argv in (["--help"], ["bench", "--help"], ["bench", "assess", "--help"], ["demo", "--help"], ["fly", "--help"]):
        code = (f"import io, sys\nfrom bmdcheck.cli.main import main\nsys.argv = ['bmdcheck', *{argv!r}]\n"
                "out, sys.stdout = sys.stdout, io.StringIO()  # the help text is not the module list\n"
                "try:\n    main()\nexcept SystemExit:\n    pass\nsys.stdout = out")
        assert not set(_loaded(code)) & {"scipy", "numba", "dask", "distributed", "duckdb"}, argv


def test_package_import_is_lazy_and_the_api_resolves():
    assert _loaded("import bmdcheck") == []
    code = "import bmdcheck as bc\nassert callable(bc.fly) and callable(bc.aim_steering)\nassert 'fly' in dir(bc)"
    assert "numpy" in _loaded(code)


def test_help_runs():
    r = subprocess.run([sys.executable, "-m", "bmdcheck.cli", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "bench" in r.stdout and "fly" in r.stdout


def test_the_facade_is_the_package_face():
    code = ("import bmdcheck, bmdcheck.api as api\n"
            "assert bmdcheck.__all__ == api.__all__\n"
            "need = {'fly', 'fly_batch', 'engage', 'EngageResult', 'engage_threats', 'get_site', 'get_interceptor',\n"
            "        'get_radar', 'read_threat_file', 'assess_scenario', 'verify', 'ledger', 'write_report',\n"
            "        'export_results', 'BmdcheckError', 'FLIGHT_STATUS'}\n"
            "assert need <= set(bmdcheck.__all__), need - set(bmdcheck.__all__)\n"
            "import pkgutil\n"
            "subs = {m.name for m in pkgutil.iter_modules(bmdcheck.__path__)}\n"
            "assert not (subs & set(api.__all__)) - {'ledger'}, subs & set(api.__all__)  # no name shadows a module\n")
    assert _loaded(code) == []  # and listing the façade imports nothing heavy


def test_import_takes_under_0_3_s():
    """`import bmdcheck` measured by the interpreter (-X importtime: cumulative microseconds of the
    package's own import), best of three: a bound with room, not a benchmark."""
    best = None
    for _ in range(3):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import bmdcheck"], capture_output=True,
                             text=True, check=True).stderr
        us = max(int(line.split("|")[1]) for line in err.splitlines()
                 if line.startswith("import time:") and line.rstrip().endswith(" bmdcheck"))
        best = us if best is None else min(best, us)
    assert best < 300_000, f"import bmdcheck took {best / 1e6:.3f} s"
