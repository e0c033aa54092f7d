"""The results folder (docs/CONVENTIONS.md, "Results folder"): pandas reads it, types and units are
kept, one reader checks it, the finished set appears atomically (SIGKILL at every step of the
switch and mid-run), and resume recomputes damaged parts."""

import json
import os
import signal
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bmdcheck.assess import results as R
from bmdcheck.assess.engine import assess, results_hash
from bmdcheck.assess.results import read_results
from bmdcheck.errors import BmdcheckError

from assess_helpers import TINY


@pytest.fixture(scope="module")
def run1(tiny, tmp_path_factory):
    return assess(tiny, tmp_path_factory.mktemp("o") / "r", chunk_cases=1)


@pytest.fixture(scope="module")
def run2(tiny, tmp_path_factory):
    """The reference for a rerun with two draws."""
    return assess(tiny, tmp_path_factory.mktemp("o") / "r2", chunk_cases=1, draws=2)


def test_pandas_reads_the_folder(run1):
    import pandas as pd

    df = pd.read_parquet(run1.out_dir)  # failed before: manifest.json / summary.parquet / parts/ beside the rows
    assert len(df) == run1.provenance["rows"] == 2
    assert set(df["scenario"]) == {"tiny"}
    assert df.attrs["units"]["range_km"] == "km" and df.attrs["units"]["closing_first_mps"] == "m/s"
    assert df.attrs["results_hash"] == run1.results_hash
    visible = [p.name for p in run1.out_dir.iterdir() if not p.name.startswith(("_", "."))]
    assert visible == ["results.parquet"]


def test_units_in_parquet_metadata(run1):
    sch = pq.read_schema(run1.out_dir / "results.parquet")
    unit = {f.name: (f.metadata or {}).get(b"unit", b"").decode() for f in sch}
    assert unit["launch_lat"] == "deg" and unit["first_s"] == "s" and unit["intercept_alt_km"] == "km"
    meta = json.loads(sch.metadata[b"bmdcheck"])
    assert meta["scenario"] == "tiny" and meta["format"] == R.FORMAT
    for f in sch:  # every numeric column has a unit or is a count/identifier listed as such
        if pa.types.is_floating(f.type):
            assert R.unit_of(f.name), f.name


def test_empty_summary_columns_keep_types(run1):
    t = pq.read_table(run1.out_dir / "_summary.parquet")
    types = {f.name: f.type for f in t.schema}
    assert not any(pa.types.is_null(ty) for ty in types.values()), types  # failed before: Arrow null
    assert types["earliest_intercept_s"] == pa.float64() and types["max_shots"] == pa.int32()
    assert types["probability"] == pa.float64()
    rows = t.to_pylist()
    assert rows and all(r["sites"] is None for r in rows)  # failed before: the string "—"
    assert all(r["earliest_intercept_s"] is None for r in rows)
    assert run1.summary == rows


