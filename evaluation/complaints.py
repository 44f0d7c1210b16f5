"""Complaints to finance (投诉; 政府采购法 Art 55, 政府采购质疑和投诉办法 财政部令第94号).

A supplier that challenged, unsatisfied with the answer or left without one, complains to the finance
department of the project's region within 15 working days after the answer period (`complaint_due`),
naming its challenge, stating facts and requests, with evidence files. Finance — supervisors whose region
oversees the project's (`is_finance`) — accepts or refuses it within 5 working days, may suspend the
procurement (at most 30 days: the award cannot go on to the contract, `award_blocked`), and decides
within 30 working days of receipt: dismissed, or upheld with a remedy (`challenges.apply_remedy`).
Finance is reminded as its deadlines near and warned once they pass (`sweep_complaint_deadlines`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select

from accounts.models import Role, User
from accounts.service import oversees, regions_under
from audit.service import payloads_of, record
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.i18n import N_
from evaluation import challenges, deadlines, evidence, service
from evaluation.models import Award, Challenge, Complaint
from evaluation.periods import (
    award_blocked,  # noqa: F401  (the complaint's hold on the award, read here too)
    periods_for,
    region_of_award,
)
from evaluation.periods import due as period_due
from evaluation.transitions import ComplaintStatus, move

K = ComplaintStatus
MAX_TEXT = 10000
REFUSALS = {
    "out_of_time": N_("超过法定投诉期限"),
    "no_prior_challenge": N_("投诉事项未经质疑"),
    "not_a_party": N_("投诉人不是参与所投诉采购活动的供应商"),
    "incomplete": N_("投诉书内容不符合规定"),
    "other": N_("其他不予受理情形"),
}
STATUS_ZH = {"filed": N_("待受理"), "accepted": N_("已受理，处理中"), "refused": N_("不予受理"),
             "dismissed": N_("投诉驳回"), "upheld": N_("投诉成立")}


def _today() -> date:
    return clock.to_local(clock.now()).date()


def complaint_due(challenge: Challenge) -> date | None:
    """The last day to complain about this challenge (a local date): 15 working days after the answer
    period, or after a late answer; None while the answer period runs and no answer has come."""
    start = clock.to_local(challenge.answer_due_at).date()
    if challenge.answered_at is not None:
        start = max(start, clock.to_local(challenge.answered_at).date())
    elif clock.now() <= challenge.answer_due_at:
        return None
    return period_due(deadlines.Step.COMPLAINT, start, region_of_award(db.session.get(Award, challenge.award_id)))


def complaint_of(challenge: Challenge) -> Complaint | None:
    return db.session.scalar(select(Complaint).where(Complaint.challenge_id == challenge.id))


def file_complaint(user: User, challenge_id: int, facts: str, requests: str,
                   files: Sequence[evidence.Incoming] = ()) -> Complaint:
    """The challenger complains to the finance department of the project's region, within the period."""
    from tender.models import Lot, Project

    challenge = db.session.scalar(select(Challenge).where(Challenge.id == challenge_id).with_for_update())
    if challenge is None:
        raise NotFound("质疑不存在。", code="challenge_not_found")
    if not (user.has_role(Role.SUPPLIER) and user.org_id == challenge.org_id):
        raise Forbidden("只有提出质疑的供应商可以就该质疑投诉。", code="not_the_challenger")
    due = complaint_due(challenge)
    if due is None:
        raise Conflict("质疑答复期限届满前且尚未收到答复的，暂不能投诉。", code="complaint_too_early")
    if _today() > due:
        raise Conflict(f"投诉期限（{due.isoformat()}）已过。", code="complaint_period_over")
    if complaint_of(challenge) is not None:
        raise Conflict("已就此质疑提起过投诉。", code="complaint_exists")
    facts, requests = (facts or "").strip(), (requests or "").strip()
    if not facts or not requests or len(facts) > MAX_TEXT or len(requests) > MAX_TEXT:
        raise ValidationError("请写明投诉事项的事实依据和具体请求（各不超过 10000 字）。", code="complaint_invalid")
    project = db.session.scalar(select(Project).join(Lot, Lot.project_id == Project.id)
                                .join(Award, Award.lot_id == Lot.id).where(Award.id == challenge.award_id))
    today = _today()
    accept_due = period_due(deadlines.Step.COMPLAINT_ACCEPT, today, project.region_code)
    decide_due = period_due(deadlines.Step.COMPLAINT_DECISION, today, project.region_code)
    with evidence.received(files) as uploads:
        row = Complaint(challenge_id=challenge.id, award_id=challenge.award_id, region_code=project.region_code,
                        org_id=user.org_id, user_id=user.id, facts=facts, requests=requests, status=K.FILED,
                        filed_at=clock.now(), accept_due_at=clock.end_of_local_day(accept_due),
                        decide_due_at=clock.end_of_local_day(decide_due))
        db.session.add(row)
        db.session.flush()
        record("evaluation.complaint_filed", row, {
            "challenge": challenge.id, "award": challenge.award_id, "org": user.org_id,
            "region": project.region_code, "facts_sha256": hashlib.sha256(facts.encode()).hexdigest(),
            "requests_sha256": hashlib.sha256(requests.encode()).hexdigest(), "files": evidence.listing(uploads),
            "accept_due": accept_due.isoformat(), "decide_due": decide_due.isoformat()})
        evidence.keep(uploads, row, project.id, user)
    return row


