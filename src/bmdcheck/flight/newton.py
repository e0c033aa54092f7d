"""Batched steering: a Kepler predictor, then Newton steps on the impact point with the batch kernel.

The same problem as :mod:`bmdcheck.flight.steering` (same unknowns, shapes and residuals), solved
with a handful of kernel flights per trajectory instead of hundreds:

1. **Boost table** (once per missile and Earth model, cached): the burnout state (time, altitude,
   downrange angle, speed, flight-path angle) of full boosts on the non-rotating Earth over a grid
   of pitch kicks δ (uniform in √δ) and cut-off times; bicubic (Catmull-Rom) interpolation.
2. **Predictor** M(az, δ, t_cut): the tabulated burnout state placed along the launch azimuth,
   turned into the inertial frame at burnout (Earth rotation added, v_eci = v_rel + ω ẑ × r), then
   the closed-form Kepler arc (:func:`kepler.ballistic_range`) down to the aim point's radius and
   the Earth turned under it. It neglects Coriolis during boost, J2 and re-entry drag (tens of
   km at ICBM ranges); its residuals are the kernel's: the impact point's east/north offset from
   the aim point in the aim's local frame (km) and the shape condition (γ_bo − γ_me in degrees,
   or apogee − requested apogee in km), with γ_me = ½ ∠(−r̂_bo, r_imp − r_bo) (Bate, Mueller &
   White 1971, §6.2).
3. First guess: the predictor's full-burn kick fan per trajectory (maximum range, branches) and
   a shared (kick, cut-off) fan on the non-rotating Earth, bracketed with the reference solver's
   rules; Newton on the predictor then gives x₀ (no flights so far).
4. **Kernel iterations**, all active trajectories of a batch in one call of the lock-step kernel
   (``fly_missile_batch(kernel="lockstep")``, ~7x cheaper than the adaptive kernel at rtol 1e-10 and
   within a few metres of it): fly x_k, measure the residual R(x_k). The defect d = R − M varies
   slowly: the step solves (J_M + B) Δx = −R(x_k), J_M the predictor's Jacobian at x_k (compiled,
   :mod:`flight.predictor`) and B the defect's Jacobian learnt by Broyden rank-one updates from the
   steps flown (the first step: Newton on M(x) + d₀ = 0). A trajectory whose residual does not
   shrink by 4x gets kernel sensitivities in the next call: finite differences flown as 3 extra
   trajectories in the same batch, and a plain Newton step.
5. **Verification**: a row whose lock-step miss is below TOL_LOCKSTEP_KM (5 m, shape condition
   met), or whose lock-step residual was below TOL_DIRECT_KM (1 km) before its last step (the
   steps shrink the residual ~100-fold), is flown once by the adaptive kernel at the caller's
   tolerance (at most 1e-10). It is solved when that flight misses by at most TOL_MISS_KM (10 m)
   with the shape condition within 0.002° (or 2 m of apogee); the miss reported is that flight's.
   Otherwise the two kernels' difference at that x (measured by a lock-step flight there if
   there was none) is added to the row's lock-step residual and the iterations go on. Typically
   2–3 lock-step flights and 1 adaptive flight per trajectory. ``iter_kernel="adaptive"`` flies
   the iterations with the adaptive kernel instead (rtol 1e-6, 1e-9, then the final tolerance).

Failures are status codes with reasons (``STATUS_TEXT``); :func:`aim` runs this fast path and
hands every trajectory it does not solve to :func:`steering.solve_steering` (the reference path),
whose answer (or error message) is then used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np

from ..earth.frames import eci_to_ecef, geodetic_to_ecef
from ..earth.model import EarthModel
from ..errors import BmdcheckError
from . import kepler, kernel
from .batch import DEFAULT_RTOL, FlightBatch, fly_missile_batch
from .missile import Missile
from .steering import Steering, check_shape, solve_steering

STATUS_OK, STATUS_NO_BRACKET, STATUS_OUT_OF_RANGE, STATUS_TOO_SHORT, STATUS_NOT_CONVERGED, \
    STATUS_FLIGHT_FAILED, STATUS_WRONG_BRANCH = range(7)
STATUS_TEXT = {
    STATUS_OK: "solved",
    STATUS_NO_BRACKET: "the predictor found no solution on the requested branch",
    STATUS_OUT_OF_RANGE: "the aim point is beyond the predicted maximum range",
    STATUS_TOO_SHORT: "the aim point is closer than the predicted shortest minimum-energy range",
    STATUS_NOT_CONVERGED: "Newton iterations did not converge",
    STATUS_FLIGHT_FAILED: "a trial trajectory did not reach the ground",
    STATUS_WRONG_BRANCH: "the solution lies on the other pitch branch",
}

TOL_MISS_KM = 0.01
TOL_LOCKSTEP_KM = 0.005  # lock-step miss at which a row is flown once with the adaptive kernel
TOL_DIRECT_KM = 1.0  # lock-step residual from which the stepped row is verified without another lock-step flight
TOL_SHAPE = 0.002  # deg (min-energy angle) or km (apogee)
MAX_KERNEL_ITER = 10
# kernel tolerance of the first calls, then the caller's (at most 1e-10): the first flights only
# measure the predictor's error (tens of km), the second a few km
_RTOL_SCHEDULE = (1e-6, 1e-9)
_N_KICK = 48
_TABLE_VERSION = 1  # bump when the table's contents change meaning
_CUT_STEP_S = 8.0
_CUT_RETRY_S = 1.0  # s short of the full burn: where _retry_cut_off starts a min-energy row
_FAN_KICKS = 26
_FAN_CUTS = 10
_KICK_LO, _KICK_HI = 0.2, 89.5
_CORIOLIS_K = 1.0 / 3.0  # position effect of the boost's Coriolis velocity change, × t_bo
_CORIOLIS_B = 0.25  # gravity-turn carry-over of the Coriolis turn of v_rel, × t_bo


# ---------------------------------------------------------------------------------------------
# boost table
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoostTable:
    """Burnout states of boosts on the non-rotating Earth, per cut-off segment.

    The cut-off axis is split at the boost events (end of the pitch programme, stage ignitions
    and burnouts), where the burnout state's time derivative jumps; each segment has its own
    grid, uniform in the rocket-equation variable ln(m0/m) (time in a coast), so the cubic
    interpolation never straddles a kink. Kick grid: kick_deg = s²
    with s uniform in [√0.2, √89.5]. Columns: t_bo_s, alt_m (geocentric radius − a),
    theta_rad (downrange central angle), speed_mps, gamma_rad (above the geocentric horizontal).
    """

    s_grid: np.ndarray
    segments: tuple  # of (t0_s, t1_s, m0_kg, mdot_kgps, values (5, n_cut + 2, n_kick + 2) with ghosts; NaN: crashed)

    @cached_property
    def packed(self):
        """(seg (S, 5): t0, t1, m0, mdot, n_cut; V (S, 5, max n_cut + 2, n_kick + 2)) for the
        compiled predictor (``flight.predictor``)."""
        S = len(self.segments)
        ncm = max(v.shape[1] for *_, v in self.segments)
        seg = np.zeros((S, 5))
        V = np.full((S, 5, ncm, self.segments[0][4].shape[2]), np.nan)
        for q, (t0, t1, m0, mdot, v) in enumerate(self.segments):
            seg[q] = (t0, t1, m0, mdot, v.shape[1] - 2)
            V[q, :, :v.shape[1]] = v
        return seg, V

    def interp(self, kick_deg, t_cut_s):
        """Bicubic Catmull-Rom interpolation; returns (5, N); NaN where a node boost crashed."""
        s = np.sqrt(np.clip(kick_deg, _KICK_LO, _KICK_HI))
        ds = self.s_grid[1] - self.s_grid[0]
        u = (s - self.s_grid[0]) / ds
        nk = len(self.s_grid)
        iu = np.clip(np.floor(u).astype(np.int64), 0, nk - 2)
        cu = _catmull(u - iu)
        tc = np.clip(t_cut_s, self.segments[0][0], self.segments[-1][1])
        out = np.full((5,) + np.shape(u), np.nan)
        for q, (t0, t1, m0, mdot, V) in enumerate(self.segments):
            last = q == len(self.segments) - 1
            sel = (tc >= t0) & ((tc < t1) | last)
            if not np.any(sel):
                continue
            nc = V.shape[1] - 2
            w = _seg_coord(tc[sel], t0, t1, m0, mdot) * (nc - 1)
            iw = np.clip(np.floor(w).astype(np.int64), 0, nc - 2)
            cw = _catmull(w - iw)
            ius = iu[sel]
            acc = np.zeros((5, ius.size))
            for a in range(4):
                row = np.zeros((5, ius.size))
                for b in range(4):
                    row += cu[b][sel] * V[:, iw + a, ius + b]
                acc += cw[a] * row
            out[:, sel] = acc
        out[0] = np.where(np.isfinite(out[0]), tc, np.nan)  # the burnout time is the cut-off time
        return out


def _catmull(f):
    """Catmull-Rom weights of the 4 nodes around a cell at fraction f in [0, 1]."""
    f2, f3 = f * f, f * f * f
    return [-0.5 * f3 + f2 - 0.5 * f, 1.5 * f3 - 2.5 * f2 + 1.0, -1.5 * f3 + 2.0 * f2 + 0.5 * f, 0.5 * f3 - 0.5 * f2]


def _ghosts(vals):
    """Pad (5, nc, nk) by one linearly extrapolated node on every side."""
    q, nc, nk = vals.shape
    pad = np.empty((q, nc + 2, nk + 2))
    pad[:, 1:-1, 1:-1] = vals
    pad[:, 0, 1:-1] = 2 * vals[:, 0] - vals[:, 1]
    pad[:, -1, 1:-1] = 2 * vals[:, -1] - vals[:, -2]
    pad[:, :, 0] = 2 * pad[:, :, 1] - pad[:, :, 2]
    pad[:, :, -1] = 2 * pad[:, :, -2] - pad[:, :, -3]
    return pad


def _cut_segments(missile: Missile):
    """Cut-off segments between boost events, from 0.05 × burn time: (t0, t1, n_nodes, m0_kg, mdot).

    m0 is the stack mass just after t0 and mdot the burning stage's mass flow (0 in a coast).
    """
    t_full = missile.burn_end_s
    st = missile.stage_table()
    ev = {missile.t_vertical_s + missile.t_kick_s, t_full}
    for row in st:
        ev.update((float(row[0]), float(row[1])))
    t_lo = 0.05 * t_full
    ev = sorted(e for e in ev if t_lo < e <= t_full)
    segs, t0 = [], t_lo
    for e in ev:
        if e - t0 > 1e-6:
            tm = 0.5 * (t0 + e)
            m0 = float(missile.payload_kg) + sum(r[5] + r[2] * (r[1] - max(t0, r[0])) for r in st if r[1] > t0)
            mdot = sum(r[2] for r in st if r[0] <= tm < r[1])
            segs.append((t0, e, max(4, int(np.ceil((e - t0) / _CUT_STEP_S)) + 1), m0, mdot))
        t0 = e
    return segs


def _seg_coord(t, t0, t1, m0, mdot):
    """Interpolation coordinate in [0, 1] along a segment: the rocket-equation variable
    ln(m0 / m(t)) (burnout speed is nearly linear in it), or time in a coast."""
    if mdot <= 0:
        return (t - t0) / (t1 - t0)
    c1 = -np.log1p(-mdot * (t1 - t0) / m0)
    return -np.log1p(-mdot * (t - t0) / m0) / c1


def _seg_nodes(t0, t1, m, m0, mdot):
    """Cut-off times of m nodes uniform in the segment coordinate."""
    c = np.linspace(0.0, 1.0, m)
    if mdot <= 0:
        return t0 + c * (t1 - t0)
    c1 = -np.log1p(-mdot * (t1 - t0) / m0)
    return t0 + m0 / mdot * (-np.expm1(-c * c1))


def _cache_file(missile: Missile, earth: EarthModel):
    """Where a table is kept between runs: $NUMBA_CACHE_DIR (set by the Makefile) or
    ~/.cache/bmdcheck, named by a hash of everything the table depends on (missile, Earth, grid,
    and the kernel's source)."""
    import dataclasses
    import hashlib
    import os
    from pathlib import Path

    key = repr((tuple(getattr(missile, f.name) for f in dataclasses.fields(missile) if f.compare),
                earth.shape, earth.gravity, earth.atmosphere, _N_KICK, _CUT_STEP_S, _KICK_LO, _KICK_HI,
                _TABLE_VERSION)).encode() + Path(kernel.__file__).read_bytes()
    root = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "bmdcheck")
    return Path(root) / "bmdcheck-boost" / f"{missile.name}-{hashlib.sha256(key).hexdigest()[:20]}.npz"


