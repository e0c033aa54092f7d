"""Small scenarios with answers known from geometry, written into a temporary directory.

One Topol-M from Kozelsk to New York (one threat case, flown once per session) faces inline sites:
- ``under-track`` (63 N, 0 E): under the midcourse (the ground track crosses 61.2 N, 3.1 W at
  t = 600 s, 1,142 km up), with GBIs (7.5 km/s): can engage;
- ``far-side`` (61.2 S, 176.9 E): the antipode of that midcourse point, ~20,000 km from every point
  of the track: cannot;
- ``north-site`` (68 N, 0 E): SM-3 IIA (4.5 km/s) just out of reach: engages at 1.10 x its burnout
  speed, not at 1.00 or 1.08 (measured with defence.engage directly, tests/guarantee/test_guarantee_engagement.py).
All in early-warning-only mode (launch on the satellite cue + decision delay), so no radar limits them.
"""

import pytest
from guarantee_helpers import ENGAGE_SCENARIO, write

from bmdcheck.guarantee import Context
from bmdcheck.scenario import load_scenario


@pytest.fixture(scope="session")
def engage_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("engage")
    write(d / "engage.toml", ENGAGE_SCENARIO)
    return d


@pytest.fixture(scope="session")
def engage_ctx(engage_dir):
    """The engagement scenario, expanded once: its one trajectory is flown once per session."""
    return Context(load_scenario(engage_dir / "engage.toml"))
