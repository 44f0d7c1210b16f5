"""The evaluation room's state changes: one function per move, each with its guard, audited, flushed.

Every function checks who acts (`actor_of`, the visibility table `evaluation.visibility`), the
committee's status and the clock, changes rows, writes its audit event with
`audit.service.record` and flushes; it never commits (the view, socket handler or task commits
once, then announces the change to the room). The rules themselves live in the pure modules:
this file only turns rows into their inputs (`_lot_inputs`) and their outcome back into rows.

The lifecycle of a lot's evaluation:
open (agency) → declarations (members; a conflict leaves and the draw replaces him) → chair vote →
qualification and compliance review (each member's sheet) → low-price explanations and
clarifications → scoring (each member's sheet, TOTP step-up) → summary (flags confirmed or
corrected with reasons) → accept + lock → report PDF → signatures (TOTP, dissents) → completed →
sent to the purchaser (award pending) → winner confirmed → result notice → contract + notice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, func, select

from accounts.models import Role, User
from accounts.service import oversees, verify_totp
from audit.service import payloads_of, record
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.i18n import N_
from evaluation import deadlines
from evaluation.consistency import CONFIRMABLE, ChangeReason, Flag, FlagCode, check_score_change
from evaluation.low_price import decide_explanation as decide_low_price
from evaluation.low_price import explanation_deadline
from evaluation.models import (
    Award,
    BidEvaluation,
    Candidate,
    ChairVote,
    ClarificationKind,
    Committee,
    CommitteeMember,
    EvaluationClarification,
    EvaluationReport,
    FlagResolution,
    ReportSignature,
    Review,
    Score,
    ScoreChange,
    ScoreFlag,
    StageDone,
    from_hundredths,
    to_hundredths,
)
from evaluation.opinions import Dissent, report_positions
from evaluation.price_correction import PriceStatement
from evaluation.report_data import MemberInfo, report_payload
from evaluation.review import ReviewStage, ReviewVote, decide_reviews
from evaluation.rules import DEFAULT_RULES, RulesError, RuleSet, rule_set_from_values
from evaluation.scoring import MemberScore, ScoringScheme, TenderTerms, scheme_from_tender
from evaluation.summary import BidInput, LotOutcome, summarise_lot
from evaluation.transitions import AwardStatus, CommitteeStatus, MemberStatus, ReportStatus, move
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


# ---------------------------------------------------------------- lookups and who is who

def get_committee(committee_id: int | None, lock: bool = False) -> Committee:
    stmt = select(Committee).where(Committee.id == committee_id)
    committee = db.session.scalar(stmt.with_for_update() if lock else stmt) if committee_id else None
    if committee is None:
        raise NotFound("评审委员会不存在。", code="committee_not_found")
    return committee


def committee_for_lot(lot_id: int) -> Committee | None:
    return db.session.scalar(select(Committee).where(Committee.lot_id == lot_id))


def _project(committee: Committee):
    from tender.models import Project

    return db.session.get(Project, committee.project_id)


def _lot(committee: Committee):
    from tender.models import Lot

    return db.session.get(Lot, committee.lot_id)


def member_of(user: User, committee: Committee) -> CommitteeMember | None:
    """The user's seat on this committee (any status), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return next((m for m in committee.members if m.user_id == user.id), None)


def is_agency(user: User, committee: Committee) -> bool:
    project = _project(committee)
    return bool(user and user.is_authenticated and user.has_role(Role.AGENCY_STAFF)
                and user.org_id == project.agency_org_id)


def is_purchaser(user: User, committee: Committee) -> bool:
    project = _project(committee)
    return bool(user and user.is_authenticated and user.has_role(Role.PURCHASER)
                and user.org_id == project.purchaser_org_id)


def is_supervisor(user: User, committee: Committee) -> bool:
    project = _project(committee)
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


def _active_member(user: User, committee: Committee) -> CommitteeMember:
    member = member_of(user, committee)
    if member is None or member.status is not MemberStatus.DECLARED:
        raise Forbidden("只有已签署回避声明的评审委员会成员可以执行此操作。", code="not_committee_member")
    return member


def _chair(user: User, committee: Committee) -> CommitteeMember:
    member = _active_member(user, committee)
    if not member.is_chair:
        raise Forbidden("只有评审委员会组长可以执行此操作。", code="not_committee_chair")
    return member


def _require_agency(user: User, committee: Committee) -> None:
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


def _status(committee: Committee, *allowed: CommitteeStatus) -> None:
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


def _mark_done(committee: Committee, member: CommitteeMember, stage: str, seq: int | None = None) -> None:
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
    project = _project(committee)
    return scheme_from_tender(project.criteria or [], price_fixed=project.price_fixed)


def opened_bids(committee: Committee) -> list[Any]:
    """The lot's opened bids with their opening-record lines, in opening order: [(bid, line)]."""
    from tender.models import Bid, OpeningRecord
    from tender.transitions import BidStatus

    rows = db.session.execute(select(Bid, OpeningRecord).join(OpeningRecord, OpeningRecord.bid_id == Bid.id)
                              .where(Bid.lot_id == committee.lot_id, Bid.status == BidStatus.OPENED)
                              .order_by(OpeningRecord.id)).all()
    return [(bid, line) for bid, line in rows]


def _bid_names(committee: Committee) -> dict[int, str]:
    return {bid.id: line.bidder_name for bid, line in opened_bids(committee)}


# ---------------------------------------------------------------- opening the room and seating

def _region_rules(region_code: str) -> dict[str, int]:
    """`evaluation.*` values stored for the region (national defaults first, the region's over them)."""
    from tender.models import RegionRule

    values: dict[str, int] = {}
    for code in (None, region_code):
        stmt = select(RegionRule).where(RegionRule.key.like("evaluation.%"))
        stmt = stmt.where(RegionRule.region_code.is_(None) if code is None else RegionRule.region_code == code)
        values.update({row.key: row.value for row in db.session.scalars(stmt)})
    return values


def _draw_request_for(project_id: int, lot_id: int):
    from expert_draw.models import DrawRequest, RequestStatus

    candidates = list(db.session.scalars(select(DrawRequest).where(
        DrawRequest.project_id == project_id, DrawRequest.status != RequestStatus.CANCELLED)
        .order_by(DrawRequest.id.desc())))
    return next((r for r in candidates if r.lot_id == lot_id), None) or next(
        (r for r in candidates if r.lot_id is None), None)


def purchaser_reps_wanted(project_id: int, lot_id: int) -> int:
    """How many purchaser representatives the lot's draw request defined (0 without a request)."""
    req = _draw_request_for(project_id, lot_id)
    return req.purchaser_reps if req is not None else 0


def _require_full_draw(req) -> None:
    """The committee is the size the draw asked for (87号令 Art 47): every seat confirmed. A seat still
    open (an expert declined or did not answer and the replacement has not confirmed) holds the room."""
    from expert_draw.models import Invitation, InvitationStatus, RequestStatus

    if req.status is RequestStatus.COMPLETE:
        return
    required = req.primary_total + len(req.hand_picks)
    confirmed = db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.request_id == req.id, Invitation.status == InvitationStatus.CONFIRMED))
    raise Conflict(f"专家抽取尚未完成：应到 {required} 人，已确认 {confirmed} 人。请等待补抽的专家确认后再开启评审。",
                   code="draw_incomplete", details={"required": required, "confirmed": confirmed})


def seat_confirmed(committee: Committee) -> list[CommitteeMember]:
    """Seat every confirmed invitation of the committee's draw not seated yet (first seating, replacements)."""
    from expert_draw.models import Invitation, InvitationKind, InvitationStatus

    if committee.draw_request_id is None:
        return []
    seated = {m.invitation_id for m in committee.members if m.invitation_id}
    by_invitation = {m.invitation_id: m for m in committee.members if m.invitation_id}
    added = []
    for inv in db.session.scalars(select(Invitation).where(Invitation.request_id == committee.draw_request_id,
                                                          Invitation.status == InvitationStatus.CONFIRMED)
                                  .order_by(Invitation.id)):
        if inv.id in seated or inv.expert.user_id is None:
            continue
        if any(m.user_id == inv.expert.user_id for m in committee.members):
            continue
        replaced = by_invitation.get(inv.replaces_id)
        member = CommitteeMember(committee=committee, user_id=inv.expert.user_id, expert_id=inv.expert_id,
                                 invitation_id=inv.id, hand_picked=inv.kind is InvitationKind.HAND_PICKED,
                                 replaces_id=replaced.id if replaced else None)
        db.session.add(member)
        added.append(member)
    db.session.flush()
    for member in added:
        record("evaluation.member_seated", member, {"committee": committee.id, "user": member.user_id,
                                                    "replaces": member.replaces_id})
    return added


def _lawful_committee(req) -> tuple[int, int]:
    """The committee the request defines, refused if the rules in force find it unlawful (a request
    written before a rule changed, or around the draw's own check)."""
    from expert_draw.service import committee_of_request, committee_problems_of

    problems = committee_problems_of(req)
    if problems:
        raise Conflict("；".join(p.message for p in problems), code="committee_unlawful",
                       details={"problems": [p.code for p in problems]})
    return committee_of_request(req)


def _purchaser_reps(project, wanted: int, rep_ids: Sequence[int]) -> list[User]:
    """The purchaser representatives the request asked for: exactly `wanted` of the purchaser's staff."""
    ids = list(dict.fromkeys(rep_ids))
    if len(ids) != wanted:
        message = (f"抽取申请确定采购人代表 {wanted} 人，请指定 {wanted} 名采购人代表。" if wanted
                   else "抽取申请未设采购人代表，评审委员会不能加入采购人代表。")
        raise ValidationError(message, code="purchaser_reps_mismatch", details={"wanted": wanted, "given": len(ids)})
    reps = [db.session.get(User, rep_id) for rep_id in ids]
    for rep in reps:
        if rep is None or not rep.has_role(Role.PURCHASER) or rep.org_id != project.purchaser_org_id:
            raise ValidationError("采购人代表须为本项目采购单位的人员。", code="bad_purchaser_rep")
    return reps


