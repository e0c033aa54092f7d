"""One control-room job, run in its own process: ``python -m bmdcheck.web.runner JOB_DIR``.

The server starts this process for each job (so a job can be stopped, with everything it started,
by signalling its process group) and reads its progress from stdout, one JSON object per line:
``{"progress": 0..1, "message": "..."}``. The job's inputs are ``JOB_DIR/spec.json``; it writes

- ``result.json``: the result document, last (its presence means the job finished), with
  ``summary`` and ``verdicts`` as ``GET /api/jobs/{id}`` shows them;
- ``results/`` (assess) or ``A/`` and ``B/`` (compare): results folders (docs/CONVENTIONS.md);
- ``result.czml`` (and ``result-b.czml`` for compare): the scene for the globe, at most
  ``MAX_TRACKS`` threat tracks and ``MAX_INTERCEPTS`` intercept points (sampled, :mod:`.scenes`).

A bad input ends the process with exit code 2 and ``error.json`` ``{"message"}`` (one line).
Nothing here is physics: it calls ``bmdcheck.assess``, ``bmdcheck.guarantee`` and ``bmdcheck.export``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from ..errors import BmdcheckError

_progress_out = None


def report(progress: float, message: str = "") -> None:
    """Send one progress line to the server (stdout of this process)."""
    if _progress_out is not None:
        _progress_out.write(json.dumps({"progress": round(min(max(progress, 0.0), 1.0), 4),
                                        "message": message}) + "\n")
        _progress_out.flush()


def with_overrides(s, tiers=None, draws=None):
    """The scenario with the job's sensor tiers (TIERS order) and Monte-Carlo draw count applied."""
    from ..defence.engage import TIERS

    if tiers:
        tl = s.timeline.model_copy(update={"tiers": [t for t in TIERS if t in tiers]})
        s = s.model_copy(update={"timeline": tl})
    if draws is not None:
        s = s.model_copy(update={"uncertainty": s.uncertainty.model_copy(update={"draws": int(draws)})})
    return s


def plan_for(path: str, out: Path, tiers=None, draws=None):
    """``assess.engine.plan`` for the scenario file with the job's overrides (validated; writes nothing)."""
    from ..assess.engine import plan
    from ..scenario.load import canonical_json, scenario_hash

    p = plan(path, out, draws=draws)
    if tiers:
        s = with_overrides(p.scenario, tiers)
        p = replace(p, scenario=s, scenario_json=canonical_json(s), scenario_hash=scenario_hash(s))
    return p


def tier_counts(summary_rows: list) -> dict:
    """Per sensor tier: trajectories and engageable trajectories (nominal draw) over all threat groups."""
    out: dict = {}
    for r in summary_rows:
        t = out.setdefault(r.get("tier") or "all", {"trajectories": 0, "flown": 0, "engageable": 0})
        t["trajectories"] += int(r["trajectories"])
        flown = int(r.get("flown") or 0)
        t["flown"] += flown
        if r["fraction_engageable"] is not None:
            t["engageable"] += int(round(r["fraction_engageable"] * flown))
    for t in out.values():
        t["fraction_engageable"] = t["engageable"] / t["flown"] if t["flown"] else None
    return out


def _assess(spec: dict, job: Path, label: str, path: str, out_name: str, lo: float, hi: float):
    from ..assess.engine import assess

    p = plan_for(path, job / out_name, spec.get("tiers"), spec.get("draws"))

    def cb(done, total):
        report(lo + (hi - lo) * 0.8 * done / max(total, 1), f"{label}: chunk {done} of {total}")

    res = assess(p, dask=spec.get("dask"), progress=cb)
    res.provenance["scenario"] = spec["other" if out_name == "B" else "scenario"]   # a name or id, no server path
    return p, res


def _czml(p, res, job: Path, name: str, lo: float, hi: float, label: str) -> dict:
    from .scenes import results_czml

    report(lo, f"{label}: building the CZML scene")
    return results_czml(p.scenario, res, job / name)


def run_assess(spec: dict, job: Path) -> dict:
    from .scenes import result_set, results_czml

    p, res = _assess(spec, job, "assess", spec["scenario_path"], "results", 0.0, 1.0)
    shown = _czml(p, res, job, "result.czml", 0.8, 1.0, "assess")
    tiers = result_set(p.scenario, res).tiers()
    per_tier = {}
    for k, t in enumerate(tiers):       # one scene per tier: the page switches tiers without a new run
        report(0.85 + 0.15 * k / len(tiers), f"assess: the CZML scene of the {t} tier")
        per_tier[t] = results_czml(p.scenario, res, job / f"result-{t}.czml", t)
    one = [t for t in tier_counts(res.summary) if t != "all"]
    if not tiers and len(one) == 1:     # a single tier: its scene is the scene
        shutil.copyfile(job / "result.czml", job / f"result-{one[0]}.czml")
        per_tier[one[0]] = {**shown, "tier": one[0]}
    return {"kind": "assess", "provenance": res.provenance, "summary_rows": res.summary,
            "summary": {"tiers": tier_counts(res.summary), "results_hash": res.provenance["results_hash"],
                        "rows": res.summary, "czml": shown, "czml_tiers": per_tier},
            "verdicts": []}


