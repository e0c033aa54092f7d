"""Engagement rules: can the party's interceptors engage the selected trajectories?

A trajectory *violates* the rule when some deployed (site, interceptor type) of the party has a
feasible intercept window against it (``defence.engage.engage_threats``), and, with
``no_intercept_before_s``, when that window's earliest intercept comes before the stated time
(launch time + time after launch, s). The rule holds when the violating fraction of the flown
selected trajectories is at most ``max_fraction`` (0: none may violate).

Trajectories are flown once per scenario (:mod:`.flown`) and re-used for every corner and every
step of the searches; only the interceptor specs, radar ranges and timeline change.

Capability margin (for a rule that holds): the smallest burnout-speed scale factor that breaks it,
found on the integer-percent grid by scanning 1.05, 1.10, 1.20, 1.35, 1.50, 1.75, 2.00 and then
bisecting between the last holding and the first breaking point, so the answer f breaks the rule
and f - 0.01 does not (both are evaluated); and separately the smallest decision-delay reduction, on
a 5-s grid down to a zero delay. Nothing makes feasibility monotonic in burnout speed for the
fly-out model (its steering family limits the cells a faster booster covers; defence/flyout.py),
which is why the scan goes up from 1 rather than bisecting from 2.
"""

from __future__ import annotations

import math

import numpy as np

from ..defence.engage import REASON_NAMES, engage_threats
from ..defence.flyout import nearest_by_lat, threats_beyond
from ..errors import BmdcheckError
from ..flight.missile import get_missile
from .joint import capability_box, joint_search
from .joint import to_json as joint_to_json
from .margins import Corner, Outcome, scaled_interceptor, site_at, timeline_at
from .scope import Context

BURNOUT_SCAN = (105, 110, 120, 135, 150, 175, 200)
"""Burnout-speed scale factors scanned by the capability-margin search, per cent."""
DELAY_STEP_S = 5.0
"""Step of the decision-delay search, s."""


