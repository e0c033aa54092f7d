"""Signed checkpoints (tree heads) of the ledger's Merkle tree, and witnesses' cosignatures.

A checkpoint says "the ledger whose first entry is ``ledger_id`` had ``size`` entries, with Merkle
root ``root_hash`` (RFC 9162 §2.1, :mod:`.merkle`)", signed by a party. Its **signed content** is
the canonical JSON (:mod:`.canonical`) of::

    {"format": "bmdcheck-checkpoint/1", "ledger_id": hex, "size": int, "root_hash": hex,
     "timestamp": str, "party": str, "key_fingerprint": hex}

``checkpoint_hash`` = SHA-256 of that text, and ``signature`` = Ed25519 over its 32 bytes. A
witness's cosignature signs, the same way, the canonical JSON of::

    {"format": "bmdcheck-cosignature/1", "checkpoint_hash": hex, "party": str,
     "key_fingerprint": hex, "timestamp": str}

Each signature carries the signer's raw public key (``public_key``, hex), so a checkpoint file can
be checked with no ledger at hand; ``key_fingerprint`` = SHA-256 of it. docs/LEDGER.md,
"Transparency log", states the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping, Optional, Sequence

from ..errors import BmdcheckError
from . import merkle
from .canonical import canonical_json, sha256_hex
from .files import read_json_file
from .entry import HEX64, HEX128, PARTY_NAME, Entry, utc_now, valid_timestamp
from .keys import SigningKey, fingerprint, verify_signature

CHECKPOINT_FORMAT = "bmdcheck-checkpoint/1"
COSIGNATURE_FORMAT = "bmdcheck-cosignature/1"
CHECKPOINT_FIELDS = ("format", "ledger_id", "size", "root_hash", "timestamp", "party", "key_fingerprint",
                     "public_key", "signature", "cosignatures")
COSIGNATURE_FIELDS = ("party", "key_fingerprint", "public_key", "timestamp", "signature")
MAX_CHECKPOINT_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Cosignature:
    """A witness's signature on a checkpoint (all hex)."""

    party: str
    key_fingerprint: str
    public_key: str
    timestamp: str
    signature: str

    def signed_fields(self, checkpoint_hash: str) -> dict:
        return {"format": COSIGNATURE_FORMAT, "checkpoint_hash": checkpoint_hash, "party": self.party,
                "key_fingerprint": self.key_fingerprint, "timestamp": self.timestamp}

    def signed_hash(self, checkpoint_hash: str) -> str:
        return sha256_hex(canonical_json(self.signed_fields(checkpoint_hash)))

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in COSIGNATURE_FIELDS}


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head of one ledger, with any witnesses' cosignatures."""

    ledger_id: str
    size: int
    root_hash: str
    timestamp: str
    party: str
    key_fingerprint: str
    public_key: str
    signature: str
    cosignatures: tuple = field(default_factory=tuple)
    format: str = CHECKPOINT_FORMAT

    def signed_fields(self) -> dict:
        return {"format": self.format, "ledger_id": self.ledger_id, "size": self.size, "root_hash": self.root_hash,
                "timestamp": self.timestamp, "party": self.party, "key_fingerprint": self.key_fingerprint}

    @property
    def checkpoint_hash(self) -> str:
        """SHA-256 of the canonical JSON of the signed fields: what the signer signed."""
        return sha256_hex(canonical_json(self.signed_fields()))

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in CHECKPOINT_FIELDS if k != "cosignatures"}
        d["cosignatures"] = [c.to_dict() for c in self.cosignatures]
        return d

    def signers(self) -> list[str]:
        return [self.party] + [c.party for c in self.cosignatures]


def ledger_id_of(entries: Sequence[Entry]) -> str:
    """A ledger's name in checkpoints: the entry_hash of its first entry (BmdcheckError if it has none)."""
    if not entries:
        raise BmdcheckError("the ledger is empty: there is nothing to checkpoint")
    return entries[0].entry_hash


def tree_root(entries: Sequence[Entry], size: Optional[int] = None) -> str:
    """Merkle root (hex) of the first ``size`` entries (all by default); leaf = raw entry_hash bytes."""
    n = len(entries) if size is None else size
    return merkle.root([bytes.fromhex(e.entry_hash) for e in entries[:n]]).hex()


