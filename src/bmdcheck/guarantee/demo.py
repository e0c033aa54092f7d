"""`make demo`, part 3: the shipped guarantees checked against EPAA phase 4 as announced (2010) and as
restructured (2013). Both scenarios are flown once; every rules file reuses the flights."""

from __future__ import annotations

import time

from rich.markup import escape
from rich.table import Table

SCENARIOS = (("epaa-phase4-2010", "phase 4 (2010)"), ("epaa-phase4-2013", "phase 4 (2013)"))
RULES = ("epaa-no-russian-icbm", "speed-caps", "geography")


def tiers_text(v) -> str:
    """'local PASS, remote PASS, cue FAIL' for an engagement rule checked at several tiers, else ''."""
    tiers = v.tier_verdicts()
    if not tiers or len(tiers) < 2:
        return ""
    order = {"local": 0, "remote": 1, "cue": 2}
    return ", ".join(f"{k} {x}" for k, x in sorted(tiers.items(), key=lambda kv: order.get(kv[0], 9)))


def _cell(v) -> str:
    per = tiers_text(v)
    per = f"\n{escape(per)}" if per else ""
    if v.verdict == "PASS":
        return "[green]PASS[/]" + per
    tier = f"; tier {v.binding_tier}" if v.binding_tier else ""
    return f"[red]FAIL[/] ({escape(v.binding_text() + tier)})" + per


def compute_guarantees() -> dict:
    """Check the shipped rules files against both phase-4 scenarios: {(scenario, rules name): Report}.
    (Pure computation: ``make demo`` runs it in its helper process while the main process assesses.)"""
    from ..defence import coverage
    from ..defence.engage import reuse_setup
    from ..scenario import load_scenario
    from . import Context, check, load_rules

    rules = [load_rules(name) for name in RULES]
    reports = {}
    for sc, _ in SCENARIOS:
        ctx = Context(load_scenario(sc))
        with coverage.memo(), reuse_setup():  # radar and threat geometry once, for every rule and margin
            for r in rules:
                reports[(sc, r.name)] = check(ctx, r, scenario_path=sc)
    return reports


def print_guarantees(console, reports: dict, seconds: float) -> None:
    """Print the verdict table of ``compute_guarantees``' reports (checked in ``seconds``)."""
    from . import load_rules
    from .table import capability_text, counterexample_text

    rules = [load_rules(name) for name in RULES]
    t = Table(title="Guarantees (src/bmdcheck/data/rules) checked with margins and per sensor tier; "
                    "FAIL (binding margin; binding tier)")
    for c in ("rules file", "rule", "kind") + tuple(label for _, label in SCENARIOS) + ("evidence (2013)",):
        t.add_column(c, overflow="fold")
    for r in rules:
        a, b = reports[(SCENARIOS[0][0], r.name)], reports[(SCENARIOS[1][0], r.name)]
        for va, vb in zip(a.verdicts, b.verdicts):
            ev = counterexample_text(vb) if vb.verdict == "FAIL" else capability_text(vb)
            t.add_row(r.name, va.id, va.kind, _cell(va), _cell(vb), escape(ev))
    console.print(t)
    for r in rules:
        a, b = reports[(SCENARIOS[0][0], r.name)], reports[(SCENARIOS[1][0], r.name)]
        for va, vb in zip(a.verdicts, b.verdicts):
            if va.verdict != vb.verdict:
                bad = va if va.verdict == "FAIL" else vb
                console.print(f"{va.id}: {SCENARIOS[0][1]} {va.verdict}, {SCENARIOS[1][1]} {vb.verdict}; "
                              f"counterexample: {counterexample_text(bad)}", highlight=False, markup=False)
    for (sc, name), rep in reports.items():
        console.print(f"  {sc} x {name}: {rep.verdict}, results hash {rep.results_hash[:16]}…", highlight=False,
                      markup=False)
    console.print(f"guarantees checked in {seconds:.0f} s "
                  f"(`bmdcheck verify SCENARIO RULES` for one pair; docs/GUARANTEES.md)", markup=False)


def run_guarantees(console, reports: dict | None = None, seconds: float | None = None) -> dict:
    """Check the shipped rules files against both phase-4 scenarios (unless ``reports`` computed
    elsewhere, in ``seconds``, are given); print one verdict table. Returns {(scenario, rules name): Report}."""
    t0 = time.perf_counter()
    if reports is None:
        reports = compute_guarantees()
        seconds = time.perf_counter() - t0
    print_guarantees(console, reports, seconds or 0.0)
    return reports


def results_markdown(scenarios=("epaa-phase3", "epaa-phase4-2010", "epaa-phase4-2013"), names=RULES) -> str:
    """The docs/GUARANTEES.md results table: every shipped rule on every scenario, measured now.

    ``python -m bmdcheck.guarantee.demo`` prints it.
    """
    from ..scenario import load_scenario
    from . import Context, check, load_rules
    from .table import capability_text, counterexample_text

    rules = [load_rules(n) for n in names]
    reps = {}
    for sc in scenarios:
        ctx = Context(load_scenario(sc))
        for r in rules:
            reps[(sc, r.name)] = check(ctx, r, scenario_path=sc)
    def cell(v):
        per = tiers_text(v)
        per = f"<br>{per}" if per else ""
        if v.verdict == "PASS":
            return "PASS" + per
        return f"**FAIL** ({v.binding_text()}{'; tier ' + v.binding_tier if v.binding_tier else ''})" + per

    lines = ["| rules file | rule | " + " | ".join(scenarios) + " |", "|---|---|" + "---|" * len(scenarios)]
    for r in rules:
        for k, rule in enumerate(r.rule):
            lines.append(f"| {r.name} | {rule.id} | " + " | ".join(cell(reps[(sc, r.name)].verdicts[k]) for sc in scenarios)
                         + " |")
    lines += ["", "| scenario | rule | declared / with margins | evidence |", "|---|---|---|---|"]
    from .table import margins_text

    for sc in scenarios:
        for r in rules:
            for v in reps[(sc, r.name)].verdicts:
                ev = counterexample_text(v) if v.verdict == "FAIL" else capability_text(v)
                lines.append(f"| {sc} | {v.id} | {margins_text(v)} | {ev} |")
    lines += ["", "| scenario | rules file | verdict | results hash |", "|---|---|---|---|"]
    for (sc, name), rep in reps.items():
        lines.append(f"| {sc} | {name} | {rep.verdict} | `{rep.results_hash}` |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(results_markdown(), end="")
