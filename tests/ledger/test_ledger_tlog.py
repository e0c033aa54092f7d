"""Issue 14: the ledger as a transparency log. Checkpoints, witnesses' cosignatures, proofs checked
by the minimal verifier of test_ledger_merkle (hashlib only), truncated / forked / rewritten ledgers
rejected against an earlier cosigned checkpoint, commit and reveal, exports, migration, crashes."""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from ledger_helpers import PASSPHRASE, doc, file_sha, raw_sql, rows
from test_ledger_merkle import mini_root, mini_verify_consistency, mini_verify_inclusion

from bmdcheck import ledger as L
from bmdcheck.ledger import store


def _one_error_line(err: str) -> bool:
    return err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


def _canon(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def independent_check(cp: dict, entry_hashes: list) -> None:
    """Check a checkpoint JSON as docs/LEDGER.md describes it, with hashlib and cryptography only."""
    signed = {k: cp[k] for k in ("format", "ledger_id", "size", "root_hash", "timestamp", "party", "key_fingerprint")}
    h = hashlib.sha256(_canon(signed)).digest()
    assert hashlib.sha256(bytes.fromhex(cp["public_key"])).hexdigest() == cp["key_fingerprint"]
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(cp["public_key"])).verify(bytes.fromhex(cp["signature"]), h)
    for c in cp["cosignatures"]:
        ch = hashlib.sha256(_canon({"format": "bmdcheck-cosignature/1", "checkpoint_hash": h.hex(), "party": c["party"],
                                    "key_fingerprint": c["key_fingerprint"], "timestamp": c["timestamp"]})).digest()
        assert hashlib.sha256(bytes.fromhex(c["public_key"])).hexdigest() == c["key_fingerprint"]
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(c["public_key"])).verify(bytes.fromhex(c["signature"]), ch)
    assert cp["ledger_id"] == entry_hashes[0]
    assert cp["root_hash"] == mini_root([bytes.fromhex(x) for x in entry_hashes[:cp["size"]]]).hex()


def _hashes(db) -> list:
    return [r[0] for r in sqlite3.connect(db).execute("SELECT entry_hash FROM entries ORDER BY seq")]


@pytest.fixture
def witnessed(tmp_path, keys, keydir, cli, passphrase_env):
    """A 3-entry ledger, a copy taken at 2 entries (for a fork), and cp3.json signed by alice, cosigned by bob."""
    led = L.init_ledger(tmp_path / "l.db")
    led.declare(keys["alice"], doc(1))
    led.declare(keys["bob"], doc(2))
    shutil.copy(led.path, tmp_path / "at2.db")
    led.acknowledge(keys["bob"], 1)
    cp = tmp_path / "cp3.json"
    code, _, err = cli("ledger", "checkpoint", led.path, "--key", keydir / "alice.key", "--out", cp)
    assert code == 0, err
    code, _, err = cli("ledger", "cosign", cp, "--key", keydir / "mallory.key", "--ledger", led.path)
    assert code == 0, err
    led.declare(keys["alice"], doc(4))
    return led, cp


def test_checkpoint_json_and_signatures_as_documented(witnessed):
    led, cp = witnessed
    d = json.loads(cp.read_text())
    assert set(d) >= {"format", "size", "root_hash", "timestamp", "party", "key_fingerprint", "signature"}
    assert (d["format"], d["size"], d["party"], [c["party"] for c in d["cosignatures"]]) == (
        "bmdcheck-checkpoint/1", 3, "alice", ["mallory"])
    independent_check(d, _hashes(led.path))
    stored = led.checkpoints()
    assert [c.to_dict() for c in stored] == [d]   # the ledger keeps it, with the cosignature


def test_verify_against_a_cosigned_checkpoint(witnessed, cli):
    led, cp = witnessed
    code, out, err = cli("ledger", "verify", led.path, "--checkpoint", cp)
    assert code == 0 and "EXTENDS" in out and "alice, mallory" in out, (out, err)
    code, out, _ = cli("ledger", "verify", led.path, "--checkpoint", cp, "--json")
    r = json.loads(out)["checkpoints"][0]
    assert code == 0 and (r["status"], r["size"], r["signers"]) == ("extends", 3, ["alice", "mallory"])


