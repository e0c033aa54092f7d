"""The ``bmdcheck`` command line: a thin layer over the public API.

Every bad input ends in one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import math
import sys
from enum import Enum
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from ..errors import BmdcheckError, printable

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Physics-based checks of what a missile defence can engage.")
out = Console(width=None if Console().is_terminal else 140)
err = Console(stderr=True)


class Shape(str, Enum):
    min_energy = "min-energy"
    lofted = "lofted"
    depressed = "depressed"


class EarthShape(str, Enum):
    wgs84 = "wgs84"
    spherical = "spherical"


class Gravity(str, Enum):
    point = "point"
    j2 = "j2"


class Atmos(str, Enum):
    ussa76 = "ussa76"
    none = "none"


def parse_latlon(text: str, what: str, allow_alt: bool = False):
    """Parse 'LAT,LON' (or 'LAT,LON,ALT_KM') into floats, with a clear error."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) not in ((2, 3) if allow_alt else (2,)):
        raise BmdcheckError(f"{what} must be LAT,LON{'[,ALT_KM]' if allow_alt else ''} in degrees, got {text!r}")
    try:
        vals = [float(p) for p in parts]
    except ValueError:
        raise BmdcheckError(f"{what} must be numbers LAT,LON in degrees, got {text!r}") from None
    if not all(math.isfinite(v) for v in vals):
        raise BmdcheckError(f"{what} must be finite numbers, got {text!r}")
    if abs(vals[0]) > 90:
        raise BmdcheckError(f"{what}: latitude must be within [-90, 90] degrees, got {vals[0]:g}")
    if abs(vals[1]) > 360:
        raise BmdcheckError(f"{what}: longitude must be within [-180, 360] degrees, got {vals[1]:g}")
    return tuple(vals)


def safe(text) -> str:
    """Text from input files, safe to print with rich: no markup, no terminal control codes."""
    from rich.markup import escape

    return escape(printable(text))


def _emit_json(doc) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, allow_nan=False, default=float) + "\n")


def _earth(earth: EarthShape, gravity: Gravity, rotation: bool, atmosphere: Atmos):
    from ..earth.model import EarthModel

    return EarthModel(earth.value, gravity.value, rotation, atmosphere.value)


