"""Joint margin search (guarantee/joint.py) on planted oracles: a rule that breaks only when two
margins move together is found by the joint search and missed by one-at-a-time search."""

import pytest

from bmdcheck.guarantee.joint import capability_box, joint_search, to_json

BOX = capability_box(decision_delay_s=60.0, early_warning_delay_s=None)


def planted(c):
    """Holds unless burnout >= x1.40 AND decision delay cut by >= 40 s (a fast interceptor launched
    too late, or an early one too slow, both fail)."""
    return not (c.burnout_scale >= 1.4 - 1e-9 and c.decision_delay_reduction_s >= 40.0 - 1e-9)


def test_planted_corner_found_jointly_missed_one_at_a_time():
    calls = []
    res = joint_search(lambda c: (calls.append(c), planted(c))[1], BOX)
    assert res["single"] == {"burnout_scale": False, "decision_delay_reduction_s": False,
                             "radar_range_scale": False}            # one at a time: holds everywhere
    assert res["breaks"] and not planted(res["corner"])
    # refined to the planted edge on the grid: 1 % of speed, 5 s of delay; radar range not needed
    assert res["corner"].burnout_scale == pytest.approx(1.40)
    assert res["corner"].decision_delay_reduction_s == pytest.approx(40.0)
    assert res["corner"].radar_range_scale == 1.0
    assert res["moved"] == ["burnout_scale", "decision_delay_reduction_s"]
    assert planted(type(res["corner"])(burnout_scale=1.39, decision_delay_reduction_s=40.0))
    assert len(calls) == res["evaluations"] <= 3 + 4 + 12           # corners then bisection, bounded
    d = to_json(res)
    assert d["missed_one_at_a_time"] and d["corner"] == "burnout +40 %, decision delay -40 s"


def test_three_way_corner_and_a_rule_that_never_breaks():
    three = lambda c: not (c.burnout_scale > 1.2 and c.decision_delay_reduction_s >= 10  # noqa: E731
                           and c.radar_range_scale >= 1.5)
    res = joint_search(three, BOX)
    assert res["breaks"] and set(res["moved"]) == set(BOX) - {"detection_delay_reduction_s"}
    assert res["corner"].burnout_scale == pytest.approx(1.21) and res["corner"].radar_range_scale == pytest.approx(1.5)
    assert res["corner"].decision_delay_reduction_s == pytest.approx(10.0)
    never = joint_search(lambda c: True, BOX)
    assert not never["breaks"] and never["corners_evaluated"] == 2 ** 3 - 1
    # a single margin that breaks alone is reported as such, with the others left declared
    alone = joint_search(lambda c: c.burnout_scale < 1.3, BOX)
    assert alone["moved"] == ["burnout_scale"] and alone["corner"].burnout_scale == pytest.approx(1.3)
    assert not to_json(alone)["missed_one_at_a_time"]
