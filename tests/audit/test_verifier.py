"""Canonical event encoding and the standalone verifier, including every kind of tampering."""

import base64
import copy
import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.canonical import (
    NotCanonicalError,
    canonical_json,
    event_from_object,
    event_leaf_data,
    event_leaf_hash,
    event_record,
)
from audit.checkpoint import sign_checkpoint, verifier_key_string, vkey_fingerprint
from audit.merkle import EMPTY_ROOT, MerkleTree, inclusion_proof, leaf_hash, root
from audit.verifier import VerificationError, inclusion_document, main, verify_export, verify_inclusion_file

ORIGIN = "biaoyun.example.gov.cn/audit"
KEY = Ed25519PrivateKey.generate()
VKEY = verifier_key_string(ORIGIN, KEY.public_key())
N = 12


def make_events(n: int = N) -> list[dict]:
    return [event_record(i, f"2025-03-01T08:00:{i:02d}+00:00", f"user:{i % 3}", "bid.submit", "bid",
                         str(i), {"amount_fen": 1000 * i, "sha256": f"{i:064x}", "note": "投标文件"})
            for i in range(n)]


def leaves_of(events: list[dict]) -> list[bytes]:
    return [bytes.fromhex(e["leaf_hash"]) for e in events]


def checkpoint_for(events: list[dict], size: int | None = None) -> str:
    size = len(events) if size is None else size
    return sign_checkpoint(ORIGIN, size, root(leaves_of(events)[:size]), KEY, ORIGIN)


# --- canonical encoding -----------------------------------------------------------------------

def test_canonical_json_is_sorted_compact_utf8():
    assert canonical_json({"b": 1, "a": [True, None, "标"]}) == '{"a":[true,null,"标"],"b":1}'.encode()


@pytest.mark.parametrize("bad", [
    {"amount": 1.5}, {"x": [1, {"y": 2.0}]}, {"nan": float("nan")}, {1: "int key"}, {"b": b"bytes"},
    {"t": datetime(2025, 1, 1, tzinfo=UTC)}, {"d": Decimal("1.00")}, {"s": "\ud800"},
])
def test_canonical_json_rejects_ambiguous_values(bad):
    with pytest.raises(NotCanonicalError):
        canonical_json(bad)


def test_event_leaf_data_has_exactly_the_event_keys():
    data = event_leaf_data(3, "2025-03-01T08:00:00+00:00", None, "plan.create", None, None, {"k": 1})
    assert data == (b'{"action":"plan.create","actor":null,"object_id":null,"object_type":null,'
                    b'"payload":{"k":1},"seq":3,"time":"2025-03-01T08:00:00+00:00"}')
    assert event_leaf_hash(3, "2025-03-01T08:00:00+00:00", None, "plan.create", None, None, {"k": 1}) \
        == leaf_hash(data)
    assert event_from_object(json.loads(data)) == data


@pytest.mark.parametrize("args", [
    (-1, "2025-03-01T08:00:00Z", "a", "x", None, None, {}),
    (True, "2025-03-01T08:00:00Z", "a", "x", None, None, {}),
    (1, "yesterday", "a", "x", None, None, {}),
    (1, datetime(2025, 1, 1), "a", "x", None, None, {}),
    (1, "2025-03-01T08:00:00Z", "a", "", None, None, {}),
    (1, "2025-03-01T08:00:00Z", "a", "x", None, 5, {}),
    (1, "2025-03-01T08:00:00Z", "a", "x", None, None, []),
])
def test_event_leaf_data_rejects_bad_fields(args):
    with pytest.raises(NotCanonicalError):
        event_leaf_data(*args)


def test_event_from_object_needs_exact_keys():
    record = make_events(1)[0]
    with pytest.raises(NotCanonicalError, match="unexpected"):
        event_from_object({**record, "extra": 1})
    with pytest.raises(NotCanonicalError, match="missing"):
        event_from_object({k: v for k, v in record.items() if k != "actor"})


# --- verify_export ----------------------------------------------------------------------------

def test_export_verifies():
    events = make_events()
    result = verify_export(json.dumps(events, ensure_ascii=False), checkpoint_for(events), VKEY)
    assert result.size == N and result.root == root(leaves_of(events))
    assert str(result) == f"OK size={N} root={result.root.hex()}"


def test_export_of_empty_log():
    note = sign_checkpoint(ORIGIN, 0, EMPTY_ROOT, KEY, ORIGIN)
    assert verify_export("[]", note, VKEY).size == 0


def mismatch(events, note=None, vkey=VKEY) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        verify_export(events, note or checkpoint_for(make_events()), vkey)
    return info.value


def test_changed_payload_is_found():
    events = make_events()
    events[5]["payload"]["amount_fen"] = 1
    err = mismatch(events)
    assert err.seq == 5 and "leaf_hash" in err.reason
    assert str(err).startswith("MISMATCH at seq 5: ")


@pytest.mark.parametrize("field", ["time", "actor", "action", "object_type", "object_id"])
def test_changed_field_is_found(field):
    events = make_events()
    events[7][field] = "2025-03-01T09:00:00+00:00" if field == "time" else "forged"
    assert mismatch(events).seq == 7


