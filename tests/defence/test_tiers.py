"""Sensor tiers, reason codes, launch diagnostics and the phase/band cross-section model, on cases
whose answers are known by hand (geometry, the radar equation, timeline arithmetic)."""

import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

import bmdcheck as bc
from bmdcheck.defence.engage import (TIERS, InterceptorSpec, SiteSpec, TimelineSpec, engage_threats, timeline_for)
from bmdcheck.defence.engagement import REASON_NAMES, Threats
from bmdcheck.defence.rcs import RcsModel, catalogue_rcs
from bmdcheck.defence.sensors import EarlyWarning, Radar
from bmdcheck.errors import BmdcheckError

KOZELSK = (54.038, 35.772)
NEW_YORK = (40.714, -74.006)
A_M, F = 6378137.0, 1 / 298.257223563  # WGS84, written out here (independent of earth.frames)
OMEGA = 7.2921150e-5


def ecef(lat, lon, h=0.0):
    """WGS84 geodetic -> ECEF, closed form (not bmdcheck's)."""
    la, lo = math.radians(lat), math.radians(lon)
    e2 = F * (2 - F)
    n = A_M / math.sqrt(1 - e2 * math.sin(la) ** 2)
    return np.array([(n + h) * math.cos(la) * math.cos(lo), (n + h) * math.cos(la) * math.sin(lo),
                     (n * (1 - e2) + h) * math.sin(la)])


def radar(name, lat, lon, range_km=5000.0, rcs_ref=1.0, band="X", mask=0.0, min_track_s=10.0):
    return Radar(name, "test", lat, lon, 0.0, range_km, rcs_ref, mask, 90.0, None, None, min_track_s, band=band)


@pytest.fixture(scope="module")
def icbm():
    """Topol-M Kozelsk -> New York, 1 s samples, with its burnout time."""
    m = bc.get_missile("topol-m")
    st = bc.solve_steering(m, *KOZELSK, *NEW_YORK, "min-energy")
    b = bc.fly_missile_batch(m, [KOZELSK[0]], [KOZELSK[1]], st.azimuth_deg, st.kick_deg, st.t_cut_s,
                             sample_interval_s=1.0, rtol=1e-10)
    return Threats.from_batch(b)


GBI = InterceptorSpec("fast", 7500.0, 60.0, 100e3, 2000e3, 0.0, 1500.0)
UNDER = SiteSpec("under", 63.0, 0.0)  # under the midcourse (tests/guarantee/conftest.py): reachable by a GBI
EW = EarlyWarning("ew", 30.0, 30.0)


def one(threats, site, it, tl):
    return engage_threats(threats, [site], [it], tl).record(0)


def ecef_samples(th):
    """Threat positions in ECEF (the rotation written out here)."""
    t, r = th.t_s[0, :th.n_samples[0]], th.r_eci_m[0, :th.n_samples[0]]
    c, s = np.cos(OMEGA * t), np.sin(OMEGA * t)
    return np.stack([c * r[:, 0] + s * r[:, 1], -s * r[:, 0] + c * r[:, 1], r[:, 2]], axis=-1)


# ---- reason codes on cases known by geometry ---------------------------------------------------

def test_never_tracked_radar_below_the_horizon_the_whole_flight(icbm):
    """A radar at the antipode of Kozelsk: every sample is behind the Earth (r · up < 0 for the radar's
    up vector, checked here independently), so no tier with that radar ever tracks."""
    anti = (-KOZELSK[0], KOZELSK[1] - 180.0)
    p = ecef_samples(icbm)
    up = ecef(*anti) / np.linalg.norm(ecef(*anti))
    assert np.all(p @ up < 0)  # the whole flight is on the far hemisphere: below the horizon
    site = replace(UNDER, radar=radar("anti", *anti, range_km=40000.0))
    d = one(icbm, site, GBI, TimelineSpec(tier="local", early_warning=EW))
    assert d["reason"] == "never_tracked" and not d["feasible"]
    assert d["timeline"]["launch_s"] is None and d["diagnostics"]["binding"] == "track"
    # the same radar as the only remote candidate (the site has none of its own)
    d = one(icbm, UNDER, GBI, TimelineSpec(tier="remote", remote_radars=(radar("anti", *anti, range_km=4e4),)))
    assert d["reason"] == "never_tracked"