def _load(path, missile):
    with np.load(path) as z:
        segs = tuple((float(z[f"t0_{q}"]), float(z[f"t1_{q}"]), float(z[f"m0_{q}"]), float(z[f"mdot_{q}"]), z[f"v_{q}"])
                     for q in range(int(z["n_seg"])))
        return BoostTable(z["s_grid"], segs)


def _save(path, tab: BoostTable):
    """Temp file + rename: a reader never sees a half-written table; failures are ignored (cache)."""
    import os
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {"s_grid": tab.s_grid, "n_seg": np.array(len(tab.segments))}
        for q, (t0, t1, m0, mdot, v) in enumerate(tab.segments):
            arrays.update({f"t0_{q}": np.array(t0), f"t1_{q}": np.array(t1), f"m0_{q}": np.array(m0),
                           f"mdot_{q}": np.array(mdot), f"v_{q}": v})
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except OSError:
        pass


@lru_cache(maxsize=32)
def boost_table(missile: Missile, earth: EarthModel = EarthModel()) -> BoostTable:
    """The boost table of a missile: from the on-disk cache, or flown once (equatorial launch to
    the east, non-rotating Earth) and cached."""
    path = _cache_file(missile, earth)
    try:
        return _load(path, missile)
    except (OSError, KeyError, ValueError):
        pass
    tab = _fly_boost_table(missile, earth)
    _save(path, tab)
    return tab


def _fly_boost_table(missile: Missile, earth: EarthModel) -> BoostTable:
    flat = EarthModel(earth.shape, earth.gravity, False, earth.atmosphere)
    t_full = missile.burn_end_s
    s_grid = np.linspace(np.sqrt(_KICK_LO), np.sqrt(_KICK_HI), _N_KICK)
    segs = _cut_segments(missile)
    cuts = np.concatenate([_seg_nodes(*sg) for sg in segs])
    kk = np.tile(s_grid ** 2, len(cuts))
    tc = np.repeat(cuts, _N_KICK)
    b = fly_missile_batch(missile, 0.0, 0.0, 90.0, kk, tc, earth=flat, duration_s=t_full + 1e-6)
    r, v = b.r_burnout_eci_m, b.v_burnout_eci_mps
    rn = np.linalg.norm(r, axis=-1)
    vn = np.linalg.norm(v, axis=-1)
    theta = np.arctan2(np.hypot(r[:, 1], r[:, 2]), r[:, 0])
    gam = np.arcsin(np.clip(np.sum(r * v, -1) / (rn * np.maximum(vn, 1e-9)), -1, 1))
    vals = np.stack([b.burnout_time_s, rn - flat.a_m, theta, vn, gam]).reshape(5, len(cuts), _N_KICK)
    vals[:, (b.status == kernel.STATUS_BOOST_CRASH).reshape(len(cuts), _N_KICK)] = np.nan
    out, j = [], 0
    for t0, t1, m, m0, mdot in segs:
        out.append((t0, t1, m0, mdot, _ghosts(vals[:, j:j + m])))
        j += m
    return BoostTable(s_grid, tuple(out))


# ---------------------------------------------------------------------------------------------
# geometry shared by predictor and kernel residuals
# ---------------------------------------------------------------------------------------------
def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def kernel_basis(r_ecef_m, earth: EarthModel):
    """(up, east, north) at a position as the kernel forms them (geodetic up; fixed axes at a pole)."""
    a, b = earth.a_m, earth.b_m
    u = _unit(r_ecef_m * np.array([1 / (a * a), 1 / (a * a), 1 / (b * b)]))
    en = np.hypot(u[..., 0], u[..., 1])
    polar = en < 1e-12
    safe = np.where(polar, 1.0, en)
    e = np.stack([np.where(polar, 0.0, -u[..., 1] / safe), np.where(polar, 1.0, u[..., 0] / safe),
                  np.zeros_like(en)], axis=-1)
    n = np.cross(u, e)
    return u, e, n


def _rotz(v, th):
    c, s = np.cos(th), np.sin(th)
    return np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1], v[..., 2]], axis=-1)