def test_read_results_is_the_reader(run1, tmp_path):
    r = read_results(run1.out_dir)
    assert r.results_hash == run1.results_hash and r.summary == run1.summary
    assert r.table.num_rows == 2 and r.df()["scenario"].iloc[0] == "tiny"
    with pytest.raises(BmdcheckError, match="not a results folder"):
        read_results(tmp_path / "nothing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BmdcheckError, match="no finished results"):
        read_results(empty)


def test_read_results_refuses_a_mixed_folder(run1, run2, tmp_path):
    import shutil

    mixed = tmp_path / "mixed"
    shutil.copytree(run1.out_dir, mixed)
    shutil.copy(run2.out_dir / "_provenance.json", mixed / "_provenance.json")
    with pytest.raises(BmdcheckError, match="disagree"):
        read_results(mixed)


def test_resume_recomputes_damaged_parts(tiny, run1, tmp_path):
    import shutil

    out = tmp_path / "r"
    shutil.copytree(run1.out_dir, out)
    parts = sorted((out / "_parts").glob("part-*.parquet"))
    assert len(parts) == 2
    parts[0].write_bytes(b"")  # zero-length: failed before (every rerun failed until deleted)
    parts[1].write_bytes(parts[1].read_bytes()[:100])  # truncated
    r = assess(tiny, out, chunk_cases=1)
    assert r.results_hash == run1.results_hash
    assert read_results(out).results_hash == run1.results_hash


def _consistent_or_refused(out, allowed_hashes):
    """The folder is either a finished set that agrees with itself, or refused as unfinished."""
    import pandas as pd

    if (out / "results.parquet").exists():
        df = pd.read_parquet(out)  # the rows alone always read
        assert df.attrs["results_hash"] in allowed_hashes
    try:
        r = read_results(out)
    except BmdcheckError as e:
        assert "unfinished or interrupted" in str(e), str(e)
        return None
    prov = json.loads((out / "_provenance.json").read_text())
    assert prov["results_hash"] == r.results_hash in allowed_hashes
    assert results_hash(r.table) == r.results_hash  # the rows are the ones the provenance names
    assert pq.read_metadata(out / "_summary.parquet").num_rows == len(r.summary)
    return r.results_hash


_KILL_AT = """
import os, signal, sys
from bmdcheck.assess import results as R
from bmdcheck.assess.engine import assess
tiny, out, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
real_replace, real_publish, n = os.replace, R.publish, [0]

def replace(a, b):
    n[0] += 1
    if n[0] == k:
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(a, b)

def publish(*a, **kw):
    os.replace = replace  # count the renames of the switch only
    return real_publish(*a, **kw)

R.publish = publish
assess(tiny, out, chunk_cases=1, draws=2)
"""


def test_sigkill_at_every_step_of_the_switch(tiny, run1, run2, tmp_path):
    """A rerun into a folder holding an earlier finished run, SIGKILLed at each rename of the switch:
    the folder holds the old set, the new set, or is refused; never new rows beside old provenance."""
    import shutil

    allowed = {run1.results_hash, run2.results_hash}
    steps = (1, 4, 5, 6, 7, 8)  # staging; SUCCESS removed; after 1 and 2 of 3 renames; before SUCCESS; none
    procs = {}
    for k in steps:  # all at once: the cost is mostly interpreter start-up
        out = tmp_path / f"k{k}"
        shutil.copytree(run1.out_dir, out)
        procs[k] = (out, subprocess.Popen([sys.executable, "-c", _KILL_AT, str(tiny), str(out), str(k)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    outcomes = []
    for k, (out, p) in procs.items():
        _, stderr = p.communicate(timeout=600)
        killed = p.returncode == -signal.SIGKILL
        assert killed or p.returncode == 0, stderr
        outcomes.append((k, killed, _consistent_or_refused(out, allowed)))
    for k, (out, _) in procs.items():
        r = assess(tiny, out, chunk_cases=1, draws=2)  # a rerun always finishes the folder
        assert r.results_hash == run2.results_hash and read_results(out).results_hash == run2.results_hash
        assert not (out / "_staging").exists() and not list(out.rglob("*.tmp*"))
    assert [k for k, killed, _ in outcomes if killed] == [1, 4, 5, 6, 7], outcomes
    seen = {h for _, _, h in outcomes}
    assert run1.results_hash in seen and None in seen and run2.results_hash in seen, outcomes


def test_sigkill_mid_run_subprocess(tiny, run1, run2, tmp_path):
    """A real process killed (SIGKILL) while computing parts of a rerun: the earlier finished set
    stays intact and readable; the next run resumes and finishes with the reference hash."""
    import shutil

    out = tmp_path / "r"
    shutil.copytree(run1.out_dir, out)
    slow = tmp_path / "slow.toml"  # more chunks, so there is a moment with some parts done
    slow.write_text(TINY.replace("[[54.038, 35.772], [56.858, 40.537]]",
                                 "[[54.038, 35.772], [56.858, 40.537], [55.0, 37.0], [55.5, 38.0], [56.0, 39.0], "
                                 "[54.5, 36.0], [55.2, 36.5], [56.3, 39.5]]"))
    p = subprocess.Popen([sys.executable, "-m", "bmdcheck.cli", "assess", str(slow), "--out", str(out), "--chunk",
                          "1", "--draws", "2", "--json"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 240 and p.poll() is None:
            if len(list((out / "_parts").glob("part-*.parquet"))) >= 2:
                break
            time.sleep(0.05)
        p.send_signal(signal.SIGKILL)
    finally:
        p.wait()
    assert p.returncode == -signal.SIGKILL
    assert read_results(out).results_hash == run1.results_hash  # the earlier finished set, untouched
    full = assess(slow, tmp_path / "ref", chunk_cases=1, draws=2)
    assert assess(slow, out, chunk_cases=1, draws=2).results_hash == full.results_hash


def test_rerun_cleans_the_old_layout(tiny, run1, tmp_path):
    """A folder written by the layout before bmdcheck-results/1 is converted by a rerun."""
    out = tmp_path / "old"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"scenario_hash": "x"}))
    (out / "provenance.json").write_text("{}")
    (out / "parts").mkdir()
    pq.write_table(pa.table({"x": [1]}), out / "summary.parquet")
    with pytest.raises(BmdcheckError, match="older bmdcheck layout"):
        read_results(out)
    assess(tiny, out, chunk_cases=1)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith("_")) == ["results.parquet"]
