"""JSON API of the evaluation room (also used by the room page's script). Every action: the service
function, one commit, then the room is told (`events.announce`) and notices go out; the answer is the
caller's own view of the room (`service.state_for`)."""

from __future__ import annotations

from datetime import datetime

from flask import request, send_file
from flask_login import current_user
from flask_smorest import Blueprint

from core import clock
from core.db import db
from core.errors import Forbidden, NotFound, ValidationError
from evaluation import events, notices, report_pdf, service
from evaluation.models import Award, EvaluationClarification, EvaluationReport, ScoreFlag
from evaluation.schemas import (
    AnswerIn,
    ChairVoteIn,
    ClarificationIn,
    ConfirmIn,
    DecisionIn,
    DeclarationIn,
    EvalReasonIn,
    FlagIn,
    OpenIn,
    PriceConfirmIn,
    ReviewIn,
    ScoresIn,
    SignIn,
)

blp = Blueprint("evaluation_api", __name__, url_prefix="/api/v1/evaluation",
                description="Evaluation room, report, award and contract")


def _address() -> str:
    return request.remote_addr or "-"


def _state(committee_id: int) -> dict:
    committee = service.get_committee(committee_id)
    if not service.can_view_room(current_user, committee):
        raise Forbidden("您无权进入本评审室。", code="room_forbidden")
    return service.state_for(current_user, committee, events.present_users(committee_id))


def _done(committee_id: int, what: str) -> dict:
    db.session.commit()
    events.announce(committee_id, what)
    return _state(committee_id)


@blp.post("/lots/<int:lot_id>/open")
@blp.arguments(OpenIn)
def open_room(data: dict, lot_id: int):
    """Open the lot's evaluation room (agency staff; after the draw's evaluation start)."""
    committee = service.open_evaluation(current_user, lot_id, purchaser_rep_id=data.get("purchaser_rep_id"))
    db.session.commit()
    notices.room_opened(committee.id)
    return _state(committee.id), 201


@blp.get("/committees/<int:committee_id>/state")
def state(committee_id: int):
    """This user's view of the room: stage, members, presence, progress, and what the rules let him see."""
    return _state(committee_id)


@blp.post("/committees/<int:committee_id>/declaration")
@blp.arguments(DeclarationIn)
def declaration(data: dict, committee_id: int):
    member = service.sign_declaration(current_user, committee_id, conflict=data["conflict"], note=data["note"])
    result = _done(committee_id, "declaration")
    if member.status.value == "conflict":
        notices.conflict_declared(committee_id, member.id)
    return result


@blp.post("/committees/<int:committee_id>/chair-vote")
@blp.arguments(ChairVoteIn)
def chair_vote(data: dict, committee_id: int):
    service.vote_chair(current_user, committee_id, data["candidate_id"])
    return _done(committee_id, "chair_vote")


@blp.post("/committees/<int:committee_id>/start-review")
def start_review(committee_id: int):
    service.start_review(current_user, committee_id)
    return _done(committee_id, "stage")


@blp.post("/committees/<int:committee_id>/reviews/<stage>")
@blp.arguments(ReviewIn)
def review(data: dict, committee_id: int, stage: str):
    service.submit_review(current_user, committee_id, stage, data["marks"])
    return _done(committee_id, "review")


@blp.post("/committees/<int:committee_id>/low-price-requests")
def low_price_requests(committee_id: int):
    made = service.request_low_price_explanations(current_user, committee_id)
    result = _done(committee_id, "clarification")
    for item in made:
        notices.clarification_asked(item.id)
    return result


@blp.post("/committees/<int:committee_id>/clarifications")
@blp.arguments(ClarificationIn)
def ask(data: dict, committee_id: int):
    item = service.ask_clarification(current_user, committee_id, data["bid_id"], data["question"],
                                     kind=data["kind"], minutes=data["minutes"])
    result = _done(committee_id, "clarification")
    notices.clarification_asked(item.id)
    return result


@blp.get("/my-clarifications")
def my_clarifications():
    """The supplier's questions from evaluation committees (only its own bids')."""
    return [{"id": c.id, "bid_id": c.bid_id, "kind": c.kind.value, "question": c.question,
             "due_at": c.due_at.isoformat(), "answer": c.answer,
             "answered_at": c.answered_at.isoformat() if c.answered_at else None}
            for c in service.clarifications_of_supplier(current_user)]


