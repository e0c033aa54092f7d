"""An independent reference for the engagement solver: one pair, one sample at a time.

Written apart from ``engagement.py`` and ``flyout.py`` so that an error in either shows up as a
disagreement (docs/VALIDATION.md, "mutations"), for the tests and ``bmdcheck bench engage``:

- **Geodesy from PROJ** (pyproj, EPSG:4979 <-> EPSG:4978) for the WGS84 Earth, and a closed form
  for the sphere; the ECI -> ECEF rotation r_ecef = Rz(-ωt) r_eci written out here. Nothing from
  ``earth.frames``.
- **Reach by direct interpolation of flown trajectories** (``DirectReach``), not the fly-out
  table: a fan of the interceptor's own trajectories (both steering laws of the model: gravity
  turn, and attitude held to burnout) is flown once; for each query point (ground range R,
  altitude h) every trajectory's first ascending and first descending crossing of h itself is
  found (bisection on the running maximum / minimum of its altitude samples, linear in time
  between 0.5-s samples), and where the crossing range passes R between adjacent kicks the arrival
  time, speed and flight-path angle are interpolated linearly in the kick; where one of two
  adjacent kicks tops out below h, the branch is closed at the apogee of the boundary trajectory
  (apogees interpolated linearly in the kick). The earliest arrival over both branches and both
  steering laws wins. No range or altitude grid.
- **The checks** of docs/design/engagement.md, in plain Python per sample, in the model's order:
  altitude band, reach, maximum flight time, launch time, closing speed.

Same model, so verdicts and window edges must agree with the compiled solver within the reach
interpolation error (the table is within 1 s of direct integration, docs/validation/flyout.md)
and one sample interval.
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from numba import njit

_SITE_LAT_DEG = 45.0  # the model's fan is flown from 45° N toward azimuth 90° on the non-rotating Earth
_DT_S = 0.5


@lru_cache(maxsize=1)
def _proj():
    from pyproj import Transformer

    return (Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True),
            Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True))


def lla_to_ecef(lat_deg, lon_deg, alt_m, earth) -> np.ndarray:
    """Geodetic (WGS84, PROJ) or geocentric (sphere of radius earth.a_m) to ECEF, m; (..., 3)."""
    lat, lon, alt = np.broadcast_arrays(*(np.asarray(v, float) for v in (lat_deg, lon_deg, alt_m)))
    if earth.f == 0.0:
        la, lo = np.radians(lat), np.radians(lon)
        r = earth.a_m + alt
        return np.stack([r * np.cos(la) * np.cos(lo), r * np.cos(la) * np.sin(lo), r * np.sin(la)], -1)
    if abs(earth.a_m - 6_378_137.0) > 1e-6 or abs(1.0 / earth.f - 298.257223563) > 1e-6:
        raise ValueError("the reference geodesy is WGS84 (PROJ) or a sphere")
    x, y, z = _proj()[0].transform(lon, lat, alt)
    return np.stack([x, y, z], -1)


def ecef_to_alt(r_ecef_m, earth) -> np.ndarray:
    """Height above the WGS84 ellipsoid (PROJ) or the sphere, m; (...)."""
    r = np.asarray(r_ecef_m, float)
    if earth.f == 0.0:
        return np.linalg.norm(r, axis=-1) - earth.a_m
    _, _, h = _proj()[1].transform(r[..., 0], r[..., 1], r[..., 2])
    return np.asarray(h, float)


def _rot(r, t, w):
    """r_ecef = Rz(-ωt) r_eci, per row."""
    th = w * np.asarray(t, float)
    c, s = np.cos(th), np.sin(th)
    return np.stack([c * r[..., 0] + s * r[..., 1], -s * r[..., 0] + c * r[..., 1], r[..., 2]], -1)


# --------------------------------------------------------------------------------------------
# Reach


@njit(cache=True, inline="always")
def _first_index(key, k, lo, hi, h, up, j):
    """First i in [lo, hi] with key[k, i] >= h (up) or key[k, i] < h (down); key monotone; -1 if none.

    Searched from a guess j (the previous query's answer: queries along a threat track move
    little), stepping toward the answer.
    """
    if up:
        if key[k, hi] < h:
            return -1
    elif key[k, hi] >= h:
        return -1
    if j < lo or j > hi:
        j = lo
    if (key[k, j] >= h) if up else (key[k, j] < h):  # at or past the answer: step back
        while j > lo and ((key[k, j - 1] >= h) if up else (key[k, j - 1] < h)):
            j -= 1
    else:
        while not ((key[k, j] >= h) if up else (key[k, j] < h)):
            j += 1
    return j


class _Fan(NamedTuple):
    """A flown fan of K fly-outs sampled at M times, rows padded (``DirectReach``): ground range d,
    altitude alt (-1e9 past the end), time t, speed spd, flight-path angle fpa (K, M); running
    maximum kmax and running minimum from the apogee on kmin (K, M); apogee index i_apo, sample
    count n and steering law (0 gravity turn, 1 attitude hold) (K,); dmax3, amax3 (K,) the largest
    range and apogee of trajectories k-1, k, k+1."""

    d: np.ndarray
    alt: np.ndarray
    t: np.ndarray
    spd: np.ndarray
    fpa: np.ndarray
    kmax: np.ndarray
    kmin: np.ndarray
    i_apo: np.ndarray
    n: np.ndarray
    law: np.ndarray
    dmax3: np.ndarray
    amax3: np.ndarray


@njit(cache=True)
def _earliest(R, H, fan, tmax, out):
    """Earliest arrival (t, speed, fpa) at each (R[q], H[q]) from the fan; inf where none within tmax.

    When R or H is beyond fan.dmax3[k] or fan.amax3[k], no pair involving k can bracket the point,
    and k is skipped (a pure speed-up).
    """
    d, alt, t, spd, fpa, kmax, kmin, i_apo, n, law = (fan.d, fan.alt, fan.t, fan.spd, fan.fpa, fan.kmax, fan.kmin,
                                                      fan.i_apo, fan.n, fan.law)
    dmax3, amax3 = fan.dmax3, fan.amax3
    K = d.shape[0]
    xd = np.empty(K)
    xt = np.empty(K)
    xv = np.empty(K)
    xg = np.empty(K)
    guess = np.zeros((2, K), np.int64)
    for q in range(R.shape[0]):
        best_t, best_v, best_g = math.inf, 0.0, 0.0
        h = H[q]
        for branch in range(2):
            for k in range(K):
                xd[k] = math.nan
                if n[k] < 2 or dmax3[k] < R[q] or amax3[k] < h:
                    continue
                if branch == 0:
                    i = _first_index(kmax, k, 0, i_apo[k], h, True, guess[0, k])
                else:
                    if i_apo[k] >= n[k] - 1:
                        continue
                    i = _first_index(kmin, k, i_apo[k], n[k] - 1, h, False, guess[1, k])
                    if i <= i_apo[k]:  # the apogee itself is below h: no crossing
                        continue
                if i <= 0:
                    continue
                guess[branch, k] = i
                a0, a1 = alt[k, i - 1], alt[k, i]
                f = 0.0 if a1 == a0 else (h - a0) / (a1 - a0)
                f = min(max(f, 0.0), 1.0)
                xd[k] = d[k, i - 1] + f * (d[k, i] - d[k, i - 1])
                xt[k] = t[k, i - 1] + f * (t[k, i] - t[k, i - 1])
                xv[k] = spd[k, i - 1] + f * (spd[k, i] - spd[k, i - 1])
                xg[k] = fpa[k, i - 1] + f * (fpa[k, i] - fpa[k, i - 1])
            for k in range(K - 1):
                if law[k] != law[k + 1]:
                    continue
                fa, fb = not math.isnan(xd[k]), not math.isnan(xd[k + 1])
                if fa and fb:  # both cross h on this branch: the crossing range passes R between them?
                    da, ta, va, gva = xd[k], xt[k], xv[k], xg[k]
                    db, tb, vb, gvb = xd[k + 1], xt[k + 1], xv[k + 1], xg[k + 1]
                elif fa or fb:  # one tops out below h: close the branch at the boundary trajectory's apogee
                    ha, hb = alt[k, i_apo[k]], alt[k + 1, i_apo[k + 1]]
                    if n[k] < 2 or n[k + 1] < 2 or not (min(ha, hb) < h <= max(ha, hb)):
                        continue
                    w = (h - ha) / (hb - ha)
                    dc = d[k, i_apo[k]] + w * (d[k + 1, i_apo[k + 1]] - d[k, i_apo[k]])
                    tc = t[k, i_apo[k]] + w * (t[k + 1, i_apo[k + 1]] - t[k, i_apo[k]])
                    vc = spd[k, i_apo[k]] + w * (spd[k + 1, i_apo[k + 1]] - spd[k, i_apo[k]])
                    j = k if fa else k + 1
                    da, ta, va, gva = xd[j], xt[j], xv[j], xg[j]
                    db, tb, vb, gvb = dc, tc, vc, 0.0
                else:
                    continue
                ga, gb = da - R[q], db - R[q]
                if ga * gb > 0.0:
                    continue
                w = 0.0 if ga == gb else ga / (ga - gb)
                tt = ta + w * (tb - ta)
                if tt < best_t:
                    best_t = tt
                    best_v = va + w * (vb - va)
                    best_g = gva + w * (gvb - gva)
        if best_t > tmax:
            best_t, best_v, best_g = math.inf, 0.0, 0.0
        out[0, q] = best_t
        out[1, q] = best_v
        out[2, q] = best_g


class DirectReach:
    """Earliest arrival of an interceptor at (ground range R, altitude h) from a flown fan, no grid.

    ``booster``: the interceptor model (``flyout.booster_for``); the fan is flown with the flight
    engine on the non-rotating WGS84 Earth with J2 and USSA76 from 45° N toward azimuth 90° (the
    model of docs/design/engagement.md), with ``n_kicks`` kicks uniform in 0–89.5° per steering law.
    Ranges are arcs on the sphere of the launch point's geocentric radius (from PROJ).
    ``__call__(R, h)`` -> (t_s, speed_mps, fpa_rad) arrays; t = inf where unreachable.
    """

    def __init__(self, booster, max_flight_time_s: float, n_kicks: int = 721):
        from ..earth.model import EarthModel
        from ..flight.batch import fly_missile_batch
        from ..flight.kernel import STATUS_BOOST_CRASH

        earth = EarthModel("wgs84", "j2", False, "ussa76")
        self.max_flight_time_s = float(max_flight_time_s)
        hold = dataclasses.replace(booster, pitch_hold=True,
                                   t_kick_s=max(1.0, min(booster.t_kick_s, 0.1 * booster.burn_end_s)))
        site = lla_to_ecef(_SITE_LAT_DEG, 0.0, 0.0, earth)
        r_site = float(np.linalg.norm(site))
        u_site = site / r_site
        kicks = np.linspace(0.0, 89.5, n_kicks)
        parts = []
        for law, m in enumerate((booster, hold)):
            b = fly_missile_batch(m, _SITE_LAT_DEG, 0.0, 90.0, kicks, earth=earth, sample_interval_s=_DT_S,
                                  duration_s=self.max_flight_time_s + 10.0)
            n = np.where(b.status == STATUS_BOOST_CRASH, 0, b.n_samples).astype(np.int64)
            M = b.t_s.shape[1]
            valid = np.arange(M)[None, :] < n[:, None]
            r = np.where(valid[..., None], b.r_eci_m, site)  # non-rotating: ECI = ECEF
            alt = np.where(valid, ecef_to_alt(r, earth), -1e9)
            up = r / np.linalg.norm(r, axis=-1, keepdims=True)
            d = np.arccos(np.clip(up @ u_site, -1.0, 1.0)) * r_site
            v = b.v_eci_mps
            spd = np.linalg.norm(v, axis=-1)
            fpa = np.arcsin(np.clip(np.sum(v * up, -1) / np.maximum(spd, 1e-9), -1.0, 1.0))
            i_apo = np.argmax(alt, axis=1).astype(np.int64)
            kmax = np.maximum.accumulate(alt, axis=1)
            kmin = alt.copy()
            for k in range(len(n)):  # running minimum from the apogee on (first descending crossing)
                kmin[k, i_apo[k]:] = np.minimum.accumulate(alt[k, i_apo[k]:])
            kmin[~valid] = -1e9
            parts.append((d, alt, b.t_s, spd, fpa, kmax, kmin, i_apo, n, np.full(len(n), law, np.int64)))
        M = max(p[0].shape[1] for p in parts)

        def cat(j, fill):
            arrs = []
            for p in parts:
                a = p[j]
                if a.ndim == 2 and a.shape[1] < M:
                    a = np.concatenate([a, np.full((a.shape[0], M - a.shape[1]), fill)], axis=1)
                arrs.append(a)
            return np.ascontiguousarray(np.concatenate(arrs))

        cols = (cat(0, 0.0), cat(1, -1e9), cat(2, np.inf), cat(3, 0.0), cat(4, 0.0), cat(5, -1e9),
                cat(6, -1e9), cat(7, 0), cat(8, 0), cat(9, 0))
        d, kmax, n = cols[0], cols[5], cols[8]
        valid = np.arange(M)[None, :] < n[:, None]
        dmax = np.where(valid, d, 0.0).max(axis=1)
        amax = kmax.max(axis=1)
        dmax3 = np.maximum(np.maximum(dmax, np.r_[dmax[1:], 0.0]), np.r_[0.0, dmax[:-1]])
        amax3 = np.maximum(np.maximum(amax, np.r_[amax[1:], -1e9]), np.r_[-1e9, amax[:-1]])
        self._fan = _Fan(*cols, dmax3, amax3)

    def __call__(self, range_m, alt_m):
        R, H = np.broadcast_arrays(np.atleast_1d(np.asarray(range_m, float)), np.atleast_1d(np.asarray(alt_m, float)))
        R, H = np.ascontiguousarray(R.ravel()), np.ascontiguousarray(H.ravel())
        out = np.empty((3, R.size))
        _earliest(R, H, self._fan, self.max_flight_time_s, out)
        return out[0], out[1], out[2]


# --------------------------------------------------------------------------------------------
# Windows


def _hermite(t0, r0, v0, t1, r1, v1, t):
    """ECI state at time t in [t0, t1] by cubic Hermite interpolation of the two samples (r, v)."""
    h = t1 - t0
    x = (t - t0) / h
    h00, h10, h01, h11 = 2 * x**3 - 3 * x**2 + 1, x**3 - 2 * x**2 + x, -2 * x**3 + 3 * x**2, x**3 - x**2
    d00, d10, d01, d11 = 6 * x**2 - 6 * x, 3 * x**2 - 4 * x + 1, -6 * x**2 + 6 * x, 3 * x**2 - 2 * x
    r = h00 * r0 + h10 * h * v0 + h01 * r1 + h11 * h * v1
    v = (d00 * r0 + d10 * h * v0 + d01 * r1 + d11 * h * v1) / h
    return r, v


def _feasible(t_s, r, v, site, reach, t_launch_s, min_alt_m, max_alt_m, min_tof_s, max_tof_s, min_closing_mps,
              earth) -> np.ndarray:
    """Every check of docs/design/engagement.md at each point (t_s (K,), ECI r, v (K, 3)): (K,) bool."""
    w = earth.omega_rad_s
    rs = float(np.linalg.norm(site))
    us = site / rs
    x = _rot(r, t_s, w)
    h = ecef_to_alt(x, earth)
    ux = x / np.linalg.norm(x, axis=-1, keepdims=True)
    ang = np.arccos(np.clip(ux @ us, -1.0, 1.0))
    v_rel = _rot(v - w * np.stack([-r[:, 1], r[:, 0], np.zeros(len(r))], -1), t_s, w)  # v − ω ẑ × r, ECEF axes
    band = (h >= min_alt_m) & (h <= max_alt_m)
    T = np.full(len(t_s), math.inf)
    V = np.zeros(len(t_s))
    G = np.zeros(len(t_s))
    if band.any():
        T[band], V[band], G[band] = reach(ang[band] * rs, h[band])
    ok = np.zeros(len(t_s), dtype=bool)
    for k in range(len(t_s)):
        if not band[k] or not math.isfinite(T[k]):
            continue
        tof = max(T[k], min_tof_s)
        if tof > max_tof_s or t_s[k] - t_launch_s < tof:
            continue
        a = ang[k]
        horiz = (ux[k] * math.cos(a) - us) / math.sin(a) if math.sin(a) > 1e-9 else np.zeros(3)
        v_int = V[k] * (math.cos(G[k]) * horiz + math.sin(G[k]) * ux[k])
        if float(np.linalg.norm(v_rel[k] - v_int)) < min_closing_mps:
            continue
        ok[k] = True
    return ok


def reference_window(t_s, r_eci_m, v_eci_mps, site_lla, reach: DirectReach, t_launch_s, *, min_alt_m, max_alt_m,
                     min_tof_s=0.0, max_tof_s=math.inf, min_closing_mps=0.0, earth=None, refine: bool = False):
    """Feasible samples of one pair, one at a time; returns (feasible, first_s, last_s, n_feasible).

    t_s (M,), r_eci_m / v_eci_mps (M, 3): the threat's samples; site_lla (lat, lon, alt_m);
    reach: a ``DirectReach`` of the interceptor. first/last are sample times (no sub-sample
    refinement): agreement with the compiled solver is expected within one sample interval plus
    the reach interpolation error. ``refine=True``: each edge that lies between two samples is
    found by bisection in time (12 halvings of the sample interval, every check evaluated at the
    threat state interpolated by cubic Hermite from the two samples' positions and velocities:
    independent of the compiled solver's linear interpolation of margins); a window open at the
    first (last) sample starts (ends) there.
    """
    from ..earth.model import EarthModel

    earth = earth or EarthModel()
    t_s = np.asarray(t_s, float)
    r = np.asarray(r_eci_m, float)
    v = np.asarray(v_eci_mps, float)
    site = lla_to_ecef(site_lla[0], site_lla[1], site_lla[2], earth)
    lim = (site, reach, t_launch_s, min_alt_m, max_alt_m, min_tof_s, max_tof_s, min_closing_mps, earth)
    ok = _feasible(t_s, r, v, *lim)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return False, math.nan, math.nan, 0
    k0, k1 = int(idx[0]), int(idx[-1])
    first, last = float(t_s[k0]), float(t_s[k1])
    if refine:
        def edge(a, b, inside_at_b):  # bisection between samples a and b (b = a + 1)
            lo, hi = float(t_s[a]), float(t_s[b])
            for _ in range(12):
                mid = 0.5 * (lo + hi)
                rm, vm = _hermite(t_s[a], r[a], v[a], t_s[b], r[b], v[b], mid)
                if bool(_feasible(np.array([mid]), rm[None], vm[None], *lim)[0]) == inside_at_b:
                    hi = mid
                else:
                    lo = mid
            return 0.5 * (lo + hi)

        if k0 > 0:
            first = edge(k0 - 1, k0, True)
        if k1 < len(t_s) - 1:
            last = edge(k1, k1 + 1, False)
    return True, first, last, int(idx.size)
