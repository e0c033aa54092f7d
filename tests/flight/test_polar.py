"""Flights at and near the poles land at their aim points (issue 8).

The check is independent of the solver: the geodesic distance (PROJ/Karney, via pyproj directly)
from the impact point the engine reports to the requested aim point. Before the fix a launch from a
pole flew to the opposite meridian and reported a normal impact.
"""

import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pyproj import Geod

import bmdcheck as bc
from bmdcheck.flight.batch import fly_missile_batch
from bmdcheck.flight.steering import MISS_TOL_KM

GEOD = Geod(ellps="WGS84")
TOPOL = bc.get_missile("topol-m")


def _miss_km(lat, lon, aim):
    return GEOD.inv(lon, lat, aim[1], aim[0])[2] / 1e3


# the cases of the issue, each of which failed (wrong impact, wrong max range, nan, no convergence)
ISSUE_CASES = [((90, 0), (60, 30)), ((-90, 10), (-60, 30)), ((90, 0), (60, 180)), ((90, 0), (60, -150)),
               ((89.999, 0), (60, 30)), ((89.999, 0), (60, -150)), ((90, 0), (60, 90))]


@pytest.mark.parametrize("launch,aim", ISSUE_CASES)
def test_issue_polar_cases_land_at_aim(launch, aim):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning may leak
        t = bc.fly(TOPOL, launch, aim)
    assert t.status == "impact"
    assert _miss_km(t.impact_lat, t.impact_lon, aim) < MISS_TOL_KM
    assert t.range_km == pytest.approx(GEOD.inv(launch[1], launch[0], aim[1], aim[0])[2] / 1e3, abs=0.1)


@pytest.mark.parametrize("solver", ["reference", "auto"])
def test_polar_batch_every_solved_flight_lands(solver):
    """Launches at, near and across the poles in one batch, aims over the pole and beside it; both
    the reference solver and the routed one (Newton fast path with the reference as fallback)."""
    from bmdcheck.flight.newton import aim

    launch = [(90, 0), (90, 77), (89.9999, 10), (89.99, -120), (-90, 0), (-90, -45), (-89.999, 170), (88, 0)]
    rows = []
    for la, lo in launch:
        for az in (0.0, 90.0, 180.0, 250.0):
            lon2, lat2, _ = GEOD.fwd(lo, la, az, 4.0e6)
            rows.append((la, lo, lat2, lon2))
    a = np.array(rows)
    stg = aim(TOPOL, a[:, 0], a[:, 1], a[:, 2], a[:, 3], method=solver)
    assert stg.ok.all(), [e for e in stg.error if e]
    b = fly_missile_batch(TOPOL, a[:, 0], a[:, 1], stg.azimuth_deg, stg.kick_deg, stg.t_cut_s, rtol=1e-10)
    lat, lon, _ = b.impact_geodetic()
    miss = GEOD.inv(lon, lat, a[:, 3], a[:, 2])[2] / 1e3
    assert b.ok.all()
    assert np.all(miss < MISS_TOL_KM), miss.max()


def test_pole_launch_matches_scipy_reference():
    """The kernel's pitch plane at a pole is the reference model's (SciPy DOP853, independent code)."""
    from bmdcheck.flight.reference import fly_reference

    t = bc.fly(TOPOL, (90, 0), (60, 30))
    s = t.steering
    ref = fly_reference(TOPOL, launch_lat_deg=90.0, launch_lon_deg=0.0, azimuth_deg=s["azimuth_deg"],
                        kick_deg=s["kick_deg"], t_cut_s=s["t_cut_s"], rtol=1e-10)
    assert _miss_km(ref.impact_lat_deg, ref.impact_lon_deg, (60, 30)) < 0.01  # measured 0.2 m


# launch latitudes that exercise the pole, its neighbourhood, and ordinary places
_LATS = st.one_of(st.sampled_from([90.0, -90.0, 89.999, -89.999, 89.9999999, 89.5, -88.0]),
                  st.floats(-90, 90))


@settings(max_examples=12, deadline=None)
@given(lat=_LATS, lon=st.floats(-180, 180), az=st.floats(0, 360), dist_km=st.floats(1500, 9000))
@example(lat=90.0, lon=0.0, az=0.0, dist_km=3348.0)
@example(lat=89.999, lon=0.0, az=0.0, dist_km=3348.0)
@example(lat=-90.0, lon=10.0, az=200.0, dist_km=6000.0)
def test_every_solved_flight_lands_within_tolerance(lat, lon, az, dist_km):
    """Property: a flight the solver reports as solved lands within MISS_TOL_KM of its aim point."""
    lon2, lat2, _ = GEOD.fwd(lon, lat, az, dist_km * 1e3)
    aim = (lat2, lon2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            t = bc.fly(TOPOL, (lat, lon), aim)
        except bc.BmdcheckError as e:
            assert "nan" not in str(e).lower()
            return
    assert t.status == "impact"
    assert _miss_km(t.impact_lat, t.impact_lon, aim) < MISS_TOL_KM


def test_unreachable_polar_aim_says_so_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(bc.BmdcheckError, match="maximum range") as ex:
            bc.fly(TOPOL, (90, 0), (-60, 30))
    assert "nan" not in str(ex.value)


def test_fly_refuses_a_solution_that_misses(monkeypatch):
    """The last line of defence: whatever a solver claims, fly() checks the landing point itself.
    A steering answer with the azimuth turned by 180° (the pole bug's symptom) must be an error."""
    import bmdcheck.flight.newton as newton

    real = newton.aim

    def flipped(*a, **k):
        st = real(*a, **k)
        st.azimuth_deg = (st.azimuth_deg + 180.0) % 360.0
        return st

    monkeypatch.setattr(newton, "aim", flipped)
    with pytest.raises(bc.BmdcheckError, match="does not reach the aim point"):
        bc.fly(TOPOL, (54.04, 35.77), (60.0, 30.0))


def test_landing_miss_is_the_geodesic_distance_and_nan_without_impact():
    from bmdcheck.flight.steering import landing_miss_km

    b = fly_missile_batch(TOPOL, [54.0, 54.0], [35.0, 35.0], [300.0, 290.0], [50.0, 40.0])
    lat, lon, _ = b.impact_geodetic()
    m = landing_miss_km(b, np.array([50.0, 50.0]), np.array([0.0, 0.0]))
    assert m == pytest.approx(np.asarray(GEOD.inv(lon, lat, np.zeros(2), np.full(2, 50.0))[2]) / 1e3, rel=1e-9)
    short = fly_missile_batch(TOPOL, 54.0, 35.0, 300.0, 50.0, duration_s=100.0)
    assert np.isnan(landing_miss_km(short, 50.0, 0.0)).all()
