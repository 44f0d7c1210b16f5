"""Audit tables: the append-only events, the tree head, and signed checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, CheckConstraint, Computed, LargeBinary, String, Text, event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import ColumnElement

from core.db import db

EMPTY_FRONTIER = '{"size": 0, "hashes": []}'

# The leaf bytes of a row, written by the database from the row's own columns: the very text of
# audit.canonical.event_leaf_data when the payload column holds its canonical JSON (record() writes
# nothing else; tests/audit/test_leaf_data.py holds the two encoders equal on both databases). Being
# generated, the bytes cannot drift from the columns: a column changed by hand changes them too, so
# hashing them alone checks every column, and verify_log reads two short columns instead of eight.
# SQLite's json_quote and PostgreSQL's to_json escape a string exactly as json.dumps(ensure_ascii=False)
# does (quote, backslash, controls below U+0020; nothing else); PostgreSQL wants an IMMUTABLE function
# in a generated column and its to_json and convert_to are STABLE, hence the wrapper.
LEAF_DATA_SQLITE = (
    """CAST('{"action":' || json_quote(action) || ',"actor":' || json_quote(actor) || ',"object_id":' || """
    """json_quote(object_id) || ',"object_type":' || json_quote(object_type) || ',"payload":' || payload || """
    """',"seq":' || seq || ',"time":' || json_quote(time) || '}' AS BLOB)""")
LEAF_DATA_POSTGRESQL = 'audit_leaf_data(seq, "time", actor, action, object_type, object_id, payload)'
LEAF_DATA_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_leaf_data(seq bigint, "time" text, actor text, action text, object_type text,
                                           object_id text, payload text) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT convert_to('{"action":' || to_json(action)::text || ',"actor":' || coalesce(to_json(actor)::text, 'null')
    || ',"object_id":' || coalesce(to_json(object_id)::text, 'null')
    || ',"object_type":' || coalesce(to_json(object_type)::text, 'null') || ',"payload":' || payload
    || ',"seq":' || seq::text || ',"time":' || to_json("time")::text || '}', 'UTF8')
$$"""


class _LeafDataSQL(ColumnElement):
    """The generated column's expression, written in each database's own SQL."""

    inherit_cache = True


@compiles(_LeafDataSQL, "postgresql")
def _leaf_data_postgresql(element: _LeafDataSQL, compiler: object, **kw: object) -> str:
    return LEAF_DATA_POSTGRESQL


@compiles(_LeafDataSQL)
def _leaf_data_sqlite(element: _LeafDataSQL, compiler: object, **kw: object) -> str:
    return LEAF_DATA_SQLITE


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
    # Deferred: only verify_log reads it; the pages and proofs read the columns.
    leaf_data: Mapped[bytes] = mapped_column(LargeBinary, Computed(_LeafDataSQL(), persisted=True), deferred=True)

    __table_args__ = (
        CheckConstraint("seq >= 0", name="seq_non_negative"),
        db.Index("ix_audit_event_object", "object_type", "object_id"),
    )


event.listen(AuditEvent.__table__, "before_create", DDL(LEAF_DATA_FUNCTION).execute_if(dialect="postgresql"))


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
