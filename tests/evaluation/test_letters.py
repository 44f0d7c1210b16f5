"""The award notice (中标通知书) to the winner and the result letters (采购结果通知书) to the other bidders,
issued with the result notice: one letter per bidder, each with its own evaluation only (score and rank,
or the reasons it was excluded; evaluated price and rank under the lowest-price method), the audit event
holding hashes only, downloads for the letter's organisation, the agency, the purchaser and the region's
supervisors — anyone else 404 — and the letters of a voided award kept as issued."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from evaluation_helpers import (
    as_user,
    declare_and_elect,
    no_inline,
    publish_first_candidate,
    review_all_pass,
    sign_report,
)
from pdf_helpers import pdf_text
from sqlalchemy import select


def other_county_supervisor(make_user, code: str = "330328", name: str = "文成县"):
    """A supervisor of a neighbouring county (same city): oversees nothing of 泰顺县."""
    from accounts.models import Region, RegionLevel
    from core.db import db

    db.session.add(Region(code=code, name=name, level=RegionLevel.COUNTY, parent_code="330300"))
    user = make_user("supervisor", org_kind="finance")
    user.region_code = user.org.region_code = code
    db.session.commit()
    return user


def _letters(award):
    from evaluation import letters

    return letters.letters_of(award)


def _pdf(letter) -> bytes:
    from evaluation import letters

    return letters.absolute(letter).read_bytes()


def _by_org(award) -> dict:
    return {letter.org_id: letter for letter in _letters(award)}


def test_every_bidder_gets_one_letter_the_winner_the_award_notice(room, published):
    from audit.models import AuditEvent
    from core.db import db
    from evaluation import contracts

    rows = _letters(published)
    assert sorted(r.org_id for r in rows) == sorted(s.org_id for s in room.suppliers)
    kinds = {r.org_id: r.kind.value for r in rows}
    assert kinds == {room.suppliers[0].org_id: "award", room.suppliers[1].org_id: "result",
                     room.suppliers[2].org_id: "result"}
    for r in rows:
        assert r.issued_at == published.notified_at
        assert hashlib.sha256(_pdf(r)).hexdigest() == r.sha256
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "evaluation.letters_issued"))
    payload = json.loads(event.payload)
    assert payload == {"letters": [{"org": r.org_id, "kind": r.kind.value, "sha256": r.sha256} for r in rows]}

    text = pdf_text(_pdf(_by_org(published)[room.suppliers[0].org_id]))
    assert "中标通知书" in text and "供应商1有限公司" in text
    assert "900,000.00" in text and "玖拾万元整" in text  # the price in figures and 大写
    assert f"30 日内（{contracts.contract_due(published).isoformat()} 前）" in text  # the contract's 30 days
    assert "受采购人委托" in text and "2026-11-27" in text
    assert "评审得分" not in text and "分）" not in text  # no score in the award notice


def test_a_result_letter_shows_the_bidders_own_score_and_rank_and_no_other(room, published):
    from core.db import db
    from evaluation import challenges, letters, service
    from evaluation.models import BidEvaluation, from_hundredths

    committee = service.committee_for_lot(room.lot.id)
    rows = {r.bid_id: r for r in db.session.scalars(select(BidEvaluation).where(
        BidEvaluation.committee_id == committee.id))}
    totals = {b: str(from_hundredths(r.total_h)) for b, r in rows.items()}
    assert len(set(totals.values())) == 3  # distinct, so a leak would show
    data = {d["bid"]: d for d in letters.letter_data(committee, published)}
    assert data[room.bids[0].id]["kind"] == "award" and data[room.bids[0].id]["outcome"] is None
    for i in (1, 2):
        bid = room.bids[i]
        own = data[bid.id]["outcome"]
        assert own["status"] == "ranked" and own["rank"] == rows[bid.id].rank == i + 1 and own["of"] == 3
        assert own["total"] == totals[bid.id]
        assert data[bid.id]["challenge_due"] == challenges.challenge_due(published).isoformat() == "2026-12-09"
        text = pdf_text(_pdf(_by_org(published)[room.suppliers[i].org_id]))
        assert "采购结果通知书" in text and f"{totals[bid.id]} 分" in text and f"第 {i + 1} 名" in text
        assert "供应商1有限公司" in text and "900,000.00" in text  # the winner and its price are public
        others = [totals[b.id] for b in room.bids if b.id != bid.id]
        assert not any(t in text for t in others)
        assert f"供应商{4 - i}有限公司" not in text  # nor the other loser's name
        assert "2026-12-09（含当日）前" in text


def _fourth_bid(room, make_user, clock, name: str):
    """A fourth bidder on the lot (so one excluded still leaves three valid bids)."""
    from core.db import db
    from tender import filestore
    from tender.models import Bid, OpeningRecord
    from tender.transitions import BidStatus

    now = clock.now()
    supplier = make_user("supplier", org_kind="supplier")
    bid = Bid(project_id=room.project.id, lot_id=room.lot.id, org_id=supplier.org_id, user_id=supplier.id,
              status=BidStatus.OPENED, bidder_id="b3", path="x/3", size=1, sha256="0" * 64, signed_digest="0" * 64,
              signer_fingerprint="0" * 64, commitment="c", submitted_at=now - timedelta(days=1),
              closed_at=now - timedelta(hours=1))
    db.session.add(bid)
    db.session.flush()
    db.session.add(OpeningRecord(project_id=room.project.id, lot_id=room.lot.id, bid_id=bid.id,
                                 org_id=supplier.org_id, bidder_name=name, price_fen=960_000_00,
                                 opened_at=now - timedelta(hours=1)))
    filestore.remove_tree(f"opened/{room.project.id}/{bid.id}")
    db.session.commit()
    room.bids.append(bid)
    room.suppliers.append(supplier)
    return bid


def _publish(room, clock, *, fail: int | None = None, reason: str = ""):
    """Run the room to a published result; with `fail`, two of three experts fail that bid on the last
    compliance requirement (with `reason`) and it is excluded. Returns the award."""
    from tests_helpers import totp_code

    from core.db import db
    from evaluation import service

    clock.advance(timedelta(minutes=31))
    cid = service.open_evaluation(room.agency, room.lot.id).id
    committee = declare_and_elect(room, cid)
    if fail is None:
        review_all_pass(room, cid)
    else:
        service.start_review(room.experts[0], cid)
        for n, user in enumerate(room.panel):
            for stage, reqs in service.requirements_of(committee).items():
                marks = [{"bid_id": b.id, "requirement": r, "passed": True} for b in room.bids for r in reqs]
                if stage == "compliance" and n < 3:  # a majority of the five
                    marks[-1] = {**marks[-1], "passed": False, "reason": reason}
                    assert marks[-1]["bid_id"] == room.bids[fail].id
                service.submit_review(user, cid, stage, marks)
        service.finish_review(room.experts[0], cid)
    clock.advance(timedelta(seconds=31))
    if committee.status.value == "scoring":
        for user in room.panel:
            sheet = {str(b): {"技术": "40", "商务": "12"} for b in service.valid_bid_ids(committee)}
            service.submit_scores(user, cid, sheet, totp_code(user))
        service.start_summary(room.experts[0], cid)
    report = service.accept_summary(room.experts[0], cid)
    sign_report(room, clock, report)
    award = publish_first_candidate(room, cid, report)
    db.session.commit()
    return award


def test_an_excluded_bidders_letter_gives_its_reasons_and_user_text_is_escaped(room, clock, make_user):
    from core.db import db
    from evaluation import letters, service
    from tender.models import OpeningRecord

    winner_line = db.session.scalar(select(OpeningRecord).where(OpeningRecord.bid_id == room.bids[0].id))
    winner_line.bidder_name = "供应商<1>&有限公司"  # XML-like text must not break the PDF
    db.session.commit()
    _fourth_bid(room, make_user, clock, "供应商<b>四</b>有限公司")
    award = _publish(room, clock, fail=3, reason="报价<超过>最高限价 & 未提供<b>说明")
    committee = service.committee_for_lot(room.lot.id)
    (data,) = [d for d in letters.letter_data(committee, award) if d["bid"] == room.bids[3].id]
    own = data["outcome"]
    assert own["status"] == "excluded" and own["code"] == "review.failed"
    assert [(f["stage"], f["reasons"]) for f in own["failures"]] == [
        ("compliance", ["报价<超过>最高限价 & 未提供<b>说明"])]
    assert own["failures"][0]["requirement"] == service.requirements_of(committee)["compliance"][-1]
    assert "total" not in own and "rank" not in own
    rows = _by_org(award)
    assert len(rows) == 4
    text = pdf_text(_pdf(rows[room.suppliers[3].org_id]))
    assert "无效投标" in text and "报价<超过>最高限价 & 未提供<b>说明" in text and "供应商<b>四</b>有限公司" in text
    assert "符合性审查" in text and "供应商<1>&有限公司" in text
    assert "评审得分" not in text and " 分" not in text  # an excluded bid has no score, nor sees others'
    assert "供应商<1>&有限公司" in pdf_text(_pdf(rows[room.suppliers[0].org_id]))
    # the valid losers' letters never mention the excluded bidder
    assert "四" not in pdf_text(_pdf(rows[room.suppliers[1].org_id]))


def test_the_lowest_price_method_letter_gives_the_evaluated_price_and_rank(room, clock):
    from core.db import db
    from evaluation import letters, service
    from tender.transitions import EvalMethod

    room.project.eval_method = EvalMethod.LOWEST_PRICE
    db.session.commit()
    award = _publish(room, clock)
    committee = service.committee_for_lot(room.lot.id)
    data = {d["bid"]: d for d in letters.letter_data(committee, award)}
    own = data[room.bids[2].id]["outcome"]
    assert own["status"] == "ranked" and own["rank"] == 3 and own["total"] is None
    assert own["evaluated_fen"] == 950_000_00
    text = pdf_text(_pdf(_by_org(award)[room.suppliers[2].org_id]))
    assert "最低评标价法" in text and "950,000.00" in text and "第 3 名" in text
    assert "评审得分" not in text and "920,000.00" not in text  # not the other loser's price


def test_a_voided_awards_letters_stay_and_a_new_award_issues_new_ones(room, published, clock):
    from core.db import db
    from evaluation import service

    before = {r.id: (r.org_id, r.kind.value, r.sha256, _pdf(r)) for r in _letters(published)}
    service.void_award(room.agency, published.id, "中标人放弃中标")
    db.session.commit()
    clock.advance(timedelta(minutes=5))
    award = service.send_report(room.agency, service.committee_for_lot(room.lot.id).id)
    report = service.current_report(service.committee_for_lot(room.lot.id))
    service.confirm_winner(room.purchaser, award.id, report.candidates[1].id, reason="第一名放弃中标")
    service.publish_result(room.agency, award.id)
    db.session.commit()
    assert {r.id: (r.org_id, r.kind.value, r.sha256, _pdf(r)) for r in _letters(published)} == before
    new = {r.org_id: r.kind.value for r in _letters(award)}
    assert new == {room.suppliers[0].org_id: "result", room.suppliers[1].org_id: "award",
                   room.suppliers[2].org_id: "result"}


def test_downloads_are_for_the_letters_org_the_parties_and_the_regions_supervisors(client, room, published, clock,
                                                                                  make_user):
    from evaluation import service

    committee_id = service.committee_for_lot(room.lot.id).id
    rows = _by_org(published)
    mine, winners = rows[room.suppliers[1].org_id], rows[room.suppliers[0].org_id]
    neighbour = other_county_supervisor(make_user)

    def get(url):
        response = client.get(url)
        status, data, mimetype = response.status_code, response.data, response.mimetype
        response.close()
        return status, data, mimetype

    urls = {r.id: (f"/evaluation/letters/{r.id}.pdf", f"/api/v1/evaluation/letters/{r.id}.pdf") for r in rows.values()}
    listing = f"/api/v1/evaluation/awards/{published.id}/letters"

    as_user(client, room.suppliers[1], clock)  # a losing bidder: its own letter only
    for url in urls[mine.id]:
        status, data, mimetype = get(url)
        assert status == 200 and mimetype == "application/pdf" and hashlib.sha256(data).hexdigest() == mine.sha256
    assert all(get(url)[0] == 404 for url in urls[winners.id])  # another bidder's
    assert [x["id"] for x in client.get(listing).get_json()["letters"]] == [mine.id]
    page = client.get(f"/evaluation/awards/{published.id}/challenges").get_data(as_text=True)
    assert urls[mine.id][0] in page and urls[winners.id][0] not in page
    no_inline(page)

    for user in (room.agency, room.purchaser, room.supervisor):
        as_user(client, user, clock)
        assert all(get(url)[0] == 200 for pair in urls.values() for url in pair)
        assert sorted(x["id"] for x in client.get(listing).get_json()["letters"]) == sorted(urls)
        room_page = client.get(f"/evaluation/{committee_id}").get_data(as_text=True)  # the award card links them
        assert all(pair[0] in room_page for pair in urls.values())

    for user in (neighbour, room.outsider):
        as_user(client, user, clock)
        assert all(get(url)[0] == 404 for url in urls[mine.id])
        assert client.get(listing).status_code == 404


def test_the_notices_link_each_organisation_to_its_own_letter(room, published, monkeypatch):
    from evaluation import messages

    sent = []
    monkeypatch.setattr(messages, "_send", lambda message, **kw: sent.append((message, kw["org_ids"])))
    messages.award_published(published.id)
    rows = _by_org(published)
    assert sorted((orgs[0], m["url"], m["title"]) for m, orgs in sent) == sorted(
        (org, f"/evaluation/letters/{r.id}.pdf", "中标（成交）通知书" if r.kind.value == "award" else "采购结果通知书")
        for org, r in rows.items())


@pytest.mark.parametrize("method", ["public_tender", "competitive_negotiation"])
def test_the_award_notice_says_zhongbiao_or_chengjiao(method):
    from evaluation import letters

    assert letters.word_of(method) == ("中标" if method == "public_tender" else "成交")


def test_publishing_declares_the_letters_messages_for_after_its_commit(room, published, monkeypatch):
    """Issue 14: the page and the API publish through the same service, which declares the messages."""
    from core import after_commit, tasks

    sent = []
    monkeypatch.setattr(tasks, "emit_message", lambda m, users, orgs, **_: sent.append((m["url"], list(orgs))))
    after_commit.run_followups()  # the fixture committed the publication; its follow-ups wait for a commit point
    letters = {f"/evaluation/letters/{r.id}.pdf": [org] for org, r in _by_org(published).items()}
    assert sorted(x for x in sent if x[0] in letters) == sorted(letters.items())


def test_sending_the_report_declares_the_purchasers_message(room, published, monkeypatch):
    from core import after_commit, tasks

    sent = []
    monkeypatch.setattr(tasks, "emit_message", lambda m, users, orgs, **_: sent.append((m["title"], list(orgs))))
    after_commit.run_followups()  # the fixture's commits (the report sent among them) ran no follow-ups yet
    assert ("评审报告已送达", [room.lot.project.purchaser_org_id]) in sent
