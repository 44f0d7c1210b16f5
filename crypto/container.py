"""The sealed container (FORMAT.md §6–§9): header, STREAM payload, signature trailer.

Everything streams over file objects in one pass with memory bounded by a few chunks, so a
1 GiB bid costs the same memory as a 1 MiB one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto import errors, hpke, shamir
from crypto.document import sign_raw, verify_raw
from crypto.encoding import (
    b64u_decode,
    b64u_encode,
    canonical_json,
    load_public_key,
    parse_canonical_json,
    public_key_b64u,
)
from crypto.policy import policy_hash, validate_policy

MAGIC = b"BYSEALED"
VERSION = 2  # what seal() writes; readers accept every version in VERSIONS
VERSIONS = (1, 2)
MAX_HEADER = 1 << 20
MIN_CHUNK, MAX_CHUNK = 1 << 16, 1 << 24
DEFAULT_CHUNK_SIZE = 1 << 20
TAG = 16
REC_CHUNK, REC_FINAL, REC_SIG = b"C", b"F", b"S"
SIG_LABEL = b"biaoyun/sealed/v1/signature\x00"
SHARE_COMMIT_LABEL = b"biaoyun/sealed/v1/share-commitment\x00"
_HEADER_KEYS = {
    "bidder_id",
    "chunk_size",
    "commitment",
    "k",
    "lot",
    "payload_salt",
    "policy_hash",
    "self",
    "shares",
    "signer",
    "tender_id",
}
_SHARE_KEYS = {"commitment", "ct", "custodian", "enc", "recipient", "x"}
_TLOCK_SHARE_KEYS = {"commitment", "custodian", "tlock", "x"}
MAX_TLOCK = 4096  # an age tlock file of a 32-byte share is about 390 bytes
_SELF_KEYS = {"ct", "enc", "recipient"}

Rand = Callable[[int], bytes]


# --- key derivation ---------------------------------------------------------------------


def _hkdf(ikm: bytes, salt: bytes | None, label: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt or None, label).derive(ikm)


def commitment_binding(ph: bytes, signer: str, bidder_id: str) -> bytes:
    """What a version-2 key commitment covers besides the file key (FORMAT.md §3).

    The policy hash, the supplier's signing key (65-byte point) and its bidder id: a competitor who
    relabels a copy of someone's container cannot make a commitment for its own id without the file
    key, so the copy's commitment either stays the victim's (and the platform refuses a duplicate) or
    fails at the opening as the copier's fault.
    """
    return ph + b64u_decode(signer, 65) + bidder_id.encode("utf-8")


def derive_keys(file_key: bytes, payload_salt: bytes, binding: bytes | None = None) -> dict[str, bytes]:
    """Payload key, key commitment and header MAC key of a file key (FORMAT.md §3).

    ``binding`` None gives the version-1 commitment; otherwise the version-2 one over ``binding``
    (`commitment_binding`).
    """
    if binding is None:
        commitment = _hkdf(file_key, None, b"biaoyun/sealed/v1/commitment")
    else:
        commitment = _hkdf(file_key, None, b"biaoyun/sealed/v2/commitment\x00" + binding)
    return {
        "payload_key": _hkdf(file_key, payload_salt, b"biaoyun/sealed/v1/payload"),
        "commitment": commitment,
        "header_mac_key": _hkdf(file_key, None, b"biaoyun/sealed/v1/header-mac"),
    }


def share_commitment(x: int, y: bytes) -> bytes:
    """SC_x: lets a single submitted share be checked without opening the bid."""
    return hashlib.sha256(SHARE_COMMIT_LABEL + bytes([x]) + y).digest()


def share_info(ph: bytes, commitment: bytes, x: int, bidder_id: str) -> bytes:
    """HPKE info of share stanza x: binds policy, container and bidder."""
    return b"biaoyun/sealed/v1/share\x00" + ph + commitment + bytes([x]) + bidder_id.encode("utf-8")


def self_info(ph: bytes, commitment: bytes, bidder_id: str) -> bytes:
    """HPKE info of the supplier's own stanza."""
    return b"biaoyun/sealed/v1/self\x00" + ph + commitment + bidder_id.encode("utf-8")


def chunk_nonce(index: int, last: bool) -> bytes:
    """STREAM nonce: 11-byte big-endian counter then the last-chunk flag."""
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def signature_message(digest: bytes) -> bytes:
    """What the supplier signs: a label and the digest of everything before the trailer."""
    return SIG_LABEL + digest


