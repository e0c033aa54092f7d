"""The Lambert reach model's window edges, checked with the independent universal-variable solver."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bmdcheck as bc
from bmdcheck.defence.engage import InterceptorSpec, SiteSpec, TimelineSpec, engage_threats
from bmdcheck.defence.engagement import Threats
from bmdcheck.defence.lambert import lambert_universal
from bmdcheck.earth.constants import OMEGA_EARTH_RAD_S
from bmdcheck.earth.frames import ecef_to_eci, geodetic_to_ecef


@pytest.fixture(scope="module")
def threat():
    t = bc.fly("topol-m", (54.038, 35.772), (38.895, -77.036), sample_interval_s=1.0)
    s = t.samples
    return s, Threats.from_arrays(s.t_s, s.r_eci_m, s.v_eci_mps)


def test_edges_need_exactly_the_burnout_speed(threat):
    """At a reach-limited window edge the transfer needs Δv = burnout speed (fixed launch, no burn)."""
    s, th = threat
    site = SiteSpec("s", 62.0, -10.0)
    vbo, t_launch = 5000.0, 300.0
    it = InterceptorSpec("x", vbo, 1e-9, 0.0, 1e7, 0.0, 1e9, 0.0)
    e = engage_threats(th, [site], [it], TimelineSpec(mode="early-warning-only", launch_at_s=t_launch), "lambert")
    rec = e.record(0)
    assert rec["feasible"]
    r_site = ecef_to_eci(geodetic_to_ecef(62.0, -10.0, 0.0), t_launch)
    v_site = OMEGA_EARTH_RAD_S * np.array([-r_site[1], r_site[0], 0.0])
    checked = 0
    for edge in (rec["first_s"], rec["last_s"]):
        if edge >= s.t_s[-2]:
            continue  # the window ends with the trajectory (altitude band), not with reach
        r_tgt = np.array([np.interp(edge, s.t_s, s.r_eci_m[:, k]) for k in range(3)])
        v1, _ = lambert_universal(r_site, r_tgt, edge - t_launch)
        dv = np.linalg.norm(np.asarray(v1) - v_site)
        assert abs(dv - vbo) < 10.0, (edge, dv)
        checked += 1
    assert checked >= 1
    assert rec["flight_time_first_s"] == pytest.approx(rec["first_s"] - t_launch, abs=1e-6)


def test_minimum_dv_is_the_threshold(threat):
    """The Lambert threshold is the smallest Δv over the trajectory: feasible at it, not 10 m/s below."""
    _, th = threat
    site = SiteSpec("s", 62.0, -10.0)
    tl = TimelineSpec(mode="early-warning-only", launch_at_s=300.0)
    it = InterceptorSpec("x", 9000.0, 1e-9, 100e3, 2000e3, 0.0, 1e9, 0.0)
    dv = float(engage_threats(th, [site], [it], tl, "lambert").min_dv_mps[0])
    assert np.isfinite(dv)
    assert engage_threats(th, [site], [it.with_burnout_speed(dv + 1.0)], tl, "lambert").windows.feasible[0]
    assert not engage_threats(th, [site], [it.with_burnout_speed(dv - 10.0)], tl, "lambert").windows.feasible[0]


def test_lambert_reason_codes_known_by_geometry(threat):
    """Reason codes of the Lambert reach model on cases whose answer is known by hand (as the table
    model's test_known_answers): a site under the apogee with a fast interceptor is feasible; a site
    on the far side of the Earth (-40, 150: ~16,000 km from the track) is out of reach at 5 km/s; a
    launch at the threat's impact time is too late although the points are reachable; an altitude
    floor above the apogee; a closing-speed floor of 30 km/s (above any ICBM + interceptor sum).
    Inverting the Lambert reach comparison (reachable <-> out of reach) fails here (docs/VALIDATION.md)."""
    s, th = threat
    k = int(np.argmax(s.alt_km))
    under = SiteSpec("under-apogee", float(s.lat_deg[k]), float(s.lon_deg[k]))
    far = SiteSpec("far", -40.0, 150.0)
    fast = InterceptorSpec("fast", 5000.0, 50.0, 100e3, 2000e3, 0.0, 1200.0)
    tl = TimelineSpec(mode="early-warning-only", launch_at_s=200.0)

    def one(site, it, timeline):
        return engage_threats(th, [site], [it], timeline, "lambert").record(0)

    assert (one(under, fast, tl)["feasible"], one(under, fast, tl)["reason"]) == (True, "feasible")
    assert one(far, fast, tl)["reason"] == "out_of_reach"
    late = TimelineSpec(mode="early-warning-only", launch_at_s=float(s.t_s[-1]))
    assert one(under, fast, late)["reason"] == "launch_too_late"
    high_floor = InterceptorSpec("floor", 5000.0, 50.0, 3000e3, 4000e3, 0.0, 1200.0)
    assert one(under, high_floor, tl)["reason"] == "below_min_altitude"
    picky = InterceptorSpec("picky", 5000.0, 50.0, 100e3, 2000e3, 0.0, 1200.0, min_closing_mps=30_000.0)
    assert one(under, picky, tl)["reason"] == "target_outruns_interceptor"
    slow = InterceptorSpec("slow", 300.0, 50.0, 100e3, 2000e3, 0.0, 1200.0)  # 300 m/s reaches nothing at 100 km+
    assert one(under, slow, tl)["reason"] == "out_of_reach"


def test_cli_burn_time_zero_is_the_impulsive_lambert_model():
    """`--burn-time 0` with `--flyout lambert`: full speed at launch. Its threshold is no higher than
    with a 1-s burn (the site is left 1 s earlier) and within 20 m/s of it; with the table fly-out
    (which flies a booster) it is one line on stderr and exit 2."""
    import json
    import subprocess
    import sys

    base = [sys.executable, "-m", "bmdcheck.cli", "engage", "--missile", "topol-m", "--from", "54.038,35.772",
            "--to", "38.90,-77.04", "--site", "aegis-ashore-redzikowo", "--interceptor", "sm-3-iib",
            "--mode", "early-warning-only"]
    thr = {}
    for b in ("0", "1"):
        p = subprocess.run(base + ["--flyout", "lambert", "--burn-time", b, "--threshold", "burnout-speed", "--json"],
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stderr
        d = json.loads(p.stdout)
        thr[b] = d["threshold_mps"]
        assert d["interceptor_params"]["burn_time_s"] == float(b)
    assert thr["0"] <= thr["1"] <= thr["0"] + 20.0
    p = subprocess.run(base + ["--burn-time", "0"], capture_output=True, text=True, timeout=600)
    lines = [x for x in p.stderr.splitlines() if x.strip()]
    assert p.returncode == 2 and len(lines) == 1 and "--flyout lambert" in lines[0], p.stderr


def _transfer(rng, mu):
    """A random short-way engagement-like transfer: r1 on the Earth, r2 100-3,000 km up, angle, flight time."""
    r1 = rng.uniform(6.35e6, 6.39e6)
    r2 = r1 + rng.uniform(1e5, 3e6)
    th = rng.uniform(0.005, 3.0)
    tof = rng.uniform(30.0, 4000.0)
    return r1, r2, th, tof


def test_tof_lower_bound_is_below_every_transfer():
    """The chunk bound's flight-time floor (Lagrange's fast-branch time at the largest semi-major axis
    the speed allows, lowest chord and semi-perimeter) never exceeds the flight time of a transfer
    that needs at most that speed, for any larger radius or angle (Izzo solver as the truth)."""
    from bmdcheck.defence.lambert import izzo2015
    from bmdcheck.defence.lambert_engage import _tof_lower
    from bmdcheck.earth.constants import GM_M3_S2

    rng = np.random.default_rng(11)
    n = tight = 0
    for _ in range(4000):
        r1, r2, th, tof = _transfer(rng, GM_M3_S2)
        v1, _, ok = izzo2015(np.array([r1, 0.0, 0.0]), np.array([r2 * np.cos(th), r2 * np.sin(th), 0.0]), tof, GM_M3_S2)
        if not ok:
            continue
        v = float(np.linalg.norm(v1))
        k_r, k_th = rng.uniform(0.9, 1.0), rng.uniform(0.5, 1.0)
        lb = _tof_lower(r1, max(r2 * k_r, r1 * 1.0001), np.cos(th * k_th), v * (1 + 1e-12), GM_M3_S2)
        assert lb <= tof * (1 + 1e-9), (r1, r2, th, tof, v, lb)
        exact = _tof_lower(r1, r2, np.cos(th), v, GM_M3_S2)
        assert exact <= tof * (1 + 1e-9)
        tight += abs(exact - tof) < 1e-6 * tof
        n += 1
    assert n > 3500 and tight > 0.2 * n  # the fast-branch transfers meet the bound with equality


def test_tof_lower_bound_equals_the_universal_variable_fast_transfer():
    """On the fast branch (flight time below the minimum-energy time) the bound at the transfer's own
    speed is the transfer's flight time (independent universal-variable solver, SciPy brentq)."""
    from bmdcheck.defence.lambert_engage import _tof_lower
    from bmdcheck.earth.constants import GM_M3_S2

    r1v = np.array([6.371e6, 0.0, 0.0])
    for th, h, tof in ((0.2, 500e3, 300.0), (0.5, 1000e3, 600.0), (0.05, 200e3, 60.0), (1.0, 1500e3, 1100.0)):
        r2 = 6.371e6 + h
        v1, _ = lambert_universal(r1v, np.array([r2 * np.cos(th), r2 * np.sin(th), 0.0]), tof)
        v = float(np.linalg.norm(v1))
        assert _tof_lower(6.371e6, r2, np.cos(th), v, GM_M3_S2) == pytest.approx(tof, rel=1e-7)
    # below the minimum-energy ellipse's speed no transfer exists; at escape speed no time floor
    assert _tof_lower(6.371e6, 7.0e6, np.cos(0.5), 1000.0, GM_M3_S2) == np.inf
    assert _tof_lower(6.371e6, 7.0e6, np.cos(0.5), 11.2e3, GM_M3_S2) == 0.0


