"""The vacuum instantaneous-burn (Lambert) reach model, for checks and for burnout-speed thresholds.

The interceptor leaves its site (which turns with the Earth) at launch time + burn time, on the
two-body transfer arc that reaches the target's position at the intercept time (short way,
``lambert.izzo2015_into``). The engagement is feasible at a sample when that arc needs a speed
change, relative to the site's inertial velocity, of at most the burnout speed; the altitude band,
flight-time limits, closing speed and radar constraints are as in the fly-out model.

Launch time: fixed (``--launch-at``) or any time from the timeline's earliest launch on; for each
intercept time the launch times tried span [max(t_L, t − t_b − t_max), t − t_b − t_min] in
``N_LAUNCH`` steps and the smallest speed change wins. The smallest speed change needed over the
whole trajectory is the burnout-speed threshold of the engagement (exact wherever it is at most the
burnout speed: launches that ``_refused`` proves beyond it are not solved, and pruned chunks hold
none within it).

Speed (issue 10): per sample a launch grid of Lambert problems, so the work is in how few samples
are classified (the chunk bound ``lambert_bound``, flight-time bins ``_reachable_binned``, and before
both a pair-level angle ``refusal_angles`` that refuses far chunks by a dot product) and how
few problems each costs (``_refused``, against the burnout speed and, for the smallest speed change,
against the best found so far; the latest launch's refinement ``_refine_latest``, whose probes start
the solver from the previous probe's x and which stops once the scanner's latest launch so far and
next shot show it cannot change either, ``_refine_needed``). ``_refused`` decides from series bounds without arcsines
(``_tof_lower_bounds``) unless they are too close to call. On the bench's Lambert pairs (10,000,
17 % feasible) about three quarters of the time is the ~390 samples classified inside each feasible
pair's window; of the Lambert problems solved there, about half are the latest launch's refinement.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from .lambert import STATUS_OK, izzo2015_into, izzo2015_warm
from .windows import (CHUNK, R_ABOVE, R_BELOW, R_OK, R_OUTRUN, R_REACH, R_TRACK, R_VIS, SUB, WS_LATEST, WS_LNEXT,
                      no_interior, scan_pair_sub, scratch, visible)

N_LAUNCH = 12
LATEST_MAX_TOF_S = 7200.0
"""The latest-launch diagnostic searches flight times up to min(max flight time, this), s."""
_ASIN_TERMS = 9
"""Terms of the arcsine series in ``_tof_lower_exceeds``."""
LATEST_TOL_S = 1e-4
"""The latest launch is refined to a bracket this narrow (s); the passing end is returned."""


@njit(cache=True, inline="always")
def _site_eci(site_ecef, omega, t1, r1):
    """The site's inertial position at t1 into r1: its ECEF position turned by ω·t1 about z."""
    th = omega * t1
    c, s = math.cos(th), math.sin(th)
    r1[0] = c * site_ecef[0] - s * site_ecef[1]
    r1[1] = s * site_ecef[0] + c * site_ecef[1]
    r1[2] = site_ecef[2]


@njit(cache=True, inline="always")
def _dv_rel(v1, r1, omega):
    """|v1 − ω ẑ × r1|: the launch speed change relative to the turning site."""
    dx = v1[0] + omega * r1[1]
    dy = v1[1] - omega * r1[0]
    return math.sqrt(dx * dx + dy * dy + v1[2] * v1[2])


@njit(cache=True, inline="always")
def _refused(r1, rt, tof, vbo, omega, mu):
    """True when the transfer r1 -> rt (ECI, short way) in tof surely needs a speed change > vbo
    relative to the site (velocity omega z x r1): ``_reach_geometry``'s speed limit with the transfer
    plane known (w_t = omega r1 n_z exactly, n the plane's normal), then ``_tof_lower`` at the exact
    radii and angle. A refused launch needs no Lambert problem; one admitted may still fail."""
    r1n = math.sqrt(r1[0] * r1[0] + r1[1] * r1[1] + r1[2] * r1[2])
    r2n = math.sqrt(rt[0] * rt[0] + rt[1] * rt[1] + rt[2] * rt[2])
    cx = r1[1] * rt[2] - r1[2] * rt[1]
    cy = r1[2] * rt[0] - r1[0] * rt[2]
    cz = r1[0] * rt[1] - r1[1] * rt[0]
    cn = math.sqrt(cx * cx + cy * cy + cz * cz)
    v_s = omega * math.sqrt(r1[0] * r1[0] + r1[1] * r1[1])
    w = v_s
    if cn > 0.0:
        w = min(max(omega * r1n * cz / cn * (1.0 + 1e-9) + 1e-9, 0.0), v_s)
    d = vbo * vbo - v_s * v_s + w * w
    if d < 0.0:
        return True
    v1max = (math.sqrt(d) + w) * (1.0 + 1e-9) + 1e-9
    cth = (r1[0] * rt[0] + r1[1] * rt[1] + r1[2] * rt[2]) / (r1n * r2n)
    cth = min(1.0, cth + 1e-12)
    return _tof_lower_exceeds(r1n, r2n * (1.0 - 1e-12), cth, v1max, mu, tof)


@njit(cache=True)
def _best_dv(t, rt, site_ecef, omega, tL, fixed, t_b, tofmin, tofmax, mu, r1, v1, v2, vbo):
    """Smallest Δv (and its v2, launch time) to be at rt (ECI) at time t; inf if no admissible launch.
    Launches that ``_refused`` rules out (Δv > vbo) are not solved: the smallest Δv is exact wherever
    it is <= vbo; above vbo it is the smallest over the launches not ruled out, or, when every
    admissible launch is ruled out, the Δv of the earliest (the longest flight: it gives the reach
    margin of window edges a magnitude); inf with launch time -inf if that one has no transfer."""
    lo = t - t_b - tofmax
    if lo < tL:
        lo = tL
    hi = t - t_b - tofmin
    if fixed:
        lo = tL
        hi = tL
    best = math.inf
    bv2x = bv2y = bv2z = 0.0
    bL = math.nan
    if hi < lo or t - t_b - lo <= 0.0:
        return best, bv2x, bv2y, bv2z, bL
    n = 1 if hi == lo else N_LAUNCH
    bk = n
    n_ref = 0
    for k in range(n):
        L = lo + (hi - lo) * k / max(n - 1, 1)
        t1 = L + t_b
        tof = t - t1
        if tof <= 0.0 or tof < tofmin - 1e-9 or tof > tofmax + 1e-9:
            continue
        _site_eci(site_ecef, omega, t1, r1)
        if _refused(r1, rt, tof, min(vbo, best), omega, mu):  # beyond the best so far (<= vbo): not the best
            n_ref += 1
            continue
        st = izzo2015_into(r1, rt, tof, mu, True, v1, v2)
        if st != STATUS_OK:
            continue
        dv = _dv_rel(v1, r1, omega)
        if dv < best or (dv == best and k < bk):
            best = dv
            bv2x, bv2y, bv2z = v2[0], v2[1], v2[2]
            bL = L
            bk = k
    if best == math.inf and n_ref > 0:  # every admissible launch ruled out: the earliest one's Δv (the
        for k in range(n):               # longest flight) gives the reach margin a magnitude
            L = lo + (hi - lo) * k / max(n - 1, 1)
            t1 = L + t_b
            tof = t - t1
            if tof <= 0.0 or tof < tofmin - 1e-9 or tof > tofmax + 1e-9:
                continue
            _site_eci(site_ecef, omega, t1, r1)
            if izzo2015_into(r1, rt, tof, mu, True, v1, v2) == STATUS_OK:
                best = _dv_rel(v1, r1, omega)
                bv2x, bv2y, bv2z = v2[0], v2[1], v2[2]
                bL = L
            break
        if best == math.inf:
            bL = -math.inf
    return best, bv2x, bv2y, bv2z, bL


