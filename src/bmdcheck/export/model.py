"""What the CZML, KML and GeoJSON exports contain: tracks, sites, radar coverage, intercept points.

One :class:`Scene` feeds all three writers, so the formats agree. Build it from a results
directory (:func:`scene_from_results`), one flight (:func:`scene_from_trajectory`) or one
engagement (:func:`scene_from_engagement`). Positions are geodetic (WGS84, degrees, metres above
the ellipsoid) and Earth-fixed; times are seconds on the scenario clock (a threat's samples at
``t0_s + t_s``), made absolute by the writers' UTC epoch.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..errors import BmdcheckError

RADAR_COVERAGE_ALT_KM = 300.0
"""Radar coverage is drawn as the ground footprint of targets at this altitude (km)."""


@dataclass
class SitePoint:
    name: str
    lat_deg: float
    lon_deg: float
    alt_m: float
    properties: dict = field(default_factory=dict)


@dataclass
class Coverage:
    """A radar's coverage: the ground footprint (ring of [lat, lon] degrees, closed) of targets at
    ``target_alt_km`` within detection range and above the elevation mask."""

    name: str
    lat_deg: float
    lon_deg: float
    alt_m: float
    ring_latlon: np.ndarray
    target_alt_km: float
    ground_range_km: float
    properties: dict = field(default_factory=dict)


@dataclass
class Intercept:
    """A first intercept point: geodetic position and time on the scenario clock (s)."""

    pair: str
    lat_deg: float
    lon_deg: float
    alt_m: float
    t_s: float
    properties: dict = field(default_factory=dict)


@dataclass
class Scene:
    name: str
    tracks: list = field(default_factory=list)  # report.data.Track
    sites: list = field(default_factory=list)
    coverage: list = field(default_factory=list)
    intercepts: list = field(default_factory=list)

    def time_span_s(self) -> tuple[float, float]:
        ts = [(tr.t0_s + tr.t_s[0], tr.t0_s + tr.t_s[-1]) for tr in self.tracks if len(tr.t_s)]
        if not ts:
            return 0.0, 1.0
        return min(a for a, _ in ts), max(b for _, b in ts)


def coverage_ring(radar, target_alt_km: float = RADAR_COVERAGE_ALT_KM, rcs_m2: float = 1.0,
                  n: int = 145) -> Coverage:
    """The coverage footprint of a radar (``report.data.radar_ground_range_m``), as a closed ring:
    a circle, or a sector closed through the radar when its azimuths are limited."""
    from ..earth.frames import geodesic_direct
    from ..report.data import radar_ground_range_m

    g = radar_ground_range_m(radar, target_alt_km * 1e3, rcs_m2)
    if radar.azimuth_min_deg is None:
        az = np.linspace(0.0, 360.0, n)
        lat, lon = geodesic_direct(np.full(n, radar.lat_deg), np.full(n, radar.lon_deg), az, np.full(n, g))
        ring = np.column_stack([lat, lon])
        ring[-1] = ring[0]
    else:
        w = radar.azimuth_width_deg
        az = radar.azimuth_min_deg + np.linspace(0.0, w, n)
        lat, lon = geodesic_direct(np.full(n, radar.lat_deg), np.full(n, radar.lon_deg), az, np.full(n, g))
        ring = np.vstack([[radar.lat_deg, radar.lon_deg], np.column_stack([lat, lon]), [radar.lat_deg, radar.lon_deg]])
    ring[:, 1] = (ring[:, 1] + 180.0) % 360.0 - 180.0
    return Coverage(radar.name, radar.lat_deg, radar.lon_deg, radar.alt_m, ring, target_alt_km, g / 1e3,
                    {"range_km": radar.range_km, "rcs_ref_m2": radar.rcs_ref_m2, "rcs_m2": rcs_m2,
                     "elevation_mask_deg": radar.elevation_mask_deg})


def _site(sp, interceptors) -> SitePoint:
    return SitePoint(sp.name, sp.lat_deg, sp.lon_deg, sp.alt_m,
                     {"interceptors": interceptors, "radar": None if sp.radar is None else sp.radar.name})


def scene_from_results(rs, *, interceptor_paths: int = 10, progress=None, max_tracks: int | None = None,
                       max_intercepts: int | None = None) -> Scene:
    """Every nominal threat trajectory of a result set, its sites, radar coverage, the first
    intercept point of every feasible pair, and the fly-out paths of up to ``interceptor_paths``
    feasible pairs (earliest first). ``progress(done, total)`` is called as paths are flown.

    For a scene a browser can animate: at most ``max_tracks`` threat trajectories (threat cases
    sampled evenly by case id, the first and last kept) and at most ``max_intercepts`` intercept
    points (of the shown cases; when there are more, the earliest per case, then the earliest)."""
    from ..report.data import pair_detail, radars, reason_rank, threat_tracks

    rows = rs.nominal_rows()
    n_cases = len(rs.cases())
    ids = None
    if max_tracks is not None and n_cases > max_tracks:
        ids = sorted(set(np.linspace(0, n_cases - 1, max(max_tracks, 1)).round().astype(int).tolist()))
        rows = [r for r in rows if r["case_id"] in set(ids)]
    tracks = threat_tracks(rs, ids)
    best: dict = {}
    for r in rows:  # per case: feasible, or the reason that got furthest
        k = r["case_id"]
        rank = 99 if r["feasible"] else reason_rank(r["reason"])
        if k not in best or rank > best[k][0]:
            best[k] = (rank, r)
    for k, tr in tracks.items():
        r = best.get(k, (0, {}))[1]
        tr.properties.update(reason="feasible" if r.get("feasible") else r.get("reason"),
                             window=_window(r) if r.get("feasible") else None)
    sc = Scene(rs.name, list(tracks.values()))
    inv: dict = {}
    for sp, it, n in rs.defence():
        inv.setdefault(sp.name, (sp, {}))[1][it.name] = n
    sc.sites = [_site(sp, d) for sp, d in inv.values()]
    sc.coverage = [coverage_ring(r, rcs_m2=rs.timeline().rcs_m2) for r in radars(rs)]
    feas = sorted((r for r in rows if r["feasible"] and np.isfinite(r.get("intercept_lat", math.nan))),
                  key=lambda r: (r["first_s"], r["case_id"]))
    if max_intercepts is not None and len(feas) > max_intercepts:
        first: dict = {}
        for r in feas:
            first.setdefault(r["case_id"], r)
        feas = list(first.values())[:max(max_intercepts, 0)]
    for r in feas:
        t0 = tracks[r["case_id"]].t0_s if r["case_id"] in tracks else 0.0
        sc.intercepts.append(Intercept(rs.pair_id(r), r["intercept_lat"], r["intercept_lon"],
                                       r["intercept_alt_km"] * 1e3, t0 + r["first_s"],
                                       {"site": r["site"], "interceptor": r["interceptor"], "case_id": r["case_id"],
                                        "missile": r["missile"], "shape": r.get("shape"), "feasible": True,
                                        "reason": "feasible", "window": _window(r)}))
    sel = feas[:max(0, interceptor_paths)]
    for i, r in enumerate(sel):
        d = pair_detail(rs, rs.pair_id(r), tracks)
        if d.interceptor is not None:
            d.interceptor.properties.update(missile=r["missile"], shape=r.get("shape"), feasible=True,
                                            reason="feasible", window=_window(r), case_id=r["case_id"])
            sc.tracks.append(d.interceptor)
        if progress:
            progress(i + 1, len(sel))
    return sc


def _window(r: dict):
    a, b = r.get("first_s"), r.get("last_s")
    if a is None or b is None or not (np.isfinite(a) and np.isfinite(b)):
        return None
    return [float(a), float(b)]


def scene_from_trajectory(traj, name: str = "flight") -> Scene:
    """A single flight (``bmdcheck fly``; needs samples)."""
    from ..earth.frames import eci_to_ecef
    from ..report.data import Track

    s = traj.samples
    if s is None:
        raise BmdcheckError("export needs trajectory samples")
    label = traj.missile or "free body"
    tr = Track("threat-0", label, "threat", s.t_s, s.lat_deg, s.lon_deg, s.alt_km * 1e3,
               eci_to_ecef(s.r_eci_m, s.t_s, traj.earth), 0.0,
               {"missile": traj.missile, "shape": traj.shape, "feasible": None, "reason": None, "window": None})
    return Scene(name, [tr])


def scene_from_engagement_result(res, threat_props: dict | None = None) -> Scene:
    """The scene of an :class:`~bmdcheck.defence.query.EngageResult` (``bmdcheck.engage``):
    threat track (its first trajectory), site, radar coverage, intercept point, fly-out path."""
    from ..earth.frames import ecef_to_geodetic, eci_to_ecef
    from ..report.data import Track

    th = res.threats
    k = int(th.n_samples[0])
    t = th.t_s[0, :k]
    r = eci_to_ecef(th.r_eci_m[0, :k], t, th.earth)
    lat, lon, alt = ecef_to_geodetic(r, th.earth)
    desc = res.record.get("threat") or {}
    label = str(desc.get("missile") or desc.get("file") or "threat")
    tr = Track("threat-0", label, "threat", t, lat, lon, alt, r, 0.0, dict(threat_props or {}))
    return scene_from_engagement(tr, res.site, res.interceptor, res.record, res.timeline)


def scene_from_engagement(traj_track, site_spec, interceptor_spec, record: dict, timeline=None,
                          name: str = "engagement") -> Scene:
    """One engagement (``bmdcheck engage``): threat, site, its radar, intercept point, fly-out path."""
    from ..report.data import interceptor_track

    w = [record["first_s"], record["last_s"]] if record.get("feasible") else None
    traj_track.properties.update(feasible=bool(record.get("feasible")), reason=record.get("reason"), window=w)
    sc = Scene(name, [traj_track])
    sc.sites = [_site(site_spec, {interceptor_spec.name: None})]
    if site_spec.radar is not None:
        sc.coverage = [coverage_ring(site_spec.radar, rcs_m2=getattr(timeline, "rcs_m2", 1.0))]
    p = record.get("intercept_first")
    if record.get("feasible") and p:
        threat = {k: traj_track.properties.get(k) for k in ("missile", "shape")}
        sc.intercepts.append(Intercept("0", p["lat"], p["lon"], p["alt_km"] * 1e3, record["first_s"],
                                       {"site": site_spec.name, "interceptor": interceptor_spec.name, **threat,
                                        "feasible": True, "reason": "feasible", "window": w}))
        itr = interceptor_track(interceptor_spec, site_spec, record, "0")
        if itr is not None:
            itr.properties.update(threat, feasible=True, reason="feasible", window=w)
            sc.tracks.append(itr)
    return sc


# ---- shared helpers for the writers -------------------------------------------------------------

def parse_epoch(text: str | None) -> datetime:
    """A UTC epoch from ISO 8601 text ('2026-01-01T00:00:00Z'); None gives the current time (whole s)."""
    if text is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        dt = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise BmdcheckError(f"must be an ISO 8601 UTC time such as 2026-01-01T00:00:00Z, got {text!r}",
                            param="epoch") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def wrap_lon(lon):
    return (np.asarray(lon, float) + 180.0) % 360.0 - 180.0


def atomic_write(path, data: bytes | str) -> Path:
    """Write a file through a temporary file in the same directory and a rename: nothing is half
    written. One-line BmdcheckError when the directory is missing or not writable."""
    p = Path(path)
    if p.is_dir():
        raise BmdcheckError(f"cannot write {p}: it is a directory")
    if not p.parent.is_dir():
        raise BmdcheckError(f"cannot write {p}: directory {p.parent} does not exist")
    tmp = p.with_name(f".{p.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, p)
    except OSError as e:
        raise BmdcheckError(f"cannot write {p}: {e.strerror or e}") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return p