def test_truncated_ledger_is_rejected(witnessed, tmp_path, cli):
    led, cp = witnessed
    cut = tmp_path / "cut.db"
    shutil.copy(led.path, cut)
    raw_sql(cut, "DELETE FROM entries WHERE seq > 2", "DROP TRIGGER IF EXISTS cosignatures_no_delete",
            "DROP TRIGGER IF EXISTS checkpoints_no_delete", "DELETE FROM cosignatures", "DELETE FROM checkpoints")
    code, out, _ = cli("ledger", "verify", cut)
    assert code == 0 and "intact: 2 entries" in out      # alone, a cut tail leaves a valid chain ...
    code, out, _ = cli("ledger", "verify", cut, "--checkpoint", cp)
    assert code == 1 and "TRUNCATED" in out and "commits to 3 entries, the ledger holds 2" in out, out
    # ... and a cut that leaves the stored checkpoint behind fails on its own
    cut2 = tmp_path / "cut2.db"
    shutil.copy(led.path, cut2)
    raw_sql(cut2, "DELETE FROM entries WHERE seq > 2")
    code, out, _ = cli("ledger", "verify", cut2)
    assert code == 1 and "TAMPERED at stored checkpoint 1 (size 3): truncated" in out, out


def test_forked_ledger_is_rejected(witnessed, tmp_path, keys, cli):
    """Same keys, same first 2 entries, a different third: the root at size 3 differs."""
    led, cp = witnessed
    fork = L.Ledger(tmp_path / "at2.db")
    fork.declare(keys["bob"], doc(3, note="the other history"))
    fork.declare(keys["alice"], doc(4))
    assert fork.verify().ok and [e.entry_hash for e in fork.entries()[:2]] == [e.entry_hash for e in led.entries()[:2]]
    code, out, _ = cli("ledger", "verify", fork.path, "--checkpoint", cp)
    assert code == 1 and "FORKED" in out and "first 3 entries" in out, out
    code, out, _ = cli("ledger", "verify", fork.path, "--checkpoint", cp, "--json")
    assert json.loads(out)["checkpoints"][0]["status"] == "forked"


@pytest.mark.parametrize("sql, seq", [
    ("UPDATE entries SET timestamp = '2020-01-01T00:00:00.000000Z' WHERE seq = 2", 2),
    ("UPDATE entries SET entry_hash = '" + "ab" * 32 + "' WHERE seq = 1", 1),   # even the first entry (ledger_id)
])
def test_rewritten_ledger_is_rejected(witnessed, tmp_path, sql, seq, cli):
    led, cp = witnessed
    bad = tmp_path / "bad.db"
    shutil.copy(led.path, bad)
    raw_sql(bad, sql)
    code, out, _ = cli("ledger", "verify", bad, "--checkpoint", cp)
    assert code == 1 and "REWRITTEN" in out and f"TAMPERED at seq {seq}" in out, out


