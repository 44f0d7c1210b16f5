"""The evaluation room end to end through the service functions: open, declarations (a conflict is
replaced through the draw), chair vote, reviews, independent scores (secret until submitted, TOTP
step-up), flags confirmed with reasons, summary lock, report PDF, signatures, award, notice, contract."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pdf_helpers import assert_readable
from sqlalchemy import select
from tests_helpers import totp_code

from core.clock import to_local
from core.errors import Conflict, DomainError, Forbidden


def _tick(clock, seconds: int = 31) -> None:
    clock.advance(timedelta(seconds=seconds))


def _open(room, clock):
    from core.db import db
    from evaluation import service

    clock.advance(timedelta(minutes=31))
    committee = service.open_evaluation(room.agency, room.lot.id)
    db.session.commit()
    return committee


def _declared(room, clock, *, conflict_last: bool = True, replace: bool = True):
    """Open, every expert declares (the fourth declares a conflict and, with `replace`, the reserve is
    seated in his place and declares), chair elected (the first) by three votes of the five."""
    from evaluation_helpers import seat_replacement

    from core.db import db
    from evaluation import service

    committee = _open(room, clock)
    for i, user in enumerate(room.experts):
        conflict = conflict_last and i == 3
        service.sign_declaration(user, committee.id, conflict=conflict, note="曾在投标人处任职" if conflict else "")
    if conflict_last and replace:
        seat_replacement(room, committee.id, room.experts[3])
    db.session.commit()
    members = {m.user_id: m for m in committee.members}
    chair = members[room.experts[0].id]
    assert service.vote_chair(room.experts[0], committee.id, chair.id) is None
    assert service.vote_chair(room.experts[1], committee.id, chair.id) is None
    assert service.vote_chair(room.experts[2], committee.id, chair.id).id == chair.id
    db.session.commit()
    return committee


def _all_pass(room, committee, stage):
    from evaluation import service

    reqs = service.requirements_of(committee)[stage]
    return [{"bid_id": b.id, "requirement": r, "passed": True} for b in room.bids for r in reqs]


def _reviewed(room, clock):
    from core.db import db
    from evaluation import service

    committee = _declared(room, clock)
    service.start_review(room.experts[0], committee.id)
    for user in room.panel:
        for stage in ("qualification", "compliance"):
            service.submit_review(user, committee.id, stage, _all_pass(room, committee, stage))
    db.session.commit()
    service.finish_review(room.experts[0], committee.id)
    db.session.commit()
    return committee


SHEETS = [  # per expert: bid index -> (技术, 商务)
    {0: ("40", "12"), 1: ("38", "13"), 2: ("35", "10")},
    {0: ("41", "12"), 1: ("37", "14"), 2: ("36", "11")},
    {0: ("39", "11"), 1: ("20", "13"), 2: ("34", "10")},  # 20 for bid 2's 技术 is an outlier
    {0: ("40", "12"), 1: ("38", "13"), 2: ("35", "10")},
    {0: ("41", "12"), 1: ("37", "14"), 2: ("36", "11")},
]


def _sheet(room, i):
    return {b.id: {"技术": SHEETS[i][k][0], "商务": SHEETS[i][k][1]} for k, b in enumerate(room.bids)}


def test_open_needs_the_agency_and_the_evaluation_start(room, clock):
    from core.db import db
    from evaluation import service
    from tender.transitions import ProjectStatus

    with pytest.raises(Forbidden):
        service.open_evaluation(room.purchaser, room.lot.id)
    with pytest.raises(Conflict) as exc:
        service.open_evaluation(room.agency, room.lot.id)
    assert exc.value.code == "evaluation_not_started"
    db.session.rollback()
    committee = _open(room, clock)
    assert committee.status.value == "declaring"
    assert len(committee.members) == 5 and sum(m.hand_picked for m in committee.members) == 1
    assert room.project.status is ProjectStatus.EVALUATING
    with pytest.raises(Conflict):
        service.open_evaluation(room.agency, room.lot.id)


def test_open_needs_every_seat_of_the_draw_confirmed(room, clock):
    from core.db import db
    from evaluation import service
    from evaluation.models import Committee
    from expert_draw.models import InvitationStatus, RequestStatus

    invitation = room.request.invitations[0]  # an expert declined; the replacement has not confirmed yet
    invitation.status, invitation.decline_reason = InvitationStatus.DECLINED, "临时出差"
    room.request.status = RequestStatus.DRAWN
    db.session.commit()
    clock.advance(timedelta(minutes=31))
    with pytest.raises(Conflict) as exc:
        service.open_evaluation(room.agency, room.lot.id)
    assert exc.value.code == "draw_incomplete" and exc.value.details["confirmed"] == 4
    db.session.rollback()
    assert db.session.scalar(select(Committee)) is None


def test_conflict_leaves_and_is_replaced_through_the_draw(room, clock):
    from core.db import db
    from evaluation import service
    from expert_draw.models import Invitation, InvitationStatus

    committee = _declared(room, clock, replace=False)
    gone = next(m for m in committee.members if m.user_id == room.experts[3].id)
    assert gone.status.value == "conflict" and gone.left_at is not None
    with pytest.raises(Forbidden):
        service.replace_conflicted(room.experts[0], gone.id)
    service.replace_conflicted(room.agency, gone.id)
    db.session.commit()
    assert db.session.get(Invitation, gone.invitation_id).status is InvitationStatus.WITHDRAWN
    # A conflicted member cannot vote, review or read bids.
    assert service.actor_of(room.experts[3], committee) is None
    with pytest.raises(Forbidden):
        service.vote_chair(room.experts[3], committee.id, gone.id)


def test_chair_needs_a_majority_and_only_the_chair_starts_the_review(room, clock):
    from evaluation import service

    committee = _declared(room, clock)
    assert committee.chair.user_id == room.experts[0].id
    with pytest.raises(Forbidden):
        service.start_review(room.experts[1], committee.id)
    service.start_review(room.experts[0], committee.id)
    assert committee.status.value == "reviewing"


def test_bids_readable_only_by_members_during_the_evaluation_and_every_view_audited(room, clock):
    from audit.models import AuditEvent
    from core.db import db
    from evaluation import service

    committee = _declared(room, clock)
    with pytest.raises(Forbidden):  # declaring: not yet
        service.bid_documents(room.experts[0], committee.id, room.bids[0].id)
    service.start_review(room.experts[0], committee.id)
    db.session.commit()
    files = service.bid_documents(room.experts[1], committee.id, room.bids[0].id)
    assert files == [{"name": "技术响应.txt", "size": len("供应商1的技术响应文件".encode())}]
    path = service.open_bid_document(room.experts[1], committee.id, room.bids[0].id, "技术响应.txt")
    assert path.read_text(encoding="utf-8") == "供应商1的技术响应文件"
    views = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "evaluation.bid_viewed")).all()
    assert len(views) == 1 and '"viewer"' in views[0].payload
    for outsider in (room.agency, room.purchaser, room.supervisor, room.suppliers[0], room.experts[3], room.outsider):
        with pytest.raises(Forbidden):
            service.open_bid_document(outsider, committee.id, room.bids[0].id, "技术响应.txt")
    with pytest.raises(DomainError):
        service.open_bid_document(room.experts[1], committee.id, room.bids[0].id, "../../../x")


def test_a_fail_needs_a_reason_and_a_sheet_must_be_complete(room, clock):
    from core.errors import ValidationError
    from evaluation import service

    committee = _declared(room, clock)
    service.start_review(room.experts[0], committee.id)
    marks = _all_pass(room, committee, "qualification")
    marks[0] = {**marks[0], "passed": False}
    with pytest.raises(ValidationError) as exc:
        service.submit_review(room.experts[1], committee.id, "qualification", marks)
    assert exc.value.code == "review_reason_required"
    with pytest.raises(ValidationError) as exc:
        service.submit_review(room.experts[1], committee.id, "qualification", marks[1:])
    assert exc.value.code == "review_incomplete"
    with pytest.raises(Conflict) as exc:
        service.finish_review(room.experts[0], committee.id)
    assert exc.value.code == "reviews_missing"


def test_majority_fail_excludes_and_too_few_valid_bids_fail_the_lot(room, clock):
    from core.db import db
    from evaluation import service
    from evaluation.models import BidEvaluation

    committee = _declared(room, clock)
    service.start_review(room.experts[0], committee.id)
    for i, user in enumerate(room.panel):
        for stage in ("qualification", "compliance"):
            marks = _all_pass(room, committee, stage)
            if stage == "compliance" and i < 3:  # three of five fail bid 3 on one requirement
                marks[-1] = {**marks[-1], "passed": False, "reason": "报价超过最高限价"}
            service.submit_review(user, committee.id, stage, marks)
    service.finish_review(room.experts[0], committee.id)
    db.session.commit()
    assert committee.status.value == "failed"
    row = db.session.scalar(select(BidEvaluation).where(BidEvaluation.bid_id == room.bids[2].id))
    assert row.excluded and "最高限价" in row.exclusion_reason
    # the lot is settled as failed with its public 废标 notice; its only lot failed, so the project failed
    from notices.models import Notice

    assert room.lot.status.value == "failed" and room.project.status.value == "failed"
    notice = db.session.scalar(select(Notice).where(Notice.lot_id == room.lot.id, Notice.kind == "failure"))
    assert notice is not None and "不足三家" in notice.body


def test_scores_are_secret_until_submitted_and_need_the_step_up(room, clock):
    from accounts.service import LoginFailed
    from core.db import db
    from core.errors import ValidationError
    from evaluation import service

    committee = _reviewed(room, clock)
    assert committee.status.value == "scoring"
    a, b = room.experts[0], room.experts[1]
    with pytest.raises(LoginFailed):
        service.submit_scores(a, committee.id, _sheet(room, 0), "000000")
    db.session.rollback()
    _tick(clock)
    incomplete = _sheet(room, 0)
    incomplete.pop(room.bids[0].id)
    with pytest.raises(ValidationError) as exc:
        service.submit_scores(a, committee.id, incomplete, totp_code(a))
    names = service.bid_names(committee)
    assert names[room.bids[0].id] in exc.value.message  # the bidder still to be scored is named
    too_high = _sheet(room, 0)
    too_high[room.bids[0].id]["商务"] = "15.5"
    with pytest.raises(ValidationError) as exc:
        service.submit_scores(a, committee.id, too_high, totp_code(a))
    assert exc.value.code == "score_out_of_range"
    assert names[room.bids[0].id] in exc.value.message and "“商务”" in exc.value.message  # bidder and criterion
    service.submit_scores(a, committee.id, _sheet(room, 0), totp_code(a))
    db.session.commit()
    committee = service.get_committee(committee.id)
    # a sees his own and (having submitted) the others' — there are none yet; b sees nothing of a's
    assert len(service.scores_visible_to(a, committee)) == 6
    assert service.scores_visible_to(b, committee) == []
    for observer in (room.agency, room.supervisor, room.purchaser, room.outsider):
        assert service.scores_visible_to(observer, committee) == []
    assert "scores" not in str(service.state_for(room.agency, committee).get("scores") or "")
    _tick(clock)
    with pytest.raises(Conflict):
        service.submit_scores(a, committee.id, _sheet(room, 0), totp_code(a))
    db.session.rollback()
    service.submit_scores(b, committee.id, _sheet(room, 1), totp_code(b))
    db.session.commit()
    assert len(service.scores_visible_to(a, committee)) == 12
    assert len(service.scores_visible_to(b, committee)) == 12
    # the audit log carries the sheet's hash, not the scores
    from audit.models import AuditEvent

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "evaluation.scores_submitted")).all()
    assert all("技术" not in e.payload and "sheet_sha256" in e.payload for e in events)


def _scored(room, clock):
    from core.db import db
    from evaluation import service

    committee = _reviewed(room, clock)
    _tick(clock)
    for i, user in enumerate(room.panel):
        service.submit_scores(user, committee.id, _sheet(room, i), totp_code(user))
    db.session.commit()
    return committee


def test_full_lifecycle_to_signed_report_award_and_contract(room, clock):
    from audit.models import AuditEvent
    from core.db import db
    from evaluation import report_pdf, service
    from evaluation.models import Award, BidEvaluation, EvaluationReport
    from notices.models import Notice

    committee = _scored(room, clock)
    chair, b, c = room.experts[:3]
    flags = service.start_summary(chair, committee.id)
    db.session.commit()
    assert committee.status.value == "summary"
    outliers = [f for f in flags if f.code.value == "score.outlier"]
    assert outliers and all(f.member_id == next(m.id for m in committee.members if m.user_id == c.id)
                            for f in outliers)
    with pytest.raises(Conflict) as exc:
        service.accept_summary(chair, committee.id)
    assert exc.value.code == "open_flags"
    db.session.rollback()
    with pytest.raises(Forbidden):
        service.resolve_flag(b, outliers[0].id, action="confirm", note="x")
    flag = service.resolve_flag(c, outliers[0].id, action="correct", note="复核后修正", new_score="33")
    db.session.commit()
    assert flag.resolution.value == "corrected"
    for left in service.raise_flags(committee):
        assert left.member_id == flag.member_id
        service.resolve_flag(c, left.id, action="confirm", note="坚持原评分，理由见评审记录")
    db.session.commit()
    report = service.accept_summary(chair, committee.id)
    db.session.commit()
    assert committee.status.value == "reporting" and committee.summary_locked_at is not None
    assert [cand.bid_id for cand in report.candidates] == [room.bids[0].id, room.bids[1].id, room.bids[2].id]
    pdf = report_pdf.absolute(report.pdf_path).read_bytes()
    assert pdf.startswith(b"%PDF") and report.status.value == "signing"
    assert_readable(pdf, "评审报告", "评审委员会成员", "评审价格与价格分", room.project.code)
    rows = db.session.scalars(select(BidEvaluation).where(BidEvaluation.committee_id == committee.id)).all()
    assert {r.rank for r in rows} == {1, 2, 3}
    # signing: TOTP each, a dissent with reasons, the last signature completes
    _tick(clock)
    with pytest.raises(Forbidden):
        service.sign_report(room.agency, report.id, "123456")
    service.sign_report(chair, report.id, totp_code(chair))
    service.sign_report(b, report.id, totp_code(b), dissent="对供应商3的技术评分有不同意见")
    db.session.commit()
    assert committee.status.value == "reporting"
    with pytest.raises(Conflict):
        service.send_report(room.agency, committee.id)
    db.session.rollback()
    for user in (c, *room.panel[3:]):
        service.sign_report(user, report.id, totp_code(user))
    db.session.commit()
    # b's dissent re-rendered the report: the chair signed the earlier text and signs the final one again
    assert db.session.get(EvaluationReport, report.id).status.value == "signing"
    _tick(clock)
    service.sign_report(chair, report.id, totp_code(chair))
    db.session.commit()
    report = db.session.get(EvaluationReport, report.id)
    assert report.status.value == "signed" and committee.status.value == "completed"
    signed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "evaluation.report_signed")
                                .order_by(AuditEvent.seq)).all()
    assert len(signed) == 6 and all(report.pdf_sha256 in e.payload for e in signed[1:])
    assert {s.audit_seq for s in report.signatures} == {e.seq for e in signed[1:]}
    # the agency now sees the scores; the purchaser reads the report once it is sent
    assert len(service.scores_visible_to(room.agency, committee)) == 30
    assert not service.can_read_report(room.purchaser, committee)
    award = service.send_report(room.agency, committee.id)
    db.session.commit()
    assert service.can_read_report(room.purchaser, committee)
    assert award.status.value == "pending" and service.award_deadline_state(award) == "open"
    with pytest.raises(DomainError):
        service.confirm_winner(room.purchaser, award.id, report.candidates[1].id)
    db.session.rollback()
    with pytest.raises(Forbidden):
        service.confirm_winner(room.agency, award.id, report.candidates[0].id)
    service.confirm_winner(room.purchaser, award.id, report.candidates[0].id)
    service.publish_result(room.agency, award.id)
    db.session.commit()
    notice = db.session.scalar(select(Notice).where(Notice.kind == "result"))
    assert "供应商1有限公司" in notice.body and "评审委员会成员" in notice.body
    assert service.award_recipients(award) == (room.suppliers[0].org_id,
                                                sorted([room.suppliers[1].org_id, room.suppliers[2].org_id]))
    assert db.session.get(Award, award.id).status.value == "notified"  # the contract: test_contracts.py


def test_award_deadline_moves_to_remind_and_overdue(room, clock):
    from core.db import db
    from evaluation import service
    from evaluation.models import Award, Candidate, EvaluationReport

    committee = _open(room, clock)
    report = EvaluationReport(committee_id=committee.id, generated_at=clock.now(), status="signed",
                              pdf_sha256="0" * 64, signed_at=clock.now())
    report.candidates.append(Candidate(bid_id=room.bids[0].id, position=1, rank=1, price_fen=900_000_00))
    db.session.add(report)
    committee.status, committee.summary_locked_at, committee.completed_at = "completed", clock.now(), clock.now()
    db.session.commit()
    award = service.send_report(room.agency, committee.id)
    db.session.commit()
    # Friday 10:30 → five working days: the following Friday
    assert to_local(award.confirm_due_at).date().isoformat() == "2026-12-04"
    assert service.award_deadline_state(award) == "open"
    from evaluation.tasks import sweep_awards

    assert sweep_awards() == {"remind": [], "overdue": [], "deemed": [], "contract_remind": [],
                              "contract_overdue": []}
    clock.advance(timedelta(days=6))
    assert service.award_deadline_state(award) == "remind"
    assert sweep_awards()["remind"] == [award.id]
    assert sweep_awards()["remind"] == []  # once a day
    clock.advance(timedelta(days=2))
    assert service.award_deadline_state(db.session.get(Award, award.id)) == "overdue"
    first = sweep_awards()
    assert first["overdue"] == [award.id] and first["deemed"] == [award.id]  # Art 68: deemed confirmed
    assert sweep_awards()["overdue"] == []  # the finance bureau is warned once
    from audit.models import AuditEvent

    warning = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "evaluation.award_overdue"))
    assert str(room.supervisor.org_id) in warning.payload


def _low_priced_room(room, clock):
    """The third bid's price cut to 40 % of the others': the rules call it abnormally low."""
    from core.db import db
    from tender.models import OpeningRecord

    line = db.session.scalar(select(OpeningRecord).where(OpeningRecord.bid_id == room.bids[2].id))
    line.price_fen = 400_000_00
    db.session.commit()
    committee = _declared(room, clock)
    from evaluation import service

    service.start_review(room.experts[0], committee.id)
    for user in room.panel:
        for stage in ("qualification", "compliance"):
            service.submit_review(user, committee.id, stage, _all_pass(room, committee, stage))
    db.session.commit()
    return committee


def test_low_price_needs_an_explanation_answered_by_the_bidder_and_decided(room, clock, sign_answer):
    from core.db import db
    from evaluation import service

    committee = _low_priced_room(room, clock)
    with pytest.raises(Conflict) as exc:
        service.finish_review(room.experts[0], committee.id)
    assert exc.value.code == "evaluation_pending"
    db.session.rollback()
    made = service.request_low_price_explanations(room.experts[0], committee.id)
    db.session.commit()
    assert [m.bid_id for m in made] == [room.bids[2].id] and made[0].due_at == clock.now() + timedelta(minutes=60)
    assert service.request_low_price_explanations(room.experts[0], committee.id) == []  # asked once
    with pytest.raises(Forbidden):
        service.answer_clarification(room.suppliers[0], made[0].id, "我们不是被询问的投标人", "x")
    with pytest.raises(Conflict):  # not answered, not yet due
        service.decide_explanation(room.experts[0], made[0].id, True)
    db.session.rollback()
    assert [c.id for c in service.clarifications_of_supplier(room.suppliers[2])] == [made[0].id]
    assert service.clarifications_of_supplier(room.suppliers[0]) == []
    text = "本公司为生产厂家，直供无中间环节，附成本构成表。"
    with pytest.raises(DomainError) as exc:  # an answer must be signed with the bidder's registered key
        service.answer_clarification(room.suppliers[2], made[0].id, text, "x")
    assert exc.value.code == "no_sign_key"
    db.session.rollback()
    signature = sign_answer(room.suppliers[2], made[0], answer=text)
    with pytest.raises(DomainError) as exc:  # the signature covers the text: another text does not verify
        service.answer_clarification(room.suppliers[2], made[0].id, text + "（补充）", signature)
    assert exc.value.code == "signature_invalid"
    db.session.rollback()
    item = service.answer_clarification(room.suppliers[2], made[0].id, text + "\n", signature)  # trimmed
    assert item.answer == text and item.answer_signature == signature and item.answer_key_id is not None
    service.decide_explanation(room.experts[0], made[0].id, True, "成本构成合理")
    db.session.commit()
    service.finish_review(room.experts[0], committee.id)
    assert committee.status.value == "scoring" and len(service.valid_bid_ids(committee)) == 3


def test_an_explanation_not_given_in_time_excludes_the_bid(room, clock):
    from core.db import db
    from evaluation import service
    from evaluation.models import BidEvaluation

    committee = _low_priced_room(room, clock)
    made = service.request_low_price_explanations(room.experts[0], committee.id)
    db.session.commit()
    clock.advance(timedelta(minutes=61))
    with pytest.raises(Conflict) as exc:
        service.answer_clarification(room.suppliers[2], made[0].id, "迟到的说明", "x")
    assert exc.value.code == "clarification_overdue"
    db.session.rollback()
    service.decide_explanation(room.experts[0], made[0].id, True)
    service.finish_review(room.experts[0], committee.id)
    db.session.commit()
    row = db.session.scalar(select(BidEvaluation).where(BidEvaluation.bid_id == room.bids[2].id))
    assert row.excluded and row.exclusion_code == "low_price.no_explanation"
    assert committee.status.value == "failed"  # two valid bids are too few


def test_lowest_price_method_skips_scoring_and_ranks_by_price(room, clock):
    from core.db import db
    from evaluation import service
    from tender.transitions import EvalMethod

    room.project.eval_method = EvalMethod.LOWEST_PRICE
    db.session.commit()
    committee = _reviewed(room, clock)
    assert committee.status.value == "summary"
    report = service.accept_summary(room.experts[0], committee.id)
    db.session.commit()
    assert [c.bid_id for c in report.candidates] == [b.id for b in room.bids]
    assert all(c.total_h is None for c in report.candidates)


def test_agency_suspends_and_resumes_the_room_at_the_same_stage(room, clock):
    from core.db import db
    from core.errors import ValidationError
    from evaluation import service

    committee = _reviewed(room, clock)
    with pytest.raises(Forbidden):
        service.suspend(room.experts[0], committee.id, "网络故障")
    with pytest.raises(ValidationError):
        service.suspend(room.agency, committee.id, "")
    service.suspend(room.agency, committee.id, "一名专家网络中断")
    db.session.commit()
    _tick(clock)
    with pytest.raises(Conflict):  # nothing is scored while suspended
        service.submit_scores(room.experts[0], committee.id, _sheet(room, 0), totp_code(room.experts[0]))
    db.session.rollback()
    service.resume(room.agency, committee.id)
    db.session.commit()
    assert committee.status.value == "scoring"


def test_sme_deduction_changes_the_evaluated_price_and_the_price_score(room, clock):
    from core.db import db
    from evaluation import service
    from evaluation.models import BidEvaluation

    committee = _declared(room, clock)
    service.start_review(room.experts[0], committee.id)
    with pytest.raises(Forbidden):
        service.set_sme_class(room.experts[1], committee.id, room.bids[2].id, "small_micro")
    service.set_sme_class(room.experts[0], committee.id, room.bids[2].id, "small_micro")
    for user in room.panel:
        for stage in ("qualification", "compliance"):
            service.submit_review(user, committee.id, stage, _all_pass(room, committee, stage))
    service.finish_review(room.experts[0], committee.id)
    _tick(clock)
    for user in room.panel:
        sheet = {b.id: {"技术": "40", "商务": "12"} for b in room.bids}
        service.submit_scores(user, committee.id, sheet, totp_code(user))
    service.start_summary(room.experts[0], committee.id)
    report = service.accept_summary(room.experts[0], committee.id)
    db.session.commit()
    rows = {r.bid_id: r for r in db.session.scalars(select(BidEvaluation).where(
        BidEvaluation.committee_id == committee.id))}
    # 950,000 less 10 % = 855,000 < 900,000: the small enterprise becomes the benchmark and wins
    assert rows[room.bids[2].id].deduction_bp == 1000 and rows[room.bids[2].id].price_score_h == 4000
    assert rows[room.bids[0].id].price_score_h == 3800  # 855000 / 900000 × 40
    assert report.candidates[0].bid_id == room.bids[2].id
    assert report.candidates[0].price_fen == 950_000_00  # the contract price stays the bid price


def test_chair_takes_an_unsigned_report_back_to_the_summary(room, clock):
    from core.db import db
    from evaluation import service
    from evaluation.models import EvaluationReport

    committee = _scored(room, clock)
    chair, b, c = room.experts[:3]
    for flag in service.start_summary(chair, committee.id):
        service.resolve_flag(c, flag.id, action="confirm", note="坚持原评分")
    first = service.accept_summary(chair, committee.id)
    _tick(clock)
    service.sign_report(b, first.id, totp_code(b))
    db.session.commit()
    with pytest.raises(Forbidden):
        service.reopen_summary(b, committee.id, "合计错误")
    service.reopen_summary(chair, committee.id, "发现分值汇总计算错误")
    db.session.commit()
    assert committee.status.value == "summary" and committee.summary_locked_at is None
    assert db.session.get(EvaluationReport, first.id).status.value == "superseded"
    second = service.accept_summary(chair, committee.id)
    db.session.commit()
    assert second.version == 2 and second.signatures == [] and service.done(committee, "signing") == set()


def test_the_committee_finds_an_outlier_the_thresholds_missed_and_the_member_corrects_it(room, clock):
    """87号令 Art 64 (4): the committee, not its chair alone, finds a score abnormally high or low. A member
    proposes, the others vote once each; more than half of the members taking part make the finding (each
    vote recorded), half or more against and it is not made; the summary waits for every proposal."""
    from audit.service import payloads_of
    from core.db import db
    from core.errors import ValidationError
    from evaluation import service
    from evaluation.models import Score, ScoreFlag

    committee = _scored(room, clock)
    chair, b, c, e, r = room.panel
    for flag in service.start_summary(chair, committee.id):
        service.resolve_flag(c, flag.id, action="confirm", note="坚持原评分")
    member_b = next(m for m in committee.members if m.user_id == b.id)
    with pytest.raises(ValidationError):
        service.propose_outlier(chair, committee.id, member_b.id, room.bids[0].id, "商务", "")
    with pytest.raises(Forbidden):
        service.propose_outlier(room.agency, committee.id, member_b.id, room.bids[0].id, "商务", "偏高")
    finding = service.propose_outlier(chair, committee.id, member_b.id, room.bids[0].id, "商务", "与业绩证明材料不符")
    db.session.commit()
    assert finding.found is None and finding.flag_id is None  # the chair alone finds nothing
    with pytest.raises(Conflict) as exc:
        service.propose_outlier(c, committee.id, member_b.id, room.bids[0].id, "商务", "同上")
    assert exc.value.code == "finding_pending"
    with pytest.raises(Conflict) as exc:
        service.accept_summary(chair, committee.id)
    assert exc.value.code == "open_findings"
    db.session.rollback()
    service.vote_outlier(c, finding.id, True)
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        service.vote_outlier(c, finding.id, False)
    assert exc.value.code == "already_voted"
    db.session.rollback()
    assert finding.found is None  # two of five
    service.vote_outlier(b, finding.id, False)
    service.vote_outlier(e, finding.id, True)  # three of five: the committee's finding
    db.session.commit()
    assert finding.found is True and finding.decided_at is not None
    flag = db.session.get(ScoreFlag, finding.flag_id)
    assert flag.member_id == member_b.id and "3/5" in flag.message and "与业绩证明材料不符" in flag.message
    (event,) = payloads_of("evaluation.outlier_found", flag)
    member_ids = {u.id: next(m.id for m in committee.members if m.user_id == u.id) for u in room.panel}
    assert event["agreed"] == sorted(member_ids[u.id] for u in (chair, c, e)) and event["disagreed"] == [member_b.id]
    with pytest.raises(Conflict) as exc:
        service.vote_outlier(r, finding.id, True)
    assert exc.value.code == "finding_decided"
    db.session.rollback()

    # a proposal three of five reject is not made, and holds nothing up
    other = service.propose_outlier(r, committee.id, member_b.id, room.bids[1].id, "技术", "偏低")
    for user in (chair, c, e):
        service.vote_outlier(user, other.id, False)
    db.session.commit()
    assert other.found is False and other.flag_id is None and payloads_of("evaluation.outlier_not_found", other)

    with pytest.raises(Conflict):
        service.accept_summary(chair, committee.id)  # the finding's flag waits for its member
    db.session.rollback()
    service.resolve_flag(b, flag.id, action="correct", note="按业绩证明材料重新评分", new_score="10")
    db.session.commit()
    score = db.session.scalar(select(Score).where(Score.member_id == member_b.id, Score.bid_id == room.bids[0].id,
                                                  Score.criterion == "商务"))
    assert score.score_h == 1000 and score.change_reason.value == "outlier"
    assert service.accept_summary(chair, committee.id) is not None

def test_a_total_outlier_follows_the_corrected_scores_and_is_cleared_when_it_no_longer_applies(room, clock):
    """Issue 21: a total-outlier flag stayed open with its old figures after the member corrected the score
    it came from. The flags follow the scores: still an outlier, the message carries the new figures; no
    longer one, the flag is cleared (recorded), and the summary can be accepted."""
    from audit.service import payloads_of
    from core.db import db
    from evaluation import service
    from evaluation.models import FlagResolution, ScoreFlag

    committee = _reviewed(room, clock)
    _tick(clock)
    for i, user in enumerate(room.panel):
        sheet = _sheet(room, i)
        if i == 2:  # both criteria low for the second bid: each an outlier, and the subjective total too
            sheet[room.bids[1].id] = {"技术": "20", "商务": "5"}
        service.submit_scores(user, committee.id, sheet, totp_code(user))
    db.session.commit()
    c = room.panel[2]
    flags = {(f.code.value, f.criterion): f for f in service.start_summary(room.experts[0], committee.id)}
    db.session.commit()
    assert set(flags) == {("score.outlier", "技术"), ("score.outlier", "商务"), ("score.total_outlier", None)}
    total = flags[("score.total_outlier", None)]
    assert "25.00" in total.message

    service.resolve_flag(c, flags[("score.outlier", "技术")].id, action="correct", note="复核后上调", new_score="25")
    db.session.commit()
    db.session.refresh(total)
    assert total.resolution is FlagResolution.OPEN and "30.00" in total.message and "25.00" not in total.message

    service.resolve_flag(c, flags[("score.outlier", "商务")].id, action="correct", note="复核后上调", new_score="13")
    db.session.commit()
    db.session.refresh(total)
    assert total.resolution is FlagResolution.CLEARED and total.note and total.resolved_at is not None
    assert [f.id for f in db.session.scalars(db.select(ScoreFlag).filter_by(resolution=FlagResolution.OPEN))] == []
    assert any(total.id in p["cleared"] for p in payloads_of("evaluation.flags_refreshed", committee))
    assert service.accept_summary(room.experts[0], committee.id) is not None
