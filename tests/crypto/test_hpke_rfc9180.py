"""Our RFC 9180 reference (what the WebCrypto code follows) against RFC 9180 Appendix A.3.1.

A.3.1 is DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode; our suite differs
only in the AEAD (AES-256-GCM, Nk = 32), so the KEM and most of the key schedule are checked
byte for byte here, and the AES-256-GCM variant is checked against ``cryptography``'s HPKE.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto import hpke

# RFC 9180 Appendix A.3.1 (values as published in the RFC).
A31 = {
    "info": "4f6465206f6e2061204772656369616e2055726e",
    "ikmE": "4270e54ffd08d79d5928020af4686d8f6b7d35dbe470265f1f5aa22816ce860e",
    "pkEm": "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f"
    "951c0900be863c403ce65c9bfcb9382657222d18c4",
    "skEm": "4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb",
    "ikmR": "668b37171f1072f3cf12ea8a236a45df23fc13b82af3609ad1e354f6ef817550",
    "pkRm": "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f"
    "62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0",
    "skRm": "f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2",
    "shared_secret": "c0d26aeab536609a572b07695d933b589dcf363ff9d93c93adea537aeabb8cb8",
    "key_schedule_context": "00b88d4e6d91759e65e87c470e8b9141113e9ad5f0c8ceefc1e088c82e698050"
    "0798e486f9c9c09c9b5c753ac72d6005de254c607d1b534ed11d493ae1c1d9ac85",
    "secret": "2eb7b6bf138f6b5aff857414a058a3f1750054a9ba1f72c2cf0684a6f20b10e1",
    "key": "868c066ef58aae6dc589b6cfdd18f97e",
    "base_nonce": "4e0bc5018beba4bf004cca59",
    "exporter_secret": "14ad94af484a7ad3ef40e9f3be99ecc6fa9036df9d4920548424df127ee0d99f",
    # sequence 0
    "pt": "4265617574792069732074727574682c20747275746820626561757479",
    "aad": "436f756e742d30",
    "ct": "5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f9076ac232e3ab2523f39513434",
    # exports
    "exports": [
        ("", "5e9bc3d236e1911d95e65b576a8a86d478fb827e8bdfe77b741b289890490d4d"),
        ("00", "6cff87658931bda83dc857e6353efe4987a201b849658d9b047aab4cf216e796"),
        ("54657374436f6e74657874", "d8f1ea7942adbba7412c6d431c62d01371ea476b823eb697e1f6e6cae1dab85a"),
    ],
}
H = bytes.fromhex


def _pub(key: ec.EllipticCurvePrivateKey) -> str:
    return hpke.public_key_bytes(key.public_key()).hex()


def test_derive_key_pair_matches_rfc() -> None:
    for ikm, sk, pk in (("ikmE", "skEm", "pkEm"), ("ikmR", "skRm", "pkRm")):
        key = hpke.derive_key_pair(H(A31[ikm]))
        assert hpke.private_key_scalar(key).hex() == A31[sk]
        assert _pub(key) == A31[pk]


def test_key_schedule_matches_rfc_a31() -> None:
    eph = hpke.private_key_from_scalar(H(A31["skEm"]))
    rcpt = hpke.private_key_from_scalar(H(A31["skRm"]))
    ctx = hpke.setup_base_s(rcpt.public_key(), H(A31["info"]), eph, hpke.AEAD_AES_128_GCM)
    assert ctx.enc.hex() == A31["pkEm"]
    assert ctx.shared_secret.hex() == A31["shared_secret"]
    assert ctx.key_schedule_context.hex() == A31["key_schedule_context"]
    assert ctx.secret.hex() == A31["secret"]
    assert ctx.key.hex() == A31["key"]
    assert ctx.base_nonce.hex() == A31["base_nonce"]
    assert ctx.exporter_secret.hex() == A31["exporter_secret"]
    for exporter_context, value in A31["exports"]:
        assert ctx.export(H(exporter_context), 32, hpke.AEAD_AES_128_GCM).hex() == value
    ct = AESGCM(ctx.key).encrypt(ctx.base_nonce, H(A31["pt"]), H(A31["aad"]))
    assert ct.hex() == A31["ct"]
    receiver = hpke.setup_base_r(H(A31["pkEm"]), rcpt, H(A31["info"]), hpke.AEAD_AES_128_GCM)
    assert receiver == ctx


def test_cryptography_opens_what_the_reference_seals_with_aes256() -> None:
    rcpt = hpke.private_key_from_scalar(H(A31["skRm"]))
    eph = hpke.private_key_from_scalar(H(A31["skEm"]))
    enc, ct = hpke.wrap_deterministic(b"file key" * 4, rcpt.public_key(), H(A31["info"]), eph)
    assert enc.hex() == A31["pkEm"]
    assert hpke.unwrap(enc, ct, rcpt, H(A31["info"])) == b"file key" * 4
    # Same shared secret as the RFC (the KEM does not depend on the AEAD), new key length.
    ctx = hpke.setup_base_s(rcpt.public_key(), H(A31["info"]), eph)
    assert ctx.shared_secret.hex() == A31["shared_secret"] and len(ctx.key) == 32


def test_reference_opens_what_cryptography_seals() -> None:
    rcpt = ec.generate_private_key(ec.SECP256R1())
    enc, ct = hpke.wrap(b"x" * 32, rcpt.public_key(), b"info")
    ctx = hpke.setup_base_r(enc, rcpt, b"info")
    assert AESGCM(ctx.key).decrypt(ctx.base_nonce, ct, b"") == b"x" * 32
