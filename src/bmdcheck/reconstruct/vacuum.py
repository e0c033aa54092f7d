"""Vacuum Kepler reconstruction: the burnout state that matches an observed apogee and range.

World: spherical Earth of radius ``SPHERE_R_M`` (6,371 km), point-mass gravity, no rotation, no
atmosphere (the closed forms of :mod:`bmdcheck.flight.kepler`). The burnout happens at altitude
``H`` (radius ``R + H``) directly above the launch point; the arc comes down at radius ``R``.
The observed range is the great-circle surface distance ``R psi`` from the point below burnout to
the impact (the ground covered during the boost is neglected); the apogee altitude is counted
above the sphere.

Method: for a flight-path angle ``gamma`` the speed that reaches the central angle ``psi`` is the
conic equation solved for ``lam = r v^2/mu`` (:func:`kepler.speed_for_range`); the apogee radius
of that conic, ``a (1 + e)``, increases with ``gamma`` on the lofted branch (``gamma`` above the
minimum-energy angle) and decreases toward the depressed side, so the observed apogee fixes
``gamma`` by a bracketed root (Brent). Sources: Bate, Mueller & White (1971) ch. 6; Wheelon (1959).

The *standard range* of a burnout speed is the range of the minimum-energy arc with that speed
from the same burnout radius (the minimum-energy arc is the maximum-range arc for a given speed):
the central angle ``psi`` with ``min_energy(psi).speed == v`` (Brent on ``psi`` in (0, pi)).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.optimize import brentq

from ..earth.constants import SPHERE_R_M
from ..errors import BmdcheckError
from ..flight.kepler import ballistic_range, min_energy, speed_for_range

HALF_CIRCUMFERENCE_M = math.pi * SPHERE_R_M
"""The longest ground range a ballistic arc is reconstructed for (20,015 km on the sphere)."""


class VacuumBurnout(NamedTuple):
    """The reconstructed burnout state (inertial = Earth-relative: the sphere does not turn)."""

    speed_mps: float
    flight_path_angle_deg: float
    free_flight_time_s: float  # burnout to impact
    branch: str  # "lofted" (above the minimum-energy angle) or "depressed"


def _apogee_radius(psi, gamma, r_b):
    v = speed_for_range(psi, gamma, r_b, SPHERE_R_M)
    return float(ballistic_range(r_b, v, gamma, SPHERE_R_M).apogee_radius_m)


def _finite_edge(f, good: float, bad: float, n: int = 60) -> float:
    """The point next to ``bad`` where ``f`` is still finite, by bisection from ``good``."""
    for _ in range(n):
        mid = 0.5 * (good + bad)
        if math.isfinite(f(mid)):
            good = mid
        else:
            bad = mid
    return good


def check_geometry(apogee_alt_m: float, range_m: float, burnout_alt_m: float) -> None:
    """Raise a one-line BmdcheckError for an observation no ballistic arc can have."""
    if not (burnout_alt_m >= 0):
        raise BmdcheckError(f"burnout altitude must be >= 0 km, got {burnout_alt_m / 1e3:g}")
    if not (range_m > 0):
        raise BmdcheckError(f"range must be positive, got {range_m / 1e3:g} km")
    if range_m > HALF_CIRCUMFERENCE_M:
        raise BmdcheckError(f"range {range_m / 1e3:,.0f} km is longer than half the Earth's circumference "
                            f"({HALF_CIRCUMFERENCE_M / 1e3:,.0f} km): the short way round is the other way")
    if not (apogee_alt_m > burnout_alt_m):
        raise BmdcheckError(f"apogee {apogee_alt_m / 1e3:,.1f} km is not above the burnout altitude "
                            f"{burnout_alt_m / 1e3:,.1f} km")


def burnout_from_apogee_range(apogee_alt_m: float, range_m: float, burnout_alt_m: float = 0.0) -> VacuumBurnout:
    """Return the vacuum burnout state (speed, angle) whose arc has this apogee and range.

    Inputs in metres: apogee altitude and burnout altitude above the 6,371 km sphere; ground range
    from the point below burnout to the impact. Raises BmdcheckError when no arc fits.
    """
    check_geometry(apogee_alt_m, range_m, burnout_alt_m)
    r_b = SPHERE_R_M + burnout_alt_m
    r_a = SPHERE_R_M + apogee_alt_m
    psi = range_m / SPHERE_R_M
    g_me = float(min_energy(psi, r_b, SPHERE_R_M).flight_path_angle_rad)
    apo_me = _apogee_radius(psi, g_me, r_b)
    f = lambda g: _apogee_radius(psi, g, r_b)  # noqa: E731
    if r_a >= apo_me:
        hi = _finite_edge(f, g_me, 0.5 * math.pi)
        if r_a > f(hi):
            raise BmdcheckError("apogee too high for a bound (sub-escape) arc over this range")
        lo, branch = g_me, "lofted"
    else:
        # depressed: gamma from the minimum-energy angle down to 0 (a burnout descending from its own
        # apogee would put the apogee at the burnout altitude, handled by the check above)
        lo = 0.0
        if not math.isfinite(f(lo)):
            lo = _finite_edge(f, g_me, 0.0)
        if r_a < f(lo):
            raise BmdcheckError(f"apogee {apogee_alt_m / 1e3:,.1f} km is too low for a range of "
                                f"{range_m / 1e3:,.0f} km from a burnout at {burnout_alt_m / 1e3:,.1f} km")
        hi, branch = g_me, "depressed"
    if r_a == f(lo):
        g = lo
    elif r_a == f(hi):
        g = hi
    else:
        g = brentq(lambda x: f(x) - r_a, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
    v = float(speed_for_range(psi, g, r_b, SPHERE_R_M))
    t = float(ballistic_range(r_b, v, g, SPHERE_R_M).flight_time_s)
    return VacuumBurnout(v, math.degrees(g), t, branch)


def standard_range_m(speed_mps: float, burnout_alt_m: float = 0.0) -> float:
    """Range (m, on the sphere) of the minimum-energy arc with this burnout speed; NaN beyond half
    the circumference (at or above the speed of the half-way-round minimum-energy arc)."""
    r_b = SPHERE_R_M + burnout_alt_m
    sp = lambda p: float(min_energy(p, r_b, SPHERE_R_M).speed_mps)  # noqa: E731
    hi = math.pi
    if speed_mps >= sp(hi):
        return float("nan")
    lo = 1e-9
    if speed_mps <= sp(lo):
        return 0.0
    psi = brentq(lambda p: sp(p) - speed_mps, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
    return float(psi * SPHERE_R_M)
