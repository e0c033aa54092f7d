"""CZML / KML / GeoJSON exports: each parses with an independent reader and carries the flown samples.

Sample check: the threat is flown again with the public ``bmdcheck.fly`` (same steering solve and
tolerance as the assessment), its geodetic sample at t is converted to ECEF with pyproj
(EPSG:4979 -> EPSG:4978, independent of bmdcheck's own frames code) and compared with the
exported point at the same time: within 1 m.
"""

import json
import math
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import numpy as np
import pytest
from pyproj import Transformer

import bmdcheck as bc
from bmdcheck.export import export_results, split_antimeridian

EPOCH = "2026-01-01T00:00:00Z"
T_CHECK = (0, 300, 900)  # s after launch: samples checked in each export
TO_ECEF = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)


@pytest.fixture(scope="module")
def files(results_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("export")
    paths = {"czml": d / "s.czml", "kml": d / "s.kml", "geojson": d / "s.geojson"}
    export_results(results_dir, epoch=EPOCH, **paths)
    return paths


@pytest.fixture(scope="module")
def reference():
    """Threat case 0 of the test scenario (topol-m, min-energy), flown with the public API: ECEF per t."""
    tr = bc.fly("topol-m", (54.038, 35.772), (40.714, -74.006), "min-energy", sample_interval_s=1.0, rtol=1e-10)
    s = tr.samples
    x, y, z = TO_ECEF.transform(s.lon_deg, s.lat_deg, s.alt_km * 1e3)
    return {round(float(t), 6): np.array([a, b, c]) for t, a, b, c in zip(s.t_s, x, y, z)}


def test_czml_validates_round_trips_and_samples(files, reference):
    from czml3 import Document

    doc = Document.load(files["czml"])  # validates every packet with czml3's models
    assert json.loads(doc.dumps()) == json.loads(files["czml"].read_text())  # round trip
    packets = {p["id"]: p for p in json.loads(files["czml"].read_text())}
    assert packets["document"]["version"] == "1.0"
    th = packets["threat-0"]
    assert th["position"]["referenceFrame"] == "FIXED" and th["properties"]["missile"] == "topol-m"
    assert th["position"]["epoch"].startswith("2026-01-01T00:00:00")
    c = np.array(th["position"]["cartesian"]).reshape(-1, 4)
    for t in T_CHECK:
        k = int(np.nonzero(np.isclose(c[:, 0], t))[0][0])
        assert np.linalg.norm(c[k, 1:] - reference[float(t)]) < 1.0
    kinds = {p.get("properties", {}).get("kind") for p in packets.values()}
    assert {"threat", "interceptor", "site", "radar", "radar-coverage", "intercept"} <= kinds


def test_kml_parses_absolute_altitudes_and_samples(files, reference):
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    root = ET.parse(files["kml"]).getroot()
    assert root.tag == "{http://www.opengis.net/kml/2.2}kml"
    lines = root.findall(".//k:LineString", ns)
    assert len(lines) >= 3 and all(ls.find("k:altitudeMode", ns).text == "absolute" for ls in lines)
    pm = root.find(".//k:Placemark[@id='threat-0']", ns)
    ts = [float(x) for x in pm.find(".//k:Data[@name='t_s']/k:value", ns).text.split(",")]
    coords = [tuple(map(float, v.split(","))) for v in pm.find(".//k:coordinates", ns).text.split()]
    assert len(coords) == len(ts) and all(len(c) == 3 for c in coords)
    begin = datetime.fromisoformat(pm.find(".//k:TimeSpan/k:begin", ns).text.replace("Z", "+00:00"))
    assert begin == datetime(2026, 1, 1, tzinfo=timezone.utc)
    for t in T_CHECK:
        lon, lat, alt = coords[ts.index(float(t))]
        assert np.linalg.norm(np.array(TO_ECEF.transform(lon, lat, alt)) - reference[float(t)]) < 1.0
    names = {f.find("k:name", ns).text for f in root.findall(".//k:Folder", ns)}
    assert names == {"threats", "interceptors", "sites", "radar coverage", "intercepts"}


def _check_position(p):
    assert isinstance(p, list) and len(p) in (2, 3) and all(isinstance(v, (int, float)) for v in p)
    assert -180 <= p[0] <= 180 and -90 <= p[1] <= 90


def validate_geojson(doc):
    """A strict RFC 7946 check of the parts this export uses."""
    assert doc["type"] == "FeatureCollection" and isinstance(doc["features"], list)
    for f in doc["features"]:
        assert f["type"] == "Feature" and isinstance(f["properties"], dict)
        g = f["geometry"]
        if g["type"] == "Point":
            _check_position(g["coordinates"])
        elif g["type"] == "LineString":
            assert len(g["coordinates"]) >= 2
            for p in g["coordinates"]:
                _check_position(p)
            lon = np.array([p[0] for p in g["coordinates"]])
            assert np.all(np.abs(np.diff(lon)) <= 180)  # split at the antimeridian
        elif g["type"] == "MultiLineString":
            for line in g["coordinates"]:
                validate_geojson({"type": "FeatureCollection", "features": [
                    {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": line}}]})
        elif g["type"] == "Polygon":
            for ring in g["coordinates"]:
                assert len(ring) >= 4 and ring[0] == ring[-1]
                for p in ring:
                    _check_position(p)
            x, y = np.array(g["coordinates"][0]).T[:2]
            assert 0.5 * np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) > 0  # exterior ring counter-clockwise
        else:
            raise AssertionError(f"unexpected geometry {g['type']}")


def _flat(coords):
    """All positions of a geometry's coordinates as one (n, dim) array."""
    a = np.asarray(coords, dtype=object)
    if a.ndim == 1 and not isinstance(coords[0], (list, tuple)):
        return np.asarray([coords], float)
    out = []
    for c in coords:
        out.extend(_flat(c) if isinstance(c[0], (list, tuple)) else [c])
    return np.asarray(out, float)


def test_geojson_validates_round_trips_and_samples(files, reference):
    from shapely.geometry import mapping, shape

    doc = json.loads(files["geojson"].read_text())
    validate_geojson(doc)
    for f in doc["features"]:  # round trip through a GIS library
        geom = shape(f["geometry"])
        assert geom.is_valid
        back = mapping(geom)
        assert back["type"] == f["geometry"]["type"]
        assert np.allclose(_flat(back["coordinates"]), _flat(f["geometry"]["coordinates"]))
    th = next(f for f in doc["features"] if f["id"] == "threat-0")
    p = th["properties"]
    assert p["missile"] == "topol-m" and p["shape"] == "min-energy" and p["feasible"] is True
    assert p["reason"] == "feasible" and len(p["window"]) == 2 and p["window"][0] < p["window"][1]
    coords = th["geometry"]["coordinates"]
    for t in T_CHECK:
        lon, lat, alt = coords[p["t_s"].index(float(t))]
        assert np.linalg.norm(np.array(TO_ECEF.transform(lon, lat, alt)) - reference[float(t)]) < 1.0
    kinds = {f["properties"]["kind"] for f in doc["features"]}
    assert kinds == {"threat", "interceptor", "site", "radar", "radar-coverage", "intercept"}
    for f in doc["features"]:  # the five threat properties on every feature
        assert {"missile", "shape", "feasible", "reason", "window"} <= set(f["properties"])
        if f["properties"]["kind"] in ("interceptor", "intercept"):
            assert f["properties"]["missile"] == "topol-m" and f["properties"]["feasible"] is True


def test_antimeridian_split():
    lon = np.array([170.0, 175.0, -178.0, -170.0])
    lat = np.array([10.0, 11.0, 12.0, 13.0])
    alt = np.array([0.0, 1e5, 2e5, 3e5])
    t = np.array([0.0, 10.0, 20.0, 30.0])
    parts = split_antimeridian(lon, lat, alt, t)
    assert len(parts) == 2
    (lo1, la1, al1, t1), (lo2, la2, al2, t2) = parts
    assert lo1[-1] == 180.0 and lo2[0] == -180.0
    f = 5.0 / 7.0  # 175 -> 182 (= -178) crosses 180 at 5/7 of the step
    assert math.isclose(la1[-1], 11.0 + f, rel_tol=1e-12) and math.isclose(t2[0], 10.0 + 10 * f, rel_tol=1e-12)
    assert la1[-1] == la2[0] and al1[-1] == al2[0]
    assert list(lo1[:-1]) == [170.0, 175.0] and list(lo2[1:]) == [-178.0, -170.0]


def test_kml_validates_against_the_kml_22_schema(files):
    """fastkml (an independent KML library) parses strictly and validates against the OGC XSD."""
    import warnings

    kml = pytest.importorskip("fastkml.kml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = kml.KML.parse(files["kml"], strict=True, validate=True)
    folders = {f.name: f for f in k.features[0].features}
    th = folders["threats"].features[0]
    assert type(th.geometry).__name__ == "LineString" and len(th.geometry.coords[0]) == 3
    assert th.times is not None and folders["intercepts"].features[0].times is not None


def test_geojson_reads_in_gdal(files, reference):
    """GDAL's GeoJSON driver (through pyogrio) reads every feature, in 3-D, with its properties."""
    raw = pytest.importorskip("pyogrio.raw")
    from shapely import from_wkb

    meta, _, geom, fields = raw.read(files["geojson"])
    doc = json.loads(files["geojson"].read_text())
    assert len(geom) == len(doc["features"])
    names = list(meta["fields"])
    kinds = list(fields[names.index("kind")])
    gs = from_wkb(geom)
    th = gs[kinds.index("threat")]
    assert th.has_z and th.geom_type in ("LineString", "MultiLineString")
    p = doc["features"][kinds.index("threat")]["properties"]
    k = p["t_s"].index(300.0)
    lon, lat, alt = np.asarray(th.coords)[k] if th.geom_type == "LineString" else np.concatenate(
        [np.asarray(g.coords) for g in th.geoms])[k]
    assert np.linalg.norm(np.array(TO_ECEF.transform(lon, lat, alt)) - reference[300.0]) < 1.0
