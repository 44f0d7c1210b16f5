"""A small world for the evaluation room: an opened lot with three bids (rows, as tender writes them),
a draw request for a lawful committee of five experts (four drawn, one hand-picked; 87号令 Art 47),
all five confirmed, a sixth expert in the library for a replacement, the agency, the purchaser and a
supervisor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    from argon2 import PasswordHasher

    from accounts import service

    monkeypatch.setattr(service, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@dataclass
class Room:
    project: object
    lot: object
    bids: list
    agency: object
    purchaser: object
    supervisor: object
    suppliers: list
    experts: list            # users: the five seated experts (experts[3] is the hand-picked one)
    request: object
    outsider: object
    reserve: object = None   # a sixth expert user, drawn as the replacement when a member leaves
    extra: dict = field(default_factory=dict)

    @property
    def panel(self) -> list:
        """The experts taking part after `declare_and_elect`: experts[3] declared a conflict and the
        reserve was seated in his place (the room waits for him, 87号令 Art 47–48)."""
        return [*self.experts[:3], self.experts[4], self.reserve]


@pytest.fixture
def room(app_ctx, region, clock, make_user, app):
    from core.db import db
    from expert_draw.models import (
        DrawRequest,
        DrawRequestSpecialty,
        HandPick,
        Invitation,
        InvitationKind,
        InvitationStatus,
        RequestStatus,
    )
    from registry.experts.demo import demo_id_number, ensure_specialties
    from registry.experts.models import Expert, ExpertStatus
    from tender import filestore
    from tender.models import Bid, Lot, OpeningRecord, Project
    from tender.transitions import BidStatus, Category, EvalMethod, LotStatus, Method, OpeningMode, ProjectStatus

    ensure_specialties()
    now = clock.now()
    agent = make_user("agency_staff", org_kind="agency")
    purchaser = make_user("purchaser", org_kind="purchaser", totp=True)
    supervisor = make_user("supervisor", org_kind="finance")
    outsider = make_user("expert")
    project = Project(code="TS-2026-E01", title="泰顺县人民医院彩超采购", region_code=region,
                      purchaser_org_id=purchaser.org_id, agency_org_id=agent.org_id, created_by_id=agent.id,
                      catalogue_code="A02010104", category=Category.GOODS, method=Method.PUBLIC_TENDER,
                      eval_method=EvalMethod.SCORING,
                      criteria=[{"name": "价格", "weight": 40, "price": True}, {"name": "技术", "weight": 45},
                                {"name": "商务", "weight": 15}],
                      notice_at=now - timedelta(days=21), doc_start_at=now - timedelta(days=21),
                      doc_end_at=now - timedelta(days=14), clarify_deadline=now - timedelta(days=10),
                      deadline=now - timedelta(hours=2), opening_mode=OpeningMode.CUSTODIAN,
                      status=ProjectStatus.OPENED, created_at=now - timedelta(days=22),
                      published_at=now - timedelta(days=21), opened_at=now - timedelta(hours=1))
    lot = Lot(project=project, number=1, name="彩色多普勒超声诊断仪", budget_fen=1_000_000_00,
              max_price_fen=980_000_00, status=LotStatus.OPENED)
    db.session.add_all([project, lot])
    db.session.flush()
    bids, suppliers = [], []
    for i, price in enumerate((900_000_00, 920_000_00, 950_000_00)):
        supplier = make_user("supplier", org_kind="supplier")
        suppliers.append(supplier)
        bid = Bid(project_id=project.id, lot_id=lot.id, org_id=supplier.org_id, user_id=supplier.id,
                  status=BidStatus.OPENED, bidder_id=f"b{i}", path=f"x/{i}", size=1, sha256="0" * 64,
                  signed_digest="0" * 64, signer_fingerprint="0" * 64, commitment="c",
                  submitted_at=now - timedelta(days=1), closed_at=now - timedelta(hours=1))
        db.session.add(bid)
        db.session.flush()
        db.session.add(OpeningRecord(project_id=project.id, lot_id=lot.id, bid_id=bid.id, org_id=supplier.org_id,
                                     bidder_name=f"供应商{i + 1}有限公司", price_fen=price,
                                     opened_at=now - timedelta(hours=1)))
        filestore.remove_tree(f"opened/{project.id}/{bid.id}")  # ids are reused once the tables are emptied
        folder = filestore.absolute(f"opened/{project.id}/{bid.id}")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "技术响应.txt").write_text(f"供应商{i + 1}的技术响应文件", encoding="utf-8")
        bids.append(bid)
    req = DrawRequest(project_id=project.id, lot_id=None, project_title=project.title, region_code=region,
                      purchaser_org_id=purchaser.org_id, agency_org_id=agent.org_id, method="public_tender",
                      budget_fen=1_000_000_00, evaluation_start_at=now + timedelta(minutes=30),
                      evaluation_end_at=now + timedelta(hours=5), place="远程评审室", is_remote=True,
                      status=RequestStatus.COMPLETE, created_by_id=agent.id, created_at=now - timedelta(days=3))
    req.specialties = [DrawRequestSpecialty(position=0, specialty_code="B01", primary_count=4, backup_count=1)]
    db.session.add(req)
    db.session.flush()
    experts = []
    for n in range(1, 7):
        user = make_user("expert", totp=True)
        expert = Expert(user_id=user.id, name=user.name, id_number=demo_id_number(n, date(1975, 5, 5)),
                        birth_date=date(1975, 5, 5), phone=f"1390000{n:04d}", region_code=region,
                        employer_name=f"某大学{n}", status=ExpertStatus.ACTIVE, registered_at=now, admitted_at=now)
        db.session.add(expert)
        db.session.flush()
        experts.append(user)
        if n == 6:  # the reserve: in the library, not invited yet
            break
        if n == 4:
            db.session.add(HandPick(request_id=req.id, expert_id=expert.id, specialty_code="B01",
                                    approval_ref="泰财采〔2026〕12号", reason="彩超图像质量评价专家稀缺",
                                    created_by_id=agent.id, created_at=now - timedelta(days=3)))
        db.session.add(Invitation(request_id=req.id, expert_id=expert.id, specialty_code="B01",
                                  kind=InvitationKind.HAND_PICKED if n == 4 else InvitationKind.PRIMARY,
                                  leaf=None if n == 4 else f"{n:064x}",
                                  status=InvitationStatus.CONFIRMED, reply_code=f"RC{n:04d}{req.id}",
                                  notified_at=now, responded_at=now))
    db.session.commit()
    return Room(project, lot, bids, agent, purchaser, supervisor, suppliers, experts[:5], req, outsider,
                reserve=experts[5])


@pytest.fixture
def published(room, clock):
    """The room run through to a published result (Friday 27 November 2026): the five experts taking part
    (a replacement among them) score, sign,
    the purchaser confirms the first candidate, the agency publishes. Returns the award."""
    from evaluation_helpers import declare_and_elect, publish_first_candidate, review_all_pass, sign_report
    from tests_helpers import totp_code

    from core.db import db
    from evaluation import service

    clock.advance(timedelta(minutes=31))
    committee = service.open_evaluation(room.agency, room.lot.id)
    cid = committee.id
    declare_and_elect(room, cid)
    review_all_pass(room, cid)
    clock.advance(timedelta(seconds=31))
    sheet = {str(b.id): {"技术": "40", "商务": "12"} for b in room.bids}
    for user in room.panel:
        service.submit_scores(user, cid, sheet, totp_code(user))
    service.start_summary(room.experts[0], cid)
    report = service.accept_summary(room.experts[0], cid)
    sign_report(room, clock, report)
    award = publish_first_candidate(room, cid, report)
    db.session.commit()
    return award


@pytest.fixture
def sign_answer():
    """`sign_answer(user, item, answer=... | confirmed=...)`: the bidder's signature over its answer to a
    committee's question (`service.answer_document`), made with a signing key registered (and committed)
    for `user` on first use — as the bidder's page does in the browser."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    keys: dict[int, ec.EllipticCurvePrivateKey] = {}

    def sign(user, item, *, answer: str | None = None, confirmed: bool | None = None) -> str:
        from accounts.service import register_public_key
        from core.db import db
        from crypto import document_digest, sign_document
        from crypto.encoding import b64u_encode
        from evaluation import service

        if user.id not in keys:
            keys[user.id] = ec.generate_private_key(ec.SECP256R1())
            pem = keys[user.id].public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo)
            register_public_key(user, pem.decode(), "sign", "答复签名")
            db.session.commit()
        doc = service.answer_document(item)
        if answer is not None:
            doc["answer"] = service.normalise_answer(answer)
        else:
            doc["confirmed"] = bool(confirmed)
        return b64u_encode(sign_document(keys[user.id], document_digest(doc)))

    return sign


@pytest.fixture
def room_client(app, monkeypatch, clock):
    """room_client(user=None) -> (a Socket.IO test client on /evaluation, its Flask test client), logged in
    as `user` (anonymous without one); every client still connected is disconnected at the end."""
    from tests_helpers import login

    from core.extensions import socketio

    monkeypatch.setattr(socketio, "server", app.wsgi_app.engineio_app)
    made = []

    def connect(user=None):
        with app.app_context():
            flask_client = app.test_client()
            if user is not None:
                clock.advance(timedelta(seconds=31))
                login(flask_client, user)
        with app.app_context():
            sio = socketio.test_client(app, namespace="/evaluation", flask_test_client=flask_client)
        made.append(sio)
        return sio, flask_client

    yield connect
    for sio in made:
        if sio.is_connected("/evaluation"):
            with app.app_context():
                sio.disconnect(namespace="/evaluation")
