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
import weakref
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from ..earth.frames import geodetic_to_ecef
from ..earth.model import EarthModel
from ..errors import BmdcheckError
from ..flight.kernel import alt_approx
from .flyout import FlyoutTable, RotatingTable, azimuth_from, bilinear_cell, sector_correction
from .windows import (KIND_ALL_OK, C_AUX, C_FEAS, C_FIRST, C_FRAC_FIRST, C_FRAC_LAST, C_IDX_FIRST, C_IDX_LAST,  # noqa: F401
                      C_LAST, C_LATEST, C_REASON, C_SHOTS, C_TOF_FIRST, C_TOF_LAST, C_VC_FIRST, C_VC_LAST,
                      C_DURATION, CHUNK, N_COLS, N_OUT, R_ABOVE, R_BELOW, R_OK, R_OUTRUN, R_REACH, R_TOF,
                      R_TRACK, R_VIS, SUB, Pairs, Samples, scan_pair_sub, scratch, chunk_summaries,
                      summary_arrays, visible, with_trig)

# Kernel codes (windows.R_*): higher = got further through the checks. Code 4 (R_TRACK) is "every
# check but the timeline passes somewhere": the engagement layer names it after the pair's launch
# basis (``timeline_reason``): never_tracked, tracked_too_late or launch_too_late.
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
TIMELINE_REASONS = {"none": "never_tracked", "track": "tracked_too_late", "cue": "launch_too_late",
                    "fixed": "launch_too_late"}
"""Launch basis of a pair -> the name of kernel code R_TRACK (docs/design/engagement.md, reason codes):
``none`` no sensor of the timeline ever holds a track (no launch); ``track`` launch from a radar
track; ``cue`` launch on the early-warning cue; ``fixed`` a fixed launch time."""
REASON_NAMES = ("below_min_altitude", "above_max_altitude", "out_of_reach", "beyond_max_flight_time",
                "never_tracked", "tracked_too_late", "launch_too_late", "target_outruns_interceptor",
                "not_visible_to_engagement_radar", "feasible")
"""Every public reason code, in the order of the checks (later = got further)."""


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


@njit(cache=True, inline="always")
def _reachable_weights(t00, t10, t01, t11, w00, w10, w01, w11):
    """The bilinear weights of a cell's corners with the unreachable ones (t = inf) zeroed, and their
    sum w (the interpolated reachability): ``_lookup4`` and ``_lookup_t``."""
    if t00 == math.inf:
        w00 = 0.0
    if t10 == math.inf:
        w10 = 0.0
    if t01 == math.inf:
        w01 = 0.0
    if t11 == math.inf:
        w11 = 0.0
    return w00, w10, w01, w11, w00 + w10 + w01 + w11


@njit(cache=True, inline="always")
def _lookup4(r, h, dr, dh, TAB):
    """Bilinear (t, speed, cos γ, sin γ, w) from an interleaved table TAB (NH, NR, 4) = [t, v, cos γ, sin γ]
    (altitude rows: the corners (i, j), (i + 1, j) share a cache line, and successive samples of a
    trajectory, a few range cells apart, read nearby lines).

    w: the bilinear interpolation of the four corners' reachability (1 where t is finite, else 0);
    -inf outside the grid. A point is reachable where w >= 1/2 (the table's envelope runs halfway
    between its last reachable and first unreachable nodes); its values are then the bilinear
    average over the reachable corners (all four inside the envelope: plain bilinear).
    (inf, 0, 0, 0, w) where not reachable.
    """
    i, j, w00, w10, w01, w11 = bilinear_cell(r, h, dr, dh, TAB.shape[1], TAB.shape[0])
    if i < 0:
        return math.inf, 0.0, 0.0, 0.0, -math.inf
    t00 = TAB[j, i, 0]
    t10 = TAB[j, i + 1, 0]
    t01 = TAB[j + 1, i, 0]
    t11 = TAB[j + 1, i + 1, 0]
    if t00 < math.inf and t10 < math.inf and t01 < math.inf and t11 < math.inf:
        t = w00 * t00 + w10 * t10 + w01 * t01 + w11 * t11
        v = w00 * TAB[j, i, 1] + w10 * TAB[j, i + 1, 1] + w01 * TAB[j + 1, i, 1] + w11 * TAB[j + 1, i + 1, 1]
        c = w00 * TAB[j, i, 2] + w10 * TAB[j, i + 1, 2] + w01 * TAB[j + 1, i, 2] + w11 * TAB[j + 1, i + 1, 2]
        sn = w00 * TAB[j, i, 3] + w10 * TAB[j, i + 1, 3] + w01 * TAB[j + 1, i, 3] + w11 * TAB[j + 1, i + 1, 3]
        return t, v, c, sn, 1.0
    w00, w10, w01, w11, w = _reachable_weights(t00, t10, t01, t11, w00, w10, w01, w11)
    if not w >= 0.5:
        return math.inf, 0.0, 0.0, 0.0, w
    t = v = c = sn = 0.0
    for di, dj, wk in ((0, 0, w00), (1, 0, w10), (0, 1, w01), (1, 1, w11)):
        if wk > 0.0:
            t += wk * TAB[j + dj, i + di, 0]
            v += wk * TAB[j + dj, i + di, 1]
            c += wk * TAB[j + dj, i + di, 2]
            sn += wk * TAB[j + dj, i + di, 3]
    return t / w, v / w, c / w, sn / w, w


@njit(cache=True, inline="always")
def _lookup_t(r, h, dr, dh, TT):
    """The t of :func:`_lookup4` (bit for bit: the same weights, corners and sums) from TT (NH, NR),
    the table's arrival times alone: 8 nodes a cache line, a quarter of TAB's footprint (for
    ``table_interior``, which needs no more)."""
    i, j, w00, w10, w01, w11 = bilinear_cell(r, h, dr, dh, TT.shape[1], TT.shape[0])
    if i < 0:
        return math.inf
    t00 = TT[j, i]
    t10 = TT[j, i + 1]
    t01 = TT[j + 1, i]
    t11 = TT[j + 1, i + 1]
    if t00 < math.inf and t10 < math.inf and t01 < math.inf and t11 < math.inf:
        return w00 * t00 + w10 * t10 + w01 * t01 + w11 * t11
    w00, w10, w01, w11, w = _reachable_weights(t00, t10, t01, t11, w00, w10, w01, w11)
    if not w >= 0.5:
        return math.inf
    t = 0.0
    for di, dj, wk in ((0, 0, w00), (1, 0, w10), (0, 1, w01), (1, 1, w11)):
        if wk > 0.0:
            t += wk * TT[j + dj, i + di]
    return t / w


@njit(cache=True, inline="always")
def _ecef_at(t, r, k, m, omega):
    """Earth-fixed position of sample m of trajectory k: Rz(−ωt) r_eci."""
    th = omega * t[k, m]
    c, s = math.cos(th), math.sin(th)
    return c * r[k, m, 0] + s * r[k, m, 1], -s * r[k, m, 0] + c * r[k, m, 1], r[k, m, 2]


