"""Signed checkpoints in the C2SP tlog-checkpoint / signed-note text form, with Ed25519 keys.

Using the common format (not our own JSON) lets outside witnesses and tools such as Go's
sumdb/note verify and later cosign our tree heads without code of ours.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import tempfile
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.merkle import HASH_SIZE

ALG_ED25519 = b"\x01"
SIG_PREFIX = "— "  # U+2014 EM DASH and a space open every signature line
MAX_SIGNATURES = 100  # as Go's sumdb/note: bounds the work an untrusted note can cause
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(ValueError):
    """A checkpoint or signed note could not be accepted."""


class MalformedNoteError(CheckpointError):
    """The text is not a well-formed signed note, checkpoint or verifier key."""


class SignatureError(CheckpointError):
    """The note carries no valid signature by the expected key."""


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_hash: bytes  # 4 bytes: which key of that name signed
    signature: bytes


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    signatures: tuple[NoteSignature, ...] = ()
    extensions: tuple[str, ...] = ()

    @property
    def body(self) -> str:
        """The signed note text this checkpoint stands for."""
        return checkpoint_body(self.origin, self.size, self.root, self.extensions)


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_hash: bytes
    public_key: Ed25519PublicKey

    def __str__(self) -> str:
        return verifier_key_string(self.name, self.public_key)


def _b64decode(text: str) -> bytes:
    """Strict standard base64 (padding required, nothing else allowed)."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise MalformedNoteError(f"bad base64 {text!r}") from exc


def _raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise MalformedNoteError(f"key name {name!r} must be non-empty, without spaces or '+'")


def _check_text(text: str) -> None:
    """signed-note text: ends in a newline, no control characters but newline."""
    if not text.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise MalformedNoteError("note text must not contain control characters")


def key_hash(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte key ID: SHA-256(name ‖ '\\n' ‖ 0x01 ‖ key)[:4]."""
    return sha256(name.encode() + b"\n" + ALG_ED25519 + _raw_public_key(public_key)).digest()[:4]


def verifier_key_string(name: str, public_key: Ed25519PublicKey) -> str:
    """The C2SP vkey '<name>+<hex key hash>+<base64(0x01 ‖ key)>' to publish for verifiers."""
    _check_name(name)
    material = base64.b64encode(ALG_ED25519 + _raw_public_key(public_key)).decode()
    return f"{name}+{key_hash(name, public_key).hex()}+{material}"


def vkey_fingerprint(vkey: str | VerifierKey) -> str:
    """The key's fingerprint, to pin and to compare by eye: lowercase hex SHA-256 of the vkey string
    (ASCII, no surrounding space), 64 digits. Unlike the 4-byte key hash it is long enough to pin."""
    return sha256(str(vkey).strip().encode("ascii")).hexdigest()


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as typed or copied (spaces, colons, upper case, an optional 'SHA256:' prefix)."""
    text = text.strip()
    if text.upper().startswith("SHA256:"):
        text = text[7:]
    digits = re.sub(r"[\s:]", "", text).lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digits):
        raise MalformedNoteError(f"fingerprint {text!r} is not 64 hex digits (SHA-256 of the verifier key)")
    return digits


def parse_verifier_key(vkey: str) -> VerifierKey:
    """Parse a vkey string, checking its key hash so a mangled key cannot slip through."""
    parts = vkey.strip().split("+", 2)  # the base64 part may itself contain '+'
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise MalformedNoteError(f"verifier key {vkey!r} is not '<name>+<8 hex>+<base64>'")
    name, hash_hex, material = parts
    _check_name(name)
    raw = _b64decode(material)
    if len(raw) != 33 or raw[:1] != ALG_ED25519:
        raise MalformedNoteError("verifier key is not an Ed25519 (type 0x01) key")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_hash(name, public_key).hex() != hash_hex:
        raise MalformedNoteError("verifier key hash does not match its name and key")
    return VerifierKey(name, bytes.fromhex(hash_hex), public_key)


def sign_note(text: str, private_key: Ed25519PrivateKey, key_name: str) -> str:
    """Text, a blank line, and one signature line by key_name."""
    _check_name(key_name)
    _check_text(text)
    public_key = private_key.public_key()
    sig = private_key.sign(text.encode("utf-8"))
    blob = base64.b64encode(key_hash(key_name, public_key) + sig).decode()
    return f"{text}\n{SIG_PREFIX}{key_name} {blob}\n"


