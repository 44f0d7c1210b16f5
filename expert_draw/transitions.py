"""Status moves of requests and invitations (core.transitions.move: checked, each with its audit event),
and the request's lookups and row lock that every later stage starts from.
"""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from core.errors import NotFound
from core.transitions import move
from expert_draw.models import (
    DrawRequest,
    Invitation,
    InvitationStatus,
    RequestStatus,
)


def move_request(req: DrawRequest, to: RequestStatus) -> None:
    move(req, to)


def move_invitation(inv: Invitation, to: InvitationStatus, reason: str) -> None:
    move(inv, to, payload={"request_id": inv.request_id, "invitation_id": inv.id, "reason": reason})


def request_invitations(req: DrawRequest) -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).where(Invitation.request_id == req.id).order_by(Invitation.id)))


def lock_request(request_id: int) -> DrawRequest:
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