def sign_digest(signer_key: ec.EllipticCurvePrivateKey, digest: bytes) -> bytes:
    """Raw r||s signature (WebCrypto's format) with RFC 6979 nonces."""
    return sign_raw(signer_key, signature_message(digest))


def verify_digest(signer: ec.EllipticCurvePublicKey, digest: bytes, signature: bytes) -> bool:
    """Check a raw r||s signature over the container digest."""
    return verify_raw(signer, signature_message(digest), signature)


# --- header -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """A parsed, structurally valid header; ``prefix`` is the MACed bytes, ``mac`` the MAC."""

    prefix: bytes
    mac: bytes
    fields: dict[str, Any]

    @property
    def version(self) -> int:
        return self.prefix[len(MAGIC)]

    @property
    def policy_hash(self) -> bytes:
        return bytes.fromhex(self.fields["policy_hash"])

    def binding(self) -> bytes | None:
        """The version-2 commitment binding of this header (None for version 1)."""
        if self.version == 1:
            return None
        return commitment_binding(self.policy_hash, self.fields["signer"], self.bidder_id)

    def derive_keys(self, file_key: bytes) -> dict[str, bytes]:
        """The keys of ``file_key`` as this header's version derives them."""
        return derive_keys(file_key, b64u_decode(self.fields["payload_salt"]), self.binding())

    @property
    def commitment(self) -> bytes:
        return b64u_decode(self.fields["commitment"])

    @property
    def bidder_id(self) -> str:
        return self.fields["bidder_id"]

    @property
    def k(self) -> int:
        return self.fields["k"]

    @property
    def chunk_size(self) -> int:
        return self.fields["chunk_size"]

    @property
    def signer(self) -> ec.EllipticCurvePublicKey:
        return load_public_key(self.fields["signer"])

    @property
    def shares(self) -> list[dict[str, Any]]:
        return self.fields["shares"]

    def check_mac(self, file_key: bytes) -> None:
        """Verify commitment then header MAC for a recovered file key (FORMAT.md §9)."""
        keys = self.derive_keys(file_key)
        if not hmac.compare_digest(keys["commitment"], self.commitment):
            raise errors.KeyCommitmentMismatchError(
                "the recovered file key does not match the header's key commitment "
                "(the bidder's fault under Art 31 when the signature is valid)"
            )
        expected = hmac.new(keys["header_mac_key"], self.prefix, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, self.mac):
            raise errors.HeaderTamperedError("header MAC does not verify: the header was altered")


def _bad(message: str) -> errors.HeaderTamperedError:
    return errors.HeaderTamperedError(f"invalid header: {message}")


def _check_b64(value: Any, length: int, what: str) -> None:
    try:
        b64u_decode(value, length)
    except ValueError as exc:
        raise _bad(f"{what}: {exc}") from exc


def _check_key(value: Any, what: str) -> None:
    try:
        load_public_key(value)
    except (ValueError, TypeError) as exc:
        raise _bad(f"{what} is not a P-256 public key") from exc


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_header_fields(h: Any) -> None:
    """Raise HeaderTamperedError unless the header object follows FORMAT.md §6.1."""
    if not isinstance(h, dict) or set(h) != _HEADER_KEYS:
        raise _bad("wrong set of fields")
    for name, limit in (("bidder_id", 128), ("tender_id", 128), ("lot", 64)):
        if not isinstance(h[name], str) or not 1 <= len(h[name].encode("utf-8")) <= limit:
            raise _bad(f"{name} must be 1-{limit} UTF-8 bytes")
    size = h["chunk_size"]
    if not _is_int(size) or not MIN_CHUNK <= size <= MAX_CHUNK or size & (size - 1):
        raise _bad("chunk_size must be a power of two in 64 KiB..16 MiB")
    ph = h["policy_hash"]
    if (
        not isinstance(ph, str)
        or len(ph) != 64
        or ph != ph.lower()
        or not all(c in "0123456789abcdef" for c in ph)
    ):
        raise _bad("policy_hash must be 64 lowercase hex digits")
    _check_b64(h["payload_salt"], 32, "payload_salt")
    _check_b64(h["commitment"], 32, "commitment")
    _check_key(h["signer"], "signer")
    stanza = h["self"]
    if not isinstance(stanza, dict) or set(stanza) != _SELF_KEYS:
        raise _bad("self stanza must have exactly ct, enc, recipient")
    _check_stanza(stanza, "self")
    if stanza["recipient"] == h["signer"]:
        raise _bad("signing and encryption keys must differ")
    shares = h["shares"]
    if not isinstance(shares, list) or not 1 <= len(shares) <= 255:
        raise _bad("shares must list 1 to 255 stanzas")
    if not _is_int(h["k"]) or not 1 <= h["k"] <= len(shares):
        raise _bad("k must be in 1..n")
    for position, share in enumerate(shares):
        if (
            not isinstance(share, dict)
            or set(share) not in (_SHARE_KEYS, _TLOCK_SHARE_KEYS)
            or share["x"] != position + 1
        ):
            raise _bad(f"share stanza {position + 1} is malformed")
        if not isinstance(share["custodian"], str):
            raise _bad(f"share stanza {position + 1}: custodian must be a string")
        if "tlock" in share:
            tlock_file(share)
        else:
            _check_stanza(share, f"share {position + 1}")
        _check_b64(share["commitment"], 32, f"share {position + 1} commitment")


