"""Assessment results as text: the engageability table and the A/B comparison rows.

For the command line and the demo (rich tables); the numbers come from the results summary
(docs/CONVENTIONS.md, "_summary.parquet").
"""

from __future__ import annotations

from ..errors import printable


def _esc(text) -> str:
    from rich.markup import escape

    return escape(printable(text))


def engageability_table(res, title: str):
    """A rich Table of ``res.summary`` (an AssessmentResult): one row per launch area, aim area,
    missile and tier, with the share of trajectories engageable and the sites that engage."""
    from rich.table import Table

    t = Table(title=_esc(title))
    for c in ("launch area", "aim area", "missile", "tier", "traj.", "engageable", "by sites", "earliest s", "shots"):
        t.add_column(c)
    for r in res.summary:
        frac = r["fraction_engageable"]
        cell = "—" if frac is None else f"{100 * frac:.0f} %"
        if "probability" in r and r["probability"] is not None:
            cell += f" (P {100 * r['probability']:.0f} %, CI {100 * r['ci95_low']:.0f}–{100 * r['ci95_high']:.0f})"
        t.add_row(_esc(r["launch_area"]), _esc(r["aim_area"]), r["missile"], r.get("tier") or "—",
                  str(r["trajectories"]), cell,
                  _esc(r["sites"] or "—"),
                  "—" if r["earliest_intercept_s"] is None else f"{r['earliest_intercept_s']:.0f}",
                  "—" if r["max_shots"] is None else str(r["max_shots"]))
    return t


def compare_results(ra, rb) -> list[dict]:
    """Rows of ``bmdcheck compare --json`` (docs/CONVENTIONS.md): per launch area, aim area,
    missile and tier the engageable fractions of A and B, their change (B − A) and the sites."""
    from ..defence.engage import TIERS

    key = lambda r: (r["launch_area"], r["aim_area"], r["missile"], TIERS.index(r["tier"]))  # noqa: E731
    sa = {key(r): r for r in ra.summary}
    sb = {key(r): r for r in rb.summary}
    rows = []
    for k in sorted(set(sa) | set(sb)):
        x, y = sa.get(k), sb.get(k)
        fa = None if x is None else x["fraction_engageable"]
        fb = None if y is None else y["fraction_engageable"]
        rows.append({"launch_area": k[0], "aim_area": k[1], "missile": k[2], "tier": TIERS[k[3]],
                     "a_fraction": fa, "b_fraction": fb,
                     "change": None if fa is None or fb is None else fb - fa,
                     "a_sites": x["sites"] if x else None, "b_sites": y["sites"] if y else None})
    return rows