@dataclass
class _Problem:
    """Per-trajectory geometry (arrays over N) of one steering problem."""

    r0: np.ndarray  # launch ECEF (N, 3)
    up0: np.ndarray
    east0: np.ndarray
    north0: np.ndarray
    r_aim: np.ndarray  # aim ECEF (N, 3)
    e_aim: np.ndarray  # aim local east / north (N, 3)
    n_aim: np.ndarray
    theta_aim: np.ndarray  # central angle launch -> aim, rad
    az_aim: np.ndarray  # initial great-circle azimuth of the aim in the kernel's launch basis, deg

    def take(self, idx):
        return _Problem(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


def _launch_basis(la, lo, r0, earth):
    """(up, east, north) in which the kernel reads the launch azimuth: the geodetic frame of
    (lat, lon) where batch.launch_direction_ecef exists (poles: the limit along meridian lon),
    else the kernel's own basis at the launch position (fixed axes at a pole)."""
    from . import batch
    from ..earth.frames import enu_basis

    if hasattr(batch, "launch_direction_ecef"):
        e, n, u = enu_basis(la, lo)
        return u, e, n
    return kernel_basis(r0, earth)


def _problem(la, lo, ta, to, earth):
    r0 = geodetic_to_ecef(la, lo, 0.0, earth)
    up0, e0, n0 = _launch_basis(la, lo, r0, earth)
    ra = geodetic_to_ecef(ta, to, 0.0, earth)
    _, ea, na = kernel_basis(ra, earth)
    u0, ua = _unit(r0), _unit(ra)
    theta = np.arctan2(np.linalg.norm(np.cross(u0, ua), axis=-1), np.sum(u0 * ua, -1))
    dirv = ua - np.sum(ua * up0, -1)[:, None] * up0  # aim direction in the launch horizontal plane
    az = np.degrees(np.arctan2(np.sum(dirv * e0, -1), np.sum(dirv * n0, -1))) % 360.0
    return _Problem(r0, up0, e0, n0, ra, ea, na, theta, az)


def _residuals(r_bo, v_bo, r_imp_eci, t_imp, P: _Problem, earth, shape, apogee_km, apo_km=None):
    """(N, 3) residuals: impact east, north offsets from the aim (km); shape condition."""
    r_imp = eci_to_ecef(r_imp_eci, t_imp, earth)
    dv = (r_imp - P.r_aim) / 1e3
    res = np.empty((len(t_imp), 3))
    res[:, 0] = np.sum(dv * P.e_aim, -1)
    res[:, 1] = np.sum(dv * P.n_aim, -1)
    if shape == "min-energy":
        rn, vn = np.linalg.norm(r_bo, axis=-1), np.linalg.norm(v_bo, axis=-1)
        gam = np.degrees(np.arcsin(np.clip(np.sum(r_bo * v_bo, -1) / (rn * vn), -1, 1)))
        res[:, 2] = gam - np.degrees(kepler.min_energy_gamma(r_bo, r_imp_eci))
    elif apogee_km is not None:
        res[:, 2] = apo_km - apogee_km
    else:
        res[:, 2] = 0.0
    return res


def _predict(tab: BoostTable, P: _Problem, x, earth, shape, apogee_km, want_range=False, prow=None):
    """Predictor residuals (M, 3) at x = (az_deg, kick_deg, t_cut_s) (M, 3) of problem rows prow (M,)
    (default: row i of P for x[i]); NaN where invalid. With want_range, also returns the predicted
    central angle launch -> impact (rad). Compiled (``flight.predictor._predict_rows``); the
    NumPy form :func:`_predict_numpy` is its reference."""
    from .predictor import SHAPE_APOGEE, SHAPE_MIN_ENERGY, SHAPE_NONE, _predict_rows

    x = np.ascontiguousarray(x, dtype=float)
    m = x.shape[0]
    prow = np.arange(m, dtype=np.int64) if prow is None else np.ascontiguousarray(prow, dtype=np.int64)
    code = SHAPE_MIN_ENERGY if shape == "min-energy" else (SHAPE_APOGEE if apogee_km is not None else SHAPE_NONE)
    seg, V = tab.packed
    res = np.empty((m, 3))
    rng = np.empty(m)
    c = np.ascontiguousarray
    _predict_rows(tab.s_grid, seg, V, _KICK_LO, _KICK_HI, prow, c(P.r0), c(P.north0), c(P.east0), c(P.r_aim),
                 c(P.e_aim), c(P.n_aim), x, code, float(apogee_km) if apogee_km is not None else 0.0, float(earth.omega_rad_s),
                 float(earth.mu), _CORIOLIS_K, _CORIOLIS_B, res, rng)
    return (res, rng) if want_range else res


def _predict_numpy(tab: BoostTable, P: _Problem, x, earth, shape, apogee_km, want_range=False):
    """Predictor residuals (N, 3) at x = (az_deg, kick_deg, t_cut_s) (N, 3); NaN where invalid.

    With want_range, also returns the predicted central angle launch -> impact (rad).
    """
    t_bo, h_bo, th, V, g = tab.interp(x[:, 1], x[:, 2])
    az = np.radians(x[:, 0])[:, None]
    d = np.cos(az) * P.north0 + np.sin(az) * P.east0
    d = _unit(d - np.sum(d * _unit(P.r0), -1)[:, None] * _unit(P.r0))  # horizontal on the sphere
    u0 = _unit(P.r0)
    c, s = np.cos(th)[:, None], np.sin(th)[:, None]
    ub = c * u0 + s * d
    db = -s * u0 + c * d
    rb = (np.linalg.norm(P.r0, axis=-1) + h_bo)[:, None] * ub
    vrel = V[:, None] * (np.cos(g)[:, None] * db + np.sin(g)[:, None] * ub)
    w = earth.omega_rad_s
    if w != 0.0:
        # the boost relative to the turning Earth: Coriolis −2ω×v_rel integrates to −2ω×(r_bo − r0)
        # in velocity, and the gravity turn (thrust along v_rel) carries the turn of v_rel forward,
        # which adds about −2ω×v_bo·t_bo/4 (the 1/4 measured on the catalogue ICBMs: it halves the
        # predictor's miss); position effect ≈ Δv × t_bo/3; centrifugal −ω×(ω×r0) over the boost
        wv = np.array([0.0, 0.0, w])
        dr = rb - P.r0
        dv_c = -2.0 * np.cross(wv, dr) - 2.0 * np.cross(wv, vrel) * (_CORIOLIS_B * t_bo)[:, None]
        cf = w * w * np.stack([P.r0[:, 0], P.r0[:, 1], np.zeros(len(t_bo))], axis=-1)
        vrel = vrel + dv_c + cf * t_bo[:, None]
        rb = rb + dv_c * (_CORIOLIS_K * t_bo)[:, None] + 0.5 * cf * (t_bo * t_bo)[:, None]
    th_e = w * t_bo
    r_eci = _rotz(rb, th_e)
    v_eci = _rotz(vrel, th_e) + w * np.stack([-r_eci[:, 1], r_eci[:, 0], np.zeros(len(th_e))], axis=-1)
    rn, vn = np.linalg.norm(r_eci, axis=-1), np.linalg.norm(v_eci, axis=-1)
    gi = np.arcsin(np.clip(np.sum(r_eci * v_eci, -1) / (rn * vn), -1, 1))
    r_aim_n = np.linalg.norm(P.r_aim, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        arc = kepler.ballistic_range(rn, vn, gi, r_aim_n, earth.mu)
        psi = np.asarray(arc.range_angle_rad)
        hv = np.cross(r_eci, v_eci)
        p_hat = _unit(np.cross(hv, r_eci))
        r_imp = r_aim_n[:, None] * (np.cos(psi)[:, None] * (r_eci / rn[:, None]) + np.sin(psi)[:, None] * p_hat)
        t_imp = t_bo + np.asarray(arc.flight_time_s)
        apo = None
        if apogee_km is not None:
            apo = (np.asarray(arc.apogee_radius_m) - 0.5 * (np.linalg.norm(P.r0, axis=-1) + r_aim_n)) / 1e3
        res = _residuals(r_eci, v_eci, r_imp, t_imp, P, earth, shape, apogee_km, apo)
    if want_range:
        r_imp_ecef = eci_to_ecef(r_imp, t_imp, earth)
        ui = _unit(r_imp_ecef)
        rng = np.arctan2(np.linalg.norm(np.cross(u0, ui), axis=-1), np.sum(u0 * ui, -1))
        return res, rng
    return res


def _kernel_residuals(b, P, earth, shape, apogee_km):
    apo = b.apogee_alt_m() / 1e3 if (apogee_km is not None and shape != "min-energy") else None
    res = _residuals(b.r_burnout_eci_m, b.v_burnout_eci_mps, b.r_impact_eci_m, b.impact_time_s, P, earth,
                     shape, apogee_km, apo)
    res[~b.ok] = np.nan
    return res


# ---------------------------------------------------------------------------------------------
# Newton on the predictor
# ---------------------------------------------------------------------------------------------
_FD = np.array([1e-3, 1e-3, 1e-2])  # az deg, kick deg, cut s
_STEP_LIM = np.array([3.0, 4.0, 15.0])
_STEP_DONE = np.array([1e-9, 1e-9, 1e-8])  # predictor Newton: a row stops below these steps (deg, deg, s)


def _clip_x(x, t_full, free_cut):
    x[:, 0] %= 360.0
    x[:, 1] = np.clip(x[:, 1], 0.05, 89.0)
    x[:, 2] = np.clip(x[:, 2], 0.05 * t_full, t_full) if free_cut is None else np.where(
        free_cut, np.clip(x[:, 2], 0.05 * t_full, t_full), t_full)
    return x


def _newton_step(J, r, free_cut):
    """Solve J dx = −r for (N, 3, 3) J: 3 unknowns where free_cut, else (az, kick) on (east, north)."""
    n = r.shape[0]
    dx = np.zeros((n, 3))
    J3 = J.copy()
    r3 = r.copy()
    fixed = ~free_cut
    # fixed cut: the third equation is dx_cut = 0
    J3[fixed, 2, :] = 0.0
    J3[fixed, :, 2] = 0.0
    J3[fixed, 2, 2] = 1.0
    r3[fixed, 2] = 0.0
    good = np.all(np.isfinite(J3), axis=(1, 2)) & np.all(np.isfinite(r3), axis=1)
    det = np.zeros(n)
    det[good] = np.linalg.det(J3[good])
    good &= np.abs(det) > 1e-300
    if np.any(good):
        dx[good] = np.linalg.solve(J3[good], -r3[good][..., None])[..., 0]
    dx[~good] = np.nan
    sc = np.max(np.abs(dx) / _STEP_LIM, axis=1)
    dx[sc > 1] /= sc[sc > 1, None]
    return dx


def _model_jacobian(tab, P, x, earth, shape, apogee_km, free_cut, rows=None):
    """Predictor residuals (n, 3) and forward-difference Jacobian (n, 3, 3) at x (n, 3) of problem
    rows ``rows`` (default 0..n-1)."""
    n = x.shape[0]
    X = np.repeat(x[:, None, :], 4, axis=1)
    for q in range(3):
        X[:, q + 1, q] += _FD[q] if q < 2 else -_FD[q]
    rows = np.arange(n) if rows is None else rows
    R = _predict(tab, P, X.reshape(-1, 3), earth, shape, apogee_km, prow=np.repeat(rows, 4)).reshape(n, 4, 3)
    J = (R[:, 1:, :] - R[:, :1, :]).transpose(0, 2, 1) / np.array([_FD[0], _FD[1], -_FD[2]])
    return R[:, 0, :], J


def _to_full_burn(x, r, free_cut, t_full):
    """Rows whose cut-off has reached the full burn while the min-energy condition is unmet."""
    return free_cut & (x[:, 2] >= t_full - 1e-6) & ~(np.abs(r[:, 2]) < 10 * TOL_SHAPE)


def _model_solve(tab, P, x, defect, earth, shape, apogee_km, free_cut, t_full, iters=8):
    """Newton on M(x) + defect = 0 from x; returns x (rows that fail keep their start). At most
    iters steps; a row stops once its step is below _STEP_DONE (its own test: each row's answer does
    not depend on the rest of the batch)."""
    x = x.copy()
    act = np.arange(x.shape[0])
    for _ in range(iters):
        if not act.size:
            break
        r, J = _model_jacobian(tab, P, x[act], earth, shape, apogee_km, free_cut[act], rows=act)
        r = r + defect[act]
        dx = _newton_step(J, r, free_cut[act])
        ok = np.all(np.isfinite(dx), axis=1)
        x[act[ok]] = _clip_x(x[act[ok]] + dx[ok], t_full, free_cut[act[ok]])
        act = act[ok & np.any(np.abs(dx) > _STEP_DONE, axis=1)]
    return x


# ---------------------------------------------------------------------------------------------
# first guess: a fan of the predictor, bracketed with the reference solver's rules
# ---------------------------------------------------------------------------------------------
def _first_cross(F, target, rising, lo=None, hi=None):
    """Per row of F (N, K): fractional index of the first crossing of target (rising or falling)
    within columns [lo, hi); NaN if none."""
    N, K = F.shape
    a, b = F[:, :-1] - target[:, None], F[:, 1:] - target[:, None]
    hit = ((a <= 0) & (b >= 0)) if rising else ((a >= 0) & (b <= 0))
    hit &= np.isfinite(a) & np.isfinite(b)
    cols = np.arange(K - 1)[None, :]
    if lo is not None:
        hit &= cols >= lo[:, None]
    if hi is not None:
        hit &= cols < (hi[:, None] - 1)
    anyh = hit.any(axis=1)
    k = np.argmax(hit, axis=1)
    ak = a[np.arange(N), k]
    bk = b[np.arange(N), k]
    with np.errstate(invalid="ignore", divide="ignore"):
        wgt = np.where(ak == bk, 0.0, ak / (ak - bk))
    return np.where(anyh, k + wgt, np.nan)


def _at(F, fidx):
    """Linear interpolation of rows of F (N, K) at fractional column indices (N,)."""
    N, K = F.shape
    ok = np.isfinite(fidx)
    k = np.clip(np.floor(np.where(ok, fidx, 0)).astype(np.int64), 0, K - 2)
    w = np.where(ok, fidx, 0) - k
    r = np.arange(N)
    return np.where(ok, F[r, k] + w * (F[r, k + 1] - F[r, k]), np.nan)


@dataclass
class _Guess:
    """First guesses per trajectory (N,), filled in place: x (N, 3) = (az_deg, kick_deg, t_cut_s),
    whether the cut-off is free, the pitch branch (+1 lofted, -1 depressed, 0 none) and STATUS_*."""

    x: np.ndarray
    free_cut: np.ndarray
    branch: np.ndarray
    status: np.ndarray

    @classmethod
    def start(cls, az_deg, t_full):
        n = len(az_deg)
        x = np.full((n, 3), np.nan)
        x[:, 0] = az_deg
        x[:, 2] = t_full
        return cls(x, np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64), np.full(n, STATUS_OK))


def _full_burn_fan(tab, P, kicks, t_full, earth, shape, apogee_km):
    """Predicted full-burn central angles (N, n_kick) toward each aim azimuth, rotating Earth; NaN
    where the predictor fails."""
    n, nk = len(P.theta_aim), len(kicks)
    X = np.empty((n, nk, 3))
    X[..., 0] = P.az_aim[:, None]
    X[..., 1] = kicks[None, :]
    X[..., 2] = t_full
    res, rng = _predict(tab, P, X.reshape(-1, 3), earth, shape, apogee_km, want_range=True,
                        prow=np.repeat(np.arange(n), nk))
    full = rng.reshape(n, nk)
    full[~np.isfinite(res[:, 0]).reshape(n, nk)] = np.nan
    return full


def _shared_fan(tab, kicks, cuts, earth, shape, apogee_km):
    """(kick, cut) fan on the non-rotating Earth, shared by all trajectories: central angles D0 and
    shape residuals G0, both (n_cut, n_kick)."""
    nk, nt = len(kicks), len(cuts)
    flat = EarthModel(earth.shape, earth.gravity, False, earth.atmosphere)
    P0 = _problem(np.array([45.0]), np.array([0.0]), np.array([45.0]), np.array([60.0]), flat)
    X = np.empty((nt, nk, 3))
    X[..., 0] = 90.0
    X[..., 1] = kicks[None, :]
    X[..., 2] = cuts[:, None]
    res0, rng0 = _predict(tab, P0, X.reshape(-1, 3), flat, shape, apogee_km, want_range=True,
                          prow=np.zeros(nt * nk, dtype=np.int64))
    D0 = rng0.reshape(nt, nk)
    D0[~np.isfinite(res0[:, 0]).reshape(nt, nk)] = np.nan
    return D0, res0[:, 2].reshape(nt, nk)


def _kick_at(kicks, fi):
    """Kick (deg) at fractional index fi of the geometric kick grid."""
    return np.exp(np.interp(fi, np.arange(len(kicks)), np.log(kicks)))


def _guess_min_energy(g: _Guess, D, G, ta_free, out, kicks, kstar, cuts):
    """Min-energy (kick, cut) bracketed on the fan; returns the rows left to a full burn."""
    n, nt = D.shape[0], len(cuts)
    rows_k = np.full((n, nt), np.nan)
    rows_d = np.full((n, nt), np.nan)
    for j in range(nt):
        fi = _first_cross(G[:, j, :], np.zeros(n), rising=False)
        rows_k[:, j] = fi
        rows_d[:, j] = _at(D[:, j, :], fi)
    fj = _first_cross(rows_d, ta_free, rising=True)
    inside = np.isfinite(fj) & ~out
    kf = _at(rows_k, fj)
    g.x[inside, 1] = _kick_at(kicks, kf[inside])
    g.x[inside, 2] = np.interp(fj[inside], np.arange(nt), cuts)
    g.free_cut[inside] = True
    beyond = ~inside & ~out
    with np.errstate(invalid="ignore"):
        dmin_me = np.nanmin(np.where(np.isfinite(rows_d), rows_d, np.nan), axis=1) if nt else np.nan
    short = beyond & (~np.any(np.isfinite(rows_d), axis=1) | (ta_free < dmin_me))
    g.status[short] = STATUS_TOO_SHORT
    beyond &= ~short
    # full burn, on the branch nearest the full-burn minimum-energy kick
    lofted = np.isfinite(rows_k[:, -1]) & (rows_k[:, -1] < kstar)
    g.branch[beyond] = np.where(lofted[beyond], 1, -1)
    return beyond


def _guess_apogee(g: _Guess, D, G, ta_free, out, kicks, cuts, shape, apogee_km):
    """(kick, cut) meeting the requested apogee on the shape's branch, bracketed on the fan."""
    n, nt = D.shape[0], len(cuts)
    g.branch[:] = 1 if shape == "lofted" else -1
    ap = np.full((n, nt), np.nan)
    ks = np.full((n, nt), np.nan)
    for j in range(nt):
        rowj = D[:, j, :]
        ksj = np.argmax(np.where(np.isfinite(rowj), rowj, -np.inf), axis=1)
        if shape == "lofted":
            fi = _first_cross(rowj, ta_free, rising=True, hi=ksj + 1)
        else:
            fi = _first_cross(rowj, ta_free, rising=False, lo=ksj)
        ks[:, j] = fi
        ap[:, j] = _at(G[:, j, :], fi) + apogee_km
    fj = _first_cross(ap, np.full(n, apogee_km), rising=shape == "lofted")
    inside = np.isfinite(fj) & ~out
    g.x[inside, 1] = _kick_at(kicks, _at(ks, fj)[inside])
    g.x[inside, 2] = np.interp(fj[inside], np.arange(nt), cuts)
    g.free_cut[inside] = True
    g.status[~inside & ~out] = STATUS_NO_BRACKET


def _guess_full_burn(g: _Guess, full, ta, rows, kicks, kstar):
    """Full-burn kick on each row's branch (rows: boolean mask)."""
    if not np.any(rows):
        return
    idx = np.nonzero(rows)[0]
    fl = full[idx]
    lof = g.branch[idx] == 1
    fi = np.where(lof, _first_cross(fl, ta[idx], rising=True, hi=kstar[idx] + 1),
                  _first_cross(fl, ta[idx], rising=False, lo=kstar[idx]))
    g.x[idx, 1] = _kick_at(kicks, fi)
    g.status[idx[~np.isfinite(fi)]] = STATUS_NO_BRACKET


def _first_guess(tab, P, missile, earth, shape, apogee_km):
    """Returns the first guesses (:class:`_Guess`) and the predicted maximum-range kick (N,) at full burn."""
    n = len(P.theta_aim)
    t_full = missile.burn_end_s
    free = shape == "min-energy" or apogee_km is not None
    kicks = np.geomspace(0.25, 89.0, _FAN_KICKS)
    cuts = np.linspace(0.25, 1.0, _FAN_CUTS) * t_full if free else np.array([t_full])
    nk, nt = len(kicks), len(cuts)
    # full burn, per trajectory, with the Earth's rotation: maximum range and the two branches
    full = _full_burn_fan(tab, P, kicks, t_full, earth, shape, apogee_km)
    g = _Guess.start(P.az_aim, t_full)
    allnan = ~np.any(np.isfinite(full), axis=1)
    kstar = np.argmax(np.where(np.isfinite(full), full, -np.inf), axis=1)
    dmax = np.where(allnan, np.nan, full[np.arange(n), kstar])
    ta = P.theta_aim
    out = ~(ta <= dmax * 1.003)
    g.status[out] = STATUS_OUT_OF_RANGE
    if free:
        # the aim's range is scaled by the ratio of the maximum ranges without and with rotation
        D0, G0 = _shared_fan(tab, kicks, cuts, earth, shape, apogee_km)
        D = np.broadcast_to(D0, (n, nt, nk))
        G = np.broadcast_to(G0, (n, nt, nk))
        ta_free = ta * np.nanmax(D0[-1]) / dmax
    if shape == "min-energy":
        beyond = _guess_min_energy(g, D, G, ta_free, out, kicks, kstar, cuts)
    elif apogee_km is not None:
        _guess_apogee(g, D, G, ta_free, out, kicks, cuts, shape, apogee_km)
        return g, kicks[kstar]
    else:
        g.branch[:] = 1 if shape == "lofted" else -1
        beyond = ~out
    # full-burn rows: (az, kick) on the branch
    _guess_full_burn(g, full, ta, beyond, kicks, kstar)
    return g, kicks[kstar]


# ---------------------------------------------------------------------------------------------
# the solver
# ---------------------------------------------------------------------------------------------
@dataclass
class NewtonResult:
    """Fast-path steering per trajectory (arrays (N,)); status codes STATUS_* (0 = solved)."""

    azimuth_deg: np.ndarray
    kick_deg: np.ndarray
    t_cut_s: np.ndarray
    status: np.ndarray
    miss_km: np.ndarray
    shape_residual: np.ndarray
    kernel_flights: int
    iterations: np.ndarray
    verify_flights: int = 0
    """Of kernel_flights, those flown by the adaptive kernel at the final tolerance (the misses)."""
    flights: FlightBatch | None = None
    """With sample_interval_s: the solved rows' verifying flights, sampled, in row order."""

    @property
    def ok(self):
        return self.status == STATUS_OK

    def reason(self, i: int) -> str | None:
        return None if self.status[i] == STATUS_OK else STATUS_TEXT[int(self.status[i])]


@dataclass
class _Ctx:
    """What every stage of one Newton solve reads: the boost table, the problem, the missile and
    Earth, the shape, the requested apogee (km or None)."""

    tab: BoostTable
    P: _Problem
    missile: Missile
    earth: EarthModel
    shape: str
    apogee_km: float | None

    @property
    def t_full(self):
        return self.missile.burn_end_s

    @property
    def use3(self):
        """Whether the shape condition is a third equation (where the cut-off is free)."""
        return (self.shape == "min-energy") | (self.apogee_km is not None)

    def model_solve(self, rows, x, defect, free_cut, iters=8):
        return _model_solve(self.tab, self.P.take(rows), x, defect, self.earth, self.shape, self.apogee_km,
                            free_cut, self.t_full, iters=iters)


def _predictor_start(c: _Ctx, kick_star, g: _Guess):
    """Newton on the predictor from the first guesses (no flights); min-energy rows whose cut-off
    reaches the full burn switch to a full burn on the nearest branch."""
    act = np.nonzero(g.status == STATUS_OK)[0]
    if act.size:
        g.x[act] = c.model_solve(act, g.x[act], np.zeros((act.size, 3)), g.free_cut[act])
        if c.shape == "min-energy":
            r = _predict(c.tab, c.P, g.x[act], c.earth, c.shape, c.apogee_km, prow=act)
            sw = _to_full_burn(g.x[act], r, g.free_cut[act], c.t_full)
            if np.any(sw):
                j = act[sw]
                g.free_cut[j] = False
                g.branch[j] = np.where(g.x[j, 1] < kick_star[j], 1, -1)
                g.x[j] = c.model_solve(j, g.x[j], np.zeros((j.size, 3)), g.free_cut[j])
    bad = ~np.all(np.isfinite(g.x), axis=1) & (g.status == STATUS_OK)
    g.status[bad] = STATUS_NO_BRACKET


@dataclass
class _IterState:
    """Per-trajectory state of the kernel iterations, arrays over N."""

    miss: np.ndarray
    shape_res: np.ndarray
    iters: np.ndarray
    prev_norm: np.ndarray
    use_fd: np.ndarray
    active: np.ndarray
    B: np.ndarray  # (N, 3, 3) Broyden estimate of the defect's Jacobian
    x_prev: np.ndarray
    d_prev: np.ndarray
    bias: np.ndarray  # (N, 3) adaptive − lock-step residual measured by the verifying flights
    direct: np.ndarray  # (N,) the next flight is the verifying one (no lock-step flight at that x)
    pending: np.ndarray  # (N, 3) adaptive residual of a failed direct verification, NaN: none
    flights: int = 0
    verify_flights: int = 0
    kept: list = field(default_factory=list)  # (rows, FlightBatch) of solved rows' sampled verifying flights

    @classmethod
    def start(cls, active):
        n = len(active)
        return cls(np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, dtype=np.int64), np.full(n, np.inf),
                   np.zeros(n, dtype=bool), active, np.zeros((n, 3, 3)), np.full((n, 3), np.nan),
                   np.full((n, 3), np.nan), np.zeros((n, 3)), np.zeros(n, dtype=bool), np.full((n, 3), np.nan))


