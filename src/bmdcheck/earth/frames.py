"""Geodetic, ECEF and ECI coordinates, local horizon frames and geodesics.

Conventions: ECI and ECEF coincide at t = 0 and the Earth turns about +z at ω, so
``r_ecef = Rz(-ωt) r_eci``. Latitudes are geodetic, longitudes east-positive, degrees at the API.
"""

from __future__ import annotations

import numpy as np

from .model import EarthModel


def geodetic_to_ecef(lat_deg, lon_deg, alt_m, earth: EarthModel = EarthModel()) -> np.ndarray:
    """Geodetic (lat, lon, height) to ECEF position, m; output shape (..., 3).

    x = (N + h) cos φ cos λ, y = (N + h) cos φ sin λ, z = (N (1 - e²) + h) sin φ,
    N = a / sqrt(1 - e² sin² φ) (NGA.STND.0036 eq. 4-14).
    """
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    h = np.asarray(alt_m, dtype=float)
    a, f = earth.a_m, earth.f
    e2 = f * (2 - f)
    sl, cl = np.sin(lat), np.cos(lat)
    n = a / np.sqrt(1 - e2 * sl * sl)
    return np.stack(np.broadcast_arrays((n + h) * cl * np.cos(lon), (n + h) * cl * np.sin(lon),
                                        (n * (1 - e2) + h) * sl), axis=-1)


def ecef_to_geodetic(r_ecef_m, earth: EarthModel = EarthModel()):
    """ECEF position (..., 3) m to geodetic (lat_deg, lon_deg, alt_m), each shape (...).

    Bowring's method iterated to convergence (Bowring 1976, Survey Review 23:181); for the
    sphere, geocentric coordinates. Height error < 1 µm for altitudes up to 10,000 km.
    """
    r = np.asarray(r_ecef_m, dtype=float)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    lon = np.arctan2(y, x)
    p = np.hypot(x, y)
    a, f = earth.a_m, earth.f
    if f == 0.0:
        return np.degrees(np.arctan2(z, p)), np.degrees(lon), np.sqrt(p * p + z * z) - a
    b = a * (1 - f)
    e2 = f * (2 - f)
    ep2 = e2 / (1 - e2)
    lat = np.arctan2(z, p * (1 - e2))
    for _ in range(6):
        beta = np.arctan2((1 - f) * np.sin(lat), np.cos(lat))
        lat = np.arctan2(z + ep2 * b * np.sin(beta) ** 3, p - e2 * a * np.cos(beta) ** 3)
    sl, cl = np.sin(lat), np.cos(lat)
    n = a / np.sqrt(1 - e2 * sl * sl)
    # height along the normal, well-conditioned at all latitudes
    h = p * cl + z * sl - a * a / n
    return np.degrees(lat), np.degrees(lon), h


def eci_to_ecef(r_eci_m, t_s, earth: EarthModel = EarthModel()) -> np.ndarray:
    """Rotate ECI vectors (..., 3) into the Earth-fixed frame at times t_s (...)."""
    r = np.asarray(r_eci_m, dtype=float)
    th = earth.omega_rad_s * np.asarray(t_s, dtype=float)
    c, s = np.cos(th), np.sin(th)
    return np.stack([c * r[..., 0] + s * r[..., 1], -s * r[..., 0] + c * r[..., 1], r[..., 2]], axis=-1)


def ecef_to_eci(r_ecef_m, t_s, earth: EarthModel = EarthModel()) -> np.ndarray:
    """Rotate Earth-fixed vectors (..., 3) at times t_s into ECI."""
    r = np.asarray(r_ecef_m, dtype=float)
    th = earth.omega_rad_s * np.asarray(t_s, dtype=float)
    c, s = np.cos(th), np.sin(th)
    return np.stack([c * r[..., 0] - s * r[..., 1], s * r[..., 0] + c * r[..., 1], r[..., 2]], axis=-1)


