"""Signatures over documents (FORMAT.md §14): a contract, or any JSON record two parties must agree to.

A document is a JSON object; what is signed is the SHA-256 of its canonical JSON behind a label of
its own, so a document signature can never be taken for a bid's trailer signature (§8) or the
other way round. Signatures are raw r||s (WebCrypto's format), like the trailer's.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from crypto.encoding import canonical_json

DOCUMENT_LABEL = b"biaoyun/document/v1/signature\x00"
# Order of the P-256 group. ECDSA accepts (r, s) and (r, n - s) alike; we sign and accept only
# s <= n/2 ("low-s", as Bitcoin's BIP 62/146 does), so a signed file has exactly one valid encoding
# and its digest cannot be changed by flipping s.
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
HALF_ORDER = P256_ORDER // 2


def document_digest(document: dict[str, Any]) -> bytes:
    """SHA-256 of the document's canonical JSON: the value both parties sign and anyone can recompute."""
    return hashlib.sha256(canonical_json(document)).digest()


def sign_raw(key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    """ECDSA P-256 / SHA-256 with RFC 6979 nonces, returned as raw r||s (64 bytes)."""
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)))
    if s > HALF_ORDER:
        s = P256_ORDER - s  # the low-s form of the same signature (FORMAT.md §8)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def is_low_s(signature: bytes) -> bool:
    """True if a raw r||s signature has 1 <= s <= n/2 (the only form we accept)."""
    return len(signature) == 64 and 1 <= int.from_bytes(signature[32:], "big") <= HALF_ORDER


def verify_raw(key: ec.EllipticCurvePublicKey, message: bytes, signature: bytes) -> bool:
    """Check a raw r||s signature; any malformed input, or a high-s one, is not a valid signature."""
    if not is_low_s(signature):
        return False
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        key.verify(der, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def sign_document(key: ec.EllipticCurvePrivateKey, digest: bytes) -> bytes:
    """Sign a document's digest (`document_digest`)."""
    if len(digest) != 32:
        raise ValueError("a document digest is 32 bytes")
    return sign_raw(key, DOCUMENT_LABEL + digest)


def verify_document(key: ec.EllipticCurvePublicKey, digest: bytes, signature: bytes) -> bool:
    return len(digest) == 32 and verify_raw(key, DOCUMENT_LABEL + digest, signature)