def test_deleted_event_is_found():
    events = make_events()
    del events[4]
    err = mismatch(events)
    assert err.seq == 4 and "missing" in err.reason


def test_deleted_and_renumbered_event_is_found():
    events = make_events()
    del events[4]
    for i, e in enumerate(events):
        e["seq"] = i
    assert mismatch(events).seq == 4


def test_swapped_events_are_found():
    events = make_events()
    events[3], events[8] = events[8], events[3]
    assert mismatch(events).seq == 3


def test_swapped_and_renumbered_events_are_found():
    events = make_events()
    events[3], events[8] = events[8], events[3]
    events[3]["seq"], events[8]["seq"] = 3, 8
    assert mismatch(events).seq == 3


def test_duplicated_event_is_found():
    events = make_events()
    events.insert(6, copy.deepcopy(events[5]))
    err = mismatch(events)
    assert err.seq == 6 and "again" in err.reason


def test_truncated_log_is_found():
    err = mismatch(make_events()[:9])
    assert err.seq == 9 and "removed from the end" in err.reason


def test_rewritten_event_with_recomputed_hash_is_caught_by_the_root():
    events = make_events()
    e = events[5]
    e["payload"]["amount_fen"] = 1
    e["leaf_hash"] = event_leaf_hash(e["seq"], e["time"], e["actor"], e["action"], e["object_type"],
                                     e["object_id"], e["payload"]).hex()
    err = mismatch(events)
    assert err.seq is None and "seq 0..11" in err.reason


def test_several_checkpoints_narrow_a_rewrite_down():
    events, honest = make_events(), make_events()
    notes = [checkpoint_for(honest, s) for s in (0, 4, 8, 12)]
    e = events[5]
    e["payload"]["amount_fen"] = 1
    del e["leaf_hash"]  # leaf hashes are optional in an export; the roots still catch it
    err = mismatch(events, notes)
    assert "seq 4..7" in err.reason
    assert verify_export(honest, notes, VKEY).size == 12


def test_events_after_the_checkpoint_are_counted_not_trusted():
    events = make_events()
    result = verify_export(events, checkpoint_for(events, 10), VKEY)
    assert result.size == 10 and result.unsigned_events == 2 and "+2 events" in str(result)
    events[11]["payload"]["note"] = "forged"
    assert mismatch(events, checkpoint_for(events, 10)).seq == 11


def test_export_rejects_float_payload():
    events = json.dumps(make_events()).replace('"amount_fen": 2000,', '"amount_fen": 2000.0,')
    assert mismatch(events).seq == 2


def test_export_needs_the_right_key():
    other = verifier_key_string(ORIGIN, Ed25519PrivateKey.generate().public_key())
    assert "not signed by" in mismatch(make_events(), vkey=other).reason


def test_export_accepts_wrapped_events():
    events = make_events()
    assert verify_export({"events": events}, checkpoint_for(events), VKEY).size == N


# --- verify_inclusion_file --------------------------------------------------------------------

def proof_doc(events, seq: int, size: int | None = None, base64_leaf: bool = False) -> dict:
    size = len(events) if size is None else size
    e = events[seq]
    data = event_leaf_data(e["seq"], e["time"], e["actor"], e["action"], e["object_type"], e["object_id"],
                           e["payload"])
    doc = inclusion_document(data, seq, size, inclusion_proof(leaves_of(events), seq, size),
                             checkpoint_for(events, size), VKEY)
    if base64_leaf:
        doc["leaf_data"] = base64.b64encode(data).decode()
    return doc


def test_every_inclusion_proof_verifies():
    events = make_events()
    for seq in range(N):
        doc = proof_doc(events, seq)
        assert isinstance(doc["leaf_data"], dict) and "leaf_hash" not in doc["leaf_data"]
        result = verify_inclusion_file(json.dumps(doc, ensure_ascii=False), trusted_vkey=VKEY)
        assert (result.size, result.index) == (N, seq)
        assert str(result).startswith(f"OK size={N} root=")
    assert verify_inclusion_file(proof_doc(events, 3, base64_leaf=True)).index == 3
    assert verify_inclusion_file(proof_doc(events, 3, size=5)).size == 5


def inclusion_error(doc, **kwargs) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        verify_inclusion_file(doc, **kwargs)
    return info.value


def test_tampered_inclusion_documents_fail():
    events = make_events()
    doc = proof_doc(events, 6)
    doc["leaf_data"]["payload"]["amount_fen"] = 1
    assert "signed root" in inclusion_error(doc).reason
    doc = proof_doc(events, 6)
    doc["proof"][0] = "00" * 32
    assert inclusion_error(doc).seq == 6
    doc = proof_doc(events, 6)
    doc["index"] = 7
    assert "seq 6" in inclusion_error(doc).reason
    doc = proof_doc(events, 6)
    doc["tree_size"] = 11
    assert "checkpoint" in inclusion_error(doc).reason
    doc = proof_doc(events, 6)
    doc["checkpoint"] = doc["checkpoint"].replace(f"\n{N}\n", "\n13\n")
    assert "checkpoint" in inclusion_error(doc).reason
    doc = proof_doc(events, 6)
    doc["proof"].append("zz")
    assert "hex" in inclusion_error(doc).reason
    del doc["proof"]
    assert "lacks" in inclusion_error(doc).reason