@njit(cache=True)
def _any_reach(t, rt, site_ecef, omega, t_b, tofmin, tofmax, mu, r1, v1, v2, vbo):
    """Does some launch of ``_best_dv``'s grid without a timeline (any launch time) need Δv <= vbo?
    (= its smallest Δv <= vbo, stopping at the first such launch and skipping refused ones)."""
    lo = t - t_b - tofmax
    hi = t - t_b - tofmin
    if hi < lo or t - t_b - lo <= 0.0:
        return False
    n = 1 if hi == lo else N_LAUNCH
    for k in range(n):
        L = lo + (hi - lo) * k / max(n - 1, 1)
        t1 = L + t_b
        tof = t - t1
        if tof <= 0.0 or tof < tofmin - 1e-9 or tof > tofmax + 1e-9:
            continue
        _site_eci(site_ecef, omega, t1, r1)
        if _refused(r1, rt, tof, vbo, omega, mu):
            continue
        if izzo2015_into(r1, rt, tof, mu, True, v1, v2) != STATUS_OK:
            continue
        if _dv_rel(v1, r1, omega) <= vbo:
            return True
    return False


@njit(cache=True, inline="always")
def _dv_from(tof, rt, omega, mu, r1, v1, v2):
    """``_dv_at`` with the site's inertial position r1 at departure already in place."""
    if tof <= 0.0:
        return math.inf
    if izzo2015_into(r1, rt, tof, mu, True, v1, v2) != STATUS_OK:
        return math.inf
    return _dv_rel(v1, r1, omega)


@njit(cache=True)
def _dv_at(t, rt, site_ecef, omega, L, t_b, mu, r1, v1, v2):
    """Δv (relative to the site's inertial velocity) and arrival velocity v2 for a launch at L; inf if none."""
    t1 = L + t_b
    _site_eci(site_ecef, omega, t1, r1)
    return _dv_from(t - t1, rt, omega, mu, r1, v1, v2)


@njit(cache=True, inline="always")
def _dv_warm(tof, rt, omega, mu, r1, v1, v2, xw):
    """``_dv_from`` with the Lambert problem started from xw[0] (``izzo2015_warm``, x written back)."""
    if tof <= 0.0:
        return math.inf
    if izzo2015_warm(r1, rt, tof, mu, True, v1, v2, xw) != STATUS_OK:
        return math.inf
    return _dv_rel(v1, r1, omega)


@njit(cache=True, inline="always")
def _launch_verdict(dv, vbo, vt, v2, vcmin):
    """(ok, Δv - vbo) of a solved launch: Δv <= vbo and closing speed |vt - v2| >= vcmin (the miss NaN
    when the closing speed fails)."""
    if not dv <= vbo:
        return False, dv - vbo
    dx, dy, dz = vt[0] - v2[0], vt[1] - v2[1], vt[2] - v2[2]
    if math.sqrt(dx * dx + dy * dy + dz * dz) >= vcmin:
        return True, dv - vbo
    return False, math.nan


@njit(cache=True)
def _ok_at(t, rt, vt, site_ecef, omega, L, t_b, vbo, vcmin, mu, r1, v1, v2):
    """(ok, Δv - vbo) for a launch at L: Δv <= vbo and closing speed >= vcmin (the miss NaN when the
    closing speed fails or ``_refused`` rules the launch out unsolved, inf when no transfer)."""
    t1 = L + t_b
    _site_eci(site_ecef, omega, t1, r1)
    if t - t1 > 0.0 and _refused(r1, rt, t - t1, vbo, omega, mu):
        return False, math.nan
    return _launch_verdict(_dv_from(t - t1, rt, omega, mu, r1, v1, v2), vbo, vt, v2, vcmin)


@njit(cache=True)
def _ok_solved(t, rt, vt, site_ecef, omega, L, t_b, vbo, vcmin, mu, r1, v1, v2, xw):
    """``_ok_at`` without the ``_refused`` shortcut: the speed miss always solved (NaN only when the
    closing speed fails); the Lambert problem started from xw[0] (``_dv_warm``)."""
    t1 = L + t_b
    _site_eci(site_ecef, omega, t1, r1)
    return _launch_verdict(_dv_warm(t - t1, rt, omega, mu, r1, v1, v2, xw), vbo, vt, v2, vcmin)


LATEST_STRADDLE_S = 0.01
"""Once two successive estimates of the latest launch agree within this (s), the next probe is set
just across the estimate (0.45 LATEST_TOL_S), so that one probe can close the bracket."""


@njit(cache=True, inline="always")
def _refine_needed(a, b, lt_known, lnext):
    """Must the latest launch in [a, b) (a passes, b fails) be refined further? Only while it could raise
    the latest launch so far (b > lt_known) or decide a shot (a < lnext < b); else a serves (windows.py,
    ``classify``'s launch_s: neither the latest launch nor the shots can tell a from the refined value)."""
    return b > lt_known or (a < lnext and lnext < b)


