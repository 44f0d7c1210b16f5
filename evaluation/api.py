"""JSON API of the evaluation room (also used by the room page's script). Every action: the service
function, one commit, then the room is told (`events.announce`) and messages go out (those a service
declared with `core.after_commit` by themselves, the rest through `messages`); the answer is the caller's
own view of the room (`service.state_for`)."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint

from core import files
from core.db import db
from core.errors import Forbidden, NotFound
from evaluation import challenges, complaints, events, evidence, letters, messages, report_pdf, service
from evaluation.models import Award, Committee, EvaluationClarification, EvaluationReport, ScoreFlag
from evaluation.schemas import (
    AnswerIn,
    CalendarConfirmIn,
    ChairVoteIn,
    ChallengeAnswerIn,
    ClarificationIn,
    ComplaintAcceptIn,
    ComplaintDecideIn,
    ComplaintRefuseIn,
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
                description="Evaluation room, report and award (contracts: /api/v1/contracts)")


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
    committee = service.open_evaluation(current_user, lot_id, purchaser_rep_id=data.get("purchaser_rep_id"),
                                        purchaser_rep_ids=data.get("purchaser_rep_ids") or [])
    db.session.commit()
    messages.room_opened(committee.id)
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
        messages.conflict_declared(committee_id, member.id)
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
        messages.clarification_asked(item.id)
    return result


@blp.post("/committees/<int:committee_id>/clarifications")
@blp.arguments(ClarificationIn)
def ask(data: dict, committee_id: int):
    item = service.ask_clarification(current_user, committee_id, data["bid_id"], data["question"],
                                     kind=data["kind"], minutes=data["minutes"])
    result = _done(committee_id, "clarification")
    messages.clarification_asked(item.id)
    return result


@blp.get("/my-clarifications")
def my_clarifications():
    """The supplier's questions from evaluation committees (only its own bids')."""
    return [{"id": c.id, "bid_id": c.bid_id, "kind": c.kind.value, "question": c.question,
             "due_at": c.due_at.isoformat(), "answer": c.answer,
             "answered_at": c.answered_at.isoformat() if c.answered_at else None,
             "sign_template": service.answer_document(c) if c.answered_at is None else None}
            for c in service.clarifications_of_supplier(current_user)]


@blp.post("/clarifications/<int:clarification_id>/answer")
@blp.arguments(AnswerIn)
def answer(data: dict, clarification_id: int):
    """Answer a question of the committee: `answer` and `signature`, the bidder's signature (FORMAT.md §14)
    over `sign_template` (from /my-clarifications) with `answer` added (line ends LF, trimmed)."""
    item = service.answer_clarification(current_user, clarification_id, data["answer"], data["signature"])
    db.session.commit()
    events.announce(item.committee_id, "clarification")
    return {"id": item.id, "answered_at": item.answered_at.isoformat(), "sha256": item.answer_sha256}


@blp.post("/clarifications/<int:clarification_id>/price-confirmation")
@blp.arguments(PriceConfirmIn)
def confirm_price(data: dict, clarification_id: int):
    """The bidder confirms (or refuses) its price as the committee corrected it (87号令 Art 59): refused or
    not confirmed by the deadline, the bid is invalid."""
    item = service.answer_price_correction(current_user, clarification_id, data["confirmed"], data["signature"])
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
        messages.clarification_asked(item.id)
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
    with events.turn(committee_id):
        entries = service.submit_scores(current_user, committee_id, data["scores"], data["totp"], _address())
        # Read under the committee's row lock: already the state this commit makes, no second read after it.
        state = events.snapshot(db.session.get(Committee, committee_id))
        db.session.commit()
    events.announce(committee_id, "scores", state)
    return {"entries": entries, "status": state["status"], "progress": state["progress"]}


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
    return files.send_download(report_pdf.absolute(report.pdf_path),
                               f"evaluation-report-{committee.id}-v{report.version}.pdf", mimetype="application/pdf")


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
    db.session.commit()  # the draw notifies the replacements after it
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
    response = files.send_download(path, path.name, inline=True)
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- award and contract

def _award_out(award: Award) -> dict:
    return {"id": award.id, "status": award.status.value, "status_text": service.AWARD_ZH[award.status.value],
            "candidate_id": award.candidate_id, "bid_id": award.candidate.bid_id,
            "confirm_due_at": award.confirm_due_at.isoformat(), "deadline_state": service.award_deadline_state(award)}


@blp.post("/committees/<int:committee_id>/send-report")
@blp.arguments(CalendarConfirmIn, location="query")
def send_report(data: dict, committee_id: int):
    award = service.send_report(current_user, committee_id, confirm_uncovered_year=data["confirm_uncovered_year"])
    db.session.commit()  # the purchaser is told after it
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
    award = service.confirm_winner(current_user, award_id, data["candidate_id"], data["reason"],
                                   confirm_uncovered_year=data["confirm_uncovered_year"])
    db.session.commit()
    return _award_out(award)


@blp.post("/awards/<int:award_id>/publish")
@blp.arguments(CalendarConfirmIn, location="query")
def publish(data: dict, award_id: int):
    award = service.publish_result(current_user, award_id, confirm_uncovered_year=data["confirm_uncovered_year"])
    db.session.commit()  # each bidder is linked to its letter after it
    return _award_out(award)


@blp.post("/awards/<int:award_id>/void")
@blp.arguments(EvalReasonIn)
def void(data: dict, award_id: int):
    award = service.void_award(current_user, award_id, data["reason"])
    db.session.commit()
    return _award_out(award)


def _letter_out(letter) -> dict:
    return {"id": letter.id, "award_id": letter.award_id, "org_id": letter.org_id, "kind": letter.kind.value,
            "sha256": letter.sha256, "issued_at": letter.issued_at.isoformat(),
            "url": f"/api/v1/evaluation/letters/{letter.id}.pdf"}


@blp.get("/awards/<int:award_id>/letters")
def award_letters(award_id: int):
    """The award notice and result letters of a published award this user may read (a bidder: its own)."""
    award = db.session.get(Award, award_id)
    rows = letters.visible_letters(current_user, award) if award is not None else []
    if award is None or not (rows or challenges.can_view(current_user, award)):
        raise NotFound("定标记录不存在。", code="award_not_found")
    return {"award_id": award.id, "status": award.status.value, "letters": [_letter_out(r) for r in rows]}


@blp.get("/letters/<int:letter_id>.pdf")
def letter_file(letter_id: int):
    """One letter's PDF: its organisation, the agency, the purchaser, the region's supervisors, the admin."""
    letter = letters.letter_for(current_user, letter_id)
    response = files.send_download(letters.absolute(letter), letters.download_name(letter),
                                   mimetype="application/pdf")
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- challenges and complaints

def _files_out(files) -> list[dict]:
    return [{"id": f.id, "name": f.name, "size": f.size, "sha256": f.sha256,
             "url": f"/api/v1/evaluation/evidence/{f.id}"} for f in files]


def _complaint_out(row) -> dict:
    return {"id": row.id, "challenge_id": row.challenge_id, "award_id": row.award_id, "region": row.region_code,
            "status": row.status.value, "status_text": complaints.STATUS_ZH[row.status.value],
            "facts": row.facts, "requests": row.requests, "filed_at": row.filed_at.isoformat(),
            "accept_due_at": row.accept_due_at.isoformat(), "decide_due_at": row.decide_due_at.isoformat(),
            "accepted_at": row.accepted_at.isoformat() if row.accepted_at else None,
            "suspended_until": row.suspended_until.isoformat() if row.suspended_until else None,
            "refusal_code": row.refusal_code, "decision": row.decision, "remedy": row.remedy,
            "decided_at": row.decided_at.isoformat() if row.decided_at else None,
            "deadline_state": complaints.deadline_state(row), "files": _files_out(row.files)}


def _challenge_out(row) -> dict:
    due = complaints.complaint_due(row)
    complaint = complaints.complaint_of(row)
    return {"id": row.id, "award_id": row.award_id, "org_id": row.org_id, "text": row.text,
            "filed_at": row.filed_at.isoformat(), "answer_due_at": row.answer_due_at.isoformat(),
            "answer": row.answer, "upheld": row.upheld, "remedy": row.remedy,
            "answered_at": row.answered_at.isoformat() if row.answered_at else None,
            "complaint_due": due.isoformat() if due else None, "files": _files_out(row.files),
            "complaint": _complaint_out(complaint) if complaint else None}


def _form_files() -> list:
    return [(f.filename or "", f.stream) for f in request.files.getlist("files")]


@blp.get("/awards/<int:award_id>/challenges")
def award_challenges(award_id: int):
    """The award's challenges this user may see (a bidder: its own), with answers and complaints."""
    award = db.session.get(Award, award_id)
    if award is None or not challenges.can_view(current_user, award):
        raise NotFound("定标记录不存在。", code="award_not_found")
    due = challenges.challenge_due(award)
    return {"award_id": award.id, "challenge_due": due.isoformat() if due else None,
            "blocked": complaints.award_blocked(award),
            "challenges": [_challenge_out(c) for c in challenges.visible_challenges(current_user, award)]}


