"""Who is asking, and may they: default-deny login, role decorators, token authentication.

Every endpoint needs a logged-in user unless its view is marked `@public`; a test walks
the URL map to prove it. Programs authenticate with `Authorization: Bearer <token>`;
pages with the session cookie (and then CSRF applies to every unsafe request).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import Flask, current_app, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from core.errors import Forbidden, Unauthorized, wants_json
from core.extensions import csrf, login_manager

F = TypeVar("F", bound=Callable)

# Endpoints outside our own blueprints that anyone may reach.
PUBLIC_ENDPOINTS = {"static", "vendor", "healthz", "set_language", "api-docs.openapi_json"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Pages a TOTP-bound user may see before enrolling.
ENROLMENT_ENDPOINTS = {"accounts.totp_setup", "accounts.logout", "accounts.totp_qr"}


def public(view: F) -> F:
    """Mark a view as reachable without logging in."""
    view._public = True  # type: ignore[attr-defined]
    return view


def signed_request(view: F) -> F:
    """Mark a view reached by other systems without a session or a token: each request is authenticated by
    its own signature (`core.exchange`), so no cookie is read and no CSRF token is asked for."""
    view._public = True  # type: ignore[attr-defined]
    view._signed = True  # type: ignore[attr-defined]
    return view


def is_signed_endpoint(app: Flask, endpoint: str | None) -> bool:
    return bool(endpoint and getattr(app.view_functions.get(endpoint), "_signed", False))


def is_public_endpoint(app: Flask, endpoint: str | None) -> bool:
    if endpoint is None:
        return True  # 404/405: nothing to protect, let the error handler answer
    if endpoint in PUBLIC_ENDPOINTS:
        return True
    return bool(getattr(app.view_functions.get(endpoint), "_public", False))


def may_connect() -> bool:
    """Who may open a Socket.IO connection: the same rule as the pages (logged in, and a
    TOTP-bound role has enrolled its second factor). Rooms add their own object checks."""
    return bool(current_user.is_authenticated
                and not (current_user.totp_required and not current_user.totp_enabled))


def roles_required(*roles: str) -> Callable[[F], F]:
    """Coarse check on a view: the user holds at least one of these roles."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                raise Unauthorized("请先登录。")
            if not current_user.has_role(*roles):
                raise Forbidden("您的角色无权执行此操作。")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


def register(app: Flask) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    login_manager.login_view = "accounts.login"

    @login_manager.user_loader
    def load_user(user_id: str):
        from accounts.models import User
        from accounts.service import session_is_live
        from core.db import db

        if bearer_token() is not None:
            return None  # a request with a token is authenticated by the token alone, never by the cookie
        user = db.session.get(User, int(user_id))
        # A session minted before a credential change is void (the stamp), and so is one that logged out
        # (its server-side row ended).
        if (user is None or session.get("auth_stamp") != user.password_hash[-16:]
                or not session_is_live(user.id, session.get("sid"))):
            return None
        return user

    @login_manager.request_loader
    def load_user_from_token(req):
        token = bearer_token()
        if not token:
            return None
        from accounts.service import authenticate_token

        return authenticate_token(token)

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_json():
            raise Unauthorized("需要登录或有效的 API 令牌。")
        return redirect(url_for("accounts.login", next=request.full_path))

    @app.before_request
    def enforce_login_and_csrf():
        # Either token-authenticated (a valid token; the cookie is ignored) or cookie-authenticated (CSRF
        # checked): a Bearer header that names no valid token is refused, never a reason to skip CSRF.
        if bearer_token() is not None:
            if not current_user.is_authenticated:
                raise Unauthorized("API 令牌无效或已吊销。")
        elif (request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True)
              and not is_signed_endpoint(app, request.endpoint)):
            csrf.protect()
        if is_public_endpoint(app, request.endpoint):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if (current_user.totp_required and not current_user.totp_enabled
                and request.endpoint not in ENROLMENT_ENDPOINTS):
            if wants_json():
                raise Forbidden("此账户必须先绑定动态口令（TOTP）。", code="totp_enrolment_required")
            return redirect(url_for("accounts.totp_setup"))
        return None

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        from core.errors import render_error

        return render_error(400, "csrf_failed", "页面已过期或请求来源无效，请刷新页面后重试。")