def open_evaluation(user: User, lot_id: int, *, purchaser_rep_id: int | None = None,
                    purchaser_rep_ids: Sequence[int] = ()) -> Committee:
    """The agency opens the lot's evaluation room with exactly the committee the draw request defined:
    its confirmed experts and as many purchaser representatives as it asked for (none unless it did);
    the committee is checked against the region's size table again, then rules, review requirements
    and the committee's size are frozen; the project moves to evaluating."""
    from tender.models import Lot, Project
    from tender.transitions import LotStatus, ProjectStatus
    from tender.transitions import move as tender_move

    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("标项不存在。", code="lot_not_found")
    project = db.session.scalar(select(Project).where(Project.id == lot.project_id).with_for_update())
    if not (user.has_role(Role.AGENCY_STAFF) and user.org_id == project.agency_org_id):
        raise Forbidden("只有本项目代理机构的经办人可以开启评审。", code="not_project_staff")
    if project.status not in (ProjectStatus.OPENED, ProjectStatus.EVALUATING) or lot.status is not LotStatus.OPENED:
        raise Conflict("开标完成后才能开启评审。", code="evaluation_not_ready")
    if committee_for_lot(lot.id) is not None:
        raise Conflict("本标项的评审已经开启。", code="evaluation_already_open")
    req = _draw_request_for(project.id, lot.id)
    if req is None:
        raise Conflict("本项目尚无专家抽取结果，不能组建评审委员会。", code="no_draw_request")
    now = clock.now()
    if now < req.evaluation_start_at:
        raise Conflict("评审开始时间未到，专家名单仍处于保密状态。", code="evaluation_not_started")
    _require_full_draw(req)
    experts, wanted_reps = _lawful_committee(req)
    reps = _purchaser_reps(project, wanted_reps, [*([purchaser_rep_id] if purchaser_rep_id is not None else []),
                                                  *purchaser_rep_ids])
    rules = _region_rules(project.region_code)
    rule_set_from_values(rules)  # a misspelt stored rule refuses to open the room, loudly
    committee = Committee(project_id=project.id, lot_id=lot.id, draw_request_id=req.id,
                          eval_method=project.eval_method, status=C.FORMING, opens_at=now, created_at=now,
                          rules_json=json.dumps({"rules": rules, "requirements": DEFAULT_REQUIREMENTS,
                                                 "committee": {"experts": experts, "purchaser_reps": wanted_reps}},
                                                ensure_ascii=False, sort_keys=True))
    db.session.add(committee)
    db.session.flush()
    for rep in reps:
        db.session.add(CommitteeMember(committee=committee, user_id=rep.id, is_purchaser_rep=True))
    seat_confirmed(committee)
    seated = sum(1 for m in committee.members if not m.is_purchaser_rep)
    if seated != experts:
        raise Conflict(f"抽取申请确定评审专家 {experts} 人，已确认就座 {seated} 人，不能开启评审。",
                       code="committee_incomplete", details={"experts": experts, "seated_experts": seated})
    if project.status is ProjectStatus.OPENED:
        tender_move(project, ProjectStatus.EVALUATING)
    if req.salts_published_at is None:
        from expert_draw.service import publish_salts

        publish_salts(req)
    move(committee, C.DECLARING)
    record("evaluation.opened", committee, {"project": project.code, "lot": lot.number, "draw_request": req.id,
                                            "members": [m.user_id for m in committee.members],
                                            "rules": rules})
    db.session.flush()
    return committee


def sign_declaration(user: User, committee_id: int, *, conflict: bool, note: str = "") -> CommitteeMember:
    """A seated member signs the avoidance declaration (回避声明); a declared conflict makes him leave."""
    committee = get_committee(committee_id, lock=True)
    member = member_of(user, committee)
    if member is None:
        raise Forbidden("您不是本评审委员会的成员。", code="not_committee_member")
    if committee.status in (C.FORMING, C.COMPLETED, C.FAILED):
        raise Conflict("评审室未开放。", code="evaluation_room_closed")
    if member.status is not MemberStatus.SEATED:
        raise Conflict("您已签署回避声明。", code="already_declared")
    now = clock.now()
    member.declared_at = now
    note = (note or "").strip()
    if conflict:
        if not note:
            raise ValidationError("请说明需要回避的情形。", code="conflict_note_required")
        member.conflict_note = note[:300]
        move(member, MemberStatus.CONFLICT)
        member.left_at = now
    else:
        move(member, MemberStatus.DECLARED)
    event = record("evaluation.declaration_signed", member, {"committee": committee.id, "conflict": conflict})
    if not conflict:
        _mark_done(committee, member, "declaration", event.seq)
    elif committee.status is C.DECLARING:
        db.session.flush()
        _elect_if_majority(committee)
    db.session.flush()
    return member


def replace_conflicted(user: User, member_id: int) -> list[int]:
    """The agency has a member who declared a conflict (or left) replaced through the expert draw.
    Returns the new invitation ids (notify them after commit); the replacement is seated when it confirms."""
    from expert_draw.models import Invitation
    from expert_draw.service import withdraw_invitation

    member = db.session.get(CommitteeMember, member_id)
    if member is None:
        raise NotFound("成员不存在。", code="member_not_found")
    committee = member.committee
    _require_agency(user, committee)
    if member.status not in (MemberStatus.CONFLICT, MemberStatus.LEFT) or member.invitation_id is None:
        raise Conflict("只能为已回避或离开的抽取专家申请补抽。", code="replacement_refused")
    inv = db.session.get(Invitation, member.invitation_id)
    new = withdraw_invitation(user, inv, f"评审室回避声明：{member.conflict_note or '离开评审'}")
    record("evaluation.replacement_requested", member, {"committee": committee.id, "invitations": new})
    return new


def refresh_members(user: User, committee_id: int) -> list[CommitteeMember]:
    """The agency seats the replacements that have confirmed since the room opened."""
    committee = get_committee(committee_id, lock=True)
    _require_agency(user, committee)
    return seat_confirmed(committee)


def vote_chair(user: User, committee_id: int, candidate_id: int) -> CommitteeMember | None:
    """A declared member votes for the chair; a majority of the declared members elects. Returns the chair."""
    committee = get_committee(committee_id, lock=True)
    _status(committee, C.DECLARING)
    voter = _active_member(user, committee)
    candidate = next((m for m in committee.active_members if m.id == candidate_id), None)
    if candidate is None:
        raise ValidationError("只能推选已签署回避声明的成员为组长。", code="bad_chair_candidate")
    if committee.chair is not None:
        raise Conflict("组长已经选出。", code="chair_already_elected")
    vote = db.session.get(ChairVote, (committee.id, voter.id))
    if vote is None:
        db.session.add(ChairVote(committee_id=committee.id, voter_id=voter.id, candidate_id=candidate.id,
                                 voted_at=clock.now()))
    else:
        vote.candidate_id, vote.voted_at = candidate.id, clock.now()
    db.session.flush()
    record("evaluation.chair_vote", committee, {"voter": voter.id, "candidate": candidate.id})
    return _elect_if_majority(committee)


def _elect_if_majority(committee: Committee) -> CommitteeMember | None:
    """The candidate with the votes of more than half of the members still taking part becomes chair."""
    if committee.chair is not None:
        return committee.chair
    taking_part = {m.id for m in committee.members if m.status in (MemberStatus.SEATED, MemberStatus.DECLARED)}
    counts = dict(db.session.execute(select(ChairVote.candidate_id, func.count()).where(
        ChairVote.committee_id == committee.id, ChairVote.voter_id.in_(taking_part))
        .group_by(ChairVote.candidate_id)).all())
    for candidate in committee.active_members:
        if counts.get(candidate.id, 0) * 2 > len(taking_part):
            candidate.is_chair = True
            db.session.flush()
            record("evaluation.chair_elected", committee, {"chair": candidate.id, "votes": counts[candidate.id]})
            return candidate
    return None


def _bid_rows(committee: Committee) -> dict[int, BidEvaluation]:
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


def start_review(user: User, committee_id: int) -> Committee:
    """The chair starts the review once every seated member has declared and enough remain."""
    committee = get_committee(committee_id, lock=True)
    _status(committee, C.DECLARING)
    _chair(user, committee)
    if any(m.status is MemberStatus.SEATED for m in committee.members):
        raise Conflict("尚有成员未签署回避声明。", code="declarations_missing")
    require_complete(committee)
    rows = _bid_rows(committee)
    move(committee, C.REVIEWING)
    record("evaluation.review_started", committee, {"bids": sorted(rows), "members": [
        m.id for m in committee.active_members]})
    return committee


def suspend(user: User, committee_id: int, reason: str) -> Committee:
    committee = get_committee(committee_id, lock=True)
    _require_agency(user, committee)
    if not (reason or "").strip():
        raise ValidationError("请填写暂停的原因。", code="reason_required")
    move(committee, C.SUSPENDED)
    record("evaluation.suspended", committee, {"reason": reason.strip()[:300], "from": committee.suspended_from.value})
    return committee


def resume(user: User, committee_id: int) -> Committee:
    committee = get_committee(committee_id, lock=True)
    _require_agency(user, committee)
    if committee.status is not C.SUSPENDED:
        raise Conflict("评审未暂停。", code="evaluation_not_suspended")
    move(committee, committee.suspended_from)
    record("evaluation.resumed", committee, {"to": committee.status.value})
    return committee


# ---------------------------------------------------------------- documents

