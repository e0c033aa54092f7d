"""`bmdcheck ledger ...`: the signed declaration ledger on the command line.

Exit codes: 0 done (and the ledger verifies), 1 the ledger (or an import file) does not verify,
2 bad input (missing file, not a ledger, wrong passphrase, unknown seq, ...). Format, algorithm and
threat model: docs/LEDGER.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .. import api
from ..errors import BmdcheckError
from ..errors import printable as _printable
from .app import JSON_HELP, emit_json
from .ledger_common import (_command, _entry_json, _integrity_exit, _key, _open, _passphrase, _receipt,
                            _say, _warn_if_tampered)

@_command("init")
def init_cmd(ledger: str = typer.Argument(..., metavar="LEDGER.db")):
    """Create a new, empty ledger file (refuses an existing file)."""
    api.ledger.init_ledger(ledger)
    _say(f"created empty ledger {ledger}")


@_command("keygen")
def keygen_cmd(party: str = typer.Option(..., "--party", help="Party name (letters, digits, ._@+-)."),
               out_path: str = typer.Option(..., "--out", metavar="KEYFILE", help="Private key file; KEYFILE.pub is written too.")):
    """Make an Ed25519 key pair; the private key is encrypted under a passphrase.

    The passphrase is asked for (hidden, twice), or read from $BMDCHECK_PASSPHRASE for scripts.
    """
    generate_key = api.ledger.generate_key
    api.ledger.check_party_name(party)
    key_path = Path(out_path)
    for p in (key_path, key_path.with_name(key_path.name + ".pub")):
        if p.exists():
            raise BmdcheckError(f"{p} already exists; refusing to overwrite it")
    k, pub, fp = generate_key(party, key_path, _passphrase(confirm=True))
    _say(f"wrote {k} (private, encrypted) and {pub} (public) for party {party}")
    _say(f"fingerprint {fp}")


@_command("declare")
def declare_cmd(ledger: str = typer.Argument(..., metavar="LEDGER.db"),
                scenario: str = typer.Argument(..., metavar="SCENARIO.toml"),
                key: str = typer.Option(..., "--key", metavar="KEYFILE"),
                party: Optional[str] = typer.Option(None, "--party", help="Default: the party named in the key file."),
                verdict: Optional[str] = typer.Option(None, "--verdict", help="Verdict of a rules check, e.g. PASS."),
                results_hash: Optional[str] = typer.Option(None, "--results-hash", help="SHA-256 of that check's results."),
                as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """Sign and append a scenario document (its TOML as canonical JSON)."""
    led = _open(ledger)
    doc = api.ledger.document_from_toml(scenario)
    api.load_scenario(scenario)   # a declaration is a valid scenario (FILE:LINE: FIELD: what is wrong)
    sk = _key(key)
    with _integrity_exit():
        e = led.declare(sk, doc, party=party, verdict=verdict, results_hash=results_hash)
    if as_json:
        emit_json(_entry_json(e, with_document=False))
    else:
        _receipt(e)


@_command("acknowledge")
def acknowledge_cmd(ledger: str = typer.Argument(..., metavar="LEDGER.db"),
                    seq: int = typer.Argument(..., metavar="SEQ", help="The declaration to countersign."),
                    key: str = typer.Option(..., "--key", metavar="KEYFILE"),
                    note: Optional[str] = typer.Option(None, "--note"),
                    party: Optional[str] = typer.Option(None, "--party", help="Default: the party named in the key file."),
                    as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """Countersign another party's declaration (and, through the chain, everything before it)."""
    led = _open(ledger)
    led.entry(seq)   # unknown seq: error before asking for a passphrase
    sk = _key(key)
    with _integrity_exit():
        e = led.acknowledge(sk, seq, note=note, party=party)
    if as_json:
        emit_json(_entry_json(e))
    else:
        _receipt(e)


