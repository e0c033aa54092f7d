"""Results of a single sensor tier read as untiered (``has_tiers`` is False), but their recomputed
engagements (fly-out paths in reports and CZML scenes) must use that tier's timeline, not the
scenario's declared mode: a cue-only run of a scenario declared ``local`` drew no fly-outs before."""

from pathlib import Path

import pyarrow as pa

from bmdcheck.report.data import ResultSet
from bmdcheck.scenario.load import load_scenario, shipped_scenarios


def _rs(tiers):
    s = load_scenario(shipped_scenarios()["teaching-ship-vs-icbm"])      # declared mode: local
    table = pa.table({"draw": [0] * len(tiers), "tier": tiers})
    return ResultSet(Path("."), {"scenario_name": s.name}, table, [], s)


def test_single_tier_results_use_that_tiers_timeline():
    rs = _rs(["cue"])
    assert not rs.has_tiers()
    assert rs.timeline().tier == "cue"


def test_several_tiers_use_the_declared_modes_tier():
    assert _rs(["local", "cue"]).timeline().tier == "local"


def test_untiered_results_keep_the_legacy_timeline():
    s = load_scenario(shipped_scenarios()["teaching-ship-vs-icbm"])
    rs = ResultSet(Path("."), {"scenario_name": s.name}, pa.table({"draw": [0]}), [], s)
    assert rs.timeline().tier is None
