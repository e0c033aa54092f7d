"""A signed, append-only ledger of declarations (scenario documents) and acknowledgements.

Entries live in an SQLite file; each is hash-chained to the one before and signed with its party's
Ed25519 key; an RFC 9162 Merkle tree over them gives signed checkpoints, inclusion and consistency
proofs (:mod:`.merkle`, :mod:`.checkpoint`). Format, verification and threat model: docs/LEDGER.md.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from bmdcheck import ledger as L
    >>> from bmdcheck.api import scenario_file
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = L.generate_key("alice", d / "alice.key", "pass phrase")
    >>> led = L.init_ledger(d / "ledger.db")
    >>> key = L.load_signing_key(d / "alice.key", "pass phrase")
    >>> led.declare(key, L.document_from_toml(scenario_file("teaching-single-site"))).seq
    1
    >>> led.verify().ok
    True
"""

from __future__ import annotations

from typing import Callable, Optional

from . import merkle
from .canonical import canonical_json, document_from_toml, document_from_toml_text, sha256_hex
from .checkpoint import Checkpoint, Cosignature, checkpoint_json, checkpoint_problem, cosign, read_checkpoint
from .checkpoint import compare as compare_checkpoint
from .files import os_reason, write_atomic
from .diff import diff_documents
from .entry import FORMAT, GENESIS_HASH, Entry, Party
from .exchange import EXPORT_FORMAT, ImportResult, export_ledger, import_ledger, read_export
from .keys import (SigningKey, check_party_name, generate_key, key_needs_passphrase, load_public_key_file,
                   load_signing_key)
from .rerun import rerun_declarations
from .store import Ledger, LedgerIntegrityError, commitment_of, document_of, init_ledger
from .verify import VerifyReport, verify_chain

#: An override of the rules engine's hook ``(document, rules_path) -> (verdict, results_hash)``
#: (None: ``bmdcheck.api.ledger_rerun_hook()`` uses ``bmdcheck.guarantee.rerun_hook``).
#: ``bmdcheck ledger verify --rerun RULES.toml`` calls it for every declaration with a verdict.
rerun_hook: Optional[Callable[[dict, str], "tuple[str, str]"]] = None

__all__ = [
    "Checkpoint", "Cosignature", "checkpoint_json", "checkpoint_problem", "commitment_of", "merkle", "read_checkpoint",
    "check_party_name", "compare_checkpoint", "cosign", "os_reason", "write_atomic",
    "EXPORT_FORMAT", "FORMAT", "GENESIS_HASH", "Entry", "ImportResult", "Ledger", "LedgerIntegrityError",
    "Party", "SigningKey", "VerifyReport", "canonical_json", "diff_documents", "document_from_toml",
    "document_from_toml_text", "document_of", "export_ledger", "generate_key", "import_ledger", "init_ledger",
    "key_needs_passphrase", "load_public_key_file", "load_signing_key", "read_export", "rerun_declarations",
    "rerun_hook", "sha256_hex", "verify_chain",
]
