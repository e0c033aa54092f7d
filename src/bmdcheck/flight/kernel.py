"""The compiled batch integrator: boost with steering and drag, then ballistic flight to impact.

One call flies N trajectories of one missile (or N free bodies) in parallel over trajectories
(``numba.prange``); everything inside a trajectory is scalar code with no allocation per step.
The model is docs/design/flight-model.md; the independent SciPy implementation of the same model
is ``bmdcheck.flight.reference``.

Method: Dormand–Prince 5(4) embedded Runge–Kutta with local error control (Dormand & Prince
1980, J. Comp. Appl. Math. 6:19; Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.5). Steps end
exactly on every boost event (pitch programme, staging, cut-off), so no discontinuity falls
inside a step. Samples, the apogee and the impact are located on the quintic Hermite interpolant
through (r, v, a) at both ends of a step; the impact time is then polished with real steps.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from ..earth.atmosphere import AIR_BREAKS_M, AirTable, air_at
from ..earth.model import E_A, E_ATMOS, E_B, E_J2, E_MU, E_OMEGA, E_RE_J2

# Segment parameter vector layout (set per boost segment / ballistic phase).
# S_HX..S_HZ: the launch direction, a horizontal unit vector at the launch point, Earth-fixed axes.
S_PHASE, S_STEER, S_TVAC, S_AEXIT, S_MDOT, S_M0, S_TIGN, S_SREF, S_HX, S_HY, S_HZ, S_KICK, \
    S_TVERT, S_TKICK, S_BETA_INV = range(15)
S_LEN = 15
PHASE_BOOST, PHASE_BALLISTIC = 0.0, 1.0
"""Values of S[S_PHASE]."""
STEER_VERTICAL, STEER_PITCH, STEER_GRAVITY_TURN = 0.0, 1.0, 2.0
"""Values of S[S_STEER], the thrust attitude during boost: along the geodetic vertical; the pitch
programme (turned from the vertical toward the launch direction by kick·min(1, (t − t_vert)/t_kick),
and held there to burnout by a missile with ``pitch_hold``); along the Earth-relative velocity."""

# Summary columns.
(SUM_STATUS, SUM_TBO, SUM_RBO, _rbo1, _rbo2, SUM_VBO, _vbo1, _vbo2, SUM_TAPO, SUM_HAPO,
 SUM_RAPO, _ra1, _ra2, SUM_TIMP, SUM_RIMP, _ri1, _ri2, SUM_VIMP, _vi1, _vi2, SUM_NSTEPS) = range(21)
SUM_LEN = 21

STATUS_IMPACT, STATUS_DURATION, STATUS_STEPS, STATUS_BOOST_CRASH, STATUS_ESCAPE = 0, 1, 2, 3, 4
STATUS_TEXT = {STATUS_IMPACT: "impact", STATUS_DURATION: "duration reached",
               STATUS_STEPS: "too many integration steps", STATUS_BOOST_CRASH: "hit the ground during boost",
               STATUS_ESCAPE: "escape"}
STATUS_RUNNING = -1
"""Inside the kernel only: no final status yet (never in a summary row)."""
SEG_END, SEG_IMPACT, SEG_STEPS = 0, 1, 2
"""How one integration segment ended (``_segment``): at its end time, at impact, or at the step limit."""
APO_T, APO_ALT, APO_R, APO_STEPS = 0, 1, 2, 5
APO_LEN = 6
"""Running record of a trajectory: apogee time (s), altitude (m) and ECI position (3, m); steps taken."""
ESCAPE_MIN_ALT_M = 1.0e6
"""Escape is declared only above the atmosphere's top (1,000 km), where no drag can take energy away."""


class Starts(NamedTuple):
    """Per-trajectory inputs of :func:`fly_kernel`, float64, C-contiguous."""

    r0_eci_m: np.ndarray  # (N, 3) position at t = 0
    v0_eci_mps: np.ndarray  # (N, 3) velocity at t = 0
    dir_ecef: np.ndarray  # (N, 3) launch direction: unit, horizontal at the launch point, Earth-fixed axes
    kick_rad: np.ndarray  # (N,) pitch-kick angle
    t_cut_s: np.ndarray  # (N,) thrust cut-off time


class MissileArgs(NamedTuple):
    """One missile as the kernel reads it (``batch.missile_args``); a free body has no stages."""

    stages: np.ndarray  # (n_stage, 6) from Missile.stage_table()
    payload_kg: float
    ref_area_m2: float
    mach: np.ndarray  # drag table: Mach nodes (n,)
    cd: np.ndarray  # drag coefficient at those nodes (n,)
    beta_inv: float  # 1 / β of the body after burnout, m²/kg (0: no drag)
    t_vertical_s: float
    t_kick_s: float
    hold: bool  # keep the kicked attitude to burnout instead of the gravity turn (interceptor fly-outs)


