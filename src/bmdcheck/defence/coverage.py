"""Radar coverage of threat trajectories: line of sight, look angles, detection and track times.

Compiled kernels on plain arrays (no dataclasses), parallel over trajectories (``numba.prange``);
the ``Radar`` / ``EarlyWarning`` types in ``defence/sensors.py`` call these with their fields.
Geometry as in docs/design/engagement.md: a radar at (lat, lon, alt) sees a target sample when

1. the straight segment radar -> target does not pass below the Earth's surface (the WGS84
   ellipsoid or the sphere, per ``earth.shape``),
2. the elevation above the radar's local geodetic horizontal is in [mask, max],
3. the azimuth (clockwise from north) is inside the sector from ``azimuth_min_deg`` clockwise to
   ``azimuth_max_deg`` (both ``None``: all azimuths),
4. the slant range is <= ``max_range_m``.

The radar is Earth-fixed: target positions are rotated from ECI to ECEF at each sample time,
``r_ecef = Rz(-ω t) r_eci`` with ω = ``earth.omega_rad_s`` (docs/CONVENTIONS.md).

Line of sight, exactly: scaling coordinates by (1/a, 1/a, 1/b) maps the ellipsoid onto the unit
sphere and segments onto segments, so the test is whether the scaled segment P -> Q comes inside
the unit sphere: the point of the line nearest the origin is at s* = -P·D/|D|² (D = Q - P); if
0 < s* < 1 its squared distance is |P × D|²/|D|², else the nearer end point. A segment counts as
blocked when it dips more than ``LOS_EPS`` below 1 in squared scaled radius (≈ 0.3 µm below the
surface), so that rounding cannot block a target on or just above the horizon of a radar on the
surface. A radar below the ellipsoid (negative ``radar_alt_m``, possible where the geoid lies
below it) would see nothing by that rule, so its line of sight is tested from its foot point on
the surface, while range, elevation and azimuth use its true position; this hides targets within
about |alt| / range rad above the radar's own horizontal (conservative, 0.005° at 1,000 km for
-90 m).

Shapes: ``t_s`` (N, M) s, ``r_eci_m`` (N, M, 3) m, ``n_samples`` (N,) valid samples per row, as in
``FlightBatch``; a single trajectory may be given as (M,), (M, 3) and then results are (M,).
Samples at or beyond ``n_samples`` and non-finite samples are never visible.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
from numba import njit, prange

from ..earth.constants import SPHERE_R_M
from ..earth.frames import enu_basis, geodetic_to_ecef
from ..earth.model import EarthModel
from ..errors import BmdcheckError

__all__ = [
    "LOS_EPS", "TRACK_TOL_S", "detection_range_m", "early_warning_detection_s", "first_visible_s",
    "horizon_range_m", "radar_look_angles", "radar_visibility", "track_time_s", "visibility_segments",
]

LOS_EPS = 1e-13
"""Grazing tolerance of the line-of-sight test, in squared scaled radius (≈ 0.5e-13 a ≈ 0.3 µm).

For a radar on the surface, a target up to sqrt(LOS_EPS) ≈ 3.2e-7 rad (1.8e-5°) below the
horizontal still counts as in line of sight (measured: docs/validation/coverage.md)."""

TRACK_TOL_S = 1e-9
"""Sample times this close below t_start + min_track_s still count as meeting it (float rounding)."""

# Radar parameter vector for the kernels.
(G_RX, G_RY, G_RZ, G_PX, G_PY, G_PZ, G_EX, G_EY, G_EZ, G_NX, G_NY, G_NZ, G_UX, G_UY, G_UZ,
 G_INV_A, G_INV_B, G_OMEGA) = range(18)
G_LEN = 18


# ---- compiled core --------------------------------------------------------------------------

@njit(cache=True, inline="always")
def _to_ecef(G, t, r, i, j):
    """Target sample (i, j) rotated into ECEF at its time: Rz(-ω t) r_eci."""
    th = G[G_OMEGA] * t[i, j]
    c = math.cos(th)
    s = math.sin(th)
    x = r[i, j, 0]
    y = r[i, j, 1]
    return c * x + s * y, -s * x + c * y, r[i, j, 2]


@njit(cache=True, inline="always")
def _los(G, x, y, z):
    """True when the segment from the radar's LOS point to ECEF point (x, y, z) stays above the surface."""
    qx = x * G[G_INV_A]
    qy = y * G[G_INV_A]
    qz = z * G[G_INV_B]
    if not (qx * qx + qy * qy + qz * qz >= 1.0 - LOS_EPS):
        return False  # target below the surface (or not finite)
    px = G[G_PX]
    py = G[G_PY]
    pz = G[G_PZ]
    dx = qx - px
    dy = qy - py
    dz = qz - pz
    pd = px * dx + py * dy + pz * dz
    if pd >= 0.0:
        return True  # s* <= 0: the radar end is nearest the centre, and it is on or above the surface
    if qx * dx + qy * dy + qz * dz <= 0.0:
        return True  # s* >= 1: the target end is nearest, checked above
    cx = py * dz - pz * dy
    cy = pz * dx - px * dz
    cz = px * dy - py * dx
    dd = dx * dx + dy * dy + dz * dz
    return cx * cx + cy * cy + cz * cz >= (1.0 - LOS_EPS) * dd


