"""Engagement windows: the compiled solver against the per-sample reference, and known answers."""

import json
import subprocess
import sys

import numpy as np
import pytest

import bmdcheck as bc
from bmdcheck.defence.engage import InterceptorSpec, SiteSpec, TimelineSpec, burnout_speed_threshold, engage_threats
from bmdcheck.defence.engagement import PairSpec, Threats, prepare, solve_windows
from bmdcheck.defence.flyout import booster_for, table_for
from bmdcheck.defence.reference import DirectReach, reference_window


@pytest.fixture(scope="module")
def icbm():
    t = bc.fly("topol-m", (54.038, 35.772), (38.895, -77.036), sample_interval_s=1.0)
    s = t.samples
    return t, Threats.from_arrays(s.t_s, s.r_eci_m, s.v_eci_mps)


@pytest.fixture(scope="module")
def fan():
    """20 ICBM trajectories with 1 s samples."""
    m = bc.get_missile("minuteman-iii")
    rng = np.random.default_rng(11)
    b = bc.fly_missile_batch(m, rng.uniform(50, 58, 20), rng.uniform(30, 60, 20), rng.uniform(290, 340, 20),
                             rng.uniform(40, 70, 20), sample_interval_s=1.0)
    return Threats.from_batch(b)


@pytest.fixture(scope="module")
def reach45():
    """The 4.5 km/s, 50 s interceptor as the solver's table and as the reference's own flown fan."""
    return table_for(4500.0, 50.0, 900.0), DirectReach(booster_for(4500.0, 50.0), 900.0)


EDGE_S = 1.5  # one 1-s sample (the reference does not refine edges) + the reach error (<= 0.5 s, flyout.md)