def _fly_trials(c: _Ctx, g: _Guess, idx, fd, la, lo, kernel_name, rtol):
    """Fly the rows idx at x, plus three finite-difference points for the rows with fd, in one batch.

    Returns the kernel residuals of every flight and the index of each row's first flight.
    """
    nrep = np.where(fd, 4, 1)
    rows = np.repeat(idx, nrep)
    X = np.repeat(g.x[idx], nrep, axis=0)
    starts = np.concatenate([[0], np.cumsum(nrep)[:-1]]).astype(np.int64)
    for q in range(3):
        X[starts[fd] + q + 1, q] += (0.01, 0.01, -0.05)[q]
    X = _clip_x(X, c.t_full, np.repeat(g.free_cut[idx], nrep))
    b = fly_missile_batch(c.missile, la[rows], lo[rows], X[:, 0], X[:, 1], X[:, 2], earth=c.earth, rtol=rtol,
                          kernel=kernel_name)
    return _kernel_residuals(b, c.P.take(rows), c.earth, c.shape, c.apogee_km), starts


def _fd_steps(c: _Ctx, g: _Guess, gi, R, s, bias):
    """Newton steps with kernel sensitivities for rows gi whose four flights start at R[s]."""
    Rk = np.stack([R[s + q] for q in range(4)], axis=1)
    J = (Rk[:, 1:, :] - Rk[:, :1, :]).transpose(0, 2, 1) / np.array([0.01, 0.01, -0.05])
    return _newton_step(J, Rk[:, 0, :] + bias, g.free_cut[gi] & c.use3)


