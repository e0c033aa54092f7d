"""Lambert's problem: the two-body conic from r1 to r2 in a given time (single revolution).

The engagement model asks: an interceptor leaves r1 at t1 and must be at r2 at t2; which
velocity v1 must it have at r1 (and with which v2 does it arrive)? Vacuum, point-mass gravity.

Four entry points, one convention:

- :func:`izzo2015_into` (``@njit``): the scalar kernel. Writes into caller-owned 3-vectors and
  returns a status code; no allocation, so other compiled kernels call it in their inner loops.
- :func:`izzo2015` (``@njit``): the same, returning freshly allocated ``(v1, v2, ok)``.
- :func:`lambert_batch`: N problems in parallel (``numba.prange``), ``(v1, v2, ok)`` arrays.
- :func:`lambert_universal`: an independent plain-Python implementation (universal variables,
  SciPy ``brentq``), used only as the test reference.

Direction of motion: ``short_way``
----------------------------------
The transfer plane is the plane of r1 and r2, and the transfer angle is measured *in the
direction of motion*. With ``short_way=True`` (the default, and what the engagement uses) the
body sweeps the smaller angle, 0 <= theta < 180 deg: the angular momentum is along r1 x r2.
With ``short_way=False`` it sweeps 360 deg - theta, angular momentum along -(r1 x r2). This is a
property of the geometry alone, not of the frame. (Solvers such as lamberthub's ``izzo2015``
take ``prograde`` instead, meaning angular momentum with a +z component; the two agree when
``(r1 x r2)_z >= 0``, i.e. ``prograde == short_way`` there and ``prograde == not short_way``
otherwise.)

Degenerate geometry
-------------------
- theta = 0, r1 != r2 (one point straight above the other): well defined; the solution is the
  rectilinear (radial) conic, v1 and v2 along r1. Returned with status ``STATUS_OK``. (With
  ``short_way=False`` the same geometry returns the limit of the 360-degree arcs: a rectilinear
  fall through the centre, mathematically the answer, physically meaningless.)
- theta = 180 deg: every plane through r1 and r2 holds a solution, so the problem has no unique
  answer. Floating-point inputs never show "exactly" 180 deg, and near it the plane (hence the
  out-of-plane direction of v1) is known only to ~1e-16 / (180 deg - theta) in relative terms.
  The kernel therefore refuses transfers within ``ANTIPODAL_RAD`` (1e-7 rad, 0.64 m at the
  Earth's radius) of 180 deg: status ``STATUS_ANTIPODAL``, ok = False, velocities NaN. Just
  outside that band the velocities are still good to ~1e-8 relative (docs/validation/lambert.md).
- r1 == r2, a zero or negative radius, time of flight or mu, or a non-finite input:
  ``STATUS_BAD_INPUT``.

Method (Izzo 2015)
------------------
D. Izzo, "Revisiting Lambert's problem", Celest. Mech. Dyn. Astr. 121:1-15 (2015),
arXiv:1403.2705, single revolution (M = 0). With c = |r2 - r1|, s = (r1 + r2 + c)/2 and the
short-way angle theta, the problem depends on one geometry parameter and one time,

    lam = +-sqrt(r1 r2) cos(theta/2) / s   (- for the long way),  1 - lam^2 = c / s,
    T   = sqrt(2 mu / s^3) tof,

and is solved for the Lancaster-Blanchard variable x (x < 1 ellipse, x = 1 parabola, x > 1
hyperbola; x^2 = 1 - a_min/a) on the monotone curve T(x) = T by Householder's third-order
iteration from Izzo's initial guess (eq. 30), safeguarded by a bracket on x with bisection.
y = sqrt(1 - lam^2 (1 - x^2)). Velocities from eqs. (33)-(35):

    gamma = sqrt(mu s / 2),  rho = (r1 - r2)/c,  sigma = sqrt(1 - rho^2),
    Vr1 = gamma [(lam y - x) - rho (lam y + x)] / r1,  Vr2 = -gamma [(lam y - x) + rho (lam y + x)] / r2,
    Vt1 = gamma sigma (y + lam x) / r1,  Vt2 = gamma sigma (y + lam x) / r2.

The tangential parts are assembled as ``K * c_perp`` with c_perp the component of the chord
normal to the radius, using sigma / sin(theta) = sqrt(r1 r2) / (c cos(theta/2)); this has no
0/0 at theta = 0 (the tangential part vanishes exactly).

T(x) and its first three derivatives come from one of two exact forms:

- Battin's hypergeometric form (Izzo eq. 20): eta = y - lam x, S1 = (1 - lam - x eta)/2,
  T = (eta^3 Q(S1) + 4 lam eta) / 2 with Q = (4/3) 2F1(3, 1; 5/2; S1), summed as a series;
  derivatives by the chain rule through eta(x) and S1(x). Used when |S1| < ``S1_SERIES``:
  around the parabola (x near 1) and for short chords (lam near 1), where the other form loses
  digits to cancellation.
- Lancaster's form (Izzo eq. 18), with the anomaly psi taken by atan2 (ellipse) or asinh
  (hyperbola) from sin psi = sqrt(1 - x^2) eta rather than acos; derivatives by Izzo eq. 22.

Every difference of nearly equal quantities that the geometry allows is rewritten without
cancellation: 1 - lam^2 = c/s, cos(theta/2) = |r1_hat + r2_hat|/2, eta = (1 - lam^2)/(y + lam x)
when lam x > 0, S1 = (1 - lam)(1 - x^2) eta / (2 (y + x)) (x >= 0) or eta (y - x) / (2 (1 + lam))
(x < 0). The tests check T(x) against 50-digit arithmetic (to 3e-15) and the solved x to a few
units of its own rounding; the velocities against an independent universal-variable solver and
against numerical integration (docs/validation/lambert.md). For very long transfers (T >> 1,
x -> -1) x is resolved only to ~1e-16 / (1 + x): T = 1e8 leaves 3e-11; engagement arcs have T < 5.

Example: Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed. (2013), Example 7-5,
76 minutes, for which the book prints v1 = (2.058913, 2.915965, 0) and
v2 = (-3.451565, 0.910315, 0) km/s (it computes in canonical units; we agree to 0.75 mm/s):

>>> import numpy as np
>>> v1, v2, ok = izzo2015(np.array([15945.34e3, 0.0, 0.0]),
...                       np.array([12214.83899e3, 10249.46731e3, 0.0]), 76.0 * 60.0, 3.986004418e14)
>>> print(ok, np.round(v1 / 1e3, 6), np.round(v2 / 1e3, 6))
True [2.058913 2.915964 0.      ] [-3.451565  0.910314  0.      ]
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from scipy.optimize import brentq

from ..earth.constants import GM_M3_S2
from ..errors import BmdcheckError

__all__ = [
    "ANTIPODAL_RAD",
    "STATUS_ANTIPODAL",
    "STATUS_BAD_INPUT",
    "STATUS_NO_CONVERGENCE",
    "STATUS_OK",
    "STATUS_TEXT",
    "izzo2015",
    "izzo2015_into",
    "lambert_batch",
    "lambert_universal",
]

STATUS_OK, STATUS_ANTIPODAL, STATUS_BAD_INPUT, STATUS_NO_CONVERGENCE = 0, 1, 2, 3
STATUS_TEXT = {
    STATUS_OK: "ok",
    STATUS_ANTIPODAL: "r1 and r2 are (within ANTIPODAL_RAD of) opposite: the transfer plane is undefined",
    STATUS_BAD_INPUT: "bad input: non-finite value, zero radius, r1 == r2, or tof or mu not positive",
    STATUS_NO_CONVERGENCE: "the iteration on x did not converge",
}

ANTIPODAL_RAD = 1e-7
"""Transfers within this angle (rad) of 180 deg are refused (plane undefined)."""

S1_SERIES = 0.3
"""|S1| below which T(x) is summed from Battin's series (else Lancaster's closed form)."""

MAX_ITER = 60
X_RTOL = 1e-8
"""Converged when a Householder step is below X_RTOL * (1 + x): the method's error falls at
least cubically, so the x it returns is then correct to rounding."""
X_RTOL_BISECT = 4e-16  # the same for a bisection step, which carries no such guarantee

_COS_HALF_MIN = 0.5 * ANTIPODAL_RAD  # cos(theta/2) = sin((pi - theta)/2)


@njit(cache=True)
def _eta_s1(x, lam, om, oml, opl):
    """y, eta = y - lam x and Battin's S1 = (1 - lam - x eta)/2, without cancellation."""
    y = math.sqrt(om + lam * lam * x * x)
    lx = lam * x
    eta = om / (y + lx) if lx > 0.0 else y - lx
    if x >= 0.0:
        s1 = oml * (1.0 - x) * (1.0 + x) * eta / (2.0 * (y + x))
    else:
        s1 = eta * (y - x) / (2.0 * opl)
    return y, eta, s1


