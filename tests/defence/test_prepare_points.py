"""The table model's serial steps around the window kernel (issue 10): ``prepare`` (geometry and chunk
summaries in one compiled pass), ``table_reach``'s per-table packs (kept between calls) and
``windows_from``'s intercept points (closed-form geodetic coordinates).

References: PROJ (EPSG:4978 -> 4979 forward transform) for the closed-form geodetic conversion;
``earth.frames`` (ECI -> ECEF rotation, Bowring's iteration) for the intercept points; NumPy
recomputations from the definitions in ``windows.Samples`` for the chunk summaries; a freshly built
pack for a kept one.
"""

from __future__ import annotations

import dataclasses
import gc

import numpy as np
import pytest
from pyproj import Transformer

import bmdcheck as bc
from bmdcheck.defence import engagement as E
from bmdcheck.defence.engagement import PairSpec, Threats, prepare, solve_windows, table_reach
from bmdcheck.defence.flyout import table_for
from bmdcheck.defence.windows import CHUNK, SUB
from bmdcheck.earth.frames import ecef_to_geodetic, eci_to_ecef
from bmdcheck.earth.model import EarthModel

TO_ECEF = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)


@pytest.fixture(scope="module")
def flights():
    m = bc.get_missile("topol-m")
    lat, lon = [54.0, 52.0, 56.0], [35.8, 40.0, 45.0]
    b = bc.fly_missile_batch(m, lat, lon, [320.0, 300.0, 335.0], [55.0, 60.0, 65.0], sample_interval_s=1.0)
    return Threats.from_batch(b)