def _defect_steps(c: _Ctx, g: _Guess, st: _IterState, rows_j, r0j, first):
    """Newton on the predictor plus its measured defect d = R - M, whose Jacobian B is learnt by
    Broyden's rank-one updates from the steps already flown. Returns new x for rows_j (NaN rows:
    no step)."""
    fc = g.free_cut[rows_j] & c.use3
    m0, JM = _model_jacobian(c.tab, c.P, g.x[rows_j], c.earth, c.shape, c.apogee_km, fc, rows=rows_j)
    defect = r0j - m0
    defect[~fc, 2] = 0.0
    has = np.isfinite(st.d_prev[rows_j, 0])
    if np.any(has):
        h = rows_j[has]
        dx = g.x[h] - st.x_prev[h]
        dx[:, 0] = (dx[:, 0] + 180.0) % 360.0 - 180.0
        dd = defect[has] - st.d_prev[h]
        den = np.sum(dx * dx, axis=1)
        upd = (dd - np.einsum("nij,nj->ni", st.B[h], dx)) / np.where(den > 0, den, np.inf)[:, None]
        st.B[h] += upd[:, :, None] * dx[:, None, :]
    st.x_prev[rows_j] = g.x[rows_j]
    st.d_prev[rows_j] = defect
    if first:
        return c.model_solve(rows_j, g.x[rows_j], defect, fc, iters=2)
    xn = g.x[rows_j].copy()
    step = _newton_step(JM + st.B[rows_j], r0j, fc)
    okj = np.all(np.isfinite(step), axis=1)
    xn[okj] = _clip_x(g.x[rows_j[okj]] + step[okj], c.t_full, fc[okj])
    return xn