@njit(parallel=True, cache=True)
def _prepare(t, r, n, omega, a, b, u, alt, ch, sub, L_ch, L_sub):
    """Per trajectory sample: unit vector and altitude of the Earth-fixed position, altitude -1 past
    the trajectory's n samples (the Earth-relative velocity is taken where a check needs it,
    :func:`vrel_ecef`: storing it cost more than it saved); then the trajectory's chunk
    summaries ``ch`` (chunks of L_ch samples) and ``sub`` (L_sub), while its rows are in cache."""
    N, M = t.shape
    for i in prange(N):
        rad = np.empty(M)
        for m in range(n[i]):
            x, y, z = _ecef_at(t, r, i, m, omega)
            rn = math.sqrt(x * x + y * y + z * z)
            rad[m] = rn
            u[i, m, 0], u[i, m, 1], u[i, m, 2] = x / rn, y / rn, z / rn
            alt[i, m] = alt_approx(x, y, z, a, b)
        for m in range(n[i], M):  # unused tail: no altitude
            alt[i, m] = -1.0
        chunk_summaries(u[i], alt[i], rad, n[i], ch[0][i], ch[1][i], ch[2][i], ch[3][i], ch[4][i], L_ch)
        chunk_summaries(u[i], alt[i], rad, n[i], sub[0][i], sub[1][i], sub[2][i], sub[3][i], sub[4][i], L_sub)


class TableReach(NamedTuple):
    """The fly-out table reach model as the scanner's model record.

    table (P,) the pair's table q; base (Q,) the index b of table q's base table into the per-base
    arrays (tab, dr_m, dh_m, cos_row, range_max_m, t_blk_s, t_bmax_s, t_suf_s: first axis one per
    distinct base, so a booster's rotating tables at many latitudes share one copy); site_u (S, 3), site_r_m (S,) the sites' unit vectors and geocentric
    radii; tab (Q, NH, NR, 4) interleaved [t, speed, cos γ, sin γ] (altitude rows; two corners a cache line);
    dr_m, dh_m (Q,) grid steps; cos_row (Q, NH) per altitude row the cosine of a conservative
    largest reachable central angle (a cheap per-sample test); bounds for whole chunks: range_max_m
    (Q, L, NH) sparse table, level l holding the largest reachable range over rows [j, j + 2^l);
    t_blk_s (Q, NR, NH // B + 1) the earliest arrival over ranges >= I cells and rows
    [J·B, J·B + B] (B = ``_BLK``); t_bmax_s (Q, ⌈NR/B'⌉, ⌈NH/B'⌉) the latest arrival over the nodes
    [I·B', I·B' + B') × [J·B', J·B' + B'), inf if any is unreachable (B' = ``_BMX``; the
    all-feasible chunk test); cos_all, sin_all (P,) cosine and sine of the pair's largest reachable
    central angle at any altitude (the first, cheapest chunk test). Rotating Earth
    (``flyout.RotatingTable``): rot (Q,) true where table q has sectors sec_dt_s, sec_defl_rad
    (Q, S, nr, nh) on grids sec_dr_m, sec_dh_m (Q,), their correction added to the base arrival at
    the site-to-sample azimuth; dt_low_s (Q,) a lower bound on that correction (chunk time bound).
    sub_*: the trajectories' summaries (``windows.Samples`` ch_* fields) of sub-chunks of CHUNK // SUB
    samples, for ``table_sub_bound``. t_suf_s (Q, NH, NR, 2): per altitude row the earliest arrival at
    ranges >= each node: (A, S) of ``table_sample_ub``, as uint16 codes rounded down (``_u16_down``;
    A's code _U16_NONE where a row at the node is not finite), decoded as code · t_suf_step_s (Q,).
    tab_t (Q, NH, NR) the arrival times of tab alone (``_lookup_t``).
    """

    table: np.ndarray
    base: np.ndarray
    site_u: np.ndarray
    site_r_m: np.ndarray
    tab: np.ndarray
    dr_m: np.ndarray
    dh_m: np.ndarray
    cos_row: np.ndarray
    range_max_m: np.ndarray
    t_blk_s: np.ndarray
    t_bmax_s: np.ndarray
    cos_all: np.ndarray
    sin_all: np.ndarray
    rot: np.ndarray
    sec_dr_m: np.ndarray
    sec_dh_m: np.ndarray
    sec_dt_s: np.ndarray
    sec_defl_rad: np.ndarray
    dt_low_s: np.ndarray
    sub_u: np.ndarray
    sub_rho_rad: np.ndarray
    sub_hmin_m: np.ndarray
    sub_hmax_m: np.ndarray
    sub_cos_rho: np.ndarray
    sub_sin_rho: np.ndarray
    t_suf_s: np.ndarray
    tab_t: np.ndarray
    t_suf_step_s: np.ndarray


_BLK = 16
_SUBL = CHUNK // SUB  # samples per sub-chunk
_BMX = 6  # nodes per block side of the latest-arrival blocks (the all-feasible chunk test)


@njit(cache=True, inline="always")
def vrel_ecef(smp, i, m):
    """Earth-relative velocity of sample m of trajectory i in ECEF axes, m/s:
    Rz(−ωt)(v − ω ẑ × r), from the ECI samples."""
    r, v = smp.r_eci_m, smp.v_eci_mps
    th = smp.omega_rad_s * smp.t_s[i, m]
    c, s = math.cos(th), math.sin(th)
    vx = v[i, m, 0] + smp.omega_rad_s * r[i, m, 1]
    vy = v[i, m, 1] - smp.omega_rad_s * r[i, m, 0]
    return c * vx + s * vy, -s * vx + c * vy, v[i, m, 2]


@njit(cache=True, inline="always")
def _site_range(reach, s, ca):
    """Ground range (m) from site s to a point whose central angle from it has cosine ca (clamped)."""
    if ca > 1.0:
        ca = 1.0
    elif ca < -1.0:
        ca = -1.0
    return math.acos(ca) * reach.site_r_m[s]


@njit(cache=True, inline="always")
def _sector_dt(reach, q, s, rng, h, ux, uy, uz):
    """The rotating table q's sector correction (s) at range rng, altitude h and the azimuth from site
    s to the point of unit vector (ux, uy, uz)."""
    return sector_correction(rng, h, azimuth_from(ux, uy, uz, reach.site_u[s]), reach.sec_dr_m[q],
                             reach.sec_dh_m[q], reach.sec_dt_s[q], reach.sec_defl_rad[q])


@njit(cache=True, inline="always")
def reach_lookup(reach, q, s, ux, uy, uz, ca, h):
    """Earliest arrival from site s of pair table q at a sample at altitude h, unit vector (ux, uy, uz)
    (ECEF), whose central angle from the site has cosine ca: (T, speed, cos γ, sin γ, reach margin)
    bilinear in (ground range, altitude) (``_lookup4``), plus on the rotating Earth the sector
    correction at the azimuth from the site to the sample; T = inf where the table does not reach;
    the reach margin is the interpolated corner reachability minus 1/2 (-inf without magnitude:
    outside the grid, or the sectors do not reach). ``table_interior`` reads T alone the same way."""
    rng = _site_range(reach, s, ca)
    qb = reach.base[q]
    Tr, Vi, cg, sg, w = _lookup4(rng, h, reach.dr_m[qb], reach.dh_m[qb], reach.tab[qb])
    if reach.rot[q] and Tr < math.inf:
        Tr += _sector_dt(reach, q, s, rng, h, ux, uy, uz)
        if Tr == math.inf:  # the sectors do not reach: no magnitude
            w = -math.inf
    return Tr, Vi, cg, sg, w - 0.5


