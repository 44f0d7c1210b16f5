"""Opening a container: decrypt the STREAM payload into a sink, release only when all verified."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto import errors
from crypto.container import (
    TAG,
    Header,
    Share,
    check_policy,
    chunk_nonce,
    combine_shares,
    describe,
    read_body,
    read_header,
    unwrap_self,
    validate_manifest,
    verify_digest,
)
from crypto.encoding import load_json


class Sink(Protocol):
    """Where opened files go; nothing may become visible before ``commit``."""

    def open_file(self, name: str, size: int) -> BinaryIO: ...

    def commit(self, summary: dict[str, Any]) -> None: ...

    def abort(self) -> None: ...


class DirectorySink:
    """Writes ``DIR/summary.json`` and ``DIR/files/<name>``; DIR appears only on commit."""

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.out_dir = Path(out_dir)
        if self.out_dir.exists() and (not self.out_dir.is_dir() or any(self.out_dir.iterdir())):
            raise FileExistsError(f"{self.out_dir} exists and is not an empty directory")
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(
            tempfile.mkdtemp(prefix=f".{self.out_dir.name}.", suffix=".partial", dir=self.out_dir.parent)
        )
        (self.tmp / "files").mkdir()

    def open_file(self, name: str, size: int) -> BinaryIO:
        return open(self.tmp / "files" / name, "xb")

    def commit(self, summary: dict[str, Any]) -> None:
        text = json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        (self.tmp / "summary.json").write_text(text, encoding="utf-8")
        if self.out_dir.exists():
            self.out_dir.rmdir()
        os.rename(self.tmp, self.out_dir)

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


class MemorySink:
    """Keeps files in memory; for small bids, tests and the opening summary alone."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.summary: dict[str, Any] | None = None
        self._pending: dict[str, _MemoryFile] = {}

    def open_file(self, name: str, size: int) -> BinaryIO:
        handle = _MemoryFile()
        self._pending[name] = handle
        return handle  # type: ignore[return-value]

    def commit(self, summary: dict[str, Any]) -> None:
        self.files = {name: handle.data for name, handle in self._pending.items()}
        self.summary = summary

    def abort(self) -> None:
        self._pending.clear()


class _MemoryFile:
    def __init__(self) -> None:
        self.data = b""
        self._parts: list[bytes] = []

    def write(self, data: bytes | memoryview) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def close(self) -> None:
        self.data = b"".join(self._parts)