@njit(cache=True)
def _refine_latest(t, rt, vt, site_ecef, omega, t_b, vbo, vcmin, mu, r1, v1, v2, a, fa, b, fb, xw, lt_known=-math.inf,
                   lnext=math.nan):
    """The latest launch between a (passes, Δv - vbo = fa <= 0) and b > a (fails, fb; NaN: not solved
    or the closing speed fails): the failing end solved if it was not; then Illinois false position on
    Δv - vbo against x = 1/(t - t_b + 1 s - L) (Δv grows about as 1/flight time toward short flights)
    while both ends carry a speed miss, else bisection; once successive estimates agree within
    LATEST_STRADDLE_S the probe goes 0.45 LATEST_TOL_S across the estimate, away from the end last
    moved. Stops when the bracket is below LATEST_TOL_S, or as soon as it is not ``_refine_needed``
    against lt_known and lnext, and returns its passing end."""
    if not _refine_needed(a, b, lt_known, lnext):
        return a
    xw[0] = math.nan
    if math.isnan(fb):
        _ok, fb = _ok_solved(t, rt, vt, site_ecef, omega, b, t_b, vbo, vcmin, mu, r1, v1, v2, xw)
        xw[0] = math.nan  # (the failing end is a grid step away: Izzo's guess serves the first probe better)
    T = t - t_b + 1.0
    tol = LATEST_TOL_S
    x_prev = math.nan
    side = 0
    for _ in range(60):
        if b - a <= tol or not _refine_needed(a, b, lt_known, lnext):
            break
        if fb > 0.0 and fb < math.inf and fa <= 0.0 and fb - fa > 0.0:
            xa = 1.0 / (T - a)
            xb = 1.0 / (T - b)
            x = T - 1.0 / (xa + (xb - xa) * (-fa) / (fb - fa))
        else:
            x = 0.5 * (a + b)
        if abs(x - x_prev) < LATEST_STRADDLE_S:
            x = x - 0.45 * tol if side == 1 else x + 0.45 * tol
        x_prev = x
        x = min(max(x, a + 0.25 * tol), b - 0.25 * tol)
        ok, f = _ok_solved(t, rt, vt, site_ecef, omega, x, t_b, vbo, vcmin, mu, r1, v1, v2, xw)
        if ok:
            a, fa = x, f
            if side == -1:
                fb *= 0.5
            side = -1
        else:
            b, fb = x, f
            if side == 1:
                fa *= 0.5
            side = 1
    return a


@njit(cache=True)
def _latest_launch(t, rt, vt, site_ecef, omega, t_b, tofmin, tofmax, vbo, vcmin, mu, r1, v1, v2, xw, lt_known, lnext):
    """Latest launch L (no timeline bound) with Δv(L) <= vbo and closing speed >= vcmin at time t; -inf if
    none on the N_LAUNCH grid over [t - t_b - tofmax, t - t_b - tofmin], refined (``_refine_latest``)
    between the latest passing grid point and the failing one above it (as far as ``_refine_needed``)."""
    hi = t - t_b - tofmin
    lo = t - t_b - min(tofmax, LATEST_MAX_TOF_S)
    if hi <= lo:
        return -math.inf
    n = N_LAUNCH
    prev_bad = math.nan
    f_bad = math.nan
    for k in range(n - 1, -1, -1):
        L = lo + (hi - lo) * k / (n - 1)
        ok, f = _ok_at(t, rt, vt, site_ecef, omega, L, t_b, vbo, vcmin, mu, r1, v1, v2)
        if ok:
            if k == n - 1 or math.isnan(prev_bad):
                return L
            return _refine_latest(t, rt, vt, site_ecef, omega, t_b, vbo, vcmin, mu, r1, v1, v2, L, f, prev_bad, f_bad, xw,
                                  lt_known, lnext)
        prev_bad = L
        f_bad = f
    return -math.inf


@njit(cache=True)
def _shared_scan(t, rt, vt, site_ecef, omega, t_b, tofmin, tofmax, vbo, vcmin, mu, r1, v1, v2, want_latest, xw,
                 lt_known, lnext):
    """``_best_dv`` and ``_latest_launch`` in one pass when their grids coincide (the timeline's earliest
    launch is no later than t - t_b - tofmax, tofmin < tofmax <= LATEST_MAX_TOF_S, launch not fixed):
    the same N_LAUNCH Lambert problems serve both (launches ``_refused`` rules out are not solved, as in
    ``_best_dv``; the latest launch refined as far as ``_refine_needed``). Returns (best, v2x, v2y, v2z,
    L_best, latest)."""
    hi = t - t_b - tofmin
    lo = t - t_b - tofmax
    n = N_LAUNCH
    best = math.inf
    bv2x = bv2y = bv2z = 0.0
    bL = math.nan
    bk = n
    latest = -math.inf
    found = not want_latest
    a = fa = b = fb = math.nan
    for k in range(n - 1, -1, -1):
        L = lo + (hi - lo) * k / (n - 1)
        t1 = L + t_b
        tof = t - t1
        _site_eci(site_ecef, omega, t1, r1)
        # once the latest launch is found only the smallest Δv matters: a launch _refused proves beyond
        # the best so far (<= vbo) cannot become it (the proof is strict, so no tie either)
        if tof > 0.0 and _refused(r1, rt, tof, min(vbo, best) if found else vbo, omega, mu):
            dv = math.nan
        else:
            dv = _dv_from(tof, rt, omega, mu, r1, v1, v2)
            if dv < best or (dv == best and k < bk):  # ties to the earliest launch, as _best_dv
                best = dv
                bv2x, bv2y, bv2z = v2[0], v2[1], v2[2]
                bL = L
                bk = k
        if not found:
            ok, f = _launch_verdict(dv, vbo, vt, v2, vcmin)
            if ok:
                found = True
                if k == n - 1:
                    latest = L
                else:
                    a, fa = L, f
            else:
                b, fb = L, f
    if best == math.inf:  # every launch ruled out: the earliest one's Δv (longest flight), as _best_dv
        dv = _dv_at(t, rt, site_ecef, omega, lo, t_b, mu, r1, v1, v2)
        if dv < math.inf:
            best = dv
            bv2x, bv2y, bv2z = v2[0], v2[1], v2[2]
            bL = lo
    if not math.isnan(a):
        latest = _refine_latest(t, rt, vt, site_ecef, omega, t_b, vbo, vcmin, mu, r1, v1, v2, a, fa, b, fb, xw, lt_known,
                                lnext)
    return best, bv2x, bv2y, bv2z, bL, latest


class LambertReach(NamedTuple):
    """The Lambert reach model as the scanner's model record: site_ecef_m (S, 3); per pair (P,)
    burnout_mps (the largest speed change) and burn_s (launch to departure); omega_rad_s, mu_m3_s2;
    fixed: the launch time is fixed (``--launch-at``) rather than "any time from the timeline's on";
    sub_*: the trajectories' sub-chunk summaries (``engagement.Geometry.sub_chunks``: unit centre,
    angular radius, smallest and largest altitude, smallest radius), for ``lambert_sub_bound``."""

    site_ecef_m: np.ndarray
    burnout_mps: np.ndarray
    burn_s: np.ndarray
    omega_rad_s: float
    mu_m3_s2: float
    fixed: bool
    sub_u: np.ndarray
    sub_rho_rad: np.ndarray
    sub_hmin_m: np.ndarray
    sub_hmax_m: np.ndarray
    sub_rmin_m: np.ndarray
    refusal_rad: np.ndarray = np.empty(0)
    """Per pair (P,), the central angle beyond which a cap (plus its radius) is out of reach
    (:func:`refusal_angles`; :func:`lambert_kernel` always fills it for its pairs; empty: no such test)."""


