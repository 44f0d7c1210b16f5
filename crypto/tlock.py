"""drand time-lock encryption ("tlock", FORMAT.md §15): a share that opens only once a public
randomness beacon has signed a given round.

The scheme is the one drand's tlock (Go) and tlock-js implement for the quicknet chain
("bls-unchained-g1-rfc9380": round signatures on G1, the chain's public key on G2): Boneh–Franklin
identity-based encryption with the round number as the identity, wrapped in an age v1 file whose
one recipient stanza is ``-> tlock <round> <chain hash>``. A beacon's signature of round r is
``sk · H(sha256(u64be(r)))`` on G1, which is exactly the IBE private key of identity r: before the
beacon publishes it nobody (the platform included) can unwrap; after, anyone can, and anyone can redo
the unwrap from the round's signature recorded in the audit log.

The files here are byte-compatible with ``tle`` / tlock-js: a real quicknet ciphertext made by tlock's
Go test suite opens with this module (tests/crypto/test_tlock.py), and one made here opens with
tlock-js. The pairing library is py-arkworks-bls12381 (README, Dependencies); it is imported lazily
so the rest of ``crypto`` works without it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto import errors

SCHEME = "bls-unchained-g1-rfc9380"
DST_G1 = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
AGE_VERSION = b"age-encryption.org/v1"
FILE_KEY_LEN = 16
CIPHERTEXT_LEN = 96 + FILE_KEY_LEN + FILE_KEY_LEN  # U (G2, compressed) || V || W
AGE_CHUNK = 64 * 1024
# The BLS12-381 scalar field order r.
FR_ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001

# drand's public quicknet chain (3 s rounds), as published by the League of Entropy.
QUICKNET = {
    "chain_hash": "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
    "public_key": (
        "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d"
        "1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a"
    ),
    "period": 3,
    "genesis_time": 1692803367,
    "scheme": SCHEME,
}

Rand = Callable[[int], bytes]


class TlockError(errors.SealedError):
    """A beacon signature that does not verify, or a time-lock file that does not open."""

    code = "tlock_invalid"


@lru_cache(maxsize=1)
def _bls() -> Any:
    import py_arkworks_bls12381 as bls  # imported here: only the time-lock needs a pairing library

    return bls


# --- rounds -----------------------------------------------------------------------------


def round_at(timestamp: float, genesis_time: int, period: int) -> int:
    """The first round whose publication time is at or after ``timestamp`` (never before it).

    drand publishes round r at ``genesis + (r - 1) · period``; locking to this round means the share
    cannot open before ``timestamp``, and opens at most one period after it.
    """
    if period <= 0:
        raise ValueError("beacon period must be positive")
    if timestamp <= genesis_time:
        return 1
    return math.ceil((timestamp - genesis_time) / period) + 1


def round_time(round_number: int, genesis_time: int, period: int) -> int:
    """Unix time at which the beacon publishes ``round_number``."""
    return genesis_time + (round_number - 1) * period


def round_message(round_number: int) -> bytes:
    """What an unchained drand beacon signs for a round: SHA-256 of the round as u64 big-endian."""
    if not 1 <= round_number < 1 << 64:
        raise ValueError("round out of range")
    return hashlib.sha256(round_number.to_bytes(8, "big")).digest()


# --- BLS signatures of the beacon ---------------------------------------------------------


def _g2(data: bytes, what: str) -> Any:
    try:
        point = _bls().G2Point.from_compressed_bytes(data)
    except Exception as exc:  # the binding raises plain exceptions for bad encodings
        raise TlockError(f"{what} is not a BLS12-381 G2 point") from exc
    return point


def _g1(data: bytes, what: str) -> Any:
    try:
        point = _bls().G1Point.from_compressed_bytes(data)
    except Exception as exc:
        raise TlockError(f"{what} is not a BLS12-381 G1 point") from exc
    return point


def check_public_key(public_key: bytes) -> None:
    """Raise TlockError unless ``public_key`` is a 96-byte compressed G2 point of the subgroup."""
    if len(public_key) != 96:
        raise TlockError("a beacon public key is 96 bytes (compressed G2)")
    _g2(public_key, "beacon public key")


def sign_round(secret_scalar: int, round_number: int) -> bytes:
    """A beacon's signature of a round (the local beacon uses this; drand's nodes do the same)."""
    bls = _bls()
    point = bls.G1Point.hash_to_curve(round_message(round_number), DST_G1) * bls.Scalar(secret_scalar)
    return bytes(point.to_compressed_bytes())


def public_key_of(secret_scalar: int) -> bytes:
    """The G2 public key of a beacon secret scalar."""
    bls = _bls()
    return bytes((bls.G2Point() * bls.Scalar(secret_scalar)).to_compressed_bytes())


def verify_round(public_key: bytes, round_number: int, signature: bytes) -> None:
    """Raise TlockError unless ``signature`` is the beacon's BLS signature of ``round_number``.

    Checked by pairing against the pinned public key, never trusted from whoever served it:
    ``e(sig, g2) == e(H(round), pk)``.
    """
    if len(signature) != 48:
        raise TlockError(f"round {round_number}: a signature is 48 bytes (compressed G1)")
    bls = _bls()
    sig = _g1(signature, f"round {round_number} signature")
    pk = _g2(public_key, "beacon public key")
    hashed = bls.G1Point.hash_to_curve(round_message(round_number), DST_G1)
    if not bls.GT.pairing(sig, bls.G2Point()) == bls.GT.pairing(hashed, pk):
        raise TlockError(f"round {round_number}: the signature does not verify under the beacon's key")


# --- IBE (Boneh–Franklin, FullIdent, on G2 as tlock does for G1 signatures) -------------------


def _gt_bytes(gt: Any) -> bytes:
    """Serialise a GT element as drand's kyber (and tlock-js) do: the 12 Fp coefficients from the
    highest (c1.c2.c1) to the lowest (c0.c0.c0), 48 bytes big-endian each. arkworks prints them
    little-endian from the lowest, so this is its 576 bytes reversed (checked by the vectors)."""
    raw = bytes.fromhex(str(gt))
    if len(raw) != 576:
        raise RuntimeError("unexpected GT encoding from the pairing library")
    return raw[::-1]


def _h2(gt: Any, length: int) -> bytes:
    return hashlib.sha256(b"IBE-H2" + _gt_bytes(gt)).digest()[:length]


def _h3(sigma: bytes, msg: bytes) -> int:
    base = hashlib.sha256(b"IBE-H3" + sigma + msg).digest()
    for i in range(1, 65535):
        data = bytearray(hashlib.sha256(i.to_bytes(2, "little") + base).digest())
        data[0] >>= 1
        n = int.from_bytes(data, "big")
        if n < FR_ORDER:
            return n
    raise TlockError("no scalar found")  # pragma: no cover - probability 2^-65534


def _h4(sigma: bytes, length: int) -> bytes:
    return hashlib.sha256(b"IBE-H4" + sigma).digest()[:length]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def ibe_encrypt(public_key: bytes, round_number: int, msg: bytes, rand: Rand | None = None) -> bytes:
    """Encrypt ``msg`` (≤ 32 bytes) to a round: returns U (96) || V || W."""
    if not 1 <= len(msg) <= 32:
        raise ValueError("IBE messages are 1 to 32 bytes")
    bls = _bls()
    pk = _g2(public_key, "beacon public key")
    qid = bls.G1Point.hash_to_curve(round_message(round_number), DST_G1)
    sigma = (rand or secrets.token_bytes)(len(msg))
    r = bls.Scalar(_h3(sigma, msg))
    u = bls.G2Point() * r
    rgid = bls.GT.pairing(qid * r, pk)  # e(Qid, pk)^r
    v = _xor(sigma, _h2(rgid, len(msg)))
    w = _xor(msg, _h4(sigma, len(msg)))
    return bytes(u.to_compressed_bytes()) + v + w


def ibe_decrypt(signature: bytes, ciphertext: bytes) -> bytes:
    """Decrypt U || V || W with a round's signature; checks U = r·g2 (the FO transform)."""
    if len(ciphertext) <= 96 or (len(ciphertext) - 96) % 2:
        raise TlockError("time-lock ciphertext has a wrong length")
    bls = _bls()
    half = (len(ciphertext) - 96) // 2
    u = _g2(ciphertext[:96], "time-lock U")
    v, w = ciphertext[96 : 96 + half], ciphertext[96 + half :]
    sig = _g1(signature, "round signature")
    sigma = _xor(_h2(bls.GT.pairing(sig, u), half), v)
    msg = _xor(_h4(sigma, half), w)
    if not bls.G2Point() * bls.Scalar(_h3(sigma, msg)) == u:
        raise TlockError("time-lock ciphertext does not open with this round's signature")
    return msg


