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

import numpy as np
from numba import njit, prange

from ..earth.atmosphere import atmos_lookup
from ..earth.model import E_A, E_ATMOS, E_B, E_J2, E_MU, E_OMEGA, E_RE_J2

# Segment parameter vector layout (set per boost segment / ballistic phase).
# S_HX..S_HZ: the launch direction, a horizontal unit vector at the launch point, Earth-fixed axes.
S_PHASE, S_STEER, S_TVAC, S_AEXIT, S_MDOT, S_M0, S_TIGN, S_SREF, S_HX, S_HY, S_HZ, S_KICK, \
    S_TVERT, S_TKICK, S_BETA_INV = range(15)
S_LEN = 15
PHASE_BOOST, PHASE_BALLISTIC = 0.0, 1.0

# Summary columns.
(SUM_STATUS, SUM_TBO, SUM_RBO, _rbo1, _rbo2, SUM_VBO, _vbo1, _vbo2, SUM_TAPO, SUM_HAPO,
 SUM_RAPO, _ra1, _ra2, SUM_TIMP, SUM_RIMP, _ri1, _ri2, SUM_VIMP, _vi1, _vi2, SUM_NSTEPS) = range(21)
SUM_LEN = 21

STATUS_IMPACT, STATUS_DURATION, STATUS_STEPS, STATUS_BOOST_CRASH, STATUS_ESCAPE = 0, 1, 2, 3, 4
STATUS_TEXT = {STATUS_IMPACT: "impact", STATUS_DURATION: "duration reached",
               STATUS_STEPS: "too many integration steps", STATUS_BOOST_CRASH: "hit the ground during boost",
               STATUS_ESCAPE: "escape"}
ESCAPE_MIN_ALT_M = 1.0e6
"""Escape is declared only above the atmosphere's top (1,000 km), where no drag can take energy away."""

MAX_STEPS = 400_000

# Altitudes (geometric, m) where the USSA76 density changes slope (layer bases, 86-120 km segments):
# steps are shortened to end on them, like Mach nodes of the drag table during boost, so the
# Runge-Kutta step never straddles a kink (keeps the method's order; docs/VALIDATION.md).
KINK_ALT_M = np.array([11019.1, 20063.1, 32161.9, 47350.1, 51412.5, 71802.0, 86000.0, 91000.0, 110000.0, 120000.0])

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