def sub_fields(sub_chunks: tuple) -> tuple:
    """The ``sub_*`` fields of :class:`LambertReach`, in order, from ``engagement.Geometry.sub_chunks``."""
    su, srho, shmin, shmax, srmin = sub_chunks[:5]
    return su, srho, shmin, shmax, srmin


@njit(cache=True, inline="always")
def lambert_classify(lam, smp, prs, p, i, m, tl, ws):
    """The checks at one sample under the Lambert model (windows.py, ``classify``); ``aux`` is the
    smallest speed change of the admissible launches where the closing speed and radar checks pass."""
    nan = math.nan
    h = smp.alt_m[i, m]
    g_lo = h - prs.min_alt_m[p]
    g_hi = prs.max_alt_m[p] - h
    se = lam.site_ecef_m[prs.site[p]]
    r1, v1, v2, rt, vt, xw = ws[0:3], ws[3:6], ws[6:9], ws[9:12], ws[12:15], ws[15:16]
    tm = smp.t_s[i, m]
    vbo = lam.burnout_mps[p]
    t_b = lam.burn_s[p]
    tofmin, tofmax, vcmin = prs.min_tof_s[p], prs.max_tof_s[p], prs.min_closing_mps[p]
    om, mu = lam.omega_rad_s, lam.mu_m3_s2
    for k in range(3):
        rt[k] = smp.r_eci_m[i, m, k]
        vt[k] = smp.v_eci_mps[i, m, k]
    vis = visible(prs, p, i, m)
    launch = nan
    if g_lo >= 0.0 and g_hi >= 0.0:
        # the chunk bound at this one point (``_reachable``): beyond it no launch at any time reaches the
        # sample, so no Lambert problem is solved; the reach margin is then the bound's (>= the true one)
        lb = _dv_floor(se, smp.u[i, m, 0], smp.u[i, m, 1], smp.u[i, m, 2],
                       math.sqrt(rt[0] * rt[0] + rt[1] * rt[1] + rt[2] * rt[2]) * (1.0 - 1e-9), tofmax, vbo, om, mu)
        if lb > vbo:
            if tl == math.inf:
                return R_TRACK, math.inf, nan, nan, nan, g_lo, g_hi, nan, nan, nan, nan
            return R_REACH, math.inf, nan, nan, nan, g_lo, g_hi, vbo - lb, nan, nan, nan
    in_band = g_lo >= 0.0 and g_hi >= 0.0
    if (in_band and tl < math.inf and not lam.fixed and tl <= tm - t_b - tofmax and tofmin < tofmax
            and tofmax <= LATEST_MAX_TOF_S):
        dv, ax, ay, az, L, lx = _shared_scan(tm, rt, vt, se, om, t_b, tofmin, tofmax, vbo, vcmin, mu, r1, v1, v2, vis, xw,
                                             ws[WS_LATEST], ws[WS_LNEXT])
        if vis and lx > -math.inf:
            launch = lx
        if dv == math.inf:  # the timeline does not bind here: no launch at any time reaches the point
            return R_REACH, math.inf, nan, launch, nan, g_lo, g_hi, -math.inf, nan, nan, nan
    else:
        if in_band and vis:
            lx = _latest_launch(tm, rt, vt, se, om, t_b, tofmin, tofmax, vbo, vcmin, mu, r1, v1, v2, xw,
                                ws[WS_LATEST], ws[WS_LNEXT])
            if lx > -math.inf:
                launch = lx
        if g_lo < 0.0:
            return R_BELOW, math.inf, nan, launch, nan, g_lo, g_hi, nan, nan, nan, nan
        if g_hi < 0.0:
            return R_ABOVE, math.inf, nan, launch, nan, g_lo, g_hi, nan, nan, nan, nan
        if tl == math.inf:  # never launched
            return R_TRACK, math.inf, nan, launch, nan, g_lo, g_hi, nan, nan, nan, nan
        dv, ax, ay, az, L = _best_dv(tm, rt, se, om, tl, lam.fixed, t_b, tofmin, tofmax, mu, r1, v1, v2, vbo)
        if dv == math.inf and L == -math.inf:  # admissible launches, each surely beyond the burnout speed
            return R_REACH, math.inf, nan, launch, nan, g_lo, g_hi, -math.inf, nan, nan, nan
        if dv == math.inf:
            # no admissible launch under the timeline: is the point reachable at all?
            code = R_TRACK if _any_reach(tm, rt, se, om, t_b, tofmin, tofmax, mu, r1, v1, v2, vbo) else R_REACH
            return code, math.inf, nan, launch, nan, g_lo, g_hi, -math.inf, nan, nan, nan
    tof = tm - L
    dx, dy, dz = vt[0] - ax, vt[1] - ay, vt[2] - az
    vc = math.sqrt(dx * dx + dy * dy + dz * dz)
    g_reach = vbo - dv
    aux = dv if (vc >= vcmin and vis) else nan
    if g_reach < 0.0:
        code = R_REACH
    elif vc < vcmin:
        code = R_OUTRUN
    elif not vis:
        code = R_VIS
    else:
        code = R_OK
        if not (launch >= L):  # the launch found is itself admissible: the latest is no earlier
            launch = L
    return code, tof, vc, launch, aux, g_lo, g_hi, g_reach, nan, nan, vc - vcmin


@njit(cache=True, inline="always")
def _u_minus_sin(u):
    """u - sin(u) without cancellation for small u (series to u^13 below 0.5)."""
    if u < 0.5:
        u2 = u * u
        return u * u2 / 6.0 * (1.0 - u2 / 20.0 * (1.0 - u2 / 42.0 * (1.0 - u2 / 72.0 * (1.0 - u2 / 110.0
                                                                                       * (1.0 - u2 / 156.0)))))
    return u - math.sin(u)


@njit(cache=True, inline="always")
def _chord_perimeter(r1, r2, cos_th):
    """(c, s): the smallest chord and semi-perimeter of the transfer triangle over points at radius >= r2
    and central-angle cosine <= cos_th from radius r1 (``_tof_lower``, ``_tof_lower_bounds``: the same
    floating-point values in both)."""
    if r2 >= r1 * cos_th:
        c = math.sqrt(max(0.0, r1 * r1 + r2 * r2 - 2.0 * r1 * r2 * cos_th))
    else:
        c = r1 * math.sqrt(max(0.0, 1.0 - cos_th * cos_th))
    return c, 0.5 * (r1 + r2 + c)


