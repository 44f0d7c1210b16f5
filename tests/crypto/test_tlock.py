"""The time-lock custodian (crypto/tlock.py, FORMAT.md §15): drand-compatible tlock files, beacon
signatures checked against the pinned key, the stanza in a container, and the vectors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

import crypto
from crypto import tlock
from crypto._tlock_vectors import render
from crypto.errors import PolicyMismatchError, SealedError

PATH = Path(__file__).resolve().parents[2] / "crypto" / "vectors" / "tlock.json"
V = json.loads(PATH.read_text(encoding="utf-8"))
QN_PK = bytes.fromhex(V["quicknet"]["public_key"])
QN_SIG = bytes.fromhex(V["quicknet"]["signature"])
QN_ROUND = V["quicknet"]["round"]


def test_file_is_what_the_generator_makes() -> None:
    assert PATH.read_text(encoding="utf-8") == render()


def test_real_quicknet_signature_verifies_against_the_pinned_key() -> None:
    tlock.verify_round(QN_PK, QN_ROUND, QN_SIG)
    with pytest.raises(tlock.TlockError):
        tlock.verify_round(QN_PK, QN_ROUND + 1, QN_SIG)  # a signature of another round


@pytest.mark.parametrize("vector", V["interop"], ids=lambda v: v["made_by"])
def test_ciphertexts_of_the_reference_implementations_open(vector) -> None:
    data = tlock.dearmor(vector["armored"])
    parsed = tlock.parse(data)
    assert (parsed.round, parsed.chain_hash) == (QN_ROUND, V["quicknet"]["chain_hash"])
    assert tlock.decrypt(data, QN_SIG).hex() == vector["plaintext_hex"]


def test_deterministic_vectors() -> None:
    local = V["local_beacon"]
    scalar = int(local["secret_scalar"], 16)
    assert tlock.public_key_of(scalar).hex() == local["public_key"]
    assert tlock.sign_round(scalar, local["round"]).hex() == local["signature"]
    ibe = V["ibe"]
    sigma = bytes.fromhex(ibe["sigma"])
    ct = tlock.ibe_encrypt(bytes.fromhex(ibe["public_key"]), ibe["round"], bytes.fromhex(ibe["msg"]), lambda n: sigma)
    assert ct.hex() == ibe["ciphertext"]
    assert tlock.ibe_decrypt(bytes.fromhex(local["signature"]), ct).hex() == ibe["msg"]
    age = V["age"]
    draws = io.BytesIO(bytes.fromhex(age["draws_hex"]))
    made = tlock.encrypt(bytes.fromhex(age["public_key"]), age["chain_hash"], age["round"],
                         bytes.fromhex(age["plaintext_hex"]), draws.read)
    assert made.hex() == age["file_hex"]
    assert tlock.decrypt(made, bytes.fromhex(local["signature"])).hex() == age["plaintext_hex"]
    for r in V["rounds"]:
        assert tlock.round_at(r["time"], r["genesis_time"], r["period"]) == r["round"]
        assert tlock.round_time(r["round"], r["genesis_time"], r["period"]) >= r["time"]


def test_wrong_signatures_do_not_open() -> None:
    local = V["local_beacon"]
    data = bytes.fromhex(V["age"]["file_hex"])
    for bad in (local["wrong_round_signature"], V["quicknet"]["signature"]):
        with pytest.raises(tlock.TlockError):
            tlock.decrypt(data, bytes.fromhex(bad))
    with pytest.raises(tlock.TlockError):
        tlock.verify_round(QN_PK, 100, bytes.fromhex(local["signature"]))  # another chain's key signed it
    with pytest.raises(tlock.TlockError):
        tlock.verify_round(QN_PK, QN_ROUND, b"\x00" * 48)  # not a point


def test_tampered_files_are_refused() -> None:
    data = bytearray(bytes.fromhex(V["age"]["file_hex"]))
    sig = bytes.fromhex(V["local_beacon"]["signature"])
    data[-1] ^= 1
    with pytest.raises(tlock.TlockError):
        tlock.decrypt(bytes(data), sig)
    with pytest.raises(tlock.TlockError):
        tlock.parse(b"age-encryption.org/v1\n-> X25519 abc\nAAAA\n--- AAAA\n")


def _policy(target: crypto.TlockCustodian, vault_key) -> dict:
    return crypto.make_policy("T-1", "1", 2, [crypto.Custodian("vault", vault_key.public_key(), "vault"), target])


def _target(round_number: int = 100) -> crypto.TlockCustodian:
    local = V["local_beacon"]
    return crypto.TlockCustodian("tlock", V["age"]["chain_hash"], bytes.fromhex(local["public_key"]), round_number,
                                 "drand")


def test_container_with_a_time_lock_share_opens_only_with_the_rounds_signature() -> None:
    vault_key, signer, enc = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    policy = _policy(_target(), vault_key)
    out = io.BytesIO()
    crypto.seal(policy, signer, enc.public_key(), {"price_fen": 1}, [("a.txt", io.BytesIO(b"bid"))], out, "B1")
    data = out.getvalue()
    info = crypto.inspect(io.BytesIO(data), policy, require_signature=True)
    assert info["custodians"][1] == {"x": 2, "id": "tlock", "tlock": {"round": 100,
                                                                      "chain_hash": V["age"]["chain_hash"]}}
    header = crypto.read_header(io.BytesIO(data))
    pk = bytes.fromhex(V["local_beacon"]["public_key"])
    with pytest.raises(tlock.TlockError):  # next round's signature: refused before anything is decrypted
        crypto.unwrap_tlock_share(header, bytes.fromhex(V["local_beacon"]["wrong_round_signature"]), pk)
    with pytest.raises(tlock.TlockError):  # quicknet's key does not sign the local chain's rounds
        crypto.unwrap_tlock_share(header, bytes.fromhex(V["local_beacon"]["signature"]), QN_PK)
    share = crypto.unwrap_tlock_share(header, bytes.fromhex(V["local_beacon"]["signature"]), pk)
    vault_share = crypto.unwrap_share(header, vault_key)
    result = crypto.open_with_shares(io.BytesIO(data), [share, vault_share], crypto.MemorySink(), policy=policy)
    assert result.summary == {"price_fen": 1}
    # the same container does not match a policy frozen to another round
    with pytest.raises(PolicyMismatchError):
        crypto.inspect(io.BytesIO(data), _policy(_target(101), vault_key))


def test_policy_validation_of_the_time_lock_entry() -> None:
    vault_key = ec.generate_private_key(ec.SECP256R1())
    good = _policy(_target(), vault_key)
    crypto.validate_policy(good)
    for change in ({"round": 0}, {"round": True}, {"chain_hash": "AB" * 32}, {"public_key": "00" * 96},
                   {"extra": 1}):
        bad = json.loads(json.dumps(good))
        bad["custodians"][1]["tlock"].update(change)
        with pytest.raises(PolicyMismatchError):
            crypto.validate_policy(bad)
    two = json.loads(json.dumps(good))
    two["custodians"].append({**two["custodians"][1], "id": "tlock2"})
    with pytest.raises(PolicyMismatchError):
        crypto.validate_policy(two)


def test_a_forged_tlock_stanza_is_the_bidders_fault() -> None:
    """A stanza sealed to the right round but carrying another share fails its commitment."""
    vault_key, signer, enc = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    target = _target()
    policy = _policy(target, vault_key)
    out = io.BytesIO()
    crypto.seal(policy, signer, enc.public_key(), {}, [], out, "B1")
    header = crypto.read_header(io.BytesIO(out.getvalue()))
    fields = json.loads(json.dumps(header.fields))
    other = tlock.encrypt(target.public_key, target.chain_hash, 100, b"\x07" * 32)
    fields["shares"][1]["tlock"] = crypto.encoding.b64u_encode(other)
    forged = crypto.Header(header.prefix, header.mac, fields)
    with pytest.raises(SealedError) as caught:
        crypto.unwrap_tlock_share(forged, bytes.fromhex(V["local_beacon"]["signature"]), target.public_key)
    assert caught.value.code == "stanza_invalid" and caught.value.bidder_fault


def test_cli_redoes_the_time_lock_unwrap(tmp_path) -> None:
    """`python -m crypto tlock-share` with the round's signature (as the audit log records it)."""
    from crypto.cli import main

    vault_key, signer, enc = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    policy = _policy(_target(), vault_key)
    (tmp_path / "policy.json").write_text(json.dumps(policy))
    with open(tmp_path / "bid.sealed", "wb") as out:
        crypto.seal(policy, signer, enc.public_key(), {"price_fen": 5}, [], out, "B1")
    args = ["tlock-share", str(tmp_path / "bid.sealed"), "--policy", str(tmp_path / "policy.json"),
            "--out", str(tmp_path / "t.share")]
    assert main([*args, "--signature", V["local_beacon"]["wrong_round_signature"]]) != 0
    assert not (tmp_path / "t.share").exists()
    assert main([*args, "--signature", V["local_beacon"]["signature"]]) == 0
    share = crypto.Share.from_json(json.loads((tmp_path / "t.share").read_text()))
    with open(tmp_path / "bid.sealed", "rb") as source:
        shares = [share, crypto.unwrap_share(crypto.read_header(source), vault_key)]
    with open(tmp_path / "bid.sealed", "rb") as source:
        assert crypto.open_with_shares(source, shares, crypto.MemorySink()).summary == {"price_fen": 5}
