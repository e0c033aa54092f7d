"""The assessment engine: determinism (local = Dask), resume after interruption, outputs, bad input."""

import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from bmdcheck.assess.engine import assess, wilson

SCENARIO = """
name = "test-small"
description = "two sites, four threat cases, three draws"

[[defence.sites]]
site = { name = "north", kind = "land", lat_deg = 62.0, lon_deg = -5.0, alt_m = 0.0 }
interceptors = { "sm-3-iia" = 4 }

[[defence.sites]]
site = "aegis-ashore-deveselu"

[sensors]
early_warning = "sbirs-dsp"
remote_radars = []

[timeline]
mode = "early-warning-only"

[[threats]]
missile = "topol-m"
launch = "west"
aim = "east-coast"
shapes = ["min-energy", "lofted"]

[areas]
west = { points = [[54.038, 35.772], [56.858, 40.537]] }
east-coast = { point = [38.895, -77.036] }

[uncertainty]
seed = 3
draws = 3
burnout_speed_scale = { dist = "uniform", low = 0.9, high = 1.3 }
"""


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    d = tmp_path_factory.mktemp("sc")
    p = d / "small.toml"
    p.write_text(SCENARIO)
    return p


@pytest.fixture(scope="module")
def local_run(scenario, tmp_path_factory):
    return assess(scenario, tmp_path_factory.mktemp("out") / "local", chunk_cases=2)


def test_outputs_and_provenance(local_run):
    out = local_run.out_dir
    for f in ("results.parquet", "_summary.parquet", "_provenance.json", "_manifest.json", "_SUCCESS"):
        assert (out / f).is_file()
    t = pq.read_table(out / "results.parquet")
    assert t.num_rows == 4 * 2 * 3 * 3  # cases × (site, interceptor) entries × draws × sensor tiers (default all)
    assert sorted(set(t.column("tier").to_pylist())) == ["cue", "local", "remote"]
    prov = json.loads((out / "_provenance.json").read_text())
    for k in ("scenario_hash", "catalogue_version", "code_version", "seed", "results_hash"):
        assert prov[k] is not None
    assert not list(out.rglob("*.tmp*"))
    # DuckDB can query the result files
    import duckdb

    n = duckdb.connect().execute(f"select count(*) from '{out}/results.parquet' where draw = 0").fetchall()[0][0]
    assert n == 8 * 3


def test_summary_matches_rows(local_run):
    rows = pq.read_table(local_run.out_dir / "results.parquet").to_pylist()
    assert [s["tier"] for s in local_run.summary] == ["local", "remote", "cue"]  # one summary row per tier
    for s in local_run.summary:
        nominal = [r for r in rows if r["draw"] == 0 and r["threat_ok"] and r["tier"] == s["tier"]]
        cases = {r["case_id"] for r in nominal}
        engageable = {r["case_id"] for r in nominal if r["feasible"]}
        assert s["trajectories"] == 4
        assert s["fraction_engageable"] == pytest.approx(len(engageable) / len(cases))
        assert "probability" in s and s["ci95_low"] <= s["probability"] <= s["ci95_high"]
    cue = local_run.summary[2]
    assert cue["fraction_engageable"] > 0  # the kinematic bound engages what the radar tiers cannot


def test_tiers_are_nested_and_reasons_say_why(local_run):
    """No radar sees these threats from the inline site (no radar) or Deveselu at 0.05 m² in time, so
    local and remote engage nothing the cue tier does not; every infeasible radar-tier row says why
    with one of the public reason codes, and a feasible row has a non-negative launch slack."""
    from bmdcheck.defence.engagement import REASON_NAMES

    rows = [r for r in pq.read_table(local_run.out_dir / "results.parquet").to_pylist() if r["threat_ok"]]
    by = {(r["case_id"], r["draw"], r["site"], r["interceptor"], r["tier"]): r for r in rows}
    for (c, d, s, i, tier), r in by.items():
        assert r["reason"] in REASON_NAMES
        if r["feasible"]:
            assert r["launch_slack_s"] >= -1.0  # sample resolution (1 s)
        if tier == "local" and r["feasible"]:
            assert by[(c, d, s, i, "remote")]["feasible"]
        if s == "north" and tier in ("local", "remote"):
            assert r["reason"] in ("never_tracked", "out_of_reach", "below_min_altitude", "above_max_altitude",
                                   "beyond_max_flight_time")


