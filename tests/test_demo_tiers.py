"""`make demo`'s per-tier EPAA comparison: totals per sensor tier from a results summary."""

from types import SimpleNamespace

from rich.console import Console

from bmdcheck.demo import tier_table, tier_totals


def test_tier_totals_sum_engageable_over_flown_cases():
    rows = [{"tier": "local", "flown": 10, "trajectories": 12, "fraction_engageable": 0.0},
            {"tier": "cue", "flown": 10, "trajectories": 10, "fraction_engageable": 0.3},
            {"tier": "cue", "flown": 5, "trajectories": 5, "fraction_engageable": 0.2}]
    assert tier_totals(rows) == {"local": (0, 10), "cue": (4, 15)}


def test_tier_table_names_every_tier_of_both_plans():
    a = SimpleNamespace(summary=[{"tier": "cue", "flown": 4, "fraction_engageable": 0.5}])
    b = SimpleNamespace(summary=[{"tier": "local", "flown": 4, "fraction_engageable": 0.0}])
    c = Console(width=200, record=True)
    c.print(tier_table(a, b))
    text = c.export_text()
    assert "2 / 4" in text and "0 / 4" in text and "not physics" in text
    assert text.index("local") < text.index("cue")
