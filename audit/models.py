"""Audit tables: the append-only events, the tree head, and signed checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db

EMPTY_FRONTIER = '{"size": 0, "hashes": []}'


class AuditEvent(db.Model):
    """One leaf of the Merkle tree. `seq` is the leaf index: dense, from 0, never reused."""

    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    time: Mapped[str] = mapped_column(String(32))  # the exact ISO-8601 UTC text that was hashed
    actor: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, as hashed
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))

    __table_args__ = (
        CheckConstraint("seq >= 0", name="seq_non_negative"),
        db.Index("ix_audit_event_object", "object_type", "object_id"),
    )


class AuditHead(db.Model):
    """The single row that serialises appends: tree size and its compact range (frontier).

    Every append updates this row first, so concurrent transactions queue on its row lock
    and each gets the next index: no gap, no fork.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(default=0)
    frontier: Mapped[str] = mapped_column(Text, default=EMPTY_FRONTIER)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class AuditCheckpoint(db.Model):
    """A signed statement of the tree size and root at some moment (C2SP signed note)."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(index=True)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
