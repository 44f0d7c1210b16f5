"""The store's tables: a change (region, effective time, who, why) and the values it sets.

Rows are only ever added: a value in force yesterday stays readable, so the rule set a process
ran under can be shown again from its version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db


class RuleChange(db.Model):
    """One change of a region's rules (NULL region = the national level), in force from `effective_at`."""

    __tablename__ = "rule_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # NULL: the platform
    reason: Mapped[str] = mapped_column(String(300), default="")

    values: Mapped[list[RuleSetting]] = relationship(back_populates="change", order_by="RuleSetting.key",
                                                     cascade="all, delete-orphan")


class RuleSetting(db.Model):
    """One key's value set by a change."""

    __tablename__ = "rule_setting"

    change_id: Mapped[int] = mapped_column(ForeignKey("rule_change.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(200), default="")

    change: Mapped[RuleChange] = relationship(back_populates="values")
