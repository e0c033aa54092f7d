"""The rules file: shipped files load; bad input is one line naming the file, the rule and the field."""

import pytest
from guarantee_helpers import rules_in

from bmdcheck.errors import BmdcheckError
from bmdcheck.guarantee import Margins, check, load_rules, rules_from_text, shipped_rules
from bmdcheck.guarantee.rules import KINDS

GOOD = """\
name = "t"
[margins]
burnout_speed_increase_pct = 15
[parties.epaa]
catalogue_party = ["US", "NATO"]
[[rule]]
id = "a"
kind = "engagement"
party = "epaa"
missile_class = "icbm"
launch = ["rvsn-west"]
[[rule]]
id = "b"
kind = "burnout-speed"
interceptors = ["sm-3-iib"]
max_mps = 5500
margins = { decision_delay_reduction_s = 30 }
"""


def error(text: str) -> str:
    with pytest.raises(BmdcheckError) as e:
        rules_from_text(text, "r.toml")
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def test_shipped_rules_load():
    names = set(shipped_rules())
    assert {"epaa-no-russian-icbm", "speed-caps", "geography"} <= names
    kinds = {r.kind for n in names for r in load_rules(n).rule}
    assert kinds == set(KINDS)          # every rule kind has a shipped example


def test_margins_merge_key_by_key():
    r = rules_from_text(GOOD)
    assert r.effective_margins(r.rule[0]) == Margins(burnout_speed_increase_pct=15)
    assert r.effective_margins(r.rule[1]) == Margins(burnout_speed_increase_pct=15, decision_delay_reduction_s=30)
    assert r.parties["epaa"].catalogue_party == ["us", "nato"]


@pytest.mark.parametrize("old,new,expect", [
    ('party = "epaa"', 'party = "usa"',
     "r.toml:9: rule[0] 'a'.party: unknown party 'usa'; expected one of: any, epaa"),
    ("max_mps = 5500", "max_mps = -1", "r.toml:16: rule[1] 'b'.max_mps: expected a value > 0"),
    ("max_mps = 5500", "max_speed_mps = 5500",
     "r.toml:16: rule[1] 'b'.max_speed_mps: unknown key 'max_speed_mps'; did you mean 'max_mps'?"),
    ("burnout_speed_increase_pct = 15", "burnout_speed_pct = 15",
     "r.toml:3: margins.burnout_speed_pct: unknown key 'burnout_speed_pct'; did you mean 'burnout_speed_increase_pct'?"),
    ('kind = "burnout-speed"', 'kind = "speed"', "r.toml:14: rule[1] 'b'.kind: unknown rule kind 'speed'"),
    ('"sm-3-iib"', '"sm-3-iic"', "r.toml:15: rule[1] 'b'.interceptors[0]: unknown interceptor 'sm-3-iic'"),
    ('missile_class = "icbm"', 'missile_class = "irbm"', "r.toml:10: rule[0] 'a'.missile_class: unknown missile class 'irbm'"),
    ('launch = ["rvsn-west"]', "launch = 3", "r.toml:11: rule[0] 'a'.launch: expected an area name"),
    ('id = "b"', 'id = "a"', "r.toml:13: rule[1] 'a'.id: rule id 'a' is used twice"),
    ("[[rule]]\nid = \"b\"", "[[rule]\nid = \"b\"", "r.toml:12: invalid TOML"),
    ('catalogue_party = ["US", "NATO"]', "catalogue_party = []", "r.toml:4: parties.epaa: a party needs"),
])
def test_bad_rules_are_one_line(old, new, expect):
    assert old in GOOD
    assert error(GOOD.replace(old, new)).startswith(expect)


def test_missing_file_is_one_line(tmp_path):
    with pytest.raises(BmdcheckError, match="cannot read the rules file"):
        load_rules(tmp_path / "none.toml")


def test_unknown_area_is_found_against_the_scenario(engage_ctx, tmp_path):
    rules = rules_in(tmp_path, """
        [[rule]]
        id = "r"
        kind = "engagement"
        launch = "kozelsk"
        aim = ["new-york", "boston"]
        """)
    with pytest.raises(BmdcheckError) as e:
        check(engage_ctx, rules)
    assert str(e.value).startswith(f"{tmp_path / 'rules.toml'}:16: rule[0] 'r'.aim[1]: unknown area 'boston' in "
                                   f"scenario 'guarantee-test-engage'")


def test_unknown_party_site_is_found_against_the_scenario(engage_ctx, tmp_path):
    rules = rules_in(tmp_path, """
        [[rule]]
        id = "r"
        kind = "inventory"
        party = "p"
        max_rounds_per_site = 1
        """, parties='[parties.p]\nsites = ["nowhere"]\n')
    with pytest.raises(BmdcheckError, match=r"rules.toml:3: parties.p.sites\[0\]: unknown site 'nowhere'"):
        check(engage_ctx, rules)
