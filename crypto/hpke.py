"""HPKE base mode, DHKEM(P-256, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM (FORMAT.md §5).

Production wrapping and unwrapping use ``cryptography``'s HPKE. The small RFC 9180 reference
below (LabeledExtract/LabeledExpand, key schedule) exists so that test vectors can use a
given ephemeral key, which ``cryptography`` does not allow, and so that tests can check the
key schedule against RFC 9180 Appendix A.3.1 — the same steps the WebCrypto code follows.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke as _hpke
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.encoding import load_public_key, public_key_bytes

KEM_ID, KDF_ID, AEAD_AES_128_GCM, AEAD_AES_256_GCM = 0x0010, 0x0001, 0x0001, 0x0002
_SUITE = _hpke.Suite(_hpke.KEM.P256, _hpke.KDF.HKDF_SHA256, _hpke.AEAD.AES_256_GCM)
ENC_LEN = 65
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class HpkeOpenError(Exception):
    """The HPKE ciphertext does not open under this key and info."""


def wrap(plaintext: bytes, recipient: ec.EllipticCurvePublicKey, info: bytes) -> tuple[bytes, bytes]:
    """Single-shot HPKE seal with a fresh ephemeral key; returns (enc, ct)."""
    sealed = _SUITE.encrypt(plaintext, recipient, info=info)
    return sealed[:ENC_LEN], sealed[ENC_LEN:]


def unwrap(enc: bytes, ct: bytes, private_key: ec.EllipticCurvePrivateKey, info: bytes) -> bytes:
    """Single-shot HPKE open; raises HpkeOpenError on any failure."""
    try:
        return _SUITE.decrypt(enc + ct, private_key, info=info)
    except (InvalidTag, ValueError) as exc:
        raise HpkeOpenError(str(exc) or "HPKE decryption failed") from exc


# --- RFC 9180 reference (base mode only) ---------------------------------------------------


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()


def _expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    """RFC 9180 LabeledExtract with HKDF-SHA256."""
    return _extract(salt, b"HPKE-v1" + suite_id + label + ikm)


def labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    """RFC 9180 LabeledExpand with HKDF-SHA256."""
    return _expand(prk, length.to_bytes(2, "big") + b"HPKE-v1" + suite_id + label + info, length)


KEM_SUITE_ID = b"KEM" + KEM_ID.to_bytes(2, "big")


def hpke_suite_id(aead_id: int) -> bytes:
    """suite_id of the key schedule for our KEM and KDF and the given AEAD."""
    return b"HPKE" + KEM_ID.to_bytes(2, "big") + KDF_ID.to_bytes(2, "big") + aead_id.to_bytes(2, "big")


def derive_key_pair(ikm: bytes) -> ec.EllipticCurvePrivateKey:
    """RFC 9180 DeriveKeyPair for P-256 (rejection sampling with bitmask 0xff)."""
    dkp_prk = labeled_extract(KEM_SUITE_ID, b"", b"dkp_prk", ikm)
    for counter in range(256):
        candidate = labeled_expand(KEM_SUITE_ID, dkp_prk, b"candidate", bytes([counter]), 32)
        scalar = int.from_bytes(candidate, "big")
        if 0 < scalar < P256_ORDER:
            return ec.derive_private_key(scalar, ec.SECP256R1())
    raise ValueError("DeriveKeyPair failed")


def private_key_from_scalar(scalar: bytes) -> ec.EllipticCurvePrivateKey:
    """P-256 private key from a 32-byte big-endian scalar (RFC 9180 DeserializePrivateKey)."""
    return ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())


def private_key_scalar(key: ec.EllipticCurvePrivateKey) -> bytes:
    """32-byte big-endian scalar of a P-256 private key."""
    return key.private_numbers().private_value.to_bytes(32, "big")


def _shared_secret(dh: bytes, enc: bytes, pk_rm: bytes) -> bytes:
    kem_context = enc + pk_rm
    eae_prk = labeled_extract(KEM_SUITE_ID, b"", b"eae_prk", dh)
    return labeled_expand(KEM_SUITE_ID, eae_prk, b"shared_secret", kem_context, 32)


@dataclass(frozen=True)
class Context:
    """Outputs of the base-mode key schedule (names as in RFC 9180)."""

    enc: bytes
    shared_secret: bytes
    key_schedule_context: bytes
    secret: bytes
    key: bytes
    base_nonce: bytes
    exporter_secret: bytes

    def export(self, exporter_context: bytes, length: int, aead_id: int) -> bytes:
        return labeled_expand(hpke_suite_id(aead_id), self.exporter_secret, b"sec", exporter_context, length)


def key_schedule(shared_secret: bytes, info: bytes, enc: bytes, aead_id: int = AEAD_AES_256_GCM) -> Context:
    """RFC 9180 KeySchedule for mode_base (no PSK)."""
    suite_id = hpke_suite_id(aead_id)
    nk = 16 if aead_id == AEAD_AES_128_GCM else 32
    psk_id_hash = labeled_extract(suite_id, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(suite_id, b"", b"info_hash", info)
    context = b"\x00" + psk_id_hash + info_hash
    secret = labeled_extract(suite_id, shared_secret, b"secret", b"")
    return Context(
        enc=enc,
        shared_secret=shared_secret,
        key_schedule_context=context,
        secret=secret,
        key=labeled_expand(suite_id, secret, b"key", context, nk),
        base_nonce=labeled_expand(suite_id, secret, b"base_nonce", context, 12),
        exporter_secret=labeled_expand(suite_id, secret, b"exp", context, 32),
    )


def setup_base_s(
    recipient: ec.EllipticCurvePublicKey,
    info: bytes,
    ephemeral: ec.EllipticCurvePrivateKey,
    aead_id: int = AEAD_AES_256_GCM,
) -> Context:
    """Sender setup with a given ephemeral key (reference implementation)."""
    dh = ephemeral.exchange(ec.ECDH(), recipient)
    enc = public_key_bytes(ephemeral.public_key())
    return key_schedule(_shared_secret(dh, enc, public_key_bytes(recipient)), info, enc, aead_id)


def setup_base_r(
    enc: bytes, private_key: ec.EllipticCurvePrivateKey, info: bytes, aead_id: int = AEAD_AES_256_GCM
) -> Context:
    """Receiver setup (reference implementation)."""
    dh = private_key.exchange(ec.ECDH(), load_public_key(enc))
    pk_rm = public_key_bytes(private_key.public_key())
    return key_schedule(_shared_secret(dh, enc, pk_rm), info, enc, aead_id)


def wrap_deterministic(
    plaintext: bytes, recipient: ec.EllipticCurvePublicKey, info: bytes, ephemeral: ec.EllipticCurvePrivateKey
) -> tuple[bytes, bytes]:
    """Single-shot seal (sequence 0, empty aad) with a given ephemeral key, for test vectors."""
    ctx = setup_base_s(recipient, info, ephemeral)
    return ctx.enc, AESGCM(ctx.key).encrypt(ctx.base_nonce, plaintext, b"")
