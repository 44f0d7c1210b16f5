"""Writes of the expert draw: request, exclusions, commitment, the draw, replies, replacements.

Each function checks guard, status and clock, changes state, records the audit event and
flushes; the view or task commits once and sends notifications after the commit.
"""

from __future__ import annotations

import gc
import json
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import String, func, or_, select, type_coerce

from accounts.models import Org, OrgKind, Region, Role, User
from accounts.service import oversees, regions_under
from audit.models import AuditEvent
from audit.service import event_json, record
from core import clock, secretbox
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.transitions import move_status
from expert_draw import rules
from expert_draw.models import (
    DRAW_TRANSITIONS,
    INVITATION_TRANSITIONS,
    REQUEST_TRANSITIONS,
    SEATED,
    Draw,
    DrawCandidate,
    DrawExclusion,
    DrawKind,
    DrawRequest,
    DrawRequestSpecialty,
    DrawRequestSupplier,
    DrawRule,
    DrawStatus,
    HandPick,
    Invitation,
    InvitationKind,
    InvitationStatus,
    ManualExclusion,
    RequestStatus,
)
from expert_draw.subject import DrawSubject, result_published_at, subject_for_project
from expert_draw.verifier import (
    ACTION_COMMITTED,
    ACTION_DISCARDED,
    ACTION_DRAWN,
    ACTION_REPLACED,
    ACTION_SALTS,
    VERSION,
    assignment_of,
    encode_pool,
    final_seed,
    initial_consumed,
    leaf_of,
    pool_digest,
    replacement_walk,
    seed_hash,
    select_committee,
)
from registry.experts.models import (
    CreditKind,
    CreditRecord,
    Expert,
    ExpertLeave,
    ExpertRelation,
    ExpertSpecialty,
    ExpertStatus,
)
from registry.experts.service import (
    credit_rule_for,
    credit_tier,
    leaf_specialties,
    record_credit,
    region_subtree,
)

SEED_PURPOSE = "expert_draw.server_seed"
SUPERVISOR_INPUT_RE = re.compile(r"^\d{6,32}$")
# Values of the national default rule row, created once when none exists (see DrawRule).
DEFAULT_RULE = {
    "min_committee": 5,
    "large_min_committee": 7,
    "large_budget_fen": 10_000_000_00,  # 1000 万元
    "expert_share_num": 2,
    "expert_share_den": 3,
    "opening_workdays": 2,
    "exempt_methods": "competitive_negotiation,competitive_consultation",
    "age_limit": 70,
    "employment_years": 3,
    "same_purchaser_days": 30,
    "allow_fallback": True,
    "confirm_hours": 24,
    "late_decline_hours": 24,
    "evaluation_hours": 8,
    "weighting": "",
    "panel_methods": "competitive_negotiation,competitive_consultation,inquiry,single_source",
    "panel_min_committee": 3,
    "panel_large_min_committee": 5,
    "panel_large_budget_fen": 4_000_000_00,  # 公开招标数额标准 400 万元
}
AGENCY_ROLES = (Role.AGENCY_STAFF,)
# Experts of the library considered for a pool; the not-active ones are excluded with their reason.
LISTED = (ExpertStatus.ACTIVE, ExpertStatus.SUSPENDED, ExpertStatus.REMOVED)


# ---------------------------------------------------------------- the rule table


def rule_for(region_code: str | None) -> DrawRule:
    """The rules in force for a region: its own row, else its city's or province's, else the default."""
    region = db.session.get(Region, region_code) if region_code else None
    for node in region.lineage() if region else []:
        rule = db.session.scalar(select(DrawRule).where(DrawRule.region_code == node.code))
        if rule is not None:
            return rule
    rule = db.session.scalar(select(DrawRule).where(DrawRule.region_code.is_(None)).order_by(DrawRule.id).limit(1))
    if rule is None:
        rule = DrawRule(region_code=None, **DEFAULT_RULE)
        db.session.add(rule)
        db.session.flush()
    return rule


def set_region_rule(actor: User, region_code: str | None, **values) -> DrawRule:
    """Create or change a region's rule row (finance or admin); the version goes up by one."""
    if not actor.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("只有财政监管人员可以修改抽取规则。", code="not_rule_owner")
    unknown = set(values) - set(DEFAULT_RULE)
    if unknown:
        raise ValidationError(f"未知的规则项：{', '.join(sorted(unknown))}", code="rule_unknown")
    rule = db.session.scalar(
        select(DrawRule).where(DrawRule.region_code == region_code if region_code else DrawRule.region_code.is_(None))
    )
    if rule is None:
        base = rule_for(region_code).values()
        rule = DrawRule(region_code=region_code, **{k: base[k] for k in DEFAULT_RULE}, version=0)
        db.session.add(rule)
    for key, value in values.items():
        setattr(rule, key, value)
    rule.version = (rule.version or 0) + 1
    _check_rule(rule)
    db.session.flush()
    record("expert_draw.rule_changed", rule, rule.values())
    return rule


def _check_rule(rule: DrawRule) -> None:
    """The rule table's CHECK constraints, with a message a supervisor can act on."""
    if rule.min_committee < 3 or rule.min_committee % 2 == 0 or rule.large_min_committee < rule.min_committee:
        raise ValidationError("最少人数须为不小于 3 的单数，大额项目最少人数不能更少。", code="rule_invalid")
    if (rule.panel_min_committee < 3 or rule.panel_min_committee % 2 == 0
            or rule.panel_large_min_committee < rule.panel_min_committee):
        raise ValidationError("谈判、磋商、询价小组最少人数须为不小于 3 的单数。", code="rule_invalid")
    if rule.expert_share_den <= 0 or not 0 <= rule.expert_share_num <= rule.expert_share_den:
        raise ValidationError("专家占比须为不大于 1 的分数。", code="rule_invalid")
    if rule.opening_workdays < 0 or rule.confirm_hours <= 0 or rule.evaluation_hours <= 0:
        raise ValidationError("时限须为正数。", code="rule_invalid")
    if rule.weighting.strip():
        _check_weighting(rule.weighting)


