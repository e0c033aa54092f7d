"""`make demo`'s helper process (``bmdcheck.demo.Helper``, ``bmdcheck.assess.prefetch``): the main
process's look-up of the lock-step kernel waits for the helper, and the demo goes on without it."""

import sys
import threading
import time

import numpy as np

from bmdcheck.assess import prefetch
from bmdcheck.flight import lockstep
from bmdcheck.flight.batch import fly_missile_batch


class _FakeCache:
    """A Numba cache stand-in: ``load_overload`` returns ``value`` (None: not cached) and counts calls."""

    def __init__(self, value=None):
        self.value, self.calls = value, 0

    def load_overload(self, sig, target_context):
        self.calls += 1
        return self.value


class _FakeDispatcher:
    def __init__(self, value=None):
        self._cache = _FakeCache(value)


def test_cache_lookup_waits_for_the_helper_only_on_a_miss():
    miss, hit, late = _FakeDispatcher(), _FakeDispatcher("kernel"), _FakeDispatcher()
    ready = threading.Event()
    prefetch.load_after([miss, hit], ready, timeout_s=10.0)
    t0 = time.perf_counter()
    assert hit._cache.load_overload("sig", None) == "kernel" and hit._cache.calls == 1
    assert time.perf_counter() - t0 < 0.2  # cached already: no wait

    def helper_done():
        miss._cache.value = "kernel"  # the helper wrote it to the cache
        ready.set()

    threading.Timer(0.3, helper_done).start()
    t0 = time.perf_counter()
    assert miss._cache.load_overload("sig", None) == "kernel"  # looked again after the wait
    assert time.perf_counter() - t0 >= 0.25 and miss._cache.calls == 2
    prefetch.load_after([late], ready, timeout_s=10.0)
    assert late._cache.load_overload("sig", None) is None and late._cache.calls == 1  # ready: compile here


def test_lockstep_lookup_is_wrapped_and_flies_the_same():
    ref = fly_missile_batch("topol-m", 54.0, 35.8, [0.0, 90.0], [20.0, 30.0], kernel="lockstep").summary
    cache = lockstep.fly_lockstep._cache
    ready = threading.Event()
    ready.set()
    prefetch.load_lockstep_after(ready, timeout_s=10.0)
    try:
        assert "load_overload" in vars(cache)  # the look-up Numba makes before compiling is wrapped
        got = fly_missile_batch("topol-m", 54.0, 35.8, [0.0, 90.0], [20.0, 30.0], kernel="lockstep").summary
    finally:
        vars(cache).pop("load_overload", None)
    np.testing.assert_array_equal(got, ref)


def test_demo_goes_on_without_its_helper(monkeypatch):
    from bmdcheck import demo

    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    h = demo.Helper("epaa-phase4-2010")  # cannot start: nothing to wait for, nothing to stop
    assert h.proc is None and all(e.is_set() for e in h.ready.values())
    h.stop()
    assert h.cpu_s is None and h.tables is None
    assert h.guarantees() is None  # no helper: stage 3 checks the guarantees itself


def test_guarantee_reports_come_back_from_the_helper_file_or_not_at_all(monkeypatch, tmp_path):
    """Stage 3 takes the helper's pickled reports only when the helper said it wrote them and the
    file reads back; anything else (no message, a torn or foreign file) is None: computed again."""
    import pickle

    from bmdcheck import demo

    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    f = tmp_path / "guarantees.pickle"
    h = demo.Helper("epaa-phase4-2010", str(f))
    f.write_bytes(pickle.dumps({("s", "r"): "report"}))
    assert h.guarantees() is None  # the helper never said it wrote the file
    h.guarantees_s = 1.5
    assert h.guarantees() == {("s", "r"): "report"}
    f.write_bytes(pickle.dumps({("s", "r"): "report"})[:-5])
    assert h.guarantees() is None
    f.unlink()
    assert h.guarantees() is None
