"""What the award record keeps (issue 21): the evaluated price after a confirmed correction from the
report to the contract, dissents and score changes in the signed report, a voided award's notice
withdrawn, Art 68 after the purchaser's deadline."""

from __future__ import annotations

from datetime import timedelta

from evaluation_helpers import declare_and_elect, review_all_pass, sign_report
from tests_helpers import totp_code

TERMS = {"performance_place": "泰顺县人民医院", "payment": "验收合格后30日内支付", "acceptance": "到货验收",
         "warranty": "整机保修三年"}


def _scored(room, clock, *, sign_answer=None, corrections=False):
    """Open, declare, review; with `corrections` bid 0 reads ¥900,000.00 in figures but ¥880,000.00 in
    words and bid 1 ¥920,000.00 / ¥925,000.00, both confirmed; then three experts score and the chair starts
    the summary. Returns the committee id."""
    from sqlalchemy import select

    from core.db import db
    from evaluation import service
    from tender.models import OpeningRecord

    if corrections:
        lines = {r.bid_id: r for r in db.session.scalars(select(OpeningRecord))}
        lines[room.bids[0].id].price_detail = {"price_words": "捌拾捌万元整"}
        lines[room.bids[1].id].price_detail = {"price_words": "玖拾贰万伍仟元整"}
        lines[room.bids[2].id].price_detail = {"price_words": "玖拾伍万元整"}
    clock.advance(timedelta(minutes=31))
    cid = service.open_evaluation(room.agency, room.lot.id).id
    declare_and_elect(room, cid)
    review_all_pass(room, cid, finish=not corrections)
    if corrections:
        db.session.commit()
        for item in service.request_price_confirmations(room.experts[0], cid):
            supplier = room.suppliers[[b.id for b in room.bids].index(item.bid_id)]
            service.answer_price_correction(supplier, item.id, True, sign_answer(supplier, item, confirmed=True))
        service.finish_review(room.experts[0], cid)
    clock.advance(timedelta(seconds=31))
    sheet = {str(b.id): {"技术": "40", "商务": "12"} for b in room.bids}
    for user in room.panel:
        service.submit_scores(user, cid, sheet, totp_code(user))
    service.start_summary(room.experts[0], cid)
    db.session.commit()
    return cid


def test_the_confirmed_corrected_price_is_the_price_of_the_award_notice_result_notice_and_contract(
        room, clock, sign_answer):
    from sqlalchemy import select

    from contracts import service as contract_service
    from core.db import db
    from evaluation import contracts, letters, service
    from notices.models import Notice

    cid = _scored(room, clock, sign_answer=sign_answer, corrections=True)
    report = service.accept_summary(room.experts[0], cid)
    assert [(c.bid_id, c.price_fen) for c in report.candidates][:2] == [(room.bids[0].id, 880_000_00),
                                                                       (room.bids[1].id, 925_000_00)]
    sign_report(room, clock, report)
    award = service.send_report(room.agency, cid)
    service.confirm_winner(room.purchaser, award.id, report.candidates[0].id)
    service.publish_result(room.agency, award.id)
    notice = db.session.scalar(select(Notice).where(Notice.lot_id == room.lot.id).order_by(Notice.id.desc()))
    assert "880,000.00" in notice.body and "900,000.00" not in notice.body
    data = letters.letter_data(service.get_committee(cid), award)
    assert {d["winner"]["price_fen"] for d in data} == {880_000_00}
    # the first award voided, the second candidate chosen: its corrected price, not the opening's
    service.void_award(room.agency, award.id, "中标人放弃中标")
    second = service.send_report(room.agency, cid)
    service.confirm_winner(room.purchaser, second.id, report.candidates[1].id, reason="第一名放弃中标")
    service.publish_result(room.agency, second.id)
    notice = db.session.scalar(select(Notice).where(Notice.lot_id == room.lot.id,
                                                    Notice.title.contains("结果公告")).order_by(Notice.id.desc()))
    assert "925,000.00" in notice.body and "920,000.00" not in notice.body
    contract = contracts.draft_contract(room.purchaser, second.id, TERMS)
    assert contract.amount_fen == 925_000_00
    assert contract_service.document_of(contract)["amount_fen"] == 925_000_00


def _report_text(report) -> str:
    from pdf_helpers import pdf_text

    from evaluation import report_pdf

    return pdf_text(report_pdf.absolute(report.pdf_path).read_bytes())


