"""`make demo`: the main job on embedded defaults.

1. A few catalogue ICBM flights from public ICBM-field locations to US aim points (the flight core).
2. The EPAA comparison: phase 4 as announced in 2010 (with SM-3 IIB) against the March 2013
   restructured plan (without it), assessed end to end against Russian ICBMs flying to the US,
   with progress bars, a summary table and the results on disk (Parquet + provenance).
3. The offline comparison report of both plans (map, engagement diagrams, verdicts; docs/REPORTS.md).
4. Guarantee checks on the shipped EPAA scenarios, when the guarantees layer is installed (computed
   by the helper process while stages 2 and 3 run; their verdicts are in the report).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rich.table import Table

from . import api

# Public locations (catalogue-sources.md §6.2: GeoNames town points of the 2024 ICBM divisions).
LAUNCH_SITES = {
    "Kozelsk": (54.038, 35.772),
    "Novosibirsk": (55.042, 82.935),
}
AIM_POINTS = {
    "Washington DC": (38.895, -77.036),
    "Chicago": (41.878, -87.630),
}


def scenario_path(name: str) -> Path:
    """Path of a shipped scenario file (data/scenarios/NAME.toml)."""
    return api.scenario_file(name)


def _flights(console) -> None:
    BmdcheckError, fly = api.BmdcheckError, api.fly
    cat = api.missiles()
    t = Table(title="1. ICBM flights from public ICBM-field locations (min-energy; WGS84 + J2, rotating, USSA76)")
    for c in ("missile", "from", "to", "range km", "flight min", "apogee km", "burnout m/s", "γ bo °"):
        t.add_column(c, justify="right" if c not in ("missile", "from", "to") else "left")
    for name in ("topol-m", "minuteman-iii"):
        m = cat[name]
        for src, p0 in LAUNCH_SITES.items():
            for dst, p1 in AIM_POINTS.items():
                try:
                    tr = fly(m, p0, p1, "min-energy")
                except BmdcheckError as e:
                    t.add_row(m.name, src, dst, "—", "—", "—", "—", str(e)[:40])
                    continue
                t.add_row(m.name, src, dst, f"{tr.range_km:,.0f}", f"{tr.flight_time_s / 60:.1f}",
                          f"{tr.apogee_km:,.0f}", f"{tr.burnout_speed_mps:,.0f}", f"{tr.burnout_fpa_deg:.1f}")
    console.print(t)


def _progress():
    """A progress bar on stderr."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=False)


def _run(path: str, out_dir: str, label: str):
    """Assess a shipped scenario with a progress bar (the results folder is named on it)."""
    prog = _progress()
    task = []

    def cb(done, total):
        if not task:
            prog.start()
            task.append(prog.add_task(f"{label} → {out_dir}", total=total))
        prog.update(task[0], completed=done, total=total)

    try:
        return api.assess_scenario(path, out_dir, chunk_cases=CHUNK_CASES, progress=cb)
    finally:
        if task:
            prog.stop()


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process, all threads, and of its ended child processes
    (the demo's ``Helper``, counted when it ends: in stage 2a)."""
    t = os.times()  # children's times (clock ticks); this process's from process_time (finer)
    return time.process_time() + t.children_user + t.children_system


class StageClock:
    """Wall and CPU seconds per demo stage. CPU (``_cpu_s``): this process's, all threads, and its
    helper process's; the figure to compare on a shared machine, where wall time mostly measures
    the other users."""

    def __init__(self):
        self.t0, self.c0 = time.perf_counter(), _cpu_s()
        self.mark = (self.t0, self.c0)
        self.stages: list[tuple[str, float, float]] = []

    def done(self, label: str) -> None:
        now = (time.perf_counter(), _cpu_s())
        self.stages.append((label, now[0] - self.mark[0], now[1] - self.mark[1]))
        self.mark = now

    def table(self) -> Table:
        t = Table(title="demo stages (CPU: all threads, and the helper process's when it ends, in stage 3)")
        t.add_column("stage")
        t.add_column("wall s", justify="right")
        t.add_column("CPU s", justify="right")
        for label, wall, cpu in self.stages:
            t.add_row(label, f"{wall:.1f}", f"{cpu:.1f}")
        t.add_row("total", f"{time.perf_counter() - self.t0:.1f}", f"{_cpu_s() - self.c0:.1f}")
        return t

    def to_json(self) -> dict:
        """``demo-timing.json``: stages [{stage, wall_s, cpu_s}], totals, peak_rss_mb, the machine (load
        average, ``uptime`` line, cores, CPU, versions) and the table cache."""
        import platform

        _cpu_model, _load_average, _versions = api.machine_cpu_model, api.machine_load_average, api.machine_versions
        _peak_rss_mb, _uptime = api.machine_peak_rss_mb, api.machine_uptime
        STATS, cache_dir = api.cache_stats, api.cache_dir

        d = cache_dir()
        return {"benchmark": "demo", "stages": [{"stage": a, "wall_s": round(w, 2), "cpu_s": round(c, 2)}
                                                for a, w, c in self.stages],
                "wall_s": round(time.perf_counter() - self.t0, 2), "cpu_s": round(_cpu_s() - self.c0, 2),
                "peak_rss_mb": _peak_rss_mb(), "load_average": _load_average(), "uptime": _uptime(),
                "cores": os.cpu_count(), "cpu": _cpu_model(), "python": platform.python_version(),
                "versions": _versions(), "tables_built": STATS["built"], "tables_read": STATS["read"],
                "table_cache": str(d) if d else None}


TIMING_FILE = "demo-timing.json"
"""The demo's stage timings (``StageClock.to_json``), beside its results; ``bmdcheck bench table`` reads it."""
CHUNK_CASES = 40
"""Threat cases per work unit in the demo: the whole 40-case threat set of the EPAA scenarios in one
chunk, so that each fly-out table and each radar's geometry is made once per scenario (with several
chunks every chunk cycles through the 20 draws' tables again)."""


def write_timing(path: Path, timing: dict) -> None:
    """Write the timings durably (temporary file + rename)."""
    import json

    write_text = api.write_text_durably

    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(timing, indent=2) + "\n")