# ---------------------------------------------------------------- finance

def is_finance(user: User, complaint: Complaint) -> bool:
    """A supervisor whose region oversees the project's region handles its complaints."""
    return bool(user and user.is_authenticated and user.has_role(Role.SUPERVISOR)
                and oversees(user, complaint.region_code))


def _for_finance(user: User, complaint_id: int) -> Complaint:
    row = db.session.scalar(select(Complaint).where(Complaint.id == complaint_id).with_for_update())
    if row is None or not (is_finance(user, row) or can_view(user, row)):
        raise NotFound("投诉不存在。", code="complaint_not_found")
    if not is_finance(user, row):
        raise Forbidden("只有项目所在地区的财政部门可以处理投诉。", code="not_finance")
    return row


def _suspend(row: Complaint) -> None:
    periods = periods_for(row.region_code)
    row.suspended_until = clock.now() + timedelta(days=periods.complaint_suspension_days)


def accept_complaint(user: User, complaint_id: int, *, suspend: bool = False) -> Complaint:
    """Finance accepts the complaint, suspending the procurement while handling it if it chooses."""
    row = _for_finance(user, complaint_id)
    move(row, K.ACCEPTED)
    row.accepted_at, row.handled_by_id = clock.now(), user.id
    if suspend:
        _suspend(row)
    record("evaluation.complaint_accepted", row, {
        "award": row.award_id, "late": clock.now() > row.accept_due_at,
        "suspended_until": row.suspended_until.isoformat() if row.suspended_until else None})
    return row


def suspend_procurement(user: User, complaint_id: int) -> Complaint:
    """Finance suspends the procurement while it handles an accepted complaint (once, at most 30 days)."""
    row = _for_finance(user, complaint_id)
    if row.status is not K.ACCEPTED:
        raise Conflict("只能在受理后、作出处理决定前暂停采购活动。", code="complaint_not_accepted")
    if row.suspended_until is not None:
        raise Conflict("已暂停过采购活动（最长 30 日）。", code="already_suspended")
    _suspend(row)
    record("evaluation.procurement_suspended", row, {"award": row.award_id,
                                                     "until": row.suspended_until.isoformat()})
    return row


def refuse_complaint(user: User, complaint_id: int, reason_code: str, note: str = "") -> Complaint:
    """Finance refuses to accept the complaint, with the reason (out of time, no prior challenge…)."""
    row = _for_finance(user, complaint_id)
    if reason_code not in REFUSALS:
        raise ValidationError("请选择不予受理的理由。", code="refusal_reason_required")
    note = (note or "").strip()[:2000]
    if reason_code == "other" and not note:
        raise ValidationError("请写明不予受理的理由。", code="refusal_reason_required")
    move(row, K.REFUSED)
    row.refusal_code, row.decision = reason_code, REFUSALS[reason_code] + (f"：{note}" if note else "。")
    row.handled_by_id, row.decided_at = user.id, clock.now()
    record("evaluation.complaint_refused", row, {"award": row.award_id, "reason": reason_code,
                                                 "late": clock.now() > row.accept_due_at})
    return row


