"""A draw's audit record as anyone can check it alone, and who may download it.

The record holds the draw's audit events, each with its inclusion proof, and the one signed checkpoint the
proofs lead to, with the log's verifier key: `python -m expert_draw.verifier FILE --fingerprint HEX`
checks every event against the signed tree head and recomputes the draw, with no other file. Before the
result notice only the request's viewers may download it (the VIEWS table of `service`); from the result
notice on anyone may (87号令 publishes the committee with the result; the record names nobody, and the
published salts give expert ids, not names).

What a per-draw record cannot prove: that no event of the draw was left out (a discarded run, a later
replacement). The verifier checks what it can (one commitment, one draw, replacements numbered 1, 2, …); a
full export checked with `python -m audit.verifier log` proves completeness.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from accounts.models import User
from audit import service as audit_service
from core.db import db
from expert_draw import service
from expert_draw.models import SEATED, Draw, DrawRequest, InvitationKind
from expert_draw.subject import PROJECT_SUBJECT, result_published_at

AUDIT_FORMAT = "biaoyun-draw-audit/1"


def is_public(req: DrawRequest) -> bool:
    """From the project's result notice for the lot on, a draw's record and verification page are public."""
    return result_published_at(req.project_id, req.lot_id) is not None


def can_download(user: User | None, req: DrawRequest) -> bool:
    if is_public(req):
        return True
    return bool(user is not None and user.is_authenticated and service.visibility(user, req) != service.NONE)


def audit_document(draw: Draw) -> dict:
    """The draw's events with their inclusion proofs, and the checkpoint they lead to (signed now if none
    covers them yet: the caller commits)."""
    events = service.draw_events(draw.id)
    checkpoint, proofs = audit_service.prove_many([e["seq"] for e in events])
    for event in events:
        event["inclusion_proof"] = [p.hex() for p in proofs[event["seq"]]]
    return {"format": AUDIT_FORMAT, "draw_id": draw.id, "request_id": draw.request_id, "events": events,
            "tree_size": checkpoint.size, "checkpoint": checkpoint.note,
            "verifier_key": audit_service.verifier_key(),
            "verifier_key_fingerprint": audit_service.verifier_key_fingerprint()}


def requests_of_notice(project_id: int, lot_id: int | None) -> list[DrawRequest]:
    query = select(DrawRequest).where(DrawRequest.project_id == project_id).order_by(DrawRequest.id)
    if lot_id is not None:
        query = query.where((DrawRequest.lot_id == lot_id) | DrawRequest.lot_id.is_(None))
    return list(db.session.scalars(query))


def notice_links(notice) -> list[tuple[str, str]]:
    """Under a result notice: the verification page of each draw request of its project and lot."""
    if notice.kind != "result" or notice.subject_type != PROJECT_SUBJECT:
        return []
    return [(_link_text(req), url_for("expert_draw.verify", request_id=req.id))
            for req in requests_of_notice(notice.subject_id, notice.lot_id)]


def _link_text(req: DrawRequest) -> str:
    """What the link promises: a committee chosen without a draw (自行选定, 87号令 Art 48) has nothing to
    verify by the draw's proofs, and the notice says so rather than inviting a check."""
    picked = sum(1 for inv in req.invitations if inv.kind == InvitationKind.HAND_PICKED and inv.status in SEATED)
    if not req.draws:
        return _("评审专家经批准自行选定，未经随机抽取（抽取申请编号 %(id)s）", id=req.id)
    if picked:
        return _("专家抽取核验（抽取申请编号 %(id)s；另有 %(n)s 名经批准自行选定的专家）", id=req.id, n=picked)
    return _("专家抽取核验（抽取申请编号 %(id)s）", id=req.id)
