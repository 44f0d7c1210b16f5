"""Tender: projects, publication, clarifications, sealed bids, the opening and its online hall."""

from flask import Flask

SWEEP_SECONDS = 10.0


def register(app: Flask) -> None:
    from core.extensions import api as rest_api
    from tender import api, cli, demo, events, models, panels, tasks, views  # noqa: F401  (register side effects)

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.tender_cli)
    rest_api.register_blueprint(api.blp)
    events.register_handlers()
    app.config.setdefault("TIME_VAULT_KEY_PATH", None)
    app.config.setdefault("TIME_VAULT_PASSPHRASE", None)
    app.config.setdefault("TIME_VAULT_PASSPHRASE_FILE", None)
    from tender import vault

    vault.check_at_startup(app)
    schedule = app.config.setdefault("CELERY_BEAT_SCHEDULE", {})
    schedule.setdefault("tender-sweep", {"task": "tender.tasks.sweep", "schedule": SWEEP_SECONDS})
