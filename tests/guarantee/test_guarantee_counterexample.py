"""Every FAIL's counterexample can be checked by hand: its flat fields (docs/CONVENTIONS.md,
"Counterexamples") let an independent Lambert computation (lambert_ref.py: own WGS-84 geodesy, own
universal-variable solver, no bmdcheck import) confirm that the interceptor reaches the intercept
point in the stated time with a Δv no larger than its burnout speed.

Tolerance: the fly-out model flies a finite burn with gravity and drag losses and neglects the
Earth's rotation, the Lambert reference is impulsive from the site on the rotating Earth; the
impulsive Δv (relative to the site's own inertial velocity) may exceed the burnout speed by the
potential energy gained during the burn and by the rotation (|ω × r| <= 465 m/s):
Δv <= burnout speed x 1.05 + 465 m/s.
"""

import json

import numpy as np
import pytest
from guarantee_helpers import engagement_rule, rules_in
from lambert_ref import MU, counterexample_delta_v_mps, lambert_v1_mps, propagate_two_body

from bmdcheck.guarantee import check

FIELDS = ("site", "site_lat", "site_lon", "interceptor", "burnout_speed_mps", "interceptor_launch_s", "intercept_s",
          "intercept_lat", "intercept_lon", "intercept_alt_km", "missile", "launch_lat", "launch_lon", "aim_lat",
          "aim_lon", "shape", "threat_launch_s", "tier")
ROTATION_MPS = 465.0
"""Largest speed of a point of the Earth's surface, m/s (ω a = 7.292e-5 x 6,378,137 m)."""
LOSS_FACTOR = 1.05
"""Allowance for the burn: impulsive Δv <= burnout speed x this (+ ROTATION_MPS)."""

def test_lambert_reference_lands_on_its_target():
    # the reference solver checked by direct two-body integration (and by a circular orbit by hand)
    r1 = np.array([6.6e6, 0.0, 1.0e6])
    r2 = np.array([-1.0e6, 6.9e6, 2.0e6])
    for tof in (600.0, 1500.0, 3000.0):
        v1 = lambert_v1_mps(r1, r2, tof)
        assert np.linalg.norm(propagate_two_body(r1, v1, tof) - r2) < 1.0
    r = 7.0e6
    v_c = np.sqrt(MU / r)
    t_quarter = 0.5 * np.pi * r / v_c
    v1 = lambert_v1_mps(np.array([r, 0, 0]), np.array([0, r, 0]), t_quarter)
    assert v1 == pytest.approx([0.0, v_c, 0.0], abs=1e-3 * v_c)


@pytest.fixture(scope="module")
def failing(engage_ctx, tmp_path_factory):
    """Counterexamples of failing rules on the test scenario: GBI under the track (declared values),
    SM-3 IIA to the north (burnout +15 % margin), and the JSON of one through the verdict document."""
    tmp = tmp_path_factory.mktemp("cx")
    near = check(engage_ctx, rules_in(tmp, engagement_rule("near"), "near.toml"), search=False)
    north = check(engage_ctx, rules_in(tmp, "[margins]\nburnout_speed_increase_pct = 15\n" + engagement_rule("north"),
                                       "north.toml"), search=False)
    out = []
    for rep in (near, north):
        assert rep.verdict == "FAIL"
        d = json.loads(json.dumps(rep.to_dict()))          # as `verify --json` writes it
        out += [v["counterexample"] for v in d["verdicts"] if v["verdict"] == "FAIL"]
    return out


def test_every_counterexample_has_the_hand_check_fields(failing):
    assert len(failing) == 2
    for cx in failing:
        missing = [k for k in FIELDS if cx.get(k) is None]
        assert not missing, missing
        assert cx["tier"] in ("local", "remote", "cue")
        assert cx["threat_launch_s"] <= cx["interceptor_launch_s"] < cx["intercept_s"]
        assert cx["interceptor_launch_s"] >= cx["timeline_launch_s"] - 1e-6
    assert {(c["site"], c["interceptor"]) for c in failing} == {("under-track", "gbi-3-stage"),
                                                                ("north-site", "sm-3-iia")}
    sm3 = next(c for c in failing if c["interceptor"] == "sm-3-iia")
    assert 4500 < sm3["burnout_speed_mps"] <= 4500 * 1.15 + 1e-6     # the margin corner's speed


def test_counterexamples_are_reachable_by_independent_lambert(failing):
    for cx in failing:
        dv, miss = counterexample_delta_v_mps(cx)
        assert miss < 10.0                                     # the conic does reach the point
        v = cx["burnout_speed_mps"]
        assert dv <= v * LOSS_FACTOR + ROTATION_MPS, (cx["interceptor"], dv, v)
        assert dv >= 0.5 * v, (cx["interceptor"], dv, v)         # not a trivial hop: the check has teeth


def test_a_falsified_counterexample_is_caught(failing):
    # the same check rejects a counterexample whose flight time is cut to a third (a point the
    # interceptor could not reach in that time)
    for cx in failing:
        bad = dict(cx, interceptor_launch_s=cx["intercept_s"] - (cx["intercept_s"] - cx["interceptor_launch_s"]) / 3)
        dv, _ = counterexample_delta_v_mps(bad)
        assert dv > cx["burnout_speed_mps"] * LOSS_FACTOR + ROTATION_MPS
