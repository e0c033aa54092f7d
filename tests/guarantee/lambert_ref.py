"""Independent reference for counterexample checks: WGS-84 geodesy and a universal-variable
Lambert solver (Curtis, Orbital Mechanics for Engineering Students, algorithm 5.2), written here
without any bmdcheck import."""

import math

import numpy as np
from scipy.optimize import brentq

MU = 3.986004418e14          # m^3/s^2, WGS-84 / IERS
A = 6378137.0                # m, WGS-84 semi-major axis
F = 1 / 298.257223563        # WGS-84 flattening
OMEGA = 7.292115e-5          # rad/s, Earth rotation rate (IERS)


def geodetic_to_ecef_m(lat_deg, lon_deg, alt_m):
    """WGS-84 geodetic -> ECEF, m (textbook closed form, N = a / sqrt(1 - e² sin²φ))."""
    e2 = F * (2 - F)
    la, lo = math.radians(lat_deg), math.radians(lon_deg)
    n = A / math.sqrt(1 - e2 * math.sin(la) ** 2)
    return np.array([(n + alt_m) * math.cos(la) * math.cos(lo), (n + alt_m) * math.cos(la) * math.sin(lo),
                     (n * (1 - e2) + alt_m) * math.sin(la)])


def ecef_to_inertial(r_ecef_m, t_s):
    """Earth-fixed -> inertial frame that coincides with it at t = 0: rotation by +ω t about z."""
    th = OMEGA * t_s
    c, s = math.cos(th), math.sin(th)
    return np.array([c * r_ecef_m[0] - s * r_ecef_m[1], s * r_ecef_m[0] + c * r_ecef_m[1], r_ecef_m[2]])


def _stumpff(z):
    if z > 1e-8:
        sz = math.sqrt(z)
        return (1 - math.cos(sz)) / z, (sz - math.sin(sz)) / sz ** 3
    if z < -1e-8:
        sz = math.sqrt(-z)
        return (math.cosh(sz) - 1) / -z, (math.sinh(sz) - sz) / sz ** 3
    return 0.5, 1 / 6


def lambert_v1_mps(r1, r2, tof_s, short_way=True):
    """Departure velocity of the zero-revolution conic from r1 to r2 in tof_s (universal variables);
    ``short_way``: transfer angle < 180°."""
    n1, n2 = np.linalg.norm(r1), np.linalg.norm(r2)
    cos_dth = float(np.dot(r1, r2) / (n1 * n2))
    dth = math.acos(max(-1.0, min(1.0, cos_dth)))
    if not short_way:
        dth = 2 * math.pi - dth
    a_ = math.sin(dth) * math.sqrt(n1 * n2 / (1 - math.cos(dth)))

    def y(z):
        c, s = _stumpff(z)
        return n1 + n2 + a_ * (z * s - 1) / math.sqrt(c)

    def f(z):
        c, s = _stumpff(z)
        yz = y(z)
        if yz < 0:
            return -tof_s * math.sqrt(MU)
        return (yz / c) ** 1.5 * s + a_ * math.sqrt(yz) - math.sqrt(MU) * tof_s

    lo = -4 * math.pi ** 2 + 1e-9
    while y(lo) < 0:
        lo = lo / 2 + 1e-3
    hi = 4 * math.pi ** 2 - 1e-6
    z = brentq(f, lo, hi, xtol=1e-14, maxiter=500)
    yz = y(z)
    fl = 1 - yz / n1
    g = a_ * math.sqrt(yz / MU)
    return (r2 - fl * r1) / g


def propagate_two_body(r0, v0, tof_s):
    """Kepler propagation by direct integration (scipy DOP853, rtol 1e-12): the check of the solver."""
    from scipy.integrate import solve_ivp

    def rhs(_, y):
        r = y[:3]
        return np.concatenate([y[3:], -MU * r / np.linalg.norm(r) ** 3])

    sol = solve_ivp(rhs, (0, tof_s), np.concatenate([r0, v0]), method="DOP853", rtol=1e-12, atol=1e-6)
    return sol.y[:3, -1]


def counterexample_delta_v_mps(cx: dict) -> tuple[float, float]:
    """(Δv relative to the launch site's inertial velocity, miss of the propagated conic, m) for a
    counterexample's flat fields: site at interceptor_launch_s -> intercept point at intercept_s."""
    t0, t1 = cx["interceptor_launch_s"], cx["intercept_s"]
    r1 = ecef_to_inertial(geodetic_to_ecef_m(cx["site_lat"], cx["site_lon"], cx.get("site_alt_m") or 0.0), t0)
    r2 = ecef_to_inertial(geodetic_to_ecef_m(cx["intercept_lat"], cx["intercept_lon"],
                                             cx["intercept_alt_km"] * 1e3), t1)
    v_site = np.cross([0.0, 0.0, OMEGA], r1)
    sols = []
    for short in (True, False):
        try:
            sols.append(lambert_v1_mps(r1, r2, t1 - t0, short))
        except ValueError:            # no zero-revolution conic that way in that time
            pass
    v1 = min(sols, key=lambda v: np.linalg.norm(v - v_site))
    miss = float(np.linalg.norm(propagate_two_body(r1, v1, t1 - t0) - r2))
    return float(np.linalg.norm(v1 - v_site)), miss
