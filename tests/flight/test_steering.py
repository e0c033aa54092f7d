"""The steering solver reaches the aim point on the requested shape."""

import numpy as np
import pytest

import bmdcheck as bc
from bmdcheck.earth.frames import geodesic_inverse
from bmdcheck.flight import kepler

KOZELSK = (54.038, 35.772)
WASHINGTON = (38.895, -77.036)


def _miss_m(t, aim):
    return geodesic_inverse(t.impact_lat, t.impact_lon, aim[0], aim[1])[0]


def test_min_energy_reaches_aim_with_min_energy_angle():
    t = bc.fly("minuteman-iii", KOZELSK, WASHINGTON)
    assert _miss_m(t, WASHINGTON) < 50.0
    # inertial burnout flight-path angle equals the independent closed-form min-energy angle
    rb, vb, ri = t.r_burnout_eci_m, t.v_burnout_eci_mps, t.r_impact_eci_m
    gam = np.degrees(np.arcsin(rb @ vb / (np.linalg.norm(rb) * np.linalg.norm(vb))))
    gme = np.degrees(kepler.min_energy_gamma(rb, ri))
    assert abs(gam - gme) < 0.01


def test_min_energy_needs_least_burnout_energy():
    """Among shapes to the same aim point, min-energy has the lowest inertial burnout speed."""
    speeds = {}
    for shape in ("min-energy", "lofted", "depressed"):
        try:
            t = bc.fly("topol-m", KOZELSK, (48.0, -30.0), shape)
        except bc.BmdcheckError:
            continue
        assert _miss_m(t, (48.0, -30.0)) < 50.0
        speeds[shape] = np.linalg.norm(t.v_burnout_eci_mps)
    assert "lofted" in speeds
    for s, v in speeds.items():
        assert speeds["min-energy"] <= v + 1.0, s


def test_lofted_apogee_is_met():
    t0 = bc.fly("minuteman-iii", KOZELSK, (50.0, 0.0), "lofted")
    want = 0.8 * t0.apogee_km
    t = bc.fly("minuteman-iii", KOZELSK, (50.0, 0.0), "lofted", apogee_km=want)
    assert abs(t.apogee_km - want) < 2.0
    assert _miss_m(t, (50.0, 0.0)) < 50.0


def test_batch_solver_many_pairs():
    m = bc.get_missile("aps-solid-icbm")
    rng = np.random.default_rng(3)
    lat0, lon0 = rng.uniform(50, 58, 6), rng.uniform(30, 60, 6)
    lat1, lon1 = rng.uniform(35, 45, 6), rng.uniform(-100, -75, 6)
    s = bc.solve_steering(m, lat0, lon0, lat1, lon1, "min-energy")
    reachable = np.array([e is None or "maximum range" not in e for e in s.error])
    assert np.all(s.ok[reachable])
    ok = s.ok
    assert ok.sum() >= 3
    b = bc.fly_missile_batch(m, lat0[ok], lon0[ok], s.azimuth_deg[ok], s.kick_deg[ok], s.t_cut_s[ok])
    la, lo, _ = b.impact_geodetic()
    d, _ = geodesic_inverse(la, lo, lat1[ok], lon1[ok])
    assert np.all(d < 50.0)


def test_unreachable_aim_states_max_range():
    with pytest.raises(bc.BmdcheckError, match=r"maximum range .* about [\d,]+ km"):
        bc.fly("scud-b", (0.0, 0.0), (10.0, 10.0))


def test_apogee_only_for_lofted_or_depressed():
    with pytest.raises(bc.BmdcheckError, match="apogee"):
        bc.fly("scud-b", (0.0, 0.0), (1.0, 1.0), "min-energy", apogee_km=100)
