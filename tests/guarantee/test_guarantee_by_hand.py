"""Engagement guarantees whose answers are known by hand, not from the engine (issue 9, item 10).

- ``terminal`` (a GBI site at the aim point, New York): the RV falls onto the site, so it passes
  within 300 km ground range of it at every altitude of the GBI's 100-2,000-km band, ~1,500 s after
  the interceptor could have been launched (cue 60 s + decision 60 s). A 7.5 km/s interceptor
  reaches any point within 300 km and 1,000 km up in a few minutes (a vertical shot alone climbs
  v²/2g ≈ 2,900 km), and a descending RV meets a rising interceptor at more than the RV's own
  ~7 km/s, above the 3 km/s floor. So the rule "no engagement" must FAIL there.
- ``antipode`` (the far side of the Earth from the track): every point of the trajectory is more
  than 13,000 km of great circle away (computed here with PROJ's geodesic), while the interceptor
  cannot travel farther than its speed times its flight-time limit, 1.15 × 7,500 m/s × 1,500 s =
  12,938 km, even with the +15 % margin. So the rule must PASS at the margin too.
"""

from __future__ import annotations

import numpy as np
import pytest
from guarantee_helpers import KOZELSK, NEW_YORK, engagement_rule, rules_in, write
from pyproj import Geod

from bmdcheck.guarantee import Context, check
from bmdcheck.scenario import load_scenario

SCENARIO = f"""\
name = "guarantee-by-hand"

[[defence.sites]]
site = {{ name = "terminal", kind = "land", lat_deg = {NEW_YORK[0]}, lon_deg = {NEW_YORK[1]} }}
interceptors = {{ "gbi-3-stage" = 4 }}

[[defence.sites]]
site = {{ name = "antipode", kind = "land", lat_deg = -52.0, lon_deg = 160.0 }}
interceptors = {{ "gbi-3-stage" = 4 }}

[sensors]
early_warning = "sbirs-dsp"

[timeline]
mode = "early-warning-only"

[[threats]]
missile = "topol-m"
launch = "kozelsk"
aim = "new-york"

[areas]
kozelsk = {{ point = [{KOZELSK[0]}, {KOZELSK[1]}] }}
new-york = {{ point = [{NEW_YORK[0]}, {NEW_YORK[1]}] }}
"""
PARTIES = """\
[parties.terminal]
sites = ["terminal"]

[parties.antipode]
sites = ["antipode"]
"""
@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    d = tmp_path_factory.mktemp("by-hand")
    return Context(load_scenario(write(d / "s.toml", SCENARIO)))


def test_terminal_site_at_the_aim_point_fails(ctx, tmp_path):
    v = check(ctx, rules_in(tmp_path, engagement_rule("terminal"), parties=PARTIES), search=False).verdicts[0]
    assert v.verdict == "FAIL" and v.counterexample["site"] == "terminal"
    p = v.counterexample["intercept_point"]
    assert 100.0 <= p["alt_km"] <= 2000.0
    d_km = Geod(ellps="WGS84").inv(NEW_YORK[1], NEW_YORK[0], p["lon"], p["lat"])[2] / 1e3
    assert d_km <= 7.5 * 1500.0  # no farther than speed x flight-time limit from the site


def test_antipodal_site_passes_even_with_the_speed_margin(ctx, tmp_path):
    from bmdcheck.flight.trajectory import fly

    s = fly("topol-m", KOZELSK, NEW_YORK, sample_interval_s=10.0).samples
    g = Geod(ellps="WGS84")
    d_min_km = np.min(g.inv(np.full(len(s.t_s), 160.0), np.full(len(s.t_s), -52.0), s.lon_deg, s.lat_deg)[2]) / 1e3
    reach_km = 1.15 * 7500.0 * 1500.0 / 1e3
    assert d_min_km > reach_km  # the hand bound holds for this geometry
    body = "[margins]\nburnout_speed_increase_pct = 15\n" + engagement_rule("antipode")
    v = check(ctx, rules_in(tmp_path, body, parties=PARTIES), search=False).verdicts[0]
    assert v.verdict == "PASS" and v.counterexample is None
