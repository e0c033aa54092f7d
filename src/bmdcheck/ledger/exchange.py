"""Export a ledger to one self-contained JSON file, and import (verified) from one.

The file: ``{"format": "bmdcheck-ledger-export/1", "ledger_format": "bmdcheck-ledger/1",
"exported_at", "n_entries", "head_hash", "parties": [...], "entries": [...], "checkpoints": [...]}``
(checkpoints with their cosignatures; optional on import, so older exports still import) with every stored
field of every entry and party (payloads as their exact canonical-JSON text), so anyone can verify
it with no other file.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..errors import BmdcheckError
from .entry import ENTRY_FIELDS, FORMAT, PARTY_FIELDS, Entry, Party, utc_now
from .files import os_reason, publish, read_json_file, temp_path_beside, write_atomic
from .checkpoint import checkpoint_from_dict
from .store import (Ledger, LedgerIntegrityError, _cannot_write, _insert_entry, _insert_party, _read_checkpoints,
                    check_no_case_twin, create_schema, store_checkpoint)
from .verify import verify_chain

EXPORT_FORMAT = "bmdcheck-ledger-export/1"
MAX_EXPORT_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_ledger` did: ``created`` a new file, ``added`` entries, chain length ``total``."""

    created: bool
    added: int
    total: int
    head_hash: str


def export_ledger(ledger: Ledger | str | Path, out: str | Path) -> dict:
    """Write the whole (verified) ledger to ``out`` as JSON; returns the document written.

    Refuses (LedgerIntegrityError) a ledger that does not verify, and (BmdcheckError) an ``out``
    that exists (the ledger itself, a key file, a folder: nothing is ever overwritten). ``out`` is
    written to a temporary file and hard-linked into place, so a crash leaves no file or the whole one.
    """
    led = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
    if os.path.lexists(out):
        raise BmdcheckError(f"{out} already exists; refusing to overwrite it")
    entries, parties, cps = led.snapshot_all()
    report = verify_chain(entries, parties, None, cps)
    if not report.ok:
        raise LedgerIntegrityError(f"{led.path} does not verify, refusing to export: {report.summary()}", report)
    doc = {"format": EXPORT_FORMAT, "ledger_format": FORMAT, "exported_at": utc_now(),
           "n_entries": len(entries), "head_hash": report.head_hash,
           "parties": [p.to_dict() for p in parties.values()],
           "entries": [e.to_dict() for e in entries],
           "checkpoints": [cp.to_dict() for cp in cps]}
    text = json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=False) + "\n"
    write_atomic(out, text.encode("utf-8"), overwrite=False)
    return doc


def read_export(path: str | Path) -> tuple[list[Entry], dict[str, Party], dict]:
    """Parse an export file into entries and parties. BmdcheckError (exit 2) if it is not one."""
    p = Path(path)
    doc = read_json_file(p, MAX_EXPORT_BYTES, missing="export file", too_big="larger than 1 GiB", what="a ledger export")
    if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT:
        raise BmdcheckError(f"{p}: not a bmdcheck ledger export (format must be {EXPORT_FORMAT!r})")
    if doc.get("ledger_format") != FORMAT:
        raise BmdcheckError(f"{p}: ledger format {doc.get('ledger_format')!r}, expected {FORMAT!r}")
    if not isinstance(doc.get("entries"), list) or not isinstance(doc.get("parties"), list):
        raise BmdcheckError(f"{p}: 'entries' and 'parties' must be lists")
    entries = []
    for i, e in enumerate(doc["entries"]):
        if not isinstance(e, dict) or set(e) != set(ENTRY_FIELDS):
            raise BmdcheckError(f"{p}: entries[{i}] must have exactly the fields {', '.join(ENTRY_FIELDS)}")
        entries.append(Entry(**e))
    parties = {}
    for i, q in enumerate(doc["parties"]):
        if not isinstance(q, dict) or set(q) != set(PARTY_FIELDS):
            raise BmdcheckError(f"{p}: parties[{i}] must have exactly the fields {', '.join(PARTY_FIELDS)}")
        if not isinstance(q["name"], str) or q["name"] in parties:
            raise BmdcheckError(f"{p}: parties[{i}]: missing or repeated party name")
        check_no_case_twin(q["name"], parties)
        parties[q["name"]] = Party(**q)
    return entries, parties, doc


