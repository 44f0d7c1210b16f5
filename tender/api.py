"""JSON API of the tender (also used by the pages' scripts and by the sealing CLI).

Sealed bid upload, for the CLI (the body is the raw `.sealed` file, streamed to disk)::

    curl -sf -X POST -H "Authorization: Bearer $BIAOYUN_TOKEN" \\
         -H "Content-Type: application/octet-stream" --data-binary @bid.sealed \\
         http://127.0.0.1:5000/api/v1/tender/projects/$PROJECT/lots/$LOT/bids > receipt.json
"""

from __future__ import annotations

from flask import Response, request
from flask_login import current_user
from flask_smorest import Blueprint

from accounts.models import Role
from core import clock, files
from core.db import db
from core.errors import Forbidden, Gone, NotFound
from tender import bids as bid_service
from tender import events, filestore, hall, opening, service
from tender.models import Bid
from tender.schemas import (
    BidOut,
    ClarificationOut,
    ConsortiumIn,
    FileKeyIn,
    NoticeIn,
    ProjectIn,
    ProjectOut,
    ProjectPatchIn,
    ReasonIn,
    SharesIn,
    TextIn,
)
from tender.transitions import ProjectStatus

blp = Blueprint("tender_api", __name__, url_prefix="/api/v1/tender", description="Tenders, sealed bids, opening")


def _visible_project(project_id: int):
    project = service.get_project(project_id)
    if not service.can_view(current_user, project):
        raise NotFound("项目不存在。", code="project_not_found")
    return project


def _commit_and_announce(project_id: int, what: str) -> None:
    db.session.commit()
    events.announce(project_id, what)


# ---------------------------------------------------------------- projects

@blp.get("/projects")
@blp.response(200, ProjectOut(many=True))
def list_projects():
    """Published projects; agency staff also see their own drafts."""
    if current_user.has_role(Role.AGENCY_STAFF) and current_user.org_id:
        return service.projects_of_agency(current_user)
    return service.public_projects()


@blp.post("/projects")
@blp.arguments(ProjectIn)
@blp.response(201, ProjectOut)
def create_project(data: dict):
    """Create a draft project (agency staff)."""
    project = service.create_project(current_user, data)
    db.session.commit()
    return project


@blp.get("/projects/<int:project_id>")
@blp.response(200, ProjectOut)
def get_project(project_id: int):
    return _visible_project(project_id)


@blp.put("/projects/<int:project_id>")
@blp.arguments(ProjectIn)
@blp.response(200, ProjectOut)
def replace_project(data: dict, project_id: int):
    """Edit a draft project (agency staff of its agency): the whole project, as in creation; lots and
    custodians are replaced as given. 409 `project_not_draft` once published, 422 `project_invalid`."""
    project = service.update_project(current_user, project_id, data)
    db.session.commit()
    return project


@blp.patch("/projects/<int:project_id>")
@blp.arguments(ProjectPatchIn)
@blp.response(200, ProjectOut)
def patch_project(data: dict, project_id: int):
    """Edit a draft project: only the fields given change (a list such as `lots` is replaced whole);
    the result is checked as a whole, like a creation."""
    project = service.update_project(current_user, project_id, data, partial=True)
    db.session.commit()
    return project


@blp.post("/projects/<int:project_id>/documents")
@blp.response(201)
def upload_document(project_id: int):
    """Upload a tender document (multipart field `file`), draft projects only."""
    project = service.get_project(project_id)
    upload = request.files.get("file")
    if upload is None:
        from core.errors import ValidationError

        raise ValidationError("请选择要上传的文件。", code="document_missing")
    doc = service.add_document(current_user, project, upload.filename or "", upload.stream)
    try:
        db.session.commit()
    except Exception:
        filestore.remove(doc.path)
        raise
    return {"id": doc.id, "name": doc.name, "size": doc.size, "sha256": doc.sha256}


@blp.get("/projects/<int:project_id>/documents/<int:doc_id>")
def download_document(project_id: int, doc_id: int):
    project = _visible_project(project_id)
    doc = service.document_for(current_user, project, doc_id)
    db.session.commit()
    return files.send_download(filestore.absolute(doc.path), doc.name)


@blp.delete("/projects/<int:project_id>/documents/<int:doc_id>")
@blp.response(204)
def remove_document(project_id: int, doc_id: int):
    """Take a document off a draft project; 409 `project_not_draft` once published."""
    path = service.remove_document(current_user, project_id, doc_id).path
    db.session.commit()
    service.discard_file(path)


@blp.post("/projects/<int:project_id>/publish")
@blp.response(200, ProjectOut)
def publish(project_id: int):
    """Validate and publish: freezes each lot's custody policy and publishes its hash."""
    year = (request.get_json(silent=True) or {}).get("confirm_uncovered_year")
    project = service.publish_project(current_user, project_id,
                                      confirm_uncovered_year=year if isinstance(year, int) else None)
    db.session.commit()  # the hall is told after it (the service declared it)
    return project


