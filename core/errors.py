"""Domain errors with stable codes, and their rendering as JSON or as a Chinese page.

Services raise `DomainError` subclasses; views never build error responses by hand. The
`code` is part of the API contract: clients switch on it, so it never changes once shipped.
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A refused operation: bad input, wrong state, missing right, too late."""

    status = 400
    code = "bad_request"
    # True for refusals whose own record must survive (a failed login is counted and
    # audited even though the request fails); such errors are raised before any other change.
    keep_changes = False

    def __init__(self, message: str, code: str | None = None, status: int | None = None,
                 details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or {}


class ValidationError(DomainError):
    status = 422
    code = "validation_failed"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Conflict(DomainError):
    """The object is not in a state that allows the operation (a refused transition)."""

    status = 409
    code = "invalid_state"


class Gone(DomainError):
    """The object is on record but its content was deleted as the rules provide."""

    status = 410
    code = "gone"


class PayloadTooLarge(DomainError):
    """An upload over its limit; the message names the limit."""

    status = 413
    code = "too_large"


class TooManyRequests(DomainError):
    status = 429
    code = "rate_limited"


HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "invalid_state", 410: "gone", 413: "too_large", 415: "unsupported_media_type",
    422: "validation_failed", 429: "rate_limited", 500: "internal_error",
}


def settle_refusal(exc: DomainError) -> None:
    """End the transaction of a refused operation: keep only what the refusal must record
    (a counted, audited failed attempt), otherwise roll everything back."""
    from core.db import db

    if exc.keep_changes:
        db.session.commit()
    else:
        db.session.rollback()


def wants_json() -> bool:
    """API paths and clients that prefer JSON get JSON errors; browsers get pages."""
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    body: dict = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return body


def _page_message(status: int) -> str:
    return {
        400: _("请求有误，请检查后重试。"),
        401: _("请先登录。"),
        403: _("您没有访问此页面的权限。"),
        404: _("您访问的页面不存在。"),
        405: _("不支持的请求方式。"),
        409: _("当前状态不允许此操作。"),
        410: _("该内容已按规定删除。"),
        413: _("上传的文件过大。"),
        422: _("提交的内容有误。"),
        429: _("操作过于频繁，请稍后再试。"),
        500: _("系统内部错误，请稍后重试或联系管理员。"),
    }.get(status, _("请求未能完成。"))


def render_error(status: int, code: str, message: str, details: dict | None = None):
    if wants_json():
        return jsonify(error_body(code, message, details)), status
    return render_template("errors/error.html", status=status, message=message,
                           title=_page_message(status)), status


def register_error_handlers(app: Flask) -> None:
    from core.db import db

    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError):
        settle_refusal(exc)
        response, status = render_error(exc.status, exc.code, exc.message, exc.details)
        if isinstance(exc.details, dict) and "retry_after" in exc.details:
            return response, status, {"Retry-After": str(exc.details["retry_after"])}
        return response, status

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        status = exc.code or 500
        code = HTTP_CODES.get(status, "http_error")
        data = getattr(exc, "data", None)  # webargs/smorest validation messages
        details = {"fields": data.get("messages")} if isinstance(data, dict) and data.get("messages") else None
        message = _page_message(status) if not wants_json() else (exc.description or code)
        return render_error(status, code, message, details)

    if app.testing:
        return  # let tests see the real traceback

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return render_error(500, "internal_error", _page_message(500))