def test_geodetic_closed_matches_proj():
    """Vermeille's closed form recovers (lat, lon, h) from PROJ's forward transform within 1e-9 deg and
    1 mm, from 500 m below the ellipsoid to 5,000 km above it, poles and equator included."""
    rng = np.random.default_rng(5)
    n = 3000
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    lat[:4] = [90.0, -90.0, 0.0, 89.9999]
    lon = rng.uniform(-180, 180, n)
    alt = np.concatenate([rng.uniform(-500, 10e3, n // 2), rng.uniform(10e3, 5000e3, n - n // 2)])
    x, y, z = TO_ECEF.transform(lon, lat, alt)
    e = EarthModel()
    got = np.array([E.geodetic_closed(*p, e.a_m, e.f) for p in zip(x, y, z)])
    assert np.max(np.abs(got[:, 0] - lat)) < 1e-9
    away = np.abs(lat) < 89.99  # longitude is undefined on the axis
    assert np.max(np.abs(((got[:, 1] - lon + 180) % 360 - 180)[away])) < 1e-9
    assert np.max(np.abs(got[:, 2] - alt)) < 1e-3
    la, lo, h = E.geodetic_closed(7e6, 0.0, 1e6, 6_371_000.0, 0.0)  # sphere: geocentric
    assert la == pytest.approx(np.degrees(np.arctan2(1e6, 7e6)), abs=1e-12) and lo == 0.0
    assert h == pytest.approx(np.hypot(7e6, 1e6) - 6_371_000.0, abs=1e-6)


def test_prepare_summaries_match_definitions(flights):
    """Chunk and sub-chunk summaries from the fused pass against NumPy from their definitions: smallest
    and largest altitude, smallest geocentric radius, a cap (centre, angular radius) holding every
    sample direction; altitude -1 past each trajectory's samples."""
    geo = prepare(flights)
    th = flights
    ecef = eci_to_ecef(th.r_eci_m, th.t_s, th.earth)
    for chunks, L in ((geo.chunks, CHUNK), (geo.sub_chunks, CHUNK // SUB)):
        cu, rho, hmin, hmax, rmin, crho, srho = chunks
        for i, n in enumerate(th.n_samples):
            assert np.all(geo.alt[i, n:] == -1.0)
            for c in range((n + L - 1) // L):
                a, b = c * L, min(c * L + L, n)
                r = np.linalg.norm(ecef[i, a:b], axis=-1)
                assert rmin[i, c] == pytest.approx(r.min(), rel=1e-12)
                assert hmin[i, c] == geo.alt[i, a:b].min() and hmax[i, c] == geo.alt[i, a:b].max()
                d = ecef[i, a:b] / r[:, None] @ cu[i, c]
                assert np.all(np.arccos(np.clip(d, -1, 1)) <= rho[i, c] + 1e-12)
                assert np.arccos(np.clip(d, -1, 1)).max() > rho[i, c] - 1e-6  # and not much more
        assert np.array_equal(crho, np.cos(rho)) and np.array_equal(srho, np.sin(rho))


def test_window_points_match_frames(flights):
    """Intercept points (edge sample interpolated in ECEF, closed-form geodetic) against earth.frames'
    rotation and Bowring's iteration: within 1e-9 deg and 1 mm."""
    geo = prepare(flights)
    tab = table_for(4500.0, 50.0, 900.0)
    th = flights
    mid = [th.n_samples[i] // d for i in range(3) for d in (2, 3)]  # under the flights' mid-course
    la, lo, _ = ecef_to_geodetic(eci_to_ecef(th.r_eci_m[[0, 0, 1, 1, 2, 2], mid], th.t_s[[0, 0, 1, 1, 2, 2], mid], th.earth))
    sites = np.stack([la + 2.0, lo, np.zeros(6)], -1)
    P = 3 * len(sites)
    spec = PairSpec(np.repeat(np.arange(3), len(sites)), np.tile(np.arange(len(sites)), 3), np.zeros(P, dtype=np.int64),
                    np.full(P, 0.0), 100e3, 1500e3, 0.0, 900.0, 0.0, 60.0)
    w = solve_windows(geo, sites, [tab], spec)
    assert w.feasible.sum() >= 6
    for pt, ci, cf in ((w.point_first, E.C_IDX_FIRST, E.C_FRAC_FIRST), (w.point_last, E.C_IDX_LAST, E.C_FRAC_LAST)):
        ok = np.isfinite(w.raw[:, ci]) & (w.raw[:, ci] >= 0)
        assert np.array_equal(ok, np.isfinite(pt[:, 0]))
        p = np.flatnonzero(ok)
        i, m = spec.traj[p], w.raw[p, ci].astype(int)
        m1 = np.minimum(m + 1, th.n_samples[i] - 1)
        a = eci_to_ecef(th.r_eci_m[i, m], th.t_s[i, m], th.earth)
        b = eci_to_ecef(th.r_eci_m[i, m1], th.t_s[i, m1], th.earth)
        la, lo, h = ecef_to_geodetic(a + w.raw[p, cf][:, None] * (b - a), th.earth)
        assert np.max(np.abs(pt[p, 0] - la)) < 1e-9 and np.max(np.abs(pt[p, 1] - lo)) < 1e-9
        assert np.max(np.abs(pt[p, 2] - h / 1e3)) < 1e-6


def test_kept_packs_equal_fresh_ones(flights, monkeypatch):
    """A table's pack kept from an earlier call gives the same record as one built afresh; at most
    _PACK_KEEP are kept; an entry whose table is gone never answers for another."""
    geo = prepare(flights)
    tab = table_for(4500.0, 50.0, 900.0)
    sites = np.array([[58.0, 10.0, 0.0], [62.0, -20.0, 0.0]])
    q, s = np.zeros(4, dtype=np.int64), np.array([0, 1, 0, 1])
    first = table_reach([tab], q, s, sites, flights.earth, geo.sub_chunks)
    again = table_reach([tab], q, s, sites, flights.earth, geo.sub_chunks)
    assert again.tab is first.tab or np.shares_memory(again.tab, first.tab)  # kept, not rebuilt
    E._PACKS.clear()
    fresh = table_reach([tab], q, s, sites, flights.earth, geo.sub_chunks)
    assert not np.shares_memory(fresh.tab, first.tab)
    for name in first._fields:
        a, b = getattr(first, name), getattr(fresh, name)
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), name
    monkeypatch.setattr(E, "_PACK_KEEP", 1)
    other = dataclasses.replace(tab, name="a copy")  # another object, same arrays
    table_reach([other], q, s, sites, flights.earth, geo.sub_chunks)
    assert len(E._PACKS) == 1 and next(iter(E._PACKS.values()))[0]() is other
    key = next(iter(E._PACKS))
    del other
    gc.collect()
    assert E._PACKS[key][0]() is None  # a dead entry: its id may be reused, but the weak reference says no