def bid_documents(user: User, committee_id: int, bid_id: int) -> list[dict]:
    """The opened bid's files, for a member during the evaluation (the listing itself is not audited)."""
    committee = get_committee(committee_id)
    require(user, committee, Action.READ_BIDS)
    bid = _bid_of(committee, bid_id)
    from tender import filestore

    folder = filestore.absolute(f"opened/{bid.project_id}/{bid.id}")
    if not folder.is_dir():
        return []
    return [{"name": str(p.relative_to(folder)), "size": p.stat().st_size}
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")]


def open_bid_document(user: User, committee_id: int, bid_id: int, name: str):
    """The path of one file of an opened bid; every view is audited (who, which bid, which file, its hash)."""
    committee = get_committee(committee_id)
    require(user, committee, Action.READ_BIDS)
    bid = _bid_of(committee, bid_id)
    from tender import filestore

    folder = filestore.absolute(f"opened/{bid.project_id}/{bid.id}")
    try:
        path = (folder / name).resolve()
    except (OSError, ValueError):
        path = None
    if path is None or folder.resolve() not in path.parents or not path.is_file():
        raise NotFound("文件不存在。", code="document_not_found")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    record("evaluation.bid_viewed", committee, {"bid": bid.id, "file": name, "sha256": digest,
                                                "viewer": user.id})
    return path


def _bid_of(committee: Committee, bid_id: int):
    bid = next((b for b, _ in opened_bids(committee) if b.id == bid_id), None)
    if bid is None:
        raise NotFound("本标项没有这份投标文件。", code="bid_not_found")
    return bid


# ---------------------------------------------------------------- review

def submit_review(user: User, committee_id: int, stage: str, marks: Sequence[Mapping[str, Any]]) -> int:
    """A member's complete sheet for one review stage: pass/fail per bid and requirement, a reason per fail.
    Resubmitting while the review runs replaces the sheet. Returns the number of marks."""
    committee = get_committee(committee_id, lock=True)
    _status(committee, C.REVIEWING)
    require(user, committee, Action.REVIEW)
    member = _active_member(user, committee)
    try:
        stage_enum = ReviewStage(stage)
    except ValueError:
        raise ValidationError("未知的审查阶段。", code="bad_review_stage") from None
    requirements = requirements_of(committee)[stage_enum.value]
    bids = [b.id for b, _ in opened_bids(committee)]
    seen: dict[tuple[int, str], tuple[bool, str]] = {}
    for mark in marks:
        try:
            bid_id, req = int(mark["bid_id"]), str(mark["requirement"])
        except (KeyError, TypeError, ValueError):
            raise ValidationError("审查记录格式不正确。", code="bad_review_mark") from None
        passed, reason = bool(mark.get("passed")), str(mark.get("reason") or "").strip()
        if bid_id not in bids or req not in requirements:
            raise ValidationError("审查记录不属于本标项。", code="bad_review_mark")
        if not passed and not reason:
            raise ValidationError("判定不通过须填写理由。", code="review_reason_required",
                                  details={"bid_id": bid_id, "requirement": req})
        seen[(bid_id, req)] = (passed, reason[:2000])
    missing = [(b, r) for b in bids for r in requirements if (b, r) not in seen]
    if missing:
        raise ValidationError(f"尚有{len(missing)}项未审查。", code="review_incomplete")
    db.session.execute(delete(Review).where(Review.member_id == member.id, Review.stage == stage_enum))
    now = clock.now()
    db.session.add_all([Review(committee_id=committee.id, member_id=member.id, bid_id=b, stage=stage_enum,
                               requirement=r, passed=p, reason=reason, recorded_at=now)
                        for (b, r), (p, reason) in seen.items()])
    db.session.flush()
    event = record("evaluation.review_submitted", committee, {
        "member": member.id, "stage": stage_enum.value,
        "fails": sorted([[b, r] for (b, r), (p, _) in seen.items() if not p])})
    db.session.execute(delete(StageDone).where(StageDone.committee_id == committee.id,
                                               StageDone.member_id == member.id, StageDone.stage == stage_enum.value))
    _mark_done(committee, member, stage_enum.value, event.seq)
    return len(seen)


def _reviews(committee: Committee):
    members = [m.id for m in committee.active_members]
    votes = [ReviewVote(r.stage, r.member_id, r.bid_id, r.requirement, r.passed, r.reason)
             for r in db.session.scalars(select(Review).where(Review.committee_id == committee.id))
             if r.member_id in members]
    reqs = {ReviewStage(k): v for k, v in requirements_of(committee).items()}
    return decide_reviews(votes, members, [b.id for b, _ in opened_bids(committee)], reqs)


# ---------------------------------------------------------------- clarifications and low prices

def ask_clarification(user: User, committee_id: int, bid_id: int, question: str, *,
                      kind: str = ClarificationKind.CLARIFICATION.value, minutes: int | None = None
                      ) -> EvaluationClarification:
    """The chair sends a question (or a low-price explanation request) to one bidder, with a deadline."""
    committee = get_committee(committee_id, lock=True)
    require(user, committee, Action.ASK_CLARIFICATION)
    chair = _chair(user, committee)
    bid = _bid_of(committee, bid_id)
    question = (question or "").strip()
    if not question or len(question) > 2000:
        raise ValidationError("请填写澄清问题（不超过 2000 字）。", code="question_invalid")
    kind_enum = ClarificationKind(kind)
    now = clock.now()
    if kind_enum is ClarificationKind.LOW_PRICE:
        due = explanation_deadline(now, rules_of(committee))
        row = _bid_rows(committee)[bid.id]
        row.low_price_due_at = due
    else:
        due = now + timedelta(minutes=max(10, min(int(minutes or 60), 24 * 60)))
    item = EvaluationClarification(committee_id=committee.id, bid_id=bid.id, kind=kind_enum, question=question,
                                   asked_by_id=chair.id, asked_at=now, due_at=due)
    db.session.add(item)
    db.session.flush()
    record("evaluation.clarification_asked", item, {"committee": committee.id, "bid": bid.id,
                                                     "kind": kind_enum.value, "question": question})
    return item


def clarifications_of_supplier(user: User) -> list[EvaluationClarification]:
    from tender.models import Bid

    if user is None or user.org_id is None or not user.has_role(Role.SUPPLIER):
        return []
    return list(db.session.scalars(select(EvaluationClarification).join(Bid, Bid.id == EvaluationClarification.bid_id)
                                   .where(Bid.org_id == user.org_id).order_by(EvaluationClarification.asked_at.desc())))


ANSWER_FORMAT = "biaoyun-clarification-answer/1"


def answer_document(item: EvaluationClarification) -> dict[str, Any]:
    """What the bidder signs to answer `item` (FORMAT.md §14), less the answer itself: its page adds
    `answer` (a clarification or a low-price explanation) or `confirmed` (a price correction) and signs
    the digest in the browser, or the API client does with `python -m crypto sign-document`. It binds the
    answer to this question, this bid and, for a correction, the corrected price."""
    from tender.models import Bid

    bid = db.session.get(Bid, item.bid_id)
    doc: dict[str, Any] = {"format": ANSWER_FORMAT, "clarification": item.id, "kind": item.kind.value,
                           "bid_sha256": bid.sha256,
                           "question_sha256": hashlib.sha256(item.question.encode()).hexdigest()}
    if item.kind is ClarificationKind.PRICE_CORRECTION:
        doc["corrected_price_fen"] = _bid_rows(get_committee(item.committee_id))[bid.id].corrected_price_fen
    return doc


def _open_question(user: User, clarification_id: int) -> tuple[EvaluationClarification, Committee, Any]:
    """The question this bidder may still answer (locked), its committee and the bid; else a clear refusal."""
    from tender.models import Bid

    item = db.session.scalar(select(EvaluationClarification).where(
        EvaluationClarification.id == clarification_id).with_for_update())
    if item is None:
        raise NotFound("澄清问题不存在。", code="clarification_not_found")
    bid = db.session.get(Bid, item.bid_id)
    if not (user.has_role(Role.SUPPLIER) and user.org_id == bid.org_id):
        raise Forbidden("只有被询问的投标人可以答复。", code="not_the_bidder")
    committee = get_committee(item.committee_id)
    if not can(Actor.BIDDER, Action.ANSWER_CLARIFICATION, committee.status):
        raise Conflict("评审委员会已不接受澄清答复。", code="clarification_closed")
    if item.answered_at is not None:
        raise Conflict("此问题已答复，不能更改。", code="already_answered")
    if clock.now() > item.due_at:
        raise Conflict("答复期限已过。", code="clarification_overdue")
    return item, committee, bid


def _sign_answer(user: User, item: EvaluationClarification, document: dict, signature: str, text: str) -> str:
    """Check the bidder's signature over `document`, record the answer; returns the key's fingerprint."""
    from accounts.service import verify_document_signature

    key = verify_document_signature(user, document, signature)
    item.answer, item.answered_at, item.answered_by_id = text, clock.now(), user.id
    item.answer_sha256 = hashlib.sha256(text.encode()).hexdigest()
    item.answer_signature, item.answer_key_id = signature.strip(), key.id
    return key.fingerprint


def answer_clarification(user: User, clarification_id: int, answer: str, signature: str) -> EvaluationClarification:
    """The bidder answers from its own pages before the deadline, signed with its key (a clarification
    must be the bidder's own written act, 87号令 Art 51); the answer's hash and the signature go to the
    audit log. Line ends are normalised to LF and the text trimmed (`normalise_answer`) before checking."""
    item, committee, bid = _open_question(user, clarification_id)
    if item.kind is ClarificationKind.PRICE_CORRECTION:
        raise ValidationError("价格修正请以确认或不确认答复。", code="answer_by_confirming")
    answer = normalise_answer(answer)
    if not answer or len(answer) > 10000:
        raise ValidationError("请填写答复内容（不超过 10000 字）。", code="answer_invalid")
    fingerprint = _sign_answer(user, item, {**answer_document(item), "answer": answer}, signature, answer)
    record("evaluation.clarification_answered", item, {"committee": committee.id, "bid": bid.id,
                                                        "sha256": item.answer_sha256, "key": fingerprint,
                                                        "signature": item.answer_signature})
    return item


def normalise_answer(text: str | None) -> str:
    """What is signed: CRLF line ends (as browsers post a textarea) become LF, and the ends are trimmed."""
    return (text or "").replace("\r\n", "\n").strip()


def decide_explanation(user: User, clarification_id: int, accepted: bool, reason: str = "") -> EvaluationClarification:
    """The chair records the committee's decision on a low-price explanation (no answer in time = rejected)."""
    item = db.session.get(EvaluationClarification, clarification_id)
    if item is None or item.kind is not ClarificationKind.LOW_PRICE:
        raise NotFound("异常低价说明不存在。", code="clarification_not_found")
    committee = get_committee(item.committee_id, lock=True)
    _status(committee, C.REVIEWING, C.SCORING)
    _chair(user, committee)
    if item.decided_at is not None:
        raise Conflict("已作出结论。", code="already_decided")
    if item.answered_at is None and clock.now() <= item.due_at:
        raise Conflict("说明期限未到，投标人尚未答复。", code="explanation_pending")
    try:
        outcome = decide_low_price(item.bid_id, accepted=accepted if item.answered_at else None,
                                   answered_at=item.answered_at, deadline=item.due_at, reason=reason or "")
    except RulesError as exc:
        raise ValidationError(exc.message, code=exc.code) from None
    item.accepted, item.decided_at = not outcome.excluded, clock.now()
    item.decision_reason = (outcome.reason or "")[:500]
    record("evaluation.explanation_decided", item, {"committee": committee.id, "bid": item.bid_id,
                                                     "code": outcome.code, "excluded": outcome.excluded})
    return item


def set_sme_class(user: User, committee_id: int, bid_id: int, sme_class: str) -> BidEvaluation:
    """The chair records what the bid's SME declaration (中小企业声明函) says, for the price deduction."""
    from evaluation.scoring import SmeClass

    committee = get_committee(committee_id, lock=True)
    _status(committee, C.REVIEWING)
    _chair(user, committee)
    bid = _bid_of(committee, bid_id)
    try:
        value = SmeClass(sme_class)
    except ValueError:
        raise ValidationError("未知的企业类型。", code="bad_sme_class") from None
    row = _bid_rows(committee)[bid.id]
    row.sme_class = value
    record("evaluation.sme_recorded", committee, {"bid": bid.id, "sme": value.value})
    return row


def reopen_summary(user: User, committee_id: int, reason: str) -> Committee:
    """Before every member has signed, the chair takes the report back to the summary for an error the
    rules allow correcting (87号令 Art 64); the unsigned report is superseded and the summary unlocked."""
    committee = get_committee(committee_id, lock=True)
    _status(committee, C.REPORTING)
    _chair(user, committee)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请写明退回汇总的理由。", code="reason_required")
    report = current_report(committee)
    if report is not None:
        move(report, ReportStatus.SUPERSEDED)
    db.session.execute(delete(StageDone).where(StageDone.committee_id == committee.id, StageDone.stage == "signing"))
    committee.summary_locked_at = None
    move(committee, C.SUMMARY)
    record("evaluation.summary_reopened", committee, {"reason": reason[:300],
                                                      "report": report.id if report else None})
    return committee


# ---------------------------------------------------------------- price corrections (87号令 Art 59)

def price_statement(price_fen: int, detail: dict | None) -> PriceStatement:
    """The bid's price as the opening read it (`OpeningRecord.price_fen` + `price_detail`), for the engine.

    Only what the opening could read is there (`tender.price_detail`): unreadable words and malformed
    lines were left out and noted in the record's remarks, so the figures stand for them."""
    from evaluation.price_correction import LineItem

    detail = detail or {}
    items = tuple(LineItem(i["ref"], Decimal(i["quantity"]), i["unit_price_fen"], i["total_fen"])
                  for i in detail.get("items", []))
    return PriceStatement(summary_total=price_fen, summary_total_words=detail.get("price_words"),
                          body_total=detail.get("body_price_fen"), body_total_words=detail.get("body_price_words"),
                          items=items)


def _price_requests(committee: Committee) -> dict[int, EvaluationClarification]:
    """Each bid's request to confirm its corrected price (the latest, if asked again)."""
    return {c.bid_id: c for c in db.session.scalars(select(EvaluationClarification).where(
        EvaluationClarification.committee_id == committee.id,
        EvaluationClarification.kind == ClarificationKind.PRICE_CORRECTION).order_by(EvaluationClarification.id))}


def _confirmation(row: BidEvaluation, request: EvaluationClarification | None) -> bool | None:
    """The bidder's answer; no answer by the deadline counts as not confirmed (the bid is invalid)."""
    if row.correction_confirmed is not None:
        return row.correction_confirmed
    if request is not None and request.answered_at is None and clock.now() > request.due_at:
        return False
    return None


PRICE_PROBLEMS_ZH = {"price.summary_words_unreadable": "开标一览表大写金额无法识别，须向投标人澄清",
                     "price.body_words_unreadable": "投标函大写金额无法识别，须向投标人澄清"}


def price_review(committee: Committee) -> list[dict]:
    """What the committee sees of each bid's price: as read, the corrections by rule, the corrected
    price, what the opening could not read, and whether the bidder has confirmed."""
    from evaluation.price_correction import correct_price

    rules = rules_of(committee)
    rows = {r.bid_id: r for r in db.session.scalars(select(BidEvaluation).where(
        BidEvaluation.committee_id == committee.id))}  # read only: the page does not make rows
    requests = _price_requests(committee)
    out = []
    for bid, line in opened_bids(committee):
        if not line.price_fen:
            continue
        result = correct_price(price_statement(line.price_fen, line.price_detail), rules)
        request = requests.get(bid.id)
        confirmed = _confirmation(rows[bid.id], request) if bid.id in rows else None
        out.append({"bid": bid.id, "bidder": line.bidder_name, "read_price_fen": result.read_price,
                    "price_fen": result.price, "corrections": [c.message for c in result.corrections],
                    "problems": list((line.price_detail or {}).get("notes", []))
                    + [PRICE_PROBLEMS_ZH.get(code, code) for code in result.problems],
                    "needs_confirmation": result.needs_confirmation,
                    "requested": request is not None, "due_at": request.due_at if request else None,
                    "confirmed": confirmed if result.needs_confirmation else None,
                    "items": len((line.price_detail or {}).get("items", []))})
    return out


def request_price_confirmations(user: User, committee_id: int, minutes: int = 60) -> list[EvaluationClarification]:
    """The chair sends each bid whose price the rules correct its corrections, for the bidder to confirm
    or refuse from its own pages before the deadline (Art 59 last paragraph; refusing makes it invalid)."""
    from core.money import format_fen_cny
    from evaluation.models import PriceCorrectionRecord
    from evaluation.price_correction import correct_price

    committee = get_committee(committee_id, lock=True)
    _status(committee, C.REVIEWING)
    chair = _chair(user, committee)
    rules = rules_of(committee)
    rows = _bid_rows(committee)
    asked = _price_requests(committee)
    now = clock.now()
    due = now + timedelta(minutes=max(10, min(int(minutes or 60), 24 * 60)))
    made = []
    for bid, line in opened_bids(committee):
        if not line.price_fen or bid.id in asked:
            continue
        result = correct_price(price_statement(line.price_fen, line.price_detail), rules)
        if not result.needs_confirmation or result.price <= 0:
            continue
        row = rows[bid.id]
        row.corrections.clear()
        db.session.flush()
        for position, c in enumerate(result.corrections, start=1):
            row.corrections.append(PriceCorrectionRecord(position=position, rule=c.rule, field=c.field,
                                                         from_fen=c.from_fen, to_fen=c.to_fen, recorded_at=now))
        row.corrected_price_fen, row.correction_confirmed = result.price, None
        lines = "\n".join(f"{i}. {c.message}" for i, c in enumerate(result.corrections, start=1))
        question = ("评标委员会按《政府采购货物和服务招标投标管理办法》第五十九条对贵单位的投标报价作如下修正：\n"
                    f"{lines}\n修正后的投标报价为{format_fen_cny(result.price)}"
                    f"（开标时读出{format_fen_cny(result.read_price)}）。请在期限内确认；不确认或逾期未确认的，投标无效。")
        item = EvaluationClarification(committee_id=committee.id, bid_id=bid.id, question=question,
                                       kind=ClarificationKind.PRICE_CORRECTION, asked_by_id=chair.id, asked_at=now,
                                       due_at=due)
        db.session.add(item)
        db.session.flush()
        record("evaluation.price_correction_sent", item, {
            "committee": committee.id, "bid": bid.id, "read_price_fen": result.read_price,
            "corrected_price_fen": result.price,
            "corrections": [[c.rule.value, c.field, c.from_fen, c.to_fen] for c in result.corrections]})
        made.append(item)
    if not made:
        raise Conflict("没有需要投标人确认的价格修正（或已发送）。", code="no_price_corrections")
    return made


def answer_price_correction(user: User, clarification_id: int, confirmed: bool,
                            signature: str) -> EvaluationClarification:
    """The bidder confirms or refuses its corrected price from its own pages, before the deadline, signed
    with its key over the corrected price (87号令 Art 59: a correction binds only once the bidder confirms
    it in writing)."""
    from core.money import format_fen_cny

    item, committee, bid = _open_question(user, clarification_id)
    if item.kind is not ClarificationKind.PRICE_CORRECTION:
        raise NotFound("价格修正确认请求不存在。", code="price_correction_not_found")
    row = _bid_rows(committee)[bid.id]
    price = format_fen_cny(row.corrected_price_fen)
    text = f"确认修正后的投标报价{price}。" if confirmed else f"不确认修正后的投标报价{price}。"
    fingerprint = _sign_answer(user, item, {**answer_document(item), "confirmed": bool(confirmed)}, signature, text)
    row.correction_confirmed = bool(confirmed)
    record("evaluation.price_correction_answered", item, {"committee": committee.id, "bid": bid.id,
                                                          "confirmed": bool(confirmed),
                                                          "corrected_price_fen": row.corrected_price_fen,
                                                          "key": fingerprint, "signature": item.answer_signature})
    return item


# ---------------------------------------------------------------- the rules over the rows

def _lot_inputs(committee: Committee) -> dict[str, Any]:
    """The pure engine's inputs from the rows: bids, reviews, terms, scheme, members, scores, resolved flags."""
    from tender.transitions import Category

    project, lot = _project(committee), _lot(committee)
    rows = _bid_rows(committee)
    explanations = {c.bid_id: c for c in db.session.scalars(select(EvaluationClarification).where(
        EvaluationClarification.committee_id == committee.id,
        EvaluationClarification.kind == ClarificationKind.LOW_PRICE).order_by(EvaluationClarification.id))}
    price_requests = _price_requests(committee)
    bids = []
    for bid, line in opened_bids(committee):
        if not line.price_fen:
            continue
        row = rows[bid.id]
        decision = None
        item = explanations.get(bid.id)
        if item is not None and item.decided_at is not None:
            decision = decide_low_price(bid.id, accepted=item.accepted if item.answered_at else None,
                                        answered_at=item.answered_at, deadline=item.due_at,
                                        reason=item.decision_reason or "")
        bids.append(BidInput(bid.id, price_statement(line.price_fen, line.price_detail),
                             correction_confirmed=_confirmation(row, price_requests.get(bid.id)), sme=row.sme_class,
                             brand=line.brand or None, explanation=decision))
    members = [m.id for m in committee.active_members]
    scores = [MemberScore(s.member_id, s.bid_id, s.criterion, from_hundredths(s.score_h))
              for s in db.session.scalars(select(Score).where(Score.committee_id == committee.id))
              if s.member_id in members]
    resolved = {(f.code.value, f.member_id, f.bid_id, f.criterion) for f in db.session.scalars(
        select(ScoreFlag).where(ScoreFlag.committee_id == committee.id,
                                ScoreFlag.resolution == FlagResolution.CONFIRMED))}
    category = Category(project.category.value)
    return {"bids": bids, "terms": TenderTerms(category=category), "scheme": scheme_of(committee),
            "members": members, "scores": scores, "resolved": resolved, "ceiling": lot.max_price_fen,
            "budget": lot.budget_fen, "same_brand": project.same_brand_counts_once}


def outcome_of(committee: Committee, *, with_scores: bool = True) -> tuple[LotOutcome, dict]:
    inputs = _lot_inputs(committee)
    try:
        reviews = _reviews(committee)
        outcome = summarise_lot(inputs["bids"], reviews, inputs["terms"], scheme=inputs["scheme"],
                                members=inputs["members"], scores=inputs["scores"] if with_scores else (),
                                resolved_flags=inputs["resolved"], ceiling=inputs["ceiling"],
                                budget=inputs["budget"], same_brand_counts_once=inputs["same_brand"],
                                rules=rules_of(committee))
    except RulesError as exc:
        raise Conflict(exc.message, code=exc.code) from None
    inputs["reviews"] = reviews
    return outcome, inputs


def request_low_price_explanations(user: User, committee_id: int) -> list[EvaluationClarification]:
    """The chair asks every bid the rules find abnormally low for its written explanation (Art 60)."""
    committee = get_committee(committee_id, lock=True)
    _status(committee, C.REVIEWING)
    _chair(user, committee)
    _require_reviews_done(committee)
    outcome, _ = outcome_of(committee, with_scores=False)
    asked = {c.bid_id for c in db.session.scalars(select(EvaluationClarification).where(
        EvaluationClarification.committee_id == committee.id,
        EvaluationClarification.kind == ClarificationKind.LOW_PRICE))}
    made = []
    for finding in outcome.low_prices:
        if finding.bidder in asked:
            continue
        reasons = "；".join(f"{t.code.value}（低于参照值的{t.percent}%）" for t in finding.triggers)
        made.append(ask_clarification(user, committee.id, int(finding.bidder),
                                      f"贵公司报价明显低于其他投标报价，可能影响产品质量或者不能诚信履约，"
                                      f"请在规定时间内提供书面说明并提交相关证明材料。（{reasons}）",
                                      kind=ClarificationKind.LOW_PRICE.value))
    return made


def _require_reviews_done(committee: Committee) -> None:
    members = {m.id for m in committee.active_members}
    for stage in (ReviewStage.QUALIFICATION.value, ReviewStage.COMPLIANCE.value):
        if not members <= done(committee, stage):
            raise Conflict(f"尚有成员未完成{STAGE_ZH[stage]}。", code="reviews_missing", details={"stage": stage})


def _apply_exclusions(committee: Committee, outcome: LotOutcome) -> None:
    rows = _bid_rows(committee)
    excluded = {e.bidder: e for e in outcome.exclusions}
    for bid_id, row in rows.items():
        e = excluded.get(bid_id)
        row.excluded = e is not None
        row.exclusion_code = e.code if e else None
        row.exclusion_reason = "；".join(e.reasons)[:2000] if e else None
        if e:
            row.rank = None
        if bid_id in outcome.corrected:
            row.corrected_price_fen = outcome.corrected[bid_id].price


def finish_review(user: User, committee_id: int) -> Committee:
    """The chair closes the review: majority decisions, exclusions recorded; the lot fails with too few
    valid bids; scoring starts (or, under the lowest-price method, the summary)."""
    committee = get_committee(committee_id, lock=True)
    _status(committee, C.REVIEWING)
    _chair(user, committee)
    _require_reviews_done(committee)
    outcome, _ = outcome_of(committee, with_scores=False)
    pending = [p for p in outcome.pending]
    if pending:
        raise Conflict("尚有投标人的报价说明或价格确认未完成。", code="evaluation_pending",
                       details={"pending": [{"bid": p.bidder, "code": p.code} for p in pending]})
    _apply_exclusions(committee, outcome)
    payload = {"valid": list(outcome.valid), "excluded": [[e.bidder, e.code] for e in outcome.exclusions]}
    if outcome.failed_code:
        _fail(committee, outcome.failed_code)
    elif committee.eval_method.value == "scoring":
        move(committee, C.SCORING)
    else:
        move(committee, C.SUMMARY)
    record("evaluation.review_finished", committee, {**payload, "to": committee.status.value})
    return committee


FAILURE_REASONS = {
    "evaluation.too_few_valid_bids": "符合资格条件或对招标文件作实质响应的供应商不足三家"
                                     "（《政府采购法》第三十六条第一款第（一）项），本标项废标。",
}


def _fail(committee: Committee, code: str) -> None:
    """The lot fails in the evaluation: the committee ends, the lot is settled as failed with its notice."""
    from tender.service import settle_lot
    from tender.transitions import LotStatus

    move(committee, C.FAILED)
    committee.completed_at = clock.now()
    settle_lot(_lot(committee), LotStatus.FAILED, FAILURE_REASONS.get(code, "评标委员会认定本标项废标。"))
    record("evaluation.failed", committee, {"code": code})


# ---------------------------------------------------------------- scoring

def _parse_score(value: Any) -> Decimal:
    if isinstance(value, float | bool):
        raise ValidationError("分数须以十进制文本提交。", code="bad_score")
    try:
        score = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"分数格式不正确：{value}", code="bad_score") from None
    if not score.is_finite() or score < 0 or score != score.quantize(Decimal("0.01")):
        raise ValidationError(f"分数须为不超过两位小数的非负数：{value}", code="bad_score")
    return score


