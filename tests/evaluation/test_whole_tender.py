"""The platform's promise end to end, through the real service functions only: a tender is published,
three suppliers seal and submit real bids, the sweep closes submission and the time vault and a human
custodian (TOTP) release their shares, the bids open; experts registered and admitted into the library
are drawn (supervisor's number) and confirm; the remote evaluation runs from declarations to the
signed report; the purchaser confirms the winner, the result is published; both parties sign the
contract with their registered keys, its notice goes out and the project closes. Then the audit log
and the expert draw verify from the records alone.

No row is inserted by hand (unlike tests/evaluation/conftest.py's room): every step is the service
call a page or the API makes, with the commit and the post-commit hooks (receipt, notices) its caller
makes; every timed step is done by the beat schedule's own tasks, run in-process after each move of
the clock."""

from __future__ import annotations

import io
import logging
import shutil
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from evaluation_helpers import past_challenge_period
from sqlalchemy import func, select
from tender_helpers import Supplier, World, _pem, project_data, seal_bid
from tests_helpers import totp_code

PRICES = (88_000_00, 91_500_00, 93_000_00)  # the cheapest wins: the other criteria score the same
PAYLOAD = "技术响应：交互式智能平板 86 英寸，质保三年。".encode() * 20
TERMS = {"performance_place": "泰顺县教育局", "payment": "验收合格后30日内支付合同金额的95%，余款一年后付清",
         "acceptance": "按招标文件技术要求逐项验收"}


def _commit():
    from core.db import db

    db.session.commit()


def _beat(app) -> dict:
    """One round of every periodic task in the beat schedule, run in-process as the worker would run
    it, with the entry's arguments (each commits its own work): the platform's timed steps happen only here."""
    celery = app.extensions["celery"]
    return {name: celery.tasks[entry["task"]](*entry.get("args", ()))
            for name, entry in app.config["CELERY_BEAT_SCHEDULE"].items()}


def _register_experts(make_user, reviewer, count: int) -> list:
    """Experts register online and finance admits them (the library's own services)."""
    from datetime import date

    from registry.experts import service as registry
    from registry.experts.demo import demo_id_number

    users = []
    for n in range(1, count + 1):
        user = make_user("expert", totp=True, username=f"expert{n}")
        expert = registry.register_expert(user, registry.Registration(
            name=f"评审专家{n}", id_number=demo_id_number(n, date(1972, 3, n)), phone=f"1390577{n:04d}",
            region_code="330329", employer_name=f"温州某职业技术学院{n}", specialty_codes=["B04"]))
        registry.admit_expert(reviewer, expert)
        users.append(user)
    _commit()
    return users