def test_self_signed_proof_is_refused_against_the_trusted_key():
    events = make_events()
    forger = Ed25519PrivateKey.generate()
    doc = proof_doc(events, 2)
    doc["checkpoint"] = sign_checkpoint(ORIGIN, N, root(leaves_of(events)), forger, ORIGIN)
    doc["verifier_key"] = verifier_key_string(ORIGIN, forger.public_key())
    assert verify_inclusion_file(doc).size == N  # consistent in itself ...
    assert "trusted" in inclusion_error(doc, trusted_vkey=VKEY).reason  # ... but not our key


def test_inclusion_matches_merkle_tree_for_receipts():
    events = make_events()
    tree = MerkleTree(leaves_of(events))
    assert proof_doc(events, 9)["proof"] == [p.hex() for p in tree.inclusion_proof(9)]


# --- command line -----------------------------------------------------------------------------

@pytest.fixture
def files(tmp_path):
    events = make_events()
    (tmp_path / "export.json").write_text(json.dumps(events, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "cp.txt").write_text(checkpoint_for(events), encoding="utf-8")
    (tmp_path / "vkey").write_text(VKEY + "\n", encoding="utf-8")
    (tmp_path / "proof.json").write_text(json.dumps(proof_doc(events, 4)), encoding="utf-8")
    events[3]["payload"]["amount_fen"] = 7
    (tmp_path / "bad.json").write_text(json.dumps(events), encoding="utf-8")
    return tmp_path


def test_cli_log_ok_and_mismatch(files, capsys):
    cp = str(files / "cp.txt")
    assert main(["log", str(files / "export.json"), "--checkpoint", cp, "--vkey", VKEY]) == 0
    assert capsys.readouterr().out.startswith(f"OK size={N} root=")
    assert main(["log", str(files / "bad.json"), "--checkpoint", str(files / "cp.txt"),
                 "--vkey", str(files / "vkey")]) == 1
    assert capsys.readouterr().out.startswith("MISMATCH at seq 3: ")


def test_cli_proof(files, capsys):
    with pytest.raises(SystemExit) as no_key:  # the file's own key proves nothing: a trusted key or a pin is required
        main(["proof", str(files / "proof.json")])
    assert no_key.value.code == 2 and "--fingerprint" in capsys.readouterr().err
    assert main(["proof", str(files / "proof.json"), "--vkey", str(files / "vkey")]) == 0
    assert capsys.readouterr().out.strip().endswith("index=4")
    assert main(["proof", str(files / "proof.json"), "--fingerprint", vkey_fingerprint(VKEY).upper()]) == 0
    assert main(["proof", str(files / "missing.json"), "--vkey", VKEY]) == 2


def test_cli_runs_as_a_module_without_flask_or_the_database(files):
    """What a bidder runs: only the pure modules may load (audit/__init__ must not import Flask)."""
    code = ("import runpy, sys; sys.argv = ['x', 'proof', sys.argv[1], '--vkey', sys.argv[2]]\n"
            "try:\n    runpy.run_module('audit.verifier', run_name='__main__')\n"
            "except SystemExit as e:\n"
            "    bad = {'flask', 'sqlalchemy', 'audit.models', 'audit.service'} & set(sys.modules)\n"
            "    assert not bad, bad\n    raise\n")
    out = subprocess.run([sys.executable, "-c", code, str(files / "proof.json"), VKEY], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith(f"OK size={N} root=")


def test_cli_refuses_a_forged_proof_with_a_fresh_key(files, capsys):
    """The review's attack: a proof of a forged tree signed by a fresh key printed OK; now the pinned key or
    fingerprint refuses it."""
    events = make_events()
    forger = Ed25519PrivateKey.generate()
    doc = proof_doc(events, 2)
    doc["checkpoint"] = sign_checkpoint(ORIGIN, N, root(leaves_of(events)), forger, ORIGIN)
    doc["verifier_key"] = verifier_key_string(ORIGIN, forger.public_key())
    forged = files / "forged.json"
    forged.write_text(json.dumps(doc), encoding="utf-8")
    assert verify_inclusion_file(doc).size == N  # consistent in itself
    assert main(["proof", str(forged), "--vkey", VKEY]) == 1
    assert "different verifier key" in capsys.readouterr().out
    assert main(["proof", str(forged), "--fingerprint", vkey_fingerprint(VKEY)]) == 1
    assert "not the pinned" in capsys.readouterr().out


def test_cli_fingerprint(files, capsys):
    assert main(["fingerprint", str(files / "vkey")]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == vkey_fingerprint(VKEY) == hashlib.sha256(VKEY.encode()).hexdigest()
    assert main(["proof", str(files / "proof.json"), "--fingerprint", "SHA256:" + ":".join(
        printed[i:i + 2] for i in range(0, 64, 2))]) == 0
    assert main(["proof", str(files / "proof.json"), "--fingerprint", "abc"]) == 1