def valid_bid_ids(committee: Committee) -> list[int]:
    rows = _bid_rows(committee)
    return [b.id for b, _ in opened_bids(committee) if b.id in rows and not rows[b.id].excluded]


def submit_scores(user: User, committee_id: int, scores: Mapping[Any, Mapping[str, Any]], totp_code: str,
                  address: str = "-") -> int:
    """A member submits his whole score sheet (every valid bid × every criterion), confirmed with TOTP.
    Before this nobody sees anything of it; afterwards it changes only for an Art 64 reason."""
    committee = get_committee(committee_id, lock=True)
    _status(committee, C.SCORING)
    require(user, committee, Action.SCORE)
    member = _active_member(user, committee)
    if member.id in done(committee, "scoring"):
        raise Conflict("您已提交评分，汇总时如有法定情形可按提示修改。", code="scores_already_submitted")
    scheme = scheme_of(committee)
    bids = valid_bid_ids(committee)
    table: dict[tuple[int, str], Decimal] = {}
    for bid_key, sheet in (scores or {}).items():
        try:
            bid_id = int(bid_key)
        except (TypeError, ValueError):
            raise ValidationError("评分表格式不正确。", code="bad_score_sheet") from None
        if bid_id not in bids or not isinstance(sheet, Mapping):
            raise ValidationError("评分对象不是本标项的有效投标。", code="bad_score_sheet")
        for code, value in sheet.items():
            try:
                criterion = scheme.criterion(code)
            except RulesError:
                raise ValidationError(f"评分标准中没有“{code}”。", code="bad_score_sheet") from None
            bidder = _bid_names(committee).get(bid_id, "")
            try:
                score = _parse_score(value)
            except ValidationError as exc:
                raise ValidationError(f"{bidder}·“{code}”：{exc.message}", code=exc.code,
                                      details={"bid_id": bid_id, "criterion": code}) from None
            if not criterion.min_score <= score <= criterion.max_score:
                raise ValidationError(f"{bidder}·“{code}”得分{score}超出{criterion.min_score}–{criterion.max_score}"
                                      "分的范围。", code="score_out_of_range",
                                      details={"bid_id": bid_id, "criterion": code})
            table[(bid_id, str(criterion.code))] = score
    missing = [(b, c.code) for b in bids for c in scheme.criteria if (b, str(c.code)) not in table]
    if missing:
        names = _bid_names(committee)
        first = "、".join(f"{names.get(b, '')}·“{c}”" for b, c in missing[:3])
        raise ValidationError(f"尚有{len(missing)}项未评分：{first}{'等' if len(missing) > 3 else ''}。",
                              code="scores_incomplete")
    verify_totp(user, totp_code or "", address, purpose="submit_scores")
    now = clock.now()
    db.session.add_all([Score(committee_id=committee.id, member_id=member.id, bid_id=b, criterion=c,
                              score_h=to_hundredths(v), submitted_at=now) for (b, c), v in table.items()])
    db.session.flush()
    digest = hashlib.sha256(json.dumps(sorted([[b, c, str(v)] for (b, c), v in table.items()]),
                                       ensure_ascii=False).encode()).hexdigest()
    # The audit event carries the sheet's hash, not the scores: the log is readable by observers.
    event = record("evaluation.scores_submitted", committee, {"member": member.id, "sheet_sha256": digest,
                                                              "entries": len(table)})
    _mark_done(committee, member, "scoring", event.seq)
    return len(table)