def test_tof_lower_bounds_bracket_the_exact_expression_and_decide_alike():
    """``_tof_lower_bounds`` brackets ``_tof_lower(...) * (1 - 1e-9) - 1e-6`` as evaluated, and
    ``_tof_lower_exceeds`` gives that expression's comparison with the flight time bit for bit: random
    radii, angles and speeds (elliptic, near-escape, no-ellipse), flight times anywhere and at the
    expression's own value (exactly, and 1e-15, 1e-9, 1e-6 relative either side); the bounds decide
    a good share (else the fast path would be dead code)."""
    from bmdcheck.defence.lambert_engage import _tof_lower, _tof_lower_bounds, _tof_lower_exceeds
    from bmdcheck.earth.constants import GM_M3_S2

    rng = np.random.default_rng(31)
    n = 40000
    r1 = rng.uniform(6.35e6, 6.4e6, n)
    r2 = r1 + rng.uniform(-1e4, 3e6, n)
    cth = np.cos(rng.uniform(0.0, 1.2, n) ** 2)
    v = rng.uniform(500.0, 11500.0, n)
    v[:200] = np.sqrt(2.0 * GM_M3_S2 / r1[:200]) * (1.0 + rng.uniform(-1e-9, 1e-9, 200))  # escape speed
    tof = rng.uniform(0.0, 1500.0, n)
    half = n // 2
    exact = np.array([_tof_lower(a, b, c, d, GM_M3_S2) * (1.0 - 1e-9) - 1e-6 for a, b, c, d in zip(r1, r2, cth, v)])
    tof[:half] = exact[:half] * (1.0 + rng.choice([-1e-6, -1e-9, -1e-15, 0.0, 1e-15, 1e-9, 1e-6], half))
    decided = 0
    for k in range(n):
        lo, hi = _tof_lower_bounds(r1[k], r2[k], cth[k], v[k], GM_M3_S2)
        assert lo <= exact[k] <= hi or (lo == -np.inf and hi == np.inf), k
        decided += lo > tof[k] or hi < tof[k]
        assert _tof_lower_exceeds(r1[k], r2[k], cth[k], v[k], GM_M3_S2, tof[k]) == (exact[k] > tof[k]), k
    assert decided > 0.3 * n


