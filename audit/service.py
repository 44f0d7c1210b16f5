"""Writing to and checking the audit log.

`record()` is the one line every state change calls inside its own transaction: the event
commits or rolls back together with the change it describes.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app, g, has_request_context
from sqlalchemy import select, update

from audit.canonical import canonical_json, event_leaf_data
from audit.checkpoint import (
    load_or_create_signing_key,
    parse_checkpoint,
    sign_checkpoint,
    verifier_key_string,
    verify_checkpoint,
    vkey_fingerprint,
)
from audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    fold_right,
    inclusion_proof,
    leaf_hash,
    prefix_subtrees,
    subtree_levels,
)
from audit.models import AuditCheckpoint, AuditEvent, AuditHead
from core import clock
from core.db import db


def current_actor() -> str | None:
    """'user:<id>' for a logged-in request, else whatever the caller set on `g` (tasks)."""
    actor = g.get("audit_actor") if has_request_context() or g else None
    if actor:
        return actor
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return f"user:{current_user.id}"
    return None


def record(action: str, obj: object | None = None, payload: dict | None = None, *,
           actor: str | None = None, object_type: str | None = None,
           object_id: str | int | None = None) -> AuditEvent:
    """Append one event to the log in the caller's transaction (flushes, never commits)."""
    if obj is not None:
        object_type = object_type or getattr(obj, "__tablename__", type(obj).__name__.lower())
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    actor = actor or current_actor() or "system"
    payload = payload or {}
    payload_json = canonical_json(payload).decode()
    # Taking the head row's lock first serialises appenders; RETURNING gives our index.
    size, frontier_json = db.session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(size=AuditHead.size + 1)
        .returning(AuditHead.size, AuditHead.frontier),
        execution_options={"synchronize_session": False},
    ).one()
    seq = size - 1
    time_iso = clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    obj_id = None if object_id is None else str(object_id)
    data = event_leaf_data(seq, time_iso, actor, action, object_type, obj_id, payload)
    lh = leaf_hash(data)
    frontier = CompactRange.from_json(json.loads(frontier_json))
    frontier.append(lh)
    db.session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(frontier=json.dumps(frontier.to_json())),
        execution_options={"synchronize_session": False},
    )
    event = AuditEvent(seq=seq, time=time_iso, actor=actor, action=action, object_type=object_type,
                       object_id=obj_id, payload=payload_json, leaf_hash=lh)
    db.session.add(event)
    db.session.flush()
    return event


def payloads_of(action: str, obj: object) -> list[dict]:
    """The payloads of the events `action` already recorded for `obj`, oldest first: what a sweep has
    sent before is read back from the log, so a rerun never sends it twice."""
    rows = db.session.scalars(select(AuditEvent.payload).where(
        AuditEvent.action == action, AuditEvent.object_type == getattr(obj, "__tablename__", None),
        AuditEvent.object_id == str(obj.id)).order_by(AuditEvent.seq))
    return [json.loads(p) for p in rows]


def ensure_head() -> None:
    """Create the head row of an empty log (the first migration does this too)."""
    if db.session.get(AuditHead, 1) is None:
        db.session.add(AuditHead(id=1, size=0, frontier=json.dumps(CompactRange().to_json())))
        db.session.flush()


def signing_key() -> Ed25519PrivateKey:
    return load_or_create_signing_key(Path(current_app.config["AUDIT_KEY_PATH"]))


def key_name() -> str:
    return current_app.config["AUDIT_ORIGIN"]


def verifier_key() -> str:
    """The public verifier key string (C2SP vkey) that anyone checks checkpoints with."""
    return verifier_key_string(key_name(), signing_key().public_key())


def verifier_key_fingerprint() -> str:
    """SHA-256 of the verifier key string (hex): printed on receipts and notice pages, to pin or compare."""
    return vkey_fingerprint(verifier_key())


def create_checkpoint() -> AuditCheckpoint:
    """Sign the current tree head and keep the note; cheap (the frontier gives the root)."""
    head = db.session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    root = CompactRange.from_json(json.loads(head.frontier)).root()
    note = sign_checkpoint(current_app.config["AUDIT_ORIGIN"], head.size, root, signing_key(), key_name())
    checkpoint = AuditCheckpoint(size=head.size, root=root, note=note, created_at=clock.now())
    db.session.add(checkpoint)
    db.session.flush()
    return checkpoint


