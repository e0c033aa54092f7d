"""Published conclusions per sensor tier on the 2013 threat set (docs/validation/published.md, "Per
sensor tier"). Three threats of the 2013 set: the liquid SS-19 from Kozelsk to Washington, Topol-M from
Kozelsk to Washington and Yars from Teykovo to New York; tiers `local` (the site's own radar), `remote`
(engage on the Fylingdales UEWR's track), `cue` (launch on the early-warning cue). Each assertion is a
study's verdict (feasible or not), not a number of ours.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

import bmdcheck as bc
from bmdcheck.defence.engage import InterceptorSpec, SiteSpec, TimelineSpec, engage_threats
from bmdcheck.defence.engagement import Threats
from bmdcheck.defence.interceptor import get_interceptor
from bmdcheck.defence.sensors import get_radar, sensor_catalogue
from bmdcheck.defence.sites import get_site

THREATS = [("ur-100nutth", (54.038, 35.772), (38.895, -77.036)),   # SS-19, Kozelsk -> Washington
           ("topol-m", (54.038, 35.772), (38.895, -77.036)),       # Kozelsk -> Washington
           ("yars", (56.858, 40.537), (40.714, -74.006))]          # Teykovo -> New York
TIERS = ("local", "remote", "cue")


@lru_cache(maxsize=1)
def _threats() -> Threats:
    trs = [bc.fly(m, a, b, sample_interval_s=1.0).samples for m, a, b in THREATS]
    M = max(len(s.t_s) for s in trs)
    t, r, v = np.zeros((3, M)), np.zeros((3, M, 3)), np.zeros((3, M, 3))
    n = np.array([len(s.t_s) for s in trs])
    for i, s in enumerate(trs):
        k = n[i]
        t[i, :k], r[i, :k], v[i, :k] = s.t_s, s.r_eci_m, s.v_eci_mps
        t[i, k:], r[i, k:], v[i, k:] = s.t_s[-1], s.r_eci_m[-1], s.v_eci_mps[-1]
    return Threats(t, r, v, n)


@lru_cache(maxsize=None)
def verdicts(site: str, interceptor: str, tier: str, burnout_mps: float | None = None) -> tuple[bool, ...]:
    s = get_site(site)
    spec = SiteSpec(s.name, s.lat_deg, s.lon_deg, s.alt_m, get_radar(s.radar) if s.radar else None)
    it = InterceptorSpec.from_catalogue(get_interceptor(interceptor))
    if burnout_mps is not None:
        it = it.with_burnout_speed(burnout_mps)
    ew = next(iter(sensor_catalogue().early_warning.values()))
    tl = TimelineSpec(tier=tier, early_warning=ew, remote_radars=(get_radar("uewr-fylingdales"),))
    e = engage_threats(_threats(), [spec], [it], tl)
    return tuple(bool(e.record(i)["feasible"]) for i in range(len(THREATS)))


def test_mda_6p3_kms_gbi_not_fast_enough_on_a_radar_track():
    """MDA 2007-08: the 6.3 km/s two-stage GBI in Poland cannot catch a Russian ICBM. Agrees on the
    radar tiers (the 2007 site has no radar of its own; Fylingdales' track comes too late); on the
    early-warning cue it reaches the SS-19 (Lewis & Postol's point)."""
    assert not any(verdicts("gbi-third-site-redzikowo-2007", "gbi-2-stage", "local"))
    assert not any(verdicts("gbi-third-site-redzikowo-2007", "gbi-2-stage", "remote"))
    assert verdicts("gbi-third-site-redzikowo-2007", "gbi-2-stage", "cue")[0]


def test_lewis_postol_9_kms_gbi_engages_on_the_remote_track():
    assert any(verdicts("gbi-third-site-redzikowo-2007", "gbi-2-stage", "remote", 9000.0))


@pytest.mark.parametrize("tier", TIERS)
def test_wilkening_southern_site_no_challenge(tier):
    """Wilkening 2008: sites farther south could not challenge Russian ICBMs: Deveselu's SM-3 IB, every tier."""
    assert not any(verdicts("aegis-ashore-deveselu", "sm-3-ib", tier))


def test_butt_postol_ship_theoretical_capability():
    """Butt & Postol 2011 (FAS): a repositioned ship could have a theoretical capability: the Norwegian
    Sea IIB engages all three on cue, none on its own radar."""
    assert all(verdicts("aegis-ship-norwegian-sea", "sm-3-iib", "cue"))
    assert not any(verdicts("aegis-ship-norwegian-sea", "sm-3-iib", "local"))


def test_nrc_final_phase_adds_nothing_on_radar_tiers():
    """NRC 2012: the final EPAA phase is not cost-effective for the US homeland. The IIB at Redzikowo
    engages none of the three on a radar track (own or Fylingdales); only the cue tier reaches the SS-19."""
    for tier in ("local", "remote"):
        assert not any(verdicts("aegis-ashore-redzikowo", "sm-3-iib", tier)), tier
    assert verdicts("aegis-ashore-redzikowo", "sm-3-iib", "cue")[0]


def test_liquid_gives_sm3_iia_a_cue_window_solid_none():
    """Issue 9: the SS-19's 250-s boost gives the IIA a window on cue; Topol-M and Yars none."""
    assert verdicts("aegis-ashore-redzikowo", "sm-3-iia", "cue") == (True, False, False)
