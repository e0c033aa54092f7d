"""The vacuum instantaneous-burn (Lambert) reach model, for checks and for burnout-speed thresholds.

The interceptor leaves its site (which turns with the Earth) at launch time + burn time, on the
two-body transfer arc that reaches the target's position at the intercept time (short way,
``lambert.izzo2015_into``). The engagement is feasible at a sample when that arc needs a speed
change, relative to the site's inertial velocity, of at most the burnout speed; the altitude band,
flight-time limits, closing speed and radar constraints are as in the fly-out model.

Launch time: fixed (``--launch-at``) or any time from the timeline's earliest launch on; for each
intercept time the launch times tried span [max(t_L, t − t_b − t_max), t − t_b − t_min] in
``N_LAUNCH`` steps and the smallest speed change wins. The smallest speed change needed over the
whole trajectory is the burnout-speed threshold of the engagement.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..earth.constants import GM_M3_S2
from ..earth.frames import geodetic_to_ecef
from .engagement import (C_DURATION, C_FEAS, C_LATEST, C_FIRST, C_FRAC_FIRST, C_FRAC_LAST, C_IDX_FIRST, C_IDX_LAST, C_LAST,
                         C_REASON, C_SHOTS, C_TOF_FIRST, C_TOF_LAST, C_VC_FIRST, C_VC_LAST, N_COLS, R_ABOVE,
                         R_BELOW, R_OK, R_OUTRUN, R_REACH, R_TRACK, R_VIS, prepare, windows_from)
from .lambert import STATUS_OK, izzo2015_into

N_LAUNCH = 12
LATEST_MAX_TOF_S = 7200.0
"""The latest-launch diagnostic searches flight times up to min(max flight time, this), s."""
C_MIN_DV = N_COLS  # extra column: smallest speed change needed where all other constraints hold


@njit(cache=True)
def _best_dv(t, rt, site_ecef, omega, tL, fixed, t_b, tofmin, tofmax, mu, r1, v1, v2):
    """Smallest Δv (and its v2, launch time) to be at rt (ECI) at time t; inf if no admissible launch."""
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
    for k in range(n):
        L = lo + (hi - lo) * k / max(n - 1, 1)
        t1 = L + t_b
        tof = t - t1
        if tof <= 0.0 or tof < tofmin - 1e-9 or tof > tofmax + 1e-9:
            continue
        th = omega * t1
        c, s = math.cos(th), math.sin(th)
        r1[0] = c * site_ecef[0] - s * site_ecef[1]
        r1[1] = s * site_ecef[0] + c * site_ecef[1]
        r1[2] = site_ecef[2]
        st = izzo2015_into(r1, rt, tof, mu, True, v1, v2)
        if st != STATUS_OK:
            continue
        dx = v1[0] + omega * r1[1]
        dy = v1[1] - omega * r1[0]
        dz = v1[2]
        dv = math.sqrt(dx * dx + dy * dy + dz * dz)
        if dv < best:
            best = dv
            bv2x, bv2y, bv2z = v2[0], v2[1], v2[2]
            bL = L
    return best, bv2x, bv2y, bv2z, bL


@njit(cache=True)
def _dv_at(t, rt, site_ecef, omega, L, t_b, mu, r1, v1, v2):
    """Δv (relative to the site's inertial velocity) and arrival velocity v2 for a launch at L; inf if none."""
    t1 = L + t_b
    tof = t - t1
    if tof <= 0.0:
        return math.inf
    th = omega * t1
    c, s = math.cos(th), math.sin(th)
    r1[0] = c * site_ecef[0] - s * site_ecef[1]
    r1[1] = s * site_ecef[0] + c * site_ecef[1]
    r1[2] = site_ecef[2]
    if izzo2015_into(r1, rt, tof, mu, True, v1, v2) != STATUS_OK:
        return math.inf
    dx = v1[0] + omega * r1[1]
    dy = v1[1] - omega * r1[0]
    return math.sqrt(dx * dx + dy * dy + v1[2] * v1[2])


@njit(cache=True)
def _latest_launch(t, rt, vt, site_ecef, omega, t_b, tofmin, tofmax, vbo, vcmin, mu, r1, v1, v2):
    """Latest launch L (no timeline bound) with Δv(L) <= vbo and closing speed >= vcmin at time t; -inf if
    none on the N_LAUNCH grid over [t - t_b - tofmax, t - t_b - tofmin], refined by 20 bisections."""
    hi = t - t_b - tofmin
    lo = t - t_b - min(tofmax, LATEST_MAX_TOF_S)
    if hi <= lo:
        return -math.inf
    n = N_LAUNCH
    prev_bad = math.nan
    for k in range(n - 1, -1, -1):
        L = lo + (hi - lo) * k / (n - 1)
        dv = _dv_at(t, rt, site_ecef, omega, L, t_b, mu, r1, v1, v2)
        ok = dv <= vbo
        if ok:
            dx, dy, dz = vt[0] - v2[0], vt[1] - v2[1], vt[2] - v2[2]
            ok = math.sqrt(dx * dx + dy * dy + dz * dz) >= vcmin
        if ok:
            if k == n - 1 or math.isnan(prev_bad):
                return L
            a, b = L, prev_bad   # a ok, b not: bisect
            for _ in range(20):
                m = 0.5 * (a + b)
                dvm = _dv_at(t, rt, site_ecef, omega, m, t_b, mu, r1, v1, v2)
                okm = dvm <= vbo
                if okm:
                    dx, dy, dz = vt[0] - v2[0], vt[1] - v2[1], vt[2] - v2[2]
                    okm = math.sqrt(dx * dx + dy * dy + dz * dz) >= vcmin
                if okm:
                    a = m
                else:
                    b = m
            return a
        prev_bad = L
    return -math.inf


@njit(parallel=True, cache=True)
def lambert_kernel(t, r, v, alt, n, pair_traj, pair_site, site_ecef, omega, tL, fixed, vbo, t_b, hmin, hmax,
                   tofmin, tofmax, vcmin, t_ka, vis, pair_vis, mu, out):
    """Windows under the Lambert reach model; out (P, N_COLS + 1), last column the minimum Δv."""
    P = pair_traj.shape[0]
    for p in prange(P):
        i = pair_traj[p]
        se = site_ecef[pair_site[p]]
        r1 = np.empty(3)
        v1 = np.empty(3)
        v2 = np.empty(3)
        rt = np.empty(3)
        use_vis = pair_vis[p] >= 0
        vv = vis[max(pair_vis[p], 0)]
        best_code = -1
        first = last = math.nan
        tof_f = tof_l = vc_f = vc_l = math.nan
        idx_f = idx_l = -1
        prev_ok = False
        prev_margin = 0.0
        prev_tof = prev_vc = math.nan
        dur = 0.0
        seg = 0.0
        shots = 0
        Lnext = tL[p]
        min_dv = math.inf
        latest = -math.inf
        launched = math.isfinite(tL[p])
        vt = np.empty(3)
        for m in range(n[i]):
            tm = t[i, m]
            h = alt[i, m]
            if hmin[p] <= h <= hmax[p] and (not use_vis or vv[i, m]):
                for j in range(3):
                    rt[j] = r[i, m, j]
                    vt[j] = v[i, m, j]
                Lx = _latest_launch(tm, rt, vt, se, omega, t_b[p], tofmin[p], tofmax[p], vbo[p], vcmin[p], mu, r1, v1, v2)
                if Lx > latest:
                    latest = Lx
            code = R_OK
            margin = math.nan
            tof = math.nan
            vc = math.nan
            if h < hmin[p]:
                code = R_BELOW
            elif h > hmax[p]:
                code = R_ABOVE
            elif not launched:
                code = R_TRACK
            else:
                for j in range(3):
                    rt[j] = r[i, m, j]
                dv, ax, ay, az, L = _best_dv(tm, rt, se, omega, tL[p], fixed, t_b[p], tofmin[p], tofmax[p], mu,
                                             r1, v1, v2)
                if dv == math.inf:
                    # no admissible launch under the timeline: is the point reachable at all?
                    dv0, _a, _b, _c, _L = _best_dv(tm, rt, se, omega, -math.inf, False, t_b[p], tofmin[p],
                                                   tofmax[p], mu, r1, v1, v2)
                    code = R_TRACK if dv0 <= vbo[p] else R_REACH
                else:
                    tof = tm - L
                    dx = v[i, m, 0] - ax
                    dy = v[i, m, 1] - ay
                    dz = v[i, m, 2] - az
                    vc = math.sqrt(dx * dx + dy * dy + dz * dz)
                    margin = vbo[p] - dv
                    if vc >= vcmin[p] and (not use_vis or vv[i, m]):
                        if dv < min_dv:
                            min_dv = dv
                    if margin < 0.0:
                        code = R_REACH
                    elif vc < vcmin[p]:
                        code = R_OUTRUN
                    elif use_vis and not vv[i, m]:
                        code = R_VIS
            if code > best_code:
                best_code = code
            ok = code == R_OK
            if ok and not prev_ok:
                f = 0.0
                if m > 0 and math.isfinite(prev_margin) and prev_margin < 0.0:
                    f = prev_margin / (prev_margin - margin)
                te = tm if m == 0 else t[i, m - 1] + f * (tm - t[i, m - 1])
                if math.isnan(first):
                    first = te
                    idx_f = m - 1 if m > 0 else 0
                    out[p, C_FRAC_FIRST] = f if m > 0 else 0.0
                    if m > 0 and math.isfinite(prev_tof) and math.isfinite(prev_vc):
                        tof_f = prev_tof + f * (tof - prev_tof)
                        vc_f = prev_vc + f * (vc - prev_vc)
                    else:
                        tof_f = tof
                        vc_f = vc
                seg = te
            if prev_ok and not ok:
                f = 0.0
                if math.isfinite(margin) and margin < 0.0:
                    f = prev_margin / (prev_margin - margin)
                te = t[i, m - 1] + f * (tm - t[i, m - 1])
                last = te
                idx_l = m - 1
                out[p, C_FRAC_LAST] = f
                if math.isfinite(tof) and math.isfinite(vc):
                    tof_l = prev_tof + f * (tof - prev_tof)
                    vc_l = prev_vc + f * (vc - prev_vc)
                else:
                    tof_l = prev_tof
                    vc_l = prev_vc
                dur += te - seg
            if ok and m == n[i] - 1:
                last = tm
                idx_l = m
                out[p, C_FRAC_LAST] = 0.0
                tof_l = tof
                vc_l = vc
                dur += tm - seg
            if ok and tm - tof >= Lnext - 1e-9:
                shots += 1
                Lnext = tm + t_ka[p]
            prev_ok = ok
            prev_margin = margin
            prev_tof = tof
            prev_vc = vc
        feas = not math.isnan(first)
        out[p, C_FEAS] = 1.0 if feas else 0.0
        out[p, C_REASON] = R_OK if feas else best_code
        out[p, C_FIRST] = first
        out[p, C_LAST] = last
        out[p, C_TOF_FIRST] = tof_f
        out[p, C_TOF_LAST] = tof_l
        out[p, C_VC_FIRST] = vc_f
        out[p, C_VC_LAST] = vc_l
        out[p, C_SHOTS] = shots
        out[p, C_IDX_FIRST] = idx_f
        out[p, C_IDX_LAST] = idx_l
        out[p, C_DURATION] = dur if feas else 0.0
        out[p, C_MIN_DV] = min_dv
        out[p, C_LATEST] = latest if latest > -math.inf else math.nan


def engage_lambert(threats, sites, interceptors, timeline, plan):
    """Engagement windows with the Lambert reach model (the inputs of ``engage.engage_threats`` and
    their ``engage.plan_pairs`` plan)."""
    from ..errors import BmdcheckError

    for it in interceptors:
        if it.burnout_speed_mps is None:
            raise BmdcheckError(f"interceptor {it.name}: the Lambert model needs a burnout speed")
    geo = prepare(threats)
    e = threats.earth
    f = lambda attr: np.ascontiguousarray(plan.per_site([getattr(it, attr) for it in interceptors]), dtype=float)  # noqa: E731
    lla = np.array([[s.lat_deg, s.lon_deg, s.alt_m] for s in sites])
    site_ecef = geodetic_to_ecef(lla[:, 0], lla[:, 1], lla[:, 2], e)
    P = plan.traj.size
    out = np.full((P, N_COLS + 1), np.nan)
    vs = plan.vis_stack if plan.vis_stack is not None else np.zeros((1, 1, 1), dtype=np.bool_)
    lambert_kernel(threats.t_s, np.ascontiguousarray(threats.r_eci_m), np.ascontiguousarray(threats.v_eci_mps),
                   geo.alt, threats.n_samples.astype(np.int64), plan.traj.astype(np.int64), plan.site.astype(np.int64),
                   site_ecef, e.omega_rad_s, plan.t_launch_s.astype(float), timeline.launch_at_s is not None,
                   f("burnout_speed_mps"), f("burn_time_s"), f("min_alt_m"), f("max_alt_m"), f("min_flight_time_s"),
                   f("max_flight_time_s"), f("min_closing_mps"), np.full(P, timeline.kill_assessment_s), vs,
                   plan.vis.astype(np.int64), GM_M3_S2, out)
    eng = plan.engagement(windows_from(out[:, :N_COLS], geo, plan.traj), "lambert")
    eng.min_dv_mps = out[:, C_MIN_DV]
    return eng