def test_bad_checkpoints(witnessed, tmp_path, keys, keydir, cli):
    led, cp = witnessed
    before = file_sha(led.path)
    other = L.init_ledger(tmp_path / "other.db")
    other.declare(keys["alice"], doc(1))
    code, _, err = cli("ledger", "checkpoint", other.path, "--key", keydir / "alice.key", "--out", tmp_path / "o.json")
    assert code == 0
    code, out, err = cli("ledger", "verify", led.path, "--checkpoint", tmp_path / "o.json")
    assert code == 2 and "another ledger" in err and _one_error_line(err) and out == "", (out, err)
    code, out, err = cli("ledger", "verify", led.path, "--checkpoint", cp, "--checkpoint", tmp_path / "o.json")
    assert code == 2 and "o.json: the checkpoint is for another ledger" in err
    d = json.loads(cp.read_text())
    d["root_hash"] = "0" * 64                           # a forged root: the signature fails
    (tmp_path / "forged.json").write_text(json.dumps(d))
    code, out, _ = cli("ledger", "verify", led.path, "--checkpoint", tmp_path / "forged.json")
    assert code == 1 and "BAD-SIGNATURE" in out
    d = json.loads(cp.read_text())
    d["cosignatures"][0]["signature"] = d["signature"]
    (tmp_path / "badco.json").write_text(json.dumps(d))
    code, out, _ = cli("ledger", "verify", led.path, "--checkpoint", tmp_path / "badco.json")
    assert code == 1 and "cosignature 1" in out
    for text in ("not json", "{}", json.dumps({**json.loads(cp.read_text()), "size": 0}), "[" * 3000):
        (tmp_path / "m.json").write_text(text)
        code, _, err = cli("ledger", "verify", led.path, "--checkpoint", tmp_path / "m.json")
        assert code == 2 and _one_error_line(err), (text[:20], err)
    code, _, err = cli("ledger", "cosign", tmp_path / "o.json", "--key", keydir / "bob.key", "--ledger", led.path)
    assert code == 2 and "another ledger" in err and _one_error_line(err)
    code, _, err = cli("ledger", "cosign", cp, "--key", keydir / "mallory.key")
    assert code == 2 and "already cosigned" in err
    code, _, err = cli("ledger", "cosign", cp, "--key", keydir / "alice.key")
    assert code == 2 and "another key" in err
    code, _, err = cli("ledger", "checkpoint", led.path, "--key", keydir / "alice.key", "--out", cp)
    assert code == 2 and "already exists" in err
    assert file_sha(led.path) == before and len(led.checkpoints()) == 1


# ---- proofs -----------------------------------------------------------------------------------------

def test_prove_and_consistency_checked_by_the_minimal_verifier(tmp_path, keys, cli):
    led = L.init_ledger(tmp_path / "l.db")
    for i in range(7):
        led.declare(keys["alice" if i % 2 else "bob"], doc(i))
        hashes = _hashes(led.path)
        n = len(hashes)
        leaves = [bytes.fromhex(h) for h in hashes]
        for size in range(1, n + 1):
            root = mini_root(leaves[:size])
            for seq in range(1, size + 1):
                code, out, _ = cli("ledger", "prove", led.path, seq, "--size", size, "--json")
                p = json.loads(out)
                assert code == 0 and set(p) == {"leaf_index", "tree_size", "root_hash", "audit_path"}
                assert (p["leaf_index"], p["tree_size"], p["root_hash"]) == (seq - 1, size, root.hex())
                lh = hashlib.sha256(b"\x00" + leaves[seq - 1]).digest()
                assert mini_verify_inclusion(seq - 1, size, lh, [bytes.fromhex(x) for x in p["audit_path"]], root)
            for old in range(1, size + 1):
                code, out, _ = cli("ledger", "consistency", led.path, old, "--size", size, "--json")
                c = json.loads(out)
                assert code == 0 and set(c) == {"first", "second", "first_root", "second_root", "proof"}
                assert (c["first"], c["second"], c["second_root"]) == (old, size, root.hex())
                assert c["first_root"] == mini_root(leaves[:old]).hex()
                assert mini_verify_consistency(old, size, [bytes.fromhex(x) for x in c["proof"]],
                                               bytes.fromhex(c["first_root"]), root)
    code, out, _ = cli("ledger", "prove", led.path, 3, "--json")       # default: the whole tree
    assert code == 0 and json.loads(out)["tree_size"] == 7


def test_bad_proof_requests_are_exit_2(ledger5, tmp_path, cli):
    before = file_sha(ledger5.path)
    for args in (("prove", 0), ("prove", 6), ("prove", 3, "--size", 2), ("prove", 1, "--size", 6),
                 ("prove", 1, "--size", 0), ("prove", 2**70), ("consistency", 0), ("consistency", 6),
                 ("consistency", 3, "--size", 2), ("consistency", 1, "--size", 99), ("consistency", -1)):
        code, out, err = cli("ledger", args[0], ledger5.path, *args[1:])
        assert code == 2 and _one_error_line(err) and out == "", (args, out, err)
    L.init_ledger(tmp_path / "empty.db")
    code, _, err = cli("ledger", "prove", tmp_path / "empty.db", 1)
    assert code == 2 and "empty" in err
    assert file_sha(ledger5.path) == before


# ---- commit and reveal -------------------------------------------------------------------------------