@njit(cache=True, inline="always")
def _tof_lower(r1, r2, cos_th, v1max, mu):
    """A lower bound on the flight time of any short-way transfer leaving radius r1 at inertial speed
    <= v1max for a point at radius >= r2 and central angle with cosine <= cos_th: 0 if v1max reaches
    escape speed; inf if no ellipse of the allowed energy joins the points; else Lagrange's time on the
    fast branch for the largest allowed semi-major axis a_max = 1/(2/r1 - v1max^2/mu),

        t = sqrt(a^3/mu) [(alpha - sin alpha) - (beta - sin beta)],
        sin^2(alpha/2) = s/(2a), sin^2(beta/2) = (s - c)/(2a)

    (Battin, *An Introduction to the Mathematics and Methods of Astrodynamics*, 1999, sec. 6.6).
    Bound: every ellipse with semi-major axis a through the points takes at least this fast-branch
    time, which falls as a grows (so a <= a_max gives t >= t(a_max)) and grows with s at fixed c
    (dt/ds = (tan(alpha/2) - tan(beta/2))/a >= 0) and with c at fixed s (beta falls): the chord c and
    semi-perimeter s are taken at their smallest over the region."""
    c, s = _chord_perimeter(r1, r2, cos_th)
    inv_a = 2.0 / r1 - v1max * v1max / mu
    if inv_a <= 0.0:
        return 0.0
    a = 1.0 / inv_a
    qa = s * inv_a * 0.5
    if qa > 1.0:
        return math.inf
    qb = max(s - c, 0.0) * inv_a * 0.5
    al = 2.0 * math.asin(math.sqrt(qa))
    be = 2.0 * math.asin(math.sqrt(min(qb, 1.0)))
    return math.sqrt(a * a * a / mu) * max(_u_minus_sin(al) - _u_minus_sin(be), 0.0)


def _asin_series(n=_ASIN_TERMS + 1):
    """Maclaurin coefficients of asin: c_k = (2k)! / (4^k (k!)^2 (2k + 1)), k < n (all positive)."""
    c = np.empty(n)
    for k in range(n):
        c[k] = math.comb(2 * k, k) / (4.0 ** k * (2 * k + 1))
    return c


_ASIN_C = _asin_series()
_ASIN_Z_MAX = 0.55
"""Arcsine arguments up to this take the series bounds of ``_tof_lower_exceeds`` (remainder <= 4e-7)."""


@njit(cache=True, inline="always")
def _tof_lower_bounds(r1, r2, cos_th, v1max, mu):
    """(lo, hi): bounds on ``_tof_lower(r1, r2, cos_th, v1max, mu) * (1 - 1e-9) - 1e-6`` as that
    floating-point expression evaluates, mostly without its arcsines and sines (-inf, inf: none).
    With x = sqrt(qa), y = sqrt(qb) (alpha = 2 asin x, beta = 2 asin y; the same floating-point qa, qb
    and sqrt(a^3/mu) as there):

        (alpha - sin alpha) - (beta - sin beta) = 2 asin z - 2 (x sqrt(1 - qa) - y sqrt(1 - qb)),
        z = sin((alpha - beta)/2) = x sqrt(1 - qb) - y sqrt(1 - qa),

    and for 0 <= z <= _ASIN_Z_MAX asin z lies between the series' partial sum S_N (positive,
    decreasing coefficients) and S_N + c_N z^(2N+1) / (1 - z^2). Widened by every rounding
    difference between this form and ``_tof_lower``'s: 1e-13 on the bracket plus 4e-15 / sqrt(1 - q)
    for the arcsine of sqrt(q) near 1 (an order of magnitude above the ulp analysis), times
    sqrt(a^3/mu), and 1e-12 relative on the result."""
    c, s = _chord_perimeter(r1, r2, cos_th)
    inv_a = 2.0 / r1 - v1max * v1max / mu
    if inv_a > 0.0:
        qa = s * inv_a * 0.5
        if qa <= 1.0:
            qb = min(max(s - c, 0.0) * inv_a * 0.5, 1.0)
            a = 1.0 / inv_a
            k = math.sqrt(a * a * a / mu)
            x, y = math.sqrt(qa), math.sqrt(qb)
            cx, cy = math.sqrt(1.0 - qa), math.sqrt(1.0 - qb)
            z = x * cy - y * cx
            if cx > 0.0 and cy > 0.0 and 0.0 <= z <= _ASIN_Z_MAX:
                z2 = z * z
                sn = _ASIN_C[_ASIN_TERMS - 1]
                for j in range(_ASIN_TERMS - 2, -1, -1):
                    sn = sn * z2 + _ASIN_C[j]
                sn *= z
                rem = _ASIN_C[_ASIN_TERMS] * z ** (2 * _ASIN_TERMS + 1) / (1.0 - z2)
                sin_part = 2.0 * (x * cx - y * cy)
                err = 1e-13 + 4e-15 / cx + 4e-15 / cy
                t_lo = k * max(2.0 * sn - sin_part - err, 0.0) * (1.0 - 1e-9) - 1e-6
                t_hi = k * max(2.0 * (sn + rem) - sin_part + err, 0.0) * (1.0 - 1e-9) - 1e-6
                margin = 1e-12 * (abs(t_hi) + 1.0)
                return t_lo - margin, t_hi + margin
    return -math.inf, math.inf


@njit(cache=True, inline="always")
def _tof_lower_exceeds(r1, r2, cos_th, v1max, mu, tof):
    """``_tof_lower(r1, r2, cos_th, v1max, mu) * (1 - 1e-9) - 1e-6 > tof``, the same boolean: from
    ``_tof_lower_bounds`` when they decide it, else from ``_tof_lower``."""
    lo, hi = _tof_lower_bounds(r1, r2, cos_th, v1max, mu)
    if lo > tof:
        return True
    if hi < tof:
        return False
    return _tof_lower(r1, r2, cos_th, v1max, mu) * (1.0 - 1e-9) - 1e-6 > tof