def tlock_file(stanza: dict[str, Any]) -> Any:
    """The parsed age tlock file of a time-lock share stanza (FORMAT.md §15)."""
    from crypto import tlock

    try:
        data = b64u_decode(stanza["tlock"])
        if len(data) > MAX_TLOCK:
            raise ValueError("too long")
        return tlock.parse(data)
    except (ValueError, TypeError, tlock.TlockError) as exc:
        raise _bad(f"share stanza {stanza['x']}: not an age tlock file ({exc})") from exc


def _check_stanza(stanza: dict[str, Any], what: str) -> None:
    _check_b64(stanza["enc"], 65, f"{what} enc")
    _check_b64(stanza["ct"], 48, f"{what} ct")
    _check_key(stanza["recipient"], f"{what} recipient")


class _Reader:
    """Exact reads from a file object, raising TruncatedError at an early end."""

    def __init__(self, source: BinaryIO) -> None:
        self.source = source

    def read_exact(self, n: int, what: str) -> bytes:
        data = self.source.read(n)
        if len(data) == n:
            return data
        parts = [data]
        got = len(data)
        while got < n:
            more = self.source.read(n - got)
            if not more:
                raise errors.TruncatedError(f"container ends inside the {what}")
            parts.append(more)
            got += len(more)
        return b"".join(parts)

    def read_into(self, view: memoryview, what: str) -> memoryview:
        """Fill ``view`` exactly, reusing the caller's buffer (no per-chunk allocation)."""
        readinto = getattr(self.source, "readinto", None)
        if readinto is None:
            view[:] = self.read_exact(len(view), what)
            return view
        got = 0
        while got < len(view):
            n = readinto(view[got:])
            if not n:
                raise errors.TruncatedError(f"container ends inside the {what}")
            got += n
        return view


def _read_header(reader: _Reader) -> Header:
    magic = reader.source.read(len(MAGIC))
    if magic != MAGIC:
        if MAGIC.startswith(magic) and magic:
            raise errors.TruncatedError("container ends inside the magic")
        raise errors.BadMagicError("not a Biaoyun sealed container (bad magic bytes)")
    version = reader.read_exact(1, "version byte")
    if version[0] not in VERSIONS:
        raise errors.UnsupportedVersionError(f"unsupported container version {version[0]} (expected 1 or 2)")
    length_bytes = reader.read_exact(4, "header length")
    length = int.from_bytes(length_bytes, "big")
    if not 1 <= length <= MAX_HEADER:
        raise errors.HeaderTamperedError(f"invalid header length {length}")
    body = reader.read_exact(length, "header")
    try:
        fields = parse_canonical_json(body)
    except ValueError as exc:  # includes UnicodeDecodeError and JSONDecodeError
        raise errors.HeaderTamperedError(f"header is not canonical JSON ({exc})") from exc
    validate_header_fields(fields)
    mac = reader.read_exact(32, "header MAC")
    return Header(prefix=MAGIC + version + length_bytes + body, mac=mac, fields=fields)


def read_header(source: BinaryIO) -> Header:
    """Read and validate the header, leaving ``source`` at the first payload record."""
    return _read_header(_Reader(source))


