"""Fixtures of the tender tests: an agency, custodians and suppliers with real keys, and a
factory for projects (draft or published)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from tender_helpers import Supplier, World, _pem, project_data
from tests_helpers import login


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """Seven users per test: argon2 at its production cost would dominate the suite's time."""
    from argon2 import PasswordHasher

    from accounts import service

    monkeypatch.setattr(service, "password_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


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
    for i in range(2):
        user = make_user("supervisor", username=f"keeper{i}")
        key = ec.generate_private_key(ec.SECP256R1())
        accounts.register_public_key(user, _pem(key), "encrypt", "custody")
        w.custodians.append((user, key))
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
def make_project(world, clock):
    from core.db import db
    from tender import service

    def make(publish: bool = True, register: int = 4, **overrides):
        project = service.create_project(world.agency, project_data(world, clock.now(), **overrides))
        service.add_document(world.agency, project, "招标文件.pdf", io.BytesIO(b"%PDF-1.4 tender document"))
        db.session.commit()
        if publish:
            service.publish_project(world.agency, project.id)
            db.session.commit()
            for s in world.suppliers[:register]:
                service.register_supplier(s.user, project.id)
            db.session.commit()
        return project

    return make


@pytest.fixture
def hall_client(app, monkeypatch):
    """hall_client(user) -> a Socket.IO test client on /opening with that user's session, each made in
    its own app context (flask_login caches the user in `g`), on the test app's own server."""
    from core.extensions import socketio

    monkeypatch.setattr(socketio, "server", app.wsgi_app.engineio_app)
    made = []

    def connect(user=None):
        with app.app_context():
            flask_client = app.test_client()
            if user is not None:
                login(flask_client, user)
        with app.app_context():
            sio = socketio.test_client(app, namespace="/opening", flask_test_client=flask_client)
        made.append(sio)
        return sio

    yield connect
    for sio in made:
        if sio.is_connected("/opening"):
            sio.disconnect(namespace="/opening")