@njit(cache=True, inline="always")
def _in_sector(e, n, S):
    """Horizontal direction (e, n) inside the clockwise sector S = (sin az0, cos az0, sin az1, cos az1, wide).

    cw(a, b) = a_n b_e - a_e b_n = |a||b| sin(az_b - az_a) >= 0 when b lies 0..180° clockwise of a.
    A sector up to 180° wide is cw(start, v) >= 0 and cw(v, end) >= 0; a wider one (wide = 1) is
    everything but the open complement, cw(end, v) > 0 and cw(v, start) > 0. Edges included.
    """
    cw_start = S[1] * e - S[0] * n
    cw_end = n * S[2] - e * S[3]
    if S[4] == 0.0:
        return cw_start >= 0.0 and cw_end >= 0.0
    return not (cw_start < 0.0 and cw_end < 0.0)


@njit(cache=True, inline="always")
def _seen_range2(G, t, r, i, j, max_r2, use_min, sin_min, use_max, sin_max, use_az, S):
    """Squared slant range of sample (i, j) if the radar G sees it (within max_r2, the elevation
    limits, the sector S and the line of sight), else NaN."""
    x, y, z = _to_ecef(G, t, r, i, j)
    dx = x - G[G_RX]
    dy = y - G[G_RY]
    dz = z - G[G_RZ]
    rng2 = dx * dx + dy * dy + dz * dz
    if not (rng2 <= max_r2):
        return np.nan  # out of range, or not finite
    rng = math.sqrt(rng2)
    up = dx * G[G_UX] + dy * G[G_UY] + dz * G[G_UZ]
    if use_min and up < rng * sin_min:
        return np.nan
    if use_max and up > rng * sin_max:
        return np.nan
    if use_az:
        e = dx * G[G_EX] + dy * G[G_EY] + dz * G[G_EZ]
        nn = dx * G[G_NX] + dy * G[G_NY] + dz * G[G_NZ]
        if not _in_sector(e, nn, S):
            return np.nan
    return rng2 if _los(G, x, y, z) else np.nan


@njit(parallel=True, cache=True)
def visibility_kernel(t, r, ns, G, max_range_m, use_min, sin_min, use_max, sin_max, use_az, S, out):
    """Fill out (N, M) bool: the four visibility conditions for samples j < ns[i]; see module doc.

    G: radar parameter vector (layout G_*); S: the azimuth sector (see ``_in_sector``). The
    elevation tests compare the up component with range × sin(limit), exact because sin is
    increasing on [-90°, 90°]; the sector test uses cross products, no arctangent.
    """
    n = t.shape[0]
    max_r2 = max_range_m * max_range_m
    for i in prange(n):
        for j in range(ns[i]):
            out[i, j] = not math.isnan(_seen_range2(G, t, r, i, j, max_r2, use_min, sin_min, use_max, sin_max,
                                                    use_az, S))


@njit(parallel=True, cache=True)
def range2_kernel(t, r, ns, G, use_min, sin_min, use_max, sin_max, use_az, S, out):
    """Fill out (N, M): the squared slant range of samples j < ns[i] that pass the elevation,
    sector and line-of-sight conditions of ``visibility_kernel``, NaN otherwise; so that
    ``out <= max_range_m**2`` is that kernel's visibility for any range (``memo``)."""
    n = t.shape[0]
    for i in prange(n):
        for j in range(ns[i]):
            out[i, j] = _seen_range2(G, t, r, i, j, math.inf, use_min, sin_min, use_max, sin_max, use_az, S)


