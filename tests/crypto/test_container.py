"""Round trips and every refusal of the sealed container (FORMAT.md §6–§9)."""

from __future__ import annotations

import io
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto import (
    MemorySink,
    Share,
    inspect,
    open_with_key,
    open_with_shares,
    read_header,
    unwrap_share,
    verify_share,
)
from crypto import errors as e
from crypto.container import MIN_CHUNK, TAG
from crypto.encoding import canonical_json

CHUNK = MIN_CHUNK
FULL_RECORD = 1 + CHUNK + TAG


def _plain_len(files: list[tuple[str, bytes]], summary: dict) -> int:
    manifest = {"files": [{"name": n, "size": len(d)} for n, d in files], "summary": summary}
    return 4 + len(canonical_json(manifest)) + sum(len(d) for _, d in files)


def _open_both(parties, data: bytes) -> tuple[MemorySink, MemorySink]:
    shares = [unwrap_share(io.BytesIO(data), parties.custodians[i]) for i in (0, 2)]
    by_shares, by_key = MemorySink(), MemorySink()
    open_with_shares(io.BytesIO(data), shares, by_shares, policy=parties.policy)
    open_with_key(io.BytesIO(data), parties.enc, by_key, policy=parties.policy)
    return by_shares, by_key


def _file_of_plain_len(target: int, summary: dict) -> list[tuple[str, bytes]]:
    """One file sized so that the whole plaintext is ``target`` bytes (hits chunk edges exactly)."""
    size = max(0, target - _plain_len([("f.bin", b"")], summary))
    for _ in range(3):  # the size's digits change the manifest length
        size = target - _plain_len([("f.bin", b"\0" * size)], summary) + size
    return [("f.bin", os.urandom(size))]


SUMMARY = {"bidder": "ACME 有限公司", "lot": "1", "price_fen": 12_345_600, "delivery_days": 45}


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * 1024 * 1024 + 7])
def test_round_trip_by_file_size(parties, make_sealed, size: int) -> None:
    files = [("bid.pdf", os.urandom(size)), ("empty.txt", b"")]
    data = make_sealed(files)
    info = inspect(io.BytesIO(data), parties.policy, require_signature=True)
    assert info["signature_valid"] and info["payload_bytes"] == _plain_len(files, SUMMARY)
    assert info["size"] == len(data)
    for sink in _open_both(parties, data):
        assert sink.summary == SUMMARY
        assert sink.files == dict(files)


