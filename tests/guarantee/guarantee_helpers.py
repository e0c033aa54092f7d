"""Helpers for the guarantee tests: the test scenario's text, its parties, file writers."""

import textwrap

from bmdcheck.guarantee import load_rules

KOZELSK = (54.038, 35.772)
NEW_YORK = (40.714, -74.006)

ENGAGE_SCENARIO = """\
name = "guarantee-test-engage"

[[defence.sites]]
site = { name = "under-track", kind = "ship", lat_deg = 63.0, lon_deg = 0.0 }
interceptors = { "gbi-3-stage" = 4 }

[[defence.sites]]
site = { name = "far-side", kind = "land", lat_deg = -61.2, lon_deg = 176.9 }
interceptors = { "gbi-3-stage" = 4 }

[[defence.sites]]
site = { name = "north-site", kind = "ship", lat_deg = 68.0, lon_deg = 0.0 }
interceptors = { "sm-3-iia" = 8 }

[sensors]
early_warning = "sbirs-dsp"

[timeline]
mode = "early-warning-only"

[[threats]]
missile = "topol-m"
launch = "kozelsk"
aim = "new-york"

[areas]
kozelsk = { point = [54.038, 35.772] }
new-york = { point = [40.714, -74.006] }
"""

PARTIES = """\
[parties.near]
sites = ["under-track"]

[parties.far]
sites = ["far-side"]

[parties.north]
sites = ["north-site"]
"""


def write(path, text: str):
    path.write_text(textwrap.dedent(text))
    return path


def rules_in(tmp_path, body: str, name: str = "rules.toml", parties: str = PARTIES):
    """Write a rules file (name line, parties, then ``body``) and load it."""
    p = tmp_path / name
    p.write_text(f'name = "test"\n{parties}\n{textwrap.dedent(body)}')
    return load_rules(p)


ENGAGEMENT_RULE = """\
[[rule]]
id = "r"
kind = "engagement"
party = "{party}"
missile_class = "icbm"
launch = "kozelsk"
aim = "new-york"
{extra}
"""


def engagement_rule(party: str, extra: str = "") -> str:
    """One engagement rule ("r") for ICBMs from kozelsk to new-york, binding PARTY; EXTRA adds keys."""
    return ENGAGEMENT_RULE.format(party=party, extra=extra)
