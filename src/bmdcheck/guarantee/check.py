"""Check a rules file against a scenario: verdicts, evidence and a reproducible results hash.

For each rule: evaluate it at the declared values, at each of its margins alone, and at the corner
where all its margins apply at once (the worst case for the guarantee: every margin makes the
defence stronger). The verdict is PASS when it holds at the declared values and at that corner.
``binding`` says what broke it: ``"declared"`` (it fails with no margin at all), the margin keys
that break it on their own, or ``"combined"`` (only all margins together do). For an engagement
rule that passes, the capability margin says how much faster (and how much quicker to decide) the
defence would have to be to break it (:func:`.engagement.capability_margin`).

The results hash is the SHA-256 of the canonical JSON (sorted keys, no whitespace) of the verdict
document's reproducible core — format, scenario hash, rules hash, overall verdict and every rule's
verdict with its evidence — with every float rounded to 6 significant digits.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from typing import Callable

from ..errors import BmdcheckError
from ..scenario.load import load_scenario, scenario_hash
from ..scenario.schema import Scenario
from . import capability, consistency, engagement, geography
from .margins import Corner, Outcome, active_margins
from .rules import MARGIN_KEYS, RulesFile, load_rules
from .scope import Context

FORMAT = "bmdcheck-guarantees/1"
BURNOUT_STEP_PCT = 5
"""An engagement rule's burnout margin is checked at every step of this many per cent up to it."""
SIGNIFICANT_DIGITS = 6
"""Floats in the hashed verdict document are rounded to this many significant digits."""

APPLICABLE = {
    "engagement": MARGIN_KEYS,
    "burnout-speed": ("burnout_speed_increase_pct",),
    "radar-coverage": ("radar_range_scale",),
    "inventory": (),
    "site-count": (),
    "site-exclusion": (),
    "declared-speed-consistent": (),
}
"""Which margins change each kind of rule (the others are reported as not applicable)."""

EVALUATE = {
    "engagement": engagement.evaluate,
    "burnout-speed": capability.evaluate_speed,
    "inventory": capability.evaluate_inventory,
    "site-count": capability.evaluate_sites,
    "site-exclusion": geography.evaluate_exclusion,
    "radar-coverage": geography.evaluate_coverage,
    "declared-speed-consistent": consistency.evaluate_declared_speed,
}


@dataclass
class RuleVerdict:
    """One rule's verdict and its evidence."""

    id: str
    kind: str
    statement: str
    verdict: str                          # "PASS" | "FAIL"
    binding: object                       # None | "declared" | "combined" | [margin keys]
    declared: Outcome
    by_margin: dict                       # margin key -> Outcome with that margin alone
    worst: Outcome                        # all margins at once (= declared when there are none)
    worst_corner: Corner
    margins: dict                         # the effective margins of the rule (active ones)
    not_applicable: list = field(default_factory=list)
    capability_margin: dict | None = None

    @property
    def binding_tier(self) -> str | None:
        """The sensor tier that decides an engagement rule: the failing one (declared values first),
        else the tier nearest to failing; None for other kinds."""
        o = self.declared if not self.declared.ok else self.worst
        return o.metrics.get("binding_tier")

    def tier_verdicts(self) -> dict | None:
        """PASS / FAIL per sensor tier (declared values and worst corner), engagement rules only."""
        d, w = self.declared.metrics.get("tiers"), self.worst.metrics.get("tiers")
        if not d:
            return None
        return {t: "PASS" if d[t]["ok"] and (w or d).get(t, d[t])["ok"] else "FAIL" for t in d}

    @property
    def held_by(self) -> dict | None:
        """For a PASS that no burnout-speed change up to the scanned maximum breaks: what holds it
        (``engagement.held_by``: 'held by assumption: local tier radar track ...'); else None."""
        return (self.capability_margin or {}).get("held_by")

    @property
    def counterexample(self) -> dict | None:
        if not self.declared.ok:
            return self.declared.counterexample
        return self.worst.counterexample

    def binding_text(self) -> str:
        if self.binding is None:
            return "—"
        if self.binding in ("declared", "combined"):
            return {"declared": "declared values", "combined": "margins combined"}[self.binding]
        return ", ".join(_MARGIN_TEXT[k](self.margins[k]) for k in self.binding)

    def to_dict(self) -> dict:
        def oc(o: Outcome) -> dict:
            return {"ok": o.ok, "summary": o.summary, "metrics": o.metrics}

        return {"id": self.id, "kind": self.kind, "statement": self.statement, "verdict": self.verdict,
                "binding": self.binding, "binding_text": self.binding_text(), "margins": self.margins,
                "margins_not_applicable": self.not_applicable, "declared": oc(self.declared),
                "by_margin": {k: oc(o) for k, o in self.by_margin.items()},
                "worst_case": {**oc(self.worst), "corner": self.worst_corner.label(),
                               "corner_values": self.worst_corner.to_dict()},
                "counterexample": self.counterexample, "capability_margin": self.capability_margin,
                "binding_tier": self.binding_tier, "tiers": self.tier_verdicts(), "held_by": self.held_by}


_MARGIN_TEXT = {
    "burnout_speed_increase_pct": lambda v: f"burnout +{v:g} %",
    "decision_delay_reduction_s": lambda v: f"decision delay -{v:g} s",
    "detection_delay_reduction_s": lambda v: f"detection -{v:g} s",
    "radar_range_scale": lambda v: f"radar range x{v:g}",
    "salvo_window": lambda v: "salvo window",
}