def test_commit_and_reveal(ledger5, tmp_path, keydir, cli, passphrase_env):
    params = tmp_path / "params.toml"
    params.write_text('interceptors = 24\nsite = "redzikowo"\n')
    code, out, err = cli("ledger", "commit", ledger5.path, params, "--key", keydir / "alice.key", "--json")
    assert code == 0, err
    e = json.loads(out)
    salt_file = Path(e["salt_file"])
    assert e["seq"] == 6 and e["kind"] == "commitment" and oct(salt_file.stat().st_mode & 0o777) == "0o600"
    salt = bytes.fromhex(salt_file.read_text().strip())
    canonical = _canon({"interceptors": 24, "site": "redzikowo"})
    assert e["document"] == {"commitment": hashlib.sha256(salt + canonical).hexdigest()}   # documented rule
    assert "redzikowo" not in ledger5.path.read_bytes().decode("latin-1")     # not shown before the reveal
    before = file_sha(ledger5.path)
    wrong = tmp_path / "wrong.salt"
    wrong.write_text("ab" * 32 + "\n")
    other = tmp_path / "other.toml"
    other.write_text('interceptors = 48\nsite = "redzikowo"\n')
    for args, msg in (((6, params, "--salt-file", wrong, "--key", keydir / "alice.key"), "do not match the commitment"),
                      ((6, other, "--salt-file", salt_file, "--key", keydir / "alice.key"), "do not match the commitment"),
                      ((6, params, "--salt-file", salt_file, "--key", keydir / "bob.key"), "only its party"),
                      ((5, params, "--salt-file", salt_file, "--key", keydir / "alice.key"), "not a commitment"),
                      ((6, params, "--salt-file", params, "--key", keydir / "alice.key"), "not a salt file"),
                      ((6, params, "--salt-file", tmp_path / "none", "--key", keydir / "alice.key"), "not found"),
                      ((0, params, "--salt-file", salt_file, "--key", keydir / "alice.key"), "no entry")):
        code, out, err = cli("ledger", "reveal", ledger5.path, *args)
        assert code == 2 and msg in err and _one_error_line(err), (args, err)
    assert file_sha(ledger5.path) == before
    code, out, err = cli("ledger", "reveal", ledger5.path, 6, params, "--salt-file", salt_file,
                         "--key", keydir / "alice.key", "--json")
    assert code == 0, err
    r = json.loads(out)["document"]
    assert (r["commitment_seq"], r["salt"], r["document"]) == (6, salt.hex(), {"interceptors": 24, "site": "redzikowo"})
    assert hashlib.sha256(bytes.fromhex(r["salt"]) + _canon(r["document"])).hexdigest() == e["document"]["commitment"]
    code, _, err = cli("ledger", "reveal", ledger5.path, 6, params, "--salt-file", salt_file, "--key", keydir / "alice.key")
    assert code == 2 and "already revealed" in err
    assert cli("ledger", "verify", ledger5.path)[0] == 0
    code, _, err = cli("ledger", "commit", ledger5.path, params, "--key", keydir / "alice.key")
    assert code == 2 and "already exists" in err     # the salt file is never overwritten


def test_a_reveal_that_does_not_match_is_rejected_by_verify(ledger5, tmp_path, keys, monkeypatch, cli):
    """A signed reveal row whose salt does not match its commitment (forged past the append check)."""
    salt = os.urandom(32)
    c = ledger5.commit(keys["alice"], store.commitment_of(salt, {"x": 1}))
    monkeypatch.setattr(store, "reveal_matches", lambda *a: True)
    ledger5.reveal(keys["alice"], c.seq, {"x": 2}, salt)
    monkeypatch.undo()
    code, out, _ = cli("ledger", "verify", ledger5.path)
    assert code == 1 and "TAMPERED at seq 7: the revealed document and salt do not match the commitment of seq 6" in out


# ---- exports, migration, crashes ----------------------------------------------------------------------

