"""Check a chain of entries: every hash, link, key fingerprint and signature, in order.

The algorithm (docs/LEDGER.md, "Verification"), for entry number i = 1, 2, ... in seq order:

1. its seq is i (a gap means an entry was removed; a repeat or reorder shows up in 4 or 5);
2. its fields have the right types and forms (hex lengths, kind, party name, UTC timestamp);
3. SHA-256(payload) = payload_sha256;
4. prev_hash = entry_hash of entry i-1 (64 zeros for i = 1);
5. entry_hash = SHA-256(canonical JSON of the hashed fields);
6. the party is registered, and SHA-256(its registered public key) = its registered fingerprint;
7. key_fingerprint = that registered fingerprint (and = the trusted key's, if one is pinned);
8. the signature verifies under the registered key over the 32 bytes of entry_hash;
9. the payload is canonical JSON; a declaration's is an object; an acknowledgement's names an
   earlier declaration by seq and entry_hash; a commitment's is ``{"commitment": hex}``; a
   reveal's names an earlier commitment of the same party by seq and entry_hash, and
   SHA-256(salt bytes || canonical JSON of its document) = that commitment.

The first failure stops the walk and is reported with its seq and what is wrong. Then every party
row, then every checkpoint stored in the ledger: its signatures verify and the chain extends it
(:func:`bmdcheck.ledger.checkpoint.compare`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Mapping, Optional, Sequence

from .canonical import is_canonical, sha256_hex
from .entry import (GENESIS_HASH, HEX64, HEX128, KINDS, PARTY_NAME, VERDICT, Entry, Party,
                    valid_timestamp)
from .keys import fingerprint, verify_signature


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :func:`verify_chain`. ``first_bad_seq`` is None when intact (or for a party-table fault)."""

    ok: bool
    n_entries: int
    n_declarations: int
    n_acknowledgements: int
    n_parties: int
    head_hash: str
    first_bad_seq: Optional[int] = None
    problem: Optional[str] = None
    checked: int = 0
    extra: dict = field(default_factory=dict)
    where: Optional[str] = None
    n_commitments: int = 0
    n_reveals: int = 0
    n_checkpoints: int = 0

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("extra")
        d.update(self.extra)
        return d

    def summary(self) -> str:
        """One line: 'intact: ...' or 'TAMPERED at seq N: what is wrong'."""
        if self.ok:
            more = "".join(f", {n} {what}" for n, what in ((self.n_commitments, "commitments"),
                                                          (self.n_reveals, "reveals")) if n)
            cps = f", {self.n_checkpoints} checkpoints" if self.n_checkpoints else ""
            return (f"intact: {self.n_entries} entries ({self.n_declarations} declarations, "
                    f"{self.n_acknowledgements} acknowledgements{more}) from {self.n_parties} parties{cps}; "
                    f"head {self.head_hash}")
        where = self.where or (f"seq {self.first_bad_seq}" if self.first_bad_seq is not None else "parties table")
        return f"TAMPERED at {where}: {self.problem}"


def _party_key_problem(party: Party) -> Optional[str]:
    if not (isinstance(party.public_key, str) and len(party.public_key) == 64):
        return f"party {party.name!r}: registered public key is not 32 bytes of hex"
    try:
        raw = bytes.fromhex(party.public_key)
    except ValueError:
        return f"party {party.name!r}: registered public key is not hex"
    if fingerprint(raw) != party.fingerprint:
        return f"party {party.name!r}: registered public key does not match its registered fingerprint"
    return None


def _form_problem(e: Entry) -> Optional[str]:
    if e.kind not in KINDS:
        return f"kind {e.kind!r} is not one of {', '.join(KINDS)}"
    if not isinstance(e.party, str) or not PARTY_NAME.fullmatch(e.party):
        return f"party {e.party!r} is not a valid party name"
    if not valid_timestamp(e.timestamp):
        return f"timestamp {e.timestamp!r} is not a UTC ISO-8601 time"
    if not isinstance(e.payload, str):
        return "payload is not text"
    for name in ("payload_sha256", "prev_hash", "key_fingerprint", "entry_hash"):
        v = getattr(e, name)
        if not isinstance(v, str) or not HEX64.fullmatch(v):
            return f"{name} is not 64 lowercase hex digits"
    if not isinstance(e.signature, str) or not HEX128.fullmatch(e.signature):
        return "signature is not 128 lowercase hex digits"
    if e.verdict is not None and (not isinstance(e.verdict, str) or not VERDICT.fullmatch(e.verdict)):
        return f"verdict {e.verdict!r} is not a valid verdict"
    if e.results_hash is not None and (not isinstance(e.results_hash, str) or not HEX64.fullmatch(e.results_hash)):
        return "results_hash is not 64 lowercase hex digits"
    if e.kind != "declaration" and (e.verdict is not None or e.results_hash is not None):
        return f"an {e.kind} carries a verdict or results_hash"
    return None


