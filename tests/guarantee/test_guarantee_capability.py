"""Capability caps: burnout speed, rounds per site, number of sites (catalogue values known by heart:
SM-3 IIA 4,500 m/s, GBI 7,500 m/s; the test scenario holds 4 + 4 GBIs and 8 SM-3 IIA)."""

import pytest
from guarantee_helpers import rules_in

from bmdcheck.guarantee import check


def verdict(ctx, tmp_path, body):
    return check(ctx, rules_in(tmp_path, body), search=False).verdicts[0]


@pytest.mark.parametrize("cap,expected", [(4500.0, "PASS"), (4499.0, "FAIL"), (9000.0, "PASS")])
def test_speed_cap_per_type(engage_ctx, tmp_path, cap, expected):
    v = verdict(engage_ctx, tmp_path, f"""
        [[rule]]
        id = "cap"
        kind = "burnout-speed"
        interceptors = ["sm-3-iia"]
        max_mps = {cap}
        """)
    assert v.verdict == expected
    assert v.declared.metrics["fastest_mps"] == 4500.0
    if expected == "FAIL":
        assert v.counterexample["site"] == "north-site" and v.counterexample["burnout_speed_mps"] == 4500.0


def test_speed_cap_of_a_party_sees_its_fastest_interceptor(engage_ctx, tmp_path):
    v = verdict(engage_ctx, tmp_path, """
        [[rule]]
        id = "cap"
        kind = "burnout-speed"
        party = "near"
        max_mps = 7000.0
        """)
    assert v.verdict == "FAIL" and v.counterexample["interceptor"] == "gbi-3-stage"
    assert v.counterexample["burnout_speed_mps"] == 7500.0


def test_speed_cap_margin_is_binding(engage_ctx, tmp_path):
    body = """
        [margins]
        burnout_speed_increase_pct = 15
        [[rule]]
        id = "cap"
        kind = "burnout-speed"
        interceptors = ["sm-3-iia"]
        max_mps = {cap}
        """
    v = verdict(engage_ctx, tmp_path, body.format(cap=5000.0))       # 4,500 <= 5,000 < 4,500 x 1.15 = 5,175
    assert v.declared.ok and v.verdict == "FAIL" and v.binding == ["burnout_speed_increase_pct"]
    assert v.counterexample["burnout_speed_mps"] == pytest.approx(5175.0)
    assert verdict(engage_ctx, tmp_path, body.format(cap=5175.0)).verdict == "PASS"


def test_inventory_cap(engage_ctx, tmp_path):
    body = """
        [[rule]]
        id = "inv"
        kind = "inventory"
        max_rounds_per_site = {n}
        """
    assert verdict(engage_ctx, tmp_path, body.format(n=8)).verdict == "PASS"
    v = verdict(engage_ctx, tmp_path, body.format(n=7))
    assert v.verdict == "FAIL" and v.counterexample == {"corner": "declared values", "site": "north-site", "rounds": 8,
                                                        "max_rounds_per_site": 7}
    assert v.declared.metrics["rounds_per_site"] == {"far-side": 4, "north-site": 8, "under-track": 4}


def test_inventory_margins_do_not_apply(engage_ctx, tmp_path):
    v = verdict(engage_ctx, tmp_path, """
        [margins]
        burnout_speed_increase_pct = 15
        [[rule]]
        id = "inv"
        kind = "inventory"
        interceptors = ["gbi-3-stage"]
        max_rounds_per_site = 4
        """)
    assert v.verdict == "PASS" and v.not_applicable == ["burnout_speed_increase_pct"] and v.by_margin == {}


@pytest.mark.parametrize("extra,n,expected", [("", 3, "PASS"), ("", 2, "FAIL"), ('site_kind = "ship"', 2, "PASS"),
                                              ('interceptors = ["gbi-3-stage"]', 1, "FAIL")])
def test_site_count_cap(engage_ctx, tmp_path, extra, n, expected):
    v = verdict(engage_ctx, tmp_path, f"""
        [[rule]]
        id = "sites"
        kind = "site-count"
        {extra}
        max_sites = {n}
        """)
    assert v.verdict == expected
