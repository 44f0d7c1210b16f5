"""Key files: JSON (the one format for CLI and browser) and PEM encrypted PKCS#8."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from crypto import generate_key_file, load_key_file, load_public_keys
from crypto.encoding import public_key_b64u
from crypto.errors import BadKeyFileError, BadPassphraseError


@pytest.mark.parametrize("kind", ["supplier", "custodian", "signer"])
def test_generate_and_load(kind: str) -> None:
    data, pub = generate_key_file(kind, "correct horse", iterations=1000)
    pair = load_key_file(data, "correct horse")
    publics = load_public_keys(pub)
    if kind == "supplier":
        assert [public_key_b64u(k) for k in publics] == [
            public_key_b64u(pair.signing.public_key()),
            public_key_b64u(pair.encryption.public_key()),
        ]
    elif kind == "signer":
        assert pair.encryption is None and [public_key_b64u(k) for k in publics] == [
            public_key_b64u(pair.signing.public_key())]
    else:
        assert pair.signing is None and len(publics) == 1
    assert json.loads(data)["kdf"]["iterations"] == 1000


def test_default_iterations_are_strong() -> None:
    from crypto.keyfile import DEFAULT_ITERATIONS

    assert DEFAULT_ITERATIONS >= 600_000


def test_wrong_passphrase() -> None:
    data, _ = generate_key_file("custodian", "right", iterations=1000)
    with pytest.raises(BadPassphraseError):
        load_key_file(data, "wrong")


def test_passphrase_is_nfc_normalised() -> None:
    data, _ = generate_key_file("custodian", "caf\u00e9", iterations=1000)
    load_key_file(data, "cafe\u0301")


def test_swapped_public_key_is_refused() -> None:
    data, _ = generate_key_file("custodian", "pw", iterations=1000)
    doc = json.loads(data)
    doc["keys"][0]["public_key"] = public_key_b64u(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(BadKeyFileError):
        load_key_file(json.dumps(doc).encode(), "pw")


@pytest.mark.parametrize("broken", [b"{}", b"not json", b'{"format":"x"}'])
def test_garbage_key_files(broken: bytes) -> None:
    with pytest.raises(BadKeyFileError):
        load_key_file(broken, "pw")


def test_pem_encrypted_pkcs8_is_read_too() -> None:
    sign, enc = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    pem = b"".join(
        k.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
        for k in (sign, enc)
    )
    pair = load_key_file(pem, "pw")
    assert pair.kind == "supplier"
    assert public_key_b64u(pair.signing.public_key()) == public_key_b64u(sign.public_key())
    assert public_key_b64u(pair.encryption.public_key()) == public_key_b64u(enc.public_key())
    for wrong in ("nope", *(f"wrong-{i}" for i in range(300))):  # ~1 in 256 passes CBC padding
        with pytest.raises(BadPassphraseError):
            load_key_file(pem, wrong)