def _converged(c: _Ctx, g: _Guess, rows, r, tol_miss_km):
    """Rows whose residuals r meet the miss and shape tolerances."""
    shape_ok = np.where(g.free_cut[rows] & c.use3, np.abs(r[:, 2]) < TOL_SHAPE, True)
    return (np.hypot(r[:, 0], r[:, 1]) < tol_miss_km) & shape_ok


def _verify(c: _Ctx, g: _Guess, st: _IterState, rows, r_ls, la, lo, rtol_final, samp=None):
    """Fly rows (converged on the lock-step kernel) once with the adaptive kernel at rtol_final: the
    miss and shape residual they report are that flight's. Rows that meet the tolerances there are
    done (with samp, their sampled flights are kept in ``st.kept``); for the others the difference
    of the two kernels joins their residual (``st.bias``, a constant shift of the lock-step
    residual) and the iterations go on. Returns the rows still going and their (biased) residuals."""
    x = g.x[rows]
    b = fly_missile_batch(c.missile, la[rows], lo[rows], x[:, 0], x[:, 1], x[:, 2], earth=c.earth, rtol=rtol_final,
                          sample_interval_s=samp)
    Rv = _kernel_residuals(b, c.P.take(rows), c.earth, c.shape, c.apogee_km)
    st.flights += rows.size
    st.verify_flights += rows.size
    st.miss[rows] = np.hypot(Rv[:, 0], Rv[:, 1])
    st.shape_res[rows] = Rv[:, 2]
    failed = ~np.all(np.isfinite(Rv), axis=1)
    g.status[rows[failed]] = STATUS_FLIGHT_FAILED
    done = ~failed & _converged(c, g, rows, Rv, TOL_MISS_KM)
    st.active[rows[done | failed]] = False
    if samp and np.any(done):
        st.kept.append((rows[done], b if np.all(done) else take_rows(b, np.nonzero(done)[0])))
    go = ~done & ~failed
    shift = Rv[go] - r_ls[go]  # NaN for a row without a lock-step flight at this x: no shift known
    shift[~np.isfinite(shift)] = 0.0
    st.bias[rows[go]] += shift
    # the defect learnt at this x moves with the residual, so Broyden sees no jump
    st.d_prev[rows[go]] += np.where(np.isfinite(st.d_prev[rows[go]]), shift, 0.0)
    return go, Rv[go]


def _kernel_iterations(c: _Ctx, g: _Guess, kick_star, la, lo, rtol_final, iter_kernel="lockstep", samp=None,
                       fd_first=False, switch=True):
    """Fly, measure, step: at most MAX_KERNEL_ITER kernel calls over the active rows. Updates g in
    place; returns the iteration state (miss, shape residual, iterations, flights, still active).

    iter_kernel "lockstep": the iterations fly the lock-step kernel (residual + ``st.bias``) to
    TOL_LOCKSTEP_KM; each row that meets it is flown once with the adaptive kernel at rtol_final
    (:func:`_verify`), which alone decides whether it is solved. "adaptive": the iterations fly the
    adaptive kernel at the tolerances of _RTOL_SCHEDULE, then rtol_final; a row is solved on a
    flight at rtol_final."""
    st = _IterState.start(g.status == STATUS_OK)
    st.use_fd[:] = fd_first
    lockstep = iter_kernel == "lockstep"
    for it in range(MAX_KERNEL_ITER):
        idx = np.nonzero(st.active)[0]
        if idx.size == 0:
            break
        fd = st.use_fd[idx]
        direct = st.direct[idx]  # verified at x without a lock-step flight there
        lsi = np.nonzero(~direct)[0]
        if lockstep:
            r_call = rtol_final
        else:
            r_call = max(rtol_final, _RTOL_SCHEDULE[it]) if it < len(_RTOL_SCHEDULE) else rtol_final
        r0 = np.full((idx.size, 3), np.nan)
        starts = np.full(idx.size, -1)
        R = np.empty((0, 3))
        if lsi.size:
            R, starts[lsi] = _fly_trials(c, g, idx[lsi], fd[lsi], la, lo, iter_kernel, r_call)
            st.flights += len(R)
            r0[lsi] = R[starts[lsi]] + st.bias[idx[lsi]]
            # rows whose direct verification failed: this flight (same x) gives the kernels' difference
            pend = lsi[np.isfinite(st.pending[idx[lsi], 0]) & np.all(np.isfinite(r0[lsi]), axis=1)]
            if pend.size:
                rp = idx[pend]
                shift = st.pending[rp] - r0[pend]
                st.bias[rp] += shift
                st.d_prev[rp] += np.where(np.isfinite(st.d_prev[rp]), shift, 0.0)
                r0[pend] = st.pending[rp]
            st.pending[idx[lsi]] = np.nan
        st.iters[idx] += 1
        failed = ~direct & ~np.all(np.isfinite(r0), axis=1)
        st.miss[idx[lsi]] = np.hypot(r0[lsi, 0], r0[lsi, 1])
        st.shape_res[idx[lsi]] = r0[lsi, 2]
        g.status[idx[failed]] = STATUS_FLIGHT_FAILED
        st.active[idx[failed]] = False
        if lockstep:
            conv = direct | (~failed & _converged(c, g, idx, r0, TOL_LOCKSTEP_KM))
            if np.any(conv):
                cv = np.nonzero(conv)[0]
                go_v, rv = _verify(c, g, st, idx[cv], r0[cv], la, lo, rtol_final, samp)
                failed |= ~st.active[idx] & (g.status[idx] == STATUS_FLIGHT_FAILED)
                r0[cv[go_v]] = rv
                conv[cv[go_v]] = False
            go = ~failed & ~conv
        else:
            done = ~failed & _converged(c, g, idx, r0, TOL_MISS_KM) & (r_call == rtol_final)
            st.active[idx[done]] = False
            go = ~done & ~failed
        st.direct[idx] = False
        if lockstep:
            # a failed direct verification: the next flight is a lock-step one at the same x
            hold = go & direct
            st.pending[idx[hold]] = r0[hold]
            go &= ~direct
        if it == MAX_KERNEL_ITER - 1:
            break
        if not np.any(go):
            continue
        gi = idx[go]
        norm = np.hypot(r0[go, 0], r0[go, 1]) + np.abs(np.where(g.free_cut[gi] & c.use3, r0[go, 2], 0.0)) * 10.0
        # rows that flew finite differences: a Newton step with kernel sensitivities
        fdg = fd[go] & ~direct[go]
        xn = g.x[gi].copy()
        if np.any(fdg):
            dx = _fd_steps(c, g, gi[fdg], R, starts[go][fdg], st.bias[gi[fdg]])
            ok = np.all(np.isfinite(dx), axis=1)
            xn[np.nonzero(fdg)[0][ok]] = _clip_x(xn[fdg][ok] + dx[ok], c.t_full, g.free_cut[gi][fdg][ok])
        # the others: the predictor plus its defect
        if np.any(~fdg):
            j = np.nonzero(~fdg)[0]
            xn[j] = _defect_steps(c, g, st, gi[j], r0[go][j], it == 0)
        g.x[gi] = xn
        if c.shape == "min-energy" and switch:
            # the minimum-energy angle would need more than a full burn: full burn, nearest branch
            sw = _to_full_burn(xn, r0[go], g.free_cut[gi], c.t_full)
            if np.any(sw):
                j = gi[sw]
                g.free_cut[j] = False
                g.branch[j] = np.where(g.x[j, 1] < kick_star[j], 1, -1)
                g.x[j, 2] = c.t_full
        st.use_fd[gi] = norm > 0.25 * st.prev_norm[gi]
        st.prev_norm[gi] = norm
        if lockstep and it > 0:
            # a lock-step residual this small: the step lands within the tolerance, so the next
            # flight of the row is its verifying flight
            st.direct[gi] = ~direct[go] & ~st.use_fd[gi] & (norm < TOL_DIRECT_KM)
    return st


