"""``bmdcheck report``: a self-contained offline report (index.html + PNG figures) of one or two
result sets.

Sections (HTML ids): ``scenario``, ``provenance`` (hashes, code version, and the source of every
catalogue value used), ``map``, ``engagements`` (one diagram per selected pair), ``summary``,
``guarantees`` (verdicts with margins and counterexamples when rules are given), ``tiers``
(when the results carry a ``tier`` column), ``comparison`` (with a second result set). The page
links only to files next to it: no network URL in any ``src`` or ``href``. The report is written
into a temporary directory beside the output and renamed into place, so an interrupted or failed
run leaves nothing half written.
"""

from __future__ import annotations

import html
import math
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from ..errors import BmdcheckError

SECTIONS = ("scenario", "provenance", "map", "engagements", "summary", "guarantees", "tiers", "comparison")

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:1150px;margin:1.5em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.86em}th,td{border:1px solid #ccc;padding:.25em .5em;
text-align:left;vertical-align:top}th{background:#f2f2f2}td.num{text-align:right}
.pass{color:#1b5e20;font-weight:bold}.fail{color:#b71c1c;font-weight:bold}.muted{color:#666;font-size:.9em}
img{max-width:100%;border:1px solid #ddd}code{background:#f5f5f5;padding:0 .2em}nav a{margin-right:.8em}
details{margin:.5em 0}
"""


def _e(x) -> str:
    return html.escape("" if x is None else str(x))


def _num(x, fmt="{:,.0f}") -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return fmt.format(x)


def _table(header, rows, num_cols=()) -> str:
    out = ["<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>"]
    for r in rows:
        cells = []
        for i, c in enumerate(r):
            raw = c[1] if isinstance(c, tuple) and c[0] == "html" else None
            cls = ' class="num"' if i in num_cols else ""
            cells.append(f"<td{cls}>{raw if raw is not None else _e(c)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(out) + "</table>"


# ---- sections -----------------------------------------------------------------------------------

def _scenario_section(rs) -> str:
    s = rs.scenario
    parts = [f"<p><b>{_e(s.name)}</b>: {_e(s.description)}</p>"]
    threats = [[t.missile, t.launch, t.aim, ", ".join(t.shapes), ", ".join(f"{x:g}" for x in t.launch_times_s)]
               for t in s.threats]
    parts.append("<h3>Threats</h3>" + _table(["missile", "launch area", "aim area", "shapes", "launch times, s"],
                                             threats))
    areas = []
    for name, a in s.areas.items():
        what = (f"point {a.point[0]:g}, {a.point[1]:g}" if a.point is not None else
                f"{len(a.points)} points" if a.points is not None else f"polygon of {len(a.polygon)} vertices")
        areas.append([name, what])
    parts.append("<h3>Areas</h3>" + _table(["area", "definition (lat, lon degrees)"], areas))
    sites = [[sp.name, f"{sp.lat_deg:.3f}, {sp.lon_deg:.3f}", it.name, n, sp.radar.name if sp.radar else "—"]
             for sp, it, n in rs.defence()]
    parts.append("<h3>Defence</h3>" + _table(["site", "lat, lon", "interceptor", "rounds", "site radar"], sites))
    tl = rs.timeline()
    parts.append(f"<p>Timeline: <b>{_e(tl.mode)}</b>; early warning {_e(s.sensors.early_warning)}; remote radars "
                 f"{_e(', '.join(s.sensors.remote_radars) or 'none')}; decision delay {tl.decision_delay_s:g} s; "
                 f"target RCS {tl.rcs_m2:g} m²; kill assessment {tl.kill_assessment_s:g} s. Monte-Carlo draws: "
                 f"{s.uncertainty.draws} (seed {s.uncertainty.seed}); figures show the nominal draw 0.</p>")
    return "".join(parts)


def catalogue_sources(rs) -> list[tuple[str, str, str]]:
    """(item, parameter, source) for every catalogue value the scenario uses: missiles, interceptors,
    catalogue sites, radars, the early-warning system and the timeline defaults."""
    from ..defence.engage import timeline_defaults
    from ..defence.interceptor import get_interceptor
    from ..defence.sensors import get_early_warning
    from ..defence.sites import site_catalogue
    from ..flight.missile import get_missile
    from .data import radars

    s = rs.scenario
    out = []
    for m in sorted({t.missile for t in s.threats}):
        out += [(f"missile {m}", k, v) for k, v in get_missile(m).sources.items()]
    for it in sorted({it.name for _, it, _ in rs.defence()}):
        try:
            out += [(f"interceptor {it}", k, v) for k, v in get_interceptor(it).sources.items()]
        except BmdcheckError:
            out.append((f"interceptor {it}", "—", "defined in the scenario"))
    cat = site_catalogue()
    for sp, _, _ in rs.defence():
        if sp.name in cat:
            out += [(f"site {sp.name}", k, v) for k, v in cat[sp.name].sources.items()]
        else:
            out.append((f"site {sp.name}", "position", "defined in the scenario file (inline site)"))
    for r in radars(rs):
        out += [(f"radar {r.name}", k, v) for k, v in r.sources.items()]
    if s.sensors.early_warning and s.sensors.early_warning != "none":
        ew = get_early_warning(s.sensors.early_warning)
        out += [(f"early warning {ew.name}", k, v) for k, v in ew.sources.items()]
    for k, v in timeline_defaults().items():
        if isinstance(v, dict) and "source" in v:
            out.append(("timeline default", f"{k} = {v.get('value')}", v["source"]))
    seen, uniq = set(), []
    for row in out:
        if (row[0], row[1]) not in seen:
            seen.add((row[0], row[1]))
            uniq.append(row)
    return uniq


def _provenance_section(rs) -> str:
    p = rs.provenance
    keys = ["scenario_name", "scenario", "scenario_hash", "results_hash", "catalogue_version", "code_version",
            "git_commit", "seed", "draws", "threat_cases", "sites", "rows", "dask"]
    rows = [[k, p[k]] for k in keys if k in p] + [[k, v] for k, v in p.items() if k not in keys]
    src = catalogue_sources(rs)
    return (f"<p class='muted'>Results directory <code>{_e(rs.path)}</code>.</p>" + _table(["field", "value"], rows)
            + f"<details open><summary>Sources of the {len(src)} catalogue values used</summary>"
            + _table(["item", "parameter", "source"], src) + "</details>")


def _summary_section(rs) -> str:
    parts = []
    if rs.summary:
        hdr = ["launch area", "aim area", "missile", "trajectories", "engageable", "by sites", "earliest intercept, s",
               "max shots"]
        rows = []
        for r in rs.summary:
            f = r.get("fraction_engageable")
            cell = "—" if f is None else f"{100 * f:.0f} %"
            if r.get("probability") is not None:
                cell += f" (P {100 * r['probability']:.0f} %, 95 % CI {100 * r['ci95_low']:.0f}–{100 * r['ci95_high']:.0f})"
            rows.append([r["launch_area"], r["aim_area"], r["missile"], r["trajectories"], cell, r.get("sites") or "—",
                         _num(r.get("earliest_intercept_s")), _num(r.get("max_shots"), "{}")])
        parts.append(_table(hdr, rows, num_cols=(3, 6, 7)))
    by_site: dict = {}
    for r in rs.nominal_rows():
        d = by_site.setdefault((r["site"], r["interceptor"]), {"n": 0, "feasible": 0, "reasons": {}})
        d["n"] += 1
        d["feasible"] += bool(r["feasible"])
        if not r["feasible"]:
            d["reasons"][r["reason"]] = d["reasons"].get(r["reason"], 0) + 1
    rows = [[s, i, d["n"], d["feasible"], "; ".join(f"{k} ({v})" for k, v in sorted(d["reasons"].items(),
                                                                                     key=lambda x: -x[1])) or "—"]
            for (s, i), d in by_site.items()]
    parts.append("<h3>By site (nominal draw)</h3>" + _table(["site", "interceptor", "pairs", "feasible",
                                                            "why not (reason codes)"], rows, num_cols=(2, 3)))
    return "".join(parts)


def _tiers_section(rs) -> str:
    if not rs.has_tiers():
        return "<p class='muted'>These results carry no sensor tiers (no <code>tier</code> column).</p>"
    agg: dict = {}
    for r in rs.nominal_rows(all_tiers=True):
        d = agg.setdefault((str(r.get("tier")), r["site"]), [0, 0])
        d[0] += 1
        d[1] += bool(r["feasible"])
    rows = [[t, s, n, k, f"{100 * k / n:.0f} %" if n else "—"] for (t, s), (n, k) in agg.items()]
    return (_table(["tier", "site", "pairs", "feasible", "share"], rows, num_cols=(2, 3, 4))
            + f"<p class='muted'>The map, diagrams and summary show tier {_e(rs.tier)} (the scenario's declared "
              f"timeline).</p>")


def _guarantees_section(reports) -> str:
    if not reports:
        return ("<p class='muted'>No guarantee rules were checked for this report "
                "(<code>bmdcheck report DIR --rules NAME</code> adds them; docs/GUARANTEES.md).</p>")
    from ..guarantee.table import capability_text, counterexample_text, margins_text

    parts = []
    for label, rep in reports:
        rows = []
        for v in rep.verdicts:
            cls = "pass" if v.verdict == "PASS" else "fail"
            ev = counterexample_text(v) if v.verdict == "FAIL" else capability_text(v)
            rows.append([v.id, v.kind, ("html", f"<span class='{cls}'>{v.verdict}</span>"), margins_text(v),
                         v.binding_text(), ev])
        parts.append(f"<h3>{_e(rep.rules_name)} on {_e(label)}: <span class='{'pass' if rep.verdict == 'PASS' else 'fail'}'>"
                     f"{rep.verdict}</span></h3><p class='muted'>rules sha256 {_e(rep.rules_sha256[:16])}…, verdict "
                     f"results hash {_e(rep.results_hash[:16])}…</p>"
                     + _table(["rule", "kind", "verdict", "declared / with margins", "binding margin",
                               "margin to break / counterexample"], rows))
    return "".join(parts)


def compare_rows(a, b) -> list[dict]:
    """Per (launch area, aim area, missile): engageable share in A and B and the change."""
    key = lambda r: (r["launch_area"], r["aim_area"], r["missile"])  # noqa: E731
    sa, sb = {key(r): r for r in a.summary}, {key(r): r for r in b.summary}
    out = []
    for k in sorted(set(sa) | set(sb)):
        x, y = sa.get(k), sb.get(k)
        fa = None if x is None else x.get("fraction_engageable")
        fb = None if y is None else y.get("fraction_engageable")
        pa = None if x is None else x.get("probability")
        pb = None if y is None else y.get("probability")
        out.append({"launch_area": k[0], "aim_area": k[1], "missile": k[2], "a": fa, "b": fb,
                    "change": None if fa is None or fb is None else fb - fa, "a_p": pa, "b_p": pb,
                    "a_sites": (x.get("sites") if x else None) or "—",
                    "b_sites": (y.get("sites") if y else None) or "—"})
    return out


def changed_trajectories(a, b) -> list[list[str]]:
    """Threat flights (matched by missile, shape, launch and aim points, launch time) engageable in
    one result set and not the other: [threat, sites engaging it in A, sites in B]."""
    def by_threat(rs):
        out = {}
        for r in rs.nominal_rows():
            k = (r["missile"], r.get("shape"), round(r["launch_lat"], 4), round(r["launch_lon"], 4),
                 round(r["aim_lat"], 4), round(r["aim_lon"], 4), r.get("launch_time_s"))
            e = out.setdefault(k, [f"{r['missile']} {r.get('shape')} {r['launch_area']} → {r['aim_area']}", set()])
            if r["feasible"]:
                e[1].add(f"{r['site']} ({r['interceptor']})")
        return out

    ta, tb = by_threat(a), by_threat(b)
    rows = []
    for k in sorted(set(ta) & set(tb), key=str):
        sa, sb = ta[k][1], tb[k][1]
        if bool(sa) != bool(sb):
            rows.append([ta[k][0], ", ".join(sorted(sa)) or "none", ", ".join(sorted(sb)) or "none"])
    return rows


def _comparison_section(a, b) -> str:
    pct = lambda v: "—" if v is None else f"{100 * v:.0f} %"  # noqa: E731
    pct1 = lambda v: "—" if v is None else f"{100 * v:.1f} %"  # noqa: E731
    rows = [[r["launch_area"], r["aim_area"], r["missile"], pct(r["a"]), pct(r["b"]),
             "—" if r["change"] is None else f"{100 * r['change']:+.0f} pts", pct1(r["a_p"]), pct1(r["b_p"]),
             r["a_sites"], r["b_sites"]]
            for r in compare_rows(a, b)]
    da = {(sp.name, it.name): n for sp, it, n in a.defence()}
    db = {(sp.name, it.name): n for sp, it, n in b.defence()}
    why = []
    for k in sorted(set(da) - set(db)):
        why.append(f"removed in B: {k[1]} at {k[0]} ({da[k]} rounds)")
    for k in sorted(set(db) - set(da)):
        why.append(f"added in B: {k[1]} at {k[0]} ({db[k]} rounds)")
    for k in sorted(set(da) & set(db)):
        if da[k] != db[k]:
            why.append(f"rounds of {k[1]} at {k[0]}: {da[k]} → {db[k]}")
    ta, tb = a.timeline(), b.timeline()
    for f in ("mode", "decision_delay_s", "rcs_m2", "kill_assessment_s"):
        if getattr(ta, f) != getattr(tb, f):
            why.append(f"timeline {f}: {getattr(ta, f)} → {getattr(tb, f)}")
    if {t.missile for t in a.scenario.threats} != {t.missile for t in b.scenario.threats}:
        why.append("the threat sets differ")
    fa = {(r["site"], r["interceptor"]): 0 for r in a.nominal_rows()}
    for r in a.nominal_rows():
        fa[(r["site"], r["interceptor"])] += bool(r["feasible"])
    fb = {(r["site"], r["interceptor"]): 0 for r in b.nominal_rows()}
    for r in b.nominal_rows():
        fb[(r["site"], r["interceptor"])] += bool(r["feasible"])
    site_rows = [[s, i, fa.get((s, i), "—"), fb.get((s, i), "—")] for s, i in sorted(set(fa) | set(fb))]
    changed = changed_trajectories(a, b)
    ch_html = ("<p>No trajectory changes verdict between A and B in the nominal draw.</p>" if not changed else
               _table(["threat", "A: engaged by", "B: engaged by"], changed[:40])
               + (f"<p class='muted'>… and {len(changed) - 40} more.</p>" if len(changed) > 40 else ""))
    return (f"<p>A = <b>{_e(a.name)}</b>, B = <b>{_e(b.name)}</b>.</p>"
            + _table(["launch area", "aim area", "missile", "A engageable (nominal)", "B engageable (nominal)",
                      "change", "A over the draws", "B over the draws", "A sites", "B sites"], rows)
            + "<h3>Why: what differs between the declarations</h3><ul>"
            + "".join(f"<li>{_e(w)}</li>" for w in why or ["nothing in the declared sites, rounds or timeline"])
            + "</ul><h3>Trajectories whose verdict changed (nominal draw)</h3>" + ch_html
            + "<h3>Feasible pairs by site (nominal draw)</h3>"
            + _table(["site", "interceptor", "A feasible pairs", "B feasible pairs"], site_rows, num_cols=(2, 3)))


# ---- the whole report ---------------------------------------------------------------------------

def _save(fig, path, dpi) -> None:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def _pair_caption(d) -> str:
    """The words under an engagement diagram: the window and first intercept, or the reason."""
    from .data import reason_words

    rec = d.record
    if rec.get("feasible"):
        txt = (f"Intercept possible from {rec['first_s']:,.0f} s to {rec['last_s']:,.0f} s after the threat's "
               f"launch; first intercept at {rec['intercept_first']['alt_km']:,.0f} km altitude, interceptor "
               f"flight {_num(rec.get('flight_time_first_s'))} s, closing speed "
               f"{_num(rec.get('closing_speed_first_mps'))} m/s.")
    else:
        txt = f"No intercept ({rec.get('reason')}): {reason_words(rec.get('reason', ''))}."
    if d.note:
        txt += f" Note: {d.note}."
    return txt


def _sections(a, b, alts, diag_html, reports, comp) -> dict:
    """Section id -> HTML body, for every entry of SECTIONS."""
    pair_list = ", ".join(a.pair_ids()[:60]) + (" …" if len(a.pair_ids()) > 60 else "")
    body = {
        "scenario": _scenario_section(a),
        "provenance": _provenance_section(a) + (("<h3>B</h3>" + _provenance_section(b)) if b is not None else ""),
        "map": ("<img src='map.png' alt='map of trajectories, sites, reach and radar coverage'><p class='muted'>"
                "Blue solid tracks can be engaged by at least one site (nominal draw), orange dashed ones by none. "
                "Coloured rings: how far each interceptor type reaches a target at "
                f"{' and '.join(f'{h:g}' for h in alts)} km altitude within "
                "its flight-time limit (fly-out table). Shaded: radar coverage of targets at 300 km altitude."
                "</p>"),
        "engagements": "".join(diag_html) + f"<p class='muted'>Other pairs (<code>--pair ID</code>): {_e(pair_list)}</p>",
        "summary": _summary_section(a) + (("<h3>B</h3>" + _summary_section(b)) if b is not None else ""),
        "guarantees": _guarantees_section(reports),
        "tiers": _tiers_section(a),
        "comparison": comp or "<p class='muted'>One result set: give a second results directory to compare.</p>",
    }
    return body


def _page(a, b, body) -> str:
    """The whole index.html from the section bodies."""
    titles = {"scenario": "Scenario", "provenance": "Provenance", "map": "Map", "engagements": "Engagement diagrams",
              "summary": "Summary", "guarantees": "Guarantees", "tiers": "Sensor tiers", "comparison": "Comparison"}
    title = f"bmdcheck report: {a.name}" + (f" vs {b.name}" if b is not None else "")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
            f"<style>{CSS}</style></head><body><h1>{_e(title)}</h1><p class='muted'>Written {now} by bmdcheck "
            f"{_e(a.provenance.get('code_version'))}. Public-literature parameters and kinematic feasibility only."
            "</p><nav>" + "".join(f"<a href='#{k}'>{titles[k]}</a>" for k in SECTIONS) + "</nav>"]
    for k in SECTIONS:
        page.append(f"<section id='{k}'><h2>{titles[k]}</h2>{body[k]}</section>")
    page.append("</body></html>")
    return "\n".join(page)


def _check_rules(rules, result_sets, tick) -> list:
    """[(label, Report)] of every rules file (or shipped name) checked against each result set's scenario."""
    if not rules:
        return []
    from ..guarantee import check, load_rules

    reports = []
    for r in rules:
        rf = load_rules(r)
        for rs in result_sets:
            reports.append((rs.name, check(rs.scenario, rf, scenario_path=rs.provenance.get("scenario"))))
            tick(f"rules {rf.name}")
    return reports


def _diagrams(details, tmp: Path, dpi: int, tick) -> list[str]:
    """Draw the engagement diagram of every pair into tmp; their HTML blocks."""
    from .diagram import plot_engagement

    html = []
    for i, d in enumerate(details):
        name = f"engagement-{i + 1}.png"
        _save(plot_engagement(d), tmp / name, dpi)
        html.append(f"<h3 id='pair-{_e(d.pair_id)}'>Pair {_e(d.pair_id)}</h3><img src='{name}' "
                    f"alt='engagement diagram of pair {_e(d.pair_id)}'><p>{_e(_pair_caption(d))}</p>")
        tick(f"diagram {d.pair_id}")
    return html


def write_report(results, results_b=None, out_dir=None, *, pairs=None, rules=(), guarantees=None,
                 max_pairs: int = 4, progress=None, dpi: int = 100, footprint_alt_km=None) -> Path:
    """Write the report; returns the path of index.html.

    ``results``, ``results_b``: results directories (or ``ResultSet``s). ``pairs``: pair ids for
    engagement diagrams (default: ``data.default_pairs``). ``rules``: rules files or shipped names
    to check against each scenario; ``guarantees``: already checked [(label, Report)], or a function
    returning them, called once the figures are drawn (so that they can be checked meanwhile).
    ``progress(done, total, what)`` is called as figures are drawn. ``footprint_alt_km``: target
    altitudes of the map's reach footprints (default ``maps.FOOTPRINT_ALT_KM``).
    """
    import matplotlib

    matplotlib.use("Agg")

    from .data import ResultSet, default_pairs, load_results, pair_detail, threat_tracks
    from .maps import FOOTPRINT_ALT_KM, plot_map

    a = results if isinstance(results, ResultSet) else load_results(results)
    b = None if results_b is None else (results_b if isinstance(results_b, ResultSet) else load_results(results_b))
    out = check_out_dir(out_dir if out_dir is not None else a.path / "_report")
    sel = list(pairs) if pairs else default_pairs(a, max_pairs)
    for p in sel:  # unknown ids fail before anything is drawn or written
        a.row_for(p)
    reports = [] if callable(guarantees) else list(guarantees or [])
    steps = 2 + len(sel) + (1 if b is not None else 0) + len(rules) * (2 if b is not None else 1)
    done = 0

    def tick(what):
        nonlocal done
        done += 1
        if progress:
            progress(done, steps, what)

    reports += _check_rules(rules, (a, b) if b is not None else (a,), tick)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp", dir=out.parent))
    except OSError as e:
        raise BmdcheckError(f"cannot write the report to {out}: {e.strerror or e}") from None
    try:
        tracks_a = threat_tracks(a)
        tick("trajectories")
        details = []
        for p in sel:
            details.append(pair_detail(a, p, tracks_a))
        alts = tuple(footprint_alt_km or FOOTPRINT_ALT_KM)
        for h in alts:
            if not (0 < h < 10_000):
                raise BmdcheckError(f"footprint altitude must be between 0 and 10,000 km, got {h:g}")
        _save(plot_map(a, tracks=tracks_a, details=details, footprint_alt_km=alts), tmp / "map.png", dpi)
        tick("map")
        diag_html = _diagrams(details, tmp, dpi, tick)
        comp = ""
        if b is not None:
            _save(plot_map(b, footprint_alt_km=alts), tmp / "map-b.png", dpi)
            tick("map B")
            comp = (_comparison_section(a, b) + f"<h3>Map of B ({_e(b.name)})</h3><img src='map-b.png' "
                    f"alt='map of {_e(b.name)}'>")
        if callable(guarantees):
            reports = list(guarantees() or []) + reports
        page = _page(a, b, _sections(a, b, alts, diag_html, reports, comp))
        (tmp / "index.html").write_text(page, encoding="utf-8")
        os.chmod(tmp, 0o755)
        try:
            _replace_dir(tmp, out)
        except OSError as e:
            raise BmdcheckError(f"cannot write the report to {out}: {e.strerror or e}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out / "index.html"


def check_out_dir(out_dir) -> Path:
    """The report directory, if it can be written (one-line BmdcheckError otherwise)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise BmdcheckError(f"cannot write the report to {out}: it is a file")
    if not out.parent.is_dir():
        raise BmdcheckError(f"cannot write the report to {out}: directory {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK):
        raise BmdcheckError(f"cannot write the report to {out}: {out.parent} is not writable")
    return out


def _replace_dir(new: Path, out: Path) -> None:
    """Move a finished directory into place (an existing report is replaced only once the new one
    is complete)."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old{os.getpid()}")
        os.replace(out, old)
    try:
        os.replace(new, out)
    except OSError:
        if old is not None:
            os.replace(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
