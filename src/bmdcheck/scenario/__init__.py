"""Scenarios: which defence faces which threats, as TOML files (docs/SCENARIOS.md).

    >>> from bmdcheck.scenario import load_scenario, threat_cases, defence_specs, scenario_hash
    >>> s = load_scenario("epaa-phase3")                       # a shipped scenario, or a path
    >>> [site.name for site in s.defence.sites][-1]
    'aegis-ashore-redzikowo'
    >>> len(threat_cases(s)) <= 40 and len(scenario_hash(s)) == 64
    True

``schema`` holds the pydantic models, ``load`` reading (includes, one-line errors, canonical JSON,
hash, JSON schema), ``expand`` the concrete objects for the engagement layer.
"""

from .expand import (RADAR_MAST_M, ThreatCase, area_points, defence_specs, draws, nominal, polygon_grid,
                     threat_cases, timeline_spec)
from .load import canonical_json, json_schema, load_scenario, scenario_hash, shipped_scenarios, write_json_schema
from .schema import Area, Defence, Dist, InlineSite, Scenario, Sensors, SiteEntry, Threat, Timeline, Uncertainty

__all__ = [
    "RADAR_MAST_M", "Area", "Defence", "Dist", "InlineSite", "Scenario", "Sensors", "SiteEntry", "Threat",
    "ThreatCase", "Timeline", "Uncertainty", "area_points", "canonical_json", "defence_specs", "draws",
    "json_schema", "load_scenario", "nominal", "polygon_grid", "scenario_hash", "shipped_scenarios",
    "threat_cases", "timeline_spec", "write_json_schema",
]
