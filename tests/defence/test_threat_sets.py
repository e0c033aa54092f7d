"""The dated threat sets: what the 2013 liquids change (issue 9, item 6).

A storable-liquid ICBM burns ~250 s at thrust/weight ~1.8 (catalogue `ur-100nutth`, `r-36m2`); a
solid burns ~180 s. The longer, slower boost keeps the missile low and slow for longer, which is
what gives a European SM-3 site a window on early-warning cue (issue 9: "a liquid threat from
Kozelsk gives the SM-3 IIA a window on satellite cue where Topol-M gives none").
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import bmdcheck as bc
from bmdcheck.cli.main import app


def _cue_verdict(missile: str) -> dict:
    """`bmdcheck engage` Kozelsk -> Washington, Redzikowo SM-3 IIA, launch on early-warning cue."""
    cmd = ["engage", "--missile", missile, "--from", "54.038,35.772", "--to", "38.895,-77.036",
           "--site", "aegis-ashore-redzikowo", "--interceptor", "sm-3-iia", "--mode", "early-warning-only", "--json"]
    r = CliRunner().invoke(app, cmd)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


@pytest.mark.parametrize("missile,burn_s", [("ur-100nutth", 250.0), ("r-36m2", 250.0), ("topol", 180.0),
                                            ("yars", 180.0)])
def test_liquids_burn_longer(missile, burn_s):
    assert bc.get_missile(missile).burn_end_s == pytest.approx(burn_s)


def test_liquid_from_kozelsk_gives_sm3_iia_a_window_on_cue_topol_m_none():
    liquid, solid = _cue_verdict("ur-100nutth"), _cue_verdict("topol-m")
    assert liquid["feasible"] and not solid["feasible"]
    # the window opens a little after the liquid's burnout (250 s) plus the fly-out
    assert 250.0 < liquid["first_s"] < liquid["last_s"] < 600.0