def test_score_changes_and_dissents_are_in_the_signed_report_and_signing_is_over_the_final_text(room, clock):
    import pytest
    from sqlalchemy import select

    from audit.models import AuditEvent
    from core.db import db
    from core.errors import Conflict
    from evaluation import service
    from evaluation.models import ScoreChange, ScoreFlag
    from evaluation.transitions import CommitteeStatus, ReportStatus

    cid = _scored(room, clock)
    committee = service.get_committee(cid)
    second = next(m for m in committee.members if m.user_id == room.experts[1].id)
    finding = service.propose_outlier(room.experts[0], cid, second.id, room.bids[0].id, "技术", "明显高于其他成员")
    for user in room.panel[2:4]:
        service.vote_outlier(user, finding.id, True)
    flag = db.session.get(ScoreFlag, finding.flag_id)
    service.resolve_flag(room.experts[1], flag.id, action="correct", note="复核技术响应后下调",
                         new_score="33.5")
    change = db.session.scalars(select(ScoreChange)).one()
    assert (change.member_id, change.from_h, change.to_h, change.note) == (second.id, 4000, 3350, "复核技术响应后下调")
    report = service.accept_summary(room.experts[0], cid)
    text = _report_text(report)
    assert "评审汇总中修改的评分" in text and "40.00" in text and "33.50" in text and "复核技术响应后下调" in text
    assert "经评审委员会认定评分畸高、畸低" in text and "持不同意见的成员及理由：无" in text

    first_hash = report.pdf_sha256
    clock.advance(timedelta(seconds=31))
    service.sign_report(room.experts[0], report.id, totp_code(room.experts[0]))
    service.sign_report(room.experts[2], report.id, totp_code(room.experts[2]),
                        dissent="第二名的技术方案更优，排序应当调整")
    db.session.refresh(report)
    assert report.pdf_sha256 != first_hash  # rendered again with the dissent
    text = _report_text(report)
    name = room.experts[2].name
    assert f"{name}：第二名的技术方案更优，排序应当调整" in text and "持不同意见的成员及理由：无" not in text
    rerendered = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "evaluation.report_rerendered")).one()
    assert first_hash in rerendered.payload and report.pdf_sha256 in rerendered.payload
    for user in (room.experts[1], *room.panel[3:]):
        service.sign_report(user, report.id, totp_code(user))
    db.session.refresh(report)
    committee = service.get_committee(cid)
    # the chair signed the text without the dissent: the report is not signed until it signs the final one
    assert report.status is ReportStatus.SIGNING and committee.status is CommitteeStatus.REPORTING
    chair = next(m for m in committee.members if m.user_id == room.experts[0].id)
    assert chair.id not in service.progress(committee)["signing"]
    clock.advance(timedelta(seconds=31))
    service.sign_report(room.experts[0], report.id, totp_code(room.experts[0]))
    db.session.refresh(report)
    assert report.status is ReportStatus.SIGNED
    assert {s.pdf_sha256 for s in report.signatures} == {report.pdf_sha256}
    assert [s.dissent for s in report.signatures if s.dissent] == ["第二名的技术方案更优，排序应当调整"]
    with pytest.raises(Conflict):
        service.sign_report(room.experts[0], report.id, totp_code(room.experts[0]))


def test_a_voided_award_withdraws_its_result_notice_with_a_correction_notice(room, published, client):
    from sqlalchemy import select

    from core.db import db
    from evaluation import service
    from notices import kinds
    from notices.models import Notice

    old = db.session.scalar(select(Notice).where(Notice.kind == kinds.RESULT))
    assert f"/notices/{old.id}\"" in client.get("/notices").get_data(as_text=True)
    service.void_award(room.agency, published.id, "质疑成立：中标人提供的业绩证明不实")
    db.session.commit()
    db.session.refresh(old)
    correction = db.session.scalar(select(Notice).where(Notice.kind == kinds.CORRECTION))
    assert old.withdrawn_at is not None and old.withdrawn_by_id == correction.id
    assert "撤销" in correction.body and "质疑成立：中标人提供的业绩证明不实" in correction.body
    listing = client.get("/notices").get_data(as_text=True)
    assert f"/notices/{old.id}\"" not in listing and f"/notices/{correction.id}\"" in listing
    page = client.get(f"/notices/{old.id}").get_data(as_text=True)
    assert "本公告已于" in page and f"/notices/{correction.id}" in page


def test_a_missed_confirmation_deadline_deems_the_first_candidate_confirmed_and_finance_sees_it(room, clock, client):
    from evaluation_helpers import as_user

    from core.db import db
    from evaluation import service
    from evaluation.models import Award
    from evaluation.tasks import sweep_awards
    from evaluation.transitions import AwardStatus

    cid = _scored(room, clock)
    report = service.accept_summary(room.experts[0], cid)
    sign_report(room, clock, report)
    award = service.send_report(room.agency, cid)
    db.session.commit()
    as_user(client, room.supervisor, clock)
    assert "逾期确定中标人" in client.get("/dashboard").get_data(as_text=True)
    assert "逾期未确定中标人 ·" not in client.get("/dashboard").get_data(as_text=True)
    clock.advance(timedelta(days=10))  # five working days passed, nothing confirmed
    found = sweep_awards.run()
    assert found["deemed"] == [award.id] and found["overdue"] == [award.id]
    award = db.session.get(Award, award.id)
    assert award.status is AwardStatus.CONFIRMED and award.deemed_confirmed and award.confirmed_by_id is None
    assert award.candidate.position == 1
    assert sweep_awards.run()["deemed"] == []
    page = client.get("/dashboard").get_data(as_text=True)
    assert "已视同确定排名第一的候选人，待发布结果" in page and room.project.title in page
    # no longer stuck: the result can be published (on 7 December the 30 days to sign reach 2027)
    service.publish_result(room.agency, award.id, confirm_uncovered_year=2027)
    db.session.commit()
    assert db.session.get(Award, award.id).status is AwardStatus.NOTIFIED
    assert "已视同确定排名第一的候选人" not in client.get("/dashboard").get_data(as_text=True)
