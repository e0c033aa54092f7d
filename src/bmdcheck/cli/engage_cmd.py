"""`bmdcheck engage`, `interceptors`, `sites`, `sensors`: the engagement layer on the command line."""

from __future__ import annotations

import csv
import math
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ..errors import BmdcheckError
from .main import Shape, _emit_json, app, err, out, parse_latlon

_IMPULSIVE_BURN_S = 1e-9  # --burn-time 0 with --flyout lambert: the site turns 0.5 µm in this time


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


def read_threat_file(path: str, earth):
    """A threat trajectory from CSV (t_s, x_eci_m, y_eci_m, z_eci_m[, vx_eci_mps, ...]) or CCSDS OEM."""
    p = Path(path)
    if not p.is_file():
        raise BmdcheckError(f"threat file not found: {p}")
    text = p.read_text(errors="replace")
    if "CCSDS_OEM_VERS" in text:
        return _read_oem(text, p, earth)
    rows = list(csv.reader(line for line in text.splitlines() if line.strip() and not line.startswith("#")))
    if not rows:
        raise BmdcheckError(f"{p}: empty threat file")
    head = [h.strip().lower() for h in rows[0]]
    need = ["t_s", "x_eci_m", "y_eci_m", "z_eci_m"]
    if any(h not in head for h in need):
        raise BmdcheckError(f"{p}: CSV header must name columns {', '.join(need)}; got {', '.join(map(repr, head))}")
    idx = [head.index(h) for h in need]
    vidx = [head.index(h) for h in ("vx_eci_mps", "vy_eci_mps", "vz_eci_mps") if h in head]
    import numpy as np

    try:
        data = np.array([[float(r[k]) for k in idx + vidx] for r in rows[1:]])
    except (ValueError, IndexError) as e:
        raise BmdcheckError(f"{p}: bad number in the CSV ({e})") from None
    if data.ndim != 2 or data.shape[0] < 3:
        raise BmdcheckError(f"{p}: need at least 3 samples")
    v = data[:, 4:7] if len(vidx) == 3 else None
    return _threats(p, data[:, 0], data[:, 1:4], v, earth)


_MIN_RADIUS_M = 6_200_000.0  # below every point of the surface (polar radius 6,356.8 km) by > 150 km


def _threats(p, t, r, v, earth):
    """Threats from file samples, refusing what cannot be a trajectory (with the file's name)."""
    import numpy as np

    from ..defence.engagement import Threats

    r = np.asarray(r, dtype=float)
    if v is not None and not np.all(np.isfinite(v)):
        raise BmdcheckError(f"{p}: threat velocities must be finite numbers")
    with np.errstate(all="ignore"):
        rad = np.linalg.norm(r, axis=-1) if r.ndim == 2 and r.shape[-1] == 3 else np.array([np.inf])
    if np.any(np.isfinite(rad) & (rad < _MIN_RADIUS_M)):
        k = int(np.argmax(np.isfinite(rad) & (rad < _MIN_RADIUS_M)))
        raise BmdcheckError(f"{p}: threat sample {k + 1} is {rad[k] / 1e3:,.0f} km from the Earth's centre, deep below "
                            f"the ground: positions must be ECI metres (OEM: km)")
    try:
        return Threats.from_arrays(t, r, v, earth)
    except BmdcheckError as e:
        raise BmdcheckError(f"{p}: {e}") from None


