"""Signed notes and checkpoints: byte-exact against Go's sumdb/note, and tamper rejection."""

import base64
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    MalformedNoteError,
    SignatureError,
    checkpoint_body,
    load_or_create_signing_key,
    parse_checkpoint,
    parse_verifier_key,
    sign_checkpoint,
    sign_note,
    verifier_key_string,
    verify_checkpoint,
    verify_note,
)
from audit.merkle import EMPTY_ROOT, leaf_hash

# golang.org/x/mod/sumdb/note (note_test.go / package doc): Ed25519 is deterministic, so our
# encoder must reproduce the published note byte for byte.
GO_SKEY_MATERIAL = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"  # from PRIVATE+KEY+PeterNeumann+c74f20a3+…
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = ("If you think cryptography is the answer to your problem,\n"
           "then you don't know what your problem is.\n")
GO_NOTE = (GO_TEXT + "\n— PeterNeumann "
           "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")

ORIGIN = "biaoyun.example.gov.cn/audit"
ROOT = leaf_hash(b"x")


@pytest.fixture(scope="module")
def go_key():
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(GO_SKEY_MATERIAL)[1:])


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


def test_go_vector_signs_byte_for_byte(go_key):
    assert sign_note(GO_TEXT, go_key, "PeterNeumann") == GO_NOTE
    assert verifier_key_string("PeterNeumann", go_key.public_key()) == GO_VKEY


def test_go_vector_verifies(go_key):
    vk = parse_verifier_key(GO_VKEY)
    assert vk.name == "PeterNeumann" and vk.key_hash.hex() == "c74f20a3" and str(vk) == GO_VKEY
    assert verify_note(GO_NOTE, vk.public_key, vk.name) == GO_TEXT
    with pytest.raises(SignatureError):
        verify_note(GO_NOTE.replace("cryptography", "cryptographY"), vk.public_key, vk.name)


@pytest.mark.parametrize("bad", [
    GO_VKEY[:-1],
    GO_VKEY.replace("c74f20a3", "c74f20a4"),  # hash does not match
    GO_VKEY.replace("PeterNeumann", "PeterNeuman"),
    "PeterNeumann+c74f20a3",
    "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    GO_VKEY.replace("+ARpc", "+AhTc"),  # unknown key type byte
])
def test_mangled_verifier_keys_are_refused(bad):
    with pytest.raises(MalformedNoteError):
        parse_verifier_key(bad)


def test_checkpoint_round_trip(key):
    note = sign_checkpoint(ORIGIN, 42, ROOT, key, ORIGIN)
    body, sig_line = note.split("\n\n")
    assert body + "\n" == f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n"
    assert sig_line.startswith(f"\u2014 {ORIGIN} ") and sig_line.endswith("\n")
    blob = base64.b64decode(sig_line.split(" ")[-1])
    vkey = verifier_key_string(ORIGIN, key.public_key())
    assert blob[:4] == parse_verifier_key(vkey).key_hash and len(blob) == 68
    cp = verify_checkpoint(note, key.public_key(), ORIGIN)
    assert (cp.origin, cp.size, cp.root) == (ORIGIN, 42, ROOT)
    assert verify_checkpoint(note, vkey, origin=ORIGIN) == cp
    assert parse_checkpoint(note) == cp and cp.body == body + "\n"


def test_empty_tree_checkpoint(key):
    cp = verify_checkpoint(sign_checkpoint(ORIGIN, 0, EMPTY_ROOT, key, ORIGIN), key.public_key(), ORIGIN)
    assert cp.size == 0 and cp.root == EMPTY_ROOT


def test_other_signatures_are_ignored_and_extensions_kept(key):
    other = Ed25519PrivateKey.generate()
    body = checkpoint_body(ORIGIN, 7, ROOT, ("ext line",))
    note = sign_note(body, key, ORIGIN)
    cosigned = note + sign_note(body, other, "witness.example").split("\n\n")[1]
    cp = verify_checkpoint(cosigned, key.public_key(), ORIGIN)
    assert cp.extensions == ("ext line",) and len(cp.signatures) == 2
    assert verify_checkpoint(cosigned, other.public_key(), "witness.example").size == 7


