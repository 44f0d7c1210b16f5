"""Challenges (质疑) to a published result, and the remedies of an upheld challenge or complaint.

A bidder of the lot files within the challenge period (working days after the result notice), with its
evidence files (`evaluation.evidence`); the agency answers within its period. Upheld, the award is void,
or the committee goes back to its summary to re-evaluate (`apply_remedy`: the one way either remedy
takes effect, also for a complaint upheld by finance, see `evaluation.complaints`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, select

from accounts.models import Role, User
from audit.service import record
from core import clock
from core.after_commit import after_commit
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.i18n import N_
from evaluation import deadlines, evidence, service
from evaluation.models import Award, Challenge, Committee, StageDone
from evaluation.periods import challenge_due
from evaluation.periods import due as period_due
from evaluation.transitions import AwardStatus, CommitteeStatus, ReportStatus, move

REMEDIES = {"void_award": N_("作废中标（成交）结果"), "reevaluate": N_("原评审委员会重新评审")}
MAX_TEXT = 10000


def _today() -> date:
    return clock.to_local(clock.now()).date()


def is_bidder(user: User, committee: Committee) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.SUPPLIER) and user.org_id is not None
                and user.org_id in {b.org_id for b, _ in service.opened_bids(committee)})


def file_challenge(user: User, award_id: int, text: str, files: Sequence[evidence.Incoming] = ()) -> Challenge:
    """A bidder of the lot challenges the published result within the period (working days), with its
    evidence files. Every check comes before any file is kept."""
    award, committee = service.get_award(award_id)
    if not is_bidder(user, committee):
        raise Forbidden("只有本标项的投标人可以提出质疑。", code="not_a_bidder")
    if award.status not in (AwardStatus.NOTIFIED, AwardStatus.CONTRACTED):
        raise Conflict("结果公告发布后才能对结果提出质疑。", code="challenge_not_open")
    due, today = challenge_due(award), _today()
    if today > due:
        raise Conflict(f"质疑期限（{due.isoformat()}）已过。", code="challenge_period_over")
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise ValidationError("请写明质疑事项、理由和请求（不超过 10000 字）。", code="challenge_invalid")
    answer_due = period_due(deadlines.Step.CHALLENGE_ANSWER, today, service.project_of(committee).region_code)
    with evidence.received(files) as uploads:
        row = Challenge(award_id=award.id, org_id=user.org_id, user_id=user.id, text=text,
                        filed_at=clock.now(), answer_due_at=clock.end_of_local_day(answer_due))
        db.session.add(row)
        db.session.flush()
        record("evaluation.challenge_filed", row, {"award": award.id, "org": user.org_id,
                                                   "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
                                                   "files": evidence.listing(uploads),
                                                   "answer_due": answer_due.isoformat()})
        evidence.keep(uploads, row, committee.project_id, user)
    _declare_message(*filed_message(row))
    return row


def filed_message(row: Challenge) -> tuple[dict, list[int]]:
    """The message telling the agency and the purchaser that a challenge awaits their answer."""
    committee = service.committee_for_lot(db.session.get(Award, row.award_id).lot_id)
    project = service.project_of(committee)
    return ({"title": "收到质疑", "body": f"{project.title}：请在答复期限内答复质疑。", "level": "warning",
             "url": f"/evaluation/{committee.id}"}, [project.agency_org_id, project.purchaser_org_id])


def _declare_message(message: dict, org_ids: list[int]) -> None:
    from core.tasks import send_message

    after_commit(send_message.delay, message, org_ids=org_ids)


def apply_remedy(award: Award, committee: Committee, remedy: str, reason: str) -> None:
    """An upheld challenge or complaint: the award is void; for a re-evaluation (87号令 Art 64 (2)) the
    committee also goes back to its summary, its report superseded, to sign a new one."""
    if remedy not in REMEDIES:
        raise ValidationError("成立时须选择处理方式：作废中标结果或重新评审。", code="remedy_required")
    if award.status is AwardStatus.CONTRACTED:
        raise Conflict("合同已经签订，不能再作废中标结果，请依法另行处理。", code="award_contracted")
    if award.status is AwardStatus.VOIDED:
        raise Conflict("中标结果已经作废。", code="award_already_voided")
    service.settle_void(award, reason, remedy=remedy)
    if remedy == "reevaluate":
        report = service.current_report(committee)
        if report is not None:
            move(report, ReportStatus.SUPERSEDED)
        db.session.execute(delete(StageDone).where(StageDone.committee_id == committee.id,
                                                   StageDone.stage == "signing"))
        committee.summary_locked_at = None
        committee.completed_at = None
        move(committee, CommitteeStatus.SUMMARY)


def answer_challenge(user: User, challenge_id: int, answer: str, *, upheld: bool,
                     remedy: str | None = None) -> Challenge:
    """The agency answers; an upheld challenge takes effect through `apply_remedy`."""
    row = db.session.scalar(select(Challenge).where(Challenge.id == challenge_id).with_for_update())
    if row is None:
        raise NotFound("质疑不存在。", code="challenge_not_found")
    award, committee = service.get_award(row.award_id)
    service.require_agency(user, committee)
    if row.answered_at is not None:
        raise Conflict("此质疑已答复。", code="already_answered")
    answer = (answer or "").strip()
    if not answer or len(answer) > MAX_TEXT:
        raise ValidationError("请填写答复内容（不超过 10000 字）。", code="answer_invalid")
    if upheld and remedy not in REMEDIES:
        raise ValidationError("质疑成立时须选择处理方式：作废中标结果或重新评审。", code="remedy_required")
    row.answer, row.upheld, row.remedy = answer, upheld, remedy if upheld else None
    row.answered_by_id, row.answered_at = user.id, clock.now()
    if upheld:
        apply_remedy(award, committee, remedy, f"质疑成立（质疑编号 {row.id}）")
    record("evaluation.challenge_answered", row, {"award": award.id, "upheld": upheld, "remedy": row.remedy,
                                                  "answer_sha256": hashlib.sha256(answer.encode()).hexdigest(),
                                                  "late": clock.now() > row.answer_due_at})
    _declare_message(*answered_message(row))
    return row


def answered_message(row: Challenge) -> tuple[dict, list[int]]:
    """The message telling the challenger that the agency has answered."""
    return ({"title": "质疑已答复", "body": "代理机构已答复您的质疑；对答复不满意的，可以在期限内向财政部门投诉。",
             "level": "info", "url": f"/evaluation/awards/{row.award_id}/challenges"}, [row.org_id])


def challenges_of(award: Award, org_id: int | None = None) -> list[Challenge]:
    """The award's challenges (of one bidder's organisation, when given), oldest first."""
    stmt = select(Challenge).where(Challenge.award_id == award.id).order_by(Challenge.id)
    if org_id is not None:
        stmt = stmt.where(Challenge.org_id == org_id)
    return list(db.session.scalars(stmt))


def get_challenge(challenge_id: int) -> Challenge:
    row = db.session.get(Challenge, challenge_id)
    if row is None:
        raise NotFound("质疑不存在。", code="challenge_not_found")
    return row


def awards_of_bidder(user: User) -> list[tuple[Award, Committee]]:
    """Published results of lots this supplier bid on (newest first)."""
    from tender.models import Bid

    if user is None or user.org_id is None or not user.has_role(Role.SUPPLIER):
        return []
    lots = select(Bid.lot_id).where(Bid.org_id == user.org_id)
    rows = db.session.scalars(select(Award).where(Award.lot_id.in_(lots), Award.notified_at.is_not(None))
                              .order_by(Award.id.desc()))
    return [(award, service.committee_for_lot(award.lot_id)) for award in rows]


def awards_open_to_challenge(user: User) -> list[tuple[Award, Committee]]:
    """Published results of lots this supplier bid on, still within the challenge period."""
    return [(award, committee) for award, committee in awards_of_bidder(user)
            if award.status in (AwardStatus.NOTIFIED, AwardStatus.CONTRACTED) and _today() <= challenge_due(award)]


def can_view(user: User, award: Award) -> bool:
    """Who sees an award's challenges page: its bidders (their own challenges), the agency, the
    purchaser and the region's supervisors."""
    committee = service.committee_for_lot(award.lot_id)
    return (is_bidder(user, committee) or service.is_agency(user, committee)
            or service.is_purchaser(user, committee) or service.is_supervisor(user, committee))


