"""Opening the room and seating the committee: the draw's confirmed experts and the purchaser's
representatives, the avoidance declarations, replacements, the chair vote, the start of the review,
suspending and resuming.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import func, select

from accounts.models import Role, User
from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from evaluation.models import (
    ChairVote,
    Committee,
    CommitteeMember,
)
from evaluation.room import (
    DEFAULT_REQUIREMENTS,
    C,
    bid_rows,
    committee_for_lot,
    get_committee,
    mark_done,
    member_of,
    require_agency,
    require_chair,
    require_complete,
    require_member,
    require_status,
)
from evaluation.rules import rule_set_from_values
from evaluation.transitions import MemberStatus, move
from region_rules.keys import KEYS
from region_rules.store import snapshot


def _region_rules(region_code: str) -> tuple[dict[str, object], int]:
    """The evaluation's rules in force for the region now (`evaluation.*`, the price weight bounds), and the
    rule-set version they belong to."""
    rules = snapshot(region_code)
    return {key: v for key, v in rules.values.items() if KEYS[key].group == "evaluation"}, rules.version


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
    rules, rules_version = _region_rules(project.region_code)
    rule_set_from_values(rules)  # a stored rule the RuleSet cannot take refuses to open the room, loudly
    committee = Committee(project_id=project.id, lot_id=lot.id, draw_request_id=req.id,
                          eval_method=project.eval_method, status=C.FORMING, opens_at=now, created_at=now,
                          rules_version=rules_version,
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
                                            "rules": rules, "rules_version": rules_version})
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
        mark_done(committee, member, "declaration", event.seq)
    elif committee.status is C.DECLARING:
        db.session.flush()
        _elect_if_majority(committee)
    db.session.flush()
    return member


def replace_conflicted(user: User, member_id: int) -> list[int]:
    """The agency has a member who declared a conflict (or left) replaced through the expert draw.
    Returns the new invitation ids (the draw notifies them after the commit); the replacement is seated
    when it confirms."""
    from expert_draw.models import Invitation
    from expert_draw.service import withdraw_invitation

    member = db.session.get(CommitteeMember, member_id)
    if member is None:
        raise NotFound("成员不存在。", code="member_not_found")
    committee = member.committee
    require_agency(user, committee)
    if member.status not in (MemberStatus.CONFLICT, MemberStatus.LEFT) or member.invitation_id is None:
        raise Conflict("只能为已回避或离开的抽取专家申请补抽。", code="replacement_refused")
    inv = db.session.get(Invitation, member.invitation_id)
    new = withdraw_invitation(user, inv, f"评审室回避声明：{member.conflict_note or '离开评审'}")
    record("evaluation.replacement_requested", member, {"committee": committee.id, "invitations": new})
    return new


def refresh_members(user: User, committee_id: int) -> list[CommitteeMember]:
    """The agency seats the replacements that have confirmed since the room opened."""
    committee = get_committee(committee_id, lock=True)
    require_agency(user, committee)
    return seat_confirmed(committee)


def vote_chair(user: User, committee_id: int, candidate_id: int) -> CommitteeMember | None:
    """A declared member votes for the chair; a majority of the declared members elects. Returns the chair."""
    committee = get_committee(committee_id, lock=True)
    require_status(committee, C.DECLARING)
    voter = require_member(user, committee)
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


def start_review(user: User, committee_id: int) -> Committee:
    """The chair starts the review once every seated member has declared and enough remain."""
    committee = get_committee(committee_id, lock=True)
    require_status(committee, C.DECLARING)
    require_chair(user, committee)
    if any(m.status is MemberStatus.SEATED for m in committee.members):
        raise Conflict("尚有成员未签署回避声明。", code="declarations_missing")
    require_complete(committee)
    rows = bid_rows(committee)
    move(committee, C.REVIEWING)
    record("evaluation.review_started", committee, {"bids": sorted(rows), "members": [
        m.id for m in committee.active_members]})
    return committee


def suspend(user: User, committee_id: int, reason: str) -> Committee:
    committee = get_committee(committee_id, lock=True)
    require_agency(user, committee)
    if not (reason or "").strip():
        raise ValidationError("请填写暂停的原因。", code="reason_required")
    move(committee, C.SUSPENDED)
    record("evaluation.suspended", committee, {"reason": reason.strip()[:300], "from": committee.suspended_from.value})
    return committee


def resume(user: User, committee_id: int) -> Committee:
    committee = get_committee(committee_id, lock=True)
    require_agency(user, committee)
    if committee.status is not C.SUSPENDED:
        raise Conflict("评审未暂停。", code="evaluation_not_suspended")
    move(committee, committee.suspended_from)
    record("evaluation.resumed", committee, {"to": committee.status.value})
    return committee
