"""`bmdcheck ledger checkpoint | cosign | prove | consistency | commit | reveal`: the ledger as a
transparency log (RFC 9162 Merkle tree, signed checkpoints, witnesses' cosignatures, proofs) and
commit-and-reveal. Exit codes as for every ledger command: 0 done, 1 does not verify, 2 bad input.
Formats and algorithms: docs/LEDGER.md, "Transparency log" and "Commit and reveal".
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Optional

import typer

from .. import api
from ..errors import BmdcheckError
from .app import emit_json
from .ledger_common import _command, _entry_json, _integrity_exit, _key, _open, _receipt, _say


def _tree(led):
    """Entries of a ledger that verifies (stored checkpoints included); exit 1 otherwise."""
    LedgerIntegrityError, verify_chain = api.ledger.LedgerIntegrityError, api.ledger.verify_chain

    entries, parties, cps = led.snapshot_all()
    rep = verify_chain(entries, parties, None, cps)
    if not rep.ok:
        with _integrity_exit():
            raise LedgerIntegrityError(f"{led.path} does not verify: {rep.summary()}", rep)
    if not entries:
        raise BmdcheckError(f"{led.path} is empty: there is no tree to prove anything in")
    return entries


def _size(n: int, size: Optional[int]) -> int:
    if size is None:
        return n
    if not (1 <= size <= n):
        raise BmdcheckError(f"--size must be 1 to {n} (the ledger holds {n} entries), got "
                            f"{size if abs(size) < 10**30 else 'a number out of range'}")
    return size


def _refuse_existing(path) -> None:
    if path is not None and os.path.lexists(path):
        raise BmdcheckError(f"{path} already exists; refusing to overwrite it")


@_command("checkpoint")
def checkpoint_cmd(ledger: str = typer.Argument(..., metavar="LEDGER.db"),
                   key: str = typer.Option(..., "--key", metavar="KEYFILE"),
                   party: Optional[str] = typer.Option(None, "--party", help="Default: the party named in the key file."),
                   out_path: Optional[str] = typer.Option(None, "--out", metavar="CP.json",
                                                         help="Also write the checkpoint to this (new) file."),
                   as_json: bool = typer.Option(False, "--json")):
    """Sign a checkpoint {size, root_hash} of the ledger's Merkle tree and store it in the ledger."""
    checkpoint_json, write_atomic = api.ledger.checkpoint_json, api.ledger.write_atomic

    led = _open(ledger)
    _refuse_existing(out_path)
    if out_path is not None and not Path(out_path).parent.is_dir():
        raise BmdcheckError(f"folder not found: {Path(out_path).parent}")
    sk = _key(key)

    def write(cp):
        if out_path is not None:
            write_atomic(out_path, checkpoint_json(cp).encode("utf-8"), overwrite=False)

    with _integrity_exit():
        cp = led.add_checkpoint(sk, party=party, before_commit=write)
    if as_json:
        emit_json(cp.to_dict())
    else:
        _say(f"checkpoint of {led.path}: size {cp.size}, root {cp.root_hash}, signed by {cp.party} at {cp.timestamp}")
        if out_path is not None:
            _say(f"  written to {out_path}; give it to witnesses to cosign (`bmdcheck ledger cosign`)")


