"""A small assessed result set shared by the report and export tests (2 threat cases x 2 sites)."""

from pathlib import Path

import pytest

SCENARIO = Path(__file__).parent / "data" / "report-test.toml"
EPOCH = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="session")
def results_dir(tmp_path_factory):
    from bmdcheck.assess.engine import assess

    out = tmp_path_factory.mktemp("results") / "report-test"
    assess(str(SCENARIO), str(out))
    return out


@pytest.fixture(scope="session")
def results(results_dir):
    from bmdcheck.report.data import load_results

    return load_results(results_dir)


@pytest.fixture(scope="session")
def results_dir_b(tmp_path_factory):
    """The same threats against Redzikowo only (the inline GBI site removed)."""
    from bmdcheck.assess.engine import assess

    out = tmp_path_factory.mktemp("results") / "report-test-b"
    assess(str(SCENARIO.with_name("report-test-b.toml")), str(out))
    return out


@pytest.fixture(scope="session")
def report_dir(results_dir, results_dir_b, tmp_path_factory):
    """The comparison report (A = report-test, B = report-test-b) with the speed-caps rules."""
    from bmdcheck.report import write_report

    out = tmp_path_factory.mktemp("report") / "rep"
    write_report(results_dir, results_dir_b, out, rules=("speed-caps",))
    return out
