"""The benchmarks' scenario, JSON fields and README table (bmdcheck.bench); not their speed."""

import json

import numpy as np
import pytest

from bmdcheck import bench
from bmdcheck.scenario import expand
from bmdcheck.scenario.expand import polygon_grid
from bmdcheck.scenario.load import load_scenario


@pytest.mark.parametrize("n", [1, 7, 58, 300])
def test_dispersal_spacing_is_the_widest_grid_with_enough_points(n):
    s = bench.dispersal_spacing_km(n)
    assert len(polygon_grid(bench.DISPERSAL_POLYGON, s)) >= n
    assert len(polygon_grid(bench.DISPERSAL_POLYGON, s * 1.002)) < n or n == 1


def test_aimed_10k_threat_set_is_dispersal_by_aim_by_shape(tmp_path):
    """The README's size: ~10,000 cases = dispersal points × aim points × 3 shapes against 100 sites."""
    p = tmp_path / "b.toml"
    p.write_text(bench._bench_scenario(10_000, 100, 7, ("min-energy", "lofted", "depressed")))
    s = load_scenario(p)
    cases = expand.threat_cases(s)
    launch = {(c.launch_lat, c.launch_lon) for c in cases}
    aim = {(c.aim_lat, c.aim_lon) for c in cases}
    assert s.areas["dispersal"].polygon is not None
    assert len(cases) == len(launch) * len(aim) * 3 and 9_500 <= len(cases) <= 10_000
    assert 0.8 <= len(launch) / len(aim) <= 1.25  # square-ish: about 58 × 57 (the grid count moves in steps)
    assert len(expand.defence_specs(s)) == 100
    assert {c.shape for c in cases} == {"min-energy", "lofted", "depressed"}


def test_bench_assess_json_fields(tmp_path):
    r = bench.bench_assess(n_cases=4, n_sites=3, dask_workers=0, shapes=("min-energy",))
    assert r["benchmark"] == "assess" and r["pairs"] == r["threat_cases"] * r["sites"] == 4 * 3
    assert r["peak_rss_mb"] > 50 and r["load_average"] is None or r["load_average"] >= 0
    assert r["dask_seconds"] is None and r["hashes_equal"] is None
    assert 0 < r["cpu_seconds"] and r["cpu"]
    json.dumps(r)  # the --json output is plain JSON
    md = bench.markdown_table([r])
    assert "`bench assess`: 12 pairs (4 aimed trajectories (min-energy) × 3 sites)" in md
    assert "peak RSS" in md and "NumPy" in md and "-core" in md


def test_cli_aimed_10k_sets_the_readme_size(cli, monkeypatch):
    from bmdcheck import api

    seen = {}

    def fake(**kw):
        seen.update(kw)
        return {"benchmark": "assess", "pairs": 1, "threat_cases": 1, "sites": 1, "seconds": 1.0,
                "pairs_per_s": 1.0, "peak_rss_mb": 1.0, "load_average": 0.5, "dask_seconds": None,
                "dask_workers": 0, "dask_ratio": None, "results_hash_local": "x", "results_hash_dask": None,
                "hashes_equal": None, "shapes": list(kw["shapes"]), "cores": 2, "versions": {}}

    monkeypatch.setattr(api, "bench_assess", fake)
    code, out, _ = cli("bench", "assess", "--aimed-10k", "--json")
    assert code in (0, None)
    assert seen == {"n_cases": 10_000, "n_sites": 100, "dask_workers": 0,
                    "shapes": ("min-energy", "lofted", "depressed")}
    assert json.loads(out)["load_average"] == 0.5


def test_markdown_table_states_machine_and_rows():
    docs = [{"benchmark": "flight", "n": 10, "fast_per_s": 1234.5, "reference_per_s": 0.5, "ratio": 2469.0,
             "max_impact_diff_km": 0.05, "peak_rss_mb": 200.0, "load_average": 3.0, "cores": 2,
             "versions": {"numpy": "9.9", "numba": "8.8", "scipy": "7.7"}},
            {"benchmark": "stream", "n": 100, "chunk": 10, "per_s": 50.0, "seconds": 2.0, "peak_rss_mb": 99.0,
             "load_average": 5.0}]
    md = bench.markdown_table(docs)
    assert "2-core" in md and "load average 3.0–5.0" in md and "NumPy 9.9, Numba 8.8, SciPy 7.7" in md
    rows = [ln for ln in md.splitlines() if ln.startswith("| `bench")]
    assert len(rows) == 2 and "1,234 trajectories/s" in rows[0] and "impact points within 50 m" in rows[0]
    assert np.all([ln.count("|") == 6 for ln in rows])


def test_demo_stage_clock_json_and_table_row(tmp_path):
    """`make demo` writes its stage timings (wall and CPU) beside its results; the table renders them."""
    from rich.console import Console

    from bmdcheck.demo import StageClock, write_timing

    clock = StageClock()
    sum(i * i for i in range(3_000_000))  # some CPU (0.1-0.3 s: the JSON rounds to 0.01 s)
    clock.done("1. flights (compile)")
    clock.done("2a. assess: more words")
    j = clock.to_json()
    assert [x["stage"] for x in j["stages"]] == ["1. flights (compile)", "2a. assess: more words"]
    assert j["cpu_s"] >= j["stages"][0]["cpu_s"] > 0 and j["wall_s"] >= j["stages"][0]["wall_s"]
    assert {"tables_built", "tables_read", "load_average", "uptime", "cores", "versions"} <= set(j)
    assert j["peak_rss_mb"] > 10  # this process's resident peak, MB (issue 10: in every bench JSON)
    write_timing(tmp_path / "t" / "demo-timing.json", j)
    assert json.loads((tmp_path / "t" / "demo-timing.json").read_text()) == j
    c = Console(width=200, record=True)
    c.print(clock.table())
    text = c.export_text()
    assert "CPU s" in text and "total" in text
    row = next(ln for ln in bench.markdown_table([j]).splitlines() if ln.startswith("| `make demo`"))
    assert "1. flights " in row and "2a. assess " in row and "s CPU" in row and "tables:" in row
    assert "peak RSS" in row


def test_bench_stream_reports_peak_memory_and_the_machine():
    r = bench.bench_stream(n=200, chunk=50)
    assert r["n"] == 200 and r["peak_rss_mb"] > 10 and {"versions", "uptime", "cores", "cpu"} <= set(r)


def test_bench_engage_reports_both_reach_models():
    """`bench engage` measures both reach models against their references in one run (issue 10), and
    the README table renders a row for each."""
    r = bench.bench_engage(n_traj=3, n_sites=4, n_ref=3, n_traj_lambert=2, n_sites_lambert=3, n_ref_lambert=2)
    for k in ("table", "lambert"):
        m = r["models"][k]
        for f in ("pairs", "fast_per_s", "reference_per_s", "ratio", "verdict_agreement", "max_edge_diff_s",
                  "feasible_fraction", "fast_cpu_seconds", "reference"):
            assert f in m, (k, f)
        assert 0.0 <= m["verdict_agreement"] <= 1.0 and m["fast_per_s"] > 0
    assert r["models"]["lambert"]["pairs"] == 6 and r["pairs"] == 12 and r["peak_rss_mb"] > 0
    assert r["first_call_seconds"] > 0  # the first full-size call, timed apart from the steady state
    rows = [ln for ln in bench.markdown_table([r]).splitlines() if ln.startswith("| `bench engage`")]
    assert len(rows) == 2 and "Lambert" in rows[1] and "first call" in rows[0]
