"""Engagement rules against geometry simple enough to check by hand (conftest.py)."""

import math

import pytest
from guarantee_helpers import KOZELSK, NEW_YORK, rules_in
from guarantee_helpers import engagement_rule as rule

from bmdcheck.defence.engage import InterceptorSpec, SiteSpec, TimelineSpec, engage_threats
from bmdcheck.defence.engagement import Threats
from bmdcheck.defence.interceptor import get_interceptor
from bmdcheck.defence.sensors import get_early_warning
from bmdcheck.flight.batch import fly_missile_batch
from bmdcheck.flight.missile import get_missile
from bmdcheck.flight.steering import solve_steering
from bmdcheck.guarantee import Corner, check
from bmdcheck.guarantee import engagement as G

@pytest.fixture(scope="module")
def threat():
    """The Kozelsk -> New York Topol-M flown with the flight API directly (not through the package)."""
    m = get_missile("topol-m")
    st = solve_steering(m, *KOZELSK, *NEW_YORK, "min-energy")
    b = fly_missile_batch(m, [KOZELSK[0]], [KOZELSK[1]], st.azimuth_deg, st.kick_deg, st.t_cut_s,
                          sample_interval_s=1.0, rtol=1e-10)
    return Threats.from_batch(b)


def feasible(threat, lat, lon, name, v_mps=None):
    it = InterceptorSpec.from_catalogue(get_interceptor(name))
    if v_mps is not None:
        it = it.with_burnout_speed(v_mps)
    tl = TimelineSpec(mode="early-warning-only", early_warning=get_early_warning("sbirs-dsp"))
    return bool(engage_threats(threat, [SiteSpec("x", lat, lon, 0.0)], [it], tl).windows.feasible[0])


def test_site_under_the_track_fails_with_a_counterexample(engage_ctx, tmp_path):
    rules = rules_in(tmp_path, rule("near"))
    v = check(engage_ctx, rules).verdicts[0]
    assert v.verdict == "FAIL" and v.binding == "declared"
    cx = v.counterexample
    t = cx["threat"]
    assert (t["missile"], t["shape"], t["launch_area"], t["aim_area"]) == ("topol-m", "min-energy", "kozelsk", "new-york")
    assert (t["launch_lat"], t["launch_lon"], t["aim_lat"], t["aim_lon"]) == (*KOZELSK, *NEW_YORK)
    assert cx["site"] == "under-track" and cx["interceptor"] == "gbi-3-stage"
    assert cx["corner"] == "declared values"
    # the window opens after the interceptor's launch on the cue (60 s) + decision (60 s) + its min flight time
    assert 120 + 220 <= cx["window_first_s"] < cx["window_last_s"] <= 1745
    p = cx["intercept_point"]
    assert 100 <= p["alt_km"] <= 2000                         # the GBI's altitude band
    assert 40 <= p["lat"] <= 65 and -75 <= p["lon"] <= 36     # on the Kozelsk -> New York track


def test_site_on_the_far_side_of_the_earth_passes(engage_ctx, tmp_path):
    rules = rules_in(tmp_path, rule("far"))
    v = check(engage_ctx, rules, search=False).verdicts[0]
    assert v.verdict == "PASS" and v.binding is None and v.counterexample is None
    assert v.declared.metrics["engageable"] == 0 and v.declared.metrics["trajectories"] == 1
    assert v.declared.metrics["reasons"] == {"out_of_reach": 1}


def test_binding_margin_burnout_speed(engage_ctx, threat, tmp_path):
    # independent check with defence.engage: SM-3 IIA at 68 N, 0 E cannot engage at 4.5 km/s, can at +15 %
    assert not feasible(threat, 68.0, 0.0, "sm-3-iia")
    assert feasible(threat, 68.0, 0.0, "sm-3-iia", 4500 * 1.15)
    rules = rules_in(tmp_path, "[margins]\nburnout_speed_increase_pct = 15\n" + rule("north"))
    v = check(engage_ctx, rules, search=False).verdicts[0]
    assert v.declared.ok and not v.worst.ok
    assert v.verdict == "FAIL" and v.binding == ["burnout_speed_increase_pct"]
    assert v.binding_text() == "burnout +15 %"
    # the margin is checked in 5 % steps up to +15 % (reach is not monotonic in speed): the first
    # step that breaks the rule is the counterexample's corner
    k = v.worst_corner.burnout_scale
    assert k in (pytest.approx(1.05), pytest.approx(1.10), pytest.approx(1.15))
    assert v.counterexample["corner"] == f"burnout +{round(100 * (k - 1))} %"
    assert v.counterexample["burnout_speed_mps"] == pytest.approx(4500 * k)
    assert feasible(threat, 68.0, 0.0, "sm-3-iia", round(4500 * k, 3))