class Control(NamedTuple):
    """Integration limits of one kernel call."""

    t_max_s: float  # time limit
    rtol: float  # step-control tolerance
    dt_max_s: float  # largest step
    sample_dt_s: float  # sample interval (0: no samples)


class Outputs(NamedTuple):
    """Buffers :func:`fly_kernel` fills: summary (N, SUM_LEN); samples t_s (N, M), r_eci_m and
    v_eci_mps (N, M, 3) with n_samples (N,) valid entries per row (M may be 0)."""

    summary: np.ndarray
    t_s: np.ndarray
    r_eci_m: np.ndarray
    v_eci_mps: np.ndarray
    n_samples: np.ndarray


class SampleBuffer(NamedTuple):
    """One trajectory's sample rows and its count (a 1-element int64 array)."""

    t_s: np.ndarray
    r_eci_m: np.ndarray
    v_eci_mps: np.ndarray
    count: np.ndarray


class Work(NamedTuple):
    """Scratch of one trajectory: the Runge–Kutta stages K (7, 6), the trial state and its error."""

    K: np.ndarray
    ytmp: np.ndarray
    ynew: np.ndarray


class Model(NamedTuple):
    """What the equations of motion read: Earth parameters, the segment vector S (S_*), the drag
    table and the cubic air table (only these: the tuple is passed to every derivative call)."""

    E: np.ndarray
    S: np.ndarray
    mach: np.ndarray
    cd: np.ndarray
    atm: AirTable


MAX_STEPS = 400_000

# Altitudes (geometric, m) below 125 km where USSA76 has a corner (layer bases, 86-120 km segment
# ends; ``earth.atmosphere.AIR_BREAKS_M``): steps are shortened to end on them, like Mach nodes of
# the drag table during boost, so the Runge-Kutta step never straddles a kink (keeps the method's
# order; docs/VALIDATION.md).
KINK_ALT_M = np.array([hb for hb in AIR_BREAKS_M if hb < 125e3])

# Dormand–Prince 5(4) tableau.
_C2, _C3, _C4, _C5 = 1 / 5, 3 / 10, 4 / 5, 8 / 9
_A21 = 1 / 5
_A31, _A32 = 3 / 40, 9 / 40
_A41, _A42, _A43 = 44 / 45, -56 / 15, 32 / 9
_A51, _A52, _A53, _A54 = 19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729
_A61, _A62, _A63, _A64, _A65 = 9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656
_A71, _A73, _A74, _A75, _A76 = 35 / 384, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84
_E1, _E3, _E4, _E5, _E6, _E7 = 71 / 57600, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40


@njit(cache=True, inline="always")
def alt_approx(x, y, z, a, b):
    """Height above the ellipsoid along the geocentric radius, m.

    h = |r| - a b |r| / sqrt(b² (x² + y²) + a² z²): exact on the surface (so impact is exact) and
    within h·(f sin 2φ)²/2 (< 6 m at 1000 km) of the geodetic height above it.
    """
    r = math.sqrt(x * x + y * y + z * z)
    return r - a * b * r / math.sqrt(b * b * (x * x + y * y) + a * a * z * z)


@njit(cache=True, inline="always")
def alt_rate(x, y, z, vx, vy, vz, a, b):
    """Rate of change of ``alt_approx`` along the velocity (its gradient · v), m/s.

    With r = |r| and q = b² (x² + y²) + a² z²: dh/dt = (r·v / r)(1 - ab/sqrt(q))
    + ab r (b² (x vx + y vy) + a² z vz) / q^1.5. (The geocentric radial velocity differs from it
    by ~f sin 2φ |v|: on a flight skimming the air it puts the apogee kilometres away.)
    """
    r = math.sqrt(x * x + y * y + z * z)
    q2 = b * b * (x * x + y * y) + a * a * z * z
    sq = math.sqrt(q2)
    dq = b * b * (x * vx + y * vy) + a * a * z * vz
    return (x * vx + y * vy + z * vz) / r * (1.0 - a * b / sq) + a * b * r * dq / (q2 * sq)