def decide_complaint(user: User, complaint_id: int, decision: str, *, upheld: bool,
                     remedy: str | None = None) -> Complaint:
    """Finance decides an accepted complaint: dismissed, or upheld with a remedy (void / re-evaluate)."""
    row = _for_finance(user, complaint_id)
    decision = (decision or "").strip()
    if not decision or len(decision) > MAX_TEXT:
        raise ValidationError("请写明处理决定的事实和理由（不超过 10000 字）。", code="decision_invalid")
    if upheld and remedy not in challenges.REMEDIES:
        raise ValidationError("投诉成立时须选择处理方式：作废中标结果或重新评审。", code="remedy_required")
    move(row, K.UPHELD if upheld else K.DISMISSED)
    row.decision, row.remedy = decision, remedy if upheld else None
    row.handled_by_id, row.decided_at = user.id, clock.now()
    if upheld:
        award, committee = service.get_award(row.award_id)
        challenges.apply_remedy(award, committee, remedy, f"投诉成立（投诉编号 {row.id}）")
    record("evaluation.complaint_decided", row, {
        "award": row.award_id, "upheld": upheld, "remedy": row.remedy,
        "decision_sha256": hashlib.sha256(decision.encode()).hexdigest(), "late": clock.now() > row.decide_due_at})
    return row


# ---------------------------------------------------------------- who sees what

def can_view(user: User, complaint: Complaint) -> bool:
    """The complainant's organisation, the project's agency and purchaser, and finance."""
    if user is None or not user.is_authenticated:
        return False
    if is_finance(user, complaint) or (user.has_role(Role.SUPPLIER) and user.org_id == complaint.org_id):
        return True
    committee = service.committee_for_lot(db.session.get(Award, complaint.award_id).lot_id)
    return service.is_agency(user, committee) or service.is_purchaser(user, committee) \
        or service.is_supervisor(user, committee)


def get_complaint(user: User, complaint_id: int) -> Complaint:
    row = db.session.get(Complaint, complaint_id)
    if row is None or not can_view(user, row):
        raise NotFound("投诉不存在。", code="complaint_not_found")
    return row


def complaints_of(award: Award) -> list[Complaint]:
    return list(db.session.scalars(select(Complaint).where(Complaint.award_id == award.id).order_by(Complaint.id)))


def complaints_for_finance(user: User, *, open_only: bool = False) -> list[Complaint]:
    """The complaints of the regions this supervisor oversees, newest first."""
    if user is None or not user.is_authenticated or not user.has_role(Role.SUPERVISOR):
        return []
    stmt = select(Complaint).where(Complaint.region_code.in_(regions_under(user.region_code)))
    if open_only:
        stmt = stmt.where(Complaint.status.in_([K.FILED, K.ACCEPTED]))
    return list(db.session.scalars(stmt.order_by(Complaint.id.desc())))


def next_due(complaint: Complaint):
    """The deadline finance works to now (acceptance, then decision), or None once settled."""
    if complaint.status is K.FILED:
        return complaint.accept_due_at
    if complaint.status is K.ACCEPTED:
        return complaint.decide_due_at
    return None


def deadline_state(complaint: Complaint) -> str:
    due = next_due(complaint)
    if due is None:
        return "done"
    return deadlines.deadline_state(clock.to_local(due).date(), _today()).value


def sweep_complaint_deadlines() -> dict[str, list[int]]:
    """Every open complaint's reminder or warning in the caller's transaction; the chronograph runs
    `remind_complaint_due` one complaint per transaction (evaluation/timed.py)."""
    from core.chronograph import due_objects, step

    out: dict[str, list[int]] = {"remind": [], "overdue": []}
    for row in due_objects(step("evaluation.remind_complaint_due")):
        state = remind_complaint_due(row)
        if state:
            out[state].append(row.id)
    return out


def remind_complaint_due(row: Complaint) -> str | None:
    """An open complaint whose acceptance or decision is due soon gets a reminder to finance (once a day);
    an overdue one a warning (once per step). Idempotent: what was sent is looked up in the audit log.
    Returns "remind" or "overdue" when one is due now."""
    today = _today().isoformat()
    state = deadline_state(row)
    if state == "open":
        return None
    step = "accept" if row.status is K.FILED else "decide"
    action = "evaluation.complaint_overdue" if state == "overdue" else "evaluation.complaint_reminded"
    sent = payloads_of(action, row)
    if any(p.get("step") == step and (state == "overdue" or p.get("day") == today) for p in sent):
        return None
    record(action, row, {"day": today, "step": step, "due": next_due(row).isoformat()},
           actor="system:evaluation-sweep")
    return "overdue" if state == "overdue" else "remind"
