"""Response headers: a strict Content-Security-Policy (no inline script anywhere, because
pages run cryptography in the browser), the usual hardening headers, and HSTS in production."""

from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from flask import Flask, Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


HSTS = "max-age=31536000; includeSubDomains"


def register(app: Flask) -> None:
    production = app.config["ENV_NAME"] == "production"
    if production:
        app.config["SESSION_COOKIE_SECURE"] = True

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if production:  # production is served over HTTPS only: browsers must never fall back to HTTP
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response


def origin_checker(config: Mapping) -> Callable[[str | None, dict], bool]:
    """Socket.IO's Origin check: a browser's connection is accepted only from the platform's own pages, i.e. an
    Origin whose host is one of HOST_NAMES (`host` or `host:port`), or, when none are configured, the host the
    request was sent to (same origin). Without it any web site could open a socket with a visitor's cookie."""
    names = {n.strip().lower() for n in config.get("HOST_NAMES") or () if n.strip()}

    def allowed(origin: str | None, environ: dict | None = None) -> bool:
        if origin is None:
            return True  # not a browser: no ambient cookie is being abused, and state changes need the CSRF token
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False
        netloc = parts.netloc.lower()
        if names:
            return netloc in names or (parts.hostname or "") in names
        return netloc == (environ or {}).get("HTTP_HOST", "").lower()

    return allowed