@njit(cache=True, inline="always")
def alt_air(x, y, z, a, b):
    """Geodetic height for the air (density, pressure, sound speed and their kinks), m.

    The distance from the point P to the tangent plane of the ellipsoid at Q0, where the
    geocentric radius through P meets the surface (Q0 = s P, s = a b / sqrt(q), q = b² (x² + y²)
    + a² z²; the normal there is parallel to (x/a², y/a², z/b²)):
    h = (1 - s) (q / a²b²) / sqrt((x² + y²)/a⁴ + z²/b⁴). Exact on the surface and on a sphere;
    off the geodetic height by O(h² (f sin 2φ)² / R): at most 0.1 mm at 10 km, 1.4 mm at 40 km,
    4.5 mm at 72 km, 1.3 cm at 120 km, 0.8 m at 1000 km (tests/flight/test_flight_validation.py,
    against PROJ). The height along the radius (``alt_approx``) is 0.4 m high at 72 km and 45°,
    which moved the impact of a flight skimming the mesosphere for 4,000 km by 110 m.
    """
    p2 = x * x + y * y
    q = b * b * p2 + a * a * z * z
    ia2 = 1.0 / (a * a)
    ib2 = 1.0 / (b * b)
    return (1.0 - a * b / math.sqrt(q)) * (p2 * ia2 + z * z * ib2) / math.sqrt(p2 * ia2 * ia2 + z * z * ib2 * ib2)


@njit(cache=True, inline="always")
def _gravity(x, y, z, E):
    """Gravitational acceleration (point mass + J2) at ECI (x, y, z), m/s²."""
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    mu_r3 = E[E_MU] / (r2 * r)
    j2 = E[E_J2]
    if j2 != 0.0:
        re_r = E[E_RE_J2] / r
        fac = 1.5 * j2 * re_r * re_r
        zz = 5.0 * z * z / r2
        return (-mu_r3 * x * (1.0 + fac * (1.0 - zz)), -mu_r3 * y * (1.0 + fac * (1.0 - zz)),
                -mu_r3 * z * (1.0 + fac * (3.0 - zz)))
    return -mu_r3 * x, -mu_r3 * y, -mu_r3 * z


@njit(cache=True, inline="always")
def _drag_cd(mach, cd, mach_n):
    """Drag coefficient at Mach mach_n: linear in the table (mach, cd), constant beyond its ends."""
    nc = mach.shape[0]
    if mach_n <= mach[0]:
        return cd[0]
    if mach_n >= mach[nc - 1]:
        return cd[nc - 1]
    j = 1
    while mach[j] < mach_n:
        j += 1
    fr = (mach_n - mach[j - 1]) / (mach[j] - mach[j - 1])
    return cd[j - 1] + fr * (cd[j] - cd[j - 1])


@njit(cache=True, inline="always")
def _thrust_dir(t, x, y, z, vrx, vry, vrz, vrel, E, S):
    """Unit thrust direction (ECI) under the segment's steering mode S[S_STEER] (STEER_*)."""
    steer = S[S_STEER]
    if steer == STEER_GRAVITY_TURN and vrel > 1e-6:
        return vrx / vrel, vry / vrel, vrz / vrel
    a_ = E[E_A]
    b_ = E[E_B]
    ux, uy, uz = x / (a_ * a_), y / (a_ * a_), z / (b_ * b_)
    un = math.sqrt(ux * ux + uy * uy + uz * uz)
    ux /= un
    uy /= un
    uz /= un
    if steer != STEER_PITCH:
        return ux, uy, uz
    fr = (t - S[S_TVERT]) / S[S_TKICK]
    th = S[S_KICK] * (fr if fr < 1.0 else 1.0)
    # the launch direction (Earth-fixed, carried into ECI by the Earth's turn),
    # projected on the current horizontal plane: defined at the poles too
    w = E[E_OMEGA]
    cw, sw = math.cos(w * t), math.sin(w * t)
    hx = cw * S[S_HX] - sw * S[S_HY]
    hy = sw * S[S_HX] + cw * S[S_HY]
    hz = S[S_HZ]
    hu = hx * ux + hy * uy + hz * uz
    px, py, pz = hx - hu * ux, hy - hu * uy, hz - hu * uz
    pn = math.sqrt(px * px + py * py + pz * pz)
    if pn > 1e-12:
        px /= pn
        py /= pn
        pz /= pn
    ct, st = math.cos(th), math.sin(th)
    return ct * ux + st * px, ct * uy + st * py, ct * uz + st * pz


