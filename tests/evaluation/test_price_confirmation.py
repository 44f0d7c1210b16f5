"""87号令 Art 59 on real bids: the opening record's price breakdown reaches the correction engine, the
committee sees each correction, the chair sends them to the bidders, and each bidder confirms (the
corrected price binds) or refuses (the bid is invalid) from its own pages; no answer in time counts as
a refusal."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from evaluation_helpers import as_user, declare_and_elect, review_all_pass

WORDS_WRONG = {"price_words": "玖拾贰万伍仟元整"}  # bid 2 reads 920,000.00 in figures: the words prevail
LINES_WRONG = {"price_words": "玖拾伍万元整",       # bid 3: 950,000.00, but its lines add up to 940,000.00
               "items": [{"ref": "1", "name": "彩超主机", "quantity": "1", "unit_price_fen": 900_000_00,
                          "total_fen": 900_000_00},
                         {"ref": "2", "name": "探头", "quantity": "4", "unit_price_fen": 10_000_00,
                          "total_fen": 40_000_00}]}


def _reviewed(room, clock):
    """Breakdowns on the opening record, the room opened, declarations, chair, every review passed."""
    from sqlalchemy import select

    from core.db import db
    from evaluation import service
    from tender.models import OpeningRecord

    lines = {r.bid_id: r for r in db.session.scalars(select(OpeningRecord))}
    lines[room.bids[0].id].price_detail = {"price_words": "玖拾万元整"}
    lines[room.bids[1].id].price_detail = WORDS_WRONG
    lines[room.bids[2].id].price_detail = LINES_WRONG
    clock.advance(timedelta(minutes=31))
    committee = service.open_evaluation(room.agency, room.lot.id)
    cid = committee.id
    declare_and_elect(room, cid)
    review_all_pass(room, cid, finish=False)
    db.session.commit()
    return cid


def _requests(room, clock, cid):
    from core.db import db
    from evaluation import service

    made = service.request_price_confirmations(room.experts[0], cid)
    db.session.commit()
    return {item.bid_id: item for item in made}


def test_the_statement_reaches_the_engine_and_the_committee_sees_the_corrections(room, clock):
    from core.db import db
    from core.errors import Conflict, Forbidden
    from evaluation import service
    from evaluation.models import BidEvaluation, PriceCorrectionRecord

    cid = _reviewed(room, clock)
    committee = service.get_committee(cid)
    inputs = service.lot_inputs(committee)
    statements = {b.bidder: b.statement for b in inputs["bids"]}
    assert statements[room.bids[1].id].summary_total_words == "玖拾贰万伍仟元整"
    assert [i.total for i in statements[room.bids[2].id].items] == [900_000_00, 40_000_00]

    review = {p["bid"]: p for p in service.price_review(committee)}
    assert not review[room.bids[0].id]["needs_confirmation"]
    words = review[room.bids[1].id]
    assert words["price_fen"] == 925_000_00 and words["read_price_fen"] == 920_000_00
    assert words["corrections"] == [
        "开标一览表总价由¥920,000.00修正为¥925,000.00（大写金额和小写金额不一致的，以大写金额为准）"]
    assert review[room.bids[2].id]["price_fen"] == 940_000_00 and not review[room.bids[2].id]["requested"]

    with pytest.raises(Conflict) as held:  # the review cannot end while a correction is unconfirmed
        service.finish_review(room.experts[0], cid)
    assert held.value.code == "evaluation_pending"
    db.session.rollback()
    with pytest.raises(Forbidden):
        service.request_price_confirmations(room.experts[1], cid)
    db.session.rollback()

    asked = _requests(room, clock, cid)
    assert set(asked) == {room.bids[1].id, room.bids[2].id}
    assert "修正后的投标报价为¥925,000.00" in asked[room.bids[1].id].question
    row = db.session.query(BidEvaluation).filter_by(bid_id=room.bids[2].id).one()
    assert row.corrected_price_fen == 940_000_00 and row.correction_confirmed is None
    assert [(c.rule.value, c.field, c.from_fen, c.to_fen) for c in db.session.query(PriceCorrectionRecord)
            .filter_by(bid_evaluation_id=row.id)] == [("price.unit_prices_over_total", "total", 950_000_00, 940_000_00)]
    with pytest.raises(Conflict) as again:
        service.request_price_confirmations(room.experts[0], cid)
    assert again.value.code == "no_price_corrections"


def _confirm(sign_answer, user, item, confirmed: bool):
    from evaluation import service

    return service.answer_price_correction(user, item.id, confirmed, sign_answer(user, item, confirmed=confirmed))




def test_bidders_confirm_from_their_page_and_the_api_and_the_corrected_prices_are_evaluated(room, client, clock,
                                                                                               sign_answer):
    from audit.models import AuditEvent
    from core.db import db
    from evaluation import service
    from evaluation.models import BidEvaluation

    cid = _reviewed(room, clock)
    as_user(client, room.experts[0], clock)  # the chair sees the corrections and sends them from the room
    page = client.get(f"/evaluation/{cid}").get_data(as_text=True)
    assert "报价修正" in page and "以大写金额为准" in page and "将报价修正发给投标人确认" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) and " style=" not in page
    r = client.post(f"/evaluation/{cid}/act/price_corrections", data={"minutes": "30"}, follow_redirects=True)
    assert "等待确认" in r.get_data(as_text=True)
    asked = {c.bid_id: c for c in service.clarifications_of_supplier(room.suppliers[1])
             + service.clarifications_of_supplier(room.suppliers[2])}
    words, lines = asked[room.bids[1].id], asked[room.bids[2].id]
    assert words.kind.value == "price_correction" and words.due_at == clock.now() + timedelta(minutes=30)

    as_user(client, room.suppliers[0], clock)  # another bidder can neither see nor confirm it
    assert "925,000.00" not in client.get("/evaluation/clarifications").get_data(as_text=True)
    client.post(f"/evaluation/clarifications/{words.id}/price", data={"confirmed": "1"})
    db.session.expire_all()
    assert db.session.get(type(words), words.id).answered_at is None

    as_user(client, room.suppliers[1], clock)
    page = client.get("/evaluation/clarifications").get_data(as_text=True)
    assert "报价修正确认" in page and "修正后的投标报价为¥925,000.00" in page and "确认修正后的报价" in page
    assert client.post(f"/evaluation/clarifications/{words.id}", data={"answer": "好"}).status_code == 404
    r = client.post(f"/evaluation/clarifications/{words.id}/price", follow_redirects=True,
                    data={"confirmed": "1", "signature": sign_answer(room.suppliers[1], words, confirmed=True)})
    assert "已确认修正后的报价" in r.get_data(as_text=True)
    again = client.post(f"/evaluation/clarifications/{words.id}/price", data={"confirmed": "0"}, follow_redirects=True)
    assert "已答复，不能更改" in again.get_data(as_text=True)

    as_user(client, room.suppliers[2], clock)
    text = client.post(f"/api/v1/evaluation/clarifications/{lines.id}/answer",
                       json={"answer": "同意", "signature": "x"})
    assert text.status_code == 422 and text.get_json()["error"]["code"] == "answer_by_confirming"
    refused = sign_answer(room.suppliers[2], lines, confirmed=False)  # signed "no": cannot pass for a "yes"
    bad = client.post(f"/api/v1/evaluation/clarifications/{lines.id}/price-confirmation",
                      json={"confirmed": True, "signature": refused})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "signature_invalid"
    template = next(c["sign_template"] for c in client.get("/api/v1/evaluation/my-clarifications").get_json()
                    if c["id"] == lines.id)
    assert template["corrected_price_fen"] == 940_000_00 and template["kind"] == "price_correction"
    ok = client.post(f"/api/v1/evaluation/clarifications/{lines.id}/price-confirmation",
                     json={"confirmed": True, "signature": sign_answer(room.suppliers[2], lines, confirmed=True)})
    assert ok.status_code == 200 and ok.get_json()["confirmed"] is True

    db.session.expire_all()
    committee = service.finish_review(room.experts[0], cid)
    db.session.commit()
    assert committee.status.value == "scoring"
    prices = {r.bid_id: (r.read_price_fen, r.corrected_price_fen, r.correction_confirmed, r.excluded)
              for r in db.session.query(BidEvaluation).filter_by(committee_id=cid)}
    assert prices == {room.bids[0].id: (900_000_00, 900_000_00, None, False),
                      room.bids[1].id: (920_000_00, 925_000_00, True, False),
                      room.bids[2].id: (950_000_00, 940_000_00, True, False)}
    events = [e.action for e in AuditEvent.query.order_by(AuditEvent.seq)]
    assert events.count("evaluation.price_correction_sent") == 2
    assert events.count("evaluation.price_correction_answered") == 2
    outcome, _ = service.outcome_of(service.get_committee(cid), with_scores=False)
    assert outcome.corrected[room.bids[1].id].price == 925_000_00  # the report's corrections come from here


def test_a_refused_correction_makes_the_bid_invalid(room, clock, sign_answer):
    from core.db import db
    from evaluation import service
    from evaluation.models import BidEvaluation

    cid = _reviewed(room, clock)
    asked = _requests(room, clock, cid)
    _confirm(sign_answer, room.suppliers[1], asked[room.bids[1].id], True)
    item = _confirm(sign_answer, room.suppliers[2], asked[room.bids[2].id], False)
    assert item.answer == "不确认修正后的投标报价¥940,000.00。"
    db.session.commit()
    committee = service.finish_review(room.experts[0], cid)
    db.session.commit()
    row = db.session.query(BidEvaluation).filter_by(bid_id=room.bids[2].id).one()
    assert row.excluded and row.exclusion_code == "price.correction_declined"
    assert "不确认修正后的报价" in row.exclusion_reason
    assert committee.status.value == "failed"  # two valid bids remain: under the three Art 36 requires


def test_no_answer_by_the_deadline_counts_as_not_confirmed(room, clock, sign_answer):
    from core.db import db
    from core.errors import Conflict
    from evaluation import service
    from evaluation.models import BidEvaluation

    cid = _reviewed(room, clock)
    asked = _requests(room, clock, cid)
    _confirm(sign_answer, room.suppliers[1], asked[room.bids[1].id], True)
    db.session.commit()
    with pytest.raises(Conflict):  # bid 3 has not answered and its time is not up
        service.finish_review(room.experts[0], cid)
    db.session.rollback()
    clock.advance(timedelta(minutes=61))
    with pytest.raises(Conflict) as late:
        service.answer_price_correction(room.suppliers[2], asked[room.bids[2].id].id, True, "x")
    assert late.value.code == "clarification_overdue"
    db.session.rollback()
    service.finish_review(room.experts[0], cid)
    db.session.commit()
    row = db.session.query(BidEvaluation).filter_by(bid_id=room.bids[2].id).one()
    assert row.excluded and row.exclusion_code == "price.correction_declined"
