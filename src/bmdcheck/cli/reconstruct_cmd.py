"""`bmdcheck reconstruct` and `bmdcheck reconstruct-intercept`: from observed tests to capability.

Fields and conventions: docs/CONVENTIONS.md ("reconstruct"); method: docs/validation/reconstruct.md.
"""

from __future__ import annotations

from typing import List, Optional

import typer
from rich.table import Table

from ..errors import BmdcheckError
from .main import _emit_json, app, out, parse_latlon


def _km(x) -> str:
    return "—" if x is None else f"{x:,.0f} km"


def _span(u, unit="", fmt=",.0f") -> str:
    return "" if not u else f"  [{u[0]:{fmt}}–{u[1]:{fmt}}{unit}]"


@app.command()
def reconstruct(
    apogee_km: str = typer.Option(..., "--apogee-km", help="Observed apogee altitude, km, e.g. 4475 or 4475±50."),
    range_km: str = typer.Option(..., "--range-km", help="Observed ground range, km, e.g. 950±20."),
    flight_time_s: Optional[str] = typer.Option(None, "--flight-time-s", help="Observed flight time, s (checked)."),
    from_: Optional[str] = typer.Option(None, "--from", help="Launch point LAT,LON (selects the full model)."),
    azimuth: Optional[float] = typer.Option(None, "--azimuth", help="Direction of the test, deg from north."),
    burnout_altitude_km: Optional[str] = typer.Option(
        None, "--burnout-altitude-km", help="Burnout altitude, km (default 0 vacuum-only, 200 with --from)."),
    boost_time_s: Optional[float] = typer.Option(None, "--boost-time-s", help="Powered-flight time, s (default "
                                                 "0 in flight_time_s; 0-400 s in the flight-time check)."),
    aim: Optional[List[str]] = typer.Option(None, "--aim", help="NAME=LAT,LON: standard range toward it "
                                            "(rotating Earth); repeatable."),
    ballistic_coefficient: float = typer.Option(12_000.0, "--ballistic-coefficient",
                                                help="Re-entry body β = m/(Cd S), kg/m² (full model)."),
    fit_missile: bool = typer.Option(False, "--fit-missile", help="Also fit a catalogue-style missile and write it."),
    template: str = typer.Option("minuteman-iii", "--template", help="Catalogue missile whose stages are fitted."),
    out_path: Optional[str] = typer.Option(None, "--out", help="Where --fit-missile writes its TOML "
                                           "(default: NAME.toml in the current directory)."),
    name: Optional[str] = typer.Option(None, "--name", help="Name of the fitted missile."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
):
    """Infer the burnout state of an observed test and its range on a standard trajectory."""
    from ..reconstruct.core import parse_aim
    from ..reconstruct.core import reconstruct as run

    launch = None if from_ is None else parse_latlon(from_, "--from")
    aims = [parse_aim(a) for a in (aim or [])]
    doc = run(apogee_km, range_km, flight_time_s=flight_time_s, launch=launch, azimuth_deg=azimuth,
              burnout_altitude_km=burnout_altitude_km, boost_time_s=boost_time_s, aims=aims,
              ballistic_coefficient_kgm2=ballistic_coefficient)
    if fit_missile:
        from ..reconstruct.fit import fit_and_write

        doc["fitted_missile"] = fit_and_write(doc, template=template, name=name, out_path=out_path)
    if as_json:
        _emit_json(doc)
        return
    u = doc["uncertainty"]
    t = Table(title=f"reconstruction ({doc['model']} model)", show_header=False)
    t.add_row("burnout", f"{doc['burnout_speed_mps']:,.0f} m/s at {doc['burnout_angle_deg']:.2f}° "
                         f"({doc['burnout_altitude_km']:g} km, {doc['branch']})"
                         + _span(u["burnout_speed_mps"], " m/s"))
    t.add_row("flight time", f"{doc['flight_time_s']:,.0f} s (free flight {doc['free_flight_time_s']:,.0f} s)"
              + _span(u["flight_time_s"], " s"))
    t.add_row("standard range (vacuum)", _km(doc["standard_range_km"]) + _span(u["standard_range_km"], " km"))
    if doc.get("full_model"):
        t.add_row("standard range (model, non-rotating)", _km(doc["full_model"]["standard_range_nonrotating_km"]))
        for k, v in doc["standard_range_rotating_km"].items():
            t.add_row(f"standard range (rotating, {k})", _km(v) + _span(u["standard_range_rotating_km"][k], " km"))
    chk = doc.get("flight_time_check")
    if chk:
        t.add_row("flight-time check", f"consistent: observed {chk['observed_s']:,.0f} s, implied "
                                       f"{chk['implied_min_s']:,.0f}–{chk['implied_max_s']:,.0f} s")
    fm = doc.get("fitted_missile")
    if fm:
        t.add_row("fitted missile", f"{fm['name']} → {fm['path']} (payload {fm['payload_kg']:,.0f} kg, "
                                    f"max range {fm['max_range_km']:,.0f} km)")
    out.print(t)


_ = BmdcheckError
