"""A verdict that no speed change moves says what holds it (docs/GUARANTEES.md, "What holds a
verdict no speed change moves"), on cases whose answer is known by construction: the test
scenario's sites have no radar of their own, so at the local tier no sensor ever tracks the threat
whatever the interceptor's speed."""

from guarantee_helpers import rules_in

from bmdcheck.guarantee import check
from bmdcheck.guarantee.table import capability_text, verdict_table

RULE = """\
[[rule]]
id = "r"
kind = "engagement"
party = "{party}"
launch = "kozelsk"
aim = "new-york"
tier = "{tier}"
"""


def test_local_tier_without_radar_is_held_by_the_track_assumption(engage_ctx, tmp_path):
    # the GBI under the track engages on the cue (test_guarantee_engagement.py) but has no radar:
    # at the local tier the verdict holds at every speed, and it is the track that holds it
    v = check(engage_ctx, rules_in(tmp_path, RULE.format(party="near", tier="local"))).verdicts[0]
    assert v.verdict == "PASS" and v.binding_tier == "local"
    b = v.capability_margin["burnout_speed"]
    # (the fly-out model builds a GBI up to x1.75 of its 7.5 km/s; the scan stops there with a note)
    assert b["breaks_at_scale"] is None and b["holds_up_to_scale"] >= 1.75
    h = v.held_by
    assert h["at_burnout_scale"] == b["holds_up_to_scale"]
    assert h["kind"] == "assumption" and h["reason"] == "never_tracked" and h["tier"] == "local"
    assert h["text"].startswith("held by assumption: local tier radar track")
    assert (h["trajectories"], h["of"]) == (1, 1)
    assert v.to_dict()["held_by"] == h
    assert "held by assumption: local tier radar track" in capability_text(v)
    # no radar, so no joint move of speed, delays and radar range breaks it either (joint.py)
    j = v.capability_margin["joint"]
    assert j["breaks"] is False and j["corners_evaluated"] == 2 ** 5 - 1
    assert "no corner of the joint margin box breaks it" in capability_text(v)


def test_a_speed_limited_verdict_names_no_assumption(engage_ctx, tmp_path):
    # the SM-3 IIA to the north is held by its speed: +10 % breaks it (conftest.py), so no held_by
    v = check(engage_ctx, rules_in(tmp_path, RULE.format(party="north", tier="cue"))).verdicts[0]
    assert v.verdict == "PASS" and v.binding_tier == "cue"
    assert v.capability_margin["burnout_speed"]["breaks_at_scale"] is not None
    assert v.held_by is None and "held by" not in capability_text(v)
    # and the verdict table names the binding tier for a PASS too
    from rich.console import Console

    c = Console(width=400, record=True)
    c.print(verdict_table(check(engage_ctx, rules_in(tmp_path, RULE.format(party="north", tier="cue")),
                                search=False)))
    assert "tier cue" in c.export_text()


def test_verify_prints_what_holds_the_verdict(cli, engage_dir, tmp_path):
    from guarantee_helpers import PARTIES

    p = tmp_path / "local.toml"
    p.write_text(f'name = "cli"\n{PARTIES}\n' + RULE.format(party="near", tier="local"))
    code, out, _ = cli("verify", engage_dir / "engage.toml", p)
    assert code == 0
    assert "PASS r: held by assumption: local tier radar track" in " ".join(out.split())