def _check_weighting(text: str) -> None:
    try:
        weights = {t.strip(): int(w) for t, w in (p.split(":") for p in text.split(","))}
    except ValueError:
        raise ValidationError("信用分档权重格式应为 A:3,B:2,C:1。", code="weighting_invalid") from None
    if not set(weights) <= {"A", "B", "C"} or not all(1 <= w <= 4 for w in weights.values()):
        raise ValidationError("信用分档只能是 A、B、C，权重为 1 到 4 的整数。", code="weighting_invalid")


# ---------------------------------------------------------------- transitions


def _move(obj, table, to, code: str) -> None:
    move_status(obj, table, to, code)


def _move_request(req: DrawRequest, to: RequestStatus) -> None:
    before = req.status
    _move(req, REQUEST_TRANSITIONS, to, "draw_request_transition_refused")
    record("expert_draw.request_status", req, {"from": before.value, "to": to.value})


def _invitations(req: DrawRequest) -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).where(Invitation.request_id == req.id).order_by(Invitation.id)))


def _lock_request(request_id: int) -> DrawRequest:
    req = db.session.execute(
        select(DrawRequest).where(DrawRequest.id == request_id).with_for_update()
    ).scalar_one_or_none()
    if req is None:
        raise NotFound("没有这个抽取申请。", code="draw_request_not_found")
    return req


def get_request(request_id: int) -> DrawRequest:
    req = db.session.get(DrawRequest, request_id)
    if req is None:
        raise NotFound("没有这个抽取申请。", code="draw_request_not_found")
    return req


# ---------------------------------------------------------------- who sees what


# What each role sees of a draw's committee, by period: (before the evaluation starts, from its start, from the
# result notice). CONTACTS = names, employers, phone numbers and decline reasons (to organise the evaluation);
# NAMES = names only (what the result notice publishes, 87号令); COUNTS = seats and states; NONE = nothing.
# The only place that decides it; expert_draw/README.md prints it and tests/expert_draw/test_pages.py checks it.
CONTACTS, NAMES, COUNTS, NONE = "contacts", "names", "counts", "none"
VIEWS: dict[str, tuple[str, str, str]] = {
    "supervisor": (CONTACTS, CONTACTS, CONTACTS),  # the region's finance supervisor; a look before the start is audited
    "agency": (COUNTS, CONTACTS, CONTACTS),         # the project's agency, which runs the evaluation
    "purchaser": (COUNTS, NAMES, NAMES),            # its representatives sit on the committee
    "supplier": (COUNTS, COUNTS, NAMES),            # a bidder named on the request: names with the result only
    "reviewer": (COUNTS, COUNTS, COUNTS),           # finance reviewers of the region, administrators
    "other": (NONE, NONE, NONE),                    # everyone else: the result notice itself is public
}


def viewer_kind(user: User, req: DrawRequest) -> str:
    """The row of VIEWS that `user` reads for this request."""
    if user.has_role(Role.SUPERVISOR) and oversees(user, req.region_code):
        return "supervisor"
    if user.has_role(Role.AGENCY_STAFF) and user.org_id == req.agency_org_id:
        return "agency"
    if user.has_role(Role.PURCHASER) and user.org_id == req.purchaser_org_id:
        return "purchaser"
    if user.has_role(Role.SUPPLIER) and user.org_id in req.supplier_org_ids:
        return "supplier"
    if user.has_role(Role.ADMIN) or (user.has_role(Role.FINANCE_REVIEWER) and oversees(user, req.region_code)):
        return "reviewer"
    return "other"


def period(req: DrawRequest) -> int:
    """0 before the evaluation starts, 1 from its start, 2 once the result notice is published."""
    if clock.now() < req.evaluation_start_at:
        return 0
    return 2 if result_published_at(req.project_id, req.lot_id) is not None else 1


def visibility(user: User, req: DrawRequest) -> str:
    """CONTACTS, NAMES, COUNTS or NONE: what `user` sees of the drawn experts now (the VIEWS table)."""
    return VIEWS[viewer_kind(user, req)][period(req)]


def require_view(user: User, req: DrawRequest) -> str:
    seen = visibility(user, req)
    if seen == "none":
        raise Forbidden("您无权查看此抽取申请。", code="draw_request_forbidden")
    return seen


def can_manage(user: User, req: DrawRequest) -> bool:
    return user.has_role(*AGENCY_ROLES) and user.org_id == req.agency_org_id


def require_manage(user: User, req: DrawRequest) -> None:
    if not can_manage(user, req):
        raise Forbidden("只有本项目的代理机构经办人可以操作。", code="not_request_agency")


def look_at_names(user: User, req: DrawRequest) -> bool:
    """Whether `user` may see the names now; a supervisor's look before the evaluation is audited."""
    seen = require_view(user, req)
    if seen in (NAMES, CONTACTS) and clock.now() < req.evaluation_start_at:
        record("expert_draw.names_viewed", req, {"request_id": req.id, "viewer": user.id})
    return seen in (NAMES, CONTACTS)


