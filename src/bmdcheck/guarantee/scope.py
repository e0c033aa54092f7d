"""What a rule talks about in one scenario: the party's sites, interceptors and radars, and the
threat cases it selects.

A party is the union of (1) the sites and radars whose catalogue ``party`` field contains one of its
``catalogue_party`` words ("US (NATO)" has the words us, nato), (2) the sites named in ``sites``
(catalogue or inline), (3) the catalogue radars named in ``radars``; and a site's own radar belongs
to the site's party. The reserved party ``any`` is everything. Inline sites have no catalogue party:
a rules file names them. Names that only a scenario knows (areas, inline sites) are checked here, with
a one-line error naming the rules file, the rule and the field.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cached_property

from ..defence.engage import InterceptorSpec, SiteSpec
from ..defence.sensors import Radar, get_radar, sensor_catalogue
from ..defence.sites import site_catalogue
from ..flight.missile import get_missile
from ..scenario import expand
from ..scenario.schema import InlineSite, Scenario
from .rules import ANY_AREA, ANY_PARTY, RulesFile, party_tokens


@dataclass(frozen=True)
class Entry:
    """One (site, interceptor type) of the declared defence, as ``defence_specs`` gives it."""

    site: SiteSpec
    interceptor: InterceptorSpec
    inventory: int
    party: str        # the catalogue site's party field; "" for an inline site
    kind: str         # "land" | "ship"


class Context:
    """A scenario expanded once for checking: defence entries, threat cases, radars, flown threats.

    The threat trajectories are flown on first use, only for the cases some rule selects, and
    shared by every rule checked in this context (:mod:`.flown`).
    """

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self._flown = None

    # -- the declared defence --------------------------------------------------------------------
    @cached_property
    def entries(self) -> list[Entry]:
        return [Entry(sp, it, n, self.site_party[sp.name], self.site_kind[sp.name])
                for sp, it, n in expand.defence_specs(self.scenario)]

    @cached_property
    def site_kind(self) -> dict[str, str]:
        cat = site_catalogue()
        return {e.name: (e.site.kind if isinstance(e.site, InlineSite) else cat[e.site].kind)
                for e in self.scenario.defence.sites}

    @cached_property
    def site_names(self) -> list[str]:
        return [e.name for e in self.scenario.defence.sites]

    @cached_property
    def site_party(self) -> dict[str, str]:
        cat = site_catalogue()
        return {e.name: ("" if isinstance(e.site, InlineSite) else cat[e.site].party)
                for e in self.scenario.defence.sites}

    @cached_property
    def site_specs(self) -> dict[str, SiteSpec]:
        return {e.name: expand.site_spec(e)[0] for e in self.scenario.defence.sites}

    def sea_boxes(self, entries) -> dict[str, tuple]:
        """{site name: (lat_min, lat_max, lon_min, lon_max, lat, lon)} for the ships among ``entries``
        whose scenario entry declares a ``sea_box`` (the declared position last)."""
        names = {e.site.name for e in entries}
        out = {}
        for e in self.scenario.defence.sites:
            b = getattr(e, "sea_box", None)
            if b is not None and e.name in names:
                sp = self.site_specs[e.name]
                out[e.name] = (b.lat_min_deg, b.lat_max_deg, b.lon_min_deg, b.lon_max_deg, sp.lat_deg, sp.lon_deg)
        return out

    @cached_property
    def remote_radars(self) -> list[Radar]:
        return [get_radar(n) for n in self.scenario.sensors.remote_radars]

    @cached_property
    def cases(self) -> list:
        return expand.threat_cases(self.scenario)

    @cached_property
    def timeline(self):
        return expand.timeline_spec(self.scenario)

    @cached_property
    def tiers(self) -> list[str]:
        """The sensor tiers the scenario declares, in the order local, remote, cue."""
        return expand.tiers(self.scenario)

    def tier_timeline(self, tier: str):
        """The TimelineSpec of one sensor tier (cached)."""
        cache = self.__dict__.setdefault("_tier_tl", {})
        if tier not in cache:
            cache[tier] = expand.timeline_spec(self.scenario, tier)
        return cache[tier]

    def rule_tiers(self, rules: RulesFile, rule_index: int) -> list[str]:
        """The tiers an engagement rule is checked at: its ``tier``, or every tier of the scenario
        (``tier = "worst"`` or absent: the worst case over them)."""
        t = getattr(rules.rule[rule_index], "tier", None)
        return self.tiers if t in (None, "worst") else [t]

    # -- parties ---------------------------------------------------------------------------------
    def party_sites(self, rules: RulesFile, rule_index: int) -> set[str]:
        """Names of the scenario's sites that belong to the rule's party."""
        rule = rules.rule[rule_index]
        names = [n for n in self.site_names if rule.site_kind is None or self.site_kind[n] == rule.site_kind]
        if rule.party == ANY_PARTY:
            return set(names)
        p = rules.parties[rule.party]
        known = set(site_catalogue()) | set(self.site_names)
        for k, name in enumerate(p.sites):
            if name not in known:
                raise rules.error(("parties", rule.party, "sites", k),
                                  f"unknown site {name!r} (party {rule.party!r}, used by rule {rule.id!r}); expected "
                                  f"a catalogue site or one of the scenario's sites: {', '.join(self.site_names)}")
        words = set(p.catalogue_party)
        return {n for n in names if n in p.sites or (party_tokens(self.site_party[n]) & words)}

    def party_radars(self, rules: RulesFile, rule_index: int) -> list[tuple[str, Radar]]:
        """(label, Radar) of the party: its sites' own radars, then its remote radars."""
        rule = rules.rule[rule_index]
        sites = self.party_sites(rules, rule_index)
        out = [(f"{self.site_specs[n].radar.name} (site {n})", self.site_specs[n].radar)
               for n in self.site_names if n in sites and self.site_specs[n].radar is not None]
        party_of = {name: r.party for name, r in sensor_catalogue().radars.items()}
        for r in self.remote_radars:
            if rule.party == ANY_PARTY:
                ok = True
            else:
                p = rules.parties[rule.party]
                ok = r.name in p.radars or bool(party_tokens(party_of.get(r.name, "")) & set(p.catalogue_party))
            if ok and all(r.name != x.name for _, x in out):
                out.append((f"{r.name} (remote)", r))
        return out

    def entries_of(self, rules: RulesFile, rule_index: int, deployed: bool = True) -> list[Entry]:
        """The party's (site, interceptor) entries of the listed types; ``deployed``: inventory > 0 only."""
        rule = rules.rule[rule_index]
        sites = self.party_sites(rules, rule_index)
        return [e for e in self.entries if e.site.name in sites
                and (rule.interceptors is None or e.interceptor.name in rule.interceptors)
                and (e.inventory > 0 or not deployed)]

    # -- threats ---------------------------------------------------------------------------------
    def check_areas(self, rules: RulesFile, rule_index: int, field: str, names: list[str]) -> None:
        areas = self.scenario.areas
        for k, name in enumerate(names):
            if name != ANY_AREA and name not in areas:
                loc = ("rule", rule_index, field) if len(names) == 1 else ("rule", rule_index, field, k)
                close = difflib.get_close_matches(name, list(areas), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise rules.error(loc, f"unknown area {name!r} in scenario {self.scenario.name!r}{hint}; expected one "
                                       f"of its [areas]: {', '.join(sorted(areas))}, or \"{ANY_AREA}\"")

    def select_cases(self, rules: RulesFile, rule_index: int) -> list[int]:
        """Indices (into ``cases``) of the threat cases an engagement rule selects."""
        rule = rules.rule[rule_index]
        self.check_areas(rules, rule_index, "launch", rule.launch)
        self.check_areas(rules, rule_index, "aim", rule.aim)
        out = []
        for i, c in enumerate(self.cases):
            if rule.missile_class is not None and get_missile(c.missile).cls != rule.missile_class:
                continue
            if rule.missiles is not None and c.missile not in rule.missiles:
                continue
            if ANY_AREA not in rule.launch and c.launch_area not in rule.launch:
                continue
            if ANY_AREA not in rule.aim and c.aim_area not in rule.aim:
                continue
            out.append(i)
        return out

    @cached_property
    def salvo_start_s(self) -> list[float]:
        """Per case: the earliest launch time of its threat entry's salvo, s (threat_cases order)."""
        out = []
        s = self.scenario
        for t in s.threats:
            n = (len(expand.area_points(s.areas[t.launch])) * len(expand.area_points(s.areas[t.aim]))
                 * len(t.shapes) * len(t.launch_times_s))
            out += [float(min(t.launch_times_s))] * n
        return out

    def flown(self, case_ids: list[int]):
        """The flown trajectories of these cases (flying any not flown yet); see :mod:`.flown`."""
        from .flown import FlownCases

        if self._flown is None:
            self._flown = FlownCases(self.cases)
        self._flown.fly(case_ids)
        return self._flown