def _read_oem(text, p, earth):
    """Minimal CCSDS OEM (502.0) reader: data lines 'EPOCH X Y Z [VX VY VZ]' in km, km/s."""
    from datetime import datetime, timezone

    t, r, v = [], [], []
    in_meta = False
    t0 = None
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("COMMENT"):
            continue
        if s == "META_START":
            in_meta = True
            continue
        if s == "META_STOP":
            in_meta = False
            continue
        if in_meta or "=" in s:
            continue
        parts = s.split()
        if len(parts) not in (4, 7, 10):
            continue
        try:
            ep = datetime.fromisoformat(parts[0].replace("Z", "+00:00"))
            vals = [float(x) for x in parts[1:7]]
        except ValueError:
            raise BmdcheckError(f"{p}: bad OEM data line: {s[:60]!r}") from None
        # epochs without an offset are UTC (CCSDS 502.0 TIME_SYSTEM); mixed forms compare correctly
        ep = ep.replace(tzinfo=timezone.utc) if ep.tzinfo is None else ep.astimezone(timezone.utc)
        t0 = t0 or ep
        t.append((ep - t0).total_seconds())
        r.append([x * 1e3 for x in vals[:3]])
        if len(vals) >= 6:
            v.append([x * 1e3 for x in vals[3:6]])
    if len(t) < 3:
        raise BmdcheckError(f"{p}: need at least 3 OEM data lines")
    import numpy as np

    return _threats(p, np.array(t), np.array(r), np.array(v) if len(v) == len(t) else None, earth)


