"""Ship position anywhere in a declared sea box, as a joint margin (guarantee/joint.py): planted
oracles whose worst ship position is a box corner or its interior, which a check at the declared
position misses; the corner's site transformation; a sea box without area is bad input (exit 2)."""

import subprocess
import sys

import pytest

from bmdcheck.defence.engage import SiteSpec
from bmdcheck.defence.sensors import get_radar
from bmdcheck.guarantee.joint import SHIP_STEPS, capability_box, joint_search, sea_box_candidates, to_json
from bmdcheck.guarantee.margins import Corner, site_at

BOX = capability_box(decision_delay_s=60.0, early_warning_delay_s=None)
SEA = {"ship-a": (60.0, 64.0, -4.0, 4.0, 62.0, 0.0)}   # 4° x 8° box, ship declared at its centre


def _ship(c):
    return dict((n, (la, lo)) for n, la, lo in c.ship_positions).get("ship-a", (62.0, 0.0))


def test_corner_ship_position_found_that_the_declared_position_misses():
    # breaks only with the ship within 0.5° of the north-west corner (64, -4)
    def holds(c):
        la, lo = _ship(c)
        return not (la >= 63.5 and lo <= -3.5)

    assert holds(Corner())                                   # the fixed-position check holds
    res = joint_search(holds, BOX, SEA)
    assert res["breaks"] and res["moved"] == ["ship:ship-a"] and res["single"]["ship:ship-a"]
    la, lo = _ship(res["corner"])
    assert not holds(res["corner"]) and la >= 63.5 and lo <= -3.5
    # refined toward the declared position on the 1/16 grid: one step back holds
    j = round((la - 62.0) / (2.0 / SHIP_STEPS))
    assert holds(Corner(ship_positions=(("ship-a", 62.0 + 2.0 * (j - 1) / SHIP_STEPS,
                                         -4.0 * (j - 1) / SHIP_STEPS),)))
    assert res["corner"].burnout_scale == 1.0 and "ship ship-a at (6" in to_json(res)["corner"]
    assert to_json(res)["corner_values"]["ship_positions"][0]["site"] == "ship-a"


def test_interior_ship_position_found():
    # ship declared at the south-east corner; the rule breaks only near the middle of the box
    sea = {"ship-a": (60.0, 64.0, -4.0, 4.0, 60.0, 4.0)}

    def holds(c):
        la, lo = dict((n, (a, b)) for n, a, b in c.ship_positions).get("ship-a", (60.0, 4.0))
        return not (abs(la - 62.0) < 0.6 and abs(lo) < 1.2)

    assert holds(Corner())
    assert all(holds(Corner(ship_positions=(("ship-a", la, lo),))) for la in (60.0, 64.0) for lo in (-4.0, 4.0))
    res = joint_search(holds, {}, sea)
    assert res["breaks"] and not holds(res["corner"])
    assert (62.0, 0.0) in sea_box_candidates(sea["ship-a"])


def test_ship_position_jointly_with_burnout_speed():
    # breaks only with burnout >= x1.30 AND the ship in the northern half: missed one at a time
    def holds(c):
        return not (c.burnout_scale >= 1.3 - 1e-9 and _ship(c)[0] >= 63.0)

    res = joint_search(holds, BOX, SEA)
    assert res["breaks"] and not any(res["single"].values())
    assert set(res["moved"]) == {"burnout_scale", "ship:ship-a"} and to_json(res)["missed_one_at_a_time"]
    assert res["corner"].burnout_scale == pytest.approx(1.30) and _ship(res["corner"])[0] >= 63.0
    never = joint_search(lambda c: True, BOX, SEA)
    assert not never["breaks"]


def test_site_at_moves_the_ship_and_its_radar():
    radar = get_radar("spy-1-norwegian-sea")
    s = SiteSpec("ship-a", 62.0, 0.0, 0.0, radar)
    c = Corner(radar_range_scale=2.0, ship_positions=(("ship-a", 63.0, -1.5),))
    m = site_at(s, c)
    assert (m.lat_deg, m.lon_deg) == (63.0, -1.5) and (m.radar.lat_deg, m.radar.lon_deg) == (63.0, -1.5)
    assert m.radar.range_km == pytest.approx(2 * radar.range_km) and m.radar.alt_m == radar.alt_m
    other = site_at(SiteSpec("land", 50.0, 10.0), c)
    assert (other.lat_deg, other.lon_deg) == (50.0, 10.0)


SCENARIO = """\
name = "sea-box"

[[defence.sites]]
site = {{ name = "ship-a", kind = "ship", lat_deg = 62.0, lon_deg = 0.0, radar = "spy-1-norwegian-sea" }}
interceptors = {{ "sm-3-iia" = 8 }}
sea_box = {{ lat_min_deg = {a}, lat_max_deg = {b}, lon_min_deg = -4.0, lon_max_deg = 4.0 }}

[sensors]
early_warning = "sbirs-dsp"
remote_radars = []

[[threats]]
missile = "topol-m"
launch = "k"
aim = "n"

[areas]
k = {{ point = [54.038, 35.772] }}
n = {{ point = [40.714, -74.006] }}
"""


def test_sea_box_without_area_is_one_line_exit_2(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text(SCENARIO.format(a=62.0, b=62.0))
    r = subprocess.run([sys.executable, "-m", "bmdcheck.cli", "assess", str(p), "--out", str(tmp_path / "out")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert "sea box without area" in lines[0] and "sea_box" in lines[0]
    assert not (tmp_path / "out").exists()
