"""Tests of bmdcheck.earth.atmosphere: USSA76 against its published tables, and the table/look-up.

Measured errors are recorded in docs/validation/atmosphere.md.
"""

from __future__ import annotations

import time

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmdcheck.earth import atmosphere as atm
from bmdcheck.earth.atmosphere import atmos_lookup, atmosphere_table, ussa76

PUBLISHED_REL_TOL = 1e-3
"""0.1 %: required agreement with the standard's printed tables (T, P, rho, a)."""
PRESSURE_TIGHT_TOL = 1e-4
"""0.01 %: P is printed to 5 figures; this catches model-choice regressions that 0.1 % lets
through (M in the eddy term, H flux above 500 km: 3e-4 to 7e-4 at 1000 km)."""
TABLE_REL_TOL = 1e-4
"""0.01 %: required agreement of the interpolated table with the model itself."""

USSA76_TABLE_I = [
    # Geometric Z (km), T (K), P (Pa), rho (kg/m^3). U.S. Standard Atmosphere, 1976,
    # NOAA-S/T 76-1562, Table I (geometric altitude), as reproduced in public sources.
    (0.0, 288.150, 101325.0, 1.22500),
    (11.0, 216.774, 22700.0, 3.64802e-1),
    (20.0, 216.650, 5529.31, 8.89099e-2),
    (32.0, 228.490, 889.064, 1.35552e-2),
    (47.0, 269.684, 115.851, 1.49652e-3),
    (51.0, 270.650, 70.4580, 9.06902e-4),
    (71.0, 216.846, 4.47956, 7.19652e-5),
    (86.0, 186.87, 0.37338, 6.958e-6),
    (100.0, 195.08, 3.2011e-2, 5.604e-7),
    (150.0, 634.39, 4.5422e-4, 2.076e-9),
    (200.0, 854.56, 8.4736e-5, 2.541e-10),
    (500.0, 999.24, 3.0236e-7, 5.215e-13),
    (1000.0, 1000.00, 7.5138e-9, 3.561e-15),
]
USSA76_SOUND = [(0.0, 340.294), (11.0, 295.154)]  # km, m/s: USSA76 Table I

# Geometric altitudes (m) of the lapse-rate breaks below 86 km, where ln rho has a kink.
LAYER_BREAKS_M = atm.R0_M * atm._H_B[1:] / (atm.R0_M - atm._H_B[1:])


def _rel(a, b):
    return np.abs(np.asarray(a) / np.asarray(b) - 1.0)


# --- USSA76 Table I ----------------------------------------------------------------------------

@pytest.mark.parametrize("z_km, t_k, p_pa, rho", USSA76_TABLE_I, ids=[f"{r[0]:g}km" for r in USSA76_TABLE_I])
def test_against_ussa76_table_i(z_km, t_k, p_pa, rho):
    a = ussa76(z_km * 1e3)
    assert _rel(a.temperature_K, t_k) < PUBLISHED_REL_TOL
    assert _rel(a.pressure_Pa, p_pa) < PUBLISHED_REL_TOL
    assert _rel(a.density_kgm3, rho) < PUBLISHED_REL_TOL


def test_pressure_against_ussa76_table_i_to_printed_precision():
    z_km, _, p_pa, _ = np.array(USSA76_TABLE_I).T
    assert _rel(ussa76(z_km * 1e3).pressure_Pa, p_pa).max() < PRESSURE_TIGHT_TOL  # measured 5.3e-5


@pytest.mark.parametrize("z_km, a_mps", USSA76_SOUND)
def test_speed_of_sound_against_ussa76_table_i(z_km, a_mps):
    assert _rel(ussa76(z_km * 1e3).sound_speed_mps, a_mps) < PUBLISHED_REL_TOL


def test_kinetic_temperature_uses_table_8_between_80_and_86_km():
    # At 86 km the kinetic T is the standard's T7 = 186.8673 K, while T_M = 186.946 K.
    assert _rel(ussa76(86e3).temperature_K, atm.T7) < 1e-6
    h80 = atm.R0_M * 80e3 / (atm.R0_M + 80e3)  # geopotential of 80 km, where M/M0 = 1
    assert _rel(ussa76(80e3).temperature_K, 214.65 - 2.0e-3 * (h80 - 71e3)) < 1e-12


