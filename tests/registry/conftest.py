"""Fixtures of the expert library tests."""

import pytest


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    from argon2 import PasswordHasher

    from accounts import service

    monkeypatch.setattr(service, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def specialties(app_ctx, region, clock):
    from core.db import db
    from registry.experts.demo import ensure_specialties

    ensure_specialties()
    db.session.commit()
