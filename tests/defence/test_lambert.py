"""Validation of bmdcheck.defence.lambert (Izzo 2015 Lambert solver, single revolution).

References and tolerances, one per test; docs/validation/lambert.md records the measured errors.
Regenerate that table with ``.venv/bin/python tests/defence/test_lambert.py`` (seeded samples).

- Independent solver: ``lambert_universal`` (universal variables + brentq, no code shared with
  the kernel); relative velocity agreement REL_UNIVERSAL.
- Numerical reference: the two-body problem integrated with scipy's DOP853 (rtol 1e-12) from
  (r1, v1) for the time of flight; it must land on r2 within METRE.
- Textbooks: Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed. (2013),
  Example 7-5; Curtis, *Orbital Mechanics for Engineering Students* (2005), Example 5.2; to the
  printed digits, and the printed answers re-checked by propagation.
"""

from __future__ import annotations

import doctest
import math
import time
from fractions import Fraction

import numba
import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from numba import njit
from scipy.integrate import solve_ivp

from bmdcheck.defence import lambert
from bmdcheck.defence.lambert import (
    ANTIPODAL_RAD,
    STATUS_ANTIPODAL,
    STATUS_BAD_INPUT,
    STATUS_OK,
    izzo2015,
    izzo2015_into,
    lambert_batch,
    lambert_universal,
)
from bmdcheck.errors import BmdcheckError

# Restated from its source (not imported), so a wrong constant in the package fails.
MU = 3.986004418e14  # m^3/s^2, NGA.STND.0036 Table 3.1

REL_UNIVERSAL = 1e-8  # |v - v_universal| / |v_universal|, each of v1 and v2
METRE = 1.0  # propagated v1 must land this close to r2
REL_V2_PROP = 1e-8  # propagated velocity at tof vs the solver's v2, relative, plus PLANE_ULPS:
PLANE_ULPS = 30.0  # near 180 deg the plane's normal (from two rounded unit vectors) is known to
                   # ~eps / cos(theta/2), and so are the directions of v1 and v2; both errors
                   # enter (v1 through the propagation). Measured: up to 13 such units.
PROP_RTOL, PROP_ATOL = 1e-12, 1e-6  # DOP853 settings of the numerical reference
RP_MIN_PROP = 1e6  # m: skip arcs passing closer than this to the centre (integrator, not solver)
TOF_LONG_WAY = (1800.0, 7200.0)  # s: long-way arcs any faster mostly dive through the centre
THETA_MAX_UNIVERSAL = 179.9  # deg: the reference's f and g lose ~eps/cos^2(theta/2) near 180 deg
R_MIN, R_MAX = 6.4e6, 8.0e6  # radii of the engagement, m
CHORD_MIN = 1e3  # m: below this the inputs' own rounding (1e-9 m) shows at ~1e-12 * r / c
TOF_MIN, TOF_MAX = 10.0, 1800.0  # s

# --------------------------------------------------------------------------------------------
# Helpers


def _two_body(_t, y, mu):
    r = math.sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2])
    k = -mu / (r * r * r)
    return [y[3], y[4], y[5], k * y[0], k * y[1], k * y[2]]


def _propagate(r1, v1, tof, mu=MU, full=False):
    """State at tof from (r1, v1): DOP853, rtol 1e-12 (the whole solution with full=True)."""
    sol = solve_ivp(_two_body, (0.0, tof), np.r_[r1, v1], method="DOP853", rtol=PROP_RTOL,
                    atol=PROP_ATOL, args=(mu,))
    if full:
        return sol
    assert sol.success
    return sol.y[:3, -1], sol.y[3:, -1]


def _periapsis(r, v, mu=MU):
    """Periapsis radius of the conic through (r, v), m (0 for a rectilinear one)."""
    h = np.cross(r, v)
    e = np.cross(v, h) / mu - r / np.linalg.norm(r)
    return float(h @ h) / mu / (1.0 + np.linalg.norm(e))


