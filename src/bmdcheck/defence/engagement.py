"""Intercept windows for (threat trajectory, interceptor site) pairs, batched and compiled.

For each pair the solver scans the threat's samples and asks, at each sample time t: is the
target inside the interceptor's altitude band, can the interceptor reach that point (fly-out
table: earliest arrival T from launch) no later than t − t_launch, within its flight-time limits,
and does it close on the target fast enough? The feasible window is [first, last] of those times,
with the edges refined between samples by linear interpolation of the binding margin; the
shoot-look-shoot count is the number of successive shots that fit when each launch waits for the
kill assessment of the previous intercept. See docs/design/engagement.md.

Kernels are parallel over pairs; per-trajectory geometry (Earth-fixed positions, altitudes,
Earth-relative velocities) is computed once per trajectory, not per pair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange

from ..earth.frames import ecef_to_geodetic, geodetic_to_ecef
from ..earth.model import EarthModel
from ..errors import BmdcheckError
from ..flight.kernel import alt_approx
from .flyout import FlyoutTable, RotatingTable, azimuth_from, sector_correction

# Kernel codes: higher = got further through the checks. Code 4 (R_TRACK) is "every check but the
# timeline passes somewhere": the engagement layer names it after the pair's launch basis
# (``timeline_reason``): never_tracked, tracked_too_late or launch_too_late.
REASONS = {
    0: "below_min_altitude",
    1: "above_max_altitude",
    2: "out_of_reach",
    3: "beyond_max_flight_time",
    4: "tracked_too_late",
    5: "target_outruns_interceptor",
    6: "not_visible_to_engagement_radar",
    7: "feasible",
}
REASON_CODE = {v: k for k, v in REASONS.items()}
R_BELOW, R_ABOVE, R_REACH, R_TOF, R_TRACK, R_OUTRUN, R_VIS, R_OK = range(8)
TIMELINE_REASONS = {"none": "never_tracked", "track": "tracked_too_late", "cue": "launch_too_late",
                    "fixed": "launch_too_late"}
"""Launch basis of a pair -> the name of kernel code R_TRACK (docs/design/engagement.md, reason codes):
``none`` no sensor of the timeline ever holds a track (no launch); ``track`` launch from a radar
track; ``cue`` launch on the early-warning cue; ``fixed`` a fixed launch time."""
REASON_NAMES = ("below_min_altitude", "above_max_altitude", "out_of_reach", "beyond_max_flight_time",
                "never_tracked", "tracked_too_late", "launch_too_late", "target_outruns_interceptor",
                "not_visible_to_engagement_radar", "feasible")
"""Every public reason code, in the order of the checks (later = got further)."""

# Result columns of the kernel.
(C_FEAS, C_REASON, C_FIRST, C_LAST, C_TOF_FIRST, C_TOF_LAST, C_VC_FIRST, C_VC_LAST, C_SHOTS,
 C_IDX_FIRST, C_FRAC_FIRST, C_IDX_LAST, C_FRAC_LAST, C_DURATION, C_LATEST) = range(15)
N_COLS = 15
"""C_LATEST: the latest interceptor launch time (s, threat time scale) at which some sample passes
every check but the timeline: launch = t - flight time, maximised over those samples; NaN if none."""


@dataclass
class Threats:
    """Threat trajectories as sample arrays (ECI, m, m/s): t_s (N, M), r_eci_m and v_eci_mps (N, M, 3),
    n_samples (N,). The Earth model fixes the ECI→ECEF rotation and the altitude datum."""

    t_s: np.ndarray
    r_eci_m: np.ndarray
    v_eci_mps: np.ndarray
    n_samples: np.ndarray
    earth: EarthModel = field(default_factory=EarthModel)
    labels: list | None = None
    burnout_s: np.ndarray | None = None  # (N,) end of powered flight, s (flight phases; None: unknown)

    def __len__(self):
        return self.t_s.shape[0]

    @classmethod
    def from_batch(cls, b, labels=None) -> "Threats":
        if b.t_s is None:
            raise BmdcheckError("threat trajectories need samples: fly them with sample_interval_s")
        m = int(b.n_samples.max()) if len(b.n_samples) else 0  # drop the unused tail of the sample buffers
        return cls(np.ascontiguousarray(b.t_s[:, :m]), np.ascontiguousarray(b.r_eci_m[:, :m]),
                   np.ascontiguousarray(b.v_eci_mps[:, :m]), b.n_samples.astype(np.int64), b.earth, labels,
                   np.asarray(b.burnout_time_s, dtype=float).copy())

    @classmethod
    def from_arrays(cls, t_s, r_eci_m, v_eci_mps=None, earth: EarthModel = EarthModel()) -> "Threats":
        """One trajectory from samples; velocities by central differences when not given."""
        t = np.asarray(t_s, float)
        r = np.asarray(r_eci_m, float)
        if t.ndim != 1 or r.shape != (t.size, 3) or t.size < 3:
            raise BmdcheckError("a threat trajectory needs at least 3 samples of t_s and (x, y, z) ECI positions")
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(r))):
            raise BmdcheckError("threat trajectory samples must be finite numbers")
        if np.any(np.diff(t) <= 0):
            raise BmdcheckError("threat trajectory times must increase strictly")
        v = np.gradient(r, t, axis=0) if v_eci_mps is None else np.asarray(v_eci_mps, float)
        return cls(t[None], r[None], v[None], np.array([t.size]), earth)


@njit(parallel=True, cache=True)
def _prepare(t, r, v, n, omega, a, b, ecef, u, alt, vrel, vmax, wmax):
    """Per trajectory sample: Earth-fixed position, unit vector, altitude, Earth-relative velocity (ECEF).

    Also per trajectory the largest Earth-relative speed (bounds |dh/dt|) and angular rate of the
    sub-target point |d û/dt| <= |v_rel| / |r|, each with a 10 % margin for between-sample peaks.
    """
    N, M = t.shape
    for i in prange(N):
        vm = 0.0
        wm = 0.0
        for m in range(n[i]):
            th = omega * t[i, m]
            c, s = math.cos(th), math.sin(th)
            x = c * r[i, m, 0] + s * r[i, m, 1]
            y = -s * r[i, m, 0] + c * r[i, m, 1]
            z = r[i, m, 2]
            ecef[i, m, 0], ecef[i, m, 1], ecef[i, m, 2] = x, y, z
            rn = math.sqrt(x * x + y * y + z * z)
            u[i, m, 0], u[i, m, 1], u[i, m, 2] = x / rn, y / rn, z / rn
            alt[i, m] = alt_approx(x, y, z, a, b)
            # v_rel = v - ω ẑ × r in ECI, then rotated to ECEF axes
            vx = v[i, m, 0] + omega * r[i, m, 1]
            vy = v[i, m, 1] - omega * r[i, m, 0]
            vrel[i, m, 0] = c * vx + s * vy
            vrel[i, m, 1] = -s * vx + c * vy
            vrel[i, m, 2] = v[i, m, 2]
            sp = math.sqrt(vx * vx + vy * vy + v[i, m, 2] * v[i, m, 2])
            if sp > vm:
                vm = sp
            if sp / rn > wm:
                wm = sp / rn
        vmax[i] = 1.1 * vm + 1.0
        wmax[i] = 1.1 * wm + 1e-7


@njit(cache=True, inline="always")
def _sample(i, m, t, u, alt, vrel, us, rs, tL, hmin, hmax, tofmin, tofmax, vcmin, dr, dh, T, vis, use_vis,
            cos_reach, h_reach, cos_row, rot, sdr, sdh, DT, DF):
    """Checks at one sample. Returns (code, tof, closing, margins...) with code R_* (R_OK = feasible).

    Margins (positive = satisfied): altitude low/high, reach slack (t - tL - tof), max-TOF, closing.
    """
    h = alt[i, m]
    m_lo = h - hmin
    m_hi = hmax - h
    tof = math.inf
    vc = 0.0
    slack = math.nan  # NaN: not evaluated (comparisons with NaN are false)
    m_tof = math.nan
    m_vc = math.nan
    if m_lo < 0.0:
        return R_BELOW, tof, vc, m_lo, m_hi, slack, m_tof, m_vc
    if m_hi < 0.0:
        return R_ABOVE, tof, vc, m_lo, m_hi, slack, m_tof, m_vc
    ux, uy, uz = u[i, m, 0], u[i, m, 1], u[i, m, 2]
    ca = ux * us[0] + uy * us[1] + uz * us[2]
    if ca < cos_reach or h >= h_reach:  # beyond the table: no trigonometry needed
        return R_REACH, tof, vc, m_lo, m_hi, slack, m_tof, m_vc
    jr = int(h / dh)
    if ca < cos_row[jr]:  # beyond the reachable range at this altitude (conservative bound)
        return R_REACH, tof, vc, m_lo, m_hi, slack, m_tof, m_vc
    if ca > 1.0:
        ca = 1.0
    elif ca < -1.0:
        ca = -1.0
    ang = math.acos(ca)
    Tr, Vi, cg, sg = _lookup4(ang * rs, h, dr, dh, T)
    if rot and Tr < math.inf:  # rotating Earth: the sector correction at the arrival azimuth (flyout.RotatingTable)
        Tr += sector_correction(ang * rs, h, azimuth_from(ux, uy, uz, us), sdr, sdh, DT, DF)
    if Tr == math.inf:
        return R_REACH, tof, vc, m_lo, m_hi, slack, m_tof, m_vc
    tof = Tr if Tr > tofmin else tofmin
    m_tof = tofmax - tof
    if m_tof < 0.0:
        return R_TOF, tof, vc, m_lo, m_hi, slack, m_tof, m_vc
    slack = (t[i, m] - tL) - tof
    # interceptor velocity at the target point, Earth-relative, ECEF axes
    sa = math.sqrt(max(0.0, 1.0 - ca * ca))
    if sa > 1e-9:
        hx = (ux * ca - us[0]) / sa
        hy = (uy * ca - us[1]) / sa
        hz = (uz * ca - us[2]) / sa
    else:
        hx, hy, hz = 0.0, 0.0, 0.0
    dx = vrel[i, m, 0] - Vi * (cg * hx + sg * ux)
    dy = vrel[i, m, 1] - Vi * (cg * hy + sg * uy)
    dz = vrel[i, m, 2] - Vi * (cg * hz + sg * uz)
    vc = math.sqrt(dx * dx + dy * dy + dz * dz)
    m_vc = vc - vcmin
    if slack < 0.0:
        return R_TRACK, tof, vc, m_lo, m_hi, slack, m_tof, m_vc
    if m_vc < 0.0:
        return R_OUTRUN, tof, vc, m_lo, m_hi, slack, m_tof, m_vc
    if use_vis and not vis[i, m]:
        return R_VIS, tof, vc, m_lo, m_hi, slack, m_tof, m_vc
    return R_OK, tof, vc, m_lo, m_hi, slack, m_tof, m_vc


@njit(cache=True, inline="always")
def _lookup4(r, h, dr, dh, TAB):
    """Bilinear (t, speed, cos γ, sin γ) from an interleaved table TAB (NR, NH, 4) = [t, v, cos γ, sin γ].

    A cell is used only when its four corners are reachable (t finite); (inf, 0, 0, 0) otherwise.
    """
    x = r / dr
    y = h / dh
    i = int(x)
    j = int(y)
    if r < 0.0 or h < 0.0 or i >= TAB.shape[0] - 1 or j >= TAB.shape[1] - 1:
        return math.inf, 0.0, 0.0, 0.0
    t00 = TAB[i, j, 0]
    t10 = TAB[i + 1, j, 0]
    t01 = TAB[i, j + 1, 0]
    t11 = TAB[i + 1, j + 1, 0]
    if t00 == math.inf or t10 == math.inf or t01 == math.inf or t11 == math.inf:
        return math.inf, 0.0, 0.0, 0.0
    fx = x - i
    fy = y - j
    w00 = (1 - fx) * (1 - fy)
    w10 = fx * (1 - fy)
    w01 = (1 - fx) * fy
    w11 = fx * fy
    t = w00 * t00 + w10 * t10 + w01 * t01 + w11 * t11
    v = w00 * TAB[i, j, 1] + w10 * TAB[i + 1, j, 1] + w01 * TAB[i, j + 1, 1] + w11 * TAB[i + 1, j + 1, 1]
    c = w00 * TAB[i, j, 2] + w10 * TAB[i + 1, j, 2] + w01 * TAB[i, j + 1, 2] + w11 * TAB[i + 1, j + 1, 2]
    sn = w00 * TAB[i, j, 3] + w10 * TAB[i + 1, j, 3] + w01 * TAB[i, j + 1, 3] + w11 * TAB[i + 1, j + 1, 3]
    return t, v, c, sn


@njit(cache=True, inline="always")
def _cross(ma, mb):
    """Fraction in [0, 1] where a margin goes from ma to mb through 0 (linear)."""
    if ma == mb or not (math.isfinite(ma) and math.isfinite(mb)):
        return 0.5
    f = ma / (ma - mb)
    if f < 0.0:
        return 0.0
    if f > 1.0:
        return 1.0
    return f


@njit(parallel=True, cache=True)
def engage_kernel(t, u, alt, vrel, vmax, wmax, n, pair_traj, pair_site, pair_table, site_u, site_r, tL, hmin, hmax,
                  tofmin, tofmax, vcmin, t_ka, tab_dr, tab_dh, tab_T, tab_row, vis, pair_vis, out, tab_rot, sec_dr,
                  sec_dh, sec_DT, sec_DF):
    """Intercept windows for P pairs. Per-pair inputs are (P,) arrays; tables stacked and interleaved
    (Q, NR, NH, 4) = [t, speed, cos γ, sin γ], with tab_row (Q, NH) the per-altitude reach bound;
    tab_rot (Q,) true where table q has rotating-Earth sectors sec_DT, sec_DF (Q, S, nr, nh) on
    grids sec_dr, sec_dh (Q,) (``flyout.RotatingTable``).

    pair_vis[p] >= 0 selects vis[pair_vis[p]] (N, M) as the engagement radar's visibility of the
    intercept point; -1 means no such constraint. out: (P, N_COLS).
    """
    P = pair_traj.shape[0]
    for p in prange(P):
        i = pair_traj[p]
        s = pair_site[p]
        q = pair_table[p]
        us = site_u[s]
        rs = site_r[s]
        T = tab_T[q]
        cos_row = tab_row[q]
        dr = tab_dr[q]
        dh = tab_dh[q]
        rot = tab_rot[q]
        sdr = sec_dr[q]
        sdh = sec_dh[q]
        DT = sec_DT[q]
        DF = sec_DF[q]
        use_vis = pair_vis[p] >= 0
        vv = vis[max(pair_vis[p], 0)]
        reach_ang = (T.shape[0] - 1) * dr / rs
        cos_reach = math.cos(reach_ang) if reach_ang < math.pi else -2.0
        h_reach = (T.shape[1] - 1) * dh
        best = -1
        first = math.nan
        last = math.nan
        tof_f = math.nan
        tof_l = math.nan
        vc_f = math.nan
        vc_l = math.nan
        idx_f = -1
        fr_f = 0.0
        idx_l = -1
        fr_l = 0.0
        dur = 0.0
        shots = 0
        L = tL[p]
        prev_ok = False
        p_tof = 0.0
        p_code = 0
        p_vc = 0.0
        p_m = (0.0, 0.0, 0.0, 0.0, 0.0)
        latest = -math.inf
        if not math.isfinite(tL[p]):
            # never launched: classify how far the geometry alone gets (timeline fails)
            for m in range(n[i]):
                code, tof, vc, a1, a2, a3, a4, a5 = _sample(i, m, t, u, alt, vrel, us, rs, 0.0, hmin[p], hmax[p],
                                                            tofmin[p], tofmax[p], vcmin[p], dr, dh, T, vv, use_vis,
                                                            cos_reach, h_reach, cos_row, rot, sdr, sdh, DT, DF)
                c = code if code < R_TRACK else R_TRACK
                if c > best:
                    best = c
                if (code == R_OK or code == R_TRACK) and a5 >= 0.0 and (not use_vis or vv[i, m]):
                    if t[i, m] - tof > latest:
                        latest = t[i, m] - tof
            out[p, C_FEAS] = 0.0
            out[p, C_REASON] = best
            for c in range(C_FIRST, N_COLS):
                out[p, c] = math.nan
            out[p, C_SHOTS] = 0.0
            out[p, C_LATEST] = latest if latest > -math.inf else math.nan
            continue
        m = 0
        while m < n[i]:
            code, tof, vc, a1, a2, a3, a4, a5 = _sample(i, m, t, u, alt, vrel, us, rs, tL[p], hmin[p], hmax[p],
                                                        tofmin[p], tofmax[p], vcmin[p], dr, dh, T, vv, use_vis,
                                                        cos_reach, h_reach, cos_row, rot, sdr, sdh, DT, DF)
            if code > best:
                best = code
            ok = code == R_OK
            tm = t[i, m]
            if (ok or code == R_TRACK) and a5 >= 0.0 and (not use_vis or vv[i, m]) and tm - tof > latest:
                latest = tm - tof
            if ok and not prev_ok:
                # entering a feasible stretch: the last margin to turn positive binds
                if m == 0:
                    f = 0.0
                else:
                    f = 0.0
                    mm = (a1, a2, a3, a4, a5)
                    for k in range(5):
                        pa = p_m[k]
                        if pa < 0.0 and mm[k] >= 0.0:
                            fk = _cross(pa, mm[k])
                            if fk > f:
                                f = fk
                    if p_code == R_REACH:
                        f = 0.5 if f < 0.5 else f
                te = tm if m == 0 else t[i, m - 1] + f * (tm - t[i, m - 1])
                if math.isnan(first):
                    first = te
                    idx_f = m - 1 if m > 0 else 0
                    fr_f = f if m > 0 else 0.0
                    if m > 0 and math.isfinite(p_tof):
                        tof_f = p_tof + f * (tof - p_tof)
                        vc_f = p_vc + f * (vc - p_vc)
                    else:
                        tof_f = tof
                        vc_f = vc
                seg_start = te
            if prev_ok and not ok:
                f = 1.0
                mm = (a1, a2, a3, a4, a5)
                for k in range(5):
                    pa = p_m[k]
                    if pa >= 0.0 and mm[k] < 0.0:
                        fk = _cross(pa, mm[k])
                        if fk < f:
                            f = fk
                if code == R_REACH:
                    f = 0.5 if f > 0.5 else f
                te = t[i, m - 1] + f * (tm - t[i, m - 1])
                last = te
                idx_l = m - 1
                fr_l = f
                if math.isfinite(tof):
                    tof_l = p_tof + f * (tof - p_tof)
                    vc_l = p_vc + f * (vc - p_vc)
                else:
                    tof_l = p_tof
                    vc_l = p_vc
                dur += te - seg_start
            if ok and m == n[i] - 1:
                last = tm
                idx_l = m
                fr_l = 0.0
                tof_l = tof
                vc_l = vc
                dur += tm - seg_start
            # shoot-look-shoot: a shot fits if all checks but the timeline pass and launch >= L
            if ok or code == R_TRACK:
                if math.isfinite(tof) and (tm - tof) >= L and a5 >= 0.0 and (not use_vis or vv[i, m]) \
                        and a1 >= 0.0 and a2 >= 0.0 and a4 >= 0.0:
                    shots += 1
                    L = tm + t_ka[p]
            prev_ok = ok
            p_code = code
            p_tof = tof
            p_vc = vc
            p_m = (a1, a2, a3, a4, a5)
            # skip ahead over samples that provably cannot be feasible (bounded speed and angular rate)
            tb = 0.0
            h = alt[i, m]
            if code == R_BELOW:
                tb = (hmin[p] - h) / vmax[i]
            elif code == R_ABOVE:
                tb = (h - hmax[p]) / vmax[i]
            elif code == R_REACH:
                ca = u[i, m, 0] * us[0] + u[i, m, 1] * us[1] + u[i, m, 2] * us[2]
                if ca < cos_reach:
                    tb = (math.acos(max(-1.0, ca)) - reach_ang) / wmax[i]
            mn = m + 1
            if tb > 0.0:
                lim = tm + tb
                while mn + 1 < n[i] and t[i, mn + 1] < lim:
                    mn += 1
            m = mn
        feas = not math.isnan(first)
        out[p, C_FEAS] = 1.0 if feas else 0.0
        out[p, C_REASON] = R_OK if feas else best
        out[p, C_FIRST] = first
        out[p, C_LAST] = last
        out[p, C_TOF_FIRST] = tof_f
        out[p, C_TOF_LAST] = tof_l
        out[p, C_VC_FIRST] = vc_f
        out[p, C_VC_LAST] = vc_l
        out[p, C_SHOTS] = shots
        out[p, C_IDX_FIRST] = idx_f
        out[p, C_FRAC_FIRST] = fr_f
        out[p, C_IDX_LAST] = idx_l
        out[p, C_FRAC_LAST] = fr_l
        out[p, C_DURATION] = dur if feas else 0.0
        out[p, C_LATEST] = latest if latest > -math.inf else math.nan


@dataclass
class Geometry:
    """Per-trajectory geometry computed once: ECEF positions, unit vectors, altitudes, v_rel (ECEF)."""

    threats: Threats
    ecef: np.ndarray
    u: np.ndarray
    alt: np.ndarray
    vrel: np.ndarray
    vmax: np.ndarray
    wmax: np.ndarray


def prepare(threats: Threats) -> Geometry:
    N, M = threats.t_s.shape
    e = threats.earth
    ecef = np.zeros((N, M, 3))
    u = np.zeros((N, M, 3))
    alt = np.full((N, M), -1.0)
    vrel = np.zeros((N, M, 3))
    vmax = np.zeros(N)
    wmax = np.zeros(N)
    _prepare(np.ascontiguousarray(threats.t_s), np.ascontiguousarray(threats.r_eci_m),
             np.ascontiguousarray(threats.v_eci_mps), threats.n_samples.astype(np.int64), e.omega_rad_s,
             e.a_m, e.b_m, ecef, u, alt, vrel, vmax, wmax)
    return Geometry(threats, ecef, u, alt, vrel, vmax, wmax)


@dataclass
class PairSpec:
    """What the solver needs per pair, as (P,) arrays (broadcast from scalars)."""

    traj: np.ndarray
    site: np.ndarray
    table: np.ndarray
    t_launch_s: np.ndarray
    min_alt_m: np.ndarray
    max_alt_m: np.ndarray
    min_tof_s: np.ndarray
    max_tof_s: np.ndarray
    min_closing_mps: np.ndarray
    kill_assessment_s: np.ndarray
    vis: np.ndarray | None = None  # (P,) index into a visibility stack, -1 = none


@dataclass
class Windows:
    """Engagement results per pair: arrays (P,). Times are in the trajectories' time scale (s)."""

    feasible: np.ndarray
    reason: list
    first_s: np.ndarray
    last_s: np.ndarray
    tof_first_s: np.ndarray
    tof_last_s: np.ndarray
    closing_first_mps: np.ndarray
    closing_last_mps: np.ndarray
    shots: np.ndarray
    duration_s: np.ndarray
    point_first: np.ndarray  # (P, 3) lat_deg, lon_deg, alt_km
    point_last: np.ndarray
    raw: np.ndarray

    @property
    def latest_launch_s(self) -> np.ndarray:
        """(P,) the latest interceptor launch that would still have worked (every check but the
        timeline passes at some sample), s; NaN when no sample passes them (column C_LATEST)."""
        return self.raw[:, C_LATEST]


