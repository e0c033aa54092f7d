"""Validation of bmdcheck.defence.coverage (radar line of sight, look angles, track times).

References and tolerances, one per test; docs/validation/coverage.md records the measured errors.
Regenerate that table with ``.venv/bin/python tests/defence/test_coverage.py`` (seeded cases,
plus the speed figure).

- Sphere closed form: a radar at height h1 and a target at height h2 on a great circle through
  it see each other exactly up to the central angle acos(R/(R+h1)) + acos(R/(R+h2)) (the two
  tangent lines meet the sphere at one point); the kernel's transition within HORIZON_TOL_RAD.
- WGS84, PROJ: geodetic -> ECEF by pyproj (EPSG:4979 -> EPSG:4978), and the local east-north-up
  rotation written out here; elevation and azimuth within ANGLE_TOL_DEG, range RANGE_TOL_M.
- WGS84 line of sight, brute force: the segment sampled densely, each point converted to
  geodetic height by pyproj (EPSG:4978 -> EPSG:4979), the minimum polished with scipy's bounded
  Brent search; the kernel's LOS transition must sit where that minimum height is 0, within
  GRAZE_TOL_M.
- Hand-built visibility arrays for the track-time and segment logic, and a brute-force
  re-implementation for random arrays (hypothesis).
"""

from __future__ import annotations

import doctest
import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from scipy.optimize import minimize_scalar

from bmdcheck.defence import coverage as C
from bmdcheck.defence.coverage import (
    detection_range_m,
    early_warning_detection_s,
    first_visible_s,
    horizon_range_m,
    radar_look_angles,
    radar_visibility,
    track_time_s,
    visibility_segments,
)
from bmdcheck.earth.constants import OMEGA_EARTH_RAD_S, SPHERE_R_M
from bmdcheck.earth.model import EarthModel
from bmdcheck.errors import BmdcheckError

HORIZON_TOL_RAD = 1e-6   # kernel LOS transition vs the closed-form central angle (sphere)
ANGLE_TOL_DEG = 1e-6     # elevation / azimuth vs pyproj + own ENU
RANGE_TOL_M = 1e-6       # slant range vs pyproj positions
GRAZE_TOL_M = 1e-3       # minimum height of the segment at the kernel's LOS transition (WGS84)
STEP_DEG = 1e-6          # limits placed this far either side of a reference angle must flip the result
STEP_M = 1e-3            # same for the range limit

WGS84 = EarthModel()
SPHERE = EarthModel("spherical", rotation=False)
R = SPHERE_R_M
INF = math.inf

_TO_ECEF = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
_TO_GEOD = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)
_GEOD = Geod(ellps="WGS84")

# Cape Cod SFS, AN/FPS-132 UEWR (41°45'09"N 70°32'19"W, ~80 m); two faces, 347° -> 227° clockwise.
CAPE_COD = (41.7525, -70.5386, 80.0)


# ---- independent helpers ---------------------------------------------------------------------

def ecef_pyproj(lat_deg, lon_deg, alt_m):
    lon, lat, alt = (np.array(v, float) for v in np.broadcast_arrays(lon_deg, lat_deg, alt_m))
    x, y, z = _TO_ECEF.transform(lon, lat, alt)
    return np.stack([x, y, z], axis=-1)


def height_pyproj(r_ecef):
    r = np.asarray(r_ecef, float)
    _, _, h = _TO_GEOD.transform(r[..., 0], r[..., 1], r[..., 2])
    return np.asarray(h)


def enu_matrix(lat_deg, lon_deg):
    """Rows east, north, up of the local geodetic frame (standard rotation, e.g. Torge, Geodesy)."""
    p, l = math.radians(lat_deg), math.radians(lon_deg)
    return np.array([[-math.sin(l), math.cos(l), 0.0],
                     [-math.sin(p) * math.cos(l), -math.sin(p) * math.sin(l), math.cos(p)],
                     [math.cos(p) * math.cos(l), math.cos(p) * math.sin(l), math.sin(p)]])


def ref_look(radar, r_ecef):
    """Range (m), elevation, azimuth (deg) of ECEF targets from radar (lat, lon, alt), via pyproj."""
    d = np.asarray(r_ecef, float) - ecef_pyproj(*radar)
    e, n, u = np.moveaxis(d @ enu_matrix(radar[0], radar[1]).T, -1, 0)
    return (np.linalg.norm(d, axis=-1), np.degrees(np.arctan2(u, np.hypot(e, n))),
            np.degrees(np.arctan2(e, n)) % 360.0)


def point_at(radar, el_deg, az_deg, rng_m):
    """ECEF point at a given elevation, azimuth and slant range from the radar (pyproj position)."""
    el, az = np.radians(el_deg), np.radians(az_deg)
    enu = np.stack(np.broadcast_arrays(np.cos(el) * np.sin(az), np.cos(el) * np.cos(az), np.sin(el)), -1)
    return ecef_pyproj(*radar) + np.asarray(rng_m, float)[..., None] * (enu @ enu_matrix(radar[0], radar[1]))


