"""Every kind of tampering with the SQLite file is caught, at the first bad seq, with exit 1.

The ledger (conftest ``ledger5``): 1 alice declares (PASS), 2 bob declares, 3 bob acknowledges 1,
4 alice declares, 5 alice acknowledges 2. Each case edits the file directly, as an attacker with
write access would (dropping the append-only triggers first).
"""

import json
import secrets
from pathlib import Path

import pytest
from ledger_helpers import SCENARIO, doc, raw_sql, rows

from bmdcheck import ledger as L
from bmdcheck.ledger.canonical import canonical_json, sha256_hex
from bmdcheck.ledger.entry import hashed_fields, utc_now

COLS = ("seq", "kind", "party", "timestamp", "payload", "payload_sha256", "prev_hash", "key_fingerprint",
        "verdict", "results_hash", "entry_hash", "signature")


def forged(seq, prev_hash, key, party, document, *, good_signature=True, fingerprint=None):
    """A well-formed, correctly chained and hashed entry, signed by ``key`` (or not signed at all)."""
    payload = canonical_json(document)
    psha = sha256_hex(payload)
    fp = fingerprint or key.fingerprint
    ts = utc_now()
    eh = sha256_hex(canonical_json(hashed_fields(seq, "declaration", party, ts, psha, prev_hash, fp)))
    sig = key.sign_hash(eh) if good_signature else secrets.token_hex(64)
    return (seq, "declaration", party, ts, payload, psha, prev_hash, fp, None, None, eh, sig)


def insert(values):
    return (f"INSERT INTO entries ({', '.join(COLS)}) VALUES ({', '.join('?' * len(COLS))})", values)


def head(db):
    return rows(db, "SELECT seq, entry_hash FROM entries ORDER BY seq DESC LIMIT 1")[0]


def case_payload_byte(db, keys):
    p = rows(db, "SELECT payload FROM entries WHERE seq = 2")[0][0]
    raw_sql(db, ("UPDATE entries SET payload = ? WHERE seq = 2", (p.replace("scud-b", "scud-c"),)))
    return 2, "payload does not match"


def case_file_byte(db, keys):
    """Flip one byte of a payload in the file itself (no SQL at all)."""
    data = bytearray(Path(db).read_bytes())
    i = data.find(b"marker-0004")
    assert i > 0 and data.find(b"marker-0004", i + 1) < 0
    data[i + len("marker-000")] = ord("5")
    Path(db).write_bytes(bytes(data))
    return 4, "payload does not match"


def case_timestamp(db, keys):
    raw_sql(db, "UPDATE entries SET timestamp = '2001-01-01T00:00:00.000000Z' WHERE seq = 3")
    return 3, "entry_hash does not match"


def case_party(db, keys):
    raw_sql(db, "UPDATE entries SET party = 'bob' WHERE seq = 4")
    return 4, "entry_hash does not match"


def case_verdict(db, keys):
    raw_sql(db, "UPDATE entries SET verdict = 'FAIL' WHERE seq = 1")
    return 1, "entry_hash does not match"


def case_removed(db, keys):
    raw_sql(db, "DELETE FROM entries WHERE seq = 3")
    return 3, "entry 3 is missing"


def case_removed_renumbered(db, keys):
    raw_sql(db, "DELETE FROM entries WHERE seq = 3", "UPDATE entries SET seq = seq - 1 WHERE seq > 3")
    return 3, "prev_hash does not match"


def case_swapped(db, keys):
    raw_sql(db, "UPDATE entries SET seq = 100 WHERE seq = 2", "UPDATE entries SET seq = 2 WHERE seq = 3",
            "UPDATE entries SET seq = 3 WHERE seq = 100")
    return 2, "prev_hash does not match"


def case_forged_other_key_at_end(db, keys):
    seq, h = head(db)
    raw_sql(db, insert(forged(seq + 1, h, keys["mallory"], "alice", doc(99))))
    return 6, "not the registered key"


def case_forged_bad_signature(db, keys):
    seq, h = head(db)
    raw_sql(db, insert(forged(seq + 1, h, keys["mallory"], "alice", doc(99), good_signature=False,
                              fingerprint=keys["alice"].fingerprint)))
    return 6, "signature does not verify"


def case_forged_claims_alice_key(db, keys):
    """Correct hash and alice's fingerprint, but signed with mallory's key."""
    seq, h = head(db)
    raw_sql(db, insert(forged(seq + 1, h, keys["mallory"], "alice", doc(99), fingerprint=keys["alice"].fingerprint)))
    return 6, "signature does not verify"


def case_forged_inserted_in_middle(db, keys):
    h2 = rows(db, "SELECT entry_hash FROM entries WHERE seq = 2")[0][0]
    raw_sql(db, "UPDATE entries SET seq = seq + 100 WHERE seq >= 3", "UPDATE entries SET seq = seq - 99 WHERE seq >= 100",
            insert(forged(3, h2, keys["mallory"], "bob", doc(99))))
    return 3, "not the registered key"


def case_signature_replaced(db, keys):
    raw_sql(db, ("UPDATE entries SET signature = ? WHERE seq = 2", (secrets.token_hex(64),)))
    return 2, "signature does not verify"


