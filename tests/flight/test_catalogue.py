"""The catalogue: every value sourced, every missile reproduces its published figures."""

import pytest

import bmdcheck as bc
from bmdcheck.flight.missile import catalogue, missile_from_dict
from bmdcheck.flight.performance import max_range_performance

NAMES = sorted(catalogue())


def test_catalogue_has_the_issue_classes():
    classes = {m.cls for m in catalogue().values()}
    assert {"icbm", "slbm", "srbm"} <= classes
    assert {"aps-solid-icbm", "aps-liquid-icbm", "scud-b", "minuteman-iii", "topol-m"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_parameter_has_a_source(name):
    m = catalogue()[name]
    assert m.sources
    for key, src in m.sources.items():
        assert isinstance(src, str) and len(src.strip()) > 10, key
    n_numeric = 2 + 3 + 4 * len(m.stages)  # payload, area, beta/timing, per-stage core values
    assert len(m.sources) >= n_numeric - 3


@pytest.mark.parametrize("name", NAMES)
def test_published_max_range(name):
    """Maximum range (reference Earth, see flight/performance.py) within the source's tolerance."""
    m = catalogue()[name]
    pub = m.published.get("max_range_km")
    if pub is None:
        pytest.skip("no published range")
    perf = max_range_performance(m)
    tol = pub.get("tolerance_km", 0.1 * pub["value"])
    assert abs(perf["max_range_km"] - pub["value"]) <= tol, perf


def test_bare_numbers_and_bad_values_are_refused():
    good = {"name": "x", "payload_kg": {"value": 500, "source": "s"}, "ref_area_m2": {"value": 1, "source": "s"},
            "stage": [{"propellant_kg": {"value": 1000, "source": "s"}, "dry_kg": {"value": 100, "source": "s"},
                       "burn_time_s": {"value": 60, "source": "s"}, "isp_vac_s": {"value": 250, "source": "s"}}]}
    assert missile_from_dict(good).launch_mass_kg == 1600
    bare = dict(good, payload_kg=500)
    with pytest.raises(bc.BmdcheckError, match="payload_kg"):
        missile_from_dict(bare)
    neg = {**good, "stage": [dict(good["stage"][0], propellant_kg={"value": -5, "source": "s"})]}
    with pytest.raises(bc.BmdcheckError, match="propellant_kg"):
        missile_from_dict(neg)
    zero = {**good, "stage": [dict(good["stage"][0], burn_time_s={"value": 0, "source": "s"})]}
    with pytest.raises(bc.BmdcheckError, match="burn_time_s"):
        missile_from_dict(zero)
    nan = {**good, "stage": [dict(good["stage"][0], dry_kg={"value": float("nan"), "source": "s"})]}
    with pytest.raises(bc.BmdcheckError, match="dry_kg"):
        missile_from_dict(nan)


def test_tsiolkovsky_bounds_burnout_speed():
    """Burnout speed (inertial) never exceeds the ideal vacuum Δv plus the Earth's surface speed."""
    for m in catalogue().values():
        perf = max_range_performance(m)
        assert perf["burnout_speed_mps"] < m.ideal_delta_v_mps()
        assert perf["burnout_speed_mps"] > 0.6 * m.ideal_delta_v_mps()
