"""`bmdcheck assess` and `bmdcheck compare`: the main job."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..errors import BmdcheckError
from .main import _emit_json, app, err, out
from .main import safe as escape


def _scenario_path(path: str) -> str:
    """A scenario file, or the file of a shipped scenario name; one-line error otherwise."""
    if Path(path).is_file():
        return path
    from ..demo import scenario_path

    shipped = scenario_path(Path(path).stem) if path.endswith(".toml") or "/" not in path else None
    if shipped is None or not shipped.is_file():
        raise BmdcheckError(f"scenario file not found: {path} (nor a shipped scenario of that name)")
    return str(shipped)


def _check_options(dask, draws, chunk) -> None:
    if chunk < 1:
        raise BmdcheckError("--chunk must be >= 1")
    if draws is not None and not 1 <= draws <= 100_000:
        raise BmdcheckError(f"--draws must be a whole number from 1 to 100,000, got {draws}")
    if dask and dask.startswith("local:") and not dask[6:].isdigit():
        raise BmdcheckError(f"--dask local:N needs a worker count, got {dask!r}")
    if dask and dask.startswith("local:") and int(dask[6:]) < 1:
        raise BmdcheckError("--dask local:N needs N >= 1")


def _plan(path: str, out_dir: str, dask, draws, chunk):
    """Validate a scenario (file or shipped name), the options and the results folder; write nothing."""
    from ..assess.engine import plan

    _check_options(dask, draws, chunk)
    return plan(_scenario_path(path), out_dir, draws=draws, chunk_cases=chunk)


def _execute(p, dask, quiet: bool, label: str = ""):
    """Run a validated plan; the progress bar starts with the first chunk report, so an error while
    connecting to Dask or creating the folder is still the only line on stderr."""
    from ..assess.engine import assess

    if quiet:
        return assess(p, dask=dask)
    prog = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=False)
    task = []

    def cb(done, total):
        if not task:
            prog.start()
            task.append(prog.add_task(escape(label or Path(p.scenario_path).stem), total=total))
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


def summary_table(res, title: str) -> Table:
    t = Table(title=escape(title))
    for c in ("launch area", "aim area", "missile", "tier", "traj.", "engageable", "by sites", "earliest s", "shots"):
        t.add_column(c)
    for r in res.summary:
        frac = r["fraction_engageable"]
        cell = "—" if frac is None else f"{100 * frac:.0f} %"
        if "probability" in r and r["probability"] is not None:
            cell += f" (P {100 * r['probability']:.0f} %, CI {100 * r['ci95_low']:.0f}–{100 * r['ci95_high']:.0f})"
        t.add_row(escape(r["launch_area"]), escape(r["aim_area"]), r["missile"], r.get("tier") or "—",
                  str(r["trajectories"]), cell,
                  escape(r["sites"] or "—"),
                  "—" if r["earliest_intercept_s"] is None else f"{r['earliest_intercept_s']:.0f}",
                  "—" if r["max_shots"] is None else str(r["max_shots"]))
    return t


@app.command()
def assess(scenario: str = typer.Argument(..., help="Scenario TOML file (see docs/SCENARIOS.md)."),
           out_dir: Optional[str] = typer.Option(None, "--out", help="Results directory (Parquet + provenance)."),
           dask: Optional[str] = typer.Option(None, "--dask", help="Dask scheduler ADDRESS, or local:N workers."),
           draws: Optional[int] = typer.Option(None, "--draws", help="Monte-Carlo draws (overrides the scenario)."),
           chunk: int = typer.Option(16, "--chunk", help="Threat cases per work unit."),
           as_json: bool = typer.Option(False, "--json")):
    """Assess a declared architecture against a threat set: what can it engage?"""
    out_dir = out_dir or str(Path("results") / Path(scenario).stem)
    res = _run(scenario, out_dir, dask, draws, chunk, quiet=as_json)
    if as_json:
        _emit_json({"provenance": res.provenance, "summary": res.summary, "out": str(res.out_dir)})
        return
    out.print(summary_table(res, f"{res.provenance['scenario_name']}: engageability"))
    p = res.provenance
    out.print(f"results: {res.out_dir} ({p['rows']:,} rows in results.parquet; pandas.read_parquet('{res.out_dir}') "
              f"or DuckDB select * from '{res.out_dir}/results.parquet'; _summary.parquet, _provenance.json)",
              markup=False, highlight=False)
    out.print(f"scenario {p['scenario_hash'][:12]}…  catalogue {p['catalogue_version']}  results {p['results_hash'][:16]}…")


@app.command()
def compare(a: str = typer.Argument(..., help="Scenario A."), b: str = typer.Argument(..., help="Scenario B."),
            out_dir: Optional[str] = typer.Option(None, "--out", help="Directory for both result sets."),
            dask: Optional[str] = typer.Option(None, "--dask"), draws: Optional[int] = typer.Option(None, "--draws"),
            chunk: int = typer.Option(16, "--chunk"), as_json: bool = typer.Option(False, "--json")):
    """Put two architectures side by side (e.g. EPAA phase 4 with and without SM-3 IIB)."""
    from ..assess.results import read_results

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
    from ..defence.engage import TIERS

    key = lambda r: (r["launch_area"], r["aim_area"], r["missile"], TIERS.index(r["tier"]))  # noqa: E731
    sa = {key(r): r for r in ra.summary}
    sb = {key(r): r for r in rb.summary}
    rows = []
    for k in sorted(set(sa) | set(sb)):
        x, y = sa.get(k), sb.get(k)
        fa = None if x is None else x["fraction_engageable"]
        fb = None if y is None else y["fraction_engageable"]
        rows.append({"launch_area": k[0], "aim_area": k[1], "missile": k[2], "tier": TIERS[k[3]],
                     "a_fraction": fa, "b_fraction": fb,
                     "change": None if fa is None or fb is None else fb - fa,
                     "a_sites": x["sites"] if x else None, "b_sites": y["sites"] if y else None})
    doc = {"a": {"scenario": a, "provenance": ra.provenance}, "b": {"scenario": b, "provenance": rb.provenance},
           "rows": rows, "out": None if tmp else str(base)}
    if as_json:
        _emit_json(doc)
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
