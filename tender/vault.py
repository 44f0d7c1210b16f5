"""The platform's time vault: one custodian whose private key the server keeps apart from the
database (a PEM file at TIME_VAULT_KEY_PATH, made on first use), used only after the opening time.

In production the PEM is encrypted (PKCS#8, the best scheme `cryptography` offers) under a passphrase
the deployment provides outside the instance folder: `TIME_VAULT_PASSPHRASE_FILE` (a secret file, e.g.
a container secret under /run/secrets) or the environment variable `BIAOYUN_TIME_VAULT_PASSPHRASE`.
The app refuses to start in production without one, with a plaintext vault key, or with the secret file
inside the instance folder or the file store (`check_at_startup`). So a copy of the instance folder
(database, file store, keys) holds no usable vault key, and even a leaked vault key opens nothing alone:
the custody rule (tender/custody.py) never lets the platform reach k by itself.

The embedded default (`make run`) has no passphrase and keeps a plaintext key, as before; give it one
and new keys are encrypted too; `flask tender encrypt-vault-key` encrypts an existing plaintext key.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app

import crypto
from core import clock
from core.errors import Conflict
from core.files import create_once
from tender.keys import public_pem

VAULT_ID = "vault"
VAULT_LABEL = "平台时间保险库"
MIN_PASSPHRASE = 20
ENCRYPTED_MARK = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"
_cache: dict[tuple[str, int, int], ec.EllipticCurvePrivateKey] = {}


class VaultConfigError(RuntimeError):
    """The deployment's vault configuration is unsafe or unusable: the app does not start."""


def key_path(app: Flask | None = None) -> Path:
    app = app or current_app
    configured = app.config.get("TIME_VAULT_KEY_PATH")
    return Path(configured) if configured else Path(app.instance_path) / "keys" / "time_vault.pem"


def passphrase(app: Flask | None = None) -> bytes | None:
    """The passphrase the deployment provides (secret file first, then the setting), or None."""
    app = app or current_app
    secret_file = app.config.get("TIME_VAULT_PASSPHRASE_FILE")
    if secret_file:
        try:
            text = Path(secret_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise VaultConfigError(f"cannot read TIME_VAULT_PASSPHRASE_FILE {secret_file}: {exc}") from exc
        return text.encode("utf-8") or None
    value = app.config.get("TIME_VAULT_PASSPHRASE")
    return str(value).encode("utf-8") if value else None


def is_encrypted(pem: bytes) -> bool:
    return pem.lstrip().startswith(ENCRYPTED_MARK)


def _encryption(secret: bytes | None) -> serialization.KeySerializationEncryption:
    return serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()


def _load(path: Path, secret: bytes | None) -> ec.EllipticCurvePrivateKey:
    pem = path.read_bytes()
    stat = path.stat()
    cached = _cache.get((str(path), stat.st_mtime_ns, stat.st_size))
    if cached is not None:  # scrypt/PBKDF2 once per process, not once per bid
        return cached
    if is_encrypted(pem) and not secret:
        raise VaultConfigError(f"{path} is encrypted: set TIME_VAULT_PASSPHRASE_FILE or "
                               "BIAOYUN_TIME_VAULT_PASSPHRASE")
    try:
        key = serialization.load_pem_private_key(pem, password=secret if is_encrypted(pem) else None)
    except (ValueError, TypeError) as exc:
        raise VaultConfigError(f"{path}: wrong time-vault passphrase or damaged key ({exc})") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise VaultConfigError(f"{path} does not hold a P-256 private key")
    _cache.clear()
    _cache[(str(path), stat.st_mtime_ns, stat.st_size)] = key
    return key


def _load_or_create() -> ec.EllipticCurvePrivateKey:
    path, secret = key_path(), passphrase()
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        create_once(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           _encryption(secret)))
    return _load(path, secret)


def encrypt_existing(app: Flask | None = None) -> bool:
    """Re-write a plaintext vault key encrypted under the configured passphrase; False if already so."""
    app = app or current_app
    path, secret = key_path(app), passphrase(app)
    if not secret:
        raise VaultConfigError("set TIME_VAULT_PASSPHRASE_FILE or BIAOYUN_TIME_VAULT_PASSPHRASE first")
    pem = path.read_bytes()
    if is_encrypted(pem):
        return False
    key = serialization.load_pem_private_key(pem, password=None)
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  _encryption(secret))
    fd, tmp = tempfile.mkstemp(prefix=".vault-", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(encrypted)
    os.replace(tmp, path)
    return True


def _inside(path: Path, folder: str | os.PathLike[str]) -> bool:
    try:
        return path.resolve().is_relative_to(Path(folder).resolve())
    except OSError:
        return False


def check_at_startup(app: Flask) -> None:
    """Production: a passphrase from outside the instance folder, and no plaintext vault key on disk."""
    if app.config.get("ENV_NAME") != "production":
        return
    secret_file = app.config.get("TIME_VAULT_PASSPHRASE_FILE")
    if secret_file and any(_inside(Path(secret_file), folder)
                           for folder in (app.instance_path, app.config["FILE_STORE"])):
        raise VaultConfigError(
            f"Refusing to start: TIME_VAULT_PASSPHRASE_FILE ({secret_file}) lies inside the instance folder or "
            "the file store; keep the time vault's passphrase apart from the data (e.g. /run/secrets/…).")
    secret = passphrase(app)
    if not secret or len(secret) < MIN_PASSPHRASE:
        raise VaultConfigError(
            "Refusing to start: in production the time vault key must be encrypted. Provide a passphrase of at "
            f"least {MIN_PASSPHRASE} characters outside the instance folder: TIME_VAULT_PASSPHRASE_FILE=/run/"
            "secrets/… (BIAOYUN_TIME_VAULT_PASSPHRASE_FILE) or BIAOYUN_TIME_VAULT_PASSPHRASE.")
    path = key_path(app)
    if path.exists():
        if not is_encrypted(path.read_bytes()):
            raise VaultConfigError(
                f"Refusing to start: the time vault key {path} is stored in plaintext. Encrypt it under the "
                "configured passphrase with `flask tender encrypt-vault-key` (or remove it before the first "
                "tender is published).")
        _load(path, secret)  # a wrong passphrase stops the start, not the first opening


def public_key_pem() -> str:
    return public_pem(_load_or_create().public_key())


def release_share(header: crypto.Header, opening_time) -> crypto.Share:
    """Unwrap the vault's share of one container; refused before the opening time."""
    if clock.now() < opening_time:
        raise Conflict("未到开标时间，时间保险库不释放密钥份额。", code="vault_too_early")
    return crypto.unwrap_share(header, _load_or_create())