@blp.post("/awards/<int:award_id>/challenges")
def file_challenge(award_id: int):
    """A bidder challenges the published result (multipart: `text`, any number of `files`)."""
    row = challenges.file_challenge(current_user, award_id, request.form.get("text", ""), _form_files())
    evidence.commit()  # the agency and the purchaser are told after it
    return _challenge_out(row), 201


@blp.post("/challenges/<int:challenge_id>/answer")
@blp.arguments(ChallengeAnswerIn)
def answer_challenge(data: dict, challenge_id: int):
    """The agency answers; upheld, the award is void or the committee re-evaluates (`remedy`)."""
    row = challenges.answer_challenge(current_user, challenge_id, data["answer"], upheld=data["upheld"],
                                      remedy=data["remedy"])
    db.session.commit()
    return _challenge_out(row)


@blp.post("/challenges/<int:challenge_id>/complaint")
def file_complaint(challenge_id: int):
    """The challenger complains to finance (multipart: `facts`, `requests`, any number of `files`)."""
    row = complaints.file_complaint(current_user, challenge_id, request.form.get("facts", ""),
                                    request.form.get("requests", ""), _form_files())
    evidence.commit()
    messages.complaint_filed(row.id)
    return _complaint_out(row), 201


@blp.get("/complaints")
def complaint_list():
    """Finance: the complaints of the regions this supervisor oversees, newest first."""
    return {"complaints": [_complaint_out(c) for c in complaints.complaints_for_finance(current_user)]}


