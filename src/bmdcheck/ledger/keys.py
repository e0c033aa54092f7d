"""Party keys: Ed25519 key pairs in PEM files, the private one encrypted under a passphrase.

A private key file is a PKCS#8 ``ENCRYPTED PRIVATE KEY`` PEM block preceded by header lines
(RFC 7468 lets text precede the block)::

    bmdcheck-party: alice
    bmdcheck-fingerprint: <SHA-256 of the raw public key, hex>
    bmdcheck-kdf: scrypt log2n=17 r=8 p=1 salt=<hex>
    -----BEGIN ENCRYPTED PRIVATE KEY-----

The PEM's own encryption (PBES2, PBKDF2-SHA256 with only 2,048 iterations, AES-256-CBC, as the
``cryptography`` library writes it) is keyed not with the passphrase but with
``scrypt(passphrase, salt, N=2**log2n, r, p)`` in hex, so guessing passphrases from a stolen file
costs ~128 MiB and about a second a guess (N=2**17, r=8: OWASP's scrypt setting). A plain PKCS#8 PEM
(no kdf line; e.g. from ``openssl genpkey -algorithm ed25519 -aes256``) is read with the passphrase
itself. The public file holds the party and fingerprint lines and a ``PUBLIC KEY`` block.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Union

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ..errors import BmdcheckError
from .canonical import sha256_hex
from .entry import PARTY_NAME
from .files import write_atomic

#: scrypt cost for new keys: N = 2**17, r = 8, p = 1 (OWASP password storage cheat sheet, scrypt).
SCRYPT_LOG2N = 17
SCRYPT_R = 8
SCRYPT_P = 1
_LOG2N_RANGE = (10, 18)   # refuse key files asking for less (weak) or more (memory bomb)
_KDF_LINE = re.compile(r"scrypt log2n=(\d+) r=(\d+) p=(\d+) salt=([0-9a-f]{32})")

Passphrase = Union[str, Callable[[], str], None]


def fingerprint(public_key_raw: bytes) -> str:
    """SHA-256 of the raw 32-byte Ed25519 public key, hex: the key's name in entries."""
    return sha256_hex(public_key_raw)


def public_key_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)


def verify_signature(public_key_hex: str, signature_hex: str, message: bytes) -> bool:
    """True if ``signature_hex`` is a valid Ed25519 signature of ``message`` under the key."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


@dataclass(frozen=True)
class SigningKey:
    """A party's private key, unlocked, with the party name its file names (if any)."""

    private_key: Ed25519PrivateKey
    party: Optional[str]
    path: Optional[Path] = None

    @property
    def public_key_hex(self) -> str:
        return public_key_raw(self.private_key.public_key()).hex()

    @property
    def fingerprint(self) -> str:
        return fingerprint(public_key_raw(self.private_key.public_key()))

    def sign_hash(self, entry_hash: str) -> str:
        """Ed25519 signature of the 32 bytes of ``entry_hash`` (hex in, hex out)."""
        return self.private_key.sign(bytes.fromhex(entry_hash)).hex()


@dataclass(frozen=True)
class PublicKeyFile:
    """A ``.pub`` file: party name, raw public key (hex) and its fingerprint."""

    party: Optional[str]
    public_key: str
    fingerprint: str


def _split(text: str, path: Path) -> tuple[dict, str]:
    """Header lines ``bmdcheck-NAME: value`` before the PEM block, and the block itself."""
    start = text.find("-----BEGIN ")
    if start < 0:
        raise BmdcheckError(f"{path}: no PEM block in the file")
    headers = {}
    for line in text[:start].splitlines():
        if ":" in line and line.startswith("bmdcheck-"):
            k, v = line.split(":", 1)
            headers[k.strip()] = v.strip()
    return headers, text[start:]


def _read_text(path: Path, what: str) -> str:
    if not path.is_file():
        raise BmdcheckError(f"{what} not found: {path}")
    try:
        return path.read_text(encoding="ascii")
    except (UnicodeDecodeError, OSError) as e:
        raise BmdcheckError(f"{path}: not a PEM {what} ({e})") from None


def _scrypt_password(passphrase: str, salt: bytes, log2n: int, r: int, p: int) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=2 ** log2n, r=r, p=p)
    return kdf.derive(passphrase.encode("utf-8")).hex().encode("ascii")


def check_party_name(name: str) -> str:
    if not isinstance(name, str) or not PARTY_NAME.fullmatch(name):
        raise BmdcheckError(f"party name must be 1-64 characters of letters, digits and ._@+- "
                            f"(starting with a letter or digit), got {name!r}")
    return name