def latest_checkpoint(min_size: int = 0) -> AuditCheckpoint:
    """The newest checkpoint covering at least `min_size` events, signing a new one if needed."""
    checkpoint = db.session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.size.desc(), AuditCheckpoint.id.desc()).limit(1)
    ).first()
    if checkpoint is None or checkpoint.size < max(min_size, 1):
        checkpoint = create_checkpoint()
    return checkpoint


def event_json(event: AuditEvent) -> dict:
    """The event as the standalone verifier reads it (the exact hashed fields)."""
    return {"seq": event.seq, "time": event.time, "actor": event.actor, "action": event.action,
            "object_type": event.object_type, "object_id": event.object_id,
            "payload": json.loads(event.payload), "leaf_hash": event.leaf_hash.hex()}


def prove(seq: int) -> dict:
    """An inclusion proof of event `seq` against a signed checkpoint, as a self-contained JSON."""
    event = db.session.get(AuditEvent, seq)
    if event is None:
        raise LookupError(f"no audit event {seq}")
    checkpoint, proofs = prove_many([seq])
    leaf = {k: v for k, v in event_json(event).items() if k != "leaf_hash"}
    return {"leaf_data": leaf, "index": seq, "tree_size": checkpoint.size,
            "proof": [p.hex() for p in proofs[seq]], "checkpoint": checkpoint.note, "verifier_key": verifier_key()}


def prove_many(seqs: list[int]) -> tuple[AuditCheckpoint, dict[int, list[bytes]]]:
    """Inclusion proofs of several events against one signed checkpoint (signed now if none covers them
    all): the leaves are read once, however many events."""
    checkpoint = latest_checkpoint(max(seqs, default=-1) + 1)
    leaves = list(db.session.scalars(
        select(AuditEvent.leaf_hash).where(AuditEvent.seq < checkpoint.size).order_by(AuditEvent.seq)))
    return checkpoint, {seq: inclusion_proof(leaves, seq, checkpoint.size) for seq in seqs}


@dataclass
class VerifyResult:
    ok: bool
    size: int
    root: bytes
    problem: str | None = None
    seq: int | None = None


EXPORT_BATCH = 20000


def _events() -> Iterator[AuditEvent]:
    last = -1
    while True:
        batch = list(db.session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(EXPORT_BATCH)))
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
        db.session.expunge_all()


# A power of two: each full batch is one perfect subtree of the tree. Batches of a few thousand rows are
# the fastest in CPython (measured with bench/audit_bench.py: 4,096 rows ~25% faster than 65,536, whose
# hashes and rows no longer stay in the processor's caches); one range query per batch on the key.
VERIFY_BATCH = 1 << 12


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic collection while a batch of row tuples is alive: they are acyclic, and the collector
    would walk every one of them again at each generation threshold."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _LeafReader:
    """Reads the log's leaves a range of VERIFY_BATCH sequence numbers at a time, through the plain DB-API
    cursor of the session's own connection and transaction: ORM or Core row objects cost more than
    hashing the row (verify is the hot loop), and the only values put in the SQL are our own integers."""

    def __init__(self) -> None:
        connection = db.session.connection()
        self.postgres = connection.dialect.name == "postgresql"
        self.cursor = connection.connection.dbapi_connection.cursor()

    def execute(self, sql: str) -> object:
        if self.postgres:  # binary results: bytea as the bytes themselves, not hex text to decode
            return self.cursor.execute(sql, binary=True)
        return self.cursor.execute(sql)

    def hashed(self, start: int) -> list[tuple[bytes, bytes]]:
        """(the hash of the stored leaf bytes, the stored leaf hash) of seq start .. start + VERIFY_BATCH - 1
        present, in order. Hashed as the rows stream in: no batch of row tuples is ever held."""
        sha256 = hashlib.sha256
        self.execute(f"SELECT leaf_data, leaf_hash FROM audit_event WHERE seq >= {int(start)} "
                     f"AND seq < {int(start) + VERIFY_BATCH} ORDER BY seq")
        return [(sha256(b"\x00" + data).digest(), kept) for data, kept in self.cursor]

    def seqs(self, start: int) -> list[int]:
        self.execute(f"SELECT seq FROM audit_event WHERE seq >= {int(start)} ORDER BY seq LIMIT {VERIFY_BATCH}")
        return [row[0] for row in self.cursor]

    def close(self) -> None:
        self.cursor.close()


