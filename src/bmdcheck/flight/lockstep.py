"""The lock-step flight kernel: blocks of trajectories advanced together with fixed-rule steps.

Same model as the adaptive kernel (``flight.kernel``; docs/design/flight-model.md): WGS84 or
sphere, J2, Earth rotation, USSA76 drag, multi-stage boost with the same steering programme, then
ballistic flight to impact. Only the numerics differ:

- B = ``BLOCK`` trajectories of one missile are held side by side (structure of arrays) and all
  take a step together, each with its own step length from a fixed rule (no error estimate, no
  rejected steps): ``H_BOOST_LOW_S`` / ``H_BOOST_HIGH_S`` during boost below / above
  ``BOOST_ALT_M``; ``DS_ATM_M`` / |v_rel| (at most ``H_ATM_MAX_S``) below ``ALT_ATM_M``, and
  ``ETA_KEPLER`` · sqrt(r³/μ) above it, shortened to arrive at ``ALT_ATM_M``, and at most
  ``DRAG_FRACTION`` of the drag time |v_rel| / a_D (light, draggy bodies); every step ends on
  the boost events (pitch programme, staging, cut-off) and the time limit, and just past the
  next USSA76 density kink or drag-table Mach node ahead, as the adaptive kernel ends its steps
  on them. The crossing time is predicted to second order (q + q' t + q'' t²/2 = node, two
  Newton steps from the linear guess; h'' from the acceleration, M'' from the change of dM/dt
  over the lane's last step); a boost step that still crossed one more than ``REDO_S`` before
  its end is taken again by that lane alone, ending at the crossing (linear between the step's
  ends; checked again). A corner inside a step costs the method its order: without the redo,
  MM-III boosts needed 1 s steps for 10 m at impact; with it, 3 s steps give 2.5 m.
- The right-hand side has no data-dependent branches (selects only), so LLVM vectorises the
  loops over the block: density, pressure and sound speed from the cubic USSA76 pieces of
  ``earth.atmosphere.air_table`` (within 1e-8 of the model, smooth between its breaks) at the
  geodetic height ``kernel.alt_air``, Cd(Mach) as a sum of clamped ramps (exactly the
  piecewise-linear table), cos/sin by Taylor polynomials after halving the angle (error < 1e-16
  for |x| ≤ π).
- Integrator: the 5th-order Dormand–Prince solution (Dormand & Prince 1980), with its last
  stage reused as the next step's first (FSAL): 6 evaluations per step.
- Impact and apogee are located on the quintic Hermite interpolant through (r, v, a) at both
  ends of the step, as in the adaptive kernel.

Validation: impact points within 100 m of the SciPy rtol-1e-10 reference (``flight.reference``)
over missiles, shapes and ranges (tests/flight/test_lockstep.py, docs/VALIDATION.md).

Use: ``fly_missile_batch(..., kernel="lockstep")`` / ``fly_free_batch(..., kernel="lockstep")``,
summaries only (no samples; ``rtol`` does not apply). The adaptive kernel stays the default
(samples, ``rtol``, fly-out tables, the steering reference path). On ``bench flight`` the
lock-step kernel is 8.8x faster in the same run and closer to SciPy (2.8 m vs 4.6 m on 24
flights; on depressed flights the adaptive kernel at rtol 1e-9 misses by up to 164 m), but its
result moves in small discrete jumps when its step sequence changes with the inputs, which
finite-difference sensitivities see; ``flight.newton`` chooses it explicitly for its iterations.
"""

from __future__ import annotations

import math

import numpy as np
from numba import int64, njit, prange

from ..earth.atmosphere import AIR_BASE, AIR_DH_M, AIR_SPLIT, air_table
from ..earth.model import E_A, E_ATMOS, E_B, E_J2, E_MU, E_OMEGA, E_RE_J2
from . import kernel as K

BLOCK = 32
"""Trajectories per block (lanes)."""
H_BOOST_LOW_S = 3.0
"""Step during boost below BOOST_ALT_M, s (drag and its kinks)."""
H_BOOST_HIGH_S = 8.0
"""Step during boost above BOOST_ALT_M, s."""
BOOST_ALT_M = 40_000.0
DS_ATM_M = 40_000.0
"""Ballistic step below ALT_ATM_M as a length along the air-relative path, m (step = DS / |v_rel|)."""
H_ATM_MAX_S = 10.0
"""Largest ballistic step below ALT_ATM_M, s."""
ALT_ATM_M = 100_000.0
"""Below this altitude the ballistic step follows the air; above, the orbit."""
ETA_KEPLER = 0.08
"""Ballistic step above ALT_ATM_M as a fraction of the dynamical time sqrt(r³/μ) (~65 s low)."""
DRAG_FRACTION = 0.2
"""Ballistic step at most this fraction of the drag time |v_rel| / a_D (a_D = ρ v_rel² / 2β)."""
REDO_S = 5e-4
"""A boost step is taken again if a density kink or Mach node was crossed more than this before its end, s."""
STEP_RULE = np.array([H_BOOST_LOW_S, DS_ATM_M, H_ATM_MAX_S, ALT_ATM_M, ETA_KEPLER, H_BOOST_HIGH_S, BOOST_ALT_M,
                      DRAG_FRACTION])
"""The step rule as passed to the kernel (sp)."""

# Dormand–Prince 5(4) tableau (5th-order solution; the 7th stage is the next step's first).
_DP_A = np.array([
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [1 / 5, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3 / 40, 9 / 40, 0.0, 0.0, 0.0, 0.0],
    [44 / 45, -56 / 15, 32 / 9, 0.0, 0.0, 0.0],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0.0, 0.0],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656, 0.0]])
_DP_B = np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84])
_DP_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0])
NSTAGE = 6

