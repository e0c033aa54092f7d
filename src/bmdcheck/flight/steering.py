"""Solve the free steering parameters so a missile reaches an aim point on a requested shape.

Unknowns per trajectory: launch azimuth, pitch-kick angle δ and, where the shape needs it, the
thrust cut-off time (energy management). Shapes:

- ``min-energy``: cut-off chosen so the inertial burnout flight-path angle equals the Keplerian
  minimum-energy angle between the burnout point and the impact point,
  γ_me = ½ ∠(−r̂_bo, r_imp − r_bo) (the empty focus of the minimum-energy ellipse lies on the chord;
  Bate, Mueller & White 1971, §6.2). Beyond the range where this needs more than a full burn, the
  missile flies a full burn on the pitch branch nearest that angle (close to its maximum range).
- ``lofted`` / ``depressed``: full burn, δ on the branch below / above the maximum-range kick; with
  a requested apogee, the cut-off time is also solved so the apogee matches.

Method: a coarse fan of flights over (δ, cut-off) brackets the solution; Newton iterations with
forward-difference Jacobians (all trajectories of an iteration flown as one batch) polish it to a
few metres at the aim point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..earth.frames import geodesic_inverse
from ..earth.model import EarthModel
from ..errors import BmdcheckError
from .batch import DEFAULT_RTOL, fly_missile_batch
from .missile import Missile

SHAPES = ("min-energy", "lofted", "depressed")

_KICKS_DEG = np.unique(np.concatenate([np.geomspace(0.25, 20.0, 8), np.linspace(23.0, 89.0, 23)]))
_CUT_FRACTIONS = np.linspace(0.25, 1.0, 9)
_TOL_KM = 0.002  # aim-point residual, km
MISS_TOL_KM = 0.05
"""A solved flight lands within this geodesic distance (km) of its aim point, or it is not solved."""
_TOL_SHAPE = 0.002  # deg (min-energy angle) or km (apogee)
_MAX_ITER = 15


def landing_miss_km(batch, aim_lat, aim_lon) -> np.ndarray:
    """Geodesic distance (km, shape (N,)) from each flight's impact point to its aim point; NaN for a
    flight that did not impact. A solved flight must have it ≤ ``MISS_TOL_KM``: callers that fly
    solved steering check it, so a miss is a failure with a reason, never a reported impact."""
    lat, lon, _ = batch.impact_geodetic()
    d = geodesic_inverse(np.asarray(aim_lat, float), np.asarray(aim_lon, float), lat, lon, batch.earth)[0] / 1e3
    return np.where(batch.ok, d, np.nan)


@dataclass
class Steering:
    """Solved steering per trajectory, arrays of shape (N,)."""

    azimuth_deg: np.ndarray
    kick_deg: np.ndarray
    t_cut_s: np.ndarray
    ok: np.ndarray
    miss_km: np.ndarray  # geodesic distance from the impact to the aim point, km
    error: list  # per trajectory: None or a one-line message


def _diagnostics(batch, launch_lat, launch_lon, d_aim_km, az_aim, shape, apogee_km):
    """Residuals (down-range, cross-range, shape) and the distance flown, km.

    Down- and cross-range are the impact's coordinates along and across the aim azimuth at the
    launch point (d cos Δψ - d_aim, d sin Δψ): unlike the range difference alone they tell a flight
    to the opposite side of the launch point from a hit.
    """
    lat, lon, _ = batch.impact_geodetic()
    d, az = geodesic_inverse(launch_lat, launch_lon, lat, lon, batch.earth)
    d_km = d / 1e3
    daz = np.radians((az - az_aim + 180.0) % 360.0 - 180.0)
    r1 = d_km * np.cos(daz) - d_aim_km
    r2 = d_km * np.sin(daz)
    if shape == "min-energy":
        rb, vb, ri = batch.r_burnout_eci_m, batch.v_burnout_eci_mps, batch.r_impact_eci_m
        # a flight that never burns out or comes down (unreachable aim) gives 0/0 here; its rows
        # are set to NaN below, so the NumPy warning would only leak to the terminal
        with np.errstate(invalid="ignore", divide="ignore"):
            gam = np.degrees(np.arcsin(np.sum(rb * vb, -1) / (np.linalg.norm(rb, axis=-1) * np.linalg.norm(vb, axis=-1))))
            ch = ri - rb
            cosang = np.sum(-rb * ch, -1) / (np.linalg.norm(rb, axis=-1) * np.linalg.norm(ch, axis=-1))
            gme = 0.5 * np.degrees(np.arccos(np.clip(cosang, -1, 1)))
        r3 = gam - gme
    elif apogee_km is not None:
        r3 = batch.apogee_alt_m() / 1e3 - apogee_km
    else:
        r3 = np.zeros_like(r1)
    bad = ~batch.ok
    r1[bad] = np.nan
    r2[bad] = np.nan
    r3[bad] = np.nan
    return r1, r2, r3, d_km


def _km(d_km: float) -> str:
    """A distance for a message: whole km from 10 km up, 0.1 km from 1 km, else metres."""
    return f"{d_km:,.0f} km" if d_km >= 10 else (f"{d_km:.1f} km" if d_km >= 1 else f"{d_km * 1e3:.0f} m")


def _cross(x, f, target, lo, hi, rising):
    """First x in index range [lo, hi) where f crosses target going up (rising) or down; else nan."""
    for k in range(lo, hi - 1):
        a, b = f[k] - target, f[k + 1] - target
        if not (np.isfinite(a) and np.isfinite(b)):
            continue
        if (rising and a <= 0 <= b) or (not rising and a >= 0 >= b):
            w = 0.0 if a == b else a / (a - b)
            return x[k] + w * (x[k + 1] - x[k]), k, w
    return np.nan, -1, 0.0


def solve_steering(missile: Missile, launch_lat, launch_lon, aim_lat, aim_lon, shape: str = "min-energy",
                   apogee_km: float | None = None, *, earth: EarthModel = EarthModel(),
                   rtol: float = DEFAULT_RTOL) -> Steering:
    """Find (azimuth, kick, cut-off) that fly ``missile`` from each launch point to its aim point.

    Inputs broadcast to (N,). Returns a :class:`Steering`; entries that cannot be solved carry a
    one-line reason in ``error`` (e.g. the aim point is beyond the maximum range, which it states).
    """
    if shape not in SHAPES:
        raise BmdcheckError(f"shape must be one of {', '.join(SHAPES)}, got {shape!r}")
    if apogee_km is not None:
        if shape == "min-energy":
            raise BmdcheckError("an apogee can only be requested for lofted or depressed trajectories")
        if not (np.isfinite(apogee_km) and apogee_km > 0):
            raise BmdcheckError(f"apogee must be a positive number of km, got {apogee_km}")
    la, lo_, ta, to = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float))
                                            for v in (launch_lat, launch_lon, aim_lat, aim_lon)))
    n = la.shape[0]
    d_aim, az_aim = geodesic_inverse(la, lo_, ta, to, earth)
    d_aim = d_aim / 1e3
    t_full = missile.burn_end_s
    free_cut = shape == "min-energy" or apogee_km is not None
    cuts = _CUT_FRACTIONS * t_full if free_cut else np.array([t_full])
    nk, nt = len(_KICKS_DEG), len(cuts)

    # --- coarse fan ---------------------------------------------------------------------------
    kk = np.broadcast_to(_KICKS_DEG[None, None, :], (n, nt, nk)).ravel()
    tt = np.broadcast_to(cuts[None, :, None], (n, nt, nk)).ravel()
    rep = lambda a: np.repeat(a, nt * nk)  # noqa: E731
    # the fan only brackets the solution: a loose tolerance is enough (the polish uses rtol_polish)
    fan = fly_missile_batch(missile, rep(la), rep(lo_), rep(az_aim), kk, tt, earth=earth, rtol=max(rtol, 1e-8))
    r1, r2, r3, dk = _diagnostics(fan, rep(la), rep(lo_), rep(d_aim), rep(az_aim), shape, apogee_km)
    D = dk.reshape(n, nt, nk)
    D[~fan.ok.reshape(n, nt, nk)] = np.nan
    G = r3.reshape(n, nt, nk)

    az0 = az_aim.copy()
    kick0 = np.full(n, np.nan)
    cut0 = np.full(n, t_full)
    errors: list = [None] * n
    for i in range(n):
        full = D[i, -1]
        if not np.any(np.isfinite(full)):
            errors[i] = f"{missile.name} cannot fly a ballistic trajectory from this launch point"
            continue
        kstar = int(np.nanargmax(full))
        dmax = full[kstar]
        if 0 < kstar < nk - 1 and np.all(np.isfinite(full[kstar - 1:kstar + 2])):
            # parabola through the three points around the coarse maximum
            x0, x1, x2 = _KICKS_DEG[kstar - 1:kstar + 2]
            y0, y1, y2 = full[kstar - 1:kstar + 2]
            den = (x0 - x1) * (x0 - x2) * (x1 - x2)
            A = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / den
            B = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / den
            Cc = (x1 * x2 * (x1 - x2) * y0 + x2 * x0 * (x2 - x0) * y1 + x0 * x1 * (x0 - x1) * y2) / den
            if A < 0:
                xv = -B / (2 * A)
                dmax = max(dmax, A * xv * xv + B * xv + Cc)
        if d_aim[i] > dmax * 1.003:
            errors[i] = (f"{missile.name} cannot reach the aim point {_km(d_aim[i])} away: its maximum range "
                         f"from this launch point in this direction is about {dmax:,.0f} km")
            continue
        if shape == "min-energy":
            rows_k, rows_d = [], []
            for j in range(nt):
                kx, k, w = _cross(_KICKS_DEG, G[i, j], 0.0, 0, nk, rising=False)
                if np.isfinite(kx):
                    dj = D[i, j, k] + w * (D[i, j, k + 1] - D[i, j, k])
                    rows_k.append(kx)
                    rows_d.append(dj)
                else:
                    rows_k.append(np.nan)
                    rows_d.append(np.nan)
            rows_k, rows_d = np.array(rows_k), np.array(rows_d)
            tc, j, w = _cross(cuts, rows_d, d_aim[i], 0, nt, rising=True)
            if np.isfinite(tc):
                kick0[i] = rows_k[j] + w * (rows_k[j + 1] - rows_k[j])
                cut0[i] = tc
                continue
            # beyond a full-burn minimum-energy flight: full burn, branch nearest that angle
            branch_lofted = np.isfinite(rows_k[-1]) and rows_k[-1] < _KICKS_DEG[kstar]
            if not np.any(np.isfinite(rows_d)):
                errors[i] = (f"{missile.name}: no minimum-energy trajectory found to the aim point "
                             f"{_km(d_aim[i])} away; try a lofted or depressed shape")
                continue
            if d_aim[i] < np.nanmin(rows_d):
                errors[i] = (f"{missile.name}: the aim point {_km(d_aim[i])} away is closer than its shortest "
                             f"minimum-energy range here (about {np.nanmin(rows_d):,.0f} km); try a lofted or depressed shape")
                continue
            lofted = branch_lofted
            row = D[i, -1]
        else:
            lofted = shape == "lofted"
            row = D[i, -1]
        if apogee_km is not None:
            ap, ks = [], []
            for j in range(nt):
                rowj = D[i, j]
                if not np.any(np.isfinite(rowj)):
                    ap.append(np.nan)
                    ks.append(np.nan)
                    continue
                ksj = int(np.nanargmax(rowj))
                kx, k, w = (_cross(_KICKS_DEG, rowj, d_aim[i], 0, ksj + 1, rising=True) if lofted
                            else _cross(_KICKS_DEG, rowj, d_aim[i], ksj, nk, rising=False))
                ks.append(kx)
                ap.append(G[i, j, k] + w * (G[i, j, k + 1] - G[i, j, k]) + apogee_km if np.isfinite(kx) else np.nan)
            ap, ks = np.array(ap), np.array(ks)
            tc, j, w = _cross(cuts, ap, apogee_km, 0, nt, rising=lofted)
            if not np.isfinite(tc):
                fin = ap[np.isfinite(ap)]
                rng = (f"between about {fin.min():,.0f} and {fin.max():,.0f} km" if fin.size > 1 and fin.max() - fin.min() > 1
                       else (f"about {fin[0]:,.0f} km, with a full burn" if fin.size else "none"))
                errors[i] = (f"{missile.name}: a {shape} apogee of {apogee_km:,.0f} km is not reachable at "
                             f"{_km(d_aim[i])} range (achievable {shape} apogees: {rng})")
                continue
            kick0[i] = ks[j] + w * (ks[j + 1] - ks[j])
            cut0[i] = tc
            continue
        kx, _, _ = (_cross(_KICKS_DEG, row, d_aim[i], 0, kstar + 1, rising=True) if lofted
                    else _cross(_KICKS_DEG, row, d_aim[i], kstar, nk, rising=False))
        if not np.isfinite(kx):
            part = row[:kstar + 1] if lofted else row[kstar:]
            if np.any(np.isfinite(part)) and d_aim[i] < np.nanmin(part):
                errors[i] = (f"{missile.name}: the aim point {_km(d_aim[i])} away is closer than its shortest "
                             f"{'lofted' if lofted else 'depressed'} range here with a full burn "
                             f"(about {np.nanmin(part):,.0f} km)")
                continue
            kx = _KICKS_DEG[kstar]
        kick0[i] = kx
        cut0[i] = t_full

    # --- Newton polish --------------------------------------------------------------------------
    solve_cut = free_cut & np.array([True] * n)
    if shape == "min-energy":
        # rows that fell back to a full burn keep the cut fixed
        solve_cut = cut0 < t_full - 1e-9
    active = np.array([e is None for e in errors])
    az, kick, cut = az0, kick0, cut0
    rtol_polish = min(rtol, 1e-10)  # the depressed branch is steep: range noise must stay below a metre
    best = np.full(n, np.inf)
    best_p = np.stack([az0, kick0, cut0], axis=-1).copy()
    miss = np.full(n, np.nan)
    ok = np.zeros(n, dtype=bool)
    steps = np.array([0.01, 0.01, 0.05])
    for it in range(_MAX_ITER):
        idx = np.nonzero(active)[0]
        if idx.size == 0:
            break
        m = idx.size
        base = np.stack([az[idx], kick[idx], cut[idx]], axis=-1)  # (m, 3)
        pert = np.repeat(base[:, None, :], 4, axis=1)
        for q in range(3):
            pert[:, q + 1, q] += steps[q] if q < 2 else -steps[q]  # cut perturbed downward (stays ≤ full)
        P = pert.reshape(-1, 3)
        b = fly_missile_batch(missile, np.repeat(la[idx], 4), np.repeat(lo_[idx], 4), P[:, 0], P[:, 1], P[:, 2],
                              earth=earth, rtol=rtol_polish)
        q1, q2, q3, _ = _diagnostics(b, np.repeat(la[idx], 4), np.repeat(lo_[idx], 4), np.repeat(d_aim[idx], 4),
                                     np.repeat(az_aim[idx], 4), shape, apogee_km)
        R = np.stack([q1, q2, q3], axis=-1).reshape(m, 4, 3)
        true_miss = landing_miss_km(b, np.repeat(ta[idx], 4), np.repeat(to[idx], 4))[0::4]
        r0 = R[:, 0, :]
        J = (R[:, 1:, :] - r0[:, None, :]).transpose(0, 2, 1) / np.array([steps[0], steps[1], -steps[2]])[None, None, :]
        for jj, i in enumerate(idx):
            res = r0[jj]
            mi = float(true_miss[jj])
            if not (np.all(np.isfinite(res[:2])) and np.isfinite(mi)):
                errors[i] = f"{missile.name}: steering solution failed (trajectory did not reach the ground)"
                active[i] = False
                continue
            if mi < best[i]:
                best[i] = mi
                best_p[i] = base[jj]
            miss[i] = mi
            use3 = shape == "min-energy" and solve_cut[i] or (apogee_km is not None)
            done = (abs(res[0]) < _TOL_KM and abs(res[1]) < _TOL_KM and mi < MISS_TOL_KM
                    and (not use3 or abs(res[2]) < _TOL_SHAPE))
            if done:
                ok[i] = True
                active[i] = False
                continue
            if use3:
                Jm, rv = J[jj], res
            else:
                Jm, rv = J[jj][:2, :2], res[:2]
            try:
                du = np.linalg.solve(Jm, -rv)
            except np.linalg.LinAlgError:
                du = np.zeros(len(rv))
            if not np.all(np.isfinite(du)):
                errors[i] = f"{missile.name}: steering solution failed to converge"
                active[i] = False
                continue
            lim = np.array([2.0, 3.0, 10.0])[:len(du)]
            sc = np.max(np.abs(du) / lim)
            if sc > 1:
                du = du / sc
            az[i] = (az[i] + du[0]) % 360.0
            kick[i] = float(np.clip(kick[i] + du[1], 0.05, 89.0))
            if use3:
                cut[i] = float(np.clip(cut[i] + du[2], 0.05 * t_full, t_full))
    for i in np.nonzero(active)[0]:
        # not converged to the polish target: fall back to the best flown parameters
        az[i], kick[i], cut[i] = best_p[i]
        miss[i] = best[i]
        if best[i] < MISS_TOL_KM:  # close enough to the aim point: accept
            ok[i] = True
        else:
            errors[i] = f"{missile.name}: steering did not converge (best miss {best[i]:.2f} km)"
    return Steering(az, kick, cut, ok, miss, errors)
