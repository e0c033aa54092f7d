"""Re-run the rules for recorded verdicts, through a hook given by the caller.

The hook is a function ``(document: dict, rules_path: str) -> (verdict: str, results_hash: str)``:
the rules engine's ``bmdcheck.guarantee.rerun_hook`` (``bmdcheck.api.ledger_rerun_hook()`` finds
it; the ledger does not import the rules engine). ``bmdcheck.ledger.rerun_hook``, None by default,
overrides it when set. With no hook, a re-run reports "rules engine not available" and checks
nothing (it does not fail the verification).
"""

from __future__ import annotations

import json
from typing import Callable, Optional, Sequence

from ..errors import BmdcheckError
from .entry import Entry

RerunHook = Callable[[dict, str], "tuple[str, str]"]


def rerun_declarations(entries: Sequence[Entry], rules_path: str, hook: Optional[RerunHook]) -> dict:
    """Re-run ``hook`` on every declaration that records a verdict; compare verdict and results hash.

    Returns ``{"available": bool, "message", "results": [{seq, status, recorded_verdict,
    rerun_verdict, recorded_results_hash, rerun_results_hash, error}], "mismatches": int,
    "errors": int}``; status is "match", "mismatch" or "error". Declarations with no verdict are
    skipped.
    """
    if hook is None:
        return {"available": False, "message": "rules engine not available; nothing re-run",
                "results": [], "mismatches": 0, "errors": 0}
    results = []
    for e in entries:
        if e.kind != "declaration" or e.verdict is None:
            continue
        r = {"seq": e.seq, "recorded_verdict": e.verdict, "recorded_results_hash": e.results_hash,
             "rerun_verdict": None, "rerun_results_hash": None, "error": None}
        try:
            verdict, results_hash = hook(json.loads(e.payload), rules_path)
            r["rerun_verdict"], r["rerun_results_hash"] = str(verdict), str(results_hash).lower()
            same = r["rerun_verdict"] == e.verdict and (e.results_hash is None or r["rerun_results_hash"] == e.results_hash)
            r["status"] = "match" if same else "mismatch"
        except (BmdcheckError, ValueError, TypeError, OSError, KeyError) as ex:
            r["status"], r["error"] = "error", " ".join(str(ex).split()) or type(ex).__name__
        results.append(r)
    n_mis = sum(r["status"] == "mismatch" for r in results)
    n_err = sum(r["status"] == "error" for r in results)
    return {"available": True, "message": f"re-ran {len(results)} recorded verdicts: {len(results) - n_mis - n_err} "
                                          f"match, {n_mis} mismatch, {n_err} errors",
            "results": results, "mismatches": n_mis, "errors": n_err}