def take_rows(b: FlightBatch, j) -> FlightBatch:
    """Rows j of a batch (copies; sample arrays cut to the longest kept row)."""
    j = np.asarray(j, dtype=np.int64)
    if b.t_s is None:
        return FlightBatch(b.summary[j], b.earth, b.launch_lat_deg[j], b.launch_lon_deg[j], kernel=b.kernel)
    m = int(b.n_samples[j].max()) if j.size else 0
    return FlightBatch(b.summary[j], b.earth, b.launch_lat_deg[j], b.launch_lon_deg[j], b.t_s[j, :m],
                       b.r_eci_m[j, :m], b.v_eci_mps[j, :m], b.n_samples[j], kernel=b.kernel)


def stack_rows(parts, n: int) -> FlightBatch:
    """One batch of n rows from parts [(rows, FlightBatch), ...] that cover 0..n-1 once (row rows[k]
    of the result is row k of its part); sample arrays zero-padded to the longest row. The list is
    emptied as the parts are copied (each part's memory is freed as soon as it is copied, if the
    caller holds no other reference)."""
    b0 = parts[0][1]
    if len(parts) == 1 and len(b0) == n and np.array_equal(parts[0][0], np.arange(n)):
        return b0
    summary = np.empty((n, b0.summary.shape[1]))
    lat, lon = np.empty(n), np.empty(n)
    sampled = b0.t_s is not None
    if sampled:
        m = max(b.t_s.shape[1] for _, b in parts)
        t, r, v, ns = np.zeros((n, m)), np.zeros((n, m, 3)), np.zeros((n, m, 3)), np.zeros(n, dtype=np.int64)
    b0 = None
    while parts:
        rows, b = parts.pop()
        summary[rows], lat[rows], lon[rows] = b.summary, b.launch_lat_deg, b.launch_lon_deg
        if sampled:
            k = b.t_s.shape[1]
            t[rows, :k], r[rows, :k], v[rows, :k], ns[rows] = b.t_s, b.r_eci_m, b.v_eci_mps, b.n_samples
        earth, kern = b.earth, b.kernel
        del b
    if not sampled:
        return FlightBatch(summary, earth, lat, lon, kernel=kern)
    return FlightBatch(summary, earth, lat, lon, t, r, v, ns, kernel=kern)


def _check_branch(c: _Ctx, g: _Guess):
    """Full-burn rows must lie on their branch: lofted has range rising with kick, depressed falling."""
    chk = np.nonzero((g.status == STATUS_OK) & (g.branch != 0) & ~g.free_cut)[0]
    if not chk.size:
        return
    X = np.repeat(g.x[chk], 2, axis=0)
    X[0::2, 1] -= 0.2
    X[1::2, 1] += 0.2
    _, rr = _predict(c.tab, c.P, X, c.earth, c.shape, c.apogee_km, want_range=True, prow=np.repeat(chk, 2))
    slope = (rr[1::2] - rr[0::2]) * 6371.0 / 0.4  # km per degree of kick
    wrong = np.sign(slope) * g.branch[chk] < 0
    wrong &= np.abs(slope) > 2.0  # near the maximum-range kick the branches meet
    g.status[chk[wrong]] = STATUS_WRONG_BRANCH


def _retry_other_side(c: _Ctx, g: _Guess, st: _IterState, kick_star, la, lo, rtol_final, iter_kernel, samp):
    """Rows that converged on the other pitch branch (near the maximum range, where the branches
    meet) start once more from the kick mirrored across the maximum-range kick, then (if still on
    the other branch) from halfway between it and the horizontal; depressed rows the predictor
    could not bracket (its drag-free arc overshoots even at the flattest kicks) from that halfway
    kick. Newton steps with kernel sensitivities from there, the same checks; rows solved replace
    their first answer (and its flights)."""
    wrong = g.status == STATUS_WRONG_BRANCH
    flat = (g.status == STATUS_NO_BRACKET) & (g.branch == -1) & ~g.free_cut & np.isfinite(kick_star)
    flat &= c.apogee_km is None  # with a requested apogee the cut-off is an unknown too: not a full burn
    w = np.nonzero(wrong | flat)[0]
    if w.size:
        half = 0.5 * (kick_star[w] + 89.0)
        _retry_from(c, g, st, w, np.where(wrong[w], 2.0 * kick_star[w] - g.x[w, 1], half), kick_star, la, lo,
                    rtol_final, iter_kernel, samp)
        w2 = w[wrong[w] & (g.status[w] == STATUS_WRONG_BRANCH)]
        if w2.size:
            _retry_from(c, g, st, w2, 0.5 * (kick_star[w2] + 89.0), kick_star, la, lo, rtol_final, iter_kernel,
                        samp)


def _retry_from(c: _Ctx, g: _Guess, st: _IterState, w, kick0, kick_star, la, lo, rtol_final, iter_kernel, samp,
                switch=True, better=None):
    """Kernel Newton iterations (sensitivities from the first flight) for rows w from pitch kick kick0;
    switch: whether a min-energy row may turn to a full burn; better: a test of the retry's shape
    residuals (w,) that a solved row must also pass. Returns the rows solved (they replace their
    first answer)."""
    c2 = _Ctx(c.tab, c.P.take(w), c.missile, c.earth, c.shape, c.apogee_km)
    g2 = _Guess(g.x[w].copy(), g.free_cut[w].copy(), g.branch[w].copy(), np.full(w.size, STATUS_OK))
    g2.x[:, 1] = np.clip(kick0, _KICK_LO, 89.0)
    g2.x[:, 0] = np.where(np.isfinite(g2.x[:, 0]), g2.x[:, 0], c2.P.az_aim)
    g2.x[:, 2] = np.where(g2.free_cut, g2.x[:, 2], c.t_full)
    st2 = _kernel_iterations(c2, g2, kick_star[w], la[w], lo[w], rtol_final, iter_kernel, samp, fd_first=True,
                             switch=switch)
    g2.status[st2.active] = STATUS_NOT_CONVERGED
    _check_branch(c2, g2)
    st.flights += st2.flights
    st.verify_flights += st2.verify_flights
    st.iters[w] += st2.iters
    good = g2.status == STATUS_OK
    if better is not None:
        good &= better(st2.shape_res)
    if not np.any(good):
        return w[good]
    wg = w[good]
    g.x[wg], g.status[wg], g.free_cut[wg] = g2.x[good], STATUS_OK, g2.free_cut[good]
    st.miss[wg], st.shape_res[wg] = st2.miss[good], st2.shape_res[good]
    if samp:
        kept = []
        for rows, b in st.kept:
            keep = ~np.isin(rows, wg)
            kept.append((rows, b) if np.all(keep) else (rows[keep], take_rows(b, np.nonzero(keep)[0])))
        kept += [(w[rows][good[rows]], take_rows(b, np.nonzero(good[rows])[0])) for rows, b in st2.kept]
        st.kept = [(rows, b) for rows, b in kept if rows.size]
    return wg


def _retry_cut_off(c: _Ctx, g: _Guess, st: _IterState, kick_star, la, lo, rtol_final, iter_kernel, samp):
    """Min-energy rows solved on a full burn start once more with the cut-off free, from the
    maximum-range kick and _CUT_RETRY_S short of the full burn, kernel sensitivities, no switch.

    A row turns to a full burn when a Newton step reaches it with the minimum-energy angle unmet
    (or the fan brackets no cut-off); near the maximum range, where the range hardly depends on the
    kick, a step overshoots there although a cut-off solution exists (UR-100NUTTH from 51.67 N
    45.60 E to Washington, 8,537 km: cut-off 249.5 of 250 s, kick 42.7°; the full burn found was on
    the depressed branch, 14.6° below the minimum-energy angle). A row solved here (angle met) takes
    this answer; the others keep their full burn: beyond the range the cut-off reaches."""
    if c.shape != "min-energy":
        return
    w = np.nonzero((g.status == STATUS_OK) & ~g.free_cut & np.isfinite(kick_star))[0]
    if not w.size:
        return
    x0 = g.x[w].copy()
    g.free_cut[w] = True
    g.x[w, 2] = c.t_full - _CUT_RETRY_S
    wg = _retry_from(c, g, st, w, kick_star[w], kick_star, la, lo, rtol_final, iter_kernel, samp, switch=False)
    keep = ~np.isin(w, wg)
    g.x[w[keep]], g.free_cut[w[keep]] = x0[keep], False


def _retry_nearest_branch(c: _Ctx, g: _Guess, st: _IterState, kick_star, la, lo, rtol_final, iter_kernel, samp):
    """Min-energy rows left on a full burn (beyond the cut-off's reach) fly the pitch branch nearest the
    minimum-energy angle: the other branch, from the kick mirrored across the maximum-range kick,
    replaces the first answer where its angle is nearer. (The branch is chosen when a row turns to a
    full burn, by its kick at that step, which can lie on either side: Minuteman III at 93 % of its
    maximum range took the branch 7.7° from the angle, where the other is 1.2° from it.)"""
    if c.shape != "min-energy":
        return
    w = np.nonzero((g.status == STATUS_OK) & ~g.free_cut & (g.branch != 0) & np.isfinite(kick_star)
                   & np.isfinite(st.shape_res))[0]
    if not w.size:
        return
    b0, res0 = g.branch[w].copy(), np.abs(st.shape_res[w])
    g.branch[w] = -b0
    wg = _retry_from(c, g, st, w, 2.0 * kick_star[w] - g.x[w, 1], kick_star, la, lo, rtol_final, iter_kernel, samp,
                     switch=False, better=lambda r: np.abs(r) < res0)
    keep = ~np.isin(w, wg)
    g.branch[w[keep]] = b0[keep]


