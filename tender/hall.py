"""The online opening hall: who may enter, what each viewer sees, check-in, confirmation,
objections and answers. `state_for` is the one place that decides visibility."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import func, select

from accounts.models import User
from audit.service import record
from core import clock, money
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.i18n import N_
from tender import bids as bid_service
from tender.models import Bid, Checkin, Objection, OpeningRecord, Project, ShareSubmission
from tender.opening import window_end
from tender.price_detail import items_for_display, shown_words
from tender.service import (
    get_project,
    is_custodian,
    is_overseer,
    is_project_staff,
    registration_of,
)
from tender.transitions import OpeningMode, ProjectStatus

CHECKIN_BEFORE_MINUTES = 60
STATUS_ZH = {"draft": N_("草稿"), "published": N_("已公告"), "bidding": N_("投标中"), "opening": N_("开标解密中"),
             "opened": N_("开标完成"), "evaluating": N_("评审中"), "closed": N_("已结束（合同已签订）"),
             "failed": N_("废标"), "cancelled": N_("已终止")}
BID_STATUS_ZH = {"submitted": N_("待解密"), "superseded": N_("已被替换"), "withdrawn": N_("已撤回"),
                 "opened": N_("已解密"), "revoked": N_("解密失败（视为撤销）"), "voided": N_("未开启（视为撤回）")}
# Notes other packages add to a bidder's opening-record line, fn(lot_id, org_id) -> a message id to translate,
# or None (deposits: no valid bid deposit where the lot required one). Shown, never a refusal.
RECORD_NOTES: list[Callable[[int, int], str | None]] = []


def bid_next_step(bid: Bid, project: Project) -> str:
    """What happens next to one of the supplier's bids, in words (issue 13 part 10)."""
    status, stage = bid.status.value, project.status
    if status == "superseded":
        return gettext("已被本单位后一次递交替换，不参与开标。")
    if status == "withdrawn":
        return gettext("已撤回，不参与开标；投标截止前仍可重新递交。")
    if status in ("revoked", "voided"):
        return gettext("未能开启，不参与评审。")
    if status == "submitted" and stage in (ProjectStatus.PUBLISHED, ProjectStatus.BIDDING):
        return gettext("%(at)s 投标截止并在网上开标大厅开标；截止前可撤回或重新递交。",
                       at=clock.format_local(project.deadline))
    if status == "submitted" and project.opening_mode == OpeningMode.BIDDER:
        return gettext("开标中：请在 %(at)s 前进入开标大厅解密本单位的投标文件。",
                       at=clock.format_local(window_end(project)))
    if status == "submitted":
        return gettext("开标中：密钥保管人正在提交密钥份额，完成后自动解密。")
    if stage is ProjectStatus.CLOSED:
        return gettext("项目已结束。")
    return gettext("已开标：等待评标委员会评审，结果公告后会通知您（可在公告期内提出质疑）。")


def next_event(project: Project) -> dict | None:
    """The next timed event of a project: what happens and when (UTC ISO), for every screen."""
    status = project.status
    if status == ProjectStatus.PUBLISHED:
        return {"label": N_("开始接受投标"), "at": project.notice_at}
    if status == ProjectStatus.BIDDING:
        return {"label": N_("投标截止并开标"), "at": project.deadline}
    if status == ProjectStatus.OPENING:
        label = N_("投标人解密时限截止") if project.opening_mode == OpeningMode.BIDDER else N_("密钥份额提交时限截止")
        return {"label": label, "at": window_end(project)}
    return None


def can_enter(user: User, project: Project) -> bool:
    if project.status in (ProjectStatus.DRAFT, ProjectStatus.CANCELLED):
        return False
    return (is_project_staff(user, project) or is_overseer(user) or is_custodian(user, project)
            or registration_of(user, project) is not None)