def generate_key(party: str, out: str | Path, passphrase: str, *, log2n: int = SCRYPT_LOG2N) -> tuple[Path, Path, str]:
    """Make an Ed25519 key pair for ``party``; write ``out`` (encrypted) and ``out.pub``.

    Returns (private key path, public key path, fingerprint). Refuses to overwrite either file;
    each is written to a temporary file and renamed into place.
    """
    check_party_name(party)
    if not passphrase:
        raise BmdcheckError("the passphrase must not be empty")
    if not (_LOG2N_RANGE[0] <= log2n <= _LOG2N_RANGE[1]):
        raise BmdcheckError(f"scrypt log2n must be within {_LOG2N_RANGE}")
    key_path = Path(out)
    pub_path = key_path.with_name(key_path.name + ".pub")
    for p in (key_path, pub_path):
        if p.exists():
            raise BmdcheckError(f"{p} already exists; refusing to overwrite it")
    if not key_path.parent.is_dir():
        raise BmdcheckError(f"folder not found: {key_path.parent}")
    key = Ed25519PrivateKey.generate()
    fp = fingerprint(public_key_raw(key.public_key()))
    salt = os.urandom(16)
    pem = key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.BestAvailableEncryption(
        _scrypt_password(passphrase, salt, log2n, SCRYPT_R, SCRYPT_P)))
    head = f"bmdcheck-party: {party}\nbmdcheck-fingerprint: {fp}\n"
    private_text = head + f"bmdcheck-kdf: scrypt log2n={log2n} r={SCRYPT_R} p={SCRYPT_P} salt={salt.hex()}\n" \
        + pem.decode("ascii")
    public_text = head + key.public_key().public_bytes(
        ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    write_atomic(key_path, private_text.encode("ascii"), mode=0o600, overwrite=False)
    try:
        write_atomic(pub_path, public_text.encode("ascii"), mode=0o644, overwrite=False)
    except BaseException:
        key_path.unlink(missing_ok=True)
        raise
    return key_path, pub_path, fp


def key_needs_passphrase(path: str | Path) -> bool:
    """True if the private key file is encrypted (so a passphrase must be asked for)."""
    p = Path(path)
    return "ENCRYPTED PRIVATE KEY" in _read_text(p, "key file")


def check_private_mode(path: Path) -> None:
    """Refuse a private key file that other users may read or write (any of the mode bits 0o077), as
    OpenSSH does: the key is encrypted, but a readable file invites offline passphrase guessing."""
    if os.name != "posix":
        return
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        how = "readable" if mode & 0o044 else "writable"
        raise BmdcheckError(f"{path} is {how} by other users (mode {mode:04o}); a private key file must be "
                            f"private: chmod 600 {path}")


def load_signing_key(path: str | Path, passphrase: Passphrase = None) -> SigningKey:
    """Unlock a private key file. ``passphrase`` may be a callable, called only if one is needed.

    Raises BmdcheckError for a missing or unreadable file, a file other users may read or write
    (mode bits 0o077 set), a wrong passphrase, a key that is not Ed25519, or a fingerprint header
    that does not match the key.
    """
    p = Path(path)
    headers, pem = _split(_read_text(p, "key file"), p)
    check_private_mode(p)
    encrypted = "ENCRYPTED PRIVATE KEY" in pem
    password = None
    if encrypted:
        pw = passphrase() if callable(passphrase) else passphrase
        if not pw:
            raise BmdcheckError(f"{p} is encrypted: a passphrase is needed")
        kdf = headers.get("bmdcheck-kdf")
        if kdf is None:
            password = pw.encode("utf-8")
        else:
            m = _KDF_LINE.fullmatch(kdf)
            if not m:
                raise BmdcheckError(f"{p}: unreadable bmdcheck-kdf line")
            log2n, r, pp = (int(x) for x in m.group(1, 2, 3))
            if not (_LOG2N_RANGE[0] <= log2n <= _LOG2N_RANGE[1]) or not (1 <= r <= 16) or not (1 <= pp <= 4):
                raise BmdcheckError(f"{p}: scrypt parameters out of range")
            password = _scrypt_password(pw, bytes.fromhex(m.group(4)), log2n, r, pp)
    try:
        key = ser.load_pem_private_key(pem.encode("ascii"), password)
    except ValueError as e:
        if encrypted and ("password" in str(e).lower() or "decrypt" in str(e).lower()):
            raise BmdcheckError(f"wrong passphrase for {p}") from None
        raise BmdcheckError(f"{p}: not a readable private key ({e})") from None
    except (TypeError, UnsupportedAlgorithm) as e:
        raise BmdcheckError(f"{p}: not a readable private key ({e})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BmdcheckError(f"{p}: not an Ed25519 key")
    party = headers.get("bmdcheck-party")
    if party is not None:
        check_party_name(party)
    sk = SigningKey(key, party, p)
    fp = headers.get("bmdcheck-fingerprint")
    if fp is not None and fp != sk.fingerprint:
        raise BmdcheckError(f"{p}: its bmdcheck-fingerprint line does not match its key")
    return sk


def load_public_key_file(path: str | Path) -> PublicKeyFile:
    """Read a ``.pub`` file written by :func:`generate_key` (or any Ed25519 PUBLIC KEY PEM)."""
    p = Path(path)
    headers, pem = _split(_read_text(p, "public key file"), p)
    try:
        key = ser.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnsupportedAlgorithm) as e:
        raise BmdcheckError(f"{p}: not a readable public key ({e})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BmdcheckError(f"{p}: not an Ed25519 public key")
    raw = public_key_raw(key)
    fp = fingerprint(raw)
    if headers.get("bmdcheck-fingerprint", fp) != fp:
        raise BmdcheckError(f"{p}: its bmdcheck-fingerprint line does not match its key")
    party = headers.get("bmdcheck-party")
    if party is not None:
        check_party_name(party)
    return PublicKeyFile(party, raw.hex(), fp)