@_command("cosign")
def cosign_cmd(cp_path: str = typer.Argument(..., metavar="CP.json"),
               key: str = typer.Option(..., "--key", metavar="KEYFILE"),
               party: Optional[str] = typer.Option(None, "--party", help="Default: the party named in the key file."),
               ledger: Optional[str] = typer.Option(None, "--ledger", metavar="LEDGER.db",
                                                    help="Check the ledger extends the checkpoint, and store the "
                                                         "cosigned checkpoint in it."),
               out_path: Optional[str] = typer.Option(None, "--out", metavar="OUT.json",
                                                      help="Write the cosigned checkpoint here (new file) instead "
                                                           "of updating CP.json in place.")):
    """Add a witness's signature to a checkpoint file (after checking the signatures already on it)."""
    L = api.ledger  # noqa: N806
    LedgerIntegrityError, checkpoint_json, checkpoint_problem = L.LedgerIntegrityError, L.checkpoint_json, L.checkpoint_problem
    compare, cosign, read_checkpoint = L.compare_checkpoint, L.cosign, L.read_checkpoint
    write_atomic, check_party_name = L.write_atomic, L.check_party_name

    cp = read_checkpoint(cp_path)
    _refuse_existing(out_path)
    folder = Path(out_path or cp_path).parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise BmdcheckError(f"cannot write in {folder}: the cosigned checkpoint could not be saved")
    led = _open(ledger) if ledger is not None else None
    with _integrity_exit():
        problem = checkpoint_problem(cp)
        if problem:
            raise LedgerIntegrityError(f"{cp_path} does not verify, refusing to cosign: {problem}")
        if led is not None:
            status, why = compare(cp, led.entries())
            if status == "another-ledger":
                raise BmdcheckError(f"{cp_path}: {why}")
            if status != "extends":
                raise LedgerIntegrityError(f"{led.path} does not extend {cp_path}: {why}")
    sk = _key(key)
    who = party or sk.party
    if who is None:
        raise BmdcheckError("the key file names no party: give --party NAME")
    check_party_name(who)
    if sk.party is not None and party is not None and sk.party != party:
        raise BmdcheckError(f"the key file belongs to party {sk.party!r}, not {party!r}")
    new = cosign(cp, sk, who)
    if led is not None:
        with _integrity_exit():
            led.record_checkpoint(new)
    dest = out_path or cp_path
    write_atomic(dest, checkpoint_json(new).encode("utf-8"), overwrite=out_path is None)
    _say(f"cosigned by {who}: checkpoint of size {new.size}, root {new.root_hash}; "
         f"{len(new.cosignatures)} cosignature(s) in {dest}" + (f" and in {led.path}" if led is not None else ""))


def _leaves(ledger: str, size, k: int, name: str, what: str):
    """The ledger's entries, the tree size N (--size or all) and the N leaves; K must be in 1..N."""
    entries = _tree(_open(ledger))
    n = _size(len(entries), size)
    if not (1 <= k <= n):
        raise BmdcheckError(f"{name} must be 1 to {n}{what}, got {k if abs(k) < 10**30 else 'a number out of range'}")
    return entries, n, [bytes.fromhex(e.entry_hash) for e in entries[:n]]


@_command("prove")
def prove_cmd(ledger: str = typer.Argument(..., metavar="LEDGER.db"),
              seq: int = typer.Argument(..., metavar="SEQ", help="The entry to prove."),
              size: Optional[int] = typer.Option(None, "--size", metavar="N", help="Tree size (default: all entries)."),
              as_json: bool = typer.Option(False, "--json")):
    """Inclusion proof (RFC 9162 audit path) of entry SEQ in the tree of the first N entries."""
    merkle = api.ledger.merkle

    entries, n, leaves = _leaves(ledger, size, seq, "SEQ", " (the tree size)")
    doc = {"leaf_index": seq - 1, "tree_size": n, "root_hash": merkle.root(leaves).hex(),
           "audit_path": [h.hex() for h in merkle.inclusion_path(seq - 1, leaves)]}
    if as_json:
        emit_json(doc)
    else:
        _say(f"entry seq {seq} (leaf {seq - 1}, leaf = its entry_hash {entries[seq - 1].entry_hash}) is in the tree "
             f"of size {n} with root {doc['root_hash']}")
        for i, h in enumerate(doc["audit_path"]):
            _say(f"  audit_path[{i}] {h}")


@_command("consistency")
def consistency_cmd(ledger: str = typer.Argument(..., metavar="LEDGER.db"),
                    old_size: int = typer.Argument(..., metavar="OLD_SIZE"),
                    size: Optional[int] = typer.Option(None, "--size", metavar="N", help="New tree size (default: all)."),
                    as_json: bool = typer.Option(False, "--json")):
    """Consistency proof (RFC 9162) that the tree of OLD_SIZE entries is a prefix of the tree of N."""
    merkle = api.ledger.merkle

    _, n, leaves = _leaves(ledger, size, old_size, "OLD_SIZE", "")
    doc = {"first": old_size, "second": n, "first_root": merkle.root(leaves[:old_size]).hex(),
           "second_root": merkle.root(leaves).hex(),
           "proof": [h.hex() for h in merkle.consistency_proof(old_size, leaves)]}
    if as_json:
        emit_json(doc)
    else:
        _say(f"the tree of {old_size} entries (root {doc['first_root']}) is a prefix of the tree of {n} "
             f"(root {doc['second_root']})")
        for i, h in enumerate(doc["proof"]):
            _say(f"  proof[{i}] {h}")


