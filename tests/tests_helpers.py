"""Helpers shared by tests (plain functions; fixtures live in conftest.py)."""

from datetime import datetime

import pyotp

PASSWORD = "correct-horse-9"


def totp_code(user, at: datetime | None = None) -> str:
    from core import clock as clock_module

    return pyotp.TOTP(user.totp_seed).at(at or clock_module.now())


def login(client, user, password: str = PASSWORD):
    """Log in through the real pages: password, then TOTP when the account has it."""
    response = client.post("/login", data={"username": user.username, "password": password})
    if user.totp_seed:
        response = client.post("/login/totp", data={"code": totp_code(user)})
    return response
