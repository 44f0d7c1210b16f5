"""Regions, organisations, users and their roles, API tokens, public keys, login failures."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Enum, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db


def enum_column(enum_cls: type[enum.Enum], name: str) -> Enum:
    """Store the enum's value (readable in SQL), checked by a named constraint."""
    return Enum(enum_cls, name=name, values_callable=lambda e: [m.value for m in e],
                native_enum=False, create_constraint=True, validate_strings=True, length=24)


class RegionLevel(enum.StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class OrgKind(enum.StrEnum):
    PURCHASER = "purchaser"
    DEPARTMENT = "department"
    FINANCE = "finance"
    CENTRAL_AGENCY = "central_agency"
    AGENCY = "agency"
    SUPPLIER = "supplier"
    PLATFORM = "platform"


class Role(enum.StrEnum):
    ADMIN = "admin"                        # platform operator
    SUPERVISOR = "supervisor"              # 采监科 / on-site supervisor
    FINANCE_REVIEWER = "finance_reviewer"  # 归口业务处室
    AGENCY_STAFF = "agency_staff"          # 采购中心 / 代理机构 staff
    PURCHASER = "purchaser"                # 采购单位 staff
    SUPPLIER = "supplier"                  # 供应商 staff
    EXPERT = "expert"                      # 评审专家


# Roles whose accounts must use TOTP: they hold keys, scores or oversight.
TOTP_REQUIRED_ROLES = frozenset({Role.EXPERT, Role.AGENCY_STAFF, Role.SUPERVISOR, Role.ADMIN})


class Region(db.Model):
    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    level: Mapped[RegionLevel] = mapped_column(enum_column(RegionLevel, "region_level"))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))

    parent: Mapped[Region | None] = relationship(remote_side=[code])

    def lineage(self) -> list[Region]:
        """This region and its ancestors, nearest first (county, city, province)."""
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class Org(db.Model):
    __tablename__ = "org"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind, "org_kind"))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    is_sme: Mapped[bool] = mapped_column(default=False)
    # A department (内设部门) belongs to its purchasing unit; NULL for every other organisation.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)

    region: Mapped[Region] = relationship()
    parent: Mapped[Org | None] = relationship(remote_side=[id])


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str | None] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    # The organisation's administrator: manages its people and gives its posts (accounts.orgs, accounts.posts).
    org_admin: Mapped[bool] = mapped_column(default=False)
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted, see accounts.totp
    totp_last_step: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]

    org: Mapped[Org | None] = relationship()
    region: Mapped[Region] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def totp_enabled(self) -> bool:
        return self.totp_secret is not None

    @property
    def totp_required(self) -> bool:
        return bool(self.roles & TOTP_REQUIRED_ROLES)


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), primary_key=True)


class ApiToken(db.Model):
    """A personal token for programs; only its SHA-256 is stored, the secret is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class KeyPurpose(enum.StrEnum):
    SIGN = "sign"        # ECDSA P-256: signs bids and documents
    ENCRYPT = "encrypt"  # ECDH P-256: receives HPKE-wrapped key shares or the bidder's own stanza


class PublicKey(db.Model):
    """A user's registered public key. Revoked, never deleted: old signatures must stay checkable."""

    __tablename__ = "public_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    purpose: Mapped[KeyPurpose] = mapped_column(enum_column(KeyPurpose, "key_purpose"))
    label: Mapped[str] = mapped_column(String(60))
    pem: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the DER SPKI, hex
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class LoginSession(db.Model):
    """A login on the server's side: the session cookie carries a random secret whose SHA-256 is here, so
    logging out (ended_at) voids the cookie even if someone copied it (issue 11)."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class LoginFailure(db.Model):
    """Failed password, login-TOTP and step-up attempts, counted for slow-down (accounts.service)."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (CheckConstraint("kind IN ('password', 'totp', 'step_up')", name="kind_valid"),)




class OrgPost(db.Model):
    """A post (岗位) of one organisation: 经办, 审核, 负责人 or one the organisation adds. Data, per org, so a
    workflow asks who holds a post (accounts.posts.holders) instead of hard-coding people or roles."""

    __tablename__ = "org_post"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    code: Mapped[str] = mapped_column(String(24))  # "clerk", "reviewer", "head", or "custom-<n>"
    name: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]

    holders: Mapped[list[PostHolder]] = relationship(cascade="all, delete-orphan", back_populates="post")

    __table_args__ = (UniqueConstraint("org_id", "code", name="uq_org_post_org_code"),
                      UniqueConstraint("org_id", "name", name="uq_org_post_org_name"))


class PostHolder(db.Model):
    """One person holding one post of their own organisation."""

    __tablename__ = "org_post_holder"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("org_post.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    assigned_at: Mapped[datetime]
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    post: Mapped[OrgPost] = relationship(back_populates="holders")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (UniqueConstraint("post_id", "user_id", name="uq_org_post_holder_post_user"),)
