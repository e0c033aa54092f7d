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
the radius ratio ``rho = r2 / r``. With ``nu`` the true and ``E`` the eccentric anomaly (from
perigee), the orbit through the state has

- ``e cos(nu) = lam cos(gamma)**2 - 1``, ``e sin(nu) = lam sin(gamma) cos(gamma)``
  (conic equation ``r = p / (1 + e cos nu)`` with ``p = r lam cos(gamma)**2``);
- ``e cos(E) = lam - 1``, ``e sin(E) = sin(gamma) sqrt(lam (2 - lam))``
  (``r = a (1 - e cos E)``, ``r . v = sqrt(mu a) e sin E``, ``a = r / (2 - lam)``);
- ``e**2 = (lam - 1)**2 + lam (2 - lam) sin(gamma)**2``, ``1 - e**2 = lam (2 - lam) cos(gamma)**2``;

at another radius ``r2`` the same components follow from the conic and from
``r2 = a (1 - e cos E2)``. Anomalies are never taken with ``acos`` and never differenced
directly. Each point is held as the sine and cosine of *half* its anomaly counted from apogee
(``alpha = nu - pi``, ``beta = E - pi``): ``sin^2(alpha/2) = (e + e cos nu)/(2e)``,
``cos^2(alpha/2) = (e - e cos nu)/(2e)``, the smaller of ``e +- e cos nu`` taken as
``(e sin nu)^2 / (the larger)``; likewise for ``beta``. The half-angle of an arc is
``sin(D/2) = s2 c1 - c2 s1``; when both ends lie on the same side of apogee that difference is
rewritten exactly as ``(x2 - x1) / (2 e (s2 c1 + c2 s1))``, where ``x2 - x1``, the change of
``e cos``, is a closed form in the radii (``lam cos(gamma)**2 (r - r2)/r2`` for ``nu``,
``(2 - lam)(r - r2)/r`` for ``E``): a short arc is not the small difference of two large angles.

The time is Kepler's equation ``M = E - e sin E`` (BMW ch. 4) over an eccentric-anomaly arc
``D`` whose midpoint is ``bbar`` from apogee, rearranged into terms of one sign:
``M2 - M1 = [D - 2 sin(D/2)] + 2 sin(D/2) [(1 + e) cos^2(bbar/2) + (1 - e) sin^2(bbar/2)]``
(the bracket is ``r(bbar)/a``); ``t = sqrt(a**3/mu) (M2 - M1)``. This holds whether or not
the arc passes apogee and stays accurate for near-rectilinear (``e -> 1``), near-circular and
near-parabolic orbits.

Sources: Bate, Mueller & White, *Fundamentals of Astrodynamics* (Dover, 1971), ch. 2 (conic,
vis-viva), ch. 4 (Kepler's equation) and ch. 6 (ballistic missile trajectories: free-flight range
equation, flight-path-angle equation, minimum-energy trajectory, time of free flight);
Regan & Anandakrishnan, *Dynamics of Atmospheric Re-Entry* (AIAA, 1993), ch. 3;
Wheelon, "Free flight of a ballistic missile", ARS Journal 29(12), 1959.

Scope: elliptic arcs only (``lam < 2``). Escape-speed states return NaN for range and time,
even an inbound hyperbola that would come down; no ballistic missile reaches escape speed.
Inputs are taken as float64 (``np.longdouble`` inputs are kept in extended precision, which the
tests use to measure rounding error). Accuracy: about 1e-13 relative, short arcs included;
docs/validation/kepler.md has the measurements.

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
_TWO_PI_LO = 2.4492935982947064e-16  # 2 pi - _TWO_PI


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


def _float(x):
    """Input as a float64 array (or np.longdouble if given, for the tests' rounding checks)."""
    x = np.asarray(x)
    return x.astype(np.result_type(x.dtype, np.float64), copy=False)


def _out(x):
    """Return a numpy scalar for a 0-d array, the array otherwise."""
    return x[()] if np.ndim(x) == 0 else x


def _half_from_apogee(x, es2, sign, e):
    """Sine and cosine of half the anomaly measured from apogee.

    ``x = e cos(anomaly from perigee)``, ``es2 = (e sin(anomaly from perigee))**2``, ``sign``
    the sign of the sine of the anomaly from apogee (+1 past apogee, descending). Uses
    ``sin^2(half) = (e + x)/(2e)``, ``cos^2(half) = (e - x)/(2e)``, the smaller of the two taken
    as ``es2 / (the larger)``; the pair is normalised to unit length.
    """
    pos = x >= 0.0
    p = np.where(pos, e + x, es2 / (e - x))
    q = np.where(pos, es2 / (e + x), e - x)
    sh, ch = np.sqrt(p), np.sqrt(q)
    norm = np.hypot(sh, ch)
    return sign * sh / norm, ch / norm


