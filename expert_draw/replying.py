"""Replies and replacements: the expert confirms or declines, invitations time out or are withdrawn,
and each empty seat takes the next eligible expert of the draw's reserve order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from accounts.models import Role, User
from accounts.service import oversees
from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from expert_draw import rules
from expert_draw.drawing import event_payloads, invite, new_invitation, notify_after_commit
from expert_draw.models import (
    SEATED,
    Draw,
    DrawCandidate,
    DrawRequest,
    Invitation,
    InvitationKind,
    InvitationStatus,
    RequestStatus,
)
from expert_draw.pool import avoidance_context, expert_facts, gc_paused
from expert_draw.rule_table import rule_for
from expert_draw.transitions import lock_request, move_invitation, move_request
from expert_draw.verifier import (
    ACTION_DRAWN,
    ACTION_REPLACED,
    assignment_of,
    initial_consumed,
    replacement_walk,
    select_committee,
)
from expert_draw.visibility import can_manage
from registry.experts.models import (
    CreditKind,
    CreditRecord,
    Expert,
)
from registry.experts.service import (
    record_credit,
)


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
    return _confirm(_lock_invitation(inv), clock.now())


def _confirm(inv: Invitation, at: datetime) -> Invitation:
    if inv.status == InvitationStatus.INVITED and at >= inv.deadline_at:
        raise Conflict("答复期限已过。", code="reply_deadline_passed")
    inv.responded_at = at
    move_invitation(inv, InvitationStatus.CONFIRMED, "")
    req = lock_request(inv.request_id)
    if req.status in (RequestStatus.DRAWN, RequestStatus.SHORT) and _is_full(req):
        move_request(req, RequestStatus.COMPLETE)
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
    return _decline(inv, reason, clock.now())


def _decline(inv: Invitation, reason: str, at: datetime) -> list[int]:
    if not reason.strip():
        raise ValidationError("请填写不能参加的理由。", code="reason_required")
    inv = _lock_invitation(inv)
    if inv.status == InvitationStatus.INVITED and at >= inv.deadline_at:
        raise Conflict("答复期限已过。", code="reply_deadline_passed")
    inv.responded_at, inv.decline_reason = at, reason.strip()[:300]
    move_invitation(inv, InvitationStatus.DECLINED, reason.strip())
    rule = rule_for(inv.request.region_code)
    if at >= inv.request.evaluation_start_at - timedelta(hours=rule.late_decline_hours):
        record_credit(inv.expert, CreditKind.LATE_DECLINE, "临近评审拒绝参加", f"invitation:{inv.id}")
    return replace_seat(inv, "declined")


def record_phone_reply(actor: User, req: DrawRequest, reply_code: str, attend: bool, said_at: datetime,
                       reason: str = "", note: str = "") -> list[int]:
    """An expert answered by telephone (the voice call, or a call to the agency) quoting the reply code
    of the message: the agency records what was said and when, so an expert without an account (or
    away from a computer) is not timed out and charged for a reply given in time. The page never shows
    the agency whose seat the code is, so names stay sealed until the evaluation. Returns invitation
    ids to notify (a replacement after a decline)."""
    if not can_manage(actor, req):
        raise Forbidden("只有本项目的代理机构经办人可以登记电话答复。", code="not_request_agency")
    code = reply_code.strip().lower()
    inv = db.session.scalar(select(Invitation).where(Invitation.request_id == req.id,
                                                     func.lower(Invitation.reply_code) == code))
    if inv is None or not code:
        raise NotFound("本项目没有这个答复码的邀请，请核对专家报出的答复码。", code="invitation_not_found")
    inv = _lock_invitation(inv)
    if inv.status != InvitationStatus.INVITED:
        raise Conflict("该邀请已答复或已失效，无需登记。", code="invitation_not_pending")
    if said_at > clock.now():
        raise ValidationError("通话时间不能晚于现在。", code="said_at_in_future")
    if inv.notified_at is not None and said_at < inv.notified_at:
        raise ValidationError("通话时间早于邀请发出的时间。", code="said_at_before_invitation")
    inv.reply_by_phone, inv.reply_recorded_by_id, inv.reply_note = True, actor.id, note.strip()[:200]
    record("expert_draw.phone_reply_recorded", inv, {
        "invitation": inv.id, "attend": attend, "said_at": said_at.isoformat(), "by": actor.id,
        "note": inv.reply_note})
    if attend:
        _confirm(inv, said_at)
        return []
    return _decline(inv, reason, said_at)


def withdraw_invitation(actor: User, inv: Invitation, reason: str) -> list[int]:
    """An avoidance found later (or finance's decision): the expert leaves, a replacement is drawn."""
    req = inv.request
    if not ((actor.has_role(Role.SUPERVISOR) and oversees(actor, req.region_code)) or can_manage(actor, req)):
        raise Forbidden("只有代理机构经办人或监督人员可以撤换专家。", code="not_request_agency")
    if not reason.strip():
        raise ValidationError("请填写撤换的理由（如发现回避情形）。", code="reason_required")
    inv = _lock_invitation(inv)
    was_seated = inv.status in SEATED
    move_invitation(inv, InvitationStatus.WITHDRAWN, reason.strip())
    return replace_seat(inv, "avoidance") if was_seated else []


def time_out_invitations() -> list[int]:
    """Invitations past their reply deadline become timed out and are replaced, all in the caller's
    transaction (idempotent); returns the new invitations to notify. The sweep runs `time_out_invitation`
    for each one in its own transaction instead (expert_draw/timed.py)."""
    from core.chronograph import due_objects, step

    return [new for inv in due_objects(step("expert_draw.time_out_invitation")) for new in time_out_invitation(inv)]


def time_out_invitation(inv: Invitation) -> list[int]:
    """invited -> timed out at the reply deadline: a late-decline credit record, and the seat goes to the
    next expert in the reserve order (until the evaluation ends) or the request is short. Returns the
    replacement invitations to notify after the commit."""
    move_invitation(inv, InvitationStatus.TIMED_OUT, "no reply before the deadline")
    if inv.notified_at is None or inv.deadline_at > inv.notified_at:  # never for a window closed when it came
        record_credit(inv.expert, CreditKind.LATE_DECLINE, "未在期限内答复评审邀请", f"invitation:{inv.id}")
    if clock.now() < inv.request.evaluation_end_at:  # during the evaluation too: the committee waits
        return replace_seat(inv, "timed_out")
    _mark_short(lock_request(inv.request_id))
    return []


def _mark_short(req: DrawRequest) -> None:
    if req.status in (RequestStatus.DRAWN, RequestStatus.COMPLETE):
        move_request(req, RequestStatus.SHORT)


@gc_paused()
def replace_seat(inv: Invitation, reason: str) -> list[int]:
    """Take the next eligible expert of the specialty from the draw's reserve order (audited); the
    replacement is notified once the caller has committed."""
    req = lock_request(inv.request_id)
    if inv.kind == InvitationKind.HAND_PICKED or inv.draw_id is None:
        _mark_short(req)
        return []
    draw = db.session.execute(select(Draw).where(Draw.id == inv.draw_id).with_for_update()).scalar_one()
    committed = event_payloads(draw.id)[0]
    drawn = event_payloads(draw.id, ACTION_DRAWN)[0]
    result = select_committee(bytes.fromhex(drawn["seed"]), draw.id, committed["specialties"])
    assigned = assignment_of(result["selection"])
    consumed = initial_consumed(result["selection"])
    for event in event_payloads(draw.id, ACTION_REPLACED):
        consumed.update(leaf for leaf, _ in event["skipped"])
        if event["chosen"]:
            consumed.add(event["chosen"])
    ctx = avoidance_context(req, committed["rule_set"])
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
        reserve = (InvitationStatus.STANDBY, InvitationStatus.RELEASED)  # released: a backup at the start
        if held is not None and not (held.status in reserve and held.draw_id == draw.id):
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
        else new_invitation(req, draw, by_leaf[chosen], inv.specialty_code, InvitationKind.REPLACEMENT, chosen, inv)
    )
    new.replaces_id = inv.id
    invite(new)
    if req.status == RequestStatus.COMPLETE:
        move_request(req, RequestStatus.DRAWN)
    notify_after_commit([new.id])
    return [new.id]


def _reasons_now(req: DrawRequest, ctx: rules.AvoidanceContext, expert_id: int) -> list[tuple[str, str]]:
    facts = expert_facts(req, ctx, Expert.id == expert_id).get(expert_id)
    return rules.avoidance_reasons(facts, ctx) if facts else [("not_active", "missing")]


def record_no_show(actor: User, inv: Invitation) -> CreditRecord:
    """After the evaluation started, the agency records that a confirmed expert did not come."""
    if not can_manage(actor, inv.request):
        raise Forbidden("只有本项目的代理机构经办人可以登记缺席。", code="not_request_agency")
    if inv.status != InvitationStatus.CONFIRMED or clock.now() < inv.request.evaluation_start_at:
        raise Conflict("只能在评审开始后登记已确认专家的缺席。", code="no_show_refused")
    return record_credit(inv.expert, CreditKind.NO_SHOW, "确认后无故缺席评审", f"invitation:{inv.id}", actor)


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
