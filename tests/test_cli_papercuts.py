"""Issue 12's command-line papercuts, each as a user meets it."""

import os
import re
import subprocess
import sys

import pytest


def run(*args, env=None, **kw):
    e = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "bmdcheck.cli", *map(str, args)], capture_output=True, text=True,
                          env=e, **kw)


def test_version_and_short_help():
    from bmdcheck import __version__

    p = run("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"bmdcheck {__version__}"
    for args in (("-h",), ("engage", "-h"), ("ledger", "-h"), ("bench", "-h")):
        p = run(*args)
        assert p.returncode == 0 and "Usage:" in p.stdout, args


def _options(help_text: str) -> list[tuple[str, str]]:
    """(flag, rest of its help line) for every option row of a rich help screen."""
    rows = []
    for line in help_text.splitlines():
        m = re.match(r"^│\s*\*?\s*(--[a-z0-9-]+)(.*)│$", line)
        if m:
            rows.append((m.group(1), m.group(2).strip()))
    return rows


COMMANDS = [("fly",), ("engage",), ("assess",), ("compare",), ("verify",), ("missiles",), ("sites",),
            ("sensors",), ("interceptors",), ("reconstruct",), ("reconstruct-intercept",), ("report",), ("export",),
            ("demo",), ("bench", "flight"), ("bench", "engage"), ("bench", "assess"), ("ledger", "verify")]


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_option_has_help_and_no_bool_metavar(cmd):
    p = run(*cmd, "--help", env={"COLUMNS": "200"})
    assert p.returncode == 0
    assert "<bool>" not in p.stdout
    rows = _options(p.stdout)
    assert rows, p.stdout
    bare = [flag for flag, rest in rows if not re.sub(r"^(-\S+\s+)*(<[^>]*>)?", "", rest).strip()]
    assert bare == [], f"options without help in {' '.join(cmd)}: {bare}"


def test_demo_help_is_current():
    p = run("demo", "--help", env={"COLUMNS": "200"})
    assert "until the assessment engine lands" not in p.stdout and "EPAA" in p.stdout


def test_remote_radar_without_a_remote_mode_is_an_error():
    p = run("engage", "--missile", "topol-m", "--from", "54.04,35.77", "--to", "38.9,-77.04", "--site",
            "aegis-ashore-redzikowo", "--remote-radar", "uewr-fylingdales")
    assert p.returncode == 2 and p.stderr.count("\n") == 1
    assert "--remote-radar needs --tier remote or --mode launch-on-remote" in p.stderr


def test_burnout_speed_above_escape_speed_is_an_error_not_a_hang():
    p = run("engage", "--missile", "topol-m", "--from", "54.04,35.77", "--to", "38.90,-77.04", "--site",
            "aegis-ashore-redzikowo", "--burnout-speed", "1e9", "--burn-time", "60")
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    assert "escape" in p.stderr


def test_bad_interceptor_is_refused_before_the_threat_is_flown(tmp_path):
    """With an empty Numba cache (a first run), the bad burnout speed is refused at once: the site,
    interceptor and timeline are checked before the threat's flight compiles the kernels."""
    p = run("engage", "--missile", "topol-m", "--from", "54.04,35.77", "--to", "38.90,-77.04", "--site",
            "aegis-ashore-redzikowo", "--burnout-speed", "1e9", "--burn-time", "60",
            env={"NUMBA_CACHE_DIR": str(tmp_path / "numba")}, timeout=60)
    assert p.returncode == 2 and "escape" in p.stderr
    assert not any((tmp_path / "numba").rglob("*.nbi"))  # nothing was compiled


def test_catalogue_tables_fit_100_columns_without_cutting_names():
    from bmdcheck import api

    for cmd, names in (("sites", api.sites()), ("sensors", {**api.sensors().radars, **api.sensors().early_warning}),
                       ("interceptors", api.interceptors()), ("missiles", api.missiles())):
        p = run(cmd, env={"COLUMNS": "100"})
        assert p.returncode == 0
        assert max(len(line) for line in p.stdout.splitlines()) <= 100, cmd
        for n in names:
            assert re.search(rf"(^|\s){re.escape(n)}(\s|$)", p.stdout, re.M), (cmd, n)


def test_piped_output_keeps_its_natural_width():
    p = run("sites", env={"COLUMNS": ""})
    widths = [len(line) for line in p.stdout.splitlines()]
    assert max(widths) < 140 and p.returncode == 0  # was: padded / cut to 140 columns
    p = run("missiles")
    assert all(len(line) < 140 for line in p.stdout.splitlines())


def test_a_bug_is_not_reported_as_bad_input(monkeypatch, capsys):
    """Only BmdcheckError and usage errors are exit 2; any other exception keeps its traceback."""
    from bmdcheck.cli import main as M

    def boom():
        raise ValueError("shape mismatch (a bug)")

    monkeypatch.setattr(M, "run_demo", boom, raising=False)
    import bmdcheck.demo

    monkeypatch.setattr(bmdcheck.demo, "run_demo", lambda out: boom())
    with pytest.raises(ValueError, match="a bug"):
        M.main(["demo"])


def test_assess_names_the_folder_it_writes(tmp_path):
    from bmdcheck.cli import assess_cmd

    assert "results/SCENARIO" in (assess_cmd.assess.__doc__ or "")