@njit(cache=True, inline="always")
def _speed_limit(sx, sy, cx, cy, qn, v_s, rho, th_lo, th_hi, psi_a, psi_b, vbo):
    """(cos th_lo, v1max) of ``_reach_geometry`` / ``_reach_turn``: the largest q(psi).c over turns psi in
    [psi_a, psi_b] (A cos psi + B sin psi), the in-plane site speed w_t it bounds, and the largest
    inertial departure speed with a speed change <= vbo (-1: none)."""
    a_ = -sy * cx + sx * cy
    b_ = sx * cx + sy * cy
    g = max(a_ * math.cos(psi_a) + b_ * math.sin(psi_a), a_ * math.cos(psi_b) + b_ * math.sin(psi_b))
    ph = math.atan2(b_, a_)
    if psi_a <= ph <= psi_b:
        g = math.sqrt(a_ * a_ + b_ * b_)
    w = v_s
    if qn > 1e-9:
        beta = math.acos(max(-1.0, min(1.0, g / qn)))
        m_max = qn * math.cos(max(beta - rho, 0.0)) + 1e-12
        sin_min = min(math.sin(th_lo), math.sin(th_hi))
        if m_max <= 0.0:
            w = 0.0
        elif m_max < qn * sin_min:
            w = v_s * m_max / (qn * sin_min)
    d = vbo * vbo - v_s * v_s + w * w
    if d < 0.0:
        return math.cos(th_lo), -1.0
    return math.cos(th_lo), (math.sqrt(d) + w) * (1.0 + 1e-9) + 1e-9


@njit(cache=True, inline="always")
def _reach_geometry(se, cx, cy, cz, rho, psi_max, vbo, omega):
    """Bounds for transfers from the site (ECEF se) to any point whose Earth-fixed direction lies in the
    cap (unit centre c, angular radius rho), launched while the Earth turns by psi in [0, psi_max]
    during the flight. Returns (cos_th, v1max): the cosine of the smallest central angle, and the
    largest inertial departure speed with a speed change <= vbo relative to the site (-1: none).

    Angle: the target's direction turns by at most psi_max cos(latitude) about the axis.
    Speed: with v1 = v_r r1_hat + v_t t_hat (t_hat in the transfer plane, toward the target, v_t > 0
    on the short way) and the site velocity's in-plane part w_t t_hat and normal part w_n
    (w_t^2 + w_n^2 = v_s^2, v_s = omega |se_xy|): |dv|^2 = v_r^2 + (v_t - w_t)^2 + w_n^2, so
    |dv| <= vbo needs |v1| <= sqrt(vbo^2 - v_s^2 + w_t^2) + max(w_t, 0), increasing in w_t; and
    w_t = omega r1 n_z with n_z sin(theta) = z.(r1_hat x r2_hat) = q(psi).u, q(psi) the site's east
    direction times cos(site latitude) turned by -psi: its largest value over the cap and the turn,
    divided by the smallest sin(theta), bounds w_t (never above v_s)."""
    r1 = math.sqrt(se[0] * se[0] + se[1] * se[1] + se[2] * se[2])
    sx, sy, sz = se[0] / r1, se[1] / r1, se[2] / r1
    qn = math.sqrt(sx * sx + sy * sy)  # cos(site latitude) = |q|
    v_s = omega * r1 * qn
    ang = math.acos(max(-1.0, min(1.0, sx * cx + sy * cy + sz * cz)))
    lat_c = math.asin(min(1.0, abs(cz)))
    slack = psi_max * math.cos(max(lat_c - rho, 0.0)) * (1.0 + 1e-9) + 1e-12
    th_lo = max(ang - rho - slack, 0.0) * (1.0 - 1e-9)
    th_hi = min(ang + rho + slack, math.pi)
    # largest q(psi).c over psi in [0, psi_max]: A cos(psi) + B sin(psi)
    return _speed_limit(sx, sy, cx, cy, qn, v_s, rho, th_lo, th_hi, 0.0, psi_max, vbo)


@njit(cache=True, inline="always")
def _reachable(se, cx, cy, cz, rho, r2, tofmax, vbo, omega, mu):
    """(possible, tof_lb): can a transfer with speed change <= vbo reach the cap at radius >= r2 within
    tofmax (``_reach_geometry`` + ``_tof_lower``), and the floor on its flight time."""
    r1 = math.sqrt(se[0] * se[0] + se[1] * se[1] + se[2] * se[2])
    cth, v1max = _reach_geometry(se, cx, cy, cz, rho, omega * tofmax, vbo, omega)
    if v1max < 0.0:
        return False, math.inf
    tof_lb = _tof_lower(r1, r2, cth, v1max, mu) * (1.0 - 1e-9) - 1e-6
    return tof_lb <= tofmax, tof_lb


N_TOF_BINS = 8
"""Flight-time bins of the chunk bound (``lambert_bound``)."""


@njit(cache=True, inline="always")
def _reach_turn(se, cx, cy, cz, rho, psi_a, psi_b, vbo, omega):
    """``_reach_geometry`` for Earth turns psi in [psi_a, psi_b] (a flight-time bin) rather than
    [0, psi_max]: the cap's centre turned by the middle turn, its radius grown by half the turn
    range times cos(centre latitude) (a turn by d about the axis moves a point at latitude phi by at
    most |d| cos(phi)); the in-plane site speed bounded over the same turns. (cos_th, v1max) as there."""
    r1 = math.sqrt(se[0] * se[0] + se[1] * se[1] + se[2] * se[2])
    sx, sy, sz = se[0] / r1, se[1] / r1, se[2] / r1
    qn = math.sqrt(sx * sx + sy * sy)
    v_s = omega * r1 * qn
    pm = 0.5 * (psi_a + psi_b)
    cm, sm = math.cos(pm), math.sin(pm)
    mx, my = cm * cx - sm * cy, sm * cx + cm * cy
    ang = math.acos(max(-1.0, min(1.0, sx * mx + sy * my + sz * cz)))
    clat = math.sqrt(max(0.0, 1.0 - cz * cz))
    slack = 0.5 * (psi_b - psi_a) * clat * (1.0 + 1e-9) + 1e-12
    th_lo = max(ang - rho - slack, 0.0) * (1.0 - 1e-9)
    th_hi = min(ang + rho + slack, math.pi)
    return _speed_limit(sx, sy, cx, cy, qn, v_s, rho, th_lo, th_hi, psi_a, psi_b, vbo)


