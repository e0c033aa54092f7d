"""The globe's scenes: thinning keeps the ends and the kept samples unchanged, and bounds the size."""

import numpy as np

from bmdcheck.export.model import Scene
from bmdcheck.report.data import Track
from bmdcheck.web.scenes import thin


def _track(i: int, n: int) -> Track:
    t = np.arange(n, dtype=float)
    return Track(f"threat-{i}", f"t{i}", "threat", t, 10 + t * 1e-3, 20 + t * 2e-3, t * 100.0,
                 np.column_stack([t, 2 * t, 3 * t]) + i)


def test_thin_bounds_the_samples_and_keeps_the_ends():
    tracks = [_track(i, n) for i, n in enumerate((1901, 1500, 37, 2))]
    orig = [(t.t_s.copy(), t.r_ecef_m.copy()) for t in tracks]
    sc = Scene("s", tracks)
    k = thin(sc, max_samples=500)
    assert k == -(-(1901 + 1500 + 37 + 2) // 500) == 7
    assert sum(len(t.t_s) for t in sc.tracks) <= 500 + len(tracks)
    for t, (t0, r0) in zip(sc.tracks, orig):
        assert t.t_s[0] == t0[0] and t.t_s[-1] == t0[-1]                 # launch and impact kept
        idx = t.t_s.astype(int)                                          # t_s equals the sample index here
        assert np.array_equal(t.r_ecef_m, r0[idx]) and np.array_equal(t.alt_m, t0[idx] * 100.0)
        assert np.all(np.diff(idx) <= k) and len(t.lat_deg) == len(t.t_s)


def test_a_small_scene_is_left_alone():
    sc = Scene("s", [_track(0, 100)])
    assert thin(sc, max_samples=100) == 1 and len(sc.tracks[0].t_s) == 100
