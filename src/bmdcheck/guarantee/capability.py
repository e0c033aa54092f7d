"""Capability caps: interceptor burnout speed, rounds per site, number of sites.

- ``burnout-speed``: every deployed (inventory > 0) interceptor type of the party, of the listed
  types, has a burnout speed <= ``max_mps``. The speed is the catalogue's declared burnout speed
  (an interceptor described by stages only: the burnout speed its fly-out table reaches), x the
  corner's burnout scale.
- ``inventory``: at every site of the party, the rounds of the listed types (all types if none
  listed) sum to <= ``max_rounds_per_site``.
- ``site-count``: the party's sites holding at least one round of the listed types number
  <= ``max_sites``.

Inventories and site positions are declared facts: no margin applies to them.
"""

from __future__ import annotations

from .margins import Corner, Outcome
from .scope import Context


def declared_burnout_speed_mps(it) -> float:
    """The interceptor's declared burnout speed, m/s (stages only: its fly-out table's, as flown)."""
    return float(it.burnout_speed_mps) if it.burnout_speed_mps else float(it.table().burnout_speed_mps)


def evaluate_speed(ctx: Context, rules, i: int, corner: Corner) -> Outcome:
    rule = rules.rule[i]
    entries = ctx.entries_of(rules, i)
    if not entries:
        return Outcome(True, "vacuous: no deployed interceptors of the party",
                       {"max_mps": rule.max_mps, "vacuous": "no deployed interceptors"})
    rows = sorted(((declared_burnout_speed_mps(e.interceptor) * corner.burnout_scale, e) for e in entries),
                  key=lambda x: (-x[0], x[1].site.name, x[1].interceptor.name))
    top, e = rows[0]
    ok = top <= rule.max_mps * (1 + 1e-12)
    speeds = {}
    for v, x in rows:
        speeds.setdefault(x.interceptor.name, v)
    metrics = {"max_mps": rule.max_mps, "fastest_mps": top, "fastest": e.interceptor.name,
               "speeds_mps": dict(sorted(speeds.items())), "headroom_scale": rule.max_mps / top}
    cx = None
    if not ok:
        cx = {"corner": corner.label(), "corner_values": corner.to_dict(), "site": e.site.name,
              "interceptor": e.interceptor.name, "declared_burnout_speed_mps": declared_burnout_speed_mps(e.interceptor),
              "burnout_speed_mps": top, "max_mps": rule.max_mps}
    return Outcome(ok, f"fastest {e.interceptor.name} {top:,.0f} m/s vs cap {rule.max_mps:,.0f}", metrics, cx)


def evaluate_inventory(ctx: Context, rules, i: int, corner: Corner) -> Outcome:
    rule = rules.rule[i]
    per_site: dict[str, int] = {}
    for e in ctx.entries_of(rules, i, deployed=False):
        per_site[e.site.name] = per_site.get(e.site.name, 0) + e.inventory
    if not per_site:
        return Outcome(True, "vacuous: no sites of the party", {"max_rounds_per_site": rule.max_rounds_per_site,
                                                               "vacuous": "no sites"})
    site, top = max(per_site.items(), key=lambda kv: (kv[1], kv[0]))
    ok = top <= rule.max_rounds_per_site
    cx = None if ok else {"corner": corner.label(), "site": site, "rounds": top,
                          "max_rounds_per_site": rule.max_rounds_per_site}
    return Outcome(ok, f"largest {site}: {top} rounds vs cap {rule.max_rounds_per_site}",
                   {"max_rounds_per_site": rule.max_rounds_per_site, "rounds_per_site": dict(sorted(per_site.items()))},
                   cx)


def evaluate_sites(ctx: Context, rules, i: int, corner: Corner) -> Outcome:
    rule = rules.rule[i]
    sites = sorted({e.site.name for e in ctx.entries_of(rules, i)})
    ok = len(sites) <= rule.max_sites
    cx = None if ok else {"corner": corner.label(), "sites": sites, "count": len(sites), "max_sites": rule.max_sites}
    return Outcome(ok, f"{len(sites)} sites vs cap {rule.max_sites}", {"max_sites": rule.max_sites, "sites": sites},
                   cx)