@_command("log")
def log_cmd(ledger: str = typer.Argument(..., metavar="LEDGER.db"), as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """List the entries, oldest first, with the verification result (exit 1 if it fails)."""
    verify_chain = api.ledger.verify_chain
    led = _open(ledger)
    entries, parties = led.snapshot()
    rep = verify_chain(entries, parties)   # the same snapshot that is listed
    acks: dict = {}
    for e in entries:
        if e.kind == "acknowledgement":
            try:
                acks.setdefault(json.loads(e.payload).get("declaration_seq"), []).append(e.party)
            except (ValueError, AttributeError):
                pass
    if as_json:
        rows = []
        for e in entries:
            d = _entry_json(e, with_document=False)
            if e.kind == "declaration":
                d["acknowledged_by"] = acks.get(e.seq, [])
            else:
                d["document"] = json.loads(e.payload) if _is_json(e.payload) else None
            rows.append(d)
        emit_json({"ledger": str(led.path), "entries": rows,
                    "parties": [p.to_dict() for p in parties.values()], "verification": rep.to_dict()})
    else:
        rows = [("seq", "kind", "party", "timestamp (UTC)", "verdict", "payload sha256", "acknowledged by / of")]
        for e in entries:
            if e.kind == "declaration":
                rel = ", ".join(acks.get(e.seq, []))
            elif e.kind in ("commitment", "reveal"):
                d = json.loads(e.payload) if _is_json(e.payload) else {}
                rel = (f"reveals seq {d.get('commitment_seq')}" if e.kind == "reveal" and isinstance(d, dict)
                       else "sealed until revealed")
            else:
                d = json.loads(e.payload) if _is_json(e.payload) else {}
                rel = f"seq {d.get('declaration_seq')}" if isinstance(d, dict) else "?"
                if isinstance(d, dict) and d.get("note"):
                    rel += f": {json.dumps(d['note'], ensure_ascii=False)}"
            rows.append((e.seq, e.kind, e.party, e.timestamp, e.verdict or "-", str(e.payload_sha256)[:16] + "…", rel))
        rows = [[_printable(x) for x in r] for r in rows]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
        for r in rows:
            _say(("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1]).rstrip())
        _say(rep.summary())
    if not rep.ok:
        sys.exit(1)


def _is_json(text) -> bool:
    try:
        json.loads(text)
        return True
    except (ValueError, TypeError):
        return False


@_command("show")
def show_cmd(ledger: str = typer.Argument(..., metavar="LEDGER.db"), seq: int = typer.Argument(..., metavar="SEQ"),
             as_json: bool = typer.Option(False, "--json", help="The whole entry, with the document parsed.")):
    """Print the document an entry holds (indented JSON, keys sorted)."""
    document_of = api.ledger.document_of
    led = _open(ledger)
    e = led.entry(seq)
    doc = document_of(e)
    if as_json:
        emit_json(_entry_json(e))
    else:
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    if not _warn_if_tampered(led):
        sys.exit(1)


@_command("diff")
def diff_cmd(ledger: str = typer.Argument(..., metavar="LEDGER.db"),
             seq_a: int = typer.Argument(..., metavar="SEQ_A"), seq_b: int = typer.Argument(..., metavar="SEQ_B"),
             as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """What changed from declaration SEQ_A to SEQ_B, field by field (JSON path: old -> new)."""
    diff_documents, document_of = api.ledger.diff_documents, api.ledger.document_of
    led = _open(ledger)
    ea, eb = led.entry(seq_a), led.entry(seq_b)
    for e in (ea, eb):
        if e.kind != "declaration":
            raise BmdcheckError(f"seq {e.seq} is an {e.kind}, not a declaration")
    d = diff_documents(document_of(ea), document_of(eb))
    if as_json:
        emit_json({"a": seq_a, "b": seq_b, **d})
    else:
        def j(v):
            return json.dumps(v, ensure_ascii=False, sort_keys=True)

        lines = [f"~ {c['path']}: {j(c['old'])} -> {j(c['new'])}" for c in d["changed"]]
        lines += [f"+ {a['path']}: {j(a['new'])}" for a in d["added"]]
        lines += [f"- {r['path']}: {j(r['old'])}" for r in d["removed"]]
        sys.stdout.write(f"seq {seq_a} -> seq {seq_b}: {len(d['changed'])} changed, {len(d['added'])} added, "
                         f"{len(d['removed'])} removed\n" + "".join(line + "\n" for line in lines))
    if not _warn_if_tampered(led):
        sys.exit(1)


@_command("verify")
def verify_cmd(ledger: str = typer.Argument(..., metavar="LEDGER.db"),
               rerun: Optional[str] = typer.Option(None, "--rerun", metavar="RULES.toml",
                                                   help="Also re-run the rules for every recorded verdict."),
               trust: Optional[List[str]] = typer.Option(None, "--trust", metavar="PARTY.pub",
                                                         help="Pin a party's key (repeatable): its entries must use it."),
               checkpoint: Optional[List[str]] = typer.Option(
                   None, "--checkpoint", metavar="CP.json",
                   help="Also check the ledger extends this signed checkpoint (repeatable): exit 1 if it was "
                        "truncated, forked or rewritten."),
               as_json: bool = typer.Option(False, "--json", help=JSON_HELP)):
    """Check every hash, link, key fingerprint and signature. Exit 0 intact, 1 tampered, 2 bad input."""
    L = api.ledger  # noqa: N806
    read_checkpoint = L.read_checkpoint
    led = _open(ledger)
    cps = [(f, read_checkpoint(f)) for f in checkpoint or []]
    trusted = {}
    for f in trust or []:
        pk = L.load_public_key_file(f)
        if pk.party is None:
            raise BmdcheckError(f"{f}: names no party (no bmdcheck-party line)")
        if trusted.get(pk.party, pk.fingerprint) != pk.fingerprint:
            raise BmdcheckError(f"two different --trust keys for party {pk.party!r}")
        trusted[pk.party] = pk.fingerprint
    if rerun is not None and not Path(rerun).is_file():
        raise BmdcheckError(f"rules file not found: {rerun}")
    rep = led.verify(trusted or None)
    cp_results = [_check_checkpoint(f, cp, led, rep, trusted or None) for f, cp in cps]
    for r in cp_results:   # bad input, before anything is printed: one line, exit 2
        if r["status"] == "another-ledger":
            raise BmdcheckError(f"{r['file']}: {r['message']}")
    rr = None
    if rerun is not None and rep.ok:
        hook = api.ledger_rerun_hook()   # the rules engine's, if installed
        rr = L.rerun_declarations(led.entries(), rerun, hook)
    if as_json:
        doc = rep.to_dict()
        doc["ledger"] = str(led.path)
        if rerun is not None:
            doc["rerun"] = rr if rr is not None else {"available": None, "message": "not run: the chain does not verify"}
        if cps:
            doc["checkpoints"] = cp_results
        emit_json(doc)
    else:
        _say(rep.summary())
        if trusted:
            _say(f"trusted keys pinned for: {', '.join(sorted(trusted))}")
        for r in cp_results:
            _say(f"checkpoint {r['file']}: {r['status'].upper()}: {r['message']} (signed by {', '.join(r['signers'])})")
        if rr is not None:
            _say(f"rerun: {rr['message']}")
            for r in rr["results"]:
                if r["status"] != "match":
                    what = r["error"] or (f"recorded {r['recorded_verdict']} {r['recorded_results_hash']}, "
                                          f"re-run gives {r['rerun_verdict']} {r['rerun_results_hash']}")
                    _say(f"  seq {r['seq']}: {r['status']}: {what}")
    if not rep.ok or (rr is not None and rr["mismatches"]) or any(r["status"] in _CP_FAIL for r in cp_results):
        sys.exit(1)
    if rr is not None and rr["errors"]:
        sys.exit(2)


_CP_FAIL = ("truncated", "forked", "rewritten", "bad-signature")


def _check_checkpoint(path, cp, led, rep, trusted) -> dict:
    """Compare one checkpoint file with the ledger: {file, status, message, size, root_hash, signers}.

    status: extends | truncated | forked | rewritten (the chain does not verify) | bad-signature |
    another-ledger (the chain verifies but its first entry is not the checkpoint's ledger_id: exit 2).
    """
    checkpoint_problem, compare = api.ledger.checkpoint_problem, api.ledger.compare_checkpoint
    entries = led.entries()
    status, message = compare(cp, entries)
    if not rep.ok:   # a chain that does not verify was edited: even a changed first entry is "rewritten"
        if status != "truncated":
            status, message = "rewritten", f"rewritten: the ledger does not verify ({rep.summary()})"
    elif status != "another-ledger":
        problem = checkpoint_problem(cp, trusted)
        if problem:
            status, message = "bad-signature", f"the checkpoint does not verify: {problem}"
    return {"file": str(path), "status": status, "message": message, "size": cp.size, "root_hash": cp.root_hash,
            "signers": cp.signers()}


@_command("export")
def export_cmd(ledger: str = typer.Argument(..., metavar="LEDGER.db"), out_path: str = typer.Argument(..., metavar="OUT.json")):
    """Write the verified ledger (entries and parties' public keys) to one self-contained JSON file."""
    export_ledger = api.ledger.export_ledger
    led = _open(ledger)
    with _integrity_exit():
        doc = export_ledger(led, out_path)
    _say(f"exported {doc['n_entries']} entries and {len(doc['parties'])} parties to {out_path}; "
         f"head {doc['head_hash']}")


@_command("import")
def import_cmd(src: str = typer.Argument(..., metavar="IN.json"), ledger: str = typer.Argument(..., metavar="LEDGER.db")):
    """Verify an export file and write it into LEDGER.db (new, empty, or holding a prefix of its chain)."""
    import_ledger = api.ledger.import_ledger
    with _integrity_exit():
        res = import_ledger(src, ledger)
    what = "created" if res.created else "updated"
    _say(f"{what} {ledger}: {res.added} entries added, {res.total} in the chain; head {res.head_hash}")