@blp.get("/complaints/<int:complaint_id>")
def get_complaint(complaint_id: int):
    return _complaint_out(complaints.get_complaint(current_user, complaint_id))


def _handled(row) -> dict:
    db.session.commit()
    messages.complaint_handled(row.id)
    return _complaint_out(row)


@blp.post("/complaints/<int:complaint_id>/accept")
@blp.arguments(ComplaintAcceptIn)
def accept_complaint(data: dict, complaint_id: int):
    return _handled(complaints.accept_complaint(current_user, complaint_id, suspend=data["suspend"]))


@blp.post("/complaints/<int:complaint_id>/suspend")
def suspend_procurement(complaint_id: int):
    return _handled(complaints.suspend_procurement(current_user, complaint_id))


@blp.post("/complaints/<int:complaint_id>/refuse")
@blp.arguments(ComplaintRefuseIn)
def refuse_complaint(data: dict, complaint_id: int):
    return _handled(complaints.refuse_complaint(current_user, complaint_id, data["reason"], data["note"]))


@blp.post("/complaints/<int:complaint_id>/decide")
@blp.arguments(ComplaintDecideIn)
def decide_complaint(data: dict, complaint_id: int):
    return _handled(complaints.decide_complaint(current_user, complaint_id, data["decision"],
                                                upheld=data["upheld"], remedy=data["remedy"]))


@blp.get("/evidence/<int:file_id>")
def evidence_file(file_id: int):
    """One evidence file: the filer, the agency, the purchaser and the region's supervisors only."""
    item = evidence.file_for(current_user, file_id)
    response = files.send_download(evidence.absolute(item), item.name)
    response.headers["Cache-Control"] = "no-store"
    return response