_N_SERIES = 400


def _series_coefficients(n=_N_SERIES):
    """Battin's series coefficients a_k = (3)_k/(5/2)_k by the recurrence a_(k+1) = a_k (3 + k)/(2.5 + k)
    (IEEE double, the same operations in the same order as a running product), and k a_k,
    k(k-1) a_k, k(k-1)(k-2) a_k: (4, n). A table lifts the division off the series' critical path."""
    c = np.empty((4, n))
    a = 1.0
    for k in range(n):
        c[0, k] = a
        c[1, k] = float(k) * a
        c[2, k] = float(k * (k - 1)) * a
        c[3, k] = float(k * (k - 1) * (k - 2)) * a
        a = a * (3.0 + k) / (2.5 + k)
    return c


_SERIES = _series_coefficients()


@njit(cache=True)
def _tof_battin(x, lam, om, y, eta, s1):
    """T(x) and its first three x-derivatives from Battin's series (needs |S1| < 1)."""
    # T = (eta^3 Q(S1) + 4 lam eta)/2, Q = 4/3 sum_k (3)_k/(5/2)_k S1^k, with dQ/dS1 etc.
    q0 = q1 = q2 = q3 = 0.0
    cf = _SERIES
    p0, p1, p2, p3 = 1.0, 0.0, 0.0, 0.0  # S1^k, S1^(k-1), S1^(k-2), S1^(k-3)
    for k in range(_N_SERIES):
        a = cf[0, k]
        q0 += a * p0
        q1 += cf[1, k] * p1
        q2 += cf[2, k] * p2
        q3 += cf[3, k] * p3
        if abs(a * p0) <= 1e-18 * abs(q0) and k > 3:
            break
        p3, p2, p1 = p2, p1, p0
        p0 = p0 * s1
    return battin_chain(x, lam, om, y, eta, q0, q1, q2, q3)


