"""Every link in an outgoing message is built under PUBLIC_BASE_URL, which production requires (https)."""


import pytest
from tests_helpers import make_test_app


def _prod(tmp_path, **extra):
    secret = tmp_path / "secrets" / "vault"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text("a long passphrase for the time vault\n")
    return make_test_app(tmp_path, ENV_NAME="production", SECRET_KEY="x" * 40, TIME_VAULT_PASSPHRASE_FILE=str(secret),
                         TIME_VAULT_KEY_PATH=str(tmp_path / "v.pem"), **extra)


@pytest.mark.parametrize("url", [None, "", "http://biaoyun.example.gov.cn", "https://", "https://h.example/?a=1"])
def test_production_refuses_a_missing_or_plain_http_base_url(tmp_path, monkeypatch, url):
    monkeypatch.delenv("BIAOYUN_PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="BIAOYUN_PUBLIC_BASE_URL"):
        _prod(tmp_path, **({} if url is None else {"PUBLIC_BASE_URL": url}))


def test_production_accepts_https_and_links_use_it(tmp_path):
    from core.links import public_url

    app = _prod(tmp_path, PUBLIC_BASE_URL="https://zfcg.example.gov.cn/biaoyun/")
    with app.app_context():
        assert public_url("expert_draw.reply", code="ABC") == "https://zfcg.example.gov.cn/biaoyun/expert-draw/reply/ABC"


def test_development_defaults_to_the_local_server(app_ctx):
    from core.links import absolute, public_url

    assert public_url("expert_draw.my_invitations") == "http://127.0.0.1:5000/expert-draw/my"
    assert absolute("/x") == "http://127.0.0.1:5000/x"
    with pytest.raises(ValueError):
        absolute("//evil.example/x")


def test_reminder_sms_carries_the_public_link(app, app_ctx, monkeypatch):
    from expert_draw.notify import LogChannel
    from portal.reminders import deliver

    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://zfcg.example.gov.cn")
    LogChannel.sent.clear()
    deliver([{"user_id": 1, "phone": "13900000000", "email": None,
              "message": {"title": "确认", "body": "请确认", "level": "warning", "url": "/expert-draw/my"}}])
    assert LogChannel.sent[-1].text == "请确认 https://zfcg.example.gov.cn/expert-draw/my"
