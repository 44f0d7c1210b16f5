"""The evaluation demo seed: one room in the scoring stage, one finished with a signed report, a
published result, an answered challenge and a complaint with finance, and a committee ready for the
agency to open live."""

from __future__ import annotations


def test_demo_seed_has_a_room_in_progress_and_a_finished_one(app, app_ctx, clock, tmp_path, monkeypatch):
    from argon2 import PasswordHasher
    from sqlalchemy import select

    from accounts import service as accounts
    from core.db import db
    from core.demo import SEEDERS
    from evaluation import report_pdf, service
    from evaluation.models import Award, Committee
    from notices.models import Notice

    monkeypatch.setattr(accounts, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    monkeypatch.setattr(app, "instance_path", str(tmp_path))  # demo key files, not the developer's
    monkeypatch.setitem(app.config, "TIME_VAULT_KEY_PATH", str(tmp_path / "vault.pem"))
    seeders = dict(SEEDERS)
    context: dict = {"logins": []}
    for name in ("accounts", "registry", "expert_draw", "evaluation"):
        seeders[name](context)
    db.session.commit()
    rooms = {service.project_of(c).title: c for c in db.session.scalars(select(Committee))}
    going, done = rooms["泰顺县中医院全自动生化分析仪采购"], rooms["泰顺县罗阳镇中心小学课桌椅采购"]
    assert going.status.value == "scoring" and len(service.done(going, "scoring")) == 2
    from tender import filestore
    from tender.models import Bid

    for committee in (going, done):  # real tenders: published with a document, sealed bids opened
        project = service.project_of(committee)
        assert project.documents and project.opened_at >= project.deadline
        bids = db.session.scalars(select(Bid).where(Bid.project_id == project.id)).all()
        assert {b.status.value for b in bids} == {"opened"} and all(b.receipt for b in bids)
        assert all(filestore.sha256_of(b.path) == b.sha256 for b in bids)  # the sealed containers as received
    bid, _line = service.opened_bids(going)[0]  # what the opening decrypted is what the room shows
    names = [d["name"] for d in service.bid_documents(context["users"]["zj05"], going.id, bid.id)]
    assert names == ["files/商务响应文件.txt", "files/技术响应文件.txt", "summary.json"]
    prices = [p for p in service.price_review(going) if p["needs_confirmation"]]  # Art 59, confirmed by gys2
    assert [(p["read_price_fen"], p["price_fen"], p["confirmed"]) for p in prices] == [
        (1_254_000_00, 1_245_000_00, True)]
    (question,) = [c for c in service.clarifications_of_supplier(context["users"]["gys5"]) if c.answered_at is None]
    assert question.due_at > clock.now() and "售后服务网点" in question.question  # gys5 answers it, signed
    zj01 = context["users"]["zj01"]
    assert service.scores_visible_to(zj01, going) == []  # not submitted: sees nothing of the others'
    assert done.status.value == "completed"
    report = service.current_report(done)
    assert report.status.value == "signed" and len(report.signatures) == 5
    assert sum(1 for s in report.signatures if s.dissent) == 1
    from pdf_helpers import pdf_text

    text = pdf_text(report_pdf.absolute(report.pdf_path).read_bytes())  # the signed text holds both
    assert "认为第二名投标人的售后服务方案优于第一名" in text and "持不同意见的成员及理由：无" not in text
    assert "评审汇总中修改的评分" in text and "复核投标文件后，按评分标准下调" in text
    assert {s.pdf_sha256 for s in report.signatures} == {report.pdf_sha256}
    award = db.session.scalar(select(Award).where(Award.lot_id == done.lot_id))
    assert award.status.value == "notified"
    from evaluation import letters

    issued = letters.letters_of(award)  # the award notice to the winner, a result letter to each other bidder
    assert sorted(r.org_id for r in issued) == sorted(b.org_id for b, _line in service.opened_bids(done))
    assert [r.org_id for r in issued if r.kind.value == "award"] == [service.award_recipients(award)[0]]
    assert all(letters.absolute(r).read_bytes().startswith(b"%PDF") for r in issued)
    result = db.session.scalar(select(Notice).where(Notice.kind == "result"))
    assert result is not None
    from expert_draw.proofs import notice_links

    # the demo's committees were chosen by hand: the notice says so instead of offering a draw to check
    with app.test_request_context():
        links = [text for text, _url in notice_links(result)]
    assert links and all(t.startswith("评审专家经批准自行选定，未经随机抽取") for t in links)
    from evaluation import challenges, complaints, evidence

    (challenge,) = challenges.challenges_of(award)
    assert challenge.answered_at is not None and challenge.upheld is False and len(challenge.files) == 1
    assert evidence.absolute(challenge.files[0]).read_bytes().startswith("演示证明材料".encode())
    (complaint,) = complaints.complaints_for_finance(context["users"]["caijian"])
    assert complaint.challenge_id == challenge.id and complaint.status.value == "filed"
    assert complaints.award_blocked(award) is None
    from evaluation import contracts

    contract = contracts.contract_of(award)  # drafted and signed by caigou1, waiting for the winner
    assert contract.status.value == "signing" and [s.party for s in contract.signatures] == ["purchaser"]
    assert contract.due_at > contract.signatures[0].signed_at
    closed = rooms["泰顺县教育局学生直饮水设备采购"]  # both signed: notice out, lot and project closed
    signed = contracts.contract_of(service.award_of(closed))
    assert signed.status.value == "signed" and {s.party for s in signed.signatures} == {"purchaser", "supplier"}
    assert service.project_of(closed).status.value == "closed" and service.lot_of(closed).status.value == "contracted"
    assert db.session.get(Notice, signed.notice_id).kind.value == "contract"
    assert clock.now() == clock.now()  # the seed left the test clock as it was