@dataclass
class Report:
    """The verdicts of one rules file on one scenario."""

    scenario_name: str
    scenario_hash: str
    scenario_path: str | None
    rules_name: str
    rules_path: str
    rules_sha256: str
    verdicts: list[RuleVerdict]

    @property
    def verdict(self) -> str:
        """"PASS" when every rule passes, else "FAIL"."""
        return "PASS" if all(v.verdict == "PASS" for v in self.verdicts) else "FAIL"

    def core(self) -> dict:
        """The reproducible part of the verdict document (what the results hash covers)."""
        return {"format": FORMAT, "scenario_hash": self.scenario_hash, "rules_sha256": self.rules_sha256,
                "verdict": self.verdict, "verdicts": [v.to_dict() for v in self.verdicts]}

    @property
    def results_hash(self) -> str:
        return results_hash(self.core())

    def to_dict(self) -> dict:
        from ..assess.engine import catalogue_version

        core = clean(self.core())
        return {"format": FORMAT, "verdict": self.verdict, "results_hash": results_hash(self.core()),
                "scenario": {"name": self.scenario_name, "path": self.scenario_path, "hash": self.scenario_hash},
                "rule_set": {"name": self.rules_name, "path": self.rules_path, "sha256": self.rules_sha256},
                "catalogue_version": catalogue_version(),
                "counts": {"PASS": sum(v.verdict == "PASS" for v in self.verdicts),
                           "FAIL": sum(v.verdict == "FAIL" for v in self.verdicts)},
                "verdicts": core["verdicts"]}


# ---- checking -------------------------------------------------------------------------------------

def check_rule(ctx: Context, rules: RulesFile, i: int, search: bool = True) -> RuleVerdict:
    """Check ``rules.rule[i]`` in ``ctx``: declared values, each margin, all margins; the search."""
    rule = rules.rule[i]
    ev = EVALUATE[rule.kind]
    m = rules.effective_margins(rule)
    active = active_margins(m, APPLICABLE[rule.kind])
    ignored = [k for k in active_margins(m, MARGIN_KEYS) if k not in APPLICABLE[rule.kind]]
    declared = ev(ctx, rules, i, Corner())
    single = {k: _at(ev, ctx, rules, i, Corner.of(m, [k])) for k in active}
    by_margin = {k: o for k, (o, _) in single.items()}
    if len(active) > 1:
        worst, worst_corner = _at(ev, ctx, rules, i, Corner.of(m, active))
    elif active:
        worst, worst_corner = single[active[0]]
    else:
        worst, worst_corner = declared, Corner()
    ok = declared.ok and worst.ok
    if not declared.ok:
        binding = "declared"
    elif not worst.ok:
        binding = [k for k in active if not by_margin[k].ok] or "combined"
    else:
        binding = None
    cap = None
    if ok and search and rule.kind == "engagement":
        cap = engagement.capability_margin(ctx, rules, i)
    return RuleVerdict(rule.id, rule.kind, rule.statement, "PASS" if ok else "FAIL", binding, declared, by_margin,
                       worst, worst_corner, {k: getattr(m, k) for k in active}, ignored, cap)


def _at(ev, ctx: Context, rules: RulesFile, i: int, corner: Corner) -> tuple[Outcome, Corner]:
    """Evaluate at ``corner``; for an engagement rule with a burnout margin, at every BURNOUT_STEP_PCT
    step up to it (the fly-out model's reach is not monotonic in burnout speed). Returns the first
    failing (outcome, corner), else the outcome at the full margin."""
    if rules.rule[i].kind != "engagement" or corner.burnout_scale == 1.0:
        return ev(ctx, rules, i, corner), corner
    pct = round(100 * (corner.burnout_scale - 1), 9)
    steps = [s for s in range(BURNOUT_STEP_PCT, int(math.ceil(pct)), BURNOUT_STEP_PCT)] + [pct]
    for k, step in enumerate(steps):
        c = replace(corner, burnout_scale=1 + step / 100)
        o = ev(ctx, rules, i, c)
        if not o.ok or k == len(steps) - 1:
            return o, c
    raise AssertionError("unreachable")


def check(scenario: Scenario | Context, rules: RulesFile, *, scenario_path: str | None = None, search: bool = True,
          progress: Callable[[str], None] | None = None) -> Report:
    """Check every rule of ``rules`` against ``scenario`` (a Scenario, or a Context to share flights)."""
    ctx = scenario if isinstance(scenario, Context) else Context(scenario)
    s = ctx.scenario
    out = []
    for i, rule in enumerate(rules.rule):
        if progress:
            progress(f"{rules.name}: rule {rule.id} ({i + 1}/{len(rules.rule)})")
        out.append(check_rule(ctx, rules, i, search))
    return Report(s.name, scenario_hash(s), scenario_path, rules.name, rules.path, rules.sha256(), out)


def check_files(scenario_path, rules_path, *, search: bool = True,
                progress: Callable[[str], None] | None = None) -> Report:
    """Load a scenario and a rules file (paths or shipped names) and check them."""
    rules = load_rules(rules_path)
    s = load_scenario(scenario_path)
    return check(s, rules, scenario_path=str(scenario_path), search=search, progress=progress)


# ---- canonical form and hash ----------------------------------------------------------------------

def _round(x: float) -> float | None:
    if not math.isfinite(x):
        return None
    y = float(f"{x:.{SIGNIFICANT_DIGITS}g}")
    return 0.0 if y == 0 else y


def clean(obj):
    """JSON-ready copy: numpy scalars to Python, floats rounded (6 significant digits), NaN/inf to None."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if hasattr(obj, "item") and not isinstance(obj, (int, float)):   # numpy scalar
        obj = obj.item()
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return _round(obj)
    raise BmdcheckError(f"cannot write {type(obj).__name__} into a verdict document")


def results_hash(core: dict) -> str:
    """SHA-256 of the canonical JSON of ``clean(core)``."""
    text = json.dumps(clean(core), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