def check_policy(header: Header, policy: dict[str, Any]) -> None:
    """Raise PolicyMismatchError unless the container is sealed to exactly this policy."""
    ph = policy_hash(policy)
    h = header.fields
    if ph != header.policy_hash:
        raise errors.PolicyMismatchError(f"container is bound to policy {h['policy_hash']}, not {ph.hex()}")
    if (h["tender_id"], h["lot"], h["k"]) != (policy["tender_id"], policy["lot"], policy["k"]):
        raise errors.PolicyMismatchError("container tender, lot or k differ from the policy")
    custodians = policy["custodians"]
    if len(custodians) != len(h["shares"]):
        raise errors.PolicyMismatchError("container has a different number of custodians than the policy")
    for custodian, stanza in zip(custodians, h["shares"], strict=True):
        if "tlock" in custodian or "tlock" in stanza:
            target = custodian.get("tlock") or {}
            parsed = tlock_file(stanza) if "tlock" in stanza else None
            if (
                parsed is None
                or stanza["custodian"] != custodian["id"]
                or (parsed.round, parsed.chain_hash) != (target.get("round"), target.get("chain_hash"))
            ):
                raise errors.PolicyMismatchError(
                    f"share stanza {stanza['x']} is not time-locked to the policy's beacon round"
                )
            continue
        if (stanza["custodian"], stanza["recipient"]) != (custodian["id"], custodian["public_key"]):
            raise errors.PolicyMismatchError(
                f"share stanza {stanza['x']} is not for custodian {custodian['id']}"
            )


# --- records ----------------------------------------------------------------------------


class _Records:
    """Walks the record stream, hashing it; ``chunks()`` yields (index, last, ciphertext)."""

    def __init__(self, reader: _Reader, header: Header) -> None:
        self.reader = reader
        self.chunk_size = header.chunk_size
        self.hasher = hashlib.sha256(header.prefix)
        self.hasher.update(header.mac)
        self.file_hasher = self.hasher.copy()
        self.signature = b""
        self.digest = b""
        self.count = 0
        self.plaintext_bytes = 0
        self.ciphertext_bytes = 0

    def _tag(self) -> bytes:
        tag = self.reader.source.read(1)
        if not tag:
            raise errors.TruncatedError(
                f"container ends after chunk {self.count - 1}, before the final chunk"
            )
        return tag

    def chunks(self) -> Iterator[tuple[int, bool, memoryview]]:
        """Yield (index, last, ciphertext); the ciphertext view is reused by the next step."""
        buffer = memoryview(bytearray(self.chunk_size + TAG))
        while True:
            tag = self._tag()
            if tag == REC_CHUNK:
                ct = self.reader.read_into(buffer, f"chunk {self.count}")
                last = False
                self._account(tag, ct, self.chunk_size)
            elif tag == REC_FINAL:
                length_bytes = self.reader.read_exact(4, "final chunk length")
                length = int.from_bytes(length_bytes, "big")
                if not 1 <= length <= self.chunk_size:
                    raise errors.MalformedError(f"final chunk length {length} out of range")
                ct = self.reader.read_into(buffer[: length + TAG], f"chunk {self.count}")
                last = True
                self._account(tag + length_bytes, ct, length)
            elif tag == REC_SIG:
                raise errors.TruncatedError(
                    f"signature found after chunk {self.count - 1}: the final chunk is missing"
                )
            else:
                raise errors.MalformedError(f"unknown record tag {tag!r} before chunk {self.count}")
            yield self.count - 1, last, ct
            if last:
                break
        self._finish()

    def _account(self, prefix: bytes, ct: memoryview, plaintext_len: int) -> None:
        self.hasher.update(prefix)
        self.hasher.update(ct)
        self.count += 1
        self.plaintext_bytes += plaintext_len
        self.ciphertext_bytes += len(ct)

    def _finish(self) -> None:
        self.digest = self.hasher.digest()
        tag = self.reader.source.read(1)
        if not tag:
            raise errors.TruncatedError("container ends before the signature trailer")
        if tag != REC_SIG:
            raise errors.TrailingDataError("data follows the final chunk")
        self.signature = self.reader.read_exact(64, "signature trailer")
        if self.reader.source.read(1):
            raise errors.TrailingDataError("data follows the signature trailer")
        trailer_hasher = self.hasher.copy()
        trailer_hasher.update(tag + self.signature)
        self.file_digest = trailer_hasher.digest()


# --- sealing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SealResult:
    """What the sealing side learns: ids and digests to show to the supplier."""

    header: Header
    digest: str  # SHA-256 of the whole file, hex (the receipt's digest)
    signed_digest: str
    size: int


def _file_size(fileobj: BinaryIO) -> int:
    position = fileobj.tell()
    end = fileobj.seek(0, 2)
    fileobj.seek(position)
    return end - position


_BAD_NAME_CHARS = set("/\\") | {chr(c) for c in range(32)} | {"\x7f"}


