"""Version 2 binds the bidder into the key commitment; only low-s ECDSA signatures verify (issue 10)."""

from __future__ import annotations

import io

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sealed_attacks import high_s_twin, relabel

from crypto import MemorySink, Share, document, inspect, open_with_shares, seal, unwrap_share
from crypto import errors as e
from crypto.container import sign_digest, verify_digest


def _seal(parties, bidder_id: str, version: int = 2) -> bytes:
    out = io.BytesIO()
    seal(parties.policy, parties.sign, parties.enc.public_key(), {"price_fen": 100}, [("a", io.BytesIO(b"bid"))],
         out, bidder_id, version=version)  # fmt: skip
    return out.getvalue()


def _relabelled_shares(parties, original: bytes, copy: bytes) -> list[Share]:
    """The victim's genuine shares, rewritten to name the copy (what a custodian would hand over)."""
    copied = inspect(io.BytesIO(copy))
    shares = [unwrap_share(io.BytesIO(original), parties.custodians[i]) for i in (0, 1)]
    return [Share(s.x, s.y, s.custodian, s.policy_hash, copied["bidder_id"], s.commitment) for s in shares]


def test_a_relabelled_v2_copy_fails_as_the_copiers_fault(parties) -> None:
    original = _seal(parties, "VICTIM-1")
    copier = ec.generate_private_key(ec.SECP256R1())
    copy = relabel(original, "COPIER-2", copier)
    info = inspect(io.BytesIO(copy), parties.policy, require_signature=True)
    assert info["bidder_id"] == "COPIER-2" and info["format"] == "biaoyun-sealed/2"
    assert info["commitment"] == inspect(io.BytesIO(original))["commitment"]  # it cannot make its own
    with pytest.raises(e.StanzaInvalidError):  # the custodian's stanza was wrapped for the victim
        unwrap_share(io.BytesIO(copy), parties.custodians[0])
    with pytest.raises(e.KeyCommitmentMismatchError) as refused:
        open_with_shares(io.BytesIO(copy), _relabelled_shares(parties, original, copy), MemorySink())
    assert refused.value.bidder_fault
    sink = MemorySink()  # the victim's bid opens untouched
    open_with_shares(io.BytesIO(original), [unwrap_share(io.BytesIO(original), c) for c in parties.custodians[:2]],
                     sink)  # fmt: skip
    assert sink.files == {"a": b"bid"}


def test_in_v1_the_same_copy_looked_like_a_tampered_header_nobody_is_blamed_for(parties) -> None:
    """Why version 2: a v1 commitment does not name the bidder, so the copy was not the copier's fault."""
    original = _seal(parties, "VICTIM-1", version=1)
    copy = relabel(original, "COPIER-2", ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(e.HeaderTamperedError) as refused:
        open_with_shares(io.BytesIO(copy), _relabelled_shares(parties, original, copy), MemorySink())
    assert not refused.value.bidder_fault


def test_a_copy_downgraded_to_v1_fails_its_commitment(parties) -> None:
    original = _seal(parties, "VICTIM-1")
    copy = relabel(original, "COPIER-2", ec.generate_private_key(ec.SECP256R1()), version=1)
    with pytest.raises(e.KeyCommitmentMismatchError):
        open_with_shares(io.BytesIO(copy), _relabelled_shares(parties, original, copy), MemorySink())


def test_signatures_are_low_s_and_the_high_s_twin_is_refused(parties) -> None:
    digest = bytes(32)
    for i in range(64):  # RFC 6979 nonces: without normalising, about half would be high-s
        message = i.to_bytes(32, "big")
        signature = document.sign_raw(parties.sign, message)
        assert document.is_low_s(signature)
        assert document.verify_raw(parties.sign.public_key(), message, signature)
        assert not document.verify_raw(parties.sign.public_key(), message, high_s_twin(signature))
    trailer = sign_digest(parties.sign, digest)
    assert verify_digest(parties.sign.public_key(), digest, trailer)
    assert not verify_digest(parties.sign.public_key(), digest, high_s_twin(trailer))
    signed = document.sign_document(parties.sign, digest)
    assert not document.verify_document(parties.sign.public_key(), digest, high_s_twin(signed))


def test_a_container_with_a_high_s_trailer_does_not_verify(parties) -> None:
    data = _seal(parties, "B-1")
    twin = data[:-64] + high_s_twin(data[-64:])
    assert inspect(io.BytesIO(data))["signature_valid"] is True
    assert inspect(io.BytesIO(twin))["signature_valid"] is False
    with pytest.raises(e.SignatureInvalidError):
        inspect(io.BytesIO(twin), require_signature=True)
