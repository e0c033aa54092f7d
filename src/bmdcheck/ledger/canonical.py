"""Canonical JSON: one byte string per document, so its SHA-256 names it.

Canonical form (docs/LEDGER.md, "Documents"): ``json.dumps(doc, sort_keys=True,
separators=(",", ":"), ensure_ascii=False, allow_nan=False)`` encoded as UTF-8. A TOML document is
parsed with :mod:`tomllib` first; TOML dates and times become their ISO-8601 strings
(``datetime.isoformat()``), the only TOML values JSON has no type for.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import tomllib
from pathlib import Path

from ..errors import BmdcheckError

#: Largest scenario file accepted by :func:`document_from_toml`, bytes.
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
#: Deepest nesting of tables and arrays in a document (a scenario needs about 5).
MAX_DEPTH = 64


def check_depth(obj, where: str = "document", max_depth: int = MAX_DEPTH) -> None:
    """Refuse (BmdcheckError) tables and arrays nested more than ``max_depth`` deep; iterative, so never
    a RecursionError whatever the depth."""
    stack = [(obj, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, (dict, list)):
            if depth > max_depth:
                raise BmdcheckError(f"{where}: tables and arrays nested more than {max_depth} levels deep")
            stack.extend((x, depth + 1) for x in (v.values() if isinstance(v, dict) else v))


def sha256_hex(data: bytes | str) -> str:
    """Return the SHA-256 of ``data`` (str is encoded as UTF-8) as 64 lowercase hex digits."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def canonical_json(obj) -> str:
    """Return the canonical JSON text of ``obj`` (sorted keys, no spaces, UTF-8 characters kept).

    Raises BmdcheckError for values JSON cannot hold exactly (NaN, infinities, non-string keys).
    """
    try:
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise BmdcheckError(f"document cannot be written as canonical JSON: {e}") from None
    except RecursionError:
        raise BmdcheckError("document cannot be written as canonical JSON: nested too deeply") from None


def _jsonable(value, where: str):
    """Map tomllib's output onto JSON types (dates and times to ISO-8601 strings)."""
    if isinstance(value, dict):
        return {k: _jsonable(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        raise BmdcheckError(f"{where}: {value} has no canonical JSON form; use a finite number")
    return value


def document_from_toml_text(text: str, where: str = "document") -> dict:
    """Parse TOML text into the JSON-typed document that the ledger stores."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise BmdcheckError(f"{where}: not valid TOML ({e})") from None
    except RecursionError:
        raise BmdcheckError(f"{where}: tables and arrays nested more than {MAX_DEPTH} levels deep") from None
    check_depth(doc, where)
    return _jsonable(doc, "$")


def document_from_toml(path: str | Path) -> dict:
    """Read a scenario TOML file and return its document (a dict of JSON types)."""
    p = Path(path)
    if not p.is_file():
        raise BmdcheckError(f"scenario file not found: {p}")
    raw = p.read_bytes()
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise BmdcheckError(f"{p}: larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BmdcheckError(f"{p}: not UTF-8 text") from None
    return document_from_toml_text(text, str(p))


def is_canonical(text: str) -> bool:
    """True if ``text`` is the canonical JSON of the value it parses to."""
    try:
        return canonical_json(json.loads(text)) == text
    except (ValueError, BmdcheckError, RecursionError):
        return False