@njit(cache=True)
def _deriv(t, s, out, E, S, mach, cd, dh, ln_rho, ln_p, snd):
    """Time derivative of the ECI state s = (r, v) under the current segment S."""
    x, y, z, vx, vy, vz = s[0], s[1], s[2], s[3], s[4], s[5]
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    mu_r3 = E[E_MU] / (r2 * r)
    j2 = E[E_J2]
    if j2 != 0.0:
        re_r = E[E_RE_J2] / r
        fac = 1.5 * j2 * re_r * re_r
        zz = 5.0 * z * z / r2
        ax = -mu_r3 * x * (1.0 + fac * (1.0 - zz))
        ay = -mu_r3 * y * (1.0 + fac * (1.0 - zz))
        az = -mu_r3 * z * (1.0 + fac * (3.0 - zz))
    else:
        ax = -mu_r3 * x
        ay = -mu_r3 * y
        az = -mu_r3 * z
    w = E[E_OMEGA]
    vrx = vx + w * y
    vry = vy - w * x
    vrz = vz
    vrel = math.sqrt(vrx * vrx + vry * vry + vrz * vrz)
    rho = 0.0
    p = 0.0
    a_snd = 340.0
    if E[E_ATMOS] != 0.0:
        h = alt_approx(x, y, z, E[E_A], E[E_B])
        rho, p, a_snd = atmos_lookup(h, dh, ln_rho, ln_p, snd)
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
            mach_n = vrel / a_snd
            nc = mach.shape[0]
            if mach_n <= mach[0]:
                c = cd[0]
            elif mach_n >= mach[nc - 1]:
                c = cd[nc - 1]
            else:
                j = 1
                while mach[j] < mach_n:
                    j += 1
                fr = (mach_n - mach[j - 1]) / (mach[j] - mach[j - 1])
                c = cd[j - 1] + fr * (cd[j] - cd[j - 1])
            k = -0.5 * rho * vrel * c * S[S_SREF] / m
            ax += k * vrx
            ay += k * vry
            az += k * vrz
        if thrust > 0.0:
            steer = S[S_STEER]
            if steer == 2.0 and vrel > 1e-6:
                dx, dy, dz = vrx / vrel, vry / vrel, vrz / vrel
            else:
                a_ = E[E_A]
                b_ = E[E_B]
                ux, uy, uz = x / (a_ * a_), y / (a_ * a_), z / (b_ * b_)
                un = math.sqrt(ux * ux + uy * uy + uz * uz)
                ux /= un
                uy /= un
                uz /= un
                if steer == 1.0:
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
                    dx = ct * ux + st * px
                    dy = ct * uy + st * py
                    dz = ct * uz + st * pz
                else:
                    dx, dy, dz = ux, uy, uz
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
def _hermite(s, h, y0, f0, y1, f1, j):
    """Position component j at fraction s of a step of length h (quintic Hermite in r, v, a)."""
    s2 = s * s
    s3 = s2 * s
    s4 = s3 * s
    s5 = s4 * s
    h0 = 1 - 10 * s3 + 15 * s4 - 6 * s5
    h1 = s - 6 * s3 + 8 * s4 - 3 * s5
    h2 = 0.5 * s2 - 1.5 * s3 + 1.5 * s4 - 0.5 * s5
    h3 = 0.5 * s3 - s4 + 0.5 * s5
    h4 = -4 * s3 + 7 * s4 - 3 * s5
    h5 = 10 * s3 - 15 * s4 + 6 * s5
    return (h0 * y0[j] + h1 * h * y0[j + 3] + h2 * h * h * f0[j + 3]
            + h3 * h * h * f1[j + 3] + h4 * h * y1[j + 3] + h5 * y1[j])


@njit(cache=True, inline="always")
def _hermite_vel(s, h, y0, f0, y1, f1, j):
    """Velocity component j at fraction s (derivative of the quintic Hermite)."""
    s2 = s * s
    s3 = s2 * s
    s4 = s3 * s
    d0 = -30 * s2 + 60 * s3 - 30 * s4
    d1 = 1 - 18 * s2 + 32 * s3 - 15 * s4
    d2 = s - 4.5 * s2 + 6 * s3 - 2.5 * s4
    d3 = 1.5 * s2 - 4 * s3 + 2.5 * s4
    d4 = -12 * s2 + 28 * s3 - 15 * s4
    d5 = 30 * s2 - 60 * s3 + 30 * s4
    return (d0 * y0[j] + d1 * h * y0[j + 3] + d2 * h * h * f0[j + 3]
            + d3 * h * h * f1[j + 3] + d4 * h * y1[j + 3] + d5 * y1[j]) / h


@njit(cache=True, inline="always")
def _h_interp(s, h, y0, f0, y1, f1, a, b):
    return alt_approx(_hermite(s, h, y0, f0, y1, f1, 0), _hermite(s, h, y0, f0, y1, f1, 1),
                      _hermite(s, h, y0, f0, y1, f1, 2), a, b)


