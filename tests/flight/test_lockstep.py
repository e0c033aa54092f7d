"""The lock-step kernel (flight.lockstep) against the SciPy reference and the adaptive kernel.

References: the independent SciPy DOP853 implementation of the same model at rtol 1e-10
(``flight.reference``), and the adaptive batch kernel (``flight.kernel``) at rtol 1e-11 for the
larger random sets and the statuses. docs/VALIDATION.md, flight section, lock-step rows.
"""

import numpy as np
import pytest

import bmdcheck as bc
from bmdcheck.earth.frames import geodesic_inverse
from bmdcheck.errors import BmdcheckError
from bmdcheck.flight.batch import fly_free_batch, fly_missile_batch
from bmdcheck.flight.reference import fly_reference

IMPACT_TOL_M = 100.0  # issue 10: impact points within 100 m of the SciPy reference
TIME_TOL_S = 0.05     # impact time (a 100 m miss along track at 7 km/s is ~0.015 s)

# (missile, launch lat, lon, azimuth, kick deg, cut-off s or None): min-energy-like, lofted
# (small kick), depressed (large kick), short cut-off, polar and equatorial launches, SRBM/SLBM.
REF_CASES = [
    ("minuteman-iii", 47.5, -111.0, 330.0, 22.0, None),
    ("minuteman-iii", 41.0, -104.0, 20.0, 6.0, None),     # lofted
    ("minuteman-iii", 48.0, -101.0, 300.0, 60.0, None),   # depressed
    ("topol-m", 55.0, 40.0, 335.0, 25.0, None),
    ("topol-m", 56.0, 45.0, 10.0, 40.0, 150.0),           # early cut-off
    ("topol-m", 90.0, 0.0, 200.0, 20.0, None),            # launch from the pole
    ("topol-m", 89.9, 30.0, 90.0, 35.0, None),            # near the pole
    ("r-36m2", 51.0, 59.0, 20.0, 30.0, None),             # 2-stage liquid, long pitch programme
    ("trident-ii-d5", 0.0, -150.0, 90.0, 18.0, None),     # equatorial, eastward
    ("trident-ii-d5", -30.0, 60.0, 250.0, 45.0, None),    # southern, westward
    ("scud-b", 33.0, 44.0, 270.0, 40.0, None),            # SRBM
    ("aps-liquid-icbm", -10.0, 120.0, 180.0, 70.0, 200.0),
]


def _impact_diff_m(b, lat, lon):
    la, lo, _ = b.impact_geodetic()
    return geodesic_inverse(la, lo, np.atleast_1d(lat), np.atleast_1d(lon))[0]


@pytest.mark.parametrize("name,lat,lon,az,kick,tcut", REF_CASES)
def test_lockstep_matches_scipy_reference(name, lat, lon, az, kick, tcut):
    m = bc.get_missile(name)
    b = fly_missile_batch(m, lat, lon, az, kick, tcut, kernel="lockstep")
    assert b.kernel == "lockstep"
    r = fly_reference(m, launch_lat_deg=lat, launch_lon_deg=lon, azimuth_deg=az, kick_deg=kick, t_cut_s=tcut,
                      earth="wgs84", gravity="j2", rotation=True, atmosphere="ussa76", rtol=1e-10)
    assert r.status == "impact" and b.ok[0]
    assert _impact_diff_m(b, r.impact_lat_deg, r.impact_lon_deg)[0] <= IMPACT_TOL_M
    assert abs(b.impact_time_s[0] - r.t_impact_s) <= TIME_TOL_S
    assert abs(b.burnout_time_s[0] - r.t_burnout_s) < 1e-9
    assert np.linalg.norm(b.v_burnout_eci_mps[0] - r.v_burnout_eci_mps) < 0.05
    assert abs(b.apogee_alt_m()[0] - r.apogee_alt_m) < 50.0


def _random_set(m, n, seed):
    from bmdcheck.flight.performance import max_range_performance

    rng = np.random.default_rng(seed)
    k = max_range_performance(m)["kick_deg"]
    return (rng.uniform(-89, 89, n), rng.uniform(-180, 180, n), rng.uniform(0, 360, n),
            rng.uniform(0.3 * k, min(85.0, 2.0 * k), n), rng.uniform(0.6, 1.0, n) * m.burn_end_s)


@pytest.mark.parametrize("name", ["topol-m", "minuteman-iii", "r-36m2"])
def test_lockstep_matches_adaptive_on_random_flights(name):
    """96 random launches (anywhere, any azimuth, lofted to depressed, cut-off 60-100 %)."""
    m = bc.get_missile(name)
    args = _random_set(m, 96, 7)
    a = fly_missile_batch(m, *args, rtol=1e-11)
    b = fly_missile_batch(m, *args, kernel="lockstep")
    assert a.kernel == "adaptive" and b.kernel == "lockstep"
    np.testing.assert_array_equal(a.status, b.status)
    la, lo, _ = a.impact_geodetic()
    ok = a.ok
    assert ok.sum() > 80
    assert np.max(_impact_diff_m(b, la, lo)[ok]) <= IMPACT_TOL_M
    assert np.max(np.abs(a.impact_time_s - b.impact_time_s)[ok]) <= TIME_TOL_S
    assert np.max(np.abs(a.burnout_time_s - b.burnout_time_s)) < 1e-9
    assert np.max(np.abs(a.range_m() - b.range_m())[ok]) <= IMPACT_TOL_M