def test_reach_bound_admits_every_transfer_within_the_burnout_speed():
    """The chunk, sample and launch bounds (``_reachable``, ``_dv_floor``, ``_refused``) never refuse a
    transfer that exists:
    random sites, target directions in random caps, flight times and Earth turns; the exact speed
    change from the Izzo solver (site velocity omega x r1) as the burnout speed must be admitted, with
    a flight-time floor no later than the transfer's, and the sample floor must not exceed it."""
    from bmdcheck.defence.lambert import izzo2015
    from bmdcheck.defence.lambert_engage import _dv_floor, _reachable, _refused
    from bmdcheck.earth.constants import GM_M3_S2

    rng = np.random.default_rng(12)
    w = OMEGA_EARTH_RAD_S
    n = n_refused = 0
    for _ in range(3000):
        lat, lon = np.radians(rng.uniform(-80, 80)), np.radians(rng.uniform(-180, 180))
        se = 6.37e6 * np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        c = rng.normal(size=3)
        c /= np.linalg.norm(c)
        if rng.uniform() < 0.7:  # mostly near the site, where the bound has to work
            c = se / 6.37e6 + rng.uniform(0.01, 0.6) * c
            c /= np.linalg.norm(c)
        rho = rng.uniform(0.0, 0.05)
        e = rng.normal(size=3)
        e -= e.dot(c) * c
        e /= np.linalg.norm(e)
        u = np.cos(rho * rng.uniform() ** 0.5) * c + np.sin(rho * rng.uniform() ** 0.5) * e
        u /= np.linalg.norm(u)
        r2n = 6.37e6 + rng.uniform(1e5, 2e6)
        tof = rng.uniform(30.0, 1500.0)
        psi = w * tof
        cp, sp = np.cos(psi), np.sin(psi)
        r2 = r2n * np.array([cp * u[0] - sp * u[1], sp * u[0] + cp * u[1], u[2]])  # ECI at arrival, r1 = se
        v1, _, ok = izzo2015(se, r2, tof, GM_M3_S2)
        if not ok:
            continue
        dv = float(np.linalg.norm(v1 - w * np.array([-se[1], se[0], 0.0])))
        tofmax = tof + rng.uniform(0.0, 300.0)
        ok, tof_lb = _reachable(se, c[0], c[1], c[2], rho, r2n * 0.999, tofmax, dv * (1 + 1e-12), w, GM_M3_S2)
        assert ok and tof_lb <= tof * (1 + 1e-9), (se, c, rho, u, r2n, tof, dv, tof_lb)
        fl = _dv_floor(se, u[0], u[1], u[2], r2n, tofmax, 0.5 * dv, w, GM_M3_S2)
        assert fl <= dv * (1 + 1e-9)
        assert not _refused(se, r2, tof, dv * (1 + 1e-12), w, GM_M3_S2)  # the launch-level test, plane known
        n_refused += _refused(se, r2, tof, 0.9 * dv, w, GM_M3_S2)
        n += 1
    assert n > 2500 and n_refused > 0.3 * n  # and it does refuse transfers 10 % beyond the speed


