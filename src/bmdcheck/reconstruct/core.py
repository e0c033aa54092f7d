"""``reconstruct``: from an observed test (apogee, range, flight time) to the burnout state and the
range the missile would have on a standard (minimum-energy) trajectory.

Two models, as in the published analyses:

1. vacuum Kepler on the 6,371 km sphere (:mod:`.vacuum`), always;
2. with a launch point and direction, the project's flight model (:mod:`.full`): WGS84, J2, rotation,
   USSA76 drag on the re-entry body, and from that burnout speed the maximum range due east, due
   west, along the test's azimuth and toward named aim points on the rotating Earth.

Every output is also computed at the corners of the observation's stated precision (``±``), which
gives the ``uncertainty`` intervals. The JSON fields and conventions: docs/CONVENTIONS.md.
"""

from __future__ import annotations

import itertools
import math

from ..earth.frames import geodesic_inverse
from ..earth.model import EarthModel
from ..errors import BmdcheckError, InputError
from ..validate import check_latlon, check_position
from . import full, vacuum
from .observation import parse_measured

DEFAULT_BETA_KGM2 = 12_000.0
"""Ballistic coefficient of the re-entry body in the full model, kg/m2: [U] mid-range of the
100-150 kN/m2 commonly cited for modern RVs (as the catalogue's topol-m rv_beta_kgm2); sweep with
``--ballistic-coefficient``."""
BOOST_TIME_MAX_S = 400.0
"""Longest powered flight assumed when the boost time is not given, s: [C] 1.6 x the ~250 s boost of a
liquid ICBM ([V] IEEE Spectrum, Mar 2005, with the APS 2003 boost-phase study); every catalogue
missile burns out within 240 s."""
FULL_BURNOUT_ALT_KM = 200.0
"""Burnout altitude of the full model when none is given, km (or half the apogee, if lower): [C] the
catalogue ICBMs burn out at 167-208 km on their maximum-range trajectories (docs/VALIDATION.md).
Without a launch point (vacuum model only) the default is 0 km, the textbook impulsive burnout at
the surface."""
TIME_MODEL_ALLOWANCE = 0.03
"""Relative allowance on the reconstructed free-flight time in the flight-time check: the vacuum and
full models differ from each other by up to ~2 % of the free-flight time for the lofted tests of
docs/validation/reconstruct.md (drag, J2, ellipsoid, rotation)."""


def parse_aim(text: str) -> tuple[str, float, float]:
    """``NAME=LAT,LON`` (or ``LAT,LON``, named by its coordinates) -> (name, lat, lon)."""
    s = str(text)
    name, _, pos = s.rpartition("=")
    parts = [p.strip() for p in pos.split(",")]
    try:
        lat, lon = (float(p) for p in parts)
    except ValueError:
        raise InputError(f"expected NAME=LAT,LON in degrees, got {text!r}", param="aim") from None
    lat, lon = check_latlon(lat, lon, "aim")
    return (name.strip() or pos.strip()), lat, lon


def _corners(obs: dict) -> list[dict]:
    """The centre and every corner of the box value ± sigma of the measured quantities."""
    keys = [k for k, m in obs.items() if m.sigma > 0]
    out = [{k: m.value for k, m in obs.items()}]
    for signs in itertools.product((-1.0, 1.0), repeat=len(keys)):
        d = {k: m.value for k, m in obs.items()}
        for k, s in zip(keys, signs):
            d[k] = obs[k].value + s * obs[k].sigma
        out.append(d)
    return out


def _one(apogee_km, range_km, burnout_km, launch, azimuth_deg, directions, beta, earth) -> dict:
    """Reconstruction at one point of the observation box (the numbers only)."""
    vb = vacuum.burnout_from_apogee_range(apogee_km * 1e3, range_km * 1e3, burnout_km * 1e3)
    res = {"vacuum_speed": vb.speed_mps, "vacuum_angle": vb.flight_path_angle_deg,
           "vacuum_time": vb.free_flight_time_s, "branch": vb.branch,
           "standard_range_km": vacuum.standard_range_m(vb.speed_mps, burnout_km * 1e3) / 1e3}
    if launch is None:
        res.update(speed=vb.speed_mps, angle=vb.flight_path_angle_deg, time=vb.free_flight_time_s)
        return res
    lat, lon = launch
    v, g, t = full.burnout_full(lat, lon, azimuth_deg, apogee_km * 1e3, range_km * 1e3, burnout_km * 1e3, beta,
                                earth, vb.speed_mps, vb.flight_path_angle_deg)
    res.update(speed=v, angle=g, time=t)
    names = list(directions)
    rot = full.max_range_m(lat, lon, burnout_km * 1e3, v, [directions[n] for n in names], beta, earth) / 1e3
    res["rotating"] = dict(zip(names, rot.tolist()))
    nonrot = EarthModel(earth.shape, earth.gravity, False, earth.atmosphere)
    res["model_standard_range_km"] = float(full.max_range_m(lat, lon, burnout_km * 1e3, v, [azimuth_deg], beta,
                                                            nonrot)[0] / 1e3)
    return res


