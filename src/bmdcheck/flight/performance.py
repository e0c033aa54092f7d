"""Missile performance figures: maximum range and the burnout state that achieves it.

Maximum range is defined as in the open literature's range figures: a full burn, the pitch kick
that maximises ground range, on the non-rotating WGS84 Earth with J2 and the USSA76 atmosphere
(so it does not depend on launch direction), launched from 45° N. Rotation changes it by up to
several percent east- or westward; ``max_range_km(..., earth=...)`` takes any Earth model.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..earth.model import EarthModel
from .batch import fly_missile_batch
from .missile import Missile

REFERENCE_EARTH = EarthModel("wgs84", "j2", False, "ussa76")


def _ranges(m: Missile, kicks, earth, az):
    b = fly_missile_batch(m, 45.0, 0.0, az, kicks, earth=earth)
    d = b.range_m() / 1e3
    d[~b.ok] = np.nan
    return d, b


def max_range_performance(m: Missile, earth: EarthModel = REFERENCE_EARTH, azimuth_deg: float = 90.0) -> dict:
    """Maximum range (km) over pitch-kick angles at full burn, with the burnout state achieving it.

    Coarse fan of 40 kicks, then golden-section refinement to 0.001°.
    """
    kicks = np.geomspace(0.2, 89.5, 40)
    d, _ = _ranges(m, kicks, earth, azimuth_deg)
    if not np.any(np.isfinite(d)):
        return {"max_range_km": float("nan")}
    k = int(np.nanargmax(d))
    lo, hi = kicks[max(k - 1, 0)], kicks[min(k + 1, len(kicks) - 1)]
    g = 0.6180339887498949
    for _ in range(14):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        da, db = _ranges(m, np.array([a, b]), earth, azimuth_deg)[0]
        if da > db:
            hi = b
        else:
            lo = a
    kbest = 0.5 * (lo + hi)
    d, b = _ranges(m, np.array([kbest]), earth, azimuth_deg)
    spd, fpa, _ = b.burnout_local()
    _, _, alt = b.burnout_geodetic()
    return {"max_range_km": float(d[0]), "kick_deg": float(kbest), "burnout_speed_mps": float(spd[0]),
            "burnout_fpa_deg": float(fpa[0]), "burnout_altitude_km": float(alt[0] / 1e3),
            "burnout_time_s": float(b.burnout_time_s[0]), "flight_time_s": float(b.impact_time_s[0]),
            "apogee_km": float(b.apogee_alt_m()[0] / 1e3)}


@lru_cache(maxsize=None)
def _cached(m: Missile) -> dict:
    return max_range_performance(m)


def max_range_km(m: Missile) -> float:
    """Maximum range of a missile on the reference (non-rotating) Earth, km."""
    return _cached(m)["max_range_km"]
