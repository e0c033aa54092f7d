"""Joint margins: what it takes to break a rule when the deciding margins move together.

The capability-margin searches of :mod:`.engagement` move one margin at a time (burnout speed up to
x2.00; decision delay down to 0 s). A rule can hold under each of those and still break when two
move at once: an interceptor fast enough to reach the threat but launched too late, and early
enough but too slow. The joint search covers that case:

1. **Corners**: every corner of the box (each margin at its declared value or at the box's strong
   end: burnout x2.00, decision delay 0 s, radar range x2, early-warning cue 0 s, target
   cross-section x10), sensor tiers as
   the rule takes them (the worst case over tiers, ``engagement.evaluate``). Corners are visited
   fewest moved margins first, so the first breaking corner is a smallest set of margins.
2. **Refinement**: from a breaking corner, each moved margin in turn is bisected back toward its
   declared value on its grid (1 % of burnout speed, 5 s, 0.05 of range, 5 s, 0.25 of
   cross-section) while the rule still
   breaks, the others held. The result breaks the rule (evaluated), with every margin as small as
   that coordinate search makes it (a local minimum, not a global one: the box is searched at its
   corners, so a break found only inside the box is not claimed).
3. **Ship positions**: a ship whose scenario entry declares a ``sea_box`` may be anywhere in it. It
   is one more margin, with no strong direction: its corner stage visits the box's four corners,
   four edge midpoints and centre (``sea_box_candidates``), alone and with every combination of
   the other margins; refinement moves it back along the segment toward its declared position
   (1/16 steps) while the rule still breaks. A break only between those nine points is not claimed.

Pure over a ``holds(Corner) -> bool`` oracle, so the search is tested on planted oracles
(tests/guarantee/test_guarantee_joint.py) and used on the real rules.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

from .margins import Corner

BOX = {"burnout_scale": (1.0, 2.0, 0.01), "decision_delay_reduction_s": (0.0, None, 5.0),
       "radar_range_scale": (1.0, 2.0, 0.05), "detection_delay_reduction_s": (0.0, None, 5.0),
       "rcs_scale": (1.0, 10.0, 0.25)}
"""Per margin: (declared value, strong end — None: the declared delay, i.e. down to 0 s —, grid step).
Cross-section up to x10: [U] assumption, one order of magnitude, the spread between published
re-entry-vehicle figures (0.01-0.1 m²) around the catalogue's RV value (data/rcs.toml)."""


SHIP_STEPS = 16
"""Refinement grid of a ship position: 1/16 of the segment from its declared position to the
breaking one."""


def sea_box_candidates(box: tuple) -> list[tuple[float, float]]:
    """Ship positions visited at the corner stage for a sea box (lat_min, lat_max, lon_min, lon_max,
    lat_declared, lon_declared): the four corners, then the four edge midpoints and the centre (a
    3 × 3 grid, so an interior worst case near the middle or an edge is not missed); the declared
    position itself is skipped."""
    la0, la1, lo0, lo1, lat, lon = box
    la = (la0, la1, 0.5 * (la0 + la1))
    lo = (lo0, lo1, 0.5 * (lo0 + lo1))
    pts = [(la[a], lo[b]) for a in range(3) for b in range(3)]
    pts.sort(key=lambda p: (p[0] in (la0, la1)) + (p[1] in (lo0, lo1)), reverse=True)   # corners first
    return [p for p in pts if p != (lat, lon)]


def _corner(base: Corner, values: dict) -> Corner:
    """``base`` with scalar margins and ship positions (keys ``ship:NAME`` -> (lat, lon)) set."""
    ships = dict((n, (la, lo)) for n, la, lo in base.ship_positions)
    scal = {}
    for k, v in values.items():
        if k.startswith("ship:"):
            ships[k[5:]] = (float(v[0]), float(v[1]))
        else:
            scal[k] = v
    return replace(base, **scal, ship_positions=tuple((n, la, lo) for n, (la, lo) in sorted(ships.items())))


