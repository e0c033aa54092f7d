"""declared-speed-consistent: FAIL when a declared burnout speed is below what a test showed (the test
scenario holds SM-3 IIA at 4,500 m/s and GBIs at 7,500 m/s; catalogue values known by heart)."""

import math

import numpy as np
import pytest
from guarantee_helpers import rules_in

from bmdcheck.errors import BmdcheckError
from bmdcheck.guarantee import check


def verdict(ctx, tmp_path, body):
    return check(ctx, rules_in(tmp_path, body), search=False).verdicts[0]


@pytest.mark.parametrize("shown,tol,expected", [(4400.0, 0.0, "PASS"), (4500.0, 0.0, "PASS"), (4600.0, 0.0, "FAIL"),
                                                (4600.0, 5.0, "PASS")])
def test_shown_speed(engage_ctx, tmp_path, shown, tol, expected):
    v = verdict(engage_ctx, tmp_path, f"""
        [[rule]]
        id = "ftm"
        kind = "declared-speed-consistent"
        interceptors = ["sm-3-iia"]
        shown_mps = {shown}
        tolerance_pct = {tol}
        """)
    assert v.verdict == expected
    assert v.declared.metrics["declared_mps"]["sm-3-iia"] == 4500.0
    assert v.not_applicable == [] and v.margins == {}
    if expected == "FAIL":
        assert v.counterexample["interceptor"] == "sm-3-iia" and v.counterexample["shown_mps"] == shown


def test_type_not_in_scenario_uses_the_catalogue(engage_ctx, tmp_path):
    v = verdict(engage_ctx, tmp_path, """
        [[rule]]
        id = "ib"
        kind = "declared-speed-consistent"
        interceptors = ["sm-3-ib"]
        shown_mps = 9000.0
        """)
    assert v.verdict == "FAIL" and v.counterexample["declared_in"] == "catalogue"


def test_test_geometry_uses_the_lambert_bound(engage_ctx, tmp_path):
    """A test geometry whose Lambert bound is computed here independently (universal variables)."""
    from bmdcheck.defence.lambert import lambert_universal
    from bmdcheck.earth.frames import geodetic_to_ecef

    w = 7.292115e-5
    s = geodetic_to_ecef(21.9, -159.8, 0.0).reshape(3)
    p = geodetic_to_ecef(23.0, -163.0, 250e3).reshape(3)
    def rot(r, t):
        c, si = math.cos(w * t), math.sin(w * t)
        return np.array([c * r[0] - si * r[1], si * r[0] + c * r[1], r[2]])
    r1, r2 = rot(s, 30.0), rot(p, 300.0)
    v1, _ = lambert_universal(r1, r2, 270.0)
    bound = float(np.linalg.norm(v1 - np.array([-w * r1[1], w * r1[0], 0.0])))
    body = """
        [[rule]]
        id = "geo"
        kind = "declared-speed-consistent"
        interceptors = ["sm-3-iia"]
        [rule.test]
        site = [21.9, -159.8]
        intercept = [23.0, -163.0, 250.0]
        time_of_flight_s = 300.0
        burn_time_s = 30.0
        """
    v = verdict(engage_ctx, tmp_path, body)
    assert v.declared.metrics["shown_mps"] == pytest.approx(bound, rel=1e-7)
    assert v.verdict == ("PASS" if 4500.0 >= bound else "FAIL")


@pytest.mark.parametrize("body,needle", [
    ('shown_mps = 4000.0\n', "list the interceptor"),
    ('interceptors = ["sm-3-iia"]\n', "shown_mps"),
    ('interceptors = ["sm-3-iia"]\nshown_mps = -1.0\n', "> 0"),
    ('interceptors = ["sm-3-iia"]\nshown_mps = 4000.0\n[rule.test]\nsite = [21.9, -159.8]\nintercept = [1, 2, 3]\n',
     "either"),
    ('interceptors = ["sm-3-iia"]\n[rule.test]\nsite = [21.9, -159.8]\nintercept = [1, 2]\n', "at least 3"),
    ('interceptors = ["sm-3-iia"]\n[rule.test]\nsite = [21.9, -159.8]\nintercept = [1, 2, 3]\nspeed = 3\n',
     "unknown key"),
])
def test_bad_rules(tmp_path, body, needle):
    text = f'[[rule]]\nid = "r"\nkind = "declared-speed-consistent"\n{body}'
    with pytest.raises(BmdcheckError, match=needle):
        rules_in(tmp_path, text)
