"""Collusion signal tables: one run per opened lot, and the flags it raised (each with its evidence).

A flag is a warning for the evaluation committee and the supervisor, never a decision: nothing here
excludes a bid. The evidence is JSON as computed (what matched, the values, the scores, the thresholds
of the region's rules in force) so a flag can be explained years later with the rules of its day.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db


class CollusionRun(db.Model):
    """The signals of one opened lot were computed (once; a recomputation replaces its flags)."""

    __tablename__ = "collusion_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lot.id", ondelete="CASCADE"), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("tender_project.id", ondelete="CASCADE"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    computed_at: Mapped[datetime]
    rules_version: Mapped[int]
    bids: Mapped[int]  # opened bids compared
    millis: Mapped[int]  # how long the computation took
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)  # what could not be read (a PDF's text…)

    flags: Mapped[list[CollusionFlag]] = relationship(back_populates="run", order_by="CollusionFlag.id",
                                                      cascade="all, delete-orphan")


class CollusionFlag(db.Model):
    """One signal between bidders of a lot (or about one bidder across tenders), with its evidence."""

    __tablename__ = "collusion_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("collusion_run.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lot.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("tender_project.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    kind: Mapped[str] = mapped_column(String(40))  # registry.collusion.signals.KINDS
    strength: Mapped[str] = mapped_column(String(8))  # "strong" | "weak"
    org_ids: Mapped[list[int]] = mapped_column(JSON)  # the bidders it concerns
    bid_ids: Mapped[list[int]] = mapped_column(JSON)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime]

    run: Mapped[CollusionRun] = relationship(back_populates="flags")

    __table_args__ = (Index("ix_collusion_flag_region_kind", "region_code", "kind"),)


class IdentityKey(db.Model):
    """One normalised value a supplier holds (a phone, its representative, address or bank account): the
    identity graph's index, so a group is found by indexed lookups whatever the size of the library.
    Rebuilt per organisation from the accounts and the supplier profiles (`identity.refresh`)."""

    __tablename__ = "collusion_identity_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_collusion_identity_key_kind_value", "kind", "value"),)


class IdentityStamp(db.Model):
    """When an organisation's identity keys were last rebuilt (the sweep rebuilds them daily)."""

    __tablename__ = "collusion_identity_stamp"

    org_id: Mapped[int] = mapped_column(ForeignKey("org.id", ondelete="CASCADE"), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(index=True)