def prefix_roots_hex(entries: Sequence[Entry], sizes) -> dict[int, str]:
    """Merkle roots (hex) of the first ``size`` entries for each size (those <= len(entries)), in one pass."""
    n = len(entries)
    got = merkle.prefix_roots([bytes.fromhex(e.entry_hash) for e in entries], [s for s in sizes if 1 <= s <= n])
    return {k: v.hex() for k, v in got.items()}


def make_checkpoint(key: SigningKey, party: str, entries: Sequence[Entry]) -> Checkpoint:
    """Sign a checkpoint of the whole chain ``entries`` by ``key`` as ``party``."""
    cp = Checkpoint(ledger_id_of(entries), len(entries), tree_root(entries), utc_now(), party,
                    key.fingerprint, key.public_key_hex, "")
    return replace(cp, signature=key.sign_hash(cp.checkpoint_hash))


def cosign(cp: Checkpoint, key: SigningKey, party: str) -> Checkpoint:
    """Add ``key``'s cosignature (as ``party``). Refuses the checkpoint's own signer and a repeat witness."""
    if key.fingerprint == cp.key_fingerprint:
        raise BmdcheckError("this key signed the checkpoint; a cosignature must come from another key (a witness)")
    if any(c.key_fingerprint == key.fingerprint for c in cp.cosignatures):
        raise BmdcheckError("this key has already cosigned the checkpoint")
    if any(c.party == party for c in cp.cosignatures) or party == cp.party:
        raise BmdcheckError(f"party {party!r} has already signed the checkpoint (with another key)")
    c = Cosignature(party, key.fingerprint, key.public_key_hex, utc_now(), "")
    c = replace(c, signature=key.sign_hash(c.signed_hash(cp.checkpoint_hash)))
    return replace(cp, cosignatures=cp.cosignatures + (c,))


def _sig_problem(who: str, party, fp, pk, sig, ts, message_hex: str,
                 trusted: Optional[Mapping[str, str]]) -> Optional[str]:
    if not isinstance(party, str) or not PARTY_NAME.fullmatch(party):
        return f"{who}: party {party!r} is not a valid party name"
    if not (isinstance(pk, str) and len(pk) == 64 and HEX64.fullmatch(pk)):
        return f"{who}: public_key is not 32 bytes of lowercase hex"
    if not (isinstance(fp, str) and fingerprint(bytes.fromhex(pk)) == fp):
        return f"{who}: key_fingerprint is not the SHA-256 of its public_key"
    if not valid_timestamp(ts):
        return f"{who}: timestamp {ts!r} is not a UTC ISO-8601 time"
    if not (isinstance(sig, str) and HEX128.fullmatch(sig)):
        return f"{who}: signature is not 128 lowercase hex digits"
    if trusted and party in trusted and trusted[party] != fp:
        return f"{who}: signed by {fp[:16]}…, not the trusted key {trusted[party][:16]}… of party {party!r}"
    if not verify_signature(pk, sig, bytes.fromhex(message_hex)):
        return f"{who}: signature by {party!r} does not verify"
    return None