def test_binding_reports_each_margin_and_the_combination(engage_ctx, tmp_path):
    body = "[margins]\nburnout_speed_increase_pct = 15\ndecision_delay_reduction_s = 30\n" + rule("north")
    v = check(engage_ctx, rules_in(tmp_path, body), search=False).verdicts[0]
    assert set(v.by_margin) == {"burnout_speed_increase_pct", "decision_delay_reduction_s"}
    assert not v.by_margin["burnout_speed_increase_pct"].ok
    assert v.worst_corner.decision_delay_reduction_s == 30.0 and 1.0 < v.worst_corner.burnout_scale <= 1.15
    assert "burnout_speed_increase_pct" in v.binding


def test_capability_margin_search(engage_ctx, threat, tmp_path):
    rules = rules_in(tmp_path, rule("north"))
    v = check(engage_ctx, rules).verdicts[0]
    assert v.verdict == "PASS"
    b = v.capability_margin["burnout_speed"]
    f = b["breaks_at_scale"]
    assert 1.0 < f <= 1.15 and b["holds_at_scale"] == pytest.approx(f - 0.01)
    # the reported factor breaks the rule and 1 % less does not: through the package, and directly
    assert not G.evaluate(engage_ctx, rules, 0, Corner(burnout_scale=f)).ok
    assert G.evaluate(engage_ctx, rules, 0, Corner(burnout_scale=round(f - 0.01, 2))).ok
    assert feasible(threat, 68.0, 0.0, "sm-3-iia", round(4500 * f, 3))
    assert not feasible(threat, 68.0, 0.0, "sm-3-iia", round(4500 * (f - 0.01), 3))
    assert b["speeds_at_break_mps"] == {"sm-3-iia": pytest.approx(4500 * f)}
    d = v.capability_margin["decision_delay"]
    assert d["declared_delay_s"] == 60.0
    if d["breaks_at_reduction_s"] is not None:   # on the 5-s grid, and the step before holds
        r = d["breaks_at_reduction_s"]
        assert r % 5 == 0 and d["holds_at_reduction_s"] == r - 5
        assert not G.evaluate(engage_ctx, rules, 0, Corner(decision_delay_reduction_s=r)).ok
        assert G.evaluate(engage_ctx, rules, 0, Corner(decision_delay_reduction_s=r - 5)).ok


def test_max_fraction_and_intercept_time(engage_ctx, tmp_path):
    # one trajectory, engageable by the GBI under the track: fraction 1 > 0.5 fails, <= 1 passes
    assert check(engage_ctx, rules_in(tmp_path, rule("near", "max_fraction = 0.5")), search=False).verdicts[0].verdict == "FAIL"
    assert check(engage_ctx, rules_in(tmp_path, rule("near", "max_fraction = 1.0")), search=False).verdicts[0].verdict == "PASS"
    first = check(engage_ctx, rules_in(tmp_path, rule("near")), search=False).verdicts[0].counterexample["window_first_s"]
    early = rules_in(tmp_path, rule("near", f"no_intercept_before_s = {math.floor(first)}"))
    late = rules_in(tmp_path, rule("near", f"no_intercept_before_s = {math.ceil(first) + 1}"))
    assert check(engage_ctx, early, search=False).verdicts[0].verdict == "PASS"
    assert check(engage_ctx, late, search=False).verdicts[0].verdict == "FAIL"


def test_salvo_window_is_binding(tmp_path, engage_dir):
    """A two-missile salvo at 100 s and 200 s. With a time limit between the two intercepts, half the
    salvo violates at the declared times (allowed: max_fraction 0.5); if every missile may fly at any
    time in the window, all of it may launch at 100 s and violate."""
    from bmdcheck.guarantee import Context
    from bmdcheck.scenario import load_scenario

    text = (engage_dir / "engage.toml").read_text()
    p = tmp_path / "salvo.toml"
    p.write_text(text.replace('aim = "new-york"\n', 'aim = "new-york"\nlaunch_times_s = [200.0, 100.0]\n'))
    ctx = Context(load_scenario(p))
    assert [c.launch_time_s for c in ctx.cases] == [200.0, 100.0] and ctx.salvo_start_s == [100.0, 100.0]
    first = check(ctx, rules_in(tmp_path, rule("near")), search=False).verdicts[0].counterexample["window_first_s"]
    t = 150.0 + first
    body = "[margins]\nsalvo_window = true\n" + rule("near", f"no_intercept_before_s = {t}\nmax_fraction = 0.5")
    v = check(ctx, rules_in(tmp_path, body), search=False).verdicts[0]
    assert v.declared.ok and v.declared.metrics["engageable"] == 1
    assert v.verdict == "FAIL" and v.binding == ["salvo_window"]
    assert v.worst.metrics["engageable"] == 2
    assert v.counterexample["threat"]["launch_time_s"] == 100.0
    assert v.counterexample["intercept_time_s"] == pytest.approx(100.0 + first)


def test_vacuous_rule_passes_and_says_so(engage_ctx, tmp_path):
    rules = rules_in(tmp_path, rule("near").replace('missile_class = "icbm"', 'missile_class = "srbm"'))
    v = check(engage_ctx, rules).verdicts[0]
    assert v.verdict == "PASS" and v.declared.metrics["vacuous"] == "no selected trajectories"
