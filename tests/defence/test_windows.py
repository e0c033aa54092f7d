"""The shared window scanner (defence/windows.py): pruning is exact, one edge convention, no cycle."""

import subprocess
import sys

import numpy as np
import pytest

import bmdcheck as bc
from bmdcheck.defence.engage import InterceptorSpec, SiteSpec, TimelineSpec, engage_lambert
from bmdcheck.defence.engagement import PairSpec, Threats, prepare, solve_windows
from bmdcheck.defence.flyout import table_for


@pytest.fixture(scope="module")
def fan():
    m = bc.get_missile("minuteman-iii")
    rng = np.random.default_rng(5)
    b = bc.fly_missile_batch(m, rng.uniform(50, 58, 6), rng.uniform(30, 60, 6), rng.uniform(290, 340, 6),
                             rng.uniform(40, 70, 6), sample_interval_s=1.0)
    th = Threats.from_batch(b)
    mid = th.r_eci_m[np.arange(6), th.n_samples // 2]
    from bmdcheck.earth.frames import ecef_to_geodetic, eci_to_ecef

    la, lo, _ = ecef_to_geodetic(eci_to_ecef(mid, th.t_s[np.arange(6), th.n_samples // 2]))
    sites = np.stack([la + rng.uniform(-10, 10, 6), lo + rng.uniform(-15, 15, 6), np.zeros(6)], -1)
    return th, sites


def _spec(P, traj, site, tL):
    return PairSpec(traj, site, np.zeros(P, dtype=np.int64), tL, 100e3, 1500e3, 0.0, 900.0, 0.0, 60.0)


def test_table_pruning_changes_nothing(fan):
    """Chunk bounds skip only what cannot matter: every output column equals the unpruned scan."""
    th, sites = fan
    P = 36
    traj, site = np.repeat(np.arange(6), 6), np.tile(np.arange(6), 6)
    tL = np.random.default_rng(1).uniform(150, 450, P)
    geo = prepare(th)
    tab = table_for(4500.0, 50.0, 900.0)
    a = solve_windows(geo, sites, [tab], _spec(P, traj, site, tL))
    b = solve_windows(geo, sites, [tab], _spec(P, traj, site, tL), pruned=False)
    assert 0 < a.feasible.sum() < P  # both kinds of pair are exercised
    np.testing.assert_array_equal(a.raw, b.raw)


def test_lambert_pruning_changes_nothing(fan):
    th, sites = fan
    ss = [SiteSpec(f"s{k}", float(sites[k, 0]), float(sites[k, 1])) for k in range(3)]
    it = [InterceptorSpec("x", 4500.0, 50.0, 100e3, 1500e3, 0.0, 900.0)] * 3
    tl = TimelineSpec(mode="early-warning-only", launch_at_s=250.0)
    th3 = Threats(th.t_s[:3], th.r_eci_m[:3], th.v_eci_mps[:3], th.n_samples[:3], th.earth)
    a = engage_lambert(th3, ss, it, tl)
    b = engage_lambert(th3, ss, it, tl, pruned=False)
    assert a.windows.feasible.any()
    np.testing.assert_array_equal(a.windows.raw, b.windows.raw)
    ok = np.isfinite(b.min_dv_mps) & (b.min_dv_mps <= 4500.0)  # exact wherever within the burnout speed
    np.testing.assert_array_equal(a.min_dv_mps[ok], b.min_dv_mps[ok])


def test_edge_without_a_margin_is_at_the_midpoint(fan):
    """A window that opens and closes only because the engagement radar's visibility flips (no
    magnitude to interpolate) has its edges halfway between the samples (docs/design/engagement.md)."""
    th, sites = fan
    geo = prepare(th)
    tab = table_for(4500.0, 50.0, 900.0)
    P = 36
    traj, site = np.repeat(np.arange(6), 6), np.tile(np.arange(6), 6)
    tL = np.full(P, 200.0)
    free = solve_windows(geo, sites, [tab], _spec(P, traj, site, tL))
    p = int(np.argmax(np.nan_to_num(free.last_s - free.first_s, nan=-1.0)))
    i = traj[p]
    t = th.t_s[i, :th.n_samples[i]]
    k0 = int(np.searchsorted(t, free.first_s[p])) + 20
    k1 = int(np.searchsorted(t, free.last_s[p])) - 20
    assert k1 > k0
    vis = np.zeros((1,) + th.t_s.shape, dtype=np.bool_)
    vis[0, i, k0:k1 + 1] = True
    spec = _spec(P, traj, site, tL)
    spec.vis = np.where(np.arange(P) == p, 0, -1)
    w = solve_windows(geo, sites, [tab], spec, vis)
    assert w.first_s[p] == pytest.approx(0.5 * (t[k0 - 1] + t[k0]))
    assert w.last_s[p] == pytest.approx(0.5 * (t[k1] + t[k1 + 1]))
    assert w.duration_s[p] == pytest.approx(w.last_s[p] - w.first_s[p])


def test_lambert_model_does_not_import_the_glue():
    """lambert_engage and engage no longer import each other: the model needs only windows/lambert."""
    code = ("import sys, bmdcheck.defence.lambert_engage; "
            "print('bmdcheck.defence.engage' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
