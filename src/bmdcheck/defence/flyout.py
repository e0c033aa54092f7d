"""Interceptor fly-out tables: the earliest time an interceptor can reach each (range, altitude).

Built once per interceptor (and burnout speed) with the flight core's engine: a fan of pitch-kick
angles is flown from a site (boost through the USSA76 atmosphere, then the kill vehicle coasts),
and for every cell of a (ground range, altitude) grid the table keeps the earliest arrival time,
the speed and the flight-path angle there.

Method: a fan of kicks (``kick_fan``: half uniform in angle, half where the fan's apogees move
fastest) is flown with samples every 0.5 s. For each grid altitude h, each trajectory's first
ascending and first descending crossing of h gives (range, time, speed, angle); between adjacent
kicks the crossings are joined along an arc referenced to the trajectories' apogees (offsets from
the apogee scale as √(apogee − h), which keeps the interpolation accurate up to the fan's apogee
envelope), and where a trajectory crosses h but its neighbour tops out below h, both branches are
closed at the apogee of the boundary trajectory in between (the apogee caps). Every grid range an
arc spans gets a time; the earliest arrival wins. Lookup is bilinear, on cells whose four corners
are reachable. Measured against direct integration (root-finding on the kick so that the
trajectory passes through the point): max error 0.42, 0.54 and 0.54 s for the three boosters of
docs/validation/flyout.md, over 900 points each well inside the envelopes (acceptance ≤ 1 s).

Reach depends on the steering family: full burn, 2 s vertical, a pitch kick over 4 s, then a
gravity turn. Points below the flattest (89.5° kick) trajectory are reached only on descending
branches, later; a faster booster cannot fly a slower one's low, flat trajectories, so its table
does not cover every cell the slower one does (docs/validation/flyout.md).

Frame: ``FlyoutTable`` is built on the non-rotating WGS84 Earth (J2, USSA76) from 45° N toward
azimuth 90°. ``RotatingTable`` (what the engagement uses) adds the Earth's rotation and the
direction: per site latitude, 8 launch-azimuth sectors flown on the rotating Earth, each sample
taken in the Earth-fixed frame at its own time (so a threat sample's ECEF position at time t is
compared with the interceptor's ECEF position t − t_launch after launch), stored as coarse
differences to a non-rotating twin and added to the fine base; interpolated in arrival azimuth with
the Coriolis drift. Within 0.38 s of rotating direct integration for every catalogue interceptor
(docs/validation/flyout.md, "Rotating-Earth tables").
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import njit, prange

from ..earth.constants import G0_MPS2
from ..earth.frames import ecef_to_geodetic, eci_to_ecef, geodetic_to_ecef
from ..earth.model import EarthModel
from ..errors import BmdcheckError
from ..flight.batch import fly_missile_batch
from ..flight.kernel import STATUS_BOOST_CRASH, SUM_RAPO
from ..flight.missile import Missile, Stage

TABLE_EARTH = EarthModel("wgs84", "j2", False, "ussa76")
_SITE_LAT = 45.0
_N_KICKS = 300
_KICK_MAX = 89.5  # deg: the flattest kick of the fan
_SAMPLE_S = 0.5
_N_RANGE, _N_ALT = 600, 800  # default grid: cells across the fan's range and altitude spans


@dataclass(frozen=True)
class FlyoutTable:
    """Earliest-arrival table. Arrays (n_range, n_alt): t_s (inf where unreachable), speed_mps,
    fpa_rad (flight-path angle above the local horizontal). Grid: range_m = i·dr_m, alt_m = j·dh_m.
    r_site_m: the site radius the ranges are measured on (arc length on that sphere).
    """

    name: str
    dr_m: float
    dh_m: float
    t_s: np.ndarray
    speed_mps: np.ndarray
    fpa_rad: np.ndarray
    r_site_m: float
    burnout_speed_mps: float
    burn_time_s: float
    max_flight_time_s: float

    @property
    def max_range_m(self) -> float:
        return (self.t_s.shape[0] - 1) * self.dr_m

    @property
    def max_alt_m(self) -> float:
        return (self.t_s.shape[1] - 1) * self.dh_m

    def lookup(self, range_m, alt_m):
        """Earliest arrival (t_s, speed_mps, fpa_rad) at (range_m, alt_m); arrays broadcast."""
        r, h = np.broadcast_arrays(np.asarray(range_m, float), np.asarray(alt_m, float))
        out = np.empty((3,) + r.shape)
        flat_r, flat_h = r.ravel(), h.ravel()
        res = np.empty((3, flat_r.size))
        _lookup_many(flat_r, flat_h, self.dr_m, self.dh_m, self.t_s, self.speed_mps, self.fpa_rad, res)
        out[:] = res.reshape((3,) + r.shape)
        return out[0], out[1], out[2]

    def __repr__(self) -> str:
        reach = np.isfinite(self.t_s)
        return (f"FlyoutTable({self.name!r}, burnout {self.burnout_speed_mps:,.0f} m/s, reach "
                f"{self.max_range_m / 1e3:,.0f} km × {self.max_alt_m / 1e3:,.0f} km, "
                f"{reach.sum():,} reachable cells of {reach.size:,})")


@njit(cache=True, inline="always")
def bilinear_cell(r, h, dr, dh, nr, nh):
    """Cell (i, j) and bilinear weights (w00, w10, w01, w11) of (r, h) on a grid of spacing (dr, dh)
    with (nr, nh) nodes; i = -1 when (r, h) is outside the grid."""
    if r < 0.0 or h < 0.0:
        return -1, 0, 0.0, 0.0, 0.0, 0.0
    x = r / dr
    y = h / dh
    i = int(x)
    j = int(y)
    if i >= nr - 1 or j >= nh - 1:
        return -1, 0, 0.0, 0.0, 0.0, 0.0
    fx = x - i
    fy = y - j
    return i, j, (1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy


@njit(cache=True, inline="always")
def table_lookup(r, h, dr, dh, T, V, G):
    """Bilinear lookup of (t, speed, fpa) at range r, altitude h (m); (inf, 0, 0) if unreachable.

    A cell is used only when all four corners are reachable (conservative at the envelope edge).
    """
    i, j, w00, w10, w01, w11 = bilinear_cell(r, h, dr, dh, T.shape[0], T.shape[1])
    if i < 0:
        return math.inf, 0.0, 0.0
    t00 = T[i, j]
    t10 = T[i + 1, j]
    t01 = T[i, j + 1]
    t11 = T[i + 1, j + 1]
    if t00 == math.inf or t10 == math.inf or t01 == math.inf or t11 == math.inf:
        return math.inf, 0.0, 0.0
    t = w00 * t00 + w10 * t10 + w01 * t01 + w11 * t11
    v = w00 * V[i, j] + w10 * V[i + 1, j] + w01 * V[i, j + 1] + w11 * V[i + 1, j + 1]
    g = w00 * G[i, j] + w10 * G[i + 1, j] + w01 * G[i, j + 1] + w11 * G[i + 1, j + 1]
    return t, v, g


@njit(cache=True)
def _lookup_many(r, h, dr, dh, T, V, G, out):
    for k in range(r.shape[0]):
        a, b, c = table_lookup(r[k], h[k], dr, dh, T, V, G)
        out[0, k] = a
        out[1, k] = b
        out[2, k] = c


@njit(cache=True, inline="always")
def _span(j, da, ta, va, ga, qa, db, tb, vb, gb, qb, dr, T, V, G, Q):
    """Fill row j at the grid ranges between two crossings (da, ta, va, ga, qa) and (db, ...),
    linearly in range; keep the earlier time (q: the deflection of the arrival azimuth)."""
    NR = T.shape[0]
    lo = min(da, db)
    hi = max(da, db)
    i0 = int(math.ceil(lo / dr))
    i1 = int(math.floor(hi / dr))
    for i in range(i0, min(i1, NR - 1) + 1):
        w = 0.0 if hi == lo else (i * dr - da) / (db - da)
        tt = ta + w * (tb - ta)
        if tt < T[i, j]:
            T[i, j] = tt
            V[i, j] = va + w * (vb - va)
            G[i, j] = ga + w * (gb - ga)
            Q[i, j] = qa + w * (qb - qa)


_N_SUB = 16  # sub-segments of each kick-pair arc
_MIN_EXCESS_M = 1.0  # below this apogee excess a crossing is treated as the apogee itself


@njit(cache=True)
def _arc(j, hj, xa, xb, pa, pb, cap, dr, T, V, G, Q):
    """Fill row j (altitude hj) between the crossings of hj by two adjacent fan trajectories.

    xa, xb: (range, t, speed, fpa, deflection) of the two crossings on one branch; pa, pb: the
    trajectories' apogees (range, alt, t); all tuples of floats (passed in registers: an array
    argument per call cost a third of the time of the fill). With cap=True, b is the boundary
    trajectory whose apogee is at hj exactly (xb = its apogee, fpa 0). Method: each crossing is its
    trajectory's apogee plus an offset that grows as √Δ, Δ = apogee − hj (a crossing a time τ
    before or after the apogee has Δ = g τ²/2); apogee range, time and Δ are interpolated linearly
    between the two trajectories and so is the offset over √Δ, which stays smooth up to the fan's
    apogee envelope where the offsets themselves do not. The arc is sampled at _N_SUB points evenly
    spaced in √Δ and filled linearly between them. Falls back to linear interpolation between xa
    and xb when an apogee is missing or within _MIN_EXCESS_M of hj.
    """
    da = pa[1] - hj
    db = 0.0 if cap else pb[1] - hj
    if np.isnan(pa[1]) or np.isnan(pb[1]) or da < _MIN_EXCESS_M or (not cap and db < _MIN_EXCESS_M):
        _span(j, xa[0], xa[1], xa[2], xa[3], xa[4], xb[0], xb[1], xb[2], xb[3], xb[4], dr, T, V, G, Q)
        return
    sa = math.sqrt(da)
    sb = math.sqrt(db)
    rda = (xa[0] - pa[0]) / sa
    rta = (xa[1] - pa[2]) / sa
    rga = xa[3] / sa
    if cap:
        rdb, rtb, rgb = rda, rta, rga
    else:
        rdb = (xb[0] - pb[0]) / sb
        rtb = (xb[1] - pb[2]) / sb
        rgb = xb[3] / sb
    d0, t0, v0, g0, q0 = xa[0], xa[1], xa[2], xa[3], xa[4]
    for k in range(1, _N_SUB + 1):
        if k == _N_SUB:
            d1, t1, v1, g1, q1 = xb[0], xb[1], xb[2], xb[3], xb[4]
        else:
            sig = sa + (sb - sa) * k / _N_SUB
            u = (sig * sig - da) / (db - da) if abs(db - da) > 1e-9 * da else k / _N_SUB
            u = min(max(u, 0.0), 1.0)
            d1 = pa[0] + u * (pb[0] - pa[0]) + (rda + u * (rdb - rda)) * sig
            t1 = pa[2] + u * (pb[2] - pa[2]) + (rta + u * (rtb - rta)) * sig
            v1 = xa[2] + u * (xb[2] - xa[2])
            g1 = (rga + u * (rgb - rga)) * sig
            q1 = xa[4] + u * (xb[4] - xa[4])
        _span(j, d0, t0, v0, g0, q0, d1, t1, v1, g1, q1, dr, T, V, G, Q)
        d0, t0, v0, g0, q0 = d1, t1, v1, g1, q1


_NQ = 5  # crossing quantities: range, t, speed, fpa, deflection


@njit(parallel=True, cache=True)
def _crossings(d, h, t, v, g, q, n, dh, NH, C):
    """Crossings of every grid altitude by every fan trajectory, in one pass over its samples.

    d, h, t, v, g, q: (K, M) samples (range, alt, t, speed, fpa, deflection), n (K,) valid counts.
    Output C (2, 5, K, NH) in place, NaN where none: [branch (0 ascending, 1 descending), quantity
    (range, t, speed, fpa, deflection), k, j], the first crossing of altitude j·dh on each branch,
    linear between samples.
    """
    K = d.shape[0]
    for k in prange(K):
        for m in range(1, n[k]):
            h0 = h[k, m - 1]
            h1 = h[k, m]
            if h1 > h0:
                br = 0
                j0 = max(int(math.floor(h0 / dh)) + 1, 0)  # h0 < j dh <= h1
                j1 = min(int(math.floor(h1 / dh)), NH - 1)
            elif h1 < h0:
                br = 1
                j0 = max(int(math.floor(h1 / dh)) + 1, 0)  # h1 < j dh <= h0
                j1 = min(int(math.floor(h0 / dh)), NH - 1)
            else:
                continue
            for j in range(j0, j1 + 1):
                if not np.isnan(C[br, 0, k, j]):
                    continue
                w = (j * dh - h0) / (h1 - h0)
                C[br, 0, k, j] = d[k, m - 1] + w * (d[k, m] - d[k, m - 1])
                C[br, 1, k, j] = t[k, m - 1] + w * (t[k, m] - t[k, m - 1])
                C[br, 2, k, j] = v[k, m - 1] + w * (v[k, m] - v[k, m - 1])
                C[br, 3, k, j] = g[k, m - 1] + w * (g[k, m] - g[k, m - 1])
                C[br, 4, k, j] = q[k, m - 1] + w * (q[k, m] - q[k, m - 1])


@njit(parallel=True, cache=True)
def _fill(C, apo, dr, dh, T, V, G, Q):
    """Fill the earliest-arrival grid T, V, G, Q (NR, NH) in place from the crossings C (see
    ``_crossings``) and each trajectory's apogee apo (K, 5) = (range, alt, t, speed, deflection),
    alt = NaN when it has none before the end of its samples.

    Parallel over grid altitudes; for each altitude, adjacent-kick crossing pairs of each branch are
    joined by ``_arc``. Where a trajectory crosses the altitude and its neighbour's apogee is below
    it, the fan's boundary trajectory (apogee exactly at that altitude) closes the ascending and
    descending branches at its apogee (``_arc`` with cap=True); without these caps a band of cells
    along the locus of the fan's apogees was left unreachable (docs/validation/flyout.md).
    """
    K = C.shape[2]
    NR, NH = T.shape
    for j in prange(NH):
        hj = j * dh
        # one compiled _arc: j as int64 (prange's index is unsigned) and cap a typed bool, not the
        # literals False / True (each literal type and index type compiled _arc again: 4 copies, 3 s)
        jj = np.int64(j)
        no_cap = hj < 0.0
        for br in range(2):
            for k in range(K - 1):
                if np.isnan(C[br, 0, k, j]) or np.isnan(C[br, 0, k + 1, j]):
                    continue
                _arc(jj, hj, (C[br, 0, k, j], C[br, 1, k, j], C[br, 2, k, j], C[br, 3, k, j], C[br, 4, k, j]),
                     (C[br, 0, k + 1, j], C[br, 1, k + 1, j], C[br, 2, k + 1, j], C[br, 3, k + 1, j],
                      C[br, 4, k + 1, j]), (apo[k, 0], apo[k, 1], apo[k, 2]),
                     (apo[k + 1, 0], apo[k + 1, 1], apo[k + 1, 2]), no_cap, dr, T, V, G, Q)
        # apogee caps: p crosses hj both ways, its neighbour q tops out below hj; the boundary
        # trajectory between them has its apogee at hj, where both branches meet
        for k in range(K - 1):
            for side in range(2):
                p = k + side
                q = k + 1 - side
                if np.isnan(C[0, 0, p, j]) or np.isnan(C[1, 0, p, j]) or not np.isnan(C[0, 0, q, j]):
                    continue
                if np.isnan(apo[q, 1]) or np.isnan(apo[p, 1]) or not (apo[q, 1] < hj <= apo[p, 1]):
                    continue
                w = (apo[p, 1] - hj) / (apo[p, 1] - apo[q, 1])
                s0 = apo[p, 0] + w * (apo[q, 0] - apo[p, 0])
                s2 = apo[p, 2] + w * (apo[q, 2] - apo[p, 2])
                s3 = apo[p, 3] + w * (apo[q, 3] - apo[p, 3])
                s4 = apo[p, 4] + w * (apo[q, 4] - apo[p, 4])
                for br in range(2):
                    _arc(jj, hj, (C[br, 0, p, j], C[br, 1, p, j], C[br, 2, p, j], C[br, 3, p, j], C[br, 4, p, j]),
                         (s0, s2, s3, 0.0, s4), (apo[p, 0], apo[p, 1], apo[p, 2]), (s0, hj, s2), not no_cap, dr,
                         T, V, G, Q)
        # vertical fan edge: the most vertical trajectory reaches range ~0
        if NR > 0 and T[0, j] == math.inf and not np.isnan(C[0, 1, 0, j]) and C[0, 0, 0, j] < dr:
            T[0, j] = C[0, 1, 0, j]
            V[0, j] = C[0, 2, 0, j]
            G[0, j] = C[0, 3, 0, j]
            Q[0, j] = C[0, 4, 0, j]


@njit(cache=True, inline="always")
def _geodetic_height(x, y, z, a, f):
    """Geodetic height, m, of an ECEF point: Bowring's iteration (Bowring 1976, as
    ``earth.frames.ecef_to_geodetic``) written without trigonometry, from the reduced latitude
    tan β = a z / (b p), three updates (agrees with ``ecef_to_geodetic`` to < 1e-8 m up to 5,000 km)."""
    p = math.sqrt(x * x + y * y)
    if f == 0.0:
        return math.sqrt(p * p + z * z) - a
    b = a * (1 - f)
    e2 = f * (2 - f)
    ep2 = e2 / (1 - e2)
    num, den = a * z, b * p  # tan β
    for it in range(3):
        if it > 0:
            num *= 1 - f  # tan β = (1 − f) tan φ
        q = math.sqrt(num * num + den * den)
        sb, cb = num / q, den / q
        num = z + ep2 * b * sb * sb * sb  # tan φ = num / den
        den = p - e2 * a * cb * cb * cb
    q = math.sqrt(num * num + den * den)
    sl, cl = num / q, den / q
    n = a / math.sqrt(1 - e2 * sl * sl)
    return p * cl + z * sl - a * a / n


@njit(cache=True, inline="always")
def azimuth_from(ux, uy, uz, us):
    """Azimuth (rad, [0, 2π), clockwise from north) at the site (unit vector us, ECEF) of the great
    circle toward the direction (ux, uy, uz): atan2(u·ê, u·n̂), ê = ẑ × us / |ẑ × us|, n̂ = us × ê
    (the site's geocentric east and north)."""
    c = math.sqrt(us[0] * us[0] + us[1] * us[1])
    ex, ey = -us[1] / c, us[0] / c
    nx, ny, nz = -us[2] * ey, us[2] * ex, us[0] * ey - us[1] * ex
    a = math.atan2(ux * ex + uy * ey, ux * nx + uy * ny + uz * nz)
    return a + 2 * math.pi if a < 0.0 else a


_TWO_PI = 2 * math.pi


@njit(cache=True, inline="always")
def _wrap_pi(q):
    """(q + π) mod 2π − π (Python's float modulo, to the bit) without fmod for q + π in [−2π, 4π):
    fmod is exact, so there it is x, x − 2π (exact by Sterbenz) or x + 2π (the modulo's own
    correction of a negative remainder; x = −2π gives +0 either way)."""
    x = q + math.pi
    if 0.0 <= x < _TWO_PI:
        r = x
    elif _TWO_PI <= x < 2 * _TWO_PI:
        r = x - _TWO_PI
    elif -_TWO_PI <= x < 0.0:
        r = x + _TWO_PI
    else:
        r = x % _TWO_PI
    return r - math.pi


@njit(parallel=True, cache=True)
def _fan_geometry(t, r, v, n, omega, a, f, us, rs, az0, d, alt, speed, fpa, defl, want_v, want_q):
    """Per fan sample, in the Earth-fixed frame at the sample time (launch at t = 0, where ECI =
    ECEF): ground range d (arc on the sphere of the site radius rs), geodetic altitude, Earth-relative
    speed and flight-path angle (above the geocentric horizontal), and the deflection of the arrival
    azimuth from the launch azimuth az0 (rad, wrapped to (−π, π]). Samples past n[k]: altitude NaN.
    want_v / want_q False: speed and fpa / defl are not computed (0), for tables that discard them
    (the sectors keep T and the deflection, their twin T only, the base T, speed and fpa)."""
    K, M = t.shape
    for k in prange(K):
        for m in range(M):
            if m >= n[k]:
                d[k, m] = 0.0
                alt[k, m] = math.nan
                speed[k, m] = 0.0
                fpa[k, m] = 0.0
                defl[k, m] = 0.0
                continue
            th = omega * t[k, m]
            c, s = math.cos(th), math.sin(th)
            rx, ry, rz = r[k, m, 0], r[k, m, 1], r[k, m, 2]
            x = c * rx + s * ry
            y = -s * rx + c * ry
            z = rz
            vx = v[k, m, 0] + omega * ry  # v − ω ẑ × r (ECI axes), then to ECEF axes
            vy = v[k, m, 1] - omega * rx
            wx = c * vx + s * vy
            wy = -s * vx + c * vy
            wz = v[k, m, 2]
            rn = math.sqrt(x * x + y * y + z * z)
            ux, uy, uz = x / rn, y / rn, z / rn
            ca = min(1.0, max(-1.0, ux * us[0] + uy * us[1] + uz * us[2]))
            d[k, m] = math.acos(ca) * rs
            alt[k, m] = _geodetic_height(x, y, z, a, f)
            if want_v:
                sp = math.sqrt(wx * wx + wy * wy + wz * wz)
                speed[k, m] = sp
                fpa[k, m] = math.asin(min(1.0, max(-1.0, (wx * ux + wy * uy + wz * uz) / max(sp, 1e-9))))
            else:
                speed[k, m] = 0.0
                fpa[k, m] = 0.0
            if want_q:
                defl[k, m] = _wrap_pi(azimuth_from(ux, uy, uz, us) - az0)
            else:
                defl[k, m] = 0.0


def _stack(dv_mps: float, burn_time_s: float, kv_mass_kg: float, isp_vac_s: float, dry_fraction: float,
           launch_beta_kgm2: float) -> Missile:
    """Equal-Δv stages (1 to 3) with ideal vacuum Δv = dv_mps, burn time split equally."""
    n = 1 if dv_mps < 4200 else (2 if dv_mps < 7600 else 3)
    ratio = math.exp(min(dv_mps / n / (G0_MPS2 * isp_vac_s), 50.0))  # capped: e^50 is far past any stack
    denom = 1.0 - dry_fraction * (ratio - 1.0)
    if denom <= 0.05:
        raise BmdcheckError(f"burnout speed {dv_mps:,.0f} m/s is beyond a {n}-stage booster at Isp {isp_vac_s:.0f} s")
    above = kv_mass_kg
    stages = []
    for _ in range(n):
        prop = above * (ratio - 1.0) / denom
        stages.append(Stage(prop, dry_fraction * prop, burn_time_s / n, isp_vac_s))
        above += prop * (1 + dry_fraction)
    # reference area from a launch ballistic coefficient m0 / (Cd S) with Cd ~ 0.3
    area = above / (0.3 * launch_beta_kgm2)
    return Missile(name=f"booster-{dv_mps:.0f}", stages=tuple(reversed(stages)), payload_kg=kv_mass_kg,
                   ref_area_m2=area, rv_beta_kgm2=float("inf"), t_vertical_s=min(2.0, 0.05 * burn_time_s),
                   t_kick_s=min(4.0, 0.1 * burn_time_s), cls="interceptor")


def booster_for(burnout_speed_mps: float, burn_time_s: float, kv_mass_kg: float = 50.0,
                isp_vac_s: float = 270.0, dry_fraction: float = 0.12, launch_beta_kgm2: float = 20_000.0) -> Missile:
    """A booster (1–3 equal-Δv stages) whose achieved burnout speed is ``burnout_speed_mps``.

    Stage masses from Tsiolkovsky (Δv = g0 Isp ln(m0/mf), dry mass = dry_fraction × propellant,
    the kill vehicle as payload, reference area from a launch ballistic coefficient of 20 t/m²,
    typical of SM-3/GBI-class boosters). The ideal Δv is raised until the inertial burnout speed
    of a 45° fly-out through the atmosphere equals the requested speed (to 1 m/s), so gravity and
    drag losses are inside the model and the declared figure is what is flown.

    Method: the achieved speed f(Δv) is bracketed from Δv = the requested speed (f is below it:
    no losses can be negative on the non-rotating Earth) upward in steps of ×1.25, then solved by
    the Illinois variant of regula falsi. f is not monotonic or continuous everywhere: a booster
    whose thrust cannot lift it (long burns at low Δv) falls back during the burn and counts as
    f = 0, and f jumps by up to ~2 % where the stage count changes (Δv 4.2 and 7.6 km/s); when the
    requested speed falls inside such a jump the nearer side within 2 % is returned.
    Raises BmdcheckError when the speed is beyond a 3-stage booster at this Isp.
    """
    if not (np.isfinite(burnout_speed_mps) and burnout_speed_mps > 0):
        raise BmdcheckError(f"burnout speed must be a positive number of m/s, got {burnout_speed_mps}")
    if not (np.isfinite(burn_time_s) and burn_time_s > 0):
        raise BmdcheckError(f"burn time must be a positive number of seconds, got {burn_time_s}")
    target = float(burnout_speed_mps)

    def achieved(dv):
        try:
            m = _stack(dv, burn_time_s, kv_mass_kg, isp_vac_s, dry_fraction, launch_beta_kgm2)
        except BmdcheckError:
            raise BmdcheckError(f"burnout speed {target:,.0f} m/s over a {burn_time_s:g} s burn is beyond a "
                                f"3-stage booster at Isp {isp_vac_s:.0f} s (its limit was passed at ideal Δv {dv:,.0f} m/s)"
                                ) from None
        b = fly_missile_batch(m, _SITE_LAT, 0.0, 90.0, 45.0, earth=TABLE_EARTH, duration_s=m.burn_end_s + 1.0)
        if b.status[0] == STATUS_BOOST_CRASH:  # too little thrust: fell back during the burn
            return 0.0, m
        return float(np.linalg.norm(b.v_burnout_eci_mps[0])), m

    f, m = achieved(target)
    if abs(f - target) < 1.0:
        return m
    # bracket f(lo) < target <= f(hi), stepping Δv by ×1.25 (up; down only if f started above)
    lo, f_lo, m_lo, hi, f_hi, m_hi = (target, f, m, target, f, m)
    while f_hi < target:
        lo, f_lo, m_lo = hi, f_hi, m_hi
        hi = 1.25 * hi
        f_hi, m_hi = achieved(hi)
    while f_lo >= target:
        hi, f_hi, m_hi = lo, f_lo, m_lo
        lo = lo / 1.25
        f_lo, m_lo = achieved(lo)
    g_lo, g_hi = f_lo - target, f_hi - target  # Illinois: the retained end's value is halved
    side = 0
    for _ in range(100):
        x = hi - g_hi * (hi - lo) / (g_hi - g_lo)
        f, m = achieved(x)
        if abs(f - target) < 1.0:
            return m
        if f < target:
            lo, f_lo, m_lo, g_lo = x, f, m, f - target
            if side < 0:
                g_hi *= 0.5
            side = -1
        else:
            hi, f_hi, m_hi, g_hi = x, f, m, f - target
            if side > 0:
                g_lo *= 0.5
            side = 1
        if hi - lo < 1e-6 * hi:
            break
    # the bracket closed on a jump of f (stage-count change): take the nearer side if close
    best_f, best_m = (f_lo, m_lo) if target - f_lo < f_hi - target else (f_hi, m_hi)
    if abs(best_f - target) <= 0.02 * target:
        return best_m
    raise BmdcheckError(f"no booster model reaches a burnout speed of {target:,.0f} m/s over a {burn_time_s:g} s burn "
                        f"(achieved speed jumps from {f_lo:,.0f} to {f_hi:,.0f} m/s at ideal Δv {hi:,.0f} m/s)")


def _site(lat_deg: float = _SITE_LAT, earth: EarthModel = TABLE_EARTH) -> tuple[np.ndarray, float]:
    """Unit vector to a site at (lat_deg, 0° E) on the ellipsoid, and its geocentric radius, m."""
    site = geodetic_to_ecef(lat_deg, 0.0, 0.0, earth)
    r_site = float(np.linalg.norm(site))
    return site / r_site, r_site


def _apogees(b, n: np.ndarray, speed: np.ndarray, u_site: np.ndarray, r_site: float, az0: float,
             dt_s: float = _SAMPLE_S) -> np.ndarray:
    """(K, 5) apogee (range_m, alt_m, t_s, speed_mps, deflection_rad) of each fan trajectory, as
    located by the flight kernel inside its integration step, Earth-fixed at the apogee time; alt
    NaN where the samples end before the trajectory turns down (flight-time limit) or the booster
    fell back during the burn."""
    t_apo = b.apogee_time_s
    r = eci_to_ecef(b.summary[:, SUM_RAPO:SUM_RAPO + 3], t_apo, b.earth)
    _, _, alt = ecef_to_geodetic(r, b.earth)
    u = r / np.linalg.norm(r, axis=-1, keepdims=True)
    rng = np.arccos(np.clip(u @ u_site, -1, 1)) * r_site
    e = np.array([-u_site[1], u_site[0], 0.0]) / math.hypot(u_site[0], u_site[1])
    nn = np.cross(u_site, e)
    defl = (np.arctan2(u @ e, u @ nn) - az0 + math.pi) % (2 * math.pi) - math.pi
    rows = np.arange(len(t_apo))
    last = np.maximum(n - 1, 0)
    m = np.clip((t_apo / dt_s).astype(np.int64), 0, np.maximum(n - 2, 0))
    w = np.clip(t_apo / dt_s - m, 0.0, 1.0)
    v = speed[rows, m] + w * (speed[rows, np.minimum(m + 1, last)] - speed[rows, m])
    ok = (t_apo > 0.0) & (t_apo < b.t_s[rows, last] - dt_s) & (b.status != STATUS_BOOST_CRASH)
    return np.ascontiguousarray(np.column_stack([rng, np.where(ok, alt, np.nan), t_apo, v, defl]))


def kick_fan(booster: Missile, max_flight_time_s: float, n_kicks: int = _N_KICKS) -> np.ndarray:
    """Choose the fan's pitch-kick angles, deg (n_kicks,), increasing from 0 (vertical) to 89.5.

    Evenly spaced in c = ½ (kick / 89.5) + ½ (s / s_total), s the arc length of the fan's apogee
    points (ground range, altitude, time, each divided by its span over the fan) found with a
    pilot fan of 121 kicks (no samples). Half the kicks are uniform in angle; the other half go
    where the trajectories change fastest. For a long burn that is the few degrees where the fan
    turns from lofted to flat: for the 7.5 km/s, 200 s booster 46 % of the apogee arc lies between
    kicks of 40° and 50°, which get 87 of 300 kicks instead of 34 (docs/validation/flyout.md).
    """
    pilot, c = _pilot_arc(booster, float(max_flight_time_s))
    return np.interp(np.linspace(0.0, 1.0, n_kicks), c, pilot)


@lru_cache(maxsize=16)
def _pilot_arc(booster: Missile, max_flight_time_s: float) -> tuple:
    """``kick_fan``'s pilot kicks and their spacing coordinate c, flown once per booster and flight time
    (the base table's 300 kicks and the sector fans' 150 come from the same pilot fan)."""
    pilot = np.concatenate([[0.0], np.linspace(0.25, _KICK_MAX, 120)])
    b = fly_missile_batch(booster, _SITE_LAT, 0.0, 90.0, pilot, earth=TABLE_EARTH, duration_s=max_flight_time_s)
    r = b.summary[:, SUM_RAPO:SUM_RAPO + 3]
    _, _, alt = ecef_to_geodetic(r, TABLE_EARTH)
    u_site, _ = _site()
    ang = np.arccos(np.clip((r / np.linalg.norm(r, axis=-1, keepdims=True)) @ u_site, -1, 1))
    x = np.column_stack([ang, alt, b.apogee_time_s])
    seg = np.linalg.norm(np.diff(x, axis=0) / np.maximum(np.ptp(x, axis=0), 1e-12), axis=1)
    u = pilot / _KICK_MAX
    s = np.concatenate([[0.0], np.cumsum(seg)])
    c = 0.5 * u + 0.5 * (s / s[-1] if s[-1] > 0 else u)
    pilot.flags.writeable = False
    c.flags.writeable = False
    return pilot, c


def _fan(booster: Missile, t_max: float, kicks: np.ndarray, lat_deg: float = _SITE_LAT, az_deg: float = 90.0,
         earth: EarthModel = TABLE_EARTH, dt_s: float = _SAMPLE_S, want_v: bool = True, want_q: bool = True):
    """Fly one fan from (lat_deg, 0° E) toward az_deg on ``earth``, sampled every dt_s, in the
    Earth-fixed frame: (d, alt, t, speed, fpa, deflection, n, apogees, in_time mask, burnout speed).
    want_v / want_q False: speed and fpa / deflection left 0 (also in the apogees), for a table
    that drops V and G / Q (the arrival times T never depend on them: ``_span`` compares times only)."""
    b = fly_missile_batch(booster, lat_deg, 0.0, az_deg, kicks, earth=earth, sample_interval_s=dt_s,
                          duration_s=t_max + max(60.0, 0.1 * t_max))
    u_site, r_site = _site(lat_deg, earth)
    K, M = b.t_s.shape
    n = b.n_samples.astype(np.int64)
    d, alt, speed, fpa, defl = (np.empty((K, M)) for _ in range(5))
    az0 = math.radians(az_deg)
    _fan_geometry(np.ascontiguousarray(b.t_s), np.ascontiguousarray(b.r_eci_m), np.ascontiguousarray(b.v_eci_mps), n,
                  earth.omega_rad_s, earth.a_m, earth.f, u_site, r_site, az0, d, alt, speed, fpa, defl,
                  bool(want_v), bool(want_q))
    valid = np.arange(M)[None, :] < n[:, None]
    in_time = valid & (b.t_s <= t_max)
    vb = float(np.linalg.norm(b.v_burnout_eci_mps, axis=-1).max())
    return d, alt, b.t_s, speed, fpa, defl, n, _apogees(b, n, speed, u_site, r_site, az0, dt_s), in_time, vb


def _hold(booster: Missile) -> Missile:
    """The booster holding its kicked attitude to burnout (the table's second steering fan)."""
    from dataclasses import replace as _replace

    return _replace(booster, pitch_hold=True, t_kick_s=max(1.0, min(booster.t_kick_s, 0.1 * booster.burn_end_s)))


def _grid_of(fans, dr_m, dh_m, n_range, n_alt):
    dmax = max(np.nanmax(np.where(f[8], f[0], np.nan)) for f in fans)
    hmax = max(np.nanmax(np.where(f[8], f[1], np.nan)) for f in fans)
    dr = dr_m or max(250.0, dmax / n_range)
    dh = dh_m or max(250.0, hmax / n_alt)
    return dr, dh, int(dmax / dr) + 2, int(hmax / dh) + 2


def _fill_fans(fans, dr, dh, NR, NH, t_max):
    """The earliest-arrival grids (T, V, G, Q) of the fans; cells later than t_max dropped."""
    T = np.full((NR, NH), np.inf)
    V, G, Q = np.zeros((NR, NH)), np.zeros((NR, NH)), np.zeros((NR, NH))
    C = None
    for d, alt, t, speed, fpa, defl, n, apo, _, _ in fans:
        # one buffer for the fans of one size; only the ranges need the NaN of "no crossing": _fill
        # reads a crossing's other quantities only where its range is set (the vertical-edge test
        # too: NaN < dr is false). _crossings reads altitudes of valid samples only (finite).
        if C is None or C.shape[2] != d.shape[0]:
            C = np.empty((2, _NQ, d.shape[0], NH))
        C[:, 0] = np.nan
        _crossings(d, alt, np.ascontiguousarray(t), speed, fpa, defl, n, dh, NH, C)
        _fill(C, apo, dr, dh, T, V, G, Q)
    late = T > t_max
    T[late], V[late], G[late], Q[late] = np.inf, 0.0, 0.0, 0.0
    return T, V, G, Q


def build_table(booster: Missile, max_flight_time_s: float, name: str = "", dr_m: float | None = None,
                dh_m: float | None = None, n_kicks: int = _N_KICKS) -> FlyoutTable:
    """Fly the fans and build the earliest-arrival table (see module docstring).

    Two fans of the same booster: its own pitch programme (vertical rise, kick, gravity turn) and
    the booster holding its kicked attitude to burnout (``pitch_hold``), which adds the low, flat
    fly-outs a gravity turn cannot make with a high thrust-to-weight booster (without it a faster
    booster could reach fewer cells than a slower one). Each cell keeps the earlier arrival.

    Grid: dr = max range / 600, dh = max altitude / 800 (at least 250 m each) reached within
    max_flight_time_s, unless given. Each fan (``kick_fan``, n_kicks, sampled every 0.5 s) is flown
    10 % (at least 60 s) past max_flight_time_s, so that adjacent kicks whose crossings straddle the
    limit are still joined; cells reached later than the limit are then dropped (without the margin
    they were filled from other, later pairs: up to 1.8 s late 30 s before the limit).
    """
    t_max = float(max_flight_time_s)
    hold = _hold(booster)
    fans = [_fan(booster, t_max, kick_fan(booster, t_max, n_kicks), want_q=False),
            _fan(hold, t_max, kick_fan(hold, t_max, n_kicks), want_q=False)]
    _, r_site = _site()
    dr, dh, NR, NH = _grid_of(fans, dr_m, dh_m, _N_RANGE, _N_ALT)
    T, V, G, _ = _fill_fans(fans, dr, dh, NR, NH, t_max)
    vb = max(f[9] for f in fans)
    return FlyoutTable(name or booster.name, dr, dh, T, V, G, r_site, vb, booster.burn_end_s, t_max)


TABLE_DEPENDS = ("defence/flyout.py", "flight", "earth")
"""Sources a fly-out table depends on (the disk cache's fingerprint, ``bmdcheck.diskcache``)."""


@lru_cache(maxsize=32)  # a default table is up to 602 × 802 cells × 3 arrays: ~12 MB
def table_for(burnout_speed_mps: float, burn_time_s: float, max_flight_time_s: float, kv_mass_kg: float = 50.0,
              isp_vac_s: float = 270.0, name: str = "") -> FlyoutTable:
    """Cached table for a burnout-speed description of an interceptor.

    Raises BmdcheckError (from ``booster_for``) when no booster of this model flies the requested
    speed over that burn time.
    """
    def build():
        m = _booster_cached(burnout_speed_mps, burn_time_s, kv_mass_kg, isp_vac_s)
        return build_table(m, max_flight_time_s, name or m.name)

    from ..diskcache import cached  # built once on any run: content-addressed disk cache

    return cached("flyout", {"burnout_speed_mps": burnout_speed_mps, "burn_time_s": burn_time_s,
                             "max_flight_time_s": max_flight_time_s, "kv_mass_kg": kv_mass_kg,
                             "isp_vac_s": isp_vac_s, "name": name}, build, FlyoutTable, TABLE_DEPENDS)


@lru_cache(maxsize=64)
def _booster_cached(burnout_speed_mps, burn_time_s, kv_mass_kg, isp_vac_s) -> Missile:
    return booster_for(burnout_speed_mps, burn_time_s, kv_mass_kg, isp_vac_s)


# ------------------------------------------------------------------------------------------------
# The rotating Earth: sector corrections per site latitude (docs/validation/flyout.md)

ROTATING_EARTH = EarthModel("wgs84", "j2", True, "ussa76")
N_SECTORS = 8  # launch-azimuth sectors of 45° (6 were not enough: 1.7 s; docs/validation/flyout.md)
_SECTOR_KICKS = 150  # kicks per fan of a sector (and of its non-rotating twin)
_SECTOR_RANGE, _SECTOR_ALT = 150, 200  # sector grid: cells across the base table's range and altitude
_SECTOR_SAMPLE_S = 1.0  # sample interval of the sector fans


def extended_flight_time_s(max_flight_time_s: float) -> float:
    """Flight-time limit of a rotating table's base: the rotation brings arrivals up to 5.4 %
    earlier (eastward, docs/validation/flyout.md), so the base keeps cells up to 8 % + 10 s later
    than the limit; the engagement kernel applies the interceptor's own limit."""
    return 1.08 * float(max_flight_time_s) + 10.0


@dataclass(frozen=True)
class RotatingTable:
    """Earliest arrival on the rotating Earth from a site at latitude ``lat_deg``, by ground range,
    altitude and azimuth of the arrival point (all in the Earth-fixed frame at the arrival time).

    t(d, h, ψ) = base(d, h) + ΔT(d, h, ψ): ``base`` the fine non-rotating table (45° N, azimuth 90°,
    flight-time limit ``extended_flight_time_s``), and per launch-azimuth sector k (ψ_k = k·360°/S)
    ``dt_s[k]`` = a coarse table flown on the rotating Earth from the site latitude toward ψ_k minus
    the same coarse table (same kicks, same grid) on the non-rotating Earth at the base's site: the
    coarse tables' own interpolation errors cancel in the difference and the fine base supplies the
    detail. ``defl_rad[k]``: the arrival azimuth minus ψ_k of the cell's earliest trajectory
    (Coriolis drift), so sector k's nodes sit at arrival azimuths ψ_k + δ_k(d, h). Lookup: cubic
    Lagrange interpolation in arrival azimuth over the four nodes around ψ (linear on the two
    bracketing nodes where the outer ones are unreachable); (speed, fpa) from the base.
    """

    base: FlyoutTable
    lat_deg: float
    dr_m: float
    dh_m: float
    dt_s: np.ndarray  # (S, NR, NH), inf where unreachable
    defl_rad: np.ndarray  # (S, NR, NH)
    max_flight_time_s: float

    @property
    def n_sectors(self) -> int:
        return self.dt_s.shape[0]

    def lookup(self, range_m, alt_m, az_deg):
        """Earliest arrival (t_s, speed_mps, fpa_rad) at (range_m, alt_m) toward arrival azimuth
        az_deg (clockwise from north at the site); arrays broadcast. Arrivals later than the
        interceptor's flight-time limit are returned as they are (the engagement applies it)."""
        r, h, a = np.broadcast_arrays(np.asarray(range_m, float), np.asarray(alt_m, float),
                                      np.radians(np.asarray(az_deg, float)) % (2 * np.pi))
        res = np.empty((3, r.size))
        b = self.base
        _rot_lookup_many(r.ravel(), h.ravel(), a.ravel(), b.dr_m, b.dh_m, b.t_s, b.speed_mps, b.fpa_rad, self.dr_m,
                         self.dh_m, self.dt_s, self.defl_rad, res)
        return res[0].reshape(r.shape), res[1].reshape(r.shape), res[2].reshape(r.shape)

    def __repr__(self) -> str:
        return (f"RotatingTable({self.base.name!r} at {self.lat_deg:g}° N, {self.n_sectors} sectors of "
                f"{self.dt_s.shape[1]} × {self.dt_s.shape[2]} cells)")


@njit(cache=True, inline="always")
def _node(r, h, dr, dh, DT, DF, k):
    """Bilinear (ok, ΔT, deflection) of sector k at (r, h); ok only when the four corners are finite."""
    i, j, w00, w10, w01, w11 = bilinear_cell(r, h, dr, dh, DT.shape[1], DT.shape[2])
    if i < 0:
        return False, 0.0, 0.0
    a00 = DT[k, i, j]
    a10 = DT[k, i + 1, j]
    a01 = DT[k, i, j + 1]
    a11 = DT[k, i + 1, j + 1]
    if a00 == math.inf or a10 == math.inf or a01 == math.inf or a11 == math.inf:
        return False, 0.0, 0.0
    v = w00 * a00 + w10 * a10 + w01 * a01 + w11 * a11
    q = w00 * DF[k, i, j] + w10 * DF[k, i + 1, j] + w01 * DF[k, i, j + 1] + w11 * DF[k, i + 1, j + 1]
    return True, v, q


@njit(cache=True)
def sector_correction(r, h, psi, dr, dh, DT, DF):
    """ΔT (s) to add to the base table's arrival at range r, altitude h (m), arrival azimuth psi
    (rad, [0, 2π)); inf where the sectors do not reach (r, h). See ``RotatingTable``.

    Sector k's node sits at arrival azimuth k·step + δ_k(r, h). The two nodes bracketing psi are
    found by stepping k; cubic Lagrange over nodes k−1..k+2 when all four reach and are ordered,
    else linear between the two. Where the drift is so large that consecutive nodes are not
    between half and one and a half sector apart (near-vertical fly-outs to points within a few
    tens of km of the site, where the arrival azimuth is ill-defined), linear in launch azimuth.
    """
    S = DT.shape[0]
    step = 2.0 * math.pi / S
    k0 = int(math.floor(psi / step))
    k = k0
    for _ in range(4):
        oka, va, qa = _node(r, h, dr, dh, DT, DF, (k % S + S) % S)
        okb, vb, qb = _node(r, h, dr, dh, DT, DF, ((k + 1) % S + S) % S)
        if not (oka and okb):
            return math.inf
        pa = k * step + qa
        pb = (k + 1) * step + qb
        if not (0.5 * step < pb - pa < 1.5 * step):
            if k != k0:
                return math.inf
            w = psi / step - k0
            return va + w * (vb - va)
        if psi < pa:
            k -= 1
        elif psi >= pb:
            k += 1
        else:
            ok0, v0, q0 = _node(r, h, dr, dh, DT, DF, ((k - 1) % S + S) % S)
            ok3, v3, q3 = _node(r, h, dr, dh, DT, DF, ((k + 2) % S + S) % S)
            p0 = (k - 1) * step + q0
            p3 = (k + 2) * step + q3
            if ok0 and ok3 and p0 < pa and p3 > pb:
                x = psi
                l0 = (x - pa) * (x - pb) * (x - p3) / ((p0 - pa) * (p0 - pb) * (p0 - p3))
                l1 = (x - p0) * (x - pb) * (x - p3) / ((pa - p0) * (pa - pb) * (pa - p3))
                l2 = (x - p0) * (x - pa) * (x - p3) / ((pb - p0) * (pb - pa) * (pb - p3))
                l3 = (x - p0) * (x - pa) * (x - pb) / ((p3 - p0) * (p3 - pa) * (p3 - pb))
                return l0 * v0 + l1 * va + l2 * vb + l3 * v3
            w = (psi - pa) / (pb - pa)
            return va + w * (vb - va)
    return math.inf


@njit(cache=True)
def _rot_lookup_many(r, h, psi, dr, dh, T, V, G, sdr, sdh, DT, DF, out):
    for k in range(r.shape[0]):
        t, v, g = table_lookup(r[k], h[k], dr, dh, T, V, G)
        if t < math.inf:
            t += sector_correction(r[k], h[k], psi[k], sdr, sdh, DT, DF)
        if t == math.inf:
            v, g = 0.0, 0.0
        out[0, k] = t
        out[1, k] = v
        out[2, k] = g


@lru_cache(maxsize=16)
def _fine_base(booster: Missile, t_ext: float) -> FlyoutTable:
    """The fine non-rotating base of the rotating tables of one booster (every site latitude)."""
    return build_table(booster, t_ext, booster.name)


def _sector_grid(base: FlyoutTable) -> tuple:
    """The sector tables' grid (dr_m, dh_m, NR, NH) over the base's extent."""
    return base.max_range_m / _SECTOR_RANGE, base.max_alt_m / _SECTOR_ALT, _SECTOR_RANGE + 2, _SECTOR_ALT + 2


@lru_cache(maxsize=16)
def _base_for(booster: Missile, t_ext: float):
    """The rotating tables' shared part for one booster: the fine non-rotating base table, the
    sector fans' kicks, the sector grid and the coarse non-rotating twin of the sectors."""
    base = _fine_base_stored(booster, t_ext)
    hold = _hold(booster)
    kicks = (kick_fan(booster, t_ext, _SECTOR_KICKS), kick_fan(hold, t_ext, _SECTOR_KICKS))
    grid = _sector_grid(base)
    fans = [_fan(booster, t_ext, kicks[0], dt_s=_SECTOR_SAMPLE_S, want_v=False, want_q=False),
            _fan(hold, t_ext, kicks[1], dt_s=_SECTOR_SAMPLE_S, want_v=False, want_q=False)]  # T only
    twin = _fill_fans(fans, *grid, t_ext)[0]
    return base, kicks, grid, twin


def build_rotating_table(booster: Missile, max_flight_time_s: float, lat_deg: float,
                         n_sectors: int = N_SECTORS) -> RotatingTable:
    """Build the rotating-Earth table of ``booster`` for a site at ``lat_deg`` (see ``RotatingTable``).

    Cost: the base (as ``build_table``, shared by every latitude) plus 2 × n_sectors fans of
    _SECTOR_KICKS trajectories on a _SECTOR_RANGE × _SECTOR_ALT grid.
    """
    if not (math.isfinite(lat_deg) and abs(lat_deg) < 89.0):
        raise BmdcheckError(f"fly-out tables need a site latitude within ±89°, got {lat_deg}")
    t_ext = extended_flight_time_s(max_flight_time_s)
    base, kicks, grid, twin = _base_for(booster, t_ext)
    hold = _hold(booster)
    S = int(n_sectors)
    DT = np.empty((S, grid[2], grid[3]))
    DF = np.empty((S, grid[2], grid[3]))
    for k in range(S):
        az = 360.0 * k / S
        fans = [_fan(booster, t_ext, kicks[0], lat_deg, az, ROTATING_EARTH, _SECTOR_SAMPLE_S, want_v=False),
                _fan(hold, t_ext, kicks[1], lat_deg, az, ROTATING_EARTH, _SECTOR_SAMPLE_S, want_v=False)]
        T, _, _, Q = _fill_fans(fans, *grid, t_ext)
        with np.errstate(invalid="ignore"):
            DT[k] = np.where(np.isfinite(T) & np.isfinite(twin), T - twin, np.inf)
        DF[k] = Q
    return RotatingTable(base, float(lat_deg), grid[0], grid[1], DT, DF, float(max_flight_time_s))


_BEYOND: ContextVar = ContextVar("bmdcheck_flyout_beyond", default=None)
BEYOND_MARGIN_M = 1_000.0
"""How much farther than the base's last grid range every threat sample must be before the sectors
are skipped (the engagement's ground range and the caller's differ by rounding only)."""


@contextmanager
def threats_beyond(nearest_m_by_lat: dict):
    """Within the block, ``rotating_table_for(booster, T, lat)`` skips the sector fans (8 × 2 of the
    build's 9 × 2 fans) when ``nearest_m_by_lat[lat]`` (the smallest ground range, m, from any site
    at that latitude to any threat sample the block engages: arc on the sphere of the site's
    geocentric radius, as the engagement measures it) exceeds the base table's grid by
    BEYOND_MARGIN_M. The table returned then has the real base and unreachable sectors: a lookup
    past the base's grid is inf before any sector correction is read (``RotatingTable.lookup``,
    the engagement's ``reach_lookup``), so every result is the same as with the full table
    (tests/defence/test_flyout.py). Such tables are kept for the block only (never in the caches).
    Used by the assessment engine per chunk: a Monte-Carlo draw scales the burnout speed, and each
    scaled interceptor would otherwise fly its sectors at every site, in reach or not."""
    token = _BEYOND.set({"nearest": {float(k): float(v) for k, v in nearest_m_by_lat.items()}, "tables": {}})
    try:
        yield
    finally:
        _BEYOND.reset(token)


def nearest_by_lat(threats, sites) -> dict:
    """{site latitude: the smallest ground range, m, from any site at that latitude to any threat
    sample}, as the engagement measures it (central angle between the site and the sample, Earth-fixed
    at the sample's time, times the site's geocentric radius); {} without threats."""
    if threats is None or not sites:
        return {}
    valid = np.arange(threats.t_s.shape[1])[None, :] < threats.n_samples[:, None]
    r = eci_to_ecef(threats.r_eci_m[valid], threats.t_s[valid], threats.earth)
    u = r / np.linalg.norm(r, axis=-1, keepdims=True)
    out: dict = {}
    for sp in sites:
        s = geodetic_to_ecef(sp.lat_deg, sp.lon_deg, sp.alt_m, threats.earth)
        rs = float(np.linalg.norm(s))
        ca = float(np.max(u @ (s / rs))) if u.size else -1.0
        d = math.acos(min(1.0, max(-1.0, ca))) * rs
        out[float(sp.lat_deg)] = min(d, out.get(float(sp.lat_deg), math.inf))
    return out


def _beyond_table(booster: Missile, max_flight_time_s: float, lat_deg: float) -> RotatingTable | None:
    """The sector-free table of ``threats_beyond`` when it applies, else None."""
    hint = _BEYOND.get()
    if hint is None or float(lat_deg) not in hint["nearest"]:
        return None
    key = (booster, float(max_flight_time_s), float(lat_deg))
    if key in hint["tables"]:
        return hint["tables"][key]
    base = _fine_base_stored(booster, extended_flight_time_s(max_flight_time_s))
    if not hint["nearest"][float(lat_deg)] > base.max_range_m + BEYOND_MARGIN_M:
        return None
    dr, dh, nr, nh = _sector_grid(base)
    rt = RotatingTable(base, float(lat_deg), dr, dh, np.full((N_SECTORS, nr, nh), np.inf),
                       np.zeros((N_SECTORS, nr, nh)), float(max_flight_time_s))
    hint["tables"][key] = rt
    return rt


def _booster_key(booster: Missile) -> str:
    import dataclasses

    return repr(tuple(getattr(booster, f.name) for f in dataclasses.fields(booster) if f.compare))


@lru_cache(maxsize=16)
def _fine_base_stored(booster: Missile, t_ext: float) -> FlyoutTable:
    """``_fine_base`` through the disk cache (kind ``flyout-base``): the sector-free tables of
    ``threats_beyond`` need only the base, and a later scenario of the same run reads it back."""
    from ..diskcache import cached

    return cached("flyout-base", {"booster": _booster_key(booster), "t_ext_s": float(t_ext),
                                  "grid": [_N_KICKS, _N_RANGE, _N_ALT, _SAMPLE_S]},
                  lambda: _fine_base(booster, t_ext), FlyoutTable, TABLE_DEPENDS)


def rotating_table_for(booster: Missile, max_flight_time_s: float, lat_deg: float) -> RotatingTable:
    """``build_rotating_table``, cached in the process and on disk (``bmdcheck.diskcache``: named by a
    hash of the booster, the flight-time limit, the latitude, the table parameters and the sources
    in TABLE_DEPENDS); inside ``threats_beyond``, sector-free where no threat is in reach."""
    rt = _beyond_table(booster, max_flight_time_s, lat_deg)
    return rt if rt is not None else _rotating_table_cached(booster, float(max_flight_time_s), float(lat_deg))


@lru_cache(maxsize=32)  # 8 sectors × 152 × 202 cells × 2 arrays: ~4 MB each; the base (12 MB) is shared
def _rotating_table_cached(booster: Missile, max_flight_time_s: float, lat_deg: float) -> RotatingTable:
    """The table from its sectors (disk cache kind ``flyout-sectors``) and the booster's one base
    (``_fine_base_stored``): every latitude's table holds the same base object, in memory and on disk
    (a hundred sites at a hundred latitudes are one base and a hundred ~4 MB sector sets)."""
    from ..diskcache import cached

    params = {"booster": _booster_key(booster),
              "max_flight_time_s": float(max_flight_time_s), "lat_deg": float(lat_deg),
              "grid": [N_SECTORS, _SECTOR_KICKS, _SECTOR_RANGE, _SECTOR_ALT, _SECTOR_SAMPLE_S, _N_KICKS, _N_RANGE,
                       _N_ALT, _SAMPLE_S]}
    base = _fine_base_stored(booster, extended_flight_time_s(max_flight_time_s))
    e = cached("flyout-sectors", params,
               lambda: _SectorEntry.of(build_rotating_table(booster, max_flight_time_s, lat_deg)),
               _SectorEntry, TABLE_DEPENDS)
    return e.table(base)


@dataclass(frozen=True)
class _SectorEntry:
    """A RotatingTable's own part (latitude, sector grid, corrections) as the disk cache's record;
    the base is stored once per booster (kind ``flyout-base``)."""

    grid: np.ndarray  # lat_deg, dr_m, dh_m, max_flight_time_s
    dt_s: np.ndarray
    defl_rad: np.ndarray

    @classmethod
    def of(cls, rt: RotatingTable) -> "_SectorEntry":
        return cls(np.array([rt.lat_deg, rt.dr_m, rt.dh_m, rt.max_flight_time_s]), rt.dt_s, rt.defl_rad)

    def table(self, base: FlyoutTable) -> RotatingTable:
        g = [float(x) for x in self.grid]
        return RotatingTable(base, g[0], g[1], g[2], self.dt_s, self.defl_rad, g[3])