def requests_for(user: User) -> list[DrawRequest]:
    query = select(DrawRequest).order_by(DrawRequest.evaluation_start_at.desc())
    if user.has_role(Role.ADMIN):
        return list(db.session.scalars(query.limit(200)))
    if user.has_role(Role.SUPERVISOR, Role.FINANCE_REVIEWER):
        query = query.where(DrawRequest.region_code.in_(regions_under(user.region_code)))
        return list(db.session.scalars(query.limit(200)))
    if user.org_id is None:
        return []
    if user.has_role(Role.SUPPLIER):
        query = query.join(DrawRequestSupplier).where(DrawRequestSupplier.org_id == user.org_id)
    else:
        query = query.where(or_(DrawRequest.agency_org_id == user.org_id, DrawRequest.purchaser_org_id == user.org_id))
    return list(db.session.scalars(query.limit(200)))


# ---------------------------------------------------------------- the request


@dataclass
class SpecialtyCount:
    code: str
    primary: int
    backup: int = 0


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


def _check_hand_picks(req: DrawRequest, rule: DrawRule) -> None:
    """A hand-picked expert (自行选定) passes the same avoidance rules as a drawn one, or the request is
    refused with the rule named (the caller's transaction is rolled back: nothing is kept)."""
    if not req.hand_picks:
        return
    ctx = _avoidance_context(req, rule.values())
    facts = _facts(req, ctx, Expert.id.in_([h.expert_id for h in req.hand_picks]))
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


def add_manual_exclusion(user: User, req: DrawRequest, expert_id: int, reason: str) -> ManualExclusion:
    """The agency asks, with a reason, that an expert not be drawn (audited, shown to finance)."""
    require_manage(user, req)
    req = _lock_request(req.id)
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


def cancel_request(user: User, req: DrawRequest, reason: str) -> DrawRequest:
    require_manage(user, req)
    req = _lock_request(req.id)
    if not reason.strip():
        raise ValidationError("请填写取消理由。", code="reason_required")
    _move_request(req, RequestStatus.CANCELLED)
    for inv in _invitations(req):
        if inv.status in (InvitationStatus.STANDBY, InvitationStatus.INVITED, InvitationStatus.CONFIRMED):
            _move_invitation(
                inv,
                InvitationStatus.WITHDRAWN if inv.status != InvitationStatus.STANDBY else InvitationStatus.RELEASED,
                "request_cancelled",
            )
    record("expert_draw.request_cancelled", req, {"reason": reason.strip()})
    return req


# ---------------------------------------------------------------- the pool


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one pool-sized step (used as a decorator).

    A province-wide pool makes some 10^5 short-lived objects (rows, facts, candidate rows) and no
    reference cycles; with the collector on, they trigger full collections over the whole heap,
    a quarter of a commitment's time. Reference counting still frees everything; the collector
    is switched back on (if it was on) when the step ends, error or not.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _avoidance_context(req: DrawRequest, rule: dict) -> rules.AvoidanceContext:
    parties = {req.purchaser_org_id, *req.supplier_org_ids}
    names = {rules.normalise_name(n) for n in db.session.scalars(select(Org.name).where(Org.id.in_(parties)))}
    window = timedelta(days=rule["same_purchaser_days"])
    recent: set[int] = set()
    if rule["same_purchaser_days"] > 0:
        recent = set(
            db.session.scalars(
                select(Invitation.expert_id)
                .join(DrawRequest, DrawRequest.id == Invitation.request_id)
                .where(
                    DrawRequest.purchaser_org_id == req.purchaser_org_id,
                    DrawRequest.id != req.id,
                    Invitation.status.in_(SEATED),
                    DrawRequest.evaluation_start_at > req.evaluation_start_at - window,
                    DrawRequest.evaluation_start_at < req.evaluation_start_at + window,
                )
            )
        )
    busy = set(
        db.session.scalars(
            select(Invitation.expert_id)
            .join(DrawRequest, DrawRequest.id == Invitation.request_id)
            .where(
                DrawRequest.id != req.id,
                Invitation.status.in_(SEATED),
                DrawRequest.evaluation_start_at < req.evaluation_end_at,
                DrawRequest.evaluation_end_at > req.evaluation_start_at,
            )
        )
    )
    return rules.AvoidanceContext(
        rule=rule,
        evaluation_day=clock.to_local(req.evaluation_start_at).date(),
        purchaser_org_id=req.purchaser_org_id,
        agency_org_id=req.agency_org_id,
        supplier_org_ids=set(req.supplier_org_ids),
        party_names=names,
        agency_name=req.agency.name,
        finance_org_ids=set(db.session.scalars(select(Org.id).where(Org.kind == OrgKind.FINANCE))),
        recent_same_purchaser=recent,
        busy=busy,
        manual={e.expert_id: e.reason for e in req.exclusions},
        hand_picked={h.expert_id for h in req.hand_picks},
    )


def _facts(req: DrawRequest, ctx: rules.AvoidanceContext, expert_filter) -> dict[int, rules.ExpertFacts]:
    """Bulk-load the facts of the experts matching `expert_filter` (a SQL condition on Expert)."""
    rows = _core_rows(
        select(Expert.id, Expert.status, Expert.birth_date, Expert.employer_org_id, Expert.employer_name).where(
            expert_filter
        )
    )
    facts = {r[0]: rules.ExpertFacts(r[0], r[1].value, r[2], r[3], r[4]) for r in rows}
    return _add_leave_and_relations(req, ctx, facts)


def _core_rows(statement) -> list:
    """The rows of a column query as plain tuples, through Core: for tens of thousands of rows the
    ORM's row handling costs more than the query (pending ORM changes are flushed first)."""
    db.session.flush()
    return db.session.connection().execute(statement).all()


