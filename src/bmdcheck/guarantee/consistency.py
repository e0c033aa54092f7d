"""``declared-speed-consistent``: a declared interceptor burnout speed is not below what a test showed.

The shown speed is the rule's ``shown_mps``, or the Lambert bound of its ``test`` geometry
(``reconstruct.intercept``: the speed change relative to the turning site for the two-body arc from
the site, at launch + burn time, to the intercept point after the time of flight; with no time of
flight, the least such speed over times of flight up to 3,600 s). The declared speed of each listed
type is the scenario's (for the party's sites holding it, as ``burnout-speed`` reads it) or, for a
type the scenario does not hold, the catalogue's. The rule FAILs when a declared speed is below the
shown speed x (1 - tolerance_pct/100). Declarations are facts: no margin applies.
"""

from __future__ import annotations

from functools import lru_cache

from .capability import declared_burnout_speed_mps
from .margins import Corner, Outcome
from .scope import Context


@lru_cache(maxsize=64)
def _lambert_bound(site, site_alt_km, intercept, tof, burn) -> tuple[float, float]:
    from ..earth.frames import geodetic_to_ecef
    from ..earth.model import EarthModel
    from ..reconstruct.intercept import lambert_min_over_tof, lambert_speed_mps

    em = EarthModel()
    s = geodetic_to_ecef(site[0], site[1], site_alt_km * 1e3, em).reshape(3)
    p = geodetic_to_ecef(intercept[0], intercept[1], intercept[2] * 1e3, em).reshape(3)
    if tof is None:
        return lambert_min_over_tof(s, p, burn, em)
    return lambert_speed_mps(s, p, tof, burn, em), tof


def shown_speed_mps(rule) -> float:
    """The lowest burnout speed the rule's test showed, m/s."""
    if rule.shown_mps is not None:
        return float(rule.shown_mps)
    t = rule.test
    v, _ = _lambert_bound(tuple(t.site), t.site_alt_km, tuple(t.intercept), t.time_of_flight_s, t.burn_time_s)
    return float(v)


def evaluate_declared_speed(ctx: Context, rules, i: int, corner: Corner) -> Outcome:
    from ..defence.interceptor import get_interceptor

    rule = rules.rule[i]
    shown = shown_speed_mps(rule)
    floor = shown * (1 - rule.tolerance_pct / 100.0)
    declared: dict[str, tuple[float, str]] = {}
    for e in ctx.entries_of(rules, i, deployed=False):
        v = declared_burnout_speed_mps(e.interceptor)
        if e.interceptor.name not in declared or v < declared[e.interceptor.name][0]:
            declared[e.interceptor.name] = (v, f"scenario site {e.site.name}")
    for name in rule.interceptors:
        if name not in declared:
            it = get_interceptor(name)
            v = float(it.burnout_speed_mps) if it.burnout_speed_mps else declared_burnout_speed_mps(it)
            declared[name] = (v, "catalogue")
    name, (low, where) = min(declared.items(), key=lambda kv: (kv[1][0], kv[0]))
    ok = low >= floor * (1 - 1e-12)
    metrics = {"shown_mps": shown, "floor_mps": floor, "tolerance_pct": rule.tolerance_pct,
               "declared_mps": {k: v for k, (v, _) in sorted(declared.items())},
               "lowest": name, "lowest_declared_mps": low, "headroom_scale": low / floor}
    cx = None
    if not ok:
        cx = {"interceptor": name, "declared_burnout_speed_mps": low, "declared_in": where, "shown_mps": shown,
              "floor_mps": floor}
    verb = "at least" if ok else "BELOW"
    return Outcome(ok, f"{name} declared {low:,.0f} m/s, {verb} the {shown:,.0f} m/s a test showed", metrics, cx)
