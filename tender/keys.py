"""Small key helpers over `cryptography` (PEM <-> the b64u raw points that crypto/ writes).

crypto/ keeps its own encoder private; the container's `signer` field is the b64u of the
uncompressed P-256 point (FORMAT.md §1), which is all this module reproduces.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def load_pem_public(pem: str) -> ec.EllipticCurvePublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("not an EC public key")
    return key


def raw_b64u(key: ec.EllipticCurvePublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def pem_to_b64u(pem: str) -> str:
    return raw_b64u(load_pem_public(pem))


def public_pem(key: ec.EllipticCurvePublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
