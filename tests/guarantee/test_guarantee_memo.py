"""The guarantee checks of `make demo` run inside coverage.memo() with one Threats object per case
list (guarantee/flown.py): neither may change a verdict, a metric or a results hash."""

import contextlib

from guarantee_helpers import rules_in
from guarantee_helpers import engagement_rule as rule

from bmdcheck.defence import coverage
from bmdcheck.guarantee import Context, check
from bmdcheck.scenario import load_scenario

SCENARIO = """\
name = "guarantee-test-memo"

[[defence.sites]]
site = "aegis-ashore-redzikowo"

[sensors]
early_warning = "sbirs-dsp"
remote_radars = ["uewr-fylingdales"]

[timeline]
mode = "local"
tiers = ["local", "remote", "cue"]

[[threats]]
missile = "ur-100nutth"
launch = "kozelsk"
aim = "new-york"

[areas]
kozelsk = { point = [54.038, 35.772] }
new-york = { point = [40.714, -74.006] }
"""

PARTIES = """\
[parties.poland]
sites = ["aegis-ashore-redzikowo"]
"""


def test_memo_changes_no_verdict(tmp_path, monkeypatch):
    (tmp_path / "s.toml").write_text(SCENARIO)
    rules = rules_in(tmp_path, rule("poland", 'tier = "worst"'), parties=PARTIES)
    ctx = Context(load_scenario(tmp_path / "s.toml"))
    fl = ctx.flown([0])
    assert fl.threats([0]) is fl.threats([0])  # one object per case list: what the memo recognises
    with coverage.memo():
        a = check(ctx, rules)
        assert len(coverage._MEMO.get()) >= 2  # the site's own radar and the remote radar
    monkeypatch.setattr(coverage, "memo", contextlib.nullcontext)
    b = check(Context(load_scenario(tmp_path / "s.toml")), rules)
    assert a.results_hash == b.results_hash and a.verdict == b.verdict
    va, vb = a.verdicts[0], b.verdicts[0]
    assert va.to_json() == vb.to_json() if hasattr(va, "to_json") else va == vb
    assert set(va.declared.metrics["tiers"]) == {"local", "remote", "cue"}