def _payload_problem(e: Entry, by_seq: Mapping[int, Entry]) -> Optional[str]:
    if not is_canonical(e.payload):
        return "payload is not canonical JSON"
    doc = json.loads(e.payload)
    if not isinstance(doc, dict):
        return "payload is not a JSON object"
    if e.kind == "declaration":
        return None
    if e.kind == "commitment":
        if set(doc) != {"commitment"} or not isinstance(doc["commitment"], str) or not HEX64.fullmatch(doc["commitment"]):
            return "commitment payload must be {\"commitment\": <64 hex digits>}"
        return None
    if e.kind == "reveal":
        return _reveal_problem(e, doc, by_seq)
    if set(doc) - {"declaration_seq", "declaration_hash", "note"} or not {"declaration_seq", "declaration_hash"} <= set(doc):
        return "acknowledgement payload must hold declaration_seq, declaration_hash and optionally note"
    ref = doc["declaration_seq"]
    target = _earlier(by_seq, ref, e.seq, "declaration")
    if target is None:
        return f"acknowledges seq {ref!r}, which is not an earlier declaration"
    if doc["declaration_hash"] != target.entry_hash:
        return f"acknowledges a declaration hash that is not seq {ref}'s entry_hash"
    if "note" in doc and not isinstance(doc["note"], str):
        return "acknowledgement note is not text"
    return None


def _earlier(by_seq: Mapping[int, Entry], ref, seq: int, kind: str) -> Optional[Entry]:
    """Entry number ``ref`` if it is an entry of this kind before ``seq``, else None."""
    target = by_seq.get(ref) if type(ref) is int and ref < seq else None
    return target if target is not None and target.kind == kind else None


def reveal_matches(commitment_hex: str, salt_hex: str, document) -> bool:
    """True if SHA-256(salt bytes || canonical JSON of ``document``) = ``commitment_hex``."""
    from .canonical import canonical_json

    try:
        return sha256_hex(bytes.fromhex(salt_hex) + canonical_json(document).encode("utf-8")) == commitment_hex
    except (ValueError, TypeError):
        return False


def _reveal_problem(e: Entry, doc: dict, by_seq: Mapping[int, Entry]) -> Optional[str]:
    if set(doc) != {"commitment_seq", "commitment_hash", "salt", "document"}:
        return "reveal payload must hold exactly commitment_seq, commitment_hash, salt and document"
    ref = doc["commitment_seq"]
    target = _earlier(by_seq, ref, e.seq, "commitment")
    if target is None:
        return f"reveals seq {ref!r}, which is not an earlier commitment"
    if doc["commitment_hash"] != target.entry_hash:
        return f"reveals a commitment hash that is not seq {ref}'s entry_hash"
    if target.party != e.party:
        return f"reveals seq {ref}, a commitment of party {target.party!r}, not its own"
    if not isinstance(doc["salt"], str) or not HEX64.fullmatch(doc["salt"]) or not isinstance(doc["document"], dict):
        return "reveal salt must be 64 hex digits and its document an object"
    if not reveal_matches(json.loads(target.payload)["commitment"], doc["salt"], doc["document"]):
        return f"the revealed document and salt do not match the commitment of seq {ref}"
    return None