@njit(cache=True, inline="always")
def battin_chain(x, lam, om, y, eta, q0, q1, q2, q3):
    """T(x) and its first three x-derivatives from the series sums q_j = sum_k k!/(k-j)! a_k S1^(k-j)
    (before the factor 4/3) by the chain rule."""
    f43 = 4.0 / 3.0
    q0 *= f43
    q1 *= f43
    q2 *= f43
    q3 *= f43
    # x-derivatives of eta (= y - lam x) and of S1 (= (1 - lam - x eta)/2).
    lam2 = lam * lam
    y3 = y * y * y
    e1 = -lam * eta / y
    e2 = lam2 * om / y3
    e3 = -3.0 * lam2 * lam2 * om * x / (y3 * y * y)
    s1d1 = -eta * eta / (2.0 * y)
    s1d2 = eta * eta * lam * (2.0 * y + lam * x) / (2.0 * y3)
    s1d3 = -(3.0 * e2 + x * e3) / 2.0
    # eta^3 Q(S1(x)) differentiated by Leibniz' rule, Q(S1(x)) by Faa di Bruno's.
    u0 = eta * eta * eta
    u1 = 3.0 * eta * eta * e1
    u2 = 6.0 * eta * e1 * e1 + 3.0 * eta * eta * e2
    u3 = 6.0 * e1 * e1 * e1 + 18.0 * eta * e1 * e2 + 3.0 * eta * eta * e3
    g1 = q1 * s1d1
    g2 = q2 * s1d1 * s1d1 + q1 * s1d2
    g3 = q3 * s1d1 * s1d1 * s1d1 + 3.0 * q2 * s1d1 * s1d2 + q1 * s1d3
    t0 = 0.5 * (u0 * q0 + 4.0 * lam * eta)
    t1 = 0.5 * (u1 * q0 + u0 * g1 + 4.0 * lam * e1)
    t2 = 0.5 * (u2 * q0 + 2.0 * u1 * g1 + u0 * g2 + 4.0 * lam * e2)
    t3 = 0.5 * (u3 * q0 + 3.0 * u2 * g1 + 3.0 * u1 * g2 + u0 * g3 + 4.0 * lam * e3)
    return t0, t1, t2, t3