_SALT = re.compile(r"[0-9a-f]{64}")


def _read_salt(path: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise BmdcheckError(f"salt file not found: {p}")
    if p.stat().st_size > 4096:
        raise BmdcheckError(f"{p}: not a salt file (larger than 4 KiB)")
    try:
        text = p.read_text(encoding="ascii").strip().lower()
    except UnicodeDecodeError:
        raise BmdcheckError(f"{p}: not a salt file (not ASCII text)") from None
    if not _SALT.fullmatch(text):
        raise BmdcheckError(f"{p}: not a salt file (expected 64 hex digits, as `ledger commit` writes)")
    return bytes.fromhex(text)


@_command("commit")
def commit_cmd(ledger: str = typer.Argument(..., metavar="LEDGER.db"),
               document: str = typer.Argument(..., metavar="FILE.toml"),
               key: str = typer.Option(..., "--key", metavar="KEYFILE"),
               salt_out: Optional[str] = typer.Option(None, "--salt-out", metavar="SALT",
                                                      help="Where to keep the salt (new file; default FILE.toml.salt)."),
               party: Optional[str] = typer.Option(None, "--party", help="Default: the party named in the key file."),
               as_json: bool = typer.Option(False, "--json")):
    """Commit to a document without showing it: record SHA-256(random salt || canonical document)."""
    L = api.ledger  # noqa: N806
    document_from_toml, write_atomic, commitment_of = L.document_from_toml, L.write_atomic, L.commitment_of

    led = _open(ledger)
    doc = document_from_toml(document)
    salt_path = Path(salt_out) if salt_out is not None else Path(document + ".salt")
    _refuse_existing(salt_path)
    sk = _key(key)
    salt = os.urandom(32)
    commitment = commitment_of(salt, doc)
    write_atomic(salt_path, (salt.hex() + "\n").encode("ascii"), mode=0o600, overwrite=False)
    try:
        with _integrity_exit():
            e = led.commit(sk, commitment, party=party)
    except BaseException:
        salt_path.unlink(missing_ok=True)
        raise
    if as_json:
        emit_json({**_entry_json(e), "salt_file": str(salt_path)})
    else:
        _receipt(e)
        _say(f"  commitment     {commitment}")
        _say(f"  salt kept in {salt_path} (private: reveal it only with the document)")


@_command("reveal")
def reveal_cmd(ledger: str = typer.Argument(..., metavar="LEDGER.db"),
               seq: int = typer.Argument(..., metavar="SEQ", help="The commitment to reveal."),
               document: str = typer.Argument(..., metavar="FILE.toml"),
               salt_file: str = typer.Option(..., "--salt-file", metavar="SALT"),
               key: str = typer.Option(..., "--key", metavar="KEYFILE"),
               party: Optional[str] = typer.Option(None, "--party", help="Default: the party named in the key file."),
               as_json: bool = typer.Option(False, "--json")):
    """Reveal a committed document: append it with its salt; anyone can check it against the commitment."""
    document_from_toml = api.ledger.document_from_toml

    led = _open(ledger)
    target = led.entry(seq)
    if target.kind != "commitment":
        raise BmdcheckError(f"seq {seq} is a{'n' if target.kind[0] in 'aeiou' else ''} {target.kind}, not a commitment")
    doc = document_from_toml(document)
    salt = _read_salt(salt_file)
    sk = _key(key)
    with _integrity_exit():
        e = led.reveal(sk, seq, doc, salt, party=party)
    if as_json:
        emit_json(_entry_json(e))
    else:
        _receipt(e)
        _say(f"  reveals the commitment of seq {seq}: SHA-256(salt || document) matches")