# table_classify, _bound_core, table_sample_ub and table_interior are compiled apart, not inlined into
# the scanner at the IR level (inline="always"): that took the kernel's compile from 25 to 50 s (the
# first run of `make demo` pays it) for no measured speed; rows bit-identical (docs/VALIDATION.md).
@njit(cache=True)
def table_classify(reach, smp, prs, p, i, m, tl, ws):
    """The checks at one sample under the fly-out table model (windows.py, ``classify``)."""
    h = smp.alt_m[i, m]
    m_lo = h - prs.min_alt_m[p]
    m_hi = prs.max_alt_m[p] - h
    nan = math.nan
    if m_lo < 0.0:
        return R_BELOW, math.inf, nan, nan, nan, m_lo, m_hi, nan, nan, nan, nan
    if m_hi < 0.0:
        return R_ABOVE, math.inf, nan, nan, nan, m_lo, m_hi, nan, nan, nan, nan
    q = reach.table[p]
    qb = reach.base[q]
    s = prs.site[p]
    ux, uy, uz = smp.u[i, m, 0], smp.u[i, m, 1], smp.u[i, m, 2]
    sx, sy, sz = reach.site_u[s, 0], reach.site_u[s, 1], reach.site_u[s, 2]
    ca = ux * sx + uy * sy + uz * sz
    dh = reach.dh_m[qb]
    jr = int(h / dh)
    if jr >= reach.tab.shape[1] - 1 or ca < reach.cos_row[qb, jr]:  # beyond the reachable range at this altitude
        return R_REACH, math.inf, nan, nan, nan, m_lo, m_hi, -math.inf, nan, nan, nan
    Tr, Vi, cg, sg, m_reach = reach_lookup(reach, q, s, ux, uy, uz, ca, h)
    if Tr == math.inf:
        return R_REACH, math.inf, nan, nan, nan, m_lo, m_hi, m_reach, nan, nan, nan
    tofmin = prs.min_tof_s[p]
    tof = Tr if Tr > tofmin else tofmin
    m_tof = prs.max_tof_s[p] - tof
    if m_tof < 0.0:
        return R_TOF, tof, nan, nan, nan, m_lo, m_hi, m_reach, m_tof, nan, nan
    tm = smp.t_s[i, m]
    slack = (tm - tl) - tof
    # interceptor velocity at the target point, Earth-relative, ECEF axes
    if ca > 1.0:
        ca = 1.0
    sa = math.sqrt(max(0.0, 1.0 - ca * ca))
    if sa > 1e-9:
        hx = (ux * ca - sx) / sa
        hy = (uy * ca - sy) / sa
        hz = (uz * ca - sz) / sa
    else:
        hx, hy, hz = 0.0, 0.0, 0.0
    wx, wy, wz = vrel_ecef(smp, i, m)
    dx = wx - Vi * (cg * hx + sg * ux)
    dy = wy - Vi * (cg * hy + sg * uy)
    dz = wz - Vi * (cg * hz + sg * uz)
    vc = math.sqrt(dx * dx + dy * dy + dz * dz)
    m_vc = vc - prs.min_closing_mps[p]
    vis = visible(prs, p, i, m)
    launch = tm - tof if (m_vc >= 0.0 and vis) else nan
    if slack < 0.0:
        code = R_TRACK
    elif m_vc < 0.0:
        code = R_OUTRUN
    elif not vis:
        code = R_VIS
    else:
        code = R_OK
    return code, tof, vc, launch, nan, m_lo, m_hi, m_reach, m_tof, slack, m_vc


_ACOS_C = (1.5707963050, -0.2145988016, 0.0889789874, -0.0501743046, 0.0308918810, -0.0170881256, 0.0066700901,
           -0.0012624911)
_ACOS_ERR = 1e-6  # rad: the polynomial's 2e-8 (measured 2.2e-8 on a dense grid, tests/defence) with a wide margin


@njit(cache=True, inline="always")
def acos_bracket(x):
    """(lo, hi) with lo <= acos(x) <= hi for x in [-1, 1], cheaper than ``math.acos`` (the chunk
    bounds only need a bracket): acos|x| = sqrt(1 - |x|) (a0 + a1|x| + ... + a7|x|^7) + e, |e| <= 2e-8
    (Abramowitz & Stegun 4.4.46), acos x = pi - acos|x| for x < 0; widened by _ACOS_ERR. NaN in, NaN out."""
    ax = abs(x)
    a = _ACOS_C
    q = ((((((a[7] * ax + a[6]) * ax + a[5]) * ax + a[4]) * ax + a[3]) * ax + a[2]) * ax + a[1]) * ax + a[0]
    r = math.sqrt(1.0 - ax) * q
    if x < 0.0:
        r = math.pi - r
    return r - _ACOS_ERR, r + _ACOS_ERR


