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
from .checkpoint import Checkpoint, Cosignature, checkpoint_problem, compare, make_checkpoint
from .keys import SigningKey, check_party_name
from .verify import VerifyReport, reveal_matches, verify_chain

#: ``PRAGMA application_id`` of a ledger file: ASCII "BMDL".
APPLICATION_ID = 0x424D444C
BUSY_TIMEOUT_S = 60.0
MAX_NOTE_CHARS = 4000

#: Test seam: called with a stage name ("party-registered", "entry-inserted") inside an append's
#: transaction, before COMMIT. Tests set it in a child process to crash there; None in normal use.
fault_hook: Optional[Callable[[str], None]] = None

#: Schema 2 adds signed checkpoints and their cosignatures (docs/LEDGER.md, "Transparency log").
#: A schema-1 file gains these tables in the first write transaction that opens it (migration).
SCHEMA_VERSION = 2
_V2 = (
    """CREATE TABLE IF NOT EXISTS checkpoints (
    checkpoint_hash TEXT PRIMARY KEY, format TEXT NOT NULL, ledger_id TEXT NOT NULL, size INTEGER NOT NULL,
    root_hash TEXT NOT NULL, timestamp TEXT NOT NULL, party TEXT NOT NULL, key_fingerprint TEXT NOT NULL,
    public_key TEXT NOT NULL, signature TEXT NOT NULL) STRICT""",
    """CREATE TABLE IF NOT EXISTS cosignatures (
    checkpoint_hash TEXT NOT NULL REFERENCES checkpoints (checkpoint_hash), party TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL, public_key TEXT NOT NULL, timestamp TEXT NOT NULL, signature TEXT NOT NULL,
    PRIMARY KEY (checkpoint_hash, key_fingerprint)) STRICT""",
    """CREATE TRIGGER IF NOT EXISTS checkpoints_no_update BEFORE UPDATE ON checkpoints
    BEGIN SELECT RAISE(ABORT, 'bmdcheck ledger checkpoints are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS checkpoints_no_delete BEFORE DELETE ON checkpoints
    BEGIN SELECT RAISE(ABORT, 'bmdcheck ledger checkpoints are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS cosignatures_no_update BEFORE UPDATE ON cosignatures
    BEGIN SELECT RAISE(ABORT, 'bmdcheck ledger cosignatures are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS cosignatures_no_delete BEFORE DELETE ON cosignatures
    BEGIN SELECT RAISE(ABORT, 'bmdcheck ledger cosignatures are append-only'); END""",
)
_CP_COLUMNS = ("checkpoint_hash", "format", "ledger_id", "size", "root_hash", "timestamp", "party",
               "key_fingerprint", "public_key", "signature")
_COSIG_COLUMNS = ("party", "key_fingerprint", "public_key", "timestamp", "signature")

_SCHEMA = f"""
PRAGMA application_id = {APPLICATION_ID};
PRAGMA user_version = 2;
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
""" + "".join(s.strip() + ";\n" for s in _V2) + ""



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
                con.execute(stmt.rstrip(";"))
        con.execute("INSERT INTO meta VALUES ('format', ?), ('created', ?)", (FORMAT, utc_now()))
        con.execute("COMMIT")
    except sqlite3.Error as e:
        raise _cannot_write(path, e) from None
    finally:
        _close(con)


def _close(con) -> None:
    """Roll back what is still open (best effort: the file may be gone) and close the connection."""
    if con.in_transaction:
        try:
            con.execute("ROLLBACK")
        except sqlite3.Error:
            pass
    con.close()


def migrate(con) -> None:
    """Bring a schema-1 ledger to schema 2 inside the caller's write transaction (idempotent)."""
    if con.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
        for stmt in _V2:
            con.execute(stmt)
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _has_table(con, name: str) -> bool:
    return con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def _read_checkpoints(con) -> list[Checkpoint]:
    """Stored checkpoints, oldest first, each with its cosignatures (none in a schema-1 file)."""
    if not _has_table(con, "checkpoints"):
        return []
    cos: dict = {}
    for r in con.execute(f"SELECT checkpoint_hash, {', '.join(_COSIG_COLUMNS)} FROM cosignatures ORDER BY rowid"):
        cos.setdefault(r[0], []).append(Cosignature(*r[1:]))
    out = []
    for r in con.execute(f"SELECT {', '.join(_CP_COLUMNS)} FROM checkpoints ORDER BY rowid"):
        d = dict(zip(_CP_COLUMNS, r))
        out.append(Checkpoint(d["ledger_id"], d["size"], d["root_hash"], d["timestamp"], d["party"],
                              d["key_fingerprint"], d["public_key"], d["signature"],
                              tuple(cos.get(d["checkpoint_hash"], ())), d["format"]))
    return out