@njit(cache=True)
def _tof_lancaster(x, lam, om, y, eta):
    """T(x) and its first three x-derivatives from Lancaster's closed form (x != 1)."""
    # T (1 - x^2) = psi / sqrt(1 - x^2) - x + lam y, continued analytically for x > 1.
    omx2 = (1.0 - x) * (1.0 + x)
    if omx2 > 0.0:
        w = math.sqrt(omx2)
        psi = math.atan2(w * eta, x * y + lam * omx2)
        t0 = (psi / w - x + lam * y) / omx2
    else:
        w = math.sqrt(-omx2)
        t0 = (x - lam * y - math.asinh(w * eta) / w) / (-omx2)
    # Izzo 2015 eq. 22.
    y3 = y * y * y
    lam2 = lam * lam
    lam3 = lam2 * lam
    t1 = (3.0 * t0 * x - 2.0 + 2.0 * lam3 * x / y) / omx2
    t2 = (3.0 * t0 + 5.0 * x * t1 + 2.0 * om * lam3 / y3) / omx2
    t3 = (7.0 * x * t2 + 8.0 * t1 - 6.0 * om * lam3 * lam2 * x / (y3 * y * y)) / omx2
    return t0, t1, t2, t3


@njit(cache=True)
def _tof_derivs(x, lam, om, oml, opl):
    """T(x) and dT/dx, d2T/dx2, d3T/dx3 for M = 0.

    om = 1 - lam^2, oml = 1 - lam, opl = 1 + lam, each computed without cancellation.
    """
    y, eta, s1 = _eta_s1(x, lam, om, oml, opl)
    if abs(s1) < S1_SERIES:
        return _tof_battin(x, lam, om, y, eta, s1)
    return _tof_lancaster(x, lam, om, y, eta)


@njit(cache=True)
def _solve_x(tau, lam, om, oml, opl, x0=math.nan):
    """Solve T(x) = tau for x on the single-revolution branch; returns (x, converged). x0 (if not NaN):
    the start instead of Izzo's guess (a neighbouring problem's x)."""
    if x0 > -1.0 and x0 < math.inf:
        return _householder(x0, tau, lam, om, oml, opl)
    sq = math.sqrt(om)
    t00 = math.atan2(sq, lam) + lam * sq  # T(x = 0) = acos(lam) + lam sqrt(1 - lam^2)
    t1 = (2.0 / 3.0) * oml * (1.0 + lam + lam * lam)  # T(x = 1) = 2/3 (1 - lam^3)
    # Initial guess, Izzo 2015 eq. 30 (the middle branch written to be continuous at both ends).
    if tau >= t00:
        x = (t00 / tau) ** (2.0 / 3.0) - 1.0
    elif tau < t1:
        l2 = lam * lam
        x = 2.5 * t1 * (t1 - tau) / (tau * oml * (1.0 + lam + l2 + l2 * lam + l2 * l2)) + 1.0
    else:
        x = (t00 / tau) ** (math.log(2.0) / math.log(t00 / t1)) - 1.0
    if not (x > -1.0 and x < math.inf):
        x = 0.0
    return _householder(x, tau, lam, om, oml, opl)


