"""Shared fixtures: one app per test session on a migrated database, emptied after each test.

The database is SQLite in a temporary folder unless DATABASE_URL names another one (CI runs
the suite again on PostgreSQL). Tests that do not ask for `app` (pure libraries) never start it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pyotp
import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from sqlalchemy import text
from tests_helpers import PASSWORD, login

# Property tests judge their own speed against the wall clock; on a shared CI machine that is noise, and a
# failing health check is not a failing property. The properties and their examples stay as written.
settings.register_profile("biaoyun", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("biaoyun")

FROZEN_AT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 Beijing time, a Friday


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1)
                           if url.startswith("postgresql://") else url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    from core.app import create_app

    tmp = tmp_path_factory.mktemp("instance")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'test.sqlite'}"
    if url.startswith("postgres"):
        _reset_postgres(url)
    # The time-lock custodian's local beacon, a real HTTP server with its own BLS key, on a thread of
    # this process so that it signs rounds by the tests' frozen clock (beacon/local.py).
    from beacon.server import serve_in_thread

    beacon_server, beacon_url = serve_in_thread(tmp / "beacon")
    app = create_app({
        "ENV_NAME": "testing", "TESTING": True, "SECRET_KEY": "test-secret-key", "WTF_CSRF_ENABLED": False,
        "CELERY_ALWAYS_EAGER": True, "SQLALCHEMY_DATABASE_URI": url, "FILE_STORE": str(tmp / "files"),
        "AUDIT_KEY_PATH": str(tmp / "keys" / "audit.pem"), "CELERY_BROKER_URL": "memory://",
        "SOCKETIO_MESSAGE_QUEUE": "", "REDIS_URL": None,
        "BEACON": "local", "BEACON_DIR": str(tmp / "beacon"), "BEACON_URLS": beacon_url,
    })
    with app.app_context():
        # Tables come from the models so a feature in progress needs no migration yet;
        # tests/core/test_migrations.py proves the migrations build the very same schema.
        from audit.service import ensure_head
        from core.db import db

        db.create_all()
        ensure_head()
        db.session.commit()
    yield app
    beacon_server.shutdown()
    beacon_server.server_close()


TABLES_KEEP = {"alembic_version"}


def empty_database() -> None:
    from audit.models import EMPTY_FRONTIER
    from core.db import db

    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in TABLES_KEEP and table.name != "audit_head":
            db.session.execute(table.delete())
    db.session.execute(text("UPDATE audit_head SET size = 0, frontier = :f"), {"f": EMPTY_FRONTIER})
    db.session.commit()


@pytest.fixture(autouse=True)
def _session_app_singletons(request) -> None:
    """Socket.IO and Celery are process-wide singletons that every create_app() rebinds; tests of
    the factory make other apps, so each test that uses the session app gets its own back."""
    if "app" not in request.fixturenames:
        return
    from core.extensions import socketio

    app = request.getfixturevalue("app")
    socketio.server = app.wsgi_app.engineio_app  # Flask-SocketIO's middleware holds the app's server
    celery_app = app.extensions["celery"]
    celery_app.set_current()
    celery_app.set_default()


@pytest.fixture(autouse=True)
def _clean_database(request) -> Iterator[None]:
    """After every test that used the app, empty every table (works on SQLite and PostgreSQL,
    and with tests that commit from several threads, which a rolled-back outer transaction would not)."""
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        with app.app_context():
            empty_database()
            from core.db import db

            db.session.remove()


@pytest.fixture
def clock():
    """The server clock, frozen at FROZEN_AT; tests move it with `clock.advance(...)`."""
    from core import clock as clock_module

    clock_module.clock.set(FROZEN_AT)
    yield clock_module.clock
    clock_module.clock.reset()


@pytest.fixture
def app_ctx(app) -> Iterator[None]:
    with app.app_context():
        yield


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: its own `g` and its own
    database session, even while the test body holds an app context of its own."""

    def open(self, *args, **kwargs):
        from core.db import db

        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.expire_all()  # the test's objects see what the request committed
        return response


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def region(app_ctx):
    from accounts.models import Region, RegionLevel
    from core.db import db

    db.session.add_all([Region(code="330000", name="浙江省", level=RegionLevel.PROVINCE),
                        Region(code="330300", name="温州市", level=RegionLevel.CITY, parent_code="330000"),
                        Region(code="330329", name="泰顺县", level=RegionLevel.COUNTY, parent_code="330300")])
    db.session.commit()
    return "330329"




@functools.cache
def password_hash() -> str:
    from accounts.service import hash_password

    return hash_password(PASSWORD)


@pytest.fixture
def make_user(app_ctx, region):
    """make_user("agency_staff", totp=True) -> user with `.totp_seed` when TOTP is bound."""
    from accounts import service
    from accounts.models import OrgKind
    from core import secretbox
    from core.db import db

    counter = {"n": 0}

    def make(*roles: str, totp: bool | None = None, org_kind: str | None = None, username: str | None = None):
        counter["n"] += 1
        org = None
        if org_kind:
            org = service.create_org(f"测试单位{counter['n']}", OrgKind(org_kind), region)
        user = service.create_user(username or f"u{counter['n']}", f"用户{counter['n']}", None,
                                   list(roles), region, org=org, password_hash=password_hash())
        seed = None
        if totp if totp is not None else user.totp_required:
            seed = pyotp.random_base32()
            user.totp_secret = secretbox.seal(seed.encode(), service.TOTP_PURPOSE)
        db.session.commit()
        user.totp_seed = seed
        return user

    return make


@pytest.fixture
def login_as(client, make_user, clock):
    def do(*roles: str, **kwargs):
        user = make_user(*roles, **kwargs)
        response = login(client, user)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return do