# --- age v1 wrapping ------------------------------------------------------------------------


def _hkdf(ikm: bytes, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt, info).derive(ikm)


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _unb64(text: bytes) -> bytes:
    data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    if _b64(data) != text:
        raise TlockError("non-canonical base64 in the age header")
    return data


def _wrapped(data: bytes) -> bytes:
    text = _b64(data)
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    if len(text) % 64 == 0:
        lines.append(b"")  # age: the last body line is always shorter than 64 columns
    return b"\n".join(lines) + b"\n"


def _stream(key: bytes, data: bytes, seal: bool) -> bytes:
    aead = ChaCha20Poly1305(key)
    size = AGE_CHUNK if seal else AGE_CHUNK + 16
    out, index, offset = [], 0, 0
    while True:
        chunk = data[offset : offset + size]
        offset += len(chunk)
        last = offset >= len(data)
        nonce = index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
        try:
            out.append(aead.encrypt(nonce, chunk, None) if seal else aead.decrypt(nonce, chunk, None))
        except Exception as exc:  # cryptography raises InvalidTag
            raise TlockError(f"time-lock payload chunk {index} does not authenticate") from exc
        if last:
            return b"".join(out)
        index += 1


@dataclass(frozen=True)
class TlockFile:
    """A parsed age file with one tlock stanza."""

    round: int
    chain_hash: str
    ciphertext: bytes  # U || V || W
    header: bytes  # up to and including "---" (what the MAC covers)
    mac: bytes
    payload: bytes  # nonce || STREAM ciphertext