@app.command()
def fly(
    missile: Optional[str] = typer.Option(None, "--missile", help="Catalogue missile name (see `bmdcheck missiles`)."),
    from_: Optional[str] = typer.Option(None, "--from", help="Launch (or burnout) point LAT,LON in degrees."),
    to: Optional[str] = typer.Option(None, "--to", help="Aim point LAT,LON in degrees."),
    shape: Shape = typer.Option(Shape.min_energy, "--shape", help="Trajectory shape."),
    apogee_km: Optional[float] = typer.Option(None, "--apogee-km", help="Requested apogee (lofted/depressed)."),
    burnout_speed: Optional[float] = typer.Option(None, "--burnout-speed", help="Burnout speed, m/s (Earth-relative)."),
    flight_path_angle: Optional[float] = typer.Option(None, "--flight-path-angle", help="Above the geodetic horizontal, deg."),
    azimuth: Optional[float] = typer.Option(None, "--azimuth", help="Clockwise from north, deg."),
    burnout_altitude: float = typer.Option(0.0, "--burnout-altitude", help="Burnout altitude, km."),
    ballistic_coefficient: Optional[float] = typer.Option(None, "--ballistic-coefficient", help="β = m/(Cd S), kg/m²."),
    duration: Optional[float] = typer.Option(None, "--duration", help="Stop after this many seconds."),
    sample_interval: Optional[float] = typer.Option(None, "--sample-interval", help="Add samples every S seconds."),
    earth: EarthShape = typer.Option(EarthShape.wgs84, "--earth"),
    gravity: Gravity = typer.Option(Gravity.j2, "--gravity"),
    rotation: bool = typer.Option(True, "--rotation/--no-rotation"),
    atmosphere: Atmos = typer.Option(Atmos.ussa76, "--atmosphere"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    czml: Optional[str] = typer.Option(None, "--czml", help="Also write the flight as CZML (1 s samples if none)."),
    kml: Optional[str] = typer.Option(None, "--kml", help="Also write the flight as KML."),
    geojson: Optional[str] = typer.Option(None, "--geojson", help="Also write the flight as GeoJSON."),
    epoch: Optional[str] = typer.Option(None, "--epoch", help="UTC time of launch for exports, ISO 8601 (default now)."),
):
    """Fly a missile to an aim point, or a body from a burnout state, and report the trajectory."""
    from ..flight.trajectory import fly as fly_missile
    from ..flight.trajectory import fly_burnout

    em = _earth(earth, gravity, rotation, atmosphere)
    from .report_cmd import check_export_paths

    exports = check_export_paths(czml, kml, geojson, need_one=False)  # checked before flying
    if exports:
        from ..export import parse_epoch

        epoch_utc = parse_epoch(epoch)
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
        traj = fly_burnout(burnout_speed, flight_path_angle, azimuth, start, burnout_altitude,
                           ballistic_coefficient_kgm2=ballistic_coefficient, duration_s=duration, earth=em,
                           sample_interval_s=sample_interval)
    else:
        if missile is None or to is None:
            raise BmdcheckError("give --missile NAME --from LAT,LON --to LAT,LON, or a burnout state")
        if ballistic_coefficient is not None or duration is not None:
            raise BmdcheckError("--ballistic-coefficient and --duration apply to burnout-state mode only")
        traj = fly_missile(missile, start, parse_latlon(to, "--to"), shape.value, apogee_km=apogee_km, earth=em,
                           sample_interval_s=sample_interval)
    if exports:
        from .report_cmd import export_flight

        export_flight(traj, czml, kml, geojson, epoch_utc)
    if as_json:
        _emit_json(traj.to_dict())
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
def missiles(as_json: bool = typer.Option(False, "--json")):
    """List the missile catalogue: name, class, stages, maximum range, sources."""
    from ..flight.missile import catalogue
    from ..flight.performance import max_range_km

    rows = []
    for m in catalogue().values():
        rows.append({"name": m.name, "class": m.cls, "stages": len(m.stages),
                     "max_range_km": round(max_range_km(m), 1), "launch_mass_kg": round(m.launch_mass_kg, 1),
                     "burn_time_s": round(m.burn_end_s, 1), "summary": m.summary,
                     "sources": sorted(set(m.sources.values()))})
    if as_json:
        _emit_json(rows)
        return
    t = Table(title="bmdcheck missile catalogue")
    for c in ("name", "class", "stages", "launch mass (t)", "burn (s)", "max range (km)"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["name"], r["class"], str(r["stages"]), f"{r['launch_mass_kg'] / 1e3:.1f}",
                  f"{r['burn_time_s']:.0f}", f"{r['max_range_km']:,.0f}")
    out.print(t)
    out.print("Sources for every parameter: `bmdcheck missiles --json` and docs/CATALOGUE.md")


bench_app = typer.Typer(help="Benchmarks: the fast path against the SciPy reference, in one run.")
app.add_typer(bench_app, name="bench")


@bench_app.command("flight")
def bench_flight(n: int = typer.Option(10_000, "--n", help="Trajectories for the batch engine."),
                 n_ref: int = typer.Option(12, "--n-ref", help="Trajectories for the SciPy reference."),
                 as_json: bool = typer.Option(False, "--json")):
    """Batch engine vs scipy solve_ivp (DOP853, rtol 1e-10) on full ICBM flights."""
    from ..bench import bench_flight as run

    if n < 1 or n_ref < 1:
        raise BmdcheckError("--n and --n-ref must be positive")
    res = run(n=n, n_ref=n_ref, progress=not as_json)
    if as_json:
        _emit_json(res)
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
                    n_ref: int = typer.Option(24, "--n-ref", help="Of them, aimed again with the reference solver."),
                    sampled: bool = typer.Option(False, "--sampled",
                                                 help="Then aim and fly all n with 1 s samples, in chunks."),
                    as_json: bool = typer.Option(False, "--json")):
    """Aimed trajectories: Newton steering (with fallback) vs the reference solver, in one run."""
    from ..bench import bench_steer

    if n < 1 or n_ref < 1:
        raise BmdcheckError("--n and --n-ref must be positive")
    res = bench_steer(n=n, n_ref=n_ref, sampled=sampled)
    if as_json:
        _emit_json(res)
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

    from ..bench import markdown_table

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
def bench_engage_cmd(n_traj: int = typer.Option(500, "--n-traj"), n_sites: int = typer.Option(200, "--n-sites"),
                     n_ref: int = typer.Option(200, "--n-ref"), as_json: bool = typer.Option(False, "--json")):
    """Engagement windows: compiled solver vs the per-sample reference, in one run."""
    from ..bench import bench_engage

    if min(n_traj, n_sites, n_ref) < 1:
        raise BmdcheckError("--n-traj, --n-sites and --n-ref must be positive")
    res = bench_engage(n_traj=n_traj, n_sites=n_sites, n_ref=n_ref)
    if as_json:
        _emit_json(res)
        return
    out.print(f"{res['pairs']:,} (trajectory, site) pairs, {res['samples_per_trajectory']:.0f} samples each (1 s): "
              f"{res['fast_per_s']:,.0f} pairs/s compiled vs {res['reference_per_s']:,.1f} pairs/s reference "
              f"(ratio {res['ratio']:,.0f}×); verdicts agree on {100 * res['verdict_agreement']:.2f} % of "
              f"{res['n_ref']} pairs, window edges within {res['max_edge_diff_s']:.2f} s; "
              f"{100 * res['feasible_fraction']:.1f} % of pairs feasible")