def require_entry(user: User, project: Project) -> None:
    if not can_enter(user, project):
        raise Forbidden("您无权进入本项目的开标大厅。", code="hall_forbidden")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def state_for(user: User, project: Project) -> dict:
    """Everything the hall shows this viewer. Before the deadline nothing about others' bids."""
    staff = is_project_staff(user, project) or is_overseer(user)
    now = clock.now()
    after_deadline = now >= project.deadline and project.status not in (ProjectStatus.PUBLISHED,
                                                                         ProjectStatus.BIDDING)
    event = next_event(project)
    state: dict = {
        "project": {"id": project.id, "code": project.code, "title": project.title, "status": project.status.value,
                    "status_text": gettext(STATUS_ZH[project.status.value]), "deadline": _iso(project.deadline),
                    "opening_mode": project.opening_mode.value, "k": project.k, "n": len(project.custodians)},
        "now": _iso(now),
        "next_event": {"label": gettext(event["label"]), "at": _iso(event["at"]),
                       "at_local": clock.format_local(event["at"], "%Y-%m-%d %H:%M:%S")} if event else None,
        "lots": [{"id": lot.id, "number": lot.number, "name": lot.name, "status": lot.status.value,
                  "policy_hash": lot.policy_hash, "failure_reason": lot.failure_reason} for lot in project.lots],
        "counts": None, "progress": [], "record": [], "objections": [], "checkins": 0,
    }
    checkins = list(db.session.scalars(select(Checkin).where(Checkin.project_id == project.id)))
    state["checkins"] = len(checkins)
    if staff:
        state["checkin_list"] = [{"org": c.org.name, "at": _iso(c.checked_in_at), "confirmed": bool(c.confirmed_at)}
                                 for c in checkins]
    mine = next((c for c in checkins if user.org_id is not None and c.org_id == user.org_id), None)
    state["me"] = {"staff": is_project_staff(user, project), "overseer": is_overseer(user),
                   "custodian": is_custodian(user, project),
                   "supplier": registration_of(user, project) is not None,
                   "checked_in": mine is not None, "confirmed": bool(mine and mine.confirmed_at),
                   "bids": [{"id": b.id, "lot_id": b.lot_id, "lot": b.lot.number, "status": b.status.value,
                             "status_text": gettext(BID_STATUS_ZH[b.status.value]), "sha256": b.sha256,
                             "submitted_at": _iso(b.submitted_at), "outcome": b.outcome_note}
                            for b in bid_service.my_bids(user, project)]}
    if not after_deadline:
        return state
    counts = bid_service.bid_counts(user, project) or {}
    state["counts"] = {str(k): v for k, v in counts.items()}
    shares = dict(db.session.execute(select(ShareSubmission.bid_id, func.count()).join(Bid)
                                     .where(Bid.project_id == project.id).group_by(ShareSubmission.bid_id)).all())
    live = db.session.scalars(select(Bid).where(Bid.project_id == project.id, Bid.status.in_(bid_service.LIVE))
                              .order_by(Bid.lot_id, Bid.id))
    state["progress"] = [{"bid": i, "lot_id": b.lot_id, "status": b.status.value,
                          "status_text": gettext(BID_STATUS_ZH[b.status.value]), "shares": shares.get(b.id, 0),
                          "outcome": b.outcome_note if b.status.value in ("revoked", "voided") else None}
                         for i, b in enumerate(live, start=1)]
    lines = db.session.scalars(select(OpeningRecord).where(OpeningRecord.project_id == project.id)
                               .order_by(OpeningRecord.lot_id, OpeningRecord.id))
    state["record"] = [_record_line(line) for line in lines]
    objections = db.session.scalars(select(Objection).where(Objection.project_id == project.id)
                                    .order_by(Objection.raised_at))
    state["objections"] = [{"id": o.id, "text": o.text, "answer": o.answer, "mine": o.org_id == user.org_id,
                            "org": o.org.name if staff or o.org_id == user.org_id else None,
                            "raised_at": _iso(o.raised_at)} for o in objections]
    return state


def record_notes(line: OpeningRecord) -> list[str]:
    """The notes other packages add to a line of the opening record (untranslated: the record PDF is Chinese)."""
    return [note for fn in RECORD_NOTES if (note := fn(line.lot_id, line.org_id))]


