"""The ledger's re-run hook: re-check a declared scenario document against a rules file.

``bmdcheck ledger verify --rerun RULES.toml`` calls ``bmdcheck.ledger.rerun_hook(document,
rules_path)`` for every declaration that records a verdict (docs/LEDGER.md). The document is the
declared scenario TOML as canonical JSON. :func:`rerun_hook` writes it back as TOML to a temporary
file, loads it with ``load_scenario`` and checks it, returning ("PASS" | "FAIL", results hash).

A declared document keeps its ``include`` lines, not the included files. Includes are resolved
only against the shipped scenario directory (``bmdcheck/data/scenarios``), after resolving ``..``
and symlinks; an absolute path, a path leading out of it, or a file not there is an error naming
the include (so a declaration that included a local file cannot re-run as a match). The results hash covers the resolved scenario's hash, so a declaration whose
included file differed from the shipped one does not reproduce.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from ..errors import BmdcheckError
from ..scenario.load import load_scenario, shipped_scenarios_dir

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _key(k: str) -> str:
    return k if _BARE.fullmatch(k) else _string(k)


def _string(s: str) -> str:
    # JSON escapes (\" \\ \n \t \uXXXX ...) are TOML basic-string escapes too; DEL must be escaped in TOML
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }" if v else "{}"
    raise BmdcheckError(f"cannot write {type(v).__name__} as TOML")


def document_to_toml(doc: dict) -> str:
    """TOML text for a JSON-typed document: one ``key = value`` line per top-level key, inline values.

    ``tomllib.loads(document_to_toml(d)) == d`` for any document the ledger stores (JSON types,
    finite floats).
    """
    if not isinstance(doc, dict):
        raise BmdcheckError("a scenario document must be a JSON object")
    return "".join(f"{_key(k)} = {_value(v)}\n" for k, v in doc.items())


def _shipped_include(k: int, p) -> str:
    """The real path of include ``p`` if it names a shipped scenario file; BmdcheckError otherwise.

    Only a relative path that, after resolving ``..`` and symlinks, is a ``.toml`` file inside the
    shipped directory is accepted: absolute paths, paths that leave the directory and symlinks that
    lead out of it are refused (docs/GUARANTEES.md).
    """
    tail = ("a declared document keeps its include lines but not the included files, so only shipped "
            "scenario files can be re-run; declare a self-contained scenario")
    if not isinstance(p, str) or not p.strip():
        raise BmdcheckError(f"include[{k}]: expected a file path; {tail}")
    base = shipped_scenarios_dir()
    try:
        q = Path(p)
        if q.suffix == "" and q.name == p and (base / f"{p}.toml").is_file():
            q = Path(f"{p}.toml")  # a shipped scenario name, as the command line and load_scenario take it
        if q.is_absolute():
            raise BmdcheckError(f"include[{k}]: {p!r} is an absolute path, not a shipped scenario file; {tail}")
        real = (base / q).resolve()
    except (OSError, ValueError, RuntimeError) as e:   # NUL bytes, symlink loops, unreadable parts
        if isinstance(e, BmdcheckError):
            raise
        raise BmdcheckError(f"include[{k}]: {p!r} is not a shipped scenario file ({e}); {tail}") from None
    if not real.is_relative_to(base):
        raise BmdcheckError(f"include[{k}]: {p!r} leads outside the shipped scenarios, not a shipped scenario "
                            f"file; {tail}")
    if real.suffix != ".toml" or not real.is_file():
        raise BmdcheckError(f"include[{k}]: {p!r} is not a shipped scenario file; {tail}")
    return str(real)


def _with_includes(doc: dict) -> dict:
    inc = doc.get("include")
    if not inc:
        return doc
    if not isinstance(inc, list):
        raise BmdcheckError("include: expected an array of paths")
    return {**doc, "include": [_shipped_include(k, p) for k, p in enumerate(inc)]}


def scenario_from_document(doc: dict):
    """Load a declared scenario document (canonical JSON of its TOML) as a Scenario."""
    with tempfile.TemporaryDirectory(prefix="bmdcheck-rerun-") as d:
        name = doc.get("name") if isinstance(doc.get("name"), str) else "declared"
        p = Path(d) / (re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100] + ".toml")
        p.write_text(document_to_toml(_with_includes(doc)), encoding="utf-8")
        return load_scenario(p)


def rerun_hook(document: dict, rules_path: str) -> tuple[str, str]:
    """Check a declared scenario document against a rules file: (verdict, results hash)."""
    from .check import check
    from .rules import load_rules

    rules = load_rules(rules_path)
    rep = check(scenario_from_document(document), rules)
    return rep.verdict, rep.results_hash