@njit(parallel=True, cache=True)
def look_angles_kernel(t, r, ns, G, rng_out, el_out, az_out, los_out):
    """Slant range (m), elevation and azimuth (deg) and line of sight for samples j < ns[i]."""
    n = t.shape[0]
    for i in prange(n):
        for j in range(ns[i]):
            x, y, z = _to_ecef(G, t, r, i, j)
            dx = x - G[G_RX]
            dy = y - G[G_RY]
            dz = z - G[G_RZ]
            e = dx * G[G_EX] + dy * G[G_EY] + dz * G[G_EZ]
            nn = dx * G[G_NX] + dy * G[G_NY] + dz * G[G_NZ]
            up = dx * G[G_UX] + dy * G[G_UY] + dz * G[G_UZ]
            rng_out[i, j] = math.sqrt(dx * dx + dy * dy + dz * dz)
            el_out[i, j] = math.degrees(math.atan2(up, math.sqrt(e * e + nn * nn)))
            az_out[i, j] = math.degrees(math.atan2(e, nn)) % 360.0
            los_out[i, j] = _los(G, x, y, z)


@njit(cache=True)
def first_visible_kernel(vis, t, ns, out):
    """out[i] = t of the first visible sample of row i, NaN if none. (Serial: a scan that stops early
    costs microseconds per chunk, less than waking a second thread, which on a busy machine can take
    milliseconds; the engine calls it per draw, tier and radar.)"""
    for i in range(vis.shape[0]):
        out[i] = np.nan
        for j in range(ns[i]):
            if vis[i, j]:
                out[i] = t[i, j]
                break


@njit(cache=True)
def track_time_kernel(vis, t, ns, min_track_s, tol_s, out):
    """out[i] = t_start + min_track_s[i] of the first visible run reaching that length, NaN if none
    (serial, as ``first_visible_kernel``)."""
    for i in range(vis.shape[0]):
        out[i] = np.nan
        start = -1
        for j in range(ns[i]):
            if vis[i, j]:
                if start < 0:
                    start = j
                if t[i, j] - t[i, start] >= min_track_s[i] - tol_s:
                    out[i] = t[i, start] + min_track_s[i]
                    break
            else:
                start = -1


# ---- edge: argument checks and conversion, once -----------------------------------------------

def _samples(t_s, r_eci_m, n_samples):
    """Checked, contiguous (t (N, M), r (N, M, 3), ns (N,) int64, single)."""
    r = np.asarray(r_eci_m, dtype=np.float64)
    if r.ndim not in (2, 3) or r.shape[-1] != 3:
        raise BmdcheckError(f"r_eci_m must have shape (N, M, 3) or (M, 3), got {r.shape}")
    single = r.ndim == 2
    if single:
        r = r[None]
    n, m = r.shape[:2]
    t = np.asarray(t_s, dtype=np.float64)
    if single and t.ndim == 1:
        t = t[None]
    try:
        t = np.broadcast_to(t, (n, m))
    except ValueError:
        raise BmdcheckError(f"t_s of shape {np.shape(t_s)} does not fit r_eci_m of shape {np.shape(r_eci_m)}") from None
    ns = _counts(n_samples, n, m)
    return np.ascontiguousarray(t), np.ascontiguousarray(r), ns, single


def _counts(n_samples, n, m):
    if n_samples is None:
        return np.full(n, m, dtype=np.int64)
    ns = np.asarray(n_samples)
    if ns.dtype.kind not in "iu" and not np.all(ns == np.round(ns)):
        raise BmdcheckError("n_samples must be whole numbers")
    try:
        ns = np.broadcast_to(ns.astype(np.int64), (n,))
    except ValueError:
        raise BmdcheckError(f"n_samples must have shape ({n},), got {np.shape(n_samples)}") from None
    if ns.size and (ns.min() < 0 or ns.max() > m):
        raise BmdcheckError(f"n_samples must lie in [0, {m}]")
    # always a writable copy: a read-only view (broadcast_to of an (n,) array) and a writable array are
    # two Numba types, and each kernel compiled once for each (visibility_kernel: 2 × 2 s)
    return np.array(ns, dtype=np.int64)


