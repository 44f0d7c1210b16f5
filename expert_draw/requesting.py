"""The request: an agency asks for a committee (checked against the committee rules, hand-picks
against the avoidance rules), asks for avoidances, or cancels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from accounts.models import Org, User
from audit.service import record
from core import clock
from core.after_commit import after_commit
from core.db import db
from core.errors import Conflict, Forbidden, ValidationError
from expert_draw import rules
from expert_draw.models import (
    DrawRequest,
    DrawRequestSpecialty,
    DrawRequestSupplier,
    HandPick,
    InvitationStatus,
    ManualExclusion,
    RequestStatus,
)
from expert_draw.pool import SpecialtyCount, avoidance_context, expert_facts
from expert_draw.rule_table import DrawRules, rule_for
from expert_draw.subject import DrawSubject
from expert_draw.transitions import lock_request, move_invitation, move_request, request_invitations
from expert_draw.visibility import AGENCY_ROLES, require_manage
from registry.experts.models import (
    Expert,
)
from registry.experts.service import (
    leaf_specialties,
)


@dataclass
class HandPickIn:
    expert_id: int
    specialty_code: str
    approval_ref: str
    reason: str


def create_request(
    user: User,
    subject: DrawSubject,
    counts: list[SpecialtyCount],
    evaluation_start_at: datetime,
    evaluation_end_at: datetime | None,
    place: str,
    is_remote: bool = False,
    purchaser_reps: int = 0,
    is_complex: bool = False,
    hand_picks: Iterable[HandPickIn] = (),
    complex_reason: str = "",
    is_offsite: bool = False,
) -> DrawRequest:
    """An agency asks for a committee for a project (or lot), checked against the committee rules.

    The request defines the committee the room seats: its experts and `purchaser_reps`
    representatives. A project marked technically complex makes the request complex too.
    """
    if not user.has_role(*AGENCY_ROLES) or user.org_id != subject.agency_org_id:
        raise Forbidden("只有本项目的代理机构经办人可以申请抽取专家。", code="not_request_agency")
    hand_picks = list(hand_picks)
    rule = rule_for(subject.region_code)
    end = evaluation_end_at or evaluation_start_at + timedelta(hours=rule.evaluation_hours)
    if subject.is_complex and not is_complex:
        is_complex, complex_reason = True, complex_reason or subject.complex_reason
    complex_reason = (complex_reason or "").strip()
    if is_complex and not complex_reason:
        raise ValidationError("请说明项目技术复杂或社会影响较大的理由。", code="complex_reason_required")
    _check_request_input(subject, counts, evaluation_start_at, end, place, is_remote, is_complex, hand_picks)
    experts = sum(c.primary for c in counts) + len(hand_picks)
    problems = rules.committee_problems(rule.values(), subject.budget_fen, experts, purchaser_reps,
                                        method=subject.method, is_complex=is_complex)
    if problems:
        raise ValidationError(
            "；".join(p.message for p in problems),
            code=problems[0].code,
            details={"problems": [p.code for p in problems]},
        )
    now = clock.now()
    req = DrawRequest(
        project_id=subject.project_id,
        lot_id=subject.lot_id,
        project_title=subject.title,
        region_code=subject.region_code,
        purchaser_org_id=subject.purchaser_org_id,
        agency_org_id=subject.agency_org_id,
        method=subject.method,
        budget_fen=subject.budget_fen,
        evaluation_start_at=evaluation_start_at,
        evaluation_end_at=end,
        place=place.strip(),
        is_remote=is_remote,
        purchaser_reps=purchaser_reps,
        is_complex=is_complex,
        complex_reason=complex_reason[:300],
        is_offsite=is_offsite,
        created_by_id=user.id,
        created_at=now,
        opens_at=rules.draw_opens_at(rule.values(), subject.method, evaluation_start_at, is_offsite=is_offsite),
        status=RequestStatus.REQUESTED,
    )
    req.specialties = [
        DrawRequestSpecialty(position=i, specialty_code=c.code, primary_count=c.primary, backup_count=c.backup)
        for i, c in enumerate(counts)
    ]
    req.suppliers = [DrawRequestSupplier(org_id=o) for o in sorted(subject.supplier_org_ids)]
    req.hand_picks = [
        HandPick(
            expert_id=h.expert_id,
            specialty_code=h.specialty_code,
            approval_ref=h.approval_ref,
            reason=h.reason,
            created_by_id=user.id,
            created_at=now,
        )
        for h in hand_picks
    ]
    db.session.add(req)
    db.session.flush()
    _check_hand_picks(req, rule)
    record(
        "expert_draw.requested",
        req,
        {
            "project_id": subject.project_id,
            "lot_id": subject.lot_id,
            "method": subject.method,
            "budget_fen": subject.budget_fen,
            "evaluation_start_at": clock.as_utc(evaluation_start_at).isoformat(),
            "counts": [[c.code, c.primary, c.backup] for c in counts],
            "purchaser_reps": purchaser_reps,
            "is_complex": is_complex,
            "complex_reason": complex_reason[:300],
            "is_offsite": is_offsite,
            "hand_picked": len(hand_picks),
            "rule_version": rule.version,
            "opens_at": req.opens_at.isoformat() if req.opens_at else None,
        },
    )
    return req


# what a hand-pick is never refused for: being hand-picked, and this request's own bookkeeping
_HAND_PICK_EXEMPT = {"hand_picked", "already_drawn", "manual"}


def _check_hand_picks(req: DrawRequest, rule: DrawRules) -> None:
    """A hand-picked expert (自行选定) passes the same avoidance rules as a drawn one, or the request is
    refused with the rule named (the caller's transaction is rolled back: nothing is kept)."""
    if not req.hand_picks:
        return
    ctx = avoidance_context(req, rule.values())
    facts = expert_facts(req, ctx, Expert.id.in_([h.expert_id for h in req.hand_picks]))
    problems = []
    for pick in req.hand_picks:
        expert = db.session.get(Expert, pick.expert_id)
        fact = facts.get(pick.expert_id)
        found = [(c, d) for c, d in rules.avoidance_reasons(fact, ctx) if c not in _HAND_PICK_EXEMPT] if fact else []
        for code, detail in found:
            problems.append((pick.expert_id, code, f"{expert.name}：{rules.AVOIDANCE_RULES[code]}（{detail}）"))
    if problems:
        raise ValidationError("自行选定的专家须符合回避规定：" + "；".join(p[2] for p in problems),
                              code="hand_pick_avoided",
                              details={"problems": [{"expert": e, "rule": c} for e, c, _ in problems]})


def committee_of_request(req: DrawRequest) -> tuple[int, int]:
    """The committee a request defines (87号令 Art 47): (experts drawn or hand-picked, purchaser reps)."""
    return req.primary_total + len(req.hand_picks), req.purchaser_reps


def committee_problems_of(req: DrawRequest) -> list[rules.CommitteeProblem]:
    """What the rules in force find wrong with the committee a request defines (none for a lawful one)."""
    experts, reps = committee_of_request(req)
    return rules.committee_problems(rule_for(req.region_code).values(), req.budget_fen, experts, reps,
                                    method=req.method, is_complex=req.is_complex)


def _check_request_input(
    subject: DrawSubject,
    counts: list[SpecialtyCount],
    start: datetime,
    end: datetime,
    place: str,
    is_remote: bool,
    is_complex: bool,
    hand_picks: list[HandPickIn],
) -> None:
    if start <= clock.now():
        raise ValidationError("评审开始时间须晚于当前时间。", code="evaluation_in_past")
    if end <= start:
        raise ValidationError("评审结束时间须晚于开始时间。", code="evaluation_end_before_start")
    if not place.strip() and not is_remote:
        raise ValidationError("请填写评审地点，或选择远程评审。", code="place_required")
    if not counts:
        raise ValidationError("请至少填写一个评审专业及人数。", code="specialty_required")
    leaves = {s.code for s in leaf_specialties()}
    codes = [c.code for c in counts]
    if len(set(codes)) != len(codes):
        raise ValidationError("评审专业不能重复。", code="specialty_duplicate")
    if not set(codes) <= leaves:
        raise ValidationError("评审专业须为专业目录中的末级专业。", code="specialty_invalid")
    if any(c.primary < 1 or c.backup < 0 for c in counts):
        raise ValidationError("每个专业至少抽取 1 人，备选人数不能为负。", code="count_invalid")
    for org_id in (subject.purchaser_org_id, subject.agency_org_id, *subject.supplier_org_ids):
        if db.session.get(Org, org_id) is None:
            raise ValidationError(f"单位 {org_id} 不存在。", code="org_invalid")
    if hand_picks and not is_complex:
        raise ValidationError("只有技术复杂、专业性强的项目经批准后才能自行选定专家。", code="hand_pick_not_allowed")
    for pick in hand_picks:
        if not pick.approval_ref.strip() or not pick.reason.strip():
            raise ValidationError("自行选定专家须填写批准文号和理由。", code="hand_pick_approval_required")
        expert = db.session.get(Expert, pick.expert_id)
        if expert is None or expert.status.value != "active":
            raise ValidationError("自行选定的专家须为在库专家。", code="hand_pick_invalid")
        if pick.specialty_code not in codes:
            raise ValidationError("自行选定专家的评审专业须为本次申请的评审专业之一。",
                                  code="hand_pick_specialty_not_requested")
        if pick.specialty_code not in expert.specialty_codes:
            raise ValidationError(f"{expert.name}不具备所选评审专业，不能按该专业选定。",
                                  code="hand_pick_specialty_not_held")


def add_manual_exclusion(user: User, req: DrawRequest, expert_id: int, reason: str) -> ManualExclusion:
    """The agency asks, with a reason, that an expert not be drawn (audited, shown to finance)."""
    require_manage(user, req)
    req = lock_request(req.id)
    if req.status not in (RequestStatus.REQUESTED, RequestStatus.SHORT):
        raise Conflict("抽取已开始，不能再申请回避。", code="exclusions_closed")
    if not reason.strip():
        raise ValidationError("申请回避须说明理由。", code="reason_required")
    if db.session.get(Expert, expert_id) is None:
        raise ValidationError("没有这位专家。", code="expert_not_found")
    if any(e.expert_id == expert_id for e in req.exclusions):
        raise Conflict("已申请过这位专家的回避。", code="exclusion_exists")
    exclusion = ManualExclusion(
        request_id=req.id,
        expert_id=expert_id,
        reason=reason.strip(),
        created_by_id=user.id,
        created_at=clock.now(),
    )
    req.exclusions.append(exclusion)
    db.session.flush()
    record(
        "expert_draw.manual_exclusion",
        req,
        {"request_id": req.id, "expert_id": expert_id, "reason": exclusion.reason},
    )
    return exclusion


def find_expert_by_id_number(id_number: str) -> Expert:
    expert = db.session.scalar(select(Expert).where(Expert.id_number == id_number.strip().upper()))
    if expert is None:
        raise ValidationError("专家库中没有这个身份证号码。", code="expert_not_found")
    return expert


def cancel_request(user: User, req: DrawRequest, reason: str) -> list[int]:
    """The agency cancels the request; every invited or confirmed expert is told once the caller has
    committed (`tasks.notify_cancelled`). Returns the invitation ids told."""
    require_manage(user, req)
    req = lock_request(req.id)
    if not reason.strip():
        raise ValidationError("请填写取消理由。", code="reason_required")
    move_request(req, RequestStatus.CANCELLED)
    told: list[int] = []
    for inv in request_invitations(req):
        if inv.status in (InvitationStatus.STANDBY, InvitationStatus.INVITED, InvitationStatus.CONFIRMED):
            if inv.status != InvitationStatus.STANDBY:
                told.append(inv.id)
            move_invitation(
                inv,
                InvitationStatus.WITHDRAWN if inv.status != InvitationStatus.STANDBY else InvitationStatus.RELEASED,
                "request_cancelled",
            )
    record("expert_draw.request_cancelled", req, {"reason": reason.strip(), "experts_told": len(told)})
    if told:
        from expert_draw.tasks import notify_cancelled

        after_commit(notify_cancelled.delay, list(told))
    return told