# lane parameter rows (P[row, lane])
(P_TVAC, P_AEXIT, P_MDOT, P_M0, P_TIGN, P_FV, P_FK, P_FT, P_FB, P_BETA_INV, P_KICK, P_HX, P_HY, P_HZ) = range(14)
NP = 14
# segment table columns (one row per boost interval between events, missile-wide)
G_T0, G_T1, G_STEER, G_TVAC, G_AEXIT, G_MDOT, G_M0, G_TIGN = range(8)
G_LEN = 8


@njit(cache=True, inline="always", error_model="numpy")
def _cos_sin(x):
    """cos x, sin x for |x| <= π: Taylor series of x/2 (to degree 18), then the double-angle formulas."""
    u = 0.5 * x
    u2 = u * u
    s = u * (1.0 + u2 * (-1 / 6 + u2 * (1 / 120 + u2 * (-1 / 5040 + u2 * (1 / 362880 + u2 * (
        -1 / 39916800 + u2 * (1 / 6227020800 + u2 * (-1 / 1307674368000 + u2 * (1 / 355687428096000)))))))))
    c = 1.0 + u2 * (-0.5 + u2 * (1 / 24 + u2 * (-1 / 720 + u2 * (1 / 40320 + u2 * (-1 / 3628800 + u2 * (
        1 / 479001600 + u2 * (-1 / 87178291200 + u2 * (1 / 20922789888000 + u2 * (-1 / 6402373705728000)))))))))
    return 1.0 - 2.0 * s * s, 2.0 * s * c


