"""The scenario layer: shipped files, includes and overrides, canonical hash, one-line errors,
JSON schema, Monte-Carlo draws and area sampling.

References: the file format in docs/SCENARIOS.md; the EPAA phase contents in the shipped files'
sources (DoD fact sheet 2011, Xinhua 2009, Arms Control Today Apr 2013). Distances on the
EARTH_RADIUS_KM sphere, checked to SPACING_RTOL.
"""

from __future__ import annotations

import doctest
import json
import math
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import bmdcheck.scenario as scn
from bmdcheck.defence.engage import MODES, InterceptorSpec, SiteSpec, TimelineSpec
from bmdcheck.errors import BmdcheckError
from bmdcheck.flight.steering import SHAPES
from bmdcheck.scenario import (Scenario, ThreatCase, area_points, canonical_json, defence_specs, draws,
                               json_schema, load_scenario, polygon_grid, scenario_hash, shipped_scenarios,
                               threat_cases, timeline_spec)
from bmdcheck.scenario.expand import great_circle_km, inside_polygon
from bmdcheck.scenario.locate import key_lines
from bmdcheck.scenario.schema import EARTH_RADIUS_KM

SPACING_RTOL = 1e-3
MAX_CASES = 40  # the brief: keep a shipped scenario's default expansion fast
SHIPPED = sorted(shipped_scenarios())
EPAA = ["epaa-phase1", "epaa-phase2", "epaa-phase3", "epaa-phase4-2010", "epaa-phase4-2013"]