def _num(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def evaluate(ctx: Context, rules, i: int, corner: Corner, stop_early: bool = False) -> Outcome:
    """Evaluate engagement rule ``rules.rule[i]`` in ``ctx`` at ``corner``, at each of its sensor tiers.

    The rule holds when it holds at every tier (``ctx.rule_tiers``). The outcome's top-level
    metrics and counterexample are those of the binding tier (the first failing tier in the order
    cue, remote, local; when all hold, the tier with the largest engageable fraction), named in
    ``metrics["binding_tier"]``; ``metrics["tiers"]`` has each tier's own. ``stop_early``: stop at
    the first failing tier (for the capability-margin searches, which need only holds / fails).
    """
    rule = rules.rule[i]
    cases = ctx.select_cases(rules, i)
    entries = ctx.entries_of(rules, i)
    tiers = ctx.rule_tiers(rules, i)
    base = {"selected": len(cases), "entries": [f"{e.site.name}/{e.interceptor.name}" for e in entries],
            "max_fraction": rule.max_fraction, "no_intercept_before_s": rule.no_intercept_before_s,
            "tier": rule.tier}
    if not cases or not entries:
        why = "no selected trajectories" if not cases else "no deployed interceptors of the party"
        return Outcome(True, f"vacuous: {why}", {**base, "trajectories": 0, "engageable": 0, "fraction": 0.0,
                                                 "vacuous": why})
    fl = ctx.flown(cases)
    flown = fl.flown(cases)
    base.update(trajectories=len(flown), not_flown={str(c): fl.error[c] for c in cases if fl.error[c] is not None})
    if not flown:
        return Outcome(True, "vacuous: no selected trajectory could be flown",
                       {**base, "engageable": 0, "fraction": 0.0, "vacuous": "no trajectory flown"})
    th = fl.threats(flown)
    per: dict = {}
    order = [t for t in ("cue", "remote", "local") if t in tiers]
    for tier in order:
        per[tier] = _evaluate_tier(ctx, rule, entries, flown, th, corner, tier)
        if stop_early and not per[tier].ok:
            break
    failing = [t for t in order if t in per and not per[t].ok]
    binding = failing[0] if failing else max(per, key=lambda t: (per[t].metrics["fraction"], -order.index(t)))
    b = per[binding]
    ok = not failing
    summary = b.summary + (f" (tier {binding})" if len(tiers) > 1 or rule.tier != "worst" else "")
    metrics = {**base, **b.metrics, "binding_tier": binding,
               "tiers": {t: {"ok": o.ok, **{k: o.metrics[k] for k in _TIER_KEYS}}
                         for t, o in per.items()}}
    return Outcome(ok, summary, metrics, b.counterexample)


_TIER_KEYS = ("engageable", "fraction", "by_entry", "reasons", "closest_reasons")


def _evaluate_tier(ctx: Context, rule, entries, flown, th, corner: Corner, tier: str) -> Outcome:
    sites = [site_at(e.site, corner) for e in entries]
    its = [scaled_interceptor(e.interceptor, corner.burnout_scale) for e in entries]
    with threats_beyond(nearest_by_lat(th, sites)):  # no sector fans where no threat comes within reach
        res = engage_threats(th, sites, its, timeline_at(ctx.tier_timeline(tier), corner))
    w = res.windows
    E, n = len(entries), len(flown)
    feas = w.feasible.reshape(E, n)
    launch = np.array([ctx.salvo_start_s[c] if corner.salvo_window else ctx.cases[c].launch_time_s for c in flown])
    t_first = launch[None, :] + w.first_s.reshape(E, n)
    viol = feas if rule.no_intercept_before_s is None else feas & (t_first < rule.no_intercept_before_s)
    per_traj = viol.any(axis=0)
    k = int(per_traj.sum())
    frac = k / n
    ok = frac <= rule.max_fraction + 1e-12
    by_entry = {f"{e.site.name}/{e.interceptor.name}": int(viol[q].sum()) for q, e in enumerate(entries)
                if viol[q].any()}
    before = "" if rule.no_intercept_before_s is None else f" before {rule.no_intercept_before_s:g} s"
    summary = f"{k}/{n} engageable{before}"
    metrics = {"engageable": k, "fraction": frac, "by_entry": by_entry, "reasons": _reasons(w.reason),
               "closest_reasons": _closest_reasons(w.reason, E, n)}
    cx = None
    if not ok:
        q, j = np.unravel_index(np.argmin(np.where(viol, t_first, np.inf)), viol.shape)
        cx = _counterexample(ctx, entries[q], its[q], flown[j], float(launch[j]), res, int(q * n + j), corner)
        cx["tier"] = tier
        cx["sensor"] = (res.sensor[int(q * n + j)] or None) if res.sensor else None
    return Outcome(ok, summary, metrics, cx)


def _closest_reasons(reason: list, E: int, n: int) -> dict:
    """Per trajectory, the reason code of the pair that got furthest through the checks (the order of
    ``REASON_NAMES``), counted: what stops the best-placed interceptor."""
    rank = {r: k for k, r in enumerate(REASON_NAMES)}
    out: dict = {}
    for j in range(n):
        r = max((reason[q * n + j] for q in range(E)), key=lambda x: rank.get(x, -1))
        out[r] = out.get(r, 0) + 1
    return dict(sorted(out.items()))


HELD_BY = {
    "never_tracked": ("assumption", "{tier} tier radar track (no sensor of the tier ever tracks the threat)"),
    "tracked_too_late": ("assumption", "{tier} tier radar track (the track comes too late)"),
    "launch_too_late": ("assumption", "{tier} tier launch timeline (cue or fixed launch + decision delay)"),
    "not_visible_to_engagement_radar": ("assumption", "{tier} tier engagement radar coverage"),
    "below_min_altitude": ("assumption", "interceptor altitude band"),
    "above_max_altitude": ("assumption", "interceptor altitude band"),
    "beyond_max_flight_time": ("assumption", "interceptor maximum flight time"),
    "target_outruns_interceptor": ("assumption", "minimum closing speed"),
    "out_of_reach": ("geometry", "out of reach even at the fastest burnout speed scanned"),
}
"""What holds a verdict that no speed change moves: the closest pairs' reason code -> (kind, text)."""


def held_by(outcome: Outcome, scale: float) -> dict | None:
    """What holds an engagement verdict that still holds at burnout speed x ``scale``: per tier, the
    reason code stopping most trajectories' best-placed interceptor, named as an assumption (track,
    timeline, altitude band...) or as geometry (out of reach). Text: 'held by assumption: local tier
    radar track (...)'. ``None`` for a vacuous outcome."""
    tiers = outcome.metrics.get("tiers") or {}
    per = {}
    for t, m in tiers.items():
        cr = {r: c for r, c in (m.get("closest_reasons") or {}).items() if r != "feasible"}
        if not cr:
            continue
        r = max(sorted(cr), key=lambda x: cr[x])
        kind, what = HELD_BY.get(r, ("assumption", r))
        per[t] = {"kind": kind, "reason": r, "trajectories": cr[r], "of": sum(cr.values()),
                  "text": f"held by {kind}: {what.format(tier=t)}"}
    if not per:
        return None
    b = outcome.metrics.get("binding_tier")
    main = per.get(b) or next(iter(per.values()))
    return {**main, "tier": b if b in per else next(iter(per)), "at_burnout_scale": scale, "tiers": per}


def _reasons(reason: list) -> dict:
    """How many (trajectory, site, interceptor) pairs ended with each reason code."""
    out: dict = {}
    for r in reason:
        out[r] = out.get(r, 0) + 1
    return dict(sorted(out.items()))


def _counterexample(ctx: Context, entry, it, case_id: int, launch_s: float, res, p: int, corner: Corner) -> dict:
    c = ctx.cases[case_id]
    w = res.windows
    pt = w.point_first[p]
    t_int = _num(launch_s + w.first_s[p])
    tof = _num(w.tof_first_s[p])
    return {
        # flat, hand-checkable fields (docs/CONVENTIONS.md, "Counterexamples"); times s after the
        # scenario's t = 0, the interceptor launched flight_time_s before the intercept
        "site": entry.site.name, "site_lat": entry.site.lat_deg, "site_lon": entry.site.lon_deg,
        "site_alt_m": float(getattr(entry.site, "alt_m", 0.0) or 0.0),
        "interceptor": entry.interceptor.name, "burnout_speed_mps": _num(it.burnout_speed_mps or math.nan),
        "interceptor_launch_s": None if t_int is None or tof is None else t_int - tof,
        "intercept_s": t_int, "flight_time_s": tof,
        "intercept_lat": _num(pt[0]), "intercept_lon": _num(pt[1]), "intercept_alt_km": _num(pt[2]),
        "missile": c.missile, "launch_lat": c.launch_lat, "launch_lon": c.launch_lon,
        "aim_lat": c.aim_lat, "aim_lon": c.aim_lon, "shape": c.shape, "threat_launch_s": launch_s,
        "timeline_launch_s": _num(launch_s + res.t_launch_s[p]),
        "corner": corner.label(), "corner_values": corner.to_dict(),
        "threat": {"case": case_id, "missile": c.missile, "missile_class": get_missile(c.missile).cls,
                   "shape": c.shape, "launch_area": c.launch_area, "launch_lat": c.launch_lat,
                   "launch_lon": c.launch_lon, "aim_area": c.aim_area, "aim_lat": c.aim_lat, "aim_lon": c.aim_lon,
                   "launch_time_s": launch_s},
        "window_first_s": _num(w.first_s[p]), "window_last_s": _num(w.last_s[p]),
        "intercept_time_s": t_int,
        "intercept_point": {"lat": _num(pt[0]), "lon": _num(pt[1]), "alt_km": _num(pt[2])},
        "shots": int(w.shots[p]),
    }


def capability_margin(ctx: Context, rules, i: int) -> dict:
    """For a rule that holds at the declared values: what it takes to break it.

    Returns ``{"burnout_speed": {...}, "decision_delay": {...}}``: the smallest burnout-speed scale
    factor that breaks the rule (``breaks_at_scale``, with ``holds_at_scale`` 0.01 below it, and the
    interceptor speeds at the break), or ``None`` with ``holds_up_to_scale``; the smallest
    decision-delay reduction (s) that breaks it, or ``None`` when it holds even at a zero delay.
    """
    entries = ctx.entries_of(rules, i)
    if not entries or not ctx.select_cases(rules, i):
        return {"burnout_speed": None, "decision_delay": None, "note": "vacuous rule: nothing to break"}

    last: dict = {}

    def holds(c: Corner) -> bool:
        o = evaluate(ctx, rules, i, c, stop_early=True)
        if o.ok and c.decision_delay_reduction_s == 0.0:
            last["outcome"], last["scale"] = o, c.burnout_scale
        return o.ok

    out = {"burnout_speed": _burnout_search(holds, entries), "decision_delay": _delay_search(holds, ctx)}
    b = out["burnout_speed"]
    if b is not None and b.get("breaks_at_scale") is None and "outcome" in last:
        out["held_by"] = held_by(last["outcome"], last["scale"])
        # no speed alone breaks it: search the margins jointly (guarantee/joint.py)
        ew = ctx.timeline.early_warning
        box = capability_box(ctx.timeline.decision_delay_s,
                             None if ew is None else ew.detect_after_s + ew.report_delay_s,
                             b.get("holds_up_to_scale", 2.0))
        try:
            out["joint"] = joint_to_json(joint_search(holds, box, ctx.sea_boxes(entries)))
        except BmdcheckError as e:
            out["joint"] = {"breaks": None, "note": " ".join(str(e).split())}
    boxes = ctx.sea_boxes(entries)
    if boxes and "joint" not in out:
        # the ships' positions alone (every other margin declared): a fixed-position check misses these
        out["sea_box"] = joint_to_json(joint_search(holds, {}, boxes))
    return out


def _burnout_search(holds, entries) -> dict:
    lo, hi = 100, None
    for g in BURNOUT_SCAN:
        try:
            ok = holds(Corner(burnout_scale=g / 100))
        except BmdcheckError as e:       # the fly-out model cannot build a booster that fast
            return {"breaks_at_scale": None, "holds_up_to_scale": lo / 100,
                    "note": f"not evaluated beyond x{lo / 100:.2f}: {' '.join(str(e).split())}"}
        if not ok:
            hi = g
            break
        lo = g
    if hi is None:
        return {"breaks_at_scale": None, "holds_up_to_scale": BURNOUT_SCAN[-1] / 100}
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if holds(Corner(burnout_scale=mid / 100)):
            lo = mid
        else:
            hi = mid
    speeds = {e.interceptor.name: round(e.interceptor.burnout_speed_mps * hi / 100, 3)
              for e in entries if e.interceptor.burnout_speed_mps}
    return {"breaks_at_scale": hi / 100, "holds_at_scale": lo / 100, "speeds_at_break_mps": dict(sorted(speeds.items()))}


def _delay_search(holds, ctx: Context) -> dict:
    d0 = float(ctx.timeline.decision_delay_s)
    steps = sorted({min(DELAY_STEP_S * j, d0) for j in range(1, int(math.ceil(d0 / DELAY_STEP_S)) + 1)})
    if not steps:
        return {"breaks_at_reduction_s": None, "declared_delay_s": d0, "note": "the declared decision delay is 0 s"}
    if holds(Corner(decision_delay_reduction_s=steps[-1])):
        return {"breaks_at_reduction_s": None, "declared_delay_s": d0, "holds_at_zero_delay": True}
    lo, hi = -1, len(steps) - 1          # index -1 = no reduction (holds)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if holds(Corner(decision_delay_reduction_s=steps[mid])):
            lo = mid
        else:
            hi = mid
    return {"breaks_at_reduction_s": steps[hi], "holds_at_reduction_s": 0.0 if lo < 0 else steps[lo],
            "declared_delay_s": d0}