@pytest.mark.parametrize("plain", [CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK])
def test_round_trip_at_exact_chunk_boundaries(parties, make_sealed, plain: int) -> None:
    files = _file_of_plain_len(plain, SUMMARY)
    assert _plain_len(files, SUMMARY) == plain
    data = make_sealed(files)
    info = inspect(io.BytesIO(data))
    assert info["chunks"] == -(-plain // CHUNK) and info["payload_bytes"] == plain
    assert _open_both(parties, data)[0].files == dict(files)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sizes=st.lists(st.integers(0, 3 * CHUNK), min_size=0, max_size=4),
    seed=st.binary(min_size=1, max_size=8),
)
def test_round_trip_random_files(parties, make_sealed, sizes: list[int], seed: bytes) -> None:
    files = [(f"f{i}.bin", (seed * (size // len(seed) + 1))[:size]) for i, size in enumerate(sizes)]
    data = make_sealed(files)
    by_shares, by_key = _open_both(parties, data)
    assert by_shares.files == by_key.files == dict(files)


def test_larger_chunk_size(parties, make_sealed) -> None:
    files = [("a", os.urandom(300_000))]
    data = make_sealed(files, chunk_size=1 << 20)
    assert inspect(io.BytesIO(data))["chunks"] == 1
    assert _open_both(parties, data)[1].files == dict(files)


# --- refusals -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sealed(make_sealed) -> bytes:
    """A container of three full chunks and a short final one."""
    return make_sealed([("bid.pdf", os.urandom(3 * CHUNK + 10))])


def _records_start(data: bytes) -> int:
    return 13 + int.from_bytes(data[9:13], "big") + 32


def _open_key(parties, data: bytes) -> MemorySink:
    sink = MemorySink()
    open_with_key(io.BytesIO(data), parties.enc, sink)
    return sink


def _shares(parties, data: bytes, which=(0, 1)) -> list[Share]:
    return [unwrap_share(io.BytesIO(data), parties.custodians[i]) for i in which]


def _expect(error: type[e.SealedError], parties, data: bytes, match: str | None = None) -> None:
    with pytest.raises(error, match=match):
        _open_key(parties, data)
    with pytest.raises(error, match=match):
        open_with_shares(io.BytesIO(data), _shares(parties, data), MemorySink())


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def test_flipped_header_value_is_header_tampered(parties, sealed) -> None:
    offset = sealed.index(b'"T-2025-01"') + 1
    tampered = _flip(sealed, offset)
    _expect(e.HeaderTamperedError, parties, tampered, "MAC")
    assert inspect(io.BytesIO(tampered))["signature_valid"] is False


@pytest.mark.parametrize("where", ["json_syntax", "mac", "length"])
def test_other_header_damage(parties, sealed, where: str) -> None:
    offset = {"json_syntax": 13, "mac": _records_start(sealed) - 1, "length": 12}[where]
    tampered = _flip(sealed, offset)
    with pytest.raises((e.HeaderTamperedError, e.TruncatedError, e.MalformedError)):
        _open_key(parties, tampered)
    if where != "length":
        with pytest.raises(e.HeaderTamperedError):
            _open_key(parties, tampered)


def test_bad_magic_and_version(parties, sealed) -> None:
    with pytest.raises(e.BadMagicError):
        inspect(io.BytesIO(b"PK\x03\x04" + sealed[4:]))
    with pytest.raises(e.BadMagicError):
        inspect(io.BytesIO(b""))
    with pytest.raises(e.UnsupportedVersionError):
        inspect(io.BytesIO(sealed[:8] + b"\x03" + sealed[9:]))


def test_swapped_chunks_fail_authentication(parties, sealed) -> None:
    start = _records_start(sealed)
    r0, r1 = sealed[start : start + FULL_RECORD], sealed[start + FULL_RECORD : start + 2 * FULL_RECORD]
    swapped = sealed[:start] + r1 + r0 + sealed[start + 2 * FULL_RECORD :]
    _expect(e.ChunkAuthFailedError, parties, swapped, "chunk 0")


def test_flipped_ciphertext_names_the_chunk(parties, sealed) -> None:
    tampered = _flip(sealed, _records_start(sealed) + FULL_RECORD + 100)
    with pytest.raises(e.ChunkAuthFailedError, match="chunk 1 ") as info:
        _open_key(parties, tampered)
    assert info.value.index == 1 and info.value.code == "chunk_auth_failed"
    assert inspect(io.BytesIO(tampered))["signature_valid"] is False


def test_dropped_final_chunk_is_truncated(parties, sealed) -> None:
    final_start = _records_start(sealed) + 3 * FULL_RECORD
    without_final = sealed[:final_start] + sealed[-65:]
    _expect(e.TruncatedError, parties, without_final, "final chunk is missing")
    _expect(e.TruncatedError, parties, sealed[:final_start])
    with pytest.raises(e.TruncatedError):
        inspect(io.BytesIO(sealed[:final_start]))


def test_cut_inside_a_chunk_or_trailer_is_truncated(parties, sealed) -> None:
    for cut in (_records_start(sealed) + 500, len(sealed) - 10, len(sealed) - 65, 20):
        with pytest.raises(e.TruncatedError):
            inspect(io.BytesIO(sealed[:cut]))


def test_final_flag_on_an_inner_chunk_fails(parties, sealed) -> None:
    # Turning chunk 2 into a "final" record (dropping chunk 3) breaks its nonce flag.
    start = _records_start(sealed) + 2 * FULL_RECORD
    record = sealed[start : start + FULL_RECORD]
    forged = sealed[:start] + b"F" + CHUNK.to_bytes(4, "big") + record[1:] + sealed[-65:]
    _expect(e.ChunkAuthFailedError, parties, forged, "chunk 2")


def test_appended_chunk_is_trailing_data(parties, sealed) -> None:
    start = _records_start(sealed)
    extra = sealed[start : start + FULL_RECORD]
    appended = sealed[:-65] + extra + sealed[-65:]
    _expect(e.TrailingDataError, parties, appended)
    with pytest.raises(e.TrailingDataError):
        inspect(io.BytesIO(sealed + extra))


def test_trailing_bytes_are_refused(parties, sealed) -> None:
    _expect(e.TrailingDataError, parties, sealed + b"\0")
    with pytest.raises(e.TrailingDataError):
        inspect(io.BytesIO(sealed + b"junk"))


def test_bad_signature(parties, sealed) -> None:
    tampered = _flip(sealed, len(sealed) - 3)
    assert inspect(io.BytesIO(tampered))["signature_valid"] is False
    with pytest.raises(e.SignatureInvalidError):
        inspect(io.BytesIO(tampered), require_signature=True)
    _expect(e.SignatureInvalidError, parties, tampered)


def test_unknown_record_tag_is_malformed(parties, sealed) -> None:
    start = _records_start(sealed)
    with pytest.raises(e.MalformedError):
        inspect(io.BytesIO(sealed[:start] + b"X" + sealed[start + 1 :]))


def test_wrong_policy(parties, sealed) -> None:
    other = dict(parties.policy, tender_id="T-OTHER")
    with pytest.raises(e.PolicyMismatchError):
        inspect(io.BytesIO(sealed), other)
    with pytest.raises(e.PolicyMismatchError):
        open_with_key(io.BytesIO(sealed), parties.enc, MemorySink(), policy=dict(parties.policy, k=3))


def test_k_minus_one_shares(parties, sealed) -> None:
    with pytest.raises(e.NotEnoughSharesError):
        open_with_shares(io.BytesIO(sealed), _shares(parties, sealed, (1,)), MemorySink())


def test_duplicate_share(parties, sealed) -> None:
    share = _shares(parties, sealed, (0,))[0]
    with pytest.raises(e.BadShareError, match="duplicate"):
        open_with_shares(io.BytesIO(sealed), [share, share], MemorySink())


def test_corrupt_share_is_caught_alone_and_when_combining(parties, sealed) -> None:
    good, other = _shares(parties, sealed)
    corrupt = Share.from_json(dict(good.to_json(), y=Share(1, bytes(32), "", "", "", "").to_json()["y"]))
    header = read_header(io.BytesIO(sealed))
    verify_share(header, good)
    with pytest.raises(e.BadShareError, match="corrupt"):
        verify_share(header, corrupt)
    with pytest.raises(e.BadShareError):
        open_with_shares(io.BytesIO(sealed), [corrupt, other], MemorySink())


def test_share_of_another_container_is_refused(parties, sealed, make_sealed) -> None:
    foreign = _shares(parties, make_sealed([("x", b"y")]), (0,))[0]
    with pytest.raises(e.BadShareError, match="another container"):
        open_with_shares(io.BytesIO(sealed), [foreign, _shares(parties, sealed, (1,))[0]], MemorySink())


def test_malformed_share_file(parties) -> None:
    with pytest.raises(e.BadShareError):
        Share.from_json({"format": "biaoyun-share/1", "x": 1})


def test_wrong_custodian_key(parties, sealed) -> None:
    with pytest.raises(e.WrongKeyError):
        unwrap_share(io.BytesIO(sealed), parties.enc)
    with pytest.raises(e.WrongKeyError):
        open_with_key(io.BytesIO(sealed), parties.custodians[0], MemorySink())


def test_share_round_trips_through_its_file_format(parties, sealed) -> None:
    share = _shares(parties, sealed, (2,))[0]
    assert Share.from_json(json.loads(share.to_bytes())) == share


def test_forged_self_stanza_hits_the_commitment(parties) -> None:
    """A bidder making shares and self stanza carry different keys is refused, and blamed."""
    from crypto._vectors import Drbg, forge_self_stanza

    rand = Drbg("test-forge")
    out = io.BytesIO()
    from crypto import seal

    keys = {"supplier_sign": parties.sign, "supplier_enc": parties.enc}
    files = [("a", io.BytesIO(b"bid"))]
    seal(parties.policy, parties.sign, parties.enc.public_key(), SUMMARY, files, out, "B-1", rand=rand)
    file_key = bytes.fromhex(rand.draws[0])
    forged = forge_self_stanza(out.getvalue(), file_key, os.urandom(32), keys, os.urandom)
    assert inspect(io.BytesIO(forged), parties.policy)["signature_valid"] is True
    with pytest.raises(e.KeyCommitmentMismatchError) as info:
        _open_key(parties, forged)
    assert info.value.bidder_fault and info.value.code == "key_commitment_mismatch"
    sink = MemorySink()
    open_with_shares(io.BytesIO(forged), _shares(parties, forged), sink)
    assert sink.files == {"a": b"bid"}


def test_directory_output_only_on_success(parties, sealed, tmp_path) -> None:
    out = tmp_path / "opened"
    with pytest.raises(e.ChunkAuthFailedError):
        open_with_key(io.BytesIO(_flip(sealed, len(sealed) - 200)), parties.enc, out)
    assert list(tmp_path.iterdir()) == []
    result = open_with_key(io.BytesIO(sealed), parties.enc, out)
    assert sorted(p.name for p in out.iterdir()) == ["files", "summary.json"]
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == SUMMARY == result.summary
    assert (out / "files" / "bid.pdf").stat().st_size == 3 * CHUNK + 10


def test_error_codes_are_distinct_and_stable() -> None:
    classes = [c for c in vars(e).values() if isinstance(c, type) and issubclass(c, e.SealedError)]
    codes = [c.code for c in classes if c is not e.SealedError]
    assert len(codes) == len(set(codes))
    assert {"bad_magic", "header_tampered", "policy_mismatch", "not_enough_shares", "bad_share",
            "key_commitment_mismatch", "chunk_auth_failed", "truncated", "trailing_data",
            "signature_invalid"} <= set(codes)  # fmt: skip
