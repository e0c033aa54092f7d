"""The façade (bmdcheck.api) and the failures issue 12 found, each checked the way a user meets it."""

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

import bmdcheck as bc
from bmdcheck.errors import BmdcheckError, CatalogueError, InputError

KOZELSK, WASHINGTON = (54.038, 35.772), (38.895, -77.036)


@pytest.fixture(scope="module")
def threat():
    t = bc.fly("topol-m", KOZELSK, WASHINGTON, sample_interval_s=1)
    return bc.threats_of(t)


def test_engage_threats_takes_catalogue_objects_and_names(threat):
    site, itc = bc.get_site("gbi-fort-greely"), bc.get_interceptor("gbi-3-stage")
    by_obj = bc.engage_threats(threat, [site], [itc], bc.TimelineSpec(), "lambert")   # was: AttributeError
    by_name = bc.engage_threats(threat, ["gbi-fort-greely"], ["gbi-3-stage"], bc.TimelineSpec(), "lambert")
    spec = bc.engage_threats(threat, [bc.site_spec(site)], [bc.interceptor_spec(itc)], bc.TimelineSpec(), "lambert")
    assert by_obj.record(0) == by_name.record(0) == spec.record(0)
    with pytest.raises(BmdcheckError, match="sites: expected a site name, Site or SiteSpec, got int"):
        bc.engage_threats(threat, [3], [itc])


def test_timeline_radar_names_become_radars_and_junk_is_refused():
    tl = bc.TimelineSpec(mode="engage-on-remote", remote_radar="uewr-fylingdales")   # was: accepted, failed later
    assert tl.remote_radar is bc.get_radar("uewr-fylingdales")
    with pytest.raises(CatalogueError, match="unknown radar 'nope'"):
        bc.TimelineSpec(mode="engage-on-remote", remote_radar="nope")
    with pytest.raises(BmdcheckError, match="remote_radar: expected a catalogue name or a Radar, got int"):
        bc.TimelineSpec(mode="engage-on-remote", remote_radar=7)


def test_early_warning_only_needs_an_early_warning_system():
    with pytest.raises(BmdcheckError, match="early_warning: .*needs an early-warning system"):
        bc.TimelineSpec(mode="early-warning-only")                                   # was: silently infeasible
    assert bc.TimelineSpec(mode="early-warning-only", early_warning="sbirs-dsp").early_warning.name == "sbirs-dsp"
    bc.TimelineSpec(mode="early-warning-only", launch_at_s=100.0)  # a fixed launch needs no cue


@pytest.mark.parametrize("kick", [120.0, -1.0])
def test_pitch_kick_out_of_range_is_refused(kick):
    with pytest.raises(InputError, match=r"kick_deg: the pitch kick must be within \[0, 90\]"):
        bc.fly_batch("minuteman-iii", 41.1, -104.8, 30.0, kick)                         # was: 120° accepted


def test_batch_status_codes_come_with_a_message_table():
    b = bc.fly_batch("minuteman-iii", [41.1, 41.1], [-104.8, -104.8], [30.0, 30.0], [10.0, 12.0], duration_s=60.0)
    assert b.status.dtype == np.int64 and list(b.status) == [1, 1]
    assert b.status_text == [bc.FLIGHT_STATUS[1]] * 2 == ["duration reached"] * 2
    assert "2 duration reached" in repr(b)


def test_samples_names_repr_and_dataframe():
    t = bc.fly("topol-m", KOZELSK, WASHINGTON, sample_interval_s=60)
    s = t.samples
    assert s.lat is s.lat_deg and s.lon is s.lon_deg                      # JSON names "lat"/"lon" work too
    assert t.to_dict()["samples"]["lat"] == s.lat_deg.tolist()
    r = repr(s)
    assert r.startswith("Samples(") and len(r) < 120 and "array" not in r   # was: whole arrays
    df = t.to_dataframe()
    assert len(df) == len(s) and np.allclose(df.x_eci_m, s.r_eci_m[:, 0])


def test_one_call_engage_carries_everything_and_matches_the_cli(tmp_path):
    r = bc.engage("topol-m", KOZELSK, WASHINGTON, site="gbi-fort-greely", flyout="lambert")
    assert r.trajectory.missile == "topol-m" and r.site.name == "gbi-fort-greely"
    assert r.interceptor.name == "gbi-3-stage" and len(r.threats) == 1
    df = r.to_dataframe()
    assert df.shape[0] == 1 and bool(df.feasible[0]) == r.feasible
    cli = subprocess.run([sys.executable, "-m", "bmdcheck.cli", "engage", "--missile", "topol-m", "--from",
                          "54.038,35.772", "--to", "38.895,-77.036", "--site", "gbi-fort-greely", "--flyout",
                          "lambert", "--json"], capture_output=True, text=True, check=True)
    assert json.loads(cli.stdout) == json.loads(json.dumps(r.to_dict(), default=float))


def test_engage_names_the_parameter_at_fault():
    with pytest.raises(InputError, match=r"^remote_radar: remote radar uewr-fylingdales needs tier='remote'"):
        bc.engage("topol-m", KOZELSK, WASHINGTON, site="gbi-fort-greely", remote_radar="uewr-fylingdales")
    with pytest.raises(InputError, match=r"^launch: latitude must be within \[-90, 90\] degrees, got 95"):
        bc.engage("topol-m", (95, 0), WASHINGTON, site="gbi-fort-greely")
    with pytest.raises(InputError, match=r"^site: a point below the ground"):
        bc.engage("topol-m", KOZELSK, WASHINGTON, site=(50.0, 10.0, -1.0), burnout_speed_mps=5000, burn_time_s=60)


def test_unreachable_aim_point_leaks_no_numpy_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for aim in ((-41.0, 75.0), (41.0, -103.999)):
            with pytest.raises(BmdcheckError):
                bc.fly("minuteman-iii", (41.0, -104.0), aim)


def test_a_scenario_includes_a_shipped_scenario_by_name(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text('include = ["epaa-phase4-2013"]\nname = "mine"\n')
    s = bc.load_scenario(p)
    assert s.name == "mine" and s.defence == bc.load_scenario("epaa-phase4-2013").defence
    assert bc.scenario_file("epaa-phase4-2013.toml") == bc.shipped_scenarios()["epaa-phase4-2013"]
    with pytest.raises(InputError, match="scenario file not found"):
        bc.scenario_file(tmp_path / "none.toml")