@njit(cache=True, error_model="numpy")
def _rhs(t, Y, F, P, boost, E, air, mk, ms, ck, cd0, sref, t_vert, t_kick, tmp, kidx):
    """F = dY/dt for the block (Y, F: (6, B)) under the lane parameters P (NP, B).

    boost: some lane is in boost (else the cheaper ballistic right-hand side). air: the rows of
    ``earth.atmosphere.air_table()`` (cubic pieces of ρ, p, a; cells of AIR_DH_M). Cd(M) =
    cd0 + Σ_q ck[q] (clamp(M, mk[q], mk[q] + ms[q]) - mk[q]). tmp (11, B) scratch.
    """
    nb = Y.shape[1]
    a_ = E[E_A]
    b_ = E[E_B]
    mu = E[E_MU]
    j2 = E[E_J2]
    w = E[E_OMEGA]
    air_on = E[E_ATMOS]
    re = E[E_RE_J2]
    a2 = a_ * a_
    b2 = b_ * b_
    ab = a_ * b_
    ia2 = 1.0 / a2
    ib2 = 1.0 / b2
    ia4 = ia2 * ia2
    ib4 = ib2 * ib2
    top = (air.shape[0] // 2) * AIR_DH_M
    hmax = top * (1.0 - 1e-15)
    idh = 1.0 / AIR_DH_M
    for j in range(nb):
        x = Y[0, j]
        y = Y[1, j]
        z = Y[2, j]
        r2 = x * x + y * y + z * z
        r = math.sqrt(r2)
        mu_r3 = mu / (r2 * r)
        re_r = re / r
        fac = 1.5 * j2 * re_r * re_r
        zz = 5.0 * z * z / r2
        gxy = -mu_r3 * (1.0 + fac * (1.0 - zz))
        gz = -mu_r3 * (1.0 + fac * (3.0 - zz))
        p2 = x * x + y * y
        h = (1.0 - ab / math.sqrt(b2 * p2 + a2 * z * z)) * (p2 * ia2 + z * z * ib2) / math.sqrt(
            p2 * ia4 + z * z * ib4)  # kernel.alt_air
        hc = min(max(h, 0.0), hmax)
        k = int64(hc * idh)
        F[0, j] = Y[3, j]
        F[1, j] = Y[4, j]
        F[2, j] = Y[5, j]
        F[3, j] = gxy * x
        F[4, j] = gxy * y
        F[5, j] = gz * z
        tmp[1, j] = air_on if h < top else 0.0
        tmp[2, j] = hc
        kidx[j] = k
    # table look-ups: gathers, kept out of the vectorised loops
    for j in range(nb):
        k = 2 * kidx[j]
        hc = tmp[2, j]
        jj = k + (1 if hc >= air[k, AIR_SPLIT] else 0)
        x = hc - air[jj, AIR_BASE]
        tmp[0, j] = (air[jj, 2] + x * (air[jj, 3] + x * (air[jj, 4] + x * air[jj, 5]))) * tmp[1, j]
        tmp[2, j] = x
        kidx[j] = jj
    for j in range(nb):
        x = Y[0, j]
        y = Y[1, j]
        vrx = Y[3, j] + w * y
        vry = Y[4, j] - w * x
        vrz = Y[5, j]
        vrel = math.sqrt(vrx * vrx + vry * vry + vrz * vrz)
        rv = tmp[0, j] * vrel
        kd = -0.5 * rv * P[P_BETA_INV, j]
        F[3, j] += kd * vrx
        F[4, j] += kd * vry
        F[5, j] += kd * vrz
        tmp[0, j] = rv
        tmp[6, j] = vrel
    if not boost:
        return
    for j in range(nb):
        jj = kidx[j]
        x = tmp[2, j]
        tmp[5, j] = (air[jj, 6] + x * (air[jj, 7] + x * (air[jj, 8] + x * air[jj, 9]))) * tmp[1, j]
        tmp[4, j] = air[jj, 10] + x * (air[jj, 11] + x * (air[jj, 12] + x * air[jj, 13]))
    for j in range(nb):
        tmp[4, j] = tmp[6, j] / tmp[4, j]
        tmp[7, j] = cd0
    for q in range(mk.shape[0]):
        m0 = mk[q]
        m1 = mk[q] + ms[q]
        c = ck[q]
        for j in range(nb):
            tmp[7, j] += c * (min(max(tmp[4, j], m0), m1) - m0)
    nkick = 0
    for j in range(nb):
        nkick += P[P_FK, j] > 0.0
    if nkick > 0:
        # kick: cos θ û + sin θ ĥ, ĥ the launch direction turned by the Earth (Rz(ωt) h₀) and
        # projected on the horizontal plane; θ = δ (t - t_vertical) / t_kick, at most δ
        for j in range(nb):
            ux = Y[0, j] * ia2
            uy = Y[1, j] * ia2
            uz = Y[2, j] * ib2
            iun = 1.0 / math.sqrt(ux * ux + uy * uy + uz * uz)
            ux *= iun
            uy *= iun
            uz *= iun
            th = P[P_KICK, j] * min(max((t[j] - t_vert) / t_kick, 0.0), 1.0)
            cw, sw = _cos_sin(min(w * t[j], 3.14))  # only kicking lanes (early in boost) use it
            hx = cw * P[P_HX, j] - sw * P[P_HY, j]
            hy = sw * P[P_HX, j] + cw * P[P_HY, j]
            hz = P[P_HZ, j]
            hu = hx * ux + hy * uy + hz * uz
            px = hx - hu * ux
            py = hy - hu * uy
            pz = hz - hu * uz
            ipn = 1.0 / max(math.sqrt(px * px + py * py + pz * pz), 1e-12)
            ct, st = _cos_sin(th)
            st *= ipn
            fk = P[P_FK, j]
            tmp[8, j] = fk * (ct * ux + st * px)
            tmp[9, j] = fk * (ct * uy + st * py)
            tmp[10, j] = fk * (ct * uz + st * pz)
    else:
        for j in range(nb):
            tmp[8, j] = 0.0
            tmp[9, j] = 0.0
            tmp[10, j] = 0.0
    for j in range(nb):
        x = Y[0, j]
        y = Y[1, j]
        z = Y[2, j]
        vrx = Y[3, j] + w * y
        vry = Y[4, j] - w * x
        vrz = Y[5, j]
        vrel = tmp[6, j]
        nfb = 1.0 - P[P_FB, j]
        im = 1.0 / (P[P_M0, j] - P[P_MDOT, j] * (t[j] - P[P_TIGN, j]))
        thrust = max(P[P_TVAC, j] - tmp[5, j] * P[P_AEXIT, j], 0.0)
        kd = -0.5 * tmp[0, j] * tmp[7, j] * sref * im * nfb
        # thrust direction: geodetic up (vertical; turn while v_rel = 0), kicked, or along v_rel
        ux = x * ia2
        uy = y * ia2
        uz = z * ib2
        iun = 1.0 / math.sqrt(ux * ux + uy * uy + uz * uz)
        vr_ok = 1.0 if vrel > 1e-6 else 0.0
        ftv = P[P_FT, j] * vr_ok
        fu = (P[P_FV, j] + P[P_FT, j] * (1.0 - vr_ok)) * iun
        ivr = ftv / max(vrel, 1e-6)
        am = thrust * im * nfb
        F[3, j] += kd * vrx + am * (fu * ux + tmp[8, j] + ivr * vrx)
        F[4, j] += kd * vry + am * (fu * uy + tmp[9, j] + ivr * vry)
        F[5, j] += kd * vrz + am * (fu * uz + tmp[10, j] + ivr * vrz)


@njit(cache=True, inline="always", error_model="numpy")
def _herm(s, h, Y0, F0, Y1, F1, c, j):
    """Position component c of lane j at fraction s of the step h (kernel.hermite_basis)."""
    h0, h1, h2, h3, h4, h5 = K.hermite_basis(s)
    return (h0 * Y0[c, j] + h1 * h * Y0[c + 3, j] + h2 * h * h * F0[c + 3, j]
            + h3 * h * h * F1[c + 3, j] + h4 * h * Y1[c + 3, j] + h5 * Y1[c, j])


@njit(cache=True, inline="always", error_model="numpy")
def _herm_vel(s, h, Y0, F0, Y1, F1, c, j):
    """Velocity component c of lane j at fraction s (kernel.hermite_basis_ds)."""
    d0, d1, d2, d3, d4, d5 = K.hermite_basis_ds(s)
    return (d0 * Y0[c, j] + d1 * h * Y0[c + 3, j] + d2 * h * h * F0[c + 3, j]
            + d3 * h * h * F1[c + 3, j] + d4 * h * Y1[c + 3, j] + d5 * Y1[c, j]) / h


@njit(cache=True, inline="always", error_model="numpy")
def _alt(x, y, z, a, b):
    r = math.sqrt(x * x + y * y + z * z)
    return r - a * b * r / math.sqrt(b * b * (x * x + y * y) + a * a * z * z)


@njit(cache=True, inline="always", error_model="numpy")
def _h_at(s, h, Y0, F0, Y1, F1, j, a, b):
    return _alt(_herm(s, h, Y0, F0, Y1, F1, 0, j), _herm(s, h, Y0, F0, Y1, F1, 1, j),
                _herm(s, h, Y0, F0, Y1, F1, 2, j), a, b)


@njit(cache=True, error_model="numpy")
def _load_segment(P, j, seg, q, hold, beta_inv):
    """Set lane j's boost parameters from segment row q (seg: (n_seg, G_LEN))."""
    code = seg[q, G_STEER]
    if hold and code == 2.0:
        code = 1.0
    P[P_FV, j] = 1.0 if code == 0.0 else 0.0
    P[P_FK, j] = 1.0 if code == 1.0 else 0.0
    P[P_FT, j] = 1.0 if code == 2.0 else 0.0
    P[P_TVAC, j] = seg[q, G_TVAC]
    P[P_AEXIT, j] = seg[q, G_AEXIT]
    P[P_MDOT, j] = seg[q, G_MDOT]
    P[P_M0, j] = seg[q, G_M0]
    P[P_TIGN, j] = seg[q, G_TIGN]
    P[P_FB, j] = 0.0
    P[P_BETA_INV, j] = 0.0


@njit(cache=True, error_model="numpy")
def _set_ballistic(P, j, beta_inv):
    P[P_FV, j] = 0.0
    P[P_FK, j] = 0.0
    P[P_FT, j] = 0.0
    P[P_TVAC, j] = 0.0
    P[P_AEXIT, j] = 0.0
    P[P_MDOT, j] = 0.0
    P[P_M0, j] = 1.0
    P[P_TIGN, j] = 0.0
    P[P_FB, j] = 1.0
    P[P_BETA_INV, j] = beta_inv


@njit(cache=True, error_model="numpy")
def _finish(summary, i, status, t, Y, j, apo, nsteps):
    """Write the summary row of trajectory i from lane j (impact / last state in Y[:, j])."""
    summary[i, K.SUM_STATUS] = status
    summary[i, K.SUM_TIMP] = t
    for c in range(3):
        summary[i, K.SUM_RIMP + c] = Y[c, j]
        summary[i, K.SUM_VIMP + c] = Y[c + 3, j]
        summary[i, K.SUM_RAPO + c] = apo[2 + c, j]
    summary[i, K.SUM_TAPO] = apo[0, j]
    summary[i, K.SUM_HAPO] = apo[1, j]
    summary[i, K.SUM_NSTEPS] = nsteps


@njit(cache=True, error_model="numpy")
def _escaped(Y, j, E):
    """Unbound and receding above the atmosphere (same test as the adaptive kernel)."""
    x, y, z = Y[0, j], Y[1, j], Y[2, j]
    r2 = x * x + y * y + z * z
    rn = math.sqrt(r2)
    u_pot = -E[E_MU] / rn
    if E[E_J2] != 0.0:
        re_r = E[E_RE_J2] / rn
        u_pot += E[E_MU] / rn * E[E_J2] * re_r * re_r * 0.5 * (3.0 * z * z / r2 - 1.0)
    energy = 0.5 * (Y[3, j] ** 2 + Y[4, j] ** 2 + Y[5, j] ** 2) + u_pot
    receding = x * Y[3, j] + y * Y[4, j] + z * Y[5, j] > 0.0
    return energy >= 0.0 and receding and _alt(x, y, z, E[E_A], E[E_B]) >= K.ESCAPE_MIN_ALT_M


@njit(cache=True, error_model="numpy")
def _fly_block(idx, r0, v0, boost, dir_ecef, kick_rad, t_cut, seg, hold, beta_inv, sref, mk, ms, ck, cd0,
               t_vert, t_kick, E, air, t_max, sp, kinks, mnodes, summary):
    """Fly the trajectories idx (at most BLOCK) side by side; write their summary rows."""
    nb = idx.shape[0]
    a_ = E[E_A]
    b_ = E[E_B]
    mu = E[E_MU]
    w = E[E_OMEGA]
    Y = np.empty((6, nb))
    Y0 = np.empty((6, nb))
    Yt = np.empty((6, nb))
    Ks = np.empty((NSTAGE + 1, 6, nb))
    F0 = np.empty((6, nb))
    P = np.zeros((NP, nb))
    tmp = np.zeros((11, nb))
    kidx = np.zeros(nb, dtype=np.int64)
    t = np.zeros(nb)
    tt = np.zeros(nb)
    hs = np.zeros(nb)
    tend = np.zeros(nb)   # the lane's current segment end (boost) or the time limit
    q = np.zeros(nb, dtype=np.int64)
    inb = np.zeros(nb)    # 1.0 while the lane is in boost
    act = np.ones(nb)     # 1.0 while the lane flies
    apo = np.zeros((5, nb))
    vr_prev = np.zeros(nb)
    nst = np.zeros(nb, dtype=np.int64)
    nseg = seg.shape[0]
    nboost = 0
    hmax = (air.shape[0] // 2) * AIR_DH_M * (1.0 - 1e-15)
    idh = 1.0 / AIR_DH_M
    air_on = E[E_ATMOS] != 0.0
    for j in range(nb):
        i = idx[j]
        for c in range(3):
            Y[c, j] = r0[i, c]
            Y[c + 3, j] = v0[i, c]
        P[P_KICK, j] = kick_rad[i]
        P[P_HX, j] = dir_ecef[i, 0]
        P[P_HY, j] = dir_ecef[i, 1]
        P[P_HZ, j] = dir_ecef[i, 2]
        apo[1, j] = _alt(Y[0, j], Y[1, j], Y[2, j], a_, b_)
        for c in range(3):
            apo[2 + c, j] = Y[c, j]
        vr_prev[j] = K.alt_rate(Y[0, j], Y[1, j], Y[2, j], Y[3, j], Y[4, j], Y[5, j], a_, b_)
        summary[i, K.SUM_TBO] = 0.0
        for c in range(3):
            summary[i, K.SUM_RBO + c] = Y[c, j]
            summary[i, K.SUM_VBO + c] = Y[c + 3, j]
        started = False
        if boost:
            # the first segment of positive length before the cut-off and the time limit
            for qq in range(nseg):
                e = min(seg[qq, G_T1], t_cut[i], t_max)
                if e > seg[qq, G_T0] + 1e-12 and seg[qq, G_T0] < min(t_cut[i], t_max):
                    q[j] = qq
                    tend[j] = e
                    _load_segment(P, j, seg, qq, hold, beta_inv)
                    inb[j] = 1.0
                    nboost += 1
                    started = True
                    break
        if not started:
            _set_ballistic(P, j, beta_inv)
            tend[j] = t_max
            if boost and t_max <= 0.0:
                act[j] = 0.0
                _finish(summary, i, K.STATUS_DURATION, 0.0, Y, j, apo, nst[j])  # 0 as int64: one compile
    nact = 0
    for j in range(nb):
        nact += act[j] > 0.0
    _rhs(t, Y, Ks[0], P, nboost > 0, E, air, mk, ms, ck, cd0, sref, t_vert, t_kick, tmp, kidx)
    fin_flags = np.zeros(nb)
    hdd = np.zeros(nb)     # d²h/dt² now (second-order event prediction)
    mdd = np.zeros(nb)     # d²M/dt², from the change of dM/dt over the lane's last step
    dm_prev = np.zeros(nb)
    t_prev = np.full(nb, -1.0)  # < 0: no usable previous dM/dt (start, new segment)
    cut = np.zeros(nb)          # 1.0: the lane's last step was shortened to end on an event
    hcap = np.full(nb, 1e300)   # a lane's next step at most this (set when a step is redone)
    ev0 = np.zeros((2, nb))     # altitude (air) and Mach number at the step's start
    t0 = np.zeros(nb)
    near = np.zeros((4, nb))    # nearest density kink above / below, Mach node above / below
    ts = np.empty(nb)
    while nact > 0:
        # step lengths (rule), then shortened to end just past the next density kink or drag-table
        # Mach node ahead (linear prediction from the rates now), as the adaptive kernel ends its
        # steps on them; lanes that are not in the air below 125 km get a zero rate (no kink ahead)
        for j in range(nb):
            x = Y[0, j]
            y = Y[1, j]
            z = Y[2, j]
            vx = Y[3, j]
            vy = Y[4, j]
            vz = Y[5, j]
            r = math.sqrt(x * x + y * y + z * z)
            q2 = b_ * b_ * (x * x + y * y) + a_ * a_ * z * z
            sq = math.sqrt(q2)
            alt = K.alt_air(x, y, z, a_, b_)  # the air's altitude (kinks, table rows)
            vrx = vx + w * y
            vry = vy - w * x
            vrel = math.sqrt(vrx * vrx + vry * vry + vz * vz)
            vrad = (x * vx + y * vy + z * vz) / r
            hd = vrad * (1.0 - a_ * b_ / sq) + a_ * b_ * r * (b_ * b_ * (x * vx + y * vy) + a_ * a_ * z * vz) / (q2 * sq)
            h_air = min(sp[1] / max(vrel, 1.0), sp[2])
            h_kep = sp[4] * r * math.sqrt(r / mu)
            t_to = (alt - sp[3]) / max(-vrad, 1e-3)
            h_up = min(h_kep, max(t_to, h_air))
            hb = h_air if alt < sp[3] else h_up
            boost_j = inb[j] > 0.0
            hb = (sp[0] if alt < sp[6] else sp[5]) if boost_j else hb
            low = act[j] > 0.0 and alt < 125000.0 and air_on
            hc = min(max(alt, 0.0), hmax)
            kidx[j] = int64(hc * idh)
            tmp[2, j] = hc
            # d|v_rel|/dt = v_rel · (a - ω ẑ × v) / |v_rel|
            dvrel = (vrx * (Ks[0, 3, j] + w * vy) + vry * (Ks[0, 4, j] - w * vx) + vz * Ks[0, 5, j]) / max(vrel, 1e-9)
            hs[j] = min(hb, hcap[j])
            hcap[j] = 1e300
            ev0[0, j] = alt
            # h'' = r̂·a + (v² - v_r²) / r (the sphere's; good enough for a prediction)
            hdd[j] = (x * Ks[0, 3, j] + y * Ks[0, 4, j] + z * Ks[0, 5, j]) / r + (
                vx * vx + vy * vy + vz * vz - vrad * vrad) / r
            tmp[0, j] = alt
            tmp[1, j] = hd if low else 0.0
            tmp[4, j] = vrel
            tmp[5, j] = dvrel if (low and boost_j) else 0.0
            tmp[6, j] = 1.0 if alt > 0.0 else 0.0
        if air_on:
            for j in range(nb):  # sound speed and its slope, density (gathers)
                k = 2 * kidx[j]
                hc = tmp[2, j]
                jj = k + (1 if hc >= air[k, AIR_SPLIT] else 0)
                x = hc - air[jj, AIR_BASE]
                tmp[3, j] = air[jj, 10] + x * (air[jj, 11] + x * (air[jj, 12] + x * air[jj, 13]))
                tmp[7, j] = (air[jj, 11] + x * (2.0 * air[jj, 12] + x * 3.0 * air[jj, 13])) * tmp[6, j]
                tmp[8, j] = air[jj, 2] + x * (air[jj, 3] + x * (air[jj, 4] + x * air[jj, 5]))
            for j in range(nb):
                # ballistic drag: a step at most sp[7] of the drag time |v_rel| / a_D (stability and accuracy)
                rate = 0.5 * tmp[8, j] * tmp[4, j] * P[P_BETA_INV, j]
                hs[j] = min(hs[j], sp[7] / rate) if rate > 0.0 else hs[j]
                hd = tmp[1, j]
                snd = tmp[3, j]
                mach = tmp[4, j] / snd
                dmach = tmp[5, j] / snd - mach * tmp[7, j] * hd / snd
                tmp[1, j] = hd
                tmp[4, j] = mach
                ev0[1, j] = mach
                dmv = dmach if tmp[5, j] != 0.0 else 0.0
                dtp = t[j] - t_prev[j]
                # dM/dt jumps where the sound speed's slope does (a density kink): a difference across
                # the event that ended the last step would be meaningless; keep the one before it
                mdd_fd = (dmv - dm_prev[j]) / dtp if dtp > 1e-3 else mdd[j]
                mdd[j] = 0.0 if t_prev[j] < 0.0 else (mdd[j] if cut[j] > 0.0 else mdd_fd)
                dm_prev[j] = dmv
                t_prev[j] = t[j]
                tmp[5, j] = dmv
                tmp[6, j] = hs[j]
                near[0, j] = 1e300
                near[1, j] = -1e300
                near[2, j] = 1e300
                near[3, j] = -1e300
            for kk in range(kinks.shape[0]):
                hk = kinks[kk]
                for j in range(nb):
                    near[0, j] = min(near[0, j], hk if hk > tmp[0, j] else 1e300)
                    near[1, j] = max(near[1, j], hk if hk < tmp[0, j] else -1e300)
            if nboost > 0:
                for kk in range(mnodes.shape[0]):
                    mn = mnodes[kk]
                    for j in range(nb):
                        near[2, j] = min(near[2, j], mn if mn > tmp[4, j] else 1e300)
                        near[3, j] = max(near[3, j], mn if mn < tmp[4, j] else -1e300)
            for ev_k in range(4):
                for j in range(nb):
                    # time to the event: q(t) = q0 + q' t + q'' t²/2 reaches the target; linear guess,
                    # then two Newton steps on the quadratic (no sqrt)
                    v0 = tmp[0, j] if ev_k < 2 else tmp[4, j]
                    d1 = tmp[1, j] if ev_k < 2 else tmp[5, j]
                    d2 = hdd[j] if ev_k < 2 else mdd[j]
                    dq = near[ev_k, j] - v0
                    tl = dq / d1 if d1 != 0.0 else -1.0
                    g1 = d1 + d2 * tl
                    tn = tl - (d1 * tl + 0.5 * d2 * tl * tl - dq) / g1 if g1 * d1 > 0.0 else tl
                    g1 = d1 + d2 * tn
                    tn = tn - (d1 * tn + 0.5 * d2 * tn * tn - dq) / g1 if g1 * d1 > 0.0 else tn
                    tn = tn if (tn > 0.5 * tl and tn < 2.0 * tl) else tl
                    tmp[6, j] = tn if 1e-6 < tn < tmp[6, j] else tmp[6, j]
            for j in range(nb):
                cut[j] = 1.0 if tmp[6, j] < hs[j] else 0.0
                hs[j] = tmp[6, j] + 2e-4 if tmp[6, j] < hs[j] else hs[j]
        for j in range(nb):
            hb = hs[j]
            rem = tend[j] - t[j]
            hit = hb >= rem
            hs[j] = (rem if hit else hb) * act[j]
            tt[j] = tend[j] if hit else t[j] + hs[j]
            tt[j] = tt[j] if act[j] > 0.0 else t[j]
        for c in range(6):
            for j in range(nb):
                Y0[c, j] = Y[c, j]
                F0[c, j] = Ks[0, c, j]
        # Dormand–Prince stages 2..6, then the 5th-order solution and its derivative (FSAL)
        bst = nboost > 0
        for s in range(1, NSTAGE):
            for c in range(6):
                for j in range(nb):
                    Yt[c, j] = Y0[c, j]
                for u in range(s):
                    a = _DP_A[s, u]
                    for j in range(nb):
                        Yt[c, j] += hs[j] * a * Ks[u, c, j]
            cs = _DP_C[s]
            for j in range(nb):
                ts[j] = t[j] + cs * hs[j]
            _rhs(ts, Yt, Ks[s], P, bst, E, air, mk, ms, ck, cd0, sref, t_vert, t_kick, tmp, kidx)
        for c in range(6):
            for j in range(nb):
                acc = Y0[c, j]
                for u in range(NSTAGE):
                    acc += hs[j] * _DP_B[u] * Ks[u, c, j]
                Y[c, j] = acc
        for j in range(nb):
            t0[j] = t[j]
            t[j] = tt[j]
        _rhs(t, Y, Ks[0], P, bst, E, air, mk, ms, ck, cd0, sref, t_vert, t_kick, tmp, kidx)
        if air_on and bst:
            # a density kink or Mach node crossed inside a boost step (more than REDO_S before its end:
            # the prediction missed it): the lane takes the step again, ending at the crossing
            # (linear between the step's ends; checked again after that step)
            for j in range(nb):
                x = Y[0, j]
                y = Y[1, j]
                z = Y[2, j]
                alt = K.alt_air(x, y, z, a_, b_)
                vrx = Y[3, j] + w * y
                vry = Y[4, j] - w * x
                tmp[0, j] = alt
                tmp[4, j] = math.sqrt(vrx * vrx + vry * vry + Y[5, j] * Y[5, j])
                hc = min(max(alt, 0.0), hmax)
                kidx[j] = int64(hc * idh)
                tmp[2, j] = hc
            for j in range(nb):
                k = 2 * kidx[j]
                hc = tmp[2, j]
                jj = k + (1 if hc >= air[k, AIR_SPLIT] else 0)
                x = hc - air[jj, AIR_BASE]
                tmp[4, j] = tmp[4, j] / (air[jj, 10] + x * (air[jj, 11] + x * (air[jj, 12] + x * air[jj, 13])))
                tmp[6, j] = hs[j]
            for kk in range(kinks.shape[0]):
                hk = kinks[kk]
                for j in range(nb):
                    a0 = ev0[0, j]
                    a1 = tmp[0, j]
                    fk = (hk - a0) / (a1 - a0) * hs[j] if (a0 - hk) * (a1 - hk) < 0.0 else 1e300
                    tmp[6, j] = min(tmp[6, j], fk)
            for kk in range(mnodes.shape[0]):
                mn = mnodes[kk]
                for j in range(nb):
                    a0 = ev0[1, j]
                    a1 = tmp[4, j]
                    fk = (mn - a0) / (a1 - a0) * hs[j] if (a0 - mn) * (a1 - mn) < 0.0 else 1e300
                    tmp[6, j] = min(tmp[6, j], fk)
            for j in range(nb):
                redo = inb[j] > 0.0 and act[j] > 0.0 and tmp[6, j] < hs[j] - REDO_S and tmp[0, j] < 125000.0
                if redo:
                    hcap[j] = max(tmp[6, j], 0.0) + 2e-4
                    t[j] = t0[j]
                    for c in range(6):
                        Y[c, j] = Y0[c, j]
                        Ks[0, c, j] = F0[c, j]
        # flags: impact, apogee, end of segment; running apogee at step ends
        nflag = 0
        for j in range(nb):
            x = Y[0, j]
            y = Y[1, j]
            z = Y[2, j]
            r = math.sqrt(x * x + y * y + z * z)
            alt = r - a_ * b_ * r / math.sqrt(b_ * b_ * (x * x + y * y) + a_ * a_ * z * z)
            vr = K.alt_rate(x, y, z, Y[3, j], Y[4, j], Y[5, j], a_, b_)
            imp = act[j] > 0.0 and inb[j] == 0.0 and alt < 0.0
            top = act[j] > 0.0 and vr_prev[j] > 0.0 and vr <= 0.0
            ev = act[j] > 0.0 and t[j] >= tend[j]
            up = act[j] > 0.0 and alt > apo[1, j] and not imp
            apo[0, j] = t[j] if up else apo[0, j]
            apo[1, j] = alt if up else apo[1, j]
            apo[2, j] = x if up else apo[2, j]
            apo[3, j] = y if up else apo[3, j]
            apo[4, j] = z if up else apo[4, j]
            vr_prev[j] = vr
            bad = act[j] > 0.0 and (not (alt == alt and t[j] == t[j]) or nst[j] >= K.MAX_STEPS)
            f = (1.0 if imp else 0.0) + (2.0 if top else 0.0) + (4.0 if ev else 0.0)
            f = 8.0 if bad else f
            fin_flags[j] = f
            nflag += f > 0.0
            nst[j] += act[j] > 0.0
        if nflag == 0:
            continue
        changed = False
        for j in range(nb):
            f = fin_flags[j]
            if f == 0.0:
                continue
            i = idx[j]
            h = hs[j]
            if f == 8.0:  # not a number, or too many steps
                act[j] = 0.0
                nact -= 1
                _finish(summary, i, K.STATUS_STEPS, t[j], Y, j, apo, nst[j])
                continue
            imp = f == 1.0 or f == 3.0 or f == 5.0 or f == 7.0
            s_hit = 1.0
            if imp:
                lo, hi = 0.0, 1.0
                for _ in range(60):
                    mid = 0.5 * (lo + hi)
                    if _h_at(mid, h, Y0, F0, Y, Ks[0], j, a_, b_) > 0.0:
                        lo = mid
                    else:
                        hi = mid
                    if (hi - lo) * h < 1e-7:
                        break
                s_hit = 0.5 * (lo + hi)
            if f >= 2.0 and (f == 2.0 or f == 3.0 or f == 6.0 or f == 7.0):
                lo, hi = 0.0, s_hit
                g = 0.6180339887498949
                for _ in range(40):
                    m1 = hi - g * (hi - lo)
                    m2 = lo + g * (hi - lo)
                    if _h_at(m1, h, Y0, F0, Y, Ks[0], j, a_, b_) > _h_at(m2, h, Y0, F0, Y, Ks[0], j, a_, b_):
                        hi = m2
                    else:
                        lo = m1
                sm = 0.5 * (lo + hi)
                hm = _h_at(sm, h, Y0, F0, Y, Ks[0], j, a_, b_)
                if hm > apo[1, j]:
                    apo[0, j] = t[j] - h + sm * h
                    apo[1, j] = hm
                    for c in range(3):
                        apo[2 + c, j] = _herm(sm, h, Y0, F0, Y, Ks[0], c, j)
            if imp:
                ti = t[j] - h + s_hit * h
                rr = np.empty(6)
                for c in range(3):
                    rr[c] = _herm(s_hit, h, Y0, F0, Y, Ks[0], c, j)
                    rr[c + 3] = _herm_vel(s_hit, h, Y0, F0, Y, Ks[0], c, j)
                for c in range(6):
                    Y[c, j] = rr[c]
                act[j] = 0.0
                nact -= 1
                _finish(summary, i, K.STATUS_IMPACT, ti, Y, j, apo, nst[j])
                continue
            if f >= 4.0:
                if inb[j] > 0.0:
                    crash = _alt(Y[0, j], Y[1, j], Y[2, j], a_, b_) < -1.0
                    qn = q[j] + 1
                    last = qn >= nseg or t[j] >= t_cut[i] or t[j] >= t_max or seg[qn, G_T0] >= min(t_cut[i], t_max)
                    if crash or last:
                        inb[j] = 0.0
                        nboost -= 1
                        summary[i, K.SUM_TBO] = t[j]
                        for c in range(3):
                            summary[i, K.SUM_RBO + c] = Y[c, j]
                            summary[i, K.SUM_VBO + c] = Y[c + 3, j]
                        if crash:
                            act[j] = 0.0
                            nact -= 1
                            _finish(summary, i, K.STATUS_BOOST_CRASH, t[j], Y, j, apo, nst[j])
                        elif t[j] >= t_max:
                            act[j] = 0.0
                            nact -= 1
                            _finish(summary, i, K.STATUS_DURATION, t[j], Y, j, apo, nst[j])
                        else:
                            _set_ballistic(P, j, beta_inv)
                            tend[j] = t_max
                    else:
                        q[j] = qn
                        tend[j] = min(seg[qn, G_T1], t_cut[i], t_max)
                        _load_segment(P, j, seg, qn, hold, beta_inv)
                    t_prev[j] = -1.0
                    changed = True
                else:
                    act[j] = 0.0
                    nact -= 1
                    st = K.STATUS_ESCAPE if _escaped(Y, j, E) else K.STATUS_DURATION
                    _finish(summary, i, st, t[j], Y, j, apo, nst[j])
        if changed:
            _rhs(t, Y, Ks[0], P, nboost > 0, E, air, mk, ms, ck, cd0, sref, t_vert, t_kick, tmp, kidx)


@njit(parallel=True, cache=True, error_model="numpy")
def fly_lockstep(order, r0, v0, boost, dir_ecef, kick_rad, t_cut, seg, hold, beta_inv, sref, mk, ms, ck, cd0,
                 t_vert, t_kick, E, air, t_max, sp, kinks, mnodes, summary):
    """Fly N trajectories in blocks of BLOCK lanes, the blocks in parallel; rows in ``order``.

    Inputs as ``kernel.fly_kernel`` (summary rows, columns SUM_*), with seg the boost segment
    table (``segment_table``), the Cd table as ramps (``cd_ramps``) and air the rows of the cubic
    USSA76 table ``earth.atmosphere.air_table()``. order: a permutation of 0..N-1; neighbours in it
    share a block.
    """
    n = order.shape[0]
    nblk = (n + BLOCK - 1) // BLOCK
    for bk in prange(nblk):
        lo = bk * BLOCK
        hi = min(n, lo + BLOCK)
        _fly_block(order[lo:hi], r0, v0, boost, dir_ecef, kick_rad, t_cut, seg, hold, beta_inv, sref, mk, ms, ck,
                   cd0, t_vert, t_kick, E, air, t_max, sp, kinks, mnodes, summary)


# ---- host-side tables --------------------------------------------------------------------------

def cd_ramps(mach, cd):
    """Cd(M) piecewise linear (held beyond the ends) as cd0 + Σ ck (clamp(M, mk, mk + ms) - mk)."""
    mach = np.asarray(mach, dtype=float)
    cd = np.asarray(cd, dtype=float)
    mk, ms, ck = [], [], []
    for k in range(len(mach) - 1):
        width = mach[k + 1] - mach[k]
        if width > 0:
            mk.append(mach[k])
            ms.append(width)
            ck.append((cd[k + 1] - cd[k]) / width)
    return np.array(mk), np.array(ms), np.array(ck), float(cd[0])


def segment_table(stages, payload_kg, t_vert, t_kick) -> np.ndarray:
    """Boost intervals between events (pitch programme, ignitions, burnouts) with their vehicle.

    Same rules as ``kernel.fly_kernel``: the parameters of an interval are those at its middle.
    Columns G_*: t0, t1, steering (0 vertical, 1 kick, 2 turn), thrust_vac, exit_area, mdot,
    mass at t_ign (or the coasting mass), t_ign.
    """
    ev = sorted({0.0, t_vert, t_vert + t_kick, *stages[:, 0].tolist(), *stages[:, 1].tolist()})
    ev = [e for e in ev if e >= 0.0]
    rows = []
    for t0, t1 in zip(ev[:-1], ev[1:]):
        if t1 <= t0 + 1e-12:
            continue
        tm = 0.5 * (t0 + t1)
        steer = 0.0 if tm < t_vert else (1.0 if tm < t_vert + t_kick else 2.0)
        m_burning, m0 = K.stack_at(np.ascontiguousarray(stages, dtype=np.float64), float(payload_kg), tm)
        if m_burning >= 0:
            k = m_burning
            rows.append((t0, t1, steer, stages[k, 3], stages[k, 4], stages[k, 2], m0, stages[k, 0]))
        else:
            rows.append((t0, t1, steer, 0.0, 0.0, 0.0, m0, 0.0))
    if not rows:
        rows.append((0.0, 0.0, 2.0, 0.0, 0.0, 0.0, payload_kg, 0.0))
    return np.array(rows, dtype=np.float64)


def _deal_blocks(order: np.ndarray) -> np.ndarray:
    """Blocks of ``order`` (BLOCK rows each) dealt round-robin to the threads' static shares.

    prange gives thread t the t-th contiguous share of the blocks; neighbouring blocks of the
    sorted order cost about the same and cost grows along it (kick, cut-off), so the shares
    are made of every T-th block instead (T = numba's thread count): equal work per thread.
    """
    import numba

    n = order.shape[0]
    nblk = (n + BLOCK - 1) // BLOCK
    nt = max(1, min(numba.get_num_threads(), nblk))
    if nt == 1 or n % BLOCK:
        full = n // BLOCK  # the short last block stays last
    else:
        full = nblk
    per = full // nt
    if per == 0:
        return order
    used = per * nt
    k = np.arange(used)
    src = (k % per) * nt + k // per  # share t, position c <- sorted block c·nt + t
    blocks = order[:used * BLOCK].reshape(used, BLOCK)[src]
    return np.concatenate([blocks.ravel(), order[used * BLOCK:]])


def fly_summary(r0, v0, boost, dir_ecef, kick, tcut, margs, earth, t_max) -> np.ndarray:
    """Summary rows (N, kernel.SUM_LEN) of N flights; arguments as ``flight.batch._call``.

    margs: (stage_table, payload_kg, ref_area_m2, mach, cd, beta_inv, t_vertical, t_kick, hold).
    Blocks are formed from the flights sorted by kick and cut-off (similar flights end together).
    """
    stages, payload, sref, mach, cd, beta_inv, t_vert, t_kick, hold = margs
    n = r0.shape[0]
    summary = np.zeros((n, K.SUM_LEN))
    if n == 0:
        return summary
    if boost and (max(float(np.max(tcut)), t_vert + t_kick) * 7.3e-5 > math.pi or np.max(np.abs(kick)) > math.pi):
        raise ValueError("lock-step kernel: boost longer than its cos/sin range")
    seg = segment_table(stages, payload, t_vert, t_kick) if boost else np.zeros((1, G_LEN))
    mk, ms, ck, cd0 = cd_ramps(mach, cd)
    mnodes = np.append(mk, mk[-1] + ms[-1]) if len(mk) else np.zeros(0)
    kick = np.ascontiguousarray(kick, dtype=float)
    tcut = np.ascontiguousarray(tcut, dtype=float)
    order = _deal_blocks(np.lexsort((tcut, kick)).astype(np.int64))
    fly_lockstep(order, np.ascontiguousarray(r0, dtype=float), np.ascontiguousarray(v0, dtype=float), bool(boost),
                 np.ascontiguousarray(dir_ecef, dtype=float), kick, tcut, seg, bool(hold), float(beta_inv), float(sref),
                 mk, ms, ck, cd0, float(t_vert), max(float(t_kick), 1e-300), earth.params(), air_table().rows,
                 float(t_max), STEP_RULE, K.KINK_ALT_M, mnodes, summary)
    return summary