def to_eci(r_ecef, t_s, omega=OMEGA_EARTH_RAD_S):
    """ECEF -> ECI at t: Rz(+ω t) (the Earth has turned by ω t since ECI = ECEF at t = 0)."""
    th = omega * np.asarray(t_s, float)
    c, s = np.cos(th), np.sin(th)
    r = np.asarray(r_ecef, float)
    return np.stack([c * r[..., 0] - s * r[..., 1], s * r[..., 0] + c * r[..., 1], r[..., 2]], -1)


def ref_min_height(p, q, n=2001):
    """Minimum geodetic height on the segment p -> q (ECEF), brute force + bounded Brent polish."""
    s = np.linspace(0.0, 1.0, n)
    h = height_pyproj(p + s[:, None] * (q - p))
    k = int(np.argmin(h))
    lo, hi = s[max(k - 1, 0)], s[min(k + 1, n - 1)]
    res = minimize_scalar(lambda u: float(height_pyproj(p + u * (q - p))), bounds=(lo, hi),
                          method="bounded", options={"xatol": 1e-13})
    return min(float(h[k]), float(res.fun))


def sphere_point(lat_deg, lon_deg, az_deg, theta_rad, alt_m):
    """Point at central angle theta along the great circle leaving (lat, lon) at azimuth az."""
    u0 = enu_matrix(lat_deg, lon_deg)
    a = math.radians(az_deg)
    w = math.cos(a) * u0[1] + math.sin(a) * u0[0]
    return (R + alt_m) * (math.cos(theta_rad) * u0[2] + math.sin(theta_rad) * w)


def los_only(r_ecef, radar, earth=WGS84):
    """Condition (1) alone, via the visibility kernel (no elevation, range or azimuth limit)."""
    r = np.atleast_2d(r_ecef)
    return radar_visibility(np.zeros(len(r)), r, None, *radar, INF, elevation_mask_deg=-90.0, earth=earth)


def bisect(f, lo, hi, tol):
    """Transition of a boolean f from True at lo to False at hi."""
    assert f(lo) and not f(hi)
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) else (lo, mid)
    return 0.5 * (lo + hi)


# ---- sphere: closed-form horizon --------------------------------------------------------------

HORIZON_CASES = [(h1, h2) for h1 in (0.0, 30.0, 2_000.0, 30_000.0) for h2 in (1_000.0, 100_000.0, 1_500_000.0)]


def sphere_horizon_error(h1, h2, lat, lon, az):
    """|kernel LOS transition - closed-form central angle|, rad."""
    th = math.acos(R / (R + h1)) + math.acos(R / (R + h2))
    radar = (lat, lon, h1)
    f = lambda x: bool(los_only(sphere_point(lat, lon, az, x, h2), radar, SPHERE)[0])  # noqa: E731
    return abs(bisect(f, th - 1e-3, th + 1e-3, 1e-14) - th)


@pytest.mark.parametrize("h1,h2", HORIZON_CASES)
def test_horizon_sphere_closed_form(h1, h2):
    rng = np.random.default_rng(int(h1 + 7 * h2))
    for _ in range(4):
        lat, lon, az = rng.uniform(-85, 85), rng.uniform(-180, 180), rng.uniform(0, 360)
        th = math.acos(R / (R + h1)) + math.acos(R / (R + h2))
        radar = (lat, lon, h1)
        inside = sphere_point(lat, lon, az, th - HORIZON_TOL_RAD, h2)
        outside = sphere_point(lat, lon, az, th + HORIZON_TOL_RAD, h2)
        assert los_only(np.array([inside, outside]), radar, SPHERE).tolist() == [True, False]
    assert sphere_horizon_error(h1, h2, 10.0, 20.0, 30.0) < HORIZON_TOL_RAD


@pytest.mark.parametrize("h1,h2", HORIZON_CASES)
def test_horizon_range_closed_form(h1, h2):
    """Grazing distance = chord at the horizon central angle (law of cosines), and the slant range there."""
    th = math.acos(R / (R + h1)) + math.acos(R / (R + h2))
    chord = math.sqrt((R + h1) ** 2 + (R + h2) ** 2 - 2 * (R + h1) * (R + h2) * math.cos(th))
    assert horizon_range_m(h1, h2) == pytest.approx(chord, rel=1e-9, abs=1e-6)
    rng, _, _, _ = radar_look_angles(0.0 * np.ones(1), sphere_point(0, 0, 45, th, h2)[None], None, 0, 0, h1, SPHERE)
    assert rng[0] == pytest.approx(chord, rel=1e-12, abs=1e-6)


def test_doctests():
    assert doctest.testmod(C, raise_on_error=False).failed == 0