@blp.post("/clarifications/<int:clarification_id>/answer")
@blp.arguments(AnswerIn)
def answer(data: dict, clarification_id: int):
    asked = db.session.get(EvaluationClarification, clarification_id)
    if asked is not None and asked.kind.value == "price_correction":
        raise ValidationError("价格修正请以确认或不确认答复。", code="answer_by_confirming")
    item = service.answer_clarification(current_user, clarification_id, data["answer"])
    db.session.commit()
    events.announce(item.committee_id, "clarification")
    return {"id": item.id, "answered_at": item.answered_at.isoformat(), "sha256": item.answer_sha256}


@blp.post("/clarifications/<int:clarification_id>/price-confirmation")
@blp.arguments(PriceConfirmIn)
def confirm_price(data: dict, clarification_id: int):
    """The bidder confirms (or refuses) its price as the committee corrected it (87号令 Art 59): refused or
    not confirmed by the deadline, the bid is invalid."""
    item = service.answer_price_correction(current_user, clarification_id, data["confirmed"])
    db.session.commit()
    events.announce(item.committee_id, "clarification")
    return {"id": item.id, "answered_at": item.answered_at.isoformat(), "confirmed": data["confirmed"],
            "sha256": item.answer_sha256}


@blp.post("/committees/<int:committee_id>/price-corrections")
def price_corrections(committee_id: int):
    """The chair sends the Art 59 corrections to each bidder concerned, to confirm within 60 minutes."""
    made = service.request_price_confirmations(current_user, committee_id)
    result = _done(committee_id, "clarification")
    for item in made:
        notices.clarification_asked(item.id)
    return result


@blp.post("/clarifications/<int:clarification_id>/decision")
@blp.arguments(DecisionIn)
def decision(data: dict, clarification_id: int):
    item = db.session.get(EvaluationClarification, clarification_id)
    if item is None:
        raise NotFound("澄清问题不存在。", code="clarification_not_found")
    service.decide_explanation(current_user, clarification_id, data["accepted"], data["reason"])
    return _done(item.committee_id, "clarification")


@blp.post("/committees/<int:committee_id>/finish-review")
def finish_review(committee_id: int):
    service.finish_review(current_user, committee_id)
    return _done(committee_id, "stage")


@blp.post("/committees/<int:committee_id>/scores")
@blp.arguments(ScoresIn)
def scores(data: dict, committee_id: int):
    """Submit the member's whole score sheet, confirmed with his TOTP code (step-up). The answer is short
    (the count and the room's progress): seven members submit at once, and each then reloads its view."""
    entries = service.submit_scores(current_user, committee_id, data["scores"], data["totp"], _address())
    db.session.commit()
    events.announce(committee_id, "scores")
    committee = service.get_committee(committee_id)
    return {"entries": entries, "status": committee.status.value, "progress": service.progress(committee)}


@blp.post("/committees/<int:committee_id>/summary")
def summary(committee_id: int):
    service.start_summary(current_user, committee_id)
    return _done(committee_id, "stage")


@blp.post("/flags/<int:flag_id>")
@blp.arguments(FlagIn)
def flag(data: dict, flag_id: int):
    row = db.session.get(ScoreFlag, flag_id)
    if row is None:
        raise NotFound("提示不存在。", code="flag_not_found")
    service.resolve_flag(current_user, flag_id, action=data["action"], note=data["note"],
                         new_score=data.get("new_score"))
    return _done(row.committee_id, "flag")


@blp.post("/committees/<int:committee_id>/accept-summary")
def accept_summary(committee_id: int):
    service.accept_summary(current_user, committee_id)
    return _done(committee_id, "stage")


@blp.post("/reports/<int:report_id>/sign")
@blp.arguments(SignIn)
def sign(data: dict, report_id: int):
    report = db.session.get(EvaluationReport, report_id)
    if report is None:
        raise NotFound("评审报告不存在。", code="report_not_found")
    committee_id = report.committee_id
    service.sign_report(current_user, report_id, data["totp"], _address(), dissent=data.get("dissent"))
    return _done(committee_id, "signature")


@blp.get("/committees/<int:committee_id>/report.pdf")
def report_file(committee_id: int):
    committee = service.get_committee(committee_id)
    if not service.can_read_report(current_user, committee):
        raise Forbidden("当前您无权查看评审报告。", code="evaluation_read_report_forbidden")
    report = service.current_report(committee)
    if report is None or not report.pdf_path:
        raise NotFound("评审报告尚未生成。", code="report_not_found")
    return send_file(report_pdf.absolute(report.pdf_path), mimetype="application/pdf",
                     download_name=f"evaluation-report-{committee.id}-v{report.version}.pdf")


