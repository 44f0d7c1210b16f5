"""The platform's time vault: one custodian whose private key the server keeps apart from
the database (a PEM file at TIME_VAULT_KEY_PATH, made on first use), used only after the
opening time. A database dump alone therefore opens nothing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app

import crypto
from core import clock
from core.errors import Conflict
from tender.keys import public_pem

VAULT_ID = "vault"
VAULT_LABEL = "平台时间保险库"


def key_path() -> Path:
    configured = current_app.config.get("TIME_VAULT_KEY_PATH")
    return Path(configured) if configured else Path(current_app.instance_path) / "keys" / "time_vault.pem"


def _load_or_create() -> ec.EllipticCurvePrivateKey:
    path = key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        fd, tmp = tempfile.mkstemp(prefix=".vault-", dir=path.parent)  # mode 0600
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        try:
            os.link(tmp, path)  # atomic create-if-absent: two processes agree on one key
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise RuntimeError(f"{path} does not hold a P-256 private key")
    return key


def public_key_pem() -> str:
    return public_pem(_load_or_create().public_key())


def release_share(header: crypto.Header, opening_time) -> crypto.Share:
    """Unwrap the vault's share of one container; refused before the opening time."""
    if clock.now() < opening_time:
        raise Conflict("未到开标时间，时间保险库不释放密钥份额。", code="vault_too_early")
    return crypto.unwrap_share(header, _load_or_create())
