"""U.S. Standard Atmosphere 1976 (USSA76) from 0 to 1000 km geometric altitude, vectorised.

Source: *U.S. Standard Atmosphere, 1976*, NOAA-S/T 76-1562 (also NASA-TM-X-74335), U.S.
Government Printing Office, Washington D.C., 1976. Equation and table numbers below are the
standard's.

Two layers:

- ``ussa76(alt_m)`` evaluates the model itself, for arrays of any shape. Below 86 km it is closed
  form: the seven geopotential layers, with hydrostatic pressure (eqs. 33a/33b). From 86 to
  1000 km it is the standard's diffusion model of N2, O, O2, Ar, He and H (eqs. 36-40). The
  altitude integrals of that model are computed once, on first use, on a fine grid with SciPy's
  cumulative Simpson rule. They are then read back by cubic Hermite interpolation, whose end
  slopes are the exact integrands.
- ``atmosphere_table()`` and ``atmos_lookup`` give a uniform table of ln rho, ln p and a, and a
  Numba scalar look-up that interpolates it linearly.
- ``air_table()`` and ``air_at`` give what the flight kernels read: cubic pieces of rho, p and a
  (100 m, never spanning a break of the model), within 1e-8 of ``ussa76`` and smooth between
  the breaks, so a Runge-Kutta step sees no corner there (the linear table has one every 10 m).

The standard defines the speed of sound only up to 86 km (eq. 50). Above 86 km, bmdcheck uses
the same formula a = sqrt(gamma R* T / M), with the kinetic temperature T, the local mean
molecular weight M = rho N_A / n and gamma = 1.4. This is a bmdcheck extension, not part of
USSA76. Validation: docs/validation/atmosphere.md.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numba
import numpy as np

from .constants import G0_MPS2

__all__ = ["Atmosphere", "AtmosphereTable", "AirTable", "ussa76", "atmosphere_table", "atmos_lookup", "air_table",
           "air_at"]

# --- Constants of the standard (NOAA-S/T 76-1562, Tables 2-7) ------------------------------
R0_M = 6_356_766.0
"""Effective Earth radius for the geopotential and for g(Z), m (USSA76 eq. 18)."""
M0 = 28.9644
"""Sea-level mean molecular weight of air, kg/kmol (USSA76 Table 2)."""
R_STAR = 8314.32
"""Universal gas constant, J/(kmol K) (USSA76 Table 2)."""
N_A = 6.022169e26
"""Avogadro constant, 1/kmol (USSA76 Table 2)."""
K_BOLTZMANN = R_STAR / N_A
"""Boltzmann constant, J/K (USSA76 Table 2 gives 1.380622e-23 = R*/N_A)."""
GAMMA = 1.4
"""Ratio of specific heats of air (USSA76 eq. 50)."""
T0_K, P0_PA = 288.15, 101_325.0
"""Sea-level temperature, K, and pressure, Pa (USSA76 Table 2)."""
TOP_M = 1_000_000.0
"""Upper end of the model, m."""

# Below 86 km: base geopotential heights (m') and molecular-scale lapse rates (K/m') of the
# seven layers (USSA76 Table 4); g0' M0 / R* in K/m'.
_H_B = np.array([0.0, 11_000.0, 20_000.0, 32_000.0, 47_000.0, 51_000.0, 71_000.0])
_L_B = np.array([-6.5e-3, 0.0, 1.0e-3, 2.8e-3, 0.0, -2.8e-3, -2.0e-3])
_GMR = G0_MPS2 * M0 / R_STAR


def _layer_bases() -> tuple[np.ndarray, np.ndarray]:
    """Return T_M (K) and P (Pa) at the seven layer bases (USSA76 eqs. 23, 33a, 33b)."""
    tb, pb = [T0_K], [P0_PA]
    for i in range(1, len(_H_B)):
        dh, t, lap = _H_B[i] - _H_B[i - 1], tb[-1], _L_B[i - 1]
        tb.append(t + lap * dh)
        pb.append(pb[-1] * (math.exp(-_GMR * dh / t) if lap == 0.0
                            else (t / (t + lap * dh)) ** (_GMR / lap)))
    return np.array(tb), np.array(pb)


_T_B, _P_B = _layer_bases()

# USSA76 Table 8: M/M0 at geometric 80.0, 80.5, ..., 86.0 km (linear in between); T = T_M M/M0.
_Z_MRATIO_KM = np.linspace(80.0, 86.0, 13)
_MRATIO = np.array([1.0, 0.999996, 0.999989, 0.999971, 0.999941, 0.999909, 0.999870,
                    0.999829, 0.999786, 0.999741, 0.999694, 0.999641, 0.999579])

# 86-1000 km, altitudes in km (USSA76 section 1.2.2, Tables 3, 5, 6, 7).
Z7, Z8, Z9, Z10, Z11, Z12 = 86.0, 91.0, 110.0, 120.0, 500.0, 1000.0
T7, T9, T10, T_INF = 186.8673, 240.0, 360.0, 1000.0  # K
TC, A_ELL, B_ELL = 263.1905, -76.3232, -19.9429  # elliptical segment: K, K, km
LK9, LAMBDA = 12.0, 0.01875  # linear segment, K/km; exponential segment, 1/km
R0_KM = R0_M / 1e3
SPECIES = ("N2", "O", "O2", "Ar", "He", "H")
M_I = np.array([28.0134, 15.9994, 31.9988, 39.948, 4.0026, 1.00797])  # kg/kmol, Table 3
N_7 = np.array([1.129794e20, 8.6e16, 3.030898e19, 1.351400e18, 7.5817e14])  # 1/m^3 at 86 km
ALPHA = np.array([0.0, 0.0, 0.0, 0.0, -0.40, -0.25])  # thermal-diffusion factors, Table 6
A_D = np.array([np.nan, 6.986e20, 4.863e20, 4.487e20, 1.700e21, 3.305e21])  # 1/(m s), Table 6
B_D = np.array([np.nan, 0.750, 0.750, 0.870, 0.691, 0.500])  # Table 6
Q_T = np.array([np.nan, -5.809644e-4, 1.366212e-4, 9.434079e-5, -2.457369e-4])  # 1/km^3, Table 7
U_T = np.array([np.nan, 56.90311, 86.0, 86.0, 86.0])  # km, Table 7
W_T = np.array([np.nan, 2.706240e-5, 8.333333e-5, 8.333333e-5, 6.666667e-4])  # 1/km^3, Table 7
Q_O, U_O, W_O = -3.416248e-3, 97.0, 5.008765e-4  # second term of eq. 37, O only, Z <= 97 km
K7 = 1.2e2  # eddy diffusion coefficient from 86 to 95 km, m^2/s
N_H11, PHI_H = 8.0e10, 7.2e11  # H at 500 km, 1/m^3; its upward flux, 1/(m^2 s)


class Atmosphere(NamedTuple):
    """USSA76 state at the requested altitudes: every field has the input's shape, SI units."""

    temperature_K: np.ndarray
    """Kinetic temperature, K."""
    pressure_Pa: np.ndarray
    """Pressure, Pa."""
    density_kgm3: np.ndarray
    """Mass density, kg/m^3."""
    sound_speed_mps: np.ndarray
    """Speed of sound, m/s (above 86 km a bmdcheck extension: see the module docstring)."""