def solve_steering_newton(missile: Missile, launch_lat, launch_lon, aim_lat, aim_lon, shape: str = "min-energy",
                          apogee_km: float | None = None, *, earth: EarthModel = EarthModel(),
                          rtol: float = DEFAULT_RTOL, iter_kernel: str = "lockstep",
                          sample_interval_s: float | None = None) -> NewtonResult:
    """Fast path: (azimuth, kick, cut-off) for each (launch, aim) pair; inputs broadcast to (N,).

    Same shapes and residual definitions as :func:`steering.solve_steering`; rows that it cannot
    solve carry a status code (``STATUS_TEXT``) instead of a solution. iter_kernel: which kernel
    flies the Newton iterations ("lockstep", or "adaptive"); either way a row is solved only on
    a flight of the adaptive kernel at min(rtol, 1e-10), whose miss is the one reported. With
    sample_interval_s (lock-step iterations only), those flights are flown with samples and returned
    as ``flights`` (the solved rows, in row order): no second flight is needed to use them.
    """
    check_shape(shape, apogee_km)
    if iter_kernel not in ("lockstep", "adaptive"):
        raise BmdcheckError(f"iter_kernel must be lockstep or adaptive, got {iter_kernel!r}")
    la, lo, ta, to = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float))
                                           for v in (launch_lat, launch_lon, aim_lat, aim_lon)))
    c = _Ctx(boost_table(missile, earth), _problem(la, lo, ta, to, earth), missile, earth, shape, apogee_km)
    g, kick_star = _first_guess(c.tab, c.P, missile, earth, shape, apogee_km)
    _predictor_start(c, kick_star, g)
    samp = sample_interval_s if iter_kernel == "lockstep" else None
    st = _kernel_iterations(c, g, kick_star, la, lo, min(rtol, 1e-10), iter_kernel, samp)
    g.status[st.active] = STATUS_NOT_CONVERGED
    _check_branch(c, g)
    _retry_other_side(c, g, st, kick_star, la, lo, min(rtol, 1e-10), iter_kernel, samp)
    _retry_cut_off(c, g, st, kick_star, la, lo, min(rtol, 1e-10), iter_kernel, samp)
    _retry_nearest_branch(c, g, st, kick_star, la, lo, min(rtol, 1e-10), iter_kernel, samp)
    g.x[:, 0] %= 360.0
    flights = None
    if sample_interval_s:
        ok = np.nonzero(g.status == STATUS_OK)[0]
        pos = np.full(len(g.status), -1)
        pos[ok] = np.arange(ok.size)
        parts = [(pos[rows], b) if np.all(pos[rows] >= 0) else
                 (pos[rows][pos[rows] >= 0], take_rows(b, np.nonzero(pos[rows] >= 0)[0])) for rows, b in st.kept]
        st.kept = []
        have = np.zeros(ok.size, dtype=bool)
        for q in range(len(parts)):
            have[parts[q][0]] = True
        if not np.all(have):  # adaptive iterations: the solved rows flown once more, sampled
            j = ok[~have]
            parts.append((np.nonzero(~have)[0], fly_missile_batch(
                missile, la[j], lo[j], g.x[j, 0], g.x[j, 1], g.x[j, 2], earth=earth, rtol=min(rtol, 1e-10),
                sample_interval_s=sample_interval_s)))
        flights = stack_rows(parts, ok.size) if parts else None
    return NewtonResult(g.x[:, 0], g.x[:, 1], g.x[:, 2], g.status, st.miss, st.shape_res, st.flights, st.iters,
                        st.verify_flights, flights)


def aim(missile: Missile, launch_lat, launch_lon, aim_lat, aim_lon, shape: str = "min-energy",
        apogee_km: float | None = None, *, earth: EarthModel = EarthModel(), rtol: float = DEFAULT_RTOL,
        method: str = "auto", sample_interval_s: float | None = None) -> Steering:
    """Steering for N (launch, aim) pairs: the Newton fast path, with the reference solver as fallback.

    method: "auto" (fast path, then :func:`steering.solve_steering` for every row it leaves
    unsolved), "newton" (fast path only; unsolved rows carry the status text) or "reference".
    Returns a :class:`steering.Steering`; ``method`` per row says which path solved it. With
    sample_interval_s, ``flights`` is also set: a FlightBatch of the solved rows (row order of
    ``np.nonzero(ok)``), flown by the adaptive kernel at min(rtol, 1e-10) with samples (for the
    fast path's rows, the very flights that verified them).
    """
    if method not in ("auto", "newton", "reference"):
        raise BmdcheckError(f"method must be auto, newton or reference, got {method!r}")
    la, lo, ta, to = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float))
                                           for v in (launch_lat, launch_lon, aim_lat, aim_lon)))
    if method == "reference":
        st = solve_steering(missile, la, lo, ta, to, shape, apogee_km, earth=earth, rtol=rtol)
        st.method = np.full(len(st.ok), "reference", dtype=object)
        if sample_interval_s:
            st.flights = _fly_solved(missile, la, lo, st, np.nonzero(st.ok)[0], earth, rtol, sample_interval_s)
        return st
    r = solve_steering_newton(missile, la, lo, ta, to, shape, apogee_km, earth=earth, rtol=rtol,
                              sample_interval_s=sample_interval_s)
    n = len(r.status)
    errors = [r.reason(i) for i in range(n)]
    st = Steering(r.azimuth_deg.copy(), r.kick_deg.copy(), r.t_cut_s.copy(), r.ok.copy(), r.miss_km.copy(), errors)
    st.method = np.full(n, "newton", dtype=object)
    st.kernel_flights = r.kernel_flights  # trajectories the fast path flew (all rows)
    st.verify_flights = r.verify_flights  # of them, adaptive flights at the final tolerance
    bad = np.nonzero(~r.ok)[0]
    if method == "auto" and bad.size:
        ref = solve_steering(missile, la[bad], lo[bad], ta[bad], to[bad], shape, apogee_km, earth=earth, rtol=rtol)
        for j, i in enumerate(bad):
            st.azimuth_deg[i], st.kick_deg[i], st.t_cut_s[i] = ref.azimuth_deg[j], ref.kick_deg[j], ref.t_cut_s[j]
            st.ok[i], st.miss_km[i], st.error[i] = ref.ok[j], ref.miss_km[j], ref.error[j]
            st.method[i] = "reference"
    if sample_interval_s:
        ok = np.nonzero(st.ok)[0]
        pos = np.full(n, -1)
        pos[ok] = np.arange(ok.size)
        parts = []
        if r.flights is not None:
            parts.append((pos[r.ok], r.flights))
            r.flights = None
        extra = ok[~r.ok[ok]]
        if extra.size:
            parts.append((pos[extra], _fly_solved(missile, la, lo, st, extra, earth, rtol, sample_interval_s)))
        st.flights = stack_rows(parts, ok.size) if parts else _fly_solved(missile, la, lo, st, ok, earth, rtol,
                                                                           sample_interval_s)
    return st


def _fly_solved(missile, la, lo, st, rows, earth, rtol, samp):
    return fly_missile_batch(missile, la[rows], lo[rows], st.azimuth_deg[rows], st.kick_deg[rows], st.t_cut_s[rows],
                             earth=earth, sample_interval_s=samp, rtol=min(rtol, 1e-10))


def iter_aimed_flights(missile: Missile, launch_lat, launch_lon, aim_lat, aim_lon, shape: str = "min-energy",
                       apogee_km: float | None = None, *, earth: EarthModel = EarthModel(),
                       sample_interval_s: float | None = 1.0, chunk: int = 1_000, rtol: float = DEFAULT_RTOL):
    """Aim and fly N trajectories in chunks, yielding (slice, Steering, FlightBatch of the solved rows).

    Memory is bounded by the chunk (samples every sample_interval_s, buffers sized to the flights),
    not by N. Each chunk is aimed with :func:`aim`; the fast path's rows come with the sampled
    flights that verified them (adaptive kernel, min(rtol, 1e-10)), the fallback's rows are flown
    at that tolerance.
    """
    la, lo, ta, to = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float))
                                           for v in (launch_lat, launch_lon, aim_lat, aim_lon)))
    n = la.shape[0]
    for s0 in range(0, n, max(1, int(chunk))):
        sl = slice(s0, min(n, s0 + int(chunk)))
        st = aim(missile, la[sl], lo[sl], ta[sl], to[sl], shape, apogee_km, earth=earth, rtol=rtol,
                 sample_interval_s=sample_interval_s)
        # no local reference to the batch: the caller's is the only one, so a chunk's samples are
        # freed as soon as the caller lets them go, before the next chunk is flown
        yield sl, st, (st.__dict__.pop("flights") if sample_interval_s else
                       _fly_solved(missile, la[sl], lo[sl], st, np.nonzero(st.ok)[0], earth, rtol, None))