def _radar_params(lat_deg, lon_deg, alt_m, earth: EarthModel) -> np.ndarray:
    lat, lon, alt = float(lat_deg), float(lon_deg), float(alt_m)
    if not (-90.0 <= lat <= 90.0) or not math.isfinite(lon) or not math.isfinite(alt):
        raise BmdcheckError(f"radar position must be finite with latitude in [-90, 90], got ({lat}, {lon}, {alt})")
    G = np.zeros(G_LEN)
    G[G_RX:G_RZ + 1] = geodetic_to_ecef(lat, lon, alt, earth)
    p = geodetic_to_ecef(lat, lon, max(alt, 0.0), earth)
    G[G_PX], G[G_PY], G[G_PZ] = p[0] / earth.a_m, p[1] / earth.a_m, p[2] / earth.b_m
    e, n, u = enu_basis(lat, lon)
    G[G_EX:G_EZ + 1], G[G_NX:G_NZ + 1], G[G_UX:G_UZ + 1] = e, n, u
    G[G_INV_A], G[G_INV_B], G[G_OMEGA] = 1.0 / earth.a_m, 1.0 / earth.b_m, earth.omega_rad_s
    return G


def _sector(azimuth_min_deg, azimuth_max_deg):
    """(use_az, S) for the clockwise sector min -> max; S as ``_in_sector`` takes it."""
    S = np.zeros(5)
    if azimuth_min_deg is None and azimuth_max_deg is None:
        return False, S
    if azimuth_min_deg is None or azimuth_max_deg is None:
        raise BmdcheckError("give both azimuth_min_deg and azimuth_max_deg, or neither")
    lo, hi = float(azimuth_min_deg), float(azimuth_max_deg)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise BmdcheckError("azimuth limits must be finite")
    if lo == hi:
        raise BmdcheckError("azimuth_min_deg equals azimuth_max_deg: an empty sector (omit both for 360°)")
    width = (hi - lo) % 360.0
    if width == 0.0:
        return False, S  # e.g. 0 -> 360: the full circle
    a0, a1 = math.radians(lo), math.radians(hi)
    S[:] = math.sin(a0), math.cos(a0), math.sin(a1), math.cos(a1), float(width > 180.0)
    return True, S


# ---- public API -------------------------------------------------------------------------------

_MEMO: ContextVar = ContextVar("bmdcheck_radar_memo", default=None)


@contextmanager
def memo():
    """Within the block, :func:`radar_visibility` computes each (trajectory arrays, radar geometry)
    pair once and answers every detection range from it (``range2_kernel``: the squared slant range
    where elevation, sector and line of sight allow, NaN elsewhere; visible = that <= range²,
    the same comparison as ``visibility_kernel``). For loops that vary only the detection range or
    repeat radars over the same threats (Monte-Carlo draws, sensor tiers, candidate radars). The
    trajectory arrays must not be modified inside the block (they are recognised by identity and
    held until it ends). Nested blocks share the outer memo."""
    tok = _MEMO.set({}) if _MEMO.get() is None else None
    try:
        yield
    finally:
        if tok is not None:
            _MEMO.reset(tok)


