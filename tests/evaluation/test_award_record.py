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
    for user in room.experts[:3]:
        service.submit_scores(user, cid, sheet, totp_code(user))
    service.start_summary(room.experts[0], cid)
    db.session.commit()
    return cid


def test_the_confirmed_corrected_price_is_the_price_of_the_award_notice_result_notice_and_contract(
        room, clock, sign_answer):
    from sqlalchemy import select

    from core.db import db
    from evaluation import contracts, letters, service
    from tender.models import Notice

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
    assert contracts.document_of(contract)["amount_fen"] == 925_000_00
