"""Locale and time-zone selection, and the template filters that show times and money.

Chinese is the default; a visitor can switch to English, remembered in the session.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, redirect, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user

LOCALE_COOKIE = "by_locale"
LOCALE_COOKIE_AGE = 365 * 24 * 3600


def N_(message: str) -> str:
    """Mark a string for extraction without translating it: label tables whose values also go
    into notices, PDFs and audit payloads stay Chinese; pages translate them where shown, with
    `_(TABLE[x])` in templates or `gettext(TABLE[x])` in views."""
    return message


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    # The login starts a fresh session: the language chosen before it is kept by its cookie.
    remembered = request.cookies.get(LOCALE_COOKIE) if request else None
    if remembered in languages:
        return remembered
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return "Asia/Shanghai"


def register(app: Flask) -> None:
    from core import clock, money

    @app.get("/lang/<code>")
    def set_language(code: str):
        target = request.referrer or url_for("portal.index")
        response = redirect(target if target.startswith(request.host_url) or target.startswith("/")
                            else url_for("portal.index"))
        if code in current_app.config["LANGUAGES"]:
            session["locale"] = code
            # Kept across the login (cookie) and on the user's other devices (the user's setting).
            response.set_cookie(LOCALE_COOKIE, code, max_age=LOCALE_COOKIE_AGE, samesite="Lax", httponly=True,
                                secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
            if current_user and current_user.is_authenticated and current_user.locale != code:
                from audit.service import record
                from core.db import db

                current_user.locale = code
                record("accounts.locale_set", current_user, {"locale": code})
                db.session.commit()
        return response

    @app.template_filter("local_dt")
    def local_dt(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return clock.format_local(value, fmt) if value else ""

    @app.template_filter("yuan")
    def yuan(value: int | None) -> str:
        return money.format_yuan(value) if value is not None else ""

    @app.context_processor
    def inject_locale() -> dict:
        return {"current_locale": str(get_locale()), "server_now": clock.now()}
