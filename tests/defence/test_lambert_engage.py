"""The Lambert reach model's window edges, checked with the independent universal-variable solver."""

import numpy as np
import pytest

import bmdcheck as bc
from bmdcheck.defence.engage import InterceptorSpec, SiteSpec, TimelineSpec, engage_threats
from bmdcheck.defence.engagement import Threats
from bmdcheck.defence.lambert import lambert_universal
from bmdcheck.earth.constants import OMEGA_EARTH_RAD_S
from bmdcheck.earth.frames import ecef_to_eci, geodetic_to_ecef


@pytest.fixture(scope="module")
def threat():
    t = bc.fly("topol-m", (54.038, 35.772), (38.895, -77.036), sample_interval_s=1.0)
    s = t.samples
    return s, Threats.from_arrays(s.t_s, s.r_eci_m, s.v_eci_mps)


def test_edges_need_exactly_the_burnout_speed(threat):
    """At a reach-limited window edge the transfer needs Δv = burnout speed (fixed launch, no burn)."""
    s, th = threat
    site = SiteSpec("s", 62.0, -10.0)
    vbo, t_launch = 5000.0, 300.0
    it = InterceptorSpec("x", vbo, 1e-9, 0.0, 1e7, 0.0, 1e9, 0.0)
    e = engage_threats(th, [site], [it], TimelineSpec(mode="early-warning-only", launch_at_s=t_launch), "lambert")
    rec = e.record(0)
    assert rec["feasible"]
    r_site = ecef_to_eci(geodetic_to_ecef(62.0, -10.0, 0.0), t_launch)
    v_site = OMEGA_EARTH_RAD_S * np.array([-r_site[1], r_site[0], 0.0])
    checked = 0
    for edge in (rec["first_s"], rec["last_s"]):
        if edge >= s.t_s[-2]:
            continue  # the window ends with the trajectory (altitude band), not with reach
        r_tgt = np.array([np.interp(edge, s.t_s, s.r_eci_m[:, k]) for k in range(3)])
        v1, _ = lambert_universal(r_site, r_tgt, edge - t_launch)
        dv = np.linalg.norm(np.asarray(v1) - v_site)
        assert abs(dv - vbo) < 10.0, (edge, dv)
        checked += 1
    assert checked >= 1
    assert rec["flight_time_first_s"] == pytest.approx(rec["first_s"] - t_launch, abs=1e-6)


def test_minimum_dv_is_the_threshold(threat):
    """The Lambert threshold is the smallest Δv over the trajectory: feasible at it, not 10 m/s below."""
    _, th = threat
    site = SiteSpec("s", 62.0, -10.0)
    tl = TimelineSpec(mode="early-warning-only", launch_at_s=300.0)
    it = InterceptorSpec("x", 9000.0, 1e-9, 100e3, 2000e3, 0.0, 1e9, 0.0)
    dv = float(engage_threats(th, [site], [it], tl, "lambert").min_dv_mps[0])
    assert np.isfinite(dv)
    assert engage_threats(th, [site], [it.with_burnout_speed(dv + 1.0)], tl, "lambert").windows.feasible[0]
    assert not engage_threats(th, [site], [it.with_burnout_speed(dv - 10.0)], tl, "lambert").windows.feasible[0]