def split_note(note: str) -> tuple[str, tuple[NoteSignature, ...]]:
    """Split a signed note into its text and signature lines, without checking signatures."""
    _check_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("note has no blank line before its signatures")
    text, sig_block = note[: split + 1], note[split + 2 :]
    if not sig_block:
        raise MalformedNoteError("note has no signatures")
    signatures = []
    for line in sig_block[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise MalformedNoteError(f"signature line {line!r} does not start with '— '")
        name, _, blob = line[len(SIG_PREFIX) :].rpartition(" ")
        _check_name(name)
        raw = _b64decode(blob)
        if len(raw) < 5:
            raise MalformedNoteError(f"signature by {name!r} is too short")
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    if len(signatures) > MAX_SIGNATURES:
        raise MalformedNoteError(f"note has more than {MAX_SIGNATURES} signatures")
    return text, tuple(signatures)


def verify_note(note: str, public_key: Ed25519PublicKey, key_name: str) -> str:
    """Return the note text if key_name's key signed it; other keys' signatures are ignored."""
    text, signatures = split_note(note)
    wanted = key_hash(key_name, public_key)
    ours = [s for s in signatures if s.name == key_name and s.key_hash == wanted]
    if not ours:
        raise SignatureError(f"note is not signed by key {key_name!r} ({wanted.hex()})")
    try:
        # Like Go's note.Open, only the first line of a key counts; later duplicates are ignored.
        public_key.verify(ours[0].signature, text.encode("utf-8"))
    except InvalidSignature as exc:
        raise SignatureError(f"invalid signature by key {key_name!r}: the note was altered") from exc
    return text


def checkpoint_body(origin: str, size: int, root: bytes, extensions: tuple[str, ...] = ()) -> str:
    """'<origin>\\n<size>\\n<base64 root>\\n' plus any extension lines."""
    if not origin or "\n" in origin:
        raise MalformedNoteError("origin must be one non-empty line")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise MalformedNoteError(f"tree size must be a non-negative integer, not {size!r}")
    if not isinstance(root, bytes) or len(root) != HASH_SIZE:
        raise MalformedNoteError("root hash must be 32 bytes")
    if any(not ext or "\n" in ext for ext in extensions):
        raise MalformedNoteError("extension lines must be non-empty single lines")
    lines = [origin, str(size), base64.b64encode(root).decode(), *extensions]
    return "".join(line + "\n" for line in lines)


def _parse_body(text: str, signatures: tuple[NoteSignature, ...]) -> Checkpoint:
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise MalformedNoteError("checkpoint needs origin, size and root hash lines, none empty")
    origin, size_text, root_text, *extensions = lines
    if not _DECIMAL.fullmatch(size_text) or int(size_text) >= 1 << 64:
        raise MalformedNoteError(f"tree size {size_text!r} is not a decimal without leading zeros")
    root = _b64decode(root_text)
    if len(root) != HASH_SIZE:
        raise MalformedNoteError("root hash is not 32 bytes")
    return Checkpoint(origin, int(size_text), root, signatures, tuple(extensions))


def sign_checkpoint(origin: str, size: int, root: bytes, private_key: Ed25519PrivateKey,
                    key_name: str) -> str:
    """A checkpoint note signed by the platform key; key_name is usually the origin itself."""
    return sign_note(checkpoint_body(origin, size, root), private_key, key_name)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a signed checkpoint WITHOUT checking any signature (use verify_checkpoint)."""
    body, signatures = split_note(text)
    return _parse_body(body, signatures)


def verify_checkpoint(text: str, public_key: Ed25519PublicKey | VerifierKey | str,
                      key_name: str | None = None, *, origin: str | None = None) -> Checkpoint:
    """Parse a checkpoint and require a valid signature by the key (and the origin, if given).

    The key is an Ed25519 public key with its key_name, or a VerifierKey / vkey string that
    carries its own name.
    """
    if isinstance(public_key, str):
        public_key = parse_verifier_key(public_key)
    if isinstance(public_key, VerifierKey):
        if key_name is not None and key_name != public_key.name:
            raise CheckpointError(f"key name {key_name!r} is not the verifier key's {public_key.name!r}")
        public_key, key_name = public_key.public_key, public_key.name
    if key_name is None:
        raise TypeError("verify_checkpoint needs key_name with a bare public key")
    body = verify_note(text, public_key, key_name)
    checkpoint = _parse_body(body, split_note(text)[1])
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is for log {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """Load the audit signing key from a PEM file, creating it (mode 0600) on first start.

    The key lives outside the database so that whoever can rewrite the tables cannot also
    re-sign the tree. Creation links a finished temp file into place, so two workers starting
    at once both end up with the same key and never read a half-written file.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")  # mkstemp uses mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
                f.flush()
                os.fsync(f.fileno())
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won the race; use its key
        finally:
            os.unlink(tmp)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} does not hold an Ed25519 private key")
    return key
