"""The notice tables: `notice` (one public announcement of any subject), `notice_attachment` and
`notice_token` (the words each notice is found by)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db
from notices.kinds import Kind, of_stored


class KindColumn(TypeDecorator):
    """A kind stored as its code; read back as the registered `Kind` (label, visibility)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else str(value)

    def process_result_value(self, value, dialect):
        return None if value is None else of_stored(value)


class Notice(db.Model):
    """A public notice (公告) about a subject: a procurement process of any package (a tender project, later
    an e-mall purchase or a framework agreement), named by its table and id, never by a foreign key, so the
    kit depends on no package. `lot_id` narrows it to one lot (标项/采购包) of the subject, NULL for the
    whole subject."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(KindColumn(), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    lot_id: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(index=True)
    # what the notice centre filters by, copied from the subject when the notice is published (the subject's
    # registered `notices.subjects` facts): the procurement method's code and the catalogue code (品目)
    method: Mapped[str | None] = mapped_column(String(40))
    catalogue_code: Mapped[str | None] = mapped_column(String(20))
    # the version of the region's rule set the notice was published under (region_rules; NULL: published
    # before the store kept versions)
    rule_version: Mapped[int | None]
    # the `notice.published` audit event: its inclusion proof shows when the text was published and that it
    # is unchanged (NULL for notices published before the kit recorded one)
    audit_seq: Mapped[int | None]
    # a notice withdrawn by a later correction notice (a voided award's result notice): kept, marked, and
    # left off the public lists
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"))

    attachments: Mapped[list[NoticeAttachment]] = relationship(order_by="NoticeAttachment.id",
                                                                cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_notice_subject", "subject_type", "subject_id"),
        # the centre's list of one region's notices, newest first
        Index("ix_notice_region_published", "region_code", "published_at"),
        CheckConstraint("(withdrawn_at IS NULL) = (withdrawn_by_id IS NULL)", name="withdrawn_by_a_notice"),
    )


class NoticeAttachment(db.Model):
    """A file published with a notice (a tender document, a contract text): stored under FILE_STORE by the
    publishing package, its digest in the notice's audit event."""

    __tablename__ = "notice_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(300))  # relative to FILE_STORE
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))


class NoticeToken(db.Model):
    """A word a notice is found by (`core.words`: jieba's search-mode segmentation of its title and body);
    the primary key (token, notice_id) is the index a search walks, newest notice first."""

    __tablename__ = "notice_token"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)