BASE = """\
name = "t"

[[defence.sites]]
site = "aegis-ashore-deveselu"

[sensors]
early_warning = "sbirs-dsp"
remote_radars = ["tpy-2-kurecik"]

[timeline]
decision_delay_s = 30.0

[[threats]]
missile = "topol-m"
launch = "a"
aim = "b"

[areas]
a = { point = [54.0, 35.0] }
b = { point = [38.9, -77.0] }
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _sites(s: Scenario) -> list[str]:
    return [e.name for e in s.defence.sites]


def _inventory(s: Scenario) -> dict:
    return {(site.name, it.name): n for site, it, n in defence_specs(s)}


# ---- shipped scenarios -------------------------------------------------------------------------

def test_the_brief_s_scenarios_are_shipped():
    assert set(EPAA + ["us-gmd-2013", "teaching-single-site", "teaching-ship-vs-icbm"]) <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_loads_and_expands(name):
    s = load_scenario(name)
    assert s.name == name
    assert s.include == [] and s.source_files and all(Path(f).is_file() for f in s.source_files)
    cases = threat_cases(s)
    assert 1 <= len(cases) <= MAX_CASES
    assert all(isinstance(c, ThreatCase) and c.shape in SHAPES and c.launch_time_s >= 0 for c in cases)
    specs = defence_specs(s)
    assert specs and all(isinstance(a, SiteSpec) and isinstance(b, InterceptorSpec) and n >= 0 for a, b, n in specs)
    assert isinstance(timeline_spec(s), TimelineSpec)
    d = draws(s)
    assert len(d) == s.uncertainty.draws and d[0] == scn.nominal(s)
    assert load_scenario(shipped_scenarios()[name]).model_dump() == s.model_dump()


def _unsourced_numbers(text: str) -> list[int]:
    """Lines that write a number without a `# source:` comment on the line, in the comment block
    just above it, or (inside a multi-line array or table) on or above the line that opens it."""
    bad, block_ok, depth, open_ok = [], False, 0, False
    for k, line in enumerate(text.splitlines(), start=1):
        code, _, comment = line.partition("#")
        code = re.sub(r'"[^"]*"', '""', code)
        if not code.strip():
            block_ok = (block_ok or "source:" in comment) if comment else False
            continue
        ok = "source:" in comment or block_ok or (depth > 0 and open_ok)
        if re.search(r"(?<![\w-])-?\d+(\.\d+)?", code) and not ok:
            bad.append(k)
        if depth == 0:
            open_ok = ok
        depth += code.count("[") + code.count("{") - code.count("]") - code.count("}")
        block_ok = False
    return bad


@pytest.mark.parametrize("name", SHIPPED)
def test_every_scenario_number_has_a_source_comment(name):
    for path in load_scenario(name).source_files:
        assert _unsourced_numbers(Path(path).read_text(encoding="utf-8")) == [], path


def test_the_source_comment_check_finds_a_bare_number():
    assert _unsourced_numbers('a = 1  # source: x\n# source: y\nb = [\n 1,\n 2]\nc = 3\nd = "x1"\n') == [6]


def test_epaa_includes_and_overrides():
    p1, p2, p3, p4a, p4b = (load_scenario(n) for n in EPAA)
    assert _sites(p1) == ["aegis-ship-east-med"]
    assert _sites(p2) == ["aegis-ship-east-med", "aegis-ashore-deveselu", "aegis-ship-rota"]
    assert _sites(p3) == _sites(p2) + ["aegis-ashore-redzikowo"]
    assert _sites(p4a) == _sites(p3) and _sites(p4b) == _sites(p3)
    # Phase 1's ship had SM-3 IA; sites_replace gives it its catalogue SM-3 IB load in Phase 2
    assert _inventory(p1) == {("aegis-ship-east-med", "sm-3-ia"): 8}
    assert _inventory(p2)[("aegis-ship-east-med", "sm-3-ib")] == 8
    assert _inventory(p3)[("aegis-ashore-redzikowo", "sm-3-iia")] == 24
    types = lambda s: {it for _, it in _inventory(s)}  # noqa: E731
    assert "sm-3-iib" in types(p4a)
    assert {site for site, it in _inventory(p4a) if it == "sm-3-iib"} == {"aegis-ashore-deveselu",
                                                                            "aegis-ashore-redzikowo"}
    assert "sm-3-iib" not in types(p4b) and "sm-3-iib" not in types(p3)
    # the threat set, sensors, timeline and uncertainty are inherited unchanged
    for s in (p2, p3, p4a, p4b):
        assert s.threats == p1.threats and s.areas == p1.areas and s.sensors == p1.sensors
        assert s.timeline == p1.timeline and s.uncertainty == p1.uncertainty
        assert threat_cases(s) == threat_cases(p1)
    assert len({scenario_hash(s) for s in (p1, p2, p3, p4a, p4b)}) == 5
    assert [Path(f).name for f in p3.source_files] == ["russia-icbm-2013.toml", "epaa-phase1.toml",
                                                       "epaa-phase2.toml", "epaa-phase3.toml"]


def test_gmd_2013_inventory_and_sensors():
    s = load_scenario("us-gmd-2013")
    assert _inventory(s) == {("gbi-fort-greely", "gbi-3-stage"): 26, ("gbi-vandenberg", "gbi-3-stage"): 4}
    assert {"uewr-thule", "uewr-fylingdales", "uewr-clear", "uewr-beale", "uewr-cape-cod", "cobra-dane",
            "sbx"} == set(s.sensors.remote_radars)
    tl = timeline_spec(s)
    assert tl.mode == "launch-on-remote" and tl.remote_radar.name == "uewr-thule"


def test_inline_site_places_the_catalogue_radar_at_the_site():
    s = load_scenario("teaching-ship-vs-icbm")
    (site, it, n), = defence_specs(s)
    assert (site.name, it.name, n) == ("teaching-ship", "sm-3-iia", 8)
    assert (site.radar.lat_deg, site.radar.lon_deg) == (site.lat_deg, site.lon_deg) == (63.0, 0.0)
    assert site.radar.alt_m == site.alt_m + scn.RADAR_MAST_M
    assert site.radar.range_km == 500.0 and site.radar.name == "spy-1-norwegian-sea@teaching-ship"
    assert len(threat_cases(s)) == 4  # 2 shapes x 2 salvo times


def test_the_docstring_examples_run():
    assert doctest.testmod(scn, raise_on_error=True).attempted >= 2


def test_modes_and_shapes_match_the_engine():
    assert scn.schema.MODES == MODES and scn.schema.SHAPES == SHAPES


# ---- includes and site directives --------------------------------------------------------------

def test_later_keys_override_and_tables_merge(tmp_path):
    _write(tmp_path, "base.toml", BASE)
    top = _write(tmp_path, "top.toml", 'include = ["base.toml"]\nname = "top"\n[timeline]\nrcs_m2 = 0.2\n'
                                        '[areas]\nc = { point = [1.0, 2.0] }\n')
    s = load_scenario(top)
    assert s.name == "top" and s.timeline.rcs_m2 == 0.2 and s.timeline.decision_delay_s == 30.0
    assert set(s.areas) == {"a", "b", "c"}


def test_arrays_are_replaced_not_merged(tmp_path):
    _write(tmp_path, "base.toml", BASE)
    top = _write(tmp_path, "top.toml", 'include = ["base.toml"]\n[sensors]\nremote_radars = ["sbx"]\n'
                                        '[[defence.sites]]\nsite = "gbi-vandenberg"\n')
    s = load_scenario(top)
    assert s.sensors.remote_radars == ["sbx"] and _sites(s) == ["gbi-vandenberg"]


def test_later_includes_override_earlier_ones(tmp_path):
    _write(tmp_path, "base.toml", BASE)
    _write(tmp_path, "x.toml", '[timeline]\nrcs_m2 = 0.1\nkill_assessment_s = 10.0\n')
    _write(tmp_path, "y.toml", '[timeline]\nrcs_m2 = 0.3\n')
    s = load_scenario(_write(tmp_path, "top.toml", 'include = ["base.toml", "x.toml", "y.toml"]\n'))
    assert (s.timeline.rcs_m2, s.timeline.kill_assessment_s, s.timeline.decision_delay_s) == (0.3, 10.0, 30.0)


def test_site_directives(tmp_path):
    _write(tmp_path, "base.toml", BASE.replace('site = "aegis-ashore-deveselu"', 'site = "aegis-ashore-deveselu"\n'
                                               '[[defence.sites]]\nsite = "aegis-ship-rota"'))
    top = _write(tmp_path, "top.toml", 'include = ["base.toml"]\n[defence]\nsites_remove = ["aegis-ship-rota"]\n'
                                        'sites_replace = [{ site = "aegis-ashore-deveselu", '
                                        'interceptors = { "sm-3-iia" = 3 } }]\n'
                                        'sites_add = [{ site = "gbi-vandenberg" }]\n')
    s = load_scenario(top)
    assert _sites(s) == ["aegis-ashore-deveselu", "gbi-vandenberg"]
    assert _inventory(s) == {("aegis-ashore-deveselu", "sm-3-iia"): 3, ("gbi-vandenberg", "gbi-3-stage"): 4}


def test_site_directives_in_python_match_the_loader():
    s = load_scenario("epaa-phase3")
    d = s.model_dump(exclude={"include": True})
    sites = d["defence"]["sites"]
    d["defence"] = {"sites": sites[:-1], "sites_add": [sites[-1]], "sites_remove": [], "sites_replace": []}
    assert scenario_hash(Scenario.model_validate(d)) == scenario_hash(s)


# ---- canonical JSON and hash -------------------------------------------------------------------

REORDERED = """\
[areas]
b = { point = [38.9, -77.0] }
a = { point = [54.0, 35.0] }