def test_tracked_too_late_when_the_launch_comes_after_impact(icbm):
    """A radar at the launch point tracks the boost, but a decision delay of 10^5 s puts the launch
    after impact (flight ~1,800 s): tracked_too_late, and the diagnosis says by how much."""
    flight_s = float(icbm.t_s[0, icbm.n_samples[0] - 1])
    tl = TimelineSpec(mode="launch-on-remote", remote_radar=radar("kozelsk", *KOZELSK), decision_delay_s=1e5)
    d = one(icbm, UNDER, GBI, tl)
    assert d["reason"] == "tracked_too_late"
    dg = d["diagnostics"]
    assert dg["binding"] == "track" and dg["launch_s"] >= 1e5
    assert dg["latest_launch_s"] < flight_s and -dg["launch_slack_s"] > 1e5 - flight_s
    assert "s too late" in dg["text"]


def test_launch_too_late_on_a_late_cue_or_a_fixed_launch(icbm):
    late_ew = EarlyWarning("late", 5e4, 5e4)
    d = one(icbm, UNDER, GBI, TimelineSpec(tier="cue", early_warning=late_ew))
    assert d["reason"] == "launch_too_late" and d["diagnostics"]["binding"] == "cue"
    assert d["timeline"]["launch_s"] == pytest.approx(1e5 + TimelineSpec().decision_delay_s)
    d = one(icbm, UNDER, GBI, TimelineSpec(tier="cue", early_warning=EW, launch_at_s=1e5))
    assert d["reason"] == "launch_too_late" and d["diagnostics"]["binding"] == "fixed launch"


def test_cue_without_early_warning_is_never_tracked(icbm):
    d = one(icbm, UNDER, GBI, TimelineSpec(tier="cue"))
    assert d["reason"] == "never_tracked"
    assert any("early-warning" in w for w in d["warnings"])


def test_feasible_slack_is_the_latest_launch_minus_the_launch(icbm):
    """On the cue (launch 60 + 60 s) the GBI under the track engages; the slack is how much later it
    could have launched. Launching exactly at the latest launch still works, 5 s later does not."""
    d = one(icbm, UNDER, GBI, TimelineSpec(tier="cue", early_warning=EW))
    dg = d["diagnostics"]
    assert d["feasible"] and dg["launch_s"] == pytest.approx(120.0)
    assert dg["launch_slack_s"] == pytest.approx(dg["latest_launch_s"] - 120.0) and dg["launch_slack_s"] > 0
    L = dg["latest_launch_s"]
    assert one(icbm, UNDER, GBI, TimelineSpec(tier="cue", early_warning=EW, launch_at_s=L - 0.5))["feasible"]
    late = one(icbm, UNDER, GBI, TimelineSpec(tier="cue", early_warning=EW, launch_at_s=L + 5.0))
    assert not late["feasible"] and late["reason"] == "launch_too_late"
    assert late["diagnostics"]["launch_slack_s"] == pytest.approx(-5.0, abs=1e-6)


def test_every_reason_is_a_public_code(icbm):
    for tier in TIERS:
        d = one(icbm, replace(UNDER, radar=radar("k", *KOZELSK)), GBI,
                TimelineSpec(tier=tier, early_warning=EW, remote_radars=(radar("k2", *KOZELSK),)))
        assert d["reason"] in REASON_NAMES and d["tier"] == tier


# ---- tiers -------------------------------------------------------------------------------------

def test_remote_tier_adds_the_network_latency_to_the_track(icbm):
    """Remote tier with a radar at the launch point: launch = (launch-on-remote launch of that radar)
    + network latency, exactly."""
    r = radar("kozelsk", *KOZELSK)
    base = engage_threats(icbm, [UNDER], [GBI], TimelineSpec(mode="engage-on-remote", remote_radar=r))
    for lat_s in (0.0, 7.0, 30.0):
        e = engage_threats(icbm, [UNDER], [GBI], TimelineSpec(tier="remote", remote_radars=(r,), network_latency_s=lat_s))
        assert e.t_launch_s[0] == pytest.approx(base.t_launch_s[0] + lat_s)
        assert e.sensor[0] == "kozelsk"