class AtmosphereTable(NamedTuple):
    """USSA76 on the uniform grid h_k = k dh_m, k = 0..N, with N dh_m = 1,000,000 m exactly."""

    dh_m: float
    """Grid spacing, m."""
    ln_rho: np.ndarray
    """(N+1,) natural log of density in kg/m^3, read-only."""
    ln_p: np.ndarray
    """(N+1,) natural log of pressure in Pa, read-only."""
    sound_mps: np.ndarray
    """(N+1,) speed of sound, m/s, read-only."""


# --- Below 86 km: closed form ----------------------------------------------------------------

def _lower(z_m: np.ndarray) -> tuple[np.ndarray, ...]:
    """Return (T, P, rho, a) at 1-D geometric altitudes 0 <= z_m <= 86,000 m."""
    h = R0_M * z_m / (R0_M + z_m)  # geopotential height, m' (eq. 18)
    b = np.clip(np.searchsorted(_H_B, h, side="right") - 1, 0, len(_H_B) - 1)
    lap, dh, tb = _L_B[b], h - _H_B[b], _T_B[b]
    t_m = tb + lap * dh  # molecular-scale temperature (eq. 23)
    iso = lap == 0.0
    p = _P_B[b] * np.where(iso, np.exp(-_GMR * dh / tb),  # eq. 33b
                           (tb / t_m) ** (_GMR / np.where(iso, 1.0, lap)))  # eq. 33a
    rho = p * M0 / (R_STAR * t_m)  # eq. 42
    a = np.sqrt(GAMMA * R_STAR * t_m / M0)  # eq. 50
    t = t_m * np.interp(z_m / 1e3, _Z_MRATIO_KM, _MRATIO)  # kinetic T (Table 8)
    return t, p, rho, a