def _arc(s2, c2, s1, c1, dx, e):
    """Signed anomaly change from point 1 to point 2, in (-2 pi, 2 pi), from half-angle pairs.

    ``dx`` is ``x2 - x1`` (change of ``e cos``) in closed form; it replaces the difference
    ``s2 c1 - c2 s1`` when both points are on the same side of apogee (no cancellation).
    """
    den = s2 * c1 + c2 * s1
    same = (s2 * s1 > 0.0) & (den != 0.0)
    sin_half = np.where(same, dx / (2.0 * e * np.where(same, den, 1.0)), s2 * c1 - c2 * s1)
    cos_half = c2 * c1 + s2 * s1
    return 2.0 * np.arctan2(sin_half, cos_half)


class _Orbit(NamedTuple):
    """Orbit through the start state, all arrays of the broadcast shape."""

    lam: np.ndarray  # r v^2 / mu
    two_m: np.ndarray  # 2 - lam (= r / a)
    lc2: np.ndarray  # lam cos(gamma)^2 (= p / r)
    ls2: np.ndarray  # lam sin(gamma)^2
    a: np.ndarray  # semi-major axis, m
    e: np.ndarray  # eccentricity
    one_m_e: np.ndarray  # 1 - e, without cancellation
    n_inv: np.ndarray  # sqrt(a^3 / mu), s per rad of mean anomaly
    sa: np.ndarray  # sin, cos of half the true anomaly from apogee at the start
    ca: np.ndarray
    sb: np.ndarray  # sin, cos of half the eccentric anomaly from apogee at the start
    cb: np.ndarray


def _orbit(r, lam, cg, sg, mu, two_m=None) -> _Orbit:
    """Orbit through radius ``r`` with ``lam = r v^2/mu``, ``cg, sg = cos, sin(gamma)``."""
    if two_m is None:
        two_m = 2.0 - lam
    k = np.sqrt(lam * two_m)  # NaN for lam > 2: range and time then come out NaN
    esin_e = sg * k  # e sin(E) at the start
    e = np.hypot(lam - 1.0, esin_e)
    lc2, ls2 = lam * cg * cg, lam * sg * sg
    one_m_e = lc2 * two_m / (1.0 + e)
    a = r / two_m
    sign = np.where(sg > 0.0, -1.0, 1.0)  # ascending: before apogee
    sa, ca = _half_from_apogee(lc2 - 1.0, (lam * sg * cg) ** 2, sign, e)
    sb, cb = _half_from_apogee(lam - 1.0, esin_e * esin_e, sign, e)
    n_inv = np.sqrt(a * a * a / mu)
    return _Orbit(lam, two_m, lc2, ls2, a, e, one_m_e, n_inv, sa, ca, sb, cb)


def _arrival(o: _Orbit, r, r2, sign):
    """Half-angle pairs at radius ``r2`` (start radius ``r``) on branch ``sign`` (+1 descending).

    Returns ``(sa2, ca2, sb2, cb2, q_e)`` with ``q_e = (e sin E2)^2``, negative where the orbit
    does not reach ``r2``. With ``rho = r2/r`` and ``u = r/r2``, ``(e sin nu2)^2`` and
    ``(e sin E2)^2`` are written so that ``r2 = r`` reproduces the start exactly:
    ``(e sin nu2)^2 = lam cos^2 (lam sin^2 + (1 - u)(lam cos^2 (1 + u) - 2))``,
    ``(e sin E2)^2 = (2 - lam)(lam sin^2 + (rho - 1)(lam (rho + 1) - 2 rho))``,
    with ``1 - u`` and ``rho - 1`` formed from ``r2 - r``.
    """
    rho, u = r2 / r, r / r2
    rho_m1, one_m_u = (r2 - r) / r, (r2 - r) / r2
    lam, lc2, ls2 = o.lam, o.lc2, o.ls2
    q_nu = lc2 * (ls2 + one_m_u * (lc2 * (1.0 + u) - 2.0))
    q_e = o.two_m * (ls2 + rho_m1 * (lam * (rho + 1.0) - 2.0 * rho))
    sa2, ca2 = _half_from_apogee(lc2 * u - 1.0, np.maximum(q_nu, 0.0), sign, o.e)
    sb2, cb2 = _half_from_apogee(1.0 - rho * o.two_m, np.maximum(q_e, 0.0), sign, o.e)
    return sa2, ca2, sb2, cb2, q_e


def _beta_from_alpha(o: _Orbit, sa, ca):
    """Half eccentric anomaly from half true anomaly, both from apogee.

    ``tan(beta/2) = sqrt((1 + e)/(1 - e)) tan(alpha/2)`` (BMW ch. 4, with ``nu = pi + alpha``,
    ``E = pi + beta``), as the unit pair ``((1 + e) sa, sqrt(1 - e^2) ca)`` normalised.
    """
    sb, cb = (1.0 + o.e) * sa, np.sqrt(o.lc2 * o.two_m) * ca
    norm = np.hypot(sb, cb)
    return sb / norm, cb / norm


