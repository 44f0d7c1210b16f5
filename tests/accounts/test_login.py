"""Login with password and TOTP, replay refusal, rate limiting, step-up."""

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select
from tests_helpers import PASSWORD, login, totp_code

from accounts import service
from accounts.models import LoginFailure
from audit.models import AuditEvent
from core.db import db


def test_password_only_user_logs_in(client, make_user, clock):
    user = make_user("purchaser")
    assert not user.totp_required
    response = login(client, user)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    assert "工作台" in client.get("/dashboard").get_data(as_text=True)


def test_totp_user_needs_code_after_password(client, make_user, clock):
    user = make_user("agency_staff")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.headers["Location"].endswith("/login/totp")
    assert client.get("/dashboard").status_code == 302  # not logged in yet
    response = client.post("/login/totp", data={"code": totp_code(user)})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_wrong_password_is_refused_counted_and_audited(client, make_user, clock):
    user = make_user("purchaser")
    response = client.post("/login", data={"username": user.username, "password": "wrong-password"})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 1
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "accounts.login_failed")) is not None


def test_replayed_totp_code_is_refused(client, make_user, clock):
    user = make_user("expert")
    code = totp_code(user)
    assert login(client, user).status_code == 302
    client.post("/logout")
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    response = client.post("/login/totp", data={"code": code})
    assert response.status_code == 401
    assert "已使用" in response.get_data(as_text=True)
    clock.advance(timedelta(seconds=30))
    assert client.post("/login/totp", data={"code": totp_code(user)}).status_code == 302


def test_old_code_from_two_steps_ago_is_refused(app_ctx, make_user, clock):
    user = make_user("expert")
    old = pyotp.TOTP(user.totp_seed).at(clock.now() - timedelta(seconds=90))
    with pytest.raises(service.LoginFailed):
        service.verify_totp(user, old)


def test_repeated_failures_slow_the_account_down(client, make_user, clock, app):
    user = make_user("purchaser")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"username": user.username, "password": "nope-nope"})
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "尝试次数过多" in response.get_data(as_text=True)
    clock.advance(timedelta(seconds=app.config["LOGIN_FAILURE_WINDOW_S"] + 1))
    assert login(client, user).status_code == 302


def test_step_up_requires_a_fresh_code(app_ctx, make_user, clock):
    user = make_user("expert")
    service.verify_totp(user, totp_code(user))
    with pytest.raises(service.LoginFailed):
        service.verify_totp(user, totp_code(user), purpose="submit_scores")
    clock.advance(timedelta(seconds=30))
    service.verify_totp(user, totp_code(user), purpose="submit_scores")
    db.session.commit()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "accounts.step_up")) is not None


def test_totp_secret_is_stored_encrypted(app_ctx, make_user):
    user = make_user("expert")
    assert user.totp_seed.encode() not in user.totp_secret


def test_required_role_without_totp_must_enrol(client, make_user, clock):
    user = make_user("agency_staff", totp=False)
    login(client, user)
    response = client.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/totp")
    page = client.get("/account/totp").get_data(as_text=True)
    assert "必须使用动态口令" in page
    with client.session_transaction() as sess:
        secret = sess["totp_pending_secret"]
    qr = client.get("/account/totp/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    bad = client.post("/account/totp", data={"code": "000000"})
    assert "动态口令不正确" in bad.get_data(as_text=True)
    good = client.post("/account/totp", data={"code": pyotp.TOTP(secret).at(clock.now())})
    assert good.status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_open_redirect_is_refused(client, make_user, clock):
    user = make_user("purchaser")
    response = client.post("/login?next=//evil.example/", data={"username": user.username, "password": PASSWORD})
    assert response.headers["Location"].endswith("/dashboard")


def test_password_change_voids_old_sessions(client, make_user, clock):
    user = make_user("purchaser")
    login(client, user)
    user.password_hash = service.hash_password("another-password-1")
    db.session.commit()
    assert client.get("/dashboard").status_code == 302
