"""JSON API of the expert draw under /api/v1 (the same services and serializer as the pages)."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from accounts.models import Role
from core import clock
from core.auth import public, roles_required
from core.db import db
from core.errors import NotFound, ValidationError
from expert_draw import present, proofs, service
from expert_draw.models import Draw, Invitation
from expert_draw.schemas import DeclineIn, ExclusionIn, RequestIn, RunIn
from expert_draw.subject import DrawSubject, subject_for_project

blp = Blueprint("expert_draw_api", __name__, url_prefix="/api/v1", description="Expert draws")
VIEWERS = (
    Role.AGENCY_STAFF,
    Role.SUPERVISOR,
    Role.FINANCE_REVIEWER,
    Role.PURCHASER,
    Role.SUPPLIER,
    Role.ADMIN,
)


def _draw(draw_id: int) -> Draw:
    draw = db.session.get(Draw, draw_id)
    if draw is None:
        raise NotFound("没有这次抽取。", code="draw_not_found")
    return draw


@blp.get("/draw-requests")
@roles_required(*VIEWERS)
def list_requests():
    """Draw requests this user may see (counts and states)."""
    return [present.present_request(r, current_user) for r in service.requests_for(current_user)]


@blp.post("/draw-requests")
@roles_required(Role.AGENCY_STAFF)
@blp.arguments(RequestIn)
@blp.response(201)
def create_request(data: dict):
    """Request a committee for a project (project_id) or for a subject given in full."""
    if data.get("project_id"):
        subject = subject_for_project(data["project_id"], data.get("lot_id"))
    else:
        subject = DrawSubject(
            title=data["title"],
            purchaser_org_id=data["purchaser_org_id"],
            agency_org_id=current_user.org_id or 0,
            method=data["method"],
            budget_fen=data["budget_fen"],
            region_code=current_user.region_code,
            supplier_org_ids=set(data.get("supplier_org_ids", [])),
        )
    try:
        start = clock.parse_iso_utc(data["evaluation_start_at"])
        end = clock.parse_iso_utc(data["evaluation_end_at"]) if data.get("evaluation_end_at") else None
    except ValueError as exc:
        raise ValidationError(f"时间格式不正确：{exc}", code="time_invalid") from None
    req = service.create_request(
        current_user,
        subject,
        [service.SpecialtyCount(s["code"], s["primary"], s.get("backup", 0)) for s in data["specialties"]],
        start,
        end,
        data.get("place", ""),
        is_remote=data.get("is_remote", False),
        purchaser_reps=data.get("purchaser_reps", 0),
        is_complex=data.get("is_complex", False),
        complex_reason=data.get("complex_reason", ""),
        is_offsite=data.get("is_offsite", False),
    )
    db.session.commit()
    return present.present_request(req, current_user)


@blp.get("/draw-requests/<int:request_id>")
@roles_required(*VIEWERS)
def get_request(request_id: int):
    """One request as this user may see it."""
    return present.present_request(service.get_request(request_id), current_user)


@blp.post("/draw-requests/<int:request_id>/exclusions")
@roles_required(Role.AGENCY_STAFF)
@blp.arguments(ExclusionIn)
@blp.response(201)
def add_exclusion(data: dict, request_id: int):
    """Ask, with a reason, that an expert not be drawn (audited)."""
    req = service.get_request(request_id)
    exclusion = service.add_manual_exclusion(current_user, req, data["expert_id"], data["reason"])
    db.session.commit()
    return {"id": exclusion.id, "expert_id": exclusion.expert_id, "reason": exclusion.reason}


@blp.post("/draw-requests/<int:request_id>/draws")
@roles_required(Role.AGENCY_STAFF)
@blp.response(201)
def commit_draw(request_id: int):
    """Commit the filtered pool and the hash of a fresh server seed to the audit log."""
    draw = service.commit_draw(current_user, service.get_request(request_id))
    db.session.commit()
    return {"draw_id": draw.id, "seed_hash": draw.seed_hash, "pool_size": draw.pool_size}


@blp.post("/draws/<int:draw_id>/run")
@roles_required(Role.SUPERVISOR)
@blp.arguments(RunIn)
def run_draw(data: dict, draw_id: int):
    """The supervisor's random number (and the beacon value) joins the seed; the draw runs."""
    draw = _draw(draw_id)
    service.run_draw(draw, current_user, data["supervisor_input"], data.get("beacon_value"))
    db.session.commit()  # the drawn experts are notified after it
    return present.present_request(draw.request, current_user)


@blp.get("/draws/<int:draw_id>/audit")
@public
def draw_audit(draw_id: int):
    """A draw's audit record for `python -m expert_draw.verifier`: its events with inclusion proofs and the
    signed checkpoint. The request's viewers; anyone once the result notice is published."""
    draw = _draw(draw_id)
    if not proofs.can_download(current_user, draw.request):
        raise NotFound("没有这次抽取。", code="draw_not_found")
    document = proofs.audit_document(draw)
    db.session.commit()  # a checkpoint signed for the proofs is kept
    return document


@blp.get("/expert-invitations")
@roles_required(Role.EXPERT)
def my_invitations():
    """My invitations: time and place only."""
    return [present.present_invitation_for_expert(i) for i in service.invitations_of(current_user)]


def _own_invitation(invitation_id: int) -> Invitation:
    inv = db.session.get(Invitation, invitation_id)
    if inv is None or inv.expert.user_id != current_user.id:
        raise NotFound("没有这份评审邀请。", code="invitation_not_found")
    return inv


@blp.post("/expert-invitations/<int:invitation_id>/confirm")
@roles_required(Role.EXPERT)
def confirm(invitation_id: int):
    inv = service.confirm_invitation(current_user, _own_invitation(invitation_id))
    db.session.commit()
    return present.present_invitation_for_expert(inv)


@blp.post("/expert-invitations/<int:invitation_id>/decline")
@roles_required(Role.EXPERT)
@blp.arguments(DeclineIn)
def decline(data: dict, invitation_id: int):
    inv = _own_invitation(invitation_id)
    service.decline_invitation(current_user, inv, data["reason"])
    db.session.commit()  # a replacement is notified after it
    return present.present_invitation_for_expert(inv)
