"""CZML properties carry no null values: CesiumJS (1.140) refuses to load a packet whose
``properties`` hold a null ("Cannot read properties of null (reading 'hasOwnProperty')"), which
the control room's browser test ran into with the export of a trajectory without a window."""

import json
from datetime import datetime, timezone

import numpy as np

from bmdcheck.export.czml import to_czml
from bmdcheck.export.model import Coverage, Intercept, Scene, SitePoint


def _nulls(x, path=""):
    if x is None:
        yield path
    elif isinstance(x, dict):
        for k, v in x.items():
            yield from _nulls(v, f"{path}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _nulls(v, f"{path}[{i}]")


def test_missing_property_values_are_left_out():
    ring = np.array([[50.0, 10.0], [51.0, 10.0], [51.0, 11.0], [50.0, 10.0]])
    sc = Scene("nulls", sites=[SitePoint("s", 50.0, 10.0, 0.0, {"radar": None, "window": None, "x": float("nan"),
                                                             "rounds": 8})],
               coverage=[Coverage("r", 50.0, 10.0, 0.0, ring, 300.0, 600.0, {"rcs_m2": float("nan")})],
               intercepts=[Intercept("0", 50.5, 10.5, 2e5, 100.0, {"window": None, "site": "s"})])
    doc = json.loads(to_czml(sc, datetime(2026, 1, 1, tzinfo=timezone.utc)).dumps())
    props = {p["id"]: p.get("properties", {}) for p in doc}
    assert not list(_nulls(props)), list(_nulls(props))
    assert props["site-s"] == {"kind": "site", "rounds": 8}
    assert props["intercept-0"]["site"] == "s" and "window" not in props["intercept-0"]
