"""Real-time messages: who may connect to /messages, which rooms a message reaches, what a message may hold."""

import logging

import pytest
from socketio import PubSubManager
from tests_helpers import login

from core.extensions import socketio
from core.messages import EVENT, NAMESPACE, build_message, emit_message
from core.tasks import send_message


@pytest.fixture(autouse=True)
def _no_message_queue(app):
    """The session app's own Socket.IO server (restored by conftest) relays nothing: no queue."""
    assert not isinstance(socketio.server.manager, PubSubManager)
    assert app.extensions["celery"].conf.task_always_eager


def messages(sio_client) -> list[dict]:
    return [r["args"][0] for r in sio_client.get_received(NAMESPACE) if r["name"] == EVENT]


@pytest.fixture
def connect(app):
    """connect(user) -> a Socket.IO test client on /messages with that user's session cookie."""
    made = []

    def do(user=None):
        # Each connection in its own app context, as in production (flask_login caches the user in `g`).
        with app.app_context():
            flask_client = app.test_client()
            if user is not None:
                assert login(flask_client, user).status_code == 302
        with app.app_context():
            sio = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=flask_client)
        made.append(sio)
        return sio

    yield do
    for sio in made:
        if sio.is_connected(NAMESPACE):
            sio.disconnect(NAMESPACE)


def test_anonymous_connection_is_refused(connect):
    assert not connect().is_connected(NAMESPACE)


def test_user_who_must_enrol_totp_is_refused(connect, make_user, clock):
    user = make_user("agency_staff", totp=False, org_kind="central_agency")
    assert user.totp_required and not user.totp_enabled
    assert not connect(user).is_connected(NAMESPACE)


def test_notice_reaches_the_user_and_the_org_and_nobody_else(connect, make_user, clock):
    alice = make_user("supplier", org_kind="supplier")
    bob = make_user("supplier", org_kind="supplier")
    staff = make_user("agency_staff", org_kind="central_agency")  # with TOTP
    a, b, s = connect(alice), connect(bob), connect(staff)
    assert a.is_connected(NAMESPACE) and b.is_connected(NAMESPACE) and s.is_connected(NAMESPACE)

    send_message.delay({"title": "投标文件已接收", "body": "回执编号 42", "level": "success",
                  "url": "/bids/42"}, user_ids=[alice.id])
    [got] = messages(a)
    assert got["title"] == "投标文件已接收" and got["body"] == "回执编号 42"
    assert got["level"] == "success" and got["url"] == "/bids/42" and got["id"]
    assert got["at"] == clock.now().isoformat()
    assert messages(b) == [] and messages(s) == []

    send_message.delay({"body": "开标即将开始"}, org_ids=[staff.org_id])
    assert [n["body"] for n in messages(s)] == ["开标即将开始"]
    assert messages(a) == [] and messages(b) == []


def test_user_in_two_targeted_rooms_gets_the_notice_once(connect, make_user, clock):
    alice = make_user("supplier", org_kind="supplier")
    a = connect(alice)
    send_message.delay({"title": "通知"}, user_ids=[alice.id], org_ids=[alice.org_id])
    assert len(messages(a)) == 1


def test_task_id_is_the_notice_id_so_a_redelivery_repeats_it(connect, make_user, clock):
    alice = make_user("supplier", org_kind="supplier")
    a = connect(alice)
    result = send_message.apply_async(({"title": "通知"},), {"user_ids": [alice.id]}, task_id="task-1")
    assert result.get() == "task-1"
    assert messages(a)[0]["id"] == "task-1"


@pytest.mark.parametrize("message", [
    {}, {"title": "  "}, {"title": "x", "level": "critical"}, {"title": "x", "url": "https://evil.example/"},
    {"title": "x", "url": "//evil.example/"}, {"title": "x", "url": "javascript:alert(1)"},
])
def test_bad_notices_are_refused(message, clock):
    with pytest.raises(ValueError):
        build_message(message)


def test_long_text_is_cut(clock):
    assert len(build_message({"title": "标" * 2000})["title"]) == 500


def test_worker_without_message_queue_drops_the_notice_with_a_warning(app_ctx, caplog, monkeypatch):
    # alembic's logging.config.fileConfig (tests/core/test_migrations.py) disables existing loggers
    monkeypatch.setattr(logging.getLogger("core.messages"), "disabled", False)
    with caplog.at_level(logging.WARNING, logger="core.messages"):
        assert emit_message({"title": "x"}, user_ids=[1], external=True) is None
    assert "no Socket.IO message queue" in caplog.text


def test_nothing_is_sent_without_recipients(app_ctx):
    assert emit_message({"title": "x"}) is None


def test_pages_load_the_notice_script_only_for_signed_in_users(client, login_as):
    assert b"js/messages.js" not in client.get("/login").data
    login_as("supplier", org_kind="supplier")
    page = client.get("/dashboard").get_data(as_text=True)
    assert '<script type="module" src="/static/js/messages.js"></script>' in page
