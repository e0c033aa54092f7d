"""`bmdcheck report` and `bmdcheck export`: pictures and files for other tools (docs/REPORTS.md)."""

from __future__ import annotations

from typing import List, Optional

import typer

from .. import api
from ..errors import BmdcheckError
from .app import app, check_export_paths, out, progress_bar


def _progress(quiet: bool):
    return None if quiet else progress_bar()


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
    load_rules, load_results, write_report, check_out_dir = (api.load_rules, api.load_results, api.write_report,
                                                             api.check_report_dir)

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
    parse_epoch, scene_from_results, write_scene, load_results = (api.parse_epoch, api.scene_from_results,
                                                                  api.write_scene, api.load_results)

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
