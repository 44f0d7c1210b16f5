"""Fixtures of the collusion tests: suppliers with real keys and a published one-lot project whose sealed
bids go through the real submission API and opening sweep (tests/tender_helpers.py)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from tender_helpers import Supplier, World, _pem, project_data, vault_and_keeper


@pytest.fixture
def world(app, app_ctx, make_user, clock, tmp_path):
    from accounts import service as accounts
    from accounts.models import OrgKind
    from core.db import db

    app.config["TIME_VAULT_KEY_PATH"] = str(tmp_path / "vault.pem")
    store = Path(app.config["FILE_STORE"]) / "tender"
    shutil.rmtree(store, ignore_errors=True)
    agency = make_user("agency_staff", org_kind="agency", username="agent")
    purchaser_org = accounts.create_org("测试采购单位", OrgKind.PURCHASER, "330329")
    w = World(agency=agency, purchaser_org=purchaser_org)
    keeper = make_user("supervisor", username="keeper0")
    key = ec.generate_private_key(ec.SECP256R1())
    accounts.register_public_key(keeper, _pem(key), "encrypt", "custody")
    w.custodians.append((keeper, key))
    for i in range(4):
        user = make_user("supplier", org_kind="supplier", username=f"sup{i}")
        sign, enc = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        accounts.register_public_key(user, _pem(sign), "sign", "bid signing")
        accounts.register_public_key(user, _pem(enc), "encrypt", "own stanza")
        w.suppliers.append(Supplier(user, sign, enc))
    db.session.commit()
    yield w
    app.config["TIME_VAULT_KEY_PATH"] = None
    shutil.rmtree(store, ignore_errors=True)


@pytest.fixture
def project(world, clock):
    from core.db import db
    from tender import service

    data = project_data(world, clock.now(), **vault_and_keeper(world),
                        lots=[{"name": "交互式智能平板", "budget_fen": 100_000_00, "max_price_fen": 95_000_00}])
    made = service.create_project(world.agency, data)
    service.add_document(world.agency, made, "招标文件.pdf", io.BytesIO(b"%PDF-1.4 tender document"))
    db.session.commit()
    service.publish_project(world.agency, made.id)
    db.session.commit()
    for s in world.suppliers:
        service.register_supplier(s.user, made.id)
    db.session.commit()
    return made