def test_horizon_range_vectorised():
    h = horizon_range_m(np.array([0.0, 100.0, -1.0]), np.array([[1e5], [2e5]]))
    assert h.shape == (2, 3)
    assert np.isnan(h[:, 2]).all() and np.isfinite(h[:, :2]).all()
    assert isinstance(horizon_range_m(0.0, 1e5), float)
    assert horizon_range_m(0.0, 0.0) == 0.0


# ---- WGS84: look angles against pyproj --------------------------------------------------------

def random_geometry(rng, n):
    """Random radars (lat, lon, alt) and targets up to ~40° away, 0-2000 km up."""
    radar = (rng.uniform(-89, 89), rng.uniform(-180, 180), rng.uniform(-100, 5_000))
    lon, lat, _ = _GEOD.fwd(np.full(n, radar[1]), np.full(n, radar[0]), rng.uniform(0, 360, n),
                            rng.uniform(0, 4.5e6, n))
    return radar, ecef_pyproj(lat, lon, rng.uniform(0, 2e6, n))


def look_errors(seed, n=200):
    rng = np.random.default_rng(seed)
    radar, tgt = random_geometry(rng, n)
    t = rng.uniform(0, 3000, n)
    ref_r, ref_el, ref_az = ref_look(radar, tgt)
    r, el, az, _ = radar_look_angles(t, to_eci(tgt, t), None, *radar, earth=WGS84)
    daz = (az - ref_az + 180.0) % 360.0 - 180.0
    keep = ref_el < 89.9  # azimuth is ill-conditioned at the zenith
    return np.max(np.abs(r - ref_r)), np.max(np.abs(el - ref_el)), np.max(np.abs(daz[keep]))


@pytest.mark.parametrize("seed", range(10))
def test_look_angles_vs_pyproj(seed):
    dr, de, da = look_errors(seed)
    assert dr < RANGE_TOL_M and de < ANGLE_TOL_DEG and da < ANGLE_TOL_DEG


def mask_flip_failures(seed, n=200):
    """Elevation mask / max elevation placed ±STEP_DEG around the pyproj elevation must flip visibility."""
    rng = np.random.default_rng(seed)
    radar = (rng.uniform(-89, 89), rng.uniform(-180, 180), rng.uniform(0, 5_000))
    tgt = point_at(radar, rng.uniform(0.01, 89.0, n), rng.uniform(0, 360, n), rng.uniform(1e3, 4e6, n))
    _, el, _ = ref_look(radar, tgt)
    bad = 0
    for k in range(n):
        vis = lambda **kw: bool(radar_visibility(np.zeros(1), tgt[k:k + 1], None, *radar, INF, **kw)[0])  # noqa: E731
        bad += not vis(elevation_mask_deg=el[k] - STEP_DEG)
        bad += vis(elevation_mask_deg=el[k] + STEP_DEG)
        bad += not vis(elevation_mask_deg=0.0, max_elevation_deg=el[k] + STEP_DEG)
        bad += vis(elevation_mask_deg=0.0, max_elevation_deg=el[k] - STEP_DEG)
    return bad


@pytest.mark.parametrize("seed", range(3))
def test_elevation_limits_flip_at_pyproj_elevation(seed):
    assert mask_flip_failures(seed, 60) == 0


# ---- WGS84: line of sight against the dense-sampled segment -----------------------------------

def graze_residual_m(seed):
    """Bisect the kernel's LOS transition along a geodesic; return the reference min height there.

    The target moves away from the radar along a geodesic at fixed height; at the transition
    distance the segment must just touch the ellipsoid: min height 0.
    """
    rng = np.random.default_rng(seed)
    radar = (rng.uniform(-89, 89), rng.uniform(-180, 180), rng.choice([0.0, 10.0, 3_000.0, 20_000.0]))
    h2, az = rng.choice([0.0, 5e3, 1e5, 1e6]), rng.uniform(0, 360)

    def target(d):
        lon, lat, _ = _GEOD.fwd(radar[1], radar[0], az, d)
        return ecef_pyproj(lat, lon, h2)

    d_graze = horizon_range_m(radar[2], h2, 6.37e6)  # a start for the bracket
    d = bisect(lambda x: bool(los_only(target(x), radar)[0]), 0.5 * d_graze, 1.5 * d_graze + 1e4, 1e-7)
    return ref_min_height(ecef_pyproj(*radar), target(d))


@pytest.mark.parametrize("seed", range(12))
def test_los_transition_touches_ellipsoid(seed):
    assert abs(graze_residual_m(seed)) < GRAZE_TOL_M