def _compare(fan, reach45, vcmin, tofmin, seed, n=60):
    """Compiled solver vs the independent reference on n random pairs; returns per-pair records."""
    tab, direct = reach45
    rng = np.random.default_rng(seed)
    N = len(fan)
    apo = fan.r_eci_m[np.arange(N), fan.n_samples // 2]
    from bmdcheck.earth.frames import ecef_to_geodetic, eci_to_ecef

    la, lo, _ = ecef_to_geodetic(eci_to_ecef(apo, fan.t_s[np.arange(N), fan.n_samples // 2]))
    sites = np.stack([np.clip(la + rng.uniform(-12, 12, N), -80, 80), lo + rng.uniform(-20, 20, N), np.zeros(N)], -1)
    P = N * N
    traj, site = np.repeat(np.arange(N), N), np.tile(np.arange(N), N)
    tL = rng.uniform(150, 450, P)
    vc = np.broadcast_to(np.asarray(vcmin, float), (P,)).copy() if np.ndim(vcmin) == 0 else np.asarray(vcmin, float)
    tm = np.broadcast_to(np.asarray(tofmin, float), (P,)).copy() if np.ndim(tofmin) == 0 else np.asarray(tofmin, float)
    spec = PairSpec(traj, site, np.zeros(P, int), tL, 100e3, 1500e3, tm, 900.0, vc, 60.0)
    w = solve_windows(prepare(fan), sites, [tab], spec)
    out = []
    for p in rng.choice(P, n, replace=False):
        i, s = traj[p], site[p]
        k = fan.n_samples[i]
        args = (fan.t_s[i, :k], fan.r_eci_m[i, :k], fan.v_eci_mps[i, :k], sites[s], direct, tL[p])
        kw = dict(min_alt_m=100e3, max_alt_m=1500e3, max_tof_s=900.0)
        ref = reference_window(*args, **kw, min_tof_s=tm[p], min_closing_mps=vc[p])
        free = reference_window(*args, **kw)  # without the floors: do they bind on this pair?
        out.append(dict(p=p, ref=ref, free=free, feas=bool(w.feasible[p]), first=w.first_s[p], last=w.last_s[p]))
    return out


def _agree(recs):
    for r in recs:
        feas, first, last, _ = r["ref"]
        assert feas == r["feas"], r
        if feas:
            assert abs(first - r["first"]) <= EDGE_S and abs(last - r["last"]) <= EDGE_S, r


def test_compiled_matches_reference(fan, reach45):
    recs = _compare(fan, reach45, 0.0, 0.0, seed=5)
    _agree(recs)
    assert sum(r["ref"][0] for r in recs) >= 5  # the sample covers both verdicts


def test_compiled_matches_reference_with_closing_speed_and_flight_time_floors(fan, reach45):
    """Pairs with a minimum closing speed (2-7 km/s) and a minimum flight time (0-250 s): the floors
    must change the verdict or an edge on some pairs (else the comparison could not see an error in
    them: halving the closing-speed floor in the kernel fails here, docs/VALIDATION.md)."""
    rng = np.random.default_rng(8)
    P = len(fan) ** 2
    recs = _compare(fan, reach45, rng.uniform(2000.0, 7000.0, P), rng.uniform(0.0, 250.0, P), seed=6, n=80)
    _agree(recs)
    binding = [r for r in recs if r["free"][0] and (not r["ref"][0] or r["ref"][1] - r["free"][1] > 2 * EDGE_S
                                                    or r["free"][2] - r["ref"][2] > 2 * EDGE_S)]
    assert len(binding) >= 5, len(binding)
    assert sum(r["ref"][0] for r in recs) >= 5


def _one(threats, site, it, tl):
    e = engage_threats(threats, [site], [it], tl)
    return e.record(0)


def test_known_answers(icbm):
    t, th = icbm
    s = t.samples
    k = int(np.argmax(s.alt_km))
    under = SiteSpec("under-apogee", float(s.lat_deg[k]), float(s.lon_deg[k]))
    far = SiteSpec("far", -40.0, 150.0)
    fast = InterceptorSpec("fast", 5000.0, 50.0, 100e3, 2000e3, 0.0, 1200.0)
    tl = TimelineSpec(mode="early-warning-only", launch_at_s=200.0)
    assert _one(th, under, fast, tl)["feasible"]
    assert _one(th, far, fast, tl)["reason"] == "out_of_reach"
    high_floor = InterceptorSpec("floor", 5000.0, 50.0, 3000e3, 4000e3, 0.0, 1200.0)
    assert _one(th, under, high_floor, tl)["reason"] == "below_min_altitude"
    late = TimelineSpec(mode="early-warning-only", launch_at_s=float(t.flight_time_s))
    assert _one(th, under, fast, late)["reason"] == "launch_too_late"  # fixed launch after impact
    picky = InterceptorSpec("picky", 5000.0, 50.0, 100e3, 2000e3, 0.0, 1200.0, min_closing_mps=30_000.0)
    assert _one(th, under, picky, tl)["reason"] == "target_outruns_interceptor"


def test_window_geometry_consistent(icbm):
    """The intercept point at the first edge lies on the threat track at first_s, inside the band."""
    t, th = icbm
    s = t.samples
    k = int(np.argmax(s.alt_km))
    r = _one(th, SiteSpec("u", float(s.lat_deg[k]), float(s.lon_deg[k])),
             InterceptorSpec("fast", 5000.0, 50.0, 100e3, 2000e3, 0.0, 1200.0),
             TimelineSpec(mode="early-warning-only", launch_at_s=200.0))
    j = int(np.searchsorted(s.t_s, r["first_s"]))
    assert abs(r["intercept_first"]["alt_km"] - s.alt_km[j]) < 10.0
    assert 100.0 <= r["intercept_first"]["alt_km"] <= 2000.0
    assert r["flight_time_first_s"] <= r["first_s"] - 200.0 + 1.0
    assert r["first_s"] <= r["last_s"]


def test_shoot_look_shoot_counts(icbm):
    t, th = icbm
    s = t.samples
    k = int(np.argmax(s.alt_km))
    site = SiteSpec("u", float(s.lat_deg[k]), float(s.lon_deg[k]))
    it = InterceptorSpec("fast", 6000.0, 50.0, 100e3, 2000e3, 0.0, 1500.0)
    quick = _one(th, site, it, TimelineSpec(mode="early-warning-only", launch_at_s=150.0, kill_assessment_s=30.0))
    slow = _one(th, site, it, TimelineSpec(mode="early-warning-only", launch_at_s=150.0, kill_assessment_s=100_000.0))
    assert slow["shots"] == 1
    assert quick["shots"] > 1
    # each shot needs one kill-assessment time after the previous intercept: an upper bound
    assert quick["shots"] <= 1 + (quick["last_s"] - quick["first_s"]) / 30.0 + 1


def test_threshold_brackets_the_verdict(icbm):
    t, th = icbm
    s = t.samples
    k = int(np.argmax(s.alt_km))
    site = SiteSpec("offset", float(s.lat_deg[k]) + 8.0, float(s.lon_deg[k]))
    it = InterceptorSpec("x", 5000.0, 50.0, 100e3, 2000e3, 0.0, 900.0)
    tl = TimelineSpec(mode="early-warning-only", launch_at_s=250.0)
    v = burnout_speed_threshold(th, site, it, tl)
    assert v is not None and 1000 < v < 11000
    assert _one(th, site, it.with_burnout_speed(v), tl)["feasible"]
    assert not _one(th, site, it.with_burnout_speed(v - 15.0), tl)["feasible"]
    vl = burnout_speed_threshold(th, site, it, tl, flyout="lambert")
    assert vl is not None
    # the two reach models differ by the burn (losses and altitude gained); same ballpark
    assert 0.7 < vl / v < 1.4


def test_threat_file_matches_missile(icbm, tmp_path):
    t, _ = icbm
    s = t.samples
    f = tmp_path / "threat.csv"
    rows = ["t_s,x_eci_m,y_eci_m,z_eci_m"] + [f"{a},{b[0]},{b[1]},{b[2]}" for a, b in zip(s.t_s, s.r_eci_m)]
    f.write_text("\n".join(rows))
    k = int(np.argmax(s.alt_km))
    common = ["--site-at", f"{s.lat_deg[k] + 5},{s.lon_deg[k]}", "--burnout-speed", "5000", "--burn-time", "50",
              "--altitude-band", "100,2000", "--launch-at", "250", "--json"]
    a = subprocess.run([sys.executable, "-m", "bmdcheck.cli", "engage", "--threat-file", str(f), *common],
                       capture_output=True, text=True, timeout=600)
    b = subprocess.run([sys.executable, "-m", "bmdcheck.cli", "engage", "--missile", "topol-m", "--from", "54.038,35.772",
                        "--to", "38.895,-77.036", *common], capture_output=True, text=True, timeout=600)
    assert a.returncode == 0 and b.returncode == 0, (a.stderr, b.stderr)
    ja, jb = json.loads(a.stdout), json.loads(b.stdout)
    assert ja["feasible"] == jb["feasible"] is True
    assert abs(ja["first_s"] - jb["first_s"]) <= 1.0 and abs(ja["last_s"] - jb["last_s"]) <= 1.0


@pytest.mark.parametrize("args,needle", [
    (["--site-at", "50,10,-1", "--burnout-speed", "4000", "--burn-time", "40"], "below the ground"),
    (["--site", "aegis-ashore-deveselu", "--decision-delay", "-5"], "decision delay"),
    (["--site-at", "50,10", "--burnout-speed", "4000", "--burn-time", "40", "--altitude-band", "500,100"], "altitude-band"),
    (["--site", "no-such-site"], "unknown site"),
    (["--site", "aegis-ashore-deveselu", "--interceptor", "sm-9"], "unknown interceptor"),
    (["--site", "aegis-ashore-deveselu", "--mode", "engage-on-remote", "--remote-radar", "nope"], "unknown radar"),
    (["--site-at", "50,10", "--burnout-speed", "-4000", "--burn-time", "40"], "burnout-speed"),
])
def test_engage_bad_input(args, needle):
    p = subprocess.run([sys.executable, "-m", "bmdcheck.cli", "engage", "--missile", "scud-b", "--from", "33,44",
                        "--to", "32.5,42", *args], capture_output=True, text=True, timeout=300)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    lines = [x for x in p.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and needle.lower() in lines[0].lower(), p.stderr
