"""Encryption of secrets kept in the database (TOTP seeds), keyed from the app's secret.

A database dump alone then reveals no second factor. The key is derived per purpose with
HKDF so one purpose's ciphertext can never be replayed as another's.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

VERSION = b"\x01"


def _key(purpose: str) -> bytes:
    secret = current_app.config.get("DATA_KEY") or current_app.config["SECRET_KEY"]
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"biaoyun secretbox v1",
                info=purpose.encode()).derive(secret.encode() if isinstance(secret, str) else secret)


def seal(plaintext: bytes, purpose: str) -> bytes:
    nonce = os.urandom(12)
    return VERSION + nonce + AESGCM(_key(purpose)).encrypt(nonce, plaintext, purpose.encode())


def unseal(blob: bytes, purpose: str) -> bytes:
    if blob[:1] != VERSION:
        raise ValueError("unknown secretbox version")
    return AESGCM(_key(purpose)).decrypt(blob[1:13], blob[13:], purpose.encode())
