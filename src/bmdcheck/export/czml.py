"""CZML export (Cesium) through czml3: time-tagged Earth-fixed positions.

Packets: the document (clock over the scene's time span from the UTC epoch); one per track with
``position.referenceFrame`` FIXED and ``cartesian`` [t, x, y, z, ...] (seconds from the packet's
epoch = export epoch + the track's first time, metres ECEF), Lagrange degree 5 interpolation,
a point, a path and a label; one per site and radar (``cartographicDegrees`` [lon, lat, h]); one
coverage polygon per radar (ground footprint of targets at the stated altitude); one point per
intercept, available from the intercept time on. Packet ``properties`` carry missile, shape,
feasible, reason and window as in the GeoJSON export.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from .model import Scene, atomic_write, wrap_lon

COLORS = {"engageable": [25, 118, 210, 255], "not-engageable": [255, 128, 0, 255], "interceptor": [44, 160, 60, 255],
          "site": [0, 0, 0, 255], "coverage": [70, 130, 180, 60], "intercept": [214, 0, 0, 255]}


def to_czml(scene: Scene, epoch):
    """The czml3 Document of a scene."""
    from czml3 import CZML_VERSION, Document, Packet
    from czml3.enums import ClockRanges, InterpolationAlgorithms, ReferenceFrames
    from czml3.properties import (Clock, Color, Label, Material, Path, Point, Polygon, PolylineMaterial, Position,
                                  PositionList, SolidColorMaterial)
    from czml3.types import TimeInterval

    t0, t1 = scene.time_span_s()
    start, end = epoch + timedelta(seconds=t0), epoch + timedelta(seconds=t1)
    packets = [Packet(id="document", name=scene.name, version=CZML_VERSION,
                      clock=Clock(interval=TimeInterval(start=start, end=end), currentTime=start, multiplier=30,
                                  range=ClockRanges.LOOP_STOP))]
    for tr in scene.tracks:
        t_abs = tr.t0_s + np.asarray(tr.t_s, float)
        ep = epoch + timedelta(seconds=float(t_abs[0]))
        rel = t_abs - t_abs[0]
        rel = np.round(rel, 6)  # CZML times in µs; samples closer than that would repeat a time
        keep = np.r_[True, rel[1:] > np.maximum.accumulate(rel)[:-1]]  # CZML needs increasing times
        tagged = np.column_stack([rel[keep], np.round(np.asarray(tr.r_ecef_m)[keep], 3)]).ravel().tolist()
        key = "interceptor" if tr.kind == "interceptor" else (
            "engageable" if tr.properties.get("feasible") else "not-engageable")
        col = COLORS[key]
        props = {k: v for k, v in tr.properties.items() if isinstance(v, (str, int, float, bool, list))}
        packets.append(Packet(
            id=tr.id, name=tr.label, description=f"{tr.kind}: {tr.label}",
            availability=TimeInterval(start=ep, end=epoch + timedelta(seconds=float(t_abs[-1]))),
            position=Position(epoch=ep, referenceFrame=ReferenceFrames.FIXED, cartesian=tagged,
                              interpolationAlgorithm=InterpolationAlgorithms.LAGRANGE, interpolationDegree=5),
            point=Point(pixelSize=8, color=Color(rgba=col)),
            path=Path(leadTime=0, trailTime=1e6, width=2, resolution=5,
                      material=PolylineMaterial(solidColor=SolidColorMaterial(color=Color(rgba=col)))),
            label=Label(text=tr.label, fillColor=Color(rgba=[255, 255, 255, 255]), scale=0.5),
            properties={"kind": tr.kind, **_jsonable(props)}))
    for s in scene.sites:
        packets.append(Packet(id=f"site-{s.name}", name=s.name,
                              position=Position(cartographicDegrees=[float(wrap_lon(s.lon_deg)), s.lat_deg, s.alt_m]),
                              point=Point(pixelSize=10, color=Color(rgba=COLORS["site"])),
                              label=Label(text=s.name, fillColor=Color(rgba=[255, 255, 255, 255]), scale=0.6),
                              properties={"kind": "site", **_jsonable(s.properties)}))
    for c in scene.coverage:
        packets.append(Packet(id=f"radar-{c.name}", name=c.name,
                              position=Position(cartographicDegrees=[float(wrap_lon(c.lon_deg)), c.lat_deg, c.alt_m]),
                              point=Point(pixelSize=6, color=Color(rgba=COLORS["site"])),
                              properties={"kind": "radar", **_jsonable(c.properties)}))
        ring = np.column_stack([c.ring_latlon[:-1, 1], c.ring_latlon[:-1, 0], np.zeros(len(c.ring_latlon) - 1)])
        packets.append(Packet(id=f"coverage-{c.name}",
                              name=f"{c.name} coverage (targets at {c.target_alt_km:g} km)",
                              polygon=Polygon(positions=PositionList(cartographicDegrees=ring.ravel().tolist()),
                                              material=Material(solidColor=SolidColorMaterial(
                                                  color=Color(rgba=COLORS["coverage"])))),
                              properties={"kind": "radar-coverage", "target_alt_km": c.target_alt_km,
                                          "ground_range_km": c.ground_range_km}))
    for i in scene.intercepts:
        when = epoch + timedelta(seconds=float(i.t_s))
        packets.append(Packet(id=f"intercept-{i.pair}", name=f"intercept {i.pair}",
                              availability=TimeInterval(start=when, end=end if end > when else when),
                              position=Position(cartographicDegrees=[float(wrap_lon(i.lon_deg)), i.lat_deg, i.alt_m]),
                              point=Point(pixelSize=9, color=Color(rgba=COLORS["intercept"])),
                              properties={"kind": "intercept", "intercept_t_s": float(i.t_s),
                                          **_jsonable(i.properties)}))
    return Document(packets=packets)


def _jsonable(d: dict) -> dict:
    """Packet properties as JSON values; a property with no value (None, NaN) is left out, since
    Cesium's CZML reader fails on a null property value ("reading 'hasOwnProperty'")."""
    out = {}
    for k, v in d.items():
        if isinstance(v, (np.floating,)):
            v = float(v)
        elif isinstance(v, np.integer):
            v = int(v)
        elif isinstance(v, np.bool_):
            v = bool(v)
        elif isinstance(v, dict):
            v = {str(a): b for a, b in v.items()}
        if v is None or (isinstance(v, float) and not np.isfinite(v)):
            continue
        out[k] = v
    return out


def write_czml(scene: Scene, path, epoch):
    """Write the scene as CZML (atomic)."""
    return atomic_write(path, to_czml(scene, epoch).dumps())