def test_lower_and_upper_models_join_at_86_km():
    lower = atm._lower(np.array([86e3]))
    upper = atm._upper(np.array([86e3]))
    for lo, up in zip(lower, upper):
        assert _rel(up, lo)[0] < 2e-5  # measured 8.5e-6 (P and rho)


def test_upper_integration_is_converged():
    z = np.linspace(86_001.0, 1e6, 3001)
    fine = atm._build_upper_profile(tuple((top, step / 4) for top, step in atm._STEP_KM))
    for coarse_v, fine_v in zip(atm._upper(z), atm._upper(z, fine)):
        assert _rel(coarse_v, fine_v).max() < 1e-7  # measured 4e-9


# --- Properties of the model -------------------------------------------------------------------

def test_density_and_pressure_decrease_monotonically():
    a = ussa76(np.linspace(0.0, 1e6, 200_001))
    assert np.all(np.diff(a.density_kgm3) < 0.0)
    assert np.all(np.diff(a.pressure_Pa) < 0.0)


def test_broadcasting_scalar_1d_2d():
    z2 = np.linspace(-1e3, 1.2e6, 12).reshape(3, 4)
    for z in (5e3, np.float64(5e3), z2[0], z2):
        a = ussa76(z)
        for field, value in zip(a._fields, a):
            assert np.shape(value) == np.shape(z), field
    a2 = ussa76(z2)
    for (i, j), zij in np.ndenumerate(z2):
        for v2, v in zip(a2, ussa76(zij)):
            assert v2[i, j] == v


def test_outside_range():
    below, at0 = ussa76(-500.0), ussa76(0.0)
    assert below == at0
    above = ussa76(1.5e6)
    assert above.density_kgm3 == 0.0 and above.pressure_Pa == 0.0
    assert above.temperature_K == 1000.0
    assert above.sound_speed_mps == ussa76(1e6).sound_speed_mps
    assert all(np.isnan(v) for v in ussa76(np.nan))


# --- The table and the compiled look-up --------------------------------------------------------

def test_table_grid_covers_0_to_1000_km_exactly():
    tab = atmosphere_table()
    assert atmosphere_table() is tab  # cached
    assert (len(tab.ln_rho) - 1) * tab.dh_m == 1e6
    assert len(tab.ln_p) == len(tab.sound_mps) == len(tab.ln_rho)
    assert not tab.ln_rho.flags.writeable
    assert np.all(np.diff(tab.ln_rho) < 0.0)
    nodes = np.array([0.0, 11e3, 86e3, 86.01e3, 1e6])
    exact = ussa76(nodes)
    k = np.round(nodes / tab.dh_m).astype(int)
    assert np.allclose(tab.ln_rho[k], np.log(exact.density_kgm3), rtol=0, atol=1e-12)


def test_table_interpolation_within_0_01_percent():
    tab = atmosphere_table()
    rng = np.random.default_rng(20240601)
    z = np.concatenate([rng.uniform(0.0, 1e6, 300_000),
                        (LAYER_BREAKS_M[:, None] + rng.uniform(-30.0, 30.0, (6, 2000))).ravel(),
                        rng.uniform(85e3, 160e3, 50_000)])
    grid = np.arange(len(tab.ln_rho)) * tab.dh_m
    exact = ussa76(z)
    assert _rel(np.exp(np.interp(z, grid, tab.ln_rho)), exact.density_kgm3).max() < TABLE_REL_TOL
    assert _rel(np.exp(np.interp(z, grid, tab.ln_p)), exact.pressure_Pa).max() < TABLE_REL_TOL
    assert _rel(np.interp(z, grid, tab.sound_mps), exact.sound_speed_mps).max() < TABLE_REL_TOL


def test_table_build_time_is_reported(capsys):
    """The table is built lazily at first use; its build time is reported, not asserted (the
    project's rule: CI never fails on speed; measured ~0.08 s, docs/validation/atmosphere.md)."""
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        atm._build_upper_profile()
        tab = atm.atmosphere_table.__wrapped__()
        best = min(best, time.perf_counter() - t0)
    assert np.all(np.isfinite(tab.ln_rho[:-1]))
    with capsys.disabled():
        print(f"\natmosphere table built in {best:.3f} s")