def solve_windows(geo: Geometry, sites_lla: np.ndarray, tables: list, spec: PairSpec,
                  vis_stack: np.ndarray | None = None) -> Windows:
    """Run the engagement kernel over all pairs; sites_lla (S, 3) lat_deg, lon_deg, alt_m. ``tables``:
    FlyoutTable (non-rotating) or RotatingTable (its base plus the sector correction at the
    site-to-sample arrival azimuth; the table must be built for the latitude of the pairs' site)."""
    th = geo.threats
    rot_tabs = [tb if isinstance(tb, RotatingTable) else None for tb in tables]
    tables = [tb.base if isinstance(tb, RotatingTable) else tb for tb in tables]
    shp = next(((r.dt_s.shape) for r in rot_tabs if r is not None), (1, 2, 2))
    sec_DT = np.zeros((len(tables),) + shp)
    sec_DF = np.zeros((len(tables),) + shp)
    sec_dr, sec_dh, tab_rot = np.ones(len(tables)), np.ones(len(tables)), np.zeros(len(tables), dtype=np.bool_)
    for k, r in enumerate(rot_tabs):
        if r is not None:
            sec_DT[k], sec_DF[k], sec_dr[k], sec_dh[k], tab_rot[k] = r.dt_s, r.defl_rad, r.dr_m, r.dh_m, True
    e = th.earth
    sll = np.atleast_2d(np.asarray(sites_lla, float))
    s_ecef = geodetic_to_ecef(sll[:, 0], sll[:, 1], sll[:, 2], e)
    s_r = np.linalg.norm(s_ecef, axis=-1)
    s_u = s_ecef / s_r[:, None]
    nr = max(t.t_s.shape[0] for t in tables)
    nh = max(t.t_s.shape[1] for t in tables)
    Q = len(tables)
    TT = np.zeros((Q, nr, nh, 4))  # interleaved [t, speed, cos γ, sin γ]: one cache line per corner
    TT[..., 0] = np.inf
    for k, tb in enumerate(tables):
        a, b = tb.t_s.shape
        TT[k, :a, :b, 0], TT[k, :a, :b, 1] = tb.t_s, tb.speed_mps
        TT[k, :a, :b, 2], TT[k, :a, :b, 3] = np.cos(tb.fpa_rad), np.sin(tb.fpa_rad)
    # per altitude row: cos of the largest reachable central angle (rows j and j+1, one cell of
    # margin, on the smallest Earth radius: a conservative bound used to skip lookups)
    ROW = np.full((Q, nh), 2.0)
    for k, tb in enumerate(tables):
        fin = np.isfinite(tb.t_s)
        last = np.where(fin.any(axis=0), fin.shape[0] - 1 - np.argmax(fin[::-1], axis=0), -1)
        both = np.maximum(last, np.append(last[1:], -1))
        ang = (both + 2) * tb.dr_m / (0.99 * e.b_m)
        row = np.where(both >= 0, np.cos(np.minimum(ang, np.pi)), 2.0)
        ROW[k, :row.size] = row
    dr = np.array([tb.dr_m for tb in tables])
    dh = np.array([tb.dh_m for tb in tables])
    P = spec.traj.shape[0]
    if vis_stack is None:
        vis_stack = np.zeros((1, 1, 1), dtype=np.bool_)
    pv = spec.vis if spec.vis is not None else np.full(P, -1, dtype=np.int64)
    out = np.zeros((P, N_COLS))
    f = lambda a: np.ascontiguousarray(np.broadcast_to(np.asarray(a, float), (P,)))  # noqa: E731
    engage_kernel(th.t_s, geo.u, geo.alt, geo.vrel, geo.vmax, geo.wmax, th.n_samples.astype(np.int64), spec.traj.astype(np.int64),
                  spec.site.astype(np.int64), spec.table.astype(np.int64), s_u, s_r, f(spec.t_launch_s),
                  f(spec.min_alt_m), f(spec.max_alt_m), f(spec.min_tof_s), f(spec.max_tof_s),
                  f(spec.min_closing_mps), f(spec.kill_assessment_s), dr, dh, TT, ROW, vis_stack,
                  pv.astype(np.int64), out, tab_rot, sec_dr, sec_dh, sec_DT, sec_DF)
    return windows_from(out, geo, spec.traj)


