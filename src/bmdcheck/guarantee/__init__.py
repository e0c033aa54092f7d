"""Guarantees as checkable rules: TOML rules in the scenario vocabulary, checked against a scenario
with robustness margins (docs/GUARANTEES.md).

    >>> from bmdcheck.guarantee import check_files
    >>> rep = check_files("epaa-phase4-2013", "speed-caps")
    >>> rep.verdict, len(rep.results_hash)
    ('PASS', 64)

``rules`` holds the file format (pydantic), ``scope`` what a rule covers in a scenario, ``flown``
the threat flights, ``margins`` the margin corners, ``engagement`` / ``capability`` /
``geography`` the rule kinds, ``check`` the verdicts and results hash, ``table`` the text output,
``rerun`` the ledger hook (``bmdcheck.api.ledger_rerun_hook`` hands it to the ledger; importing
this package changes nothing elsewhere).
"""

from .check import FORMAT, Report, RuleVerdict, check, check_files, check_rule, results_hash
from .margins import Corner, Outcome
from .rerun import document_to_toml, rerun_hook, scenario_from_document
from .rules import KINDS, MARGIN_KEYS, Margins, RulesFile, load_rules, rules_from_text, shipped_rules
from .scope import Context
from .table import verdict_table

__all__ = [
    "FORMAT", "KINDS", "MARGIN_KEYS", "Context", "Corner", "Margins", "Outcome", "Report", "RuleVerdict",
    "RulesFile", "check", "check_files", "check_rule", "document_to_toml", "load_rules", "rerun_hook",
    "results_hash", "rules_from_text", "scenario_from_document", "shipped_rules", "verdict_table",
]

