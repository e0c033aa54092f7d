"""`bench steer` on a few cases: the issue's JSON fields, and a miss that is measured, not echoed."""

import numpy as np

from bmdcheck.bench import bench_steer, steer_cases


def test_bench_steer_fields_and_independent_miss():
    r = bench_steer(n=8, n_ref=3, sampled=True)
    for k in ("aimed_per_s", "reference_per_s", "ratio", "max_miss_km", "n", "failed", "peak_rss_mb",
              "fast_cpu_seconds", "unsolved_where_reference_solved", "sampled_per_s", "peak_rss_mb_sampled"):
        assert k in r, k
    assert r["n"] == 8 and r["failed"] == 0 and r["unsolved_where_reference_solved"] == 0
    assert r["reference_solved"] == 3 and r["sampled_flown"] == 8
    # the miss comes from flying the answers again (WGS84 geodesic); the solver's own figure (its
    # verifying flight's residual in the aim's horizontal plane) must agree with it
    assert 0.0 < r["max_miss_km"] <= 0.02
    assert abs(r["max_miss_km"] - r["max_miss_km_reported"]) < 1e-3
    assert np.isclose(r["ratio"], r["aimed_per_s"] / r["reference_per_s"])


def test_steer_cases_shapes_and_range():
    from bmdcheck.earth.frames import geodesic_inverse

    la, lo, ta, to, sh = steer_cases(40, seed=3)
    assert list(sh[:4]) == ["min-energy", "min-energy", "lofted", "depressed"]
    assert np.all(geodesic_inverse(la, lo, ta, to)[0] <= 9_500e3)
