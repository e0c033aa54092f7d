"""Full-model reconstruction: the burnout state that the flight kernel flies to the observed apogee
and range, and the maximum range of a burnout speed in given directions on the rotating Earth.

Model: the project's free-body flight (``flight.batch.fly_free_batch``): WGS84, J2, Earth rotation,
USSA76 drag on a body of ballistic coefficient beta. The burnout point is at the launch point's
latitude and longitude, at the burnout altitude (geodetic); speed, flight-path angle (above the
geodetic horizontal) and azimuth are Earth-relative, as on the ``fly`` command line. Apogee is the
largest geodetic altitude, range the WGS84 geodesic from the burnout point to the impact, negative
for an impact behind the azimuth (``fly_states``).

Method: Newton's method on (speed, angle) for the two residuals (apogee, range), with the Jacobian
by forward differences; each iteration is one kernel call of three flights. Maximum range: a fan
of flight-path angles (1-60 deg, every degree) per direction in one kernel call, refined around
the best angle (every 0.05 deg) and by a parabola through the three best points.
"""

from __future__ import annotations

import math

import numpy as np

from ..earth.frames import geodesic_inverse
from ..earth.model import EarthModel
from ..errors import BmdcheckError
from ..flight.batch import burnout_state_eci, fly_free_batch

NEWTON_TOL_M = 1.0
"""Both residuals (apogee and range) below this, m, ends the Newton iteration."""


def fly_states(lat_deg: float, lon_deg: float, alt_m: float, speed_mps, fpa_deg, azimuth_deg,
               beta_kgm2: float, earth: EarthModel):
    """Fly N burnout states (arrays broadcast to (N,)); returns (apogee_alt_m, range_m, time_s, ok), each (N,).

    range_m is signed: negative when the impact lies behind the azimuth (bearing more than 90° from
    it). Near the vertical the Earth turns under the flight, and the unsigned range of a shot that
    lands behind equals that of one landing ahead (at the equator, 5,284 m/s from 163 km toward 74°:
    215.5 km at 86.0° and at 89.93°), so only the sign tells the observed flight from its mirror."""
    speed, fpa, az = np.broadcast_arrays(*(np.atleast_1d(np.asarray(x, float)) for x in (speed_mps, fpa_deg,
                                                                                       azimuth_deg)))
    n = speed.shape[0]
    lat = np.full(n, float(lat_deg))
    lon = np.full(n, float(lon_deg))
    r, v = burnout_state_eci(lat, lon, np.full(n, float(alt_m)), speed, fpa, az, earth)
    b = fly_free_batch(r, v, beta_kgm2, earth=earth, start_lat_deg=lat, start_lon_deg=lon)
    ilat, ilon, _ = b.impact_geodetic()
    d, bearing = geodesic_inverse(lat, lon, ilat, ilon, earth)
    return b.apogee_alt_m(), np.where(np.cos(np.radians(bearing - az)) < 0.0, -d, d), b.impact_time_s.copy(), b.ok


def burnout_full(lat_deg: float, lon_deg: float, azimuth_deg: float, apogee_alt_m: float, range_m: float,
                 burnout_alt_m: float, beta_kgm2: float, earth: EarthModel, guess_speed_mps: float,
                 guess_fpa_deg: float, max_iter: int = 40):
    """Return (speed_mps, fpa_deg, free_flight_time_s) of the burnout state the kernel flies to the
    observed apogee altitude and range (both m). Newton from the guess (the vacuum solution)."""
    x = np.array([float(guess_speed_mps), float(guess_fpa_deg)])
    dv, dg = 0.5, 1e-3
    target = np.array([apogee_alt_m, range_m])
    for _ in range(max_iter):
        apo, rng, t, ok = fly_states(lat_deg, lon_deg, burnout_alt_m, [x[0], x[0] + dv, x[0]],
                                     [x[1], x[1], x[1] + dg], azimuth_deg, beta_kgm2, earth)
        if not ok.all():
            raise BmdcheckError("the full model found no impact near the vacuum solution (burnout state "
                                f"{x[0]:,.0f} m/s at {x[1]:.2f} deg)")
        f = np.array([apo[0], rng[0]]) - target
        if np.all(np.abs(f) < NEWTON_TOL_M):
            return float(x[0]), float(x[1]), float(t[0])
        jac = np.array([[(apo[1] - apo[0]) / dv, (apo[2] - apo[0]) / dg],
                        [(rng[1] - rng[0]) / dv, (rng[2] - rng[0]) / dg]])
        try:
            step = np.linalg.solve(jac, -f)
        except np.linalg.LinAlgError:
            break
        scale = min(1.0, 300.0 / max(abs(step[0]), 1e-12), 2.0 / max(abs(step[1]), 1e-12))
        x = x + scale * step
        x[1] = min(max(x[1], 0.05), 89.95)
        if x[0] <= 0:
            break
    raise BmdcheckError("the full model did not converge to the observed apogee and range "
                        "(try the vacuum reconstruction without --from/--azimuth)")


def max_range_m(lat_deg: float, lon_deg: float, alt_m: float, speed_mps: float, azimuths_deg, beta_kgm2: float,
                earth: EarthModel) -> np.ndarray:
    """Largest range (m) over flight-path angles of a burnout at this speed, per azimuth (K,)."""
    az = np.atleast_1d(np.asarray(azimuths_deg, float))
    k = az.shape[0]
    fan = np.arange(1.0, 61.0, 1.0)
    _, rng, _, ok = fly_states(lat_deg, lon_deg, alt_m, speed_mps, np.tile(fan, k), np.repeat(az, fan.size),
                               beta_kgm2, earth)
    rng = np.where(ok, rng, -np.inf).reshape(k, fan.size)
    best = fan[np.argmax(rng, axis=1)]
    fine = np.linspace(-1.0, 1.0, 41)
    g = np.clip(best[:, None] + fine[None, :], 0.05, 89.95)
    _, rng2, _, ok2 = fly_states(lat_deg, lon_deg, alt_m, speed_mps, g.ravel(), np.repeat(az, fine.size),
                                 beta_kgm2, earth)
    rng2 = np.where(ok2, rng2, -np.inf).reshape(k, fine.size)
    out = np.empty(k)
    for i in range(k):  # K directions (a handful), not a time loop
        j = int(np.argmax(rng2[i]))
        if 0 < j < fine.size - 1 and np.all(np.isfinite(rng2[i, j - 1:j + 2])):
            y0, y1, y2 = rng2[i, j - 1:j + 2]
            den = y0 - 2 * y1 + y2
            out[i] = y1 - (y2 - y0) ** 2 / (8 * den) if den < 0 else y1
        else:
            out[i] = rng2[i, j]
    out[~np.isfinite(out)] = math.nan
    return out