def _band(text: str):
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise BmdcheckError(f"--altitude-band must be MIN_KM,MAX_KM, got {text!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < 0 or hi <= lo:
        raise BmdcheckError(f"--altitude-band must have 0 <= MIN < MAX km, got {text!r}")
    return lo, hi


@app.command()
def engage(
    missile: Optional[str] = typer.Option(None, "--missile", help="Threat missile (catalogue name)."),
    from_: Optional[str] = typer.Option(None, "--from", help="Threat launch point LAT,LON."),
    to: Optional[str] = typer.Option(None, "--to", help="Threat aim point LAT,LON."),
    shape: Shape = typer.Option(Shape.min_energy, "--shape"),
    apogee_km: Optional[float] = typer.Option(None, "--apogee-km"),
    threat_file: Optional[str] = typer.Option(None, "--threat-file", help="CSV t_s,x_eci_m,y_eci_m,z_eci_m or CCSDS OEM."),
    site: Optional[str] = typer.Option(None, "--site", help="Catalogue site name (see `bmdcheck sites`)."),
    site_at: Optional[str] = typer.Option(None, "--site-at", help="Ad-hoc site LAT,LON[,ALT_KM]."),
    interceptor: Optional[str] = typer.Option(None, "--interceptor", help="Catalogue interceptor (default: the site's)."),
    burnout_speed: Optional[float] = typer.Option(None, "--burnout-speed", help="Ad-hoc interceptor burnout speed, m/s."),
    burn_time: Optional[float] = typer.Option(None, "--burn-time", help="Interceptor burn time, s (0 with --flyout lambert: impulsive)."),
    altitude_band: Optional[str] = typer.Option(None, "--altitude-band", help="Intercept altitudes MIN_KM,MAX_KM."),
    min_closing_speed: Optional[float] = typer.Option(None, "--min-closing-speed", help="m/s."),
    max_flight_time: Optional[float] = typer.Option(None, "--max-flight-time", help="Interceptor, s."),
    launch_at: Optional[float] = typer.Option(None, "--launch-at", help="Fixed interceptor launch time, s."),
    flyout: Flyout = typer.Option(Flyout.table, "--flyout", help="Reach model."),
    threshold: Optional[Threshold] = typer.Option(None, "--threshold", help="Also find the lowest feasible burnout speed."),
    mode: Mode = typer.Option(Mode.local, "--mode", help="Sensor timeline (legacy; --tier replaces it)."),
    tier: Optional[Tier] = typer.Option(None, "--tier", help="Sensor tier: local, remote (best of the site's radar "
                                                              "and --remote-radar) or cue (launch on the early-warning cue)."),
    network_latency: Optional[float] = typer.Option(None, "--network-latency", help="Remote tier: track relay, s."),
    rcs_model: RcsModelName = typer.Option(RcsModelName.constant, "--rcs-model",
                                           help="Target cross-section: constant (--rcs) or phase-band (data/rcs.toml)."),
    remote_radar: Optional[str] = typer.Option(None, "--remote-radar", help="Radar for launch/engage on remote."),
    early_warning: str = typer.Option("default", "--early-warning", help="Early-warning system name, or 'none'."),
    decision_delay: Optional[float] = typer.Option(None, "--decision-delay", help="Track to launch, s."),
    rcs: Optional[float] = typer.Option(None, "--rcs", help="Target radar cross-section, m²."),
    kill_assessment: Optional[float] = typer.Option(None, "--kill-assessment", help="Shoot-look-shoot delay, s."),
    as_json: bool = typer.Option(False, "--json"),
    czml: Optional[str] = typer.Option(None, "--czml", help="Also write threat, site, radar, intercept as CZML."),
    kml: Optional[str] = typer.Option(None, "--kml", help="Also write them as KML."),
    geojson: Optional[str] = typer.Option(None, "--geojson", help="Also write them as GeoJSON."),
    epoch: Optional[str] = typer.Option(None, "--epoch", help="UTC time of threat launch for exports (default now)."),
):
    """When (if ever) can an interceptor from a site meet a threat trajectory?"""
    from ..defence import engage as E
    from ..defence.interceptor import get_interceptor
    from ..defence.sensors import get_early_warning, get_radar, sensor_catalogue
    from ..defence.sites import get_site
    from ..earth.model import EarthModel
    from ..flight.trajectory import fly as fly_missile

    earth = EarthModel()
    from .report_cmd import check_export_paths

    exports = check_export_paths(czml, kml, geojson, need_one=False)  # checked before any work
    if exports:
        from ..export import parse_epoch

        epoch_utc = parse_epoch(epoch)
    # --- threat
    if threat_file is not None:
        if missile is not None:
            raise BmdcheckError("give --missile or --threat-file, not both")
        threats = read_threat_file(threat_file, earth)
        threat_desc = {"file": threat_file}
    else:
        if missile is None or from_ is None or to is None:
            raise BmdcheckError("give --missile NAME --from LAT,LON --to LAT,LON, or --threat-file F")
        tr = fly_missile(missile, parse_latlon(from_, "--from"), parse_latlon(to, "--to"), shape.value,
                         apogee_km=apogee_km, earth=earth, sample_interval_s=1.0)
        from ..defence.engagement import Threats

        s = tr.samples
        threats = Threats.from_arrays(s.t_s, s.r_eci_m, s.v_eci_mps, earth)
        threat_desc = {"missile": tr.missile, "range_km": tr.range_km, "flight_time_s": tr.flight_time_s,
                       "apogee_km": tr.apogee_km}
    # --- site
    if (site is None) == (site_at is None):
        raise BmdcheckError("give exactly one of --site NAME or --site-at LAT,LON[,ALT_KM]")
    cat_site = None
    if site is not None:
        cat_site = get_site(site)
        radar = get_radar(cat_site.radar) if cat_site.radar else None
        sspec = E.SiteSpec(cat_site.name, cat_site.lat_deg, cat_site.lon_deg, cat_site.alt_m, radar)
    else:
        lla = parse_latlon(site_at, "--site-at", allow_alt=True)
        alt_km = lla[2] if len(lla) == 3 else 0.0
        if alt_km < 0:
            raise BmdcheckError(f"--site-at: a site below the ground (altitude {alt_km:g} km) is not valid")
        sspec = E.SiteSpec("ad-hoc", lla[0], lla[1], alt_km * 1e3, None)
    # --- interceptor
    band = _band(altitude_band) if altitude_band else None
    if burn_time is not None and burn_time == 0.0:
        # --burn-time 0: the impulsive (Lambert) reach model, full speed at launch; the table model
        # flies a booster and needs a burn
        if flyout != Flyout.lambert:
            raise BmdcheckError("--burn-time 0 is the impulsive Lambert model: add --flyout lambert "
                                "(the table fly-out needs a positive burn time)")
        burn_time = _IMPULSIVE_BURN_S
    for v, name in ((burnout_speed, "--burnout-speed"), (burn_time, "--burn-time"), (max_flight_time, "--max-flight-time")):
        if v is not None and not (math.isfinite(v) and v > 0):
            raise BmdcheckError(f"{name} must be a positive number, got {v:g}")
    if min_closing_speed is not None and not (math.isfinite(min_closing_speed) and min_closing_speed >= 0):
        raise BmdcheckError(f"--min-closing-speed must be >= 0, got {min_closing_speed:g}")
    if interceptor is None and cat_site is not None and burnout_speed is None:
        if not cat_site.interceptors:
            raise BmdcheckError(f"site {cat_site.name} has no interceptors; give --interceptor")
        interceptor = next(iter(cat_site.interceptors))
    if interceptor is not None:
        ispec = E.InterceptorSpec.from_catalogue(get_interceptor(interceptor))
        over = {}
        if burnout_speed is not None:
            over.update(burnout_speed_mps=burnout_speed, booster=None)
        if burn_time is not None:
            over.update(burn_time_s=burn_time)
        if band:
            over.update(min_alt_m=band[0] * 1e3, max_alt_m=band[1] * 1e3)
        if min_closing_speed is not None:
            over.update(min_closing_mps=min_closing_speed)
        if max_flight_time is not None:
            over.update(max_flight_time_s=max_flight_time)
        from dataclasses import replace

        ispec = replace(ispec, **over) if over else ispec
    else:
        if burnout_speed is None:
            raise BmdcheckError("give --interceptor NAME or an ad-hoc --burnout-speed M/S")
        if burn_time is None and flyout in (Flyout.table, Flyout.bound):
            raise BmdcheckError("an ad-hoc interceptor with the table fly-out needs --burn-time S")
        lo, hi = band if band else (0.0, 10_000.0)
        # no flight-time limit unless given: the Lambert model takes none; the table model flies
        # its fan for 3,600 s (longer than any ICBM flight), which bounds what it can tabulate
        unlimited = 1e9 if flyout == Flyout.lambert else 3600.0
        ispec = E.InterceptorSpec("ad-hoc", burnout_speed, burn_time if burn_time is not None else 1e-9,
                                  lo * 1e3, hi * 1e3, 0.0, max_flight_time or unlimited, min_closing_speed or 0.0)
    # --- timeline
    ew = None
    if early_warning.lower() != "none":
        if early_warning == "default":
            ews = sensor_catalogue().early_warning
            ew = next(iter(ews.values())) if ews else None
        else:
            ew = get_early_warning(early_warning)
    kw = {}
    if decision_delay is not None:
        kw["decision_delay_s"] = decision_delay
    if rcs is not None:
        kw["rcs_m2"] = rcs
    if kill_assessment is not None:
        kw["kill_assessment_s"] = kill_assessment
    if network_latency is not None:
        kw["network_latency_s"] = network_latency
    if rcs_model == RcsModelName.phase_band:
        from ..defence.rcs import catalogue_rcs

        kw["rcs_model"] = catalogue_rcs()
    rr = get_radar(remote_radar) if remote_radar else None
    tl = E.TimelineSpec(mode=mode.value, early_warning=ew, remote_radar=rr, launch_at_s=launch_at,
                        tier=None if tier is None else tier.value, remote_radars=(rr,) if rr and tier else (), **kw)
    res = E.engage_threats(threats, [sspec], [ispec], tl, flyout.value)
    for wmsg in ([] if as_json else res.warnings):  # with --json they are the document's "warnings"
        err.print(f"warning: {wmsg}", highlight=False, soft_wrap=True, markup=False)
    rec = res.record(0)
    rec["threat"] = threat_desc
    rec["interceptor_params"] = {"burnout_speed_mps": ispec.burnout_speed_mps,
                                 "burn_time_s": 0.0 if ispec.burn_time_s == _IMPULSIVE_BURN_S else ispec.burn_time_s,
                                 "altitude_band_km": [ispec.min_alt_m / 1e3, ispec.max_alt_m / 1e3],
                                 "max_flight_time_s": ispec.max_flight_time_s, "min_closing_speed_mps": ispec.min_closing_mps}
    rec["assumptions"] = {"decision_delay_s": tl.decision_delay_s, "rcs_m2": tl.rcs_m2,
                          "rcs_model": rcs_model.value, "network_latency_s": tl.network_latency_s,
                          "kill_assessment_s": tl.kill_assessment_s,
                          "early_warning": None if ew is None else ew.name}
    if threshold is not None:
        base = ispec if ispec.burnout_speed_mps else ispec.with_burnout_speed(5000.0)
        rec["threshold_mps"] = E.burnout_speed_threshold(threats, sspec, base, tl, flyout.value)
    if exports:
        from .report_cmd import export_engagement

        export_engagement(threats, str(threat_desc.get("missile") or threat_desc.get("file")), sspec, ispec, rec, tl,
                          czml, kml, geojson, epoch_utc,
                          {"missile": threat_desc.get("missile"), "shape": None if threat_file else shape.value})
    if as_json:
        _emit_json(rec)
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
        t.add_row("threshold", "not feasible below 11 km/s" if th is None else f"feasible from {th:,.0f} m/s burnout speed")
    out.print(t)


def _list(rows, cols, title, as_json):
    if as_json:
        _emit_json(rows)
        return
    t = Table(title=title)
    for c in cols:
        t.add_column(c)
    for r in rows:
        t.add_row(*("" if r.get(c) is None else str(r.get(c)) for c in cols))
    out.print(t)


@app.command()
def interceptors(as_json: bool = typer.Option(False, "--json")):
    """List the interceptor catalogue with its sources."""
    from ..defence.interceptor import interceptor_catalogue

    rows = [{"name": i.name, "party": i.party, "burnout_speed_mps": i.burnout_speed_mps, "burn_time_s": i.burn_time_s,
             "altitude_band_km": [i.min_intercept_alt_km, i.max_intercept_alt_km],
             "max_flight_time_s": i.max_flight_time_s, "min_closing_speed_mps": i.min_closing_speed_mps,
             "spread": {k: dict(v) for k, v in i.spread.items()}, "sources": dict(i.sources), "summary": i.summary}
            for i in interceptor_catalogue().values()]
    _list(rows, ["name", "party", "burnout_speed_mps", "burn_time_s", "altitude_band_km", "max_flight_time_s"],
          "interceptors (sources: --json, docs/CATALOGUE-DEFENCE.md)", as_json)


@app.command()
def sites(as_json: bool = typer.Option(False, "--json")):
    """List the interceptor sites."""
    from ..defence.sites import site_catalogue

    rows = [{"name": s.name, "party": s.party, "kind": s.kind, "status": s.status, "lat": s.lat_deg, "lon": s.lon_deg,
             "interceptors": dict(s.interceptors), "radar": s.radar, "sources": dict(s.sources)}
            for s in site_catalogue().values()]
    _list(rows, ["name", "party", "kind", "status", "lat", "lon", "interceptors", "radar"], "sites", as_json)


@app.command()
def sensors(as_json: bool = typer.Option(False, "--json")):
    """List radars and early-warning systems."""
    from ..defence.sensors import sensor_catalogue

    cat = sensor_catalogue()
    rows = [{"name": r.name, "kind": "radar", "lat": r.lat_deg, "lon": r.lon_deg, "range_km": r.range_km,
             "rcs_ref_m2": r.rcs_ref_m2, "azimuth": None if r.azimuth_min_deg is None else
             f"{r.azimuth_min_deg:g}→{r.azimuth_max_deg:g}", "elevation_mask_deg": r.elevation_mask_deg,
             "min_track_s": r.min_track_s, "sources": dict(r.sources)} for r in cat.radars.values()]
    rows += [{"name": e.name, "kind": "early-warning", "detect_after_s": e.detect_after_s,
              "report_delay_s": e.report_delay_s, "sources": dict(e.sources)} for e in cat.early_warning.values()]
    _list(rows, ["name", "kind", "lat", "lon", "range_km", "rcs_ref_m2", "azimuth", "min_track_s", "detect_after_s"],
          "sensors", as_json)
