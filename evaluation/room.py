"""The room's lookups and who is who: the committee, its project and lot, the seats, who acts as
what (`actor_of`, judged by `evaluation.visibility`), the guards every move starts with (`require_status`,
`require_member`, `require_chair`, `require_agency`), the frozen rules and the opened bids' rows.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from accounts.models import Role, User
from accounts.service import oversees
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, NotFound
from core.i18n import N_
from evaluation.models import (
    Award,
    BidEvaluation,
    Committee,
    CommitteeMember,
    StageDone,
)
from evaluation.review import ReviewStage
from evaluation.rules import DEFAULT_RULES, RuleSet, rule_set_from_values
from evaluation.scoring import ScoringScheme, scheme_from_tender
from evaluation.transitions import AwardStatus, CommitteeStatus, MemberStatus
from evaluation.visibility import Action, Actor, can

C = CommitteeStatus


# The review requirements when the tender document lists none (财库 model documents' usual items).
DEFAULT_REQUIREMENTS: dict[str, list[str]] = {
    ReviewStage.QUALIFICATION.value: ["主体资格证明", "财务状况及依法缴纳税收和社会保障资金", "近三年无重大违法记录",
                                      "特定资格条件"],
    ReviewStage.COMPLIANCE.value: ["投标文件签署盖章", "投标有效期", "实质性技术要求", "投标报价未超过最高限价"],
}


STAGES = ("declaration", "qualification", "compliance", "scoring", "signing")


STAGE_ZH = {"declaration": N_("回避声明"), "qualification": N_("资格审查"), "compliance": N_("符合性审查"),
            "scoring": N_("评分"), "signing": N_("签署报告")}


STATUS_ZH = {"forming": N_("待开启"), "declaring": N_("回避声明与推选组长"), "reviewing": N_("资格与符合性审查"),
             "scoring": N_("独立评分"), "summary": N_("评审汇总"), "reporting": N_("签署评审报告"),
             "completed": N_("评审完成"), "suspended": N_("暂停"), "failed": N_("废标")}


AWARD_ZH = {"pending": N_("待采购人确定中标人"), "confirmed": N_("已确定中标人"), "notified": N_("已发布结果公告"),
            "contracted": N_("已签订合同"), "voided": N_("已作废")}


# The room works only while every seat the draw request defined is taken (87号令 Art 47, 74号令 Art 7).
LIVE = (C.REVIEWING, C.SCORING, C.SUMMARY, C.REPORTING)


def get_committee(committee_id: int | None, lock: bool = False) -> Committee:
    stmt = select(Committee).where(Committee.id == committee_id)
    committee = db.session.scalar(stmt.with_for_update() if lock else stmt) if committee_id else None
    if committee is None:
        raise NotFound("评审委员会不存在。", code="committee_not_found")
    return committee


def committee_for_lot(lot_id: int) -> Committee | None:
    return db.session.scalar(select(Committee).where(Committee.lot_id == lot_id))


def project_of(committee: Committee):
    from tender.models import Project

    return db.session.get(Project, committee.project_id)


def lot_of(committee: Committee):
    from tender.models import Lot

    return db.session.get(Lot, committee.lot_id)


def member_of(user: User, committee: Committee) -> CommitteeMember | None:
    """The user's seat on this committee (any status), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return next((m for m in committee.members if m.user_id == user.id), None)


def is_agency(user: User, committee: Committee) -> bool:
    project = project_of(committee)
    return bool(user and user.is_authenticated and user.has_role(Role.AGENCY_STAFF)
                and user.org_id == project.agency_org_id)


def is_purchaser(user: User, committee: Committee) -> bool:
    project = project_of(committee)
    return bool(user and user.is_authenticated and user.has_role(Role.PURCHASER)
                and user.org_id == project.purchaser_org_id)


def is_supervisor(user: User, committee: Committee) -> bool:
    project = project_of(committee)
    return bool(user and user.is_authenticated and user.has_role(Role.SUPERVISOR, Role.ADMIN)
                and (user.has_role(Role.ADMIN) or oversees(user, project.region_code)))


