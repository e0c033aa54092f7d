"""Geography rules: where sites may stand, and what radars may see.

- ``site-exclusion``: no site of the party (holding rounds of the listed types, when types are
  listed) inside ``polygon`` (even-odd rule in the lon-lat plane, ``scenario.expand.inside_polygon``)
  or within ``within_km`` of ``point`` (great circle on the 6,371-km sphere,
  ``scenario.expand.great_circle_km``; a site at exactly ``within_km`` is within).
- ``radar-coverage``: no radar of the party sees any sampled point of the area (a scenario area
  or an inline region, ``scenario.expand.area_points``) at ``target_alt_km``: the exact visibility
  test of ``defence.coverage.radar_visibility`` (Earth-horizon line of sight on the WGS84
  ellipsoid, elevation limits, azimuth sector, slant range <= the radar's detection range for
  ``rcs_m2`` x the corner's range scale). The altitude-limited reach
  ``coverage.horizon_range_m(radar alt, target alt)`` is reported with it. For a rule that holds,
  the evidence gives the range scale that would make the nearest point in line of sight (and
  inside the elevation and azimuth limits) visible, or says that no range would.
"""

from __future__ import annotations

import numpy as np

from ..defence import coverage
from ..defence.sensors import sensor_catalogue
from ..earth.frames import geodetic_to_ecef
from ..earth.model import EarthModel
from ..scenario.expand import area_points, great_circle_km, inside_polygon
from .margins import Corner, Outcome
from .scope import Context

EARTH = EarthModel()
"""WGS84, as the flights and coverage kernels use by default."""


def _sites(ctx: Context, rules, i: int) -> list[str]:
    rule = rules.rule[i]
    if rule.interceptors is not None:
        names = {e.site.name for e in ctx.entries_of(rules, i)}
    else:
        names = ctx.party_sites(rules, i)
    return [n for n in ctx.site_names if n in names]


def evaluate_exclusion(ctx: Context, rules, i: int, corner: Corner) -> Outcome:
    rule = rules.rule[i]
    sites = _sites(ctx, rules, i)
    spec = ctx.site_specs
    if not sites:
        why = ("no site of the party holds " + ", ".join(rule.interceptors) if rule.interceptors
               else "no sites of the party")
        return Outcome(True, f"vacuous: {why}", {"sites": [], "vacuous": why})
    if rule.point is not None:
        lat0, lon0 = rule.point
        d = {n: great_circle_km(spec[n].lat_deg, spec[n].lon_deg, lat0, lon0) for n in sites}
        near = min(d, key=lambda n: (d[n], n))
        inside = [n for n in sites if d[n] <= rule.within_km]
        metrics = {"within_km": rule.within_km, "distance_km": d, "nearest": near, "nearest_km": d[near]}
        summary = f"nearest {near} at {d[near]:,.0f} km (limit {rule.within_km:,.0f})"
    else:
        lat = np.array([spec[n].lat_deg for n in sites])
        lon = np.array([spec[n].lon_deg for n in sites])
        flag = inside_polygon(lat, lon, rule.polygon)
        inside = [n for n, f in zip(sites, flag) if f]
        metrics = {"inside": inside, "sites": sites}
        summary = f"{len(inside)} of {len(sites)} sites inside the polygon"
    cx = None
    if inside:
        n = inside[0]
        cx = {"corner": corner.label(), "site": n, "site_lat": spec[n].lat_deg, "site_lon": spec[n].lon_deg,
              "sites": inside}
        if rule.point is not None:
            cx["distance_km"] = metrics["distance_km"][n]
    return Outcome(not inside, summary, metrics, cx)


def _points(ctx: Context, rules, i: int) -> np.ndarray:
    rule = rules.rule[i]
    if rule.area is not None:
        if rule.area not in ctx.scenario.areas:
            raise rules.error(("rule", i, "area"), f"unknown area {rule.area!r} in scenario {ctx.scenario.name!r}; "
                                                   f"expected one of its [areas]: "
                                                   f"{', '.join(sorted(ctx.scenario.areas))}")
        return area_points(ctx.scenario.areas[rule.area])
    return area_points(rule.region)