@njit(cache=True)
def _deriv(t, s, out, model):
    """Time derivative of the ECI state s = (r, v) under the current segment model.S, into out."""
    E, S = model.E, model.S
    x, y, z, vx, vy, vz = s[0], s[1], s[2], s[3], s[4], s[5]
    ax, ay, az = _gravity(x, y, z, E)
    w = E[E_OMEGA]
    vrx = vx + w * y
    vry = vy - w * x
    vrz = vz
    vrel = math.sqrt(vrx * vrx + vry * vry + vrz * vrz)
    rho = 0.0
    p = 0.0
    a_snd = 340.0
    if E[E_ATMOS] != 0.0:
        h = alt_air(x, y, z, E[E_A], E[E_B])
        rho, p, a_snd = air_at(h, model.atm.dh_m, model.atm.rows)
    if S[S_PHASE] == PHASE_BALLISTIC:
        bi = S[S_BETA_INV]
        if rho > 0.0 and bi > 0.0:
            k = -0.5 * rho * vrel * bi
            ax += k * vrx
            ay += k * vry
            az += k * vrz
    else:
        m = S[S_M0] - S[S_MDOT] * (t - S[S_TIGN])
        thrust = S[S_TVAC] - p * S[S_AEXIT]
        if thrust < 0.0:
            thrust = 0.0
        if rho > 0.0 and vrel > 0.0:
            c = _drag_cd(model.mach, model.cd, vrel / a_snd)
            k = -0.5 * rho * vrel * c * S[S_SREF] / m
            ax += k * vrx
            ay += k * vry
            az += k * vrz
        if thrust > 0.0:
            dx, dy, dz = _thrust_dir(t, x, y, z, vrx, vry, vrz, vrel, E, S)
            am = thrust / m
            ax += am * dx
            ay += am * dy
            az += am * dz
    out[0] = vx
    out[1] = vy
    out[2] = vz
    out[3] = ax
    out[4] = ay
    out[5] = az


@njit(cache=True, inline="always")
def hermite_basis(s):
    """Quintic Hermite weights at fraction s of a step for (y0, h·v0, h²·a0, h²·a1, h·v1, y1)."""
    s2 = s * s
    s3 = s2 * s
    s4 = s3 * s
    s5 = s4 * s
    return (1 - 10 * s3 + 15 * s4 - 6 * s5, s - 6 * s3 + 8 * s4 - 3 * s5,
            0.5 * s2 - 1.5 * s3 + 1.5 * s4 - 0.5 * s5, 0.5 * s3 - s4 + 0.5 * s5,
            -4 * s3 + 7 * s4 - 3 * s5, 10 * s3 - 15 * s4 + 6 * s5)


@njit(cache=True, inline="always")
def hermite_basis_ds(s):
    """d/ds of ``hermite_basis`` (divide the combination by h for a velocity)."""
    s2 = s * s
    s3 = s2 * s
    s4 = s3 * s
    return (-30 * s2 + 60 * s3 - 30 * s4, 1 - 18 * s2 + 32 * s3 - 15 * s4,
            s - 4.5 * s2 + 6 * s3 - 2.5 * s4, 1.5 * s2 - 4 * s3 + 2.5 * s4,
            -12 * s2 + 28 * s3 - 15 * s4, 30 * s2 - 60 * s3 + 30 * s4)


@njit(cache=True, inline="always")
def _hermite(s, h, y0, f0, y1, f1, j):
    """Position component j at fraction s of a step of length h (quintic Hermite in r, v, a)."""
    h0, h1, h2, h3, h4, h5 = hermite_basis(s)
    return (h0 * y0[j] + h1 * h * y0[j + 3] + h2 * h * h * f0[j + 3]
            + h3 * h * h * f1[j + 3] + h4 * h * y1[j + 3] + h5 * y1[j])


@njit(cache=True, inline="always")
def _hermite_vel(s, h, y0, f0, y1, f1, j):
    """Velocity component j at fraction s (derivative of the quintic Hermite)."""
    d0, d1, d2, d3, d4, d5 = hermite_basis_ds(s)
    return (d0 * y0[j] + d1 * h * y0[j + 3] + d2 * h * h * f0[j + 3]
            + d3 * h * h * f1[j + 3] + d4 * h * y1[j + 3] + d5 * y1[j]) / h


@njit(cache=True, inline="always")
def _h_interp(s, h, y0, f0, y1, f1, a, b):
    return alt_approx(_hermite(s, h, y0, f0, y1, f1, 0), _hermite(s, h, y0, f0, y1, f1, 1),
                      _hermite(s, h, y0, f0, y1, f1, 2), a, b)


@njit(cache=True)
def _dp_step(t, h, y, f0, work, model):
    """One Dormand–Prince step of size h from (t, y) with f0 = f(t, y).

    Writes the 5th-order solution into work.ynew, f(t+h, ynew) into work.K[6] (FSAL) and the
    embedded error estimate (5th minus 4th order) into work.ytmp.
    """
    K, ytmp, ynew = work.K, work.ytmp, work.ynew
    for i in range(6):
        ytmp[i] = y[i] + h * _A21 * f0[i]
    _deriv(t + _C2 * h, ytmp, K[1], model)
    for i in range(6):
        ytmp[i] = y[i] + h * (_A31 * f0[i] + _A32 * K[1, i])
    _deriv(t + _C3 * h, ytmp, K[2], model)
    for i in range(6):
        ytmp[i] = y[i] + h * (_A41 * f0[i] + _A42 * K[1, i] + _A43 * K[2, i])
    _deriv(t + _C4 * h, ytmp, K[3], model)
    for i in range(6):
        ytmp[i] = y[i] + h * (_A51 * f0[i] + _A52 * K[1, i] + _A53 * K[2, i] + _A54 * K[3, i])
    _deriv(t + _C5 * h, ytmp, K[4], model)
    for i in range(6):
        ytmp[i] = y[i] + h * (_A61 * f0[i] + _A62 * K[1, i] + _A63 * K[2, i] + _A64 * K[3, i] + _A65 * K[4, i])
    _deriv(t + h, ytmp, K[5], model)
    for i in range(6):
        ynew[i] = y[i] + h * (_A71 * f0[i] + _A73 * K[2, i] + _A74 * K[3, i] + _A75 * K[4, i] + _A76 * K[5, i])
    _deriv(t + h, ynew, K[6], model)
    for i in range(6):
        ytmp[i] = h * (_E1 * f0[i] + _E3 * K[2, i] + _E4 * K[3, i] + _E5 * K[4, i] + _E6 * K[5, i] + _E7 * K[6, i])


