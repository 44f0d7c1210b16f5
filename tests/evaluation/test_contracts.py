"""The contract: drafted from the records, signed by both parties with their keys, published; the lot
and the project close. Refusals change nothing."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from evaluation_helpers import past_challenge_period
from pdf_helpers import assert_readable
from sqlalchemy import func, select

TERMS = {"performance_place": "泰顺县人民医院", "payment": "验收合格后30日内支付合同金额的95%，余款一年后付清",
         "acceptance": "按招标文件技术要求逐项验收", "warranty": "整机保修三年"}


def _key(user):
    """A fresh signing key registered by `user` for his organisation; returns the private key."""
    from accounts.service import register_public_key

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    register_public_key(user, pem, "sign", "合同签名")
    return key


def _signature(key, contract) -> str:
    from crypto import sign_document
    from crypto.encoding import b64u_encode

    return b64u_encode(sign_document(key, bytes.fromhex(contract.sha256)))


def _winner(room, award):
    from evaluation.contracts import winner_org_id

    return next(u for u in room.suppliers if u.org_id == winner_org_id(award))


def _count(model) -> int:
    from core.db import db

    return db.session.scalar(select(func.count()).select_from(model))


def test_drafted_from_the_records_signed_by_both_then_published_and_closed(room, published, clock):
    from accounts.models import PublicKey
    from audit.models import AuditEvent
    from contracts import service as contract_service
    from core.db import db
    from crypto import document_digest, verify_document
    from crypto.encoding import b64u_decode
    from evaluation import contracts
    from notices.models import Notice
    from tender.models import OpeningRecord

    award = published
    winner = _winner(room, award)
    contract = contracts.draft_contract(room.purchaser, award.id, TERMS)
    db.session.commit()
    doc = contract_service.document_of(contract)
    line = db.session.scalar(select(OpeningRecord).where(OpeningRecord.bid_id == award.candidate.bid_id))
    assert doc["format"] == "biaoyun-contract/1" and doc["amount_fen"] == award.candidate.price_fen
    assert doc["supplier"]["name"] == db.session.get(type(winner.org), winner.org_id).name
    assert doc["amount_words"].endswith("整") and doc["basis"]["bid_sha256"] == "0" * 64
    assert doc["terms"] == TERMS and line.price_fen == doc["amount_fen"]
    assert contract.sha256 == document_digest(doc).hex() and contract.status.value == "draft"
    # 30 days after the award notice is Sunday 27 December: the period ends on the next working day
    assert contracts.contract_due(award).isoformat() == "2026-12-28"

    buyer_key, seller_key = _key(room.purchaser), _key(winner)
    past_challenge_period(clock, award)  # Thursday 10 December: the challenge period is over
    contract_service.sign_contract(room.purchaser, contract.id, contract.sha256, _signature(buyer_key, contract))
    db.session.commit()
    assert contract.status.value == "signing"
    with pytest.raises(Exception) as exc:
        contracts.draft_contract(room.agency, award.id, {**TERMS, "other": "改一下"})
    assert exc.value.code == "contract_frozen"
    db.session.rollback()

    contract_service.sign_contract(winner, contract.id, contract.sha256, _signature(seller_key, contract))
    db.session.commit()
    assert contract.status.value == "signed" and award.status.value == "contracted"
    assert room.lot.status.value == "contracted" and room.project.status.value == "closed"
    notice = db.session.get(Notice, contract.notice_id)
    assert notice.kind.value == "contract" and contract.sha256 in notice.body and "付款方式" in notice.body
    # anyone with the text and the registered public keys can check both signatures
    for sig in contract.signatures:
        key = db.session.get(PublicKey, sig.key_id)
        public = serialization.load_pem_public_key(key.pem.encode())
        assert verify_document(public, bytes.fromhex(contract.sha256), b64u_decode(sig.signature, 64))
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("%contract%"))))
    assert {"contract.drafted", "contract.signed", "contract.concluded"} <= actions
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tender.project_closed")) is not None


def test_refusals_change_nothing(room, published, make_user, clock):
    from contracts import service as contract_service
    from contracts.models import Contract, ContractSignature
    from core.db import db
    from core.errors import DomainError
    from evaluation import contracts

    award = published
    past_challenge_period(clock, award)
    with pytest.raises(DomainError) as exc:
        contracts.draft_contract(room.purchaser, award.id, {"payment": "x" * 1001, "colour": "红"})
    assert exc.value.code == "contract_terms_invalid"
    assert set(exc.value.details["fields"]) == {"payment", "colour", "performance_place", "acceptance"}
    with pytest.raises(DomainError) as exc:
        contracts.draft_contract(room.suppliers[0], award.id, TERMS)
    assert exc.value.code == "not_project_party"
    db.session.rollback()
    assert _count(Contract) == 0

    contract = contracts.draft_contract(room.agency, award.id, TERMS)
    db.session.commit()
    winner, loser = _winner(room, award), next(u for u in room.suppliers if u.org_id != _winner(room, award).org_id)
    buyer_key = _key(room.purchaser)
    stranger_key = _key(loser)
    db.session.commit()
    cases = [
        (winner, contract.sha256, _signature(stranger_key, contract), "no_sign_key"),  # registered none yet
        (loser, contract.sha256, _signature(stranger_key, contract), "not_contract_party"),
        (room.agency, contract.sha256, _signature(buyer_key, contract), "not_contract_party"),
        (winner, contract.sha256, _signature(stranger_key, contract), "signature_invalid"),  # not his key
        (room.purchaser, "0" * 64, _signature(buyer_key, contract), "contract_changed"),
        (room.purchaser, contract.sha256, "not-base64!", "bad_signature"),
    ]
    for user, digest, signature, code in cases:
        with pytest.raises(DomainError) as exc:
            contract_service.sign_contract(user, contract.id, digest, signature)
        assert exc.value.code == code, code
        db.session.rollback()
        if code == "no_sign_key":
            _key(winner)
            db.session.commit()
    assert _count(ContractSignature) == 0 and contract.status.value == "draft"

    # a revision has a new digest: a signature over the old text no longer verifies
    old = _signature(buyer_key, contract)
    contracts.draft_contract(room.purchaser, award.id, {**TERMS, "other": "合同一式四份"})
    db.session.commit()
    assert contract.revision == 2
    with pytest.raises(DomainError) as exc:
        contract_service.sign_contract(room.purchaser, contract.id, contract.sha256, old)
    assert exc.value.code == "signature_invalid"


def test_a_voided_award_voids_its_draft(room, published):
    from core.db import db
    from evaluation import contracts, service

    award = published
    contract = contracts.draft_contract(room.purchaser, award.id, TERMS)
    db.session.commit()
    service.void_award(room.agency, award.id, "中标人放弃中标")
    db.session.commit()
    assert contract.status.value == "voided" and contract.voided_at is not None
    assert room.lot.status.value == "opened"  # the lot is not settled: the next candidate may be awarded


def test_signed_contract_cannot_be_voided(room, published, clock):
    from contracts import service as contract_service
    from core.db import db
    from core.errors import Conflict
    from evaluation import contracts, service

    award = published
    winner = _winner(room, award)
    contract = contracts.draft_contract(room.purchaser, award.id, TERMS)
    past_challenge_period(clock, award)
    for user in (room.purchaser, winner):
        contract_service.sign_contract(user, contract.id, contract.sha256, _signature(_key(user), contract))
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        service.void_award(room.agency, award.id, "迟到的质疑")
    assert exc.value.code in ("contract_already_signed", "award_transition_refused")
    db.session.rollback()
    assert award.status.value == "contracted"


def test_pages_api_pdf_and_the_finance_export(room, published, client, clock):
    from tests_helpers import login

    from core import money
    from core.db import db
    from evaluation import contracts

    award = published
    winner = _winner(room, award)
    past_challenge_period(clock, award)
    login(client, room.purchaser)
    page = client.get("/contracts/").get_data(as_text=True)
    assert "待起草" in page and f"/contracts/award/{award.id}/draft" in page
    r = client.post(f"/contracts/award/{award.id}/draft", data={"payment": "验收后付款"}, follow_redirects=True)
    assert "请填写履约地点" in r.get_data(as_text=True)
    r = client.post(f"/contracts/award/{award.id}/draft", data=TERMS)
    assert r.status_code == 302
    contract = contracts.contract_of(award)
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert contract.sha256 in page and "<script>" not in page and "生成密钥" in page  # no key registered yet
    key = _key(room.purchaser)
    db.session.commit()
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert 'id="contract-sign"' in page and "contract-sign.js" in page
    text = client.get(f"/contracts/{contract.id}/document.json").get_data()
    assert json.loads(text)["number"] == contract.number and text.decode() == contract.document
    r = client.post(f"/api/v1/contracts/{contract.id}/signatures",
                    json={"sha256": contract.sha256, "signature": _signature(key, contract)})
    assert r.status_code == 201 and r.get_json()["status"] == "signing"
    r = client.post(f"/api/v1/contracts/{contract.id}/signatures",
                    json={"sha256": contract.sha256, "signature": _signature(key, contract)})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_signed"

    client.post("/logout")
    assert client.get(f"/contracts/{contract.id}").status_code == 404  # not public before both signed
    login(client, winner)
    seller = _key(winner)
    db.session.commit()
    r = client.post(f"/api/v1/contracts/{contract.id}/signatures",
                    json={"sha256": contract.sha256, "signature": _signature(seller, contract)})
    assert r.status_code == 201 and r.get_json()["status"] == "signed"
    client.post("/logout")
    assert "合同公告" in client.get(f"/contracts/{contract.id}").get_data(as_text=True)  # public once signed
    pdf = client.get(f"/contracts/{contract.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert_readable(pdf.data, "政府采购合同", contract.number, money.format_yuan(award.candidate.price_fen))

    login(client, room.supervisor)
    rows = client.get("/api/v1/contracts").get_json()["contracts"]
    assert [c["number"] for c in rows] == [contract.number] and rows[0]["amount_fen"] == award.candidate.price_fen
    assert client.get("/api/v1/contracts?since=2099-01-01").get_json()["contracts"] == []
    assert client.get("/api/v1/contracts?since=nope").status_code == 422


def test_the_thirty_days_remind_both_parties_then_warn_finance_once(room, published, clock):
    from datetime import timedelta

    from audit.service import payloads_of
    from contracts import service as contract_service
    from core.db import db
    from evaluation import contracts
    from evaluation.tasks import sweep_awards

    award = published  # notified Friday 27 November 2026: sign by Monday 28 December
    assert sweep_awards.run()["contract_remind"] == []
    clock.advance(timedelta(days=26))  # Wednesday 23 December: 3 working days left
    assert sweep_awards.run()["contract_remind"] == [award.id]
    assert sweep_awards.run()["contract_remind"] == []  # once a day
    clock.advance(timedelta(days=1))
    assert sweep_awards.run()["contract_remind"] == [award.id]
    clock.advance(timedelta(days=5))  # Tuesday 29 December: overdue
    assert sweep_awards.run()["contract_overdue"] == [award.id]
    clock.advance(timedelta(days=1))
    assert sweep_awards.run()["contract_overdue"] == []  # warned once
    (warning,) = payloads_of("evaluation.contract_overdue", award)
    assert warning["due"] == "2026-12-28" and warning["finance_orgs"] == [room.supervisor.org_id]
    # a late contract can still be signed; the concluding event says it was late
    contract = contracts.draft_contract(room.purchaser, award.id, TERMS)
    for user in (room.purchaser, _winner(room, award)):
        contract_service.sign_contract(user, contract.id, contract.sha256, _signature(_key(user), contract))
    db.session.commit()
    assert payloads_of("contract.concluded", contract)[0]["late"] is True
    assert sweep_awards.run()["contract_overdue"] == []


def test_a_suspended_procurement_cannot_sign_a_draft_made_before(room, published):
    from contracts import service as contract_service
    from contracts.models import ContractSignature
    from core.db import db
    from core.errors import Conflict
    from evaluation import challenges, complaints, contracts

    award = published
    contract = contracts.draft_contract(room.purchaser, award.id, TERMS)
    loser = next(u for u in room.suppliers if u.org_id != _winner(room, award).org_id)
    challenge = challenges.file_challenge(loser, award.id, "评分畸高畸低未复核")
    challenges.answer_challenge(room.agency, challenge.id, "经复核，评分无误。", upheld=False)
    complaint = complaints.file_complaint(loser, challenge.id, "答复未说明复核过程", "请求责令重新评审")
    complaints.accept_complaint(room.supervisor, complaint.id)
    complaints.suspend_procurement(room.supervisor, complaint.id)
    db.session.commit()
    key = _key(room.purchaser)
    with pytest.raises(Conflict) as exc:
        contract_service.sign_contract(room.purchaser, contract.id, contract.sha256, _signature(key, contract))
    assert exc.value.code == "award_blocked" and "暂停" in exc.value.message
    db.session.rollback()
    assert _count(ContractSignature) == 0


def test_the_days_to_sign_are_the_regions_rule(room, published):
    """The award periods live in the region rules (issue 12): a county that shortens the 30 days to 20 has its
    contracts due 20 days after the award notice (Wednesday 17 December here); the national 30 elsewhere."""
    from core.db import db
    from evaluation import contracts
    from evaluation.periods import periods_for
    from region_rules import store

    assert contracts.contract_due(published).isoformat() == "2026-12-28"
    store.set_values(None, room.project.region_code, {"award.contract_days": 20}, reason="本县规定")
    db.session.commit()
    assert periods_for(room.project.region_code).contract_days == 20 and periods_for(None).contract_days == 30
    assert contracts.contract_due(published).isoformat() == "2026-12-17"
    from core.errors import ValidationError

    with pytest.raises(ValidationError) as refused:  # the law's 30 days are the longest a region may give
        store.set_values(None, room.project.region_code, {"award.contract_days": 40}, reason="超出法定")
    assert refused.value.code == "rule_invalid"
    db.session.rollback()


def test_signing_waits_for_the_challenge_period_so_an_upheld_challenge_can_still_void_the_award(room, published,
                                                                                                  clock):
    """Issue 21: a contract signed minutes after the result made a later challenge unable to void the award.
    Signing is held until the challenge period is over (region rule award.sign_after_challenge_period, on by
    default) and, whatever the region chose, while a challenge waits for its answer (实施条例第五十四条);
    drafting is not held. An upheld challenge within the period voids the award and the unsigned draft."""
    from datetime import timedelta

    from contracts import service as contract_service
    from contracts.models import ContractSignature
    from core.db import db
    from core.errors import Conflict
    from evaluation import challenges, contracts
    from evaluation.periods import challenge_due
    from region_rules import store

    award = published  # Friday 27 November: challenges until Thursday 9 December
    assert challenge_due(award).isoformat() == "2026-12-09"
    contract = contracts.draft_contract(room.purchaser, award.id, TERMS)
    db.session.commit()
    key = _key(room.purchaser)
    db.session.commit()
    clock.advance(timedelta(minutes=5))
    with pytest.raises(Conflict) as exc:
        contract_service.sign_contract(room.purchaser, contract.id, contract.sha256, _signature(key, contract))
    assert exc.value.code == "signing_held" and "2026-12-09" in exc.value.message
    db.session.rollback()

    # a region that signs within the period: allowed, until a challenge comes in and waits for its answer
    store.set_values(None, room.project.region_code, {"award.sign_after_challenge_period": False}, reason="本县规定")
    db.session.commit()
    loser = next(u for u in room.suppliers if u.org_id != _winner(room, award).org_id)
    challenge = challenges.file_challenge(loser, award.id, "中标人业绩与事实不符")
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        contract_service.sign_contract(room.purchaser, contract.id, contract.sha256, _signature(key, contract))
    assert exc.value.code == "signing_held" and f"编号 {challenge.id}" in exc.value.message
    db.session.rollback()
    assert _count(ContractSignature) == 0

    # upheld: the award and its draft are void, which a signed contract would have prevented
    challenges.answer_challenge(room.agency, challenge.id, "经核实，业绩不实，质疑成立。", upheld=True,
                                remedy="void_award")
    db.session.commit()
    assert award.status.value == "voided" and contract.status.value == "voided"


def test_after_the_challenge_period_and_the_answer_the_contract_is_signed(room, published, clock):
    from contracts import service as contract_service
    from core.db import db
    from evaluation import challenges, contracts

    award = published
    contract = contracts.draft_contract(room.purchaser, award.id, TERMS)
    loser = next(u for u in room.suppliers if u.org_id != _winner(room, award).org_id)
    challenge = challenges.file_challenge(loser, award.id, "评分有误")
    challenges.answer_challenge(room.agency, challenge.id, "经复核，评分无误。", upheld=False)
    db.session.commit()
    past_challenge_period(clock, award)
    for user in (room.purchaser, _winner(room, award)):
        contract_service.sign_contract(user, contract.id, contract.sha256, _signature(_key(user), contract))
    db.session.commit()
    assert contract.status.value == "signed" and award.status.value == "contracted"
