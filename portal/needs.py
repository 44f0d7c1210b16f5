"""What is waiting for a user ("需要您处理"): every action another person or a deadline waits on.

Feature packages add a source with `needs_source`: a function of the user returning `Need`s (a custodian's
share at an opening, an expert's reply or scores, a signature, an answer to a clarification or challenge,
a winner to confirm…). The dashboard lists them first, nearest deadline first, with the time left; the
reminder sweep (`portal.reminders`) tells each user before each deadline through the platform's channels.
A need's `key` is stable across calls (e.g. "tender.custody:12"), so a reminder is sent once per lead time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext, ngettext

from accounts.models import User
from core import clock


@dataclass
class Need:
    key: str          # stable id of the action: "<package>.<kind>:<object id>"
    action: str       # what to do, in the page's language ("开标时提交密钥份额")
    title: str        # what it is about (the project, the lot, the contract number)
    url: str          # where to do it
    due_at: datetime | None = None  # the deadline (UTC), None when nothing is timed


NeedSource = Callable[[User], list[Need]]
NEED_SOURCES: list[NeedSource] = []


def needs_source(fn: NeedSource) -> NeedSource:
    """Register a source of needs (once per process, at import)."""
    if fn not in NEED_SOURCES:
        NEED_SOURCES.append(fn)
    return fn


def needs_for(user: User) -> list[Need]:
    """Every need of this user, the timed ones first by deadline, each key once."""
    found: dict[str, Need] = {}
    for source in NEED_SOURCES:
        for need in source(user):
            found.setdefault(need.key, need)
    far = clock.now().replace(year=9999)
    return sorted(found.values(), key=lambda n: n.due_at or far)


def time_left(due_at: datetime | None, now: datetime | None = None) -> str:
    """"还剩 2 天 3 小时" / "还剩 45 分钟" / "已过期限": the words a reminder and the dashboard show."""
    if due_at is None:
        return ""
    seconds = int((due_at - (now or clock.now())).total_seconds())
    if seconds <= 0:
        return gettext("已过期限")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = max(1, rest // 60) if not days and not hours else rest // 60
    if days:
        return gettext("还剩 %(d)s 天 %(h)s 小时", d=days, h=hours)
    if hours:
        return gettext("还剩 %(h)s 小时 %(m)s 分钟", h=hours, m=minutes)
    return ngettext("还剩 %(num)s 分钟", "还剩 %(num)s 分钟", minutes)