def _geometry(r1n, r2n, theta_rad, lon_deg, lat_deg, psi_deg):
    """r1 of length r1n along (lon, lat); r2 of length r2n at theta from r1 (short way), its
    plane turned by psi about r1."""
    lon, lat, psi = math.radians(lon_deg), math.radians(lat_deg), math.radians(psi_deg)
    u = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
    e = np.array([0.0, 0.0, 1.0]) if abs(u[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    n1 = np.cross(u, e)
    n1 /= np.linalg.norm(n1)
    n2 = np.cross(u, n1)
    w = math.cos(psi) * n1 + math.sin(psi) * n2
    return r1n * u, r2n * (math.cos(theta_rad) * u + math.sin(theta_rad) * w)


def _random_cases(n, rng, theta_max=math.pi * (1.0 - 1e-3)):
    """n random geometries (radii R_MIN..R_MAX, theta 0..theta_max, any plane), tof, as arrays."""
    u = rng.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=1)[:, None]
    w = rng.normal(size=(n, 3))
    w -= (w * u).sum(1)[:, None] * u
    w /= np.linalg.norm(w, axis=1)[:, None]
    th = rng.uniform(0.0, theta_max, n)[:, None]
    r1 = u * rng.uniform(R_MIN, R_MAX, (n, 1))
    r2 = (np.cos(th) * u + np.sin(th) * w) * rng.uniform(R_MIN, R_MAX, (n, 1))
    return r1, r2, rng.uniform(TOF_MIN, TOF_MAX, n)


def _rel(v, ref):
    return float(np.linalg.norm(v - ref) / np.linalg.norm(ref))


def _universal_error(r1, r2, tof, short_way):
    v1, v2, ok = izzo2015(r1, r2, tof, MU, short_way)
    assert ok
    u1, u2 = lambert_universal(r1, r2, tof, MU, short_way)
    return max(_rel(v1, u1), _rel(v2, u2))


def _propagation_error(r1, r2, tof, short_way):
    """(miss at r2 in m, relative v2 error, its tolerance), or None if the arc dives too close
    to the centre."""
    v1, v2, ok = izzo2015(r1, r2, tof, MU, short_way)
    assert ok
    sol = _propagate(r1, v1, tof, full=True)
    if not sol.success or np.min(np.linalg.norm(sol.y[:3], axis=0)) < RP_MIN_PROP:
        assert _periapsis(r1, v1) < RP_MIN_PROP  # a skip only for a conic that does dive
        return None
    rf, vf = sol.y[:3, -1], sol.y[3:, -1]
    return float(np.linalg.norm(rf - r2)), _rel(v2, vf), _v2_tol(r1, r2)


def _v2_tol(r1, r2):
    """REL_V2_PROP, widened near 180 deg by the plane's own uncertainty."""
    cos_half = 0.5 * np.linalg.norm(r1 / np.linalg.norm(r1) + r2 / np.linalg.norm(r2))
    return REL_V2_PROP + PLANE_ULPS * np.finfo(float).eps / cos_half


_radius = st.floats(R_MIN, R_MAX)
_tof = st.floats(TOF_MIN, TOF_MAX)
_lon = st.floats(-180.0, 180.0)
_lat = st.floats(-90.0, 90.0)
_psi = st.floats(0.0, 360.0)


# --------------------------------------------------------------------------------------------
# Against the independent universal-variable solver


@settings(max_examples=300, deadline=None)
@given(r1n=_radius, r2n=_radius, theta=st.floats(0.0, THETA_MAX_UNIVERSAL), tof=_tof,
       lon=_lon, lat=_lat, psi=_psi)
@example(r1n=6.4e6, r2n=8.0e6, theta=0.0, tof=60.0, lon=0.0, lat=0.0, psi=0.0)  # radial
@example(r1n=6.4e6, r2n=6.4e6, theta=1e-4, tof=10.0, lon=10.0, lat=20.0, psi=30.0)  # 11 m chord
@example(r1n=8.0e6, r2n=6.4e6, theta=THETA_MAX_UNIVERSAL, tof=1800.0, lon=0.0, lat=89.0, psi=0.0)
def test_short_way_matches_universal_variables(r1n, r2n, theta, tof, lon, lat, psi):
    r1, r2 = _geometry(r1n, r2n, math.radians(theta), lon, lat, psi)
    assume(np.linalg.norm(r2 - r1) >= CHORD_MIN)
    assert _universal_error(r1, r2, tof, True) <= REL_UNIVERSAL


@settings(max_examples=200, deadline=None)
@given(r1n=_radius, r2n=_radius, theta=st.floats(0.0, THETA_MAX_UNIVERSAL), tof=_tof,
       lon=_lon, lat=_lat, psi=_psi)
def test_long_way_matches_universal_variables(r1n, r2n, theta, tof, lon, lat, psi):
    r1, r2 = _geometry(r1n, r2n, math.radians(theta), lon, lat, psi)
    assume(np.linalg.norm(r2 - r1) >= CHORD_MIN)
    assert _universal_error(r1, r2, tof, False) <= REL_UNIVERSAL


# --------------------------------------------------------------------------------------------
# Against numerical integration: v1 carried for tof must land on r2


_THETA_MAX_PROP = math.pi - 1.25 * ANTIPODAL_RAD


@settings(max_examples=150, deadline=None)
@given(r1n=_radius, r2n=_radius, theta=st.floats(0.0, _THETA_MAX_PROP), tof=_tof,
       lon=_lon, lat=_lat, psi=_psi)
@example(r1n=6.4e6, r2n=7.0e6, theta=0.0, tof=100.0, lon=30.0, lat=-40.0, psi=0.0)
@example(r1n=6.4e6, r2n=6.4e6, theta=1e-9, tof=10.0, lon=0.0, lat=0.0, psi=0.0)
@example(r1n=6.4e6, r2n=8.0e6, theta=math.pi - 1e-6, tof=1500.0, lon=0.0, lat=0.0, psi=45.0)
@example(r1n=7.0e6, r2n=6.5e6, theta=_THETA_MAX_PROP, tof=1800.0, lon=50.0, lat=10.0, psi=5.0)
def test_short_way_lands_on_r2(r1n, r2n, theta, tof, lon, lat, psi):
    r1, r2 = _geometry(r1n, r2n, theta, lon, lat, psi)
    assume(np.linalg.norm(r2 - r1) >= CHORD_MIN)
    err = _propagation_error(r1, r2, tof, True)
    assume(err is not None)
    assert err[0] <= METRE
    assert err[1] <= err[2]


@settings(max_examples=100, deadline=None)
@given(r1n=_radius, r2n=_radius, theta=st.floats(0.0, _THETA_MAX_PROP),
       tof=st.floats(*TOF_LONG_WAY), lon=_lon, lat=_lat, psi=_psi)
def test_long_way_lands_on_r2(r1n, r2n, theta, tof, lon, lat, psi):
    r1, r2 = _geometry(r1n, r2n, theta, lon, lat, psi)
    assume(np.linalg.norm(r2 - r1) >= CHORD_MIN)
    err = _propagation_error(r1, r2, tof, False)
    assume(err is not None)
    assert err[0] <= METRE
    assert err[1] <= err[2]


@pytest.mark.parametrize("theta", [0.0, 1e-12, 1e-9, 1e-6, 1e-3])
@pytest.mark.parametrize("r2n", [6.4e6, 6.9e6])
def test_near_zero_transfer_angle(theta, r2n):
    """Straight up (theta = 0, rectilinear) and nearly so: v1 radial in the limit, lands on r2."""
    if theta == 0.0 and r2n == 6.4e6:
        return  # r1 == r2: covered by test_status_codes
    r1, r2 = _geometry(6.4e6, r2n, theta, 20.0, 30.0, 40.0)
    tof = 120.0
    miss, dv2, tol = _propagation_error(r1, r2, tof, True)  # (upward arc: never near the centre)
    assert miss <= METRE
    assert dv2 <= tol
    if theta == 0.0:
        v1, _, _ = izzo2015(r1, r2, tof, MU)
        assert np.linalg.norm(np.cross(v1, r1)) <= 1e-12 * np.linalg.norm(v1) * np.linalg.norm(r1)


@pytest.mark.parametrize("gap", [1e-2, 1e-4, 1e-6, 3e-7, 1.1 * ANTIPODAL_RAD])
def test_near_180_degrees_lands_on_r2(gap):
    r1, r2 = _geometry(6.5e6, 7.5e6, math.pi - gap, -70.0, 15.0, 200.0)
    miss, dv2, tol = _propagation_error(r1, r2, 1700.0, True)
    assert miss <= METRE
    assert dv2 <= tol


# --------------------------------------------------------------------------------------------
# Textbook examples


VALLADO_7_5 = dict(
    # Vallado (2013), Example 7-5: r0 = 15,945.34 I km, r = 12,214.83899 I + 10,249.46731 J km,
    # 76 min, short way, mu = 398,600.4418 km^3/s^2; answers printed in km/s to six decimals.
    r1=np.array([15945.34, 0.0, 0.0]) * 1e3,
    r2=np.array([12214.83899, 10249.46731, 0.0]) * 1e3,
    tof=76.0 * 60.0, mu=3.986004418e14,
    v1=np.array([2.058913, 2.915965, 0.0]) * 1e3, v2=np.array([-3.451565, 0.910315, 0.0]) * 1e3,
    # One unit in the last printed digit (1 mm/s): the book computes in canonical units (ER, TU)
    # from inputs rounded to 1e-7 ER (0.6 m); we reproduce its answers to 0.75 mm/s.
    tol=1e-3,
    # The printed v1 (rounded to 0.5 mm/s) carried for 76 min: how far it may land from r2.
    miss_printed=20.0,
)
CURTIS_5_2 = dict(
    # Curtis (2005), Example 5.2: km, one hour, mu = 398,600 km^3/s^2, prograde (= short way
    # here: (r1 x r2)_z > 0); answers printed to five significant figures.
    r1=np.array([5000.0, 10000.0, 2100.0]) * 1e3,
    r2=np.array([-14600.0, 2500.0, 7000.0]) * 1e3,
    tof=3600.0, mu=3.986e14,
    v1=np.array([-5.9925, 1.9254, 3.2456]) * 1e3, v2=np.array([-3.3125, -4.1966, -0.38529]) * 1e3,
    tol=0.05,  # half a unit in the last printed digit, m/s
    miss_printed=500.0,
)
TEXTBOOK = {"Vallado 2013 Example 7-5": VALLADO_7_5, "Curtis 2005 Example 5.2": CURTIS_5_2}


@pytest.mark.parametrize("name", list(TEXTBOOK))
def test_textbook_example(name):
    case = TEXTBOOK[name]
    v1, v2, ok = izzo2015(case["r1"], case["r2"], case["tof"], case["mu"], True)
    assert ok
    assert np.max(np.abs(v1 - case["v1"])) <= case["tol"]
    assert np.max(np.abs(v2 - case["v2"])) <= case["tol"]
    # Our answer is checked by integration, and so is the book's own (rounded) answer.
    rf, _ = _propagate(case["r1"], v1, case["tof"], case["mu"])
    assert np.linalg.norm(rf - case["r2"]) <= METRE
    rf, _ = _propagate(case["r1"], case["v1"], case["tof"], case["mu"])
    assert np.linalg.norm(rf - case["r2"]) <= case["miss_printed"]


def test_doctest_examples_run():
    failures, _ = doctest.testmod(lambert, raise_on_error=False)
    assert failures == 0


# --------------------------------------------------------------------------------------------
# Batch, status codes, compiled callers


def test_warm_start_solves_the_same_problem():
    """``izzo2015_warm``: with a NaN start the bits of ``izzo2015_into``; from any start in (-1, inf)
    (the neighbouring problem's x, a poor one, the bracket's edges) the same velocities to 1e-12
    relative and its x written back; NaN x after a failure."""
    rng = np.random.default_rng(5)
    v1, v2, w1, w2 = (np.empty(3) for _ in range(4))
    xw = np.empty(1)
    for _ in range(2000):
        r1 = rng.normal(size=3) * 7e6
        r2 = rng.normal(size=3) * 7e6
        tof = float(rng.uniform(60.0, 2e4))
        st = lambert.izzo2015_into(r1, r2, tof, MU, True, v1, v2)
        xw[0] = np.nan
        assert lambert.izzo2015_warm(r1, r2, tof, MU, True, w1, w2, xw) == st
        if st != lambert.STATUS_OK:
            assert np.isnan(xw[0])
            continue
        assert np.array_equal(v1, w1) and np.array_equal(v2, w2)
        x = xw[0]
        for x0 in (x * (1 + 1e-6), x + 1e-3, x + 0.3, -0.999, 50.0):
            xw[0] = x0
            assert lambert.izzo2015_warm(r1, r2, tof, MU, True, w1, w2, xw) == lambert.STATUS_OK
            scale = np.linalg.norm(v1) + np.linalg.norm(v2)
            assert np.abs(w1 - v1).max() <= 1e-12 * scale and np.abs(w2 - v2).max() <= 1e-12 * scale
            assert abs(xw[0] - x) <= 1e-12 * (1 + abs(x))


def test_batch_matches_scalar():
    rng = np.random.default_rng(11)
    r1, r2, tof = _random_cases(3000, rng)
    for short_way in (True, False):
        v1, v2, ok = lambert_batch(r1, r2, tof, MU, short_way)
        assert ok.all()
        for i in range(len(tof)):
            s1, s2, sok = izzo2015(r1[i], r2[i], tof[i], MU, short_way)
            assert sok
            assert np.array_equal(v1[i], s1) and np.array_equal(v2[i], s2)


def test_batch_broadcasts_and_uses_default_mu():
    rng = np.random.default_rng(12)
    r1, r2, tof = _random_cases(50, rng)
    v1, v2, ok = lambert_batch(r1[0], r2, 600.0)  # one start, one time, default mu
    assert v1.shape == (50, 3) and v2.shape == (50, 3) and ok.shape == (50,) and ok.all()
    for i in range(50):
        s1, s2, _ = izzo2015(r1[0], r2[i], 600.0, MU, True)
        assert np.array_equal(v1[i], s1) and np.array_equal(v2[i], s2)
    with pytest.raises(BmdcheckError):
        lambert_batch(r1[:, :2], r2, tof)


def test_status_codes():
    v1 = np.empty(3)
    v2 = np.empty(3)
    r1 = np.array([6.5e6, 0.0, 0.0])
    cases = [
        (r1, -r1 * 1.1, 900.0, STATUS_ANTIPODAL),  # exactly opposite
        (r1, np.array([-7e6, 7e6 * math.sin(0.5 * ANTIPODAL_RAD), 0.0]), 900.0, STATUS_ANTIPODAL),
        (r1, r1.copy(), 900.0, STATUS_BAD_INPUT),  # same point
        (r1, np.array([0.0, 6.5e6, 0.0]), 0.0, STATUS_BAD_INPUT),
        (r1, np.array([0.0, 6.5e6, 0.0]), -5.0, STATUS_BAD_INPUT),
        (r1, np.array([0.0, math.nan, 0.0]), 900.0, STATUS_BAD_INPUT),
        (np.zeros(3), np.array([0.0, 6.5e6, 0.0]), 900.0, STATUS_BAD_INPUT),
        (r1, np.array([0.0, 6.5e6, 0.0]), math.inf, STATUS_BAD_INPUT),
        (r1, np.array([-7e6, 7e6 * math.sin(2.0 * ANTIPODAL_RAD), 0.0]), 900.0, STATUS_OK),
    ]
    for a, b, tof, expected in cases:
        assert izzo2015_into(a, b, tof, MU, True, v1, v2) == expected, (a, b, tof)
        _, _, ok = izzo2015(a, b, tof, MU)
        assert ok == (expected == STATUS_OK)
        if expected != STATUS_OK:
            assert np.isnan(v1).all() and np.isnan(v2).all()
    with pytest.raises(BmdcheckError):
        lambert_universal(r1, -r1, 900.0)
    bv1, _, bok = lambert_batch(np.stack([c[0] for c in cases]), np.stack([c[1] for c in cases]),
                                np.array([c[2] for c in cases]), MU)
    assert list(bok) == [c[3] == STATUS_OK for c in cases]
    assert np.isnan(bv1[~bok]).all()


@njit
def _sweep_in_compiled_code(r1, r2, tof, out):
    """A caller compiled by Numba: the allocation-free form in a loop, and the allocating form."""
    v1 = np.empty(3)
    v2 = np.empty(3)
    total = 0.0
    for i in range(r1.shape[0]):
        if izzo2015_into(r1[i], r2[i], tof[i], MU, True, v1, v2) == STATUS_OK:
            out[i] = math.sqrt(v1[0] ** 2 + v1[1] ** 2 + v1[2] ** 2)
            a, b, ok = izzo2015(r1[i], r2[i], tof[i], MU)
            total += abs(a[0] - v1[0]) + abs(b[2] - v2[2]) + (0.0 if ok else 1.0)
    return total


def test_callable_from_compiled_code():
    r1, r2, tof = _random_cases(100, np.random.default_rng(13))
    out = np.zeros(100)
    assert _sweep_in_compiled_code(r1, r2, tof, out) == 0.0
    v1, _, _ = lambert_batch(r1, r2, tof, MU)
    np.testing.assert_array_equal(out, np.linalg.norm(v1, axis=1))


# --------------------------------------------------------------------------------------------
# The two exact forms of T(x) inside the kernel


def _forms(x, lam):
    om = 1.0 - lam * lam
    opl, oml = (1.0 + lam, om / (1.0 + lam)) if lam >= 0 else (om / (1.0 - lam), 1.0 - lam)
    y, eta, s1 = lambert._eta_s1(x, lam, om, oml, opl)
    return s1, y, eta


@settings(max_examples=300, deadline=None)
@given(lam=st.floats(-0.999, 0.999), x=st.floats(-0.95, 3.0))
def test_battin_and_lancaster_forms_agree(lam, x):
    """Where both converge and neither cancels (0.05 < |S1| < 0.8), the forms agree."""
    s1, y, eta = _forms(x, lam)
    assume(0.05 < abs(s1) < 0.8)
    om = 1.0 - lam * lam
    battin = lambert._tof_battin(x, lam, om, y, eta, s1)
    lanc = lambert._tof_lancaster(x, lam, om, y, eta)
    # Measured over 3e5 points: 1.8e-14 for T; the derivatives (used only to step) 9.6e-13,
    # 8.1e-11, 7.0e-9, worst where Lancaster's recurrences divide by a small 1 - x^2.
    assert battin[0] == pytest.approx(lanc[0], rel=1e-13)
    for k in (1, 2, 3):
        assert battin[k] == pytest.approx(lanc[k], rel=10.0 ** (2 * k - 12), abs=1e-12)


def _battin_running(x, lam, om, y, eta, s1):
    """``_tof_battin`` with the series sums in plain Python, the coefficient as a running product (the
    form before the coefficient table, which must give the same bits), then its chain rule."""
    q0 = q1 = q2 = q3 = 0.0
    a = 1.0
    p0, p1, p2, p3 = 1.0, 0.0, 0.0, 0.0
    for k in range(400):
        q0 += a * p0
        q1 += k * a * p1
        q2 += k * (k - 1) * a * p2
        q3 += k * (k - 1) * (k - 2) * a * p3
        if abs(a * p0) <= 1e-18 * abs(q0) and k > 3:
            break
        p3, p2, p1 = p2, p1, p0
        p0 = p0 * s1
        a = a * (3.0 + k) / (2.5 + k)
    return lambert.battin_chain(x, lam, om, y, eta, q0, q1, q2, q3)  # the chain rule, shared


def test_series_table_gives_the_running_products_bits():
    """The coefficient table holds exactly the running product's values (the same IEEE operations), so
    the compiled ``_tof_battin`` returns the bits of the running-product form: random (x, lam) with
    |S1| < S1_SERIES (where it is used) and beyond (|S1| up to 0.95: hundreds of terms)."""
    rng = np.random.default_rng(7)
    n_used = 0
    for _ in range(6000):
        lam = float(rng.uniform(-0.999, 0.999))
        x = float(rng.uniform(-0.95, 3.0))
        s1, y, eta = _forms(x, lam)
        if not abs(s1) < 0.95:
            continue
        n_used += abs(s1) < lambert.S1_SERIES
        om = 1.0 - lam * lam
        assert lambert._tof_battin(x, lam, om, y, eta, s1) == _battin_running(x, lam, om, y, eta, s1)
    assert n_used > 1000
    a = 1.0
    for k in range(lambert._N_SERIES):
        assert lambert._SERIES[0, k] == a and lambert._SERIES[3, k] == float(k * (k - 1) * (k - 2)) * a
        a = a * (3.0 + k) / (2.5 + k)


@settings(max_examples=200, deadline=None)
@given(lam=st.floats(-0.999, 0.9999), x=st.floats(-0.9, 5.0))
def test_tof_derivatives_match_finite_differences(lam, x):
    om = 1.0 - lam * lam
    opl, oml = (1.0 + lam, om / (1.0 + lam)) if lam >= 0 else (om / (1.0 - lam), 1.0 - lam)

    def d(k, xx):
        return lambert._tof_derivs(xx, lam, om, oml, opl)[k]

    h = 1e-5 * min(1.0 + x, math.sqrt(om), 1.0)  # well inside the scale on which T bends
    for k in (1, 2, 3):
        fd = (d(k - 1, x + h) - d(k - 1, x - h)) / (2.0 * h)
        assert d(k, x) == pytest.approx(fd, rel=1e-5, abs=1e-9 * abs(d(0, x)))


def _tof_decimal(x, lam, digits=50):
    """T(x) from Battin's series in ``digits``-digit decimal arithmetic (needs |S1| < 1)."""
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = digits
        X, L = Decimal(x), Decimal(lam)  # exact values of the doubles
        y = (1 - L * L + L * L * X * X).sqrt()
        eta = y - L * X
        s1 = (1 - L - X * eta) / 2
        q, term, k = Decimal(0), Decimal(1), 0
        while abs(term) > Decimal(10) ** (-digits) and k < 5000:
            q += term
            term = term * s1 * (3 + k) / (Decimal(5) / 2 + k)
            k += 1
        return float((eta ** 3 * q * 4 / 3 + 4 * L * eta) / 2)


@settings(max_examples=300, deadline=None)
@given(near=st.sampled_from([1.0, -1.0, 0.0]), gap=st.floats(1e-12, 1.0), x=st.floats(-0.9, 100.0))
def test_tof_against_50_digit_series(near, gap, x):
    """T(x) to a few ulps where Battin's series converges (|S1| < 0.9), in particular for short
    chords (lam -> 1) and near the parabola, where a careless form loses digits."""
    lam = near - math.copysign(gap, near) if near else gap - 0.5
    assume(-1.0 < lam < 1.0)
    om = float(1 - Fraction(lam) ** 2)  # 1 - lam^2 correctly rounded, as the kernel has it
    opl, oml = (1.0 + lam, om / (1.0 + lam)) if lam >= 0 else (om / (1.0 - lam), 1.0 - lam)
    s1 = lambert._eta_s1(x, lam, om, oml, opl)[2]
    assume(abs(s1) < 0.9)
    ref = _tof_decimal(x, lam)
    assert lambert._tof_derivs(x, lam, om, oml, opl)[0] == pytest.approx(ref, rel=1e-14)


@settings(max_examples=500, deadline=None)
@given(near=st.sampled_from([1.0, -1.0, 0.0]), gap=st.floats(1e-12, 1.0),
       log_tau=st.floats(-8.0, 3.0))
def test_solver_converges_to_rounding(near, gap, log_tau):
    """The x returned satisfies T(x) = tau to within a few units of x's own rounding."""
    lam = near - math.copysign(gap, near) if near else gap - 0.5
    assume(-1.0 < lam < 1.0)
    om = 1.0 - lam * lam
    opl, oml = (1.0 + lam, om / (1.0 + lam)) if lam >= 0 else (om / (1.0 - lam), 1.0 - lam)
    tau = 10.0 ** log_tau
    x, ok = lambert._solve_x(tau, lam, om, oml, opl)
    assert ok
    t, d1, _, _ = lambert._tof_derivs(x, lam, om, oml, opl)
    assert abs(t - tau) <= 16.0 * (abs(d1) * np.spacing(1.0 + abs(x)) + 4e-16 * tau)


def test_tof_against_50_digit_arithmetic():
    """T(x) to a few ulps, both forms, against mpmath (a test dependency: it must run, not skip)."""
    import mpmath as mp
    mp.mp.dps = 50
    rng = np.random.default_rng(14)
    worst = 0.0
    for _ in range(3000):
        lam = float(rng.choice([rng.uniform(-1, 1), 1 - 10 ** rng.uniform(-8, 0),
                                -1 + 10 ** rng.uniform(-8, 0)]))
        x = float(rng.choice([rng.uniform(-1, 1), 1 + rng.choice([-1, 1]) * 10 ** rng.uniform(-10, 0),
                              10 ** rng.uniform(0, 4), -1 + 10 ** rng.uniform(-8, 0)]))
        if x <= -1.0:
            continue
        om = float(1 - mp.mpf(lam) ** 2)  # 1 - lam^2 correctly rounded, as the kernel has it
        opl, oml = (1.0 + lam, om / (1.0 + lam)) if lam >= 0 else (om / (1.0 - lam), 1.0 - lam)
        t = lambert._tof_derivs(x, lam, om, oml, opl)[0]
        X, L = mp.mpf(x), mp.mpf(lam)
        y = mp.sqrt(1 - L ** 2 * (1 - X ** 2))
        if x < 1:
            ref = (mp.acos(X * y + L * (1 - X ** 2)) / mp.sqrt(1 - X ** 2) - X + L * y) / (1 - X ** 2)
        elif x == 1:
            ref = mp.mpf(2) / 3 * (1 - L ** 3)
        else:
            ref = (X - L * y - mp.acosh(X * y - L * (X ** 2 - 1)) / mp.sqrt(X ** 2 - 1)) / (X ** 2 - 1)
        worst = max(worst, abs(t - float(ref)) / float(ref))
    assert worst <= 1e-14


# --------------------------------------------------------------------------------------------
# Speed (reported, not asserted)


def test_batch_million_cases(capsys):
    r1, r2, tof = _random_cases(1_000_000, np.random.default_rng(15))
    lambert_batch(r1[:10], r2[:10], tof[:10], MU)  # compile / load cache
    t0 = time.perf_counter()
    _, _, ok = lambert_batch(r1, r2, tof, MU)
    dt = time.perf_counter() - t0
    assert ok.all()
    with capsys.disabled():
        print(f"\nlambert_batch: 1e6 cases in {dt:.2f} s = {1e6 / dt / 1e6:.2f} M solves/s "
              f"on {numba.get_num_threads()} threads")


# --------------------------------------------------------------------------------------------
# Measurement for docs/validation/lambert.md


def _measure():  # pragma: no cover - run by hand
    import platform

    import scipy

    rng = np.random.default_rng(2024)
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, SciPy {scipy.__version__}, "
          f"Numba {numba.__version__}, {numba.get_num_threads()} threads")

    def geoms(n, theta_lo, theta_hi, log=False):
        for _ in range(n):
            if log:
                th = 10 ** rng.uniform(math.log10(theta_lo), math.log10(theta_hi))
            else:
                th = rng.uniform(theta_lo, theta_hi)
            r1, r2 = _geometry(rng.uniform(R_MIN, R_MAX), rng.uniform(R_MIN, R_MAX), th,
                               rng.uniform(-180, 180), math.degrees(math.asin(rng.uniform(-1, 1))),
                               rng.uniform(0, 360))
            yield r1, r2, rng.uniform(TOF_MIN, TOF_MAX)

    def chord_ok(g):
        return (g for g in g if np.linalg.norm(g[1] - g[0]) >= CHORD_MIN)

    th_u = math.radians(THETA_MAX_UNIVERSAL)
    for sw in (True, False):
        for name, lo, hi, log in [("theta 0-179.9 deg", 0.0, th_u, False),
                                  ("theta 1e-10 - 1e-2 rad", 1e-10, 1e-2, True),
                                  ("theta 179 - 179.9 deg", math.radians(179.0), th_u, False)]:
            errs = [_universal_error(r1, r2, t, sw) for r1, r2, t in chord_ok(geoms(2000, lo, hi, log))]
            print(f"universal, short_way={sw}, {name}, {len(errs)} cases: max rel {max(errs):.1e}")
    for sw in (True, False):
        for name, lo, hi, log in [("theta 0-180 deg", 0.0, _THETA_MAX_PROP, False),
                                  ("theta 1e-12 - 1e-3 rad", 1e-12, 1e-3, True),
                                  ("pi - theta 1.25e-7 - 1e-2 rad", 1.25 * ANTIPODAL_RAD, 1e-2, True)]:
            errs = []
            for r1, r2, t in chord_ok(geoms(400, lo, hi, log)):
                if name.startswith("pi"):  # mirror the angle: theta -> pi - theta
                    u1 = r1 / np.linalg.norm(r1)
                    r2 = 2.0 * (r2 @ u1) * u1 - r2
                    r2 = -r2 if r2 @ r1 > 0 else r2
                if not sw:
                    t = rng.uniform(*TOF_LONG_WAY)
                err = _propagation_error(r1, r2, t, sw)
                if err is not None:
                    errs.append(err)
            if not errs:
                print(f"propagation, short_way={sw}, {name}: every arc dives through the centre")
                continue
            print(f"propagation, short_way={sw}, {name}, {len(errs)} cases: miss "
                  f"{max(e[0] for e in errs):.1e} m, v2 rel {max(e[1] for e in errs):.1e}, "
                  f"max v2 rel / tol {max(e[1] / e[2] for e in errs):.2f}")
    for gap in (1e-2, 1e-4, 1e-6, 3e-7, 1.25 * ANTIPODAL_RAD):
        errs = []
        for _ in range(100):
            r1, r2 = _geometry(rng.uniform(R_MIN, R_MAX), rng.uniform(R_MIN, R_MAX), math.pi - gap,
                               rng.uniform(-180, 180), rng.uniform(-90, 90), rng.uniform(0, 360))
            sw = bool(rng.random() < 0.5)
            t = rng.uniform(1000, TOF_MAX) if sw else rng.uniform(*TOF_LONG_WAY)
            err = _propagation_error(r1, r2, t, sw)
            if err is not None:
                errs.append(err)
        print(f"near 180: pi - theta = {gap:.2e}, {len(errs)} cases (both ways): miss "
              f"{max(e[0] for e in errs):.1e} m, v2 rel {max(e[1] for e in errs):.1e} "
              f"(tol {errs[0][2]:.1e})")
    worst = 0.0
    n = 0
    while n < 3000:
        lam = float(rng.choice([1 - 10 ** rng.uniform(-12, 0), -1 + 10 ** rng.uniform(-12, 0),
                                rng.uniform(-1, 1)]))
        x = float(rng.choice([rng.uniform(-0.9, 1.5), 1 + rng.choice([-1, 1]) * 10 ** rng.uniform(-10, -1),
                              10 ** rng.uniform(0, 2)]))
        om = float(1 - Fraction(lam) ** 2)
        opl, oml = (1.0 + lam, om / (1.0 + lam)) if lam >= 0 else (om / (1.0 - lam), 1.0 - lam)
        if not (-1 < lam < 1 and abs(lambert._eta_s1(x, lam, om, oml, opl)[2]) < 0.9):
            continue
        n += 1
        ref = _tof_decimal(x, lam)
        worst = max(worst, abs(lambert._tof_derivs(x, lam, om, oml, opl)[0] - ref) / ref)
    print(f"T(x) vs 50-digit Battin series, {n} points with |S1| < 0.9: max rel {worst:.1e}")
    for name, c in TEXTBOOK.items():
        v1, v2, _ = izzo2015(c["r1"], c["r2"], c["tof"], c["mu"], True)
        rf, _ = _propagate(c["r1"], v1, c["tof"], c["mu"])
        rp, _ = _propagate(c["r1"], c["v1"], c["tof"], c["mu"])
        print(f"{name}: max |dv1| {np.max(np.abs(v1 - c['v1'])):.2e} m/s, max |dv2| "
              f"{np.max(np.abs(v2 - c['v2'])):.2e} m/s, our v1 lands {np.linalg.norm(rf - c['r2']):.1e} m"
              f", printed v1 lands {np.linalg.norm(rp - c['r2']):.2f} m from r2")
    r1, r2, tof = _random_cases(1_000_000, np.random.default_rng(15))
    lambert_batch(r1[:10], r2[:10], tof[:10], MU)
    for sw in (True, False):
        rates = []
        for _ in range(5):
            t0 = time.perf_counter()
            _, _, ok = lambert_batch(r1, r2, tof, MU, sw)
            rates.append(1e6 / (time.perf_counter() - t0))
            assert ok.all()
        print(f"lambert_batch 1e6 random cases, short_way={sw}: best {max(rates) / 1e6:.2f}, "
              f"median {sorted(rates)[2] / 1e6:.2f} M solves/s")


if __name__ == "__main__":
    _measure()
