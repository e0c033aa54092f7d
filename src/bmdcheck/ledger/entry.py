"""One ledger entry and one party: the fields, what is hashed, what is signed.

``entry_hash`` = SHA-256 of the canonical JSON (see :mod:`.canonical`) of::

    {"format": "bmdcheck-ledger/1", "seq": int, "kind": str, "party": str, "timestamp": str,
     "payload_sha256": hex, "prev_hash": hex, "key_fingerprint": hex,
     "verdict": str | null, "results_hash": hex | null}

and ``signature`` = Ed25519(party's private key, bytes.fromhex(entry_hash)). The payload itself is
bound through ``payload_sha256``; the key through ``key_fingerprint`` = SHA-256 of the raw 32-byte
Ed25519 public key. docs/LEDGER.md states the same, with the reasons.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import asdict, dataclass
from typing import Optional

from .canonical import canonical_json, sha256_hex

FORMAT = "bmdcheck-ledger/1"
GENESIS_HASH = "0" * 64
KINDS = ("declaration", "acknowledgement", "commitment", "reveal")

HEX64 = re.compile(r"[0-9a-f]{64}")
HEX128 = re.compile(r"[0-9a-f]{128}")
PARTY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
VERDICT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")

ENTRY_FIELDS = ("seq", "kind", "party", "timestamp", "payload", "payload_sha256", "prev_hash",
                "key_fingerprint", "verdict", "results_hash", "entry_hash", "signature")
PARTY_FIELDS = ("name", "public_key", "fingerprint", "registered_at")


def utc_now() -> str:
    """The current UTC time as ISO-8601 with microseconds and a ``Z``: 2025-06-01T12:00:00.123456Z."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def valid_timestamp(text) -> bool:
    """True for a UTC ISO-8601 timestamp in the ledger's form (ending in Z) that names a real instant."""
    if not isinstance(text, str) or not TIMESTAMP.fullmatch(text):
        return False
    try:
        _dt.datetime.fromisoformat(text[:-1])
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Party:
    """A registered party: a name bound to one Ed25519 public key (raw 32 bytes, hex)."""

    name: str
    public_key: str
    fingerprint: str
    registered_at: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Entry:
    """One ledger entry, exactly as stored (all hashes lowercase hex)."""

    seq: int
    kind: str
    party: str
    timestamp: str
    payload: str
    payload_sha256: str
    prev_hash: str
    key_fingerprint: str
    verdict: Optional[str]
    results_hash: Optional[str]
    entry_hash: str
    signature: str

    def hashed_fields(self) -> dict:
        """The object whose canonical JSON is hashed into ``entry_hash``."""
        return hashed_fields(self.seq, self.kind, self.party, self.timestamp, self.payload_sha256,
                             self.prev_hash, self.key_fingerprint, self.verdict, self.results_hash)

    def computed_hash(self) -> str:
        """Recompute ``entry_hash`` from the stored fields."""
        return sha256_hex(canonical_json(self.hashed_fields()))

    def to_dict(self) -> dict:
        return asdict(self)


def hashed_fields(seq, kind, party, timestamp, payload_sha256, prev_hash, key_fingerprint,
                  verdict=None, results_hash=None) -> dict:
    """The signed content of an entry, as a dict (see the module docstring)."""
    return {"format": FORMAT, "seq": seq, "kind": kind, "party": party, "timestamp": timestamp,
            "payload_sha256": payload_sha256, "prev_hash": prev_hash, "key_fingerprint": key_fingerprint,
            "verdict": verdict, "results_hash": results_hash}