def actor_of(user: User, committee: Committee) -> Actor | None:
    """The visibility table's actor this user is in the room: a declared member (or the chair)
    before anything else, then agency staff, then supervision. None: not in the room."""
    member = member_of(user, committee)
    if member is not None and member.status is MemberStatus.DECLARED:
        return Actor.CHAIR if member.is_chair else Actor.MEMBER
    if is_agency(user, committee):
        return Actor.AGENCY
    if is_supervisor(user, committee):
        return Actor.SUPERVISOR
    return None


def can_enter(user: User, committee: Committee) -> bool:
    """Members (seated, to sign their declaration) and observers may enter the room."""
    member = member_of(user, committee)
    if member is not None and member.status in (MemberStatus.SEATED, MemberStatus.DECLARED):
        return committee.status is not C.FORMING
    actor = actor_of(user, committee)
    return actor is not None and can(actor, Action.SEE_PROGRESS, committee.status)


def can_view_room(user: User, committee: Committee) -> bool:
    """The room page and its state: those who may enter, former members (to see they left), the agency,
    and the purchaser once the evaluation is complete (for the award). What each sees is `state_for`'s."""
    if can_enter(user, committee) or member_of(user, committee) is not None or is_agency(user, committee):
        return True  # the agency also after the evaluation: it sends the report and publishes the result
    return is_purchaser(user, committee) and committee.status in (C.COMPLETED, C.FAILED)


def _stage(committee: Committee) -> CommitteeStatus:
    """The stage rights are judged at: a suspended room keeps only what `suspended` allows."""
    return committee.status


def require(user: User, committee: Committee, action: Action, *, own_submitted: bool = False) -> Actor:
    actor = actor_of(user, committee)
    if actor is None or not can(actor, action, _stage(committee), own_scores_submitted=own_submitted):
        raise Forbidden("当前阶段您无权执行此操作。", code=f"evaluation_{action.value}_forbidden")
    return actor


def require_member(user: User, committee: Committee) -> CommitteeMember:
    member = member_of(user, committee)
    if member is None or member.status is not MemberStatus.DECLARED:
        raise Forbidden("只有已签署回避声明的评审委员会成员可以执行此操作。", code="not_committee_member")
    return member


def require_chair(user: User, committee: Committee) -> CommitteeMember:
    member = require_member(user, committee)
    if not member.is_chair:
        raise Forbidden("只有评审委员会组长可以执行此操作。", code="not_committee_chair")
    return member


def require_agency(user: User, committee: Committee) -> None:
    if not is_agency(user, committee):
        raise Forbidden("只有本项目代理机构的经办人可以执行此操作。", code="not_project_staff")


def committee_size(committee: Committee) -> tuple[int, int]:
    """(experts, purchaser representatives) the room must seat: the draw request's committee, frozen
    into the room's rules when it opened."""
    frozen = json.loads(committee.rules_json or "{}").get("committee")
    if frozen:
        return int(frozen["experts"]), int(frozen["purchaser_reps"])
    from expert_draw.models import DrawRequest
    from expert_draw.service import committee_of_request

    return committee_of_request(db.session.get(DrawRequest, committee.draw_request_id))


def seats_taken(committee: Committee) -> tuple[int, int]:
    """(experts, purchaser representatives) taking part now: declared, not conflicted, not gone. A
    replacement counts once seated and declared."""
    active = committee.active_members
    reps = sum(1 for m in active if m.is_purchaser_rep)
    return len(active) - reps, reps


def is_complete(committee: Committee) -> bool:
    """Whether every seat of the committee is taken: the condition for the room to work at all."""
    return seats_taken(committee) == committee_size(committee)


