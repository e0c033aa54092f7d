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


def joint_search(holds, box: dict) -> dict:
    """Corners of ``box`` ({Corner field: (declared, strong end, grid step)}), then refinement.

    Returns ``{"breaks": bool, "corner": Corner | None, "moved": [fields], "single": {field: breaks
    alone at its strong end}, "corners_evaluated": n, "evaluations": m}``; ``corner`` breaks the rule
    (``holds(corner)`` is False) when ``breaks``.
    """
    keys = [k for k, (d, s, _) in box.items() if s is not None and s != d]
    single = {k: not holds(replace(Corner(), **{k: box[k][1]})) for k in keys}   # one at a time
    n = len(keys)
    found = next(((replace(Corner(), **{k: box[k][1]}), [k]) for k in keys if single[k]), None)
    for size in range(2, len(keys) + 1):
        if found:
            break
        for moved in itertools.combinations(keys, size):
            c = replace(Corner(), **{k: box[k][1] for k in moved})
            n += 1
            if not holds(c):
                found = (c, list(moved))
                break
    if not found:
        return {"breaks": False, "corner": None, "moved": [], "single": single, "corners_evaluated": n,
                "evaluations": n}
    c, moved = found
    evals = n
    for k in moved:
        d, s, step = box[k]
        m = max(1, int(math.ceil(abs(s - d) / step - 1e-9)))
        lo, hi = 0, m                 # hi breaks (it is c's value); lo not yet known to hold
        val = lambda j: s if j == m else round(d + math.copysign(step * j, s - d), 9)  # noqa: E731
        evals += 1
        if not holds(replace(c, **{k: val(0)})):
            c = replace(c, **{k: val(0)})          # this margin is not needed at all
            continue
        while hi - lo > 1:
            mid = (lo + hi) // 2
            evals += 1
            if holds(replace(c, **{k: val(mid)})):
                lo = mid
            else:
                hi = mid
        c = replace(c, **{k: val(hi)})
    moved = [k for k in moved if getattr(c, k) != box[k][0]]
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