def _site_transfer(lat, lon, off, bearing, h, tof, rho=0.0, frac=0.0):
    """A site on a 6,370 km sphere at (lat, lon) deg, a cap centre c off rad from it along bearing, a
    direction u at rho·frac from c inside the cap, the point h m up along u turned by ω·tof (ECI at
    arrival, the site's ECEF position being its ECI one at launch) and the Izzo solver's exact Δv to it
    relative to the turning site: (se, c, u, r2n, dv), or None when the solver finds no transfer."""
    from bmdcheck.defence.lambert import izzo2015
    from bmdcheck.earth.constants import GM_M3_S2

    w = OMEGA_EARTH_RAD_S
    la, lo = np.radians(lat), np.radians(lon)
    s = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    se = 6.37e6 * s
    e1 = np.cross([0.0, 0.0, 1.0], s)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(s, e1)
    c = np.cos(off) * s + np.sin(off) * (np.cos(bearing) * e1 + np.sin(bearing) * e2)
    d = np.cross(c, e1)
    d /= np.linalg.norm(d)
    u = np.cos(rho * frac) * c + np.sin(rho * frac) * d
    r2n = 6.37e6 + h
    psi = w * tof
    r2 = r2n * np.array([np.cos(psi) * u[0] - np.sin(psi) * u[1], np.sin(psi) * u[0] + np.cos(psi) * u[1], u[2]])
    v1, _, ok = izzo2015(se, r2, tof, GM_M3_S2)
    if not ok:
        return None
    return se, c, u, r2n, float(np.linalg.norm(v1 - w * np.array([-se[1], se[0], 0.0])))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(lat=st.floats(-80, 80), lon=st.floats(-180, 180), off=st.floats(0.005, 0.6), bearing=st.floats(0, 2 * np.pi),
       rho=st.floats(0.0, 0.03), frac=st.floats(0, 1), h=st.floats(1e5, 2e6), tof=st.floats(30.0, 1500.0),
       below=st.floats(0.0, 600.0), above=st.floats(0.0, 600.0))