def los_classification_failures(seed, n=40):
    """Random pairs near the horizon: reference min height > +GRAZE_TOL_M => LOS, < -GRAZE_TOL_M => none."""
    rng = np.random.default_rng(seed)
    radar = (rng.uniform(-89, 89), rng.uniform(-180, 180), rng.uniform(0, 20_000))
    h2 = rng.uniform(0, 1.5e6, n)
    d = horizon_range_m(radar[2], h2, 6.37e6) * rng.uniform(0.8, 1.2, n)
    lon, lat, _ = _GEOD.fwd(np.full(n, radar[1]), np.full(n, radar[0]), rng.uniform(0, 360, n), d)
    tgt = ecef_pyproj(lat, lon, h2)
    los = los_only(tgt, radar)
    p = ecef_pyproj(*radar)
    bad = checked = 0
    for k in range(n):
        hmin = ref_min_height(p, tgt[k])
        if abs(hmin) > GRAZE_TOL_M:
            checked += 1
            bad += bool(los[k]) != (hmin > 0)
    return bad, checked


@pytest.mark.parametrize("seed", range(4))
def test_los_vs_dense_segment(seed):
    bad, checked = los_classification_failures(seed)
    assert checked > 30 and bad == 0


def surface_radar_failures(seed, n=2000):
    """Radar at height 0, mask 0: el >= 0 must be LOS; el < -1e-4 deg must not be (the tangent plane)."""
    rng = np.random.default_rng(seed)
    radar = (rng.uniform(-89.9, 89.9), rng.uniform(-180, 180), 0.0)
    tgt = point_at(radar, rng.uniform(-2.0, 2.0, n) ** 3, rng.uniform(0, 360, n), rng.uniform(1e3, 5e6, n))
    tgt = tgt[height_pyproj(tgt) > 0]  # targets above the surface
    _, el, _ = ref_look(radar, tgt)
    los = los_only(tgt, radar)
    vis = radar_visibility(np.zeros(len(tgt)), tgt, None, *radar, INF, elevation_mask_deg=0.0)
    return (int(np.sum(~los[el >= 0])) + int(np.sum(los[el < -1e-4])) + int(np.sum(vis != (el >= 0)))), len(tgt)


@pytest.mark.parametrize("seed", range(5))
def test_surface_radar_los_is_elevation_nonnegative(seed):
    bad, n = surface_radar_failures(seed)
    assert n > 1000 and bad == 0


@settings(max_examples=200, deadline=None)
@given(st.floats(-89.9, 89.9), st.floats(-180, 180), st.floats(0, 30_000), st.floats(0, 90),
       st.floats(0, 360), st.floats(1.0, 1e7))
def test_nonnegative_elevation_always_in_los(lat, lon, alt, el, az, rng_m):
    """From any radar at or above the ellipsoid, a target at elevation >= 0 is in line of sight."""
    radar = (lat, lon, alt)
    assert los_only(point_at(radar, el, az, rng_m), radar)[0]


def test_radar_below_ellipsoid_uses_foot_point():
    """Negative height (geoid below the ellipsoid): LOS tested from the surface foot point."""
    rng = np.random.default_rng(3)
    radar = (8.0, 80.0, -90.0)
    tgt = point_at(radar, rng.uniform(-3, 30, 500), rng.uniform(0, 360, 500), rng.uniform(1e4, 3e6, 500))
    assert np.array_equal(los_only(tgt, radar), los_only(tgt, radar[:2] + (0.0,)))
    assert los_only(point_at(radar, 5.0, 0.0, 5e5), radar)[0]
    # 0.002° above the radar's horizontal, 1000 km out: 35 m above its horizontal plane but 55 m
    # below the foot point's tangent plane, so hidden (the conservative side of the rule); a test
    # from the true position would pass it (the segment rises from below the surface)
    assert not los_only(point_at(radar, 0.002, 0.0, 1e6), radar)[0]
    assert los_only(point_at(radar, 0.008, 0.0, 1e6), radar)[0]  # 50 m above the foot's plane


# ---- range, azimuth sector, rotation ----------------------------------------------------------

def test_detection_range_scaling():
    assert detection_range_m(4.0e6, 10.0, 10.0 / 16) == pytest.approx(2.0e6, rel=1e-15)
    assert detection_range_m(1.0e6, 1.0, 81.0) == pytest.approx(3.0e6, rel=1e-15)
    np.testing.assert_allclose(detection_range_m(1e6, 1.0, np.array([1.0, 0.0625])), [1e6, 5e5], rtol=1e-15)
    with pytest.raises(BmdcheckError):
        detection_range_m(1e6, 0.0, 1.0)


@pytest.mark.parametrize("rcs", [0.01, 0.1, 1.0, 10.0])
def test_range_limit_flips_at_scaled_range(rcs):
    radar = CAPE_COD
    r_max = detection_range_m(5.556e6, 10.0, rcs)  # 3000 nmi for 10 m²
    for el, az in [(5.0, 10.0), (40.0, 100.0), (89.5, 200.0)]:
        tgt = point_at(radar, el, az, np.array([r_max - STEP_M, r_max + STEP_M]))
        assert ref_look(radar, tgt)[0] == pytest.approx([r_max - STEP_M, r_max + STEP_M], abs=1e-6)
        assert radar_visibility(np.zeros(2), tgt, None, *radar, r_max).tolist() == [True, False]


