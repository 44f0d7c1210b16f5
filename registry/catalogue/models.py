"""Catalogue tables: each imported file is a version; its items; the regions' centrally purchased leaves.

Codes are stored in their prefix form, the shape of the official file: a letter (A goods, B works,
C services) and two digits per level — A02, A0201, A020101, A02010104 (and a fifth level of eleven
characters where the file has one). The parent of a code is the code less its last two digits; a
level-one code (A02) hangs under its letter. The padded nine-character form (A02010000) that some
systems print is accepted on import and turned into the prefix form (`codes.normalise`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db


class CatalogueVersion(db.Model):
    """One imported catalogue file. Exactly one version is active at a time (the one new products use);
    older versions stay so that a product accepted under them keeps its code's name and meaning."""

    __tablename__ = "registry_catalogue_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(60))  # "2022 年版（财库〔2022〕31号）"
    source_name: Mapped[str] = mapped_column(String(255))  # the file's name
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int]
    leaves: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=False, index=True)
    imported_at: Mapped[datetime]
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    activated_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint("rows > 0 AND leaves > 0", name="not_empty"),)


class CatalogueItem(db.Model):
    """A node of one version's tree (品目)."""

    __tablename__ = "registry_catalogue_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("registry_catalogue_version.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    parent_code: Mapped[str | None] = mapped_column(String(16))  # None: a level-one code (under its letter)
    level: Mapped[int]
    is_leaf: Mapped[bool]
    note: Mapped[str] = mapped_column(Text, default="")  # the file's 说明 column

    version: Mapped[CatalogueVersion] = relationship()

    __table_args__ = (
        UniqueConstraint("version_id", "code", name="uq_registry_catalogue_item_version_code"),
        Index("ix_registry_catalogue_item_version_parent", "version_id", "parent_code"),
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
    )

    @property
    def category(self) -> str:
        """A goods, B works, C services."""
        return self.code[0]


class CentralPurchase(db.Model):
    """A leaf a region buys centrally (集中采购目录), marked by its finance bureau for one catalogue version."""

    __tablename__ = "registry_catalogue_central"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    version_id: Mapped[int] = mapped_column(ForeignKey("registry_catalogue_version.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    marked_at: Mapped[datetime]
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (
        UniqueConstraint("region_code", "version_id", "code", name="uq_registry_catalogue_central_region_code"),
    )
