"""docs/GUARANTEES.md's results tables (verdicts per rule and scenario, margins and evidence, results
hashes) are what the code gives now: every line ``python -m bmdcheck.guarantee.demo`` prints (it
regenerates them) is in the document. A stale table misleads anyone re-verifying a hash."""

from pathlib import Path

from bmdcheck.guarantee.demo import results_markdown


def test_guarantees_doc_results_are_current():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "GUARANTEES.md").read_text(encoding="utf-8")
    missing = [line for line in results_markdown().splitlines() if line and line not in doc]
    assert not missing, ("docs/GUARANTEES.md is stale; regenerate its tables with `python -m bmdcheck.guarantee.demo`:\n"
                         + "\n".join(missing[:6]))
