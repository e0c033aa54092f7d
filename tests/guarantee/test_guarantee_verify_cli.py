"""`bmdcheck verify SCENARIO RULES [--json]`: exit 0 all PASS, 1 any FAIL, 2 bad input in one line."""

import json

import pytest
from guarantee_helpers import PARTIES


RULE = """\
name = "cli"
{parties}
[[rule]]
id = "r"
kind = "engagement"
party = "{party}"
launch = "kozelsk"
aim = "new-york"
"""


def rules_file(tmp_path, party="far", text=None):
    p = tmp_path / f"{party}.toml"
    p.write_text(text if text is not None else RULE.format(parties=PARTIES, party=party))
    return p


def test_exit_0_when_every_rule_passes(cli, engage_dir, tmp_path):
    code, out, _ = cli("verify", engage_dir / "engage.toml", rules_file(tmp_path, "far"))
    assert code == 0 and "PASS" in out and "results hash" in out


def test_exit_1_and_a_counterexample_when_a_rule_fails(cli, engage_dir, tmp_path):
    code, out, _ = cli("verify", engage_dir / "engage.toml", rules_file(tmp_path, "near"))
    assert code == 1 and "FAIL r:" in out and "under-track gbi-3-stage" in out


def test_json_document(cli, engage_dir, tmp_path):
    code, out, _ = cli("verify", engage_dir / "engage.toml", rules_file(tmp_path, "near"), "--json")
    d = json.loads(out)
    assert code == 1 and d["verdict"] == "FAIL" and d["counts"] == {"PASS": 0, "FAIL": 1}
    assert len(d["results_hash"]) == 64 and d["scenario"]["name"] == "guarantee-test-engage"
    v = d["verdicts"][0]
    assert v["binding"] == "declared" and v["counterexample"]["site"] == "under-track"
    assert set(v["counterexample"]["intercept_point"]) == {"lat", "lon", "alt_km"}


@pytest.mark.parametrize("text,needle", [
    (RULE.format(parties=PARTIES, party="usa"), "rule[0] 'r'.party: unknown party 'usa'"),
    (RULE.format(parties=PARTIES, party="far").replace('aim = "new-york"', 'aim = "boston"'),
     "rule[0] 'r'.aim: unknown area 'boston'"),
    (RULE.format(parties=PARTIES, party="far").replace("[[rule]]", "[[rule]"), "invalid TOML"),
    (RULE.format(parties=PARTIES, party="far") + "colour = 'red'\n", "rule[0] 'r'.colour: unknown key 'colour'"),
])
def test_exit_2_and_one_line_for_bad_rules(cli, engage_dir, tmp_path, text, needle):
    p = rules_file(tmp_path, text=text)
    code, out, err = cli("verify", engage_dir / "engage.toml", p)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"error: {p}:") and needle in err


def test_exit_2_for_a_missing_scenario(cli, tmp_path):
    code, _, err = cli("verify", tmp_path / "none.toml", rules_file(tmp_path))
    assert code == 2 and err.count("\n") == 1
