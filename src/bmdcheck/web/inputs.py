"""Scenario and rules inputs of the control room: shipped names, uploads by content hash.

An upload is TOML text validated with the loaders the command line uses (``load_scenario``,
``rules_from_text``) and stored under the server's state directory as
``uploads/<kind>/<sha256>.toml`` (temporary file, then rename: never half written), with its name
beside it in ``<sha256>.json``. The client never gives a file path: it names a shipped scenario or
rules file, or an upload by its id (the SHA-256 of the uploaded bytes).

An uploaded scenario may include shipped scenario files only (``include = ["epaa-phase3.toml"]``,
``"common/russia-icbm-2024.toml"`` or a bare shipped name): absolute paths and paths with ``..`` are
refused, so an upload never reads another file of the server. To load it, the text is written into
a fresh directory beside symbolic links to the shipped scenario files and folders
(:func:`materialise`), so ``load_scenario`` resolves it exactly as a file on disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

from ..errors import BmdcheckError

MAX_UPLOAD_BYTES = 256 * 1024
"""Uploads larger than this (256 KiB) are refused with 413 unread (the shipped files are < 20 kB)."""
MAX_UPLOADS = 1000
"""Stored uploads of one kind at most (with MAX_UPLOAD_BYTES: at most 250 MiB per kind on disk)."""
KINDS = ("scenario", "rules")
ID_RE = re.compile(r"[0-9a-f]{64}")
SCENARIO_FILE = "scenario.toml"


class NotFound(BmdcheckError):
    """An unknown scenario, rules file, upload or job (HTTP 404)."""


class Full(BmdcheckError):
    """The upload store is full (HTTP 429)."""


def is_id(text: str) -> bool:
    """True when ``text`` has the form of an upload or job id (64 lower-case hex digits)."""
    return isinstance(text, str) and ID_RE.fullmatch(text) is not None


def decode(data: bytes) -> str:
    """Uploaded bytes as text: UTF-8, no NUL; one-line BmdcheckError otherwise."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BmdcheckError(f"the upload is not UTF-8 text (byte {e.start}); expected a TOML file") from None
    if "\x00" in text:
        raise BmdcheckError("the upload contains a NUL character; expected a TOML text file")
    return text


def shipped_scenarios() -> dict[str, Path]:
    from ..scenario.load import shipped_scenarios as f

    return f()


def shipped_rules() -> dict[str, Path]:
    from ..guarantee.rules import shipped_rules as f

    return f()


def _includes(text: str, display: str) -> list[str]:
    """The include list of a scenario text, each entry checked to be a shipped scenario file."""
    from ..guarantee.rerun import _shipped_include
    from ..scenario.locate import parse_toml

    inc = parse_toml(text, display).get("include", [])
    if not isinstance(inc, list) or not all(isinstance(x, str) for x in inc):
        raise BmdcheckError(f"{display}: include: expected an array of shipped scenario files, e.g. "
                            f"include = [\"epaa-phase3.toml\"]")
    out = []
    for k, rel in enumerate(inc):
        tail = "an uploaded scenario may include shipped scenario files only (GET /api/scenarios)"
        if ".." in Path(rel).parts or "\\" in rel:
            raise BmdcheckError(f"{display}: include[{k}]: {rel!r} contains '..'; {tail}")
        try:
            _shipped_include(k, rel)
        except BmdcheckError as e:
            raise BmdcheckError(f"{display}: {str(e).split(';')[0]}; {tail}") from None
        out.append(rel)
    return out


def materialise(text: str, directory: Path, display: str = "upload") -> Path:
    """Write a scenario text as ``directory/scenario.toml`` with its shipped includes linked beside it."""
    from ..guarantee.rerun import shipped_scenarios_dir

    base = shipped_scenarios_dir()
    directory.mkdir(parents=True, exist_ok=True)
    if _includes(text, display):   # mirror the shipped directory, so nested includes resolve too
        for q in base.iterdir():
            if q.name != SCENARIO_FILE and (q.suffix == ".toml" or q.is_dir()) and not q.name.startswith("_"):
                (directory / q.name).symlink_to(q)
    p = directory / SCENARIO_FILE
    p.write_text(text, encoding="utf-8")
    return p