def test_binned_reach_bound_admits_every_transfer(lat, lon, off, bearing, rho, frac, h, tof, below, above):
    """The chunk bound's flight-time bins (``_reachable_binned``: per bin its own Earth turn and the
    floor <= the bin's end) never refuse a transfer that exists, and its flight-time floor is no later
    than the transfer's: a target direction u in a cap (centre c, radius rho) near the site, the
    arrival point turned by ω·tof (ECI), the exact Δv of the Izzo solver as the burnout speed, any
    flight-time range [tofmin, tofmax] containing tof."""
    from bmdcheck.defence.lambert_engage import _reachable_binned
    from bmdcheck.earth.constants import GM_M3_S2

    w = OMEGA_EARTH_RAD_S
    tr = _site_transfer(lat, lon, off, bearing, h, tof, rho, frac)
    if tr is None:
        return
    se, c, u, r2n, dv = tr
    tofmin, tofmax = max(tof - below, 0.0), tof + above
    ok, tof_lb = _reachable_binned(se, c[0], c[1], c[2], rho, r2n * (1 - 1e-9), tofmin, tofmax, dv * (1 + 1e-12), w, GM_M3_S2)
    assert ok and tof_lb <= tof * (1 + 1e-9), (se, c, rho, u, r2n, tof, dv, tof_lb)


def test_binned_reach_bound_is_tighter():
    """The binned chunk bound refuses what the single-range bound (``_reachable``, Earth turn
    [0, ω·t_max]) admits on a good share of near misses (transfers at 0.85-0.95 of their Δv): the
    bins' pruning is real (the test above proves that it admits every transfer that exists)."""
    from bmdcheck.defence.lambert import izzo2015
    from bmdcheck.defence.lambert_engage import _reachable, _reachable_binned
    from bmdcheck.earth.constants import GM_M3_S2

    rng = np.random.default_rng(21)
    w = OMEGA_EARTH_RAD_S
    n = tighter = 0
    for _ in range(1500):
        lat, lon = np.radians(rng.uniform(-70, 70)), np.radians(rng.uniform(-180, 180))
        se = 6.37e6 * np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        c = se / 6.37e6 + rng.uniform(0.02, 0.5) * rng.normal(size=3)
        c /= np.linalg.norm(c)
        r2n = 6.37e6 + rng.uniform(1e5, 1.5e6)
        tof = rng.uniform(60.0, 900.0)
        psi = w * tof
        r2 = r2n * np.array([np.cos(psi) * c[0] - np.sin(psi) * c[1], np.sin(psi) * c[0] + np.cos(psi) * c[1], c[2]])
        v1, _, ok = izzo2015(se, r2, tof, GM_M3_S2)
        if not ok:
            continue
        dv = float(np.linalg.norm(v1 - w * np.array([-se[1], se[0], 0.0]))) * rng.uniform(0.85, 0.95)
        a, _ = _reachable(se, c[0], c[1], c[2], 0.01, r2n * 0.999, 900.0, dv, w, GM_M3_S2)
        b, _ = _reachable_binned(se, c[0], c[1], c[2], 0.01, r2n * 0.999, 0.0, 900.0, dv, w, GM_M3_S2)
        n += 1
        tighter += a and not b
    assert n > 1000 and tighter > 0.05 * n, (n, tighter)


def _dv_universal(se, rt, t, L, t_b):
    """Δv relative to the turning site for a launch at L (independent universal-variable solver)."""
    t1 = L + t_b
    th = OMEGA_EARTH_RAD_S * t1
    r1 = np.array([np.cos(th) * se[0] - np.sin(th) * se[1], np.sin(th) * se[0] + np.cos(th) * se[1], se[2]])
    v1, _ = lambert_universal(r1, rt, t - t1)
    return float(np.linalg.norm(np.asarray(v1) - OMEGA_EARTH_RAD_S * np.array([-r1[1], r1[0], 0.0])))