@njit(cache=True, inline="always")
def _err_norm(y, ynew, e, rtol):
    """Max-norm of the local error, scaled: position by rtol·|r|, velocity by rtol·10 km/s."""
    rn = math.sqrt(ynew[0] * ynew[0] + ynew[1] * ynew[1] + ynew[2] * ynew[2])
    sp = rtol * rn
    sv = rtol * 1.0e4
    m = 0.0
    for i in range(3):
        q = abs(e[i]) / sp
        if q > m:
            m = q
        q = abs(e[i + 3]) / sv
        if q > m:
            m = q
    return m


@njit(cache=True, inline="always")
def _kink_frac(y, ynew, model):
    """Fraction of the step to the first drag-table Mach node or density kink crossed; 1.0 if none.

    Linear interpolation of Mach number / altitude between the step's ends.
    """
    E, S, atm, mach = model.E, model.S, model.atm, model.mach
    if E[E_ATMOS] == 0.0:
        return 1.0
    a = E[E_A]
    b = E[E_B]
    h0 = alt_air(y[0], y[1], y[2], a, b)
    h1 = alt_air(ynew[0], ynew[1], ynew[2], a, b)
    best = 1.0
    if h0 < 125000.0 or h1 < 125000.0:
        for k in range(KINK_ALT_M.shape[0]):
            hk = KINK_ALT_M[k]
            if (h0 - hk) * (h1 - hk) < 0.0:
                f = (hk - h0) / (h1 - h0)
                if f < best:
                    best = f
    if S[S_PHASE] == PHASE_BOOST and mach.shape[0] > 0 and h0 < 125000.0:
        w = E[E_OMEGA]
        vx = y[3] + w * y[1]
        vy = y[4] - w * y[0]
        m0 = math.sqrt(vx * vx + vy * vy + y[5] * y[5]) / air_at(h0, atm.dh_m, atm.rows)[2]
        vx = ynew[3] + w * ynew[1]
        vy = ynew[4] - w * ynew[0]
        m1 = math.sqrt(vx * vx + vy * vy + ynew[5] * ynew[5]) / air_at(h1, atm.dh_m, atm.rows)[2]
        for k in range(mach.shape[0]):
            mk = mach[k]
            if (m0 - mk) * (m1 - mk) < 0.0:
                f = (mk - m0) / (m1 - m0)
                if f < best:
                    best = f
    return best


@njit(cache=True, inline="always")
def _impact_frac(h, y, f0, ynew, f1, a, b):
    """Fraction of the step where the interpolated altitude crosses 0: bisection to 1e-7 s."""
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if _h_interp(mid, h, y, f0, ynew, f1, a, b) > 0.0:
            lo = mid
        else:
            hi = mid
        if (hi - lo) * h < 1e-7:
            break
    return 0.5 * (lo + hi)


@njit(cache=True, inline="always")
def _store_samples(t, h, s_end, y, f0, ynew, f1, samp_dt, buf):
    """Samples at multiples of samp_dt inside (t, t + s_end·h] into buf, from the step's interpolant."""
    nmax = buf.t_s.shape[0]
    cnt = buf.count
    while cnt[0] < nmax:
        ts = cnt[0] * samp_dt
        if ts > t + s_end * h + 1e-9:
            break
        s = (ts - t) / h
        if s < 0.0:
            s = 0.0
        k = cnt[0]
        buf.t_s[k] = ts
        for j in range(3):
            buf.r_eci_m[k, j] = _hermite(s, h, y, f0, ynew, f1, j)
            buf.v_eci_mps[k, j] = _hermite_vel(s, h, y, f0, ynew, f1, j)
        cnt[0] += 1