def load_scenario_text(text: str, display: str = "upload"):
    """Validate scenario text exactly as ``bmdcheck assess`` validates a file; the Scenario."""
    from ..scenario.load import load_scenario

    with tempfile.TemporaryDirectory(prefix="bmdcheck-upload-") as d:
        p = materialise(text, Path(d), display)
        try:
            return load_scenario(p)
        except BmdcheckError as e:   # name the upload, not the temporary directory
            raise BmdcheckError(str(e).replace(str(p), display).replace(d + os.sep, "")) from None


def validate(kind: str, text: str) -> str:
    """Validate an upload of ``kind`` (scenario | rules); its name. One-line BmdcheckError otherwise."""
    if kind == "scenario":
        return load_scenario_text(text).name
    if kind == "rules":
        from ..guarantee.rules import rules_from_text

        return rules_from_text(text, "upload").name
    raise BmdcheckError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")


def atomic_write(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same directory and a rename (``os.replace``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class Uploads:
    """Uploaded scenario and rules files under ``root/uploads/<kind>/``, by SHA-256 of their bytes."""

    def __init__(self, root: Path):
        self.root = Path(root) / "uploads"

    def _path(self, kind: str, uid: str) -> Path:
        return self.root / kind / f"{uid}.toml"

    def add(self, kind: str, data: bytes) -> dict:
        """Validate and store; ``{"id", "kind", "name"}``. Nothing is written when validation fails."""
        if kind not in KINDS:
            raise BmdcheckError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if len(data) > MAX_UPLOAD_BYTES:
            raise BmdcheckError(f"upload too large: {len(data):,} bytes; at most {MAX_UPLOAD_BYTES:,}")
        name = validate(kind, decode(data))
        uid = hashlib.sha256(data).hexdigest()
        p = self._path(kind, uid)
        if not p.exists():
            n = sum(1 for _ in p.parent.glob("*.toml")) if p.parent.is_dir() else 0
            if n >= MAX_UPLOADS:
                raise Full(f"{n} {kind} uploads are stored (at most {MAX_UPLOADS}); restart the server with a "
                           f"fresh --state-dir, or use a stored one by its id")
            atomic_write(p.with_suffix(".json"), json.dumps({"kind": kind, "name": name}).encode())
            atomic_write(p, data)
        return {"id": uid, "kind": kind, "name": name}

    def text(self, kind: str, uid: str) -> str | None:
        """The stored text of an upload, or None when there is none with that id."""
        if not is_id(uid):
            return None
        p = self._path(kind, uid)
        return p.read_text(encoding="utf-8") if p.is_file() else None

    def listing(self, kind: str) -> list[dict]:
        """``[{"id", "name"}]`` of the uploads of ``kind``, by file time."""
        d = self.root / kind
        if not d.is_dir():
            return []
        out = []
        for p in sorted(d.glob("*.toml"), key=lambda q: (q.stat().st_mtime, q.name)):
            try:
                meta = json.loads(p.with_suffix(".json").read_text())
            except (OSError, ValueError):
                meta = {}
            out.append({"id": p.stem, "name": meta.get("name", p.stem)})
        return out


def resolve_scenario(ref: str, uploads: Uploads, what: str = "scenario"):
    """``(Scenario, source)`` for a shipped scenario name or an upload id; ``source`` is
    ``("shipped", path)`` or ``("upload", text)``. NotFound for anything else."""
    from ..scenario.load import load_scenario

    if isinstance(ref, str) and ref in shipped_scenarios():
        p = shipped_scenarios()[ref]
        return load_scenario(p), ("shipped", str(p))
    text = uploads.text("scenario", ref)
    if text is None:
        raise NotFound(f"{what} {ref!r} is neither a shipped scenario (GET /api/scenarios) nor the id of an "
                       f"uploaded scenario (POST /api/uploads?kind=scenario)")
    return load_scenario_text(text, f"upload {ref[:12]}"), ("upload", text)


def resolve_rules(ref: str, uploads: Uploads):
    """``(RulesFile, source)`` for a shipped rules name or an upload id (as :func:`resolve_scenario`)."""
    from ..guarantee.rules import load_rules, rules_from_text

    if isinstance(ref, str) and ref in shipped_rules():
        p = shipped_rules()[ref]
        return load_rules(p), ("shipped", str(p))
    text = uploads.text("rules", ref)
    if text is None:
        names = ", ".join(shipped_rules())
        raise NotFound(f"rules {ref!r} is neither a shipped rules file ({names}) nor the id of uploaded rules "
                       f"(POST /api/uploads?kind=rules)")
    return rules_from_text(text, f"upload {ref[:12]}"), ("upload", text)
