"""The straightforward reference for the engagement solver: one pair, one sample at a time.

Written independently of ``engagement.py`` for tests and ``bmdcheck bench engage``: plain Python
per sample, geometry with NumPy and PROJ (pyproj) instead of the compiled helpers, and the fly-out
table read with SciPy's ``RegularGridInterpolator``. Same model (docs/design/engagement.md), so
verdicts and window edges must agree.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.interpolate import RegularGridInterpolator

from ..earth.frames import ecef_to_geodetic, eci_to_ecef, geodetic_to_ecef
from .flyout import FlyoutTable


class _Table:
    def __init__(self, tb: FlyoutTable):
        nr, nh = tb.t_s.shape
        self.r = np.arange(nr) * tb.dr_m
        self.h = np.arange(nh) * tb.dh_m
        T = np.where(np.isfinite(tb.t_s), tb.t_s, np.nan)  # NaN spreads to any cell with an unreachable corner
        self.fT = RegularGridInterpolator((self.r, self.h), T, bounds_error=False, fill_value=np.nan)
        self.fV = RegularGridInterpolator((self.r, self.h), tb.speed_mps, bounds_error=False, fill_value=np.nan)
        self.fG = RegularGridInterpolator((self.r, self.h), tb.fpa_rad, bounds_error=False, fill_value=np.nan)

    def __call__(self, r, h):
        x = np.array([[r, h]])
        t = float(self.fT(x)[0])
        if not math.isfinite(t):
            return math.inf, 0.0, 0.0
        return t, float(self.fV(x)[0]), float(self.fG(x)[0])


def reference_window(t_s, r_eci_m, v_eci_mps, site_lla, table: FlyoutTable, t_launch_s, *, min_alt_m, max_alt_m,
                     min_tof_s=0.0, max_tof_s=math.inf, min_closing_mps=0.0, earth=None, _cache={}):
    """Feasible samples of one pair, one at a time; returns (feasible, first_s, last_s, n_feasible).

    first/last are sample times (no sub-sample refinement): agreement with the compiled solver is
    expected within one sample interval.
    """
    from ..earth.model import EarthModel

    earth = earth or EarthModel()
    key = id(table)
    tab = _cache.get(key)
    if tab is None:
        tab = _cache[key] = _Table(table)
    site = geodetic_to_ecef(site_lla[0], site_lla[1], site_lla[2], earth)
    rs = float(np.linalg.norm(site))
    us = site / rs
    w = earth.omega_rad_s
    first = last = math.nan
    count = 0
    for k in range(len(t_s)):
        t = float(t_s[k])
        x = eci_to_ecef(r_eci_m[k], t, earth)
        lat, lon, h = ecef_to_geodetic(x, earth)
        h = float(h)
        if not (min_alt_m <= h <= max_alt_m):
            continue
        ux = x / np.linalg.norm(x)
        ang = math.acos(max(-1.0, min(1.0, float(ux @ us))))
        T, V, G = tab(ang * rs, h)
        if not math.isfinite(T):
            continue
        tof = max(T, min_tof_s)
        if tof > max_tof_s or t - t_launch_s < tof:
            continue
        r = np.asarray(r_eci_m[k], float)
        v = np.asarray(v_eci_mps[k], float)
        v_rel = eci_to_ecef(v - w * np.array([-r[1], r[0], 0.0]), t, earth)
        horiz = (ux * math.cos(ang) - us) / math.sin(ang) if math.sin(ang) > 1e-9 else np.zeros(3)
        v_int = V * (math.cos(G) * horiz + math.sin(G) * ux)
        if np.linalg.norm(v_rel - v_int) < min_closing_mps:
            continue
        count += 1
        if math.isnan(first):
            first = t
        last = t
    return count > 0, first, last, count