def test_local_and_dask_identical(scenario, local_run, tmp_path):
    d = assess(scenario, tmp_path / "dask", chunk_cases=2, dask="local:2")
    assert d.results_hash == local_run.results_hash


def test_interrupted_run_resumes(scenario, local_run, tmp_path):
    out = tmp_path / "resume"

    class Stop(Exception):
        pass

    calls = []

    def interrupt(done, total):
        calls.append(done)
        if done == 1:
            raise Stop()

    with pytest.raises(Stop):
        assess(scenario, out, chunk_cases=2, progress=interrupt)
    parts = list((out / "_parts").glob("part-*.parquet"))
    assert len(parts) == 1  # one complete part, nothing half-written
    assert not (out / "results.parquet").exists()
    assert not list(out.rglob("*.tmp*"))
    seen = []
    r = assess(scenario, out, chunk_cases=2, progress=lambda d, t: seen.append(d))
    assert seen[0] == 1  # resumed after the finished chunk
    assert r.results_hash == local_run.results_hash


def test_wilson_interval():
    lo, hi = wilson(5, 10)
    assert lo < 0.5 < hi
    assert wilson(0, 20)[0] == 0.0
    # published value: Wilson 95 % interval for 8/10 is (0.490, 0.943)
    assert wilson(8, 10) == pytest.approx((0.4902, 0.9433), abs=2e-4)


@pytest.mark.parametrize("text,needle", [
    ("name = \n", "small"),
    (SCENARIO.replace('mode = "early-warning-only"', 'mode = "early-warning-only"\ndecision_delay_min = 3'),
     "decision_delay_min"),
    (SCENARIO.replace("lat_deg = 62.0", "lat_deg = 95.0"), "lat"),
    (SCENARIO.replace('missile = "topol-m"', 'missile = "nosuch"'), "nosuch"),
    ('include = ["missing.toml"]\n' + SCENARIO, "missing.toml"),
])
def test_assess_bad_input_exit_2(tmp_path, text, needle):
    p = tmp_path / "small.toml"
    p.write_text(text)
    r = subprocess.run([sys.executable, "-m", "bmdcheck.cli", "assess", str(p), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and needle in lines[0], r.stderr


RADAR_SCENARIO = """
name = "test-radar-memo"
description = "radar tiers over two draws: the radar memo must not change a row"

[[defence.sites]]
site = "aegis-ashore-redzikowo"

[[defence.sites]]
site = { name = "north", kind = "land", lat_deg = 62.0, lon_deg = -5.0, alt_m = 0.0 }
interceptors = { "sm-3-iia" = 4 }

[sensors]
early_warning = "sbirs-dsp"
remote_radars = ["uewr-fylingdales"]

[timeline]
mode = "local"
tiers = ["local", "remote", "cue"]

[[threats]]
missile = "topol-m"
launch = "west"
aim = "east-coast"
shapes = ["min-energy"]

[areas]
west = { points = [[54.038, 35.772], [56.858, 40.537]] }
east-coast = { point = [38.895, -77.036] }

[uncertainty]
seed = 5
draws = 2
detection_range_scale = { dist = "uniform", low = 0.5, high = 2.0 }
"""


def test_radar_memo_changes_no_row(tmp_path, monkeypatch):
    """run_chunk computes each radar's geometry once per chunk (coverage.memo); the rows must be
    those of the direct kernel call for every (draw, tier)."""
    import contextlib

    import numpy as np

    from bmdcheck.assess.engine import Chunk, run_chunk
    from bmdcheck.defence import coverage
    from bmdcheck.scenario.load import canonical_json, load_scenario

    p = tmp_path / "radar.toml"
    p.write_text(RADAR_SCENARIO)
    sj = canonical_json(load_scenario(p))
    chunk = Chunk(0, (0, 1), (0, 1))
    memo = run_chunk(sj, chunk)
    assert set(memo["tier"]) == {"local", "remote", "cue"} and {"tracked_too_late", "feasible"} & set(memo["reason"])
    monkeypatch.setattr(coverage, "memo", contextlib.nullcontext)
    direct = run_chunk(sj, chunk)
    for k in memo:
        if memo[k].dtype.kind == "f":
            assert np.array_equal(memo[k], direct[k], equal_nan=True), k
        else:
            assert memo[k].tolist() == direct[k].tolist(), k