def test_blocks_do_not_interact():
    """A flight's row does not depend on which other flights share its block (bitwise)."""
    m = bc.get_missile("topol-m")
    args = _random_set(m, 70, 11)
    full = fly_missile_batch(m, *args, kernel="lockstep")
    idx = np.array([3, 69, 17, 40, 41])
    part = fly_missile_batch(m, *(a[idx] for a in args), kernel="lockstep")
    np.testing.assert_array_equal(full.summary[idx], part.summary)


def test_free_bodies_and_time_limit():
    """Free bodies with drag (β 2,000 kg/m²) and a time limit that stops some in flight."""
    rng = np.random.default_rng(3)
    n = 40
    r, v = bc.burnout_state_eci(rng.uniform(-60, 60, n), rng.uniform(0, 360, n), rng.uniform(80e3, 400e3, n),
                                rng.uniform(3000, 7200, n), rng.uniform(-10, 60, n), rng.uniform(0, 360, n))
    for dur in (None, 900.0):
        a = fly_free_batch(r, v, 2000.0, duration_s=dur, rtol=1e-11)
        b = fly_free_batch(r, v, 2000.0, duration_s=dur, kernel="lockstep")
        np.testing.assert_array_equal(a.status, b.status)
        ok = a.ok
        la, lo, _ = a.impact_geodetic()
        if ok.any():
            assert np.max(_impact_diff_m(b, la, lo)[ok]) <= IMPACT_TOL_M
            assert np.max(np.abs(a.impact_time_s - b.impact_time_s)[ok]) <= TIME_TOL_S
        if (~ok).any():  # stopped by the time limit: at the limit, same place
            assert np.all(b.impact_time_s[~ok] == dur)
            assert np.max(np.linalg.norm(a.r_impact_eci_m[~ok] - b.r_impact_eci_m[~ok], axis=1)) < 50.0
    assert (~a.ok).any() and a.ok.any()


def test_escape_and_boost_statuses():
    """Escape (12 km/s from 1,200 km) and a flight stopped during boost by the time limit."""
    r, v = bc.burnout_state_eci(0.0, 0.0, 1.2e6, 12000.0, 30.0, 90.0)
    b = fly_free_batch(r, v, kernel="lockstep", duration_s=5000.0)
    assert b.status[0] == fly_free_batch(r, v, duration_s=5000.0).status[0] == 4  # kernel.STATUS_ESCAPE
    m = bc.get_missile("minuteman-iii")
    a = fly_missile_batch(m, 40.0, 10.0, 90.0, 20.0, duration_s=100.0, rtol=1e-11)
    b = fly_missile_batch(m, 40.0, 10.0, 90.0, 20.0, duration_s=100.0, kernel="lockstep")
    assert a.status[0] == b.status[0] == 1  # duration reached
    assert b.impact_time_s[0] == 100.0
    assert np.linalg.norm(a.r_impact_eci_m[0] - b.r_impact_eci_m[0]) < 1.0


def test_pitch_hold_booster_matches_adaptive():
    """Interceptor fly-outs hold the kicked attitude to burnout (flight-model.md, pitch_hold)."""
    from bmdcheck.defence.flyout import booster_for

    m = booster_for(4500.0, 50.0)
    kicks = np.linspace(5, 80, 12)
    a = fly_missile_batch(m, 30.0, 0.0, 90.0, kicks, duration_s=600.0, rtol=1e-11)
    b = fly_missile_batch(m, 30.0, 0.0, 90.0, kicks, duration_s=600.0, kernel="lockstep")
    np.testing.assert_array_equal(a.status, b.status)
    assert np.max(np.linalg.norm(a.v_burnout_eci_mps - b.v_burnout_eci_mps, axis=1)) < 0.05
    assert np.max(np.linalg.norm(a.r_impact_eci_m - b.r_impact_eci_m, axis=1)) < IMPACT_TOL_M


def test_kernel_argument_errors():
    m = bc.get_missile("topol-m")
    with pytest.raises(BmdcheckError, match="samples"):
        fly_missile_batch(m, 50.0, 40.0, 0.0, 20.0, kernel="lockstep", sample_interval_s=1.0)
    with pytest.raises(BmdcheckError, match="kernel must be"):
        fly_missile_batch(m, 50.0, 40.0, 0.0, 20.0, kernel="fast")