@njit(cache=True)
def _dp_step(t, h, y, f0, K, ytmp, ynew, E, S, mach, cd, dh, ln_rho, ln_p, snd):
    """One Dormand–Prince step of size h from (t, y) with f0 = f(t, y).

    Writes the 5th-order solution into ynew, f(t+h, ynew) into K[6] (FSAL) and the embedded
    error estimate (5th minus 4th order) into ytmp.
    """
    for i in range(6):
        ytmp[i] = y[i] + h * _A21 * f0[i]
    _deriv(t + _C2 * h, ytmp, K[1], E, S, mach, cd, dh, ln_rho, ln_p, snd)
    for i in range(6):
        ytmp[i] = y[i] + h * (_A31 * f0[i] + _A32 * K[1, i])
    _deriv(t + _C3 * h, ytmp, K[2], E, S, mach, cd, dh, ln_rho, ln_p, snd)
    for i in range(6):
        ytmp[i] = y[i] + h * (_A41 * f0[i] + _A42 * K[1, i] + _A43 * K[2, i])
    _deriv(t + _C4 * h, ytmp, K[3], E, S, mach, cd, dh, ln_rho, ln_p, snd)
    for i in range(6):
        ytmp[i] = y[i] + h * (_A51 * f0[i] + _A52 * K[1, i] + _A53 * K[2, i] + _A54 * K[3, i])
    _deriv(t + _C5 * h, ytmp, K[4], E, S, mach, cd, dh, ln_rho, ln_p, snd)
    for i in range(6):
        ytmp[i] = y[i] + h * (_A61 * f0[i] + _A62 * K[1, i] + _A63 * K[2, i] + _A64 * K[3, i] + _A65 * K[4, i])
    _deriv(t + h, ytmp, K[5], E, S, mach, cd, dh, ln_rho, ln_p, snd)
    for i in range(6):
        ynew[i] = y[i] + h * (_A71 * f0[i] + _A73 * K[2, i] + _A74 * K[3, i] + _A75 * K[4, i] + _A76 * K[5, i])
    _deriv(t + h, ynew, K[6], E, S, mach, cd, dh, ln_rho, ln_p, snd)
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


@njit(cache=True)
def _kink_frac(y, ynew, E, S, mach, dh, ln_rho, ln_p, snd, kinks):
    """Fraction of the step to the first drag-table Mach node or density kink crossed; 1.0 if none.

    Linear interpolation of Mach number / altitude between the step's ends.
    """
    if E[E_ATMOS] == 0.0:
        return 1.0
    a = E[E_A]
    b = E[E_B]
    h0 = alt_approx(y[0], y[1], y[2], a, b)
    h1 = alt_approx(ynew[0], ynew[1], ynew[2], a, b)
    best = 1.0
    if h0 < 125000.0 or h1 < 125000.0:
        for k in range(kinks.shape[0]):
            hk = kinks[k]
            if (h0 - hk) * (h1 - hk) < 0.0:
                f = (hk - h0) / (h1 - h0)
                if f < best:
                    best = f
    if S[S_PHASE] == PHASE_BOOST and mach.shape[0] > 0 and h0 < 125000.0:
        w = E[E_OMEGA]
        vx = y[3] + w * y[1]
        vy = y[4] - w * y[0]
        m0 = math.sqrt(vx * vx + vy * vy + y[5] * y[5]) / atmos_lookup(h0, dh, ln_rho, ln_p, snd)[2]
        vx = ynew[3] + w * ynew[1]
        vy = ynew[4] - w * ynew[0]
        m1 = math.sqrt(vx * vx + vy * vy + ynew[5] * ynew[5]) / atmos_lookup(h1, dh, ln_rho, ln_p, snd)[2]
        for k in range(mach.shape[0]):
            mk = mach[k]
            if (m0 - mk) * (m1 - mk) < 0.0:
                f = (mk - m0) / (m1 - m0)
                if f < best:
                    best = f
    return best


