"""Expand a validated :class:`Scenario` into the concrete objects the engagement layer takes.

- :func:`area_points` — the (k, 2) [lat, lon] points of an area (a polygon sampled on a grid);
- :func:`threat_cases` — every (threat, launch point, aim point, shape, launch time), in order;
- :func:`defence_specs` — (SiteSpec, InterceptorSpec, inventory) per site and interceptor type;
- :func:`timeline_spec` — the TimelineSpec;
- :func:`draws` — the Monte-Carlo draws of the uncertain inputs (draw 0 = nominal).

Everything here is deterministic: the same canonical scenario (``scenario_hash``) expands to the
same lists in the same order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..defence.engage import InterceptorSpec, SiteSpec, TimelineSpec
from ..defence.interceptor import get_interceptor
from ..defence.sensors import get_early_warning, get_radar
from ..defence.sites import get_site
from ..errors import BmdcheckError
from .schema import EARTH_RADIUS_KM, UNCERTAIN, Area, Dist, InlineSite, Scenario

RADAR_MAST_M = 20.0
"""Antenna height of an inline site's radar above the site, m: the ~20 m array height the
catalogue gives its SPY-1 radars over their sites (docs/CATALOGUE-DEFENCE.md, Radars)."""
MAX_THREAT_CASES = 1_000_000
"""A threat set expanding to more flights than this is refused before anything is flown (memory)."""
MIN_RANGE_KM = 1.0
"""A threat whose launch and aim points are closer than this (great circle, km) is refused."""


@dataclass(frozen=True)
class ThreatCase:
    """One missile flight: catalogue missile, areas, points (degrees), shape, launch time (s)."""

    missile: str
    launch_area: str
    aim_area: str
    launch_lat: float
    launch_lon: float
    aim_lat: float
    aim_lon: float
    shape: str
    launch_time_s: float


# ---- areas ----------------------------------------------------------------------------------------

def _vertices(polygon) -> np.ndarray:
    v = np.asarray(polygon, dtype=np.float64)
    if len(v) > 3 and np.array_equal(v[0], v[-1]):
        v = v[:-1]
    return v


def polygon_centroid(polygon) -> np.ndarray:
    """Area centroid [lat, lon] (degrees) of a polygon in the lon-lat plane (shoelace formula)."""
    v = _vertices(polygon)
    y, x = v[:, 0], v[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    a = 0.5 * cross.sum()
    return np.array([((y + y1) * cross).sum() / (6 * a), ((x + x1) * cross).sum() / (6 * a)])


def inside_polygon(lat, lon, polygon) -> np.ndarray:
    """Whether each (lat, lon) is inside the polygon (even-odd ray casting in the lon-lat plane).

    ``lat``, ``lon``: arrays of one shape, degrees; returns a bool array of that shape.
    """
    v = _vertices(polygon)
    lat, lon = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
    inside = np.zeros(np.broadcast(lat, lon).shape, dtype=bool)
    n = len(v)
    for i in range(n):
        (ya, xa), (yb, xb) = v[i], v[(i + 1) % n]
        crosses = (ya > lat) != (yb > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = xa + (lat - ya) * (xb - xa) / (yb - ya)
        inside ^= crosses & (lon < x_at)
    return inside


def polygon_grid(polygon, spacing_km: float) -> np.ndarray:
    """Grid points inside a polygon, about ``spacing_km`` apart; (k, 2) [lat, lon], degrees.

    Rows of constant latitude every ``spacing_km`` of meridian arc, and in each row points every
    ``spacing_km`` along the parallel, on a sphere of radius EARTH_RADIUS_KM. The grid is anchored
    at the polygon's centroid (which is thus sampled whenever it lies inside), so two points are
    never closer than ``spacing_km`` (to the parallel-vs-great-circle difference, < 0.1 % at
    1,000 km spacing below 60° latitude). Order: south to north, then west to east. When no grid
    point falls inside (a polygon smaller than the spacing), the centroid alone is returned.
    """
    v = _vertices(polygon)
    c = polygon_centroid(v)
    dlat = math.degrees(spacing_km / EARTH_RADIUS_KM)
    lat_min, lat_max = v[:, 0].min(), v[:, 0].max()
    lon_min, lon_max = v[:, 1].min(), v[:, 1].max()
    rows = np.arange(math.ceil((lat_min - c[0]) / dlat - 1e-9), math.floor((lat_max - c[0]) / dlat + 1e-9) + 1)
    pts = []
    for k in rows:
        lat = c[0] + k * dlat
        cos = math.cos(math.radians(lat))
        if cos < 1e-6:  # a pole: one point
            lons = np.array([c[1]])
        else:
            dlon = dlat / cos
            j = np.arange(math.ceil((lon_min - c[1]) / dlon - 1e-9), math.floor((lon_max - c[1]) / dlon + 1e-9) + 1)
            lons = c[1] + j * dlon
        keep = inside_polygon(np.full(lons.shape, lat), lons, v)
        pts.extend((lat, lo) for lo in lons[keep])
    if not pts:
        return c[None, :].copy()
    return np.array(pts, dtype=np.float64)


def area_points(area: Area) -> np.ndarray:
    """The points of an area, (k, 2) [lat, lon] in degrees (k >= 1).

    ``point``: one row; ``points``: the rows as given; ``polygon``: :func:`polygon_grid` at the
    area's ``spacing_km``.
    """
    if area.point is not None:
        return np.array([area.point], dtype=np.float64)
    if area.points is not None:
        return np.array(area.points, dtype=np.float64)
    return polygon_grid(area.polygon, float(area.spacing_km))


def great_circle_km(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance on the EARTH_RADIUS_KM sphere (haversine), km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# ---- threats, defence, timeline -------------------------------------------------------------------

def threat_cases(s: Scenario) -> list[ThreatCase]:
    """Every threat flight of the scenario, in a fixed order.

    For each ``[[threats]]`` entry in file order: launch points (area order) x aim points x shapes
    (as listed) x launch times (as listed). A salvo time listed twice gives two identical cases
    (two missiles). Raises BmdcheckError if a launch point coincides with an aim point.
    """
    cache: dict = {}

    def pts(name):
        if name not in cache:
            cache[name] = area_points(s.areas[name])
        return cache[name]

    n = sum(len(pts(t.launch)) * len(pts(t.aim)) * len(t.shapes) * len(t.launch_times_s) for t in s.threats)
    if n > MAX_THREAT_CASES:
        raise BmdcheckError(f"threats: the threat set expands to {n:,} flights (launch points x aim points x shapes x "
                            f"launch times); at most {MAX_THREAT_CASES:,}: use fewer points or a coarser spacing_km")
    out = []
    for i, t in enumerate(s.threats):
        for la, lo in pts(t.launch):
            for aa, ao in pts(t.aim):
                if great_circle_km(la, lo, aa, ao) < MIN_RANGE_KM:
                    raise BmdcheckError(f"threats[{i}]: launch point ({la:g}, {lo:g}) of area {t.launch!r} coincides "
                                        f"with aim point ({aa:g}, {ao:g}) of area {t.aim!r}")
                for shape in t.shapes:
                    for ts in t.launch_times_s:
                        out.append(ThreatCase(t.missile, t.launch, t.aim, float(la), float(lo), float(aa), float(ao),
                                              shape, float(ts)))
    return out


def site_spec(entry) -> tuple[SiteSpec, dict[str, int]]:
    """The SiteSpec of one ``SiteEntry`` and its inventory (type -> rounds, sorted by type)."""
    if isinstance(entry.site, InlineSite):
        x = entry.site
        radar = None
        if x.radar is not None:
            r = get_radar(x.radar)
            radar = replace(r, name=f"{r.name}@{x.name}", lat_deg=x.lat_deg, lon_deg=x.lon_deg,
                            alt_m=x.alt_m + RADAR_MAST_M)
        spec = SiteSpec(x.name, x.lat_deg, x.lon_deg, x.alt_m, radar)
        inventory = dict(entry.interceptors)
    else:
        c = get_site(entry.site)
        spec = SiteSpec(c.name, c.lat_deg, c.lon_deg, c.alt_m, get_radar(c.radar) if c.radar else None)
        inventory = dict(entry.interceptors) if entry.interceptors is not None else dict(c.interceptors)
    return spec, dict(sorted(inventory.items()))


def defence_specs(s: Scenario) -> list[tuple[SiteSpec, InterceptorSpec, int]]:
    """One (site, interceptor, inventory) per site and interceptor type, sites in scenario order and
    types sorted by name. A type listed with 0 rounds is kept (inventory 0)."""
    out = []
    for entry in s.defence.sites:
        spec, inventory = site_spec(entry)
        for name, n in inventory.items():
            out.append((spec, InterceptorSpec.from_catalogue(get_interceptor(name)), int(n)))
    return out


def timeline_spec(s: Scenario, tier: str | None = None) -> TimelineSpec:
    """The engagement TimelineSpec: mode, early warning, remote radar(s), delays, RCS, and the sensor
    tier (None: the legacy ``timeline.mode``). The remote tier's candidates are ``sensors.remote_radars``."""
    from ..defence.rcs import catalogue_rcs

    tl, sn = s.timeline, s.sensors
    return TimelineSpec(mode=tl.mode,
                        early_warning=None if sn.early_warning == "none" else get_early_warning(sn.early_warning),
                        remote_radar=None if tl.remote_radar is None else get_radar(tl.remote_radar),
                        decision_delay_s=tl.decision_delay_s, rcs_m2=tl.rcs_m2,
                        kill_assessment_s=tl.kill_assessment_s, tier=tier,
                        remote_radars=tuple(get_radar(r) for r in sn.remote_radars) if tier == "remote" else (),
                        network_latency_s=tl.network_latency_s,
                        rcs_model=catalogue_rcs() if tl.rcs_model == "phase-band" else None)


