"""What the outside review of issue 11 found in logins and sessions, each with a test that failed before."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from tests_helpers import PASSWORD, login, totp_code

from accounts import service
from accounts.models import ApiToken
from audit.models import AuditEvent
from core.db import db

STRANGER = {"REMOTE_ADDR": "203.0.113.9"}


def _wrong_passwords(client, user, times: int, environ=STRANGER):
    for _ in range(times):
        client.post("/login", data={"username": user.username, "password": "wrong-password"}, environ_base=environ)


def test_a_strangers_wrong_passwords_block_neither_the_owners_login_nor_step_up(app, client, make_user, clock):
    user = make_user("expert")
    _wrong_passwords(app.test_client(), user, app.config["LOGIN_MAX_FAILURES"] + 2)
    assert app.test_client().post("/login", data={"username": user.username, "password": PASSWORD},
                                  environ_base=STRANGER).status_code == 429  # the guesser's own address is braked
    assert login(client, user).status_code == 302  # the owner, from their own address, is not
    clock.advance(timedelta(seconds=30))
    service.verify_totp(user, totp_code(user), "127.0.0.1", purpose="submit_scores")  # nor is their step-up


def test_the_global_brake_refuses_new_logins_but_never_a_logged_in_step_up(app, client, make_user, clock):
    user = make_user("expert")
    assert login(client, user).status_code == 302
    limit = app.config["LOGIN_ACCOUNT_MAX_FAILURES"]
    for i in range(limit):
        service.record_failure(user.username, f"198.51.100.{i % 250}", "password")
    db.session.commit()
    fresh = app.test_client().post("/login", data={"username": user.username, "password": PASSWORD},
                                   environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert fresh.status_code == 429
    clock.advance(timedelta(seconds=30))
    service.verify_totp(user, totp_code(user), "127.0.0.1", purpose="sign_report")
    assert client.get("/dashboard").status_code == 200


def test_step_up_failures_are_counted_on_their_own(app, make_user, clock):
    user = make_user("expert")
    for _ in range(app.config["STEP_UP_MAX_FAILURES"]):
        with pytest.raises(service.LoginFailed):
            service.verify_totp(user, "000000", "127.0.0.1", purpose="release_share")
    db.session.commit()
    with pytest.raises(service.RateLimited) as refused:
        service.verify_totp(user, totp_code(user), "127.0.0.1", purpose="release_share")
    assert refused.value.code == "rate_limited"
    db.session.rollback()
    service.check_rate_limit(user.username, "127.0.0.1")  # the password login is not braked by step-up misses


def test_a_refusal_is_audited_and_its_retry_after_is_true(app, client, make_user, clock):
    user = make_user("purchaser")
    window = app.config["LOGIN_FAILURE_WINDOW_S"]
    _wrong_passwords(client, user, 1, environ={})
    clock.advance(timedelta(seconds=100))
    _wrong_passwords(client, user, app.config["LOGIN_MAX_FAILURES"] - 1, environ={})
    page = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert page.status_code == 429
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "accounts.login_refused")).one()
    assert f'"retry_after":{window - 100}' in event.payload and user.username in event.payload
    assert "尝试次数过多，请 14 分钟后再试" in page.get_data(as_text=True)
    clock.advance(timedelta(seconds=window - 100 - 1))
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 429
    clock.advance(timedelta(seconds=1))
    assert login(client, user).status_code == 302  # lifted exactly when it said


def test_a_step_up_refusal_says_when_it_lifts(app, make_user, clock):
    user = make_user("expert")
    for _ in range(app.config["STEP_UP_MAX_FAILURES"]):
        service.record_failure(user.username, "127.0.0.1", service.STEP_UP_KIND)
    db.session.commit()
    with pytest.raises(service.RateLimited) as refused:
        service.check_step_up_limit(user, "127.0.0.1")
    assert refused.value.details["retry_after"] == app.config["LOGIN_FAILURE_WINDOW_S"]


def test_logout_ends_the_session_on_the_server(app, client, make_user, clock):
    user = make_user("purchaser")
    login(client, user)
    copied = client.get_cookie("session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/dashboard").status_code == 302  # back to the login page


def _csrf_on(app, monkeypatch):
    """The test app runs without CSRF; these tests turn it on once logged in (the login form has no token)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def test_an_invalid_bearer_header_neither_skips_csrf_nor_uses_the_cookie(app, client, make_user, clock, monkeypatch):
    user = make_user("supplier")
    assert login(client, user).status_code == 302
    _csrf_on(app, monkeypatch)
    assert client.get("/api/v1/me").status_code == 200  # the cookie is a live session
    for header in ("Bearer junk", "Bearer ", "Bearer byt_not-a-token"):
        response = client.post("/api/v1/tokens", json={"name": "偷来的"}, headers={"Authorization": header})
        assert response.status_code == 401, header
    assert client.post("/api/v1/tokens", json={"name": "无 CSRF"}).status_code == 400  # cookie: CSRF checked
    assert db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id)) is None


def test_a_valid_token_authenticates_alone(app, client, make_user, clock, monkeypatch):
    owner, other = make_user("supplier"), make_user("supplier")
    secret = service.create_api_token(owner, "工具").secret
    db.session.commit()
    assert login(client, other).status_code == 302
    _csrf_on(app, monkeypatch)
    assert client.get("/api/v1/me").get_json()["username"] == other.username
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert me["username"] == owner.username  # the token, not the cookie beside it
    made = client.post("/api/v1/tokens", json={"name": "第二个"}, headers={"Authorization": f"Bearer {secret}"})
    assert made.status_code == 201


def test_production_sends_hsts(tmp_path):
    from tests_helpers import make_test_app

    secret = tmp_path / "secrets" / "vault"  # production refuses an unencrypted time vault key (tender.vault)
    secret.parent.mkdir()
    secret.write_text("a long passphrase for the time vault\n")
    production = make_test_app(tmp_path, ENV_NAME="production", SECRET_KEY="x" * 40,
                               PUBLIC_BASE_URL="https://by.example",
                               TIME_VAULT_PASSPHRASE_FILE=str(secret), TIME_VAULT_KEY_PATH=str(tmp_path / "v.pem"))
    assert "max-age=" in production.test_client().get("/healthz").headers["Strict-Transport-Security"]
    development = make_test_app(tmp_path / "dev", ENV_NAME="development")
    assert "Strict-Transport-Security" not in development.test_client().get("/healthz").headers


def test_socketio_refuses_a_foreign_origin(app):
    handshake = "/socket.io/?EIO=4&transport=polling"
    foreign = app.test_client().get(handshake, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 400
    own = app.test_client().get(handshake, headers={"Origin": "http://localhost"})
    assert own.status_code == 200


def test_socketio_origin_against_configured_host_names():
    from core.security import origin_checker

    allowed = origin_checker({"HOST_NAMES": ["biaoyun.example.gov.cn", "intranet:8443"]})
    environ = {"HTTP_HOST": "evil.example"}
    assert allowed("https://biaoyun.example.gov.cn", environ) and allowed("https://intranet:8443", environ)
    assert not allowed("https://evil.example", environ) and not allowed("null", environ)
    assert not allowed("https://biaoyun.example.gov.cn.evil.example", environ)