def validate_file_name(name: Any) -> None:
    """Names become paths at the opening: no separators, no controls, not . or .."""
    if (
        not isinstance(name, str)
        or name in (".", "..")
        or not 1 <= len(name.encode("utf-8", "surrogatepass")) <= 255
        or _BAD_NAME_CHARS & set(name)
    ):
        raise errors.PayloadInvalidError(f"invalid file name {name!r}")


def validate_manifest(manifest: Any) -> None:
    """Raise PayloadInvalidError unless the manifest follows FORMAT.md §7."""
    if not isinstance(manifest, dict) or set(manifest) != {"files", "summary"}:
        raise errors.PayloadInvalidError("manifest must have exactly files and summary")
    summary, files = manifest["summary"], manifest["files"]
    if not isinstance(summary, dict):
        raise errors.PayloadInvalidError("opening summary must be a JSON object")
    price = summary.get("price_fen")
    if price is not None and (not _is_int(price) or price < 0):
        raise errors.PayloadInvalidError("price_fen must be a non-negative integer (fen)")
    if not isinstance(files, list) or len(files) > 1000:
        raise errors.PayloadInvalidError("files must be a list of at most 1000 entries")
    names = set()
    for entry in files:
        if not isinstance(entry, dict) or set(entry) != {"name", "size"}:
            raise errors.PayloadInvalidError("each file entry has exactly name and size")
        validate_file_name(entry["name"])
        if not _is_int(entry["size"]) or entry["size"] < 0:
            raise errors.PayloadInvalidError(f"bad size for {entry['name']!r}")
        names.add(entry["name"])
    if len(names) != len(files):
        raise errors.PayloadInvalidError("file names must be unique")


def _ephemeral(rand: Rand | None) -> ec.EllipticCurvePrivateKey | None:
    return None if rand is None else hpke.private_key_from_scalar(rand(32))


def _wrap(pt: bytes, recipient: ec.EllipticCurvePublicKey, info: bytes, rand: Rand | None) -> dict[str, str]:
    eph = _ephemeral(rand)
    if eph is None:
        enc, ct = hpke.wrap(pt, recipient, info)
    else:
        enc, ct = hpke.wrap_deterministic(pt, recipient, info, eph)
    return {"enc": b64u_encode(enc), "ct": b64u_encode(ct), "recipient": public_key_b64u(recipient)}


def _tlock_wrap(y: bytes, target: dict[str, Any], rand: Rand | None) -> bytes:
    from crypto import tlock

    public_key = bytes.fromhex(target["public_key"])
    return tlock.encrypt(public_key, target["chain_hash"], target["round"], y, rand)


def seal(
    policy: dict[str, Any],
    signer_key: ec.EllipticCurvePrivateKey,
    enc_pubkey: ec.EllipticCurvePublicKey,
    summary: dict[str, Any],
    files: Sequence[tuple[str, BinaryIO]],
    out: BinaryIO,
    bidder_id: str,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    rand: Rand | None = None,
    version: int = VERSION,
) -> SealResult:
    """Seal bid files and an opening summary to a custody policy, in one streaming pass.

    ``files`` are (name, seekable binary file) pairs read from their current position to the
    end. ``rand`` is for test vectors only: it replaces every random draw (FORMAT.md §12).
    ``version`` 1 is kept only to rebuild the version-1 vectors; the platform accepts version 2 bids.
    """
    if version not in VERSIONS:
        raise ValueError(f"cannot seal version {version}")
    ph = policy_hash(policy)
    draw = rand or secrets.token_bytes
    manifest = {"files": [{"name": n, "size": _file_size(f)} for n, f in files], "summary": summary}
    validate_manifest(manifest)
    manifest_bytes = canonical_json(manifest)
    if len(manifest_bytes) > MAX_HEADER:
        raise errors.PayloadInvalidError("manifest larger than 1 MiB")
    file_key, payload_salt = draw(32), draw(32)
    signer = public_key_b64u(signer_key.public_key())
    binding = None if version == 1 else commitment_binding(ph, signer, bidder_id)
    keys = derive_keys(file_key, payload_salt, binding)
    commitment = keys["commitment"]
    custodians = policy["custodians"]
    ys = shamir.split(file_key, policy["k"], len(custodians), draw)
    share_stanzas = []
    for x, (custodian, y) in enumerate(zip(custodians, ys, strict=True), start=1):
        if "tlock" in custodian:
            stanza = {"tlock": b64u_encode(_tlock_wrap(y, custodian["tlock"], rand))}
        else:
            recipient = load_public_key(custodian["public_key"])
            stanza = _wrap(y, recipient, share_info(ph, commitment, x, bidder_id), rand)
        stanza.update(x=x, custodian=custodian["id"], commitment=b64u_encode(share_commitment(x, y)))
        share_stanzas.append(stanza)
    fields = {
        "bidder_id": bidder_id,
        "chunk_size": chunk_size,
        "commitment": b64u_encode(commitment),
        "k": policy["k"],
        "lot": policy["lot"],
        "payload_salt": b64u_encode(payload_salt),
        "policy_hash": ph.hex(),
        "self": _wrap(file_key, enc_pubkey, self_info(ph, commitment, bidder_id), rand),
        "shares": share_stanzas,
        "signer": signer,
        "tender_id": policy["tender_id"],
    }
    validate_header_fields(fields)
    body = canonical_json(fields)
    if len(body) > MAX_HEADER:
        raise errors.HeaderTamperedError("header larger than 1 MiB")
    prefix = MAGIC + bytes([version]) + len(body).to_bytes(4, "big") + body
    mac = hmac.new(keys["header_mac_key"], prefix, hashlib.sha256).digest()
    hasher = hashlib.sha256(prefix)
    hasher.update(mac)
    out.write(prefix)
    out.write(mac)
    size = len(prefix) + len(mac)
    sources: list[tuple[BinaryIO | bytes, int]] = [
        (len(manifest_bytes).to_bytes(4, "big") + manifest_bytes, 4 + len(manifest_bytes))
    ]
    sources += [(f, entry["size"]) for (_, f), entry in zip(files, manifest["files"], strict=True)]
    size += _encrypt_stream(AESGCM(keys["payload_key"]), chunk_size, sources, out, hasher)
    digest = hasher.digest()
    trailer = REC_SIG + sign_digest(signer_key, digest)
    out.write(trailer)
    hasher.update(trailer)
    header = Header(prefix=prefix, mac=mac, fields=fields)
    return SealResult(header, hasher.hexdigest(), digest.hex(), size + len(trailer))