# ------------------------------------------------------------------------------------------------
# The helper process: the demo's second core while the main process compiles and assesses


class Helper:
    """A child process (``python -m bmdcheck.demo --helper SCENARIO [GUARANTEES_FILE]``) that works beside
    the demo on the second core, with results that the main process would otherwise compute itself
    (``bmdcheck.assess.prefetch``, ``bmdcheck.guarantee.demo``):

    1. it compiles the lock-step flight kernel into the Numba cache while the main process compiles
       the adaptive kernel (stage 1 needs both; Numba compiles one function at a time per process);
       the main process's first call of the lock-step kernel, when the cache does not hold it yet,
       waits for it, then loads the compiled kernel from the cache instead of compiling it a second
       time; the fly-out table kernels likewise (the helper compiles them with its first table);
    2. it builds the scenario's fly-out tables into the disk cache, draws in reverse order, while the
       main process assesses the draws in order: each table is built once, by whichever process comes
       to it first, and read from the disk by the other;
    3. with a guarantees file, it then checks the shipped guarantees (stage 3, ``compute_guarantees``)
       while the main process finishes stage 2, and pickles the reports to that file (written to a
       temporary name, then renamed).

    Without it (it failed, or the disk cache is off) the main process computes everything itself, with
    the same results. The helper stops building tables when its stdin closes (``stop_tables``). Messages
    on its stdout, one per line: ``lockstep`` (compiled), ``flyout`` (its first table is built),
    ``tables N``, ``done`` (tables), ``guarantees SECONDS`` (the file is written).
    """

    cpu_s: float | None = None
    """The helper's CPU seconds (user + system), once it has ended."""
    tables: int | None = None
    """Fly-out tables the helper asked for (built or read from the disk cache), once it has ended."""
    guarantees_s: float | None = None
    """Seconds the helper took to check the guarantees, once it has."""

    def __init__(self, scenario: str, guarantees_file: str | None = None):
        env = dict(os.environ, NUMBA_NUM_THREADS="1")  # one core's worth: the main process keeps its threads
        self.ready = {"lockstep": threading.Event(), "flyout": threading.Event(), "done": threading.Event(),
                      "guarantees": threading.Event()}
        self.guarantees_file = guarantees_file
        args = [sys.executable, "-m", "bmdcheck.demo", "--helper", scenario] + ([guarantees_file] if guarantees_file else [])
        try:
            self.proc = subprocess.Popen(args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True)
        except OSError:
            self.proc = None
            self._all_ready()
            return
        threading.Thread(target=self._read, daemon=True).start()
        api.load_lockstep_after(self.ready["lockstep"])
        api.load_flyout_after(self.ready["flyout"])

    def _all_ready(self) -> None:
        for e in self.ready.values():
            e.set()

    def _read(self) -> None:
        for line in self.proc.stdout:
            word, _, arg = line.strip().partition(" ")
            if word == "tables" and arg.isdigit():
                self.tables = int(arg)
            if word == "guarantees":
                try:
                    self.guarantees_s = float(arg)
                except ValueError:
                    pass
            e = self.ready.get(word)
            if e is not None:
                e.set()
            if word == "done":  # no table built (none to build, or stopped first): nothing to wait for
                self.ready["flyout"].set()
        self._all_ready()  # it exited (or failed): nothing more to wait for

    def stop_tables(self) -> None:
        """Close the helper's stdin: it finishes the table in hand and goes on to the guarantees (or exits)."""
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def guarantees(self, timeout_s: float = 600.0):
        """The helper's guarantee reports (``compute_guarantees``), waiting for it; None when it has none
        (no file asked for, it failed, or it took longer than timeout_s). Ends the helper."""
        self.stop_tables()
        self.ready["guarantees"].wait(timeout_s)
        self.stop()
        if self.guarantees_s is None or not self.guarantees_file:
            return None
        import pickle

        try:
            with open(self.guarantees_file, "rb") as f:
                return pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None

    def stop(self, timeout_s: float = 30.0) -> None:
        """Close the helper's stdin and wait for it to exit; kill it after timeout_s."""
        if self.proc is None or self.cpu_s is not None:
            return
        self.stop_tables()
        t0 = os.times()
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        t1 = os.times()
        self.cpu_s = (t1.children_user + t1.children_system) - (t0.children_user + t0.children_system)

    def kill(self) -> None:
        """End the helper now (the demo failed or was interrupted)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        self.stop()


def _helper_main(scenario: str, guarantees_file: str | None = None) -> None:
    """The helper process's work (``Helper``)."""
    stop = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    api.compile_lockstep()
    print("lockstep", flush=True)
    n = api.prefetch_tables(scenario, stop, first=lambda: print("flyout", flush=True))
    print(f"tables {n}", flush=True)
    print("done", flush=True)
    if guarantees_file:
        import pickle

        t0 = time.perf_counter()
        reports = api.compute_guarantees()
        tmp = f"{guarantees_file}.tmp"
        with open(tmp, "wb") as f:
            pickle.dump(reports, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, guarantees_file)
        print(f"guarantees {time.perf_counter() - t0:.3f}", flush=True)