def scores_visible_to(user: User, committee: Committee) -> list[Score]:
    """The scores this user may see now: nothing, his own, or everyone's (the visibility table decides)."""
    actor = actor_of(user, committee)
    if actor is None:
        return []
    member = member_of(user, committee)
    submitted = member is not None and member.id in done(committee, "scoring")
    rows = list(db.session.scalars(select(Score).where(Score.committee_id == committee.id)
                                   .order_by(Score.member_id, Score.bid_id, Score.criterion)))
    if can(actor, Action.SEE_ALL_SCORES, committee.status, own_scores_submitted=submitted):
        return rows
    if member is not None and can(actor, Action.SEE_OWN_SCORES, committee.status):
        return [s for s in rows if s.member_id == member.id]
    return []


def start_summary(user: User, committee_id: int) -> list[ScoreFlag]:
    """The chair moves to the summary once every member has submitted: the flags are raised for the
    member concerned and the chair. Returns the open flags."""
    committee = get_committee(committee_id, lock=True)
    _status(committee, C.SCORING)
    _chair(user, committee)
    members = {m.id for m in committee.active_members}
    if not members <= done(committee, "scoring"):
        raise Conflict("尚有成员未提交评分。", code="scores_missing")
    move(committee, C.SUMMARY)
    flags = _raise_flags(committee)
    record("evaluation.summary_started", committee, {"flags": len(flags)})
    return flags


def _raise_flags(committee: Committee) -> list[ScoreFlag]:
    """Record each open flag of the current outcome once; flags that no longer apply are closed."""
    outcome, _ = outcome_of(committee)
    current = {(f.code.value, f.member, f.bidder, f.criterion): f for f in outcome.open_flags}
    existing = list(db.session.scalars(select(ScoreFlag).where(ScoreFlag.committee_id == committee.id)))
    known = {(f.code.value, f.member_id, f.bid_id, f.criterion): f for f in existing}
    now = clock.now()
    made = []
    for key, flag in current.items():
        row = known.get(key)
        if row is None:
            row = ScoreFlag(committee_id=committee.id, member_id=int(flag.member), bid_id=int(flag.bidder),
                            criterion=None if flag.criterion is None else str(flag.criterion), code=flag.code,
                            message=flag.message[:300], raised_at=now)
            db.session.add(row)
            made.append(row)
    db.session.flush()
    if made:
        record("evaluation.flags_raised", committee, {"flags": [[f.code.value, f.member_id, f.bid_id, f.criterion]
                                                                 for f in made]})
    return [f for f in db.session.scalars(select(ScoreFlag).where(ScoreFlag.committee_id == committee.id,
                                                                  ScoreFlag.resolution == FlagResolution.OPEN))]


def flag_outlier(user: User, committee_id: int, member_id: int, bid_id: int, criterion: str,
                 note: str) -> ScoreFlag:
    """The chair records the committee's finding that a score is abnormally high or low (87号令 Art 64 (4))
    though the thresholds did not flag it; the member then confirms it or corrects it with a reason."""
    committee = get_committee(committee_id, lock=True)
    _status(committee, C.SUMMARY)
    require(user, committee, Action.AMEND_SCORE)
    _chair(user, committee)
    note = (note or "").strip()
    if not note:
        raise ValidationError("请写明评审委员会认定评分畸高、畸低的理由。", code="flag_note_required")
    score = db.session.scalar(select(Score).where(Score.committee_id == committee.id, Score.member_id == member_id,
                                                  Score.bid_id == bid_id, Score.criterion == criterion))
    if score is None:
        raise ValidationError("没有这项评分。", code="score_not_found")
    row = ScoreFlag(committee_id=committee.id, member_id=member_id, bid_id=bid_id, criterion=criterion,
                    code=FlagCode.OUTLIER, message=f"评审委员会认定“{criterion}”评分畸高、畸低：{note}"[:300],
                    raised_at=clock.now())
    db.session.add(row)
    db.session.flush()
    record("evaluation.outlier_found", row, {"committee": committee.id, "member": member_id, "bid": bid_id,
                                             "criterion": criterion})
    return row


_REASON_FOR = {FlagCode.ARITHMETIC: ChangeReason.ARITHMETIC_ERROR, FlagCode.OUT_OF_RANGE: ChangeReason.OUT_OF_RANGE,
               FlagCode.BAD_PRECISION: ChangeReason.OUT_OF_RANGE,
               FlagCode.OBJECTIVE_MISMATCH: ChangeReason.OBJECTIVE_INCONSISTENT,
               FlagCode.OUTLIER: ChangeReason.OUTLIER, FlagCode.TOTAL_OUTLIER: ChangeReason.OUTLIER}