def sector_failures():
    radar = CAPE_COD
    # a 0.5° grid off the edges, plus points STEP_DEG either side of both edges and of north
    az = np.concatenate([np.arange(0.25, 360.0, 0.5), [347 - STEP_DEG, 347 + STEP_DEG, 227 - STEP_DEG,
                                                       227 + STEP_DEG, 360 - STEP_DEG, STEP_DEG]])
    tgt = point_at(radar, 10.0, az, 1.5e6)
    _, _, ref_az = ref_look(radar, tgt)
    expect = (ref_az >= 347.0) | (ref_az <= 227.0)
    bad = 0
    for lo, hi in [(347, 227), (-13, 227), (347, 587), (707, -133)]:  # the same sector, 240° wide
        bad += int(np.sum(radar_visibility(np.zeros(len(az)), tgt, None, *radar, 5e6, 0.0, 90.0, lo, hi) != expect))
    comp = radar_visibility(np.zeros(len(az)), tgt, None, *radar, 5e6, 0.0, 90.0, 227, 347)  # 120° wide
    bad += int(np.sum(comp == expect))
    # one face, 347° -> 107° (120° wide, through north)
    face = radar_visibility(np.zeros(len(az)), tgt, None, *radar, 5e6, 0.0, 90.0, 347, 107)
    bad += int(np.sum(face != ((ref_az >= 347.0) | (ref_az <= 107.0))))
    return bad


def test_azimuth_sector_wraps_through_north():
    """Cape Cod UEWR field of regard 347° -> 227° clockwise (through north), and its complement."""
    assert sector_failures() == 0


def test_azimuth_full_circle_and_errors():
    tgt = point_at(CAPE_COD, 10.0, np.arange(0.0, 360.0, 7.0), 1e6)
    t = np.zeros(len(tgt))
    everything = radar_visibility(t, tgt, None, *CAPE_COD, 5e6)
    assert everything.all()
    assert np.array_equal(radar_visibility(t, tgt, None, *CAPE_COD, 5e6, 0.0, 90.0, 0.0, 360.0), everything)
    assert np.array_equal(radar_visibility(t, tgt, None, *CAPE_COD, 5e6, 0.0, 90.0, 90.0, 450.0), everything)
    with pytest.raises(BmdcheckError):
        radar_visibility(t, tgt, None, *CAPE_COD, 5e6, 0.0, 90.0, 10.0, None)
    with pytest.raises(BmdcheckError):
        radar_visibility(t, tgt, None, *CAPE_COD, 5e6, 0.0, 90.0, 10.0, 10.0)


@settings(max_examples=300, deadline=None)
@given(st.floats(-720, 720), st.floats(0.5, 359.5), st.floats(0, 360))
def test_azimuth_sector_vs_angle_arithmetic(lo, width, az):
    """Any sector and direction: inside iff (az - lo) mod 360 <= width, away from the edges."""
    rel = (az - lo) % 360.0
    if min(abs(rel), abs(rel - width), abs(360.0 - rel)) < 1e-6:
        return
    tgt = point_at(CAPE_COD, 10.0, az, 1e6)
    vis = radar_visibility(np.zeros(1), tgt[None], None, *CAPE_COD, 5e6, 0.0, 90.0, lo, lo + width)
    assert vis[0] == (rel <= width)


def rotation_drift_deg(earth=WGS84):
    """A target fixed in ECEF, given in ECI over 24 h: drift of its elevation and azimuth."""
    radar = CAPE_COD
    t = np.linspace(0.0, 86_400.0, 1441)
    tgt = np.repeat(point_at(radar, 20.0, 60.0, 1.2e6)[None], len(t), 0)
    _, el, az, _ = radar_look_angles(t, to_eci(tgt, t), None, *radar, earth=earth)
    return np.ptp(el), np.ptp(az)


def test_earth_fixed_target_has_constant_look_angles():
    de, da = rotation_drift_deg()
    assert de < 1e-9 and da < 1e-9
    # the same ECI arrays on a non-rotating Earth sweep across the sky (the test can fail)
    de0, _ = rotation_drift_deg(EarthModel(rotation=False))
    assert de0 > 10.0
    radar = CAPE_COD
    t = np.linspace(0.0, 86_400.0, 1441)
    tgt = np.repeat(point_at(radar, 20.0, 60.0, 1.2e6)[None], len(t), 0)
    assert radar_visibility(t, to_eci(tgt, t), None, *radar, 2e6, 19.9, 20.1, 59.9, 60.1).all()


# ---- track time, first detection, segments on hand-built arrays -------------------------------

