"""--czml / --kml / --geojson on `bmdcheck fly` and `bmdcheck engage`."""

import json
import xml.etree.ElementTree as ET

import numpy as np
from pyproj import Transformer

import bmdcheck as bc

FLY = ["fly", "--missile", "topol-m", "--from", "54.04,35.77", "--to", "38.90,-77.04"]
TO_ECEF = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)


def test_fly_exports(cli, tmp_path):
    rc, out, err = cli(*FLY, "--geojson", tmp_path / "f.geojson", "--kml", tmp_path / "f.kml", "--czml",
                       tmp_path / "f.czml", "--epoch", "2026-03-01T12:00:00Z")
    assert rc == 0, err
    g = json.loads((tmp_path / "f.geojson").read_text())
    (f,) = g["features"]
    assert f["properties"]["kind"] == "threat" and f["properties"]["missile"] == "topol-m"
    assert f["properties"]["utc"][0] == "2026-03-01T12:00:00Z"
    ref = bc.fly("topol-m", (54.04, 35.77), (38.90, -77.04), sample_interval_s=1.0).samples
    k = 600
    lon, lat, alt = f["geometry"]["coordinates"][f["properties"]["t_s"].index(float(ref.t_s[k]))]
    got = np.array(TO_ECEF.transform(lon, lat, alt))
    want = np.array(TO_ECEF.transform(ref.lon_deg[k], ref.lat_deg[k], ref.alt_km[k] * 1e3))
    assert np.linalg.norm(got - want) < 1.0
    assert ET.parse(tmp_path / "f.kml").getroot().tag.endswith("kml")
    from czml3 import Document

    Document.load(tmp_path / "f.czml")


def test_engage_exports_site_radar_intercept_and_flyout(cli, tmp_path):
    rc, out, err = cli("engage", "--missile", "topol-m", "--from", "54.04,35.77", "--to", "40.71,-74.0",
                       "--site", "aegis-ashore-redzikowo", "--interceptor", "gbi-3-stage", "--mode",
                       "early-warning-only", "--json", "--geojson", tmp_path / "e.geojson", "--epoch", "2026-01-01")
    assert rc == 0, err
    rec = json.loads(out)
    g = json.loads((tmp_path / "e.geojson").read_text())
    kinds = [f["properties"]["kind"] for f in g["features"]]
    assert {"threat", "site", "radar", "radar-coverage"} <= set(kinds)
    assert rec["feasible"]  # GBI on early warning against this track (the branch below must run)
    if rec["feasible"]:
        assert "intercept" in kinds and "interceptor" in kinds
        ic = next(f for f in g["features"] if f["properties"]["kind"] == "intercept")
        assert abs(ic["geometry"]["coordinates"][2] - rec["intercept_first"]["alt_km"] * 1e3) < 1.0
        it = next(f for f in g["features"] if f["properties"]["kind"] == "interceptor")
        end = it["geometry"]["coordinates"][-1]
        a = np.array(TO_ECEF.transform(*end))
        b = np.array(TO_ECEF.transform(*ic["geometry"]["coordinates"]))
        assert np.linalg.norm(a - b) < 100.0  # the fly-out path ends at the intercept point
        assert abs(it["properties"]["t_s"][-1] - rec["first_s"]) < 1e-3


def test_export_option_errors_before_any_work(cli, tmp_path):
    rc, out, err = cli(*FLY, "--geojson", tmp_path / "no" / "f.geojson")
    assert rc == 2 and err.count("\n") == 1 and "does not exist" in err and out == ""
    rc, out, err = cli(*FLY, "--kml", tmp_path)
    assert rc == 2 and "is a directory" in err
    rc, out, err = cli(*FLY, "--czml", tmp_path / "x.czml", "--epoch", "soon")
    assert rc == 2 and "--epoch" in err and not (tmp_path / "x.czml").exists()


def test_geojson_track_across_the_antimeridian(cli, tmp_path):
    """Vladivostok -> Honolulu crosses 180°: a MultiLineString whose parts meet on the meridian."""
    from shapely.geometry import shape

    rc, _, err = cli("fly", "--missile", "topol-m", "--from", "43.1,131.9", "--to", "21.3,-157.9", "--geojson",
                     tmp_path / "a.geojson", "--epoch", "2026-01-01T00:00:00Z")
    assert rc == 0, err
    (f,) = json.loads((tmp_path / "a.geojson").read_text())["features"]
    g = f["geometry"]
    assert g["type"] == "MultiLineString" and len(g["coordinates"]) == 2
    a, b = g["coordinates"]
    assert abs(a[-1][0]) == 180.0 and b[0][0] == -a[-1][0] and a[-1][1:] == b[0][1:]
    for part in g["coordinates"]:
        assert np.all(np.abs(np.diff([p[0] for p in part])) < 180)
    assert shape(g).is_valid
    assert len(f["properties"]["t_s"]) == len(a) + len(b)
    assert all(k in f["properties"] for k in ("missile", "shape", "feasible", "reason", "window"))
