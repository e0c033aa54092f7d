"""The ledger file: an SQLite database with an append-only ``entries`` table and a ``parties`` table.

Every write is one ``BEGIN IMMEDIATE`` transaction (SQLite's write lock is taken before anything
is read), so the chain head read inside it is still the head when the new entry is inserted, and
two processes appending at once queue up behind each other. SQLite's rollback journal makes each
transaction all-or-nothing across a crash; the first connection after a crash rolls back a hot
journal. Triggers refuse UPDATE and DELETE, so no ordinary use of the file can rewrite history
(anyone who can write the file can drop them: that is what :mod:`.verify` is for).
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

from ..errors import BmdcheckError
from .canonical import canonical_json, check_depth, sha256_hex
from .entry import ENTRY_FIELDS, FORMAT, GENESIS_HASH, HEX64, PARTY_FIELDS, VERDICT, Entry, Party, hashed_fields, utc_now
from .files import os_reason
from .keys import SigningKey, check_party_name
from .verify import VerifyReport, verify_chain

#: ``PRAGMA application_id`` of a ledger file: ASCII "BMDL".
APPLICATION_ID = 0x424D444C
BUSY_TIMEOUT_S = 60.0
MAX_NOTE_CHARS = 4000

#: Test seam: called with a stage name ("party-registered", "entry-inserted") inside an append's
#: transaction, before COMMIT. Tests set it in a child process to crash there; None in normal use.
fault_hook: Optional[Callable[[str], None]] = None

_SCHEMA = f"""
PRAGMA application_id = {APPLICATION_ID};
PRAGMA user_version = 1;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE parties (
    name TEXT PRIMARY KEY, public_key TEXT NOT NULL, fingerprint TEXT NOT NULL UNIQUE,
    registered_at TEXT NOT NULL) STRICT;
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, party TEXT NOT NULL, timestamp TEXT NOT NULL,
    payload TEXT NOT NULL, payload_sha256 TEXT NOT NULL, prev_hash TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL, verdict TEXT, results_hash TEXT,
    entry_hash TEXT NOT NULL UNIQUE, signature TEXT NOT NULL) STRICT;
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'bmdcheck ledger entries are append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'bmdcheck ledger entries are append-only'); END;
CREATE TRIGGER parties_no_update BEFORE UPDATE ON parties
    BEGIN SELECT RAISE(ABORT, 'bmdcheck ledger parties are append-only'); END;
CREATE TRIGGER parties_no_delete BEFORE DELETE ON parties
    BEGIN SELECT RAISE(ABORT, 'bmdcheck ledger parties are append-only'); END;
