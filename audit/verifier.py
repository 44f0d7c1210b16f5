"""Standalone verifier: checks proofs, receipts and exported logs with no database, Flask or platform code.

A bidder or the supervising bureau runs it on files they were given, trusting only the published verifier
key (the page /audit/key, `GET /api/v1/audit/key`) or its fingerprint (printed on every receipt and notice):

    python -m audit.verifier proof PROOF.json (--vkey VKEY | --fingerprint HEX)
    python -m audit.verifier receipt RECEIPT.json (--vkey VKEY | --fingerprint HEX)
    python -m audit.verifier log EXPORT.json --checkpoint CP.txt [--checkpoint CP2.txt] --vkey VKEY
    python -m audit.verifier fingerprint VKEY

A proof or receipt carries a verifier key of its own, which proves nothing by itself (anyone can make a key
and sign a checkpoint of a forged tree): the command refuses to run without the trusted key or a pinned
fingerprint, and refuses a file whose key is not that one.

It prints "OK size=N root=<hex>" (exit 0) or "MISMATCH at seq N: reason" (exit 1); exit 2 means the files
could not be read or no trusted key was given. VKEY is the vkey string or a file holding it.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from audit.canonical import NotCanonicalError, canonical_json, event_from_object
from audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    VerifierKey,
    normalise_fingerprint,
    parse_verifier_key,
    verify_checkpoint,
    vkey_fingerprint,
)
from audit.merkle import EMPTY_ROOT, HASH_SIZE, CompactRange, leaf_hash, verify_inclusion
from audit.statements import SIGNATURE_ALG, StatementError, verify_receipt_signature


class VerificationError(Exception):
    """The evidence does not hold; `seq` names the first bad event when one can be named."""

    def __init__(self, reason: str, seq: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.seq = seq

    def __str__(self) -> str:
        where = f" at seq {self.seq}" if self.seq is not None else ""
        return f"MISMATCH{where}: {self.reason}"


@dataclass(frozen=True)
class Verified:
    """What was proven: the signed tree head, and how many exported events came after it."""

    size: int
    root: bytes
    checkpoint: Checkpoint
    index: int | None = None  # the proven leaf, for an inclusion proof
    unsigned_events: int = 0  # events after the newest checkpoint: well-formed but not yet signed

    def __str__(self) -> str:
        text = f"OK size={self.size} root={self.root.hex()}"
        if self.index is not None:
            text += f" index={self.index}"
        if self.unsigned_events:
            text += f" (+{self.unsigned_events} events not yet covered by a checkpoint)"
        return text


def _load(doc: str | bytes | object) -> object:
    if not isinstance(doc, (str, bytes)):
        return doc
    try:
        return json.loads(doc)
    except ValueError as exc:
        raise VerificationError(f"not valid JSON: {exc}") from exc


def _key(vkey: str | VerifierKey) -> VerifierKey:
    if isinstance(vkey, VerifierKey):
        return vkey
    try:
        return parse_verifier_key(vkey)
    except CheckpointError as exc:
        raise VerificationError(f"verifier key: {exc}") from exc


def trusted_key(file_vkey: object, trusted_vkey: str | VerifierKey | None = None,
                fingerprint: str | None = None) -> VerifierKey:
    """The key a file is checked with: the file's own key, accepted only if it is the trusted key or has
    the pinned fingerprint (with neither given, the file's key is taken as it is: consistency only)."""
    key = _key(file_vkey)  # type: ignore[arg-type]
    if trusted_vkey is not None and str(_key(trusted_vkey)) != str(key):
        raise VerificationError("the file names a different verifier key than the trusted one")
    if fingerprint is not None:
        try:
            pinned = normalise_fingerprint(fingerprint)
        except CheckpointError as exc:
            raise VerificationError(str(exc)) from exc
        if vkey_fingerprint(key) != pinned:
            raise VerificationError(f"the file's verifier key has fingerprint {vkey_fingerprint(key)}, "
                                    f"not the pinned {pinned}")
    return key


def _checkpoint(text: object, key: VerifierKey) -> Checkpoint:
    if not isinstance(text, str):
        raise VerificationError("checkpoint must be the signed note text")
    try:
        return verify_checkpoint(text, key)
    except CheckpointError as exc:
        raise VerificationError(f"checkpoint: {exc}") from exc


def _hash_from_hex(value: object, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != HASH_SIZE:
        raise VerificationError(f"{what} is not a 32-byte hex hash")
    return raw


def _leaf_bytes(leaf_data: object, index: int) -> bytes:
    """The event object (re-encoded canonically) or the base64 of the exact leaf bytes."""
    if isinstance(leaf_data, str):
        try:
            return base64.b64decode(leaf_data, validate=True)
        except binascii.Error as exc:
            raise VerificationError("leaf_data is neither an event object nor base64") from exc
    if not isinstance(leaf_data, Mapping):
        raise VerificationError("leaf_data must be an event object or base64 text")
    if leaf_data.get("seq") != index:
        raise VerificationError(f"the event says seq {leaf_data.get('seq')!r}, the proof is for {index}")
    try:
        return event_from_object(leaf_data)
    except NotCanonicalError as exc:
        raise VerificationError(f"leaf_data: {exc}", index) from exc


def inclusion_document(leaf_data: bytes, index: int, tree_size: int, proof: Sequence[bytes],
                       checkpoint: str, verifier_key: str) -> dict[str, object]:
    """The JSON that verify_inclusion_file reads; the event is shown as an object when it
    re-encodes to the same bytes (it always does for event_leaf_data output), else as base64."""
    try:
        obj: object = json.loads(leaf_data)
        if canonical_json(obj) != leaf_data:
            raise ValueError
    except (ValueError, NotCanonicalError):
        obj = base64.b64encode(leaf_data).decode()
    return {"leaf_data": obj, "index": index, "tree_size": tree_size, "proof": [p.hex() for p in proof],
            "checkpoint": checkpoint, "verifier_key": verifier_key}


def verify_inclusion_file(proof_json: str | bytes | Mapping[str, object],
                          trusted_vkey: str | VerifierKey | None = None, *, fingerprint: str | None = None) -> Verified:
    """Check a bid receipt's proof: signed checkpoint, leaf hash, and the path to the root.

    Pass trusted_vkey (the key published out of band) or its pinned fingerprint: the key inside the file
    only proves something if it is the platform's real key.
    """
    doc = _load(proof_json)
    if not isinstance(doc, Mapping):
        raise VerificationError("proof document must be a JSON object")
    missing = {"leaf_data", "index", "tree_size", "proof", "checkpoint", "verifier_key"} - set(doc)
    if missing:
        raise VerificationError(f"proof document lacks {sorted(missing)}")
    key = trusted_key(doc["verifier_key"], trusted_vkey, fingerprint)
    index, size = doc["index"], doc["tree_size"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (index, size)):
        raise VerificationError("index and tree_size must be integers")
    if not isinstance(doc["proof"], list):
        raise VerificationError("proof must be a list of hex hashes")
    checkpoint = _checkpoint(doc["checkpoint"], key)
    if size != checkpoint.size:
        raise VerificationError(f"proof is for tree size {size}, the checkpoint for {checkpoint.size}")
    if not 0 <= index < size:
        raise VerificationError(f"index {index} is outside the tree of size {size}", index)
    path = [_hash_from_hex(p, f"proof[{i}]") for i, p in enumerate(doc["proof"])]
    if not verify_inclusion(leaf_hash(_leaf_bytes(doc["leaf_data"], index)), index, size, path,
                            checkpoint.root):
        raise VerificationError("the event and proof do not lead to the signed root", index)
    return Verified(checkpoint.size, checkpoint.root, checkpoint, index=index)


@dataclass(frozen=True)
class VerifiedReceipt:
    """A receipt whose platform signature holds and whose bid event is in the signed log."""

    receipt: Mapping[str, object]
    proof: Verified

    def __str__(self) -> str:
        r = self.receipt
        return (f"OK receipt format={r.get('format')} bid={r.get('bid_id')} project={r.get('project')} "
                f"lot={r.get('lot')} sha256={r.get('sha256')} received_at={r.get('received_at')}; "
                f"audit event {self.proof.index} in signed tree size={self.proof.size} root={self.proof.root.hex()}")


def verify_receipt_file(receipt_json: str | bytes | Mapping[str, object],
                        trusted_vkey: str | VerifierKey | None = None, *,
                        fingerprint: str | None = None) -> VerifiedReceipt:
    """Check a bid receipt: the platform's signature over `receipt` (by its format, `audit.statements`), its
    inclusion proof against a signed checkpoint, and that the proven event is this bid's submission (same
    audit index, digest and size)."""
    doc = _load(receipt_json)
    if not isinstance(doc, Mapping):
        raise VerificationError("receipt must be a JSON object")
    missing = {"receipt", "signature", "verifier_key", "inclusion_proof"} - set(doc)
    if missing:
        raise VerificationError(f"receipt lacks {sorted(missing)}")
    body, proof_doc = doc["receipt"], doc["inclusion_proof"]
    if not isinstance(body, Mapping) or not isinstance(proof_doc, Mapping):
        raise VerificationError("receipt and inclusion_proof must be JSON objects")
    key = trusted_key(doc["verifier_key"], trusted_vkey, fingerprint)
    if body.get("format") not in SIGNATURE_ALG:
        raise VerificationError(f"unknown receipt format {body.get('format')!r}")
    try:
        verify_receipt_signature(body, doc["signature"], key.public_key)  # type: ignore[arg-type]
    except StatementError as exc:
        raise VerificationError(str(exc)) from exc
    if proof_doc.get("verifier_key") != doc["verifier_key"]:
        raise VerificationError("the inclusion proof names another verifier key than the receipt")
    proven = verify_inclusion_file(proof_doc, key)
    if proven.index != body.get("audit_seq"):
        raise VerificationError(f"the proof is for audit event {proven.index}, the receipt names "
                                f"{body.get('audit_seq')!r}", proven.index)
    leaf = proof_doc["leaf_data"]
    if isinstance(leaf, Mapping):
        payload = leaf.get("payload") if isinstance(leaf.get("payload"), Mapping) else {}
        if (leaf.get("action") != "tender.bid_submitted" or payload.get("sha256") != body.get("sha256")
                or payload.get("size") != body.get("size")):
            raise VerificationError("the proven audit event is not this bid's submission (action, digest or size "
                                    "differ)", proven.index)
    return VerifiedReceipt(body, proven)


def verify_event_proofs(doc: Mapping[str, object], trusted_vkey: str | VerifierKey | None = None, *,
                        fingerprint: str | None = None) -> Verified:
    """Check a partial export (one draw's events): every event carries `inclusion_proof` (hex hashes)
    against the document's one signed `checkpoint`; each event re-encodes to its leaf (`leaf_hash` if
    present must match) and leads to the signed root. The document's `verifier_key` must be the trusted
    key or have the pinned fingerprint."""
    missing = {"events", "checkpoint", "verifier_key"} - set(doc)
    if missing:
        raise VerificationError(f"document lacks {sorted(missing)}")
    key = trusted_key(doc["verifier_key"], trusted_vkey, fingerprint)
    checkpoint = _checkpoint(doc["checkpoint"], key)
    events = doc["events"]
    if not isinstance(events, list) or not events:
        raise VerificationError("events must be a non-empty list")
    for event in events:
        if not isinstance(event, Mapping) or not isinstance(event.get("seq"), int):
            raise VerificationError("every event must be an object with an integer seq")
        seq = event["seq"]
        if not 0 <= seq < checkpoint.size:
            raise VerificationError(f"event {seq} is not covered by the checkpoint (size {checkpoint.size})", seq)
        proof = event.get("inclusion_proof")
        if not isinstance(proof, list):
            raise VerificationError("event has no inclusion_proof list", seq)
        data = {k: v for k, v in event.items() if k not in ("inclusion_proof", "leaf_hash")}
        try:
            lh = leaf_hash(event_from_object(data))
        except NotCanonicalError as exc:
            raise VerificationError(f"event cannot be encoded: {exc}", seq) from exc
        if "leaf_hash" in event and _hash_from_hex(event["leaf_hash"], f"seq {seq} leaf_hash") != lh:
            raise VerificationError("event content does not match its leaf_hash (changed)", seq)
        path = [_hash_from_hex(p, f"seq {seq} inclusion_proof[{i}]") for i, p in enumerate(proof)]
        if not verify_inclusion(lh, seq, checkpoint.size, path, checkpoint.root):
            raise VerificationError("the event and its proof do not lead to the signed root", seq)
    return Verified(checkpoint.size, checkpoint.root, checkpoint)


def _event_leaf(position: int, event: object) -> bytes:
    """The recomputed leaf hash of the export row that should hold seq `position`."""
    if not isinstance(event, Mapping):
        raise VerificationError("event is not a JSON object", position)
    seq = event.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise VerificationError(f"event has no integer seq ({seq!r})", position)
    if seq > position:
        raise VerificationError(f"missing: the next event is seq {seq} (deleted or reordered)", position)
    if seq < position:
        raise VerificationError(f"found seq {seq} again where {position} belongs (duplicated or reordered)",
                                position)
    try:
        lh = leaf_hash(event_from_object(event))
    except NotCanonicalError as exc:
        raise VerificationError(f"event cannot be encoded: {exc}", position) from exc
    if "leaf_hash" in event and _hash_from_hex(event["leaf_hash"], f"seq {position} leaf_hash") != lh:
        raise VerificationError("event content does not match its stored leaf_hash (changed)", position)
    return lh


def verify_export(events_json: str | bytes | Sequence[object] | Mapping[str, object],
                  checkpoint_text: str | Sequence[str], vkey: str | VerifierKey) -> Verified:
    """Recompute every leaf and the root of an exported log and compare with signed checkpoints.

    events_json is a list of event rows (or {"events": [...]}); seq must run 0, 1, 2, ...
    With several checkpoints a rewritten stretch is narrowed to between two of them.
    """
    key = _key(vkey)
    texts = [checkpoint_text] if isinstance(checkpoint_text, str) else list(checkpoint_text)
    if not texts:
        raise VerificationError("no checkpoint given")
    checkpoints = sorted((_checkpoint(t, key) for t in texts), key=lambda cp: cp.size)
    events = _load(events_json)
    if isinstance(events, Mapping):
        events = events.get("events")
    if not isinstance(events, list):
        raise VerificationError("export must be a JSON list of events")
    cr, pending, last_good = CompactRange(), list(checkpoints), 0
    while pending and pending[0].size == 0:
        if pending.pop(0).root != EMPTY_ROOT:
            raise VerificationError("checkpoint of the empty log has a non-empty root")
    for position, event in enumerate(events):
        cr.append(_event_leaf(position, event))
        while pending and pending[0].size == cr.size:
            if pending.pop(0).root != cr.root():
                raise VerificationError(
                    f"root of the first {cr.size} events differs from the signed checkpoint: an event in "
                    f"seq {last_good}..{cr.size - 1} was rewritten together with its leaf hash")
            last_good = cr.size
    if pending:
        raise VerificationError(f"the export ends after {len(events)} events but a checkpoint signs "
                                f"{pending[0].size} (events removed from the end)", len(events))
    newest = checkpoints[-1]
    return Verified(newest.size, newest.root, newest, unsigned_events=len(events) - newest.size)


def read_vkey(arg: str) -> str:
    """The verification key given on the command line: the key itself, or a file holding it."""
    path = Path(arg)
    return path.read_text(encoding="utf-8").strip() if "+" not in arg or path.is_file() else arg


def add_trust_options(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """--vkey or --fingerprint: the trusted key, or the pinned fingerprint of the file's key."""
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--vkey", help="the trusted verifier key (string or file), as published at /audit/key")
    group.add_argument("--fingerprint", help="the pinned fingerprint of the verifier key (64 hex digits)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit.verifier", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    proof = sub.add_parser("proof", help="verify an inclusion proof file")
    proof.add_argument("file", type=Path)
    add_trust_options(proof)
    receipt = sub.add_parser("receipt", help="verify a bid receipt (signature and inclusion proof)")
    receipt.add_argument("file", type=Path)
    add_trust_options(receipt)
    log = sub.add_parser("log", help="verify a full JSON export against signed checkpoints")
    log.add_argument("file", type=Path)
    log.add_argument("--checkpoint", type=Path, action="append", required=True)
    log.add_argument("--vkey", required=True, help="verifier key (string or file)")
    fingerprint = sub.add_parser("fingerprint", help="print the fingerprint of a verifier key")
    fingerprint.add_argument("vkey", help="verifier key (string or file)")
    args = parser.parse_args(argv)
    try:
        if args.command == "fingerprint":
            print(vkey_fingerprint(_key(read_vkey(args.vkey))))
            return 0
        vkey = read_vkey(args.vkey) if args.vkey else None
        pin = getattr(args, "fingerprint", None)
        if args.command == "proof":
            result: object = verify_inclusion_file(args.file.read_bytes(), vkey, fingerprint=pin)
        elif args.command == "receipt":
            result = verify_receipt_file(args.file.read_bytes(), vkey, fingerprint=pin)
        else:
            notes = [p.read_text(encoding="utf-8") for p in args.checkpoint]
            result = verify_export(args.file.read_bytes(), notes, vkey)  # type: ignore[arg-type]
    except OSError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    except VerificationError as exc:
        print(exc)
        return 1
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
