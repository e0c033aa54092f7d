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
           out_dir: Optional[str] = typer.Option(None, "--out", help="Report directory (default RESULTS/_report: "
                                                 "a name pandas and Arrow skip)."),
           pair: Optional[List[str]] = typer.Option(None, "--pair", help="Pair CASE:SITE[:INTERCEPTOR] to diagram "
                                                    "(repeatable; default: a few chosen)."),
           rules: Optional[List[str]] = typer.Option(None, "--rules", help="Guarantee rules file or shipped name "
                                                     "to check and show (repeatable)."),
           footprint_alt: Optional[List[float]] = typer.Option(None, "--footprint-alt", help="Target altitude, km, "
                                                               "of the map's reach footprints (repeatable; default "
                                                               "100 and 300)."),
           quiet: bool = typer.Option(False, "--quiet", help="No progress bar.")):
    """Write a self-contained offline report: scenario, provenance, map, engagement diagrams, verdicts."""
    from ..guarantee import load_rules
    from ..report import load_results, write_report
    from ..report.html import check_out_dir

    # every input checked before the progress bar starts: bad input is one line, nothing written
    a = load_results(results)
    b = load_results(results_b) if results_b is not None else None
    for p in pair or ():
        a.row_for(p)
    check_out_dir(out_dir if out_dir is not None else a.path / "_report")
    for r in rules or ():
        load_rules(r)
    for h in footprint_alt or ():
        if not (0 < h < 10_000):
            raise BmdcheckError(f"--footprint-alt must be between 0 and 10,000 km, got {h:g}")
    prog = _progress(quiet)
    if prog is None:
        path = write_report(a, b, out_dir, pairs=pair or None, rules=tuple(rules or ()),
                            footprint_alt_km=footprint_alt)
    else:
        with prog:
            task = prog.add_task("report", total=None)
            path = write_report(a, b, out_dir, pairs=pair or None, rules=tuple(rules or ()),
                                footprint_alt_km=footprint_alt,
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
    parse_epoch(epoch)  # a bad --epoch fails before any work
    if paths < 0:
        raise BmdcheckError("--interceptor-paths must be >= 0")
    rs = load_results(results)
    ep = parse_epoch(epoch if epoch is not None else getattr(rs.scenario, "epoch", None))  # the scenario's, or now
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


def export_engagement(threats, label, site, spec, record, timeline, czml, kml, geojson, epoch,
                      threat_props=None) -> None:
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
    tr = Track("threat-0", label, "threat", t, lat, lon, alt, r, 0.0, dict(threat_props or {}))
    scene = scene_from_engagement(tr, site, spec, record, timeline)
    for p in write_scene(scene, czml=czml, kml=kml, geojson=geojson, epoch=epoch):
        err.print(f"wrote {p}", highlight=False)