@pytest.mark.parametrize("change", [
    lambda n: n.replace("\n42\n", "\n43\n"),
    lambda n: n.replace(ORIGIN + "\n", "evil.example/audit\n", 1),
    lambda n: n.replace(base64.b64encode(ROOT).decode(), base64.b64encode(EMPTY_ROOT).decode()),
])
def test_altered_checkpoint_fails_signature(key, change):
    note = sign_checkpoint(ORIGIN, 42, ROOT, key, ORIGIN)
    with pytest.raises(SignatureError):
        verify_checkpoint(change(note), key.public_key(), ORIGIN)


def test_wrong_key_or_name_or_origin(key):
    note = sign_checkpoint(ORIGIN, 42, ROOT, key, ORIGIN)
    with pytest.raises(SignatureError, match="not signed by"):
        verify_checkpoint(note, Ed25519PrivateKey.generate().public_key(), ORIGIN)
    with pytest.raises(SignatureError):
        verify_checkpoint(note, key.public_key(), "other-name")
    with pytest.raises(CheckpointError, match="expected"):
        verify_checkpoint(note, key.public_key(), ORIGIN, origin="other")


def test_forged_signature_with_right_key_hash(key):
    note = sign_checkpoint(ORIGIN, 42, ROOT, key, ORIGIN)
    body, sig_line = note.split("\n\n")
    blob = base64.b64decode(sig_line.split(" ")[-1])
    forged = blob[:4] + bytes(64)
    note = f"{body}\n\n\u2014 {ORIGIN} {base64.b64encode(forged).decode()}\n"
    with pytest.raises(SignatureError, match="invalid signature"):
        verify_checkpoint(note, key.public_key(), ORIGIN)


@pytest.mark.parametrize("text", [
    "",
    "no signature block\n",
    f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n\n",  # blank line, no signatures
    f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n\n- {ORIGIN} AAAAAAA=\n",  # hyphen, not em dash
    f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n\n\u2014 {ORIGIN} !!!\n",
    f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n\n\u2014 {ORIGIN} AAAA\n",  # too short
    f"{ORIGIN}\n042\n{base64.b64encode(ROOT).decode()}\n\n\u2014 {ORIGIN} AAAAAAAA\n",  # leading zero
    f"{ORIGIN}\n-1\n{base64.b64encode(ROOT).decode()}\n\n\u2014 {ORIGIN} AAAAAAAA\n",
    f"{ORIGIN}\n42\n{base64.b64encode(ROOT[:31]).decode()}\n\n\u2014 {ORIGIN} AAAAAAAA\n",
    f"{ORIGIN}\n42\n\n\u2014 {ORIGIN} AAAAAAAA\n",  # no root line
    f"{ORIGIN}\r\n42\n{base64.b64encode(ROOT).decode()}\n\n\u2014 {ORIGIN} AAAAAAAA\n",
])
def test_malformed_checkpoints(text):
    with pytest.raises(MalformedNoteError):
        parse_checkpoint(text)


def test_signing_rejects_bad_input(key):
    with pytest.raises(MalformedNoteError):
        sign_checkpoint("two\nlines", 1, ROOT, key, ORIGIN)
    with pytest.raises(MalformedNoteError):
        sign_checkpoint(ORIGIN, 1, b"short", key, ORIGIN)
    with pytest.raises(MalformedNoteError):
        sign_checkpoint(ORIGIN, 1, ROOT, key, "has space")
    with pytest.raises(MalformedNoteError):
        sign_note("no final newline", key, ORIGIN)


def test_checkpoint_dataclass_body():
    assert Checkpoint(ORIGIN, 1, ROOT).body == checkpoint_body(ORIGIN, 1, ROOT)


def test_signing_key_created_private_then_reused(tmp_path):
    path = tmp_path / "keys" / "deeper" / "audit.pem"
    key = load_or_create_signing_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    again = load_or_create_signing_key(path)
    assert verifier_key_string("n", again.public_key()) == verifier_key_string("n", key.public_key())
    assert [p.name for p in path.parent.iterdir()] == ["audit.pem"]  # no temp file left behind


def test_signing_key_of_wrong_type_is_refused(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "audit.pem"
    path.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with pytest.raises(CheckpointError, match="Ed25519"):
        load_or_create_signing_key(path)