def resolve_flag(user: User, flag_id: int, *, action: str, note: str, new_score: Any = None,
                 criterion: str | None = None) -> ScoreFlag:
    """The flagged member confirms (outliers only) or corrects his score, with a reason (87号令 Art 64)."""
    flag = db.session.get(ScoreFlag, flag_id)
    if flag is None:
        raise NotFound("提示不存在。", code="flag_not_found")
    committee = get_committee(flag.committee_id, lock=True)
    _status(committee, C.SUMMARY)
    member = _active_member(user, committee)
    if member.id != flag.member_id:
        raise Forbidden("只能处理发给您本人的提示。", code="not_your_flag")
    if flag.resolution is not FlagResolution.OPEN:
        raise Conflict("此提示已处理。", code="flag_resolved")
    note = (note or "").strip()
    if not note:
        raise ValidationError("请填写确认或修改的理由。", code="flag_note_required")
    if action not in ("confirm", "correct"):
        raise ValidationError("未知的处理方式。", code="bad_flag_action")
    if action == "confirm":
        if flag.code not in CONFIRMABLE:
            raise Conflict("此类问题须修改评分，不能直接确认。", code="flag_must_be_corrected")
        flag.resolved_at, flag.note = clock.now(), note[:300]
        flag.resolution = FlagResolution.CONFIRMED
    else:
        target = flag.criterion or criterion
        score = db.session.scalar(select(Score).where(Score.member_id == member.id, Score.bid_id == flag.bid_id,
                                                      Score.criterion == (target or "")))
        if score is None:
            raise ValidationError("请指明要修改的评审因素。", code="criterion_required")
        value = _parse_score(new_score)
        criterion_def = scheme_of(committee).criterion(score.criterion)
        if not criterion_def.min_score <= value <= criterion_def.max_score:
            raise ValidationError("修改后的分数仍超出范围。", code="score_out_of_range")
        evidence = [Flag(flag.code, flag.member_id, flag.bid_id, flag.criterion, flag.message)]
        try:
            reason = check_score_change(_REASON_FOR[flag.code].value, member=member.id, bidder=flag.bid_id,
                                        criterion=score.criterion, flags=evidence)
        except RulesError as exc:
            raise Conflict(exc.message, code=exc.code) from None
        old = score.score_h
        flag.resolved_at, flag.note = clock.now(), note[:300]
        score.score_h, score.changed_at = to_hundredths(value), clock.now()
        score.change_reason, score.change_note = reason, note[:300]
        flag.resolution = FlagResolution.CORRECTED
        event = record("evaluation.score_corrected", score, {
            "committee": committee.id, "member": member.id, "bid": flag.bid_id, "criterion": score.criterion,
            "reason": reason.value, "from_h": old, "to_h": score.score_h})
        db.session.add(ScoreChange(committee_id=committee.id, score_id=score.id, member_id=member.id,
                                   bid_id=flag.bid_id, criterion=score.criterion, from_h=old, to_h=score.score_h,
                                   reason=reason, note=note[:300], changed_at=clock.now(), audit_seq=event.seq))
    record("evaluation.flag_resolved", flag, {"committee": committee.id, "code": flag.code.value,
                                              "resolution": flag.resolution.value})
    db.session.flush()
    _raise_flags(committee)
    return flag


# ---------------------------------------------------------------- summary, lock, report

def accept_summary(user: User, committee_id: int) -> EvaluationReport | None:
    """The chair accepts the summary: every rule applied, nothing pending, no open flag; the summary is
    locked, the ranking and candidates recorded and the report generated for signing (None: the lot failed)."""
    committee = get_committee(committee_id, lock=True)
    _status(committee, C.SUMMARY)
    require(user, committee, Action.ACCEPT_SUMMARY)
    _chair(user, committee)
    if db.session.scalar(select(func.count()).select_from(ScoreFlag).where(
            ScoreFlag.committee_id == committee.id, ScoreFlag.resolution == FlagResolution.OPEN)):
        raise Conflict("尚有未处理的评分提示。", code="open_flags")
    outcome, inputs = outcome_of(committee)
    if outcome.open_flags:
        _raise_flags(committee)
        raise Conflict("尚有未处理的评分提示。", code="open_flags")
    if not outcome.complete:
        raise Conflict("汇总尚未完成。", code="summary_incomplete",
                       details={"pending": [[p.bidder, p.code] for p in outcome.pending]})
    _apply_exclusions(committee, outcome)
    if outcome.failed_code:
        _fail(committee, outcome.failed_code)
        return None
    rows = _bid_rows(committee)
    for row in rows.values():
        row.price_score_h = row.total_h = row.rank = None
    for bid_id, ev in outcome.evaluated.items():
        row = rows[int(bid_id)]
        row.deduction_bp = to_hundredths(ev.deduction_percent)
        if outcome.prices is not None:
            row.price_score_h = to_hundredths(outcome.prices.scores[bid_id])
        if bid_id in outcome.totals:
            row.total_h = to_hundredths(outcome.totals[bid_id].total)
    final = outcome.same_brand.ranking if outcome.same_brand is not None else outcome.ranking
    for ranked in final:
        rows[int(ranked.bidder)].rank = ranked.rank
    committee.summary_locked_at = clock.now()
    move(committee, C.REPORTING)
    record("evaluation.summary_locked", committee, {
        "ranking": [[r.bidder, r.rank, None if r.total is None else str(r.total)] for r in final],
        "candidates": [r.bidder for r in outcome.candidates.ranked]})
    return generate_report(committee, outcome, inputs)


def _clarification_items(committee: Committee) -> list[dict]:
    names = _bid_names(committee)
    return [{"id": c.id, "bidder": c.bid_id, "bidder_name": names.get(c.bid_id, ""), "kind": c.kind.value,
             "question": c.question,
             "answer": c.answer, "answer_sha256": c.answer_sha256,
             "decision": None if c.accepted is None else ("accepted" if c.accepted else "rejected"),
             "reason": c.decision_reason}
            for c in db.session.scalars(select(EvaluationClarification).where(
                EvaluationClarification.committee_id == committee.id).order_by(EvaluationClarification.id))]


def _members_info(committee: Committee) -> list[MemberInfo]:
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([m.user_id for m in
                                                                                committee.members])))}
    return [MemberInfo(m.id, users[m.user_id].name, m.is_purchaser_rep, m.hand_picked, m.is_chair)
            for m in committee.active_members]


def report_contents(committee: Committee, report: EvaluationReport | None = None) -> dict:
    """The report as canonical data (recomputed from the rows; the PDF's hash pins what was signed)."""
    outcome, inputs = outcome_of(committee)
    dissents = []
    if report is not None:
        dissents = [Dissent(s.member_id, s.dissent) for s in report.signatures if s.dissent]
    payload = report_payload(outcome, members=_members_info(committee), reviews=inputs["reviews"],
                             scores=inputs["scores"], positions=report_positions(inputs["members"], dissents),
                             clarifications=_clarification_items(committee))
    payload["bidder_names"] = {str(k): v for k, v in _bid_names(committee).items()}
    payload["score_changes"] = score_changes(committee)
    return payload


def score_changes(committee: Committee) -> list[dict]:
    """Every change of a submitted score during the summary, oldest first, for the report (87号令 Art 64:
    the change, its reason and who made it are recorded in the report)."""
    return [{"member": c.member_id, "bidder": c.bid_id, "criterion": c.criterion,
             "from": str(from_hundredths(c.from_h)), "to": str(from_hundredths(c.to_h)),
             "reason": c.reason.value, "note": c.note,
             "at": clock.format_local(c.changed_at)}
            for c in db.session.scalars(select(ScoreChange).where(ScoreChange.committee_id == committee.id)
                                        .order_by(ScoreChange.id))]


def generate_report(committee: Committee, outcome: LotOutcome, inputs: dict) -> EvaluationReport:

    previous = list(db.session.scalars(select(EvaluationReport).where(
        EvaluationReport.committee_id == committee.id).order_by(EvaluationReport.version)))
    for old in previous:
        if old.status is not ReportStatus.SUPERSEDED:
            move(old, ReportStatus.SUPERSEDED)
    report = EvaluationReport(committee_id=committee.id, version=len(previous) + 1, generated_at=clock.now())
    db.session.add(report)
    db.session.flush()
    rows = _bid_rows(committee)
    final = outcome.same_brand.ranking if outcome.same_brand is not None else outcome.ranking
    chosen = {r.bidder for r in outcome.candidates.ranked}
    for position, ranked in enumerate([r for r in final if r.bidder in chosen], start=1):
        report.candidates.append(Candidate(bid_id=int(ranked.bidder), position=position, rank=ranked.rank,
                                           total_h=None if ranked.total is None else to_hundredths(ranked.total),
                                           # the bid price after the confirmed Art 59 corrections: the
                                           # one price of the award notice, result notice and contract
                                           price_fen=rows[int(ranked.bidder)].corrected_price_fen))
    path, size = _render_report(committee, report)
    move(report, ReportStatus.SIGNING)
    record("evaluation.report_generated", report, {"committee": committee.id, "version": report.version,
                                                   "pdf_sha256": report.pdf_sha256, "bytes": size,
                                                   "path": str(path.name)})
    db.session.flush()
    return report


def _render_report(committee: Committee, report: EvaluationReport, text: int = 1) -> tuple[Any, int]:
    """Render the report's PDF (with the dissents signed so far) and point the report at it; `text` numbers
    the renderings of one version (a dissent makes a new one, the earlier files stay as they were).
    Returns (path, size)."""
    from evaluation import report_pdf

    pdf = report_pdf.render(committee, report, report_contents(committee, report))
    suffix = "" if text == 1 else f"-{text}"
    relative = f"reports/{committee.id}/report-v{report.version}{suffix}.pdf"
    path = report_pdf.store(relative, pdf)
    report.pdf_path, report.pdf_sha256 = relative, hashlib.sha256(pdf).hexdigest()
    return path, len(pdf)


def _rerender_with_dissent(committee: Committee, report: EvaluationReport, member: CommitteeMember) -> None:
    """A dissent belongs in the text everyone signs (87号令 Art 53): the report is rendered again with it,
    and whoever had signed the earlier text is asked to sign the final one."""
    old = report.pdf_sha256
    texts = 1 + len(payloads_of("evaluation.report_rerendered", report))
    path, size = _render_report(committee, report, texts + 1)
    stale = [s.member_id for s in report.signatures if s.member_id != member.id]
    if stale:  # their "signed" mark goes: the room offers them the final text to sign
        db.session.execute(delete(StageDone).where(StageDone.committee_id == committee.id,
                                                   StageDone.stage == "signing", StageDone.member_id.in_(stale)))
    record("evaluation.report_rerendered", report, {
        "committee": committee.id, "version": report.version, "reason": "dissent", "member": member.id,
        "from_sha256": old, "pdf_sha256": report.pdf_sha256, "bytes": size, "path": str(path.name),
        "to_sign_again": sorted(stale)})


def signature_current(report: EvaluationReport, signature: ReportSignature) -> bool:
    """Whether a signature covers the report's current text."""
    return signature.pdf_sha256 is None or signature.pdf_sha256 == report.pdf_sha256


def current_report(committee: Committee) -> EvaluationReport | None:
    return db.session.scalar(select(EvaluationReport).where(
        EvaluationReport.committee_id == committee.id, EvaluationReport.status != ReportStatus.SUPERSEDED)
        .order_by(EvaluationReport.version.desc()))


