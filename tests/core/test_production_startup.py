"""Production start-up refusals (issue 10): no clock override, and a time vault key that is never in
plaintext beside the database — encrypted under a passphrase the deployment keeps outside the instance
folder. The demo and tests keep their clock overrides and the embedded default its plaintext key."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from tests_helpers import make_test_app

PASS = "correct horse battery staple vault"


@pytest.fixture
def prod(tmp_path, monkeypatch):
    """Settings of a production app whose vault passphrase is a secret file outside the instance."""
    for name in ("BIAOYUN_CLOCK_FROZEN_AT", "BIAOYUN_CLOCK_ACCEL", "BIAOYUN_CLOCK_ANCHOR",
                 "BIAOYUN_CLOCK_VIRTUAL_ANCHOR", "BIAOYUN_TIME_VAULT_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    secret = tmp_path / "run-secrets" / "vault"
    secret.parent.mkdir()
    secret.write_text(PASS + "\n")
    return {"ENV_NAME": "production", "SECRET_KEY": "s" * 48, "PUBLIC_BASE_URL": "https://by.example",
            "TIME_VAULT_PASSPHRASE_FILE": str(secret),
            "TIME_VAULT_KEY_PATH": str(tmp_path / "keys" / "time_vault.pem")}


@pytest.mark.parametrize("override", [
    {"CLOCK_FROZEN_AT": "2030-01-01T00:00:00+08:00"},
    {"CLOCK_ACCEL": 60, "CLOCK_ANCHOR": "2026-01-01T00:00:00Z"},
    {"CLOCK_ACCEL": "2.5"},
    {"CLOCK_ANCHOR": "2026-01-01T00:00:00Z"},
    {"CLOCK_VIRTUAL_ANCHOR": "2031-01-01T00:00:00Z", "CLOCK_ANCHOR": "2026-01-01T00:00:00Z"},
])
def test_production_refuses_every_clock_override(tmp_path, prod, override):
    with pytest.raises(RuntimeError, match="clock overrides") as refused:
        make_test_app(tmp_path, **prod, **override)
    assert "BIAOYUN_" + next(iter(override)) in str(refused.value)


def test_production_refuses_a_clock_override_from_the_environment(tmp_path, prod, monkeypatch):
    monkeypatch.setenv("BIAOYUN_CLOCK_FROZEN_AT", "2030-01-01T00:00:00+08:00")
    with pytest.raises(RuntimeError, match="BIAOYUN_CLOCK_FROZEN_AT"):
        make_test_app(tmp_path, **prod)


def test_demo_and_tests_keep_their_clock_overrides(tmp_path):
    from core import clock

    app = make_test_app(tmp_path, CLOCK_FROZEN_AT="2030-01-01T00:00:00+08:00")
    with app.app_context():
        assert clock.now().isoformat().startswith("2029-12-31T16:00")  # frozen (UTC)
    clock.configure_from_mapping({})
    assert make_test_app(tmp_path, CLOCK_ACCEL=1.0).config["CLOCK_ACCEL"] == 1.0


def test_production_needs_a_vault_passphrase(tmp_path, prod):
    del prod["TIME_VAULT_PASSPHRASE_FILE"]
    with pytest.raises(RuntimeError, match="time vault key must be encrypted"):
        make_test_app(tmp_path, **prod)
    with pytest.raises(RuntimeError, match="at least 20"):
        make_test_app(tmp_path, **prod, TIME_VAULT_PASSPHRASE="short")


def test_production_refuses_a_passphrase_file_inside_the_instance(tmp_path, prod):
    from core import config as cfg

    inside = cfg.INSTANCE / "vault-passphrase.txt"
    with pytest.raises(RuntimeError, match="inside the instance folder"):
        make_test_app(tmp_path, **{**prod, "TIME_VAULT_PASSPHRASE_FILE": str(inside)})
    in_store = tmp_path / "f" / "pass.txt"  # make_test_app's FILE_STORE
    with pytest.raises(RuntimeError, match="inside the instance folder or the file store"):
        make_test_app(tmp_path, **{**prod, "TIME_VAULT_PASSPHRASE_FILE": str(in_store)})


def test_production_refuses_a_plaintext_vault_key_until_it_is_encrypted(tmp_path, prod):
    from flask import Flask

    from tender import vault

    path = tmp_path / "keys" / "time_vault.pem"
    path.parent.mkdir()
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))  # what an old install left behind
    with pytest.raises(RuntimeError, match="stored in plaintext"):
        make_test_app(tmp_path, **prod)
    holder = Flask("encrypt")
    holder.config.update(prod)
    assert vault.encrypt_existing(holder) is True
    text = path.read_bytes()
    assert vault.is_encrypted(text) and b"BEGIN PRIVATE KEY" not in text
    app = make_test_app(tmp_path, **prod)  # now it starts, with the same key
    with app.app_context():
        assert vault.public_key_pem() == vault.public_pem(key.public_key())
    with pytest.raises(RuntimeError, match="wrong time-vault passphrase"):
        wrong = tmp_path / "run-secrets" / "vault"
        wrong.write_text("another passphrase of enough length\n")
        vault._cache.clear()
        make_test_app(tmp_path, **prod)


def test_a_new_production_vault_key_is_written_encrypted(tmp_path, prod):
    from tender import vault

    app = make_test_app(tmp_path, **prod)
    with app.app_context():
        public = vault.public_key_pem()
    text = (tmp_path / "keys" / "time_vault.pem").read_bytes()
    assert vault.is_encrypted(text)
    loaded = serialization.load_pem_private_key(text, password=PASS.encode())
    assert vault.public_pem(loaded.public_key()) == public
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(text, password=None)


def test_the_embedded_default_keeps_a_plaintext_key_and_starts(tmp_path):
    from tender import vault

    app = make_test_app(tmp_path, TIME_VAULT_KEY_PATH=str(tmp_path / "v.pem"))
    with app.app_context():
        vault.public_key_pem()
    assert not vault.is_encrypted((tmp_path / "v.pem").read_bytes())