def _finite(x):
    return None if x is None or not math.isfinite(x) else float(x)


def _span(runs, key, sub=None):
    """[min, max] of a result over the corners of the precision box (finite values), or None."""
    xs = [r[key] if sub is None else r[key][sub] for r in runs]
    xs = [x for x in xs if math.isfinite(x)]
    return [min(xs), max(xs)] if xs else None


def _document(runs, obs, t_obs, launch, azimuth_deg, boost, beta, earth, directions, aim_rows) -> dict:
    """The ``reconstruct --json`` document (without assumptions) from the corner runs; the nominal
    corner first."""
    c0 = runs[0]
    bt = 0.0 if boost is None else boost
    doc = {
        "observation": {k: m.to_dict() for k, m in obs.items()} | {
            "flight_time_s": None if t_obs is None else t_obs.to_dict(),
            "from": None if launch is None else {"lat": launch[0], "lon": launch[1]},
            "azimuth_deg": azimuth_deg},
        "model": "vacuum-kepler" if launch is None else "full",
        "burnout_speed_mps": c0["speed"],
        "burnout_angle_deg": c0["angle"],
        "burnout_altitude_km": obs["burnout_altitude_km"].value,
        "branch": c0["branch"],
        "boost_time_s": bt,
        "free_flight_time_s": c0["time"],
        "flight_time_s": bt + c0["time"],
        "standard_range_km": _finite(c0["standard_range_km"]),
        "vacuum": {"burnout_speed_mps": c0["vacuum_speed"], "burnout_angle_deg": c0["vacuum_angle"],
                   "free_flight_time_s": c0["vacuum_time"], "standard_range_km": _finite(c0["standard_range_km"])},
    }
    unc = {"burnout_speed_mps": _span(runs, "speed"), "burnout_angle_deg": _span(runs, "angle"),
           "flight_time_s": [bt + x for x in _span(runs, "time")], "standard_range_km": _span(runs, "standard_range_km")}
    if launch is not None:
        doc["full_model"] = {"ballistic_coefficient_kgm2": beta,
                             "earth": {"shape": earth.shape, "gravity": earth.gravity, "rotation": earth.rotation,
                                       "atmosphere": earth.atmosphere},
                             "standard_range_nonrotating_km": _finite(c0["model_standard_range_km"])}
        doc["standard_range_rotating_km"] = _finite(c0["rotating"]["test_azimuth"])
        doc["standard_range_rotating_by_direction_km"] = {k: _finite(v) for k, v in c0["rotating"].items()}
        for row in aim_rows:
            rr = c0["rotating"][row["name"]]
            row["standard_range_km"] = _finite(rr)
            row["reaches"] = bool(math.isfinite(rr) and rr >= row["distance_km"])
        doc["aims"] = aim_rows
        unc["standard_range_rotating_km"] = _span(runs, "rotating", "test_azimuth")
        unc["standard_range_rotating_by_direction_km"] = {k: _span(runs, "rotating", k) for k in directions}
    doc["uncertainty"] = unc
    doc["flight_time_check"] = None if t_obs is None else _flight_time_check(runs, obs, t_obs, boost)
    return doc


def _flight_time_check(runs, obs, t_obs, boost) -> dict:
    """The observed flight time against the one the reconstruction implies (boost time and a model
    allowance added); BmdcheckError when they are inconsistent beyond the stated precision."""
    t_lo, t_hi = _span(runs, "time")
    b_lo, b_hi = (0.0, BOOST_TIME_MAX_S) if boost is None else (boost, boost)
    lo = b_lo + t_lo * (1 - TIME_MODEL_ALLOWANCE)
    hi = b_hi + t_hi * (1 + TIME_MODEL_ALLOWANCE)
    if t_obs.hi < lo or t_obs.lo > hi:
        what = "too short" if t_obs.hi < lo else "too long"
        raise BmdcheckError(
            f"flight time {t_obs.value:,.0f}±{t_obs.sigma:g} s is {what} for an apogee of "
            f"{obs['apogee_km'].value:,.0f} km and a range of {obs['range_km'].value:,.0f} km: the reconstructed "
            f"free flight takes {t_lo:,.0f}-{t_hi:,.0f} s, so launch to impact is {lo:,.0f}-{hi:,.0f} s "
            f"(boost {b_lo:g}-{b_hi:g} s, model allowance {100 * TIME_MODEL_ALLOWANCE:g} %)")
    return {"observed_s": t_obs.value, "plus_minus_s": t_obs.sigma, "implied_min_s": lo, "implied_max_s": hi,
            "boost_time_implied_s": t_obs.value - runs[0]["time"], "consistent": True}


