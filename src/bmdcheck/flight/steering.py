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


def check_shape(shape: str, apogee_km) -> None:
    """Refuse an unknown shape, an apogee with min-energy, or an apogee that is not a positive number of km."""
    if shape not in SHAPES:
        raise BmdcheckError(f"shape must be one of {', '.join(SHAPES)}, got {shape!r}")
    if apogee_km is not None:
        if shape == "min-energy":
            raise BmdcheckError("an apogee can only be requested for lofted or depressed trajectories")
        if not (np.isfinite(apogee_km) and apogee_km > 0):
            raise BmdcheckError(f"apogee must be a positive number of km, got {apogee_km}")


@dataclass
class _Aim:
    """One steering problem per trajectory, arrays (N,): launch and aim points (deg), the aim's
    geodesic distance (km) and initial azimuth (deg) from the launch point."""

    launch_lat: np.ndarray
    launch_lon: np.ndarray
    aim_lat: np.ndarray
    aim_lon: np.ndarray
    d_aim_km: np.ndarray
    az_aim_deg: np.ndarray


def _fan(missile: Missile, aim: _Aim, cuts, shape, apogee_km, earth, rtol):
    """The coarse fan over (cut-off, kick) per trajectory: distance flown D and shape residual G,
    both (N, n_cut, n_kick); D is NaN where the flight did not impact."""
    n, nt, nk = len(aim.d_aim_km), len(cuts), len(_KICKS_DEG)
    kk = np.broadcast_to(_KICKS_DEG[None, None, :], (n, nt, nk)).ravel()
    tt = np.broadcast_to(cuts[None, :, None], (n, nt, nk)).ravel()
    rep = lambda a: np.repeat(a, nt * nk)  # noqa: E731
    la, lo = rep(aim.launch_lat), rep(aim.launch_lon)
    # the fan only brackets the solution: a loose tolerance is enough (the polish is tighter)
    fan = fly_missile_batch(missile, la, lo, rep(aim.az_aim_deg), kk, tt, earth=earth, rtol=max(rtol, 1e-8))
    _, _, r3, dk = _diagnostics(fan, la, lo, rep(aim.d_aim_km), rep(aim.az_aim_deg), shape, apogee_km)
    D = dk.reshape(n, nt, nk)
    D[~fan.ok.reshape(n, nt, nk)] = np.nan
    return D, r3.reshape(n, nt, nk)


def _max_range(full):
    """Index of the largest full-burn range of the fan row and that range (km), refined by the
    parabola through the three points around the coarse maximum."""
    nk = len(full)
    kstar = int(np.nanargmax(full))
    dmax = full[kstar]
    if 0 < kstar < nk - 1 and np.all(np.isfinite(full[kstar - 1:kstar + 2])):
        x0, x1, x2 = _KICKS_DEG[kstar - 1:kstar + 2]
        y0, y1, y2 = full[kstar - 1:kstar + 2]
        den = (x0 - x1) * (x0 - x2) * (x1 - x2)
        A = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / den
        B = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / den
        Cc = (x1 * x2 * (x1 - x2) * y0 + x2 * x0 * (x2 - x0) * y1 + x0 * x1 * (x0 - x1) * y2) / den
        if A < 0:
            xv = -B / (2 * A)
            dmax = max(dmax, A * xv * xv + B * xv + Cc)
    return kstar, dmax


def _bracket_min_energy(name, Di, Gi, d_aim, cuts, kstar):
    """Minimum-energy start of one trajectory from its fan rows Di, Gi (n_cut, n_kick).

    Returns (kick, cut, lofted, error): a bracketed (kick, cut), or NaNs and the full-burn branch
    nearest the minimum-energy kick (lofted or not), or an error message.
    """
    nt, nk = Di.shape
    rows_k = np.full(nt, np.nan)
    rows_d = np.full(nt, np.nan)
    for j in range(nt):
        kx, k, w = _cross(_KICKS_DEG, Gi[j], 0.0, 0, nk, rising=False)
        if np.isfinite(kx):
            rows_k[j] = kx
            rows_d[j] = Di[j, k] + w * (Di[j, k + 1] - Di[j, k])
    tc, j, w = _cross(cuts, rows_d, d_aim, 0, nt, rising=True)
    if np.isfinite(tc):
        return rows_k[j] + w * (rows_k[j + 1] - rows_k[j]), tc, None, None
    # beyond a full-burn minimum-energy flight: full burn, branch nearest that angle
    lofted = np.isfinite(rows_k[-1]) and rows_k[-1] < _KICKS_DEG[kstar]
    if not np.any(np.isfinite(rows_d)):
        return np.nan, np.nan, lofted, (f"{name}: no minimum-energy trajectory found to the aim point "
                                        f"{_km(d_aim)} away; try a lofted or depressed shape")
    if d_aim < np.nanmin(rows_d):
        return np.nan, np.nan, lofted, (f"{name}: the aim point {_km(d_aim)} away is closer than its shortest "
                                        f"minimum-energy range here (about {np.nanmin(rows_d):,.0f} km); "
                                        "try a lofted or depressed shape")
    return np.nan, np.nan, lofted, None


