"""``engage.reuse_setup``: repeated engagements of one threats object (the assessment engine's draws,
tiers and candidate radars) build the threat geometry and the table model's record once, with the
same results as building them every time."""

import numpy as np
import pytest

import bmdcheck as bc
from bmdcheck.defence import engage
from bmdcheck.defence.engage import InterceptorSpec, SiteSpec, TimelineSpec, engage_threats, reuse_setup
from bmdcheck.defence.engagement import Threats

KOZELSK, NEW_YORK = (54.038, 35.772), (40.714, -74.006)
FAST = InterceptorSpec("fast", 7500.0, 60.0, 100e3, 2000e3, 0.0, 1500.0)
SLOW = InterceptorSpec("slow", 4500.0, 50.0, 100e3, 1500e3, 0.0, 900.0)
SITES = [SiteSpec("under", 63.0, 0.0), SiteSpec("north", 70.0, -30.0)]


@pytest.fixture(scope="module")
def threats():
    m = bc.get_missile("topol-m")
    st = bc.solve_steering(m, *KOZELSK, *NEW_YORK, "min-energy")
    b = bc.fly_missile_batch(m, [KOZELSK[0]] * 2, [KOZELSK[1]] * 2, [float(st.azimuth_deg[0]), float(st.azimuth_deg[0]) + 4.0],
                             [float(st.kick_deg[0])] * 2, sample_interval_s=1.0)
    return Threats.from_batch(b)


def _counting(monkeypatch):
    calls = {"prepare": 0, "table_reach": 0}
    for name in calls:
        real = getattr(engage, name)

        def wrapped(*a, _real=real, _name=name, **k):
            calls[_name] += 1
            return _real(*a, **k)
        monkeypatch.setattr(engage, name, wrapped)
    return calls


def _raw(e):
    return np.nan_to_num(e.windows.raw, nan=-7.0)


def test_setup_is_built_once_per_input_and_results_do_not_change(threats, monkeypatch):
    runs = [([FAST, FAST], TimelineSpec(tier="cue")), ([FAST, FAST], TimelineSpec(tier="local")),
            ([SLOW, SLOW], TimelineSpec(tier="cue"))]  # same pair layout as the first, other tables
    ref = [_raw(engage_threats(threats, SITES, its, tl, rotating=False)) for its, tl in runs]
    calls = _counting(monkeypatch)
    with reuse_setup():
        got = [_raw(engage_threats(threats, SITES, its, tl, rotating=False)) for its, tl in runs]
        again = _raw(engage_threats(threats, SITES, *runs[0], rotating=False))
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(again, ref[0])
    assert calls["prepare"] == 1  # one threats object
    assert calls["table_reach"] == 2  # two sets of tables (the two tiers of the first share theirs)
    assert ref[0].shape == ref[2].shape and not np.array_equal(ref[0], ref[2])  # the inputs did differ


def test_outside_the_block_nothing_is_kept(threats, monkeypatch):
    calls = _counting(monkeypatch)
    for _ in range(2):
        engage_threats(threats, SITES, [FAST, FAST], TimelineSpec(tier="cue"), rotating=False)
    assert calls == {"prepare": 2, "table_reach": 2}
    assert engage._SETUP.get() is None


def test_only_the_most_recent_records_are_kept(threats, monkeypatch):
    calls = _counting(monkeypatch)
    tl = TimelineSpec(tier="cue")
    with reuse_setup():
        for it in (FAST, SLOW, FAST.with_burnout_speed(7000.0), FAST):  # FAST's record has left by then
            engage_threats(threats, SITES, [it, it], tl, rotating=False)
        assert len(engage._SETUP.get()["reach"]) == engage.SETUP_KEEP
    assert calls["table_reach"] == 4