def _has_guarantees() -> bool:
    """Is the guarantees layer installed?"""
    try:
        api.run_guarantees
    except ImportError:
        return False
    return True


def run_demo(console, out_dir: str = "results/demo") -> None:
    summary_table = api.engageability_table

    clock = StageClock()
    done = clock.done
    a, b = scenario_path("epaa-phase4-2010"), scenario_path("epaa-phase4-2013")
    # the helper takes one core: OpenMP threads that wait at the end of a parallel loop sleep instead
    # of spinning on the core it needs (read when Numba starts its thread pool, at the first parallel kernel)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    scratch = tempfile.TemporaryDirectory(prefix="bmdcheck-demo-")
    helper = Helper(str(a), os.path.join(scratch.name, "guarantees.pickle") if _has_guarantees() else None)
    try:
        _flights(console)
        done("1. ICBM flights (first run: includes compiling the kernels into the Numba cache)")
        console.print("\n[bold]2. EPAA phase 4: as announced in 2010 (SM-3 IIB) vs the March 2013 plan (no IIB)[/]")
        ra = _run(str(a), str(Path(out_dir) / "epaa-phase4-2010"), label="phase 4 (2010)")
        helper.stop_tables()
        done("2a. assess EPAA phase 4 (2010): steer, fly, build the fly-out tables, windows per draw and tier")
        rb = _run(str(b), str(Path(out_dir) / "epaa-phase4-2013"), label="phase 4 (2013)")
        done("2b. assess EPAA phase 4 (2013): the same threats; fly-out tables from the disk cache")
        console.print(summary_table(ra, f"{ra.provenance['scenario_name']}"))
        console.print(summary_table(rb, f"{rb.provenance['scenario_name']}"))
        console.print(tier_table(ra, rb))
        key = lambda r: (r["launch_area"], r["aim_area"], r["missile"], r.get("tier"))  # noqa: E731
        ka = {key(r): r for r in ra.summary}
        lines = []
        for r in rb.summary:
            x = ka.get(key(r))
            if x is None:
                continue
            fa, fb = x["fraction_engageable"] or 0.0, r["fraction_engageable"] or 0.0
            pa, pb = x.get("probability"), r.get("probability")
            if fa != fb or (pa is not None and pb is not None and pa != pb):
                txt = f"nominal {100 * fa:.0f} % → {100 * fb:.0f} %"
                if pa is not None and pb is not None:
                    txt += f"; over the Monte-Carlo draws {100 * pa:.1f} % → {100 * pb:.1f} %"
                tier = f", tier {key(r)[3]}" if key(r)[3] else ""
                lines.append(f"  {key(r)[0]} → {key(r)[1]} ({key(r)[2]}{tier}): {txt}")
        if lines:
            console.print("What cancelling SM-3 IIB changed (share of trajectories engageable, 2010 plan → 2013 plan, per "
                          "sensor tier: local = own radar, remote = best declared radar, cue = launch on early warning):")
            for ln in lines:
                console.print(ln)
        else:
            console.print("Cancelling SM-3 IIB changed no engageability figure in this threat set.")
        console.print(f"results: {ra.out_dir} and {rb.out_dir} (results folders: pandas.read_parquet(DIR); docs/CONVENTIONS.md)",
                      markup=False, highlight=False)
        done("2c. summary and comparison")
        checked: dict = {}

        def guarantees():
            """The helper's guarantee reports (checked here when it has none), for the report's verdicts."""
            got = helper.guarantees()
            t0 = time.perf_counter()
            checked["reports"] = got if got is not None else api.compute_guarantees()
            checked["seconds"] = helper.guarantees_s if got is not None else time.perf_counter() - t0
            checked["by_helper"] = got is not None
            return [(sc, rep) for (sc, _), rep in checked["reports"].items()]

        console.print("\n[bold]3. Report: EPAA phase 4, 2010 plan (A) vs 2013 plan (B)[/]")
        path = _report(ra.out_dir, rb.out_dir, Path(out_dir) / "report-epaa-phase4",
                       guarantees if _has_guarantees() else None)
        console.print(f"report: {path}  (open it in a browser; works offline)", markup=False, highlight=False)
        done("3. report (its figures drawn while the helper process checks the guarantees)")
        helper.stop()
        if checked:
            console.print("\n[bold]4. Guarantees checked against the shipped EPAA scenarios[/]")
            api.run_guarantees(console, checked["reports"], checked["seconds"])
            if checked["by_helper"]:
                console.print("(checked by the helper process while stages 2 and 3 ran)", markup=False, highlight=False)
            done("4. guarantees (margins and capability searches per tier)")
    finally:
        helper.kill()  # a no-op once it has ended (it has, unless the demo failed or was interrupted)
        scratch.cleanup()
    console.print(clock.table())
    timing = clock.to_json()
    timing["helper"] = {"cpu_s": None if helper.cpu_s is None else round(helper.cpu_s, 2), "tables": helper.tables}
    write_timing(Path(out_dir) / TIMING_FILE, timing)
    console.print(f"fly-out tables: {timing['tables_built']} built, {timing['tables_read']} read from the disk cache "
                  f"({timing['table_cache'] or 'disabled'}); timings in {Path(out_dir) / TIMING_FILE}",
                  markup=False, highlight=False)
    if helper.cpu_s is not None:
        console.print(f"helper process: {helper.cpu_s:.0f} s CPU, {helper.tables or 0} fly-out tables asked for "
                      "(built, or read when the main process had built them)", markup=False, highlight=False)
    console.print(f"demo finished in {timing['wall_s']:.0f} s (CPU {timing['cpu_s']:.0f} s)")


