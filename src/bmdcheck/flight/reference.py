"""Fly one trajectory with plain SciPy: the reference implementation of the 3-DOF flight model.

This module implements ``docs/design/flight-model.md`` one trajectory at a time, written for
clarity rather than speed, so that the batched Numba kernel (``bmdcheck.flight.kernel``) can be
checked against it. It shares only the constants (``bmdcheck.earth.constants``), the missile data
model and the atmosphere with the kernel; the geometry, gravity, steering, mass bookkeeping and
the integration are written here independently.

Method: ``scipy.integrate.solve_ivp`` with the 8th-order Dormand-Prince pair (DOP853; Hairer,
Nørsett & Wanner, *Solving Ordinary Differential Equations I*, 2nd ed., 1993, sec. II.10),
integrated piecewise between the boost events (end of vertical rise, end of pitch kick, each
stage ignition and burnout, thrust cut-off) so no discontinuity of the right-hand side falls
inside a step; where the air acts, it also stops and restarts at the corners of USSA76 (layer
boundaries) and of the Cd(Mach) table. Impact (geodetic altitude 0) is a terminal event; apogee
is located by an event on the sign change of the geodetic climb rate, refined by SciPy's root
finder on the step interpolant.

Accuracy at the default rtol = 1e-10 (tests/flight/test_reference.py): two-body closed forms to
~1e-10..1e-9 relative; a 10,000 km full-model flight within ~5 cm (impact) and ~1 mm (burnout) of
the same flight at rtol 1e-13.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, NamedTuple

import numpy as np
from scipy.integrate import solve_ivp

from ..earth import constants as C
from ..errors import BmdcheckError

if TYPE_CHECKING:  # pragma: no cover
    from .missile import Missile

__all__ = ["ReferenceResult", "fly_reference", "burnout_state_eci"]

MAX_FLIGHT_S = 86_400.0
"""Longest flight (s after the start, or after burnout) integrated when ``duration_s`` is None."""

ATOL = np.array([1e-6, 1e-6, 1e-6, 1e-9, 1e-9, 1e-9])
"""Absolute tolerances of the state (m, m, m, m/s, m/s, m/s) passed to ``solve_ivp``."""

SAMPLE_S = 1.0
"""Spacing (s) of the dense-output samples returned with the step points in ``ReferenceResult``."""

MAX_STEP_S = 120.0
"""Largest step, s: short enough that no step can hold two altitude extrema (apogee events)."""

ATMOSPHERE_TOP_M = 1_000_000.0
"""Above this geodetic altitude the air is vacuum (flight-model.md: 0 above 1,000 km)."""

_MERGE_S = 1e-9  # boost event times closer than this are one event


class ReferenceResult(NamedTuple):
    """One reference trajectory. SI units, ECI frame (ECI = ECEF at t = 0).

    ``t_impact_s``, ``r_impact_eci_m`` (3,), ``v_impact_eci_mps`` (3,): impact time and state
    (NaN if the flight ended by ``duration_s``). ``impact_lat_deg``, ``impact_lon_deg``: geodetic,
    in the Earth-fixed frame at the impact time (lon in (-180, 180]).
    ``t_burnout_s``, ``r_burnout_eci_m``, ``v_burnout_eci_mps``: state at thrust cut-off (the
    initial state in free-body mode; NaN if the flight ended before cut-off).
    ``apogee_alt_m``: largest geodetic altitude reached. ``status``: "impact" or "duration".
    ``t_s`` (n,), ``y`` (n, 6): the solver's step points and its dense output every ``SAMPLE_S``
    seconds (r_eci_m, v_eci_mps), all phases joined, time increasing.
    """

    t_impact_s: float
    r_impact_eci_m: np.ndarray
    v_impact_eci_mps: np.ndarray
    impact_lat_deg: float
    impact_lon_deg: float
    t_burnout_s: float
    r_burnout_eci_m: np.ndarray
    v_burnout_eci_mps: np.ndarray
    apogee_alt_m: float
    status: str
    t_s: np.ndarray
    y: np.ndarray


# ---- the Earth -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Earth:
    """Shape (a, b), gravity (μ, J2 with reference radius a), rotation ω, atmosphere on/off."""

    a: float
    b: float
    mu: float
    j2: float
    omega: float
    air: bool

    @property
    def e2(self) -> float:
        return (self.a * self.a - self.b * self.b) / (self.a * self.a)


def _make_earth(earth: str, gravity: str, rotation: bool, atmosphere: str) -> _Earth:
    if earth == "wgs84":
        a, b = C.WGS84_A_M, C.WGS84_A_M * (1.0 - 1.0 / C.WGS84_INV_F)
    elif earth == "spherical":
        a = b = C.SPHERE_R_M
    else:
        raise BmdcheckError(f"earth must be 'wgs84' or 'spherical', got {earth!r}")
    if gravity not in ("point", "j2"):
        raise BmdcheckError(f"gravity must be 'point' or 'j2', got {gravity!r}")
    if atmosphere not in ("ussa76", "none"):
        raise BmdcheckError(f"atmosphere must be 'ussa76' or 'none', got {atmosphere!r}")
    return _Earth(a=a, b=b, mu=C.GM_M3_S2, j2=C.J2 if gravity == "j2" else 0.0,
                  omega=C.OMEGA_EARTH_RAD_S if rotation else 0.0, air=atmosphere == "ussa76")


def _ecef_to_geodetic(x: float, y: float, z: float, a: float, b: float) -> tuple[float, float, float]:
    """Geodetic latitude (rad), longitude (rad) and height (m) of a point, exactly.

    Sphere (a = b): lat = atan2(z, p), h = |r| - a. Ellipsoid: Bowring's (1976) iteration on the
    parametric latitude β, run to convergence (|Δφ| <= 1e-15 rad, two or three passes):
    tan φ = (z + e'² b sin³β) / (p - e² a cos³β), tan β = (b/a) tan φ; then
    h = p cos φ + z sin φ - a sqrt(1 - e² sin²φ), well conditioned at every latitude
    (B. R. Bowring, "Transformation from spatial to geographical coordinates", Survey Review 23,
    1976; height formula: Bowring, Survey Review 28, 1985).
    """
    lon = math.atan2(y, x)
    p = math.hypot(x, y)
    if a == b:
        return math.atan2(z, p), lon, math.hypot(p, z) - a
    e2 = (a * a - b * b) / (a * a)
    ep2 = (a * a - b * b) / (b * b)
    beta = math.atan2(a * z, b * p)
    lat = beta
    for _ in range(20):
        sb, cb = math.sin(beta), math.cos(beta)
        new = math.atan2(z + ep2 * b * sb * sb * sb, p - e2 * a * cb * cb * cb)
        beta = math.atan2(b * math.sin(new), a * math.cos(new))
        done = abs(new - lat) <= 1e-15
        lat = new
        if done:
            break
    s, c = math.sin(lat), math.cos(lat)
    return lat, lon, p * c + z * s - a * math.sqrt(1.0 - e2 * s * s)


def _geodetic_to_ecef(lat: float, lon: float, h: float, a: float, b: float) -> np.ndarray:
    """Cartesian position (3,) m of geodetic (lat, lon) rad, height h m.

    x = (N + h) cos φ cos λ, y = (N + h) cos φ sin λ, z = (N (1 - e²) + h) sin φ,
    N = a / sqrt(1 - e² sin²φ) (Torge & Müller, *Geodesy*, 4th ed., eq. 4.25).
    """
    e2 = (a * a - b * b) / (a * a)
    s, c = math.sin(lat), math.cos(lat)
    n = a / math.sqrt(1.0 - e2 * s * s)
    return np.array([(n + h) * c * math.cos(lon), (n + h) * c * math.sin(lon), (n * (1.0 - e2) + h) * s])


def _enu_axes(lat: float, lon: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors up, north, east (each (3,)) of a normal at latitude lat, longitude lon (rad)."""
    sl, cl, so, co = math.sin(lat), math.cos(lat), math.sin(lon), math.cos(lon)
    up = np.array([cl * co, cl * so, sl])
    north = np.array([-sl * co, -sl * so, cl])
    east = np.array([-so, co, 0.0])
    return up, north, east


def _gravity(x: float, y: float, z: float, E: _Earth) -> tuple[float, float, float]:
    """Gravitational acceleration (m/s²) at (x, y, z) m: point mass plus J2.

    a_x = -μ x/r³ [1 + 1.5 J2 (Re/r)² (1 - 5 z²/r²)] (same for y),
    a_z = -μ z/r³ [1 + 1.5 J2 (Re/r)² (3 - 5 z²/r²)], Re = the shape's a
    (Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., eq. 8-30).
    """
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    k = -E.mu / (r2 * r)
    if E.j2 == 0.0:
        return k * x, k * y, k * z
    q = 1.5 * E.j2 * E.a * E.a / r2
    w = 5.0 * z * z / r2
    return k * x * (1.0 + q * (1.0 - w)), k * y * (1.0 + q * (1.0 - w)), k * z * (1.0 + q * (3.0 - w))


def _load_ussa76() -> Callable:
    """The U.S. Standard Atmosphere 1976, imported when first needed."""
    from ..earth.atmosphere import ussa76

    return ussa76


def _air(h: float, ussa76: Callable) -> tuple[float, float, float]:
    """Density (kg/m³), pressure (Pa), speed of sound (m/s) at geodetic altitude h (m).

    USSA76 at h; the 0 km values below 0 km; vacuum (ρ = p = 0, sound speed NaN) above 1,000 km.
    """
    if h > ATMOSPHERE_TOP_M:
        return 0.0, 0.0, math.nan
    atm = ussa76(max(h, 0.0))
    return float(atm.density_kgm3), float(atm.pressure_Pa), float(atm.sound_speed_mps)


# ---- the vehicle, phase by phase --------------------------------------------------------------

@dataclass(frozen=True)
class _Phase:
    """What flies on [t0, t1): a burning stage, a coasting stack, or the ballistic payload."""

    t0: float
    t1: float
    kind: str                  # "burn" | "coast" | "ballistic"
    steer: str = ""            # burn only: "vertical" | "kick" | "turn"
    mass0_kg: float = math.nan  # burn: mass at ignition; coast: the (constant) mass
    t_ign_s: float = 0.0
    mdot_kgs: float = 0.0
    thrust_vac_n: float = 0.0
    exit_area_m2: float = 0.0
    beta_kgm2: float = math.inf  # ballistic only

    def mass(self, t: float) -> float:
        """m = payload + Σ_{j≥k}(m_dry_j + m_prop_j) - ṁ_k (t - t_ign_k) while stage k burns."""
        if self.kind == "burn":
            return self.mass0_kg - self.mdot_kgs * (t - self.t_ign_s)
        return self.mass0_kg


def _boost_phases(m: "Missile", t_cut: float) -> list[_Phase]:
    """Split [0, t_cut] at every boost event and describe the vehicle on each piece.

    Stage k ignites at t_ign_k (stage 1 at 0; t_ign_{k+1} = t_ign_k + t_burn_k + coast_k), burns on
    [t_ign_k, t_ign_k + t_burn_k) with ṁ_k = m_prop_k / t_burn_k, and drops its dry mass at burnout.
    """
    stages = m.stages
    t_ign, stack = [], []  # ignition times; mass of stage k and everything above it
    t = 0.0
    for k, s in enumerate(stages):
        t_ign.append(t)
        stack.append(m.payload_kg + sum(u.propellant_kg + u.dry_kg for u in stages[k:]))
        t += s.burn_time_s + s.coast_s
    t_end = [t_ign[k] + s.burn_time_s for k, s in enumerate(stages)]
    t_v, t_k = m.t_vertical_s, m.t_vertical_s + m.t_kick_s

    cuts = sorted({0.0, t_cut, t_v, t_k, *t_ign, *t_end})
    points = [0.0]
    for c in cuts:
        if _MERGE_S < c <= t_cut and c - points[-1] > _MERGE_S:
            points.append(c)
    if t_cut - points[-1] > _MERGE_S:
        points.append(t_cut)
    points[-1] = t_cut

    phases = []
    for t0, t1 in zip(points[:-1], points[1:]):
        mid = 0.5 * (t0 + t1)
        steer = "vertical" if mid < t_v else ("kick" if mid < t_k else "turn")
        burning = [k for k in range(len(stages)) if t_ign[k] <= mid < t_end[k]]
        if burning:
            k = burning[0]
            s = stages[k]
            mdot = s.propellant_kg / s.burn_time_s
            phases.append(_Phase(t0, t1, "burn", steer, stack[k], t_ign[k], mdot,
                                 mdot * C.G0_MPS2 * s.isp_vac_s, s.exit_area_m2))
        else:  # coasting after stage k burned out, before stage k + 1 ignites
            k = max(j for j in range(len(stages)) if t_end[j] <= mid)
            above = stack[k + 1] if k + 1 < len(stages) else m.payload_kg
            phases.append(_Phase(t0, t1, "coast", mass0_kg=above))
    return phases


class _Model:
    """Right-hand side and events of the 3-DOF equations for one Earth and one missile."""

    def __init__(self, E: _Earth, missile: "Missile | None", azimuth_rad: float, kick_rad: float,
                 ussa76: Callable | None, launch_lat_rad: float = 0.0, launch_lon_rad: float = 0.0):
        self.E = E
        self.missile = missile
        self.azimuth = azimuth_rad
        # the launch direction: horizontal at the launch point, Earth-fixed axes (n̂, ê there; at a
        # pole the limits along the launch meridian)
        _, n0, e0 = _enu_axes(launch_lat_rad, launch_lon_rad)
        self.h0_ecef = math.cos(azimuth_rad) * n0 + math.sin(azimuth_rad) * e0
        self.kick = kick_rad
        self.ussa76 = ussa76
        if missile is not None:
            cd = np.asarray(missile.cd_mach, dtype=float)
            self.cd_mach, self.cd_value = cd[:, 0].copy(), cd[:, 1].copy()

    # -- geometry helpers --
    def v_rel(self, y: np.ndarray) -> np.ndarray:
        """Air-relative velocity v_rel = v_eci - ω ẑ × r_eci (ECI axes)."""
        w = self.E.omega
        return np.array([y[3] + w * y[1], y[4] - w * y[0], y[5]])

    def altitude(self, y: np.ndarray) -> float:
        return _ecef_to_geodetic(y[0], y[1], y[2], self.E.a, self.E.b)[2]

    def mach(self, y: np.ndarray) -> float:
        """Mach number |v_rel| / a(h), with a(h) held at its 0 and 1,000 km values outside."""
        h = min(max(self.altitude(y), 0.0), ATMOSPHERE_TOP_M)
        v = self.v_rel(y)
        return math.sqrt(v @ v) / float(self.ussa76(h).sound_speed_mps)

    def climb_rate(self, y: np.ndarray) -> float:
        """dh/dt = n̂ · v_rel with n̂ the geodetic normal (the gradient of the geodetic height)."""
        lat, lon, _ = _ecef_to_geodetic(y[0], y[1], y[2], self.E.a, self.E.b)
        up, _, _ = _enu_axes(lat, lon)
        return float(up @ self.v_rel(y))

    def thrust_direction(self, ph: _Phase, t: float, y: np.ndarray, v_rel: np.ndarray) -> np.ndarray:
        """Unit thrust vector (ECI axes) of the steering law in flight-model.md.

        û ∝ (x/a², y/a², z/b²) (the ellipsoid normal through the point; rotation about z leaves
        this form unchanged, so ECI coordinates can be used), with n̂, ê the north and east
        orthogonal to it. Vertical: û. Kick: cos θ û + sin θ ĥ, θ = δ (t - t_vertical) / t_kick,
        ĥ the launch direction h₀ (cos A n̂ + sin A ê at the launch point, Earth-fixed), turned into
        ECI by Rz(ωt) and projected on the current horizontal plane. Turn: v_rel / |v_rel| (û while
        v_rel = 0).
        """
        E = self.E
        if ph.steer == "turn":
            speed = math.sqrt(v_rel @ v_rel)
            if speed > 0.0:
                return v_rel / speed
        x, yy, z = y[0], y[1], y[2]
        lat_n = math.atan2(z / (E.b * E.b), math.hypot(x, yy) / (E.a * E.a))
        up, _, _ = _enu_axes(lat_n, math.atan2(yy, x))
        if ph.steer != "kick":
            return up
        theta = self.kick * (t - self.missile.t_vertical_s) / self.missile.t_kick_s
        c, s = math.cos(E.omega * t), math.sin(E.omega * t)
        h0 = self.h0_ecef
        h = np.array([c * h0[0] - s * h0[1], s * h0[0] + c * h0[1], h0[2]])
        p = h - (h @ up) * up
        p = p / math.sqrt(p @ p)
        return math.cos(theta) * up + math.sin(theta) * p

    # -- equations of motion --
    def derivatives(self, t: float, y: np.ndarray, ph: _Phase) -> np.ndarray:
        """dy/dt = (v, g(r) + a_thrust + a_drag) for the state y = (r_eci_m, v_eci_mps)."""
        E = self.E
        acc = np.array(_gravity(y[0], y[1], y[2], E))
        need_air = E.air and (ph.kind != "ballistic" or math.isfinite(ph.beta_kgm2))
        if need_air:
            h = self.altitude(y)
            rho, p, sound = _air(h, self.ussa76)
        else:
            rho, p, sound = 0.0, 0.0, math.nan
        v_rel = self.v_rel(y)
        speed = math.sqrt(v_rel @ v_rel)
        if ph.kind == "ballistic":
            if rho > 0.0:  # a_D = -0.5 ρ |v_rel| v_rel / β
                acc -= (0.5 * rho * speed / ph.beta_kgm2) * v_rel
        else:
            mass = ph.mass(t)
            if rho > 0.0:  # a_D = -0.5 ρ |v_rel| v_rel Cd(M) S / m, M = |v_rel| / a(h)
                cd = float(np.interp(speed / sound, self.cd_mach, self.cd_value))
                acc -= (0.5 * rho * speed * cd * self.missile.ref_area_m2 / mass) * v_rel
            if ph.kind == "burn":  # T = ṁ g0 Isp_vac - p(h) A_exit, floored at 0
                thrust = max(ph.thrust_vac_n - p * ph.exit_area_m2, 0.0)
                acc += (thrust / mass) * self.thrust_direction(ph, t, y, v_rel)
        return np.concatenate((y[3:], acc))


# ---- integration -----------------------------------------------------------------------------

def _atmosphere_kinks_m() -> tuple[float, ...]:
    """Geometric altitudes (m) where USSA76 density, pressure or sound speed has a corner or step.

    The seven lower layers meet at geopotential 11, 20, 32, 47, 51, 71 km' (Table 4), at geometric
    Z = r0 H / (r0 - H), r0 = 6,356,766 m (eq. 18); the upper model starts at 86 km and changes its
    temperature law at 91, 110, 120 km (eqs. 25-30); hydrogen enters at 150 km and diffuses freely
    above 500 km (eq. 39); the model ends at 1,000 km (NOAA-S/T 76-1562, 1976).
    """
    r0 = 6_356_766.0
    lower = tuple(r0 * h / (r0 - h) for h in (11e3, 20e3, 32e3, 47e3, 51e3, 71e3))
    return lower + (86e3, 91e3, 110e3, 120e3, 150e3, 500e3, ATMOSPHERE_TOP_M)


ATMOSPHERE_KINKS_M = _atmosphere_kinks_m()
"""Altitudes at which the integration is stopped and restarted when the air acts on the body."""


def _switches(model: "_Model", ph: _Phase) -> list[Callable]:
    """Scalar functions whose zeros are corners of the right-hand side inside a phase.

    A corner (a jump of a derivative) inside a step degrades DOP853's error estimate, so the
    integration is stopped at each and restarted: altitude crossing a USSA76 layer boundary
    (when air acts: boost, or ballistic with finite β) and, while the booster flies with its
    Cd(Mach) table, Mach crossing a table point.
    """
    E = model.E
    if not E.air or (ph.kind == "ballistic" and not math.isfinite(ph.beta_kgm2)):
        return []
    out: list[Callable] = [(lambda t, y, ph, hb=hb: model.altitude(y) - hb) for hb in ATMOSPHERE_KINKS_M]
    if ph.kind != "ballistic":
        out += [(lambda t, y, ph, mk=mk: model.mach(y) - mk) for mk in model.cd_mach if mk > 0.0]
    return out


def _fly_phase(model: "_Model", ph: _Phase, t1: float, y0: np.ndarray, rtol: float):
    """Integrate one phase from (ph.t0, y0) to t1 or impact, restarting at every switch.

    Returns (t (n,), y (n, 6), highest geodetic altitude, impact (t, y) or None). After a switch
    fires crossing one way, it is armed only for the opposite way, so a restart that lands a
    hair before its zero does not fire again at once.
    """

    def impact(t, y, ph):
        return model.altitude(y)

    def apogee(t, y, ph):
        return model.climb_rate(y)

    impact.terminal, impact.direction = True, -1.0
    apogee.terminal, apogee.direction = False, -1.0
    switches = _switches(model, ph)
    armed = [0.0] * len(switches)  # allowed crossing direction of each switch (0 = both)

    t0, y = ph.t0, np.asarray(y0, dtype=float)
    ts, ys, top, hit = [], [], model.altitude(y), None
    for _ in range(10_000):
        events = [impact, apogee]
        for fn, d in zip(switches, armed):
            fn.terminal, fn.direction = True, d
            events.append(fn)
        sol = solve_ivp(model.derivatives, (t0, t1), y, method="DOP853", rtol=rtol, atol=ATOL,
                        max_step=MAX_STEP_S, events=events, args=(ph,), dense_output=True)
        if sol.status < 0:
            raise BmdcheckError(f"reference integration failed at t = {sol.t[-1]:.3f} s: {sol.message}")
        t_end = sol.t[-1]
        grid = np.arange(math.floor(t0 / SAMPLE_S) + 1, math.ceil(t_end / SAMPLE_S)) * SAMPLE_S
        grid = grid[(grid > t0) & (grid < t_end) & ~np.isin(grid, sol.t)]
        t_seg = np.concatenate((sol.t[1:], grid))
        dense = sol.sol(grid) if grid.size else np.empty((6, 0))
        y_seg = np.concatenate((sol.y[:, 1:], dense), axis=1).T
        order = np.argsort(t_seg, kind="stable")
        ts.append(t_seg[order])
        ys.append(y_seg[order])
        for yk in (*sol.y.T, *sol.y_events[1]):
            top = max(top, model.altitude(yk))
        if sol.status == 1 and len(sol.t_events[0]):
            hit = (float(sol.t_events[0][0]), sol.y_events[0][0].copy())
            break
        if sol.status == 0:  # reached t1
            break
        fired = [k for k in range(len(switches)) if len(sol.t_events[2 + k])]
        for k in fired:  # re-arm for the other way: known if armed one way, else from the sign before
            if armed[k] == 0.0:
                armed[k] = 1.0 if switches[k](sol.t[-2], sol.y[:, -2], ph) > 0.0 else -1.0
            else:
                armed[k] = -armed[k]
        t0, y = t_end, sol.y[:, -1].copy()
    else:
        raise BmdcheckError("reference integration: too many restarts")
    return np.concatenate(ts), np.concatenate(ys, axis=0), top, hit


# ---- public API ------------------------------------------------------------------------------

def burnout_state_eci(lat_deg: float, lon_deg: float, alt_m: float, speed_mps: float,
                      flight_path_deg: float, azimuth_deg: float, *, earth: str = "wgs84",
                      rotation: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Turn an Earth-relative burnout state into ECI position and velocity at t = 0.

    Inputs: geodetic latitude, longitude (deg) and height (m); Earth-relative speed (m/s),
    flight-path angle above the geodetic horizontal and azimuth clockwise from north (deg).
    Returns ``(r_eci_m (3,), v_eci_mps (3,))``:
    v_rel = V (cos γ cos ψ n̂ + cos γ sin ψ ê + sin γ û), û the geodetic normal, and
    v_eci = v_rel + ω ẑ × r (flight-model.md, "Burnout state given by the user").
    """
    E = _make_earth(earth, "point", rotation, "none")
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    r = _geodetic_to_ecef(lat, lon, alt_m, E.a, E.b)
    up, north, east = _enu_axes(lat, lon)
    g, psi = math.radians(flight_path_deg), math.radians(azimuth_deg)
    v_rel = speed_mps * (math.cos(g) * math.cos(psi) * north + math.cos(g) * math.sin(psi) * east
                         + math.sin(g) * up)
    return r, v_rel + E.omega * np.array([-r[1], r[0], 0.0])


def _missile_start(missile, E, launch_lat_deg, launch_lon_deg, t_cut_s):
    """A launch at rest on the ground: (r0, v0) ECI at t = 0, the cut-off, the boost phases and β."""
    burn_end = missile.burn_end_s
    t_cut = burn_end if t_cut_s is None else float(t_cut_s)
    if not (0.0 < t_cut <= burn_end * (1.0 + 1e-12)):
        raise BmdcheckError(f"t_cut_s must be in (0, {burn_end:g}] s, got {t_cut_s}")
    t_cut = min(t_cut, burn_end)
    r0 = _geodetic_to_ecef(math.radians(launch_lat_deg), math.radians(launch_lon_deg), 0.0, E.a, E.b)
    v0 = E.omega * np.array([-r0[1], r0[0], 0.0])
    return r0, v0, t_cut, _boost_phases(missile, t_cut), missile.rv_beta_kgm2


def _free_start(r0_eci_m, v0_eci_mps, beta_kgm2):
    """A free body from a given ECI state: (r0, v0), no boost (cut-off 0, no phases) and β."""
    if r0_eci_m is None or v0_eci_mps is None:
        raise BmdcheckError("free-body mode needs r0_eci_m and v0_eci_mps (or give a missile)")
    r0 = np.asarray(r0_eci_m, dtype=float).reshape(3)
    v0 = np.asarray(v0_eci_mps, dtype=float).reshape(3)
    if not (np.all(np.isfinite(r0)) and np.all(np.isfinite(v0))):
        raise BmdcheckError("r0_eci_m and v0_eci_mps must be finite")
    if not (beta_kgm2 > 0.0):
        raise BmdcheckError(f"beta_kgm2 must be positive, got {beta_kgm2}")
    return r0, v0, 0.0, [], float(beta_kgm2)


def _impact(hit, E):
    """(t, r, v, lat_deg, lon_deg, status) of the impact (Earth-fixed geodetic point), or NaNs and
    "duration" without one."""
    if hit is None:
        nan3 = np.full(3, math.nan)
        return math.nan, nan3, nan3.copy(), math.nan, math.nan, "duration"
    t_imp, y_imp = hit
    r_imp, v_imp = y_imp[:3], y_imp[3:]
    ang = E.omega * t_imp  # ECI -> ECEF: rotate by -ωt about z
    x_e = math.cos(ang) * r_imp[0] + math.sin(ang) * r_imp[1]
    y_e = -math.sin(ang) * r_imp[0] + math.cos(ang) * r_imp[1]
    lat, lon, _ = _ecef_to_geodetic(x_e, y_e, r_imp[2], E.a, E.b)
    return t_imp, r_imp, v_imp, math.degrees(lat), math.degrees(lon), "impact"


def fly_reference(missile: "Missile | None" = None, *, launch_lat_deg: float = 0.0,
                  launch_lon_deg: float = 0.0, azimuth_deg: float = 90.0, kick_deg: float = 0.0,
                  t_cut_s: float | None = None, r0_eci_m=None, v0_eci_mps=None,
                  beta_kgm2: float = float("inf"), earth: str = "wgs84", gravity: str = "j2",
                  rotation: bool = True, atmosphere: str = "ussa76", duration_s: float | None = None,
                  rtol: float = 1e-10) -> ReferenceResult:
    """Fly one trajectory of the 3-DOF model with SciPy's DOP853, to impact or for a duration.

    With ``missile``: launch at rest from geodetic (``launch_lat_deg``, ``launch_lon_deg``, 0) at
    t = 0, boost with vertical rise, pitch kick of ``kick_deg`` toward ``azimuth_deg`` (clockwise
    from north) and gravity turn, cut thrust at ``t_cut_s`` (default: end of the last stage's
    burn), then fly the payload ballistically with ``missile.rv_beta_kgm2``.
    Without a missile (free-body mode): fly from ``r0_eci_m``, ``v0_eci_mps`` (3,) at t = 0 with
    ballistic coefficient ``beta_kgm2`` (kg/m², inf = no drag).
    Earth: ``earth`` "wgs84" | "spherical", ``gravity`` "point" | "j2", ``rotation``,
    ``atmosphere`` "ussa76" | "none". ``duration_s``: stop at this time after t = 0 (default
    ``MAX_FLIGHT_S`` after burnout). ``rtol``: DOP853 relative tolerance (atol: ``ATOL``).
    Returns a :class:`ReferenceResult`. Model and sources: docs/design/flight-model.md.
    """
    E = _make_earth(earth, gravity, rotation, atmosphere)
    if not (0.0 < rtol < 1e-3):
        raise BmdcheckError(f"rtol must be in (0, 1e-3), got {rtol}")
    if duration_s is not None and not (duration_s > 0.0):
        raise BmdcheckError(f"duration_s must be positive, got {duration_s}")
    ussa76 = _load_ussa76() if E.air else None

    if missile is not None:
        if r0_eci_m is not None or v0_eci_mps is not None:
            raise BmdcheckError("give either a missile or a free-body initial state, not both")
        r0, v0, t_cut, phases, beta = _missile_start(missile, E, launch_lat_deg, launch_lon_deg, t_cut_s)
    else:
        r0, v0, t_cut, phases, beta = _free_start(r0_eci_m, v0_eci_mps, beta_kgm2)
    t_stop = t_cut + MAX_FLIGHT_S if duration_s is None else float(duration_s)
    phases.append(_Phase(t_cut, max(t_stop, t_cut), "ballistic", beta_kgm2=beta))

    model = _Model(E, missile, math.radians(azimuth_deg), math.radians(kick_deg), ussa76,
                   math.radians(launch_lat_deg), math.radians(launch_lon_deg))
    y = np.concatenate((r0, v0))
    ts, ys = [np.array([0.0])], [y[None, :]]
    apogee_alt = model.altitude(y)
    burnout = (math.nan, np.full(3, math.nan), np.full(3, math.nan))
    if missile is None:
        burnout = (0.0, r0.copy(), v0.copy())
    hit = None
    for ph in phases:
        t1 = min(ph.t1, t_stop)
        if t1 <= ph.t0:
            break
        if ph.kind == "ballistic" and missile is not None:
            burnout = (ph.t0, y[:3].copy(), y[3:].copy())
        t_seg, y_seg, top, hit = _fly_phase(model, ph, t1, y, rtol)
        ts.append(t_seg)
        ys.append(y_seg)
        apogee_alt = max(apogee_alt, top)
        y = y_seg[-1].copy() if hit is None else hit[1]
        if hit is not None:
            break

    t_imp, r_imp, v_imp, lat_deg, lon_deg, status = _impact(hit, E)

    return ReferenceResult(
        t_impact_s=t_imp, r_impact_eci_m=r_imp, v_impact_eci_mps=v_imp,
        impact_lat_deg=lat_deg, impact_lon_deg=lon_deg,
        t_burnout_s=burnout[0], r_burnout_eci_m=burnout[1], v_burnout_eci_mps=burnout[2],
        apogee_alt_m=float(apogee_alt), status=status,
        t_s=np.concatenate(ts), y=np.concatenate(ys, axis=0),
    )