def _bracket_apogee(name, Di, Gi, d_aim, cuts, shape, apogee_km, lofted):
    """(kick, cut, error) meeting the requested apogee on the branch, from the fan rows."""
    nt, nk = Di.shape
    ap = np.full(nt, np.nan)
    ks = np.full(nt, np.nan)
    for j in range(nt):
        rowj = Di[j]
        if not np.any(np.isfinite(rowj)):
            continue
        ksj = int(np.nanargmax(rowj))
        kx, k, w = (_cross(_KICKS_DEG, rowj, d_aim, 0, ksj + 1, rising=True) if lofted
                    else _cross(_KICKS_DEG, rowj, d_aim, ksj, nk, rising=False))
        ks[j] = kx
        ap[j] = Gi[j, k] + w * (Gi[j, k + 1] - Gi[j, k]) + apogee_km if np.isfinite(kx) else np.nan
    tc, j, w = _cross(cuts, ap, apogee_km, 0, nt, rising=lofted)
    if not np.isfinite(tc):
        fin = ap[np.isfinite(ap)]
        rng = (f"between about {fin.min():,.0f} and {fin.max():,.0f} km" if fin.size > 1 and fin.max() - fin.min() > 1
               else (f"about {fin[0]:,.0f} km, with a full burn" if fin.size else "none"))
        return np.nan, np.nan, (f"{name}: a {shape} apogee of {apogee_km:,.0f} km is not reachable at "
                                f"{_km(d_aim)} range (achievable {shape} apogees: {rng})")
    return ks[j] + w * (ks[j + 1] - ks[j]), tc, None


def _bracket_full_burn(name, full, d_aim, kstar, lofted):
    """(kick, error) of a full burn reaching d_aim on the branch below (lofted) or above the
    maximum-range kick index kstar; the maximum-range kick when the aim is just beyond reach."""
    nk = len(full)
    kx, _, _ = (_cross(_KICKS_DEG, full, d_aim, 0, kstar + 1, rising=True) if lofted
                else _cross(_KICKS_DEG, full, d_aim, kstar, nk, rising=False))
    if np.isfinite(kx):
        return kx, None
    part = full[:kstar + 1] if lofted else full[kstar:]
    if np.any(np.isfinite(part)) and d_aim < np.nanmin(part):
        return np.nan, (f"{name}: the aim point {_km(d_aim)} away is closer than its shortest "
                        f"{'lofted' if lofted else 'depressed'} range here with a full burn "
                        f"(about {np.nanmin(part):,.0f} km)")
    return _KICKS_DEG[kstar], None


def _bracket(name, Di, Gi, d_aim, cuts, shape, apogee_km, t_full):
    """Starting (kick, cut, error) of one trajectory from its fan rows Di, Gi (n_cut, n_kick)."""
    full = Di[-1]
    if not np.any(np.isfinite(full)):
        return np.nan, t_full, f"{name} cannot fly a ballistic trajectory from this launch point"
    kstar, dmax = _max_range(full)
    if d_aim > dmax * 1.003:
        return np.nan, t_full, (f"{name} cannot reach the aim point {_km(d_aim)} away: its maximum range "
                                f"from this launch point in this direction is about {dmax:,.0f} km")
    if shape == "min-energy":
        kick, cut, lofted, err = _bracket_min_energy(name, Di, Gi, d_aim, cuts, kstar)
        if err is not None:
            return np.nan, t_full, err
        if np.isfinite(kick):
            return kick, cut, None
    else:
        lofted = shape == "lofted"
    if apogee_km is not None:
        kick, cut, err = _bracket_apogee(name, Di, Gi, d_aim, cuts, shape, apogee_km, lofted)
        return (np.nan, t_full, err) if err is not None else (kick, cut, None)
    kick, err = _bracket_full_burn(name, full, d_aim, kstar, lofted)
    return kick, t_full, err


_STEPS = np.array([0.01, 0.01, 0.05])
"""Finite-difference steps of the polish: azimuth (deg), kick (deg), cut-off (s, taken downward)."""


