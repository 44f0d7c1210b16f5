"""Configuration: defaults for the embedded install, overridden by environment variables.

Well-known names (`DATABASE_URL`, `REDIS_URL`, `SECRET_KEY`, `FILE_STORE`) are read as they
are, because hosting platforms set them; every other setting can be given as
`BIAOYUN_<NAME>` (Flask's `from_prefixed_env`, values parsed as JSON where they can be).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("BIAOYUN_INSTANCE_PATH", ROOT / "instance"))
DEFAULT_SECRET_KEY = "dev-insecure-secret-key-change-me"


class Config:
    ENV_NAME = "development"
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE / 'biaoyun.sqlite'}"
    FILE_STORE = str(INSTANCE / "files")
    AUDIT_KEY_PATH = str(INSTANCE / "keys" / "audit_ed25519.pem")
    AUDIT_ORIGIN = "biaoyun.local/audit"
    REDIS_URL: str | None = None
    CELERY_BROKER_URL: str | None = None  # derived from REDIS_URL, else an SQLite broker
    CELERY_ALWAYS_EAGER = False
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    MAX_CONTENT_LENGTH = 2 * 1024**3  # sealed bids can be large; uploads stream to disk
    CLOCK_ACCEL = 1.0
    CLOCK_ANCHOR: str | None = None  # required when CLOCK_ACCEL != 1: all processes share it
    CLOCK_VIRTUAL_ANCHOR: str | None = None
    CLOCK_FROZEN_AT: str | None = None
    WORKDAY_CALENDAR: str | None = None
    PDF_FONT_PATH: str | None = None  # a CJK TrueType font to embed; default: a Debian font package (core/pdf.py)
    # The time-lock custodian's beacon (beacon/__init__.py): "local" or "quicknet"; None = quicknet in
    # production, the local beacon (started by `flask serve`) elsewhere.
    BEACON: str | None = None
    BEACON_URLS: str | None = None
    BEACON_DIR = str(INSTANCE / "beacon")
    BEACON_PORT = 8089
    # The host names the platform is reached by (`biaoyun.example.gov.cn`, `host:port`): Socket.IO accepts a
    # browser's connection only from these origins; empty means the request's own host (same origin).
    HOST_NAMES: tuple[str, ...] = ()
    # The platform's public address: every link in SMS, voice calls, e-mail and reminders is built under it
    # (core/links.py); required (https) in production, `make run`'s address otherwise.
    PUBLIC_BASE_URL: str | None = None
    # Failed-attempt brakes (accounts.service): per account and address, per address, per account from
    # anywhere (slower), and step-up codes of a logged-in user; each counts failures in the window.
    LOGIN_MAX_FAILURES = 5
    LOGIN_ADDRESS_MAX_FAILURES = 20
    LOGIN_ACCOUNT_MAX_FAILURES = 50
    STEP_UP_MAX_FAILURES = 5
    LOGIN_FAILURE_WINDOW_S = 900
    # OpenAPI (flask-smorest)
    API_TITLE = "Biaoyun API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    WTF_CSRF_ENABLED = False
    CELERY_ALWAYS_EAGER = True


def load_config(config: dict | type | None) -> dict:
    """Merge the class defaults, the environment and an explicit mapping, in that order."""
    base = TestConfig if config == "testing" else Config
    values = {k: getattr(base, k) for k in dir(base) if k.isupper()}
    for name, key in (("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"), ("REDIS_URL", "REDIS_URL"),
                      ("SECRET_KEY", "SECRET_KEY"), ("FILE_STORE", "FILE_STORE")):
        if os.environ.get(name):
            values[key] = os.environ[name]
    if isinstance(config, dict):
        values.update(config)
    values["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(values["SQLALCHEMY_DATABASE_URI"])
    return values


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


CLOCK_OVERRIDES = ("CLOCK_FROZEN_AT", "CLOCK_ACCEL", "CLOCK_ANCHOR", "CLOCK_VIRTUAL_ANCHOR")


def clock_overrides(values: dict) -> list[str]:
    """The clock settings that move the platform's clock away from real time (demo and tests only)."""
    found = []
    for name in CLOCK_OVERRIDES:
        value = values.get(name)
        if value in (None, ""):
            continue
        if name == "CLOCK_ACCEL":
            try:
                if float(value) == 1.0:
                    continue
            except (TypeError, ValueError):
                pass
        found.append(name)
    return found


def check_production_config(values: dict) -> None:
    """A production install must never run with the published development secret, nor with a clock
    anyone can move: deadlines and the time vault's release follow the server clock alone (a worker
    restarted with a future time would otherwise release the vault's shares early)."""
    if values.get("ENV_NAME") != "production":
        return
    if values.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY):
        raise RuntimeError(
            "Refusing to start: set SECRET_KEY (or BIAOYUN_SECRET_KEY) to a long random value in production."
        )
    from core.links import check_public_base_url

    check_public_base_url(values)
    overrides = clock_overrides(values)
    if overrides:
        names = ", ".join(f"BIAOYUN_{name}" for name in overrides)
        raise RuntimeError(
            f"Refusing to start: clock overrides are for the demo and tests only, never in production ({names} "
            "set). Remove them: in production the platform's clock is the system clock (keep it synchronised "
            "with NTP).")