def radar_visibility(t_s, r_eci_m, n_samples, radar_lat_deg, radar_lon_deg, radar_alt_m, max_range_m,
                     elevation_mask_deg=0.0, max_elevation_deg=90.0, azimuth_min_deg=None,
                     azimuth_max_deg=None, earth: EarthModel = EarthModel()) -> np.ndarray:
    """Say which trajectory samples an Earth-fixed radar sees.

    Inputs: ``t_s`` (N, M) s; ``r_eci_m`` (N, M, 3) m; ``n_samples`` (N,) valid samples per row
    (None: all M); the radar's geodetic position (deg, deg, m above the ellipsoid, or the sphere
    on ``earth.shape == "spherical"``); ``max_range_m`` (may be ``inf``); elevation limits in deg
    above the geodetic horizontal, -90 <= mask <= max <= 90; the azimuth sector, clockwise from
    ``azimuth_min_deg`` to ``azimuth_max_deg`` (deg from north; edges included; both None or a
    360° span: all azimuths; equal values are an error; a target at the zenith passes the
    azimuth test); ``earth`` for the shape and rotation rate.
    Output: ``visible`` (N, M) bool, False at and beyond ``n_samples``.
    Method: module docstring (exact ellipsoid line of sight by scaling to the unit sphere).
    """
    t, r, ns, single = _samples(t_s, r_eci_m, n_samples)
    lo, hi = float(elevation_mask_deg), float(max_elevation_deg)
    if not (-90.0 <= lo <= hi <= 90.0):
        raise BmdcheckError(f"need -90 <= elevation_mask_deg <= max_elevation_deg <= 90, got {lo}, {hi}")
    max_range = float(max_range_m)
    if not (max_range >= 0.0):
        raise BmdcheckError(f"max_range_m must be >= 0, got {max_range_m}")
    use_az, S = _sector(azimuth_min_deg, azimuth_max_deg)
    memo_ = _MEMO.get()
    if memo_ is not None:
        key = (id(t_s), id(r_eci_m), id(n_samples), float(radar_lat_deg), float(radar_lon_deg), float(radar_alt_m),
               lo, hi, azimuth_min_deg, azimuth_max_deg, earth)
        hit = memo_.get(key)
        if hit is None or hit[0] is not t_s or hit[1] is not r_eci_m or hit[2] is not n_samples:
            G = _radar_params(radar_lat_deg, radar_lon_deg, radar_alt_m, earth)
            R2 = np.full(t.shape, np.nan)
            range2_kernel(t, r, ns, G, lo > -90.0, math.sin(math.radians(lo)), hi < 90.0, math.sin(math.radians(hi)),
                          use_az, S, R2)
            hit = memo_[key] = (t_s, r_eci_m, n_samples, R2)
        out = hit[3] <= max_range * max_range
        return out[0] if single else out
    G = _radar_params(radar_lat_deg, radar_lon_deg, radar_alt_m, earth)
    out = np.zeros(t.shape, dtype=np.bool_)
    visibility_kernel(t, r, ns, G, max_range, lo > -90.0, math.sin(math.radians(lo)), hi < 90.0,
                      math.sin(math.radians(hi)), use_az, S, out)
    return out[0] if single else out


def radar_look_angles(t_s, r_eci_m, n_samples, radar_lat_deg, radar_lon_deg, radar_alt_m,
                      earth: EarthModel = EarthModel()):
    """Compute slant range, elevation, azimuth and line of sight of each sample from a radar.

    Inputs as :func:`radar_visibility`. Outputs, each (N, M): ``range_m``; ``elevation_deg`` above
    the radar's geodetic horizontal (atan2 of the up and horizontal components); ``azimuth_deg``
    clockwise from north in [0, 360); ``los`` bool (condition 1 only). NaN / False beyond
    ``n_samples``. For reports, plots and tests; :func:`radar_visibility` is the fast path.
    """
    t, r, ns, single = _samples(t_s, r_eci_m, n_samples)
    G = _radar_params(radar_lat_deg, radar_lon_deg, radar_alt_m, earth)
    rng, el, az = (np.full(t.shape, np.nan) for _ in range(3))
    los = np.zeros(t.shape, dtype=np.bool_)
    look_angles_kernel(t, r, ns, G, rng, el, az, los)
    if single:
        return rng[0], el[0], az[0], los[0]
    return rng, el, az, los


def _visible_rows(visible, t_s, n_samples):
    vis = np.asarray(visible)
    if vis.dtype != np.bool_:
        raise BmdcheckError(f"visible must be a bool array, got {vis.dtype}")
    single = vis.ndim == 1
    if single:
        vis = vis[None]
    if vis.ndim != 2:
        raise BmdcheckError(f"visible must have shape (N, M), got {np.shape(visible)}")
    t = np.asarray(t_s, dtype=np.float64)
    if single and t.ndim == 1:
        t = t[None]
    try:
        t = np.broadcast_to(t, vis.shape)
    except ValueError:
        raise BmdcheckError(f"t_s of shape {np.shape(t_s)} does not fit visible of shape {np.shape(visible)}") from None
    ns = _counts(n_samples, *vis.shape)
    return np.ascontiguousarray(vis), np.ascontiguousarray(t), ns, single


def first_visible_s(visible, t_s, n_samples) -> np.ndarray:
    """Return the time of each trajectory's first visible sample, s; (N,) float, NaN if never."""
    vis, t, ns, single = _visible_rows(visible, t_s, n_samples)
    out = np.empty(vis.shape[0])
    first_visible_kernel(vis, t, ns, out)
    return out[0] if single else out


