"""`bmdcheck reconstruct` and `bmdcheck reconstruct-intercept`: from observed tests to capability.

Fields and conventions: docs/CONVENTIONS.md ("reconstruct"); method: docs/validation/reconstruct.md.
"""

from __future__ import annotations

from typing import List, Optional

import typer
from rich.table import Table

from .. import api
from ..errors import BmdcheckError
from .app import JSON_HELP, app, emit_json, flag_error, out, parse_aim, parse_latlon


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
    force: bool = typer.Option(False, "--force", help="Let --fit-missile replace an existing --out file."),
    fit_vary: str = typer.Option("payload", "--fit-vary", help="Fitted mass: payload (100-5,000 kg) or stages "
                                 "(every stage's masses x 0.5-2)."),
    payload_kg: Optional[float] = typer.Option(None, "--payload-kg", help="Payload with --fit-vary stages, kg."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
):
    """Infer the burnout state of an observed test and its range on a standard trajectory."""
    run = api.reconstruct_burnout

    if (from_ is None) != (azimuth is None):
        raise BmdcheckError("the full model needs both --from LAT,LON and --azimuth DEG (or neither)")
    if aim and from_ is None:
        raise BmdcheckError("--aim needs --from LAT,LON and --azimuth DEG (rotating-Earth ranges)")
    launch = None if from_ is None else parse_latlon(from_, "--from")
    aims = [parse_aim(a) for a in (aim or [])]
    doc = run(apogee_km, range_km, flight_time_s=flight_time_s, launch=launch, azimuth_deg=azimuth,
              burnout_altitude_km=burnout_altitude_km, boost_time_s=boost_time_s, aims=aims,
              ballistic_coefficient_kgm2=ballistic_coefficient)
    if fit_missile:
        doc["fitted_missile"] = api.fit_missile(doc, template=template, name=name, out_path=out_path, vary=fit_vary,
                                              payload_kg=payload_kg, overwrite=force)
    elif payload_kg is not None or fit_vary != "payload":
        raise BmdcheckError("--fit-vary and --payload-kg apply to --fit-missile")
    if as_json:
        emit_json(doc)
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
        for k, v in doc["standard_range_rotating_by_direction_km"].items():
            t.add_row(f"standard range (rotating, {k})",
                      _km(v) + _span(u["standard_range_rotating_by_direction_km"][k], " km"))
    chk = doc.get("flight_time_check")
    if chk:
        t.add_row("flight-time check", f"consistent: observed {chk['observed_s']:,.0f} s, implied "
                                       f"{chk['implied_min_s']:,.0f}–{chk['implied_max_s']:,.0f} s")
    fm = doc.get("fitted_missile")
    if fm:
        mr = "none" if fm["max_range_km"] is None else f"{fm['max_range_km']:,.0f} km"
        t.add_row("fitted missile", f"{fm['name']} → {fm['path']} (payload {fm['payload_kg']:,.0f} kg, stage scale "
                                    f"{fm['stage_scale']:.3f}, max range {mr})")
    out.print(t)



