"""What each viewer sees of a draw request: decided here once, for the pages and the API alike."""

from __future__ import annotations

from accounts.models import User
from core import clock
from core.i18n import N_
from expert_draw import service
from expert_draw.models import DrawRequest, Invitation
from expert_draw.rules import AVOIDANCE_RULES

STATUS_LABELS = {
    "requested": N_("待抽取"),
    "committed": N_("已封存候选池，待监督人员输入随机数"),
    "drawn": N_("已抽取，待专家确认"),
    "short": N_("专家不足"),
    "complete": N_("评审委员会已组齐"),
    "cancelled": N_("已取消"),
}
INVITATION_LABELS = {
    "standby": N_("候补"),
    "invited": N_("待答复"),
    "confirmed": N_("已确认"),
    "declined": N_("已拒绝"),
    "timed_out": N_("超时未答复"),
    "withdrawn": N_("已撤换"),
    "released": N_("未启用"),
}
DRAW_KIND_LABELS = {"initial": N_("首次抽取"), "supplement": N_("补充抽取（扩大范围）")}
DRAW_STATUS_LABELS = {"committed": N_("候选池已封存"), "drawn": N_("已抽取"), "discarded": N_("已作废")}
KIND_LABELS = {"primary": N_("抽取"), "backup": N_("候补"), "replacement": N_("补抽"), "hand_picked": N_("自行选定")}
METHOD_LABELS = {
    "public_tender": N_("公开招标"),
    "invited_tender": N_("邀请招标"),
    "competitive_negotiation": N_("竞争性谈判"),
    "competitive_consultation": N_("竞争性磋商"),
    "inquiry": N_("询价"),
    "single_source": N_("单一来源"),
}


def member_row(inv: Invitation, level: str) -> dict:
    """One seat as the VIEWS level allows: counts and states, plus the name (NAMES), plus how to reach the
    expert (CONTACTS)."""
    row = {
        "id": inv.id,
        "specialty": inv.specialty_code,
        "kind": inv.kind.value,
        "kind_label": KIND_LABELS[inv.kind.value],
        "status": inv.status.value,
        "status_label": INVITATION_LABELS[inv.status.value],
        "is_hand_picked": inv.kind.value == "hand_picked",
        "deadline_at": inv.deadline_at.isoformat() if inv.deadline_at else None,
    }
    if level == service.NAMES:
        row["name"] = inv.expert.name
    elif level == service.CONTACTS:
        row |= {
            "expert_id": inv.expert_id,
            "name": inv.expert.name,
            "employer": inv.expert.employer_name,
            "phone": inv.expert.phone,
            "decline_reason": inv.decline_reason,
        }
    return row


def present_request(req: DrawRequest, user: User, *, names: bool = False) -> dict:
    """The request as `user` may see it; `names` only when the caller went through look_at_names."""
    seen = service.require_view(user, req)
    with_names = names and seen in (service.NAMES, service.CONTACTS)
    data = {
        "id": req.id,
        "project_id": req.project_id,
        "lot_id": req.lot_id,
        "title": req.project_title,
        "method": req.method,
        "method_label": METHOD_LABELS.get(req.method, req.method),
        "budget_fen": req.budget_fen,
        "evaluation_start_at": req.evaluation_start_at.isoformat(),
        "evaluation_end_at": req.evaluation_end_at.isoformat(),
        "place": req.place,
        "is_remote": req.is_remote,
        "purchaser_reps": req.purchaser_reps,
        "is_complex": req.is_complex,
        "complex_reason": req.complex_reason,
        "is_offsite": req.is_offsite,
        "status": req.status.value,
        "status_label": STATUS_LABELS[req.status.value],
        "opens_at": req.opens_at.isoformat() if req.opens_at else None,
        "seats": service.seat_counts(req),
        "names_visible": with_names,
        "visibility": seen,
        "evaluation_started": clock.now() >= req.evaluation_start_at,
        "draws": [
            {
                "id": d.id,
                "kind": d.kind.value,
                "status": d.status.value,
                "scope": d.scope_region_code,
                "pool_size": d.pool_size,
                "seed_hash": d.seed_hash,
                "rule_version": d.rule_version,
                "beacon": d.beacon,
                "committed_at": d.committed_at.isoformat(),
                "drawn_at": d.drawn_at.isoformat() if d.drawn_at else None,
            }
            for d in req.draws
        ],
        "members": [member_row(i, seen if with_names else service.COUNTS) for i in service.request_invitations(req)],
    }
    if user.has_role("supervisor", "finance_reviewer") or service.can_manage(user, req):
        data["manual_exclusions"] = [
            {
                "expert_id": e.expert_id,
                "name": e.expert.name,
                "reason": e.reason,
                "at": e.created_at.isoformat(),
            }
            for e in req.exclusions
        ]
        data["hand_picks"] = [
            {
                "expert_id": h.expert_id,
                "name": h.expert.name,
                "specialty": h.specialty_code,
                "approval_ref": h.approval_ref,
                "reason": h.reason,
            }
            for h in req.hand_picks
        ]
    return data


def present_invitation_for_expert(inv: Invitation) -> dict:
    """An expert sees the time and place, never the suppliers of the project."""
    req = inv.request
    return {
        "id": inv.id,
        "reply_code": inv.reply_code,
        "status": inv.status.value,
        "status_label": INVITATION_LABELS[inv.status.value],
        "specialty": inv.specialty_code,
        "evaluation_start_at": req.evaluation_start_at.isoformat(),
        "evaluation_end_at": req.evaluation_end_at.isoformat(),
        "place": "远程评审" if req.is_remote else req.place,
        "is_remote": req.is_remote,
        "deadline_at": inv.deadline_at.isoformat() if inv.deadline_at else None,
        "kind_label": KIND_LABELS[inv.kind.value],
    }


def exclusion_rows(draw) -> list[dict]:
    from core.db import db
    from registry.experts.models import Expert

    rows = service.exclusions_of(draw)
    names = {e.id: e.name for e in db.session.query(Expert).filter(Expert.id.in_({r.expert_id for r in rows}))}
    return [
        {
            "expert_id": r.expert_id,
            "name": names.get(r.expert_id, ""),
            "rule": r.rule,
            "reason": AVOIDANCE_RULES.get(r.rule, r.rule),
            "detail": r.detail,
        }
        for r in rows
    ]
