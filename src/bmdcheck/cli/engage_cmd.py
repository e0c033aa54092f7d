"""`bmdcheck engage`, `interceptors`, `sites`, `sensors`: the engagement layer on the command line."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import typer
from rich.table import Table

from .. import api
from ..errors import BmdcheckError
from .app import JSON_HELP, Shape, app, check_export_paths, emit_json, err, out, parse_latlon


class Flyout(str, Enum):
    table = "table"
    lambert = "lambert"
    bound = "bound"


class Mode(str, Enum):
    local = "local"
    launch_on_remote = "launch-on-remote"
    engage_on_remote = "engage-on-remote"
    early_warning_only = "early-warning-only"


class Tier(str, Enum):
    local = "local"
    remote = "remote"
    cue = "cue"


class RcsModelName(str, Enum):
    constant = "constant"
    phase_band = "phase-band"


class Threshold(str, Enum):
    burnout_speed = "burnout-speed"


def _band(text: str):
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise BmdcheckError(f"--altitude-band must be MIN_KM,MAX_KM, got {text!r}") from None
    return lo, hi  # checked by the library (0 <= MIN < MAX)


@app.command()
def engage(
    missile: Optional[str] = typer.Option(None, "--missile", help="Threat missile (catalogue name)."),
    from_: Optional[str] = typer.Option(None, "--from", help="Threat launch point LAT,LON."),
    to: Optional[str] = typer.Option(None, "--to", help="Threat aim point LAT,LON."),
    shape: Shape = typer.Option(Shape.min_energy, "--shape", help="Threat trajectory shape."),
    apogee_km: Optional[float] = typer.Option(None, "--apogee-km", help="Threat apogee, km (lofted/depressed)."),
    threat_file: Optional[str] = typer.Option(None, "--threat-file", help="CSV t_s,x_eci_m,y_eci_m,z_eci_m or CCSDS OEM."),
    site: Optional[str] = typer.Option(None, "--site", help="Catalogue site name (see `bmdcheck sites`)."),
    site_at: Optional[str] = typer.Option(None, "--site-at", help="Ad-hoc site LAT,LON[,ALT_KM]."),
    interceptor: Optional[str] = typer.Option(None, "--interceptor", help="Catalogue interceptor (default: the site's)."),
    burnout_speed: Optional[float] = typer.Option(None, "--burnout-speed", help="Ad-hoc interceptor burnout speed, m/s."),
    burn_time: Optional[float] = typer.Option(None, "--burn-time", help="Interceptor burn time, s (0 with --flyout lambert: impulsive)."),
    altitude_band: Optional[str] = typer.Option(None, "--altitude-band", help="Intercept altitudes MIN_KM,MAX_KM."),
    min_closing_speed: Optional[float] = typer.Option(None, "--min-closing-speed",
                                                      help="Least closing speed at intercept, m/s."),
    max_flight_time: Optional[float] = typer.Option(None, "--max-flight-time", help="Interceptor flight time limit, s."),
    launch_at: Optional[float] = typer.Option(None, "--launch-at", help="Fixed interceptor launch time, s."),
    flyout: Flyout = typer.Option(Flyout.table, "--flyout", help="Reach model."),
    threshold: Optional[Threshold] = typer.Option(None, "--threshold", help="Also find the lowest feasible burnout speed."),
    mode: Mode = typer.Option(Mode.local, "--mode", help="Sensor timeline (legacy; --tier replaces it)."),
    tier: Optional[Tier] = typer.Option(None, "--tier", help="Sensor tier: local, remote (best of the site's radar "
                                                              "and --remote-radar) or cue (launch on the early-warning cue)."),
    network_latency: Optional[float] = typer.Option(None, "--network-latency", help="Remote tier: track relay, s."),
    rcs_model: RcsModelName = typer.Option(RcsModelName.constant, "--rcs-model",
                                           help="Target cross-section: constant (--rcs) or phase-band (data/rcs.toml)."),
    remote_radar: Optional[str] = typer.Option(None, "--remote-radar", help="Remote radar (see `bmdcheck sensors`); "
                                               "needs --tier remote or --mode launch-on-remote/engage-on-remote."),
    early_warning: str = typer.Option("default", "--early-warning", help="Early-warning system name, or 'none'."),
    decision_delay: Optional[float] = typer.Option(None, "--decision-delay", help="Track to launch, s."),
    rcs: Optional[float] = typer.Option(None, "--rcs", help="Target radar cross-section, m²."),
    kill_assessment: Optional[float] = typer.Option(None, "--kill-assessment", help="Shoot-look-shoot delay, s."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    czml: Optional[str] = typer.Option(None, "--czml", help="Also write threat, site, radar, intercept as CZML."),
    kml: Optional[str] = typer.Option(None, "--kml", help="Also write them as KML."),
    geojson: Optional[str] = typer.Option(None, "--geojson", help="Also write them as GeoJSON."),
    epoch: Optional[str] = typer.Option(None, "--epoch", help="UTC time of threat launch for exports (default now)."),
):
    """When (if ever) can an interceptor from a site meet a threat trajectory?"""
    exports = check_export_paths(czml, kml, geojson, need_one=False)  # checked before any work
    epoch_utc = api.parse_epoch(epoch) if exports else None
    if threat_file is not None and missile is not None:
        raise BmdcheckError("give --missile or --threat-file, not both")
    if threat_file is None and (missile is None or from_ is None or to is None):
        raise BmdcheckError("give --missile NAME --from LAT,LON --to LAT,LON, or --threat-file F")
    if (site is None) == (site_at is None):
        raise BmdcheckError("give exactly one of --site NAME or --site-at LAT,LON[,ALT_KM]")
    if remote_radar is not None and tier is None and mode not in (Mode.launch_on_remote, Mode.engage_on_remote):
        raise BmdcheckError("--remote-radar needs --tier remote or --mode launch-on-remote / engage-on-remote "
                            "(local mode would not use it)")
    if burn_time == 0.0 and flyout != Flyout.lambert:
        raise BmdcheckError("--burn-time 0 is the impulsive Lambert model: add --flyout lambert "
                            "(the table fly-out needs a positive burn time)")
    if interceptor is None and site is None and burnout_speed is None:
        raise BmdcheckError("give --interceptor NAME or an ad-hoc --burnout-speed M/S")
    res = api.engage(
        missile, None if from_ is None else parse_latlon(from_, "--from"),
        None if to is None else parse_latlon(to, "--to"), threat=threat_file,
        site=site if site is not None else parse_latlon(site_at, "--site-at", allow_alt=True),
        interceptor=interceptor, shape=shape.value, apogee_km=apogee_km, flyout=flyout.value, mode=mode.value,
        tier=None if tier is None else tier.value, remote_radar=remote_radar, early_warning=early_warning,
        decision_delay_s=decision_delay, rcs_m2=rcs, rcs_model=rcs_model.value, kill_assessment_s=kill_assessment,
        network_latency_s=network_latency, launch_at_s=launch_at, burnout_speed_mps=burnout_speed,
        burn_time_s=burn_time, altitude_band_km=_band(altitude_band) if altitude_band else None,
        min_closing_speed_mps=min_closing_speed, max_flight_time_s=max_flight_time, threshold=threshold is not None)
    for wmsg in ([] if as_json else res.warnings):  # with --json they are the document's "warnings"
        err.print(f"warning: {wmsg}", highlight=False, soft_wrap=True, markup=False)
    rec = res.record
    if exports:
        props = {"missile": rec["threat"].get("missile"), "shape": None if threat_file else shape.value}
        for p in api.write_scene(api.scene_from_engagement(res, props), czml=czml, kml=kml, geojson=geojson,
                                 epoch=epoch_utc):
            err.print(f"wrote {p}", highlight=False)
    if as_json:
        emit_json(rec)
        return
    t = Table(title=f"engage: {rec['interceptor']} from {rec['site']} ({flyout.value} fly-out)", show_header=False)
    t.add_row("verdict", ("[green]feasible[/]" if rec["feasible"] else f"[red]not feasible[/]: {rec['reason']}"))
    if rec["tier"]:
        t.add_row("tier", f"{rec['tier']}" + (f" (sensor {rec['sensor']})" if rec["sensor"] else ""))
    t.add_row("diagnosis", rec["diagnostics"]["text"])
    tlr = rec["timeline"]
    fmt = lambda x: "—" if x is None else f"{x:,.1f}"  # noqa: E731
    t.add_row("timeline", f"{tlr['mode']}: detect {fmt(tlr['detect_s'])} s, track {fmt(tlr['track_s'])} s, "
                          f"launch {fmt(tlr['launch_s'])} s")
    if rec["feasible"]:
        t.add_row("window", f"{rec['first_s']:,.1f} – {rec['last_s']:,.1f} s after threat launch")
        for k in ("first", "last"):
            p = rec[f"intercept_{k}"]
            if p:
                t.add_row(f"intercept ({k})", f"{p['lat']:.3f}, {p['lon']:.3f}, {p['alt_km']:,.0f} km; interceptor "
                                              f"flight {fmt(rec[f'flight_time_{k}_s'])} s, closing "
                                              f"{fmt(rec[f'closing_speed_{k}_mps'])} m/s")
        t.add_row("shoot-look-shoot", f"{rec['shots']} shot(s)")
    if "threshold_mps" in rec:
        th = rec["threshold_mps"]
        t.add_row("threshold", api.describe_threshold(th))
    out.print(t)


def _list(rows, cols, title, as_json, names=("name",)):
    """A catalogue table; ``cols``: (key, header) pairs. The columns in ``names`` (what one types)
    never wrap or shorten; positions show 2 decimals (the full values: --json)."""
    if as_json:
        emit_json(rows)
        return
    from rich import box

    t = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for key, head in cols:
        t.add_column(head, no_wrap=key in names or key in ("lat", "lon"), overflow="fold",
                     justify="right" if key in ("lat", "lon") or key.endswith(("_s", "_km", "_m2", "_mps")) else "left")
    for r in rows:
        t.add_row(*("" if r.get(k) is None else _cell(k, r.get(k)) for k, _ in cols))
    out.print(t)


def _cell(key, v) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k} ×{n}" for k, n in v.items())
    if isinstance(v, (list, tuple)):
        return "–".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v)
    if key in ("lat", "lon"):
        return f"{v:.2f}"
    return f"{v:.6g}" if isinstance(v, float) else str(v)


@app.command()
def interceptors(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """List the interceptor catalogue with its sources."""
    rows = api.catalogue_rows("interceptors")
    _list(rows, [("name", "name"), ("party", "party"), ("burnout_speed_mps", "burnout m/s"), ("burn_time_s", "burn s"),
                 ("altitude_band_km", "altitudes km"), ("max_flight_time_s", "max flight s")],
          "interceptors (sources: --json, docs/CATALOGUE-DEFENCE.md)", as_json)


@app.command()
def sites(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """List the interceptor sites (the names --site takes; interceptors with their rounds)."""
    rows = api.catalogue_rows("sites")
    if not as_json:  # the table: status only where it is not "operational" (all of it: --json)
        rows = [{**r, "kind": r["kind"] + ("" if r["status"] == "operational" else f" ({r['status']})")} for r in rows]
    _list(rows, [("name", "name"), ("party", "party"), ("kind", "kind"), ("lat", "lat °"), ("lon", "lon °"),
                 ("interceptors", "interceptors"), ("radar", "radar")],
          "sites (the names --site takes)", as_json, names=("name", "radar", "interceptors"))


@app.command()
def sensors(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """List radars and early-warning systems (the names --remote-radar and --early-warning take)."""
    rows = api.catalogue_rows("sensors")
    _list(rows, [("name", "name"), ("kind", "kind"), ("lat", "lat °"), ("lon", "lon °"), ("range_km", "range km"),
                 ("rcs_ref_m2", "at m²"), ("azimuth", "azimuth °"), ("min_track_s", "track s"),
                 ("detect_after_s", "detect s")], "sensors (the names --remote-radar, --early-warning take)", as_json)