@app.command("reconstruct-intercept")
def reconstruct_intercept_cmd(
    site: str = typer.Option(..., "--site", help="Interceptor launch site LAT,LON[,ALT_KM]."),
    intercept: Optional[str] = typer.Option(None, "--intercept", help="Intercept point LAT,LON,ALT_KM."),
    target_missile: Optional[str] = typer.Option(None, "--target-missile", help="Target: catalogue missile (or TOML)."),
    target_file: Optional[str] = typer.Option(None, "--target-file", help="Target samples: CSV t_s,x_eci_m,y_eci_m,"
                                              "z_eci_m or CCSDS OEM (as engage --threat-file)."),
    target_from: Optional[str] = typer.Option(None, "--target-from", help="Target launch point LAT,LON."),
    target_to: Optional[str] = typer.Option(None, "--target-to", help="Target aim point LAT,LON."),
    target_shape: str = typer.Option("min-energy", "--target-shape", help="min-energy | lofted | depressed."),
    target_apogee_km: Optional[float] = typer.Option(None, "--target-apogee-km", help="Target apogee (lofted/depressed)."),
    target_launch_time_s: float = typer.Option(0.0, "--target-launch-time-s", help="Target launch time, s."),
    intercept_alt_km: Optional[float] = typer.Option(None, "--intercept-alt-km", help="Intercept altitude on the target."),
    branch: str = typer.Option("descending", "--branch", help="Target branch of the crossing: descending | ascending."),
    launch_time_s: Optional[float] = typer.Option(None, "--launch-time-s", help="Interceptor launch time, s."),
    intercept_time_s: Optional[float] = typer.Option(None, "--intercept-time-s", help="Intercept time, s."),
    time_of_flight_s: Optional[float] = typer.Option(None, "--time-of-flight-s", help="Interceptor launch to intercept, s."),
    burn_time_s: float = typer.Option(0.0, "--burn-time-s", help="Interceptor burn time, s (Lambert arc starts then)."),
    flyout: bool = typer.Option(False, "--flyout", help="Also bound the speed with fly-out tables (slower)."),
    declared_speed_mps: Optional[float] = typer.Option(None, "--declared-speed-mps",
                                                       help="Compare with a declared burnout speed."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
):
    """Lowest interceptor burnout speed consistent with an announced intercept test."""
    reconstruct_intercept = api.reconstruct_intercept

    s = parse_latlon(site, "--site", allow_alt=True)
    point = None
    if intercept is not None:
        point = parse_latlon(intercept, "--intercept", allow_alt=True)
        if len(point) != 3:
            raise BmdcheckError("--intercept must be LAT,LON,ALT_KM")
    target = None
    if branch not in ("descending", "ascending"):
        raise BmdcheckError(f"--branch must be descending or ascending, got {branch!r}")
    if target_file is not None:
        if target_missile is not None or target_from is not None or target_to is not None:
            raise BmdcheckError("give --target-file or --target-missile/--target-from/--target-to, not both")
        if intercept_alt_km is None:
            raise BmdcheckError("a target file needs --intercept-alt-km")
        th = api.read_threat_file(target_file)
        n = int(th.n_samples[0])
        target = {"t_s": th.t_s[0, :n], "r_eci_m": th.r_eci_m[0, :n], "alt_km": intercept_alt_km, "branch": branch,
                  "launch_time_s": target_launch_time_s, "file": target_file}
    elif target_missile is not None or intercept_alt_km is not None:
        missing = [n for n, v in (("--target-missile", target_missile), ("--target-from", target_from),
                                  ("--target-to", target_to), ("--intercept-alt-km", intercept_alt_km)) if v is None]
        if missing:
            raise BmdcheckError(f"a target trajectory needs {', '.join(missing)}")
        if target_shape not in ("min-energy", "lofted", "depressed"):
            raise BmdcheckError(f"--target-shape must be min-energy, lofted or depressed, got {target_shape!r}")
        target = {"missile": target_missile, "launch": parse_latlon(target_from, "--target-from"),
                  "aim": parse_latlon(target_to, "--target-to"), "alt_km": intercept_alt_km, "shape": target_shape,
                  "branch": branch, "apogee_km": target_apogee_km, "launch_time_s": target_launch_time_s}
    try:
        doc = reconstruct_intercept(s, point=point, target=target, intercept_time_s=intercept_time_s,
                                    launch_time_s=launch_time_s, time_of_flight_s=time_of_flight_s,
                                    burn_time_s=burn_time_s, flyout=flyout)
    except BmdcheckError as e:  # this command's spellings of the parameters
        raise flag_error(e, {"burn_time_s": "--burn-time-s", "point": "--intercept", "site": "--site"}) from None
    if declared_speed_mps is not None:
        doc["declared_speed_mps"] = declared_speed_mps
        doc["declared_speed_consistent"] = bool(declared_speed_mps >= doc["burnout_speed_min_mps"])
    if as_json:
        emit_json(doc)
        return
    t = Table(title="interceptor test reconstruction", show_header=False)
    i = doc["intercept"]
    t.add_row("intercept", f"{i['lat']:.3f}, {i['lon']:.3f} at {i['alt_km']:,.1f} km, {doc['ground_range_km']:,.0f} km "
                           f"from the site")
    t.add_row("time of flight", f"{doc['time_of_flight_s']:,.1f} s" + ("" if doc["time_of_flight_given"]
                                                                        else " (the least-speed time; not announced)"))
    t.add_row("Lambert bound", f"{doc['lambert_bound_mps']:,.0f} m/s")
    if doc["flyout_bound_mps"] is not None:
        t.add_row("fly-out table bound", f"{doc['flyout_bound_mps']:,.0f} m/s")
    t.add_row("lowest burnout speed", f"{doc['burnout_speed_min_mps']:,.0f} m/s ({doc['model']})")
    if declared_speed_mps is not None:
        t.add_row("declared", f"{declared_speed_mps:,.0f} m/s: "
                              + ("consistent" if doc["declared_speed_consistent"] else "BELOW what the test showed"))
    out.print(t)