def store_checkpoint(con, cp: Checkpoint) -> int:
    """Insert ``cp`` (if new) and any cosignature not yet stored; returns the number of rows added."""
    h = cp.checkpoint_hash
    added = 0
    if con.execute("SELECT 1 FROM checkpoints WHERE checkpoint_hash = ?", (h,)).fetchone() is None:
        con.execute(f"INSERT INTO checkpoints ({', '.join(_CP_COLUMNS)}) VALUES ({', '.join('?' * len(_CP_COLUMNS))})",
                    (h, cp.format, cp.ledger_id, cp.size, cp.root_hash, cp.timestamp, cp.party,
                     cp.key_fingerprint, cp.public_key, cp.signature))
        added += 1
    have = {r[0] for r in con.execute("SELECT key_fingerprint FROM cosignatures WHERE checkpoint_hash = ?", (h,))}
    for c in cp.cosignatures:
        if c.key_fingerprint not in have:
            con.execute(f"INSERT INTO cosignatures (checkpoint_hash, {', '.join(_COSIG_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)",
                        (h, c.party, c.key_fingerprint, c.public_key, c.timestamp, c.signature))
            added += 1
    return added


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
            _close(con)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE); rolled back on any exception."""
        con = self._connect()
        try:
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                if write_failed(e):
                    raise
                raise BmdcheckError(f"{self.path}: cannot lock the ledger for writing ({e})") from None
            migrate(con)
            yield con
            con.execute("COMMIT")
        except sqlite3.IntegrityError as e:
            raise BmdcheckError(f"{self.path}: write refused ({e})") from None
        except sqlite3.Error as e:
            if write_failed(e):
                raise _cannot_write(self.path, e) from None
            raise _not_ledger(self.path, str(e)) from None
        finally:
            _close(con)

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

    def snapshot_all(self) -> tuple[list[Entry], dict[str, Party], list[Checkpoint]]:
        """Entries, parties and stored checkpoints, read in one transaction."""
        with self._read() as con:
            return self._entries(con), self._parties(con), _read_checkpoints(con)

    def checkpoints(self) -> list[Checkpoint]:
        """The checkpoints stored in the ledger, oldest first, with their cosignatures."""
        return self.snapshot_all()[2]

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
            entries, parties, cps = self._entries(con), self._parties(con), _read_checkpoints(con)
        return verify_chain(entries, parties, trusted, cps)

    # ---- appending
    def _verified(self, con, what: str) -> tuple[list[Entry], dict[str, Party]]:
        """Entries and parties, inside a write transaction, after checking the whole ledger verifies."""
        entries, parties = self._entries(con), self._parties(con)
        report = verify_chain(entries, parties, None, _read_checkpoints(con))
        if not report.ok:
            raise LedgerIntegrityError(f"{self.path} does not verify, refusing to {what}: {report.summary()}", report)
        return entries, parties

    def add_checkpoint(self, key: SigningKey, *, party: Optional[str] = None,
                       before_commit: Optional[Callable[[Checkpoint], None]] = None) -> Checkpoint:
        """Sign a checkpoint of the whole chain with ``key`` and store it; returns it.

        The signer need not be a party of the ledger; if its name is registered, the key must be
        that party's. Refuses an empty or tampered ledger. ``before_commit(cp)`` runs inside the
        transaction (e.g. to write the checkpoint file); if it raises, nothing is stored.
        """
        who = self._party_for(key, party)
        with self._write() as con:
            entries, parties = self._verified(con, "checkpoint")
            reg = parties.get(who)
            if reg is None:
                check_no_case_twin(who, parties)
            elif reg.fingerprint != key.fingerprint:
                raise BmdcheckError(f"party {who!r} is registered with key {reg.fingerprint[:16]}…; "
                                    f"this key is {key.fingerprint[:16]}…")
            cp = make_checkpoint(key, who, entries)
            store_checkpoint(con, cp)
            _fault("checkpoint-inserted")
            if before_commit is not None:
                before_commit(cp)
        return cp

    def record_checkpoint(self, cp: Checkpoint) -> int:
        """Store a checkpoint made elsewhere (e.g. cosigned by witnesses), after checking every signature
        and that this ledger extends it; returns the number of rows added (0: nothing new)."""
        problem = checkpoint_problem(cp)
        if problem:
            raise LedgerIntegrityError(f"the checkpoint does not verify: {problem}")
        with self._write() as con:
            entries, _ = self._verified(con, "record a checkpoint")
            status, why = compare(cp, entries)
            if status == "another-ledger":
                raise BmdcheckError(why)
            if status != "extends":
                raise LedgerIntegrityError(f"{self.path} does not extend the checkpoint: {why}")
            added = store_checkpoint(con, cp)
            _fault("checkpoint-inserted")
        return added

    def _append(self, key: SigningKey, kind: str, party: str, make_payload: Callable[[list[Entry]], str],
                verdict: Optional[str] = None, results_hash: Optional[str] = None) -> Entry:
        with self._write() as con:
            entries, parties = self._verified(con, "append")
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

    def commit(self, key: SigningKey, commitment: str, *, party: Optional[str] = None) -> Entry:
        """Append a commitment entry ``{"commitment": hex}`` (see :func:`commitment_of`), signed by ``key``."""
        if not isinstance(commitment, str) or not HEX64.fullmatch(commitment):
            raise BmdcheckError("a commitment must be a SHA-256: 64 lowercase hex digits")
        payload = canonical_json({"commitment": commitment})
        return self._append(key, "commitment", self._party_for(key, party), lambda _: payload)

    def reveal(self, key: SigningKey, seq: int, document: dict, salt: bytes, *, party: Optional[str] = None) -> Entry:
        """Append a reveal of commitment ``seq``: its document and salt, which anyone can check against it.

        Refuses (BmdcheckError) a seq that is not a commitment, another party's commitment, one already
        revealed, or a document and salt whose SHA-256 is not the commitment (a wrong salt or document).
        """
        who = self._party_for(key, party)
        if not isinstance(document, dict):
            raise BmdcheckError("a revealed document must be a table (a JSON object)")
        check_depth(document)
        if not isinstance(salt, bytes) or len(salt) != 32:
            raise BmdcheckError("the salt must be 32 bytes (64 hex digits)")
        check_seq(self.path, seq)

        def payload(entries: list[Entry]) -> str:
            if seq > len(entries):
                raise BmdcheckError(f"{self.path}: no entry with seq {seq}")
            target = entries[seq - 1]
            if target.kind != "commitment":
                raise BmdcheckError(f"seq {seq} is a{'n' if target.kind[0] in 'aeiou' else ''} {target.kind}, "
                                    f"not a commitment")
            if target.party != who:
                raise BmdcheckError(f"seq {seq} is {target.party!r}'s commitment; only its party can reveal it")
            for e in entries[seq:]:
                if e.kind == "reveal" and json.loads(e.payload).get("commitment_seq") == seq:
                    raise BmdcheckError(f"seq {seq} was already revealed by seq {e.seq}")
            if not reveal_matches(json.loads(target.payload)["commitment"], salt.hex(), document):
                raise BmdcheckError(f"the document and salt do not match the commitment of seq {seq} "
                                    f"(a wrong salt file or a different document)")
            return canonical_json({"commitment_seq": seq, "commitment_hash": target.entry_hash,
                                   "salt": salt.hex(), "document": document})

        return self._append(key, "reveal", who, payload)


def commitment_of(salt: bytes, document: dict) -> str:
    """SHA-256(salt || canonical JSON of ``document``), hex: what a commitment entry records."""
    check_depth(document)
    return sha256_hex(salt + canonical_json(document).encode("utf-8"))


def document_of(entry: Entry) -> dict:
    """The JSON document an entry's payload holds."""
    try:
        return json.loads(entry.payload)
    except (ValueError, TypeError, RecursionError):
        raise BmdcheckError(f"seq {entry.seq}: payload is not JSON") from None
