"""The interceptor's fly-out path to an intercept point, sampled like a threat trajectory.

The engagement solver only needs the fly-out table's earliest arrival time at each (ground range,
altitude); reports and exports also draw the path. This module flies it with the same engine and
the same steering family the table was built from (``flyout.build_table``: the booster's own pitch
programme and the attitude-hold variant), from the real site towards the intercept point:

1. a fan of pitch kicks (``n_kicks`` per steering variant, spaced like the table's ``kick_fan``) is
   flown on the table's non-rotating WGS84 Earth (J2, USSA76) from the site along the geodesic
   azimuth to the intercept point, sampled every 0.5 s up to the interceptor's flight-time limit;
2. each trajectory's first ascending and first descending crossings of the intercept altitude give
   (ground range, time); between adjacent kicks whose crossings bracket the intercept's ground
   range, the crossing time is interpolated; the earliest such arrival wins (as in the table);
3. that kick is refined by bisection until the crossing's ground range matches to 10 m, the path
   is flown with samples every ``sample_interval_s`` and cut at the crossing; J2 and the ellipsoid
   bend the flight plane off the geodesic, so the launch azimuth is corrected by the azimuth error
   of the crossing point seen from the site and the kick refined again (up to 4 times, until the
   crossing is within 100 m of the intercept point).

The table is applied in the Earth-fixed frame (neglecting the Earth's rotation during the
fly-out; ``flyout`` module docstring), so the path flown on the non-rotating Earth is the path in
the Earth-fixed frame. Ground range is the arc on the sphere through the site (the table's
definition). The path is launched at ``t_intercept_s − flight time`` on the threat's time scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..earth.frames import ecef_to_geodetic, geodesic_inverse, geodetic_to_ecef
from ..errors import BmdcheckError
from ..flight.batch import fly_missile_batch
from ..flight.kernel import STATUS_BOOST_CRASH
from .flyout import TABLE_EARTH, booster_for, kick_fan

FAN_SAMPLE_S = 0.5
RANGE_TOL_M = 10.0
MISS_TOL_M = 100.0
AZIMUTH_ITERATIONS = 4


@dataclass
class InterceptorPath:
    """A sampled interceptor fly-out (Earth-fixed). Arrays (M,): t_s on the threat's time scale,
    lat_deg, lon_deg (geodetic), alt_m, and r_ecef_m (M, 3). ``flight_time_s``: launch to the
    intercept point; ``t_launch_s`` = t_s[0]; ``kick_deg`` and ``steering`` ("gravity-turn" or
    "attitude-hold") identify the fan trajectory; ``miss_m``: distance of the last sample from the
    requested intercept point."""

    t_s: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: np.ndarray
    r_ecef_m: np.ndarray
    flight_time_s: float
    t_launch_s: float
    kick_deg: float
    steering: str
    miss_m: float


def _booster(interceptor):
    if interceptor.booster is not None:
        return interceptor.booster
    return booster_for(float(interceptor.burnout_speed_mps), float(interceptor.burn_time_s))


def _crossing(t, rng, alt, n, h, branch):
    """(range, time, index) of the first ascending (branch 0) or descending (1) crossing of h."""
    a = alt[:n]
    if branch == 0:
        k = np.nonzero((a[:-1] < h) & (a[1:] >= h))[0]
    else:
        k = np.nonzero((a[:-1] >= h) & (a[1:] < h))[0]
    if k.size == 0:
        return math.nan, math.nan, -1
    k = int(k[0])
    f = (h - a[k]) / (a[k + 1] - a[k])
    return rng[k] + f * (rng[k + 1] - rng[k]), t[k] + f * (t[k + 1] - t[k]), k


class _Flyer:
    def __init__(self, booster, lat, lon, az, t_max):
        self.booster, self.lat, self.lon, self.az, self.t_max = booster, lat, lon, az, t_max
        site = geodetic_to_ecef(lat, lon, 0.0, TABLE_EARTH)
        self.r_site = float(np.linalg.norm(site))
        self.u_site = site / self.r_site

    def fly(self, missile, kicks, dt):
        b = fly_missile_batch(missile, self.lat, self.lon, self.az, np.atleast_1d(kicks), earth=TABLE_EARTH,
                              sample_interval_s=dt, duration_s=self.t_max)
        r = b.r_eci_m  # non-rotating: ECI = ECEF
        _, _, alt = ecef_to_geodetic(r, TABLE_EARTH)
        u = r / np.maximum(np.linalg.norm(r, axis=-1, keepdims=True), 1.0)
        rng = np.arccos(np.clip(u @ self.u_site, -1.0, 1.0)) * self.r_site
        n = b.n_samples.astype(int)
        n = np.where(b.status == STATUS_BOOST_CRASH, 0, n)
        return b, rng, alt, n


def flyout_path(interceptor, site_lat_deg: float, site_lon_deg: float, target_lat_deg: float,
                target_lon_deg: float, target_alt_m: float, t_intercept_s: float, *, n_kicks: int = 120,
                sample_interval_s: float = 1.0) -> InterceptorPath:
    """Fly the interceptor (an ``engage.InterceptorSpec``) from its site to an intercept point.

    Returns the earliest-arriving path of the table's steering family (module docstring); raises
    BmdcheckError when no fan trajectory reaches the point within the flight-time limit.
    """
    booster = _booster(interceptor)
    t_max = float(interceptor.max_flight_time_s)
    _, az = geodesic_inverse(site_lat_deg, site_lon_deg, target_lat_deg, target_lon_deg, TABLE_EARTH)
    az = float(np.asarray(az))
    hold = replace(booster, pitch_hold=True, t_kick_s=max(1.0, min(booster.t_kick_s, 0.1 * booster.burn_end_s)))
    fl = _Flyer(booster, site_lat_deg, site_lon_deg, az, t_max)
    tgt = geodetic_to_ecef(target_lat_deg, target_lon_deg, target_alt_m, TABLE_EARTH)
    R = float(np.arccos(np.clip(tgt / np.linalg.norm(tgt) @ fl.u_site, -1.0, 1.0)) * fl.r_site)
    h = float(target_alt_m)
    best = None  # (time, missile, steering, kick_lo, kick_hi, branch)
    for missile, name in ((booster, "gravity-turn"), (hold, "attitude-hold")):
        kicks = kick_fan(missile, t_max, n_kicks)  # spaced as the table's fan (dense where apogees move fast)
        b, rng, alt, n = fl.fly(missile, kicks, FAN_SAMPLE_S)
        for branch in (0, 1):
            c = [_crossing(b.t_s[k], rng[k], alt[k], n[k], h, branch) for k in range(len(kicks))]
            for k in range(len(kicks) - 1):
                (ra, ta, _), (rb, tb, _) = c[k], c[k + 1]
                if not (np.isfinite(ra) and np.isfinite(rb)) or (ra - R) * (rb - R) > 0 or ra == rb:
                    continue
                t = ta + (R - ra) / (rb - ra) * (tb - ta)
                if t <= t_max and (best is None or t < best[0]):
                    best = (t, missile, name, kicks[k], kicks[k + 1], branch, ra)
    if best is None:
        raise BmdcheckError(f"interceptor {interceptor.name}: no fly-out reaches {target_alt_m / 1e3:,.0f} km "
                            f"altitude at {R / 1e3:,.0f} km ground range within {t_max:,.0f} s")
    _, missile, name, lo0, hi0, branch, r_lo = best
    s_lo = np.sign(r_lo - R)

    def cross(kick, dt):
        b, rng, alt, n = fl.fly(missile, kick, dt)
        rr, tt, k = _crossing(b.t_s[0], rng[0], alt[0], n[0], h, branch)
        return rr, tt, k, b

    for _ in range(AZIMUTH_ITERATIONS):
        lo, hi = lo0, hi0
        for _ in range(60):  # bisection on the kick
            mid = 0.5 * (lo + hi)
            rr, _, _, _ = cross(mid, FAN_SAMPLE_S)
            if not np.isfinite(rr) or abs(rr - R) < RANGE_TOL_M:
                break
            if np.sign(rr - R) == s_lo:
                lo = mid
            else:
                hi = mid
        kick = 0.5 * (lo + hi)
        _, tof, k, b = cross(kick, float(sample_interval_s))
        if k < 0:
            raise BmdcheckError(f"interceptor {interceptor.name}: fly-out path did not converge")
        _, _, a2 = ecef_to_geodetic(b.r_eci_m[0, k:k + 2], TABLE_EARTH)
        f = (h - a2[0]) / (a2[1] - a2[0])
        r_end = b.r_eci_m[0, k] + f * (b.r_eci_m[0, k + 1] - b.r_eci_m[0, k])
        miss = float(np.linalg.norm(r_end - tgt))
        if miss < MISS_TOL_M:
            break
        # aim off by the azimuth error seen from the site (J2 and the ellipsoid bend the flight plane)
        la, lo_, _ = ecef_to_geodetic(r_end, TABLE_EARTH)
        _, az_end = geodesic_inverse(site_lat_deg, site_lon_deg, float(la), float(lo_), TABLE_EARTH)
        fl.az = fl.az + ((az - float(az_end) + 180.0) % 360.0 - 180.0)
    r = b.r_eci_m[0, :k + 1]
    t = b.t_s[0, :k + 1]
    # close the path with the crossing point, interpolated between samples k and k + 1
    if tof - t[-1] > 1e-6:
        r = np.vstack([r, r_end])
        t = np.append(t, tof)
    lat, lon, alt = ecef_to_geodetic(r, TABLE_EARTH)
    t0 = float(t_intercept_s) - float(tof)
    return InterceptorPath(t + t0, lat, lon, alt, r, float(tof), t0, float(kick), name, miss)
