"""A content-addressed disk cache for computed tables (fly-out tables): build once, on any run.

An entry is one ``.npz`` file named by the SHA-256 of (kind, the build parameters, a fingerprint of
the source files the build depends on, the NumPy and Numba versions). Any change to those files or
versions gives a new name, so a stale table is never read. Files are written to a temporary name and
renamed into place (a crashed or concurrent writer leaves either no entry or a complete one); an
entry that fails to load or does not match its key is rebuilt and replaced.

Location: ``$BMDCHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/bmdcheck``, else ``~/.cache/bmdcheck``;
``BMDCHECK_CACHE_DIR=off`` (or ``0``, ``none``, empty) disables it. Deleting the folder is always
safe. docs/CONVENTIONS.md, "Disk cache".
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable, TypeVar

import numpy as np

T = TypeVar("T")

_OFF = {"", "0", "off", "none", "false", "no"}
STATS = {"read": 0, "built": 0}
"""Entries read from disk and built in this process (``make demo`` reports them)."""
_PKG = Path(__file__).resolve().parent


def cache_dir() -> Path | None:
    """The cache folder (not created here), or None when disabled."""
    v = os.environ.get("BMDCHECK_CACHE_DIR")
    if v is not None:
        return None if v.strip().lower() in _OFF else Path(v)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bmdcheck"


@lru_cache(maxsize=None)
def fingerprint(*relpaths: str) -> str:
    """SHA-256 (hex, 16 chars) over the named package source files or folders (``*.py`` inside,
    sorted) and the NumPy and Numba versions: what a cached table depends on besides its parameters."""
    import numba

    h = hashlib.sha256(f"numpy {np.__version__} numba {numba.__version__}".encode())
    for rel in relpaths:
        p = _PKG / rel
        files = sorted(p.rglob("*.py")) if p.is_dir() else [p]
        for f in files:
            h.update(str(f.relative_to(_PKG)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def entry_key(kind: str, params: dict, depends: tuple[str, ...]) -> str:
    """The entry's name: SHA-256 of the canonical JSON of (kind, params, fingerprint(depends))."""
    doc = json.dumps({"kind": kind, "params": params, "code": fingerprint(*depends)}, sort_keys=True,
                     separators=(",", ":"))
    return hashlib.sha256(doc.encode()).hexdigest()


def _save(path: Path, obj, key: str) -> None:
    arrays, meta = {}, {"__key__": key}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, np.ndarray):
            arrays[f.name] = v
        else:
            meta[f.name] = v
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, __meta__=np.array(json.dumps(meta)), **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load(path: Path, cls, key: str):
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["__meta__"]))
        if meta.pop("__key__", None) != key:
            raise ValueError("key mismatch")
        vals = {f.name: (z[f.name] if f.name in z.files else meta[f.name]) for f in dataclasses.fields(cls)}
    return cls(**vals)


def cached(kind: str, params: dict, build: Callable[[], T], cls: type, depends: tuple[str, ...]) -> T:
    """``build()`` (a dataclass of ``cls`` holding arrays and JSON scalars), read from the disk cache
    when an entry for (kind, params, depends) exists, else built and stored.

    ``params``: JSON-serialisable build parameters; ``depends``: package-relative source files or
    folders whose contents the result depends on. Cache I/O errors never fail the computation.
    """
    d = cache_dir()
    if d is None:
        STATS["built"] += 1
        return build()
    key = entry_key(kind, params, depends)
    path = d / f"{kind}-{key[:32]}.npz"
    if path.exists():
        try:
            obj = _load(path, cls, key)
            STATS["read"] += 1
            return obj
        except Exception:  # noqa: BLE001  unreadable, truncated (BadZipFile) or foreign entry
            pass  # rebuild and replace it
    obj = build()
    STATS["built"] += 1
    try:
        _save(path, obj, key)
    except OSError:
        pass  # read-only or full disk: the result stands, uncached
    return obj
