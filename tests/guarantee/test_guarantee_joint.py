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
                             "radar_range_scale": False, "rcs_scale": False}   # one at a time: holds everywhere
    assert res["breaks"] and not planted(res["corner"])
    # refined to the planted edge on the grid: 1 % of speed, 5 s of delay; radar range not needed
    assert res["corner"].burnout_scale == pytest.approx(1.40)
    assert res["corner"].decision_delay_reduction_s == pytest.approx(40.0)
    assert res["corner"].radar_range_scale == 1.0
    assert res["moved"] == ["burnout_scale", "decision_delay_reduction_s"]
    assert planted(type(res["corner"])(burnout_scale=1.39, decision_delay_reduction_s=40.0))
    assert len(calls) == res["evaluations"] <= 4 + 6 + 14           # corners then bisection, bounded
    d = to_json(res)
    assert d["missed_one_at_a_time"] and d["corner"] == "burnout +40 %, decision delay -40 s"


def test_three_way_corner_and_a_rule_that_never_breaks():
    three = lambda c: not (c.burnout_scale > 1.2 and c.decision_delay_reduction_s >= 10  # noqa: E731
                           and c.radar_range_scale >= 1.5)
    res = joint_search(three, BOX)
    assert res["breaks"] and set(res["moved"]) == {"burnout_scale", "decision_delay_reduction_s", "radar_range_scale"}
    assert res["corner"].burnout_scale == pytest.approx(1.21) and res["corner"].radar_range_scale == pytest.approx(1.5)
    assert res["corner"].decision_delay_reduction_s == pytest.approx(10.0)
    never = joint_search(lambda c: True, BOX)
    assert not never["breaks"] and never["corners_evaluated"] == 2 ** 4 - 1
    # a single margin that breaks alone is reported as such, with the others left declared
    alone = joint_search(lambda c: c.burnout_scale < 1.3, BOX)
    assert alone["moved"] == ["burnout_scale"] and alone["corner"].burnout_scale == pytest.approx(1.3)
    assert not to_json(alone)["missed_one_at_a_time"]


def test_cross_section_with_radar_range():
    # a track in time needs a 4x larger cross-section and 1.5x the radar range together
    track = lambda c: not (c.rcs_scale >= 4.0 and c.radar_range_scale >= 1.5)  # noqa: E731
    res = joint_search(track, BOX)
    assert res["breaks"] and not any(res["single"].values())
    assert res["corner"].rcs_scale == pytest.approx(4.0) and res["corner"].radar_range_scale == pytest.approx(1.5)
    assert res["corner"].burnout_scale == 1.0 and to_json(res)["corner_values"]["rcs_scale"] == pytest.approx(4.0)
    assert "cross-section x4" in to_json(res)["corner"]


def test_cross_section_corner_scales_the_timeline():
    from bmdcheck.defence.engage import TimelineSpec
    from bmdcheck.guarantee.margins import Corner, timeline_at

    tl = TimelineSpec(mode="local", rcs_scale=2.0)
    assert timeline_at(tl, Corner(rcs_scale=4.0)).rcs_scale == 8.0
    assert timeline_at(tl, Corner()).rcs_scale == 2.0
    assert "rcs_scale" not in Corner().to_dict()          # declared documents keep their hashes
