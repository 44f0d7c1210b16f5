"""After the evaluation starts: every draw's salts published, so anyone can map leaves to experts.
"""

from __future__ import annotations

from sqlalchemy import select

from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict
from expert_draw.models import (
    Draw,
    DrawCandidate,
    DrawRequest,
    DrawStatus,
    InvitationStatus,
)
from expert_draw.pool import gc_paused
from expert_draw.transitions import lock_request, move_invitation, request_invitations
from expert_draw.verifier import (
    ACTION_SALTS,
)


@gc_paused()
def publish_salts(req: DrawRequest) -> None:
    """At the evaluation start: publish every draw's salts, so anyone can map leaves to experts."""
    req = lock_request(req.id)
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
    for inv in request_invitations(req):
        if inv.status == InvitationStatus.STANDBY:
            move_invitation(inv, InvitationStatus.RELEASED, "evaluation started")
    req.salts_published_at = clock.now()
    db.session.flush()


def publish_due() -> int:
    """Publish the salts of every request whose evaluation has started (idempotent), in the caller's
    transaction; the sweep publishes each request in its own (expert_draw/timed.py)."""
    from core.chronograph import due_objects, step

    due = due_objects(step("expert_draw.publish_salts"))
    for req in due:
        publish_salts(req)
    return len(due)