@njit(cache=True)
def _segment(t, t_end, y, f0, dt, stop_impact, K, ytmp, ynew, E, S, mach, cd, dh, ln_rho, ln_p, snd,
             rtol, dt_max, samp_dt, st, sr, sv, cnt, apo):
    """Integrate from t to t_end (or to impact when stop_impact) with step control.

    State y and its derivative f0 are updated in place. ``apo`` = [t, h, x, y, z, n_steps] holds
    the running apogee and step count; ``cnt`` = [n_samples]. Returns (t, dt, status) with status
    0 = reached t_end, 1 = impact, 2 = too many steps.
    """
    a = E[E_A]
    b = E[E_B]
    nmax = st.shape[0]
    resume = 0.0
    while t < t_end:
        if apo[5] > MAX_STEPS:
            return t, dt, 2
        h = dt
        last = False
        if h > dt_max:
            h = dt_max
        if t + h >= t_end:
            h = t_end - t
            last = True
        _dp_step(t, h, y, f0, K, ytmp, ynew, E, S, mach, cd, dh, ln_rho, ln_p, snd)
        err = _err_norm(y, ynew, ytmp, rtol)
        apo[5] += 1
        if err > 1.0:
            fac = 0.9 * err ** -0.2
            if fac < 0.2:
                fac = 0.2
            dt = h * fac
            continue
        # a kink inside the step: shorten it to end just past the kink, and redo
        fk = _kink_frac(y, ynew, E, S, mach, dh, ln_rho, ln_p, snd, KINK_ALT_M)
        if fk < 1.0 and fk * h > 1e-3:
            dt = fk * h + 5e-4
            if dt < h:
                resume = h - dt  # after the kink, carry on with the rest of the accepted step size
                continue
        # accepted: step (t, y, f0) -> (t + h, ynew, K[6])
        t1 = t + h if not last else t_end
        h_new = alt_approx(ynew[0], ynew[1], ynew[2], a, b)
        impact = stop_impact and h_new < 0.0
        s_hit = 1.0
        if impact:
            # root of the interpolated altitude on [0, 1]: bisection then secant polish
            lo, hi = 0.0, 1.0
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                if _h_interp(mid, h, y, f0, ynew, K[6], a, b) > 0.0:
                    lo = mid
                else:
                    hi = mid
                if (hi - lo) * h < 1e-7:
                    break
            s_hit = 0.5 * (lo + hi)
        # samples inside (t, t + s_hit*h]
        if samp_dt > 0.0:
            while cnt[0] < nmax:
                ts = cnt[0] * samp_dt
                if ts > t + s_hit * h + 1e-9:
                    break
                s = (ts - t) / h
                if s < 0.0:
                    s = 0.0
                k = cnt[0]
                st[k] = ts
                for j in range(3):
                    sr[k, j] = _hermite(s, h, y, f0, ynew, K[6], j)
                    sv[k, j] = _hermite_vel(s, h, y, f0, ynew, K[6], j)
                cnt[0] += 1
        # apogee: refine inside the step where the radial velocity turns negative
        vr0 = y[0] * y[3] + y[1] * y[4] + y[2] * y[5]
        vr1 = ynew[0] * ynew[3] + ynew[1] * ynew[4] + ynew[2] * ynew[5]
        if vr0 > 0.0 and vr1 <= 0.0:
            lo, hi = 0.0, s_hit
            g = 0.6180339887498949
            for _ in range(40):
                m1 = hi - g * (hi - lo)
                m2 = lo + g * (hi - lo)
                if _h_interp(m1, h, y, f0, ynew, K[6], a, b) > _h_interp(m2, h, y, f0, ynew, K[6], a, b):
                    hi = m2
                else:
                    lo = m1
            sm = 0.5 * (lo + hi)
            hm = _h_interp(sm, h, y, f0, ynew, K[6], a, b)
            if hm > apo[1]:
                apo[0] = t + sm * h
                apo[1] = hm
                for j in range(3):
                    apo[2 + j] = _hermite(sm, h, y, f0, ynew, K[6], j)
        if h_new > apo[1] and not impact:
            apo[0] = t1
            apo[1] = h_new
            apo[2] = ynew[0]
            apo[3] = ynew[1]
            apo[4] = ynew[2]
        if impact:
            # polish the impact with real steps from the step start (secant on step length)
            ha = s_hit * h
            for _ in range(3):
                _dp_step(t, ha, y, f0, K, ytmp, ynew, E, S, mach, cd, dh, ln_rho, ln_p, snd)
                hz = alt_approx(ynew[0], ynew[1], ynew[2], a, b)
                # dh/dt from the radial velocity at the end point
                rn = math.sqrt(ynew[0] * ynew[0] + ynew[1] * ynew[1] + ynew[2] * ynew[2])
                vrad = (ynew[0] * ynew[3] + ynew[1] * ynew[4] + ynew[2] * ynew[5]) / rn
                if abs(hz) < 1e-4 or vrad >= 0.0:
                    break
                ha = ha - hz / vrad
                if ha < 0.0:  # a start on the ground heading down: the impact is the start, never before it
                    ha = 0.0
            for i in range(6):
                y[i] = ynew[i]
                f0[i] = K[6, i]
            return t + ha, dt, 1
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
    return t, dt, 0