def _as_date(value: str | date) -> date:
    """A DATE read without SQLAlchemy's conversion: SQLite gives 'YYYY-MM-DD', PostgreSQL a date."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _add_leave_and_relations(
    req: DrawRequest, ctx: rules.AvoidanceContext, facts: dict[int, rules.ExpertFacts]
) -> dict[int, rules.ExpertFacts]:
    """Mark the experts on leave during the evaluation and attach their relations to the parties."""
    first = ctx.evaluation_day
    last = clock.to_local(req.evaluation_end_at).date()
    for expert_id in db.session.scalars(
        select(ExpertLeave.expert_id).where(ExpertLeave.start_on <= last, ExpertLeave.end_on >= first)
    ):
        if expert_id in facts:
            facts[expert_id].on_leave = True
    # names compared as employers are (normalised on both sides): a space or a full-width bracket in a
    # declared relation's name must not let it escape
    party_names = {rules.normalise_name(n) for n in ctx.party_names} | {
        rules.normalise_name(n) for n in db.session.scalars(select(Org.name).where(Org.id.in_(ctx.party_org_ids)))
    }
    relations = db.session.execute(
        select(
            ExpertRelation.expert_id,
            ExpertRelation.kind,
            ExpertRelation.org_id,
            ExpertRelation.org_name,
            ExpertRelation.end_on,
        ).where(or_(ExpertRelation.org_id.in_(ctx.party_org_ids),
                    rules.normalised_sql(ExpertRelation.org_name).in_(party_names)))
    )
    for r in relations:
        if r.expert_id in facts:
            facts[r.expert_id].relations.append((r.kind.value, r.org_id, r.org_name, r.end_on))
    return facts


def _weights(rule: DrawRule, region_code: str, expert_ids: Iterable[int]) -> dict[int, int]:
    weights = rule.weights()
    if not weights:
        return {}
    credit = credit_rule_for(region_code)
    since = clock.now() - timedelta(days=credit.window_days)
    points = dict(
        db.session.execute(
            select(CreditRecord.expert_id, func.sum(CreditRecord.points))
            .where(CreditRecord.occurred_at > since)
            .group_by(CreditRecord.expert_id)
        ).all()
    )
    return {e: weights.get(credit_tier(int(points.get(e, 0)), credit), 1) for e in expert_ids}


@dataclass
class Pool:
    scope: str
    tried: list[str]
    members: dict[str, list[int]]  # specialty -> eligible expert ids
    exclusions: list[tuple[int, str, str]]  # (expert id, rule, detail)


def _build_pool(req: DrawRequest, rule: DrawRule, counts: list[SpecialtyCount], already: set[int]) -> Pool:
    ctx = _avoidance_context(req, rule.values())
    codes = [c.code for c in counts]
    lineage = [r.code for r in db.session.get(Region, req.region_code).lineage()]
    tried: list[str] = []
    for level, scope_code in enumerate(lineage):
        tried.append(scope_code)
        # One query for the (expert, specialty) pairs of the scope and the facts of their experts;
        # status and birth date are read as the driver gives them (type_coerce: no per-row conversion).
        rows = _core_rows(
            select(
                ExpertSpecialty.expert_id,
                ExpertSpecialty.specialty_code,
                type_coerce(Expert.status, String),
                type_coerce(Expert.birth_date, String),
                Expert.employer_org_id,
                Expert.employer_name,
            )
            .join(Expert, Expert.id == ExpertSpecialty.expert_id)
            .where(
                ExpertSpecialty.specialty_code.in_(codes),
                Expert.region_code.in_(region_subtree(scope_code)),
                Expert.status.in_(LISTED),
            )
        )
        facts: dict[int, rules.ExpertFacts] = {}
        for expert_id, _, status, birth_date, employer_org_id, employer_name in rows:
            if expert_id not in facts:
                facts[expert_id] = rules.ExpertFacts(
                    expert_id, status, _as_date(birth_date), employer_org_id, employer_name
                )
        _add_leave_and_relations(req, ctx, facts)
        excluded: list[tuple[int, str, str]] = []
        bad: set[int] = set()
        for f in facts.values():
            reasons = rules.avoidance_reasons(f, ctx)
            if f.id in already:
                reasons.append(("already_drawn", "本项目已抽取"))
            if reasons:
                bad.add(f.id)
                excluded.extend((f.id, code, detail[:200]) for code, detail in reasons)
        members: dict[str, list[int]] = {c: [] for c in codes}
        for expert_id, code, *_ in rows:
            if expert_id not in bad:
                members[code].append(expert_id)
        enough = all(len(members[c.code]) >= c.primary + c.backup for c in counts)
        if enough or not rule.allow_fallback or level == len(lineage) - 1:
            return Pool(scope_code, tried, members, excluded)
    raise AssertionError("unreachable")


def _committed(draw_id: int, action: str = ACTION_COMMITTED) -> list[dict]:
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == Draw.__tablename__,
            AuditEvent.object_id == str(draw_id),
            AuditEvent.action == action,
        )
        .order_by(AuditEvent.seq)
    )
    return [json.loads(e.payload) for e in events]


def draw_events(draw_id: int) -> list[dict]:
    """The audit events of one draw, as the standalone verifier reads them."""
    return [
        event_json(e)
        for e in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == Draw.__tablename__, AuditEvent.object_id == str(draw_id))
            .order_by(AuditEvent.seq)
        )
    ]


@_gc_paused()
def commit_draw(user: User, req: DrawRequest, beacon: str | None = None) -> Draw:
    """Filter the pool, commit to it (salted leaves) and to the hash of a fresh server seed.

    An initial draw from a requested request; a supplementary one (missing seats only, over
    the scope the rules allow) from a request that ran short.
    """
    require_manage(user, req)
    req = _lock_request(req.id)
    if req.status == RequestStatus.REQUESTED:
        kind, counts = (
            DrawKind.INITIAL,
            [SpecialtyCount(s.specialty_code, s.primary_count, s.backup_count) for s in req.specialties],
        )
    elif req.status == RequestStatus.SHORT:
        kind, counts = (
            DrawKind.SUPPLEMENT,
            [SpecialtyCount(code, n, 0) for code, n in missing_seats(req).items() if n > 0],
        )
        if not counts:
            raise Conflict("没有缺额，无需补充抽取。", code="nothing_missing")
    else:
        raise Conflict("当前状态不能发起抽取。", code="draw_request_transition_refused")
    now = clock.now()
    _check_draw_window(req, now)
    _refresh_suppliers(req)
    rule = rule_for(req.region_code)
    already = set(db.session.scalars(select(Invitation.expert_id).where(Invitation.request_id == req.id)))
    pool = _build_pool(req, rule, counts, already)
    server_seed = secrets.token_bytes(32)
    draw = Draw(
        request_id=req.id,
        kind=kind,
        status=DrawStatus.COMMITTED,
        scope_region_code=pool.scope,
        rule_version=rule.version,
        sealed_seed=secretbox.seal(server_seed, SEED_PURPOSE),
        seed_hash=seed_hash(server_seed),
        beacon=beacon or None,
        pool_size=len({e for ids in pool.members.values() for e in ids}),
        committed_at=now,
    )
    db.session.add(draw)
    db.session.flush()
    specialties = _commit_candidates(draw, rule, req.region_code, counts, pool)
    _insert_rows(
        DrawExclusion.__table__,
        ("draw_id", "expert_id", "rule", "detail"),
        [(draw.id, e, r, d) for e, r, d in pool.exclusions],
    )
    record(
        ACTION_COMMITTED,
        draw,
        {
            "draw_id": draw.id,
            "request_id": req.id,
            "kind": kind.value,
            "version": VERSION,
            "rule_set": rule.values(),
            "scope": pool.scope,
            "scopes_tried": pool.tried,
            "specialties": specialties,
            "pool_digest": pool_digest(specialties),
            "seed_hash": draw.seed_hash,
            "excluded": rules.reason_counts((e, r) for e, r, _ in pool.exclusions),
            "hand_picked": len(req.hand_picks) if kind == DrawKind.INITIAL else 0,
            "beacon": draw.beacon,
        },
    )
    _move_request(req, RequestStatus.COMMITTED)
    return draw


def _refresh_suppliers(req: DrawRequest) -> None:
    """Suppliers that registered or bid after the request was made are avoided too (tender's data)."""
    if req.project_id is None:
        return
    try:
        current = subject_for_project(req.project_id, req.lot_id).supplier_org_ids
    except NotFound:
        return
    added = sorted(current - req.supplier_org_ids)
    if added:
        req.suppliers.extend(DrawRequestSupplier(org_id=o) for o in added)
        db.session.flush()
        record("expert_draw.suppliers_refreshed", req, {"request_id": req.id, "added": added})


def _check_draw_window(req: DrawRequest, now: datetime) -> None:
    """The draw (commitment and drawing) happens between its opening time and the evaluation start."""
    if req.opens_at is not None and now < req.opens_at:
        raise Conflict(f"尚未到可抽取时间（{clock.format_local(req.opens_at)} 起）。", code="draw_not_open")
    if now >= req.evaluation_start_at:
        raise Conflict("评审已经开始，不能再抽取。", code="evaluation_started")


def _commit_candidates(
    draw: Draw, rule: DrawRule, region_code: str, counts: list[SpecialtyCount], pool: Pool
) -> list[dict]:
    expert_ids = sorted({e for ids in pool.members.values() for e in ids})
    weights = _weights(rule, region_code, expert_ids)
    randomness = secrets.token_bytes(16 * len(expert_ids))  # one 16-byte salt per expert, fresh per draw
    salts = {e: randomness[16 * i : 16 * i + 16] for i, e in enumerate(expert_ids)}
    leaves = {e: leaf_of(salts[e], e) for e in expert_ids}
    _insert_rows(
        DrawCandidate.__table__,
        ("draw_id", "expert_id", "salt", "leaf", "weight"),
        [(draw.id, e, salts[e], leaves[e], weights.get(e, 1)) for e in expert_ids],
    )
    return [
        {
            "code": c.code,
            "primary": c.primary,
            "backup": c.backup,
            "size": len(pool.members[c.code]),
            **encode_pool([leaves[e], weights.get(e, 1)] for e in pool.members[c.code]),
        }
        for c in counts
    ]


def _insert_rows(table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert many rows of plain values (ints, strings, bytes) in the session's transaction.

    A pool is tens of thousands of candidate rows: PostgreSQL (psycopg) takes them by COPY, other
    databases by one executemany of the driver — both skip SQLAlchemy's per-row parameter handling.
    """
    if not rows:
        return
    db.session.flush()
    conn = db.session.connection()
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        cursor = conn.connection.dbapi_connection.cursor()
        with cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join([mark] * len(columns))})", rows)


def discard_draw(user: User, draw: Draw, reason: str) -> Draw:
    """Abandon a committed draw before it is drawn; its id stays in the log as discarded."""
    req = _lock_request(draw.request_id)
    require_manage(user, req)
    if not reason.strip():
        raise ValidationError("请填写放弃本次抽取的理由。", code="reason_required")
    _move(draw, DRAW_TRANSITIONS, DrawStatus.DISCARDED, "draw_transition_refused")
    draw.sealed_seed = None
    record(ACTION_DISCARDED, draw, {"draw_id": draw.id, "reason": reason.strip()})
    _move_request(req, RequestStatus.REQUESTED if draw.kind == DrawKind.INITIAL else RequestStatus.SHORT)
    return draw


# ---------------------------------------------------------------- the draw


@_gc_paused()
def run_draw(draw: Draw, supervisor: User, supervisor_input: str, beacon_value: str | None = None) -> list[int]:
    """Join the supervisor's number (and the beacon) to the committed seed and draw; returns the
    invitation ids to notify once the caller has committed."""
    req = _lock_request(draw.request_id)
    if not (supervisor.has_role(Role.SUPERVISOR) and oversees(supervisor, req.region_code)):
        raise Forbidden("随机数须由本地区的监督人员输入。", code="not_supervisor")
    draw = db.session.execute(select(Draw).where(Draw.id == draw.id).with_for_update()).scalar_one()
    if draw.status != DrawStatus.COMMITTED or req.status != RequestStatus.COMMITTED:
        raise Conflict("这次抽取不在待抽取状态。", code="draw_transition_refused")
    now = clock.now()
    _check_draw_window(req, now)
    supervisor_input = (supervisor_input or "").strip()
    if not SUPERVISOR_INPUT_RE.match(supervisor_input):
        raise ValidationError("监督人员随机数须为 6 到 32 位数字。", code="supervisor_input_invalid")
    if draw.beacon and not (beacon_value or "").strip():
        raise ValidationError("本次抽取约定了公共随机信标，请填写信标值。", code="beacon_required")
    server_seed = secretbox.unseal(draw.sealed_seed, SEED_PURPOSE)
    committed = _committed(draw.id)[0]
    seed = final_seed(server_seed, supervisor_input, beacon_value if draw.beacon else None)
    result = select_committee(seed, draw.id, committed["specialties"])
    draw.status, draw.sealed_seed, draw.seed, draw.drawn_at = DrawStatus.DRAWN, None, seed.hex(), now
    draw.supervisor_id, draw.supervisor_input = supervisor.id, supervisor_input
    draw.beacon_value = beacon_value if draw.beacon else None
    record(
        ACTION_DRAWN,
        draw,
        {
            "draw_id": draw.id,
            "server_seed": server_seed.hex(),
            "supervisor_input": supervisor_input,
            "beacon_value": draw.beacon_value,
            "seed": seed.hex(),
            "selection": result["selection"],
            "short": result["short"],
        },
    )
    notify = _seat(req, draw, result["selection"])
    _move_request(req, RequestStatus.SHORT if any(missing_seats(req).values()) else RequestStatus.DRAWN)
    return notify


def _experts_by_leaf(draw_id: int, leaves: Iterable[str]) -> dict[str, int]:
    leaves = list(leaves)
    if not leaves:
        return {}
    return dict(
        db.session.execute(
            select(DrawCandidate.leaf, DrawCandidate.expert_id).where(
                DrawCandidate.draw_id == draw_id, DrawCandidate.leaf.in_(leaves)
            )
        ).all()
    )


def _seat(req: DrawRequest, draw: Draw, selection: list[dict]) -> list[int]:
    by_leaf = _experts_by_leaf(draw.id, [leaf for s in selection for leaf in s["primary"] + s["backup"]])
    rule = rule_for(req.region_code)
    notify = []
    for spec in selection:
        for leaf in spec["primary"]:
            notify.append(
                _invite(_new_invitation(req, draw, by_leaf[leaf], spec["code"], InvitationKind.PRIMARY, leaf), rule).id
            )
        for leaf in spec["backup"]:
            _new_invitation(req, draw, by_leaf[leaf], spec["code"], InvitationKind.BACKUP, leaf)
    if draw.kind == DrawKind.INITIAL:
        for pick in req.hand_picks:
            inv = _new_invitation(req, draw, pick.expert_id, pick.specialty_code, InvitationKind.HAND_PICKED, None)
            notify.append(_invite(inv, rule).id)
    db.session.flush()
    return notify


def _new_invitation(
    req: DrawRequest,
    draw: Draw | None,
    expert_id: int,
    code: str,
    kind: InvitationKind,
    leaf: str | None,
    replaces: Invitation | None = None,
) -> Invitation:
    inv = Invitation(
        request_id=req.id,
        draw_id=draw.id if draw else None,
        expert_id=expert_id,
        specialty_code=code,
        kind=kind,
        leaf=leaf,
        status=InvitationStatus.STANDBY,
        reply_code=secrets.token_urlsafe(9)[:12],
        replaces_id=replaces.id if replaces else None,
    )
    db.session.add(inv)
    db.session.flush()
    return inv


def _invite(inv: Invitation, rule: DrawRule | None = None) -> Invitation:
    req = inv.request
    rule = rule or rule_for(req.region_code)
    now = clock.now()
    inv.notified_at = now
    inv.deadline_at = min(now + timedelta(hours=rule.confirm_hours), req.evaluation_start_at)
    _move_invitation(inv, InvitationStatus.INVITED, "")
    db.session.flush()
    return inv


def _move_invitation(inv: Invitation, to: InvitationStatus, reason: str) -> None:
    before = inv.status
    _move(inv, INVITATION_TRANSITIONS, to, "invitation_transition_refused")
    record(
        "expert_draw.invitation_status",
        inv,
        {
            "request_id": inv.request_id,
            "invitation_id": inv.id,
            "from": before.value,
            "to": to.value,
            "reason": reason,
        },
    )


def missing_seats(req: DrawRequest) -> dict[str, int]:
    """Per specialty, the seats not held by an invited or confirmed expert (hand-picked count too)."""
    seated: dict[str, int] = {}
    for inv in db.session.scalars(
        select(Invitation).where(Invitation.request_id == req.id, Invitation.status.in_(SEATED))
    ):
        if inv.kind != InvitationKind.HAND_PICKED:
            seated[inv.specialty_code] = seated.get(inv.specialty_code, 0) + 1
    return {s.specialty_code: max(0, s.primary_count - seated.get(s.specialty_code, 0)) for s in req.specialties}


def seat_counts(req: DrawRequest) -> list[dict]:
    """Counts and states per specialty: what the agency, purchaser and suppliers may see."""
    rows = []
    invitations = list(db.session.scalars(select(Invitation).where(Invitation.request_id == req.id)))
    missing = missing_seats(req)
    for spec in req.specialties:
        states: dict[str, int] = {}
        for inv in invitations:
            if inv.specialty_code == spec.specialty_code:
                states[inv.status.value] = states.get(inv.status.value, 0) + 1
        rows.append(
            {
                "specialty": spec.specialty_code,
                "primary": spec.primary_count,
                "backup": spec.backup_count,
                "states": states,
                "missing": missing.get(spec.specialty_code, 0),
            }
        )
    return rows


# ---------------------------------------------------------------- replies and replacements


def invitation_for_code(user: User, reply_code: str) -> Invitation:
    inv = db.session.scalar(select(Invitation).where(Invitation.reply_code == reply_code))
    if inv is None or inv.expert.user_id != user.id:
        raise NotFound("没有这份评审邀请。", code="invitation_not_found")
    return inv


def _lock_invitation(inv: Invitation) -> Invitation:
    return db.session.execute(select(Invitation).where(Invitation.id == inv.id).with_for_update()).scalar_one()


def confirm_invitation(user: User, inv: Invitation) -> Invitation:
    """The expert confirms attendance before the reply deadline."""
    if inv.expert.user_id != user.id:
        raise Forbidden("这不是您的评审邀请。", code="not_your_invitation")
    inv = _lock_invitation(inv)
    if inv.status == InvitationStatus.INVITED and clock.now() >= inv.deadline_at:
        raise Conflict("答复期限已过。", code="reply_deadline_passed")
    inv.responded_at = clock.now()
    _move_invitation(inv, InvitationStatus.CONFIRMED, "")
    req = _lock_request(inv.request_id)
    if req.status in (RequestStatus.DRAWN, RequestStatus.SHORT) and _is_full(req):
        _move_request(req, RequestStatus.COMPLETE)
    return inv


def _is_full(req: DrawRequest) -> bool:
    confirmed = db.session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(Invitation.request_id == req.id, Invitation.status == InvitationStatus.CONFIRMED)
    )
    return confirmed >= req.primary_total + len(req.hand_picks)


def decline_invitation(user: User, inv: Invitation, reason: str) -> list[int]:
    """The expert declines with a reason; a replacement is drawn. Returns invitation ids to notify."""
    if inv.expert.user_id != user.id:
        raise Forbidden("这不是您的评审邀请。", code="not_your_invitation")
    if not reason.strip():
        raise ValidationError("请填写不能参加的理由。", code="reason_required")
    inv = _lock_invitation(inv)
    if inv.status == InvitationStatus.INVITED and clock.now() >= inv.deadline_at:
        raise Conflict("答复期限已过。", code="reply_deadline_passed")
    inv.responded_at, inv.decline_reason = clock.now(), reason.strip()[:300]
    _move_invitation(inv, InvitationStatus.DECLINED, reason.strip())
    rule = rule_for(inv.request.region_code)
    if clock.now() >= inv.request.evaluation_start_at - timedelta(hours=rule.late_decline_hours):
        record_credit(inv.expert, CreditKind.LATE_DECLINE, "临近评审拒绝参加", f"invitation:{inv.id}")
    return replace_seat(inv, "declined")


def withdraw_invitation(actor: User, inv: Invitation, reason: str) -> list[int]:
    """An avoidance found later (or finance's decision): the expert leaves, a replacement is drawn."""
    req = inv.request
    if not ((actor.has_role(Role.SUPERVISOR) and oversees(actor, req.region_code)) or can_manage(actor, req)):
        raise Forbidden("只有代理机构经办人或监督人员可以撤换专家。", code="not_request_agency")
    if not reason.strip():
        raise ValidationError("请填写撤换的理由（如发现回避情形）。", code="reason_required")
    inv = _lock_invitation(inv)
    was_seated = inv.status in SEATED
    _move_invitation(inv, InvitationStatus.WITHDRAWN, reason.strip())
    return replace_seat(inv, "avoidance") if was_seated else []


def time_out_invitations() -> list[int]:
    """Invitations past their reply deadline become timed out and are replaced (idempotent)."""
    due = list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.status == InvitationStatus.INVITED, Invitation.deadline_at <= clock.now())
            .order_by(Invitation.id)
            .with_for_update()
        )
    )
    notify: list[int] = []
    for inv in due:
        _move_invitation(inv, InvitationStatus.TIMED_OUT, "no reply before the deadline")
        record_credit(inv.expert, CreditKind.LATE_DECLINE, "未在期限内答复评审邀请", f"invitation:{inv.id}")
        if clock.now() < inv.request.evaluation_start_at:
            notify += replace_seat(inv, "timed_out")
        else:
            _mark_short(_lock_request(inv.request_id))
    return notify