V = np.array([0, 1, 1, 0, 1, 1, 1, 1, 0], bool)
T = np.arange(9.0)


@pytest.mark.parametrize("min_track,expect", [(0.0, 1.0), (1.0, 2.0), (1.5, 5.5), (2.0, 6.0), (3.0, 7.0),
                                              (3.5, np.nan), (4.0, np.nan)])
def test_track_time_hand_built(min_track, expect):
    np.testing.assert_equal(track_time_s(V, T, None, min_track), expect)


def test_track_time_exactly_met_with_rounded_times():
    t = np.cumsum(np.full(100, 0.1)) - 0.1  # 0, 0.1, 0.2, ... with accumulated rounding
    v = np.zeros(100, bool)
    v[7:10] = True  # runs 0.7 .. 0.9: lasts 0.2 s (to rounding)
    v[20:24] = True  # 2.0 .. 2.3
    assert not (t[9] - t[7] >= 0.2)  # the rounding this test is about
    assert track_time_s(v, t, None, 0.2) == pytest.approx(0.7 + 0.2, abs=1e-12)
    assert track_time_s(v, t, None, 0.25) == pytest.approx(2.0 + 0.25, abs=1e-12)
    assert np.isnan(track_time_s(v, t, None, 0.31))


def test_track_time_respects_n_samples_and_per_row_min_track():
    vis = np.array([V, V, V])
    t = np.array([T, T, T])
    np.testing.assert_equal(track_time_s(vis, t, [9, 6, 9], [2.0, 2.0, 3.0]), [6.0, np.nan, 7.0])
    np.testing.assert_equal(first_visible_s(vis, t, [9, 1, 0]), [1.0, np.nan, np.nan])
    with pytest.raises(BmdcheckError):
        track_time_s(vis, t, None, -1.0)


def test_segments_hand_built():
    segs = visibility_segments(V, T, None)
    np.testing.assert_array_equal(segs, [[1, 2], [4, 7]])
    vis = np.array([V, np.ones(9, bool), np.zeros(9, bool), [1, 0, 1, 0, 0, 0, 0, 0, 1]], bool)
    out = visibility_segments(vis, np.array([T] * 4), [9, 5, 9, 9])
    assert [s.tolist() for s in out] == [[[1, 2], [4, 7]], [[0, 4]], [], [[0, 0], [2, 2], [8, 8]]]
    assert all(s.shape[1] == 2 for s in out)


def brute_track(v, t, n, mt):
    for j0 in range(n):
        if v[j0] and (j0 == 0 or not v[j0 - 1]):
            j = j0
            while j < n and v[j]:
                if t[j] - t[j0] >= mt - C.TRACK_TOL_S:
                    return t[j0] + mt
                j += 1
    return np.nan


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), min_size=0, max_size=40), st.integers(0, 40), st.floats(0, 12))
def test_track_time_and_segments_vs_brute_force(bits, n, mt):
    v = np.array(bits, bool)
    m = len(v)
    n = min(n, m)
    t = np.arange(m) * 0.5 + 3.0
    np.testing.assert_equal(track_time_s(v[None], t[None], [n], mt)[0], brute_track(v, t, n, mt))
    vis_t = [t[j] for j in range(n) if v[j]]
    np.testing.assert_equal(first_visible_s(v[None], t[None], [n])[0], vis_t[0] if vis_t else np.nan)
    segs = visibility_segments(v, t, n)
    covered = [t[j] for j in range(n) if v[j]]
    assert [x for a, b in segs for x in t[(t >= a) & (t <= b)]] == covered


def test_early_warning():
    assert early_warning_detection_s(60.0, 30.0) == 90.0
    np.testing.assert_array_equal(early_warning_detection_s(np.array([60.0, 45.0]), 30.0), [90.0, 75.0])


# ---- batch, broadcasting, compiled vs plain path, edges ---------------------------------------

def batch_case(seed, n=7, m=50):
    rng = np.random.default_rng(seed)
    radar = (30.0, 130.0, 100.0)
    t = np.sort(rng.uniform(0, 2000, (n, m)), axis=1)
    lat0, lon0 = rng.uniform(20, 45, (n, 1)), rng.uniform(110, 150, (n, 1))
    s = np.linspace(0, 1, m)[None]
    tgt = ecef_pyproj(lat0 + 10 * s, lon0 + 15 * s, 1.2e6 * 4 * s * (1 - s))
    ns = rng.integers(0, m + 1, n)
    return radar, t, to_eci(tgt, t), ns


