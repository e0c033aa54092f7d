"""Issue 8 crashes in assess / verify / compare: each one line on stderr, exit 2, and nothing
created or changed in --out (every case here was a traceback or left files behind before)."""

import os
import resource
import subprocess
import sys
import tempfile

import pytest

from bmdcheck.assess.engine import assess
from bmdcheck.assess.results import read_results
from bmdcheck.scenario.load import load_scenario, scenario_hash

from assess_helpers import TINY

RULES = "speed-caps"


@pytest.fixture(scope="module")
def finished(tiny, tmp_path_factory):
    """A finished results folder, to check that a failing rerun leaves it exactly as it was."""
    return assess(tiny, tmp_path_factory.mktemp("o") / "done", chunk_cases=1)


def snapshot(d):
    return {str(p.relative_to(d)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(d.rglob("*"))}


def one_line(err, *needles):
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def test_inventory_beyond_int32(cli, tmp_path):
    p = tmp_path / "inv.toml"
    p.write_text(TINY.replace('"sm-3-iia" = 4', '"sm-3-iia" = 3000000000'))
    out = tmp_path / "o"
    code, _, err = cli("assess", p, "--out", out)  # was: OverflowError, manifest.json and parts/ left behind
    assert code == 2
    one_line(err, "inv.toml:7", "sm-3-iia", "2147483647")
    assert not out.exists()


def _deep(kind, n):
    return "[" * n + "]" * n if kind == "array" else "{a = " * n + "1" + "}" * n


@pytest.mark.parametrize("n", [3000, 100])
@pytest.mark.parametrize("kind", ["array", "table"])
def test_deep_nesting_scenario_and_rules(cli, tiny, tmp_path, kind, n):
    p = tmp_path / "deep.toml"
    p.write_text(f'name = "deep"\nx = {_deep(kind, n)}\n')  # was: RecursionError in tomllib (3000 deep)
    out = tmp_path / "o"
    code, _, err = cli("assess", p, "--out", out)
    assert code == 2 and not out.exists()
    one_line(err, "deep.toml", "nested")
    code, _, err = cli("verify", p, RULES)
    assert code == 2
    one_line(err, "deep.toml", "nested")
    code, _, err = cli("verify", tiny, p)
    assert code == 2
    one_line(err, "deep.toml", "nested")


def test_out_is_a_file_or_unwritable(cli, tiny, tmp_path):
    f = tmp_path / "afile"
    f.write_text("keep me")
    for out, needle in ((f, "not a directory"), (f / "sub", "not a directory"), ("/proc/nope/x", "cannot write")):
        code, _, err = cli("assess", tiny, "--out", out)  # was: NotADirectoryError / PermissionError tracebacks
        assert code == 2, err
        one_line(err, str(out), needle)
    assert f.read_text() == "keep me"


def test_out_holding_other_files_is_refused(cli, tiny, tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    (d / "results.parquet").write_text("my own file")
    before = snapshot(d)
    code, _, err = cli("assess", tiny, "--out", d)  # was: overwritten
    assert code == 2 and snapshot(d) == before
    one_line(err, "not empty")
    (tmp_path / "empty").mkdir()
    code, _, err = cli("assess", tiny, "--out", tmp_path / "empty")
    assert code == 0, err


def test_unwritable_out_permission(cli, tiny, tmp_path, monkeypatch):
    """PermissionError from the file system (root ignores modes, so the error is injected)."""
    import bmdcheck.assess.engine as E

    def deny(*a, **kw):
        raise PermissionError(13, "Permission denied", str(tmp_path / "o"))

    monkeypatch.setattr(E.Path, "mkdir", deny)
    code, _, err = cli("assess", tiny, "--out", tmp_path / "o")
    assert code == 2
    one_line(err, "Permission denied")


def _run_with_fsize_limit(args, limit_bytes):
    def lim():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run([sys.executable, "-m", "bmdcheck.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300, preexec_fn=lim)


def test_full_disk(tiny, finished, tmp_path):
    """A write limit (as `ulimit -f`): EFBIG on the first part. A new folder is removed; a folder
    holding a finished run keeps it unchanged (the rerun has other draws, so it writes new parts)."""
    import shutil

    out = tmp_path / "new"
    r = _run_with_fsize_limit(["assess", tiny, "--out", out], 4096)
    assert r.returncode == 2, r.stderr
    one_line(r.stderr, "cannot write the results")
    assert not out.exists()
    old = tmp_path / "old"
    shutil.copytree(finished.out_dir, old)
    before = snapshot(old)
    r = _run_with_fsize_limit(["assess", tiny, "--out", old, "--draws", "3"], 4096)
    assert r.returncode == 2, r.stderr
    one_line(r.stderr, "cannot write the results")
    assert read_results(old).results_hash == finished.results_hash
    after = snapshot(old)
    work = ("_parts", "_manifest")  # the new plan's work state (resumable) may differ; the finished set may not
    assert {k: v for k, v in after.items() if not k.startswith(work)} == \
        {k: v for k, v in before.items() if not k.startswith(work)}


def test_no_space_during_switch_keeps_the_old_set(tiny, finished, tmp_path, monkeypatch):
    """ENOSPC while the next finished set is staged: the old set stays, nothing staged remains."""
    import errno
    import shutil

    import bmdcheck.assess.results as R
    from bmdcheck.errors import BmdcheckError

    old = tmp_path / "old"
    shutil.copytree(finished.out_dir, old)
    real = R.write_text

    def full(path, text):
        if path.parent.name == R.STAGING:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, text)

    monkeypatch.setattr(R, "write_text", full)
    with pytest.raises(BmdcheckError, match="No space left on device"):
        assess(tiny, old, chunk_cases=1, draws=2)
    assert read_results(old).results_hash == finished.results_hash
    assert not (old / R.STAGING).exists()


@pytest.mark.parametrize("args,needle", [
    (("--dask", "local:0"), "--dask: local:N needs N >= 1"),
    (("--dask", "tcp://127.0.0.1:9"), "cannot connect to the Dask scheduler"),
    (("--draws", "100001"), "--draws: must be a whole number from 1 to 100,000"),
    (("--draws", "0"), "--draws"),
])
def test_exit_2_leaves_nothing(cli, tiny, finished, tmp_path, args, needle):
    import shutil

    out = tmp_path / "new"
    code, _, err = cli("assess", tiny, "--out", out, *args)
    assert code == 2
    line = one_line(err, needle)
    assert "pydantic" not in line and "validation error" not in line  # was: raw pydantic text for --draws
    assert not out.exists()  # was: manifest.json and parts/ left behind
    old = tmp_path / "old"
    shutil.copytree(finished.out_dir, old)
    before = snapshot(old)
    code, _, err = cli("assess", tiny, "--out", old, *args)
    assert code == 2 and snapshot(old) == before


def test_booster_error_before_any_output(cli, tmp_path):
    p = tmp_path / "boost.toml"
    p.write_text(TINY + '\n[uncertainty]\nseed = 1\ndraws = 3\n'
                        'burnout_speed_scale = { dist = "uniform", low = 0.9, high = 6.0 }\n')
    out = tmp_path / "o"
    code, _, err = cli("assess", p, "--out", out)  # was: exit 2 from a worker, manifest.json and parts/ left
    assert code == 2
    one_line(err, "burnout_speed_scale", "booster")
    assert not out.exists()


def test_control_codes_not_echoed(cli, tiny, tmp_path):
    p = tmp_path / "evil.toml"
    p.write_text(f'name = "evil\\u001b[2J\\u001b[31mred\\u0007"\ninclude = ["{tiny}"]\n')
    code, out, err = cli("verify", p, RULES)  # was: ESC [2J (clear screen) echoed raw in the table title
    assert code in (0, 1), err
    assert "\x1b" not in out and "\x07" not in out
    assert "evil\\x1b[2J" in out
    code, out, err = cli("assess", p, "--out", tmp_path / "o")
    assert code == 0 and "\x1b" not in out and "evil\\x1b" in out
    bad = tmp_path / "bad\x1b[31m.toml"
    code, _, err = cli("assess", bad, "--out", tmp_path / "o2")
    assert code == 2 and "\x1b" not in err and "bad\\x1b[31m" in err


def test_compare_validates_both_before_running(cli, tiny, tmp_path, monkeypatch):
    import bmdcheck.assess.engine as E

    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.replace('missile = "topol-m"', 'missile = "nosuch"'))
    runs = []
    real = E.assess
    monkeypatch.setattr(E, "assess", lambda *a, **kw: runs.append(a) or real(*a, **kw))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    code, _, err = cli("compare", tiny, bad)  # was: ran all of A first and left a temp folder behind
    assert code == 2
    one_line(err, "nosuch")
    assert runs == [] and os.listdir(tmp_path / "tmp") == []
    out = tmp_path / "cmp"
    code, _, err = cli("compare", tiny, bad, "--out", out)
    assert code == 2 and not out.exists()
    code, stdout, err = cli("compare", tiny, tiny)  # without --out nothing is kept
    assert code == 0 and os.listdir(tmp_path / "tmp") == [], err
    code, stdout, err = cli("compare", tiny, tiny, "--out", out)
    assert code == 0 and read_results(out / "A").results_hash == read_results(out / "B").results_hash


def test_include_a_shipped_name(tmp_path):
    from bmdcheck.guarantee.rerun import scenario_from_document

    p = tmp_path / "inc.toml"
    p.write_text('include = ["epaa-phase4-2013"]\nname = "epaa-phase4-2013"\n')  # was: "not found"
    want = scenario_hash(load_scenario("epaa-phase4-2013"))
    assert scenario_hash(load_scenario(p)) == want
    # the same declared document re-runs (ledger verify --rerun) to the same scenario
    assert scenario_hash(scenario_from_document({"include": ["epaa-phase4-2013"], "name": "epaa-phase4-2013"})) == want


def test_rules_file_not_regular_or_huge(cli, tiny, tmp_path):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (16 * 2**20 + 1))
    for rules in ("/dev/zero", fifo, tmp_path, big):  # was: /dev/zero and a FIFO read forever
        code, _, err = cli("verify", tiny, rules)
        assert code == 2
        one_line(err, "cannot read the rules file")
    code, _, err = cli("assess", big, "--out", tmp_path / "o")
    assert code == 2 and not (tmp_path / "o").exists()
    one_line(err, "larger than 16 MiB")


def test_second_writer_is_refused(cli, tiny, finished, tmp_path):
    import fcntl
    import shutil

    d = tmp_path / "busy"
    shutil.copytree(finished.out_dir, d)
    fd = os.open(d / "_lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a run in progress holds it
    try:
        before = snapshot(d)
        code, _, err = cli("assess", tiny, "--out", d, "--draws", "2")  # was: two runs interleaved their parts
        assert code == 2 and snapshot(d) == before
        one_line(err, "another bmdcheck assess is writing")
    finally:
        os.close(fd)
    code, _, err = cli("assess", tiny, "--out", d, "--draws", "2")
    assert code == 0, err


def test_threat_set_too_large(cli, tmp_path):
    p = tmp_path / "huge.toml"
    p.write_text(TINY.replace('west = { points = [[54.038, 35.772], [56.858, 40.537]] }',
                              'west = { polygon = [[40.0, 20.0], [70.0, 20.0], [70.0, 60.0], [40.0, 60.0]], '
                              'spacing_km = 8.0 }')
                     .replace('east-coast = { point = [38.895, -77.036] }',
                              'east-coast = { polygon = [[25.0, -120.0], [48.0, -120.0], [48.0, -70.0], '
                              '[25.0, -70.0]], spacing_km = 10.0 }'))
    out = tmp_path / "o"
    code, _, err = cli("assess", p, "--out", out)  # was: expanded billions of cases in memory
    assert code == 2 and not out.exists()
    one_line(err, "at most 1,000,000")


@pytest.mark.parametrize("args", [("assess", "TINY", "--out", "a" * 5000), ("assess", "TINY", "--out", "a/" * 3000),
                                  ("verify", "a" * 5000, "speed-caps"), ("verify", "TINY", "a" * 5000),
                                  ("assess", "a" * 5000), ("compare", "TINY", "a" * 5000)])
def test_path_too_long(cli, tiny, tmp_path, args, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(*[str(tiny) if a == "TINY" else a for a in args])  # was: OSError ENAMETOOLONG traceback
    assert code == 2
    assert len(one_line(err)) < 400