@njit(cache=True, inline="always")
def _reachable_binned(se, cx, cy, cz, rho, r2, tofmin, tofmax, vbo, omega, mu):
    """(possible, tof_lb) as ``_reachable``, tighter: the flight times [tofmin, tofmax] in N_TOF_BINS
    bins [a, b], each with its own Earth turn (``_reach_turn``) and the test floor <= b; tof_lb is
    the smallest max(a, floor) over the bins that pass (inf if none)."""
    r1 = math.sqrt(se[0] * se[0] + se[1] * se[1] + se[2] * se[2])
    lo = max(tofmin, 0.0)
    if not tofmax >= lo:
        return False, math.inf
    step = (tofmax - lo) / N_TOF_BINS
    for k in range(N_TOF_BINS):
        a = lo + step * k
        b = tofmax if k == N_TOF_BINS - 1 else lo + step * (k + 1)
        cth, v1max = _reach_turn(se, cx, cy, cz, rho, omega * a * (1.0 - 1e-9), omega * b * (1.0 + 1e-9), vbo, omega)
        if v1max < 0.0:
            continue
        tl = _tof_lower(r1, r2, cth, v1max, mu) * (1.0 - 1e-9) - 1e-6
        if tl <= b:
            return True, max(a, tl)  # bins in increasing flight time: the first that passes has the floor
    return False, math.inf


@njit(cache=True)
def _dv_floor(se, ux, uy, uz, r2, tofmax, vbo, omega, mu):
    """A lower bound (> vbo) on the speed change to reach the point (Earth-fixed direction u, radius >= r2)
    within tofmax when ``_reachable`` proves vbo too small; -1 otherwise. The largest speed that
    ``_reachable`` still refuses, by doubling and 8 bisections (it is monotone in the speed)."""
    ok, _t = _reachable(se, ux, uy, uz, 0.0, r2, tofmax, vbo, omega, mu)
    if ok:
        return -1.0
    bad = vbo
    good = 2.0 * vbo + 1.0
    for _ in range(8):
        ok, _t = _reachable(se, ux, uy, uz, 0.0, r2, tofmax, good, omega, mu)
        if ok:
            break
        bad = good
        good = 2.0 * good
    if not ok:
        return bad
    for _ in range(8):
        mid = 0.5 * (bad + good)
        ok, _t = _reachable(se, ux, uy, uz, 0.0, r2, tofmax, mid, omega, mu)
        if ok:
            good = mid
        else:
            bad = mid
    return bad


REFUSAL_BISECTIONS = 32
"""Bisection steps of :func:`refusal_angles` (to ~7e-10 rad)."""


@njit(cache=True)
def _refusal_angle(se, rmin, vbo, tofmax, omega, mu):
    """The pair-level reach test of :func:`refusal_angles` for one site (ECEF se), smallest sample radius
    rmin, burnout speed and longest flight: an angle A such that a cap (centre c, radius rho) with
    angle(site, c) > A + rho is one ``_reachable`` refuses (inf: none). With v_hi = vbo + v_s >= the
    largest departure speed ``_speed_limit`` admits (w_t <= v_s) and r_lo = rmin: theta_hi, the
    smallest angle found by bisection whose ``_tof_lower`` floor exceeds tofmax (with margins 1e-6
    rel. + 1e-3 s); the floor grows with the angle (c and s grow) and with r2, and falls with the
    speed, so every larger angle at any radius >= r_lo is refused too. A adds the Earth's turn over the
    longest flight (``_reach_geometry``'s slack <= omega t_max) and the rounding margins."""
    if not (tofmax >= 0.0 and tofmax < math.inf and rmin > 0.0):
        return math.inf
    r1 = math.sqrt(se[0] * se[0] + se[1] * se[1] + se[2] * se[2])
    v_s = omega * math.sqrt(se[0] * se[0] + se[1] * se[1])
    v1 = (vbo + v_s) * (1.0 + 2e-9) + 2e-9
    r2 = rmin * (1.0 - 2e-9)
    thr = tofmax * (1.0 + 1e-6) + 1e-3
    if not _tof_lower(r1, r2, -1.0, v1, mu) * (1.0 - 1e-9) - 1e-6 > thr:
        return math.inf
    lo, hi = 0.0, math.pi
    for _ in range(REFUSAL_BISECTIONS):
        mid = 0.5 * (lo + hi)
        if _tof_lower(r1, r2, math.cos(mid), v1, mu) * (1.0 - 1e-9) - 1e-6 > thr:
            hi = mid
        else:
            lo = mid
    return hi * (1.0 + 2e-9) + omega * tofmax * (1.0 + 1e-9) + 1e-9