@njit(cache=True, inline="always")
def _householder(x, tau, lam, om, oml, opl):
    """Householder's iteration on T(x) = tau from x, safeguarded by a bracket: (x, converged)."""
    lo, hi = -1.0, math.inf
    for _ in range(MAX_ITER):
        t, d1, d2, d3 = _tof_derivs(x, lam, om, oml, opl)
        f = t - tau
        if f == 0.0:
            return x, True
        if f > 0.0:  # T decreases with x: the root is above x
            lo = x
        else:
            hi = x
        den = d1 * (d1 * d1 - f * d2) + d3 * f * f / 6.0
        xn = x - f * (d1 * d1 - 0.5 * f * d2) / den
        tol = X_RTOL
        if not (xn > lo and xn < hi):  # outside the bracket: bisect (or expand upwards)
            xn = 0.5 * (lo + hi) if hi < math.inf else 2.0 * max(lo, 0.0) + 1.0
            tol = X_RTOL_BISECT
        step = abs(xn - x)
        x = xn
        if step <= tol * (1.0 + x):
            return x, True
    return x, False


@njit(cache=True)
def izzo2015_into(r1, r2, tof_s, mu, short_way, v1, v2):
    """Solve one Lambert problem, writing the velocities into ``v1`` and ``v2``.

    Inputs: r1, r2 (3,) position vectors, m; tof_s > 0, s; mu, m^3/s^2; short_way (bool, see the
    module docstring). Outputs: v1 (3,) velocity at r1, v2 (3,) velocity at r2, m/s, written in
    place (NaN unless the status is ``STATUS_OK``). Returns the status code (``STATUS_*``).
    Allocates nothing: the form to call from other ``@njit`` kernels.
    """
    st, _x = _izzo(r1, r2, tof_s, mu, short_way, v1, v2, math.nan)
    return st


@njit(cache=True)
def izzo2015_warm(r1, r2, tof_s, mu, short_way, v1, v2, xw):
    """``izzo2015_into`` started from xw[0] (Lancaster-Blanchard x of a neighbouring problem; NaN: Izzo's
    guess); the solution's x is written back to xw[0] (NaN unless ok)."""
    st, x = _izzo(r1, r2, tof_s, mu, short_way, v1, v2, xw[0])
    xw[0] = x if st == STATUS_OK else math.nan
    return st


@njit(cache=True, inline="always")
def _izzo(r1, r2, tof_s, mu, short_way, v1, v2, x0):
    """``izzo2015_into`` from the start x0 (NaN: Izzo's guess): (status, x)."""
    x1, y1, z1 = r1[0], r1[1], r1[2]
    x2, y2, z2 = r2[0], r2[1], r2[2]
    for j in range(3):
        v1[j] = math.nan
        v2[j] = math.nan
    r1n = math.sqrt(x1 * x1 + y1 * y1 + z1 * z1)
    r2n = math.sqrt(x2 * x2 + y2 * y2 + z2 * z2)
    cx, cy, cz = x2 - x1, y2 - y1, z2 - z1
    c = math.sqrt(cx * cx + cy * cy + cz * cz)
    # (written so that NaN fails every test)
    if not (r1n > 0.0 and r2n > 0.0 and c > 0.0 and tof_s > 0.0 and mu > 0.0
            and r1n < math.inf and r2n < math.inf and tof_s < math.inf and mu < math.inf):
        return STATUS_BAD_INPUT, math.nan
    u1x, u1y, u1z = x1 / r1n, y1 / r1n, z1 / r1n
    u2x, u2y, u2z = x2 / r2n, y2 / r2n, z2 / r2n
    hx, hy, hz = u1x + u2x, u1y + u2y, u1z + u2z
    cos_half = 0.5 * math.sqrt(hx * hx + hy * hy + hz * hz)  # cos(theta/2), theta short-way angle
    if cos_half < _COS_HALF_MIN:
        return STATUS_ANTIPODAL, math.nan
    s = 0.5 * (r1n + r2n + c)
    lam_abs = math.sqrt(r1n * r2n) * cos_half / s
    if lam_abs > 1.0:
        lam_abs = 1.0
    om = c / s  # 1 - lam^2
    lam = lam_abs if short_way else -lam_abs
    if lam >= 0.0:
        opl = 1.0 + lam
        oml = om / opl
    else:
        oml = 1.0 - lam
        opl = om / oml
    tau = math.sqrt(2.0 * mu / (s * s * s)) * tof_s
    x, conv = _solve_x(tau, lam, om, oml, opl, x0)
    if not conv:
        return STATUS_NO_CONVERGENCE, math.nan

    y = math.sqrt(om + lam * lam * x * x)
    lx = lam * x
    ypl = y + lx if lx >= 0.0 else om / (y - lx)  # y + lam x without cancellation
    gam = math.sqrt(0.5 * mu * s)
    rho = (r1n - r2n) / c
    a = lam * y - x
    b = lam * y + x
    vr1 = gam * (a - rho * b) / r1n
    vr2 = -gam * (a + rho * b) / r2n
    k = gam * ypl / (c * lam_abs * s)
    if not short_way:
        k = -k
    # Chord components normal to each radius: r2 - (r2.u1) u1 at r1, (r1.u2) u2 - r1 at r2.
    p1 = x2 * u1x + y2 * u1y + z2 * u1z
    p2 = x1 * u2x + y1 * u2y + z1 * u2z
    v1[0] = vr1 * u1x + k * (x2 - p1 * u1x)
    v1[1] = vr1 * u1y + k * (y2 - p1 * u1y)
    v1[2] = vr1 * u1z + k * (z2 - p1 * u1z)
    v2[0] = vr2 * u2x + k * (p2 * u2x - x1)
    v2[1] = vr2 * u2y + k * (p2 * u2y - y1)
    v2[2] = vr2 * u2z + k * (p2 * u2z - z1)
    return STATUS_OK, x


