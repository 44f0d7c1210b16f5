"""Helpers of the tender tests (tests/tender/): the world of users and keys, project data,
sealing bids with the Python library, submitting them through the API."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric import ec

PLAINTEXT_MARK = "绝密投标报价明文-PLAINTEXT-MARKER-7f3a"


@dataclass
class Supplier:
    user: object
    sign_key: ec.EllipticCurvePrivateKey
    enc_key: ec.EllipticCurvePrivateKey


@dataclass
class World:
    agency: object
    purchaser_org: object
    custodians: list = field(default_factory=list)  # (user, private key)
    suppliers: list[Supplier] = field(default_factory=list)


def _pem(key: ec.EllipticCurvePrivateKey) -> str:
    from tender.keys import public_pem

    return public_pem(key.public_key())


def project_data(world: World, now, **overrides) -> dict:
    data = {
        "title": "泰顺县教育局教学设备采购项目", "purchaser_org_id": world.purchaser_org.id,
        "catalogue_code": "A02010104", "category": "goods", "method": "public_tender",
        "eval_method": "scoring",
        "criteria": [{"name": "价格", "weight": 40, "price": True}, {"name": "技术", "weight": 45},
                     {"name": "商务", "weight": 15}],
        "lots": [{"name": "交互式智能平板", "budget_fen": 100_000_00, "max_price_fen": 95_000_00},
                 {"name": "学生电脑", "budget_fen": 200_000_00, "max_price_fen": 200_000_00}],
        "notice_at": now.isoformat(), "doc_start_at": now.isoformat(),
        "doc_end_at": (now + timedelta(days=7)).isoformat(),
        "clarify_deadline": (now + timedelta(days=10)).isoformat(),
        "deadline": (now + timedelta(days=21)).isoformat(),
        "opening_mode": "custodian", "custodian_user_ids": [u.id for u, _ in world.custodians],
        "include_vault": True, "k": 2, "decrypt_window_minutes": 30,
    }
    data.update(overrides)
    return data


def seal_bid(project, lot, supplier: Supplier, price_fen: int = 90_000_00, *, policy=None,
             bidder_id: str | None = None, signer=None, payload: bytes | None = None) -> bytes:
    import crypto
    from tender.bids import bidder_id_of

    out = io.BytesIO()
    summary = {"bidder": supplier.user.org.name, "lot": str(lot.number), "price_fen": price_fen,
               "delivery_days": 30, "remarks": PLAINTEXT_MARK}
    files = [("技术响应.txt", io.BytesIO(payload if payload is not None else PLAINTEXT_MARK.encode() * 50))]
    crypto.seal(policy or lot.policy, signer or supplier.sign_key, supplier.enc_key.public_key(), summary, files,
                out, bidder_id or bidder_id_of(supplier.user.org), chunk_size=65536)
    return out.getvalue()


def submit(client, user, project, lot, data: bytes):
    """Submit through the API with the supplier's session."""
    from tests_helpers import login

    login(client, user)
    return client.post(f"/api/v1/tender/projects/{project.id}/lots/{lot.id}/bids", data=data,
                       content_type="application/octet-stream")


def vault_and_keeper(world) -> dict:
    """make_project overrides for the smallest policy the platform accepts: the vault and keeper0, k = 2
    (the vault alone, k = 1, is refused: the platform would be one party holding k shares)."""
    return {"k": 2, "custodian_user_ids": [world.custodians[0][0].id]}


def hand_in_keeper_shares(world, index: int = 0) -> int:
    """Custodian `index` unwraps and hands in its share of every bid waiting in an opening (as the hall
    does after the TOTP step-up, tested in test_opening.py); returns the shares stored."""
    from sqlalchemy import select

    import crypto
    from core.db import db
    from tender import opening
    from tender.models import Project
    from tender.transitions import ProjectStatus

    user, key = world.custodians[index]
    stored = 0
    for project in db.session.scalars(select(Project).where(Project.status == ProjectStatus.OPENING)):
        member = next((c for c in project.custodians if c.user_id == user.id), None)
        if member is None:
            continue
        for lot in project.lots:
            for bid in opening.current_bids(lot):
                share = crypto.unwrap_share(opening.header_of(bid), key)
                stored += opening.store_share(bid, member.custodian_id, share, user.id)
    db.session.commit()
    return stored


def sweep_with_keeper(world) -> None:
    """The sweep at the opening time with keeper0's shares handed in: close, vault shares, open."""
    from tender import opening

    opening.sweep()
    hand_in_keeper_shares(world)
    opening.sweep()
