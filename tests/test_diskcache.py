"""The content-addressed disk cache (bmdcheck.diskcache) and the fly-out tables read through it."""

from dataclasses import dataclass

import numpy as np
import pytest

from bmdcheck import diskcache


@dataclass(frozen=True)
class _Tab:
    name: str
    dx: float
    a: np.ndarray
    b: np.ndarray


def _counting(n_calls, seed=0):
    def build():
        n_calls.append(1)
        rng = np.random.default_rng(seed)
        a = rng.normal(size=(7, 5))
        a[0, 0] = np.inf
        return _Tab("t", 0.1 + seed, a, np.arange(4, dtype=np.int64))
    return build


def test_second_call_reads_the_entry_and_equals_the_build(tmp_path, monkeypatch):
    monkeypatch.setenv("BMDCHECK_CACHE_DIR", str(tmp_path))
    calls = []
    x = diskcache.cached("demo", {"k": 1.5}, _counting(calls), _Tab, ("diskcache.py",))
    y = diskcache.cached("demo", {"k": 1.5}, _counting(calls), _Tab, ("diskcache.py",))
    assert len(calls) == 1
    assert y.name == x.name and y.dx == x.dx and y.b.dtype == x.b.dtype
    assert np.array_equal(x.a, y.a) and np.array_equal(x.b, y.b)
    assert len(list(tmp_path.glob("demo-*.npz"))) == 1 and not list(tmp_path.glob("*.tmp"))


def test_other_parameters_are_another_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("BMDCHECK_CACHE_DIR", str(tmp_path))
    calls = []
    diskcache.cached("demo", {"k": 1.5}, _counting(calls, 0), _Tab, ("diskcache.py",))
    z = diskcache.cached("demo", {"k": 1.5000001}, _counting(calls, 1), _Tab, ("diskcache.py",))
    assert len(calls) == 2 and z.dx == 1.1
    assert diskcache.entry_key("demo", {"k": 1}, ("diskcache.py",)) != diskcache.entry_key("demo", {"k": 1}, ("errors.py",))


def test_corrupt_entry_is_rebuilt_and_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("BMDCHECK_CACHE_DIR", str(tmp_path))
    calls = []
    diskcache.cached("demo", {"k": 2}, _counting(calls), _Tab, ("diskcache.py",))
    (f,) = tmp_path.glob("demo-*.npz")
    f.write_bytes(f.read_bytes()[:100])  # truncated
    y = diskcache.cached("demo", {"k": 2}, _counting(calls), _Tab, ("diskcache.py",))
    assert len(calls) == 2 and np.isinf(y.a[0, 0])
    diskcache.cached("demo", {"k": 2}, _counting(calls), _Tab, ("diskcache.py",))
    assert len(calls) == 2  # the replaced entry reads back


@pytest.mark.parametrize("off", ["off", "0", ""])
def test_disabled_builds_every_time(tmp_path, monkeypatch, off):
    monkeypatch.setenv("BMDCHECK_CACHE_DIR", off)
    calls = []
    for _ in range(2):
        diskcache.cached("demo", {"k": 3}, _counting(calls), _Tab, ("diskcache.py",))
    assert len(calls) == 2 and diskcache.cache_dir() is None


def test_unwritable_folder_still_returns_the_build(tmp_path, monkeypatch):
    f = tmp_path / "file"
    f.write_text("x")
    monkeypatch.setenv("BMDCHECK_CACHE_DIR", str(f / "sub"))  # cannot be created
    calls = []
    x = diskcache.cached("demo", {"k": 4}, _counting(calls), _Tab, ("diskcache.py",))
    assert len(calls) == 1 and x.name == "t"


def test_flyout_table_from_disk_equals_a_fresh_build(tmp_path, monkeypatch):
    """table_for read back from the disk cache (a new process would do this) is the table
    build_table makes now, cell for cell."""
    from bmdcheck.defence import flyout

    monkeypatch.setenv("BMDCHECK_CACHE_DIR", str(tmp_path))
    args = (3123.0, 30.0, 300.0)
    flyout.table_for.cache_clear()
    a = flyout.table_for(*args)
    flyout.table_for.cache_clear()  # forget the in-process copy: the next one comes from disk
    b = flyout.table_for(*args)
    assert a is not b and len(list(tmp_path.glob("flyout-*.npz"))) == 1
    fresh = flyout.build_table(flyout.booster_for(3123.0, 30.0), 300.0)
    for t in (b, fresh):
        assert t.name == a.name and t.dr_m == a.dr_m and t.dh_m == a.dh_m
        assert t.burnout_speed_mps == a.burnout_speed_mps and t.max_flight_time_s == a.max_flight_time_s
        for f in ("t_s", "speed_mps", "fpa_rad"):
            assert np.array_equal(getattr(t, f), getattr(a, f))
    flyout.table_for.cache_clear()