@blp.post("/projects/<int:project_id>/cancel")
@blp.arguments(ReasonIn)
@blp.response(200, ProjectOut)
def cancel(data: dict, project_id: int):
    project = service.cancel_project(current_user, project_id, data["reason"])
    db.session.commit()
    return project


@blp.post("/projects/<int:project_id>/corrections")
@blp.arguments(NoticeIn)
@blp.response(201)
def correction(data: dict, project_id: int):
    notice = service.publish_correction(current_user, project_id, data["title"], data["body"])
    db.session.commit()  # the hall and the registered suppliers are told after it
    return {"id": notice.id, "deadline": service.get_project(project_id).deadline.isoformat()}


@blp.get("/lots/<int:lot_id>/policy")
def lot_policy(lot_id: int):
    """The frozen custody policy of a published lot (what a supplier seals to)."""
    from tender.models import Lot

    lot = db.session.get(Lot, lot_id)
    if lot is None or lot.policy_json is None:
        raise NotFound("标项不存在或尚未发布。", code="lot_not_found")
    return Response(lot.policy_json, mimetype="application/json",
                    headers={"Content-Disposition": files.content_disposition(f"policy-lot{lot.number}.json")})


# ---------------------------------------------------------------- suppliers

@blp.post("/projects/<int:project_id>/registration")
@blp.response(201)
def register(project_id: int):
    reg = service.register_supplier(current_user, project_id)
    db.session.commit()
    return {"id": reg.id, "registered_at": reg.registered_at.isoformat()}


@blp.put("/projects/<int:project_id>/registration/consortium")
@blp.arguments(ConsortiumIn)
def declare_consortium(data: dict, project_id: int):
    """A registered supplier bidding as a consortium names its other members (credit checks each)."""
    reg = service.declare_consortium(current_user, project_id, data["members"])
    db.session.commit()
    return {"id": reg.id, "members": reg.consortium_members or []}


@blp.get("/projects/<int:project_id>/clarifications")
@blp.response(200, ClarificationOut(many=True))
def list_clarifications(project_id: int):
    return service.clarifications_for(current_user, _visible_project(project_id))


@blp.post("/projects/<int:project_id>/clarifications")
@blp.arguments(TextIn)
@blp.response(201, ClarificationOut)
def ask(data: dict, project_id: int):
    item = service.ask_question(current_user, project_id, data["text"])
    db.session.commit()
    return item


@blp.post("/clarifications/<int:clarification_id>/answer")
@blp.arguments(TextIn)
@blp.response(200, ClarificationOut)
def answer(data: dict, clarification_id: int):
    item = service.answer_question(current_user, clarification_id, data["text"])
    db.session.commit()  # the hall and the registered suppliers are told after it
    return item


# ---------------------------------------------------------------- sealed bids

@blp.post("/projects/<int:project_id>/lots/<int:lot_id>/bids")
@blp.response(201)
def submit_bid(project_id: int, lot_id: int):
    """Submit (or replace) a sealed bid: the request body is the raw `.sealed` container."""
    bid = bid_service.submit_bid(current_user, project_id, lot_id, request.stream, ip=request.remote_addr,
                                 user_agent=request.user_agent.string)
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        bid_service.discard(bid)
        raise
    receipt = bid_service.issue_receipt(bid)
    db.session.commit()
    _notify_receipt(bid)
    return {"bid": BidOut().dump(bid), **receipt}


def _notify_receipt(bid) -> None:
    """A real-time message to the supplier's organisation (after the commit; never fails the upload)."""
    from core.tasks import send_message

    at = clock.format_local(bid.submitted_at, "%H:%M:%S")
    try:
        send_message.delay({"title": "投标文件已接收", "level": "success", "url": f"/tender/{bid.project_id}",
                      "body": f"标项 {bid.lot.number}，摘要 {bid.sha256[:16]}…，{at}"}, org_ids=[bid.org_id])
    except Exception:  # the bid is stored and the receipt returned; a message is only a courtesy
        import logging

        logging.getLogger(__name__).exception("receipt message not sent")


@blp.get("/projects/<int:project_id>/bids")
@blp.response(200, BidOut(many=True))
def my_bids(project_id: int):
    """My organisation's bids in this project (never anyone else's)."""
    return bid_service.my_bids(current_user, _visible_project(project_id))


def _own_bid(bid_id: int) -> Bid:
    bid = db.session.get(Bid, bid_id)
    if bid is None or bid.org_id != current_user.org_id:
        raise NotFound("投标文件不存在。", code="bid_not_found")
    return bid