"""


def _fault(stage: str) -> None:
    if fault_hook is not None:
        fault_hook(stage)


#: SQLite's primary result codes for a failed write: SQLITE_IOERR (10), SQLITE_FULL (13).
_WRITE_FAILURES = (10, 13)
#: The largest seq SQLite can store (a signed 64-bit integer).
MAX_SEQ = 2**63 - 1


def _not_ledger(path: Path, why: str) -> BmdcheckError:
    return BmdcheckError(f"{path} is not a readable bmdcheck ledger ({why})")


def write_failed(e: sqlite3.Error) -> bool:
    """True if ``e`` is SQLite failing to write (disk full, file size limit, I/O error), not a bad file."""
    code = getattr(e, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in _WRITE_FAILURES


def _cannot_write(path: Path, e: sqlite3.Error) -> BmdcheckError:
    return BmdcheckError(f"cannot write {path}: the disk is full, a file size limit was reached or the disk "
                         f"failed ({e}); nothing was changed")


def check_no_case_twin(name: str, registered) -> None:
    """Refuse a new party ``name`` that differs only by case from a registered one ("Alice" beside "alice")."""
    twin = next((n for n in registered if n != name and n.casefold() == name.casefold()), None)
    if twin is not None:
        raise BmdcheckError(f"party name {name!r} differs only by case from the registered party {twin!r}; "
                            f"names must differ in more than case")


def check_seq(path, seq) -> int:
    """``seq`` if it can name an entry (1 to 2**63 - 1); else the BmdcheckError 'no entry with seq'."""
    if type(seq) is not int or not (1 <= seq <= MAX_SEQ):
        shown = seq if type(seq) is int and abs(seq) < 10**30 else "(a number out of range)"
        raise BmdcheckError(f"{path}: no entry with seq {shown}; seqs start at 1")
    return seq


class LedgerIntegrityError(BmdcheckError):
    """The chain does not verify (the CLI exits 1). ``report`` says where and why."""

    def __init__(self, message: str, report: Optional[VerifyReport] = None):
        super().__init__(message)
        self.report = report


def create_schema(path: Path) -> None:
    """Write the empty ledger schema into the (new, empty) SQLite file at ``path``, in one transaction."""
    try:
        con = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as e:
        raise _cannot_write(path, e) from None
    try:
        con.execute("PRAGMA journal_mode = DELETE")
        con.execute("BEGIN IMMEDIATE")
        for stmt in _SCHEMA.strip().split(";\n"):
            if stmt.strip():
                con.execute(stmt)
        con.execute("INSERT INTO meta VALUES ('format', ?), ('created', ?)", (FORMAT, utc_now()))
        con.execute("COMMIT")
    except sqlite3.Error as e:
        raise _cannot_write(path, e) from None
    finally:
        if con.in_transaction:
            try:
                con.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        con.close()


def init_ledger(path: str | Path) -> "Ledger":
    """Create a new, empty ledger file. Refuses to touch an existing file."""
    p = Path(path)
    if not p.parent.is_dir():
        raise BmdcheckError(f"folder not found: {p.parent}")
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise BmdcheckError(f"{p} already exists; refusing to overwrite it") from None
    except OSError as e:
        raise BmdcheckError(f"cannot create {p}: {os_reason(e)}") from None
    os.close(fd)
    try:
        create_schema(p)
    except BaseException:
        p.unlink(missing_ok=True)
        raise
    return Ledger(p)


def _row_entry(row) -> Entry:
    return Entry(**dict(zip(ENTRY_FIELDS, row)))


def _insert_entry(con, e: Entry) -> None:
    con.execute(f"INSERT INTO entries ({', '.join(ENTRY_FIELDS)}) VALUES ({', '.join('?' * len(ENTRY_FIELDS))})",
                tuple(getattr(e, f) for f in ENTRY_FIELDS))


def _insert_party(con, p: Party) -> None:
    con.execute("INSERT INTO parties (name, public_key, fingerprint, registered_at) VALUES (?, ?, ?, ?)",
                (p.name, p.public_key, p.fingerprint, p.registered_at))


class Ledger:
    """An open ledger file. Each method uses its own short-lived connection (safe across processes)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise BmdcheckError(f"ledger not found: {self.path}")
        if not self.path.is_file():
            raise BmdcheckError(f"{self.path} is not a file")
        with self._read() as con:   # checks it is a ledger
            con.execute("SELECT 1 FROM entries LIMIT 1").fetchall()

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    # ---- connections
    def _connect(self) -> sqlite3.Connection:
        mode = "rw" if os.access(self.path, os.W_OK) else "ro"
        try:
            con = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode={mode}", uri=True,
                                  isolation_level=None, timeout=BUSY_TIMEOUT_S)
        except sqlite3.Error as e:
            raise _not_ledger(self.path, str(e)) from None
        try:
            con.execute("PRAGMA synchronous = FULL")   # fsync the journal and the file at each commit
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            if app_id != APPLICATION_ID:
                raise _not_ledger(self.path, "not a ledger database")
            fmt = con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            if fmt is None or fmt[0] != FORMAT:
                raise _not_ledger(self.path, f"format {fmt[0] if fmt else None!r}, expected {FORMAT!r}")
        except sqlite3.Error as e:
            con.close()
            raise _not_ledger(self.path, str(e)) from None
        except BaseException:
            con.close()
            raise
        return con

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot of both tables."""
        con = self._connect()
        try:
            con.execute("BEGIN")
            yield con
            con.execute("COMMIT")
        except sqlite3.Error as e:
            raise _not_ledger(self.path, str(e)) from None
        finally:
            if con.in_transaction:
                con.execute("ROLLBACK")
            con.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE); rolled back on any exception."""
        con = self._connect()
        try:
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                raise BmdcheckError(f"{self.path}: cannot lock the ledger for writing ({e})") from None
            yield con
            con.execute("COMMIT")
        except sqlite3.IntegrityError as e:
            raise BmdcheckError(f"{self.path}: write refused ({e})") from None
        except sqlite3.Error as e:
            if write_failed(e):
                raise _cannot_write(self.path, e) from None
            raise _not_ledger(self.path, str(e)) from None
        finally:
            if con.in_transaction:
                try:
                    con.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            con.close()

    @staticmethod
    def _entries(con) -> list[Entry]:
        return [_row_entry(r) for r in con.execute(f"SELECT {', '.join(ENTRY_FIELDS)} FROM entries ORDER BY seq")]

    @staticmethod
    def _parties(con) -> dict[str, Party]:
        rows = con.execute(f"SELECT {', '.join(PARTY_FIELDS)} FROM parties ORDER BY name")
        return {r[0]: Party(*r) for r in rows}

    # ---- reading
    def snapshot(self) -> tuple[list[Entry], dict[str, Party]]:
        """All entries (in seq order) and parties, read in one transaction."""
        with self._read() as con:
            return self._entries(con), self._parties(con)

    def entries(self) -> list[Entry]:
        return self.snapshot()[0]

    def parties(self) -> dict[str, Party]:
        return self.snapshot()[1]

    def entry(self, seq: int) -> Entry:
        """The entry with this seq; BmdcheckError if there is none."""
        check_seq(self.path, seq)
        with self._read() as con:
            row = con.execute(f"SELECT {', '.join(ENTRY_FIELDS)} FROM entries WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            raise BmdcheckError(f"{self.path}: no entry with seq {seq}")
        return _row_entry(row)

    def verify(self, trusted: Optional[dict] = None) -> VerifyReport:
        """Verify the whole chain (see :func:`bmdcheck.ledger.verify.verify_chain`)."""
        with self._read() as con:
            check = con.execute("PRAGMA quick_check").fetchall()
            if check != [("ok",)]:
                raise _not_ledger(self.path, f"SQLite integrity check: {check[0][0]}")
            entries, parties = self._entries(con), self._parties(con)
        return verify_chain(entries, parties, trusted)

    # ---- appending
    def _append(self, key: SigningKey, kind: str, party: str, make_payload: Callable[[list[Entry]], str],
                verdict: Optional[str] = None, results_hash: Optional[str] = None) -> Entry:
        with self._write() as con:
            entries, parties = self._entries(con), self._parties(con)
            report = verify_chain(entries, parties)
            if not report.ok:
                raise LedgerIntegrityError(f"{self.path} does not verify, refusing to append: {report.summary()}",
                                           report)
            registered = parties.get(party)
            if registered is None:
                check_no_case_twin(party, parties)
                owner = next((p.name for p in parties.values() if p.fingerprint == key.fingerprint), None)
                if owner is not None:
                    raise BmdcheckError(f"this key is already registered to party {owner!r}")
                _insert_party(con, Party(party, key.public_key_hex, key.fingerprint, utc_now()))
                _fault("party-registered")
            elif registered.fingerprint != key.fingerprint:
                raise BmdcheckError(f"party {party!r} is registered with key {registered.fingerprint[:16]}…; "
                                    f"this key is {key.fingerprint[:16]}…")
            payload = make_payload(entries)
            seq = len(entries) + 1
            prev = entries[-1].entry_hash if entries else GENESIS_HASH
            ts = utc_now()
            psha = sha256_hex(payload)
            ehash = sha256_hex(canonical_json(hashed_fields(seq, kind, party, ts, psha, prev, key.fingerprint,
                                                            verdict, results_hash)))
            e = Entry(seq, kind, party, ts, payload, psha, prev, key.fingerprint, verdict, results_hash,
                      ehash, key.sign_hash(ehash))
            _insert_entry(con, e)
            _fault("entry-inserted")
        return e

    def _party_for(self, key: SigningKey, party: Optional[str]) -> str:
        if party is None:
            if key.party is None:
                raise BmdcheckError("the key file names no party: give --party NAME")
            return key.party
        check_party_name(party)
        if key.party is not None and key.party != party:
            raise BmdcheckError(f"the key file belongs to party {key.party!r}, not {party!r}")
        return party

    def declare(self, key: SigningKey, document: dict, *, party: Optional[str] = None,
                verdict: Optional[str] = None, results_hash: Optional[str] = None) -> Entry:
        """Append a declaration of ``document`` (a dict of JSON types), signed by ``key``.

        ``verdict`` and ``results_hash`` (from a rules check) are optional but come together.
        """
        if not isinstance(document, dict):
            raise BmdcheckError("a declared document must be a table (a JSON object)")
        check_depth(document)
        if (verdict is None) != (results_hash is None):
            raise BmdcheckError("give --verdict and --results-hash together (both come from one rules check)")
        if verdict is not None and not VERDICT.fullmatch(verdict):
            raise BmdcheckError(f"verdict must be 1-32 letters, digits and _.- (e.g. PASS, FAIL), got {verdict!r}")
        if results_hash is not None:
            results_hash = results_hash.lower()
            if not HEX64.fullmatch(results_hash):
                raise BmdcheckError("results hash must be a SHA-256: 64 hex digits")
        payload = canonical_json(document)
        return self._append(key, "declaration", self._party_for(key, party), lambda _: payload,
                            verdict, results_hash)

    def acknowledge(self, key: SigningKey, seq: int, *, note: Optional[str] = None,
                    party: Optional[str] = None) -> Entry:
        """Append an acknowledgement countersigning declaration ``seq`` (its entry_hash), signed by ``key``.

        The new entry's prev_hash also commits the acknowledger to the whole chain up to it.
        """
        who = self._party_for(key, party)
        if note is not None:
            if len(note) > MAX_NOTE_CHARS:
                raise BmdcheckError(f"note longer than {MAX_NOTE_CHARS} characters")
            if any(ord(c) < 32 or ord(c) == 127 for c in note):
                raise BmdcheckError("note must not contain control characters (newlines, escapes)")

        def payload(entries: list[Entry]) -> str:
            if not (1 <= seq <= len(entries)):
                raise BmdcheckError(f"{self.path}: no entry with seq {seq}")
            target = entries[seq - 1]
            if target.kind != "declaration":
                raise BmdcheckError(f"seq {seq} is an acknowledgement, not a declaration")
            if target.party == who:
                raise BmdcheckError(f"seq {seq} is {who!r}'s own declaration; an acknowledgement is another party's")
            doc = {"declaration_seq": seq, "declaration_hash": target.entry_hash}
            if note:
                doc["note"] = note
            return canonical_json(doc)

        return self._append(key, "acknowledgement", who, payload)


def document_of(entry: Entry) -> dict:
    """The JSON document an entry's payload holds."""
    try:
        return json.loads(entry.payload)
    except (ValueError, TypeError, RecursionError):
        raise BmdcheckError(f"seq {entry.seq}: payload is not JSON") from None
