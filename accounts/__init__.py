"""Accounts: regions, organisations, users, roles, login with TOTP, API tokens, public keys."""

from flask import Flask


def register(app: Flask) -> None:
    from accounts import api, demo, models, views  # noqa: F401  (demo registers its seeder)
    from core.extensions import api as rest_api

    app.register_blueprint(views.bp)
    rest_api.register_blueprint(api.blp)