@njit(parallel=True, cache=True)
def fly_kernel(r0, v0, boost, dir_ecef, kick_rad, t_cut, stages, payload_kg, ref_area_m2, mach, cd,
               beta_inv, t_vert, t_kick, hold, E, dh, ln_rho, ln_p, snd, t_max, rtol, dt_max, samp_dt,
               summary, st, sr, sv, ns):
    """Fly N trajectories of one missile (boost=True) or N free bodies (boost=False).

    Inputs: r0, v0 (N, 3) ECI state at t = 0 (m, m/s); dir_ecef (N, 3) the launch direction (unit,
    horizontal at the launch point, Earth-fixed axes: cos A n̂ + sin A ê of the launch azimuth A);
    kick_rad, t_cut (N,) steering;
    stages (n_stage, 6) from Missile.stage_table(); hold: keep the kicked thrust attitude to burnout
    instead of the gravity turn (interceptor fly-outs); E the Earth parameter vector; the atmosphere
    table (dh, ln_rho, ln_p, snd); t_max the time limit (s); rtol the step-control tolerance;
    samp_dt > 0 to sample every samp_dt seconds into st (N, M), sr, sv (N, M, 3) and counts ns (N,).
    Output: summary (N, SUM_LEN) rows, columns SUM_*.
    """
    n = r0.shape[0]
    nst = stages.shape[0]
    for i in prange(n):
        y = np.empty(6)
        f0 = np.empty(6)
        K = np.empty((7, 6))
        ytmp = np.empty(6)
        ynew = np.empty(6)
        S = np.zeros(S_LEN)
        apo = np.zeros(6)
        cnt = np.zeros(1, dtype=np.int64)
        for j in range(3):
            y[j] = r0[i, j]
            y[j + 3] = v0[i, j]
        apo[1] = alt_approx(y[0], y[1], y[2], E[E_A], E[E_B])
        apo[2], apo[3], apo[4] = y[0], y[1], y[2]
        t = 0.0
        dt = 1.0
        status = 0
        tcut = t_cut[i]
        if boost:
            S[S_PHASE] = PHASE_BOOST
            S[S_SREF] = ref_area_m2
            S[S_HX] = dir_ecef[i, 0]
            S[S_HY] = dir_ecef[i, 1]
            S[S_HZ] = dir_ecef[i, 2]
            S[S_KICK] = kick_rad[i]
            S[S_TVERT] = t_vert
            S[S_TKICK] = t_kick
            # event times: pitch programme and staging, up to the cut-off
            ev = np.empty(2 * nst + 3)
            ne = 0
            ev[ne] = t_vert
            ne += 1
            ev[ne] = t_vert + t_kick
            ne += 1
            for k in range(nst):
                ev[ne] = stages[k, 0]
                ne += 1
                ev[ne] = stages[k, 1]
                ne += 1
            ev[ne] = tcut
            ne += 1
            ev = np.sort(ev[:ne])
            t_seg = 0.0
            for q in range(ne + 1):
                t_next = ev[q] if q < ne else tcut
                if t_next > tcut:
                    t_next = tcut
                if t_next > t_max:
                    t_next = t_max
                if t_next <= t_seg + 1e-12:
                    continue
                tm = 0.5 * (t_seg + t_next)
                S[S_STEER] = 0.0 if tm < t_vert else (1.0 if (tm < t_vert + t_kick or hold) else 2.0)
                # which stage burns (or the coasting stack)
                m_burning = -1
                m0 = payload_kg
                for k in range(nst - 1, -1, -1):
                    mprop = stages[k, 2] * (stages[k, 1] - stages[k, 0])
                    if tm >= stages[k, 1]:
                        break
                    m0 += stages[k, 5] + mprop
                    if stages[k, 0] <= tm < stages[k, 1]:
                        m_burning = k
                        break
                if m_burning >= 0:
                    k = m_burning
                    S[S_TVAC] = stages[k, 3]
                    S[S_AEXIT] = stages[k, 4]
                    S[S_MDOT] = stages[k, 2]
                    S[S_M0] = m0
                    S[S_TIGN] = stages[k, 0]
                else:
                    S[S_TVAC] = 0.0
                    S[S_AEXIT] = 0.0
                    S[S_MDOT] = 0.0
                    S[S_M0] = m0
                    S[S_TIGN] = 0.0
                _deriv(t_seg, y, f0, E, S, mach, cd, dh, ln_rho, ln_p, snd)
                t, dt, code = _segment(t_seg, t_next, y, f0, dt, False, K, ytmp, ynew, E, S, mach, cd,
                                       dh, ln_rho, ln_p, snd, rtol, dt_max, samp_dt, st[i], sr[i], sv[i], cnt, apo)
                if code == 2:
                    status = STATUS_STEPS
                    break
                t_seg = t_next
                if alt_approx(y[0], y[1], y[2], E[E_A], E[E_B]) < -1.0:
                    status = STATUS_BOOST_CRASH
                    break
            if status == 0 and t >= t_max:
                status = STATUS_DURATION
        summary[i, SUM_TBO] = t
        for j in range(3):
            summary[i, SUM_RBO + j] = y[j]
            summary[i, SUM_VBO + j] = y[j + 3]
        if status == 0:
            S[S_PHASE] = PHASE_BALLISTIC
            S[S_BETA_INV] = beta_inv
            _deriv(t, y, f0, E, S, mach, cd, dh, ln_rho, ln_p, snd)
            t, dt, code = _segment(t, t_max, y, f0, dt, True, K, ytmp, ynew, E, S, mach, cd,
                                   dh, ln_rho, ln_p, snd, rtol, dt_max, samp_dt, st[i], sr[i], sv[i], cnt, apo)
            if code == 0:
                status = STATUS_DURATION
                # unbound and receding above the atmosphere: it never comes back (the J2 potential is
                # axially symmetric, so v²/2 + U is conserved in the inertial frame)
                r2 = y[0] * y[0] + y[1] * y[1] + y[2] * y[2]
                rn = math.sqrt(r2)
                u_pot = -E[E_MU] / rn
                if E[E_J2] != 0.0:
                    re_r = E[E_RE_J2] / rn
                    u_pot += E[E_MU] / rn * E[E_J2] * re_r * re_r * 0.5 * (3.0 * y[2] * y[2] / r2 - 1.0)
                energy = 0.5 * (y[3] * y[3] + y[4] * y[4] + y[5] * y[5]) + u_pot
                receding = y[0] * y[3] + y[1] * y[4] + y[2] * y[5] > 0.0
                if energy >= 0.0 and receding and alt_approx(y[0], y[1], y[2], E[E_A], E[E_B]) >= ESCAPE_MIN_ALT_M:
                    status = STATUS_ESCAPE
            elif code == 2:
                status = STATUS_STEPS
            else:
                status = STATUS_IMPACT
        summary[i, SUM_STATUS] = status
        summary[i, SUM_TAPO] = apo[0]
        summary[i, SUM_HAPO] = apo[1]
        for j in range(3):
            summary[i, SUM_RAPO + j] = apo[2 + j]
            summary[i, SUM_RIMP + j] = y[j]
            summary[i, SUM_VIMP + j] = y[j + 3]
        summary[i, SUM_TIMP] = t
        summary[i, SUM_NSTEPS] = apo[5]
        ns[i] = cnt[0]