class _PayloadWriter:
    """Parses the plaintext framing (FORMAT.md §7) as chunks arrive and feeds the sink."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.head = bytearray()
        self.manifest: dict[str, Any] | None = None
        self.manifest_len: int | None = None
        self.queue: list[dict[str, Any]] = []
        self.current: BinaryIO | None = None
        self.left = 0

    def feed(self, data: memoryview) -> None:
        while len(data):
            if self.manifest is None:
                data = self._feed_head(data)
                continue
            if self.current is None:
                self._next_file()
                if self.current is None:
                    raise errors.PayloadInvalidError("payload holds more bytes than its manifest lists")
                continue
            take = min(self.left, len(data))
            self.current.write(data[:take])
            self.left -= take
            data = data[take:]
            if self.left == 0:
                self.current.close()
                self.current = None

    def _feed_head(self, data: memoryview) -> memoryview:
        need = 4 if self.manifest_len is None else 4 + self.manifest_len
        take = min(need - len(self.head), len(data))
        self.head += data[:take]
        data = data[take:]
        if len(self.head) == need and self.manifest_len is None:
            self.manifest_len = int.from_bytes(self.head, "big")
            if not 1 <= self.manifest_len <= 1 << 20:
                raise errors.PayloadInvalidError("manifest length out of range")
        elif len(self.head) == need:
            try:
                manifest = load_json(bytes(self.head[4:]))
            except ValueError as exc:
                raise errors.PayloadInvalidError(f"manifest is not JSON ({exc})") from exc
            validate_manifest(manifest)
            self.manifest = manifest
            self.queue = list(manifest["files"])
        return data

    def _next_file(self) -> None:
        while self.queue and self.current is None:
            entry = self.queue.pop(0)
            handle = self.sink.open_file(entry["name"], entry["size"])
            if entry["size"]:
                self.current, self.left = handle, entry["size"]
            else:
                handle.close()

    def finish(self) -> dict[str, Any]:
        if self.manifest is None:
            raise errors.PayloadInvalidError("payload ends inside the manifest")
        self._next_file()
        if self.current is not None or self.queue:
            raise errors.PayloadInvalidError("payload is shorter than its manifest says")
        return self.manifest

    def close(self) -> None:
        if self.current is not None:
            self.current.close()


@dataclass
class OpenResult:
    """An opened bid: its summary, its files (name, size) and the inspect description."""

    summary: dict[str, Any]
    files: list[tuple[str, int]]
    info: dict[str, Any] = field(default_factory=dict)


def _open_after_header(
    source: BinaryIO,
    header: Header,
    file_key: bytes,
    out: str | os.PathLike[str] | Sink,
    policy: dict[str, Any] | None = None,
) -> OpenResult:
    """Decrypt and verify the rest of ``source`` (positioned after the header) into ``out``."""
    header.check_mac(file_key)
    if policy is not None:
        check_policy(header, policy)
    sink: Sink = out if not isinstance(out, str | os.PathLike) else DirectorySink(out)
    writer = _PayloadWriter(sink)
    keys = header.derive_keys(file_key)
    aead = AESGCM(keys["payload_key"])
    plain = bytearray(header.chunk_size)
    view = memoryview(plain)

    def decrypt(index: int, last: bool, ct: memoryview) -> None:
        n = len(ct) - TAG
        try:
            aead.decrypt_into(chunk_nonce(index, last), ct, None, view[:n])
        except InvalidTag:
            raise errors.ChunkAuthFailedError(index) from None
        writer.feed(view[:n])

    try:
        records = read_body(source, header, decrypt)
        manifest = writer.finish()
        if not verify_digest(header.signer, records.digest, records.signature):
            raise errors.SignatureInvalidError("the supplier's signature over the container does not verify")
        sink.commit(manifest["summary"])
    except BaseException:
        writer.close()
        sink.abort()
        raise
    info = describe(header, records, True, policy is not None)
    return OpenResult(manifest["summary"], [(f["name"], f["size"]) for f in manifest["files"]], info)


def open_with_shares(
    source: BinaryIO,
    shares: Sequence[Share],
    out: str | os.PathLike[str] | Sink,
    *,
    policy: dict[str, Any] | None = None,
) -> OpenResult:
    """Open a bid with k custodian shares (the ``custodian`` opening mode)."""
    header = read_header(source)
    return _open_after_header(source, header, combine_shares(header, shares), out, policy)


def open_with_key(
    source: BinaryIO,
    supplier_enc_key: ec.EllipticCurvePrivateKey,
    out: str | os.PathLike[str] | Sink,
    *,
    policy: dict[str, Any] | None = None,
) -> OpenResult:
    """Open a bid with the supplier's own encryption key (the ``bidder`` opening mode)."""
    header = read_header(source)
    return _open_after_header(source, header, unwrap_self(header, supplier_enc_key), out, policy)


def open_with_file_key(
    source: BinaryIO,
    file_key: bytes,
    out: str | os.PathLike[str] | Sink,
    *,
    policy: dict[str, Any] | None = None,
) -> OpenResult:
    """Open a bid with its file key, unwrapped by the supplier in its browser (``bidder`` mode).

    The key is checked against the header's key commitment first, so a supplier who hands in
    another key than the one its shares carry is refused with the commitment error.
    """
    header = read_header(source)
    return _open_after_header(source, header, file_key, out, policy)