def _record_line(line: OpeningRecord) -> dict:
    """One line of the opening record: the summary as read, with its price breakdown when it has one."""
    detail = line.price_detail or {}
    body = detail.get("body_price_fen")
    flags = [gettext(note) for note in record_notes(line)]
    return {"lot": line.lot.number, "bidder": line.bidder_name, "price_fen": line.price_fen,
            "price": money.format_yuan(line.price_fen) if line.price_fen is not None else "",
            "price_upper": shown_words(line.price_fen, detail),
            "body_price": money.format_yuan(body) if body is not None else "",
            "body_price_upper": detail.get("body_price_words") or detail.get("body_price_words_unreadable") or "",
            "items": items_for_display(detail),
            "delivery": line.delivery, "brand": line.brand, "flags": flags,
            "remarks": "；".join([*([line.remarks] if line.remarks else []), *(f"【{f}】" for f in flags)])}


# ---------------------------------------------------------------- actions in the hall

def checkin(user: User, project_id: int) -> Checkin:
    project = get_project(project_id)
    if registration_of(user, project) is None:
        raise Forbidden("只有报名本项目的供应商可以签到。", code="not_registered")
    if project.status not in (ProjectStatus.BIDDING, ProjectStatus.OPENING, ProjectStatus.OPENED):
        raise Conflict("当前不能签到。", code="checkin_closed")
    if (project.deadline - clock.now()).total_seconds() > CHECKIN_BEFORE_MINUTES * 60:
        raise Conflict(f"开标前 {CHECKIN_BEFORE_MINUTES} 分钟开始签到。", code="checkin_not_open")
    row = db.session.scalar(select(Checkin).where(Checkin.project_id == project.id,
                                                  Checkin.org_id == user.org_id))
    if row is None:
        row = Checkin(project_id=project.id, org_id=user.org_id, user_id=user.id, checked_in_at=clock.now())
        db.session.add(row)
        db.session.flush()
        record("tender.checked_in", row, {"project": project.code, "org": user.org_id})
    return row


def confirm_record(user: User, project_id: int) -> Checkin:
    project = get_project(project_id)
    if project.status not in (ProjectStatus.OPENED, ProjectStatus.EVALUATING, ProjectStatus.CLOSED):
        raise Conflict("开标记录尚未完成，暂不能确认。", code="record_not_ready")
    row = checkin(user, project_id)
    if row.confirmed_at is None:
        row.confirmed_at = clock.now()
        record("tender.record_confirmed", row, {"project": project.code, "org": user.org_id})
    return row


def raise_objection(user: User, project_id: int, text: str) -> Objection:
    project = get_project(project_id)
    if registration_of(user, project) is None:
        raise Forbidden("只有报名本项目的供应商可以提出异议。", code="not_registered")
    if project.status not in (ProjectStatus.OPENING, ProjectStatus.OPENED):
        raise Conflict("只能在开标过程中或开标记录公布后提出现场异议。", code="objection_closed")
    text = (text or "").strip()
    if not text or len(text) > 2000:
        raise ValidationError("请填写异议内容（不超过 2000 字）。", code="objection_invalid")
    row = Objection(project_id=project.id, org_id=user.org_id, user_id=user.id, text=text, raised_at=clock.now())
    db.session.add(row)
    db.session.flush()
    record("tender.objection_raised", row, {"project": project.code, "org": user.org_id})
    return row


def answer_objection(user: User, objection_id: int, answer: str) -> Objection:
    row = db.session.get(Objection, objection_id)
    if row is None:
        raise NotFound("异议不存在。", code="objection_not_found")
    project = get_project(row.project_id)
    if not is_project_staff(user, project):
        raise Forbidden("只有本项目代理机构的经办人可以答复异议。", code="not_project_staff")
    if row.answer is not None:
        raise Conflict("此异议已答复。", code="already_answered")
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError("请填写答复内容。", code="answer_invalid")
    row.answer, row.answered_by_id, row.answered_at = answer, user.id, clock.now()
    record("tender.objection_answered", row, {"project": project.code})
    return row