[[threats]]
aim = "b"
launch = "a"
missile = "topol-m"

[timeline]
decision_delay_s = 30

[sensors]
remote_radars = ["tpy-2-kurecik"]
early_warning = "SBIRS-DSP"

[[defence.sites]]
site = "aegis-ashore-deveselu"

[uncertainty]
draws = 1
"""


def test_hash_ignores_key_order_int_float_and_name_case(tmp_path):
    a = load_scenario(_write(tmp_path, "a.toml", BASE))
    b = load_scenario(_write(tmp_path, "b.toml", 'name = "t"\n' + REORDERED))
    assert canonical_json(a) == canonical_json(b) and scenario_hash(a) == scenario_hash(b)


def test_hash_is_independent_of_the_include_structure(tmp_path):
    s = load_scenario("epaa-phase3")
    flat = Scenario.model_validate_json(canonical_json(s))
    assert scenario_hash(flat) == scenario_hash(s)


def test_hash_changes_with_any_value(tmp_path):
    a = load_scenario(_write(tmp_path, "a.toml", BASE))
    b = load_scenario(_write(tmp_path, "b.toml", BASE.replace("30.0", "30.5")))
    assert scenario_hash(a) != scenario_hash(b)


def test_hash_is_pinned_for_a_fully_explicit_scenario(tmp_path):
    """A golden value guards the canonical form across machines and Python versions. Update it
    (and say so in the changelog) only when the schema itself changes."""
    text = BASE.replace("decision_delay_s = 30.0",
                        "decision_delay_s = 30.0\nrcs_m2 = 0.05\nkill_assessment_s = 60.0\nmode = \"local\"\n"
                        "tiers = [\"local\", \"remote\", \"cue\"]\nnetwork_latency_s = 5.0\nrcs_model = \"constant\"")
    s = load_scenario(_write(tmp_path, "g.toml", text))
    c = canonical_json(s)
    assert c.startswith('{"areas":{"a":{"point":[54.0,35.0]},"b":') and "null" not in c
    assert " " not in c
    assert len(scenario_hash(s)) == 64 and re.fullmatch(r"[0-9a-f]{64}", scenario_hash(s))
    assert scenario_hash(s) == GOLDEN_HASH


GOLDEN_HASH = "ff57863f1079359fdfe6fcc91b50aa5004db4ceeabc1eea07ca781008de8258c"  # schema: timeline tiers, network_latency_s, rcs_model


# ---- one-line errors ---------------------------------------------------------------------------

def _error(path) -> str:
    with pytest.raises(BmdcheckError) as e:
        load_scenario(path)
    msg = str(e.value)
    assert "\n" not in msg
    return msg


BAD = [
    # (case, edit of BASE, expected "LINE: path" fragment, expected words)
    ("malformed TOML", ('name = "t"', 'name = "t'), "1: invalid TOML", "Illegal character"),
    ("unknown key", ("[sensors]", "[sensors]\nfoo = 1"), "7: sensors.foo", "unknown key 'foo'"),
    ("wrong unit", ("decision_delay_s = 30.0", "decision_delay_min = 0.5"), "11: timeline.decision_delay_min",
     "did you mean 'decision_delay_s'"),
    ("wrong unit in an area", ("b = { point = [38.9, -77.0] }", "b = { polygon = [[40,-80],[45,-80],[45,-70]], "
                               "spacing_m = 300 }"), "20: areas.b.spacing_m", "did you mean 'spacing_km'"),
    ("negative delay", ("decision_delay_s = 30.0", "decision_delay_s = -5.0"), "11: timeline.decision_delay_s",
     "expected a value >= 0 (seconds), got -5"),
    ("latitude 95", ("[54.0, 35.0]", "[95.0, 35.0]"), "19: areas.a.point[0]", "latitude within [-90, 90]"),
    ("inventory -1", ('site = "aegis-ashore-deveselu"', 'site = "aegis-ashore-deveselu"\n'
                      'interceptors = { "sm-3-ib" = -1 }'), "5: defence.sites[0].interceptors.sm-3-ib",
     "whole number >= 0 (rounds)"),
    ("fractional inventory", ('site = "aegis-ashore-deveselu"', 'site = "aegis-ashore-deveselu"\n'
                              'interceptors = { "sm-3-ib" = 2.5 }'), "5: defence.sites[0].interceptors.sm-3-ib",
     "whole number"),
    ("string for a number", ("decision_delay_s = 30.0", 'decision_delay_s = "30"'), "11: timeline.decision_delay_s",
     "expected a finite number"),
    ("negative launch time", ('aim = "b"', 'aim = "b"\nlaunch_times_s = [0.0, -1.0]'),
     "17: threats[0].launch_times_s[1]", ">= 0"),
    ("unknown missile", ('"topol-m"', '"sarmat"'), "14: threats[0].missile", "unknown missile 'sarmat'"),
    ("unknown site", ('"aegis-ashore-deveselu"', '"deveselu"'), "4: defence.sites[0].site", "unknown site"),
    ("unknown interceptor", ('site = "aegis-ashore-deveselu"', 'site = "aegis-ashore-deveselu"\n'
                             'interceptors = { "sm-3-ic" = 1 }'), "5: defence.sites[0].interceptors.sm-3-ic",
     "unknown interceptor"),
    ("unknown radar", ('["tpy-2-kurecik"]', '["tpy-2-kurecik",\n  "tpy-3"]'), "9: sensors.remote_radars[1]",
     "unknown radar 'tpy-3'"),
    ("unknown inline radar", ('site = "aegis-ashore-deveselu"', 'site = { name = "x", lat_deg = 50.0, lon_deg = 0.0, '
                              'radar = "spy-9" }\ninterceptors = { "sm-3-ib" = 1 }'), "4: defence.sites[0].site.radar",
     "unknown radar"),
    ("unknown early warning", ('early_warning = "sbirs-dsp"', 'early_warning = "dsp"'), "7: sensors.early_warning",
     "unknown early-warning system"),
    ("unknown area", ('aim = "b"', 'aim = "c"'), "16: threats[0].aim", "unknown area 'c'"),
    ("missing key", ('missile = "topol-m"\n', ""), "13: threats[0].missile", "missing required key 'missile'"),
    ("unknown shape", ('aim = "b"', 'aim = "b"\nshapes = ["flat"]'), "17: threats[0].shapes[0]", "expected one of"),
    ("two area kinds", ("a = { point = [54.0, 35.0] }", "a = { point = [54.0, 35.0], points = [[1.0, 2.0]] }"),
     "19: areas.a.points", "exactly one of"),
    ("remote mode without radar", ("decision_delay_s = 30.0", 'mode = "engage-on-remote"'), "11: timeline.mode",
     "needs timeline.remote_radar"),
    ("sea box without area", ('site = "aegis-ashore-deveselu"', 'site = { name = "x", kind = "ship", lat_deg = 50.0, '
                              'lon_deg = 0.0 }\ninterceptors = { "sm-3-ib" = 1 }\nsea_box = { lat_min_deg = 50.0, '
                              'lat_max_deg = 50.0, lon_min_deg = -1.0, lon_max_deg = 1.0 }'), "6: defence.sites[0].sea_box",
     "a sea box without area"),
    ("sea box of a land site", ('site = "aegis-ashore-deveselu"', 'site = "aegis-ashore-deveselu"\nsea_box = { '
                                'lat_min_deg = 44.0, lat_max_deg = 44.2, lon_min_deg = 24.0, lon_max_deg = 24.8 }'),
     "5: defence.sites[0].sea_box", "only a ship has a sea box"),
    ("sea box not containing the ship", ('site = "aegis-ashore-deveselu"', 'site = "aegis-ship-rota"\nsea_box = { '
                                         'lat_min_deg = 30.0, lat_max_deg = 31.0, lon_min_deg = -7.0, lon_max_deg = -6.0 }'),
     "5: defence.sites[0].sea_box", "does not contain its position"),
    ("bad distribution", ("[areas]", '[uncertainty]\ndraws = 3\nburnout_speed_scale = { dist = "uniform", low = -1.0, '
                          'high = 1.0 }\n[areas]'), "20: uncertainty.burnout_speed_scale.low", "must be > 0"),
]


@pytest.mark.parametrize("case, edit, where, words", BAD, ids=[b[0] for b in BAD])
def test_bad_input_gives_one_line_naming_file_field_and_line(tmp_path, case, edit, where, words):
    text = BASE.replace(*edit)
    assert text != BASE
    p = _write(tmp_path, "bad.toml", text)
    msg = _error(p)
    assert msg.startswith(f"{p}:{where}"), msg
    assert words in msg, msg


def test_missing_include_names_the_including_file_and_line(tmp_path):
    p = _write(tmp_path, "top.toml", '# a comment\n\ninclude = [\n  "base.toml",\n  "nope.toml",\n]\n')
    _write(tmp_path, "base.toml", BASE)
    msg = _error(p)
    assert msg.startswith(f"{p}:5: include[1]: included file 'nope.toml' not found"), msg


def test_include_cycle_is_refused(tmp_path):
    _write(tmp_path, "a.toml", 'include = ["b.toml"]\n' + BASE)
    _write(tmp_path, "b.toml", 'name = "b"\ninclude = ["c.toml"]\n')
    _write(tmp_path, "c.toml", '\n\ninclude = ["a.toml"]\n')
    msg = _error(tmp_path / "a.toml")
    assert msg.startswith(f"{tmp_path / 'c.toml'}:3: include[0]: include cycle a.toml -> b.toml -> c.toml -> a.toml")


def test_self_include_is_a_cycle(tmp_path):
    p = _write(tmp_path, "a.toml", 'include = ["a.toml"]\n' + BASE)
    assert _error(p).startswith(f"{p}:1: include[0]: include cycle a.toml -> a.toml")


def test_an_error_in_an_included_file_names_that_file(tmp_path):
    base = _write(tmp_path, "base.toml", BASE.replace('"topol-m"', '"sarmat"'))
    top = _write(tmp_path, "top.toml", 'include = ["base.toml"]\nname = "top"\n')
    assert _error(top).startswith(f"{base}:14: threats[0].missile: unknown missile")
    _write(tmp_path, "base.toml", BASE.replace("[sensors]", "[sensors"))
    msg = _error(top)
    assert msg.startswith(f"{base}:6: invalid TOML") and f"included from {top}:1" in msg


def test_site_directive_errors(tmp_path):
    _write(tmp_path, "base.toml", BASE)
    p = _write(tmp_path, "top.toml", 'include = ["base.toml"]\n[defence]\nsites_remove = ["aegis-ship-rota"]\n')
    assert _error(p).startswith(f"{p}:3: defence.sites_remove[0]: site 'aegis-ship-rota' is not in the inherited")
    p = _write(tmp_path, "top.toml", 'include = ["base.toml"]\n[defence]\n'
                                      'sites_add = [{ site = "aegis-ashore-deveselu" }]\n')
    assert "use sites_replace" in _error(p)
    p = _write(tmp_path, "top.toml", 'include = ["base.toml"]\n[defence]\n'
                                      'sites_replace = [{ site = "gbi-vandenberg" }]\n')
    assert "use sites_add" in _error(p)
    p = _write(tmp_path, "top.toml", BASE.replace('site = "aegis-ashore-deveselu"',
                                                  'site = "aegis-ashore-deveselu"\n[[defence.sites]]\n'
                                                  'site = "aegis-ashore-deveselu"'))
    assert _error(p).startswith(f"{p}:6: defence.sites[1].site: site 'aegis-ashore-deveselu' appears twice")


def test_missing_file_and_unknown_shipped_name():
    assert "not found" in _error("/nonexistent/x.toml")
    assert "epaa-phase3" in _error("epaa-phase9")


def test_key_lines_follow_toml_structure():
    text = ('a = 1\n[t]\nb = { c = [1,\n 2], "d.e" = 3 }\n[[arr]]\nx = """\n[not]\n"""\n[[arr]]\n'
            'y.z = 4\n[arr.sub]\nw = 5\n')
    lines = key_lines(text)
    assert lines[("a",)] == 1 and lines[("t", "b", "c", 1)] == 4 and lines[("t", "b", "d.e")] == 4
    assert lines[("arr", 0, "x")] == 6 and ("not",) not in lines
    assert lines[("arr", 1, "y", "z")] == 10 and lines[("arr", 1, "sub", "w")] == 12


# ---- JSON schema -------------------------------------------------------------------------------

def test_shipped_json_schema_is_up_to_date():
    shipped = json.loads(resources.files("bmdcheck.data").joinpath("scenario.schema.json").read_text())
    assert shipped == json_schema(), ("regenerate with: python -c 'from bmdcheck.scenario import "
                                      "write_json_schema; write_json_schema()'")


def test_json_schema_forbids_unknown_keys_everywhere():
    schema = json_schema()
    for name, d in schema["$defs"].items():
        assert d.get("additionalProperties") is False, name
    assert schema["additionalProperties"] is False


# ---- Monte-Carlo draws -------------------------------------------------------------------------

UNC = """
[uncertainty]
seed = 7
draws = 200
burnout_speed_scale = { dist = "uniform", low = 0.9, high = 1.1 }
decision_delay_s = { dist = "normal", mean = 20.0, sd = 40.0 }
detection_range_scale = { dist = "triangular", low = 0.5, mode = 1.0, high = 2.0 }
"""


def test_draws_are_deterministic_and_draw_0_is_nominal(tmp_path):
    s = load_scenario(_write(tmp_path, "u.toml", BASE + UNC))
    d1, d2 = draws(s), draws(load_scenario(_write(tmp_path, "v.toml", BASE + UNC)))
    assert d1 == d2 and len(d1) == 200
    assert d1[0] == {"burnout_speed_scale": 1.0, "decision_delay_s": 30.0, "detection_range_scale": 1.0}
    assert all(set(d) == {"burnout_speed_scale", "decision_delay_s", "detection_range_scale"} for d in d1)
    b = np.array([d["burnout_speed_scale"] for d in d1[1:]])
    t = np.array([d["decision_delay_s"] for d in d1[1:]])
    r = np.array([d["detection_range_scale"] for d in d1[1:]])
    assert b.min() >= 0.9 and b.max() <= 1.1 and len(set(b)) == 199
    assert t.min() >= 0.0  # the normal is truncated to the domain (delay >= 0)
    assert r.min() >= 0.5 and r.max() <= 2.0
    other = draws(load_scenario(_write(tmp_path, "w.toml", BASE + UNC.replace("seed = 7", "seed = 8"))))
    assert other[0] == d1[0] and other[1:] != d1[1:]


def test_a_draw_changes_only_its_declared_inputs(tmp_path):
    full = draws(load_scenario(_write(tmp_path, "u.toml", BASE + UNC)))
    only = draws(load_scenario(_write(tmp_path, "v.toml", BASE + "\n".join(
        line for line in UNC.splitlines() if not line.startswith(("burnout", "detection"))))))
    assert all(d["burnout_speed_scale"] == 1.0 and d["detection_range_scale"] == 1.0 for d in only)
    # each input has its own stream: dropping the others leaves this one's draws unchanged
    assert [d["decision_delay_s"] for d in only] == [d["decision_delay_s"] for d in full]


def test_no_uncertainty_means_one_nominal_draw(tmp_path):
    s = load_scenario(_write(tmp_path, "u.toml", BASE))
    assert draws(s) == [scn.nominal(s)]


# ---- areas -------------------------------------------------------------------------------------

NE = [[39.7, -80.5], [42.3, -79.8], [43.3, -79.0], [45.0, -74.7], [45.0, -71.5], [47.4, -69.2], [44.8, -66.9],
      [41.7, -70.0], [40.5, -73.9], [39.7, -75.5]]


def _min_pair_km(p: np.ndarray) -> float:
    return min(great_circle_km(*p[i], *p[j]) for i in range(len(p)) for j in range(i + 1, len(p)))


@pytest.mark.parametrize("spacing_km", [100.0, 200.0, 300.0])
def test_polygon_points_are_inside_and_spaced(spacing_km):
    p = polygon_grid(NE, spacing_km)
    assert p.shape[1] == 2 and len(p) >= 2
    assert inside_polygon(p[:, 0], p[:, 1], NE).all()
    assert _min_pair_km(p) >= spacing_km * (1 - SPACING_RTOL)
    # and the grid is not sparser than asked: a neighbour within ~spacing for every point
    for i in range(len(p)):
        near = min(great_circle_km(*p[i], *p[j]) for j in range(len(p)) if j != i)
        assert near <= spacing_km * 1.5


def test_polygon_grid_density_matches_the_area():
    """Point count ≈ polygon area / spacing² (area on the sphere from the lon-lat shoelace, cos-lat scaled)."""
    v = np.array(NE)
    lat0 = math.radians(v[:, 0].mean())
    km_per_deg = EARTH_RADIUS_KM * math.pi / 180
    area_km2 = abs(scn.schema.polygon_area_deg2(NE)) * km_per_deg ** 2 * math.cos(lat0)
    n = len(polygon_grid(NE, 50.0))
    assert n == pytest.approx(area_km2 / 50.0 ** 2, rel=0.05)


def test_small_polygon_gives_its_centroid():
    tri = [[50.0, 10.0], [50.1, 10.0], [50.0, 10.1]]
    p = polygon_grid(tri, 300.0)
    assert p.shape == (1, 2)
    assert p[0] == pytest.approx([50.0 + 0.1 / 3, 10.0 + 0.1 / 3])


def test_point_and_points_areas():
    assert area_points(scn.Area(point=(1.0, 2.0))).tolist() == [[1.0, 2.0]]
    assert area_points(scn.Area(points=[(1.0, 2.0), (3.0, 4.0)])).shape == (2, 2)
    assert scn.Area(polygon=NE).spacing_km == scn.schema.DEFAULT_SPACING_KM


@settings(max_examples=40, deadline=None)
@given(lat=st.floats(-70, 70), lon=st.floats(-170, 150), w=st.floats(2, 20), h=st.floats(2, 15),
       spacing=st.floats(80, 600), skew=st.floats(-0.4, 0.4))
@example(lat=65.0, lon=0.0, w=16.0, h=9.0, spacing=451.0, skew=0.25)
def test_polygon_sampling_property(lat, lon, w, h, spacing, skew):
    h = min(h, 85 - abs(lat))
    poly = [[lat, lon], [lat, lon + w], [lat + h, lon + w + skew * w], [lat + h, lon + skew * w]]
    p = polygon_grid(poly, spacing)
    assert len(p) >= 1
    if len(p) > 1:
        assert inside_polygon(p[:, 0], p[:, 1], poly).all()
        # points along a parallel are spaced by arc along the parallel; the great circle between
        # them is shorter by about (s/R)² tan²φ / 24 (small-angle chord vs parallel), so the bound
        # loosens with latitude (regression: 65° N, 451 km failed the flat 0.1 % bound)
        phi = math.radians(min(85.0, max(abs(lat), abs(lat + h))))
        rtol = SPACING_RTOL + (spacing / 6371.0) ** 2 * math.tan(phi) ** 2 / 24 * 1.5
        assert _min_pair_km(p) >= spacing * (1 - rtol)


def test_threat_case_order_is_launch_aim_shape_time(tmp_path):
    text = BASE.replace('aim = "b"', 'aim = "b"\nshapes = ["min-energy", "lofted"]\nlaunch_times_s = [0.0, 10.0]')
    text = text.replace("a = { point = [54.0, 35.0] }", "a = { points = [[54.0, 35.0], [55.0, 36.0]] }")
    cases = threat_cases(load_scenario(_write(tmp_path, "o.toml", text)))
    assert [(c.launch_lat, c.shape, c.launch_time_s) for c in cases] == [
        (54.0, "min-energy", 0.0), (54.0, "min-energy", 10.0), (54.0, "lofted", 0.0), (54.0, "lofted", 10.0),
        (55.0, "min-energy", 0.0), (55.0, "min-energy", 10.0), (55.0, "lofted", 0.0), (55.0, "lofted", 10.0)]


def test_coinciding_launch_and_aim_points_are_refused(tmp_path):
    s = load_scenario(_write(tmp_path, "c.toml", BASE.replace("[38.9, -77.0]", "[54.0, 35.0]")))
    with pytest.raises(BmdcheckError, match=r"threats\[0\]: launch point .* coincides"):
        threat_cases(s)


# ---- the documentation's worked example runs -----------------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "SCENARIOS.md"


def _block_after(text: str, marker: str, lang: str) -> str:
    start = text.index(marker)
    m = re.compile(rf"```{lang}\n(.*?)```", re.S).search(text, start)
    return m.group(1)


def test_worked_example_in_the_docs_runs(tmp_path, monkeypatch):
    text = DOC.read_text(encoding="utf-8")
    _write(tmp_path, "example-baltic.toml", _block_after(text, "<!-- worked-example:toml", "toml"))
    monkeypatch.chdir(tmp_path)
    session = _block_after(text, "<!-- worked-example:python -->", "python")
    test = doctest.DocTestParser().get_doctest(session, {}, "SCENARIOS.md worked example", str(DOC), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 8
    s = load_scenario(tmp_path / "example-baltic.toml")
    assert _unsourced_numbers((tmp_path / "example-baltic.toml").read_text()) == []
    assert s.name == "example-baltic"


def test_docs_table_of_shipped_scenarios_matches():
    text = DOC.read_text(encoding="utf-8")
    for name in SHIPPED:
        s = load_scenario(name)
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2] == f"{len(s.defence.sites)} ({len(defence_specs(s))})", name
        assert cells[3] == str(len(threat_cases(s))), name
        assert cells[4] == str(s.uncertainty.draws), name


def test_threat_sets_by_date():
    """EPAA 2011-2013 and GMD 2013 fly the 2013 force (liquids at Kozelsk and Tatishchevo, SS-18 at
    Dombarovsky and Uzhur, SS-25 on the mobile fields); the present-day scenario flies the 2024 force."""
    from pyproj import Geod

    by_point = lambda s: {(c.launch_lat, c.launch_lon): c.missile for c in threat_cases(s)}  # noqa: E731
    for name in EPAA + ["us-gmd-2013"]:
        m = by_point(load_scenario(name))
        assert m[(54.038, 35.772)] == "ur-100nutth" and m[(50.759, 59.539)] == "r-36m2"  # Kozelsk, Dombarovsky
        assert m[(52.298, 104.296)] == "topol"  # Irkutsk, SS-25 in 2013
        assert len(threat_cases(load_scenario(name))) <= 40
    now = load_scenario("epaa-2024")
    assert {c.missile for c in threat_cases(now)} == {"yars", "topol-m", "r-36m2"}
    assert by_point(now)[(54.038, 35.772)] == "yars"
    assert _sites(now) == _sites(load_scenario("epaa-phase3"))
    # a dispersal area: the garrison and four points 150 km from it, north, east, south and west
    pts = area_points(load_scenario("epaa-phase3").areas["dispersal-teykovo"])
    az, _, d = Geod(ellps="WGS84").inv(np.full(len(pts), 40.537), np.full(len(pts), 56.858), pts[:, 1], pts[:, 0])
    d_km = np.sort(d) / 1e3
    assert len(pts) == 5 and d_km[0] < 1.0 and np.all(np.abs(d_km[1:] - 150.0) < 1.5), d_km