def track_time_s(visible, t_s, n_samples, min_track_s) -> np.ndarray:
    """Return when the first run of continuous visibility has lasted ``min_track_s``, s.

    A run is a maximal set of consecutive visible samples (any invisible sample breaks it). For
    the first run holding a sample at time >= t_start + min_track_s (to ``TRACK_TOL_S``) the
    result is t_start + min_track_s; NaN if no run lasts that long. ``min_track_s`` scalar or (N,),
    >= 0 (0 gives the first visible time). Output (N,) float.
    """
    vis, t, ns, single = _visible_rows(visible, t_s, n_samples)
    try:
        mt = np.ascontiguousarray(np.broadcast_to(np.asarray(min_track_s, dtype=np.float64), (vis.shape[0],)))
    except ValueError:
        raise BmdcheckError(f"min_track_s must be a scalar or shape ({vis.shape[0]},)") from None
    if not np.all(mt >= 0.0):
        raise BmdcheckError("min_track_s must be >= 0")
    out = np.empty(vis.shape[0])
    track_time_kernel(vis, t, ns, mt, TRACK_TOL_S, out)
    return out[0] if single else out


def visibility_segments(visible, t_s, n_samples) -> list[np.ndarray]:
    """List each trajectory's runs of continuous visibility, for drawing and reports.

    Output: a list of N float arrays of shape (k, 2), columns ``start_s``, ``end_s``: the times of
    the first and last visible sample of each run (equal for a one-sample run); (0, 2) if never.
    A single trajectory (M,) gives one (k, 2) array.
    """
    vis, t, ns, single = _visible_rows(visible, t_s, n_samples)
    out = []
    for i in range(vis.shape[0]):
        v = np.zeros(ns[i] + 2, dtype=np.int8)
        v[1:-1] = vis[i, :ns[i]]
        d = np.diff(v)
        starts = np.flatnonzero(d == 1)
        ends = np.flatnonzero(d == -1) - 1
        out.append(np.column_stack([t[i, starts], t[i, ends]]))
    return out[0] if single else out


def horizon_range_m(radar_alt_m, target_alt_m, earth_radius_m=SPHERE_R_M):
    """Return the longest line-of-sight distance between two altitudes over a sphere, m.

    Grazing distance sqrt((R+h1)² - R²) + sqrt((R+h2)² - R²): the tangent lengths from both
    points to the sphere. Vectorised; NaN for a negative altitude. A closed form for tests and
    quick estimates (the kernels use the exact ellipsoid).

    >>> round(horizon_range_m(0.0, 100e3) / 1e3, 1)   # a target at 100 km, seen from sea level
    1133.2
    """
    R = np.asarray(earth_radius_m, dtype=np.float64)
    h1 = np.asarray(radar_alt_m, dtype=np.float64)
    h2 = np.asarray(target_alt_m, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        d = np.sqrt(h1 * (2.0 * R + h1)) + np.sqrt(h2 * (2.0 * R + h2))
    d = np.where((h1 >= 0) & (h2 >= 0), d, np.nan)
    return float(d) if d.ndim == 0 else d


def detection_range_m(range_ref_m, rcs_ref_m2, rcs_m2):
    """Scale a radar's detection range to another radar cross-section, m.

    R(σ) = R_ref (σ / σ_ref)^(1/4), from the radar equation at fixed power, gain and detection
    threshold (Skolnik, *Introduction to Radar Systems*, 3rd ed., eq. 1.15). Vectorised.
    """
    rr, s0, s = (np.asarray(v, dtype=np.float64) for v in (range_ref_m, rcs_ref_m2, rcs_m2))
    if np.any(s0 <= 0) or np.any(s < 0):
        raise BmdcheckError("radar cross-sections must be positive")
    d = rr * (s / s0) ** 0.25
    return float(d) if d.ndim == 0 else d


def early_warning_detection_s(detect_after_s, report_delay_s):
    """Return the time after launch when early-warning satellites report a launch, s.

    t = detect_after_s + report_delay_s (engagement timeline, docs/design/engagement.md).
    """
    d = np.asarray(detect_after_s, dtype=np.float64) + np.asarray(report_delay_s, dtype=np.float64)
    return float(d) if d.ndim == 0 else d
