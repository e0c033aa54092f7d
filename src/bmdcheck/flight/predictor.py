"""The Newton steering predictor compiled: boost table + closed-form Kepler arc, one row per thread.

The same arithmetic as the NumPy predictor in :mod:`bmdcheck.flight.newton` (``_predict_numpy``,
its reference: tests/flight/test_newton.py checks the two agree to 1e-9), written per row so that
one call evaluates a whole batch of (trajectory, trial steering) pairs without temporaries:

1. bicubic Catmull-Rom interpolation of the boost table (``newton.BoostTable.interp``);
2. the burnout state placed along the launch azimuth, the boost's Coriolis and centrifugal
   corrections, the Earth turned to the burnout time (``newton._predict``);
3. the Kepler arc down to the aim point's radius, :func:`ballistic_arc` (the scalar form of
   ``kepler.ballistic_range``: Bate, Mueller & White 1971 ch. 4 and 6, half-angles from apogee);
4. the residuals: impact east / north offsets from the aim (km) and the shape condition
   (``newton._residuals``).

Rows are independent: a row's answer does not depend on the rest of the batch. The loop is serial:
a call holds a few thousand rows (~0.5 µs each), and waking a thread team costs more than that
on a loaded machine.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

SHAPE_MIN_ENERGY, SHAPE_APOGEE, SHAPE_NONE = 0, 1, 2
_TWO_PI = 2.0 * math.pi


@njit(cache=True, error_model="numpy", inline="always")
def _half_from_apogee(x, es2, sign, e):
    """kepler._half_from_apogee for scalars."""
    if x >= 0.0:
        p = e + x
        q = es2 / (e + x)
    else:
        p = es2 / (e - x)
        q = e - x
    sh, ch = math.sqrt(p), math.sqrt(q)
    norm = math.hypot(sh, ch)
    return sign * sh / norm, ch / norm


@njit(cache=True, error_model="numpy", inline="always")
def _arc(s2, c2, s1, c1, dx, e):
    """kepler._arc for scalars."""
    den = s2 * c1 + c2 * s1
    if (s2 * s1 > 0.0) and (den != 0.0):
        sin_half = dx / (2.0 * e * den)
    else:
        sin_half = s2 * c1 - c2 * s1
    cos_half = c2 * c1 + s2 * s1
    return 2.0 * math.atan2(sin_half, cos_half)


@njit(cache=True, error_model="numpy")
def ballistic_arc(r, v, gamma, r2, mu):
    """(range angle rad, flight time s, apogee radius m) of the Kepler arc from a burnout state
    (radius r, speed v, flight-path angle gamma) down through radius r2 on the descending branch:
    ``kepler.ballistic_range`` for one state (same formulas, same NaN / inf conventions)."""
    lam = r * v * v / mu
    cg, sg = math.cos(gamma), math.sin(gamma)
    two_m = 2.0 - lam
    kk = lam * two_m
    k = math.sqrt(kk) if kk >= 0.0 else math.nan
    esin_e = sg * k
    e = math.hypot(lam - 1.0, esin_e)
    lc2, ls2 = lam * cg * cg, lam * sg * sg
    one_m_e = lc2 * two_m / (1.0 + e)
    a = r / two_m
    sign = -1.0 if sg > 0.0 else 1.0
    sa, ca = _half_from_apogee(lc2 - 1.0, (lam * sg * cg) ** 2, sign, e)
    sb, cb = _half_from_apogee(lam - 1.0, esin_e * esin_e, sign, e)
    a3 = a * a * a / mu
    n_inv = math.sqrt(a3) if a3 >= 0.0 else math.nan
    # arrival at r2, descending
    rho, u = r2 / r, r / r2
    rho_m1, one_m_u = (r2 - r) / r, (r2 - r) / r2
    q_nu = lc2 * (ls2 + one_m_u * (lc2 * (1.0 + u) - 2.0))
    q_e = two_m * (ls2 + rho_m1 * (lam * (rho + 1.0) - 2.0 * rho))
    sa2, ca2 = _half_from_apogee(lc2 * u - 1.0, max(q_nu, 0.0), 1.0, e)
    sb2, cb2 = _half_from_apogee(1.0 - rho * two_m, max(q_e, 0.0), 1.0, e)
    dr = r - r2
    d_alpha = _arc(sa2, ca2, sa, ca, lc2 * (dr / r2), e)
    d_beta = _arc(sb2, cb2, sb, cb, (dr / r) * two_m, e)
    if d_alpha < 0.0:
        d_alpha += _TWO_PI
        d_beta += _TWO_PI
    beta_start = 2.0 * math.atan2(sb, cb)
    half_mid = 0.5 * (beta_start + 0.5 * d_beta)
    sm, cm = math.sin(half_mid), math.cos(half_mid)
    w = (1.0 + e) * cm * cm + one_m_e * sm * sm
    s_half = math.sin(0.5 * d_beta)
    t = n_inv * ((d_beta - 2.0 * s_half) + 2.0 * s_half * w)
    valid = (r > 0.0) and (r2 > 0.0) and (v >= 0.0) and (abs(gamma) <= 0.5 * math.pi) and (mu > 0.0)
    lands = valid and (lam < 2.0) and (q_e >= 0.0)
    if not lands:
        d_alpha, t = math.nan, math.nan
    if not valid:
        apo = math.nan
    elif two_m > 0.0:
        apo = a * (1.0 + e)
    else:
        apo = math.inf
    return d_alpha, t, apo


@njit(cache=True, error_model="numpy", inline="always")
def _catmull(f):
    f2, f3 = f * f, f * f * f
    return (-0.5 * f3 + f2 - 0.5 * f, 1.5 * f3 - 2.5 * f2 + 1.0, -1.5 * f3 + 2.0 * f2 + 0.5 * f, 0.5 * f3 - 0.5 * f2)


@njit(cache=True, error_model="numpy", inline="always")
def _interp(s_grid, seg, V, kick_deg, t_cut_s, kick_lo, kick_hi):
    """BoostTable.interp for one (kick, cut-off): (t_bo, alt, theta, speed, gamma).

    seg (S, 5): t0, t1, m0, mdot, n_cut per segment; V (S, 5, n_cut_max + 2, n_kick + 2)."""
    kd = min(max(kick_deg, kick_lo), kick_hi)
    s = math.sqrt(kd)
    ds = s_grid[1] - s_grid[0]
    u = (s - s_grid[0]) / ds
    nk = s_grid.shape[0]
    iu = min(max(int(math.floor(u)), 0), nk - 2)
    cu0, cu1, cu2, cu3 = _catmull(u - iu)
    nseg = seg.shape[0]
    tc = min(max(t_cut_s, seg[0, 0]), seg[nseg - 1, 1])
    q = 0
    for j in range(nseg):
        if tc >= seg[j, 0]:
            q = j
    t0, t1, m0, mdot = seg[q, 0], seg[q, 1], seg[q, 2], seg[q, 3]
    nc = int(seg[q, 4])
    if mdot <= 0.0:
        c = (tc - t0) / (t1 - t0)
    else:
        c = -math.log1p(-mdot * (tc - t0) / m0) / -math.log1p(-mdot * (t1 - t0) / m0)
    w = c * (nc - 1)
    iw = min(max(int(math.floor(w)), 0), nc - 2)
    cw = _catmull(w - iw)
    # columns 1-4 (the burnout time is the cut-off time; a crashed node is NaN in every column)
    v1 = v2 = v3 = v4 = 0.0
    for a in range(4):
        ia = iw + a
        r1 = cu0 * V[q, 1, ia, iu] + cu1 * V[q, 1, ia, iu + 1] + cu2 * V[q, 1, ia, iu + 2] + cu3 * V[q, 1, ia, iu + 3]
        r2 = cu0 * V[q, 2, ia, iu] + cu1 * V[q, 2, ia, iu + 1] + cu2 * V[q, 2, ia, iu + 2] + cu3 * V[q, 2, ia, iu + 3]
        r3 = cu0 * V[q, 3, ia, iu] + cu1 * V[q, 3, ia, iu + 1] + cu2 * V[q, 3, ia, iu + 2] + cu3 * V[q, 3, ia, iu + 3]
        r4 = cu0 * V[q, 4, ia, iu] + cu1 * V[q, 4, ia, iu + 1] + cu2 * V[q, 4, ia, iu + 2] + cu3 * V[q, 4, ia, iu + 3]
        v1 += cw[a] * r1
        v2 += cw[a] * r2
        v3 += cw[a] * r3
        v4 += cw[a] * r4
    t_bo = tc if math.isfinite(v1) else math.nan
    return t_bo, v1, v2, v3, v4


@njit(cache=True, error_model="numpy")
def _predict_rows(s_grid, seg, V, kick_lo, kick_hi, prow, r0, north0, east0, r_aim, e_aim, n_aim, x, shape_code,
                 apogee_km, omega, mu, coriolis_k, coriolis_b, res, rng):
    """Predictor residuals res (M, 3) and central angle launch -> impact rng (M,) for trial x (M, 3)
    = (az_deg, kick_deg, t_cut_s) of problem rows prow (M,) (geometry arrays indexed by prow)."""
    for i in range(x.shape[0]):
        p = prow[i]
        t_bo, h_bo, th, vv, g = _interp(s_grid, seg, V, x[i, 1], x[i, 2], kick_lo, kick_hi)
        az = math.radians(x[i, 0])
        ca, sa = math.cos(az), math.sin(az)
        r0n = math.sqrt(r0[p, 0] ** 2 + r0[p, 1] ** 2 + r0[p, 2] ** 2)
        u0x, u0y, u0z = r0[p, 0] / r0n, r0[p, 1] / r0n, r0[p, 2] / r0n
        dx = ca * north0[p, 0] + sa * east0[p, 0]
        dy = ca * north0[p, 1] + sa * east0[p, 1]
        dz = ca * north0[p, 2] + sa * east0[p, 2]
        du = dx * u0x + dy * u0y + dz * u0z
        dx, dy, dz = dx - du * u0x, dy - du * u0y, dz - du * u0z
        dn = math.sqrt(dx * dx + dy * dy + dz * dz)
        dx, dy, dz = dx / dn, dy / dn, dz / dn
        ct, st = math.cos(th), math.sin(th)
        cgm, sgm = math.cos(g), math.sin(g)
        ubx, uby, ubz = ct * u0x + st * dx, ct * u0y + st * dy, ct * u0z + st * dz
        dbx, dby, dbz = -st * u0x + ct * dx, -st * u0y + ct * dy, -st * u0z + ct * dz
        rr = r0n + h_bo
        rb = (rr * ubx, rr * uby, rr * ubz)
        vr = (vv * (cgm * dbx + sgm * ubx), vv * (cgm * dby + sgm * uby), vv * (cgm * dbz + sgm * ubz))
        if omega != 0.0:
            # Coriolis: −2ω×dr and the carried turn −2ω×v_rel·B·t_bo; centrifugal ω²(x, y, 0)
            drx, dry = rb[0] - r0[p, 0], rb[1] - r0[p, 1]
            fb = coriolis_b * t_bo
            dvx = 2.0 * omega * dry + 2.0 * omega * vr[1] * fb
            dvy = -2.0 * omega * drx - 2.0 * omega * vr[0] * fb
            cfx, cfy = omega * omega * r0[p, 0], omega * omega * r0[p, 1]
            fk = coriolis_k * t_bo
            vr = (vr[0] + dvx + cfx * t_bo, vr[1] + dvy + cfy * t_bo, vr[2])
            rb = (rb[0] + dvx * fk + 0.5 * cfx * (t_bo * t_bo), rb[1] + dvy * fk + 0.5 * cfy * (t_bo * t_bo), rb[2])
        th_e = omega * t_bo
        ce, se = math.cos(th_e), math.sin(th_e)
        rx, ry, rz = ce * rb[0] - se * rb[1], se * rb[0] + ce * rb[1], rb[2]
        vx = ce * vr[0] - se * vr[1] - omega * ry
        vy = se * vr[0] + ce * vr[1] + omega * rx
        vz = vr[2]
        rn = math.sqrt(rx * rx + ry * ry + rz * rz)
        vn = math.sqrt(vx * vx + vy * vy + vz * vz)
        sgam = min(max((rx * vx + ry * vy + rz * vz) / (rn * vn), -1.0), 1.0)
        gi = math.asin(sgam)
        ran = math.sqrt(r_aim[p, 0] ** 2 + r_aim[p, 1] ** 2 + r_aim[p, 2] ** 2)
        psi, tof, apo_r = ballistic_arc(rn, vn, gi, ran, mu)
        # p_hat = unit((r × v) × r)
        hx, hy, hz = ry * vz - rz * vy, rz * vx - rx * vz, rx * vy - ry * vx
        px, py, pz = hy * rz - hz * ry, hz * rx - hx * rz, hx * ry - hy * rx
        pn = math.sqrt(px * px + py * py + pz * pz)
        cp, sp = math.cos(psi), math.sin(psi)
        ix = ran * (cp * rx / rn + sp * px / pn)
        iy = ran * (cp * ry / rn + sp * py / pn)
        iz = ran * (cp * rz / rn + sp * pz / pn)
        t_imp = t_bo + tof
        # impact Earth-fixed
        ci, si = math.cos(omega * t_imp), math.sin(omega * t_imp)
        fx, fy, fz = ci * ix + si * iy, -si * ix + ci * iy, iz
        dvx_, dvy_, dvz_ = (fx - r_aim[p, 0]) / 1e3, (fy - r_aim[p, 1]) / 1e3, (fz - r_aim[p, 2]) / 1e3
        res[i, 0] = dvx_ * e_aim[p, 0] + dvy_ * e_aim[p, 1] + dvz_ * e_aim[p, 2]
        res[i, 1] = dvx_ * n_aim[p, 0] + dvy_ * n_aim[p, 1] + dvz_ * n_aim[p, 2]
        if shape_code == SHAPE_MIN_ENERGY:
            cx, cy, cz = ry * iz - rz * iy, rz * ix - rx * iz, rx * iy - ry * ix
            dot = rx * (rx - ix) + ry * (ry - iy) + rz * (rz - iz)
            gme = 0.5 * math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), dot)
            res[i, 2] = math.degrees(gi) - math.degrees(gme)
        elif shape_code == SHAPE_APOGEE:
            res[i, 2] = (apo_r - 0.5 * (r0n + ran)) / 1e3 - apogee_km
        else:
            res[i, 2] = 0.0
        fn = math.sqrt(fx * fx + fy * fy + fz * fz)
        wx, wy, wz = fx / fn, fy / fn, fz / fn
        cx, cy, cz = u0y * wz - u0z * wy, u0z * wx - u0x * wz, u0x * wy - u0y * wx
        rng[i] = math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), u0x * wx + u0y * wy + u0z * wz)