def test_batch_equals_single_calls():
    radar, t, r, ns = batch_case(1)
    kw = dict(elevation_mask_deg=2.0, max_elevation_deg=70.0, azimuth_min_deg=200.0, azimuth_max_deg=100.0)
    vis = radar_visibility(t, r, ns, *radar, 3e6, **kw)
    assert vis.shape == t.shape and vis.any() and not vis.all()
    angles = radar_look_angles(t, r, ns, *radar)
    for i in range(len(t)):
        one = radar_visibility(t[i], r[i], ns[i], *radar, 3e6, **kw)
        assert np.array_equal(one, vis[i]) and np.array_equal(radar_visibility(t[i:i + 1], r[i:i + 1], ns[i:i + 1],
                                                                                 *radar, 3e6, **kw)[0], vis[i])
        assert not vis[i, ns[i]:].any()
        for a, b in zip(radar_look_angles(t[i], r[i], ns[i], *radar), angles):
            np.testing.assert_array_equal(a, b[i])
    # visibility = the four conditions applied to the look angles
    rng_m, el, az, los = angles
    ok = (rng_m <= 3e6) & (el >= 2.0) & (el <= 70.0) & ((az >= 200.0) | (az <= 100.0)) & los
    assert np.array_equal(ok, vis)


def test_compiled_equals_plain_python():
    radar, t, r, ns = batch_case(2, n=4, m=30)
    G = C._radar_params(*radar, WGS84)
    use_az, S = C._sector(200.0, 100.0)
    args = (t, r, ns.astype(np.int64), G, 3e6, True, math.sin(math.radians(2.0)), True, math.sin(math.radians(70.0)),
            use_az, S)
    fast, plain = np.zeros(t.shape, bool), np.zeros(t.shape, bool)
    C.visibility_kernel(*args, fast)
    C.visibility_kernel.py_func(*args, plain)
    assert np.array_equal(fast, plain) and fast.any()


def test_shared_time_axis_and_nonfinite_samples():
    radar, t, r, _ = batch_case(3, n=3, m=20)
    t1 = t[0]
    assert np.array_equal(radar_visibility(t1, r, None, *radar, 3e6), radar_visibility(np.tile(t1, (3, 1)), r, None,
                                                                                      *radar, 3e6))
    r = r.copy()
    r[:, 5:] = np.nan
    assert not radar_visibility(t, r, None, *radar, INF, -90.0)[:, 5:].any()


@pytest.mark.parametrize("kw", [dict(elevation_mask_deg=10.0, max_elevation_deg=5.0), dict(max_range_m=-1.0),
                                dict(n_samples=[51]), dict(radar_lat_deg=91.0)])
def test_bad_arguments_raise(kw):
    args = dict(t_s=np.zeros(50), r_eci_m=np.ones((50, 3)) * 7e6, n_samples=None, radar_lat_deg=0.0,
                radar_lon_deg=0.0, radar_alt_m=0.0, max_range_m=1e6)
    args.update(kw)
    with pytest.raises(BmdcheckError):
        radar_visibility(**args)


# ---- measurement for docs/validation/coverage.md ---------------------------------------------

def synthetic_trajectories(n, m, seed=11):
    """Lofted great-circle arcs (ground range 1,000-10,000 km, apogee 25 % of it), in ECI."""
    rng = np.random.default_rng(seed)
    lat0, lon0, az = rng.uniform(20, 60, n), rng.uniform(30, 140, n), rng.uniform(0, 360, n)
    rng_m, tof = rng.uniform(1e6, 1e7, n), rng.uniform(600, 2000, n)
    s = np.linspace(0, 1, m)
    t = tof[:, None] * s[None]
    u = np.stack([np.cos(np.radians(lat0)) * np.cos(np.radians(lon0)),
                  np.cos(np.radians(lat0)) * np.sin(np.radians(lon0)), np.sin(np.radians(lat0))], -1)
    a = np.radians(az)
    enu = np.stack([enu_matrix(la, lo) for la, lo in zip(lat0, lon0)])
    w = np.cos(a)[:, None] * enu[:, 1] + np.sin(a)[:, None] * enu[:, 0]
    th = (rng_m / R)[:, None] * s[None]
    h = 0.25 * rng_m[:, None] * 4 * s * (1 - s)
    r = (R + h)[..., None] * (np.cos(th)[..., None] * u[:, None] + np.sin(th)[..., None] * w[:, None])
    return t, to_eci(r, t), np.full(n, m)


def measure_rate(n=10_000, m=2_000, repeat=3):
    import numba

    t, r, ns = synthetic_trajectories(n, m)
    radar = (45.0, 90.0, 500.0)
    cases = {"all samples reach every test (range inf, mask -90°, sector)":
             dict(max_range_m=INF, elevation_mask_deg=-90.0, azimuth_min_deg=300.0, azimuth_max_deg=120.0),
             "UEWR-like (5,000 km, mask 3°, no sector)": dict(max_range_m=5e6, elevation_mask_deg=3.0)}
    radar_visibility(t[:2], r[:2], ns[:2], *radar, 1e6)  # compile / load cache
    out = {}
    for name, kw in cases.items():
        best = INF
        for _ in range(repeat):
            t0 = time.perf_counter()
            vis = radar_visibility(t, r, ns, *radar, **kw)
            best = min(best, time.perf_counter() - t0)
        out[name] = (n * m / best, best, float(vis.mean()))
    t0 = time.perf_counter()
    track_time_s(vis, t, ns, 20.0)
    out["track_time_s"] = (n * m / (time.perf_counter() - t0), None, None)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        kw = cases["UEWR-like (5,000 km, mask 3°, no sector)"]
        t0 = time.perf_counter()
        radar_visibility(t[:2000], r[:2000], ns[:2000], *radar, **kw)
        out["UEWR-like, one thread"] = (2000 * m / (time.perf_counter() - t0), None, None)
    finally:
        numba.set_num_threads(threads)
    return out, threads


