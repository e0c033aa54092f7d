"""Geography rules against distances computed by hand on the 6,371-km sphere."""

import math

import pytest
from guarantee_helpers import rules_in, write

from bmdcheck.defence.coverage import horizon_range_m
from bmdcheck.guarantee import Context, check
from bmdcheck.scenario import load_scenario

R_KM = 6371.0


def deg(km):
    """Degrees of meridian arc for a distance on the sphere."""
    return math.degrees(km / R_KM)


def verdict(ctx, tmp_path, body):
    return check(ctx, rules_in(tmp_path, body), search=False).verdicts[0]


@pytest.mark.parametrize("within,expected", [(200.0, "FAIL"), (50.0, "PASS"), (100.5, "FAIL"), (99.5, "PASS")])
def test_site_within_km_of_a_point(engage_ctx, tmp_path, within, expected):
    # north-site is at 68 N, 0 E; the point 100 km due south of it
    v = verdict(engage_ctx, tmp_path, f"""
        [[rule]]
        id = "near-point"
        kind = "site-exclusion"
        party = "north"
        point = [{68.0 - deg(100.0)!r}, 0.0]
        within_km = {within}
        """)
    assert v.verdict == expected
    assert v.declared.metrics["nearest_km"] == pytest.approx(100.0, abs=1e-6)
    if expected == "FAIL":
        assert v.counterexample["site"] == "north-site" and v.counterexample["distance_km"] == pytest.approx(100.0)


def test_site_inside_a_polygon(engage_ctx, tmp_path):
    body = """
        [[rule]]
        id = "box"
        kind = "site-exclusion"
        polygon = {poly}
        """
    v = verdict(engage_ctx, tmp_path, body.format(poly="[[66.0, -2.0], [70.0, -2.0], [70.0, 2.0], [66.0, 2.0]]"))
    assert v.verdict == "FAIL" and v.counterexample["site"] == "north-site"
    assert verdict(engage_ctx, tmp_path, body.format(poly="[[40.0, 10.0], [45.0, 10.0], [45.0, 20.0]]")).verdict == "PASS"
    # only sites holding the listed types: the box around north-site (SM-3 IIA) says nothing of GBI sites
    only_gbi = body.format(poly="[[66.0, -2.0], [70.0, -2.0], [70.0, 2.0], [66.0, 2.0]]") + 'interceptors = ["gbi-3-stage"]\n'
    assert verdict(engage_ctx, tmp_path, only_gbi).verdict == "PASS"


RADAR_SCENARIO = """\
name = "guarantee-test-radar"

[[defence.sites]]
site = {{ name = "radar-ship", kind = "ship", lat_deg = 60.0, lon_deg = 0.0, radar = "spy-1-norwegian-sea" }}
interceptors = {{ "sm-3-iia" = 8 }}

[sensors]
early_warning = "sbirs-dsp"

[[threats]]
missile = "topol-m"
launch = "a"
aim = "b"

[areas]
a = {{ point = [54.038, 35.772] }}
b = {{ point = [40.714, -74.006] }}
target = {{ point = [{lat!r}, 0.0] }}
"""


def slant_km(ground_km, alt_km, radar_alt_km=0.02):
    """Radar (at radar_alt_km) to a point alt_km above a ground distance: law of cosines on the sphere."""
    a, b = R_KM + radar_alt_km, R_KM + alt_km
    return math.sqrt(a * a + b * b - 2 * a * b * math.cos(ground_km / R_KM))


def radar_ctx(tmp_path, ground_km):
    p = write(tmp_path / f"radar{ground_km:g}.toml", RADAR_SCENARIO.format(lat=60.0 + deg(ground_km)))
    return Context(load_scenario(p))


RADAR_RULE = """
    [[rule]]
    id = "cover"
    kind = "radar-coverage"
    area = "target"
    target_alt_km = 100.0
    rcs_m2 = 0.01          # the catalogue's reference RCS: detection range 500 km
    {extra}
    """


def test_radar_reaches_a_near_area(tmp_path):
    # 300 km away, 100 km up: slant ~316 km < 500 km, elevation ~17 deg > the 1-deg mask
    v = verdict(radar_ctx(tmp_path, 300.0), tmp_path, RADAR_RULE.format(extra=""))
    assert v.verdict == "FAIL" and v.binding == "declared"
    cx = v.counterexample
    assert cx["slant_range_km"] == pytest.approx(slant_km(300.0, 100.0), rel=0.01)
    assert cx["detection_range_km"] == pytest.approx(500.0)
    assert cx["radar"].startswith("spy-1-norwegian-sea@radar-ship")
    assert cx["point"]["lat"] == pytest.approx(60.0 + deg(300.0))


def test_radar_range_margin_is_binding(tmp_path):
    # 700 km away: slant ~706 km: beyond 500 km, within 1.5 x 500 = 750 km
    ctx = radar_ctx(tmp_path, 700.0)
    assert 500 < slant_km(700.0, 100.0) < 750
    v = verdict(ctx, tmp_path, RADAR_RULE.format(extra=""))
    assert v.verdict == "PASS"
    assert v.declared.metrics["range_scale_to_reach"] == pytest.approx(slant_km(700.0, 100.0) / 500.0, rel=0.01)
    v = verdict(ctx, tmp_path, RADAR_RULE.format(extra="margins = { radar_range_scale = 1.5 }"))
    assert v.declared.ok and v.verdict == "FAIL" and v.binding == ["radar_range_scale"]
    assert v.counterexample["detection_range_km"] == pytest.approx(750.0)


def test_radar_beyond_the_horizon_passes_at_any_range(tmp_path):
    # 1,500 km away, 100 km up: the line of sight from 20 m is cut by the Earth (grazing reach ~1,150 km)
    assert slant_km(1500.0, 100.0) > horizon_range_m(20.0, 100e3) / 1e3
    v = verdict(radar_ctx(tmp_path, 1500.0), tmp_path, RADAR_RULE.format(extra="margins = { radar_range_scale = 10 }"))
    assert v.verdict == "PASS" and v.declared.metrics["range_scale_to_reach"] is None
    r = v.declared.metrics["radars"]
    assert list(r.values())[0]["horizon_range_km"] == pytest.approx(horizon_range_m(20.0, 100e3) / 1e3)
