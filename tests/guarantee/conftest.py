"""Small scenarios with answers known from geometry, written into a temporary directory.

One Topol-M from Kozelsk to New York (one threat case, flown once per session) faces inline sites:
- ``under-track`` (63 N, 0 E): under the midcourse (the ground track crosses 61.2 N, 3.1 W at
  t = 600 s, 1,142 km up), with GBIs (7.5 km/s): can engage;
- ``far-side`` (61.2 S, 176.9 E): the antipode of that midcourse point, ~20,000 km from every point
  of the track: cannot;
- ``north-site`` (68 N, 0 E): SM-3 IIA (4.5 km/s) just out of reach: engages at 1.10 x its burnout
  speed, not at 1.00 or 1.08 (measured with defence.engage directly, tests/guarantee/test_engagement.py).
All in early-warning-only mode (launch on the satellite cue + decision delay), so no radar limits them.
"""

import textwrap

import pytest

from bmdcheck.guarantee import Context, load_rules
from bmdcheck.scenario import load_scenario

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


@pytest.fixture(scope="session")
def engage_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("engage")
    write(d / "engage.toml", ENGAGE_SCENARIO)
    return d


@pytest.fixture(scope="session")
def engage_ctx(engage_dir):
    """The engagement scenario, expanded once: its one trajectory is flown once per session."""
    return Context(load_scenario(engage_dir / "engage.toml"))


def rules_in(tmp_path, body: str, name: str = "rules.toml", parties: str = PARTIES):
    """Write a rules file (name line, parties, then ``body``) and load it."""
    p = tmp_path / name
    p.write_text(f'name = "test"\n{parties}\n{textwrap.dedent(body)}')
    return load_rules(p)