def windows_from(out: np.ndarray, geo: Geometry, traj: np.ndarray) -> Windows:
    """Turn kernel rows (P, N_COLS) into :class:`Windows`, with geodetic intercept points."""
    th = geo.threats
    pts = []
    for ci, cf in ((C_IDX_FIRST, C_FRAC_FIRST), (C_IDX_LAST, C_FRAC_LAST)):
        idx = out[:, ci]
        ok = np.isfinite(idx) & (idx >= 0)
        ii = np.where(ok, idx, 0).astype(np.int64)
        jj = np.minimum(ii + 1, th.n_samples[traj] - 1)
        fr = np.where(ok, out[:, cf], 0.0)[:, None]
        a = geo.ecef[traj, ii]
        b = geo.ecef[traj, jj]
        lat, lon, h = ecef_to_geodetic(a + fr * (b - a), th.earth)
        pt = np.stack([lat, lon, h / 1e3], axis=-1)
        pt[~ok] = np.nan
        pts.append(pt)
    return Windows(out[:, C_FEAS] > 0.5, [REASONS[int(c)] for c in out[:, C_REASON]], out[:, C_FIRST],
                   out[:, C_LAST], out[:, C_TOF_FIRST], out[:, C_TOF_LAST], out[:, C_VC_FIRST], out[:, C_VC_LAST],
                   out[:, C_SHOTS].astype(np.int64), out[:, C_DURATION], pts[0], pts[1], out)