def test_remote_tier_takes_the_best_radar(icbm):
    """Of a radar behind the Earth and one at the launch point, the remote tier uses the latter; with
    the site's own radar behind the Earth, local is never tracked while remote is tracked."""
    anti = radar("anti", -KOZELSK[0], KOZELSK[1] - 180.0)
    near = radar("near", *KOZELSK)
    site = replace(UNDER, radar=anti)
    loc = engage_threats(icbm, [site], [GBI], TimelineSpec(tier="local"))
    rem = engage_threats(icbm, [site], [GBI], TimelineSpec(tier="remote", remote_radars=(anti, near)))
    assert loc.windows.reason[0] == "never_tracked"
    assert rem.sensor[0] == "near" and np.isfinite(rem.t_launch_s[0])
    assert rem.windows.reason[0] != "never_tracked"


def test_tiers_are_checked_names():
    with pytest.raises(BmdcheckError, match="unknown sensor tier 'orbit'"):
        TimelineSpec(tier="orbit")
    assert TIERS == ("local", "remote", "cue")
    from bmdcheck.scenario.schema import TIERS as SCHEMA_TIERS

    assert SCHEMA_TIERS == TIERS


def test_remote_radar_without_a_remote_mode_warns(icbm):
    tl = TimelineSpec(mode="local", remote_radar=radar("r", *KOZELSK), early_warning=EW)
    e = engage_threats(icbm, [UNDER], [GBI], tl)
    assert any("is given but the timeline mode is local" in w for w in e.warnings)
    e = engage_threats(icbm, [UNDER], [GBI], TimelineSpec(tier="cue", early_warning=EW, launch_at_s=10.0))
    assert any("before detection" in w for w in e.warnings)
    e = engage_threats(icbm, [UNDER], [GBI], TimelineSpec(tier="cue", early_warning=EW))
    assert e.warnings == []


# ---- mutations the tests must catch: a sensor range and a decision delay -----------------------

def test_detection_range_and_decision_delay_by_hand(icbm):
    """Radar at Kozelsk, 0° mask, range 300 km at its reference cross-section. The first sample it
    sees is the first within 300 km and above its horizontal plane; the last sample of that first run
    is the last one inside 300 km (the missile climbs away). Slant ranges and elevations are
    computed here from a closed-form WGS84 and the rotation written out. Track = first + min_track_s;
    launch = track + decision delay. A mutated range (x 1.01) or delay (+1 s) fails this test."""
    R_km = 300.0
    r0 = ecef(*KOZELSK)
    up = np.array([math.cos(math.radians(KOZELSK[0])) * math.cos(math.radians(KOZELSK[1])),
                   math.cos(math.radians(KOZELSK[0])) * math.sin(math.radians(KOZELSK[1])),
                   math.sin(math.radians(KOZELSK[0]))])
    p = ecef_samples(icbm)
    d = p - r0
    rng = np.linalg.norm(d, axis=1)
    vis = (rng <= R_km * 1e3) & (d @ up >= 0.0)
    t = icbm.t_s[0, :icbm.n_samples[0]]
    k0 = int(np.argmax(vis))
    k1 = k0 + int(np.argmin(vis[k0:])) - 1
    assert 50 < t[k1] - t[k0] < 400 and rng[k1 + 1] > R_km * 1e3  # leaves the range, not the horizon
    r = radar("kozelsk", *KOZELSK, range_km=R_km, rcs_ref=1.0, min_track_s=10.0)
    tl = TimelineSpec(mode="launch-on-remote", remote_radar=r, rcs_m2=1.0, decision_delay_s=42.0)
    td, tt, tL, *_ = timeline_for(icbm, UNDER, tl)
    assert td[0] == t[k0]
    assert tt[0] == t[k0] + 10.0
    assert tL[0] == t[k0] + 10.0 + 42.0
    from bmdcheck.defence.engage import _radar_vis

    v = _radar_vis(icbm, r, tl)[0, :icbm.n_samples[0]]
    last = k0 + int(np.argmin(v[k0:])) - 1
    assert last == k1  # the range edge, to the sample