def require_complete(committee: Committee) -> None:
    """Stop the room while a seat is empty: a member who left (or declared a conflict) holds every
    step until the replacement drawn for him is seated and has declared (87号令 Art 47–48)."""
    experts, reps = committee_size(committee)
    have_experts, have_reps = seats_taken(committee)
    if (have_experts, have_reps) != (experts, reps):
        raise Conflict(f"评审委员会应到 {experts + reps} 人（专家 {experts} 人、采购人代表 {reps} 人），"
                       f"现在席 {have_experts + have_reps} 人。成员离开后，须待补抽的专家到位并签署回避声明，"
                       f"评审方可继续。", code="committee_incomplete",
                       details={"experts": experts, "purchaser_reps": reps, "seated_experts": have_experts,
                                "seated_purchaser_reps": have_reps})


def require_status(committee: Committee, *allowed: CommitteeStatus) -> None:
    if committee.status not in allowed:
        raise Conflict(f"评审当前处于“{STATUS_ZH[committee.status.value]}”阶段，不能执行此操作。",
                       code="evaluation_wrong_stage",
                       details={"status": committee.status.value, "allowed": [s.value for s in allowed]})
    if committee.status in LIVE:
        require_complete(committee)


def done(committee: Committee, stage: str) -> set[int]:
    """Ids of the members who finished `stage`."""
    return set(db.session.scalars(select(StageDone.member_id).where(StageDone.committee_id == committee.id,
                                                                     StageDone.stage == stage)))


def mark_done(committee: Committee, member: CommitteeMember, stage: str, seq: int | None = None) -> None:
    row = db.session.get(StageDone, (committee.id, member.id, stage))
    if row is None:
        db.session.add(StageDone(committee_id=committee.id, member_id=member.id, stage=stage, done_at=clock.now(),
                                 audit_seq=seq))
    db.session.flush()


def rules_of(committee: Committee) -> RuleSet:
    values = json.loads(committee.rules_json or "{}").get("rules", {})
    return rule_set_from_values(values) if values else DEFAULT_RULES


def requirements_of(committee: Committee) -> dict[str, list[str]]:
    return json.loads(committee.rules_json or "{}").get("requirements", DEFAULT_REQUIREMENTS)


def scheme_of(committee: Committee) -> ScoringScheme | None:
    from tender.transitions import EvalMethod

    if committee.eval_method is not EvalMethod.SCORING:
        return None
    project = project_of(committee)
    return scheme_from_tender(project.criteria or [], price_fixed=project.price_fixed)


def opened_bids(committee: Committee) -> list[Any]:
    """The lot's opened bids with their opening-record lines, in opening order: [(bid, line)]."""
    from tender.models import Bid, OpeningRecord
    from tender.transitions import BidStatus

    rows = db.session.execute(select(Bid, OpeningRecord).join(OpeningRecord, OpeningRecord.bid_id == Bid.id)
                              .where(Bid.lot_id == committee.lot_id, Bid.status == BidStatus.OPENED)
                              .order_by(OpeningRecord.id)).all()
    return [(bid, line) for bid, line in rows]


def bid_names(committee: Committee) -> dict[int, str]:
    return {bid.id: line.bidder_name for bid, line in opened_bids(committee)}


def bid_rows(committee: Committee) -> dict[int, BidEvaluation]:
    rows = {r.bid_id: r for r in db.session.scalars(select(BidEvaluation).where(
        BidEvaluation.committee_id == committee.id))}
    for bid, line in opened_bids(committee):
        if bid.id not in rows and line.price_fen:
            row = BidEvaluation(committee_id=committee.id, bid_id=bid.id, read_price_fen=line.price_fen,
                                corrected_price_fen=line.price_fen)
            db.session.add(row)
            rows[bid.id] = row
    db.session.flush()
    return rows


def bid_of(committee: Committee, bid_id: int):
    bid = next((b for b, _ in opened_bids(committee) if b.id == bid_id), None)
    if bid is None:
        raise NotFound("本标项没有这份投标文件。", code="bid_not_found")
    return bid


def award_of(committee: Committee) -> Award | None:
    return db.session.scalar(select(Award).where(Award.lot_id == committee.lot_id, Award.status != AwardStatus.VOIDED))