def _fill(buffer: memoryview, sources: Iterator[tuple[BinaryIO | bytes, int]], state: list[Any]) -> int:
    """Fill ``buffer`` from the plaintext sources; returns the bytes placed."""
    filled = 0
    while filled < len(buffer):
        if state[0] is None:
            nxt = next(sources, None)
            if nxt is None:
                break
            state[0], state[1], state[2] = nxt[0], nxt[1], 0  # source, size, offset
        source, size, offset = state
        want = min(len(buffer) - filled, size - offset)
        if isinstance(source, bytes):
            buffer[filled : filled + want] = source[offset : offset + want]
            got = want
        else:
            got = source.readinto(buffer[filled : filled + want]) if want else 0
            if want and not got:
                raise errors.PayloadInvalidError("a bid file shrank while it was being sealed")
        filled += got
        state[2] = offset + got
        if state[2] == size:
            if not isinstance(source, bytes) and source.read(1):
                raise errors.PayloadInvalidError("a bid file grew while it was being sealed")
            state[0] = None
    return filled


def _encrypt_stream(
    aead: AESGCM, chunk_size: int, sources: list[tuple[BinaryIO | bytes, int]], out: BinaryIO, hasher: Any
) -> int:
    total = sum(size for _, size in sources)
    n_chunks = max(1, -(-total // chunk_size))
    plain = bytearray(chunk_size)
    cipher = bytearray(1 + chunk_size + TAG)  # record tag, ciphertext, GCM tag
    view, cview = memoryview(plain), memoryview(cipher)
    iterator, state = iter(sources), [None, 0, 0]
    written = 0
    for index in range(n_chunks):
        last = index == n_chunks - 1
        length = _fill(view, iterator, state)
        if length != (total - index * chunk_size if last else chunk_size):
            raise errors.PayloadInvalidError("bid files changed size while being sealed")
        if last:
            record_prefix = REC_FINAL + length.to_bytes(4, "big")
            out_view = bytearray(len(record_prefix) + length + TAG)
            out_view[: len(record_prefix)] = record_prefix
            aead.encrypt_into(chunk_nonce(index, True), view[:length], None, memoryview(out_view)[5:])
            record: Any = out_view
        else:
            cview[0:1] = REC_CHUNK
            aead.encrypt_into(chunk_nonce(index, False), view, None, cview[1:])
            record = cview
        hasher.update(record)
        out.write(record)
        written += len(record)
    return written


# --- opening ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """A custodian's unwrapped share, bound to one container (FORMAT.md §10)."""

    x: int
    y: bytes
    custodian: str
    policy_hash: str
    bidder_id: str
    commitment: str

    def to_json(self) -> dict[str, Any]:
        """The share file object."""
        return {
            "bidder_id": self.bidder_id,
            "commitment": self.commitment,
            "custodian": self.custodian,
            "format": "biaoyun-share/1",
            "policy_hash": self.policy_hash,
            "x": self.x,
            "y": b64u_encode(self.y),
        }

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, obj: Any) -> Share:
        """Parse a share file object; raises BadShareError if malformed."""
        keys = {"bidder_id", "commitment", "custodian", "format", "policy_hash", "x", "y"}
        try:
            if not isinstance(obj, dict) or set(obj) != keys or obj["format"] != "biaoyun-share/1":
                raise ValueError("not a biaoyun-share/1 object")
            if not _is_int(obj["x"]) or not 1 <= obj["x"] <= 255:
                raise ValueError("x out of range")
            if not all(
                isinstance(obj[k], str) for k in ("bidder_id", "commitment", "custodian", "policy_hash")
            ):
                raise ValueError("fields must be strings")
            y = b64u_decode(obj["y"], 32)
        except (ValueError, TypeError) as exc:
            raise errors.BadShareError(f"malformed share: {exc}") from exc
        return cls(obj["x"], y, obj["custodian"], obj["policy_hash"], obj["bidder_id"], obj["commitment"])


def _as_header(source: BinaryIO | Header) -> Header:
    return source if isinstance(source, Header) else read_header(source)


def unwrap_share(source: BinaryIO | Header, custodian_key: ec.EllipticCurvePrivateKey) -> Share:
    """A custodian decrypts its share of one container (at the opening time)."""
    header = _as_header(source)
    mine = public_key_b64u(custodian_key.public_key())
    stanza = next((s for s in header.shares if s.get("recipient") == mine), None)
    if stanza is None:
        raise errors.WrongKeyError("this key is not a custodian of this container")
    x = stanza["x"]
    info = share_info(header.policy_hash, header.commitment, x, header.bidder_id)
    try:
        y = hpke.unwrap(b64u_decode(stanza["enc"]), b64u_decode(stanza["ct"]), custodian_key, info)
    except hpke.HpkeOpenError as exc:
        raise errors.StanzaInvalidError(
            f"share stanza {x} does not decrypt under its custodian's key"
        ) from exc
    if len(y) != 32 or not hmac.compare_digest(share_commitment(x, y), b64u_decode(stanza["commitment"])):
        raise errors.StanzaInvalidError(f"share stanza {x} does not match its share commitment")
    return Share(
        x, y, stanza["custodian"], header.fields["policy_hash"], header.bidder_id, header.fields["commitment"]
    )


def unwrap_tlock_share(source: BinaryIO | Header, signature: bytes, public_key: bytes) -> Share:
    """Anyone unwraps the time-lock share once the beacon has signed its round (FORMAT.md §15).

    The round's ``signature`` is checked against the pinned beacon ``public_key`` first (a
    signature that does not verify raises ``tlock_invalid``, nobody's fault but the transport's);
    a stanza that then does not open, or opens to a share that fails its commitment, is the
    bidder's ``stanza_invalid``.
    """
    from crypto import tlock

    header = _as_header(source)
    stanza = next((s for s in header.shares if "tlock" in s), None)
    if stanza is None:
        raise errors.WrongKeyError("this container has no time-lock share")
    x, parsed = stanza["x"], tlock_file(stanza)
    tlock.verify_round(public_key, parsed.round, signature)
    try:
        y = tlock.decrypt(b64u_decode(stanza["tlock"]), signature)
    except tlock.TlockError as exc:
        raise errors.StanzaInvalidError(f"time-lock share stanza {x} does not open: {exc}") from exc
    if len(y) != 32 or not hmac.compare_digest(share_commitment(x, y), b64u_decode(stanza["commitment"])):
        raise errors.StanzaInvalidError(f"time-lock share stanza {x} does not match its share commitment")
    return Share(
        x, y, stanza["custodian"], header.fields["policy_hash"], header.bidder_id, header.fields["commitment"]
    )


def verify_share(source: BinaryIO | Header, share: Share) -> None:
    """Check a submitted share belongs to this container and is the one sealed for it."""
    header = _as_header(source)
    h = header.fields
    if (share.policy_hash, share.bidder_id, share.commitment) != (
        h["policy_hash"],
        h["bidder_id"],
        h["commitment"],
    ):
        raise errors.BadShareError(f"share {share.x} belongs to another container")
    if not 1 <= share.x <= len(header.shares) or header.shares[share.x - 1]["custodian"] != share.custodian:
        raise errors.BadShareError(f"share {share.x} does not match a custodian of this container")
    expected = b64u_decode(header.shares[share.x - 1]["commitment"])
    if not hmac.compare_digest(share_commitment(share.x, share.y), expected):
        raise errors.BadShareError(
            f"share {share.x} ({share.custodian}) is corrupt: it fails its share commitment"
        )


def combine_shares(source: BinaryIO | Header, shares: Sequence[Share]) -> bytes:
    """Check each share, then rebuild the file key from k of them and check the commitment."""
    header = _as_header(source)
    seen: set[int] = set()
    for share in shares:
        if share.x in seen:
            raise errors.BadShareError(f"duplicate share {share.x}")
        seen.add(share.x)
        verify_share(header, share)
    if len(seen) < header.k:
        raise errors.NotEnoughSharesError(f"{len(seen)} valid share(s) given, {header.k} needed")
    chosen = sorted(shares, key=lambda s: s.x)[: header.k]
    file_key = shamir.combine([(s.x, s.y) for s in chosen])
    header.check_mac(file_key)
    return file_key


def unwrap_self(source: BinaryIO | Header, supplier_enc_key: ec.EllipticCurvePrivateKey) -> bytes:
    """The supplier recovers (and checks) the file key from its own stanza."""
    header = _as_header(source)
    stanza = header.fields["self"]
    if stanza["recipient"] != public_key_b64u(supplier_enc_key.public_key()):
        raise errors.WrongKeyError("this key is not the supplier encryption key of this container")
    info = self_info(header.policy_hash, header.commitment, header.bidder_id)
    try:
        file_key = hpke.unwrap(b64u_decode(stanza["enc"]), b64u_decode(stanza["ct"]), supplier_enc_key, info)
    except hpke.HpkeOpenError as exc:
        raise errors.StanzaInvalidError("the self stanza does not decrypt under the supplier's key") from exc
    if len(file_key) != 32:
        raise errors.StanzaInvalidError("the self stanza does not hold a 32-byte key")
    header.check_mac(file_key)
    return file_key


def read_body(
    source: BinaryIO, header: Header, decrypt: Callable[[int, bool, memoryview], None] | None
) -> _Records:
    """The records after the header, each chunk handed to `decrypt` (None: checked only) as it is read."""
    records = _Records(_Reader(source), header)
    for index, last, ct in records.chunks():
        if decrypt is not None:
            decrypt(index, last, ct)
    return records


def inspect(
    source: BinaryIO, policy: dict[str, Any] | None = None, *, require_signature: bool = False
) -> dict[str, Any]:
    """Check structure, policy binding and signature with no private key; describe the container."""
    header = read_header(source)
    if policy is not None:
        validate_policy(policy)
        check_policy(header, policy)
    records = read_body(source, header, None)
    valid = verify_digest(header.signer, records.digest, records.signature)
    if require_signature and not valid:
        raise errors.SignatureInvalidError("the supplier's signature over the container does not verify")
    return describe(header, records, valid, policy is not None)


def _describe_stanza(stanza: dict[str, Any]) -> dict[str, Any]:
    if "tlock" in stanza:
        parsed = tlock_file(stanza)
        return {"x": stanza["x"], "id": stanza["custodian"],
                "tlock": {"round": parsed.round, "chain_hash": parsed.chain_hash}}
    return {"x": stanza["x"], "id": stanza["custodian"], "public_key": stanza["recipient"]}


def describe(
    header: Header, records: _Records, signature_valid: bool, policy_checked: bool
) -> dict[str, Any]:
    """The inspect dict (also returned by opening)."""
    h = header.fields
    return {
        "format": f"biaoyun-sealed/{header.version}",
        "tender_id": h["tender_id"],
        "lot": h["lot"],
        "bidder_id": h["bidder_id"],
        "policy_hash": h["policy_hash"],
        "policy_checked": policy_checked,
        "k": h["k"],
        "custodians": [_describe_stanza(s) for s in h["shares"]],
        "self_recipient": h["self"]["recipient"],
        "signer": h["signer"],
        "commitment": h["commitment"],
        "chunk_size": h["chunk_size"],
        "chunks": records.count,
        "header_bytes": len(header.prefix) - 13,
        "payload_bytes": records.plaintext_bytes,
        "size": len(header.prefix) + 32 + records.count * 1 + records.ciphertext_bytes + 4 + 65,
        "signed_digest": records.digest.hex(),
        "sha256": records.file_digest.hex(),
        "signature_valid": signature_valid,
    }