def sign_report(user: User, report_id: int, totp_code: str, address: str = "-", *,
                dissent: str | None = None) -> ReportSignature:
    """A member signs the report (TOTP step-up); a dissent needs reasons; silence is agreement. The last
    signature completes the evaluation."""
    report = db.session.get(EvaluationReport, report_id)
    if report is None:
        raise NotFound("评审报告不存在。", code="report_not_found")
    committee = get_committee(report.committee_id, lock=True)
    _status(committee, C.REPORTING)
    require(user, committee, Action.SIGN_REPORT)
    member = _active_member(user, committee)
    if report.status is not ReportStatus.SIGNING:
        raise Conflict("此版本的评审报告不在签署中。", code="report_not_signing")
    signature = db.session.get(ReportSignature, (report.id, member.id))
    if signature is not None and signature_current(report, signature):
        raise Conflict("您已签署评审报告。", code="already_signed")
    dissent = (dissent or "").strip()[:5000] or None
    if dissent is not None:
        try:
            Dissent(member.id, dissent)
        except RulesError as exc:
            raise ValidationError(exc.message, code=exc.code) from None
    verify_totp(user, totp_code or "", address, purpose="sign_report")
    if signature is None:
        signature = ReportSignature(report_id=report.id, member_id=member.id, signed_at=clock.now())
        db.session.add(signature)
        new_dissent = dissent is not None
    else:  # signing the final text again after someone's dissent: an earlier dissent stands unless changed
        new_dissent = dissent is not None and dissent != signature.dissent
        dissent = dissent or signature.dissent
        signature.signed_at = clock.now()
    signature.dissent = dissent
    db.session.flush()
    db.session.refresh(report)
    if new_dissent:
        _rerender_with_dissent(committee, report, member)
    signature.pdf_sha256 = report.pdf_sha256
    event = record("evaluation.report_signed", report, {
        "committee": committee.id, "member": member.id, "user": user.id, "pdf_sha256": report.pdf_sha256,
        "position": "dissent" if dissent else "agree",
        "dissent_sha256": hashlib.sha256(dissent.encode()).hexdigest() if dissent else None})
    signature.audit_seq = event.seq
    _mark_done(committee, member, "signing", event.seq)
    db.session.flush()
    if {m.id for m in committee.active_members} <= signed_current(report):
        move(report, ReportStatus.SIGNED)
        report.signed_at = clock.now()
        move(committee, C.COMPLETED)
        committee.completed_at = clock.now()
        record("evaluation.completed", committee, {"report": report.id, "pdf_sha256": report.pdf_sha256})
    db.session.flush()
    return signature


def signed_current(report: EvaluationReport) -> set[int]:
    """The members whose signature covers the report's current text."""
    return {s.member_id for s in report.signatures if signature_current(report, s)}


def can_read_report(user: User, committee: Committee) -> bool:
    actor = actor_of(user, committee)
    if actor is not None and can(actor, Action.READ_REPORT, committee.status):
        return True
    return is_purchaser(user, committee) and committee.status is C.COMPLETED and _award(committee) is not None


# ---------------------------------------------------------------- award and contract

def _award(committee: Committee) -> Award | None:
    return db.session.scalar(select(Award).where(Award.lot_id == committee.lot_id, Award.status != AwardStatus.VOIDED))


def award_of(committee: Committee) -> Award | None:
    return _award(committee)


def _end_of_local_day(day) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=clock.LOCAL_TZ).astimezone(clock.now().tzinfo)


def send_report(user: User, committee_id: int) -> Award:
    """The agency sends the signed report to the purchaser: the award waits for its confirmation,
    due in `purchaser_confirm_workdays` working days."""
    committee = get_committee(committee_id, lock=True)
    _require_agency(user, committee)
    _status(committee, C.COMPLETED)
    if _award(committee) is not None:
        raise Conflict("评审报告已送交采购人。", code="report_already_sent")
    report = current_report(committee)
    if report is None or report.status is not ReportStatus.SIGNED or not report.candidates:
        raise Conflict("没有已签署并推荐了候选人的评审报告。", code="no_signed_report")
    now = clock.now()
    due = deadlines.due_date(deadlines.Step.PURCHASER_CONFIRM, clock.to_local(now).date())
    award = Award(lot_id=committee.lot_id, candidate_id=report.candidates[0].id, status=AwardStatus.PENDING,
                  confirm_due_at=_end_of_local_day(due), created_at=now)
    db.session.add(award)
    db.session.flush()
    record("evaluation.report_sent", award, {"committee": committee.id, "report": report.id,
                                             "confirm_due": due.isoformat()})
    return award


def _get_award(award_id: int) -> tuple[Award, Committee]:
    award = db.session.scalar(select(Award).where(Award.id == award_id).with_for_update())
    if award is None:
        raise NotFound("定标记录不存在。", code="award_not_found")
    committee = committee_for_lot(award.lot_id)
    return award, committee


def confirm_winner(user: User, award_id: int, candidate_id: int, reason: str = "") -> Award:
    """The purchaser confirms the winner from the candidates in order (87号令 Art 68): the first ranked,
    or a later one only with a reason (the earlier declined, or was found unqualified)."""
    award, committee = _get_award(award_id)
    if not is_purchaser(user, committee):
        raise Forbidden("只有本项目的采购人可以确定中标人。", code="not_project_purchaser")
    report = current_report(committee)
    candidate = next((c for c in report.candidates if c.id == candidate_id), None)
    if candidate is None:
        raise ValidationError("只能在评审报告推荐的候选人中确定中标人。", code="not_a_candidate")
    reason = (reason or "").strip()
    if candidate.position > 1 and not reason:
        raise ValidationError("确定排名非第一的候选人须说明理由。", code="reason_required")
    move(award, AwardStatus.CONFIRMED)
    award.candidate_id, award.confirmed_at, award.confirmed_by_id = candidate.id, clock.now(), user.id
    late = clock.now() > award.confirm_due_at
    record("evaluation.winner_confirmed", award, {"candidate": candidate.id, "bid": candidate.bid_id,
                                                  "position": candidate.position, "reason": reason[:300],
                                                  "late": late})
    return award


def _notice(committee: Committee, kind, title: str, body: str):
    from tender.service import publish_notice

    return publish_notice(_project(committee), kind, title, body, _lot(committee))


def result_notice_body(committee: Committee, award: Award) -> str:
    from tender.models import OpeningRecord

    project, lot = _project(committee), _lot(committee)
    line = db.session.scalar(select(OpeningRecord).where(OpeningRecord.bid_id == award.candidate.bid_id))
    members = _members_info(committee)
    names = "、".join(m.name + ("（自行选定）" if m.hand_picked else "")
                     + ("（采购人代表）" if m.is_purchaser_rep else "") for m in members)
    from core import money

    rows = {r.bid_id: r for r in db.session.scalars(select(BidEvaluation).where(
        BidEvaluation.committee_id == committee.id))}
    names_by_bid = _bid_names(committee)
    scores = "；".join(f"{names_by_bid.get(b, b)}：{from_hundredths(r.total_h)}分" for b, r in rows.items()
                      if r.total_h is not None)
    salts = ""
    if committee.draw_request_id:
        salts = f"专家抽取申请编号 {committee.draw_request_id}，抽取盐值已在审计日志公开，可在“抽取核验”页面复核。"
    price = award.candidate.price_fen  # after the confirmed corrections, as in the award notice and contract
    return (f"项目编号：{project.code}\n项目名称：{project.title}\n标项：{lot.number} {lot.name}\n"
            f"中标（成交）供应商：{line.bidder_name}\n中标（成交）金额：{money.format_yuan(price)}元"
            f"（{money.to_chinese_upper(price)}）\n评审委员会成员：{names}\n"
            + (f"评审得分：{scores}\n" if scores else "") + salts
            + "\n招标文件见本项目公告页。各有关当事人对结果有异议的，可在公告期限届满之日起七个工作日内提出质疑。")


def publish_result(user: User, award_id: int) -> Award:
    """The agency publishes the result notice (public) within the period; the award notice PDF goes to the
    winner and a result letter PDF with its own evaluation to each other bidder (`evaluation.letters`,
    same transaction; the notices after commit link each organisation to its letter)."""
    from evaluation import letters
    from tender.transitions import NoticeKind

    award, committee = _get_award(award_id)
    _require_agency(user, committee)
    award.notified_at = clock.now()
    move(award, AwardStatus.NOTIFIED)
    project = _project(committee)
    title = f"{project.title}（标项{_lot(committee).number}）中标（成交）结果公告"
    notice = _notice(committee, NoticeKind.RESULT, title, result_notice_body(committee, award))
    due = deadlines.due_date(deadlines.Step.RESULT_NOTICE, clock.to_local(award.confirmed_at).date())
    record("evaluation.result_published", award, {"notice": notice.id, "bid": award.candidate.bid_id,
                                                  "late": clock.to_local(clock.now()).date() > due})
    letters.issue(committee, award)
    return award


def award_recipients(award: Award) -> tuple[int, list[int]]:
    """(winner org id, the other bidders' org ids) for the award notice and result letters."""
    committee = committee_for_lot(award.lot_id)
    orgs = {b.id: b.org_id for b, _ in opened_bids(committee)}
    winner = orgs[award.candidate.bid_id]
    return winner, sorted({o for o in orgs.values() if o != winner})


def void_award(user: User, award_id: int, reason: str) -> Award:
    """An upheld challenge, or the winner disqualified or declining: the award is void (the agency)."""
    award, committee = _get_award(award_id)
    _require_agency(user, committee)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写作废的理由。", code="reason_required")
    return settle_void(award, reason)


def settle_void(award: Award, reason: str, **extra: str) -> Award:
    """The one way an award becomes void, whoever decided it (the agency here, an upheld challenge or
    complaint in `evaluation.challenges.apply_remedy`): its unsigned contract is void too."""
    from evaluation.contracts import void_contract

    void_contract(award)
    published = award.notified_at is not None
    move(award, AwardStatus.VOIDED)
    award.voided_at, award.void_reason = clock.now(), reason[:300]
    correction = _withdraw_result_notice(award, reason) if published else None
    record("evaluation.award_voided", award, {"reason": reason[:300], **extra,
                                              **({"correction_notice": correction.id} if correction else {})})
    return award


def _withdraw_result_notice(award: Award, reason: str):
    """A voided award's result notice leaves the public lists, withdrawn by a correction notice that says
    why (财办库〔2020〕50号: a published result is corrected in public, never just replaced)."""
    from tender.models import Notice
    from tender.service import withdraw_notice

    published = payloads_of("evaluation.result_published", award)
    notice = db.session.get(Notice, published[-1]["notice"]) if published else None
    if notice is None or notice.withdrawn_at is not None:
        return None
    committee = committee_for_lot(award.lot_id)
    project, lot = _project(committee), _lot(committee)
    body = (f"项目编号：{project.code}\n项目名称：{project.title}\n标项：{lot.number} {lot.name}\n"
            f"更正事项：{clock.format_local(notice.published_at, '%Y年%m月%d日')}发布的《{notice.title}》撤销，"
            f"原中标（成交）结果作废。\n更正原因：{reason[:300]}\n"
            "重新确定的中标（成交）结果将另行公告。")
    return withdraw_notice(notice, f"{project.title}（标项{lot.number}）中标（成交）结果更正公告", body)


def award_deadline_state(award: Award) -> str:
    if award.status is not AwardStatus.PENDING:
        return "done"
    return deadlines.deadline_state(clock.to_local(award.confirm_due_at).date(),
                                    clock.to_local(clock.now()).date()).value


# ---------------------------------------------------------------- ratings after the evaluation

def _rating_open(committee: Committee) -> None:
    if committee.status not in (C.COMPLETED, C.FAILED) or committee.completed_at is None:
        raise Conflict("评审结束后才能评价。", code="rating_not_open")
    due = deadlines.due_date(deadlines.Step.EXPERT_RATING, clock.to_local(committee.completed_at).date())
    if clock.to_local(clock.now()).date() > due:
        raise Conflict(f"评价期限（{due.isoformat()}）已过。", code="rating_period_over")


def _rating_score(score: Any) -> int:
    try:
        value = int(score)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise ValidationError("评分须为 1 至 5 分。", code="bad_rating")
    return value