@bench_app.command("assess")
def bench_assess_cmd(n_cases: int = typer.Option(100, "--n-cases"), n_sites: int = typer.Option(10_000, "--n-sites"),
                     workers: int = typer.Option(2, "--dask-workers", help="0: no Dask run."),
                     shapes: str = typer.Option("min-energy", "--shapes", help="Comma-separated trajectory shapes."),
                     as_json: bool = typer.Option(False, "--json")):
    """Assessment at scale: aimed threat cases × sites, locally and on a Dask LocalCluster."""
    from ..bench import bench_assess

    shape_list = tuple(x.strip() for x in shapes.split(",") if x.strip())
    if min(n_cases, n_sites) < 1 or workers < 0:
        raise BmdcheckError("--n-cases and --n-sites must be positive, --dask-workers >= 0")
    if not shape_list or any(x not in [s.value for s in Shape] for x in shape_list):
        raise BmdcheckError(f"--shapes must list min-energy, lofted or depressed, got {shapes!r}")
    res = bench_assess(n_cases=n_cases, n_sites=n_sites, dask_workers=workers, shapes=shape_list)
    if as_json:
        _emit_json(res)
        return
    dsk = (f"Dask LocalCluster ×{res['dask_workers']}: {res['dask_seconds']:.1f} s (ratio {res['dask_ratio']:.2f}); "
           f"results hashes {'equal' if res['hashes_equal'] else 'DIFFER'} ({res['results_hash_local'][:16]}…)"
           if res["dask_seconds"] is not None else "no Dask run")
    out.print(f"{res['pairs']:,} pairs ({res['threat_cases']:,} aimed trajectories × {res['sites']:,} sites): local "
              f"{res['seconds']:.1f} s ({res['pairs_per_s']:,.0f} pairs/s, peak RSS {res['peak_rss_mb']:,.0f} MB); {dsk}")


@bench_app.command("stream")
def bench_stream_cmd(n: int = typer.Option(1_000_000, "--n"), chunk: int = typer.Option(50_000, "--chunk"),
                     as_json: bool = typer.Option(False, "--json")):
    """Summary-only flights streamed in chunks: trajectories/s and peak memory."""
    from ..bench import bench_stream

    if n < 1 or chunk < 1:
        raise BmdcheckError("--n and --chunk must be positive")
    res = bench_stream(n=n, chunk=chunk)
    if as_json:
        _emit_json(res)
        return
    out.print(f"{res['n']:,} summary-only ICBM flights in chunks of {res['chunk']:,}: {res['seconds']:.1f} s "
              f"({res['per_s']:,.0f}/s), peak RSS {res['peak_rss_mb']:,.0f} MB")


@app.command()
def demo():
    """The main job on embedded defaults (flight table until the assessment engine lands)."""
    from ..demo import run_demo

    run_demo(out)


from . import engage_cmd  # noqa: E402,F401  (registers engage, interceptors, sites, sensors)
from . import ledger_cmd  # noqa: E402,F401  (registers ledger)
from . import assess_cmd  # noqa: E402,F401  (registers assess, compare)
from . import verify_cmd  # noqa: E402,F401
from . import reconstruct_cmd  # noqa: E402,F401  (registers reconstruct, reconstruct-intercept)
from . import report_cmd  # noqa: E402,F401  (registers report, export)


def _fail(e) -> None:
    """One line on stderr, exit code 2; characters from the input that could drive the terminal are escaped."""
    msg = printable(" ".join(str(e).split()))
    sys.stderr.write(f"error: {msg}\n")
    sys.exit(2)


def main(argv=None):
    """Console entry point: map BmdcheckError (and other bad input) to one line and exit 2."""
    try:
        rc = app(args=argv, standalone_mode=False)
    except BmdcheckError as e:
        _fail(e)
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
        if isinstance(e, (ValueError, FileNotFoundError)):
            _fail(e)
        if isinstance(e, OSError) and e.strerror:  # a path the system refuses (name too long, I/O error, ...)
            name = str(e.filename or "")
            _fail(f"{e.strerror}: {name[:120] + '…' if len(name) > 120 else name}".rstrip(": "))
        raise
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":
    main()