@njit(cache=True)
def izzo2015(r1, r2, tof_s, mu, short_way=True):
    """Solve one Lambert problem; returns ``(v1, v2, ok)``.

    Inputs: r1, r2 (3,) m; tof_s s; mu m^3/s^2; short_way (default True). Outputs: v1, v2 (3,)
    m/s (NaN when not ok), ok bool. Allocates the two outputs; compiled code in a hot loop should
    call :func:`izzo2015_into` instead, which also returns the reason for a failure.
    """
    v1 = np.empty(3)
    v2 = np.empty(3)
    status = izzo2015_into(r1, r2, tof_s, mu, short_way, v1, v2)
    return v1, v2, status == STATUS_OK


@njit(parallel=True, cache=True)
def _batch_kernel(r1, r2, tof_s, mu, short_way, v1, v2, status):
    for i in prange(r1.shape[0]):
        status[i] = izzo2015_into(r1[i], r2[i], tof_s[i], mu, short_way, v1[i], v2[i])


def lambert_batch(r1_m, r2_m, tof_s, mu=GM_M3_S2, short_way=True):
    """Solve N Lambert problems in parallel.

    Inputs: r1_m, r2_m (N, 3) m; tof_s (N,) s (each broadcast against the others, so one r1 or one
    time of flight may serve all N); mu m^3/s^2; short_way bool (same for all N).
    Outputs: v1_mps, v2_mps (N, 3) m/s (NaN rows where not ok); ok (N,) bool.
    Method: :func:`izzo2015_into` per row under ``numba.prange``.
    """
    r1 = np.asarray(r1_m, dtype=np.float64)
    r2 = np.asarray(r2_m, dtype=np.float64)
    t = np.asarray(tof_s, dtype=np.float64)
    if r1.shape[-1:] != (3,) or r2.shape[-1:] != (3,) or r1.ndim > 2 or r2.ndim > 2 or t.ndim > 1:
        raise BmdcheckError("lambert_batch: r1_m and r2_m must be (N, 3) or (3,), tof_s (N,) or scalar")
    n = np.broadcast_shapes(r1.shape[:-1], r2.shape[:-1], t.shape)
    n = n[0] if n else 1
    r1 = np.ascontiguousarray(np.broadcast_to(r1, (n, 3)))
    r2 = np.ascontiguousarray(np.broadcast_to(r2, (n, 3)))
    t = np.ascontiguousarray(np.broadcast_to(t, (n,)))
    v1 = np.empty((n, 3))
    v2 = np.empty((n, 3))
    status = np.empty(n, dtype=np.int8)
    _batch_kernel(r1, r2, t, float(mu), bool(short_way), v1, v2, status)
    return v1, v2, status == STATUS_OK


# --------------------------------------------------------------------------------------------
# Independent reference: universal variables (Bate, Mueller & White, *Fundamentals of
# Astrodynamics*, 1971, sec. 5.3; Vallado, *Fundamentals of Astrodynamics and Applications*,
# 4th ed., 2013, Algorithm 58), root in z = chi^2 / a by scipy.optimize.brentq.


