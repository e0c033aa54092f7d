"""KML 2.2 export for Google Earth: ``altitudeMode`` absolute, coordinates lon,lat,alt in metres.

Element order follows the KML 2.2 schema (name, time primitive, styleUrl, ExtendedData, geometry).
Folders: threats (one Placemark per trajectory, LineString with a TimeSpan; ExtendedData ``t_s``
lists each vertex's time on the scenario clock, ``feasible``, ``reason``, ``window``),
interceptors (fly-out paths), sites and radars (Points), radar coverage (Polygons on the ground),
intercepts (Points with a TimeStamp). Times are UTC from the export epoch. Placemark ids are XML NCNames
(characters other than letters, digits, '_', '-', '.' become '_').
"""

from __future__ import annotations

import re
from datetime import timedelta
from xml.sax.saxutils import escape

import numpy as np

from .model import Scene, atomic_write, wrap_lon

NS = "http://www.opengis.net/kml/2.2"
STYLES = {"engageable": "ffd27619", "not-engageable": "ff0080ff", "interceptor": "ff3ca02c",
          "site": "ff000000", "coverage": "40b48246", "intercept": "ff0000d6"}  # aabbggrr


def _id(text: str) -> str:
    """An XML ID (NCName): letters, digits, '_', '-', '.'; anything else becomes '_'."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", str(text))


def _utc(epoch, t):
    return (epoch + timedelta(seconds=float(t))).isoformat().replace("+00:00", "Z")


def _coords(lon, lat, alt) -> str:
    return " ".join(f"{lo:.7f},{la:.7f},{al:.3f}" for lo, la, al in zip(wrap_lon(lon), lat, alt))


def _data(d: dict) -> str:
    items = []
    for k, v in d.items():
        if v is None:
            v = ""
        elif isinstance(v, (list, tuple, np.ndarray)):
            v = ",".join(f"{x:.3f}" if isinstance(x, (float, np.floating)) else str(x) for x in v)
        items.append(f'<Data name="{escape(str(k))}"><value>{escape(str(v))}</value></Data>')
    return "<ExtendedData>" + "".join(items) + "</ExtendedData>"


def to_kml(scene: Scene, epoch) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<kml xmlns="{NS}">', "<Document>",
           f"<name>{escape(scene.name)}</name>"]
    for sid, col in STYLES.items():
        if sid in ("coverage",):
            out.append(f'<Style id="{sid}"><LineStyle><color>ff{col[2:]}</color><width>1</width></LineStyle>'
                       f"<PolyStyle><color>{col}</color></PolyStyle></Style>")
        elif sid in ("site", "intercept"):
            out.append(f'<Style id="{sid}"><IconStyle><color>{col}</color></IconStyle></Style>')
        else:
            out.append(f'<Style id="{sid}"><LineStyle><color>{col}</color><width>3</width></LineStyle></Style>')
    for kind, title in (("threat", "threats"), ("interceptor", "interceptors")):
        out.append(f"<Folder><name>{title}</name>")
        for tr in (x for x in scene.tracks if x.kind == kind):
            t_abs = tr.t0_s + np.asarray(tr.t_s, float)
            style = "interceptor" if kind == "interceptor" else (
                "engageable" if tr.properties.get("feasible") else "not-engageable")
            props = {**tr.properties, "t_s": [float(x) for x in t_abs]}
            out.append(f'<Placemark id="{_id(tr.id)}"><name>{escape(tr.label)}</name>'
                       f"<TimeSpan><begin>{_utc(epoch, t_abs[0])}</begin><end>{_utc(epoch, t_abs[-1])}</end></TimeSpan>"
                       f"<styleUrl>#{style}</styleUrl>{_data(props)}<LineString><extrude>0</extrude><tessellate>0</tessellate>"
                       f"<altitudeMode>absolute</altitudeMode><coordinates>{_coords(tr.lon_deg, tr.lat_deg, tr.alt_m)}"
                       f"</coordinates></LineString></Placemark>")
        out.append("</Folder>")
    out.append("<Folder><name>sites</name>")
    for s in scene.sites:
        out.append(f'<Placemark id="{_id("site-" + s.name)}"><name>{escape(s.name)}</name><styleUrl>#site</styleUrl>'
                   f"{_data(s.properties)}<Point><altitudeMode>absolute</altitudeMode><coordinates>"
                   f"{_coords([s.lon_deg], [s.lat_deg], [s.alt_m])}</coordinates></Point></Placemark>")
    out.append("</Folder><Folder><name>radar coverage</name>")
    for c in scene.coverage:
        ring = c.ring_latlon
        out.append(f'<Placemark id="{_id("radar-" + c.name)}"><name>{escape(c.name)}</name><styleUrl>#site</styleUrl>'
                   f"{_data(c.properties)}<Point><altitudeMode>absolute</altitudeMode><coordinates>"
                   f"{_coords([c.lon_deg], [c.lat_deg], [c.alt_m])}</coordinates></Point></Placemark>")
        out.append(f'<Placemark id="{_id("coverage-" + c.name)}"><name>{escape(c.name)} coverage (targets at '
                   f"{c.target_alt_km:g} km)</name><styleUrl>#coverage</styleUrl>"
                   f"{_data({'target_alt_km': c.target_alt_km, 'ground_range_km': round(c.ground_range_km, 3)})}"
                   f"<Polygon><tessellate>1</tessellate><altitudeMode>clampToGround</altitudeMode><outerBoundaryIs>"
                   f"<LinearRing><coordinates>{_coords(ring[:, 1], ring[:, 0], np.zeros(len(ring)))}</coordinates>"
                   f"</LinearRing></outerBoundaryIs></Polygon></Placemark>")
    out.append("</Folder><Folder><name>intercepts</name>")
    for i in scene.intercepts:
        out.append(f'<Placemark id="{_id("intercept-" + i.pair)}"><name>intercept {escape(i.pair)}</name>'
                   f"<TimeStamp><when>{_utc(epoch, i.t_s)}</when></TimeStamp><styleUrl>#intercept</styleUrl>"
                   f"{_data({**i.properties, 'intercept_t_s': i.t_s})}<Point><altitudeMode>absolute</altitudeMode><coordinates>"
                   f"{_coords([i.lon_deg], [i.lat_deg], [i.alt_m])}</coordinates></Point></Placemark>")
    out.append("</Folder></Document></kml>")
    return "\n".join(out) + "\n"


def write_kml(scene: Scene, path, epoch):
    """Write the scene as KML 2.2 (atomic)."""
    return atomic_write(path, to_kml(scene, epoch))