def verify_log() -> VerifyResult:
    """Hash every event's stored leaf bytes, build the tree, and compare it with the head and every signed
    checkpoint. The leaf bytes are generated by the database from the row's columns (models.py), so
    their hash checks every column: verification reads and hashes, nothing else per event."""
    public_key = signing_key().public_key()
    checkpoints: dict[int, list[AuditCheckpoint]] = {}
    for cp in db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.size)):
        try:
            verify_checkpoint(cp.note, public_key, key_name())
        except Exception as exc:
            return VerifyResult(False, 0, b"", f"checkpoint {cp.id} has a bad signature: {exc}")
        if cp.root != parse_checkpoint(cp.note).root or cp.size != parse_checkpoint(cp.note).size:
            return VerifyResult(False, 0, b"", f"checkpoint {cp.id}: stored size/root differ from its signed note")
        checkpoints.setdefault(cp.size, []).append(cp)
    for cp in checkpoints.pop(0, []):
        if cp.root != EMPTY_ROOT:
            return VerifyResult(False, 0, EMPTY_ROOT, "checkpoint of the empty tree does not match")
    # Full batches start at multiples of VERIFY_BATCH, so each is one perfect subtree: `done` is the
    # compact range of those subtrees (CompactRange merges equal subtrees, whatever their height) and the
    # tree at any size inside the current batch is done's hashes plus the batch's own prefix subtrees.
    done = CompactRange()
    tail: list[bytes] = []
    expected = 0
    reader = _LeafReader()
    try:
        with _gc_paused():
            while True:
                pairs = reader.hashed(expected)
                count = len(pairs)
                # Unique keys in a range of VERIFY_BATCH numbers: a full batch is dense; a short one is the
                # last, and dense only if its numbers run on from `expected` with no row after them.
                if count < VERIFY_BATCH:
                    seqs = reader.seqs(expected)
                    if seqs != list(range(expected, expected + len(seqs))) or len(seqs) != count:
                        missing = next((expected + i for i, seq in enumerate(seqs) if seq != expected + i),
                                       expected + count)
                        return VerifyResult(False, missing, fold_right(done.hashes),
                                            f"event {missing} is missing", missing)
                if not count:
                    break
                leaves, stored = map(list, zip(*pairs, strict=True))
                if leaves != stored:
                    i = next(i for i, (lh, kept) in enumerate(pairs) if lh != kept)
                    return VerifyResult(False, expected + i, fold_right(done.hashes),
                                        f"event {expected + i} does not match its leaf hash (content changed)",
                                        expected + i)
                levels = subtree_levels(leaves)
                for size in sorted(s for s in checkpoints if expected < s <= expected + count):
                    at = fold_right([*done.hashes, *prefix_subtrees(levels, size - expected)])
                    for cp in checkpoints.pop(size):
                        if cp.root != at:
                            return VerifyResult(False, size, at,
                                                f"signed checkpoint at size {size} does not match: an event at or "
                                                f"before {size - 1} was changed, removed or reordered", size - 1)
                expected += count
                if count < VERIFY_BATCH:
                    tail = prefix_subtrees(levels, count)
                    break
                done.append(levels[-1][0])
    finally:
        reader.close()
    root = fold_right([*done.hashes, *tail])
    if checkpoints:
        size = min(checkpoints)
        return VerifyResult(False, expected, root,
                            f"signed checkpoint at size {size} but the log holds only {expected} events", expected)
    head = db.session.get(AuditHead, 1)
    if head is None or head.size != expected:
        return VerifyResult(False, expected, root,
                            f"tree head says {head.size if head else 0} events, the log holds {expected}")
    if CompactRange.from_json(json.loads(head.frontier)).root() != root:
        return VerifyResult(False, expected, root, "tree head root does not match the events")
    return VerifyResult(True, expected, root)


def export_events() -> list[dict]:
    return [event_json(e) for e in _events()]
