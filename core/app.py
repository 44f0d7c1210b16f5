"""The application factory."""

from __future__ import annotations

import importlib
from pathlib import Path

from flask import Flask

from core import bounded, exchange, rooms, security, socketio_queue, tasks  # noqa: F401  (their table, their task)
from core import config as cfg
from core.extensions import api, babel, csrf, db, init_celery, login_manager, migrate, socketio

# Feature packages, in dependency order. Each exposes `register(app)` in its __init__.
FEATURES = ("audit", "accounts", "notices", "core.messages", "portal", "region_rules", "beacon", "tender", "registry",
            "expert_draw", "contracts", "evaluation", "deposits", "plan", "mall")


def create_app(config: dict | str | None = None) -> Flask:
    """Build the app; `config` is a mapping of overrides, or "testing"."""
    values = cfg.load_config(config)
    app = Flask("biaoyun", root_path=str(cfg.ROOT), instance_path=str(cfg.INSTANCE),
                template_folder="templates", static_folder="static")
    bounded.register(app)  # before any route: `<int:...>` stops at 2^63 - 1 everywhere
    app.config.update(values)
    app.config.from_prefixed_env("BIAOYUN")
    if isinstance(config, dict):
        app.config.update(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = cfg.normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    cfg.check_production_config(app.config)
    _derive_service_urls(app)
    _ensure_dirs(app)

    from core import clock as clock_module
    from core import workdays

    clock_module.configure_from_mapping(app.config)
    workdays.configure_calendar(app.config.get("WORKDAY_CALENDAR"))

    db.init_app(app)
    _configure_sqlite(app)
    migrate.init_app(app, db, directory=str(cfg.ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    from core import i18n

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    manager = socketio_queue.client_manager(app.config)  # the embedded queue; else Flask-SocketIO's own
    socketio.server_options.pop("client_manager", None)  # never inherit the queue of an earlier app
    socketio.init_app(app, message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"] or None, async_mode="threading",
                      cors_allowed_origins=security.origin_checker(app.config), manage_session=False,
                      **({"client_manager": manager} if manager else {}))
    api.init_app(app)
    init_celery(app)

    from core import after_commit, assets, auth, cli, errors, health

    errors.register_error_handlers(app)
    after_commit.register(app)
    security.register(app)
    auth.register(app)
    assets.register(app)
    health.register(app)
    i18n.register(app)
    cli.register(app)
    for name in FEATURES:
        importlib.import_module(name).register(app)
    # Features add their periodic sweeps while registering; beat reads the schedule from here.
    app.extensions["celery"].conf.beat_schedule = app.config.get("CELERY_BEAT_SCHEDULE", {})
    return app


def _derive_service_urls(app: Flask) -> None:
    """Redis when configured; otherwise the embedded defaults: an SQLite Celery broker, and a
    folder under instance/ as the Socket.IO message queue, so that what the worker emits (an
    opening started by the beat sweep) still reaches the browsers of the web process.
    SOCKETIO_MESSAGE_QUEUE="" means no queue at all (tests, a single process)."""
    redis_url = app.config.get("REDIS_URL")
    if not app.config.get("CELERY_BROKER_URL"):
        app.config["CELERY_BROKER_URL"] = redis_url or f"sqla+sqlite:///{Path(app.instance_path) / 'broker.sqlite'}"
    if app.config.get("SOCKETIO_MESSAGE_QUEUE") is None:
        app.config["SOCKETIO_MESSAGE_QUEUE"] = redis_url or socketio_queue.EMBEDDED_URL
    app.config.setdefault("SOCKETIO_QUEUE_FOLDER", str(Path(app.instance_path) / "socketio-queue"))


def _ensure_dirs(app: Flask) -> None:
    for path in (app.instance_path, app.config["FILE_STORE"], Path(app.config["AUDIT_KEY_PATH"]).parent):
        Path(path).mkdir(parents=True, exist_ok=True)


def _configure_sqlite(app: Flask) -> None:
    """SQLite: enforce foreign keys, wait for locks instead of failing, WAL for readers."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