def visible_challenges(user: User, award: Award) -> list[Challenge]:
    """A bidder sees its own organisation's challenges; the parties and supervisors see all."""
    committee = service.committee_for_lot(award.lot_id)
    if service.is_agency(user, committee) or service.is_purchaser(user, committee) \
            or service.is_supervisor(user, committee):
        return challenges_of(award)
    if is_bidder(user, committee):
        return challenges_of(award, user.org_id)
    return []


def pending_answers(user: User) -> list[Challenge]:
    """Unanswered challenges to the agency's projects (its dashboard and next deadline)."""
    from tender.models import Lot, Project

    if user is None or user.org_id is None or not user.has_role(Role.AGENCY_STAFF):
        return []
    return list(db.session.scalars(
        select(Challenge).join(Award, Award.id == Challenge.award_id).join(Lot, Lot.id == Award.lot_id)
        .join(Project, Project.id == Lot.project_id)
        .where(Project.agency_org_id == user.org_id, Challenge.answered_at.is_(None))
        .order_by(Challenge.answer_due_at)))


def challenges_of_lot(lot_id: int) -> list[Challenge]:
    """Every challenge to any award of the lot (a voided award's too), oldest first."""
    return list(db.session.scalars(select(Challenge).join(Award, Award.id == Challenge.award_id)
                                   .where(Award.lot_id == lot_id).order_by(Challenge.id)))
