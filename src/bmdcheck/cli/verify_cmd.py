"""`bmdcheck verify SCENARIO RULES`: check guarantees (docs/GUARANTEES.md).

Exit codes: 0 every rule passes, 1 some rule fails, 2 bad input (one line on stderr).
"""

from __future__ import annotations

import typer

from .. import api
from .app import JSON_HELP, app, emit_json, err, out
from .app import safe as escape


@app.command()
def verify(scenario: str = typer.Argument(..., help="Scenario TOML file, or a shipped scenario name."),
           rules: str = typer.Argument(..., help="Rules TOML file, or a shipped rules name (docs/GUARANTEES.md)."),
           as_json: bool = typer.Option(False, "--json", help="Print one JSON object (the verdict document; "
                                                       "docs/GUARANTEES.md).")):
    """Check guarantees (a rules file) against a declared architecture: PASS / FAIL with evidence."""
    check_files, verdict_table, counterexample_text = api.verify, api.verdict_table, api.counterexample_text
    if as_json:
        rep = check_files(scenario, rules)
        emit_json(rep.to_dict())
    else:
        with err.status("checking guarantees…") as status:
            rep = check_files(scenario, rules, progress=lambda msg: status.update(msg))
        out.print(verdict_table(rep))
        for v in rep.verdicts:
            if v.verdict == "FAIL":
                out.print(f"[red]FAIL[/] {escape(v.id)}: {escape(counterexample_text(v))}", highlight=False)
            elif v.held_by:            # no speed change moves it: say what holds it
                h = v.held_by
                out.print(f"[green]PASS[/] {escape(v.id)}: {escape(h['text'])} ({h['trajectories']} of {h['of']} "
                          f"trajectories; no burnout speed up to x{h['at_burnout_scale']:.2f} breaks it)",
                          highlight=False)
        n_fail = sum(v.verdict == "FAIL" for v in rep.verdicts)
        out.print(f"{rep.verdict}: {len(rep.verdicts) - n_fail} of {len(rep.verdicts)} rules pass.  scenario "
                  f"{rep.scenario_hash[:12]}…  rules {rep.rules_sha256[:12]}…  results hash {rep.results_hash}",
                  highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(0 if rep.verdict == "PASS" else 1)