@blp.post("/committees/<int:committee_id>/suspend")
@blp.arguments(EvalReasonIn)
def suspend(data: dict, committee_id: int):
    service.suspend(current_user, committee_id, data["reason"])
    return _done(committee_id, "stage")


@blp.post("/committees/<int:committee_id>/resume")
def resume(committee_id: int):
    service.resume(current_user, committee_id)
    return _done(committee_id, "stage")


@blp.post("/members/<int:member_id>/replace")
def replace(member_id: int):
    from evaluation.models import CommitteeMember

    member = db.session.get(CommitteeMember, member_id)
    if member is None:
        raise NotFound("成员不存在。", code="member_not_found")
    committee_id = member.committee_id
    new = service.replace_conflicted(current_user, member_id)
    db.session.commit()
    notices.invitations(new)
    events.announce(committee_id, "members")
    return {"invitations": new}


@blp.post("/committees/<int:committee_id>/refresh-members")
def refresh_members(committee_id: int):
    service.refresh_members(current_user, committee_id)
    return _done(committee_id, "members")


@blp.get("/committees/<int:committee_id>/bids/<int:bid_id>/files")
def bid_files(committee_id: int, bid_id: int):
    return service.bid_documents(current_user, committee_id, bid_id)


@blp.get("/committees/<int:committee_id>/bids/<int:bid_id>/files/<path:name>")
def bid_file(committee_id: int, bid_id: int, name: str):
    """One decrypted bid file, for members during the evaluation; the view is audited."""
    path = service.open_bid_document(current_user, committee_id, bid_id, name)
    db.session.commit()
    response = send_file(path, as_attachment=False, download_name=path.name)
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- award and contract

def _award_out(award: Award) -> dict:
    return {"id": award.id, "status": award.status.value, "status_text": service.AWARD_ZH[award.status.value],
            "candidate_id": award.candidate_id, "bid_id": award.candidate.bid_id,
            "confirm_due_at": award.confirm_due_at.isoformat(), "deadline_state": service.award_deadline_state(award)}


@blp.post("/committees/<int:committee_id>/send-report")
def send_report(committee_id: int):
    award = service.send_report(current_user, committee_id)
    db.session.commit()
    notices.report_sent(award.id)
    return _award_out(award), 201


@blp.get("/awards/<int:award_id>")
def get_award(award_id: int):
    award = db.session.get(Award, award_id)
    committee = service.committee_for_lot(award.lot_id) if award else None
    if award is None or not (service.is_agency(current_user, committee) or service.is_purchaser(current_user, committee)
                             or service.is_supervisor(current_user, committee)):
        raise NotFound("定标记录不存在。", code="award_not_found")
    return _award_out(award)


@blp.post("/awards/<int:award_id>/confirm")
@blp.arguments(ConfirmIn)
def confirm(data: dict, award_id: int):
    award = service.confirm_winner(current_user, award_id, data["candidate_id"], data["reason"])
    db.session.commit()
    return _award_out(award)


@blp.post("/awards/<int:award_id>/publish")
def publish(award_id: int):
    award = service.publish_result(current_user, award_id)
    db.session.commit()
    notices.award_published(award.id)
    return _award_out(award)


@blp.post("/awards/<int:award_id>/void")
@blp.arguments(EvalReasonIn)
def void(data: dict, award_id: int):
    award = service.void_award(current_user, award_id, data["reason"])
    db.session.commit()
    return _award_out(award)


@blp.post("/awards/<int:award_id>/contract")
def contract(award_id: int):
    """Record the signed contract (multipart: `file`, `amount_fen`, `signed_on` YYYY-MM-DD)."""
    upload = request.files.get("file")
    try:
        amount = int(request.form.get("amount_fen", ""))
        signed_on = datetime.fromisoformat(request.form.get("signed_on", "")).replace(tzinfo=clock.LOCAL_TZ)
    except ValueError:
        raise ValidationError("请填写合同金额（分）和签订日期。", code="bad_contract_form") from None
    if upload is None:
        raise ValidationError("请上传合同文件。", code="contract_file_required")
    row = service.record_contract(current_user, award_id, amount_fen=amount, signed_on=signed_on,
                                  file_name=upload.filename or "contract", stream=upload.stream)
    db.session.commit()
    return {"id": row.id, "sha256": row.sha256, "notice_id": row.notice_id}, 201