def check_entry(e: Entry, expected_seq: int, prev_hash: str, parties: Mapping[str, Party],
                by_seq: Mapping[int, Entry], trusted: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """What is wrong with entry ``e`` at position ``expected_seq`` of the chain, or None."""
    if type(e.seq) is not int:
        return f"seq {e.seq!r} is not an integer"
    if e.seq != expected_seq:
        if e.seq > expected_seq:
            return f"entry {expected_seq} is missing (the next stored entry is seq {e.seq})"
        return f"seq {e.seq} appears where seq {expected_seq} belongs"
    problem = _form_problem(e)
    if problem:
        return problem
    if sha256_hex(e.payload) != e.payload_sha256:
        return "payload does not match its payload_sha256 (the document was altered)"
    if e.prev_hash != prev_hash:
        return (f"prev_hash does not match entry {expected_seq - 1}'s entry_hash (an entry was removed, "
                f"inserted or reordered)" if expected_seq > 1 else "prev_hash of the first entry is not 64 zeros")
    if e.computed_hash() != e.entry_hash:
        return "entry_hash does not match the entry's content (seq, kind, party, timestamp, verdict, ... altered)"
    party = parties.get(e.party)
    if party is None:
        return f"party {e.party!r} is not registered"
    problem = _party_key_problem(party)
    if problem:
        return problem
    if e.key_fingerprint != party.fingerprint:
        return (f"signed with key {e.key_fingerprint[:16]}…, not the registered key {party.fingerprint[:16]}… "
                f"of party {e.party!r}")
    if trusted and e.party in trusted and trusted[e.party] != party.fingerprint:
        return (f"the registered key {party.fingerprint[:16]}… of party {e.party!r} is not the trusted key "
                f"{trusted[e.party][:16]}…")
    if not verify_signature(party.public_key, e.signature, bytes.fromhex(e.entry_hash)):
        return f"signature does not verify under the registered key of party {e.party!r}"
    return _payload_problem(e, by_seq)


def verify_chain(entries: Sequence[Entry], parties: Mapping[str, Party],
                 trusted: Optional[Mapping[str, str]] = None, checkpoints: Sequence = ()) -> VerifyReport:
    """Walk the chain in seq order and report the first bad entry (see the module docstring).

    ``parties``: name -> Party as registered; ``trusted``: optional name -> fingerprint pinned from
    ``.pub`` files the verifier got out of band (a party named there must have exactly that key).
    """
    n_decl = sum(1 for e in entries if e.kind == "declaration")
    counts = dict(n_entries=len(entries), n_declarations=n_decl,
                  n_acknowledgements=sum(1 for e in entries if e.kind == "acknowledgement"),
                  n_commitments=sum(1 for e in entries if e.kind == "commitment"),
                  n_reveals=sum(1 for e in entries if e.kind == "reveal"), n_checkpoints=len(checkpoints),
                  n_parties=len(parties))
    prev = GENESIS_HASH
    by_seq: dict = {}
    for i, e in enumerate(entries, start=1):
        problem = check_entry(e, i, prev, parties, by_seq, trusted)
        if problem:
            return VerifyReport(False, head_hash=prev, first_bad_seq=i, problem=problem, checked=i - 1, **counts)
        by_seq[e.seq] = e
        prev = e.entry_hash
    for name, party in parties.items():
        problem = None
        if party.name != name or not isinstance(name, str) or not PARTY_NAME.fullmatch(name):
            problem = f"party {name!r} is not a valid party name"
        problem = problem or _party_key_problem(party)
        if not problem and not valid_timestamp(party.registered_at):
            problem = f"party {name!r}: registered_at is not a UTC ISO-8601 time"
        if not problem and trusted and name in trusted and trusted[name] != party.fingerprint:
            problem = f"the registered key of party {name!r} is not the trusted key"
        if problem:
            return VerifyReport(False, head_hash=prev, problem=problem, checked=len(entries), **counts)
    roots = None
    for i, cp in enumerate(checkpoints, start=1):
        from .checkpoint import checkpoint_problem, compare, prefix_roots_hex

        if roots is None:   # every entry passed its checks, so every entry_hash is 64 hex digits
            roots = prefix_roots_hex(entries, {c.size for c in checkpoints})
        problem = checkpoint_problem(cp, trusted)
        if problem is None:
            status, why = compare(cp, entries, roots)
            problem = None if status == "extends" else why
        if problem:
            return VerifyReport(False, head_hash=prev, problem=problem, checked=len(entries),
                                where=f"stored checkpoint {i} (size {cp.size})", **counts)
    if trusted:
        missing = sorted(set(trusted) - set(parties))
        if missing:
            return VerifyReport(True, head_hash=prev, checked=len(entries),
                                extra={"trusted_parties_absent": missing}, **counts)
    return VerifyReport(True, head_hash=prev, checked=len(entries), **counts)