def run_compare(spec: dict, job: Path) -> dict:
    from ..defence.engage import TIERS

    pa_, ra = _assess(spec, job, "A", spec["scenario_path"], "A", 0.0, 0.5)
    sa = _czml(pa_, ra, job, "result.czml", 0.4, 0.5, "A")
    pb_, rb = _assess(spec, job, "B", spec["other_path"], "B", 0.5, 1.0)
    sb = _czml(pb_, rb, job, "result-b.czml", 0.9, 1.0, "B")
    key = lambda r: (r["launch_area"], r["aim_area"], r["missile"], TIERS.index(r["tier"]))  # noqa: E731
    xa, xb = {key(r): r for r in ra.summary}, {key(r): r for r in rb.summary}
    rows = []
    for k in sorted(set(xa) | set(xb)):
        x, y = xa.get(k), xb.get(k)
        fa = None if x is None else x["fraction_engageable"]
        fb = None if y is None else y["fraction_engageable"]
        rows.append({"launch_area": k[0], "aim_area": k[1], "missile": k[2], "tier": TIERS[k[3]],
                     "a_fraction": fa, "b_fraction": fb, "change": None if fa is None or fb is None else fb - fa,
                     "a_sites": x["sites"] if x else None, "b_sites": y["sites"] if y else None})
    ta, tb = tier_counts(ra.summary), tier_counts(rb.summary)
    tiers = {t: {"a": ta.get(t), "b": tb.get(t)} for t in dict.fromkeys([*ta, *tb])}
    return {"kind": "compare", "a": {"scenario": spec["scenario"], "provenance": ra.provenance},
            "b": {"scenario": spec["other"], "provenance": rb.provenance}, "rows": rows,
            "summary": {"tiers": tiers, "rows": rows, "czml": {"a": sa, "b": sb}}, "verdicts": []}


def flat_verdict(v: dict) -> dict:
    """A verdict of the verdict document with its counterexample's place fields lifted to the top
    (null without a counterexample) and the sensor tier that decides it (``binding_tier``)."""
    ce = v.get("counterexample") or None
    tier = v.get("binding_tier")
    if ce is not None:
        ce = {"tier": tier, **ce}
    flat = {k: (ce or {}).get(k) for k in ("tier", "site", "site_lat", "site_lon", "intercept_lat", "intercept_lon",
                                           "intercept_alt_km", "intercept_s", "interceptor", "missile")}
    return {"id": v["id"], "kind": v["kind"], "statement": v["statement"], "verdict": v["verdict"],
            "binding": v.get("binding"), "binding_text": v.get("binding_text"), "tiers": v.get("tiers"),
            "held_by": v.get("held_by"), **flat, "tier": (ce or {}).get("tier", tier), "counterexample": ce}


def run_verify(spec: dict, job: Path) -> dict:
    from ..guarantee.check import check
    from ..guarantee.rules import load_rules
    from ..scenario.load import load_scenario
    from .scenes import verdicts_czml

    s = with_overrides(load_scenario(spec["scenario_path"]), spec.get("tiers"), spec.get("draws"))
    rules = load_rules(spec["rules_path"])
    n = max(len(rules.rule), 1)
    seen = []

    def cb(msg):
        seen.append(msg)
        report(0.9 * (len(seen) - 1) / n, msg)

    rep = check(s, rules, scenario_path=spec["scenario"], progress=cb)
    doc = rep.to_dict()
    doc["scenario"]["path"] = spec["scenario"]       # a name or an upload id, never a server path
    doc["rule_set"]["path"] = spec["rules"]
    verdicts = [flat_verdict(v) for v in doc["verdicts"]]
    report(0.9, "verify: building the CZML scene")
    shown = verdicts_czml(s, verdicts, job / "result.czml")
    tiers: dict = {}
    for v in verdicts:
        for t, verdict in (v["tiers"] or {}).items():
            tiers.setdefault(t, {"PASS": 0, "FAIL": 0})[verdict] += 1
    doc["summary"] = {"verdict": doc["verdict"], "counts": doc["counts"], "tiers": tiers,
                      "results_hash": doc["results_hash"], "czml": shown}
    doc["kind"] = "verify"
    doc["verdicts_flat"] = verdicts
    return doc


RUN = {"assess": run_assess, "verify": run_verify, "compare": run_compare}


def main(job_dir: str) -> int:
    """Run the job in ``job_dir``; exit code 0 done, 2 bad input, 1 any other failure."""
    global _progress_out
    from .inputs import atomic_write

    _progress_out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)                       # anything else printed goes to the log, not the progress pipe
    job = Path(job_dir)
    spec = json.loads((job / "spec.json").read_text())
    try:
        doc = RUN[spec["kind"]](spec, job)
        verdicts = doc.pop("verdicts_flat", None)
        if verdicts is not None:
            doc["verdicts"] = verdicts
        text = json.dumps(_finite(doc), allow_nan=False, default=_jsonable)
        atomic_write(job / "result.json", text.encode("utf-8"))
        report(1.0, "done")
        return 0
    except BmdcheckError as e:
        atomic_write(job / "error.json", json.dumps({"message": " ".join(str(e).split())}).encode())
        return 2
    except Exception as e:  # noqa: BLE001  (reported to the client as a failed job, with the cause)
        import traceback

        traceback.print_exc()
        msg = f"internal error: {type(e).__name__}: {' '.join(str(e).split())}"[:500]
        atomic_write(job / "error.json", json.dumps({"message": msg}).encode())
        return 1


def _finite(x):
    """JSON-ready: NaN and infinities (no value) become null, recursively."""
    if isinstance(x, float):
        return x if x == x and abs(x) != float("inf") else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def _jsonable(x):
    if hasattr(x, "item"):
        return _finite(x.item())
    return str(x)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
