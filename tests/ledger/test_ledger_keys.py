"""Party key files: encrypted private keys, public files, wrong passphrases, no overwriting."""

import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from ledger_helpers import FAST_LOG2N, PASSPHRASE

from bmdcheck import BmdcheckError
from bmdcheck import ledger as L


def test_generate_and_load(tmp_path):
    k, pub, fp = L.generate_key("carol", tmp_path / "c.key", "pw", log2n=FAST_LOG2N)
    assert pub == tmp_path / "c.key.pub"
    text = k.read_text()
    assert text.startswith("bmdcheck-party: carol\n") and "BEGIN ENCRYPTED PRIVATE KEY" in text
    assert f"log2n={FAST_LOG2N}" in text
    assert stat.S_IMODE(os.stat(k).st_mode) == 0o600
    assert L.key_needs_passphrase(k)
    sk = L.load_signing_key(k, "pw")
    assert (sk.party, sk.fingerprint) == ("carol", fp)
    pk = L.load_public_key_file(pub)
    assert (pk.party, pk.fingerprint, pk.public_key) == ("carol", fp, sk.public_key_hex)
    assert not list(tmp_path.glob(".*tmp"))   # no temporary files left behind


def test_passphrase_is_asked_only_when_needed(tmp_path):
    k, _, _ = L.generate_key("carol", tmp_path / "c.key", "pw", log2n=FAST_LOG2N)
    asked = []
    L.load_signing_key(k, lambda: asked.append(1) or "pw")
    assert asked == [1]
    plain = tmp_path / "plain.pem"
    plain.write_bytes(Ed25519PrivateKey.generate().private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8,
                                                                 ser.NoEncryption()))
    plain.chmod(0o600)
    assert L.load_signing_key(plain, lambda: asked.append(2) or "pw").party is None
    assert asked == [1]


def test_plain_pkcs8_encrypted_with_the_passphrase_itself(tmp_path):
    """Keys made by other tools (openssl genpkey -aes256) are read with the passphrase as is."""
    p = tmp_path / "other.pem"
    p.write_bytes(Ed25519PrivateKey.generate().private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8,
                                                             ser.BestAvailableEncryption(b"pw")))
    p.chmod(0o600)
    assert L.load_signing_key(p, "pw").party is None
    with pytest.raises(BmdcheckError, match="wrong passphrase"):
        L.load_signing_key(p, "nope")


def test_wrong_passphrase_missing_file_and_bad_files(tmp_path, keydir):
    with pytest.raises(BmdcheckError, match="wrong passphrase"):
        L.load_signing_key(keydir / "alice.key", PASSPHRASE + "x")
    with pytest.raises(BmdcheckError, match="passphrase is needed"):
        L.load_signing_key(keydir / "alice.key", None)
    with pytest.raises(BmdcheckError, match="key file not found"):
        L.load_signing_key(tmp_path / "none.key", "pw")
    (tmp_path / "junk.key").write_text("hello")
    with pytest.raises(BmdcheckError, match="no PEM block"):
        L.load_signing_key(tmp_path / "junk.key", "pw")
    lowered = tmp_path / "lowered.key"   # an attacker lowering the scrypt cost only breaks the key
    lowered.write_text((keydir / "alice.key").read_text().replace(f"log2n={FAST_LOG2N}", "log2n=11"))
    lowered.chmod(0o600)
    with pytest.raises(BmdcheckError, match="wrong passphrase"):
        L.load_signing_key(lowered, PASSPHRASE)
    bomb = tmp_path / "bomb.key"
    bomb.write_text((keydir / "alice.key").read_text().replace(f"log2n={FAST_LOG2N}", "log2n=30"))
    bomb.chmod(0o600)
    with pytest.raises(BmdcheckError, match="out of range"):
        L.load_signing_key(bomb, PASSPHRASE)
    relabelled = tmp_path / "relabelled.key"
    alice_fp = L.load_public_key_file(keydir / "alice.key.pub").fingerprint
    bob_fp = L.load_public_key_file(keydir / "bob.key.pub").fingerprint
    relabelled.write_text((keydir / "alice.key").read_text().replace(alice_fp, bob_fp))
    relabelled.chmod(0o600)
    with pytest.raises(BmdcheckError, match="does not match its key"):
        L.load_signing_key(relabelled, PASSPHRASE)


def test_refuses_to_overwrite_and_bad_names(tmp_path):
    L.generate_key("carol", tmp_path / "c.key", "pw", log2n=FAST_LOG2N)
    before = (tmp_path / "c.key").read_bytes()
    with pytest.raises(BmdcheckError, match="already exists"):
        L.generate_key("carol", tmp_path / "c.key", "pw", log2n=FAST_LOG2N)
    assert (tmp_path / "c.key").read_bytes() == before
    (tmp_path / "d.key.pub").write_text("x")
    with pytest.raises(BmdcheckError, match="already exists"):
        L.generate_key("dave", tmp_path / "d.key", "pw", log2n=FAST_LOG2N)
    assert not (tmp_path / "d.key").exists()
    for bad in ("", "has space", "new\nline", "-dash", "x" * 65):
        with pytest.raises(BmdcheckError, match="party name"):
            L.generate_key(bad, tmp_path / "e.key", "pw", log2n=FAST_LOG2N)
    with pytest.raises(BmdcheckError, match="empty"):
        L.generate_key("erin", tmp_path / "e.key", "", log2n=FAST_LOG2N)