@njit(cache=True, inline="always")
def _refine_apogee(t, h, s_end, y, f0, ynew, f1, a, b, apo):
    """Where the climb rate turns negative inside the step, locate the altitude maximum on
    the interpolant (golden section) and keep it in apo if it is the highest so far."""
    vr0 = alt_rate(y[0], y[1], y[2], y[3], y[4], y[5], a, b)
    vr1 = alt_rate(ynew[0], ynew[1], ynew[2], ynew[3], ynew[4], ynew[5], a, b)
    if not (vr0 > 0.0 and vr1 <= 0.0):
        return
    lo, hi = 0.0, s_end
    g = 0.6180339887498949
    for _ in range(40):
        m1 = hi - g * (hi - lo)
        m2 = lo + g * (hi - lo)
        if _h_interp(m1, h, y, f0, ynew, f1, a, b) > _h_interp(m2, h, y, f0, ynew, f1, a, b):
            hi = m2
        else:
            lo = m1
    sm = 0.5 * (lo + hi)
    hm = _h_interp(sm, h, y, f0, ynew, f1, a, b)
    if hm > apo[APO_ALT]:
        apo[APO_T] = t + sm * h
        apo[APO_ALT] = hm
        for j in range(3):
            apo[APO_R + j] = _hermite(sm, h, y, f0, ynew, f1, j)


@njit(cache=True)
def _polish_impact(t, ha, y, f0, work, model):
    """Impact step length from t: secant steps on the real (not interpolated) altitude, starting
    from ha; leaves the state at impact in work.ynew, its derivative in work.K[6]."""
    a, b = model.E[E_A], model.E[E_B]
    ynew = work.ynew
    for _ in range(3):
        _dp_step(t, ha, y, f0, work, model)
        hz = alt_approx(ynew[0], ynew[1], ynew[2], a, b)
        # dh/dt from the radial velocity at the end point
        rn = math.sqrt(ynew[0] * ynew[0] + ynew[1] * ynew[1] + ynew[2] * ynew[2])
        vrad = (ynew[0] * ynew[3] + ynew[1] * ynew[4] + ynew[2] * ynew[5]) / rn
        if abs(hz) < 1e-4 or vrad >= 0.0:
            break
        ha = ha - hz / vrad
        if ha < 0.0:  # a start on the ground heading down: the impact is the start, never before it
            ha = 0.0
    return ha


@njit(cache=True)
def _segment(t, t_end, y, f0, dt, work, model, ctl, buf, apo):
    """Integrate from t to t_end (or, in the ballistic phase, to impact) with step control.

    State y and its derivative f0 are updated in place; ``apo`` (APO_*) holds the running apogee
    and step count, ``buf`` the samples. Returns (t, dt, code), code SEG_END (reached t_end),
    SEG_IMPACT or SEG_STEPS (too many steps).
    """
    a = model.E[E_A]
    b = model.E[E_B]
    # a run-time flag, not a literal argument: one compiled _segment for boost and ballistic segments
    stop_impact = model.S[S_PHASE] == PHASE_BALLISTIC
    K, ytmp, ynew = work.K, work.ytmp, work.ynew
    resume = 0.0
    while t < t_end:
        if apo[APO_STEPS] > MAX_STEPS:
            return t, dt, SEG_STEPS
        h = dt
        last = False
        if h > ctl.dt_max_s:
            h = ctl.dt_max_s
        if t + h >= t_end:
            h = t_end - t
            last = True
        _dp_step(t, h, y, f0, work, model)
        err = _err_norm(y, ynew, ytmp, ctl.rtol)
        apo[APO_STEPS] += 1
        if err > 1.0:
            fac = 0.9 * err ** -0.2
            if fac < 0.2:
                fac = 0.2
            dt = h * fac
            continue
        # a kink inside the step: shorten it to end just past the kink, and redo
        fk = _kink_frac(y, ynew, model)
        if fk < 1.0 and fk * h > 1e-3:
            dt = fk * h + 5e-4
            if dt < h:
                resume = h - dt  # after the kink, carry on with the rest of the accepted step size
                continue
        # accepted: step (t, y, f0) -> (t + h, ynew, K[6])
        t1 = t + h if not last else t_end
        h_new = alt_approx(ynew[0], ynew[1], ynew[2], a, b)
        impact = stop_impact and h_new < 0.0
        s_hit = _impact_frac(h, y, f0, ynew, K[6], a, b) if impact else 1.0
        if ctl.sample_dt_s > 0.0:
            _store_samples(t, h, s_hit, y, f0, ynew, K[6], ctl.sample_dt_s, buf)
        _refine_apogee(t, h, s_hit, y, f0, ynew, K[6], a, b, apo)
        if h_new > apo[APO_ALT] and not impact:
            apo[APO_T] = t1
            apo[APO_ALT] = h_new
            apo[APO_R] = ynew[0]
            apo[APO_R + 1] = ynew[1]
            apo[APO_R + 2] = ynew[2]
        if impact:
            ha = _polish_impact(t, s_hit * h, y, f0, work, model)
            for i in range(6):
                y[i] = ynew[i]
                f0[i] = K[6, i]
            return t + ha, dt, SEG_IMPACT
        for i in range(6):
            y[i] = ynew[i]
            f0[i] = K[6, i]
        t = t1
        fac = 5.0 if err < 1e-10 else 0.9 * err ** -0.2
        if fac > 5.0:
            fac = 5.0
        if not last or fac < 1.0:
            dt = h * fac
        if resume > 0.0:
            if dt < resume:
                dt = resume
            resume = 0.0
    return t, dt, SEG_END