def _measure():
    import os
    import platform

    import numba
    import pyproj
    import scipy

    print(f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
          f"scipy {scipy.__version__}, pyproj {pyproj.__version__} (PROJ {pyproj.proj_version_str}), "
          f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}")
    e = max(sphere_horizon_error(h1, h2, 10.0, 20.0, 30.0) for h1, h2 in HORIZON_CASES)
    print(f"sphere horizon: max |transition - closed form| = {e:.2e} rad over {len(HORIZON_CASES)} (h1, h2)")
    errs = np.array([look_errors(s) for s in range(10)])
    print(f"look angles vs pyproj (2000 targets): range {errs[:, 0].max():.2e} m, el {errs[:, 1].max():.2e} deg, "
          f"az {errs[:, 2].max():.2e} deg")
    print(f"mask/max flips at ±{STEP_DEG} deg: failures {sum(mask_flip_failures(s, 60) for s in range(3))} of "
          f"{3 * 60 * 4}")
    res = [graze_residual_m(s) for s in range(12)]
    print(f"LOS transition, reference min height: max |h| = {max(abs(x) for x in res):.2e} m over 12 geodesics")
    bc = [los_classification_failures(s) for s in range(4)]
    print(f"LOS vs dense segment: failures {sum(b for b, _ in bc)} of {sum(c for _, c in bc)}")
    sf = [surface_radar_failures(s) for s in range(5)]
    print(f"surface radar el>=0 <=> LOS: failures {sum(b for b, _ in sf)} of {sum(c for _, c in sf)}")
    print(f"sector 347->227: failures {sector_failures()}")
    de, da = rotation_drift_deg()
    de0, _ = rotation_drift_deg(EarthModel(rotation=False))
    print(f"ECEF-fixed target over 24 h: el drift {de:.2e} deg, az drift {da:.2e} deg "
          f"(non-rotating control: {de0:.1f} deg)")
    rates, threads = measure_rate()
    for name, (rate, secs, frac) in rates.items():
        extra = f", {secs:.3f} s, visible fraction {frac:.3f}" if secs is not None else ""
        print(f"{name}: {rate:,.0f} sample evaluations/s ({threads} threads{extra})")


if __name__ == "__main__":
    _measure()


# ---- memo: one geometry pass per (threats, radar), any detection range ---------------------------

@pytest.mark.parametrize("seed", [3, 4])
def test_memo_gives_the_kernels_visibility_for_every_range(seed):
    """Inside ``coverage.memo()`` radar_visibility answers from the squared slant range; the result
    must equal the direct kernel's bit for bit, for ranges 0 .. inf, elevation limits, a sector,
    padded rows (n_samples) and repeated calls; and outside the block the memo is gone."""
    rng = np.random.default_rng(seed)
    n, m = 6, 300
    radar, tgt = random_geometry(rng, n * m)
    t = np.tile(np.linspace(0, 2000, m), (n, 1))
    r = to_eci(tgt, t.ravel()).reshape(n, m, 3)
    r[0, 5] = np.nan  # a non-finite sample is never visible
    ns = rng.integers(1, m + 1, n)
    cases = [dict(), dict(elevation_mask_deg=5.0), dict(elevation_mask_deg=-2.0, max_elevation_deg=60.0),
             dict(azimuth_min_deg=300.0, azimuth_max_deg=80.0), dict(azimuth_min_deg=10.0, azimuth_max_deg=250.0)]
    ranges = [0.0, 8e5, 2.5e6, 4.0e6, INF]
    direct = {(k, x): radar_visibility(t, r, ns, *radar, x, earth=WGS84, **kw)
              for k, kw in enumerate(cases) for x in ranges}
    assert any(v.any() and not v[:, :].all() for v in direct.values())
    with C.memo():
        for _ in range(2):
            for k, kw in enumerate(cases):
                for x in ranges:
                    got = radar_visibility(t, r, ns, *radar, x, earth=WGS84, **kw)
                    assert got.dtype == np.bool_ and np.array_equal(got, direct[(k, x)]), (k, x)
        assert len(C._MEMO.get()) == len(cases)
    assert C._MEMO.get() is None