# --- 86 to 1000 km: the diffusion model ------------------------------------------------------

def _upper_temperature(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return kinetic T (K) and dT/dZ (K/km) at 1-D altitudes 86 <= z <= 1000 km."""
    t, dt = np.full(z.shape, T7), np.zeros(z.shape)  # isothermal to 91 km
    m = (z > Z8) & (z <= Z9)  # elliptical segment
    x = (z[m] - Z8) / B_ELL
    s = np.sqrt(1.0 - x * x)
    t[m], dt[m] = TC + A_ELL * s, -A_ELL / B_ELL * x / s
    m = (z > Z9) & (z <= Z10)  # linear segment
    t[m], dt[m] = T9 + LK9 * (z[m] - Z9), LK9
    m = z > Z10  # exponential segment
    r = (R0_KM + Z10) / (R0_KM + z[m])
    e = np.exp(-LAMBDA * (z[m] - Z10) * r)
    t[m], dt[m] = T_INF - (T_INF - T10) * e, LAMBDA * (T_INF - T10) * r * r * e
    return t, dt


T11 = float(_upper_temperature(np.array([Z11]))[0][0])
"""Kinetic temperature at 500 km, K (999.2356 in the standard)."""


def _eddy_k(z: np.ndarray) -> np.ndarray:
    """Return the eddy-diffusion coefficient K (m^2/s) at z (km).

    K = K7 below 95 km, K7 exp(1 - 400/(400 - (Z-95)^2)) from 95 to 115 km, 0 above.
    """
    k = np.where(z < 95.0, K7, 0.0)
    m = (z >= 95.0) & (z < 115.0)
    k[m] = K7 * np.exp(1.0 - 400.0 / (400.0 - (z[m] - 95.0) ** 2))
    return k


def _transport(z: np.ndarray, i: int) -> np.ndarray:
    """Return v_i/(D_i+K) (1/km) of species i = 1..4 at z (km) (eq. 37; 0 above 150 km)."""
    x = z - U_T[i]
    v = Q_T[i] * x * x * np.exp(-W_T[i] * x ** 3)
    if SPECIES[i] == "O":
        y = np.maximum(U_O - z, 0.0)  # the second term stops at 97 km
        v = v + Q_O * y * y * np.exp(-W_O * y ** 3)
    return np.where(z <= 150.0, v, 0.0)


# Segment ends (km): every altitude where an integrand or its slope breaks is a node.
_BREAKS_KM = (Z7, Z8, 95.0, 97.0, 100.0, Z9, 115.0, Z10, 150.0, Z11, Z12)
_STEP_KM = ((150.0, 0.05), (Z12, 0.5))  # (segments ending at or below, node spacing), km


class _Hermite(NamedTuple):
    """Piecewise-cubic Hermite interpolant of q quantities over intervals [z0[k], z1[k]].

    y0, y1: (n, q) values at the interval ends; d0, d1: (n, q) slopes there (one-sided, so a
    slope may jump at a node).
    """

    z0: np.ndarray
    z1: np.ndarray
    y0: np.ndarray
    y1: np.ndarray
    d0: np.ndarray
    d1: np.ndarray

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """Return the (len(z), q) interpolated values at 1-D altitudes z (km)."""
        k = np.clip(np.searchsorted(self.z1, z), 0, len(self.z1) - 1)
        h = (self.z1[k] - self.z0[k])[:, None]
        t = (z - self.z0[k])[:, None] / h
        t2, t3 = t * t, t * t * t
        return ((2 * t3 - 3 * t2 + 1) * self.y0[k] + (t3 - 2 * t2 + t) * h * self.d0[k]
                + (3 * t2 - 2 * t3) * self.y1[k] + (t3 - t2) * h * self.d1[k])


def _build_upper_profile(step_km=_STEP_KM) -> _Hermite:
    """Integrate the USSA76 composition equations from 86 to 1000 km; return their interpolant.

    Quantities (columns of the interpolant), with Z in km and integrals over Z:
    0-4: I_i for N2, O, O2, Ar, He, so that n_i(Z) = n_i(86 km) (T7/T) exp(-I_i(Z)).
      N2: dI/dZ = M g/(R* T), with M = M0 up to 100 km and M(N2) above.
      O, O2, Ar, He (eqs. 36, 37): dI/dZ = g/(R* T) (M_i D_i + M K)/(D_i + K)
      + alpha_i D_i/(D_i + K) (dT/dZ)/T + v_i/(D_i + K), where K is the eddy coefficient
      and D_i = a_i (T/273.15)^b_i / n the molecular diffusion coefficient. The background
      gas is N2 for O and O2, and N2+O+O2 for Ar and He: n is its number density and, above
      100 km, M its mean molecular weight (M0 below). This reading of M reproduces the
      tabulated 500 and 1000 km values; M = M(N2) for all four misses 1000 km by 8e-4.
    5: tau = integral from 500 km of M_H g/(R* T) (eq. 40).
    6: J = integral from Z to 500 km of phi/D_H (T/T11)^(1+alpha_H) exp(tau) for
      150 <= Z <= 500 km, with D_H over N2+O+O2+Ar+He; then
      n_H = (T11/T)^(1+alpha_H) exp(-tau) (n_H(500) + J). Above 500 km J = 0 (diffusive
      equilibrium): carrying the flux on above 500 km makes the 1000 km pressure 3e-4 low.
    Method: scipy.integrate.cumulative_simpson on a uniform sub-grid of each segment between
    _BREAKS_KM, marching upward so that each D_i uses densities already computed.
    """
    from scipy.integrate import cumulative_simpson  # SciPy only when the table is built

    segs = []
    acc = np.zeros(5)
    for lo, hi in zip(_BREAKS_KM[:-1], _BREAKS_KM[1:]):
        step = next(s for top, s in step_km if hi <= top)
        z = np.linspace(lo, hi, max(3, round((hi - lo) / step) + 1))
        t, dt = _upper_temperature(z)
        g = G0_MPS2 * (R0_KM / (R0_KM + z)) ** 2  # eq. 17, m/s^2
        base = g / (R_STAR * t) * 1e3  # g/(R* T): 1/km per kg/kmol
        k = _eddy_k(z)
        f, y, n = np.zeros((7, z.size)), np.zeros((7, z.size)), np.zeros((5, z.size))
        m_mix = M0 if hi <= 100.0 else M_I[0]
        for i in range(5):
            if i == 0:
                f[0] = m_mix * base
            else:
                bg = slice(0, 1) if i <= 2 else slice(0, 3)  # N2, or N2+O+O2
                n_bg = n[bg].sum(axis=0)
                m_bg = m_mix if hi <= 100.0 else (n[bg] * M_I[bg, None]).sum(axis=0) / n_bg
                d = A_D[i] / n_bg * (t / 273.15) ** B_D[i]
                f[i] = (base * (M_I[i] * d + m_bg * k) / (d + k)
                        + ALPHA[i] * d / (d + k) * dt / t + _transport(z, i))
            y[i] = acc[i] + cumulative_simpson(f[i], x=z, initial=0.0)
            n[i] = N_7[i] * T7 / t * np.exp(-y[i])
        acc = y[:5, -1].copy()
        segs.append((z, t, base, n, f, y))
    # Hydrogen, 150-1000 km: tau (referred to 500 km), then the flux integral J below 500 km.
    below, above = (s for s in segs if s[0][0] >= 150.0)  # [150, 500] and [500, 1000] km
    for z, t, base, n, f, y in (below, above):
        f[5] = M_I[5] * base
        y[5] = cumulative_simpson(f[5], x=z, initial=0.0)
    z, t, base, n, f, y = below
    y[5] -= y[5][-1]
    d_h = A_D[5] / n.sum(axis=0) * (t / 273.15) ** B_D[5]
    f[6] = -PHI_H / d_h * (t / T11) ** (1 + ALPHA[5]) * np.exp(y[5]) * 1e3  # 1/(m^3 km)
    c = cumulative_simpson(f[6], x=z, initial=0.0)
    y[6] = c - c[-1]
    cat = np.concatenate
    return _Hermite(cat([s[0][:-1] for s in segs]), cat([s[0][1:] for s in segs]),
                    cat([s[5][:, :-1].T for s in segs]), cat([s[5][:, 1:].T for s in segs]),
                    cat([s[4][:, :-1].T for s in segs]), cat([s[4][:, 1:].T for s in segs]))


@functools.lru_cache(maxsize=1)
def _upper_profile() -> _Hermite:
    """Return the cached composition interpolant (built on first use, about 20 ms)."""
    return _build_upper_profile()


def _upper_densities(z: np.ndarray, profile: _Hermite | None = None):
    """Return kinetic T (K) and (6, n) number densities (1/m^3) of N2, O, O2, Ar, He, H at z km."""
    t, _ = _upper_temperature(z)
    y = (_upper_profile() if profile is None else profile)(z).T
    n = np.empty((6, z.size))
    n[:5] = N_7[:, None] * (T7 / t) * np.exp(-y[:5])
    n[5] = np.where(z >= 150.0, (T11 / t) ** (1 + ALPHA[5]) * np.exp(-y[5]) * (N_H11 + y[6]), 0.0)
    return t, n


def _upper(z_m: np.ndarray, profile: _Hermite | None = None) -> tuple[np.ndarray, ...]:
    """Return (T, P, rho, a) at 1-D altitudes 86,000 < z_m <= 1,000,000 m (P = n k T)."""
    t, n = _upper_densities(z_m / 1e3, profile)
    n_tot = n.sum(axis=0)
    mass = (n * M_I[:, None]).sum(axis=0)  # kg/kmol * 1/m^3
    p = n_tot * K_BOLTZMANN * t
    a = np.sqrt(GAMMA * R_STAR * t * n_tot / mass)  # bmdcheck extension, M = mass / n_tot
    return t, p, mass / N_A, a


def ussa76(alt_m) -> Atmosphere:
    """Evaluate the U.S. Standard Atmosphere 1976 at geometric altitudes.

    Input: ``alt_m``, geometric altitude above sea level in m, a scalar or an array of any shape.
    It is valid from 0 to 1,000,000 m. Below 0 the values at 0 m are returned. Above 1000 km,
    density and pressure are 0, T is 1000 K and a is its value at 1000 km. NaN gives NaN.
    Output: ``Atmosphere(temperature_K, pressure_Pa, density_kgm3, sound_speed_mps)``, each with
    the shape of ``alt_m`` (numpy scalars for a scalar input).

    Method (NOAA-S/T 76-1562, 1976):
    - 0-86 km: H = r0 Z/(r0 + Z) (r0 = 6356.766 km). T_M is linear in H in seven layers. P is
      P_b (T_b/T_M)^(g0 M0/(R* L_b)), or P_b exp(-g0 M0 (H - H_b)/(R* T_b)) where L_b = 0.
      rho = P M0/(R* T_M) and a = sqrt(gamma R* T_M/M0). Kinetic T = T_M M/M0, with M/M0
      taken from Table 8 (80-86 km).
    - 86-1000 km: T is the four-segment kinetic temperature. The number densities are those of
      ``_build_upper_profile``. rho = sum n_i M_i/N_A, P = n k T and a = sqrt(gamma R* T/M).
    """
    z = np.asarray(alt_m, dtype=float)
    zc = np.maximum(z, 0.0).ravel()
    out = [np.full(zc.shape, np.nan) for _ in range(4)]
    for mask, fn in ((zc <= 86_000.0, _lower), ((zc > 86_000.0) & (zc <= TOP_M), _upper)):
        if mask.any():
            for o, v in zip(out, fn(zc[mask])):
                o[mask] = v
    top = zc > TOP_M
    if top.any():
        out[0][top], out[1][top], out[2][top] = T_INF, 0.0, 0.0
        out[3][top] = _upper(np.array([TOP_M]))[3][0]
    return Atmosphere(*(o.reshape(z.shape)[()] for o in out))


# --- Table and compiled look-up ----------------------------------------------------------------

TABLE_DH_M = 10.0
"""Table spacing, m. Linear interpolation of ln rho is off by at most |jump of slope| dh/4 at a
lapse-rate break (3.0e-5 /m at 11 km, so 7.5e-5 at 10 m), plus dh^2/8 |curvature| elsewhere.
Measured maximum: docs/validation/atmosphere.md."""


@functools.lru_cache(maxsize=1)
def atmosphere_table() -> AtmosphereTable:
    """Return the cached USSA76 table on the uniform grid h_k = k dh_m, k = 0..N.

    Output: ``AtmosphereTable(dh_m, ln_rho, ln_p, sound_mps)``. dh_m = TABLE_DH_M (10 m) and
    N = 100,000, so the grid covers 0 to 1,000,000 m exactly. The arrays have shape (N+1,) and
    hold ln(kg/m^3), ln(Pa) and m/s. They are read-only, because the table is shared.
    Method: ``ussa76`` evaluated at every node, on first use (under 0.1 s).
    """
    n = round(TOP_M / TABLE_DH_M)
    atm = ussa76(np.arange(n + 1) * TABLE_DH_M)
    arrays = [np.ascontiguousarray(x) for x in
              (np.log(atm.density_kgm3), np.log(atm.pressure_Pa), atm.sound_speed_mps)]
    for x in arrays:
        x.flags.writeable = False
    return AtmosphereTable(TABLE_DH_M, *arrays)


@numba.njit(cache=True, inline="always")
def atmos_lookup(h_m, dh_m, ln_rho, ln_p, sound_mps):
    """Interpolate the USSA76 table at one altitude, inside Numba kernels.

    Inputs: h_m, geometric altitude in m (float), and the fields of ``atmosphere_table()``.
    Output: (rho kg/m^3, p Pa, a m/s), three floats. Below 0 m it returns the values at 0 m.
    From the top of the table (1000 km) up it returns (0.0, 0.0, a at 1000 km). NaN gives NaNs.
    Method: linear interpolation of ln rho, ln p and a between the nodes k and k+1 around h_m.
    """
    n = ln_rho.shape[0] - 1
    if h_m >= n * dh_m:
        return 0.0, 0.0, sound_mps[n]
    if h_m > 0.0:
        x = h_m / dh_m
        k = min(int(x), n - 1)
        w = x - k
    elif h_m <= 0.0:
        k, w = 0, 0.0
    else:
        return math.nan, math.nan, math.nan
    rho = math.exp(ln_rho[k] + w * (ln_rho[k + 1] - ln_rho[k]))
    p = math.exp(ln_p[k] + w * (ln_p[k + 1] - ln_p[k]))
    return rho, p, sound_mps[k] + w * (sound_mps[k + 1] - sound_mps[k])


# --- Piecewise-cubic table for the flight kernels ------------------------------------------------

AIR_DH_M = 200.0
"""Cell size of the cubic air table, m (each cell is split in two: 100 m pieces)."""
AIR_BREAKS_M = tuple(R0_M * h / (R0_M - h) for h in _H_B[1:]) + tuple(z * 1e3 for z in _BREAKS_KM[:-1])
"""Altitudes (geometric, m) where rho, p or a has a corner or a step: the six lower layer bases
(geopotential 11, 20, 32, 47, 51, 71 km' at Z = r0 H / (r0 - H), eq. 18) and the segment ends of
the upper model (86, 91, 95, 97, 100, 110, 115, 120, 150, 500 km: temperature law, eddy
diffusion, transport terms, mean molecular weight, hydrogen). A cubic piece never spans one."""
AIR_COLS = 14
(AIR_SPLIT, AIR_BASE, AIR_RHO, AIR_P, AIR_A) = (0, 1, 2, 6, 10)
"""Columns of an ``AirTable`` row: the split altitude of its cell, the piece's base altitude h0,
then 4 coefficients each of rho, p and a: q(h) = c0 + c1 x + c2 x² + c3 x³, x = h - h0 (m)."""


class AirTable(NamedTuple):
    """USSA76 as cubic pieces: cell k = [k dh_m, (k+1) dh_m) is split at rows[2k, AIR_SPLIT]
    into pieces 2k (below) and 2k+1; rows (2N, AIR_COLS), N dh_m = 1,000,000 m, read-only."""

    dh_m: float
    rows: np.ndarray


def _air_rows(dh_m: float, breaks_m=AIR_BREAKS_M) -> np.ndarray:
    """Fit the cubic pieces: each interpolates ussa76 at 4 equally spaced points of the piece
    (its ends taken 1 µm inside, so a piece starting on a step takes the value above it)."""
    n = round(TOP_M / dh_m)
    lo = np.arange(n) * dh_m
    split = lo + 0.5 * dh_m
    for hb in breaks_m:
        k = int(hb // dh_m)
        if hb - lo[k] < 1e-3 or lo[k] + dh_m - hb < 1e-3:  # on a cell edge: nothing to split
            continue
        if split[k] != lo[k] + 0.5 * dh_m:
            raise ValueError("two breaks in one cell of the air table")
        split[k] = hb
    p0 = np.stack([lo, split], -1).ravel()      # piece starts
    p1 = np.stack([split, lo + dh_m], -1).ravel()  # piece ends
    length = p1 - p0
    w = np.array([0.0, 1 / 3, 2 / 3, 1.0])
    pts = p0[:, None] + length[:, None] * w
    pts[:, 0] += 1e-6
    pts[:, 3] -= 1e-6
    atm = ussa76(pts)
    ww = (pts - p0[:, None]) / length[:, None]
    rows = np.zeros((2 * n, AIR_COLS))
    rows[:, AIR_SPLIT] = np.repeat(split, 2)
    rows[:, AIR_BASE] = p0
    scale = length[:, None] ** -np.arange(4.0)
    for col, q in ((AIR_RHO, atm.density_kgm3), (AIR_P, atm.pressure_Pa), (AIR_A, atm.sound_speed_mps)):
        vand = ww[:, :, None] ** np.arange(4.0)  # (pieces, point, power)
        coef = np.linalg.solve(vand, q[:, :, None])[:, :, 0]
        rows[:, col:col + 4] = coef * scale
    return rows


@functools.lru_cache(maxsize=1)
def air_table() -> AirTable:
    """Return the cached cubic USSA76 table of the flight kernels (built on first use, ~0.1 s).

    Pieces of at most 100 m (200 m where a break splits a cell unevenly) that never span a
    break of the model (``AIR_BREAKS_M``), so rho, p and a are smooth inside every piece and
    continuous across pieces (to 1e-9 relative) except at the steps of the model itself: the
    integrator sees no corner between the breaks. Largest error against ``ussa76``:
    docs/validation/atmosphere.md (tests/earth/test_atmosphere.py).
    """
    rows = _air_rows(AIR_DH_M)
    rows.flags.writeable = False
    return AirTable(AIR_DH_M, rows)


@numba.njit(cache=True, inline="always")
def air_piece(h_m, dh_m, rows):
    """(row, x) of altitude h_m in ``AirTable`` rows: the piece and the offset from its base, m.

    h_m is clamped to [0, top); NaN gives row 0 and x NaN."""
    n = rows.shape[0] // 2
    hc = min(max(h_m, 0.0), n * dh_m * (1.0 - 1e-15))
    k = min(int(hc / dh_m), n - 1)
    j = 2 * k + (1 if hc >= rows[2 * k, 0] else 0)
    return j, (hc if h_m == h_m else h_m) - rows[j, 1]


@numba.njit(cache=True, inline="always")
def air_at(h_m, dh_m, rows):
    """USSA76 (rho kg/m³, p Pa, a m/s) at geometric altitude h_m from the cubic ``air_table()``.

    Below 0 m the values at 0 m; from the top (1,000 km) up (0, 0, a at the top); NaN gives NaNs.
    """
    j, x = air_piece(h_m, dh_m, rows)
    rho = rows[j, 2] + x * (rows[j, 3] + x * (rows[j, 4] + x * rows[j, 5]))
    p = rows[j, 6] + x * (rows[j, 7] + x * (rows[j, 8] + x * rows[j, 9]))
    a = rows[j, 10] + x * (rows[j, 11] + x * (rows[j, 12] + x * rows[j, 13]))
    if h_m >= (rows.shape[0] // 2) * dh_m:
        return 0.0, 0.0, a
    return rho, p, a
