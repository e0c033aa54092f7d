"""`bmdcheck assess` and `bmdcheck compare`: the main job."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from .. import api
from .app import JSON_HELP, app, emit_json, err, out, progress_bar
from .app import safe as escape

DASK_HELP = "Run on Dask: a scheduler ADDRESS (tcp://host:8786), or local:N for N local workers."
DRAWS_HELP = "Monte-Carlo draws (overrides the scenario's uncertainty.draws)."
CHUNK_HELP = "Threat cases per work unit."


def _plan(path: str, out_dir: str, dask, draws, chunk):
    """Validate a scenario (file or shipped name), the options and the results folder; write nothing."""
    api.check_dask(dask)
    return api.plan_assessment(api.scenario_file(path), out_dir, draws=draws, chunk_cases=chunk)


def _execute(p, dask, quiet: bool, label: str = ""):
    """Run a validated plan; the progress bar starts with the first chunk report, so an error while
    connecting to Dask or creating the folder is still the only line on stderr."""
    assess = api.assess_scenario
    if quiet:
        return assess(p, dask=dask)
    prog = progress_bar()
    task = []

    def cb(done, total):
        if not task:
            prog.start()
            task.append(prog.add_task(escape(f"{label or Path(p.scenario_path).stem} → {p.out}"), total=total))
        prog.update(task[0], completed=done, total=total)

    try:
        res = assess(p, dask=dask, progress=cb)
    except BaseException:
        if task:  # on failure the error line is all that stays on stderr
            prog.live.transient = True
            prog.stop()
        raise
    if task:
        prog.stop()
    return res


def _run(path: str, out_dir: str, dask, draws, chunk, quiet: bool, label: str = ""):
    """Validate, then assess (bad input: one line, exit 2, before any output)."""
    return _execute(_plan(path, out_dir, dask, draws, chunk), dask, quiet, label)


def summary_table(res, title: str):
    return api.engageability_table(res, title)


@app.command()
def assess(scenario: str = typer.Argument(..., help="Scenario TOML file or shipped scenario name (docs/SCENARIOS.md)."),
           out_dir: Optional[str] = typer.Option(None, "--out", help="Results folder (Parquet + provenance); default "
                                                 "results/SCENARIO in the current directory."),
           dask: Optional[str] = typer.Option(None, "--dask", help=DASK_HELP),
           draws: Optional[int] = typer.Option(None, "--draws", help=DRAWS_HELP),
           chunk: int = typer.Option(16, "--chunk", help=CHUNK_HELP),
           as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """Assess a declared architecture against a threat set: what can it engage?

    Writes the results folder (default results/SCENARIO); the progress bar and the last line name it.
    """
    out_dir = out_dir or str(Path("results") / Path(scenario).stem)
    res = _run(scenario, out_dir, dask, draws, chunk, quiet=as_json)
    if as_json:
        emit_json({"provenance": res.provenance, "summary": res.summary, "out": str(res.out_dir)})
        return
    out.print(summary_table(res, f"{res.provenance['scenario_name']}: engageability"))
    p = res.provenance
    out.print(f"results: {res.out_dir} ({p['rows']:,} rows in results.parquet; pandas.read_parquet('{res.out_dir}') "
              f"or DuckDB select * from '{res.out_dir}/results.parquet'; _summary.parquet, _provenance.json)",
              markup=False, highlight=False)
    out.print(f"scenario {p['scenario_hash'][:12]}…  catalogue {p['catalogue_version']}  results {p['results_hash'][:16]}…")


@app.command()
def compare(a: str = typer.Argument(..., help="Scenario A."), b: str = typer.Argument(..., help="Scenario B."),
            out_dir: Optional[str] = typer.Option(None, "--out", help="Folder for both result sets (OUT/A, OUT/B); "
                                                  "default: a temporary folder, removed after."),
            dask: Optional[str] = typer.Option(None, "--dask", help=DASK_HELP),
            draws: Optional[int] = typer.Option(None, "--draws", help=DRAWS_HELP),
            chunk: int = typer.Option(16, "--chunk", help=CHUNK_HELP),
            as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """Put two architectures side by side (e.g. EPAA phase 4 with and without SM-3 IIB)."""
    read_results = api.read_results
    tmp = None if out_dir else Path(tempfile.mkdtemp(prefix="bmdcheck-compare-"))
    base = Path(out_dir) if out_dir else tmp
    try:
        pa_ = _plan(a, str(base / "A"), dask, draws, chunk)  # both validated before either runs
        pb_ = _plan(b, str(base / "B"), dask, draws, chunk)
        _execute(pa_, dask, quiet=as_json, label=f"A: {Path(a).stem}")
        _execute(pb_, dask, quiet=as_json, label=f"B: {Path(b).stem}")
        ra, rb = read_results(base / "A"), read_results(base / "B")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    rows = api.compare_results(ra, rb)
    doc = {"a": {"scenario": a, "provenance": ra.provenance}, "b": {"scenario": b, "provenance": rb.provenance},
           "rows": rows, "out": None if tmp else str(base)}
    if as_json:
        emit_json(doc)
        return
    t = Table(title=escape(f"A = {ra.provenance['scenario_name']}   vs   B = {rb.provenance['scenario_name']}"))
    for c in ("launch area", "aim area", "missile", "tier", "A engageable", "B engageable", "change", "A sites",
              "B sites"):
        t.add_column(c)
    pct = lambda v: "—" if v is None else f"{100 * v:.0f} %"  # noqa: E731
    for r in rows:
        ch = r["change"]
        t.add_row(escape(r["launch_area"]), escape(r["aim_area"]), r["missile"], r["tier"], pct(r["a_fraction"]),
                  pct(r["b_fraction"]), "—" if ch is None else f"{100 * ch:+.0f} pts", escape(r["a_sites"] or "—"),
                  escape(r["b_sites"] or "—"))
    out.print(t)
    if tmp is None:
        out.print(f"results: {base}/A and {base}/B (results folders: docs/CONVENTIONS.md)", markup=False,
                  highlight=False)
    else:
        out.print("results not kept (use --out DIR to keep both results folders)")
