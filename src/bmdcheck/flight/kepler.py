"""Closed-form Kepler arcs for ballistic missiles: two-body, spherical, non-rotating, vacuum.

Four functions, all vectorised over numpy arrays with broadcasting, SI units, angles in radians:

- :func:`ballistic_range`: from a burnout state (radius, speed, flight-path angle) to the range
  angle and time at which the arc comes down through a given radius.
- :func:`min_energy`: the minimum-speed conic from radius ``r1`` to radius ``r2`` over a given
  central angle.
- :func:`min_energy_gamma`: the minimum-energy flight-path angle from two position vectors.
- :func:`speed_for_range`: the burnout speed that reaches a given central angle at a given
  flight-path angle.

They are the quick, exact answers against which the numerical flight model
(docs/design/flight-model.md, ``point`` gravity, no atmosphere, no rotation) can be checked.

Method
------
Everything is written in terms of the dimensionless burnout parameter ``lam = r v**2 / mu``
(Bate, Mueller & White's ``Q``), the flight-path angle ``gamma`` above the local horizontal, and
the radius ratio ``rho = r2 / r``. Angles are measured *from apogee*, which keeps every sum
that builds a range angle or a flight time a sum of terms of one sign for an arc that passes
apogee (no cancellation, even near-parabolic or near-rectilinear orbits):

- true anomaly from the state to apogee ``alpha1`` and from apogee to the arrival ``alpha2``;
  range angle ``psi = alpha1 + alpha2``;
- eccentric anomaly likewise, ``beta1`` and ``beta2``; Kepler's equation measured from apogee
  reads ``M - pi = beta + e sin(beta)``, so the time of flight is
  ``t = sqrt(a**3 / mu) * [(beta1 + e sin beta1) + (beta2 + e sin beta2)]``.

The anomalies come from the orbit's eccentricity components evaluated at the state, each with
``atan2`` (never ``acos``):

- ``e cos(nu) = lam cos(gamma)**2 - 1``, ``e sin(nu) = lam sin(gamma) cos(gamma)``
  (conic equation ``r = p / (1 + e cos nu)`` with ``p = r lam cos(gamma)**2``);
- ``e cos(E) = lam - 1``, ``e sin(E) = sin(gamma) sqrt(lam (2 - lam))``
  (``r = a (1 - e cos E)``, ``r . v = sqrt(mu a) e sin E``, ``a = r / (2 - lam)``);
- ``e**2 = (lam - 1)**2 + lam (2 - lam) sin(gamma)**2``.

Sources: Bate, Mueller & White, *Fundamentals of Astrodynamics* (Dover, 1971), ch. 2 (conic,
vis-viva, Kepler's equation) and ch. 6 (ballistic missile trajectories: free-flight range
equation, flight-path-angle equation, minimum-energy trajectory, time of free flight);
Regan & Anandakrishnan, *Dynamics of Atmospheric Re-Entry* (AIAA, 1993), ch. 3;
Wheelon, "Free flight of a ballistic missile", ARS Journal 29(12), 1959.

Scope: elliptic arcs only (``lam < 2``). Escape-speed states return NaN for range and time,
even an inbound hyperbola that would come down; no ballistic missile reaches escape speed.

Example: 10,000 km of ground range on the 6,371 km sphere, from the surface to the surface.

>>> import numpy as np
>>> arc = min_energy(10_000e3 / SPHERE_R_M)
>>> print(f"{arc.speed_mps:.0f} m/s, {np.degrees(arc.flight_path_angle_rad):.2f} deg, "
...       f"{arc.flight_time_s / 60:.2f} min")
7198 m/s, 22.52 deg, 32.18 min
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..earth.constants import GM_M3_S2, SPHERE_R_M

__all__ = [
    "BallisticArc",
    "ballistic_range",
    "min_energy",
    "min_energy_gamma",
    "speed_for_range",
]

_TWO_PI = 2.0 * np.pi


class BallisticArc(NamedTuple):
    """A Keplerian arc from radius r1 to radius r2; every field has the broadcast input shape.

    - ``range_angle_rad``: central angle from the start to the arrival point (Earth range on the
      sphere is ``R * range_angle_rad``).
    - ``flight_time_s``: time along the arc from the start to the arrival.
    - ``apogee_radius_m``: apogee radius of the orbit, ``a (1 + e)``; ``inf`` if unbound.
    - ``speed_mps``: inertial speed at the start.
    - ``flight_path_angle_rad``: angle of the velocity above the local horizontal at the start.
    - ``semi_major_axis_m``: ``a = r / (2 - lam)``; negative for a hyperbola, inf for a parabola.

    NaN marks elements with no such arc (see each function).
    """

    range_angle_rad: np.ndarray
    flight_time_s: np.ndarray
    apogee_radius_m: np.ndarray
    speed_mps: np.ndarray
    flight_path_angle_rad: np.ndarray
    semi_major_axis_m: np.ndarray


def _out(x):
    """Return a numpy scalar for a 0-d array, the array otherwise."""
    return x[()] if np.ndim(x) == 0 else x


def _from_apogee(alpha, e, sqrt_1me2):
    """Eccentric anomaly from apogee for true anomaly ``alpha`` from apogee, |alpha| <= pi.

    ``tan(beta/2) = sqrt((1+e)/(1-e)) tan(alpha/2)`` (BMW ch. 4, Kepler's equation, with
    ``nu = pi + alpha``, ``E = pi + beta``); ``sqrt_1me2`` is ``sqrt(1 - e**2)`` computed
    without cancellation by the caller.
    """
    return 2.0 * np.arctan2((1.0 + e) * np.sin(0.5 * alpha), sqrt_1me2 * np.cos(0.5 * alpha))


class _Orbit(NamedTuple):
    """Orbit quantities at the start state, all arrays of the broadcast shape."""

    lam: np.ndarray  # r v^2 / mu
    two_m: np.ndarray  # 2 - lam
    cg: np.ndarray  # cos(gamma)
    sg: np.ndarray  # sin(gamma)
    a: np.ndarray  # semi-major axis, m
    e: np.ndarray  # eccentricity
    sqrt_1me2: np.ndarray  # sqrt(1 - e^2) = cos(gamma) sqrt(lam (2 - lam))
    alpha1: np.ndarray  # true anomaly from the state forward to apogee, in (-pi, pi]
    beta1: np.ndarray  # eccentric anomaly from the state forward to apogee
    esb1: np.ndarray  # e sin(beta1) = e sin(E1)
    n_inv: np.ndarray  # sqrt(a^3 / mu), s per rad of mean anomaly


def _orbit(r, lam, gamma, mu, two_m=None) -> _Orbit:
    """Elements of the orbit through radius ``r`` with ``lam = r v^2/mu`` and angle ``gamma``."""
    if two_m is None:
        two_m = 2.0 - lam
    cg, sg = np.cos(gamma), np.sin(gamma)
    k = np.sqrt(lam * two_m)  # NaN for lam > 2: range and time then come out NaN
    esb1 = sg * k  # e sin(E1)
    e = np.hypot(lam - 1.0, esb1)
    a = r / two_m
    # alpha1 = pi - nu1: atan2(e sin nu1, -e cos nu1), with 1 - lam cos^2 = (1 - lam) + lam sin^2.
    alpha1 = np.arctan2(lam * sg * cg, (1.0 - lam) + lam * sg * sg)
    # beta1 = pi - E1: atan2(e sin E1, -e cos E1).
    beta1 = np.arctan2(esb1, 1.0 - lam)
    n_inv = np.sqrt(a * a * a / mu)
    return _Orbit(lam, two_m, cg, sg, a, e, cg * k, alpha1, beta1, esb1, n_inv)


def _apogee(o: _Orbit):
    return np.where(o.two_m > 0.0, o.a * (1.0 + o.e), np.inf)


def _time_from_apogee_angles(o: _Orbit, beta2, esb2, revs):
    """t = sqrt(a^3/mu) [(beta1 + e sin beta1) + (beta2 + e sin beta2) + 2 pi revs]."""
    return o.n_inv * ((o.beta1 + o.esb1) + (beta2 + esb2) + _TWO_PI * revs)


def ballistic_range(
    r_m,
    speed_mps,
    flight_path_angle_rad,
    r_impact_m=None,
    mu=GM_M3_S2,
) -> BallisticArc:
    """Return the Kepler arc from a burnout state down to the impact radius.

    Inputs (broadcast together; any shapes numpy can broadcast):

    - ``r_m``: radius of the burnout point, m (> 0).
    - ``speed_mps``: inertial speed at burnout, m/s (>= 0).
    - ``flight_path_angle_rad``: angle of the velocity above the local horizontal, rad,
      in [-pi/2, pi/2].
    - ``r_impact_m``: radius at which the arc ends, m; default ``SPHERE_R_M``.
    - ``mu``: gravitational parameter, m^3/s^2.

    Output: :class:`BallisticArc`, each field of the broadcast shape (numpy scalars for scalar
    input). The arc ends at the first crossing of ``r_impact_m`` on the *descending* branch
    (``dr/dt < 0``) after the start, passing apogee if the state is ascending.
    ``range_angle_rad`` in [0, 2 pi) and ``flight_time_s`` are NaN where the orbit never comes
    down through ``r_impact_m`` (perigee above it, apogee below it, or ``lam >= 2``: escape)
    and for invalid inputs; ``apogee_radius_m`` is the orbit's apogee (for a descending start
    the arc begins past it), ``inf`` for ``lam >= 2``.

    Method: with ``lam = r v^2/mu``, ``rho = r_impact/r``, ``u = 1/rho`` (module docstring for
    the state anomalies), the arrival is on the same conic at

    - ``e cos(nu2) = u lam cos(gamma)^2 - 1``,
      ``(e sin nu2)^2 = lam cos^2 * (lam sin^2 + (1 - u) (lam cos^2 (1 + u) - 2))``;
    - ``e cos(E2) = 1 - rho (2 - lam)``,
      ``(e sin E2)^2 = (2 - lam) (lam sin^2 + (rho - 1) (lam (rho + 1) - 2 rho))``,

    both rearranged so that ``rho = 1`` gives exactly the symmetric arc. The descending branch
    takes the positive roots as angles past apogee. For ``rho = 1`` this is the free-flight range
    equation ``tan(psi/2) = lam sin(gamma) cos(gamma) / (1 - lam cos(gamma)^2)``
    (Bate, Mueller & White 1971, ch. 6; Regan & Anandakrishnan 1993, ch. 3; Wheelon 1959);
    the time is Kepler's equation via the eccentric anomaly (BMW ch. 6, time of free flight).
    """
    r = np.asarray(r_m, dtype=np.float64)
    v = np.asarray(speed_mps, dtype=np.float64)
    gamma = np.asarray(flight_path_angle_rad, dtype=np.float64)
    r2 = np.asarray(SPHERE_R_M if r_impact_m is None else r_impact_m, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    r, v, gamma, r2, mu = np.broadcast_arrays(r, v, gamma, r2, mu)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        lam = r * v * v / mu
        o = _orbit(r, lam, gamma, mu)
        rho = r2 / r
        u = r / r2
        lc2, ls2 = lam * o.cg * o.cg, lam * o.sg * o.sg
        q_e = o.two_m * (ls2 + (rho - 1.0) * (lam * (rho + 1.0) - 2.0 * rho))  # (e sin E2)^2
        q_nu = lc2 * (ls2 + (1.0 - u) * (lc2 * (1.0 + u) - 2.0))  # (e sin nu2)^2
        esb2 = np.sqrt(q_e)
        alpha2 = np.arctan2(np.sqrt(np.maximum(q_nu, 0.0)), (1.0 - lam * u) + ls2 * u)
        beta2 = np.arctan2(esb2, rho * o.two_m - 1.0)
        psi = o.alpha1 + alpha2
        revs = (psi < 0.0).astype(np.float64)  # already below r_impact and descending
        psi = psi + _TWO_PI * revs
        t = _time_from_apogee_angles(o, beta2, esb2, revs)
        bad = ~(
            (r > 0.0)
            & (r2 > 0.0)
            & (v >= 0.0)
            & (np.abs(gamma) <= 0.5 * np.pi)
            & (mu > 0.0)
            & (lam < 2.0)
            & (q_e >= 0.0)
        )
        psi = np.where(bad, np.nan, psi)
        t = np.where(bad, np.nan, t)
        apo = _apogee(o)
    return BallisticArc(_out(psi), _out(t), _out(apo), _out(v * 1.0), _out(gamma * 1.0), _out(o.a))


def min_energy(range_angle_rad, r1_m=SPHERE_R_M, r2_m=None, mu=GM_M3_S2) -> BallisticArc:
    """Return the minimum-speed (minimum-energy) Kepler arc from radius r1 to radius r2.

    Inputs (broadcast together):

    - ``range_angle_rad``: central angle from the start to the arrival, rad, in [0, 2 pi).
    - ``r1_m``: start radius, m; default ``SPHERE_R_M``.
    - ``r2_m``: arrival radius, m; default ``r1_m``.
    - ``mu``: gravitational parameter, m^3/s^2.

    Output: :class:`BallisticArc` of the broadcast shape; ``speed_mps`` and
    ``flight_path_angle_rad`` are at r1; NaN for inputs out of range. The arrival may be on
    the ascending branch (a high r2, before apogee) or past apogee; the time handles both.
    For ``range_angle_rad > pi`` the minimum-energy conic leaves r1 *descending* and passes
    perigee (below r1): a valid conic, not a flyable arc over a solid Earth.

    Method (Lambert's minimum-energy ellipse; BMW 1971 ch. 5 and ch. 6): chord
    ``c^2 = (r1 - r2)^2 + 4 r1 r2 sin^2(psi/2)``, semi-perimeter ``s = (r1 + r2 + c)/2``,
    ``a_min = s/2`` and, by vis-viva, ``v^2 = 2 mu (s - r1)/(r1 s)``. The empty focus lies on the
    chord, and the tangent bisects the angle between the focal radii, so the flight-path angle
    is half the angle between -r1_hat and the chord:
    ``gamma = 1/2 atan2(r2 sin psi, r1 - r2 cos psi)``; for ``r1 = r2`` this is
    ``gamma = pi/4 - psi/4`` and ``lam = 2 sin(psi/2)/(1 + sin(psi/2))`` (BMW ch. 6,
    minimum-energy trajectory). The time is Kepler's equation from the state (module docstring)
    to the anomaly ``psi`` further on.
    """
    psi = np.asarray(range_angle_rad, dtype=np.float64)
    r1 = np.asarray(r1_m, dtype=np.float64)
    r2 = r1 if r2_m is None else np.asarray(r2_m, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    psi, r1, r2, mu = np.broadcast_arrays(psi, r1, r2, mu)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        h = np.sin(0.5 * psi)
        h2 = h * h
        chord = np.sqrt((r1 - r2) ** 2 + 4.0 * r1 * r2 * h2)
        s = 0.5 * (r1 + r2 + chord)
        # s - r1 = (r2 - r1 + c)/2, rewritten without cancellation when r2 < r1.
        s_m_r1 = np.where(
            r2 >= r1, 0.5 * (r2 - r1 + chord), 2.0 * r1 * r2 * h2 / (chord + (r1 - r2))
        )
        lam = 2.0 * s_m_r1 / s
        two_m = 2.0 * r1 / s
        v = np.sqrt(lam * mu / r1)
        gamma = 0.5 * np.arctan2(r2 * np.sin(psi), (r1 - r2) + 2.0 * r2 * h2)
        o = _orbit(r1, lam, gamma, mu, two_m=two_m)
        a = 0.5 * s
        t = _time_after(o, psi)
        bad = ~((psi >= 0.0) & (psi < _TWO_PI) & (r1 > 0.0) & (r2 > 0.0) & (mu > 0.0))
        nan = np.nan
        out = [np.where(bad, nan, x) for x in (psi * 1.0, t, _apogee(o), v, gamma, a)]
    return BallisticArc(*(_out(x) for x in out))


def _time_after(o: _Orbit, psi):
    """Time to fly a further true anomaly ``psi`` (0 <= psi < 2 pi) from the state of ``o``."""
    alpha2 = psi - o.alpha1  # true anomaly past apogee at arrival, in (-pi, 3 pi)
    revs = np.floor((alpha2 + np.pi) / _TWO_PI)  # 1 if the arc passes perigee after apogee
    alpha2 = alpha2 - _TWO_PI * revs
    beta2 = _from_apogee(alpha2, o.e, o.sqrt_1me2)
    return _time_from_apogee_angles(o, beta2, o.e * np.sin(beta2), revs)


def min_energy_gamma(r1_vec_m, r2_vec_m):
    """Return the minimum-energy flight-path angle at r1 for the short way from r1 to r2.

    Inputs: position vectors ``r1_vec_m``, ``r2_vec_m`` of shape (..., 3), any common frame,
    broadcast together. Output: flight-path angle above the local horizontal at r1, rad, of
    shape (...) (numpy scalar for single vectors), in [0, pi/2]; it describes the transfer
    over the central angle in [0, pi] (the short way).

    Method: the empty focus of the minimum-energy ellipse lies on the chord r2 - r1 and the
    tangent at r1 bisects the angle between the focal radii, so
    ``gamma = 1/2 * angle(-r1_hat, r2 - r1)``, computed as
    ``1/2 atan2(|r1 x r2|, r1 . (r1 - r2))`` (BMW 1971 ch. 5 (minimum-energy Lambert) and ch. 6).
    """
    r1 = np.asarray(r1_vec_m, dtype=np.float64)
    r2 = np.asarray(r2_vec_m, dtype=np.float64)
    cross = np.linalg.norm(np.cross(r1, r2), axis=-1)
    dot = np.sum(r1 * (r1 - r2), axis=-1)
    return _out(0.5 * np.arctan2(cross, dot))


def speed_for_range(
    range_angle_rad,
    flight_path_angle_rad,
    r1_m=SPHERE_R_M,
    r2_m=None,
    mu=GM_M3_S2,
):
    """Return the speed at r1 that reaches radius r2 after the given central angle.

    Inputs (broadcast together): ``range_angle_rad`` in (0, 2 pi); ``flight_path_angle_rad``
    above the local horizontal at r1, in (-pi/2, pi/2); ``r1_m`` (default ``SPHERE_R_M``),
    ``r2_m`` (default ``r1_m``), m; ``mu``, m^3/s^2.

    Output: inertial speed at r1, m/s, of the broadcast shape (numpy scalar for scalar input).
    NaN where no elliptic (sub-escape) conic through r1 with that angle reaches r2 after that
    angle. The conic passes r2 at the anomaly ``psi`` further on; it may arrive ascending
    (a high r2) and, for a descending start, may dip below r1 on the way: the function answers
    the two-body geometry, not whether a solid Earth is in the way.

    Method: the conic equation between the two points,
    ``r1/r2 = (1 - cos psi)/(lam cos^2 gamma) + cos(gamma + psi)/cos(gamma)`` (BMW 1971 ch. 6;
    Regan & Anandakrishnan 1993 ch. 3), solved for ``lam = r1 v^2 / mu``:
    ``lam = 2 sin^2(psi/2) / (cos(gamma) [(r1/r2 - 1) cos(gamma) + 2 sin(gamma + psi/2) sin(psi/2)])``;
    for ``r1 = r2``, ``lam = sin(psi/2) / (cos(gamma) sin(gamma + psi/2))``.
    """
    psi = np.asarray(range_angle_rad, dtype=np.float64)
    gamma = np.asarray(flight_path_angle_rad, dtype=np.float64)
    r1 = np.asarray(r1_m, dtype=np.float64)
    r2 = r1 if r2_m is None else np.asarray(r2_m, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        h = np.sin(0.5 * psi)
        cg = np.cos(gamma)
        den = cg * ((r1 - r2) / r2 * cg + 2.0 * np.sin(gamma + 0.5 * psi) * h)
        lam = 2.0 * h * h / den
        ok = (
            (psi > 0.0)
            & (psi < _TWO_PI)
            & (np.abs(gamma) < 0.5 * np.pi)
            & (r1 > 0.0)
            & (r2 > 0.0)
            & (mu > 0.0)
            & (den > 0.0)
            & (lam < 2.0)
        )
        v = np.where(ok, np.sqrt(lam * mu / r1), np.nan)
    return _out(v)