# ---- cross-section by flight phase and band: the radar equation by hand ------------------------

def test_phase_band_detection_range_against_the_radar_equation():
    """A target bobbing straight above an equatorial radar (slant range = altitude), in each phase
    for 200 s: it is visible exactly when its altitude is within R_ref (σ/σ_ref)^(1/4) of the phase's
    σ at the radar's band, worked out here: X band, R_ref = 1,000 km at 1 m²: booster 10 m² ->
    1,778.28 km, bus 1 m² -> 1,000 km, RV 0.01 m² -> 316.23 km."""
    model = RcsModel(tuple((p, b, {"booster": 10.0, "pbv": 1.0, "rv": 0.01}[p]) for p in ("booster", "pbv", "rv")
                           for b in ("UHF", "L", "S", "X")), pbv_duration_s=200.0)
    hand = {0: 1000.0 * 10 ** 0.25, 1: 1000.0, 2: 1000.0 * 0.01 ** 0.25}
    assert hand[0] == pytest.approx(1778.279, abs=1e-3) and hand[2] == pytest.approx(316.228, abs=1e-3)
    t = np.arange(0.0, 600.0, 0.5)
    h = 1000e3 + 950e3 * np.sin(2 * np.pi * t / 100.0)   # 50-1,950 km: every phase crosses its edge
    r_ecef = np.stack([A_M + h, np.zeros_like(t), np.zeros_like(t)], axis=-1)
    c, s = np.cos(OMEGA * t), np.sin(OMEGA * t)
    r_eci = np.stack([c * r_ecef[:, 0], s * r_ecef[:, 0], np.zeros_like(t)], axis=-1)
    th = Threats(t[None], r_eci[None], np.zeros_like(r_eci)[None], np.array([t.size]), burnout_s=np.array([200.0]))
    rad = radar("eq", 0.0, 0.0, range_km=1000.0, rcs_ref=1.0, band="X")
    from bmdcheck.defence.engage import _radar_vis

    vis = _radar_vis(th, rad, TimelineSpec(rcs_model=model))[0]
    phase = np.where(t < 200, 0, np.where(t < 400, 1, 2))
    expect = h <= np.array([hand[k] for k in phase]) * 1e3
    edge = np.abs(h - np.array([hand[k] for k in phase]) * 1e3) < 10.0  # float noise at the exact edge
    assert np.array_equal(vis[~edge], expect[~edge])
    for k in range(3):  # each phase has both visible and invisible samples: every edge is exercised
        assert vis[phase == k].any() and not vis[phase == k].all()
    # the scale is a margin: x16 in σ is x2 in range
    vis16 = _radar_vis(th, rad, TimelineSpec(rcs_model=model, rcs_scale=16.0))[0]
    expect16 = h <= 2 * np.array([hand[k] for k in phase]) * 1e3
    edge16 = np.abs(h - 2 * np.array([hand[k] for k in phase]) * 1e3) < 10.0
    assert np.array_equal(vis16[~edge16], expect16[~edge16])


def test_catalogue_cross_sections_are_sourced_and_banded():
    m = catalogue_rcs()
    for p in ("booster", "pbv", "rv"):
        for b in ("UHF", "L", "S", "X"):
            assert m.rcs_m2(p, b) > 0 and m.sources[f"{p}.{b}"].strip()
    assert m.rcs_m2("booster", "X") > m.rcs_m2("pbv", "X") > m.rcs_m2("rv", "X")
    from bmdcheck.defence.sensors import sensor_catalogue

    for r in sensor_catalogue().radars.values():
        assert r.band in ("UHF", "L", "S", "X") and r.sources["band"].strip()


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan])
def test_cross_section_must_be_positive(bad):
    with pytest.raises(BmdcheckError):
        TimelineSpec(rcs_m2=bad)
    with pytest.raises(BmdcheckError):
        TimelineSpec(rcs_scale=bad)
    with pytest.raises(BmdcheckError):
        RcsModel((("rv", "X", bad),), 0.0)
    with pytest.raises(BmdcheckError):
        catalogue_rcs().scaled(bad)