def encrypt(
    public_key: bytes, chain_hash: str, round_number: int, plaintext: bytes, rand: Rand | None = None
) -> bytes:
    """An age v1 file (binary) with one ``tlock`` stanza for ``round_number``, as ``tle`` writes.

    ``rand`` is for test vectors only; draws, in order: file key (16), IBE sigma (16), payload
    nonce (16).
    """
    draw = rand or secrets.token_bytes
    file_key = draw(FILE_KEY_LEN)
    body = ibe_encrypt(public_key, round_number, file_key, draw)
    header = (
        AGE_VERSION
        + b"\n-> tlock "
        + str(round_number).encode()
        + b" "
        + chain_hash.encode()
        + b"\n"
        + _wrapped(body)
        + b"---"
    )
    mac = hmac.new(_hkdf(file_key, None, b"header"), header, hashlib.sha256).digest()
    nonce = draw(16)
    payload = nonce + _stream(_hkdf(file_key, nonce, b"payload"), plaintext, True)
    return header + b" " + _b64(mac) + b"\n" + payload


def parse(data: bytes) -> TlockFile:
    """Parse an age v1 file that has exactly one ``tlock`` stanza (raise TlockError otherwise)."""
    try:
        end = data.index(b"\n--- ")
        mac_end = data.index(b"\n", end + 5)
    except ValueError as exc:
        raise TlockError("not an age file (no header end)") from exc
    lines = data[:end].split(b"\n")
    if lines[0] != AGE_VERSION or len(lines) < 3:
        raise TlockError("not an age v1 file")
    args = lines[1].split(b" ")
    if len(args) != 4 or args[:2] != [b"->", b"tlock"]:
        raise TlockError("the age file needs exactly one tlock stanza")
    round_text, chain_hash = args[2].decode("ascii", "replace"), args[3].decode("ascii", "replace")
    if not round_text.isdigit() or round_text != str(int(round_text)) or not 1 <= int(round_text) < 1 << 64:
        raise TlockError("bad round in the tlock stanza")
    if len(chain_hash) != 64 or any(c not in "0123456789abcdef" for c in chain_hash):
        raise TlockError("bad chain hash in the tlock stanza")
    body_lines = lines[2:]
    if any(line.startswith(b"->") for line in body_lines):
        raise TlockError("the age file needs exactly one tlock stanza")
    if any(len(line) != 64 for line in body_lines[:-1]) or len(body_lines[-1]) >= 64:
        raise TlockError("badly wrapped stanza body")
    try:
        body = _unb64(b"".join(body_lines))
        mac = _unb64(data[end + 5 : mac_end])
    except ValueError as exc:
        raise TlockError("bad base64 in the age header") from exc
    if len(body) != CIPHERTEXT_LEN or len(mac) != 32:
        raise TlockError("tlock stanza body or header MAC has a wrong length")
    _g2(body[:96], "time-lock U")
    payload = data[mac_end + 1 :]
    if len(payload) < 16 + 16:
        raise TlockError("time-lock payload is truncated")
    return TlockFile(int(round_text), chain_hash, body, data[: end + 4], mac, payload)


def decrypt(data: bytes, signature: bytes) -> bytes:
    """Open an age tlock file with its round's signature (verify the signature first)."""
    parsed = parse(data)
    file_key = ibe_decrypt(signature, parsed.ciphertext)
    expected = hmac.new(_hkdf(file_key, None, b"header"), parsed.header, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, parsed.mac):
        raise TlockError("the age header MAC does not verify")
    nonce, body = parsed.payload[:16], parsed.payload[16:]
    return _stream(_hkdf(file_key, nonce, b"payload"), body, False)


def armor(data: bytes) -> str:
    """ASCII armour (as ``tle -a`` writes) for showing or saving a time-lock file."""
    text = base64.b64encode(data).decode()
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return "-----BEGIN AGE ENCRYPTED FILE-----\n" + "\n".join(lines) + "\n-----END AGE ENCRYPTED FILE-----\n"


def dearmor(text: str) -> bytes:
    """The binary age file of an armoured one."""
    lines = [line.strip() for line in text.strip().splitlines()]
    if lines[0] != "-----BEGIN AGE ENCRYPTED FILE-----" or lines[-1] != "-----END AGE ENCRYPTED FILE-----":
        raise TlockError("not an armoured age file")
    return base64.b64decode("".join(lines[1:-1]))