def reconstruct(apogee_km, range_km, *, flight_time_s=None, launch=None, azimuth_deg=None, burnout_altitude_km=None,
                boost_time_s=None, aims=(), ballistic_coefficient_kgm2: float = DEFAULT_BETA_KGM2,
                earth: EarthModel = EarthModel()) -> dict:
    """Reconstruct the burnout state of an observed flight; returns the ``reconstruct --json`` document.

    ``apogee_km``, ``range_km``, ``flight_time_s``, ``burnout_altitude_km``: numbers, or strings with a
    precision (``"1250±25"``). ``launch``: (lat, lon) and ``azimuth_deg`` select the full model;
    ``burnout_altitude_km`` defaults to 0 (vacuum only) or FULL_BURNOUT_ALT_KM (with a launch point).
    ``aims``: (name, lat, lon) for rotating standard ranges toward them. Raises BmdcheckError on bad
    input, including a flight time inconsistent with the apogee and range beyond the stated precision.
    """
    if burnout_altitude_km is None:
        burnout_altitude_km = "0"
        if launch is not None:  # 200 km, or half the (lowest) apogee if that is lower
            a = parse_measured(apogee_km, "apogee_km")
            burnout_altitude_km = repr(min(FULL_BURNOUT_ALT_KM, 0.5 * a.lo))
    obs = {"apogee_km": parse_measured(apogee_km, "apogee_km"), "range_km": parse_measured(range_km, "range_km"),
           "burnout_altitude_km": parse_measured(burnout_altitude_km, "burnout_altitude_km")}
    t_obs = None if flight_time_s is None else parse_measured(flight_time_s, "flight_time_s")
    if t_obs is not None and not t_obs.value > 0:
        raise InputError(f"must be positive, got {t_obs.value:g}", param="flight_time_s")
    boost = None
    if boost_time_s is not None:
        boost = float(boost_time_s)
        if not (math.isfinite(boost) and boost >= 0):
            raise InputError(f"must be a non-negative number of seconds, got {boost_time_s}", param="boost_time_s")
    if launch is not None:
        launch = check_position(launch, "launch", allow_alt=False)
    if (launch is None) != (azimuth_deg is None):
        raise InputError("the full model needs both launch and azimuth_deg (or neither)", param="azimuth_deg")
    if aims and launch is None:
        raise InputError("aim points need launch and azimuth_deg (rotating-Earth ranges)", param="aims")
    beta = float(ballistic_coefficient_kgm2)
    if not beta > 0:
        raise InputError(f"must be positive, got {beta:g}", param="ballistic_coefficient_kgm2")
    # every corner must be a valid observation: check the geometry at the box's edges first
    for c in _corners(obs):
        vacuum.check_geometry(c["apogee_km"] * 1e3, c["range_km"] * 1e3, c["burnout_altitude_km"] * 1e3)
    directions: dict = {}
    aim_rows = []
    if launch is not None:
        azimuth_deg = float(azimuth_deg)
        if not math.isfinite(azimuth_deg):
            raise InputError("must be a finite number of degrees", param="azimuth_deg")
        directions = {"east": 90.0, "west": 270.0, "test_azimuth": azimuth_deg % 360.0}
        for name, lat, lon in aims:
            if name in directions:
                raise InputError(f"name {name!r} is used twice or is reserved (east, west, test_azimuth)", param="aims")
            d, az = geodesic_inverse(launch[0], launch[1], lat, lon, earth)
            directions[name] = float(az)
            aim_rows.append({"name": name, "lat": lat, "lon": lon, "azimuth_deg": float(az),
                             "distance_km": float(d) / 1e3})
    runs = [_one(c["apogee_km"], c["range_km"], c["burnout_altitude_km"], launch, azimuth_deg, directions, beta, earth)
            for c in _corners(obs)]
    doc = _document(runs, obs, t_obs, launch, azimuth_deg, boost, beta, earth, directions, aim_rows)
    doc["assumptions"] = {
        "range": "great-circle surface distance from the point below burnout (= the launch point) to the impact; "
                 "boost-phase ground distance neglected",
        "vacuum_earth": "sphere R = 6,371 km, point-mass gravity, no rotation, no atmosphere",
        "burnout_altitude_km": obs["burnout_altitude_km"].value,
        "boost_time_s": boost, "boost_time_max_s": BOOST_TIME_MAX_S, "time_model_allowance": TIME_MODEL_ALLOWANCE,
    }
    return doc