@njit(cache=True)
def _boost_events(mis, t_cut):
    """Sorted event times of the boost up to the cut-off: pitch programme, staging, cut-off."""
    stages = mis.stages
    nst = stages.shape[0]
    ev = np.empty(2 * nst + 3)
    ev[0] = mis.t_vertical_s
    ev[1] = mis.t_vertical_s + mis.t_kick_s
    ne = 2
    for k in range(nst):
        ev[ne] = stages[k, 0]
        ev[ne + 1] = stages[k, 1]
        ne += 2
    ev[ne] = t_cut
    ne += 1
    return np.sort(ev[:ne])


@njit(cache=True)
def stack_at(stages, payload_kg, tm):
    """(burning stage index or -1, mass of the stack at the start of that stage's burn or of the
    coast, kg) at time tm: the payload plus every stage not yet burnt out (dry + propellant)."""
    m_burning = -1
    m0 = payload_kg
    for k in range(stages.shape[0] - 1, -1, -1):
        mprop = stages[k, 2] * (stages[k, 1] - stages[k, 0])
        if tm >= stages[k, 1]:
            break
        m0 += stages[k, 5] + mprop
        if stages[k, 0] <= tm < stages[k, 1]:
            m_burning = k
            break
    return m_burning, m0


@njit(cache=True)
def _set_stage(S, mis, tm):
    """Steering mode, mass and thrust of the segment around time tm (a burning stage, or the
    coasting stack) into S."""
    t_vert, t_kick = mis.t_vertical_s, mis.t_kick_s
    if tm < t_vert:
        S[S_STEER] = STEER_VERTICAL
    elif tm < t_vert + t_kick or mis.hold:
        S[S_STEER] = STEER_PITCH
    else:
        S[S_STEER] = STEER_GRAVITY_TURN
    stages = mis.stages
    m_burning, m0 = stack_at(stages, mis.payload_kg, tm)
    S[S_M0] = m0
    if m_burning >= 0:
        k = m_burning
        S[S_TVAC] = stages[k, 3]
        S[S_AEXIT] = stages[k, 4]
        S[S_MDOT] = stages[k, 2]
        S[S_TIGN] = stages[k, 0]
    else:
        S[S_TVAC] = 0.0
        S[S_AEXIT] = 0.0
        S[S_MDOT] = 0.0
        S[S_TIGN] = 0.0


@njit(cache=True)
def _fly_boost(i, y, f0, work, model, mis, starts, ctl, buf, apo):
    """Boost of trajectory i from t = 0 to its cut-off, segment by segment between events.

    Returns (t, dt, status): status STATUS_RUNNING when the boost ended normally.
    """
    S = model.S
    E = model.E
    S[S_PHASE] = PHASE_BOOST
    S[S_SREF] = mis.ref_area_m2
    S[S_HX] = starts.dir_ecef[i, 0]
    S[S_HY] = starts.dir_ecef[i, 1]
    S[S_HZ] = starts.dir_ecef[i, 2]
    S[S_KICK] = starts.kick_rad[i]
    S[S_TVERT] = mis.t_vertical_s
    S[S_TKICK] = mis.t_kick_s
    tcut = starts.t_cut_s[i]
    t_max = ctl.t_max_s
    ev = _boost_events(mis, tcut)
    ne = ev.shape[0]
    t = 0.0
    dt = 1.0
    t_seg = 0.0
    for q in range(ne + 1):
        t_next = ev[q] if q < ne else tcut
        if t_next > tcut:
            t_next = tcut
        if t_next > t_max:
            t_next = t_max
        if t_next <= t_seg + 1e-12:
            continue
        _set_stage(S, mis, 0.5 * (t_seg + t_next))
        _deriv(t_seg, y, f0, model)
        t, dt, code = _segment(t_seg, t_next, y, f0, dt, work, model, ctl, buf, apo)
        if code == SEG_STEPS:
            return t, dt, STATUS_STEPS
        t_seg = t_next
        if alt_approx(y[0], y[1], y[2], E[E_A], E[E_B]) < -1.0:
            return t, dt, STATUS_BOOST_CRASH
    if t >= t_max:
        return t, dt, STATUS_DURATION
    return t, dt, STATUS_RUNNING


