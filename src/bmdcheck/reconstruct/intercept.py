"""``reconstruct-intercept``: the lowest interceptor burnout speed an announced intercept test shows.

Geometry: an interceptor site (geodetic, on the rotating WGS84 Earth; ECI = ECEF at t = 0) and an
intercept point, either given (lat, lon, altitude) or found on a target trajectory (flown by the
project's model, or sampled in a threat file as for ``engage --threat-file``) (the first crossing of an intercept altitude, descending unless asked otherwise),
and the interceptor's time of flight (launch to intercept), given or implied by announced launch and
intercept times. Times share one scale (s after the target's launch when a target is flown).

Two bounds, one per reach model of ``bmdcheck engage`` (docs/CONVENTIONS.md):

- **Lambert** (vacuum, instantaneous burn): the interceptor leaves its site (turning with the Earth)
  at launch + burn time and coasts on the two-body conic (``defence.lambert.izzo2015``, short way)
  to the intercept point at the intercept time; the bound is the speed change relative to the site's
  inertial velocity, ``|v1 - omega z x r1|``. Without a time of flight, the smallest such speed over
  times of flight up to ``TOF_MAX_S`` (scan of 400 times, then a bounded Brent minimisation).
- **Fly-out table** (``--flyout``): the smallest burnout speed whose fly-out table
  (``defence.flyout.booster_for`` and ``build_table`` with ``FLYOUT_KICKS`` kicks: booster flown through the atmosphere, earliest arrival at each
  ground range and altitude) reaches the intercept point within the time of flight, bracketed by
  bisection to ``FLYOUT_RESOLUTION_MPS``. It assumes reach grows with burnout speed (as the
  bisection of ``engage --threshold`` does).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize_scalar

from ..earth.frames import ecef_to_geodetic, geodetic_to_ecef
from ..earth.model import EarthModel
from ..errors import BmdcheckError, InputError

TOF_MAX_S = 3600.0
"""Longest interceptor time of flight searched when none is announced, s (the fly-out tables'
limit, docs/CONVENTIONS.md)."""
FLYOUT_RESOLUTION_MPS = 25.0
"""Bracket width of the fly-out-table bound, m/s."""
FLYOUT_KICKS = 120
"""Kicks per fan of each fly-out table built in the bisection (the engagement tables use 300)."""


def _rot(r_ecef, t_s, omega):
    """ECEF -> ECI at time t (ECI = ECEF at t = 0, Earth turning about +z)."""
    c, s = math.cos(omega * t_s), math.sin(omega * t_s)
    x, y, z = r_ecef
    return np.array([c * x - s * y, s * x + c * y, z])


def lambert_speed_mps(site_ecef_m, point_ecef_m, tof_s: float, burn_time_s: float = 0.0,
                      earth: EarthModel = EarthModel()) -> float:
    """Speed change (m/s) relative to the turning site for the two-body arc from the site at
    ``burn_time_s`` after launch to the point ``tof_s`` after launch; NaN if no arc (short way)."""
    from ..defence.lambert import izzo2015

    coast = tof_s - burn_time_s
    if not coast > 0:
        return math.nan
    w = earth.omega_rad_s
    r1 = _rot(np.asarray(site_ecef_m, float), burn_time_s, w)
    r2 = _rot(np.asarray(point_ecef_m, float), tof_s, w)
    v1, _, ok = izzo2015(r1, r2, float(coast), earth.mu, True)
    if not ok:
        return math.nan
    v_site = np.array([-w * r1[1], w * r1[0], 0.0])
    return float(np.linalg.norm(v1 - v_site))


def lambert_min_over_tof(site_ecef_m, point_ecef_m, burn_time_s: float = 0.0, earth: EarthModel = EarthModel(),
                         tof_max_s: float = TOF_MAX_S) -> tuple[float, float]:
    """(speed_mps, tof_s): the smallest Lambert speed over times of flight in (burn, tof_max]."""
    lo = burn_time_s + 1.0
    grid = np.linspace(lo, tof_max_s, 400)
    dv = np.array([lambert_speed_mps(site_ecef_m, point_ecef_m, t, burn_time_s, earth) for t in grid])
    if not np.any(np.isfinite(dv)):
        raise BmdcheckError("no two-body arc reaches the intercept point")
    k = int(np.nanargmin(dv))
    a, b = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
    res = minimize_scalar(lambda t: lambert_speed_mps(site_ecef_m, point_ecef_m, t, burn_time_s, earth),
                          bounds=(a, b), method="bounded", options={"xatol": 1e-3})
    if res.fun <= dv[k]:
        return float(res.fun), float(res.x)
    return float(dv[k]), float(grid[k])


def crossing(t_s, r_eci_m, alt_km: float, branch: str = "descending", earth: EarthModel = EarthModel()):
    """(t_s, lat, lon, alt_km) where sampled ECI positions (t_s (M,), r_eci_m (M, 3)) first cross
    ``alt_km`` on ``branch`` (after / before the highest sample), linear between samples."""
    t = np.asarray(t_s, float)
    r = np.asarray(r_eci_m, float)
    w = earth.omega_rad_s
    c, s = np.cos(w * t), np.sin(w * t)  # ECI -> ECEF, Rz(-w t)
    ecef = np.column_stack([c * r[:, 0] + s * r[:, 1], -s * r[:, 0] + c * r[:, 1], r[:, 2]])
    _, _, alt_m = ecef_to_geodetic(ecef, earth)
    alt = alt_m / 1e3
    i_apo = int(np.argmax(alt))
    if not (alt_km < alt[i_apo]):
        raise BmdcheckError(f"intercept altitude {alt_km:g} km is above the target's apogee {alt[i_apo]:,.1f} km")
    if branch == "descending":
        seg = np.nonzero((alt[i_apo:-1] >= alt_km) & (alt[i_apo + 1:] < alt_km))[0]
        if seg.size == 0:
            raise BmdcheckError(f"the target's samples end before it comes down through {alt_km:g} km")
        j = i_apo + int(seg[0])
    else:
        seg = np.nonzero((alt[:i_apo] < alt_km) & (alt[1:i_apo + 1] >= alt_km))[0]
        if seg.size == 0:
            raise BmdcheckError(f"the target starts above {alt_km:g} km: no ascending crossing")
        j = int(seg[0])
    f = (alt_km - alt[j]) / (alt[j + 1] - alt[j])
    rr = r[j] + f * (r[j + 1] - r[j])
    tc = float(t[j] + f * (t[j + 1] - t[j]))
    lat, lon, h = ecef_to_geodetic(_rot(rr, -tc, w)[None, :], earth)
    return tc, float(lat[0]), float(lon[0]), float(h[0] / 1e3)


def target_crossing(missile: str, launch, aim, alt_km: float, shape: str = "min-energy", branch: str = "descending",
                    apogee_km: float | None = None, earth: EarthModel = EarthModel()):
    """(t_s, lat, lon, alt_km) where the target flown by ``fly`` (1-s samples) first crosses ``alt_km``."""
    from ..flight.trajectory import fly

    tr = fly(missile, launch, aim, shape, apogee_km=apogee_km, earth=earth, sample_interval_s=1.0)
    return crossing(tr.samples.t_s, tr.samples.r_eci_m, alt_km, branch, earth)


def flyout_bound_mps(site_ecef_m, point_ecef_m, tof_s: float, burn_time_s: float, lo_mps: float, hi_mps: float,
                     earth: EarthModel = EarthModel()) -> float | None:
    """Smallest burnout speed (m/s) whose fly-out table reaches the point within ``tof_s``; None if
    even ``hi_mps`` does not. Bisection between ``lo_mps`` and ``hi_mps``."""
    from ..defence.engage import bisect_threshold
    from ..defence.flyout import booster_for, build_table

    site = np.asarray(site_ecef_m, float)
    pt = np.asarray(point_ecef_m, float)
    lat_s, lon_s, _ = ecef_to_geodetic(site[None, :], earth)
    _, _, alt_p = ecef_to_geodetic(pt[None, :], earth)
    u1, u2 = site / np.linalg.norm(site), pt / np.linalg.norm(pt)
    ang = math.atan2(np.linalg.norm(np.cross(u1, u2)), float(u1 @ u2))

    def reaches(v):
        try:
            tab = build_table(booster_for(float(v), float(burn_time_s)), float(tof_s) + 60.0, n_kicks=FLYOUT_KICKS)
        except BmdcheckError:
            return False
        t, _, _ = tab.lookup(ang * tab.r_site_m, float(alt_p[0]))
        return bool(np.isfinite(t) and t <= tof_s)

    if not reaches(hi_mps):
        return None
    if reaches(float(lo_mps)):
        return float(lo_mps)
    return bisect_threshold(reaches, float(lo_mps), float(hi_mps), FLYOUT_RESOLUTION_MPS)


def _position(p, what: str) -> tuple:
    """(lat, lon[, alt_km]) as floats, checked (one-line error naming the parameter)."""
    from ..validate import check_position

    return check_position(p, what)


def _target_point(target: dict, earth):
    """Where and when the target crosses its intercept altitude: (intercept_time_s, (lat, lon, alt_km),
    description), for a flown target or a sampled one."""
    if "t_s" in target:  # sampled trajectory (a threat file)
        t_c, lat, lon, alt = crossing(target["t_s"], target["r_eci_m"], target["alt_km"],
                                      target.get("branch", "descending"), earth)
    else:
        t_c, lat, lon, alt = target_crossing(target["missile"], target["launch"], target["aim"], target["alt_km"],
                                             target.get("shape", "min-energy"), target.get("branch", "descending"),
                                             target.get("apogee_km"), earth)
    t0 = float(target.get("launch_time_s") or 0.0)
    return t0 + t_c, (lat, lon, alt), {"missile": target.get("missile"), "file": target.get("file"),
                                       "launch_time_s": t0, "crossing_time_s": t_c,
                                       "branch": target.get("branch", "descending")}


def _lambert_leg(site_ecef, point_ecef, time_of_flight_s, intercept_time_s, launch_time_s, bt, earth):
    """(Lambert bound m/s, time of flight used s, whether it was given): for the given time of
    flight (or intercept minus launch time), else minimised over the time of flight."""
    if time_of_flight_s is None and intercept_time_s is not None and launch_time_s is not None:
        time_of_flight_s = float(intercept_time_s) - float(launch_time_s)
        if not time_of_flight_s > 0:
            raise BmdcheckError(f"the intercept ({float(intercept_time_s):g} s) is not after the interceptor launch "
                                f"({float(launch_time_s):g} s)")
    elif time_of_flight_s is not None and (launch_time_s is not None and intercept_time_s is not None):
        raise BmdcheckError("give --time-of-flight-s or the launch and intercept times, not both")
    if time_of_flight_s is not None:
        tof = float(time_of_flight_s)
        if not (math.isfinite(tof) and tof > bt):
            raise BmdcheckError(f"time of flight must be longer than the burn time ({bt:g} s), got {time_of_flight_s}")
        dv = lambert_speed_mps(site_ecef, point_ecef, tof, bt, earth)
        if not math.isfinite(dv):
            raise BmdcheckError("no two-body arc joins the site and the intercept point in that time")
        return dv, tof, True
    dv, tof_used = lambert_min_over_tof(site_ecef, point_ecef, bt, earth)
    return dv, tof_used, False


def reconstruct_intercept(site, *, point=None, target=None, intercept_time_s=None, launch_time_s=None,
                          time_of_flight_s=None, burn_time_s: float = 0.0, flyout: bool = False,
                          earth: EarthModel = EarthModel()) -> dict:
    """The ``reconstruct-intercept --json`` document (docs/CONVENTIONS.md).

    ``site``: (lat, lon[, alt_km]); ``point``: (lat, lon, alt_km) of the intercept, or ``target``:
    dict(missile, launch, aim, alt_km, shape, branch, apogee_km, launch_time_s) for a flown target, or
    dict(t_s, r_eci_m, alt_km, branch, launch_time_s, file) for a sampled one (times in its own scale,
    shifted by launch_time_s).
    Time of flight: ``time_of_flight_s``, or ``intercept_time_s - launch_time_s``; with neither, the
    Lambert bound is minimised over the time of flight.
    """
    if (point is None) == (target is None):
        raise InputError("give the intercept point (lat, lon, alt_km) or a target trajectory, not both",
                         param="point")
    site = _position(site, "site")
    if point is not None:
        point = _position(point, "point")
        if len(point) != 3:
            raise InputError("must be (lat, lon, alt_km)", param="point")
    bt = float(burn_time_s)
    if not (math.isfinite(bt) and bt >= 0):
        raise InputError(f"must be >= 0, got {burn_time_s}", param="burn_time_s")
    s_alt = float(site[2]) if len(site) > 2 else 0.0
    site_ecef = geodetic_to_ecef(float(site[0]), float(site[1]), s_alt * 1e3, earth).reshape(3)
    desc = {}
    if target is not None:
        t_crossing, point, desc["target"] = _target_point(target, earth)
        if intercept_time_s is not None:
            raise BmdcheckError("with a target trajectory the intercept time follows from it; drop --intercept-time-s")
        intercept_time_s = t_crossing
    if not (-1.0 <= float(point[2]) <= 5000.0):
        raise BmdcheckError(f"intercept altitude must be within 0-5,000 km, got {point[2]:g}")
    point_ecef = geodetic_to_ecef(float(point[0]), float(point[1]), float(point[2]) * 1e3, earth).reshape(3)
    dv, tof_used, tof_given = _lambert_leg(site_ecef, point_ecef, time_of_flight_s, intercept_time_s, launch_time_s,
                                           bt, earth)
    u1, u2 = site_ecef / np.linalg.norm(site_ecef), point_ecef / np.linalg.norm(point_ecef)
    ground_km = math.atan2(np.linalg.norm(np.cross(u1, u2)), float(u1 @ u2)) * 6_371.0
    doc = {"site": {"lat": float(site[0]), "lon": float(site[1]), "alt_km": s_alt},
           "intercept": {"lat": float(point[0]), "lon": float(point[1]), "alt_km": float(point[2]),
                         "time_s": None if intercept_time_s is None else float(intercept_time_s)},
           "ground_range_km": ground_km, "burn_time_s": bt,
           "time_of_flight_s": tof_used, "time_of_flight_given": tof_given,
           "lambert_bound_mps": dv, "flyout_bound_mps": None}
    doc.update(desc)
    if flyout:
        if not tof_given:
            raise InputError("needs the time of flight (time_of_flight_s, or launch and intercept times)",
                             param="flyout")
        if not bt > 0:
            raise InputError("needs the interceptor's burn time (burn_time_s > 0)", param="flyout")
        doc["flyout_bound_mps"] = flyout_bound_mps(site_ecef, point_ecef, tof_used, bt, 0.4 * dv, 1.2 * dv + 500.0,
                                                   earth)
    cands = [x for x in (doc["lambert_bound_mps"], doc["flyout_bound_mps"]) if x is not None]
    doc["burnout_speed_min_mps"] = min(cands)
    doc["model"] = "flyout-table" if doc["flyout_bound_mps"] is not None and doc["flyout_bound_mps"] <= dv else "lambert"
    return doc
