"""What changed between two JSON documents, field by field.

Paths are JSONPath-like: ``$.threats[0].launch.lat``; a key that is not an identifier is quoted,
``$["max range"]``. A value whose type changes (1 -> 1.0, 1 -> true) counts as changed. Arrays are
compared index by index; extra elements are added or removed.
"""

from __future__ import annotations

import json
import re

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if _IDENT.fullmatch(key) else f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


def diff_documents(old, new) -> dict:
    """Return ``{"changed": [{path, old, new}], "added": [{path, new}], "removed": [{path, old}]}``.

    Each list is in document order (keys sorted). Added and removed values are whole subtrees.
    """
    changed, added, removed = [], [], []

    def walk(a, b, path):
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                p = _key_path(path, k)
                if k not in b:
                    removed.append({"path": p, "old": a[k]})
                elif k not in a:
                    added.append({"path": p, "new": b[k]})
                else:
                    walk(a[k], b[k], p)
        elif isinstance(a, list) and isinstance(b, list):
            for i in range(max(len(a), len(b))):
                p = f"{path}[{i}]"
                if i >= len(b):
                    removed.append({"path": p, "old": a[i]})
                elif i >= len(a):
                    added.append({"path": p, "new": b[i]})
                else:
                    walk(a[i], b[i], p)
        elif not _same(a, b):
            changed.append({"path": path, "old": a, "new": b})

    walk(old, new, "$")
    return {"changed": changed, "added": added, "removed": removed}
