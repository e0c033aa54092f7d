"""Verdicts as text: the on-screen table and one-line evidence (printing kept apart from checking)."""

from __future__ import annotations

from rich.markup import escape as _markup_escape
from rich.table import Table

from ..errors import printable
from .check import Report, RuleVerdict


def escape(text) -> str:
    """Text from input files, safe to print: no rich markup, no terminal control codes."""
    return _markup_escape(printable(text))


def _f(x, fmt=".0f", unit="") -> str:
    return "—" if x is None else f"{x:{fmt}}{unit}"


def capability_text(v: RuleVerdict) -> str:
    """'breaks at burnout x1.23 / delay -45 s' for an engagement rule that passes; other evidence otherwise."""
    cm = v.capability_margin
    if cm is not None:
        b, d = cm.get("burnout_speed"), cm.get("decision_delay")
        if b is None and d is None:
            return cm.get("note", "—")
        parts = []
        if b is not None:
            parts.append(f"burnout x{b['breaks_at_scale']:.2f}" if b.get("breaks_at_scale") is not None
                         else f"burnout > x{b['holds_up_to_scale']:.2f}")
        if d is not None:
            parts.append(f"delay -{d['breaks_at_reduction_s']:g} s" if d.get("breaks_at_reduction_s") is not None
                         else ("delay: holds at 0 s" if d.get("holds_at_zero_delay") else "delay: none to cut"))
        held, joint = cm.get("held_by"), cm.get("joint") or {}
        tail = f"; {held['text']}" if held else ""
        if joint.get("breaks"):
            tail += f"; breaks jointly at {joint['corner']}"
        elif joint.get("breaks") is False:
            tail += "; no corner of the joint margin box breaks it"
        return "breaks at " + " / ".join(parts) + tail
    m = v.declared.metrics
    if v.verdict == "PASS" and v.kind == "burnout-speed" and "headroom_scale" in m:
        return f"speed headroom x{m['headroom_scale']:.3f}"
    if v.verdict == "PASS" and v.kind == "declared-speed-consistent" and "headroom_scale" in m:
        return f"declared over shown x{m['headroom_scale']:.3f}"
    if v.verdict == "PASS" and v.kind == "radar-coverage" and "range_scale_to_reach" in m:
        k = m["range_scale_to_reach"]
        return "no range reaches it" if k is None else f"reached at range x{k:.2f}"
    return "—"


def counterexample_text(v: RuleVerdict) -> str:
    """One line describing the counterexample of a failing rule ('' when it passes)."""
    cx = v.counterexample
    if cx is None:
        return ""
    at = f" [{cx['corner']}]" if "corner" in cx else ""
    if v.kind == "engagement":
        t, p = cx["threat"], cx["intercept_point"]
        return (f"{t['missile']} {t['shape']} {t['launch_area']} ({t['launch_lat']:.2f}, {t['launch_lon']:.2f}) -> "
                f"{t['aim_area']} ({t['aim_lat']:.2f}, {t['aim_lon']:.2f}), launch {t['launch_time_s']:g} s: "
                f"{cx['site']} {cx['interceptor']} window {_f(cx['window_first_s'])}-{_f(cx['window_last_s'])} s, "
                f"intercept ({_f(p['lat'], '.2f')}, {_f(p['lon'], '.2f')}, {_f(p['alt_km'], '.0f')} km)"
                + (f", tier {cx['tier']}" if cx.get("tier") else "") + at)
    if v.kind == "burnout-speed":
        return (f"{cx['site']} {cx['interceptor']}: {cx['burnout_speed_mps']:,.0f} m/s > {cx['max_mps']:,.0f}"
                f" (declared {cx['declared_burnout_speed_mps']:,.0f}){at}")
    if v.kind == "declared-speed-consistent":
        return (f"{cx['interceptor']} declared {cx['declared_burnout_speed_mps']:,.0f} m/s ({cx['declared_in']}) < "
                f"{cx['floor_mps']:,.0f} m/s shown by a test")
    if v.kind == "inventory":
        return f"{cx['site']}: {cx['rounds']} rounds > {cx['max_rounds_per_site']}"
    if v.kind == "site-count":
        return f"{cx['count']} sites > {cx['max_sites']}: {', '.join(cx['sites'])}"
    if v.kind == "site-exclusion":
        d = f" at {cx['distance_km']:,.0f} km" if "distance_km" in cx else " inside the polygon"
        return f"{cx['site']} ({cx['site_lat']:.2f}, {cx['site_lon']:.2f}){d}"
    if v.kind == "radar-coverage":
        p = cx["point"]
        return (f"{cx['radar']} sees ({p['lat']:.2f}, {p['lon']:.2f}) at {p['alt_km']:g} km: slant "
                f"{cx['slant_range_km']:,.0f} km <= {cx['detection_range_km']:,.0f} km, elevation "
                f"{cx['elevation_deg']:.1f}°{at}")
    return str(cx)


def margins_text(v: RuleVerdict) -> str:
    """'declared: ...; burnout +15 %: ...; all: ...' - the declared result vs each margin's effect."""
    from .check import _MARGIN_TEXT

    parts = [f"declared: {v.declared.summary}"]
    for k, o in v.by_margin.items():
        parts.append(f"{_MARGIN_TEXT[k](v.margins[k])}: {o.summary}")
    if len(v.by_margin) > 1:
        parts.append(f"all: {v.worst.summary}")
    return "; ".join(parts)


_TIER_ORDER = {"local": 0, "remote": 1, "cue": 2}


def verdict_table(rep: Report, title: str | None = None) -> Table:
    """A rich Table: rule, kind, verdict, results by corner, binding margin, capability margin / counterexample."""
    t = Table(title=escape(title or f"{rep.rules_name} on {rep.scenario_name}: {rep.verdict}"))
    for c in ("rule", "kind", "verdict", "declared / with margins", "binding", "margin to break / counterexample"):
        t.add_column(c, overflow="fold")
    for v in rep.verdicts:
        colour = "green" if v.verdict == "PASS" else "red"
        evidence = counterexample_text(v) if v.verdict == "FAIL" else capability_text(v)
        verdict = f"[{colour}]{v.verdict}[/]"
        tiers = v.tier_verdicts()
        if tiers and len(tiers) > 1:   # per sensor tier: local / remote / cue
            verdict += " (" + ", ".join(f"{k} {x}" for k, x in sorted(tiers.items(), key=lambda kv: _TIER_ORDER[kv[0]])) + ")"
        binding = v.binding_text() + (f"; tier {v.binding_tier}" if v.binding_tier else "")
        t.add_row(escape(v.id), v.kind, verdict, escape(margins_text(v)), escape(binding), escape(evidence))
    return t
