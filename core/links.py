"""Links in outgoing messages: every SMS, voice call, e-mail and reminder names a page under PUBLIC_BASE_URL.

A message is read on a phone, far from the request that caused it (often in a Celery worker, which has no
request at all): `url_for(..., _external=True)` there answers `http://localhost/…`, a link nobody can open.
The platform's public address is therefore a setting, `PUBLIC_BASE_URL` (`https://biaoyun.example.gov.cn`,
a path prefix allowed); production refuses to start without it or with a plain-http one (a link that carries
an activation token must not travel in clear). The embedded install defaults to `make run`'s address.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, url_for

DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


def public_base_url(config: dict | None = None) -> str:
    """The configured public base URL without a trailing slash (the development default when unset)."""
    values = current_app.config if config is None else config
    return (str(values.get("PUBLIC_BASE_URL") or "").strip() or DEVELOPMENT_BASE_URL).rstrip("/")


def public_url(endpoint: str, **values: object) -> str:
    """The absolute link to `endpoint` under PUBLIC_BASE_URL, built the same in a request and in a worker."""
    with current_app.test_request_context(base_url=public_base_url() + "/"):
        return url_for(endpoint, _external=True, **values)


def absolute(path: str) -> str:
    """A same-site path (`/expert-draw/my`) as a link under PUBLIC_BASE_URL."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError("only a path of this site can be made absolute")
    return public_base_url() + path


def check_public_base_url(values: dict) -> None:
    """Production needs an https PUBLIC_BASE_URL with a host name, nothing else after the path."""
    if values.get("ENV_NAME") != "production":
        return
    url = str(values.get("PUBLIC_BASE_URL") or "").strip()
    parts = urlsplit(url)
    if not url or parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise RuntimeError(
            "Refusing to start: set BIAOYUN_PUBLIC_BASE_URL to the platform's public https address (for example "
            "https://biaoyun.example.gov.cn): every link in SMS, voice calls and e-mail is built from it"
            + (f", and {url!r} is not an https URL." if url else "."))