@njit(cache=True)
def refusal_angles(lam, smp, prs):
    """Per pair (P,) the angle of :func:`_refusal_angle` for its site, burnout speed, longest flight and
    its trajectory's smallest chunk radius (``Samples.ch_rmin_m``, <= every sample's and sub-chunk's)."""
    N = smp.n.shape[0]
    rmin = np.full(N, math.inf)  # per trajectory, not per pair (a trajectory has one pair per site)
    for i in range(N):
        for c in range((smp.n[i] + CHUNK - 1) // CHUNK):
            rmin[i] = min(rmin[i], smp.ch_rmin_m[i, c])
    P = prs.traj.shape[0]
    out = np.empty(P)
    for p in range(P):
        out[p] = _refusal_angle(lam.site_ecef_m[prs.site[p]], rmin[prs.traj[p]], lam.burnout_mps[p], prs.max_tof_s[p],
                                lam.omega_rad_s, lam.mu_m3_s2)
    return out


@njit(cache=True, inline="always")
def _refused_cap(lam, p, se, cx, cy, cz, rho):
    """Is the cap (unit centre c, radius rho) beyond pair p's refusal angle (``refusal_angles``)? Then
    ``_reachable`` and ``_reachable_binned`` refuse it: one dot product instead of their arcsines."""
    if lam.refusal_rad.shape[0] <= p:
        return False
    return _beyond(se, cx, cy, cz, rho, lam.refusal_rad[p])


@njit(cache=True, inline="always")
def _beyond(se, cx, cy, cz, rho, refusal):
    """angle(se, c) > refusal + rho (< pi), by cos(angle) = se.c / |se| (False when the sum is >= pi)."""
    a = refusal + rho
    if not a < math.pi:
        return False
    r1 = math.sqrt(se[0] * se[0] + se[1] * se[1] + se[2] * se[2])
    return (se[0] * cx + se[1] * cy + se[2] * cz) / r1 < math.cos(a)


# _bound_core and lambert_sample_ub are compiled apart, not IR-inlined into the scanner (_bound_core
# has three call sites there): the kernel's compile 55 -> 33 s, speed and rows unchanged (bench pairs).
@njit(cache=True)
def _bound_core(lam, smp, prs, p, tl, cx, cy, cz, rho, hmin, hmax, rmin, t_end):
    """The chunk bound over a run of samples (cap centre c, radius rho; altitudes [hmin, hmax];
    smallest geocentric radius rmin; last sample time t_end): ``lambert_bound``."""
    if hmax < prs.min_alt_m[p]:
        return R_BELOW, -math.inf
    if hmin > prs.max_alt_m[p]:
        return R_ABOVE, -math.inf
    se = lam.site_ecef_m[prs.site[p]]
    if _refused_cap(lam, p, se, cx, cy, cz, rho):
        return (R_TRACK if tl == math.inf else R_REACH), -math.inf
    ok, tof_lb = _reachable(se, cx, cy, cz, rho, rmin * (1.0 - 1e-9), prs.max_tof_s[p], lam.burnout_mps[p],
                            lam.omega_rad_s, lam.mu_m3_s2)
    if not ok:
        return (R_TRACK if tl == math.inf else R_REACH), -math.inf
    ok, tof_lb2 = _reachable_binned(se, cx, cy, cz, rho, rmin * (1.0 - 1e-9), prs.min_tof_s[p], prs.max_tof_s[p],
                                    lam.burnout_mps[p], lam.omega_rad_s, lam.mu_m3_s2)
    if not ok:
        return (R_TRACK if tl == math.inf else R_REACH), -math.inf
    tof_lb = max(tof_lb, tof_lb2)
    return -1, t_end - lam.burn_s[p] - max(prs.min_tof_s[p] * (1.0 - 1e-9), tof_lb)


@njit(cache=True, inline="always")
def lambert_bound(lam, smp, prs, p, i, c, tl):
    """Chunk bound of the Lambert model (windows.py, ``bound``): altitude band, then a lower bound on
    the flight time at the burnout speed (``_tof_lower``: radius from the chunk's smallest, central
    angle from its cap lowered by the Earth's turn during the longest flight, the site moving by at
    most ω·t_max around the axis), then the same per flight-time bin (``_reachable_binned``). No
    sample is reachable when it exceeds the longest flight time (no bin passes); else no sample's
    latest launch is later than the chunk's last time − burn − that flight time."""
    return _bound_core(lam, smp, prs, p, tl, smp.ch_u[i, c, 0], smp.ch_u[i, c, 1], smp.ch_u[i, c, 2],
                       smp.ch_rho_rad[i, c], smp.ch_hmin_m[i, c], smp.ch_hmax_m[i, c], smp.ch_rmin_m[i, c],
                       smp.t_s[i, min(c * CHUNK + CHUNK, smp.n[i]) - 1])


_SUBL = CHUNK // SUB


@njit(cache=True, inline="always")
def lambert_sub_bound(lam, smp, prs, p, i, f, tl):
    """The same bound over the sub-chunk f of CHUNK // SUB samples (windows.scan_pair_sub), from the
    sub-chunk summaries in the model record (``sub_*``)."""
    return _bound_core(lam, smp, prs, p, tl, lam.sub_u[i, f, 0], lam.sub_u[i, f, 1], lam.sub_u[i, f, 2],
                       lam.sub_rho_rad[i, f], lam.sub_hmin_m[i, f], lam.sub_hmax_m[i, f], lam.sub_rmin_m[i, f],
                       smp.t_s[i, min(f * _SUBL + _SUBL, smp.n[i]) - 1])


@njit(cache=True)
def lambert_sample_ub(lam, smp, prs, p, i, m, tl, lt=-math.inf):
    """Upper bound on the latest launch at sample m (windows.scan_pair_sub, ``sample_ub``): -inf outside
    the altitude band (no latest launch there), else ``_reachable_binned`` at the sample's own
    direction (cap radius 0) and radius: -inf when no bin passes, else t − burn − max(t_min, floor)."""
    h = smp.alt_m[i, m]
    if h < prs.min_alt_m[p] or h > prs.max_alt_m[p] or not h == h:
        return -math.inf
    se = lam.site_ecef_m[prs.site[p]]
    if _refused_cap(lam, p, se, smp.u[i, m, 0], smp.u[i, m, 1], smp.u[i, m, 2], 0.0):
        return -math.inf
    rx, ry, rz = smp.r_eci_m[i, m, 0], smp.r_eci_m[i, m, 1], smp.r_eci_m[i, m, 2]
    ok, tof_lb = _reachable_binned(se, smp.u[i, m, 0], smp.u[i, m, 1], smp.u[i, m, 2], 0.0,
                                   math.sqrt(rx * rx + ry * ry + rz * rz) * (1.0 - 1e-9), prs.min_tof_s[p],
                                   prs.max_tof_s[p], lam.burnout_mps[p], lam.omega_rad_s, lam.mu_m3_s2)
    if not ok:
        return -math.inf
    return smp.t_s[i, m] - lam.burn_s[p] - max(prs.min_tof_s[p] * (1.0 - 1e-9), tof_lb)


@njit(cache=True, _nrt=False)
def _lambert_pairs(lam, smp, prs, p0, p1, out, pruned, kind, ub, done, order, ws, st):
    """Pairs p0..p1-1 with one set of scratch; compiled without reference counting (windows.scan_pair_in)."""
    for p in range(p0, p1):
        scan_pair_sub(lambert_classify, lambert_bound, no_interior, lambert_sub_bound, lambert_sample_ub, SUB, lam, smp,
                      prs, p, out, pruned, kind, ub, done, order, ws, st)


_PAIR_BLOCK = 16
"""Pairs per task of the parallel loop (one scratch allocation each; a Lambert pair costs far more
than its scratch, and small blocks keep the two threads balanced)."""


def lambert_kernel(lam, smp, prs, out, pruned=True):
    """Windows of every pair under the Lambert model: out (P, windows.N_OUT), column C_AUX the smallest
    speed change (exact wherever it is <= the burnout speed; pruned chunks need more). ``pruned=False``:
    no chunk bounds, every sample classified. The pairs' refusal angles (``refusal_angles``) are
    computed first, for these pairs (never taken from ``lam``, which may hold another set's)."""
    if pruned:
        lam = lam._replace(refusal_rad=refusal_angles(lam, smp, prs))
    _lambert_kernel(lam, smp, prs, out, pruned)


@njit(parallel=True, cache=True)
def _lambert_kernel(lam, smp, prs, out, pruned=True):
    """:func:`lambert_kernel`'s compiled part. Blocks of pairs are dealt to the two halves of the
    parallel range alternately, as ``engagement.table_kernel``."""
    P = prs.traj.shape[0]
    C = (smp.t_s.shape[1] + CHUNK - 1) // CHUNK
    nb = (P + _PAIR_BLOCK - 1) // _PAIR_BLOCK
    half = (nb + 1) // 2
    for b in prange(nb):
        blk = 2 * b if b < half else 2 * (b - half) + 1
        kind, ub, done, order, ws, st = scratch(C * (SUB + 1))
        _lambert_pairs(lam, smp, prs, blk * _PAIR_BLOCK, min(P, (blk + 1) * _PAIR_BLOCK), out, pruned,
                       kind, ub, done, order, ws, st)
