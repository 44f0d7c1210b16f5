"""What every way into an account shares: the username and phone rules, and the single-use links that let
someone already on file (an imported expert, an imported supplier) make their own account.

A link's token travels only in the message sent to the phone or mailbox on file; the database keeps its
SHA-256, so a copy of the database lets nobody in. Each library keeps its own link table (the link names
its expert or its supplier) and asks here whether a link it found may still be used.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from typing import Protocol

from core import clock
from core.errors import Conflict, NotFound, ValidationError

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_.-")


def is_valid_phone(phone: str | None) -> bool:
    """A mainland mobile number or a landline with its area code."""
    return bool(PHONE_RE.match((phone or "").strip()))


def check_username(username: str | None) -> str:
    """The username as stored (trimmed, lower case), or a refusal naming the field."""
    name = (username or "").strip().lower()
    if not 3 <= len(name) <= 32 or not set(name) <= USERNAME_CHARS or not name[0].isalnum():
        raise ValidationError("用户名为 3–32 位小写字母、数字或 _ . -，以字母或数字开头。", code="username_invalid",
                              details={"field": "username"})
    return name


def check_passwords(password: str, repeated: str) -> None:
    """The two entries agree (the length rule is `accounts.service.hash_password`'s)."""
    if password != repeated:
        raise ValidationError("两次输入的密码不一致。", code="password_mismatch", details={"field": "password2"})


def new_link_token() -> tuple[str, str]:
    """A fresh token for a link and the digest to store in its place."""
    token = secrets.token_urlsafe(24)
    return token, link_digest(token)


def link_digest(token: str | None) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


class Link(Protocol):
    used_at: datetime | None
    expires_at: datetime


def check_link(found: Link | None, who_renews: str) -> Link:
    """The link if it may still be used, else the refusal a visitor understands; `who_renews` names the
    office that sends a new one (财政部门或代理机构, 集中采购机构)."""
    if found is None:
        raise NotFound(f"激活链接无效。请向{who_renews}索取新的激活链接。", code="activation_invalid")
    if found.used_at is not None:
        raise Conflict("该激活链接已使用过。请直接登录。", code="activation_used")
    if found.expires_at <= clock.now():
        raise Conflict(f"该激活链接已过期。请向{who_renews}索取新的激活链接。", code="activation_expired")
    return found
