"""Passphrase-protected key files (FORMAT.md §11), readable by the CLI and by WebCrypto.

PBKDF2-HMAC-SHA256 is chosen over scrypt/Argon2 only because browsers have nothing else
natively; 600 000 iterations is OWASP's 2023 figure for it.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from crypto.encoding import b64u_decode, b64u_encode, canonical_json, load_json, public_key_b64u
from crypto.errors import BadKeyFileError, BadPassphraseError

KEY_FORMAT = "biaoyun-key/1"
DEFAULT_ITERATIONS = 600_000
MIN_ITERATIONS, MAX_ITERATIONS = 1_000, 10_000_000
KINDS = {"supplier": ("sign", "encrypt"), "custodian": ("encrypt",), "signer": ("sign",)}


@dataclass(frozen=True)
class KeyPair:
    """The private keys of one key file: a supplier has both, a custodian only encryption, a signer
    (a purchaser signing contracts) only signing."""

    kind: str
    encryption: ec.EllipticCurvePrivateKey | None
    signing: ec.EllipticCurvePrivateKey | None = None


def _wrapping_key(passphrase: str, salt: bytes, iterations: int) -> bytes:
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations).derive(secret)


def _pkcs8(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _aad(use: str) -> bytes:
    return b"biaoyun/key/v1/" + use.encode("ascii")


def make_key_file(
    keys: dict[str, ec.EllipticCurvePrivateKey],
    kind: str,
    passphrase: str,
    iterations: int = DEFAULT_ITERATIONS,
    rand: Callable[[int], bytes] = secrets.token_bytes,
) -> bytes:
    """Serialise given private keys as a key file (for tests and vectors; keygen uses it)."""
    if kind not in KINDS or set(keys) != set(KINDS[kind]):
        raise ValueError(f"a {kind} key file holds exactly {KINDS.get(kind)}")
    salt = rand(16)
    aead = AESGCM(_wrapping_key(passphrase, salt, iterations))
    entries = []
    for use in KINDS[kind]:
        nonce = rand(12)
        entries.append(
            {
                "nonce": b64u_encode(nonce),
                "public_key": public_key_b64u(keys[use].public_key()),
                "use": use,
                "wrapped": b64u_encode(aead.encrypt(nonce, _pkcs8(keys[use]), _aad(use))),
            }
        )
    doc = {
        "format": KEY_FORMAT,
        "kdf": {"iterations": iterations, "name": "PBKDF2-SHA256", "salt": b64u_encode(salt)},
        "keys": entries,
        "kind": kind,
    }
    return canonical_json(doc) + b"\n"


def public_pem(keys: list[ec.EllipticCurvePublicKey]) -> bytes:
    """PEM SubjectPublicKeyInfo blocks (signing first for a supplier)."""
    return b"".join(
        k.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        for k in keys
    )


def generate_key_file(
    kind: str, passphrase: str, iterations: int = DEFAULT_ITERATIONS
) -> tuple[bytes, bytes]:
    """Fresh P-256 keys of ``kind``; returns (key file bytes, .pub PEM bytes)."""
    keys = {use: ec.generate_private_key(ec.SECP256R1()) for use in KINDS.get(kind, ())}
    data = make_key_file(keys, kind, passphrase, iterations)
    return data, public_pem([keys[use].public_key() for use in KINDS[kind]])


def load_key_file(data: bytes, passphrase: str) -> KeyPair:
    """Unlock a JSON key file, or PEM encrypted PKCS#8 (supplier: signing block then encryption)."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return _load_pem(data, passphrase)
    try:
        doc = load_json(data)
        kdf, kind = doc["kdf"], doc["kind"]
        if doc["format"] != KEY_FORMAT or kdf["name"] != "PBKDF2-SHA256" or kind not in KINDS:
            raise ValueError("unknown key file format")
        iterations = kdf["iterations"]
        if not isinstance(iterations, int) or not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
            raise ValueError("PBKDF2 iterations out of range")
        salt = b64u_decode(kdf["salt"], 16)
        entries = doc["keys"]
        if [e["use"] for e in entries] != list(KINDS[kind]):
            raise ValueError(f"a {kind} key file holds exactly {KINDS[kind]}")
    except (ValueError, KeyError, TypeError) as exc:
        raise BadKeyFileError(f"not a valid key file: {exc}") from exc
    aead = AESGCM(_wrapping_key(passphrase, salt, iterations))
    keys = {entry["use"]: _unwrap_entry(aead, entry) for entry in entries}
    return KeyPair(kind, keys.get("encrypt"), keys.get("sign"))


def _unwrap_entry(aead: AESGCM, entry: dict[str, Any]) -> ec.EllipticCurvePrivateKey:
    try:
        nonce, wrapped = b64u_decode(entry["nonce"], 12), b64u_decode(entry["wrapped"])
    except (ValueError, KeyError) as exc:
        raise BadKeyFileError(f"not a valid key file: {exc}") from exc
    try:
        der = aead.decrypt(nonce, wrapped, _aad(entry["use"]))
    except InvalidTag:
        raise BadPassphraseError("wrong passphrase (or a damaged key file)") from None
    key = serialization.load_der_private_key(der, None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise BadKeyFileError("key file does not hold a P-256 key")
    if public_key_b64u(key.public_key()) != entry.get("public_key"):
        raise BadKeyFileError("private key does not match the public key recorded in the key file")
    return key


def _load_pem(data: bytes, passphrase: str) -> KeyPair:
    blocks = [b"-----BEGIN" + part for part in data.split(b"-----BEGIN")[1:]]
    keys = []
    for block in blocks:
        try:
            key = serialization.load_pem_private_key(block, passphrase.encode("utf-8"))
        except (ValueError, TypeError) as exc:
            # A wrong passphrase usually fails the CBC padding check, but about one time in 256 the
            # garbage passes it and fails as DER instead: for an encrypted block both mean the same.
            message = str(exc).lower()
            if b"ENCRYPTED PRIVATE KEY" in block or "password" in message or "decrypt" in message:
                raise BadPassphraseError("wrong passphrase for the PEM key file (or a damaged key file)") from exc
            raise BadKeyFileError(f"not a valid PEM private key: {exc}") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise BadKeyFileError("PEM key is not a P-256 key")
        keys.append(key)
    if len(keys) == 2:
        return KeyPair("supplier", keys[1], keys[0])
    if len(keys) == 1:
        return KeyPair("custodian", keys[0])
    raise BadKeyFileError("a PEM key file holds one (custodian) or two (supplier) private keys")


def load_public_keys(data: bytes) -> list[ec.EllipticCurvePublicKey]:
    """All P-256 public keys in a .pub PEM file, in order."""
    keys = []
    for part in data.split(b"-----BEGIN")[1:]:
        try:
            key = serialization.load_pem_public_key(b"-----BEGIN" + part)
        except ValueError as exc:
            raise BadKeyFileError(f"not a PEM public key: {exc}") from exc
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
            raise BadKeyFileError("public key is not P-256")
        keys.append(key)
    if not keys:
        raise BadKeyFileError("no PEM public key found")
    return keys