def _stumpff(z):
    """Stumpff functions C(z) = (1 - cos sqrt z)/z and S(z) = (sqrt z - sin sqrt z)/sqrt(z)^3."""
    if abs(z) < 1.0:
        c = s = 0.0
        term_c, term_s = 0.5, 1.0 / 6.0  # z^k / (2k+2)!, z^k / (2k+3)!
        for k in range(16):
            c += term_c
            s += term_s
            term_c *= -z / ((2 * k + 3) * (2 * k + 4))
            term_s *= -z / ((2 * k + 4) * (2 * k + 5))
        return c, s
    if z > 0.0:
        q = math.sqrt(z)
        return 2.0 * math.sin(0.5 * q) ** 2 / z, (q - math.sin(q)) / (q * q * q)
    q = math.sqrt(-z)
    return 2.0 * math.sinh(0.5 * q) ** 2 / -z, (math.sinh(q) - q) / (q * q * q)


def lambert_universal(r1, r2, tof, mu=GM_M3_S2, short_way=True):
    """Solve one Lambert problem by universal variables (test reference only; slow, plain Python).

    Inputs: r1, r2 (3,) m; tof s; mu m^3/s^2; short_way as in the module docstring.
    Outputs: v1, v2 (3,) m/s. Raises BmdcheckError for an undefined plane or a bad input.

    Method: with A = +-sqrt(r1 r2 (1 + cos theta)) (- for the long way) and the Stumpff functions
    C, S, y(z) = r1 + r2 + A (z S - 1)/sqrt(C) and the time equation
    sqrt(mu) t(z) = (y/C)^(3/2) S + A sqrt(y), monotone in z on (-inf, 4 pi^2) (BMW eqs. 5.3-9,
    5.3-10; Vallado Alg. 58). The root is bracketed by stepping outwards and found by brentq;
    then f = 1 - y/r1, g = A sqrt(y/mu), gdot = 1 - y/r2, v1 = (r2 - f r1)/g, v2 = (gdot r2 - r1)/g.
    """
    r1 = np.asarray(r1, dtype=float)
    r2 = np.asarray(r2, dtype=float)
    r1n, r2n = float(np.linalg.norm(r1)), float(np.linalg.norm(r2))
    if not (r1n > 0 and r2n > 0 and tof > 0 and mu > 0) or np.array_equal(r1, r2):
        raise BmdcheckError("lambert_universal: bad input")
    cos_theta = float(np.dot(r1, r2)) / (r1n * r2n)
    A = math.sqrt(max(r1n * r2n * (1.0 + cos_theta), 0.0))
    if A == 0.0:
        raise BmdcheckError("lambert_universal: r1 and r2 are opposite, the plane is undefined")
    if not short_way:
        A = -A
    target = math.sqrt(mu) * tof

    def y_of(z):
        c, s = _stumpff(z)
        return r1n + r2n + A * (z * s - 1.0) / math.sqrt(c)

    def f_of(z):
        y = y_of(z)
        if y < 0.0:  # continues F below y = 0 monotonically (only for A > 0)
            return y - target
        c, s = _stumpff(z)
        return (y / c) ** 1.5 * s + A * math.sqrt(y) - target

    four_pi2 = 4.0 * math.pi ** 2
    hi, gap = four_pi2 - 1.0, 1.0
    while f_of(hi) <= 0.0:
        gap *= 0.1
        hi = four_pi2 - gap
        if gap < 1e-14:
            raise BmdcheckError("lambert_universal: no upper bracket")
    lo = -1.0
    while f_of(lo) >= 0.0:
        lo *= 2.0
        if lo < -4e5:
            raise BmdcheckError("lambert_universal: no lower bracket")
    z = brentq(f_of, lo, hi, xtol=1e-15, rtol=4.0 * np.finfo(float).eps, maxiter=500)
    y = y_of(z)
    f = 1.0 - y / r1n
    g = A * math.sqrt(y / mu)
    gdot = 1.0 - y / r2n
    return (r2 - f * r1) / g, (gdot * r2 - r1) / g