def joint_search(holds, box: dict, sea_boxes: dict | None = None) -> dict:
    """Corners of ``box`` ({Corner field: (declared, strong end, grid step)}) and of the ships' sea
    boxes (``sea_boxes``: {site name: (lat_min, lat_max, lon_min, lon_max, lat, lon)}, the declared
    position last), then refinement.

    A scalar margin moves to its strong end; a ship moves to each of ``sea_box_candidates`` (a sea box
    has no strong direction). Refinement bisects each moved scalar back toward its declared value on
    its grid, and each moved ship back along the segment toward its declared position (1/SHIP_STEPS
    of it), while the rule still breaks.

    Returns ``{"breaks": bool, "corner": Corner | None, "moved": [keys], "single": {key: breaks
    alone at some corner}, "corners_evaluated": n, "evaluations": m}``; ship keys are ``ship:NAME``;
    ``corner`` breaks the rule (``holds(corner)`` is False) when ``breaks``.
    """
    sea_boxes = sea_boxes or {}
    keys = [k for k, (d, s, _) in box.items() if s is not None and s != d]
    cands = {k: [box[k][1]] for k in keys}
    for name, b in sea_boxes.items():
        cands[f"ship:{name}"] = sea_box_candidates(b)
        keys.append(f"ship:{name}")
    n = 0
    single = {}
    found = None
    for k in keys:
        single[k] = False
        for v in cands[k]:
            n += 1
            c = _corner(Corner(), {k: v})
            if not holds(c):
                single[k] = True
                found = found or (c, [k])
                break
    for size in range(2, len(keys) + 1):
        if found:
            break
        for moved in itertools.combinations(keys, size):
            for vals in itertools.product(*(cands[k] for k in moved)):
                c = _corner(Corner(), dict(zip(moved, vals)))
                n += 1
                if not holds(c):
                    found = (c, list(moved))
                    break
            if found:
                break
    if not found:
        return {"breaks": False, "corner": None, "moved": [], "single": single, "corners_evaluated": n,
                "evaluations": n}
    c, moved = found
    evals = n
    ship_of = {n_: (la, lo) for n_, la, lo in c.ship_positions}
    for k in moved:
        if k.startswith("ship:"):
            b = sea_boxes[k[5:]]
            p0, p1 = (b[4], b[5]), ship_of[k[5:]]
            m = SHIP_STEPS
            val = lambda j: p1 if j == m else (round(p0[0] + (p1[0] - p0[0]) * j / m, 9),  # noqa: E731
                                                 round(p0[1] + (p1[1] - p0[1]) * j / m, 9))
        else:
            d, s, step = box[k]
            m = max(1, int(math.ceil(abs(s - d) / step - 1e-9)))
            val = lambda j: s if j == m else round(d + math.copysign(step * j, s - d), 9)  # noqa: E731
        lo, hi = 0, m                 # hi breaks (it is c's value); lo not yet known to hold
        evals += 1
        if not holds(_corner(c, {k: val(0)})):
            c = _corner(c, {k: val(0)})          # this margin is not needed at all
            continue
        while hi - lo > 1:
            mid = (lo + hi) // 2
            evals += 1
            if holds(_corner(c, {k: val(mid)})):
                lo = mid
            else:
                hi = mid
        c = _corner(c, {k: val(hi)})
    ships = {n_: (la, lo) for n_, la, lo in c.ship_positions}
    moved = [k for k in moved if (ships[k[5:]] != (sea_boxes[k[5:]][4], sea_boxes[k[5:]][5]) if k.startswith("ship:")
                                  else getattr(c, k) != box[k][0])]
    return {"breaks": True, "corner": c, "moved": moved, "single": single, "corners_evaluated": n,
            "evaluations": evals}


def capability_box(decision_delay_s: float, early_warning_delay_s: float | None, burnout_max: float = 2.0) -> dict:
    """The capability-margin box of an engagement rule: BOX with the delays' strong ends at 0 s and
    burnout speed up to ``burnout_max`` (the highest factor the fly-out model could build)."""
    box = dict(BOX)
    box["burnout_scale"] = (1.0, float(burnout_max), 0.01)
    box["decision_delay_reduction_s"] = (0.0, float(decision_delay_s) or None, 5.0)
    box["detection_delay_reduction_s"] = (0.0, float(early_warning_delay_s) if early_warning_delay_s else None, 5.0)
    return box


def to_json(res: dict) -> dict:
    """The search result as JSON: the breaking corner's values and label, and the single-margin view."""
    c, single = res["corner"], res["single"]
    return {"breaks": res["breaks"], "corner": None if c is None else c.label(),
            "corner_values": None if c is None else c.to_dict(), "moved": res["moved"],
            "single_margin_breaks": single, "missed_one_at_a_time": bool(res["breaks"] and not any(single.values())),
            "corners_evaluated": res["corners_evaluated"], "evaluations": res["evaluations"]}
