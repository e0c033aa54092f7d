"""Helpers for the control-room API tests: small scenarios, a client, waiting for jobs, state snapshots."""

import hashlib
import os
import time
from pathlib import Path

TINY = """\
name = "web-tiny"
description = "two threat cases, one far site: fast, nothing engageable"

[[defence.sites]]
site = { name = "far", kind = "land", lat_deg = -60.0, lon_deg = 100.0, alt_m = 0.0 }
interceptors = { "sm-3-iia" = 4 }

[sensors]
early_warning = "sbirs-dsp"
remote_radars = []

[timeline]
mode = "early-warning-only"
tiers = ["cue"]

[[threats]]
missile = "topol-m"
launch = "west"
aim = "east-coast"

[areas]
west = { points = [[54.038, 35.772], [56.858, 40.537]] }
east-coast = { point = [38.895, -77.036] }
"""

ENGAGE = """\
name = "web-engage"

[[defence.sites]]
site = { name = "under-track", kind = "ship", lat_deg = 63.0, lon_deg = 0.0 }
interceptors = { "gbi-3-stage" = 4 }

[[defence.sites]]
site = { name = "far-side", kind = "land", lat_deg = -61.2, lon_deg = 176.9 }
interceptors = { "gbi-3-stage" = 4 }

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
"""A GBI on a ship under the Kozelsk -> New York track: the rule below fails with a counterexample
(the same geometry as tests/guarantee/guarantee_helpers.ENGAGE_SCENARIO)."""

RULES_FAIL = """\
name = "web-no-engagement"

[parties.near]
sites = ["under-track"]

[[rule]]
id = "near-cannot-engage"
kind = "engagement"
statement = "The ship under the track cannot engage an ICBM from Kozelsk to New York."
party = "near"
missile_class = "icbm"
launch = "kozelsk"
aim = "new-york"
"""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def post_toml(client, kind: str, text, ctype: str = "application/toml", **kw):
    body = text.encode() if isinstance(text, str) else text
    return client.post(f"/api/uploads?kind={kind}", content=body, headers={"content-type": ctype, **kw})


def wait_job(client, jid: str, timeout_s: float = 900.0, headers=None) -> dict:
    """Poll GET /api/jobs/{id} until done or failed; the last status document."""
    t_end = time.monotonic() + timeout_s
    while True:
        d = client.get(f"/api/jobs/{jid}", headers=headers or {}).json()
        if d["status"] in ("done", "failed") or time.monotonic() > t_end:
            return d
        time.sleep(0.3)


def snapshot(root: Path) -> dict:
    """Every file under ``root`` with its size and modification time (what a refused request must not change)."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            st = p.stat()
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out
