"""Sample buffers follow the flights: as many columns as the longest row uses, same samples."""

import numpy as np

import bmdcheck as bc
from bmdcheck.flight import batch


def _flights(**kw):
    m = bc.get_missile("minuteman-iii")
    kick = np.array([5.0, 20.0, 35.0, 50.0, 70.0])  # lofted (long) to depressed (short) flights
    return bc.fly_missile_batch(m, 41.1, -104.8, 45.0, kick, sample_interval_s=2.0, **kw)


def test_buffers_sized_to_the_flights():
    b = _flights()
    assert b.t_s.shape[1] == b.n_samples.max()
    # each row's samples reach its impact: the last sample lies within one interval of it
    last = b.t_s[np.arange(len(b)), b.n_samples - 1]
    assert np.all(b.impact_time_s - last < 2.0 + 1e-9) and np.all(last <= b.impact_time_s + 1e-9)


def test_rows_flown_again_when_the_first_buffer_is_short(monkeypatch):
    big = _flights()
    monkeypatch.setattr(batch, "SAMPLE_GUESS_S", 600.0)  # shorter than every flight here
    small = _flights()
    assert np.array_equal(big.n_samples, small.n_samples)
    assert small.t_s.shape == big.t_s.shape
    for i in range(len(big)):
        k = big.n_samples[i]
        assert np.array_equal(big.r_eci_m[i, :k], small.r_eci_m[i, :k])
        assert np.array_equal(big.v_eci_mps[i, :k], small.v_eci_mps[i, :k])
        assert np.array_equal(big.t_s[i, :k], small.t_s[i, :k])
    assert np.array_equal(big.summary, small.summary)


def test_duration_limit_still_caps_the_samples():
    b = _flights(duration_s=100.0)
    assert b.t_s.shape[1] <= 52 and np.all(b.t_s[:, : b.n_samples.min()] <= 100.0)