def checkpoint_problem(cp: Checkpoint, trusted: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """What is wrong with the checkpoint's own signature or any cosignature, or None if all verify."""
    problem = _sig_problem("checkpoint", cp.party, cp.key_fingerprint, cp.public_key, cp.signature, cp.timestamp,
                           cp.checkpoint_hash, trusted)
    if problem:
        return problem
    seen = {cp.key_fingerprint}
    for i, c in enumerate(cp.cosignatures):
        problem = _sig_problem(f"cosignature {i + 1}", c.party, c.key_fingerprint, c.public_key, c.signature,
                               c.timestamp, c.signed_hash(cp.checkpoint_hash), trusted)
        if problem:
            return problem
        if c.key_fingerprint in seen:
            return f"cosignature {i + 1}: the same key signs twice"
        seen.add(c.key_fingerprint)
    return None


def compare(cp: Checkpoint, entries: Sequence[Entry], roots: Optional[Mapping[int, str]] = None) -> tuple[str, str]:
    """Does the chain ``entries`` extend the checkpoint? (status, one-line explanation).

    status: ``"extends"``; ``"another-ledger"`` (its first entry is not the checkpoint's ledger_id);
    ``"truncated"`` (fewer entries than the checkpoint commits to); ``"forked"`` (a different root
    at the checkpoint's size: a different history of those entries, forked or rewritten).
    ``roots``: precomputed prefix roots by size (see :func:`prefix_roots_hex`), optional.
    """
    n = len(entries)
    if n and entries[0].entry_hash != cp.ledger_id:
        return "another-ledger", (f"the checkpoint is for another ledger (first entry {cp.ledger_id[:16]}…, "
                                  f"this ledger's is {entries[0].entry_hash[:16]}…)")
    if n < cp.size:
        gone = f"entry {cp.size}" if n + 1 == cp.size else f"entries {n + 1}-{cp.size}"
        return "truncated", (f"truncated: the checkpoint commits to {cp.size} entries, the ledger holds {n} "
                             f"({gone} removed)")
    root = roots[cp.size] if roots is not None and cp.size in roots else tree_root(entries, cp.size)
    if root != cp.root_hash:
        return "forked", (f"forked or rewritten: the first {cp.size} entries have root {root[:16]}…, the "
                          f"checkpoint's is {cp.root_hash[:16]}… (a different history of those entries)")
    return "extends", f"extends the checkpoint of size {cp.size} (root {cp.root_hash[:16]}…) with {n - cp.size} entries"


# ---- reading and writing checkpoint files ---------------------------------------------------------

def checkpoint_from_dict(d, where: str = "checkpoint") -> Checkpoint:
    """Parse a checkpoint object (as written by :meth:`Checkpoint.to_dict`); BmdcheckError if malformed."""
    if not isinstance(d, dict) or set(d) != set(CHECKPOINT_FIELDS):
        raise BmdcheckError(f"{where}: a checkpoint must have exactly the fields {', '.join(CHECKPOINT_FIELDS)}")
    if d["format"] != CHECKPOINT_FORMAT:
        raise BmdcheckError(f"{where}: format {d['format']!r}, expected {CHECKPOINT_FORMAT!r}")
    if type(d["size"]) is not int or not (1 <= d["size"] <= 2**63 - 1):
        raise BmdcheckError(f"{where}: size must be a whole number of entries, at least 1")
    for k in ("ledger_id", "root_hash", "key_fingerprint", "public_key"):
        if not isinstance(d[k], str) or not HEX64.fullmatch(d[k]):
            raise BmdcheckError(f"{where}: {k} must be 64 lowercase hex digits")
    for k in ("timestamp", "party", "signature"):
        if not isinstance(d[k], str):
            raise BmdcheckError(f"{where}: {k} must be text")
    if not isinstance(d["cosignatures"], list):
        raise BmdcheckError(f"{where}: cosignatures must be a list")
    cos = []
    for i, c in enumerate(d["cosignatures"]):
        if not isinstance(c, dict) or set(c) != set(COSIGNATURE_FIELDS) or not all(isinstance(v, str) for v in c.values()):
            raise BmdcheckError(f"{where}: cosignatures[{i}] must have exactly the text fields "
                                f"{', '.join(COSIGNATURE_FIELDS)}")
        cos.append(Cosignature(**c))
    return Checkpoint(d["ledger_id"], d["size"], d["root_hash"], d["timestamp"], d["party"], d["key_fingerprint"],
                      d["public_key"], d["signature"], tuple(cos), d["format"])


def read_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint JSON file; BmdcheckError (exit 2) if it is missing or not a checkpoint."""
    p = Path(path)
    d = read_json_file(p, MAX_CHECKPOINT_BYTES, missing="checkpoint file", too_big="larger than 1 MiB, not a checkpoint",
                       what="a checkpoint")
    return checkpoint_from_dict(d, str(p))


def checkpoint_json(cp: Checkpoint) -> str:
    return json.dumps(cp.to_dict(), indent=1) + "\n"