def tiers(s: Scenario) -> list[str]:
    """The sensor tiers the scenario declares (``timeline.tiers``; default all three), in TIERS order."""
    from ..defence.engage import TIERS

    return [t for t in TIERS if t in s.timeline.tiers]


# ---- Monte-Carlo draws ----------------------------------------------------------------------------

def _sample(d: Dist, rng: np.random.Generator, n: int, bound: float, closed: bool) -> np.ndarray:
    if d.dist == "uniform":
        return rng.uniform(d.low, d.high, n)
    if d.dist == "triangular":
        return rng.triangular(d.low, d.mode, d.high, n)
    # normal, truncated to the domain by redrawing the values outside it
    x = rng.normal(d.mean, d.sd, n)
    bad = (x < bound) if closed else (x <= bound)
    while bad.any():
        x[bad] = rng.normal(d.mean, d.sd, int(bad.sum()))
        bad = (x < bound) if closed else (x <= bound)
    return x


def nominal(s: Scenario) -> dict:
    """The nominal values of the uncertain inputs (draw 0)."""
    return {"burnout_speed_scale": 1.0, "decision_delay_s": float(s.timeline.decision_delay_s),
            "detection_range_scale": 1.0}


def draws(s: Scenario) -> list[dict]:
    """The Monte-Carlo draws: a list of ``uncertainty.draws`` dicts with keys burnout_speed_scale,
    decision_delay_s (s) and detection_range_scale.

    Draw 0 is the nominal case (scales 1, the timeline's decision delay). Draws 1.. sample each
    input that has a distribution; an input without one stays nominal in every draw. Each input
    has its own random stream, spawned in a fixed order (burnout_speed_scale, decision_delay_s,
    detection_range_scale) from ``numpy.random.default_rng(seed)``, so adding a distribution for one
    input does not change the draws of another. Deterministic for a seed and NumPy version.
    """
    u = s.uncertainty
    out = [nominal(s) for _ in range(u.draws)]
    if u.draws == 1:
        return out
    streams = np.random.default_rng(u.seed).spawn(len(UNCERTAIN))
    for (key, (bound, closed, _)), rng in zip(UNCERTAIN.items(), streams):
        d = getattr(u, key)
        if d is None:
            continue
        for i, x in enumerate(_sample(d, rng, u.draws - 1, bound, closed), start=1):
            out[i][key] = float(x)
    return out