def _refinement_case(lat, lon, off, bearing, h, tof_pass, extra):
    """A latest-launch bracket for ``_refine_latest``: a site at (lat, lon), a target off rad from it
    along bearing at altitude h (time 1,500 s, 30 s burn), a burnout speed extra m/s above the Δv of the
    launch a with flight time tof_pass, the failing end b a launch with a 20 s flight. Returns
    (se, rt, t, t_b, vbo, a, b, the positional arguments of ``_refine_latest`` before xw), or None
    when the case does not bracket."""
    from bmdcheck.defence.lambert_engage import _dv_at
    from bmdcheck.earth.constants import GM_M3_S2

    la, lo = np.radians(lat), np.radians(lon)
    s = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    se = 6.37e6 * s
    e1 = np.cross([0.0, 0.0, 1.0], s)
    e1 /= np.linalg.norm(e1)
    u = np.cos(off) * s + np.sin(off) * (np.cos(bearing) * e1 + np.sin(bearing) * np.cross(s, e1))
    t, t_b = 1500.0, 30.0
    th = OMEGA_EARTH_RAD_S * t
    rt = (6.37e6 + h) * np.array([np.cos(th) * u[0] - np.sin(th) * u[1], np.sin(th) * u[0] + np.cos(th) * u[1], u[2]])
    vt = np.zeros(3)
    ws = np.zeros((3, 3))
    a = t - t_b - tof_pass
    b = t - t_b - 20.0
    dva = _dv_at(t, rt, se, OMEGA_EARTH_RAD_S, a, t_b, GM_M3_S2, ws[0], ws[1], ws[2])
    dvb = _dv_at(t, rt, se, OMEGA_EARTH_RAD_S, b, t_b, GM_M3_S2, ws[0], ws[1], ws[2])
    vbo = dva + extra
    if not (np.isfinite(dva) and dvb > vbo + 1.0):
        return None
    args = (t, rt, vt, se, OMEGA_EARTH_RAD_S, t_b, vbo, 0.0, GM_M3_S2, ws[0], ws[1], ws[2], a, dva - vbo, b, dvb - vbo)
    return se, rt, t, t_b, vbo, a, b, args


@settings(max_examples=60, deadline=None, derandomize=True)
@given(lat=st.floats(-60, 60), lon=st.floats(-180, 180), off=st.floats(0.03, 0.4), bearing=st.floats(0, 2 * np.pi),
       h=st.floats(1.5e5, 1.2e6), tof_pass=st.floats(250.0, 800.0), extra=st.floats(1.0, 200.0),
       solved_end=st.booleans())
def test_latest_launch_refinement_brackets_the_crossing(lat, lon, off, bearing, h, tof_pass, extra, solved_end):
    """``_refine_latest`` (Illinois in 1/flight time, straddle probes) returns a launch that passes and
    lies within LATEST_TOL_S of one that fails, by the independent universal-variable solver: a
    burnout speed just above the Δv of a launch with flight time tof_pass, the failing end a launch
    with a 20 s flight (given unsolved, NaN, or solved)."""
    from bmdcheck.defence.lambert_engage import LATEST_TOL_S, _refine_latest

    case = _refinement_case(lat, lon, off, bearing, h, tof_pass, extra)
    if case is None:
        return
    se, rt, t, t_b, vbo, a, b, args = case
    if not solved_end:
        args = args[:-1] + (np.nan,)
    x = _refine_latest(*args, np.full(1, np.nan))
    assert a <= x < b
    assert _dv_universal(se, rt, t, x, t_b) <= vbo * (1 + 1e-9)
    # a failing launch within the tolerance above x (the bracket's other end)
    assert _dv_universal(se, rt, t, x + LATEST_TOL_S, t_b) > vbo * (1 - 1e-9), x