def rate_expert(user: User, committee_id: int, member_id: int, score: Any, note: str = "", *,
                misconduct: bool = False):
    """The agency or the purchaser records an expert's performance within the period (working days after
    the evaluation); misconduct, with its facts, becomes a credit record of the expert."""
    from evaluation.models import ExpertRating
    from registry.experts.models import CreditKind, Expert
    from registry.experts.service import record_credit

    committee = get_committee(committee_id, lock=True)
    kind = "agency" if is_agency(user, committee) else "purchaser" if is_purchaser(user, committee) else None
    if kind is None:
        raise Forbidden("只有本项目的代理机构或采购人可以评价专家。", code="not_project_party")
    _rating_open(committee)
    member = next((m for m in committee.members if m.id == member_id and not m.is_purchaser_rep), None)
    if member is None or member.status not in (MemberStatus.DECLARED, MemberStatus.LEFT):
        raise ValidationError("只能评价参加本次评审的专家。", code="bad_rating_member")
    value, note = _rating_score(score), (note or "").strip()[:500]
    if misconduct and not note:
        raise ValidationError("认定违规须写明事实。", code="misconduct_note_required")
    if db.session.scalar(select(ExpertRating).where(ExpertRating.member_id == member.id,
                                                    ExpertRating.rater_kind == kind)) is not None:
        raise Conflict("已评价过该专家。", code="already_rated")
    row = ExpertRating(committee_id=committee.id, member_id=member.id, rater_kind=kind, rated_by_id=user.id,
                       score=value, misconduct=misconduct, note=note, rated_at=clock.now())
    db.session.add(row)
    db.session.flush()
    if misconduct:
        record_credit(db.session.get(Expert, member.expert_id), CreditKind.MISCONDUCT, note,
                      f"evaluation:{committee.id}", user)
    record("evaluation.expert_rated", row, {"committee": committee.id, "member": member.id, "by": kind,
                                            "score": value, "misconduct": misconduct})
    return row


def rate_agency(user: User, committee_id: int, score: Any, note: str = ""):
    """An expert of the committee rates the agency that ran the evaluation, within the same period."""
    from evaluation.models import AgencyRating

    committee = get_committee(committee_id, lock=True)
    member = member_of(user, committee)
    if member is None or member.is_purchaser_rep or member.status is not MemberStatus.DECLARED:
        raise Forbidden("只有参加本次评审的专家可以评价代理机构。", code="not_committee_member")
    _rating_open(committee)
    if db.session.scalar(select(AgencyRating).where(AgencyRating.member_id == member.id)) is not None:
        raise Conflict("您已评价过代理机构。", code="already_rated")
    row = AgencyRating(committee_id=committee.id, member_id=member.id, agency_org_id=_project(committee).agency_org_id,
                       score=_rating_score(score), note=(note or "").strip()[:500], rated_at=clock.now())
    db.session.add(row)
    db.session.flush()
    record("evaluation.agency_rated", row, {"committee": committee.id, "member": member.id, "score": row.score})
    return row


def ratings_of(committee: Committee) -> dict:
    from evaluation.models import AgencyRating, ExpertRating

    return {"experts": list(db.session.scalars(select(ExpertRating).where(ExpertRating.committee_id == committee.id))),
            "agency": list(db.session.scalars(select(AgencyRating).where(AgencyRating.committee_id == committee.id)))}


# ---------------------------------------------------------------- what the room shows

def progress(committee: Committee) -> dict:
    """Who has finished which stage (names of members, never their scores)."""
    finished: dict[str, list[int]] = {stage: [] for stage in STAGES}
    for member_id, stage in db.session.execute(select(StageDone.member_id, StageDone.stage).where(
            StageDone.committee_id == committee.id).order_by(StageDone.member_id)):
        finished.setdefault(stage, []).append(member_id)
    return finished


def state_for(user: User, committee: Committee, present: Iterable[int] = ()) -> dict:
    """Everything the room shows this user; visibility decided by `evaluation.visibility`."""
    from core import money

    actor = actor_of(user, committee)
    member = member_of(user, committee)
    project, lot = _project(committee), _lot(committee)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([m.user_id for m in
                                                                                committee.members])))}
    present = set(present)
    stage = committee.status
    state: dict[str, Any] = {
        "committee": {"id": committee.id, "status": stage.value, "status_text": STATUS_ZH[stage.value],
                      "method": committee.eval_method.value, "suspended_from": committee.suspended_from.value
                      if committee.suspended_from else None},
        "project": {"id": project.id, "code": project.code, "title": project.title},
        "lot": {"id": lot.id, "number": lot.number, "name": lot.name},
        "me": {"actor": actor.value if actor else None, "member_id": member.id if member else None,
               "member_status": member.status.value if member else None,
               "is_chair": bool(member and member.is_chair)},
        "members": [{"id": m.id, "user_id": m.user_id, "name": users[m.user_id].name, "status": m.status.value,
                     "is_chair": m.is_chair, "purchaser_rep": m.is_purchaser_rep,
                     "present": m.user_id in present} for m in committee.members],
        "progress": progress(committee),
        "chair_votes": {},
        "now": clock.now().isoformat(),
    }
    if stage is C.DECLARING:
        state["chair_votes"] = {str(cid): n for cid, n in db.session.execute(
            select(ChairVote.candidate_id, func.count()).where(ChairVote.committee_id == committee.id)
            .group_by(ChairVote.candidate_id)).all()}
    if actor is None and not (is_purchaser(user, committee) and stage in (C.COMPLETED, C.FAILED)):
        return state
    # The bidders and prices are the public opening record; exclusions are shown once decided.
    rows = {r.bid_id: r for r in db.session.scalars(select(BidEvaluation).where(
        BidEvaluation.committee_id == committee.id))}
    state["bids"] = [{"id": b.id, "bidder": line.bidder_name, "price_fen": line.price_fen,
                      "price": money.format_yuan(line.price_fen) if line.price_fen else "",
                      "excluded": bool(rows.get(b.id) and rows[b.id].excluded),
                      "exclusion_reason": rows[b.id].exclusion_reason if b.id in rows else None}
                     for b, line in opened_bids(committee)]
    if actor is None:
        return state
    state["requirements"] = requirements_of(committee)
    scheme = scheme_of(committee)
    details = {str(c.get("name")): c.get("items") or [] for c in (_project(committee).criteria or [])}
    state["criteria"] = [{"code": str(c.code), "min": str(c.min_score), "max": str(c.max_score),
                          "kind": c.kind.value, "items": details.get(str(c.code), [])}
                         for c in scheme.criteria] if scheme else []
    state["price_points"] = str(scheme.price_points) if scheme else None
    scores = scores_visible_to(user, committee)
    state["scores"] = [{"member": s.member_id, "bid": s.bid_id, "criterion": s.criterion, "score": str(s.score),
                        "change_reason": s.change_reason.value if s.change_reason else None} for s in scores]
    if stage in (C.SUMMARY, C.REPORTING) and actor in (Actor.MEMBER, Actor.CHAIR):
        flags = db.session.scalars(select(ScoreFlag).where(ScoreFlag.committee_id == committee.id)
                                   .order_by(ScoreFlag.id))
        state["flags"] = [{"id": f.id, "member": f.member_id, "bid": f.bid_id, "criterion": f.criterion,
                           "code": f.code.value, "message": f.message, "resolution": f.resolution.value,
                           "note": f.note} for f in flags
                          if actor is Actor.CHAIR or (member and f.member_id == member.id)]
    if actor in (Actor.MEMBER, Actor.CHAIR, Actor.SUPERVISOR):
        state["clarifications"] = _clarification_items(committee)
    report = current_report(committee)
    if report is not None and can(actor, Action.READ_REPORT, stage):
        state["report"] = {"id": report.id, "version": report.version, "status": report.status.value,
                           "pdf_sha256": report.pdf_sha256,
                           "signed": sorted(signed_current(report))}
    return state


def finance_orgs(region_code: str) -> list[int]:
    """The finance bureau(s) of a region: who is warned when a deadline of the award is missed."""
    from accounts.models import Org, OrgKind

    return [o.id for o in db.session.scalars(select(Org).where(Org.kind == OrgKind.FINANCE,
                                                               Org.region_code == region_code).order_by(Org.id))]


def sweep_award_deadlines() -> dict[str, list[int]]:
    """Pending awards near their confirmation deadline get a reminder (once a day) to the purchaser;
    overdue ones a warning (once) to the region's finance bureau. Idempotent: each notice is an audit
    event, and what was sent is looked up there. Returns what to notify after the commit."""
    from tender.models import Lot, Project

    today = clock.to_local(clock.now()).date().isoformat()
    out: dict[str, list[int]] = {"remind": [], "overdue": [], "deemed": []}
    pending = db.session.scalars(select(Award).where(Award.status == AwardStatus.PENDING).order_by(Award.id))
    for award in pending:
        state = award_deadline_state(award)
        if state == "open":
            continue
        action = "evaluation.award_overdue" if state == "overdue" else "evaluation.award_reminded"
        sent = payloads_of(action, award)
        if (state == "overdue" and sent) or (state == "remind" and any(p.get("day") == today for p in sent)):
            continue
        project = db.session.scalar(select(Project).join(Lot, Lot.project_id == Project.id)
                                    .where(Lot.id == award.lot_id))
        finance = finance_orgs(project.region_code)
        record(action, award, {"day": today, "due": award.confirm_due_at.isoformat(), "project": project.code,
                               "finance_orgs": finance if state == "overdue" else []},
               actor="system:evaluation-sweep")
        out["overdue" if state == "overdue" else "remind"].append(award.id)
    for award in db.session.scalars(select(Award).where(Award.status == AwardStatus.PENDING,
                                                        Award.confirm_due_at < clock.now())
                                    .order_by(Award.id).with_for_update()):
        deem_confirmed(award)
        out["deemed"].append(award.id)
    return out


def deem_confirmed(award: Award) -> Award:
    """87号令 Art 68: a purchaser who has not confirmed the winner within the period (and gave no lawful
    reason) is deemed to have confirmed the first-ranked candidate; the award moves on, so the agency can
    publish the result, and the record says it was by the rule, not by anyone's choice."""
    committee = committee_for_lot(award.lot_id)
    first = next(c for c in current_report(committee).candidates if c.position == 1)
    move(award, AwardStatus.CONFIRMED)
    award.candidate_id, award.confirmed_at, award.deemed_confirmed = first.id, clock.now(), True
    record("evaluation.winner_deemed_confirmed", award, {
        "candidate": first.id, "bid": first.bid_id, "due": award.confirm_due_at.isoformat(),
        "rule": "87号令第六十八条"}, actor="system:evaluation-sweep")
    return award


def overdue_awards(user: User) -> list[Award]:
    """The awards of the supervisor's regions whose purchaser let the confirmation deadline pass: still
    pending, or deemed confirmed under Art 68 and not yet published — for the finance dashboard."""
    from tender.models import Lot, Project

    rows = db.session.scalars(
        select(Award).join(Lot, Lot.id == Award.lot_id).join(Project, Project.id == Lot.project_id)
        .where(Award.confirm_due_at < clock.now(),
               ((Award.status == AwardStatus.PENDING)
                | ((Award.status == AwardStatus.CONFIRMED) & Award.deemed_confirmed.is_(True))))
        .order_by(Award.confirm_due_at))
    return [a for a in rows if oversees(user, _project(committee_for_lot(a.lot_id)).region_code)]
