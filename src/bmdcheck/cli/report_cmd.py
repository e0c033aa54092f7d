"""`bmdcheck report` and `bmdcheck export`: pictures and files for other tools (docs/REPORTS.md)."""

from __future__ import annotations

from typing import List, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..errors import BmdcheckError
from .main import app, err, out


def _progress(quiet: bool):
    if quiet:
        return None
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=False)


def check_export_paths(czml, kml, geojson, need_one: bool = True):
    """The export options given; one-line errors for none (when needed) or a missing directory."""
    from pathlib import Path

    given = [(f, p) for f, p in (("czml", czml), ("kml", kml), ("geojson", geojson)) if p is not None]
    if need_one and not given:
        raise BmdcheckError("give at least one of --czml FILE, --kml FILE, --geojson FILE")
    for f, p in given:
        q = Path(p)
        if q.is_dir():
            raise BmdcheckError(f"--{f} {p}: is a directory, give a file name")
        if not q.parent.is_dir():
            raise BmdcheckError(f"--{f} {p}: directory {q.parent} does not exist")
    return given


@app.command()
def report(results: str = typer.Argument(..., help="Results directory (bmdcheck assess --out)."),
           results_b: Optional[str] = typer.Argument(None, help="Second results directory to compare with."),
           out_dir: Optional[str] = typer.Option(None, "--out", help="Report directory (default RESULTS/report)."),
           pair: Optional[List[str]] = typer.Option(None, "--pair", help="Pair CASE:SITE[:INTERCEPTOR] to diagram "
                                                    "(repeatable; default: a few chosen)."),
           rules: Optional[List[str]] = typer.Option(None, "--rules", help="Guarantee rules file or shipped name "
                                                     "to check and show (repeatable)."),
           quiet: bool = typer.Option(False, "--quiet", help="No progress bar.")):
    """Write a self-contained offline report: scenario, provenance, map, engagement diagrams, verdicts."""
    from ..report import write_report

    prog = _progress(quiet)
    if prog is None:
        path = write_report(results, results_b, out_dir, pairs=pair or None, rules=tuple(rules or ()))
    else:
        with prog:
            task = prog.add_task("report", total=None)
            path = write_report(results, results_b, out_dir, pairs=pair or None, rules=tuple(rules or ()),
                                progress=lambda d, t, w: prog.update(task, completed=d, total=t, description=w))
    out.print(f"report: {path}", highlight=False)


@app.command()
def export(results: str = typer.Argument(..., help="Results directory (bmdcheck assess --out)."),
           czml: Optional[str] = typer.Option(None, "--czml", help="Write CZML (Cesium) to FILE."),
           kml: Optional[str] = typer.Option(None, "--kml", help="Write KML (Google Earth) to FILE."),
           geojson: Optional[str] = typer.Option(None, "--geojson", help="Write GeoJSON (QGIS, GeoPandas) to FILE."),
           epoch: Optional[str] = typer.Option(None, "--epoch", help="UTC time of t = 0, ISO 8601 (default: now)."),
           paths: int = typer.Option(10, "--interceptor-paths", help="Fly-out paths to include (earliest first)."),
           quiet: bool = typer.Option(False, "--quiet", help="No progress bar.")):
    """Export trajectories, sites, radar coverage and intercept points to CZML / KML / GeoJSON."""
    from ..export import parse_epoch, scene_from_results, write_scene
    from ..report.data import load_results

    check_export_paths(czml, kml, geojson)
    ep = parse_epoch(epoch)
    if paths < 0:
        raise BmdcheckError("--interceptor-paths must be >= 0")
    rs = load_results(results)
    prog = _progress(quiet)
    if prog is None:
        scene = scene_from_results(rs, interceptor_paths=paths)
    else:
        with prog:
            task = prog.add_task("fly-out paths", total=None)
            scene = scene_from_results(rs, interceptor_paths=paths,
                                       progress=lambda d, t: prog.update(task, completed=d, total=t))
    for p in write_scene(scene, czml=czml, kml=kml, geojson=geojson, epoch=ep):
        out.print(f"wrote {p}", highlight=False)


def export_flight(traj, czml, kml, geojson, epoch) -> None:
    """`bmdcheck fly --czml/--kml/--geojson`: write the flight (needs samples)."""
    from ..export import scene_from_trajectory, write_scene

    if not check_export_paths(czml, kml, geojson, need_one=False):
        return
    for p in write_scene(scene_from_trajectory(traj), czml=czml, kml=kml, geojson=geojson, epoch=epoch):
        err.print(f"wrote {p}", highlight=False)


def export_engagement(threats, label, site, spec, record, timeline, czml, kml, geojson, epoch) -> None:
    """`bmdcheck engage --czml/--kml/--geojson`: threat, site, radar coverage, intercept, fly-out."""
    from ..earth.frames import ecef_to_geodetic, eci_to_ecef
    from ..export import scene_from_engagement, write_scene
    from ..report.data import Track

    if not check_export_paths(czml, kml, geojson, need_one=False):
        return
    k = int(threats.n_samples[0])
    t = threats.t_s[0, :k]
    r = eci_to_ecef(threats.r_eci_m[0, :k], t, threats.earth)
    lat, lon, alt = ecef_to_geodetic(r, threats.earth)
    tr = Track("threat-0", label, "threat", t, lat, lon, alt, r, 0.0, {})
    scene = scene_from_engagement(tr, site, spec, record, timeline)
    for p in write_scene(scene, czml=czml, kml=kml, geojson=geojson, epoch=epoch):
        err.print(f"wrote {p}", highlight=False)