def tier_totals(summary) -> dict:
    """{tier: (engageable trajectories, flown trajectories)} summed over a results summary's rows
    (declared values, draw 0)."""
    out: dict = {}
    for r in summary:
        n = int(r.get("flown", r.get("trajectories")) or 0)       # fraction_engageable is over flown draw-0 cases
        k = round(n * float(r.get("fraction_engageable") or 0.0))
        e, m = out.get(r.get("tier") or "—", (0, 0))
        out[r.get("tier") or "—"] = (e + k, m + n)
    return out


def tier_table(ra, rb):
    """EPAA 2010 vs 2013 per sensor tier: engageable trajectories of the threat set at declared values."""
    from rich.table import Table

    TIERS = api.TIERS

    a, b = tier_totals(ra.summary), tier_totals(rb.summary)
    what = {"local": "own radar track only", "remote": "engage on remote (best allied radar)",
            "cue": "launch on early-warning cue (kinematic bound)"}
    t = Table(title="Engageable trajectories per sensor tier (an assumption about sensors, not physics)")
    for c in ("tier", "what the tier assumes", "phase 4 (2010)", "phase 4 (2013)"):
        t.add_column(c)
    for tier in sorted(set(a) | set(b), key=lambda x: TIERS.index(x) if x in TIERS else 9):
        cell = lambda d: "—" if tier not in d else f"{d[tier][0]} / {d[tier][1]}"  # noqa: E731
        t.add_row(tier, what.get(tier, ""), cell(a), cell(b))
    return t


def _report(a, b, out, guar):
    """Write the comparison report with a progress bar; ``guar``: the guarantee verdicts as
    ``write_report`` takes them (a function: called once the figures are drawn)."""
    with _progress() as prog:
        task = prog.add_task("report", total=None)
        return api.write_report(a, b, out, guarantees=guar, max_pairs=3,
                            progress=lambda d, t, w: prog.update(task, completed=d, total=t, description=w))


if __name__ == "__main__":  # the demo's helper process (``Helper``)
    if len(sys.argv) in (3, 4) and sys.argv[1] == "--helper":
        _helper_main(sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else None)