def _verified_export(src):
    """Entries, parties and checkpoints of an export file, and its verification report;
    LedgerIntegrityError when it does not verify or its n_entries/head_hash disagree with its chain."""
    entries, parties, doc = read_export(src)
    cps = doc.get("checkpoints", [])
    if not isinstance(cps, list):
        raise BmdcheckError(f"{src}: 'checkpoints' must be a list")
    cps = [checkpoint_from_dict(c, f"{src}: checkpoints[{i}]") for i, c in enumerate(cps)]
    report = verify_chain(entries, parties, None, cps)
    if not report.ok:
        raise LedgerIntegrityError(f"{src} does not verify, nothing imported: {report.summary()}", report)
    if doc.get("n_entries") != len(entries) or doc.get("head_hash") != report.head_hash:
        raise LedgerIntegrityError(f"{src}: n_entries/head_hash do not match its chain (entries removed "
                                   f"from the end?), nothing imported", report)
    return entries, parties, cps, report


def _import_new(d: Path, entries, parties, cps, head_hash: str) -> None:
    """Write the chain into a new ledger file d: built and re-verified beside it, then published."""
    if not d.parent.is_dir():
        raise BmdcheckError(f"folder not found: {d.parent}")
    tmp = temp_path_beside(d, ".db")
    try:
        create_schema(tmp)
        con = sqlite3.connect(tmp, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            for q in parties.values():
                _insert_party(con, q)
            for e in entries:
                _insert_entry(con, e)
            for cp in cps:
                store_checkpoint(con, cp)
            con.execute("COMMIT")
        except sqlite3.Error as e:
            raise _cannot_write(d, e) from None
        finally:
            con.close()
        check = Ledger(tmp).verify()
        if not check.ok or check.head_hash != head_hash:
            raise LedgerIntegrityError(f"imported ledger failed its re-check: {check.summary()}", check)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        os.chmod(tmp, 0o644)
        publish(tmp, d, overwrite=False)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise BmdcheckError(f"cannot write {d}: {os_reason(e)}") from None


def _import_into(d: Path, src, entries, parties, cps, head_hash: str) -> int:
    """Append the rest of the chain to ledger d, whose chain must be a prefix of it, in one
    transaction; returns the number of entries added."""
    led = Ledger(d)
    with led._write() as con:
        have, have_parties = led._entries(con), led._parties(con)
        mine = verify_chain(have, have_parties)
        if not mine.ok:
            raise LedgerIntegrityError(f"{d} does not verify, refusing to import into it: {mine.summary()}", mine)
        for a, b in zip(have, entries):
            if a != b:
                raise BmdcheckError(f"{d} holds a different chain (it diverges from {src} at seq {a.seq}); "
                                    f"refusing to overwrite it")
        if len(have) > len(entries):
            raise BmdcheckError(f"{d} already holds a longer chain ({len(have)} entries) of which {src} "
                                f"({len(entries)}) is a prefix; nothing to import")
        for name, q in parties.items():
            if name in have_parties and have_parties[name].fingerprint != q.fingerprint:
                raise BmdcheckError(f"party {name!r} has a different key in {d}; refusing to import")
        for name, q in parties.items():
            if name not in have_parties:
                check_no_case_twin(name, have_parties)
                _insert_party(con, q)
        for e in entries[len(have):]:
            _insert_entry(con, e)
        for cp in cps:
            store_checkpoint(con, cp)
        after = verify_chain(led._entries(con), led._parties(con), None, _read_checkpoints(con))
        if not after.ok or after.head_hash != head_hash:
            raise LedgerIntegrityError(f"imported ledger failed its re-check: {after.summary()}", after)
    return len(entries) - len(have)


def import_ledger(src: str | Path, dest: str | Path) -> ImportResult:
    """Verify an export file and write its chain into ledger ``dest``.

    A file that does not verify (or whose n_entries/head_hash disagree with its chain) raises
    LedgerIntegrityError and nothing is written. ``dest`` may be missing (created atomically), an
    empty ledger, or a ledger whose chain is a prefix of the imported one (the rest is appended in
    one transaction); anything else is refused with BmdcheckError.
    """
    entries, parties, cps, report = _verified_export(src)
    d = Path(dest)
    if not d.exists():
        _import_new(d, entries, parties, cps, report.head_hash)
        return ImportResult(True, len(entries), len(entries), report.head_hash)
    added = _import_into(d, src, entries, parties, cps, report.head_hash)
    return ImportResult(False, added, len(entries), report.head_hash)