def test_a_tender_from_publication_to_the_signed_contract(app, app_ctx, clock, make_user, tmp_path, caplog):
    import crypto
    from accounts import service as accounts
    from audit.models import AuditCheckpoint, AuditEvent
    from audit.service import verifier_key, verify_log
    from audit.verifier import verify_inclusion_file
    from contracts import service as contract_service
    from contracts.models import Contract
    from core.db import db
    from crypto import sign_document
    from crypto.encoding import b64u_encode
    from evaluation import contracts, messages
    from evaluation import service as evaluation
    from evaluation.models import Award
    from expert_draw import service as draw_service
    from expert_draw.models import Invitation, InvitationStatus, RequestStatus
    from expert_draw.service import SpecialtyCount
    from expert_draw.subject import subject_for_project
    from expert_draw.tasks import notify as notify_experts
    from expert_draw.verifier import verify_draw
    from notices.models import Notice
    from registry.experts.demo import ensure_specialties
    from registry.experts.models import CreditRecord
    from tender import bids as tender_bids
    from tender import opening, tasks
    from tender import service as tender
    from tender.models import Bid, Lot, OpeningRecord, Project

    app.config["TIME_VAULT_KEY_PATH"] = str(tmp_path / "vault.pem")
    store = Path(app.config["FILE_STORE"]) / "tender"
    shutil.rmtree(store, ignore_errors=True)  # ids are reused once the tables are emptied
    try:
        # ------------------------------------------------------------ the parties and their keys
        ensure_specialties()
        agency = make_user("agency_staff", org_kind="agency", username="agent")
        purchaser = make_user("purchaser", org_kind="purchaser", totp=True, username="buyer")
        draw_supervisor = make_user("supervisor", org_kind="finance", username="watcher")
        reviewer = make_user("finance_reviewer", org_kind="finance", username="reviewer")
        keeper = make_user("supervisor", totp=True, username="keeper")
        keeper_key = ec.generate_private_key(ec.SECP256R1())
        accounts.register_public_key(keeper, _pem(keeper_key), "encrypt", "custody")
        suppliers = []
        for i in range(3):
            user = make_user("supplier", org_kind="supplier", username=f"sup{i}")
            sign, enc = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
            accounts.register_public_key(user, _pem(sign), "sign", "bid signing")
            accounts.register_public_key(user, _pem(enc), "encrypt", "own stanza")
            suppliers.append(Supplier(user, sign, enc))
        _commit()
        experts = _register_experts(make_user, reviewer, 7)

        # ------------------------------------------------------------ publication
        world = World(agency=agency, purchaser_org=purchaser.org, custodians=[(keeper, keeper_key)])
        data = project_data(world, clock.now(), title="泰顺县教育局交互式智能平板采购项目",
                            lots=[{"name": "交互式智能平板", "budget_fen": 100_000_00, "max_price_fen": 95_000_00}])
        project = tender.create_project(agency, data)  # one lot, vault + keeper, k = 2, scoring
        tender.add_document(agency, project, "招标文件.pdf", io.BytesIO(b"%PDF-1.4 tender document"))
        _commit()
        tender.publish_project(agency, project.id)
        _commit()
        assert project.status.value == "bidding" and project.k == 2 and len(project.custodians) == 2
        pid, lot_id = project.id, project.lots[0].id

        # ------------------------------------------------------------ sealed bids
        receipts = []
        for supplier, price in zip(suppliers, PRICES, strict=True):
            tender.register_supplier(supplier.user, pid)
            _commit()
            lot = db.session.get(Lot, lot_id)
            sealed = seal_bid(project, lot, supplier, price, payload=PAYLOAD)
            bid = tender_bids.submit_bid(supplier.user, pid, lot_id, io.BytesIO(sealed))
            _commit()
            receipts.append(tender_bids.issue_receipt(bid))  # as the API answers the upload
            _commit()
        assert {b.status.value for b in db.session.scalars(select(Bid))} == {"submitted"}

        # ------------------------------------------------------------ the opening (the beat sweep's work)
        clock.set(project.deadline + timedelta(seconds=5))
        assert _beat(app)["tender-sweep"] == {"bidding": [], "closed": [pid], "progressed": [],
                                           "superseded_files_removed": []}
        db.session.expire_all()
        project = db.session.get(Project, pid)
        assert project.status.value == "opening" and project.lots[0].status.value == "opening"
        assert db.session.scalar(select(OpeningRecord.id)) is None  # the vault's share alone opens nothing
        shares = [crypto.unwrap_share(io.BytesIO(opening.header_bytes(bid)), keeper_key).to_json()
                  for bid in opening.current_bids(project.lots[0])]
        clock.advance(timedelta(minutes=2))
        assert opening.submit_shares(keeper, pid, shares, totp_code(keeper)) == 3
        _commit()
        assert tasks.progress(pid) is True  # what the share API queues after its commit
        _beat(app)
        db.session.expire_all()
        project = db.session.get(Project, pid)
        assert project.status.value == "opened" and project.lots[0].status.value == "opened"
        lines = db.session.scalars(select(OpeningRecord).where(OpeningRecord.lot_id == lot_id)).all()
        assert sorted(line.price_fen for line in lines) == sorted(PRICES)
        assert {line.org_id for line in lines} == {s.user.org_id for s in suppliers}

        # ------------------------------------------------------------ the expert draw
        clock.advance(timedelta(minutes=20))
        _beat(app)
        start = project.deadline + timedelta(hours=4)
        req = draw_service.create_request(agency, subject_for_project(pid, lot_id), [SpecialtyCount("B04", 5, 1)],
                                          start, None, "", is_remote=True)
        _commit()
        draw = draw_service.commit_draw(agency, req)
        _commit()
        to_notify = draw_service.run_draw(draw, draw_supervisor, "20261218103000")
        _commit()
        assert notify_experts(to_notify) == 5  # the invitations go out (the log channel in tests)
        invited = db.session.scalars(select(Invitation).where(Invitation.request_id == req.id,
                                                              Invitation.status == InvitationStatus.INVITED)).all()
        assert len(invited) == 5
        by_user = {u.id: u for u in experts}
        for inv in invited:
            draw_service.confirm_invitation(by_user[inv.expert.user_id], inv)
            _commit()
        assert req.status is RequestStatus.COMPLETE
        members = [by_user[inv.expert.user_id] for inv in invited]

        # ------------------------------------------------------------ the remote evaluation
        clock.set(start)
        assert _beat(app)["expert-draw-sweep"]["published"] == 1  # names unsealed at the evaluation start
        committee = evaluation.open_evaluation(agency, lot_id)
        _commit()
        messages.room_opened(committee.id)
        cid = committee.id
        assert sorted(m.user_id for m in committee.members) == sorted(u.id for u in members)
        for user in members[:4]:
            evaluation.sign_declaration(user, cid, conflict=False)
            _commit()
        # the fifth declares a conflict in the room: the draw refills the seat while the evaluation waits,
        # from the backup released at the start, with a reply window of its own (issue 21)
        leaving = members[4]
        evaluation.sign_declaration(leaving, cid, conflict=True, note="近三年曾在投标人处任职")
        _commit()
        gone = next(m for m in committee.members if m.user_id == leaving.id)
        refill = evaluation.replace_conflicted(agency, gone.id)
        _commit()
        assert notify_experts(refill) == 1
        seat = db.session.get(Invitation, refill[0])
        assert seat.deadline_at > clock.now()  # not the evaluation start, which has passed
        clock.advance(timedelta(minutes=10))
        assert _beat(app)["expert-draw-sweep"]["replaced"] == 0  # the window is still open
        newcomer = by_user[seat.expert.user_id]
        draw_service.confirm_invitation(newcomer, seat)
        _commit()
        (seated,) = evaluation.refresh_members(agency, cid)
        _commit()
        assert seated.user_id == newcomer.id
        evaluation.sign_declaration(newcomer, cid, conflict=False)
        _commit()
        assert db.session.scalar(select(func.count()).select_from(CreditRecord)) == 0  # nobody charged
        members = [*members[:4], newcomer]
        chair = next(m for m in committee.members if m.user_id == members[0].id)
        for user in members[:3]:
            evaluation.vote_chair(user, cid, chair.id)
            _commit()
        assert chair.is_chair
        evaluation.start_review(members[0], cid)
        _commit()
        bids = [b for b, _line in evaluation.opened_bids(committee)]
        assert len(bids) == 3
        for bid in bids:  # what the opening decrypted is what the room shows (the sink's layout)
            names = [d["name"] for d in evaluation.bid_documents(members[0], cid, bid.id)]
            assert names == ["files/技术响应.txt", "summary.json"]
            assert evaluation.open_bid_document(members[0], cid, bid.id, names[0]).read_bytes() == PAYLOAD
        for user in members:
            for stage, requirements in evaluation.requirements_of(committee).items():
                evaluation.submit_review(user, cid, stage, [{"bid_id": b.id, "requirement": r, "passed": True}
                                                            for b in bids for r in requirements])
            _commit()
        evaluation.finish_review(members[0], cid)
        _commit()
        assert committee.status.value == "scoring"
        clock.advance(timedelta(minutes=30))
        _beat(app)
        sheet = {str(b.id): {"技术": "40", "商务": "12"} for b in bids}
        for user in members:
            evaluation.submit_scores(user, cid, sheet, totp_code(user))
            _commit()
        evaluation.start_summary(members[0], cid)
        report = evaluation.accept_summary(members[0], cid)
        _commit()
        assert report is not None and committee.status.value == "reporting"
        clock.advance(timedelta(minutes=5))
        _beat(app)
        for user in members:
            evaluation.sign_report(user, report.id, totp_code(user))
            _commit()
        assert committee.status.value == "completed" and report.status.value == "signed"

        # ------------------------------------------------------------ award and result notice
        award = evaluation.send_report(agency, cid)
        _commit()
        messages.report_sent(award.id)
        first = report.candidates[0]
        winner_bid = db.session.get(Bid, first.bid_id)
        cheapest = next(line for line in lines if line.price_fen == min(PRICES))
        assert winner_bid.org_id == cheapest.org_id
        clock.advance(timedelta(hours=1))
        _beat(app)
        evaluation.confirm_winner(purchaser, award.id, first.id)
        _commit()
        evaluation.publish_result(agency, award.id, confirm_uncovered_year=2027)  # the 30 days reach 2027
        _commit()
        messages.award_published(award.id)
        assert award.status.value == "notified"
        assert db.session.scalar(select(Notice).where(Notice.subject_id == pid, Notice.kind == "result")) is not None

        # ------------------------------------------------------------ the contract, signed by both
        clock.advance(timedelta(days=3))
        _beat(app)
        contract = contracts.draft_contract(purchaser, award.id, TERMS)
        _commit()
        doc = contract_service.document_of(contract)
        assert contract.amount_fen == doc["amount_fen"] == min(PRICES)
        assert doc["basis"]["bid_sha256"] == winner_bid.sha256 and doc["delivery"] == "30 日"
        buyer_key = ec.generate_private_key(ec.SECP256R1())
        accounts.register_public_key(purchaser, _pem(buyer_key), "sign", "合同签名")
        _commit()
        winner = next(s for s in suppliers if s.user.org_id == contracts.winner_org_id(award))
        past_challenge_period(clock, award)  # signed once no challenge can come any more
        _beat(app)
        for user, key in ((purchaser, buyer_key), (winner.user, winner.sign_key)):  # the bid signing key
            signature = b64u_encode(sign_document(key, bytes.fromhex(contract.sha256)))
            contract_service.sign_contract(user, contract.id, contract.sha256, signature)
            _commit()

        # ------------------------------------------------------------ where it all ends
        clock.advance(timedelta(minutes=1))
        _beat(app)  # the audit checkpoint signs the final tree head
        db.session.expire_all()
        contract = db.session.get(Contract, contract.id)
        award = db.session.get(Award, award.id)
        project = db.session.get(Project, pid)
        notice = db.session.get(Notice, contract.notice_id)
        assert contract.status.value == "signed" and {s.party for s in contract.signatures} == {"purchaser",
                                                                                                 "supplier"}
        assert notice.kind.value == "contract" and notice.subject_id == pid and contract.sha256 in notice.body
        assert award.status.value == "contracted"
        assert project.lots[0].status.value == "contracted"
        assert project.status.value == "closed"
        log = verify_log()
        assert log.ok, log.problem
        assert log.size == db.session.scalar(select(func.count()).select_from(AuditEvent))
        assert db.session.scalar(select(func.max(AuditCheckpoint.size))) == log.size  # signed by the beat
        for receipt in receipts:  # each bid's receipt still proves its submission in the grown log
            assert verify_inclusion_file(receipt["inclusion_proof"], verifier_key())
        check = verify_draw(draw_service.draw_events(draw.id), draw.id)
        assert check.drawn and check.primary == 5 and check.backup == 1 and check.salts_published
        assert check.replacements == 1
        seated_experts = [inv.expert_id for inv in invited if inv.id != gone.invitation_id] + [seat.expert_id]
        assert sorted(check.experts["B04"]) == sorted(seated_experts)  # the refilled seat as the draw proves it
        # the sweeps and the post-commit notices log and swallow their failures: there must be none
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    finally:
        app.config["TIME_VAULT_KEY_PATH"] = None
        shutil.rmtree(store, ignore_errors=True)
