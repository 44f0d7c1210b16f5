"""The app factory, health check, error format, security headers and the public/anonymous rule."""

import pytest
from tests_helpers import make_test_app

from core import config as cfg
from core.app import create_app


def test_production_refuses_default_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": cfg.DEFAULT_SECRET_KEY})


def test_production_accepts_real_secret(tmp_path):
    secret = tmp_path / "secrets" / "vault"  # outside the instance folder and the file store
    secret.parent.mkdir()
    secret.write_text("a long passphrase for the time vault\n")
    app = make_test_app(tmp_path, ENV_NAME="production", SECRET_KEY="x" * 40, PUBLIC_BASE_URL="https://by.example",
                        TIME_VAULT_PASSPHRASE_FILE=str(secret), TIME_VAULT_KEY_PATH=str(tmp_path / "v.pem"))
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_prefixed_environment_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("BIAOYUN_LOGIN_MAX_FAILURES", "9")
    app = make_test_app(tmp_path)
    assert app.config["LOGIN_MAX_FAILURES"] == 9


def test_postgres_url_uses_psycopg3():
    assert cfg.normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert cfg.normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_healthz_reports_each_service(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True
    assert set(body) >= {"database", "broker", "message_queue"}
    assert body["database"]["ok"] is True


def test_api_errors_are_json_with_stable_code(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    body = response.get_json()
    assert body == {"error": {"code": "not_found", "message": body["error"]["message"]}}


def test_pages_get_chinese_error_page(client):
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "您访问的页面不存在" in response.get_data(as_text=True)


def test_english_error_page_after_language_switch(client):
    client.get("/lang/en")
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert "The page you requested does not exist" in response.get_data(as_text=True)


def test_strict_csp_and_no_inline_script(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_openapi_document_lists_the_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["info"]["title"] == "Biaoyun API"
    assert "/api/v1/me" in spec["paths"]


def test_vendor_assets_come_from_npm(client):
    response = client.get("/vendor/bootstrap/css/bootstrap.min.css")
    assert response.status_code == 200
    response.close()
    assert client.get("/vendor/nothing/x.js").status_code == 404


def test_check_calendar_command(app, tmp_path):
    runner = app.test_cli_runner()
    good = runner.invoke(args=["check-calendar", "core/data/holidays_cn.json"])
    assert good.exit_code == 0 and "2025" in good.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"years": {"2025": {"holidays": ["2025-02-30"], "workdays": []}}}', encoding="utf-8")
    refused = runner.invoke(args=["check-calendar", str(bad)])
    assert refused.exit_code != 0 and "2025" in refused.output


def test_every_feature_sweep_reaches_celery_beat(app):
    schedule = app.extensions["celery"].conf.beat_schedule
    assert {"audit-checkpoint", "tender-sweep"} <= set(schedule)
    assert all(entry["task"] in app.extensions["celery"].tasks for entry in schedule.values())
