"""The stored format as docs/LEDGER.md states it: canonical JSON, entry_hash, signature, diff."""

import hashlib
import json
import sqlite3

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from ledger_helpers import doc

from bmdcheck import BmdcheckError
from bmdcheck import ledger as L
from bmdcheck.ledger.canonical import is_canonical


def test_canonical_json_of_toml():
    text = 'b = 1\na = "grüß"\n[t]\nz = 2.5\ny = [1, 2]\nwhen = 2025-01-02T03:04:05Z\nday = 2025-01-02\n'
    d = L.document_from_toml_text(text)
    c = L.canonical_json(d)
    assert c == ('{"a":"grüß","b":1,"t":{"day":"2025-01-02","when":"2025-01-02T03:04:05+00:00",'
                 '"y":[1,2],"z":2.5}}')
    assert is_canonical(c)
    assert not is_canonical(json.dumps(d))            # spaces after separators
    assert not is_canonical('{"a":1,"a":2}')          # duplicate keys do not round-trip


def test_canonical_refuses_nan_and_bad_toml(tmp_path):
    with pytest.raises(BmdcheckError, match="finite"):
        L.document_from_toml_text("x = nan")
    with pytest.raises(BmdcheckError, match="not valid TOML"):
        L.document_from_toml_text("x = = 1")
    with pytest.raises(BmdcheckError, match="not found"):
        L.document_from_toml(tmp_path / "missing.toml")


def test_entry_hash_and_signature_as_documented(ledger5):
    """Recompute every entry_hash and check every signature from the raw rows, as LEDGER.md says."""
    con = sqlite3.connect(ledger5.path)
    con.row_factory = sqlite3.Row
    parties = {r["name"]: dict(r) for r in con.execute("SELECT * FROM parties")}
    prev = "0" * 64
    for r in con.execute("SELECT * FROM entries ORDER BY seq"):
        assert hashlib.sha256(r["payload"].encode()).hexdigest() == r["payload_sha256"]
        hashed = {"format": "bmdcheck-ledger/1", "seq": r["seq"], "kind": r["kind"], "party": r["party"],
                  "timestamp": r["timestamp"], "payload_sha256": r["payload_sha256"], "prev_hash": prev,
                  "key_fingerprint": r["key_fingerprint"], "verdict": r["verdict"],
                  "results_hash": r["results_hash"]}
        enc = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert hashlib.sha256(enc).hexdigest() == r["entry_hash"]
        assert r["prev_hash"] == prev
        pk = bytes.fromhex(parties[r["party"]]["public_key"])
        assert hashlib.sha256(pk).hexdigest() == r["key_fingerprint"]
        Ed25519PublicKey.from_public_bytes(pk).verify(bytes.fromhex(r["signature"]), bytes.fromhex(r["entry_hash"]))
        assert r["timestamp"].endswith("Z")
        prev = r["entry_hash"]
    con.close()


def test_payloads(ledger5):
    e1, e3 = ledger5.entry(1), ledger5.entry(3)
    assert e1.payload == L.canonical_json(doc(1))
    assert (e1.verdict, e1.results_hash) == ("PASS", "ab" * 32)
    assert json.loads(e3.payload) == {"declaration_seq": 1, "declaration_hash": e1.entry_hash, "note": "agreed"}


def test_declare_checks(ledger5, keys):
    with pytest.raises(BmdcheckError, match="together"):
        ledger5.declare(keys["alice"], doc(9), verdict="PASS")
    with pytest.raises(BmdcheckError, match="64 hex"):
        ledger5.declare(keys["alice"], doc(9), verdict="PASS", results_hash="xyz")
    with pytest.raises(BmdcheckError, match="belongs to party 'alice'"):
        ledger5.declare(keys["alice"], doc(9), party="bob")
    with pytest.raises(BmdcheckError, match="own declaration"):
        ledger5.acknowledge(keys["alice"], 1)
    with pytest.raises(BmdcheckError, match="not a declaration"):
        ledger5.acknowledge(keys["bob"], 5)
    with pytest.raises(BmdcheckError, match="no entry with seq 99"):
        ledger5.acknowledge(keys["bob"], 99)
    with pytest.raises(BmdcheckError, match="control characters"):
        ledger5.acknowledge(keys["bob"], 4, note="ok\x1b[31m")
    with pytest.raises(BmdcheckError, match="names no party"):
        ledger5.declare(L.SigningKey(keys["mallory"].private_key, None), doc(9))
    with pytest.raises(BmdcheckError, match="already registered to party 'alice'"):
        ledger5.declare(L.SigningKey(keys["alice"].private_key, None), doc(9), party="carol")
    assert len(ledger5.entries()) == 5


def test_party_key_is_bound_at_first_use(ledger5, keys):
    impostor = L.SigningKey(keys["mallory"].private_key, None)
    with pytest.raises(BmdcheckError, match="registered with key"):
        ledger5.declare(impostor, doc(9), party="alice")
    assert set(ledger5.parties()) == {"alice", "bob"}


def test_append_only_triggers(ledger5):
    con = sqlite3.connect(ledger5.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE entries SET party = 'bob' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM entries WHERE seq = 5")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM parties")
    con.close()
    assert ledger5.verify().ok


def test_diff_documents():
    a = {"x": 1, "t": [{"lat": 1.0}, {"lat": 2.0}], "gone": {"k": 1}, "same": "s", "b": True, "odd key": 1}
    b = {"x": 1.0, "t": [{"lat": 1.5}], "new": [1], "same": "s", "b": 1, "odd key": 2}
    d = L.diff_documents(a, b)
    assert d["changed"] == [{"path": "$.b", "old": True, "new": 1},
                            {"path": '$["odd key"]', "old": 1, "new": 2},
                            {"path": "$.t[0].lat", "old": 1.0, "new": 1.5},
                            {"path": "$.x", "old": 1, "new": 1.0}]
    assert d["added"] == [{"path": "$.new", "new": [1]}]
    assert d["removed"] == [{"path": "$.gone", "old": {"k": 1}}, {"path": "$.t[1]", "old": {"lat": 2.0}}]
    assert L.diff_documents(a, a) == {"changed": [], "added": [], "removed": []}