def _mark_short(req: DrawRequest) -> None:
    if req.status in (RequestStatus.DRAWN, RequestStatus.COMPLETE):
        _move_request(req, RequestStatus.SHORT)


@_gc_paused()
def replace_seat(inv: Invitation, reason: str) -> list[int]:
    """Take the next eligible expert of the specialty from the draw's reserve order (audited)."""
    req = _lock_request(inv.request_id)
    if inv.kind == InvitationKind.HAND_PICKED or inv.draw_id is None:
        _mark_short(req)
        return []
    draw = db.session.execute(select(Draw).where(Draw.id == inv.draw_id).with_for_update()).scalar_one()
    committed = _committed(draw.id)[0]
    drawn = _committed(draw.id, ACTION_DRAWN)[0]
    result = select_committee(bytes.fromhex(drawn["seed"]), draw.id, committed["specialties"])
    assigned = assignment_of(result["selection"])
    consumed = initial_consumed(result["selection"])
    for event in _committed(draw.id, ACTION_REPLACED):
        consumed.update(leaf for leaf, _ in event["skipped"])
        if event["chosen"]:
            consumed.add(event["chosen"])
    ctx = _avoidance_context(req, committed["rule_set"])
    taken = {i.expert_id: i for i in db.session.scalars(select(Invitation).where(Invitation.request_id == req.id))}
    by_leaf = dict(
        db.session.execute(
            select(DrawCandidate.leaf, DrawCandidate.expert_id).where(DrawCandidate.draw_id == draw.id)
        ).all()
    )
    skipped, chosen = [], None
    for leaf in replacement_walk(result["orders"][inv.specialty_code], inv.specialty_code, assigned, consumed):
        expert_id = by_leaf[leaf]
        reasons = _reasons_now(req, ctx, expert_id)
        held = taken.get(expert_id)
        if held is not None and not (held.status == InvitationStatus.STANDBY and held.draw_id == draw.id):
            reasons.append(("already_drawn", held.status.value))
        if reasons:
            skipped.append([leaf, reasons[0][0]])
            consumed.add(leaf)
            continue
        chosen = leaf
        break
    draw.replacement_count += 1
    record(
        ACTION_REPLACED,
        draw,
        {
            "draw_id": draw.id,
            "n": draw.replacement_count,
            "specialty": inv.specialty_code,
            "replaces": inv.leaf,
            "reason": reason,
            "skipped": skipped,
            "chosen": chosen,
        },
    )
    if chosen is None:
        _mark_short(req)
        return []
    standby = taken.get(by_leaf[chosen])
    new = (
        standby
        if standby is not None
        else _new_invitation(req, draw, by_leaf[chosen], inv.specialty_code, InvitationKind.REPLACEMENT, chosen, inv)
    )
    new.replaces_id = inv.id
    _invite(new)
    if req.status == RequestStatus.COMPLETE:
        _move_request(req, RequestStatus.DRAWN)
    return [new.id]