def earth_relative_velocity(r_eci_m, v_eci_mps, earth: EarthModel = EarthModel()) -> np.ndarray:
    """Velocity relative to the rotating Earth, expressed in ECI axes: v - ω ẑ × r."""
    r = np.asarray(r_eci_m, dtype=float)
    v = np.asarray(v_eci_mps, dtype=float)
    w = earth.omega_rad_s
    return np.stack([v[..., 0] + w * r[..., 1], v[..., 1] - w * r[..., 0], v[..., 2]], axis=-1)


def enu_basis(lat_deg, lon_deg):
    """Unit east, north, up vectors (..., 3) of the local geodetic frame (in ECEF axes)."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    z = np.zeros_like(sl * so)
    east = np.stack(np.broadcast_arrays(-so, co, z), axis=-1)
    north = np.stack(np.broadcast_arrays(-sl * co, -sl * so, cl), axis=-1)
    up = np.stack(np.broadcast_arrays(cl * co, cl * so, sl), axis=-1)
    return east, north, up


def local_angles(r_eci_m, v_rel_mps, t_s, earth: EarthModel = EarthModel()):
    """Speed, flight-path angle above the geodetic horizontal and azimuth of a relative velocity.

    Inputs (..., 3) in ECI axes at times t_s; returns (speed_mps, fpa_deg, azimuth_deg), azimuth
    clockwise from north in [0, 360).
    """
    r_ecef = eci_to_ecef(r_eci_m, t_s, earth)
    v_ecef = eci_to_ecef(v_rel_mps, t_s, earth)
    lat, lon, _ = ecef_to_geodetic(r_ecef, earth)
    e, n, u = enu_basis(lat, lon)
    ve = np.sum(v_ecef * e, axis=-1)
    vn = np.sum(v_ecef * n, axis=-1)
    vu = np.sum(v_ecef * u, axis=-1)
    speed = np.sqrt(ve * ve + vn * vn + vu * vu)
    fpa = np.degrees(np.arctan2(vu, np.hypot(ve, vn)))
    az = np.degrees(np.arctan2(ve, vn)) % 360.0
    return speed, fpa, az


_GEOD = None


def _geod():
    global _GEOD
    if _GEOD is None:
        from pyproj import Geod

        _GEOD = Geod(ellps="WGS84")
    return _GEOD


def geodesic_inverse(lat1_deg, lon1_deg, lat2_deg, lon2_deg, earth: EarthModel = EarthModel()):
    """Distance (m) and forward azimuth (deg) from point 1 to point 2 on the Earth's shape.

    WGS84: the ellipsoidal geodesic (Karney 2013, via PROJ's geodesic routines in pyproj).
    Sphere: R × central angle (haversine form) and the great-circle initial bearing.
    """
    if earth.shape == "wgs84":
        az, _, d = _geod().inv(np.asarray(lon1_deg, float), np.asarray(lat1_deg, float),
                               np.asarray(lon2_deg, float), np.asarray(lat2_deg, float))
        return np.asarray(d, dtype=float), np.asarray(az, dtype=float) % 360.0
    p1, l1, p2, l2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1_deg, lon1_deg, lat2_deg, lon2_deg))
    dl = l2 - l1
    hav = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    ang = 2 * np.arcsin(np.sqrt(np.clip(hav, 0, 1)))
    az = np.degrees(np.arctan2(np.sin(dl) * np.cos(p2), np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)))
    return earth.a_m * ang, az % 360.0


def geodesic_direct(lat_deg, lon_deg, azimuth_deg, dist_m, earth: EarthModel = EarthModel()):
    """The point (lat_deg, lon_deg) reached from a start point along an azimuth after dist_m."""
    if earth.shape == "wgs84":
        lon2, lat2, _ = _geod().fwd(np.asarray(lon_deg, float), np.asarray(lat_deg, float),
                                    np.asarray(azimuth_deg, float), np.asarray(dist_m, float))
        return np.asarray(lat2, float), np.asarray(lon2, float)
    p1, l1, az = (np.radians(np.asarray(v, dtype=float)) for v in (lat_deg, lon_deg, azimuth_deg))
    d = np.asarray(dist_m, float) / earth.a_m
    p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(az))
    l2 = l1 + np.arctan2(np.sin(az) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    return np.degrees(p2), (np.degrees(l2) + 180.0) % 360.0 - 180.0
