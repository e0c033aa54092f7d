"""`make demo`'s helper process (``bmdcheck.demo.Helper``, ``bmdcheck.assess.prefetch``): the main
process's look-up of the lock-step kernel waits for the helper, and the demo goes on without it."""

import sys
import threading
import time

import numpy as np

from bmdcheck.assess import prefetch
from bmdcheck.flight import lockstep
from bmdcheck.flight.batch import fly_missile_batch


def test_lockstep_cache_lookup_waits_until_the_helper_is_ready():
    ref = fly_missile_batch("topol-m", 54.0, 35.8, [0.0, 90.0], [20.0, 30.0], kernel="lockstep").summary
    disp = lockstep.fly_lockstep
    cache = disp._cache
    ready = threading.Event()
    prefetch.load_lockstep_after(ready, timeout_s=10.0)
    try:
        assert "load_overload" in vars(cache)  # the look-up Numba makes before compiling is wrapped
        threading.Timer(0.3, ready.set).start()
        t0 = time.perf_counter()
        cache.load_overload(disp.signatures[0], disp.targetctx)
        assert time.perf_counter() - t0 >= 0.25 and ready.is_set()
    finally:
        vars(cache).pop("load_overload", None)
    got = fly_missile_batch("topol-m", 54.0, 35.8, [0.0, 90.0], [20.0, 30.0], kernel="lockstep").summary
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