def test_sample_and_sub_chunk_bounds_hold_at_every_sample(threat):
    """The scanner's per-sample launch bound (``lambert_sample_ub``) is at or above the latest launch
    that ``lambert_classify`` finds at every sample, and each sub-chunk bound (``lambert_sub_bound``)
    holds for its samples (kind >= 0: no code above it; kind -1: no latest launch above its ub):
    one Topol-M track, 6 sites around it, burnout speeds 3-6 km/s, every sample classified."""
    from numba import njit

    from bmdcheck.defence.engagement import PairSpec, pairs_record, prepare
    from bmdcheck.defence.lambert_engage import (LambertReach, lambert_classify, lambert_sample_ub, lambert_sub_bound,
                                                 sub_fields)
    from bmdcheck.defence.windows import CHUNK, SUB
    from bmdcheck.earth.constants import GM_M3_S2

    s, th = threat
    geo = prepare(th)
    k = int(np.argmax(s.alt_km))
    rng = np.random.default_rng(3)
    lla = np.stack([s.lat_deg[k] + rng.uniform(-12, 12, 6), s.lon_deg[k] + rng.uniform(-20, 20, 6), np.zeros(6)], -1)
    P = 6
    vbo = np.array([3000.0, 3600.0, 4200.0, 4800.0, 5400.0, 6000.0])
    spec = PairSpec(np.zeros(P, dtype=np.int64), np.arange(P), np.zeros(P, dtype=np.int64), np.full(P, 200.0),
                    100e3, 1500e3, 0.0, 900.0, 0.0, 60.0)
    lam = LambertReach(np.ascontiguousarray(geodetic_to_ecef(lla[:, 0], lla[:, 1], lla[:, 2])), vbo, np.full(P, 50.0),
                       OMEGA_EARTH_RAD_S, GM_M3_S2, False, *sub_fields(geo.sub_chunks))
    prs = pairs_record(spec, None)
    smp = geo.samples()

    @njit
    def sweep(lam, smp, prs, res):
        ws = np.zeros(32)
        L = CHUNK // SUB
        for p in range(prs.traj.shape[0]):
            n = smp.n[0]
            for m in range(n):
                r = lambert_classify(lam, smp, prs, p, 0, m, prs.t_launch_s[p], ws)
                kind, ub = lambert_sub_bound(lam, smp, prs, p, 0, m // L, prs.t_launch_s[p])
                res[p, m, 0] = r[0]
                res[p, m, 1] = r[3]
                res[p, m, 2] = lambert_sample_ub(lam, smp, prs, p, 0, m, prs.t_launch_s[p])
                res[p, m, 3] = kind
                res[p, m, 4] = ub

    n = int(smp.n[0])
    res = np.full((P, n, 5), np.nan)
    sweep(lam, smp, prs, res)
    code, launch, sub_ub, kind, ub = (res[..., j] for j in range(5))
    has = np.isfinite(launch)
    assert has.sum() > 200 and (code == 7).sum() > 100  # launches and feasible samples exercised
    assert np.all(sub_ub[has] >= launch[has]), np.max(launch[has] - sub_ub[has])
    decisive = kind >= 0
    assert decisive.sum() > 100 and np.all(code[decisive] <= kind[decisive])
    open_ = (kind < 0) & has
    assert np.all(ub[open_] >= launch[open_])
    inband = code >= 2
    assert (sub_ub[inband] == -np.inf).sum() > 0  # the sample bound does refuse samples in the band


@settings(max_examples=60, deadline=None, derandomize=True)
@given(lat=st.floats(-60, 60), lon=st.floats(-180, 180), off=st.floats(0.03, 0.4), bearing=st.floats(0, 2 * np.pi),
       h=st.floats(1.5e5, 1.2e6), tof_pass=st.floats(250.0, 800.0), extra=st.floats(1.0, 200.0),
       latest=st.tuples(st.booleans(), st.floats(-1.0, 1.0)), nxt=st.one_of(st.none(), st.tuples(st.booleans(),
                                                                                                  st.floats(-1.0, 1.0))))
def test_latest_launch_refinement_stops_only_where_the_outcome_is_decided(lat, lon, off, bearing, h, tof_pass, extra,
                                                                         latest, nxt):
    """``_refine_latest`` told the latest launch so far (lt_known) and the next shot's launch (lnext) may
    stop early, and then its launch x' still passes (independent universal-variable solver), is at
    most the fully refined x, and neither raises the latest launch nor falls on the other side of lnext
    where x would not: the scanner's max and shot count cannot tell them apart. lt_known and lnext drawn
    anywhere in the bracket [a, b] or within 10 s of x (where an early stop could err)."""
    from bmdcheck.defence.lambert_engage import _refine_latest

    case = _refinement_case(lat, lon, off, bearing, h, tof_pass, extra)
    if case is None:
        return
    se, rt, t, t_b, vbo, a, b, args = case
    x = _refine_latest(*args, np.full(1, np.nan))

    def draw(near, f):
        return x + 10.0 * f if near else a + (0.5 + 0.7 * f) * (b - a)

    lt_known = draw(*latest)
    lnext = np.nan if nxt is None else draw(*nxt)
    x2 = _refine_latest(*args, np.full(1, np.nan), lt_known, lnext)
    assert a <= x2 <= x
    assert _dv_universal(se, rt, t, x2, t_b) <= vbo * (1 + 1e-9)
    assert (x > lt_known) == (x2 > lt_known) or x2 == x  # the latest launch: raised alike
    if x2 != x:
        assert x <= lt_known
        if lnext == lnext:
            assert (x >= lnext) == (x2 >= lnext)  # a shot: counted alike


@settings(max_examples=400, deadline=None, derandomize=True)
@given(lat=st.floats(-80, 80), lon=st.floats(-180, 180), off=st.floats(0.005, 1.2), bearing=st.floats(0, 2 * np.pi),
       h=st.floats(1e5, 2e6), tof=st.floats(30.0, 1500.0), above=st.floats(0.0, 600.0), lower=st.floats(0.0, 3e5))
def test_refusal_angle_admits_every_transfer(lat, lon, off, bearing, h, tof, above, lower):
    """The pair-level reach test (``_refusal_angle``: one angle per site, burnout speed, longest flight
    and smallest radius; a cap beyond it plus its radius is refused by a dot product) never refuses a
    transfer that exists: the Izzo solver's exact Δv to a point off rad from the site, at any radius
    floor below the point's, is the burnout speed; the point's direction must lie within the angle."""
    from bmdcheck.defence.lambert_engage import _beyond, _refusal_angle
    from bmdcheck.earth.constants import GM_M3_S2

    tr = _site_transfer(lat, lon, off, bearing, h, tof)
    if tr is None:
        return
    se, _c, u, r2n, dv = tr
    w = OMEGA_EARTH_RAD_S
    a = _refusal_angle(se, r2n - lower, dv * (1 + 1e-12), tof + above, w, GM_M3_S2)
    assert not _beyond(se, u[0], u[1], u[2], 0.0, a), (np.degrees(a), np.degrees(off), dv, tof)


def test_refusal_angle_refuses_only_what_the_chunk_bounds_refuse():
    """Every cap the pair-level test refuses is one ``_reachable`` and ``_reachable_binned`` refuse (so
    the chunk kinds, sample bounds and rows are unchanged: bench Lambert rows bit-identical), on caps
    drawn around the refusal angle (0.8-1.2 of it, radius <= 0.05 rad, radius floors at or below the
    caps'); and it refuses a good share of them (it is not vacuous)."""
    from bmdcheck.defence.lambert_engage import _beyond, _reachable, _reachable_binned, _refusal_angle
    from bmdcheck.earth.constants import GM_M3_S2

    rng = np.random.default_rng(5)
    w = OMEGA_EARTH_RAD_S
    n_ref = 0
    for _ in range(3000):
        lat, lon = np.radians(rng.uniform(-80, 80)), np.radians(rng.uniform(-180, 180))
        s = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        se = rng.uniform(6.356e6, 6.379e6) * s
        vbo, tofmax, rmin = rng.uniform(2e3, 8e3), rng.uniform(100.0, 1800.0), 6.35e6 + rng.uniform(0.0, 3e5)
        a = _refusal_angle(se, rmin, vbo, tofmax, w, GM_M3_S2)
        if not a < np.pi:
            continue
        rho = rng.uniform(0.0, 0.05)
        off = min(a * rng.uniform(0.8, 1.2) + rho, np.pi)
        e = rng.normal(size=3)
        e -= e.dot(s) * s
        e /= np.linalg.norm(e)
        c = np.cos(off) * s + np.sin(off) * e
        if _beyond(se, c[0], c[1], c[2], rho, a):
            n_ref += 1
            r2 = rmin + rng.uniform(0.0, 1e5)
            ok, _ = _reachable(se, c[0], c[1], c[2], rho, r2, tofmax, vbo, w, GM_M3_S2)
            okb, _ = _reachable_binned(se, c[0], c[1], c[2], rho, r2, 0.0, tofmax, vbo, w, GM_M3_S2)
            assert not ok and not okb, (se, c, rho, r2, vbo, tofmax, a)
    assert n_ref > 800