def _reasons_now(req: DrawRequest, ctx: rules.AvoidanceContext, expert_id: int) -> list[tuple[str, str]]:
    facts = _facts(req, ctx, Expert.id == expert_id).get(expert_id)
    return rules.avoidance_reasons(facts, ctx) if facts else [("not_active", "missing")]


def record_no_show(actor: User, inv: Invitation) -> CreditRecord:
    """After the evaluation started, the agency records that a confirmed expert did not come."""
    if not can_manage(actor, inv.request):
        raise Forbidden("只有本项目的代理机构经办人可以登记缺席。", code="not_request_agency")
    if inv.status != InvitationStatus.CONFIRMED or clock.now() < inv.request.evaluation_start_at:
        raise Conflict("只能在评审开始后登记已确认专家的缺席。", code="no_show_refused")
    return record_credit(inv.expert, CreditKind.NO_SHOW, "确认后无故缺席评审", f"invitation:{inv.id}", actor)


# ---------------------------------------------------------------- after the evaluation starts


@_gc_paused()
def publish_salts(req: DrawRequest) -> None:
    """At the evaluation start: publish every draw's salts, so anyone can map leaves to experts."""
    req = _lock_request(req.id)
    if req.salts_published_at is not None:
        return
    if clock.now() < req.evaluation_start_at:
        raise Conflict("评审开始前不能公开专家名单。", code="names_sealed")
    for draw in db.session.scalars(
        select(Draw).where(Draw.request_id == req.id, Draw.status == DrawStatus.DRAWN).order_by(Draw.id)
    ):
        salts = db.session.execute(
            select(DrawCandidate.expert_id, DrawCandidate.salt)
            .where(DrawCandidate.draw_id == draw.id)
            .order_by(DrawCandidate.expert_id)
        ).all()
        record(ACTION_SALTS, draw, {"draw_id": draw.id, "salts": [[e, s.hex()] for e, s in salts]})
    for inv in _invitations(req):
        if inv.status == InvitationStatus.STANDBY:
            _move_invitation(inv, InvitationStatus.RELEASED, "evaluation started")
    req.salts_published_at = clock.now()
    db.session.flush()


def publish_due() -> int:
    """Publish the salts of every request whose evaluation has started (idempotent, for the sweep)."""
    due = list(
        db.session.scalars(
            select(DrawRequest).where(
                DrawRequest.evaluation_start_at <= clock.now(),
                DrawRequest.salts_published_at.is_(None),
                DrawRequest.status.in_([RequestStatus.DRAWN, RequestStatus.SHORT, RequestStatus.COMPLETE]),
            )
        )
    )
    for req in due:
        publish_salts(req)
    return len(due)


# ---------------------------------------------------------------- expert side


def invitations_of(user: User) -> list[Invitation]:
    expert = db.session.scalar(select(Expert).where(Expert.user_id == user.id))
    if expert is None:
        return []
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.expert_id == expert.id, Invitation.status != InvitationStatus.STANDBY)
            .order_by(Invitation.id.desc())
        )
    )


def exclusions_of(draw: Draw) -> list[DrawExclusion]:
    return list(
        db.session.scalars(
            select(DrawExclusion)
            .where(DrawExclusion.draw_id == draw.id)
            .order_by(DrawExclusion.rule, DrawExclusion.expert_id)
        )
    )