@blp.get("/bids/<int:bid_id>/receipt")
@blp.response(200)
def receipt(bid_id: int):
    """The bid's signed receipt; check it with `python -m audit.verifier receipt FILE --fingerprint HEX`."""
    _bid, data = bid_service.receipt_of(current_user, bid_id)
    db.session.commit()
    return data


@blp.post("/bids/<int:bid_id>/withdraw")
@blp.response(200, BidOut)
def withdraw(bid_id: int):
    bid = bid_service.withdraw_bid(current_user, bid_id)
    db.session.commit()
    return bid


# ---------------------------------------------------------------- opening

@blp.get("/projects/<int:project_id>/custody")
@blp.response(200)
def custody(project_id: int):
    """For a custodian after the opening time: the bids waiting for its share, with header URLs."""
    project = _visible_project(project_id)
    member = next((c for c in project.custodians if c.user_id == current_user.id), None)
    if member is None:
        raise Forbidden("您不是本项目的密钥保管人。", code="not_custodian")
    waiting = []
    if clock.now() >= project.deadline and project.status == ProjectStatus.OPENING:
        for lot in project.lots:
            for bid in opening.current_bids(lot):
                waiting.append({"bid_id": bid.id, "lot": lot.number, "commitment": bid.commitment,
                                "header_url": f"/api/v1/tender/bids/{bid.id}/header"})
    return {"custodian": member.custodian_id, "x": member.position + 1, "k": project.k,
            "opens_at": project.deadline.isoformat(), "bids": waiting}


@blp.get("/bids/<int:bid_id>/header")
def bid_header(bid_id: int):
    """The container header (what `python -m crypto share` and the browser need), after the deadline,
    to the project's custodians and the bid's own supplier."""
    bid = db.session.get(Bid, bid_id)
    if bid is None:
        raise NotFound("投标文件不存在。", code="bid_not_found")
    project = service.get_project(bid.project_id)
    own = bid.org_id == current_user.org_id
    if not (own or (service.is_custodian(current_user, project) and clock.now() >= project.deadline)):
        raise NotFound("投标文件不存在。", code="bid_not_found")
    if bid.file_removed_at is not None:  # a replaced bid's file, deleted after the opening by the region's rule
        raise Gone("该投标文件已被替换，其文件已在开标后按规定删除（摘要与回执仍保留）。", code="bid_file_removed")
    return Response(opening.header_bytes(bid), mimetype="application/octet-stream",
                    headers={"Content-Disposition": files.content_disposition(f"bid-{bid.id}.header.sealed")})


@blp.post("/projects/<int:project_id>/shares")
@blp.arguments(SharesIn)
@blp.response(200)
def submit_shares(data: dict, project_id: int):
    """A custodian submits its unwrapped shares (step-up TOTP); refused and audited before the opening."""
    accepted = opening.submit_shares(current_user, project_id, data["shares"], data["totp"],
                                     request.remote_addr or "-")
    db.session.commit()
    from tender import tasks

    tasks.progress.delay(project_id)
    events.announce(project_id, "shares")
    return {"accepted": accepted}


@blp.post("/bids/<int:bid_id>/file-key")
@blp.arguments(FileKeyIn)
@blp.response(200, BidOut)
def submit_file_key(data: dict, bid_id: int):
    """Bidder mode: submit the file key unwrapped from my own stanza, within the decryption window."""
    bid = opening.submit_file_key(current_user, bid_id, data["file_key"])
    project = service.get_project(bid.project_id)
    opening.finish_if_done(project)
    _commit_and_announce(bid.project_id, "decrypted")
    return bid


# ---------------------------------------------------------------- hall

@blp.get("/projects/<int:project_id>/hall")
@blp.response(200)
def hall_state(project_id: int):
    project = _visible_project(project_id)
    hall.require_entry(current_user, project)
    return hall.state_for(current_user, project)


@blp.post("/projects/<int:project_id>/checkin")
@blp.response(200)
def checkin(project_id: int):
    hall.checkin(current_user, project_id)
    _commit_and_announce(project_id, "checkin")
    return {"ok": True}


@blp.post("/projects/<int:project_id>/confirm")
@blp.response(200)
def confirm(project_id: int):
    hall.confirm_record(current_user, project_id)
    _commit_and_announce(project_id, "confirm")
    return {"ok": True}


@blp.post("/projects/<int:project_id>/objections")
@blp.arguments(TextIn)
@blp.response(201)
def object_(data: dict, project_id: int):
    row = hall.raise_objection(current_user, project_id, data["text"])
    _commit_and_announce(project_id, "objection")
    return {"id": row.id}


@blp.post("/objections/<int:objection_id>/answer")
@blp.arguments(TextIn)
@blp.response(200)
def answer_objection(data: dict, objection_id: int):
    row = hall.answer_objection(current_user, objection_id, data["text"])
    _commit_and_announce(row.project_id, "answer")
    return {"ok": True}