@njit(cache=True)
def _escaped(y, E):
    """Unbound and receding above the atmosphere: it never comes back (the J2 potential is
    axially symmetric, so v²/2 + U is conserved in the inertial frame)."""
    r2 = y[0] * y[0] + y[1] * y[1] + y[2] * y[2]
    rn = math.sqrt(r2)
    u_pot = -E[E_MU] / rn
    if E[E_J2] != 0.0:
        re_r = E[E_RE_J2] / rn
        u_pot += E[E_MU] / rn * E[E_J2] * re_r * re_r * 0.5 * (3.0 * y[2] * y[2] / r2 - 1.0)
    energy = 0.5 * (y[3] * y[3] + y[4] * y[4] + y[5] * y[5]) + u_pot
    receding = y[0] * y[3] + y[1] * y[4] + y[2] * y[5] > 0.0
    return energy >= 0.0 and receding and alt_approx(y[0], y[1], y[2], E[E_A], E[E_B]) >= ESCAPE_MIN_ALT_M


@njit(cache=True)
def _fly_one(i, boost, starts, mis, E, atm, ctl, out):
    """Fly trajectory i (boost, then ballistic flight) and write its summary row and samples."""
    y = np.empty(6)
    f0 = np.empty(6)
    work = Work(np.empty((7, 6)), np.empty(6), np.empty(6))
    model = Model(E, np.zeros(S_LEN), mis.mach, mis.cd, atm)
    S = model.S
    apo = np.zeros(APO_LEN)
    buf = SampleBuffer(out.t_s[i], out.r_eci_m[i], out.v_eci_mps[i], np.zeros(1, dtype=np.int64))
    for j in range(3):
        y[j] = starts.r0_eci_m[i, j]
        y[j + 3] = starts.v0_eci_mps[i, j]
    apo[APO_ALT] = alt_approx(y[0], y[1], y[2], E[E_A], E[E_B])
    apo[APO_R], apo[APO_R + 1], apo[APO_R + 2] = y[0], y[1], y[2]
    t = 0.0
    dt = 1.0
    status = STATUS_RUNNING
    if boost:
        t, dt, status = _fly_boost(i, y, f0, work, model, mis, starts, ctl, buf, apo)
    summary = out.summary
    summary[i, SUM_TBO] = t
    for j in range(3):
        summary[i, SUM_RBO + j] = y[j]
        summary[i, SUM_VBO + j] = y[j + 3]
    if status == STATUS_RUNNING:
        S[S_PHASE] = PHASE_BALLISTIC
        S[S_BETA_INV] = mis.beta_inv
        _deriv(t, y, f0, model)
        t, dt, code = _segment(t, ctl.t_max_s, y, f0, dt, work, model, ctl, buf, apo)
        if code == SEG_END:
            status = STATUS_ESCAPE if _escaped(y, E) else STATUS_DURATION
        elif code == SEG_STEPS:
            status = STATUS_STEPS
        else:
            status = STATUS_IMPACT
    summary[i, SUM_STATUS] = status
    summary[i, SUM_TAPO] = apo[APO_T]
    summary[i, SUM_HAPO] = apo[APO_ALT]
    for j in range(3):
        summary[i, SUM_RAPO + j] = apo[APO_R + j]
        summary[i, SUM_RIMP + j] = y[j]
        summary[i, SUM_VIMP + j] = y[j + 3]
    summary[i, SUM_TIMP] = t
    summary[i, SUM_NSTEPS] = apo[APO_STEPS]
    out.n_samples[i] = buf.count[0]


@njit(parallel=True, cache=True)
def fly_kernel(boost, starts, mis, E, atm, ctl, out):
    """Fly N trajectories of one missile (boost=True) or N free bodies (boost=False).

    starts: :class:`Starts` (r0, v0 (N, 3) ECI state at t = 0; the launch direction (N, 3);
    kick_rad, t_cut_s (N,) steering); mis: :class:`MissileArgs`; E the Earth parameter vector
    (``EarthModel.params()``); atm the ``earth.atmosphere.air_table()``; ctl: :class:`Control` (time limit,
    step-control tolerance, largest step, sample interval: > 0 to sample into out.t_s (N, M),
    out.r_eci_m, out.v_eci_mps (N, M, 3) and counts out.n_samples (N,)).
    Output: out.summary (N, SUM_LEN) rows, columns SUM_*.
    """
    for i in prange(starts.r0_eci_m.shape[0]):
        # int64 index: prange's is unsigned in the parallel body and signed when typing the loop,
        # which compiled _fly_one, _fly_boost and _segment twice
        _fly_one(np.int64(i), boost, starts, mis, E, atm, ctl, out)
