"""The ``bmdcheck`` command line: a thin layer over the public API (``bmdcheck.api``).

This module holds the entry point and the flight, catalogue, benchmark and demo commands; the
Typer app and the shared parsing live in :mod:`.app`, the other commands in ``*_cmd.py``.
Every bad input ends in one line on stderr and exit code 2, never a traceback; anything that is
not a BmdcheckError or a usage error is a bug and shows its traceback (exit 1).
"""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer
from rich.table import Table

from .. import api
from ..errors import BmdcheckError, printable
from .app import (JSON_HELP, Atmos, EarthShape, Gravity, Shape, app, check_export_paths, earth_model, emit_json, err,
                  flag_error, out, parse_latlon)


@app.command()
def fly(
    missile: Optional[str] = typer.Option(None, "--missile", help="Catalogue missile name (see `bmdcheck missiles`)."),
    from_: Optional[str] = typer.Option(None, "--from", help="Launch (or burnout) point LAT,LON in degrees."),
    to: Optional[str] = typer.Option(None, "--to", help="Aim point LAT,LON in degrees."),
    shape: Shape = typer.Option(Shape.min_energy, "--shape", help="Trajectory shape."),
    apogee_km: Optional[float] = typer.Option(None, "--apogee-km", help="Requested apogee, km (lofted/depressed; "
                                              "default: the shape's own)."),
    burnout_speed: Optional[float] = typer.Option(None, "--burnout-speed", help="Burnout speed, m/s (Earth-relative)."),
    flight_path_angle: Optional[float] = typer.Option(None, "--flight-path-angle", help="Above the geodetic horizontal, deg."),
    azimuth: Optional[float] = typer.Option(None, "--azimuth", help="Clockwise from north, deg."),
    burnout_altitude: float = typer.Option(0.0, "--burnout-altitude", help="Burnout altitude, km."),
    ballistic_coefficient: Optional[float] = typer.Option(None, "--ballistic-coefficient", help="β = m/(Cd S), kg/m²."),
    duration: Optional[float] = typer.Option(None, "--duration", help="Stop after this many seconds."),
    sample_interval: Optional[float] = typer.Option(None, "--sample-interval", help="Add samples every S seconds."),
    earth: EarthShape = typer.Option(EarthShape.wgs84, "--earth", help="Earth shape."),
    gravity: Gravity = typer.Option(Gravity.j2, "--gravity", help="Gravity model: point mass or with J2."),
    rotation: bool = typer.Option(True, "--rotation/--no-rotation", help="Rotating Earth."),
    atmosphere: Atmos = typer.Option(Atmos.ussa76, "--atmosphere", help="Atmosphere (drag)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    czml: Optional[str] = typer.Option(None, "--czml", help="Also write the flight as CZML (1 s samples if none)."),
    kml: Optional[str] = typer.Option(None, "--kml", help="Also write the flight as KML."),
    geojson: Optional[str] = typer.Option(None, "--geojson", help="Also write the flight as GeoJSON."),
    epoch: Optional[str] = typer.Option(None, "--epoch", help="UTC time of launch for exports, ISO 8601 (default now)."),
):
    """Fly a missile to an aim point, or a body from a burnout state, and report the trajectory."""
    em = earth_model(earth, gravity, rotation, atmosphere)
    exports = check_export_paths(czml, kml, geojson, need_one=False)  # checked before flying
    if exports:
        epoch_utc = api.parse_epoch(epoch)
        sample_interval = sample_interval or 1.0
    if from_ is None:
        raise BmdcheckError("--from LAT,LON is required")
    start = parse_latlon(from_, "--from")
    burnout_mode = any(v is not None for v in (burnout_speed, flight_path_angle, azimuth))
    if burnout_mode:
        if missile is not None or to is not None:
            raise BmdcheckError("give either --missile/--to or a burnout state (--burnout-speed ...), not both")
        missing = [n for n, v in (("--burnout-speed", burnout_speed), ("--flight-path-angle", flight_path_angle),
                                  ("--azimuth", azimuth)) if v is None]
        if missing:
            raise BmdcheckError(f"burnout-state mode needs {', '.join(missing)}")
        traj = api.fly_burnout(burnout_speed, flight_path_angle, azimuth, start, burnout_altitude,
                           ballistic_coefficient_kgm2=ballistic_coefficient, duration_s=duration, earth=em,
                           sample_interval_s=sample_interval)
    else:
        if missile is None or to is None:
            raise BmdcheckError("give --missile NAME --from LAT,LON --to LAT,LON, or a burnout state")
        if ballistic_coefficient is not None or duration is not None:
            raise BmdcheckError("--ballistic-coefficient and --duration apply to burnout-state mode only")
        traj = api.fly(missile, start, parse_latlon(to, "--to"), shape.value, apogee_km=apogee_km, earth=em,
                           sample_interval_s=sample_interval)
    if exports:
        for p in api.write_scene(api.scene_from_trajectory(traj), czml=czml, kml=kml, geojson=geojson,
                                 epoch=epoch_utc):
            err.print(f"wrote {p}", highlight=False)
    if as_json:
        emit_json(traj.to_dict())
        return
    t = Table(title=f"{traj.missile or 'free body'} — {em}", show_header=False)
    if traj.escaped:
        t.add_row("escape", "no impact: unbound (at or above escape speed) and receding above the atmosphere")
    else:
        t.add_row("range", f"{traj.range_km:,.1f} km" + ("" if traj.status == "impact" else " (to the last point)"))
        t.add_row("flight time", f"{traj.flight_time_s:,.1f} s ({traj.flight_time_s / 60:.1f} min)")
    t.add_row("apogee", f"{traj.apogee_km:,.1f} km" + (" (so far)" if traj.status != "impact" else ""))
    t.add_row("burnout", f"t = {traj.burnout_time_s:.1f} s, {traj.burnout_speed_mps:,.0f} m/s, "
                         f"{traj.burnout_altitude_km:,.1f} km, γ = {traj.burnout_fpa_deg:.2f}°")
    if traj.status == "impact":
        t.add_row("impact", f"{traj.impact_lat:.4f}, {traj.impact_lon:.4f}")
    else:
        t.add_row("no impact", f"{traj.status}; last point {traj.impact_lat:.4f}, {traj.impact_lon:.4f}, "
                               f"{traj.end_alt_km:,.1f} km up at t = {traj.end_time_s:,.1f} s")
    if traj.steering:
        s = traj.steering
        t.add_row("steering", f"azimuth {s['azimuth_deg']:.3f}°, kick {s['kick_deg']:.3f}°, cut-off {s['t_cut_s']:.1f} s")
    if traj.samples is not None:
        t.add_row("samples", f"{len(traj.samples.t_s)} (use --json to print them)")
    out.print(t)


@app.command()
def missiles(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """List the missile catalogue: name, class, stages, maximum range, sources."""
    rows = api.catalogue_rows("missiles")
    if as_json:
        emit_json(rows)
        return
    t = Table(title="bmdcheck missile catalogue")
    for c in ("name", "class", "stages", "launch mass (t)", "burn (s)", "max range (km)"):
        t.add_column(c, no_wrap=c == "name")
    for r in rows:
        t.add_row(r["name"], r["class"], str(r["stages"]), f"{r['launch_mass_kg'] / 1e3:.1f}",
                  f"{r['burn_time_s']:.0f}", f"{r['max_range_km']:,.0f}")
    out.print(t)
    out.print("Sources for every parameter: `bmdcheck missiles --json` and docs/CATALOGUE.md")


bench_app = typer.Typer(context_settings={"help_option_names": ["-h", "--help"]}, help="Benchmarks: the fast path against the SciPy reference, in one run.")
app.add_typer(bench_app, name="bench")


@bench_app.command("flight")
def bench_flight(n: int = typer.Option(10_000, "--n", help="Trajectories for the batch engine."),
                 n_ref: int = typer.Option(12, "--n-ref", help="Trajectories for the SciPy reference."),
                 as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """Batch engine vs scipy solve_ivp (DOP853, rtol 1e-10) on full ICBM flights."""
    run = api.bench_flight

    if n < 1 or n_ref < 1:
        raise BmdcheckError("--n and --n-ref must be positive")
    res = run(n=n, n_ref=n_ref, progress=not as_json)
    if as_json:
        emit_json(res)
        return
    t = Table(title="bench flight: full ICBM trajectories (boost + drag, J2, rotation, to impact)")
    t.add_column("path")
    t.add_column("trajectories/s", justify="right")
    t.add_row(f"lock-step kernel (numba, {res['threads']} threads, n={res['n']})", f"{res['fast_per_s']:,.0f}")
    t.add_row(f"adaptive kernel (n={res['n_adaptive']})", f"{res['adaptive_per_s']:,.0f}")
    t.add_row(f"SciPy DOP853 rtol 1e-10 (n={res['n_ref']})", f"{res['reference_per_s']:,.2f}")
    out.print(t)
    out.print(f"lock-step / adaptive: {res['lockstep_vs_adaptive']:.1f}×   lock-step / SciPy: {res['ratio']:,.0f}×   "
              f"largest impact-point difference vs SciPy: {res['max_impact_diff_km'] * 1e3:.1f} m "
              f"(adaptive {res['adaptive_max_impact_diff_km'] * 1e3:.1f} m)")
    out.print(f"uptime: {res['uptime']}   peak RSS {res['peak_rss_mb']:,.0f} MB")
    out.print(f"{res['cores']} cores; numpy {res['versions']['numpy']}, numba {res['versions']['numba']}, "
              f"scipy {res['versions']['scipy']}")


@bench_app.command("steer")
def bench_steer_cmd(n: int = typer.Option(2_000, "--n", help="Trajectories to aim with the Newton fast path."),
                    n_ref: int = typer.Option(60, "--n-ref", help="Of them, aimed again with the reference solver."),
                    sampled: bool = typer.Option(False, "--sampled",
                                                 help="Then aim and fly all n with 1 s samples, in chunks."),
                    as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """Aimed trajectories: Newton steering (with fallback) vs the reference solver, in one run."""
    bench_steer = api.bench_steer

    if n < 1 or n_ref < 1:
        raise BmdcheckError("--n and --n-ref must be positive")
    res = bench_steer(n=n, n_ref=n_ref, sampled=sampled)
    if as_json:
        emit_json(res)
        return
    d = res["max_diff_vs_reference"]
    out.print(f"{res['n']:,} aimed {res['missile']} trajectories: {res['aimed_per_s']:,.0f}/s Newton (with fallback: "
              f"{res['fallback_used']} used) vs {res['reference_per_s']:,.1f}/s reference (ratio {res['ratio']:,.0f}×); "
              f"max miss {res['max_miss_km'] * 1e3:.1f} m; failed {res['failed']}; vs reference on {res['n_ref']}: "
              f"Δaz {d['azimuth_deg']:.1e}°, Δkick {d['kick_deg']:.1e}°, Δcut {d['t_cut_s']:.1e} s; "
              f"peak RSS {res['peak_rss_mb']:,.0f} MB")


@bench_app.command("table")
def bench_table_cmd(files: list[str] = typer.Argument(..., help="JSON outputs of `bmdcheck bench ... --json`.")):
    """The README's performance table (Markdown) from saved bench results."""
    from pathlib import Path

    markdown_table = api.bench_table

    docs = []
    for f in files:
        try:
            docs.append(json.loads(Path(f).read_text()))
        except (OSError, ValueError) as e:
            raise BmdcheckError(f"{f}: not a bench JSON file ({e.__class__.__name__})") from None
    try:
        text = markdown_table(docs)
    except (KeyError, TypeError) as e:
        raise BmdcheckError(f"a bench JSON file lacks a field ({e}); rerun that benchmark with --json") from None
    sys.stdout.write(text)


@bench_app.command("engage")
def bench_engage_cmd(n_traj: int = typer.Option(500, "--n-traj", help="Threat trajectories."),
                     n_sites: int = typer.Option(200, "--n-sites", help="Interceptor sites."),
                     n_ref: int = typer.Option(200, "--n-ref", help="Pairs solved again by the per-sample reference."),
                     as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """Engagement windows: compiled solver vs the per-sample reference, in one run."""
    bench_engage = api.bench_engage

    if min(n_traj, n_sites, n_ref) < 1:
        raise BmdcheckError("--n-traj, --n-sites and --n-ref must be positive")
    res = bench_engage(n_traj=n_traj, n_sites=n_sites, n_ref=n_ref)
    if as_json:
        emit_json(res)
        return
    out.print(f"{res['pairs']:,} (trajectory, site) pairs, {res['samples_per_trajectory']:.0f} samples each (1 s): "
              f"{res['fast_per_s']:,.0f} pairs/s compiled (first call {res['pairs'] / res['first_call_seconds']:,.0f}) "
              f"vs {res['reference_per_s']:,.1f} pairs/s reference "
              f"(ratio {res['ratio']:,.0f}×); verdicts agree on {100 * res['verdict_agreement']:.2f} % of "
              f"{res['n_ref']} pairs, window edges within {res['max_edge_diff_s']:.2f} s; "
              f"{100 * res['feasible_fraction']:.1f} % of pairs feasible")
    lam = res["models"]["lambert"]
    out.print(f"Lambert model: {lam['pairs']:,} pairs: {lam['fast_per_s']:,.0f} pairs/s vs {lam['reference_per_s']:,.2f} "
              f"pairs/s reference (ratio {lam['ratio']:,.0f}×); verdicts agree on {100 * lam['verdict_agreement']:.2f} % "
              f"of {lam['n_ref']} pairs, edges within {lam['max_edge_diff_s']:.2f} s; "
              f"{100 * lam['feasible_fraction']:.1f} % feasible. Peak RSS {res['peak_rss_mb']:,.0f} MB, load average "
              f"{res['load_average']}")


@bench_app.command("assess")
def bench_assess_cmd(n_cases: int = typer.Option(100, "--n-cases", help="Aimed threat cases."),
                     n_sites: int = typer.Option(10_000, "--n-sites", help="Interceptor sites."),
                     workers: int = typer.Option(2, "--dask-workers", help="0: no Dask run."),
                     shapes: str = typer.Option("min-energy", "--shapes", help="Comma-separated trajectory shapes."),
                     aimed_10k: bool = typer.Option(False, "--aimed-10k", help=(
                         "The README's size: 10,000 aimed trajectories (dispersal points × aim points × min-energy, "
                         "lofted, depressed) × 100 sites, local only (sets the other options).")),
                     as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """Assessment at scale: aimed threat cases × sites, locally and on a Dask LocalCluster."""
    bench_assess = api.bench_assess
    if aimed_10k:
        n_cases, n_sites, workers, shapes = 10_000, 100, 0, "min-energy,lofted,depressed"

    shape_list = tuple(x.strip() for x in shapes.split(",") if x.strip())
    if min(n_cases, n_sites) < 1 or workers < 0:
        raise BmdcheckError("--n-cases and --n-sites must be positive, --dask-workers >= 0")
    if not shape_list or any(x not in [s.value for s in Shape] for x in shape_list):
        raise BmdcheckError(f"--shapes must list min-energy, lofted or depressed, got {shapes!r}")
    res = bench_assess(n_cases=n_cases, n_sites=n_sites, dask_workers=workers, shapes=shape_list)
    if as_json:
        emit_json(res)
        return
    dsk = (f"Dask LocalCluster ×{res['dask_workers']}: {res['dask_seconds']:.1f} s (ratio {res['dask_ratio']:.2f}); "
           f"results hashes {'equal' if res['hashes_equal'] else 'DIFFER'} ({res['results_hash_local'][:16]}…)"
           if res["dask_seconds"] is not None else "no Dask run")
    out.print(f"{res['pairs']:,} pairs ({res['threat_cases']:,} aimed trajectories × {res['sites']:,} sites): local "
              f"{res['seconds']:.1f} s ({res['pairs_per_s']:,.0f} pairs/s, peak RSS {res['peak_rss_mb']:,.0f} MB); {dsk}")


@bench_app.command("stream")
def bench_stream_cmd(n: int = typer.Option(1_000_000, "--n", help="Flights."),
                     chunk: int = typer.Option(50_000, "--chunk", help="Flights per chunk."),
                     as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """Summary-only flights streamed in chunks: trajectories/s and peak memory."""
    bench_stream = api.bench_stream

    if n < 1 or chunk < 1:
        raise BmdcheckError("--n and --chunk must be positive")
    res = bench_stream(n=n, chunk=chunk)
    if as_json:
        emit_json(res)
        return
    out.print(f"{res['n']:,} summary-only ICBM flights in chunks of {res['chunk']:,}: {res['seconds']:.1f} s "
              f"({res['per_s']:,.0f}/s), peak RSS {res['peak_rss_mb']:,.0f} MB")


@app.command()
def demo():
    """The main job on embedded defaults: ICBM flights, the EPAA phase 4 comparison (2010 vs 2013
    plan) assessed end to end, guarantee checks and the offline report (results/demo)."""
    from ..demo import run_demo

    run_demo(out)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        sys.stdout.write(f"bmdcheck {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")):
    """Physics-based checks of what a missile defence can engage."""


from . import assess_cmd, engage_cmd, ledger_cmd, ledger_tlog_cmd, reconstruct_cmd, report_cmd  # noqa: E402,F401,I001
from . import serve_cmd, verify_cmd  # noqa: E402,F401,I001
# (each registers its commands on the app: engage, interceptors, sites, sensors; assess, compare;
#  ledger ...; reconstruct, reconstruct-intercept; report, export; serve (the control room); verify)


def _fail(e) -> None:
    """One line on stderr, exit code 2; characters from the input that could drive the terminal are escaped."""
    msg = printable(" ".join(str(e).split()))
    sys.stderr.write(f"error: {msg}\n")
    sys.exit(2)


def main(argv=None):
    """Console entry point: a BmdcheckError or a usage error is one line on stderr and exit 2;
    anything else is a bug and keeps its traceback (exit 1)."""
    try:
        rc = app(args=argv, standalone_mode=False)
    except BmdcheckError as e:
        _fail(flag_error(e))
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        err.print("aborted", markup=False)
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)
    except Exception as e:  # usage errors of the command-line parser (typer vendors its own click)
        if hasattr(e, "format_message") and hasattr(e, "exit_code"):
            _fail(e.format_message())  # bad option value, missing argument, unknown option: one line, exit 2
        if isinstance(e, OSError) and e.strerror:  # a path the system refuses (name too long, I/O error, ...)
            name = str(e.filename or "")
            _fail(f"{e.strerror}: {name[:120] + '…' if len(name) > 120 else name}".rstrip(": "))
        raise
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":
    main()