def test_exports_carry_checkpoints_and_import_verifies_them(witnessed, tmp_path, cli):
    led, cp = witnessed
    assert cli("ledger", "export", led.path, tmp_path / "e.json")[0] == 0
    e = json.loads((tmp_path / "e.json").read_text())
    assert e["checkpoints"] == [json.loads(cp.read_text())]
    assert cli("ledger", "import", tmp_path / "e.json", tmp_path / "m.db")[0] == 0
    assert [c.to_dict() for c in L.Ledger(tmp_path / "m.db").checkpoints()] == e["checkpoints"]
    code, out, _ = cli("ledger", "verify", tmp_path / "m.db", "--checkpoint", cp)
    assert code == 0 and "EXTENDS" in out
    for mutate in (lambda d: d["checkpoints"][0]["cosignatures"][0].update(timestamp="2020-01-01T00:00:00Z"),
                   lambda d: d["checkpoints"][0].update(size=4),
                   lambda d: d.update(entries=d["entries"][:2], n_entries=2,
                                      head_hash=d["entries"][1]["entry_hash"])):   # cut below the checkpoint
        d = json.loads((tmp_path / "e.json").read_text())
        mutate(d)
        (tmp_path / "bad.json").write_text(json.dumps(d))
        code, _, err = cli("ledger", "import", tmp_path / "bad.json", tmp_path / "n.db")
        assert code == 1 and _one_error_line(err), err
        assert not (tmp_path / "n.db").exists()
    d = json.loads((tmp_path / "e.json").read_text())
    d["checkpoints"][0]["size"] = "3"
    (tmp_path / "bad.json").write_text(json.dumps(d))
    code, _, err = cli("ledger", "import", tmp_path / "bad.json", tmp_path / "n.db")
    assert code == 2 and "size" in err


def test_a_schema_1_ledger_is_migrated(tmp_path, keys, keydir, cli, passphrase_env):
    led = L.init_ledger(tmp_path / "l.db")
    led.declare(keys["alice"], doc(1))
    con = sqlite3.connect(led.path)    # make it a schema-1 file, as written before checkpoints existed
    for t in ("checkpoints_no_update", "checkpoints_no_delete", "cosignatures_no_update", "cosignatures_no_delete"):
        con.execute(f"DROP TRIGGER {t}")
    con.execute("DROP TABLE cosignatures")
    con.execute("DROP TABLE checkpoints")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    assert cli("ledger", "verify", led.path)[0] == 0 and led.checkpoints() == []
    code, out, err = cli("ledger", "checkpoint", led.path, "--key", keydir / "alice.key", "--json")
    assert code == 0, err
    con = sqlite3.connect(led.path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 2
    assert con.execute("SELECT size FROM checkpoints").fetchall() == [(1,)]
    con.close()
    assert led.verify().ok


CRASHER = textwrap.dedent("""
    import os, sys
    from bmdcheck.ledger import Ledger, load_signing_key, store
    db, key = sys.argv[1:3]
    store.fault_hook = lambda s: os._exit(17) if s == "checkpoint-inserted" else None
    Ledger(db).add_checkpoint(load_signing_key(key, os.environ["PASSPHRASE"]))
    os._exit(0)
""")


def test_crash_between_writes_leaves_a_valid_ledger(ledger5, keydir, keys, tmp_path, cli):
    head = ledger5.verify().head_hash
    p = subprocess.run([sys.executable, "-c", CRASHER, str(ledger5.path), str(keydir / "alice.key")],
                       env={**os.environ, "PASSPHRASE": PASSPHRASE}, timeout=120)
    assert p.returncode == 17 and Path(f"{ledger5.path}-journal").exists()
    code, out, _ = cli("ledger", "verify", ledger5.path)
    assert code == 0 and out.startswith("intact: 5 entries") and head in out
    assert ledger5.checkpoints() == []
    cp = ledger5.add_checkpoint(keys["alice"])
    assert cp.size == 5 and ledger5.verify().ok and len(rows(ledger5.path)) == 5
    # commit: a failure after the salt file is written removes it and appends nothing
    (tmp_path / "p.toml").write_text("a = 1\n")
    os.environ["BMDCHECK_PASSPHRASE"] = PASSPHRASE
    try:
        code, _, err = cli("ledger", "commit", ledger5.path, tmp_path / "p.toml", "--key", keydir / "alice.key",
                           "--party", "bob")
    finally:
        del os.environ["BMDCHECK_PASSPHRASE"]
    assert code == 2 and not (tmp_path / "p.toml.salt").exists() and len(rows(ledger5.path)) == 5