def _radars(ctx: Context, rules, i: int):
    rule = rules.rule[i]
    radars = ctx.party_radars(rules, i)
    if rule.radars is None:
        return radars
    known = set(sensor_catalogue().radars) | {r.name for _, r in radars}
    for k, name in enumerate(rule.radars):
        if name not in known:
            raise rules.error(("rule", i, "radars", k), f"unknown radar {name!r}; expected a catalogue radar or one "
                                                        f"of the scenario's: {', '.join(r.name for _, r in radars)}")
    return [(lab, r) for lab, r in radars if r.name in rule.radars]


def evaluate_coverage(ctx: Context, rules, i: int, corner: Corner) -> Outcome:
    rule = rules.rule[i]
    pts = _points(ctx, rules, i)
    radars = _radars(ctx, rules, i)
    h_m = rule.target_alt_km * 1e3
    r = geodetic_to_ecef(pts[:, 0], pts[:, 1], np.full(len(pts), h_m), EARTH)[None]   # ECI = ECEF at t = 0
    t = np.zeros(r.shape[:2])
    ns = np.array([len(pts)])
    per = {}
    best = None       # (slant_m, label, radar, j) of a visible point
    need = None       # (scale, label) to make the nearest geometrically visible point detectable
    for label, rd in radars:
        rng_m = rd.detection_range_m(rule.rcs_m2)
        args = (t, r, ns, rd.lat_deg, rd.lon_deg, rd.alt_m)
        lim = (rd.elevation_mask_deg, rd.max_elevation_deg, rd.azimuth_min_deg, rd.azimuth_max_deg, EARTH)
        vis = coverage.radar_visibility(*args, rng_m * corner.radar_range_scale, *lim)[0]
        geo = coverage.radar_visibility(*args, np.inf, *lim)[0]
        slant = coverage.radar_look_angles(*args, EARTH)[0][0]
        horizon = float(coverage.horizon_range_m(max(rd.alt_m, 0.0), h_m))
        entry = {"detection_range_km": rng_m * corner.radar_range_scale / 1e3, "horizon_range_km": horizon / 1e3,
                 "reach_km": min(rng_m * corner.radar_range_scale, horizon) / 1e3, "points_seen": int(vis.sum())}
        if geo.any():
            j = int(np.argmin(np.where(geo, slant, np.inf)))
            entry["nearest_in_view_km"] = float(slant[j]) / 1e3
            k = float(slant[j]) / rng_m
            if need is None or k < need[0]:
                need = (k, label)
        per[label] = entry
        if vis.any():
            j = int(np.argmin(np.where(vis, slant, np.inf)))
            if best is None or slant[j] < best[0]:
                best = (float(slant[j]), label, rd, j)
    metrics = {"points": len(pts), "target_alt_km": rule.target_alt_km, "rcs_m2": rule.rcs_m2, "radars": per,
               "range_scale_to_reach": None if need is None else need[0],
               "nearest_radar": None if need is None else need[1]}
    if not radars:
        return Outcome(True, "vacuous: no radars of the party", {**metrics, "vacuous": "no radars"})
    if best is None:
        tail = ("no point in line of sight and field of view at any range" if need is None
                else f"needs range x{need[0]:.2f} ({need[1]})")
        return Outcome(True, f"0 of {len(pts)} points seen; {tail}", metrics)
    slant_m, label, rd, j = best
    _, el, az, _ = (a[0] for a in coverage.radar_look_angles(t, r, ns, rd.lat_deg, rd.lon_deg, rd.alt_m, EARTH))
    seen = sum(e["points_seen"] > 0 for e in per.values())
    cx = {"corner": corner.label(), "corner_values": corner.to_dict(), "radar": label,
          "radar_lat": rd.lat_deg, "radar_lon": rd.lon_deg, "radar_alt_m": rd.alt_m,
          "point": {"lat": float(pts[j, 0]), "lon": float(pts[j, 1]), "alt_km": rule.target_alt_km},
          "slant_range_km": slant_m / 1e3, "elevation_deg": float(el[j]), "azimuth_deg": float(az[j]),
          "detection_range_km": per[label]["detection_range_km"], "horizon_range_km": per[label]["horizon_range_km"]}
    return Outcome(False, f"{label} sees {per[label]['points_seen']} of {len(pts)} points ({seen} radars)", metrics, cx)
