"""Finance suspends a procurement process and resumes it (网上监管: 责令暂停采购活动), for any kind of process.

A package registers what may be suspended (`register_kind(SuspendableKind(...))`: the tender project today,
in `tender/panels.py`; the e-mall's orders or a plan later) and reads the hold where its next step is taken:
`hold_reason(kind, id)` is the sentence a refused step shows. A tender project's hold is read by
`evaluation.periods.award_blocked`, the same check a complaint's suspension goes through, so a suspended
process cannot go on to its contract (no draft, no signature, no one told to sign) whichever way it was
suspended. A suspension publishes the process's 中止公告 and is audited with its reason
(`portal.process_suspended`); resuming moves it through its lifecycle (`models.SUSPENSION`, audited with the
reason as `portal.suspension_status`). Writes flush and never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from accounts.models import Role, User
from accounts.service import oversees
from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.transitions import move
from portal.models import Suspension, SuspensionStatus

REASON_MAX = 500


@dataclass(frozen=True)
class SuspendableKind:
    """What the supervision page needs to suspend one kind of process."""

    name: str  # "tender_project"
    label: str  # N_("采购项目")
    load: Callable[[int], Any]  # the subject (a row with `region_code`), or None
    title: Callable[[Any], str]
    url: Callable[[Any], str]
    refusal: Callable[[Any], str | None] = lambda subject: None  # why it cannot be suspended now (finished…)


KINDS: dict[str, SuspendableKind] = {}


def register_kind(kind: SuspendableKind) -> SuspendableKind:
    KINDS[kind.name] = kind
    return kind


def in_force(kind: str, subject_id: int) -> Suspension | None:
    return db.session.scalar(select(Suspension).where(
        Suspension.subject_kind == kind, Suspension.subject_id == subject_id,
        Suspension.status == SuspensionStatus.IN_FORCE))


def hold_reason(kind: str, subject_id: int) -> str | None:
    """Why the process may not take its next step now (suspended by finance), or None."""
    row = in_force(kind, subject_id)
    if row is None:
        return None
    return (f"财政部门于 {clock.format_local(row.suspended_at)} 暂停了该采购活动（理由：{row.reason}），"
            "恢复前不得继续。")


def may_suspend(user: User, region_code: str) -> bool:
    """A supervisor whose region oversees the process's region (the same test as a complaint's finance)."""
    return bool(user and user.is_authenticated and user.has_role(Role.SUPERVISOR) and oversees(user, region_code))


def _kind(name: str) -> SuspendableKind:
    if name not in KINDS:
        raise NotFound("该类采购活动不能暂停。", code="suspension_kind_unknown")
    return KINDS[name]


def _reason(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError("请写明理由：它会记入审计日志并随公告公开。", code="reason_required")
    return text[:REASON_MAX]


def suspend_process(user: User, kind_name: str, subject_id: int, reason: str) -> Suspension:
    """Suspend the process with a reason: the 中止公告 is published and the hold is audited."""
    from notices import kinds as notice_kinds
    from notices.service import publish_notice

    kind = _kind(kind_name)
    subject = kind.load(subject_id)
    if subject is None:
        raise NotFound("采购活动不存在。", code="subject_not_found")
    if not may_suspend(user, subject.region_code):
        raise Forbidden("只有项目所在地区的财政部门可以暂停采购活动。", code="not_finance")
    text = _reason(reason)
    if in_force(kind_name, subject_id) is not None:
        raise Conflict("该采购活动已暂停。", code="already_suspended")
    if (refused := kind.refusal(subject)) is not None:
        raise Conflict(refused, code="not_suspendable")
    now = clock.now()
    row = Suspension(subject_kind=kind_name, subject_id=subject_id, region_code=subject.region_code,
                     reason=text, suspended_by_id=user.id, suspended_at=now)
    db.session.add(row)
    db.session.flush()
    title = f"{kind.title(subject)}中止公告"
    body = (f"根据财政部门的监督检查，{kind.title(subject)}自 {clock.format_local(now)} 起暂停采购活动。\n"
            f"暂停理由：{text}")
    notice = publish_notice(subject, notice_kinds.SUSPENSION, title, body)
    row.notice_id = notice.id
    record("portal.process_suspended", row, {"kind": kind_name, "subject": subject_id, "reason": text,
                                             "notice": notice.id, "region": subject.region_code})
    return row


def resume_process(user: User, suspension_id: int, reason: str) -> Suspension:
    """Lift a suspension with a reason (audited by the lifecycle's move, the reason in its payload)."""
    row = db.session.scalar(select(Suspension).where(Suspension.id == suspension_id).with_for_update())
    if row is None:
        raise NotFound("暂停记录不存在。", code="suspension_not_found")
    if not may_suspend(user, row.region_code):
        raise Forbidden("只有项目所在地区的财政部门可以恢复采购活动。", code="not_finance")
    text = _reason(reason)
    move(row, SuspensionStatus.LIFTED, payload={"reason": text, "kind": row.subject_kind, "subject": row.subject_id})
    row.lift_reason, row.lifted_by_id, row.lifted_at = text, user.id, clock.now()
    return row


def suspensions_for(user: User, *, in_force_only: bool = True, limit: int = 200) -> list[Suspension]:
    from accounts.service import regions_under

    query = select(Suspension).where(Suspension.region_code.in_(regions_under(user.region_code)))
    if in_force_only:
        query = query.where(Suspension.status == SuspensionStatus.IN_FORCE)
    return list(db.session.scalars(query.order_by(Suspension.suspended_at.desc()).limit(limit)))


def describe(row: Suspension) -> dict:
    """A suspension as the page and the API show it."""
    kind = KINDS.get(row.subject_kind)
    subject = kind.load(row.subject_id) if kind else None
    return {"id": row.id, "kind": row.subject_kind, "kind_label": str(kind.label) if kind else row.subject_kind,
            "subject_id": row.subject_id, "title": kind.title(subject) if subject is not None else "",
            "url": kind.url(subject) if subject is not None else None, "status": row.status.value,
            "reason": row.reason, "suspended_at": row.suspended_at, "notice_id": row.notice_id,
            "lift_reason": row.lift_reason, "lifted_at": row.lifted_at}