@pytest.mark.parametrize("args,needle", [
    (("--rcs", "0"), "cross-section"),
    (("--rcs", "-0.5"), "cross-section"),
    (("--tier", "orbit"), "orbit"),
])
def test_cli_bad_tier_or_cross_section_one_line_exit_2(args, needle):
    p = subprocess.run([sys.executable, "-m", "bmdcheck.cli", "engage", "--missile", "scud-b", "--from", "0,0",
                        "--to", "1.5,1.5", "--site-at", "1,1", "--burnout-speed", "3000", "--burn-time", "30", *args],
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = [ln for ln in p.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in p.stderr
    assert needle in lines[0].lower()


def test_lambert_latest_launch_is_the_edge_of_feasibility(icbm):
    """The Lambert reach model's latest launch (grid + bisection on the launch time): launching 1 s
    before it is feasible, 5 s after it is launch_too_late."""
    tl = TimelineSpec(tier="cue", early_warning=EW)
    d = engage_threats(icbm, [UNDER], [GBI], tl, "lambert").record(0)
    L = d["diagnostics"]["latest_launch_s"]
    assert d["feasible"] and L > 120.0
    assert engage_threats(icbm, [UNDER], [GBI], replace(tl, launch_at_s=L - 1.0), "lambert").windows.feasible[0]
    late = engage_threats(icbm, [UNDER], [GBI], replace(tl, launch_at_s=L + 5.0), "lambert").record(0)
    assert not late["feasible"] and late["reason"] == "launch_too_late"


def test_bound_reach_model_is_at_least_as_capable_as_each_model(icbm):
    """``bound`` = the table or the impulsive Lambert model, whichever engages (earlier): its window
    opens no later than either's, and the impulsive Lambert threshold is never above the Lambert one
    (its departure times include the burn-time-delayed ones)."""
    from bmdcheck.defence.engage import burnout_speed_threshold, impulsive

    tl = TimelineSpec(tier="cue", early_warning=EW)
    firsts = {}
    for f in ("table", "lambert", "bound"):
        e = engage_threats(icbm, [UNDER], [GBI], tl, f)
        assert e.windows.feasible[0]
        firsts[f] = e.windows.first_s[0]
    assert firsts["bound"] <= min(firsts["table"], firsts["lambert"]) + 1e-9
    sm3 = InterceptorSpec("iib-like", 5500.0, 60.0, 100e3, 1500e3, 0.0, 1000.0)
    site = SiteSpec("redzikowo", 54.473, 17.123, 66.0)
    v_l = burnout_speed_threshold(icbm, site, sm3, tl, "lambert")
    v_0 = burnout_speed_threshold(icbm, site, impulsive(sm3), tl, "lambert")
    assert v_l is not None and v_0 is not None and v_0 <= v_l
    assert impulsive(sm3).burn_time_s < 1e-6 and impulsive(sm3).burnout_speed_mps == 5500.0


@pytest.mark.parametrize("edit,needle", [
    ('tiers = ["orbit"]', "orbit"),
    ('tiers = ["cue", "cue"]', "twice"),
    ("rcs_m2 = 0.0", "rcs_m2"),
    ("rcs_m2 = -1.0", "rcs_m2"),
])
def test_scenario_unknown_tier_or_bad_cross_section_one_line_exit_2(tmp_path, edit, needle):
    from importlib import resources

    base = resources.files("bmdcheck.data").joinpath("scenarios", "teaching-single-site.toml").read_text()
    p = tmp_path / "bad.toml"
    p.write_text(base.replace("[timeline]", "[timeline]\n" + edit, 1))
    r = subprocess.run([sys.executable, "-m", "bmdcheck.cli", "assess", str(p), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0] and "timeline" in lines[0]
    assert not (tmp_path / "o").exists()


def test_rule_unknown_tier_is_a_one_line_error():
    from bmdcheck.guarantee.rules import rules_from_text

    with pytest.raises(BmdcheckError) as e:
        rules_from_text('name = "r"\n[[rule]]\nid = "a"\nkind = "engagement"\ntier = "orbit"\n', "r.toml")
    assert "\n" not in str(e.value) and "tier" in str(e.value) and "orbit" in str(e.value)