@njit(cache=True)
def _bound_core(reach, smp, prs, p, i, tl, cx, cy, cz, rho, cos_rho, sin_rho, lo, hi, a, b):
    """The table model's bound over samples a..b (inclusive) of trajectory i, summarised by the unit
    centre (cx, cy, cz), angular radius rho (its cosine and sine) and altitude range [lo, hi]."""
    hmin = prs.min_alt_m[p]
    hmax = prs.max_alt_m[p]
    if hi < hmin:
        return R_BELOW, -math.inf
    if lo > hmax:
        return R_ABOVE, -math.inf
    s = prs.site[p]
    ca = reach.site_u[s, 0] * cx + reach.site_u[s, 1] * cy + reach.site_u[s, 2] * cz
    # cos(A + rho) = cos A cos rho - sin A sin rho, A the largest reachable angle (A + rho < pi)
    if reach.sin_all[p] >= 0.0 and ca < reach.cos_all[p] * cos_rho - reach.sin_all[p] * sin_rho:
        return R_REACH, -math.inf
    q = reach.table[p]
    qb = reach.base[q]
    dh = reach.dh_m[qb]
    nh = reach.tab.shape[1]
    hlo = max(lo, hmin, 0.0)
    hhi = min(hi, hmax)
    jlo = int(hlo / dh)
    if jlo >= nh - 1:
        return R_REACH, -math.inf
    jhi = min(int(hhi / dh), nh - 2)
    a_lo, a_hi = acos_bracket(max(-1.0, min(1.0, ca)))  # the centre's central angle from the site
    ang = a_lo - rho
    rng = max(ang, 0.0) * reach.site_r_m[s] * (1.0 - 1e-12)
    k = 0
    while (2 << k) <= jhi - jlo + 1:
        k += 1
    rmax = max(reach.range_max_m[qb, k, jlo], reach.range_max_m[qb, k, jhi - (1 << k) + 1])
    if rng > rmax:
        return R_REACH, -math.inf
    ib = min(int(rng / reach.dr_m[qb]), reach.t_blk_s.shape[1] - 1)
    tmin = math.inf
    for jb in range(jlo // _BLK, jhi // _BLK + 1):
        v = reach.t_blk_s[qb, ib, jb]
        if v < tmin:
            tmin = v
    if tmin == math.inf:
        return R_REACH, -math.inf
    tof_lb = max(tmin + reach.dt_low_s[q], prs.min_tof_s[p])
    if tof_lb > prs.max_tof_s[p]:
        return R_TOF, -math.inf
    ubl = smp.t_s[i, b] - tof_lb
    # every sample feasible? In the band, no closing-speed floor or engagement radar, non-rotating
    # table, every table node the chunk's lookups can read finite, and the latest of them (bilinear
    # never exceeds its corners) within the flight-time limit and the timeline at the chunk's first sample.
    # Only tried when t_a - tl >= tof_lb: the test needs t_a - tl >= tof_ub (the same float), and
    # tof_ub >= tof_lb (the node at range cell ib, row jlo = int(lo / dh) is in both the earliest- and
    # the latest-arrival blocks; dt_low = 0 without sectors). (Not trying it is always valid: kind -1
    # proves less.)
    if (smp.t_s[i, a] - tl >= tof_lb and lo >= hmin and hi <= hmax and lo >= 0.0 and prs.min_closing_mps[p] <= 0.0
            and prs.vis_index[p] < 0 and not reach.rot[q]):
        r_hi = (a_hi + rho) * reach.site_r_m[s] * (1.0 + 1e-12) + 1.0
        r_lo = max(rng - 1.0, 0.0)
        dr = reach.dr_m[qb]
        i1 = int(r_hi / dr) + 1
        j1 = int(hi / dh) + 1
        if i1 <= reach.tab.shape[2] - 1 and j1 <= nh - 1:
            tmax = -math.inf
            for ib in range(int(r_lo / dr) // _BMX, i1 // _BMX + 1):
                for jb in range(int(lo / dh) // _BMX, j1 // _BMX + 1):
                    v = reach.t_bmax_s[qb, ib, jb]
                    if v > tmax:
                        tmax = v
            tof_ub = max(tmax, prs.min_tof_s[p]) + 1e-6  # + rounding of the bilinear weights
            if tof_ub <= prs.max_tof_s[p] and (smp.t_s[i, a] - tl) - tof_ub >= 0.0:
                return KIND_ALL_OK, ubl
    return -1, ubl


@njit(cache=True, inline="always")
def table_bound(reach, smp, prs, p, i, c, tl):
    """Chunk bound of the table model (windows.py, ``bound``): altitude band, largest reachable range
    over the chunk's altitudes, earliest arrival over its ranges and altitudes (``_bound_core``)."""
    a = c * CHUNK
    return _bound_core(reach, smp, prs, p, i, tl, smp.ch_u[i, c, 0], smp.ch_u[i, c, 1], smp.ch_u[i, c, 2],
                       smp.ch_rho_rad[i, c], smp.ch_cos_rho[i, c], smp.ch_sin_rho[i, c], smp.ch_hmin_m[i, c],
                       smp.ch_hmax_m[i, c], a, min(a + CHUNK, smp.n[i]) - 1)


@njit(cache=True, inline="always")
def table_sub_bound(reach, smp, prs, p, i, f, tl):
    """The same bound over the sub-chunk f of CHUNK // SUB samples (windows.scan_pair_sub), from the
    sub-chunk summaries in the model record (``sub_*``)."""
    a = f * _SUBL
    return _bound_core(reach, smp, prs, p, i, tl, reach.sub_u[i, f, 0], reach.sub_u[i, f, 1], reach.sub_u[i, f, 2],
                       reach.sub_rho_rad[i, f], reach.sub_cos_rho[i, f], reach.sub_sin_rho[i, f],
                       reach.sub_hmin_m[i, f], reach.sub_hmax_m[i, f], a, min(a + _SUBL, smp.n[i]) - 1)


@njit(cache=True)
def table_sample_ub(reach, smp, prs, p, i, m, tl, lt=-math.inf):
    """Upper bound on the latest launch at sample m (windows.scan_pair_sub, ``sample_ub``), without an
    arc cosine. The central angle θ is at least c + c³/24, c = sqrt(2 - 2 cos θ) the chord
    (θ = 2 asin(c/2), asin y >= y + y³/6), so the lookup's range r is at least that arc's r_lb. With
    A_i the smaller arrival of rows j and j + 1 at range node i: where the four corners of the cell
    are finite the bilinear value is at least (1 - f) A_i + f A_(i+1) at r's fraction f, a linear
    function whose smallest value over [r_lb, end of cell] is at an end; beyond the cell every value
    is at least the suffix minimum S_(i+1) of A; where a corner is not finite the lookup averages the
    finite ones, at least S_i. ``t_suf_s`` holds (A_i, or _U16_NONE where a row at node i is not finite,
    S_i) as uint16 codes rounded down (``_u16_down``: steps of 1/64 s for a table within 1,024 s; 1.9 MB
    for a 600 x 800 grid, half the float32 pairs', so a sample misses the cache less often); the result
    is lowered by the sector correction's floor and a rounding margin.
    First the coarser S'_i = ``t_blk_s`` at node i and row block j // _BLK (rows j, j + 1 are in it: S'_i <= S_i,
    a cached 0.25 MB array): when that bound is already at or below lt (the latest launch the scanner
    has), it is returned and ``t_suf_s`` (a cache miss per sample) is not read."""
    h = smp.alt_m[i, m]
    if h < prs.min_alt_m[p] or h > prs.max_alt_m[p] or not h >= 0.0:
        return -math.inf
    q = reach.table[p]
    qb = reach.base[q]
    s = prs.site[p]
    ca = smp.u[i, m, 0] * reach.site_u[s, 0] + smp.u[i, m, 1] * reach.site_u[s, 1] + smp.u[i, m, 2] * reach.site_u[s, 2]
    c = math.sqrt(max(0.0, 2.0 - 2.0 * min(ca, 1.0)))
    x = (c + c * c * c * (1.0 / 24.0)) * reach.site_r_m[s] * (1.0 - 1e-9) / reach.dr_m[qb]
    nh = reach.t_suf_s.shape[1]
    nr = reach.t_suf_s.shape[2]
    j = int(h / reach.dh_m[qb])
    if j >= nh - 1 or not x < nr - 1:
        return -math.inf  # outside the grid: no launch
    ii = int(x)
    tc = max((reach.t_blk_s[qb, ii, j // _BLK] + reach.dt_low_s[q]) * (1.0 - 1e-12) - 1e-9, prs.min_tof_s[p])
    if not smp.t_s[i, m] - tc > lt:
        return smp.t_s[i, m] - tc
    step = reach.t_suf_step_s[qb]
    c0 = reach.t_suf_s[qb, j, ii, 0]
    c1 = reach.t_suf_s[qb, j, ii + 1, 0]
    if c0 == _U16_NONE or c1 == _U16_NONE:
        tlo = float(reach.t_suf_s[qb, j, ii, 1]) * step
    else:
        f = x - ii
        tlo = min(((1.0 - f) * float(c0) + f * float(c1)) * step, float(reach.t_suf_s[qb, j, ii + 1, 1]) * step)
    tof_lb = max((tlo + reach.dt_low_s[q]) * (1.0 - 1e-12) - 1e-9, prs.min_tof_s[p])  # - rounding
    return smp.t_s[i, m] - tof_lb


@njit(cache=True)
def table_interior(reach, smp, prs, p, i, m, tl):
    """(launch_s, aux) at a sample of a chunk whose every sample is feasible (windows.py, ``interior``):
    the same arithmetic as :func:`table_classify`, without the margins and the closing speed."""
    h = smp.alt_m[i, m]
    q = reach.table[p]
    s = prs.site[p]
    ux, uy, uz = smp.u[i, m, 0], smp.u[i, m, 1], smp.u[i, m, 2]
    sx, sy, sz = reach.site_u[s, 0], reach.site_u[s, 1], reach.site_u[s, 2]
    ca = ux * sx + uy * sy + uz * sz
    rng = _site_range(reach, s, ca)  # reach_lookup's arithmetic for T alone
    qb = reach.base[q]
    Tr = _lookup_t(rng, h, reach.dr_m[qb], reach.dh_m[qb], reach.tab_t[qb])
    if reach.rot[q] and Tr < math.inf:
        Tr += _sector_dt(reach, q, s, rng, h, ux, uy, uz)
    tofmin = prs.min_tof_s[p]
    tof = Tr if Tr > tofmin else tofmin
    return smp.t_s[i, m] - tof, math.nan


@njit(cache=True, inline="always")
def table_pair_out(reach, smp, prs, p, out, kind):
    """The whole pair p below, above or out of reach: when every chunk's bound is decisive with kind
    <= R_REACH, write the scanner's row for p and return True, else False (then nothing is written
    to out). kind: scratch of at least C ints: the chunks' kinds, left there on False for the scanner
    (``windows.scan_pair_sub``'s ``known``: each one proven, or -1).

    The chunk bound is ``table_bound``'s: first its cheap tests (altitude band, the pair's largest
    reachable angle at any altitude) on every chunk, then its full bound on the chunks they leave
    open, the one nearest the site first (a pair in reach fails there at once). The row is the one
    :func:`windows.scan_pair_sub` writes for such a pair: no sample passes the altitude and reach
    checks, so it is infeasible, with no launch time, shot or ``aux``; its reason is the largest
    code of a sample, found as the scanner's furthest-reason pass finds it (chunks in order while
    their kind could exceed the largest code seen), each code read from the altitude alone: a chunk
    of kind k proves every code <= k, and a sample in the band has a code >= R_REACH, so within a
    chunk of kind R_REACH it is R_REACH, and the band checks give R_BELOW and R_ABOVE. A sample whose
    altitude is not a number leaves the pair to the scanner."""
    i = prs.traj[p]
    n = smp.n[i]
    tl = prs.t_launch_s[p]
    if not math.isfinite(tl):
        tl = math.inf
    C = (n + CHUNK - 1) // CHUNK
    hmin = prs.min_alt_m[p]
    hmax = prs.max_alt_m[p]
    s = prs.site[p]
    sx, sy, sz = reach.site_u[s, 0], reach.site_u[s, 1], reach.site_u[s, 2]
    cos_a, sin_a = reach.cos_all[p], reach.sin_all[p]
    near, ca_near = -1, -math.inf
    for c in range(C):  # _bound_core's first tests
        if smp.ch_hmax_m[i, c] < hmin:
            kind[c] = R_BELOW
            continue
        if smp.ch_hmin_m[i, c] > hmax:
            kind[c] = R_ABOVE
            continue
        ca = sx * smp.ch_u[i, c, 0] + sy * smp.ch_u[i, c, 1] + sz * smp.ch_u[i, c, 2]
        if sin_a >= 0.0 and ca < cos_a * smp.ch_cos_rho[i, c] - sin_a * smp.ch_sin_rho[i, c]:
            kind[c] = R_REACH
            continue
        kind[c] = -1
        if not ca <= ca_near:
            near, ca_near = c, ca
    if near >= 0:
        for j in range(-1, C):
            c = near if j < 0 else j
            if kind[c] == -1:
                k, u = table_bound(reach, smp, prs, p, i, c, tl)
                kind[c] = k
                if k < 0 or k > R_REACH:
                    return False
    best = -1
    c = 0
    while c < C and best < R_REACH:
        k = kind[c]
        m = c * CHUNK
        end = min(m + CHUNK, n)
        while m < end and best < k:
            h = smp.alt_m[i, m]
            if math.isnan(h):
                return False
            code = R_BELOW if h < hmin else (R_ABOVE if h > hmax else R_REACH)
            if code > best:
                best = code
            m += 1
        c += 1
    out[p, C_FEAS] = 0.0
    out[p, C_REASON] = max(best, 0)
    for k in range(C_FIRST, C_DURATION):
        out[p, k] = math.nan
    out[p, C_DURATION] = 0.0
    out[p, C_SHOTS] = 0.0
    out[p, C_LATEST] = math.nan
    out[p, C_AUX] = math.nan
    return True


@njit(cache=True, _nrt=False)
def _table_pairs(reach, smp, prs, p0, p1, out, pruned, kind, ub, done, order, ws, st):
    """Pairs p0..p1-1 with one set of scratch; compiled without reference counting (windows.scan_pair_sub).
    A pair proven out of the band or reach as a whole (:func:`table_pair_out`) skips the scanner; for the
    others the scanner takes the chunk kinds that pass proved (``known``)."""
    for p in range(p0, p1):
        if pruned and table_pair_out(reach, smp, prs, p, out, kind):
            continue
        scan_pair_sub(table_classify, table_bound, table_interior, table_sub_bound, table_sample_ub, SUB, reach, smp, prs,
                      p, out, pruned, kind, ub, done, order, ws, st, known=pruned, seed=True)


_PAIR_BLOCK = 64
"""Pairs per task of the parallel loop (one scratch allocation each)."""


@njit(parallel=True, cache=True)
def table_kernel(reach, smp, prs, out, pruned=True):
    """Windows of every pair under the fly-out table model: out (P, N_OUT). ``pruned=False``: no chunk
    bounds (every sample classified), the pruning's test reference. Blocks of pairs are dealt to the
    two halves of the parallel range alternately (even blocks first), so that each thread gets
    blocks from the whole pair list (load balance) and consecutive pairs of a block share a
    trajectory (cache)."""
    P = prs.traj.shape[0]
    C = (smp.t_s.shape[1] + CHUNK - 1) // CHUNK
    nb = (P + _PAIR_BLOCK - 1) // _PAIR_BLOCK
    half = (nb + 1) // 2
    for b in prange(nb):
        blk = 2 * b if b < half else 2 * (b - half) + 1
        kind, ub, done, order, ws, st = scratch(C * (SUB + 1))
        _table_pairs(reach, smp, prs, blk * _PAIR_BLOCK, min(P, (blk + 1) * _PAIR_BLOCK), out, pruned,
                     kind, ub, done, order, ws, st)


@dataclass
class Geometry:
    """Per-trajectory geometry computed once: unit vectors of the Earth-fixed positions, altitudes,
    and the chunk summaries of the window scanner (``windows.Samples``)."""

    threats: Threats
    u: np.ndarray
    alt: np.ndarray
    chunks: tuple
    sub_chunks: tuple = ()

    def samples(self) -> Samples:
        """The scanner's per-trajectory record."""
        th = self.threats
        return Samples(np.ascontiguousarray(th.t_s), th.n_samples.astype(np.int64), self.alt, self.u,
                       float(th.earth.omega_rad_s),
                       np.ascontiguousarray(th.r_eci_m), np.ascontiguousarray(th.v_eci_mps), *self.chunks)


def prepare(threats: Threats) -> Geometry:
    """The per-sample geometry and chunk summaries of every trajectory, in one compiled pass."""
    N, M = threats.t_s.shape
    e = threats.earth
    u = np.zeros((N, M, 3))
    alt = np.empty((N, M))  # -1 past each trajectory's samples (_prepare)
    n = threats.n_samples.astype(np.int64)
    ch, sub = summary_arrays(N, M, CHUNK), summary_arrays(N, M, CHUNK // SUB)
    _prepare(np.ascontiguousarray(threats.t_s), np.ascontiguousarray(threats.r_eci_m), n, e.omega_rad_s, e.a_m,
             e.b_m, u, alt, ch, sub, CHUNK, CHUNK // SUB)
    return Geometry(threats, u, alt, with_trig(ch), with_trig(sub))


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


@njit(cache=True)
def _interleave(t, v, cg, sg, out):
    """out (NH, NR, 4) = [t, v, cos γ, sin γ] from arrays (nh, nr) by altitude rows (the tables'
    transposes, so both sides are read and written in order); inf/0 beyond the table's own grid."""
    b, a = t.shape
    for j in range(out.shape[0]):
        for i in range(out.shape[1]):
            if i < a and j < b:
                out[j, i, 0] = t[j, i]
                out[j, i, 1] = v[j, i]
                out[j, i, 2] = cg[j, i]
                out[j, i, 3] = sg[j, i]
            else:
                out[j, i, 0] = math.inf
                out[j, i, 1] = 0.0
                out[j, i, 2] = 0.0
                out[j, i, 3] = 0.0


@njit(cache=True, inline="always")
def _f32_down(x):
    """A float32 at or below x (x >= 0, inf or -1: a lower bound stays one)."""
    y = np.float32(x * (1.0 - 2.0 ** -22))  # float32 rounding moves at most 2^-24 relative
    if y > x:
        y = np.float32(x * (1.0 - 2.0 ** -20))
    return y


@njit(cache=True, inline="always")
def _arrival(tT, i, j):
    """Arrival time at node (range i, altitude j) of a transposed table tT (nh, nr), inf beyond its grid."""
    return tT[j, i] if (j < tT.shape[0] and i < tT.shape[1]) else math.inf


@njit(cache=True)
def _table_bounds(t, last, tblk, tsuf, tbmax):
    """The bound arrays of one base table from its arrival times transposed, t (nh_t, nr_t) (altitude
    rows, read in order), on the stacked grid (nr, nh) (inf beyond t's own grid), see
    :class:`TableReach`: last (nh,) per altitude row the last range node with a finite arrival
    (-1: none); tblk (nr, nh // _BLK + 1) t_blk_s; tsuf (nh, nr, 2) t_suf_s as float32 (``_u16_down``
    codes it); tbmax (⌈nr/_BMX⌉, ⌈nh/_BMX⌉) t_bmax_s."""
    nh = tsuf.shape[0]
    nr = tblk.shape[0]
    for j in range(nh):
        lj = -1
        for i in range(nr - 1, -1, -1):
            if _arrival(t, i, j) < math.inf:
                lj = i
                break
        last[j] = lj
    # earliest arrival over ranges >= i and rows [J·B, J·B + B] (suffix minima, B = _BLK)
    for jb in range(tblk.shape[1]):
        run = np.full(_BLK + 1, math.inf)
        for i in range(nr - 1, -1, -1):
            m = math.inf
            for jj in range(_BLK + 1):
                j = jb * _BLK + jj
                if j < nh:
                    v = _arrival(t, i, j)
                    if v < run[jj]:
                        run[jj] = v
                    if run[jj] < m:
                        m = run[jj]
            tblk[i, jb] = m
    # (A, S) of table_sample_ub per row pair (j, j + 1)
    for j in range(nh - 1):
        run = math.inf
        for i in range(nr - 1, -1, -1):
            a0, a1 = _arrival(t, i, j), _arrival(t, i, j + 1)
            m = a0 if a0 < a1 else a1
            if m < run:
                run = m
            tsuf[j, i, 0] = _f32_down(m) if (a0 < math.inf and a1 < math.inf) else np.float32(-1.0)
            tsuf[j, i, 1] = _f32_down(run)
    for i in range(nr):
        tsuf[nh - 1, i, 0] = np.float32(-1.0)
        tsuf[nh - 1, i, 1] = np.float32(-1.0)
    # latest arrival per block of _BMX x _BMX nodes (inf if any is unreachable or off the grid)
    for ib in range(tbmax.shape[0]):
        for jb in range(tbmax.shape[1]):
            m = -math.inf
            for i in range(ib * _BMX, ib * _BMX + _BMX):
                for j in range(jb * _BMX, jb * _BMX + _BMX):
                    v = _arrival(t, i, j) if (i < nr and j < nh) else math.inf
                    if v > m:
                        m = v
            tbmax[ib, jb] = m


_U16_NONE = 65535
"""``t_suf_s`` code of A where a row at the node is not finite (``_u16_down`` of -1)."""
_U16_TOP = 65534
"""The largest ``t_suf_s`` value code: +inf (no reachable node at or beyond)."""


def _u16_down(x: np.ndarray) -> tuple:
    """(codes, step): uint16 codes ⌊x/δ⌋ of the values x >= 0, so that code · δ <= x < code · δ + δ, with
    δ = 2^⌈log2(x_max / 65000)⌉ (x_max the largest finite x, at least 1; a power of two, so x/δ and
    code · δ are exact): +inf as _U16_TOP (above every finite value's code: a lower bound still),
    negative x (-1: not finite) as _U16_NONE. Codes in an array aligned as ``_aligned_empty``'s."""
    fin = x[np.isfinite(x) & (x >= 0)]
    step = 2.0 ** np.ceil(np.log2(max(float(fin.max()) if fin.size else 1.0, 1.0) / 65000.0))
    code = np.where(np.isfinite(x), np.floor(np.maximum(x, 0.0) / step), _U16_TOP)
    out = _aligned_empty(x.shape, np.uint16)
    out[:] = np.where(x < 0, _U16_NONE, np.minimum(code, _U16_TOP))
    return out, float(step)


def _aligned_empty(shape: tuple, dtype=np.float64) -> np.ndarray:
    """An empty C-contiguous array whose data starts on a 64-byte cache line: a table row of nodes (i, i + 1)
    of ``tab`` (32 bytes a node, rows a whole number of lines) then spans one line at even i, not two at
    every i (a lookup reads 3 lines on average, not 4)."""
    dt = np.dtype(dtype)
    n = int(np.prod(shape))
    buf = np.empty(n + 64 // dt.itemsize, dtype=dt)
    off = (-buf.ctypes.data % 64) // dt.itemsize
    return buf[off:off + n].reshape(shape)


_PACK_KEEP = 4
"""Base tables whose packed arrays (:func:`_base_pack`, ~20 MB each for a 600 x 800 grid) are kept."""
_PACKS: dict = {}


def _base_pack(tb: FlyoutTable, nr: int, nh: int, b_m: float) -> tuple:
    """One base table's arrays of :class:`TableReach` on the stacked grid (nr, nh): (tab, cos_row,
    range_max_m, t_blk_s, t_suf_s, t_bmax_s, tab_t, t_suf_step_s), each without the leading table axis.
    Kept for the last ``_PACK_KEEP`` (table, grid) pairs (a table is immutable; the cache holds a weak reference, so an
    entry never outlives its table or answers for another object at the same address)."""
    key = (id(tb), nr, nh, b_m)
    hit = _PACKS.pop(key, None)
    if hit is not None and hit[0]() is tb:
        _PACKS[key] = hit  # most recent last
        return hit[1]
    tr = lambda x: np.ascontiguousarray(np.asarray(x, dtype=float).T)  # noqa: E731 (altitude rows)
    t = tr(tb.t_s)
    tab = _aligned_empty((nh, nr, 4))  # interleaved [t, speed, cos γ, sin γ] by altitude rows
    _interleave(t, tr(tb.speed_mps), tr(np.cos(tb.fpa_rad)), tr(np.sin(tb.fpa_rad)), tab)
    last = np.empty(nh, dtype=np.int64)
    tblk = np.empty((nr, nh // _BLK + 1))
    tsuf = np.empty((nh, nr, 2), np.float32)
    tbmax = np.empty((-(-nr // _BMX), -(-nh // _BMX)))
    _table_bounds(t, last, tblk, tsuf, tbmax)
    tsuf, tsuf_step = _u16_down(tsuf)
    # per altitude row: the largest reachable range (rows j and j+1, one cell of margin): a lookup
    # at a larger range is inf. As a cosine of the central angle on the smallest Earth radius
    # (per-sample test) and as a sparse table of range maxima over row spans (chunk test).
    levels = max(1, int(np.ceil(np.log2(nh))) + 1)
    both = np.maximum(last, np.append(last[1:], -1))
    rng = np.where(both >= 0, (both + 2) * tb.dr_m, -1.0)
    ang = rng / (0.99 * b_m)
    row = np.where(both >= 0, np.cos(np.minimum(ang, np.pi)), 2.0)
    rmax = np.empty((levels, nh))
    rmax[0] = rng
    for lv in range(1, levels):
        w = 1 << (lv - 1)
        rmax[lv] = rmax[lv - 1]
        rmax[lv, :nh - w] = np.maximum(rmax[lv - 1, :nh - w], rmax[lv - 1, w:])
    tt = _aligned_empty((nh, nr))
    tt[:] = tab[:, :, 0]
    pack = (tab, row, rmax, tblk, tsuf, tbmax, tt, tsuf_step)  # not marked read-only: numba would compile anew for that type
    _PACKS[key] = (weakref.ref(tb), pack)
    while len(_PACKS) > _PACK_KEEP:
        del _PACKS[next(iter(_PACKS))]
    return pack


def table_reach(tables: list, table_of_pair: np.ndarray, site_of_pair: np.ndarray,
                sites_lla: np.ndarray, earth: EarthModel, sub_chunks: tuple) -> TableReach:
    """The table model's record: tables stacked and interleaved, with their chunk bounds. ``tables``:
    FlyoutTable (non-rotating) or RotatingTable (its base plus the sector correction at the
    site-to-sample arrival azimuth; built for the latitude of the pairs' site). sub_chunks: the
    trajectories' sub-chunk summaries (``Geometry.sub_chunks``)."""
    rot_tabs = [tb if isinstance(tb, RotatingTable) else None for tb in tables]
    bases = [tb.base if isinstance(tb, RotatingTable) else tb for tb in tables]
    # one stacked copy per distinct base table (rotating tables of one booster share theirs)
    first: dict = {}
    base_of = np.array([first.setdefault(id(tb), len(first)) for tb in bases], dtype=np.int64)
    n_tab = len(tables)
    tables = list({id(tb): tb for tb in bases}.values())  # the distinct bases, in base_of's order
    shp = next((r.dt_s.shape for r in rot_tabs if r is not None), (1, 2, 2))
    sec_dt = np.zeros((n_tab,) + shp)
    sec_df = np.zeros((n_tab,) + shp)
    sec_dr, sec_dh = np.ones(n_tab), np.ones(n_tab)
    rot, dt_low = np.zeros(n_tab, dtype=np.bool_), np.zeros(n_tab)
    for k, r in enumerate(rot_tabs):
        if r is not None:
            sec_dt[k], sec_df[k], sec_dr[k], sec_dh[k], rot[k] = r.dt_s, r.defl_rad, r.dr_m, r.dh_m, True
            fin = r.dt_s[np.isfinite(r.dt_s)]
            if fin.size:  # cubic Lagrange in azimuth may overshoot its nodes: twice their spread below
                dt_low[k] = min(0.0, fin.min() - 2.0 * (fin.max() - fin.min()))
    sll = np.atleast_2d(np.asarray(sites_lla, float))
    s_ecef = geodetic_to_ecef(sll[:, 0], sll[:, 1], sll[:, 2], earth)
    s_r = np.linalg.norm(s_ecef, axis=-1)
    s_u = s_ecef / s_r[:, None]
    nr = max(t.t_s.shape[0] for t in tables)
    nh = max(t.t_s.shape[1] for t in tables)
    packs = [_base_pack(tb, nr, nh, earth.b_m) for tb in tables]

    def stack(xs):  # one table: its pack's arrays as views (no copy of its ~15 MB interleaved nodes); aligned
        if len(xs) == 1:
            return xs[0][None]
        return np.stack(xs, out=_aligned_empty((len(xs),) + xs[0].shape, xs[0].dtype))

    TAB, ROW, RMAX, TB, TS, TBX, TT = (stack([pk[f] for pk in packs]) for f in range(7))
    TSTEP = np.array([pk[7] for pk in packs])
    dr = np.array([tb.dr_m for tb in tables])
    dh = np.array([tb.dh_m for tb in tables])
    q = np.ascontiguousarray(table_of_pair, dtype=np.int64)
    # per pair: the largest reachable central angle at any altitude (sin < 0 flags "no test": >= pi)
    ang = RMAX[base_of[q], -1, 0] / s_r[site_of_pair] * (1.0 + 1e-9) if len(q) else np.zeros(0)
    cos_all = np.ascontiguousarray(np.cos(np.minimum(ang, np.pi)))
    sin_all = np.ascontiguousarray(np.where(ang < np.pi, np.sin(np.minimum(ang, np.pi)), -1.0))
    su, srho, shmin, shmax, _srmin, scos, ssin = sub_chunks
    return TableReach(q, base_of, s_u, s_r, TAB, dr, dh, ROW, RMAX, TB, TBX, cos_all, sin_all, rot, sec_dr, sec_dh, sec_dt, sec_df,
                      dt_low, su, srho, shmin, shmax, scos, ssin, TS, TT, TSTEP)


def pairs_record(spec: "PairSpec", vis_stack: np.ndarray | None) -> Pairs:
    """The scanner's per-pair record from a :class:`PairSpec` (scalars broadcast)."""
    P = spec.traj.shape[0]
    f = lambda a: np.ascontiguousarray(np.broadcast_to(np.asarray(a, float), (P,)))  # noqa: E731
    vis = vis_stack if vis_stack is not None else np.zeros((1, 1, 1), dtype=np.bool_)
    pv = spec.vis if spec.vis is not None else np.full(P, -1, dtype=np.int64)
    return Pairs(np.ascontiguousarray(spec.traj, dtype=np.int64), np.ascontiguousarray(spec.site, dtype=np.int64),
                 f(spec.t_launch_s), f(spec.min_alt_m), f(spec.max_alt_m), f(spec.min_tof_s), f(spec.max_tof_s),
                 f(spec.min_closing_mps), f(spec.kill_assessment_s), np.ascontiguousarray(pv, dtype=np.int64),
                 np.ascontiguousarray(vis, dtype=np.bool_))


def solve_windows(geo: Geometry, sites_lla: np.ndarray, tables: list, spec: PairSpec,
                  vis_stack: np.ndarray | None = None, pruned: bool = True, reach: TableReach | None = None) -> Windows:
    """Run the table model over all pairs; sites_lla (S, 3) lat_deg, lon_deg, alt_m.

    ``pruned=False`` classifies every sample (no chunk bounds): the reference of the pruning.
    ``reach``: the model record :func:`table_reach` gives for these arguments, when the caller has it."""
    if reach is None:
        reach = table_reach(tables, spec.table, np.asarray(spec.site, dtype=np.int64), sites_lla, geo.threats.earth,
                            geo.sub_chunks)
    prs = pairs_record(spec, vis_stack)
    out = np.zeros((prs.traj.shape[0], N_OUT))
    table_kernel(reach, geo.samples(), prs, out, pruned)
    return windows_from(out, geo, spec.traj)


@njit(cache=True, inline="always")
def geodetic_closed(x, y, z, a, f):
    """ECEF position (m) to (lat_deg, lon_deg, height_m) in closed form (Vermeille 2004, J. Geodesy
    78:94, valid outside the evolute, i.e. farther than ~43 km from the Earth's centre):
    p = (x² + y²)/a², q = (1 − e²) z²/a², r = (p + q − e⁴)/6, s = e⁴pq/(4r³),
    t = ∛(1 + s + √(s(2 + s))), u = r(1 + t + 1/t), v = √(u² + e⁴q), w = e²(u + v − q)/(2v),
    k = √(u + v + w²) − w, D = k√(x² + y²)/(k + e²); φ = 2 atan2(z, D + √(D² + z²)),
    h = (k + e² − 1)/k · √(D² + z²). For the sphere (f = 0), geocentric coordinates."""
    lon = math.degrees(math.atan2(y, x))
    rho = math.sqrt(x * x + y * y)
    if f == 0.0:
        return math.degrees(math.atan2(z, rho)), lon, math.sqrt(rho * rho + z * z) - a
    e2 = f * (2.0 - f)
    e4 = e2 * e2
    p = rho * rho / (a * a)
    q = (1.0 - e2) * z * z / (a * a)
    r = (p + q - e4) / 6.0
    s = e4 * p * q / (4.0 * r * r * r)
    t = (1.0 + s + math.sqrt(s * (2.0 + s))) ** (1.0 / 3.0)
    u = r * (1.0 + t + 1.0 / t)
    v = math.sqrt(u * u + e4 * q)
    w = e2 * (u + v - q) / (2.0 * v)
    k = math.sqrt(u + v + w * w) - w
    d = k * rho / (k + e2)
    dz = math.sqrt(d * d + z * z)
    return math.degrees(2.0 * math.atan2(z, d + dz)), lon, (k + e2 - 1.0) / k * dz


@njit(cache=True, inline="always")
def _edge_point(out, ci, cf, t, r, k, n, omega, a, f, pt, p):
    """pt[p] = lat_deg, lon_deg, alt_km of pair p's window edge (columns ci, cf of out: sample index and
    fraction toward the next) as the point that fraction of the way between the two samples'
    Earth-fixed positions (each Rz(−ωt) r_eci, as ``_prepare``); NaN where the pair has no window.
    Geodetic coordinates in closed form (:func:`geodetic_closed`)."""
    idx = out[p, ci]
    if not (math.isfinite(idx) and idx >= 0.0):
        pt[p, 0] = pt[p, 1] = pt[p, 2] = math.nan
        return
    m0 = int(idx)
    m1 = min(m0 + 1, n[k] - 1)
    x0, y0, z0 = _ecef_at(t, r, k, m0, omega)
    x1, y1, z1 = _ecef_at(t, r, k, m1, omega)
    fr = out[p, cf]
    x = x0 + fr * (x1 - x0)
    y = y0 + fr * (y1 - y0)
    z = z0 + fr * (z1 - z0)
    pt[p, 0], pt[p, 1], pt[p, 2] = geodetic_closed(x, y, z, a, f)
    pt[p, 2] /= 1e3


@njit(parallel=True, cache=True)
def _edge_points(out, t, r, traj, n, omega, a, f, pt_first, pt_last):
    """Both window edges' points of every pair (:func:`_edge_point`), pairs in parallel."""
    for p in prange(out.shape[0]):
        k = traj[p]
        _edge_point(out, C_IDX_FIRST, C_FRAC_FIRST, t, r, k, n, omega, a, f, pt_first, p)
        _edge_point(out, C_IDX_LAST, C_FRAC_LAST, t, r, k, n, omega, a, f, pt_last, p)


_REASON_NAMES = np.array([REASONS[k] for k in range(len(REASONS))], dtype=object)


def windows_from(out: np.ndarray, geo: Geometry, traj: np.ndarray) -> Windows:
    """Turn kernel rows (P, N_COLS) into :class:`Windows`, with geodetic intercept points."""
    th = geo.threats
    e = th.earth
    t, r = np.ascontiguousarray(th.t_s), np.ascontiguousarray(th.r_eci_m)
    n, tr = th.n_samples.astype(np.int64), np.ascontiguousarray(traj, dtype=np.int64)
    pts = np.empty((out.shape[0], 3)), np.empty((out.shape[0], 3))
    _edge_points(out, t, r, tr, n, e.omega_rad_s, e.a_m, e.f, *pts)
    out = out[:, :N_COLS]
    reason = _REASON_NAMES[out[:, C_REASON].astype(np.int64)].tolist()
    return Windows(out[:, C_FEAS] > 0.5, reason, out[:, C_FIRST],
                   out[:, C_LAST], out[:, C_TOF_FIRST], out[:, C_TOF_LAST], out[:, C_VC_FIRST], out[:, C_VC_LAST],
                   out[:, C_SHOTS].astype(np.int64), out[:, C_DURATION], pts[0], pts[1], out)