def _fd_residuals(missile, aim: _Aim, idx, base, shape, apogee_km, earth, rtol):
    """Fly the rows idx at base (m, 3) and at the three perturbed points, as one batch.

    Returns the residuals at base (m, 3), their Jacobian (m, 3, 3) and the true miss (km) at base.
    """
    m = idx.size
    pert = np.repeat(base[:, None, :], 4, axis=1)
    for q in range(3):
        pert[:, q + 1, q] += _STEPS[q] if q < 2 else -_STEPS[q]  # cut perturbed downward (stays ≤ full)
    P = pert.reshape(-1, 3)
    la, lo = np.repeat(aim.launch_lat[idx], 4), np.repeat(aim.launch_lon[idx], 4)
    b = fly_missile_batch(missile, la, lo, P[:, 0], P[:, 1], P[:, 2], earth=earth, rtol=rtol)
    q1, q2, q3, _ = _diagnostics(b, la, lo, np.repeat(aim.d_aim_km[idx], 4), np.repeat(aim.az_aim_deg[idx], 4),
                                 shape, apogee_km)
    R = np.stack([q1, q2, q3], axis=-1).reshape(m, 4, 3)
    true_miss = landing_miss_km(b, np.repeat(aim.aim_lat[idx], 4), np.repeat(aim.aim_lon[idx], 4))[0::4]
    r0 = R[:, 0, :]
    J = (R[:, 1:, :] - r0[:, None, :]).transpose(0, 2, 1) / np.array([_STEPS[0], _STEPS[1], -_STEPS[2]])[None, None, :]
    return r0, J, true_miss


def _newton_du(Jm, rv):
    """Newton step -Jm⁻¹ rv, scaled down to at most (2°, 3°, 10 s); None if it is not finite."""
    try:
        du = np.linalg.solve(Jm, -rv)
    except np.linalg.LinAlgError:
        du = np.zeros(len(rv))
    if not np.all(np.isfinite(du)):
        return None
    lim = np.array([2.0, 3.0, 10.0])[:len(du)]
    sc = np.max(np.abs(du) / lim)
    return du / sc if sc > 1 else du


def _polish(missile, aim: _Aim, x, solve_cut, errors, shape, apogee_km, earth, rtol):
    """Newton iterations with forward-difference Jacobians on (azimuth, kick, cut) x (N, 3), in
    place; rows with an error are skipped. Returns (ok, miss_km)."""
    n = len(errors)
    t_full = missile.burn_end_s
    active = np.array([e is None for e in errors])
    az, kick, cut = x[:, 0], x[:, 1], x[:, 2]
    rtol_polish = min(rtol, 1e-10)  # the depressed branch is steep: range noise must stay below a metre
    best = np.full(n, np.inf)
    best_p = x.copy()
    miss = np.full(n, np.nan)
    ok = np.zeros(n, dtype=bool)
    for it in range(_MAX_ITER):
        idx = np.nonzero(active)[0]
        if idx.size == 0:
            break
        base = np.stack([az[idx], kick[idx], cut[idx]], axis=-1)  # (m, 3)
        r0, J, true_miss = _fd_residuals(missile, aim, idx, base, shape, apogee_km, earth, rtol_polish)
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
            if (abs(res[0]) < _TOL_KM and abs(res[1]) < _TOL_KM and mi < MISS_TOL_KM
                    and (not use3 or abs(res[2]) < _TOL_SHAPE)):
                ok[i] = True
                active[i] = False
                continue
            du = _newton_du(J[jj], res) if use3 else _newton_du(J[jj][:2, :2], res[:2])
            if du is None:
                errors[i] = f"{missile.name}: steering solution failed to converge"
                active[i] = False
                continue
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
    return ok, miss


def solve_steering(missile: Missile, launch_lat, launch_lon, aim_lat, aim_lon, shape: str = "min-energy",
                   apogee_km: float | None = None, *, earth: EarthModel = EarthModel(),
                   rtol: float = DEFAULT_RTOL) -> Steering:
    """Find (azimuth, kick, cut-off) that fly ``missile`` from each launch point to its aim point.

    Inputs broadcast to (N,). Returns a :class:`Steering`; entries that cannot be solved carry a
    one-line reason in ``error`` (e.g. the aim point is beyond the maximum range, which it states).
    """
    check_shape(shape, apogee_km)
    la, lo, ta, to = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float))
                                           for v in (launch_lat, launch_lon, aim_lat, aim_lon)))
    n = la.shape[0]
    d_aim, az_aim = geodesic_inverse(la, lo, ta, to, earth)
    aim = _Aim(la, lo, ta, to, d_aim / 1e3, az_aim)
    t_full = missile.burn_end_s
    free_cut = shape == "min-energy" or apogee_km is not None
    cuts = _CUT_FRACTIONS * t_full if free_cut else np.array([t_full])
    D, G = _fan(missile, aim, cuts, shape, apogee_km, earth, rtol)
    x = np.stack([az_aim.copy(), np.full(n, np.nan), np.full(n, t_full)], axis=-1)
    errors: list = [None] * n
    for i in range(n):
        k, c, errors[i] = _bracket(missile.name, D[i], G[i], aim.d_aim_km[i], cuts, shape, apogee_km, t_full)
        if errors[i] is None:
            x[i, 1], x[i, 2] = k, c
    # rows that fell back to a full burn keep the cut fixed
    solve_cut = x[:, 2] < t_full - 1e-9 if shape == "min-energy" else np.full(n, free_cut)
    ok, miss = _polish(missile, aim, x, solve_cut, errors, shape, apogee_km, earth, rtol)
    return Steering(x[:, 0].copy(), x[:, 1].copy(), x[:, 2].copy(), ok, miss, errors)