def case_resigned_with_other_key(db, keys):
    """The last entry re-hashed and re-signed by mallory under alice's name (a wrong key)."""
    r = rows(db, "SELECT seq, prev_hash FROM entries WHERE seq = 5")[0]
    e = L.Ledger(db).entry(5)
    fp = keys["mallory"].fingerprint
    eh = sha256_hex(canonical_json(hashed_fields(5, e.kind, e.party, e.timestamp, e.payload_sha256, r[1], fp)))
    raw_sql(db, ("UPDATE entries SET key_fingerprint = ?, entry_hash = ?, signature = ? WHERE seq = 5",
                 (fp, eh, keys["mallory"].sign_hash(eh))))
    return 5, "not the registered key"


def case_party_key_swapped(db, keys):
    """The parties table now says alice's key is mallory's: alice's first entry no longer matches."""
    m = keys["mallory"]
    raw_sql(db, ("UPDATE parties SET public_key = ?, fingerprint = ? WHERE name = 'alice'", (m.public_key_hex, m.fingerprint)))
    return 1, "not the registered key"


def case_party_key_only(db, keys):
    raw_sql(db, ("UPDATE parties SET public_key = ? WHERE name = 'bob'", (keys["mallory"].public_key_hex,)))
    return 2, "does not match its registered fingerprint"


def case_ack_retargeted(db, keys):
    """An acknowledgement re-pointed at another declaration (payload hash fixed up, so entry_hash breaks)."""
    e = L.Ledger(db).entry(3)
    d = json.loads(e.payload)
    d["declaration_seq"] = 4
    p = canonical_json(d)
    raw_sql(db, ("UPDATE entries SET payload = ?, payload_sha256 = ? WHERE seq = 3", (p, sha256_hex(p))))
    return 3, "entry_hash does not match"


CASES = [v for k, v in sorted(globals().items()) if k.startswith("case_")]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__[5:] for c in CASES])
def test_tamper_detected(case, ledger5, keys, cli):
    db = ledger5.path
    assert L.Ledger(db).verify().ok
    bad_seq, what = case(db, keys)
    rep = L.Ledger(db).verify()
    assert not rep.ok
    assert (rep.first_bad_seq, rep.checked) == (bad_seq, bad_seq - 1)
    assert what in rep.problem
    code, out, err = cli("ledger", "verify", db)
    assert code == 1, err
    assert f"TAMPERED at seq {bad_seq}:" in out
    code, out, _ = cli("ledger", "verify", db, "--json")
    assert code == 1
    d = json.loads(out)
    assert (d["ok"], d["first_bad_seq"]) == (False, bad_seq) and what in d["problem"]


def test_tampered_ledger_refuses_appends_and_warns(ledger5, keys, keydir, cli, passphrase_env, tmp_path):
    case_timestamp(ledger5.path, keys)
    with pytest.raises(L.LedgerIntegrityError, match="refusing to append"):
        ledger5.declare(keys["alice"], doc(9))
    s = tmp_path / "s.toml"
    s.write_text(SCENARIO)
    code, _, err = cli("ledger", "declare", ledger5.path, s, "--key", keydir / "alice.key")
    assert code == 1 and "TAMPERED at seq 3" in err
    for args in (("log",), ("show", 1), ("diff", 1, 2), ("export", tmp_path / "e.json")):
        code, out, err = cli("ledger", args[0], ledger5.path, *args[1:])
        assert code == 1, args
        assert "TAMPERED at seq 3" in (out if args[0] == "log" else err)
    assert not (tmp_path / "e.json").exists()
    assert len(rows(ledger5.path)) == 5


def test_whole_history_rewritten_under_a_new_key_needs_a_pinned_key(tmp_path, keys, keydir, cli):
    """A holder who rebuilds the entire ledger with their own key as 'alice' yields a self-consistent
    chain; only a key pinned out of band (--trust alice.key.pub) exposes it."""
    fake = L.init_ledger(tmp_path / "fake.db")
    fake.declare(L.SigningKey(keys["mallory"].private_key, None), doc(1), party="alice")
    assert cli("ledger", "verify", fake.path)[0] == 0
    code, out, _ = cli("ledger", "verify", fake.path, "--trust", keydir / "alice.key.pub")
    assert code == 1 and "is not the trusted key" in out and "seq 1" in out
    real = L.init_ledger(tmp_path / "real.db")
    real.declare(keys["alice"], doc(1))
    code, out, _ = cli("ledger", "verify", real.path, "--trust", keydir / "alice.key.pub", "--trust", keydir / "bob.key.pub")
    assert code == 0 and "trusted keys pinned for: alice, bob" in out


def test_tail_truncation_is_not_visible_alone_but_a_receipt_or_export_shows_it(ledger5, tmp_path, cli):
    """Documented limit: removing the newest entries leaves a valid chain. The mitigations: the
    entry_hash a party kept as a receipt is no longer in the chain, and an earlier export restores it."""
    receipt = ledger5.entry(5).entry_hash
    assert cli("ledger", "export", ledger5.path, tmp_path / "e.json")[0] == 0
    raw_sql(ledger5.path, "DELETE FROM entries WHERE seq >= 4")
    rep = ledger5.verify()
    assert rep.ok and rep.n_entries == 3
    assert receipt not in {e.entry_hash for e in ledger5.entries()}
    code, out, _ = cli("ledger", "import", tmp_path / "e.json", ledger5.path)
    assert code == 0 and "2 entries added" in out
    assert ledger5.verify().head_hash == receipt