@numba.njit
def _lookup_many(h, dh, ln_rho, ln_p, snd):
    out = np.empty((h.size, 3))
    for i in range(h.size):
        rho, p, a = atmos_lookup(h[i], dh, ln_rho, ln_p, snd)
        out[i, 0], out[i, 1], out[i, 2] = rho, p, a
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 1e6, exclude_max=True), min_size=1, max_size=64))
def test_lookup_in_njit_matches_model(alts):
    h = np.array(alts)
    got = _lookup_many(h, *atmosphere_table())
    exact = ussa76(h)
    assert _rel(got[:, 0], exact.density_kgm3).max() < TABLE_REL_TOL
    assert _rel(got[:, 1], exact.pressure_Pa).max() < TABLE_REL_TOL
    assert _rel(got[:, 2], exact.sound_speed_mps).max() < TABLE_REL_TOL


def test_lookup_outside_range():
    tab = atmosphere_table()
    got = _lookup_many(np.array([-100.0, 0.0, 1e6, 3e6, np.nan]), *tab)
    at0 = ussa76(0.0)
    for row in got[:2]:
        assert np.allclose(row, [at0.density_kgm3, at0.pressure_Pa, at0.sound_speed_mps],
                           rtol=1e-12, atol=0)
    for row in got[2:4]:
        assert row[0] == 0.0 and row[1] == 0.0 and row[2] == tab.sound_mps[-1]
    assert np.all(np.isnan(got[4]))


# --- The cubic air table of the flight kernels --------------------------------------------------

AIR_REL_TOL = 1e-8
"""Required agreement of the cubic air table (``air_table``/``air_at``) with the model itself."""


@numba.njit
def _air_many(h, dh, rows):
    out = np.empty((h.size, 3))
    for i in range(h.size):
        rho, p, a = atm.air_at(h[i], dh, rows)
        out[i, 0], out[i, 1], out[i, 2] = rho, p, a
    return out


def test_air_table_matches_model_to_1e_8():
    """Pieces of 100 m never spanning a break: everywhere (and ±30 m around every break,
    ±1 mm on both sides of it) the cubic pieces agree with ussa76 to 1e-8 (measured 3.5e-9)."""
    tab = atm.air_table()
    assert atm.air_table() is tab and not tab.rows.flags.writeable
    rng = np.random.default_rng(77)
    brk = np.array(atm.AIR_BREAKS_M)
    z = np.concatenate([rng.uniform(0.0, 1e6, 200_000), rng.uniform(0.0, 150e3, 100_000),
                        (brk[:, None] + rng.uniform(-30.0, 30.0, (brk.size, 500))).ravel(),
                        brk - 1e-3, brk + 1e-3, [0.0, 1e6 - 1e-3]])
    got = _air_many(z, tab.dh_m, tab.rows)
    exact = ussa76(z)
    assert _rel(got[:, 0], exact.density_kgm3).max() < AIR_REL_TOL
    assert _rel(got[:, 1], exact.pressure_Pa).max() < AIR_REL_TOL
    assert _rel(got[:, 2], exact.sound_speed_mps).max() < AIR_REL_TOL


def test_air_table_continuous_between_breaks():
    """Both pieces meeting at a node give the same value (no corner the integrator would see)."""
    tab = atm.air_table()
    rows = tab.rows
    for c in (atm.AIR_RHO, atm.AIR_P, atm.AIR_A):
        x = rows[1:, 1] - rows[:-1, 1]
        left = rows[:-1, c] + x * (rows[:-1, c + 1] + x * (rows[:-1, c + 2] + x * rows[:-1, c + 3]))
        right = rows[1:, c]
        at_break = np.isin(np.round(rows[1:, 1], 6), np.round(atm.AIR_BREAKS_M, 6))
        ok = (x > 0) & ~at_break
        assert ok.sum() > 9_000 and _rel(left[ok], right[ok]).max() < 1e-9


def test_air_at_outside_range():
    tab = atm.air_table()
    got = _air_many(np.array([-100.0, 0.0, 1e6, 3e6, np.nan]), tab.dh_m, tab.rows)
    at0 = ussa76(0.0)
    for row in got[:2]:
        assert np.allclose(row, [at0.density_kgm3, at0.pressure_Pa, at0.sound_speed_mps], rtol=1e-9, atol=0)
    top = ussa76(1e6).sound_speed_mps
    for row in got[2:4]:
        assert row[0] == 0.0 and row[1] == 0.0 and abs(row[2] / top - 1) < 1e-8
    assert np.all(np.isnan(got[4]))
