"""crypto/vectors/v1.json and v2.json: regenerated bit-for-bit, and every section checked on its own.

Version 2 (the key commitment binds policy, signer and bidder id) is what seal() writes; version 1
containers stay readable, so both files run through every check.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from crypto import (
    MemorySink,
    Share,
    container,
    hpke,
    inspect,
    open_with_key,
    open_with_shares,
    policy_hash,
    shamir,
    unwrap_share,
)
from crypto._vectors import render
from crypto.encoding import b64u_decode, canonical_json
from crypto.errors import KeyCommitmentMismatchError
from crypto.keyfile import load_key_file

DIR = Path(__file__).resolve().parents[2] / "crypto" / "vectors"
VECTORS = {n: json.loads((DIR / f"v{n}.json").read_text(encoding="utf-8")) for n in (1, 2)}
CASES = [(n, case) for n, vec in VECTORS.items() for case in vec["containers"]]


@pytest.fixture(params=sorted(VECTORS), ids=lambda n: f"v{n}")
def V(request) -> dict:
    return VECTORS[request.param]


def _key(name: str):
    return hpke.private_key_from_scalar(bytes.fromhex(VECTORS[1]["keys"][name]["d"]))


@pytest.mark.parametrize("version", [1, 2])
def test_file_is_what_the_generator_makes(version: int) -> None:
    assert (DIR / f"v{version}.json").read_text(encoding="utf-8") == render(version)


def test_both_versions_seal_to_the_same_parties() -> None:
    assert VECTORS[1]["keys"] == VECTORS[2]["keys"] and VECTORS[1]["policy"] == VECTORS[2]["policy"]
    assert [c["inspect"]["format"] for c in VECTORS[2]["containers"]] == ["biaoyun-sealed/2"] * 2
    assert [c["inspect"]["format"] for c in VECTORS[1]["containers"]] == ["biaoyun-sealed/1"] * 2


def test_keys_and_policy_hash(V) -> None:
    for name, entry in V["keys"].items():
        assert container.public_key_b64u(_key(name).public_key()) == entry["public_key"]
    assert canonical_json(V["policy"]).decode() == V["policy_canonical"]
    assert hashlib.sha256(V["policy_canonical"].encode()).hexdigest() == V["policy_hash"]
    assert policy_hash(V["policy"]).hex() == V["policy_hash"]


def test_shamir_vectors(V) -> None:
    for case in V["shamir"]:
        if "gf_mul" in case:
            assert all(shamir.gf_mul(a, b) == c for a, b, c in case["gf_mul"])
            continue
        coefficients = bytes.fromhex(case["coefficients"])
        shares = shamir.split(
            bytes.fromhex(case["secret"]), case["k"], case["n"], lambda _n, c=coefficients: c
        )
        assert [s.hex() for s in shares] == [s["y"] for s in case["shares"]]
        for combo in case["combine"]:
            picked = [(x, bytes.fromhex(case["shares"][x - 1]["y"])) for x in combo["xs"]]
            assert shamir.combine(picked).hex() == combo["secret"]


def test_hpke_vectors(V) -> None:
    for case in V["hpke"]:
        rcpt = hpke.private_key_from_scalar(bytes.fromhex(case["skR"]))
        eph = hpke.private_key_from_scalar(bytes.fromhex(case["skE"]))
        info, pt = bytes.fromhex(case["info"]), bytes.fromhex(case["pt"])
        enc, ct = hpke.wrap_deterministic(pt, rcpt.public_key(), info, eph)
        assert (enc.hex(), ct.hex()) == (case["enc"], case["ct"])
        assert hpke.unwrap(bytes.fromhex(case["enc"]), bytes.fromhex(case["ct"]), rcpt, info) == pt


def test_hkdf_vectors(V) -> None:
    for case in V["hkdf"]:
        file_key = bytes.fromhex(case["file_key"])
        binding = bytes.fromhex(case["binding"]) if "binding" in case else None
        keys = container.derive_keys(file_key, bytes.fromhex(case["payload_salt"]), binding)
        assert {name: value.hex() for name, value in keys.items()} == {
            n: case[n] for n in ("payload_key", "commitment", "header_mac_key")
        }
        assert container.share_commitment(1, file_key).hex() == case["share_commitment_x1"]


@pytest.mark.parametrize(("version", "case"), CASES, ids=lambda c: c["name"] if isinstance(c, dict) else f"v{c}")
def test_container_vectors(version: int, case: dict) -> None:
    V = VECTORS[version]
    data = b64u_decode(case["container_b64u"])
    assert inspect(io.BytesIO(data), V["policy"]) == case["inspect"]
    for custodian, expected in case["shares"].items():
        assert unwrap_share(io.BytesIO(data), _key(custodian)).to_json() == expected
    shares = [Share.from_json(s) for s in case["shares"].values()]
    for sink, opener in ((MemorySink(), "shares"), (MemorySink(), "key")):
        if opener == "shares":
            open_with_shares(io.BytesIO(data), shares, sink, policy=V["policy"])
        else:
            open_with_key(io.BytesIO(data), _key("supplier_enc"), sink, policy=V["policy"])
        assert sink.summary == case["summary"]
        assert [(n, hashlib.sha256(d).hexdigest()) for n, d in sink.files.items()] == [
            (f["name"], f["sha256"]) for f in case["files"]
        ]
        for f in case["files"]:
            expected = (
                b64u_decode(f["content_b64u"])
                if "content_b64u" in f
                else bytes(i % 251 for i in range(f["size"]))
            )
            assert sink.files[f["name"]] == expected


def test_container_vector_draws_reproduce_the_bytes(V) -> None:
    """Feeding the recorded random draws back in gives the same container."""
    case = V["containers"][0]
    draws = iter(bytes.fromhex(d) for d in case["random_draws"])
    out = io.BytesIO()
    files = [(f["name"], io.BytesIO(b64u_decode(f["content_b64u"]))) for f in case["files"]]
    sign, enc = _key("supplier_sign"), _key("supplier_enc").public_key()
    chunk = container.MIN_CHUNK
    container.seal(
        V["policy"],
        sign,
        enc,
        case["summary"],
        files,
        out,
        case["bidder_id"],
        chunk_size=chunk,
        rand=lambda n: next(draws),
        version=int(case["inspect"]["format"].rsplit("/", 1)[1]),
    )
    assert out.getvalue() == b64u_decode(case["container_b64u"])


def test_forged_vector(V) -> None:
    forged = V["forged_self_stanza"]
    data = b64u_decode(forged["container_b64u"])
    assert inspect(io.BytesIO(data), V["policy"])["signature_valid"] is True
    with pytest.raises(KeyCommitmentMismatchError):
        open_with_key(io.BytesIO(data), _key("supplier_enc"), MemorySink())
    shares = [Share.from_json(s) for s in V["containers"][0]["shares"].values()]
    open_with_shares(io.BytesIO(data), shares, MemorySink())


def test_key_file_vector(V) -> None:
    entry = V["key_file"]
    pair = load_key_file(json.dumps(entry["file"]).encode(), entry["passphrase"])
    assert container.public_key_b64u(pair.signing.public_key()) == entry["sign_public_key"]
    assert container.public_key_b64u(pair.encryption.public_key()) == entry["encrypt_public_key"]


def test_document_signature_vector(V) -> None:
    from crypto import document_digest, sign_document, verify_document
    from crypto.encoding import load_public_key

    case = V["document_signature"]
    digest = document_digest(case["document"])
    assert canonical_json(case["document"]).decode() == case["canonical"]
    assert digest.hex() == case["sha256"]
    public = load_public_key(case["signer_public_key"])
    signature = b64u_decode(case["signature"], 64)
    assert verify_document(public, digest, signature)
    assert sign_document(_key("supplier_sign"), digest) == signature  # RFC 6979: deterministic
    changed = {**case["document"], "amount_fen": case["document"]["amount_fen"] + 1}
    assert not verify_document(public, document_digest(changed), signature)
    # a document signature is not a bid trailer signature, and the reverse
    assert not container.verify_digest(public, digest, signature)
    assert not verify_document(public, digest, container.sign_digest(_key("supplier_sign"), digest))