def _flight_time(o: _Orbit, d_beta):
    """Time over an eccentric-anomaly arc ``d_beta`` in [0, 2 pi) from the start of ``o``.

    ``M2 - M1 = [D - 2 sin(D/2)] + 2 sin(D/2) [(1 + e) cos^2(Ebar/2) + (1 - e) sin^2(Ebar/2)]``,
    ``Ebar`` the mid-arc eccentric anomaly from apogee (Kepler's equation, BMW ch. 4).
    """
    beta_start = 2.0 * np.arctan2(o.sb, o.cb)
    half_mid = 0.5 * (beta_start + 0.5 * d_beta)
    sm, cm = np.sin(half_mid), np.cos(half_mid)
    w = (1.0 + o.e) * cm * cm + o.one_m_e * sm * sm  # = r(Ebar) / a
    dm = (d_beta - 2.0 * np.sin(0.5 * d_beta)) + 2.0 * np.sin(0.5 * d_beta) * w
    return o.n_inv * dm


def _apogee(o: _Orbit):
    return np.where(o.two_m > 0.0, o.a * (1.0 + o.e), np.inf)


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
    the arc begins past it), ``inf`` for ``lam >= 2``; it and ``semi_major_axis_m`` are NaN
    only for invalid inputs (r or r_impact <= 0, speed < 0, |gamma| > pi/2, mu <= 0).

    Method (module docstring): the arrival is the point of the conic at ``r_impact`` with
    ``sin(nu2) < 0``,

    - ``e cos(nu2) = lam cos(gamma)^2 r / r_impact - 1``, and with ``u = r / r_impact``,
      ``(e sin nu2)^2 = lam cos^2 (lam sin^2 + (1 - u)(lam cos^2 (1 + u) - 2))``;
    - ``e cos(E2) = 1 - rho (2 - lam)``,
      ``(e sin E2)^2 = (2 - lam)(lam sin^2 + (rho - 1)(lam (rho + 1) - 2 rho))``

    (rearranged so that ``rho = 1`` returns the start's values exactly; negative means the
    orbit never reaches ``r_impact``); range angle and time are the arcs between the start and
    that point. For ``rho = 1`` the range is the free-flight range equation
    ``tan(psi/2) = lam sin(gamma) cos(gamma) / (1 - lam cos(gamma)^2)`` (Bate, Mueller & White
    1971, ch. 6; Regan & Anandakrishnan 1993, ch. 3; Wheelon 1959) and the time BMW's time of
    free flight via the eccentric anomaly (ch. 6).
    """
    r = _float(r_m)
    v = _float(speed_mps)
    gamma = _float(flight_path_angle_rad)
    r2 = _float(SPHERE_R_M if r_impact_m is None else r_impact_m)
    mu = _float(mu)
    r, v, gamma, r2, mu = np.broadcast_arrays(r, v, gamma, r2, mu)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        lam = r * v * v / mu
        o = _orbit(r, lam, np.cos(gamma), np.sin(gamma), mu)
        sa2, ca2, sb2, cb2, q_e = _arrival(o, r, r2, 1.0)
        dr = r - r2  # exact in floating point when r2 is near r: short arcs keep their digits
        d_alpha = _arc(sa2, ca2, o.sa, o.ca, o.lc2 * (dr / r2), o.e)
        d_beta = _arc(sb2, cb2, o.sb, o.cb, (dr / r) * o.two_m, o.e)
        revs = d_alpha < 0.0  # already below r_impact and descending: round the orbit once
        psi = np.where(revs, d_alpha + _TWO_PI, d_alpha)
        t = _flight_time(o, np.where(revs, d_beta + _TWO_PI, d_beta))
        valid = (
            (r > 0.0) & (r2 > 0.0) & (v >= 0.0) & (np.abs(gamma) <= 0.5 * np.pi) & (mu > 0.0)
        )
        lands = valid & (lam < 2.0) & (q_e >= 0.0)
        psi = np.where(lands, psi, np.nan)
        t = np.where(lands, t, np.nan)
        apo = np.where(valid, _apogee(o), np.nan)
        a = np.where(valid, o.a, np.nan)
    return BallisticArc(_out(psi), _out(t), _out(apo), _out(v * 1.0), _out(gamma * 1.0), _out(a))


def _min_energy_angle(psi, r1, r2, h2):
    """Flight-path angle of the minimum-energy arc at r1 and its cosine and sine (h2 = sin²(psi/2))."""
    # gamma = theta/2, theta = angle from -r1_hat to the chord; cos and sin of gamma from the
    # half-angle formulas, so that a near-vertical gamma keeps the digits of its cosine.
    y, x = r2 * np.sin(psi), (r1 - r2) + 2.0 * r2 * h2
    gamma = 0.5 * np.arctan2(y, x)
    hyp = np.hypot(x, y)
    hyp_p_x = np.where(x >= 0.0, hyp + x, y * y / (hyp - x))  # 2 hyp cos^2(gamma)
    hyp_m_x = np.where(x >= 0.0, y * y / (hyp + x), hyp - x)  # 2 hyp sin^2(gamma)
    cg = np.sqrt(hyp_p_x / (2.0 * hyp))
    sg = np.copysign(np.sqrt(hyp_m_x / (2.0 * hyp)), y)
    same_point = hyp == 0.0  # psi = 0, r1 = r2: the limit gamma = pi/4
    cg = np.where(same_point, np.sqrt(0.5), cg)
    sg = np.where(same_point, np.sqrt(0.5), sg)
    gamma = np.where(same_point, 0.25 * np.pi, gamma)
    return gamma, cg, sg


def _min_energy_time(o, psi, r1, r2):
    """Orbit o with its start anomaly fixed for radial arcs, and the flight time over the central angle psi."""
    # Start and arrival eccentric anomalies both from true anomalies, so that an error in
    # the apse line (large when e is small: psi near pi, r1 = r2) shifts both alike.
    # A radial arc (psi = 0, gamma = +-pi/2) has alpha = 0 throughout: keep the
    # radius-based values there (_beta_from_alpha gives NaN).
    sb1, cb1 = _beta_from_alpha(o, o.sa, o.ca)
    radial = np.isnan(sb1)
    o = o._replace(sb=np.where(radial, o.sb, sb1), cb=np.where(radial, o.cb, cb1))
    # Arrival from its true anomaly past apogee, alpha2 = alpha1 + psi in (-pi, 3 pi) (not
    # from r2: near apogee the radius pins the anomaly down poorly, psi does not), then
    # tan(beta/2) = sqrt((1 + e)/(1 - e)) tan(alpha/2) (BMW ch. 4, from nu = pi + alpha).
    # Past perigee, alpha2 - 2 pi is formed with 2 pi in two parts (psi - _TWO_PI is exact).
    alpha1 = 2.0 * np.arctan2(o.sa, o.ca)
    revs = (alpha1 + psi >= np.pi).astype(np.float64)  # 1 if the arc passes perigee
    alpha2 = np.where(revs > 0.0, alpha1 + ((psi - _TWO_PI) - _TWO_PI_LO), alpha1 + psi)
    half2 = 0.5 * alpha2
    sb2, cb2 = _beta_from_alpha(o, np.sin(half2), np.cos(half2))
    # Radial: the higher of r1, r2 is the apogee; below it, r2 is reached descending.
    sb2x, cb2x = _arrival(o, r1, r2, 1.0)[2:4]
    up = r2 >= r1
    sb2 = np.where(radial, np.where(up, 0.0, sb2x), sb2)
    cb2 = np.where(radial, np.where(up, 1.0, cb2x), cb2)
    d_beta = _arc(sb2, cb2, o.sb, o.cb, (r1 - r2) / r1 * o.two_m, o.e)
    t = _flight_time(o, d_beta + _TWO_PI * revs)
    return o, t


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
    psi = _float(range_angle_rad)
    r1 = _float(r1_m)
    r2 = r1 if r2_m is None else _float(r2_m)
    mu = _float(mu)
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
        gamma, cg, sg = _min_energy_angle(psi, r1, r2, h2)
        o = _orbit(r1, lam, cg, sg, mu, two_m=two_m)
        o, t = _min_energy_time(o, psi, r1, r2)
        a = 0.5 * s
        bad = ~((psi >= 0.0) & (psi < _TWO_PI) & (r1 > 0.0) & (r2 > 0.0) & (mu > 0.0))
        nan = np.nan
        out = [np.where(bad, nan, x) for x in (psi * 1.0, t, _apogee(o), v, gamma, a)]
    return BallisticArc(*(_out(x) for x in out))


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
    r1 = _float(r1_vec_m)
    r2 = _float(r2_vec_m)
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
    ``lam = 2 sin^2(psi/2) / (cos(gamma) D)``,
    ``D = (r1/r2 - 1) cos(gamma) + 2 sin(gamma + psi/2) sin(psi/2)``;
    for ``r1 = r2``, ``lam = sin(psi/2) / (cos(gamma) sin(gamma + psi/2))``.
    """
    psi = _float(range_angle_rad)
    gamma = _float(flight_path_angle_rad)
    r1 = _float(r1_m)
    r2 = r1 if r2_m is None else _float(r2_m)
    mu = _float(mu)
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
