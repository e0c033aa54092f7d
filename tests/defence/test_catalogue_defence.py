"""The defence catalogue: interceptors, sites, sensors. Every number sourced and graded, bad values
refused with one-line errors, and the radar-equation scaling of detection range.

References: the catalogue's own rules (docs/CATALOGUE-DEFENCE.md, shared/catalogue-sources.md
grades) and the radar equation R ∝ σ^(1/4) (Skolnik, *Introduction to Radar Systems*, 3rd ed.,
eq. 1.15), checked to RANGE_RTOL.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bmdcheck as bc
from bmdcheck.defence.interceptor import Interceptor, get_interceptor, interceptor_catalogue, interceptor_from_dict
from bmdcheck.defence.sensors import (EarlyWarning, Radar, early_warning_from_dict, get_early_warning, get_radar,
                                      radar_from_dict, sensor_catalogue, sensors_from_dict)
from bmdcheck.defence.sites import Site, get_site, site_catalogue, site_from_dict, sites_from_dict
from bmdcheck.flight.missile import Missile

RANGE_RTOL = 1e-12
GRADE = re.compile(r"\[(V|S|C|U|NF)(\]|,| data\]| weak| from)")
DATA_DIRS = ("interceptors", "sites", "sensors")

INTERCEPTORS = sorted(interceptor_catalogue())
RADARS = sorted(sensor_catalogue().radars)
SITES = sorted(site_catalogue())


def _s(v, src="[U] test value"):
    return {"value": v, "source": src}


def _one_line_error(match, fn, *args, **kw):
    with pytest.raises(bc.BmdcheckError, match=match) as e:
        fn(*args, **kw)
    assert "\n" not in str(e.value)
    return str(e.value)


GOOD_INTERCEPTOR = {
    "name": "test-kv", "party": "X",
    "burnout_speed_mps": _s(4000), "burn_time_s": _s(50),
    "min_intercept_alt_km": _s(100), "max_intercept_alt_km": _s(1000),
    "min_flight_time_s": _s(60), "max_flight_time_s": _s(600), "min_closing_speed_mps": _s(2000),
}
GOOD_RADAR = {
    "name": "test-radar", "lat_deg": _s(50.0), "lon_deg": _s(10.0), "alt_m": _s(100),
    "range_km": _s(1000), "rcs_ref_m2": _s(0.01), "elevation_mask_deg": _s(1), "min_track_s": _s(10),
}
GOOD_SITE = {
    "name": "test-site", "kind": "land", "lat_deg": _s(50.0), "lon_deg": _s(10.0), "alt_m": _s(100),
    "interceptors": {"sm-3-ib": _s(24)}, "radar": "spy-1-deveselu",
}


# ---- everything loads ------------------------------------------------------------------------

def test_catalogues_hold_the_brief():
    assert {"sm-3-ia", "sm-3-ib", "sm-3-iia", "sm-3-iib", "gbi-2-stage", "gbi-3-stage"} <= set(INTERCEPTORS)
    assert {"aegis-ashore-deveselu", "aegis-ashore-redzikowo", "aegis-ship-east-med", "aegis-ship-norwegian-sea",
            "aegis-ship-rota", "gbi-fort-greely", "gbi-vandenberg", "gbi-third-site-redzikowo-2007"} <= set(SITES)
    assert {"tpy-2-kurecik", "uewr-fylingdales", "uewr-thule", "uewr-clear", "uewr-beale", "uewr-cape-cod",
            "cobra-dane", "sbx"} <= set(RADARS)
    assert any(n.startswith("spy-1-") for n in RADARS)
    assert list(sensor_catalogue().early_warning) == ["sbirs-dsp"]
    assert get_site("gbi-third-site-redzikowo-2007").status == "historic"


def test_key_values_from_the_sources():
    assert get_interceptor("gbi-2-stage").spread_of("burnout_speed_mps") == (6300.0, 6300.0, 9000.0)
    assert get_interceptor("sm-3-iia").max_intercept_alt_km == 1000.0
    assert dict(get_site("aegis-ashore-deveselu").interceptors) == {"sm-3-ib": 24}
    assert dict(get_site("gbi-fort-greely").interceptors) == {"gbi-3-stage": 40}
    assert dict(get_site("gbi-vandenberg").interceptors) == {"gbi-3-stage": 4}
    assert dict(get_site("gbi-third-site-redzikowo-2007").interceptors) == {"gbi-2-stage": 10}


def test_lookup_is_case_insensitive_and_passes_objects_through():
    i = get_interceptor("SM-3-IIA")
    assert i is get_interceptor(" sm-3-iia ") and get_interceptor(i) is i
    assert get_site("GBI-Fort-Greely").name == "gbi-fort-greely"
    r = get_radar("TPY-2-Kurecik")
    assert get_radar(r) is r
    assert get_early_warning("SBIRS-DSP").cue_time_s == 60.0


def test_catalogues_are_read_only():
    with pytest.raises(TypeError):
        interceptor_catalogue()["x"] = None
    with pytest.raises(TypeError):
        get_site("gbi-vandenberg").interceptors["gbi-3-stage"] = 99


@pytest.mark.parametrize("name", SITES)
def test_site_radars_sit_at_their_sites(name):
    s = get_site(name)
    if s.radar is None:
        return
    r = get_radar(s.radar)
    assert (r.lat_deg, r.lon_deg) == (s.lat_deg, s.lon_deg)
    assert 0 <= r.alt_m - s.alt_m <= 50


# ---- every number has a source and a grade ----------------------------------------------------

def _walk(node, path, bad):
    """Collect numbers not inside a { value, source } table or a spread table."""
    if isinstance(node, dict):
        if "value" in node:
            if not isinstance(node.get("source"), str) or not GRADE.search(node["source"]):
                bad.append(f"{path}: value without a graded source")
            return
        for k, v in node.items():
            if k == "spread":
                for key, s in v.items():
                    if not GRADE.search(s.get("source", "")):
                        bad.append(f"{path}.spread.{key}: no graded source")
                    extra = set(s) - {"low", "nominal", "high", "source"}
                    if extra:
                        bad.append(f"{path}.spread.{key}: unexpected {sorted(extra)}")
                continue
            _walk(v, f"{path}.{k}", bad)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _walk(v, f"{path}[{i}]", bad)
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        bad.append(f"{path}: bare number {node!r}")


@pytest.mark.parametrize("folder", DATA_DIRS)
def test_no_bare_numbers_in_the_data_files(folder):
    files = [e for e in resources.files(f"bmdcheck.data.{folder}").iterdir() if e.name.endswith(".toml")]
    assert files
    bad: list[str] = []
    for e in files:
        _walk(tomllib.loads(e.read_text()), e.name, bad)
    assert not bad, bad


def _numeric(obj, keys):
    return {k: getattr(obj, k) for k in keys if isinstance(getattr(obj, k), float)}


@pytest.mark.parametrize("name", INTERCEPTORS)
def test_interceptor_numbers_are_sourced_and_assumptions_spread(name):
    i = get_interceptor(name)
    nums = _numeric(i, ("burnout_speed_mps", "burn_time_s", "min_intercept_alt_km", "max_intercept_alt_km",
                        "min_flight_time_s", "max_flight_time_s", "min_closing_speed_mps"))
    for k in nums:
        assert GRADE.search(i.sources[k]), k
        if i.sources[k].startswith("[U]"):
            assert k in i.spread, f"{name}.{k} is [U] but has no spread"
    for k, (lo, nom, hi) in {k: i.spread_of(k) for k in i.spread}.items():
        assert lo <= nom <= hi and nom == nums[k], k


@pytest.mark.parametrize("name", RADARS)
def test_radar_numbers_are_sourced_and_assumptions_spread(name):
    r = get_radar(name)
    for k in ("lat_deg", "lon_deg", "alt_m", "range_km", "rcs_ref_m2", "elevation_mask_deg", "max_elevation_deg",
              "min_track_s"):
        assert GRADE.search(r.sources[k]), k
    for k in ("range_km", "rcs_ref_m2", "elevation_mask_deg", "min_track_s"):
        if r.sources[k].startswith("[U]"):
            assert k in r.spread, f"{name}.{k} is [U] but has no spread"
    assert ("azimuth_min_deg" in r.sources) == (r.azimuth_min_deg is not None)


def test_early_warning_is_an_assumption_with_ranges():
    ew = get_early_warning("sbirs-dsp")
    for k in ("detect_after_s", "report_delay_s"):
        assert ew.sources[k].startswith("[U]") and k in ew.spread
        lo, nom, hi = ew.spread_of(k)
        assert 0 <= lo < nom < hi


@pytest.mark.parametrize("name", SITES)
def test_site_numbers_are_sourced(name):
    s = get_site(name)
    for k in ("lat_deg", "lon_deg", "alt_m"):
        assert GRADE.search(s.sources[k]), k
    assert s.interceptors and s.total_rounds > 0
    for k in s.interceptors:
        assert GRADE.search(s.sources[f"interceptors.{k}"]), k


# ---- booster: stage table or burnout-speed description ---------------------------------------

def test_burnout_description_has_no_booster():
    i = get_interceptor("sm-3-iia")
    assert i.booster is None and i.nominal_burnout_speed_mps == 4500.0


def test_stage_table_builds_a_booster():
    stage = {"propellant_kg": _s(1000), "dry_kg": _s(150), "burn_time_s": _s(30), "isp_vac_s": _s(270)}
    d = {k: v for k, v in GOOD_INTERCEPTOR.items() if k not in ("burnout_speed_mps", "burn_time_s")}
    d.update(stage=[stage, dict(stage, burn_time_s=_s(20))], payload_kg=_s(30), ref_area_m2=_s(0.1))
    i = interceptor_from_dict(d)
    assert isinstance(i.booster, Missile) and i.booster.cls == "interceptor"
    assert i.booster.payload_kg == 30.0 and i.burn_time_s == 50.0
    assert i.nominal_burnout_speed_mps is None
    assert "booster.stage[1].isp_vac_s" in i.sources and i.sources["burn_time_s"].startswith("[C]")
    _one_line_error("disagrees with the stage table", interceptor_from_dict, dict(d, burn_time_s=_s(80)))


def test_replace_sweeps_a_value_and_keeps_the_spread():
    i = get_interceptor("gbi-2-stage")
    hi = dataclasses.replace(i, burnout_speed_mps=i.spread_of("burnout_speed_mps")[2])
    assert hi.burnout_speed_mps == 9000.0 and hi.spread == i.spread
    _one_line_error("max_intercept_alt_km", dataclasses.replace, i, max_intercept_alt_km=50.0)


# ---- bad values: one-line BmdcheckError -------------------------------------------------------

@pytest.mark.parametrize("change, match", [
    ({"min_intercept_alt_km": _s(500), "max_intercept_alt_km": _s(100)}, "min_intercept_alt_km .500. must be below"),
    ({"min_flight_time_s": _s(-1)}, "min_flight_time_s must be zero or positive"),
    ({"max_flight_time_s": _s(30)}, "max_flight_time_s"),
    ({"burnout_speed_mps": _s(0)}, "burnout_speed_mps must be positive"),
    ({"burn_time_s": _s(-5)}, "burn_time_s must be positive"),
    ({"min_closing_speed_mps": _s(-1)}, "min_closing_speed_mps"),
    ({"burnout_speed_mps": 4000}, "must be { value"),
    ({"burnout_speed_mps": _s("fast")}, "must be a number"),
    ({"burnout_speed_mps": _s(4000, "")}, "empty source"),
    ({"burnout_speed_mps": _s(float("nan"))}, "finite"),
    ({"spread": {"burnout_speed_mps": {"low": 5000, "high": 3000, "source": "[U] x"}}}, "low <= nominal <= high"),
    ({"spread": {"burnout_speed_mps": {"low": 3000, "nominal": 3500, "high": 5000, "source": "[U] x"}}},
     "must equal the value"),
    ({"spread": {"colour": {"low": 1, "high": 2, "source": "[U] x"}}}, "unknown or non-numeric parameter"),
    ({"spread": {"burn_time_s": {"low": 1, "high": 2}}}, "non-empty 'source'"),
])
def test_bad_interceptor_values_are_refused(change, match):
    _one_line_error(match, interceptor_from_dict, dict(GOOD_INTERCEPTOR, **change))


def test_interceptor_without_any_booster_is_refused():
    d = {k: v for k, v in GOOD_INTERCEPTOR.items() if k != "burnout_speed_mps"}
    _one_line_error("give either", interceptor_from_dict, d)


@pytest.mark.parametrize("change, match", [
    ({"alt_m": _s(-10)}, "below ground"),
    ({"lat_deg": _s(91)}, "within ±90"),
    ({"lon_deg": _s(200)}, "within ±180"),
    ({"kind": "submarine"}, "kind must be one of"),
    ({"status": "rumoured"}, "status must be one of"),
    ({"interceptors": {"sm-3-ib": _s(2.5)}}, "whole number"),
    ({"interceptors": {"sm-3-ib": 24}}, "must be { value"),
    ({"kind": "ship", "alt_m": _s(500)}, "ship's alt_m"),
])
def test_bad_site_values_are_refused(change, match):
    _one_line_error(match, site_from_dict, dict(GOOD_SITE, **change))


def test_sea_level_and_ship_sites_are_accepted():
    assert site_from_dict(dict(GOOD_SITE, alt_m=_s(0))).alt_m == 0.0
    assert site_from_dict(dict(GOOD_SITE, kind="ship", alt_m=_s(0))).kind == "ship"


def test_unknown_names_are_refused():
    msg = _one_line_error("unknown interceptor 'sm-4'; known: gbi-2-stage", get_interceptor, "sm-4")
    assert "sm-3-iia" in msg
    _one_line_error("unknown site 'atlantis'; known:", get_site, "atlantis")
    _one_line_error("unknown radar 'x'; known:", get_radar, "x")
    _one_line_error("unknown early-warning system 'x'; known: sbirs-dsp", get_early_warning, "x")
    bad = site_from_dict(dict(GOOD_SITE, interceptors={"sm-9": _s(4)}, radar="no-such-radar"))
    _one_line_error("site 'test-site': unknown interceptor 'sm-9'", bad.validate_against, interceptor_catalogue())
    ok_inv = site_from_dict(dict(GOOD_SITE, radar="no-such-radar"))
    assert ok_inv.validate_against(["SM-3-IB"]) is ok_inv  # radars not checked when not given
    _one_line_error("unknown radar 'no-such-radar'", ok_inv.validate_against, interceptor_catalogue(),
                    sensor_catalogue().radars)


def test_files_with_several_or_one_site():
    two = sites_from_dict({"site": [GOOD_SITE, dict(GOOD_SITE, name="other")]})
    assert [s.name for s in two] == ["test-site", "other"]
    assert sites_from_dict(GOOD_SITE)[0].name == "test-site"
    _one_line_error("outside", sites_from_dict, {"site": [GOOD_SITE], "name": "x"})


@pytest.mark.parametrize("change, match", [
    ({"rcs_ref_m2": _s(0)}, "rcs_ref_m2 must be positive"),
    ({"range_km": _s(-1)}, "range_km must be positive"),
    ({"min_track_s": _s(-1)}, "min_track_s must be zero or positive"),
    ({"lat_deg": _s(-95)}, "within ±90"),
    ({"alt_m": _s(-600)}, "below"),
    ({"elevation_mask_deg": _s(30), "max_elevation_deg": _s(20)}, "elevation_mask_deg < max_elevation_deg"),
    ({"azimuth_min_deg": _s(10)}, "give both azimuth_min_deg and azimuth_max_deg"),
    ({"azimuth_min_deg": _s(10), "azimuth_max_deg": _s(400)}, r"in \[0, 360\)"),
    ({"azimuth_min_deg": _s(10), "azimuth_max_deg": _s(10)}, "omit both"),
])
def test_bad_radar_values_are_refused(change, match):
    _one_line_error(match, radar_from_dict, dict(GOOD_RADAR, **change))


@pytest.mark.parametrize("change, match", [
    ({"detect_after_s": _s(-1)}, "detect_after_s must be zero or positive"),
    ({"report_delay_s": _s(-10)}, "report_delay_s must be zero or positive"),
    ({"report_delay_s": 30}, "must be { value"),
])
def test_bad_early_warning_values_are_refused(change, match):
    good = {"name": "ew", "detect_after_s": _s(30), "report_delay_s": _s(30)}
    _one_line_error(match, early_warning_from_dict, dict(good, **change))


def test_sensor_file_structure_is_checked():
    _one_line_error("unknown top-level keys", sensors_from_dict, {"radars": []})
    _one_line_error("duplicate radar name", sensors_from_dict, {"radar": [GOOD_RADAR, GOOD_RADAR]})


# ---- radar equation -----------------------------------------------------------------------------

def test_sixteen_times_the_rcs_doubles_the_range():
    r = get_radar("tpy-2-kurecik")
    base = r.detection_range_m(r.rcs_ref_m2)
    assert base == pytest.approx(r.range_km * 1e3, rel=RANGE_RTOL)
    assert r.detection_range_m(16 * r.rcs_ref_m2) == pytest.approx(2 * base, rel=RANGE_RTOL)
    assert r.detection_range_m(r.rcs_ref_m2 / 16) == pytest.approx(base / 2, rel=RANGE_RTOL)


def test_detection_range_broadcasts_and_refuses_bad_rcs():
    r = get_radar("uewr-fylingdales")
    sig = np.array([[0.01, 0.1], [1.0, 10.0]])
    out = r.detection_range_m(sig)
    assert out.shape == (2, 2) and isinstance(r.detection_range_m(0.5), float)
    assert np.allclose(out, r.range_km * 1e3 * (sig / r.rcs_ref_m2) ** 0.25, rtol=RANGE_RTOL)
    for bad in (0.0, -1.0, float("nan"), [0.1, -0.1]):
        _one_line_error("radar cross-section must be positive", r.detection_range_m, bad)


def test_detection_range_agrees_with_the_coverage_kernels():
    from bmdcheck.defence.coverage import detection_range_m

    for name in RADARS:
        r = get_radar(name)
        assert r.detection_range_m(0.05) == pytest.approx(detection_range_m(r.range_km * 1e3, r.rcs_ref_m2, 0.05),
                                                         rel=RANGE_RTOL)


@given(st.floats(1e-4, 1e2), st.floats(0.1, 10.0))
def test_range_scales_as_the_fourth_root_of_rcs(sigma, k):
    r = Radar("p", "", 0.0, 0.0, 0.0, 1000.0, 0.01, 0.0, 90.0, None, None, 5.0)
    assert r.detection_range_m(sigma * k**4) == pytest.approx(k * r.detection_range_m(sigma), rel=1e-12)


def test_azimuth_width():
    assert get_radar("uewr-beale").azimuth_width_deg == 240.0
    assert get_radar("tpy-2-kurecik").azimuth_width_deg == 120.0
    assert get_radar("uewr-fylingdales").azimuth_width_deg == 360.0


def test_dataclasses_validate_when_built_directly():
    _one_line_error("min_intercept_alt_km", Interceptor, "x", "", "", None, 3000.0, 40.0, 200.0, 100.0, 60.0,
                    400.0, 0.0)
    _one_line_error("below ground", Site, "x", "", "land", 0.0, 0.0, -1.0, {}, None)
    _one_line_error("report_delay_s", EarlyWarning, "x", 10.0, -1.0)


def test_misspelt_keys_are_refused():
    _one_line_error(r"unknown keys \['spred'\]", interceptor_from_dict, dict(GOOD_INTERCEPTOR, spred={}))
    _one_line_error(r"unknown keys \['azimuth_min'\]", radar_from_dict, dict(GOOD_RADAR, azimuth_min=_s(3)))
    _one_line_error(r"unknown keys \['radars'\]", site_from_dict, dict(GOOD_SITE, radars="x"))


# ---- docs/CATALOGUE-DEFENCE.md stays in step with the data ------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "CATALOGUE-DEFENCE.md"
DOC_ROWS = [("burnout_speed_mps", "Burnout speed, m/s"), ("burn_time_s", "Burn time, s"),
            ("min_intercept_alt_km", "Min intercept altitude, km"), ("max_intercept_alt_km", "Max intercept altitude, km"),
            ("min_flight_time_s", "Min flight time, s"), ("max_flight_time_s", "Max flight time, s"),
            ("min_closing_speed_mps", "Min closing speed, m/s")]
DOC_ORDER = ["sm-3-ia", "sm-3-ib", "sm-3-iia", "sm-3-iib", "gbi-2-stage", "gbi-3-stage"]


def _fmt(x):
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:g}"


def _doc_cell(obj, key):
    lo, _, hi = obj.spread_of(key)
    grade = re.match(r"\[[^\]]+\]", obj.sources[key]).group(0)
    spread = f" ({_fmt(lo)}–{_fmt(hi)})" if key in obj.spread else ""
    return f"{_fmt(getattr(obj, key))}{spread} {grade}"


def test_the_interceptor_table_in_the_docs_is_regenerated_from_the_data():
    text = DOC.read_text()
    for key, label in DOC_ROWS:
        row = f"| {label} | " + " | ".join(_doc_cell(get_interceptor(n), key) for n in DOC_ORDER) + " |"
        assert row in text, row


def test_every_catalogue_entry_is_documented():
    text = DOC.read_text()
    names = INTERCEPTORS + RADARS + SITES + list(sensor_catalogue().early_warning)
    assert [n for n in names if f"`{n}`" not in text] == []
