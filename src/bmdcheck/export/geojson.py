"""GeoJSON (RFC 7946) export: [lon, lat, alt_m] positions, lines split at the antimeridian.

Features (``properties.kind``): ``threat`` and ``interceptor`` tracks (LineString, or
MultiLineString when a track crosses ±180°; ``properties.t_s`` gives each vertex's time on the
scenario clock in vertex order, ``utc`` the first and last as UTC), ``site`` and ``intercept``
Points (``intercept_t_s``, ``intercept_utc``: the intercept time; a property name keeps one type
across features, for GIS readers that infer column types), ``radar`` Points and ``radar-coverage``
Polygons (counter-clockwise exterior rings, RFC 7946 §3.1.6). Threat properties: missile, shape,
feasible, reason, window ([first_s, last_s] after the threat's launch, or null). Coordinates are
rounded to 1e-7° and 1 mm.
"""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np

from .model import Scene, atomic_write, wrap_lon


FEATURE_KEYS = ("missile", "shape", "feasible", "reason", "window")
"""Properties present on every feature: the threat's for tracks, fly-outs and intercepts; null on
sites, radars and coverage."""


def split_antimeridian(lon, lat, alt, t):
    """Split a track where it crosses ±180°: a list of parts (lon, lat, alt, t), each part ending
    or starting on the meridian at a vertex interpolated linearly in unwrapped longitude."""
    lon = wrap_lon(lon)
    parts, start = [], 0
    cur = [[], [], [], []]
    for i in range(len(lon)):
        if i > start and abs(lon[i] - lon[i - 1]) > 180.0:
            a, b = lon[i - 1], lon[i]
            edge = 180.0 if a > 0 else -180.0
            b_unw = b + 360.0 if a > 0 else b - 360.0
            f = (edge - a) / (b_unw - a)
            mid = [lat[i - 1] + f * (lat[i] - lat[i - 1]), alt[i - 1] + f * (alt[i] - alt[i - 1]),
                   t[i - 1] + f * (t[i] - t[i - 1])]
            for k, v in enumerate((edge, *mid)):
                cur[k].append(v)
            parts.append(cur)
            cur = [[-edge], [mid[0]], [mid[1]], [mid[2]]]
        for k, v in enumerate((lon[i], lat[i], alt[i], t[i])):
            cur[k].append(float(v))
    parts.append(cur)
    return [tuple(np.array(x) for x in p) for p in parts if len(p[0]) >= 2]


def _pos(lon, lat, alt):
    return [round(float(lon), 7), round(float(lat), 7), round(float(alt), 3)]


def _ccw(ring):
    """Exterior ring counter-clockwise (shoelace area > 0 in lon-lat)."""
    x, y = ring[:, 1], ring[:, 0]
    area = 0.5 * np.sum(x[:-1] * y[1:] - x[1:] * y[:-1])
    return ring if area >= 0 else ring[::-1]


def _clean(d: dict) -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, (np.floating, float)):
            v = None if not np.isfinite(v) else float(v)
        elif isinstance(v, np.integer):
            v = int(v)
        elif isinstance(v, np.bool_):
            v = bool(v)
        out[k] = v
    return out


def to_geojson(scene: Scene, epoch) -> dict:
    feats = []
    for tr in scene.tracks:
        t_abs = tr.t0_s + np.asarray(tr.t_s, float)
        parts = split_antimeridian(tr.lon_deg, tr.lat_deg, tr.alt_m, t_abs)
        lines = [[_pos(*v) for v in zip(p[0], p[1], p[2])] for p in parts]
        geom = ({"type": "LineString", "coordinates": lines[0]} if len(lines) == 1
                else {"type": "MultiLineString", "coordinates": lines})
        props = {"kind": tr.kind, "id": tr.id, "name": tr.label, **_clean(tr.properties),
                 "t_s": [round(float(x), 3) for p in parts for x in p[3]],
                 "utc": [(epoch + timedelta(seconds=float(t_abs[0]))).isoformat().replace("+00:00", "Z"),
                         (epoch + timedelta(seconds=float(t_abs[-1]))).isoformat().replace("+00:00", "Z")]}
        props.setdefault("window", None)
        feats.append({"type": "Feature", "id": tr.id, "geometry": geom, "properties": props})
    for s in scene.sites:
        feats.append({"type": "Feature", "id": f"site-{s.name}",
                      "geometry": {"type": "Point", "coordinates": _pos(wrap_lon(s.lon_deg), s.lat_deg, s.alt_m)},
                      "properties": {"kind": "site", "name": s.name, **_clean(s.properties)}})
    for c in scene.coverage:
        ring = _ccw(c.ring_latlon)
        feats.append({"type": "Feature", "id": f"radar-{c.name}",
                      "geometry": {"type": "Point", "coordinates": _pos(wrap_lon(c.lon_deg), c.lat_deg, c.alt_m)},
                      "properties": {"kind": "radar", "name": c.name, **_clean(c.properties)}})
        feats.append({"type": "Feature", "id": f"coverage-{c.name}",
                      "geometry": {"type": "Polygon", "coordinates": [[[round(float(lo), 7), round(float(la), 7)]
                                                                       for la, lo in ring]]},
                      "properties": {"kind": "radar-coverage", "name": c.name, "target_alt_km": c.target_alt_km,
                                     "ground_range_km": round(c.ground_range_km, 3), **_clean(c.properties)}})
    for i in scene.intercepts:
        feats.append({"type": "Feature", "id": f"intercept-{i.pair}",
                      "geometry": {"type": "Point", "coordinates": _pos(wrap_lon(i.lon_deg), i.lat_deg, i.alt_m)},
                      "properties": {"kind": "intercept", "pair": i.pair,
                                     "intercept_t_s": round(float(i.t_s), 3),
                                     "intercept_utc": (epoch + timedelta(seconds=float(i.t_s))).isoformat()
                                     .replace("+00:00", "Z"),
                                     **_clean(i.properties)}})
    for f in feats:  # every feature carries the five threat properties (null where they do not apply)
        for k in FEATURE_KEYS:
            f["properties"].setdefault(k, None)
    return {"type": "FeatureCollection", "name": scene.name, "features": feats}


def write_geojson(scene: Scene, path, epoch):
    """Write the scene as GeoJSON (atomic)."""
    return atomic_write(path, json.dumps(to_geojson(scene, epoch), allow_nan=False, separators=(",", ":")))
